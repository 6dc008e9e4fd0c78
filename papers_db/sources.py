"""Find source files, read their manifest, detect each file's format, and read it with its reader."""

from __future__ import annotations

import collections
import concurrent.futures
import csv
import datetime as dt
import difflib
import errno
import functools
import hashlib
import itertools
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy

from .errors import BAD_INPUT, USAGE, PapersDbError
from .readers.hf_daily import DATE_SEPARATOR, HF_DAILY_PAPERS, is_daily_papers_title, read_entry_date, read_hf_daily_page
from .readers.review_listing import REVIEW_LISTING, read_review_listing
from .readers.text import (
    WIDE_ENCODING_CODES,
    as_utf8,
    decode_source,
    ends_mid_line,
    plain_line,
    report_repeated_records,
    text_lines,
    wide_encoding,
    with_newline_line_ends,
)
from .records import ParseIssue, Reading, Record

MANIFEST_NAME = "manifest.toml"
FORMATS = (REVIEW_LISTING, HF_DAILY_PAPERS)


@dataclass
class SourceFile:
    """A file to read. Its bytes are read only when it is read, so that a large corpus is never
    held in memory whole; `data` gives them directly instead (for text that is not a file)."""

    path: Path
    data: bytes | None = None
    format: str | None = None  # from the manifest; None means detect from content
    snapshot_date: str | None = None
    description: str | None = None
    sha256: str = ""  # known once the file has been read
    shown_as: str | None = None  # its name with folders, where another file read has its name (tell_apart_same_names)

    @property
    def name(self) -> str:
        """The file's name as text (bytes of a name that are not UTF-8 become U+FFFD), with the
        folders that tell it apart where another file read has the same name."""
        return os.fsencode(self.shown_as or self.path.name).decode("utf-8", errors="replace")

    def read_bytes(self) -> bytes:
        if self.data is not None:
            self.sha256 = self.sha256 or hashlib.sha256(self.data).hexdigest()
            return self.data
        with _readable(self.path) as file:
            try:
                data = file.read()
            except OSError as error:  # blamed on the output before: "papers.db: cannot write"
                raise PapersDbError(f"{self.path}: cannot be read: {error.strerror}", BAD_INPUT) from None
        # Read twice where described and undescribed files are compared (described_repeats_first):
        # a file rewritten in between was parsed as its new bytes and recorded with the old ones'
        # digest (sources.sha256, build_info's), with no word (found by review).
        digest = hashlib.sha256(data).hexdigest()
        if self.sha256 and digest != self.sha256:
            raise PapersDbError(f"{self.path}: changed while it was being read (its bytes differ from a moment "
                                "before); build again once it is written", BAD_INPUT)
        self.sha256 = digest
        return data


def _readable(path: Path):
    try:
        return path.open("rb")
    except OSError as error:
        raise PapersDbError(f"{path}: cannot be read: {error.strerror}", BAD_INPUT) from None


def folder_files(folder: Path, on_skipped: Callable[[Path, str], None] = lambda path, why: None) -> list[Path]:
    """The files in a sources folder, but hidden ones and the manifest; one that cannot be listed is
    bad input, not a failed write. Every other entry is passed to `on_skipped` with why it is not
    read: a folder of listings inside the sources folder was passed over without a word."""
    try:
        files = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.name == MANIFEST_NAME:
                continue
            if path.is_file():
                files.append(path)
            elif path.is_dir():
                on_skipped(path, "a folder (only the files directly in a sources folder are read; give it as a path of "
                                 "its own): not read")
            else:
                on_skipped(path, not_a_file(path) + ": not read")
        return files
    except OSError as error:
        raise PapersDbError(f"{folder}: cannot be read: {error.strerror}", BAD_INPUT) from None


def not_a_file(path: Path) -> str:
    """What a path that is no regular file is instead."""
    if path.is_dir():
        return "a folder"
    if not path.exists():
        return "a link to nothing (its target is missing, or it leads back to itself)"
    return "not a regular file (a pipe, socket or device)"


def detect_format(text: str, ends_mid_line: bool = False) -> tuple[str | None, Reading | None]:
    """Which kind of listing this text is (None when its structure fits neither), and its reading
    where telling took one: a review listing is told by reading it, so it is not read twice.

    A Hugging Face page shows its header, or at least two author/date blocks ("·" then a date
    line), so one stray "·" does not make a page of a review listing. A review listing is read
    only where at least half the records it gives have an abstract: a file of short lines (JSON,
    CSV, a word list) would otherwise become hundreds of title-only papers.
    """
    if shows_a_page(text_lines(text)):
        return HF_DAILY_PAPERS, None  # its reader needs the snapshot date, which detection does not
    reading = review_listing_reading(text, ends_mid_line)
    return (REVIEW_LISTING, reading) if reading is not None else (None, None)


def review_listing_reading(text: str, ends_mid_line: bool = False) -> Reading | None:
    """The text read as a review listing, where at least half the records it gives have an
    abstract (detect_format); else None."""
    reading = read_review_listing(text, ends_mid_line)
    return reading if reading.records and not most_lack_abstracts(reading.records) else None


def most_lack_abstracts(records: list[Record]) -> bool:
    """Whether more than half the records a file was read into have no abstract: no review
    listing, though it reads as one (detect_format does not take it for one; described as one, it
    is named: mostly_without_abstracts)."""
    return sum(record.abstract is None for record in records) * 2 > len(records)


def shows_a_page(lines: list[str]) -> bool:
    """Whether lines show a Hugging Face page: its header, or two author/date blocks."""
    head = [plain_line(line) for line in lines[:40] if line.strip()]
    return any(is_daily_papers_title(line) for line in head[:HF_TITLE_SEARCH_LINES]) or _dated_blocks(lines) >= HF_DATED_BLOCKS_MIN


def format_mismatch(file_format: str, text: str, ends_mid_line: bool = False) -> ParseIssue | None:
    """A warning where a file's content shows the other format than the manifest gives it. It is
    still read as the manifest says; read as the other, a review listing's decisions became
    titles of papers and a page's author lines and dates titles without abstracts. So where it is
    data (data_file_kind): a spreadsheet's rows read as a review listing made titles of abstracts
    with no issue (review)."""
    if (kind := data_file_kind(text)) is not None:
        shown = f"{kind}, data rather than a listing"
    elif file_format == HF_DAILY_PAPERS:
        if shows_a_page(text_lines(text)):
            return None
        # Not detect_format, which would look for a page again. Titles and abstracts alone fit a
        # page whose entries have no author/date block: a decision is what a page never has.
        reading = review_listing_reading(text, ends_mid_line)
        if reading is None or not any(record.decision for record in reading.records):
            return None
        shown = "a review listing (decisions after abstracts, and no page header or author/date block)"
    elif file_format == REVIEW_LISTING and DATE_SEPARATOR in text and shows_a_page(text_lines(text)):
        shown = "a Hugging Face page (its header, or author/date blocks)"
    else:
        return None
    return ParseIssue(None, "format_mismatch", f"the manifest says {file_format}, but the file reads as {shown}; "
                      f"read as {file_format}, as the manifest says: check its format")


HF_DATED_BLOCKS_MIN = 2
HF_TITLE_SEARCH_LINES = 24  # the header's "Daily Papers" is its 4th line; the site's menu may come first


def _dated_blocks(lines: list[str]) -> int:
    """How many "·" lines are followed by a date line (blank lines between are skipped)."""
    content = [plain_line(line) for line in lines if line.strip()]
    return sum(
        1 for line, following in zip(content, content[1:]) if line == DATE_SEPARATOR and read_entry_date(following)
    )


HTML_START = re.compile(r"\s*<(?:!doctype|html|head|body|\?xml|!--)", re.IGNORECASE)
# A fragment of a page (a table copied as HTML): its first tag, closed later in the file. A title
# may start with a tag-like word ("<EOS> tokens ...", "<a href> Considered Harmful") and close nothing.
HTML_FRAGMENT_START = re.compile(r"\s*<(table|thead|tbody|tr|td|th|div|p|span|a|ul|ol|li|dl|section|article|nav|header"
                                 r"|footer|main|h[1-6]|script|style|title|form|caption|b|i|em|strong)[\s>]", re.IGNORECASE)
CSV_SAMPLE_LINES = 50
# Before a file is read as a listing, CSV must be clear: this many rows of one width, or a header
# of column names. A small listing can have one comma in each line (4 lines: "Sparse, Efficient
# Transformers", its abstract, ...), which is only CSV-shaped once it reads as no listing.
CSV_ROWS_BEFORE_READING = 10
# A column's name as written, words joined by single spaces ("Paper Title"): "Look, Listen,
# Learn" is a title, its names opening with a space.
CSV_HEADER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z0-9_]+)*")
# A Markdown table's line under its header: "|---|---|", ":--- | ---:".
MARKDOWN_TABLE_RULE = re.compile(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?")


BINARY_DATA = "binary data"


BINARY_SAMPLE_CHARACTERS = 65_536
BINARY_CONTROL_CHARACTERS_MIN = 8  # a small listing may hold a form feed or two (pdftotext's page breaks)
# Control characters as _control_characters counts them, but ESC: a listing copied from a
# terminal with its colours is text (review).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f]")


# The first bytes of files that are never text: gzip, zip (a Word file too), PDF, SQLite, PNG,
# JPEG, xz, 7z, an old Word file. A tiny gzip or an empty zip has fewer than
# BINARY_CONTROL_CHARACTERS_MIN control characters once its NULs are dropped (review).
BINARY_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"%PDF-", b"SQLite format 3\x00",
                b"\x89PNG", b"\xff\xd8\xff", b"\xfd7zXZ", b"7z\xbc\xaf", b"\xd0\xcf\x11\xe0")


def looks_binary_from_its_start(text: str) -> bool:
    """Binary data by its first 64 KiB: control characters in more than 1% of them, and at least
    BINARY_CONTROL_CHARACTERS_MIN (a 76-byte listing ending in one form feed was refused: review).
    A listing with a stray control character is still read; a compressed file (a Word file, a
    zip, gzip, most PDFs) is over 1% from its first bytes; read_source tells each of
    BINARY_MAGIC by its first bytes, an uncompressed PDF too. NUL bytes are no longer in the text (decode_source
    reports and drops them). Only the start: every file a manifest describes is tested, 170 MB at
    100,000 papers."""
    sample = text[:BINARY_SAMPLE_CHARACTERS]
    controls = len(CONTROL_CHARACTER.findall(sample))
    return controls >= BINARY_CONTROL_CHARACTERS_MIN and controls * 100 > len(sample)


def other_kind_of_file(text: str, damaged_lines: int, line_count: int, nul_lines: int = 0) -> str | None:
    """What a file that is no listing is instead, where that is clear: binary data (NUL bytes, or
    control characters), text in another encoding (many lines not UTF-8, but no NUL: a list of
    French titles in Windows-1252 was called binary), or a file of data (data_file_kind). Named
    in its parse issue, so the user sees what was dropped into the sources."""
    if nul_lines or _control_characters(text) * 100 > len(text):
        return BINARY_DATA
    if damaged_lines * 4 >= max(line_count, 1):
        return "text not in UTF-8 (saved in another encoding?)"
    return data_file_kind(text, before_reading=False)


def data_file_kind(text: str, before_reading: bool = True) -> str | None:
    """JSON, JSON Lines, HTML or CSV, where the text is one; a listing never is (its titles are
    no JSON, it starts with no tag, and a title and its abstract hold different numbers of commas;
    `before_reading`, CSV needs CSV_ROWS_BEFORE_READING rows or a header)."""
    start = LEADING_SPACE.match(text).end()  # the text is not copied: most files are tested, and most are no JSON
    if text[start:start + 1] in "{[":
        stripped = text.strip()
        try:
            json.loads(stripped)
            return "JSON"
        except RecursionError:  # nested deeper than Python reads: 100,000 "[" stopped the build as a bug
            return "JSON"
        except ValueError:
            if _is_json_lines(stripped):
                return "JSON Lines"
    if HTML_START.match(text) or _is_html_fragment(text):
        return "HTML"
    if (delimiter := _csv_delimiter(text, start, before_reading)) is not None:
        return CSV_KINDS[delimiter]
    if _is_markdown_table(text, start):
        return "Markdown table"
    return None


LEADING_SPACE = re.compile(r"\s*")


def lines_from(text: str, start: int) -> Iterator[str]:
    """The text's lines from `start`, each with its line break, made as they are asked for: a
    table is told by its first lines, and a copy of a whole 7 MB file for each test took 3 ms."""
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _is_markdown_table(text: str, start: int = 0) -> bool:
    """A header row with a `|`, then the rule under it: a table exported as Markdown was read as a
    review listing, its header row a paper's title and its decisions inside the abstracts."""
    lines = [line.rstrip("\n") for line in itertools.islice(lines_from(text, start), 3) if line.strip()]
    return len(lines) >= 2 and "|" in lines[0] and MARKDOWN_TABLE_RULE.fullmatch(lines[1].strip()) is not None


def _is_html_fragment(text: str) -> bool:
    start = HTML_FRAGMENT_START.match(text)
    return start is not None and f"</{start[1].lower()}" in text.lower()


def _is_json_lines(text: str) -> bool:
    """Two or more lines, each a JSON object or array (the first CSV_SAMPLE_LINES looked at), but
    for the file's last line, which a copy may have cut off."""
    lines = text.split("\n", CSV_SAMPLE_LINES)
    whole = [_is_json_container(line) for line in lines[:CSV_SAMPLE_LINES] if line.strip()]
    if len(lines) <= CSV_SAMPLE_LINES and whole and not whole[-1]:
        whole.pop()  # the file's last line, cut
    return len(whole) >= 2 and all(whole)


def _is_json_container(line: str) -> bool:
    try:
        return isinstance(json.loads(line), (dict, list))
    except (ValueError, RecursionError):
        return False


def _control_characters(text: str) -> int:
    return sum(1 for character in text if character < " " and character not in "\n\t")


# What a table of rows is called by its delimiter: a tab-separated file was named "CSV" (review).
CSV_KINDS = {",": "CSV", "\t": "tab-separated values", ";": "semicolon-separated values"}


def _csv_delimiter(text: str, start: int, before_reading: bool) -> str | None:
    """The delimiter of three or more lines that split into the same number (two or more) of
    comma-, tab- or semicolon-separated fields (before reading, see CSV_ROWS_BEFORE_READING), or
    None. Listings have none: a title and its abstract hold different numbers of commas."""
    for delimiter in CSV_KINDS:
        # Rows as CSV reads them, so a quoted field may hold line breaks; an unclosed quote runs
        # to csv's field size limit and is no CSV.
        try:
            rows = [row for row in itertools.islice(csv.reader(lines_from(text, start), delimiter=delimiter),
                                                    CSV_SAMPLE_LINES) if row]
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        if width < 2 or any(len(row) != width for row in rows):
            continue
        if before_reading and len(rows) < CSV_ROWS_BEFORE_READING:
            # a header of column names makes a small table clear: of three or more, with one row;
            # of two, with two rows
            if len(rows) >= (2 if width >= 3 else 3) and all(CSV_HEADER_NAME.fullmatch(name) for name in rows[0]):
                return delimiter
        elif len(rows) >= 3:
            return delimiter
    return None


MANIFEST_KEYS = ("file", "format", "snapshot_date", "description")
MANIFEST_ENTRY = re.compile(r"\s*\[\[\s*source\s*\]\]")  # a [[source]] table's header line
ONE_SOURCE_TABLE = re.compile(r"\s*\[\s*([\"']?)source\1\s*\]\s*(#.*)?$")  # `[source]`, one bracket
ONE_TABLE_MISTAKE = "[source] is one table; describe each file in a [[source]] table (two brackets)"


def read_manifest(folder: Path) -> dict[str, dict]:
    """Manifest entries by file name (each with `where` it is: the manifest and line); an absent
    manifest is an empty one. A key the manifest does
    not know, or a file described twice, is refused: `snapshot-date` for `snapshot_date` was
    ignored, and the page's dates lost their year with an issue saying the manifest gave none."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        if path.exists() or path.is_symlink():  # it was taken for no manifest, and the files read without it
            raise PapersDbError(f"{path}: {not_a_file(path)}: a manifest must be a file", USAGE)
        refuse_a_misnamed_manifest(folder)
        return {}
    try:
        data = path.read_bytes()
        body = data.removeprefix(b"\xef\xbb\xbf")  # a BOM, as a Windows editor saves it
        text = body.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError as error:  # its line, not the byte's place in the file ("position 71")
        line = body.count(b"\n", 0, error.start) + 1
        raise PapersDbError(f"{path}:{line}: not UTF-8, as a TOML manifest is (byte {body[error.start]:#04x}); save it "
                            "as UTF-8", USAGE) from None
    except tomllib.TOMLDecodeError as error:
        # A [source] beside [[source]] tables is a TOML error at another line ("Cannot overwrite a
        # value (at line 16, column 9)" for a [source] on line 11): name the [source] instead.
        # Every table written [source] is TOML's "Cannot declare ('source',) twice" (review): named too.
        if (lines := _one_source_table_lines(text.split("\n"))) and _reads_with_two_brackets(text, lines[:1]):
            raise PapersDbError(f"{path}:{lines[0]}: {ONE_TABLE_MISTAKE}", USAGE) from None
        if len(lines) > 1 and _reads_with_two_brackets(text, lines):
            others = f"is line {lines[1]}" if len(lines) == 2 else f"are lines {', '.join(map(str, lines[1:]))}"
            raise PapersDbError(f"{path}:{lines[0]}: {ONE_TABLE_MISTAKE} (so {others})", USAGE) from None
        raise PapersDbError(toml_error_at_its_line(path, error), USAGE) from None
    except RecursionError:  # 100,000 nested arrays stopped the build as a bug
        raise PapersDbError(f"{path}: not a valid TOML manifest: nested too deeply to read", USAGE) from None
    except OSError as error:
        raise PapersDbError(f"{path}: cannot be read: {error.strerror}", USAGE) from None
    # Lines as TOML counts them, at "\n" only (splitlines also breaks at U+2028 in a description).
    text_lines = text.split("\n")
    for key in document:
        if key != "source":
            line = _top_level_key_line(text_lines, key)
            raise PapersDbError(f"{path}{f':{line}' if line else ''}: unknown key {key!r}: a manifest holds [[source]] "
                                "tables only", USAGE)
    entries = document.get("source", [])
    if not isinstance(entries, list):
        # The [source] line itself, not a [source.x] before it, which TOML also reads as a part of it.
        line = (isinstance(entries, dict) and _one_source_table_line(text_lines)) or _top_level_key_line(text_lines, "source")
        what = ONE_TABLE_MISTAKE if isinstance(entries, dict) else "`source` must be a list of [[source]] tables"
        raise PapersDbError(f"{path}{f':{line}' if line else ''}: {what}", USAGE)
    entry_lines = [number for number, line in enumerate(text_lines, start=1) if MANIFEST_ENTRY.match(line)]
    manifest, described_at = {}, {}
    for position, entry in enumerate(entries, start=1):
        line = entry_lines[position - 1] if len(entry_lines) == len(entries) else None
        where = f"{path}:{line}: [[source]]" if line else f"{path}: [[source]] number {position}"
        unknown = next((key for key in entry if key not in MANIFEST_KEYS), None) if isinstance(entry, dict) else None
        if unknown is not None:
            # Named at its own line where it can be found: `snapshot-date` three lines into its
            # table was reported at the table's [[source]] line.
            own = _key_line(text_lines, line, unknown) if line else None
            at = f"{path}:{own}: unknown key {unknown!r} in the [[source]] of line {line}" if own else f"{where}: unknown key {unknown!r}"
            raise PapersDbError(f"{at} (a [[source]] has {', '.join(MANIFEST_KEYS)})", USAGE)
        manifest_entry = _manifest_entry(entry, where, functools.partial(_key_where, path, text_lines, line, where))
        name = manifest_entry["file"]
        if name in manifest:
            raise PapersDbError(f"{where} describes {name!r} again (also {described_at[name]}): one entry a file", USAGE)
        manifest[name] = dict(manifest_entry, where=where)
        described_at[name] = f"line {line}" if line else f"number {position}"
    return manifest


MISNAMED_MANIFESTS = (MANIFEST_NAME, MANIFEST_NAME + ".txt")  # compared case-folded
# A line opening a source table in any form TOML takes: [[source]], [["source"]], [source], or
# `source = [...]` inline.
SETS_SOURCE = re.compile(r"^\s*(?:\[\[?\s*([\"']?)source\1\s*\]\]?|([\"']?)source\2\s*=)", re.MULTILINE)
MANIFEST_LOOK_BYTES = 65_536


TOML_ERROR_PLACE = re.compile(r" \(at line (\d+), column (\d+)\)$")


def toml_error_at_its_line(path: Path, error: tomllib.TOMLDecodeError) -> str:
    """TOML's error as every other error names its place, `file:line:` first: "Cannot overwrite a
    value (at line 4, column 27)" named the manifest alone (review)."""
    message = str(error)
    place = TOML_ERROR_PLACE.search(message)
    if place is None:
        return f"{path}: not a valid TOML manifest: {message}"
    return f"{path}:{place[1]}: not a valid TOML manifest: {message[:place.start()]} (column {place[2]})"


def refuse_a_misnamed_manifest(folder: Path) -> None:
    """A manifest saved as `Manifest.toml`, or `manifest.toml.txt` by an editor that hides
    extensions, was read as a listing (`not_a_listing`) and its pages without their snapshot
    dates, each `unknown_page_year` saying the manifest gave none (review): refused, with the name
    it needs. Only a file of that name that holds a [[source]] table: a Julia project's own
    `Manifest.toml`, a `manifest.toml.bak` or a folder stopped every run of the folder (review)."""
    try:
        names = sorted(entry.name for entry in folder.iterdir())
    except OSError:  # the folder's own error comes where its files are listed
        return
    for name in names:
        if name == MANIFEST_NAME or name.casefold() not in MISNAMED_MANIFESTS or not (folder / name).is_file():
            continue
        try:
            with open(folder / name, "rb") as file:
                start = file.read(MANIFEST_LOOK_BYTES)
        except OSError:  # read as a source, its error said there
            continue
        # As a Windows editor saves it: a BOM, or UTF-16 (PowerShell's `>`), missed (review).
        encoding = "utf-16" if start.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        if SETS_SOURCE.search(start.decode(encoding, "replace")):
            raise PapersDbError(f"{folder / name}: a manifest is read only as {MANIFEST_NAME!r} (that name exactly, no "
                                "other extension): rename it", USAGE)


def _key_line(text_lines: list[str], header: int, key: str) -> int | None:
    """The line that sets `key` (bare or quoted, maybe dotted) in the table whose header is on line
    `header`, or the header of its sub-table right after (`[source.extra]`: reported at the
    [[source]] line before); None where it cannot be found so."""
    sets_key = _setting(key)
    names_sub_table = re.compile(rf"\s*\[\[?\s*source\s*\.\s*([\"']?){re.escape(key)}\1\s*[\].]")
    for number in range(header + 1, len(text_lines) + 1):
        line = text_lines[number - 1]
        if line.lstrip().startswith("["):
            return number if names_sub_table.match(line) else None
        if sets_key.match(line):
            return number
    return None


def _key_where(path: Path, text_lines: list[str], header: int | None, where: str, key: str) -> tuple[str, str]:
    """Where `key` of the [[source]] at line `header` is set, and which table that is: its own line
    where it can be found (a bad `format` three lines into its table was named at the table's
    line: review), else the table's."""
    own = _key_line(text_lines, header, key) if header else None
    return (f"{path}:{own}", f" (in the [[source]] of line {header})") if own else (where, "")


def _reads_with_two_brackets(text: str, table_lines: list[int]) -> bool:
    """Whether the manifest reads as TOML once its `[source]` lines `table_lines` have two
    brackets: only then are those lines the error ("[source]" inside a multi-line description is not)."""
    lines = text.split("\n")
    for line in table_lines:
        lines[line - 1] = lines[line - 1].replace("[", "[[", 1).replace("]", "]]", 1)
    try:
        tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError:
        return False
    return True


def _one_source_table_line(text_lines: list[str]) -> int | None:
    """The first line that opens a `[source]` table (one bracket), or None."""
    return next(iter(_one_source_table_lines(text_lines)), None)


def _one_source_table_lines(text_lines: list[str]) -> list[int]:
    """Every line that opens a `[source]` table (one bracket)."""
    return [number for number, line in enumerate(text_lines, start=1) if ONE_SOURCE_TABLE.match(line)]


def _setting(key: str) -> re.Pattern:
    """A TOML line that sets `key`, bare or quoted, maybe dotted (`key = `, `"key" = `, `key.x = `)."""
    return re.compile(rf"\s*([\"']?){re.escape(key)}\1\s*[=.]")


def _top_level_key_line(text_lines: list[str], key: str) -> int | None:
    """The line that sets a top-level `key` (`version = 1` before any table) or opens a table of
    that name (`[version]`, `[source]`); None where it cannot be found so."""
    sets_key = _setting(key)
    opens_table = re.compile(rf"\s*\[\[?\s*([\"']?){re.escape(key)}\1\s*[\].]")
    in_a_table = False
    for number, line in enumerate(text_lines, start=1):
        if opens_table.match(line):
            return number
        in_a_table = in_a_table or line.lstrip().startswith("[")
        if not in_a_table and sets_key.match(line):
            return number
    return None


def _manifest_entry(entry, where: str, key_where: Callable[[str], tuple[str, str]]) -> dict:
    """One [[source]] table, checked (read_manifest has refused keys it does not know): `file` and
    `format` strings, `snapshot_date` a date, `description` a string. A value that is wrong is
    named where it is set (`key_where`), as given: "needs `file` and a `format`" was said of a
    table that had both, its format misspelt (review)."""
    if not isinstance(entry, dict):
        raise PapersDbError(f"{where} is not a table", USAGE)
    name, file_format = entry.get("file"), entry.get("format")
    formats = ' or '.join(FORMATS)
    if "file" not in entry:
        raise PapersDbError(f"{where} needs `file`, the name of a file in the manifest's folder", USAGE)
    if not isinstance(name, str) or not name:
        at, table = key_where("file")
        raise PapersDbError(f"{at}: file {as_written(name)}{table} is not the name of a file", USAGE)
    if "format" not in entry:
        raise PapersDbError(f"{where} needs a `format` for {name!r}: {formats}", USAGE)
    if file_format not in FORMATS:
        at, table = key_where("format")
        meant = format_meant(file_format)
        raise PapersDbError(f"{at}: format {as_written(file_format)}{table} is not {formats}"
                            f"{f' (did you mean {meant!r}?)' if meant else ''}", USAGE)
    snapshot = entry.get("snapshot_date")
    if snapshot is not None:
        at, table = key_where("snapshot_date")
        not_a_date = f"{at}: snapshot_date {as_written(snapshot)} of {name!r}{table} is not YYYY-MM-DD"
        if not isinstance(snapshot, str | dt.date) or isinstance(snapshot, dt.datetime):
            raise PapersDbError(not_a_date, USAGE)
        try:
            snapshot = dt.date.fromisoformat(str(snapshot)).isoformat()
        except ValueError:
            raise PapersDbError(not_a_date, USAGE) from None
    description = entry.get("description")
    if description is not None and not isinstance(description, str):
        at, table = key_where("description")
        raise PapersDbError(f"{at}: description of {name!r}{table} is not a string", USAGE)
    return dict(entry, snapshot_date=snapshot)


def as_written(value) -> str:
    """A manifest's value as TOML writes it: `datetime.datetime(2025, 11, 12, 10, 0)` and
    `{'x': 'review_listing'}` were Python's words in a message (review)."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


# Words of a format's name a user may write for it: "openreview" got no suggestion (review).
FORMAT_HINTS = {HF_DAILY_PAPERS: ("hugging", "hf"),  # first: "huggingface_listing" is a page (review)
                REVIEW_LISTING: ("openreview", "review")}


def format_meant(written) -> str | None:
    """The format a misspelt or other name most likely means, or None."""
    if not isinstance(written, str):
        return None
    key = re.sub(r"[\W_]+", " ", written.lower()).strip()
    close = difflib.get_close_matches(key.replace(" ", "_"), FORMATS, n=1, cutoff=0.6)
    if close:
        return close[0]
    squeezed = key.replace(" ", "")
    return next((file_format for file_format, hints in FORMAT_HINTS.items()
                 if any(hint in squeezed for hint in hints)), None)


def refuse_files_not_there(folder: Path, manifest: dict[str, dict]) -> None:
    """A manifest entry names a file of its folder: one naming no file there is a mistake the
    build would otherwise pass over (`h.txt` for `H.txt` read the page without its snapshot date)."""
    present = {path.name for path in folder_files(folder)}
    for name in manifest:
        if "/" in name or "\\" in name:  # "./H.txt" was called a hidden file
            raise PapersDbError(f"{manifest[name]['where']} describes {name!r}, a path: `file` is the name of a file "
                                f"in the manifest's folder ({Path(name.replace(chr(92), '/')).name!r})", USAGE)
        if name.startswith("."):  # find_sources skips such files: the entry would describe nothing read
            raise PapersDbError(f"{manifest[name]['where']} describes {name!r}, a hidden file, which is never read; "
                                "rename it without the leading '.'", USAGE)
        if name not in present and os.path.lexists(folder / name):
            # A FIFO or a device: the warning above said it is no regular file, and this line said
            # it is not in the folder (found by review).
            raise PapersDbError(f"{manifest[name]['where']} describes {name!r}, which is in {folder} but is no file "
                                f"to read: {not_a_file(folder / name)}", USAGE)
        if name not in present:
            like = next((other for other in sorted(present) if other.casefold() == name.casefold()), None)
            hint = f" ({like!r} is: names are case-sensitive)" if like else ""
            raise PapersDbError(f"{manifest[name]['where']} describes {name!r}, which is not in {folder}{hint}", USAGE)


def find_sources(paths: Iterable[Path], on_skipped: Callable[[Path, str], None] = lambda path, why: None) -> list[SourceFile]:
    """Every source file named by `paths` (files, or folders read whole), sorted by name; what a
    folder holds besides files goes to `on_skipped` (folder_files)."""
    found: dict[Path, SourceFile] = {}
    manifests: dict[Path, dict[str, dict]] = {}
    for path in paths:
        files = named_files(path, on_skipped)
        for file in files:
            if file.parent not in manifests:
                manifests[file.parent] = read_manifest(file.parent)
                refuse_files_not_there(file.parent, manifests[file.parent])
            entry = manifests[file.parent].get(file.name, {})
            source = SourceFile(
                path=file,
                format=entry.get("format"),
                snapshot_date=entry.get("snapshot_date"),
                description=entry.get("description"),
            )
            # A file reached by several names (a symlink beside it, or given twice) is read once,
            # under its own name where one of them is not a link, else the first with a manifest
            # entry, else the first: never whichever name the folder listed last.
            resolved = file.resolve()
            if resolved not in found or _name_preference(source) < _name_preference(found[resolved]):
                found[resolved] = source
    # Sorted by name, then (for names that occur twice) content, what the manifests say of it and
    # the folders that tell them apart, so that the order paths were given in never matters: two
    # same pages under one name, in two folders whose manifests gave them different snapshot
    # dates, made two databases.
    names = collections.Counter(source.path.name for source in found.values())
    for source in found.values():
        if names[source.path.name] > 1:
            source.read_bytes()
    tell_apart_same_names(list(found.values()))
    return sorted(found.values(), key=lambda source: (
        source.path.name, source.sha256, source.format or "", source.snapshot_date or "", source.description or "",
        source.name))


def tell_apart_same_names(sources: list[SourceFile]) -> None:
    """Name each file that shares its name with another file read by the fewest folders above it
    that tell it apart: `site-a/page.txt` and `site-b/page.txt`; `data/page.txt` and
    `other/page.txt` where both sites' folders hold a `data/`. Every message, the summary and
    `sources.file_name` said `page.txt` of both: a warning could not say which file it meant, and
    a paper on both pages was listed as on one. The folders are those the files lie in (their
    real folders: `.`, `..` and links followed), only as many as tell them apart, so that the
    database is the same however the paths are spelled (as given, `build . ../s2` from `s1`
    named `page.txt` and `s2/page.txt`) and wherever the folders lie."""
    same_name = collections.defaultdict(list)
    for source in sources:
        same_name[source.path.name].append(source)
    for group in same_name.values():
        if len(group) < 2:
            continue
        parts = [PurePath(os.path.realpath(source.path.parent), source.path.name).parts for source in group]
        for source, own in zip(group, parts):
            count = next((count for count in range(2, len(own) + 1)
                          if all(other is own or other[-count:] != own[-count:] for other in parts)), len(own))
            source.shown_as = PurePath(*own[-count:]).as_posix()


def named_files(path: Path, on_skipped: Callable[[Path, str], None]) -> list[Path]:
    """The files a path given to the build names: itself, or a folder's files."""
    try:
        if path.is_dir():
            return folder_files(path, on_skipped)
        if path.is_file() and path.name == MANIFEST_NAME:
            # `build sources/*` names the manifest too: it was read as a listing (a not_a_listing
            # issue, one source more) besides describing the files, as it still does.
            on_skipped(path, "a manifest, which describes the files beside it and is no listing: not read as one")
            return []
        if path.is_file():
            return [path]
        if path.exists() or path.is_symlink():  # a FIFO or /dev/null was "no such file or folder"
            raise PapersDbError(f"{path}: {not_a_file(path)}: nothing to read", USAGE)
    except OSError as error:  # a file in a folder that may not be searched: a bug's exit 70 before
        # A name over the system's limit is a path that cannot be given, as for --output (README):
        # it was bad input, exit 1 (found by review of the docs).
        usage = error.errno == errno.ENAMETOOLONG
        raise PapersDbError(f"{path}: cannot be read: {error.strerror}", USAGE if usage else BAD_INPUT) from None
    raise PapersDbError(f"{path}: no such file or folder", USAGE, missing=path)


def _name_preference(source: SourceFile) -> tuple:
    return source.path.is_symlink(), source.format is None, source.path.name, str(source.path)


@dataclass
class SourceReading:
    source: SourceFile
    reading: Reading
    size: int  # bytes
    duplicate_of: SourceFile | None = None  # the identical file that was read instead
    derived: Any = None  # what the reading process computed from the records beside the reading


def read_source(source: SourceFile, data: bytes | None = None) -> Reading:
    """Decode and read one file with the reader its format calls for."""
    data = source.read_bytes() if data is None else data
    text, decode_issues = decode_source(data)
    cut = ends_mid_line(data)
    file_issues = decode_issues + name_issues(source)
    if source.format and (mismatch := format_mismatch(source.format, text, cut)) is not None:
        file_issues.append(mismatch)
    line_count = text.count("\n")  # decode_source ends every line with one
    if not text or text.isspace():
        return nothing_read(source.format, line_count, [*file_issues, ParseIssue(None, "empty_file", "file has no text")],
                            every_line="blank")
    # A file of data (JSON, CSV, HTML) is named before it is read as a listing: its long lines
    # read as abstracts (a table of papers exported as CSV made 584 papers).
    # A file whose first bytes are a binary format's (BINARY_MAGIC) is none: an uncompressed PDF
    # read as 11 papers (review).
    data_kind = BINARY_DATA if data.startswith(BINARY_MAGIC) else None if source.format else data_file_kind(text)
    file_format, reading = (source.format, None) if source.format or data_kind else detect_format(text, cut)
    if source.format and (data_kind or looks_binary_from_its_start(text)):
        # Whatever the manifest says: a Word file described as a review listing made one paper of
        # its zip's bytes, with no word that it was no text (review).
        file_format = None
    if file_format is None:
        damaged = sum(issue.code not in WIDE_ENCODING_CODES.values() for issue in decode_issues)
        nul_lines = sum(issue.code == "nul_byte" for issue in decode_issues)
        kind = data_kind or other_kind_of_file(text, damaged, line_count, nul_lines)
        what = f"{kind}, not a listing: " if kind else ""
        described = f" (the manifest says {source.format})" if source.format else ""
        not_a_listing = ParseIssue(
            None, "not_a_listing",
            f"{what}{'its 1 line reads' if line_count == 1 else f'its {line_count} lines read'} as neither a review "
            "listing (titles and their abstracts) "
            f"nor a Hugging Face Daily Papers page{described}; nothing was read from it",
        )
        if kind == BINARY_DATA:
            # Its bytes are no lines: a warning for each (49 for 5 kB of random bytes) pushed the
            # one saying what the file is past the 20 warnings shown.
            file_issues = [issue for issue in file_issues if issue.line is None]
        return nothing_read(None, line_count, [not_a_listing, *file_issues], every_line="unread")
    if reading is None:
        reading = (read_hf_daily_page(text, source.snapshot_date, cut) if file_format == HF_DAILY_PAPERS
                   else read_review_listing(text, cut))
    report_repeated_records(reading)
    if file_format == REVIEW_LISTING and (few_abstracts := mostly_without_abstracts(reading)) is not None:
        file_issues.append(few_abstracts)
    reading.issues[:0] = file_issues
    return reading


MOSTLY_WITHOUT_ABSTRACTS_RECORDS = 10  # fewer: a short list may well lack a few


def mostly_without_abstracts(reading: Reading) -> ParseIssue | None:
    """A review listing most of whose records have no abstract, named once for the file: another
    site's list (arXiv's, Papers with Code's) read as one made a paper of nearly every line (19 of
    an arXiv list's, "Machine Learning" and "Wed, 12 Nov 2025" among them), each reported only as
    missing its abstract (found by review)."""
    if len(reading.records) < MOSTLY_WITHOUT_ABSTRACTS_RECORDS or not most_lack_abstracts(reading.records):
        return None
    without = sum(record.abstract is None for record in reading.records)
    return ParseIssue(None, "mostly_without_abstracts", f"{without} of its {len(reading.records)} papers have no "
                      "abstract, where a review listing gives each title its abstract: is it one, or a list copied "
                      "from another site? Each line without an abstract after it was read as a paper's title")


def nothing_read(file_format: str | None, line_count: int, issues: list[ParseIssue], every_line: str) -> Reading:
    """A reading with no records, each of its lines accounted for as `every_line`."""
    return Reading(format=file_format, line_count=line_count, issues=issues,
                   other_lines=dict.fromkeys(range(1, line_count + 1), every_line))


def name_issues(source: SourceFile) -> list[ParseIssue]:
    if source.name == (source.shown_as or source.path.name):
        return []
    whose = "its name with the folders that tell it apart" if source.shown_as else "the file's name"
    return [ParseIssue(None, "invalid_file_name", f"{whose} is not UTF-8; it is stored as {source.name!r}")]


READ_AHEAD = 2  # files read ahead with one reading process; bounds the memory the readings hold


def read_and_nothing_else(source: SourceFile, data: bytes) -> tuple[Reading, None]:
    return read_source(source, data), None


def read_sources(
    sources: list[SourceFile], on_file=lambda source: None, pool: concurrent.futures.Executor | None = None,
    read: Callable[[SourceFile, bytes], tuple[Reading, Any]] = read_and_nothing_else, read_ahead: int = READ_AHEAD,
) -> Iterator[SourceReading]:
    """Read the sources one at a time, in order; a repeat (the same bytes, or the same text saved
    again: see saved_text_digest) is reported, not read again. `read` gives a file's reading and
    whatever else is best computed where it is read (a module-level function, so that a pool can
    run it). With a pool, the next `read_ahead` files are read there while the caller works on
    this one (this process still reads the bytes and spots repeats)."""
    first_with_text: dict[str, SourceFile] = {}
    first_with_records: dict[tuple, list[list]] = {}
    waiting = collections.deque()  # (source, size, duplicate_of, reading or its future)
    for source in described_repeats_first(sources):
        on_file(source)
        data = source.read_bytes()
        original = first_with_text.setdefault(saved_text_digest(data, source.sha256), source)
        if original is not source:
            how = "identical to" if original.sha256 == source.sha256 else "the same text as"
            repeat = ParseIssue(None, "duplicate_file", f"{how} {original.name}; read once")
            reading = nothing_read(source.format, decode_source(data)[0].count("\n"), [repeat], every_line="duplicate")
            waiting.append((source, len(data), original, (reading, None)))
        elif pool is None:
            waiting.append((source, len(data), None, read(source, data)))
        else:
            waiting.append((source, len(data), None, pool.submit(read, source, data)))
        while len(waiting) > (read_ahead if pool else 0):
            yield once_per_page(_source_reading(*waiting.popleft()), first_with_records)
    while waiting:
        yield once_per_page(_source_reading(*waiting.popleft()), first_with_records)


def once_per_page(read: SourceReading, first_with_records: dict[tuple, list[list]]) -> SourceReading:
    """`read`, or, where every record of it is one of an earlier file's, field for field and in
    order, with the same format, snapshot date and page date, that file's repeat: the same page
    copied again in another browser or pasted with other blank lines or bullets, whose text differs
    only where no record is read. Each copy was a source of its own, every paper listed once per
    copy and "cross-listed" (a review of Hugging Face copies). Told apart by their number of
    records and their first and last first; the earlier file is read again only where those
    agree, to compare every record (a key of every record's fields took 51 ms of the build's own
    process at 100k papers, this none that could be measured)."""
    reading = read.reading
    if read.duplicate_of is not None or not reading.records:
        return read
    key = (reading.format, read.source.snapshot_date, reading.page_date, len(reading.records),
           *record_fields([reading.records[0], reading.records[-1]]))
    alike = first_with_records.setdefault(key, [])  # [file, the digest of its records once read again]
    digest = records_digest(reading.records) if alike else None
    for earlier in alike:  # all of them: a file alike in these but not the same is no original (review)
        if earlier[1] is None:
            earlier[1] = records_digest(read_source(earlier[0]).records)  # once a file, however many are alike
        if earlier[1] == digest:
            original = earlier[0]
            break
    else:
        alike.append([read.source, digest])
        return read
    repeat = ParseIssue(None, "duplicate_file", f"every record the same as {original.name}'s, in order (the same page "
                        "copied again, its text laid out otherwise); read once")
    return SourceReading(read.source, nothing_read(reading.format, reading.line_count, [repeat], every_line="duplicate"),
                         read.size, duplicate_of=original)


def records_digest(records: list[Record]) -> str:
    return hashlib.sha256(repr(record_fields(records)).encode("utf-8", "surrogatepass")).hexdigest()


def record_fields(records: list[Record]) -> list[tuple]:
    return [(record.title, record.abstract, record.decision, record.authors_count, record.organization,
             record.date_text, record.published_on, record.published_year_inferred, record.upvotes) for record in records]


def described_repeats_first(sources: list[SourceFile]) -> list[SourceFile]:
    """The sources in the order they are read: as given, but that of a file and its repeats (see
    read_sources) the one its manifest describes comes first, so that it is the one read. A
    page dropped into the folder a second time, under a name that sorts first, was read without
    its snapshot date, and its described copy passed over as its repeat. Only where described
    and undescribed files are read together are their texts compared first (each described
    file's bytes are then read twice)."""
    if all(source.format for source in sources) or not any(source.format for source in sources):
        return sources
    described: dict[str, SourceFile] = {}
    for source in sources:
        if source.format:
            described.setdefault(saved_text_digest(source.read_bytes(), source.sha256), source)
    order, placed = [], set()
    for source in sources:
        twin = None if source.format else described.get(saved_text_digest(source.read_bytes(), source.sha256))
        for next_read in (twin, source):
            if next_read is not None and id(next_read) not in placed:
                order.append(next_read)
                placed.add(id(next_read))
    return order


def saved_text_digest(data: bytes, sha256: str) -> str:
    """What two saves of one page share: the SHA-256 of its bytes as decode_source lays out its
    lines (UTF-16 and UTF-32 as UTF-8, no byte order mark, "\n" line ends, no blanks at line ends), with no
    white space at the end. A page saved again on Windows (CRLF, a BOM) was read twice: 54
    entries became 162 listings, each paper 'cross-listed' three times, with no issue; so were
    saves with blanks at line ends, old Mac line ends or as UTF-16. Bytes that are not UTF-8 are
    compared as they are, as in a file that needs none of this, which keeps the digest of its
    bytes, `sha256`, where they end in no white space."""
    text = data
    wide = wide_encoding(text)
    if wide:
        text = as_utf8(text, wide[0])[0]
    if text.startswith(b"\xef\xbb\xbf") or b"\r" in text or has_blanks_at_line_ends(text):
        text = BLANKS_AT_LINE_ENDS.sub(b"", with_newline_line_ends(text.removeprefix(b"\xef\xbb\xbf")))
    text = text.rstrip()
    return sha256 if text == data else hashlib.sha256(text).hexdigest()


BLANKS_AT_LINE_ENDS = re.compile(rb"[ \t\r]+(?=\n)")  # as decode_source strips each line


def has_blanks_at_line_ends(data: bytes) -> bool:
    """Whether a space or tab ends a line of `data` ("\n" line ends). Looked for by the byte before
    each "\n": `b" \n" in data or b"\t\n" in data` took 6.1 ms for a 3 MB page, this 1.1, and
    the build's own process does it for every file while the others read."""
    codes = numpy.frombuffer(data, dtype=numpy.uint8)
    for start in range(0, len(codes), BLANKS_CHECKED_AT_ONCE):
        part = codes[start:start + BLANKS_CHECKED_AT_ONCE + 1]  # and the next part's first byte, a "\n" maybe
        before_newline = part[numpy.flatnonzero(part[1:] == ord("\n"))]
        if ((before_newline == ord(" ")) | (before_newline == ord("\t"))).any():
            return True
    return False


# Bytes looked at together: the check holds a flag a byte of them and 8 bytes a newline among
# them (9 MB at most here), however large the file; in 16 MB parts, 64 MB of newlines took 176 MB.
# Flags for the bytes before and at every newline took 6.0 ms for a 3 MB page, this 1.1.
BLANKS_CHECKED_AT_ONCE = 1024 * 1024


def _source_reading(source, size, duplicate_of, read: tuple | concurrent.futures.Future) -> SourceReading:
    reading, derived = read.result() if isinstance(read, concurrent.futures.Future) else read
    return SourceReading(source, reading, size, duplicate_of=duplicate_of, derived=derived)


def source_size(source: SourceFile) -> int:
    """The size of a source's bytes, without reading them (0 if it cannot be found out)."""
    if source.data is not None:
        return len(source.data)
    try:
        return source.path.stat().st_size
    except OSError:
        return 0  # reading it will report why
