"""Datasette serving the built database exactly as `python build_db.py serve` does."""

import asyncio
import sqlite3

import datasette.cli
import pytest
import yaml

import build_db


@pytest.fixture(scope="module")
def served(built_db):
    """A Datasette instance made from the same arguments `serve` passes to `datasette serve`."""
    build_db.ensure_inspect_file(built_db)
    args = build_db.datasette_serve_args(built_db)
    assert args[0] == "serve"
    context = datasette.cli.serve.make_context("serve", args[1:])
    instance = context.invoke(datasette.cli.serve.callback, **{**context.params, "return_instance": True})

    def get(path):
        return asyncio.run(instance.client.get(path))

    return get


def test_configuration_is_immutable_and_local(served, built_db):
    args = build_db.datasette_serve_args(built_db)
    assert args[args.index("-i") + 1] == str(built_db)
    assert args[args.index("--host") + 1] == "127.0.0.1"
    databases = served("/-/databases.json").json()
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("papers", False)]


def test_search_on_papers(served, built_db):
    response = served("/papers/papers.json?_search=diffusion&_shape=array&_size=max")
    assert response.status_code == 200
    rows = response.json()
    with sqlite3.connect(built_db) as conn:
        expected = {row[0] for row in conn.execute(
            "select rowid from papers_fts where papers_fts match 'diffusion'")}
    assert rows and {row["id"] for row in rows} == expected
    for row in rows:  # porter stemming: every hit has a word starting "diffus"
        assert "diffus" in ((row["title"] or "") + row["abstract"]).lower()


@pytest.mark.parametrize(
    "view", ["paper_overview", "accepted_papers", "papers_per_month", "trending", "cross_listed", "source_summary"]
)
def test_every_view_has_a_page(served, built_db, view):
    html = served(f"/papers/{view}")
    assert html.status_code == 200
    rows = served(f"/papers/{view}.json?_shape=array&_size=max").json()
    with sqlite3.connect(built_db) as conn:
        count = conn.execute(f"select count(*) from {view}").fetchone()[0]
    assert len(rows) == count > 0


def test_table_pages_show_descriptions_from_metadata(served):
    metadata = yaml.safe_load(build_db.METADATA_FILE.read_text())
    description = metadata["databases"]["papers"]["tables"]["listings"]["columns"]["upvotes"]
    html = served("/papers/listings").text
    assert description.split(";")[0] in html


def test_database_is_offered_for_download(served, built_db):
    response = served("/papers.db")
    assert response.status_code == 200
    assert response.content == built_db.read_bytes()


def test_fts_tables_are_hidden(served):
    tables = served("/papers.json").json()["tables"]
    hidden = {t["name"] for t in tables if t["hidden"]}
    assert {"papers_fts", "papers_fts_data", "papers_fts_idx"} <= hidden
    assert "papers" not in hidden


def test_metadata_describes_everything_and_nothing_else(built_db):
    metadata = yaml.safe_load(build_db.METADATA_FILE.read_text())
    described = metadata["databases"]["papers"]["tables"]
    with sqlite3.connect(built_db) as conn:
        names = [name for (name,) in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') "
            "and name not like 'sqlite_%' and name not like 'papers_fts_%'")]
        actual = {name: [c[1] for c in conn.execute(f"pragma table_info([{name}])")] for name in names}
    assert set(described) == set(actual)
    for name, columns in actual.items():
        assert described[name].get("description"), name
        assert set(described[name].get("columns", {})) == set(columns), name
        assert all(described[name]["columns"].values()), name
