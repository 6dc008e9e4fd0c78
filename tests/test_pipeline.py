"""The whole build on the five vendored sources.

Expected figures were derived by reading the raw files, not from the parser:

- 000: 15 lines = 1 label line ("model") + 7 title/abstract pairs, no decision lines.
- 001: 229 lines, 33 of them decisions (`grep -cE '^Accept'`), 4 abstracts standing alone
  (lines 81, 84, 145, 203): 229 = 2 * records - 4 + 33, so 100 records.
- Hugging Face pages: one entry per abstract line; 002 has 112 (111 author/date blocks: 110
  "• N authors" and 1 organisation line, "adobe Adobe"), 003 has 54 (51 blocks), 004 has 63 (63).
- 319 distinct abstracts over the 336 records; the repeats are the same paper on several pages.
"""

import hashlib
import os
import random
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import SOURCES, cli_command, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papers_db import metadata, resources
from papers_db.errors import PapersDbError
from papers_db.metadata import read_metadata
from papers_db.pipeline import build_database, check_sources
from papers_db.processes import helper_processes
from papers_db.sources import find_sources, read_sources

FILES = {
    "000_171567d686ec3e55.txt": 7,
    "001_d90573da5af4b331.txt": 100,
    "002_d49063e7f5512c84.txt": 112,
    "003_6399432fb99c7d91.txt": 54,
    "004_ff05541bf05f7b7a.txt": 63,
}
DATE_LINE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}(, \d{4})?( \d+)?$")


def query(db, sql, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def source_lines(name):
    return (SOURCES / name).read_text(encoding="utf-8").split("\n")


def test_vendored_sources_are_the_shared_files_byte_for_byte():
    shared = SOURCES.parent.parent / "shared" / "sources"
    if not shared.is_dir():
        pytest.skip("no ../shared/sources beside this checkout")
    for name in FILES:
        assert (SOURCES / name).read_bytes() == (shared / name).read_bytes(), name


def test_every_record_of_every_source_is_a_listing(built_db):
    got = dict(query(built_db, "select file_name, count(listings.id) from sources "
                               "left join listings on listings.source_id = sources.id group by file_name"))
    assert got == FILES
    assert query(built_db, "select count(*) from listings") == [(336,)]


def test_every_distinct_abstract_is_one_paper(built_db):
    # Independent of the parser: on these files every abstract line is over 200 characters and
    # no title is; the set of such lines is the set of papers.
    abstracts = {line for name in FILES for line in source_lines(name) if len(line) > 200}
    assert len(abstracts) == 319
    assert {a for (a,) in query(built_db, "select abstract from papers")} == abstracts
    assert query(built_db, "select count(*), count(distinct abstract) from papers") == [(319, 319)]


def test_records_without_title_are_papers_with_null_title(built_db):
    got = query(built_db, "select listings.line from papers join listings on listings.paper_id = papers.id "
                          "join sources on sources.id = listings.source_id "
                          "where papers.title is null order by listings.line")
    assert got == [(81,), (84,), (145,), (203,)]


def test_each_listing_points_at_its_own_lines(built_db):
    """Provenance: the line a listing names holds its paper's title (or abstract, if untitled)."""
    rows = query(built_db, "select sources.file_name, listings.line, listings.last_line, papers.title, papers.abstract "
                           "from listings join sources on sources.id = listings.source_id "
                           "join papers on papers.id = listings.paper_id")
    for name, line, last_line, title, abstract in rows:
        lines = source_lines(name)
        assert lines[line - 1] == (title if lines[line - 1] != abstract else abstract), (name, line)
        assert abstract in lines[line - 1 : last_line], (name, line)


def test_decisions_normalised_with_raw_label_kept(built_db):
    labels = {}
    for line in source_lines("001_d90573da5af4b331.txt"):
        if line.startswith("Accept"):
            labels[line] = labels.get(line, 0) + 1
    got = dict(query(built_db, "select decisions.label, count(*) from listings "
                               "join decisions on decisions.id = listings.decision_id group by 1"))
    assert got == labels and sum(labels.values()) == 33
    tiers = dict(query(built_db, "select tier, count(*) from accepted_papers group by tier"))
    # oral: 1 Oral + 2 Talk + 1 notable-top-5%; spotlight: 2 Spotlight + 2 notable-top-25%;
    # poster: 18 "Accept (Poster)" + 7 "Accept: poster".
    assert tiers == {"oral": 4, "spotlight": 4, "poster": 25}
    # No decision line means unknown, never rejected.
    assert query(built_db, "select count(*) from listings where decision_id is null") == [(336 - 33,)]


def test_hugging_face_dates_upvotes_and_authors(built_db):
    hf = [name for name in FILES if name[:3] in ("002", "003", "004")]
    entry_dates = [line for name in hf for line in source_lines(name)[11:] if DATE_LINE.match(line)]
    assert len(entry_dates) == 111 + 51 + 63
    with_upvotes = [d for d in entry_dates if re.search(r"(, \d{4} \d+|^\w+ \d+ \d+)$", d)]
    year_less = [d for d in entry_dates if not re.search(r", \d{4}", d)]
    assert query(built_db, "select count(*) from listings where date_text is not null") == [(len(entry_dates),)]
    assert query(built_db, "select count(*), sum(upvotes) from listings where upvotes is not null") == [
        (len(with_upvotes), sum(int(d.rsplit(" ", 1)[1]) for d in with_upvotes))
    ]
    assert query(built_db, "select count(*) from listings where published_year_inferred = 1") == [(len(year_less),)]
    # Page-years: 002 saved 2025-11-12, "Feb 1 2" is 1 February 2025 with 2 upvotes.
    assert query(built_db, "select published_on, published_year_inferred, upvotes from listings "
                           "where source_id = 3 and date_text = 'Feb 1 2'") == [("2025-02-01", 1, 2)]
    assert query(built_db, "select published_on, published_year_inferred from listings "
                           "where date_text = 'Dec 23, 2024'") == [("2024-12-23", 0)]
    # 110 + 51 + 63 "• N authors" lines, one organisation line.
    assert query(built_db, "select count(*) from listings where authors_count is not null") == [(224,)]
    assert query(built_db, "select o.handle, o.name, l.line from listings l join organizations o "
                           "on o.id = l.organization_id") == [("adobe", "Adobe", 497)]  # title at 497, org line at 501
    # Entries with no author/date block: 1 in 002, 3 in 003.
    assert query(built_db, "select count(*) from listings join sources on sources.id = listings.source_id "
                           "where format = 'hf_daily_papers' and date_text is null") == [(4,)]


def test_cross_listed_papers(built_db):
    # 336 listings of 319 papers: 17 extra listings, over 15 papers (two are on three pages).
    assert query(built_db, "select count(*), sum(listings) from cross_listed") == [(15, 32)]


def test_paper_ids_are_stable_and_derived_from_the_abstract(built_db):
    abstract = source_lines("001_d90573da5af4b331.txt")[1]
    squashed = " ".join(abstract.casefold().split())
    expected = int.from_bytes(hashlib.sha256(("abstract:" + squashed).encode()).digest()[:8], "big") >> 11
    assert query(built_db, "select id from papers where abstract = ?", abstract) == [(expected,)]
    assert query(built_db, "select max(id) < 9007199254740992 from papers") == [(1,)]


def test_views_answer(built_db):
    overview = query(built_db, "select count(*), sum(listings) from paper_overview")
    assert overview == [(319, 336)]
    summary = query(built_db, "select file_name, records, parse_issues from source_summary order by file_name")
    assert summary == [(name, count, 0) for name, count in FILES.items()]
    # A table counted by the build, so that its page never recounts every paper.
    assert query(built_db, "select type from sqlite_master where name = 'papers_per_month'") == [("table",)]
    months = query(built_db, "select sum(papers) from papers_per_month")
    assert months == query(built_db, "select count(distinct paper_id) from listings where published_on is not null")
    top = query(built_db, "select upvotes, snapshot_date from trending order by upvotes desc limit 1")
    assert top == [(4, "2025-11-12")]  # "Sep 10 4" on the 12 November page is the highest count


def test_full_text_search_uses_porter_stemming(built_db):
    stems = query(built_db, "select count(*) from papers_fts where papers_fts match 'diffuse'")
    words = query(built_db, "select count(*) from papers where title like '%diffusion%' or abstract like '%diffusion%'")
    assert stems[0][0] >= words[0][0] > 0


def test_check_accounts_for_every_line():
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert "Line accounting" in result.stdout and "unaccounted:" not in result.stdout


def test_readme_example_queries_run(built_db):
    readme = (SOURCES.parent / "README.md").read_text()
    # The examples before the plain-SQL search, which test_serve runs against the search query.
    examples = re.findall(r"```sql\n(.*?)```", readme.split("### Search in plain SQL")[0], re.S)
    assert len(examples) == 4
    some_paper = query(built_db, "select paper_id from cross_listed limit 1")[0][0]
    results = []
    with sqlite3.connect(built_db) as conn:
        for sql in examples:
            results.append(conn.execute(sql, {"paper_id": some_paper}).fetchall())
    accepted_diffusion, trending_november, provenance, per_month = results
    titles = {title for _, title, _, _ in accepted_diffusion}
    assert "Pseudo Numerical Methods for Diffusion Models on Manifolds" in titles  # 001 line 25, a poster
    assert all(label.startswith("Accept") for _, _, _, label in accepted_diffusion)
    # Each paper once, under its own tier (a listing's decision listed it once per listing).
    assert len({paper for paper, _, _, _ in accepted_diffusion}) == len(accepted_diffusion)
    tiers = dict(query(built_db, "select id, tier from papers"))
    assert all(tier == tiers[paper] for paper, _, tier, _ in accepted_diffusion)
    order = {"oral": 1, "spotlight": 2, "poster": 3}
    assert [order[tier] for _, _, tier, _ in accepted_diffusion] == sorted(order[tier] for _, _, tier, _ in accepted_diffusion)
    assert trending_november and all(row[0].startswith("2025-11-") for row in trending_november)
    # In one order in every tool: most upvoted first, ties by date and title, none left over
    # (most rows share 1-2 upvotes, and their order by upvotes alone differed between tools).
    keys = [(-upvotes, day, title) for day, upvotes, title, _ in trending_november]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert len(provenance) >= 2
    assert per_month and all(month.startswith("2024-") for month, _ in per_month)


def test_code_links_are_found_in_every_abstract_that_has_one(built_db):
    hosts = ("github.com", "gitlab.com", "huggingface.co")
    with_links = {a for (a,) in query(built_db, "select abstract from papers")
                  if any(host in a.lower() for host in hosts)}
    linked = {a for (a,) in query(built_db, "select distinct papers.abstract from code_links "
                                            "join papers on papers.id = code_links.paper_id")}
    assert linked == with_links and len(linked) > 20
    # 002's first entry ends "...available at https://github.com/xiaozhen228/Bayes-PFL."
    assert ("https://github.com/xiaozhen228/Bayes-PFL", "github.com") in query(
        built_db, "select url, host from code_links")


def test_short_names_and_plain_text_abstracts(built_db):
    names = dict(query(built_db, "select title, short_name from papers"))
    assert names["SAMRS: Scaling-up Remote Sensing Segmentation Dataset with Segment Anything Model"] == "SAMRS"
    assert names["VIMA: General Robot Manipulation with Multimodal Prompts"] == "VIMA"
    assert names["Cramming: Training a language model on a single GPU in one day"] is None
    raw, plain = query(built_db, "select abstract, abstract_text from papers "
                                 "where title like 'Pruning Neural Networks via Coresets%'")[0]
    assert "L\\{o}wner" in raw and "$62\\%$" in raw  # the raw abstract is kept unchanged
    assert "Lowner ellipsoid" in plain and "62% compression" in plain and "\\" not in plain
    assert query(built_db, "select count(*) from papers where abstract_text like '%\\%'") == [(0,)]
    # Search reads the plain text: "Lowner" is one word there.
    hits = query(built_db, "select papers.title from papers_fts join papers on papers.id = papers_fts.rowid "
                           "where papers_fts match 'lowner'")
    assert hits == [("Pruning Neural Networks via Coresets and Convex Geometry: Towards No Assumptions",)]
    # Markup that lost its backslashes keeps its words apart: 004's "mathcal{O}(mathcal{C_Phi/m}"
    # and "min{n_1,n_2}" were "mathcalO(mathcalC_Phi/m" and "minn_1,n_2", found by neither word.
    for word in ("mathcal", "min"):
        written = query(built_db, f"select id from papers where ' ' || abstract glob '*[^a-z\\]{word}{{*' order by id")
        found = query(built_db, f"select rowid from papers_fts where papers_fts match '{word}' order by rowid")
        assert len(written) >= 2 and set(written) <= set(found), word
    # ... and the plain text has no braces left where markup lost its backslashes, even with no
    # other markup beside it: 002's "mathcal{O}(min{S, T/(n T)})" and "R^3 {times} S^2" kept theirs.
    assert query(built_db, "select count(*) from papers where abstract glob '*[a-z]{*' and abstract_text is null") == [(0,)]
    assert query(built_db, "select count(*) from papers where abstract like '%{times}%'") == [(1,)]
    assert query(built_db, "select count(*) from papers where abstract_text like '%R^3 × S^2%'") == [(1,)]


def test_reading_ahead_in_a_second_process_gives_the_same_readings_in_order(tmp_path):
    # Large corpora are parsed in a second process; the readings must not change, nor their order,
    # and a byte-identical copy must still be reported rather than read.
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    first = sorted(folder.glob("*.txt"))[0]
    shutil.copy(first, folder / f"zz_copy_of_{first.name}")

    def readings(pool):
        return [(r.source.path.name, r.size, r.duplicate_of and r.duplicate_of.path.name, r.reading)
                for r in read_sources(find_sources([folder]), pool=pool)]

    alone = readings(None)
    with helper_processes(1) as pool:
        assert readings(pool) == alone
    assert len(alone) == len(list(folder.glob("*.txt"))) and alone[-1][2] == first.name
    assert sum(len(reading.records) for *_, reading in alone) > 300


def test_reading_processes_build_the_same_database_as_one_process(tmp_path, monkeypatch):
    # Above PARALLEL_READING_BYTES the files are read, folded and hashed by one process per core
    # (pipeline.read_and_derive), and this process uses what they computed: the database must be
    # byte-identical to the one built with everything in one process.
    from papers_db import pipeline
    from papers_db.pipeline import build_database

    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    first = sorted(folder.glob("*.txt"))[0]
    shutil.copy(first, folder / f"zz_copy_of_{first.name}")  # a repeat, reported and not read
    alone = build_database([folder], tmp_path / "alone" / "papers.db", related=False)
    monkeypatch.setattr(pipeline, "PARALLEL_READING_BYTES", 0)
    together = build_database([folder], tmp_path / "together" / "papers.db", related=False)
    assert together.sha256 == alone.sha256 and together.papers == alone.papers > 300


def test_the_reading_processes_start_before_the_database_is_made_and_end_before_its_helpers(tmp_path, monkeypatch):
    # They boot while this process makes the database (its imports included: sqlite-utils is
    # imported there), and end once every file is read, so that the build's own two helpers do
    # not run beside them.
    import multiprocessing

    from papers_db import load, pipeline

    monkeypatch.setattr(pipeline, "PARALLEL_READING_BYTES", 0)
    children = {}
    create, finish = load.DatabaseWriter._create, load.DatabaseWriter.finish

    def create_counting(writer):
        children["making the database"] = len(multiprocessing.active_children())
        create(writer)

    def finish_counting(writer, *args, **kwargs):
        children["finishing"] = len(multiprocessing.active_children())
        return finish(writer, *args, **kwargs)

    monkeypatch.setattr(load.DatabaseWriter, "_create", create_counting)
    monkeypatch.setattr(load.DatabaseWriter, "finish", finish_counting)
    build_database([SOURCES], tmp_path / "papers.db", related=False)
    assert children == {"making the database": pipeline.READING_PROCESSES, "finishing": 0}


@pytest.mark.parametrize("enabled_before", [True, False])
def test_collector_paused_gives_the_setting_back_after_a_build_and_a_refused_one(tmp_path, enabled_before):
    # Around the command's build the cyclic garbage collector is off (its full passes walked every
    # lookup the build keeps); the library call itself leaves the switch, the whole process's, alone.
    import gc

    from papers_db.pipeline import collector_paused

    seen_while_building = set()
    (tmp_path / "notes.txt").write_text("nothing here is a listing\n")
    try:
        gc.enable() if enabled_before else gc.disable()
        build_database([SOURCES], tmp_path / "library.db", related=False,
                       progress=lambda event: seen_while_building.add(("library", gc.isenabled())))
        with collector_paused():
            build_database([SOURCES], tmp_path / "papers.db", related=False,
                           progress=lambda event: seen_while_building.add(("paused", gc.isenabled())))
        after_build = gc.isenabled()
        with pytest.raises(PapersDbError, match="no readable listing"), collector_paused():
            build_database([tmp_path / "notes.txt"], tmp_path / "refused.db", related=False)
        after_refusal = gc.isenabled()
    finally:
        gc.enable()
    assert seen_while_building == {("library", enabled_before), ("paused", False)}
    assert (after_build, after_refusal) == (enabled_before, enabled_before)


# The build command, with its call of build_database noting whether the collector runs.
BUILD_NOTING_THE_COLLECTOR = """
import gc, sys
from papers_db import cli

build, noted = cli.build_database, []

def noting(*args, **kwargs):
    noted.append(gc.isenabled())
    return build(*args, **kwargs)

cli.build_database = noting
sys.argv = ["papers-db", "build", "--no-related", "-o", sys.argv[1]]
try:
    cli.main()
finally:
    print(noted, gc.isenabled())
"""


def test_the_build_command_runs_without_the_collector(tmp_path):
    built = subprocess.run([sys.executable, "-c", BUILD_NOTING_THE_COLLECTOR, str(tmp_path / "papers.db")],
                           capture_output=True, text=True, timeout=300, cwd=SOURCES.parent)
    assert (built.returncode, built.stdout.splitlines()[-1]) == (0, "[False] True"), built.stderr


class SignalledAsItIsFreed:
    """An object whose finalizer is where a signal comes: Python drops whatever its handler raises
    there (as in importlib's module-lock callback, where CI met a Ctrl-C)."""

    def __init__(self, signal_number):
        self.signal_number = signal_number

    def __del__(self):
        signal.raise_signal(self.signal_number)  # runs the handler at once, inside __del__


@pytest.mark.parametrize("at_step", ["reading", "finishing: views, statistics, checksum"])
def test_a_signal_python_drops_in_a_finalizer_still_ends_the_build_before_anything_is_replaced(tmp_path, capfd, at_step):
    # Its Interrupted was printed as "Exception ignored in" with a traceback, and the build went on
    # to replace the database and only then said it was interrupted.
    from papers_db.errors import Interrupted, signals_interrupt

    output = tmp_path / "papers.db"
    build_database([SOURCES / "000_171567d686ec3e55.txt"], output, related=False)
    earlier = {path: path.read_bytes() for path in tmp_path.iterdir()}
    steps = []

    def progress(event):
        steps.append(event.step if event.step != "building" else event.name)
        if steps[-1] == at_step and steps.count(at_step) == 1:
            SignalledAsItIsFreed(signal.SIGTERM)  # made and freed at once

    with pytest.raises(Interrupted) as ended, signals_interrupt():
        build_database([SOURCES], output, related=False, progress=progress)
    assert ended.value.signal_number == signal.SIGTERM and ended.value.done is None
    assert steps.count(at_step) == 1 and steps[-1] != "read"  # ended at the next step, not at the end
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == earlier  # no temporary file either
    assert capfd.readouterr().err == ""


def test_an_interruption_python_drops_is_the_blocks_own(capfd):
    # The hook that keeps it is the block's alone, and so is the interruption: a build after the
    # block, by the same library caller, was ended by it.
    import sys

    from papers_db.errors import Interrupted, raise_dropped_interruption, signals_interrupt

    hook_before = sys.unraisablehook
    with signals_interrupt():
        SignalledAsItIsFreed(signal.SIGINT)
        with pytest.raises(Interrupted):
            raise_dropped_interruption()
    assert sys.unraisablehook is hook_before and capfd.readouterr().err == ""
    raise_dropped_interruption()
    with signals_interrupt():
        raise_dropped_interruption()


def test_sqlite_utils_is_imported_by_the_build_not_by_the_command_as_it_starts():
    # Its 0.14 s of imports pass while the reading processes start (pipeline.build_database).
    script = "import sys, papers_db.cli; print('sqlite_utils' in sys.modules)"
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "False"


# The fuzz test: the seed files and their manifest, mutated as a new user's messier listings
# are (lines inserted, deleted, repeated, swapped; odd Unicode and whitespace; huge numbers;
# cut short; random bytes). Whatever the input, a build either succeeds with every line
# accounted for, or fails with the project's own error; and it is deterministic.
ODD_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
ODD_SPACES = ["\u3000", "\x0c", "\u2028", "\u00a0", "\t", "\x1f", "\u200b", "\x85", "  "]
HOSTILE_LINES = [
    "·", "  • 8 authors", "  • -3 authors", f"  • {'9' * 25} authors", f"Nov 3 {'9' * 25}", "Nov 31, 2024 4",
    "Accept (İ)", "Accept (" + " " * 2_000, "Accept (Poster)", "Daily Papers", "Nov 12", "[bold]markup[/]",
    "\\emph{" * 2_000 + "x", "{\"title\": \"json\"}", "<html>", "a,b,c", "- ~",
]
inserted_line = st.one_of(st.sampled_from(HOSTILE_LINES), st.sampled_from(HOSTILE_LINES), ODD_TEXT,
                          st.integers(min_value=0).map(str))


@st.composite
def mutated_lines(draw, lines):
    lines = list(lines)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, max(len(lines) - 1, 0)))
        kind = draw(st.sampled_from(["insert", "insert", "insert", "delete", "duplicate", "swap", "odd-space", "truncate"]))
        if kind == "insert":
            lines.insert(where, draw(inserted_line))
        elif lines and kind == "delete":
            del lines[where]
        elif lines and kind == "duplicate":
            lines.insert(where, lines[where])
        elif lines and kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[where], lines[other] = lines[other], lines[where]
        elif lines and kind == "odd-space":
            lines[where] = lines[where].replace(" ", draw(st.sampled_from(ODD_SPACES)))
        elif lines and kind == "truncate":
            lines = lines[:where] + [lines[where][: draw(st.integers(0, len(lines[where])))]]
    return lines


def mutated_file(name):
    seed = (SOURCES / name).read_text(encoding="utf-8").split("\n")
    as_bytes = mutated_lines(seed).map(lambda lines: "\n".join(lines).encode("utf-8"))
    with_random_bytes = st.tuples(as_bytes, st.binary(min_size=1, max_size=30), st.floats(0, 1)).map(
        lambda t: t[0][: int(len(t[0]) * t[2])] + t[1] + t[0][int(len(t[0]) * t[2]):])
    return st.one_of(as_bytes, as_bytes, with_random_bytes)


MANIFEST_VALUES = {
    "format": st.sampled_from(["review_listing", "hf_daily_papers", "csv", [], 5]),
    "snapshot_date": st.sampled_from(["2025-11-12", "2025-02-30", "12 Nov", 5, [], None]),
    "description": st.sampled_from(["a [bold]description[/]", 7, None]),
}


@st.composite
def mutated_manifest(draw):
    text = (SOURCES / "manifest.toml").read_text(encoding="utf-8")
    kind = draw(st.sampled_from(["as is", "as is", "none", "changed", "broken"]))
    if kind == "none":
        return None
    if kind == "broken":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "changed":
        key, value = draw(st.sampled_from(sorted(MANIFEST_VALUES)).flatmap(
            lambda key: st.tuples(st.just(key), MANIFEST_VALUES[key])))
        toml_value = "[]" if value == [] else repr(value) if isinstance(value, int) else f'"{value}"' if value else '""'
        entry = draw(st.integers(0, text.count("[[source]]") - 1))
        head, *entries = text.split("[[source]]")
        entries[entry] += f"{key} = {toml_value}\n" if key not in entries[entry] else ""
        return "[[source]]".join([head, *entries])
    return text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), manifest=mutated_manifest())
def test_fuzzed_sources_build_or_fail_with_the_projects_error_and_account_for_every_line(data, manifest):
    names = data.draw(st.lists(st.sampled_from(sorted(FILES)), min_size=1, max_size=3, unique=True), label="mutated")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        sources = folder / "sources"
        sources.mkdir()
        for name in FILES:
            content = data.draw(mutated_file(name), label=name) if name in names else (SOURCES / name).read_bytes()
            (sources / name).write_bytes(content)
        if manifest is not None:
            (sources / "manifest.toml").write_text(manifest, encoding="utf-8")
        try:
            report = build_database([sources], folder / "a" / "papers.db", related=False)
        except PapersDbError as error:
            assert str(error) and "\n" not in str(error)
            return
        assert [file.name for file in report.files if file.unaccounted] == []
        assert query(report.output, "select count(*) from listings") == [(report.listings,)]
        assert query(report.output, "select count(*) from parse_issues") == [(report.parse_issues,)]
        # source_summary reads its counts from facet_counts: the same as counting.
        assert query(report.output, "select source_id, records, parse_issues from source_summary order by source_id") == query(
            report.output, "select id, (select count(*) from listings where source_id = sources.id), "
            "(select count(*) from parse_issues where source_id = sources.id) from sources order by id")
        # Deterministic: the files named one by one, in reverse order, give the same bytes.
        again = build_database(sorted(sources.glob("*.txt"), reverse=True), folder / "b" / "papers.db", related=False)
        assert again.sha256 == report.sha256


def test_an_issue_found_after_reading_reaches_the_progress_callback_and_the_report(tmp_path):
    from listing_texts import AMBIGUOUS_TITLE_LINE, AMBIGUOUS_TITLE_LISTING

    (tmp_path / "review.txt").write_text(AMBIGUOUS_TITLE_LISTING, encoding="utf-8")
    events = []
    report = build_database([tmp_path / "review.txt"], tmp_path / "papers.db", related=False, progress=events.append)
    late = [(event.name, event.issue.line, event.issue.code) for event in events if event.step == "issue"]
    assert late == [("review.txt", AMBIGUOUS_TITLE_LINE, "ambiguous_title")]
    # The title alone is also a missing abstract, which reading found.
    (file,) = report.files
    assert sorted((issue.line, issue.code) for issue in file.issues) == [
        (AMBIGUOUS_TITLE_LINE, "ambiguous_title"), (AMBIGUOUS_TITLE_LINE, "missing_abstract")]
    stored = query(report.output, "select id, line, code from parse_issues order by id")
    assert stored == [(1, AMBIGUOUS_TITLE_LINE, "missing_abstract"), (2, AMBIGUOUS_TITLE_LINE, "ambiguous_title")]
    assert query(report.output, "select file_name, parse_issues from source_summary") == [("review.txt", 2)]


def test_an_organisation_shown_under_two_names_keeps_each_pages_name(tmp_path):
    from listing_texts import ABSTRACT_A, ABSTRACT_B, ABSTRACT_C, hf_page

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.txt").write_text(hf_page(["Paper A", "", ABSTRACT_A, "", "google Google", "·", "Nov 3 5"]))
    (folder / "b.txt").write_text(hf_page(["Paper B", "", ABSTRACT_B, "", "google Google DeepMind", "·", "Nov 4 6"],
                                          ["Paper C", "", ABSTRACT_C, "", "google Google", "·", "Nov 5 7"]))
    db = build_database([folder], tmp_path / "papers.db", related=False).output
    with sqlite3.connect(db) as conn:
        shown = conn.execute("select listings.title, organizations.handle, organizations.name from listings "
                             "join organizations on organizations.id = listings.organization_id order by listings.title").fetchall()
        assert conn.execute("select count(*) from organizations").fetchone() == (2,)
        by_organization = conn.execute(
            "select count(*) from (" + read_metadata()[0]["databases"]["papers"]["queries"]["papers_by_organization"]["sql"] + ")",
            {"organization": "google"}).fetchone()
    assert shown == [("Paper A", "google", "Google"), ("Paper B", "google", "Google DeepMind"), ("Paper C", "google", "Google")]
    assert by_organization == (3,)


UNDATED_ABSTRACT = (
    "We measure how often conference papers are cited in the year after they appear, across five "
    "venues and ten years, and find that posters and orals differ less than reviewers expect."
)


def write_hf_pages(folder, pages, undated=()):
    """Hugging Face pages saved on 2025-11-12, with the manifest that says so (their dates' year),
    but for those named in `undated`, whose entries' dates then have no year: no date at all."""
    folder.mkdir()
    manifest = []
    for name, text in pages.items():
        (folder / name).write_text(text)
        if name in undated:
            continue
        manifest.append(f'[[source]]\nfile = "{name}"\nformat = "hf_daily_papers"\nsnapshot_date = 2025-11-12\n')
    (folder / "manifest.toml").write_text("\n".join(manifest))


def papers_by_organization(db, organization):
    sql = read_metadata()[0]["databases"]["papers"]["queries"]["papers_by_organization"]["sql"]
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, {"organization": organization}).fetchall()


def test_papers_by_organization_gives_each_paper_once_by_its_first_date(tmp_path):
    from listing_texts import ABSTRACT_A, ABSTRACT_B, ABSTRACT_C, hf_page

    folder = tmp_path / "pages"
    # Paper B is on both pages, under both of google's names, first on Nov 4; Paper D has no date.
    write_hf_pages(folder, {
        "a.txt": hf_page(["Paper A", "", ABSTRACT_A, "", "google Google", "·", "Nov 3 5"],
                         ["Paper B", "", ABSTRACT_B, "", "google Google", "·", "Nov 4 6"]),
        "b.txt": hf_page(["Paper B", "", ABSTRACT_B, "", "google Google DeepMind", "·", "Nov 6 7"],
                         ["Paper C", "", ABSTRACT_C, "", "adobe Adobe", "·", "Nov 5 8"]),
        "c.txt": hf_page(["Paper D", "", UNDATED_ABSTRACT, "", "google Google", "·", "Nov 9 9"])}, undated={"c.txt"})
    db = build_database([folder], tmp_path / "papers.db", related=False).output
    dates = dict(query(db, "select title, first_published_on from papers"))
    assert [dates["Paper A"], dates["Paper B"], dates["Paper C"], dates["Paper D"]] == ["2025-11-03", "2025-11-04", "2025-11-05", None]
    pairs = query(db, "select organizations.name, papers.title, organization_papers.first_published_on "
                      "from organization_papers join organizations on organizations.id = organization_id "
                      "join papers on papers.id = paper_id order by 1, 2")
    assert pairs == [("Adobe", "Paper C", dates["Paper C"]), ("Google", "Paper A", dates["Paper A"]),
                     ("Google", "Paper B", dates["Paper B"]), ("Google", "Paper D", None),
                     ("Google DeepMind", "Paper B", dates["Paper B"])]

    def shown(organization):
        return [(title, name, date) for _, title, name, date in papers_by_organization(db, organization)]

    google = shown(" GOOGLE ")
    assert [(title, date) for title, _, date in google] == [("Paper B", dates["Paper B"]), ("Paper A", dates["Paper A"]),
                                                            ("Paper D", None)]  # undated last
    assert google[0][1] in {"Google", "Google DeepMind"} and google[1][1] == google[2][1] == "Google"
    assert shown("google deepmind") == [("Paper B", "Google DeepMind", dates["Paper B"])]
    assert shown("Adobe") == [("Paper C", "Adobe", dates["Paper C"])]
    assert shown("nobody") == shown("") == []
    assert_papers_by_organization_reads_as_listings(db)


def test_papers_by_organization_shows_the_200_most_recent(tmp_path):
    # 230 papers under "acme Acme Labs"; the 150 or so of Nov 5 to 12 also under "acme Acme Research", so that
    # most of the handle's newest rows are a paper's second row; and 5 more, undated, which come after them all.
    from listing_texts import hf_page

    vocabulary = [f"{a}{b}{c}" for a in "bcdfg" for b in "aeiou" for c in "klmnprst"]
    chooser = random.Random(18)
    entries = []
    for number in range(230):
        abstract = "We study " + " ".join(chooser.sample(vocabulary, 40)) + "."
        entries.append([f"Study number {number}", "", abstract, "", "acme Acme Labs", "·", f"Nov {1 + number % 12} {number}"])
    also = [entry[:4] + ["acme Acme Research"] + entry[5:] for entry in entries if int(entry[-1].split()[1]) >= 5]
    undated = []
    for number in range(5):
        abstract = "We study " + " ".join(chooser.sample(vocabulary, 40)) + "."
        undated.append([f"Undated study {number}", "", abstract, "", "acme Acme Labs", "·", "Nov 12 1"])
    folder = tmp_path / "pages"
    write_hf_pages(folder, {"page.txt": hf_page(*entries), "again.txt": hf_page(*also), "undated.txt": hf_page(*undated)},
                   undated={"undated.txt"})
    db = build_database([folder], tmp_path / "papers.db", related=False).output
    papers = query(db, "select id, title, first_published_on from papers")
    assert len(papers) == 235 and {title for _, title, date in papers if date is None} == {f"Undated study {n}" for n in range(5)}
    newest_first = sorted(papers, key=lambda paper: paper[0])
    newest_first.sort(key=lambda paper: paper[2] or "", reverse=True)  # stable: ties stay in id order, undated last
    twice = {entry[0] for entry in also}
    assert 140 < len(twice) < 170 and {title for _, title, _ in newest_first[:len(twice)]} == twice
    assert papers_by_organization(db, "acme labs") == [(id, title, "Acme Labs", date) for id, title, date in newest_first[:200]]
    assert papers_by_organization(db, "acme research") == [
        (id, title, "Acme Research", date) for id, title, date in newest_first[:len(twice)]]
    by_handle = papers_by_organization(db, "acme")
    assert [(id, title, date) for id, title, _, date in by_handle] == newest_first[:200]
    assert all(name == "Acme Labs" or (name == "Acme Research" and title in twice) for _, title, name, _ in by_handle)
    assert_papers_by_organization_reads_as_listings(db)


def assert_papers_by_organization_reads_as_listings(db):
    """The same papers as reading listings and papers themselves, for every handle and name."""
    with sqlite3.connect(db) as conn:
        organizations = conn.execute("select id, handle, name from organizations").fetchall()
        listed = conn.execute("select listings.organization_id, papers.id, papers.title, papers.first_published_on "
                              "from listings join papers on papers.id = listings.paper_id "
                              "where listings.organization_id is not null").fetchall()
    assert organizations and listed
    names = {organization: name for organization, _, name in organizations}
    for asked in sorted({handle for _, handle, _ in organizations} | {name for _, _, name in organizations}):
        matching = {organization for organization, handle, name in organizations if asked.lower() in (handle.lower(), name.lower())}
        papers = {(paper, title, date) for organization, paper, title, date in listed if organization in matching}
        expected = sorted(papers, key=lambda paper: paper[0])
        expected.sort(key=lambda paper: paper[2] or "", reverse=True)  # an undated paper last
        rows = papers_by_organization(db, asked)
        assert [(paper, title, date) for paper, title, _, date in rows] == expected[:200], asked
        for paper, _, name, _ in rows:
            assert name in {names[organization] for organization, listed_paper, _, _ in listed
                            if organization in matching and listed_paper == paper}, (asked, paper)


def test_papers_by_organization_gives_what_listings_say_for_the_bundled_organisation(built_db):
    assert_papers_by_organization_reads_as_listings(built_db)


def test_the_build_reads_the_same_under_another_locales_month_names(built_db, tmp_path):
    # A notebook under a German locale: calendar.month_abbr follows LC_TIME, and the reader read
    # "Mar", "May", "Oct" and "Dec" dates as bad dates (320 papers, 76 issues). The locale's
    # names are put in place before papers_db is imported, as setlocale would.
    script = (
        "import calendar, sys\n"
        "calendar.month_abbr = ['', 'Jan', 'Feb', 'Mär', 'Apr', 'Mai', 'Jun', 'Jul', 'Aug', 'Sep', 'Okt', 'Nov', 'Dez']\n"
        "from papers_db import build_database\n"
        "report = build_database([sys.argv[1]], sys.argv[2])\n"
        "print(report.sha256)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(SOURCES), str(tmp_path / "papers.db")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == hashlib.sha256(built_db.read_bytes()).hexdigest()


@pytest.mark.parametrize("run_as", ["a script", "standard input", "a module"])
def test_the_readmes_library_example_builds_from_a_script_without_a_main_guard(built_db, tmp_path, run_as):
    # The helper processes are spawned, and a spawned process first runs its parent's main
    # script: run as a file, the README's example (no `if __name__ == "__main__":`) failed with
    # "a helper process of the build ended unexpectedly", after a traceback from each helper.
    readme = (SOURCES.parent / "README.md").read_text(encoding="utf-8")
    example = re.search(r"library call.*?```python\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "sources").symlink_to(SOURCES)
    (tmp_path / "readme_example.py").write_text(example, encoding="utf-8")
    command = {"a script": [sys.executable, "readme_example.py"], "standard input": [sys.executable, "-"],
               "a module": [sys.executable, "-m", "readme_example"]}[run_as]
    result = subprocess.run(command, cwd=tmp_path, input=example if run_as == "standard input" else None,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    papers, listings = query(built_db, "select (select count(*) from papers), (select count(*) from listings)")[0]
    assert result.stdout.split() == [str(papers), str(listings), "0", hashlib.sha256(built_db.read_bytes()).hexdigest()]
    assert result.stderr == ""


def test_builds_in_threads_at_once_each_build_and_leave_the_scripts_main_in_place(tmp_path):
    # The helpers start with the calling script's main module set aside: two builds doing that at
    # once put back each other's stand-in, and the script's own process pool then failed.
    script = (
        "import sys, threading\n"
        "from papers_db import build_database\n"
        "main = sys.modules['__main__']\n"
        "threads = [threading.Thread(target=build_database, args=([sys.argv[1]], f'{sys.argv[2]}/{n}/papers.db'))\n"
        "           for n in range(3)]\n"
        "for thread in threads: thread.start()\n"
        "for thread in threads: thread.join()\n"
        "print(sys.modules['__main__'] is main)\n"
    )
    (tmp_path / "threads.py").write_text(script)
    result = subprocess.run([sys.executable, "threads.py", str(SOURCES), str(tmp_path / "out")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stdout, result.stderr) == (0, "True\n", "")
    digests = {hashlib.sha256((tmp_path / "out" / str(n) / "papers.db").read_bytes()).hexdigest() for n in range(3)}
    assert len(digests) == 1


def test_one_source_path_given_alone_is_that_path(tmp_path, built_db):
    # build_database("sources", ...) read each letter as a path, and said "s: no such file or folder".
    for path in (str(SOURCES), SOURCES):
        report = build_database(path, tmp_path / "papers.db", related=False)
        assert (report.papers, report.listings) == (319, 336)
        assert [file.name for file in check_sources(path)] == sorted(source.name for source in SOURCES.glob("*.txt"))


def test_no_sources_given_says_so(tmp_path):
    # It said "no source files in ", naming nothing.
    for run in (lambda: build_database([], tmp_path / "papers.db"), lambda: check_sources([])):
        with pytest.raises(PapersDbError) as refusal:
            run()
        assert (str(refusal.value), refusal.value.exit_status) == (
            "no sources given: name the source files or folders to read", 2)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("related", [True, False])
def test_progress_names_each_step_of_building(tmp_path, related):
    # One "building" event came after reading, and a bar stood at 100% for most of a 59 s build.
    events = []
    build_database(SOURCES, tmp_path / "papers.db", related=related, progress=events.append)
    steps = [event.step for event in events]
    assert steps[:steps.index("building")] == [step for pair in zip(["reading"] * 5, ["read"] * 5) for step in pair]
    assert [event.name for event in events if event.step == "building"] == [
        "resolving paper identity", "writing papers and listings", "indexing papers and listings, counting facets",
        *(["building the full-text index and finding related papers"] if related else
          ["building the full-text index"]),
        *(["finding related papers"] if related else []), "finishing: views, statistics, checksum"]


def test_the_reading_processes_work_imports_no_loading():
    # A reading process imports derive.py to run read_and_derive: with the loading (sqlite-utils)
    # too, each took 0.1 s more to start.
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, papers_db.derive; print(sorted({'papers_db.load', 'sqlite_utils'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert imported == "[]\n"


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML was built without libyaml")
def test_metadata_reads_the_same_with_libyaml_as_with_pyyamls_own_parser():
    document = yaml.load(resources.metadata_yml().read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    settings = document.pop("settings")
    assert read_metadata() == (document, settings)
    assert metadata.SAFE_LOADER is yaml.CSafeLoader  # so the document above came through libyaml


@pytest.mark.parametrize("broken, line", [("databases:\n  papers: [1, 2\n  title: x\n", 3),
                                          ("title: a\n\ttables: {}\n", 2)])
def test_a_broken_metadata_yml_stops_the_build_in_one_line_naming_the_file_and_line(tmp_path, monkeypatch, broken, line):
    metadata_yml = tmp_path / "metadata.yml"
    metadata_yml.write_text(broken, encoding="utf-8")
    monkeypatch.setattr(resources, "metadata_yml", lambda: metadata_yml)
    with pytest.raises(PapersDbError) as raised:
        build_database(SOURCES, tmp_path / "papers.db")
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{metadata_yml}: not readable YAML:")
    assert f"line {line}," in message
    assert not (tmp_path / "papers.db").exists()


def test_a_hook_set_inside_the_block_leaves_later_interruptions_to_the_hooks_before():
    # The plugin sets its own unraisable hook when a served connection opens, chaining to the one
    # it found: after the block ended, an Interrupted dropped in a finalizer was still kept quietly
    # and ended the next library call at its first step (found by review).
    import sys

    from papers_db.errors import Interrupted, raise_dropped_interruption, signals_interrupt

    class RaisesAsFreed:
        def __del__(self):
            raise Interrupted(signal.SIGTERM)

    heard = []
    hook_before = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: heard.append(type(unraisable.exc_value))
    try:
        with signals_interrupt():
            inner = sys.unraisablehook
            sys.unraisablehook = lambda unraisable: inner(unraisable)  # set meanwhile, chaining on
        RaisesAsFreed()  # after the block, the chain still in place
        raise_dropped_interruption()  # nothing kept: this raises nothing
    finally:
        sys.unraisablehook = hook_before
    assert heard == [Interrupted]  # passed on to the hook before the block, as any other


def test_the_package_lists_the_names_readme_gives_and_its_release():
    # dir() listed `TYPE_CHECKING` and `annotations` alone, so a notebook offered no completion,
    # and there was no __version__ (found by review).
    import papers_db

    readme = (SOURCES.parent / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("The package's names are"):]
    named = re.findall(r"`(\w+)`", listed[:listed.index(").") + 1])
    assert sorted(named) == [name for name in dir(papers_db) if not name.startswith("__") or name == "__version__"]
    assert {"__file__", "__path__", "__name__"} <= set(dir(papers_db)) and all(getattr(papers_db, name) for name in named)
    assert run_cli("--version").stdout.startswith(f"papers-db {papers_db.__version__} ")


def test_a_package_imported_without_being_installed_has_no_version_and_says_why(tmp_path):
    # Imported from a fresh clone, with no installed metadata, hasattr(papers_db, "__version__")
    # raised PackageNotFoundError (review): it is an AttributeError, which hasattr reads as False.
    # The package alone, without site-packages (-S) or the checkout's egg-info beside it.
    shutil.copytree(SOURCES.parent / "papers_db", tmp_path / "papers_db", symlinks=True)
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import papers_db\n"
              "print(hasattr(papers_db, '__version__'))\n"
              "try:\n    papers_db.__version__\nexcept AttributeError as error:\n    print(error)")
    result = subprocess.run([sys.executable, "-S", "-c", script, str(tmp_path)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=60)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == ["False", "papers_db.__version__: papers-db is not installed (pip install -e .)"]


def test_the_library_takes_bytes_paths_as_open_does_and_names_a_wrong_type(tmp_path, built_db):
    # build_database(b"sources", ...) read b"sources" as the numbers of its bytes and failed with
    # "expected str, bytes or os.PathLike object, not int"; a bytes output was refused likewise.
    report = build_database(bytes(SOURCES), bytes(tmp_path / "papers.db"))
    assert report.output == tmp_path / "papers.db"
    assert report.sha256 == hashlib.sha256(built_db.read_bytes()).hexdigest()
    assert [file.name for file in check_sources([bytes(SOURCES)])] == [file.name for file in check_sources(SOURCES)]
    with pytest.raises(TypeError, match=r"^sources: expected a path \(str, bytes or os.PathLike\) or an iterable of "
                                        r"paths, not int$"):
        build_database(3, tmp_path / "other.db")
    for wrong in (bytearray(bytes(SOURCES)), [SOURCES, 3]):  # a bytearray is no path, as to open(): its numbers are read
        with pytest.raises(TypeError, match=r"^sources: expected str, bytes or os.PathLike object, not int$"):
            build_database(wrong, tmp_path / "other.db")

    class BytesPath:  # an os.PathLike whose path is bytes, as open() takes
        def __init__(self, path):
            self.path = path

        def __fspath__(self):
            return self.path

    report = build_database([BytesPath(bytes(SOURCES))], BytesPath(bytes(tmp_path / "again.db")))
    assert (report.output, report.sha256) == (tmp_path / "again.db", hashlib.sha256(built_db.read_bytes()).hexdigest())
    with pytest.raises(PapersDbError, match="a source path is empty"):
        check_sources(b"")
    assert not (tmp_path / "other.db").exists()


@pytest.mark.parametrize("arguments", [["build"], ["check"], ["build", SOURCES, "--output", "OUT/papers.db"]])
def test_a_run_in_a_removed_working_folder_is_one_clear_line(tmp_path, arguments):
    # A shell left in a folder another command removed: `papers-db build` ended as a bug, exit 70,
    # with "unexpected FileNotFoundError", and with absolute paths "cannot write: No such file or
    # directory", as its helper processes could not start (found by review).
    gone = tmp_path / "gone"
    gone.mkdir()
    line = shlex.join(str(part).replace("OUT", str(tmp_path / "out")) for part in cli_command(*arguments))
    result = subprocess.run(["bash", "-c", f"cd {shlex.quote(str(gone))} && rmdir {shlex.quote(str(gone))} && {line}"],
                            capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stderr.splitlines()) == (2, [
        "error: the working folder no longer exists (removed since the shell entered it); go to a folder that exists and "
        "run the command again"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [ConnectionError("progress dashboard unreachable"), sqlite3.OperationalError("database is locked"),
                                   BrokenPipeError(32, "Broken pipe"), ValueError("bad event")])
def test_an_error_of_the_callers_own_progress_callback_is_raised_as_it_was(tmp_path, built_db, error):
    # A build said "cannot write: None" (exit status 3) for a ConnectionError of the caller's own
    # callback, and "cannot write the database: database is locked" for its own locked SQLite
    # file; an export the same; a check let it through (a review of the library).
    from papers_db.export import export_files

    def progress(*event):
        raise error

    sources = tmp_path / "sources"  # with a folder inside, a "skipped" step: the first event of all
    shutil.copytree(SOURCES, sources)
    (sources / "notes").mkdir()
    calls = (lambda: build_database(sources, tmp_path / "out" / "papers.db", progress=progress),
             lambda: build_database(SOURCES, tmp_path / "out" / "papers.db", progress=progress),
             lambda: check_sources(SOURCES, progress=progress),
             lambda: export_files(built_db, tmp_path / "export", "csv", progress=progress))
    for call in calls:
        with pytest.raises(type(error)) as raised:
            call()
        assert raised.value is error
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sources"]  # nothing made, nothing left


def test_an_open_file_as_the_sources_is_a_type_error_not_its_lines_as_paths(tmp_path):
    # An open file iterates as lines: each was read as a path ("model\n: no such file or folder",
    # two lines), and the caller's file was consumed (a review of the library).
    import io

    with (SOURCES / "manifest.toml").open() as file:
        for given in (file, io.StringIO("sources\n"), io.BytesIO(b"sources\n")):
            with pytest.raises(TypeError, match=r"^sources: expected a path .* not an open file \("):
                check_sources(given)
            with pytest.raises(TypeError, match=r"^sources: expected a path .* not an open file \("):
                build_database(given, tmp_path / "papers.db")
        assert file.tell() == 0
    assert list(tmp_path.iterdir()) == []


def test_a_library_calls_arguments_are_checked_by_name(tmp_path, built_db):
    # pathlib's TypeError named no argument; an export refused bytes paths, "CSV" and "jsonl" that the
    # command and its files' names take; a progress that is no callable failed at its first event
    # (a review of the library).
    import papers_db

    for output in (None, 3, {}):
        with pytest.raises(TypeError, match=rf"^output: expected a path \(str, bytes or os.PathLike\), not {type(output).__name__}$"):
            build_database(SOURCES, output)
    with pytest.raises(TypeError, match="^progress: expected a callable"):
        build_database(SOURCES, tmp_path / "papers.db", progress=3)
    with pytest.raises(TypeError, match="^progress: expected a callable"):
        check_sources(SOURCES, progress=3)
    assert list(tmp_path.iterdir()) == []
    export_files = papers_db.export_files  # one of the package's names, as build_database is
    for file_format, suffix in (("CSV", ".csv"), ("jsonl", ".jsonl"), ("Json", ".jsonl")):
        written = export_files(os.fsencode(built_db), os.fsencode(tmp_path / file_format), file_format)
        assert written and all(path.suffix == suffix for path in written)
    with pytest.raises(TypeError, match="^file_format: expected one of parquet, csv, json as a str, not list$"):
        export_files(built_db, tmp_path / "x", ["csv"])
    with pytest.raises(TypeError, match="^progress: expected a callable"):
        export_files(built_db, tmp_path / "x", "csv", progress=3)
    with pytest.raises(TypeError, match="^folder: expected a path"):
        export_files(built_db, None, "csv")
    assert not (tmp_path / "x").exists()
