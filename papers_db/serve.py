"""Serve: the arguments and files Datasette needs to serve a built database read-only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .database import check_built_database
from .errors import BAD_INPUT, PapersDbError
from .metadata import metadata_file_for, read_metadata, write_datasette_metadata


def inspect_file_for(database: Path) -> Path:
    return database.with_name(database.stem + "-inspect.json")


def prepare_serving(database: Path) -> None:
    """Write what Datasette reads beside the database: the inspect file and merged metadata."""
    check_built_database(database)
    write_datasette_metadata(database)
    inspect_file = inspect_file_for(database)
    if not inspect_file.is_file() or inspect_file.stat().st_mtime < database.stat().st_mtime:
        # Table counts and hash, so that an immutable database is never counted at request time.
        inspected = subprocess.run(
            [sys.executable, "-m", "datasette", "inspect", str(database), "--inspect-file", str(inspect_file)],
            capture_output=True, text=True,
        )
        if inspected.returncode != 0:
            last_line = (inspected.stderr.strip().splitlines() or ["no message"])[-1]
            raise PapersDbError(f"{database}: Datasette cannot read it ({last_line}); rebuild it with `papers-db build`",
                                BAD_INPUT)


def datasette_serve_args(database: Path, port: int = 8001) -> list[str]:
    """Arguments to `datasette` that serve the file as `serve` does: immutable, read-only, local.

    The plugin and its templates need no argument: the installed package registers them with
    Datasette (the `datasette` entry point in pyproject.toml)."""
    _, settings = read_metadata()
    args = [
        "serve", "-i", str(database),
        "--inspect-file", str(inspect_file_for(database)),
        "--metadata", str(metadata_file_for(database)),
        "--host", "127.0.0.1",
        "--port", str(port),
    ]
    for name, value in settings.items():
        args += ["--setting", name, str(value)]
    return args
