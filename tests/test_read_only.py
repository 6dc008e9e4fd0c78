"""The served database refuses every write and stops runaway queries.

These run against a real `python build_db.py serve` process on 127.0.0.1, as a user reaches it.
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


def test_query_past_the_time_limit_is_stopped(server):
    runaway = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"
    started = time.monotonic()
    status, body = request(f"{server}/papers.json?" + urllib.parse.urlencode({"sql": runaway}))
    assert status == 400
    assert "SQL query took too long" in json.loads(body)["error"]
    assert time.monotonic() - started < 15
