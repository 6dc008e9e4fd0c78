"""Measure the build and the served database on a synthetic corpus, against SQLite's own speed.

    python benchmarks/run.py --papers 100000

In one run, on one corpus (generated first if missing):

- build: `papers-db build` end to end, wall time, CPU time and peak memory (all its processes
  together), --runs times, each followed by the floor: the medians and the highest peak. The
  package's bytecode is written first, as installing it does;
- merges: how the build's entity resolution grouped the corpus's listings against the truth the
  generator wrote (papers listed again with a revised abstract, a re-cased title, the title
  alone, a new title; distinct papers sharing a title): pairwise precision and recall over
  pairs of listings put in one paper;
- related papers: that step of the build on its own, its rows and the bytes its table takes;
- floor: the same rows (papers and listings, read back from the built database) inserted into a
  fresh file with plain sqlite3 `executemany` in one transaction, plus an FTS5 `rebuild` over
  the same text: what any build must at least spend, on one core. It is measured --runs times,
  each right after a build, and the median taken, because on a shared machine one run can differ
  from the next by a third; its CPU time beside the build's says how much more work the build
  does, apart from how busy the machine was;
- size: database bytes / source bytes;
- Datasette, started exactly as `papers-db serve` starts it, under a bounded load from
  --clients threads on 127.0.0.1 (--requests per page): p50/p95 latency and errors for the
  papers page, its search box, the ranked search query (rare word, two words, a word in a third
  of all papers; the rare and two-word searches also as JSON), every view and every canned query,
  and a page that runs no SQL at all (what the server itself costs under the same load); each
  page also by one client alone, what it costs the server with no load (where its time goes); and
  the same ranked query for the common word run directly in SQLite, by one connection alone and
  by --clients connections at once (the same load), for comparison. The server runs as `serve`
  runs it by default: one worker per core. Every page is loaded in --load-runs rounds, one page
  after another in each, and each figure is the median of the rounds' (between two runs on the
  same code one page's p95 moved from 16 to 70 ms); the direct query likewise, in each round
  right after the pages;
- throughput: requests per second for the no-SQL page and the rare-word search with one worker
  and with one per core, under --scaling-clients connections (wrk where installed), the median
  of --load-runs measurements each;
- under attack: the p95 and slowest answer of normal pages without and during a stream of
  hostile requests (ATTACKS) from two clients, then from --flood-clients (more than the server's
  SQL threads), what the attacks were answered, and the server's peak memory;
- bytes: every table and index (dbstat), and the full-text index against a bare FTS5 table over
  the same text;
- paging: every page of the papers table (newest first, 1,000 ids a page) followed by its
  next-page links, and the same as a streamed CSV: seconds, the slowest page, whether the ids
  came each once in SQLite's own order (`order by first_published_on desc, id`), and any request
  answered only when asked again after the server closed a kept-alive connection unanswered.

Figures go to benchmarks/results/<papers>.json (the targets' ratios under fixed keys: see
`ratios`) and a table in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import compileall
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shlex
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
PROJECT = BENCHMARKS.parent

from generate_corpus import truth_file, write_corpus  # noqa: E402

from papers_db.database import open_read_only, read_only_uri  # noqa: E402
from papers_db.errors import Interrupted, signals_interrupt  # noqa: E402
from papers_db.metadata import read_metadata  # noqa: E402
from papers_db.related import related_papers  # noqa: E402

RESULTS = BENCHMARKS / "results"
RESULTS_TABLE = BENCHMARKS / "RESULTS.md"
ALONE_REQUESTS = 10  # each page requested by one client alone, before the load


def process_tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    return process_tree_memory_kib(root)["VmRSS"]


def process_tree_memory_kib(root: int, fields: tuple[str, ...] = ("VmRSS",)) -> dict[str, int]:
    """Memory of a process and all its descendants, from /proc (Linux), by /proc/PID/status field:
    VmRSS all it holds, RssAnon only what the processes allocated, without the files they map."""
    parents = parent_pids()
    tree, totals = {root}, dict.fromkeys(fields, 0)
    for _ in range(4):  # the build, its worker pool, and their helpers are at most this deep
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            name = line.split(":", 1)[0]
            if name in totals:
                totals[name] += int(line.split()[1])
    return totals


def process_stats() -> dict[int, list[str]]:
    """{pid: the fields of /proc/PID/stat after the process's name} of every process (Linux): the
    name, in parentheses, may itself hold spaces and parentheses."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats[int(stat.parent.name)] = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
    return stats


def parent_pids() -> dict[int, int]:
    """{pid: its parent's pid} of every process, from /proc (Linux)."""
    return {pid: int(fields[1]) for pid, fields in process_stats().items()}


def children_cpu_so_far(parent: int) -> dict[int, float]:
    """{pid: user and system CPU seconds so far} of each child of `parent` (with several workers,
    gunicorn's workers), from /proc (Linux)."""
    # the parent's pid, utime and stime: the 4th, 14th and 15th fields, 2nd, 12th and 13th after the name
    return {pid: (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for pid, fields in sorted(process_stats().items()) if int(fields[1]) == parent}


def compile_package_bytecode() -> None:
    """Write the package's bytecode, as installing it does (pip compiles a wheel's modules) and as
    Python does when it first imports them. Where PYTHONDONTWRITEBYTECODE is set, as on the
    machine the results were measured on, every build compiled the package again in each of its
    five processes: 0.09 s of the command's own start."""
    compileall.compile_dir(PROJECT / "papers_db", quiet=1)


def measure_builds_and_floors(corpus: Path, output: Path, scratch: Path, runs: int) -> tuple[dict, dict]:
    """The build and the floor `runs` times each, one after the other (build, floor, build, floor),
    so that both see the machine as it is at the time: on this shared machine two builds of the
    same code in one run took 24.9 and 30.2 s. Each keeps its medians and every run's figures."""
    builds, floors = [], []
    for run in range(runs):
        builds.append(measure_build(corpus, output))
        print(f"  build {run + 1} of {runs}: {builds[-1]}", flush=True)
        floors.append(measure_floor(output, scratch))
        print(f"  floor {run + 1} of {runs}: {floors[-1]}", flush=True)
    build = medians(builds) | {"peak_memory_mib": max(figures["peak_memory_mib"] for figures in builds),
                               "cores": builds[0]["cores"], "runs": builds}
    return build, medians(floors) | {"runs": floors}


def medians(runs: list[dict]) -> dict:
    """The median of each figure of `runs`, key by key."""
    return {key: round(statistics.median(figures[key] for figures in runs), 2) for key in runs[0]}


def measure_build(corpus: Path, output: Path) -> dict:
    """Wall time, CPU time of the build's processes together (user and system, helpers
    included: each is waited for by the build, and the build by this process), and their peak
    memory together (sampled 4 times a second: the build runs helper processes beside its own)."""
    started, cpu_before = time.perf_counter(), children_cpu_seconds()
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [sys.executable, str(PROJECT / "build_db.py"), "build", str(corpus), "--output", str(output)],
            stdout=subprocess.DEVNULL, stderr=errors, text=True,
        )
        peak_kib = 0
        try:
            while process.poll() is None:
                peak_kib = max(peak_kib, process_tree_rss_kib(process.pid))
                time.sleep(0.25)
        finally:
            # A run stopped here (Ctrl+C, or SIGTERM: see ended_as_by_ctrl_c) left the build running
            # on alone for minutes. The build ends cleanly on SIGTERM, its helpers and files too.
            if process.poll() is None:
                process.terminate()
                process.wait()
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            errors.seek(0)
            sys.exit(f"build failed:\n{errors.read()}")
    return {"seconds": round(seconds, 2), "cpu_seconds": round(children_cpu_seconds() - cpu_before, 2),
            "peak_memory_mib": round(peak_kib / 1024, 1), "cores": os.cpu_count() or 1}


def children_cpu_seconds() -> float:
    """User and system CPU seconds of every child process this one has waited for, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pairs(sizes) -> int:
    return sum(size * (size - 1) // 2 for size in sizes)


def measure_merges(database: Path, truth: Path) -> dict:
    """Pairwise precision and recall of the build's papers against the generator's truth: of the
    pairs of listings the build put in one paper, the share that are one paper (precision), and of
    the pairs that are one paper, the share the build put together (recall)."""
    true_paper = {}
    with truth.open(encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            name, position, paper = line.rstrip("\n").split("\t")
            true_paper[name, int(position)] = int(paper)
    built, cells, true_sizes = collections.Counter(), collections.Counter(), collections.Counter()
    with open_read_only(database) as conn:
        rows = conn.execute("SELECT sources.file_name, listings.position, listings.paper_id "
                            "FROM listings JOIN sources ON sources.id = listings.source_id")
        for name, position, paper_id in rows:
            paper = true_paper.pop((name, position))
            built[paper_id] += 1
            true_sizes[paper] += 1
            cells[paper, paper_id] += 1
        matched = dict(conn.execute("SELECT matched_by, count(*) FROM listings GROUP BY matched_by").fetchall())
    together, built_pairs, true_pairs = pairs(cells.values()), pairs(built.values()), pairs(true_sizes.values())
    return {"precision": round(together / built_pairs, 5) if built_pairs else 1.0,
            "recall": round(together / true_pairs, 5) if true_pairs else 1.0,
            "listing_pairs": true_pairs, "listings_missing": len(true_paper), "matched_by": matched}


def measure_related(database: Path) -> dict:
    """The related-papers step on its own, over the built papers (the build runs it in a second
    process, beside loading papers and the full-text index, so only part of it shows in the
    build's wall time)."""
    with open_read_only(database) as conn:
        started = time.perf_counter()
        rows = sum(1 for _ in related_papers(conn.execute("SELECT id, title, plain_abstract FROM papers ORDER BY id")))
        seconds = time.perf_counter() - started
        with_related = conn.execute("SELECT count(DISTINCT paper_id) FROM related_papers").fetchone()[0]
        related_bytes = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('related_papers', 'related_papers_related_paper_id')"
        ).fetchone()[0]
    return {"seconds": round(seconds, 2), "rows": rows, "papers_with_related": with_related,
            "table_bytes": related_bytes}


def measure_floor(database: Path, scratch: Path) -> dict:
    """Plain sqlite3: the built rows inserted in one transaction, then an FTS5 rebuild."""
    with open_read_only(database) as built:
        papers = built.execute("SELECT * FROM papers").fetchall()
        paper_columns = len(papers[0])
        listings = built.execute("SELECT * FROM listings").fetchall()
        listing_columns = len(listings[0])
    scratch.unlink(missing_ok=True)
    conn = sqlite3.connect(scratch, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"CREATE TABLE papers (id INTEGER PRIMARY KEY, title, abstract, {', '.join(f'c{i}' for i in range(paper_columns - 3))})")
    conn.execute(f"CREATE TABLE listings (id INTEGER PRIMARY KEY, {', '.join(f'c{i}' for i in range(listing_columns - 1))})")
    conn.execute("CREATE VIRTUAL TABLE papers_fts USING fts5(title, abstract, content=papers, content_rowid=id, tokenize='porter')")
    started, cpu_before = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO papers VALUES ({', '.join('?' * paper_columns)})", papers)
    conn.executemany(f"INSERT INTO listings VALUES ({', '.join('?' * listing_columns)})", listings)
    inserted = time.perf_counter()
    conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")
    conn.execute("COMMIT")
    finished, cpu_seconds = time.perf_counter(), time.process_time() - cpu_before
    conn.close()
    scratch.unlink()
    return {"seconds": round(finished - started, 2), "cpu_seconds": round(cpu_seconds, 2),
            "insert_seconds": round(inserted - started, 2),
            "fts_rebuild_seconds": round(finished - inserted, 2)}


def choose_search_terms(database: Path) -> dict:
    """A rare word, two mid-frequency words, and the word closest to matching a third of papers."""
    conn = open_read_only(database)
    conn.execute("CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, 'papers_fts', 'row')")
    papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    rare = conn.execute("SELECT term FROM temp.vocabulary WHERE doc BETWEEN 5 AND 50 AND length(term) > 5 "
                        "ORDER BY doc DESC, term LIMIT 1").fetchone()[0]
    pair = [row[0] for row in conn.execute(
        "SELECT term FROM temp.vocabulary WHERE doc BETWEEN ? AND ? AND length(term) > 4 ORDER BY term LIMIT 2",
        (papers // 100, papers // 50))]
    common, common_docs = conn.execute(
        "SELECT term, doc FROM temp.vocabulary ORDER BY abs(doc - ?) LIMIT 1", (papers // 3,)).fetchone()
    conn.close()
    return {"rare": rare, "two_words": " ".join(pair), "common": common, "common_matches": common_docs,
            "papers": papers}


def direct_search_client(database: Path, search_sql: str, q: str):
    """A client for timed_concurrently that runs the search canned query in-process against
    SQLite, for comparison with Datasette (sqlite3 lets go of the GIL while a query runs, so
    threads use both cores)."""

    def make_client():
        conn = open_read_only(database)

        def one_request() -> bool:
            conn.execute(search_sql, {"q": q}).fetchall()
            return True
        return one_request
    return make_client


def median_of_runs(runs: list[dict]) -> dict:
    """One page's (or query's) figures over several runs of its load: p50 and p95 the median of
    the runs', each run's kept beside them; requests and errors added up, the slowest answer of all."""
    def median(key):
        values = [run[key] for run in runs if run[key] is not None]
        return round(statistics.median(values), 1) if values else None
    return {"requests": sum(run["requests"] for run in runs), "errors": sum(run["errors"] for run in runs),
            "p50_ms": median("p50_ms"), "p95_ms": median("p95_ms"),
            "max_ms": max((run["max_ms"] for run in runs if run["max_ms"] is not None), default=None),
            "per_second": median("per_second"), "p95_ms_runs": [run["p95_ms"] for run in runs]}


def timed_concurrently(clients: int, count: int, make_client) -> dict:
    """Latency of `count` calls shared among `clients` threads. Each thread makes its own client
    (a callable doing one request, True when it succeeded)."""
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()

    def client(share: int) -> None:
        nonlocal errors
        one_request = make_client()
        for _ in range(share):
            started = time.perf_counter()
            ok = one_request()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    timings.append(elapsed)
                else:
                    errors += 1

    threads = [threading.Thread(target=client, args=(count // clients + (i < count % clients),)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**summarise(timings, errors), "per_second": round(count / (time.perf_counter() - started), 1)}


def summarise(milliseconds: list[float], errors: int) -> dict:
    ordered = sorted(milliseconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else None
    return {"requests": len(ordered) + errors, "errors": errors,
            "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
            "p95_ms": round(p95, 1) if p95 is not None else None,
            "max_ms": round(ordered[-1], 1) if ordered else None}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(database: Path, workers: int):
    """`serve` with `workers` workers on a free port, until the block ends: yields (process, port)
    once the server answers.

    The server's errors (stderr: gunicorn's log, Datasette's tracebacks) are added to
    server.log beside the database: one 1M run stopped on a connection the server closed
    without an answer, and what the server said then was lost. Its access log (stdout, a line
    per request) is not kept."""
    port = free_port()
    command = [sys.executable, str(PROJECT / "build_db.py"), "serve", "--db", str(database), "--port", str(port),
               "--workers", str(workers)]
    with server_log(database).open("a", encoding="utf-8") as log:
        log.write(f"\n{time.strftime('%Y-%m-%d %H:%M:%S')} {shlex.join(command)}\n")
        log.flush()
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_server(port)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def server_log(database: Path) -> Path:
    return database.with_name("server.log")


def server_log_size(database: Path) -> int:
    log = server_log(database)
    return log.stat().st_size if log.exists() else 0


# The line the package's plugin logs for each pause of a file's queries in the event loop
# (papers_db.plugin.pause_running_in_the_loop): for a minute its searches and table pages run on
# SQL threads, slower. Run BG's rare-word search took 9.5 ms alone at 100k against 2.7-3.0 ms in
# process, and nothing said why.
LOOP_PAUSE = "run on SQL threads for"


def loop_pauses_logged(database: Path, since: int) -> list[str]:
    """Each pause the servers logged in server.log after its first `since` bytes, as logged."""
    with server_log(database).open("rb") as log:
        log.seek(since)
        return [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if LOOP_PAUSE in line]


def wait_for_server(port: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if Client(port, timeout=5).status("/-/versions.json") == 200:
            return
        time.sleep(0.5)
    sys.exit("the server did not start")


def throughput(port: int, path: str, clients: int, seconds: int) -> float:
    """Requests per second that `clients` connections get for one page over `seconds`, from wrk
    (a C load generator) where it is installed, else from `asyncio_throughput`."""
    url = f"http://127.0.0.1:{port}{path}"
    if shutil.which("wrk"):
        report = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", url],
                                capture_output=True, text=True, check=True).stdout
        return float(next(line.split()[1] for line in report.splitlines() if line.startswith("Requests/sec:")))
    return asyncio_throughput(port, path, clients, seconds)


def asyncio_throughput(port: int, path: str, clients: int, seconds: int) -> float:
    """Requests per second answered 200 on `clients` keep-alive connections from one asyncio
    thread, each sending its next request as soon as the last answer is read, for `seconds`.

    The load generator shares the machine's cores with the server, so what it spends per request
    is taken from the server with one worker per core, and not with one worker. The earlier
    fallback (16 threads of http.client, 160 requests in all whatever --scaling-seconds said)
    spent far more per request, parsing headers, and waited for its threads to start."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()

    async def read_body(reader, head: bytes) -> None:
        length = re.search(rb"(?im)^content-length: *(\d+)", head)
        if length is not None:
            await reader.readexactly(int(length.group(1)))
            return
        while True:  # Transfer-Encoding: chunked, as uvicorn sends Datasette's pages
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers: the empty line that ends the body
                return
            await reader.readexactly(size + 2)

    async def connection(deadline: float) -> int:
        """Answers counted on one client's connection, opened again where the server closes it
        (with several workers `serve` closes each after its answer)."""
        answered, writer = 0, None
        try:
            while time.monotonic() < deadline:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                try:
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    await read_body(reader, head)
                except (OSError, asyncio.IncompleteReadError):
                    head = b"connection: close"  # not answered: open another
                answered += head.startswith((b"HTTP/1.1 200 ", b"HTTP/1.0 200 "))
                if re.search(rb"(?im)^connection: *close", head):
                    writer.close()
                    writer = None
        finally:
            if writer is not None:
                writer.close()
        return answered

    async def run() -> float:
        started = time.monotonic()
        answered = await asyncio.gather(*(connection(started + seconds) for _ in range(clients)))
        return sum(answered) / (time.monotonic() - started)

    return round(asyncio.run(run()), 1)


def measure_scaling(database: Path, paths: dict[str, str], clients: int, seconds: int, runs: int) -> dict:
    """Throughput of each page with one worker and with one per core, under `clients` connections,
    the median of `runs` measurements one after another:
    scaling = throughput(N workers) / (N x throughput(1 worker)); 1.0 would be perfect."""
    workers = os.cpu_count() or 1
    each, worker_cpu = {}, {name: [] for name in paths}
    for count in (1, workers):
        with serving(database, count) as (server, port):
            for path in paths.values():
                throughput(port, path, clients, 1)  # warm up every worker
            each[count] = {name: [] for name in paths}
            for name, path in paths.items():
                for _ in range(runs):
                    before = children_cpu_so_far(server.pid)
                    each[count][name].append(throughput(port, path, clients, seconds))
                    if count > 1:
                        # Each worker's CPU seconds in the run: a run of two workers answered no
                        # more than one worker did (run AD, 100k), and whether one worker then
                        # idled or both were held back is the question.
                        after = children_cpu_so_far(server.pid)
                        worker_cpu[name].append([round(after[pid] - before[pid], 2) for pid in after if pid in before])
    per_second = {count: {name: round(statistics.median(measured), 1) for name, measured in by_name.items()}
                  for count, by_name in each.items()}
    return {"workers": workers, "clients": clients, "load_generator": "wrk" if shutil.which("wrk") else "one asyncio thread",
            "requests_per_second": {name: {"one_worker": per_second[1][name], f"{workers}_workers": per_second[workers][name]}
                                    for name in paths},
            "runs": {name: {"one_worker": each[1][name], f"{workers}_workers": each[workers][name]} for name in paths},
            "worker_cpu_seconds": worker_cpu,
            "throughput_scaling": {name: round(per_second[workers][name] / (workers * per_second[1][name]), 2)
                                   for name in paths}}


# What a hostile visitor sends (tests/test_hostile_requests.py has one test per kind): each must be
# answered with a 4xx or a stopped query, while everyone else is served as usual.
ATTACKS = {
    "zeroblob": "select length(zeroblob(300000000))",
    "randomblob": "select length(randomblob(200000000))",
    "printf width": "select length(printf('%.*c', 2000000000, 'x'))",
    "replace growth": "select length(replace(hex(zeroblob(100000)), '0', hex(zeroblob(1000))))",
    "group_concat": "select length(group_concat(abstract || abstract || abstract)) from papers",
    "endless CTE": "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n",
    "cross join": "select count(*) from papers a, papers b, papers c",
    "like pattern": "select count(*) from papers where abstract like '%' || hex(zeroblob(40000)) || '%'",
    "fts3_tokenizer": "select fts3_tokenizer('simple')",
}


def attack_paths() -> list[str]:
    long_search = urllib.parse.quote_plus(" ".join(["model learning data"] * 6_000))
    return [*(f"/papers.json?sql={urllib.parse.quote_plus(sql)}" for sql in ATTACKS.values()),
            f"/papers/search.json?q={long_search}", "/papers/papers.json?_sort=nonexistent", "/papers.json?_timelimit=abc",
            *SLOW_WITHOUT_SQL]


# Requests with no SQL text that still make SQLite read most of a large table: a short prefix
# search, a raw full-text search, a filter, a sort and a facet on columns no index leads.
SLOW_WITHOUT_SQL = [
    "/papers/search?q=e*",
    "/papers/papers?_search=e*&_searchmode=raw",
    "/papers/papers?abstract__contains=zzzq",
    "/papers/papers?_sort_desc=title",
    "/papers/papers?_facet=short_name",
]


def measure_under_attack(database: Path, normal: dict[str, str], clients: int, count: int, attackers: int) -> dict:
    """The p95 and slowest answer of normal pages under `clients` clients, without and then during
    a stream of attacks from `attackers` more clients; the statuses the attacks got; and the peak
    memory of the server's processes together (sampled 10 times a second)."""
    with serving(database, os.cpu_count() or 1) as (server, port):
        peak_kib, peak_anon_kib, stop = 0, 0, threading.Event()
        statuses: dict[int, int] = {}

        def sample_memory() -> None:
            nonlocal peak_kib, peak_anon_kib
            while not stop.is_set():
                memory = process_tree_memory_kib(server.pid, ("VmRSS", "RssAnon"))
                peak_kib, peak_anon_kib = max(peak_kib, memory["VmRSS"]), max(peak_anon_kib, memory["RssAnon"])
                time.sleep(0.1)

        counting = threading.Lock()

        def attack() -> None:
            """The attacks in turn, without pause, until the measurement ends; only answers given
            while it runs are counted."""
            client, paths, turn = Client(port), attack_paths(), 0
            while not stop.is_set():
                path, turn = paths[turn % len(paths)], turn + 1
                status = client.status(path)
                with counting:
                    if not stop.is_set():
                        statuses[status] = statuses.get(status, 0) + 1
        try:
            load(port, list(normal.values()), 1, 1)  # warm up
            quiet = load(port, list(normal.values()), clients, count)
            threads = [threading.Thread(target=sample_memory), *(threading.Thread(target=attack) for _ in range(attackers))]
            for thread in threads:
                thread.start()
            during = load(port, list(normal.values()), clients, count)
            stop.set()
            for thread in threads:
                thread.join()
            alive = load_one(port, "/-/versions.json", 1, 1)["errors"] == 0
        finally:
            stop.set()
    return {
        "attackers": attackers,
        "pages": {name: {"p95_ms_quiet": quiet[path]["p95_ms"], "p95_ms_under_attack": during[path]["p95_ms"],
                         "max_ms_quiet": quiet[path]["max_ms"], "max_ms_under_attack": during[path]["max_ms"],
                         "errors_under_attack": during[path]["errors"]} for name, path in normal.items()},
        "attack_statuses": {str(status): count for status, count in sorted(statuses.items())},
        "server_peak_rss_mib": round(peak_kib / 1024, 1),
        # What the server allocated, without the files it maps: a memory-mapped database file
        # counts in resident memory once per connection that maps it (benchmarks/HISTORY.md, run U).
        "server_peak_anon_mib": round(peak_anon_kib / 1024, 1),
        "server_alive_after": alive,
    }


PAGED_JSON = "/papers/papers.json?_size=max&_col=id&_nofacet=1&_nocount=1"
STREAMED_CSV = "/papers/papers.csv?_stream=on&_col=id"


# What a connection kept alive from an earlier answer gives when the server closed it before
# answering: HTTP lets a client ask a GET again on a new connection (RFC 9112, 9.3.1).
CLOSED_BEFORE_ANSWERING = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def measure_paging(port: int, database: Path) -> dict:
    """Every page of the papers table by its next-page links, and its streamed CSV, against the
    ids in SQLite's own order. A page not answered, or not answered 200, ends the walk with an
    `error` in the figures: the run goes on to its other measurements and ends in failure once
    its figures are written (a 1M run stopped at this step lost the 25 minutes of them).

    A request on a kept-alive connection that the server closed without answering is asked once
    more on a new connection, and listed in `asked_again`: runs AA and AC stopped so at 1M, with
    nothing in the server's log, and repeats never did (benchmarks/HISTORY.md)."""
    with sqlite3.connect(database) as conn:
        expected = [id for (id,) in conn.execute("select id from papers order by first_published_on desc, id")]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    asked_again, last_answer_read = [], time.perf_counter()

    def answer(path: str) -> http.client.HTTPResponse:
        kept_alive = connection.sock is not None
        asked = time.perf_counter()
        try:
            connection.request("GET", path)
            return connection.getresponse()
        except CLOSED_BEFORE_ANSWERING as error:
            if not kept_alive:
                raise
            connection.close()
            # How long the connection was idle before the request, and how long the server took to
            # close it: a server closes a connection idle past its keep-alive (gunicorn's 2 s).
            asked_again.append({"after_pages": pages, "path": path, "error": repr(error),
                                "idle_ms": round((asked - last_answer_read) * 1000, 1),
                                "closed_after_ms": round((time.perf_counter() - asked) * 1000, 1)})
            connection.request("GET", path)
            return connection.getresponse()

    def get(path: str) -> bytes:
        nonlocal last_answer_read
        try:
            response = answer(path)
        except (OSError, http.client.HTTPException) as error:
            raise RuntimeError(f"{path}: no answer ({error!r}); the server's log is {server_log(database)}") from error
        body = response.read()
        last_answer_read = time.perf_counter()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
        return body

    walked, slowest, slowest_page, pages, started = [], 0.0, 0, 0, time.perf_counter()
    path = PAGED_JSON
    try:
        while path:
            page_started = time.perf_counter()
            page = json.loads(get(path))
            took = time.perf_counter() - page_started
            if took > slowest:
                # Which page: the 1M walk's slowest took 0.6-1.4 s in every run, and the same walk
                # in process, cold or warm, none over 0.2 s.
                slowest, slowest_page = took, pages
            walked += [row[0] for row in page["rows"]]
            pages += 1
            path = page["next_url"] and urllib.parse.urlsplit(page["next_url"])._replace(scheme="", netloc="").geturl()
        json_seconds = time.perf_counter() - started
        started = time.perf_counter()
        streamed = [int(line.split(",")[0]) for line in get(STREAMED_CSV).decode().splitlines()[1:]]
    except RuntimeError as error:
        return {"papers": len(expected), "error": f"after {pages:,} pages: {error}", "asked_again": asked_again}
    return {"papers": len(expected),
            "json_pages": {"pages": pages, "rows": len(walked), "in_order": walked == expected,
                           "seconds": round(json_seconds, 1), "slowest_page_ms": round(slowest * 1000, 1),
                           "slowest_page": slowest_page},
            "csv_stream": {"rows": len(streamed), "in_order": streamed == expected,
                           "seconds": round(time.perf_counter() - started, 1)},
            "asked_again": asked_again}


def paging_lines(results: dict) -> list[str]:
    if "paging" not in results:
        return []
    paging = results["paging"]
    asked_again = asked_again_text(paging.get("asked_again", []))  # runs before AC have none
    if "error" in paging:
        return [f"Paging through all {paging['papers']:,} papers newest first (`{PAGED_JSON}`) failed {paging['error']}"
                f"{asked_again}", ""]
    walked, streamed = paging["json_pages"], paging["csv_stream"]
    return [f"Paging through all {paging['papers']:,} papers newest first: `{PAGED_JSON}` by its next-page links, "
            f"{walked['pages']:,} pages, {walked['rows']:,} rows, each once in order: {walked['in_order']}, in "
            f"{walked['seconds']} s (slowest page {walked['slowest_page_ms']} ms{slowest_page_text(walked)}); `{STREAMED_CSV}`: "
            f"{streamed['rows']:,} rows, each once in order: {streamed['in_order']}, in {streamed['seconds']} s."
            f"{asked_again}", ""]


def slowest_page_text(walked: dict) -> str:
    if "slowest_page" not in walked:  # runs up to AD
        return ""
    return f", page {walked['slowest_page'] + 1:,}"


def asked_again_text(asked_again: list[dict]) -> str:
    if not asked_again:
        return ""
    each = "; ".join(f"after {request['after_pages']:,} pages, `{request['path']}` ({request['error']}; asked "
                     f"{request['idle_ms']} ms after the previous answer, closed {request['closed_after_ms']} ms later)"
                     for request in asked_again)
    return f" Asked again on a new connection after the server closed a kept-alive one without answering: {each}."


def database_bytes(database: Path) -> dict:
    """Bytes per table and index (SQLite's dbstat), the FTS index's shadow tables together, and a
    bare FTS5 table over the same text (one that stores its own copy) for comparison."""
    conn = open_read_only(database)
    sizes = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall())
    conn.close()
    fts = {name: size for name, size in sizes.items() if name.startswith("papers_fts")}
    bare = database.with_name("bare-fts.db")
    bare.unlink(missing_ok=True)
    with sqlite3.connect(bare) as scratch:
        scratch.execute("PRAGMA page_size = 16384")
        scratch.execute("ATTACH DATABASE ? AS built", (read_only_uri(database),))
        scratch.execute("CREATE VIRTUAL TABLE bare USING fts5(title, abstract, tokenize = 'porter')")
        scratch.execute("INSERT INTO bare (rowid, title, abstract) SELECT id, title, plain_abstract FROM built.papers")
        scratch.commit()
        bare_bytes = scratch.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'bare%'").fetchone()[0]
    bare.unlink()
    return {"by_name": sizes, "fts_index_bytes": sum(fts.values()), "bare_fts5_bytes": bare_bytes}


def load(port: int, paths: list[str], clients: int, per_path: int) -> dict:
    """Each page in turn under its own load: `clients` threads request it per_path times in all."""
    return {path: load_one(port, path, clients, per_path) for path in paths}


def load_one(port: int, path: str, clients: int, count: int) -> dict:
    def make_client():
        client = Client(port)
        return lambda: client.status(path) == 200

    return timed_concurrently(clients, count, make_client)


class Client:
    """One HTTP connection to the server on `port`, opened again after a failure."""

    def __init__(self, port: int, timeout: float = 60) -> None:
        self.port, self.timeout = port, timeout
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def status(self, path: str) -> int:
        """The status of a GET of `path`, its body read; 0 for no answer at all."""
        try:
            self.connection.request("GET", path)
            response = self.connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            return 0


def pages(terms: dict, database: Path) -> dict[str, str]:
    with open_read_only(database) as conn:
        paper = conn.execute("SELECT paper_id FROM listings ORDER BY paper_id LIMIT 1").fetchone()[0]
        snapshot = conn.execute("SELECT snapshot_date FROM sources WHERE snapshot_date IS NOT NULL LIMIT 1").fetchone()[0]
        organization = (conn.execute("SELECT handle FROM organizations LIMIT 1").fetchone() or ["adobe"])[0]
        # SQLite takes a bare column from the row max() picked
        commonest = {(table, column): value for table, column, value, _ in conn.execute(
            "SELECT table_name, column_name, value, max(count) FROM facet_counts WHERE value IS NOT NULL"
            " GROUP BY table_name, column_name")}
    q = urllib.parse.quote_plus
    # Facet clicks, each on the value with the most rows: the largest filtered sets to count.
    one_facet = urllib.parse.urlencode({"source_count": commonest["papers", "source_count"]})
    two_facets = urllib.parse.urlencode({"tier": commonest["papers", "tier"],
                                         "first_published_year": commonest["papers", "first_published_year"]})
    listings_facet = urllib.parse.urlencode({"decision_id": commonest["listings", "decision_id"]})
    return {
        "papers table": "/papers/papers",
        "papers table, a facet value": f"/papers/papers?{one_facet}",
        "papers table, two facet values": f"/papers/papers?{two_facets}",
        "listings table, a facet value": f"/papers/listings?{listings_facet}",
        "papers ?_search= rare word": f"/papers/papers?_search={q(terms['rare'])}",
        "search: rare word": f"/papers/search?q={q(terms['rare'])}",
        "search: two words": f"/papers/search?q={q(terms['two_words'])}",
        "search: common word": f"/papers/search?q={q(terms['common'])}",
        "search: rare word, JSON": f"/papers/search.json?q={q(terms['rare'])}",
        "search: two words, JSON": f"/papers/search.json?q={q(terms['two_words'])}",
        "no SQL: /-/versions.json": "/-/versions.json",
        # Measured, not in the page target (table, view and canned-query pages): the first pages a visitor sees.
        "home page": "/",
        "database page": "/papers",
        "paper page": f"/papers/papers/{paper}",
        **{f"view {view}": f"/papers/{view}" for view in (
            "paper_overview", "accepted_papers", "papers_per_month", "trending", "cross_listed", "source_summary")},
        "query papers_by_tier": "/papers/papers_by_tier?tier=spotlight",
        "query accepted_per_tier": "/papers/accepted_per_tier",
        "query trending_on": f"/papers/trending_on?snapshot_date={snapshot}",
        "query paper_listings": f"/papers/paper_listings?paper_id={paper}",
        "query related_to": f"/papers/related_to?paper_id={paper}",
        "query papers_by_organization": f"/papers/papers_by_organization?organization={organization}",
        "query papers_per_month_of_year": "/papers/papers_per_month_of_year?year=2024",
    }


def versions() -> dict:
    from importlib.metadata import version

    import datasette
    import sqlite_utils  # noqa: F401

    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "datasette": datasette.__version__, "sqlite-utils": version("sqlite-utils"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"}


def related_rows(related: dict) -> list[str]:
    return [f"| related papers, on their own (inside the build, in a helper process) | {related['seconds']} s |",
            f"| related-paper rows (papers with any) | {related['rows']:,} ({related['papers_with_related']:,}) |",
            f"| related_papers table and index bytes | {related['table_bytes']:,} |"]


def direct_search_lines(results: dict) -> list[str]:
    alone, loaded = results["direct_common_search"]["alone"], results["direct_common_search"]["under_load"]
    through = results["pages"]["search: common word"]
    ratio = round(through["p50_ms"] / loaded["p50_ms"], 2) if through["p50_ms"] and loaded["p50_ms"] else None
    return [f"Common word ranked directly in SQLite: one connection alone p50 {alone['p50_ms']} ms, "
            f"p95 {alone['p95_ms']} ms; {results['clients']} connections at once p50 {loaded['p50_ms']} ms, "
            f"p95 {loaded['p95_ms']} ms ({loaded['errors']} errors). Through Datasette under the same load / directly "
            f"under load, p50: {ratio}."]


def merge_rows(merges: dict | None) -> list[str]:
    if merges is None:  # results from before the corpus listed papers again
        return []
    ways = ", ".join(f"{rule} {count:,}" for rule, count in sorted(merges["matched_by"].items()))
    return [f"| merges: pairwise precision / recall ({merges['listing_pairs']:,} true pairs) | "
            f"{merges['precision']} / {merges['recall']} |",
            f"| listings by matched_by | {ways} |"]


def each_run(figures: dict) -> str:
    return ", ".join(f"{run['seconds']} s" + (f" ({run['cpu_seconds']} s of CPU)" if "cpu_seconds" in run else "")
                     for run in figures["runs"])


def cpu_of(figures: dict) -> str:
    return f"; CPU {figures['cpu_seconds']} s" if "cpu_seconds" in figures else ""


def build_row(build: dict) -> str:
    return (f"| build (end to end), median of {len(build['runs'])} runs ({each_run(build)}) | "
            f"{build['seconds']} s{cpu_of(build)} |")


def floor_row(floor: dict) -> str:
    parts = f"executemany {floor['insert_seconds']} s + FTS rebuild {floor['fts_rebuild_seconds']} s"
    return (f"| floor, median of {len(floor['runs'])} runs ({each_run(floor)}; medians: {parts}) | "
            f"{floor['seconds']} s{cpu_of(floor)} |")


def write_results_table(all_results: list[dict]) -> None:
    lines = ["# Benchmark results", "",
             "Written by `python benchmarks/run.py --papers N` (see README, Benchmarks). Targets, each a ratio",
             "to a floor measured in the same run: build / floor ≤ 1.3 and peak build memory ≤ 1 GB at 1M papers;",
             "search HTML p95 (rare word, two words) ≤ 1.5 × the no-SQL page's p95 at 8 clients; common-word",
             "ranked search p95 ≤ 1.2 × the same SQL run directly in SQLite under the same load; every table, view",
             "and canned-query page p95 ≤ 3 × the no-SQL page; throughput with N workers ≥ 0.7 × N × one",
             "worker's at 16 clients. Results written before a figure was measured leave it out.", ""]
    for results in all_results:
        build, floor = results["build"], results["floor"]
        lines += [f"## {results['papers']:,} papers ({results['date']})", "",
                  f"{results['versions']['machine']}; Python {results['versions']['python']}, SQLite "
                  f"{results['versions']['sqlite']}, Datasette {results['versions']['datasette']}, sqlite-utils "
                  f"{results['versions']['sqlite-utils']}.", "",
                  "| measure | value |", "| --- | --- |",
                  f"| source bytes | {results['source_bytes']:,} in {results['source_files']} files |",
                  build_row(build),
                  floor_row(floor),
                  f"| build / floor | {results['build_over_floor']} |",
                  *([f"| build CPU / floor CPU | {results['build_cpu_over_floor_cpu']} |"]
                    if "build_cpu_over_floor_cpu" in results else []),
                  f"| peak build memory | {build['peak_memory_mib']} MiB |",
                  *merge_rows(results.get("merges")),
                  *related_rows(results["related_papers"]),
                  f"| database bytes | {results['database_bytes']:,} |",
                  f"| database / source bytes | {results['size_ratio']} |", "",
                  f"Search terms: rare `{results['terms']['rare']}`, two words `{results['terms']['two_words']}`, "
                  f"common `{results['terms']['common']}` (in {results['terms']['common_matches']:,} papers). ",
                  *direct_search_lines(results), "",
                  *load_lines(results),
                  "| page | requests | errors | p50 ms | p95 ms | p95 ms of each round | alone p50 ms |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, figures in results["pages"].items():
            each = ", ".join(str(p95) for p95 in figures.get("p95_ms_runs", []))
            lines.append(f"| {name} | {figures['requests']} | {figures['errors']} | {figures['p50_ms']} | "
                         f"{figures['p95_ms']} | {each} | {figures.get('alone_p50_ms', '')} |")
        lines += ["", *loop_pause_lines(results), *target_lines(results), *paging_lines(results), *attack_lines(results),
                  *size_lines(results)]
    notes = BENCHMARKS / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text(encoding="utf-8")]
    RESULTS_TABLE.write_text("\n".join(lines), encoding="utf-8")


def load_lines(results: dict) -> list[str]:
    rounds = results.get("load_runs", 1)
    return [f"Datasette, each page on its own under {results['clients']} concurrent clients on 127.0.0.1, in "
            f"{rounds} round{'s' * (rounds > 1)} of every page one after another: requests and errors of all rounds, "
            "p50 and p95 the median of the rounds'. \"Alone\": the median of the rounds' medians of "
            f"{ALONE_REQUESTS} requests by one client with the server otherwise idle, what the page itself costs:", ""]


def loop_pause_lines(results: dict) -> list[str]:
    if "loop_pauses_while_pages_measured" not in results:  # runs up to BG did not look
        return []
    pauses = results["loop_pauses_while_pages_measured"]
    if not pauses:
        return ["While the pages were measured, no server process paused its queries in the event loop.", ""]
    why = "; ".join(f"`{pause.partition('event loop: ')[2] or pause}`" for pause in pauses)
    return [f"While the pages were measured, the server's processes paused their queries in the event loop "
            f"{len(pauses)} time{'s' * (len(pauses) > 1)} (each for a minute, on SQL threads instead; the pages measured "
            f"then cost more): {why}.", ""]


def target_lines(results: dict) -> list[str]:
    if "throughput_scaling" not in results:
        return []
    scaling = results["scaling"]
    lines = ["| target figure | value |", "| --- | --- |"]
    for key in ("build_over_floor", "build_cpu_over_floor_cpu", "build_cpu_per_core_over_floor", "peak_build_mib",
                "search_html_p95_over_page_p95",
                "search_html_alone_over_page_alone", "common_search_over_direct", "worst_page_p95_over_page_p95",
                "worst_page", "worst_page_alone_over_page_alone", "worst_page_alone", "workers"):
        if key in results:  # results written before a figure was measured leave it out
            lines.append(f"| {key} | {results[key]} |")
    for name, ratio in results["throughput_scaling"].items():
        per_second = scaling["requests_per_second"][name]
        lines.append(f"| throughput_scaling, {name} ({', '.join(f'{k}: {v}/s' for k, v in per_second.items())}) | {ratio} |")
    measured = results.get("load_runs", 1)  # throughput was measured as many times as pages loaded
    return [*lines, f"(throughput: {scaling['clients']} connections from {scaling['load_generator']} on the same machine; "
                    f"each the median of {measured} measurement{'s' * (measured > 1)})", ""]


def attack_lines(results: dict) -> list[str]:
    return [line for key in ("under_attack", "under_flood") if key in results for line in attack_table(results[key])]


def attack_table(attack: dict) -> list[str]:
    lines = [f"Under an attack mix ({len(ATTACKS)} hostile SQL queries, a 120 kB search, bad parameters, "
             f"{len(SLOW_WITHOUT_SQL)} slow requests without SQL (SLOW_WITHOUT_SQL), from "
             f"{attack['attackers']} clients without pause): answers {attack['attack_statuses']} (status: count), "
             f"server peak memory {attack['server_peak_rss_mib']} MiB (all its processes){own_memory(attack)}, alive afterwards: "
             f"{attack['server_alive_after']}.", "",
             "| page | p95 ms quiet | p95 ms under attack | slowest ms quiet | slowest ms under attack | errors under attack |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, figures in attack["pages"].items():
        lines.append(f"| {name} | {figures['p95_ms_quiet']} | {figures['p95_ms_under_attack']} | {figures['max_ms_quiet']} | "
                     f"{figures['max_ms_under_attack']} | {figures['errors_under_attack']} |")
    return [*lines, ""]


def own_memory(attack: dict) -> str:
    if "server_peak_anon_mib" not in attack:  # results written before it was measured
        return ""
    return f", of which allocated {attack['server_peak_anon_mib']} MiB (the rest mapped files: code, and the database if mapped)"


def size_lines(results: dict) -> list[str]:
    if "sizes" not in results:
        return []
    sizes = results["sizes"]
    lines = [f"Bytes by table and index (dbstat); the full-text index in all: {sizes['fts_index_bytes']:,}, a bare "
             f"FTS5 table holding its own copy of the same text: {sizes['bare_fts5_bytes']:,}.", "",
             "| table or index | bytes |", "| --- | ---: |"]
    return [*lines, *(f"| {name} | {size:,} |" for name, size in sizes["by_name"].items()), ""]


NO_SQL_PAGE = "no SQL: /-/versions.json"
HTML_SEARCHES = ("search: rare word", "search: two words")


def ratios(results: dict) -> dict:
    """The figures the targets are stated in, each a ratio to a floor measured in the same run."""
    pages = results["pages"]
    # every table, view and canned-query page (the searches have their own targets)
    browsing = [name for name in pages
                if name.startswith(("view ", "query ", "papers table", "listings table")) or name == "paper page"]
    search, worst, worst_ratio = page_ratios({name: figures["p95_ms"] for name, figures in pages.items()}, browsing)
    return {
        "build_over_floor": round(results["build"]["seconds"] / results["floor"]["seconds"], 2),
        **cpu_ratio(results["build"], results["floor"]),
        "peak_build_mib": results["build"]["peak_memory_mib"],
        "size_ratio": round(results["database_bytes"] / results["source_bytes"], 2),
        "search_html_p95_over_page_p95": search,
        "common_search_over_direct": round(pages["search: common word"]["p95_ms"]
                                           / results["direct_common_search"]["under_load"]["p95_ms"], 2),
        "worst_page_p95_over_page_p95": worst_ratio,
        "worst_page": worst,
        **alone_ratios(pages, browsing),
        "workers": results["scaling"]["workers"],
        "throughput_scaling": results["scaling"]["throughput_scaling"],
    }


def page_ratios(times: dict, browsing: list[str]) -> tuple[float, str, float]:
    """Each page's time (p95 under load, or p50 alone) against the no-SQL page's: the worse of the
    two HTML searches, and the worst table, view or canned-query page with its ratio."""
    page = times[NO_SQL_PAGE]
    worst = max(browsing, key=times.get)
    return round(max(times[name] for name in HTML_SEARCHES) / page, 2), worst, round(times[worst] / page, 2)


def cpu_ratio(build: dict, floor: dict) -> dict:
    """The build's CPU time over the floor's, where both were measured: the floor runs on one core
    and the build on all, so the wall-time ratio depends on how many cores were free; this one
    says how much more work the build does. And where the build's cores were recorded, its CPU
    time shared by them over the floor's time: a lower bound on build / floor, what it would be
    with no core ever idle. Above the target, packing the build's steps better cannot meet it."""
    if "cpu_seconds" not in build or "cpu_seconds" not in floor:
        return {}
    ratios = {"build_cpu_over_floor_cpu": round(build["cpu_seconds"] / floor["cpu_seconds"], 2)}
    if "cores" in build:
        ratios["build_cpu_per_core_over_floor"] = round(build["cpu_seconds"] / build["cores"] / floor["seconds"], 2)
    return ratios


def alone_ratios(pages: dict, browsing: list[str]) -> dict:
    """The page targets' ratios for one client alone (page_ratios of the median times): what the
    pages themselves cost, apart from how a run's load queued them. A p95 ratio can meet its
    target because the no-SQL page queued longer in that run (run H: the two-word search 1.35 ×
    under load, 2.7 × alone). Results from before alone times were measured have none."""
    alone = {name: figures["alone_p50_ms"] for name, figures in pages.items() if "alone_p50_ms" in figures}
    if not alone.get(NO_SQL_PAGE) or any(name not in alone for name in [*browsing, *HTML_SEARCHES]):
        return {}
    search, worst, worst_ratio = page_ratios(alone, browsing)
    return {"search_html_alone_over_page_alone": search, "worst_page_alone_over_page_alone": worst_ratio,
            "worst_page_alone": worst}


def ended_as_by_ctrl_c(measure, *args):
    """measure(*args), with SIGTERM (`kill`), SIGHUP and SIGQUIT ending it as Ctrl+C does, as they
    end a build (papers_db.errors.signals_interrupt): through its `finally` blocks, so that the
    build or server it started ends with it (by default Python died at once and left them), and
    with the exit status 128 + the signal's number."""
    try:
        with signals_interrupt():
            return measure(*args)
    except Interrupted as interrupted:
        sys.exit(interrupted.exit_status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000, help="corpus size (distinct papers)")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default benchmarks/corpus-<papers>)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    # 100: the p95 of 40 requests was their second-slowest, and moved by 0.3 of a target between runs
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    parser.add_argument("--runs", type=int, default=2,
                        help="times to build and to measure the floor, one after the other (the medians are used)")
    # 12: more than a process's SQL threads (6) on two processes, each attack holding one up to 1 s
    parser.add_argument("--flood-clients", type=int, default=12, help="attack clients in the flood")
    parser.add_argument("--scaling-clients", type=int, default=16, help="connections for the throughput comparison")
    parser.add_argument("--scaling-seconds", type=int, default=10, help="seconds of load per page and worker count")
    # 3: one round's p95 of the rare-word search moved from 16 to 70 ms between runs on the same code
    parser.add_argument("--load-runs", type=int, default=3,
                        help="rounds of load on every page, and measurements of throughput (the medians are used)")
    args = parser.parse_args()

    corpus = args.corpus or BENCHMARKS / f"corpus-{args.papers}"
    if not (corpus / "manifest.toml").exists() or not truth_file(corpus).exists():
        print(f"writing a {args.papers:,}-paper corpus to {corpus} ...", flush=True)
        write_corpus(args.papers, corpus)
    source_files = [p for p in corpus.iterdir() if p.suffix == ".txt"]
    work = BENCHMARKS / "work" / str(args.papers)
    work.mkdir(parents=True, exist_ok=True)
    database = work / "papers.db"  # Datasette names the database after the file: "papers"
    server_log(database).unlink(missing_ok=True)  # this run's servers only

    compile_package_bytecode()
    print("build and floor ...", flush=True)
    build, floor = measure_builds_and_floors(corpus, database, work / "floor.db", args.runs)
    merges = measure_merges(database, truth_file(corpus))
    print(f"  build {build['seconds']} s, floor {floor['seconds']} s (medians)\n  merges {merges}\n"
          "related papers on their own ...", flush=True)
    related = measure_related(database)
    print(f"  {related}\nsearch terms and direct SQLite timing ...", flush=True)
    terms = choose_search_terms(database)
    metadata, _ = read_metadata()
    search_sql = metadata["databases"]["papers"]["queries"]["search"]["sql"]
    direct_search = direct_search_client(database, search_sql, terms["common"])
    direct_alone = timed_concurrently(1, 20, direct_search)
    print(f"  {terms}\n  alone {direct_alone}\nDatasette under load ...", flush=True)
    named = pages(terms, database)
    log_before_pages = server_log_size(database)
    with serving(database, os.cpu_count() or 1) as (_, port):
        load(port, list(named.values()), 1, 1)  # warm up: every page once
        alone_runs, load_runs, direct_runs = [], [], []
        for run in range(args.load_runs):
            # What each page costs the server with nobody else asking: where a page's time goes.
            alone_runs.append(load(port, list(named.values()), 1, ALONE_REQUESTS))
            load_runs.append(load(port, list(named.values()), args.clients, args.requests))
            # The common-word search's SQL directly, under the same load, in the same round as its
            # page: measured once before the server started, minutes from the page, the two p95s
            # gave 1.30 in run J where every earlier run gave 0.90-1.09, with p50s 0.99 apart.
            direct_runs.append(timed_concurrently(args.clients, args.requests, direct_search))
            print(f"  round {run + 1} of {args.load_runs} done", flush=True)
        alone = {path: median_of_runs([run[path] for run in alone_runs]) for path in named.values()}
        figures = {path: median_of_runs([run[path] for run in load_runs]) for path in named.values()}
        direct = {"alone": direct_alone, "under_load": median_of_runs(direct_runs)}
        pauses = loop_pauses_logged(database, log_before_pages)
        print(f"  the server paused its queries in the event loop {len(pauses)} times", flush=True)
        print("paging through the papers table ...", flush=True)
        paging = measure_paging(port, database)
    print("throughput with one worker and one per core ...", flush=True)
    scaling = measure_scaling(database, {name: named[name] for name in ("no SQL: /-/versions.json", "search: rare word")},
                              args.scaling_clients, args.scaling_seconds, args.load_runs)
    print(f"  {scaling}\nnormal pages under an attack mix ...", flush=True)
    attacked = {name: named[name] for name in ("no SQL: /-/versions.json", "search: rare word", "papers table")}
    under_attack = measure_under_attack(database, attacked, args.clients, args.requests, 2)
    print(f"  {under_attack}\nnormal pages under a flood of the same attacks ...", flush=True)
    under_flood = measure_under_attack(database, attacked, args.clients, args.requests, args.flood_clients)
    print(f"  {under_flood}\nbytes per table ...", flush=True)
    sizes = database_bytes(database)
    results = {
        "papers": args.papers,
        "date": dt.date.today().isoformat(),
        "versions": versions(),
        "source_files": len(source_files),
        "source_bytes": sum(p.stat().st_size for p in source_files),
        "database_bytes": database.stat().st_size,
        "build": build,
        "merges": merges,
        "related_papers": related,
        "floor": floor,
        "terms": terms,
        "direct_common_search": direct,
        "clients": args.clients,
        "load_runs": args.load_runs,
        "pages": {name: {**figures[path], "alone_p50_ms": alone[path]["p50_ms"]} for name, path in named.items()},
        "loop_pauses_while_pages_measured": pauses,
        "scaling": scaling,
        "under_attack": under_attack,
        "under_flood": under_flood,
        "sizes": sizes,
        "paging": paging,
    }
    results.update(ratios(results))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.papers}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    everything = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"), key=lambda p: int(p.stem))]
    write_results_table(everything)
    print(json.dumps({k: results[k] for k in ("build", "merges", "floor", *ratios(results))}, indent=2))
    for name, figure in results["pages"].items():
        print(f"{name:40} p50 {figure['p50_ms']} ms  p95 {figure['p95_ms']} ms  errors {figure['errors']}")
    if "error" in paging:
        sys.exit(f"paging through the papers table failed {paging['error']}")


if __name__ == "__main__":
    ended_as_by_ctrl_c(main)
