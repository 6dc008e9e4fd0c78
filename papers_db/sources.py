"""Find source files, read their manifest, detect each file's format, and read it with its reader."""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import hashlib
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import PapersDbError
from .readers.hf_daily import DATE_SEPARATOR, HF_DAILY_PAPERS, read_hf_daily_page
from .readers.review_listing import REVIEW_LISTING, read_review_listing
from .readers.text import decode_source, looks_like_abstract, text_lines
from .records import ParseIssue, Reading

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


def _source_reading(source, size, duplicate_of, reading: Reading | concurrent.futures.Future) -> SourceReading:
    if isinstance(reading, concurrent.futures.Future):
        reading = reading.result()
    return SourceReading(source, reading, size, duplicate_of=duplicate_of)


def source_size(source: SourceFile) -> int:
    """The size of a source's bytes, without reading them (0 if it cannot be found out)."""
    if source.data is not None:
        return len(source.data)
    try:
        return source.path.stat().st_size
    except OSError:
        return 0  # reading it will report why
