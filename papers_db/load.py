"""Load: the only module that writes SQLite. Rows go into a file beside the target, the `sql/`
scripts build papers, indexes, the full-text index and views, and the file is renamed into place."""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import fcntl
import glob
import hashlib
import json
import operator
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import apsw

from . import resources
from .database import open_read_only, read_only_uri, row_counts, what_else_the_file_is
from .errors import SYSTEM, USAGE, Interrupted, PapersDbError, last_signal, raise_dropped_interruption, signals_held
from .normalise import Normaliser, squash
from .processes import helper_processes
from .records import FileRows
from .related import related_papers
from .resolve import Resolver, fold_title, title_key

PAGE_SIZE = 16384
SIGNAL_CHECK_STEPS = 100_000  # SQLite virtual-machine steps between checks for a signal


def write_related_papers(staging: Path, target: Path) -> None:
    """Find related papers from the staged paper text and write them to a new SQLite file.

    Runs in a helper process, beside the full-text index's, once the build's own process has
    written listings, papers and indexes (DatabaseWriter.finish).
    """
    source = open_read_only(staging)
    # The same text as papers.plain_abstract, which does not exist yet at this point.
    papers = source.execute("SELECT id, title, coalesce(abstract_text, abstract) FROM paper_texts ORDER BY id")
    out = sqlite3.connect(target)
    out.execute("PRAGMA journal_mode = OFF")
    out.execute("CREATE TABLE related_papers (paper_id, rank, related_paper_id, score, shared_terms)")
    out.executemany(
        "INSERT INTO related_papers VALUES (?, ?, ?, ?, ?)",
        ((r.paper_id, r.rank, r.related_paper_id, r.score, json.dumps(r.shared_terms)) for r in related_papers(papers)),
    )
    out.commit()
    out.close()
    source.close()


def write_full_text_index(staging: Path, target: Path) -> None:
    """Fill the full-text index from the staged paper text, in a new SQLite file of its own.

    Runs in a helper process while the build's own process writes papers and their indexes: at
    1,000,000 papers the index took 76 s of the build's own process after papers (sql/fts_copy.sql
    copies it into the database). Raises sqlite3.OperationalError for any error of SQLite's.
    """
    # APSW's SQLite, not Python's: the same index, row for row, in less time. At 100,000 papers
    # the fill took 8.05 s of CPU with APSW's SQLite 3.54.1 against 9.09 s with Python's 3.40.1
    # here (means of five runs of each in turns, on one staged file); the rows are copied into
    # the database by Python's SQLite (sql/fts_copy.sql), so the file is the same byte for byte.
    try:
        # SQLITE_OPEN_URI: a URI names the attached staging file.
        conn = apsw.Connection(str(target), flags=apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
                               | apsw.SQLITE_OPEN_URI)
        try:
            # The database's page size: FTS5 writes its index in blobs of about 4,000 bytes, which
            # would each spill into an overflow page with SQLite's default 4,096-byte pages.
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("ATTACH DATABASE ? AS staging", (read_only_uri(staging),))
            run_script(conn, resources.sql_script("fts.sql"))
            run_script(conn, resources.sql_script("fts_index.sql"))
        finally:
            conn.close()
    except apsw.Error as error:
        raise as_sqlite_error(error) from None


def run_script(conn: apsw.Connection, script: str) -> None:
    """Every statement of `script`, each committed as it ends, as sqlite3's executescript runs
    them: APSW's execute stops at the first statement that gives a row until its rows are read."""
    conn.execute(script).fetchall()


def as_sqlite_error(error: apsw.Error) -> sqlite3.OperationalError:
    """An APSW error as one of Python's sqlite3, which the build reports in one line (a full disk
    with the folders it may mean, pipeline.where_full). APSW's own errors (a closed connection,
    say) carry no SQLite result code."""
    code = getattr(error, "extendedresult", getattr(error, "result", None))
    translated = sqlite3.OperationalError(str(error) or type(error).__name__)
    translated.sqlite_errorcode = code
    translated.sqlite_errorname = apsw.mapping_extended_result_codes.get(code, apsw.mapping_result_codes.get(code, ""))
    return translated


@dataclass
class ResolvedListings:
    """Listings resolution has something to say about: title-only listings whose title two or
    more papers share (source id, line), and listings whose abstract an earlier listing gave under
    another title (source id, line, title, and that earlier listing's file name, line and title)."""

    ambiguous: list[tuple[int, int, str]] = field(default_factory=list)
    retitled: list[tuple[int, int, str, str, int, str]] = field(default_factory=list)


# A staged listing of a record listed under two titles: (listing id, node, source id, line, title,
# file name), in node and listing order.
RetitledRow = tuple[int, int, int, int, str | None, str]


def retitled_listings(rows: Iterable[RetitledRow]) -> list[tuple[int, int, str, str, int, str]]:
    """Each titled listing whose folded title is not that of its node's first titled listing, with
    that listing."""
    found, first = [], {}
    for _, node, source_id, line, title, file_name in rows:
        if title is None:
            continue
        if node not in first:
            first[node] = (fold_title(title), file_name, line, title)
        elif fold_title(title) != first[node][0]:
            _, first_file, first_line, first_title = first[node]
            found.append((source_id, line, title, first_file, first_line, first_title))
    return found


def listing_rules(rows: Iterable[RetitledRow], matched_titles: dict[int, set[int]]) -> list[tuple[int, str]]:
    """matched_by of each listing of a record joined by title_and_abstract under a title only some
    of its listings have (matched_titles): the first listing under that title says so; every
    other says abstract (the same abstract as that listing)."""
    rules, told = [], set()
    for listing, node, _, _, title, _ in rows:
        if node not in matched_titles:
            continue
        matches = node not in told and title is not None and title_key(title) in matched_titles[node]
        told.update([node] if matches else [])
        rules.append((listing, "title_and_abstract" if matches else "abstract"))
    return rules


class DatabaseWriter:
    """Loads rows file by file into a temporary database beside the target; `finish` builds the
    papers table, indexes, full-text index and views once, then renames the file into place.

    Paper text waits in a staging file until every listing is known, so that each paper's row,
    with what its listings say together, is written once and in id order. On any failure, or if
    the process is killed, the target is untouched; the next build removes the leftovers.
    """

    def __init__(self, output: Path, related: bool = True) -> None:
        # Absolute: SQLite reads a path starting with "file:" as a URI, even where no URI was asked for.
        output = output.absolute()
        self.created_folders = ensure_output_folder(output)
        self.find_related = related
        self.output = output
        # What the build replaces, each with the temporary file it is written to first.
        self.outputs = {
            output: temporary_file(output, ""),
            checksum_file_for(output): temporary_file(output, ".sha256"),
            inspect_file_for(output): temporary_file(output, ".inspect"),
        }
        self.temporary = self.outputs[output]
        self.staging = temporary_file(output, ".staging")
        self.related = temporary_file(output, ".related")
        self.full_text = temporary_file(output, ".fts")
        self.written = {*self.outputs.values(), self.staging, self.related, self.full_text}
        try:
            for target in self.outputs:  # its own, and the earlier files replace_all kept beside each
                remove_leftovers(target)
            using_temporaries(self.written)  # from here, no leftovers for another thread's build
            for path in self.outputs:
                refuse_special_file(path)
            refuse_to_replace_another_file(output)
            self._create()
        except BaseException:
            self._discard()
            raise

    def _create(self) -> None:
        # Imported here, not with the module: the build starts its reading processes before it
        # makes the database, and sqlite-utils' imports (0.05-0.14 s) then pass while they start.
        import sqlite_utils

        self.db = sqlite_utils.Database(str(self.temporary))
        conn = self.db.conn
        # Nothing reads the temporary file before it is complete, so it needs no journal: a
        # failed build is thrown away whole.
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        # 64 MiB: at 1M papers, 128 MiB built no faster (186-189 s either way) and took the
        # build's processes together from 853 to 998 MiB beside the two helpers.
        conn.execute("PRAGMA cache_size = -65536")
        # A Python callback now and then lets a signal's handler run during a long SQL statement,
        # which it then stops (about every 10 ms), instead of after it.
        conn.set_progress_handler(lambda: 0, SIGNAL_CHECK_STEPS)
        self._script("schema.sql")
        conn.execute("ATTACH DATABASE ? AS staging", (str(self.staging),))
        # The database's page size: the staged listings, 180 MB at 100,000 papers, are scanned whole
        # five times after reading (placing, listings, aliases, papers, code links) and written once,
        # a system call per page: with SQLite's default 4,096-byte pages this process spent 2.1 s of
        # system time reading and writing listings, with these 1.3-1.4 s.
        conn.execute(f"PRAGMA staging.page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA staging.journal_mode = OFF")
        # Every listing as read, text last (a scan of the other columns then skips the text), until
        # resolution says which paper each belongs to (sql/listings.sql).
        conn.execute(
            "CREATE TABLE staging.listings (id INTEGER PRIMARY KEY, node INTEGER NOT NULL, founds INTEGER NOT NULL, "
            "source_id, line, last_line, position, decision_id, authors_count, organization_id, date_text, published_on, "
            "published_year_inferred, upvotes, has_title, abstract_length, short_name TEXT, code_links TEXT, "
            "abstract_text TEXT, title TEXT, abstract TEXT)"
        )
        conn.execute("CREATE TABLE staging.merged (node INTEGER PRIMARY KEY, paper_id INTEGER NOT NULL, matched_by TEXT NOT NULL)")
        # matched_by of the listings whose record joined by a title only some of them have (resolve).
        conn.execute("CREATE TABLE staging.listing_rules (listing_id INTEGER PRIMARY KEY, matched_by TEXT NOT NULL)")
        self.staged_columns = [row[1] for row in conn.execute("PRAGMA staging.table_info(listings)")]

    def __enter__(self) -> DatabaseWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:
            self._discard()

    def _discard(self) -> None:
        """Remove every file this build wrote; the previous database and its files stay as they were.
        Not cut short by a second Ctrl-C (signals_held): in a notebook, one while the files were
        being removed left them, and the next build in that process, whose files are named as
        these, failed with "table sources already exists" (review)."""
        with signals_held():
            if hasattr(self, "db"):
                self.db.close()
            for path in self.written:
                path.unlink(missing_ok=True)
            done_with_temporaries(self.written)
            # The folders this build made for its output, if they are still empty: a failed build
            # left `-o new/folder/papers.db`'s folders behind.
            remove_empty_folders(self.created_folders)

    def _script(self, name: str) -> None:
        self.db.executescript(resources.sql_script(name))

    def _insert_rows(self, table: str, rows: list[dict], columns: list[str] | None = None) -> None:
        """Insert rows given as dicts keyed by column name; the columns come from sql/schema.sql,
        the one place they are declared."""
        columns = columns or [column.name for column in self.db[table].columns]
        quoted = ".".join(f"[{part}]" for part in table.split("."))  # staging.listings is in the attached file
        # Values by position, picked in C: SQLite's named parameters look every value up by a name
        # made anew each time, and staging 2,000 listings took 20 ms that way against 14.
        self.db.conn.executemany(f"INSERT INTO {quoted} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                 map(operator.itemgetter(*columns), rows))  # every table has an id and more

    def add(self, rows: FileRows) -> None:
        # sqlite-utils commits here, once per file, as builds always have: the header counts commits,
        # so this keeps the seeds' database byte-identical to earlier builds.
        self.db["sources"].insert(rows.source)
        self._insert_rows("staging.listings", rows.listings, self.staged_columns)
        self._insert_rows("parse_issues", rows.parse_issues)

    def resolve(self, resolver: Resolver) -> ResolvedListings:
        """Decide which records are one paper (papers_db.resolve) and stage the decision. Returns
        the listings resolution has something to say about (ResolvedListings)."""
        conn = self.db.conn

        def read_abstracts(listing_ids: list[int]) -> dict[int, str]:
            rows = conn.execute("SELECT id, abstract FROM staging.listings WHERE id IN (SELECT value FROM json_each(?))",
                                (json.dumps(listing_ids),)).fetchall()
            return {listing: squash(abstract) for listing, abstract in rows}

        resolution = resolver.resolve(read_abstracts)
        conn.executemany("INSERT INTO staging.merged (node, paper_id, matched_by) VALUES (?, ?, ?)",
                         sorted((node, paper, rule) for node, (paper, rule) in resolution.merged.items()))
        found = ResolvedListings()
        if resolution.ambiguous:
            found.ambiguous = conn.execute(
                "SELECT source_id, line, title FROM staging.listings WHERE node IN (SELECT value FROM json_each(?)) ORDER BY id",
                (json.dumps(resolution.ambiguous),),
            ).fetchall()
        if resolution.retitled or resolution.untitled_first:
            # One scan of the staged listings (it has no index on node) for both uses: the records
            # joined by title_and_abstract (matched_titles) are some of the retitled ones, or
            # listed first without a title (those have one title: none is reported as retitled).
            rows = conn.execute(
                "SELECT l.id, l.node, l.source_id, l.line, l.title, sources.file_name FROM staging.listings AS l "
                "JOIN sources ON sources.id = l.source_id "
                "WHERE l.node IN (SELECT value FROM json_each(?)) ORDER BY l.node, l.id",
                (json.dumps(resolution.retitled + resolution.untitled_first),)).fetchall()
            found.retitled = retitled_listings(rows)
            conn.executemany("INSERT INTO staging.listing_rules (listing_id, matched_by) VALUES (?, ?)",
                             listing_rules(rows, resolution.matched_titles))
        return found

    def _copy_from(self, helper_file: Path, name: str, sql: str) -> None:
        """Run `sql` with a helper process's finished file attached as `name`, then remove the file."""
        conn = self.db.conn
        conn.execute(f"ATTACH DATABASE ? AS {name}", (str(helper_file),))
        self.db.executescript(sql)
        conn.commit()
        conn.execute(f"DETACH DATABASE {name}")
        helper_file.unlink()

    def _add_full_text_index(self) -> None:
        self._script("fts.sql")
        self._copy_from(self.full_text, "fts", resources.sql_script("fts_copy.sql"))

    def _add_related_papers(self) -> None:
        self._copy_from(self.related, "related",
                        "INSERT INTO related_papers SELECT * FROM related.related_papers ORDER BY paper_id, rank")

    def _add_build_info(self) -> None:
        """What built the file: package and schema version, and which sources (as one checksum)."""
        conn = self.db.conn
        checksums = [sha256 for (sha256,) in conn.execute("SELECT sha256 FROM sources ORDER BY id")]
        combined = hashlib.sha256("".join(f"{sha256}\n" for sha256 in checksums).encode()).hexdigest()
        conn.execute(
            "INSERT INTO build_info (package_version, schema_version, source_count, sources_sha256) "
            "SELECT ?, user_version, ?, ? FROM pragma_user_version",
            (version("papers-db"), len(checksums), combined),
        )
        conn.commit()

    def finish(self, normaliser: Normaliser, resolution_issues: list[dict],
               on_step: Callable[[str], None] = lambda step: None) -> tuple[dict[str, int], str]:
        """Build everything that needs all rows, once `resolve` has run, with the parse_issues rows
        found by resolution; return (rows in each table, SHA-256 of the file). `on_step` hears
        what starts next, for a progress display."""
        conn = self.db.conn
        on_step("writing papers and listings")
        # Once each paper's text is known, two helper processes read it: one fills the full-text
        # index in a file of its own while this one writes listings, papers and the indexes; the
        # other finds related papers once those are written. At 1,000,000 papers the full-text
        # index alone took 76 s after those, which took 44 s.
        #
        # Related papers start last because the full-text index is the longest of the three and
        # runs in one process: on two cores, with all three at once, each had two thirds of a
        # core, and the index ran on alone for the last 34 s of a 197 s build while the other core
        # idled. Started after the indexes, related papers take the core this process leaves.
        #
        # The helpers start (and import this module) while this process places the listings, with
        # the other core idle: started after, the index began 0.31 s after it was asked for at
        # 100,000 papers, and related papers, the last step to end there, 0.23 s.
        with helper_processes(2, imports=(__name__,)) as helpers:
            self._insert_rows("decisions", normaliser.decision_rows())
            self._insert_rows("organizations", normaliser.organization_rows())
            self._insert_rows("parse_issues", resolution_issues)
            conn.commit()
            self._script("placing.sql")
            conn.commit()
            full_text = helpers.submit(write_full_text_index, self.staging, self.full_text)
            self._script("listings.sql")
            self._script("papers.sql")
            conn.execute("DETACH DATABASE staging")
            on_step("indexing papers and listings, counting facets")
            self._script("indexes.sql")
            self._script("facet_counts.sql")  # after indexes.sql: each count reads its column's index
            self._script("organization_papers.sql")
            related = helpers.submit(write_related_papers, self.staging, self.related) if self.find_related else None
            on_step("building the full-text index" + (" and finding related papers" if related else ""))
            # The statistics of every table written so far, gathered while the helpers work: done
            # once the full-text index, then the last helper to end, was copied in, they kept the
            # build going 1.64-1.73 s after it at 100,000 papers, here 1.39-1.40 s (the helpers
            # ended no later). The tables written later are analysed on their own: the same rows in
            # sqlite_stat1 as one ANALYZE at the end.
            conn.execute("ANALYZE")
            conn.commit()
            full_text.result()
            self._add_full_text_index()
            if related is not None:
                on_step("finding related papers")
                related.result()
                self._add_related_papers()
        on_step("finishing: views, statistics, checksum")
        # The file work of the end runs in a thread beside the SQL: at 100,000 papers removing the
        # staging file took 0.08 s and the checksum 0.33 s, one after the other with the counts' 0.1 s.
        # An interruption stops the checksum, whose file is thrown away, at its next MiB.
        stopped = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(1) as beside, set_on_failure(stopped):
            staging_removed = beside.submit(self.staging.unlink)
            self._add_build_info()
            self._script("views.sql")
            conn.execute("ANALYZE related_papers")  # empty without related papers: no rows
            conn.execute("ANALYZE build_info")
            conn.commit()  # the file's last write: with no journal, its bytes are final from here
            checksum = beside.submit(file_sha256, self.temporary, stopped)
            # Every table Datasette lists, shadow tables included, as `datasette inspect` counts them.
            counts = row_counts(conn, "table")
            # And every view's, which Datasette counts on each visit to its page (the plugin reads them
            # here instead): at a million papers 7 ms a visit for trending, 17 ms once here for all.
            view_counts = row_counts(conn, "view")
            self.db.close()
            staging_removed.result()
            digest = checksum.result()
        self.outputs[checksum_file_for(self.output)].write_text(f"{digest}  {self.output.name}\n", encoding="utf-8")
        inspect = inspect_text(self.output, self.temporary, digest, counts, view_counts)
        self.outputs[inspect_file_for(self.output)].write_text(inspect, encoding="utf-8")
        # Only now, with every file complete, is anything the user had replaced, all or none.
        replace_all(self.outputs, replaced_by_the_build(self.output), databases=[self.output])
        done_with_temporaries(self.written)
        return counts, digest


def replace_all(temporaries: dict[Path, Path], done: str, databases: Iterable[Path] = ()) -> None:
    """Rename each complete file (target -> the file written for it) into place, all or none of
    them. As far as signals go: one that comes meanwhile ends the run once all are in place,
    saying `done`. And as far as the system lets a rename fail: the files renamed before it get
    their earlier files back, each kept until then under a second name (a hard link; where the
    file system has none, as FAT has not, the file is replaced without it). In a folder that lets
    only a file's owner replace it (/tmp's sticky bit), an export replaced two of its 20 files,
    said "nothing was replaced", and named a temporary file."""
    raise_dropped_interruption()  # nothing is replaced after Ctrl-C, even one Python dropped
    # The lock is waited for before the signals are held: Ctrl-C while another run held it was
    # ignored until it was let go, and the files were then replaced (review). Interrupted here,
    # nothing is replaced.
    set_aside = {temporary_file(target, ".replaced") for target in temporaries}  # _kept_under_second_name's, journals'
    using_temporaries(set_aside)  # not another thread's run's leftovers to remove meanwhile
    with folder_locked(next(iter(temporaries)).parent):
        try:
            with signals_held():
                new = {target for target in temporaries if not os.path.lexists(target)}
                kept = {target: earlier for target in temporaries if (earlier := _kept_under_second_name(target))}
                try:
                    journals = _journals_set_aside(databases)
                    _rename_all_or_none(temporaries, kept, new, journals)
                finally:
                    for earlier in kept.values():
                        earlier.unlink(missing_ok=True)
                for journal in journals.values():
                    with contextlib.suppress(OSError):  # the files are in place: a journal left is only a leftover
                        journal.unlink()
        except Interrupted as interruption:  # delivered once every file was in place
            raise Interrupted(interruption.signal_number, done=done) from None
        except KeyboardInterrupt:  # Python's own Ctrl-C handler, a library caller's: said as done too (review)
            raise Interrupted(last_signal(), done=done) from None
        finally:
            done_with_temporaries(set_aside)


@contextlib.contextmanager
def folder_locked(folder: Path) -> Iterator[None]:
    """The folder locked (flock, advisory) against other runs' renames into it, so that two
    builds to one output each put their three files in place together: overlapping, the
    database of one was left beside the checksum and inspect file of the other (found by review).
    Held for the renames alone; where the folder cannot be opened or locked, not at all."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


# SQLite's files beside a database: a journal or WAL left by a writer that was killed belongs to
# the file being replaced, and SQLite would play it into the new one (a build "done", then a
# malformed database: found by review).
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


def _journals_set_aside(databases: Iterable[Path]) -> dict[Path, Path]:
    """The SQLite side files of each database being replaced renamed aside (to names
    remove_leftovers knows), to be removed once the targets are replaced or put back if they are
    not. Files alone: a folder so named is no journal (as a user's, it was hidden and then
    failed every later build: review), nor is anything beside an export's CSV."""
    aside: dict[Path, Path] = {}
    try:
        for target in databases:
            for suffix in SQLITE_SIDE_FILES:
                side = Path(f"{target}{suffix}")
                if side.is_symlink() or side.is_file():
                    moved = Path(f"{temporary_file(target, '.replaced')}{suffix}")
                    os.replace(side, moved)
                    aside[side] = moved
    except OSError as error:
        _put_back(aside)
        raise PapersDbError(f"{side}: cannot be removed: {error.strerror} (an earlier SQLite journal of the file being "
                            "replaced, which SQLite would play into the new one); nothing was replaced", SYSTEM) from None
    return aside


def _put_back(aside: dict[Path, Path]) -> None:
    for side, moved in aside.items():
        with contextlib.suppress(OSError):
            os.replace(moved, side)


def _kept_under_second_name(target: Path) -> Path | None:
    """A second name (a hard link) for the file at `target`, to put back if a later rename fails;
    None where there is no such file or no such link can be made."""
    earlier = temporary_file(target, ".replaced")
    try:
        os.link(target, earlier, follow_symlinks=False)  # a link named as the output is replaced itself
    except OSError:
        return None
    return earlier


def _rename_all_or_none(temporaries: dict[Path, Path], kept: dict[Path, Path], new: set[Path],
                        journals: dict[Path, Path]) -> None:
    """replace_all's renames; where one fails, those before it undone: each target `kept` gets
    its earlier file back, each `new` one (no file there before) is removed, and the `journals`
    set aside (_journals_set_aside) are put back."""
    renamed: list[Path] = []
    try:
        for target, temporary in temporaries.items():
            os.replace(temporary, target)
            renamed.append(target)
    except OSError as error:
        replaced = []  # renamed over an earlier file that could not be kept
        for target in renamed:
            if target in kept:
                os.replace(kept.pop(target), target)
            elif target in new:
                target.unlink(missing_ok=True)
            else:
                replaced.append(target)
        _put_back(journals)
        failed = next(target for target in temporaries if target not in renamed)
        said = f"{', '.join(map(str, replaced))} replaced before it" if replaced else "nothing was replaced"
        raise PapersDbError(f"{failed}: cannot be replaced: {error.strerror}; {said}", SYSTEM) from None


def remove_empty_folders(created: list[Path]) -> None:
    """Remove the folders a run made (outermost first in `created`), where they are still empty."""
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


def replaced_by_the_build(output: Path) -> str:
    """What a build had done when a signal came after its files were renamed into place."""
    return f"{output}, its .sha256 and its inspect file were replaced by the new build"


def inspect_file_for(database: Path) -> Path:
    return database.with_name(database.stem + "-inspect.json")


def inspect_text(database: Path, written: Path, sha256: str, table_counts: dict[str, int],
                 view_counts: dict[str, int]) -> str:
    """What `datasette inspect` would write for `database` (its file now at `written`), from what
    the build already knows: each table's row count and the file's hash and size, so that serving
    never counts or hashes the immutable file; and a sample of its bytes, which tells whether a
    database file is the one described. Each view's row count goes under a key of its own,
    "views", which Datasette does not read (under "tables", its database page would list views as
    tables) and the plugin does."""
    inspect = {database.stem: {
        "hash": sha256,
        "size": written.stat().st_size,
        "sample_sha256": sample_digest(written),
        "file": database.name,
        "tables": {name: {"count": count} for name, count in sorted(table_counts.items())},
        "views": {name: {"count": count} for name, count in sorted(view_counts.items())},
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


def file_sha256(path: Path, stopped: threading.Event) -> str | None:
    """The SHA-256 of the file at `path`; None once `stopped` is set, which it checks each MiB."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while (part := file.read(1 << 20)) and not stopped.is_set():
            digest.update(part)
    return None if stopped.is_set() else digest.hexdigest()


@contextlib.contextmanager
def set_on_failure(event: threading.Event) -> Iterator[None]:
    """Set `event` when the block ends by an exception (a signal's included)."""
    try:
        yield
    except BaseException:
        event.set()
        raise


def checksum_file_for(database: Path) -> Path:
    return database.with_name(database.name + ".sha256")


def refuse_unusable_path(path: Path, option: str, named: Path | None = None) -> None:
    """A path the system will not look up is the user's to change, and is refused in one line:
    a name over its limit (255 bytes on most file systems, 4,096 for a whole path), a loop of
    links, a folder on the way that cannot be searched. Path.exists() raises for these, and
    `--output` with a folder named by 300 letters ended as a bug (exit 70). `named` is the path
    the user gave, where `path` is a file the command writes beside it."""
    try:
        os.lstat(path)
        reason = None
    except (FileNotFoundError, NotADirectoryError):  # not there yet, or under a file: told where it is written
        reason = _name_over_the_limit(path)
    except OSError as error:
        reason = error.strerror
    if reason is not None:
        where = "" if named is None else f" (writing {path.name} beside it)"
        raise PapersDbError(f"{named or path}: cannot be used{where}: {reason}; give another {option}", USAGE)


def _name_over_the_limit(path: Path) -> str | None:
    """Where a path is not there yet, whether a name of it is over its file system's limit: the
    system says "not found" for the first folder missing before it looks at a longer name, so a
    name of 300 bytes in a folder still to be made was refused only after the folder was made
    (and left behind), with exit status 3 (found by review)."""
    existing = path.absolute().parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        limit = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255  # most file systems'
    if any(len(os.fsencode(part)) > limit for part in path.absolute().relative_to(existing).parts):
        return os.strerror(errno.ENAMETOOLONG)
    return None


def refuse_unusable_output(output: Path) -> None:
    """The database's path and those of the files a build writes beside it: its checksum, its
    inspect file and their temporary files, whose names are up to 25 bytes longer (refuse_unusable_path)."""
    refuse_unusable_path(output, "--output")
    for beside in (checksum_file_for(output), inspect_file_for(output),
                   *(temporary_file(output, kind) for kind in TEMPORARY_KINDS)):
        refuse_unusable_path(beside, "--output", named=output)


def refuse_special_file(path: Path) -> None:
    """A build replaces its outputs with regular files, so a device, FIFO or folder in their place
    (`--output /dev/full`) is refused rather than replaced."""
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise PapersDbError(f"{path}: is {kind}, where a file is to be written; give another --output", USAGE)


def refuse_to_replace_another_file(output: Path) -> None:
    """A build replaces a papers-db database only: any other file at --output is the user's. (A
    link is replaced itself, its target left as it is.)"""
    if not output.is_symlink() and output.is_file() and (reason := what_else_the_file_is(output)) is not None:
        raise PapersDbError(f"{output}: already exists and {reason}; a build would replace it: give another --output, "
                            "or remove the file first", USAGE)


def ensure_output_folder(output: Path) -> list[Path]:
    """Create the output's folder, or say in one line why the database cannot be written there;
    the folders it made, outermost first."""
    try:
        str(output).encode("utf-8")
    except UnicodeEncodeError:  # SQLite takes file names as UTF-8
        shown = os.fsencode(output).decode("utf-8", "backslashreplace")  # printable, the bad bytes as \xNN
        raise PapersDbError(f"{shown}: the output path is not valid UTF-8; give another --output", USAGE) from None
    created = ensure_folder(output.parent, output)
    if output.is_dir():
        raise PapersDbError(f"{output}: is a folder; give the database file's path", USAGE)
    return created


def ensure_folder(folder: Path, target: Path | None = None) -> list[Path]:
    """Create `folder` (and its parents), or say in one line why `target` (a file in it, or the
    folder itself) cannot be written there; the folders it made, outermost first."""
    target = target or folder
    refuse_unusable_path(target, "--output")
    blocker = next((p for p in [folder, *folder.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise PapersDbError(f"{blocker}: is a file, not a folder" + ("" if blocker == target else f": cannot write {target}"), USAGE)
    missing = [p for p in reversed([folder, *folder.parents]) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PapersDbError(f"{folder}: cannot create the output folder: {error.strerror}", USAGE) from None
    if not os.access(folder, os.W_OK):
        raise PapersDbError(f"{folder}: output folder is not writable", USAGE)
    return missing


TEMPORARY_KINDS = ("", ".sha256", ".inspect", ".staging", ".related", ".fts", ".replaced")  # see temporary_file


def temporary_file(output: Path, kind: str) -> Path:
    """Where this process writes the build's file of `kind` (TEMPORARY_KINDS) for `output`: named
    after the process, and after the thread where that is not the main one. Two builds to one
    output from two threads of a notebook wrote the same files, and each failed ("table sources
    already exists", "database is locked"; found by review)."""
    thread = "" if threading.current_thread() is threading.main_thread() else f"-{threading.get_native_id()}"
    return output.with_name(f".{output.name}{kind}.tmp-{os.getpid()}{thread}")


# The temporary files this process's builds and exports are writing now (a notebook may run two,
# in two threads), each as the file it is (os.path.realpath): a relative folder, "d/../d" or a
# link to the folder named another's files otherwise, and one run removed the other's (review).
_temporaries_in_use: set[str] = set()


def using_temporaries(paths: Iterable[Path]) -> None:
    _temporaries_in_use.update(os.path.realpath(path) for path in paths)


def done_with_temporaries(paths: Iterable[Path]) -> None:
    _temporaries_in_use.difference_update(os.path.realpath(path) for path in paths)


def is_in_use(path: Path) -> bool:
    """Whether one of this process's builds or exports writes `path` now (its journal too)."""
    name = path.name
    for suffix in ("-journal", "-wal", "-shm"):
        name = name.removesuffix(suffix)
    return os.path.realpath(path.with_name(name)) in _temporaries_in_use


def remove_leftovers(output: Path) -> None:
    """Temporary files of builds that were killed before they could rename into place.

    A temporary file is named after the process writing it (and its thread); one whose process
    is still running belongs to a concurrent build and is left alone. Only names temporary_file makes (and
    SQLite's journals beside them) are removed: any `.papers.db*.tmp-*` was, a user's
    `.papers.db-notes.tmp-keep` too.
    """
    kinds = "|".join(re.escape(kind) for kind in TEMPORARY_KINDS)
    ours = re.compile(rf"\.{re.escape(output.name)}(?:{kinds})\.tmp-(\d+)(?:-\d+)?(?:-journal|-wal|-shm)?")
    for leftover in output.parent.glob(f".{glob.escape(output.name)}*.tmp-*"):  # a name may hold [ or *
        found = ours.fullmatch(leftover.name)
        if found is None:
            continue
        # This process's own, where no build of it writes them now: left by one it ran before.
        mine = int(found.group(1)) == os.getpid() and not is_in_use(leftover)
        if mine or not _process_is_running(int(found.group(1))):
            with contextlib.suppress(IsADirectoryError, PermissionError):  # a folder so named is no build's file
                leftover.unlink(missing_ok=True)


def _process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
