"""metadata.yml as Datasette 0.65 reads it, and the merged JSON copy written beside a database."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from . import resources
from .errors import PapersDbError


def metadata_file_for(database: Path) -> Path:
    return database.with_name(database.stem + "-metadata.json")


def read_metadata() -> tuple[dict, dict]:
    """metadata.yml as Datasette 0.65 wants it (its configuration block merged into the
    descriptive one), and the Datasette settings the configuration block names."""
    path = resources.metadata_yml()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PapersDbError(f"{path}: not readable YAML: {' '.join(str(error).split())}") from None
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


def datasette_metadata_text() -> str:
    """The merged metadata Datasette 0.65 reads, as JSON."""
    metadata, _ = read_metadata()
    return json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"


def write_datasette_metadata(database: Path) -> Path:
    """The merged metadata beside the database (also for `datasette publish`)."""
    path = metadata_file_for(database)
    path.write_text(datasette_metadata_text(), encoding="utf-8")
    return path
