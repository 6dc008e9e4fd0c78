"""Exports as a user reads them back: pyarrow and DuckDB on Parquet, DuckDB on CSV and JSON Lines."""

import csv
import datetime
import json
import os
import pty
import re
import select
import sqlite3
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import PROJECT, cli_command, mount_tmpfs, run_cli

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def exported(built_db, tmp_path_factory):
    """{format: folder} written by the real `export` command."""
    folders = {}
    for file_format in ("parquet", "csv", "json"):
        folder = tmp_path_factory.mktemp(file_format)
        result = run_cli("export", "--db", built_db, "--output", folder, "--format", file_format)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("wrote ") == len(list(folder.iterdir()))  # results on stdout
        folders[file_format] = folder
    return folders


def queried_names(built_db):
    with sqlite3.connect(built_db) as conn:
        return {name for (name,) in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') "
            "and name not like 'sqlite_%' and name not like 'papers_fts%'")}


def columns_and_values(built_db, name):
    """Each column of a table or view (generated ones too) with its non-NULL values."""
    with sqlite3.connect(built_db) as conn:
        columns = [c[1] for c in conn.execute(f"pragma table_xinfo([{name}])")]
        rows = conn.execute(f"select * from [{name}]").fetchall()
    return {column: [row[i] for row in rows if row[i] is not None] for i, column in enumerate(columns)}


def expected_type(values):
    """The Arrow type a column's values call for, judged from the values themselves."""
    if len({type(v) for v in values}) > 1:  # numbers and text (facet_counts.value): text
        return pa.string()
    if all(isinstance(v, int) for v in values):
        return pa.int64()
    if all(isinstance(v, float) for v in values):
        return pa.float64()
    if all(ISO_DATE.match(v) for v in values):
        return pa.date32()
    if all(v.startswith("[") and isinstance(json.loads(v), list) for v in values):
        return pa.list_(pa.string())
    return pa.string()


def test_every_table_and_view_is_exported_in_every_format(exported, built_db):
    names = queried_names(built_db)
    assert {"related_papers", "papers_per_month", "paper_overview", "trending", "build_info"} <= names
    suffixes = {"parquet": ".parquet", "csv": ".csv", "json": ".jsonl"}
    for file_format, folder in exported.items():
        assert {path.name for path in folder.iterdir()} == {name + suffixes[file_format] for name in names}


def test_an_export_tells_each_table_and_view_before_it_writes_it(built_db, tmp_path):
    from papers_db.export import export_files

    heard = []

    def progress(name, done, total):
        heard.append((name, done, total, len(list(tmp_path.iterdir()))))  # the files written so far, beside their targets

    written = export_files(built_db, tmp_path, "csv", progress=progress)
    names = queried_names(built_db)
    assert sorted(name for name, *_ in heard) == sorted(names)
    assert [(done, total, files) for _, done, total, files in heard] == [(n, len(names), n) for n in range(len(names))]
    assert [path.stem for path in written] == [name for name, *_ in heard]


def test_export_on_a_terminal_shows_which_table_it_writes(built_db, tmp_path):
    # The command was silent until its list of files (2 s at 30,000 papers, growing with them).
    reader, writer = pty.openpty()
    process = subprocess.Popen(cli_command("export", "--db", built_db, "--output", tmp_path / "out", "--format", "json"),
                               cwd=PROJECT, stdout=subprocess.PIPE, stderr=writer, env={**os.environ, "TERM": "xterm"})
    os.close(writer)
    shown = b""
    while select.select([reader], [], [], 60)[0]:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # the command has ended: no writer left
            break
        if not chunk:
            break
        shown += chunk
    os.close(reader)
    assert process.wait(timeout=60) == 0 and process.stdout.read().count(b"wrote ") == len(queried_names(built_db))
    process.stdout.close()
    assert b"Exporting " in shown


def test_parquet_has_the_database_rows_with_real_types(exported, built_db):
    for name in queried_names(built_db):
        table = pq.read_table(exported["parquet"] / f"{name}.parquet")
        columns = columns_and_values(built_db, name)
        assert table.column_names == list(columns), name
        with sqlite3.connect(built_db) as conn:
            assert table.num_rows == conn.execute(f"select count(*) from [{name}]").fetchone()[0], name
        for column, values in columns.items():
            if values:  # an empty column says nothing about its type
                assert table.schema.field(column).type == expected_type(values), (name, column)
    papers = pq.read_table(exported["parquet"] / "papers.parquet").to_pylist()
    with sqlite3.connect(built_db) as conn:
        expected = conn.execute("select id, title, first_published_on, listings_count from papers").fetchall()
        related = conn.execute("select shared_terms from related_papers").fetchall()
    assert [(p["id"], p["title"], p["first_published_on"], p["listings_count"]) for p in papers] == [
        (i, t, datetime.date.fromisoformat(d) if d else None, n) for i, t, d, n in expected]
    terms = pq.read_table(exported["parquet"] / "related_papers.parquet").column("shared_terms").to_pylist()
    assert terms == [json.loads(value) for (value,) in related]


def test_duckdb_reads_every_export_with_dates_integers_and_lists(exported, built_db):
    con = duckdb.connect()
    for name in queried_names(built_db):
        with sqlite3.connect(built_db) as conn:
            count = conn.execute(f"select count(*) from [{name}]").fetchone()[0]
        parquet = str(exported["parquet"] / f"{name}.parquet")
        assert con.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0] == count, name
        assert con.execute(f"select count(*) from read_csv('{exported['csv'] / name}.csv')").fetchone()[0] == count, name
        if count:  # DuckDB cannot infer the columns of an empty JSON Lines file
            jsonl = f"read_json('{exported['json'] / name}.jsonl', format='newline_delimited')"
            assert con.execute(f"select count(*) from {jsonl}").fetchone()[0] == count, name
    types = dict(con.execute(f"select column_name, column_type from (describe select * from "
                             f"read_parquet('{exported['parquet'] / 'listings.parquet'}'))").fetchall())
    assert (types["published_on"], types["upvotes"], types["line"]) == ("DATE", "BIGINT", "BIGINT")
    related = str(exported["parquet"] / "related_papers.parquet")
    assert con.execute(f"select typeof(shared_terms) from read_parquet('{related}') limit 1").fetchone() == ("VARCHAR[]",)
    # JSON Lines keeps them lists too (a change that wrote mixed columns as text made them strings: review).
    for name, column in (("related_papers", "shared_terms"), ("paper_overview", "sources"), ("cross_listed", "sources")):
        jsonl = f"read_json('{exported['json'] / name}.jsonl', format='newline_delimited')"
        assert con.execute(f"select typeof({column}) from {jsonl} limit 1").fetchone() == ("VARCHAR[]",), name
        with sqlite3.connect(built_db) as conn:
            conn.row_factory = sqlite3.Row  # in the export's own order: select * (a view's order may differ by column)
            stored = [json.loads(row[column]) for row in conn.execute(f"select * from {name}")]
        lines = (exported["json"] / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)[column] for line in lines] == stored, name
    months = con.execute(f"select sum(papers) from read_parquet('{exported['parquet'] / 'papers_per_month.parquet'}')").fetchone()
    with sqlite3.connect(built_db) as conn:
        assert months == conn.execute("select count(*) from papers where first_published_on is not null").fetchone()


def test_exports_into_a_folder_that_holds_other_folders(built_db, tmp_path):
    # A subfolder named "x" made the folder check fail: it looked at a made-up file "x" inside.
    folder = tmp_path / "export"
    (folder / "x").mkdir(parents=True)
    result = run_cli("export", "--db", built_db, "--output", folder, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert (folder / "papers.csv").is_file() and (folder / "x").is_dir()


def test_an_export_removes_what_a_killed_export_left_and_only_that(built_db, tmp_path):
    # An export killed with SIGKILL left its hidden temporary files for good (found by review):
    # each is named after its process, so one whose process has ended is a leftover.
    folder = tmp_path / "export"
    folder.mkdir()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = [folder / f".papers.csv.tmp-{ended.stdout.strip()}", folder / f".listings.csv.tmp-{ended.stdout.strip()}"]
        kept = [folder / f".papers.csv.tmp-{running.pid}", folder / ".papers.csv.tmp-keep", folder / "notes.csv.tmp-1"]
        for path in left + kept:
            path.write_text("a,b\n")
        result = run_cli("export", "--db", built_db, "--output", folder, "--format", "csv")
        assert result.returncode == 0, result.stderr
        assert not any(path.exists() for path in left)
        assert all(path.exists() for path in kept)  # a running export's, and names no export makes
    finally:
        running.kill()
        running.wait()


def test_an_export_folder_that_is_a_file_is_one_line(built_db, tmp_path):
    (tmp_path / "export").write_text("not a folder\n")
    result = run_cli("export", "--db", built_db, "--output", tmp_path / "export", "--format", "csv")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'export'}: is a file, not a folder"]


def test_a_column_of_numbers_and_text_is_exported_as_text(exported, built_db):
    with sqlite3.connect(built_db) as conn:
        stored = conn.execute("select table_name, column_name, value, count from facet_counts").fetchall()
    assert {type(value) for _, _, value, _ in stored} == {int, str, type(None)}  # years and tiers, NULL counted too
    rows = pq.read_table(exported["parquet"] / "facet_counts.parquet").to_pylist()
    assert [(r["table_name"], r["column_name"], r["value"], r["count"]) for r in rows] == [
        (table, column, None if value is None else str(value), count) for table, column, value, count in stored]


    # JSON Lines as Parquet: each value of such a column a string, which pyarrow's JSON reader takes
    # (it refused the column changing from string to number: review).
    lines = (exported["json"] / "facet_counts.jsonl").read_text(encoding="utf-8").splitlines()
    assert [(r["table_name"], r["column_name"], r["value"], r["count"]) for r in map(json.loads, lines)] == [
        (table, column, None if value is None else str(value), count) for table, column, value, count in stored]
    import pyarrow.json

    assert pyarrow.json.read_json(exported["json"] / "facet_counts.jsonl").num_rows == len(stored)


def test_json_lines_escape_the_line_breaks_str_splitlines_splits_at(built_db, tmp_path):
    # A title holding U+2028, U+2029 or U+0085 was written as it is: a reader splitting the file
    # with str.splitlines() cut its object in two (review).
    database = tmp_path / "papers.db"
    database.write_bytes(built_db.read_bytes())
    titles = ["Sequence Models\u2028with Line Separators", "Next\u0085Line Networks", "Para\u2029graphs"]
    with sqlite3.connect(database) as conn:
        ids = [paper_id for (paper_id,) in conn.execute("select id from papers order by id limit 3")]
        conn.executemany("update papers set title = ? where id = ?", zip(titles, ids))
    result = run_cli("export", "--db", database, "--output", tmp_path / "json", "--format", "json")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "json" / "papers.jsonl").read_text(encoding="utf-8")
    assert text.splitlines() == text.split("\n")[:-1]
    read = {row["id"]: row["title"] for row in map(json.loads, text.splitlines())}
    assert [read[paper_id] for paper_id in ids] == titles


def test_an_export_says_which_files_in_its_folder_it_did_not_write(built_db, tmp_path):
    # The three formats share a default folder: a Parquet export of one build beside a CSV export
    # of the next looked current, and an export of one format left another's temporary files
    # (review).
    folder = tmp_path / "export"
    assert run_cli("export", "--db", built_db, "--output", folder, "--format", "parquet").returncode == 0
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = folder / f".papers.jsonl.tmp-{ended.stdout.strip()}"
    leftover.write_text("{}\n")
    (folder / "notes.txt").write_text("mine\n")
    (folder / "my_notes.csv").write_text("a,b\n")  # a user's own, no export's name: not named (review)
    result = run_cli("export", "--db", built_db, "--output", folder, "--format", "csv")
    assert result.returncode == 0, result.stderr
    parquet_files = sorted(path.name for path in folder.glob("*.parquet"))
    assert len(parquet_files) == len(queried_names(built_db))
    warning = " ".join(result.stderr.split())
    assert f"also holds {len(parquet_files)} files this export did not write ({', '.join(parquet_files[:5])} and" in warning
    assert "notes.txt" not in warning and "my_notes.csv" not in warning and not leftover.exists()
    result = run_cli("export", "--db", built_db, "--output", folder, "--format", "csv")
    assert "also holds" in result.stderr  # still there, still said
    for path in folder.glob("*.parquet"):
        path.unlink()
    result = run_cli("export", "--db", built_db, "--output", folder, "--format", "csv")
    assert result.returncode == 0 and "warning" not in result.stderr


def test_an_export_does_not_write_over_its_own_database(built_db, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    database = folder / "papers.parquet"  # a database named as the export names the papers table's file
    database.write_bytes(built_db.read_bytes())
    result = run_cli("export", "--db", database, "--output", folder)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {database}: is the database being exported; export into another folder"
    assert database.read_bytes() == built_db.read_bytes() and sorted(os.listdir(folder)) == ["papers.parquet"]


def test_a_database_left_with_an_unfinished_change_is_not_called_damaged(built_db, tmp_path):
    # A process killed mid-write leaves its journal beside the file; a read-only reader cannot roll
    # it back, and the file was called damaged (review).
    database = tmp_path / "papers.db"
    database.write_bytes(built_db.read_bytes())
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sqlite3, sys; conn = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "conn.execute('pragma cache_size=2'); conn.execute('begin'); "
        "conn.execute(\"update papers set title = coalesce(title, '') || 'x'\"); os._exit(9)"), str(database)])
    assert killed.returncode == 9 and (tmp_path / "papers.db-journal").stat().st_size > 0
    result = run_cli("export", "--db", database, "--output", tmp_path / "csv", "--format", "csv")
    assert result.returncode == 1
    assert "a change to it was left unfinished (papers.db-journal is beside it)" in result.stderr
    assert "damaged" not in result.stderr
    sqlite3.connect(database).execute("pragma user_version").fetchone()  # opened for writing: rolled back
    assert database.read_bytes() == built_db.read_bytes()
    assert run_cli("export", "--db", database, "--output", tmp_path / "csv", "--format", "csv").returncode == 0


@pytest.mark.parametrize("command", ["export", "export-parquet"])
def test_the_default_parquet_without_pyarrow_says_how_to_get_it_and_what_else_to_choose(built_db, tmp_path, command):
    # pyarrow is an optional extra, so a bare `export` right after the README's install failed
    # with a hint (`pip install -e '.[parquet]'`) that works only in a checkout. export-parquet
    # suggested "--format csv", an option it does not have (found by review): the hint names the command.
    script = "import sys; sys.modules['pyarrow'] = None; from papers_db.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", script, command, "--db", str(built_db), "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == ("error: Parquet export needs pyarrow, which is not installed: pip install pyarrow (or the "
                             "package's parquet extra); or export CSV or JSON Lines: papers-db export --format csv "
                             "(or --format json)\n")
    assert not (tmp_path / "out").exists()


def test_a_file_to_export_where_a_folder_is_is_refused_before_anything_is_written(built_db, tmp_path):
    # It failed on the temporary file beside it ("….tmp-6166: cannot write: Is a directory"),
    # exit 3, after replacing the 8 files before it.
    folder = tmp_path / "export"
    (folder / "papers.csv").mkdir(parents=True)
    result = run_cli("export", "--db", built_db, "--output", folder, "--format", "csv")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {folder / 'papers.csv'}: is a folder, where a file is to be written; give another --output\n"
    assert [path.name for path in folder.iterdir()] == ["papers.csv"]


def test_an_export_that_fills_the_disk_replaces_nothing(built_db, exported, tmp_path):
    # The files written before the disk filled had replaced an earlier export's: two builds mixed.
    disk = tmp_path / "small"
    disk.mkdir()
    not_mounted = mount_tmpfs(disk, "512k")  # the CSV export takes 1.3 MB, papers.csv 1 MB of it
    if not_mounted:
        pytest.skip(f"no small disk to fill: {not_mounted}")
    try:
        earlier = {path.name: f"earlier {path.name}\n".encode() for path in exported["csv"].iterdir()}
        for name, content in earlier.items():
            (disk / name).write_bytes(content)
        result = run_cli("export", "--db", built_db, "--output", disk, "--format", "csv")
        assert (result.returncode, result.stdout) == (3, "")
        assert result.stderr == f"error: {disk / 'papers.csv'}: cannot write: No space left on device; nothing was replaced\n"
        assert {path.name: path.read_bytes() for path in disk.iterdir()} == earlier
        # A folder the export made for itself goes with it.
        result = run_cli("export", "--db", built_db, "--output", disk / "new" / "export", "--format", "csv")
        assert result.returncode == 3 and sorted(path.name for path in disk.iterdir()) == sorted(earlier)
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_two_exports_into_one_folder_from_two_threads_both_put_their_files_in_place(built_db, tmp_path):
    # One of them failed ("build_info.csv: cannot be replaced: No such file or directory"): both
    # wrote the same temporary files (found by review).
    import concurrent.futures

    from papers_db.export import export_files

    folder = tmp_path / "same"
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        written = [future.result() for future in [threads.submit(export_files, built_db, folder, "csv") for _ in range(2)]]
    assert sorted(written[0]) == sorted(written[1]) and len(written[0]) == 20
    with sqlite3.connect(built_db) as conn:
        papers = conn.execute("select count(*) from papers").fetchone()[0]
    with (folder / "papers.csv").open(newline="", encoding="utf-8") as exported:
        assert sum(1 for _ in csv.reader(exported)) == 1 + papers
    assert sorted(path.name for path in folder.iterdir()) == sorted(path.name for path in written[0])  # no temporary file left
