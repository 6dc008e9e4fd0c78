"""metadata.yml: what Datasette shows about the data, and the settings `serve` passes to it."""

from __future__ import annotations

import yaml

from . import resources
from .errors import USAGE, PapersDbError

# libyaml's loader where PyYAML was built with it: the same document in 2.5-5 ms instead of 45-63,
# which every build and every server start spent before anything else.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_metadata() -> tuple[dict, dict]:
    """metadata.yml as Datasette 0.65 reads it, and the Datasette settings its `settings:` block names
    (a key Datasette 0.65 ignores in metadata, so `serve` passes them as --setting flags)."""
    path = resources.metadata_yml()
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PapersDbError(f"{path}: not readable YAML: {' '.join(str(error).split())}", USAGE) from None
    if not isinstance(document, dict):
        raise PapersDbError(f"{path}: expected a mapping of Datasette metadata at the top", USAGE)
    settings = document.pop("settings", None) or {}
    return document, settings
