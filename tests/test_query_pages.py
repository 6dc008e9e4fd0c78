"""Canned-query pages written by the plugin (papers_db/plugin, "Canned-query pages"; issue 18): each must be
the page Datasette's own query view writes, byte for byte but for the time its footer states, and
everything the plugin leaves to Datasette must still be Datasette's."""

import asyncio
import re

import pytest
import yaml
from datasette.plugins import pm
from datasette.utils.asgi import Request
from test_serve import datasette_instance, statements_run_for

from papers_db.metadata import read_metadata
from papers_db.plugin import datasettes_page

# Every read query but the search (a page of its own), with typical, empty, missing, repeated,
# unknown and hostile parameters.
QUERY_PAGES = [
    "/papers/papers_by_tier?tier=spotlight",
    "/papers/papers_by_tier",
    "/papers/papers_by_tier?tier=",
    "/papers/papers_by_tier?tier=%3Cscript%3E%22%27%26&tier=oral",
    "/papers/accepted_per_tier",
    "/papers/accepted_per_tier?unknown=1&sql=select+1",
    "/papers/trending_on?snapshot_date=2025-10-30",
    "/papers/trending_on?snapshot_date=%202025-11-12%20",
    "/papers/paper_listings?paper_id=abc",
    "/papers/related_to?paper_id=%FF%FE",
    "/papers/papers_by_organization?organization=ADOBE",
    "/papers/papers_per_month_of_year?year=2024",
    "/papers/papers_per_month_of_year?year=%F0%9F%98%80",
]
QUERY_TIME = re.compile(r"Queries took [0-9.]+ms")


@pytest.fixture(scope="module")
def instance(built_db):
    return datasette_instance(built_db)


def datasettes_own(instance, path, method="GET"):
    """The page Datasette's table view (which serves canned queries) writes for `path`."""
    database, query = path.split("?")[0].strip("/").split("/")
    request = Request.fake(path, method=method, url_vars={"database": database, "table": query})
    request.scope["csrftoken"] = lambda: ""  # asgi_csrf's, which a page with no form of its own never calls
    return asyncio.run(datasettes_page(instance, request, None))


def page_said(response):
    """A page as a visitor gets it (from the test client, or Datasette's view's own Response), but
    for the time Datasette took, which its footer states."""
    if hasattr(response, "status_code"):
        status, headers, body = response.status_code, dict(response.headers), response.content
    else:
        status, headers, body = response.status, {**response.headers, "content-type": response.content_type}, response.body
    kept = {name.lower(): value for name, value in headers.items()
            if name.lower() in ("content-type", "link", "cache-control", "referrer-policy")}
    text = body.decode() if isinstance(body, bytes) else body
    return status, kept, QUERY_TIME.sub("Queries took (time)", text)


def test_the_pages_cover_every_read_query_but_the_search():
    metadata, _ = read_metadata()
    queries = {name for name, query in metadata["databases"]["papers"]["queries"].items() if not query.get("write")}
    assert {path.split("?")[0].rsplit("/", 1)[1] for path in QUERY_PAGES} == queries - {"search"}


@pytest.mark.parametrize("path", QUERY_PAGES)
def test_a_canned_query_page_is_the_page_datasettes_view_writes(instance, path):
    ours = asyncio.run(instance.client.get(path))
    theirs = datasettes_own(instance, path)
    assert page_said(ours) == page_said(theirs)
    assert ours.status_code == 200 and "Queries took (time)" in page_said(ours)[2]


@pytest.mark.parametrize("path", ["/papers/trending_on?snapshot_date=2025-10-30", "/papers/accepted_per_tier"])
def test_a_canned_query_page_runs_its_query_alone(instance, path):
    # Datasette's view runs three statements first on every request (a check of each database's
    # schema, which an immutable file never changes): the plugin's page runs only its query.
    name = path.split("?")[0].rsplit("/", 1)[1]
    metadata, _ = read_metadata()
    assert [sql for sql, _ in statements_run_for(instance, path)] == [metadata["databases"]["papers"]["queries"][name]["sql"]]
    assert len(statements_run_for(instance, path.replace(name, name + ".json", 1))) == 4


@pytest.mark.parametrize("path", [
    "/papers/accepted_per_tier?_show_sql=1",
    "/papers/papers_by_tier?tier=oral&_hide_sql=1",
    "/papers/trending_on?snapshot_date=2025-10-30&_size=2",
])
def test_arguments_the_plugin_leaves_to_datasette_get_datasettes_page(instance, path):
    ours = asyncio.run(instance.client.get(path))
    assert len(statements_run_for(instance, path)) == 4  # Datasette's view, with its schema check
    theirs = datasettes_own(instance, path)
    assert page_said(ours) == page_said(theirs)


def test_a_head_request_is_answered_as_datasette_answers_it(instance):
    path = "/papers/trending_on?snapshot_date=2025-10-30"
    ours = asyncio.run(instance.client.request("HEAD", path))
    theirs = datasettes_own(instance, path, method="HEAD")
    assert (ours.status_code, ours.content) == (theirs.status, theirs.body) == (200, b"")


class OtherCellPlugin:
    """Another plugin's render_cell, sync or async: the page must show its cells as Datasette does."""

    def __init__(self, asynchronous):
        from datasette import hookimpl
        from markupsafe import Markup

        def shout(value):
            return Markup(f"<b>{value}</b>") if isinstance(value, str) and value.startswith("2025") else None

        if asynchronous:
            async def render_cell(value):
                return shout(value)
        else:
            def render_cell(value):
                return shout(value)
        self.render_cell = hookimpl(render_cell)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_another_plugins_cells_are_shown_as_datasette_shows_them(instance, asynchronous):
    path = "/papers/trending_on?snapshot_date=2025-10-30"
    plugin = OtherCellPlugin(asynchronous)
    pm.register(plugin, name="other-cells")
    try:
        ours = asyncio.run(instance.client.get(path))
        theirs = datasettes_own(instance, path)
    finally:
        pm.unregister(plugin)
    said = page_said(ours)
    assert said == page_said(theirs)
    assert "<b>2025-" in said[2]  # the other plugin's cells (published_on), not escaped


def test_a_failing_query_and_a_query_stopped_by_the_time_limit_are_datasettes_pages(built_db, tmp_path):
    metadata, _ = read_metadata()
    queries = metadata["databases"]["papers"]["queries"]
    queries["no_such_table"] = {"sql": "select * from no_such_table where x = :x"}
    queries["too_slow"] = {"sql": "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"}
    changed = tmp_path / "metadata.yml"
    changed.write_text(yaml.safe_dump(metadata), encoding="utf-8")
    served = datasette_instance(built_db, metadata=changed, extra_args=["--setting", "sql_time_limit_ms", "50"])
    ours = asyncio.run(served.client.get("/papers/no_such_table?x=1"))
    said = page_said(ours)
    assert said == page_said(datasettes_own(served, "/papers/no_such_table?x=1"))
    assert said[0] == 400 and "no such table: no_such_table" in said[2]
    # Stopped by the time limit, Datasette's view raises an error for its error page: asked with an
    # argument the plugin leaves to Datasette (and the error page does not show), it is Datasette's.
    ours, theirs = (asyncio.run(served.client.get(path)) for path in ("/papers/too_slow", "/papers/too_slow?_ttl=0"))
    said = page_said(ours)
    assert said == page_said(theirs)
    assert said[0] == 400 and "SQL query took too long" in said[2]
