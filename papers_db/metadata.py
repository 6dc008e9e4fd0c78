"""metadata.yml: what Datasette shows about the data and the settings `serve` passes to it; and the
inspect file, what Datasette would otherwise count and hash in the database when it starts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from . import resources
from .errors import USAGE, PapersDbError


def read_metadata() -> tuple[dict, dict]:
    """metadata.yml as Datasette 0.65 reads it, and the Datasette settings its `settings:` block names
    (a key Datasette 0.65 ignores in metadata, so `serve` passes them as --setting flags)."""
    path = resources.metadata_yml()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PapersDbError(f"{path}: not readable YAML: {' '.join(str(error).split())}", USAGE) from None
    if not isinstance(document, dict):
        raise PapersDbError(f"{path}: expected a mapping of Datasette metadata at the top", USAGE)
    settings = document.pop("settings", None) or {}
    return document, settings


def inspect_file_for(database: Path) -> Path:
    return database.with_name(database.stem + "-inspect.json")


def inspect_text(database: Path, written: Path, sha256: str, table_counts: dict[str, int]) -> str:
    """What `datasette inspect` would write for `database` (its file now at `written`), from what
    the build already knows: each table's row count and the file's hash and size, so that serving
    never counts or hashes the immutable file; and a sample of its bytes, which tells whether a
    database file is the one described."""
    inspect = {database.stem: {
        "hash": sha256,
        "size": written.stat().st_size,
        "sample_sha256": sample_digest(written),
        "file": database.name,
        "tables": {name: {"count": count} for name, count in sorted(table_counts.items())},
    }}
    return json.dumps(inspect, indent=2) + "\n"


SAMPLE_BYTES = 65_536  # from each end of the file: its schema and its last pages differ between any two builds


def sample_digest(database: Path) -> str:
    """SHA-256 of the first and last SAMPLE_BYTES of a file: cheap at any size (hashing a 1 GB
    database whole takes seconds), and enough to tell one build's file from another's."""
    with database.open("rb") as file:
        head = file.read(SAMPLE_BYTES)
        file.seek(max(0, database.stat().st_size - SAMPLE_BYTES))
        return hashlib.sha256(head + file.read(SAMPLE_BYTES)).hexdigest()
