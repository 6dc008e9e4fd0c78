"""Datasette serving the built database exactly as `papers-db serve` does."""

import asyncio
import contextlib
import csv
import functools
import html
import http.client
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import datasette
import pytest
import yaml
from conftest import (
    PROJECT,
    SOURCES,
    asgi_scope,
    folder_of_shadowing_modules,
    free_port,
    mount_tmpfs,
    request,
    run_cli,
    serve_command,
    serving,
    wait_until_serving,
    worker_pids,
)

from papers_db import resources
from papers_db.metadata import read_metadata
from papers_db.serve import datasette_from_args, datasette_serve_args, inspect_file_for


@pytest.fixture(scope="module")
def served(built_db):
    """A Datasette instance made from the same arguments `serve` passes to `datasette serve`."""
    return datasette_on(built_db)


def test_configuration_is_immutable_and_local(served, built_db):
    args = datasette_serve_args(built_db)
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
    metadata = yaml.safe_load(resources.metadata_yml().read_text())
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
    metadata = yaml.safe_load(resources.metadata_yml().read_text())
    described = metadata["databases"]["papers"]["tables"]
    with sqlite3.connect(built_db) as conn:
        names = [name for (name,) in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') "
            "and name not like 'sqlite_%' and name not like 'papers_fts_%'")]
        # table_xinfo lists generated columns too (papers.plain_abstract); hidden = 1 marks a
        # virtual table's hidden column, which no user selects.
        actual = {name: [c[1] for c in conn.execute(f"pragma table_xinfo([{name}])") if c[-1] != 1] for name in names}
    assert set(described) == set(actual)
    for name, columns in actual.items():
        assert described[name].get("description"), name
        assert set(described[name].get("columns", {})) == set(columns), name
        assert all(described[name]["columns"].values()), name


# --- Search, canned queries, facets and pages (issue: Datasette that people enjoy) ---------------


def query_rows(served, name, database="papers", **params):
    response = served(f"/{database}/{name}.json?_shape=array&" + urllib.parse.urlencode(params))
    assert response.status_code == 200, response.text
    return response.json()


def test_search_query_ranks_by_relevance_with_highlights(served, built_db):
    rows = query_rows(served, "search", q="diffusion")
    with sqlite3.connect(built_db) as conn:
        matching = {r[0] for r in conn.execute("select rowid from papers_fts where papers_fts match 'diffusion'")}
    assert {row["paper_id"] for row in rows} == matching
    # A title match counts five times an abstract match: papers with the word in their title
    # come before papers that only have it in their abstract.
    in_title = ["⟦" in row["title"] for row in rows]
    assert in_title == sorted(in_title, reverse=True) and any(in_title) and not all(in_title)
    assert all("⟦" in row["snippet"] or "⟦" in row["title"] for row in rows)


@pytest.mark.parametrize("q", ["", "   ", '"', "'", "NEAR(", "a AND OR NOT", "*", "-", "title:x", "^", '"unclosed'])
def test_search_query_never_raises_fts_syntax_errors(served, q):
    rows = query_rows(served, "search", q=q)
    assert isinstance(rows, list)
    if not any(ch.isalnum() for ch in q):
        assert rows == []  # nothing to search for: no results, not everything


def test_words_in_double_quotes_are_a_phrase(served, built_db):
    # The search split "diffusion models" at its space and searched the two words anywhere (17
    # papers); Datasette's own _search took the phrase (13). In the bundled papers the word after
    # "diffusion" that stems to "model" is "model" or "models" (read from the text: next is "probabilistic").
    with sqlite3.connect(built_db) as conn:
        texts = conn.execute("select id, title, plain_abstract from papers").fetchall()
    side_by_side = {paper for paper, *fields in texts for field in fields if field
                    and re.search(r"(?<![^\W_])diffusion[\W_]+models?(?![^\W_])", field, re.I)}
    assert len(side_by_side) == 13

    def found(q):
        return {row["paper_id"] for row in query_rows(served, "search", q=q)}

    assert found('"diffusion models"') == found('"Diffusion  model"') == found('"diffusion mod"*') == side_by_side
    assert side_by_side < found("diffusion models") == found('"diffusion models') == found('diffusion models"')
    assert found('"models diffusion"') < side_by_side  # in that order: "... models. Diffusion ..." only
    assert found('"" diffusion') == found("diffusion") and found('"diffusion" "models"') == found("diffusion models")


def test_search_prefix_and_stemming(served):
    stems = {row["paper_id"] for row in query_rows(served, "search", q="diffuse")}
    prefix = {row["paper_id"] for row in query_rows(served, "search", q="diffus*")}
    assert stems and stems <= prefix


def fts5s_own_best_50(conn, q):
    """The search's best 50 for words `q` as FTS5 gives them with nothing but its own functions:
    (id, highlighted title, snippet) of each, in BM25 order, equal scores by id, among the matches
    below the search's bound (the lowest ids, about 20,000 of them, where more match)."""
    match = " ".join(f'"{word.rstrip("*")}"' + ("*" if word.endswith("*") else "") for word in q.split())
    matching = conn.execute("select count(*) from papers_fts where papers_fts match ?", (match,)).fetchone()[0]
    bound = int(conn.execute("select max(id) from papers").fetchone()[0] * min(1.0, 20_000 / matching))
    ranked = conn.execute("select rowid from papers_fts where papers_fts match ? and rowid <= ? "
                          "order by bm25(papers_fts, 5.0, 1.0), rowid limit 50", (match, bound)).fetchall()
    return [conn.execute("select rowid, highlight(papers_fts, 0, '⟦', '⟧'), "
                         "snippet(papers_fts, 1, '⟦', '⟧', ' … ', 32) from papers_fts "
                         "where papers_fts match ? and rowid = ?", (match, paper)).fetchone()
            for (paper,) in ranked]


# "diffusion models" is in 17 bundled papers and "language models" in 53: with up to 3,000 matches
# (every bundled search) FTS5 sorts the matches and highlights the papers shown as it goes.
@pytest.mark.parametrize("q", ["diffus*", "model* diffusion", "gener* mod*", "diffusion", "diffusion models",
                               "graph neural networks", "language models"])
def test_search_rows_are_fts5s_own_ranking_and_highlights(served, built_db, q):
    with sqlite3.connect(built_db) as conn:
        expected = fts5s_own_best_50(conn, q)
    rows = query_rows(served, "search", q=q)
    assert len(rows) > 1
    assert [(row["paper_id"], row["title"], row["snippet"]) for row in rows] == expected


# On write_many_matches' papers: "common" and "text common" (25,000 matches, over 3,000) are ranked
# by ids and scores and each paper shown looked up again; "comm*" (a prefix), "rare" and "common
# rare" (100) are sorted by FTS5 itself, "comm*" a sample of 20,000, equal scores in id order.
@pytest.mark.parametrize("q", ["common", "text common", "comm*", "rare", "common rare", "rar* text"])
def test_search_rows_are_fts5s_own_either_way(many_matches, q):
    path, _ = many_matches
    conn = sqlite3.connect(path)
    metadata, _ = read_metadata()
    search = metadata["databases"]["papers"]["queries"]["search"]["sql"]
    rows = conn.execute(search, {"q": q}).fetchall()
    expected = fts5s_own_best_50(conn, q)
    assert len(expected) == 50 and "⟦" in expected[0][2]
    assert [(paper, title, snippet) for paper, title, snippet, *_ in rows] == expected


@pytest.mark.parametrize("q, once", [("Model model MODEL learning", "model learning"),
                                     ("mod* MOD* mod* learn*", "mod* learn*"), ("a " * 100, "a")])
def test_a_word_typed_again_is_searched_once(served, q, once):
    # "a" 100 times, the most words the server takes, made FTS5's snippet compare each word's
    # matches with every other's: 0.77 s of SQL over the bundled papers, near the time limit. Each
    # word searched once, a word typed again no longer counts twice in the ranking either: the
    # first two searches ranked their 50 papers otherwise than the words once did.
    rows = query_rows(served, "search", q=q)
    assert rows and rows == query_rows(served, "search", q=once)


def test_an_accented_name_is_found_with_its_accent_or_without(served, built_db):
    # Bundled 004 writes H\"older; its plain text was "Holder", now "Hölder", and a search for
    # either spelling finds it, as FTS5's tokenizer folds accents.
    with sqlite3.connect(built_db) as conn:
        (paper,) = conn.execute("select id from papers where abstract like '%H\\\"older%'").fetchone()
        assert "Hölder-continuous" in conn.execute("select plain_abstract from papers where id = ?", (paper,)).fetchone()[0]
    for q in ("hölder", "holder", "Hölder continuous"):
        assert paper in {row["paper_id"] for row in query_rows(served, "search", q=q)}, q


def test_search_highlighting_cannot_inject_html(served):
    # 002 line 235 has "i.e., <10% precision" in its abstract: it must come back escaped.
    html = served("/papers/search?" + urllib.parse.urlencode({"q": "precision unusable"})).text
    assert "<mark>precision</mark>" in html or "<mark>unusable</mark>" in html
    assert "&lt;10%" in html and "<10%" not in html
    attack = served("/papers/search?" + urllib.parse.urlencode({"q": "<script>alert(1)</script>"})).text
    assert "<script>alert(1)</script>" not in attack


def test_search_result_titles_link_to_the_paper(served):
    rows = query_rows(served, "search", q="halfspaces")
    html = served("/papers/search?q=halfspaces").text
    assert f'href="/papers/papers/{rows[0]["paper_id"]}"' in html


@pytest.mark.parametrize("path", ["/papers/listings", "/papers/listings?decision_id=1", "/papers/trending"])
def test_every_link_to_a_paper_on_a_table_page_is_a_papers_id(served, built_db, path):
    # A listing's title links to its paper: on a table page, whose paper_id Datasette expands to
    # a label, the link was /papers/papers/{'value': ..., 'label': ...}, a 404.
    with sqlite3.connect(built_db) as conn:
        papers = {str(paper) for (paper,) in conn.execute("select id from papers")}
    linked = re.findall(r'href="/papers/papers/([^"]*)"', served(path).text)
    assert linked and set(linked) <= papers


def search_page(served, q, page=None):
    """(paper ids the search page links to, in order; its summary line, or None; the URL of its
    next page, or None) for words `q`."""
    response = served("/papers/search?" + urllib.parse.urlencode({"q": q, **({"page": page} if page else {})}))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    ids = [int(paper) for paper in re.findall(r'<p class="result-title"><a href="/papers/papers/(\d+)">', response.text)]
    summary = re.search(r'<p class="search-summary">(.*?)</p>', response.text, re.S)
    next_page = re.search(r'<a href="([^"]+)" rel="next">', response.text)
    return ids, summary and summary.group(1).strip(), next_page and next_page.group(1).replace("&amp;", "&")


def search_page_and_its_sql_threads(instance, q):
    """(paper ids the search page links to, in order; how many times the page's database ran a
    function on a SQL thread for it) for words `q`."""
    database = instance.get_database("papers")
    calls = []
    run_on_a_thread = database.execute_fn

    async def counted(fn):
        calls.append(fn)
        return await run_on_a_thread(fn)

    database.execute_fn = counted
    try:
        response = asyncio.run(instance.client.get("/papers/search?" + urllib.parse.urlencode({"q": q})))
    finally:
        database.execute_fn = run_on_a_thread
    assert response.status_code == 200, response.text
    return [int(paper) for paper in re.findall(r'<p class="result-title"><a href="/papers/papers/(\d+)">', response.text)], len(calls)


def papers_matching(built_db, match):
    with sqlite3.connect(f"file:{built_db}?mode=ro", uri=True) as conn:  # counted by FTS5 directly, not by the plugin
        return conn.execute("select count(*) from papers_fts where papers_fts match ?", [match]).fetchone()[0]


@pytest.fixture(scope="module")
def search_instance(built_db):
    instance = datasette_instance(built_db)
    asyncio.run(instance.invoke_startup())
    asyncio.run(instance.client.get("/papers/search?q=warm"))  # the schema's questions asked once, on threads
    return instance


@pytest.mark.parametrize("q, in_the_loop", [
    ("diffusion", True), ("Diffusion models", True), ("graph neural networks", True), ("3d", True),
    ("diffusion diffusion\u3000models", True),  # split as the query splits words: ideographic space
    ("a\u2028b hyper\u00adparameter", True),  # a line separator splits, a soft hyphen is dropped
    ("learn*", False), ('"diffusion models"', False), ("diffusion-based", False), ("modèle", False),
    ("one two three four five", False), ("a\u200cb", False), ("x" * 41, False), ("\u201cdiffusion\u201d", False),
])
def test_a_search_of_a_few_plain_words_runs_in_the_event_loop_and_shows_what_the_query_shows(
        served, search_instance, q, in_the_loop):
    # Under load a search's answer waited for the event loop after its SQL thread: a search of a
    # few plain words in few papers (each at most 5,000; together 1,000) runs in the loop. Any
    # other (a prefix, a phrase, a word of other characters, five words) runs on a thread as before.
    ids, threads = search_page_and_its_sql_threads(search_instance, q)
    assert threads == (0 if in_the_loop else 1)
    assert ids == [row["paper_id"] for row in query_rows(served, "search", q=q)][:25]  # the query's JSON, on a thread


def test_words_in_more_papers_than_the_bounds_are_searched_on_a_thread(built_db, search_instance, monkeypatch):
    from papers_db import plugin

    each, together = papers_matching(built_db, '"model"'), papers_matching(built_db, '"model" AND "diffusion"')
    assert each > together > 1
    shown, _ = search_page_and_its_sql_threads(search_instance, "model diffusion")
    for word_bound, search_bound, in_the_loop in [(each, together, True), (each - 1, together, False),
                                                  (each, together - 1, False)]:
        monkeypatch.setattr(plugin, "IN_LOOP_WORD_PAPERS", word_bound)
        monkeypatch.setattr(plugin, "IN_LOOP_PAPERS", search_bound)
        assert search_page_and_its_sql_threads(search_instance, "model diffusion") == (shown, 0 if in_the_loop else 1)


def test_a_search_past_the_loops_time_limit_runs_again_on_a_thread(built_db, search_instance, monkeypatch):
    from papers_db import plugin

    shown, threads = search_page_and_its_sql_threads(search_instance, "graph neural networks")
    assert threads == 0 and shown
    monkeypatch.setattr(plugin, "IN_LOOP_MS", 0.000001)  # every statement stopped at once
    monkeypatch.setattr(plugin, "IN_LOOP_PAUSE_SECONDS", 0)  # and no pause of the loop's queries after it
    assert search_page_and_its_sql_threads(search_instance, "graph neural networks") == (shown, 1)


def test_a_search_of_a_file_that_may_change_holds_up_no_other_request(built_db, tmp_path):
    # Served without -i, the file can be locked by a writer: the search waited 5 s for the lock
    # in the event loop, and every other request of the process with it (review). Such a file's
    # searches run on a thread.
    served_copy = tmp_path / "papers.db"
    shutil.copyfile(built_db, served_copy)
    instance = datasette_instance(served_copy, mutable=True)
    assert asyncio.run(instance.client.get("/papers/search?q=warm")).status_code == 200
    writer = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys, time; conn = sqlite3.connect(sys.argv[1]); "
                               "conn.execute('begin exclusive'); print('locked', flush=True); time.sleep(30)",
                               str(served_copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "locked\n"

        async def search_and_another_page():
            search = asyncio.ensure_future(instance.client.get("/papers/search?q=diffusion"))
            started = time.perf_counter()  # a loop held up holds up the sleep too
            await asyncio.sleep(0.3)
            other = await instance.client.get("/-/static/app.css")  # a page that reads no database
            waited = time.perf_counter() - started - 0.3
            await search
            return other.status_code, waited

        status, waited = asyncio.run(search_and_another_page())
    finally:
        writer.kill()
        writer.wait()
    assert status == 200 and waited < 1, waited


def test_a_search_of_a_file_that_may_change_and_was_removed_answers_as_its_json_does(built_db, tmp_path):
    # It answered 500: the event loop's connection could not open the file (review).
    served_copy = tmp_path / "papers.db"
    shutil.copyfile(built_db, served_copy)
    # One SQL thread, whose connection the first search opens: with Datasette's several, a later
    # request could land on a thread that never opened the file (failed 2 runs in 4: review).
    instance = datasette_instance(served_copy, mutable=True, extra_args=["--setting", "num_sql_threads", "1"])
    assert asyncio.run(instance.client.get("/papers/search?q=warm")).status_code == 200  # the SQL thread's connection opens
    served_copy.unlink()
    page = asyncio.run(instance.client.get("/papers/search?q=diffusion"))
    assert page.status_code == asyncio.run(instance.client.get("/papers/search.json?q=diffusion")).status_code == 200


@pytest.mark.parametrize("q", ["diffusion", "diffusion models", "halfspaces", "learn*", "Diffusion,", "model"])
def test_search_page_shows_the_search_querys_rows_in_order_25_a_page(served, built_db, q):
    rows = query_rows(served, "search", q=q)
    with sqlite3.connect(built_db) as conn:  # counted by FTS5 directly, not by the query
        match = " ".join(f'"{word.strip(",*")}"' + ("*" if word.endswith("*") else "") for word in q.split())
        matching = conn.execute("select count(*) from papers_fts where papers_fts match ?", [match]).fetchone()[0]
    shown, page = [], 1
    while True:
        ids, summary, next_page = search_page(served, q, page)
        first, last = len(shown) + 1, len(shown) + len(ids)
        assert 0 < len(ids) <= 25
        if matching == 1:
            assert summary == "1 paper matches:"
        elif matching <= 25:
            assert summary == f"{matching:,} papers match, best first:"
        else:
            assert summary == f"{matching:,} papers match; {first}–{last}, best first:"
        shown += ids
        if next_page is None:
            break
        page += 1
        assert next_page == "/papers/search?" + urllib.parse.urlencode({"q": q, "page": page})
    assert shown == [row["paper_id"] for row in rows]  # the query's best 50, in order, in pages of 25
    assert page == (len(rows) + 24) // 25


def test_search_page_beyond_the_results_says_so(served):
    assert len(query_rows(served, "search", q="diffusion")) <= 50
    ids, summary, next_page = search_page(served, "diffusion", 3)
    assert ids == [] and next_page is None
    assert summary == 'No results on page 3; see <a href="/papers/search?q=diffusion">page 1</a>.'


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "10000", "99999999999999999999999", "²", ""])
def test_search_page_refuses_a_page_that_is_no_page_number(served, page):
    response = served("/papers/search?" + urllib.parse.urlencode({"q": "diffusion", "page": page}))
    assert response.status_code == 400
    assert "page must be a whole number from 1 to 9999." in response.text


def test_search_page_marks_the_words_the_query_brackets(served):
    # The words the query brackets (⟦ ⟧ in its JSON) are the page's <mark>s, in the same order,
    # and no bracket reaches the page.
    rows = query_rows(served, "search", q="precision unusable")
    assert 0 < len(rows) <= 25  # all on the first page
    bracketed = [word for row in rows for text in (row["title"], row["snippet"] or "") for word in re.findall("⟦(.*?)⟧", text)]
    page = served("/papers/search?q=precision+unusable").text
    results = page[page.index('<ol class="search-results"'):page.index("</ol>")]
    assert [html.unescape(word) for word in re.findall("<mark>(.*?)</mark>", results)] == bracketed
    assert "⟦" not in results and "⟧" not in results


@pytest.mark.parametrize("q", ["", "   ", '"', "*", "zzzqqqxx"])
def test_search_page_without_matches(served, q):
    ids, summary, _ = search_page(served, q)
    assert ids == []
    if q.strip():
        assert summary == f"No paper matches {q.strip().replace(chr(34), '&#34;')}."
    else:
        assert summary is None  # only the search box


def test_search_page_says_which_symbols_it_leaves_out_and_links_a_filter_that_finds_them(served, built_db):
    # The index's tokenizer takes symbols for spaces: ∞ searched for nothing and √n for the word n,
    # without a word, though cleaning LaTeX writes \infty as ∞ (found by review).
    with sqlite3.connect(built_db) as db:
        expected = sorted(str(row[0]) for row in db.execute("select id from papers where instr(plain_abstract, '∞')"))
    assert expected  # 001's `\|F(\bfx)\|_\infty`, among others
    page = served("/papers/search?q=" + urllib.parse.quote("L∞ norm")).text
    note = re.search(r'<p class="search-symbols">(.*?)</p>', page, re.S)
    assert note and "∞ is left out of this search" in " ".join(note.group(1).split())
    links = re.findall(r'<a href="([^"]+)">∞</a>', note.group(1))
    assert links == ["/papers/papers?plain_abstract__contains=%E2%88%9E"]
    found = served(links[0].replace("/papers/papers?", "/papers/papers.json?", 1) + "&_col=id&_shape=array&_size=max").json()
    assert sorted(str(row["id"]) for row in found) == expected
    two = served("/papers/search?q=" + urllib.parse.quote("C++ × 2")).text
    assert "+ × are left out of this search" in " ".join(re.search(r'<p class="search-symbols">(.*?)</p>', two, re.S).group(1).split())
    # Words, numbers, punctuation and a prefix's * are searched: no note.
    for q in ("diffusion", "graph-based 3D", "diffus*", '"kernel"'):
        assert 'class="search-symbols"' not in served("/papers/search?q=" + urllib.parse.quote(q)).text, q


def test_a_word_of_punctuation_or_symbols_alone_is_left_out_of_the_search(served):
    # A title pasted with " & " or " : " in it found nothing: FTS5 reads no word in "&", and a
    # phrase without one matches no paper (found by review: 5 of the bundled titles so).
    pasted = {"Out-of-Distribution Detection & Applications With Ablated Learned Temperature Energy": "002_",
              "NUPES : Non-Uniform Post-Training Quantization via Power Exponent Search": "003_"}
    for title, file in pasted.items():
        rows = query_rows(served, "search", q=title)
        assert [html_title(row["title"]) for row in rows[:1]] == [title], title
        listed = query_rows(served, "paper_listings", paper_id=rows[0]["paper_id"])
        assert any(row["file_name"].startswith(file) for row in listed), title
    diffusion = [row["paper_id"] for row in query_rows(served, "search", q="diffusion")]
    assert len(diffusion) == 17  # the bundled papers whose title or abstract holds "diffus"
    for q in ("diffusion &", "diffusion :", "diffusion --", "diffusion ∞", '"&" diffusion', "diffusion &*", "— diffusion …"):
        assert [row["paper_id"] for row in query_rows(served, "search", q=q)] == diffusion, q
    # Alone, such a word is no search; a number written as a symbol is a word the index holds.
    assert query_rows(served, "search", q="& :") == []
    assert query_rows(served, "search", q="diffusion ²") == []


def html_title(marked):
    return marked.replace("⟦", "").replace("⟧", "")


def test_search_page_links_its_json_csv_and_sql(served):
    html = served("/papers/search?q=diffusion+models").text
    links = {name: link.replace("&amp;", "&") for link, name in re.findall(r'<a href="([^"]+)">(JSON|CSV|the SQL)</a>', html)}
    assert links["JSON"] == "/papers/search.json?q=diffusion+models"
    assert links["CSV"] == "/papers/search.csv?q=diffusion+models&_size=max"
    rows = query_rows(served, "search", q="diffusion models")
    header, *csv_rows = csv.reader(io.StringIO(served(links["CSV"]).text))
    assert header == ["paper_id", "title", "snippet", "published_on", "tier", "upvotes", "matching_papers"]
    assert [int(row[0]) for row in csv_rows] == [row["paper_id"] for row in rows]
    # "the SQL" opens the query in Datasette's SQL page, with the words filled in: same rows.
    assert links["the SQL"].startswith("/papers?sql=")
    assert served(links["the SQL"].replace("/papers?", "/papers.json?", 1) + "&_shape=array").json() == rows


@pytest.mark.parametrize("ttl", [None, "0", "60", "abc"])
def test_search_page_headers_are_datasettes_own(served, ttl):
    query = "?q=diffusion" + (f"&_ttl={ttl}" if ttl is not None else "")
    ours, theirs = served("/papers/search" + query).headers, served("/papers/search.json" + query).headers
    for header in ("cache-control", "referrer-policy"):
        assert ours.get(header) == theirs.get(header) and ours.get(header), header


def test_search_page_under_a_database_name_datasette_encodes(tmp_path, built_db):
    # "papers.v2" is "papers~2Ev2" in Datasette's URLs.
    shutil.copy(built_db, tmp_path / "papers.v2.db")
    metadata = yaml.safe_load(resources.metadata_yml().read_text())
    metadata["databases"] = {"papers.v2": metadata["databases"]["papers"]}
    (tmp_path / "metadata.yml").write_text(yaml.safe_dump(metadata))
    get = datasette_on(tmp_path / "papers.v2.db", tmp_path / "metadata.yml")
    rows = query_rows(get, "search", database="papers~2Ev2", q="diffusion")
    page = get("/papers~2Ev2/search?q=diffusion")
    assert page.status_code == 200
    assert re.findall(r'<p class="result-title"><a href="/papers~2Ev2/papers/(\d+)">', page.text) == [str(row["paper_id"]) for row in rows]


def test_search_page_title_shows_the_words_as_the_query_splits_them(served):
    # The query splits at every space; the page's title shows the words split the same way, and
    # without the characters the query drops.
    q = " diffusion\tmodels\u00a0x\u202fy\u2009z\u3000w\u2003v\u200bu\x85t\n hyper\u00adpara\u2060meter\ufeff"
    page = served("/papers/search?" + urllib.parse.urlencode({"q": q})).text
    assert "<title>Search: diffusion models x y z w v u t hyperparameter – papers-db</title>" in page
    assert "No paper matches" not in served("/papers/search?" + urllib.parse.urlencode({"q": "\u00a0\u3000\u2003"})).text


# Every character Python takes for a space (Unicode's spaces, tabs, line and paragraph breaks, the
# file, group, record and unit separators), and the zero-width space, which splits words too.
SPACES_PASTED = sorted({character for character in map(chr, range(0x110000)) if character.isspace()} - {" "} | {"\u200b"})


@pytest.mark.parametrize("space", SPACES_PASTED, ids=lambda space: f"U+{ord(space):04X}")
def test_search_splits_words_at_the_spaces_a_web_page_pastes(served, built_db, space):
    # A no-break space pasted from a web page made "diffusion models" one phrase: 13 papers of
    # the bundled sources instead of the 17 that have both words; an em space the same (review).
    with sqlite3.connect(built_db) as conn:
        count = lambda match: conn.execute("select count(*) from papers_fts where papers_fts match ?", [match]).fetchone()[0]
        assert (count('"diffusion models"'), count('"diffusion" "models"')) == (13, 17)
    plain = query_rows(served, "search", q="diffusion models")
    assert len(plain) == 17
    assert query_rows(served, "search", q=f"diffusion{space}models") == plain
    assert query_rows(served, "search", q=f"{space}diffus*{space}{space}models{space}") == query_rows(served, "search", q="diffus* models")
    ids, summary, _ = search_page(served, f"diffusion{space}models")
    assert (ids, summary) == search_page(served, "diffusion models")[:2] and summary == "17 papers match, best first:"


@pytest.mark.parametrize("dropped", ["\u00ad", "\u2060", "\ufeff"])
def test_a_soft_hyphen_in_a_searched_word_is_dropped(served, built_db, dropped):
    # A word copied from a PDF keeps the soft hyphen where a line was broken: "Hyper\u00adparameter"
    # found 2 papers where "hyperparameter" finds 12 (review). A word joiner or byte order mark
    # inside a word is nothing too.
    expected = papers_mentioning(built_db, "hyperparameter")
    assert len(expected) == 12
    rows = query_rows(served, "search", q=f"Hyper{dropped}parameter")
    assert {row["paper_id"] for row in rows} == expected
    assert search_page(served, f"Hyper{dropped}parameter")[1] == "12 papers match, best first:"


@pytest.mark.parametrize("quoted", ["\u201cneural collapse\u201d", "\u201eneural collapse\u201c", "\u00ab neural collapse \u00bb",
                                    "\u00bbneural collapse\u00ab", "\uff02neural collapse\uff02", "\u201fneural collapse\u201d"])
def test_typographic_double_quotes_are_a_phrase(served, built_db, quoted):
    # A phone's keyboard or a copied web page writes “neural collapse”: its words were searched
    # apart (4 papers, the phrase 3: review).
    with sqlite3.connect(built_db) as conn:
        texts = conn.execute("select id, coalesce(title, '') || ' ' || coalesce(abstract_text, abstract, '') from papers").fetchall()
    phrase = {paper for paper, text in texts if re.search(r"\bneural[\s-]+collapse", text, re.IGNORECASE)}
    words = {paper for paper, text in texts if re.search(r"\bneural\b", text, re.I) and re.search(r"\bcollapse", text, re.I)}
    assert (len(phrase), len(words)) == (3, 4)
    rows = query_rows(served, "search", q=quoted)
    assert {row["paper_id"] for row in rows} == phrase
    assert all("⟦neural collapse⟧" in (row["title"] + " " + (row["snippet"] or "")).lower().replace("⟧ ⟦", " ") for row in rows)
    assert search_page(served, quoted)[1] == "3 papers match, best first:"


def test_search_page_says_when_it_ranks_a_sample(tmp_path):
    (tmp_path / "db").mkdir()
    write_many_matches(tmp_path / "db" / "papers.db")
    get = datasette_on(tmp_path / "db" / "papers.db")
    sample = "25,000 papers match; these are ranked among a random 20,000 of them (add words to narrow the search)"
    first, second = get("/papers/search?q=common").text, get("/papers/search?q=common&page=2").text
    assert f"{sample}; 1–25, best first:" in first and f"{sample}; 26–50, best first:" in second
    assert [len(re.findall(r'<p class="result-title">', page)) for page in (first, second)] == [25, 25]
    end = "The search shows the best 50 of the 25,000 matches; change the limit in <a href="
    assert end not in first and end in second and 'rel="next"' not in second
    assert "100 papers match; 1–25, best first:" in get("/papers/search?q=rare").text


def test_search_page_follows_the_base_url(built_db):
    get = datasette_on(built_db, extra_args=("--setting", "base_url", "/papers-db/"))
    response = get("/papers/search?q=diffusion")  # Datasette's client puts the base URL in front
    assert response.status_code == 200 and str(response.url).startswith("http://localhost/papers-db/papers/search")
    html = response.text
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(href.startswith(("/papers-db/", "https://")) for href in hrefs), hrefs
    assert "/papers-db/papers-db" not in html
    assert 'action="/papers-db/papers/search"' in html


@pytest.mark.parametrize("path", ["/papers/trending", "/papers/trending_on?snapshot_date=2025-11-12", "/papers/listings"])
def test_titles_link_to_their_paper_under_each_servers_base_url(built_db, path):
    # The plugin writes each title's link from the papers table's URL, kept per server: two
    # servers in one process, one under a base URL, asked in turns, each link as its own.
    with sqlite3.connect(built_db) as conn:
        papers = {str(paper) for (paper,) in conn.execute("select id from papers")}
    plain, prefixed = datasette_on(built_db), datasette_on(built_db, extra_args=("--setting", "base_url", "/papers-db/"))
    for get, base in [(plain, "/"), (prefixed, "/papers-db/"), (plain, "/"), (prefixed, "/papers-db/")]:
        html = get(path).text
        linked = re.findall(r'<a href="([^"]*)papers/papers/([^"]*)">', html)
        assert len(linked) >= 10 and {start for start, _ in linked} == {base}, base
        assert {paper for _, paper in linked} <= papers


def test_paper_overviews_titles_link_to_their_papers(served):
    # The view's id is the paper's own: its titles were plain text, where every other view's link
    # (found by review). Each row's title links to that row's paper.
    rows = served("/papers/paper_overview.json?_shape=array&_size=20&_sort=id").json()
    page = served("/papers/paper_overview?_size=20&_sort=id").text
    linked = re.findall(r'<a href="/papers/papers/(\d+)">([^<]*)</a>', page)
    assert [(int(paper), html.unescape(title)) for paper, title in linked] == [
        (row["id"], row["title"] or "(no title)") for row in rows]  # an untitled paper's link says so


def test_search_page_is_only_where_the_search_query_is(tmp_path):
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("create table search (word text)")
        conn.execute("insert into search values ('kept')")
    get = datasette_on(tmp_path / "other.db")
    assert get("/other/search.json?_shape=array").json() == [{"rowid": 1, "word": "kept"}]
    assert "kept" in get("/other/search").text  # Datasette's table page, not the search page


def test_search_page_keeps_the_querys_permissions(tmp_path, built_db):
    metadata = yaml.safe_load(resources.metadata_yml().read_text())
    metadata["databases"]["papers"]["queries"]["search"]["allow"] = {"id": "editor"}
    (tmp_path / "metadata.yml").write_text(yaml.safe_dump(metadata))
    get = datasette_on(built_db, tmp_path / "metadata.yml")
    assert get("/papers/search?q=diffusion").status_code == 403
    assert get("/papers/search.json?q=diffusion").status_code == 403  # as Datasette's own page answers


def test_search_page_template_is_found_where_datasette_finds_templates(tmp_path, built_db):
    # `datasette publish` and plain `datasette --template-dir` place templates in a folder of
    # their own; one there named as the search page's replaces it.
    (tmp_path / "papers-search.html").write_text("{{ words }}: {% for result in results %}{{ result.paper_id }} {% endfor %}")
    get = datasette_on(built_db, extra_args=("--template-dir", tmp_path))
    rows = query_rows(get, "search", q="diffusion")
    assert get("/papers/search?q=diffusion").text == "diffusion: " + "".join(f"{row['paper_id']} " for row in rows[:25])


BLANK_SEARCHES = [
    ("/papers/papers.json?_search=", "/papers/papers.json?"),
    ("/papers/papers.json?_search=+&tier=oral", "/papers/papers.json?tier=oral"),
    ("/papers/papers.json?tier=oral&_search_title=%20%09&_search_abstract=", "/papers/papers.json?tier=oral"),
    ("/papers/paper_overview.json?_search=&_sort=title", "/papers/paper_overview.json?_sort=title"),
    ("/papers/sources.json?_search=", "/papers/sources.json?"),  # no full-text index
]


@pytest.mark.parametrize("blank, without", BLANK_SEARCHES)
def test_a_blank_search_shows_the_page_without_it(served, blank, without):
    # The search box submitted empty: Datasette 0.65 answered 400 "Invalid SQL" (FTS5 given a
    # search for nothing) on every searchable table and view.
    page, expected = served(blank), served(without)
    assert page.status_code == 200 and expected.status_code == 200
    assert page.json()["rows"] == expected.json()["rows"] and page.json()["filtered_table_rows_count"] > 0
    html = served(blank.replace(".json", ""))
    assert html.status_code == 200
    assert 'name="_search" value=""' in html.text or "sources" in blank  # an empty search box, where there is one


def test_a_search_for_words_still_searches(served):
    assert served("/papers/papers.json?_search=halfspaces&_search_title=").json()["filtered_table_rows_count"] == 1
    assert served("/papers/papers.json?_search=%22").status_code == 400  # not blank: FTS5's own error, as Datasette gives it


def test_paper_overview_is_searchable(served):
    rows = served("/papers/paper_overview.json?_search=halfspaces&_shape=array").json()
    assert [row["title"] for row in rows] == ["An Efficient Tester-Learner for Halfspaces"]


def test_canned_queries_answer(served, built_db):
    spotlight = query_rows(served, "papers_by_tier", tier="Spotlight")
    assert len(spotlight) == 4  # 2 "Accept (Spotlight)" + 2 "Accept: notable-top-25%" in 001
    assert {row["decision"] for row in spotlight} == {"Accept (Spotlight)", "Accept: notable-top-25%"}
    per_tier = {row["tier"]: row["papers"] for row in query_rows(served, "accepted_per_tier")}
    assert per_tier == {"poster": 25, "oral": 4, "spotlight": 4}
    trending = query_rows(served, "trending_on", snapshot_date="2025-11-12")
    assert len(trending) == 112 and trending[0]["upvotes"] == 4
    provenance = query_rows(served, "paper_listings", paper_id="699592778836625")
    assert [(row["file_name"], row["line"]) for row in provenance] == [
        ("002_d49063e7f5512c84.txt", 705), ("003_6399432fb99c7d91.txt", 173)]
    # A listing's decision as written, and what it was read as (found by review: the label alone).
    assert [(row["decision"], row["outcome"], row["tier"]) for row in provenance] == [(None, None, None)] * 2
    for row in spotlight:
        listed = query_rows(served, "paper_listings", paper_id=row["paper_id"])
        assert [(listing["decision"], listing["outcome"], listing["tier"]) for listing in listed] == [
            (row["decision"], "accept", "spotlight")]
        page = served(f"/papers/papers/{row['paper_id']}").text
        assert f"<td>{html.escape(row['decision'])} (accept, spotlight)</td>" in page
    adobe = query_rows(served, "papers_by_organization", organization="ADOBE")
    assert [row["title"] for row in adobe] == ["Learning an Image Editing Model without Image Editing Pairs"]
    months = query_rows(served, "papers_per_month_of_year", year="2024")
    with sqlite3.connect(built_db) as conn:
        expected = conn.execute("select count(*) from papers where first_published_on like '2024-%'").fetchone()[0]
    assert months and sum(row["papers"] for row in months) == expected
    assert all(row["month"].startswith("2024-") for row in months)
    # Anything but a year gives no rows: "2024-01" gave February to December of 2024, without January.
    assert query_rows(served, "papers_per_month_of_year", year=" 2024 ") == months
    for not_a_year in ("2024-01", "2024.5", "24", "abc", ""):
        assert query_rows(served, "papers_per_month_of_year", year=not_a_year) == [], not_a_year


def test_accepted_per_tier_is_summed_from_the_facet_combinations(built_db, tmp_path):
    # The same rows as counting the accepted papers themselves, and a count changed in the
    # combinations shows: proof that the query reads them.
    counted = "select coalesce(tier, 'not stated'), count(*) from papers where outcome = 'accept' group by tier"
    with sqlite3.connect(built_db) as conn:
        expected = dict(conn.execute(counted))
    rows = query_rows(datasette_on(built_db), "accepted_per_tier")
    assert {row["tier"]: row["papers"] for row in rows} == expected and len(expected) >= 3
    assert [row["papers"] for row in rows] == sorted(expected.values(), reverse=True)
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    with sqlite3.connect(database) as conn:
        conn.execute("update papers_facet_combinations set count = count + 1000 where tier = 'oral' and outcome = 'accept'")
    changed = {row["tier"]: row["papers"] for row in query_rows(datasette_on(database), "accepted_per_tier")}
    assert changed == {**expected, "oral": expected["oral"] + 1000}


def test_every_canned_query_has_a_title_and_description():
    metadata, _ = read_metadata()
    queries = metadata["databases"]["papers"]["queries"]
    assert {"search", "papers_by_tier", "trending_on", "paper_listings", "papers_by_organization",
            "papers_per_month_of_year"} <= set(queries)
    for name, query in queries.items():
        assert query.get("title") and query.get("description"), name


def test_default_facets_on_papers(served):
    data = served("/papers/papers.json?_size=0").json()
    facets = data["facet_results"]
    assert {"tier", "outcome", "first_published_year"} <= set(facets)
    tiers = {item["value"]: item["count"] for item in facets["tier"]["results"]}
    assert tiers == {"poster": 25, "oral": 4, "spotlight": 4}


def test_foreign_keys_show_labels(served):
    rows = served("/papers/listings.json?_labels=on&_shape=array&source_id=5&_size=1").json()
    assert rows[0]["source_id"] == {"value": 5, "label": "004_ff05541bf05f7b7a.txt"}
    assert isinstance(rows[0]["paper_id"]["label"], str)


def test_paper_page_shows_its_listings(served):
    html = served("/papers/papers/699592778836625").text
    assert "An Efficient Tester-Learner for Halfspaces" in html
    assert "Where this paper was listed" in html
    assert "002_d49063e7f5512c84.txt" in html and "003_6399432fb99c7d91.txt" in html
    assert "705&ndash;711" in html  # title on line 705, date on line 711
    assert served("/papers/papers/1").status_code == 404


def test_a_paper_page_and_its_listings_say_where_the_year_was_inferred(served, built_db):
    # SOURCES.md: a year-less date on a Hugging Face page takes the page's year, flagged. The flag
    # was in listings alone: the paper's page and paper_listings showed 2025-10-16 for "Oct 16"
    # as if the page had printed it (review). Which listings printed no year, read from the
    # sources: a date line of a month and day, and no four-digit year on it.
    with sqlite3.connect(built_db) as conn:
        listings = conn.execute("select listings.paper_id, sources.file_name, listings.last_line, listings.published_on "
                                "from listings join sources on sources.id = listings.source_id "
                                "where listings.published_on is not null").fetchall()
    lines = {name: (PROJECT / "sources" / name).read_text(encoding="utf-8").split("\n")
             for name in {name for _, name, _, _ in listings}}
    printed = {(paper, published_on): bool(re.search(r"\b(?:19|20)\d\d\b", lines[name][last_line - 1]))
               for paper, name, last_line, published_on in listings}
    inferred = {paper for (paper, _), year in printed.items() if not year}
    shown = {paper for (paper, _), year in printed.items() if year}
    assert len(inferred) == 42 and shown - inferred
    for paper in (min(inferred - shown), min(shown - inferred)):
        rows = query_rows(served, "paper_listings", paper_id=paper)
        assert [bool(row["published_year_inferred"]) for row in rows] == [
            not printed[(paper, row["published_on"])] for row in rows]
        html = served(f"/papers/papers/{paper}").text
        assert ("(year inferred)" in html) == (paper in inferred)
        assert ("(year inferred: no listing of this date printed it)" in html) == (paper in inferred)


def configured_tables():
    """metadata.yml's Datasette configuration of each table and view."""
    document = yaml.safe_load(resources.metadata_yml().read_text())
    return document["databases"]["papers"]["tables"]


def test_configuration_names_only_what_the_database_has(built_db):
    configured = configured_tables()
    with sqlite3.connect(built_db) as conn:
        for table, config in configured.items():
            columns = {c[1] for c in conn.execute(f"pragma table_info([{table}])")}
            assert columns, table
            for facet in config.get("facets", []):
                column = facet if isinstance(facet, str) else next(iter(facet.values()))
                assert column in columns, (table, facet)
            for key in ("sort", "sort_desc", "label_column"):
                assert config.get(key, next(iter(columns))) in columns, (table, key)


def test_every_view_is_shown_in_its_default_order_from_an_index(built_db):
    # Datasette sorts a view's page exactly by its configured column. Without an index in that
    # order SQLite computes every row of the view, subqueries included, before it can sort: at a
    # million papers that ran past the time limit.
    configured = configured_tables()
    with sqlite3.connect(built_db) as conn:
        views = {row[0] for row in conn.execute("select name from sqlite_master where type = 'view'")}
        sorted_views = {name: config for name, config in configured.items() if name in views
                        and ("sort" in config or "sort_desc" in config)}
        assert {"paper_overview", "accepted_papers", "trending", "cross_listed"} <= set(sorted_views)
        for view, config in sorted_views.items():
            order = f"[{config['sort']}]" if "sort" in config else f"[{config['sort_desc']}] desc"
            plan = " / ".join(detail for _, parent, _, detail in conn.execute(
                f"explain query plan select * from [{view}] order by {order} limit 51") if parent == 0)
            assert "TEMP B-TREE FOR ORDER BY" not in plan, (view, plan)


def test_canned_queries_read_papers_only_for_the_rows_they_show(built_db):
    # At a million papers a snapshot day has 4,000 listings and an organisation 3,000: reading
    # each one's paper row before the limit cost 17-24 ms a page. Each query below reads papers'
    # rows only for the 200 it shows, and papers_per_month_of_year reads no paper at all.
    queries = read_metadata()[0]["databases"]["papers"]["queries"]
    parameters = {"snapshot_date": "2025-11-12", "organization": "adobe", "year": "2024"}

    def plan(name):
        """Each step of the query's plan, and whether it is part of the subquery that picks the rows shown."""
        with sqlite3.connect(built_db) as conn:
            rows = conn.execute(f"explain query plan {queries[name]['sql']}", parameters).fetchall()
        details = {node: detail for node, _, _, detail in rows}
        parents = {node: parent for node, parent, _, _ in rows}

        def in_subquery(node):
            while node in parents:
                node = parents[node]
                if details.get(node, "").startswith("MATERIALIZE"):
                    return True
            return False
        return [(detail, in_subquery(node)) for node, _, _, detail in rows]

    def paper_row_reads(steps):
        return [(detail, inside) for detail, inside in steps if detail.startswith("SEARCH papers USING INTEGER PRIMARY KEY")]

    for name in ["trending_on", "papers_by_organization"]:
        steps = plan(name)
        assert any(detail.startswith("MATERIALIZE") for detail, _ in steps), name
        assert [inside for _, inside in paper_row_reads(steps)] == [False], name  # once, for the rows shown
    # An organisation's papers and their dates come from organization_papers' key alone: no listing is read.
    organization = [detail for detail, _ in plan("papers_by_organization")]
    assert "SEARCH organization_papers USING PRIMARY KEY (organization_id=?)" in organization
    assert not any("listings" in detail for detail in organization)
    assert all("papers_per_month" in detail for detail, _ in plan("papers_per_month_of_year"))


def test_paper_page_shows_short_name_plain_abstract_and_code(served, built_db):
    with sqlite3.connect(built_db) as conn:
        paper = conn.execute("select id from papers where short_name = 'ResAD++'").fetchone()[0]
    html = served(f"/papers/papers/{paper}").text
    assert "Short name: <strong>ResAD++</strong>" in html
    assert 'href="https://github.com/xcyao00/ResAD"' in html
    with sqlite3.connect(built_db) as conn:
        marked = conn.execute("select id from papers where abstract_text is not null limit 1").fetchone()[0]
    html = served(f"/papers/papers/{marked}").text
    assert "As listed, with its LaTeX markup" in html


def test_code_links_facet_by_host(served):
    facets = served("/papers/code_links.json?_size=0").json()["facet_results"]
    assert {item["value"] for item in facets["host"]["results"]} <= {"github.com", "gitlab.com", "huggingface.co"}


def test_trending_page_is_sorted_by_upvotes(served):
    rows = served("/papers/trending.json?_shape=array&_size=max").json()
    upvotes = [row["upvotes"] for row in rows]
    assert upvotes == sorted(upvotes, reverse=True) and upvotes[0] == 4


def test_paper_page_lists_related_papers_with_shared_terms(served, built_db):
    with sqlite3.connect(built_db) as conn:
        paper, related, title = conn.execute(
            "select r.paper_id, r.related_paper_id, q.title from related_papers r "
            "join papers p on p.id = r.paper_id join papers q on q.id = r.related_paper_id "
            "where p.title like 'ResAD++%' and r.rank = 1"
        ).fetchone()
    html = served(f"/papers/papers/{paper}").text
    section = html.split('id="related-papers"')[1].split("</section>")[0]
    assert f'href="/papers/papers/{related}"' in section and title in section
    assert "shares" in section and "anomaly" in section
    rows = served(f"/papers/related_to.json?paper_id={paper}&_shape=array").json()
    assert rows[0]["paper_id"] == related and rows[0]["rank"] == 1


def test_related_papers_table_is_browsable(served):
    data = served("/papers/related_papers.json?_size=3&_labels=on").json()
    assert data["primary_keys"] == ["paper_id", "rank"] and len(data["rows"]) == 3
    first = data["rows"][0]
    assert first["paper_id"]["label"] and first["related_paper_id"]["label"]  # titles, via labels
    assert served(f"/papers/related_papers/{first['paper_id']['value']},1").status_code == 200


def write_many_matches(path):
    """25,000 papers with the word "common", said 1 to 7 times; "rare" in 100 of them (every
    250th), built with the real DDL and full-text index. Returns the papers' ids in order."""
    import random

    rng = random.Random(7)
    ids = rng.sample(range(1, 2**53), 25_000)
    with sqlite3.connect(path) as conn:
        conn.executescript(resources.sql_script("schema.sql"))
        conn.executemany(
            "insert into papers (id, title, abstract, listings_count, source_count) values (?, ?, ?, 1, 1)",
            [(paper, f"Paper {n}", "text " + "common " * (1 + n % 7) + ("rare" if n % 250 == 0 else ""))
             for n, paper in enumerate(ids)],
        )
        conn.executescript(resources.sql_script("fts.sql"))
        conn.execute("insert into papers_fts (papers_fts) values ('rebuild')")
    return ids


@pytest.fixture(scope="module")
def many_matches(tmp_path_factory):
    """write_many_matches' file, written once for the tests that only read it: (its path, the ids)."""
    path = tmp_path_factory.mktemp("many") / "many.db"
    return path, write_many_matches(path)


def test_search_ranks_a_random_sample_when_very_many_papers_match(many_matches):
    # The canned query runs as Datasette runs it, on write_many_matches' papers.
    path, ids = many_matches
    conn = sqlite3.connect(path)
    metadata, _ = read_metadata()
    search = metadata["databases"]["papers"]["queries"]["search"]["sql"]
    repeats = {paper: 1 + n % 7 for n, paper in enumerate(ids)}

    found = conn.execute(search, {"q": "common"}).fetchall()
    bound = max(ids) * 20_000 / 25_000
    sample = [paper for paper in ids if paper <= bound]
    assert 19_000 < len(sample) < 21_000  # the lowest ids: about 20,000 of the matches
    assert len(found) == 50 and {row[-1] for row in found} == {25_000}
    assert all(paper <= bound and repeats[paper] == 7 for paper, *_ in found)  # the sample's best
    # Papers that say "common" 7 times in as many words score the same: ties go to the lowest ids.
    tied = sorted(paper for n, paper in enumerate(ids) if paper <= bound and n % 7 == 6 and n % 250)
    assert [paper for paper, *_ in found] == tied[:50]
    # A prefix is ranked by FTS5's own sort, which keeps equal scores in the order it reads them: by id.
    assert [paper for paper, *_ in conn.execute(search, {"q": "comm*"})] == tied[:50]

    # Few matches: every one is ranked, so the best 50 are the shortest abstracts, whatever their id.
    rare = {paper for n, paper in enumerate(ids) if n % 250 == 0}
    found = conn.execute(search, {"q": "rare"}).fetchall()
    shown = {paper for paper, *_ in found}
    assert len(shown) == 50 and shown <= rare and {row[-1] for row in found} == {100}
    assert max(repeats[paper] for paper in shown) <= min(repeats[paper] for paper in rare - shown)


def test_search_ranks_only_the_matches_below_its_bound(tmp_path):
    # With the bound a plain join condition, SQLite 3.40 once chose to give FTS5 the match alone and
    # test the bound on each match after: the same rows, with all 338,151 matches of a common word
    # read at a million papers (172 ms against 101). "<" in FTS5's plan is the rowid bound it uses:
    # in the first way to rank (FTS5's own sort, "r" its rank function) and in the second.
    write_many_matches(tmp_path / "many.db")
    metadata, _ = read_metadata()
    search = metadata["databases"]["papers"]["queries"]["search"]["sql"]
    with sqlite3.connect(tmp_path / "many.db") as conn:
        conn.execute("analyze")
        scans = [row[3] for row in conn.execute("explain query plan " + search, {"q": "common"}) if "papers_fts" in row[3]]
    assert [scan for scan in scans if "<" in scan] == ["SCAN papers_fts VIRTUAL TABLE INDEX 32:rM2<",
                                                      "SCAN papers_fts VIRTUAL TABLE INDEX 0:M2<"], scans


def plain_datasette_command(database):
    """The README's plain `datasette` command, on `database` instead of dist/papers.db."""
    readme = (PROJECT / "README.md").read_text()
    block = re.search(r"```sh\n(datasette serve -i dist/papers\.db.*?)```", readme, re.S).group(1)
    words = shlex.split(block.replace("\\\n", " "))
    return [str(database) if word == "dist/papers.db" else
            str(inspect_file_for(database)) if word == "dist/papers-inspect.json" else word for word in words]


SAME_SITE_PAGES = [
    "/papers.json",
    "/-/settings.json",
    "/papers/papers.json?_size=5&_facet=tier",
    "/papers/search.json?q=diffusion&_shape=array",
    "/papers/listings.json?_size=3&_labels=on",
    "/papers/paper_overview.json?_size=3",
]


SAME_HTML_PAGES = ["/papers/search?q=diffusion", "/papers/search?q=model&page=2"]


def comparable(body, base):
    """A JSON page without what differs from one server or request to the next (its address, timings)."""
    page = json.loads(body.replace(base, "http://server"))
    if isinstance(page, dict):
        page.pop("query_ms", None)
    return page


def test_plain_datasette_with_the_readme_command_serves_the_same_site(server, built_db, tmp_path):
    command = plain_datasette_command(built_db)
    assert command[:3] == ["datasette", "serve", "-i"] and "metadata.yml" in command
    port = free_port()
    command[command.index("--port") + 1 if "--port" in command else len(command):] = []
    command = [sys.executable, "-m", *command, "--port", str(port)]
    with serving(command, tmp_path / "plain.log", port) as plain:
        for path in SAME_SITE_PAGES:
            ours, theirs = request(server + path), request(plain + path)
            assert ours[0] == theirs[0] == 200, path
            assert comparable(ours[1], server) == comparable(theirs[1], plain), path
        status, html = request(plain + "/papers/papers/699592778836625")
        assert status == 200 and "Where this paper was listed" in html  # the plugin's page template
        for path in SAME_HTML_PAGES:  # the plugin's search page, which runs no timer
            assert request(server + path) == request(plain + path), path


def test_serve_prints_the_plain_datasette_command_first(server, serve_log):
    first = serve_log.read_text().splitlines()[0]
    assert first.startswith("The same site in one process: datasette serve -i ")
    assert "--metadata" in first and "--setting sql_time_limit_ms 1000" in first


def test_two_workers_serve_the_same_pages_as_one(built_db, tmp_path):
    pages = [*SAME_SITE_PAGES, "/papers/papers/699592778836625.json"]
    answers = {}
    for workers in (1, 2):
        port = free_port()
        with serving(serve_command(built_db, port, "--workers", workers), tmp_path / f"{workers}.log", port) as base:
            answers[workers] = [(status, comparable(body, base)) for status, body in
                                (request(base + path) for path in pages for _ in range(3))]
            answers[workers] += [request(base + path) for path in SAME_HTML_PAGES]
        log = (tmp_path / f"{workers}.log").read_text()
        assert "Traceback" not in log
    assert [status for status, _ in answers[2]] == [200] * len(answers[2])
    assert answers[1] == answers[2]
    assert "Booting worker" in log and log.count("Booting worker") == 2  # gunicorn started two


def worker_secrets(port):
    """DATASETTE_SECRET in the environment of each process serving on `port` (from /proc)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            variables = dict(item.split("=", 1) for item in environ.read_text().split("\0") if "=" in item)
        except OSError:
            continue
        if f'"--port", "{port}"' in variables.get("PAPERS_DB_DATASETTE_ARGS", ""):
            found.append(variables.get("DATASETTE_SECRET"))
    return found


def test_workers_share_the_signing_secret(built_db, tmp_path):
    # Datasette signs cookies (here its CSRF token) with its secret; each worker would make its
    # own unless serve hands them one. Every cookie, whichever worker set it, must verify with
    # the one secret all the workers' environments hold.
    from itsdangerous import URLSafeSerializer

    port = free_port()
    with serving(serve_command(built_db, port, "--workers", 2), tmp_path / "log", port,
                 env={"DATASETTE_SECRET": ""}) as base:
        cookies = []
        for _ in range(16):
            with urllib.request.urlopen(base + "/-/messages") as response:
                cookies += [value for value in response.headers.get_all("set-cookie") if value.startswith("ds_csrftoken=")]
        secrets = worker_secrets(port)
    assert len(secrets) == 3 and len(set(secrets)) == 1 and len(secrets[0]) >= 32  # gunicorn's master and two workers
    signer = URLSafeSerializer(secrets[0], "csrftoken")
    assert len(cookies) == 16
    for cookie in cookies:
        signer.loads(cookie.split(";")[0].split("=", 1)[1])  # BadSignature if another secret signed it


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_imports_nothing_from_the_folder_it_is_started_in(built_db, tmp_path, workers):
    # A user's scratch folder with a uuid.py or grp.py in it ran them in the server and stopped it.
    folder = folder_of_shadowing_modules(tmp_path / "scratch")
    port = free_port()
    with serving(serve_command(built_db, port, "--workers", workers), tmp_path / "log", port, cwd=folder) as base:
        assert request(base + "/papers/search?q=diffusion")[0] == 200
        assert request(base + "/papers/papers.json?_size=1")[0] == 200
    assert not (folder / "ran.txt").exists(), (folder / "ran.txt").read_text()


def test_serve_from_a_read_only_folder_writes_nothing(built_db, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    # A read-only mount where permitted; else the folder's permissions (which do not stop root,
    # but the listing compared below catches any file written either way).
    not_mounted = mount_tmpfs(folder, "64m")
    try:
        shutil.copy(built_db, folder / "papers.db")
        shutil.copy(inspect_file_for(built_db), folder / "papers-inspect.json")
        if not_mounted:
            folder.chmod(0o555)
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        before = sorted(path.name for path in folder.iterdir())
        port = free_port()
        with serving(serve_command(folder / "papers.db", port), tmp_path / "log", port) as base:
            status, body = request(base + "/papers/papers.json?_size=0")
            assert status == 200 and json.loads(body)["filtered_table_rows_count"] == 319
            assert request(base + "/papers/search.json?q=diffusion")[0] == 200
        assert sorted(path.name for path in folder.iterdir()) == before
    finally:
        if not_mounted:
            folder.chmod(0o755)  # so that pytest can remove tmp_path
        else:
            subprocess.run(["umount", str(folder)], check=True)


# --- The file with the tools users already have (plain Datasette, sqlite-utils, sqlite3) -------


def papers_mentioning(built_db, stem):
    """Papers whose title or plain-text abstract has a word starting with `stem`, read in Python."""
    pattern = re.compile(rf"\b{stem}", re.IGNORECASE)
    with sqlite3.connect(built_db) as conn:
        rows = conn.execute("select id, coalesce(title, ''), coalesce(abstract_text, abstract, '') from papers")
        return {paper for paper, title, text in rows if pattern.search(title + " " + text)}


@pytest.mark.parametrize(("typed", "prefix"), [("analys*", "analys"), ("analy*", "analy"), ("focus*", "focus"),
                                              ("ANALYS*", "analys"), ("analysis analys*", "analysis")])
def test_a_prefix_search_finds_the_words_that_start_with_it_though_the_stemmer_cuts_it_short(served, built_db, typed,
                                                                                            prefix):
    # FTS5 stems a prefix as a word: analys* was read as anali* and found no paper, though 57 of
    # the bundled ones say analysis or analyses (found by review); analy* none of 81.
    rows = query_rows(served, "search", q=typed)
    expected = papers_mentioning(built_db, prefix)
    assert len(expected) > 40
    assert rows and rows[0]["matching_papers"] == len(expected)
    assert {row["paper_id"] for row in rows} <= expected


def test_a_prefix_ending_otherwise_is_searched_as_before(served, built_db):
    with sqlite3.connect(built_db) as conn:
        stemmed = {paper for (paper,) in conn.execute("select rowid from papers_fts where papers_fts match 'diffus*'")}
    rows = query_rows(served, "search", q="diffus*")  # ends in s: the two forms find the same papers here
    assert rows[0]["matching_papers"] == len(stemmed) and {row["paper_id"] for row in rows} <= stemmed
    rows = query_rows(served, "search", q="model*")
    with sqlite3.connect(built_db) as conn:
        assert rows[0]["matching_papers"] == conn.execute(
            "select count(*) from papers_fts where papers_fts match 'model*'").fetchone()[0]


@pytest.mark.parametrize(("typed", "word", "prefix", "widened"), [
    ("learni*", "learning", "learni", "learn"), ("generat*", "generation", "generat", "gener"),
    ("optimiz*", "optimization", "optimiz", "optim"), ("traini* diffusion", "training diffusion", "traini", "train diffusion"),
    ("LEARNI*", "learning", "learni", "learn")])
def test_the_search_page_widens_a_prefix_no_indexed_word_begins_with(served, built_db, typed, word, prefix, widened):
    # learni* found no paper: learning is indexed as learn (664 of 1,955 prefixes of the bundled
    # papers' longer words found nothing; found by review). Where a search finds nothing, the page
    # searches such a prefix as the longest shorter form of it the index holds, and says so.
    assert query_rows(served, "search", q=typed) == []  # the query alone, as before
    ids, summary, _ = search_page(served, typed)
    as_word = query_rows(served, "search", q=word)
    assert ids == [row["paper_id"] for row in as_word][:25]
    assert summary.startswith(f"No paper matches {typed}; a prefix that no indexed word begins with is searched")
    assert f"so these are for {widened}: {as_word[0]['matching_papers']} papers match" in summary
    with sqlite3.connect(built_db) as conn:
        every = {paper for (paper,) in conn.execute("select rowid from papers_fts where papers_fts match ?",
                                                    (" AND ".join(f'"{w}"' for w in word.split()),))}
    begun = papers_mentioning(built_db, prefix)
    if " " in word:  # and the other word, as the stemmer reads it
        begun &= papers_mentioning(built_db, word.split()[1])
    assert begun and begun <= every and len(every) == as_word[0]["matching_papers"]
    # Its JSON, CSV and SQL links are for what it shows.
    page = served("/papers/search?" + urllib.parse.urlencode({"q": typed})).text
    assert "/papers/search.json?" + urllib.parse.urlencode({"q": widened}) in html.unescape(page)


@pytest.mark.parametrize("typed", ["xqzt*", "learni* xqzt", "zzzzzzzz*", '"diffusion modi"*', "qzxy*"])
def test_a_search_widened_still_needs_every_word_to_match(served, typed):
    # A phrase's prefix is not widened, nor one of 4 letters or fewer.
    ids, summary, _ = search_page(served, typed)
    assert ids == [] and html.unescape(summary) == f"No paper matches {typed}."


@pytest.mark.parametrize("typed", ["self-distilli*", "non-autoregressi*", "NEAR(learni*", "x\u0303x\u0303x\u0303x\u0303x\u0303*"])
def test_a_prefix_of_other_characters_than_letters_is_not_widened(served, typed):
    # Cut short, "self-distilli*" was searched as "self-": 25 papers about "self" (found by review).
    ids, summary, _ = search_page(served, typed)
    assert ids == [] and html.unescape(summary) == f"No paper matches {typed}."


def test_a_widened_search_that_finds_nothing_more_links_to_the_search_as_typed(served):
    page = served("/papers/search?" + urllib.parse.urlencode({"q": "learni* zzzzzzz"})).text
    assert "/papers/search.json?" + urllib.parse.urlencode({"q": "learni* zzzzzzz"}) in html.unescape(page)
    assert "No paper matches learni* zzzzzzz." in page


def test_widening_stops_at_its_time_limit_and_searches_as_typed(built_db, monkeypatch):
    # Its lookups run outside Datasette's time limit: a prefix of common words took 1.2 s at
    # 31,900 papers (found by review). Past its own limit, no word is widened.
    from papers_db import plugin

    with sqlite3.connect(built_db) as conn:
        assert plugin.widened_search(conn, "learni* learni*") == "learn learn"
        monkeypatch.setattr(plugin, "WIDENING_MS", 0)
        assert plugin.widened_search(conn, "learni*") is None


def test_a_prefix_that_matches_as_typed_is_not_widened(served, built_db):
    # generaliz* is the stem of generalizable and generalizability only; generalization's is gener.
    ids, summary, _ = search_page(served, "generaliz*")
    assert len(ids) == len(papers_mentioning(built_db, "generalizab")) == 7
    assert summary.startswith("7 papers match")


@pytest.fixture(scope="module")
def plain_datasette(built_db):
    """`datasette papers.db`: no metadata, no inspect file, no settings."""
    from datasette.app import Datasette

    instance = Datasette([str(built_db)])
    return lambda path: asyncio.run(instance.client.get(path))


def test_plain_datasette_finds_the_index_and_searches(plain_datasette, built_db):
    expected = papers_mentioning(built_db, "diffus")  # porter: diffusion, diffuse, diffused
    assert len(expected) > 10
    data = plain_datasette("/papers/papers.json?_search=diffusion&_size=max&_col=id").json()
    assert data["filtered_table_rows_count"] == len(expected)
    assert {row[0] for row in data["rows"]} == expected
    page = plain_datasette("/papers/papers").text
    assert 'name="_search"' in page  # the table page's search box


def test_stock_detect_fts_finds_the_index(built_db):
    import datasette.utils
    import sqlite_utils

    with sqlite3.connect(built_db) as conn:
        assert datasette.utils.detect_fts(conn, "papers") == "papers_fts"
    assert sqlite_utils.Database(built_db)["papers"].detect_fts() == "papers_fts"


def test_sqlite_utils_search_returns_ranked_rows(served, built_db):
    command = Path(sys.executable).with_name("sqlite-utils")
    result = subprocess.run([command, "search", built_db, "papers", "diffusion", "-c", "id", "--csv"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    found = [int(line) for line in result.stdout.split()[1:]]
    assert set(found) == papers_mentioning(built_db, "diffus")
    # Ranked: BM25 order, best first, as SQLite itself ranks the index.
    with sqlite3.connect(built_db) as conn:
        scores = dict(conn.execute(
            "select rowid, bm25(papers_fts) from papers_fts where papers_fts match 'diffusion'").fetchall())
    assert [scores[paper] for paper in found] == sorted(scores.values())
    # The same papers as the site's ranked search.
    assert {row["paper_id"] for row in query_rows(served, "search", q="diffusion")} == set(found)


def readme_search_sql():
    readme = (PROJECT / "README.md").read_text()
    section = readme[readme.index("### Search in plain SQL"):]
    return re.search(r"```sql\n(.*?)```", section, re.S).group(1)


def test_readme_search_sql_is_the_search_query_and_runs_without_the_plugin(served, built_db):
    metadata, _ = read_metadata()
    # The README's copy ends with the semicolon the sqlite3 shell waits for; the query is the rest.
    assert readme_search_sql().strip().endswith("\n);")
    assert readme_search_sql().strip().removesuffix(";") == metadata["databases"]["papers"]["queries"]["search"]["sql"].strip()
    with sqlite3.connect(built_db) as conn:  # a bare connection: no plugin function registered
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute(readme_search_sql(), {"q": "diffusion"})]
    assert rows == query_rows(served, "search", q="diffusion")
    assert {row["paper_id"] for row in rows} == papers_mentioning(built_db, "diffus")
    assert all(row["matching_papers"] == len(rows) for row in rows)
    assert all("⟦" in row["title"] + (row["snippet"] or "") for row in rows)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_readme_search_sql_pasted_into_the_sqlite3_shell_answers_as_the_served_query(served, built_db):
    # The README's steps in the shell itself: its .parameter line, then the query as printed.
    pasted = f""".parameter set :q "'diffusion models'"\n{readme_search_sql()}"""
    shell = subprocess.run(["sqlite3", "-readonly", "-json", str(built_db)], input=pasted, capture_output=True,
                           text=True, timeout=60)
    assert shell.returncode == 0 and shell.stderr == "", shell.stderr
    served_rows = query_rows(served, "search", q="diffusion models")
    assert len(served_rows) > 5
    assert json.loads(shell.stdout) == served_rows


@pytest.mark.parametrize("path", [
    "/papers/search.json?q=diffusion+models", "/papers/search.csv?q=diffusion+models",
    "/papers/search.json?q=diffus*&_shape=array", "/papers/papers.json?_search=diffusion",
    "/papers/papers.csv?_search=diffusion", "/papers/paper_overview.json?_search=diffusion",
])
def test_machine_formats_carry_no_private_use_characters(served, path):
    response = served(path)
    assert response.status_code == 200
    # JSON escapes non-ASCII characters (\\ue000): look at the decoded text.
    text = json.dumps(response.json(), ensure_ascii=False) if ".json" in path else response.text
    assert not re.search("[\ue000-\uf8ff]", text)
    if "/search." in path:  # matched words stay visible, with printable markers
        assert re.search("⟦[Dd]iffus", text)


def test_words_with_fts5_syntax_are_words(served):
    # Each word is quoted, so quotes, - and : are punctuation, never operators or column filters.
    plain = {row["paper_id"] for row in query_rows(served, "search", q="diffusion models")}
    punctuated = {row["paper_id"] for row in query_rows(served, "search", q='"diffusion -models:')}
    assert plain and punctuated == plain
    near = {row["paper_id"] for row in query_rows(served, "search", q="diffusion NEAR(models)")}
    assert near <= plain  # the phrase "near models", not the NEAR operator


def test_metadata_names_its_source_and_licence(served):
    metadata = served("/-/metadata.json").json()
    assert metadata["license_url"].startswith("https://")
    front = served("/").text
    assert f'href="{metadata["license_url"]}"' in front
    # The source is the served file's own sources table, true of a build of anyone's listings (a
    # review: a site of one's own listings said it was the bundled pages, linking Hugging Face).
    assert "source_url" not in metadata and "each in its sources table" in metadata["source"]
    assert html.escape(metadata["source"], quote=False) in front or metadata["source"] in html.unescape(front)
    listed = served("/papers/sources.json?_shape=array&_col=file_name").json()
    assert [row["file_name"] for row in listed] == sorted(path.name for path in SOURCES.glob("*.txt"))


def test_an_inspect_file_of_another_build_is_not_used(built_db, tmp_path):
    # Two builds' files are often the same size (whole 16 KiB pages): the size alone let a stale
    # inspect file give Datasette another file's row counts and hash.
    from papers_db.serve import usable_inspect_file

    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    shutil.copy(inspect_file_for(built_db), inspect_file_for(database))
    assert usable_inspect_file(database) == inspect_file_for(database)
    with database.open("r+b") as file:  # another file of the same size
        file.seek(-100, 2)
        file.write(b"\x01" * 100)
    assert usable_inspect_file(database) is None
    assert "--inspect-file" not in datasette_serve_args(database)


def test_a_missing_paper_is_answered_without_printing_a_traceback(built_db, monkeypatch):
    # Datasette 0.65 prints every exception it answers with rich, locals and all, when rich is
    # installed. A fresh server's first 404 on a paper page (the plugin's alias lookup finds no
    # alias and leaves the answer to Datasette) must not print one either.
    import datasette.handle_exception
    from datasette.app import Datasette

    printed = []
    console = SimpleNamespace(print_exception=lambda **options: printed.append(options))
    monkeypatch.setattr(datasette.handle_exception, "rich", SimpleNamespace(get_console=lambda: console))
    instance = Datasette([str(built_db)])
    response = asyncio.run(instance.client.get("/papers/papers/1.json"))
    assert response.status_code == 404
    assert printed == []


def test_several_workers_close_one_answer_in_sixteen_and_say_so(built_db, tmp_path):
    # A kept-alive connection stays with the worker that accepted it, so one busy client could
    # leave the other workers idle: with several workers one answer in 16 of each worker closes
    # its connection, with a `Connection: close` header so that a client opens a new one (which
    # whichever worker is free accepts) instead of failing on it.
    import http.client

    port = free_port()
    with serving(serve_command(built_db, port, "--workers", 2), tmp_path / "log", port):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        answers = []
        for _ in range(96):
            connection.request("GET", "/papers/papers.json?_size=1")
            response = connection.getresponse()
            response.read()
            answers.append((response.status, response.getheader("connection")))
    assert {status for status, _ in answers} == {200}
    closed = [header for _, header in answers if header is not None]
    assert set(closed) == {"close"}
    # Each worker closes its 16th, 32nd, ... answer, counting the answers it gave before: 96
    # answers shared between two workers close 6 connections, give or take one per worker.
    assert 4 <= len(closed) <= 8, answers


def test_closing_connections_closes_one_answer_in_every_and_keeps_the_rest():
    from papers_db.serve import closing_connections

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    served = closing_connections(app, every=4)

    async def answer():
        sent = []

        async def send(message):
            sent.append(message)
        await served({"type": "http"}, None, send)
        return sent

    answers = [asyncio.run(answer()) for _ in range(12)]
    closing = [(b"connection", b"close") in answer[0]["headers"] for answer in answers]
    assert closing == [False, False, False, True] * 3
    assert all(answer[0]["headers"][0] == (b"content-type", b"text/plain") for answer in answers)
    assert all(answer[1] == {"type": "http.response.body", "body": b"ok"} for answer in answers)


# --- Facets counted at build time (issue 18) --------------------------------------------------------


def datasette_instance(database, metadata=None, mutable=False, extra_args=()):
    """A Datasette instance as `serve` makes it on `database`, with another metadata file if given
    (or the file opened as one that may change: plain `datasette papers.db`), and any further
    `datasette serve` arguments."""
    args = datasette_serve_args(database)
    assert args[0] == "serve"
    if mutable:
        args.remove("-i")
    if metadata is not None:
        args[args.index("--metadata") + 1] = str(metadata)
    args += map(str, extra_args)
    return datasette_from_args(args)


def datasette_on(database, metadata=None, mutable=False, extra_args=()):
    """datasette_instance's GET, as a function of the path."""
    instance = datasette_instance(database, metadata, mutable, extra_args)
    return lambda path: asyncio.run(instance.client.get(path))


def statements_run_for(instance, path, status=200):
    """(SQL, parameters) of each statement Datasette runs to answer `path` (with `status`)."""
    from datasette.tracer import capture_traces

    async def visit():
        traces = []
        with capture_traces(traces):
            response = await instance.client.get(path)
        assert response.status_code == status, path
        return [(trace["sql"], trace.get("params")) for trace in traces if trace["type"] == "sql"]
    return asyncio.run(visit())


def sql_run_for(instance, path):
    """The SQL Datasette runs to answer `path`."""
    return [sql for sql, _ in statements_run_for(instance, path)]


def test_unfiltered_table_pages_count_no_rows(built_db):
    # The row count comes from the inspect file, the facets from facet_counts: nothing counts
    # the table's rows, which at a million papers took 100 ms of the papers page's 117.
    instance = datasette_instance(built_db)
    first = asyncio.run(instance.client.get("/papers/papers.json?_size=100")).json()
    for path in ["/papers/papers", "/papers/papers?_sort=title", f"/papers/papers?_size=100&_next={first['next']}",
                 "/papers/listings", "/papers/code_links"]:
        statements = sql_run_for(instance, path)
        assert any("facet_counts" in sql for sql in statements), path
        assert not [sql for sql in statements if "count(*)" in sql.lower()], path
    assert any("count(*)" in sql.lower() for sql in sql_run_for(instance, "/papers/papers?tier__not=oral"))


def test_a_whole_views_row_count_is_the_one_the_build_counted(built_db, tmp_path):
    # Datasette counts a view's rows on every visit to its page (7 ms of trending's 15 at a
    # million papers). The build counts them once, into the inspect file beside the database.
    with sqlite3.connect(built_db) as conn:
        views = {name: conn.execute(f"select count(*) from [{name}]").fetchone()[0]
                 for (name,) in conn.execute("select name from sqlite_master where type = 'view'")}
        tier_counts = dict(conn.execute("select tier, count(*) from accepted_papers group by tier"))
    assert len(views) >= 5 and max(views.values()) > 0
    instance = datasette_instance(built_db)
    for view, count in views.items():
        path = f"/papers/{view}.json"
        assert not [sql for sql in sql_run_for(instance, path) if "count(*)" in sql.lower()], path
        assert asyncio.run(instance.client.get(path)).json()["filtered_table_rows_count"] == count, path
    # Proof of where each count comes from: a count changed in the inspect file shows on the
    # whole view's page, and on no filtered page; a file served without it counts its rows.
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    inspect = json.loads(inspect_file_for(built_db).read_text())
    inspect["papers"]["views"]["accepted_papers"]["count"] += 1000
    inspect_file_for(database).write_text(json.dumps(inspect))

    def count(served, path):
        return served(path).json()["filtered_table_rows_count"]
    served = datasette_on(database)
    assert count(served, "/papers/accepted_papers.json") == views["accepted_papers"] + 1000
    assert count(served, "/papers/accepted_papers.json?_sort=title&_size=2") == views["accepted_papers"] + 1000
    assert count(served, "/papers/trending.json") == views["trending"]
    oral = tier_counts.get("oral", 0)
    assert count(served, "/papers/accepted_papers.json?tier=oral") == oral
    assert count(datasette_on(database, mutable=True), "/papers/accepted_papers.json") == views["accepted_papers"]
    inspect_file_for(database).unlink()
    assert count(datasette_on(database), "/papers/accepted_papers.json") == views["accepted_papers"]


def facet_columns(config):
    return [facet if isinstance(facet, str) else next(iter(facet.values())) for facet in config.get("facets", [])]


def test_a_page_filtered_by_facet_values_reads_only_indexes_and_its_rows(built_db):
    # A click on a facet value filters the page by it. At a million papers such a page read every
    # matching row to sort it and count its facets: 0.1-6 s of SQL, past the time limits. Each
    # facet column now leads an index holding the default order and the other facets
    # (sql/indexes.sql): rows come in order from the index, their count from it alone, and the
    # facets and the row count are summed from the table's facet combinations, counted at build time.
    instance = datasette_instance(built_db)
    checked = 0
    with sqlite3.connect(built_db) as conn:
        for table in ("papers", "listings"):
            config = configured_tables()[table]
            facets = facet_columns(config)
            commonest = {column: conn.execute(
                f"select [{column}] from [{table}] where [{column}] is not null group by 1 order by count(*) desc limit 1").fetchone()[0]
                for column in facets}
            filters = [[column] for column in facets] + [[a, b] for i, a in enumerate(facets) for b in facets[i + 1:]]
            for columns in filters:
                path = f"/papers/{table}?" + urllib.parse.urlencode({column: commonest[column] for column in columns})
                statements = statements_run_for(instance, path)
                filtered = [(sql, params) for sql, params in statements if f"from {table} where" in " ".join(sql.split())]
                summed = [sql for sql, _ in statements if f"from {table}_facet_combinations where" in sql]
                assert len(summed) == 2, (path, statements)  # the facets in one grouping, and the row count
                assert sum("group by" in sql for sql in summed) == 1, summed
                # the page's rows alone, read by index in order
                assert len(filtered) == 1, (path, filtered)
                sql, params = filtered[0]
                plan = [detail for _, _, _, detail in conn.execute(f"explain query plan {sql}", params or {})]
                reads = [detail for detail in plan if detail.startswith(("SCAN", "SEARCH"))]
                assert [detail.startswith(f"SEARCH {table} USING INDEX {table}_facet_") for detail in reads] == [True], (path, plan)
                assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (path, sql, plan)
                checked += 1
    assert checked == 2 * (4 + 6)  # two tables of four facets: 4 single filters and 6 pairs each


def stock_facets_metadata(folder):
    """metadata.yml with each `precounted` facet written as Datasette's own column facet, which
    counts the rows on every page."""
    document = yaml.safe_load(resources.metadata_yml().read_text())
    for config in document["databases"]["papers"]["tables"].values():
        config["facets"] = [facet["precounted"] if isinstance(facet, dict) else facet for facet in config.get("facets", [])]
    path = folder / "stock-facets.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def assert_same_facets(ours, stock, path):
    mine, theirs = ours(path), stock(path)
    assert mine.status_code == theirs.status_code == 200, path
    assert mine.json()["facet_results"] == theirs.json()["facet_results"], path
    return mine.json()["facet_results"]


FACET_PAGES = [
    "/papers/papers.json",
    "/papers/papers.json?_sort=title&_size=3",
    "/papers/papers.json?_facet_size=2",  # truncated
    "/papers/papers.json?_facet_size=max",
    "/papers/papers.json?_facet=tier",  # the same column asked for again: tier and tier_2
    "/papers/listings.json?_labels=on",  # foreign keys labelled
    "/papers/code_links.json",
    "/papers/parse_issues.json",  # an empty table
    # Filtered by facet values alone: summed from the facet combinations.
    "/papers/papers.json?tier=oral",  # the selected value
    "/papers/papers.json?outcome=accept&first_published_year=2025",
    "/papers/papers.json?first_published_year=2024&tier=poster&_sort=title&_facet_size=max",
    "/papers/papers.json?source_count=1&_facet_size=2",
    "/papers/papers.json?tier__exact=spotlight",
    "/papers/papers.json?tier=nonesuch",  # no rows
    "/papers/listings.json?decision_id=1&_labels=on",
    "/papers/listings.json?matched_by=first&source_id=2",
    # Filtered otherwise: counted live.
    "/papers/papers.json?tier=oral&tier=poster",  # two values of one column: no rows
    "/papers/papers.json?tier=oral&_search=learning",
    "/papers/papers.json?tier__not=oral",
    "/papers/papers.json?_search=diffusion",
    "/papers/papers.json?_where=source_count%3E1",
    "/papers/listings.json?source_id=2&decision_id__isnull=1",
    "/papers/papers.json?_search=learning&_facet_size=2",  # truncated
    "/papers/papers.json?title__contains=model&_facet_size=max",
    "/papers/listings.json?title__contains=a&_labels=on&_facet_size=3",
    "/papers/listings.json?upvotes__gte=1&_facet=matched_by",
    # Arguments no filter reads: from the build's counts.
    "/papers/papers.json?_x=1",
    "/papers/papers.json?_label=tier&_hide_sql=1&_searchmode=raw&_fts_table=papers_fts",
    "/papers/papers.json?tier=oral&_x=1",
    "/papers/listings.json?_label=decision_id&_labels=on",
    # Datasette's other filters: counted live.
    "/papers/papers.json?_search_title=diffusion",
    "/papers/papers.json?_through=" + urllib.parse.quote('{"table":"listings","column":"source_id","value":"1"}'),
]


@pytest.mark.parametrize("path", [
    "/papers/papers.json?tier=oral&_nocount=",  # a blank argument, which the links leave out
    "/papers/papers.json?_sort=title&_nocount=1&_facet_size=3",
    "/papers/listings.json?_labels=on&_size=1",
    "/papers/papers.json?first_published_year=2024&source_count=1",
    "/papers/papers.json?tier=oral&_search=learning",  # counted live
    "/papers/papers.json?tier=oral&_x=a%26b+c%C3%A9&_x=%23h&_z=1%2B1",  # arguments to encode again
])
def test_precounted_facets_link_each_value_as_datasette_does_under_a_base_url(built_db, tmp_path, path):
    # The plugin writes the links to each value from the page's URL once a page.
    base = ("--setting", "base_url", "/papers-db/")
    ours, stock = datasette_on(built_db, extra_args=base), datasette_on(built_db, stock_facets_metadata(tmp_path), extra_args=base)
    facets = assert_same_facets(ours, stock, path)  # the client puts the base URL in front
    assert any(value["toggle_url"] for facet in facets.values() for value in facet["results"])


@pytest.mark.parametrize("query", ["", "tier=oral", "_x=a%26b+c%C3%A9&_x=%23h&_z=1%2B1&blank=", "_sort=title&_sort=id"])
@pytest.mark.parametrize("base_url", ["/", "/papers-db/"])
def test_a_precounted_facets_link_to_a_value_is_datasettes(built_db, query, base_url):
    from datasette.utils import path_with_added_args
    from datasette.utils.asgi import Request

    from papers_db.plugin import precounted_facet_class

    instance = datasette_instance(built_db, extra_args=("--setting", "base_url", base_url))
    request = Request.fake(f"/papers/papers?{query}" if query else "/papers/papers")
    facet = precounted_facet_class()(instance, request, "papers", sql="select * from papers", table="papers")
    for name, value in [("tier", "oral"), ("x", "a&b=c#d e+f%41"), ("x", "é/ü"), ("n", 3), ("n", 2.5), ("b", b"\x00ab"),
                        ("_sort", "title")]:
        theirs = instance.absolute_url(request, instance.urls.path(path_with_added_args(request, {name: value})))
        assert facet.link_adding(name, value) == theirs, (name, value)


def test_precounted_facets_are_the_facets_datasette_counts(built_db, tmp_path):
    ours, stock = datasette_on(built_db), datasette_on(built_db, stock_facets_metadata(tmp_path))
    for path in FACET_PAGES:
        assert_same_facets(ours, stock, path)
    assert ours("/papers/papers").text.count('class="facet-info ') == 4  # each facet once on the page
    selected = ours("/papers/papers.json?tier=oral").json()["facet_results"]["tier"]["results"]
    assert [(value["value"], value["selected"]) for value in selected] == [("oral", True)]


def test_a_page_counted_live_reads_its_rows_once_for_all_its_facets(built_db):
    # One grouping by every facet column, summed per column, instead of one query per facet
    # (FACET_PAGES shows the counts are ColumnFacet's).
    instance = datasette_instance(built_db)
    tables = yaml.safe_load(resources.metadata_yml().read_text())["databases"]["papers"]["tables"]
    for path, table in [("/papers/papers?_search=learning", "papers"), ("/papers/listings?title__contains=a", "listings")]:
        facets = [next(iter(facet.values())) for facet in tables[table]["facets"]]
        grouped = [sql for sql in sql_run_for(instance, path) if "group by" in sql.lower()]
        assert len(grouped) == 1, (path, grouped)
        assert [column.strip(" []") for column in grouped[0].rsplit("group by", 1)[1].split(",")] == facets, grouped[0]


def test_unfiltered_pages_take_their_facets_from_facet_counts(built_db, tmp_path):
    # A count changed in facet_counts shows on every unfiltered page, sorted and paged ones too,
    # and on no filtered page: proof of where each page's counts come from.
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    with sqlite3.connect(database) as conn:
        posters = conn.execute("select count(*) from papers where tier = 'poster'").fetchone()[0]
        conn.execute("update facet_counts set count = 1000 where table_name = 'papers' and column_name = 'tier' "
                     "and value = 'poster'")
    served = datasette_on(database)
    first = served("/papers/papers.json?_size=100").json()
    for path in ["/papers/papers.json", "/papers/papers.json?_sort=title", f"/papers/papers.json?_size=100&_next={first['next']}",
                 "/papers/papers.json?_x=1", "/papers/papers.json?_label=tier&_hide_sql=1&_searchmode=raw"]:
        tiers = {value["value"]: value["count"] for value in served(path).json()["facet_results"]["tier"]["results"]}
        assert tiers["poster"] == 1000, path
    for path in ["/papers/papers.json?outcome=accept", "/papers/papers.json?_search=learning"]:
        tiers = {value["value"]: value["count"] for value in served(path).json()["facet_results"]["tier"]["results"]}
        assert tiers["poster"] <= posters, path
    # A file served as one that may change is always counted: it may have changed since its build.
    tiers = datasette_on(database, mutable=True)("/papers/papers.json").json()["facet_results"]["tier"]["results"]
    assert {value["value"]: value["count"] for value in tiers}["poster"] == posters


def test_pages_filtered_by_facet_values_take_their_facets_from_the_combinations(built_db, tmp_path):
    # Changed counts in the combinations table show on pages filtered by facet values alone, and
    # on no other page: proof of where each page's counts come from.
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    with sqlite3.connect(database) as conn:
        conn.execute("update papers_facet_combinations set count = count + 1000 where tier = 'oral'")
        oral = conn.execute("select count(*) from papers where tier = 'oral'").fetchone()[0]
        oral_accepted = conn.execute("select count(*) from papers where tier = 'oral' and outcome = 'accept'").fetchone()[0]
    served = datasette_on(database)

    def counts(path, column):
        return {value["value"]: value["count"] for value in served(path).json()["facet_results"][column]["results"]}
    assert counts("/papers/papers.json?tier=oral", "tier") == {"oral": oral + 1000}
    assert counts("/papers/papers.json?tier=oral&_x=1&_label=tier", "tier") == {"oral": oral + 1000}
    assert counts("/papers/papers.json?outcome=accept&_sort=title", "tier")["oral"] == oral_accepted + 1000
    for path in ["/papers/papers.json", "/papers/papers.json?tier=oral&_search=learning", "/papers/papers.json?tier__in=oral"]:
        assert counts(path, "tier").get("oral", 0) <= oral, path


def test_a_later_page_shows_the_whole_tables_facets(served):
    # Datasette 0.65 counts a later page's facets over the rows after its cursor only.
    first = served("/papers/papers.json?_size=100").json()
    later = served(f"/papers/papers.json?_size=100&_next={first['next']}").json()

    def counts(page):
        return {name: [(value["value"], value["count"]) for value in facet["results"]] for name, facet in page["facet_results"].items()}
    assert counts(later) == counts(first) and len(counts(first)) == 4
    assert later["filtered_table_rows_count"] == first["filtered_table_rows_count"] == 319


class FilterByX:
    """Another plugin's filter: on papers, `?_x=<tier>` keeps the papers of that tier."""

    @datasette.hookimpl
    def filters_from_request(self, request, database, table, datasette):
        from datasette.filters import FilterArguments

        if table == "papers" and "_x" in request.args:
            return FilterArguments(["tier = :x_tier"], {"x_tier": request.args["_x"]}, [f"tier is {request.args['_x']}"])
        return None


class OnlyOrals:
    """Another plugin's filter that reads no argument: papers are the oral ones, for everyone."""

    @datasette.hookimpl
    def filters_from_request(self, request, database, table, datasette):
        from datasette.filters import FilterArguments

        return FilterArguments(["tier = 'oral'"], {}, []) if table == "papers" else None


def test_an_argument_another_plugins_filter_may_read_counts_the_facets_live(built_db):
    # With Datasette's filters alone no underscore argument but theirs narrows the rows, so the
    # build's counts are the page's; with another plugin's filter any may.
    from datasette.plugins import pm

    with sqlite3.connect(built_db) as conn:
        papers, = conn.execute("select count(*) from papers").fetchone()
        by_tier = dict(conn.execute("select tier, count(*) from papers where tier is not null group by tier"))
    orals = by_tier["oral"]
    instance = datasette_instance(built_db)

    def page():
        return asyncio.run(instance.client.get("/papers/papers.json?_x=oral")).json()

    def tiers(data):
        return {value["value"]: value["count"] for value in data["facet_results"]["tier"]["results"]}
    alone = page()
    assert alone["filtered_table_rows_count"] == papers and tiers(alone) == by_tier
    assert not [sql for sql in sql_run_for(instance, "/papers/papers.json?_x=oral") if "group by" in sql.lower()]
    pm.register(FilterByX(), name="filter-by-x")
    try:
        filtered = page()
        statements = sql_run_for(instance, "/papers/papers.json?_x=oral")
    finally:
        pm.unregister(name="filter-by-x")
    assert filtered["filtered_table_rows_count"] == orals < papers
    assert tiers(filtered) == {"oral": orals}
    assert [sql for sql in statements if "group by" in sql.lower() and "tier = :x_tier" in sql]  # counted live
    assert tiers(page()) == tiers(alone)  # and the build's counts again once it is gone
    # A filter that reads no argument narrows every page: each counts live.
    pm.register(OnlyOrals(), name="only-orals")
    try:
        for path in ["/papers/papers.json", "/papers/papers.json?_sort=title", "/papers/papers.json?outcome=accept"]:
            data = asyncio.run(instance.client.get(path)).json()
            assert tiers(data) == {"oral": data["filtered_table_rows_count"]}, path
        assert asyncio.run(instance.client.get("/papers/papers.json")).json()["filtered_table_rows_count"] == orals
    finally:
        pm.unregister(name="only-orals")


def test_a_database_without_facet_counts_counts_live(built_db, tmp_path):
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    with sqlite3.connect(database) as conn:
        conn.execute("drop table facet_counts")
    stock = datasette_on(database, stock_facets_metadata(tmp_path))
    facets = assert_same_facets(datasette_on(database), stock, "/papers/papers.json")
    assert {value["value"]: value["count"] for value in facets["tier"]["results"]} == {"poster": 25, "oral": 4, "spotlight": 4}


def facet_fixture(path):
    """A papers table with 40 years (so the year facet is cut at Datasette's 30), NULLs in every
    faceted column but source_count, and facet_counts filled by the build's own script."""
    conn = sqlite3.connect(path)
    conn.executescript(resources.sql_script("schema.sql"))
    papers = []
    for n in range(300):
        year = None if n % 7 == 0 else 1980 + n % 40
        tier = [None, "oral", "poster"][n % 3]
        papers.append((n + 1, f"Paper {n}", year, tier, "accept" if tier else None, 1 + n % 2))
    conn.executemany("insert into papers (id, title, first_published_year, tier, outcome, listings_count, source_count) "
                     "values (?, ?, ?, ?, ?, 1, ?)", papers)
    conn.executescript(resources.sql_script("facet_counts.sql"))
    conn.commit()
    conn.close()
    return papers


def test_precounted_facets_of_a_small_fixture_cut_and_leave_out_null(tmp_path):
    papers = facet_fixture(tmp_path / "papers.db")
    ours = datasette_on(tmp_path / "papers.db")
    stock = datasette_on(tmp_path / "papers.db", stock_facets_metadata(tmp_path))
    facets = assert_same_facets(ours, stock, "/papers/papers.json")
    years = [paper[2] for paper in papers if paper[2] is not None]
    expected = sorted((-years.count(year), year) for year in set(years))[:30]
    assert [(value["value"], value["count"]) for value in facets["first_published_year"]["results"]] == [
        (year, -count) for count, year in expected]
    assert facets["first_published_year"]["truncated"] is True
    assert {value["value"] for value in facets["tier"]["results"]} == {"oral", "poster"}
    assert facets["tier"]["truncated"] is False
    for path in ["/papers/papers.json?_facet_size=max", "/papers/papers.json?_facet_size=3", "/papers/papers.json?tier=oral",
                 "/papers/papers.json?source_count=2", "/papers/papers.json?source_count=1&tier=poster&_facet_size=max",
                 "/papers/papers.json?first_published_year=1990&_facet_size=2"]:
        assert_same_facets(ours, stock, path)


def test_whether_the_file_has_facet_counts_is_asked_once(built_db):
    # The served file is immutable: the answer holds for every later page. Asked: facet_counts,
    # papers_facet_combinations and, by Datasette, papers.
    instance = datasette_instance(built_db)
    asked = "select 1 from sqlite_master where type='table' and name=?"
    first, again = ([sql for sql in sql_run_for(instance, "/papers/papers") if sql == asked] for _ in range(2))
    assert (len(first), len(again)) == (3, 0)


def schema_questions(statements):
    return [sql for sql, _ in statements if "sqlite_master" in sql or sql.lower().startswith("pragma table")]


SCHEMA_VERSION_SQL = ("select database_name, schema_version from databases", "PRAGMA schema_version")


def schema_checks(statements):
    return [sql for sql, _ in statements if sql in SCHEMA_VERSION_SQL]


def test_an_immutable_files_schema_version_is_read_once_not_on_every_request(built_db, tmp_path):
    # Datasette 0.65's views ask every file its schema version before each request: three
    # statements, a third of the no-SQL page's time. An immutable file's cannot change.
    from datasette.database import Database

    instance = datasette_instance(built_db)
    assert schema_checks(statements_run_for(instance, "/-/versions.json"))  # the first request reads them
    assert statements_run_for(instance, "/-/versions.json") == []  # the no-SQL page runs none
    assert schema_checks(statements_run_for(instance, "/papers/papers?tier=oral")) == []
    # A database added while served is read at the next request, as Datasette reads it.
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
    instance.add_database(Database(instance, path=str(other), is_mutable=False), name="other")
    assert schema_checks(statements_run_for(instance, "/-/versions.json"))
    internal = instance.databases["_internal"]
    tables = asyncio.run(internal.execute("select table_name from tables where database_name = 'other'")).rows
    assert [row[0] for row in tables] == ["notes"]
    assert statements_run_for(instance, "/-/versions.json") == []
    # A file that may change is asked on every request, as Datasette does, beside immutable ones too.
    mutable = datasette_instance(built_db, mutable=True)
    for _ in range(2):
        assert schema_checks(statements_run_for(mutable, "/-/versions.json")), "the mutable file's schema"
    instance.add_database(Database(instance, path=str(other), is_mutable=True), name="other")
    for _ in range(2):
        assert schema_checks(statements_run_for(instance, "/-/versions.json")), "beside an immutable one"


def test_a_schema_read_cut_short_is_read_again(built_db):
    # Datasette's refresh returns at once while another request's runs; if that one then fails
    # (here it is cancelled), the next request reads the schemas, as Datasette's own would.
    async def run():
        instance = datasette_instance(built_db)
        await instance.invoke_startup()
        internal = instance.databases["_internal"]
        write, gate = internal.execute_write, asyncio.Event()

        async def stalled_write(*args, **kwargs):
            await gate.wait()
            return await write(*args, **kwargs)
        internal.execute_write = stalled_write
        first = asyncio.create_task(instance.client.get("/-/versions.json"))
        await asyncio.sleep(0.2)
        await instance.client.get("/-/versions.json")  # while the first holds Datasette's lock
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        internal.execute_write = write
        await instance.client.get("/-/versions.json")
        return (await internal.execute("select count(*) from tables")).first()[0]
    assert asyncio.run(run()) > 0


LABELLED_PAGES = ["/papers/listings.json?_labels=on", "/papers/listings.json?_labels=on&decision_id=1&_sort_desc=upvotes",
                  "/papers/listings.json?_labels=on&source_id=2", "/papers/listings.json?_label=paper_id&_size=100",
                  "/papers/papers.json?_labels=on&tier=oral", "/papers/code_links.json?_labels=on"]


def label_queries(statements):
    return [sql for sql, _ in statements if " where id in (" in " ".join(sql.split())]


def test_an_immutable_files_labels_are_remembered_and_are_datasettes(built_db):
    # The labels of foreign keys and facet values: each looked up once a server, the same as a
    # server on the file opened as one that may change (which asks every time) shows.
    asking = datasette_instance(built_db, mutable=True)
    for path in LABELLED_PAGES:
        remembering = datasette_instance(built_db)
        first = statements_run_for(remembering, path)
        assert label_queries(first) or "code_links" in path, path
        again = statements_run_for(remembering, path)
        assert [sql for sql in label_queries(again) if "from papers" not in sql] == [], (path, again)
        ours, theirs = (asyncio.run(instance.client.get(path)).json() for instance in (remembering, asking))
        assert ours["rows"] == theirs["rows"] and ours["facet_results"] == theirs["facet_results"], path
        assert label_queries(statements_run_for(asking, path)) or "code_links" in path, path
    shown = asyncio.run(remembering.client.get(LABELLED_PAGES[0])).json()["rows"]
    assert any(isinstance(row["decision_id"], dict) and row["decision_id"]["label"] for row in shown)


class FakeDatabase:
    is_mutable = False


def test_labels_are_asked_for_what_is_not_remembered(monkeypatch):
    import papers_db.plugin
    from papers_db.plugin import remembering_labels

    asked = []
    names = {1: "one", 2: "two", 3: "x" * 600, 5: "five", 6: "six"}  # 3's label is too long to keep

    async def expand(database, table, column, values):
        asked.append(list(values))
        if "stop" in values:  # a query stopped by the time limit: expand_foreign_keys answers nothing
            return {}
        if table == "u":  # a foreign key to a table without a label column: each value as text
            return {(column, value): str(value) for value in values}
        return {(column, value): names[value] for value in values if value in names}
    server = SimpleNamespace(databases={"papers": FakeDatabase()})
    labels = remembering_labels(server, expand)

    def ask(values, column="c"):
        return asyncio.run(labels("papers", "t", column, values))
    assert ask([1, 2, 1, None]) == {("c", 1): "one", ("c", 2): "two"} and asked == [[1, 2]]
    assert ask([2, 1]) == {("c", 2): "two", ("c", 1): "one"} and len(asked) == 1  # remembered
    assert ask([1, 3, 4]) == {("c", 1): "one", ("c", 3): "x" * 600} and asked[-1] == [3, 4]
    assert ask([3, 4]) == {("c", 3): "x" * 600} and asked[-1] == [3, 4]  # too long to keep; 4 has no row
    assert ask([None]) == {} and len(asked) == 3  # nothing asked
    assert ask([1], column="other") == {("other", 1): "one"} and asked[-1] == [1]  # per column
    assert ask(["stop", 2]) == {("c", 2): "two"} and asked[-1] == ["stop"]
    assert ask(["stop"]) == {} and asked[-1] == ["stop"]  # asked again
    # By table, and by the value's type as well as its value.
    assert ask([1], column="other") == {("other", 1): "one"} and len(asked) == 6
    assert asyncio.run(labels("papers", "u", "other", [1])) == {("other", 1): "1"} and asked[-1] == [1]
    assert asyncio.run(labels("papers", "u", "other", [1.0])) == {("other", 1.0): "1.0"} and asked[-1] == [1.0]
    assert asyncio.run(labels("papers", "u", "other", [1, 1.0])) == {("other", 1): "1.0"}  # as Datasette gives it
    assert asked[-1] == [1, 1.0]
    # A database added again under the same name is another.
    server.databases["papers"] = FakeDatabase()
    for value in (1, 2, 6):
        ask([value])
        assert asked[-1] == [value]
    ask([1])  # remembered, and now the most recently used
    count = len(asked)
    # The least recently used go first beyond LABELS_KEPT (and the first database's all went).
    monkeypatch.setattr(papers_db.plugin, "LABELS_KEPT", 3)
    ask([5])  # kept now: c 6, c 1, c 5; c 2, used least recently, went
    assert ask([6, 1, 5]) == {("c", 6): "six", ("c", 1): "one", ("c", 5): "five"} and len(asked) == count + 1
    ask([2])
    assert asked[-1] == [2] and len(asked) == count + 2
    server.databases["papers"].is_mutable = True
    assert ask([1, None]) == {("c", 1): "one"} and asked[-1] == [1, None]  # a file that may change: asked each time


def metadata_allowing(tmp_path, tables):
    """metadata.yml's metadata with `allow` blocks on `tables` ({table: allow block}), written to tmp_path."""
    metadata = yaml.safe_load(resources.metadata_yml().read_text())
    for table, allow in tables.items():
        metadata["databases"]["papers"]["tables"].setdefault(table, {})["allow"] = allow
    path = tmp_path / f"metadata-{len(list(tmp_path.glob('metadata-*')))}.yml"
    path.write_text(yaml.safe_dump(metadata))
    return path


@pytest.fixture
def permission_reads(monkeypatch):
    """(database, table) of each call of Datasette's own _table_permission_allows, by servers made
    from now on."""
    from datasette.app import Datasette

    read = []
    reading = Datasette._table_permission_allows

    def counted(self, database, table):
        read.append((database, table))
        return reading(self, database, table)
    monkeypatch.setattr(Datasette, "_table_permission_allows", counted)
    return read


def test_table_permissions_are_read_once_per_table(built_db, tmp_path, permission_reads):
    # Datasette 0.65.5 deep-copies the whole metadata for each table's permission check: the
    # database page made 52 of them, 78% of its time at 100k papers. They are read once a table.
    read = permission_reads
    instance = datasette_instance(built_db, metadata_allowing(tmp_path, {"listings": {"id": "editor"}}))
    get = asyncio.run
    page = get(instance.client.get("/papers")).text
    first = list(read)
    assert ("papers", "listings") in first and len(first) == len(set(first))  # Datasette's page asks each twice
    took = re.compile(r"Queries took [0-9.]+ms")
    assert took.sub("", get(instance.client.get("/papers")).text) == took.sub("", page)
    assert get(instance.client.get("/papers/papers")).status_code == 200
    assert read == first  # nothing asked again
    assert '"/papers/listings"' not in page and '"/papers/papers"' in page  # and the answers are kept
    assert get(instance.client.get("/papers/listings")).status_code == 403
    editor = {"ds_actor": instance.sign({"a": {"id": "editor"}}, "actor")}
    assert get(instance.client.get("/papers/listings", cookies=editor)).status_code == 200
    assert '"/papers/listings"' in get(instance.client.get("/papers", cookies=editor)).text


def test_table_names_a_visitor_chooses_are_not_kept(built_db, tmp_path, permission_reads):
    # A row page checks its table's permission before it looks for the table: 1,000 names of 12,000
    # characters held 16 MB of a server and pushed the real tables' answers out.
    instance = datasette_instance(built_db, metadata_allowing(tmp_path, {"listings": {"id": "editor"}}))
    for _ in range(2):
        for path in ("/_internal/nosuch/1", "/_internal/NoSuch/1", "/papers/listings", "/papers/papers"):
            asyncio.run(instance.client.get(path))
    read = [table for _, table in permission_reads]
    assert read.count("nosuch") == 2 and read.count("NoSuch") == 2  # asked each time
    assert read.count("listings") == 1 and read.count("papers") == 1  # named in the metadata: kept
    # A table of the served file that the metadata does not name is kept too (FTS5's own tables).
    metadata = yaml.safe_load(resources.metadata_yml().read_text())
    assert "papers_fts_data" not in metadata["databases"]["papers"]["tables"]
    for _ in range(2):
        asyncio.run(instance.client.get("/papers"))
    assert [table for _, table in permission_reads].count("papers_fts_data") == 1


def test_table_permissions_follow_the_metadata_they_were_read_from(built_db, tmp_path):
    instance = datasette_instance(built_db, metadata_allowing(tmp_path, {"listings": {"id": "editor"}}))

    def status(path):
        return asyncio.run(instance.client.get(path)).status_code
    assert (status("/papers/listings"), status("/papers/papers")) == (403, 200)
    # Metadata set anew is read anew.
    instance._metadata_local = yaml.safe_load(metadata_allowing(tmp_path, {"papers": {"id": "editor"}}).read_text())
    assert (status("/papers/listings"), status("/papers/papers")) == (200, 403)

    # While a plugin gives metadata, which may differ from one request to the next, each check asks.
    from datasette import hookimpl
    from datasette.plugins import pm

    class GivingMetadata:
        denied = "decisions"

        @hookimpl
        def get_metadata(self, datasette, key, database, table):
            return {"databases": {"papers": {"tables": {GivingMetadata.denied: {"allow": False}}}}}
    giving = GivingMetadata()
    pm.register(giving, name="giving-metadata")
    try:
        assert (status("/papers/decisions"), status("/papers/sources"), status("/papers/papers")) == (403, 200, 403)
        GivingMetadata.denied = "sources"
        assert (status("/papers/decisions"), status("/papers/sources")) == (200, 403)
    finally:
        pm.unregister(giving)
    assert (status("/papers/decisions"), status("/papers/sources"), status("/papers/papers")) == (200, 200, 403)


def test_table_permissions_kept_are_bounded_and_copied(monkeypatch):
    import papers_db.plugin
    from papers_db.plugin import remembering_table_permissions

    asked = []

    def allows(database, table):
        asked.append(table)
        return [{"id": table}]
    class Server:  # serving no file: only the tables the metadata names are kept
        databases = {}
        _metadata_local = {"tables": {"a": {}}, "databases": {"papers": {"tables": {"B": {}, "c": {}}}}}
    server = Server()
    kept = remembering_table_permissions(server, allows)
    # A table the metadata does not name is asked each time: visitors choose such names. The
    # metadata's "B" names b (Datasette folds the case).
    named = remembering_table_permissions(server, allows)
    named("papers", "zzz"), named("papers", "zzz"), named("papers", "b"), named("papers", "b")
    assert asked == ["zzz", "zzz", "b"]
    asked.clear()
    monkeypatch.setattr(papers_db.plugin, "TABLE_PERMISSIONS_KEPT", 2)
    assert kept("papers", "a") == [{"id": "a"}] and kept("papers", "b") == [{"id": "b"}]
    kept("papers", "a")[0]["id"] = "changed by a caller"
    assert kept("papers", "a") == [{"id": "a"}] and asked == ["a", "b"]
    kept("papers", "c")  # b, used least recently, goes
    kept("papers", "a")
    assert asked == ["a", "b", "c"]
    kept("papers", "b")
    assert asked == ["a", "b", "c", "b"]
    kept("other", "b")  # per database
    assert asked[-1] == "b" and len(asked) == 5


def test_an_immutable_files_schema_is_read_once_per_table(built_db, tmp_path):
    # Datasette 0.65 asks a table's columns, keys, foreign keys and definition on every visit to
    # its page: 16 of the 19 calls to a SQL thread a view's page made. The served file cannot
    # change, so after the first visit a page runs its own queries alone: its rows, and its
    # facets and count where the build did not count them.
    instance = datasette_instance(built_db)
    with sqlite3.connect(built_db) as conn:
        names = [name for (name,) in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') and name not like 'papers_fts%'")]
    assert {"papers", "listings", "trending", "paper_overview"} <= set(names)
    for name in names:
        path = f"/papers/{name}"
        assert schema_questions(statements_run_for(instance, path)), path  # asked on the first visit
        again = statements_run_for(instance, path)
        assert schema_questions(again) == [], (path, again)
        assert [sql for sql, _ in again if sql != "PRAGMA schema_version"], path  # its rows are still read
    # The pages are the ones a server that asks every time serves.
    asking = datasette_on(built_db, mutable=True)
    assert schema_questions(statements_run_for(datasette_instance(built_db, mutable=True), "/papers/trending"))
    for path in ["/papers/papers.json?_size=3", "/papers/trending.json?_size=3", "/papers/listings.json?_labels=on&_size=5",
                 "/papers/paper_overview.json?_search=diffusion"]:
        served = asyncio.run(instance.client.get(path))
        assert served.status_code == 200 and served.json()["rows"] == asking(path).json()["rows"], path
    # A name the schema does not have is asked about every time: nothing is kept for it.
    for _ in range(2):
        assert schema_questions(statements_run_for(instance, "/papers/nonesuch", status=404)), "asked again"
    # Each caller gets its own list: changing one does not change the next answer.
    database = instance.get_database("papers")
    for question in ("table_columns", "foreign_keys_for_table"):
        answer = asyncio.run(getattr(database, question)("listings"))
        assert answer
        answer.append("changed")
        if isinstance(answer[0], dict):
            answer[0]["column"] = "changed"
        again = asyncio.run(getattr(database, question)("listings"))
        assert "changed" not in again and "changed" not in str(again), question


# --- Walking a sorted table page by page ----------------------------------------------------------

# The bundled sources' tables of more than one 40-row page (sources: 5 rows, parse_issues: none).
WALKED_TABLES = ["papers", "listings", "code_links", "paper_aliases", "related_papers"]


def walk_pages(get, path):
    """Every row key of a table's JSON pages from `path`, following next_url to the end."""
    keys = []
    while path:
        response = get(path)
        assert response.status_code == 200, (path, response.text[:300])
        data = response.json()
        keys += [tuple(row) for row in data["rows"]]
        path = data["next_url"] and urllib.parse.urlsplit(data["next_url"])._replace(scheme="", netloc="").geturl()
    return keys


@pytest.mark.parametrize("table", WALKED_TABLES)
def test_walking_a_sorted_table_page_by_page_shows_every_row_once_in_order(served, built_db, table):
    # Sort by each column both ways (and the table's default sort), 40 rows a page, and follow
    # the next-page links: the rows must be all of the table's, each once, in SQLite's own order
    # by that column with ties by primary key. The bundled sources have ties in almost every
    # column (dates, tiers, NULL upvotes). Datasette's first page ordered by the column alone:
    # papers by tier, 50 a page, gave 259 rows of which 231 distinct, of 319.
    metadata = yaml.safe_load(resources.metadata_yml().read_text())["databases"]["papers"]["tables"][table]
    with sqlite3.connect(built_db) as conn:
        info = conn.execute("select name, pk from pragma_table_info(?)", [table]).fetchall()
        keys = ", ".join(name for name, pk in sorted(info, key=lambda column: column[1]) if pk)
        default = (metadata.get("sort") or metadata.get("sort_desc"), "sort_desc" in metadata)
        sorts = [("", *default), ("&_next=", *default)]  # a blank _next is no token
        sorts += [(f"&{way}={name}", name, way == "_sort_desc") for name, _ in info for way in ("_sort", "_sort_desc")]
        expected = {}
        for parameter, column, descending in sorts:
            order = f"{column} desc, {keys}" if descending else f"{column}, {keys}"
            expected[parameter] = [tuple(row) for row in conn.execute(f"select {keys} from {table} order by {order}")]
    key_columns = "".join(f"&_col={name}" for name, pk in info if pk and name != "id")
    for parameter, _, _ in sorts:
        walked = walk_pages(served, f"/papers/{table}.json?_size=40&_nofacet=1&_nocount=1&_col={info[0][0]}"
                                    f"{key_columns}{parameter}")
        # Each row is [key..., first column]: for a table keyed by id, id and the first column.
        assert [row[:len(expected[parameter][0])] for row in walked] == expected[parameter], (table, parameter)
    assert len(expected[""]) > 40, "too few rows to need a second page"


def test_a_streamed_csv_of_a_sorted_table_has_every_row_once(built_db):
    # CSV's "stream all rows" pages through the table as next-page links do, max_returned_rows
    # (set to 30 here) at a time.
    get = datasette_on(built_db, extra_args=["--setting", "max_returned_rows", "30"])
    streamed = list(csv.reader(io.StringIO(get("/papers/papers.csv?_stream=on&_size=max&_col=id").text)))
    assert [row[0] for row in streamed[1:]] == ids_in_order(built_db, "papers", "first_published_on desc")
    streamed = list(csv.reader(io.StringIO(get("/papers/listings.csv?_stream=on&_sort_desc=upvotes&_col=id").text)))
    assert [row[0] for row in streamed[1:]] == ids_in_order(built_db, "listings", "upvotes desc")


def ids_in_order(database, table, order):
    """The table's ids as text, in SQLite's own order by `order`, ties by id."""
    with sqlite3.connect(database) as conn:
        return [str(id) for (id,) in conn.execute(f"select id from {table} order by {order}, id")]


def test_a_streamed_csv_follows_datasettes_settings_and_stops_at_its_size_limit(built_db, tmp_path):
    refusing = datasette_on(built_db, extra_args=["--setting", "allow_csv_stream", "off"])
    response = refusing("/papers/papers.csv?_stream=on")
    assert response.status_code == 400 and "CSV streaming is disabled" in response.text
    # max_csv_mb counts MiB: 5,000 more characters in each of the 319 abstracts make 1.6 MB.
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    with sqlite3.connect(database) as conn:
        conn.execute("update papers set abstract = abstract || printf('%.5000c', 'x')")
    whole = datasette_on(database, extra_args=["--setting", "max_returned_rows", "30"])("/papers/papers.csv?_size=max")
    limited = datasette_on(database, extra_args=["--setting", "max_returned_rows", "30", "--setting", "max_csv_mb", "1"])
    streamed = limited("/papers/papers.csv?_stream=on&_dl=1")
    assert streamed.headers["content-disposition"] == 'attachment; filename="papers.csv"'
    lines = streamed.text.splitlines()
    assert lines[-1] == f"CSV contains more than {2**20} bytes"
    assert len(streamed.content) <= 2**20 + 100 and lines[0] == whole.text.splitlines()[0]


async def stream_through_the_plugin(plugin, instance, app, path, query_string, hang_up):
    """The lines of a streamed CSV answered by the plugin's from_the_first_row in front of `app`,
    with a client that hangs up once the first rows arrive, or (hang_up=False) reads to the end."""
    first_rows, requested, bodies = asyncio.Event(), [], []

    async def receive():  # the request once, then (as a server does) nothing until the client goes
        if not requested:
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await (first_rows.wait() if hang_up else asyncio.Event().wait())
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body" and message.get("body"):
            bodies.append(message["body"])
            first_rows.set()
    scope = asgi_scope(f"{path}?{query_string}")
    await instance.invoke_startup()
    await plugin.from_the_first_row(instance, app, scope, receive, send, plugin.query_parameters(scope))
    return b"".join(bodies).decode().splitlines()


def test_a_streamed_csv_stops_when_its_client_goes(built_db):
    # The plugin's stream, on the real app, with a client that hangs up once the first rows
    # arrive: of the 11 pages (319 papers, 30 a page) it asks Datasette for one or two.
    from test_hostile_requests import load_plugin

    plugin = load_plugin()
    instance = datasette_instance(built_db, extra_args=["--setting", "max_returned_rows", "30"])
    app = instance.app()
    asked = []

    async def counting_app(scope, receive, send):
        asked.append(scope["path"])
        await app(scope, receive, send)

    asyncio.run(stream_through_the_plugin(plugin, instance, counting_app, "/papers/papers.csv", "_stream=on", hang_up=True))
    assert asked and asked.count("/papers/papers.csv") <= 2


@pytest.mark.parametrize("name", ["listings", "paper_aliases", "code_links", "paper_overview", "cross_listed", "papers"])
def test_a_streamed_csv_has_every_row_beyond_the_first_page(built_db, name):
    # 5 rows the most a page can have: Datasette's own stream of a view, or of a table by its key,
    # without _size, ended after its first 5 rows (5 of 336 listings), saying nothing.
    with sqlite3.connect(built_db) as conn:
        rows = conn.execute(f"select count(*) from [{name}]").fetchone()[0]
    assert rows > 10
    streamed = datasette_on(built_db, extra_args=["--setting", "max_returned_rows", "5"])(f"/papers/{name}.csv?_stream=on")
    assert len(streamed.text.splitlines()) == rows + 1


def statements_asked_of(database):
    """The list the SQL of every statement asked of Datasette's `database` is added to, from now on."""
    execute, queries = database.execute, []

    async def counting_execute(sql, *args, **kwargs):
        queries.append(sql)
        return await execute(sql, *args, **kwargs)

    database.execute = counting_execute
    return queries


def test_datasettes_own_stream_stops_when_its_client_goes_and_pages_by_the_most_rows(built_db):
    # A view's stream (Datasette's own, paged by OFFSET) asked 1 row a page, 5 rows the most a page
    # can have. Read whole, it takes pages of 5: `_size` does not make a stream cost a query per row.
    # With a client that hangs up once the first rows arrive, it stops after a page or two.
    from test_hostile_requests import load_plugin

    plugin = load_plugin()
    instance = datasette_instance(built_db, extra_args=["--setting", "max_returned_rows", "5"])
    with sqlite3.connect(built_db) as conn:
        overview = conn.execute("select count(*) from paper_overview").fetchone()[0]
    assert overview > 100
    queries = statements_asked_of(instance.get_database("papers"))

    def stream(hang_up):
        return asyncio.run(stream_through_the_plugin(
            plugin, instance, instance.app(), "/papers/paper_overview.csv", "_stream=on&_size=1", hang_up))

    whole = stream(hang_up=False)
    assert len(whole) == overview + 1
    assert sum("from paper_overview" in sql.lower() and "count(" not in sql.lower() for sql in queries) <= overview // 5 + 2
    cut = stream(hang_up=True)
    assert cut[0] == whole[0] and len(cut) <= 1 + 2 * 5  # its header, and a page or two at most


def test_a_head_of_a_stream_reads_one_page_and_answers_as_its_get(built_db):
    # Datasette made the whole stream for a HEAD and sent none of it (2.5 s of a core for
    # listings at 100k papers). A view's stream of 5 rows a page is a query per page.
    from test_hostile_requests import load_plugin

    plugin = load_plugin()
    instance = datasette_instance(built_db, extra_args=["--setting", "max_returned_rows", "5"])
    queries = statements_asked_of(instance.get_database("papers"))

    async def answer(method):
        scope = asgi_scope("/papers/paper_overview.csv?_stream=on&_dl=1", method)
        messages = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            messages.append(message)
        await instance.invoke_startup()
        await plugin.from_the_first_row(instance, instance.app(), scope, receive, send, plugin.query_parameters(scope))
        return messages[0]

    def rows_read():
        return sum("from paper_overview" in sql.lower() and "count(" not in sql.lower() for sql in queries)

    head = asyncio.run(answer("HEAD"))
    read_for_head, queries[:] = rows_read(), []
    get = asyncio.run(answer("GET"))
    assert read_for_head == 1 and rows_read() > 20
    assert (head["status"], sorted(head["headers"])) == (get["status"], sorted(get["headers"]))


def test_a_descending_first_page_of_a_file_that_may_change_starts_above_its_greatest_value(built_db, tmp_path):
    # A file served as one that may change (plain `datasette papers.db`) is read for the
    # column's greatest value on every first page: a paper upvoted past every other shows first.
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    get = datasette_on(database, mutable=True)
    first = get("/papers/papers.json?_sort_desc=max_upvotes&_size=3&_shape=objects&_col=max_upvotes").json()["rows"]
    with sqlite3.connect(database) as conn:
        paper = conn.execute("select id from papers where max_upvotes is null limit 1").fetchone()[0]
        conn.execute("update papers set max_upvotes = ? where id = ?", [first[0]["max_upvotes"] + 1000, paper])
    again = get("/papers/papers.json?_sort_desc=max_upvotes&_size=3&_shape=objects&_col=max_upvotes").json()["rows"]
    assert again[0]["id"] == paper and again[1:] == first[:2]


def test_the_export_forms_stream_of_a_sorted_page_has_every_row_once(built_db):
    # The first page's links and its export form carry the token it started from; the form's
    # "stream all rows" sends it back with _stream=on, which Datasette alone refuses.
    get = datasette_on(built_db, extra_args=["--setting", "max_returned_rows", "30"])
    page = get("/papers/papers").text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert "_next" in hidden
    streamed = get("/papers/papers.csv?" + urllib.parse.urlencode({**hidden, "_size": "max", "_stream": "on", "_col": "id"}))
    assert streamed.status_code == 200
    assert [row[0] for row in csv.reader(io.StringIO(streamed.text))][1:] == ids_in_order(
        built_db, "papers", "first_published_on desc")


def test_odd_columns_sort_and_stream_without_losing_or_repeating_rows(built_db):
    get = datasette_on(built_db, extra_args=["--setting", "max_returned_rows", "10"])
    with sqlite3.connect(built_db) as conn:
        blocks = conn.execute("select count(*) from papers_fts_data").fetchone()[0]
        values = conn.execute("select count(*) from facet_counts").fetchone()[0]
    # BLOBs sort above every text: a descending sort of one starts from no token.
    assert len(get("/papers/papers_fts_data.json?_sort_desc=block&_size=5").json()["rows"]) == min(5, blocks)
    # facet_counts.value holds numbers and text, where keyset paging can lead back to an earlier
    # page (Datasette's own stream repeated rows until max_csv_mb) or skip every number: with more
    # rows than a page, the stream is refused (a stream that stopped where it circled still lost
    # the rows an ascending sort skipped, without a word: found by review).
    assert values > 10
    for sort in ("_sort_desc", "_sort"):
        streamed = get(f"/papers/facet_counts.csv?{sort}=value&_stream=on")
        assert streamed.status_code == 400 and "cannot be streamed in the order of value" in streamed.text
    # HEAD: the headers alone.
    head = asyncio.run(datasette_instance(built_db).client.request("HEAD", "/papers/papers.csv?_stream=on"))
    assert head.status_code == 200 and head.content == b""


def test_pages_after_the_first_of_a_sort_by_a_column_of_any_type_are_refused(built_db):
    # facet_counts.value holds numbers and text: following "next" gave one page for ever (sorted
    # descending) or skipped every number (ascending), in HTML and JSON (found by review). The
    # first page's JSON offers no next page either: its next_url led a client to the 400 (review).
    from datasette.utils import tilde_encode

    get = datasette_on(built_db)
    for sort in ("_sort", "_sort_desc"):
        first = get(f"/papers/facet_counts.json?{sort}=value&_size=7&_shape=objects")
        assert first.status_code == 200 and len(first.json()["rows"]) == 7
        assert (first.json()["next"], first.json()["next_url"], first.headers.get("link")) == (None, None, None)
        last = first.json()["rows"][-1]
        token = f"{tilde_encode(str(last['value']))},{last['rowid']}"  # the token Datasette gave as "next"
        following = get(f"/papers/facet_counts.json?{sort}=value&_size=7&_next={urllib.parse.quote(token)}")
        assert following.status_code == 400, sort
        assert "cannot be given in the order of value" in following.json()["error"]
        assert get(f"/papers/facet_counts?{sort}=value&_size=7&_next={urllib.parse.quote(token)}").status_code == 400
        assert get(f"/papers/facet_counts.json?{sort}=value&_size=7&_shape=array").headers.get("link") is None
    # So is a page after the first of a table whose key holds BLOBs, in its own order: papers_fts_idx's
    # second page had no rows at all (found by review).
    first = get("/papers/papers_fts_idx.json?_size=5")
    assert len(first.json()["rows"]) == 5 and first.json()["next_url"] is None
    assert get("/papers/papers_fts_idx.json?_size=5&_next=1%2Cb~270ade~27").status_code == 400
    # Any other order's first page links its next page, in its JSON and its Link header.
    other = get("/papers/facet_counts.json?_sort=count&_size=7&_shape=array")
    assert "_next=" in other.headers["link"]
    # A typed column, or one of no type that holds text alone, pages as before, to its end (a
    # refusal by the declared type alone refused these: found by review).
    for table, first_url in (("facet_counts", "/papers/facet_counts.json?_sort=count&_size=7"),
                             ("sqlite_stat1", "/papers/sqlite_stat1.json?_sort=tbl&_size=5"),
                             ("papers_fts", "/papers/papers_fts.json?_sort_desc=title&_size=50")):
        url, rows = first_url, []
        while url:
            page = get(url)
            assert page.status_code == 200, url
            rows += [tuple(row) for row in page.json()["rows"]]
            url = page.json()["next_url"] and "?".join(urllib.parse.urlsplit(page.json()["next_url"])[2:4])
        with sqlite3.connect(built_db) as conn:
            assert len(rows) == len(set(rows)) == conn.execute(f"select count(*) from {table}").fetchone()[0], table


def test_the_first_page_of_an_order_with_no_next_page_says_so_and_its_links_work(built_db):
    # Its "Next page" link answered 400, as every page after the first in such an order does; so
    # did its JSON and CSV links, which carry the first page's own token (found by review).
    get = datasette_on(built_db)
    with sqlite3.connect(built_db) as conn:
        counts = {table: conn.execute(f"select count(*) from {table}").fetchone()[0]
                  for table in ("facet_counts", "papers_fts_idx")}

    def streamed_rows(page):
        (link,) = re.findall(r'<p class="first-page-only">.*?<a href="([^"]+)"', page.text, re.S)
        streamed = get(html.unescape(link))
        assert streamed.status_code == 200, link
        return [tuple(row) for row in csv.reader(io.StringIO(streamed.text))][1:]

    for path, table in (("/papers/facet_counts?_sort=value&_size=5", "facet_counts"),
                        ("/papers/facet_counts?_sort_desc=value&_size=5", "facet_counts"),
                        ("/papers/papers_fts_idx?_size=2", "papers_fts_idx")):
        page = get(path)
        assert page.status_code == 200 and "Next page" not in page.text, path
        rows = streamed_rows(page)  # every row fits one page of max_returned_rows: the stream is whole
        assert len(rows) == len(set(rows)) == counts[table], path
        (json_link,) = re.findall(r'This data as <a href="([^"]+)">json</a>', page.text)
        assert get(html.unescape(json_link)).status_code == 200, json_link
        (export_csv,) = re.findall(r'<a href="([^"]+)">CSV</a>', page.text)
        assert get(html.unescape(export_csv)).status_code == 200, export_csv
    # Where a page holds fewer rows than the table, a stream in such an order lost or repeated
    # rows without a word (papers_fts_idx at 100,000 papers: 1,000 of 16,276): it is refused, and
    # the note links no stream.
    get = datasette_on(built_db, extra_args=["--setting", "max_returned_rows", "20"])
    for path in ("/papers/facet_counts?_sort=value&_size=5", "/papers/papers_fts_idx?_size=2",
                 "/papers/papers_fts_idx?_sort=segid&_size=2"):
        page = get(path)
        assert "Next page" not in page.text and "or ask for the rows in SQL." in page.text, path
        table, query = path.split("?")
        refused = get(f"{table}.csv?{query}&_size=max&_stream=on")
        assert refused.status_code == 400 and "cannot be streamed in the order of" in refused.text, path
    # A sort that pages keeps its next page; an order whose rows all fit its first page says nothing.
    get = datasette_on(built_db)
    assert "Next page" in get("/papers/facet_counts?_sort=count&_size=5").text
    assert "first-page-only" not in get("/papers/facet_counts?_sort=value").text
    assert "first-page-only" not in get("/papers/papers?_size=5").text


def test_a_row_under_a_name_that_is_no_table_is_not_found(built_db):
    # Datasette 0.65 answered 400 "Invalid SQL - no such table" (found by review).
    get = datasette_on(built_db)
    for path in ("/papers/nosuchtable/1", "/papers/search/1", "/papers/trending_on/1.json", "/papers/-/1"):
        answer = get(path)
        assert answer.status_code == 404, path
        assert "Invalid SQL" not in answer.text
    with sqlite3.connect(built_db) as conn:
        (paper_id,) = conn.execute("select id from papers limit 1").fetchone()
    assert get(f"/papers/papers/{paper_id}").status_code == 200
    assert get(f"/papers/papers/{paper_id}.json").status_code == 200


def test_a_visitors_own_facet_is_counted_on_its_own(built_db):
    # A facet asked for in the URL may have a value a row (`id`): grouped with the four
    # configured ones, every combination would come back to Python. It is counted as Datasette does.
    instance = datasette_instance(built_db)
    grouped = [sql for sql in sql_run_for(instance, "/papers/papers?_search=learning&_facet_precounted=id")
               if "group by" in sql.lower()]
    assert len(grouped) == 5 and all("count(*) as count" in sql for sql in grouped)  # ColumnFacet's, one a facet


# Row counts of facet clicks: the same rows, counted by SQLite here, whatever the plugin runs.
COUNTED_PAGES = [
    ("papers", {"tier": "oral"}),
    ("papers", {"source_count": "1"}),
    ("papers", {"outcome": "accept", "first_published_year": "2025"}),
    ("papers", {"tier__exact": "spotlight", "source_count": "2"}),
    ("papers", {"tier": "nonesuch"}),
    ("papers", {"first_published_year": "2024.0"}),  # compared as papers' INTEGER column compares it
    ("papers", {"tier": ["oral", "poster"]}),  # one column twice: no rows
    ("listings", {"decision_id": "1"}),
    ("listings", {"matched_by": "first", "source_id": "2", "organization_id": ""}),
    # Counted from the table itself: conditions the combinations cannot answer.
    ("papers", {"tier__not": "oral"}),
    ("papers", {"tier": "oral", "_search": "learning"}),
    ("papers", {"title__contains": "model", "source_count": "1"}),
    ("listings", {"source_id": "2", "decision_id__isnull": "1"}),
]


def expected_count(conn, table, filters):
    """The rows SQLite finds for a table page's filters: `column` exact, `__not`, `__isnull`,
    `__contains`, and `_search` over papers_fts."""
    conditions, values = [], []
    for name, given in filters.items():
        for value in given if isinstance(given, list) else [given]:
            column, _, operation = name.partition("__")
            if column == "_search":
                conditions.append("rowid in (select rowid from papers_fts where papers_fts match ?)")
            elif operation == "not":
                conditions.append(f"[{column}] != ?")
            elif operation == "isnull":
                conditions.append(f"[{column}] is null")
                continue
            elif operation == "contains":
                conditions.append(f"[{column}] like '%' || ? || '%'")
            else:
                conditions.append(f"[{column}] = ?")
            values.append(value)
    return conn.execute(f"select count(*) from [{table}] where {' and '.join(conditions)}", values).fetchone()[0]


def test_a_facet_clicks_row_count_is_the_rows_it_shows(built_db):
    served = datasette_on(built_db)
    with sqlite3.connect(built_db) as conn:
        counts = [(table, filters, expected_count(conn, table, filters)) for table, filters in COUNTED_PAGES]
    assert {count for _, _, count in counts} >= {0, 4}  # no rows, and a few
    for table, filters, count in counts:
        path = f"/papers/{table}.json?" + urllib.parse.urlencode(filters, doseq=True)
        page = served(path + "&_size=max")
        assert page.status_code == 200, path
        assert page.json()["filtered_table_rows_count"] == count == len(page.json()["rows"]), path
        html_page = served(path.replace(".json", ""))
        assert f">{count:,} row" in html_page.text, path


def test_a_facet_clicks_row_count_is_summed_from_the_combinations(built_db, tmp_path):
    # A count changed in the combinations table shows as the row count of a page filtered by
    # facet values alone, and of no other page: proof of where each count comes from. At a
    # million papers counting `?source_count=1` took 44 ms of the page's 67 ms.
    database = tmp_path / "papers.db"
    shutil.copy(built_db, database)
    with sqlite3.connect(database) as conn:
        conn.execute("update papers_facet_combinations set count = count + 1000 where tier = 'oral'")
        rows = functools.partial(expected_count, conn, "papers")
        oral, single, oral_learning, not_oral = (rows({"tier": "oral"}), rows({"source_count": "1"}),
                                                 rows({"tier": "oral", "_search": "learning"}), rows({"tier__not": "oral"}))
        single_oral = rows({"source_count": "1", "tier": "oral"})

    def count(served, filters):
        return served("/papers/papers.json?" + urllib.parse.urlencode(filters)).json()["filtered_table_rows_count"]
    served = datasette_on(database)
    assert count(served, {"tier": "oral"}) == oral + 1000
    assert count(served, {"tier": "oral", "_sort": "title", "_size": "3"}) == oral + 1000
    assert count(served, {"source_count": "1"}) == single + 1000 * (single_oral > 0)
    assert count(served, {"tier": "oral", "_search": "learning"}) == oral_learning
    assert count(served, {"tier__not": "oral"}) == not_oral
    # A file that may change is counted from its rows: it may have changed since its build.
    assert count(datasette_on(database, mutable=True), {"tier": "oral"}) == oral


SMALL_PAGES = [
    "/papers/papers.json",  # the default sort: newest first
    "/papers/papers.json?source_count=1",
    "/papers/listings.json?_sort_desc=published_on",
    "/papers/listings.json?_sort=published_on",
]


@pytest.mark.parametrize("path", SMALL_PAGES)
def test_a_page_of_a_few_rows_is_the_start_of_the_default_page_read_by_index(built_db, path):
    # SQLite plans a sorted page's query for ten rows or fewer as a read of every matching row and
    # a sort: at a million papers `?_size=1` took 294 ms, and 0.3 ms read from the date index.
    instance = datasette_instance(built_db)
    get = lambda path: asyncio.run(instance.client.get(path))  # noqa: E731
    first_rows = get(path).json()["rows"]
    assert len(first_rows) == 50
    sorted_sizes = []
    with sqlite3.connect(built_db) as conn:
        for size in range(11):
            sized = f"{path}{'&' if '?' in path else '?'}_size={size}"
            page = get(sized).json()
            assert page["rows"] == first_rows[:size], sized
            assert page["next"] is not None or size == 0, sized
            statements = statements_run_for(instance, sized)
            rows_sql = [(sql, params) for sql, params in statements if sql.startswith("select id, ") and " order by " in sql]
            assert len(rows_sql) == 1 and rows_sql[0][0].endswith(" limit 51"), (sized, statements)
            plan = [detail for _, _, _, detail in conn.execute(f"explain query plan {rows_sql[0][0]}", rows_sql[0][1])]
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (sized, plan)
            own_plan = [detail for _, _, _, detail in conn.execute(  # Datasette's own LIMIT
                f"explain query plan {rows_sql[0][0].rsplit(' limit ', 1)[0]} limit {size + 1}", rows_sql[0][1])]
            if "USE TEMP B-TREE FOR ORDER BY" in own_plan:
                sorted_sizes.append(size)
    assert 1 in sorted_sizes or "_sort=" in path  # a descending page of one row would be sorted


def test_a_visitors_own_sql_keeps_its_limit(built_db):
    instance = datasette_instance(built_db)
    path = "/papers.json?sql=" + urllib.parse.quote("select id from papers order by first_published_on desc, id limit 2")
    assert [sql for sql in sql_run_for(instance, path) if "from papers" in sql][-1].endswith("limit 2")
    assert len(asyncio.run(instance.client.get(path)).json()["rows"]) == 2
    count = "/papers.json?sql=" + urllib.parse.quote('select count(*) from papers where "tier" = :p0 ') + "&p0=oral"
    assert [sql for sql in sql_run_for(instance, count) if "papers" in sql][-1].startswith("select count(*) from papers")


TABLE_PAGES = [
    "/papers/papers", "/papers/papers?tier=oral&_size=3", "/papers/papers?_search=diffusion",
    "/papers/listings?_labels=on", "/papers/sources", "/papers/paper_overview", "/papers/papers?tier=nonesuch",
    "/papers/related_papers", "/papers/code_links?_sort=host",
]


QUERY_PAGES = [  # (path, whether it has rows)
    ("/papers/trending_on?snapshot_date=2025-11-12", True), ("/papers/trending_on", False),
    ("/papers/papers_by_tier?tier=oral", True), ("/papers/accepted_per_tier", True),
    ("/papers/paper_listings?paper_id=1", False),  # no paper has id 1
    ("/papers?sql=" + urllib.parse.quote("""select '<b>&"' as "a b", null as "", x'00ff' as bytes, 2.5 as "été" """), True),
    ("/papers?sql=" + urllib.parse.quote("select id from papers where 0"), False),
    ("/papers?sql=" + urllib.parse.quote("select nonesuch from papers"), False),
]


def pages_as_datasettes_own_template_writes_them(built_db, tmp_path, template):
    """(ours, stock): the plugin's pages, and the same with Datasette's own `template` in a
    --template-dir, which Datasette reads before any plugin's templates."""
    stock_templates = tmp_path / "templates"
    stock_templates.mkdir()
    shutil.copy(Path(datasette.__file__).parent / "templates" / template, stock_templates)
    return datasette_on(built_db), datasette_on(built_db, extra_args=["--template-dir", stock_templates])


def between_tags(page):
    """A page's HTML without the whitespace between tags or its query's time."""
    return re.sub(r">\s+<", "><", re.sub(r"took [\d.]+ms", "took ms", page.text))


@pytest.mark.parametrize("path", TABLE_PAGES)
def test_table_rows_are_written_as_datasettes_own_template_writes_them(built_db, tmp_path, path):
    # The plugin's _table.html writes the rows in one Python call (table_body_rows): a third of
    # a papers page's time went on Jinja passing each cell's pieces up through four templates.
    ours, stock = pages_as_datasettes_own_template_writes_them(built_db, tmp_path, "_table.html")
    mine, theirs = ours(path), stock(path)
    assert mine.status_code == theirs.status_code == 200, path
    assert between_tags(mine) == between_tags(theirs)
    assert "<tbody><tr><td class=" in between_tags(mine) or 'class="zero-results"' in mine.text


@pytest.mark.parametrize("path, has_rows", QUERY_PAGES)
def test_query_rows_are_written_as_datasettes_own_template_writes_them(built_db, tmp_path, path, has_rows):
    # The plugin's query.html writes the rows in one Python call (query_body_rows): trending_on's
    # 200 rows took 12.3 ms as HTML against 3.8 ms as JSON at a million papers.
    ours, stock = pages_as_datasettes_own_template_writes_them(built_db, tmp_path, "query.html")
    mine, theirs = ours(path), stock(path)
    assert mine.status_code == theirs.status_code, path
    assert between_tags(mine) == between_tags(theirs)
    assert ("<tbody><tr><td class=" in between_tags(mine)) == has_rows, path


LATER_PAGES = [  # (path, table, SQLite's order, its condition)
    ("/papers/papers.json?_size=20", "papers", "first_published_on desc, id", "1"),
    ("/papers/papers.json?_size=20&source_count=1", "papers", "first_published_on desc, id", "source_count = 1"),
    ("/papers/papers.json?_size=20&_sort=max_upvotes", "papers", "max_upvotes, id", "1"),
    ("/papers/papers.json?_size=8&_sort_desc=max_upvotes&tier=poster", "papers", "max_upvotes desc, id", "tier = 'poster'"),
    ("/papers/listings.json?_size=20&_sort_desc=published_on", "listings", "published_on desc, id", "1"),
    ("/papers/listings.json?_size=20&_sort=upvotes&matched_by=first", "listings", "upvotes, id", "matched_by = 'first'"),
]


@pytest.mark.parametrize("path, table, order, condition", LATER_PAGES)
def test_every_later_page_of_a_sort_starts_from_its_place_in_an_index(built_db, path, table, order, condition):
    # Datasette's condition for the rows after a token (`col < :v or col is null or (col = :v and
    # id > :k)`) gave SQLite no place to start: each page read the index from its top, past
    # every earlier page's rows (60 ms a page near the end of a million papers). Read in its
    # parts, each page starts where its rows are, and the pages are still the table's rows in order.
    instance = datasette_instance(built_db)
    get = lambda path: asyncio.run(instance.client.get(path))  # noqa: E731
    column = order.split()[0].rstrip(",")
    with sqlite3.connect(built_db) as conn:
        expected = [row[0] for row in conn.execute(f"select id from {table} where {condition} order by {order}")]
        assert len(expected) > 2 * int(urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["_size"][0])
        ids, page, pages = [], path, 0
        while page:
            statements = statements_run_for(instance, page)
            data = get(page).json()
            ids += [row[0] for row in data["rows"]]  # id first
            if "_next=" in page and not is_first_row_token(page):
                rows_sql = [(part, params) for sql, params in statements if sql.startswith("select id, ") and " order by " in sql
                            for part in sql.split(";\n")]  # its parts, run in turn in one thread
                assert rows_sql, (page, statements)
                for sql, params in rows_sql:
                    plan = [detail for _, _, _, detail in conn.execute(f"explain query plan {sql}", params)]
                    reads = [detail for detail in plan if detail.startswith((f"SCAN {table}", f"SEARCH {table}"))]
                    # each read starts at a place in an index of the sort column: SEARCH ... (column<?)
                    assert reads and all(re.search(rf"SEARCH .*\(.*\b{column}\b[^)]*\)", detail)
                                         for detail in reads), (page, sql, plan)
                pages += 1
            page = data["next_url"] and urllib.parse.urlsplit(data["next_url"])._replace(scheme="", netloc="").geturl()
    assert ids == expected and pages >= 2


def is_first_row_token(path):
    """Whether the page's `_next` is the plugin's token before the first row (its key the smallest)."""
    return urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).get("_next", [""])[0].endswith(str(-2**63))


def test_a_later_page_beside_a_visitors_where_reads_datasettes_condition(built_db):
    instance = datasette_instance(built_db)
    first = asyncio.run(instance.client.get("/papers/papers.json?_size=20&_where=source_count%3E0")).json()
    later = urllib.parse.urlsplit(first["next_url"])._replace(scheme="", netloc="").geturl()
    rows_sql = [sql for sql in sql_run_for(instance, later) if sql.startswith("select id, ") and " order by " in sql]
    assert len(rows_sql) == 1 and "first_published_on is null or" in rows_sql[0]


def test_the_parts_of_a_later_page_share_its_time_limit():
    # The parts run in one SQL thread under the one time limit of the query they replace: three
    # parts of about 0.4 s each stop at a 0.5 s limit, as one query of 1.2 s would. (Sized from the
    # fastest of three timings, so a busy moment while timing cannot make the parts too short: at
    # 0.2 s a part from one timing, a shared machine once let all three finish.)
    from datasette.database import QueryInterrupted

    from papers_db import plugin

    conn = sqlite3.connect(":memory:", check_same_thread=False)
    slow = "select n from (with recursive c(n) as (select 1 union all select n + 1 from c where n < :n) select max(n) as n from c)"
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        conn.execute(slow, {"n": 300_000}).fetchall()
        timings.append(time.perf_counter() - started)
    rows = max(1000, int(300_000 * 0.4 / min(timings)))  # about 0.4 s a part on this machine

    async def execute_fn(fn):
        return await asyncio.get_running_loop().run_in_executor(None, fn, conn)
    database = SimpleNamespace(ds=SimpleNamespace(sql_time_limit_ms=500), name="test", execute_fn=execute_fn)
    with pytest.raises(QueryInterrupted):
        asyncio.run(plugin.parts_in_turn(database, [slow] * 3, {"n": rows}, limit=3, custom_time_limit=None))
    assert len(asyncio.run(plugin.parts_in_turn(database, [slow] * 2, {"n": rows // 40}, limit=3, custom_time_limit=None)).rows) == 2


DECOY_CONDITIONS = [  # Datasette's conditions after a token, as a filter column's name
    "(max_upvotes > :p8 or (max_upvotes = :p8 and ((id > :p9))))",
    "(max_upvotes < :p8 or max_upvotes is null or (max_upvotes = :p8 and ((id > :p9))))",
    "(max_upvotes is not null or (max_upvotes is null and ((id > :p9))))",
]


@pytest.mark.parametrize("decoy", DECOY_CONDITIONS)
@pytest.mark.parametrize("sort", ["_sort=max_upvotes", "_sort_desc=max_upvotes", "_sort=first_published_on"])
def test_a_filter_named_like_a_next_page_condition_changes_no_page(built_db, decoy, sort):
    # Only the condition Datasette puts last, before the page's ORDER BY, is read in parts. A
    # filter on a column named like one (a string to SQLite, so always "not null") left the pages
    # as they were without it; it names no column, and is now refused before any SQL runs.
    served = datasette_on(built_db)
    plain = walk_pages(served, f"/papers/papers.json?_size=30&_col=id&tier=poster&{sort}")
    assert len(set(plain)) == len(plain) > 0
    decoyed = served(f"/papers/papers.json?_size=30&_col=id&tier=poster&{sort}&"
                     + urllib.parse.urlencode({f"{decoy}]__notnull": "1"}))
    assert decoyed.status_code == 400 and "papers has no column" in decoyed.json()["error"]


def test_a_small_page_without_a_next_page_condition_keeps_its_limit(built_db):
    # Read in key order, a page of a few sparse rows stops at them; a larger LIMIT would read on.
    instance = datasette_instance(built_db)
    statements = sql_run_for(instance, "/papers/papers.json?_sort=id&_size=1&title__contains=bayes")
    assert [sql for sql in statements if sql.startswith("select id, ")][0].endswith(" limit 2")


@pytest.mark.parametrize("filters", [
    "_search=model", "_where=listings_count>0&_size=100", "title__contains=a", "first_published_year__gte=2020",
    "tier__isnull=1&_sort=title", "_search=model&_sort_desc=max_upvotes", "title__contains=e&_sort=first_published_on",
    "_search=learning&_size=20&_sort=tier",
])
def test_every_page_of_a_filtered_table_counts_its_facets_over_all_its_rows(served, built_db, filters):
    # Datasette 0.65 counted a later page's facets over the rows after the page's cursor only.
    pages = [served(f"/papers/papers.json?{filters}&_size=20" if "_size" not in filters else f"/papers/papers.json?{filters}").json()]
    while pages[-1]["next"] and len(pages) < 4:
        following = urllib.parse.urlsplit(pages[-1]["next_url"])
        pages.append(served(f"{following.path}?{following.query}").json())
    assert len(pages) > 1
    rows = [row[page["columns"].index("id")] for page in pages for row in page["rows"]]
    with sqlite3.connect(built_db) as conn:
        where, params = sql_of_the_filters(conn, filters)
        expected = {column: sorted(conn.execute(f"select {column}, count(*) from papers {where} and {column} is not null "
                                                f"group by {column}", params).fetchall(), key=lambda row: (-row[1], row[0]))
                    for column in pages[0]["facet_results"]}
        assert pages[0]["filtered_table_rows_count"] == conn.execute(f"select count(*) from papers {where}", params).fetchone()[0]
    assert len(rows) == len(set(rows))
    for page in pages:
        counted = {name: [(value["value"], value["count"]) for value in facet["results"]]
                   for name, facet in page["facet_results"].items()}
        assert counted == {column: [tuple(row) for row in rows][:len(counted[column])] for column, rows in expected.items()}


def sql_of_the_filters(conn, filters):
    """The WHERE clause (and parameters) the test's table-page filters stand for, written by hand."""
    where, params = ["1 = 1"], {}
    for name, value in urllib.parse.parse_qsl(filters):
        if name == "_search":
            where.append("id in (select rowid from papers_fts where papers_fts match :q)")
            params["q"] = value
        elif name == "_where":
            where.append(value)
        elif name.endswith("__contains"):
            where.append(f"{name.split('__')[0]} like '%' || :c || '%'")
            params["c"] = value
        elif name.endswith("__gte"):
            where.append(f"{name.split('__')[0]} >= :g")
            params["g"] = int(value)
        elif name.endswith("__isnull"):
            where.append(f"{name.split('__')[0]} is null")
    return "where " + " and ".join(where), params


def test_several_workers_write_nothing_in_the_users_home(built_db, tmp_path):
    # gunicorn 25.1 and later put a control socket in ~/.gunicorn/ (or $XDG_RUNTIME_DIR), one
    # path shared by every server of the user; with an unwritable home each start logged an error.
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    log = tmp_path / "log"
    with serving(serve_command(built_db, port, "--workers", 2), log, port,
                 env={"HOME": str(home), "XDG_RUNTIME_DIR": ""}) as base:
        assert request(base + "/papers/papers.json?_size=1")[0] == 200
        assert list(home.iterdir()) == []
    assert "control" not in log.read_text().lower()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_port_in_use_says_so_in_one_line(built_db, workers):
    # gunicorn retried for 5 s, logging an error each time, then exited 1; `datasette serve`
    # printed uvicorn's error and exited 3.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = run_cli("serve", "--db", built_db, "--port", port, "--workers", workers)
    assert time.monotonic() - started < 10
    assert result.returncode == 2
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: in use by another program (another server?): "\
                            "stop it, or choose another port with --port\n"
    assert result.stdout == ""


@pytest.mark.parametrize("options", [["--port", "70000"], ["--port", "0"], ["--host", "no-such-host.invalid"]])
def test_serve_refuses_an_address_it_cannot_listen_on(built_db, options):
    result = run_cli("serve", "--db", built_db, *options)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_several_workers_serve_on_an_ipv6_address(built_db, tmp_path):
    # gunicorn read the bind "::1:8001" as host "::1:8001" and no port, and stopped.
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = free_port()
    log = tmp_path / "log"
    with open(log, "w") as output:
        process = subprocess.Popen(serve_command(built_db, port, "--host", "::1", "--workers", 2), stdout=output,
                                   stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    status, _ = request(f"http://[::1]:{port}/papers/papers.json?_size=1")
                    break
                except OSError:
                    assert process.poll() is None, log.read_text()
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            assert status == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert f"at http://[::1]:{port}/ with 2 worker(s)" in log.read_text()


def wait_until_the_server_process_starts(process, log):
    """Until `serve` has become the server process, which runs Python with -P (the command does not)."""
    deadline = time.monotonic() + 30
    while b"\0-P\0" not in Path(f"/proc/{process.pid}/cmdline").read_bytes():
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.005)


@pytest.mark.parametrize("moment", ["serving", "starting"])
@pytest.mark.parametrize(("workers", "ending", "status"), [
    (2, "SIGINT", 0), (2, "SIGTERM", 0), (2, "SIGQUIT", 0), (2, "SIGHUP", 0), (1, "SIGINT", 0),
    # ended by the signal, as `datasette serve` ends: a shell shows 143, 129; SIGQUIT without a core dump
    (1, "SIGTERM", -signal.SIGTERM), (1, "SIGHUP", -signal.SIGHUP), (1, "SIGQUIT", 128 + signal.SIGQUIT)])
def test_serve_sent_a_signal_alone_stops_at_once(built_db, tmp_path, workers, ending, status, moment):
    # Sent to the server alone (`kill -INT`, a supervisor), not to its terminal's process group:
    # with two workers, gunicorn passed SIGINT and SIGQUIT on as SIGQUIT, which uvicorn-worker's
    # handler ignored, and the server stopped only 30 s later, killing each worker. A terminal's
    # hang-up (SIGHUP: a closed ssh session) made gunicorn reload its workers and serve on.
    # Sent as soon as `serve` has become the server process, while it loads Datasette or gunicorn:
    # a Ctrl-C there was a traceback of the import under way, SIGQUIT could dump core, and SIGTERM,
    # SIGQUIT and SIGHUP ended two workers' server with 143, 131 and 129 (found by review).
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as output:
        process = subprocess.Popen(serve_command(built_db, port, "--workers", workers), cwd=PROJECT, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            if moment == "serving":
                wait_until_serving(process, f"http://127.0.0.1:{port}")
            else:
                wait_until_the_server_process_starts(process, log)
            process.send_signal(getattr(signal, ending))
            assert process.wait(timeout=10) == status
        finally:
            with contextlib.suppress(ProcessLookupError):  # its workers too, were it to fail
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    shown = log.read_text()
    assert "SIGKILL" not in shown and "Traceback" not in shown and "Serving" in shown, shown


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_refuses_a_file_damaged_past_its_first_pages_in_one_line(built_db, tmp_path, workers):
    # With no inspect file, Datasette counts every table as it starts: a file damaged past the
    # pages the check reads printed 64 lines of traceback (exit status 3), and with two workers
    # every request was a 500 (found by review). Every page of the papers table and its indexes
    # overwritten, as a disk's fault would leave them.
    damaged = tmp_path / "site" / "papers.db"
    damaged.parent.mkdir()
    shutil.copy(built_db, damaged)
    with sqlite3.connect(damaged) as conn:
        page_size, = conn.execute("PRAGMA page_size").fetchone()
        pages = [page for (page,) in conn.execute(
            "SELECT pageno FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'papers') "
            "AND pageno > 1")]
    conn.close()
    assert pages
    with open(damaged, "r+b") as file:
        for page in pages:
            file.seek((page - 1) * page_size)
            file.write(b"\xff" * page_size)
    process = subprocess.Popen(serve_command(damaged, free_port(), "--workers", workers), cwd=PROJECT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=60)  # served on, it would never end
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert (process.returncode, stderr) == (
        1, f"error: {damaged}: damaged SQLite database (database disk image is malformed); rebuild it with `papers-db build`\n")


def test_one_worker_stops_within_its_grace_or_at_a_second_signal(monkeypatch):
    # uvicorn waits for every answer under way once stopped, and a download read slowly (curl
    # --limit-rate 20k) held the server for as long as it lasted, a second Ctrl-C too, since
    # uvicorn then still waits for the connection to close (found by review). Checked on uvicorn's
    # own Server: a slow download long enough to outlast the kernel's buffers needs a larger
    # database than the bundled one.
    from uvicorn import Config, Server

    from papers_db import command

    ended = []
    monkeypatch.setattr(command, "_end_now", ended.append)
    monkeypatch.setattr(Server, "handle_exit", Server.handle_exit)  # put back after the test
    command._stopping_within(0.5)
    stopped_once = Server(Config(app=None))
    stopped_once.handle_exit(signal.SIGINT, None)
    assert stopped_once.should_exit and ended == []  # the answers under way are waited for ...
    time.sleep(1.5)
    assert ended == [signal.SIGINT]  # ... for the grace
    ended.clear()
    stopped_twice = Server(Config(app=None))
    stopped_twice.handle_exit(signal.SIGTERM, None)
    stopped_twice.handle_exit(signal.SIGTERM, None)
    assert ended == [signal.SIGTERM]  # at once


def test_serve_passes_over_an_inspect_file_that_is_no_regular_file(built_db, tmp_path):
    # A FIFO named papers-inspect.json beside the database made `serve` wait for a writer forever,
    # printing nothing (found by review).
    served = tmp_path / "site" / "papers.db"
    served.parent.mkdir()
    shutil.copy(built_db, served)
    os.mkfifo(served.parent / "papers-inspect.json")
    port = free_port()
    with open(tmp_path / "serve.log", "w") as output:
        process = subprocess.Popen(serve_command(served, port, "--workers", 1), cwd=PROJECT, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_serving(process, f"http://127.0.0.1:{port}")
            status, _ = request(f"http://127.0.0.1:{port}/papers/papers.json?_size=1")
            assert status == 200
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert "--inspect-file" not in (tmp_path / "serve.log").read_text()


@contextlib.contextmanager
def serving_in_its_own_group(database, tmp_path, workers=2, ignoring=()):
    """`serve --workers N` in a process group of its own, as a terminal starts it: (the process,
    its base URL) once it answers; the whole group is ended afterwards. `ignoring`: signals it is
    started with ignored, as `nohup` ignores SIGHUP."""
    port = free_port()

    def ignore():
        for number in ignoring:
            signal.signal(number, signal.SIG_IGN)

    with open(tmp_path / "serve.log", "w") as output:
        process = subprocess.Popen(serve_command(database, port, "--workers", workers), cwd=PROJECT, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=ignore)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(process, base)
            yield process, base
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_worker_started_again_after_the_file_was_replaced_does_not_serve_it(built_db, tmp_path):
    # Each worker took the file it found as the one served: one that gunicorn started again (after
    # a crash, the out-of-memory killer) once the file was replaced served the new file under the
    # old one's counts, while the other answered 503 (found by review).
    served = tmp_path / "site" / "papers.db"
    served.parent.mkdir()
    shutil.copy(built_db, served)
    with serving_in_its_own_group(served, tmp_path) as (process, base):
        rebuilt = tmp_path / "rebuilt.db"
        shutil.copy(built_db, rebuilt)
        os.replace(rebuilt, served)
        first = worker_pids(process.pid)
        os.kill(min(first), signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(worker_pids(process.pid) - first) < 1 or len(worker_pids(process.pid)) < 2:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)
        statuses = set()
        for _ in range(40):  # each connection closed, so both workers answer
            request = urllib.request.Request(f"{base}/papers.json?sql=select+count(*)+from+papers",
                                             headers={"Connection": "close"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    statuses.add(answer.status)
            except urllib.error.HTTPError as error:
                statuses.add(error.code)
        assert statuses == {503}


def served_status(base, path):
    request = urllib.request.Request(f"{base}{path}", headers={"Connection": "close"})  # each connection closed: any worker
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_overwritten_in_place_is_refused_and_ends_no_process(built_db, tmp_path, workers):
    # `cp new.db papers.db` writes over the served file in place: cut to nothing, then written.
    # Every later request is refused before it runs any SQL on the connections opened on the old
    # file. (Read through a memory map, such a file ended the process that read it: SIGBUS.)
    served = tmp_path / "site" / "papers.db"
    served.parent.mkdir()
    shutil.copy(built_db, served)
    pages = ["/papers/papers", "/papers/search?q=diffusion", "/papers/listings?source_id=2",
             "/papers/trending_on?snapshot_date=2025-11-12", "/papers.json?sql=select+count(*)+from+papers"]
    with serving_in_its_own_group(served, tmp_path, workers=workers) as (process, base):
        for _ in range(3):
            assert [served_status(base, path) for path in pages] == [200] * len(pages)
        servers = worker_pids(process.pid) if workers > 1 else {process.pid}
        assert len(servers) == workers
        other = tmp_path / "other.db"
        with sqlite3.connect(other) as conn:
            conn.execute("create table papers (id integer primary key)")
        shutil.copyfile(other, served)  # opened for writing, cut to nothing, written: as `cp` does
        assert served.stat().st_size < built_db.stat().st_size // 10
        after = [served_status(base, path) for _ in range(4) for path in pages]
        assert after == [503] * len(after)
        assert process.poll() is None and (worker_pids(process.pid) if workers > 1 else {process.pid}) == servers


def test_a_hang_up_to_the_whole_group_lets_the_answers_under_way_end(built_db, tmp_path):
    # A closed terminal sends SIGHUP to every process of its group: the workers died at once and
    # a visitor's answer was cut (found by review). Here a client takes a large answer slowly.
    with serving_in_its_own_group(built_db, tmp_path) as (process, base):
        sql = ("select a.abstract, b.abstract, a.plain_abstract, b.plain_abstract from papers a, papers b "
               "limit 1000")  # max_returned_rows: about 6 MB, more than the sockets hold
        connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=60)
        connection.request("GET", "/papers.csv?" + urllib.parse.urlencode({"sql": sql}))
        answer = connection.getresponse()
        body = answer.read(64 * 1024)
        os.killpg(process.pid, signal.SIGHUP)
        time.sleep(0.5)
        while chunk := answer.read(256 * 1024):
            body += chunk
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert answer.status == 200 and len(rows) == 1 + 1000
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("ignored", ["SIGHUP", "SIGINT", "SIGQUIT"])
def test_a_server_started_with_a_signal_ignored_serves_on_after_it(built_db, tmp_path, workers, ignored):
    # `nohup papers-db serve &` over ssh: the session's end stopped it, with or without workers;
    # and `papers-db serve &` in a script, which a shell starts with SIGINT ignored, stopped at a
    # Ctrl-C meant for the script, as did SIGQUIT with workers (both found by review). Started
    # with a signal ignored, every process of it keeps it ignored.
    # The same workers, too: each one's uvicorn had its own handlers, so the workers stopped and
    # gunicorn started others, which served (review).
    number = getattr(signal, ignored)
    with serving_in_its_own_group(built_db, tmp_path, workers, ignoring=[number]) as (process, base):
        serving_workers = worker_pids(process.pid)
        assert len(serving_workers) == (2 if workers == 2 else 0)
        os.killpg(process.pid, number)
        time.sleep(1.5)
        assert process.poll() is None
        assert served_status(base, "/-/versions.json") == 200
        assert worker_pids(process.pid) == serving_workers
        process.terminate()
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)


def test_the_workers_end_when_the_server_is_killed(built_db, tmp_path):
    # Killed (SIGKILL, the out-of-memory killer), gunicorn's process left its uvicorn workers
    # serving on, holding the port, with no parent (found when a test's server was killed).
    with serving_in_its_own_group(built_db, tmp_path) as (process, _):
        workers = worker_pids(process.pid)
        assert len(workers) == 2
        process.kill()
        process.wait()
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
                  for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived the server"
            time.sleep(0.2)


def test_one_worker_does_not_take_the_file_as_an_inherited_variable_says(built_db, tmp_path):
    # The file's identity is for `serve --workers` to hand its workers: inherited from the
    # environment by one worker, a stale one made every answer a 503 (found by review).
    from papers_db.serve import SERVED_FILES_VARIABLE

    port = free_port()
    stale = json.dumps({str(built_db): [0, 0, 0, 0]})
    with serving(serve_command(built_db, port, "--workers", 1), tmp_path / "serve.log", port,
                 env={SERVED_FILES_VARIABLE: stale}) as base:
        with urllib.request.urlopen(f"{base}/papers.json", timeout=30) as answer:
            assert answer.status == 200


def test_a_signal_python_dropped_as_the_command_loaded_is_no_server_started():
    # An Interrupted raised where Python drops it (a finalizer, importlib's module-lock callback)
    # let `serve` go on to become the server, which then ran as if no Ctrl-C had come.
    script = """
import signal
from papers_db.errors import Interrupted, signals_interrupt
from papers_db.serve import run_server

class SignalledAsItIsFreed:
    def __del__(self):
        signal.raise_signal(signal.SIGINT)

with signals_interrupt():
    SignalledAsItIsFreed()
    try:
        run_server(["/bin/echo", "became the server"], {})
    except Interrupted as ended:
        print("ended by", ended)
"""
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "ended by SIGINT\n", "")


def server_processes(port):
    """The environment of each process serving on `port` (the server, and gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"start_server" in (entry / "cmdline").read_bytes() and (
                    str(port).encode() in (entry / "cmdline").read_bytes() or entry.name in children_of_servers(port)):
                found.append(dict(line.split("=", 1) for line in (entry / "environ").read_text().split("\0") if "=" in line))
        except OSError:  # ended meanwhile
            continue
    return found


def children_of_servers(port):
    """Pids of the processes whose parent serves on `port`: gunicorn's workers name no port."""
    children = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(port).encode() in (entry / "cmdline").read_bytes():
                children |= set((entry / "task" / entry.name / "children").read_text().split())
        except OSError:
            continue
    return children


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="no /proc here")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_server_keeps_mallocs_memory_in_one_pool_unless_told_otherwise(tmp_path, built_db, workers):
    # Each SQL thread's pool kept what visitors' queries that ran into SQLite's heap limit freed: a
    # one-worker server grew to 739 MB and kept 640 MB (found by review); with one pool, 349 and 344.
    for told, expected in ((None, os.environ.get("MALLOC_ARENA_MAX", "1")), ("4", "4")):
        port = free_port()
        with serving(serve_command(built_db, port, "--workers", workers), tmp_path / "serve.log", port,
                     env={"MALLOC_ARENA_MAX": told} if told else None):
            environments = server_processes(port)
        assert len(environments) == (1 if workers == "1" else 3), environments
        assert {environment.get("MALLOC_ARENA_MAX") for environment in environments} == {expected}


def test_a_filter_on_no_column_or_by_no_operation_is_refused_not_an_empty_page(built_db):
    # SQLite reads a double-quoted name it does not know as text: `?year=2023` on papers compared
    # 'year' with '2023' and the page said 0 rows (found by review); Datasette left an unknown
    # operation out, and every row was shown as if filtered.
    instance = datasette_instance(built_db)
    asyncio.run(instance.invoke_startup())  # as the server does before its first request

    def served(path):
        return asyncio.run(instance.client.get(path))
    with sqlite3.connect(built_db) as conn:
        names = [name for (name,) in conn.execute("select name from sqlite_master where type in ('table', 'view') "
                                                  "and name not like 'sqlite_%' and name not like 'papers_fts%'")]
        columns = {name: [column for _, column, *_ in conn.execute(f"pragma table_xinfo([{name}])")] for name in names}
    for name, its_columns in columns.items():
        for path in (f"/papers/{name}.json?no_such_column=1", f"/papers/{name}?no_such_column__gt=1"):
            response = served(path)
            assert response.status_code == 400 and "has no column no_such_column" in response.text, path
        response = served(f"/papers/{name}.json?{its_columns[0]}__notnull=1&_size=1")
        assert response.status_code == 200, (name, response.text[:300])
    response = served("/papers/papers.json?title__has=x")
    assert response.status_code == 400 and "has is no filter" in response.json()["error"]
    assert served("/papers/papers.json?first_published_year=2023&tier__isnull=1&_size=1").status_code == 200
    # Names as SQLite reads them (found by review of the change): in any case, an FTS5 table's
    # hidden columns, rowid and its aliases where the table has one; not on a WITHOUT ROWID table
    # or a view, where SQLite reads "rowid" as text (related_papers?rowid__gt=1 gave every row).
    with sqlite3.connect(built_db) as conn:
        diffusion = conn.execute("select count(*) from papers where title like '%diffusion%'").fetchone()[0]
        fts_rows = conn.execute("select count(*) from papers_fts where papers_fts match 'diffusion'").fetchone()[0]
    assert diffusion > 0 and fts_rows > diffusion
    assert served("/papers/papers.json?TITLE__contains=diffusion&_size=max").json()["filtered_table_rows_count"] == diffusion
    assert served("/papers/papers_fts.json?papers_fts=diffusion&_size=max").json()["filtered_table_rows_count"] == fts_rows
    assert [row[0] for row in served("/papers/listings.json?oid=3&_shape=arrays").json()["rows"]] == [3]
    for path in ("/papers/related_papers.json?rowid__gt=1", "/papers/accepted_papers.json?rowid=1"):
        response = served(path)
        assert response.status_code == 400 and "has no column rowid" in response.json()["error"], path


@pytest.mark.parametrize(("path", "location"), [
    ("/papers/papers.jsono", "/papers/papers.json?_shape=objects"),
    ("/papers/papers.%FF", "/papers/papers~2E~FF"),
    ("/papers/listings.jsono?_sort=upvotes", "/papers/listings.json?_sort=upvotes&_shape=objects"),
])
def test_a_redirect_from_a_sorted_table_page_carries_no_token_of_the_plugins(built_db, path, location):
    # The first row's token the plugin gives a sorted page went along into Datasette's redirects:
    # /papers/papers.jsono led to .json?_next=2025-10-29,-9223372036854775808&_shape=objects (found by review).
    instance = datasette_instance(built_db)
    asyncio.run(instance.invoke_startup())
    response = asyncio.run(instance.client.get(path))
    assert (response.status_code, response.headers["location"]) == (302, location)


@pytest.mark.parametrize("extension", [".tsv", ".JSON", ".xyz"])
def test_a_sorted_page_with_an_extension_no_renderer_writes_is_no_page(built_db, extension):
    # Datasette answered /papers/papers.tsv with the HTML page, whose pages, without the plugin's
    # first-row token, repeated some papers and never showed others (259 rows, 231 distinct of 319,
    # by _sort=tier; found by review): such a format is now no page at all.
    instance = datasette_instance(built_db)
    asyncio.run(instance.invoke_startup())
    response = asyncio.run(instance.client.get(f"/papers/papers{extension}?_sort=tier"))
    assert response.status_code == 404 and f"No such format: {extension}." in response.text
    sorted_page = asyncio.run(instance.client.get("/papers/papers?_sort=tier"))
    assert sorted_page.status_code == 200 and re.findall(r'href="/papers/papers/(\d+)"', sorted_page.text) != []


def test_filter_names_are_lowered_as_sqlite_lowers_them_a_to_z_only(tmp_path):
    # str.casefold() let "STRASSE" and "äpfel" through, which SQLite reads as text (found by review).
    from papers_db.plugin import schema_shapes

    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute('create table t ("Äpfel" integer, "straße" integer, "Plain" integer)')
    conn.execute("insert into t values (1, 2, 3)")
    names = schema_shapes(conn, 1000)["t"].filterable
    for name in ("Äpfel", "äpfel", "ÄPFEL", "straße", "STRASSE", "STRAßE", "plain", "PLAIN", "rowid"):
        read_as_column = conn.execute(f'select "{name}" from t').fetchone()[0] != name  # SQLite's own reading
        assert (name.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")) in names) == read_as_column, name


def test_a_link_to_a_paper_with_no_title_says_so_on_every_table_page(built_db):
    # Datasette wrote the label of a key to an untitled paper as "None": listings, related papers
    # and aliases of the bundled papers with no title (a crawl of every link the site prints).
    from papers_db.plugin import PAPER_KEY_COLUMNS

    with sqlite3.connect(built_db) as conn:
        references = [(table, column) for (table,) in conn.execute("select name from sqlite_master where type = 'table'")
                      for _, _, other, column, *_ in conn.execute(f"pragma foreign_key_list([{table}])") if other == "papers"]
        untitled = {(table, column): conn.execute(
            f"select [{column}] from [{table}] where [{column}] in (select id from papers where title is null) limit 1").fetchone()
            for table, column in references}
    assert {column for _, column in references} == PAPER_KEY_COLUMNS
    shown = {reference: row[0] for reference, row in untitled.items() if row is not None}
    assert {("listings", "paper_id"), ("related_papers", "paper_id"), ("related_papers", "related_paper_id")} <= set(shown)
    instance = datasette_instance(built_db)
    asyncio.run(instance.invoke_startup())
    for (table, column), paper_id in shown.items():
        page = asyncio.run(instance.client.get(f"/papers/{table}?{column}={paper_id}"))
        assert page.status_code == 200 and ">None<" not in page.text, table
        assert f'<a href="/papers/papers/{paper_id}">(no title)</a>&nbsp;<em>{paper_id}</em>' in page.text, (table, column)
