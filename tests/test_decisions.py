"""Decision labels: what each one means."""

import pytest

from papers_db.decisions import normalise_decision


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
