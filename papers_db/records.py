"""The small records passed from step to step: what a reader found, and the rows a file gives."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class FileRows:
    """The rows one source file contributes. Listings carry their record's identity id (`node`)
    and text; the build places them in papers once every file is read."""

    source: dict
    listings: list[dict]
    parse_issues: list[dict]
