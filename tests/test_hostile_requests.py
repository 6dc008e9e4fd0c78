"""A public instance survives what a hostile visitor can send it (issue 16).

Each attack runs against a real `papers-db serve` process on 127.0.0.1, as a visitor
reaches it: it must be answered with a 4xx, well within a few seconds, by a server that goes on
answering everyone else. The project's own pages and queries must still work under the limits.
"""

import asyncio
import base64
import contextlib
import functools
import hashlib
import http.client
import importlib.util
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import PROJECT, asgi_scope, free_port, request, serve_command, serving
from hypothesis import example, given, settings
from hypothesis import strategies as st

PLUGIN = PROJECT / "papers_db" / "plugin" / "__init__.py"

# The time limit is 1 s; an attack answered within 3 s was stopped by a limit, not by running out.
PROMPT = 3.0


def sql_url(server, sql, **params):
    return f"{server}/papers.json?" + urllib.parse.urlencode({"sql": sql, **params})


def timed(url):
    started = time.monotonic()
    status, body = request(url)
    return status, body, time.monotonic() - started


def error_of(body):
    return json.loads(body)["error"]


def a_string(length, char="a"):
    """SQL for a string of `length` characters that costs nothing to send."""
    return f"substr(replace(hex(zeroblob({length // 2 + 1})), '0', '{char}'), 1, {length})"


def server_alive(server):
    status, body = request(f"{server}/papers/papers.json?_size=0")
    return status == 200 and json.loads(body)["filtered_table_rows_count"] == 319


# --- one query that makes a huge value ------------------------------------------------------

@pytest.mark.parametrize(
    "sql",
    [
        "select length(zeroblob(300000000))",
        "select length(randomblob(200000000))",
        f"select length(replace({a_string(1000)}, 'a', {a_string(1000)}))",
        f"select length(group_concat({a_string(1000)})) from papers",
        "select length(printf('%.*c', 2000000000, 'x'))",
        "select length(printf('%2000000000d', 1))",
        "select length(printf('%.*c', '2000000000', 'x'))",
        "select length(format('%.*c', 2000000000, 'x'))",
    ],
)
def test_a_huge_value_is_refused_at_once(server, sql):
    # zeroblob(300000000) took the server to 8.9 GB; printf('%.*c', 2000000000, 'x') ran 7-13 s
    # in one opcode, which the time limit cannot interrupt.
    status, body, seconds = timed(sql_url(server, sql))
    assert status == 400, body[:300]
    assert "too big" in error_of(body)
    assert seconds < PROMPT
    assert server_alive(server)


def test_a_result_too_large_for_memory_is_refused(server):
    # Each value is within the length limit, but 319 of them would be 64 MB in the server's
    # Python process (1,000 rows: 250 MB), and several times that as JSON.
    status, body, seconds = timed(sql_url(server, "select zeroblob(200000) as z from papers"))
    assert status == 400, body[:300]
    assert "query result larger than 16 MB" in error_of(body)
    assert seconds < PROMPT


def test_a_result_whose_json_is_too_large_is_refused(server):
    # 30 values of 62,500 emoji: 1.9 million characters, but 22.5 MB as JSON (12 characters each,
    # \ud83d\ude00), which the server would hold several times over while writing it.
    sql = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 30) "
           "select replace(hex(zeroblob(62500)), '00', '😀') as e from n")
    status, body, seconds = timed(sql_url(server, sql))
    assert status == 400, body[:300]
    assert "query result larger than 16 MB" in error_of(body)
    assert seconds < PROMPT


def test_a_result_whose_html_is_too_large_is_refused(server):
    # 5,000 cells of 800 "&": 4 MB of result, but 20 MB of query page (&amp;). 19,998 such cells
    # made an 80 MB page, and twelve at once took a server to 934 MiB.
    sql = ("select " + ", ".join(f"a as c{n}" for n in range(50)) + " from (select replace(hex(zeroblob(400)), '0', '&') "
           "as a from (with recursive n(i) as (select 1 union all select i + 1 from n where i < 100) select i from n))")
    status, body = request(f"{server}/papers?" + urllib.parse.urlencode({"sql": sql}))
    assert status == 400
    assert "query result larger than 16 MB" in body
    status, body = request(sql_url(server, sql.replace("zeroblob(400)", "zeroblob(20)")))  # 1 MB of page
    assert status == 200 and json.loads(body)["rows"][0][0] == "&" * 40


def test_a_value_is_counted_as_the_longer_of_its_json_and_its_html():
    plugin = load_plugin()
    # An apostrophe is &#x27; (6) where the plugin escapes a cell; bytes are base64 in JSON; a URL
    # is written twice, as the link and its text.
    assert [plugin.result_length(value) for value in (
        "plain", "&", "<b>", "it's", 'say "hi"', "é", b"\x00&", b"\x00&\x01\x02", "https://a.b/?x=1&y=2")] == [
        5, 5, 9, 9, 16, 6, 4, 8, 2 * (20 + 4)]


# Every printable and control character of ASCII, some Latin-1, the BMP and beyond it: the counting
# of ASCII text takes a path of its own.
RESULT_TEXT = st.text(st.one_of(st.characters(max_codepoint=0x7F), st.sampled_from("é\u00a0\u2028😀&\"'<>\\")), max_size=60)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(RESULT_TEXT, st.builds(lambda before, text: before + "https://" + text, st.sampled_from(["", " ", "\t", "\n "]),
                                        RESULT_TEXT)))
def test_a_values_length_is_the_longer_of_what_datasettes_json_and_html_write(value):
    # Written independently of the plugin: the JSON as Python's json writes it, and the HTML as
    # Jinja escapes it (markupsafe), an apostrophe one longer (&#x27; in the plugin's own cells),
    # a URL twice (its link and its text) where Datasette links it: text that is one URL once
    # stripped (" https://..." too).
    from datasette.utils import is_url
    from markupsafe import escape

    in_json = len(json.dumps(value)) - 2
    in_html = (len(escape(value)) + value.count("'")) * (2 if is_url(value.strip()) else 1)
    assert load_plugin_once().result_length(value) == max(in_json, in_html)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(RESULT_TEXT, st.builds(lambda text: "https://" + text, RESULT_TEXT)))
def test_no_character_is_counted_as_more_than_the_budget_allows_for(value):
    # The budget counts text exactly only once its rows could be over the limit, taking each
    # character as at most CHARACTERS_WRITTEN_AT_MOST: one counted as more would let rows through.
    plugin = load_plugin_once()
    assert plugin.result_length(value) <= plugin.CHARACTERS_WRITTEN_AT_MOST * len(value)
    assert plugin.result_length("https://" + "\U0001F600" * 10) == 12 * 10 + 8  # emoji in JSON: 12 each
    assert plugin.result_length("https://" + "'" * 10) == 2 * (8 + 6 * 10)  # &#x27;, written twice


RESULT_VALUE = st.one_of(RESULT_TEXT, st.binary(max_size=40), st.integers(min_value=-2**63, max_value=2**63 - 1), st.none())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(RESULT_VALUE, RESULT_VALUE), max_size=40), st.integers(min_value=0, max_value=600))
@example(rows=[("abc", None), ("d", 1)], limit=3)  # the first row's 3 is not over 3
@example(rows=[("\U0001F600" * 60, None)], limit=600)  # 720 in JSON: 12 a character
@example(rows=[("https://" + "'" * 50, None)], limit=600)  # 616 in HTML: &#x27;, written twice
def test_rows_are_refused_at_the_first_row_over_the_budget(rows, limit):
    # The rule, stated apart from how the budget keeps count: a cursor's rows are returned until the
    # one that takes what they are written as (result_length of each text and bytes value) over the limit.
    import sqlite3

    plugin = load_plugin_once()
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (a, b)")
    conn.executemany("insert into t values (?, ?)", rows)
    total, expected = 0, len(rows)
    for number, row in enumerate(rows):
        total += sum(plugin.result_length(value) for value in row if isinstance(value, (str, bytes)))
        if total > limit:
            expected = number
            break
    conn.row_factory = plugin.ResultBudget(limit)
    returned = []
    cursor = conn.execute("select a, b from t order by rowid")
    with pytest.raises(sqlite3.DataError) if expected < len(rows) else contextlib.nullcontext():
        for row in cursor:
            returned.append(tuple(row))
    assert returned == rows[:expected]
    if expected:  # each cursor has a budget of its own
        assert [tuple(row) for row in conn.execute("select a, b from t order by rowid limit 1")] == rows[:1]


def test_text_waiting_to_be_counted_is_bounded(monkeypatch):
    import sqlite3

    plugin = load_plugin_once()
    monkeypatch.setattr(plugin, "UNCOUNTED_VALUES_KEPT", 100)
    conn = sqlite3.connect(":memory:")
    budget = plugin.ResultBudget(2**40)
    conn.row_factory = budget
    waiting = []
    for _ in conn.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) select 'ab', i from n"):
        waiting.append(len(budget.uncounted))
    assert max(waiting) == 100 and budget.used + 2 * len(budget.uncounted) == 2 * 1000
    # Counted once the rows could be over the limit, then not until they could be again: rows of
    # "ab" are each at most 24 characters (2 x 12), so with 240 the 11th is counted (22 so far),
    # and the 21st (22 + 10 x 24 > 240).
    budget = plugin.ResultBudget(240)
    conn.row_factory = budget
    waiting = []
    for _ in conn.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < 25) select 'ab' from n"):
        waiting.append(len(budget.uncounted))
    assert waiting == [*range(1, 11), 0, *range(1, 10), 0, 1, 2, 3, 4] and budget.used == 2 * 21
    # Nor is more text kept waiting than UNCOUNTED_CHARACTERS_KEPT: the connection's budget keeps it
    # after its query, until the next.
    budget = plugin.ResultBudget(2**40)
    conn.row_factory = budget
    waiting = []
    for _ in conn.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < 40) "
                          "select replace(hex(zeroblob(50000)), '00', 'x') from n"):
        waiting.append(sum(map(len, budget.uncounted)))
    assert max(waiting) <= plugin.UNCOUNTED_CHARACTERS_KEPT and budget.used + waiting[-1] == 40 * 50_000


def test_a_url_is_counted_as_both_its_link_and_its_text(server):
    # Datasette writes a cell that is a URL as <a href="URL">URL</a>: 1,000 of 3,170 escaped "&"
    # made a 26 MB page while the result counted 15.9 MB.
    sql = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) "
           "select 'https://' || replace(hex(zeroblob(3170)), '00', '&') as u from n")
    status, body = request(f"{server}/papers?" + urllib.parse.urlencode({"sql": sql}))
    assert status == 400
    assert "query result larger than 16 MB" in body


def test_json_read_into_objects_is_bounded(server):
    # `_json` makes Datasette read each value into Python objects: 16 MB of [{},{},...] is a dict
    # (30 rows of 1 + 3 x 30,000 + 3 characters: 2,700,120)
    # of about 72 bytes for every 3 characters, 377 MB more for the server.
    sql = ("select '[' || replace(hex(zeroblob(30000)), '00', '{},') || '{}]' as a from "
           "(with recursive n(i) as (select 1 union all select i + 1 from n where i < 30) select i from n)")
    status, body = request(sql_url(server, sql, _json="a"))
    assert status == 400
    assert error_of(body).startswith("_json would read 2,700,120 characters of JSON into objects")
    status, body = request(sql_url(server, sql))  # the same text, not read into objects
    assert status == 200
    status, body = request(sql_url(server, "select '[1, [2], {\"three\": 3}]' as a, '[4]' as b", _json="a"))
    assert status == 200 and json.loads(body)["rows"] == [[[1, [2], {"three": 3}], "[4]"]]


def test_a_result_of_control_characters_is_counted_as_json_writes_them():
    # char(1) is one character of ASCII and six of JSON (\u0001); a quote or backslash two.
    plugin = load_plugin()
    assert [plugin.json_length(value) for value in ("plain text", "\x01" * 10, 'say "hi"', "a\\b", "é", "😀")] == [
        10, 60, 10, 4, 6, 12]


# --- one function call whose cost is the product of two lengths -------------------------------

@pytest.mark.parametrize(
    "sql",
    [
        # Each took 1 to 27 s on the old server, inside one function call.
        f"select instr({a_string(1_000_000)}, {a_string(499_999)} || 'b')",
        f"select length(trim({a_string(250_000)}, 'b' || {a_string(19_000, 'b')} || 'a'))",
        f"select {a_string(250_000)} like '%' || {a_string(49_990)} || 'b'",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000), "
        "a(j) as (select json_group_object('a' || i, 1) from n), "
        "b(j) as (select json_group_object('b' || i, 1) from n) "
        "select length(json_patch(a.j, b.j)) from a, b",
    ],
    ids=["instr", "trim", "like", "json_patch"],
)
def test_a_quadratic_function_call_is_refused_at_once(server, sql):
    status, body, seconds = timed(sql_url(server, sql))
    assert status == 400, body[:300]
    assert seconds < PROMPT
    assert server_alive(server)


# --- functions and tables a visitor cannot reach ---------------------------------------------

@pytest.mark.parametrize(
    "sql, params",
    [
        ("select fts3_tokenizer('simple')", {}),
        # A bound parameter gets past SQLite's own switch for the one-argument form.
        ("select fts3_tokenizer(:name)", {"name": "simple"}),
        ("select load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')", {}),
        # How SQLite was built, as pragma_compile_options lists it (found by review).
        ("select sqlite_compileoption_get(0)", {}),
        ("select sqlite_compileoption_used('ENABLE_FTS5')", {}),
    ],
)
def test_functions_that_leak_or_run_native_code_are_denied(server, sql, params):
    status, body = request(sql_url(server, sql, **params))
    assert (status, error_of(body)) == (400, f"not authorized to use function: {sql.split('(')[0][7:]}")


def test_other_visitors_sql_cannot_be_read(server):
    request(sql_url(server, "select 'a secret of mine' as note"))
    status, body = request(sql_url(server, "select sql from sqlite_stmt"))
    assert status == 400
    assert "secret" not in body


# --- requests bounded before any SQL runs ----------------------------------------------------

def test_search_text_is_capped(server):
    # 120 kB of search text ran for 12 s. 14 kB keeps the request within the 16 KiB that the HTTP
    # parser (h11) holds of a request it has not yet read whole, so it always reaches Datasette.
    long_text = " ".join(["model learning data"] * 700)
    for url in (
        f"{server}/papers/search.json?" + urllib.parse.urlencode({"q": long_text}),
        f"{server}/papers/papers.json?" + urllib.parse.urlencode({"_search": long_text}),
        f"{server}/papers/search?" + urllib.parse.urlencode({"q": "x" * 201}),
    ):
        status, body, seconds = timed(url)
        assert status == 400
        assert "Search text is limited to 200 characters" in body
        assert seconds < PROMPT
    status, body = request(f"{server}/papers/search.json?" + urllib.parse.urlencode({"q": "a " * 100}))
    assert status == 200, body[:500]


def test_a_request_longer_than_the_http_parser_holds_is_refused_and_the_server_goes_on(server):
    # Past 16 KiB, whether Datasette or the HTTP parser refuses a request depends on how the
    # bytes arrive: either way a 400, or the connection closed unanswered, and never a 500.
    huge = f"{server}/papers/search.json?" + urllib.parse.urlencode({"q": " ".join(["model learning data"] * 6_000)})
    for _ in range(5):
        try:
            status, _, seconds = timed(huge)
        except OSError:  # reset: the parser closed the connection before reading the whole request
            continue
        assert status == 400 and seconds < PROMPT
    assert server_alive(server)


def test_sql_and_parameters_are_capped(server):
    status, body = request(sql_url(server, "select 1" + " " * 10_000))
    assert (status, error_of(body)) == (400, "SQL is limited to 10,000 characters on this server.")
    status, body = request(sql_url(server, "select length(:text)", text="x" * 10_001))
    assert (status, error_of(body)) == (400, "A request parameter is limited to 10,000 characters on this server.")
    status, body = request(sql_url(server, "select length(:text) as n", text="x" * 10_000))
    assert status == 200 and json.loads(body)["rows"] == [[10_000]]


# --- never a 500 for what a visitor can ask --------------------------------------------------

BAD_PARAMETERS = [
    # Datasette 0.65 takes any name starting with _facet for a facet of the last type it read: a
    # configured facet's, or none (a 500 on every table and view without configured facets)
    "/papers/papers.json?_facetx=abstract&_size=1",
    "/papers/papers.json?_facets=tier&_facet_size=max",
    "/papers/trending?_facetx=1",
    "/papers/sources.json?_facet2=x",
    "/papers/papers_per_month.json?_facetz=month",
    "/papers/decisions?_facets=",
    "/papers/papers.json?_sort=no_such_column",
    "/papers/papers.json?_sort_desc=no_such_column",
    "/papers/papers.json?_sort=title&_sort_desc=title",
    "/papers/papers.json?_sort=rowid",
    "/papers/trending.json?_sort=no_such_column",
    "/papers/paper_overview.json?_search=model&_sort_desc=nope",
    "/papers/papers.json?_timelimit=abc",
    "/papers.json?sql=select+1&_timelimit=abc",
    "/papers/search.json?q=model&_timelimit=abc",
    "/papers/papers.csv?_dl=1&_timelimit=abc",
    "/papers/trending.json?_next=abc",
    "/papers/papers.json?_through=abc",
    '/papers/papers.json?_through={"table":1}',
    # "table" may be any JSON value: the schema lookups the plugin keeps take strings alone
    '/papers/papers.json?_through={"table":["listings"],"column":"source_id","value":"1"}',
    '/papers/papers.json?_through={"table":{"listings":1},"column":"source_id","value":"1"}',
    '/papers/papers.json?_through={"table":5,"column":"source_id","value":"1"}',
    '/papers/papers.json?_through={"table":null,"column":"source_id","value":"1"}',
    '/papers/papers.json?_through={"table":"listings","column":["source_id"],"value":"1"}',
    '/papers/papers.json?_through=["listings","source_id","1"]',
    '/papers/papers.json?_through="listings"',
    "/papers/papers.json?_size=abc",
    "/papers/papers.json?_size=-1",
    "/papers/papers.json?_size=100000",
    "/papers/papers.json?_next=a,b,c",
    "/papers/papers.json?_facet=no_such_column",
    "/papers/papers.json?_facet_array=title",
    "/papers/papers.json?_shape=no_such_shape",
    "/papers/papers.json?_col=no_such_column",
    # errors SQLite raises for a _where other than OperationalError: not authorized, datatype mismatch
    "/papers/papers.json?_where=id in (select 1 from sqlite_stmt)",
    "/papers/papers.json?_where=id in (select 1 limit 1 offset 1e20)",
    "/papers/papers.json?_where=id in (select 1 limit 'x')",
    # a view's _next past 64 bits
    "/papers/trending.json?_next=9223372036854775808",
    "/papers/paper_overview.csv?_next=-9223372036854775809",
    # facets given as JSON that is not an object of text, or nested too deep, or repeated
    '/papers/papers.json?_facet={"column":5}',
    '/papers/papers.json?_facet={"simple":["tier"]}',
    '/papers/papers.json?_facet_array={"column":5}',
    '/papers/listings.json?_facet_date={"column":null}',
    '/papers/papers.json?_facet_precounted={"column":["tier"]}',
    "/papers/papers.json?_facet=" + "[" * 1001 + "]" * 1001,
    "/papers/papers.json?_size=0" + "&_facet_precounted=first_published_year" * 2,
    "/papers/papers.json?" + "&".join(f"_facet=tier&_facet_array={n}" for n in range(6)),
    # JSON nested a thousand deep where Datasette reads JSON
    "/papers/papers.json?_through=" + "[" * 1001 + "]" * 1001,
    "/papers/papers.json?id__in=" + "[" * 1001 + "]" * 1001,
    "/papers.json?sql=select printf('%.*c',1001,'[')||printf('%.*c',1001,']') as e&_json=e",
    # the allow-debug page with an actor or allow that is JSON but not an object of text
    "/-/allow-debug?actor=1&allow=1",
    "/-/allow-debug?actor={}&allow=[1]",
    '/-/allow-debug?actor="x"&allow={"id":"x"}',
    '/-/allow-debug?actor={"id":{}}&allow={"id":"x"}',
    '/-/allow-debug?actor={"id":1}&allow={"id":{"a":1}}',
    '/-/allow-debug?actor={"id":[[1]]}&allow={"id":[[1]]}',
    # .blob of values that are not binary: hashed (a 500), or a number (a 200 cut short)
    "/papers.blob?sql=select 1 as b&_blob_column=b&_blob_hash=abc",
    "/papers.blob?sql=select null as b&_blob_column=b&_blob_hash=abc",
    "/papers/papers_fts_data.blob?_blob_column=id&_blob_hash=x",
    "/papers/sources/1.blob?_blob_column=bytes",
    "/papers/papers_by_tier.blob?tier=oral&_blob_column=paper_id",
    "/papers.blob?sql=select 1.5 as b&_blob_column=b",
    "/papers.blob?sql=select 1 as b where 0&_blob_column=b",
    # a column out of range in snippet(): SQLite's SQLITE_RANGE, Python's InterfaceError
    "/papers.json?sql=select snippet(papers_fts, 99, '', '', '', 64) from papers_fts where papers_fts match 'model'",
    "/papers.csv?sql=select snippet(papers_fts, 99, '', '', '', 64) from papers_fts where papers_fts match 'model'",
    # the time limit in a CSV (Datasette's JSON and HTML answer it with a 400 themselves)
    "/papers.csv?sql=with recursive r(i) as (select 1 union all select i + 1 from r) select count(*) from r",
]


@pytest.mark.parametrize("path", BAD_PARAMETERS)
def test_bad_parameters_are_answered_with_a_4xx_that_shows_no_internals(server, built_db, path):
    status, body = request(server + urllib.parse.quote(path, safe="/?=&,:"))
    assert 400 <= status < 500, body[:300]
    if ".json" in path:
        assert error_of(body)
    for internal in ("Traceback", "Error(", "Expecting value", "invalid literal", str(PROJECT), str(built_db.parent)):
        assert internal not in body


def test_a_blob_of_binary_or_text_is_still_downloaded(server):
    with urllib.request.urlopen(f"{server}/papers/papers_fts_data/1.blob?_blob_column=block", timeout=30) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/binary"
        block = response.read()
    with urllib.request.urlopen(f"{server}/papers/papers_fts_data/1.json?_shape=array", timeout=30) as response:
        assert json.loads(response.read())[0]["block"]["encoded"] == base64.b64encode(block).decode()
    with urllib.request.urlopen(f"{server}/papers.blob?sql=select+'text'+as+b&_blob_column=b", timeout=30) as response:
        assert (response.status, response.read()) == (200, b"text")


def test_a_request_of_many_parameters_is_refused_at_once(server):
    # Datasette reads the whole query string once per parameter name: 4,100 blank names (15.7 kB)
    # held the server 27.5 s; the page still takes a parameter for each of its columns.
    names = [f"{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"] * 6
    for page in ("/papers/papers.json", "/papers.json?sql=select+1", "/papers/search?q=model"):
        joiner = "&" if "?" in page else "?"
        status, body, seconds = timed(server + page + joiner + "&".join(names[:4100]))
        assert status == 400 and seconds < PROMPT
        assert "limited to 100 parameters" in body
    # SQL up to its 10,000 characters, in any script, still runs; beside many parameters it does not.
    sql = "select length('" + "选" * 9_970 + "') as n"
    status, body = request(sql_url(server, sql))
    assert status == 200 and json.loads(body)["rows"] == [[9_970]]
    status, body, seconds = timed(sql_url(server, sql) + "&" + "&".join(names[:50]))
    assert status == 400 and seconds < PROMPT and "fewer the longer they are" in body
    columns = "&".join(f"_col={column}" for column in ["title", "abstract", "tier", "outcome", "max_upvotes"] * 3)
    status, body = request(f"{server}/papers/papers.json?_size=1&{columns}&_facet=tier&_nofacet=1")
    assert status == 200 and len(json.loads(body)["columns"]) == 6


def test_a_query_string_repeated_in_every_link_of_a_page_is_bounded(server):
    # A table page repeats its query string in each facet value's link and each column's: 80 kB
    # of it beside 9 facets of up to 1,000 values made a 132 MB answer in 13 s, the process's
    # other visitors waiting up to 9 s (found by review); beside the listings' own 3 facets, 0.5 s.
    padding = "中" * 8_900  # 80 kB percent-encoded, within the 10,000 characters a value may have
    facets = "id,title,abstract,plain_abstract,first_published_on,short_name,abstract_text,first_published_year"
    attacks = [
        "/papers/papers.json?" + urllib.parse.urlencode(
            [("_x", padding), *(("_facet", column) for column in facets.split(",")), ("_facet_size", "max")]),
        "/papers/listings.json?" + urllib.parse.urlencode([("_x", padding), ("_facet_size", "max")]),
        "/papers/papers?" + urllib.parse.urlencode([("_x", padding)]),
        "/papers/papers.json?" + urllib.parse.urlencode([("_x", "x" * 2_000), ("_facet_size", "max")]),
    ]
    for attack in attacks:
        status, body, seconds = timed(server + attack)
        assert status == 400 and seconds < PROMPT, (attack[:60], status, seconds)
        assert "repeats its query string in each of its links" in body
    # What a page needs still works: a long filter beside the configured facets, and a long
    # query string beside no facets at all.
    where = " and ".join(f"title != '{word * 15}'" for word in ["diffusion", "attention"] * 25)  # 8 kB
    status, body = request(f"{server}/papers/papers.json?" + urllib.parse.urlencode({"_where": where}))
    assert status == 200 and json.loads(body)["facet_results"], body[:200]
    status, body = request(f"{server}/papers/papers?_facet_size=max&tier=poster")
    assert status == 200
    status, body = request(f"{server}/papers/papers.json?_nofacet=1&_size=1&" + urllib.parse.urlencode({"_x": "中" * 7_000}))
    assert status == 200
    # A CSV has no links and no facets (Datasette's CSV asks for none): a 15 kB filter was refused
    # as if it had (found by review).
    long_filter = urllib.parse.urlencode({"_x": "a" * 9_000, "_y": "b" * 6_000})
    assert timed(f"{server}/papers/papers?{long_filter}")[0] == 400
    status, body = request(f"{server}/papers/papers.csv?_size=2&{long_filter}")
    assert status == 200 and body.startswith("id,"), body[:200]


def no_sql_page_while(server, attacks):
    """(status, seconds) of the page that runs no SQL, asked for while `attacks` (callables) run
    in threads of their own; they are all done when it returns."""
    threads = [threading.Thread(target=attack) for attack in attacks]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    status, _, seconds = timed(f"{server}/-/versions.json")
    for thread in threads:
        thread.join(timeout=60)
    return status, seconds


def raw_request(server, head):
    """(status, seconds) of a request sent as raw bytes: `head` is its request line and headers."""
    started = time.monotonic()
    answer = raw_answer(server, head + b"\r\nConnection: close\r\n\r\n")
    return int(answer.split(b" ", 2)[1]), time.monotonic() - started


def raw_answer(server, request, piece=None):
    """The bytes answered to `request`, sent whole or `piece` bytes at a time."""
    host, port = urllib.parse.urlsplit(server).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        for start in range(0, len(request), piece or len(request)):
            sock.sendall(request[start:start + (piece or len(request))])
            if piece:
                time.sleep(0.01)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def answer_to_a_head_sent_in_pieces(server, head, piece=8_000):
    """(status, body) of a GET whose request line and headers are sent `piece` bytes at a time, as
    a network delivers a long one; (None, what failed) where the answer was lost."""
    try:
        answer = raw_answer(server, head + b"\r\nHost: x\r\nConnection: close\r\n\r\n", piece)
    except OSError as error:
        return None, type(error).__name__
    return int(answer.split(b" ", 2)[1]), answer.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_long_request_head_arriving_in_pieces_is_read_whole(built_db, serve_log, workers):
    # uvicorn's parser answered 400 "Invalid HTTP request received." and reset the connection
    # when more than 16 KiB of a head waited for the rest, though the plugin takes a query string
    # of 128 KiB: 16 of 300 requests of 80 kB lost their answer on loopback, and in pieces, as a
    # network delivers a long head, every one (found in CI).
    from conftest import serving

    sql = "select length('" + "中" * 3_000 + "') as n"  # 27 kB percent-encoded
    long_filter = urllib.parse.urlencode({"_x": "中" * 8_900, "_facet_size": "max"})
    port = free_port()
    with serving(serve_command(built_db, port, "--workers", workers), serve_log, port) as base:
        status, body = answer_to_a_head_sent_in_pieces(base, b"GET /papers.json?" + urllib.parse.urlencode(
            {"sql": sql}).encode() + b" HTTP/1.1")
        assert status == 200 and b'"rows": [[3000]]' in body, (status, body[:200])
        status, body = answer_to_a_head_sent_in_pieces(base, b"GET /papers/listings.json?" + long_filter.encode()
                                                       + b" HTTP/1.1")
        assert status == 400 and b"repeats its query string" in body, (status, body[:200])


@pytest.mark.parametrize("cookie", [b"a=\xff", b"ds_actor=\xff\xfe", b"csrftoken=ok; x=\xc3", b"a/b=1", b"==",
                                    b"_ga=1; a/b=2", b"(a)=1", b"<a>=1"])
def test_a_cookie_python_cannot_parse_is_ignored_not_a_500(server, cookie):
    for path in (b"/", b"/-/versions.json", b"/papers/papers.json", b"/papers/search?q=model"):
        assert raw_request(server, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nCookie: " + cookie)[0] == 200


@pytest.mark.parametrize(("cookie", "at_once"), [(b'a="' + b"\\" * 15_000 + b'"', 12), (b"=" * 8150 + b'"', 6)],
                         ids=["backslashes", "equals signs"])
def test_cookies_python_parses_slowly_hold_up_nobody(server, cookie, at_once):
    # Python's cookie parser takes time growing with the square of a quoted value's backslashes:
    # one of these took 0.9 s, and twelve at once held /-/versions.json over 5 s on two workers.
    # "=" 8,150 times then a quote took it 0.94 s, run four times a request (the plugin's own
    # check, asgi-csrf, Datasette): 4 s a request, and six at once had gunicorn kill both workers
    # (found by review). Only Datasette's own cookies are parsed now.
    head = b"GET /-/versions.json HTTP/1.1\r\nHost: x\r\nCookie: " + cookie
    answers = []
    status, seconds = no_sql_page_while(server, [lambda: answers.append(raw_request(server, head))] * at_once)
    assert status == 200 and seconds < PROMPT
    assert [status for status, _ in answers] == [200] * at_once
    assert all(took < PROMPT for _, took in answers)


def test_only_datasettes_own_cookies_reach_it_each_as_written():
    from papers_db.plugin import datasettes_cookies

    assert datasettes_cookies(b"_ga=GA1.2; ds_actor=eyJhIjp7fX0.sig-_; theme=dark; ds_csrftoken=IjE.x") == (
        b"ds_actor=eyJhIjp7fX0.sig-_; ds_csrftoken=IjE.x")
    assert datasettes_cookies(b'ds_messages="a b"') == b'ds_messages="a b"'
    for unreadable in (b"ds_actor=\xff", b'ds_actor="a\\b"', b"ds_actor=a b", b"=" * 100 + b'"', b"ds_actor=" + b"a" * 9000):
        assert datasettes_cookies(unreadable) == b"", unreadable


def send(url, method, data=None):
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"])
@pytest.mark.parametrize(
    "path",
    ["/", "/papers", "/papers/papers", "/papers/search", "/papers/search.json", "/papers/papers_by_tier",
     "/papers/papers/699592778836625", "/-/versions.json", "/papers.db"],
)
def test_methods_other_than_reading_are_refused(server, method, path):
    # A POST to a table or the search page, and any unknown method, were answered 500; OPTIONS got
    # a 200 that the Allow header and the README did not admit.
    status, headers, body = send(server + path, method, data=b'{"q": "x"}' if method not in ("OPTIONS", "FOO") else None)
    assert status == 405, body[:300]
    assert headers["Allow"] == "GET, HEAD"
    assert "read-only" in body


def test_unknown_exceptions_are_answered_without_their_text():
    plugin = load_plugin()
    assert plugin.visitor_error(KeyError("/srv/secret/path")) == (400, "Bad request", "A parameter of this request is not valid.")
    assert plugin.visitor_error(RuntimeError("/srv/secret/path")) == (500, "Server error", "The server could not answer this request.")
    status, title, message = plugin.visitor_error(MemoryError())
    assert (status, title) == (400, "Too large") and "more memory than this server allows" in message


def sqlite_error(database, sql):
    """The exception SQLite itself raises for `sql` on the file `database`."""
    import sqlite3

    with pytest.raises(sqlite3.Error) as raised:
        sqlite3.connect(database).execute(sql).fetchall()
    return raised.value


def test_sqlite_errors_of_the_server_are_a_500_that_shows_no_message(tmp_path):
    import sqlite3

    plugin = load_plugin()
    server_error = (500, "Server error", "The server could not answer this request.")
    damaged = tmp_path / "damaged.db"
    with sqlite3.connect(damaged) as conn:
        conn.execute("create table t (x)")
        conn.executemany("insert into t values (?)", [("x" * 500,)] * 200)
    data = bytearray(damaged.read_bytes())
    data[8192:8392] = b"\xff" * 200  # the third page, inside the table
    damaged.write_bytes(bytes(data))
    malformed = sqlite_error(damaged, "select count(*), max(length(x)) from t")
    assert str(malformed) == "database disk image is malformed"
    (tmp_path / "text.db").write_bytes(b"not a database\n" * 100)
    not_a_database = sqlite_error(tmp_path / "text.db", "select * from sqlite_master")
    # Python raises a failing disk as an OperationalError; one is made here with SQLite's code for a failed read.
    disk = sqlite3.OperationalError("disk I/O error")
    disk.sqlite_errorcode = sqlite3.SQLITE_IOERR_READ
    for exception in (malformed, not_a_database, disk):
        assert plugin.visitor_error(exception) == server_error, exception


def test_sqlite_errors_of_a_visitors_query_are_a_400_with_the_message(tmp_path):
    plugin = load_plugin()
    no_table = sqlite_error(":memory:", "select * from no_such_table")
    syntax = sqlite_error(":memory:", "selec 1")
    assert plugin.visitor_error(no_table) == (400, "Invalid SQL", "no such table: no_such_table")
    assert plugin.visitor_error(syntax) == (400, "Invalid SQL", 'near "selec": syntax error')


def load_plugin():
    spec = importlib.util.spec_from_file_location("papers_db_plugin_under_test", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def plugin_once():
    return load_plugin()


def test_every_connection_gets_the_limits_and_a_heap_limit():
    import sqlite3

    plugin = load_plugin()
    conn = sqlite3.connect(":memory:")
    (previous,) = conn.execute("pragma hard_heap_limit").fetchone()
    conn.execute("pragma threads = 2")
    try:
        plugin.prepare_connection(conn)
        assert conn.execute("pragma hard_heap_limit").fetchone()[0] == 256 * 2**20
        assert conn.execute("pragma threads").fetchone()[0] == 0  # the search's equal scores stay in id order
        assert conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH) == 250_000
        assert conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) == 0
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            conn.execute("attach database ':memory:' as other")
    finally:
        conn.execute(f"pragma hard_heap_limit = {previous}")  # process-wide: leave the test run as it was
        conn.close()


# --- the server keeps answering others -------------------------------------------------------

def test_others_are_answered_while_attacks_run(server):
    # With three such requests in flight, /-/versions.json waited 19.6 s.
    attacks = [
        sql_url(server, "select length(printf('%.*c', 2000000000, 'x'))"),
        sql_url(server, f"select length(trim({a_string(250_000)}, 'b' || {a_string(19_000, 'b')} || 'a'))"),
        sql_url(server, "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"),
    ]
    answers = {}

    def attack(index, url):
        answers[index] = timed(url)

    status, seconds = no_sql_page_while(server, [functools.partial(attack, index, url) for index, url in enumerate(attacks * 2)])
    assert status == 200 and seconds < PROMPT
    assert sorted(status for status, _, _ in answers.values()) == [400] * len(attacks) * 2
    assert max(seconds for _, _, seconds in answers.values()) < 2 * PROMPT
    assert server_alive(server)



ENDLESS = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"


def test_visitor_sql_beyond_what_leaves_threads_for_others_waits_or_is_refused(server):
    # metadata.yml: 6 SQL threads per process, 2 kept from open-ended requests. Each endless query
    # holds a thread to the 1 s time limit; sent all at once, no process may run more than 4, and
    # no more than 8 may wait: the rest are refused at once, and a waiting one after a second.
    import os

    workers = os.cpu_count() or 1  # `serve` runs one process per core
    running_at_most = 4 * workers
    attacks = [sql_url(server, ENDLESS, n=index) for index in range(3 * running_at_most + 2)]
    attacks += [f"{server}/papers/papers.json?" + urllib.parse.urlencode({"_where": f"{index} < ({ENDLESS})"})
                for index in range(2)]
    answers = {}

    def attack(index, url):
        answers[index] = send(url, "GET")

    threads = [threading.Thread(target=attack, args=(index, url)) for index, url in enumerate(attacks)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    pages = [timed(f"{server}/papers/search?q=diffusion"), timed(f"{server}/papers/papers?tier=oral")]
    for thread in threads:
        thread.join(timeout=60)
    statuses = [status for status, _, _ in answers.values()]
    assert len(statuses) == len(attacks) and set(statuses) <= {400, 429}
    assert statuses.count(429) >= len(attacks) - 3 * running_at_most  # beyond those running and waiting
    refused = [(headers, body) for status, headers, body in answers.values() if status == 429]
    for headers, body in refused:
        assert headers["Retry-After"] == "1"
        assert error_of(body) == ("This server runs 4 requests at once that may read whole tables (SQL written by "
                                  "visitors, searches of a table, prefix searches, filters and sorts on columns without "
                                  "an index), and they were all taken. Try again in a second.")
    assert [status for status, _, _ in pages] == [200, 200]
    # One at a time, visitors' SQL is answered as before.
    assert request(sql_url(server, "select 1 + 1 as two"))[0] == 200
    assert timed(sql_url(server, ENDLESS))[0] == 400


def test_only_requests_carrying_sql_text_count_as_visitor_sql():
    plugin = load_plugin()

    def parameters(query):
        return plugin.query_parameters({"type": "http", "query_string": query.encode()})

    for query in ("sql=select+1", "_where=id+%3E+3", "_size=5&sql=%20select%201", "sql=x&_shape=array"):
        assert plugin.writes_its_own_sql(parameters(query)), query
    for query in ("", "q=diffusion", "sql=", "_where=+", "tier=oral&_sort=title", "_search=sql", "_sql=1"):
        assert not plugin.writes_its_own_sql(parameters(query)), query


OPEN_ENDED = [
    "/papers.json?sql=select+1",
    "/papers/papers?_where=id+%3E+3",
    "/papers/search?q=e*",  # a prefix: every word starting with e
    "/papers/search.json?q=diffusion+learn*",
    "/papers/papers?_search=e*",
    "/papers/papers.json?_search=diffusion&_searchmode=raw",
    "/papers/papers?_search=diffusion",  # a table's search counts and orders every match
    "/papers/paper_overview.json?_search_title=learning",
    "/papers/papers?abstract__contains=zz",  # no index answers contains, like, glob, not
    "/papers/papers?tier__not=oral",
    "/papers/papers?title=Attention",  # no index leads title
    "/papers/papers.csv?_sort_desc=title",
    "/papers/papers?_sort=abstract",
    "/papers/papers?_facet=short_name",  # not a configured facet: counts every row
    "/papers/papers?short_name__endswith=Net",  # no index leads short_name
    "/papers/papers?_sort=listings_count",  # led only by a partial index (papers_cross_listed)
    "/papers/related_papers?rank=3",  # the second column of a two-column key leads no index
    "/papers/papers.json?_sort=tier",  # papers_facet_tier lists a tier's papers by date, not id
    "/papers/listings?_sort_desc=source_id",  # listings_facet_source_id: by id, ascending only
    "/papers/listings?title__startswith=A",
    "/papers/accepted_papers?tier=oral",  # a view has no index
    "/papers/trending.json?_sort=title",
    "/papers/papers?_through=%7B%22table%22%3A%22listings%22%2C%22column%22%3A%22source_id%22%2C%22value%22%3A%221%22%7D",
    # a range counts the page's facets over every row it selects
    "/papers/papers.json?source_count__gte=2&first_published_on__lt=2025-01-01",
    "/papers/papers?tier__isnull=1",
    "/papers/listings.json?paper_id__gt=0&_sort_desc=upvotes",
    # the search page's words: one typed twice, or more than six
    "/papers/search.json?q=the+model+the",
    "/papers/search?q=a+b+c+d+e+f+g",
    "/papers/search?q=model%09MODEL",
    "/papers/search?q=the,the,the",  # FTS5 splits at punctuation too
    "/papers/search.json?q=" + "the\u19b0" * 7,  # and at marks Python counts as letters
    "/papers/~73earch.json?q=t*",  # the search query by its tilde-encoded name
    # date and array facets read every row of their column, configured or not
    "/papers/papers.json?_size=0&_facet_date=tier",
    "/papers/papers.json?_facet_array=source_count",
    # Datasette reads the first _nofacet: a blank one counts the facets
    "/papers/listings.json?paper_id__gt=0&_nofacet=&_nofacet=1",
]
BOUNDED = [
    "/-/versions.json",
    "/papers",
    "/papers/papers",
    "/papers/papers.json?_size=10&_next=100",
    "/papers/papers?tier=oral&first_published_year=2024",  # facet clicks: each column leads an index
    "/papers/papers?outcome=accept&source_count=1&_facet=tier&_facet_size=max",
    "/papers/papers.json?source_count__gte=2&first_published_on__lt=2025-01-01&_nofacet=1",
    "/papers/papers?tier__isnull=1&_nofacet=1",
    "/papers/papers?tier__isnull=1&_nofacet=1&_nofacet=",
    "/papers/~73earch.json?q=diffusion",
    "/papers/papers?_sort_desc=max_upvotes",
    "/papers/papers?_sort_desc=first_published_on",
    "/papers/papers?_sort=max_upvotes",
    "/papers/listings.csv?_sort=source_id&_stream=on",
    "/papers/listings?_sort_desc=upvotes&_sort=",
    "/papers/papers?_sort=first_published_on&_col=title",
    "/papers/papers?_search=&tier=oral",  # no search
    # arguments no filter reads: the page's facets are the build's counts (keeps_the_rows)
    "/papers/papers?_x=1",
    "/papers/papers?_label=tier&_hide_sql=1&_searchmode=raw&_fts_table=papers_fts",
    "/papers/listings?decision_id=1&_label=decision_id",
    "/papers/search.json?q=diffusion&_searchmode=raw",  # the search page reads only q
    "/papers/papers/699592778836625",
    "/papers/listings?decision_id=1&matched_by=first&_labels=on",
    "/papers/listings?paper_id=699592778836625",
    "/papers/search?q=diffusion+model",
    "/papers/search?q=a+b+c+d+e+f",
    "/papers/search?q=",
    "/papers/papers_by_tier?tier=oral",  # a canned query: its parameters are no filters
    "/papers/trending",
    "/papers/sql?q=*",  # no page: Datasette answers 404
]


def open_ended_for(plugin, instance):
    """Whether a URL (a path and query) is open-ended to `plugin` serving `instance`."""
    def open_ended(url):
        path, _, query = url.partition("?")
        return plugin.is_open_ended(instance, path, plugin.query_parameters({"query_string": query.encode()}))
    return open_ended


def sqlite_memory_used():
    """SQLite's memory in use in this process (sqlite3_memory_used, which Python does not expose)."""
    import ctypes
    import ctypes.util
    import sqlite3

    library = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    library.sqlite3_memory_used.restype = ctypes.c_int64
    assert library.sqlite3_libversion().__class__ is int and sqlite3.sqlite_version  # the library Python loaded
    return library.sqlite3_memory_used()


def test_many_distinct_heavy_queries_leave_sqlites_memory_for_others(built_db):
    # 2,000 visitors' queries of 50 unions of a view (420 KiB each compiled) stayed in 6
    # connections' caches of 128 statements, filled the process's 256 MB heap, and every page
    # answered 400 "Too large" from then on (found by review). Now a statement is at most 5,376
    # opcodes and a connection keeps 32.
    from test_serve import datasette_instance

    instance = datasette_instance(built_db)
    asyncio.run(instance.invoke_startup())
    heavy = " union all ".join(["select * from source_summary"] * 40)  # 4,900 opcodes: about 210 KiB kept

    async def run():
        before = sqlite_memory_used()
        for number in range(600):
            answer = await instance.client.get("/papers.json", params={"sql": f"{heavy} -- {number}"})
            assert answer.status_code == 200, answer.text
        grown = sqlite_memory_used() - before
        too_big = await instance.client.get("/papers.json", params={"sql": f"select * from ({heavy}) join ({heavy})"})
        search = await instance.client.get("/papers/search?q=model")
        return grown, too_big, search

    grown, too_big, search = asyncio.run(run())
    connections = len(instance.get_database("papers")._all_file_connections)
    # 32 kept a connection, not 128: 600 such statements were kept in 6 connections (120 MB).
    assert 1 <= connections <= instance.setting("num_sql_threads")
    assert grown < connections * 32 * 260 * 1024, (grown, connections)
    assert too_big.status_code == 400 and "5,376 steps" in too_big.json()["error"]
    assert search.status_code == 200


NOT_MATERIALIZED_ATTACK = ("with t(a) as not materialized (select '" + "\U0001F600" * 2000 + "' /*{n}*/)"
                           + "".join(f", u{i} as not materialized (select a from {'t' if i == 0 else f'u{i - 1}'} union all "
                                     f"select a from {'t' if i == 0 else f'u{i - 1}'})" for i in range(9))
                           + " select count(*) from u8")


def test_a_with_query_copied_into_each_use_is_refused(built_db):
    # NOT MATERIALIZED copies a WITH query, literals and all, into each place it is used: nine
    # doublings of a 36 kB literal (8 kB here) compiled to 18 MB a statement, twelve filled the process's
    # SQLite heap and every page answered 400 (found by review). In a query or a table's _where.
    from test_serve import datasette_instance

    instance = datasette_instance(built_db)
    asyncio.run(instance.invoke_startup())

    async def run():
        answers = [await instance.client.get("/papers.json", params={"sql": NOT_MATERIALIZED_ATTACK.format(n=n)})
                   for n in range(3)]
        answers.append(await instance.client.get("/papers/papers.json", params={
            "_where": "id in (with t as NOT/**/Materialized (select 1) select * from t)"}))
        fine = [await instance.client.get("/papers.json", params={"sql": sql}) for sql in (
            "with t as materialized (select 1 as a) select a from t", "select 'not materialized' as words",
            'select 1 as "not materialized"', "select 1 -- not materialized")]
        return answers, fine

    answers, fine = asyncio.run(run())
    assert [answer.status_code for answer in answers] == [400] * 4
    assert all("NOT MATERIALIZED is not allowed" in answer.json()["error"] for answer in answers)
    assert [answer.status_code for answer in fine] == [200] * 4


def test_a_guarded_call_leaves_no_memory_held_by_its_arguments():
    # The plugin's own connection for guarded built-ins kept each statement with its last
    # arguments (250 kB each): a query calling printf, format and trim held 1.2 MB a thread for
    # good, 15 MB with every arity (found by review).
    import sqlite3

    guarded = sqlite3.connect(":memory:")
    plugin_once().limit_connection(guarded)
    before = sqlite_memory_used()
    guarded.execute("select printf('%s', x), format('%s %s', x, x), trim(x, 'ab'), ltrim(x, 'a'), rtrim(x, 'b') "
                    "from (select hex(zeroblob(100000)) as x)").fetchall()
    guarded.execute("select 1").fetchall()
    assert sqlite_memory_used() - before < 100 * 1024


def test_the_app_keeps_few_statements_before_its_first_request(built_db):
    # Under gunicorn a worker's first request ran SQL before the startup hook, and that thread's
    # connection kept Python's 128 statements (found by review): the wrapped app has the limit.
    from test_serve import datasette_instance

    plugin = load_plugin()
    instance = datasette_instance(built_db)
    plugin.asgi_wrapper(instance)(app_answering_when(asyncio.Event()))
    assert hasattr(instance.get_database("papers").connect, "datasettes")


def test_requests_that_may_read_whole_tables_are_open_ended(built_db):
    # Expectations from sql/indexes.sql and metadata.yml: which columns lead a full index, which
    # are configured facets, which names are views or canned queries.
    from test_serve import datasette_instance

    plugin = load_plugin()
    instance = datasette_instance(built_db)

    open_ended = open_ended_for(plugin, instance)

    assert [url for url in OPEN_ENDED if not open_ended(url)] == []
    assert [url for url in BOUNDED if open_ended(url)] == []


def test_every_table_page_is_open_ended_while_another_plugins_filter_may_narrow_rows(built_db):
    # Another plugin's filter may narrow any table or view page, whatever its arguments, and the
    # page then counts its facets live over what it leaves: all the rows, for all that can be known.
    from datasette.plugins import pm
    from test_serve import FilterByX, datasette_instance

    plugin = load_plugin()
    instance = datasette_instance(built_db)

    open_ended = open_ended_for(plugin, instance)
    table_pages = ["/papers/papers?_x=oral", "/papers/listings.json?_label=decision_id", "/papers/papers?tier=oral&_y=",
                   "/papers/papers?_searchmode=raw&_search=", "/papers/papers", "/papers/papers?_x=oral&_nofacet=1",
                   "/papers/papers?tier=oral", "/papers/trending?_x=oral", "/papers/code_links.json"]
    other_pages = ["/-/versions.json", "/papers", "/papers/search?q=diffusion", "/papers/papers_by_tier?tier=oral",
                   "/papers/papers/699592778836625"]
    assert [url for url in table_pages + other_pages if open_ended(url)] == []
    pm.register(FilterByX(), name="filter-by-x")
    try:
        assert [url for url in table_pages if not open_ended(url)] == []
        assert [url for url in other_pages if open_ended(url)] == []
    finally:
        pm.unregister(name="filter-by-x")
    assert not open_ended(table_pages[0])


def test_column_filters_on_a_column_starting_with_an_underscore_are_checked_as_filters(built_db):
    from test_serve import datasette_instance

    plugin = load_plugin()
    instance = datasette_instance(built_db)
    assert open_ended_for(plugin, instance)("/papers/papers?_tier__contains=x")  # no such column: no index


def app_answering_when(release):
    """An ASGI app that answers 200 once the event `release` is set."""
    async def app(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"answered"})
    return app


async def asgi_get(app, url):
    """(status, seconds) of a GET of `url` (a path and query) from the ASGI `app`."""
    scope = asgi_scope(url)
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)
    started = time.monotonic()
    await app(scope, receive, send)
    return messages[0]["status"], time.monotonic() - started


def test_open_ended_requests_beyond_their_threads_wait_briefly_and_others_pass(built_db):
    # The plugin's ASGI wrapper around an app that answers only when told. With every slot for
    # open-ended requests taken (6 threads, 2 kept), more of any kind wait for one, up to two per
    # slot and for the wait's limit (shortened here), then are refused; one more than that is
    # refused at once. A waiting request gets the first slot freed; bounded ones never wait.
    from test_serve import datasette_instance

    plugin = load_plugin()
    plugin.OPEN_ENDED_WAIT_SECONDS = 0.3
    instance = datasette_instance(built_db)
    assert instance.setting("num_sql_threads") == 6
    release = asyncio.Event()
    app = app_answering_when(release)
    get = functools.partial(asgi_get, plugin.asgi_wrapper(instance)(app))

    async def visit():
        await instance.invoke_startup()  # as the server does before its first request
        held = [asyncio.create_task(get(url)) for url in OPEN_ENDED[:4]]
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(get(url)) for url in OPEN_ENDED[4:12]]
        await asyncio.sleep(0.05)
        beyond = await asyncio.gather(*(get(url) for url in OPEN_ENDED[12:]))
        timed_out = await asyncio.gather(*waiting)
        passing = [asyncio.create_task(get(url)) for url in BOUNDED]
        served_next = asyncio.create_task(get(OPEN_ENDED[12]))
        await asyncio.sleep(0.05)
        release.set()
        return (await asyncio.gather(*held), beyond, timed_out, await served_next, await asyncio.gather(*passing))

    held, beyond, timed_out, served_next, passing = asyncio.run(visit())
    assert [status for status, _ in held] == [200] * 4
    assert [status for status, _ in beyond] == [429] * len(OPEN_ENDED[12:])
    assert max(seconds for _, seconds in beyond) < 0.2  # at once
    assert [status for status, _ in timed_out] == [429] * 8
    assert min(seconds for _, seconds in timed_out) >= 0.25  # after waiting
    assert served_next[0] == 200
    assert [status for status, _ in passing] == [200] * len(BOUNDED)


WHOLE_TABLE_STREAMS = ["/papers/listings.csv?_stream=on", "/papers/paper_overview.csv?_stream=1&_size=5",
                       "/papers/~6Cistings.csv?_stream=on&_sort=title", "/papers/papers.csv?_stream=on&_stream="]
NOT_STREAMS = ["/papers/listings.csv", "/papers/listings.csv?_stream=", "/papers/listings.json?_stream=on",
               "/papers/listings?_stream=on", "/papers.csv?_stream=on&sql=select+1", "/papers/trending_on.csv?_stream=on",
               "/papers/listings.csv?_stream=&_stream=on"]


def test_whole_table_streams_run_one_a_process_and_others_pass(built_db):
    # A streamed CSV of a table or view is seconds to minutes of a core: eight at once on two
    # processes made the listings page's p95 over a second (100k papers). One runs per process;
    # two more wait briefly (the wait shortened here), then are refused; one more than that is
    # refused at once. A query's CSV, a CSV without _stream and other formats never wait.
    from test_serve import datasette_instance

    plugin = load_plugin()
    plugin.OPEN_ENDED_WAIT_SECONDS = 0.3
    instance = datasette_instance(built_db)
    release = asyncio.Event()
    get = functools.partial(asgi_get, plugin.asgi_wrapper(instance)(app_answering_when(release)))

    async def visit():
        await instance.invoke_startup()
        held = asyncio.create_task(get(WHOLE_TABLE_STREAMS[0]))
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(get(url)) for url in WHOLE_TABLE_STREAMS[1:3]]
        await asyncio.sleep(0.05)
        beyond = await asyncio.wait_for(get(WHOLE_TABLE_STREAMS[3]), 2)  # not answered at all: not refused
        passing = [asyncio.create_task(get(url)) for url in NOT_STREAMS]
        timed_out = await asyncio.gather(*waiting)
        release.set()
        return await held, beyond, timed_out, await asyncio.gather(*passing)

    held, beyond, timed_out, passing = asyncio.run(visit())
    assert held[0] == 200
    assert beyond[0] == 429 and beyond[1] < 0.2
    assert [status for status, _ in timed_out] == [429, 429] and min(seconds for _, seconds in timed_out) >= 0.25
    # Had they needed the stream's slot, with two already waiting for it, they were refused at once.
    assert [status for status, _ in passing] == [200] * len(NOT_STREAMS)


def test_a_database_download_is_sent_in_large_chunks_to_every_client_at_once(built_db):
    # Datasette sends the file 4 KiB at a time in the event loop (442 MB at 100k papers: 30 s of
    # a core; eight at once put a table page at a second), and a limit of one download a process
    # let two slow clients keep everyone else from it (found by review). Now 256 KiB a send, every
    # client served, each with Datasette's own headers.
    from test_serve import datasette_instance

    plugin = load_plugin()
    instance = datasette_instance(built_db)
    app = plugin.asgi_wrapper(instance)(instance.app())

    async def download(method):
        started, bodies = {}, []

        async def receive():
            await asyncio.sleep(60)  # the client stays
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                started.update(message)
            else:
                bodies.append(message.get("body", b""))

        await app({**asgi_scope("/papers.db"), "method": method}, receive, send)
        return started["status"], dict(started["headers"]), bodies

    async def visit():
        await instance.invoke_startup()
        return await asyncio.gather(*(download("GET") for _ in range(4))), await download("HEAD")

    gets, head = asyncio.run(visit())
    data = built_db.read_bytes()
    for status, headers, bodies in gets:
        assert status == 200 and b"".join(bodies) == data
        assert len(bodies) <= len(data) // plugin.DOWNLOAD_CHUNK_BYTES + 2 < len(data) // 4096
        assert b"attachment" in headers[b"content-disposition"] and headers == gets[0][1]
    assert (head[0], head[1], b"".join(head[2])) == (200, gets[0][1], b"")


def test_a_stream_whose_client_stops_reading_gives_its_slot_back(built_db):
    # A client that read a little of a stream and then stopped, keeping its connection, held the
    # process's one stream slot for as long as it liked. Its stream now ends once a part waits
    # longer than the limit (shortened here) to be taken, and the next stream runs.
    from test_serve import datasette_instance

    plugin = load_plugin()
    plugin.STREAM_SEND_SECONDS = 0.3
    instance = datasette_instance(built_db)

    async def app(scope, receive, send):  # a CSV of 20 parts; a JSON page names a next one each time
        if scope["path"].endswith(".json"):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": json.dumps({"next": str(time.monotonic())}).encode()})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(20):
            await send({"type": "http.response.body", "body": b"a,b\r\n", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    bounded = plugin.asgi_wrapper(instance)(app)

    async def stalled_client(url):
        """Seconds until the stream of `url` ended, for a client that takes its first 2 messages only."""
        scope = asgi_scope(url)
        taken = []

        async def receive():
            if not taken:
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # the client is still connected

        async def send(message):
            taken.append(message)
            if len(taken) > 2:
                await asyncio.Event().wait()  # its buffer is full: the server waits
        started = time.monotonic()
        await asyncio.wait_for(bounded(scope, receive, send), 5)
        return time.monotonic() - started

    async def visit():
        await instance.invoke_startup()
        # Datasette's own stream (listings: no sort of its own), and the plugin's pages from tokens (a sort).
        stalled = [await stalled_client(url) for url in ("/papers/listings.csv?_stream=on",
                                                         "/papers/listings.csv?_stream=on&_sort=upvotes")]
        return stalled, await asgi_get(bounded, "/papers/listings.csv?_stream=on")

    stalled, (status, _) = asyncio.run(visit())
    assert all(0.25 < seconds < 2 for seconds in stalled), stalled
    assert status == 200


def test_a_query_whose_client_stops_reading_holds_no_slot_once_it_is_answered(built_db):
    # Four clients that never read a query's CSV (5.8 MB, sent in parts) held every open-ended
    # slot of their process while the server waited to send: each other visitor's SQL and table
    # search was refused (429) for as long as they stayed connected. Its SQL has run once the
    # answer starts, so the slot is given back then.
    from test_serve import datasette_instance

    plugin = load_plugin()
    plugin.OPEN_ENDED_WAIT_SECONDS = 0.3
    instance = datasette_instance(built_db)
    slots = max(1, instance.setting("num_sql_threads") - plugin.OPEN_ENDED_THREADS_KEPT)

    async def app(scope, receive, send):  # a query's CSV in 20 parts; its JSON in one
        await send({"type": "http.response.start", "status": 200, "headers": []})
        parts = 20 if scope["path"].endswith(".csv") else 1
        for part in range(parts):
            await send({"type": "http.response.body", "body": b"a,b\r\n", "more_body": part < parts - 1})

    bounded = plugin.asgi_wrapper(instance)(app)

    async def stalled_client(url):
        """A client that takes the answer's first 2 messages, then none, and stays connected."""
        taken = []

        async def receive():
            if not taken:
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()

        async def send(message):
            taken.append(message)
            if len(taken) > 2:
                await asyncio.Event().wait()  # its buffer is full: the server waits
        await bounded(asgi_scope(url), receive, send)

    async def visit():
        await instance.invoke_startup()
        stalled = [asyncio.create_task(stalled_client("/papers.csv?sql=select+abstract+from+papers")) for _ in range(slots + 2)]
        await asyncio.sleep(0.1)
        answers = [await asgi_get(bounded, url) for url in ("/papers.json?sql=select+1", "/papers/papers.json?_search=model")]
        still_held = [not task.done() for task in stalled]
        for task in stalled:
            task.cancel()
        return answers, still_held

    answers, still_held = asyncio.run(visit())
    assert [status for status, _ in answers] == [200, 200]  # with every slot held, each would be a 429
    assert all(still_held)  # more stalled clients than slots, each still being sent to


def test_a_database_replaced_while_served_is_no_longer_answered_from(built_db, tmp_path):
    # A rebuild while the server ran: each new connection opened the new file, so answers
    # alternated between the old file's rows and the new one's, under the old counts (found by review).
    from test_serve import datasette_instance

    plugin = load_plugin()
    served = tmp_path / "papers.db"
    shutil.copy(built_db, served)
    instance = datasette_instance(served)
    released = asyncio.Event()
    released.set()
    bounded = plugin.asgi_wrapper(instance)(app_answering_when(released))  # 200 from the app, at once

    async def visit():
        await instance.invoke_startup()
        before = await asgi_get(bounded, "/papers/papers")
        rebuilt = tmp_path / "rebuilt.db"
        shutil.copy(built_db, rebuilt)  # byte for byte the same: still another file
        os.replace(rebuilt, served)
        replaced = [await asgi_get(bounded, url) for url in ("/papers/papers", "/-/versions.json")]
        served.unlink()
        return before, replaced, await asgi_get(bounded, "/papers/papers")

    before, replaced, removed = asyncio.run(visit())
    assert before[0] == 200
    assert [status for status, _ in replaced] == [503, 503] and removed[0] == 503


def test_a_file_not_there_when_serve_looked_is_taken_as_replaced(built_db, tmp_path, monkeypatch):
    # `serve --workers` hands its workers the file as it found it; where it found none, a worker
    # failed to start (a TypeError) instead of answering 503 (found by review).
    from test_serve import datasette_instance

    from papers_db.serve import SERVED_FILES_VARIABLE

    plugin = load_plugin()
    served = tmp_path / "papers.db"
    shutil.copy(built_db, served)
    monkeypatch.setenv(SERVED_FILES_VARIABLE, json.dumps({str(served): None}))
    instance = datasette_instance(served)
    released = asyncio.Event()
    released.set()
    bounded = plugin.asgi_wrapper(instance)(app_answering_when(released))

    async def visit():
        await instance.invoke_startup()
        return await asgi_get(bounded, "/papers/papers")

    assert asyncio.run(visit())[0] == 503


# --- the project's own pages and queries under the limits ------------------------------------

@pytest.mark.parametrize(
    "path",
    [
        "/papers/search.json?q=diffusion",
        "/papers/search.json?q=" + urllib.parse.quote("learn* \"model\" OR -x " * 9),
        "/papers/papers_by_tier.json?tier=poster",
        "/papers/trending_on.json?snapshot_date=2025-11-12",
        "/papers/paper_listings.json?paper_id=699592778836625",
        "/papers/related_to.json?paper_id=699592778836625",
        "/papers/papers_by_organization.json?organization=adobe",
        "/papers/papers_per_month_of_year.json?year=2025",
        "/papers/accepted_per_tier.json",
        "/papers/papers.json?_size=max&_facet=tier&_facet=outcome&_facet=first_published_year&_facet=source_count",
        "/papers/papers.json?_search=model&_sort=title",
        "/papers/listings.json?_size=max&_labels=on&_facet=source_id&_facet=decision_id&_facet=organization_id",
        "/papers/paper_overview.json?_size=max&_search=learning",
        "/papers/related_papers.json?_size=max&_labels=on",
        "/papers/cross_listed.json?_size=max",
        "/papers/source_summary.json",
        "/papers/papers.json?title__contains=learning&_size=max",
        "/papers/papers.csv?_stream=on&_size=max",
    ],
)
def test_the_projects_own_queries_work_under_the_limits(server, path):
    status, body = request(server + path)
    assert status == 200, body[:300]
    if path.split("?")[0].endswith(".json"):
        assert json.loads(body).get("ok") is not False


def test_the_paper_page_and_front_page_work_under_the_limits(server):
    for path in ("/", "/papers", "/papers/papers/699592778836625", "/papers/search?q=diffusion"):
        status, body = request(server + path)
        assert status == 200, (path, body[:300])


def test_guarded_functions_still_answer_ordinary_calls(server):
    sql = (
        "select printf('%5.2f|%-4d|%%|%s|%.*c', 3.14159, 7, 'ab', 3, 'x') as p, format('%d', 123456789) as f, "
        "trim('xxabcxx', 'x') as t, ltrim('  a') as l, rtrim('abc', 'c') as r, "
        "json_patch('{\"a\":1}', '{\"b\":2}') as j, instr('hello', 'll') as i"
    )
    status, body = request(sql_url(server, sql, _shape="objects"))
    assert status == 200, body[:300]
    assert json.loads(body)["rows"] == [
        {"p": " 3.14|7   |%|ab|xxx", "f": "123456789", "t": "abc", "l": "a", "r": "ab", "j": '{"a":1,"b":2}', "i": 3}
    ]


SEARCHED = st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=False, width=32),
                    st.text(alphabet="ab\u00e9\U0001f600\x00 \u0301", max_size=8),
                    st.binary(max_size=6), st.sampled_from(["", b"", "\x00a", "ab"]))


@settings(max_examples=400, deadline=None)
@given(SEARCHED, SEARCHED, SEARCHED)
def test_instr_and_replace_answer_as_sqlites_own(haystack, needle, new):
    # They are Python's (linear_instr, linear_replace) where SQLite's compare the needle at each
    # place: the same answers, type and all, SQLite's own being the judge.
    import sqlite3

    guarded, plain = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    plugin_once().limit_connection(guarded)

    def answer(conn, sql, args):
        try:
            value = conn.execute(sql, args).fetchone()[0]
            return type(value), value
        except sqlite3.Error as error:
            return type(error), None

    for sql, args in (("select instr(?, ?)", (haystack, needle)), ("select replace(?, ?, ?)", (haystack, needle, new))):
        assert answer(guarded, sql, args) == answer(plain, sql, args), (sql, args)


def test_a_query_past_a_limit_is_told_which_and_a_records_json_is_within_them(server):
    # "LIKE or GLOB pattern too complex" for a filter on a long title, and "too many arguments on
    # function json_object" for a record of five fields, named no limit (found by review).
    title = "From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent with Large Step Sizes"
    assert len(title) > 98  # over the limit with the filter's two wildcards
    status, body = request(f"{server}/papers/papers.json?" + urllib.parse.urlencode({"title__contains": title}))
    assert status == 400 and error_of(body) == (
        "LIKE or GLOB pattern too complex: this server limits a LIKE or GLOB pattern (a filter's text with its "
        "wildcards) to 100 characters; an exact filter has no limit"), body[:300]
    status, body = request(f"{server}/papers/papers.json?" + urllib.parse.urlencode(
        {"title__exact": title, "_shape": "array", "_col": "title"}))
    assert status == 200 and [row["title"] for row in json.loads(body)] == [title], body[:300]
    record = ("select json_object('id', id, 'title', title, 'tier', tier, 'outcome', outcome, 'year', first_published_year)"
              " as record from papers where title = :title")
    status, body = request(sql_url(server, record, title=title, _shape="array"))
    assert status == 200 and json.loads(json.loads(body)[0]["record"])["title"] == title, body[:300]
    status, body = request(sql_url(server, "select max(" + ", ".join(["1"] * 33) + ")"))
    assert status == 400 and error_of(body) == (
        "too many arguments on function max: this server limits a function call to 32 arguments"), body[:300]


def test_a_row_of_trim_calls_is_bounded_by_the_comparisons_each_makes(server):
    # The time limit is checked every few rows: 60 ltrim() a row, each removing up to 100 characters
    # from 248 kB, answered 9.8 s late (found by review); with 20 characters each, 3.0-3.35 s on a
    # machine 1.7 times slower than the one the limit was set on. A call may now make 2,500,000
    # comparisons: 248,000 characters by 10.
    def row_of_calls(characters):
        call = f"length(ltrim(x, '{'1' * (characters - 1)}0'))"
        return f"with v(x) as (select hex(zeroblob(124000))) select count({' + '.join([call] * 60)}) from papers, v"

    status, body, seconds = timed(sql_url(server, row_of_calls(10)))
    assert status in (200, 400) and seconds < PROMPT, body[:300]
    if status == 400:  # stopped by the time limit, not refused
        assert "too big" not in error_of(body), body[:300]
    for characters in (11, 20):
        status, body, seconds = timed(sql_url(server, row_of_calls(characters)))
        assert status == 400 and "too big" in error_of(body) and seconds < PROMPT, body[:300]


def test_trim_of_a_short_text_may_remove_many_characters(server):
    # The bound is the text's length times the characters removed: a title's 200 characters by a
    # set of 12,500 is within it, and the answer is SQLite's own.
    text = "xy" * 100
    sql = (f"select ltrim('{text}', {a_string(12_499, 'z')} || 'x') as l, rtrim('{text}', {a_string(12_499, 'z')} || 'y')"
           f" as r, trim('{text}', {a_string(12_498, 'z')} || 'xy') as t")
    status, body = request(sql_url(server, sql, _shape="objects"))
    assert status == 200, body[-300:]
    assert json.loads(body)["rows"] == [{"l": "y" + "xy" * 99, "r": "xy" * 99 + "x", "t": ""}]
    status, body = request(sql_url(server, f"select ltrim('{text}', {a_string(12_600, 'z')} || 'x')"))
    assert status == 400 and "too big" in error_of(body), body[:300]


@pytest.mark.parametrize("sql", [
    "select count(" + " + ".join(["instr(hex(zeroblob(124999)), hex(zeroblob(62000)) || rowid)"] * 10) + ") from papers",
    "select count(length(replace(hex(zeroblob(124999)), hex(zeroblob(62000)) || rowid, 'x'))) from papers",
    "select count(printf(replace(hex(zeroblob(60000)), '0', '%d'), rowid)) from papers",
])
def test_a_slow_call_on_every_row_is_no_way_past_the_time_limit(server, sql):
    # SQLite's instr() and replace() compare the needle at each place of the haystack: 0.16 s a call
    # on these, ten a row, and the time limit, checked every 1,000 instructions, let the query run
    # 26 s; a printf() format of 240 kB took the plugin's check 80 ms a call (found by review).
    status, body, seconds = timed(sql_url(server, sql))
    assert status in (200, 400), body[:300]
    assert seconds < PROMPT
    assert server_alive(server)


@pytest.mark.parametrize("operator", ["like", "glob"])
def test_a_row_of_pattern_matches_is_no_way_past_the_time_limit(server, operator):
    # A LIKE or GLOB of a 100-character pattern on 240 kB takes SQLite 34 ms, and a row of 60 of
    # them ran between two of the time limit's checks (every 1,000 instructions): a query held its
    # SQL thread 13 s past its 1 s limit (noticed in the fifty-third session).
    pattern = ("%" if operator == "like" else "*") + "0" * 98 + "b"
    calls = " + ".join([f"(x {operator} '{pattern}')"] * 60)
    sql = f"with v(x) as (select hex(zeroblob(120000))) select count({calls}) from papers, v"
    status, body, seconds = timed(sql_url(server, sql))
    assert status == 400 and "took too long" in error_of(body), body[:300]
    # 14 s before; a check every 100 instructions stops it within about 30 calls (1 s) past the
    # limit, 2.5-3.2 s when another test run shares the machine: twice PROMPT tells the two apart.
    assert seconds < 2 * PROMPT
    assert server_alive(server)


def words_built_in_sql(count, word, separator=" "):
    """SQL for `count` copies of `word` joined by `separator`, built by the query itself."""
    return f"rtrim(replace(printf('%.{count}c', 'x'), 'x', '{word}{separator}'), '{separator}')"


def test_a_full_text_search_built_in_sql_is_no_way_past_the_time_limit(server):
    # FTS5 searches a row in one of SQLite's instructions, and its work on a row grows with the
    # square of the phrases: NEAR of 3,600 words built in 122 characters of SQL ran 18 s past the
    # 1 s limit, checked every 1,000 instructions (review). Its search text is now over the value
    # limit of SQL a visitor writes that reads the full-text table; under it, the search is
    # stopped at the time limit, and so is one in a table's filter.
    near = f"'NEAR(' || {words_built_in_sql(3600, 'the')} || ', 100000)'"
    status, body, seconds = timed(sql_url(server, f"select count(*) from papers_fts where papers_fts match {near}"))
    assert status == 400 and "string or blob too big" in error_of(body) and "8,192" in error_of(body), body[:300]
    assert seconds < PROMPT
    near = f"'NEAR(' || {words_built_in_sql(1900, 'the')} || ', 100000)'"  # 7.6 kB: 26 s before
    status, body, seconds = timed(sql_url(server, f"select count(*) from papers_fts where papers_fts match {near}"))
    assert status == 400 and "took too long" in error_of(body), body[:300]
    assert seconds < PROMPT
    where = f"rowid in (select rowid from papers_fts where papers_fts match {near})"
    status, body, seconds = timed(f"{server}/papers/papers.json?" + urllib.parse.urlencode({"_where": where}))
    assert status == 400 and "took too long" in body, body[:300]
    assert seconds < PROMPT
    snippets = (f"select snippet(papers_fts, -1, '', '', '', 64) from papers_fts "
                f"where papers_fts match {words_built_in_sql(1200, 'a', ' OR ')}")
    status, body, seconds = timed(sql_url(server, snippets))  # 6 kB of ORed words: 0.4 s a row, 28 s in all before
    assert status == 400 and "took too long" in error_of(body), body[:300]
    assert seconds < PROMPT
    assert server_alive(server)


def test_a_visitors_full_text_search_within_the_limits_answers_as_sqlite_does(server, built_db):
    import sqlite3

    sql = ("select rowid, snippet(papers_fts, 1, '[', ']', '...', 8) as snippet, bm25(papers_fts) as score "
           "from papers_fts where papers_fts match 'diffusion models' order by rank")
    status, body = request(sql_url(server, sql, _shape="array"))
    assert status == 200, body[:300]
    with sqlite3.connect(built_db) as conn:
        expected = conn.execute(sql).fetchall()
    assert [(row["rowid"], row["snippet"], row["score"]) for row in json.loads(body)] == expected and len(expected) == 17
    # A paper's abstract read with it, and a value of SQL that reads no full-text table, as before.
    sql = ("select papers.id, papers.abstract from papers join papers_fts on papers_fts.rowid = papers.id "
           "where papers_fts match 'diffusion' order by length(papers.abstract) desc limit 1")
    status, body = request(sql_url(server, sql, _shape="array"))
    assert status == 200 and len(json.loads(body)[0]["abstract"]) > 1500, body[:300]
    status, body = request(sql_url(server, f"select length({a_string(100_000)}) as n", _shape="array"))
    assert status == 200 and json.loads(body) == [{"n": 100_000}], body[:300]


def test_a_failed_query_leaves_no_cursor_for_the_garbage_collector(built_db):
    # Datasette keeps a failed query's cursor in a reference cycle (its error's traceback holds the
    # frame that holds the cursor). Whichever thread the garbage collector then runs on frees it,
    # and freeing a cursor waits for its connection: under the benchmark's attack mix the event
    # loop waited there, in sqlite3_reset, for the next attack on that connection to reach the 1 s
    # time limit, and every request on the worker with it.
    import asyncio
    import gc
    import sqlite3

    from test_serve import datasette_instance

    instance = datasette_instance(built_db)
    failing = "/papers.json?" + urllib.parse.urlencode({"sql": "select length(zeroblob(300000000))"})
    asyncio.run(instance.client.get("/-/versions.json"))  # startup hooks run on the first request
    gc.collect()
    gc.disable()
    try:
        response = asyncio.run(instance.client.get(failing))
        gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector would free is kept in gc.garbage instead
        gc.collect()
        # Cursors only: an unreachable connection (each is in a cycle with its own statement cache
        # in Python 3.11) runs no query, so freeing it waits for nothing.
        left_for_the_collector = [thing for thing in gc.garbage if isinstance(thing, sqlite3.Cursor)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert response.status_code == 400 and "too big" in response.json()["error"]
    assert left_for_the_collector == []


def test_a_query_page_of_binary_cells_stays_small_whatever_its_sql(server):
    # Each BLOB cell linked to its download by the whole query string: 99 such columns of 1,000
    # rows under 2 kB of SQL made a 228 MB page.
    columns = ", ".join(f"x'00' as c{number}" for number in range(10))
    sql = (f"with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) select {columns} from r"
           f" /* {'x' * 2000} */")
    status, body = request(f"{server}/papers?" + urllib.parse.urlencode({"sql": sql}))
    assert status == 200 and len(body) < 2_000_000
    assert body.count("&lt;Binary:&nbsp;1&nbsp;byte&gt;") == 10_000
    status, body = request(f"{server}/papers.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array"}))
    assert status == 200 and len(json.loads(body)) == 1000  # the values are still there in JSON


def test_an_html_query_page_shows_at_most_twenty_thousand_cells(server):
    # Datasette renders each cell of a query page in the event loop, where every other request
    # waits: 99 columns of 1,000 rows held a server 0.3-1 s a page.
    columns = ", ".join(f"'cell ' || i as c{number}" for number in range(99))
    sql = f"with recursive r(i) as (select 1 union all select i + 1 from r limit {{rows}}) select {columns} from r"
    status, body = request(f"{server}/papers?" + urllib.parse.urlencode({"sql": sql.format(rows=1000)}))
    page = body
    shown = 20_000 // 99
    assert status == 200 and page.count("<tr>") == 1 + shown  # the head's row, then the rows shown
    assert f"<td class=\"col-c98\">cell {shown}</td>" in page and f"cell {shown + 1}</td>" not in page
    assert (f"This page shows the first {shown} rows of the result: a page shows at most 20,000 cells, and each row "
            "has 99. The JSON and CSV below give all 1,000.") in page
    assert "Custom SQL query returning 1,000 rows" in page
    status, body = request(f"{server}/papers?" + urllib.parse.urlencode({"sql": sql.format(rows=5000)}))
    assert status == 200 and "The JSON and CSV below give its first 1,000." in body
    assert "Custom SQL query returning more than 1,000 rows" in body
    # The tilde-encoded name is the database; a format no renderer writes is no page (it was this HTML).
    status, body = request(f"{server}/~70apers?" + urllib.parse.urlencode({"sql": sql.format(rows=1000)}))
    assert status == 200 and body.count("<tr>") == 1 + shown
    for path in ("/papers.xyz", "/papers.html"):
        assert request(f"{server}{path}?" + urllib.parse.urlencode({"sql": sql.format(rows=1000)}))[0] == 404, path
    status, body = request(f"{server}/papers.json?" + urllib.parse.urlencode({"sql": sql.format(rows=1000)}))
    assert status == 200 and len(json.loads(body)["rows"]) == 1000 and not json.loads(body)["truncated"]
    status, body = request(f"{server}/papers.csv?" + urllib.parse.urlencode({"sql": sql.format(rows=1000)}))
    assert status == 200 and body.count("\n") == 1 + 1000


def test_an_html_query_page_of_a_whole_tables_columns_is_not_cut(server):
    # The widest table, listings, has 16 columns: 1,000 rows of them are 16,000 cells.
    columns = ", ".join(f"i as c{number}" for number in range(16))
    sql = f"with recursive r(i) as (select 1 union all select i + 1 from r limit 1000) select {columns} from r"
    status, body = request(f"{server}/papers?" + urllib.parse.urlencode({"sql": sql}))
    page = body
    assert status == 200 and page.count("<tr>") == 1 + 1000 and "a page shows at most" not in page
    assert "returning 1,000 rows" in page


def test_no_page_shows_where_the_database_lies_on_the_server(server, built_db):
    status, body = request(f"{server}/-/databases.json")
    assert status == 200 and json.loads(body) == [{
        "name": "papers", "route": "papers", "size": built_db.stat().st_size, "is_mutable": False, "is_memory": False,
        "hash": hashlib.sha256(built_db.read_bytes()).hexdigest()}]
    for page in ("/-/databases", "/-/databases.json", "/papers.json", "/-/metadata.json", "/-/settings.json",
                 "/-/plugins.json", "/-/threads", "/-/threads.json"):
        status, body = request(server + page)
        assert status == 200 and str(built_db.parent) not in body and ".py" not in body, page
    status, body = request(f"{server}/-/threads.json")
    assert set(json.loads(body)) == {"num_threads", "threads", "num_tasks"}  # not the tasks' code and its files
    # Nor SQL: pragma_database_list names the file.
    for url in (sql_url(server, "select * from pragma_database_list"),
                f"{server}/papers/papers.json?" + urllib.parse.urlencode(
                    {"_where": "exists (select 1 from pragma_database_list where file like '/%')"})):
        status, body = request(url)
        assert status == 400 and "pragma_database_list" in error_of(body) and str(built_db.parent) not in body


@pytest.mark.parametrize("sql", [
    # Datasette checks pragmas in the SQL's text once lines opening with `--` are dropped; in a
    # comment opened on the line before, SQLite reads on after the `*/`.
    "select 1 /*\n--*/ , * from pragma_compile_options",
    "select 1 /*\n--*/ , (select count(*) from pragma_compile_options) as n",
    "select 1 /*\n--*/ , * from main.PRAGMA_HARD_HEAP_LIMIT",
    "select 1 /*\n--*/ , * from pragma_database_list",
])
def test_pragmas_outside_datasettes_list_are_denied_however_the_sql_hides_them(server, sql):
    status, body = request(sql_url(server, sql))
    table = sql.rsplit(" from ", 1)[1].split()[0].split(".")[-1].rstrip(")").lower()
    error = error_of(body).lower()  # SQLite names the column read, if any
    assert status == 400 and (f"access to {table}." in error or error == "not authorized") and "ENABLE_" not in body


@pytest.mark.parametrize(("path", "error"), [
    ("/papers/search.json?q=diffusion&_shape=object", "_shape=object is only available on tables"),
    ("/papers.json?sql=select+1&_shape=object", "_shape=object is only available on tables"),
    ("/papers/trending.json?_shape=object", "_shape=object not available for tables with no primary keys"),
])
def test_a_shape_a_page_cannot_give_is_a_400(server, path, error):
    status, body = request(server + path)
    assert (status, error_of(body)) == (400, error)


def test_a_shape_of_objects_is_given_where_a_table_has_keys(server):
    status, body = request(f"{server}/papers/decisions.json?_shape=object&_size=2")
    rows = json.loads(body)
    assert status == 200 and len(rows) == 2 and all(key == str(row["id"]) for key, row in rows.items())


def test_pragmas_on_datasettes_list_are_still_read(server):
    status, body = request(sql_url(server, "select name from pragma_table_info('decisions') order by cid", _shape="array"))
    assert status == 200 and [row["name"] for row in json.loads(body)][:2] == ["id", "label"]


@pytest.mark.parametrize(("sql", "title", "message"), [
    ("select zeroblob(1000000000)", "Too large", "string or blob too big"),
    ("select nosuch from papers", "Invalid SQL", "no such column: nosuch"),
    ("select * from papers where", "Invalid SQL", "incomplete input"),
])
def test_a_csv_of_a_failing_query_is_a_400_that_says_why(server, sql, title, message):
    # Datasette 0.65 answered 200 with an empty file: a script saving it saw no error.
    status, body = request(f"{server}/papers.csv?" + urllib.parse.urlencode({"sql": sql}))
    assert status == 400 and f"<h1>{title}</h1>" in body and message in body
    status, body = request(f"{server}/papers.json?" + urllib.parse.urlencode({"sql": sql}))
    assert status == 400 and message in error_of(body)


def test_a_csv_of_a_query_that_works_is_unchanged(server):
    status, body = request(f"{server}/papers.csv?" + urllib.parse.urlencode({"sql": "select 1 as one, 'a,b' as two"}))
    assert status == 200 and body == 'one,two\r\n1,"a,b"\r\n'
    status, body = request(f"{server}/papers/trending_on.csv?snapshot_date=1999-01-01")
    assert status == 200 and body == "upvotes,title,paper_id,published_on,source,line\r\n"


def test_a_visitors_bad_request_logs_no_traceback(server, serve_log):
    # Datasette's own error handler logged about 30 lines of traceback for a 400 such as
    # _next=abc on a view or /-/allow-debug's bad actor: a flood of them filled the server's log.
    logged = serve_log.read_text()
    for path in ("/papers/papers.json?_through=abc", "/papers/trending.json?_next=abc",
                 "/-/allow-debug?actor=1&allow=1", "/papers/papers/999999999", "/papers/no_such_table"):
        status, _ = request(server + path)
        assert status in (400, 404), path
    time.sleep(0.5)  # the log is written by the server's processes
    new = serve_log.read_text()[len(logged):]
    assert "Traceback" not in new and new.count('HTTP/1.1" 40') == 5


def raw_get(server, path):
    """(status, body, Location header) of a GET of `path` exactly as written: no client folds its
    `..` or `//`."""
    host, port = urllib.parse.urlsplit(server).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace"), response.getheader("Location")
    finally:
        connection.close()


def test_a_static_files_path_names_a_file_inside_the_static_folders_or_nothing(server, serve_log):
    # Datasette looked such paths up on the disk: `..` to an existing folder was a 403 and to a
    # missing one a 404, telling anyone which folders the server has; a name too long, a path
    # through a file and a link that loops were 500s, each with its traceback in the log.
    assert raw_get(server, "/-/static/app.css")[0] == 200
    logged = serve_log.read_text()
    climb = "../" * 12
    paths = [f"/-/static/{climb}etc", f"/-/static/{climb}no_such_folder_here", f"/-/static/{climb}proc/1/cwd/x",
             f"/-/static/{climb}etc/passwd", "/-/static//etc", "/-/static//etc/passwd", "/-/static/./app.css",
             "/-/static/", "/-/static/app.css/x", "/-/static/" + "a" * 256, "/-/static/" + "%C3%A9" * 128,
             f"/-/static-plugins/{climb}etc", "/-/static-plugins//etc", "/-/static/%2e%2e/%2e%2e/%2e%2e/etc",
             "/-/static/%00"]
    answers = {path: raw_get(server, path)[:2] for path in paths}
    assert {path: status for path, (status, _) in answers.items()} == dict.fromkeys(paths, 404)
    assert not [path for path, (_, body) in answers.items() if "root:" in body or "directory" in body.lower()]
    time.sleep(0.5)  # the log is written by the server's processes
    assert "Traceback" not in serve_log.read_text()[len(logged):]


def redirect_of(server, path):
    """(status, Location header) of a GET of `path` exactly as written."""
    status, _, location = raw_get(server, path)
    return status, location


def test_no_path_redirects_to_another_site_or_to_nowhere(server):
    # Datasette redirects a path ending in "/" to the path without it: `/\evil.example/` went to
    # `/\evil.example`, which browsers read as //evil.example, and `////` to an empty Location; a
    # request line naming a whole URL to that URL (review).
    for path in ("/\\evil.example/", "/\\evil.example//", "//\\evil.example/", "/papers/\\x/", "////", "//",
                 "/\\/evil.example/", "HTTP://evil.example//", "http://evil.example/\\evil.example/",
                 "http://evil.example////"):
        assert redirect_of(server, path) == (404, None), path
    # The redirects the site means are kept, repeated leading slashes folded as Datasette folds them.
    assert redirect_of(server, "/papers/") == (302, "/papers")
    assert redirect_of(server, "/papers/papers/?_size=1") == (302, "/papers/papers?_size=1")
    assert redirect_of(server, "//evil.example/") == (302, "/evil.example")
    # A whole URL in the request line is this site's page at the URL's path, whatever its host.
    assert redirect_of(server, "https://evil.example/-/versions.json/") == (302, "/-/versions.json")
    assert redirect_of(server, "http://evil.example//evil.example/") == (302, "/evil.example")


def test_a_request_line_naming_a_whole_url_is_answered_as_its_path(server):
    # RFC 9112 (3.2.2): a server takes a request line's absolute form (`GET http://host/papers
    # HTTP/1.1`, as a proxy may send it) and reads the host from it. Uvicorn handed the whole URL on
    # as the path: Datasette 0.65 answered 404, or redirected to the URL (review).
    host = urllib.parse.urlsplit(server).netloc
    papers = raw_get(server, "/papers/papers.json?_size=2&_shape=array")
    assert papers[0] == 200 and len(json.loads(papers[1])) == 2
    for url in (f"http://{host}/papers/papers.json?_size=2&_shape=array",
                "HTTPS://another.example:8080/papers/papers.json?_size=2&_shape=array",
                "http://user@another.example/papers/papers.json?_size=2&_shape=array"):
        assert raw_get(server, url)[:2] == papers[:2], url
    index = raw_get(server, "/")
    assert index[0] == 200 and "papers" in index[1]
    for url in (f"http://{host}", f"http://{host}/", "http://evil.example", "http://evil.example?x=1"):
        assert raw_get(server, url)[0] == 200, url
    # The form is a URL's, not any text before a slash: these name no page of the site.
    for path in ("ftp://evil.example/papers", "http:/papers", "papers"):
        assert raw_get(server, path)[0] == 404, path


def test_a_page_in_a_format_no_renderer_writes_is_not_found(server):
    # Datasette 0.65 answered a database, table, view or query page in an unknown format
    # (`/papers/papers.nosuch`, `.JSON`) 200 with the HTML page, as if the extension were no part
    # of the path.
    for path in ("/papers.nosuch", "/papers/papers.nosuch", "/papers/papers.JSON", "/papers/papers.html",
                 "/papers/paper_overview.xml", "/papers/accepted_papers.nosuch", "/papers/search.nosuch",
                 "/papers/papers.nosuch?_shape=array", "/papers/papers/1.nosuch"):
        status, body, _ = raw_get(server, path)
        assert status == 404, path
        if not path.startswith("/papers/papers/1"):
            assert "No such format: ." + path.split(".")[1].split("?")[0] in body and ".csv or .json" in body, path
    # The formats the site writes are as they were.
    for path in ("/papers.json", "/papers/papers.json", "/papers/papers.csv", "/papers/accepted_papers.json",
                 "/papers/paper_overview.csv?_size=1", "/papers.db"):
        assert raw_get(server, path)[0] == 200, path
    assert raw_get(server, "/papers/papers.db")[0] == 404
    assert redirect_of(server, "/papers/papers.jsono") == (302, "/papers/papers.json?_shape=objects")
    # Percent-encoded, the same (it was redirected with the first row's token: review); a table or
    # query the site has not is Datasette's "Table not found", whatever its extension.
    for path in ("/papers/papers.%78yz", "/papers/papers%2Exyz", "/papers.%78yz", "/papers/search.%78yz"):
        status, body, _ = raw_get(server, path)
        assert status == 404 and "No such format: .xyz." in body, path
    status, body, _ = raw_get(server, "/papers/nosuchtable.xyz")
    assert status == 404 and "Table not found" in body and "No such format" not in body
    # "%2F" is part of a name to Datasette, not a separator: Datasette's redirect, no format refused (review).
    status, location = redirect_of(server, "/papers%2Fpapers.xyz")
    assert status == 302 and "_next" not in location
    for path in ("/papers/papers.js%6Fn", "/papers/papers.js%6Fn?_sort=tier", "/papers/p%61pers?_sort=tier"):
        status, location = redirect_of(server, path)
        assert status == 302 and "_next" not in location, (path, location)


def test_a_static_file_the_disk_cannot_look_up_is_not_found_not_a_fault(built_db, capsys):
    # A link that loops in a plugin's static folder is a RuntimeError of pathlib's, a path through
    # a file a NotADirectoryError: both were 500s with a traceback.
    from datasette.utils.asgi import Request
    from test_serve import datasette_instance

    plugin = load_plugin()
    instance = datasette_instance(built_db)

    async def answer(path, fault):
        await instance.invoke_startup()
        return await plugin.handle_exception(instance, Request.fake(path), fault)()

    for fault in (RuntimeError("Symlink loop from '/srv/x'"), NotADirectoryError(20, "Not a directory"),
                  OSError(36, "File name too long")):
        response = asyncio.run(answer("/-/static-plugins/some-plugin/loop/x.js", fault))
        assert response.status == 404 and "/srv" not in response.body, fault
    assert "Traceback" not in capsys.readouterr().err
    # A fault of the disk or of the process's open files is the server's, a static file's too.
    for fault in (PermissionError(13, "Permission denied"), OSError(24, "Too many open files"), OSError(5, "I/O error"),
                  RuntimeError("the disk went away")):
        response = asyncio.run(answer("/-/static/app.css", fault))
        assert response.status == 500, fault
    response = asyncio.run(answer("/papers/papers", RuntimeError("Symlink loop from '/srv/x'")))
    assert response.status == 500  # elsewhere a loop is the server's fault too


def test_static_file_paths_are_checked_below_base_url_as_datasette_routes_them(built_db):
    # With base_url set, the checks looked at /p/-/static/..., which is no static path, and let
    # Datasette answer 403, or 500 for a path through a file.
    from test_serve import datasette_on

    get = datasette_on(built_db, extra_args=["--setting", "base_url", "/p/"])  # its client puts /p in front
    assert get("/-/static/app.css").status_code == 200
    for path in ("/-/static/app.css/x", "/-/static/" + "a" * 256, "/-/static/", "/-/static/" + "%41" * 90):
        assert get(path).status_code == 404, path


def test_a_guarded_function_that_fails_is_a_400_and_logs_nothing(server, serve_log):
    # Each logged "Exception ignored in: <function guarded.<locals>.call>" and a traceback: a
    # request anyone could repeat to fill the server's log.
    logged = serve_log.read_text()
    for sql in ("select json_patch('{', '{}')", "select printf('%s', x'ff00')", "select format(x'ff')",
                "select trim(x'ff', 'a')", "select printf(cast(x'c0' as text))", "select upper(printf('%s', x'c0'))"):
        status, body = request(sql_url(server, sql))
        assert status == 400 and error_of(body) == "user-defined function raised exception", (sql, body[:300])
    time.sleep(0.5)  # the log is written by the server's processes
    new = serve_log.read_text()[len(logged):]
    assert "Traceback" not in new and "Exception ignored" not in new, new[:2000]


def test_quieting_guarded_functions_leaves_every_other_unraisable_exception_to_the_hook_before(monkeypatch):
    import sqlite3
    import sys

    heard = []
    monkeypatch.setattr(sys, "unraisablehook", heard.append)
    plugin = load_plugin()
    conn = sqlite3.connect(":memory:")
    plugin.install_guarded_functions(conn)
    quieting = sys.unraisablehook
    plugin.install_guarded_functions(sqlite3.connect(":memory:"))  # each connection: the hook is not wrapped again
    assert sys.unraisablehook is quieting and quieting.quiets_guarded_failures

    def failing(*args):
        raise sqlite3.OperationalError("not a guarded function's")

    conn.create_function("other", -1, failing)
    sqlite3.enable_callback_tracebacks(True)
    try:
        for sql in ("select json_patch('{', '{}')", "select other(1)", "select printf(cast(x'c0' as text))"):
            with pytest.raises(sqlite3.OperationalError):
                conn.execute(sql).fetchone()
    finally:
        sqlite3.enable_callback_tracebacks(False)
    assert [(unraisable.object, str(unraisable.exc_value)) for unraisable in heard] == [
        (failing, "not a guarded function's")]


def test_a_server_at_its_open_file_limit_says_so_once_and_serves_again_once_connections_close(built_db, tmp_path):
    # 20,000 half-open connections (README: "Keep a proxy in front") held a server at its open-file
    # limit, and asyncio logged "socket.accept() out of system resource" with a 7-line traceback
    # 524,667 times in a few minutes (212 MB). Here the limit is 128 files, and 300 connections
    # each send half a request.
    port = free_port()
    limited = [sys.executable, "-c", "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128)); "
               "os.execv(sys.argv[1], sys.argv[1:])", *serve_command(built_db, port, "--workers", "1")]
    for stopped_while_held in (True, False):
        log = tmp_path / f"serve-{stopped_while_held}.log"
        held = []
        try:
            with serving(limited, log, port) as base:
                for _ in range(300):
                    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                    connection.sendall(b"GET /papers/papers HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
                    held.append(connection)
                time.sleep(3)
                failures = [line for line in log.read_text().splitlines() if "out of system resource" in line]
                if not stopped_while_held:
                    for connection in held:
                        connection.close()
                    time.sleep(2.5)  # asyncio accepts again a second after it last failed
                    assert request(base + "/papers/papers.json?_size=1")[0] == 200
            # Stopped (SIGTERM) with the connections still open, as an operator would stop it, every
            # retry asyncio had scheduled failed on the closed socket: 22,926 tracebacks, 36 MB.
        finally:
            for connection in held:
                connection.close()
        text = log.read_text()
        assert len(failures) == 1 and "Too many open files" in failures[0], failures[:3]
        assert "Traceback" not in text and len(text) < 20_000, (stopped_while_held, text[:2000])


def test_a_query_sqlite_refuses_is_not_written_to_the_log(server, serve_log):
    # Datasette wrote "ERROR: conn=..., sql = '...', params = ...: no such column" for each,
    # repeating the visitor's SQL beside the access log's line.
    asked = {
        "/papers.json?sql=select+nosuch_column_a": "nosuch_column_a",
        "/papers?sql=select+nosuch_column_b": "nosuch_column_b",
        "/papers.csv?sql=select+nosuch_column_c": "nosuch_column_c",
        "/papers/papers.json?_where=nosuch_column_d+%3D+1": "nosuch_column_d",
        "/papers/papers.json?_facet_date=nosuch_column_e": "nosuch_column_e",
    }
    logged = serve_log.read_text()
    for path in asked:
        status, _ = request(server + path)
        assert status == 400, path
    time.sleep(0.5)  # the log is written by the server's processes
    new = serve_log.read_text()[len(logged):].splitlines()
    assert not [line for line in new if "ERROR" in line or "sql =" in line]
    for path, word in asked.items():  # each request's one line is the access log's
        assert len([line for line in new if word in line]) == 1, path


def test_a_fault_of_the_server_is_a_500_that_logs_its_traceback(built_db, capsys):
    from datasette.utils.asgi import Request
    from test_serve import datasette_instance

    plugin = load_plugin()
    instance = datasette_instance(built_db)

    async def answer():
        await instance.invoke_startup()
        try:
            raise RuntimeError("the disk went away")
        except RuntimeError as fault:
            handled = plugin.handle_exception(instance, Request.fake("/papers/papers"), fault)
        return await handled()

    response = asyncio.run(answer())
    assert response.status == 500 and "the disk went away" not in response.body
    logged = capsys.readouterr().err
    assert "Traceback" in logged and "RuntimeError: the disk went away" in logged


@pytest.mark.parametrize("fault", ["disk I/O error", "database disk image is malformed"])
def test_a_fault_of_the_disk_is_a_500_that_logs_its_traceback_on_every_page(built_db, capsys, fault):
    # Datasette's table, row and CSV views answered "disk I/O error" (an OperationalError, as a
    # visitor's mistake is) with a 400 "Invalid SQL", and only its ERROR line logged it.
    import re
    import sqlite3

    from test_serve import datasette_instance

    code, kind = {"disk I/O error": (sqlite3.SQLITE_IOERR_READ, sqlite3.OperationalError),
                  "database disk image is malformed": (sqlite3.SQLITE_CORRUPT, sqlite3.DatabaseError)}[fault]
    reads_the_tables = re.compile(r"\b(from|join)\s+\[?(papers|listings)\b", re.IGNORECASE)

    def failing(sql):
        if reads_the_tables.search(sql or ""):
            error = kind(fault)
            error.sqlite_errorcode = code
            raise error

    class FailingConnection:  # the file's pages of papers and listings cannot be read
        def __init__(self, conn):
            self.conn = conn

        def __getattr__(self, name):
            return getattr(self.conn, name)

        def execute(self, sql, *args):
            failing(sql)
            return self.conn.execute(sql, *args)

        def cursor(self):
            cursor = self.conn.cursor()
            execute = cursor.execute

            class FailingCursor:
                def __getattr__(self, name):
                    return getattr(cursor, name)

                def __iter__(self):
                    return iter(cursor)

                def execute(self, sql, *args):
                    failing(sql)
                    execute(sql, *args)
                    return self
            return FailingCursor()

    instance = datasette_instance(built_db)
    pages = ["/papers/papers", "/papers/papers.json", "/papers/papers.csv", "/papers/listings?_facet=matched_by",
             "/papers/papers?_sort=first_published_on", "/papers.json?sql=select+id+from+papers"]

    async def answers():
        await instance.invoke_startup()
        db = instance.get_database("papers")
        execute_fn = db.execute_fn

        async def failing_execute_fn(fn):
            return await execute_fn(lambda conn: fn(FailingConnection(conn)))
        db.execute_fn = failing_execute_fn
        capsys.readouterr()
        answered = {}
        for path in [*pages, "/papers.json?sql=select+nosuch_column"]:
            response = await instance.client.get(path)
            answered[path] = (response.status_code, response.text, capsys.readouterr().err)
        return answered

    answered = asyncio.run(answers())
    for path in pages:
        status, body, logged = answered[path]
        assert status == 500 and fault not in body, path
        assert "Traceback" in logged and fault in logged, path
    status, _, logged = answered["/papers.json?sql=select+nosuch_column"]  # the visitor's own mistake
    assert status == 400 and logged == ""


def test_a_damaged_file_is_a_500_that_says_no_more_on_a_query_page_too(built_db, tmp_path):
    # A query page showed "database disk image is malformed" as a mistake in the visitor's SQL:
    # a 400 with SQLite's text, and as CSV a 200 with an empty file. Table pages answered 500.
    import shutil
    import sqlite3

    from test_serve import datasette_on

    damaged = tmp_path / "papers.db"
    shutil.copy(built_db, damaged)
    with sqlite3.connect(damaged) as conn:
        page_size = conn.execute("pragma page_size").fetchone()[0]
        root = conn.execute("select rootpage from sqlite_master where name = 'papers'").fetchone()[0]
    data = bytearray(damaged.read_bytes())
    data[(root - 1) * page_size:root * page_size] = b"\xff" * page_size
    damaged.write_bytes(bytes(data))
    assert str(sqlite_error(damaged, "select * from papers")) == "database disk image is malformed"
    get = datasette_on(damaged)
    for path in ("/papers.json?sql=select+*+from+papers", "/papers.csv?sql=select+*+from+papers",
                 "/papers?sql=select+*+from+papers", "/papers/papers.json"):
        response = get(path)
        assert response.status_code == 500 and "malformed" not in response.text, path



SQL_PIECES = ["/*", "*/", "--", "\n", " ", "\t", "\r", "select", "SELECT", "with", "explain", "query", "plan", "x",
              "*", "/", "-", "1", "(", "selects", "\u00a0", "\u2028", "\n--", " --"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(SQL_PIECES), max_size=12).map("".join))
def test_the_plugin_takes_sql_for_a_select_exactly_where_datasette_does(sql):
    from datasette.utils import InvalidSql, validate_sql_select

    try:
        validate_sql_select(sql)
        datasette_takes_it = True
    except InvalidSql:
        datasette_takes_it = False
    assert load_plugin_once().reads_as_a_select(sql) == datasette_takes_it


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(SQL_PIECES + ["pragma", "_table_info", "pragma_foo", "(x)"]), max_size=12).map("".join))
def test_the_plugins_whole_sql_check_answers_as_datasettes_does(sql):
    from datasette.utils import InvalidSql, validate_sql_select

    answers = []
    for check in (validate_sql_select, load_plugin_once().validate_sql_select_in_one_pass):
        try:
            check(sql)
            answers.append(None)
        except InvalidSql as refusal:
            answers.append(str(refusal))
    assert answers[0] == answers[1]


@functools.cache
def load_plugin_once():
    return load_plugin()


def test_a_visitors_sql_is_checked_in_one_pass_not_by_datasettes_backtracking_patterns(built_db, monkeypatch):
    # Datasette 0.65's check backtracks, where every request of the process waits, in time growing
    # with the square of the spaces after a comment, for any text its patterns do not take at
    # once: `/**/`, 9,990 spaces and `x` held a server 0.5 s, and twelve such requests at once
    # 5.7 s; a WITH or an EXPLAIN after them too (tried after every SELECT pattern had failed).
    import datasette.utils
    import datasette.views.database as database_view
    from test_serve import datasette_instance

    tried = []

    class Recorded:
        def __init__(self, pattern):
            self.pattern = pattern

        def match(self, text):
            tried.append(text)
            return self.pattern.match(text)

    monkeypatch.setattr(datasette.utils, "allowed_sql_res", [Recorded(pattern) for pattern in datasette.utils.allowed_sql_res])
    monkeypatch.setattr(database_view, "validate_sql_select", database_view.validate_sql_select)  # put back after
    instance = datasette_instance(built_db)
    asyncio.run(instance.client.get("/-/versions.json"))  # startup hooks run on the first request

    async def get(path, sql):
        return await instance.client.get(path + "?" + urllib.parse.urlencode({"sql": sql}))

    spaces = "/**/" + " " * 9_000
    for sql in [spaces + "x", "drop table papers", "/* select */ delete from papers", "-- select\nupdate x",
                "/* a comment that never ends select 1", "select * from pragma_compile_options"]:
        for path in ("/papers.json", "/papers", "/papers.csv"):
            response = asyncio.run(get(path, sql))
            assert response.status_code == 400, (path, sql[:40])
            assert ("Statement must be a SELECT" in response.text) != ("pragma" in sql)
    for sql in [spaces + "explain query plan with x as (select 1) select * from x", spaces + "with x as (select 1) select * from x"]:
        assert asyncio.run(get("/papers.json", sql)).status_code == 200
    assert tried == []
    # Only a query page checks its SQL: on a table page `sql` is another parameter, as before.
    assert "Statement must be a SELECT" not in asyncio.run(get("/papers/papers.json", "update x")).text


def test_a_search_while_another_query_holds_sqlites_heap_is_no_500(built_db):
    # SQLite's heap limit is the process's: while one visitor's query (300 copies of `the*` in
    # ?sql=) held it, a search page's words could not be split, and the MemoryError of it escaped
    # as a 500 (found by review). Here the heap is held by a limit below what SQLite uses already.
    script = """
import asyncio, sqlite3, sys
from datasette.app import Datasette
from papers_db.metadata import read_metadata

async def main():
    datasette = Datasette([sys.argv[1]], metadata=read_metadata()[0], immutables=[])
    assert (await datasette.client.get("/papers/search?q=diffusion")).status_code == 200
    try:
        sqlite3.connect(":memory:").execute("pragma hard_heap_limit = 1")
    except MemoryError:  # the limit is in place: the pragma's own statement could not be finished
        pass
    for q in ("diffusion", "model learning"):
        response = await datasette.client.get("/papers/search?q=" + q)
        print(response.status_code, "Too large" in response.text)

asyncio.run(main())
"""
    ran = subprocess.run([sys.executable, "-c", script, str(built_db)], capture_output=True, text=True, timeout=120,
                         cwd=PROJECT)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "400 True\n400 True\n", "")


def test_a_database_download_is_read_only_while_its_client_takes_it(built_db):
    # Datasette read and sent the whole file, 4 KiB at a time, after its client had gone, and for
    # a HEAD too: 1.3 s of a core each at 30,000 papers (found by review).
    from test_serve import datasette_instance

    instance = datasette_instance(built_db)
    app = instance.app()
    size = built_db.stat().st_size
    assert size > 200 * 4096

    async def download(method, leaves_after):
        """The messages a client gets that asks with `method` and goes after `leaves_after` parts of the body."""
        got, left, asked = [], asyncio.Event(), []

        async def receive():  # the request once, then the client's going
            if not asked:
                asked.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            got.append(message)
            if sum(m["type"] == "http.response.body" for m in got) >= leaves_after:
                left.set()
        await asyncio.wait_for(app(asgi_scope("/papers.db", method), receive, send), 30)
        return got

    async def visit():
        await instance.invoke_startup()
        return [await download(*asked) for asked in (("HEAD", 10**9), ("GET", 1), ("GET", 10**9))]

    head, left, whole = asyncio.run(visit())
    headers = dict(head[0]["headers"])
    assert head[0]["status"] == 200 and int(headers[b"content-length"]) == size
    assert [message["type"] for message in head] == ["http.response.start", "http.response.body"] and head[1]["body"] == b""
    assert 1 <= sum(message["type"] == "http.response.body" for message in left) <= 3
    assert b"".join(message.get("body", b"") for message in whole) == built_db.read_bytes()


async def loop_turns_at_each_body_message(instance, url):
    """(the turns another task had of the event loop at each body message of the answer to `url`
    through the whole app, the answer's body), with the app and that task in one loop."""
    await instance.invoke_startup()
    app, turns, seen, bodies, done = instance.app(), [0], [], [], asyncio.Event()

    async def other_task():
        while not done.is_set():
            await asyncio.sleep(0)
            turns[0] += 1

    async def receive():  # the request once, then (as a server does) nothing until the client goes
        if not bodies and not seen:
            seen.append(None)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        if message["type"] == "http.response.body":
            seen.append(turns[0])
            bodies.append(message.get("body", b""))
    other = asyncio.create_task(other_task())
    await app(asgi_scope(url), receive, send)
    done.set()
    await other
    return seen[1:], b"".join(bodies)


@pytest.mark.parametrize("url", ["/papers/listings.csv?_size=max", "/papers/listings.csv?_stream=on"])
def test_a_long_csv_gives_the_event_loop_a_turn_every_few_rows(built_db, url):
    # Datasette writes a CSV a row at a time and sending returns at once while the server's buffer
    # has room: a CSV of 1,000 rows held a worker's loop 69 ms, every other request of the worker
    # waiting (a cheap page beside 8 such downloads: p90 146 ms, 26-32 since).
    from test_serve import datasette_instance

    from papers_db.plugin import LOOP_TURN_MESSAGES

    instance = datasette_instance(built_db)
    seen, body = asyncio.run(loop_turns_at_each_body_message(instance, url))
    rows = sqlite3_rows(built_db, "select count(*) from listings")[0][0]
    assert body.decode().count("\r\n") == rows + 1  # the heading and every listing
    runs = [len(list(group)) for _, group in itertools.groupby(seen)]
    assert len(seen) > 300 and max(runs) <= LOOP_TURN_MESSAGES == 16


def sqlite3_rows(database, sql):
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return conn.execute(sql).fetchall()


def test_a_large_json_answer_is_written_beside_the_event_loop_as_it_would_be_in_it(built_db, monkeypatch):
    # json.dumps of 1,000 rows of abstracts (4 MB) took 38 ms of the loop, with every other request
    # of the worker waiting. Above JSON_IN_THREAD_CELLS it is written in a thread; a table's page
    # (50 rows) still in the loop's.
    import datasette.renderer
    from test_serve import datasette_instance

    from papers_db import plugin

    written_in = []
    render = datasette.renderer.json_renderer

    def recording_render(*args):
        written_in.append(threading.current_thread() is threading.main_thread())
        return render(*args)
    monkeypatch.setattr(datasette.renderer, "json_renderer", recording_render)
    instance = datasette_instance(built_db)
    big = "/papers.json?sql=" + urllib.parse.quote("select * from listings") + "&_shape=array"
    listings = sqlite3_rows(built_db, "select * from listings")
    assert len(listings) * len(listings[0]) > plugin.JSON_IN_THREAD_CELLS

    async def bodies():
        beside = (await loop_turns_at_each_body_message(instance, big))[1]
        table_page = (await loop_turns_at_each_body_message(instance, "/papers/listings.json?_shape=array"))[1]
        monkeypatch.setattr(plugin, "JSON_IN_THREAD_CELLS", 10**9)
        in_the_loop = (await loop_turns_at_each_body_message(instance, big))[1]
        return beside, table_page, in_the_loop
    beside, table_page, in_the_loop = asyncio.run(bodies())
    assert written_in == [False, True, True]
    assert beside == in_the_loop and len(json.loads(beside)) == len(listings)
    assert len(json.loads(table_page)) == 50


def test_json_answers_take_at_most_json_threads_and_the_rest_are_written_in_the_loop(built_db, monkeypatch):
    # Unbounded, the loop took request after request while their answers waited for a thread, each
    # holding its rows: 600 requests for 1 MB of JSON took a worker from 0.84 to 1.85 GB (found by review).
    import datasette.renderer
    from test_serve import datasette_instance

    from papers_db import plugin

    render, lock, running, most, in_threads = datasette.renderer.json_renderer, threading.Lock(), [0], [0], []

    def counting_render(*args):
        beside = threading.current_thread() is not threading.main_thread()
        with lock:
            running[0] += beside
            most[0] = max(most[0], running[0])
        in_threads.append(beside)
        try:
            time.sleep(0.05 if beside else 0)  # long enough for the others to ask for a thread meanwhile
            return render(*args)
        finally:
            with lock:
                running[0] -= beside
    monkeypatch.setattr(datasette.renderer, "json_renderer", counting_render)
    instance = datasette_instance(built_db)
    big = "/papers.json?sql=" + urllib.parse.quote("select * from listings") + "&_shape=array"

    async def many():
        return await asyncio.gather(*(loop_turns_at_each_body_message(instance, big) for _ in range(8)))
    bodies = {body for _, body in asyncio.run(many())}
    assert len(bodies) == 1 and len(in_threads) == 8
    assert most[0] == plugin.JSON_THREADS and in_threads.count(False) >= 1 and plugin.JsonThreads.busy == 0


@pytest.mark.parametrize("query", ["select '{}' as j", "select l.*, '{}' as j from listings l"])
def test_a_json_value_nested_too_deeply_for_json_is_refused_on_every_page(built_db, query):
    # Python's JSON reader stops where the stack runs out, deeper in a thread than in the loop: the
    # same value nested 970 deep was a 200 on a page written in a thread and a 400 on one written in
    # the loop (found by review). Beyond JSON_NESTING_LIMIT it is a 400 on both; within it, read.
    from test_serve import datasette_instance

    from papers_db.plugin import JSON_NESTING_LIMIT

    instance = datasette_instance(built_db)

    def answer(depth):
        value = "[" * depth + '"[[["' + "]" * depth
        url = "/papers.json?" + urllib.parse.urlencode({"sql": query.replace("'{}'", f"'{value}'"), "_json": "j",
                                                        "_shape": "array"})
        return asyncio.run(instance.client.get(url))

    deepest, deeper = answer(JSON_NESTING_LIMIT), answer(JSON_NESTING_LIMIT + 1)
    assert deepest.status_code == 200
    read = deepest.json()[0]["j"]
    for _ in range(JSON_NESTING_LIMIT):
        read = read[0]
    assert read == "[[["  # the brackets in a string are text, not nesting
    assert deeper.status_code == 400 and f"nested more than {JSON_NESTING_LIMIT} deep" in deeper.text


@pytest.mark.parametrize("facet", ["_facet", "_facet_array", "_facet_date", "_facet_precounted"])
def test_a_facet_on_no_column_is_refused_before_any_count_starts(built_db, facet):
    # Datasette 0.65 answered 400 too, after starting every facet's count and leaving each
    # unawaited: Python's "coroutine ... was never awaited" warnings filled a server's log (8,400
    # lines: review), where a refused request logs nothing.
    import asyncio
    import gc
    import warnings

    from test_serve import datasette_instance

    instance = datasette_instance(built_db)

    async def answers():
        await instance.invoke_startup()
        return [await instance.client.get(path) for path in (
            f"/papers/papers?{facet}=nosuch", f"/papers/papers.json?{facet}=nosuch", f"/papers/paper_overview?{facet}=nosuch")]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        responses = asyncio.run(answers())
        gc.collect()
    assert [response.status_code for response in responses] == [400, 400, 400]
    assert all("has no column nosuch" in response.text for response in responses)
    assert [str(warning.message) for warning in caught if "never awaited" in str(warning.message)] == []
    # A facet on a column of any case is a facet, as SQLite reads the name.
    assert asyncio.run(instance.client.get("/papers/papers?_facet=TIER")).status_code == 200


def test_a_facet_whose_count_fails_leaves_nothing_unawaited(built_db):
    # An array facet of a column holding no JSON (`_facet_array=tier`) fails in SQLite: Datasette
    # 0.65 answers 400, and left its other facets' and its suggested facets' counts never
    # awaited, each logging Python's warning (review).
    import asyncio
    import gc
    import warnings

    from test_serve import datasette_instance

    instance = datasette_instance(built_db)

    async def answers():
        await instance.invoke_startup()
        return [await instance.client.get(path) for path in (
            "/papers/papers?_facet_array=tier", "/papers/papers.json?_facet_array=title",
            "/papers/paper_overview?_facet_array=title", "/papers/papers?_facet=tier&_facet_array=title")]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        responses = asyncio.run(answers())
        gc.collect()
    assert [response.status_code for response in responses] == [400, 400, 400, 400]
    assert all("malformed JSON" in response.text for response in responses)
    assert [str(warning.message) for warning in caught if "never awaited" in str(warning.message)] == []
    # An array facet of a column of arrays is counted.
    shared = asyncio.run(instance.client.get("/papers/related_papers.json?_facet_array=shared_terms&_size=0"))
    assert shared.status_code == 200 and shared.json()["facet_results"]["shared_terms"]["results"]


@pytest.mark.parametrize("shape", ["arrays", "array", "objects"])
def test_json_values_read_with_underscore_json_are_strict_json(built_db, shape):
    # Python's JSON reader takes NaN and Infinity, and `_json` wrote '[NaN, Infinity]' back as
    # [NaN, Infinity]: no JSON a browser's JSON.parse reads (review). Such a value stays its text.
    import asyncio

    from test_serve import datasette_instance

    instance = datasette_instance(built_db)
    sql = ("select 'NaN' as a, '[NaN, Infinity, -Infinity]' as b, '{\"x\": [1, 2], \"note\": \"NaN is no number\"}' as c, "
           "'Infinity' as d, '[1, 2]' as e, '[1e999]' as f, '{\"a\": 1.5e3}' as g")
    path = "/papers.json?" + urllib.parse.urlencode([("sql", sql), ("_shape", shape)] + [("_json", column) for column in "abcdefg"])

    def no_constant(name):
        raise ValueError(name)

    response = asyncio.run(instance.client.get(path))
    assert response.status_code == 200
    answer = json.loads(response.text, parse_constant=no_constant)  # strict: no NaN or Infinity
    rows = answer["rows"] if shape in ("arrays", "objects") else answer
    row = rows[0] if shape != "arrays" else dict(zip("abcdefg", rows[0]))
    assert row == {"a": "NaN", "b": "[NaN, Infinity, -Infinity]", "c": {"x": [1, 2], "note": "NaN is no number"},
                   "d": "Infinity", "e": [1, 2], "f": "[1e999]", "g": {"a": 1500.0}}


def test_a_visitors_full_text_limits_hold_only_that_visitors_own_queries(tmp_path):
    # The limits of a visitor's full-text SQL were a registry of the whole process: while one
    # visitor's _where ran, another visitor's search of the papers table was held to them, and
    # failed on an abstract of 9 kB (review). Two requests at once on one server process.
    import asyncio

    from listing_texts import review_text
    from test_serve import datasette_instance

    from papers_db import build_database

    long_abstract = ("We study pooling in vision transformers, and find that " + "the pooled tokens carry the signal, " * 260
                     + "as our experiments show.")
    assert len(long_abstract.encode()) > 9_000
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "listing.txt").write_text(review_text("Pooling Revisited", long_abstract, "Accept (Poster)") + "\n")
    build_database(sources, tmp_path / "db" / "papers.db", related=False)
    instance = datasette_instance(tmp_path / "db" / "papers.db")
    near = "'NEAR(' || rtrim(replace(printf('%.1900c', 'x'), 'x', 'the '), ' ') || ', 100000)'"
    # A short _where ("rowid") is part of every statement of a table page: the other visitor's too.
    slow = "/papers/papers.json?" + urllib.parse.urlencode(
        [("_where", "rowid"), ("_where", f"rowid in (select rowid from papers_fts where papers_fts match {near}) or 1")])

    async def both():
        await instance.invoke_startup()
        visitor = asyncio.ensure_future(instance.client.get(slow))
        await asyncio.sleep(0.05)  # the visitor's SQL is running
        others = [await instance.client.get("/papers/papers.json?_search=pooling") for _ in range(3)]
        return await visitor, others

    visitor, others = asyncio.run(both())
    assert [answer.status_code for answer in others] == [200, 200, 200], others[0].text[:300]
    assert all(answer.json()["rows"] for answer in others)
    # The visitor's own query reading the long abstract with the full-text table is held to them.
    own = "select length(abstract) from papers join papers_fts on papers_fts.rowid = papers.id where papers_fts match 'pooling'"
    answer = asyncio.run(instance.client.get("/papers.json?" + urllib.parse.urlencode({"sql": own})))
    assert answer.status_code == 400 and "8,192" in answer.json()["error"]
