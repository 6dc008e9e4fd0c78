"""The command line as a user meets it: help, summaries, and one-line errors."""

import hashlib
import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pytest
from conftest import PROJECT, SOURCES, cli_command, cli_shell, folder_of_shadowing_modules, run_cli


def test_help_describes_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("build", "check", "serve"):
        assert command in result.stdout
    build_help = run_cli("build", "--help").stdout
    assert "--output" in build_help and "--strict" in build_help


def test_python_dash_m_papers_db_is_the_command(tmp_path):
    # Found by review: `python -m papers_db` had no __main__, and `-m papers_db.cli` runs nothing.
    result = subprocess.run([sys.executable, "-m", "papers_db", "--help"], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 0 and "Usage: python -m papers_db" in result.stdout
    assert all(command in result.stdout for command in ("build", "check", "serve", "export"))
    result = subprocess.run([sys.executable, "-m", "papers_db", "check", str(SOURCES), "--json"], capture_output=True,
                            text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["files"]) == 5  # the five bundled files


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["serve"], ["export"]])
def test_help_says_what_each_exit_status_means(command):
    # No command's help listed its statuses (found by review); the codes are README's table's.
    shown = " ".join(run_cli(*command, "--help").stdout.split())
    for status, meaning in (("0", "done"), ("1", "bad input"), ("2", "usage"), ("3", "the system failed the run"),
                            ("70", "a bug"), ("128+N", "ended by signal N")):
        assert f"{status} {meaning}" in shown, (command, status)
    # Each signal's status README's table gives, and how serve ends; no option the command lacks
    # (`check --help` spoke of "parse issues under --strict"; found by review).
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    signals_row = next(line for line in readme.splitlines() if line.startswith("| 128 + N |"))
    for status in re.findall(r"\b1[2-4][0-9]\b", signals_row):
        assert status in shown, (command, status)
    assert "serve stopped by Ctrl-C ends with 0, and with several workers by SIGTERM, SIGQUIT or SIGHUP too" in shown
    assert "--strict" not in shown.replace("build --strict", "") or command == ["build"]


@pytest.mark.parametrize("command", ["build", "check", "serve", "export"])
def test_help_text_reflows_to_the_terminal_and_loses_no_word(command):
    import inspect
    import os

    from papers_db import cli

    result = run_cli(command, "--help", env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    docstring = inspect.cleandoc(getattr(cli, command).__doc__)
    expected = " ".join(docstring.replace("`", "").split())
    assert expected in " ".join(result.stdout.split())


def test_build_prints_a_summary(tmp_path):
    result = run_cli("build", SOURCES, "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    summary = " ".join(result.stdout.split())  # a result: stdout, where a pipeline reads it
    assert "5 files, 336 listings, 319 papers, 0 parse issues" in summary
    assert "336 listings" not in result.stderr


def test_counts_of_one_are_singular(tmp_path):
    # "1 files, 1 listings, 1 papers, 1 parse issues", "its 1 lines read as", "1 parse issue(s)" (found by review).
    from listing_texts import ABSTRACT_A, review_text

    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "review.txt").write_text(review_text("A Title About Lenders", ABSTRACT_A), encoding="utf-8")
    result = run_cli("build", folder / "review.txt", "--output", tmp_path / "one" / "papers.db")
    assert result.returncode == 0, result.stderr
    assert "1 file, 1 listing, 1 paper, 0 parse issues (sha256" in " ".join(result.stdout.split())
    (folder / "notes.txt").write_text("just a note\n", encoding="utf-8")
    result = run_cli("build", folder, "--output", tmp_path / "two" / "papers.db")
    assert result.returncode == 0, result.stderr
    assert "2 files, 1 listing, 1 paper, 1 parse issue (sha256" in " ".join(result.stdout.split())
    assert result.stderr == ("warning: notes.txt: its 1 line reads as neither a review listing (titles and their abstracts) "
                             "nor a Hugging Face Daily Papers page; nothing was read from it [not_a_listing]\n")
    result = run_cli("build", folder, "--strict", "--output", tmp_path / "three" / "papers.db")
    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        1, "error: 1 parse issue and --strict was given: database not written")


def test_more_warnings_than_are_shown_are_counted_in_the_singular_for_one():
    from rich.console import Console

    from papers_db import cli
    from papers_db.pipeline import Progress

    shown = io.StringIO()
    console = cli.console
    cli.console = Console(file=shown, width=1000)
    try:
        display = cli.ProgressDisplay(cli.ProgressBar(console=cli.console))
        issues = [cli.ParseIssue(n, "x", "a note") for n in range(1, cli.WARNINGS_SHOWN + 2)]
        display(Progress("read", 1, 1, "a.txt", cli.FileSummary("a.txt", None, 30, 0, issues, [])))
        display.finish()
    finally:
        cli.console = console
    assert shown.getvalue().splitlines()[-1] == "warning: ... and 1 more parse issue"


@pytest.mark.parametrize("command", ["build", "check"])
def test_no_path_given_where_there_is_no_sources_folder_names_the_default(tmp_path, command):
    # Run in another folder, `papers-db build` said "sources: no such file or folder", naming
    # neither the default nor where it was looked for.
    result = run_cli(command, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: sources: no such folder here ({tmp_path}), which is where the sources are read from when no path is "
        "given; give the sources' files or folders"]
    assert list(tmp_path.iterdir()) == []  # no dist/ made


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


@pytest.mark.parametrize("command", [["serve"], ["export", "--format", "csv"], ["export-parquet"]])
def test_serve_and_export_of_a_folder_say_to_give_the_database_file(tmp_path, command):
    # They said "no database here; run `papers-db build` first", even of a folder named papers.db.
    for folder in (tmp_path, tmp_path / "papers.db"):
        folder.mkdir(exist_ok=True)
        result = run_cli(*command, "--db", folder, *(["--output", tmp_path / "out"] if command[0] != "serve" else []))
        assert (result.returncode, result.stdout, result.stderr) == (
            2, "", f"error: {folder}: is a folder; give the database file's path\n")
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["serve"], ["export", "--format", "csv"], ["export-parquet"]])
def test_serve_and_export_of_a_pipe_say_it_is_no_regular_file(tmp_path, command):
    # A FIFO named papers.db was told "no database here; run `papers-db build` first" (found by review).
    pipe = tmp_path / "papers.db"
    os.mkfifo(pipe)
    result = run_cli(*command, "--db", pipe, *(["--output", tmp_path / "out"] if command[0] != "serve" else []))
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"error: {pipe}: is not a regular file (a pipe, device or socket); give the database file's path\n")
    assert not (tmp_path / "out").exists()


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
    for piece in ("--metadata metadata.yml", "--plugins-dir papers_db/plugin", "--template-dir papers_db/plugin/templates",
                  "datasette-vega"):
        assert piece in publish


def test_readme_publish_command_pins_the_tested_versions():
    from importlib.metadata import version

    readme = (PROJECT / "README.md").read_text()
    publish = readme[readme.index("datasette publish cloudrun"):].split("```")[0]
    for package in ("datasette", "datasette-vega"):
        assert f"--install {package}=={version(package)}" in publish


# What `datasette publish` runs on its host: Datasette with the plugin loaded from a folder
# (--plugins-dir) and no papers_db to import. Datasette's own switch for its tests keeps it from
# loading installed plugins, which here include this package's.
WITHOUT_THE_PACKAGE = ("import sys; sys._called_from_test = True; sys.modules['papers_db'] = None; "
                       "from datasette.cli import cli; cli()")


def test_the_plugin_serves_from_a_folder_where_the_package_is_not_installed(built_db, tmp_path):
    from papers_db.plugin import SERVED_FILES_VARIABLE
    from papers_db.serve import SERVED_FILES_VARIABLE as handed_by_serve

    assert SERVED_FILES_VARIABLE == handed_by_serve
    folder = shutil.copytree(PROJECT / "papers_db" / "plugin", tmp_path / "plugin", ignore=shutil.ignore_patterns("__pycache__"))
    snapshot = sqlite3.connect(built_db).execute("SELECT snapshot_date FROM sources WHERE snapshot_date IS NOT NULL").fetchone()[0]
    inspect_file = built_db.parent / "papers-inspect.json"  # as `datasette publish` passes it
    assert inspect_file.exists()
    for path, says in [("/-/plugins.json", '"name": "__init__.py"'), (f"/papers/trending_on?snapshot_date={snapshot}", "<tr>"),
                       ("/papers/search?q=diffusion", "<mark>"), ("/papers/papers.json?_through=abc", "not valid"),
                       # its queries in the event loop: the plugin was looked up by a name "__init__.py" is not known by (review)
                       ("/papers/papers?tier=oral", "<tr>")]:
        result = subprocess.run(
            [sys.executable, "-c", WITHOUT_THE_PACKAGE, "serve", "-i", str(built_db), "--inspect-file", str(inspect_file),
             "--metadata", str(PROJECT / "metadata.yml"),
             "--plugins-dir", str(folder), "--template-dir", str(folder / "templates"), "--get", path],
            capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert says in result.stdout, (path, result.stderr[-2000:])


def test_build_writes_the_inspect_file_datasette_would(tmp_path):
    import json

    output = tmp_path / "papers.db"
    assert run_cli("build", "--output", output).returncode == 0
    ours = json.loads((tmp_path / "papers-inspect.json").read_text())
    inspected = subprocess.run([sys.executable, "-m", "datasette", "inspect", str(output)],
                               capture_output=True, text=True, check=True).stdout
    theirs = json.loads(inspected)
    assert ours["papers"]["tables"] == theirs["papers"]["tables"]
    assert ours["papers"]["hash"] == theirs["papers"]["hash"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert ours["papers"]["size"] == theirs["papers"]["size"]
    assert ours["papers"]["tables"]["papers"] == {"count": 319}
    # Each view's rows too, under a key of their own (Datasette lists whatever is under "tables"
    # as a table): the whole view's page takes its count from here.
    with sqlite3.connect(output) as conn:
        views = [name for (name,) in conn.execute("select name from sqlite_master where type = 'view' order by name")]
        counted = {name: {"count": conn.execute(f"select count(*) from [{name}]").fetchone()[0]} for name in views}
    assert ours["papers"]["views"] == counted and len(views) >= 5
    assert ours["papers"]["views"]["paper_overview"] == {"count": 319}  # one row per paper


def test_serve_refuses_a_database_its_metadata_does_not_describe(tmp_path):
    other = tmp_path / "other.db"
    assert run_cli("build", "--output", other).returncode == 0
    result = run_cli("serve", "--db", other)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "serve a file named papers.db" in " ".join(result.stderr.split())


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papers-inspect.json", "papers.db", "papers.db.sha256"]


# --- Pipelines: results on stdout, JSON, no truncation, names printed as they are ---------------


def shell(command, cwd):
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_build_json_is_valid_json_for_a_pipeline(tmp_path):
    output = tmp_path / "papers.db"
    result = shell(f"{cli_shell('build', '--json', '--output', output)} | {sys.executable} -m json.tool",
                   cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["papers"], report["listings"], report["parse_issues"]) == (319, 336, 0)  # README: the seeds
    assert report["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    vendored = sorted(p for p in SOURCES.iterdir() if p.suffix == ".txt")
    assert [(f["name"], f["lines"]) for f in report["files"]] == [
        (p.name, len(p.read_bytes().splitlines())) for p in vendored]


def test_check_json_reports_every_file(tmp_path):
    broken = tmp_path / "sources"
    broken.mkdir()
    (broken / "notes.txt").write_text("just a note\n", encoding="utf-8")
    result = run_cli("check", broken, "--json")
    report = json.loads(result.stdout)
    assert [file["name"] for file in report["files"]] == ["notes.txt"]
    assert [issue["code"] for issue in report["files"][0]["issues"]] == ["not_a_listing"]
    # `build` refuses sources of which no file holds a listing, and `check` passed them: now both
    # fail, and under --json both print the failure's one object, with the files.
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "error: no readable listing among the sources: nothing to build"
    built = run_cli("build", broken, "--json", "--output", tmp_path / "papers.db")
    assert (built.returncode, json.loads(built.stdout)) == (1, report)
    assert report["error"] == "no readable listing among the sources: nothing to build" and report["exit_status"] == 1
    (broken / "listing.txt").write_bytes((SOURCES / "000_171567d686ec3e55.txt").read_bytes())
    report = json.loads(run_cli("check", broken, "--json").stdout)
    assert [file["name"] for file in report["files"]] == ["listing.txt", "notes.txt"] and report["unaccounted"] == 0


def test_check_fails_where_build_would_find_nothing_to_build_and_passes_where_one_file_reads(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "random.bin").write_bytes(bytes(random.Random(5).randrange(256) for _ in range(5000)))
    (folder / "notes.txt").write_text("just a note\n\nanother note\n", encoding="utf-8")
    for command in ("check", "build"):
        result = run_cli(command, folder, *(["--output", tmp_path / "papers.db"] if command == "build" else []))
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.splitlines()[-1] == "error: no readable listing among the sources: nothing to build"
    shutil.copy(SOURCES / "000_171567d686ec3e55.txt", folder)
    result = run_cli("check", folder)
    assert result.returncode == 0, result.stderr


def test_a_failure_under_json_is_one_json_object_on_stdout(tmp_path):
    # stdout was empty, and a script reading the report met "Expecting value" (found by review).
    from listing_texts import ABSTRACT_A, review_text

    notes, mixed, bad_manifest = tmp_path / "notes", tmp_path / "mixed", tmp_path / "bad-manifest"
    for folder in (notes, mixed, bad_manifest):
        folder.mkdir()
        (folder / "notes.txt").write_text("just a note\n", encoding="utf-8")
    (mixed / "review.txt").write_text(review_text("A Title About Lenders", ABSTRACT_A), encoding="utf-8")
    (bad_manifest / "manifest.toml").write_text('[source]\nfile = "notes.txt"\nformat = "review_listing"\n')
    output = ["--output", tmp_path / "out" / "papers.db"]
    note_issue = {"line": None, "code": "not_a_listing", "message": (
        "its 1 line reads as neither a review listing (titles and their abstracts) nor a Hugging Face Daily Papers page; "
        "nothing was read from it")}
    notes_file = {"name": "notes.txt", "format": None, "lines": 1, "records": 0, "issues": [note_issue], "unaccounted": []}
    review_file = {"name": "review.txt", "format": "review_listing", "lines": 2, "records": 1, "issues": [], "unaccounted": []}
    cases = [
        (["build", tmp_path / "nosuch", "--json", *output], 2, f"{tmp_path / 'nosuch'}: no such file or folder", None),
        (["check", tmp_path / "nosuch", "--json"], 2, f"{tmp_path / 'nosuch'}: no such file or folder", None),
        (["check", bad_manifest, "--json"], 2, f"{bad_manifest / 'manifest.toml'}:1: [source] is one table; describe each "
                                               "file in a [[source]] table (two brackets)", None),
        (["build", "--json", "--bogus"], 2, "No such option: --bogus (see build_db.py build --help)", None),
        # Where the files are the reason, they are reported as the report gives them.
        (["build", notes, "--json", *output], 1, "no readable listing among the sources: nothing to build", [notes_file]),
        (["build", mixed, "--strict", "--json", *output], 1, "1 parse issue and --strict was given: database not written",
         [notes_file, review_file]),
    ]
    for arguments, status, message, files in cases:
        result = run_cli(*arguments)
        assert (result.returncode, result.stderr.splitlines()[-1]) == (status, f"error: {message}"), arguments
        expected = {"error": message, "exit_status": status}
        if files is not None:
            expected |= {"parse_issues": sum(len(file["issues"]) for file in files), "files": files}
        assert json.loads(result.stdout) == expected, arguments
    assert not (tmp_path / "out").exists()
    # Without --json, stdout stays empty; so it does where "--json" is an option's value, a file's name.
    assert run_cli("check", tmp_path / "nosuch").stdout == ""
    result = run_cli("build", "-o", "--json", tmp_path / "nosuch", "--bogus")
    assert (result.returncode, result.stdout) == (2, "")


def test_an_interruption_under_json_is_one_json_object_on_stdout(capsys):
    import typer

    from papers_db import cli

    @cli.one_line_errors
    def interrupted(as_json):
        raise cli.Interrupted(signal.SIGTERM)

    for as_json in (True, False):
        with pytest.raises(typer.Exit) as ended:
            interrupted(as_json=as_json)
        assert ended.value.exit_code == 143
        shown = capsys.readouterr()
        assert shown.err == "error: interrupted by SIGTERM\n"
        assert (json.loads(shown.out) if as_json else shown.out) == (
            {"error": "interrupted by SIGTERM", "exit_status": 143} if as_json else "")


def names_printed_as_they_are(tmp_path):
    """Sources whose names rich would read as markup or emoji, one longer than 80 columns."""
    folder = tmp_path / "sources"
    folder.mkdir()
    long_name = "[bold]" + "x" * 90 + " :thumbs_up:.txt"
    shutil.copy(SOURCES / "001_d90573da5af4b331.txt", folder / long_name)
    (folder / "[red]notes.txt").write_bytes(b"not \xff a listing\n")
    return folder, long_name


def test_build_piped_is_not_truncated_and_names_print_literally(tmp_path):
    folder, long_name = names_printed_as_they_are(tmp_path)
    result = shell(f"{cli_shell('build', folder, '--output', tmp_path / 'papers.db')} | cat",
                   cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert long_name in result.stdout and "[red]notes.txt" in result.stdout
    assert "[red]notes.txt: text not in UTF-8" in result.stderr  # a warning: stderr
    assert "👍" not in result.stdout + result.stderr


def test_an_unexpected_error_is_one_line_and_debug_shows_its_traceback(capsys, monkeypatch):
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
    with pytest.raises(typer.Exit) as ended:
        broken()
    assert ended.value.exit_code == 70
    traceback, line = capsys.readouterr().err.strip().rsplit("\n", 1)
    assert traceback.startswith("Traceback (most recent call last):") and "in broken" in traceback
    assert traceback.endswith("ValueError: a [bold]bug[/]\nover two lines")
    assert line.startswith("error: unexpected ValueError: a [bold]bug[/] over two lines (a bug")
    assert "--debug" in run_cli("--help").stdout


def test_an_unexpected_os_error_under_debug_is_a_bug_with_its_traceback_not_the_helps_output(tmp_path):
    # The command's main caught an OSError raised on under --debug as the help's own output
    # failing: "the help could not be written to standard output", exit 3, and no traceback.
    script = ("import errno, sys; from papers_db import cli; "
              "cli.check_sources = lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EIO, 'Input/output error')); "
              "sys.argv = ['papers-db', *sys.argv[1:]]; cli.main()")
    for debug in ([], ["--debug"]):
        result = subprocess.run([sys.executable, "-c", script, *debug, "check", str(SOURCES)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 70, result.stderr
        assert result.stderr.splitlines()[-1] == ("error: unexpected OSError: [Errno 5] Input/output error "
                                                  "(a bug: please report it with the output of --debug)")
        assert ("Traceback (most recent call last):" in result.stderr) == bool(debug)


@pytest.mark.parametrize("raised", ["Interrupted(signal.SIGINT)", "RuntimeError('made while signalled')"])
def test_an_interruption_under_debug_shows_where_it_came_then_its_line(raised):
    # --help says --debug shows the traceback of an interruption; it printed the line alone (review).
    # A signal Python reports as raised over (a class's __set_name__) shows its traceback too.
    script = ("import signal, sys; from papers_db import cli; from papers_db.errors import Interrupted\n"
              "def interrupted(*a, **k):\n"
              "    try:\n"
              "        raise Interrupted(signal.SIGINT)\n"
              "    except Interrupted:\n"
              f"        raise {raised}\n"
              "cli.check_sources = interrupted; sys.argv = ['papers-db', *sys.argv[1:]]; cli.main()")
    for debug in ([], ["--debug"]):
        result = subprocess.run([sys.executable, "-c", script, *debug, "check", str(SOURCES)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 130, result.stderr
        assert result.stderr.splitlines()[-1] == "error: interrupted by SIGINT"
        assert ("Traceback (most recent call last):" in result.stderr) == bool(debug), result.stderr
        assert ("in interrupted" in result.stderr) == bool(debug)


def test_serve_and_export_refuse_what_is_not_a_built_database_in_one_line(tmp_path, built_db):
    import shutil

    cases = {"not-sqlite": b"these are not the bytes of a database\n", "empty-sqlite": None, "damaged": None,
             "other-application": None, "older-schema": None}
    for name in cases:
        (tmp_path / name).mkdir()
    (tmp_path / "not-sqlite" / "papers.db").write_bytes(cases["not-sqlite"])
    sqlite3.connect(tmp_path / "empty-sqlite" / "papers.db").execute("create table other (x)").connection.close()
    # Another tool's tables of the same common names were served, each page a 400 (found by review).
    with sqlite3.connect(tmp_path / "other-application" / "papers.db") as other:
        other.executescript("pragma application_id = 12345; create table papers (doi); create table listings (shop); "
                            "create table sources (url);")
    other.close()
    older = tmp_path / "older-schema" / "papers.db"
    shutil.copy(built_db, older)
    with sqlite3.connect(older) as conn:
        built_version = conn.execute("pragma user_version").fetchone()[0]
        conn.execute(f"pragma user_version = {built_version - 1}")
    conn.close()
    damaged = tmp_path / "damaged" / "papers.db"
    shutil.copy(built_db, damaged)
    with damaged.open("r+b") as file:
        file.seek(100)  # past the 100-byte header: the schema page is overwritten
        file.write(b"\xff" * 20_000)
    expected = {"not-sqlite": "not an SQLite database", "empty-sqlite": "not a papers-db database",
                "damaged": "damaged SQLite database", "other-application": "not a papers-db database (application_id 12345",
                "older-schema": f"a papers-db database of schema version {built_version - 1}, and this papers-db reads "
                                f"version {built_version}; rebuild it"}
    for name, message in expected.items():
        database = tmp_path / name / "papers.db"
        for command in (["serve", "--db", database], ["export-parquet", "--db", database, "--output", tmp_path / "out"],
                        ["export", "--db", database, "--output", tmp_path / "out", "--format", "csv"]):
            result = run_cli(*command)
            assert (result.returncode, result.stderr.count("\n")) == (1, 1), (name, command, result.stderr)
            assert "Traceback" not in result.stderr and message in result.stderr, (name, result.stderr)
            assert str(database) in " ".join(result.stderr.split())


def test_json_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    # `check --json | head -1` closed the pipe before the report was written: that ended as an
    # "unexpected BrokenPipeError (a bug)" with status 70.
    many = tmp_path / "many"
    many.mkdir()
    for number in range(400):
        (many / f"{number:04}.txt").write_text("just a note\n", encoding="utf-8")
    # And one listing: with none, check fails (exit 1) as build does, whatever reads its output.
    shutil.copy(SOURCES / "000_171567d686ec3e55.txt", many / "listing.txt")
    command = f"{cli_shell('check', many, '--json')} | head -c 10; echo \" status=${{PIPESTATUS[0]}}\""
    result = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.stdout.startswith("{") and "status=141" in result.stdout, result.stdout
    assert "BrokenPipeError" not in result.stderr and "Traceback" not in result.stderr


def test_an_ambiguous_title_is_a_warning_and_fails_a_strict_build(tmp_path):
    # Found only once every file is read; it was stored in parse_issues but never printed.
    from listing_texts import AMBIGUOUS_TITLE_LINE, AMBIGUOUS_TITLE_LISTING, HOMONYM

    (tmp_path / "review.txt").write_text(AMBIGUOUS_TITLE_LISTING, encoding="utf-8")
    # The message names the title as the listing gave it (lower case here), as the README says.
    warning = (f"warning: review.txt:{AMBIGUOUS_TITLE_LINE}: title {HOMONYM.lower()!r} with no abstract matches two "
               "or more papers: kept as a paper of its own [ambiguous_title]")
    result = run_cli("build", tmp_path / "review.txt", "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    assert warning in result.stderr.splitlines()
    with sqlite3.connect(tmp_path / "papers.db") as conn:
        assert conn.execute("select line from parse_issues where code = 'ambiguous_title'").fetchall() == [(AMBIGUOUS_TITLE_LINE,)]

    strict = run_cli("build", tmp_path / "review.txt", "--strict", "--output", tmp_path / "strict" / "papers.db")
    assert strict.returncode == 1
    assert "--strict was given: database not written" in strict.stderr
    assert not (tmp_path / "strict").exists() or list((tmp_path / "strict").iterdir()) == []


def test_build_imports_nothing_from_the_folder_it_runs_in(tmp_path):
    # The build's helper processes start as `python -c`: a threading.py in the folder stopped them all.
    folder = folder_of_shadowing_modules(tmp_path / "scratch")
    result = run_cli("build", SOURCES, "--output", tmp_path / "out" / "papers.db", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert not (folder / "ran.txt").exists(), (folder / "ran.txt").read_text()


def test_a_build_with_standard_output_closed_says_so_and_builds_nothing(tmp_path):
    # `build >&-`: rich asked the missing stdout whether it was a terminal, and a traceback followed.
    output = tmp_path / "dist" / "papers.db"
    result = subprocess.run(cli_shell("build", SOURCES, "--output", output) + " >&-", shell=True, cwd=PROJECT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr == ("error: standard output is closed: the results have nowhere to go (send them to "
                             "/dev/null to drop them)\n")
    assert not output.parent.exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_report_that_cannot_be_written_says_the_database_was_replaced(tmp_path):
    # `build > /dev/full`: the files were in place, then writing the report failed, reported as a
    # bug (exit 70) that did not say the database had been replaced.
    output = tmp_path / "papers.db"
    with open("/dev/full", "w") as full:
        result = subprocess.run(cli_command("build", SOURCES, "--output", output), cwd=PROJECT, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=300)
    assert result.returncode == 3
    assert result.stderr == (f"error: {output}, its .sha256 and its inspect file were replaced by the new build, but the "
                             "report could not be written to standard output: No space left on device\n")
    assert sqlite3.connect(output).execute("select count(*) from papers").fetchone() == (319,)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("command", ["check", "export"])
def test_results_that_cannot_be_written_are_one_line(built_db, tmp_path, command):
    arguments = ["check", SOURCES] if command == "check" else [
        "export", "--db", built_db, "--output", tmp_path / "export", "--format", "csv"]
    with open("/dev/full", "w") as full:
        result = subprocess.run(cli_command(*arguments), cwd=PROJECT, stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=300)
    assert result.returncode == 3
    what = "the report" if command == "check" else f"the files were written into {tmp_path / 'export'}, but their list"
    assert result.stderr == f"error: {what} could not be written to standard output: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("arguments", [["--help"], ["build", "--help"], ["serve", "--help"], [], ["--version"]])
def test_help_that_cannot_be_written_is_one_line(arguments):
    # `--help > /dev/full` ended in typer's 45-line traceback and exit 1.
    with open("/dev/full", "w") as full:
        result = subprocess.run(cli_command(*arguments), cwd=PROJECT, stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=60)
    what = "the version" if arguments == ["--version"] else "the help"
    assert result.returncode == 3
    assert result.stderr == f"error: {what} could not be written to standard output: No space left on device\n"


def test_version_names_the_package_release_and_the_schema_a_build_writes(built_db):
    # The same two numbers a built file records in build_info, which a bug report can set side by side.
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    schema = re.search(r"PRAGMA user_version = (\d+);", (PROJECT / "sql" / "schema.sql").read_text(encoding="utf-8"))[1]
    result = run_cli("--version")
    assert (result.returncode, result.stdout, result.stderr) == (
        0, f"papers-db {project['version']} (builds database schema version {schema})\n", "")
    with sqlite3.connect(built_db) as conn:
        assert conn.execute("select package_version, schema_version from build_info").fetchall() == [
            (project["version"], int(schema))]


@pytest.mark.parametrize("arguments", [["--help"], ["build", "--help"]])
def test_help_piped_to_a_reader_that_stops_ends_quietly(arguments):
    # It ended with exit 1, "bad input", through typer's own handlers (found by review).
    result = subprocess.run(cli_shell(*arguments) + " | true; exit ${PIPESTATUS[0]}", shell=True,
                            executable="/bin/bash", cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (141, "")


def test_an_exit_1_of_typers_own_is_not_taken_for_a_reader_that_stopped():
    # Typer answers a shell-completion variable even with completion off, and ends with 1; the
    # mapping of help's broken pipe to 141 took it for one (found by review).
    for stdout in (subprocess.PIPE, subprocess.DEVNULL):
        result = subprocess.run(cli_command("check"), cwd=PROJECT, stdout=stdout, stderr=subprocess.PIPE, text=True,
                                timeout=60, env={**os.environ, "_BUILD_DB.PY_COMPLETE": "complete_x"})
        assert (result.returncode, result.stderr) == (1, "Shell x not supported.\n")


@pytest.mark.parametrize("report", ["build --json", "build", "check", "export"])
def test_results_piped_to_a_reader_that_stops_end_quietly(tmp_path, built_db, report):
    # `build --json | head`: the reader went away; as other Unix tools do, the command ends with
    # the status of SIGPIPE and says nothing (its files are in place). f49df5a made it exit 3 with
    # a line; the reports that rich prints (tables, the export's list) ended with exit 1, "bad input".
    output = tmp_path / "papers.db"
    arguments = {"build --json": ["build", SOURCES, "--output", output, "--json"],
                 "build": ["build", SOURCES, "--output", output], "check": ["check", SOURCES],
                 "export": ["export", "--db", built_db, "--output", tmp_path / "export", "--format", "csv"]}[report]
    result = subprocess.run(cli_shell(*arguments) + " | true; exit ${PIPESTATUS[0]}",
                            shell=True, executable="/bin/bash", cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stderr) == (141, "")
    written = {"build --json": output, "build": output, "export": tmp_path / "export" / "papers.csv"}.get(report)
    assert written is None or written.exists()  # check writes no file


def test_a_failed_build_leaves_no_folder_it_made_for_its_output(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "kept").mkdir()
    result = run_cli("build", tmp_path / "empty.txt", "--output", tmp_path / "kept" / "new" / "deeper" / "papers.db")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "error: no readable listing among the sources: nothing to build"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["empty.txt", "kept"]
    assert list((tmp_path / "kept").iterdir()) == []


@pytest.mark.parametrize(("arguments", "message"), [
    (["serve", "--port", "70000"], "Invalid value for '--port' / '-p': Input should be less than or equal to 65535 "
                                   "(see build_db.py serve --help)"),
    (["build", "--bogus"], "No such option: --bogus (see build_db.py build --help)"),
    (["nosuch"], "No such command 'nosuch'. (see build_db.py --help)"),
    # Without the hint: click names no command where an option's value is missing.
    (["build", "-o"], "Option '-o' requires an argument. (see build_db.py build --help)"),
    (["--debug", "export-parquet", "--db", "x", "--output"],
     "Option '--output' requires an argument. (see build_db.py export-parquet --help)"),
    (["-o"], "No such option: -o (see build_db.py --help)"),
    # The program's own options, after the command: told where they go (found by review).
    (["build", "--debug"], "No such option: --debug (--debug goes before the command: build_db.py --debug build ...)"),
    (["export", "--version"], "No such option: --version (--version goes before the command: build_db.py --version)"),
    # Without click's "Possible options: --json", which said the opposite (review).
    (["build", "--version"], "No such option: --version (--version goes before the command: build_db.py --version)"),
    (["serve", "--debug"], "No such option: --debug (--debug goes before the command: build_db.py --debug serve ...)"),
    # Before the command already: no such hint.
    (["--debug", "build", "--debug"], "No such option: --debug (see build_db.py build --help)"),
    # It said "Value error, 'xml' is not one of ...", pydantic's words, not the command's.
    (["export", "--format", "xml"], "Invalid value for '--format' / '-f': 'xml' is not one of 'parquet', 'csv', 'json', 'jsonl'. "
                                    "(see build_db.py export --help)"),
])
def test_a_usage_error_is_one_line(arguments, message):
    # Six lines before: the usage, a hint, and the message in a box.
    result = run_cli(*arguments)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


@pytest.mark.parametrize("command", ["build", "check"])
def test_help_says_which_files_of_a_folder_are_read(command):
    # It said "every file in a folder is read", but hidden files and subfolders are not (found by review).
    shown = " ".join(run_cli(command, "--help", env={**os.environ, "COLUMNS": "1000"}).stdout.split())
    assert "every file directly in a folder is read, not hidden ones or subfolders" in shown


def test_export_format_is_a_choice_of_any_case(built_db, tmp_path):
    # A plain string: `--format CSV` was "CSV: unknown export format", after the database was checked.
    result = run_cli("export", "--db", built_db, "--output", tmp_path / "out", "--format", "CSV")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "papers.csv").is_file()
    result = run_cli("export", "--db", tmp_path / "missing.db", "--output", tmp_path / "none", "--format", "xml")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: Invalid value for '--format' / '-f': ") and result.stderr.count("\n") == 1
    assert "'xml' is not one of 'parquet', 'csv', 'json', 'jsonl'" in result.stderr
    assert "<parquet|csv|json|jsonl>" in run_cli("export", "--help", env={**os.environ, "COLUMNS": "1000"}).stdout
    assert not (tmp_path / "none").exists()
    # "jsonl", its files' own suffix, as the library takes it (a review of the library).
    result = run_cli("export", "--db", built_db, "--output", tmp_path / "jl", "--format", "jsonl")
    assert result.returncode == 0 and (tmp_path / "jl" / "papers.jsonl").is_file(), result.stderr


def test_flags_are_shown_as_taking_no_value():
    # typer showed "--strict <bool>", and `--strict true` then read "true" as a source.
    shown = run_cli("build", "--help").stdout
    for flag in ("--strict", "--json", "--no-related"):
        line = next(line for line in shown.splitlines() if flag in line)
        assert "<bool>" not in line, line
    assert "papers-inspect.json" in " ".join(shown.split())


def test_the_starting_command_handles_the_signals_the_command_does_and_writes_its_json():
    # command.py names them itself, so that it imports nothing before their handlers are set.
    from papers_db import command, errors

    assert command.ENDING_SIGNALS == errors.ENDING_SIGNALS
    message = "interrupted by SIGQUIT"
    assert command.json_failure(message, 131) == json.dumps({"error": message, "exit_status": 131}, indent=2)
    imported = subprocess.run([sys.executable, "-c", "import sys; before = set(sys.modules); import papers_db.command; "
                               "print(*sorted(set(sys.modules) - before))"], cwd=PROJECT, capture_output=True, text=True,
                              check=True).stdout.split()
    assert set(imported) <= {"papers_db", "papers_db.command", "signal", "__future__"}, imported


PYTHONS_OWN_START = "Fatal Python error: init_import_site: Failed to import the site module\n"


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks here")
def test_the_checkouts_command_holds_the_ending_signals_until_their_handlers_are_set():
    # A Ctrl-C while build_db.py imported the command's first module printed that import's
    # traceback on a loaded machine. It now blocks them first; the command's main unblocks them
    # once its handlers are set, and one sent meanwhile is then delivered.
    from papers_db import command

    program = ("import runpy, signal; runpy.run_path('build_db.py'); "
               "print(*sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])))")
    held = subprocess.run([sys.executable, "-c", program], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert held.stdout.split() == [str(int(number)) for number in sorted(command.NAMED_SIGNALS)]
    program = ("import os, runpy, signal, sys; runpy.run_path('build_db.py'); os.kill(os.getpid(), signal.SIGTERM); "
               "print('still running', flush=True); sys.argv = ['build_db.py', '--help']; "
               "from papers_db.command import main; main()")
    ended = subprocess.run([sys.executable, "-c", program], cwd=PROJECT, capture_output=True, text=True)
    assert (ended.returncode, ended.stdout, ended.stderr) == (128 + signal.SIGTERM, "still running\n",
                                                            "error: interrupted by SIGTERM\n")


# A command run through the entry point (its arguments after the signal's name), with the signal
# as it returns, once its handlers are put back and its report is printed.
SIGNAL_AS_THE_COMMAND_RETURNS = """
import signal, sys
from papers_db import cli, command

ran, ending = cli.main, getattr(signal, sys.argv[1])

def run_then_signal():
    try:
        ran()
    finally:
        signal.raise_signal(ending)

cli.main = run_then_signal
sys.argv = ["papers-db", *sys.argv[2:]]
command.main()
"""


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_signal_once_the_json_report_is_printed_adds_no_second_document(tmp_path, command, ending):
    # CI (2026-12-05) met a Ctrl-C as `check --json` returned: stdout held the report, then the
    # failure's object, which no JSON reader takes. stdout holds the report; the line says the rest.
    # Without PYTHONUNBUFFERED (this machine sets it): stdout a pipe, what Python holds of the report
    # was dropped by the process's end (found by review).
    number = getattr(signal, ending)
    arguments = ["check", SOURCES] if command == "check" else ["build", "--no-related", "-o", tmp_path / "papers.db"]
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AS_THE_COMMAND_RETURNS, ending, *map(str, arguments), "--json"],
                           capture_output=True, text=True, timeout=300, cwd=PROJECT, env=buffered_environment())
    done = f" once the work was done: {tmp_path / 'papers.db'}, its .sha256 and its inspect file were replaced by the new build"
    assert (ended.returncode, ended.stderr) == (128 + number, f"error: interrupted by {ending}{done if command == 'build' else ''}\n")
    report = json.loads(ended.stdout)
    assert "error" not in report and len(report["files"]) == len(list(SOURCES.glob("*.txt")))


def buffered_environment():
    return {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_signal_once_a_failure_is_told_adds_nothing(tmp_path, command):
    # A failure under --json, then a Ctrl-C as the command returned: a second error line, and exit
    # 130 where the object said 2 (found by review). The failure stands as it was told.
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AS_THE_COMMAND_RETURNS, "SIGINT", command, str(tmp_path / "nosuch"),
                            *(["-o", str(tmp_path / "papers.db")] if command == "build" else []), "--json"],
                           capture_output=True, text=True, timeout=300, cwd=PROJECT, env=buffered_environment())
    message = f"{tmp_path / 'nosuch'}: no such file or folder"
    assert (ended.returncode, ended.stderr) == (2, f"error: {message}\n")
    assert json.loads(ended.stdout) == {"error": message, "exit_status": 2}


# `check --json` with a SIGINT while its report is encoded (json.dumps runs Python code, where
# a handler runs).
SIGNAL_AS_THE_REPORT_IS_ENCODED = """
import json, signal, sys
from papers_db.command import main

encode, calls = json.dumps, []

def encode_signalled(*args, **kwargs):
    calls.append(None)
    if len(calls) == 1:
        signal.raise_signal(signal.SIGINT)
    return encode(*args, **kwargs)

json.dumps = encode_signalled
sys.argv = ["papers-db", "check", sys.argv[1], "--json"]
main()
"""


def test_a_signal_while_the_json_report_is_encoded_leaves_the_failure_on_stdout():
    # The report's flag was set before it was encoded, so the failure's object was held back and
    # stdout was empty (found by review).
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AS_THE_REPORT_IS_ENCODED, str(SOURCES)], capture_output=True,
                           text=True, timeout=120, cwd=PROJECT, env=buffered_environment())
    assert (ended.returncode, ended.stderr) == (130, "error: interrupted by SIGINT\n")
    assert json.loads(ended.stdout) == {"error": "interrupted by SIGINT", "exit_status": 130}


# A command whose first write to stdout meets a SIGTERM, or whose told failure is followed by one.
SIGNAL_AT = """
import signal, sys
from papers_db import cli
from papers_db.command import main

where = sys.argv[1]


class SignalledOnFirstWrite:
    def __init__(self, stream):
        self.stream, self.signalled = stream, False

    def write(self, text):
        if not self.signalled:
            self.signalled = True
            signal.raise_signal(signal.SIGTERM)
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


if where == "first write":
    sys.stdout = SignalledOnFirstWrite(sys.stdout)
else:
    told = cli.failure_json

    def told_then_signal(*args, **kwargs):
        told(*args, **kwargs)
        signal.raise_signal(signal.SIGTERM)
    cli.failure_json = told_then_signal
sys.argv = ["papers-db", *sys.argv[2:]]
main()
"""


def test_a_signal_as_the_json_report_is_written_leaves_it_whole():
    # The report counted as begun before it was written: a signal then left stdout empty (found by review).
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AT, "first write", "check", str(SOURCES), "--json"],
                           capture_output=True, text=True, timeout=120, cwd=PROJECT, env=buffered_environment())
    assert (ended.returncode, ended.stderr) == (143, "error: interrupted by SIGTERM\n")
    assert len(json.loads(ended.stdout)["files"]) == len(list(SOURCES.glob("*.txt")))


def test_a_signal_once_a_failure_is_told_keeps_its_status(tmp_path):
    # typer made any interruption a 130, whatever the object said (found by review).
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AT, "after the failure", "build", str(tmp_path / "nosuch"),
                            "-o", str(tmp_path / "papers.db"), "--json"],
                           capture_output=True, text=True, timeout=120, cwd=PROJECT, env=buffered_environment())
    message = f"{tmp_path / 'nosuch'}: no such file or folder"
    assert (ended.returncode, ended.stderr) == (2, f"error: {message}\n")
    assert json.loads(ended.stdout) == {"error": message, "exit_status": 2}


# A signal's Interrupted raised while a class is made: Python 3.11 reports it as a RuntimeError
# from __set_name__ (typer's first import of pydantic, as it reads the arguments; or the command's
# own work), with the Interrupted as its cause.
INTERRUPTED_AS_A_CLASS_IS_MADE = """
import signal, sys
from papers_db import cli
from papers_db.command import main
from papers_db.errors import Interrupted


class SignalledAsItIsNamed:
    def __set_name__(self, owner, name):  # where functools.cached_property met the signal
        raise Interrupted(signal.SIGTERM)


def class_made_while_signalled(*args, **kwargs):
    class Made:
        made = SignalledAsItIsNamed()


if sys.argv[1] == "parsing":
    cli.app = class_made_while_signalled
else:
    cli.check_sources = class_made_while_signalled
sys.argv = ["papers-db", "check", sys.argv[2], "--json"]
main()
"""


@pytest.mark.parametrize("where", ["parsing", "command"])
def test_a_signal_python_reports_as_a_classs_error_is_an_interruption(where):
    # 1 in about 360 signals 0.12-0.32 s into a command was a 68-line traceback with status 1 (found by review).
    ended = subprocess.run([sys.executable, "-c", INTERRUPTED_AS_A_CLASS_IS_MADE, where, str(SOURCES)],
                           capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert (ended.returncode, ended.stderr) == (143, "error: interrupted by SIGTERM\n")
    assert json.loads(ended.stdout) == {"error": "interrupted by SIGTERM", "exit_status": 143}


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("as_json", [False, True])
def test_a_signal_while_the_command_starts_is_one_line(ending, as_json):
    # Ctrl-C in the first 0.35 s, while the command loaded, printed a traceback of the imports
    # under way, or, while typer made the command from its functions, of typer's. Under --json,
    # stdout was empty (found by review): it holds the failure, or the report.
    number = getattr(signal, ending)
    for delay in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):
        process = subprocess.Popen(cli_command("check", SOURCES, *(["--json"] if as_json else [])), cwd=PROJECT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        process.send_signal(number)
        out, shown = process.communicate(timeout=60)
        if shown.startswith(PYTHONS_OWN_START):
            # On a loaded machine (CI, 2026-12-03) Python itself was still starting after 0.05 s,
            # importing `site`, before any line of the command runs: its report, not the command's.
            # No frame of the checkout's own files (the editable install's finder, in site-packages, runs in site).
            assert str(PROJECT / "build_db.py") not in shown and str(PROJECT / "papers_db") not in shown, (delay, shown)
            continue
        assert "Traceback" not in shown, (delay, shown)
        # Ended by the signal, as it says; or, where the signal came once the work was done, as it ended.
        assert (process.returncode, shown) in [(128 + number, f"error: interrupted by {ending}\n"), (-number, ""),
                                               (0, "")], delay
        if as_json and process.returncode == 128 + number:
            # One object: the failure, or, where the signal came as the command returned, its report.
            document = json.loads(out)
            assert document == {"error": f"interrupted by {ending}", "exit_status": 128 + number} or (
                "files" in document and "error" not in document), delay
        elif as_json and process.returncode == 0:
            assert "files" in json.loads(out), delay


def test_the_progress_bar_has_no_total_while_the_database_is_built():
    # After the files were read, the bar stood at 100% for the rest of the build (52 s of 59).
    from rich.console import Console

    from papers_db import cli
    from papers_db.pipeline import Progress

    bar = cli.ProgressBar(console=Console(file=io.StringIO(), force_terminal=True))
    display = cli.ProgressDisplay(bar)
    display(Progress("reading", 0, 2, "a.txt"))
    display(Progress("read", 2, 2, "b.txt", cli.FileSummary("b.txt", "review_listing", 3, 1, [], [])))
    assert [task.percentage for task in bar.tasks] == [100.0]
    for step in ("resolving paper identity", "writing papers and listings"):
        display(Progress("building", name=step))
        assert [(task.description, task.total) for task in bar.tasks] == [(step[:1].upper() + step[1:], None)]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root, to run as another user")
def test_a_source_that_cannot_be_read_is_one_line_and_bad_input_however_it_is_named():
    # Named itself, an unreadable source got typer's six lines and exit 2; in a folder, one line
    # and exit 1 (found by review). Outside pytest's folders, which another user may not enter.
    folder = Path(tempfile.mkdtemp(prefix="papers-db-unreadable-"))
    try:
        folder.chmod(0o755)
        shutil.copy(SOURCES / "000_171567d686ec3e55.txt", folder / "a.txt")
        (folder / "a.txt").chmod(0)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        for given in (folder / "a.txt", folder):
            result = subprocess.run([*as_nobody, *cli_command("check", given)], cwd=folder, capture_output=True,
                                    text=True, timeout=60)
            assert (result.returncode, result.stderr) == (
                1, f"error: {folder / 'a.txt'}: cannot be read: Permission denied\n"), given
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("command", ["export", "build"])
def test_a_signal_once_the_files_are_in_place_says_they_were_written(command, built_db, tmp_path, monkeypatch, capsys):
    # A Ctrl-C while an export listed the files it had put in place said only "interrupted by
    # SIGINT", once or twice, as if an earlier export's files were untouched (found by review).
    from papers_db import cli

    def print_then_signal(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # delivered to the handler the command set, as Ctrl-C is

    monkeypatch.setattr(cli.results, "print", print_then_signal)
    monkeypatch.setattr(cli, "interruption_reported", False)
    monkeypatch.setattr(cli, "work_done", None)
    out = tmp_path / "out"
    arguments = (["export", "--db", str(built_db), "--output", str(out), "--format", "csv"] if command == "export"
                 else ["build", str(SOURCES), "--output", str(out / "papers.db"), "--no-related"])
    monkeypatch.setattr(sys, "argv", ["papers-db", *arguments])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 130
    done = (f"the files were written into {out}" if command == "export"
            else f"{out / 'papers.db'}, its .sha256 and its inspect file were replaced by the new build")
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == [f"error: interrupted by SIGINT once the work was done: {done}"]
    assert len(list(out.glob("*.csv" if command == "export" else "papers.db"))) == (20 if command == "export" else 1)


LONG = "a" * 300  # over the 255 bytes most file systems allow a name
NEARLY_LONG = "b" * 250  # a name that fits, but not with ".sha256" after it


@pytest.mark.parametrize(("arguments", "named", "why"), [
    (["build", "--output", f"{LONG}/papers.db"], f"{LONG}/papers.db", "cannot be used"),
    (["build", "--output", f"{LONG}.db"], f"{LONG}.db", "cannot be used"),
    (["build", "--output", NEARLY_LONG], NEARLY_LONG, f"cannot be used (writing {NEARLY_LONG}.sha256 beside it)"),
    (["build", "--json", "--output", f"{LONG}.db"], f"{LONG}.db", "cannot be used"),
    # In a folder not made yet: the system says "not found" before it looks at the long name, and
    # the folder was made, left behind, and the name refused with exit status 3 (found by review).
    (["build", "--output", f"new/{LONG}.db"], f"new/{LONG}.db", "cannot be used"),
    (["build", "--output", f"new/{NEARLY_LONG}"], f"new/{NEARLY_LONG}",
     f"cannot be used (writing {NEARLY_LONG}.sha256 beside it)"),
    (["export", "--db", "papers.db", "--format", "csv", "--output", f"new/{LONG}"], f"new/{LONG}", "cannot be used"),
    (["export", "--db", "papers.db", "--output", LONG], LONG, "cannot be used"),
    (["export-parquet", "--db", "papers.db", "--output", f"{LONG}/parquet"], f"{LONG}/parquet", "cannot be used"),
    (["serve", "--db", f"{LONG}.db"], f"{LONG}.db", "cannot be read"),
    (["export", "--db", f"{LONG}/papers.db"], f"{LONG}/papers.db", "cannot be read"),
    # A source so named was bad input, exit 1 (found by review of the docs).
    (["build", LONG], LONG, "cannot be read"),
    (["check", f"{LONG}.txt"], f"{LONG}.txt", "cannot be read"),
    (["build", "--output", "out.db", LONG], LONG, "cannot be read"),
])
def test_a_path_whose_name_is_too_long_is_refused_in_one_line_as_a_usage_error(tmp_path, built_db, arguments, named,
                                                                               why):
    # Path.exists() raises for a name over the system's limit: a build or an export ended as a bug
    # (exit 70), "unexpected OSError".
    shutil.copy(built_db, tmp_path / "papers.db")
    before = sorted(path.name for path in tmp_path.iterdir())
    result = run_cli(*arguments, cwd=tmp_path)
    expected = f"error: {named}: {why}: File name too long" + ("" if why == "cannot be read" else "; give another --output")
    assert (result.returncode, result.stderr.splitlines()) == (2, [expected])
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    if "--json" in arguments:
        assert json.loads(result.stdout) == {"error": expected.removeprefix("error: "), "exit_status": 2}


@pytest.mark.parametrize("arguments, expected", [
    (["build", ""], "error: a source path is empty, which names no file or folder; give the sources' path"),
    (["build", "sources", ""], "error: a source path is empty, which names no file or folder; give the sources' path"),
    (["check", ""], "error: a source path is empty, which names no file or folder; give the sources' path"),
    (["export", "--format", "csv", "--output", ""],
     "error: the output folder is empty, which names no folder; give the folder to write the files into"),
    (["export-parquet", "--output", ""],
     "error: the output folder is empty, which names no folder; give the folder to write the files into"),
    # `--db ""` was told ".: is a folder; give the database file's path"
    (["serve", "--db", ""], "error: the database path is empty, which names no file; give the database file's path"),
    (["export", "--db", "", "--format", "csv"],
     "error: the database path is empty, which names no file; give the database file's path"),
    (["export-parquet", "--db", ""], "error: the database path is empty, which names no file; give the database file's path"),
])
def test_an_empty_path_an_unset_variable_gives_is_refused_not_read_as_the_working_folder(tmp_path, built_db,
                                                                                       arguments, expected):
    # `build "$SRC"` with $SRC unset read the working folder as sources, and `export -o ""` wrote
    # every table into it.
    work = tmp_path / "work"
    shutil.copytree(SOURCES, work / "sources")
    shutil.copy(built_db, work / "papers.db")
    before = sorted(path.name for path in work.iterdir())
    database = ["--db", work / "papers.db"] if arguments[0].startswith("export") and "--db" not in arguments else []
    result = run_cli(*arguments, *database, cwd=work)
    assert (result.returncode, result.stderr.splitlines()) == (2, [expected])
    assert sorted(path.name for path in work.iterdir()) == before


def test_a_build_whose_progress_reader_went_away_finishes_and_ends_as_sigpipe(tmp_path):
    # `build 2>&1 | head -1`: the warnings after the first line met a closed pipe, and the build
    # stopped with status 3, "nothing was replaced", in a line nobody could read (found by review).
    from test_load import write_large_listing

    sources = tmp_path / "sources"
    sources.mkdir()
    for name in ("a.txt", "z.txt"):  # each warned of as it is read: z.txt after the first line's reader is gone
        (sources / name).write_text("\n".join(f"Title Alone Number {n}" for n in range(30)) + "\n", encoding="utf-8")
    write_large_listing(sources / "large.txt")
    output = tmp_path / "dist" / "papers.db"
    command = shlex.join(str(part) for part in cli_command("build", sources, "--output", output))
    ended = subprocess.run(["bash", "-c", f"{command} 2>&1 | head -1; exit ${{PIPESTATUS[0]}}"], cwd=PROJECT,
                           capture_output=True, text=True, timeout=300)
    assert ended.returncode == 128 + signal.SIGPIPE, ended
    assert ended.stdout.startswith("warning: a.txt: ")
    with sqlite3.connect(output) as conn:
        assert conn.execute("select count(*) from listings").fetchone() == (8000,)
    assert hashlib.sha256(output.read_bytes()).hexdigest() == (output.parent / "papers.db.sha256").read_text().split()[0]


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_terminal_that_cannot_show_a_character_gets_it_escaped_not_a_bugs_exit(tmp_path, encoding):
    # In a Latin-1 locale the build's last line (its "…") ended a build whose files were in
    # place with exit 70, "a bug"; check, warning of a file named with "—", too (found by review).
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    (sources / "résumé—list.txt").write_text("Title Alone\n", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    output = tmp_path / "papers.db"

    def run(*args):
        ended = subprocess.run(cli_command(*args), cwd=PROJECT, capture_output=True, env=env, timeout=300)
        return ended.returncode, ended.stdout.decode(encoding), ended.stderr.decode(encoding)

    status, stdout, stderr = run("build", sources, "--output", output)
    assert status == 0, stderr
    assert "(sha256 " in stdout and "\\u2026" in stdout
    shown = "r\\xe9sum\\xe9\\u2014list.txt" if encoding == "ascii" else "résumé\\u2014list.txt"
    assert shown in stderr
    status, stdout, stderr = run("build", sources, "--output", output, "--json")
    assert status == 0, stderr
    assert "résumé—list.txt" in json.dumps(json.loads(stdout), ensure_ascii=False)
    status, stdout, stderr = run("check", sources)
    assert status == 0 and shown in stdout + stderr, stderr


def test_the_files_table_shows_every_name_and_format_whole_on_an_80_column_terminal():
    # Found by review: at 80 columns the format was cut (`hf_daily_p…`); a long file name folds instead.
    from rich.console import Console

    from papers_db.cli import files_table
    from papers_db.pipeline import check_sources

    files = check_sources(SOURCES)
    terminal = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    terminal.print(files_table("Line accounting", files))
    shown = terminal.export_text().splitlines()
    assert max(map(len, shown)) <= 80
    rows = []  # [file name, format], a folded name's lines joined
    for line in shown:
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) != 6:
            continue
        if cells[1]:
            rows.append([cells[0], cells[1]])
        else:
            rows[-1][0] += cells[0]
    assert rows == [[file.name, file.format] for file in files]
    assert any(len(file.name) > 20 for file in files)  # the bundled names are 24 characters: folded here
    header = next(line for line in shown if "format" in line)
    assert all(name in header for name in ("file", "lines", "records", "issues", "unaccounted"))
    # Narrower, a line each: below 70 columns the table left the names no width, then lost its last column.
    narrow = Console(width=60, record=True, file=io.StringIO(), color_system=None)
    narrow.print(files_table("Line accounting", files, narrow.width))
    said = " ".join(narrow.export_text().split())
    for file in files:
        assert (f"{file.name}: {file.format}, {file.lines} lines, {file.records} records, {len(file.issues)} issues, "
                f"{len(file.unaccounted)} unaccounted") in said
