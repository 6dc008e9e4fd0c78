"""The built file as analysts open it in other tools: DuckDB's sqlite extension, sqlite-utils, Python's sqlite3
(which pandas reads through), and SQLite itself on a copy they edit."""

import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT


def duckdb_attached(database):
    """DuckDB with `database` attached read-only as `p`, as an analyst attaches it. DuckDB cannot download its
    sqlite extension here, so it is loaded from the duckdb-extension-sqlite-scanner wheel (the test extra installs
    the one built for the DuckDB it installs); the test skips where no extension matches this DuckDB."""
    spec = importlib.util.find_spec("duckdb_extension_sqlite_scanner")
    if spec is None:
        pytest.skip("duckdb-extension-sqlite-scanner is not installed: DuckDB cannot attach SQLite files without it")
    extension = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / "sqlite_scanner.duckdb_extension"
    if not extension.is_file():
        pytest.skip(f"duckdb-extension-sqlite-scanner has no extension for DuckDB {duckdb.__version__}")
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{str(extension).replace(chr(39), chr(39) * 2)}'")
    con.execute(f"ATTACH '{str(database).replace(chr(39), chr(39) * 2)}' AS p (TYPE sqlite, READ_ONLY)")
    return con


def names(conn, kind):
    return [name for (name,) in conn.execute(
        "select name from sqlite_master where type = ? and name not like 'sqlite_%' and name not like 'papers_fts%' "
        "order by name", [kind])]


def test_duckdb_reads_every_view_as_sqlite_does(built_db):
    # source_summary failed: it compared facet_counts.value (no declared type: BLOB in DuckDB) with
    # an integer, which DuckDB cannot cast ("Unimplemented type for cast (BIGINT -> BLOB)").
    con = duckdb_attached(built_db)
    with sqlite3.connect(built_db) as conn:
        views = names(conn, "view")
        assert {"paper_overview", "accepted_papers", "trending", "cross_listed", "source_summary"} <= set(views)
        for view in views:
            expected = conn.execute(f"select * from [{view}]").fetchall()
            assert expected, view
            assert sorted(con.execute(f'select * from p."{view}"').fetchall(), key=repr) == sorted(expected, key=repr), view
        for table in names(conn, "table"):
            (count,) = conn.execute(f"select count(*) from [{table}]").fetchone()
            assert len(con.execute(f'select * from p."{table}"').fetchall()) == count, table
        related = conn.execute("select count(*) from related_papers").fetchone()
    assert con.execute("select sum(records), sum(parse_issues) from p.source_summary").fetchone() == (336, 0)
    # count(*) of a WITHOUT ROWID table fails in DuckDB's sqlite extension; a column's count does not.
    assert con.execute("select count(paper_id) from p.related_papers").fetchone() == related


def test_source_summary_seeks_each_count_in_sqlite(built_db):
    # SQLite uses the index on CAST(value AS TEXT) only where the view writes that expression as
    # the index does; otherwise each source's count scans every source's row in facet_counts.
    with sqlite3.connect(built_db) as conn:
        plan = [row[3] for row in conn.execute("explain query plan select * from source_summary")]
    assert [step for step in plan if "facet_counts" in step] == [
        "SEARCH facet_counts USING INDEX facet_counts_value (table_name=? AND column_name=? AND <expr>=?)"] * 2


def readme_section(heading):
    readme = (PROJECT / "README.md").read_text()
    start = readme.index(heading)
    return " ".join(readme[start:readme.find("\n#", start + len(heading))].split())


def test_readme_says_which_tools_see_plain_abstract_and_how_to_get_it_elsewhere():
    section = readme_section("### The file in other tools")
    for words in ("plain_abstract", "virtual generated column", "PRAGMA table_info", "DuckDB", "sqlite-utils tables --columns",
                  "coalesce(abstract_text, abstract)", "SQLite 3.31", "pandas", "sqlite-utils rows", "search"):
        assert words in section, words


def sqlite_utils(*args):
    result = subprocess.run([sys.executable, "-m", "sqlite_utils", *map(str, args)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_plain_abstract_is_seen_by_queries_and_missed_by_column_lists_as_the_readme_says(built_db):
    with sqlite3.connect(built_db) as conn:
        # A virtual generated column: table_info leaves it out, table_xinfo marks it hidden (2).
        assert "plain_abstract" not in [row[1] for row in conn.execute("pragma table_info(papers)")]
        assert [row[6] for row in conn.execute("pragma table_xinfo(papers)") if row[1] == "plain_abstract"] == [2]
        # What pandas' read_sql sees: the columns of the cursor.
        assert "plain_abstract" in [column[0] for column in conn.execute("select * from papers").description]
        plain = dict(conn.execute("select id, plain_abstract from papers"))
        assert plain == dict(conn.execute("select id, coalesce(abstract_text, abstract) from papers"))
    (papers,) = [table for table in sqlite_utils("tables", built_db, "--columns") if table["table"] == "papers"]
    assert "abstract_text" in papers["columns"] and "plain_abstract" not in papers["columns"]
    rows = sqlite_utils("rows", built_db, "papers")
    assert {row["id"]: row["plain_abstract"] for row in rows} == plain
    found = sqlite_utils("search", built_db, "papers", "diffusion")
    assert found and all(row["plain_abstract"] == plain[row["id"]] for row in found)


def test_duckdb_misses_plain_abstract_and_computes_it_as_the_readme_says(built_db):
    con = duckdb_attached(built_db)
    columns = [row[0] for row in con.execute("describe p.papers").fetchall()]
    assert "abstract_text" in columns and "plain_abstract" not in columns
    with sqlite3.connect(built_db) as conn:
        plain = dict(conn.execute("select id, plain_abstract from papers"))
    assert dict(con.execute("select id, coalesce(abstract_text, abstract) from p.papers").fetchall()) == plain


def test_readme_says_to_rebuild_the_search_index_after_editing_papers():
    section = readme_section("### The file in other tools")
    for words in ("external-content FTS5", "no trigger", "insert into papers_fts(papers_fts) values('rebuild')",
                  "insert into papers_fts(papers_fts, rank) values('integrity-check', 1)", "stale"):
        assert words in section, words


def test_rebuilding_the_search_index_finds_the_edits_of_a_copy(built_db, tmp_path):
    copy = tmp_path / "papers.db"
    shutil.copyfile(built_db, copy)
    with sqlite3.connect(copy) as conn:
        match = lambda words: {paper for (paper,) in conn.execute("select rowid from papers_fts where papers_fts match ?", [words])}
        check = "insert into papers_fts(papers_fts, rank) values('integrity-check', 1)"
        conn.execute(check)  # as built
        (paper,) = match('"Pseudo Numerical Methods for Diffusion Models on Manifolds"')
        conn.execute("update papers set title = 'Counting quokkas from drones' where id = ?", [paper])
        conn.commit()
        assert match("quokkas") == set() and paper in match("title: manifolds")  # stale: no trigger updates the index
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            conn.execute(check)
        conn.execute("insert into papers_fts(papers_fts) values('rebuild')")
        conn.commit()
        assert match("quokkas") == {paper}
        assert paper not in match("title: manifolds")
        conn.execute(check)  # passes again


def test_pandas_reads_every_table_and_view_and_answers_the_search_query(built_db):
    # The README's third way in: pandas' read_sql on the downloaded file, plain_abstract and the
    # search's plain SQL included.
    import pandas
    import yaml

    with sqlite3.connect(built_db) as conn:
        for name in names(conn, "table") + names(conn, "view"):
            frame = pandas.read_sql(f"select * from [{name}]", conn)
            rows = conn.execute(f"select * from [{name}]").fetchall()
            assert len(frame) == len(rows) and list(frame.columns) == [c[0] for c in conn.execute(
                f"select * from [{name}] limit 0").description], name
        papers = pandas.read_sql("select * from papers", conn)
        assert dict(zip(papers["id"], papers["plain_abstract"])) == dict(
            conn.execute("select id, coalesce(abstract_text, abstract) from papers"))
        search = yaml.safe_load((PROJECT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["papers"]["queries"]["search"]["sql"]
        found = pandas.read_sql(search, conn, params={"q": '"diffusion models"'})
        assert len(found) == 13 and list(found["paper_id"]) == [row[0] for row in conn.execute(search, {"q": '"diffusion models"'})]
