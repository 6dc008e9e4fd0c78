"""Properties of the readers on arbitrary input: they never fail, and account for every line."""

from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from listing_texts import SPACES

from papers_db.errors import PapersDbError
from papers_db.readers.hf_daily import HF_DAILY_PAPERS, read_hf_daily_page
from papers_db.readers.review_listing import REVIEW_LISTING, read_review_listing
from papers_db.readers.text import decode_source, plain_line, single_spaced, text_lines, wide_encoding
from papers_db.sources import SourceFile, read_source

# Lines shaped like the real ones, so that generated files exercise the readers' states rather
# than only their "unknown line" paths.
SHAPED_LINES = [
    "",
    "new",
    "Daily Papers",
    "Nov 12",
    "Dec 3 7",
    "Nov 4, 2024 12",
    "Feb 30, 2024",
    "·",
    "  • 8 authors",
    "adobe Adobe",
    "Accept (Poster)",
    "Accept: notable-top-25%",
    "Accept (Workshop)",
    "Reject",
    "Withdrawn Submission",
    "Accept Is All You Need",
    "A Short Title",
    "We propose a method. " * 20,
    "An abstract cut off in the middle of a sentence that goes on and on and on and on and on and on "
    "and on and on and never",
]
line = st.one_of(st.sampled_from(SHAPED_LINES), st.text(max_size=60))
listing_text = st.lists(line, max_size=40).map("\n".join)
snapshot = st.one_of(st.none(), st.dates().map(lambda d: d.isoformat()))


def assert_well_formed(reading, text):
    count = len(text_lines(text))
    assert reading.line_count == count
    assert reading.unaccounted_lines() == []
    previous_end = 0
    for record in reading.records:
        # Records are in file order, do not overlap and stay inside the file.
        assert previous_end < record.line <= record.last_line <= count
        assert record.title or record.abstract
        previous_end = record.last_line
    for issue in reading.issues:
        assert issue.line is None or 1 <= issue.line <= count
        assert issue.code and issue.message


@settings(max_examples=300, deadline=None)
@given(listing_text)
def test_review_reader_accounts_for_every_line(text):
    assert_well_formed(read_review_listing(text), text)


@settings(max_examples=300, deadline=None)
@given(listing_text, snapshot)
def test_hf_reader_accounts_for_every_line(text, snapshot_date):
    assert_well_formed(read_hf_daily_page(text, snapshot_date), text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, REVIEW_LISTING, HF_DAILY_PAPERS]))
def test_any_bytes_are_read_or_refused_with_the_projects_own_error(data, file_format):
    source = SourceFile(Path("any.txt"), data, file_format, "2025-11-12" if file_format else None)
    try:
        reading = read_source(source)
    except PapersDbError:
        return
    text, _ = decode_source(data)
    assert_well_formed(reading, text)


one_line = st.one_of(
    st.sampled_from(SHAPED_LINES), st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=60)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(one_line, max_size=30))
def test_decoding_windows_copies_changes_nothing(lines):
    clean = "\n".join(lines)
    # Text whose UTF-8 has NULs where UTF-16 has them ("\n\x00") is read as UTF-16 when it has no
    # byte order mark (wide_encoding); the copy's mark says UTF-8, so the two differ by design.
    assume(wide_encoding(clean.encode("utf-8")) is None)
    # A first line that starts with U+FEFF is, in the clean copy, the file's byte order mark: there
    # the two copies differ by design too (["\ufeff"] is an empty file, or one empty line after
    # the copy's own mark).
    assume(not clean.startswith("\ufeff"))
    windows = ("\ufeff" + "\r\n".join(lines)).encode("utf-8")
    assert decode_source(windows)[0] == decode_source(clean.encode("utf-8"))[0]


@given(st.lists(st.one_of(st.sampled_from(SPACES), st.text(max_size=8)), max_size=12))
def test_single_spaced_is_the_text_split_and_joined(parts):
    # It skips splitting a text already single-spaced: the result must be the split and join's.
    text = "".join(parts)
    assert single_spaced(text) == " ".join(text.split())


def test_the_only_printable_space_is_the_plain_space():
    # What single_spaced's shortcut rests on: str.split splits at isspace() characters, and of
    # those only U+0020 is printable.
    assert [character for character in map(chr, range(0x110000))
            if character.isprintable() and character.isspace()] == [" "]


def test_plain_line_reads_any_space_as_one_and_drops_invisible_characters():
    assert plain_line("  Nov\u00a0 12\t") == "Nov 12"
    assert plain_line("Nov\u200b 12") == "Nov 12" and plain_line("Nov\u3000\u300012 7") == "Nov 12 7"
    assert plain_line("Nov 12") == "Nov 12" and plain_line("") == ""
    long_line = "word  " * 200  # prose past SHORT_LINE_CHARS stays as written, but for its ends
    assert plain_line(long_line) == long_line.strip()


def test_a_word_as_written_ends_where_the_plain_line_has_a_space_for_every_character():
    # first_word_and_rest cuts a line as written where plain_line's form of it has a space:
    # WRITTEN_WORD must hold exactly the characters plain_line does not read as one.
    from papers_db.readers.text import WRITTEN_WORD

    disagree = [hex(code) for code in range(0x110000) if code not in range(0xD800, 0xE000)
                and bool(WRITTEN_WORD.fullmatch(chr(code))) == (plain_line(f"a{chr(code)}b") in ("a b", "a  b"))]
    assert disagree == []
