"""The served database refuses every write, stops runaway queries and answers bad requests quietly.

These run against a real `papers-db serve` process on 127.0.0.1, as a user reaches it.
"""

import hashlib
import json
import time
import urllib.parse

import pytest
from conftest import request


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


WRITES = {
    "insert": "insert into papers (id, title) values (1, 'x')",
    "update": "update papers set title = 'x'",
    "delete": "delete from papers",
    "drop": "drop table listings",
    "create": "create table notes (text)",
    "attach": "attach database '/tmp/other.db' as other",
    "pragma": "pragma writable_schema = 1",
    "vacuum": "vacuum",
    "cte insert": "with t as (select 1 as id) insert into papers (id) select id + 1 from t",
    "cte delete": "with t as (select 1) delete from papers",
    "second statement": "select 1; delete from papers",
}


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_sql_box_refuses_writes(server, built_db, kind):
    before = sha256(built_db)
    status, body = request(f"{server}/papers.json?" + urllib.parse.urlencode({"sql": WRITES[kind]}))
    assert status == 400
    error = json.loads(body)["error"]
    assert error in (
        "Statement must be a SELECT",
        "attempt to write a readonly database",
        "You can only execute one statement at a time.",
    ), error
    assert sha256(built_db) == before
    status, body = request(f"{server}/papers/papers.json?_size=0")
    assert status == 200 and json.loads(body)["filtered_table_rows_count"] == 319


@pytest.mark.parametrize(
    "path, payload",
    [
        ("/papers/papers/-/insert", {"row": {"id": 1, "title": "x"}}),
        ("/papers/papers/-/upsert", {"rows": [{"id": 1, "title": "x"}]}),
        ("/papers/-/create", {"table": "notes", "rows": [{"text": "x"}]}),
        ("/papers/papers/1/-/update", {"update": {"title": "x"}}),
        ("/papers/papers/1/-/delete", {}),
        ("/papers/papers/-/drop", {"confirm": True}),
        ("/papers/papers", {"title": "x"}),
    ],
)
def test_json_api_refuses_writes(server, built_db, path, payload):
    before = sha256(built_db)
    status, _ = request(server + path, data=payload)
    assert status >= 400
    assert sha256(built_db) == before


def test_query_past_the_time_limit_is_stopped(server, serve_log):
    runaway = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"
    logged_before = serve_log.stat().st_size
    started = time.monotonic()
    status, body = request(f"{server}/papers.json?" + urllib.parse.urlencode({"sql": runaway}))
    assert status == 400
    assert "SQL query took too long" in json.loads(body)["error"]
    assert time.monotonic() - started < 15
    assert "Traceback" not in logged_since(serve_log, logged_before)


def logged_since(serve_log, offset):
    with serve_log.open() as log:
        log.seek(offset)
        return log.read()


@pytest.mark.parametrize(
    "path, status, error",
    [
        ("/papers/papers/1.json", 404, "Record not found"),
        ("/papers/no_such_table.json", 404, "Table not found"),
        ("/papers/papers.json?_sort=no_such_column", 400, "Cannot sort table by no_such_column"),
        ("/papers.json?sql=select+*+from+no_such_table", 400, "no such table: no_such_table"),
    ],
)
def test_bad_requests_are_answered_without_a_traceback(server, serve_log, path, status, error):
    # Datasette 0.65 would print each one with rich, locals and all: half a second of the server's
    # only Python process per mistyped URL, and a screenful of log.
    logged_before = serve_log.stat().st_size
    answer, body = request(server + path)
    assert (answer, json.loads(body)["error"]) == (status, error)
    new_output = logged_since(serve_log, logged_before)
    assert path.split("?")[0] in new_output  # the access log line: the log is being read
    assert "Traceback" not in new_output and "locals" not in new_output
