"""Export the built database's tables as Parquet files."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .database import check_built_database, open_read_only
from .errors import BAD_INPUT, SYSTEM, PapersDbError
from .load import ensure_output_folder

EXPORTED_TABLES = ("papers", "listings", "sources", "decisions", "organizations", "code_links", "parse_issues")
PARQUET_BATCH_ROWS = 50_000


def export_parquet_files(database: Path, folder: Path, tables: Iterable[str] = EXPORTED_TABLES) -> list[Path]:
    """Write each table as <folder>/<table>.parquet, in batches so memory stays bounded; each
    file is written beside its target and renamed into place when complete."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise PapersDbError("Parquet export needs pyarrow: pip install -e '.[parquet]'") from None
    check_built_database(database)
    ensure_output_folder(folder / "x.parquet")
    conn = open_read_only(database)
    written = []
    try:
        for table in tables:
            columns = conn.execute(f"PRAGMA table_info([{table}])").fetchall()
            schema = pa.schema(
                [(name, pa.int64() if declared.upper() == "INTEGER" else pa.string()) for _, name, declared, *_ in columns]
            )
            target = folder / f"{table}.parquet"
            temporary = folder / f".{table}.parquet.tmp-{os.getpid()}"
            cursor = conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid")
            try:
                with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
                    while rows := cursor.fetchmany(PARQUET_BATCH_ROWS):
                        writer.write_batch(pa.RecordBatch.from_arrays(
                            [pa.array(column, type=field.type) for column, field in zip(zip(*rows), schema)], schema=schema))
                os.replace(temporary, target)
            finally:
                temporary.unlink(missing_ok=True)
            written.append(target)
    except sqlite3.DatabaseError as error:
        raise PapersDbError(f"{database}: damaged SQLite database ({error}); rebuild it with `papers-db build`",
                            BAD_INPUT) from None
    except OSError as error:
        raise PapersDbError(f"{error.filename or folder}: cannot write: {error.strerror}", SYSTEM) from None
    finally:
        conn.close()
    return written
