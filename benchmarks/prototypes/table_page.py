"""How fast could a table page be outside Datasette's table view? A measurement, not product code.

    .venv/bin/python benchmarks/prototypes/table_page.py DATABASE "tier=poster&first_published_year=2021"

Serves /prototype/papers?<facet values> through the same Datasette as `papers-db serve` (this
file is loaded as a plugin from its folder, beside the package's own) with its own SQL: the
page's 51 rows, the labels of their decisions, and its count and four facets summed from
papers_facet_combinations in one query, as the plugin's precounted facets are. A plain (not
async) Jinja template writes what a table page shows: header, filter form, facets with links,
sortable column headers, 50 rows of every column with row and decision links, the next page's
link. It then times that page in process against Datasette's own page of the same rows and the
no-SQL page `/-/versions.json`. Only exact facet values and the default order are understood.
"""
import asyncio
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

import jinja2
from datasette import hookimpl
from datasette.utils.asgi import Response

from papers_db.plugin import summed_per_column

FACETS = ["tier", "outcome", "first_published_year", "source_count"]
PAGE_SIZE = 50
FACET_SIZE = 30

TEMPLATE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html><head><title>papers: papers</title><link rel="stylesheet" href="/-/static/app.css"></head>
<body class="table db-papers table-papers">
<nav class="hd"><p class="crumbs"><a href="/">home</a> / <a href="/papers">papers</a></p></nav>
<section class="content">
<h1>papers</h1>
<p>{{ "{:,}".format(count) }} rows where {% for c, v in filters %}{{ c }} = {{ v }}{% if not loop.last %} and {% endif %}{% endfor %}</p>
<form class="filters" action="/prototype/papers" method="get">
{% for c, v in filters %}<input type="hidden" name="{{ c }}" value="{{ v }}">{% endfor %}
<select name="_filter_column">{% for c in columns %}<option>{{ c }}</option>{% endfor %}</select>
<input type="search" name="_search"><input type="submit" value="Apply">
</form>
<p class="export-links">This data as <a href="/papers/papers.json?{{ query }}">json</a>,
<a href="/papers/papers.csv?{{ query }}">CSV</a></p>
<div class="facet-results">
{% for name, values in facets %}<div class="facet-info"><p class="facet-info-name"><strong>{{ name }}</strong></p><ul>
{% for v in values %}<li><a href="{{ v.url }}">{{ v.value }}</a> {{ "{:,}".format(v.count) }}</li>
{% endfor %}</ul></div>
{% endfor %}</div>
<table class="rows-and-columns"><thead><tr>
{% for c in columns %}<th class="col-{{ c }}" scope="col">
<a href="?{{ query }}&amp;_sort={{ c }}" rel="nofollow">{{ c }}</a></th>{% endfor %}
</tr></thead><tbody>
{% for row in rows %}<tr>{% for c in columns %}<td class="col-{{ c }}">
{%- if c == "id" %}<a href="/papers/papers/{{ row.id }}">{{ row.id }}</a>
{%- elif c == "best_decision_id" and row[c] is not none -%}
<a href="/papers/decisions/{{ row[c] }}">{{ labels[row[c]] }}</a> <em>{{ row[c] }}</em>
{%- elif row[c] is not none %}{{ row[c] }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% if next %}<p><a href="?{{ query }}&amp;_next={{ next }}">Next page</a></p>{% endif %}
</section></body></html>""")


@hookimpl
def register_routes(datasette):
    return [(r"^/prototype/papers$", papers_page)]


async def papers_page(datasette, request):
    db = datasette.get_database("papers")
    filters = [(column, request.args[column]) for column in FACETS if column in request.args]
    where = " and ".join(f"{column} = :{column}" for column, _ in filters) or "1"
    params = dict(filters)
    rows = (await db.execute(
        f"select * from papers where {where} order by first_published_on desc, id limit {PAGE_SIZE + 1}", params)).rows
    shown = rows[:PAGE_SIZE]
    decisions = sorted({row["best_decision_id"] for row in shown if row["best_decision_id"] is not None})
    labels = dict((await db.execute(
        f"select id, label from decisions where id in ({','.join('?' * len(decisions))})", decisions)).rows) if decisions else {}
    grouped = ", ".join(FACETS)
    combinations = (await db.execute(
        f"select {grouped}, sum(count) from papers_facet_combinations where {where} group by {grouped}", params)).rows
    query = urllib.parse.urlencode(filters)
    facets = [(name, [{**counted, "url": f"?{query}&{urllib.parse.urlencode({name: counted['value']})}"} for counted in values])
              for name, values in summed_per_column(combinations, FACETS, FACET_SIZE).items()]
    after = f"{shown[-1]['first_published_on']},{shown[-1]['id']}" if len(rows) > PAGE_SIZE else None
    return Response.html(TEMPLATE.render(
        count=sum(combination[-1] for combination in combinations), filters=filters,
        columns=list(rows[0].keys()) if rows else [], facets=facets, rows=shown, labels=labels, query=query, next=after))


def served(database):
    """Datasette as `papers-db serve` builds it, with this folder's plugins beside the package's."""
    from papers_db.serve import datasette_from_args, datasette_serve_args

    return datasette_from_args(datasette_serve_args(Path(database)) + ["--plugins-dir", str(Path(__file__).parent)])


async def timed(datasette, facet_values, requests=300):
    await datasette.invoke_startup()
    urls = {"no SQL: /-/versions.json": "/-/versions.json",
            "Datasette's table page": f"/papers/papers?{facet_values}",
            "the prototype's page": f"/prototype/papers?{facet_values}"}
    for url in urls.values():
        response = await datasette.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = {name: [] for name in urls}
    for round_number in range(20 + requests):  # the first 20 rounds warm up
        for name, url in urls.items():
            start = time.perf_counter()
            await datasette.client.get(url)
            if round_number >= 20:
                times[name].append((time.perf_counter() - start) * 1000)
    floor = statistics.median(times["no SQL: /-/versions.json"])
    for name, values in times.items():
        print(f"{name:28s} median {statistics.median(values):6.2f} ms, {statistics.median(values) / floor:.2f} x the no-SQL page")


if __name__ == "__main__":
    asyncio.run(timed(served(sys.argv[1]), sys.argv[2]))
