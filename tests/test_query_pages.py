"""Canned-query pages written by the plugin (papers_db/plugin, "Canned-query pages"; issue 18): each
must be the page Datasette's own query view writes, byte for byte but for the time its footer
states, and everything the plugin leaves to Datasette must still be Datasette's.

The reference is a second server on the same file, alike in everything (metadata, settings, the
plugin and its middleware) but built with none of the plugin's query pages: Datasette's view
answers there, through the same stack."""

import asyncio
import contextlib
import gc
import hashlib
import os
import re
import shutil
import sqlite3
import sys
import time

import pytest
import yaml
from datasette import hookimpl
from datasette.plugins import pm
from markupsafe import Markup
from test_serve import datasette_instance, statements_run_for

import papers_db.plugin
from papers_db.metadata import read_metadata

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
CSRF_TOKEN = re.compile(r'ds_csrftoken=[^;]+|name="csrftoken" value="[^"]+"')  # random, set anew for each visitor
# A cleared cookie expires at the second it was cleared: two answers a second apart differ there.
COOKIE_EXPIRY = re.compile(r"expires=[^;]+")


def servers(database, metadata=None, extra_args=()):
    """(the plugin's server, Datasette's): alike, but the second is built with no query pages of
    the plugin (its routes are made when a server is)."""
    ours = datasette_instance(database, metadata, extra_args=extra_args)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(papers_db.plugin, "read_queries", lambda datasette, database: [])
        theirs = datasette_instance(database, metadata, extra_args=extra_args)
    return ours, theirs


@pytest.fixture(scope="module")
def pair(built_db):
    return servers(built_db)


def said(response):
    """A page as a visitor gets it: status, headers and body, but for the time Datasette took,
    which its footer states, and the time a cleared cookie expires (the time of the answer)."""
    headers = [(name, COOKIE_EXPIRY.sub("expires=(time)", CSRF_TOKEN.sub("(csrf token)", value)))
               for name, value in response.headers.items()]
    return response.status_code, sorted(headers), CSRF_TOKEN.sub("(csrf token)", QUERY_TIME.sub("Queries took (time)", response.text))


def both(pair, path, method="GET", **kwargs):
    return [asyncio.run(server.client.request(method, path, **kwargs)) for server in pair]


def assert_the_same_page(pair, path, method="GET", **kwargs):
    ours, theirs = both(pair, path, method, **kwargs)
    assert said(ours) == said(theirs), path
    return ours


def test_the_pages_cover_every_read_query_but_the_search():
    metadata, _ = read_metadata()
    queries = {name for name, query in metadata["databases"]["papers"]["queries"].items() if not query.get("write")}
    assert {path.split("?")[0].rsplit("/", 1)[1] for path in QUERY_PAGES} == queries - {"search"}


@pytest.mark.parametrize("path", QUERY_PAGES)
def test_a_canned_query_page_is_the_page_datasettes_view_writes(pair, path):
    ours = assert_the_same_page(pair, path)
    assert ours.status_code == 200 and "Queries took (time)" in said(ours)[2]


@pytest.mark.parametrize("path", ["/papers/trending_on?snapshot_date=2025-10-30", "/papers/accepted_per_tier"])
def test_a_canned_query_page_runs_its_query_alone(pair, path):
    name = path.split("?")[0].rsplit("/", 1)[1]
    metadata, _ = read_metadata()
    sql = metadata["databases"]["papers"]["queries"][name]["sql"]
    ours, theirs = pair
    both(pair, path)  # each server reads the file's schema once, on its first request
    assert [sql for sql, _ in statements_run_for(ours, path)] == [sql]
    assert [sql for sql, _ in statements_run_for(theirs, path)] == [sql]


@pytest.mark.parametrize("path, method", [
    ("/papers/accepted_per_tier?_show_sql=1", "GET"),
    ("/papers/papers_by_tier?tier=oral&_hide_sql=1", "GET"),
    ("/papers/trending_on?snapshot_date=2025-10-30&_size=2", "GET"),
    ("/papers/trending_on?snapshot_date=2025-10-30&_ttl=0", "GET"),
    ("/papers/trending_on?snapshot_date=2025-10-30", "HEAD"),
])
def test_what_the_plugin_leaves_to_datasette_is_datasettes(pair, path, method, monkeypatch):
    def not_the_plugins(*args):
        raise AssertionError(f"the plugin wrote {path}")
    monkeypatch.setattr(papers_db.plugin, "page_of_query", not_the_plugins)  # Datasette's view answers
    assert_the_same_page(pair, path, method)


def assert_a_message_is_shown_once(pair, path, message):
    """Datasette keeps messages for a visitor in a signed cookie, shows them on the next page and
    clears the cookie: both servers of `pair` must show `message` on `path` alike, and clear it."""
    pages = [asyncio.run(server.client.get(path, cookies={"ds_messages": server.sign([[message, 1]], "messages")}))
             for server in pair]
    assert said(pages[0]) == said(pages[1])
    assert message in pages[0].text and 'ds_messages=""' in pages[0].headers["set-cookie"]


def test_a_message_for_the_visitor_is_shown_once_on_a_page_left_to_datasette(pair):
    # A page the plugin hands on must show and clear it as Datasette does.
    assert_a_message_is_shown_once(pair, "/papers/accepted_per_tier?_show_sql=1", "Welcome back")


@pytest.mark.parametrize("settings", [
    ["--setting", "truncate_cells_html", "3"],
    ["--setting", "default_cache_ttl", "0"],
    ["--setting", "base_url", "/prefix/"],
    ["--cors"],
], ids=["truncate_cells_html", "default_cache_ttl", "base_url", "cors"])
def test_a_canned_query_page_follows_datasettes_settings(built_db, settings):
    pair = servers(built_db, extra_args=settings)
    for path in ("/papers/trending_on?snapshot_date=2025-10-30", "/papers/papers_by_tier?tier=oral"):
        assert_the_same_page(pair, path)


@pytest.fixture(scope="module")
def more_queries(built_db, tmp_path_factory):
    """Servers whose metadata has queries of every kind the bundled metadata lacks."""
    metadata, _ = read_metadata()
    queries = metadata["databases"]["papers"]["queries"]
    queries.update({
        "no_such_table": {"sql": "select * from no_such_table where x = :x"},
        "too_slow": {"sql": "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"},
        "too_slow_in_lines": {"sql": "with recursive n(i) as (\n  select 1\n  union all\n  select i + 1 from n\n)\nselect count(*) from n"},
        "trending_on_of_ones_own": {"sql": "select 1 as one"},
        "for_alice": {"sql": "select title from papers limit 2", "allow": {"id": "alice"}},
        "magic": {"sql": "select :_header_user_agent as agent, :word as word", "params": ["word"]},
        "links": {"sql": "select 'https://example.com/' || :x as link, ' https://example.com/a ' as spaced, "
                         "'https://example.com/ b' as broken, 12345678901234 as number, 1.5e-300 as small, x'00ff' as bytes"},
        "a query~with.odd name": {"sql": "select 1 as one"},
    })
    changed = tmp_path_factory.mktemp("metadata") / "metadata.yml"
    changed.write_text(yaml.safe_dump(metadata), encoding="utf-8")
    return servers(built_db, changed, extra_args=["--setting", "sql_time_limit_ms", "50"])


def test_a_failing_query_and_one_stopped_by_the_time_limit_are_datasettes_pages(more_queries):
    ours = assert_the_same_page(more_queries, "/papers/no_such_table?x=1")
    assert ours.status_code == 400 and "no such table: no_such_table" in ours.text
    ours = assert_the_same_page(more_queries, "/papers/too_slow")
    assert ours.status_code == 400 and "SQL query took too long" in ours.text
    # SQL of several lines keeps Datasette's indentation (it had 4 spaces where Datasette's 16: review)
    ours = assert_the_same_page(more_queries, "/papers/too_slow_in_lines")
    assert ours.status_code == 400 and "                configuration option.</p>" in ours.text


def test_a_private_query_is_shown_as_datasette_shows_it(more_queries):
    assert assert_the_same_page(more_queries, "/papers/for_alice").status_code == 403
    # Alice, signed in on each server with its own secret.
    pages = [asyncio.run(server.client.get("/papers/for_alice", cookies={"ds_actor": server.sign({"a": {"id": "alice"}}, "actor")}))
             for server in more_queries]
    assert said(pages[0]) == said(pages[1])
    assert pages[0].status_code == 200 and "🔒" in pages[0].text
    assert len(statements_run_for(more_queries[0], "/papers/for_alice", status=403)) == 0


def test_magic_parameters_url_cells_and_odd_names_are_datasettes(more_queries):
    ours = assert_the_same_page(more_queries, "/papers/magic?word=%3Cb%3E", headers={"User-Agent": "tester/1.0"})
    assert "tester/1.0" in ours.text and "&lt;b&gt;" in ours.text
    ours = assert_the_same_page(more_queries, "/papers/links?x=%22%3E")
    assert '<a href="https://example.com/a">' in ours.text and "&lt;Binary" in ours.text
    assert [sql for sql, _ in statements_run_for(more_queries[0], "/papers/links?x=1")] == [
        more_queries[0].metadata("queries", database="papers")["links"]["sql"]]
    from datasette.utils import tilde_encode

    ours = assert_the_same_page(more_queries, "/papers/" + tilde_encode("a query~with.odd name"))
    assert ours.status_code == 200 and len(statements_run_for(more_queries[0], "/papers/" + tilde_encode("a query~with.odd name"))) == 1


def shown_bold(value):
    return Markup(f"<b>{value}</b>") if isinstance(value, str) and value.startswith("2025") else None


class OtherPlugin:
    """Another plugin's hooks, each answering at once: the page must show what Datasette's shows."""

    @hookimpl
    def render_cell(self, value):
        return shown_bold(value)

    @hookimpl
    def extra_template_vars(self):
        return {"other_plugin_was_here": True}

    @hookimpl
    def extra_body_script(self):
        return {"script": "console.log('other')", "module": True}

    @hookimpl
    def menu_links(self):
        return [{"href": "/other", "label": "Other"}]


class OtherAsyncPlugin:
    """The same hooks answering with something to await, as Datasette allows."""

    @hookimpl
    def render_cell(self, value):
        async def later():
            return shown_bold(value)
        return later

    @hookimpl
    def extra_template_vars(self):
        async def later():
            return {"other_plugin_was_here": True}
        return later

    @hookimpl
    def extra_body_script(self):
        async def later():
            return {"script": "console.log('other')", "module": True}
        return later

    @hookimpl
    def menu_links(self):
        async def later():
            return [{"href": "/other", "label": "Other"}]
        return later


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_another_plugins_hooks_are_heard_as_datasette_hears_them(pair, asynchronous):
    plugin = OtherAsyncPlugin() if asynchronous else OtherPlugin()
    pm.register(plugin, name="other-plugin")
    try:
        ours = assert_the_same_page(pair, "/papers/trending_on?snapshot_date=2025-10-30")
    finally:
        pm.unregister(plugin)
    assert "<b>2025-" in ours.text and "console.log('other')" in ours.text and 'href="/other"' in ours.text


def sql_thread_calls(instance, path, **kwargs):
    """(the page at `path`, how many functions it handed to the server's SQL threads)."""
    handed = []
    submit = instance.executor.submit

    def counted(*args, **submitted):
        handed.append(args)
        return submit(*args, **submitted)

    instance.executor.submit = counted
    try:
        page = asyncio.run(instance.client.get(path, **kwargs))
    finally:
        del instance.executor.submit  # the executor's own method again
    return page, len(handed)


@pytest.mark.parametrize("path", QUERY_PAGES)
def test_a_canned_query_of_known_cost_runs_in_the_event_loop_and_gives_datasettes_page(pair, path):
    # Under load a SQL thread's answer waited for the event loop to be free again: the bundled
    # read queries, each reading an index for one value and no full-text index, run in the loop.
    ours, theirs = pair
    both(pair, path)  # each server reads the file's schema once, on a thread, on its first request
    page, threads = sql_thread_calls(ours, path)
    assert threads == 0
    assert sql_thread_calls(theirs, path)[1] >= 1  # Datasette's view: the count sees its thread
    assert_the_same_page(pair, path)


def test_every_canned_query_run_in_the_loop_reads_rows_of_papers_only_through_an_index(built_db):
    # A full scan of a table that grows with the papers (or a full-text index, where one FTS5
    # instruction runs past any time check) would hold up every request of the worker; small
    # tables (sources, decisions, organisations, the facet combinations) may be read whole.
    metadata, _ = read_metadata()
    queries = metadata["databases"]["papers"]["queries"]
    growing = ("papers", "listings", "organization_papers", "related_papers", "paper_aliases", "papers_fts")
    assert set(papers_db.plugin.IN_LOOP_QUERIES) <= set(queries)
    with sqlite3.connect(f"file:{built_db}?mode=ro", uri=True) as conn:
        for name in sorted(set(papers_db.plugin.IN_LOOP_QUERIES) - {"search"}):  # the search: its own bounds
            sql = queries[name]["sql"]
            plan = [row[3] for row in conn.execute("explain query plan " + sql, dict.fromkeys(re.findall(r":(\w+)", sql), "x"))]
            assert not [step for step in plan if step.startswith("SCAN") and step.split()[1] in growing], (name, plan)
            assert not [step for step in plan if "VIRTUAL TABLE" in step], (name, plan)


def test_the_queries_run_in_the_loop_are_named_with_their_sql_as_metadata_yml_has_it():
    # A query whose SQL changed runs on a thread until its cost is measured and its digest renewed.
    metadata, _ = read_metadata()
    queries = metadata["databases"]["papers"]["queries"]
    assert {name: hashlib.sha256(queries[name]["sql"].encode()).hexdigest()[:16]
            for name in papers_db.plugin.IN_LOOP_QUERIES} == papers_db.plugin.IN_LOOP_QUERIES


def test_a_canned_query_past_the_loops_time_limit_runs_again_on_a_thread_and_pauses_the_loops_queries(
        pair, monkeypatch, pauses_forgotten):
    path, other = "/papers/trending_on?snapshot_date=2025-10-30", "/papers/papers_by_tier?tier=oral"
    both(pair, path)
    both(pair, other)
    with monkeypatch.context() as patch:
        patch.setattr(papers_db.plugin, "IN_LOOP_QUERY_MS", 0.000001)  # every statement stopped at once
        assert sql_thread_calls(pair[0], path)[1] == 1
        assert_the_same_page(pair, path)
    # On a slow disk a query stopped in the loop had held it past its limit: the file's queries
    # run on threads for a while (one stopped query a minute)
    assert sql_thread_calls(pair[0], other)[1] == 1
    monkeypatch.setattr(papers_db.plugin, "IN_LOOP_PAUSE_SECONDS", 0)
    assert sql_thread_calls(pair[0], other)[1] == 1  # the minute set at the stop still runs
    papers_db.plugin._loop_paused_until.clear()
    assert sql_thread_calls(pair[0], other)[1] == 0


def test_a_search_stopped_in_the_loop_pauses_the_loops_queries_too(pair, monkeypatch, pauses_forgotten):
    path = "/papers/papers_by_tier?tier=oral"
    both(pair, path)
    assert asyncio.run(pair[0].client.get("/papers/search?q=graph+neural+networks")).status_code == 200
    assert sql_thread_calls(pair[0], path)[1] == 0
    with monkeypatch.context() as patch:
        patch.setattr(papers_db.plugin, "IN_LOOP_MS", 0.000001)
        assert sql_thread_calls(pair[0], "/papers/search?q=graph+neural+networks")[1] == 1
    assert sql_thread_calls(pair[0], path)[1] == 1


def test_the_loops_connection_checks_the_time_every_hundred_instructions_whatever_is_asked(pair):
    # Datasette's limit checks every 1,000 instructions, or every one at 20 ms and less (six
    # times the work in the loop: review). Counted against a connection asked for 100.
    ours, _ = pair
    database = ours.get_database("papers")
    counting = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) select count(*) from n"

    def checks(conn, asked):
        calls = []
        conn.set_progress_handler(lambda: calls.append(1), asked)
        try:
            conn.execute(counting).fetchall()
        finally:
            conn.set_progress_handler(None, asked)
        return len(calls)

    plain = sqlite3.connect(f"file:{database.path}?immutable=1", uri=True)
    every_one, hundred = checks(plain, 1), checks(plain, 100)
    plain.close()
    loops = papers_db.plugin.loop_connection(ours, database)
    assert every_one // 110 < hundred <= every_one // 100
    assert [checks(loops, asked) for asked in (1, 1000, 100)] == [hundred] * 3


def test_queries_that_fail_or_run_long_in_the_loop_are_answered_from_a_thread_as_datasette_answers(
        more_queries, monkeypatch):
    # Listed by mistake (or their SQL changed): the thread runs each again, with the server's own
    # time limit (50 ms here, past the loop's 25) and errors.
    sql = more_queries[0].metadata("queries", database="papers")
    monkeypatch.setattr(papers_db.plugin, "IN_LOOP_QUERIES", {name: papers_db.plugin.sql_digest(sql[name]["sql"])
                                                              for name in ("no_such_table", "too_slow")})
    monkeypatch.setattr(papers_db.plugin, "IN_LOOP_PAUSE_SECONDS", 0)  # the stop in the loop pauses nothing after it
    for path, status, said_there in [("/papers/no_such_table?x=1", 400, "no such table: no_such_table"),
                                     ("/papers/too_slow", 400, "SQL query took too long")]:
        both(more_queries, path)
        page, threads = sql_thread_calls(more_queries[0], path)
        assert (page.status_code, threads) == (status, 1) and said_there in page.text
        assert_the_same_page(more_queries, path)


def test_a_users_own_canned_query_runs_on_a_thread_under_any_name(more_queries, monkeypatch):
    both(more_queries, "/papers/links?x=1")
    assert sql_thread_calls(more_queries[0], "/papers/links?x=1")[1] == 1
    # A query of one's own metadata named as a bundled one, with other SQL (it might search the
    # full-text index, which the loop's time checks cannot stop)
    ones_own = more_queries[0].metadata("queries", database="papers")["trending_on_of_ones_own"]
    monkeypatch.setitem(more_queries[0].metadata("queries", database="papers"), "trending_on", ones_own)
    page, threads = sql_thread_calls(more_queries[0], "/papers/trending_on")
    assert (page.status_code, threads) == (200, 1) and "<td class=\"col-one\">1</td>" in page.text


def test_magic_parameters_are_read_in_the_loop_as_on_a_thread(more_queries, monkeypatch):
    sql = more_queries[0].metadata("queries", database="papers")["magic"]["sql"]
    monkeypatch.setattr(papers_db.plugin, "IN_LOOP_QUERIES", {"magic": papers_db.plugin.sql_digest(sql)})
    path = "/papers/magic?word=x"
    both(more_queries, path)
    page, threads = sql_thread_calls(more_queries[0], path, headers={"User-Agent": "tester/2.0"})
    assert threads == 0 and "tester/2.0" in page.text
    assert_the_same_page(more_queries, path, headers={"User-Agent": "tester/2.0"})


def test_a_canned_query_of_a_file_that_may_change_runs_on_a_thread(built_db, tmp_path):
    # A writer can lock such a file: in the loop the query would wait for the lock and every
    # request of the worker with it (as the search page: test_serve.py).
    served_copy = tmp_path / "papers.db"
    shutil.copyfile(built_db, served_copy)
    instance = datasette_instance(served_copy, mutable=True)
    path = "/papers/papers_by_tier?tier=oral"
    asyncio.run(instance.client.get(path))
    page, threads = sql_thread_calls(instance, path)
    assert page.status_code == 200 and threads == 1


class Naps:
    """A SQL function nap(seconds) on every connection: a query that waits in the loop, as one
    reading its pages from a slow disk does."""

    __name__ = "naps"  # as Datasette lists plugins

    @hookimpl
    def prepare_connection(self, conn):
        conn.create_function("nap", 1, lambda seconds: time.sleep(float(seconds)))
        conn.create_function("collecting", 0, lambda: int(gc.isenabled()))  # Python's garbage collector


@pytest.fixture
def napping(built_db, tmp_path, pauses_forgotten):
    metadata, _ = read_metadata()
    metadata["databases"]["papers"]["queries"]["nap"] = {"sql": "select nap(:seconds) as napped"}
    metadata["databases"]["papers"]["queries"]["collecting"] = {"sql": "select collecting() as collecting"}
    changed = tmp_path / "metadata.yml"
    changed.write_text(yaml.safe_dump(metadata), encoding="utf-8")
    naps = Naps()
    pm.register(naps, name="naps")
    try:
        instance = datasette_instance(built_db, changed)
        yield instance, metadata["databases"]["papers"]["queries"]["nap"]["sql"]
    finally:
        pm.unregister(naps)


def test_queries_that_wait_in_the_loop_past_its_budget_pause_the_loops_queries(napping, monkeypatch):
    # A query reading its pages from a slow disk ends in time but holds the loop while it waits
    # (review: 400 such queries of 3.5 ms each, the no-SQL page's median 40 ms instead of 4.7).
    instance, nap_sql = napping
    monkeypatch.setitem(papers_db.plugin.IN_LOOP_QUERIES, "nap", papers_db.plugin.sql_digest(nap_sql))
    other = "/papers/papers_by_tier?tier=oral"
    asyncio.run(instance.client.get(other))
    for _ in range(3):  # 3 x 10 ms: under the 50 ms a second
        page, threads = sql_thread_calls(instance, "/papers/nap?seconds=0.01")
        assert (page.status_code, threads) == (200, 0)
    assert sql_thread_calls(instance, other)[1] == 0
    page, threads = sql_thread_calls(instance, "/papers/nap?seconds=0.03")  # waited 60 ms in the second
    assert (page.status_code, threads) == (200, 0)
    assert sql_thread_calls(instance, other)[1] == 1
    assert sql_thread_calls(instance, "/papers/search?q=graph+neural+networks")[1] == 1


def test_pythons_garbage_collector_waits_while_a_query_runs_in_the_loop(napping, monkeypatch):
    # A full collection (25-35 ms at a million papers) inside a query in the loop ran it past its
    # limit, and the stop paused the loop's queries (review): the collector waits for its end.
    instance, _ = napping
    sql = "select collecting() as collecting"
    monkeypatch.setitem(papers_db.plugin.IN_LOOP_QUERIES, "collecting", papers_db.plugin.sql_digest(sql))
    page, threads = sql_thread_calls(instance, "/papers/collecting")
    assert (page.status_code, threads) == (200, 0) and '<td class="col-collecting">0</td>' in page.text
    assert gc.isenabled()
    monkeypatch.delitem(papers_db.plugin.IN_LOOP_QUERIES, "collecting")
    page, threads = sql_thread_calls(instance, "/papers/collecting")
    assert (page.status_code, threads) == (200, 1) and '<td class="col-collecting">1</td>' in page.text


def test_the_garbage_collector_is_enabled_again_whatever_counting_a_wait_raises(pair, monkeypatch, pauses_forgotten):
    database = pair[0].get_database("papers")
    switches = iter([0])  # the second question fails, as a system without the count might

    def fails_second_time():
        value = next(switches, None)
        if value is None:
            raise OSError("no count")
        return value
    monkeypatch.setattr(papers_db.plugin, "blocking_switches", fails_second_time)
    with pytest.raises(OSError):
        with papers_db.plugin.waits_counted_in_the_loop(database):
            assert not gc.isenabled()
    assert gc.isenabled()


def test_a_search_of_ones_own_sql_runs_on_a_thread(built_db, tmp_path):
    # The bounds know the bundled search's cost, not another's (a prefix in its SQL held the loop
    # 59 ms: review).
    metadata, _ = read_metadata()
    search = metadata["databases"]["papers"]["queries"]["search"]
    search["sql"] += "\n-- one's own"
    changed = tmp_path / "metadata.yml"
    changed.write_text(yaml.safe_dump(metadata), encoding="utf-8")
    ours, bundled = datasette_instance(built_db, changed), datasette_instance(built_db)
    for instance, threads in ((bundled, 0), (ours, 1)):
        asyncio.run(instance.client.get("/papers/search?q=warm"))
        page, handed = sql_thread_calls(instance, "/papers/search?q=graph+neural+networks")
        assert (page.status_code, handed) == (200, threads)


def test_a_query_preempted_in_the_loop_counts_no_wait_and_one_that_blocked_does(pair, monkeypatch, pauses_forgotten,
                                                                                 capsys):
    # Under load with more processes than cores the system took the loop's core away for most of
    # its queries' wall time (review: every worker paused within a second), where a thread would
    # lose its core as well: only runs in which the thread gave its core up count (a read, a lock).
    database = pair[0].get_database("papers")

    def waited_60_ms():
        with papers_db.plugin.waits_counted_in_the_loop(database):
            time.sleep(0.06)  # past the 50 ms a second, with no CPU time used

    if papers_db.plugin.blocking_switches() is not None:  # Linux counts them per thread
        before = papers_db.plugin.blocking_switches()
        time.sleep(0.001)
        assert papers_db.plugin.blocking_switches() > before
    capsys.readouterr()
    waited_60_ms()
    assert not papers_db.plugin.may_run_in_the_loop(database)
    # Each pause is one line of the server's log, with its reason: a benchmark's page 3 times its
    # usual cost alone could not be told from the machine's noise without it.
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1 and said[0].startswith(f"papers-db (process {os.getpid()}): the queries of papers run on SQL "
                                                 "threads for 60 s, not in the event loop: ")
    assert re.search(r"waited (6[0-9]|[7-9][0-9]|[0-9]{3,}) ms in a second", said[0]), said
    papers_db.plugin._loop_paused_until.clear()
    papers_db.plugin._loop_waits.clear()
    monkeypatch.setattr(papers_db.plugin, "blocking_switches", lambda: 7)  # the core taken, never given up
    waited_60_ms()
    assert papers_db.plugin.may_run_in_the_loop(database)
    # A query stopped by its limit pauses them whatever stopped it: one of a larger file, stopped
    # with less CPU time than its limit on a busy machine, would hold the loop on every request.
    with pytest.raises(sqlite3.OperationalError):
        with papers_db.plugin.waits_counted_in_the_loop(database):
            raise sqlite3.OperationalError("interrupted")
    assert not papers_db.plugin.may_run_in_the_loop(database)
    said = capsys.readouterr().err.splitlines()  # the preempted run paused nothing and said nothing
    assert len(said) == 1 and said[0].endswith("a query there was stopped by its time limit"), said
    # A log that cannot be written (its pipe's reader gone) fails no request: the stop is raised as it was.
    papers_db.plugin._loop_paused_until.clear()
    reading, writing = os.pipe()
    os.close(reading)
    gone = open(writing, "w")
    with monkeypatch.context() as patched:
        patched.setattr(sys, "stderr", gone)
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            with papers_db.plugin.waits_counted_in_the_loop(database):
                raise sqlite3.OperationalError("interrupted")
    assert not papers_db.plugin.may_run_in_the_loop(database)
    with contextlib.suppress(BrokenPipeError):  # the line still in its buffer
        gone.close()
