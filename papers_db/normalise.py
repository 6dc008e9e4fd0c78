"""Normalise: each file's reading becomes rows, with paper ids that do not depend on reading order."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from .decisions import decision_precedence, normalise_decision
from .errors import BAD_INPUT, PapersDbError
from .records import FileRows, Record
from .resolve import Resolver, title_key
from .sources import SourceReading


def squash(text: str) -> str:
    """The comparison form of a title or abstract: NFKC, case-folded, single spaces."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.casefold().split())


def identity_digest(identity: str) -> bytes:
    return hashlib.sha256(identity.encode("utf-8")).digest()


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
        self.organizations: dict[str, dict] = {}  # handle -> row
        self.identity_checks: dict[int, int] = {}  # paper id -> 64 more bits of its identity hash
        self.resolver = Resolver()  # what entity resolution needs of each record: keys, never text
        self.listing_count = 0
        self.issue_count = 0

    def rows_for(self, r: SourceReading) -> FileRows:
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
        listings, titles, new_abstracts, new_title_only = [], [], [], []
        for position, record in enumerate(r.reading.records, start=1):
            identity = paper_identity(record)
            node, new = self._paper_id(identity)
            self.listing_count += 1
            if new and record.abstract:
                new_abstracts.append((node, self.listing_count, identity.removeprefix("abstract:")))
            elif new:
                new_title_only.append(node)
            if (key := title_key(record.title)) is not None:
                titles.append((key, node))
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
                    # whitespace and case folded, so a copy with extra spaces is not "longer"
                    "abstract_length": len(identity) - len("abstract:") if record.abstract else None,
                    "title": record.title,
                    "abstract": record.abstract,
                }
            )
        self.resolver.add_file(titles, new_abstracts, new_title_only)
        issues = []
        for issue in r.reading.issues:
            self.issue_count += 1
            issues.append({"id": self.issue_count, "source_id": source_id, "line": issue.line,
                           "code": issue.code, "message": issue.message})
        return FileRows(source, listings, issues)

    def _paper_id(self, identity: str) -> tuple[int, bool]:
        """A stable id from a record's identity, and whether it is new to this build: 53 bits of
        its SHA-256, so that it is exact in JavaScript too; the next 64 bits catch two identities
        sharing an id."""
        digest = identity_digest(identity)
        number = int.from_bytes(digest[:8], "big") >> 11
        check = int.from_bytes(digest[8:16], "big")
        new = number not in self.identity_checks
        if self.identity_checks.setdefault(number, check) != check:
            raise PapersDbError(f"two different papers share the id {number}; the second is {identity[:80]!r}",
                                BAD_INPUT)
        return number, new

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

    def ambiguous_title_issues(self, listings: list[tuple[int, int]]) -> list[dict]:
        """parse_issues rows for the (source id, line) of each title-only listing that resolution,
        once every file was read, found two or more papers to share the title of."""
        rows = []
        for source_id, line in listings:
            self.issue_count += 1
            rows.append({"id": self.issue_count, "source_id": source_id, "line": line, "code": "ambiguous_title",
                         "message": "title with no abstract matches two or more papers: kept as a paper of its own"})
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
