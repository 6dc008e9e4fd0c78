"""The readers on small hand-written fixtures: one case per irregularity in SOURCES.md."""

import pytest

from build_db import (
    detect_format,
    normalise_decision,
    read_hf_daily_page,
    read_review_listing,
)

ABSTRACT_A = (
    "We study how lenders decide on applicants they once rejected. Reject inference methods try "
    "to recover the outcomes of those applicants, and we show that the usual methods are biased "
    "when the rejection rule depends on features that the model cannot see at all."
)
ABSTRACT_B = (
    "Diffusion models generate images by reversing a noising process. We propose a sampler that "
    "needs ten times fewer steps and keeps the same sample quality on every benchmark we tried, "
    "including ImageNet at two resolutions and three text-to-image datasets."
)
ABSTRACT_C = (
    "Peer review at large venues rejects many papers before review. We collect desk rejection "
    "letters from three conferences and study which reasons are given, how often they are "
    "consistent with the call for papers, and what happens to the papers afterwards."
)
SHORT_ABSTRACT = "We show that acceptance is all a paper needs, in thirteen short words."


def review_text(*lines):
    return "\n".join(lines) + "\n"


def test_review_listing_every_irregular_case():
    text = review_text(
        "model",  # 1: bare label line, no paper
        "Reject Inference for Credit Scoring",  # 2: title that begins with a decision word
        ABSTRACT_A,  # 3
        "Reject",  # 4
        ABSTRACT_B,  # 5: record with no title
        "Accept (oral)",  # 6: lower-case 2024 style
        "Accept Is All You Need",  # 7: title that begins with "Accept"
        SHORT_ABSTRACT,  # 8: short abstract
        "Withdrawn Submission",  # 9
        "A Title and Nothing Else",  # 10: title without abstract
        "Desk Rejected Papers: A Study",  # 11
        ABSTRACT_C,  # 12
        "Desk Rejected",  # 13
        "Understanding Something Without a Decision",  # 14
        ABSTRACT_A.replace("lenders", "banks"),  # 15: no decision line: unknown
    )
    reading = read_review_listing(text)
    got = [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records]
    assert got == [
        (2, 4, "Reject Inference for Credit Scoring", ABSTRACT_A, "Reject"),
        (5, 6, None, ABSTRACT_B, "Accept (oral)"),
        (7, 9, "Accept Is All You Need", SHORT_ABSTRACT, "Withdrawn Submission"),
        (10, 10, "A Title and Nothing Else", None, None),
        (11, 13, "Desk Rejected Papers: A Study", ABSTRACT_C, "Desk Rejected"),
        (14, 15, "Understanding Something Without a Decision", ABSTRACT_A.replace("lenders", "banks"), None),
    ]
    assert reading.other_lines == {1: "label"}
    assert [(i.line, i.code) for i in reading.issues] == [(10, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_review_listing_first_line_is_a_paper_when_an_abstract_follows():
    reading = read_review_listing(review_text("Short Title", ABSTRACT_A))
    assert [(r.line, r.title) for r in reading.records] == [(1, "Short Title")]
    assert reading.other_lines == {}


def test_review_listing_decision_without_paper_is_reported():
    reading = read_review_listing(review_text("Accept (Poster)", "Some Title", ABSTRACT_A, "Accept (Poster)", "Reject"))
    assert [(r.line, r.decision) for r in reading.records] == [(2, "Accept (Poster)")]
    assert [(i.line, i.code) for i in reading.issues] == [(1, "orphan_decision"), (5, "orphan_decision")]


@pytest.mark.parametrize(
    "label, expected",
    [
        # The tiers SOURCES.md gives: Talk (2020) and notable-top-5% (2023) are oral-level,
        # notable-top-25% is spotlight-level, the rest are what they say.
        ("Accept (Oral)", ("accept", "oral")),
        ("Accept (oral)", ("accept", "oral")),
        ("Accept (Talk)", ("accept", "oral")),
        ("Accept: notable-top-5%", ("accept", "oral")),
        ("Accept (Spotlight)", ("accept", "spotlight")),
        ("Accept: notable-top-25%", ("accept", "spotlight")),
        ("Accept (Poster)", ("accept", "poster")),
        ("Accept: poster", ("accept", "poster")),
        ("Reject", ("reject", None)),
        ("Withdrawn Submission", ("withdrawn", None)),
        ("Desk Rejected", ("desk_reject", None)),
        ("Accept (Workshop)", ("accept", None)),
        ("Accept Is All You Need", None),
        ("Rejected Papers Revisited", None),
    ],
)
def test_normalise_decision(label, expected):
    assert normalise_decision(label) == expected


def test_unknown_accept_tier_is_kept_and_reported():
    reading = read_review_listing(review_text("Some Title", ABSTRACT_A, "Accept (Workshop)"))
    assert reading.records[0].decision == "Accept (Workshop)"
    assert [(i.line, i.code) for i in reading.issues] == [(3, "unknown_decision_tier")]


HF_HEADER = [
    "new",
    "",
    "Get trending papers in your email inbox!",
    "",
    "Subscribe",
    "",
    "Daily Papers",
    "",
    "byAK and the research community",
    "",
    "Nov 12",
    "",
]


def hf_page(*entries):
    lines = list(HF_HEADER)
    for entry in entries:
        lines.extend(entry)
        lines.append("")
    return "\n".join(lines)


def test_hf_page_every_irregular_case():
    text = hf_page(
        ["Title One", "", ABSTRACT_A, "", "  • 8 authors", "·", "Mar 13"],  # 13..19
        ["Title Two", "", ABSTRACT_B, "", "adobe Adobe", "·", "Dec 3 7"],  # 21..27: organisation
        ["Title Three Has No Metadata", "", ABSTRACT_C],  # 29..31: no author/date block
        ["Title Four", "", SHORT_ABSTRACT + " " + ABSTRACT_A, "", "  • 1 author", "·", "Nov 4, 2024 12"],  # 33..39
        ["Title Five", "", ABSTRACT_A + " Five.", "", "  • 3 authors", "·", "Nov 12 3"],  # 41..47
    )
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    got = [
        (r.line, r.last_line, r.title, r.authors_count, r.organization, r.date_text, r.published_on,
         r.published_year_inferred, r.upvotes)
        for r in reading.records
    ]
    assert got == [
        (13, 19, "Title One", 8, None, "Mar 13", "2025-03-13", True, None),
        # December is after the page's Nov 12, so the year is the one before the snapshot's.
        (21, 27, "Title Two", None, ("adobe", "Adobe"), "Dec 3 7", "2024-12-03", True, 7),
        (29, 31, "Title Three Has No Metadata", None, None, None, None, None, None),
        (33, 39, "Title Four", 1, None, "Nov 4, 2024 12", "2024-11-04", False, 12),
        # The page's own day is not after it: same year.
        (41, 47, "Title Five", 3, None, "Nov 12 3", "2025-11-12", True, 3),
    ]
    assert [r.abstract for r in reading.records][:3] == [ABSTRACT_A, ABSTRACT_B, ABSTRACT_C]
    assert reading.page_date == "Nov 12"
    assert reading.issues == []
    assert {n for n, kind in reading.other_lines.items() if kind == "header"} == {1, 3, 5, 7, 9, 11}
    assert reading.unaccounted_lines() == []


def test_hf_page_without_snapshot_keeps_year_less_dates_unresolved():
    text = hf_page(["Title", "", ABSTRACT_A, "", "  • 2 authors", "·", "Mar 13 5"])
    reading = read_hf_daily_page(text, snapshot_date=None)
    record = reading.records[0]
    assert (record.date_text, record.published_on, record.upvotes) == ("Mar 13 5", None, 5)
    assert [i.code for i in reading.issues] == ["unknown_page_year"]


def test_hf_page_date_that_disagrees_with_manifest_is_reported():
    reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A]), snapshot_date="2025-11-13")
    assert [i.code for i in reading.issues] == ["page_date_mismatch"]


def test_hf_impossible_date_is_reported_not_guessed():
    text = hf_page(["Title", "", ABSTRACT_A, "", "  • 2 authors", "·", "Feb 30, 2024"])
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert reading.records[0].published_on is None
    assert [(i.line, i.code) for i in reading.issues] == [(19, "invalid_date")]


def test_detect_format():
    assert detect_format(hf_page(["Title", "", ABSTRACT_A])) == "hf_daily_papers"
    assert detect_format(review_text("Title", ABSTRACT_A, "Accept (Poster)")) == "review_listing"
    assert detect_format("just\nsome\nwords\n") is None
