"""The benchmark's own arithmetic (benchmarks/run.py): the figures the targets are stated in, and
the CPU time it reads for the build."""

import contextlib
import http.server
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from conftest import PROJECT, worker_pids

sys.path.insert(0, str(PROJECT / "benchmarks"))
import run  # noqa: E402


def page(p95_ms, alone_p50_ms=None):
    figures = {"p95_ms": p95_ms, "p50_ms": p95_ms / 2, "requests": 100, "errors": 0}
    return figures if alone_p50_ms is None else {**figures, "alone_p50_ms": alone_p50_ms}


def results_of_a_run(alone=True):
    """A run's figures, chosen so that each ratio below can be worked out by hand."""
    def timed(p95_ms, alone_p50_ms):
        return page(p95_ms, alone_p50_ms if alone else None)
    return {
        "build": {"seconds": 30.0, "cpu_seconds": 54.0, "peak_memory_mib": 500.0, "cores": 2, "runs": []},
        "floor": {"seconds": 15.0, "cpu_seconds": 12.0, "runs": []},
        "database_bytes": 300, "source_bytes": 100,
        "direct_common_search": {"under_load": {"p95_ms": 80.0}},
        "scaling": {"workers": 2, "throughput_scaling": {"no SQL: /-/versions.json": 0.9}, "clients": 16,
                    "load_generator": "wrk",
                    "requests_per_second": {"no SQL: /-/versions.json": {"one_worker": 500, "2_workers": 900}}},
        "pages": {
            "no SQL: /-/versions.json": timed(20.0, 2.0),
            "search: rare word": timed(30.0, 5.0),
            "search: two words": timed(25.0, 7.0),
            "search: common word": timed(100.0, 30.0),
            # slowest under load, but not alone
            "query trending_on": timed(120.0, 10.0),
            # slowest alone, but not under load
            "papers table": timed(100.0, 14.0),
            "paper page": timed(40.0, 6.0),
            # measured, but neither a table, a view nor a canned query
            "database page": timed(200.0, 20.0),
        },
    }


def test_the_target_ratios_and_the_same_ratios_alone_come_from_one_runs_figures():
    ratios = run.ratios(results_of_a_run())

    assert ratios["build_over_floor"] == 2.0  # 30 / 15 s
    assert ratios["build_cpu_over_floor_cpu"] == 4.5  # 54 / 12 s of CPU
    assert ratios["build_cpu_per_core_over_floor"] == 1.8  # 54 s of CPU on 2 cores is 27 s, against 15 s
    assert ratios["search_html_p95_over_page_p95"] == 1.5  # the rare word's 30 / 20 ms
    assert ratios["search_html_alone_over_page_alone"] == 3.5  # the two words' 7 / 2 ms
    assert ratios["common_search_over_direct"] == 1.25  # 100 / 80 ms
    assert (ratios["worst_page"], ratios["worst_page_p95_over_page_p95"]) == ("query trending_on", 6.0)
    assert (ratios["worst_page_alone"], ratios["worst_page_alone_over_page_alone"]) == ("papers table", 7.0)


def test_results_written_before_a_figure_was_measured_leave_its_ratio_out():
    older = results_of_a_run(alone=False)
    del older["build"]["cpu_seconds"], older["floor"]["cpu_seconds"]

    ratios = run.ratios(older)
    lines = "\n".join(run.target_lines({**older, **ratios}))

    assert ratios["build_over_floor"] == 2.0
    for key in ("build_cpu_over_floor_cpu", "build_cpu_per_core_over_floor", "search_html_alone_over_page_alone",
                "worst_page_alone_over_page_alone"):
        assert key not in ratios
        assert key not in lines
    assert "| worst_page_p95_over_page_p95 | 6.0 |" in lines


def test_a_build_whose_cores_were_not_recorded_has_no_per_core_ratio():
    older = results_of_a_run()
    del older["build"]["cores"]

    ratios = run.ratios(older)

    assert ratios["build_cpu_over_floor_cpu"] == 4.5
    assert "build_cpu_per_core_over_floor" not in ratios


def test_a_build_records_the_cores_it_ran_on(tmp_path, monkeypatch):
    # The cores are this machine's, as the benchmark's build sees them: 3 here, whatever it has.
    monkeypatch.setattr(run.os, "cpu_count", lambda: 3)

    figures = run.measure_build(PROJECT / "sources", tmp_path / "papers.db")

    assert figures["cores"] == 3
    assert figures["cpu_seconds"] > 0


def test_the_builds_medians_keep_their_cores_a_whole_number(tmp_path, monkeypatch):
    # statistics.median([3, 3]) is 3.0: a run's file said "cores": 3.0.
    monkeypatch.setattr(run.os, "cpu_count", lambda: 3)

    build, _ = run.measure_builds_and_floors(PROJECT / "sources", tmp_path / "papers.db", tmp_path / "floor.db", 2)

    assert type(build["cores"]) is int and build["cores"] == 3
    assert [figures["cores"] for figures in build["runs"]] == [3, 3]


def test_the_builds_are_timed_with_the_packages_bytecode_written_as_an_install_writes_it(tmp_path, monkeypatch):
    package = tmp_path / "papers_db"
    shutil.copytree(PROJECT / "papers_db", package, ignore=shutil.ignore_patterns("__pycache__"),
                    symlinks=True)
    monkeypatch.setattr(run, "PROJECT", tmp_path)
    run.compile_package_bytecode()
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 20
    assert [module for module in modules if not Path(importlib.util.cache_from_source(module)).is_file()] == []


@pytest.mark.parametrize("where", ["in the child", "in a helper the child starts and waits for"])
def test_the_cpu_time_of_a_build_counts_its_helper_processes(where):
    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"
    if where != "in the child":
        burn = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burn!r}], check=True)\n"

    before = run.children_cpu_seconds()
    subprocess.run([sys.executable, "-c", textwrap.dedent(burn)], check=True)

    assert run.children_cpu_seconds() - before >= 0.4


def test_the_servers_the_benchmark_starts_keep_their_errors_in_a_log_beside_the_database(built_db, tmp_path):
    # A copy, so that the log is written beside this test's file and not the session's.
    database = tmp_path / "papers.db"
    database.write_bytes(built_db.read_bytes())

    for workers in (1, 2):
        with run.serving(database, workers) as (_, port):
            assert run.Client(port).status("/-/versions.json") == 200

    log = (tmp_path / "server.log").read_text(encoding="utf-8")
    starts = [line for line in log.splitlines() if "build_db.py serve --db" in line]
    assert [start.endswith(f"--workers {workers}") for start, workers in zip(starts, (1, 2))] == [True, True]
    assert len(starts) == 2
    # each server's own words, from Datasette's uvicorn and from gunicorn
    assert "Uvicorn running on" in log.split(starts[1])[0]
    assert "Booting worker with pid" in log.split(starts[1])[1]
    # the access log, a line per request, is not kept
    assert "/-/versions.json" not in log


def test_a_childs_cpu_seconds_are_read_from_proc():
    # A child that burns 0.5 s of CPU, and one that sleeps.
    burning = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.5\n"
                                "while time.process_time() < end: pass\ntime.sleep(60)"])
    sleeping = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        deadline = time.monotonic() + 30
        while (seconds := run.children_cpu_so_far(os.getpid())).get(burning.pid, 0) < 0.5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 0.5 <= seconds[burning.pid] < 2.0
        assert seconds[sleeping.pid] < 0.3  # starting Python, then sleeping
    finally:
        for child in (burning, sleeping):
            child.kill()
            child.wait()


def test_throughput_with_several_workers_records_each_workers_cpu(built_db, tmp_path):
    database = tmp_path / "papers.db"
    database.write_bytes(built_db.read_bytes())

    scaling = run.measure_scaling(database, {"no SQL": "/-/versions.json"}, clients=4, seconds=1, runs=2)

    workers = scaling["workers"]
    per_run = scaling["worker_cpu_seconds"]["no SQL"]
    if workers == 1:  # one core: no run with several workers
        assert per_run == []
        return
    assert len(per_run) == 2 and all(len(each) == workers for each in per_run)
    # The workers answered a second of requests between them (which worker took how many is the
    # kernel's choice), and none used more than the machine's cores could give in that second.
    assert all(sum(each) > 0 for each in per_run)
    assert all(0 <= seconds <= workers * 1.5 for each in per_run for seconds in each)


def test_paging_walks_every_paper_once_in_order_through_the_server(built_db, tmp_path):
    database = tmp_path / "papers.db"
    database.write_bytes(built_db.read_bytes())
    with sqlite3.connect(database) as conn:
        papers = conn.execute("select count(*) from papers").fetchone()[0]

    with run.serving(database, 1) as (_, port):
        paging = run.measure_paging(port, database)

    assert paging["papers"] == papers
    assert paging["json_pages"]["rows"] == papers and paging["json_pages"]["in_order"]
    assert paging["json_pages"]["pages"] == -(-papers // 1000)  # _size=max: 1,000 rows a page
    assert paging["csv_stream"]["rows"] == papers and paging["csv_stream"]["in_order"]


def test_a_server_that_does_not_answer_the_walk_is_recorded_and_the_other_figures_kept(built_db):
    # Nothing listens on this port: the walk's first page gets no answer.
    paging = run.measure_paging(run.free_port(), built_db)

    assert paging["error"].startswith("after 0 pages: /papers/papers.json?_size=max")
    assert "ConnectionRefusedError" in paging["error"]
    assert str(built_db.with_name("server.log")) in paging["error"]
    line = run.paging_lines({"paging": paging})[0]
    assert line.startswith("Paging through all") and "failed after 0 pages" in line


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads a process's children from /proc")
def test_a_run_ended_by_sigterm_during_a_build_ends_the_build_with_it(tmp_path):
    # A corpus of 10,000 papers (a build of about 4 s): the bundled sources build in about 1 s,
    # and a signal sent 1 s after the build started sometimes came after it had finished.
    import generate_corpus

    corpus = tmp_path / "input" / "corpus"  # beside it, the corpus's truth file
    generate_corpus.write_corpus(10_000, corpus)
    script = (f"import sys; sys.path.insert(0, {str(PROJECT / 'benchmarks')!r}); import run; from pathlib import Path\n"
              f"run.ended_as_by_ctrl_c(run.measure_build, Path({str(corpus)!r}), Path({str(tmp_path / 'papers.db')!r}))\n")
    benchmark = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    deadline = time.monotonic() + 60
    # Under way, past its start: its temporary files written, which it must not leave behind.
    while not list(tmp_path.glob(".papers.db*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    [build] = worker_pids(benchmark.pid)

    benchmark.send_signal(signal.SIGTERM)

    assert benchmark.wait(timeout=60) == 128 + signal.SIGTERM
    with pytest.raises(ProcessLookupError):
        os.kill(build, 0)  # ended and reaped: the benchmark waited for it
    assert sorted(path.name for path in tmp_path.iterdir()) == ["input"]  # nothing half-written


class PagesClosingAKeptAliveConnection(http.server.BaseHTTPRequestHandler):
    """The server's `ids`, 50 a page by next-page links, and as one CSV, over kept-alive
    connections; the request for the server's `closing_at` (a _next offset) is closed unanswered,
    `closing_after` seconds after it came, `closings` times, and the page at `slow_at` is answered
    after 0.3 s."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        ids = self.server.ids
        if query.get("_next") == self.server.closing_at and self.server.closings:
            self.server.closings -= 1
            time.sleep(self.server.closing_after)
            self.close_connection = True
            return
        if query.get("_next") == self.server.slow_at:
            time.sleep(0.3)
        if self.path.startswith("/papers/papers.csv"):
            body = "\n".join(["id", *map(str, ids)]).encode()
        else:
            start = int(query.get("_next", 0))
            following = f"{run.PAGED_JSON}&_next={start + 50}" if start + 50 < len(ids) else None
            body = json.dumps({"rows": [[paper] for paper in ids[start:start + 50]],
                               "next_url": following and f"http://127.0.0.1:{self.server.server_port}{following}"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def pages_closing(built_db, closing_at, closings, closing_after=0.0, slow_at=None):
    """A server of built_db's papers newest first (PagesClosingAKeptAliveConnection)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PagesClosingAKeptAliveConnection)
    with sqlite3.connect(built_db) as conn:
        server.ids = [paper for (paper,) in conn.execute("select id from papers order by first_published_on desc, id")]
    server.closing_at, server.closings, server.closing_after, server.slow_at = closing_at, closings, closing_after, slow_at
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_whose_kept_alive_connection_is_closed_unanswered_is_asked_again_and_listed(built_db):
    # The third page's request (after two pages on one connection) is closed unanswered once, 0.3 s
    # after it came.
    with pages_closing(built_db, "100", 1, closing_after=0.3) as server:
        paging = run.measure_paging(server.server_port, built_db)

    papers = len(server.ids)
    assert paging["json_pages"]["rows"] == papers and paging["json_pages"]["in_order"]
    assert paging["json_pages"]["pages"] == -(-papers // 50)
    assert paging["csv_stream"]["in_order"]
    [asked_again] = paging["asked_again"]
    idle, closed_after = asked_again["idle_ms"], asked_again["closed_after_ms"]
    assert {key: value for key, value in asked_again.items() if not key.endswith("_ms")} == {
        "after_pages": 2, "path": f"{run.PAGED_JSON}&_next=100",
        "error": "RemoteDisconnected('Remote end closed connection without response')"}
    # The walk asks for the next page as soon as it has read one: the 0.3 s are the server's.
    assert 300 <= closed_after < 2000 and 0 <= idle < 300
    line = run.paging_lines({"paging": paging})[0]
    assert line.endswith(f"after 2 pages, `{run.PAGED_JSON}&_next=100` "
                         "(RemoteDisconnected('Remote end closed connection without response'); "
                         f"asked {idle} ms after the previous answer, closed {closed_after} ms later).")


def test_the_walk_says_which_page_was_slowest(built_db):
    with pages_closing(built_db, None, 0, slow_at="150") as server:
        paging = run.measure_paging(server.server_port, built_db)

    assert paging["json_pages"]["slowest_page"] == 3  # the 4th, counted from 0
    assert paging["json_pages"]["slowest_page_ms"] >= 300
    assert f"(slowest page {paging['json_pages']['slowest_page_ms']} ms, page 4)" in run.paging_lines({"paging": paging})[0]


def test_a_page_not_answered_on_a_new_connection_either_ends_the_walk(built_db):
    with pages_closing(built_db, "100", 2) as server:
        paging = run.measure_paging(server.server_port, built_db)

    assert paging["error"].startswith(f"after 2 pages: {run.PAGED_JSON}&_next=100: no answer (RemoteDisconnected(")
    assert [request["after_pages"] for request in paging["asked_again"]] == [2]
    assert "Asked again on a new connection" in run.paging_lines({"paging": paging})[0]


def test_a_new_connection_closed_unanswered_is_not_asked_again(built_db):
    # The first page is asked on a new connection: closed unanswered, it is the server's answer.
    with pages_closing(built_db, None, 1) as server:
        paging = run.measure_paging(server.server_port, built_db)

    assert paging["error"].startswith(f"after 0 pages: {run.PAGED_JSON}: no answer (RemoteDisconnected(")
    assert paging["asked_again"] == []


PROTOTYPE_PAGES = """
import asyncio, json, re, sys
sys.path.insert(0, {folder!r})
import table_page

async def pages():
    datasette = table_page.served({database!r})
    await datasette.invoke_startup()
    shown = {{}}
    for facet_values in {facet_values!r}:
        html = (await datasette.client.get("/prototype/papers?" + facet_values)).text
        rows = (await datasette.client.get("/papers/papers.json?_shape=objects&" + facet_values)).json()
        after = re.search(r'_next=([^"]+)">Next page', html)
        shown[facet_values] = {{
            "prototype": [re.findall(r'<a href="/papers/papers/([0-9]+)">', html),
                          int(re.search(r"<p>([0-9,]+) rows", html).group(1).replace(",", "")),
                          after and after.group(1)],
            "datasette": [[str(row["id"]) for row in rows["rows"]], rows["filtered_table_rows_count"], rows["next"]]}}
    print(json.dumps(shown))

asyncio.run(pages())
"""


def test_the_table_page_prototype_shows_the_rows_datasette_shows(built_db):
    # The prototype's figures in NOTES.md stand for a page of the same rows as Datasette's: the
    # same ids in the same order, the same count and the same next page, on the whole table and
    # on the bundled papers' commonest facet values.
    with sqlite3.connect(f"file:{built_db}?mode=ro", uri=True) as conn:
        # The bundled papers with a tier have no date: a tier with its outcome, and a year.
        tier, outcome = conn.execute("SELECT tier, outcome FROM papers WHERE tier IS NOT NULL"
                                     " GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1").fetchone()
        year = conn.execute("SELECT first_published_year FROM papers WHERE first_published_year IS NOT NULL"
                            " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    facet_values = ["", urllib.parse.urlencode({"tier": tier, "outcome": outcome}),
                    urllib.parse.urlencode({"first_published_year": year, "source_count": 1})]
    script = PROTOTYPE_PAGES.format(folder=str(PROJECT / "benchmarks" / "prototypes"), database=str(built_db),
                                    facet_values=facet_values)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert result.returncode == 0, result.stderr[-2000:]
    shown = json.loads(result.stdout)

    for page in shown.values():
        assert page["prototype"] == page["datasette"]
    assert shown[""]["datasette"][1] == 319 and shown[""]["datasette"][2] is not None  # 319 bundled papers, 50 a page
    assert all(shown[values]["datasette"][0] for values in facet_values)
    assert shown[facet_values[1]]["datasette"][2] is None  # a page with no next one


def test_pages_under_load_times_each_page_beside_the_no_sql_page_with_the_plugins_given(built_db):
    # The figures in HISTORY.md on where a page's time goes under load come from this script: each
    # page asked for is answered (no errors; a 404 is one), the prototype's only where the server
    # took the plugins folder.
    two_facet_values = "tier=poster&outcome=accept"
    result = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks" / "pages_under_load.py"), str(built_db), "/papers/search?q=diffusion",
         f"/prototype/papers?{two_facet_values}", "--setting", "num_sql_threads", "0",
         "--plugins-dir", str(PROJECT / "benchmarks" / "prototypes"), "--clients", "2", "--requests", "4", "--rounds", "1"],
        capture_output=True, text=True, timeout=180, cwd=PROJECT)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    pages = lines[1::2]
    assert pages == ["/-/versions.json", "/papers/search?q=diffusion", f"/prototype/papers?{two_facet_values}"]
    assert all(line.strip().startswith("alone p50 ") and line.endswith("errors 0") for line in lines[2::2])


def test_the_pauses_of_queries_in_the_loop_the_server_logged_while_pages_were_measured_are_listed(built_db, tmp_path,
                                                                                                   capsys):
    # Run BG's rare-word search took 9.5 ms alone against 2.7-3.0 in process, and nothing said
    # whether the server had sent its searches to threads: the plugin's own line for a pause,
    # among a server's other lines, is found, and only after the offset given.
    from datasette.app import Datasette

    import papers_db.plugin

    database = tmp_path / "papers.db"
    log = run.server_log(database)
    log.write_text("[INFO] Booting worker with pid: 7\n", encoding="utf-8")
    assert run.loop_pauses_logged(database, 0) == []
    before = run.server_log_size(database)
    papers = Datasette([str(built_db)], immutables=[]).get_database("papers")
    try:
        papers_db.plugin.pause_running_in_the_loop(papers, "a query there was stopped by its time limit")
    finally:
        papers_db.plugin._loop_paused_until.clear()
    said = capsys.readouterr().err
    with log.open("a", encoding="utf-8") as server_said:
        server_said.write(f"[INFO] Started server process [8]\n{said}[INFO] Application startup complete.\n")

    pauses = run.loop_pauses_logged(database, before)
    assert len(pauses) == 1 and pauses[0].endswith("a query there was stopped by its time limit")
    assert run.loop_pauses_logged(database, log.stat().st_size) == []
    lines = run.loop_pause_lines({"loop_pauses_while_pages_measured": pauses})
    assert "paused their queries in the event loop 1 time " in lines[0]
    assert lines[0].endswith("`a query there was stopped by its time limit`.")
    assert run.loop_pause_lines({"loop_pauses_while_pages_measured": []})[0].startswith("While the pages were measured, no")
    assert run.loop_pause_lines({}) == []  # runs up to BG did not look
