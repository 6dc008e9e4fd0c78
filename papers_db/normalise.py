"""Normalise: each file's reading becomes rows, with paper ids that do not depend on reading order."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy

from .decisions import decision_precedence, normalise_decision
from .errors import BAD_INPUT, PapersDbError
from .readers.text import printable_single_spaced, quoted, single_spaced
from .records import FileRows, Reading, Record
from .resolve import Resolver, batched_band_hashes, title_key, title_numbers
from .sources import SourceReading


def squash(text: str) -> str:
    """The comparison form of a title or abstract: NFKC, case-folded, invisible characters
    (INVISIBLE) dropped, single spaces."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    folded = text.casefold()
    if folded.isprintable():  # none of INVISIBLE is printable; nearly every abstract is
        return printable_single_spaced(folded)
    return single_spaced(INVISIBLE.sub("", folded))


# Characters that show nothing but split words: a soft hyphen (a copy from a PDF holds them where
# lines were hyphenated), zero-width spaces and joiners, direction marks and a byte order mark
# inside a text (`cat` of two files). NFKC keeps them, and one abstract copied with them and once
# without was two papers of one title.
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def identity_digest(identity: str) -> bytes:
    return hashlib.sha256(identity.encode("utf-8")).digest()


def identity_numbers(identity: str) -> tuple[int, int]:
    """A record's own id from its identity, 53 bits of its SHA-256 so that it is exact in
    JavaScript too; and the next 64 bits, which catch two identities sharing an id."""
    digest = identity_digest(identity)
    return int.from_bytes(digest[:8], "big") >> 11, int.from_bytes(digest[8:16], "big")


@dataclass
class RecordKeys:
    """What normalising needs of each record of a file, in record order: its own id (node) and
    check bits, its folded abstract's length, its title key, and, for each node with an abstract
    (`band_nodes`, in order), its row of `bands`: the band hashes resolution finds near-identical
    abstracts by. Computed where the file was read (in the reading process, for a large corpus),
    so the text is folded and hashed on that core. The bands are one array, not one per node: a
    reading process hands them over pickled, and 2,000 arrays of their own took 10 ms a file to
    pickle and unpickle against 0.2 ms as one."""

    nodes: list[int]
    checks: list[int]
    abstract_lengths: list[int | None]
    title_keys: list[int | None]
    band_nodes: list[int]
    bands: numpy.ndarray  # (len(band_nodes), BANDS) uint32
    title_numbers: list[tuple[int, ...]]  # resolve.title_numbers of each record's title


def record_keys(reading: Reading) -> RecordKeys:
    nodes, checks, abstract_lengths, title_keys, numbers = [], [], [], [], []
    abstracts: dict[int, str] = {}
    for record in reading.records:
        identity = paper_identity(record)
        node, check = identity_numbers(identity)
        nodes.append(node)
        checks.append(check)
        if record.abstract:
            abstracts[node] = identity.removeprefix("abstract:")
        # whitespace and case folded, so a copy with extra spaces is not "longer"
        abstract_lengths.append(len(abstracts[node]) if record.abstract else None)
        title_keys.append(title_key(record.title))
        numbers.append(title_numbers(record.title))
    band_nodes = list(abstracts)
    bands = batched_band_hashes(list(abstracts.values()), band_nodes)
    return RecordKeys(nodes, checks, abstract_lengths, title_keys, band_nodes, bands, numbers)


TITLE_QUOTED = 80  # characters of a title a resolution issue quotes: two of them share its message


def paper_identity(record: Record) -> str:
    """A record's own identity: its abstract, or its title when it has no abstract. Records of
    one identity are always one paper; resolve.py says which identities are one paper too."""
    if record.abstract:
        return "abstract:" + squash(record.abstract)
    return "title:" + squash(record.title or "")


class Normaliser:
    """Turns readings into rows one file at a time, keeping in memory only what stable ids and
    lookups need (never a paper's text): one small number per paper, decisions, organisations."""

    def __init__(self) -> None:
        self.source_ids: dict[Path, int] = {}  # file path -> source id (two folders may hold one name)
        self.decision_ids: dict[str, int] = {}  # label -> id, in order of first appearance
        self.organizations: dict[tuple[str, str], dict] = {}  # (handle, name) -> row
        self.identity_checks: dict[int, int] | None = {}  # paper id -> 64 more bits of its identity hash
        self.resolver = Resolver()  # what entity resolution needs of each record: keys, never text
        self.listing_count = 0
        self.issue_count = 0

    def rows_for(self, r: SourceReading, keys: RecordKeys, enrichment: list[tuple]) -> FileRows:
        """A file's rows. `keys` (record_keys) and `enrichment` (enrich.record_enrichment, per
        record) are computed beside the reading, in the reading process for a large corpus."""
        source_id = len(self.source_ids) + 1
        self.source_ids[r.source.path] = source_id
        original = r.duplicate_of
        source = {
            "id": source_id,
            "file_name": r.source.name,
            "sha256": r.source.sha256,
            "format": r.reading.format,
            "snapshot_date": r.source.snapshot_date,
            "page_date": r.reading.page_date,
            "description": r.source.description,
            "bytes": r.size,
            "lines": r.reading.line_count,
            "duplicate_of": self.source_ids[original.path] if original else None,
        }
        listings, titles, new_abstracts, new_band_rows, new_title_only, numbered, new_untitled = [], [], [], [], [], [], []
        band_row = {node: row for row, node in enumerate(keys.band_nodes)}
        for position, (record, node, check, abstract_length, title, numbers, (abstract_text, name, links)) in enumerate(
                zip(r.reading.records, keys.nodes, keys.checks, keys.abstract_lengths, keys.title_keys, keys.title_numbers,
                    enrichment, strict=True), start=1):
            new = self._is_new(node, check, record)
            self.listing_count += 1
            if new and record.abstract:
                new_abstracts.append((node, self.listing_count))
                new_band_rows.append(band_row[node])
                if title is None:
                    new_untitled.append(node)
            elif new:
                new_title_only.append(node)
            if title is not None:
                titles.append((title, node))
                numbered.append((node, numbers))
            listings.append(
                {
                    "id": self.listing_count,
                    "node": node,
                    "founds": int(new),
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
                    "has_title": int(record.title is not None),
                    "abstract_length": abstract_length,
                    "abstract_text": abstract_text,
                    "short_name": name,
                    "code_links": links,
                    "title": record.title,
                    "abstract": record.abstract,
                }
            )
        bands = keys.bands[new_band_rows]  # (0, BANDS) for none
        self.resolver.add_file(titles, new_abstracts, bands, new_title_only, numbered, new_untitled)
        issues = []
        for issue in r.reading.issues:
            self.issue_count += 1
            issues.append({"id": self.issue_count, "source_id": source_id, "line": issue.line,
                           "code": issue.code, "message": issue.message})
        return FileRows(source, listings, issues)

    def reading_done(self) -> None:
        """Drop what only reading needs: the identity check of every record (1,035,000 at 1M
        papers, about 40 MiB), held otherwise while the rest of the build runs beside its helpers."""
        self.identity_checks = None  # reading a file after this fails loudly, never counts every identity as new

    def _is_new(self, node: int, check: int, record: Record) -> bool:
        """Whether a record's identity is new to this build; the 64 more bits of its SHA-256 catch
        two identities sharing an id."""
        new = node not in self.identity_checks
        if self.identity_checks.setdefault(node, check) != check:
            raise PapersDbError(f"two different papers share the id {node}; the second is {paper_identity(record)[:80]!r}",
                                BAD_INPUT)
        return new

    def _decision_id(self, label: str | None) -> int | None:
        if label is None:
            return None
        return self.decision_ids.setdefault(label, len(self.decision_ids) + 1)

    def _organization_id(self, organization: tuple[str, str] | None) -> int | None:
        if organization is None:
            return None
        handle, name = organization  # keyed by both: a name a page gave is never replaced by another's
        row = self.organizations.setdefault(organization, {"id": len(self.organizations) + 1, "handle": handle, "name": name})
        return row["id"]

    def ambiguous_title_issues(self, listings: list[tuple[int, int, str]]) -> list[dict]:
        """parse_issues rows for the (source id, line, title) of each title-only listing that
        resolution, once every file was read, found two or more papers to share the title of."""
        rows = []
        for source_id, line, title in listings:
            self.issue_count += 1
            rows.append({"id": self.issue_count, "source_id": source_id, "line": line, "code": "ambiguous_title",
                         "message": f"title {quoted(title, TITLE_QUOTED)} with no abstract matches two or more papers: "
                                    "kept as a paper of its own"})
        return rows

    def retitled_issues(self, listings: list[tuple[int, int, str, str, int, str]]) -> list[dict]:
        """parse_issues rows for each listing whose abstract an earlier listing gave under another
        title (load.retitled_listings): one paper by its abstract, which the issue lets a reader
        check, as a placeholder abstract two papers share would be merged too."""
        rows = []
        for source_id, line, title, first_file, first_line, first_title in listings:
            self.issue_count += 1
            rows.append({"id": self.issue_count, "source_id": source_id, "line": line, "code": "same_abstract_other_title",
                         "message": f"title {quoted(title, TITLE_QUOTED)} over the same abstract as {first_file} line {first_line}, "
                                    f"titled {quoted(first_title, TITLE_QUOTED)}: read as one paper (were the abstract a placeholder "
                                    "two papers share, they would be two)"})
        return rows

    def decision_rows(self) -> list[dict]:
        rows = []
        for label, number in self.decision_ids.items():
            outcome, tier = normalise_decision(label)
            rows.append({"id": number, "label": label, "outcome": outcome, "tier": tier,
                         "precedence": decision_precedence(outcome, tier)})
        return rows

    def organization_rows(self) -> list[dict]:
        return list(self.organizations.values())
