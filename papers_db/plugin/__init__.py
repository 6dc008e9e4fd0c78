"""Datasette plugin for papers-db: safe search queries, highlighted snippets, a paper's page
(listings, code links, related papers).

Datasette loads it through the installed package's `datasette` entry point (so `papers-db serve`
and plain `datasette` both have it), or as a file with `--plugins-dir papers_db/plugin` where the
package is not installed (`datasette publish`). It imports nothing from papers_db for that reason.
"""

import html
import json
import re

import datasette.handle_exception
from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

# Datasette 0.65 prints every exception it answers with rich, locals and all, whenever rich is
# installed (typer installs it). That took about half a second of the server's one Python process
# per 404 or bad parameter, stalling every other request, and logged a screenful per typo in a URL.
# Without rich, errors are answered as before; server errors still log a plain traceback.
datasette.handle_exception.rich = None

# snippet()/highlight() in the search query mark matches with these private-use characters; they
# cannot occur in the sources' text, and are turned into <mark> only after the text is escaped.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"

PAPER_SQL = """
select papers.*, decisions.label as decision
from papers left join decisions on decisions.id = papers.best_decision_id
where papers.id = :paper_id
"""

def fts_query(text):
    """A user's words as an FTS5 query that cannot be a syntax error, or None for no words.

    Each word is quoted, so FTS5 operators and punctuation lose their meaning; a trailing `*`
    keeps its meaning as a prefix search ("diffus*").
    """
    words = re.findall(r"\w+\*?", text or "")
    quoted = ['"' + word.rstrip("*") + '"' + ("*" if word.endswith("*") else "") for word in words]
    return " ".join(quoted) or None


@hookimpl
def prepare_connection(conn):
    conn.create_function("papers_fts_query", 1, fts_query, deterministic=True)


def _marked(value):
    escaped = html.escape(value)
    return escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_END, "</mark>")


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    keys = row.keys() if hasattr(row, "keys") else []
    if column == "title" and table != "papers" and "paper_id" in keys and row["paper_id"] is not None:
        # Titles in views and queries link to the paper's page.
        # str(): Datasette's URL string looks up dir(str) on every method call html.escape makes.
        url = str(datasette.urls.row(database, "papers", str(row["paper_id"])))
        text = _marked(value) if isinstance(value, str) else "(no title)"
        return Markup(f'<a href="{html.escape(url)}">{text}</a>')
    if isinstance(value, str) and HIGHLIGHT_START in value:
        return Markup(_marked(value))
    return None


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name != "row" or table != "papers" or request is None:
        return {}

    async def paper_and_listings():
        db = datasette.get_database(database)
        params = {"paper_id": request.url_vars.get("pks")}
        paper = (await db.execute(PAPER_SQL, params)).first()
        # The paper_listings canned query (metadata.yml) is the one definition of this table.
        listings_query = await datasette.get_canned_query(database, "paper_listings", request.actor)
        listings = await db.execute(listings_query["sql"], params)
        related_query = await datasette.get_canned_query(database, "related_to", request.actor)
        related = await db.execute(related_query["sql"], params)
        links = await db.execute("select url, host from code_links where paper_id = :paper_id order by id", params)
        return {
            "paper": dict(paper) if paper else None,
            "paper_listings": [dict(row) for row in listings.rows],
            "paper_code_links": [dict(row) for row in links.rows],
            "related_papers": [dict(row, shared_terms=json.loads(row["shared_terms"])) for row in related.rows],
        }

    return paper_and_listings


ALIAS_PATH = re.compile(r"^/(?P<database>[^/]+)/papers/(?P<paper_id>\d+)(?P<json>\.json)?$")


@hookimpl
def handle_exception(datasette, request, exception):
    """A paper id from an earlier build, before its paper merged with another (paper_aliases),
    redirects to the paper's page: old links and bookmarks keep working."""
    match = ALIAS_PATH.match(request.path) if request is not None else None
    if match is None or not isinstance(exception, NotFound):
        return None

    async def redirect_to_paper():
        try:
            db = datasette.get_database(match["database"])
            row = (await db.execute("select paper_id from paper_aliases where id = :id",
                                    {"id": int(match["paper_id"])})).first()
        except Exception:  # noqa: BLE001 - not a papers-db database: Datasette's own 404 stands
            return None
        if row is None or str(row["paper_id"]) == match["paper_id"]:
            return None
        url = datasette.urls.row(db.name, "papers", str(row["paper_id"]), format="json" if match["json"] else None)
        return Response.redirect(str(url))  # 302: a later build may list the papers apart again

    return redirect_to_paper
