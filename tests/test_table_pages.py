"""Table and view pages' cells: the plugin gives each cell to its render_cell directly while it is
the only plugin rendering cells (showing_cells_without_pluggy). Every page must be the one
Datasette's own display_columns_and_rows writes, which runs as soon as another plugin renders
cells: here one that renders none, so the page cannot change for any other reason. And table
pages whose queries are all of known cost run them in the event loop (table_page_of_known_cost),
each the page it is with its queries on SQL threads."""

import asyncio
import sqlite3
import threading

import datasette.views.table as table_view
import pytest
import yaml
from datasette import hookimpl
from datasette.plugins import pm
from test_query_pages import said, sql_thread_calls
from test_serve import datasette_instance

import papers_db.plugin
from papers_db import resources

# Besides each table's and view's own page (test_every_table_and_view_page_is_the_one_datasette_writes):
TABLE_PAGES = [
    "/papers/papers?tier=oral&first_published_year=2024",
    "/papers/papers?_col=title&_col=max_upvotes&_sort_desc=max_upvotes",
    "/papers/papers?_search=diffusion",
    "/papers/papers?tier=nonesuch",  # no rows
    "/papers/listings?decision_id=1&_sort_desc=upvotes",
    "/papers/listings?_labels=off",  # foreign keys as plain values
    "/papers/listings?_label=decision_id",
    "/papers/cross_listed?_search=learning",
]


class RendersNoCell:
    """Another plugin's render_cell, which leaves every cell to the others."""

    @hookimpl
    def render_cell(self, value):
        return None


def pages(instance, paths):
    return {path: said(asyncio.run(instance.client.get(path))) for path in paths}


def assert_the_pages_datasette_writes(instance, paths):
    assert papers_db.plugin.renders_every_cell()
    ours = pages(instance, paths)
    assert hasattr(table_view.display_columns_and_rows, "datasettes")  # the plugin's, once the server started
    pm.register(RendersNoCell(), name="renders-no-cell")
    try:
        assert not papers_db.plugin.renders_every_cell()
        theirs = pages(instance, paths)
    finally:
        pm.unregister(name="renders-no-cell")
    for path in paths:
        assert ours[path][0] == 200, path
        assert ours[path] == theirs[path], path
    return ours


def test_every_table_and_view_page_is_the_one_datasette_writes(built_db):
    # Among them foreign keys shown with their labels (listings), URLs (code_links), a key of two
    # columns (related_papers), values of any type and NULL (facet_counts), a table keyed by rowid
    # (sqlite_stat1), BLOBs (papers_fts_data), and every view.
    with sqlite3.connect(built_db) as conn:
        names = [name for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view') order by name")]
    # papers_fts: its hidden column of the table's own name is a number that grows with each query.
    paths = [f"/papers/{name}" for name in names if name != "papers_fts"]
    assert len(paths) >= 25 and {"/papers/papers_fts_data", "/papers/sqlite_stat1", "/papers/trending"} <= set(paths)
    assert_the_pages_datasette_writes(datasette_instance(built_db), paths)


@pytest.mark.parametrize("path", TABLE_PAGES)
def test_a_table_pages_cells_are_the_ones_datasette_writes(built_db, path):
    instance = datasette_instance(built_db)
    page = assert_the_pages_datasette_writes(instance, [path])[path][2]
    assert 'class="rows-and-columns"' in page or "0 records" in page


def test_cells_cut_to_a_length_and_under_a_base_url_are_the_ones_datasette_writes(built_db):
    instance = datasette_instance(built_db, extra_args=("--setting", "truncate_cells_html", "12",
                                                        "--setting", "base_url", "/papers-db/"))
    shown = assert_the_pages_datasette_writes(instance, ["/papers/papers", "/papers/listings", "/papers/code_links",
                                                          "/papers/paper_overview"])
    assert "\u2026" in shown["/papers/papers"][2] and 'href="/papers-db/papers/decisions/' in shown["/papers/listings"][2]


def test_cells_with_units_are_the_ones_datasette_writes(built_db, tmp_path):
    document = yaml.safe_load(resources.metadata_yml().read_text())
    document["databases"]["papers"]["tables"]["papers"]["units"] = {"max_upvotes": "m", "source_count": "kg"}
    metadata = tmp_path / "units.yml"
    metadata.write_text(yaml.safe_dump(document), encoding="utf-8")
    instance = datasette_instance(built_db, metadata)
    shown = assert_the_pages_datasette_writes(instance, ["/papers/papers?_sort_desc=max_upvotes"])
    assert "&nbsp;kg" in shown["/papers/papers?_sort_desc=max_upvotes"][2]


def test_a_page_with_no_rows_and_units_left_empty_is_the_one_datasette_writes(built_db, tmp_path):
    document = yaml.safe_load(resources.metadata_yml().read_text())
    document["databases"]["papers"]["tables"]["papers"]["units"] = None  # `units:` with every entry commented out
    metadata = tmp_path / "units.yml"
    metadata.write_text(yaml.safe_dump(document), encoding="utf-8")
    shown = assert_the_pages_datasette_writes(datasette_instance(built_db, metadata), ["/papers/papers?tier=nonesuch"])
    assert "0 records" in shown["/papers/papers?tier=nonesuch"][2]


def test_the_columns_and_cells_are_the_ones_datasettes_function_gives(built_db, tmp_path):
    # Beyond what a page shows: each cell's raw value and kind, and cells the bundled data has none
    # of: a label equal to its key, an empty label, a fraction with a unit, a URL, bytes, blanks.
    from datasette.utils import CustomRow

    document = yaml.safe_load(resources.metadata_yml().read_text())
    document["databases"]["papers"]["tables"]["listings"]["units"] = {"upvotes": "m"}
    metadata = tmp_path / "units.yml"
    metadata.write_text(yaml.safe_dump(document), encoding="utf-8")
    instance = datasette_instance(built_db, metadata)
    asyncio.run(instance.client.get("/-/versions.json"))  # the server starts: the plugin's function is in place
    ours = table_view.display_columns_and_rows
    theirs = ours.datasettes
    with sqlite3.connect(built_db) as conn:
        columns = [name for _, name, *_ in conn.execute("pragma table_info(listings)")]
        listing = dict(zip(columns, conn.execute("select * from listings limit 1").fetchone()))
    variants = [
        {"decision_id": {"value": 7, "label": 7}, "organization_id": {"value": 3, "label": ""}, "upvotes": 2.5},
        {"paper_id": {"value": listing["paper_id"], "label": "<b>A & B</b>"}, "listed_title": "https://example.com/a?b=<c>",
         "upvotes": 0, "abstract": b"\x00\x01", "date_text": ""},
        {"source_id": {"value": 1, "label": "1"}, "decision_id": None, "upvotes": 1e-9, "abstract": b"x"},
        # Text and numbers as a search marks, links, blanks or cuts them, in a title and elsewhere.
        {"title": "⟦Diffusion⟧ & <models>", "matched_by": "⟦x⟧ y", "date_text": " https://example.com/a?b=<c> ",
         "authors_count": 2.5, "abstract": "An abstract longer than twelve characters", "organization_id": ""},
        {"paper_id": None, "title": "https://example.com/t", "matched_by": "https://example.com/two words",
         "authors_count": -0.0, "abstract": "⟦only one bracket", "position": None},
        # Keys that are text, to be tilde-encoded in their links: all safe characters, and not.
        {"decision_id": {"value": "Accept-oral_2", "label": "x"}, "organization_id": {"value": "a/b c~é.%", "label": "y"},
         "source_id": {"value": "v1.2/x", "label": "z"}, "paper_id": {"value": "v1.2", "label": "w"}},
    ]
    rows = []
    for changes in variants + variants[:1]:
        row = CustomRow(columns)
        # The last row's values are set in another order than its columns': shown in its columns' order.
        for column in columns if len(rows) < len(variants) else reversed(columns):
            row[column] = changes.get(column, listing[column])
        rows.append(row)
    description = [(column,) for column in columns]

    def shown(function, table, link_column, truncate_cells):
        display_columns, display_rows = asyncio.run(function(
            instance, "papers", table, description, rows, link_column=link_column, truncate_cells=truncate_cells,
            sortable_columns={"id", "upvotes"}))
        return display_columns, [[dict(cell) for cell in row] for row in display_rows]
    for link_column in (True, False):
        for truncate_cells in (0, 12):
            mine = shown(ours, "listings", link_column, truncate_cells)
            assert mine == shown(theirs, "listings", link_column, truncate_cells), (link_column, truncate_cells)
    cells = {cell["column"]: cell for cell in shown(ours, "listings", True, 0)[1][0]}
    assert "&nbsp;m" in str(cells["upvotes"]["value"]) and cells["decision_id"]["raw"] == 7
    # A key of two columns: a Link column.
    with sqlite3.connect(built_db) as conn:
        conn.row_factory = sqlite3.Row
        related = conn.execute("select * from related_papers limit 3").fetchall()
    related_description = [(column,) for column in related[0].keys()]
    for function in (ours, theirs):
        pair = asyncio.run(function(instance, "papers", "related_papers", related_description, related, link_column=True))
        if function is ours:
            mine = (pair[0], [[dict(cell) for cell in row] for row in pair[1]])
    assert mine == (pair[0], [[dict(cell) for cell in row] for row in pair[1]])
    assert mine[0][0]["name"] == "Link" and mine[1][0][0]["is_special_link_column"]


# Table pages whose every query an index or the build's counts answer: the first page in the
# table's own order, a page after it, facet clicks (counted from the facet combinations), no rows.
TABLE_PAGES_OF_KNOWN_COST = [
    "/papers/papers",
    "/papers/papers?tier=oral",
    "/papers/papers?outcome__exact=accept",
    "/papers/papers?tier=nonesuch",
    "/papers/papers?_sort_desc=first_published_on&tier=oral",  # its own sort, named as its next page's link does
    "/papers/listings?decision_id=1",
    "/papers/listings?matched_by=first",
    "/papers/sources",
    "/papers/code_links",
]


def next_page(instance, path):
    """The path of the page after `path`, from its JSON's `next_url`."""
    table, _, query = path.partition("?")
    answer = asyncio.run(instance.client.get(f"{table}.json?{query}")).json()
    return answer["next_url"].split("/", 3)[3].replace(".json", "", 1) if answer.get("next_url") else None


@pytest.fixture(scope="module")
def served(built_db):
    return datasette_instance(built_db)


NEXT_PAGES = ["next: /papers/papers", "next: /papers/papers?source_count=1", "next: /papers/listings?matched_by=first"]


@pytest.mark.parametrize("path", TABLE_PAGES_OF_KNOWN_COST + NEXT_PAGES)
def test_a_table_page_of_known_cost_runs_its_queries_in_the_event_loop_and_is_datasettes_page(served, path, monkeypatch):
    # Under load a SQL thread's answer waits for the event loop to be free again: a table page
    # whose queries read an index or the build's counts runs them in the loop (benchmarks/HISTORY.md,
    # forty-eighth session), and is the page it is with them on threads.
    if path.startswith("next: "):
        path = "/" + next_page(served, path.removeprefix("next: "))
        assert "_next=" in path
    asyncio.run(served.client.get(path))  # the schema, read once on a thread
    page, threads = sql_thread_calls(served, path)
    assert (page.status_code, threads) == (200, 0), path
    monkeypatch.setattr(papers_db.plugin, "table_page_of_known_cost", lambda *args: False)
    on_threads, threads = sql_thread_calls(served, path)
    assert threads >= 1
    assert said(page) == said(on_threads)


@pytest.mark.parametrize("path", [
    "/papers/papers?_sort=title",  # a sort no index gives: every row sorted
    "/papers/papers?tier=oral&_sort_desc=max_upvotes",  # another sort than its own, which may read many rows
    "/papers/papers?source_count__gte=1",  # a range, counted over most of the table
    "/papers/papers?title=Attention",  # an exact value of a column no facet counts: counted live
    "/papers/papers?_search=diffusion",
    "/papers/papers?tier=oral&_size=3",
    "/papers/papers?_facet=tier",
    "/papers/papers?tier=oral&_x=1",
    # Two facet columns: SQLite reads one's index and checks the other's values row by row, all
    # of a year's papers for a rare combination (175,000 entries at a million papers: review).
    "/papers/papers?tier=poster&first_published_year=2024",
    "/papers/listings?matched_by=first&source_id=2",
    "/papers/papers?tier=oral&tier=poster",  # a column given twice is counted live
    "/papers/paper_overview",  # a view: its SQL may read any rows
    "/papers/papers.json?tier=oral",
])
def test_a_table_page_that_may_read_most_of_a_table_runs_its_queries_on_threads(served, path):
    asyncio.run(served.client.get(path))
    page, threads = sql_thread_calls(served, path)
    assert page.status_code == 200 and threads >= 1


def test_a_table_page_stopped_in_the_loop_is_answered_from_threads_and_pauses_the_loops_queries(
        served, monkeypatch, pauses_forgotten):
    path, other = "/papers/papers?tier=oral", "/papers/listings?decision_id=1"
    for each in (path, other):
        asyncio.run(served.client.get(each))
    in_the_loop, _ = sql_thread_calls(served, path)
    with monkeypatch.context() as patch:
        patch.setattr(papers_db.plugin, "IN_LOOP_QUERY_MS", 0.000001)  # every statement stopped at once
        page, threads = sql_thread_calls(served, path)
    assert threads >= 1 and said(page) == said(in_the_loop)
    assert sql_thread_calls(served, other)[1] >= 1  # the file's queries on threads for a while
    papers_db.plugin._loop_paused_until.clear()
    assert sql_thread_calls(served, other)[1] == 0


def test_table_pages_of_a_file_that_may_change_or_without_its_counts_run_on_threads(built_db, tmp_path):
    # A writer can lock a file that may change; without the build's inspect file a page counts
    # the table's rows (a million at a million papers) itself.
    served_copy = tmp_path / "papers.db"
    served_copy.write_bytes(built_db.read_bytes())  # without its inspect file beside it
    for instance in (datasette_instance(built_db, mutable=True), datasette_instance(served_copy)):
        asyncio.run(instance.client.get("/papers/papers?tier=oral"))
        page, threads = sql_thread_calls(instance, "/papers/papers?tier=oral")
        assert page.status_code == 200 and threads >= 1


class ReadsTheFile:
    """Another plugin that reads the file with execute_fn (which has no time limit) in its
    permission check, or in its template variables: it must run on a thread whatever page asks
    (review)."""

    __name__ = "reads-the-file"  # as Datasette lists plugins

    def __init__(self):
        self.threads = []

    async def read(self, datasette):
        def count(conn):
            self.threads.append(threading.current_thread())
            return conn.execute("select count(*) from sources").fetchone()
        await datasette.get_database("papers").execute_fn(count)

    def answering(self, datasette, answer):
        """A hook's awaitable answer, given once the file was read."""
        async def read_then_answer():
            await self.read(datasette)
            return answer
        return read_then_answer


class ReadsInPermissions(ReadsTheFile):
    @hookimpl
    def permission_allowed(self, datasette, action):
        return self.answering(datasette, None)


class ReadsInCannedQueries(ReadsTheFile):
    @hookimpl
    def canned_queries(self, datasette):
        return self.answering(datasette, {})


class ReadsInTemplates(ReadsTheFile):
    @hookimpl
    def extra_template_vars(self, datasette):
        return self.answering(datasette, {})


def test_another_plugins_reads_on_a_table_page_of_known_cost_run_on_threads(served):
    path = "/papers/papers?tier=oral"
    asyncio.run(served.client.get(path))
    for plugin, own_queries_on_threads in ((ReadsInPermissions(), True), (ReadsInCannedQueries(), True),
                                           (ReadsInTemplates(), False)):
        pm.register(plugin, name="reads-the-file")
        try:
            page, threads = sql_thread_calls(served, path)
        finally:
            pm.unregister(name="reads-the-file")
        assert page.status_code == 200 and plugin.threads, plugin
        assert threading.main_thread() not in plugin.threads
        # A hook Datasette's table view calls while it reads its rows (a permission check, its
        # canned queries: review) makes the page's own queries run on threads as well: they would
        # share the loop with its reads.
        assert (threads > len(plugin.threads)) == own_queries_on_threads, plugin
