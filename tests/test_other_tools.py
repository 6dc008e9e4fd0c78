"""The built file as analysts open it in other tools: DuckDB's sqlite extension, sqlite-utils, Python's sqlite3
(which pandas reads through), and SQLite itself on a copy they edit."""

import importlib.util
import sqlite3
from pathlib import Path

import duckdb
import pytest


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
