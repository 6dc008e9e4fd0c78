"""A built database given to `serve` or `export-parquet`: refused in one line when it is not one."""

from __future__ import annotations

import re
import shlex
import sqlite3
import stat
from pathlib import Path

from . import resources
from .errors import BAD_INPUT, USAGE, PapersDbError

SQLITE_HEADER = b"SQLite format 3\x00"
APPLICATION_ID = 1885433970  # "papr", as sql/schema.sql sets it: bytes 68-71 of the file's header


def what_else_the_file_is(path: Path) -> str | None:
    """Why an existing file at `path` is no papers-db database a build may replace, or None where
    it is one (or is empty). `build --output notes.txt` replaced the notes with a database."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        return f"it cannot be read: {error.strerror}"
    if not header:
        return None
    if not header.startswith(SQLITE_HEADER):
        return "it is no SQLite database"
    application = int.from_bytes(header[68:72], "big") if len(header) >= 72 else None
    if application == APPLICATION_ID or (application == 0 and _has_papers_db_columns(path)):
        return None  # an earlier build: before the schema had numbers, its application_id was 0
    return "it is an SQLite database of another application"


REQUIRED_TABLES = ("papers", "listings", "sources")


# Columns every build has written, which tell a papers-db file from another tool's tables of the
# same names ("papers", "listings", "sources" are common words).
EARLIEST_COLUMNS = {"papers": {"id", "title", "abstract"}, "listings": {"paper_id", "source_id", "line"},
                    "sources": {"file_name", "sha256"}}


def _has_papers_db_columns(database: Path) -> bool:
    try:
        conn = open_read_only(database)
        try:
            return all(columns <= {column for (_, column, *_) in conn.execute(f"PRAGMA table_info([{table}])")}
                       for table, columns in EARLIEST_COLUMNS.items())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def check_built_database(database: Path | str) -> None:
    """A papers-db database is there: a file, SQLite, readable, with the tables a build writes.
    An empty path is refused: Path("") is ".", which `--db "$DB"` with $DB unset gave.

    Reading its schema reads its first pages, which catches a truncated or overwritten file;
    damage deeper in is met (and reported) when a page is read."""
    if str(database) == "":
        raise PapersDbError("the database path is empty, which names no file; give the database file's path", USAGE)
    database = Path(database)
    try:
        found = database.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise PapersDbError(f"{database}: no database here; run `papers-db build` first", USAGE) from None
    except OSError as error:  # a name over the system's limit, a loop of links: Path.is_file() raised for the first
        raise PapersDbError(f"{database}: cannot be read: {error.strerror}", USAGE) from None
    if stat.S_ISDIR(found.st_mode):  # `--db dist`, or a folder named papers.db: a build would not help
        raise PapersDbError(f"{database}: is a folder; give the database file's path", USAGE)
    if not stat.S_ISREG(found.st_mode):  # a FIFO was told "no database here; run `papers-db build` first" (found by review)
        raise PapersDbError(f"{database}: is not a regular file (a pipe, device or socket); give the database file's path", USAGE)
    try:
        with database.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise PapersDbError(f"{database}: cannot be read: {error.strerror}", USAGE) from None
    if header != SQLITE_HEADER:
        raise PapersDbError(f"{database}: not an SQLite database; build one with `papers-db build`", BAD_INPUT)
    try:
        conn = open_read_only(database)
        try:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            (application, version), = conn.execute("SELECT * FROM pragma_application_id, pragma_user_version")
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise damaged(database, error) from None
    missing = [table for table in REQUIRED_TABLES if table not in tables]
    if missing:
        raise PapersDbError(f"{database}: SQLite, but not a papers-db database (no {', '.join(missing)} table); "
                            "build one with `papers-db build`", BAD_INPUT)
    # Tables named papers, listings and sources are common: another tool's file was served, each page a 400.
    if application != APPLICATION_ID:
        raise PapersDbError(f"{database}: SQLite, but not a papers-db database (application_id {application}, not "
                            f"{APPLICATION_ID}); build one with `papers-db build`", BAD_INPUT)
    if version != schema_version():
        # An older build, served with this metadata.yml, describes columns it does not have.
        raise PapersDbError(f"{database}: a papers-db database of schema version {version}, and this papers-db reads "
                            f"version {schema_version()}; rebuild it with `papers-db build`", BAD_INPUT)


def damaged(database: Path | str, error: sqlite3.DatabaseError) -> PapersDbError:
    """The one line for a database SQLite finds damaged, wherever it is met. A file left with a
    change unfinished (its journal beside it, a process killed mid-write: SQLite rolls it back
    when it next opens the file for writing, which a read-only reader cannot) is not damaged, and
    was told so (review)."""
    if "readonly database" in str(error) and Path(f"{database}-journal").exists():
        return PapersDbError(f"{database}: a change to it was left unfinished ({Path(database).name}-journal is beside it), "
                             "which a read-only reader cannot roll back; open it once for writing (sqlite3 "
                             f"{shlex.quote(str(database))} 'pragma user_version') to roll it back, or rebuild it with "
                             "`papers-db build`", BAD_INPUT)
    return PapersDbError(f"{database}: damaged SQLite database ({error}); rebuild it with `papers-db build`", BAD_INPUT)


def row_counts(conn: sqlite3.Connection, kind: str) -> dict[str, int]:
    """The row count of each table or each view (`kind`), by name."""
    names = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))]
    return {name: conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0] for name in names}


def count_as_datasette_will(database: Path) -> None:
    """Where no inspect file describes the database, Datasette counts every table's rows as it
    starts: counted here first, so that a damaged file is refused in one line (exit status 1)
    before the server starts. A file damaged past its first pages passed the check, and the
    server printed 64 lines of traceback and exited 3, or, with several workers, served a 500 to
    every request (found by review). The file's pages are then in the system's cache for
    Datasette's own count."""
    try:
        conn = open_read_only(database)
        try:
            row_counts(conn, "table")
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise damaged(database, error) from None


def schema_version() -> int:
    """The schema version builds write (sql/schema.sql's `PRAGMA user_version`)."""
    return int(re.search(r"PRAGMA user_version = (\d+);", resources.sql_script("schema.sql"))[1])


def read_only_uri(database: Path) -> str:
    """An SQLite URI opening `database` read-only; as_uri escapes a `?` or `#` in its path, which
    SQLite would otherwise take for the start of the URI's options."""
    return database.resolve().as_uri() + "?mode=ro"


def open_read_only(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(database), uri=True)
