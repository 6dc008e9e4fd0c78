"""Datasette plugin for papers-db: the search page, highlighted snippets, a paper's page
(listings, code links, related papers), canned-query pages and table pages' cells (the bytes
Datasette writes, in less time), old paper ids redirected, and the limits a public instance needs.

Datasette loads it through the installed package's `datasette` entry point (so `papers-db serve`
and plain `datasette` both have it), or as a file with `--plugins-dir papers_db/plugin` where the
package is not installed (`datasette publish`). It imports nothing from papers_db for that reason.
"""

import array
import asyncio
import collections
import contextlib
import contextvars
import copy
import errno
import functools
import gc
import hashlib
import html
import inspect
import itertools
import json
import logging
import math
import os
import re
import sqlite3
import string
import sys
import textwrap
import threading
import time
import traceback
import unicodedata
import urllib.parse
import weakref
from typing import NamedTuple

try:
    import resource  # Unix only
except ImportError:
    resource = None

import markupsafe
from datasette import hookimpl
from datasette.filters import Filters
from datasette.utils import (
    InvalidSql,
    allowed_pragmas,
    await_me_maybe,
    call_with_supported_arguments,
    derive_named_parameters,
    escape_sqlite,
    format_bytes,
    is_url,
    path_with_added_args,
    path_with_format,
    path_with_removed_args,
    tilde_decode,
    tilde_encode,
    to_css_class,
    truncate_url,
    validate_sql_select,
)
from datasette.utils.asgi import Forbidden, Request
from datasette.version import __version__
from markupsafe import Markup, escape

# Linux counts a thread's own context switches (blocking_switches); macOS and Windows do not.
RUSAGE_THREAD = getattr(resource, "RUSAGE_THREAD", None)

# snippet()/highlight() in the search query mark matches with these brackets (U+27E6, U+27E7):
# printable, so JSON and CSV users see which words matched, and rare in papers' text (none in sources/).
# Only in HTML do they become <mark>, after the text is escaped.
HIGHLIGHT_START = "⟦"
HIGHLIGHT_END = "⟧"

PAPER_SQL = """
select papers.*, decisions.label as decision
from papers left join decisions on decisions.id = papers.best_decision_id
where papers.id = :paper_id
"""


@hookimpl
def prepare_connection(conn):
    limit_connection(conn)


def _marked(value):
    escaped = html.escape(value)
    return escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_END, "</mark>")


def _is_highlighted(value):
    return isinstance(value, str) and HIGHLIGHT_START in value and HIGHLIGHT_END in value


# The view of one row a paper, whose `id` is the paper's (as in `papers`): its titles had no link
# to their pages, where every other view's and query's do by `paper_id` (found by review).
PAPERS_BY_ID_VIEW = "paper_overview"


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table is None and isinstance(value, bytes):
        # A query page links each BLOB cell to its download by the whole query string: 99 BLOB
        # columns of 1,000 rows under 2 kB of SQL made a 228 MB page (1.4 GB of memory).
        return Markup(f"&lt;Binary:&nbsp;{len(value):,}&nbsp;byte{'' if len(value) == 1 else 's'}&gt;")
    id_column = "id" if table == PAPERS_BY_ID_VIEW else "paper_id"
    if column == "title" and table != "papers" and id_column in (row.keys() if hasattr(row, "keys") else []) and (
            row[id_column] is not None):
        # Titles in views and queries link to the paper's page.
        # str(): Datasette's URL string looks up dir(str) on every method call html.escape makes.
        paper_id = row[id_column]
        if isinstance(paper_id, dict):  # a table page's foreign key, expanded to its label
            paper_id = paper_id["value"]
        url = f"{papers_table_url(datasette, database)}/{paper_id}"  # as datasette.urls.row writes it
        text = _marked(value) if isinstance(value, str) else "(no title)"
        return Markup(f'<a href="{html.escape(url)}">{text}</a>')
    if isinstance(value, dict) and value.get("label") is None and column in PAPER_KEY_COLUMNS:
        # A table page's link to a paper with no title: Datasette wrote its label None as "None"
        # (listings, related papers and aliases of the four untitled bundled papers: review).
        url = f"{papers_table_url(datasette, database)}/{value['value']}"
        return Markup(f'<a href="{html.escape(url)}">(no title)</a>&nbsp;<em>{html.escape(str(value["value"]))}</em>')
    if _is_highlighted(value):
        return Markup(_marked(value))
    return None


PAPER_KEY_COLUMNS = frozenset({"paper_id", "related_paper_id"})  # sql/schema.sql: each references papers(id)


# The papers table's URL per server and database: Datasette's URL builder took 10% of a page of
# 200 titles (trending_on), looking up the database and encoding both names for each one. As the
# search page's parts and the table shapes, it takes a server's routes and base_url as fixed.
_papers_table_urls = weakref.WeakKeyDictionary()


def papers_table_url(datasette, database):
    urls = _papers_table_urls.setdefault(datasette, {})
    if database not in urls:
        urls[database] = str(datasette.urls.table(database, "papers"))
    return urls[database]


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters["table_body_rows"] = table_body_rows
    env.filters["query_body_rows"] = query_body_rows


def table_body_rows(display_rows):
    """The <tr> of each row of a table page, as Datasette's _table.html writes them."""
    td_starts = {}  # one per column and type of value: escaping each cell's took a third of the rows' time

    def td_start(cell):
        key = (cell["column"], cell["value_type"])
        if key not in td_starts:
            td_starts[key] = f'<td class="col-{to_css_class(key[0])} type-{escape(key[1])}">'
        return td_starts[key]
    return rows_as_html([(td_start(cell), cell["value"]) for cell in row] for row in display_rows)


def query_body_rows(display_rows, columns):
    """The <tr> of each row of a query page, as Datasette's query.html writes them."""
    td_starts = [f'<td class="col-{to_css_class(column)}">' for column in columns]
    return rows_as_html(zip(td_starts, row) for row in display_rows)


def rows_as_html(rows):
    """Rows of (opening <td> tag, value) cells as <tr> lines."""
    lines = []
    for cells in rows:
        lines.append("<tr>")
        lines.extend(f"{td_start}{as_html(value)}</td>" for td_start, value in cells)
        lines.append("</tr>")
    return Markup("\n".join(lines))


def as_html(value):
    """A value as Jinja's autoescape writes it: escaped, but Markup (such as a render_cell hook's)
    as it is, without the copy escape() makes of it."""
    return value if type(value) is Markup else escape(value)


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if template == "query.html":
        page = serving_query_page.get()
        return {"rows_cut_to_cell_limit": page and page.rows_shown, "html_cells_limit": HTML_CELLS_LIMIT}
    if template == "table.html" and request is not None:
        # The first page of such an order linked to a next page that answers 400 (unpageable_sort).
        order = unpageable_order(datasette, request.path, query_parameters(request.scope))
        return {"unpageable_order": order and order[0], "unpageable_order_streams": bool(order and order[1].shape.fits_one_page)}
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


# The search page. Datasette's own page for the `search` canned query took 8.7 ms a request at
# 100k papers, against 2.4 ms for a page that runs no SQL and 1.8 ms for the query itself: it runs
# every cell of the 50 rows through the render_cell hooks, renders with async Jinja, and loads a
# SQL editor a search box does not need. This page runs the same query (metadata.yml, the one
# definition) and renders it with a template of its own in plain Jinja. JSON and CSV stay Datasette's.
SEARCH_QUERY = "search"
SEARCH_SAMPLE_PAPERS = 20_000  # the query ranks a random 20,000 of more matches: see its SQL
# Results a page: the query's best 50 in two pages. snippet() is most of the query's cost, and
# SQLite computes it only for the rows up to the page's last: the first page, the one most
# visitors see, took 1.0 ms at 100k papers against 1.8 for all 50.
SEARCH_PAGE_RESULTS = 25
SEARCH_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,3}")  # page 1 to 9999: any larger offset is only work
# The search query reads what was typed so (its SQL, in metadata.yml, is the definition): it splits
# words at every character Unicode calls a space and at the zero-width space (pasted from web pages
# and PDFs: an em space made "diffusion models manifolds" one phrase, no paper where 3 have the
# words: review), drops a soft hyphen, word joiner or byte order mark, and takes typographic double
# quotes for quotes ("“neural collapse”" searched the words apart: 4 papers, the phrase 3).
SEARCH_WORD_SEPARATORS = re.compile(r"[\s\u200b]+")  # \s: str.isspace()'s characters
SEARCH_DROPPED = re.compile("[\u00ad\u2060\ufeff]")
SEARCH_QUOTES = re.compile("[\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02]")


def searched_words(q):
    """The search as the query reads it: its words split at spaces and joined by one."""
    return " ".join(SEARCH_WORD_SEPARATORS.split(SEARCH_QUOTES.sub('"', SEARCH_DROPPED.sub("", q)))).strip()


@hookimpl
def register_routes(datasette):
    """/<database>/search for each database with a `search` query: only those, so a table called
    search in another database keeps its page. /-/databases and /-/threads without paths."""
    from datasette.utils import tilde_encode
    from datasette.views.special import JsonDataView

    routes = [re.escape(tilde_encode(db.route)) for name, db in datasette.databases.items()
              if SEARCH_QUERY in (datasette.metadata("queries", database=name, fallback=False) or {})]
    databases = JsonDataView.as_view(datasette, "databases.json", lambda: published_databases(datasette))
    threads = JsonDataView.as_view(datasette, "threads.json", lambda: published_threads(datasette))
    # Routes of plugins come before Datasette's own: these pages replace its /-/databases and /-/threads.
    return ([(rf"^/(?P<database>{'|'.join(routes)})/{SEARCH_QUERY}$", search_page)] if routes else []) + [
        query_route(datasette, db) for db in datasette.databases.values() if read_queries(datasette, db.name)] + [
        (r"^/-/databases(\.(?P<format>json))?$", databases), (r"^/-/threads(\.(?P<format>json))?$", threads)]


def read_queries(datasette, database):
    """The database's canned read queries in metadata.yml, but for the search (a page of its own)."""
    queries = datasette.metadata("queries", database=database, fallback=False) or {}
    return [name for name, query in queries.items()
            if name != SEARCH_QUERY and not (isinstance(query, dict) and query.get("write"))]


def query_route(datasette, db):
    """/<database>/<query> in HTML for each read query: the plugin writes the page Datasette's
    query view would (query_pages). With an extension (.json, .csv) it is Datasette's."""
    names = "|".join(re.escape(tilde_encode(name)) for name in read_queries(datasette, db.name))
    return rf"^/(?P<database>{re.escape(tilde_encode(db.route))})/(?P<table>{names})$", canned_query_page


def published_databases(datasette):
    """Datasette's /-/databases without each file's path on the server, which tells a visitor
    nothing of the data and something of the machine (a user's home folder, say)."""
    return [{name: value for name, value in database.items() if name != "path"}
            for database in datasette._connected_databases()]


def published_threads(datasette):
    """Datasette's /-/threads without its description of each asyncio task, which names the
    source files (and folders) of the code each one is running."""
    return {name: value for name, value in datasette._threads().items() if name != "tasks"}


async def search_page(datasette, request):
    from datasette.utils.asgi import Forbidden, Response

    db = datasette.get_database(route=tilde_decode(request.url_vars["database"]))
    visible, _ = await datasette.check_visibility(
        request.actor, permissions=[("view-query", (db.name, SEARCH_QUERY)), ("view-database", db.name), "view-instance"])
    if not visible:
        raise Forbidden("You do not have permission to view this query")
    parts = await search_page_parts(datasette, db.name, request.actor)
    q, number = request.args.get("q", ""), search_page_number(request)
    words = searched_words(q)
    rows = await search_rows(datasette, db, parts, q, number) if words else []
    widened = None
    if not rows and "*" in words and (wider := await db.execute_fn(lambda conn: widened_search(conn, words))):
        rows = await search_rows(datasette, db, parts, wider, number)
        widened = wider if rows else None  # no more found: the page is the search as typed
    searched = widened or q  # what the rows shown, their JSON, CSV and SQL are a search for
    has_next = len(rows) > SEARCH_PAGE_RESULTS
    rows = rows[:SEARCH_PAGE_RESULTS]
    may_edit_sql = await datasette.permission_allowed(request.actor, "execute-sql", db.name, default=True)

    def page_url(page_number):
        return f"{parts['search_url']}?" + urllib.parse.urlencode({"q": q, **({"page": page_number} if page_number > 1 else {})})

    html_text = search_template(datasette).render(
        **parts, q=q, words=words, page=number, sample_limit=SEARCH_SAMPLE_PAPERS,
        widened=widened, results=[search_result(row, parts["papers_url"]) for row in rows],
        first_rank=(number - 1) * SEARCH_PAGE_RESULTS + 1,
        matching=rows[0]["matching_papers"] if rows else 0,
        first_page_url=page_url(1),
        previous_url=page_url(number - 1) if number > 1 else None,
        next_url=page_url(number + 1) if has_next else None,
        json_url=f"{parts['search_url']}.json?" + urllib.parse.urlencode({"q": searched}),
        csv_url=f"{parts['search_url']}.csv?" + urllib.parse.urlencode({"q": searched, "_size": "max"}),
        sql_url=(f"{parts['database_url']}?{parts['sql_argument']}&" + urllib.parse.urlencode({"q": searched})
                 if may_edit_sql else None),
        symbols=[(symbol, f"{parts['papers_url']}?" + urllib.parse.urlencode({"plain_abstract__contains": symbol}))
                 for symbol in symbols_not_searched(words)],
    )
    return with_datasette_headers(datasette, request, Response.html(html_text))


# A prefix that no word of the index begins with found nothing: FTS5 stems a prefix as a word,
# and learning is indexed as learn, so learni* matched no paper (664 of 1,955 prefixes of the
# bundled papers' longer words; found by review). Where a search finds nothing, the page searches
# each such prefix as the longest shorter form of it the index holds as a word. Done here, not
# in the query: the query's SQL with it took 2.8 ms to compile instead of 0.8, paid on every
# search whose statement another page had pushed out of its connection's cache.
WIDENED_SHORTEST = 4  # letters: "lea" or "gen" would be other words
WIDENED_LONGEST = 40  # a longer "prefix" is no word's: each letter cut is one more lookup
# The lookups' time limit, all of them: they run outside Datasette's own (execute_fn). A prefix
# of common words joined by hyphens looked each one's list up, 1.2 s at 31,900 papers (review).
WIDENING_MS = 100


def widened_search(conn, words):
    """The search `words` (split as the query splits them) with each prefix of letters alone that
    matches no indexed word (`learni*`) as the longest shorter form of it that the index holds
    (`learn`), or None where no prefix was widened or the lookups ran past WIDENING_MS. A
    phrase's prefix (`"diffusion mod"*`) and one holding other characters (`self-distilli*`, whose
    shorter forms are phrases: `self-` found papers about "self") are left as they are."""
    from datasette.utils import sqlite_timelimit

    tokens, widened, looked_up = words.split(" "), False, {}
    try:
        with sqlite_timelimit(conn, WIDENING_MS):
            for index, token in enumerate(tokens[:SEARCH_WORDS_BOUNDED]):
                word = token.removesuffix("*").lower()
                if not (token.endswith("*") and word.isalpha() and WIDENED_SHORTEST < len(word) <= WIDENED_LONGEST):
                    continue
                if word not in looked_up:  # a word typed again is looked up once
                    looked_up[word] = None if indexed(conn, prefix_match(word)) else next(
                        (cut for length in range(len(word) - 1, WIDENED_SHORTEST - 1, -1)
                         if indexed(conn, fts5_string(cut := word[:length]))), None)
                if looked_up[word] is not None:
                    tokens[index], widened = looked_up[word], True
    except sqlite3.OperationalError:  # interrupted at the time limit: the search as typed
        return None
    return " ".join(tokens) if widened else None


def fts5_string(word):
    return '"' + word.replace('"', '""') + '"'


def prefix_match(word):
    """A prefix as the search query writes it for FTS5 (a prefix ending in s or y with an e after
    it too: see the query's SQL)."""
    if word.endswith(("s", "y")):
        return f"{fts5_string(word)}* OR {fts5_string(word + 'e')}*"
    return fts5_string(word) + "*"


def indexed(conn, match):
    return conn.execute("select 1 from papers_fts where papers_fts match ? limit 1", (match,)).fetchone() is not None


SYMBOLS_SHOWN = 5


def symbols_not_searched(words):
    """The symbols in a search (∞, ×, √, +), which the index's tokenizer takes for spaces as it
    does punctuation: `L∞` searched for the word L, `√n` for n (11 of the bundled papers), and ∞
    for nothing, without a word, though cleaning LaTeX writes `\\infty` as ∞."""
    symbols = dict.fromkeys(character for character in words if unicodedata.category(character).startswith("S"))
    return list(symbols)[:SYMBOLS_SHOWN]


def with_datasette_headers(datasette, request, response):
    """The headers Datasette 0.65 gives its own pages: caching (?_ttl= in seconds, else the
    default_cache_ttl setting), no referrer (the URL holds the words searched), CORS with --cors."""
    from datasette.utils import add_cors_headers

    if datasette.cache_headers:
        ttl = request.args.get("_ttl", "")
        ttl = int(ttl) if re.fullmatch(r"[0-9]{1,9}", ttl) else int(datasette.setting("default_cache_ttl"))
        response.headers["Cache-Control"] = f"max-age={ttl}" if ttl else "no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    if datasette.cors:
        add_cors_headers(response.headers)
    return response


def search_page_number(request):
    """The page of results asked for (?page=, from 1)."""
    _, DatasetteError, _, _ = datasette_error_page()
    text = request.args.get("page", "1")
    if not SEARCH_PAGE_NUMBER.fullmatch(text):
        raise DatasetteError("page must be a whole number from 1 to 9999.", title="Bad request", status=400)
    return int(text)


async def search_rows(datasette, db, parts, q, number):
    """The search query's rows for page `number`, and the first of the next page if there is one."""
    from datasette.database import QueryInterrupted

    _, DatasetteError, _, _ = datasette_error_page()
    params = {"q": q, "search_page_rows": SEARCH_PAGE_RESULTS + 1,
              "search_page_offset": (number - 1) * SEARCH_PAGE_RESULTS}
    rows = search_rows_in_the_loop(datasette, db, parts["page_sql"], params) if parts["searched_in_the_loop"] else None
    if rows is not None:
        return rows
    try:
        return (await db.execute(parts["page_sql"], params)).rows
    except QueryInterrupted:
        raise DatasetteError("The search took longer than this server's time limit. Add words to narrow it.",
                             title="Search interrupted", status=400) from None


# A search of a few plain words that match few papers runs in the event loop, not on a SQL
# thread: under load the answer of a thread waited for the loop to be free again, and the search
# page's p95 was 2.2-2.4 times the no-SQL page's where in the loop it was 1.5-1.9 (100,000
# papers, 8 clients, 2 workers: benchmarks/HISTORY.md, forty-sixth session). Only such a search:
# SQLite's time limit is checked between the VM's instructions, and one FTS5 instruction (a
# prefix's expansion, a phrase, words each in many papers but rarely together) can run tens of
# ms, which in the loop would hold up every request of the worker. So each word's papers are
# counted first, then the search's, each up to one more than its bound, a row at a time, which
# the time limit can stop (40 ns a row at 100,000 papers): the search then reads lists of at
# most IN_LOOP_WORD_PAPERS and ranks at most IN_LOOP_PAPERS (about 2.7 µs each).
IN_LOOP_WORDS = 4
IN_LOOP_CHARACTERS = 160  # the whole search as typed
IN_LOOP_WORD_PAPERS = 5000  # each word's
IN_LOOP_PAPERS = 1000  # the search's
IN_LOOP_MS = 50  # a bound on the whole, checked every IN_LOOP_CHECK_INSTRUCTIONS
PLAIN_WORD = re.compile(r"[a-z0-9]{1,40}")  # one token for FTS5's tokenizer, nothing for the query to parse
COUNT_UP_TO = "select count(*) from (select 1 from papers_fts where papers_fts match ? limit ?)"
_loop_connections = threading.local()


def search_rows_in_the_loop(datasette, db, page_sql, params):
    """The search query's rows where it was run in the event loop, or None where it is for a SQL
    thread: its words are not all plain and few, they match too many papers, or it failed or ran
    past IN_LOOP_MS (the thread then runs it again, with its own time limit and errors)."""
    from datasette.utils import sqlite_timelimit

    words = sorted(set(searched_words(params["q"].lower()).split(" ")) - {""})
    if not may_run_in_the_loop(db) or not (len(params["q"]) <= IN_LOOP_CHARACTERS and 0 < len(words) <= IN_LOOP_WORDS
                                           and all(PLAIN_WORD.fullmatch(word) for word in words)):
        return None
    counts = [(fts5_string(word), IN_LOOP_WORD_PAPERS) for word in words] + [
        (" AND ".join(map(fts5_string, words)), IN_LOOP_PAPERS)]
    try:
        conn = loop_connection(datasette, db)  # a file gone since the start cannot be opened: the thread says so
        with sqlite_timelimit(conn, IN_LOOP_MS), waits_counted_in_the_loop(db):
            if any(conn.execute(COUNT_UP_TO, (match, bound + 1)).fetchone()[0] > bound for match, bound in counts):
                return None
            return conn.execute(page_sql, params).fetchall()
    except sqlite3.Error:
        return None


# Queries in the loop with the file's pages to read from disk: the time is checked between
# SQLite's instructions, and with the page cache emptied (a server just started, or a file larger
# than memory) 1,000 instructions took up to 7.4 ms at a million papers, and with 1 ms a read
# (network storage, simulated) a canned query held the loop 139 ms before its 25 ms limit stopped
# it (review). The loop's connection checks every 100 instructions, whatever the limit asks
# (Datasette's every 1,000, or every one at 20 ms and less: six times the work), and a query
# stopped in the loop sends the file's queries to threads for IN_LOOP_PAUSE_SECONDS. Queries that
# each read a few pages from such a disk and end in time held the loop too (400 listings'
# pages at 1 ms a read: 3.5 ms each, the no-SQL page's median 40 ms against 4.7 with every query
# on a thread: review): the time the loop's queries spend blocked (wall time less the thread's
# CPU time, where the thread gave up its core: a read, or a lock) is counted, and past
# IN_LOOP_WAIT_MS_PER_SECOND in a second the file's queries go to threads too. A run where the
# thread never gave up its core is not counted: under load with more processes than cores the
# system took the core away for most of the wall time (up to 348 ms a second with 4 workers on 2
# cores, a single preemption 80 ms: review), and every worker paused within a second, where a
# thread is preempted as well. A run that gave it up once (a wait for Python's interpreter lock
# too) counts whole. A query stopped by its limit pauses them whatever stopped it: a query of a
# larger file that runs past the limit in CPU time is stopped on a busy machine with less CPU
# time than that, and would hold the loop for its limit on every request (review). So a slow
# disk costs each server process one limit or that wait a minute; reads slower still stretch the
# one limit (a read of 10 ms: 176 ms); an overloaded machine runs the queries on threads.
IN_LOOP_CHECK_INSTRUCTIONS = 100
IN_LOOP_PAUSE_SECONDS = 60
IN_LOOP_WAIT_MS_PER_SECOND = 50
_loop_paused_until = weakref.WeakKeyDictionary()  # database: time.monotonic() when its pause ends
_loop_waits = weakref.WeakKeyDictionary()  # database: [when its second began, seconds waited in it]


def may_run_in_the_loop(db):
    """Whether `db`'s queries may run in the event loop: an immutable file (one that may change
    can be locked by its writer, and SQLite waited 5 s for the lock in the loop, holding up every
    request: review), whose queries in the loop were not paused in the last IN_LOOP_PAUSE_SECONDS
    (waits_counted_in_the_loop)."""
    return not db.is_mutable and not db.is_memory and time.monotonic() >= _loop_paused_until.get(db, 0)


def pause_running_in_the_loop(db, why):
    """Send `db`'s queries to SQL threads for IN_LOOP_PAUSE_SECONDS, saying so on stderr (the
    server's log): a pause makes the searches and table pages it runs in the loop slower for a
    minute, and a benchmark's page 3 times its usual cost alone was otherwise unexplained."""
    _loop_paused_until[db] = time.monotonic() + IN_LOOP_PAUSE_SECONDS
    try:
        print(f"papers-db (process {os.getpid()}): the queries of {db.name} run on SQL threads for "
              f"{IN_LOOP_PAUSE_SECONDS} s, not in the event loop: {why}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # a log gone (its pipe's reader ended) fails no request: review
        pass


@contextlib.contextmanager
def waits_counted_in_the_loop(db):
    """Run a query of `db` in the loop, and pause the file's queries in the loop where it was
    stopped by its time limit or blocked past IN_LOOP_WAIT_MS_PER_SECOND (counted over each
    second): not for time the system took its core away, which a thread would suffer too."""
    started, cpu_started, switches_started = time.monotonic(), time.thread_time(), blocking_switches()
    stopped = False
    collecting = gc.isenabled()
    try:
        gc.disable()  # a full collection (25-35 ms at a million papers) counts in a query's time limit: review
        yield
    except BaseException as error:
        stopped = is_a_stop(error)
        raise
    finally:
        try:
            now = time.monotonic()
            blocked = switches_started is None or blocking_switches() != switches_started
            second = _loop_waits.setdefault(db, [now, 0.0])
            if now - second[0] >= 1:
                second[:] = [now, 0.0]
            second[1] += max(0.0, (now - started) - (time.thread_time() - cpu_started)) if blocked else 0.0
            if stopped:
                pause_running_in_the_loop(db, "a query there was stopped by its time limit")
            elif second[1] * 1000 > IN_LOOP_WAIT_MS_PER_SECOND:
                pause_running_in_the_loop(db, f"queries there waited {second[1] * 1000:.0f} ms in a second for the disk "
                                              f"or a lock (more than {IN_LOOP_WAIT_MS_PER_SECOND} ms)")
        finally:
            if collecting:
                # Last, whatever the count raised: a collection due runs at the next allocation,
                # outside the query and the time counted above (its CPU time taken for the
                # query's hid a blocked wait: review).
                gc.enable()


def blocking_switches():
    """How many times this thread gave up its core (a read from disk, a lock: Linux's voluntary
    context switches; 0.35 µs to ask), or None where the system does not count them per thread:
    there every wait is counted as blocked."""
    return None if RUSAGE_THREAD is None else resource.getrusage(RUSAGE_THREAD).ru_nvcsw


def is_a_stop(error):
    """Whether `error` is a query stopped by its time limit, as SQLite or Datasette raises it."""
    from datasette.database import QueryInterrupted

    return isinstance(error, QueryInterrupted) or (isinstance(error, sqlite3.OperationalError)
                                                    and error.args == ("interrupted",))


def loop_connection(datasette, db):
    """A connection to `db` for the event loop's thread, made and set up as Datasette makes each
    of its SQL threads' (with this plugin's limits, functions and row budget), that checks its
    time limit every IN_LOOP_CHECK_INSTRUCTIONS."""
    connections = _loop_connections.__dict__.setdefault("by_database", weakref.WeakKeyDictionary())
    if db not in connections:
        conn = immutable_file_connection(db, factory=checking_often_connection_class())
        datasette._prepare_connection(conn, db.name)
        connections[db] = conn
    return connections[db]


@functools.cache
def checking_often_connection_class():
    """A connection class of the sqlite3 module Datasette uses whose progress handler runs every
    IN_LOOP_CHECK_INSTRUCTIONS, whatever its caller asks."""
    from datasette.utils import sqlite3 as datasettes_sqlite3

    class CheckingOften(datasettes_sqlite3.Connection):
        def set_progress_handler(self, handler, n):
            super().set_progress_handler(handler, IN_LOOP_CHECK_INSTRUCTIONS)

    return CheckingOften


# A LIKE or GLOB of a 100-character pattern (SQLITE_LIMIT_LIKE_PATTERN_LENGTH) on a 240 kB value
# takes SQLite 34 ms, and one call cannot be stopped: a row of 60 ran between two of the time
# limit's checks, every 1,000 instructions, and a visitor's query held its SQL thread 12-14 s past
# its 1 s limit (noticed in the fifty-third session). A statement that says LIKE or GLOB is checked
# every IN_LOOP_CHECK_INSTRUCTIONS: at most about 50 calls between checks. Every statement so
# checked cost 17% more for a facet's count at 100,000 papers (4.5 against 5.3 ms); a LIKE filter
# costs about the same either way (16.1-16.3 against 16.4-16.8 ms).
PATTERN_MATCH_WORDS = ("like", "glob")
# Not the project's own queries (IN_LOOP_QUERIES, and the search page's statement around its
# query), whose LIKEs read the few words typed: checked every 100 instructions, the common-word
# search under 8 clients went from 1.17 to 1.81 times the same SQL run directly (run BC, before
# this exception; 7% slower alone, the rest each check's wait for Python's interpreter lock).
_own_statements = set()  # digests (sql_digest) of the search page's statements


def is_the_projects_own(sql):
    digest = sql_digest(sql)
    return digest in _own_statements or digest in IN_LOOP_QUERIES.values()


# FTS5 searches one row of its index in one of SQLite's instructions, and its work on a row grows
# with the square of the phrases searched: a visitor's query that built 'NEAR(the the … , 100000)'
# of 3,600 words in SQL (`replace(printf('%.3600c', 'x'), 'x', 'the ')`: 122 characters) ran 18 s
# past its 1 s limit, checked every 1,000 instructions (about 200 rows), and snippet() or rank over
# thousands of ORed words 5-12 s (review). In SQL a visitor writes (VISITOR_SQL_PARAMETERS) that
# names a full-text table, the time limit is checked every FULL_TEXT_CHECK_INSTRUCTIONS (a row or
# two), and a value SQL makes or reads is at most FULL_TEXT_VALUE_BYTES_LIMIT, which bounds the
# phrases of one search: at 8 kB, NEAR of 4,000 one-letter words took 0.35 s a row of the bundled
# papers, but snippet() of 1,160 ORed "the" 10 s on the row with 32 of them (review): one row's
# search is not bounded in time, only in size. Abstracts are a few kB at most. The search page's
# and table pages' searches are limited to SEARCH_TEXT_LIMIT characters.
FULL_TEXT_CHECK_INSTRUCTIONS = 10
FULL_TEXT_VALUE_BYTES_LIMIT = 8_192
# The SQL a visitor wrote, as the request being answered carries it (asgi_wrapper), and in a SQL
# thread as the query it runs was asked for (freeing_failed_queries_in_their_thread): one
# registry for the whole process held other visitors' pages to these limits while a visitor's own
# SQL ran, and a search of a table then failed on a 9 kB abstract (review of the first version).
visitors_sql = contextvars.ContextVar("visitors_sql", default=())
_running_visitors_sql = threading.local()


@functools.cache
def checking_pattern_matches_often_connection_class():
    """A connection class of the sqlite3 module Datasette uses whose statements that say LIKE or
    GLOB check the time limit every IN_LOOP_CHECK_INSTRUCTIONS, whatever its caller asks, and
    whose statements of SQL a visitor wrote that read a full-text table are held closer
    (FULL_TEXT_CHECK_INSTRUCTIONS, FULL_TEXT_VALUE_BYTES_LIMIT)."""
    from datasette.utils import sqlite3 as datasettes_sqlite3

    class CheckingPatternMatchesOften(datasettes_sqlite3.Connection):
        progress_handler = None  # the time limit's handler and interval, as the caller set them
        full_text_tables = None  # the names of its full-text tables, in lower case, once read
        values_limited = False  # whether the statement running has FULL_TEXT_VALUE_BYTES_LIMIT

        def set_progress_handler(self, handler, n):
            self.progress_handler = (handler, n) if handler is not None else None
            super().set_progress_handler(handler, n)

        def checking_often_for(self, sql):
            if not isinstance(sql, str):
                return
            full_text = self.is_visitors_full_text_search(sql)
            if full_text != self.values_limited:
                self.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, FULL_TEXT_VALUE_BYTES_LIMIT if full_text else VALUE_BYTES_LIMIT)
                self.values_limited = full_text
            if self.progress_handler is None:
                return
            if full_text:
                super().set_progress_handler(self.progress_handler[0], FULL_TEXT_CHECK_INSTRUCTIONS)
            elif (self.progress_handler[1] > IN_LOOP_CHECK_INSTRUCTIONS
                    and any(word in sql.lower() for word in PATTERN_MATCH_WORDS) and not is_the_projects_own(sql)):
                super().set_progress_handler(self.progress_handler[0], IN_LOOP_CHECK_INSTRUCTIONS)

        def is_visitors_full_text_search(self, sql):
            """Whether `sql` holds SQL a visitor wrote (a query, or a table's filter) and names a full-text table."""
            texts = getattr(_running_visitors_sql, "texts", ())
            if not texts or not any(text in sql for text in texts):
                return False
            if self.full_text_tables is None:
                # FTS5's, FTS4's and FTS3's virtual tables; their own tables' names hold theirs.
                self.full_text_tables = [name.lower() for (name,) in super().execute(
                    "select name from sqlite_master where type = 'table' and sql like 'create virtual table%using fts%'")]
            lowered = sql.lower()
            return any(name in lowered for name in self.full_text_tables)

        def cursor(self, factory=None):
            return super().cursor(factory or PatternCheckingCursor)

        def execute(self, sql, parameters=()):
            self.checking_often_for(sql)
            return super().execute(sql, parameters)

    class PatternCheckingCursor(datasettes_sqlite3.Cursor):
        def execute(self, sql, parameters=()):
            self.connection.checking_often_for(sql)
            return super().execute(sql, parameters)

    return CheckingPatternMatchesOften


# A result's fields as attributes: Jinja reads `result.url` as an attribute first, and a dict's
# key only after that lookup fails (0.8 against 0.1 µs each, ten a result).
SearchResult = collections.namedtuple("SearchResult", "paper_id url title snippet published_on tier upvotes")


def search_result(row, papers_url):
    title = row["title"]
    return SearchResult(
        paper_id=row["paper_id"],
        url=f"{papers_url}/{row['paper_id']}",
        title=Markup(_marked(title)) if isinstance(title, str) and title else "(no title)",
        snippet=Markup(_marked(row["snippet"])) if isinstance(row["snippet"], str) else None,
        published_on=row["published_on"],
        tier=row["tier"],
        upvotes=row["upvotes"],
    )


# What the search page shows the same way on every request, per server and database: the
# metadata lookups deep-copy Datasette's metadata, about 0.3 ms each. The query is taken as the
# first visitor sees it, which holds for a query from metadata.yml; a canned_queries plugin
# that gave each actor different SQL would need this per actor.
_search_page_parts = weakref.WeakKeyDictionary()


def search_page_sql(sql):
    """One page of the search query's rows, in its order (SQLite keeps a subquery's order where
    the outer query has none); line breaks keep a closing comment from hiding the ")"."""
    return f"select * from (\n{sql}\n) limit :search_page_rows offset :search_page_offset"


async def search_page_parts(datasette, database, actor):
    parts = _search_page_parts.setdefault(datasette, {})
    if database not in parts:
        query = await datasette.get_canned_query(database, SEARCH_QUERY, actor)
        site = datasette.metadata() or {}
        # The bundled search, whose cost the loop's bounds know (IN_LOOP_QUERIES), not one of a
        # user's own metadata: a prefix in its SQL held the loop 59 ms (review).
        bundled = IN_LOOP_QUERIES.get(SEARCH_QUERY) == sql_digest(query["sql"])
        if bundled:
            _own_statements.add(sql_digest(search_page_sql(query["sql"])))
        parts[database] = {
            "database": database,
            "sql": query["sql"],
            # The "edit SQL" link's sql=: percent-encoding 2,600 characters of SQL a character at a
            # time took 0.36 ms of each search page's 3.1 (at 100k papers, a rare word).
            "sql_argument": urllib.parse.urlencode({"sql": query["sql"]}),
            "page_sql": search_page_sql(query["sql"]),
            "searched_in_the_loop": bundled,
            "title": query.get("title") or SEARCH_QUERY,
            "description": query.get("description") or "",
            "site_title": site.get("title") or "Datasette",
            "home_url": datasette.urls.instance(),
            "database_url": datasette.urls.database(database),
            "search_url": f"{datasette.urls.database(database)}/{SEARCH_QUERY}",
            "papers_url": datasette.urls.table(database, "papers"),
            "app_css_url": f"{datasette.urls.static('app.css')}?{datasette.app_css_hash()}",
            "credits": [(label, site.get(key) or site.get(f"{key}_url"), site.get(f"{key}_url"))
                        for label, key in (("Data license", "license"), ("Data source", "source"), ("About", "about"))
                        if site.get(key) or site.get(f"{key}_url")],
        }
    return parts[database]


# The search page's template, compiled once per server by a plain (not async) Jinja environment
# that finds templates where Datasette does: a --template-dir first, then the plugin's own.
_search_templates = weakref.WeakKeyDictionary()


def search_template(datasette):
    import jinja2

    if datasette not in _search_templates:
        environment = jinja2.Environment(loader=datasette.jinja_env.loader, autoescape=True)
        _search_templates[datasette] = environment.get_template("papers-search.html")
    return _search_templates[datasette]


# Facets counted at build time. metadata.yml configures each table's facets as `precounted`, a
# type of its own: a second class of Datasette's type "column" would run beside ColumnFacet, and
# every facet would be counted (and shown) twice.
PRECOUNTED_FACET = "precounted"
# A table page's facets over every row it shows are the build's counts where nothing narrows its
# rows, and the facet combinations' where only facet values do (counted_at_build). What narrows
# rows is a column filter, or an argument Datasette's own filters read (_search, _where,
# _through); no other argument does (order, paging, columns, labels, format, `?_x=1`) while
# Datasette's filters are the only ones. Another plugin's filter may narrow any page, whatever its
# arguments, so then every page counts live.
# On a later page (_next) Datasette 0.65 counts only the rows after the page's cursor (on the
# seeds' second page of papers, 2023: 49 of its 68) while the page says 319 rows; the whole
# table's counts agree with the rows the page says it has.


def keeps_the_rows(name):
    """Whether a table page's argument `name` leaves its rows as they are, with Datasette's own
    filters alone: any underscore argument they do not read. At a million papers `?_x=1`,
    `?_label=tier` or `?_hide_sql=1` made the papers page count all its facets live (0.9 s, and
    not an open-ended request), when only a list of known arguments kept the build's counts."""
    return not is_column_filter(name) and not read_by_datasettes_filters(name)


def is_column_filter(name):
    """Whether Datasette's table view reads an argument as a column filter (its Filters): `column`
    or `column__operation`, where a column's name may start with an underscore."""
    return not name.startswith("_") or "__" in name


def read_by_datasettes_filters(name):
    """Whether Datasette 0.65's own filters_from_request hooks (datasette/filters.py) filter rows by
    the argument `name`: a search (_search, _search_<column>), SQL (_where), a join (_through).
    (_searchmode, _fts_table and _fts_pk only change a search.) A name with `__` is a column filter."""
    return name in ("_where", "_through") or is_search_argument(name)


def is_search_argument(name):
    """A table or view page's search: `_search`, or `_search_<column>` (not `_searchmode`)."""
    return name.startswith("_search") and name != "_searchmode"


def only_datasettes_and_this_plugins(*hook_names):
    """Whether Datasette's own plugins (its DEFAULT_PLUGINS, as it registered them) and this one are
    the only implementations of the hooks `hook_names`: with filters_from_request, a page's rows are
    narrowed only by what its arguments say. The plugins can change while a server runs (a test's
    do), so this is asked each time (a few µs). This plugin is known by its functions' module,
    whatever name it was loaded under (`--plugins-dir` loads this file as "__init__.py", which
    sys.modules lacks: review); another plugin is not Datasette's by taking one of its names."""
    from datasette.plugins import DEFAULT_PLUGINS

    return all(getattr(hook.function, "__globals__", None) is globals()
               or (hook.plugin_name in DEFAULT_PLUGINS and hook.plugin is sys.modules.get(hook.plugin_name))
               for name in hook_names for hook in getattr(plugin_manager().hook, name).get_hookimpls())
PRECOUNTED_SQL = """
select column_name, value, count from (
  select column_name, value, count,
    row_number() over (partition by column_name order by value is null, count desc, value) as position
  from facet_counts where table_name = :table
)
where position <= :limit
order by column_name, position
"""


async def without_the_page_cursor(datasette, database, table, sql, params, request):
    """(sql, params) of a table page's facets over every row its filters keep.

    On a later page Datasette 0.65 gives facets its rows query with the condition for the rows
    after the page's cursor, so they counted only those: page 2 of the seeds' `_search=model`
    counted 184 of its 235 papers. That condition is the last of the query's and takes the last
    parameters; it is rebuilt here as views/table.py writes it and taken off. Any other query is
    left as it is."""
    from datasette.utils import compound_keys_after_sql, urlsafe_components

    token = request.args.get("_next") if request is not None else None
    db = datasette.get_database(database)
    if not token or table is None or await db.get_view_definition(table):
        return sql, params  # a view's _next is an offset, which its facets' query does not have
    sort, sort_desc = request.args.get("_sort"), request.args.get("_sort_desc")
    if not sort and not sort_desc:
        defaults = datasette.table_metadata(database, table)
        sort, sort_desc = defaults.get("sort"), defaults.get("sort_desc")
    components = urlsafe_components(token)
    sort_value = None
    if (sort or sort_desc) and len(components) > 1:
        sort_value = None if token.split(",")[0] == "$null" else components[0]
        components = components[1:]
    pks = await db.primary_keys(table)
    taken = (1 if not pks else len(pks) if len(components) == len(pks) else 0) + (sort_value is not None)
    first = len(params) - taken
    if not pks:
        after_key = f"rowid > :p{first}"
    else:
        after_key = compound_keys_after_sql(pks, first) if len(components) == len(pks) else ""
    column = escape_sqlite(sort or sort_desc or "")
    if not (sort or sort_desc):
        condition = after_key
    elif sort_value is None and sort_desc:
        condition = f"({column} is null and {after_key})"
    elif sort_value is None:
        condition = f"({column} is not null or ({column} is null and {after_key}))"
    else:
        value = f":p{len(params) - 1}"
        nulls = "" if sort else f" or {column} is null"
        condition = f"({column} {'>' if sort else '<'} {value}{nulls} or ({column} = {value} and {after_key}))"
    for joined in (" and ", "where "):
        if condition and sql.endswith(f"{joined}{condition} "):
            kept = {name: value for name, value in params.items()
                    if not re.fullmatch(r"p\d+", name) or int(name[1:]) < first}
            return sql[:-len(f"{joined}{condition} ")] + " ", kept
    return sql, params


@hookimpl(tryfirst=True)  # first, as metadata facets come first: a ?_facet= repeat of one gets the name_2 key
def register_facet_classes():
    return [precounted_facet_class()]


@functools.cache
def precounted_facet_class():
    """The facet class, made when Datasette first asks for it: datasette.facets is not imported
    while Datasette imports its plugins (see datasette_error_page)."""
    from datasette.facets import ColumnFacet

    class PrecountedFacet(ColumnFacet):
        """A column facet of the whole table from facet_counts, exactly as ColumnFacet would
        count it; counted live by ColumnFacet where the page filters rows or a column was not counted."""

        type = PRECOUNTED_FACET

        async def suggest(self):
            return []  # ColumnFacet suggests columns

        async def facet_results(self):
            configs = self.get_configs()
            if not configs:
                return [], []
            self.sql, self.params = await without_the_page_cursor(self.ds, self.database, self.table, self.sql,
                                                                  self.params, self.request)
            columns = list(dict.fromkeys(config_column(config) for config in configs))
            counted = await self.counted_at_build(columns)
            timed_out = []
            if counted is None or not all(column in counted for column in columns):
                if any(config["source"] != "metadata" for config in configs):
                    # A visitor's own facet may have a value a row (`_facet_precounted=id`):
                    # grouped with the others, every combination would come back to Python.
                    results, timed_out = await super().facet_results()
                    return [as_column_facet(result) for result in results], timed_out
                counted, timed_out = await self.counted_live(columns)
            facet_size = self.get_facet_size()
            return [await self.facet_info(config, counted[config_column(config)], facet_size)
                    for config in configs if config_column(config) in counted], timed_out

        async def counted_live(self, columns):
            """({column: rows} in Datasette's order, []) counted from the page's rows in one pass,
            grouped by every facet column at once; ({}, columns) if that ran out of time.
            ColumnFacet reads the rows once per facet, each up to facet_time_limit_ms: at a
            million papers `_search=model` spent four 400 ms time-outs."""
            from datasette.database import QueryInterrupted

            grouped = ", ".join(escape_sqlite(column) for column in columns)
            try:
                rows = await self.ds.execute(
                    self.database, f"select {grouped}, count(*) from ({self.sql}) group by {grouped}", self.params,
                    truncate=False, custom_time_limit=self.ds.setting("facet_time_limit_ms") * len(columns))
            except QueryInterrupted:
                return {}, columns
            return summed_per_column(rows.rows, columns, self.get_facet_size() + 1), []

        async def counted_at_build(self, columns):
            """{column: [{"value": ..., "count": ...}, ...]}, the first facet_size + 1 values of
            each column in Datasette's order: from facet_counts for a page of the whole table, from
            the table's facet combinations for a page filtered by facet values alone. None for any
            other page, a file that may have changed since its build, one built without them, or
            while another plugin's filter may narrow any page's rows."""
            database = self.ds.get_database(self.database)
            if database.is_mutable or self.table is None or not only_datasettes_and_this_plugins("filters_from_request"):
                return None
            combinations = f"{self.table}_facet_combinations"
            combined = [column for column in await table_columns_if_any(database, combinations) if column != "count"]
            selection = self.facet_selection(combined)
            if selection is None:
                return None
            if selection:
                return await self.summed_combinations(database, combinations, combined, selection, columns)
            if not await table_columns_if_any(database, "facet_counts"):
                return None  # built before facet_counts existed
            rows = await database.execute(PRECOUNTED_SQL, {"table": self.table, "limit": self.get_facet_size() + 1})
            counted = {}
            for column, value, count in rows.rows:
                counted.setdefault(column, [])
                if value is not None:  # Datasette's facets leave NULL out
                    counted[column].append({"value": value, "count": count})
            return counted

        def facet_selection(self, combined):
            """{column: value} of the page's filters when each is an exact one on a column of the
            table's facet combinations (`combined`): {} for a page of the whole table; None when
            anything else may narrow its rows (another filter, _search, _where, _through, or a
            column asked for two values: keeps_the_rows)."""
            selection = {}
            for name, value in self.get_querystring_pairs():
                if keeps_the_rows(name):
                    continue
                column, operation = filter_column_and_operation(name)
                if operation != "exact" or column not in combined:
                    return None
                if selection.setdefault(column, value) != value:
                    return None
            return selection

        async def summed_combinations(self, database, table, combined, selection, columns):
            """The counts of each facet column in `columns` over the rows `selection` keeps, summed
            from the table's facet combinations (`table`, with the columns `combined`) in one
            grouping, in Datasette's order."""
            where = " and ".join(f"{escape_sqlite(column)} = :p{number}" for number, column in enumerate(selection))
            parameters = {f"p{number}": value for number, value in enumerate(selection.values())}
            columns = [column for column in dict.fromkeys(columns) if column in combined]
            grouped = ", ".join(escape_sqlite(column) for column in columns)
            rows = await database.execute(
                f"select {grouped}, sum(count) from {escape_sqlite(table)} where {where} group by {grouped}", parameters)
            return summed_per_column(rows.rows, columns, self.get_facet_size() + 1)

        async def facet_info(self, config, rows, facet_size):
            """The facet as ColumnFacet.facet_results gives it for these counted rows."""
            column = config_column(config)
            shown = rows[:facet_size]
            expanded = {}
            if self.table and shown:  # a query page's facet has no foreign keys to label
                expanded = await self.ds.expand_foreign_keys(self.database, self.table, column, [row["value"] for row in shown])
            return {
                "name": column,
                "type": "column",
                "hideable": config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
                "results": [self.facet_value(column, row, expanded) for row in shown],
                "truncated": len(rows) > facet_size,
            }

        def facet_value(self, column, row, expanded):
            # Selected, and its link removing the filter, exactly as ColumnFacet decides it.
            column_qs = f"{column}__exact" if column.startswith("_") else column
            selected = (column_qs, str(row["value"])) in self.querystring_pairs
            if selected:
                toggle_path = path_with_removed_args(self.request, {column_qs: str(row["value"])})
                toggle_url = self.ds.absolute_url(self.request, self.ds.urls.path(toggle_path))
            else:
                toggle_url = self.link_adding(column_qs, row["value"])
            return {
                "value": row["value"],
                "label": expanded.get((column, row["value"]), row["value"]),
                "count": row["count"],
                "toggle_url": toggle_url,
                "selected": selected,
            }

        # A page shows up to 30 values a facet, each linked: parsing its query string twice and
        # joining URLs for each value was about 9% of a table page with one row (98 parses). A
        # facet instance serves one request, so both are read once a page.
        @functools.cached_property
        def querystring_pairs(self):
            return self.get_querystring_pairs()

        @functools.cached_property
        def link_start(self):
            kept = urllib.parse.urlencode(urllib.parse.parse_qsl(self.request.query_string))
            start = self.ds.absolute_url(self.request, self.ds.urls.path(self.request.path))
            return f"{start}?{kept}&" if kept else f"{start}?"

        def link_adding(self, name, value):
            """The page's absolute URL with name=value added, as Datasette's path_with_added_args
            and absolute_url write it. The value is never None: counted facets leave NULL out,
            and path_with_added_args would take None to remove the argument."""
            return self.link_start + urllib.parse.urlencode({name: value})

    return PrecountedFacet


# The columns of facet_counts and of each facet combinations table in each immutable database:
# asked on every table page, and the answer cannot change while the file is served
# (counted_at_build requires immutable).
_table_columns = weakref.WeakKeyDictionary()


async def table_columns_if_any(database, table):
    """The table's columns, or () where the file has no such table."""
    known = _table_columns.setdefault(database, {})
    if table not in known:
        known[table] = tuple(await database.table_columns(table)) if await database.table_exists(table) else ()
    return known[table]


def filter_column_and_operation(name):
    """A table page's filter argument as Datasette reads it: `column__operation`, or a bare
    column for `exact`."""
    return tuple(name.rsplit("__", 1)) if "__" in name else (name, "exact")


def sqlite_order(value):
    """A sort key ordering values as SQLite does: numbers, then text, then BLOBs."""
    return (isinstance(value, str) + 2 * isinstance(value, bytes), value)


def summed_per_column(rows, columns, kept):
    """{column: [{"value": ..., "count": ...}, ...]}: the first `kept` values of each of `columns`
    in Datasette's order (most rows first, then by value; NULL left out, as Datasette's facets
    leave it), summed from rows grouped by every column at once, each row's count last."""
    counted = {}
    for position, column in enumerate(columns):
        counts = collections.Counter()
        for row in rows:
            if row[position] is not None:
                counts[row[position]] += row[-1]
        in_order = sorted(counts.items(), key=lambda item: (-item[1], sqlite_order(item[0])))
        counted[column] = [{"value": value, "count": count} for value, count in in_order[:kept]]
    return counted


def config_column(config):
    """The column of one facet configuration, as ColumnFacet reads it."""
    return config["config"].get("column") or config["config"]["simple"]


def as_column_facet(result):
    """A facet ColumnFacet counted for the precounted type, named the type it is shown as."""
    return {**result, "type": "column"}


# Serving to the public (issue 16): every visitor may run arbitrary SQL, so every connection gets
# SQLite's checklist for untrusted SQL ("Defense Against the Dark Arts"): lower limits, an
# authorizer, guarded functions, a heap limit; and every request is bounded before it reaches SQL.
# Datasette's own time limit is a progress handler, which only runs between opcodes: it cannot
# stop one long function call, which is what most of these bound. Timings are SQLite 3.40.1 here.

# The largest value in the seeds' database is 4,059 bytes (an FTS5 block; an abstract: 1,918), and
# abstracts are capped at a few KB at the source. 250,000 bytes is 60 times that, yet small
# enough for the worst single call on two values this size: instr() or replace() of a 125 kB
# needle in a 250 kB haystack takes 0.28 s (1 MB values: 5.6 s; 500 kB: 1.2 s).
VALUE_BYTES_LIMIT = 250_000
FUNCTION_ARGUMENTS_LIMIT = 32
LIKE_PATTERN_LIMIT = 100  # characters
SQLITE_LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: VALUE_BYTES_LIMIT,
    # The SQL box is capped at 10,000 characters (SQL_TEXT_LIMIT); Datasette's own generated SQL
    # for a table page is about 1 kB.
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    # The widest table (listings) has 16 columns.
    sqlite3.SQLITE_LIMIT_COLUMN: 100,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 100,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    # The largest query served (the search) compiles to 719 opcodes; a visitor's 50 unions of a
    # view to 6,200 (420 KiB of SQLite's memory, kept with the statement: connecting_with_few_statements_kept).
    # SQLite grows a program's array twice over at a time (42, 84, ... 2,688, 5,376 opcodes) and
    # refuses a growth past the limit: 6,000 lets a program reach 5,376 (5,000 stopped it at 2,688).
    sqlite3.SQLITE_LIMIT_VDBE_OP: 6_000,
    # SQLite's checklist for untrusted SQL says 8, but json_object() of 5 pairs, a record an
    # analyst builds, was refused (review); 32 takes 16 pairs. A call's cost is bounded otherwise:
    # values by their length, printf() by its guard, a statement by its opcodes.
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: FUNCTION_ARGUMENTS_LIMIT,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    # `x like '%aaa…b'` costs the value's length times the pattern's: a 50,000-character pattern
    # (SQLite's default limit) on a 500 kB value took 27 s; 100 characters on 250 kB take 0.03 s.
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: LIKE_PATTERN_LIMIT,
    # Datasette looks up the labels of a page's foreign keys with one parameter per row: up to
    # max_returned_rows (1,000).
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 2_000,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 10,
}
# Process-wide, the last line under every other limit: SQLite's own memory (page caches of about
# 2 MB per connection, FTS5 doclists) stays far below it in normal use, and it is half the 500 MB
# the whole serving process should stay under.
HEAP_BYTES_LIMIT = 256 * 2**20
# What one query may return to Python: max_returned_rows (1,000) rows of a paper with both its
# abstracts (about 2 kB each at most, 4 kB together) are 4 MB. Without it, 1,000 rows of 250 kB values would be 250 MB.
RESULT_BYTES_LIMIT = 16 * 2**20

# load_extension would run native code; fts3_tokenizer('simple') returns a pointer (an address
# leak), and its two-argument form writes one. Debian's SQLite enables it, and a bound parameter
# gets past SQLite's own switch. sqlite_stmt lists the SQL of other visitors' cached statements.
# sqlite_compileoption_get(N) lists how SQLite was built, as pragma_compile_options does.
DENIED_FUNCTIONS = {"load_extension", "fts3_tokenizer", "sqlite_compileoption_get", "sqlite_compileoption_used"}
DENIED_TABLES = {"sqlite_stmt"}
# Pragma functions a visitor's SQL may read: Datasette's own list (which it checks in the SQL's
# text, after dropping lines that open with `--`, so `/*` on the line before one hid
# `pragma_compile_options` from it), but database_list, which names the file's path on the server.
READABLE_PRAGMAS = frozenset(allowed_pragmas) - {"database_list"}

# printf('%.*c', 2000000000, 'x') ran 7.4 s under any length limit (SQLite caps the precision
# only when compiled to), so printf()/format() refuse widths and precisions above this.
PRINTF_WIDTH_LIMIT = 10_000
PRINTF_FORMAT_LIMIT = 1_000  # characters of a printf()/format() format: a long SQL line's worth
# trim(x, y) compares each character of x it removes with each of y: a 19,000-character y on a
# 250 kB x took 10.6 s. The time limit is checked every 1,000 of SQLite's instructions, about three
# rows of 60 calls, and 10,000 characters of SQL make a row of 400 calls: 60 ltrim() a row on 248 kB
# with 100 characters (39 ms a call) answered after 9.8 s (found by review); with 20 characters, 7 ms
# a call, answered after 3.0-3.35 s on a machine 1.7 times slower. So a call may make at most
# TRIM_COMPARISONS_LIMIT comparisons, x's characters times y's: 250,000 by 10, or a title of 200
# characters by 12,500.
TRIM_COMPARISONS_LIMIT = 2_500_000
# json_patch(a, b) looks up each key of b among a's: 20,000 keys each took 3.3 s; a 10 kB patch
# on a 250 kB document took 17 ms, forty a row 3.7 s past the limit (review); 2 kB, 3.6 ms.
JSON_PATCH_BYTES_LIMIT = 2_000

# Request bounds, checked before any SQL runs. A search text of 12,000 words took 0.9 s on the
# seeds' 319 papers (a 120 kB one 12 s on a larger build); 200 characters is a long title.
SQL_TEXT_LIMIT = 10_000
SEARCH_TEXT_LIMIT = 200
PARAMETER_LIMIT = 10_000
# Datasette 0.65 parses the whole query string again each time it reads request.args, and reads
# it once per parameter name (views/table.py, views/database.py), in the event loop: 4,100 blank
# names (15.7 kB) held the whole server 27.5 s, and 100 names beside 10,000 Chinese characters of
# SQL (90 kB) 0.33 s. So the parameters times the query string's bytes are bounded too: a page
# needs a few dozen short ones (a _col for each of a table's 17 columns, 10 facets), a long SQL
# text a few beside it.
PARAMETERS_LIMIT = 100
QUERY_STRING_LIMIT = 128 * 1024  # bytes: 10,000 characters of SQL percent-encoded are up to 90 kB
QUERY_PARSE_BUDGET = 1_000_000  # parameters x query-string bytes: about 4 ms of parsing a request
# Python's cookie parser (http.cookies, which asgi_csrf and Datasette run on every request) takes
# time growing with the square of a quoted value's backslashes: 15,000 of them held a server 1.45 s,
# 48 kB of them 15.8 s (CVE-2024-7592, not fixed in Python 3.11.7), and with the square of a run of
# "=" before a quote (8,150: 0.94 s). asgi_csrf also answers a 500 to a cookie that is not UTF-8.
# This site needs no cookie but Datasette's own (it has no login and takes no form): only those,
# in a form the parser reads at once, reach it (datasettes_cookies).
COOKIE_BYTES_LIMIT = 8 * 1024  # a browser keeps a cookie to 4 kB
# No OPTIONS: `serve` does not turn on Datasette's CORS headers, so there is no preflight to answer.
READ_METHODS = ("GET", "HEAD")


def limit_connection(conn):
    for category, value in SQLITE_LIMITS.items():
        conn.setlimit(category, value)
    conn.execute(f"pragma hard_heap_limit = {HEAP_BYTES_LIMIT}")
    # The search keeps equal scores in id order through FTS5's own sort (metadata.yml), which
    # SQLite's sorter does in one thread, its default; with worker threads, a sort that spills to
    # disk merges its runs by thread and can put equal scores out of order.
    conn.execute("pragma threads = 0")
    install_guarded_functions(conn)
    conn.row_factory = ResultBudget(RESULT_BYTES_LIMIT)
    conn.set_authorizer(authorize)


def authorize(action, arg1, arg2, database, trigger):
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and is_denied_table((arg1 or "").lower()):
        return sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def is_denied_table(name):
    # Datasette's own PRAGMA statements (table_xinfo, cache_size, ...) read no pragma_ table.
    return name in DENIED_TABLES or (name.startswith("pragma_") and name[len("pragma_"):] not in READABLE_PRAGMAS)


class ResultBudget:
    """Row factory: sqlite3.Row, until one cursor's rows would be more than `limit` characters
    as JSON or as HTML (result_length). A character outside ASCII is 6 (12 beyond the BMP) in
    Datasette's JSON: counted as one, 268 rows of emoji were 201 MB of JSON and took the server to
    1.1 GB. An `&` is 5 in HTML (`&amp;`): 16 MB of them made an 80 MB query page, and twelve at
    once took a server to 934 MiB.

    Counting text exactly reads it several times over: 0.75 ms of the 1.05 ms a papers page's 51
    rows took (three abstracts each, 100k papers). So text is counted exactly only once the rows so
    far could be over the limit, each character being at most CHARACTERS_WRITTEN_AT_MOST: the rows
    are refused at the same row as when each is counted as it comes."""

    def __init__(self, limit):
        self.limit = limit
        self.cursor = lambda: None
        self.used = 0  # the exact length of what is counted
        self.uncounted, self.at_most = [], 0  # text not yet counted, and the most it can be

    def __call__(self, cursor, row):
        if self.cursor() is not cursor:
            self.cursor, self.used, self.uncounted, self.at_most = weakref.ref(cursor), 0, [], 0
        for value in row:
            if isinstance(value, str):
                self.uncounted.append(value)
                self.at_most += CHARACTERS_WRITTEN_AT_MOST * len(value)
            elif isinstance(value, bytes):
                self.used += result_length(value)  # its length alone
        if (self.used + self.at_most > self.limit or self.at_most > CHARACTERS_WRITTEN_AT_MOST * UNCOUNTED_CHARACTERS_KEPT
                or len(self.uncounted) > UNCOUNTED_VALUES_KEPT):
            self.used += sum(map(result_length, self.uncounted))
            self.uncounted, self.at_most = [], 0
            if self.used > self.limit:
                raise sqlite3.DataError(f"query result larger than {self.limit // 2**20} MB")
        return sqlite3.Row(cursor, row)


# The most result_length counts for one character: 12 in JSON beyond the BMP (\ud83d\ude00), and
# in HTML an apostrophe (&#x27;, 6) in a URL, which is written twice.
CHARACTERS_WRITTEN_AT_MOST = 12
# Text kept to count later: references to values the rows hold while they are read, which the
# connection's budget keeps until its next query returns a row. A papers page's 51 rows are about
# 150,000 characters; at most 1 MB (4 bytes a character) stays per SQL thread, 6 per process.
UNCOUNTED_CHARACTERS_KEPT = 2**18
UNCOUNTED_VALUES_KEPT = 10_000


def result_length(value):
    """A value's length as Datasette writes it, in JSON or in HTML, whichever is longer."""
    if isinstance(value, bytes):
        return (len(value) + 2) // 3 * 4  # base64 in JSON
    # Escaped: & is &amp;, " &#34;, < &lt;, > &gt;, and ' &#39; (&#x27; in the plugin's own cells).
    in_html = len(value) + 4 * (value.count("&") + value.count('"')) + 5 * value.count("'") + 3 * (
        value.count("<") + value.count(">"))
    if is_url(value.strip()):
        in_html *= 2  # Datasette links a URL to itself: <a href="URL">URL</a> (a URL, once stripped)
    return max(json_length(value), in_html)


def json_length(value):
    """A value's length as Datasette's JSON writes it (bytes by their own length): printable
    ASCII is itself but for `"` and `\\`; a control character is 6 (`\\u0001`), as is any other
    character outside ASCII, and 12 beyond the BMP."""
    if isinstance(value, bytes) or (value.isascii() and value.isprintable() and '"' not in value and "\\" not in value):
        return len(value)
    return len(json.dumps(value)) - 2  # not its quotes


def install_guarded_functions(conn):
    """Replace built-in functions whose single call the limits do not bound by a check of the
    arguments, then the built-in itself, run on a plain in-memory connection; and instr() and
    replace() by Python's own search (linear_instr, linear_replace)."""
    # No statement kept: a kept one holds its last arguments, up to 250 kB each, and a query calling
    # each guarded function left 15 MB of SQLite's heap held a thread for good (found by review).
    builtins = sqlite3.connect(":memory:", check_same_thread=False, cached_statements=0)
    builtins.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_BYTES_LIMIT)
    for name, arity, too_big in GUARDED_FUNCTIONS:
        conn.create_function(name, arity, guarded(builtins, name, too_big), deterministic=True)
    conn.create_function("instr", 2, linear_instr(guarded(builtins, "instr", searches_too_long)), deterministic=True)
    conn.create_function("replace", 3, linear_replace(guarded(builtins, "replace", searches_too_long)),
                         deterministic=True)
    quiet_guarded_failures()


def linear_instr(builtin):
    """instr() in time linear in its arguments: SQLite compares the needle at each place of the
    haystack, and the 1 s time limit, checked between instructions, cannot stop one call: ten
    calls a row on 250 kB of zeros ran a query 26 s past it (found by review). Text in text and
    a BLOB in a BLOB are found by Python's search (characters and bytes counted as SQLite does);
    anything else is the built-in's, refused where it could take long (searches_too_long)."""
    def instr(haystack, needle):
        kind = type(haystack)
        if kind is type(needle) and (kind is str or kind is bytes):
            return haystack.find(needle) + 1
        return builtin(haystack, needle)
    instr.is_guarded_function = True  # quiet_guarded_failures
    return instr


def linear_replace(builtin):
    """replace() in time linear in its arguments (as linear_instr, and for the same reason), for
    text: never making a result over the length limit, which SQLite refuses (a search of 125,000
    characters made 0.28 s a call). Anything else is the built-in's, as linear_instr's."""
    def replace(text, old, new):
        if type(text) is not str or type(old) is not str or type(new) is not str:
            return builtin(text, old, new)
        if not old or old[0] == "\0":
            return text  # as SQLite: an empty pattern replaces nothing, nor one that opens with NUL (a C string's end)
        if len(text) + text.count(old) * (len(new) - len(old)) > VALUE_BYTES_LIMIT:
            return TOO_BIG
        return text.replace(old, new)
    replace.is_guarded_function = True
    return replace


def searches_too_long(args):
    """For instr() and replace() on what linear_instr and linear_replace leave to SQLite (a number,
    a BLOB in text): whether its search could take long, the haystack's length times the needle's."""
    haystack, needle = (len(as_text(value)) for value in args[:2])
    return haystack * needle > SEARCH_WORK_LIMIT


SEARCH_WORK_LIMIT = 10**8  # compared characters: 2 ms at most


def quiet_guarded_failures():
    """Keep a guarded function's failure out of the server's log: Datasette turns on sqlite3's
    callback tracebacks, so `json_patch('{', '{}')` ("malformed JSON"), a printf() that makes text
    that is not UTF-8, or an argument that is not (`cast(x'c0' as text)`: sqlite3 fails to read it
    before the function runs) logged a traceback a request, which anyone could repeat. The query
    still fails, a 400 to the visitor. Every other unraisable exception goes where it went."""
    if getattr(sys.unraisablehook, "quiets_guarded_failures", False):
        return
    previous = sys.unraisablehook

    def hook(unraisable):
        # What a visitor's arguments can make them raise: SQLite's own error, or text that is not UTF-8.
        if getattr(unraisable.object, "is_guarded_function", False) and issubclass(
                unraisable.exc_type, (sqlite3.OperationalError, UnicodeDecodeError)):
            return
        previous(unraisable)

    hook.quiets_guarded_failures = True
    sys.unraisablehook = hook


# A result over the length limit makes SQLite answer "string or blob too big" itself; raising
# would do the same, but Datasette turns on callback tracebacks, so each refusal would log one.
TOO_BIG = b"\0" * (VALUE_BYTES_LIMIT + 1)


def guarded(builtins, name, too_big):
    def call(*args):
        if too_big(args):
            return TOO_BIG
        try:
            # One statement text per argument count: sqlite3 keeps each prepared (128 at most).
            return builtins.execute(f"select {name}({', '.join('?' * len(args))})", args).fetchone()[0]
        except sqlite3.DataError:
            return TOO_BIG
    call.is_guarded_function = True  # quiet_guarded_failures
    return call


PRINTF_SPEC = re.compile(r"%%|%[-+ #!0,]*(\*|\d*)(?:\.(\*|\d*))?")
LEADING_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def as_text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def as_number(value):
    """What SQLite makes of a value where printf() wants a width: text's leading number."""
    if isinstance(value, (int, float)):
        return abs(value)
    match = LEADING_NUMBER.match(as_text(value))
    return abs(float(match.group())) if match else 0


def trim_too_long(args):
    return len(as_text(args[0])) * len(as_text(args[1])) > TRIM_COMPARISONS_LIMIT


def printf_too_big(args):
    form = as_text(args[0] if args else None)
    if len(form) > PRINTF_FORMAT_LIMIT:
        # Its specifications read in Python for each row: one of 240 kB took 80 ms a call, holding
        # the server's event loop meanwhile (found by review).
        return True
    specs = [spec for spec in PRINTF_SPEC.finditer(form) if spec.group() != "%%"]
    sizes = [size for spec in specs for size in spec.groups() if size]
    if any(size.isdigit() and int(size) > PRINTF_WIDTH_LIMIT for size in sizes):
        return True
    # A width from the arguments (`*`): refuse when any argument is a number that large.
    return "*" in sizes and any(as_number(value) > PRINTF_WIDTH_LIMIT for value in args[1:])


GUARDED_FUNCTIONS = [
    ("printf", -1, printf_too_big),
    ("format", -1, printf_too_big),
    ("trim", 2, trim_too_long),
    ("ltrim", 2, trim_too_long),
    ("rtrim", 2, trim_too_long),
    ("json_patch", 2, lambda args: len(as_text(args[1])) > JSON_PATCH_BYTES_LIMIT),
]


ACCEPT_FAILURE = "socket.accept() out of system resource"  # asyncio's messages, as it logs them
ACCEPT_RETRY_FAILURE = "Exception in callback BaseSelectorEventLoop._start_serving"
ACCEPT_FAILURE_LOG_SECONDS = 60


class RepeatedAcceptFailures(logging.Filter):
    """Lets asyncio's "socket.accept() out of system resource", and the failures of the retries it
    schedules, through once a minute at most each, in one line. A server at its open-file limit
    (half-open connections that are never finished: README, "Keep a proxy in front") logged the
    first with a 7-line traceback 524,667 times in a few minutes, 212 MB: Python 3.11's accept
    loop logs it for each connection of the listening socket's backlog it tries, and schedules a
    retry for each; stopped meanwhile, the server logged 22,926 tracebacks of retries that found
    the socket closed (36 MB). The accepting itself stays as asyncio does it."""

    def __init__(self):
        super().__init__()
        self.last_logged = {}  # message -> when it was last let through
        self.held_back = collections.Counter()

    def filter(self, record):
        kind = next((kind for kind in (ACCEPT_FAILURE, ACCEPT_RETRY_FAILURE) if str(record.msg).startswith(kind)), None)
        if kind is None:
            return True
        now = time.monotonic()
        if kind in self.last_logged and now - self.last_logged[kind] < ACCEPT_FAILURE_LOG_SECONDS:
            self.held_back[kind] += 1
            return False
        reason = record.exc_info[1] if record.exc_info else None
        held_back = f"; {self.held_back[kind]:,} more held back since the last" if self.held_back[kind] else ""
        record.msg = (f"{kind}: {reason or 'no reason given'} (new connections wait until open ones close; logged "
                      f"once a minute at most{held_back})")
        record.args, record.exc_info, record.exc_text = (), None, None
        self.last_logged[kind], self.held_back[kind] = now, 0
        return True


def quiet_repeated_accept_failures():
    """Filter asyncio's log through one RepeatedAcceptFailures, in every process that loads the
    plugin: it must be there before the first request, which an attack of half-open connections
    never finishes."""
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(existing, RepeatedAcceptFailures) for existing in asyncio_log.filters):
        asyncio_log.addFilter(RepeatedAcceptFailures())


quiet_repeated_accept_failures()


@hookimpl
def startup(datasette):
    """Datasette 0.65 prints every exception it answers with rich, locals and all, whenever rich is
    installed (typer installs it). That took about half a second of the server's Python process
    per 404 or bad parameter, stalling every other request, and logged a screenful per typo in a
    URL. Without rich, errors are answered as before. Datasette's own handler of errors is also
    left to this plugin's (handle_exception), which logs a traceback for the server's faults
    alone. Set once when the server starts, so every error path has it, however it returns.

    Every database's queries also free a failed query's cursor in the thread that ran it
    (freeing_failed_queries_in_their_thread), an immutable file's queries run in the event loop
    where a page asks for it (trying_the_loop_first, reading_tables_in_the_loop), its facet clicks are counted
    from its facet combinations and its whole views' rows from the inspect file
    (counting_table_pages_from_the_build) and its schema read once (remembering_the_schema), and
    a sorted table page is read from where its rows start (reading_sorted_pages_from_their_start).
    No query's error is written to the log as it happens, and the file's or disk's faults are
    500s (keeping_sql_errors_out_of_the_log). A visitor's SQL is checked for a SELECT in one pass
    (validate_sql_select_in_one_pass). The schemas of immutable files are read once, not before
    each request (refreshing_schemas_that_can_change), and pages are rendered in plain Jinja
    (rendering_in_plain_jinja)."""
    import datasette.handle_exception as default_handling  # not at import time: see datasette_error_page
    import datasette.views.database as database_view
    import datasette.views.table as table_view
    from datasette.plugins import pm

    default_handling.rich = None
    if pm.is_registered(default_handling):  # its hook runs beside this plugin's, and logs every 400's traceback
        pm.unregister(default_handling)
    database_view.validate_sql_select = validate_sql_select_in_one_pass
    if not hasattr(datasette.refresh_schemas, "datasettes"):
        datasette.refresh_schemas = refreshing_schemas_that_can_change(datasette, datasette.refresh_schemas)
    if not hasattr(datasette.expand_foreign_keys, "datasettes"):
        datasette.expand_foreign_keys = remembering_labels(datasette, datasette.expand_foreign_keys)
    if not hasattr(datasette._table_permission_allows, "datasettes"):
        datasette._table_permission_allows = remembering_table_permissions(datasette, datasette._table_permission_allows)
    if not hasattr(datasette.render_template, "datasettes"):
        datasette.render_template = rendering_in_plain_jinja(datasette, datasette.render_template)
    if not hasattr(table_view.display_columns_and_rows, "datasettes"):
        table_view.display_columns_and_rows = showing_cells_without_pluggy(table_view.display_columns_and_rows)
    if not hasattr(table_view.TableView.data, "datasettes"):
        table_view.TableView.data = reading_tables_in_the_loop(table_view.TableView.data)
    keeping_few_statements(datasette)
    for db in datasette.databases.values():
        db.execute_fn = freeing_failed_queries_in_their_thread(db.execute_fn)
        if not db.is_mutable:
            db.execute_fn = running_in_the_loop_when_asked(datasette, db, db.execute_fn)
            db.execute = counting_table_pages_from_the_build(datasette, db, db.execute)
        db.execute = reading_sorted_pages_from_their_start(db, db.execute)
        db.execute = answering_query_pages_within_limits(db.execute)
        db.execute = keeping_sql_errors_out_of_the_log(db.execute)
        if not db.is_mutable:
            db.execute = trying_the_loop_first(db, db.execute)
        if not db.is_mutable and not db.is_memory:
            remembering_the_schema(db, set(table_shapes(datasette).get(db.route, (None, {}))[1]))


def keeping_few_statements(datasette):
    """Each immutable file's connections keep few statements (connecting_with_few_statements_kept):
    set as the app is wrapped, before any request, and again at startup for a database added
    since. Under gunicorn a worker's first request ran SQL before the startup hook, and that
    thread's connection kept 128 (found by review)."""
    for db in datasette.databases.values():
        if not db.is_mutable and not db.is_memory and not hasattr(db.connect, "datasettes"):
            db.connect = connecting_with_few_statements_kept(db)


def connecting_with_few_statements_kept(database):
    """Database.connect for an immutable file, as Datasette 0.65 opens it (datasette/database.py),
    its connection keeping STATEMENTS_KEPT compiled statements where Python keeps 128.

    Each kept statement holds SQLite memory, counted in the process's one heap limit: 2,000
    visitors' queries of 50 unions of a view (420 KiB each compiled) filled it, kept in 6
    connections' caches, and from then on every page answered 400 "Too large" (found by review).
    A statement is at most 5,376 opcodes (SQLITE_LIMIT_VDBE_OP; about 70 bytes each), so the kept
    ones stay under 6 x 32 x 380 KiB, 71 MiB."""
    def connect(write=False):
        assert not write  # an immutable file is never written
        return immutable_file_connection(database)

    connect.datasettes = database.connect
    return connect


def immutable_file_connection(database, factory=None):
    from datasette.utils import sqlite3 as datasettes_sqlite3

    conn = datasettes_sqlite3.connect(f"file:{database.path}?immutable=1", uri=True, check_same_thread=False,
                                      cached_statements=STATEMENTS_KEPT,
                                      factory=factory or checking_pattern_matches_often_connection_class())
    database._all_file_connections.append(conn)
    return conn


# A table page with its facets runs about a dozen distinct statements; each connection keeps the
# last 32 (Python keeps 128).
STATEMENTS_KEPT = 32


def refreshing_schemas_that_can_change(datasette, refresh):
    """Datasette's refresh_schemas, which each of its views calls before answering, skipped once it
    has read the schema of every database, all of them immutable (the internal one aside).

    It asks each file its schema version, three SQL statements a request in all (0.55 ms, the
    no-SQL page's 2.05 ms down to 1.44 at 100k papers), and an immutable file's cannot change: a
    file replaced while served is refused (file_replaced). A database added later, or one that may
    change, is refreshed as Datasette does."""
    refreshed = None

    async def refresh_schemas():
        nonlocal refreshed
        databases = {name: db for name, db in datasette.databases.items() if name != "_internal"}
        if databases == refreshed:
            return
        # Datasette's returns at once while another request's refresh runs, which may yet fail:
        # only a refresh that ran here counts as done.
        ran_here = not datasette._refresh_schemas_lock.locked()
        await refresh()
        if ran_here and datasette.internal_db_created and not any(db.is_mutable for db in databases.values()):
            refreshed = databases

    refresh_schemas.datasettes = refresh
    return refresh_schemas


# Per server process: 10,000 labels of 500 characters took 7.4 MB as ASCII, 22.4 MB as emoji
# (measured); the bundled labels (file names, decisions, organisations, titles) are mostly far shorter.
LABELS_KEPT = 10_000
LABEL_CHARACTERS_KEPT = 500  # a longer label (a title is at most about 300) is asked each time


def remembering_labels(datasette, expand):
    """Datasette's expand_foreign_keys, which labels a page's foreign keys (a listing's source,
    decision, organisation and paper) and its facets' values, one query per column, remembering
    each label of an immutable file: the sources, decisions and organisations on a listings page
    were 6 of its 13 queries, and the same on most pages. The labels are the ones Datasette's
    function gives, kept by the value and its type (a table without a label column labels 1.0 as
    "1.0" and 1 as "1"); a value it gave none (no such row, or the query stopped) is asked again.
    Where Datasette's query stops at the time limit, the labels kept are still shown. A blank
    (NULL) key is not asked: no row has it, and Datasette's callers label none."""
    kept = collections.OrderedDict()  # (Database, table, column, value type, value) -> label, least recently used first

    async def expand_foreign_keys(database, table, column, values):
        db = datasette.databases[database]  # a database added again under its name is another
        if db.is_mutable or len({(type(value), value) for value in values}) != len(set(values)):
            # Values equal in Python but of two types (1 and 1.0) share a label there, as Datasette gives it.
            return await expand(database, table, column, values)
        labels, missing = {}, []
        for value in dict.fromkeys(values):
            key = (db, table, column, type(value), value)
            if key in kept:
                kept.move_to_end(key)
                labels[(column, value)] = kept[key]
            elif value is not None:  # `in (null)` finds no row: a blank foreign key has no label
                missing.append(value)
        if missing:
            found = await expand(database, table, column, missing)
            for (found_column, value), label in found.items():
                labels[(found_column, value)] = label
                if label is None or isinstance(label, (int, float)) or (isinstance(label, str) and len(label) <= LABEL_CHARACTERS_KEPT):
                    kept[(db, table, found_column, type(value), value)] = label
            while len(kept) > LABELS_KEPT:
                kept.popitem(last=False)
        return labels

    expand_foreign_keys.datasettes = expand
    return expand_foreign_keys


# Per server process, of the tables the metadata names; each is a short list (none at all for a
# table without an allow block).
TABLE_PERMISSIONS_KEPT = 1_000


def remembering_table_permissions(datasette, allows):
    """Datasette's _table_permission_allows (the allow blocks of a table's metadata, which its
    view-table permission check reads), remembered per database and table while the metadata is
    the one it was read from, for the tables the metadata names and those of the served files.

    Datasette 0.65.5 deep-copies the whole metadata, every column's description included, for each
    check: 0.15 ms each at 100k papers. The database page makes one for each of its 26 tables and
    views, twice: 78% of its 15 ms; a table page two. Datasette reads metadata.yml once, when it
    starts; metadata set anew (`_metadata_local`) is read anew, and while any plugin gives
    metadata (get_metadata), which may change from one request to the next, every check asks.
    Any other table is asked each time: a row page checks a table before it checks that the table
    exists (`/_internal/<any name>/1`), so visitors choose such names."""
    kept = collections.OrderedDict()  # (database, table) -> allow blocks, least recently used first
    kept_from, named = None, set()  # the metadata they were read from, and the tables it names
    served = {(name, table) for name, tables in table_shapes(datasette).values() for table in tables}

    def table_permission_allows(database, table):
        nonlocal kept_from, named
        if plugin_manager().hook.get_metadata.get_hookimpls():
            return allows(database, table)
        if datasette._metadata_local is not kept_from:
            kept.clear()
            kept_from = datasette._metadata_local
            named = tables_named_in(kept_from)
        if table.lower() not in named and (database, table) not in served:
            return allows(database, table)
        key = (database, table)
        if key not in kept:
            kept[key] = allows(database, table)
            while len(kept) > TABLE_PERMISSIONS_KEPT:
                kept.popitem(last=False)
        kept.move_to_end(key)
        return copy.deepcopy(kept[key])  # a copy, as Datasette's gives: its caller may change what it gets

    table_permission_allows.datasettes = allows
    return table_permission_allows


def tables_named_in(metadata):
    """The table names under any `tables` block of metadata (its own, or a database's), in lower
    case. Datasette 0.65.5 matches a table to its metadata with ASCII letters folded; lower() folds
    more, which only keeps more answers, each still Datasette's."""
    if not isinstance(metadata, dict):
        return set()
    databases = metadata.get("databases") or {}
    blocks = [metadata.get("tables"), *(database.get("tables") for database in databases.values() if isinstance(database, dict))]
    return {name.lower() for block in blocks if isinstance(block, dict) for name in block if isinstance(name, str)}


def keeping_sql_errors_out_of_the_log(execute):
    """A database's execute that asks Datasette not to write a failed query to the log, and
    raises a fault of the server's file or disk as a ServerFault.

    Datasette 0.65 wrote `ERROR: conn=..., sql = ..., params = ...` for every query SQLite refused:
    a visitor's misspelt column in `?sql=`, a `_where` or a facet on no such column. Each line
    repeated the visitor's SQL (up to 100,000 characters, SQLITE_LIMIT_SQL_LENGTH) and parameters
    beside the access log's line, under a word that says the server failed. A visitor's error is
    answered with its message (handle_exception).

    A fault of the file or disk ("disk I/O error", "database disk image is malformed") goes on as
    a ServerFault, which handle_exception answers with a 500 and logs with its traceback, on every
    page. Datasette's table, row and CSV views answered a "disk I/O error" (an OperationalError,
    as a visitor's mistake is) with a 400 "Invalid SQL", and its ERROR line was all the log had."""
    async def execute_quietly(sql, params=None, **kwargs):
        try:
            return await execute(sql, params, **{**kwargs, "log_sql_errors": False})
        except sqlite3.DatabaseError as error:
            if visitor_error(error)[0] >= 500:
                raise ServerFault(str(error)) from error
            if (named := with_the_limit_named(error)) is not error:
                raise named from None
            raise
    return execute_quietly


# SQLite's words for a query past one of this server's limits (SQLITE_LIMITS), which named no
# limit: "LIKE or GLOB pattern too complex" for a table's filter on a long title (review).
LIMIT_ERRORS = {
    "LIKE or GLOB pattern too complex": f"this server limits a LIKE or GLOB pattern (a filter's text with its "
                                        f"wildcards) to {LIKE_PATTERN_LIMIT} characters; an exact filter has no limit",
    "too many arguments on function": f"this server limits a function call to {FUNCTION_ARGUMENTS_LIMIT} arguments",
    "string or blob too big": (f"this server limits a value SQL makes or reads to {VALUE_BYTES_LIMIT:,} bytes, and to "
                               f"{FULL_TEXT_VALUE_BYTES_LIMIT:,} in SQL a visitor writes that reads a full-text table "
                               "(papers_fts), whose search of one row cannot be stopped"),
}


def with_the_limit_named(error):
    """`error`, or where SQLite refused the query for one of the server's limits (LIMIT_ERRORS),
    the same error with that limit named after SQLite's words."""
    text = str(error)
    limit = next((words for start, words in LIMIT_ERRORS.items() if text.startswith(start)), None)
    if limit is None:
        return error
    named = type(error)(f"{text}: {limit}")
    named.sqlite_errorcode, named.sqlite_errorname = getattr(error, "sqlite_errorcode", None), getattr(
        error, "sqlite_errorname", None)
    return named


def freeing_failed_queries_in_their_thread(execute_fn):
    """A database's execute_fn (Datasette runs every query through it, in a SQL thread) that
    clears a failed query's frames before its error leaves that thread.

    Datasette 0.65 re-raises a query's error inside the frame holding its cursor, so the error's
    traceback keeps the cursor in a reference cycle, for the garbage collector to free on whichever
    thread it next runs, most often the event loop. Freeing a cursor waits for its connection:
    under the benchmark's attack mix the event loop waited in sqlite3_reset (caught by py-spy)
    while that connection ran the next attack to the 1 s time limit, and every request to the
    worker waited with it (3 requests of 970 ms at 1M papers). Cleared here, the cursor is freed
    at once, by the thread that owns its connection."""
    async def run_freeing_failed_queries(fn):
        texts = visitors_sql.get()  # the request's, read in the event loop

        def run(conn):
            _running_visitors_sql.texts = texts
            try:
                return fn(conn)
            except BaseException as error:
                for failure in (error, error.__context__, error.__cause__):
                    if failure is not None:
                        traceback.clear_frames(failure.__traceback__)
                raise
            finally:
                _running_visitors_sql.texts = ()
        return await execute_fn(run)
    return run_freeing_failed_queries


# The query parameters of a table or view page while it is passed to Datasette (asgi_wrapper),
# None for any other request: a table page's queries are the ones Datasette writes for it, never
# a visitor's own SQL, which the wrappers below leave alone.
serving_table_page = contextvars.ContextVar("serving_table_page", default=None)


class QueryPageAnswer:
    """A page other than a table or view page, while it is passed to Datasette: its format (the
    path's extension, "" for none), whether that is HTML, and, once its query's result was cut to
    HTML_CELLS_LIMIT, the RowsShown."""

    def __init__(self, format, in_html):
        self.format = format
        self.in_html = in_html
        self.rows_shown = None


serving_query_page = contextvars.ContextVar("serving_query_page", default=None)

# The cells of a query's result an HTML page shows. Datasette 0.65 runs each cell of a query page
# through the render_cell hooks in the event loop, where every other request of the process
# waits: 99 columns of 1,000 rows (the column limit is 100) took 0.38 s at 100k papers, and the
# no-SQL page waited 0.29 s behind it. `select * from listings`, the widest table (16 columns),
# is 16,000 cells at max_returned_rows and took 72 ms: no result a table's columns make is cut.
HTML_CELLS_LIMIT = 20_000


class RowsShown(NamedTuple):
    """What an HTML query page cut to HTML_CELLS_LIMIT shows of its result, for the page to say."""

    shown: int
    read: int  # the rows the query gave, up to max_returned_rows
    truncated: bool  # the query had more rows than it gave


class ServerFault(Exception):
    """A fault of the server's file or disk met by a query, raised past Datasette's views (which
    answer a query's error as the visitor's) to handle_exception: a 500 that says no more, with
    its traceback logged."""


def answering_query_pages_within_limits(execute):
    """A database's execute for the query of a query page (serving_query_page; the one query a
    page reads with `truncate`, views/database.py and row.py):

    - in HTML, the first rows of its result up to HTML_CELLS_LIMIT cells, marked truncated as
      Datasette marks a result cut at max_returned_rows. JSON and CSV keep every row; the page
      says where to get them.
    - in CSV, a visitor's SQL error raised as a 400 (visitor_error). Datasette 0.65's query view
      keeps the error for the page to show, which a CSV cannot: `/papers.csv?sql=select
      zeroblob(1e9)` or a misspelt column answered 200 with an empty file.
    - in any format, a fault of the server's file or disk raised on, for
      keeping_sql_errors_out_of_the_log to make a ServerFault."""
    async def execute_within_limits(sql, params=None, truncate=False, **kwargs):
        page = serving_query_page.get()
        if page is None or not truncate:
            return await execute(sql, params, truncate=truncate, **kwargs)
        try:
            results = await execute(sql, params, truncate=truncate, **kwargs)
        except sqlite3.DatabaseError as error:
            # A fault of the server's file or disk is raised on as it is, and made a ServerFault
            # by keeping_sql_errors_out_of_the_log: Datasette's query view showed "database disk
            # image is malformed" as a mistake in the visitor's SQL, a 400 with its text (a CSV,
            # an empty 200).
            status, title, message = visitor_error(error)
            if page.format == "csv" and status == 400:
                _, DatasetteError, _, _ = datasette_error_page()
                raise DatasetteError(message, title=title, status=status) from None
            raise
        if not page.in_html:
            return results
        fitting = max(1, HTML_CELLS_LIMIT // max(1, len(results.description or ())))
        if len(results.rows) <= fitting:
            return results
        from datasette.database import Results

        page.rows_shown = RowsShown(fitting, len(results.rows), results.truncated)
        return Results(results.rows[:fitting], True, results.description)
    return execute_within_limits


# The row count Datasette 0.65's table view runs for a page filtered by exact values
# (views/table.py: `select count(*) from <table> <where> `, each filter `"<column>" = :p<n>`).
FILTERED_COUNT_SQL = re.compile(r'select count\(\*\) from (\w+) where ("\w+" = :p\d+(?: and "\w+" = :p\d+)*) ')
FILTERED_COLUMN = re.compile(r'"(\w+)" = :p\d+')


def counting_table_pages_from_the_build(datasette, database, execute):
    """A database's execute that answers a table or view page's row count from what the build
    counted, where it counted it:

    - a whole view's (Datasette 0.65's `select count(*) from <view> `, views/table.py) from the
      view's count in the inspect file, written beside the file under "views" (Datasette reads
      only "tables", whose counts it uses for whole tables itself). At a million papers counting
      `trending` took 7 ms of its page's 15.
    - a page filtered by exact values of facet columns alone (a facet click) from the table's
      facet combinations, summing the rows of every combination the same conditions keep: they
      read only columns the combinations table has, declared as in the table, so they keep the
      same rows. At a million papers counting `?source_count=1` (870,000 papers) took 44 ms of
      the page's 67 ms; a few hundred combinations take well under a millisecond.

    Any other query, a file served without the build's inspect file or built without
    combinations, runs as it is."""
    from datasette.database import Results

    views = ((datasette.inspect_data or {}).get(database.name) or {}).get("views") or {}
    whole_views = {f"select count(*) from {escape_sqlite(name)} ": view["count"] for name, view in views.items()
                   if isinstance(view, dict) and isinstance(view.get("count"), int)}

    async def execute_counting_from_the_build(sql, params=None, **kwargs):
        if serving_table_page.get() is None or not sql.startswith("select count(*) from "):
            return await execute(sql, params, **kwargs)
        if sql in whole_views:
            return Results([(whole_views[sql],)], False, [("count(*)",)])
        counted = FILTERED_COUNT_SQL.fullmatch(sql)
        if counted is not None:
            table, where = counted.groups()
            combinations = f"{table}_facet_combinations"
            combined = set(await table_columns_if_any(database, combinations)) - {"count"}
            if combined and set(FILTERED_COLUMN.findall(where)) <= combined:
                sql = f"select coalesce(sum(count), 0) from {combinations} where {where}"
        return await execute(sql, params, **kwargs)
    return execute_counting_from_the_build


# What Datasette 0.65 asks of a table's schema on every table or view page, each question a call
# to a SQL thread: 16 of the 19 calls a page made (the others read its rows, facets and count).
SCHEMA_QUESTIONS = ("table_exists", "table_columns", "table_column_details", "primary_keys", "fts_table",
                    "label_column_for_table", "foreign_keys_for_table", "get_table_definition", "get_view_definition")
# The lookup of a table's name as SQLite spells it, in each permission check (app.py).
TABLE_NAME_SQL = "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase"


def remembering_the_schema(database, names):
    """Answer Datasette's questions about the schema of an immutable file's tables and views
    (`names`) from their first answers: the file, opened immutable, cannot change while it is
    served. Each answer is kept once per question and table, so no more than the schema has; a
    name the schema does not have is asked each time. Callers get their own copy of a list."""
    from datasette.database import Results

    for question in SCHEMA_QUESTIONS:
        setattr(database, question, remembered(getattr(database, question), names))
    execute = database.execute
    spelled = {}

    async def execute_remembering_names(sql, params=None, **kwargs):
        # A name from a URL may be any JSON value (`_through`'s "table"): only a string is looked up.
        if (sql != TABLE_NAME_SQL or not isinstance(params, (list, tuple)) or len(params) != 1
                or not isinstance(params[0], str) or params[0] not in names):
            return await execute(sql, params, **kwargs)
        if params[0] not in spelled:
            spelled[params[0]] = await execute(sql, params, **kwargs)
        found = spelled[params[0]]
        return Results(list(found.rows), found.truncated, found.description)
    database.execute = execute_remembering_names


def remembered(ask, names):
    answers = {}

    async def answer(table, *args, **kwargs):
        if not isinstance(table, str) or table not in names:
            return await ask(table, *args, **kwargs)
        key = (table, args, tuple(sorted(kwargs.items())))
        if key not in answers:
            answers[key] = await ask(table, *args, **kwargs)
        found = answers[key]
        # Foreign keys are dicts of names; every other answer is a string, None or immutable items.
        return [dict(item) if isinstance(item, dict) else item for item in found] if isinstance(found, list) else found
    return answer


# Datasette 0.65's condition for the rows after a `_next` token of a page sorted by a column, on a
# table with one primary key (views/table.py; the key's condition is `((id > :p0))`), always the
# last condition of the page's query, before its ORDER BY and LIMIT; with the parts it is read in,
# in the page's order. Descending, then ascending, then ascending from a NULL value.
AFTER_KEY = r"\(\((?P<pk>\w+) > :(?P<after>p\d+)\)\)"
PAGE_END = r" order by (?P=column){way}, (?P=pk) limit (?P<limit>\d+)\Z"
AFTER_TOKEN = [
    (re.compile(r"(?: where | and )(?P<condition>\((?P<column>\w+) < (?P<value>:p\d+) or (?P=column) is null"
                rf" or \((?P=column) = (?P=value) and {AFTER_KEY}\)\)){PAGE_END.format(way=' desc')}"),
     ["({column} = {value} and (({pk} > :{after})))", "{column} < {value}", "{column} is null"]),
    (re.compile(r"(?: where | and )(?P<condition>\((?P<column>\w+) > (?P<value>:p\d+)"
                rf" or \((?P=column) = (?P=value) and {AFTER_KEY}\)\)){PAGE_END.format(way='')}"),
     ["({column} = {value} and (({pk} > :{after})))", "{column} > {value}"]),
    (re.compile(r"(?: where | and )(?P<condition>\((?P<column>\w+) is not null"
                rf" or \((?P=column) is null and {AFTER_KEY}\)\)){PAGE_END.format(way='')}"),
     ["({column} is null and (({pk} > :{after})))", "{column} is not null"]),
]


def page_after_token(sql):
    """(match, parts) for a sorted table page's query from a `_next` token, None for any other."""
    if serving_table_page.get() is None or not sql.startswith("select "):
        return None
    for pattern, parts in AFTER_TOKEN:
        found = pattern.search(sql)
        if found is not None:
            return found, parts
    return None


def reading_sorted_pages_from_their_start(database, execute):
    """A database's execute that reads a sorted table page from a `_next` token (the plugin's
    first-row token too) from where its rows start in an index, at least a default page of them.

    - **In parts.** Datasette's condition for a descending sort, `col < :v or col is null or
      (col = :v and id > :k)`, gives SQLite no place to start: it reads the index from its
      greatest value and passes over every row of the earlier pages, 60 ms for a page near the
      end of a million papers. Its parts (`col = :v and id > :k`, then `col < :v`, then `col is
      null`) keep rows no other part keeps, and all of one part's rows come before the next
      part's in the page's order, so their rows in turn are the page's rows. They run on one
      connection under the one time limit of the query they replace (parts_in_turn). Left whole:
      the first-row token's page (from_the_first_row), whose rows SQLite reads from the index's
      start as it is, and a page with `_where`, whose SQL beside the condition might leave it no
      condition of its own (`1 or 1 and (condition)`).
    - **At least the default page's LIMIT**, keeping the rows asked for. SQLite 3.40 plans the
      whole condition with LIMIT 10 or less as a read of every row the OR keeps and a sort: at a
      million papers `papers.json?_size=1` took 294 ms, where LIMIT 11 reads the date index in
      order in well under a millisecond. The first rows of the same order are the same rows, and
      reading more of them in order costs no more than reading all of them."""
    async def execute_sorted_page(sql, params=None, custom_time_limit=None, **kwargs):
        after = page_after_token(sql)
        if after is None:
            return await execute(sql, params, custom_time_limit=custom_time_limit, **kwargs)
        from datasette.database import Results

        found, parts = after
        asked = int(found["limit"])
        read = max(asked, database.ds.setting("default_page_size") + 1)
        ahead, after_condition = sql[:found.start("condition")], sql[found.end("condition"):found.start("limit")]
        whole = (any(name == "_where" for name, _ in serving_table_page.get())
                 or str((params or {}).get(found["after"])) == str(SMALLEST_KEY))
        if whole:
            results = await execute(f"{sql[:found.start('limit')]}{read}", params,
                                    custom_time_limit=custom_time_limit, **kwargs)
        else:
            queries = [f"{ahead}{part.format(**found.groupdict())}{after_condition}{read}" for part in parts]
            results = await parts_in_turn(database, queries, params, read, custom_time_limit)
        return Results(results.rows[:asked], results.truncated, results.description)
    return execute_sorted_page


async def parts_in_turn(database, queries, params, limit, custom_time_limit):
    """Datasette's Results of `queries` run in turn until `limit` rows, in one SQL thread under
    the time limit Database.execute would set for one of them (datasette/database.py), shown in
    a trace as one statement."""
    from datasette.database import QueryInterrupted, Results
    from datasette.tracer import trace
    from datasette.utils import sqlite_timelimit

    time_limit_ms = database.ds.sql_time_limit_ms
    if custom_time_limit and custom_time_limit < time_limit_ms:
        time_limit_ms = custom_time_limit

    def read(conn):
        rows, description = [], None
        with sqlite_timelimit(conn, time_limit_ms):
            try:
                for query in queries:
                    cursor = conn.execute(query, params or {})
                    rows += cursor.fetchmany(limit - len(rows))
                    description = description or cursor.description
                    cursor.close()
                    if len(rows) >= limit:
                        break
            except sqlite3.OperationalError as error:
                if error.args == ("interrupted",):
                    raise QueryInterrupted(error, ";\n".join(queries), params) from error
                raise
        # Not truncated: a table page asks for at most max_returned_rows + 1 rows, which
        # Database.execute does not count as truncated either.
        return Results(rows, False, description)

    with trace("sql", database=database.name, sql=";\n".join(queries), params=params):
        return await database.execute_fn(read)


def datasette_error_page():
    """Datasette's own error page and error types. Imported when first needed, not with this
    module: Datasette imports its plugins (this one among them) while datasette.handle_exception
    is still half-imported, and importing from it then fails."""
    import datasette.handle_exception
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError

    return datasette.handle_exception.handle_exception, DatasetteError, Base400, Request


# Datasette's `.blob` format, for downloading one binary value, fails on other values: a hash
# link (`_blob_hash`) over rows of text or numbers is a 500 (it hashes each value as bytes), and
# a number without one sends its 200 before failing, so the visitor gets a cut connection.
@hookimpl(trylast=True)  # called after Datasette's own: the last renderer of an extension wins
def register_output_renderer(datasette):
    return [{"extension": "blob", "render": render_blob, "can_render": lambda: False},
            {"extension": "json", "render": render_json_within_limits, "can_render": lambda: True}]


# Datasette's `_json=COLUMN` reads each of the column's values into Python objects, in the event
# loop: 16 MB of `[{},{},...]` became a dict of about 72 bytes for every 3 characters, 926 ms and
# 377 MB more for the server. A page of related papers' shared_terms is about 50 kB.
JSON_PARSED_LIMIT = 2 * 2**20  # characters


def render_json_within_limits(args, data, view_name):
    """Datasette's own JSON, once the values `_json` asks it to read are within JSON_PARSED_LIMIT."""
    from datasette.renderer import json_renderer
    from datasette.utils.asgi import BadRequest

    columns = data.get("columns") or []
    parsed = set(args.getlist("_json"))
    positions = [position for position, column in enumerate(columns) if column in parsed]
    if positions and data.get("rows"):
        values = [row[position] for row in data["rows"] for position in positions if isinstance(row[position], str)]
        size = sum(map(len, values))
        if size > JSON_PARSED_LIMIT:
            raise BadRequest(f"_json would read {size:,} characters of JSON into objects; this server reads at most "
                             f"{JSON_PARSED_LIMIT // 2**20} MB a request (ask for fewer rows, or leave out _json).")
        if any(nested_deeper_than(value, JSON_NESTING_LIMIT) for value in values):
            raise BadRequest(f"_json would read a value nested more than {JSON_NESTING_LIMIT} deep; leave out _json.")
        # Read here rather than by Datasette, strictly, once the values are known to be within bounds.
        data, args = read_as_strict_json(data, positions), without_argument(args, "_json")
    if args.get("_shape") == "object" and not data.get("error") and not data.get("primary_keys"):
        # Datasette's JSON says so with a 200, as if it were an answer.
        raise BadRequest("_shape=object is only available on tables" if "primary_keys" not in data
                         else "_shape=object not available for tables with no primary keys")
    if len(data.get("rows") or []) * len(columns) > JSON_IN_THREAD_CELLS and JsonThreads.busy < JSON_THREADS:
        return written_in_a_thread(json_renderer, args, data, view_name)  # Datasette awaits it
    return json_renderer(args, data, view_name)


def read_as_strict_json(data, positions):
    """`data` with the values at `positions` of each row read as JSON, as Datasette's `_json` reads
    them, but where a value is no JSON (NaN and Infinity are none), or holds a number no JSON can
    write back (1e999), kept as the text it is: Python's reader takes them, and `'[NaN, Infinity]'`
    and `'[1e999]'` were written back as `[NaN, Infinity]` and `[Infinity]`, answers no strict JSON
    reader (a browser's JSON.parse) reads (reviews)."""
    def no_constant(name):
        raise ValueError(f"{name} is no JSON")

    def finite(text):
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{text} is no finite number")
        return number

    def read(value):
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value, parse_constant=no_constant, parse_float=finite)
        except (ValueError, RecursionError):
            return value

    rows = [[read(value) if position in positions else value for position, value in enumerate(row)] for row in data["rows"]]
    return {**data, "rows": rows}


def without_argument(args, name):
    from datasette.utils import MultiParams

    return MultiParams([(key, value) for key in args.keys() if key != name for value in args.getlist(key)])


# Cells above which a JSON answer is written in a thread of its own, not the event loop's, which
# then goes on with other requests (taking the GIL back at least every 5 ms): a page of 1,000
# rows (4 MB) took 38 ms of the loop, and a cheap page's p90 beside 8 such downloads was 38-51 ms
# in four runs, 28-41 in six since. A table page of 50 rows of the widest table (16 columns) is 800.
JSON_IN_THREAD_CELLS = 2_000
# JSON answers written in threads at once, per process; more are written in the loop, as all
# were. Unbounded, the loop went on taking requests and running their SQL while their answers
# waited for a thread, each holding its rows: 600 requests at once for 1 MB of JSON each took a
# worker to 1.85 GB, against 0.84 GB in the loop alone, and 2 threads to 0.84 (found by review).
JSON_THREADS = 2


class JsonThreads:
    busy = 0  # changed only in the event loop's thread


async def written_in_a_thread(render, *args):
    JsonThreads.busy += 1
    try:
        return await asyncio.to_thread(render, *args)
    finally:
        JsonThreads.busy -= 1


# How deep a value _json reads may nest arrays and objects. Python's JSON reader stops where the
# stack runs out, about 970 deep in the event loop and deeper in a thread, so the same value was
# a 200 on one page and a 400 on the next; real data nests a few levels.
JSON_NESTING_LIMIT = 500
# A JSON string, unterminated too (so that each character is read once), escapes over line breaks.
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
# Each bracket outside strings as a step in or out (1, -1 as a signed byte); every other byte deleted.
NESTING_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
NOT_BRACKETS = bytes(code for code in range(256) if code not in b"[]{}")


def nested_deeper_than(text, limit):
    """Whether JSON `text` nests arrays and objects more than `limit` deep (brackets in strings are
    text). On the event loop, so in C but for one sum: 2 MB of brackets took a Python loop over
    them 0.25 s (found by review), json.loads 0.05."""
    if text.count("[") + text.count("{") <= limit:
        return False
    steps = JSON_STRING.sub("", text).encode("utf-8", "surrogatepass").translate(NESTING_STEPS, NOT_BRACKETS)
    return max(itertools.accumulate(array.array("b", steps)), default=0) > limit


async def render_blob(datasette, database, rows, columns, request, table, view_name):
    """Datasette's own `.blob` answer, for a value that is binary, text or NULL."""
    from datasette.blob_renderer import render_blob as datasettes_blob
    from datasette.utils.asgi import BadRequest

    column = request.args.get("_blob_column")
    if column in columns:
        if "_blob_hash" in request.args:
            rows = [row for row in rows if isinstance(row[column], bytes)]  # only binary values have a hash
        elif not rows:
            raise BadRequest("There is no row to download a value from.")
        elif not isinstance(rows[0][column], (bytes, str, type(None))):
            raise BadRequest(f"{column} holds a number here: .blob downloads binary or text values.")
    return await datasettes_blob(datasette, database, rows, columns, request, table, view_name)


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    """Answer what a visitor's request can cause with a 4xx, and anything else without echoing
    the exception (Datasette 0.65 answers 500 with its text), on Datasette's own error page.

    This is the only handler once the server has started (startup unregisters Datasette's, which
    logged a traceback of about 30 lines for a 400 such as `_next=abc` on a view: 11 of the 49
    bad requests the tests send). Only a 500, the server's fault, logs its traceback."""
    closing_what_was_never_started(exception)
    default_error_page, DatasetteError, Base400, _ = datasette_error_page()
    redirect = alias_redirect(datasette, request, exception)
    if redirect is not None:
        async def redirect_or_not_found():
            response = await redirect()
            return response if response is not None else await default_error_page(datasette, request, exception)()
        return redirect_or_not_found
    if isinstance(exception, DatasetteError):
        # 0.65 raises "Cannot sort table by x" with the default status, 500.
        if exception.status == 500:
            exception.status = 400
        return default_error_page(datasette, request, exception)
    if isinstance(exception, Base400):
        return default_error_page(datasette, request, exception)
    if request is not None and request.path == "/-/allow-debug" and isinstance(exception, (TypeError, AttributeError)):
        # Datasette 0.65 matches the page's actor and allow as it finds them: JSON that is not an
        # object there (`actor=1`, `allow={"id": {}}`) fails inside its matching.
        return default_error_page(datasette, request, DatasetteError(
            'actor must be a JSON object, and allow one whose values are text or lists of text, such as '
            '{"id": "root"}.', title="Bad request", status=400))
    if request is not None and request.scope.get("route_path", request.path).startswith(STATIC_PATHS) and names_no_file(exception):
        # A static file's path through a file (`app.css/x`) or a link that loops: Datasette 0.65
        # catches only FileNotFoundError of its lookups, and answered 500.
        return default_error_page(datasette, request, DatasetteError("No such file.", title="Not found", status=404))
    status, title, message = visitor_error(exception)
    if status >= 500:
        traceback.print_exception(exception)
    return default_error_page(datasette, request, DatasetteError(message, title=title, status=status))


def closing_what_was_never_started(exception):
    """Close the coroutines the failed request made and never ran. Datasette 0.65's table page
    makes its facets' counts, then its suggested facets', and awaits them in turn: when one fails
    (`_facet_array=tier`, a column of no JSON), the rest were never awaited, and Python logged a
    warning for each once they were collected (four lines a request). They are in the failed
    frames' variables (its `gather(*args)`), which the traceback keeps of the exception or of the
    one it was raised from (Datasette raises "Invalid SQL" from SQLite's)."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        traceback_ = exception.__traceback__
        while traceback_ is not None:
            for value in traceback_.tb_frame.f_locals.values():
                for item in value if isinstance(value, (tuple, list)) else (value,):
                    if inspect.iscoroutine(item) and inspect.getcoroutinestate(item) == inspect.CORO_CREATED:
                        item.close()
            traceback_ = traceback_.tb_next
        exception = exception.__cause__ or exception.__context__


def names_no_file(exception):
    """Whether looking a path up failed because it names no file: through a file, a name too long,
    a link that loops (pathlib says so in a RuntimeError). A fault of the disk or of the process's
    open files is not this, and stays a 500."""
    if isinstance(exception, OSError):
        return exception.errno in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP)
    return isinstance(exception, RuntimeError) and str(exception).startswith("Symlink loop")


def visitor_error(exception):
    """(status, title, message) for an exception Datasette would answer with a 500 and its text."""
    if isinstance(exception, sqlite3.DataError):
        return 400, "Too large", f"{exception}. {LIMITS_TEXT}"
    if isinstance(exception, MemoryError):
        return 400, "Too large", f"The query needs more memory than this server allows. {LIMITS_TEXT}"
    if caused_by_the_query(exception):
        return 400, "Invalid SQL", str(exception)
    if isinstance(exception, (ValueError, LookupError, OverflowError)):
        # Datasette 0.65 reads some parameters with a bare int() or json.loads(): _timelimit,
        # _next on a view (past 64 bits: OverflowError), _through.
        return 400, "Bad request", "A parameter of this request is not valid."
    if type(exception).__name__ == "QueryInterrupted":
        # Datasette's CSV answers a query stopped at the time limit with a 500 (its JSON: a 400).
        return 400, "Query interrupted", "The query took longer than this server's time limit."
    if isinstance(exception, RecursionError):
        # JSON nested a thousand deep in a parameter Datasette reads with json.loads: id__in, actor, _json.
        return 400, "Bad request", "A parameter of this request is nested too deeply."
    return 500, "Server error", "The server could not answer this request."


# What a visitor's SQL can cause: a mistake (no such table, a syntax error, "datatype mismatch"
# from `limit 'x'` in a _where), or a refusal (not authorized, interrupted); DataError, a limit, is
# answered above. What the result code says is the server's fault ("database disk image is
# malformed", I/O errors), and SQLite's own InternalError, helps no visitor: a 500.
# InterfaceError: SQLite's "column index out of range" (`snippet(papers_fts, 99, ...)`).
QUERY_ERRORS = (sqlite3.OperationalError, sqlite3.ProgrammingError, sqlite3.IntegrityError, sqlite3.DatabaseError,
                sqlite3.InterfaceError)
# A failing disk is an OperationalError too ("disk I/O error"): its result code tells it apart.
SERVER_FAULT_CODES = {sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CANTOPEN,
                      sqlite3.SQLITE_FULL, sqlite3.SQLITE_INTERNAL, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM}


def caused_by_the_query(exception):
    code = getattr(exception, "sqlite_errorcode", None)  # extended code: the primary one is its low byte
    return (isinstance(exception, QUERY_ERRORS) and not isinstance(exception, sqlite3.InternalError)
            and (code is None or code & 0xFF not in SERVER_FAULT_CODES))


PROGRAM_STEPS_LIMIT = 5_376  # what SQLITE_LIMIT_VDBE_OP's 6,000 allows (see there)
LIMITS_TEXT = (
    f"This server limits a value to {VALUE_BYTES_LIMIT:,} bytes, a query's result to "
    f"{RESULT_BYTES_LIMIT // 2**20} MB, a query's compiled program to about {PROGRAM_STEPS_LIMIT:,} steps (SQLite's "
    f"opcodes: a view counts with all of its own) and SQLite's memory to {HEAP_BYTES_LIMIT // 2**20} MB; "
    f"printf() widths to {PRINTF_WIDTH_LIMIT:,} and its format to {PRINTF_FORMAT_LIMIT:,} characters, the characters "
    f"trim()'s comparisons (a text's characters times those it removes) to {TRIM_COMPARISONS_LIMIT:,} "
    f"and a json_patch() patch to {JSON_PATCH_BYTES_LIMIT:,} bytes."
)


@hookimpl
def asgi_wrapper(datasette):
    """Refuse, before any SQL runs, requests this read-only site never needs to answer,
    open-ended requests (SQL a visitor wrote, a prefix search, a filter on a column without an
    index) beyond what leaves SQL threads for everyone else, and whole-table CSV streams beyond
    STREAMS_AT_ONCE, each a core's work for seconds to minutes."""
    def wrap(app):
        keeping_few_statements(datasette)
        # Most open-ended requests end within the time limit; a stream, once it is sent.
        open_ended = RequestSlots(max(1, datasette.setting("num_sql_threads") - OPEN_ENDED_THREADS_KEPT),
                                  OPEN_ENDED_REFUSAL, retry_after=1)
        streams = RequestSlots(STREAMS_AT_ONCE, STREAM_REFUSAL, retry_after=10)
        served_files = files_served(datasette)

        async def bounded(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            scope = without_unreadable_cookies(in_origin_form(scope))
            scope, query = without_blank_searches(datasette, scope, query_parameters(scope))
            refusal = (file_replaced(served_files, scope["path"]) or static_file_refusal(datasette, scope)
                       or redirect_elsewhere_refusal(scope) or unknown_format(datasette, scope) or refused(scope, query)
                       or unknown_filter(datasette, scope["path"], query) or unknown_facet(datasette, scope["path"], query)
                       or query_too_long_for_its_links(datasette, scope, query) or row_of_no_table(datasette, scope["path"])
                       or unpageable_sort(datasette, scope["path"], query))
            needed = [] if refusal is not None else [
                slots for slots, needs in ((streams, streams_a_whole_table(datasette, scope["path"], query)),
                                           (open_ended, is_open_ended(datasette, scope["path"], query))) if needs]
            taken, retry_after = [], None
            try:
                for slots in needed:
                    if not await slots.take():
                        refusal, retry_after = slots.refusal(), slots.retry_after
                        break
                    taken.append(slots)
                if refusal is None:
                    if open_ended in taken and streams not in needed:
                        send = giving_back_once_answering(send, open_ended, taken)
                    token = visitors_sql.set(visitors_own_sql(query))
                    try:
                        return await passed_on(datasette, app, scope, receive, send, query)
                    finally:
                        visitors_sql.reset(token)
            finally:
                for slots in taken:
                    slots.give_back()
            status, title, message = refusal
            default_error_page, DatasetteError, _, Request = datasette_error_page()
            error = DatasetteError(message, title=title, status=status)
            response = await default_error_page(datasette, Request(scope, receive), error)()
            if status == 405:
                response.headers["Allow"] = ", ".join(READ_METHODS)
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            await response.asgi_send(send)
        return bounded
    return wrap


# How `serve --workers` hands each worker the served files as they were (papers_db.serve sets it).
# Named here, not imported: `datasette publish` loads this file where papers_db is not installed,
# and importing papers_db.serve stopped that server before it answered anything.
SERVED_FILES_VARIABLE = "PAPERS_DB_SERVED_FILES"


def files_served(datasette):
    """{path: its identity} of each database file served immutable, as the server found it (one
    that may change, as plain `datasette papers.db` opens it, SQLite reads as it changes).

    `serve --workers` takes each file's identity once, before its workers start, and hands it to
    them (SERVED_FILES_VARIABLE): a worker gunicorn started again after the file was replaced
    took the new file for the one served, and answered from it under the old one's counts while
    the others answered 503."""
    handed = json.loads(os.environ.get(SERVED_FILES_VARIABLE) or "{}")
    return {db.path: (handed[db.path] and tuple(handed[db.path])) if db.path in handed else file_identity(db.path)
            for db in datasette.databases.values() if db.path and not db.is_memory and not db.is_mutable}


def file_identity(path):
    """The file at `path` as the system knows it: another file, or this one written to or touched
    (its time changed), is another identity. None where there is no file."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


def file_replaced(served_files, path):
    """A 503 once a served file was replaced or removed (a rebuild while the server runs). The
    file is opened immutable and each new connection opens its path again: answers alternated
    between the old file's rows and the new one's, under the old one's counts."""
    if path.startswith(STATIC_PATHS):
        return None  # the error page's own style sheet
    for served, identity in served_files.items():
        if file_identity(served) != identity:
            return (503, "Database replaced", f"The database file {os.path.basename(served)} was replaced, changed or "
                    "removed after this server started, so its pages would mix the old file with the new: restart the "
                    "server to serve it.")
    return None


STATIC_PATHS = ("/-/static/", "/-/static-plugins/")
FILE_NAME_BYTES_LIMIT = 255  # NAME_MAX on Linux and macOS: a longer name in a path is no file on either


ABSOLUTE_FORM = re.compile(rb"https?://[^/?#]*", re.IGNORECASE)


def in_origin_form(scope):
    """The request with a request line naming a whole URL (`GET http://host/papers HTTP/1.1`, as a
    proxy may pass it on) read as its path: RFC 9112 (3.2.2) has a server take this form and use
    the URL's host instead of the Host header. Uvicorn hands the whole URL on as the path, which
    Datasette 0.65 answered 404, or redirected to that URL when it ended in "/" (`GET
    http://evil.example/ HTTP/1.1` went to http://evil.example). The site serves one host, so the
    URL's host is not looked at; its path is routed as any other."""
    raw_path = sent_path(scope)
    absolute = ABSOLUTE_FORM.match(raw_path)
    if absolute is None:
        return scope
    raw_path = raw_path[absolute.end():] or b"/"
    return dict(scope, raw_path=raw_path, path=urllib.parse.unquote(raw_path.decode("latin-1")))


def redirect_elsewhere_refusal(scope):
    """A 404 for a path Datasette 0.65 would redirect to no page of this site. It answers a path
    ending in "/" with a redirect to the path without it, stripping repeated leading slashes
    (`//evil.example/` goes to `/evil.example`), but `/\\evil.example/` went to `/\\evil.example`,
    which browsers read as `//evil.example`, another site; and `////` went to an empty Location.
    No page of the site has a backslash in its path (Datasette writes one in a name as ~5C). Every
    path of the site starts with "/" (a whole URL as the path was redirected there: in_origin_form)."""
    path = sent_path(scope)
    if not path.startswith(b"/") or b"\\" in path or (len(path) > 1 and not path.strip(b"/")):
        return 404, "Not found", "No such page."
    return None


DATABASE_OR_TABLE_FORMAT = re.compile(r"/(?P<database>[^/.]+)(?P<table>/[^/.]+)?\.(?P<format>\w+)")  # Datasette 0.65's routes
FORMATS_NOT_RENDERED = ("csv", "jsono")  # answered before Datasette looks for a renderer
DATABASE_DOWNLOAD_FORMAT = "db"  # /papers.db: the file itself, a route of its own


def unknown_format(datasette, scope):
    """A 404 for a database, table, view or query page asked in a format Datasette has no renderer
    for: 0.65 answered `/papers/papers.nosuch` (or `.JSON`) 200 with the HTML page, as if the
    extension were part of no path; a row's page in such a format is already a 404. Its extension
    percent-encoded (`papers.%78yz`) too, which Datasette redirected with the first row's token
    (review). A table or query it does not know is Datasette's to answer ("Table not found")."""
    routed = routed_path(datasette, scope)
    # Decoded but for "/": Datasette routes `%2F` as part of a name, not as a separator (review).
    for sent in {routed, urllib.parse.unquote(routed.replace("%2F", "%252F").replace("%2f", "%252f"))}:
        path = DATABASE_OR_TABLE_FORMAT.fullmatch(sent)
        if path is None or (database := table_shapes(datasette).get(tilde_decode(path["database"]))) is None:
            continue
        if path["format"] in FORMATS_NOT_RENDERED or path["format"] in datasette.renderers or (
                path["table"] is None and path["format"] == DATABASE_DOWNLOAD_FORMAT):
            continue
        if path["table"] is not None and not is_table_or_query(datasette, database, tilde_decode(path["table"][1:])):
            continue
        offered = sorted({"csv", *datasette.renderers} - {"blob"})  # .blob is one cell's, not a page's
        return 404, "Not found", (f"No such format: .{path['format']}. A page comes as HTML, or as "
                                  f"{' or '.join('.' + name for name in offered)}.")
    return None


def is_table_or_query(datasette, database, name):
    """Whether `name` is a table, view or canned query of `database` (its name and table shapes)."""
    name_of_database, tables = database
    return name in tables or name in (datasette.metadata("queries", database=name_of_database, fallback=False) or {})


def static_file_refusal(datasette, scope):
    """A 404 for a static file's path that names no file inside the static folders: with an empty,
    `.` or `..` part, a NUL, or a part longer than any file name. Datasette 0.65 looks such a path
    up on the disk: `../../etc` answered 403 ("directory listing") where `../../nosuch` answered
    404, telling anyone which folders the server has, and a name of 256 characters was a 500. It
    looks up the path as sent, still percent-encoded, below `base_url`; both it and its decoded
    form are checked."""
    for path in (routed_path(datasette, scope), scope["path"]):
        if not path.startswith(STATIC_PATHS):
            continue
        parts = path.split("/", 3)[3].split("/")  # after /-/static/ (or /-/static-plugins/)
        if any(part in ("", ".", "..") or "\0" in part
               or len(part.encode("utf-8", "surrogatepass")) > FILE_NAME_BYTES_LIMIT for part in parts):
            return 404, "Not found", "No such file."
    return None


def sent_path(scope):
    """The request's path as the client sent it (percent-encoded bytes), without its query."""
    return (scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")).partition(b"?")[0]


def routed_path(datasette, scope):
    """The path as Datasette 0.65 routes it: as sent (percent-encoded), without `base_url`."""
    path = sent_path(scope).decode("latin-1")
    base_url = datasette.setting("base_url") or "/"
    return "/" + path[len(base_url):] if base_url != "/" and path.startswith(base_url) else path


def giving_back_once_answering(send, slots, taken):
    """An ASGI send that gives a slot back as the answer starts: its SQL has run then, unless it
    is a whole-table stream. Held while the answer was sent, four clients that never read a
    query's 5.8 MB CSV kept every open-ended request of their process refused (429) for as long
    as they stayed connected."""
    async def send_then_give_back(message):
        if message["type"] == "http.response.start" and slots in taken:
            taken.remove(slots)
            slots.give_back()
        await send(message)
    return send_then_give_back


async def passed_on(datasette, app, scope, receive, send, query):
    """Hand a request that is not refused to Datasette (from_the_first_row), marked while it runs
    as a table or view page's where it is one (serving_table_page)."""
    app = sharing_the_loop(app)
    if (database := downloaded_database(datasette, scope["path"])) is not None:
        return await downloaded(database.path, app, scope, receive, send)
    on_table_page = table_page(datasette, scope["path"]) is not None
    marked = serving_table_page.set(query if on_table_page else None)
    name = scope["path"].rsplit("/", 1)[-1]
    extension = name.rpartition(".")[2] if "." in name else ""
    # Datasette 0.65 reads the format from the path alone, and answers HTML for any it has no
    # renderer for: /papers.xyz?sql= is a query page in HTML.
    in_html = extension not in ("csv", "jsono") and extension not in datasette.renderers
    other_page = serving_query_page.set(None if on_table_page else QueryPageAnswer(extension, in_html))
    if extension == "json" and on_table_page and unpageable_order(datasette, scope["path"], query) is not None:
        app = without_a_next_page(app)
    known_cost = serving_a_table_page_of_known_cost.set(
        on_table_page and extension == "" and table_page_of_known_cost(datasette, scope["path"], query))
    try:
        return await from_the_first_row(datasette, app, scope, receive, send, query)
    finally:
        serving_table_page.reset(marked)
        serving_query_page.reset(other_page)
        serving_a_table_page_of_known_cost.reset(known_cost)


# The hooks Datasette 0.65's TableView.data calls, whose implementations run while its queries
# may run in the loop: each other plugin's could read the file (review).
TABLE_VIEW_DATA_HOOKS = ("canned_queries", "filters_from_request", "permission_allowed", "register_facet_classes")


# Whether the table page being served asks only for queries of known cost (table_page_of_known_cost),
# which its view's data runs in the event loop (reading_tables_in_the_loop).
serving_a_table_page_of_known_cost = contextvars.ContextVar("serving_a_table_page_of_known_cost", default=False)


def reading_tables_in_the_loop(data):
    """Datasette's TableView.data, whose queries (its rows, count, facets and labels) run in the
    event loop where the page is of known cost (trying_the_loop_first): only those, not another
    plugin's work before or after them, nor the server's startup on its first request."""
    async def data_read_in_the_loop(self, request, *args, **kwargs):
        in_the_loop = running_in_the_loop.set(serving_a_table_page_of_known_cost.get())
        try:
            return await data(self, request, *args, **kwargs)
        finally:
            running_in_the_loop.reset(in_the_loop)
    data_read_in_the_loop.datasettes = data
    return data_read_in_the_loop


def table_page_of_known_cost(datasette, path, query):
    """Whether a table's HTML page asks only for what its indexes and the build's counts answer
    in a few milliseconds at a million papers, so that its queries may run in the event loop
    (reading_tables_in_the_loop): its first rows in its own order (its primary key's, or a sort of
    metadata.yml that an index gives, named or not), or those after a `_next`, with at most one
    facet click (an exact value of one configured facet column, given once), whose rows lead an
    index in that order and whose count and facets are summed from the table's facet
    combinations; else the whole table's count is the build's (the inspect file). Two facet
    columns are not: SQLite reads one's index and checks the other's values row by row, and a
    rare combination read 175,000 entries at a million papers (10-19 ms in the loop; a crafted one
    ran to the loop's limit: review). Nor is a view (its SQL may read any rows), any other argument
    (a sort, a range, a search, `_facet`, `_size`), or a page another plugin's filter, permission
    check or facet may read the file for (its SQL may read any rows)."""
    page = table_page(datasette, path)
    if (page is None or page.shape.keys is None or not (datasette.inspect_data or {}).get(page.database)
            or not only_datasettes_and_this_plugins(*TABLE_VIEW_DATA_HOOKS)):
        return False
    metadata = datasette.table_metadata(page.database, page.table)
    sort, descending = (metadata.get("sort_desc"), True) if metadata.get("sort_desc") else (metadata.get("sort"), False)
    if sort and (sort, descending) not in page.shape.ordered:
        return False
    tables = table_shapes(datasette)[tilde_decode(path.split("/")[1])][1]
    clicks = {(column, "exact") for column in page.shape.facets} if f"{page.table}_facet_combinations" in tables else set()
    filters = [name for name, _ in query if is_column_filter(name)]
    return len(filters) <= 1 and all(
        name == "_next" or (is_column_filter(name) and filter_column_and_operation(name) in clicks)
        # Datasette's link to the next page names the table's own sort
        or (name in ("_sort", "_sort_desc") and sort is not None and (value, name == "_sort_desc") == (sort, descending))
        for name, value in query)


def without_a_next_page(app):
    """The app, answering a JSON first page with no next page: in an order whose later pages are
    refused (unpageable_sort), Datasette's `next` and `next_url` (and its `Link` header) led a
    client paging by them to a 400, where the HTML page shows no next link (found by review)."""
    async def answer(scope, receive, send):
        status, headers, body = await answered(app, scope)
        try:
            page = json.loads(body) if status == 200 else None
        except ValueError:
            page = None
        if isinstance(page, dict) and ("next" in page or "next_url" in page):
            page.update(dict.fromkeys(("next", "next_url") & page.keys()))
            body = json.dumps(page).encode()
        headers = [(name, value) for name, value in headers if name.lower() not in (b"content-length", b"link")]
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body, "more_body": False})
    return answer


def downloaded_database(datasette, path):
    """The database whose file's download a path is (`/papers.db`), as Datasette routes it; None
    for any other path."""
    name, dot_db, rest = path[1:].partition(".db")
    if not dot_db or rest or "/" in name or "." in name:
        return None
    return next((db for db in datasette.databases.values() if db.route == tilde_decode(name)), None)


async def downloaded(path, app, scope, receive, send):
    """A database file's download: Datasette's status and headers, then the file read
    DOWNLOAD_CHUNK_BYTES at a time in a thread, only while its client takes it. Datasette 0.65
    reads and sends it 4 KiB at a time in the event loop, after its client has gone too, and for
    a HEAD (whose answer has no body): 442 MB at 100k papers is 30 s of a core, and eight
    downloads at once on two processes put a table page at a second (found by review; a limit of
    one download a process let two slow clients keep everyone else from the file: review again).
    A HEAD gets the status and headers alone; an answer other than 200 is Datasette's own."""
    started = {}

    async def headers_then_stop(message):
        if message["type"] == "http.response.start":
            started.update(message)
        raise ClientGone

    try:
        await app(scope, receive, headers_then_stop)
    except ClientGone:
        pass
    if scope["method"] == "HEAD" and started:
        await send(started)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return None
    if started.get("status") != 200 or path is None:
        return await until_the_client_goes(app, scope, receive, send)

    async def file_in_chunks(scope, receive, send):
        with open(path, "rb") as file:
            await send(started)
            while chunk := await asyncio.to_thread(file.read, DOWNLOAD_CHUNK_BYTES):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return await until_the_client_goes(file_in_chunks, scope, receive, send)


# 1,800 sends for 442 MB, where Datasette made 113,000 of 4 KiB; a client that reads slowly
# holds at most one chunk in the server beside what its socket buffers.
DOWNLOAD_CHUNK_BYTES = 256 * 1024


async def from_the_first_row(datasette, app, scope, receive, send, query):
    """Answer a table page sorted by a column other than its key from a `_next` token before its
    first row, and a streamed CSV of one page by page from such tokens.

    Datasette 0.65 orders the first page of a sort by the column alone, so rows with equal values
    come in whatever order SQLite reads them, while every next page orders them by primary key:
    pages then repeated some rows and never showed others. Walking the bundled sources' 319
    papers by `_sort=tier`, 50 a page, gave 259 rows, 231 of them distinct, and a streamed CSV of a sorted table
    pages the same way. From a token, the first page is ordered by the column and the key, as
    every next page is."""
    token = await first_row_token(datasette, scope, query)
    streamed = streams_a_whole_table(datasette, scope["path"], query)
    if token is None and streamed and scope["method"] == "HEAD":
        # Datasette answers a HEAD by making the whole stream and sending none of it: 2.5 s of a
        # core for listings at 100k papers. One page has the same status and headers (its CSV
        # is streamed too, without a length).
        return await app(with_parameters(scope, [(name, value) for name, value in query if name != "_stream"]),
                         receive, send)
    if token is None and streamed:
        # Datasette's own stream, max_returned_rows a page whatever _size says: 1 row a page made a
        # stream of 100k papers 130 s of a core, and without _size a stream of a view, or of a
        # table by its key, ended after its first page (5 of 336 listings, max_returned_rows 5).
        kept = [(name, value) for name, value in query if name != "_size"] + [("_size", "max")]
        return await until_the_client_goes(app, with_parameters(scope, kept), receive, send)
    if token is None:
        return await app(scope, receive, send)
    if streamed:
        # Datasette refuses _next in a stream: send its CSV pages, each from the next token.
        return await stream_csv_pages(datasette, app, scope, receive, send, query, token)
    kept = [(name, value) for name, value in query if name != "_next"]  # a blank one, which Datasette ignores
    return await app(with_parameters(scope, kept + [("_next", token)]), receive, send)


async def first_row_token(datasette, scope, query):
    """The `_next` token before the first row of a table page sorted by a column other than its
    key, or None for any other request (one at a later page, a view, an unknown sort). A first
    page's own links carry its token (the export form too, whose stream refuses one): a
    token before the first row counts as none."""
    page = table_page(datasette, scope["path"])
    if page is None or page.shape.keys is None or not renders_rows(scope["path"], page) or b"%" in sent_path(scope):
        return None  # a percent-encoded path: Datasette redirects it to its tilde-encoded form (below)
    if any(name == "_next" and value and not is_first_row_token(value, page.shape.keys) for name, value in query):
        return None
    sort = first_value(query, "_sort")
    sort_desc = first_value(query, "_sort_desc")
    if not sort and not sort_desc:  # as Datasette falls back to the table's default sort
        defaults = datasette.table_metadata(page.database, page.table)
        sort, sort_desc = defaults.get("sort"), defaults.get("sort_desc")
    column = sort or sort_desc
    if (sort and sort_desc) or column not in page.shape.columns or is_unique_key(page.shape, column):
        return None  # Datasette reports a wrong sort itself; a sort by key has no ties
    if sort:
        start = "$null"  # NULLs come first, then every value
    else:
        start = await greatest_value(datasette.get_database(page.database), page.table, column)
        if start is None:
            return None
    return ",".join([start] + [str(SMALLEST_KEY)] * len(page.shape.keys))


def renders_rows(path, page):
    """Whether Datasette answers a table page's path with its rows, not a redirect: `.jsono` and a
    name it spells again with tildes (`papers.%FF`) were 302s whose Location carried the first
    row's token, a URL no page links to (found by review), and so was a path with any character
    percent-encoded (`papers.js%6Fn`: first_row_token). Any other extension of letters and
    digits is a page of rows (`.json`, `.csv`), which needs its token as any page does; one no
    renderer writes (`.tsv`, `.JSON`) was HTML and is now refused before (unknown_format)."""
    name = tilde_decode(path.rsplit("/", 1)[-1])
    extension = name[len(page.table) + 1:] if name != page.table else ""
    return extension != "jsono" and (extension == "" or (extension.isascii() and extension.isalnum()))


def is_first_row_token(token, keys):
    return token.split(",")[-len(keys):] == [str(SMALLEST_KEY)] * len(keys)


def without_blank_searches(datasette, scope, query):
    """A table or view page's request (its scope and `query_parameters`) without its blank searches
    (`?_search=`, `?_search_title=+`): its search box submitted empty. Datasette 0.65 hands FTS5
    a search for nothing, a syntax error, and answered 400 "Invalid SQL" on every searchable table
    and view; searching for nothing, the page shows every row, as with no search."""
    kept = [(name, value) for name, value in query if not (is_search_argument(name) and not value.strip())]
    if len(kept) == len(query) or table_page(datasette, scope["path"]) is None:
        return scope, query
    return with_parameters(scope, kept), kept


def with_parameters(scope, query, path=None):
    """The scope of the same request with these (name, value) parameters, at another path if given."""
    changed = {**scope, "query_string": urllib.parse.urlencode(query).encode()}
    if path is not None:
        changed.update(path=path, raw_path=path.encode())
    return changed


async def stream_csv_pages(datasette, app, scope, receive, send, query, token):
    """A streamed CSV as Datasette streams it (max_returned_rows at a time, cut at max_csv_mb with
    a last line saying so), made of Datasette's own CSV pages from each token, and each next token
    from the same page as JSON. It stops when the client goes: at a million papers the whole
    stream is a minute of queries."""
    gone, watcher = watching_for_disconnect(receive)
    try:
        await send_csv_pages(datasette, app, scope, sending_in_time(send), query, token, gone)
    except ClientGone:
        pass
    finally:
        watcher.cancel()


# A stream's client must take each part of it within this long, or it is taken to have gone:
# one that stopped reading held its process's stream slot (STREAMS_AT_ONCE) for as long as it
# kept the connection open. A part is one page of up to max_returned_rows rows (listings: about
# 230 kB), so a client reading 8 kB a second keeps up.
STREAM_SEND_SECONDS = 30


def sending_in_time(send):
    """An ASGI send that raises ClientGone when the client does not take a message within
    STREAM_SEND_SECONDS (the server's send waits while its buffer for the client is full)."""
    async def send_or_give_up(message):
        try:
            await asyncio.wait_for(send(message), STREAM_SEND_SECONDS)
        except TimeoutError:
            raise ClientGone from None
    return send_or_give_up


def watching_for_disconnect(receive):
    """(an event set when the client disconnects, the task that waits for it)."""
    gone = asyncio.Event()

    async def watch_for_disconnect():
        message = await receive()
        while message["type"] == "http.request" and message.get("more_body"):
            message = await receive()
        if message["type"] != "http.disconnect":  # the request, read: a server's next message is the client going
            message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()

    return gone, asyncio.create_task(watch_for_disconnect())


# Body messages an answer sends between two turns it gives the event loop. Datasette writes a CSV
# a row at a time, a message each, and a server's send returns at once while its buffer for the
# client has room: a CSV of 1,000 rows (4 MB) held one worker's loop 69 ms, and a cheap page
# beside 8 such downloads took 62 ms (p50) to 146 (p90); with a turn every 16 rows (1.1 ms of
# that CSV), 20 to 26-32 (every 64: 52 to 68-73), and a stream of 100,500 ids as quick.
LOOP_TURN_MESSAGES = 16


def sharing_the_loop(app):
    """An ASGI app that runs `app`, giving the event loop a turn (other requests' work) every
    LOOP_TURN_MESSAGES body messages of an answer."""
    async def app_sharing_the_loop(scope, receive, send):
        sent = 0

        async def send_then_share(message):
            nonlocal sent
            await send(message)
            if message["type"] == "http.response.body" and message.get("more_body"):
                sent += 1
                if sent % LOOP_TURN_MESSAGES == 0:
                    await asyncio.sleep(0)

        await app(scope, receive, send_then_share)
    return app_sharing_the_loop


class ClientGone(BaseException):
    """Raised from a streamed answer's send once its client has gone, to stop the stream (a
    BaseException: Datasette's stream catches Exception to write it into the CSV and goes on)."""


async def until_the_client_goes(app, scope, receive, send):
    """Run an app's streamed answer only while its client is there. Datasette 0.65 streams a CSV
    to its end, or to max_csv_mb, whoever reads it: a view paged by OFFSET kept a core busy 54 s
    after its client left, and four such requests held the open-ended slots for everyone."""
    gone, watcher = watching_for_disconnect(receive)

    send_in_time = sending_in_time(send)

    async def send_while_there(message):
        if gone.is_set():
            raise ClientGone
        await send_in_time(message)

    asked = []

    async def request_then_gone():  # the request, which has no body (GET, HEAD); then the client's going
        if not asked:
            asked.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    try:
        await app(scope, request_then_gone, send_while_there)
    except ClientGone:
        pass
    finally:
        watcher.cancel()


async def send_csv_pages(datasette, app, scope, send, query, token, gone):
    head = scope["method"] == "HEAD"
    # _trace would wrap each page in its own HTML
    kept = [(name, value) for name, value in query if name not in ("_stream", "_next", "_size", "_header", "_trace")]
    header_off = first_value(query, "_header") == "off"
    json_path = scope["path"][: -len(".csv")] + ".json"
    limit = datasette.setting("max_csv_mb") * 2**20
    sent = 0
    started = False
    seen = set()
    scope = {**scope, "method": "GET"}  # a HEAD's pages would have no body to read a token from

    async def send_more(body):
        await send({"type": "http.response.body", "body": body, "more_body": True})

    while token and not gone.is_set():
        seen.add(token)
        page = kept + [("_size", "max"), ("_next", token)]
        status, headers, body = await answered(
            app, with_parameters(scope, page + ([("_header", "off")] if header_off or started else [])))
        if not started:  # the first page's status and headers (content type, a download's name)
            await send({"type": "http.response.start", "status": status,
                        "headers": [(name, value) for name, value in headers if name.lower() != b"content-length"]})
            started = True
            if head:
                break
            if status != 200:  # Datasette's error page, as it would answer
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
        elif status != 200:
            body, token = stopped(token, f"answered {status}"), None
        sent += len(body)
        if limit and sent > limit:  # Datasette's own words when it stops at the limit
            body, token = f"CSV contains more than {limit} bytes".encode(), None
        await send_more(body)
        if token:
            status, _, page_json = await answered(
                app, with_parameters(scope, page + [("_nofacet", "1"), ("_nocount", "1")], json_path))
            next_token = next_page_token(page_json) if status == 200 else False
            if next_token is False:
                await send_more(stopped(token, f"answered {status}"))
            elif next_token in seen:  # a column of numbers and text can lead keyset paging in a circle
                await send_more(stopped(token, "leads back to an earlier page"))
                next_token = False
            token = next_token
    if started:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def next_page_token(page_json):
    """A JSON page's token for the page after it: None after the last, False if it has no token."""
    try:
        page = json.loads(page_json)
        return page["next"] if isinstance(page, dict) and "next" in page else False
    except ValueError:
        return False


def stopped(token, reason):
    """The last line of a stream cut short, as Datasette's own stream ends on a failed page: saying so."""
    return f"Stopped: the page after {token} {reason}\n".encode()


async def answered(app, scope):
    """(status, headers, body) of the app's whole answer to a GET."""
    start, body = {}, []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def keep(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, keep)
    return start.get("status", 500), start.get("headers", []), b"".join(body)


def is_unique_key(shape, column):
    return column == "rowid" or shape.keys == (column,)


def first_value(query, name):
    return next((value for key, value in query if key == name), None)


# Below every key this build assigns (from 1), so `id > SMALLEST_KEY` keeps every row.
SMALLEST_KEY = -(2**63)
# Above every number and every text but one starting with U+10FFFF: used only where the greatest
# value could not be read within the time limit.
ABOVE_EVERY_TEXT = "\U0010ffff"
_greatest_values = weakref.WeakKeyDictionary()


async def greatest_value(db, table, column):
    """The column's greatest value as a `_next` token component ("$null" for none; None for a BLOB), read once per
    process from an immutable file (each time from one that may change): a descending page starts
    just past it."""
    from datasette.utils import tilde_encode

    known = _greatest_values.setdefault(db, {})
    if (table, column) not in known or db.is_mutable:
        try:
            rows = await db.execute(f"select max({escape_sqlite(column)}) from {escape_sqlite(table)}")
            value = rows.first()[0]
        except Exception:  # QueryInterrupted on a huge unindexed column, or a file gone bad
            value = ABOVE_EVERY_TEXT
        if isinstance(value, bytes):  # no token holds a BLOB, and BLOBs sort above all text
            known[(table, column)] = None
        else:
            known[(table, column)] = "$null" if value is None else tilde_encode(str(value))
    return known[(table, column)]


# Open-ended requests may run to the 1 s time limit on a large file, holding a SQL thread all
# along; every request needs one (Datasette checks the schema on each), so a process whose threads
# all ran such requests answered nobody until one ended. This many of a process's num_sql_threads
# are kept from them.
OPEN_ENDED_THREADS_KEPT = 2
# A request waits for a slot at most this long: a slot is free by then, as every query stops at
# the 1 s time limit, unless a flood holds them all.
OPEN_ENDED_WAIT_SECONDS = 1.0
OPEN_ENDED_WAITING_PER_SLOT = 2
VISITOR_SQL_PARAMETERS = ("sql", "_where")  # SQL text a visitor writes: a query, or a table's filter
# Filters SQLite answers from an index that the column leads (Datasette's lookups; a bare column=
# is exact). The others (contains, like, glob, not, ...) read every row.
INDEXED_FILTERS = frozenset({"exact", "gt", "gte", "lt", "lte", "in", "isnull", "notnull"})
FILTER_OPERATIONS = frozenset(datasette_filter.key for datasette_filter in Filters._filters)
COLUMN_FACET_PARAMETERS = frozenset({"_facet", f"_facet_{PRECOUNTED_FACET}"})


def query_parameters(scope):
    """A request's (name, value) parameters, blank ones included, read once for every check."""
    return urllib.parse.parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)


def writes_its_own_sql(query):
    return any(name in VISITOR_SQL_PARAMETERS and value.strip() for name, value in query)


def visitors_own_sql(query):
    """The SQL a visitor wrote in a request, each as a statement holds it: without the spaces and
    semicolons around it that Datasette leaves off."""
    texts = (value.strip().rstrip(";").strip() for name, value in query if name in VISITOR_SQL_PARAMETERS)
    return tuple(text for text in texts if text)


def is_open_ended(datasette, path, query):
    """Whether a request (its path and `query_parameters`) may make SQLite read most of a table,
    whatever page it is for. At a million papers each of these ran to the time limit: SQL a
    visitor wrote; a table page's search, and the search page's for a prefix (`e*`, 16.8 s
    without the limit); on a table page, a filter on a column no index leads (`abstract__contains=`),
    a sort no index gives in order (`_sort_desc=title`), a facet metadata.yml does not configure
    (`_facet=short_name`), and any of those on a view, which has no index; and any table or view
    page while another plugin's filter may narrow rows (it may count facets over most of a table).
    A facet click and the default sorts are not: every configured facet column leads an index
    (sql/indexes.sql)."""
    if writes_its_own_sql(query) or searches_open_endedly(path, query):
        return True
    page = table_page(datasette, path)
    if page is not None and not only_datasettes_and_this_plugins("filters_from_request"):
        return True  # another plugin's filter may make any page read and count most of a table
    return page is not None and reads_unindexed_columns(page.shape, query)


def searches_open_endedly(path, query):
    """A table or view page's search (`_search`, `_search_<column>`, in any mode), which counts
    and orders every match (`_search=model` at a million papers: 728,000 matches, 1.2 s of
    SQL), or the search page's for a prefix. The search page's words are not: its query
    ranks a sample of at most 20,000 matches."""
    on_search_page = is_search_page(path)
    return any((is_search_argument(name) and value.strip())
               or (name == "q" and on_search_page and searches_many_words(value))
               for name, value in query)


SEARCH_WORDS_BOUNDED = 6  # "the" 50 times ran to the time limit at 100k papers (the word alone: 34 ms)


def searches_many_words(text):
    """A search page's text that may take its query to the time limit: a prefix (`e*`), a word
    typed twice, or more than SEARCH_WORDS_BOUNDED words, each one more list of papers to match.
    (The query searches a word typed again once, but not its other spellings: `a à á â` is four
    words that FTS5 reads as one, each compared with the others in every snippet.)"""
    words = search_tokens(text)
    return words is None or "*" in text or len(words) > SEARCH_WORDS_BOUNDED or len(set(words)) < len(words)


def search_tokens(text):
    """The words of a search as FTS5's unicode61 splits them, asked of SQLite itself: Python's
    Unicode tables are newer than FTS5's, and 50 words joined by U+19B0 (a letter to Python, a
    separator to FTS5) counted as one word here and took 0.5-0.8 s at 100k papers. 50 µs. None
    where SQLite could not split them (out of memory under the heap limit, which Python's sqlite3
    raises as MemoryError: a 500 while another visitor's query held the heap): counted as many."""
    try:
        return _fts5_words(text)
    except (sqlite3.Error, UnicodeError, MemoryError):
        return None


def _fts5_words(text):
    with _SEARCH_TOKENIZER_LOCK:
        global _search_tokenizer
        if _search_tokenizer is None:
            connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            connection.execute("create virtual table temp.words using fts5(text, tokenize = 'unicode61')")
            connection.execute("create virtual table temp.vocabulary using fts5vocab(temp, 'words', 'instance')")
            _search_tokenizer = connection
        _search_tokenizer.execute("insert or replace into temp.words (rowid, text) values (1, ?)", (text,))
        try:
            return [term for (term,) in _search_tokenizer.execute("select term from temp.vocabulary")]
        finally:
            _search_tokenizer.execute("delete from temp.words")


_search_tokenizer = None
_SEARCH_TOKENIZER_LOCK = threading.Lock()


def is_search_page(path):
    # Datasette finds the query by its tilde-decoded name: /papers/~73earch.json is the search too.
    return tilde_decode(path.rsplit("/", 1)[-1]).split(".")[0] == SEARCH_QUERY


def reads_unindexed_columns(shape, query):
    """Whether a table or view page's filters or sorts (its `query_parameters`) name a column no
    index of it leads, filter in a way no index answers, sort in an order no index gives (ties
    by primary key included, as every sorted page is read: see from_the_first_row), or ask for a
    facet other than its configured ones (a facet counts every row it is given)."""
    facets_counted = bool(shape.facets) and not first_value(query, "_nofacet")  # Datasette reads the first
    for name, value in query:
        if name.startswith("_facet") and name != "_facet_size":
            # A facet other than the configured ones counts every row it is given. A date or array
            # facet reads every row of its column, configured or not. (refused() turns away the
            # names Datasette takes for a facet of the last type it read, `_facetx=abstract`.)
            if name not in COLUMN_FACET_PARAMETERS or value not in shape.facets:
                return True
        elif name in ("_sort", "_sort_desc"):
            if value and (value, name == "_sort_desc") not in shape.ordered:
                return True
        elif name == "_through":  # a filter through another table, by a join no index may serve
            return True
        elif is_column_filter(name):  # a search, _where and _through are seen to above
            column, operation = filter_column_and_operation(name)
            if operation not in INDEXED_FILTERS or column not in shape.indexed:
                return True
            if operation != "exact" and facets_counted:
                # Its facets are counted over the rows it selects, which a range may make most of
                # the table: `source_count__gte=1` took 0.35 s at 100k papers, 5 ms with _nofacet=1.
                return True
    return False


class TableShape(NamedTuple):
    """What the limits and the first page of a sort need to know of a table or view."""

    columns: frozenset  # its columns, rowid included for a table
    indexed: frozenset  # columns that lead a full index (and the primary key's, rowid): filters
    ordered: frozenset  # (column, descending) sorts an index gives in order, ties by primary key
    facets: frozenset  # the facet columns metadata.yml configures
    keys: tuple | None  # its integer primary key (("rowid",) if it has none); None for a view or other keys
    unordered_pages: frozenset = frozenset()  # columns of no declared type or BLOB: no page after a sort's first (unpageable_sort)
    unordered_key: bool = False  # its primary key holds such a column: no page after the first in its own order either
    fits_one_page: bool = True  # with unordered pages or key: its rows fit one page of max_returned_rows, as a stream's
    filterable: frozenset = frozenset()  # names a filter may use, A-Z lowered: columns, hidden ones, rowid's where there is one


class TablePage(NamedTuple):
    database: str
    table: str
    shape: TableShape


def table_page(datasette, path):
    """The table or view of a table or view page's path (`/database/table`, any format), or None
    for any other page."""
    parts = path.split("/")
    if len(parts) != 3:
        return None
    database = table_shapes(datasette).get(tilde_decode(parts[1]))
    if database is None:
        return None
    name, tables = database
    table = tilde_decode(parts[2])
    if table not in tables and "." in table:  # papers.json
        table = table.rsplit(".", 1)[0]
    return TablePage(name, table, tables[table]) if table in tables else None


_table_shapes = weakref.WeakKeyDictionary()


def table_shapes(datasette):
    """Per database route, its name and the TableShape of each table and view: read once per
    server process, from each file's schema, which an immutable file keeps."""
    if datasette not in _table_shapes:
        routes = {}
        for db in datasette.databases.values():
            if db.is_memory:
                continue
            try:
                conn = db.connect()
                try:
                    shapes = schema_shapes(conn, datasette.setting("max_returned_rows"))
                finally:
                    conn.close()
            except sqlite3.Error:  # not a readable database: Datasette's own pages say so
                continue
            routes[db.route] = (db.name, {name: shape._replace(facets=configured_facets(datasette, db.name, name))
                                          for name, shape in shapes.items()})
        _table_shapes[datasette] = routes
    return _table_shapes[datasette]


def configured_facets(datasette, database, table):
    facets = datasette.metadata("facets", database=database, table=table, fallback=False) or []
    return frozenset(facet if isinstance(facet, str) else next(iter(facet.values()), None) for facet in facets)


def schema_shapes(conn, page_rows):
    """The TableShape of each table and view, facets left empty. A partial index is left out,
    since it serves only queries that imply its condition. `page_rows`: max_returned_rows."""
    shapes = {}
    for name, kind, sql in conn.execute("select name, type, sql from sqlite_master where type in ('table', 'view')").fetchall():
        every_column = conn.execute("select name, type, pk, hidden from pragma_table_xinfo(?) order by pk", [name]).fetchall()
        info = [(column, declared, pk) for column, declared, pk, hidden in every_column if hidden != 1]
        columns = {column for column, _, _ in info}
        filterable = filterable_names(conn, name, kind, [column for column, *_ in every_column])
        if kind == "view":
            shapes[name] = TableShape(frozenset(columns), frozenset(), frozenset(), frozenset(), None, filterable=filterable)
            continue
        keys = tuple(column for column, _, pk in info if pk)
        integer_keys = all(declared.upper() == "INTEGER" for _, declared, pk in info if pk)
        keys = (keys or ("rowid",)) if integer_keys else None
        # A single key has no ties: the table gives its order either way.
        unique = keys if keys and len(keys) == 1 else ()
        indexed = {"rowid", *unique}  # a compound key's first column leads its own index, listed below
        ordered = {(key, descending) for key in ("rowid", *unique) for descending in (False, True)}
        for (index,) in conn.execute("select name from pragma_index_list(?) where partial = 0", [name]).fetchall():
            key_columns = conn.execute(
                'select name, "desc" from pragma_index_xinfo(?) where key = 1 order by seqno', [index]).fetchall()
            if not key_columns or key_columns[0][0] is None:  # an index on an expression
                continue
            indexed.add(key_columns[0][0])
            # (c), (c DESC) or (c, id): its rows come in c's order, ties by the rowid, ascending.
            if len(key_columns) == 1 or (unique and key_columns[1][0] == unique[0] and not key_columns[1][1]):
                ordered.add((key_columns[0][0], bool(key_columns[0][1])))
        # A value of such a column may be of any type, and Datasette's next-page token holds it as
        # text, which sorts after every number and before every BLOB.
        untyped = {column for column, declared, _ in info
                   if ("BLOB" in declared.upper() or not declared and holds_other_than_text(conn, name, column, sql))}
        # Counted up to one row more than a page: facet_counts has 524 rows at a million papers.
        fits_one_page = not untyped or conn.execute(f"select count(*) from (select 1 from {escape_sqlite(name)} limit ?)",
                                                    [page_rows + 1]).fetchone()[0] <= page_rows
        shapes[name] = TableShape(frozenset(columns | {"rowid"}), frozenset(indexed), frozenset(ordered),
                                  frozenset(), keys, frozenset(untyped), any(column in untyped for column, _, pk in info if pk),
                                  fits_one_page, filterable)
    return shapes


def ascii_lower(text):
    """A name in lower case as SQLite compares names: A-Z only ("Äpfel" and "straße" stay as they are)."""
    return text.translate(ASCII_LOWER)


ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def filterable_names(conn, name, kind, columns):
    """The names a table page's filter may use, in lower case as SQLite compares them: every one of
    `columns`, hidden ones too (an FTS5 table's own name, its rank), and rowid, oid and _rowid_ where
    the table has a rowid (not a view, nor a WITHOUT ROWID table, where each is read as text)."""
    names = {ascii_lower(column) for column in columns}
    if kind == "table":
        try:
            conn.execute(f"select rowid from {escape_sqlite(name)} limit 0")
            names |= {"rowid", "oid", "_rowid_"}
        except sqlite3.OperationalError:  # WITHOUT ROWID
            pass
    return frozenset(names)


def holds_other_than_text(conn, table, column, sql):
    """Whether a column of no declared type holds a number or a BLOB (facet_counts.value), where
    the text of a next-page token cannot say where a page ends: a column of text alone pages as
    any other (sqlite_stat1, papers_fts_config.k). A virtual table's (the full-text index, whose
    text is papers') is not read: that would read every paper, in each server process."""
    if (sql or "").upper().startswith("CREATE VIRTUAL"):
        return False
    found = conn.execute(f"select 1 from {escape_sqlite(table)} where typeof({escape_sqlite(column)}) not in ('text', 'null') "
                         "limit 1").fetchone()
    return found is not None


class RequestSlots:
    """How many requests of a kind one server process runs at once (`slots`). One more waits for a
    slot, up to OPEN_ENDED_WAIT_SECONDS; beyond OPEN_ENDED_WAITING_PER_SLOT waiting per slot, or
    after the wait, it is refused with a 429 saying `refusal`. Without the wait, eight visitors
    searching a table at once on two processes (100k papers, 25 ms a search) had 25 of 100
    searches refused; with no bound on waiting, a flood would only pile up in memory."""

    def __init__(self, slots, refusal, retry_after):
        self.slots = slots
        self.retry_after = retry_after  # seconds, for the 429's Retry-After
        self.free = asyncio.Semaphore(slots)
        self.waiting = 0
        self.refusal_text = refusal.format(slots=slots)

    async def take(self):
        """Whether a slot was taken (then `give_back` it), waiting for one if few others wait."""
        if not self.free.locked():
            await self.free.acquire()
            return True
        if self.waiting >= self.slots * OPEN_ENDED_WAITING_PER_SLOT:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self.free.acquire(), OPEN_ENDED_WAIT_SECONDS)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1

    def give_back(self):
        self.free.release()

    def refusal(self):
        return 429, "Too many requests of this kind at once", self.refusal_text


# Open-ended requests (is_open_ended) use all a process's SQL threads but OPEN_ENDED_THREADS_KEPT.
OPEN_ENDED_REFUSAL = (
    "This server runs {slots} requests at once that may read whole tables (SQL written by visitors, "
    "searches of a table, prefix searches, filters and sorts on columns without an index), and they were "
    "all taken. Try again in a second.")
# A streamed CSV of a whole table or view (`.csv?_stream=on`) is a core's work for seconds to
# minutes (listings at 100k papers: 23 MB, 15 s), in SQL and in the event loop. Eight at once
# on two processes put the listings table's own page at p95 1,075 ms (alone: 20-50 ms); two at
# once, one a process, at p95 51 ms.
STREAMS_AT_ONCE = 1
STREAM_REFUSAL = (
    "This server streams {slots} whole-table CSV at a time per process, and it was taken. Try again "
    "shortly, or download the whole database (its .db file) instead.")


def row_of_no_table(datasette, path):
    """(status, title, message) for a row's path under a name that is no table of its database
    (`/papers/nosuchtable/1`, `/papers/search/1`): Datasette 0.65 answered 400 "Invalid SQL - no
    such table", where the table's own path answers 404."""
    parts = path.split("/")
    if len(parts) != 4 or not parts[3]:
        return None
    database = table_shapes(datasette).get(tilde_decode(parts[1]))
    if database is None or tilde_decode(parts[2]) in database[1]:
        return None
    return 404, "Table not found", f"{tilde_decode(parts[2])!r} is no table of this database, so it has no rows."


def unpageable_sort(datasette, path, query):
    """(status, title, message) for a page after the first of a table sorted by a column that
    may hold values of any type, or BLOBs (TableShape.unordered_pages), and for a streamed CSV of
    it that would need more than one page: Datasette's next-page token holds the last value as
    text, so such pages repeated one page for ever or skipped every number (facet_counts by
    value), and streams lost or repeated rows without a word (papers_fts_idx at 100,000 papers: 1,000
    of its 16,276 rows; by term, its first 1,000 rows again up to max_csv_mb). The first page, and
    a stream of a table whose rows fit one page, are given."""
    streamed = streams_a_whole_table(datasette, path, query)
    token = first_value(query, "_next")
    if not token and not streamed:
        return None
    order = unpageable_order(datasette, path, query)
    if order is None:
        return None
    sort, page = order
    order_name = sort or "its primary key"
    if streamed:
        if page.shape.fits_one_page:
            return None
        return 400, "Bad request", (f"This table cannot be streamed in the order of {order_name}, whose values may be of "
                                    "any type: its rows after the first page would be lost or repeated. Sort by another "
                                    "column, or ask for the rows in SQL.")
    if page.shape.keys and is_first_row_token(token, page.shape.keys):
        return None  # the first page, from the token the plugin gives it (first_row_token), as its own links carry it
    stream = "stream the whole table as CSV (_stream=on), " if page.shape.fits_one_page else ""
    return 400, "Bad request", (f"Pages after the first cannot be given in the order of {order_name}, whose values may be "
                                f"of any type: sort by another column, {stream}or ask for the rows in SQL.")


def unpageable_order(datasette, path, query):
    """For a table page whose pages after the first cannot be given (unpageable_sort): (its sort
    column, or "" in its own order where its key holds BLOBs (papers_fts_idx's second page had no
    rows at all), its TablePage); None for any other page."""
    page = table_page(datasette, path)
    sort = first_value(query, "_sort") or first_value(query, "_sort_desc") or ""
    if page is None or not (sort in page.shape.unordered_pages or (not sort and page.shape.unordered_key)):
        return None
    return sort, page


def streams_a_whole_table(datasette, path, query):
    """Whether a request is a streamed CSV of a table or view page (`_stream`, which Datasette reads
    from its first value); a query's CSV is one page, streamed or not."""
    return (path.endswith(".csv") and bool(first_value(query, "_stream")) and table_page(datasette, path) is not None
            and bool(datasette.setting("allow_csv_stream")))


def without_unreadable_cookies(scope):
    """The request with only the cookies Datasette reads (DATASETTE_COOKIES), each in a form Python's
    cookie parser reads in time linear in its length (COOKIE_PAIR), and no Cookie header where none
    is left (see COOKIE_BYTES_LIMIT)."""
    headers = scope.get("headers") or []
    if not any(name == b"cookie" for name, _ in headers):
        return scope
    kept = []
    for name, value in headers:
        if name == b"cookie":
            value = datasettes_cookies(value)
            if not value:
                continue
        kept.append((name, value))
    return {**scope, "headers": kept}


def datasettes_cookies(value):
    """The pairs of a Cookie header Datasette reads, written as Python's parser reads them at once;
    b"" for none. Split here, never handed whole to that parser: `=` 8,000 times then a quote took
    it 0.94 s, parsed four times a request (found by review), backslashes a quadratic time too."""
    if len(value) > COOKIE_BYTES_LIMIT:
        return b""
    pairs = (COOKIE_PAIR.fullmatch(piece) for piece in value.split(b";"))
    return b"; ".join(pair[0].strip() for pair in pairs if pair is not None and pair[1] in DATASETTE_COOKIES)


# The cookies Datasette 0.65 and asgi-csrf read: the signed actor and messages, the CSRF token.
DATASETTE_COOKIES = frozenset((b"ds_actor", b"ds_messages", b"ds_csrftoken"))
# A name, then a value of the characters http.cookies takes unquoted, or quoted, of printable
# ASCII without a quote or backslash inside: each piece read once, left to right.
COOKIE_PAIR = re.compile(rb"[ \t]*([A-Za-z0-9_.-]+)=(?:\"[\x20\x21\x23-\x5b\x5d-\x7e]*\""
                         rb"|[A-Za-z0-9!#%&'~_`><@,:/$*+.^|)(?}{=\[\]-]*)[ \t]*")


def refused(scope, query):
    """(status, title, message) when a request (its `query_parameters`) must not reach Datasette,
    else None."""
    if scope["method"] not in READ_METHODS:
        # Datasette 0.65 answers 500 to an unknown method, and to a POST to a table or query page.
        return 405, "Method not allowed", f"This site is read-only: it answers {' and '.join(READ_METHODS)} requests."
    query_bytes = len(scope.get("query_string", b""))
    if len(query) > PARAMETERS_LIMIT or query_bytes > QUERY_STRING_LIMIT or len(query) * query_bytes > QUERY_PARSE_BUDGET:
        return 400, "Request too long", (f"A request is limited to {PARAMETERS_LIMIT} parameters, fewer the longer "
                                         f"they are, and {QUERY_STRING_LIMIT // 1024} kB of them on this server.")
    on_search_page = is_search_page(scope["path"])
    for name, value in query:
        too_long = parameter_too_long(on_search_page, name, value)
        if too_long:
            return 400, "Request too long", too_long
        if name in VISITOR_SQL_PARAMETERS and copies_a_with_query(value):  # a table's _where too
            return 400, "Bad request", NOT_MATERIALIZED_REFUSAL
        if name == "_timelimit" and not value.isdigit():
            return 400, "Bad request", "_timelimit must be a whole number of milliseconds."
        if name == "_through" and not through_names_text(value):
            return 400, "Bad request", ('_through must be a JSON object naming a table and a column as text: '
                                        '{"table": "...", "column": "...", "value": ...}.')
        if name.startswith("_facet") and name != "_facet" and not name.startswith("_facet_"):
            # Datasette 0.65 takes any name starting with _facet for a facet of the type it read
            # last: a table's last configured facet's (`_facetx=abstract` faceted papers'
            # abstracts), or none, a 500 and its traceback (`/papers/trending?_facetx=1`).
            return 400, "Bad request", f"{name} is no parameter: a facet is asked for with _facet=COLUMN."
        if name.startswith("_facet") and not facet_names_text(value):
            return 400, "Bad request", f'{name} must name a column, as text or as JSON such as {{"column": "..."}}.'
    facets = [(name, value) for name, value in query if name.startswith("_facet")]
    if len(facets) > FACET_PARAMETERS_LIMIT or len(set(facets)) < len(facets):
        # The plugin's facets are built one after another in the event loop: 400 copies of one took
        # 4.2 s of the whole server and 96 MB of answer, growing with the square of the copies.
        return 400, "Bad request", f"A page shows at most {FACET_PARAMETERS_LIMIT} facets, each once."
    return None


def unknown_filter(datasette, path, query):
    """(status, title, message) for a table or view page's filter on a column it has not, or by an
    operation Datasette has not, else None. SQLite reads a double-quoted name it does not know as
    text, so `?year=2023` on papers (its column is first_published_year) compared the text 'year'
    with '2023', and the page said "0 rows" with confidence (found by review); an unknown operation
    (`title__has=x`) Datasette leaves out, and every row was shown as if filtered. Names are
    compared as SQLite compares them (TableShape.filterable)."""
    page = table_page(datasette, path)
    if page is None:
        return None
    for name, _ in query:
        if not is_column_filter(name):
            continue
        column, operation = filter_column_and_operation(name)
        if operation not in FILTER_OPERATIONS:
            return 400, "Bad request", (f"{name}: {operation} is no filter; a filter is COLUMN=value or "
                                        f"COLUMN__OPERATION=value, the operation one of {', '.join(sorted(FILTER_OPERATIONS))}.")
        if ascii_lower(column) not in page.shape.filterable:
            return no_such_column(page, name, column)
    return None


def no_such_column(page, argument, column):
    """The 400 for a page's argument that names a column the page has not, naming those it has."""
    return 400, "Bad request", (f"{argument}: {page.table} has no column {column}; its columns are "
                                f"{', '.join(sorted(page.shape.columns - {'rowid'}))}.")


def unknown_facet(datasette, path, query):
    """(status, title, message) for a table or view page's facet (`_facet`, `_facet_array`,
    `_facet_date`, …) on a column it has not, else None. Datasette 0.65 answered 400 too, after
    starting every facet's count, which it then left unawaited: each such request logged Python's
    warnings that a coroutine was never awaited (8,400 lines in one server's log: review), where a
    refused request logs nothing."""
    page = table_page(datasette, path)
    if page is None:
        return None
    for name, value in query:
        if (name == "_facet" or name.startswith("_facet_")) and name != "_facet_size" and value \
                and ascii_lower(value) not in page.shape.filterable:
            return no_such_column(page, f"{name}={value}", value)
    return None


FACET_PARAMETERS_LIMIT = 10  # metadata.yml's tables have 4 facets at most
# A table or view page repeats its whole query string in each link it shows: each facet's and
# each of its values' (up to the facet size: 1,000 with `_facet_size=max`), each column's sort,
# paging and export. 80 kB of query string beside 9 facets made a 132 MB answer in 13 s, the
# process's other visitors waiting up to 9 s (found by review); each link took about 0.2 µs per
# byte of the query string (bundled database, 2026-12-02). So the query string's bytes times the
# links a page may show are bounded: 2 MB is about 0.4 s, and 13 kB of query string on a table
# page with its 4 configured facets.
LINKED_QUERY_BYTES_LIMIT = 2_000_000
PAGE_LINKS_BESIDE_COLUMNS = 10  # paging, export and the other links a table page shows once


def query_too_long_for_its_links(datasette, scope, query):
    """(400, title, message) when a table or view page's query string times the links it may
    show is over LINKED_QUERY_BYTES_LIMIT, else None."""
    page = table_page(datasette, scope["path"])
    if page is None or scope["path"].endswith(".csv"):  # a CSV shows no links, and Datasette's asks for no facets
        return None
    links = len(page.shape.columns) + PAGE_LINKS_BESIDE_COLUMNS
    arguments = dict(reversed(query))  # the first value of each name, as Datasette's request.args.get reads it
    if not arguments.get("_nofacet") and arguments.get("_shape") not in ("array", "object"):
        facets = page.shape.facets | {value for name, value in query if name.startswith("_facet") and name != "_facet_size"}
        links += len(facets) * (facet_size(datasette, page, arguments.get("_facet_size")) + 1)
    if len(scope.get("query_string", b"")) * links <= LINKED_QUERY_BYTES_LIMIT:
        return None
    return 400, "Request too long", (
        f"This page repeats its query string in each of its links (up to {links:,} here): with that many, it is "
        f"limited to {LINKED_QUERY_BYTES_LIMIT // links:,} bytes on this server. Ask for fewer facets, a smaller "
        "_facet_size, or none with _nofacet=1.")


def facet_size(datasette, page, asked):
    """The number of values a page shows of each facet, as Datasette's Facet.get_facet_size reads it."""
    most = datasette.setting("max_returned_rows")
    if asked == "max":
        return most
    if asked and asked.isascii() and asked.isdigit():
        digits = asked.lstrip("0") or "0"  # int() refuses more than 4,300 digits
        return most if len(digits) > 9 else min(int(digits), most)
    configured = (datasette.metadata("tables", database=page.database) or {}).get(page.table, {}).get("facet_size")
    if configured:
        return most if configured == "max" else min(int(configured), most)
    return min(datasette.setting("default_facet_size"), most)
SPACES = re.compile(r"\s*")
SELECT_START = re.compile(r"(?:explain\s+(?:query\s+plan\s+)?)?(?:select|with)\b")


def validate_sql_select_in_one_pass(sql):
    """Datasette 0.65's validate_sql_select, the same answers with the same errors, with its check
    for a SELECT done by reads_as_a_select. Datasette's regular expressions, run where every
    request of the process waits, backtrack over the spaces after a comment in time growing with
    their square, for any text they do not take at once: `/**/`, 9,990 spaces and `x` held a server
    0.5 s, and so did a WITH or EXPLAIN after them (tried after every SELECT pattern failed)."""
    from datasette.utils import InvalidSql, disallawed_sql_res

    text = checked_sql_text(sql)
    if not starts_with_a_select(text):
        raise InvalidSql("Statement must be a SELECT")
    for pattern, message in disallawed_sql_res:
        if pattern.search(text):
            raise InvalidSql(message)
    if copies_a_with_query(text):
        raise InvalidSql(NOT_MATERIALIZED_REFUSAL)


def copies_a_with_query(sql):
    """Whether SQL a visitor wrote asks for NOT MATERIALIZED outside its strings and comments."""
    return "materialized" in sql.lower() and NOT_MATERIALIZED.search(SQL_LITERALS_AND_COMMENTS.sub(" ", sql.lower()))


# `WITH t AS NOT MATERIALIZED (...)` copies t's query into every place it is used, literals and all,
# and nine such doublings of a 36 kB literal compiled to 18 MB a statement (the opcode limit counts
# no literal): twelve filled the process's SQLite heap, and every page answered 400 (found by review).
# Without it SQLite keeps a query used twice once.
NOT_MATERIALIZED = re.compile(r"\bnot\s+materialized\b")
NOT_MATERIALIZED_REFUSAL = ("NOT MATERIALIZED is not allowed on this server: it copies a WITH query into each place "
                            "it is used. Leave it out; SQLite then computes the query once.")
# Strings, quoted names and comments, each read once (an unclosed one to the text's end): what
# NOT_MATERIALIZED must not find its words in, nor miss them for (`not/**/materialized`).
SQL_LITERALS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|`[^`]*`?|\[[^\]]*\]?|--[^\n]*|/\*.*?(?:\*/|\Z)",
                                       re.DOTALL)


def checked_sql_text(sql):
    """The text Datasette 0.65's validate_sql_select checks: lines starting with -- dropped, the
    rest stripped and lower-cased."""
    return "\n".join(line for line in sql.split("\n") if not line.strip().startswith("--")).strip().lower()


def reads_as_a_select(sql):
    """Whether Datasette 0.65's validate_sql_select takes `sql` for a SELECT (or WITH, or EXPLAIN of
    either) after its leading spaces and comments, found in one pass."""
    return starts_with_a_select(checked_sql_text(sql))


def starts_with_a_select(text):
    """Whether checked_sql_text's `text` starts with a SELECT, WITH or EXPLAIN of either after
    spaces, -- comments ending in a newline and /* */ comments, as Datasette's patterns skip them."""
    position = SPACES.match(text).end()
    while text.startswith(("--", "/*"), position):
        line_comment = text.startswith("--", position)
        end = text.find("\n" if line_comment else "*/", position + 2)
        if end < 0:
            return False  # a comment that never ends: no statement follows it
        position = SPACES.match(text, end + (1 if line_comment else 2)).end()
    return SELECT_START.match(text, position) is not None


def facet_names_text(value):
    """False for a facet given as JSON that is not an object of text values, which Datasette 0.65
    answers with a 500 (`_facet={"column": 5}`), or as JSON nested too deeply to read. Text that
    does not start like JSON is a column name to Datasette."""
    return not value.lstrip().startswith(("{", "[")) or json_parameter_fits(
        value, lambda facet: isinstance(facet, dict) and all(isinstance(item, str) for item in facet.values()))


def through_names_text(value):
    """False for a `_through` that is JSON but not an object, or names its table or column with
    something other than text: Datasette 0.65 answers those with a 500 (`{"table": 5, ...}` fails
    in its permission check)."""
    return json_parameter_fits(value, lambda through: isinstance(through, dict) and all(
        isinstance(through.get(key, ""), str) for key in ("table", "column")))


def json_parameter_fits(value, fits):
    """Whether a parameter Datasette reads with json.loads is one it can use: JSON it cannot read
    it answers with a 400 itself; JSON nested a thousand deep raises RecursionError (uvicorn's
    bare 500 page); anything else, what `fits` says of it."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return True
    except RecursionError:
        return False
    return fits(parsed)


def parameter_too_long(on_search_page, name, value):
    if name == "sql" and len(value) > SQL_TEXT_LIMIT:
        return f"SQL is limited to {SQL_TEXT_LIMIT:,} characters on this server."
    if (name.startswith("_search") or (name == "q" and on_search_page)) and len(value) > SEARCH_TEXT_LIMIT:
        return f"Search text is limited to {SEARCH_TEXT_LIMIT} characters on this server."
    if len(value) > PARAMETER_LIMIT:
        return f"A request parameter is limited to {PARAMETER_LIMIT:,} characters on this server."
    return None


ALIAS_PATH = re.compile(r"^/(?P<database>[^/]+)/papers/(?P<paper_id>\d+)(?P<json>\.json)?$")


def alias_redirect(datasette, request, exception):
    """A paper id from an earlier build, before its paper merged with another (paper_aliases),
    redirects to the paper's page: old links and bookmarks keep working. None when the request
    is not for a missing paper."""
    from datasette.utils.asgi import NotFound, Response  # not at import time: see datasette_error_page

    match = ALIAS_PATH.match(request.path) if request is not None else None
    if match is None or not isinstance(exception, NotFound):
        return None

    async def redirect_to_paper():
        try:
            db = datasette.get_database(route=tilde_decode(match["database"]))  # /~70apers is /papers
            row = (await db.execute("select paper_id from paper_aliases where id = :id",
                                    {"id": int(match["paper_id"])})).first()
        except Exception:  # noqa: BLE001 - not a papers-db database: Datasette's own 404 stands
            return None
        if row is None or str(row["paper_id"]) == match["paper_id"]:
            return None
        url = str(datasette.urls.row(db.name, "papers", str(row["paper_id"]), format="json" if match["json"] else None))
        if request.query_string:  # ?_shape=array and the like: a script pinning an old id gets the same answer
            url += "?" + request.query_string
        return Response.redirect(url)  # 302: a later build may list the papers apart again

    return redirect_to_paper


# --- Canned-query pages ------------------------------------------------------------------------
#
# Canned-query pages in HTML, written by the plugin: the page Datasette 0.65's query view writes,
# byte for byte but for the time its footer states, in 67-83% of its time.
#
# At 1,005,000 papers trending_on's page of 200 rows took 9.6 ms in Datasette's view (4.8 times the
# page that runs no SQL), about 3.5 ms of it the query: each of its 1,200 cells went through the
# render_cell hooks one pluggy call at a time, and the request began with Datasette's check of every
# database's schema (three queries), which an immutable file never needs. This page runs the same
# query, calls the plugin's own render_cell directly while no other plugin has one (each other
# plugin's hooks are called as Datasette calls them), and has Datasette render the same template:
# 6.7 ms (3.3 times). papers_by_tier went from 6.3 to 4.2 ms, a query of a few rows from 2.1-2.3 to
# 1.6-1.8 ms. Rendering the template in Jinja's sync mode took 0.2 ms more off, but another
# plugin's template variables or filters to await would have printed as coroutines: not done.
#
# Datasette's own view answers the rest: a write query, a method other than GET (HEAD included),
# and any argument that starts with an underscore (_hide_sql, _timelimit, _size, ...). The JSON and
# CSV have paths of their own (.json, .csv), which stay Datasette's. tests/test_query_pages.py
# compares each page with the one a server without these pages writes.

def plugin_manager():
    """Datasette's plugin manager, imported when first needed: importing datasette.plugins loads
    the plugins, this module among them, so imported with this module it registered a module whose
    hooks were not yet defined (the workers of `serve`, which import this module first)."""
    from datasette.plugins import pm

    return pm


async def canned_query_page(datasette, request):
    """/<database>/<canned query>: the plugin's page, or Datasette's view for what it leaves to it."""
    db = datasette.get_database(route=tilde_decode(request.url_vars["database"]))
    name = tilde_decode(request.url_vars["table"])
    query = await datasette.get_canned_query(db.name, name, request.actor)
    if request.method != "GET" or query is None or query.get("write") or any(key.startswith("_") for key in request.args):
        return await datasettes_page(datasette, request)
    return await page_of_query(datasette, request, db, name, query)


def table_view(datasette):
    """Datasette's table view, which serves canned queries (views/table.py hands them to QueryView):
    its rendering and response headers are the page's, and the hooks hear its name, "table"."""
    from datasette.views.table import TableView

    return TableView(datasette)


async def datasettes_page(datasette, request):
    """The page as Datasette's table view answers it (canned queries included)."""
    # The same request, as Datasette's router passes it on (its flash messages go with it).
    request.scope = dict(request.scope, url_route={"kwargs": {**request.url_vars, "format": None}})
    return await table_view(datasette).dispatch_request(request)


async def page_of_query(datasette, request, db, name, query):
    """What Datasette 0.65's QueryView.data and DataView.get do for the HTML of a canned read
    query, in the same order and with the same hooks; the rendering and headers are its view's own."""
    from datasette.database import QueryInterrupted
    from datasette.views.base import DatasetteError
    from datasette.views.database import MagicParameters

    database, sql, started, view = db.name, query["sql"], time.perf_counter(), table_view(datasette)
    params = {key: request.args.get(key) for key in request.args}
    params.pop("sql", None)
    visible, private = await datasette.check_visibility(
        request.actor, permissions=[("view-query", (database, name)), ("view-database", database), "view-instance"])
    if not visible:
        raise Forbidden("You do not have permission to view this query")
    named_parameters = query.get("params") or await derive_named_parameters(db, sql)
    named_parameter_values = {parameter: params.get(parameter) or "" for parameter in named_parameters
                              if not parameter.startswith("_")}
    for parameter in named_parameters:
        if parameter not in params and not parameter.startswith("_"):
            params[parameter] = ""
    query_error, results, columns = None, None, []
    try:
        results = await canned_query_results(datasette, db, name, sql, MagicParameters(params, request, datasette))
        columns = [column[0] for column in results.description]
    except QueryInterrupted as interrupted:
        raise DatasetteError(interrupted_message(interrupted.sql), title="SQL Interrupted", status=400,
                             message_is_html=True) from None
    except sqlite3.DatabaseError as error:
        query_error = error
    allow_execute_sql = await datasette.permission_allowed(request.actor, "execute-sql", database, default=True)
    data = {
        "ok": not query_error, "database": database, "query_name": name,
        "rows": results.rows if results else [], "truncated": results.truncated if results else False,
        "columns": columns, "query": {"sql": sql, "params": params},
        "error": str(query_error) if query_error else None, "private": private, "allow_execute_sql": allow_execute_sql,
        "query_ms": (time.perf_counter() - started) * 1000,
    }
    for key in ("source", "source_url", "license", "license_url"):
        value = datasette.metadata(key)
        if value:
            data[key] = value
    hide_sql = bool(query.get("hide_sql"))
    show_hide_link = path_with_added_args(request, {"_show_sql" if hide_sql else "_hide_sql": 1})
    extras = {
        "display_rows": await display_rows(datasette, request, database, results),
        "custom_sql": True, "named_parameter_values": named_parameter_values, "editable": False, "canned_query": name,
        "edit_sql_url": edit_sql_url(datasette, database, sql, named_parameter_values) if allow_execute_sql else None,
        "metadata": query, "request": request,
        "show_hide_link": datasette.urls.path(show_hide_link), "show_hide_text": "show" if hide_sql else "hide",
        "show_hide_hidden": markupsafe.Markup(""), "hide_sql": hide_sql,
    }
    url_csv = datasette.urls.path(path_with_format(request=request, format="csv", extra_qs={"_size": "max"}))
    context = {
        **data, **extras,
        "renderers": await renderer_urls(datasette, request, data, view.name),
        "url_csv": url_csv, "url_csv_path": url_csv.split("?")[0],
        "url_csv_hidden_args": [(key, value) for key, value in urllib.parse.parse_qsl(request.query_string)
                                if key not in ("_labels", "_facet", "_size")] + [("_size", "max")],
        "datasette_version": __version__, "settings": datasette.settings_dict(),
    }
    templates = [f"query-{to_css_class(database)}-{to_css_class(name)}.html", f"query-{to_css_class(database)}.html", "query.html"]
    response = await view.render(templates, request, context)
    if query_error:
        response.status = 400
    return view.set_response_headers(response, datasette.setting("default_cache_ttl"))  # a `_ttl` goes to Datasette


# The canned queries whose HTML pages run their query in the event loop, not on a SQL thread:
# under load a thread's answer waited for the loop to be free again. In the loop
# papers_by_tier's page went from 4.9-6.3 to 2.4-3.9 times the no-SQL page's p95,
# papers_by_organization's from 3.6-5.3 to 2.5-2.6 (100,000 papers, 8 clients, 2 workers:
# benchmarks/HISTORY.md, forty-seventh session). Each reads an index for one value and at most a
# few thousand rows at a million papers, and no full-text index, where one FTS5 instruction can
# run past any check: the slowest of their largest values there took 1.8 ms (trending_on's
# busiest day). Any other canned query, a user's own among them, runs on a thread as before.
# Each is named with the first 16 hex digits of its SQL's SHA-256: a query changed in metadata.yml,
# or another of the same name (a user's own metadata), runs on a thread until its cost is known
# again (tests/test_query_pages.py checks the digests against metadata.yml).
IN_LOOP_QUERIES = {
    "search": "85413c2a592cf8c1",  # its own page, with its own bounds: search_rows_in_the_loop
    "papers_by_tier": "17fba20a53620327",
    "accepted_per_tier": "81667423acbecab9",
    "trending_on": "a5dd2a500f86b60b",
    "paper_listings": "8a2855f440790ccd",
    "related_to": "5867800284712aad",
    "papers_by_organization": "fb3b8a87b09974c4",
    "papers_per_month_of_year": "3f02589cd9962a86",
}
# A file with larger groups (a day of 100,000 listings) stops here and runs again on a thread:
# with the file in the page cache the loop loses at most this (see IN_LOOP_CHECK_INSTRUCTIONS).
IN_LOOP_QUERY_MS = 25


@functools.lru_cache(maxsize=256)  # the same few queries on every request
def sql_digest(sql):
    return hashlib.sha256(sql.encode()).hexdigest()[:16]


async def canned_query_results(datasette, db, name, sql, params):
    """The Results of canned query `name`, as Datasette's execute gives them with `truncate`: run
    in the event loop where it is one of IN_LOOP_QUERIES, its SQL unchanged (trying_the_loop_first),
    and on a SQL thread where not."""
    in_the_loop = running_in_the_loop.set(IN_LOOP_QUERIES.get(name) == sql_digest(sql))
    try:
        return await db.execute(sql, params, truncate=True)
    finally:
        running_in_the_loop.reset(in_the_loop)


# Set while a page's queries may run in the event loop: a canned query's of known cost
# (canned_query_results), or the table view's for a page that asks only for such (reading_tables_in_the_loop).
running_in_the_loop = contextvars.ContextVar("running_in_the_loop", default=False)


def trying_the_loop_first(db, execute):
    """A database's execute that runs a query in the event loop while running_in_the_loop is set
    and the file's queries may run there (may_run_in_the_loop), under IN_LOOP_QUERY_MS at most; and
    on a SQL thread otherwise, or where in the loop it failed or ran past that limit: the thread
    runs it again with its own time limit, so its answer, error or interruption is Datasette's."""
    from datasette.database import QueryInterrupted

    async def execute_in_the_loop_first(sql, params=None, **kwargs):
        if running_in_the_loop.get() and may_run_in_the_loop(db):
            limit = min(kwargs.get("custom_time_limit") or IN_LOOP_QUERY_MS, IN_LOOP_QUERY_MS)
            attempt = trying_in_the_loop.set(db)
            try:
                return await execute(sql, params, **{**kwargs, "custom_time_limit": limit})
            except (QueryInterrupted, sqlite3.Error, ServerFault):
                pass
            finally:
                trying_in_the_loop.reset(attempt)
        # On a thread, even inside another query's attempt (a schema question asked within it).
        on_a_thread = trying_in_the_loop.set(None)
        try:
            return await execute(sql, params, **kwargs)
        finally:
            trying_in_the_loop.reset(on_a_thread)
    return execute_in_the_loop_first


# The database whose query trying_the_loop_first runs in the loop, under its limit, while it runs
# there: the only work that does (a function another plugin hands to execute_fn has no time limit).
trying_in_the_loop = contextvars.ContextVar("trying_in_the_loop", default=None)


def running_in_the_loop_when_asked(datasette, db, execute_fn):
    """A database's execute_fn that runs a query's function on the event loop's connection to the
    file while trying_the_loop_first tries it there, and as Datasette does otherwise: on a SQL
    thread."""
    async def run_where_asked(fn):
        if trying_in_the_loop.get() is db:
            with waits_counted_in_the_loop(db):
                return fn(loop_connection(datasette, db))
        return await execute_fn(fn)
    return run_where_asked


async def display_rows(datasette, request, database, results):
    """Each cell as Datasette's query view shows it: a render_cell hook's answer, or else a blank, a
    link for a URL, a download link for bytes, or the value as text (cut to truncate_cells_html)."""
    only_ours = renders_every_cell()
    truncate_cells = datasette.setting("truncate_cells_html")
    rows, columns = [], results.columns if results else []
    for row in results.rows if results else []:
        shown = []
        for column, value in zip(columns, row):
            if only_ours:  # a pluggy call a cell was a third of the page
                by_plugin = render_cell(row=row, value=value, column=column, table=None, database=database, datasette=datasette)
            else:
                by_plugin = await first_cell_by_a_plugin(row, value, column, database, datasette)
            shown.append(by_plugin if by_plugin is not None else default_cell(request, column, value, truncate_cells))
        rows.append(shown)
    return rows


def renders_every_cell():
    """Whether this plugin's render_cell is the only one, so a cell can be given to it directly:
    a pluggy call a cell was a third of a query page, and 1.4 ms of a papers table page's 3.5 ms
    of cells (100k papers, 700 cells)."""
    implementations = plugin_manager().hook.render_cell.get_hookimpls()
    return len(implementations) == 1 and implementations[0].function is render_cell


# Datasette's own views: their pages' contexts are Datasette's and this plugin's alone.
PLAIN_RENDERED_VIEWS = frozenset({"index", "database", "table", "row", "json_data"})


def rendering_in_plain_jinja(datasette, render_template):
    """Datasette's render_template, rendering the pages of its own views (PLAIN_RENDERED_VIEWS)
    with Jinja in its plain (not async) mode while nothing awaitable can reach them
    (plain_template_for). Async Jinja passes each piece of a page through a coroutine of every
    enclosing template. At 100k papers the papers page with two facet values took 19.3 ms
    rendered so against 21.8, the listings page with a facet value 19.1 against 22.0 (the no-SQL
    page: 3.9 ms). The bytes are the same templates' (tests/test_rendering.py compares every kind
    of page with Datasette's own rendering; error pages are its error handler's). A function of
    the context Datasette calls from a template (table_actions, menu_links, crumb_items: each
    async) is run to its end at once; should one wait for anything, the page is rendered again as
    Datasette renders it."""
    import jinja2

    made = {}  # the plain environment, and the settings of Datasette's it was made from
    checked = {}  # whether Datasette's globals and filters (as they were when last checked) hold something to await

    def adds_something_to_await(environment):
        """Checked again only when they change: checking each of their 66 took 0.18 ms."""
        added = (tuple(environment.globals.items()), tuple(environment.filters.items()))
        if checked.get("added") != added:
            checked["awaits"] = any(awaits(value) for _, value in (*added[0], *added[1]))
            checked["added"] = added
        return checked["awaits"]

    class PlainTemplate(jinja2.Template):
        async def render_async(self, *args, **kwargs):
            context = dict(*args, **kwargs)
            try:
                return self.render({key: run_at_once(value) if inspect.iscoroutinefunction(value) else value
                                    for key, value in context.items()})
            except Waited:
                return await self.async_template.render_async(context)

    def plain_environment():
        """Datasette's environment in plain mode, made again if another plugin's startup replaced
        or reconfigured Datasette's (its loader, its syntax, its whitespace) after this one's."""
        environment = datasette.jinja_env
        settings = environment_settings(environment)
        if made.get("settings") != settings:
            made["environment"] = environment.overlay(enable_async=False)
            made["environment"].template_class = PlainTemplate
            made["settings"] = settings
        return made["environment"]

    def plain_template_for(templates, context, view_name):
        """The template Datasette would render, in plain mode, or None to leave it to Datasette."""
        if view_name not in PLAIN_RENDERED_VIEWS or not only_this_plugin_fills_templates():
            return None
        database = datasette.databases.get((context or {}).get("database"))
        if database is not None and database.is_mutable:
            return None  # its permission checks read the file: a page's crumbs would wait, and render twice
        environment = datasette.jinja_env
        if adds_something_to_await(environment):
            return None  # another plugin's startup added it
        if isinstance(templates, jinja2.Template):
            chosen = templates
        else:
            chosen = environment.select_template([templates] if isinstance(templates, str) else templates)
        if chosen.environment is not environment or chosen.name is None:
            return None
        plain = plain_environment().get_template(chosen.name)
        if plain.filename != chosen.filename:
            return None  # chosen through a prefix ("default:table.html"): another file goes by its name
        for_this_page = object.__new__(PlainTemplate)  # the compiled template, with its async twin to fall back on
        for_this_page.__dict__.update(plain.__dict__, async_template=chosen)
        return for_this_page

    async def render(templates, context=None, request=None, view_name=None):
        plain = plain_template_for(templates, context, view_name)
        return await render_template(plain or templates, context, request=request, view_name=view_name)

    render.datasettes = render_template
    render.plain_environment = plain_environment
    return render


def environment_settings(environment):
    """What a Jinja overlay copies from `environment`, to tell when it has changed."""
    return (environment, environment.loader, environment.autoescape, environment.finalize, environment.undefined,
            environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
            environment.keep_trailing_newline, environment.block_start_string, environment.block_end_string,
            environment.variable_start_string, environment.variable_end_string, environment.comment_start_string,
            environment.comment_end_string, environment.line_statement_prefix, environment.line_comment_prefix,
            tuple(environment.extensions))


def awaits(function):
    """Whether calling `function` gives something to await (or to iterate asynchronously)."""
    candidates = (function, type(function).__call__) if callable(function) else (function,)
    return any(inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate) for candidate in candidates)


class Waited(Exception):
    """A coroutine run at once waited for something: the page is rendered as Datasette renders it."""


def run_at_once(coroutine_function):
    def call(*args, **kwargs):
        coroutine = coroutine_function(*args, **kwargs)
        try:
            coroutine.send(None)
        except StopIteration as finished:
            return finished.value
        try:
            coroutine.close()
        except Exception:  # it waited again as it was closed (in a `finally`): left to the garbage collector
            pass
        raise Waited()
    return call


def only_this_plugin_fills_templates():
    """Whether no other plugin adds variables, filters or functions to templates, any of which may
    be awaitable, which plain Jinja would write as text."""
    pm = plugin_manager()
    return all(implementation.function in (extra_template_vars, prepare_jinja2_environment)
               for hook in (pm.hook.extra_template_vars, pm.hook.prepare_jinja2_environment)
               for implementation in hook.get_hookimpls())


def showing_cells_without_pluggy(datasettes):
    """Datasette 0.65.5's display_columns_and_rows (views/table.py), which a table or view page
    calls for its cells, calling this plugin's render_cell directly while it is the only one, and
    Datasette's own function (`datasettes`) otherwise. The columns and cells are Datasette's, value
    for value: tests/test_table_pages.py compares them with what the function itself gives."""
    from datasette.utils import CustomRow, path_from_row_pks
    from datasette.views.base import ureg
    from datasette.views.table import LINK_WITH_LABEL, LINK_WITH_VALUE, Row

    async def display_columns_and_rows(datasette, database_name, table_name, description, rows, link_column=False,
                                       truncate_cells=0, sortable_columns=None):
        if not renders_every_cell():
            return await datasettes(datasette, database_name, table_name, description, rows, link_column=link_column,
                                    truncate_cells=truncate_cells, sortable_columns=sortable_columns)
        sortable_columns = sortable_columns or set()
        db = datasette.databases[database_name]
        table_metadata = datasette.table_metadata(database_name, table_name)
        column_descriptions = table_metadata.get("columns") or {}
        units = table_metadata.get("units", {})
        column_details = {col.name: col for col in await db.table_column_details(table_name)}
        pks = await db.primary_keys(table_name)
        pks_for_display = pks or ["rowid"]
        columns = []
        for r in description:
            if r[0] == "rowid" and "rowid" not in column_details:
                type_, notnull = "integer", 0
            else:
                type_, notnull = column_details[r[0]].type, column_details[r[0]].notnull
            columns.append({"name": r[0], "sortable": r[0] in sortable_columns, "is_pk": r[0] in pks_for_display,
                            "type": type_, "notnull": notnull, "description": column_descriptions.get(r[0])})
        column_to_foreign_key_table = {fk["column"]: fk["other_table"] for fk in await db.foreign_keys_for_table(table_name)}
        foreign_key_table_paths = {column: tilde_encode(other) for column, other in column_to_foreign_key_table.items()}
        base_url = datasette.setting("base_url")
        table_path = datasette.urls.table(database_name, table_name) if link_column else None  # the same for every row
        skipped = pks[0] if link_column and len(pks) == 1 else None  # shown in the link column
        # `units:` left empty in metadata is None, which Datasette's function looks into only for a cell.
        plain_columns = {column["name"] for column in columns
                         if units is not None and column["name"] != "title" and column["name"] not in units}
        cell_rows = []
        for row in rows:
            cells = []
            if link_column:
                pk_path = path_from_row_pks(row, pks, not pks, False)
                cells.append({
                    "column": pks[0] if len(pks) == 1 else "Link",
                    "value_type": "pk",
                    "is_special_link_column": len(pks) != 1,
                    "raw": pk_path,
                    "value": markupsafe.Markup(
                        f'<a href="{table_path}/{path_from_row_pks(row, pks, not pks)}">{markupsafe.escape(pk_path)}</a>'),
                })
            # A page with labels has CustomRows, whose values Python code gives one at a time: 0.3 ms
            # of a listings page's 2.5 ms of cells (100k papers, 800 cells).
            values = [dict.__getitem__(row, name) for name in row.columns] if type(row) is CustomRow else row
            for value, column_dict in zip(values, columns):
                column = column_dict["name"]
                if column == skipped:
                    continue
                if column in plain_columns and type(value) in PLAIN_TYPE_NAMES:
                    cells.append({"column": column, "value": plain_cell(value, truncate_cells), "raw": value,
                                  "value_type": PLAIN_TYPE_NAMES[type(value)]})
                    continue
                plugin_display_value = render_cell(row=row, value=value, column=column, table=table_name,
                                                   database=database_name, datasette=datasette)
                if plugin_display_value:
                    display_value = plugin_display_value
                elif isinstance(value, bytes):
                    display_value = blob_link(
                        datasette.urls.row_blob(database_name, table_name, path_from_row_pks(row, pks, not pks), column), value)
                elif isinstance(value, dict):  # an expanded foreign key: a link to the other row
                    label, value = value["label"], value["value"]
                    link_template = LINK_WITH_LABEL if label != value else LINK_WITH_VALUE
                    display_value = markupsafe.Markup(link_template.format(
                        database=database_name, base_url=base_url, table=foreign_key_table_paths[column],
                        link_id=tilde_encoded(str(value)), id=str(markupsafe.escape(value)),
                        label=str(markupsafe.escape(label)) or "-"))
                elif value in ("", None):
                    display_value = markupsafe.Markup("&nbsp;")
                elif is_url(str(value).strip()):
                    display_value = url_link(value, truncate_cells)
                elif column in units and value != "":
                    value = round((value * ureg(units[column])).to_compact(), 6)  # as Datasette rounds pint's floats
                    display_value = markupsafe.Markup(f"{value:~P}".replace(" ", "&nbsp;"))
                else:
                    display_value = cut_to(str(value), truncate_cells)
                cells.append({"column": column, "value": display_value, "raw": value,
                              "value_type": "none" if value is None else str(type(value).__name__)})
            cell_rows.append(Row(cells))
        if link_column:
            # The link column's header first; a single primary key's column moves there.
            if len(pks) == 1:
                columns = [col for col in columns if col["name"] != pks[0]]
                first_column = {"name": pks[0], "sortable": True, "is_pk": True,
                                "type": column_details[pks[0]].type, "notnull": column_details[pks[0]].notnull}
            else:
                first_column = {"name": "Link", "sortable": False, "is_pk": False, "type": "", "notnull": 0}
            columns = [first_column] + columns
        return columns, cell_rows

    display_columns_and_rows.datasettes = datasettes
    return display_columns_and_rows


# A cell's type, as Datasette names it, for the values plain_cell shows.
PLAIN_TYPE_NAMES = {int: "int", float: "float", str: "str", type(None): "none"}


def plain_cell(value, truncate_cells):
    """A number, text or NULL in a column with no units that is not a title, as render_cell and
    then Datasette's display_columns_and_rows show it, without their checks for BLOBs, foreign
    keys, units and titles. At 100k papers the cells of a papers page took 2.58 ms instead of 3.24
    (650 cells), of a listings page 4.22 instead of 4.78, of paper_overview 0.90 instead of 1.30."""
    if value is None or value == "":
        return markupsafe.Markup("&nbsp;")
    if type(value) is not str:
        return cut_to(str(value), truncate_cells)
    if _is_highlighted(value):
        return Markup(_marked(value))
    if is_url(value.strip()):
        return url_link(value, truncate_cells)
    return cut_to(value, truncate_cells)


TILDE_SAFE = re.compile(r"[A-Za-z0-9_-]*")  # the characters tilde encoding keeps (datasette.utils)


def tilde_encoded(text):
    """tilde_encode(text), without encoding it a byte at a time where it is all safe characters, as
    a key usually is: 200 keys took 0.25 ms of a listings page."""
    return text if TILDE_SAFE.fullmatch(text) else tilde_encode(text)


async def first_cell_by_a_plugin(row, value, column, database, datasette):
    for candidate in plugin_manager().hook.render_cell(row=row, value=value, column=column, table=None, database=database,
                                         datasette=datasette):
        candidate = await await_me_maybe(candidate)
        if candidate is not None:
            return candidate
    return None


def default_cell(request, column, value, truncate_cells):
    """Datasette 0.65's query view's own rendering of a cell no plugin rendered."""
    if type(value) in (int, float):  # never blank, a URL or bytes: shown as text, cut as text is
        return cut_to(str(value), truncate_cells)
    if value in ("", None):
        return markupsafe.Markup("&nbsp;")
    if is_url(str(value).strip()):
        return url_link(value, truncate_cells)
    if isinstance(value, bytes):
        return blob_link(path_with_format(request=request, format="blob", extra_qs={
            "_blob_column": column, "_blob_hash": hashlib.sha256(value).hexdigest()}), value)
    return cut_to(str(value), truncate_cells)


def cut_to(shown, truncate_cells):
    return shown[:truncate_cells] + "\u2026" if truncate_cells and len(shown) > truncate_cells else shown


def url_link(value, truncate_cells):
    """A cell holding one URL, as Datasette links it: its text cut to truncate_cells."""
    url, shown = markupsafe.escape(value.strip()), markupsafe.escape(truncate_url(value.strip(), truncate_cells))
    return markupsafe.Markup(f'<a href="{url}">{shown}</a>')


def blob_link(url, value):
    """A BLOB cell, as Datasette links it to its download at `url`."""
    formatted = format_bytes(len(value))
    title = f' title="{formatted}"' if "bytes" not in formatted else ""
    return markupsafe.Markup(
        f'<a class="blob-download" href="{url}"{title}>&lt;Binary:&nbsp;{len(value):,}&nbsp;byte{"" if len(value) == 1 else "s"}&gt;</a>')


@functools.lru_cache(maxsize=256)  # canned queries' SQL: a few dozen texts, each checked once
def is_a_select(sql):
    try:
        validate_sql_select(sql)
        return True
    except InvalidSql:
        return False


def edit_sql_url(datasette, database, sql, named_parameter_values):
    """The "Edit SQL" link: for a SELECT without magic parameters, as Datasette writes it."""
    if not is_a_select(sql) or ":_" in sql:
        return None
    return datasette.urls.database(database) + "?" + urllib.parse.urlencode({"sql": sql, **named_parameter_values})


async def renderer_urls(datasette, request, data, view_name):
    urls = {}
    for key, (_, can_render) in datasette.renderers.items():
        it_can_render = call_with_supported_arguments(
            can_render, datasette=datasette, columns=data["columns"], rows=data["rows"], sql=data["query"]["sql"],
            query_name=data["query_name"], database=data["database"], table=None, request=request, view_name=view_name)
        if await await_me_maybe(it_can_render):
            urls[key] = datasette.urls.path(path_with_format(request=request, format=key, extra_qs={}))
    return urls


# Datasette 0.65's page for a query stopped by its time limit (views/base.py), indented as there:
# the SQL goes in before the text is dedented, so a query of several lines keeps the indentation
# (ours had 4 spaces where Datasette's has 16: review).
INTERRUPTED_PAGE = """
                <p>SQL query took too long. The time limit is controlled by the
                <a href="https://docs.datasette.io/en/stable/settings.html#sql-time-limit-ms">sql_time_limit_ms</a>
                configuration option.</p>
                <textarea style="width: 90%">{}</textarea>
                <script>
                let ta = document.querySelector("textarea");
                ta.style.height = ta.scrollHeight + "px";
                </script>
            """


def interrupted_message(sql):
    return textwrap.dedent(INTERRUPTED_PAGE.format(escape(sql))).strip()

