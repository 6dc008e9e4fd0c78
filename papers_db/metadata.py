"""metadata.yml: what Datasette shows about the data and the settings `serve` passes to it; and the
inspect file, what Datasette would otherwise count and hash in the database when it starts."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from . import resources
from .errors import PapersDbError


def read_metadata() -> tuple[dict, dict]:
    """metadata.yml as Datasette 0.65 reads it, and the Datasette settings its `settings:` block names
    (a key Datasette 0.65 ignores in metadata, so `serve` passes them as --setting flags)."""
    path = resources.metadata_yml()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PapersDbError(f"{path}: not readable YAML: {' '.join(str(error).split())}") from None
    if not isinstance(document, dict):
        raise PapersDbError(f"{path}: expected a mapping of Datasette metadata at the top")
    settings = document.pop("settings", None) or {}
    return document, settings


def inspect_file_for(database: Path) -> Path:
    return database.with_name(database.stem + "-inspect.json")


def inspect_text(database: Path, size: int, sha256: str, table_counts: dict[str, int]) -> str:
    """What `datasette inspect` would write for the database file, from what the build already
    knows: each table's row count and the file's hash and size, so that serving never counts or
    hashes the immutable file."""
    inspect = {database.stem: {
        "hash": sha256,
        "size": size,
        "file": database.name,
        "tables": {name: {"count": count} for name, count in sorted(table_counts.items())},
    }}
    return json.dumps(inspect, indent=2) + "\n"
