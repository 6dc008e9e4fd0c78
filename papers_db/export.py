"""Export every table and view of the built database as Parquet, CSV or JSON Lines, with real types."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .database import check_built_database, damaged, open_read_only
from .errors import (
    SYSTEM,
    USAGE,
    Interrupted,
    PapersDbError,
    callers_callback,
    path_argument,
    progress_argument,
    raising_callers_errors_as_they_were,
    signals_held,
)
from .load import (
    done_with_temporaries,
    ensure_folder,
    refuse_special_file,
    remove_empty_folders,
    remove_leftovers,
    replace_all,
    temporary_file,
    using_temporaries,
)

FORMATS = {"parquet": ".parquet", "csv": ".csv", "json": ".jsonl"}
FORMAT_NAMES = {**{name: name for name in FORMATS}, "jsonl": "json"}  # as a library caller may write them, folded
BATCH_ROWS = 50_000  # rows held in memory at once, per file
# Columns the build writes as ISO YYYY-MM-DD text (metadata.yml says so of each); exported as dates.
DATE_COLUMNS = {"first_published_on", "published_on", "last_published_on", "snapshot_date"}
# Columns holding a JSON array of strings (related_papers.shared_terms, the views' sources).
LIST_COLUMNS = {"shared_terms", "sources"}
DECLARED_KINDS = {"INTEGER": "integer", "REAL": "real", "TEXT": "text"}


@dataclass
class Column:
    name: str
    kind: str  # integer, real, text, date or list


def exported_names(conn: sqlite3.Connection) -> list[str]:
    """Every table and view a user queries: all but SQLite's own and the full-text index's."""
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'papers_fts%' ORDER BY type, name")]


def columns_of(conn: sqlite3.Connection, name: str) -> list[Column]:
    """The columns of a table or view (generated ones included) and the type each is exported as."""
    columns = []
    for _, column, declared, *_, hidden in conn.execute(f"PRAGMA table_xinfo([{name}])"):
        if hidden == 1:  # a virtual table's hidden column
            continue
        if column in DATE_COLUMNS:
            kind = "date"
        elif column in LIST_COLUMNS:
            kind = "list"
        else:
            # A view's computed column declares no type: the first value it holds tells.
            kind = DECLARED_KINDS.get(declared.upper()) or untyped_column_kind(conn, name, column)
        columns.append(Column(column, kind))
    return columns


def untyped_column_kind(conn: sqlite3.Connection, name: str, column: str) -> str:
    """A column declared without a type: text where a table's column holds values of several
    types (facet_counts.value holds each counted column's values, numbers and text), else the
    type of its first value. A view's column is judged by its first value alone: checking them
    all would compute every row of the view."""
    is_table = conn.execute("SELECT type = 'table' FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    types = conn.execute(f"SELECT DISTINCT typeof([{column}]) FROM [{name}] WHERE [{column}] IS NOT NULL LIMIT ?",
                         (2 if is_table else 1,)).fetchall()
    return types[0][0] if len(types) == 1 and types[0][0] in ("integer", "real") else "text"


def converter(kind: str) -> Callable | None:
    """How a column's non-NULL values become its exported type (dates as dates, JSON arrays as
    lists, a number in a text column of mixed types as text); None where they already are.
    Chosen once per column, not per value."""
    return {"date": date.fromisoformat, "list": json.loads, "text": str}.get(kind)


def converted(values: tuple, convert: Callable | None) -> list | tuple:
    if convert is None:
        return values
    return [None if value is None else convert(value) for value in values]


def batches(conn: sqlite3.Connection, name: str) -> Iterator[list[tuple]]:
    cursor = conn.execute(f"SELECT * FROM [{name}]")
    while rows := cursor.fetchmany(BATCH_ROWS):
        yield rows


def write_parquet(conn: sqlite3.Connection, name: str, columns: list[Column], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"integer": pa.int64(), "real": pa.float64(), "text": pa.string(), "date": pa.date32(),
             "list": pa.list_(pa.string())}
    schema = pa.schema([(column.name, types[column.kind]) for column in columns])
    converters = [converter(column.kind) for column in columns]
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for rows in batches(conn, name):
            arrays = [pa.array(converted(values, convert), type=field.type)
                      for values, convert, field in zip(zip(*rows), converters, schema)]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))


def write_csv(conn: sqlite3.Connection, name: str, columns: list[Column], path: Path) -> None:
    """As stored: dates are ISO text, lists their JSON text, NULL an empty field."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([column.name for column in columns])
        for rows in batches(conn, name):
            writer.writerows(rows)


def write_json_lines(conn: sqlite3.Connection, name: str, columns: list[Column], path: Path) -> None:
    """One JSON object a line; lists as arrays, dates as ISO strings (JSON has no date type), a
    number in a text column of mixed types as text, as Parquet has it (facet_counts.value was a
    string in some lines and a number in others, which pyarrow's reader refused: review). The
    line breaks Python's str.splitlines() splits at inside a line (U+2028, U+2029, U+0085) are
    escaped: a title holding one was cut in two by a reader splitting the file so (review)."""
    names = [column.name for column in columns]
    kinds = [column.kind for column in columns]
    with path.open("w", encoding="utf-8") as file:
        for rows in batches(conn, name):
            for row in rows:
                values = [json_value(value, kind) for value, kind in zip(row, kinds)]
                line = json.dumps(dict(zip(names, values)), ensure_ascii=False)
                if INNER_LINE_BREAK.search(line):
                    line = line.translate(ESCAPED_LINE_BREAKS)
                file.write(line + "\n")


def json_value(value, kind: str):
    """A value as JSON Lines writes it: a list column's JSON text as the list, a number in a text
    column as text, any other as stored."""
    if value is None:
        return None
    if kind == "list":
        return json.loads(value)
    if kind == "text" and not isinstance(value, str):
        return str(value)
    return value


INNER_LINE_BREAK = re.compile("[\u2028\u2029\x85]")
ESCAPED_LINE_BREAKS = {ord(character): f"\\u{ord(character):04x}" for character in "\u2028\u2029\x85"}


WRITERS: dict[str, Callable[[sqlite3.Connection, str, list[Column], Path], None]] = {
    "parquet": write_parquet, "csv": write_csv, "json": write_json_lines,
}


# Called before each table or view is written: its name, how many were written before it, how many in all.
ExportProgress = Callable[[str, int, int], None]


@raising_callers_errors_as_they_were
def export_files(database: Path | str, folder: Path | str, file_format: str = "parquet",
                 progress: ExportProgress | None = None) -> list[Path]:
    """Write each table and view of `database` (a papers-db build) as <folder>/<name>.<parquet|csv|
    jsonl>, in batches so memory stays bounded, and return the paths written. `file_format` is
    "parquet" (needs pyarrow), "csv" or "json" (JSON Lines; "jsonl" too), in any case.
    `progress(name, done, total)` hears of each table or view before it is written; an exception
    it raises ends the export and is raised as it was. Every file is written beside its target
    first, and only once all are complete are the targets replaced, all or none: a failure part
    way (a full disk, a folder where a file goes) had replaced the files before it, leaving an
    export of two builds. files_of_other_exports(folder, written) names the folder's files of
    another format left by an earlier export."""
    folder = path_argument(folder, "folder")
    database = path_argument(database, "database")
    if folder == "":  # Path("") is ".": `-o ""` (an unset $OUT) wrote every file into the working folder
        raise PapersDbError("the output folder is empty, which names no folder; give the folder to write the files into",
                            USAGE)
    folder = Path(folder)
    if not isinstance(file_format, str):
        raise TypeError(f"file_format: expected one of {', '.join(FORMATS)} as a str, not {type(file_format).__name__}")
    file_format = FORMAT_NAMES.get(file_format.casefold(), file_format)  # "CSV", as the command takes it; "jsonl"
    if file_format not in FORMATS:
        raise PapersDbError(f"{file_format}: unknown export format; expected one of {', '.join(FORMATS)}", USAGE)
    progress_argument(progress, "(name, done, total)")
    if file_format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            # The command, not only its option: export-parquet, which also gets here, has no --format.
            raise PapersDbError("Parquet export needs pyarrow, which is not installed: pip install pyarrow (or the "
                                "package's parquet extra); or export CSV or JSON Lines: papers-db export --format csv "
                                "(or --format json)", USAGE) from None
    check_built_database(database)
    database = Path(database)
    in_place: list[bool] = []
    try:
        return _exported(database, folder, file_format, in_place,
                         callers_callback(progress) if progress else (lambda name, done, total: None))
    except Interrupted as interruption:
        # A signal while the export cleaned up, once every file was in place, said only
        # "interrupted", as if an earlier export's files were untouched.
        if in_place and interruption.done is None:
            raise Interrupted(interruption.signal_number, done=exported_into(folder)) from None
        raise


def refuse_the_database(target: Path, database: Path) -> None:
    """Refuse to write over the database being exported (`--db out/papers.parquet -o out`)."""
    try:
        same = target.exists() and target.samefile(database)
    except OSError:
        return  # refuse_special_file and the writing itself say what is wrong with the target
    if same:
        raise PapersDbError(f"{target}: is the database being exported; export into another folder", USAGE)


def files_of_other_exports(folder: Path | str, written: list[Path]) -> list[Path]:
    """The files in `folder` named as an export names the tables and views it wrote
    (NAME.parquet, NAME.csv, NAME.jsonl) that it did not write: an earlier export's, in another
    format. A notebook reading the one format got an older build's rows beside the newer one's in
    the other (review). A user's own `notes.csv` is no export's (review of the first version)."""
    stems = {path.stem for path in written}
    written = {path.name for path in written}
    return sorted(path for path in Path(folder).iterdir() if path.suffix in FORMATS.values()
                  and path.stem in stems and path.name not in written and path.is_file())


def exported_into(folder: Path | str) -> str:
    """What an export had done when a signal came after its files were renamed into place."""
    return f"the files were written into {folder}"


def _exported(database: Path, folder: Path, file_format: str, in_place: list[bool], progress: ExportProgress) -> list[Path]:
    """export_files' work; `in_place` gets True once every file is renamed into place."""
    created = ensure_folder(folder)
    conn = open_read_only(database)
    temporaries: dict[Path, Path] = {}  # target -> the file written for it
    try:
        names = exported_names(conn)
        targets = {name: folder / f"{name}{FORMATS[file_format]}" for name in names}
        for target in targets.values():
            refuse_special_file(target)
            refuse_the_database(target, database)
            temporaries[target] = temporary_file(target, "")
        for name in names:  # of an export killed before it could clean up (SIGKILL), in any format
            for extension in FORMATS.values():
                remove_leftovers(folder / f"{name}{extension}")
        using_temporaries(temporaries.values())  # this export's: no run's leftovers (remove_leftovers)
        for done, (name, target) in enumerate(targets.items()):
            progress(name, done, len(targets))
            try:
                WRITERS[file_format](conn, name, columns_of(conn, name), temporaries[target])
            except OSError as error:
                raise PapersDbError(f"{target}: cannot write: {error.strerror}; nothing was replaced", SYSTEM) from None
        replace_all(temporaries, exported_into(folder))
        in_place.append(True)
    except sqlite3.DatabaseError as error:
        raise damaged(database, error) from None
    except OSError as error:  # renaming into place
        raise PapersDbError(f"{error.filename or folder}: cannot write: {error.strerror}", SYSTEM) from None
    finally:
        with signals_held():  # a second Ctrl-C here left them, and the next export in the process used their names
            conn.close()
            for temporary in temporaries.values():
                temporary.unlink(missing_ok=True)
            done_with_temporaries(temporaries.values())
            remove_empty_folders(created)  # where the export failed: a complete one fills them
    return list(temporaries)
