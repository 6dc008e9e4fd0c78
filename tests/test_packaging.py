"""The wheel works on its own: installed into a fresh virtual environment and used from a folder
outside the checkout, it builds the same database, serves it with the plugin and its templates,
and answers the library call.

The fresh environment borrows the test environment's dependencies (datasette, numpy, ...) through
a .pth line, so the test needs no network; papers_db itself comes only from the wheel, which the
test checks by where it is imported from."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import PROJECT, SOURCES, free_port, request, serving


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, papers-db command, empty working folder) of a fresh environment with the wheel."""
    root = tmp_path_factory.mktemp("packaging")
    wheels = root / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q", "-w", str(wheels), str(PROJECT)],
                   check=True, capture_output=True, timeout=300)
    shutil.rmtree(PROJECT / "build", ignore_errors=True)  # setuptools' in-tree working folder
    (wheel,) = wheels.glob("papers_db-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=300)
    work = root / "elsewhere"
    work.mkdir()
    return python, venv / "bin" / "papers-db", work


def run(command, cwd):
    return subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": ""})


def test_wheel_carries_the_schema_metadata_and_templates(installed):
    python, _, work = installed
    result = run([python, "-c", "import papers_db, papers_db.resources as r; print(papers_db.__file__); "
                  "print(r.sql_script('schema.sql')); print(r.metadata_yml().read_text()); "
                  "from importlib.resources import files; "
                  "print(sorted(p.name for p in (files('papers_db.plugin') / 'templates').iterdir()))"], work)
    assert result.returncode == 0, result.stderr
    location, *rest = result.stdout.splitlines()
    assert str(PROJECT) not in location and str(python.parent.parent) in location
    assert "CREATE TABLE sources" in result.stdout and "tables:" in result.stdout
    assert "row-papers-papers.html" in result.stdout


def test_installed_command_builds_the_same_database_as_the_checkout(installed, built_db):
    _, papers_db, work = installed
    output = work / "out" / "papers.db"
    result = run([papers_db, "build", SOURCES, "--output", output], work)
    assert result.returncode == 0, result.stderr
    assert sha256(output) == sha256(built_db)
    assert not (work / "dist").exists()  # it wrote only where it was told


def test_library_call_from_outside_the_checkout(installed, built_db):
    python, _, work = installed
    output = work / "library" / "papers.db"
    code = ("import sys; from papers_db import build_database; "
            f"r = build_database([{str(SOURCES)!r}], {str(output)!r}); "
            "print(r.papers, r.listings, r.parse_issues, r.sha256)")
    result = run([python, "-c", code], work)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["319", "336", "0", sha256(built_db)]
    result = run([python, "-c", f"from papers_db import build_database; build_database([{str(work / 'none')!r}], 'x.db')"], work)
    assert result.returncode == 1 and result.stderr.strip().splitlines()[-1].startswith("papers_db.errors.PapersDbError: ")


def test_installed_command_serves_pages_search_and_the_paper_template(installed, built_db, tmp_path):
    _, papers_db, work = installed
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    port = free_port()
    command = [papers_db, "serve", "--db", database, "--port", port]
    with serving(command, tmp_path / "serve.log", port, cwd=work, env={"PYTHONPATH": ""}) as base:
        status, body = request(base + "/papers/search.json?_shape=array&q=diffusion")
        assert status == 200 and '"title"' in body
        status, html = request(base + "/papers/papers/699592778836625")
        assert status == 200 and "Where this paper was listed" in html  # the plugin's template
        status, plugins = request(base + "/-/plugins.json")
        ours = [plugin for plugin in json.loads(plugins) if "render_cell" in plugin["hooks"]]
        assert [(plugin["templates"], plugin["version"]) for plugin in ours] == [(True, "0.1.0")]


def test_the_tests_run_on_versions_the_package_declares_and_each_dependency_has_an_upper_bound():
    # A fresh install takes the newest release inside each bound: the suite must have passed on
    # versions inside them, and no dependency of the command may be open-ended (typer 0.29 changed
    # the help's layout). pyarrow (the parquet extra) is left open: a major release every three
    # months or so, with write_table unchanged across them.
    import tomllib
    from importlib.metadata import version

    from packaging.requirements import Requirement

    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        assert any(spec.operator in ("<", "<=", "~=", "==") for spec in requirement.specifier), f"{line}: no upper bound"
    for line in project["dependencies"] + project["optional-dependencies"]["test"] + project["optional-dependencies"]["parquet"]:
        requirement = Requirement(line)
        assert requirement.specifier.contains(version(requirement.name), prereleases=True), (line, version(requirement.name))
