"""The files the package ships beside its code that the build and `serve` read: the `sql/` scripts
and metadata.yml. They are read through importlib.resources, so a wheel installed anywhere finds them;
in the checkout, `papers_db/sql` and `papers_db/metadata.yml` are links to the top-level files."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = files("papers_db")


def sql_script(name: str) -> str:
    """The text of one of the `sql/` scripts."""
    return (PACKAGE / "sql" / name).read_text(encoding="utf-8")


def metadata_yml() -> Path:
    """metadata.yml: titles, descriptions and Datasette configuration."""
    return Path(str(PACKAGE / "metadata.yml"))

