"""Normalising readings into rows: source ids, repeats, decisions and organisations."""

import shutil
import sqlite3
import unicodedata

import pytest
from conftest import SOURCES
from hypothesis import given
from hypothesis import strategies as st
from listing_texts import SPACES

from papers_db.normalise import squash
from papers_db.pipeline import build_database

REVIEW = SOURCES / "001_d90573da5af4b331.txt"
OTHER = SOURCES / "000_171567d686ec3e55.txt"


def test_files_of_one_name_in_two_folders_are_two_sources(tmp_path, built_db):
    # Two byte-identical files named alike in two folders, and a third file: each is a source of
    # its own, the repeat points at the first and is not read again. (The source ids collided, and
    # the build ended with a UNIQUE constraint error.)
    for folder, name, source in (("a", "x.txt", REVIEW), ("b", "x.txt", REVIEW), ("b", "y.txt", OTHER)):
        (tmp_path / folder).mkdir(exist_ok=True)
        shutil.copy(source, tmp_path / folder / name)
    report = build_database([tmp_path / "a", tmp_path / "b"], tmp_path / "out" / "papers.db", related=False)
    with sqlite3.connect(report.output) as conn:
        sources = conn.execute("select id, file_name, duplicate_of from sources order by id").fetchall()
        issues = conn.execute("select source_id, code, message from parse_issues").fetchall()
        listed = conn.execute("select source_id, count(*) from listings group by source_id").fetchall()
    assert [name for _, name, _ in sources] == ["a/x.txt", "b/x.txt", "y.txt"]
    first, repeat = sources[0][0], sources[1][0]
    assert sources[1][2] == first and sources[0][2] is None and sources[2][2] is None
    assert issues == [(repeat, "duplicate_file", "identical to a/x.txt; read once")]
    with sqlite3.connect(built_db) as seeds:  # the seeds' build, whose counts test_pipeline derives from the files
        (review_records,) = seeds.execute("select records from source_summary where file_name = ?", (REVIEW.name,)).fetchone()
    assert dict(listed) == {first: review_records, sources[2][0]: dict(listed)[sources[2][0]]}


def test_ambiguous_title_issues_are_numbered_after_the_files_own(tmp_path):
    from listing_texts import AMBIGUOUS_TITLE_LISTING

    from papers_db.derive import derive
    from papers_db.normalise import Normaliser
    from papers_db.sources import find_sources, read_sources

    (tmp_path / "review.txt").write_text(AMBIGUOUS_TITLE_LISTING, encoding="utf-8")  # one missing_abstract issue
    normaliser = Normaliser()
    (reading,) = read_sources(find_sources([tmp_path / "review.txt"]))
    derived = derive(reading.reading)
    assert [row["id"] for row in normaliser.rows_for(reading, derived.keys, derived.enrichment).parse_issues] == [1]
    message = "title {!r} with no abstract matches two or more papers: kept as a paper of its own"
    assert normaliser.ambiguous_title_issues([(1, 5, "Attention"), (1, 9, "x" * 100)]) == [
        {"id": 2, "source_id": 1, "line": 5, "code": "ambiguous_title", "message": message.format("Attention")},
        {"id": 3, "source_id": 1, "line": 9, "code": "ambiguous_title", "message": message.format("x" * 79 + "…")},
    ]


def test_two_identities_sharing_an_id_are_bad_input(tmp_path, monkeypatch):
    # 53 bits of SHA-256 make a collision unlikely below billions of papers; it is forced here by
    # giving every identity the same first 8 bytes and different next 8.
    import hashlib

    from papers_db import normalise
    from papers_db.errors import BAD_INPUT, PapersDbError

    monkeypatch.setattr(normalise, "identity_digest",
                        lambda identity: bytes(8) + hashlib.sha256(identity.encode()).digest()[8:])
    with pytest.raises(PapersDbError, match="two different papers share the id 0") as raised:
        build_database([REVIEW], tmp_path / "papers.db", related=False)
    assert raised.value.exit_status == BAD_INPUT
    assert list(tmp_path.iterdir()) == []


# The invisible characters the identity drops, as README lists them ("Some rules the data follows").
INVISIBLE = ["\u00ad", "\u061c", "\u180e", *map(chr, range(0x200B, 0x2010)), *map(chr, range(0x202A, 0x202F)),
             *map(chr, range(0x2060, 0x2065)), *map(chr, range(0x2066, 0x206A)), "\ufeff"]


@given(st.lists(st.one_of(st.sampled_from(SPACES), st.text(max_size=8), st.sampled_from(INVISIBLE),
                          st.sampled_from(["Ｔｅｘｔ", "ﬁne", "İstanbul", "Straße", "ΣΑΣ"])), max_size=12))
def test_squash_is_nfkc_case_folded_with_single_spaces(parts):
    # squash skips splitting and joining a text that is single-spaced already: the result must be
    # what the split and join give, whatever spaces, controls, invisible characters or wide forms
    # the text holds.
    text = "".join(parts)
    folded = unicodedata.normalize("NFKC", text).casefold()
    assert squash(text) == " ".join("".join(c for c in folded if c not in INVISIBLE).split())


def test_squash_of_texts_a_listing_gives():
    assert squash("A  Title\twith\u00a0spaces ") == "a title with spaces"
    assert squash(" Leading") == "leading" and squash("trailing\n") == "trailing"
    assert squash("Already single spaced.") == "already single spaced." and squash("two  spaces") == "two spaces"
    assert squash("Ｆｕｌｌ ｗｉｄｔｈ") == "full width" and squash("") == ""
