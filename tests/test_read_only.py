"""The served database refuses every write and stops runaway queries.

These run against a real `python build_db.py serve` process on 127.0.0.1, as a user reaches it.
"""

import hashlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import PROJECT


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url, data=None):
    """(status, body) of a GET, or of a JSON POST when `data` is given."""
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def server(built_db, tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(PROJECT / "build_db.py"), "serve", "--db", str(built_db), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            break
        except OSError:
            assert process.poll() is None, "serve exited before answering"
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            time.sleep(0.2)
    yield base
    process.terminate()
    assert process.wait(timeout=20) is not None
    log.close()


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
