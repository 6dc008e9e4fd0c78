"""The database file as an artefact: atomic under SIGKILL, byte-identical for the same sources."""

import contextlib
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SOURCES, cli_command, mount_tmpfs, run_cli

from papers_db.database import APPLICATION_ID

VENDORED = sorted(p for p in SOURCES.iterdir() if p.suffix == ".txt")


def earlier_build(label: str) -> bytes:
    """Bytes a build takes for an earlier papers-db database, as its header says (SQLite, the
    package's application_id), followed by `label`: a build replaces nothing else."""
    header = bytearray(b"SQLite format 3\x00".ljust(100, b"\x00"))
    header[68:72] = APPLICATION_ID.to_bytes(4, "big")
    return bytes(header) + label.encode()


def write_large_listing(path, records=8000, seed=7):
    """A review listing big enough that writing its database takes a few seconds."""
    rng = random.Random(seed)
    words = "model learning neural data training network graph diffusion language image method".split()
    lines = []
    for number in range(records):
        lines.append(f"Paper {number}: " + " ".join(rng.choice(words).title() for _ in range(8)))
        lines.append(" ".join(rng.choice(words) for _ in range(150)) + f" number {number}.")
    path.write_text("\n".join(lines), encoding="utf-8")


def leftovers(output):
    return sorted(output.parent.glob(f".{output.name}*.tmp-*"))


def test_killed_build_leaves_the_previous_database_intact(tmp_path):
    output = tmp_path / "dist" / "papers.db"
    assert run_cli("build", "--output", output).returncode == 0
    before = output.read_bytes()
    checksum_before = (tmp_path / "dist" / "papers.db.sha256").read_text()
    inspect_before = (tmp_path / "dist" / "papers-inspect.json").read_text()
    large = tmp_path / "large"
    large.mkdir()
    write_large_listing(large / "large.txt")

    for delay in (0.0, 0.3, 1.0):  # killed as writing starts, and at two points into it
        build = subprocess.Popen(
            cli_command("build", large, "--output", output),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        # This build's own file: the last build's, left by its kill, is there until this one starts
        # writing, and waiting for any made the kill at 0.3 s race this build's start.
        while not (output.parent / f".papers.db.tmp-{build.pid}").exists():
            assert build.poll() is None, "the build finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(delay)
        build.send_signal(signal.SIGKILL)
        assert build.wait() == -signal.SIGKILL
        # It died mid-write: its temporary file is still there, and the target was not touched.
        assert leftovers(output), delay
        assert output.read_bytes() == before
        assert (tmp_path / "dist" / "papers.db.sha256").read_text() == checksum_before
        assert (tmp_path / "dist" / "papers-inspect.json").read_text() == inspect_before
        with sqlite3.connect(output) as conn:
            assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
            assert conn.execute("select count(*) from listings").fetchone() == (336,)

    # The next build removes what the killed ones left.
    assert run_cli("build", large, "--output", output).returncode == 0
    assert leftovers(output) == []
    with sqlite3.connect(output) as conn:
        assert conn.execute("select count(*) from listings").fetchone() == (8000,)


def test_leftover_of_a_running_build_is_not_removed(tmp_path):
    output = tmp_path / "papers.db"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = tmp_path / f".papers.db.tmp-{sleeper.pid}"
        running.write_bytes(b"in progress")
        dead = tmp_path / ".papers.db.tmp-999999999"
        dead.write_bytes(b"killed")
        assert run_cli("build", "--output", output).returncode == 0
        assert running.exists() and not dead.exists()
    finally:
        sleeper.kill()


def test_only_the_builds_own_leftovers_are_removed(tmp_path):
    # Any `.papers.db*.tmp-*` whose end was no running process's id was removed: a user's
    # `.papers.db-notes.tmp-keep` and `.papers.db.bak.tmp-v2` with the killed builds' files.
    output = tmp_path / "papers.db"
    killed = [f".papers.db{kind}.tmp-999999999" for kind in ("", ".sha256", ".inspect", ".staging", ".related", ".fts",
                                                               ".replaced")]
    # The earlier files a build keeps while it renames its own into place (load.replace_all).
    killed += [".papers.db.tmp-999999999-journal", ".papers.db.sha256.replaced.tmp-999999999",
               ".papers-inspect.json.replaced.tmp-999999999"]
    # A build in a thread other than the main one names its files after the thread too.
    killed += [".papers.db.tmp-999999999-4242", ".papers.db.staging.tmp-999999999-4242-journal"]
    users = [".papers.db-notes.tmp-keep", ".papers.db.bak.tmp-v2", ".papers.db.old.tmp-999999999", ".papers.db.tmp-",
             ".papers.db.tmp-999999999-keep"]
    for name in killed + users:
        (tmp_path / name).write_bytes(b"x")
    assert run_cli("build", "--output", output).returncode == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["papers.db", "papers.db.sha256", "papers-inspect.json", *users])


def test_a_library_callers_own_leftovers_do_not_fail_its_next_build(tmp_path):
    # A notebook's build cut short twice (the second Ctrl-C while its files were being removed) left
    # them under this process's id: the next build in the same process opened them and failed,
    # "table sources already exists" (review of the library). Its own files no build of it is
    # writing now are a leftover like any other's; those of a build it is running are not.
    import papers_db.load as papers_db_load
    from papers_db import build_database
    from papers_db.load import done_with_temporaries, temporary_file, using_temporaries

    output = tmp_path / "papers.db"
    for kind in ("", ".staging", ".related"):
        with sqlite3.connect(temporary_file(output, kind)) as conn:
            conn.execute("create table sources (id integer)")
            conn.execute("create table listings (id integer)")
    running = temporary_file(tmp_path / "other.db", "")  # another build of this process, still writing
    running.write_bytes(b"in progress")
    using_temporaries([running])
    try:
        report = build_database(SOURCES, output)
        assert report.papers > 0 and sorted(path.name for path in tmp_path.iterdir()) == sorted(
            ["papers.db", "papers.db.sha256", "papers-inspect.json", running.name])
    finally:
        done_with_temporaries([running])
    assert not papers_db_load._temporaries_in_use


def test_leftovers_of_an_output_whose_name_holds_glob_characters_are_removed(tmp_path):
    output = tmp_path / "pap[1]ers*.db"
    dead = [tmp_path / f".{output.name}.tmp-999999999", tmp_path / f".{output.name}.staging.tmp-999999999"]
    for leftover in dead:
        leftover.write_bytes(b"killed")
    assert run_cli("build", "--output", output).returncode == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [output.name, f"{output.name}.sha256", f"{output.stem}-inspect.json"])


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_sources_in_any_order_give_a_byte_identical_database(tmp_path):
    forward = tmp_path / "forward.db"
    backward = tmp_path / "backward.db"
    elsewhere = tmp_path / "elsewhere.db"
    assert run_cli("build", *VENDORED, "--output", forward).returncode == 0
    assert run_cli("build", *reversed(VENDORED), "--output", backward).returncode == 0
    copy = tmp_path / "copy" / "sources"
    shutil.copytree(SOURCES, copy)
    assert run_cli("build", copy, "--output", elsewhere, cwd=tmp_path).returncode == 0
    assert sha256(forward) == sha256(backward) == sha256(elsewhere)
    assert (tmp_path / "forward.db.sha256").read_text().split()[0] == sha256(forward)


def test_adding_sources_does_not_change_paper_ids(tmp_path):
    one_page = tmp_path / "one_page.db"
    everything = tmp_path / "everything.db"
    assert run_cli("build", SOURCES / "003_6399432fb99c7d91.txt", "--output", one_page).returncode == 0
    assert run_cli("build", "--output", everything).returncode == 0
    with sqlite3.connect(one_page) as small, sqlite3.connect(everything) as full:
        query = "select id, title, abstract from papers order by id"
        small_papers = small.execute(query).fetchall()
        assert len(small_papers) == 54
        assert set(small_papers) <= set(full.execute(query).fetchall())


def test_file_says_which_schema_and_sources_built_it(built_db):
    from importlib.metadata import version

    with sqlite3.connect(built_db) as conn:
        application_id = conn.execute("pragma application_id").fetchone()[0]
        user_version = conn.execute("pragma user_version").fetchone()[0]
        build_info = conn.execute("select * from build_info").fetchall()
    assert application_id == int.from_bytes(b"papr", "big")
    assert user_version == 5  # the schema version README documents; raise both together
    checksums = "".join(hashlib.sha256(path.read_bytes()).hexdigest() + "\n" for path in VENDORED)
    assert build_info == [(version("papers-db"), user_version, len(VENDORED), hashlib.sha256(checksums.encode()).hexdigest())]


def fts_index_tables(conn):
    """FTS5's own tables for papers_fts, row for row; the structure record (id 10) without its
    first 4 bytes, a counter of the index's configuration changes."""
    tables = {shadow: conn.execute(f"select * from papers_fts_{shadow} order by 1, 2").fetchall()
              for shadow in ("data", "idx", "docsize", "config")}
    tables["data"] = [(10, block[4:]) if key == 10 else (key, block) for key, block in tables["data"]]
    return tables


def test_the_full_text_index_filled_beside_the_database_is_the_one_sqlite_rebuilds(built_db, tmp_path):
    # The build fills the index in a file of its own, with APSW's SQLite, and copies it in; FTS5's
    # own rebuild in Python's SQLite, reading papers, must give the same index, and FTS5's
    # integrity check must find it matches papers.
    rebuilt = tmp_path / "rebuilt.db"
    shutil.copy(built_db, rebuilt)
    with sqlite3.connect(built_db) as built, sqlite3.connect(rebuilt) as conn:
        assert conn.execute("insert into papers_fts (papers_fts, rank) values ('integrity-check', 1)").rowcount == 1
        for setting, value in (("hashsize", 16777216), ("automerge", 0), ("crisismerge", 1999)):  # as the fill's
            conn.execute("insert into papers_fts (papers_fts, rank) values (?, ?)", (setting, value))
        conn.execute("insert into papers_fts (papers_fts) values ('rebuild')")
        conn.execute("insert into papers_fts (papers_fts) values ('optimize')")
        for setting, default in (("hashsize", 1048576), ("automerge", 4), ("crisismerge", 16)):
            conn.execute("insert into papers_fts (papers_fts, rank) values (?, ?)", (setting, default))
        conn.commit()  # FTS5 holds what it indexes in memory until the transaction commits
        assert fts_index_tables(built) == fts_index_tables(conn)
        assert len(fts_index_tables(built)["docsize"]) == built.execute("select count(*) from papers").fetchone()[0] == 319


def test_a_downloaded_full_text_index_writes_with_fts5s_defaults(built_db):
    # The build fills the index with a 16 MB hash and no merging until the end; a user who adds
    # rows to a downloaded copy gets FTS5's own defaults back (1 MB hash, merges every 4 segments).
    with sqlite3.connect(built_db) as conn:
        config = dict(conn.execute("select k, v from papers_fts_config where k != 'version'"))
    assert config == {"hashsize": 1048576, "automerge": 4, "crisismerge": 16}


def test_statistics_are_those_of_one_analyze_of_the_finished_database(built_db, tmp_path):
    # The build gathers statistics while its helpers fill the full-text index and find related
    # papers, then analyses the tables written after them: the query planner must find what one
    # ANALYZE of the finished file writes, for every table, the index's, related papers and build
    # info included.
    analysed = tmp_path / "analysed.db"
    shutil.copy(built_db, analysed)
    with sqlite3.connect(analysed) as conn:
        conn.execute("delete from sqlite_stat1")
        conn.execute("analyze")
        expected = conn.execute("select * from sqlite_stat1 order by tbl, idx").fetchall()
    with sqlite3.connect(built_db) as conn:
        built = conn.execute("select * from sqlite_stat1 order by tbl, idx").fetchall()
    assert built == expected
    assert {"papers", "listings", "papers_fts_data", "papers_fts_idx", "papers_fts_docsize", "papers_fts_config",
            "related_papers", "build_info"} <= {table for table, *_ in built}


def test_related_papers_start_once_the_builds_own_writes_are_done(tmp_path, monkeypatch, built_db):
    # On two cores the full-text index, the longest step after placing, had two thirds of a core
    # while related papers and the build's own writes ran beside it, then ran on alone: a 1M
    # build left a core idle for 48 s. Related papers now start after indexes and facet counts.
    import concurrent.futures
    import contextlib

    import papers_db.load as load
    from papers_db import build_database

    steps = []

    class HelpersInThisProcess:
        def submit(self, work, *args):
            steps.append(work.__name__)
            done = concurrent.futures.Future()
            done.set_result(work(*args))
            return done

    @contextlib.contextmanager
    def helpers(count, imports=()):
        steps.append(("helpers start, importing", imports))
        yield HelpersInThisProcess()

    run_script = load.DatabaseWriter._script

    def script(writer, name):
        steps.append(name)
        run_script(writer, name)

    monkeypatch.setattr(load, "helper_processes", helpers)
    monkeypatch.setattr(load.DatabaseWriter, "_script", script)
    build_database([SOURCES], tmp_path / "papers.db")

    # The helpers start, and import the module of their work, while the listings are placed.
    assert steps.index(("helpers start, importing", ("papers_db.load",))) < steps.index("placing.sql")
    assert steps.index("placing.sql") < steps.index("write_full_text_index") < steps.index("listings.sql")
    assert steps.index("facet_counts.sql") < steps.index("write_related_papers") < steps.index("fts.sql")
    # the same file as the build whose helpers are processes of their own
    assert (tmp_path / "papers.db").read_bytes() == built_db.read_bytes()


def test_the_full_text_index_is_left_in_one_segment(tmp_path):
    # Every search opens each of its words in each segment of the index; sql/fts_index.sql merges
    # what it writes with what the index already held. Two papers indexed in two transactions
    # first make two segments (FTS5 writes one per transaction), as a large fill does by itself.
    from papers_db import resources

    staging = tmp_path / "staging.db"
    with sqlite3.connect(staging) as conn:
        conn.execute("create table paper_texts (id, title, abstract_text, abstract)")
        conn.executemany("insert into paper_texts values (?, ?, ?, ?)",
                         [(3, "Diffusion models", None, "We denoise."), (4, "Sparse attention", "Plain text.", "x")])
    conn = sqlite3.connect(tmp_path / "index.db")
    conn.execute("attach database ? as staging", (str(staging),))
    conn.executescript(resources.sql_script("fts.sql"))
    for rowid, title in ((1, "Vision transformers"), (2, "Graph networks")):
        conn.execute("insert into papers_fts (rowid, title, plain_abstract) values (?, ?, '')", (rowid, title))
        conn.commit()
    assert segments(conn) == 2
    conn.executescript(resources.sql_script("fts_index.sql"))
    conn.commit()
    assert segments(conn) == 1
    assert conn.execute("select rowid from papers_fts where papers_fts match 'graph OR denoise OR sparse'"
                        " order by rowid").fetchall() == [(2,), (3,), (4,)]
    conn.close()


def test_a_failed_fill_of_the_full_text_index_is_reported_as_the_builds_own_sql_errors_are(tmp_path):
    # The index is filled with APSW's SQLite in a helper process, and what goes wrong there
    # reaches the build's process as Python's sqlite3 error would: a full disk, one line naming
    # the folders it may mean (pipeline.where_full), not apsw.FullError's traceback.
    import pickle

    from papers_db.load import write_full_text_index
    from papers_db.pipeline import where_full

    rng = random.Random(3)
    staging = tmp_path / "staging.db"
    with sqlite3.connect(staging) as conn:
        conn.execute("create table paper_texts (id, title, abstract_text, abstract)")
        conn.executemany("insert into paper_texts values (?, ?, null, ?)",
                         [(n, f"Paper {n}", " ".join(f"w{rng.randrange(10**6)}" for _ in range(300))) for n in range(400)])

    def error_of_fill(target):
        with pytest.raises(Exception) as raised:
            write_full_text_index(staging, target)
        return pickle.loads(pickle.dumps(raised.value))  # as the helper process sends it back

    missing = error_of_fill(tmp_path / "no such folder" / "index.db")
    assert type(missing) is sqlite3.OperationalError and str(missing) == "unable to open database file"
    assert missing.sqlite_errorcode == sqlite3.SQLITE_CANTOPEN and where_full(missing) == ""
    with small_disk(tmp_path, "64k") as disk:
        full = error_of_fill(disk / "index.db")
    assert type(full) is sqlite3.OperationalError and str(full) == "database or disk is full"
    assert full.sqlite_errorcode == sqlite3.SQLITE_FULL and "set TMPDIR to a folder with room" in where_full(full)


def test_the_full_text_index_scripts_run_every_statement_as_executescript_does(tmp_path):
    # APSW's execute stops at a statement that gives rows until they are read: a PRAGMA added to
    # sql/fts_index.sql would have left the statements after it unrun, and the index half filled.
    import apsw

    from papers_db.load import as_sqlite_error, run_script

    conn = apsw.Connection(str(tmp_path / "script.db"))
    run_script(conn, "create table t (x); insert into t values (1); pragma user_version; "
                     "insert into t values (2); create table u (y);")
    assert conn.execute("select x from t").fetchall() == [(1,), (2,)]
    assert conn.execute("select name from sqlite_schema where name = 'u'").fetchall() == [("u",)]
    conn.close()
    # And an error of APSW's own, with no SQLite result code, is still one of sqlite3's.
    closed = as_sqlite_error(apsw.ConnectionClosedError("The connection has been closed"))
    assert type(closed) is sqlite3.OperationalError and str(closed) == "The connection has been closed"


def segments(conn):
    """How many segments papers_fts's index has: FTS5's idx table lists each segment's leaf pages."""
    return conn.execute("select count(distinct segid) from papers_fts_idx").fetchone()[0]


def test_an_output_path_with_uri_characters_builds_the_same_database(tmp_path, built_db):
    # Helper processes open the staging file by an SQLite URI, where ? and # would start its options.
    output = tmp_path / "what?#%20" / "papers.db"
    assert run_cli("build", "--output", output).returncode == 0
    assert sha256(output) == sha256(built_db)
    assert leftovers(output) == []
    # SQLite reads any file name starting with "file:" as a URI: a relative "file:d/papers.db"
    # must still be written in the folder named "file:d", and nothing left in "d".
    (tmp_path / "d").mkdir()
    assert run_cli("build", SOURCES, "--output", "file:d/papers.db", cwd=tmp_path).returncode == 0
    assert sha256(tmp_path / "file:d" / "papers.db") == sha256(built_db)
    assert list((tmp_path / "d").iterdir()) == [] and leftovers(tmp_path / "file:d" / "papers.db") == []


def test_an_output_path_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    output = tmp_path / os.fsdecode(b"bad\xff") / "papers.db"
    result = run_cli("build", "--output", output)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path}/bad\\xff/papers.db: the output path is not valid UTF-8; "
                                                  "give another --output"]


def test_a_helper_killed_from_outside_is_one_line_and_replaces_nothing(tmp_path):
    # As the out-of-memory killer would: the full-text helper dies as it opens its file.
    (tmp_path / "sitecustomize.py").write_text(
        "import os, signal, apsw\n"  # the helper fills the index with APSW's SQLite
        "connect = apsw.Connection\n"
        "def killing_connect(database, *args, **kwargs):\n"
        "    if '.fts.tmp-' in str(database):\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return connect(database, *args, **kwargs)\n"
        "apsw.Connection = killing_connect\n")
    output = tmp_path / "papers.db"
    output.write_bytes(earlier_build("previous"))
    result = run_cli("build", "--output", output, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"error: {output}: a helper process of the build ended unexpectedly (killed, or out of memory?); nothing was replaced"]
    assert output.read_bytes() == earlier_build("previous") and leftovers(output) == []


def test_facet_counts_count_each_precounted_facet_over_its_whole_table(built_db):
    # Every facet metadata.yml configures as precounted, counted here by GROUP BY, NULL included,
    # and nothing else.
    import yaml

    from papers_db import resources

    tables = yaml.safe_load(resources.metadata_yml().read_text())["databases"]["papers"]["tables"]
    configured = {(table, facet["precounted"]) for table, config in tables.items()
                  for facet in config.get("facets", []) if isinstance(facet, dict) and "precounted" in facet}
    assert ("papers", "source_count") in configured and ("listings", "organization_id") in configured
    with sqlite3.connect(built_db) as conn:
        counted = {}
        for table, column, value, count in conn.execute("select * from facet_counts"):
            counted.setdefault((table, column), {})[value] = count
        for table, column in configured:
            rows = [value for (value,) in conn.execute(f"select [{column}] from [{table}]")]
            assert counted.pop((table, column), {}) == {value: rows.count(value) for value in set(rows)}, (table, column)
    assert counted == {}


def child_processes(pid):
    """Processes whose parent is `pid`, from /proc (Linux)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def is_running(pid):
    """Alive and not a zombie (a dead process whose parent has not collected it yet)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def large_sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("large")
    write_large_listing(folder / "large.txt")
    return folder


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the build's helper processes")
@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGKILL"])
def test_a_build_ended_by_a_signal_leaves_the_previous_files_and_no_helper_process(tmp_path, large_sources, ending):
    number = getattr(signal, ending)
    output = tmp_path / "papers.db"
    previous = {path: earlier_build(f"previous {path.name}\n") for path in
                (output, tmp_path / "papers.db.sha256", tmp_path / "papers-inspect.json")}
    for path, content in previous.items():
        path.write_bytes(content)
    build = subprocess.Popen(
        cli_command("build", large_sources, "--output", output),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    # Signalled while the related-papers helper writes (the full-text helper, started with it, may
    # already be done on so small a corpus): the build then has its helpers.
    assert wait_until(lambda: any(p.name.startswith(".papers.db.related.tmp-") for p in leftovers(output)), 120)
    helpers = child_processes(build.pid)
    assert helpers, "the helper processes were expected to be running"
    build.send_signal(number)
    _, stderr = build.communicate(timeout=60)

    assert all(path.read_bytes() == content for path, content in previous.items())
    assert wait_until(lambda: not any(is_running(pid) for pid in helpers), 10), "a helper outlived the build"
    if number == signal.SIGKILL:
        assert build.returncode == -signal.SIGKILL  # nothing can clean up after SIGKILL; the next build does
    else:
        assert build.returncode == 128 + number
        assert stderr.strip() == f"error: interrupted by {ending}"
        assert leftovers(output) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the build's helper processes")
@pytest.mark.parametrize("ending", ["SIGINT", "SIGQUIT"])  # Ctrl-C, Ctrl-\\
def test_ctrl_c_as_the_helpers_start_is_one_line(tmp_path, large_sources, ending):
    # Ctrl-C reaches the terminal's whole process group: here the moment the helper processes
    # exist, while they are still starting Python, where each used to print its own traceback.
    output = tmp_path / "papers.db"
    build = subprocess.Popen(cli_command("build", large_sources, "--output", output), start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Three children: multiprocessing's resource tracker and the two helpers.
    assert wait_until(lambda: len(child_processes(build.pid)) >= 3, 120), "the helper processes were expected"
    os.killpg(build.pid, getattr(signal, ending))
    _, stderr = build.communicate(timeout=60)
    assert (build.returncode, stderr.strip()) == (128 + getattr(signal, ending), f"error: interrupted by {ending}")
    assert leftovers(output) == [] and not output.exists()


def test_the_checksum_beside_the_counts_is_the_files_and_stops_when_the_build_is_interrupted(tmp_path, monkeypatch):
    # The checksum runs in a thread while the rows are counted (load.file_sha256). A signal meanwhile
    # must not wait for it: at a million papers it reads 4 GB. Here it would wait 20 s unless stopped.
    from papers_db import build_database, load
    from papers_db.errors import Interrupted

    file_sha256, stopped_ones, interrupted_at = load.file_sha256, [], []

    def slow_sha256(path, stopped):
        stopped.wait(20)
        result = file_sha256(path, stopped)
        stopped_ones.append(result is None)
        return result

    def counts_interrupted(conn, kind):
        interrupted_at.append(time.monotonic())
        raise Interrupted(signal.SIGINT)

    output = tmp_path / "papers.db"
    previous = earlier_build("previous\n")
    output.write_bytes(previous)
    monkeypatch.setattr(load, "file_sha256", slow_sha256)
    monkeypatch.setattr(load, "row_counts", counts_interrupted)
    with pytest.raises(Interrupted):
        build_database([SOURCES], output, related=False)
    assert time.monotonic() - interrupted_at[0] < 10 and stopped_ones == [True]
    assert output.read_bytes() == previous and leftovers(output) == []

    monkeypatch.undo()
    report = build_database([SOURCES], output, related=False)
    assert report.sha256 == hashlib.sha256(output.read_bytes()).hexdigest()
    assert (tmp_path / "papers.db.sha256").read_text() == f"{report.sha256}  papers.db\n"


def test_a_failed_build_replaces_none_of_the_previous_files(tmp_path):
    output = tmp_path / "papers.db"
    assert run_cli("build", "--output", output).returncode == 0
    before = {path: path.read_bytes() for path in tmp_path.iterdir()}
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    shutil.copy(VENDORED[0], damaged)
    (damaged / "extra.txt").write_bytes(b"\xff\xfe not text\n")
    result = run_cli("build", damaged, "--strict", "--output", output)
    assert result.returncode == 1
    assert {path: path.read_bytes() for path in tmp_path.iterdir() if path.is_file()} == before


@pytest.mark.parametrize(("database", "replaced"), [
    ("a.txt", "a.txt"), ("b.db", "b.db.sha256"), ("b.db", "b-inspect.json"), ("manifest.toml", "manifest.toml")])
def test_an_output_that_would_replace_a_source_file_is_refused(tmp_path, database, replaced):
    # The database, or the .sha256 or inspect file written beside it, is a source file, or the
    # manifest of the sources' folder.
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(VENDORED[0], sources / "a.txt")
    if replaced == "manifest.toml":
        (sources / replaced).write_text('[[source]]\nfile = "a.txt"\nformat = "review_listing"\n')
    else:
        shutil.copy(VENDORED[1], sources / replaced)
    before = {path.name: path.read_bytes() for path in sources.iterdir()}
    result = run_cli("build", sources, "--output", sources / database)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {sources / replaced}: is a source file this build reads (or its folder's manifest), and the build "
        "would replace it; give an --output outside the sources"]
    assert {path.name: path.read_bytes() for path in sources.iterdir()} == before


def test_an_output_in_a_folder_of_sources_read_whole_is_refused(tmp_path):
    # `build G --output G/papers.db` built once; the same command then refused, the database it
    # wrote being a source it would replace. A file of the folder given alone leaves it unread.
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(VENDORED[1], sources / "a.txt")
    result = run_cli("build", sources, "--output", sources / "papers.db")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {sources / 'papers.db'}: is in {sources}, a folder of sources this build reads whole, and the next "
        "build would read the database as a source; give an --output outside the sources"]
    assert sorted(path.name for path in sources.iterdir()) == ["a.txt"]
    assert run_cli("build", sources / "a.txt", "--output", sources / "papers.db").returncode == 0


def test_an_output_that_is_a_symlink_to_a_source_replaces_the_link_only(tmp_path):
    # os.replace replaces the link itself: the source it pointed to keeps its bytes.
    sources, output = tmp_path / "sources", tmp_path / "out" / "papers.db"
    sources.mkdir()
    output.parent.mkdir()
    shutil.copy(VENDORED[0], sources / "a.txt")
    output.symlink_to(sources / "a.txt")
    assert run_cli("build", sources, "--output", output).returncode == 0
    assert (sources / "a.txt").read_bytes() == VENDORED[0].read_bytes()
    assert not output.is_symlink() and output.read_bytes()[:16] == b"SQLite format 3\x00"


@pytest.mark.parametrize("kind", ["text", "other SQLite", "tables of papers-db's names", "truncated SQLite header"])
def test_an_output_that_is_another_file_is_refused_and_kept(tmp_path, kind):
    # `build --output notes.txt` replaced the notes with a database, without a word.
    output = tmp_path / "out.db"
    if kind == "other SQLite":
        sqlite3.connect(output).execute("create table notes (text)").connection.commit()
    elif kind == "tables of papers-db's names":  # another tool's reading list (found by review)
        sqlite3.connect(output).executescript("create table papers (title, read_on); create table listings (shelf); "
                                              "create table sources (url); insert into papers values ('mine', 1);")
    else:
        output.write_bytes(b"my notes\n" if kind == "text" else b"SQLite format 3\x00")
    before = output.read_bytes()
    result = run_cli("build", "--output", output)
    reason = "it is an SQLite database of another application" if kind != "text" else "it is no SQLite database"
    assert result.returncode == 2
    assert result.stderr == (f"error: {output}: already exists and {reason}; a build would replace it: give another "
                             "--output, or remove the file first\n")
    assert output.read_bytes() == before and sorted(tmp_path.iterdir()) == [output]


def test_an_output_that_is_a_papers_db_database_or_empty_is_replaced(tmp_path, built_db):
    assert sqlite3.connect(built_db).execute("pragma application_id").fetchone() == (APPLICATION_ID,)
    empty, earlier, unnumbered = tmp_path / "empty.db", tmp_path / "earlier.db", tmp_path / "unnumbered.db"
    empty.touch()
    shutil.copy(built_db, earlier)
    sqlite3.connect(earlier).execute("delete from papers").connection.commit()  # a different build's content
    # A build from before the schema had numbers, whose application_id was 0 (found by review).
    shutil.copy(built_db, unnumbered)
    sqlite3.connect(unnumbered).execute("pragma application_id = 0").connection.commit()
    for output in (empty, earlier, unnumbered):
        assert run_cli("build", "--output", output).returncode == 0
        assert sqlite3.connect(output).execute("select count(*) from papers").fetchone() == (319,)


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_an_output_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    if kind == "device":
        output = Path("/dev/full")
        if not output.exists():
            pytest.skip("no /dev/full here")
    else:
        output = tmp_path / "papers.db"
        os.mkfifo(output) if kind == "fifo" else output.mkdir()
    before = output.stat()
    result = run_cli("build", "--output", output)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and str(output) in result.stderr
    after = output.stat()
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)


@contextlib.contextmanager
def small_disk(tmp_path, size):
    """A tmpfs of `size` mounted at tmp_path/small for the test, unmounted after it."""
    disk = tmp_path / "small"
    disk.mkdir()
    not_mounted = mount_tmpfs(disk, size)
    if not_mounted:
        pytest.skip(f"no small disk to fill: {not_mounted}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_is_one_line_and_leaves_the_previous_files(tmp_path):
    with small_disk(tmp_path, "512k") as disk:
        output = disk / "papers.db"
        output.write_bytes(earlier_build("previous database\n"))
        result = run_cli("build", "--output", output)
        assert result.returncode == 3, result.stderr
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert "disk is full" in result.stderr or "No space left" in result.stderr
        assert [path.name for path in disk.iterdir()] == ["papers.db"]
        assert output.read_bytes() == earlier_build("previous database\n")


def refusing_the_third_rename(monkeypatch):
    """os.replace refusing its third rename, as a folder that lets only a file's owner replace it
    (/tmp's sticky bit) refuses another's: the list of targets it is asked for, as they come."""
    import errno

    replace, renames = os.replace, []

    def third_refused(source, target):
        renames.append(target)
        if len(renames) == 3:
            raise PermissionError(errno.EPERM, "Operation not permitted", str(source), None, str(target))
        replace(source, target)

    monkeypatch.setattr(os, "replace", third_refused)
    return renames


@pytest.mark.parametrize("command", ["build", "export"])
def test_a_rename_the_system_refuses_part_way_puts_every_earlier_file_back(tmp_path, built_db, monkeypatch, command):
    # In a folder that lets only a file's owner replace it (/tmp's sticky bit), an export renamed
    # two of its 20 files over an earlier export's, then failed on the third: "nothing was
    # replaced", naming a temporary file (found by review). Here the third rename is refused so.

    from papers_db import PapersDbError, build_database
    from papers_db.export import export_files

    if command == "build":
        output = tmp_path / "papers.db"
        for path, label in ((output, "database"), (tmp_path / "papers.db.sha256", "checksum")):
            path.write_bytes(earlier_build(label))  # papers-inspect.json is not there: the build adds it
        run = lambda: build_database([SOURCES], output, related=False)  # noqa: E731
    else:
        for path in export_files(built_db, tmp_path, "csv"):  # an earlier export, each file told apart
            path.write_text(f"earlier {path.name}\n", encoding="utf-8")
        (tmp_path / "build_info.csv").unlink()  # one the earlier export did not write
        run = lambda: export_files(built_db, tmp_path, "csv")  # noqa: E731
    earlier = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    renames = refusing_the_third_rename(monkeypatch)
    with pytest.raises(PapersDbError) as refused:
        run()
    monkeypatch.undo()
    assert str(refused.value) == f"{renames[2]}: cannot be replaced: Operation not permitted; nothing was replaced"
    assert refused.value.exit_status == 3
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == earlier  # no .tmp- file either


def test_where_no_hard_link_can_keep_an_earlier_file_a_failed_rename_says_what_it_replaced(tmp_path, built_db,
                                                                                        monkeypatch):
    # A file system without hard links (FAT) keeps no earlier file to put back: the files renamed
    # before the refused one stay new and are named, and no new file is removed in their place.
    import errno

    from papers_db import PapersDbError
    from papers_db.export import export_files

    written = export_files(built_db, tmp_path, "csv")

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    renames = refusing_the_third_rename(monkeypatch)
    with pytest.raises(PapersDbError) as refused:
        export_files(built_db, tmp_path, "csv")
    monkeypatch.undo()
    assert str(refused.value) == (f"{renames[2]}: cannot be replaced: Operation not permitted; "
                                  f"{renames[0]}, {renames[1]} replaced before it")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in written)


KILLED_WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "wal":
    conn.execute("pragma journal_mode = wal")
conn.execute("pragma cache_size = 2")  # spills to the file mid-transaction, as a large edit does
conn.execute("begin")
conn.execute("update papers set title = 'X' || title, abstract = abstract || abstract")
print("written", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("mode", ["journal", "wal"])
def test_a_journal_left_by_a_killed_writer_is_not_played_into_the_new_build(tmp_path, built_db, mode):
    # A writer of the earlier file killed mid-transaction left papers.db-journal (or -wal) beside
    # it; the build said it was done, and SQLite then played that journal into the new file: a
    # malformed database, `serve` refusing it (found by review).
    output = tmp_path / "papers.db"
    shutil.copy(built_db, output)
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(output), mode], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "written\n"
    writer.kill()
    writer.wait()
    writer.stdout.close()
    side = tmp_path / f"papers.db-{mode}"
    assert side.exists()
    assert run_cli("build", "--output", output).returncode == 0
    assert not side.exists() and leftovers(output) == []
    with sqlite3.connect(output) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select count(*) from papers where title like 'X%'").fetchone() == (0,)
    assert hashlib.sha256(output.read_bytes()).hexdigest() == (tmp_path / "papers.db.sha256").read_text().split()[0]
    assert hashlib.sha256(output.read_bytes()).digest() == hashlib.sha256(built_db.read_bytes()).digest()


def test_a_build_started_with_sighup_ignored_as_nohup_does_runs_on(tmp_path):
    # `nohup papers-db build &` over ssh: the session's end sent SIGHUP, and the build, which set
    # its own handler, ended with status 129 and no database (found by review).
    large = tmp_path / "large"
    large.mkdir()
    write_large_listing(large / "large.txt")
    output = tmp_path / "papers.db"
    build = subprocess.Popen(cli_command("build", large, "--output", output), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    deadline = time.monotonic() + 120
    while not (tmp_path / f".papers.db.tmp-{build.pid}").exists():
        assert build.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    build.send_signal(signal.SIGHUP)
    _, stderr = build.communicate(timeout=300)
    assert build.returncode == 0, stderr
    with sqlite3.connect(output) as conn:
        assert conn.execute("select count(*) from listings").fetchone() == (8000,)
    # Not ignored, SIGHUP ends it as before.
    build = subprocess.Popen(cli_command("build", large, "--output", tmp_path / "other.db"), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    while not (tmp_path / f".other.db.tmp-{build.pid}").exists():
        assert build.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    build.send_signal(signal.SIGHUP)
    _, stderr = build.communicate(timeout=120)
    assert (build.returncode, stderr.strip().splitlines()[-1]) == (129, "error: interrupted by SIGHUP")
    assert not (tmp_path / "other.db").exists()


def test_a_build_puts_its_files_in_place_only_while_no_other_run_is_renaming_into_the_folder(tmp_path):
    # Two builds to one output, overlapping: the database of one was left beside the checksum
    # and inspect file of the other (found by review). A build waits for the folder's lock.
    import fcntl

    large = tmp_path / "large"
    large.mkdir()
    write_large_listing(large / "large.txt", records=2000)
    output = tmp_path / "dist" / "papers.db"
    output.parent.mkdir()
    folder = os.open(output.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)  # as another run renaming its files in
        build = subprocess.Popen(cli_command("build", large, "--output", output), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        inspect = output.parent / f".papers.db.inspect.tmp-{build.pid}"
        deadline = time.monotonic() + 120
        while not inspect.exists():
            assert build.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(1)
        assert build.poll() is None and not output.exists()
    finally:
        os.close(folder)
    _, stderr = build.communicate(timeout=60)
    assert build.returncode == 0, stderr
    assert hashlib.sha256(output.read_bytes()).hexdigest() == (output.parent / "papers.db.sha256").read_text().split()[0]


def test_a_full_disk_error_names_sqlites_temporary_folder_too(tmp_path):
    # SQLite sorts in $TMPDIR: a full 1 MB /tmp was told as the output's disk being full, the
    # output's disk 50 GB free, and the user freed the wrong one (found by review, with the 100k
    # corpus; a build small enough for a test never spills its sorts to a file).
    from papers_db.pipeline import where_full

    with small_disk(tmp_path, "64k") as disk:
        conn = sqlite3.connect(disk / "full.db")
        with pytest.raises(sqlite3.OperationalError) as full:
            conn.execute("create table t as select randomblob(1000000) as b")
        conn.close()
        assert "full" in str(full.value) and "set TMPDIR to a folder with room" in where_full(full.value)
    with pytest.raises(sqlite3.OperationalError) as other:
        sqlite3.connect(":memory:").execute("select * from nothing")
    assert where_full(other.value) == ""


def test_only_a_databases_own_journal_files_go_with_it(tmp_path, built_db):
    # A folder named papers.db-journal (a user's) was hidden under a temporary name, the build
    # failed with status 3 after replacing its files, and every later build failed on it; an
    # export removed papers.csv-journal and papers.csv-shm beside its CSV (found by review).
    from papers_db.export import export_files

    output = tmp_path / "out" / "papers.db"
    output.parent.mkdir()
    folder = output.parent / "papers.db-journal"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep\n", encoding="utf-8")
    for _ in range(2):
        result = run_cli("build", "--output", output)
        assert result.returncode == 0, result.stderr
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep\n"
    assert sorted(path.name for path in output.parent.iterdir()) == [
        "papers-inspect.json", "papers.db", "papers.db-journal", "papers.db.sha256"]
    exported = tmp_path / "export"
    export_files(built_db, exported, "csv")
    beside = [exported / "papers.csv-journal", exported / "papers.csv-shm"]
    for path in beside:
        path.write_text("notes\n", encoding="utf-8")
    export_files(built_db, exported, "csv")
    assert all(path.read_text(encoding="utf-8") == "notes\n" for path in beside)


def test_a_journal_that_cannot_be_set_aside_leaves_nothing_behind(tmp_path, built_db, monkeypatch):
    # The earlier files' second names, made before the journal was moved, were left when moving
    # it failed (found by review).
    import errno

    from papers_db import PapersDbError, build_database

    output = tmp_path / "papers.db"
    shutil.copy(built_db, output)
    (tmp_path / "papers.db-wal").write_bytes(b"a writer's WAL\n")
    replace = os.replace

    def refusing_the_wal(source, target):
        if str(source).endswith("-wal"):
            raise PermissionError(errno.EPERM, "Operation not permitted", str(source))
        replace(source, target)

    monkeypatch.setattr(os, "replace", refusing_the_wal)
    with pytest.raises(PapersDbError, match="papers.db-wal: cannot be removed: Operation not permitted"):
        build_database(SOURCES, output)
    monkeypatch.undo()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["papers.db", "papers.db-wal"]
    assert output.read_bytes() == built_db.read_bytes()


def test_a_build_waiting_for_the_folders_lock_stops_at_ctrl_c_and_replaces_nothing(tmp_path):
    # It waited with the signals held: Ctrl-C was ignored until the lock was let go, and the files
    # were then replaced (found by review).
    import fcntl

    output = tmp_path / "dist" / "papers.db"
    output.parent.mkdir()
    folder = os.open(output.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        build = subprocess.Popen(cli_command("build", "--output", output), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        inspect = output.parent / f".papers.db.inspect.tmp-{build.pid}"  # written just before the renames
        deadline = time.monotonic() + 120
        while not inspect.exists():
            assert build.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(1)  # at the lock by now
        build.send_signal(signal.SIGINT)
        _, stderr = build.communicate(timeout=30)
    finally:
        os.close(folder)
    assert build.returncode == 130, stderr
    assert stderr.strip() == "error: interrupted by SIGINT", stderr
    assert sorted(path.name for path in output.parent.iterdir()) == []


def test_two_builds_to_one_output_from_two_threads_both_put_their_files_in_place(tmp_path):
    # From a notebook's threads both failed, each on the other's temporary files ("table sources
    # already exists", "database is locked"; found by review, 5 rounds of 5): a thread's files are
    # its own, and the renames take turns.
    import concurrent.futures

    from papers_db import build_database
    from papers_db.load import checksum_file_for

    output = tmp_path / "same" / "papers.db"
    for _ in range(2):
        with concurrent.futures.ThreadPoolExecutor(2) as threads:
            reports = [future.result() for future in [threads.submit(build_database, SOURCES, output, related=False)
                                                       for _ in range(2)]]
        assert reports[0].sha256 == reports[1].sha256 and reports[0].papers == 319
        assert checksum_file_for(output).read_text() == f"{reports[0].sha256}  papers.db\n"
        assert hashlib.sha256(output.read_bytes()).hexdigest() == reports[0].sha256
        assert leftovers(output) == []


def test_ctrl_c_in_a_library_call_while_the_files_are_renamed_says_they_were(tmp_path, monkeypatch):
    # With Python's own Ctrl-C handler (a notebook's), a Ctrl-C during the renames was a bare
    # KeyboardInterrupt once the new database was in place: the caller could not tell (a review
    # of the library). It is Interrupted, a KeyboardInterrupt, saying what was done.
    import papers_db.load as load
    from papers_db import build_database
    from papers_db.errors import Interrupted

    output = tmp_path / "papers.db"
    replace = os.replace

    def replace_with_ctrl_c(source, target):
        replace(source, target)
        if Path(target) == output:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(load.os, "replace", replace_with_ctrl_c)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(Interrupted) as raised:
        build_database(SOURCES, output)
    assert raised.value.done is not None and str(output) in raised.value.done
    monkeypatch.undo()
    with sqlite3.connect(output) as conn:
        assert conn.execute("select count(*) from papers").fetchone()[0] > 0
    assert (tmp_path / "papers.db.sha256").read_text().split()[0] == hashlib.sha256(output.read_bytes()).hexdigest()


def failures_of_one_run_inside_another(first, second):
    """Run `first(progress)` in a thread until its first progress event, all of `second()` in this
    thread meanwhile, then the rest of `first`; the exceptions either raised."""
    import threading

    paused, resume, failures = threading.Event(), threading.Event(), []

    def progress(*event):
        if not paused.is_set():
            paused.set()
            assert resume.wait(60)

    def running(call):
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - told to the caller
            failures.append(error)

    thread = threading.Thread(target=running, args=(lambda: first(progress),))
    thread.start()
    assert paused.wait(60)
    running(second)
    resume.set()
    thread.join(120)
    return failures


@pytest.mark.parametrize("spelling", ["relative", "dotdot", "link"])
def test_two_runs_in_two_threads_keep_each_others_files_however_their_paths_are_spelled(tmp_path, built_db, monkeypatch,
                                                                                        spelling):
    # A run removes the temporary files its process's earlier runs left: another thread's running
    # export into a relative folder, or build to its output spelled "d/../d" or through a link,
    # had its files taken for such leftovers, and failed (review of the first version).
    from papers_db import build_database, export_files

    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "d")
    other = {"relative": "d", "dotdot": "d/../d", "link": "link"}[spelling]
    assert failures_of_one_run_inside_another(lambda progress: export_files(built_db, "d", "csv", progress=progress),
                                              lambda: export_files(built_db, other, "csv")) == []
    assert failures_of_one_run_inside_another(lambda progress: build_database(SOURCES, "d/papers.db", progress=progress),
                                              lambda: build_database(SOURCES, f"{other}/papers.db")) == []
    assert not [path.name for path in (tmp_path / "d").iterdir() if ".tmp-" in path.name]
