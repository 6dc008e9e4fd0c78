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
        # A conference site's badge names the tier of an accepted paper; the first tier it names counts.
        ("Poster", ("accept", "poster")),
        ("oral", ("accept", "oral")),
        ("Spotlight Poster", ("accept", "spotlight")),
        ("NeurIPS 2024 Poster", ("accept", "poster")),
        ("ICLR '24 Oral", ("accept", "oral")),
        ("Oral Presentation", ("accept", "oral")),
        ("Poster Child", None),
        ("Oral History Of Deep Learning", None),
        ("Posters", None),
        # ICLR 2023's tiers as listings write them: "top 5%" is its notable-top-5%, the oral tier.
        ("Accept: notable top 5%", ("accept", "oral")),
        ("Accept: Notable Top 5 %", ("accept", "oral")),
        ("Accept (Top 5%)", ("accept", "oral")),
        ("Accept - top-25%", ("accept", "spotlight")),
        ("Accept (Top 10%)", ("accept", None)),
        ("Accept - Top Performers", None),
        # A tier written as a badge writes it: "Oral Presentation" alone is the oral tier's badge.
        ("Accept (Oral Presentation)", ("accept", "oral")),
        ("Accept: spotlight presentation", ("accept", "spotlight")),
        ("Accept - Poster Presentation", ("accept", "poster")),
        ("Accept (Invited Presentation)", ("accept", None)),
        # As the badge "Spotlight Poster" is (found by review: no tier).
        ("Accept (Spotlight Poster)", ("accept", "spotlight")),
        # Only a tier's words after a dash, spaced or not (found by review); no decision word is a venue.
        ("Accept – Oral History of Deep Learning", None),
        ("Accepted - Spotlight on Attention", None),
        ("ACCEPT − Reject Sampling for Oral Cancer Detection", None),
        ("Accept-Not Oral", None),
        ("Accept‐Reject Oral", None),
        # A decision in brackets, as some listings print a badge: each was a paper titled so, and
        # the paper before it lost its decision (noticed in the forty-fifth session, read since the
        # forty-eighth). Brackets that enclose no decision, or not the whole line, leave a title.
        ("[Oral]", ("accept", "oral")),
        ("(Poster)", ("accept", "poster")),
        ("[Accept (Spotlight)]", ("accept", "spotlight")),
        ("［Reject］", ("reject", None)),
        ("【Spotlight Poster】", ("accept", "spotlight")),
        ("（Withdrawn Submission）", ("withdrawn", None)),
        ("[ Decision: Reject ]", ("reject", None)),
        ("Decision: [Accept (Poster)]", ("accept", "poster")),
        ("[NeurIPS 2024 Oral].", ("accept", "oral")),
        ("[Oral History of Deep Learning]", None),
        ("[Re] Oral", None),
        ("(Almost) Everything (Oral)", None),
        ("[Oral] [Poster]", None),
        ("[Oral)", None),
        ("[]", None),
        # Found by review: a full stop inside the brackets, other kinds of brackets; a tier that
        # is no badge alone ("Talk") is none in brackets either.
        ("[Oral.]", ("accept", "oral")),
        ("(Decision: Reject.)", ("reject", None)),
        ("[[Reject]].", ("reject", None)),
        ("{Oral}", ("accept", "oral")),
        ("<Poster>", ("accept", "poster")),
        ("〖Spotlight〗", ("accept", "spotlight")),
        ("⟨Oral⟩", ("accept", "oral")),
        ("«Oral»", ("accept", "oral")),
        ("「Reject」", ("reject", None)),
        ("[Talk]", None),
        ("(Oral）", None),
        # A badge's year written short against its venue or with a curly apostrophe, or its venue
        # after the tier: each was a title (noticed in the fifty-second session).
        ("ICLR'24 Oral", ("accept", "oral")),
        ("ICLR’24 Spotlight", ("accept", "spotlight")),
        ("ICLR ’24 Poster", ("accept", "poster")),
        ("(ICLR'24 Oral)", ("accept", "oral")),
        ("Oral, ICLR 2024", ("accept", "oral")),
        ("(Spotlight Poster, NeurIPS 2023)", ("accept", "spotlight")),
        ("[Poster , CVPR’24]", ("accept", "poster")),
        ("Oral，ICLR 2024", ("accept", "oral")),
        ("Oral, Written and Signed", None),
        ("Poster, 2024", None),
        ("Oral, ICLR 2024, Vienna", None),
        ("Spotlight, ICLR 2024 Workshop", None),
        ("Accept (Oral), ICLR 2024", None),
        ("Don’t Reject", None),
        # OpenReview forum pages' labels (found by review: each an unknown decision).
        ("Final Decision: Accept (Oral)", ("accept", "oral")),
        ("Paper Decision: Reject", ("reject", None)),
        ("Final Decision", None),
        ("Decision:", None),
    ],
)
def test_normalise_decision(label, expected):
    assert normalise_decision(label) == expected


@pytest.mark.parametrize(
    "label, expected",
    [
        # A letter whose lower case is longer ("İ" folds to "i" and a dot) once broke the mapping.
        ("Accept (İ)", ("accept", None)),
        ("WİTHDRAWN", ("withdrawn", None)),
        # Odd whitespace reads as a space; a tier that is not there is no decision.
        ("Accept\u3000(Poster)\u2028", ("accept", "poster")),
        ("Accept\u200b: poster", ("accept", "poster")),
        ("Accept ()", None),
        ("Accept:", None),
        # Full stops at the end, any number of them, are no part of a decision; one inside is.
        ("Reject..", ("reject", None)),
        ("Reject . .", ("reject", None)),
        ("Accept (Oral)...", ("accept", "oral")),
        ("Reject.Then", None),
        ("..", None),
    ],
)
def test_decisions_with_odd_letters_and_spaces(label, expected):
    assert normalise_decision(label) == expected


@pytest.mark.parametrize("line", ["Accept (" + " " * 100_000, "Accept (" + "a" * 100_000, "Accept" + " (a" * 50_000,
                                  "Desk" + " -" * 50_000, "." * 100_000, ". " * 50_000 + "x", "Reject" + " ." * 50_000 + "x",
                                  "Accept" + "-" * 100_000 + "x", "Decision" + " -" * 50_000,
                                  # A line of dashes failing at its end was quadratic (found by review).
                                  "Accept" + "-" * 100_000 + "!", "Accept -" + "-" * 100_000 + " x!",
                                  # A comma after a tier is read on (the badge's venue may follow).
                                  "Oral, " + "a" * 100_000, "Oral, ICLR" + "'" * 100_000, "Oral" + " ," * 50_000 + "x"])
def test_long_lines_that_almost_read_as_decisions_are_not_decisions(line):
    # "Accept (" and 6,000 spaces took the earlier pattern 68 s to refuse.
    assert normalise_decision(line) is None


def test_no_line_with_a_full_stop_or_comma_reads_as_a_decision():
    # What lets _decision_match skip such lines (most are abstracts) without reading them: all
    # but a comma after a tier ("Oral, ICLR 2024"), read as the badge it is before this match.
    from conftest import SOURCES

    from papers_db.decisions import DECISION_LINE
    from papers_db.readers.text import plain_line

    lines = [line for path in sorted(SOURCES.iterdir()) for line in path.read_text(errors="replace").splitlines()]
    lines += ["Accept (Poster).", "Accept (Oral, Talk)", "Reject,", "Withdrawn Submission.", "Accept: poster,\u200b"]
    marked = [line for line in lines if "." in line or "," in line]
    assert len(marked) > 100
    assert [line for line in marked if DECISION_LINE.match(plain_line(line))] == []
