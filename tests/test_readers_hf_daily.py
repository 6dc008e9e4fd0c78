"""The Hugging Face Daily Papers reader on small hand-written fixtures: one case per irregularity in SOURCES.md."""

import pytest
from listing_texts import ABSTRACT_A, ABSTRACT_B, ABSTRACT_C, HF_HEADER, SHORT_ABSTRACT, hf_page

from papers_db.readers.hf_daily import read_hf_daily_page


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
    # Said of the file, which may have no manifest at all (review: "the manifest gives no snapshot_date").
    assert reading.issues[0].message == ("page date 'Nov 12' has no year and the file has no snapshot_date (a "
                                         "manifest's [[source]] gives it): year-less entry dates stay unresolved")


def test_a_page_copied_without_its_header_is_not_said_to_have_one():
    # Found by review: "no page date ... after the header" of a page whose copy starts at its first entry.
    entry = ["Sparse Kernels", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 11"]
    for lines, where in (([""] + entry, "and no page header (the copy starts below it)"),
                         (HF_HEADER[:10] + [""] + entry, "after the header")):
        reading = read_hf_daily_page("\n".join(lines), snapshot_date="2025-11-12")
        assert [r.title for r in reading.records] == ["Sparse Kernels"]
        assert [(issue.code, issue.message) for issue in reading.issues] == [
            ("missing_page_date", f"no page date (such as 'Nov 12') {where}")]


def test_hf_page_date_that_disagrees_with_manifest_is_reported():
    reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A]), snapshot_date="2025-11-13")
    assert [i.code for i in reading.issues] == ["page_date_mismatch"]


def test_hf_impossible_date_is_reported_not_guessed():
    text = hf_page(["Title", "", ABSTRACT_A, "", "  • 2 authors", "·", "Feb 30, 2024"])
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert reading.records[0].published_on is None
    assert [(i.line, i.code) for i in reading.issues] == [(19, "invalid_date")]


def test_a_year_without_its_comma_is_read_as_the_year_and_reported():
    # "Mar 5 2024" gave 2024 upvotes and the date 2025-03-05, year inferred, with no issue.
    cases = {
        "Mar 5 2024": ("2024-03-05", False, None, [(19, "year_without_comma")]),
        "Mar 5 1999": ("1999-03-05", False, None, [(19, "year_without_comma")]),
        "Mar 5, 2024 2024": ("2024-03-05", False, 2024, []),  # with its comma: a year, then upvotes
        "Mar 5 302": ("2025-03-05", True, 302, []),
        "Mar 5 2200": ("2025-03-05", True, 2200, []),  # no year of a paper: upvotes
    }
    for line, expected in cases.items():
        record, issues = read_one_entry("  • 2 authors", line)
        assert (record.published_on, record.published_year_inferred, record.upvotes, issues) == expected, line
        assert record.date_text == line


def test_a_date_after_the_page_was_saved_is_kept_and_reported():
    # A page saved on 2025-11-12 cannot list a paper published on 2025-12-23 or in 2031.
    for line, published in (("Dec 23, 2025", "2025-12-23"), ("Mar 6, 2031 5", "2031-03-06")):
        record, issues = read_one_entry("  • 2 authors", line)
        assert (record.published_on, issues) == (published, [(19, "date_after_snapshot")]), line
    record, issues = read_one_entry("  • 2 authors", "Nov 12, 2025")  # the day it was saved
    assert (record.published_on, issues) == ("2025-11-12", [])
    record, issues = read_one_entry("  • 2 authors", "Dec 23")  # no year: the year before, as always
    assert (record.published_on, issues) == ("2024-12-23", [])


def read_one_entry(authors_line, date_line):
    reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A, "", authors_line, "·", date_line]), "2025-11-12")
    assert len(reading.records) == 1 and reading.unaccounted_lines() == []
    return reading.records[0], [(issue.line, issue.code) for issue in reading.issues]


def test_odd_whitespace_on_date_upvote_and_author_lines_reads_as_a_person_reads_it():
    # Lines 17 to 19 of the page; these once lost the date or the upvotes without an issue.
    for space in ("\u3000", "\x0c", "\u2028", "\u00a0", "\t", "\x1f", " \u200b"):  # a zero-width space is nothing
        record, issues = read_one_entry(f"  •{space}8 authors{space}", f"Nov{space}3,{space}2024{space}12{space}")
        assert (record.authors_count, record.published_on, record.upvotes, issues) == (8, "2024-11-03", 12, []), repr(space)
        assert record.date_text == f"Nov{space}3,{space}2024{space}12{space}"  # kept as written


def test_counts_too_large_for_sqlite_are_parse_issues():
    huge = "9" * 19  # above 2**63 - 1, the largest integer SQLite stores
    record, issues = read_one_entry(f"  • {huge} authors", f"Nov 3 {huge}")
    assert (record.authors_count, record.upvotes, record.published_on) == (None, None, "2025-11-03")
    assert issues == [(17, "number_too_large"), (19, "number_too_large")]
    record, issues = read_one_entry(f"  • {'7' * 100_000} authors", f"Nov 3 {'0' * 100_000}5")  # past int()'s 4,300 digits
    assert (record.authors_count, record.upvotes, issues) == (None, 5, [(17, "number_too_large")])
    record, issues = read_one_entry("  • 12 authors", f"Nov 3 {2**63 - 1}")
    assert (record.upvotes, issues) == (2**63 - 1, [])


def test_an_organisation_needs_a_letter_or_digit_and_a_bad_author_line_is_reported():
    record, issues = read_one_entry("  • -3 authors", "Nov 3")
    assert (record.organization, record.authors_count, issues) == (None, None, [(17, "bad_authors_line")])
    record, issues = read_one_entry("- ~", "Nov 3")
    assert (record.organization, issues) == (None, [(17, "bad_organization")])
    record, issues = read_one_entry("meta-llama Meta Llama", "Nov 3")
    assert (record.organization, issues) == (("meta-llama", "Meta Llama"), [])


def test_an_organisation_keeps_its_handle_and_name_as_the_page_wrote_them():
    # Only recognising the line reads its plain form: the name was stored plain, and a Persian
    # name lost the zero-width non-joiner its spelling needs (U+200C in دانش‌های), a Hindi one
    # its joiner, a name its no-break space and double space.
    for line, organization in (
        ("ipm پژوهشگاه دانش\u200cهای بنیادی", ("ipm", "پژوهشگاه دانش\u200cهای بنیادی")),
        ("iitm IIT\u00a0Madras  \u200dलैब", ("iitm", "IIT\u00a0Madras  \u200dलैब")),
        ("  acme\u3000Acme\u00a0Inc.\t", ("acme", "Acme\u00a0Inc.")),  # an ideographic space between them
        ("\u200fsharif شریف\u200f", ("\u200fsharif", "شریف\u200f")),  # right-to-left marks at either end
        ("\u2068isolate\u2069 Isolated Name", ("\u2068isolate\u2069", "Isolated Name")),  # an isolate, both its marks
        ("\u200b meta-llama Meta Llama\u00a0", ("meta-llama", "Meta Llama")),  # an invisible word: nothing; spaces at the ends
        ("openai \u200b", ("openai", "openai")),  # nothing visible after the handle: no name
        ("a\u200cb  Name", ("a\u200cb", "Name")),  # inside the handle: kept
        ("openai", ("openai", "openai")),  # a handle alone names itself
    ):
        record, issues = read_one_entry(line, "Nov 3")
        assert (record.organization, issues) == (organization, []), repr(line)


def test_an_author_line_without_its_bullet_is_still_an_author_count():
    for line in ("3 authors", "1 author", "\u20033 authors", "3 Authors", "3 AUTHORS"):  # the organisation "3" named "authors"
        record, issues = read_one_entry(line, "Nov 3")
        assert (record.authors_count, record.organization, issues) == (int(line.strip()[0]), None, []), repr(line)


def test_an_entry_without_an_author_line_keeps_its_abstract():
    # "·" right after the abstract: the abstract is not an organisation ("We", "study ..."); the
    # date is still read, and the missing line is reported where the "·" is.
    reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A, "", "·", "Nov 3 12"]), "2025-11-12")
    [record] = reading.records
    assert (record.title, record.abstract, record.organization, record.authors_count) == ("Title", ABSTRACT_A, None, None)
    assert (record.line, record.last_line, record.date_text, record.upvotes) == (13, 18, "Nov 3 12", 12)
    assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "missing_authors")]
    assert reading.unaccounted_lines() == []


def test_text_right_before_the_dot_is_never_an_organisation():
    # An entry with no author line, whose last line before "·" is text: each became an
    # organisation named after its first word ("Code" named "is available online."), silently.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "Code is available online.", "·", "Nov 3 8"],  # 13..19
        ["Title Two", "", ABSTRACT_C, "", ABSTRACT_B, "·", "Nov 4 5"],  # 21..27: a second paragraph
        ["Title Three", "", "We study kernels.", "·", "Nov 5 6"],  # 29..33: a short abstract
        ["Title Four", "", ABSTRACT_A + " Four.", "", "acme Acme Inc.", "·", "Nov 6 7"],  # 35..41: an organisation
        ["Title Five", "", "google Google DeepMind", "·", "Nov 7 1"],  # 43..47: a title, its organisation
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.organization, r.date_text) for r in reading.records] == [
        (13, 19, "Title One", ABSTRACT_A + "\nCode is available online.", None, "Nov 3 8"),
        (21, 27, "Title Two", ABSTRACT_C + "\n" + ABSTRACT_B, None, "Nov 4 5"),
        (29, 33, "Title Three", "We study kernels.", None, "Nov 5 6"),
        (35, 41, "Title Four", ABSTRACT_A + " Four.", ("acme", "Acme Inc."), "Nov 6 7"),
        (43, 47, "Title Five", None, ("google", "Google DeepMind"), "Nov 7 1"),
    ]
    # Each reading of text is reported where the author line should have been.
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (17, "abstract_paragraph"), (18, "missing_authors"), (25, "abstract_paragraph"), (26, "missing_authors"),
        (32, "missing_authors"), (43, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_a_date_line_the_reader_does_not_know_is_reported_not_made_a_paper():
    # After "·", where the date goes: not a title when no abstract follows. A missing date line
    # before the next entry's title is still the cut-off block it was.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "11/03/2025"],  # 13..19: which is the month?
        ["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·"],  # 21..26: its date is missing
        ["Title Three", "", ABSTRACT_C, "", "  • 4 authors", "·", "Nov 3, 25"],  # 28..34
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.date_text, r.published_on) for r in reading.records] == [
        (13, 19, "Title One", "11/03/2025", None), (21, 26, "Title Two", None, None),
        (28, 34, "Title Three", "Nov 3, 25", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (19, "bad_date"), (26, "truncated_metadata"), (34, "bad_date")]
    assert reading.unaccounted_lines() == []


def test_a_second_pages_header_is_reported_not_made_papers():
    first = hf_page(["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3 5"])  # 13..19
    second = hf_page(["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 4 6"])
    reading = read_hf_daily_page(first + second, "2025-11-12")
    assert [(r.title, r.date_text) for r in reading.records] == [("Title One", "Nov 3 5"), ("Title Two", "Nov 4 6")]
    header_lines = len(first.splitlines()) + 1
    date_line = header_lines + HF_HEADER.index("Nov 12")
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (header_lines, "second_page_header"), (date_line, "pasted_page_date")]
    assert reading.unaccounted_lines() == []


def test_a_pasted_pages_entries_are_read_with_its_own_date():
    # Its entries were read with the first page's date: "Nov 15" under a pasted "Nov 20, 2025"
    # was 2024-11-15, after a first page of Nov 12, 2025.
    first = with_page_date("Nov 12, 2025")
    second = hf_page(["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 15 4"]).replace(
        "\nNov 12\n", "\nNov 20, 2025\n")
    reading = read_hf_daily_page(first + second, snapshot_date=None)
    assert [(r.title, r.published_on, r.published_year_inferred) for r in reading.records] == [
        ("Title", "2025-03-13", True), ("Title Two", "2025-11-15", True)]
    assert [issue.code for issue in reading.issues] == ["second_page_header", "pasted_page_date"]
    assert "2025-11-20" in reading.issues[1].message
    # Without its year and without a snapshot, a pasted page's date is in the year nearest the first
    # page's: Dec 1 after a page of Nov 12, 2025 is 19 days after it, not 346 days before.
    second = second.replace("\nNov 20, 2025\n", "\nDec 1\n").replace("Nov 15 4", "Nov 30 4")
    reading = read_hf_daily_page(first + second, snapshot_date=None)
    assert [r.published_on for r in reading.records] == ["2025-03-13", "2025-11-30"]
    assert "2025-12-01" in reading.issues[1].message
    # With a snapshot, no page saved then is of a later day: on or before it, as an entry's date is.
    reading = read_hf_daily_page(first + second, snapshot_date="2025-11-12")
    assert [r.published_on for r in reading.records] == ["2025-03-13", "2024-11-30"]
    assert "2024-12-01" in reading.issues[-1].message
    assert reading.unaccounted_lines() == []


def page_of_day(page_date, entry_date, title):
    return hf_page([title, "", ABSTRACT_A, "", "  • 2 authors", "·", entry_date]).replace("\nNov 12\n", f"\n{page_date}\n")


@pytest.mark.parametrize("snapshot, pages, expected", [
    # Daily pages appended to one file in date order: each pasted page was read against the page
    # pasted before it, the third a year early with its entries (review).
    ("2025-11-12", [("Nov 10", "Nov 9 3"), ("Nov 11", "Nov 11 7"), ("Nov 12", "Nov 12 4")],
     ["2025-11-09", "2025-11-11", "2025-11-12"]),
    ("2026-01-02", [("Jan 2", "Jan 1 3"), ("Dec 31", "Dec 30 5"), ("Jan 1", "Dec 30 1"), ("Jan 2", "Jan 2")],
     ["2026-01-01", "2025-12-30", "2025-12-30", "2026-01-02"]),
    # Without a snapshot, the year nearest the first page's printed date.
    (None, [("Dec 30, 2025", "Dec 29 3"), ("Dec 31", "Dec 31 1"), ("Jan 1", "Dec 31 2"), ("Jan 2", "Jan 2 9")],
     ["2025-12-29", "2025-12-31", "2025-12-31", "2026-01-02"]),
])
def test_each_pasted_page_is_dated_against_the_first_page_not_the_one_before(snapshot, pages, expected):
    text = "".join(page_of_day(page, entry, f"Title {number}") for number, (page, entry) in enumerate(pages))
    reading = read_hf_daily_page(text, snapshot)
    assert [r.published_on for r in reading.records] == expected
    assert [issue.code for issue in reading.issues].count("pasted_page_date") == len(pages) - 1
    assert reading.unaccounted_lines() == []


@pytest.mark.parametrize("snapshot, page_date, entries, expected", [
    # A page printed a day after the manifest's snapshot: the site's day (UTC) had begun where
    # the page was saved, or the snapshot was written a day early. "Nov 13" was put in 2024 (review).
    ("2025-11-12", "Nov 13", ["Nov 13 5", "Nov 12 2", "Nov 14 1"], ["2025-11-13", "2025-11-12", "2024-11-14"]),
    ("2025-12-31", "Jan 1", ["Jan 1 5", "Dec 31 2"], ["2026-01-01", "2025-12-31"]),
    ("2025-12-31", "Jan 1, 2026", ["Jan 1 5"], ["2026-01-01"]),
    # Two days after, or a day before, the snapshot is the page's bound, as it was.
    ("2025-11-12", "Nov 14", ["Nov 13 5", "Nov 12 2"], ["2024-11-13", "2025-11-12"]),
    ("2025-11-12", "Nov 11", ["Nov 12 5"], ["2025-11-12"]),
])
def test_a_page_dated_the_day_after_its_snapshot_bounds_its_own_dates(snapshot, page_date, entries, expected):
    text = hf_page(*([f"Title {number}", "", ABSTRACT_A, "", "  • 2 authors", "·", entry]
                     for number, entry in enumerate(entries))).replace("\nNov 12\n", f"\n{page_date}\n")
    reading = read_hf_daily_page(text, snapshot)
    assert [r.published_on for r in reading.records] == expected
    assert [issue.code for issue in reading.issues] == ["page_date_mismatch"]
    assert reading.unaccounted_lines() == []


def test_a_review_decision_in_a_page_is_reported_not_made_a_paper():
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3 5", "", "Accept (Poster)"],  # 13..21
        ["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 4 6"],  # 23..29
    ), "2025-11-12")
    assert [(r.line, r.title, r.date_text) for r in reading.records] == [(13, "Title One", "Nov 3 5"), (23, "Title Two", "Nov 4 6")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(21, "orphan_decision")]
    assert reading.unaccounted_lines() == []


def test_a_badge_in_brackets_between_entries_is_reported_not_made_a_paper():
    # As "Accept (Poster)" above: "[Oral]" was an entry titled so, without an abstract.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3 5", "", "[Oral]"],  # 13..21
        ["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 4 6", "", "(NeurIPS 2024 Poster)"],  # 23..31
    ), "2025-11-12")
    assert [(r.line, r.title) for r in reading.records] == [(13, "Title One"), (23, "Title Two")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(21, "orphan_decision"), (31, "orphan_decision")]
    assert reading.unaccounted_lines() == []


def test_an_abstract_in_two_paragraphs_stays_one_entrys():
    # The second paragraph made an untitled paper that took the entry's authors, date and upvotes.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", ABSTRACT_B, "", "  • 4 authors", "·", "Nov 3 8"],  # 13..21
        ["Title Two", "", ABSTRACT_C, "", "Code is available online.", "", "  • 2 authors", "·", "Nov 4 5"],  # 23..31
        ["Title Three", "", ABSTRACT_A + " Three.", "", "We release our code and models.", "", ABSTRACT_B + " Three."],  # 33..39
        ["Title Four", "", ABSTRACT_C + " Four.", "", "Code is available online"],  # 41..45: no full stop, no metadata
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count, r.upvotes) for r in reading.records] == [
        (13, 21, "Title One", ABSTRACT_A + "\n" + ABSTRACT_B, 4, 8),
        (23, 31, "Title Two", ABSTRACT_C + "\nCode is available online.", 2, 5),
        (33, 39, "Title Three", "\n".join([ABSTRACT_A + " Three.", "We release our code and models.", ABSTRACT_B + " Three."]),
         None, None),
        (41, 43, "Title Four", ABSTRACT_C + " Four.", None, None),
        (45, 45, "Code is available online", None, None, None),
    ]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (17, "abstract_paragraph"), (27, "abstract_paragraph"), (37, "abstract_paragraph"), (39, "abstract_paragraph"),
        (45, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_a_long_title_after_an_entry_without_metadata_is_the_next_entrys():
    # 30 words, no full stop: a title, though longer than any title a review listing's abstract follows.
    long_title = " ".join(f"Word{n}" for n in range(30))
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A],  # 13..15: no author/date block
        [long_title, "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 5"],  # 17..23
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count) for r in reading.records] == [
        (13, 15, "Title One", ABSTRACT_A, None), (17, 23, long_title, ABSTRACT_B, 2)]
    assert reading.issues == [] and reading.unaccounted_lines() == []


def test_the_next_entrys_title_is_never_a_paragraph_of_an_entry_without_metadata():
    # Titles in Title Case, even ending in a full stop or over 25 words; and a paragraph of 29
    # words that ends in a link rather than a full stop, before the author line.
    reasoners = "Large Language Models Are Zero-Shot Reasoners When Asked To Think Step By Step."
    link = ("The code, the trained models and every script that reproduces the tables and figures of this "
            "paper are released for anyone to use under an open licence at https://github.com/example/project")
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A],  # 13..15: no author/date block
        [reasoners, "", ABSTRACT_B, "", "  • 5 authors", "·", "Nov 3 12"],  # 17..23
        ["Title Three", "", ABSTRACT_C],  # 25..27: no author/date block
        ["Attention Is Not Explanation.", "", "  • 2 authors", "·", "Nov 4 5"],  # 29..33: a title alone
        ["Title Five", "", ABSTRACT_A + " Five.", "", link, "", "  • 3 authors", "·", "Nov 5 6"],  # 35..43
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count) for r in reading.records] == [
        (13, 15, "Title One", ABSTRACT_A, None),
        (17, 23, reasoners, ABSTRACT_B, 5),
        (25, 27, "Title Three", ABSTRACT_C, None),
        (29, 33, "Attention Is Not Explanation.", None, 2),
        (35, 43, "Title Five", ABSTRACT_A + " Five.\n" + link, 3),
    ]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(29, "missing_abstract"), (39, "abstract_paragraph")]
    assert reading.unaccounted_lines() == []


def test_an_abstract_in_three_paragraphs_stays_one_entrys():
    middle = "We further show that the same reweighting improves calibration on all five benchmarks."
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", middle, "", ABSTRACT_B, "", "  • 5 authors", "·", "Nov 3 12"],  # 13..23
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count) for r in reading.records] == [
        (13, 23, "Title One", "\n".join([ABSTRACT_A, middle, ABSTRACT_B]), 5)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "abstract_paragraph"), (19, "abstract_paragraph")]
    assert reading.unaccounted_lines() == []


def test_a_long_title_in_title_case_ending_in_a_full_stop_is_an_entrys_title():
    # With no abstract after it, it became an untitled paper whose abstract was the title.
    cited = "Why Do Deep Residual Networks Generalize Better than Deep Feedforward Networks? A Neural Tangent Kernel Perspective."
    reading = read_hf_daily_page(hf_page(
        [cited, "", "  • 4 authors", "·", "Mar 6 7"],  # 13..17
        ["Title Two", "", cited, "", ABSTRACT_A, "", "  • 2 authors", "·", "Mar 7 2"],  # 19..27: a title alone, then an entry
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count) for r in reading.records] == [
        (13, 17, cited, None, 4), (19, 19, "Title Two", None, None), (21, 27, cited, ABSTRACT_A, 2)]
    # The first has no abstract after it, so its form is also a short abstract's: that is named.
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (13, "title_or_abstract"), (13, "missing_abstract"), (19, "missing_abstract")]


def test_a_line_of_invisible_characters_alone_is_blank_in_a_page():
    reading = read_hf_daily_page(hf_page(["Title One", "\u200b", ABSTRACT_A, "\u200b", "  • 4 authors", "·", "Nov 3 8"]),
                                 "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count) for r in reading.records] == [
        (13, 19, "Title One", ABSTRACT_A, 4)]
    assert reading.issues == [] and reading.unaccounted_lines() == []


def test_an_abstract_label_line_in_a_page_is_a_label():
    reading = read_hf_daily_page(hf_page(["Title One", "", "Abstract", "", ABSTRACT_A, "", "  • 4 authors", "·", "Nov 3 8"]),
                                 "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract) for r in reading.records] == [(13, 21, "Title One", ABSTRACT_A)]
    assert reading.other_lines[15] == "label" and reading.issues == [] and reading.unaccounted_lines() == []


def test_text_without_a_full_stop_before_the_dot_is_not_an_organisation_and_names_still_are():
    # "Code is available at <link>" (no full stop) still made the organisation "Code"; names
    # ending in a full stop or in capitals stay organisations.
    for text in ("Code is available at https://github.com/foo/bar", "Code: https://github.com/foo/bar",
                 "Project page: https://foo.github.io/bar/"):
        reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A, "", text, "·", "Nov 3 5"]), "2025-11-12")
        [record] = reading.records
        assert (record.abstract, record.organization) == (ABSTRACT_A + "\n" + text, None), text
        assert [(i.line, i.code) for i in reading.issues] == [(17, "abstract_paragraph"), (18, "missing_authors")], text
    for line, organization in (("nvidia NVIDIA.", ("nvidia", "NVIDIA.")), ("lg LG AI Co.", ("lg", "LG AI Co.")),
                               ("allenai Allen Institute for AI.", ("allenai", "Allen Institute for AI.")),
                               ("samsung Samsung Electronics Co., Ltd.", ("samsung", "Samsung Electronics Co., Ltd."))):
        record, issues = read_one_entry(line, "Nov 3")
        assert (record.organization, issues) == (organization, []), line


def test_a_number_after_the_pages_year_is_upvotes_not_a_year():
    # A number after the page's year is no year of a paper the page lists: upvotes, said so.
    cases = {"Nov 3 2050": ("2025-11-03", True, 2050, [(19, "upvotes_like_a_year")]),
             "Nov 20 2026": ("2024-11-20", True, 2026, [(19, "upvotes_like_a_year")]),
             "Nov 3 2100": ("2025-11-03", True, 2100, []),
             "Nov 3 1,999": ("2025-11-03", True, 1999, []),
             "Nov 3 2025": ("2025-11-03", False, None, [(19, "year_without_comma")])}
    for line, expected in cases.items():
        record, issues = read_one_entry("  • 2 authors", line)
        assert (record.published_on, record.published_year_inferred, record.upvotes, issues) == expected, line


def test_organisations_named_in_lower_case_and_notes_before_the_dot():
    # The third review: display names in lower case (as Hugging Face shows many) had become
    # abstract paragraphs, and notes such as "Preprint. Under review." organisations.
    for line in ("inclusionAI inclusionAI", "mlfoundations mlfoundations", "rednote-hilab rednote-hilab",
                 "h2oai h2o.ai", "tencent tencent", "facebook AI at Meta", "allenai Ai2", "adobe Adobe"):
        record, issues = read_one_entry(line, "Nov 3")
        assert (record.organization, issues) == (tuple(line.split(" ", 1)), []), line
    for text in ("Preprint. Under review.", "NeurIPS 2025.", "ICCV 2025 Highlight.", "Preprint."):
        reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A, "", text, "·", "Nov 3 5"]), "2025-11-12")
        [record] = reading.records
        assert (record.abstract, record.organization) == (ABSTRACT_A + "\n" + text, None), text
        assert [(i.line, i.code) for i in reading.issues] == [(17, "abstract_paragraph"), (18, "missing_authors")], text


def test_an_organisation_line_that_may_be_text_is_reported():
    # The fourth review: no form tells "princeton-nlp Princeton NLP group" or "laion LAION eV"
    # (organisations) from "Accepted at ACL 2025" or "Work in progress" (notes): each was read
    # one way or the other, silently. They are read as organisations, as the format says, and
    # the doubt is named at the line.
    for line in ("princeton-nlp Princeton NLP group", "laion LAION eV", "Accepted at ACL 2025", "Accepted to NeurIPS 2025",
                 "Work in progress", "Code and data available."):
        record, issues = read_one_entry(line, "Nov 3")
        assert (record.organization, issues) == (tuple(line.split(" ", 1)), [(17, "organisation_or_text")]), line
        assert record.abstract == ABSTRACT_A
    for line in ("MBZUAI Mohamed bin Zayed University of Artificial Intelligence", "mpi-inf Max-Planck-Institut für Informatik",
                 "uva-irlab University van Amsterdam", "Salesforce Salesforce AI Research", "Tencent Tencent Hunyuan Team",
                 "THUDM Knowledge Engineering Group (KEG) & Data Mining at Tsinghua University"):
        record, issues = read_one_entry(line, "Nov 3")
        assert (record.organization, issues) == (tuple(line.split(" ", 1)), []), line
    # A title where the organisation goes: the next entry's, its abstract and author line missing,
    # took the entry's place as its organisation with no issue (found by review).
    reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A, "", "Robust Learning From Noisy Labels", "·", "Nov 3"]),
                                 "2025-11-12")
    assert [(i.line, i.code) for i in reading.issues] == [(17, "organisation_or_text")]
    assert "were it the next entry's title, that entry has no abstract or author line" in reading.issues[0].message
    # A sentence's opening word is never a handle.
    reading = read_hf_daily_page(hf_page(["Title Three", "", "We study kernels.", "·", "Nov 5 6"]), "2025-11-12")
    assert [(r.abstract, r.organization) for r in reading.records] == [("We study kernels.", None)]


def test_upvotes_grouped_in_thousands_are_one_count():
    # "Nov 3 1,234" lost the whole date (bad_date): the reader took only plain digits for upvotes.
    cases = {
        "Nov 3 1,234": ("2025-11-03", True, 1234, []),
        "Nov 3, 2024 12,345,678": ("2024-11-03", False, 12345678, []),
        "Nov 3 2,024": ("2025-11-03", True, 2024, []),  # grouped: a count, never a year without its comma
    }
    for line, expected in cases.items():
        record, issues = read_one_entry("  • 2 authors", line)
        assert (record.published_on, record.published_year_inferred, record.upvotes, issues) == expected, line
        assert record.date_text == line
    for line in ("Nov 3 1,23", "Nov 3 1234,567", "Nov 3 ,123", "Nov 3 1,234,"):  # not grouped in thousands
        record, issues = read_one_entry("  • 2 authors", line)
        assert (record.published_on, record.upvotes, [code for _, code in issues]) == (None, None, ["bad_date"]), line


def test_a_line_of_the_pages_own_text_before_the_author_line_is_no_paper():
    # "Submitted by akhaliq" between an entry's abstract and its author line was a paper of its
    # own that took the entry's authors, date and upvotes, reported only as a title with no abstract.
    for stray in ("Submitted by akhaliq", "Show more", "View arXiv page", "Upvote", "12", "3 comments"):
        text = hf_page(["Title One", "", ABSTRACT_A, "", stray, "", "  • 8 authors", "·", "Nov 3 12"],
                       ["Title Two", "", ABSTRACT_B, "", "adobe Adobe", "·", "Nov 4"])
        reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
        assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count, r.published_on, r.upvotes)
                for r in reading.records] == [
            (13, 21, "Title One", ABSTRACT_A, 8, "2025-11-03", 12),
            (23, 29, "Title Two", ABSTRACT_B, None, "2025-11-04", None),
        ], stray
        assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "stray_line")]
        assert repr(stray) in reading.issues[0].message
        assert reading.unaccounted_lines() == []


def test_lines_of_the_pages_own_text_after_an_abstract_are_no_papers_and_elsewhere_stay_as_read():
    # Several in a row after an abstract: each was a paper of its own, the last one taking the
    # entry's block. Elsewhere such a line may be a title alone ("Comments", after a whole
    # entry) or an organisation right before the '·' ("360"): those read as before.
    text = hf_page(["Title One", "", ABSTRACT_A, "", "Submitted by akhaliq", "Upvote", "12", "", "  • 8 authors", "·",
                    "Nov 3"],  # 13..23
                   ["Title Two", "", ABSTRACT_B, "", "360", "·", "Nov 4"],  # 25..31
                   ["Comments", "", "  • 2 authors", "·", "Nov 5 9"])  # 33..37
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert [(r.line, r.last_line, r.title, r.authors_count, r.organization, r.published_on, r.upvotes)
            for r in reading.records] == [
        (13, 23, "Title One", 8, None, "2025-11-03", None), (25, 31, "Title Two", None, ("360", "360"), "2025-11-04", None),
        (33, 37, "Comments", 2, None, "2025-11-05", 9)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (17, "stray_line"), (18, "stray_line"), (19, "stray_line"), (33, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_a_title_with_no_abstract_stays_a_paper_after_an_entry_with_its_own_block_or_as_a_title_reads():
    # Only an entry still waiting for its author/date block can have been interrupted, and only
    # by a line of the page's own text: a title in Title Case or in sentence case (19 of the
    # bundled pages' 229 titles) with no abstract is a paper of its own, reported as such.
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 8 authors", "·", "Nov 3"],
                   ["the next paper has no abstract", "", "  • 2 authors", "·", "Nov 4"])
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert [(r.title, r.authors_count, r.published_on) for r in reading.records] == [
        ("Title One", 8, "2025-11-03"), ("the next paper has no abstract", 2, "2025-11-04")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(21, "missing_abstract")]
    for title in ("Learning To Rank Papers", "The probabilistic world"):
        text = hf_page(["Title One", "", ABSTRACT_A, "", title, "", "  • 8 authors", "·", "Nov 3"])
        reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
        assert [(r.title, r.authors_count) for r in reading.records] == [("Title One", None), (title, 8)], title
        assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "missing_abstract")], title


def test_page_text_after_an_abstract_in_other_forms_and_what_stays_as_read():
    # "Upvote 12", "34 upvotes" and a two-word "Submitted by" name are the page's text there too.
    for stray in ("Upvote 12", "34 upvotes", "Submitted by Ahsen Khaliq",
                  # A paper page's dates, a card's GitHub stars, a comment count after its word: each
                  # was a paper that took the entry's authors (found by review).
                  "Published on Nov 10", "Submitted by akhaliq on Nov 10", "1.2k", "GitHub 1.2k", "★ 1.2k", "⭐ 120",
                  "Comments 3",
                  # A paper page's arXiv id, its links and buttons, a card's counts after their
                  # symbols: each was a paper that took the entry's block (a review of other copies).
                  "arXiv:2503.10080", "arXiv 2502.00473v2", "2511.01234", "arXiv:cs/0112017", "Add to collection",
                  "Collection", "Collections including this paper 5", "Models citing this paper 3",
                  "Datasets citing this paper", "Paper page", "arXiv Page", "Share", "Copy link", "Upvoted",
                  "Sign in to upvote", "💬 3", "▲ 57",
                  # Other forms of these (review of the first rule).
                  "arXiv:2503.10080 [cs.CL]", "arXiv:2503.10080v2 [stat.ML]", "arxiv.org/abs/2503.10080", "Upvoted 57",
                  "Collections 5", "cs/0112017", "👍 57", "❤️ 57",
                  # Old archives, subject classes with dashes, a symbol and a count (review of the second rule).
                  "arXiv:math-ph/0001001", "arXiv:cmp-lg/9404001", "arXiv:2503.10080 [cond-mat.dis-nn]",
                  "arXiv:2503.10080 [physics.comp-ph]", "🔥 57", "👍 1.2k", "— 57", "→ 12",
                  "▲ 1,234", "arXiv:2503.10080 [cs.CL, cs.AI]"):
        record, issues = read_one_entry_after(stray)
        assert (record.authors_count, issues) == (8, [(17, "stray_line")]), stray
        # Between entries too (after a date with no count, a count alone is its upvotes: "1.2k").
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 8 authors", "·", "Nov 3 5", "", stray],
                                             ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4"]),
                                     "2025-11-12")
        assert [(r.title, r.authors_count) for r in reading.records] == [("Title One", 8), ("Title Two", 2)], stray
        assert [(issue.line, issue.code) for issue in reading.issues] == [(21, "stray_line")], stray
    # Elsewhere the same forms read as before: a title with its abstract after a title alone
    # ("1984"), and a paragraph that opens with "Submitted by" stays in the abstract.
    reading = read_hf_daily_page(hf_page(["Title Only Entry"], ["1984", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 3"]),
                                 "2025-11-12")
    assert [(r.line, r.title, r.abstract) for r in reading.records] == [(13, "Title Only Entry", None), (15, "1984", ABSTRACT_B)]
    paragraph = "Submitted by the authors to the NeurIPS 2025 workshop on efficient large models."
    record, issues = read_one_entry_after(paragraph)
    assert (record.abstract, issues) == (ABSTRACT_A + "\n" + paragraph, [(17, "abstract_paragraph")])


def read_one_entry_after(line):
    """The one entry of a page with `line` between its abstract and its author line, and its issues."""
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", line, "", "  • 8 authors", "·", "Nov 3"]),
                                 "2025-11-12")
    assert len(reading.records) == 1 and reading.unaccounted_lines() == []
    return reading.records[0], [(issue.line, issue.code) for issue in reading.issues]


def with_page_date(page_date):
    """A page of one entry whose header gives `page_date` in place of "Nov 12"."""
    text = hf_page(["Title", "", ABSTRACT_A, "", "  • 2 authors", "·", "Mar 13 5"])
    assert text.count("\nNov 12\n") == 1
    return text.replace("\nNov 12\n", f"\n{page_date}\n")


def test_a_page_date_with_its_year_is_the_page_date_and_gives_the_year():
    # "Nov 12, 2025" after the header was read as a paper titled so, with missing_abstract and
    # missing_page_date issues, and the year it printed was lost.
    reading = read_hf_daily_page(with_page_date("Nov 12, 2025"), snapshot_date=None)
    assert reading.page_date == "Nov 12, 2025"
    assert [(r.title, r.date_text, r.published_on, r.published_year_inferred) for r in reading.records] == [
        ("Title", "Mar 13 5", "2025-03-13", True)]
    assert reading.issues == [] and reading.unaccounted_lines() == []


def test_the_page_date_is_kept_as_printed_and_read_as_a_person_reads_it():
    # It was kept in its plain form: "Nov\u00a012" and "Nov  12" were stored "Nov 12".
    for printed in ("Nov\u00a012", "Nov  12", "  Nov 12, 2025\u3000", "Nov\u200b 12"):
        reading = read_hf_daily_page(with_page_date(printed), snapshot_date=None if "2025" in printed else "2025-11-12")
        assert reading.page_date == printed.strip(), repr(printed)
        assert [(r.published_on, r.published_year_inferred) for r in reading.records] == [("2025-03-13", True)]
        assert reading.issues == [] and reading.unaccounted_lines() == []


def test_a_page_date_with_its_year_is_checked_against_the_manifest():
    assert read_hf_daily_page(with_page_date("Nov 12, 2025"), snapshot_date="2025-11-12").issues == []
    reading = read_hf_daily_page(with_page_date("Nov 12, 2024"), snapshot_date="2025-11-12")
    assert [i.code for i in reading.issues] == ["page_date_mismatch"]
    assert reading.records[0].published_on == "2025-03-13"  # the manifest's snapshot decides, as before


def test_a_page_date_that_is_no_day_is_reported():
    reading = read_hf_daily_page(with_page_date("Feb 30, 2025"), snapshot_date=None)
    assert [i.code for i in reading.issues] == ["invalid_date"]
    assert reading.records[0].published_on is None and reading.page_date == "Feb 30, 2025"


def test_months_spelled_out_or_as_sept_are_dates():
    # "November 12" after the header was a paper titled so, and the page had no date; entry dates
    # so written were bad_date issues, their year never resolved.
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "September 3 5"],
                   ["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Sept 4, 2024"],
                   ["Title Three", "", ABSTRACT_C, "", "  • 4 authors", "·", "June 30"]).replace(
        "\nNov 12\n", "\nNovember 12\n")
    reading = read_hf_daily_page(text, snapshot_date=None)
    assert reading.page_date == "November 12" and [i.code for i in reading.issues] == ["unknown_page_year"]
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert reading.page_date == "November 12"
    assert [(r.title, r.date_text, r.published_on, r.upvotes) for r in reading.records] == [
        ("Title One", "September 3 5", "2025-09-03", 5), ("Title Two", "Sept 4, 2024", "2024-09-04", None),
        ("Title Three", "June 30", "2025-06-30", None)]
    assert reading.issues == [] and reading.unaccounted_lines() == []


def test_header_lines_in_another_case_or_spacing_are_the_header():
    # "by AK and the research community", "New" and the inbox line without its "!" were papers.
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3 5"])
    for written, variant in [("byAK and the research community", "by AK and the research community"),
                             ("new\n\nGet", "New\n\nGet"),
                             ("Get trending papers in your email inbox!", "Get trending papers in your email inbox"),
                             ("Daily Papers", "DAILY PAPERS")]:
        assert text.count(written) == 1
        reading = read_hf_daily_page(text.replace(written, variant), snapshot_date="2025-11-12")
        assert [(r.title, r.published_on) for r in reading.records] == [("Title One", "2025-11-03")], variant
        assert reading.page_date == "Nov 12" and reading.issues == [] and reading.unaccounted_lines() == []


def test_a_short_sentence_before_the_author_line_is_the_entrys_abstract():
    # "We make attention sparse." was a paper of its own that took the entry's authors, date and
    # upvotes, and left "Sparse Attention" without an abstract.
    reading = read_hf_daily_page(hf_page(
        ["Sparse Attention", "", "We make attention sparse.", "", "  • 3 authors", "·", "Nov 3 12"],  # 13..19
        ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 5"],  # 21..27
        # A title alone before an author line stays a title, in Title Case or without a full stop.
        ["Title Three", "", "Dense Attention Is Enough.", "", "  • 4 authors", "·", "Nov 5 6"],  # 29..35
        ["Title Four", "", "The probabilistic world", "", "  • 4 authors", "·", "Nov 6 7"],  # 37..43
    ), "2025-11-12")
    assert [(r.line, r.title, r.abstract, r.authors_count, r.upvotes) for r in reading.records] == [
        (13, "Sparse Attention", "We make attention sparse.", 3, 12), (21, "Title Two", ABSTRACT_B, 2, 5),
        (29, "Title Three", None, None, None), (31, "Dense Attention Is Enough.", None, 4, 6),
        (37, "Title Four", None, None, None), (39, "The probabilistic world", None, 4, 7)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (15, "short_abstract"), (29, "missing_abstract"), (31, "missing_abstract"), (37, "missing_abstract"),
        (39, "missing_abstract")]
    assert reading.unaccounted_lines() == []
    # Ending in a link, or before an organisation line and its '·': each was a paper that took the
    # entry's block (found by review). In Title Case, or a question (sentence-case titles end so:
    # review of the first rule), still a title.
    for sentence, block, organization in (
            ("We train language models faster. Code: https://github.com/foo/bar", ["  • 3 authors"], None),
            ("We make training faster.", ["adobe Adobe"], ("adobe", "Adobe"))):
        reading = read_hf_daily_page(hf_page(["Fast Training", "", sentence, "", *block, "·", "Nov 3 12"]), "2025-11-12")
        assert [(r.title, r.abstract, r.organization, r.upvotes) for r in reading.records] == [
            ("Fast Training", sentence, organization, 12)], sentence
        assert [(i.line, i.code) for i in reading.issues] == [(15, "short_abstract")], sentence
    for title in ("Is Attention All You Need?", "Are we done with MMLU?"):
        reading = read_hf_daily_page(hf_page(["Fast Training", "", title, "", "  • 3 authors", "·", "Nov 3 12"]),
                                     "2025-11-12")
        assert [(r.title, r.abstract, r.authors_count) for r in reading.records] == [
            ("Fast Training", None, None), (title, None, 3)], title
    # Between entries, page text before such a title stays the page's (review of the first rule).
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"], ["Upvote"],
                                         ["Are we done with MMLU?", "", "  • 3 authors", "·", "Nov 9 4"]), "2025-11-12")
    assert [(r.title, r.upvotes) for r in reading.records] == [("Title One", 12), ("Are we done with MMLU?", 4)]


def test_submitted_by_with_the_name_on_its_own_line_is_the_pages_text():
    # "Submitted by" then "akhaliq" were two papers, the second taking the entry's authors, date
    # and upvotes.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "Submitted by", "akhaliq", "", "  • 3 authors", "·", "Nov 3 12"],  # 13..22
        # Elsewhere a one-word line is what it reads as: here the next entry's title.
        ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 5"],  # 24..30
        ["Transformers", "", ABSTRACT_C],  # 32..34
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.authors_count, r.upvotes) for r in reading.records] == [
        (13, 22, "Title One", 3, 12), (24, 30, "Title Two", 2, 5), (32, 34, "Transformers", None, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "stray_line"), (18, "stray_line")]
    assert reading.unaccounted_lines() == []
    # Between entries too: "akhaliq" there was a paper without an abstract (noticed in the
    # fifty-second session); a one-word title with its abstract after it stays a title.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12", "", "Submitted by", "", "akhaliq"],  # 13..23
        ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 5", "", "Submitted by", "Transformers"],  # 25..34
        ["", ABSTRACT_C],  # 35..36
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.authors_count, r.upvotes) for r in reading.records] == [
        (13, 19, "Title One", 3, 12), (25, 31, "Title Two", 2, 5), (34, 37, "Transformers", None, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (21, "stray_line"), (23, "stray_line"), (33, "stray_line")]
    assert "right after 'Submitted by'" in reading.issues[1].message
    assert reading.unaccounted_lines() == []
    # Nor one whose abstract comes after a label or the page's own lines (review of the first rule).
    for between in (["Abstract"], ["Upvote", "57"]):
        reading = read_hf_daily_page(hf_page(
            ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"],
            ["Submitted by", "Transformers", "", *between, ABSTRACT_C, "", "  • 3 authors", "·", "Nov 9 4"]), "2025-11-12")
        assert [(r.title, r.abstract) for r in reading.records] == [("Title One", ABSTRACT_A), ("Transformers", ABSTRACT_C)]


def test_an_author_line_dot_and_date_joined_on_one_line_are_read_as_each():
    # "• 3 authors · Nov 3 12" was a paper titled so, and the entry lost its authors, date and
    # upvotes; "· Nov 4 7" after an author line was a paper too, and the entry's block cut off.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "  • 3 authors · Nov 3 12"],  # 13..17
        ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "· Nov 4 7"],  # 19..24
        ["Title Three", "", ABSTRACT_C, "", "  • 4 authors", "·", "Nov 5 8"],  # 26..32
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.authors_count, r.date_text, r.published_on, r.upvotes)
            for r in reading.records] == [
        (13, 17, "Title One", 3, "Nov 3 12", "2025-11-03", 12), (19, 24, "Title Two", 2, "Nov 4 7", "2025-11-04", 7),
        (26, 32, "Title Three", 4, "Nov 5 8", "2025-11-05", 8)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "joined_metadata"), (24, "joined_metadata")]
    assert reading.unaccounted_lines() == []
    # The date as the page wrote it, as on a line of its own (test_odd_whitespace_...).
    reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A, "", "  • 3 authors · Nov\u00a03  12\u200b "]),
                                 "2025-11-12")
    assert [(r.authors_count, r.date_text, r.published_on, r.upvotes) for r in reading.records] == [
        (3, "Nov\u00a03  12\u200b", "2025-11-03", 12)]


def test_a_block_between_entries_is_no_paper_and_a_title_over_its_dot_keeps_its_date():
    # Between two whole entries, a title with only '·' and a date after it (its abstract and author
    # line lost) was dropped as an organisation that follows no paper, and its date made a paper
    # titled "Nov 9 3"; an author or organisation line there left its date a paper too (review).
    first = ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 10 12"]  # 13..19
    last = ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 11 3"]  # 25..31
    reading = read_hf_daily_page(hf_page(first, ["Robust Learning From Noisy Labels", "·", "Nov 9 3"], last), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.published_on, r.upvotes) for r in reading.records] == [
        (13, 19, "Title One", ABSTRACT_A, "2025-11-10", 12),
        (21, 23, "Robust Learning From Noisy Labels", None, "2025-11-09", 3),
        (25, 31, "Title Two", ABSTRACT_B, "2025-11-11", 3)]
    assert [(i.line, i.code) for i in reading.issues] == [(21, "missing_authors"), (21, "missing_abstract")]
    for who in ("adobe Adobe", "  • 4 authors", "Qwen Qwen", "Salesforce Salesforce AI Research"):
        reading = read_hf_daily_page(hf_page(first, [who, "·", "Nov 9 3"], last), "2025-11-12")
        assert [r.title for r in reading.records] == ["Title One", "Title Two"], who
        assert [(i.line, i.code) for i in reading.issues] == [(21, "orphan_metadata"), (22, "orphan_metadata"),
                                                              (23, "orphan_metadata")], who
        assert reading.unaccounted_lines() == [], who
    # Joined on one line, or an author line with its '·': each was a paper titled so (review).
    for block in (["  • 4 authors · Nov 9 3"], ["  • 4 authors ·Nov 9 · 3"], ["  • 4 authors ·", "Nov 9 3"]):
        reading = read_hf_daily_page(hf_page(first, block, last), "2025-11-12")
        assert [r.title for r in reading.records] == ["Title One", "Title Two"], block
        assert [(i.line, i.code) for i in reading.issues] == [(21 + n, "orphan_metadata") for n in range(len(block))], block
        assert reading.unaccounted_lines() == [], block


def test_the_sites_summary_under_a_title_is_named_and_the_abstract_kept():
    # Hugging Face prints "AI-generated summary" and a summary of its own under a title, then the
    # abstract: the label was a paper, the summary took the abstract, authors and date, and the
    # title had none (found by review).
    summary = "A cheaper way to train language models."
    second = ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 11 3"]
    for between in (["AI-generated summary", "", summary, "", "Abstract", ""], ["AI-generated summary", summary],
                    ["AI generated summary:", "", summary, ""]):
        reading = read_hf_daily_page(hf_page(["Fast Training", "", *between, ABSTRACT_A, "", "  • 3 authors", "·",
                                              "Nov 10 12"], second), "2025-11-12")
        assert [(r.title, r.abstract, r.authors_count, r.published_on, r.upvotes) for r in reading.records] == [
            ("Fast Training", ABSTRACT_A, 3, "2025-11-10", 12), ("Title Two", ABSTRACT_B, 2, "2025-11-11", 3)], between
        summary_line = 15 + between.index(summary)  # the title is line 13, a blank line after it
        assert [(i.line, i.code) for i in reading.issues] == [(summary_line, "site_summary")], between
        assert repr(summary) in reading.issues[0].message
        assert reading.unaccounted_lines() == [], between
    # With no abstract after it, the one line under the label is the entry's text, its abstract,
    # before its author line or the next entry (there a paper of its own: review of the first rule).
    for after in (["  • 3 authors", "·", "Nov 10 12"], ["Title Two", "", ABSTRACT_B]):
        reading = read_hf_daily_page(hf_page(["Fast Training", "", "AI-generated summary", "", summary, "", *after]),
                                     "2025-11-12")
        assert [(r.title, r.abstract) for r in reading.records][0] == ("Fast Training", summary), after
        assert [(i.line, i.code) for i in reading.issues][0] == (17, "short_abstract"), after
    # Found by review of the first rule: the label with nothing under it took the next entry for
    # its summary; an abstract's first paragraph of two was taken for the summary; a paper titled
    # "AI Summary" was a label. Each reads as it did before the rule.
    first = ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 10 12"]  # 13..19
    reading = read_hf_daily_page(hf_page(first, ["Fast Training", "", "AI-generated summary"], second), "2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [
        ("Title One", ABSTRACT_A), ("Fast Training", None), ("Title Two", ABSTRACT_B)]
    reading = read_hf_daily_page(hf_page(["Fast Training", "", "AI-generated summary", "", ABSTRACT_A, "", ABSTRACT_C, "",
                                          "  • 3 authors", "·", "Nov 10 12"]), "2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [("Fast Training", ABSTRACT_A + "\n" + ABSTRACT_C)]
    assert [i.code for i in reading.issues] == ["abstract_paragraph"]
    reading = read_hf_daily_page(hf_page(first, ["Some Title"], ["AI Summary", "", ABSTRACT_C, "", "  • 3 authors", "·",
                                                                  "Nov 9 4"]), "2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [
        ("Title One", ABSTRACT_A), ("Some Title", None), ("AI Summary", ABSTRACT_C)]


def test_an_organisation_line_joined_to_its_date_or_a_dot_without_its_spaces_is_read_as_each():
    # "adobe Adobe" then "· Nov 10 12", or all on one line, were papers titled so (at a page's end,
    # the site's text); "• 3 authors·Nov 10 12" was a paper, "·Nov 10 12" one too, and
    # "• 3 authors ·" lost its count (found by review).
    second = ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 11 3"]
    for block, authors, organization, message in (
            (["adobe Adobe", "· Nov 10 12"], None, ("adobe", "Adobe"), "'·' and the date on one line"),
            (["adobe Adobe · Nov 10 12"], None, ("adobe", "Adobe"), "the organisation line, '·' and the date on one line"),
            (["adobe  Adobe Inc.·Nov 10 12"], None, ("adobe", "Adobe Inc."), "the organisation line, '·' and the date"),
            (["  • 3 authors·Nov 10 12"], 3, None, "the author line, '·' and the date on one line"),
            (["  • 3 authors", "·Nov 10 12"], 3, None, "'·' and the date on one line"),
            (["  • 3 authors ·", "Nov 10 12"], 3, None, "the author line and '·' on one line")):
        for entries in ((["Title One", "", ABSTRACT_A, "", *block], second), (second, ["Title One", "", ABSTRACT_A, "", *block])):
            reading = read_hf_daily_page(hf_page(*entries), "2025-11-12")
            records = {r.title: (r.abstract, r.authors_count, r.organization, r.published_on, r.upvotes) for r in reading.records}
            assert records == {"Title One": (ABSTRACT_A, authors, organization, "2025-11-10", 12),
                               "Title Two": (ABSTRACT_B, 2, None, "2025-11-11", 3)}, block
            assert [i.code for i in reading.issues] == ["joined_metadata"], block
            assert message in reading.issues[0].message, block
            assert reading.unaccounted_lines() == [], block
    # A damaged author line there is named as one, not as an organisation (review of the first rule).
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • -3 authors · Nov 9 5"]), "2025-11-12")
    assert [(i.line, i.code) for i in reading.issues] == [(17, "bad_authors_line"), (17, "joined_metadata")]
    assert "'• -3 authors · Nov 9 5': the author line, '·' and the date" in reading.issues[1].message
    # Text before '·' and a date is no organisation: the line stays as it was read before, a title
    # without an abstract, reported.
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "Code is available online. · Nov 10 12"]),
                                 "2025-11-12")
    assert [(r.title, r.organization) for r in reading.records] == [
        ("Title One", None), ("Code is available online. · Nov 10 12", None)]
    assert [(i.line, i.code) for i in reading.issues] == [(17, "missing_abstract")]


def test_a_phones_layout_with_a_dot_before_the_upvotes_is_read_as_each_part():
    # A phone's layout puts the upvotes after a '·' of their own: "3 authors · Nov 11 · 12" was a
    # paper titled so (reported only as missing its abstract), and the entry lost its authors,
    # date and upvotes; "Nov 5 · 1,234" where the date goes was a bad_date.
    reading = read_hf_daily_page(hf_page(
        ["Title One", "", ABSTRACT_A, "", "  • 3 authors · Nov 3 · 12"],  # 13..17
        ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "· Nov 4, 2024 · 7"],  # 19..24
        ["Title Three", "", ABSTRACT_C, "", "  • 4 authors", "·", "Nov 5 · 1,234"],  # 26..32
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.authors_count, r.date_text, r.published_on, r.upvotes)
            for r in reading.records] == [
        (13, 17, "Title One", 3, "Nov 3 · 12", "2025-11-03", 12),
        (19, 24, "Title Two", 2, "Nov 4, 2024 · 7", "2024-11-04", 7),
        (26, 32, "Title Three", 4, "Nov 5 · 1,234", "2025-11-05", 1234)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "joined_metadata"), (24, "joined_metadata")]
    assert [issue.message.split(": ", 1)[1] for issue in reading.issues] == [
        "the author line, '·', the date, '·' and its upvote count (a phone's layout) on one line, their line breaks "
        "lost: read as each",
        "'·', the date, '·' and its upvote count (a phone's layout) on one line, their line breaks lost: read as each"]
    assert reading.unaccounted_lines() == []
    # After a '·' of its own a number is the count, even one that reads as a year: no comma was
    # lost (without the '·', "Nov 11 2024" is the year, reported: year_without_comma).
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors · Nov 11 · 2024"],
                                         ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 10 · 2025"]),
                                 "2025-11-12")
    assert [(r.published_on, r.upvotes) for r in reading.records] == [("2025-11-11", 2024), ("2025-11-10", 2025)]
    assert [issue.code for issue in reading.issues] == ["joined_metadata"]
    # The date and its upvotes as the page wrote them, odd spaces and all.
    reading = read_hf_daily_page(hf_page(["Title", "", ABSTRACT_A, "", "  • 3 authors · Nov\u00a03 ·  12\u200b "]),
                                 "2025-11-12")
    assert [(r.authors_count, r.date_text, r.published_on, r.upvotes) for r in reading.records] == [
        (3, "Nov\u00a03 ·  12\u200b", "2025-11-03", 12)]
    # A title with a '·' in it, before or after an abstract, stays a title: only an author line
    # starts such a line.
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"],
                                         ["Vision · Language · 2", "", ABSTRACT_B]), "2025-11-12")
    assert [(r.title, r.upvotes) for r in reading.records] == [("Title One", 12), ("Vision · Language · 2", None)]
    assert reading.issues == []


def test_the_sites_text_above_the_header_is_reported_and_the_header_read():
    # The site's menu above the header was two papers, the header was read as a second page's and
    # its date was lost, so no entry's date had a year.
    text = "Models\nDatasets\n\n" + with_page_date("Nov 12, 2025")
    reading = read_hf_daily_page(text, snapshot_date=None)
    assert reading.page_date == "Nov 12, 2025"
    assert [(r.title, r.published_on) for r in reading.records] == [("Title", "2025-03-13")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(1, "before_header"), (2, "before_header")]
    assert reading.unaccounted_lines() == []
    # Lines above a header that is none (no "Daily Papers", no date after it) stay as they read.
    reading = read_hf_daily_page("Models\n\nSubscribe\n\nTitle\n\n" + ABSTRACT_A + "\n", snapshot_date=None)
    assert [(r.line, r.title) for r in reading.records] == [(1, "Models"), (5, "Title")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (None, "missing_page_date"), (3, "second_page_header"), (1, "missing_abstract")]


def test_a_page_cut_off_inside_its_last_abstract_keeps_it_as_the_abstract():
    cut = "We show that dense attention matches sparse attention on long"
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3 5"], ["Dense Attention", "", cut])
    reading = read_hf_daily_page(text, "2025-11-12", ends_mid_line=True)
    assert [(r.line, r.last_line, r.title, r.abstract) for r in reading.records] == [
        (13, 19, "Title One", ABSTRACT_A), (21, 23, "Dense Attention", cut)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(23, "truncated_record")]
    assert [r.title for r in read_hf_daily_page(text, "2025-11-12").records] == ["Title One", "Dense Attention", cut]
    for last in ("Accept (Poster)", "We show that sparse"):  # a decision, or too short to tell papers apart
        text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3 5"], ["Dense Attention", "", last])
        assert read_hf_daily_page(text, "2025-11-12", ends_mid_line=True) == read_hf_daily_page(text, "2025-11-12"), last


def test_a_written_year_before_1900_is_kept_and_reported():
    # "Nov 3, 0023" was taken as the year 23 without a word, and counted in papers_per_month.
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3, 0023 5"],
                                         ["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 4, 1900 6"]),
                                 "2025-11-12")
    assert [(r.date_text, r.published_on, r.upvotes) for r in reading.records] == [
        ("Nov 3, 0023 5", "0023-11-03", 5), ("Nov 4, 1900 6", "1900-11-04", 6)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(19, "date_before_1900")]


def test_entries_above_a_pasted_pages_header_are_read_not_taken_for_the_sites_text():
    # A page copied from its first entry down, with another page pasted after it: its entries were
    # all "before_header", the site's own text, and three papers with their authors, dates and
    # upvotes were not in the database (found by review). Only lines that read as no entry are.
    entries = [["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"],
               ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 7"]]
    above = "\n".join(line for entry in entries for line in [*entry, ""]) + "\n"
    pasted = hf_page(["Title Three", "", ABSTRACT_C, "", "  • 4 authors", "·", "Nov 11 3"]).replace("\nNov 12\n", "\nNov 11\n")
    reading = read_hf_daily_page(above + pasted, snapshot_date="2025-11-12")
    assert [(r.line, r.title, r.authors_count, r.published_on, r.upvotes) for r in reading.records] == [
        (1, "Title One", 3, "2025-11-03", 12), (9, "Title Two", 2, "2025-11-04", 7), (29, "Title Three", 4, "2025-11-11", 3)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (None, "missing_page_date"), (17, "second_page_header"), (27, "pasted_page_date")]
    assert reading.unaccounted_lines() == []
    # An entry's author line, '·' or date above the header is enough to tell; the site's prose is
    # not (a cookie notice made papers of the menu, found by review of the first fix).
    for line in ("• 3 authors", "·", "Nov 3 12"):
        reading = read_hf_daily_page(f"Models\n{line}\n\n" + with_page_date("Nov 12, 2025"), snapshot_date=None)
        assert "before_header" not in [issue.code for issue in reading.issues], line
    cookies = "We use cookies to improve your experience on our site. By using the site you agree to our policy."
    reading = read_hf_daily_page(f"Hugging Face\n\nModels\n\n{cookies}\n\n" + with_page_date("Nov 12, 2025"), None)
    assert [(r.title, r.published_on) for r in reading.records] == [("Title", "2025-03-13")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(1, "before_header"), (3, "before_header"),
                                                                    (5, "before_header")]


def test_the_pages_links_to_other_days_are_its_own_text_not_papers():
    # A copy that took the page's links to the day before and after ("Previous", "Nov 11",
    # "Nov 13", "Next") made a paper of each, reported only as missing its abstract.
    text = hf_page(["← Previous", "", "Nov 11", "", "Nov 13", "", "Next →"],  # 13..19
                   ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"],  # 21..27
                   ["Nov 10, 2025", "", "»"])  # 29..31: after the entries too
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.upvotes) for r in reading.records] == [(21, 27, "Title One", 12)]
    # Right after the page's date, "← Previous" is the header's own (below).
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (15, "stray_line"), (17, "stray_line"), (19, "stray_line"), (29, "stray_line"), (31, "stray_line")]
    assert reading.other_lines[13] == "header"
    assert reading.unaccounted_lines() == []
    # With its abstract after it, such a line is a paper's title, as any line is: right after it,
    # after a label, or after the lines a paper's own page prints there (found by review of the
    # first rule, which made "Abstract" and "akhaliq" the titles).
    reading = read_hf_daily_page(hf_page(["Next", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"],
                                         ["Nov 11", "", ABSTRACT_B]), "2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [("Next", ABSTRACT_A), ("Nov 11", ABSTRACT_B)]
    assert reading.issues == []
    block = ["", "  • 3 authors", "·", "Nov 3 12"]
    for title, between in (("Nov 11", ["Abstract"]), ("Previous", ["Abstract:"]),
                           ("2025-11-12", ["Submitted by", "akhaliq"]), ("Next", ["Published on Oct 9", "Upvote", "57"])):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, *block], [title, *between, ABSTRACT_B, *block]),
                                     "2025-11-12")
        assert [(r.title, r.abstract) for r in reading.records] == [("Title One", ABSTRACT_A), (title, ABSTRACT_B)], title
    # A date with an upvote count alone between entries is no link: it stays a title, as before.
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, *block], ["Nov 4 7"]), "2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [("Title One", ABSTRACT_A), ("Nov 4 7", None)]


def test_the_headers_tabs_week_and_links_around_its_date_are_the_headers():
    # The page's tabs ("Daily", "Weekly", "Monthly") under its date were three papers; a week's
    # page's "Week 46" where the date goes was a paper; "← Previous" and "Next →" around the date
    # made the date a link, and the page had none (found by review).
    entries = (["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 11 12"],
               ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 10 3"])
    for header, page_date in ((["Nov 12", "", "Daily", "", "Weekly", "", "Monthly"], "Nov 12"),
                              (["Daily", "Weekly", "Monthly", "Nov 12"], "Nov 12"),
                              (["← Previous", "", "Nov 12, 2025", "", "Next →"], "Nov 12, 2025"),
                              (["Previous", "Nov 12", "Next", "Daily"], "Nov 12"),
                              (["Week 46"], None), (["Week 46, 2025"], None)):
        text = hf_page(*entries).replace("\nNov 12\n", "\n" + "\n".join(header) + "\n", 1)
        reading = read_hf_daily_page(text, "2025-11-12")
        assert [(r.title, r.authors_count, r.published_on, r.upvotes) for r in reading.records] == [
            ("Title One", 3, "2025-11-11", 12), ("Title Two", 2, "2025-11-10", 3)], header
        assert reading.page_date == page_date, header
        assert [i.code for i in reading.issues] == ([] if page_date else ["missing_page_date"]), header
        assert reading.unaccounted_lines() == [], header
    # With its abstract or its author line after it, such a word is the first entry's title; and
    # between entries it is what it was before (review of the first rule: "Daily" over its author
    # line was a second page's header, its block orphaned).
    for entry in (["Daily", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 11 12"], ["Daily", "  • 3 authors", "·", "Nov 11 12"]):
        reading = read_hf_daily_page(hf_page(entry), "2025-11-12")
        assert [(r.title, r.authors_count) for r in reading.records] == [("Daily", 3)], entry
        reading = read_hf_daily_page(hf_page(entries[0], entry), "2025-11-12")
        assert [(r.title, r.authors_count) for r in reading.records] == [("Title One", 3), ("Daily", 3)], entry
        assert "second_page_header" not in [i.code for i in reading.issues]
    # A header line proper with the first entry's abstract after it (its title lost) stays the
    # header's: the first rule made "byAK and the research community" that entry's title.
    text = hf_page([ABSTRACT_A, "", "  • 3 authors", "·", "Nov 10 12"]).replace("\nNov 12\n", "\n", 1)
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [(None, ABSTRACT_A)]


def test_an_upvote_count_on_its_own_line_is_the_entrys_and_the_upvote_box_the_pages_text():
    # The count below its date ("Nov 3", then "12") was a paper titled "12", and the entry had no
    # upvotes; an upvote box ("Upvote", "12") before each title made two papers an entry (found by review).
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3", "12"],
                   ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 1,204", "7"])
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.upvotes) for r in reading.records] == [
        (13, 20, "Title One", 12), (22, 28, "Title Two", 1204)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(20, "upvotes_on_own_line"), (29, "stray_line")]
    assert reading.unaccounted_lines() == []
    text = hf_page(["Upvote", "12", "", "Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"],
                   ["Upvote", "7", "", "Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 7"])
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.line, r.title, r.upvotes) for r in reading.records] == [(16, "Title One", 12), (27, "Title Two", 7)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (13, "stray_line"), (14, "stray_line"), (24, "stray_line"), (25, "stray_line")]
    # A number with its abstract after it is still a title ("1984"), and so is one with its own
    # author line, organisation line or short abstract after it, even after a date with no count
    # (found by review of the first fix: "2048" became the entry's upvotes, and "Nov 3 5" a paper).
    reading = read_hf_daily_page(hf_page(["1984", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"]), "2025-11-12")
    assert [(r.title, r.upvotes) for r in reading.records] == [("1984", 12)]
    first = ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3"]
    for second, codes in ((["2048", "", "  • 3 authors", "·", "Nov 4 5"], ["missing_abstract"]),
                          (["2048", "", "OpenAI", "·", "Nov 4 5"], ["missing_abstract"]),
                          (["2048", "", "A game.", "", "  • 3 authors", "·", "Nov 4 5"], ["short_abstract"]),
                          (["Comments", "", "We comment.", "", "  • 3 authors", "·", "Nov 4 5"], ["short_abstract"])):
        reading = read_hf_daily_page(hf_page(first, second), "2025-11-12")
        assert [(r.title, r.upvotes, r.date_text) for r in reading.records] == [
            ("Title One", None, "Nov 3"), (second[0], 5, "Nov 4 5")], second
        assert [issue.code for issue in reading.issues] == codes, second
    # The count before the next entry with a short abstract, or before the site's footer, is still
    # the count (a rule asking for the next entry's full abstract made "12" a paper: found by review).
    reading = read_hf_daily_page(hf_page(first + ["12"], ["Second Paper Title", "", "We fix sampling.", "",
                                                          "  • 2 authors", "·", "Nov 4 5"]), "2025-11-12")
    assert [(r.title, r.upvotes) for r in reading.records] == [("Title One", 12), ("Second Paper Title", 5)]
    reading = read_hf_daily_page(hf_page(first + ["12"], ["Company", "TOS", "Privacy"]), "2025-11-12")
    assert [(r.title, r.upvotes) for r in reading.records] == [("Title One", 12)]
    assert [issue.code for issue in reading.issues] == ["upvotes_on_own_line"] + ["after_entries"] * 3


def test_the_sites_text_below_the_last_entry_is_reported_not_made_papers():
    # The site's footer below the entries ("System theme", "Company", "TOS", ...) was six papers,
    # each "a title with no abstract after it" (found by review).
    footer = ["System theme", "Company", "TOS", "Privacy Policy", "About", "Jobs"]
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"], footer)
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.line, r.title) for r in reading.records] == [(13, "Title One")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(n, "after_entries") for n in range(21, 27)]
    assert reading.unaccounted_lines() == []
    # One title alone at the end, or titles of more words, stay papers, reported as before.
    # Nor short titles each on a line of its own, blank lines between, as entries are written
    # ("Mixtral of Experts": found by review of the first fix).
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"],
                                         ["Mixtral of Experts"], ["Qwen2.5 Technical Report"]), "2025-11-12")
    assert [r.title for r in reading.records] == ["Title One", "Mixtral of Experts", "Qwen2.5 Technical Report"]
    for tail in (["Dense Attention"], ["Dense Attention Is All You Need", "Sparse Attention Is Enough Too"]):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"], tail),
                                     "2025-11-12")
        assert [r.title for r in reading.records] == ["Title One", *tail]
        assert [issue.code for issue in reading.issues] == ["missing_abstract"] * len(tail)


ENTRY_ONE = ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 12"]


@pytest.mark.parametrize("footer", [
    # A blank line inside the footer, the footer in columns, a link alone after the rest: each
    # group was papers, only the last run of lines taken for the footer (a review of other copies).
    ["System theme", "", "Company", "TOS", "Privacy"],
    ["Hugging Face's logo", "System theme", "", "Company", "TOS", "Privacy", "About", "Jobs", "", "Website", "Models",
     "Datasets", "Spaces", "Pricing", "Docs"],
    ["Company", "TOS", "", "Privacy"],
    ["Company", "TOS", "Privacy", "", "© Hugging Face"],  # the copyright line alone (review of the first rule)
    ["Company", "TOS", "Privacy", "", "Copyright © 2025 Hugging Face"], ["Company", "TOS", "", "(c) Hugging Face, Inc."],
    ["Company", "TOS", "Privacy", "", "Copyright 2025 Hugging Face"],
])
def test_the_sites_footer_in_groups_is_reported_not_made_papers(footer):
    text = "\n".join(hf_page(ENTRY_ONE).splitlines() + [""] + footer) + "\n"
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [r.title for r in reading.records] == ["Title One"]
    footer_lines = [number for number, line in enumerate(text.splitlines(), start=1) if line in footer and line]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(n, "after_entries") for n in footer_lines]
    assert reading.unaccounted_lines() == []


def test_the_sites_footer_on_a_page_without_entries_and_between_pasted_pages_is_no_papers():
    # An empty day's page with the footer made four papers; two pages pasted into one file, the
    # first's footer and the second's menu between them, nine (a review of other copies).
    empty = "\n".join(HF_HEADER + ["System theme", "Company", "TOS", "Privacy"]) + "\n"
    reading = read_hf_daily_page(empty, "2025-11-12")
    assert reading.records == [] and [issue.code for issue in reading.issues] == ["after_entries"] * 4
    between = ["System theme", "Company", "TOS", "", "Models", "Datasets", "Spaces", "Pricing", "Log In", "Sign Up", ""]
    second = hf_page(["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 6"])
    text = hf_page(ENTRY_ONE) + "\n".join(between) + "\n" + second
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [r.title for r in reading.records] == ["Title One", "Title Two"]
    first_page_lines = len(hf_page(ENTRY_ONE).splitlines())
    assert sorted((issue.line, issue.code) for issue in reading.issues) == [
        (first_page_lines + number, "after_entries") for number, line in enumerate(between, start=1) if line] + [
        (first_page_lines + len(between) + 1, "second_page_header"),
        (first_page_lines + len(between) + 1 + HF_HEADER.index("Nov 12"), "pasted_page_date")]
    assert reading.unaccounted_lines() == []
    # Short titles alone on a page without entries, none the site's link, stay papers, as at the end.
    reading = read_hf_daily_page("\n".join(HF_HEADER + ["Mixtral of Experts", "Qwen Report"]) + "\n", "2025-11-12")
    assert [r.title for r in reading.records] == ["Mixtral of Experts", "Qwen Report"]


@pytest.mark.parametrize("header", [
    # Lines of the header run together on one, or the byline broken over several: each was a paper,
    # and the page's date under it too (a review of other copies).
    ["new", "Get trending papers in your email inbox!", "Subscribe", "Daily Papers by AK and the research community"],
    ["new", "Get trending papers in your email inbox! Subscribe", "Daily Papers", "byAK and the research community"],
    ["new Get trending papers in your email inbox! Subscribe Daily Papers byAK and the research community"],
    ["Daily Papers", "by", "AK", "and the research community"],
    ["Daily Papers", "by AK", "and the research community"],
    ["Daily Papers — by AK and the research community"], ["Daily Papers · by AK and the research community"],
    ["Daily Papers ⋅ by AK and the research community"], ["Daily Papers ‧ by AK and the research community"],
    ["Daily Papers » by AK and the research community"], ["Daily Papers ❯ by AK and the research community"],
    ["Daily Papers ／ by AK and the research community"],
])
def test_the_header_joined_or_broken_otherwise_is_the_header(header):
    text = "\n\n".join(header + ["Nov 12", *ENTRY_ONE[:1], ABSTRACT_A]) + "\n\n" + "\n".join(ENTRY_ONE[4:]) + "\n"
    reading = read_hf_daily_page(text, "2025-11-12")
    assert reading.page_date == "Nov 12"
    assert [(r.title, r.authors_count, r.published_on) for r in reading.records] == [("Title One", 3, "2025-11-03")]
    assert reading.issues == [] and reading.unaccounted_lines() == []


@pytest.mark.parametrize("week", ["Week 47 of 2025", "2025-W47", "W47", "Nov 17 - Nov 23", "Nov 17 – 23, 2025",
                                  "Week 47 (Nov 17 - Nov 23)", "Weekly Papers", "Monthly Papers", "17 Nov - 23 Nov",
                                  "Nov 17, 2025 - Nov 23, 2025", "17 - 23 Nov 2025", "Nov 17th - Nov 23rd",
                                  "2025-11-17 - 2025-11-23", "Nov 17 − Nov 23", "Nov 17 to Nov 23", "17–23 Nov",
                                  "17th - 23rd Nov", "17th to 23rd Nov 2025", "Week of Nov 17, 2025", "2025/11/17 - 2025/11/23"])
def test_a_week_or_months_page_heading_where_the_date_goes_is_the_headers(week):
    # "Week 47 of 2025", "Previous week" and the other forms of a week's heading were papers (review).
    text = "\n\n".join(["Daily Papers", week, "Previous week", *ENTRY_ONE[:1], ABSTRACT_A, "Next week"]).replace(
        ABSTRACT_A + "\n\nNext week", ABSTRACT_A + "\n\n" + "\n".join(ENTRY_ONE[4:]) + "\n\nNext week") + "\n"
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.title, r.authors_count, r.published_on) for r in reading.records] == [("Title One", 3, "2025-11-03")]
    assert [issue.code for issue in reading.issues] == ["missing_page_date", "stray_line"]
    assert reading.unaccounted_lines() == []


def test_an_organisation_line_beside_the_author_line_is_the_entrys():
    # "adobe Adobe" over "• 5 authors" was a paper titled so that took the entry's block, and under
    # it an author line that followed no paper (a review of other copies). A title there stays one.
    for block in (["adobe Adobe", "  • 5 authors", "·", "Oct 16 2"], ["  • 5 authors", "adobe Adobe", "·", "Oct 16 2"]):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", *block]), "2025-11-12")
        assert [(r.title, r.authors_count, r.organization, r.upvotes) for r in reading.records] == [
            ("Title One", 5, ("adobe", "Adobe"), 2)], block
        assert reading.issues == [] and reading.unaccounted_lines() == []
    # Handles that open with the name's first word, or a name that opens with the handle's word
    # (the second rule missed them: review).
    for organisation, who in (("deepseek-ai DeepSeek", ("deepseek-ai", "DeepSeek")), ("stepfun-ai StepFun", ("stepfun-ai", "StepFun")),
                              ("internlm Intern Large Models", ("internlm", "Intern Large Models")),
                              ("Qwen Qwen", ("Qwen", "Qwen")), ("Nvidia NVIDIA", ("Nvidia", "NVIDIA")), ("ibm IBM", ("ibm", "IBM"))):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", organisation, "  • 5 authors", "·", "Nov 10 7"]),
                                     "2025-11-12")
        assert [(r.title, r.authors_count, r.organization, r.upvotes) for r in reading.records] == [
            ("Title One", 5, who, 7)], organisation
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A], ["Vision Transformers Need Registers", "  • 5 authors",
                                                                         "·", "Oct 16 2"]), "2025-11-12")
    assert [(r.title, r.authors_count) for r in reading.records] == [("Title One", None), ("Vision Transformers Need Registers", 5)]
    # Titles whose later words repeat their first word's letters stay titles too, above the author
    # line or below it: the first rule took each for an organisation, unreported (review).
    for title in ("Graph Neural Networks for Graphs", "Reasoning About Reasoning", "Video Diffusion Models Are Video Learners",
                  "A Flexible Parametric Modelling Framework for Survival Analysis",
                  "On Distribution Shift in Learning-based Bug Detectors",
                  # Two-letter first words, and a name opening with the first word's letters (review).
                  "An Analysis of Tokenization", "On Online Learning Dynamics", "Is Isotropy Necessary?",
                  "Do Downstream Tasks Matter", "Graph GraphRAG Made Simple",
                  # A title's first word in capitals opening the next one's letters (review of the third rule).
                  "GraphGPT: Graph Instruction Tuning for Large Language Models",
                  "GraphRAG Graph Retrieval-Augmented Generation", "DeepSeek-V3 DeepSeek Is All You Need"):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A], [title, "  • 5 authors", "·", "Nov 10 7"]),
                                     "2025-11-12")
        assert [(r.title, r.authors_count, r.organization) for r in reading.records] == [
            ("Title One", None, None), (title, 5, None)], title
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 5 authors", title, "·", "Nov 10 7"]),
                                     "2025-11-12")
        assert reading.records[0].organization is None, title
        assert "orphan_metadata" in [issue.code for issue in reading.issues], title


def test_a_line_without_a_letter_or_digit_is_no_title_and_the_entry_keeps_its_block():
    # A rule, emoji or a terminal's colour codes between an abstract and its author line were a
    # paper of their own, which took the entry's authors, date and upvotes (found by review).
    for junk in ("-----", "🔥🔥🔥", "\x01\x02\x1b[31m\x07", "* * *"):
        text = hf_page(["Title One", "", ABSTRACT_A, "", junk, "", "  • 3 authors", "·", "Nov 3 5"],
                       [junk, "", "Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 7"])
        reading = read_hf_daily_page(text, "2025-11-12")
        assert [(r.line, r.last_line, r.title, r.authors_count, r.upvotes) for r in reading.records] == [
            (13, 21, "Title One", 3, 5), (25, 31, "Title Two", 2, 7)], repr(junk)
        assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "stray_line"), (23, "stray_line")]
        assert reading.unaccounted_lines() == []
    # A title of digits, or with one letter among signs, is still a title.
    for title in ("2048", "π", "C++"):
        reading = read_hf_daily_page(hf_page([title, "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 5"]), "2025-11-12")
        assert [(r.title, r.upvotes) for r in reading.records] == [(title, 5)] and reading.issues == []


def test_an_abstract_with_no_title_before_it_is_reported():
    # An entry whose title line was lost was read as an untitled paper without a word, while a
    # lost abstract is reported (found by review); every entry of a page has a title.
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 5"],
                   [ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 7"])
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.line, r.title, r.abstract is not None, r.upvotes) for r in reading.records] == [
        (13, "Title One", True, 5), (21, None, True, 7)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(21, "missing_title")]


def test_a_line_without_a_letter_or_digit_before_an_abstract_is_a_title():
    # The first fix took "∇" or "🤗" for the page's text even with an abstract after it, and the
    # entry lost its title (found by review): with an abstract after it, a line is a title.
    for title in ("∇", "🤗", "∞"):
        reading = read_hf_daily_page(hf_page([title, "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 5"]), "2025-11-12")
        assert [(r.line, r.title, r.upvotes) for r in reading.records] == [(13, title, 5)], title
        assert reading.issues == []


def test_a_terminals_escape_codes_of_any_kind_are_no_title():
    # `tput sgr0` writes "\x1b(B\x1b[m", whose "B" is a letter; a window title or a link is an
    # OSC sequence. Each was a paper that took the entry's authors, date and upvotes (found by review).
    for junk in ("\x1b(B\x1b[m", "\x1b]0;my terminal\x07", "\x1b]8;;https://example.org\x1b\\", "\x1b[1;32m\x1b[0m"):
        text = hf_page(["Title One", "", ABSTRACT_A, "", junk, "", "  • 3 authors", "·", "Nov 3 5"])
        reading = read_hf_daily_page(text, "2025-11-12")
        assert [(r.title, r.authors_count, r.upvotes) for r in reading.records] == [("Title One", 3, 5)], repr(junk)
        assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "stray_line")]
        assert repr(junk.strip()) in reading.issues[0].message  # as written, escapes shown
    # Text in colour is text.
    reading = read_hf_daily_page(hf_page(["\x1b[1mTitle One\x1b[0m", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 5"]),
                                 "2025-11-12")
    assert [r.title for r in reading.records] == ["\x1b[1mTitle One\x1b[0m"]


def test_a_rule_or_escape_codes_are_never_a_title_even_before_text():
    # Before a further paragraph, "-----" or a colour code was read as a title (the second fix
    # kept a line before an abstract a title, as "∇" is): a paper that took the entry's second
    # paragraph, authors and date (found by review). Punctuation alone is never a title.
    for junk in ("-----", "\x1b[0m", "* * *", "…"):
        text = hf_page(["Title One", "", ABSTRACT_A, "", junk, "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 3 5"])
        reading = read_hf_daily_page(text, "2025-11-12")
        assert [(r.title, r.abstract, r.authors_count, r.upvotes) for r in reading.records] == [
            ("Title One", ABSTRACT_A + "\n" + ABSTRACT_B, 3, 5)], repr(junk)
        assert [issue.code for issue in reading.issues] == ["stray_line", "abstract_paragraph"]


CHINESE_SHORT_ABSTRACT = "我们提出一种更快的稀疏注意力方法。"


def test_a_page_in_chinese_reads_short_abstracts_and_its_end_as_an_english_one():
    # A short sentence ending in 。 before the author line was a paper of its own, and a page
    # whose last abstract ends in 。 was reported cut off (found by review).
    from test_readers_review_listing import CHINESE_ABSTRACT_A, CHINESE_TITLE_A, CHINESE_TITLE_B

    text = hf_page([CHINESE_TITLE_A, "", CHINESE_SHORT_ABSTRACT, "", "  • 3 authors", "·", "Nov 3 5"],
                   [CHINESE_TITLE_B, "", CHINESE_ABSTRACT_A])
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.title, r.abstract, r.upvotes) for r in reading.records] == [
        (CHINESE_TITLE_A, CHINESE_SHORT_ABSTRACT, 5), (CHINESE_TITLE_B, CHINESE_ABSTRACT_A, None)]
    assert [issue.code for issue in reading.issues] == ["short_abstract"]


def test_a_placeholder_where_an_entrys_abstract_goes_is_no_paper():
    # It was a paper of its own, which took the entry's authors, date and upvotes (found by review).
    for placeholder in ("No abstract available", "Abstract coming soon!", "TBD", "The abstract will be added later!"):
        text = hf_page(["Title One", "", placeholder, "", "  • 3 authors", "·", "Nov 3 5"],
                       ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 7"])
        reading = read_hf_daily_page(text, "2025-11-12")
        assert [(r.line, r.title, r.abstract, r.authors_count, r.upvotes) for r in reading.records] == [
            (13, "Title One", None, 3, 5), (21, "Title Two", ABSTRACT_B, 2, 7)], placeholder
        assert [(issue.line, issue.code) for issue in reading.issues] == [(15, "placeholder_abstract"), (13, "missing_abstract")]


def test_a_paper_pages_own_lines_between_title_and_abstract_are_no_papers():
    # A paper's own page prints its dates, its submitter and its upvote box under the title: each
    # line was a paper, and the count ("57") took the abstract, authors, date and upvotes (found by review).
    text = hf_page(
        ["Agent Learning via Early Experience", "Published on Oct 9", "Submitted by", "yizhe", "Upvote", "57", ABSTRACT_A,
         "", "  • 9 authors", "·", "Oct 9 57"],  # 13..23
        ["Sparse Kernels", "Submitted by akhaliq on Nov 3", "upvotes 12", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 3"],  # 25..32
    )
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert [(r.line, r.last_line, r.title, r.abstract, r.authors_count, r.upvotes) for r in reading.records] == [
        (13, 23, "Agent Learning via Early Experience", ABSTRACT_A, 9, 57),
        (25, 32, "Sparse Kernels", ABSTRACT_B, 2, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (n, "stray_line") for n in (14, 15, 16, 17, 18, 26, 27)]
    assert reading.unaccounted_lines() == []
    # Its arXiv id there took the abstract and the entry's block, the title left without them (review).
    for between in (["arXiv 2502.00473"], ["arXiv:2502.00473v1", "Paper page"], ["Published on Feb 1", "arXiv:2502.00473"],
                    ["arXiv:2502.00473 [cs.LG]"], ["arxiv.org/abs/2502.00473"], ["cs/0112017"], ["Upvoted 57"], ["👍 57"]):
        reading = read_hf_daily_page(hf_page(["Weak-to-Strong Diffusion", "", *between, "", ABSTRACT_A, "",
                                              "  • 3 authors", "·", "Feb 1 2"]), "2025-11-12")
        assert [(r.title, r.abstract, r.authors_count, r.upvotes) for r in reading.records] == [
            ("Weak-to-Strong Diffusion", ABSTRACT_A, 3, 2)], between
        assert [issue.code for issue in reading.issues] == ["stray_line"] * len(between), between


def test_a_number_alone_after_a_title_is_a_title_where_no_page_line_comes_before_it():
    # "1984" with its abstract after it is a paper's title, and the title before it has no abstract.
    text = hf_page(["Sparse Kernels", "1984", ABSTRACT_A])
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [("Sparse Kernels", None), ("1984", ABSTRACT_A)]


def test_a_title_wrapped_over_two_lines_is_one_title():
    # "... A Survey of" / "Methods and Open Problems": each half was a paper, the second with the
    # abstract, authors and date (found by review). A second line that neither a joining word ends
    # nor one opens is a title of its own.
    text = hf_page(
        ["Efficient Attention for Long Sequences: A Survey of", "Methods, Benchmarks and Open Problems", "", ABSTRACT_A,
         "", "  • 4 authors", "·", "Nov 3 14"],  # 13..20
        ["Understanding Q-Value Divergence", "in Offline Reinforcement Learning", ABSTRACT_B],  # 22..24
        ["Sparse Kernels", "Dense Kernels", ABSTRACT_C],  # 26..28
    )
    reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
    assert [(r.line, r.last_line, r.title) for r in reading.records] == [
        (13, 20, "Efficient Attention for Long Sequences: A Survey of Methods, Benchmarks and Open Problems"),
        (22, 24, "Understanding Q-Value Divergence in Offline Reinforcement Learning"),
        (26, 26, "Sparse Kernels"), (27, 28, "Dense Kernels")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (14, "wrapped_title"), (23, "wrapped_title"), (26, "missing_abstract")]


def test_a_venue_line_can_end_a_wrapped_title():
    # "Highlights of the" / "NeurIPS 2023 Datasets and Benchmarks Oral" with the abstract after it:
    # one title, as before review listings' venue lines were decisions (found by review).
    reading = read_hf_daily_page(hf_page(["Highlights of the", "NeurIPS 2023 Datasets and Benchmarks Oral", ABSTRACT_A, "",
                                          "  • 4 authors", "·", "Nov 3 14"]), snapshot_date="2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [
        ("Highlights of the NeurIPS 2023 Datasets and Benchmarks Oral", ABSTRACT_A)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(14, "wrapped_title")]


def test_a_page_date_in_another_form_is_the_pages_date():
    # Saved in another locale or by another tool, the header's date was a paper titled so, and the
    # page had no date (found by review).
    for printed in ("12 Nov", "12 nov.", "2025-11-12", "Wed, Nov 12", "Nov 12th", "12th of November", "12 November 2025",
                    "Wednesday, November 12, 2025", "NOV 12 2025"):
        text = "\n".join(HF_HEADER[:10] + [printed] + ["", "Sparse Kernels", "", ABSTRACT_A, "", "  • 3 authors", "·", "Dec 3 5"])
        for snapshot in (None, "2025-11-12"):
            reading = read_hf_daily_page(text, snapshot_date=snapshot)
            assert reading.page_date == printed, printed
            yearless = snapshot is None and "2025" not in printed  # no year to read "Dec 3" in
            assert [(r.title, r.published_on) for r in reading.records] == [
                ("Sparse Kernels", None if yearless else "2024-12-03")], (printed, snapshot)
            assert [issue.code for issue in reading.issues] == (["unknown_page_year"] if yearless else []), (printed, snapshot)
    # A date that says another day than the manifest's snapshot is named, in any form.
    reading = read_hf_daily_page("\n".join(HF_HEADER[:10] + ["13 Nov", "", "Sparse Kernels", "", ABSTRACT_A]), "2025-11-12")
    assert [issue.code for issue in reading.issues] == ["page_date_mismatch"]


def test_a_page_date_this_reader_cannot_read_is_reported_on_its_line_and_is_no_paper():
    # "11/12/2025" is the 12th of November or the 11th of December: not guessed.
    for printed in ("11/12/2025", "12.11.2025", "Nov the 12th, 2025"):
        text = "\n".join(HF_HEADER[:10] + [printed, "", "Sparse Kernels", "", ABSTRACT_A])
        reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
        assert reading.page_date is None
        assert [r.title for r in reading.records] == ["Sparse Kernels"], printed
        assert [(issue.line, issue.code) for issue in reading.issues] == [(11, "bad_page_date")], printed
        assert reading.unaccounted_lines() == []
    # A first entry's title that names a month, with its abstract after it, stays a title.
    reading = read_hf_daily_page("\n".join(HF_HEADER[:10] + ["March 2024 Update", "", ABSTRACT_A]), snapshot_date="2025-11-12")
    assert [r.title for r in reading.records] == ["March 2024 Update"]
    assert [issue.code for issue in reading.issues] == ["missing_page_date"]


def test_an_upvote_count_rounded_to_thousands_is_read_and_reported():
    # "Nov 3 1.2k" was no date at all (bad_date): the entry lost its date and its count (found by review).
    for printed, count in (("1.2k", 1200), ("1,5k", 1500), ("12k", 12000), ("3K", 3000), ("12.3k", 12300)):
        text = hf_page(["Sparse Kernels", "", ABSTRACT_A, "", "  • 3 authors", "·", f"Nov 3 {printed}"],
                       ["Dense Kernels", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4", printed])
        reading = read_hf_daily_page(text, snapshot_date="2025-11-12")
        assert [(r.published_on, r.upvotes) for r in reading.records] == [("2025-11-03", count), ("2025-11-04", count)], printed
        assert [(issue.line, issue.code) for issue in reading.issues] == [
            (19, "rounded_upvotes"), (28, "rounded_upvotes"), (28, "upvotes_on_own_line")], printed
        assert f"read as {count}" in reading.issues[0].message


def test_an_entry_titled_like_a_badge_keeps_its_block_and_an_abstract_label_is_left_out():
    # "Gaussian Spotlight" or "Spotlight" with an author line after it was an orphan decision, and
    # its date line a paper titled "Nov 10 4" (found by review).
    for title in ("Gaussian Spotlight", "Spotlight"):
        reading = read_hf_daily_page(hf_page([title, "", "  • 2 authors", "·", "Nov 10 4"]), snapshot_date="2025-11-12")
        assert [(r.title, r.authors_count, r.published_on, r.upvotes) for r in reading.records] == [
            (title, 2, "2025-11-10", 4)], title
        assert [issue.code for issue in reading.issues] == ["missing_abstract"], title
    # "Abstract:" opening an entry's abstract is the page's label, as in a review listing.
    reading = read_hf_daily_page(hf_page(["Sparse Kernels", "", "Abstract: " + ABSTRACT_A, "", "  • 2 authors", "·", "Nov 3"],
                                         ["Abstract: " + ABSTRACT_B]), snapshot_date="2025-11-12")
    assert [(r.title, r.abstract) for r in reading.records] == [("Sparse Kernels", ABSTRACT_A), (None, ABSTRACT_B)]


def test_an_entry_date_in_any_form_a_page_date_takes_is_read():
    # "2025-11-03", "3 Nov", "Aug. 10,2024" and "aug 10, 2024" were bad_dates after '·', though the
    # page's own date took such forms (found by review); the site's own form keeps its upvotes.
    written = ["2025-11-03", "3 Nov", "Wed, Nov 5", "Aug. 10,2024", "aug 10, 2024 7", "10 August 2024", "Sept. 3"]
    expected = [("2025-11-03", None), ("2025-11-03", None), ("2025-11-05", None), ("2024-08-10", None), ("2024-08-10", 7),
                ("2024-08-10", None), ("2025-09-03", None)]
    entries = [[f"Title {n}", "", ABSTRACT_A.replace("lenders", f"lenders {n}"), "", "  • 2 authors", "·", date]
               for n, date in enumerate(written)]
    reading = read_hf_daily_page(hf_page(*entries), "2025-11-12")
    assert [(r.date_text, r.published_on, r.upvotes) for r in reading.records] == [
        (date, *read) for date, read in zip(written, expected)]
    assert reading.issues == [] and reading.unaccounted_lines() == []


def test_a_date_with_its_separator_lost_or_another_is_the_entrys_date_reported():
    # With no '·' line, or "." in its place (a copy through ASCII), the date was a paper titled
    # "Aug 10, 2024", and two such papers merged; another bullet before "3 authors" lost the count.
    entries = [["Title One", "", ABSTRACT_A, "", "  • 3 authors", "Aug 10, 2024"],  # 13..18
               ["Title Two", "", ABSTRACT_B, "", "- 3 authors", "Aug 10, 2024 5"],  # 20..25
               ["Title Three", "", ABSTRACT_C, "", "o 3 authors", ".", "Aug 11, 2024"],  # 27..33
               ["Title Four", "", ABSTRACT_A.replace("lenders", "banks"), "", "* 2 authors", "·", "Aug 12, 2024"]]  # 35..41
    reading = read_hf_daily_page(hf_page(*entries), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.authors_count, r.organization, r.published_on, r.upvotes)
            for r in reading.records] == [
        (13, 18, "Title One", 3, None, "2024-08-10", None), (20, 25, "Title Two", 3, None, "2024-08-10", 5),
        (27, 33, "Title Three", 3, None, "2024-08-11", None), (35, 41, "Title Four", 2, None, "2024-08-12", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (18, "missing_date_separator"), (25, "missing_date_separator"), (32, "date_separator")]
    assert reading.unaccounted_lines() == []


def test_an_organisation_line_over_a_date_with_its_separator_lost_is_the_entrys():
    # Only an author line was read over a date without '·': "adobe Adobe" then "Aug 10, 2024"
    # made two papers titled so (found by review of the change).
    reading = read_hf_daily_page(hf_page(
        ["Paper One", "", ABSTRACT_A, "", "adobe Adobe", "Aug 10, 2024"],  # 13..18
        ["Paper Two", "", ABSTRACT_B, "", "meta Meta AI", ".", "Aug 11, 2024 5"],  # 20..26
    ), "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.organization, r.published_on, r.upvotes) for r in reading.records] == [
        (13, 18, "Paper One", ("adobe", "Adobe"), "2024-08-10", None),
        (20, 26, "Paper Two", ("meta", "Meta AI"), "2024-08-11", 5)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(18, "missing_date_separator"), (25, "date_separator")]
    assert reading.unaccounted_lines() == []


def test_a_rule_between_a_title_and_its_abstract_is_no_title():
    # A rule of one symbol ("=====", "🔥🔥🔥") over an abstract was the title of that abstract, and
    # the entry's own title was left without one; a single symbol there ("∇") is still a title.
    for rule in ("=====", "🔥🔥🔥", "~ ~ ~", "❤️❤️❤️", "⭐️⭐️⭐️", "👍🏻👍🏻👍🏻", "-=-=-=-=", "<><><>"):
        reading = read_hf_daily_page(hf_page(["Title One", "", rule, "", ABSTRACT_A, "", "  • 8 authors", "·", "Nov 3"]),
                                     "2025-11-12")
        assert [(r.title, r.abstract, r.authors_count) for r in reading.records] == [("Title One", ABSTRACT_A, 8)], rule
        assert [(issue.line, issue.code) for issue in reading.issues] == [(15, "stray_line")], rule


def test_a_link_or_button_between_an_abstract_and_its_author_line_is_the_pages_text():
    # "View PDF" there was a paper that took the entry's author count and upvotes (review).
    for link in ("View PDF", "GitHub", "arXiv", "https://github.com/foo/bar"):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", link, "", "  • 3 authors", "·", "Nov 3 41"]),
                                     "2025-11-12")
        assert [(r.title, r.authors_count, r.upvotes) for r in reading.records] == [("Title One", 3, 41)], link
        assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "stray_line")], link


def test_a_rule_between_two_paragraphs_of_an_abstract_leaves_the_entry_whole():
    # "⭐️⭐️⭐️" (a star drawn with its variation selector) there was a title: the entry's own lost
    # its author and date block, with no issue (review).
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "⭐️⭐️⭐️", "", ABSTRACT_B, "", "  • 5 authors",
                                          "·", "Nov 10"]), "2025-11-12")
    assert [(r.title, r.abstract, r.authors_count, r.date_text) for r in reading.records] == [
        ("Title One", ABSTRACT_A + "\n" + ABSTRACT_B, 5, "Nov 10")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(17, "stray_line"), (19, "abstract_paragraph")]


def test_a_note_between_an_abstract_and_its_author_line_stays_with_the_entry():
    # "Project page: https://…" there was a paper of that title that took the entry's authors,
    # date and upvotes; the entry had none (found by review: eight such notes, all so read).
    notes = ["Project page: https://example.org/x", "Code: https://github.com/x/y", "🤗 Demo: https://hf.co/spaces/x",
             "Accepted to NeurIPS 2025", "NeurIPS 2025 Spotlight", "ICLR'24 Oral", "Code: github.com/x/y",
             # In brackets: "[NeurIPS 2025 Spotlight]" was still a paper.
             "[NeurIPS 2025 Spotlight]", "(Accepted to ICML 2025)", "[ICLR'24 Oral]", "( NeurIPS 2025 Spotlight )",
             "【NeurIPS 2025 Spotlight】", "**NeurIPS 2025 Spotlight**",
             # The year written short otherwise, or after the tier: each was a paper (noticed in the
             # fifty-second session).
             "ICLR’24 Oral", "ICLR '24 Oral", "[ICLR ’24 Spotlight]", "(Oral, ICLR 2024)", "Spotlight, NeurIPS 2025"]
    # (A bare link there is the page's own text, stray_line, as before.)
    for note in notes:
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", note, "", "  • 3 authors", "·", "Nov 11 12"],
                                             ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 11 3"]),
                                     snapshot_date="2025-11-12")
        assert [(r.title, r.abstract, r.authors_count, r.upvotes) for r in reading.records] == [
            ("Title One", ABSTRACT_A + "\n" + note, 3, 12), ("Title Two", ABSTRACT_B, 2, 3)], note
        assert [(i.line, i.code) for i in reading.issues] == [(17, "abstract_paragraph")], note
        assert reading.unaccounted_lines() == []
        # Before an organisation line too: such a note took the entry's organisation, date and upvotes.
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", note, "", "adobe Adobe", "·", "Nov 11 12"],
                                             ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 11 3"]),
                                     snapshot_date="2025-11-12")
        assert [(r.title, r.abstract, r.organization, r.upvotes) for r in reading.records] == [
            ("Title One", ABSTRACT_A + "\n" + note, ("adobe", "Adobe"), 12), ("Title Two", ABSTRACT_B, None, 3)], note
        assert [(i.line, i.code) for i in reading.issues] == [(17, "abstract_paragraph")], note
    # Before a line of text and its '·', a note-like line is the next entry's title, that text its
    # abstract (found by review of the organisation rule, which joined the two entries).
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A],
                                         ["Accepted to ICML 2025: A Study of Review Timing", "", "We time reviews.", "·",
                                          "Nov 11 3"]), snapshot_date="2025-11-12")
    assert [(r.title, r.abstract, r.upvotes) for r in reading.records] == [
        ("Title One", ABSTRACT_A, None), ("Accepted to ICML 2025: A Study of Review Timing", "We time reviews.", 3)]
    # Any other line there is a title whose abstract is missing, after an entry with no author line:
    # titles that open with TLDR or hold a venue's year too (review of the first rule), and a long
    # line of tier words (each "Oral" searched for a year after it took 9 s in a line of 100 kB).
    for title in ("Title Two Alone", "TLDR: Extreme Summarization of Scientific Documents",
                  "Report on the NeurIPS 2024 Workshop on Efficient Reasoning", "[Re] Reproducing Scaling Laws in 2024"):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A],
                                             [title, "", "  • 3 authors", "·", "Nov 11 12"]),
                                     snapshot_date="2025-11-12")
        assert [(r.title, r.authors_count) for r in reading.records] == [("Title One", None), (title, 3)]
        assert [(i.line, i.code) for i in reading.issues] == [(17, "missing_abstract")]
    long_line = ("Oral " * 20_000).strip()  # read as an untitled paper's abstract, as before
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A], [long_line, "", "  • 3 authors", "·", "Nov 11 12"]),
                                 snapshot_date="2025-11-12")
    assert [(r.title, r.abstract, r.authors_count) for r in reading.records] == [
        ("Title One", ABSTRACT_A, None), (None, long_line, 3)]


def test_names_of_people_where_an_organisation_goes_are_reported():
    # "Alice Smith, Bob Jones" was the organisation "Alice" named "Smith, Bob Jones", unreported (review).
    for line in ("Alice Smith, Bob Jones", "Alice Smith, and Bob Jones", "Dan Brown, Eve Black, Carol White"):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", line, "·", "Nov 11 12"]),
                                     snapshot_date="2025-11-12")
        assert reading.records[0].organization == tuple(line.split(" ", 1))  # kept as the page wrote it
        assert [(i.line, i.code) for i in reading.issues] == [(17, "organisation_or_text")], line
        assert "people's names" in reading.issues[0].message
    # Organisations' names with a comma are not (review of the first rule): their words are no names'.
    for line in ("adobe Adobe", "google Google DeepMind", "tsinghua Tsinghua University, Beijing",
                 "ETH ETH Zurich, Computer Vision Lab", "Alibaba-NLP Alibaba, Tongyi Lab",
                 "OpenGVLab Shanghai AI Laboratory, OpenGVLab Team", "NVIDIA NVIDIA Corporation, Santa Clara"):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", line, "·", "Nov 11 12"]),
                                     snapshot_date="2025-11-12")
        assert reading.issues == [], line


@pytest.mark.parametrize("dot", ["\u0387", "\u22c5", "\u2e31", "\uff65", "\ua78f"])
def test_the_same_dot_in_another_code_point_is_the_date_separator(dot):
    # The Greek ano teleia (canonically '·'), the dot operator, a word-separator dot: with either, an
    # organisation entry was two papers, its organisation line and its date (a review of other copies).
    for block, who in ((["adobe Adobe", dot, "Oct 16 2"], ("adobe", "Adobe")), (["  • 5 authors", dot, "Oct 16 2"], None)):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", *block]), "2025-11-12")
        assert [(r.title, r.organization, r.published_on, r.upvotes) for r in reading.records] == [
            ("Title One", who, "2025-10-16", 2)], block
        assert reading.issues == [] and reading.unaccounted_lines() == []

    # In a block joined on one line too: each was a paper that took the entry's block (review).
    for joined, who in ((f"• 3 authors {dot} Nov 11 3", None), (f"adobe Adobe {dot} Nov 11 3", ("adobe", "Adobe"))):
        reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", joined]), "2025-11-12")
        assert [(r.title, r.organization, r.date_text, r.published_on, r.upvotes) for r in reading.records] == [
            ("Title One", who, "Nov 11 3", "2025-11-11", 3)], joined
        assert [issue.code for issue in reading.issues] == ["joined_metadata"]


def test_a_pasted_page_of_the_day_after_the_snapshot_is_of_that_day():
    # Only the first page was read so: a pasted "Nov 13" page on a file saved 2025-11-12 was of 2024 (review).
    text = page_of_day("Nov 12", "Nov 12 3", "Title One") + page_of_day("Nov 13", "Nov 13 5", "Title Two")
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [r.published_on for r in reading.records] == ["2025-11-12", "2025-11-13"]
    assert "2025-11-13" in [issue.message for issue in reading.issues if issue.code == "pasted_page_date"][0]
    text = page_of_day("Nov 12", "Nov 12 3", "Title One") + page_of_day("Nov 14", "Nov 14 5", "Title Two")
    assert [r.published_on for r in read_hf_daily_page(text, "2025-11-12").records] == ["2025-11-12", "2024-11-14"]


def test_each_pasted_pages_site_text_is_looked_for_among_its_own_records(monkeypatch):
    # At each pasted page's header every record before it was looked at again: thousands of pages
    # in one file took seconds, the square of their number (8,000: 6 s; review).
    import papers_db.readers.hf_daily as hf_daily

    looked_at = []
    site_text_at_the_end = hf_daily.site_text_at_the_end
    monkeypatch.setattr(hf_daily, "site_text_at_the_end", lambda records: looked_at.append(len(records)) or
                        site_text_at_the_end(records))
    pages = 500
    text = "\n".join(HF_HEADER) + "\n" + "Short Title\n\nDaily Papers\n\n" * pages
    reading = read_hf_daily_page(text, "2025-11-12")
    assert len(reading.records) == pages and len(looked_at) == pages + 1
    assert sum(looked_at) == pages  # each record once
    text = "\n".join(HF_HEADER) + "\n" + "Models\nPricing\n\nDaily Papers\n\n" * pages
    reading = read_hf_daily_page(text, "2025-11-12")
    assert reading.records == [] and [issue.code for issue in reading.issues].count("after_entries") == 2 * pages


def test_a_count_printed_above_each_title_is_that_entrys():
    # A copy with each entry's upvote count above its title: the first count was a stray line and
    # every other one the entry above's upvotes, each paper's count shifted by one (the fifty-third
    # session's review).
    text = hf_page(["12", "", "Title One", "", ABSTRACT_A, "", "  • 8 authors", "·", "Nov 11"],  # 13..21
                   ["7", "", "Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 10"],  # 23..31
                   ["5", "", "Title Three", "", ABSTRACT_C, "", "  • 2 authors", "·", "Nov 9"])  # 33..41
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.line, r.last_line, r.title, r.upvotes) for r in reading.records] == [
        (15, 21, "Title One", 12), (25, 31, "Title Two", 7), (35, 41, "Title Three", 5)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(n, "upvotes_above_title") for n in (13, 23, 33)]
    assert reading.unaccounted_lines() == []
    # Where the entries' dates carry their counts, a number above a title is the page's text, as
    # before; and below a date with none, the count of the entry above (the other layout).
    text = hf_page(["12", "", "Title One", "", ABSTRACT_A, "", "  • 8 authors", "·", "Nov 11 12"],
                   ["7", "", "Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 10"])
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.title, r.upvotes) for r in reading.records] == [("Title One", 12), ("Title Two", None)]
    assert [issue.code for issue in reading.issues] == ["stray_line", "stray_line"]
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 8 authors", "·", "Nov 11", "12"],
                   ["Title Two", "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 10", "7"])
    reading = read_hf_daily_page(text, "2025-11-12")
    assert [(r.title, r.upvotes) for r in reading.records] == [("Title One", 12), ("Title Two", 7)]


def test_feb_29_without_a_year_is_of_the_leap_year_on_or_before_the_page():
    # On a page of Mar 1, 2025, "Feb 29" was put in 2025, which has no such day: an invalid date (review).
    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A, "", "  • 2 authors", "·", "Feb 29 3"]).replace(
        "\nNov 12\n", "\nMar 1\n"), "2025-03-01")
    assert [(r.published_on, r.published_year_inferred) for r in reading.records] == [("2024-02-29", True)]
    assert reading.issues == []



def test_titles_opening_with_copyright_at_a_pages_end_stay_papers():
    # "Copyright" opens titles too: two such titles alone at a page's end were taken for its footer
    # (review of the copyright rule).
    titles = ["Copyright Traps for Large Language Models", "Copyright Violations and Large Language Models"]
    reading = read_hf_daily_page(hf_page(ENTRY_ONE, *([title] for title in titles)), "2025-11-12")
    assert [r.title for r in reading.records] == ["Title One", *titles]
    assert [issue.code for issue in reading.issues] == ["missing_abstract", "missing_abstract"]


def test_a_pasted_pages_feb_29_without_a_snapshot_is_of_the_nearest_leap_year():
    text = page_of_day("Mar 1, 2025", "Feb 28 3", "Title One") + page_of_day("Feb 29", "Feb 29 5", "Title Two")
    reading = read_hf_daily_page(text, None)
    assert [r.published_on for r in reading.records] == ["2025-02-28", "2024-02-29"]
    assert "invalid_date" not in [issue.code for issue in reading.issues]


def test_a_title_with_a_symbol_between_entries_is_no_second_pages_header():
    # "New ✨" or "Subscribe →" alone between entries were taken for a pasted page's header once
    # the header's lines were read with any sign between their words (review of that rule).
    for title in ("New ✨", "Subscribe →", "Daily Papers 🔥"):
        reading = read_hf_daily_page(hf_page(ENTRY_ONE, [title], ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·",
                                                                  "Nov 4"]), "2025-11-12")
        assert [r.title for r in reading.records] == ["Title One", title, "Title Two"], title
        assert [issue.code for issue in reading.issues] == ["missing_abstract"], title


def test_a_pasted_pages_feb_29_is_never_of_a_later_leap_year_than_a_year_away():
    # After a first page of Mar 2, 2026, the nearest leap year was 2028: a paper dated after the
    # page (review of the nearest-year rule). With no leap year a year either side, the one before.
    text = page_of_day("Mar 2, 2026", "Feb 20 3", "Title One") + page_of_day("Feb 29", "Feb 28 4", "Title Two")
    reading = read_hf_daily_page(text, None)
    assert [r.published_on for r in reading.records] == ["2026-02-20", "2024-02-28"]
    assert "2024-02-29" in [issue.message for issue in reading.issues if issue.code == "pasted_page_date"][0]
