"""Derive: what each record of a file gives beyond its reading, normalising's keys and the
enrichment, all pure per-record work. A large corpus has it done in the reading processes
(pipeline.each_reading), beside the parse, which import this module and what it needs alone:
not the loading, whose imports (sqlite-utils) took each reading process 0.1 s of its start."""

from __future__ import annotations

from dataclasses import dataclass

from .enrich import record_enrichment
from .normalise import RecordKeys, record_keys
from .records import Reading
from .sources import SourceFile, read_source


@dataclass
class Derived:
    """What a file's records give beyond the reading: normalising's keys and the enrichment."""

    keys: RecordKeys
    enrichment: list[tuple[str | None, str | None, str | None]]


def derive(reading: Reading) -> Derived:
    return Derived(record_keys(reading), [record_enrichment(record.title, record.abstract) for record in reading.records])


def read_and_derive(source: SourceFile, data: bytes) -> tuple[Reading, Derived]:
    """A file's reading and what its records give: the pure per-record work, which a large
    corpus has done in the reading processes, beside the parse."""
    reading = read_source(source, data)
    return reading, derive(reading)
