"""The built file as analysts open it in other tools: DuckDB's sqlite extension, sqlite-utils, Python's sqlite3
(which pandas reads through), and SQLite itself on a copy they edit."""

import importlib.util
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
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



def test_sqlite_utils_search_refuses_plain_abstract_as_a_column_as_the_readme_says(built_db):
    assert "`sqlite-utils search -c plain_abstract` refuses the name" in readme_section("### The file in other tools")
    refused = subprocess.run([sys.executable, "-m", "sqlite_utils", "search", str(built_db), "papers", "diffusion",
                              "-c", "title", "-c", "plain_abstract"], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "has no column 'plain_abstract" in refused.stderr + refused.stdout
    assert sqlite_utils("search", built_db, "papers", "diffusion", "-c", "title", "-c", "abstract_text")


def test_duckdb_counts_a_column_where_count_star_fails_on_each_without_rowid_table_the_readme_names(built_db):
    with sqlite3.connect(built_db) as conn:
        without_rowid = {name: conn.execute(f"select count(*) from [{name}]").fetchone()[0] for name, sql in conn.execute(
            "select name, sql from sqlite_master where type = 'table'") if re.search(r"without\s+rowid", sql or "", re.I)}
        first_columns = {name: conn.execute(f"select name from pragma_table_info('{name}') where cid = 0").fetchone()[0]
                         for name in without_rowid}
    section = readme_section("### The file in other tools")
    named = set(re.findall(r"`(\w+)`", section[section.index("on a `WITHOUT ROWID` table"):section.index("count a column instead")]))
    assert named == set(without_rowid)  # every one, read from the schema, and no other
    con = duckdb_attached(built_db)
    for name, rows in without_rowid.items():
        with pytest.raises(duckdb.Error, match="ROWID"):
            con.execute(f"select count(*) from p.{name}").fetchall()
        assert con.execute(f"select count({first_columns[name]}) from p.{name}").fetchone()[0] == rows, name


def test_pandas_reads_integers_with_nulls_as_floats_unless_asked_as_the_readme_says():
    import pandas

    assert 'dtype_backend="numpy_nullable"' in readme_section("### The file in other tools")
    with sqlite3.connect(":memory:") as conn:
        conn.executescript("create table t (year integer); insert into t values (2024), (null);")
        assert str(pandas.read_sql("select year from t", conn)["year"].dtype) == "float64"
        kept = pandas.read_sql("select year from t", conn, dtype_backend="numpy_nullable")["year"]
        assert str(kept.dtype) == "Int64" and kept.iloc[0] == 2024


def test_the_search_index_check_on_a_file_opened_read_only_fails_as_the_readme_says(built_db):
    assert "attempt to write a readonly database" in readme_section("### The file in other tools")
    with sqlite3.connect(f"file:{built_db}?mode=ro", uri=True) as conn:
        with pytest.raises(sqlite3.OperationalError, match="attempt to write a readonly database"):
            conn.execute("insert into papers_fts(papers_fts, rank) values('integrity-check', 1)")

# SQL that SQLite added after 3.31, the oldest README says reads the file: a user on Ubuntu 22.04
# (3.37) got "a GROUP BY clause is required before HAVING" from the search query (3.39 allows
# HAVING alone; found by review, with sql.js builds of 3.31-3.39).
NEWER_THAN_3_31 = {
    r"\biif\s*\(": "iif() (3.32)", r"->": "the -> and ->> operators (3.38)", r"\bunixepoch\s*\(": "unixepoch() (3.38)",
    r"\bformat\s*\(": "format() (3.38)", r"\bis\s+(not\s+)?distinct\s+from\b": "IS DISTINCT FROM (3.39)",
    r"\b(right|full)\s+(outer\s+)?join\b": "RIGHT and FULL joins (3.39)", r"\breturning\b": "RETURNING (3.35)",
    r"\bmaterialized\b": "MATERIALIZED (3.35)", r"\bstrict\b": "STRICT tables (3.37)",
    r"\b(concat|concat_ws|string_agg|octet_length|timediff|unistr)\s*\(": "a function of 3.43-3.44",
    r"\b(sqrt|pow|power|ln|log|log2|log10|exp|ceil|ceiling|floor|trunc|pi|sin|cos|tan|mod)\s*\(":
        "a math function (3.35, and only where compiled in)",
}


def sql_without_strings_and_comments(sql):
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S).lower()


def selects_with_having_alone(sql):
    """Each SELECT with a HAVING and no GROUP BY at its own depth of brackets."""
    found, stack = [], [[]]  # per depth: the keywords of the select being read
    for token in re.findall(r"\(|\)|\bselect\b|\bgroup\s+by\b|\bhaving\b|\bunion\b", sql):
        if token == "(":
            stack.append([])
        elif token == ")":
            stack.pop()
        elif token in ("select", "union"):
            stack[-1] = [token]
        elif token == "having" and not any(word.startswith("group") for word in stack[-1]):
            found.append(" ".join(stack[-1] + [token]))
        else:
            stack[-1].append(token)
    return found


def shipped_sql():
    """Every piece of SQL a user of the file may run in their own SQLite: the schema and views
    (sql/), the canned queries (metadata.yml) and README's examples."""
    metadata = yaml.safe_load((PROJECT / "metadata.yml").read_text())
    yield from ((path.name, path.read_text()) for path in sorted((PROJECT / "sql").glob("*.sql")))
    for database in metadata["databases"].values():
        yield from ((f"metadata.yml: {name}", query["sql"]) for name, query in database.get("queries", {}).items())
    yield from ((f"README.md, example {number}", block) for number, block in
                enumerate(re.findall(r"```sql\n(.*?)```", (PROJECT / "README.md").read_text(), re.S), 1))


def test_the_sql_users_run_needs_no_sqlite_newer_than_readme_says():
    pieces = list(shipped_sql())
    assert len(pieces) > 20 and any(name == "metadata.yml: search" for name, _ in pieces)
    for name, sql in pieces:
        plain = sql_without_strings_and_comments(sql)
        assert not selects_with_having_alone(plain), name
        assert [what for pattern, what in NEWER_THAN_3_31.items() if re.search(pattern, plain)] == [], name


def test_a_having_without_group_by_is_told_from_one_with_it():
    assert selects_with_having_alone("select count(*) from t having count(*) > 0")
    assert not selects_with_having_alone("select a from t group by a having count(*) > 1")
    assert selects_with_having_alone("select a from (select b from u group by b) having 1")
    assert not selects_with_having_alone("select (select 1 group by 1 having 1 > 0), a from t group by a having 1")
