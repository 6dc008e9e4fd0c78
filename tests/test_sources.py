"""Damaged sources: each kind of damage on a fixture made from a vendored file or written here."""

import hashlib
import json
import os
import random
import shutil
import sqlite3
from dataclasses import astuple
from pathlib import Path

import pytest
from conftest import SOURCES, run_cli
from listing_texts import ABSTRACT_A, ABSTRACT_B, ABSTRACT_C, hf_page, review_text

import papers_db.sources
from papers_db.errors import BAD_INPUT, PapersDbError
from papers_db.readers.hf_daily import read_hf_daily_page
from papers_db.sources import SourceFile, detect_format, find_sources, read_manifest, read_source, saved_text_digest

MANIFEST = read_manifest(SOURCES)
REVIEW = "001_d90573da5af4b331.txt"
HF = "003_6399432fb99c7d91.txt"


def read_bytes_as(name, data):
    """Read `data` as if it were the vendored file `name` (same format and snapshot date)."""
    entry = MANIFEST[name]
    source = SourceFile(Path(name), data, entry["format"], entry.get("snapshot_date"))
    return read_source(source)


def records(reading):
    return [astuple(record) for record in reading.records]


def line_of(data: bytes, index: int) -> int:
    return data[:index].count(b"\n") + 1


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_windows_copy_with_bom_trailing_blanks_and_nbsp_reads_the_same(name):
    # The same records, field for field, but for the non-breaking spaces, which the text keeps as
    # the copy gave them (one line in three).
    clean = (SOURCES / name).read_bytes()
    lines = clean.decode("utf-8").split("\n")
    damaged_lines = []
    for number, line in enumerate(lines):
        if number % 3 == 0:
            line = line.replace(" ", "\u00a0")  # non-breaking spaces, as some browsers copy them
        damaged_lines.append(line + (" \t" if number % 2 else "  "))
    damaged = b"\xef\xbb\xbf" + "\r\n".join(damaged_lines).encode("utf-8")
    expected, got = read_bytes_as(name, clean), read_bytes_as(name, damaged)

    def spaces_plain(record):
        return tuple(field.replace("\u00a0", " ") if isinstance(field, str) else field for field in record)

    assert [spaces_plain(record) for record in records(got)] == records(expected)
    assert any("\u00a0" in field for record in records(got) for field in record if isinstance(field, str))
    assert got.issues == expected.issues == []
    assert got.unaccounted_lines() == []


def test_a_lone_carriage_return_is_part_of_its_line_and_moves_no_line():
    # Line 4 of the review listing is an abstract: a "\r" in its middle, in a file of "\n" lines,
    # is a character of that abstract. Line numbers stay those of `sed -n Np`.
    clean = (SOURCES / REVIEW).read_bytes()
    lines = clean.split(b"\n")
    lines[3] = lines[3][:40] + b"\r" + lines[3][40:]
    expected, got = read_bytes_as(REVIEW, clean), read_bytes_as(REVIEW, b"\n".join(lines))
    assert got.line_count == expected.line_count == clean.count(b"\n") + (not clean.endswith(b"\n"))
    changed = [(before, after) for before, after in zip(records(expected), records(got)) if before != after]
    assert len(got.records) == len(expected.records) == 100 and len(changed) == 1
    assert changed[0][1][3] == lines[3].decode()  # (line, last_line, title, abstract, ...)
    # Named, though: an editor may show it as a line break (a title, its abstract and decision
    # joined by lone carriage returns read as one abstract, with no issue).
    assert [(issue.line, issue.code) for issue in got.issues] == [(4, "line_break_in_line")]
    assert "carriage return" in got.issues[0].message
    assert got.unaccounted_lines() == []


def test_a_file_of_lines_with_more_lone_carriage_returns_than_lines_is_still_read_by_its_lines():
    # An abstract with a lone "\r" after every 30th word, in a review listing of 5 lines: counting
    # "\r" against "\n" took the file for old Mac, and the abstract became 6 papers.
    abstract = " ".join(f"word{n}" + ("\r" if n % 30 == 29 else "") for n in range(250))
    text = f"Paper Beta\n{abstract}\nAccept (Oral)\nPaper Gamma\n{ABSTRACT_B}\n"
    assert text.count("\r") > text.count("\n")
    got = read_bytes_as(REVIEW, text.encode())
    assert [(record.line, record.title, record.abstract) for record in got.records] == [
        (1, "Paper Beta", abstract), (4, "Paper Gamma", ABSTRACT_B)]
    assert [(issue.line, issue.code) for issue in got.issues] == [(2, "line_break_in_line")]
    assert got.line_count == 5 and got.unaccounted_lines() == []
    # The same abstract as the file's last line, with no decision after it: taken for old Mac
    # lines after a header, it became 9 papers (found by review of that reading).
    text = f"Paper Beta\n{ABSTRACT_B}\nAccept (Oral)\nPaper Gamma\n{abstract}.\n"
    got = read_bytes_as(REVIEW, text.encode())
    assert [(record.line, record.title) for record in got.records] == [(1, "Paper Beta"), (4, "Paper Gamma")]
    assert [(issue.line, issue.code) for issue in got.issues] == [(5, "line_break_in_line")]


@pytest.mark.parametrize("name", [REVIEW, HF])
def test_a_file_of_carriage_returns_with_newline_lines_added_at_its_end_reads_as_lines(name):
    # `echo >>` onto an old Mac file: its first line break is a lone "\r", and they outnumber the
    # "\n". Taken for a file of "\n" lines, it was 3 lines, "binary data", and nothing was read.
    lines = (SOURCES / name).read_bytes().split(b"\n")
    mixed = b"\r".join(lines[:-3]) + b"\r" + b"\n".join(lines[-3:])
    assert records(read_bytes_as(name, mixed)) == records(read_bytes_as(name, (SOURCES / name).read_bytes()))


@pytest.mark.parametrize("name", [REVIEW, HF])
@pytest.mark.parametrize("header_end", [b"\n", b"\r\n"])
@pytest.mark.parametrize("ending", [b"", b"\n"])  # `cat mac.txt; echo` adds one "\n"
def test_a_file_of_carriage_returns_with_a_newline_line_added_at_its_start_reads_as_lines(name, header_end, ending):
    # A header line a Windows tool added to an old Mac file: read as a file of "\n" lines, it was
    # 2 lines, and a review listing's 3 papers with their decisions became one paper.
    clean = (SOURCES / name).read_bytes()
    lines = clean.split(b"\n")
    got = read_bytes_as(name, lines[0] + header_end + b"\r".join(lines[1:]) + ending)
    expected = read_bytes_as(name, clean)
    assert records(got) == records(expected) and got.issues == expected.issues
    assert got.line_count == expected.line_count


def test_a_line_break_an_editor_shows_inside_a_line_is_named():
    text = "Paper Beta\r{}\rAccept (Oral)\nPaper Gamma\u2028{}\nReject\nPaper Delta\n{}\u0085Withdrawn\n"
    got = read_bytes_as(REVIEW, text.format(ABSTRACT_A, ABSTRACT_B, ABSTRACT_C).encode())
    assert [(issue.line, issue.code) for issue in got.issues if issue.code == "line_break_in_line"] == [
        (1, "line_break_in_line"), (2, "line_break_in_line"), (5, "line_break_in_line")]
    assert ["carriage return" in got.issues[0].message, "U+2028" in got.issues[1].message] == [True, True]
    # What Python's str.splitlines() takes for a line break was kept in a title with no word (found by review).
    for character in "\x0b\x0c\x1c\x1d\x1e":
        text = f"Paper Beta{character}Two\n{ABSTRACT_A}\nAccept (Oral)\n"
        got = read_bytes_as(REVIEW, text.encode())
        assert [(issue.line, issue.code) for issue in got.issues] == [(1, "line_break_in_line")], repr(character)
        assert [record.title for record in got.records] == [f"Paper Beta{character}Two"], repr(character)
        assert f"U+{ord(character):04X}" in got.issues[0].message


@pytest.mark.parametrize("name", [REVIEW, HF])
@pytest.mark.parametrize("ending", [b"", b"\n"])  # `cat mac.txt; echo` adds one "\n"
def test_a_file_of_carriage_returns_alone_reads_as_lines(name, ending):
    clean = (SOURCES / name).read_bytes()
    assert records(read_bytes_as(name, clean.replace(b"\n", b"\r") + ending)) == records(read_bytes_as(name, clean))


@pytest.mark.parametrize(("encoding", "code"), [("utf-16", "utf16"), ("utf-16-be", "utf16"), ("utf-32", "utf32"),
                                              ("utf-32-be", "utf32")])
def test_a_wide_file_with_its_byte_order_mark_reads_as_its_text(encoding, code):
    # UTF-32's byte order mark starts as UTF-16's does: read as UTF-16, every line had a NUL issue.
    clean = (SOURCES / REVIEW).read_bytes()
    data = ("\ufeff" if encoding.endswith("be") else "").encode(encoding) + clean.decode().encode(encoding)
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff", b"\x00\x00")
    got = read_bytes_as(REVIEW, data)
    assert records(got) == records(read_bytes_as(REVIEW, clean))
    assert [(issue.line, issue.code, issue.message) for issue in got.issues] == [
        (None, code, f"the file is {encoding[:6].upper()} (it starts with its byte order mark): read as such")]


def test_a_utf16_file_cut_mid_character_is_read_as_utf16_and_says_so():
    clean = (SOURCES / REVIEW).read_bytes()
    data = clean.decode().encode("utf-16")[:-1]  # an odd number of bytes: the last character cut
    got = read_bytes_as(REVIEW, data)
    assert len(got.records) == 100 and records(got)[:99] == records(read_bytes_as(REVIEW, clean))[:99]
    assert [(issue.code, "cut off or damaged" in issue.message) for issue in got.issues] == [
        ("utf16", True), ("invalid_utf16", False), ("truncated_record", False)]  # the cut is at the end of the last abstract
    assert got.issues[1].line == got.line_count


@pytest.mark.parametrize(("encoding", "code"), [("utf-16-le", "invalid_utf16"), ("utf-16-be", "invalid_utf16"),
                                                ("utf-32-le", "invalid_utf32")])
def test_a_damaged_character_inside_a_wide_file_is_named_with_its_line(encoding, code):
    # A lone surrogate in UTF-16 (or a value past U+10FFFF in UTF-32) became U+FFFD in the
    # abstract, and only the file's issue said it was damaged, naming no line (found by review).
    text = review_text("Paper Beta", ABSTRACT_A, "Accept (Oral)", "Paper Gamma", "@@", "Reject")
    bad = {"utf-16-le": b"\x00\xd8", "utf-16-be": b"\xd8\x00", "utf-32-le": b"\x00\x00\x11\x00"}[encoding]
    marker = "@@".encode(encoding)
    data = "\ufeff".encode(encoding) + text.encode(encoding).replace(marker, bad + ABSTRACT_B.encode(encoding))
    got = read_bytes_as(REVIEW, data)
    assert [(issue.line, issue.code) for issue in got.issues if issue.line is not None] == [(5, code)]
    assert [record.abstract for record in got.records] == [ABSTRACT_A, "\ufffd" + ABSTRACT_B]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_without_a_byte_order_mark_reads_as_its_text(encoding):
    # Read as UTF-8 with its NULs dropped, "—" was a control character and "中文" two others, with
    # a NUL issue per line and nothing saying the file is UTF-16.
    clean = (SOURCES / REVIEW).read_bytes()
    got = read_bytes_as(REVIEW, clean.decode().encode(encoding))
    assert records(got) == records(read_bytes_as(REVIEW, clean))
    assert [(issue.line, issue.code) for issue in got.issues] == [(None, "utf16")]
    assert "no byte order mark" in got.issues[0].message
    text = review_text("Sparse Attention — Scales", ABSTRACT_A[:-1] + " (中文 too).", "Accept (Poster)")
    reading = read_source(SourceFile(Path("listing.txt"), text.encode(encoding)))
    assert [(r.title, r.abstract) for r in reading.records] == [("Sparse Attention — Scales", ABSTRACT_A[:-1] + " (中文 too).")]
    assert [issue.code for issue in reading.issues] == ["utf16"]


def test_a_page_saved_as_windows_1252_reads_as_its_utf8_save_does():
    # Saved as Windows-1252, each "• 3 authors" and "·" was a paper of U+FFFD ("\ufffd 3 authors"),
    # and every entry lost its authors, date and upvotes.
    clean = (SOURCES / HF).read_bytes()
    windows = clean.decode("utf-8").encode("cp1252")
    assert windows != clean and b"\x95" in windows and b"\xb7" in windows  # the bullet and the dot
    got, expected = read_bytes_as(HF, windows), read_bytes_as(HF, clean)
    assert records(got) == records(expected)
    changed = [number for number, (a, b) in enumerate(zip(windows.split(b"\n"), clean.split(b"\n")), start=1) if a != b]
    assert [(i.line, i.code) for i in got.issues] == [(number, "invalid_utf8") for number in changed]
    assert all("Windows-1252" in issue.message for issue in got.issues)


def test_bytes_that_are_not_utf8_and_nul_bytes_are_named_and_the_rest_is_read():
    clean = (SOURCES / REVIEW).read_bytes()
    lines = clean.split(b"\n")
    lines[3] = lines[3][:40] + b"\xff\xfe" + lines[3][40:]  # line 4: inside an abstract
    lines[6] = lines[6][:10] + b"\x00" + lines[6][10:]  # line 7: inside an abstract
    reading = read_bytes_as(REVIEW, b"\n".join(lines))
    assert [(i.line, i.code) for i in reading.issues] == [(4, "invalid_utf8"), (7, "nul_byte")]
    assert "column 41" in reading.issues[0].message and "U+FFFD" in reading.issues[0].message
    assert len(reading.records) == 100
    assert "\ufffd\ufffd" in reading.records[1].abstract  # line 4 is the second record's abstract
    assert reading.unaccounted_lines() == []


def test_file_cut_inside_the_last_metadata_block_keeps_earlier_records():
    clean = (SOURCES / HF).read_bytes()
    cut_at = clean.rindex("·".encode()) + len("·".encode())  # the final date line is lost
    reading = read_bytes_as(HF, clean[:cut_at])
    assert len(reading.records) == 54
    assert records(reading)[:53] == records(read_bytes_as(HF, clean))[:53]
    assert [(i.line, i.code) for i in reading.issues] == [(line_of(clean, cut_at), "truncated_metadata")]
    assert reading.unaccounted_lines() == []


def test_file_cut_inside_the_last_abstract_is_reported_at_that_line():
    clean = (SOURCES / REVIEW).read_bytes()
    cut_at = clean.rindex(b"\n") + 200  # 199 characters into the last abstract, mid-word
    reading = read_bytes_as(REVIEW, clean[:cut_at])
    assert len(reading.records) == 100
    assert [(i.line, i.code) for i in reading.issues] == [(229, "truncated_record")]


def test_file_cut_after_a_title_keeps_the_title_and_reports_it():
    clean = (SOURCES / REVIEW).read_bytes()
    cut_at = clean.rindex(b"\n")  # the last line, an abstract, is lost
    reading = read_bytes_as(REVIEW, clean[:cut_at])
    assert len(reading.records) == 100
    assert (reading.records[-1].title, reading.records[-1].abstract) == ("Simpler Calibration for Survival Analysis", None)
    assert [(i.line, i.code) for i in reading.issues] == [(228, "missing_abstract")]


def test_very_long_line_and_a_record_that_is_only_a_title():
    long_abstract = "We study a very long abstract. " * 40_000  # 1.2 MB on one line
    text = f"A Paper With a Long Abstract\n{long_abstract.strip()}\nAccept (Poster)\nOnly a Title Here\n"
    reading = read_bytes_as(REVIEW, text.encode())
    assert [(r.line, r.last_line, r.title, len(r.abstract or "")) for r in reading.records] == [
        (1, 3, "A Paper With a Long Abstract", len(long_abstract.strip())),
        (4, 4, "Only a Title Here", 0),
    ]
    assert [(i.line, i.code) for i in reading.issues] == [(4, "missing_abstract")]


def make_damaged_folder(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / REVIEW)
    shutil.copy(SOURCES / REVIEW, folder / "copy_of_001.txt")  # the same bytes under another name
    (folder / "empty.txt").write_bytes(b"")
    (folder / "prices.csv").write_text("item,price\napple,1\npear,2\n")
    (folder / "image.bin").write_bytes(bytes(range(256)) * 4)
    return folder


def test_damaged_folder_builds_what_it_can_and_reports_the_rest(tmp_path):
    folder = make_damaged_folder(tmp_path / "sources")
    output = tmp_path / "papers.db"
    result = run_cli("build", folder, "--output", output)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for name in ("copy_of_001.txt", "empty.txt", "prices.csv", "image.bin"):
        assert f"warning: {name}" in result.stderr
    with sqlite3.connect(output) as conn:
        assert conn.execute("select count(*) from listings").fetchone() == (100,)
        issues = conn.execute(
            "select file_name, code from parse_issues join sources on sources.id = source_id "
            "where code in ('duplicate_file', 'empty_file', 'not_a_listing') order by file_name"
        ).fetchall()
        duplicate = conn.execute(
            "select copy.file_name, original.file_name from sources copy "
            "join sources original on original.id = copy.duplicate_of"
        ).fetchall()
    assert issues == [
        ("copy_of_001.txt", "duplicate_file"),
        ("empty.txt", "empty_file"),
        ("image.bin", "not_a_listing"),
        ("prices.csv", "not_a_listing"),
    ]
    # Sorted by name, "001_…" comes before "copy_of_001.txt", so the copy is the repeat.
    assert duplicate == [("copy_of_001.txt", REVIEW)]


def test_check_reports_the_damaged_folder_with_every_line_accounted_for(tmp_path):
    result = run_cli("check", make_damaged_folder(tmp_path / "sources"))
    assert result.returncode == 0, result.stderr
    assert "unaccounted:" not in result.stdout
    assert "prices.csv" in result.stdout and "image.bin" in result.stdout  # the table of files
    assert "prices.csv" in result.stderr and "image.bin" in result.stderr  # their warnings


def test_strict_fails_on_any_issue_and_writes_nothing(tmp_path):
    output = tmp_path / "papers.db"
    result = run_cli("build", make_damaged_folder(tmp_path / "sources"), "--output", output, "--strict")
    assert result.returncode == 1
    assert "--strict" in result.stderr and "Traceback" not in result.stderr
    assert not output.exists()
    assert run_cli("build", "--output", output, "--strict").returncode == 0  # the clean sources pass


def test_no_readable_source_is_fatal_with_one_line(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    result = run_cli("build", folder, "--output", tmp_path / "papers.db")
    assert result.returncode == 1  # bad input: the sources are there, and none is a listing
    assert result.stderr.strip().splitlines()[-1] == "error: no readable listing among the sources: nothing to build"
    empty = tmp_path / "nothing"
    empty.mkdir()
    result = run_cli("build", empty, "--output", tmp_path / "papers.db")
    assert (result.returncode, result.stderr.strip()) == (2, f"error: no source files in {empty}")


def test_unwritable_output_is_fatal_with_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = run_cli("build", "--output", blocker / "papers.db")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {blocker}: is a file, not a folder: cannot write {blocker / 'papers.db'}"
    result = run_cli("build", "--output", tmp_path)
    assert (result.returncode, result.stderr.strip()) == (2, f"error: {tmp_path}: is a folder; give the database file's path")
    # A path with no file name at all (an unset $OUT in a script) was an unexpected ValueError, exit 70.
    for folder in (".", "/"):
        result = run_cli("build", "--output", folder, cwd=tmp_path)
        assert (result.returncode, result.stderr.strip()) == (2, f"error: {folder}: is a folder; give the database file's path")
    # An empty one was named ".", which the user never gave (found by review).
    result = run_cli("build", "--output", "", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2, "error: the output path is empty, which names no file; give the database file's path\n")
    # A folder not there yet, named by its slash: the build wrote a database file named `newdir`.
    result = run_cli("build", "--output", "newdir/", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (
        2, "error: newdir/: names a folder; give the database file's path (newdir/papers.db)")
    assert list(tmp_path.iterdir()) == [blocker]


BAD_MANIFESTS = {
    "not toml": "this is [not toml",
    "unknown format": '[[source]]\nfile = "a.txt"\nformat = "csv"\n',
    "bad date": '[[source]]\nfile = "a.txt"\nformat = "hf_daily_papers"\nsnapshot_date = "12 Nov"\n',
    # Each of these was passed over without a word: the file read without its snapshot date or format.
    "misspelt key": '[[source]]\nfile = "a.txt"\nformat = "review_listing"\nsnapshot-date = "2025-11-12"\n',
    "unknown table": '[[sources]]\nfile = "a.txt"\nformat = "review_listing"\n',
    "a file twice": '[[source]]\nfile = "a.txt"\nformat = "hf_daily_papers"\n[[source]]\nfile = "a.txt"\nformat = "review_listing"\n',
    "a file not there": '[[source]]\nfile = "A.txt"\nformat = "review_listing"\n',
    "nested too deeply": "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
}


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_bad_manifest_is_one_line_naming_the_manifest(tmp_path, case):
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    (folder / "manifest.toml").write_text(BAD_MANIFESTS[case])
    for command in ("build", "check"):
        result = run_cli(command, folder, *(["--output", tmp_path / "x.db"] if command == "build" else []))
        assert result.returncode == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert result.stderr.startswith(f"error: {folder / 'manifest.toml'}")


@pytest.mark.parametrize("name", ["Manifest.toml", "manifest.toml.txt", "MANIFEST.TOML"])
def test_a_manifest_under_another_name_is_refused_with_the_name_it_needs(tmp_path, name):
    # Found by review: saved as `manifest.toml.txt` (an editor hiding extensions) it was read as a
    # listing, and the bundled pages' dates lost their year, each saying the manifest gave none.
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    (folder / "manifest.toml").rename(folder / name)
    for command, named in (("check", folder), ("check", next(folder.glob("002_*")))):
        result = run_cli(command, named)
        assert (result.returncode, result.stderr) == (
            2, f"error: {folder / name}: a manifest is read only as 'manifest.toml' (that name exactly, no other "
               "extension): rename it\n")
    # Beside the manifest, such a name is a file like any other (here read as no listing).
    shutil.copy(folder / name, folder / "manifest.toml")
    result = run_cli("check", folder)
    assert result.returncode == 0 and "not_a_listing" in result.stdout + result.stderr


def test_a_file_named_like_a_manifest_that_holds_no_source_table_is_no_manifest(tmp_path):
    # A second review: a Julia project's Manifest.toml, a manifest.toml.bak or a folder so named
    # beside the listings stopped every run of the folder, a file given alone too.
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    (folder / "Manifest.toml").write_text('julia_version = "1.10.0"\n\n[[deps.JSON]]\nuuid = "682c06a0"\n')
    (folder / "manifest.toml.bak").write_text('[[source]]\nfile = "a.txt"\nformat = "review_listing"\n')
    (folder / "manifest.toml.txt").mkdir()
    for named in (folder, folder / "a.txt"):
        result = run_cli("check", named)
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("content", [
    b"\xef\xbb\xbf[[source]]\nfile = \"a.txt\"\nformat = \"review_listing\"\n",
    '[[source]]\nfile = "a.txt"\nformat = "review_listing"\n'.encode("utf-16"),
    b'[["source"]]\nfile = "a.txt"\nformat = "review_listing"\n',
    b'source = [{file = "a.txt", format = "review_listing"}]\n',
])
def test_a_misnamed_manifest_is_refused_in_every_form_toml_and_windows_give_it(tmp_path, content):
    # A third review: with a BOM, in UTF-16 (PowerShell's `>`), quoted or inline it was read as a listing.
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    (folder / "manifest.toml.txt").write_bytes(content)
    result = run_cli("check", folder)
    assert result.returncode == 2 and "a manifest is read only as 'manifest.toml'" in result.stderr


def test_a_manifest_mistake_names_its_line_and_what_was_meant(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    manifest = folder / "manifest.toml"
    cases = {
        '# mine\n\n[[source]]\nfile = "a.txt"\nformat = "review_listing"\nsnapshot-date = "2025-11-12"\n':
            ":6: unknown key 'snapshot-date' in the [[source]] of line 3 (a [[source]] has file, format, "
            "snapshot_date, description)",
        '[[source]]\nfile = "a.txt"\nformat = "review_listing"\n\n[[source]]\nfile = "b.txt"\n "Format" = "x"\n':
            ":7: unknown key 'Format' in the [[source]] of line 5 (a [[source]] has file, format, snapshot_date, "
            "description)",
        '[[source]]\nfile = "a.txt"\nformat = "hf_daily_papers"\n\n[[source]]\nfile = "a.txt"\nformat = "review_listing"\n':
            ":5: [[source]] describes 'a.txt' again (also line 1): one entry a file",
        '[[source]]\nfile = "A.txt"\nformat = "review_listing"\n':
            f":1: [[source]] describes 'A.txt', which is not in {folder} ('a.txt' is: names are case-sensitive)",
        '[[source]]\nfile = "gone.txt"\nformat = "review_listing"\n':
            f":1: [[source]] describes 'gone.txt', which is not in {folder}",
        'title = "my sources"\n': ":1: unknown key 'title': a manifest holds [[source]] tables only",
        # A name holding a line break stays one line; lines are counted at "\n" only, as TOML counts them.
        '[[source]]\nfile = "a.txt"\nformat = "review_listing"\ndescription = "copied\u2028from\u0085 it"\n'
        '[[source]]\nfile = "b\\nc.txt"\nformat = "review_listing"\n':
            f":5: [[source]] describes 'b\\nc.txt', which is not in {folder}",
        '[[source]]\nfile = "a.txt\\n[[source]] x"\nformat = "review_listing"\nsnapshot_date = "12 Nov"\n':
            ":4: snapshot_date '12 Nov' of 'a.txt\\n[[source]] x' (in the [[source]] of line 1) is not YYYY-MM-DD",
        # Found by review: a misspelt format was "needs `file` and a `format`" at the table's line, a
        # bad date at the table's line, and every table written [source] TOML's own words.
        '[[source]]\nfile = "a.txt"\n\nformat = "openreview"\n':
            ":4: format 'openreview' (in the [[source]] of line 1) is not review_listing or hf_daily_papers (did you "
            "mean 'review_listing'?)",
        '[[source]]\nfile = "a.txt"\nformat = "Review_Listing"\n':
            ":3: format 'Review_Listing' (in the [[source]] of line 1) is not review_listing or hf_daily_papers (did you "
            "mean 'review_listing'?)",
        # A second review: Python's words for TOML's values, no hint for "openreview", "so are lines 9".
        '[[source]]\nfile = "a.txt"\nformat = "openreview"\n':
            ":3: format 'openreview' (in the [[source]] of line 1) is not review_listing or hf_daily_papers (did you "
            "mean 'review_listing'?)",
        '[[source]]\nfile = "a.txt"\nformat = "huggingface_listing"\n':  # a third review: not review_listing
            ":3: format 'huggingface_listing' (in the [[source]] of line 1) is not review_listing or hf_daily_papers "
            "(did you mean 'hf_daily_papers'?)",
        '[[source]]\nfile = "a.txt"\nformat = "papers with code listing"\n':
            ":3: format 'papers with code listing' (in the [[source]] of line 1) is not review_listing or "
            "hf_daily_papers",
        '[[source]]\nfile = "a.txt"\nformat = "HuggingFace"\n':
            ":3: format 'HuggingFace' (in the [[source]] of line 1) is not review_listing or hf_daily_papers (did you "
            "mean 'hf_daily_papers'?)",
        '[[source]]\nfile = "a.txt"\nformat.x = "review_listing"\n':
            ":3: format a table (in the [[source]] of line 1) is not review_listing or hf_daily_papers",
        '[[source]]\nfile = "a.txt"\nformat = "hf_daily_papers"\nsnapshot_date = 2025-11-12T10:00:00\n':
            ":4: snapshot_date 2025-11-12T10:00:00 of 'a.txt' (in the [[source]] of line 1) is not YYYY-MM-DD",
        '[source]\nfile = "a.txt"\nformat = "review_listing"\n[source]\nfile = "b.txt"\nformat = "review_listing"\n':
            ":1: [source] is one table; describe each file in a [[source]] table (two brackets) (so is line 4)",
        '[[source]]\nfile = "a.txt"\nformat = "hf-daily"\n':
            ":3: format 'hf-daily' (in the [[source]] of line 1) is not review_listing or hf_daily_papers (did you "
            "mean 'hf_daily_papers'?)",
        '[[source]]\nfile = "a.txt"\nformat = "review_listing"\n[[source]]\nfile = "b.txt"\n':
            ":4: [[source]] needs a `format` for 'b.txt': review_listing or hf_daily_papers",
        '[[source]]\nformat = "review_listing"\n': ":1: [[source]] needs `file`, the name of a file in the manifest's folder",
        '[[source]]\nfile = 7\nformat = "review_listing"\n': ":2: file 7 (in the [[source]] of line 1) is not the name of a file",
        '[[source]]\nfile = "a.txt"\nformat = "hf_daily_papers"\n# saved\nsnapshot_date = "Nov 14, 2025"\n':
            ":5: snapshot_date 'Nov 14, 2025' of 'a.txt' (in the [[source]] of line 1) is not YYYY-MM-DD",
        '[[source]]\nfile = "a.txt"\nformat = "review_listing"\ndescription = 3\n':
            ":4: description of 'a.txt' (in the [[source]] of line 1) is not a string",
        '[source]\nfile = "a.txt"\nformat = "review_listing"\n\n[source]\nfile = "b.txt"\nformat = "review_listing"\n'
        '[source]\nfile = "c.txt"\nformat = "review_listing"\n':
            ":1: [source] is one table; describe each file in a [[source]] table (two brackets) (so are lines 5, 8)",
        '[[source]]\nfile = ".a.txt"\nformat = "review_listing"\n':
            ":1: [[source]] describes '.a.txt', a hidden file, which is never read; rename it without the leading '.'",
        # Found by review: a path was called a hidden file, and these were named at no line or the wrong one.
        '[[source]]\nfile = "./a.txt"\nformat = "review_listing"\n':
            ":1: [[source]] describes './a.txt', a path: `file` is the name of a file in the manifest's folder ('a.txt')",
        '# mine\n\nversion = 1\n[[source]]\nfile = "a.txt"\nformat = "review_listing"\n':
            ":3: unknown key 'version': a manifest holds [[source]] tables only",
        '[[source]]\nfile = "a.txt"\nformat = "review_listing"\n[meta]\nx = 1\n':
            ":4: unknown key 'meta': a manifest holds [[source]] tables only",
        '# mine\n[source]\nfile = "a.txt"\nformat = "review_listing"\n':
            ":2: [source] is one table; describe each file in a [[source]] table (two brackets)",
        # Beside [[source]] tables it was TOML's error at another line ("Cannot overwrite a value (at
        # line 6, column 1)"), and after a [source.x] it was named at the [source.x] (found by review).
        '[source]\nfile = "a.txt"\nformat = "review_listing"\n\n[[source]]\nfile = "b.txt"\nformat = "review_listing"\n':
            ":1: [source] is one table; describe each file in a [[source]] table (two brackets)",
        '[[source]]\nfile = "a.txt"\nformat = "review_listing"\n\n [ source ] # b\nfile = "b.txt"\n':
            ":5: [source] is one table; describe each file in a [[source]] table (two brackets)",
        '[source.extra]\nx = 1\n["source"]\nfile = "a.txt"\nformat = "review_listing"\n':
            ":3: [source] is one table; describe each file in a [[source]] table (two brackets)",
        '\nsource = "a.txt"\n': ":2: `source` must be a list of [[source]] tables",
        '[[source]]\nfile = "a.txt"\nformat = "review_listing"\n\n[source.extra]\nx = 1\n':
            ":5: unknown key 'extra' in the [[source]] of line 1 (a [[source]] has file, format, snapshot_date, "
            "description)",
    }
    for text, message in cases.items():
        manifest.write_text(text)
        result = run_cli("check", folder)
        assert (result.returncode, result.stderr) == (2, f"error: {manifest}{message}\n"), text
    # A "[source]" line inside a description is no table: the error is TOML's own, at its line.
    manifest.write_text('[[source]]\nfile = "a.txt"\nformat = "review_listing"\ndescription = """copied\n[source]\n"""\n'
                        'snapshot_date = 2025-13-45\n')
    result = run_cli("check", folder)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {manifest}:7: not a valid TOML manifest: ")
    # A key set twice (a review): TOML's words at its line, as every error names its place.
    manifest.write_text('[[source]]\nfile = "a.txt"\nformat = "review_listing"\nformat = "review_listing"\n')
    result = run_cli("check", folder)
    assert (result.returncode, result.stderr) == (
        2, f"error: {manifest}:4: not a valid TOML manifest: Cannot overwrite a value (column 26)\n")  # the line ends at 25


def test_a_manifest_that_is_not_utf8_names_the_line_of_its_byte(tmp_path):
    # It said "'utf-8' codec can't decode byte 0xe9 in position 71", a place no editor shows.
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    manifest = folder / "manifest.toml"
    for bom in (b"", b"\xef\xbb\xbf"):  # with a BOM, its 3 bytes were left out of the place: line 3, byte 0x63
        manifest.write_bytes(bom + b'[[source]]\nfile = "a.txt"\nformat = "review_listing"\ndescription = "caf\xe9"\n')
        result = run_cli("check", folder)
        assert (result.returncode, result.stderr) == (
            2, f"error: {manifest}:4: not UTF-8, as a TOML manifest is (byte 0xe9); save it as UTF-8\n")


@pytest.mark.parametrize(
    "content",
    [b"\x00" * 1000, b"\xff\xfe\xfd" * 300, b"\n\n\n", "·\n·\n  • 3 authors\nNov 12\n".encode(), b"Accept (Poster)\n" * 5],
    ids=["nuls", "not-utf8", "blank-lines", "hf-debris", "decisions-only"],
)
def test_no_input_makes_a_traceback(tmp_path, content):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "bad.txt").write_bytes(content)
    shutil.copy(SOURCES / REVIEW, folder / REVIEW)
    for command in ("build", "check"):
        result = run_cli(command, folder, *(["--output", tmp_path / "x.db"] if command == "build" else []))
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 0, result.stderr
        assert "bad.txt" in result.stderr


def test_detect_format():
    assert detect_format(hf_page(["Title", "", ABSTRACT_A])) == ("hf_daily_papers", None)
    assert detect_format("just\nsome\nwords\n") == (None, None)
    # Its title in another case, below the site's menu (a page of one entry has one dated block).
    menu = "Hugging Face\nModels\nDatasets\nSpaces\nPosts\nDocs\nEnterprise\nPricing\n\n"
    assert detect_format(menu + hf_page(["Title", "", ABSTRACT_A]).replace("Daily Papers", "DAILY PAPERS")) == (
        "hf_daily_papers", None)


def test_detecting_a_review_listing_gives_its_reading():
    # Telling a review listing means reading it; that reading is handed on, not made twice.
    text = review_text("Title", ABSTRACT_A, "Accept (Poster)")
    file_format, reading = detect_format(text)
    assert file_format == "review_listing"
    (record,) = reading.records
    assert (record.line, record.last_line, record.title, record.abstract, record.decision) == (
        1, 3, "Title", ABSTRACT_A, "Accept (Poster)")


def test_a_stray_dot_line_does_not_make_a_review_listing_a_page():
    text = review_text("Title One", ABSTRACT_A, "·", "Title Two", ABSTRACT_A.replace("lenders", "banks"), "Accept (Poster)")
    assert detect_format(text)[0] == "review_listing"
    two_blocks = hf_page(["T1", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3"],
                         ["T2", "", ABSTRACT_A + " Two.", "", "  • 2 authors", "·", "Nov 4 5"])
    assert detect_format(two_blocks.replace("Daily Papers", "Weekly Papers"))[0] == "hf_daily_papers"


OTHER_FILES = {
    "data.json": ("JSON", '[\n' + ",\n".join(f'  {{"title": "Paper number {n}", "id": {n}}}' for n in range(300)) + "\n]\n"),
    "table.csv": ("CSV", "title,abstract,year\n" + "".join(f"Paper {n},Short text {n},2024\n" for n in range(50))),
    # Found by review: named "CSV".
    "sheet.tsv": ("tab-separated values", "title\tabstract\tyear\n" + "".join(f"Paper {n}\tText {n}\t2024\n" for n in range(20))),
    "sheet.txt": ("semicolon-separated values", "title;abstract\n" + "".join(f"Paper {n};{ABSTRACT_A}\n" for n in range(12))),
    "page.html": ("HTML", "<!DOCTYPE html>\n<html>\n<body>\n" + "".join(f"<p>Paragraph {n}</p>\n" for n in range(50))),
    "blob.bin": ("binary data", bytes(range(256)) * 20),
    "random.txt": ("binary data", random.Random(0).randbytes(5000)),
    # Found by review: called binary, with the lines that showed otherwise left out.
    "french.txt": ("text not in UTF-8 (saved in another encoding?)",
                   "".join(f"Étude numéro {n} sur l'apprentissage\n" for n in range(20)).encode("cp1252")),
    # Long text in each line or field, which a listing's reader would take for abstracts:
    "one_line.json": ("JSON", json.dumps([{"title": f"Paper {n}", "abstract": ABSTRACT_A} for n in range(3)]) + "\n"),
    "papers.jsonl": ("JSON Lines", "".join(json.dumps({"id": n, "abstract": ABSTRACT_A}) + "\n" for n in range(5))),
    "one_row.csv": ("CSV", 'id,title,abstract,first_published_on\n1,"A Title, With a Comma","' + ABSTRACT_A + '",2025-11-03\n'),
    "nested.json": ("JSON", "[" * 100_000 + "]" * 100_000 + "\n"),  # deeper than Python's parser reads
    "cut.jsonl": ("JSON Lines", "".join(json.dumps({"id": n, "abstract": ABSTRACT_A}) + "\n" for n in range(3)) + '{"id": 3, "abs'),
    "fragment.html": ("HTML", "<table>\n<tr><td>" + ABSTRACT_A + "</td></tr>\n</table>\n"),
    "caption.html": ("HTML", "<caption>Papers</caption>\n<tr><td>" + ABSTRACT_A + "</td></tr>\n"),
    "two_columns.csv": ("CSV", "title,abstract\n" + "".join(f'Paper {n},"{ABSTRACT_A}"\n' for n in range(3))),
    "papers.csv": ("CSV", "id,title,abstract\n" + "".join(
        f'{n},"A Title, With a Comma {n}","{ABSTRACT_A}\nIts second line, quoted."\n' for n in range(5))),
    # Found by review: a small export whose header names hold spaces, and a Markdown table, were
    # read as review listings, the header row a paper's title and every decision inside an abstract.
    "spaced_header.csv": ("CSV", "Paper Title,Abstract,Decision\n" + "".join(
        f'Paper {n},"{abstract}",{decision}\n' for n, (abstract, decision) in enumerate(
            [(ABSTRACT_A, "Accept (Poster)"), (ABSTRACT_B, "Reject"), (ABSTRACT_C, "Accept (Oral)")]))),
    "table.md": ("Markdown table", "| Title | Abstract | Decision |\n|---|---|---|\n" + "".join(
        f"| Paper {n} | {abstract} | Reject |\n" for n, abstract in enumerate([ABSTRACT_A, ABSTRACT_B, ABSTRACT_C]))),
    "aligned_table.md": ("Markdown table", "Title | Abstract\n:--- | ---:\n" + "".join(
        f"Paper {n} | {abstract}\n" for n, abstract in enumerate([ABSTRACT_A, ABSTRACT_B]))),
}


@pytest.mark.parametrize("name", sorted(OTHER_FILES))
def test_files_that_are_not_listings_are_named_and_give_no_records(name):
    kind, content = OTHER_FILES[name]
    data = content if isinstance(content, bytes) else content.encode()
    reading = read_source(SourceFile(Path(name), data))
    assert reading.records == [] and reading.format is None
    refusal = reading.issues[0]  # first: the build shows 20 warnings
    assert (refusal.line, refusal.code) == (None, "not_a_listing")
    assert refusal.message.startswith(f"{kind}, not a listing")
    assert reading.unaccounted_lines() == []
    if kind == "binary data":
        # Its bytes are no lines: a warning for each line's NULs and bad bytes (49 for 5 kB of
        # random bytes) hid the one saying what the file is (found by review).
        assert reading.issues == [refusal]
    elif kind.startswith("text not in UTF-8"):  # each line says how it was read
        assert [issue.code for issue in reading.issues[1:]] == ["invalid_utf8"] * 20


@pytest.mark.parametrize("file_format", ["review_listing", "hf_daily_papers"])
def test_binary_files_a_manifest_describes_as_listings_are_named_and_give_no_records(file_format):
    # Found by review: a Word file (a zip) described as a review listing made one paper of its
    # bytes, reported only as bad bytes, where the same file undescribed was named binary data.
    for name in ("blob.bin", "random.txt"):
        content = OTHER_FILES[name][1]
        reading = read_source(SourceFile(Path(name), content, format=file_format))
        assert reading.records == [] and reading.unaccounted_lines() == []
        assert [issue.code for issue in reading.issues] == ["not_a_listing"]
        assert reading.issues[0].message.startswith("binary data, not a listing")
        assert f"(the manifest says {file_format})" in reading.issues[0].message
    # A listing with a stray NUL byte is still read as described, the byte reported at its line.
    listing = (SOURCES / REVIEW).read_bytes()
    first_break = listing.index(b"\n")
    damaged = listing[:first_break] + b"\x00" + listing[first_break:]
    reading = read_source(SourceFile(Path(REVIEW), damaged, format="review_listing"))
    assert len(reading.records) == len(read_source(SourceFile(Path(REVIEW), listing, format="review_listing")).records)
    assert [(issue.line, issue.code) for issue in reading.issues if issue.code == "nul_byte"] == [(1, "nul_byte")]
    # A second review: a small listing ending in a form feed (pdftotext's page break), and one
    # copied from a terminal with its colours, were refused as binary data.
    small = b"Graph Nets at Scale\nWe study graph networks on many tasks.\nAccept (Poster)\n\f"
    assert [r.title for r in read_source(SourceFile(Path("a.txt"), small, format="review_listing")).records] == [
        "Graph Nets at Scale"]
    coloured = listing.replace(b"Accept", b"\x1b[32mAccept\x1b[0m")
    assert b"\x1b" in coloured
    assert read_source(SourceFile(Path(REVIEW), coloured, format="review_listing")).records
    # A third review: a tiny gzip and an empty zip have fewer control characters than that once
    # their NULs are dropped, and an uncompressed PDF reads as text: told by their first bytes.
    import gzip
    tiny = {"tiny.gz": gzip.compress(b"Attention", mtime=0), "empty.zip": b"PK\x05\x06" + bytes(18),
            "plain.pdf": b"%PDF-1.4\n1 0 obj\n<< /Title (Graph Nets at Scale) >>\nendobj\n" + listing}
    for name, content in tiny.items():
        reading = read_source(SourceFile(Path(name), content, format="review_listing"))
        assert reading.records == [] and [issue.code for issue in reading.issues] == ["not_a_listing"], name
        assert reading.issues[0].message.startswith("binary data, not a listing"), name


def test_the_packages_own_exports_dropped_into_the_sources_are_named_not_read(built_db, tmp_path):
    # A user's folder of sources may also hold tables exported from this database: papers as CSV
    # and listings as JSON Lines, whose abstracts would read as a listing's.
    exported = tmp_path / "export"
    for form in ("csv", "json"):
        result = run_cli("export", "--db", built_db, "--output", exported, "--format", form)
        assert result.returncode == 0, result.stderr
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / REVIEW)
    shutil.copy(exported / "papers.csv", folder / "papers.csv")
    shutil.copy(exported / "listings.jsonl", folder / "listings.jsonl")
    output = tmp_path / "papers.db"
    result = run_cli("build", folder, "--output", output)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(output) as conn:
        assert conn.execute("select count(*) from listings").fetchone() == (100,)  # 001's records alone
        issues = conn.execute("select file_name, line, code, substr(message, 1, instr(message, ',') - 1) "
                              "from parse_issues join sources on sources.id = source_id order by file_name").fetchall()
    assert issues == [("listings.jsonl", None, "not_a_listing", "JSON Lines"), ("papers.csv", None, "not_a_listing", "CSV")]


@pytest.mark.parametrize("link_name", ["aa_link.txt", "zz_link.txt"])
def test_a_symlink_beside_a_source_leaves_it_read_under_its_own_name(tmp_path, link_name):
    # Whichever the folder lists last, the file keeps its own name and its manifest entry
    # (its snapshot date: without it, 22 of the page's dates found no year).
    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    page = "002_d49063e7f5512c84.txt"
    (folder / link_name).symlink_to(page)
    output = tmp_path / "papers.db"
    assert run_cli("build", folder, "--output", output).returncode == 0
    with sqlite3.connect(output) as conn:
        assert conn.execute("select file_name, snapshot_date from sources where file_name in (?, ?)",
                            (page, link_name)).fetchall() == [(page, "2025-11-12")]
        assert conn.execute("select count(*) from sources").fetchone() == (5,)
        assert conn.execute("select count(*) from listings where published_on is null and date_text is not null"
                            ).fetchone() == (0,)
        assert conn.execute("select count(*) from parse_issues").fetchone() == (0,)


def test_a_small_listing_with_a_comma_in_every_line_is_read_as_a_listing():
    abstract_b = ABSTRACT_A.replace("We study", "We revisit")
    lines = ["Sparse, Efficient Transformers", ABSTRACT_A, "Robust Learning, Revisited", abstract_b]
    assert all(line.count(",") == lines[0].count(",") for line in lines)  # one width as CSV
    reading = read_source(SourceFile(Path("small.txt"), review_text(*lines).encode()))
    assert reading.format == "review_listing"
    assert [(r.title, r.abstract) for r in reading.records] == [(lines[0], lines[1]), (lines[2], lines[3])]


@pytest.mark.parametrize("lines", [
    ["Look, Listen, Learn", ABSTRACT_A.replace("the usual methods", "the usual, common methods")],  # one record, 3 fields a line
    ["<a href> Considered Harmful: Links in Abstracts", ABSTRACT_A, "<EOS> Tokens and Where to Find Them", ABSTRACT_B],
])
def test_a_listing_that_starts_like_data_is_read_as_a_listing(lines):
    reading = read_source(SourceFile(Path("small.txt"), review_text(*lines).encode()))
    assert reading.format == "review_listing"
    assert [(r.title, r.abstract) for r in reading.records] == list(zip(lines[::2], lines[1::2]))


WRONGLY_TYPED_MANIFESTS = [
    '[[source]]\nfile = "a.txt"\nformat = []\n',
    '[[source]]\nfile = "a.txt"\nformat = "hf_daily_papers"\nsnapshot_date = 5\n',
    '[[source]]\nfile = ["a.txt"]\nformat = "review_listing"\n',
    '[[source]]\nfile = "a.txt"\nformat = "review_listing"\ndescription = 3\n',
    'source = "a.txt"\n',
    'source = [1, 2]\n',
    '[[source]]\nfile = "[bold]a.txt"\nformat = "[red]"\n',
]


@pytest.mark.parametrize("manifest", WRONGLY_TYPED_MANIFESTS)
def test_a_manifest_with_wrong_types_is_one_error_naming_it(tmp_path, manifest):
    (tmp_path / "manifest.toml").write_text(manifest)
    with pytest.raises(PapersDbError) as error:
        read_manifest(tmp_path)
    assert str(error.value).startswith(f"{tmp_path / 'manifest.toml'}:")  # and the line, where one is to blame


def test_a_file_name_that_is_not_utf8_is_stored_readably_and_reported(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    name = b"caf\xe9 [red]listing.txt"
    (folder / os.fsdecode(name)).write_bytes((SOURCES / REVIEW).read_bytes())
    output = tmp_path / "papers.db"
    result = run_cli("build", folder, "--output", output)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    with sqlite3.connect(output) as conn:
        assert conn.execute("select file_name from sources").fetchall() == [("caf\ufffd [red]listing.txt",)]
        assert conn.execute("select code from parse_issues").fetchall() == [("invalid_file_name",)]


def test_a_manifest_saved_with_a_byte_order_mark_is_read(tmp_path):
    # Windows editors save UTF-8 with a BOM, which TOML refused at line 1, column 1.
    (tmp_path / "manifest.toml").write_bytes(b"\xef\xbb\xbf" + (SOURCES / "manifest.toml").read_bytes())
    def described(folder):
        return {name: {key: value for key, value in entry.items() if key != "where"}
                for name, entry in read_manifest(folder).items()}

    assert described(tmp_path) == described(SOURCES)
    assert len(read_manifest(tmp_path)) == 5


def test_a_page_saved_again_in_another_form_is_read_once(tmp_path):
    # A page saved again on Windows was read twice: 54 entries became 162 listings, each paper
    # "cross-listed" three times, with no issue.
    page = (SOURCES / "003_6399432fb99c7d91.txt").read_bytes()
    folder = tmp_path / "sources"
    folder.mkdir()
    copies = {"page.txt": page, "page_crlf.txt": page.replace(b"\n", b"\r\n") + b"\r\n",
              "page_bom.txt": b"\xef\xbb\xbf" + page + b"\n\n", "page_edited.txt": page.replace(b"Nov", b"Dec", 1),
              # These were read again: each paper then had 4 sources.
              "page_blanks.txt": page.replace(b"\n", b" \t\n"), "page_mac.txt": page.replace(b"\n", b"\r"),
              "page_mac_header.txt": page.replace(b"\n", b"\r").replace(b"\r", b"\r\n", 1),
              "page_utf16.txt": page.decode("utf-8").encode("utf-16"),
              "page_utf16_no_bom.txt": page.decode("utf-8").encode("utf-16-le")}
    # A byte that is not UTF-8 in the page: its CRLF save was compared as decoded text (U+FFFD),
    # the page as bytes, and both were read.
    middle = page.index(b"\n", len(page) // 2) + 1
    latin1 = page[:middle] + b"Caf\xe9 note\n" + page[middle:]
    copies.update({"page_latin1.txt": latin1, "page_latin1_crlf.txt": latin1.replace(b"\n", b"\r\n")})
    for name, data in copies.items():
        (folder / name).write_bytes(data)
    manifest = "".join(f'[[source]]\nfile = "{name}"\nformat = "hf_daily_papers"\nsnapshot_date = "2025-11-20"\n'
                       for name in copies)
    (folder / "manifest.toml").write_text(manifest)
    result = run_cli("build", folder, "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "page.txt").write_bytes(page)
    (alone / "manifest.toml").write_text(manifest.split("[[source]]")[1].join(["[[source]]", ""]))
    assert run_cli("build", alone, "--output", tmp_path / "alone.db").returncode == 0
    with sqlite3.connect(tmp_path / "alone.db") as conn:
        (entries,) = conn.execute("select count(*) from listings").fetchone()
    with sqlite3.connect(tmp_path / "papers.db") as conn:
        issues = conn.execute("select file_name, message from parse_issues join sources on sources.id = source_id "
                              "where code = 'duplicate_file' order by file_name").fetchall()
        read = dict(conn.execute("select file_name, count(*) from listings join sources on sources.id = source_id "
                                 "group by file_name").fetchall())
    assert issues == [(name, "the same text as page.txt; read once") for name in (
        "page_blanks.txt", "page_bom.txt", "page_crlf.txt")] + [
        ("page_latin1_crlf.txt", "the same text as page_latin1.txt; read once")] + [
        (name, "the same text as page.txt; read once") for name in (
        "page_mac.txt", "page_mac_header.txt", "page_utf16.txt", "page_utf16_no_bom.txt")]
    # The edited copy is another page: read in full, as the first one.
    assert read.pop("page_latin1.txt") >= entries  # another page: the line added may read as one more
    assert read == {"page.txt": entries, "page_edited.txt": entries} and entries > 50


def test_a_page_copied_again_with_its_text_laid_out_otherwise_is_read_once(tmp_path):
    # The same page copied in three browsers (blank lines dropped, tabs around the bullets) was
    # three sources: every paper listed three times and "cross-listed" (a review of other copies).
    page = (SOURCES / "003_6399432fb99c7d91.txt").read_text(encoding="utf-8")
    entries_at = page.index("\n\n", page.index("Nov 20")) + 2  # the first entry's title
    first_abstract = page.splitlines()[page[:entries_at].count("\n") + 2]
    assert len(first_abstract) > 200
    middle_title = read_hf_daily_page(page, "2025-11-20").records[20].title
    assert page.count(middle_title) == 1
    copies = {
        "page.txt": page,
        "page_no_blanks.txt": page.replace("\n\n", "\n"),  # header and all
        "page_tabs.txt": page.replace("  • ", "\t•\t"),
        # Not the same records: another abstract of the same length, another upvote count, another
        # snapshot date (below): each read.
        "page_abstract.txt": page.replace(first_abstract, first_abstract[::-1], 1),
        "page_upvotes.txt": page[:entries_at] + page[entries_at:].replace(" 1\n", " 2\n", 1),
        "page_later.txt": page.replace("  • ", " • "),
        # Alike in its number of records and its first and last, another middle title: no repeat,
        # but the original of its own copy after it (it was compared with page.txt alone: review).
        "page_middle.txt": page.replace(middle_title, middle_title + " Again", 1),
        "page_middle_no_blanks.txt": page.replace(middle_title, middle_title + " Again", 1).replace("\n\n", "\n"),
    }
    assert all(copy != page for name, copy in copies.items() if name != "page.txt")
    folder = tmp_path / "sources"
    folder.mkdir()
    for name, text in copies.items():
        (folder / name).write_text(text, encoding="utf-8")
    snapshot = {name: "2025-11-21" if name == "page_later.txt" else "2025-11-20" for name in copies}
    (folder / "manifest.toml").write_text("".join(
        f'[[source]]\nfile = "{name}"\nformat = "hf_daily_papers"\nsnapshot_date = "{snapshot[name]}"\n' for name in copies))
    result = run_cli("build", folder, "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "papers.db") as conn:
        read = dict(conn.execute("select file_name, count(listings.id) from sources left join listings "
                                 "on sources.id = source_id group by file_name").fetchall())
        repeats = conn.execute("select s.file_name, o.file_name, message from sources s join sources o on o.id = s.duplicate_of "
                               "join parse_issues on parse_issues.source_id = s.id order by s.file_name").fetchall()
    entries = read["page.txt"]
    assert entries > 50 and read == {"page.txt": entries, "page_no_blanks.txt": 0, "page_tabs.txt": 0,
                                     "page_abstract.txt": entries, "page_upvotes.txt": entries, "page_later.txt": entries,
                                     "page_middle.txt": entries, "page_middle_no_blanks.txt": 0}
    assert [(copy, original) for copy, original, _ in repeats] == [
        ("page_middle_no_blanks.txt", "page_middle.txt"), ("page_no_blanks.txt", "page.txt"), ("page_tabs.txt", "page.txt")]
    assert all(f"every record the same as {original}'s" in message for _, original, message in repeats)


@pytest.mark.parametrize("checked_at_once", [1, 2, 3, 16 * 1024 * 1024])
def test_one_blank_at_one_line_end_makes_the_same_text_wherever_it_falls(monkeypatch, checked_at_once):
    # Blanks at line ends are looked for in parts of the file (BLANKS_CHECKED_AT_ONCE bytes): one
    # whose "\n" starts the next part must still be found.
    monkeypatch.setattr(papers_db.sources, "BLANKS_CHECKED_AT_ONCE", checked_at_once)
    page = (SOURCES / "003_6399432fb99c7d91.txt").read_bytes()
    lines = page.split(b"\n")
    plain = hashlib.sha256(page).hexdigest()
    assert saved_text_digest(page, plain) == plain  # no blank at a line end: the bytes' own checksum
    for where in (0, 1, 2, len(lines) // 2, len(lines) - 2):
        for blank in (b" ", b"\t", b" \t "):
            edited = b"\n".join(lines[:where] + [lines[where] + blank] + lines[where + 1:])
            assert saved_text_digest(edited, hashlib.sha256(edited).hexdigest()) == plain, (where, blank)
    inside = page.replace(b"Nov", b"Nov ", 1)  # a blank inside a line is part of the text
    assert saved_text_digest(inside, hashlib.sha256(inside).hexdigest()) != plain


def test_of_a_page_and_its_repeat_the_one_the_manifest_describes_is_read(tmp_path):
    # A copy dropped in under a name that sorts first was read, without the snapshot date, and the
    # described page passed over as its repeat: 54 entries, 31 of them without a year.
    page = (SOURCES / "003_6399432fb99c7d91.txt").read_bytes()
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "a_copy.txt").write_bytes(page.replace(b"\n", b"\r\n"))
    (folder / "page.txt").write_bytes(page)
    (folder / "manifest.toml").write_text('[[source]]\nfile = "page.txt"\nformat = "hf_daily_papers"\n'
                                          'snapshot_date = "2025-11-20"\n')
    result = run_cli("build", folder, "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "papers.db") as conn:
        sources = conn.execute("select id, file_name, snapshot_date, duplicate_of from sources order by id").fetchall()
        undated = conn.execute("select count(*) from listings where date_text is not null and published_on is null")
        issues = conn.execute("select file_name, code, message from parse_issues join sources on sources.id = source_id")
        assert sources == [(1, "page.txt", "2025-11-20", None), (2, "a_copy.txt", None, 1)]
        assert undated.fetchone() == (0,)
        assert issues.fetchall() == [("a_copy.txt", "duplicate_file", "the same text as page.txt; read once")]


def test_warnings_stay_one_short_line_whatever_the_file_name_and_line(tmp_path):
    # A 200,000-character date line made a 1.2 MB warning; a file name with a line break split
    # a warning in two, and one with ESC sequences reached the terminal as they were.
    folder = tmp_path / "sources"
    folder.mkdir()
    review = (SOURCES / REVIEW).read_text(encoding="utf-8")
    name = "odd\nname\x1b[31m.txt"
    (folder / name).write_text("Accept (Poster)\n" + review, encoding="utf-8")  # an orphan decision on line 1
    page = (SOURCES / "003_6399432fb99c7d91.txt").read_text(encoding="utf-8").split("\n")
    dot = page.index("·")
    page[dot + 1] = "Aug 10, 2024 " + "x" * 200_000  # the date line after the first "·"
    (folder / "page.txt").write_text("\n".join(page), encoding="utf-8")
    (folder / "manifest.toml").write_text(
        '[[source]]\nfile = "page.txt"\nformat = "hf_daily_papers"\nsnapshot_date = "2025-11-20"\n'
        '[[source]]\nfile = "odd\\nname\\u001b[31m.txt"\nformat = "review_listing"\n')
    result = run_cli("build", folder, "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr + result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "warning: odd\\nname\\x1b[31m.txt:1: decision 'Accept (Poster)' follows no paper [orphan_decision]" in warnings
    [bad_date] = [line for line in warnings if "[bad_date]" in line]
    assert bad_date.startswith(f"warning: page.txt:{dot + 2}: 'Aug 10, 2024 " + "x" * 186 + "…'") and len(bad_date) < 400
    with sqlite3.connect(tmp_path / "papers.db") as conn:
        messages = [message for (message,) in conn.execute("select message from parse_issues")]
    assert messages and max(map(len, messages)) < 400


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="no /proc/self/mem here")
def test_a_source_that_fails_as_it_is_read_is_named_not_the_output(tmp_path):
    # /proc/self/mem opens but fails to read (EIO): the error named the database being written.
    (tmp_path / "mem.txt").symlink_to("/proc/self/mem")
    result = run_cli("build", tmp_path / "mem.txt", "--output", tmp_path / "out" / "papers.db")
    assert result.returncode == 1
    assert result.stderr == f"error: {tmp_path / 'mem.txt'}: cannot be read: Input/output error\n"


def test_a_path_that_may_not_be_looked_at_is_named(tmp_path, monkeypatch):
    # A file in a folder the user may not search: Path.is_dir raised PermissionError, a bug's exit 70.
    def not_permitted(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "is_dir", not_permitted)
    with pytest.raises(PapersDbError) as refusal:
        find_sources([tmp_path / "locked" / "a.txt"])
    assert str(refusal.value) == f"{tmp_path / 'locked' / 'a.txt'}: cannot be read: Permission denied"
    assert refusal.value.exit_status == BAD_INPUT


def test_what_a_sources_folder_holds_besides_files_is_named_as_not_read(tmp_path):
    # A folder of listings inside the sources folder, a link to a folder or to nothing, a link
    # that leads back to itself and a FIFO were passed over without a word.
    folder = tmp_path / "sources"
    (folder / "more").mkdir(parents=True)
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    shutil.copy(SOURCES / REVIEW, folder / "more" / "b.txt")
    (tmp_path / "elsewhere").mkdir()
    (folder / "linked").symlink_to(tmp_path / "elsewhere")
    (folder / "gone.txt").symlink_to(tmp_path / "no-such-file.txt")
    (folder / "loop.txt").symlink_to("loop.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / ".hidden").mkdir()  # hidden entries are never read, and not named (README)
    result = run_cli("build", folder, "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.endswith("[not_read]")]
    nothing = "a link to nothing (its target is missing, or it leads back to itself): not read [not_read]"
    a_folder = ("a folder (only the files directly in a sources folder are read; give it as a path of its own): "
                "not read [not_read]")
    assert skipped == [f"warning: {folder / 'gone.txt'}: {nothing}", f"warning: {folder / 'linked'}: {a_folder}",
                       f"warning: {folder / 'loop.txt'}: {nothing}", f"warning: {folder / 'more'}: {a_folder}",
                       f"warning: {folder / 'pipe.txt'}: not a regular file (a pipe, socket or device): not read [not_read]"]
    with sqlite3.connect(tmp_path / "papers.db") as conn:
        assert conn.execute("select file_name from sources").fetchall() == [("a.txt",)]


def test_files_named_one_by_one_with_their_manifest_build_what_their_folder_builds(tmp_path, built_db):
    # `build sources/*` read manifest.toml as a sixth source (a not_a_listing issue, one file more
    # in build_info.source_count), which --strict then refused.
    named = sorted(SOURCES.iterdir())
    assert SOURCES / "manifest.toml" in named and len(named) == 6
    result = run_cli("build", *named, "--strict", "--output", tmp_path / "papers.db")
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("warning:")] == [
        f"warning: {SOURCES / 'manifest.toml'}: a manifest, which describes the files beside it and is no listing: "
        "not read as one [not_read]"]
    assert (tmp_path / "papers.db").read_bytes() == built_db.read_bytes()
    result = run_cli("build", SOURCES / "manifest.toml", "--output", tmp_path / "alone.db")
    assert result.returncode == 2 and result.stderr.splitlines()[-1] == f"error: no source files in {SOURCES / 'manifest.toml'}"


@pytest.mark.parametrize("kind", ["pipe", "link to nothing", "loop"])
def test_a_path_given_that_is_no_file_or_folder_says_what_it_is(tmp_path, kind):
    path = tmp_path / "source.txt"
    if kind == "pipe":
        os.mkfifo(path)
    else:
        path.symlink_to(tmp_path / "missing.txt" if kind == "link to nothing" else path)
    result = run_cli("check", path)
    assert result.returncode == 2
    what = "not a regular file (a pipe, socket or device)" if kind == "pipe" else \
        "a link to nothing (its target is missing, or it leads back to itself)"
    assert result.stderr == f"error: {path}: {what}: nothing to read\n"


@pytest.mark.parametrize("kind", ["folder", "link to nothing"])
def test_a_manifest_that_is_no_file_is_refused(tmp_path, kind):
    # It was taken for no manifest: the files were read without their formats and snapshot dates.
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    if kind == "folder":
        (folder / "manifest.toml").mkdir()
    else:
        (folder / "manifest.toml").symlink_to(tmp_path / "missing.toml")
    result = run_cli("check", folder)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {folder / 'manifest.toml'}: ") and "a manifest must be a file" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_file_that_ends_inside_a_line_is_read_as_cut_off(encoding):
    # A listing cut off inside its last abstract, with no line break after it: the stretch of
    # abstract was a paper of its own. With its line break the file reads as whole.
    cut = "We show that dense attention matches sparse attention on long"
    text = review_text("Paper Zero", ABSTRACT_B, "Reject", "Sparse Attention", ABSTRACT_A, "Accept (Poster)",
                       "Dense Attention", cut)
    reading = read_source(SourceFile(Path("cut.txt"), text.rstrip("\n").encode(encoding)))
    assert [(r.title, r.abstract) for r in reading.records] == [
        ("Paper Zero", ABSTRACT_B), ("Sparse Attention", ABSTRACT_A), ("Dense Attention", cut)]
    assert [(i.line, i.code) for i in reading.issues if i.code != "utf16"] == [(8, "truncated_record")]
    reading = read_source(SourceFile(Path("whole.txt"), text.encode(encoding)))
    assert [r.title for r in reading.records] == ["Paper Zero", "Sparse Attention", "Dense Attention", cut]


def test_one_page_in_two_folders_with_different_snapshot_dates_builds_the_same_whatever_the_order(tmp_path):
    # Sorted by name and bytes alone, the copy read was the one whose folder was given first, and
    # with it the snapshot date: `build f1 f2` and `build f2 f1` made two databases (found by review).
    page = (SOURCES / "003_6399432fb99c7d91.txt").read_bytes()
    folders = []
    for name, date in (("f1", "2025-11-20"), ("f2", "2025-11-21")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "page.txt").write_bytes(page)
        (folder / "manifest.toml").write_text(
            f'[[source]]\nfile = "page.txt"\nformat = "hf_daily_papers"\nsnapshot_date = "{date}"\n')
        folders.append(folder)
    digests = set()
    for order in (folders, folders[::-1]):
        output = tmp_path / "-".join(folder.name for folder in order) / "papers.db"
        assert run_cli("build", *order, "--output", output).returncode == 0
        digests.add(output.with_name("papers.db.sha256").read_text().split()[0])
        with sqlite3.connect(output) as conn:
            read = conn.execute("select snapshot_date from sources where duplicate_of is null").fetchall()
        assert read == [("2025-11-20",)]
    assert len(digests) == 1


def test_files_of_one_name_in_two_folders_are_told_apart_by_their_folders(tmp_path):
    # Two sites' pages saved as page.txt: every message, the summary and the database named both
    # "page.txt", so a warning could not say which file it meant, and paper_overview listed a
    # paper on both pages as on one ("which listing did this record come from?" had no answer).
    pages = {
        "site-a/data": review_text("Sparse Attention For Long Documents", ABSTRACT_A, "", "Title Alone Here"),
        "site-b/data": review_text("Sparse Attention For Long Documents", ABSTRACT_A),
        "site-b/other": review_text("Diffusion Samplers In Few Steps", ABSTRACT_B),
    }
    for folder, text in pages.items():
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "page.txt").write_text(text, encoding="utf-8")
    (tmp_path / "site-b" / "data" / "notes.txt").write_text(review_text("Diffusion Samplers In Few Steps", ABSTRACT_C))
    output = tmp_path / "out" / "papers.db"
    result = run_cli("build", *(tmp_path / folder for folder in pages), "--output", output, "--json")
    assert result.returncode == 0, result.stderr
    assert "site-a/data/page.txt:4: title with no abstract after it" in result.stderr
    assert sorted(file["name"] for file in json.loads(result.stdout)["files"]) == [
        "notes.txt", "other/page.txt", "site-a/data/page.txt", "site-b/data/page.txt"]
    with sqlite3.connect(output) as conn:
        names = [name for (name,) in conn.execute("select file_name from sources order by file_name")]
        issue_files = conn.execute("select file_name, line from parse_issues join sources on sources.id = source_id").fetchall()
        (shared,) = conn.execute("select sources from paper_overview where title = 'Sparse Attention For Long Documents'").fetchone()
    assert names == ["notes.txt", "other/page.txt", "site-a/data/page.txt", "site-b/data/page.txt"]
    assert issue_files == [("site-a/data/page.txt", 4)]
    assert json.loads(shared) == ["site-a/data/page.txt", "site-b/data/page.txt"]
    # Where the sources lie does not matter: the same folders elsewhere, given in another order, build the same file.
    moved = tmp_path / "moved" / "deeper"
    shutil.copytree(tmp_path / "site-a", moved / "site-a")
    shutil.copytree(tmp_path / "site-b", moved / "site-b")
    again = tmp_path / "again" / "papers.db"
    assert run_cli("build", *(moved / folder for folder in reversed(pages)), "--output", again).returncode == 0
    assert again.with_name("papers.db.sha256").read_text().split()[0] == output.with_name("papers.db.sha256").read_text().split()[0]


def test_names_told_apart_by_folders_are_the_same_however_the_paths_are_spelled_and_ordered(tmp_path):
    # Found by review: names from the paths as given made `build s1 s2` and, from s1,
    # `build . ../s2` two databases; and two same pages in x/data and y/data, sorted by their
    # parent's name alone, gave two databases by the order they were given in.
    page = (SOURCES / "003_6399432fb99c7d91.txt").read_bytes()
    (tmp_path / "p" / "s1").mkdir(parents=True)
    (tmp_path / "p" / "s2").mkdir()
    (tmp_path / "p" / "s1" / "page.txt").write_text(review_text("Sparse Attention", ABSTRACT_A), encoding="utf-8")
    (tmp_path / "p" / "s2" / "page.txt").write_bytes(page)
    (tmp_path / "link").symlink_to(tmp_path / "p")
    digests, names = set(), set()
    for cwd, paths in (("p", ["s1", "s2"]), ("p/s1", [".", "../s2"]), ("p/s2", ["../s1/page.txt", "."]),
                       (".", ["link/s1", "p/s2"])):
        output = tmp_path / "out" / f"{len(digests)}-{cwd.replace('/', '_')}" / "papers.db"
        assert run_cli("build", *paths, "--output", output, cwd=tmp_path / cwd).returncode == 0, (cwd, paths)
        digests.add(output.with_name("papers.db.sha256").read_text().split()[0])
        with sqlite3.connect(output) as conn:
            names.add(tuple(name for (name,) in conn.execute("select file_name from sources order by file_name")))
    assert names == {("s1/page.txt", "s2/page.txt")} and len(digests) == 1
    digests = set()
    for folder in ("x", "y"):
        (tmp_path / folder / "data").mkdir(parents=True)
        (tmp_path / folder / "data" / "page.txt").write_bytes(page)
    for order in (("x/data", "y/data"), ("y/data", "x/data")):
        output = tmp_path / "-".join(order).replace("/", "_") / "papers.db"
        assert run_cli("build", *order, "--output", output, cwd=tmp_path).returncode == 0
        digests.add(output.with_name("papers.db.sha256").read_text().split()[0])
        with sqlite3.connect(output) as conn:
            assert conn.execute("select file_name, duplicate_of from sources order by id").fetchall() == [
                ("x/data/page.txt", None), ("y/data/page.txt", 1)]
    assert len(digests) == 1


@pytest.mark.parametrize(("name", "said"), [(REVIEW, "hf_daily_papers"), (HF, "review_listing")])
def test_a_file_whose_content_shows_the_other_format_than_its_manifest_says_is_reported(name, said):
    # Read as a page, a review listing's decisions became titles of papers, and read as a review
    # listing a page's author lines and dates became titles, with nothing naming the cause (found
    # by review). It is still read as the manifest says, and the warning says which it looks like.
    data = (SOURCES / name).read_bytes()
    reading = read_source(SourceFile(Path(name), data, said, "2025-11-12"))
    mismatches = [issue for issue in reading.issues if issue.code == "format_mismatch"]
    assert [(issue.line, issue.message.split(",")[0]) for issue in mismatches] == [
        (None, f"the manifest says {said}")]
    assert ("a review listing" if said == "hf_daily_papers" else "a Hugging Face page") in mismatches[0].message
    assert reading.format == said and reading.records


@pytest.mark.parametrize(("said", "delimiter"), [("review_listing", "\t"), ("review_listing", ","),
                                                  ("hf_daily_papers", "\t")])
def test_a_table_of_data_that_the_manifest_calls_a_listing_is_reported(said, delimiter):
    # A spreadsheet's rows described as a review listing were read without a word: titles inside
    # abstracts, two rows one paper (review). Undescribed, the same file is no listing at all.
    rows = [f'"Title {n}"{delimiter}"{ABSTRACT_A}"{delimiter}"Accept (Poster)"' for n in range(12)]
    data = "\n".join(rows).encode()
    reading = read_source(SourceFile(Path("papers.tsv"), data, said, "2025-11-12"))
    mismatches = [issue.message for issue in reading.issues if issue.code == "format_mismatch"]
    assert len(mismatches) == 1 and f"the manifest says {said}, but the file reads as CSV" in mismatches[0]
    assert read_source(SourceFile(Path("papers.tsv"), data, None)).records == []


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_a_file_of_the_format_its_manifest_says_gives_no_mismatch(name):
    assert not [issue for issue in read_bytes_as(name, (SOURCES / name).read_bytes()).issues if issue.code == "format_mismatch"]


def test_a_page_without_its_header_but_with_dated_entries_is_no_mismatch():
    text = hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 5"],
                   ["Title Two", "", ABSTRACT_B, "", "  • 2 authors", "·", "Nov 4 7"])
    headless = text[text.index("Title One"):]
    reading = read_source(SourceFile(Path("page.txt"), headless.encode(), "hf_daily_papers", "2025-11-12"))
    assert [issue.code for issue in reading.issues if issue.code == "format_mismatch"] == []
    # Nor is one whose entries have no author/date block, as some have: titles and abstracts alone
    # fit both formats (the first rule called it a review listing, found by review).
    bare = review_text("Title One", "", ABSTRACT_A, "", "Title Two", "", ABSTRACT_B)
    reading = read_source(SourceFile(Path("page.txt"), bare.encode(), "hf_daily_papers", "2025-11-12"))
    assert [issue.code for issue in reading.issues if issue.code == "format_mismatch"] == []
    # A review listing with a '·' in an abstract is no page either.
    listing = review_text("Title One", ABSTRACT_A.replace("rejected.", "rejected · twice."), "Reject", "Title Two", ABSTRACT_B)
    reading = read_source(SourceFile(Path("listing.txt"), listing.encode(), "review_listing"))
    assert [issue.code for issue in reading.issues] == []


def test_a_listing_in_chinese_is_told_a_listing_without_a_manifest():
    # Its abstracts, without spaces, were no abstracts: the file was refused as no listing.
    from test_readers_review_listing import CHINESE_ABSTRACT_A, CHINESE_ABSTRACT_B, CHINESE_TITLE_A, CHINESE_TITLE_B

    text = review_text(CHINESE_TITLE_A, CHINESE_ABSTRACT_A, "Accept (Poster)", CHINESE_TITLE_B, CHINESE_ABSTRACT_B)
    reading = read_source(SourceFile(Path("listing.txt"), text.encode()))
    assert reading.format == "review_listing"
    assert [(r.title, r.decision) for r in reading.records] == [(CHINESE_TITLE_A, "Accept (Poster)"), (CHINESE_TITLE_B, None)]


@pytest.mark.parametrize("name", [REVIEW, HF])
def test_a_byte_order_mark_of_a_file_joined_after_another_is_dropped_and_named(name):
    # `cat a.txt b.txt`, b saved with a byte order mark: the mark was kept, unseen, at the start
    # of b's first line (a title), and that title matched no other copy of it (found by review).
    clean = (SOURCES / name).read_bytes()
    first = clean.split(b"\n")[0]
    joined = clean + b"\n" + b"\xef\xbb\xbf" + clean
    got = read_bytes_as(name, b"\xef\xbb\xbf" + joined)
    line = clean.count(b"\n") + 2
    assert [(issue.line, issue.code) for issue in got.issues if issue.code == "byte_order_mark"] == [(line, "byte_order_mark")]
    assert got.line_count == read_bytes_as(name, clean + b"\n" + clean).line_count
    assert "\ufeff" not in "".join(str(record.title) for record in got.records)
    assert sum(record.title == first.decode() for record in got.records) == (2 if name == REVIEW else 0)
    # A mark inside a line (a zero-width no-break space, as it once was) stays as written.
    inside = read_bytes_as(REVIEW, b"Paper\xef\xbb\xbf Beta\n" + ABSTRACT_A.encode() + b"\nReject\n")
    assert [record.title for record in inside.records] == ["Paper\ufeff Beta"] and inside.issues == []


@pytest.mark.parametrize("name", [REVIEW, HF])
def test_a_listing_pasted_twice_into_its_file_names_each_repeat(name):
    # The bundled listing twice in one file: every paper had two listings of that file, with no
    # issue (review). Each record of the second copy now names the first's line.
    clean = (SOURCES / name).read_bytes()
    once = read_bytes_as(name, clean)
    twice = read_bytes_as(name, clean + b"\n" + clean)
    offset = once.line_count
    assert len(twice.records) == 2 * len(once.records)
    repeats = [(issue.line, issue.message) for issue in twice.issues if issue.code == "repeated_record"]
    assert [line for line, _ in repeats] == [record.line + offset for record in once.records]
    assert all(f"at line {record.line} of this file" in message for record, (_, message) in zip(once.records, repeats))
    assert not [issue for issue in once.issues if issue.code == "repeated_record"]


def test_a_record_alike_but_for_its_decision_date_or_authors_is_no_repeat():
    # A listing of two years joined (Reject, then Accept), or a page that lists a paper twice with
    # two dates, was told "pasted twice" (review): only a record alike in every field is.
    text = review_text("Title One", ABSTRACT_A, "Reject", "Title One", ABSTRACT_A, "Accept (Poster)")
    assert not [issue for issue in read_bytes_as(REVIEW, text.encode()).issues if issue.code == "repeated_record"]
    page = hf_page(["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 3 5"],
                   ["Title One", "", ABSTRACT_A, "", "  • 3 authors", "·", "Nov 4 5"],
                   ["Title One", "", ABSTRACT_A, "", "  • 4 authors", "·", "Nov 4 5"],
                   ["Title One", "", ABSTRACT_A, "", "  • 4 authors", "·", "Nov 4 5"])
    got = read_bytes_as(HF, page.encode())
    repeats = [issue for issue in got.issues if issue.code == "repeated_record"]
    assert [issue.line for issue in repeats] == [got.records[3].line]
    assert f"at line {got.records[2].line} of this file" in repeats[0].message


def test_records_of_one_length_are_told_apart_by_their_text():
    # Untitled abstracts of one length, apart only at their end, were each compared with every
    # earlier one (20,000 took 12 s: review); now looked up by their text.
    body = ABSTRACT_A[:-1] + " Record "
    abstracts = [f"{body}{number:06d}." for number in range(3000)]
    got = read_bytes_as(REVIEW, review_text(*abstracts, abstracts[7]).encode())
    assert len(got.records) == 3001
    repeats = [issue for issue in got.issues if issue.code == "repeated_record"]
    assert [issue.line for issue in repeats] == [3001] and "at line 8 of this file" in repeats[0].message


def test_a_record_alike_but_for_its_abstract_or_title_is_no_repeat():
    text = review_text("Title One", ABSTRACT_A, "Title One", ABSTRACT_A + " More.", "Title Two", ABSTRACT_A,
                       "Title One", ABSTRACT_A)
    got = read_bytes_as(REVIEW, text.encode())
    assert [(issue.line, issue.code) for issue in got.issues] == [(7, "repeated_record")]
    assert "at line 1 of this file" in got.issues[0].message


@pytest.mark.parametrize("ending", ["中", "é", "😀", "中文"])
def test_a_file_cut_inside_its_last_character_is_read_with_a_replacement_character(ending):
    # Read as Windows-1252, the first byte of a cut "中" was "ä" and of a cut "é" "Ã": an
    # invented letter, and an issue blaming Windows (found by review).
    from papers_db.readers.text import decode_source

    whole = f"Title\nSome text about café documents in {ending}".encode()
    for cut in range(1, len(ending[-1].encode())):
        text, issues = decode_source(whole[:-cut])
        assert text == f"Title\nSome text about café documents in {ending[:-1]}\ufffd\n"
        assert [(issue.line, issue.code) for issue in issues] == [(2, "invalid_utf8")]
        assert "ends inside a character" in issues[0].message
    # A Windows-1252 file's last "é" is such a first byte too: with no UTF-8 before it, it is Windows-1252's
    # (review of the first rule), on the last line as on the others.
    windows = "Modèles pour la Société\nApprentissage Profond et Complexité".encode("cp1252")
    text, issues = decode_source(windows)
    assert text == "Modèles pour la Société\nApprentissage Profond et Complexité\n"
    assert [(issue.line, issue.code) for issue in issues] == [(1, "invalid_utf8"), (2, "invalid_utf8")]
    assert all("Windows-1252" in issue.message for issue in issues)
    # A line break after it: no cut file, the byte stays damage of the line.
    text, issues = decode_source(whole[:-1] + b"\n")
    assert [(issue.line, issue.code) for issue in issues] == [(2, "invalid_utf8")]
    assert "ends inside" not in issues[0].message


def test_a_file_rewritten_between_its_two_reads_is_refused_not_recorded_with_the_old_digest(tmp_path):
    # Described and undescribed files together are read twice (their texts compared first): one
    # rewritten in between was parsed as its new bytes under the old bytes' SHA-256 (found by review).
    from papers_db.errors import PapersDbError
    from papers_db.sources import SourceFile

    path = tmp_path / "listing.txt"
    path.write_text("Title\nSome abstract.\n", encoding="utf-8")
    source = SourceFile(path)
    first = source.read_bytes()
    assert source.sha256 == hashlib.sha256(first).hexdigest()
    assert source.read_bytes() == first  # the same bytes again: read as before
    path.write_text("Title\nAnother abstract.\n", encoding="utf-8")
    with pytest.raises(PapersDbError, match="listing.txt: changed while it was being read") as raised:
        source.read_bytes()
    assert raised.value.exit_status == 1


def test_a_manifest_naming_a_pipe_device_or_folder_says_what_it_is(tmp_path):
    # A FIFO named in the manifest was warned of as "not a regular file", then refused as "not in
    # the folder", which it is (found by review).
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SOURCES / REVIEW, folder / "a.txt")
    os.mkfifo(folder / "p.txt")
    (folder / "z.txt").symlink_to("/dev/zero")
    (folder / "d.txt").mkdir()
    for name, what in (("p.txt", "not a regular file (a pipe, socket or device)"),
                       ("z.txt", "not a regular file (a pipe, socket or device)"), ("d.txt", "a folder")):
        (folder / "manifest.toml").write_text(f'[[source]]\nfile = "{name}"\nformat = "review_listing"\n', encoding="utf-8")
        result = run_cli("build", folder, "--output", tmp_path / "out.db")
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines()[-1] == (
            f"error: {folder / 'manifest.toml'}:1: [[source]] describes {name!r}, which is in {folder} but is no file "
            f"to read: {what}")


def test_a_review_listing_whose_papers_mostly_lack_abstracts_is_named_once(tmp_path):
    # An arXiv list copied and described as a review listing made 19 papers ("Machine Learning",
    # "Wed, 12 Nov 2025"), each only missing its abstract (found by review).
    from papers_db.sources import SourceFile, read_source

    lines = ["Machine Learning", "Wed, 12 Nov 2025", "[1] arXiv:2511.08573 [pdf, html, other]"]
    lines += [f"Paper Title Number {n}" for n in range(12)] + ["A Paper With Its Abstract", ABSTRACT_A]
    path = tmp_path / "arxiv.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reading = read_source(SourceFile(path, format="review_listing"))
    issues = [(issue.line, issue.code) for issue in reading.issues]
    assert issues[0] == (None, "mostly_without_abstracts") and issues.count((None, "mostly_without_abstracts")) == 1
    assert reading.issues[0].message.startswith("15 of its 16 papers have no abstract")
    # A listing with a few titles alone is not named.
    path.write_text("\n".join([f"Title {n}\n{ABSTRACT_A.replace('lenders', f'lenders {n}')}" for n in range(10)]
                              + ["Title Alone", "Another Alone"]) + "\n", encoding="utf-8")
    assert "mostly_without_abstracts" not in [issue.code for issue in read_source(SourceFile(path, format="review_listing")).issues]
