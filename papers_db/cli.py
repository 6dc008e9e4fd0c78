"""The `papers-db` command: parse arguments, call the library, print. No logic of its own."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as ProgressBar
from rich.table import Table

from .database import check_built_database
from .errors import BAD_INPUT, BUG, Interrupted, PapersDbError, signals_interrupt
from .export import export_parquet_files
from .pipeline import FileSummary, Progress, build_database, check_sources
from .serve import datasette_serve_args, prepare_serving

DEFAULT_SOURCES = Path("sources")
DEFAULT_OUTPUT = Path("dist") / "papers.db"
WARNINGS_SHOWN = 20  # parse issues printed in full; the rest are counted

app = typer.Typer(
    help="Build and serve papers-db: machine-learning paper listings as one searchable SQLite file.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)
show_tracebacks = False  # --debug

PathsArgument = typer.Argument(
    None,
    help="Source files or folders (every file in a folder is read). Default: ./sources/.",
    show_default=False,
)


def fail(message: str, status: int) -> None:
    say_error(message)
    raise typer.Exit(status)


def say_error(message: str) -> None:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def one_line_errors(command):
    """Every way a command can fail ends as one line on stderr and an exit status (README):
    the project's own errors, an interruption by Ctrl-C, SIGTERM or SIGHUP, and, for a bug, the
    exception's name and message (its traceback with --debug)."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except PapersDbError as error:
            fail(str(error), error.exit_status)
        except KeyboardInterrupt as interruption:
            if show_tracebacks:
                raise
            ending = interruption if isinstance(interruption, Interrupted) else Interrupted()
            fail(f"interrupted by {ending}", ending.exit_status)
        except Exception as error:
            if show_tracebacks:
                raise
            fail(f"unexpected {type(error).__name__}: {' '.join(str(error).split())} "
                 f"(a bug: please report it with the output of --debug)", BUG)

    return run


@app.callback()
def options(
    debug: bool = typer.Option(False, "--debug", help="On an error, show its Python traceback too (for a bug report)."),
) -> None:
    """Build and serve papers-db: machine-learning paper listings as one searchable SQLite file."""
    global show_tracebacks
    show_tracebacks = debug


def progress_bar() -> ProgressBar:
    """A bar on a terminal; nothing when stderr is a file or a pipe, where it would only add noise."""
    return ProgressBar(console=console, transient=True, disable=not console.is_terminal)


class ProgressDisplay:
    """A progress bar while files are read, and each parse issue as a warning (the first few)."""

    def __init__(self, bar: ProgressBar) -> None:
        self.bar = bar
        self.task = bar.add_task("Reading sources", total=None)
        self.issues = 0

    def __call__(self, event: Progress) -> None:
        if event.step == "reading":
            self.bar.update(self.task, description=f"Reading {escape(event.name)}", total=event.total)
        elif event.step == "read":
            self.bar.update(self.task, completed=event.done, total=event.total)
            self.warn(event.summary)
        elif event.step == "building":
            self.bar.update(self.task, description="Building papers, indexes and full-text search")

    def warn(self, file: FileSummary) -> None:
        for issue in file.issues:
            self.issues += 1
            if self.issues <= WARNINGS_SHOWN:
                where = f"{file.name}:{issue.line}" if issue.line else file.name
                console.print(f"[yellow]warning:[/] {escape(f'{where}: {issue.message} [{issue.code}]')}",
                              highlight=False, soft_wrap=True)

    def finish(self) -> None:
        if self.issues > WARNINGS_SHOWN:
            console.print(f"[yellow]warning:[/] ... and {self.issues - WARNINGS_SHOWN} more parse issues",
                          highlight=False)


def files_table(title: str, files: list[FileSummary]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("file", "format", "lines", "records", "issues", "unaccounted"):
        table.add_column(column, justify="left" if column in ("file", "format") else "right", no_wrap=column == "file")
    for file in files:
        unaccounted = str(len(file.unaccounted)) if not file.unaccounted else f"[red]{len(file.unaccounted)}[/]"
        table.add_row(escape(file.name), file.format or "-", str(file.lines), str(file.records), str(len(file.issues)),
                      unaccounted)
    return table


@app.command()
@one_line_errors
def build(
    paths: list[Path] = PathsArgument,
    output: Path = typer.Option(DEFAULT_OUTPUT, "--output", "-o", help="Database file to write."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 1) if any parse issue is found."),
    related: bool = typer.Option(
        True, "--related/--no-related",
        help="Find each paper's related papers (the slowest step on large corpora; "
             "--no-related leaves the related_papers table empty).",
    ),
) -> None:
    """Parse every source file into one SQLite database (default dist/papers.db).

    The file is written beside the target and renamed into place only when complete, so an
    interrupted build never leaves a half-written database. A SHA-256 of the result is written
    to <output>.sha256.
    """
    with progress_bar() as bar:
        display = ProgressDisplay(bar)
        report = build_database(paths or [DEFAULT_SOURCES], output, strict=strict, related=related, progress=display)
    display.finish()
    console.print(files_table("Sources read", report.files))
    console.print(
        f"[green]built[/] {escape(str(output))}: {len(report.files)} files, {report.listings} listings, "
        f"{report.papers} papers, {report.parse_issues} parse issues (sha256 {report.sha256[:12]}…)",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
@one_line_errors
def check(paths: list[Path] = PathsArgument) -> None:
    """Read and validate sources without writing a database.

    Prints, per file, its lines, records, parse issues and lines accounted for by nothing
    (the goal is none). Exits 1 if any line is unaccounted for.
    """
    with progress_bar() as bar:
        display = ProgressDisplay(bar)
        files = check_sources(paths or [DEFAULT_SOURCES], progress=display)
    display.finish()
    console.print(files_table("Line accounting", files))
    missing = [(file.name, n) for file in files for n in file.unaccounted]
    for name, number in missing[:20]:
        console.print(f"[red]unaccounted:[/] {escape(name)}:{number}", highlight=False)
    if missing:
        raise typer.Exit(BAD_INPUT)


@app.command()
@one_line_errors
def serve(
    database: Path = typer.Option(DEFAULT_OUTPUT, "--db", help="Database file to serve."),
    port: int = typer.Option(8001, "--port", "-p", help="Port to listen on (127.0.0.1 only)."),
) -> None:
    """Serve the database read-only in Datasette on http://127.0.0.1:PORT/.

    The file is opened immutable (-i) with an inspect file, so Datasette never writes to it and
    offers it for download; metadata.yml supplies descriptions, queries and facets.
    """
    check_built_database(database)
    if database.stem != DEFAULT_OUTPUT.stem:
        # Datasette names a database after its file, and metadata.yml describes one named "papers".
        fail(f"{database}: Datasette would call this database {database.stem!r}, which metadata.yml does not "
             f"describe; serve a file named {DEFAULT_OUTPUT.name} (build it with --output DIR/{DEFAULT_OUTPUT.name})", 2)
    prepare_serving(database)
    command = [sys.executable, "-m", "datasette", *datasette_serve_args(database, port)]
    console.print(f"Serving {escape(str(database))} at http://127.0.0.1:{port}/ (Ctrl+C to stop)", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the Datasette process, so that Ctrl+C and kill reach the server itself.
    os.execv(sys.executable, command)


@app.command("export-parquet")
@one_line_errors
def export_parquet(
    database: Path = typer.Option(DEFAULT_OUTPUT, "--db", help="Database file to export."),
    folder: Path = typer.Option(DEFAULT_OUTPUT.parent / "parquet", "--output", "-o", help="Folder for the .parquet files."),
) -> None:
    """Export the main tables as Parquet files, one per table (needs the `parquet` extra).

    papers, listings, sources, decisions, organizations, code_links and parse_issues are written
    as <folder>/<table>.parquet, compressed with zstd, with the database's column names.
    """
    written = export_parquet_files(database, folder)
    for path in written:
        console.print(f"wrote {escape(str(path))} ({path.stat().st_size:,} bytes)", highlight=False)


def main() -> None:
    with signals_interrupt():
        app()
