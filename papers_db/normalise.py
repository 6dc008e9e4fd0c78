"""Normalise: each file's reading becomes rows, with paper ids that do not depend on reading order."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable

from .decisions import decision_precedence, normalise_decision
from .errors import PapersDbError
from .records import FileRows, Record
from .sources import SourceReading


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
        self.source_ids.setdefault((r.source.name, r.source.sha256), source_id)
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
            "duplicate_of": self.source_ids[(original.name, original.sha256)] if original else None,
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
