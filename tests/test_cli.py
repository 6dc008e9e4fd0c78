"""The command line as a user meets it: help, summaries, and one-line errors."""

import hashlib
import re
import sqlite3

from conftest import PROJECT, SOURCES, run_cli


def test_help_describes_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("build", "check", "serve"):
        assert command in result.stdout
    build_help = run_cli("build", "--help").stdout
    assert "--output" in build_help and "--strict" in build_help


def test_build_prints_a_summary(tmp_path):
    result = run_cli("build", SOURCES, "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    summary = " ".join(result.stderr.split())
    assert "5 files, 336 listings, 319 papers, 0 parse issues" in summary


def test_build_of_a_missing_path_is_one_clear_line(tmp_path):
    result = run_cli("build", tmp_path / "nowhere", "--output", tmp_path / "papers.db")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'nowhere'}: no such file or folder"]
    assert not (tmp_path / "papers.db").exists()


def test_serve_without_a_database_says_what_to_do(tmp_path):
    result = run_cli("serve", "--db", tmp_path / "missing.db")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "run `papers-db build` first" in result.stderr


def test_build_writes_its_checksum(tmp_path):
    output = tmp_path / "papers.db"
    assert run_cli("build", "--output", output).returncode == 0
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert (tmp_path / "papers.db.sha256").read_text() == f"{digest}  papers.db\n"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (PROJECT / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash)?\n(.*?)```", readme, re.S).group(1)
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert "build_db.py build" in commands[0] and "build_db.py serve" in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (PROJECT / ".ci" / "run").read_text()


def test_readme_publish_command_uses_the_configured_settings():
    from papers_db.metadata import read_metadata

    readme = (PROJECT / "README.md").read_text()
    publish = readme[readme.index("datasette publish cloudrun"):].split("```")[0]
    _, settings = read_metadata()
    assert settings
    for name, value in settings.items():
        assert f"--setting {name} {value}" in publish
    for piece in ("dist/papers-metadata.json", "--plugins-dir papers_db/plugin", "--template-dir papers_db/plugin/templates",
                  "datasette-vega"):
        assert piece in publish


def test_build_writes_the_metadata_datasette_reads(tmp_path):
    import json

    assert run_cli("build", "--output", tmp_path / "papers.db").returncode == 0
    metadata = json.loads((tmp_path / "papers-metadata.json").read_text())
    assert "configuration" not in metadata
    assert "search" in metadata["databases"]["papers"]["queries"]
    assert metadata["databases"]["papers"]["tables"]["papers"]["label_column"] == "title"


def test_serve_refuses_a_database_its_metadata_does_not_describe(tmp_path):
    other = tmp_path / "other.db"
    assert run_cli("build", "--output", other).returncode == 0
    result = run_cli("serve", "--db", other)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "serve a file named papers.db" in " ".join(result.stderr.split())


def test_export_parquet_writes_every_main_table(tmp_path, built_db):
    import sqlite3

    import pyarrow.parquet as pq

    folder = tmp_path / "parquet"
    result = run_cli("export-parquet", "--db", built_db, "--output", folder)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(built_db) as conn:
        for table in ("papers", "listings", "sources", "decisions", "organizations", "code_links", "parse_issues"):
            exported = pq.read_table(folder / f"{table}.parquet")
            columns = [c[1] for c in conn.execute(f"pragma table_info([{table}])")]
            assert exported.column_names == columns, table
            assert exported.num_rows == conn.execute(f"select count(*) from [{table}]").fetchone()[0], table
        papers = pq.read_table(folder / "papers.parquet").to_pylist()
        expected = conn.execute("select id, title, abstract, listings_count from papers order by rowid").fetchall()
    assert [(p["id"], p["title"], p["abstract"], p["listings_count"]) for p in papers] == expected
    assert not list(folder.glob(".*.tmp-*"))


def test_export_parquet_without_a_database_is_one_line(tmp_path):
    result = run_cli("export-parquet", "--db", tmp_path / "missing.db", "--output", tmp_path / "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "run `papers-db build` first" in result.stderr


def test_build_without_related_papers_leaves_their_table_empty(tmp_path, built_db):
    assert "--no-related" in run_cli("build", "--help").stdout
    output = tmp_path / "papers.db"
    result = run_cli("build", "--no-related", "--output", output)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(output) as fast, sqlite3.connect(built_db) as full:
        assert fast.execute("select count(*) from related_papers").fetchone() == (0,)
        assert full.execute("select count(*) from related_papers").fetchone()[0] > 0
        for table in ("papers", "listings", "code_links"):
            query = f"select count(*) from {table}"
            assert fast.execute(query).fetchone() == full.execute(query).fetchone()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papers-metadata.json", "papers.db", "papers.db.sha256"]


def test_an_unexpected_error_is_one_line_and_debug_shows_its_traceback(capsys, monkeypatch):
    import pytest
    import typer

    from papers_db import cli

    @cli.one_line_errors
    def broken():
        raise ValueError("a [bold]bug[/]\nover two lines")

    with pytest.raises(typer.Exit) as ended:
        broken()
    assert ended.value.exit_code == 70
    assert capsys.readouterr().err.strip() == (
        "error: unexpected ValueError: a [bold]bug[/] over two lines (a bug: please report it with the output of --debug)")
    monkeypatch.setattr(cli, "show_tracebacks", True)
    with pytest.raises(ValueError):
        broken()
    assert "--debug" in run_cli("--help").stdout


def test_serve_and_export_refuse_what_is_not_a_built_database_in_one_line(tmp_path, built_db):
    import shutil

    cases = {"not-sqlite": b"these are not the bytes of a database\n", "empty-sqlite": None, "damaged": None}
    for name in cases:
        (tmp_path / name).mkdir()
    (tmp_path / "not-sqlite" / "papers.db").write_bytes(cases["not-sqlite"])
    sqlite3.connect(tmp_path / "empty-sqlite" / "papers.db").execute("create table other (x)").connection.close()
    damaged = tmp_path / "damaged" / "papers.db"
    shutil.copy(built_db, damaged)
    with damaged.open("r+b") as file:
        file.seek(100)  # past the 100-byte header: the schema page is overwritten
        file.write(b"\xff" * 20_000)
    expected = {"not-sqlite": "not an SQLite database", "empty-sqlite": "not a papers-db database",
                "damaged": "damaged SQLite database"}
    for name, message in expected.items():
        database = tmp_path / name / "papers.db"
        for command in (["serve", "--db", database], ["export-parquet", "--db", database, "--output", tmp_path / "out"]):
            result = run_cli(*command)
            assert (result.returncode, result.stderr.count("\n")) == (1, 1), (name, command, result.stderr)
            assert "Traceback" not in result.stderr and message in result.stderr, (name, result.stderr)
            assert str(database) in " ".join(result.stderr.split())
