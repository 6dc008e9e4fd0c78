"""papers-db: turn raw listings of machine-learning papers into one normalised SQLite database.

Data flows one way, one source file at a time:

    file --decode_source--> text --read_review_listing / read_hf_daily_page--> Reading
    Reading --Normaliser.rows_for--> FileRows --DatabaseWriter.add--> temporary database
    DatabaseWriter.finish: papers, indexes, full-text index, views (sql/*.sql) --> dist/papers.db

Readers are pure: text in, records and parse issues out. Only DatabaseWriter touches SQLite.
"""

from __future__ import annotations

import array
import calendar
import collections
import concurrent.futures
import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy
import sqlite_utils
import typer
import yaml
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_SOURCES = PROJECT_DIR / "sources"
DEFAULT_OUTPUT = PROJECT_DIR / "dist" / "papers.db"
SQL_DIR = PROJECT_DIR / "sql"
METADATA_FILE = PROJECT_DIR / "metadata.yml"
PLUGINS_DIR = PROJECT_DIR / "plugins"
TEMPLATES_DIR = PROJECT_DIR / "templates"
MANIFEST_NAME = "manifest.toml"

REVIEW_LISTING = "review_listing"
HF_DAILY_PAPERS = "hf_daily_papers"
FORMATS = (REVIEW_LISTING, HF_DAILY_PAPERS)


class PapersDbError(Exception):
    """A problem the user can fix (bad input path, unwritable output...): one line, no traceback."""


# --------------------------------------------------------------------------------------------
# Records: what readers return
# --------------------------------------------------------------------------------------------


@dataclass
class ParseIssue:
    line: int | None  # 1-based; None when the issue concerns the whole file
    code: str
    message: str


@dataclass
class Record:
    """One appearance of a paper in a source file, as read; nothing resolved yet."""

    line: int  # first line of the record, 1-based
    last_line: int
    title: str | None = None
    abstract: str | None = None
    decision: str | None = None  # raw decision label, exactly as listed
    authors_count: int | None = None
    organization: tuple[str, str] | None = None  # (handle, display name)
    date_text: str | None = None  # raw date line, e.g. "Feb 1 2" or "Dec 23, 2024"
    published_on: str | None = None  # ISO date, when it could be resolved
    published_year_inferred: bool | None = None
    upvotes: int | None = None


@dataclass
class Reading:
    """What a reader made of one file: records, issues, and the lines that are neither."""

    format: str
    line_count: int
    records: list[Record] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)
    other_lines: dict[int, str] = field(default_factory=dict)  # line -> "blank" | "header" | "label"
    page_date: str | None = None  # Hugging Face pages: "Nov 12" as printed in the header

    def unaccounted_lines(self) -> list[int]:
        """Lines that are in no record, no known header/label/blank line and no issue."""
        covered = set(self.other_lines)
        for record in self.records:
            covered.update(range(record.line, record.last_line + 1))
        covered.update(issue.line for issue in self.issues if issue.line is not None)
        return [n for n in range(1, self.line_count + 1) if n not in covered]


# --------------------------------------------------------------------------------------------
# Decoding: bytes -> text, reporting what cannot be read as UTF-8
# --------------------------------------------------------------------------------------------

NBSP_CHARACTERS = "\u00a0\u2007\u202f"  # non-breaking spaces, read as plain spaces
NBSP_LIKE = dict.fromkeys(map(ord, NBSP_CHARACTERS), " ")
NBSP_BYTES = [character.encode("utf-8") for character in NBSP_CHARACTERS]


def decode_source(data: bytes) -> tuple[str, list[ParseIssue]]:
    """Decode a browser copy into clean text: UTF-8, `\\n` endings, no BOM, no trailing blanks.

    Damage is repaired where the meaning is clear and reported with its line: bytes that are not
    UTF-8 become U+FFFD, NUL bytes are dropped.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    # The common case, a clean file, is decoded whole; only a damaged one goes line by line.
    lines = _decode_whole(data)
    issues = []
    if lines is None:
        lines, issues = _decode_line_by_line(data)
    if not data or data.endswith(b"\n"):
        lines.pop()  # a final newline ends the last line; it does not start another
    has_nbsp = any(space in data for space in NBSP_BYTES)
    cleaned = [(line.translate(NBSP_LIKE) if has_nbsp else line).rstrip(" \t") for line in lines]
    # Every line ends with "\\n", so a line emptied by repair (a lone NUL) still counts as one.
    return "".join(line + "\n" for line in cleaned), issues


def _decode_whole(data: bytes) -> list[str] | None:
    """The lines of a clean file (valid UTF-8, no NUL), or None when it needs repair."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None


def _decode_line_by_line(data: bytes) -> tuple[list[str], list[ParseIssue]]:
    issues, lines = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if b"\x00" in raw:
            issues.append(ParseIssue(number, "nul_byte", "NUL byte(s) removed from the line"))
            raw = raw.replace(b"\x00", b"")
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            issues.append(
                ParseIssue(
                    number,
                    "invalid_utf8",
                    f"bytes that are not UTF-8 at column {error.start + 1} replaced by U+FFFD",
                )
            )
            lines.append(raw.decode("utf-8", errors="replace"))
    return lines, issues


def text_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --------------------------------------------------------------------------------------------
# Line shapes shared by both readers
# --------------------------------------------------------------------------------------------

DECISION_LINE = re.compile(
    r"^(?:accept(?:\s*\(\s*[\w%+ -]+\s*\)|\s*:\s*[\w%+ -]+)?"
    r"|reject(?:ed)?|withdrawn(?:\s+submission)?|desk[\s-]+reject(?:ed)?)$",
    re.IGNORECASE,
)
ACCEPT_TIERS = {
    "oral": "oral",
    "talk": "oral",
    "notable-top-5%": "oral",
    "spotlight": "spotlight",
    "notable-top-25%": "spotlight",
    "poster": "poster",
}


def normalise_decision(label: str) -> tuple[str, str | None] | None:
    """Map a raw decision label to (outcome, tier); None when the label is not a decision."""
    text = " ".join(label.split()).casefold()
    if not DECISION_LINE.match(text):
        return None
    if text.startswith("accept"):
        detail = text[len("accept") :].strip(" :()")
        return "accept", ACCEPT_TIERS.get(detail)
    if text.startswith("reject"):
        return "reject", None
    if text.startswith("withdrawn"):
        return "withdrawn", None
    return "desk_reject", None


def is_unknown_accept_tier(label: str) -> bool:
    """An acceptance that names a tier we do not know, such as "Accept (Workshop)"."""
    return normalise_decision(label) == ("accept", None) and " ".join(label.split()).casefold() != "accept"


def looks_like_abstract(line: str) -> bool:
    """Prose rather than a title: long, or a sentence ending in a full stop.

    Length alone does not decide (short abstracts and long titles exist), so a mid-length line
    counts as an abstract only when it ends like a sentence. Titles never end with a full stop.
    """
    words = len(line.split(maxsplit=40))  # counting stops at 41: enough to decide
    return words >= 40 or (words >= 12 and line.rstrip().endswith("."))


TITLE_MAX_WORDS = 25  # the longest title in the bundled sources has 15 words


def continues_title(line: str) -> bool:
    """Is this line, right after a title, that title's abstract?

    Yes when it reads as prose, and also when it is longer than any title: that is an abstract
    cut short (for example by a file that ends mid-sentence), not the next paper's title.
    """
    return looks_like_abstract(line) or len(line.split(maxsplit=TITLE_MAX_WORDS)) > TITLE_MAX_WORDS


# --------------------------------------------------------------------------------------------
# Reader: review listings (OpenReview style)
# --------------------------------------------------------------------------------------------


def read_review_listing(text: str) -> Reading:
    """Read a review listing: `title`, `abstract`, optional `decision`, one field per line.

    Records without a title (abstract alone), a bare label line at the top of the file, and
    titles that begin with a decision word are handled; a decision must be the whole line.
    """
    lines = text_lines(text)
    reading = Reading(format=REVIEW_LISTING, line_count=len(lines))
    content = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    reading.other_lines.update((n, "blank") for n, line in enumerate(lines, 1) if not line.strip())

    if _starts_with_label(content):
        reading.other_lines[content[0][0]] = "label"
        content = content[1:]

    current: Record | None = None

    def close() -> None:
        if current is not None:
            _finish_record(current, reading)

    for number, line in content:
        if DECISION_LINE.match(line.strip()):
            if current is None or current.decision is not None:
                reading.issues.append(
                    ParseIssue(number, "orphan_decision", f"decision {line!r} follows no paper")
                )
                continue
            current.decision = line.strip()
            current.last_line = number
            if is_unknown_accept_tier(current.decision):
                reading.issues.append(
                    ParseIssue(number, "unknown_decision_tier", f"tier of {line!r} is not known")
                )
            close()
            current = None
        elif current is not None and current.abstract is None and current.decision is None and continues_title(line):
            current.abstract = line
            current.last_line = number
        elif looks_like_abstract(line):
            close()
            current = Record(line=number, last_line=number, abstract=line)
        else:
            close()
            current = Record(line=number, last_line=number, title=line.strip())
    close()
    _check_tail(reading)
    return reading


def _starts_with_label(content: list[tuple[int, str]]) -> bool:
    """A first line that is neither abstract nor decision, followed by a title, is a label."""
    if len(content) < 2:
        return False
    first, second = content[0][1], content[1][1]
    return not any(
        [looks_like_abstract(first), DECISION_LINE.match(first.strip()), looks_like_abstract(second),
         DECISION_LINE.match(second.strip())]
    )


SENTENCE_END = (".", "!", "?", ")", "]", '"', "'", "”", "’")


def _check_tail(reading: Reading) -> None:
    """A file cut off inside its last abstract: the record is kept, the cut is reported."""
    if not reading.records:
        return
    last = reading.records[-1]
    ends_in_abstract = last.abstract is not None and not any(
        [last.decision, last.authors_count, last.organization, last.date_text]
    )
    if ends_in_abstract and not last.abstract.rstrip().endswith(SENTENCE_END):
        reading.issues.append(
            ParseIssue(last.last_line, "truncated_record", "file ends mid-sentence: the last abstract may be cut off")
        )


def _finish_record(record: Record, reading: Reading) -> None:
    if record.abstract is None:
        reading.issues.append(
            ParseIssue(record.line, "missing_abstract", "title with no abstract after it")
        )
    reading.records.append(record)


# --------------------------------------------------------------------------------------------
# Reader: Hugging Face Daily Papers pages
# --------------------------------------------------------------------------------------------

HF_HEADER_LINES = {
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
}
MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}
MONTH_NAMES = "|".join(MONTHS)
PAGE_DATE_LINE = re.compile(rf"^({MONTH_NAMES}) (\d{{1,2}})$")
ENTRY_DATE_LINE = re.compile(rf"^({MONTH_NAMES}) (\d{{1,2}})(?:, (\d{{4}}))?(?: (\d+))?$")
AUTHORS_LINE = re.compile(r"^\s*•\s*(\d+) authors?$")
DATE_SEPARATOR = "·"


def read_hf_daily_page(text: str, snapshot_date: str | None = None) -> Reading:
    """Read a Hugging Face Daily Papers page saved as text.

    Entries are `title`, `abstract`, then an optional block `• N authors` (or an organisation
    line `handle Name`), `·`, `Mon D[, YYYY][ upvotes]`, separated by blank lines. A year-less
    date takes the page's year from `snapshot_date` (the year before if that would be after the
    page's date) and is flagged as inferred.
    """
    lines = text_lines(text)
    reading = Reading(format=HF_DAILY_PAPERS, line_count=len(lines))
    body_start = _read_hf_header(lines, reading)
    page_day = _page_day(reading, snapshot_date)

    content = [(n, lines[n - 1]) for n in range(body_start, len(lines) + 1)]
    reading.other_lines.update((n, "blank") for n, line in content if not line.strip())
    content = [(n, line) for n, line in content if line.strip()]

    current: Record | None = None
    meta_state = None  # None, "who", "dot", "date": how far the entry's metadata block got

    def close() -> None:
        if current is None:
            return
        if meta_state in ("who", "dot"):
            reading.issues.append(
                ParseIssue(
                    current.last_line,
                    "truncated_metadata",
                    "author/date block cut off: expected '·' and then a date line",
                )
            )
        _finish_record(current, reading)

    for index, (number, line) in enumerate(content):
        following = content[index + 1][1] if index + 1 < len(content) else None
        if line == DATE_SEPARATOR:
            if current is not None and meta_state == "who":
                meta_state = "dot"
                current.last_line = number
            else:
                reading.issues.append(
                    ParseIssue(number, "orphan_metadata", "'·' without an author line before it")
                )
        elif meta_state == "dot" and ENTRY_DATE_LINE.match(line):
            _set_entry_date(current, number, line, page_day, reading)
            meta_state = "date"
            close()
            current, meta_state = None, None
        elif AUTHORS_LINE.match(line) or following == DATE_SEPARATOR:
            if current is None or meta_state is not None:
                reading.issues.append(
                    ParseIssue(number, "orphan_metadata", f"author line {line.strip()!r} follows no paper")
                )
                continue
            _set_entry_authors(current, line)
            current.last_line = number
            meta_state = "who"
        elif meta_state is None and current is not None and current.abstract is None and continues_title(line):
            current.abstract = line
            current.last_line = number
        else:
            close()
            meta_state = None
            if looks_like_abstract(line):
                current = Record(line=number, last_line=number, abstract=line)
            else:
                current = Record(line=number, last_line=number, title=line.strip())
    close()
    _check_tail(reading)
    return reading


def _read_hf_header(lines: list[str], reading: Reading) -> int:
    """Mark the page header lines and find the page's own date; return the first body line."""
    number = 1
    while number <= len(lines) and (not lines[number - 1].strip() or lines[number - 1].strip() in HF_HEADER_LINES):
        reading.other_lines[number] = "header" if lines[number - 1].strip() else "blank"
        number += 1
    if number <= len(lines) and PAGE_DATE_LINE.match(lines[number - 1].strip()):
        reading.page_date = lines[number - 1].strip()
        reading.other_lines[number] = "header"
        number += 1
    else:
        reading.issues.append(
            ParseIssue(None, "missing_page_date", "no page date (such as 'Nov 12') after the header")
        )
    return number


def _page_day(reading: Reading, snapshot_date: str | None) -> dt.date | None:
    """The page's full date: its printed month and day in the year of the snapshot."""
    if snapshot_date is None:
        if reading.page_date:
            reading.issues.append(
                ParseIssue(
                    None,
                    "unknown_page_year",
                    f"page date {reading.page_date!r} has no year and the manifest gives no "
                    "snapshot_date: year-less entry dates stay unresolved",
                )
            )
        return None
    snapshot = dt.date.fromisoformat(snapshot_date)
    if reading.page_date:
        month, day = reading.page_date.split()
        if (MONTHS[month], int(day)) != (snapshot.month, snapshot.day):
            reading.issues.append(
                ParseIssue(
                    None,
                    "page_date_mismatch",
                    f"page says {reading.page_date!r} but the manifest's snapshot_date is {snapshot_date}",
                )
            )
    return snapshot


def _set_entry_authors(record: Record, line: str) -> None:
    authors = AUTHORS_LINE.match(line)
    if authors:
        record.authors_count = int(authors.group(1))
    else:
        handle, _, name = line.strip().partition(" ")
        record.organization = (handle, name.strip() or handle)


def _set_entry_date(record: Record, number: int, line: str, page_day: dt.date | None, reading: Reading) -> None:
    month_name, day, year, upvotes = ENTRY_DATE_LINE.match(line).groups()
    record.date_text = line
    record.last_line = number
    record.upvotes = int(upvotes) if upvotes is not None else None
    month, day = MONTHS[month_name], int(day)
    if year is not None:
        resolved, inferred = int(year), False
    elif page_day is not None:
        resolved = page_day.year - 1 if (month, day) > (page_day.month, page_day.day) else page_day.year
        inferred = True
    else:
        return  # no year to give it: the raw date_text is kept
    try:
        record.published_on = dt.date(resolved, month, day).isoformat()
        record.published_year_inferred = inferred
    except ValueError:
        reading.issues.append(ParseIssue(number, "invalid_date", f"{line!r} is not a calendar date"))


# --------------------------------------------------------------------------------------------
# Enrichment: what a title or abstract says beyond its text (pure functions, used by the build)
# --------------------------------------------------------------------------------------------

SHORT_NAME = re.compile(r"^([^\s:]{2,30})\s?:\s+\S")


def short_name(title: str | None) -> str | None:
    """The method or system name of a title of the form `Name: subtitle` (QuEST, HoME, SAMRS,
    Back2Future), or None. A name is one token with two capitals or a digit among letters, so an
    ordinary first word ("Cramming: ...") is not taken for one."""
    match = SHORT_NAME.match(title or "")
    if not match:
        return None
    name = match.group(1)
    capitals = sum(character.isupper() for character in name)
    mixed_digits = any(c.isdigit() for c in name) and any(c.isalpha() for c in name)
    return name if capitals >= 2 or mixed_digits else None


CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co")
CODE_LINK = re.compile(r"(?:https?://)?(?:www\.)?(github\.com|gitlab\.com|huggingface\.co)/[\w.~%+/-]*[\w/]", re.IGNORECASE)


def code_links(abstract: str | None) -> list[tuple[str, str]]:
    """(url, host) of each GitHub, GitLab or Hugging Face link in an abstract, in order, once each."""
    lowered = (abstract or "").lower()
    # The regex is slow to fail (its optional scheme is retried at every position), so it only
    # runs on the few abstracts that name a host at all.
    if not any(host in lowered for host in CODE_HOSTS):
        return []
    links = []
    for match in CODE_LINK.finditer(abstract):
        url = match.group(0)
        url = url if url.lower().startswith("http") else "https://" + url
        link = (url, match.group(1).lower())
        if link not in links:
            links.append(link)
    return links


LATEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ",
    "omega": "ω", "Omega": "Ω", "infty": "∞", "times": "×", "cdot": "·", "sim": "~",
    "approx": "≈", "leq": "≤", "geq": "≥", "le": "≤", "ge": "≥", "pm": "±", "to": "→",
    "rightarrow": "→", "in": "∈", "ell": "ℓ", "log": "log", "exp": "exp",
}
LATEX_WRAPPER = re.compile(r"\\[A-Za-z]+\s*\{([^{}]*)\}")  # \emph{x}, \mathcal{O}, \sqrt{x} -> x
LATEX_ACCENT = re.compile(r"\\\{(\w)\}|\\['`^\"~]\{?\\?(\w)\}?")  # L\{o}wner, \"{o}, na\"{\i}ve -> o, o, i
LATEX_ESCAPE = re.compile(r"\\([%$&_#{}|])")  # \% -> %, \| -> |
LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")


def plain_abstract(abstract: str | None) -> str | None:
    r"""The abstract without LaTeX markup ($F$, \emph{...}, L\{o}wner), or None when it has none.

    Commands that only wrap text are dropped, common symbols become their character, and other
    commands lose their backslash; the raw abstract is kept unchanged beside it."""
    if not abstract or ("\\" not in abstract and "$" not in abstract):
        return None
    text = LATEX_ACCENT.sub(lambda m: m.group(1) or m.group(2), abstract)
    text = LATEX_ESCAPE.sub(lambda m: "\x00" + m.group(1), text)  # keep escaped $ and braces literal
    previous = None
    while previous != text:  # nested wrappers, innermost first
        previous, text = text, LATEX_WRAPPER.sub(r"\1", text)
    text = LATEX_COMMAND.sub(lambda m: LATEX_SYMBOLS.get(m.group(1), m.group(1)), text)
    text = re.sub(r"[${}]", "", text).replace("\x00", "")
    text = " ".join(text.split())
    return text if text != abstract else None


# Related papers: each paper's most distinctive terms (tf-idf over its title and the opening of
# its plain abstract), and the papers that share the most of them. Term frequencies come from a
# sample; then papers are read in batches. A batch is split into words, counted, weighed and
# ranked with NumPy over its UTF-8 bytes: making a Python string of every word cost about half a
# microsecond a word on a 2-core machine, which was most of the step. Memory holds a few term ids
# per paper, never the text.

RELATED_PER_PAPER = 5  # rows kept per paper
RELATED_SIGNATURE_TERMS = 12  # distinctive terms kept per paper
RELATED_POSTINGS_CAP = 16  # papers a term can link: those where it weighs most
RELATED_CANDIDATES = 10  # papers scored exactly, among those sharing the most terms
RELATED_MIN_SHARED = 2  # one shared word is too often a coincidence
RELATED_MAX_SHARE = 0.1  # a term in more than a tenth of all papers says little about any one
RELATED_SAMPLE = 20_000  # papers whose words give the term frequencies
RELATED_ABSTRACT_CHARACTERS = 1000  # an abstract's opening states its topic; the rest costs time
RELATED_TITLE_WEIGHT = 3  # a word in the title counts as three in the abstract
RELATED_READ_BATCH = 1_000  # papers split into words together
RELATED_SCORE_BATCH = 10_000  # papers whose candidates are scored together (bounds memory)
RELATED_POSTINGS_MERGE = 2_000_000  # signature rows (24 bytes each) gathered before they join the postings
RELATED_TERM = re.compile(r"[^\W\d_]\w+(?:-\w+)*")  # a word starting with a letter, maybe hyphenated
# Words are separated by ASCII whitespace and ASCII punctuation other than hyphens. Both are single
# bytes in UTF-8 that never occur inside a multi-byte character, so words can be found in bytes.
WORD_BYTES = numpy.ones(256, dtype=numpy.int8)  # 1 for a byte that is part of a word
WORD_BYTES[list(b" \t\n\r\x0b\x0c!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~")] = 0
# A word's hash is a polynomial over its bytes, taken from prefix sums modulo 2**64 (NumPy's uint64
# arithmetic wraps); an odd base has an inverse modulo 2**64, which shifts each word to position 0.
WORD_HASH_BASE = 0x9E3779B97F4A7C15
WORD_HASH_BASE_INVERSE = pow(WORD_HASH_BASE, -1, 2**64)
WORD_HASH_LENGTH_MIX = 0xC2B2AE3D27D4EB4F
STOP_WORDS = frozenset("""
    about above after again against all also although among and any are because been before being
    below between both but can could did does doing down during each either few for from further
    had has have having here how however into its itself just more most much neither nor not now
    off once only other our ours out over own same several should since some such than that the
    their theirs them then there these they this those through thus too under until very via was
    were what when where whether which while who whom why will with within without would yet you
    your
""".split())


@dataclass(frozen=True)
class RelatedPaper:
    paper_id: int
    rank: int
    related_paper_id: int
    score: float
    shared_terms: tuple[str, ...]


def fold_plural(word: str) -> str:
    """One term for a word and its plural: anomalies -> anomaly, processes -> process."""
    if len(word) <= 4 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def term_of_word(word: str) -> str | None:
    """The term a word counts as (its plural folded), or None for a stop word, a word under three
    letters, or a token that is no word ("3d", "--")."""
    word = word.strip("-")
    if len(word) <= 2 or word in STOP_WORDS or not RELATED_TERM.fullmatch(word):
        return None
    return fold_plural(word)


def paper_text(title: str | None, abstract: str | None) -> bytes:
    """The lower-case UTF-8 text a paper's terms are read from: its title RELATED_TITLE_WEIGHT
    times over, then the opening of its abstract (its first RELATED_ABSTRACT_CHARACTERS, no word
    cut in half), ending with a space."""
    opening = (abstract or "")[:RELATED_ABSTRACT_CHARACTERS + 1]
    if len(opening) > RELATED_ABSTRACT_CHARACTERS:
        opening = opening.rsplit(None, 1)[0]
    return (" ".join([title or ""] * RELATED_TITLE_WEIGHT + [opening, ""])).lower().encode()


@dataclass
class BatchWords:
    """The words of a batch of papers, found in their joined text: which paper each word is in,
    where it starts and ends, and its hash (equal words, equal hashes)."""

    text: bytes
    papers: "numpy.ndarray"
    starts: "numpy.ndarray"
    ends: "numpy.ndarray"
    hashes: "numpy.ndarray"

    def word(self, place: int) -> str:
        return self.text[self.starts[place]:self.ends[place]].decode()


def split_words(texts: list[bytes]) -> BatchWords:
    """Find the words of papers' texts (from paper_text) and hash them, without making a string
    of each word."""
    text = b"".join(texts)
    codes = numpy.frombuffer(text, dtype=numpy.uint8)
    edges = numpy.diff(WORD_BYTES[codes], prepend=numpy.int8(0), append=numpy.int8(0))
    starts, ends = numpy.flatnonzero(edges == 1), numpy.flatnonzero(edges == -1)
    powers, inverse_powers = word_hash_powers(len(codes))
    prefix = numpy.zeros(len(codes) + 1, dtype=numpy.uint64)
    numpy.cumsum(codes * powers, out=prefix[1:])
    hashes = (prefix[ends] - prefix[starts]) * inverse_powers[starts]
    hashes ^= (ends - starts).astype(numpy.uint64) * numpy.uint64(WORD_HASH_LENGTH_MIX)
    # MurmurHash3's finaliser: spreads every bit over the top bits, which TermTable uses as slots
    hashes ^= hashes >> numpy.uint64(33)
    hashes *= numpy.uint64(0xFF51AFD7ED558CCD)
    hashes ^= hashes >> numpy.uint64(33)
    paper_ends = numpy.cumsum([len(paper) for paper in texts])
    papers = numpy.searchsorted(paper_ends, starts, side="right")
    return BatchWords(text, papers, starts, ends, hashes)


@functools.cache
def _word_hash_powers(length: int) -> tuple["numpy.ndarray", "numpy.ndarray"]:
    powers = numpy.full(length, WORD_HASH_BASE, dtype=numpy.uint64)
    inverse_powers = numpy.full(length, WORD_HASH_BASE_INVERSE, dtype=numpy.uint64)
    powers[:1] = inverse_powers[:1] = 1
    return numpy.cumprod(powers), numpy.cumprod(inverse_powers)


def word_hash_powers(length: int) -> tuple["numpy.ndarray", "numpy.ndarray"]:
    """WORD_HASH_BASE and its inverse to the powers 0 .. length - 1, computed once for the
    longest batch seen so far (rounded up to a power of two)."""
    powers, inverse_powers = _word_hash_powers(1 << max(length - 1, 1).bit_length())
    return powers[:length], inverse_powers[:length]


class TermTable:
    """The terms that can be part of a signature: found in at least two sampled papers and in at
    most RELATED_MAX_SHARE of them. Term ids follow alphabetical order. Every spelling of a term
    (model, models, -model) is known by its word hash.

    Looking up a batch's word hashes is done with NumPy in a hash table (open addressing, linear
    probing) keyed by the top bits of the word hash: a binary search per word was the slowest step.
    """

    def __init__(self, terms: list[str], idf: list[float], spellings: dict[int, int]) -> None:
        self.terms = terms
        self.idf = numpy.array(idf, dtype=numpy.float64)
        self.bits = max(4, (8 * len(spellings)).bit_length())  # at most one slot in eight taken
        slots = [-1] * (1 << self.bits)
        self.spelling_hashes = numpy.array(list(spellings), dtype=numpy.uint64)
        self.spelling_terms = numpy.array(list(spellings.values()), dtype=numpy.int64)
        for number, word_hash in enumerate(spellings):
            slot = word_hash >> (64 - self.bits)
            while slots[slot] != -1:
                slot = (slot + 1) % len(slots)
            slots[slot] = number
        self.slots = numpy.array(slots, dtype=numpy.int64)

    def term_ids(self, hashes: "numpy.ndarray") -> "numpy.ndarray":
        """The term id of each word hash, -1 for a word that is in no signature."""
        found = numpy.full(len(hashes), -1, dtype=numpy.int64)
        if not len(self.spelling_hashes):
            return found
        pending = numpy.arange(len(hashes))
        slot = (hashes >> numpy.uint64(64 - self.bits)).astype(numpy.int64)
        while len(pending):
            spelling = self.slots[slot]
            taken = spelling >= 0
            match = taken & (self.spelling_hashes[spelling] == hashes[pending])
            found[pending[match]] = self.spelling_terms[spelling[match]]
            go_on = taken & ~match  # an occupied slot holding another word: probe the next one
            pending, slot = pending[go_on], (slot[go_on] + 1) % len(self.slots)
        return found


def sample_terms(papers: Iterable[tuple[int, str | None, str | None]]) -> TermTable:
    """Term frequencies from the first RELATED_SAMPLE papers. These are a random sample because
    paper ids are hashes; below that size the frequencies are exact. A term's paper count adds up
    its spellings; idf only needs an estimate."""
    sampled = 0
    distinct_per_paper = []  # hashes of each paper's distinct words
    spelling = {}  # word hash -> word
    for batch in in_batches(itertools.islice(papers, RELATED_SAMPLE), RELATED_READ_BATCH):
        sampled += len(batch)
        words = split_words([paper_text(title, abstract) for _, title, abstract in batch])
        order = numpy.lexsort((words.hashes, words.papers))
        hashes, papers_of = words.hashes[order], words.papers[order]
        first = numpy.ones(len(order), dtype=bool)  # the first of each (paper, word) pair
        first[1:] = (hashes[1:] != hashes[:-1]) | (papers_of[1:] != papers_of[:-1])
        distinct_per_paper.append(hashes[first])
        hashes, places = numpy.unique(words.hashes, return_index=True)
        spelling.update(zip(hashes.tolist(), map(words.word, places.tolist())))
    hashes, frequencies = numpy.unique(numpy.concatenate(distinct_per_paper or [numpy.zeros(0, numpy.uint64)]), return_counts=True)
    term_papers = collections.Counter()
    term_of = {}
    for word_hash, frequency in zip(hashes.tolist(), frequencies.tolist()):
        if (term := term_of_word(spelling[word_hash])) is not None:
            term_of[word_hash] = term
            term_papers[term] += frequency
    most = max(2, int(sampled * RELATED_MAX_SHARE))
    terms = sorted(term for term, frequency in term_papers.items() if 2 <= frequency <= most)
    term_ids = {term: number for number, term in enumerate(terms)}
    idf = [math.log(sampled / term_papers[term]) for term in terms]
    spellings = {word_hash: term_ids[term] for word_hash, term in term_of.items() if term in term_ids}
    return TermTable(terms, idf, spellings)


def places_in_groups(groups: "numpy.ndarray") -> "numpy.ndarray":
    """Each row's place (0, 1, ...) in its run of equal values in sorted `groups`."""
    return numpy.arange(len(groups)) - numpy.searchsorted(groups, groups)


def first_of_each_group(groups: "numpy.ndarray", keep: int) -> "numpy.ndarray":
    """A mask of the first `keep` rows of each run of equal values in sorted `groups`."""
    return places_in_groups(groups) < keep


def batch_signatures(texts: list[bytes], table: TermTable) -> tuple:
    """The signatures of a batch of papers' texts: (paper place in batch, term id, weight) rows,
    ordered by paper, then by weight, strongest first."""
    words = split_words(texts)
    term_ids = table.term_ids(words.hashes)
    known = term_ids >= 0
    pairs, counts = numpy.unique((words.papers[known].astype(numpy.int64) << 32) | term_ids[known], return_counts=True)
    places, term_ids = pairs >> 32, pairs & 0xFFFFFFFF
    weights = counts * table.idf[term_ids]
    # by paper, then heaviest first; one stable sort of a single key keeps term order among equals
    order = numpy.argsort(places * (weights.max(initial=0) + 1) - weights, kind="stable")
    places, term_ids, weights = places[order], term_ids[order], weights[order]
    strongest = first_of_each_group(places, RELATED_SIGNATURE_TERMS)
    return places[strongest], term_ids[strongest], weights[strongest]


@dataclass
class Signatures:
    """Every paper's signature, and per term the papers where it weighs most (its postings)."""

    paper_ids: "numpy.ndarray"  # by position: papers in the order they were read
    terms: "numpy.ndarray"  # one row of RELATED_SIGNATURE_TERMS term ids per position, -1 where fewer
    posting_terms: "numpy.ndarray"  # (term id, position) pairs, ordered by term id
    posting_papers: "numpy.ndarray"

    def postings(self, term_count: int) -> tuple["numpy.ndarray", "numpy.ndarray"]:
        """Where each term's postings start, and how many it has."""
        start = numpy.searchsorted(self.posting_terms, numpy.arange(term_count))
        return start, numpy.searchsorted(self.posting_terms, numpy.arange(term_count), side="right") - start


def strongest_postings(term_ids, weights, positions) -> tuple:
    """Keep, per term, the RELATED_POSTINGS_CAP rows of highest weight (the first paper read wins
    among equals), ordered by term id."""
    order = numpy.lexsort((positions, -weights, term_ids))
    order = order[first_of_each_group(term_ids[order], RELATED_POSTINGS_CAP)]
    return term_ids[order], weights[order], positions[order]


def paper_signatures(papers: Iterable[tuple[int, str | None, str | None]], table: TermTable) -> Signatures:
    """Read papers in batches and keep each one's signature; postings are merged as rows gather,
    so memory holds the signatures and at most RELATED_POSTINGS_MERGE rows more."""
    paper_ids = array.array("q")
    blocks = [numpy.zeros((0, RELATED_SIGNATURE_TERMS), dtype=numpy.int32)]
    gathered, waiting = [(numpy.zeros(0, numpy.int64), numpy.zeros(0), numpy.zeros(0, numpy.int64))], 0
    for batch in in_batches(papers, RELATED_READ_BATCH):
        first = len(paper_ids)
        paper_ids.extend(paper_id for paper_id, _, _ in batch)
        places, term_ids, weights = batch_signatures([paper_text(title, abstract) for _, title, abstract in batch], table)
        block = numpy.full((len(batch), RELATED_SIGNATURE_TERMS), -1, dtype=numpy.int32)
        block[places, places_in_groups(places)] = term_ids
        blocks.append(block)
        gathered.append((term_ids, weights, places + first))
        waiting += len(places)
        if waiting > RELATED_POSTINGS_MERGE:
            gathered, waiting = [strongest_postings(*map(numpy.concatenate, zip(*gathered)))], 0
    posting_terms, _, posting_papers = strongest_postings(*map(numpy.concatenate, zip(*gathered)))
    return Signatures(numpy.array(paper_ids, dtype=numpy.int64), numpy.concatenate(blocks), posting_terms, posting_papers)


def in_batches(items: Iterable, size: int) -> Iterator[tuple]:
    """Tuples of `size` items, the last one shorter (itertools.batched from Python 3.12)."""
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def related_papers(papers) -> Iterator[RelatedPaper]:
    """For each paper, up to RELATED_PER_PAPER other papers sharing its most distinctive terms.

    `papers` is called twice and each time yields (id, title, plain abstract) in id order. A
    paper's signature is its RELATED_SIGNATURE_TERMS terms of highest tf-idf (see TermTable).
    Two papers relate by the summed idf of the terms their signatures share (at least
    RELATED_MIN_SHARED of them). A term links at most RELATED_POSTINGS_CAP papers, those where it
    weighs most, so the cost per paper is bounded however common a term is; among the papers so
    linked, the RELATED_CANDIDATES sharing the most terms are scored exactly.
    """
    table = sample_terms(papers())
    signatures = paper_signatures(papers(), table)
    posting_start, posting_size = signatures.postings(len(table.terms))
    # Term ids ordered rarest first, then alphabetically: the order shared terms are shown in.
    rarity = numpy.empty(len(table.terms), dtype=numpy.int64)
    rarity[numpy.lexsort((numpy.arange(len(table.terms)), -table.idf))] = numpy.arange(len(table.terms))
    rarity = rarity.tolist()
    for first in range(0, len(signatures.paper_ids), RELATED_SCORE_BATCH):
        rows = signatures.terms[first:first + RELATED_SCORE_BATCH]
        places, columns = numpy.nonzero(rows >= 0)
        yield from _score_batch(
            places + first, rows[places, columns], posting_start, posting_size, signatures.posting_papers,
            signatures.terms, signatures.paper_ids, table, rarity,
        )


def _score_batch(positions, term_ids, posting_start, posting_size, posting_papers, signatures, paper_ids, table, rarity):
    """Related papers for the papers whose signature rows are given."""
    sizes = posting_size[term_ids]
    papers = numpy.repeat(positions, sizes).astype(numpy.int64)
    offsets = numpy.arange(sizes.sum()) - numpy.repeat(numpy.cumsum(sizes) - sizes, sizes)
    others = posting_papers[numpy.repeat(posting_start[term_ids], sizes) + offsets]
    linked = papers != others
    pairs, shared = numpy.unique((papers[linked] << 32) | others[linked], return_counts=True)
    enough = shared >= RELATED_MIN_SHARED
    pairs, shared = pairs[enough], shared[enough]
    papers, others = pairs >> 32, pairs & 0xFFFFFFFF
    # candidates: per paper, those sharing the most terms, nearest position first among equals
    order = numpy.lexsort((others, -shared, papers))
    order = order[first_of_each_group(papers[order], RELATED_CANDIDATES)]
    papers, others = papers[order], others[order]

    mine, theirs = signatures[papers], signatures[others]
    in_both = (mine[:, :, None] == theirs[:, None, :]).any(axis=2) & (mine >= 0)
    scores = numpy.round(numpy.where(in_both, table.idf[mine], 0.0).sum(axis=1), 3)
    order = numpy.lexsort((paper_ids[others], -scores, papers))
    order = order[first_of_each_group(papers[order], RELATED_PER_PAPER)]
    rank = 0
    previous = -1
    for row in order.tolist():
        paper = int(papers[row])
        rank = rank + 1 if paper == previous else 1
        previous = paper
        shared_ids = sorted(mine[row][in_both[row]].tolist(), key=rarity.__getitem__)
        yield RelatedPaper(
            int(paper_ids[paper]), rank, int(paper_ids[others[row]]), float(scores[row]),
            tuple(table.terms[term_id] for term_id in shared_ids),
        )


def write_related_papers(staging: Path, target: Path) -> None:
    """Find related papers from the staged paper text and write them to a new SQLite file.

    Runs in a second process while the build's own process fills papers and the full-text index,
    so on a machine with two cores it adds little to the build's wall time.
    """
    source = sqlite3.connect(f"file:{staging}?mode=ro", uri=True)

    def papers():
        # The same text as the paper_search_text view, which does not exist yet at this point.
        rows = source.execute("SELECT id, title, abstract FROM paper_texts ORDER BY id")
        return ((paper_id, title, plain_abstract(abstract) or abstract) for paper_id, title, abstract in rows)

    out = sqlite3.connect(target)
    out.execute("PRAGMA journal_mode = OFF")
    out.execute("CREATE TABLE related_papers (paper_id, rank, related_paper_id, score, shared_terms)")
    out.executemany(
        "INSERT INTO related_papers VALUES (?, ?, ?, ?, ?)",
        ((r.paper_id, r.rank, r.related_paper_id, r.score, json.dumps(r.shared_terms)) for r in related_papers(papers)),
    )
    out.commit()
    out.close()
    source.close()


# --------------------------------------------------------------------------------------------
# Sources: finding files, the manifest, format detection
# --------------------------------------------------------------------------------------------


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

    def read_bytes(self) -> bytes:
        if self.data is not None:
            data = self.data
        else:
            with _readable(self.path) as file:
                data = file.read()
        if not self.sha256:
            self.sha256 = hashlib.sha256(data).hexdigest()
        return data


def _readable(path: Path):
    try:
        return path.open("rb")
    except OSError as error:
        raise PapersDbError(f"{path}: cannot be read: {error.strerror}") from None


def detect_format(text: str) -> str | None:
    """Which kind of listing this text is, or None when it is no listing at all."""
    lines = text_lines(text)
    head = [line.strip() for line in lines[:40] if line.strip()]
    if "Daily Papers" in head[:12] or DATE_SEPARATOR in head:
        return HF_DAILY_PAPERS
    if any(looks_like_abstract(line) for line in lines):
        return REVIEW_LISTING
    return None


def read_manifest(folder: Path) -> dict[str, dict]:
    """Manifest entries by file name; an absent manifest is an empty one."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("source", [])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PapersDbError(f"{path}: not a valid TOML manifest: {error}") from None
    manifest = {}
    for position, entry in enumerate(entries, start=1):
        name = entry.get("file")
        if not name or entry.get("format") not in FORMATS:
            raise PapersDbError(
                f"{path}: [[source]] number {position} needs `file` and a `format` of {' or '.join(FORMATS)}"
            )
        snapshot = entry.get("snapshot_date")
        if snapshot is not None:
            try:
                snapshot = dt.date.fromisoformat(str(snapshot)).isoformat()
            except ValueError:
                raise PapersDbError(f"{path}: snapshot_date of {name} is not YYYY-MM-DD") from None
        manifest[name] = dict(entry, snapshot_date=snapshot)
    return manifest


def find_sources(paths: Iterable[Path]) -> list[SourceFile]:
    """Every source file named by `paths` (files, or folders read whole), sorted by name."""
    found: dict[Path, SourceFile] = {}
    manifests: dict[Path, dict[str, dict]] = {}
    for path in paths:
        if path.is_dir():
            files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and p.name != MANIFEST_NAME]
        elif path.is_file():
            files = [path]
        else:
            raise PapersDbError(f"{path}: no such file or folder")
        for file in files:
            if file.parent not in manifests:
                manifests[file.parent] = read_manifest(file.parent)
            entry = manifests[file.parent].get(file.name, {})
            found[file.resolve()] = SourceFile(
                path=file,
                format=entry.get("format"),
                snapshot_date=entry.get("snapshot_date"),
                description=entry.get("description"),
            )
    # Sorted by name, then (for names that occur twice) content, so that the order paths were
    # given in never matters.
    names = collections.Counter(source.path.name for source in found.values())
    for source in found.values():
        if names[source.path.name] > 1:
            source.read_bytes()
    return sorted(found.values(), key=lambda source: (source.path.name, source.sha256))


@dataclass
class SourceReading:
    source: SourceFile
    reading: Reading
    size: int  # bytes
    duplicate_of: SourceFile | None = None  # the identical file that was read instead


def read_source(source: SourceFile, data: bytes | None = None) -> Reading:
    """Decode and read one file with the reader its format calls for."""
    text, decode_issues = decode_source(source.read_bytes() if data is None else data)
    line_count = text.count("\n")  # decode_source ends every line with one
    if not text or text.isspace():
        return Reading(format=source.format, line_count=line_count,
                       issues=decode_issues + [ParseIssue(None, "empty_file", "file has no text")],
                       other_lines={n: "blank" for n in range(1, line_count + 1)})
    file_format = source.format or detect_format(text)
    if file_format is None:
        return Reading(
            format=None,
            line_count=line_count,
            issues=decode_issues + [ParseIssue(
                None, "not_a_listing",
                f"none of its {line_count} lines reads as a review listing or a Hugging Face Daily Papers page",
            )],
            other_lines={n: "unread" for n in range(1, line_count + 1)},
        )
    if file_format == HF_DAILY_PAPERS:
        reading = read_hf_daily_page(text, source.snapshot_date)
    else:
        reading = read_review_listing(text)
    reading.issues[:0] = decode_issues
    return reading


READ_AHEAD = 2  # files read ahead in the second process; bounds the memory they hold


def read_sources(
    sources: list[SourceFile], on_file=lambda source: None, pool: concurrent.futures.Executor | None = None,
) -> Iterator[SourceReading]:
    """Read the sources one at a time, in order; a byte-identical repeat is reported, not read
    again. With a pool, the next READ_AHEAD files are parsed there while the caller works on this
    one (this process still reads the bytes and spots repeats)."""
    first_with_hash: dict[str, SourceFile] = {}
    waiting = collections.deque()  # (source, size, duplicate_of, reading or its future)
    for source in sources:
        on_file(source)
        data = source.read_bytes()
        original = first_with_hash.setdefault(source.sha256, source)
        if original is not source:
            line_count = decode_source(data)[0].count("\n")
            reading = Reading(
                format=source.format, line_count=line_count,
                issues=[ParseIssue(None, "duplicate_file", f"identical to {original.path.name}; read once")],
                other_lines={n: "duplicate" for n in range(1, line_count + 1)},
            )
            waiting.append((source, len(data), original, reading))
        elif pool is None:
            waiting.append((source, len(data), None, read_source(source, data)))
        else:
            waiting.append((source, len(data), None, pool.submit(read_source, source, data)))
        while len(waiting) > (READ_AHEAD if pool else 0):
            yield _source_reading(*waiting.popleft())
    while waiting:
        yield _source_reading(*waiting.popleft())


def _source_reading(source, size, duplicate_of, reading: "Reading | concurrent.futures.Future") -> "SourceReading":
    if isinstance(reading, concurrent.futures.Future):
        reading = reading.result()
    return SourceReading(source, reading, size, duplicate_of=duplicate_of)


# --------------------------------------------------------------------------------------------
# Normalise: each file's reading -> rows, with ids that do not depend on reading order
# --------------------------------------------------------------------------------------------


def squash(text: str) -> str:
    """The comparison form of a title or abstract: NFKC, case-folded, single spaces."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())


def identity_digest(identity: str) -> bytes:
    return hashlib.sha256(identity.encode("utf-8")).digest()


def paper_identity(record: Record) -> str:
    """A paper is its abstract; a record with no abstract is known by its title."""
    if record.abstract:
        return "abstract:" + squash(record.abstract)
    return "title:" + squash(record.title or "")


OUTCOME_PRECEDENCE = ("accept", "reject", "desk_reject", "withdrawn")
TIER_PRECEDENCE = ("oral", "spotlight", "poster", None)


def decision_precedence(outcome: str, tier: str | None) -> int:
    """Which decision says most about a paper (lower first): accepted before rejected, then by tier."""
    return OUTCOME_PRECEDENCE.index(outcome) * 10 + TIER_PRECEDENCE.index(tier)


@dataclass
class FileRows:
    """The rows one source file contributes; `paper_texts` are (paper id, title, abstract)."""

    source: dict
    listings: list[dict]
    paper_texts: list[tuple[int, str | None, str | None]]
    parse_issues: list[dict]


class Normaliser:
    """Turns readings into rows one file at a time, keeping in memory only what stable ids and
    lookups need (never a paper's text): one small number per paper, decisions, organisations."""

    def __init__(self) -> None:
        self.source_ids: dict[tuple[str, str], int] = {}  # (file name, sha256) -> source id
        self.decision_ids: dict[str, int] = {}  # label -> id, in order of first appearance
        self.organizations: dict[str, dict] = {}  # handle -> row
        self.identity_checks: dict[int, int] = {}  # paper id -> 64 more bits of its identity hash
        self.title_only: dict[int, str] = {}  # paper id -> squashed title, for papers with no abstract
        self.listing_count = 0
        self.issue_count = 0

    def rows_for(self, r: SourceReading) -> FileRows:
        source_id = len(self.source_ids) + 1
        self.source_ids.setdefault((r.source.path.name, r.source.sha256), source_id)
        original = r.duplicate_of
        source = {
            "id": source_id,
            "file_name": r.source.path.name,
            "sha256": r.source.sha256,
            "format": r.reading.format,
            "snapshot_date": r.source.snapshot_date,
            "page_date": r.reading.page_date,
            "description": r.source.description,
            "bytes": r.size,
            "lines": r.reading.line_count,
            "duplicate_of": self.source_ids[(original.path.name, original.sha256)] if original else None,
        }
        listings, texts = [], []
        for position, record in enumerate(r.reading.records, start=1):
            identity = paper_identity(record)
            number = self._paper_id(identity)
            if not record.abstract:
                self.title_only[number] = identity.removeprefix("title:")
            texts.append((number, record.title, record.abstract))
            self.listing_count += 1
            listings.append(
                {
                    "id": self.listing_count,
                    "paper_id": number,
                    "source_id": source_id,
                    "line": record.line,
                    "last_line": record.last_line,
                    "position": position,
                    "decision_id": self._decision_id(record.decision),
                    "authors_count": record.authors_count,
                    "organization_id": self._organization_id(record.organization),
                    "date_text": record.date_text,
                    "published_on": record.published_on,
                    "published_year_inferred": record.published_year_inferred,
                    "upvotes": record.upvotes,
                }
            )
        issues = []
        for issue in r.reading.issues:
            self.issue_count += 1
            issues.append({"id": self.issue_count, "source_id": source_id, "line": issue.line,
                           "code": issue.code, "message": issue.message})
        return FileRows(source, listings, texts, issues)

    def _paper_id(self, identity: str) -> int:
        """A stable id from a paper's identity: 53 bits of its SHA-256, so that it is exact in
        JavaScript too; the next 64 bits catch two identities sharing an id."""
        digest = identity_digest(identity)
        number = int.from_bytes(digest[:8], "big") >> 11
        check = int.from_bytes(digest[8:16], "big")
        if self.identity_checks.setdefault(number, check) != check:
            raise PapersDbError(f"two different papers share the id {number}; the second is {identity[:80]!r}")
        return number

    def _decision_id(self, label: str | None) -> int | None:
        if label is None:
            return None
        return self.decision_ids.setdefault(label, len(self.decision_ids) + 1)

    def _organization_id(self, organization: tuple[str, str] | None) -> int | None:
        if organization is None:
            return None
        handle, name = organization
        row = self.organizations.setdefault(handle, {"id": len(self.organizations) + 1, "handle": handle, "name": name})
        return row["id"]

    def decision_rows(self) -> list[dict]:
        rows = []
        for label, number in self.decision_ids.items():
            outcome, tier = normalise_decision(label)
            rows.append({"id": number, "label": label, "outcome": outcome, "tier": tier,
                         "precedence": decision_precedence(outcome, tier)})
        return rows

    def organization_rows(self) -> list[dict]:
        return list(self.organizations.values())

    def title_only_merges(self, titled_papers: Iterable[tuple[int, str]]) -> list[tuple[int, int]]:
        """(title-only paper, paper with that title and an abstract) pairs to merge, so that a paper
        listed once without its abstract is not counted twice. `titled_papers` gives (id, title)
        of papers that have an abstract, in id order; the first with the title wins."""
        waiting = {title: number for number, title in sorted(self.title_only.items()) if title}
        merges = []
        for number, title in titled_papers:
            match = waiting.pop(squash(title), None) if waiting else None
            if match is not None:
                merges.append((match, number))
            if not waiting:
                break
        return merges


# --------------------------------------------------------------------------------------------
# Load: rows -> SQLite file, written beside the target and renamed into place
# --------------------------------------------------------------------------------------------


class DatabaseWriter:
    """Loads rows file by file into a temporary database beside the target; `finish` builds the
    papers table, indexes, full-text index and views once, then renames the file into place.

    Paper text waits in a staging file until every listing is known, so that each paper's row,
    with what its listings say together, is written once and in id order. On any failure, or if
    the process is killed, the target is untouched; the next build removes the leftovers.
    """

    LISTING_COLUMNS = ("id", "paper_id", "source_id", "line", "last_line", "position", "decision_id",
                       "authors_count", "organization_id", "date_text", "published_on",
                       "published_year_inferred", "upvotes")

    def __init__(self, output: Path, related: bool = True) -> None:
        ensure_output_folder(output)
        self.find_related = related
        remove_leftovers(output)
        self.output = output
        self.temporary = output.with_name(f".{output.name}.tmp-{os.getpid()}")
        self.staging = output.with_name(f".{output.name}.staging.tmp-{os.getpid()}")
        self.checksum = output.with_name(f".{output.name}.sha256.tmp-{os.getpid()}")
        self.related = output.with_name(f".{output.name}.related.tmp-{os.getpid()}")
        self.db = sqlite_utils.Database(str(self.temporary))
        conn = self.db.conn
        # Nothing reads the temporary file before it is complete, so it needs no journal: a
        # failed build is thrown away whole.
        conn.execute("PRAGMA page_size = 16384")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -131072")  # 128 MiB
        self._script("schema.sql")
        conn.create_function("papers_plain_abstract", 1, plain_abstract, deterministic=True)
        conn.create_function("papers_short_name", 1, short_name, deterministic=True)
        conn.create_function("papers_code_links", 1, lambda text: json.dumps(links) if (links := code_links(text)) else None,
                             deterministic=True)
        conn.execute("ATTACH DATABASE ? AS staging", (str(self.staging),))
        conn.execute("PRAGMA staging.journal_mode = OFF")
        conn.execute("CREATE TABLE staging.paper_texts (id INTEGER PRIMARY KEY, title TEXT, abstract TEXT)")

    def __enter__(self) -> "DatabaseWriter":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:
            self.db.close()
            for path in (self.temporary, self.staging, self.related, self.checksum):
                path.unlink(missing_ok=True)

    def _script(self, name: str) -> None:
        self.db.executescript((SQL_DIR / name).read_text(encoding="utf-8"))

    def add(self, rows: FileRows) -> None:
        conn = self.db.conn
        self.db["sources"].insert(rows.source)
        columns = ", ".join(self.LISTING_COLUMNS)
        values = ", ".join(f":{column}" for column in self.LISTING_COLUMNS)
        conn.executemany(f"INSERT INTO listings ({columns}) VALUES ({values})", rows.listings)
        conn.executemany(
            "INSERT INTO staging.paper_texts (id, title, abstract) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET title = coalesce(paper_texts.title, excluded.title), "
            "abstract = coalesce(paper_texts.abstract, excluded.abstract)",
            rows.paper_texts,
        )
        conn.executemany(
            "INSERT INTO parse_issues (id, source_id, line, code, message) "
            "VALUES (:id, :source_id, :line, :code, :message)",
            rows.parse_issues,
        )

    def _add_related_papers(self) -> None:
        conn = self.db.conn
        conn.execute("ATTACH DATABASE ? AS related", (str(self.related),))
        conn.execute("INSERT INTO related_papers SELECT * FROM related.related_papers ORDER BY paper_id, rank")
        conn.commit()
        conn.execute("DETACH DATABASE related")
        self.related.unlink()

    def finish(self, normaliser: Normaliser) -> tuple[int, str]:
        """Build everything that needs all rows; return (number of papers, SHA-256 of the file)."""
        conn = self.db.conn
        self.db["decisions"].insert_all(normaliser.decision_rows())
        self.db["organizations"].insert_all(normaliser.organization_rows())
        if normaliser.title_only:
            titled = conn.execute(
                "SELECT id, title FROM staging.paper_texts WHERE abstract IS NOT NULL AND title IS NOT NULL ORDER BY id"
            )
            for title_only, paper in normaliser.title_only_merges(titled):
                conn.execute("UPDATE listings SET paper_id = ? WHERE paper_id = ?", (paper, title_only))
                conn.execute("DELETE FROM staging.paper_texts WHERE id = ?", (title_only,))
        conn.commit()
        # Related papers take a second core: a worker reads the staged text while this process
        # fills papers and the full-text index.
        with second_process() as worker:
            related = worker.submit(write_related_papers, self.staging, self.related) if self.find_related else None
            self._script("papers.sql")
            conn.execute("DETACH DATABASE staging")
            self._script("fts.sql")
            if related is not None:
                related.result()
                self._add_related_papers()
        self.staging.unlink()
        self._script("indexes.sql")
        self._script("views.sql")
        conn.execute("ANALYZE")
        conn.commit()
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        self.db.close()
        with self.temporary.open("rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()
        self.checksum.write_text(f"{digest}  {self.output.name}\n", encoding="utf-8")
        os.replace(self.temporary, self.output)
        os.replace(self.checksum, self.output.with_name(self.output.name + ".sha256"))
        return papers, digest


def second_process() -> concurrent.futures.ProcessPoolExecutor:
    """One worker process for work that can use the second core. It is spawned, not forked, so
    that it inherits no open SQLite connection or progress-bar thread from this process."""
    return concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def ensure_output_folder(output: Path) -> None:
    """Create the output's folder, or say in one line why the database cannot be written there."""
    folder = output.parent
    blocker = next((p for p in [folder, *folder.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise PapersDbError(f"{blocker}: is a file, not a folder: cannot write {output}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PapersDbError(f"{folder}: cannot create the output folder: {error.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise PapersDbError(f"{folder}: output folder is not writable")
    if output.is_dir():
        raise PapersDbError(f"{output}: is a folder; give the database file's path")


def remove_leftovers(output: Path) -> None:
    """Temporary files of builds that were killed before they could rename into place.

    A temporary file is named after the process writing it; one whose process is still running
    belongs to a concurrent build and is left alone.
    """
    for leftover in output.parent.glob(f".{output.name}*.tmp-*"):
        pid = leftover.name.rsplit("-", 1)[1]
        if not pid.isdigit() or not _process_is_running(int(pid)):
            leftover.unlink(missing_ok=True)


def _process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

app = typer.Typer(
    help="Build and serve papers-db: machine-learning paper listings as one searchable SQLite file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)

PathsArgument = typer.Argument(
    None,
    help="Source files or folders (every file in a folder is read). Default: the bundled sources/.",
    show_default=False,
)


def fail(message: str, status: int = 2) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(status)


@dataclass
class FileSummary:
    name: str
    format: str | None
    lines: int
    records: int
    issues: int
    unaccounted: list[int]


class Reporter:
    """Warnings as files are read (the first few in full), and the per-file summary table."""

    WARNINGS_SHOWN = 20

    def __init__(self) -> None:
        self.files: list[FileSummary] = []
        self.issues = 0

    def add(self, r: SourceReading) -> None:
        reading = r.reading
        self.files.append(FileSummary(r.source.path.name, reading.format, reading.line_count,
                                      len(reading.records), len(reading.issues), reading.unaccounted_lines()))
        for issue in reading.issues:
            self.issues += 1
            if self.issues <= self.WARNINGS_SHOWN:
                where = f"{r.source.path.name}:{issue.line}" if issue.line else r.source.path.name
                console.print(f"[yellow]warning:[/] {where}: {issue.message} [{issue.code}]", highlight=False, soft_wrap=True)

    def finish(self) -> None:
        if self.issues > self.WARNINGS_SHOWN:
            console.print(f"[yellow]warning:[/] ... and {self.issues - self.WARNINGS_SHOWN} more parse issues",
                          highlight=False)

    @property
    def records(self) -> int:
        return sum(file.records for file in self.files)

    def table(self, title: str) -> Table:
        table = Table(title=title, title_justify="left")
        for column in ("file", "format", "lines", "records", "issues", "unaccounted"):
            table.add_column(column, justify="left" if column in ("file", "format") else "right", no_wrap=column == "file")
        for file in self.files:
            unaccounted = str(len(file.unaccounted)) if not file.unaccounted else f"[red]{len(file.unaccounted)}[/]"
            table.add_row(file.name, file.format or "-", str(file.lines), str(file.records), str(file.issues), unaccounted)
        return table


PARALLEL_READING_BYTES = 32 * 1024 * 1024  # below this, starting a second process costs more than it saves


def _each_reading(paths: list[Path] | None) -> Iterator[SourceReading]:
    """Every source's reading, one at a time, with a progress bar. A large corpus is parsed in a
    second process, ahead of the one using the readings (normalising and loading take the other
    core)."""
    sources = find_sources(paths or [DEFAULT_SOURCES])
    if not sources:
        raise PapersDbError(f"no source files in {', '.join(map(str, paths or [DEFAULT_SOURCES]))}")
    parallel = sum(source_size(source) for source in sources) >= PARALLEL_READING_BYTES
    with (second_process() if parallel else contextlib.nullcontext()) as pool, \
            Progress(console=console, transient=True) as progress:
        task = progress.add_task("Reading sources", total=len(sources))
        on_file = lambda s: progress.update(task, description=f"Reading {s.path.name}")
        for r in read_sources(sources, on_file=on_file, pool=pool):
            yield r
            progress.update(task, advance=1)


def source_size(source: SourceFile) -> int:
    """The size of a source's bytes, without reading them (0 if it cannot be found out)."""
    if source.data is not None:
        return len(source.data)
    try:
        return source.path.stat().st_size
    except OSError:
        return 0  # reading it will report why


@app.command()
def build(
    paths: list[Path] = PathsArgument,
    output: Path = typer.Option(DEFAULT_OUTPUT, "--output", "-o", help="Database file to write."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) if any parse issue is found."),
    related: bool = typer.Option(
        True, "--related/--no-related",
        help="Find each paper's related papers (the slowest step on large corpora; "
             "--no-related leaves the related_papers table empty).",
    ),
) -> None:
    """Parse every source file into one SQLite database (default dist/papers.db).

    The file is written beside the target and renamed into place only when complete, so an
    interrupted build never leaves a half-written database. A SHA-256 of the result is written
    to <output>.sha256.
    """
    reporter = Reporter()
    try:
        read_metadata()  # a broken metadata.yml is reported before any work
        with DatabaseWriter(output, related=related) as writer:
            normaliser = Normaliser()
            for r in _each_reading(paths):
                reporter.add(r)
                if not (strict and reporter.issues):  # under --strict, read on only to report
                    writer.add(normaliser.rows_for(r))
            reporter.finish()
            if strict and reporter.issues:
                raise StrictBuildFailed(reporter.issues)
            if not reporter.records:
                raise PapersDbError("no readable listing among the sources: nothing to build")
            with console.status("Building papers, indexes and full-text search"):
                papers, digest = writer.finish(normaliser)
        write_datasette_metadata(output)
    except StrictBuildFailed as failure:
        fail(f"{failure.issues} parse issue(s) and --strict was given: database not written", status=1)
    except PapersDbError as error:
        fail(str(error))
    except OSError as error:
        fail(f"{error.filename or output}: {error.strerror}")
    console.print(reporter.table("Sources read"))
    console.print(
        f"[green]built[/] {output}: {len(reporter.files)} files, {normaliser.listing_count} listings, "
        f"{papers} papers, {normaliser.issue_count} parse issues (sha256 {digest[:12]}…)",
        highlight=False,
        soft_wrap=True,
    )


class StrictBuildFailed(Exception):
    def __init__(self, issues: int):
        self.issues = issues


@app.command()
def check(paths: list[Path] = PathsArgument) -> None:
    """Read and validate sources without writing a database.

    Prints, per file, its lines, records, parse issues and lines accounted for by nothing
    (the goal is none). Exits 1 if any line is unaccounted for.
    """
    reporter = Reporter()
    try:
        for r in _each_reading(paths):
            reporter.add(r)
    except PapersDbError as error:
        fail(str(error))
    reporter.finish()
    console.print(reporter.table("Line accounting"))
    missing = [(file.name, n) for file in reporter.files for n in file.unaccounted]
    for name, number in missing[:20]:
        console.print(f"[red]unaccounted:[/] {name}:{number}", highlight=False)
    if missing:
        raise typer.Exit(1)


EXPORTED_TABLES = ("papers", "listings", "sources", "decisions", "organizations", "code_links", "parse_issues")
PARQUET_BATCH_ROWS = 50_000


def export_parquet_files(database: Path, folder: Path, tables: Iterable[str] = EXPORTED_TABLES) -> list[Path]:
    """Write each table as <folder>/<table>.parquet, in batches so memory stays bounded; each
    file is written beside its target and renamed into place when complete."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise PapersDbError("Parquet export needs pyarrow: pip install -e '.[parquet]'") from None
    if not database.is_file():
        raise PapersDbError(f"{database}: no database here; run `python build_db.py build` first")
    ensure_output_folder(folder / "x.parquet")
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    written = []
    try:
        for table in tables:
            columns = conn.execute(f"PRAGMA table_info([{table}])").fetchall()
            schema = pa.schema(
                [(name, pa.int64() if declared.upper() == "INTEGER" else pa.string()) for _, name, declared, *_ in columns]
            )
            target = folder / f"{table}.parquet"
            temporary = folder / f".{table}.parquet.tmp-{os.getpid()}"
            cursor = conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid")
            try:
                with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
                    while rows := cursor.fetchmany(PARQUET_BATCH_ROWS):
                        writer.write_batch(pa.RecordBatch.from_arrays(
                            [pa.array(column, type=field.type) for column, field in zip(zip(*rows), schema)], schema=schema))
                os.replace(temporary, target)
            finally:
                temporary.unlink(missing_ok=True)
            written.append(target)
    finally:
        conn.close()
    return written


def inspect_file_for(database: Path) -> Path:
    return database.with_name(database.stem + "-inspect.json")


def metadata_file_for(database: Path) -> Path:
    return database.with_name(database.stem + "-metadata.json")


def read_metadata() -> tuple[dict, dict]:
    """metadata.yml as Datasette 0.65 wants it (its configuration block merged into the
    descriptive one), and the Datasette settings the configuration block names."""
    try:
        document = yaml.safe_load(METADATA_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PapersDbError(f"{METADATA_FILE}: not readable YAML: {' '.join(str(error).split())}") from None
    configuration = dict(document.pop("configuration", None) or {})
    settings = configuration.pop("settings", None) or {}
    return deep_merge(document, configuration), settings


def deep_merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def write_datasette_metadata(database: Path) -> Path:
    """The merged metadata Datasette 0.65 reads, beside the database (also for `datasette publish`)."""
    metadata, _ = read_metadata()
    path = metadata_file_for(database)
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def prepare_serving(database: Path) -> None:
    """Write what Datasette reads beside the database: the inspect file and merged metadata."""
    write_datasette_metadata(database)
    inspect_file = inspect_file_for(database)
    if not inspect_file.is_file() or inspect_file.stat().st_mtime < database.stat().st_mtime:
        # Table counts and hash, so that an immutable database is never counted at request time.
        subprocess.run(
            [sys.executable, "-m", "datasette", "inspect", str(database), "--inspect-file", str(inspect_file)],
            check=True,
        )


def datasette_serve_args(database: Path, port: int = 8001) -> list[str]:
    """Arguments to `datasette` that serve the file as `serve` does: immutable, read-only, local."""
    _, settings = read_metadata()
    args = [
        "serve", "-i", str(database),
        "--inspect-file", str(inspect_file_for(database)),
        "--metadata", str(metadata_file_for(database)),
        "--plugins-dir", str(PLUGINS_DIR),
        "--template-dir", str(TEMPLATES_DIR),
        "--host", "127.0.0.1",
        "--port", str(port),
    ]
    for name, value in settings.items():
        args += ["--setting", name, str(value)]
    return args


@app.command()
def serve(
    database: Path = typer.Option(DEFAULT_OUTPUT, "--db", help="Database file to serve."),
    port: int = typer.Option(8001, "--port", "-p", help="Port to listen on (127.0.0.1 only)."),
) -> None:
    """Serve the database read-only in Datasette on http://127.0.0.1:PORT/.

    The file is opened immutable (-i) with an inspect file, so Datasette never writes to it and
    offers it for download; metadata.yml supplies descriptions, queries and facets.
    """
    if not database.is_file():
        fail(f"{database}: no database here; run `python build_db.py build` first")
    if database.stem != DEFAULT_OUTPUT.stem:
        # Datasette names a database after its file, and metadata.yml describes one named "papers".
        fail(f"{database}: Datasette would call this database {database.stem!r}, which metadata.yml does not "
             f"describe; serve a file named {DEFAULT_OUTPUT.name} (build it with --output DIR/{DEFAULT_OUTPUT.name})")
    try:
        prepare_serving(database)
    except PapersDbError as error:
        fail(str(error))
    command = [sys.executable, "-m", "datasette", *datasette_serve_args(database, port)]
    console.print(f"Serving {database} at http://127.0.0.1:{port}/ (Ctrl+C to stop)", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the Datasette process, so that Ctrl+C and kill reach the server itself.
    os.execv(sys.executable, command)


@app.command("export-parquet")
def export_parquet(
    database: Path = typer.Option(DEFAULT_OUTPUT, "--db", help="Database file to export."),
    folder: Path = typer.Option(DEFAULT_OUTPUT.parent / "parquet", "--output", "-o", help="Folder for the .parquet files."),
) -> None:
    """Export the main tables as Parquet files, one per table (needs the `parquet` extra).

    papers, listings, sources, decisions, organizations, code_links and parse_issues are written
    as <folder>/<table>.parquet, compressed with zstd, with the database's column names.
    """
    try:
        written = export_parquet_files(database, folder)
    except PapersDbError as error:
        fail(str(error))
    for path in written:
        console.print(f"wrote {path} ({path.stat().st_size:,} bytes)", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
