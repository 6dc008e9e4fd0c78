"""The `papers-db` command: parse arguments, call the library, print. No logic of its own."""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import enum
import errno
import functools
import json
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import typer

try:  # typer 0.29 and later carry their own copy of click
    from typer._click import exceptions as click_errors
except ImportError:
    from click import exceptions as click_errors
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar
from rich.table import Table

from .command import asks_for_json
from .database import check_built_database, count_as_datasette_will, schema_version
from .errors import BAD_INPUT, BUG, SYSTEM, USAGE, Interrupted, PapersDbError, last_signal_received, signals_held, signals_interrupt
from .export import FORMAT_NAMES, export_files, exported_into, files_of_other_exports
from .load import replaced_by_the_build
from .pipeline import (
    BuildReport,
    FileSummary,
    Progress,
    build_database,
    check_sources,
    collector_paused,
    refuse_no_readable_listing,
)
from .records import ParseIssue
from .serve import (
    datasette_serve_args,
    host_and_port,
    plain_datasette_command,
    refuse_an_address_not_free,
    run_server,
    server_command,
)

ExportFormat = enum.StrEnum("ExportFormat", {name: name for name in FORMAT_NAMES})  # "jsonl" too, as its files
DEFAULT_SOURCES = Path("sources")
DEFAULT_OUTPUT = Path("dist") / "papers.db"
WARNINGS_SHOWN = 20  # parse issues printed in full; the rest are counted
MAX_WORKERS = 64  # server processes; each holds its own SQLite page cache and Python

# No command's help said what its status means (found by review): README's table, in short.
EXIT_STATUSES = ("Exit status: 0 done; 1 bad input (sources that cannot be read or hold no listing, parse issues under "
                 "build --strict, unaccounted lines in check, two papers whose ids collide, a damaged or foreign database or "
                 "one of another schema version); 2 usage (a path, option, "
                 "manifest, metadata.yml or output the command cannot use, an address serve cannot listen on, parquet "
                 "without pyarrow); 3 the system failed the run (disk full, I/O error, a helper process killed), nothing "
                 "replaced; 70 a bug (--debug shows its traceback); 128+N ended by signal N (130 Ctrl-C, 143 SIGTERM, "
                 "129 SIGHUP, 131 Ctrl-\\ (SIGQUIT); 141 the reader of the output went away); serve stopped by Ctrl-C "
                 "ends with 0, and with several workers by SIGTERM, SIGQUIT or SIGHUP too.")


app = typer.Typer(
    help="Build and serve papers-db: machine-learning paper listings as one searchable SQLite file.",
    epilog=EXIT_STATUSES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Markdown joins a docstring's lines into paragraphs that fit the terminal; typer's "rich"
    # mode keeps every line break, so 100-column lines broke in two on an 80-column terminal.
    rich_markup_mode="markdown",
)


class Output(Console):
    """A console whose reader went away (`| head`, quitting `less`) ends the command as
    one_line_errors ends it: quietly, with the status of SIGPIPE. rich's own ending was exit 1,
    which says "bad input", after the files were written."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


class ProgressOutput(Console):
    """Progress and warnings whose reader went away (`2>&1 | head`) end nothing: the command
    goes on without them and ends as a results' reader gone ends it, quietly with the status of
    SIGPIPE, the files written (README). It ended the build with status 3, "nothing was
    replaced", in a line nobody could read (found by review)."""

    gone = False  # its reader went away

    def on_broken_pipe(self) -> None:
        self.quiet = self.gone = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), self.file.fileno())  # Python's own last words too


# Progress, warnings and errors go to stderr; results (reports, findings, files written) to
# stdout, so `papers-db build | cat` or `> report.txt` keeps the results and only them. Neither
# console turns :name: into emoji or guesses colours, so file names and titles print as they are.
console = ProgressOutput(stderr=True, emoji=False, highlight=False)
# On a terminal, tables fit its width; piped, rich would cut them at 80 columns, so any width goes.
results = Output(emoji=False, highlight=False, width=None if sys.stdout is not None and sys.stdout.isatty() else 100_000)
show_tracebacks = False  # --debug
interruption_reported = False  # one_line_errors said how a signal ended the command
work_done: str | None = None  # what the command had put in place, for a signal that comes after it returned
json_started = False  # a JSON document has begun on stdout: a failure after it adds no second one
failure_status: int | None = None  # the status of a failure one_line_errors has told: a signal after it adds nothing

# Shown after a flag in place of typer's "<bool>", as if it took a value: `--strict true` then
# read "true" as a source.
FLAG = ""
JsonOption = typer.Option(False, "--json", metavar=FLAG, help="Print the report as JSON on stdout (progress and warnings stay on stderr).")
# Text, not Paths: Path("") is ".", and `build "$SRC"` with $SRC unset read the working folder.
# (As text, typer checks nothing: the build says in its own line that a source cannot be read.)
PathsArgument = typer.Argument(
    None,
    help="Source files or folders (every file directly in a folder is read, not hidden ones or subfolders). Default: ./sources/.",
    show_default=False,
    metavar="<path>",
)


def shown(text: str) -> str:
    """Text for the terminal, one line, as given: markup escaped for rich, and every character
    Python calls unprintable (a line break, ESC, a control code) written as its escape. A file
    named with a line break split a one-line warning in two, and one with ESC sequences drove
    the terminal."""
    return escape("".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text))


def counted(number: int, noun: str) -> str:
    """`1 file`, `2 files`: "1 files" read as a slip."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def error_line(message: str) -> None:
    console.print(f"[bold red]error:[/] {shown(message)}", highlight=False, soft_wrap=True)


def failure_json(message: str, status: int, files: list[FileSummary] | None = None) -> None:
    """A failure under --json as one JSON object on stdout, so that a program reading the report
    reads why there is none (it met an empty stdout: "Expecting value"); with the files' parse
    issues where they are the reason. Nothing where the report has begun (a signal while it
    printed): stdout holds one object, never two."""
    if json_started:
        return
    document = {"error": message, "exit_status": status}
    if files is not None:
        document |= {"parse_issues": sum(len(file.issues) for file in files), "files": [file_json(file) for file in files]}
    try:
        print_json(document)  # the shape of command.json_failure, and of the report's files
        sys.stdout.flush()
    except OSError:  # no reader (`| head` gone) or no room (`> /dev/full`): the stderr line says it all
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def put_in_place(what: str | None) -> None:
    """Note what the command has put in place (`what`, None as it starts): a signal from then on
    ends it saying so (one_line_errors, and main once the command has returned)."""
    global work_done
    work_done = what


def one_line_errors(command):
    """Every way a command can fail ends as one line on stderr and an exit status (README):
    the project's own errors, an interruption by Ctrl-C, SIGTERM or SIGHUP, and, for a bug, the
    exception's name and message (its traceback with --debug). Under --json, the same failure is
    also one JSON object on stdout (failure_json)."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        as_json = kwargs.get("as_json", False)

        def failed(message: str, status: int, files: list[FileSummary] | None = None) -> None:
            global failure_status
            with signals_held():  # the line and the object both: a signal meanwhile comes once they are written
                failure_status = status
                error_line(message)
                if as_json:
                    failure_json(message, status, files)
            raise typer.Exit(status)

        def interrupted(interruption: KeyboardInterrupt) -> None:
            global interruption_reported
            interruption_reported = True
            ending = interruption if isinstance(interruption, Interrupted) else Interrupted()
            done = ending.done or work_done
            failed(f"interrupted by {ending}" + (f" once the work was done: {done}" if done else ""), ending.exit_status)

        put_in_place(None)
        try:
            done = command(*args, **kwargs)
            if console.gone:
                raise BrokenPipeError(errno.EPIPE, "the reader of the progress went away")
            return done
        except typer.Exit:
            raise
        except BrokenPipeError:
            # The reader of stdout stopped reading (`... --json | head`): as other Unix tools do,
            # stop quietly with the status of SIGPIPE; Python would complain again at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(128 + signal.SIGPIPE) from None
        except PapersDbError as error:
            failed(str(error), error.exit_status, error.files)
        except KeyboardInterrupt as interruption:
            if show_tracebacks:  # where the signal came, then the line and status of an interruption
                traceback.print_exception(interruption)
            interrupted(interruption)
        except Exception as error:
            if show_tracebacks:
                # Printed here, then the line and status: raised on, it reached main, which took an
                # OSError for the help's own output ("the help could not be written"), and told an
                # interruption without its traceback (found by review).
                traceback.print_exception(error)
            interruption = interruption_within(error)
            if interruption is not None:  # a signal's, reported as raised over
                interrupted(interruption)
            failed(f"unexpected {type(error).__name__}: {' '.join(str(error).split())} "
                   f"(a bug: please report it with the output of --debug)", BUG)

    return run


def print_version(asked: bool) -> None:
    if asked:
        results.print(f"papers-db {version('papers-db')} (builds database schema version {schema_version()})")
        raise typer.Exit()


@app.callback()
def options(
    debug: bool = typer.Option(False, "--debug", metavar=FLAG, help=(
        "On an unexpected error (a bug) or an interruption, show its Python traceback too, for a bug report; "
        "goes before the command.")),
    # What a bug report needs beside --debug; the version a database was built by is in its build_info table.
    show_version: bool = typer.Option(False, "--version", metavar=FLAG, is_eager=True, callback=print_version,
                                      help="Show the package's version and the schema version it builds, and exit."),
) -> None:
    """Build and serve papers-db: machine-learning paper listings as one searchable SQLite file."""
    global show_tracebacks
    show_tracebacks = debug


def progress_bar() -> ProgressBar:
    """A bar on a terminal; nothing when stderr is a file or a pipe, where it would only add noise."""
    return ProgressBar(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                       console=console, transient=True, disable=not console.is_terminal)


class ProgressDisplay:
    """A progress bar while files are read, and each parse issue as a warning (the first few)."""

    def __init__(self, bar: ProgressBar) -> None:
        self.bar = bar
        self.task = bar.add_task("Reading sources", total=None)
        self.building = False
        self.issues = 0

    def __call__(self, event: Progress) -> None:
        if event.step == "reading":
            self.bar.update(self.task, description=f"Reading {shown(event.name)}", total=event.total)
        elif event.step == "read":
            self.bar.update(self.task, completed=event.done, total=event.total)
            self.warn(event.summary)
        elif event.step == "building":
            # A task of its own, with no total: the bar pulses, as the steps' lengths are unknown.
            # (update(total=None) leaves the total as it was, and the bar stood at 100%.)
            if not self.building:
                self.bar.remove_task(self.task)
                self.task, self.building = self.bar.add_task("", total=None), True
            self.bar.update(self.task, description=event.name[:1].upper() + event.name[1:])
        elif event.step == "issue":
            self.warn_one(event.name, event.issue)
        elif event.step == "skipped":  # not a parse issue: nothing of it was read
            console.print(f"[yellow]warning:[/] {shown(f'{event.name}: {event.issue.message} [{event.issue.code}]')}",
                          highlight=False, soft_wrap=True)

    def warn(self, file: FileSummary) -> None:
        for issue in file.issues:
            self.warn_one(file.name, issue)

    def warn_one(self, file_name: str, issue: ParseIssue) -> None:
        self.issues += 1
        if self.issues <= WARNINGS_SHOWN:
            where = f"{file_name}:{issue.line}" if issue.line else file_name
            console.print(f"[yellow]warning:[/] {shown(f'{where}: {issue.message} [{issue.code}]')}",
                          highlight=False, soft_wrap=True)

    def finish(self) -> None:
        if self.issues > WARNINGS_SHOWN:
            console.print(f"[yellow]warning:[/] ... and {counted(self.issues - WARNINGS_SHOWN, 'more parse issue')}",
                          highlight=False)


FILES_TABLE_MIN_WIDTH = 76  # columns the table needs with a file name folded to 12 characters


def files_table(title: str, files: list[FileSummary], width: int | None = None) -> Table | str:
    """The files read, a row each: a table, or on a terminal narrower than FILES_TABLE_MIN_WIDTH
    a line each (a table there lost its file names, and then its last column: reviews)."""
    if width is not None and width < FILES_TABLE_MIN_WIDTH:
        return "\n".join([title, *(f"{shown(file.name)}: {shown(file.format or '-')}, {counted(file.lines, 'line')}, "
                                   f"{counted(file.records, 'record')}, {counted(len(file.issues), 'issue')}, "
                                   f"{len(file.unaccounted)} unaccounted" for file in files)])
    table = Table(title=title, title_justify="left")
    for column in ("file", "format", "lines", "records", "issues", "unaccounted"):
        # A long file name folds onto more lines, the format's name whole (`hf_daily_p…` at 80
        # columns: review).
        table.add_column(column, justify="left" if column in ("file", "format") else "right",
                         overflow="fold" if column == "file" else "ellipsis", no_wrap=column != "file")
    for file in files:
        unaccounted = str(len(file.unaccounted)) if not file.unaccounted else f"[red]{len(file.unaccounted)}[/]"
        table.add_row(shown(file.name), shown(file.format or "-"), str(file.lines), str(file.records), str(len(file.issues)),
                      unaccounted)
    return table


def file_json(file: FileSummary) -> dict:
    return dataclasses.asdict(file)


def build_json(report: BuildReport) -> dict:
    return {"output": str(report.output), "sha256": report.sha256, "papers": report.papers, "listings": report.listings,
            "parse_issues": report.parse_issues, "files": [file_json(file) for file in report.files]}


def print_json(document: dict) -> None:
    """One JSON document on stdout, written out at once: encoded before anything is written (a
    signal while it was encoded left stdout empty), then flushed (a signal after the command
    ends it with os._exit, which drops what Python still holds for a pipe or a file)."""
    global json_started
    # Where stdout cannot encode a character (a Latin-1 locale), JSON's own escape writes it.
    ascii_only = codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name != "utf-8"
    text = json.dumps(document, indent=2, ensure_ascii=ascii_only)
    with signals_held():  # a document begun is written whole: a signal meanwhile (a slow pipe) comes once it is
        json_started = True
        print(text, flush=True)


@contextlib.contextmanager
def default_sources_named(paths: list[str]) -> Iterator[None]:
    """Where no path was given and the default folder ./sources/ is not there, the error says it
    was the default and where it was looked for: run elsewhere, `papers-db build` said only
    "sources: no such file or folder". Raised where the library finds it (PapersDbError.missing),
    after the output's own checks, as with a path given."""
    try:
        yield
    except PapersDbError as error:
        if paths or error.missing != DEFAULT_SOURCES:
            raise
        try:
            here = f" ({Path.cwd()})"
        except OSError:  # a working folder removed since
            here = ""
        raise PapersDbError(f"{DEFAULT_SOURCES}: no such folder here{here}, which is where the sources are read from "
                            "when no path is given; give the sources' files or folders", USAGE) from None


@app.command(epilog=EXIT_STATUSES)
@one_line_errors
def build(
    paths: list[str] = PathsArgument,
    # Text, not a Path: a Path drops the slash of `-o newdir/`, which names a folder (build_database).
    output: str = typer.Option(str(DEFAULT_OUTPUT), "--output", "-o", metavar="<path>", help=(
        "Database file to write: new, empty, or an earlier papers-db build (any other file is refused, not replaced).")),
    strict: bool = typer.Option(False, "--strict", metavar=FLAG, help="Fail (exit 1) if any parse issue is found."),
    related: bool = typer.Option(
        True, "--related/--no-related", metavar=FLAG,
        help="Find each paper's related papers (the slowest step on large corpora; "
             "--no-related leaves the related_papers table empty).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Parse every source file into one SQLite database (default dist/papers.db).

    The file is written beside the target and renamed into place only when complete, so an
    interrupted build never leaves a half-written database. A SHA-256 of the result is written
    to the same path with .sha256 added (dist/papers.db.sha256), and the row counts Datasette
    reads at startup to its inspect file (dist/papers-inspect.json); both are replaced with it.
    """
    with progress_bar() as bar, collector_paused():  # the command's own process: see collector_paused
        display = ProgressDisplay(bar)
        with default_sources_named(paths):
            report = build_database(paths or [DEFAULT_SOURCES], output, strict=strict, related=related, progress=display)
        # A signal from here on cuts the report short, not the build.
        put_in_place(replaced_by_the_build(report.output))
    display.finish()
    with results_written(f"{replaced_by_the_build(report.output)}, but the report"):
        print_build_report(report, as_json)


@contextlib.contextmanager
def results_written(what: str):
    """Results standard output cannot take (`> /dev/full`) end in one line saying `what` could not
    be written, not as a bug's exit 70: a build's files were already in place. A reader that
    stopped reading (`| head`) is left to one_line_errors, which ends quietly."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise PapersDbError(f"{what} could not be written to standard output: {error.strerror}", SYSTEM) from None


def print_build_report(report: BuildReport, as_json: bool) -> None:
    if as_json:
        print_json(build_json(report))
        return
    results.print(files_table("Sources read", report.files, results.width))
    results.print(
        f"[green]built[/] {shown(str(report.output))}: {counted(len(report.files), 'file')}, "
        f"{counted(report.listings, 'listing')}, {counted(report.papers, 'paper')}, "
        f"{counted(report.parse_issues, 'parse issue')} (sha256 {report.sha256[:12]}…)",
        highlight=False,
        soft_wrap=True,
    )


@app.command(epilog=EXIT_STATUSES)
@one_line_errors
def check(paths: list[str] = PathsArgument, as_json: bool = JsonOption) -> None:
    """Read and validate sources without writing a database.

    Prints, per file, its lines, records, parse issues and lines accounted for by nothing
    (the goal is none). Exits 1 if any line is unaccounted for, or if no file holds a listing
    (which `build` refuses).
    """
    with progress_bar() as bar:
        display = ProgressDisplay(bar)
        with default_sources_named(paths):
            files = check_sources(paths or [DEFAULT_SOURCES], progress=display)
    display.finish()
    missing = [(file.name, n) for file in files for n in file.unaccounted]
    if as_json:  # the failure's object, with the files, as `build --json` prints it: stdout holds one object
        refuse_no_readable_listing(files)
    with results_written("the report"):
        if as_json:
            print_json({"files": [file_json(file) for file in files], "unaccounted": len(missing)})
        else:
            results.print(files_table("Line accounting", files, results.width))
            for name, number in missing[:20]:
                results.print(f"[red]unaccounted:[/] {shown(name)}:{number}", soft_wrap=True)
    if missing:
        raise typer.Exit(BAD_INPUT)
    refuse_no_readable_listing(files)


@app.command(epilog=EXIT_STATUSES)
@one_line_errors
def serve(
    # Text, not a Path: Path("") is ".", and `--db ""` (an unset $DB) was told ".: is a folder".
    database: str = typer.Option(str(DEFAULT_OUTPUT), "--db", metavar="<path>", help=(
        "Database file to serve. Its name must be papers.db: Datasette names the database after the file, and "
        "metadata.yml describes one called papers.")),
    port: int = typer.Option(8001, "--port", "-p", min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    workers: int = typer.Option(
        min(os.cpu_count() or 1, MAX_WORKERS), "--workers", "-w", min=1, max=MAX_WORKERS,
        help="Server processes over the same file (default: one per core). 1 runs plain `datasette serve`.",
    ),
) -> None:
    """Serve the database read-only in Datasette on http://HOST:PORT/.

    The file is opened immutable (-i), so Datasette never writes to it and offers it for
    download; metadata.yml supplies descriptions, queries and facets. Nothing is written beside
    the database. Prints the equivalent plain `datasette` command first.
    """
    check_built_database(database)
    database = Path(database)
    if database.stem != DEFAULT_OUTPUT.stem:
        # Datasette names a database after its file, and metadata.yml describes one named "papers".
        raise PapersDbError(
            f"{database}: Datasette would call this database {database.stem!r}, which metadata.yml does not describe; "
            f"serve a file named {DEFAULT_OUTPUT.name} (build it with --output DIR/{DEFAULT_OUTPUT.name})", USAGE)
    refuse_an_address_not_free(host, port)
    args = datasette_serve_args(database, port, host)
    if "--inspect-file" not in args:
        count_as_datasette_will(database)
    command, environment = server_command(args, host, port, workers)
    console.print(f"The same site in one process: {shown(plain_datasette_command(args))}", highlight=False,
                  soft_wrap=True)
    console.print(f"Serving {shown(str(database))} at http://{host_and_port(host, port)}/ with {workers} worker(s) (Ctrl+C to stop)",
                  highlight=False, soft_wrap=True)
    run_server(command, environment)


@app.command("export", epilog=EXIT_STATUSES)
@one_line_errors
def export(
    database: str = typer.Option(str(DEFAULT_OUTPUT), "--db", metavar="<path>", help="Database file to export."),
    # Text, not a Path: Path("") is ".", and `-o ""` wrote every file into the working folder.
    folder: str = typer.Option(str(DEFAULT_OUTPUT.parent / "export"), "--output", "-o", metavar="<folder>",
                               help="Folder for the files."),
    # A choice, so that `--format xml` is refused by its name and `--format CSV` is read as csv.
    file_format: ExportFormat = typer.Option("parquet", "--format", "-f", case_sensitive=False, help="Format of the files."),
) -> None:
    """Export every table and view, one file each, with real types.

    parquet (needs the `parquet` extra; zstd): dates as dates, integers as integers, JSON arrays
    as lists. csv: values as stored. json: JSON Lines (.jsonl), one object a line, arrays as lists.
    """
    write_exports(database, folder, file_format.value)


# Hidden: `export` (Parquet by default) replaced it; it stays for the scripts that call it.
@app.command("export-parquet", hidden=True, epilog=EXIT_STATUSES)
@one_line_errors
def export_parquet(
    database: str = typer.Option(str(DEFAULT_OUTPUT), "--db", metavar="<path>", help="Database file to export."),
    folder: str = typer.Option(str(DEFAULT_OUTPUT.parent / "parquet"), "--output", "-o", metavar="<folder>",
                               help="Folder for the .parquet files."),
) -> None:
    """The same as `export --format parquet`, into dist/parquet/ by default (kept for old scripts)."""
    write_exports(database, folder, "parquet")


def write_exports(database: str, folder: str, file_format: str) -> None:
    with progress_bar() as bar:  # 2 s with no word at 30,000 papers, growing with them
        task = bar.add_task("Exporting", total=None)

        def show(name: str, done: int, total: int) -> None:
            bar.update(task, description=f"Exporting {shown(name)}", completed=done, total=total)

        written = export_files(database, folder, file_format, progress=show)
    put_in_place(exported_into(folder))  # a signal from here on cuts their list short, not the export
    with results_written(f"the files were written into {folder}, but their list"):
        for path in written:
            results.print(f"wrote {shown(str(path))} ({path.stat().st_size:,} bytes)", soft_wrap=True)
    if others := files_of_other_exports(folder, written):
        named = ", ".join(shown(path.name) for path in others[:OTHER_EXPORTS_NAMED])
        more = f" and {len(others) - OTHER_EXPORTS_NAMED:,} more" if len(others) > OTHER_EXPORTS_NAMED else ""
        console.print(f"[yellow]warning:[/] {shown(str(folder))} also holds {counted(len(others), 'file')} this export did "
                      f"not write ({named}{more}): an earlier export's, in another format, not brought up to date",
                      soft_wrap=True)


OTHER_EXPORTS_NAMED = 5


def run_app(stdout_before: tuple[int, int] | None) -> int | None:
    """The command typer runs, its failures of usage and of typer's own output each told in one
    line; its exit status."""
    try:
        # Not standalone: click's usage errors come here, to be told in one line.
        status = app(standalone_mode=False)
    except OSError as error:
        # Only text typer writes itself (the help) or the version gets here (each command's own failures
        # end in one_line_errors): `--help > /dev/full` ended in a 45-line traceback.
        asked = next((word for word in sys.argv[1:] if word in ("--help", "--version")), "--help")  # none: the help
        error_line(f"the {asked[2:]} could not be written to standard output: {error.strerror}")
        sys.exit(SYSTEM)
    except click_errors.ClickException as error:
        usage_error(error)
    except SystemExit as ending:
        # The reader of typer's help went away (`--help | head`): click's and rich's own handlers
        # end with 1, "bad input", having put something else in standard output's place. As with
        # results, quietly, with SIGPIPE's status. Any other exit stays as it is.
        if ending.code != 1 or not standard_output_replaced(stdout_before):
            raise
        status = 128 + signal.SIGPIPE
    except (KeyboardInterrupt, Exception) as error:  # a signal while typer made the command from its functions
        interruption = interruption_within(error)
        if interruption is None:
            raise
        if show_tracebacks:
            traceback.print_exception(error)
        status = interrupted_before_the_command(getattr(interruption, "signal_number", signal.SIGINT))
    return status


def main() -> None:
    if sys.stdout is None:
        # Started with standard output closed (`>&-`): results would have nowhere to go, and a
        # build found that out only after replacing the database.
        if sys.stderr is not None:
            print("error: standard output is closed: the results have nowhere to go (send them to /dev/null "
                  "to drop them)", file=sys.stderr)
        sys.exit(USAGE)
    # A terminal whose locale cannot show a character (Latin-1: `…` in the build's last line)
    # ended a build whose files were in place with a bug's exit 70 (found by review): such a
    # character is written as Python escapes it (`\u2026`).
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    stdout_before = file_identity(sys.stdout)
    status = None
    try:
        with signals_interrupt():
            status = run_app(stdout_before)
    except Interrupted:
        # A signal as the block began or ended, around the command: its handler raised, and nothing
        # caught it (CI: a traceback with status 1, 1 of 12 SIGQUITs just after an export's last
        # file). It is noted (last_signal_received), and told below as one after the command.
        pass
    if failure_status is not None:  # told, with its status: a signal after it (typer's silent 130) changes nothing
        status = failure_status
    elif not interruption_reported and (ending := last_signal_received()) is not None:
        # A signal while typer read the arguments: it ended the command with a silent 130, SIGTERM
        # too. Or one as the command returned, noted but not raised (signals_interrupt): it is told
        # as an interruption once the work was done, as one while the report printed is.
        status = interrupted_before_the_command(ending)
    sys.exit(status or 0)


def interruption_within(error: BaseException) -> KeyboardInterrupt | None:
    """The interruption an exception was raised over, if any: Python 3.11 reports an exception
    raised while a class is made (a signal's Interrupted, as typer first imported pydantic 0.12-0.32 s
    into a command) as a RuntimeError from `__set_name__`, and a 68-line traceback ended the
    command (found by review)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def file_identity(stream) -> tuple[int, int] | None:
    """Which file a stream writes to (device and inode), or None where it has no file."""
    try:
        found = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return found.st_dev, found.st_ino


def standard_output_replaced(before: tuple[int, int] | None) -> bool:
    """Whether a broken-pipe handler took standard output's place: rich puts /dev/null on its file,
    click wraps the stream."""
    return type(sys.stdout).__name__ == "PacifyFlushWrapper" or file_identity(sys.stdout) != before


def interrupted_before_the_command(signal_number: int) -> int:
    """Say that a signal ended the command before it began, or after it returned (then what it
    had put in place, and only where one_line_errors has not said it already); the exit status
    it gives."""
    global interruption_reported
    if interruption_reported:  # a second signal, after the first was told: the line was printed twice
        return 128 + signal_number
    interruption_reported = True
    message = f"interrupted by {signal.Signals(signal_number).name}" + (
        f" once the work was done: {work_done}" if work_done else "")
    error_line(message)
    if asks_for_json(sys.argv[1:]):
        failure_json(message, 128 + signal_number)
    return 128 + signal_number


def command_path_given(arguments: list[str]) -> str:
    """The command as the user typed it (`papers-db build`), as click names it, for a usage error
    click raised with no context: `build -o` with no value after it."""
    command = next((word for word in arguments[1:] if not word.startswith("-")), None)
    program = os.path.basename(arguments[0]) if arguments else "papers-db"
    names = {found.name or found.callback.__name__.replace("_", "-") for found in app.registered_commands}  # as typer names them
    return f"{program} {command}" if command in names else program


TOP_LEVEL_OPTIONS = ("--debug", "--version")  # the program's own options (options()), not a command's


def top_level_option_after_the_command(error: click_errors.ClickException, context) -> bool:
    """Whether click refused one of the program's own options given after the command, and not
    before it too (`--debug build --debug` has it where it goes already)."""
    if not (isinstance(error, click_errors.NoSuchOption) and error.option_name in TOP_LEVEL_OPTIONS and context):
        return False
    words = sys.argv[1:]
    command = next((index for index, word in enumerate(words) if not word.startswith("-")), len(words))
    return error.option_name not in words[:command]


def usage_error(error: click_errors.ClickException) -> None:
    """A usage error in one line, as every other error: `--port 70000` and `--bogus` were six lines,
    the usage, a hint and the message boxed. Without arguments, the help is printed already."""
    if type(error).__name__ != "NoArgsIsHelpError":
        context = getattr(error, "ctx", None)
        command_path = context.command_path if context is not None else command_path_given(sys.argv)
        # typer 0.29 checks values with pydantic, whose message for a choice begins "Value error, ".
        message = " ".join(error.format_message().removeprefix("Value error, ").replace(": Value error, ", ": ").split())
        if top_level_option_after_the_command(error, context):
            # `papers-db build --debug`: the option is the program's, before the command (review).
            # click's own "Possible options: --json" would say the opposite, so it is left out.
            program, _, command = command_path.rpartition(" ")
            asked = f"{program} --debug {command} ..." if error.option_name == "--debug" else f"{program} --version"
            message = f"No such option: {error.option_name} ({error.option_name} goes before the command: {asked})"
        else:
            message += f" (see {command_path} --help)"
        error_line(message)
        if asks_for_json(sys.argv[1:]):  # `build --json --bogus`: click stopped before the command ran
            failure_json(message, error.exit_code)
    sys.exit(error.exit_code)
