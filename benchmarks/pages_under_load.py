"""Pages timed beside the no-SQL page, as benchmarks/run.py times every page, with Datasette
arguments of one's own: a measurement for trying a setting or a plugin, not product code.

    .venv/bin/python benchmarks/pages_under_load.py DATABASE "/papers/search?q=word" ... \\
        [--setting num_sql_threads 0] [--plugins-dir benchmarks/prototypes]

Serves DATABASE as `papers-db serve --workers N` does (one worker per core, as run.py serves
it), with the given settings and plugins added to its Datasette arguments, then times
`/-/versions.json` and each path: first alone (one client, 20 requests), then under load (8
clients, 100 requests), page after page, in each of three rounds. It prints each page's median
of the rounds' p50 alone and p95 under load, and both as multiples of the no-SQL page's.
With `--plugins-dir benchmarks/prototypes` the table page prototype (table_page.py) is served
too, at /prototype/papers?<facet values>.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402  benchmarks/run.py: the same clients, load and figures as every page's

from papers_db.serve import datasette_serve_args, server_command  # noqa: E402

NO_SQL_PAGE = "/-/versions.json"


def datasette_args(database: Path, port: int, settings: list[list[str]], plugins_dir: str | None) -> list[str]:
    args = datasette_serve_args(database, port)
    for name, value in settings:
        args += ["--setting", name, value]
    return args + (["--plugins-dir", plugins_dir] if plugins_dir else [])


def timed(database: Path, paths: list[str], settings: list[list[str]], plugins_dir: str | None,
          clients: int, requests: int, rounds: int) -> dict[str, dict]:
    port, workers = run.free_port(), os.cpu_count() or 1
    command, environment = server_command(datasette_args(database, port, settings, plugins_dir), "127.0.0.1", port, workers)
    server = subprocess.Popen(command, env={**os.environ, **environment}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pages = [NO_SQL_PAGE, *paths]
    try:
        run.wait_for_server(port)
        run.load(port, pages, 1, 1)  # warm up: every page once
        alone, loaded = [], []
        for _ in range(rounds):
            alone.append(run.load(port, pages, 1, 20))
            loaded.append(run.load(port, pages, clients, requests))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {page: {"alone": run.median_of_runs([each[page] for each in alone]),
                   "under_load": run.median_of_runs([each[page] for each in loaded])} for page in pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("paths", nargs="*", help="pages to time beside the no-SQL page")
    parser.add_argument("--setting", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="a Datasette setting added to serve's")
    parser.add_argument("--plugins-dir", help="a folder of plugins served beside the package's")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="requests per page under load")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures = timed(args.database, args.paths, args.setting, args.plugins_dir, args.clients, args.requests, args.rounds)
    alone_floor, loaded_floor = figures[NO_SQL_PAGE]["alone"]["p50_ms"], figures[NO_SQL_PAGE]["under_load"]["p95_ms"]
    print(f"{os.cpu_count() or 1} worker(s); {args.clients} clients; settings {args.setting}; plugins {args.plugins_dir}")
    for page, figure in figures.items():
        alone, loaded = figure["alone"], figure["under_load"]
        print(f"{page}\n  alone p50 {alone['p50_ms']} ms ({times(alone['p50_ms'], alone_floor)}); "
              f"under load p95 {loaded['p95_ms']} ms ({times(loaded['p95_ms'], loaded_floor)}; rounds {loaded['p95_ms_runs']}); "
              f"errors {alone['errors'] + loaded['errors']}")


def times(milliseconds: float | None, floor: float | None) -> str:
    """A page's time as a multiple of the no-SQL page's; none where either was never answered."""
    return f"{milliseconds / floor:.2f} x" if milliseconds is not None and floor else "no answer"


if __name__ == "__main__":
    main()
