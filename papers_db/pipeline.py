"""The build as one library call: find sources, read, normalise, load. The CLI, the tests and the
benchmark all call `build_database`; `check_sources` reads without writing anything."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import multiprocessing
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .derive import derive, read_and_derive
from .errors import (
    BAD_INPUT,
    SYSTEM,
    USAGE,
    Interrupted,
    PapersDbError,
    callers_callback,
    last_signal,
    path_argument,
    progress_argument,
    raise_dropped_interruption,
    raising_callers_errors_as_they_were,
)
from .load import DatabaseWriter, checksum_file_for, inspect_file_for, refuse_unusable_output
from .metadata import read_metadata
from .normalise import Normaliser
from .processes import helper_processes
from .records import ParseIssue
from .sources import MANIFEST_NAME, SourceFile, SourceReading, find_sources, read_and_nothing_else, read_sources, source_size

PARALLEL_READING_BYTES = 32 * 1024 * 1024  # below this, starting the reading processes costs more than it saves
# Files are read (parsed, folded, hashed) by one process per core while this process normalises and
# loads them: at 100,000 papers one reading process kept this one waiting 6.7 s of the 9.5 s read.
READING_PROCESSES = os.cpu_count() or 1


@dataclass
class FileSummary:
    """What reading one source file gave: its records, parse issues and unaccounted lines."""

    name: str
    format: str | None
    lines: int
    records: int
    issues: list[ParseIssue]
    unaccounted: list[int]


@dataclass
class BuildReport:
    """What a build wrote: the database, its SHA-256, and what each source file gave."""

    output: Path
    sha256: str
    papers: int
    listings: int
    files: list[FileSummary] = field(default_factory=list)

    @property
    def parse_issues(self) -> int:
        return sum(len(file.issues) for file in self.files)


@dataclass
class Progress:
    """One step of a build or check, for a progress display: `step` is "reading" (file `name`,
    `done` of `total` files read so far), "read" (`summary` of the file just read), "building"
    (`name` says what: "resolving paper identity", "writing papers and listings", ...),
    "issue" (an `issue` of file `name` found once every file was read: an ambiguous title), or
    "skipped" (`name`, the path of something in a sources folder that is not read: a folder, a
    link to nothing, a pipe or device; `issue` says which, code `not_read`)."""

    step: str
    done: int = 0
    total: int = 0
    name: str = ""
    summary: FileSummary | None = None
    issue: ParseIssue | None = None


ProgressCallback = Callable[[Progress], None]


FOLDER_ENDINGS = tuple(dict.fromkeys(("/", os.sep)))


@raising_callers_errors_as_they_were
def build_database(
    sources: Iterable[Path | str | bytes] | Path | str | bytes,
    output: Path | str | bytes,
    *,
    strict: bool = False,
    related: bool = True,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Read every source file (files, or folders read whole; one path alone is one) into the
    SQLite database `output`, and return a BuildReport: the output, its SHA-256, the papers and
    listings it holds, and what each file gave (`files`, each a FileSummary with its issues).

    The database is written beside `output` and renamed into place only when complete. Raises
    PapersDbError for input that cannot be built (and, with `strict`, for any parse issue) with
    the previous database left as it was. `related=False` leaves related papers out (faster).
    `progress`, if given, is called with a Progress at each file and step (its `step`: "reading",
    "read", "building", "issue", "skipped"); an exception it raises ends the build and is raised
    as it was.
    """
    output = path_argument(output, "output")
    progress_argument(progress, "a Progress")
    if isinstance(output, str) and output.endswith(FOLDER_ENDINGS) and Path(output).name:
        # `-o newdir/`: Path drops the slash, and the build wrote a database file named newdir.
        raise PapersDbError(f"{output}: names a folder; give the database file's path ({output}papers.db)", USAGE)
    if str(output) == "":  # Path("") is ".", and `-o ""` (an unset $OUT) was told ".: is a folder"
        raise PapersDbError("the output path is empty, which names no file; give the database file's path", USAGE)
    output = Path(output)
    refuse_a_removed_working_folder()
    if not output.name:  # "", "." or "/" (an unset $OUT in a script): no file name to write or replace
        raise PapersDbError(f"{output}: is a folder; give the database file's path", USAGE)
    refuse_unusable_output(output)
    notify = notifier(progress)
    read_metadata()  # a broken metadata.yml is reported before any work
    paths = source_paths(sources)
    found = sources_found(paths, notify)
    refuse_replacing_a_source(found, output)
    refuse_writing_into_a_sources_folder(paths, output)
    files: list[FileSummary] = []
    by_source: dict[int, FileSummary] = {}  # source id -> what reading it gave
    issues = 0
    normaliser = Normaliser()
    try:
        # The reading processes start first, and boot (0.3 s, most of it imports) while this process
        # makes the database: at 100,000 papers the first file was read 0.05-0.08 s sooner
        # (medians of 12 and 20 starts of the command).
        with reading_processes(found, read_and_derive) as pool, DatabaseWriter(output, related=related) as writer:
            for r, summary in each_reading(found, notify, pool, read=read_and_derive):
                files.append(summary)
                issues += len(summary.issues)
                if not (strict and issues):  # under strict, read on only to report
                    # A byte-identical repeat is not read, so nothing was derived from it (it has no records).
                    derived = r.derived if r.derived is not None else derive(r.reading)
                    rows = normaliser.rows_for(r, derived.keys, derived.enrichment)
                    by_source[rows.source["id"]] = summary
                    writer.add(rows)
            if pool is not None:  # every file is read: they end before the database's own helpers start
                pool.shutdown()
            if strict and issues:
                refuse_under_strict(issues, files)
            refuse_no_readable_listing(files)
            notify(Progress("building", name="resolving paper identity"))
            normaliser.reading_done()
            resolved = writer.resolve(normaliser.resolver)
            resolution_issues = (normaliser.ambiguous_title_issues(resolved.ambiguous)
                                 + normaliser.retitled_issues(resolved.retitled))
            report_issues_found_late(resolution_issues, by_source, notify)
            if strict and resolution_issues:
                refuse_under_strict(len(resolution_issues), files)
            release_freed_memory()
            counts, digest = writer.finish(normaliser, resolution_issues,
                                           on_step=lambda step: notify(Progress("building", name=step)))
    except BrokenProcessPool:
        # A helper killed from outside (the out-of-memory killer, kill -9): its work is lost, not the user's files.
        raise PapersDbError(f"{output}: a helper process of the build ended unexpectedly (killed, or out of memory?); "
                            "nothing was replaced", SYSTEM) from None
    except OSError as error:
        raise PapersDbError(f"{error.filename or output}: cannot write: {error.strerror}; nothing was replaced",
                            SYSTEM) from None
    except sqlite3.OperationalError as error:
        if str(error) == "interrupted":  # a signal's handler stopped a statement (load.SIGNAL_CHECK_STEPS)
            raise Interrupted(last_signal()) from None
        raise PapersDbError(f"{output}: cannot write the database: {error}{where_full(error)}; "
                            "nothing was replaced", SYSTEM) from None
    return BuildReport(output, digest, counts["papers"], normaliser.listing_count, files)


def where_full(error: sqlite3.OperationalError) -> str:
    """Which disk a "database or disk is full" may mean: SQLite sorts in its temporary folder
    too, and a full 1 MB /tmp was told as the output's disk, 50 GB free (found by review)."""
    if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
        return ""
    return (" (the output's disk, or that of SQLite's temporary files: $SQLITE_TMPDIR or $TMPDIR, else /var/tmp "
            "or /tmp; set TMPDIR to a folder with room)")


def refuse_replacing_a_source(found: list[SourceFile], output: Path) -> None:
    """The build replaces the database, its .sha256 and its inspect file: where one of them is a
    source file, or the manifest of a folder of sources, that file's bytes would be lost
    (`build G --output G/a.txt` made a listing a database). Paths are compared as the names
    os.replace replaces: a symlink named as the output is replaced, not the file it points to."""
    targets = {_as_named(target): target for target in (output, checksum_file_for(output), inspect_file_for(output))
               if target.exists()}
    if not targets:
        return
    protected = {_as_named(source.path) for source in found} | {_as_named(source.path.parent / MANIFEST_NAME)
                                                               for source in found}
    for named, target in targets.items():
        if named in protected:
            raise PapersDbError(f"{target}: is a source file this build reads (or its folder's manifest), and the build "
                                "would replace it; give an --output outside the sources", USAGE)


def refuse_writing_into_a_sources_folder(paths: list[Path], output: Path) -> None:
    """A database written into a folder of sources read whole would be a source of the next build
    from that folder: `build G --output G/papers.db` built once, then refused the same command,
    its database now a source file it would replace."""
    for folder in paths:
        if folder.is_dir() and _as_named(output).parent == folder.resolve():
            raise PapersDbError(f"{output}: is in {folder}, a folder of sources this build reads whole, and the next "
                                "build would read the database as a source; give an --output outside the sources", USAGE)


def _as_named(path: Path) -> Path:
    return path.parent.resolve() / path.name


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off in this process for the block, as it was after:
    around a build, where the process is the build's alone (the `build` command).

    A build's lookups (a key and MinHash bands per listing, decisions, organisations) only grow
    while it reads, and each of the collector's full passes walks all of them: 0.37 s of the
    0.48 s it took in the build's own process at 100,000 papers, while the build makes almost no
    reference cycles (a whole build with the collector off left 403 objects for it to free, at
    100,000 papers and at 1,000,000). Reference counting frees everything else as before. The
    switch is the whole process's: build_database leaves it alone, since a library caller's other
    threads may make cycles meanwhile (one making a 20 kB cycle every 0.2 ms grew by 500 MB in
    an 8 s build); such a caller may pause it around the call itself."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def release_freed_memory() -> None:
    """Give the memory reading and resolution freed back to the system, where the C library can.

    glibc keeps freed heap for reuse that this process, which only loads from here on, never
    makes: at 1M papers it held 250 MiB (458 MiB resident after resolution, 206 after trimming)
    while two helper processes started beside it, and the build's processes together went over
    1 GB."""
    if not sys.platform.startswith("linux"):
        return
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only; musl has none
    if trim is not None:
        trim(0)


def refuse_no_readable_listing(files: list[FileSummary]) -> None:
    """Sources of which no file holds a listing give nothing to build: the build refuses them,
    and `check` fails on them (it passed a folder of notes that `build` then refused)."""
    if not any(file.records for file in files):
        raise PapersDbError("no readable listing among the sources: nothing to build", BAD_INPUT, files)


def refuse_under_strict(issues: int, files: list[FileSummary]) -> None:
    raise PapersDbError(f"{issues} parse issue{'' if issues == 1 else 's'} and --strict was given: database not written",
                        BAD_INPUT, files)


def report_issues_found_late(rows: list[dict], by_source: dict[int, FileSummary], notify: ProgressCallback) -> None:
    """Parse issues found once every file was read (ambiguous titles) join their file's summary
    and are shown as they are found, as a file's own issues are when it has been read."""
    for row in rows:
        summary = by_source[row["source_id"]]
        issue = ParseIssue(row["line"], row["code"], row["message"])
        summary.issues.append(issue)
        notify(Progress("issue", name=summary.name, issue=issue))


@raising_callers_errors_as_they_were
def check_sources(sources: Iterable[Path | str | bytes] | Path | str | bytes,
                  progress: ProgressCallback | None = None) -> list[FileSummary]:
    """Read and validate sources without writing anything, and return what each file gave: a
    FileSummary each (name, format, lines, records, issues, unaccounted lines). `progress`, if
    given, is called with a Progress at each file (its `step`: "reading", "read", "skipped"); an
    exception it raises ends the check and is raised as it was."""
    progress_argument(progress, "a Progress")
    notify = notifier(progress)
    found = sources_found(sources, notify)
    with reading_processes(found, read_and_nothing_else) as pool:
        return [summary for _, summary in each_reading(found, notify, pool)]


def summarise(r: SourceReading) -> FileSummary:
    reading = r.reading
    return FileSummary(r.source.name, reading.format, reading.line_count, len(reading.records),
                       list(reading.issues), reading.unaccounted_lines())


def source_paths(paths: Iterable[Path | str | bytes] | Path | str | bytes) -> list[Path]:
    """The paths of the sources as given; one path alone is that path: `build_database("sources",
    ...)` read the folders "s", "o", "u"... An empty path is refused: Path("") is ".", and
    `build "$SRC"` with $SRC unset read the working folder. Bytes are a path too, as open() takes
    them: b"sources" was read as the numbers of its bytes ("expected str, bytes or os.PathLike
    object, not int")."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        given = [paths]
    elif isinstance(paths, io.IOBase) or hasattr(paths, "read"):
        # An open file or a buffer iterates as lines, each read as a path: "model\n: no such file
        # or folder", the caller's file consumed (a review of the library).
        raise TypeError(f"sources: expected a path (str, bytes or os.PathLike) or an iterable of paths, not an open "
                        f"file ({type(paths).__name__}): give the file's path")
    else:
        try:
            given = list(paths)
        except TypeError:
            raise TypeError(f"sources: expected a path (str, bytes or os.PathLike) or an iterable of paths, "
                            f"not {type(paths).__name__}") from None
    try:
        decoded = [os.fsdecode(path) for path in given]
    except TypeError as error:  # a number among them: "expected str, bytes or os.PathLike object, not int"
        raise TypeError(f"sources: {error}") from None
    if "" in decoded:
        raise PapersDbError("a source path is empty, which names no file or folder; give the sources' path", USAGE)
    return [Path(path) for path in decoded]


def refuse_a_removed_working_folder() -> None:
    """A run in a working folder removed since (a shell left in a folder another command
    removed): relative paths name nothing there, and the helper processes cannot start
    (multiprocessing asks for the folder). `papers-db build` there ended as a bug, exit 70, and
    with absolute paths as "cannot write: No such file or directory" (found by review)."""
    try:
        os.getcwd()
    except FileNotFoundError:
        raise PapersDbError("the working folder no longer exists (removed since the shell entered it); go to a folder "
                            "that exists and run the command again", USAGE) from None


def notifier(progress: ProgressCallback | None) -> ProgressCallback:
    """The callback each step of a run calls with its Progress: `progress`, after ending the run
    if a signal's Interrupted was dropped (errors.raise_dropped_interruption)."""
    told = callers_callback(progress) if progress is not None else None

    def notify(event: Progress) -> None:
        raise_dropped_interruption()
        if told is not None:
            told(event)
    return notify


def sources_found(paths: Iterable[Path | str | bytes] | Path | str | bytes, notify: ProgressCallback) -> list[SourceFile]:
    """The source files `paths` name (files, or folders read whole); none is a usage error. What
    else a folder holds is reported, as a "skipped" step, since it is not read. One path given
    alone is that path."""
    paths = source_paths(paths)
    if not paths:  # `build_database([], ...)` said "no source files in ", naming nothing
        raise PapersDbError("no sources given: name the source files or folders to read", USAGE)
    refuse_a_removed_working_folder()

    def skipped(path: Path, why: str) -> None:
        notify(Progress("skipped", name=str(path), issue=ParseIssue(None, "not_read", why)))

    sources = find_sources(paths, on_skipped=skipped)
    if not sources:
        raise PapersDbError(f"no source files in {', '.join(map(str, paths))}", USAGE)
    return sources


@contextlib.contextmanager
def reading_processes(sources: list[SourceFile], read: Callable) -> Iterator[ProcessPoolExecutor | None]:
    """READING_PROCESSES processes (one per core) that read a large corpus, each importing the
    module of `read`, the function each file is given to, as it starts; None for sources too
    small to be worth them (PARALLEL_READING_BYTES), or where this process may start none (a
    multiprocessing.Pool's worker is daemonic: a check there was refused; it reads here instead)."""
    if sum(source_size(source) for source in sources) < PARALLEL_READING_BYTES or multiprocessing.current_process().daemon:
        yield None
        return
    with helper_processes(READING_PROCESSES, imports=(read.__module__,)) as pool:
        yield pool


def each_reading(sources: list[SourceFile], notify: ProgressCallback, pool: ProcessPoolExecutor | None,
                 read=read_and_nothing_else) -> Iterator[tuple[SourceReading, FileSummary]]:
    """Every source's reading and its summary, one at a time. With a pool (reading_processes),
    its processes read a few files ahead of this one, which normalises and loads; `read` is
    what each does with a file (read_and_derive: the reading and its records' keys and
    enrichment)."""
    done = 0

    def on_file(source) -> None:
        notify(Progress("reading", done, len(sources), source.name))

    # One file more than there are reading processes: each has the next file when it is done.
    for r in read_sources(sources, on_file=on_file, pool=pool, read=read, read_ahead=READING_PROCESSES + 1):
        done += 1
        summary = summarise(r)
        notify(Progress("read", done, len(sources), r.source.name, summary))
        yield r, summary
