"""Serve: the `datasette` command that serves a built database read-only, in one process or in
several workers over the same immutable file. Nothing is ever written beside the database."""

from __future__ import annotations

import errno
import json
import os
import secrets
import shlex
import signal
import socket
import stat
import sys
from pathlib import Path

from . import resources
from .errors import USAGE, PapersDbError, raise_dropped_interruption
from .load import inspect_file_for, sample_digest
from .metadata import read_metadata

DATASETTE_ARGS_VARIABLE = "PAPERS_DB_DATASETTE_ARGS"  # how `serve --workers` hands each worker its arguments
SERVED_FILES_VARIABLE = "PAPERS_DB_SERVED_FILES"  # ... and the served file as it was: the plugin's, which imports nothing of this package
# The longest request head a server reads: the plugin's QUERY_STRING_LIMIT (128 KiB) and 64 KiB
# for the path and headers (reading_whole_request_heads).
REQUEST_HEAD_BYTES = 192 * 1024


def usable_inspect_file(database: Path) -> Path | None:
    """The build's inspect file, when it describes this database file (same name, size and
    sampled bytes): a stale one would give Datasette the wrong row counts and hash."""
    path = inspect_file_for(database)
    try:
        # Not a regular file (a FIFO so named made `serve` wait for a writer forever: found by
        # review): not the build's. O_NONBLOCK opens a FIFO without waiting.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return None
            described = json.loads(file.read().decode("utf-8")).get(database.stem, {})
        same = described.get("size") == database.stat().st_size and described.get("sample_sha256") == sample_digest(database)
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    return path if same else None


def datasette_serve_args(database: Path, port: int = 8001, host: str = "127.0.0.1") -> list[str]:
    """Arguments to `datasette` that serve the file as `serve` does: immutable (-i), read-only,
    with metadata.yml and its settings. The plugin and its templates need no argument: the
    installed package registers them (the `datasette` entry point in pyproject.toml)."""
    _, settings = read_metadata()
    args = ["serve", "-i", str(database)]
    inspect_file = usable_inspect_file(database)
    if inspect_file is not None:
        args += ["--inspect-file", str(inspect_file)]
    args += ["--metadata", str(resources.metadata_yml()), "--host", host, "--port", str(port)]
    for name, value in settings.items():
        args += ["--setting", name, str(value)]
    return args


def host_and_port(host: str, port: int) -> str:
    """HOST:PORT as gunicorn's bind and URLs write it: an IPv6 address in brackets ([::1]:8001)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def refuse_an_address_not_free(host: str, port: int) -> None:
    """One line, before any server starts, where nothing can listen on HOST:PORT. Started on a
    port in use, gunicorn retried for 5 s, logging an error each time, and exited 1, and
    `datasette serve` printed uvicorn's error and exited 3."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as error:
        raise PapersDbError(f"--host {host}: no such address ({getattr(error, 'strerror', None) or error})", USAGE) from None
    with socket.socket(family, kind, protocol) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            listener.bind(address)
        except OSError as error:
            reason = ("in use by another program (another server?): stop it, or choose another port with --port"
                      if error.errno == errno.EADDRINUSE else error.strerror)
            raise PapersDbError(f"cannot listen on {host_and_port(host, port)}: {reason}", USAGE) from None


def server_command(args: list[str], host: str, port: int, workers: int) -> tuple[list[str], dict[str, str]]:
    """The command that serves the database with Datasette's arguments `args`
    (datasette_serve_args), and the environment it needs.

    One worker is plain `datasette serve`. More run Datasette's ASGI app in gunicorn with uvicorn
    workers (Datasette 0.65 itself runs one process): each worker builds the same Datasette from
    the same arguments (create_app), and all share one DATASETTE_SECRET, so signed cookies made
    by one worker are valid in the others.

    Python runs with -P, so that no module is imported from the folder `serve` was started in: a
    uuid.py or grp.py there ran in the server and stopped it (`python -m` puts that folder first
    on the import path)."""
    start = [sys.executable, "-P", "-c", "from papers_db.command import start_server; start_server()"]
    if workers == 1:
        # Each worker's identity of the file is for `serve --workers` to hand over, not to inherit.
        return [*start, "datasette", *args], {SERVED_FILES_VARIABLE: "", **one_malloc_arena()}
    environment = {DATASETTE_ARGS_VARIABLE: json.dumps(args), **one_malloc_arena()}
    if not os.environ.get("DATASETTE_SECRET"):
        environment["DATASETTE_SECRET"] = secrets.token_hex(32)
    return [*start, "workers", host_and_port(host, port), str(workers)], environment


def one_malloc_arena() -> dict[str, str]:
    """glibc's malloc in one pool for all of a server process's threads, unless the user chose
    otherwise. By default each SQL thread keeps a pool of its own, holding what the queries it ran
    freed: under visitors' queries that ran into SQLite's 256 MB heap limit, a one-worker server
    grew to 739 MB and kept 640 once they stopped; with one pool, 349 and 344, its searches
    answered as fast (1,004 in 25 s against 924; found by review)."""
    return {} if "MALLOC_ARENA_MAX" in os.environ else {"MALLOC_ARENA_MAX": "1"}


def reading_whole_request_heads() -> None:
    """uvicorn's HTTP parser (h11) answers 400 "Invalid HTTP request received." and closes the
    connection, its client's request unread (a reset), when a request's head arrives in pieces
    and more than 16 KiB of it waits (h11's default), though the plugin takes a query string of
    128 KiB: on loopback 16 of 300 requests of 80 kB lost their answer so, and over a network, where
    a long head always comes in pieces, every such request would (found in CI). The limit is set
    to REQUEST_HEAD_BYTES, for the one-worker server (Datasette's `serve` makes uvicorn's Config
    itself) as uvicorn reads it for each connection; the workers' through uvicorn-worker's own
    setting (run_workers)."""
    import uvicorn.protocols.http.h11_impl as h11_impl

    h11_impl.DEFAULT_MAX_INCOMPLETE_EVENT_SIZE = REQUEST_HEAD_BYTES


def run_workers() -> None:
    """`serve --workers N`: gunicorn's arbiter with N uvicorn workers, each serving create_app().
    The arguments are the address (HOST:PORT) and N.

    gunicorn is started through its Python API, not its command line: that adds the folder it
    was started in to the import path and runs a gunicorn.conf.py found there."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter
    from uvicorn_worker import UvicornWorker

    from .command import STARTED_IGNORED
    from .plugin import file_identity
    from .processes import follow_parent

    # Started ignored, by `nohup` (SIGHUP) or a shell's background job (SIGINT): every process of
    # the server keeps it ignored (command.STARTED_IGNORED). gunicorn set its own handlers for
    # them, and `serve &` stopped at a Ctrl-C meant for the script that started it (review).
    # Each worker's uvicorn sets handlers of its own after gunicorn's, for SIGINT and SIGTERM and
    # (uvicorn-worker) SIGQUIT: with those still in place, a worker stopped, and gunicorn started
    # another (review). SIGTERM is the one a worker is stopped by (Worker.handle_exit): not kept.
    ignoring_in_uvicorn([number for number in STARTED_IGNORED if number != signal.SIGTERM])

    bind, workers = sys.argv[1:3]
    args = json.loads(os.environ[DATASETTE_ARGS_VARIABLE])
    served = args[args.index("-i") + 1]  # as Datasette's database path is: the text given
    os.environ[SERVED_FILES_VARIABLE] = json.dumps({served: file_identity(served)})

    class Worker(UvicornWorker):
        CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "h11_max_incomplete_event_size": REQUEST_HEAD_BYTES}

        def init_process(self):
            """A worker ends with gunicorn's own process, however that ends: killed (SIGKILL, the
            out-of-memory killer), it left its workers serving on, holding the port, as
            uvicorn-worker never checks its parent."""
            follow_parent(self.ppid, signal.SIGTERM)
            super().init_process()

        def init_signals(self):
            """A terminal's hang-up reaches every process of its group, the workers too, which
            gunicorn leaves to die at once: the answers under way were cut. It ends a worker as
            SIGTERM does, once they are sent."""
            super().init_signals()
            if signal.SIGHUP not in STARTED_IGNORED:
                signal.signal(signal.SIGHUP, lambda number, frame: signal.raise_signal(signal.SIGTERM))
            for number in STARTED_IGNORED:
                signal.signal(number, signal.SIG_IGN)

        def _install_sigquit_handler(self):
            if signal.SIGQUIT not in STARTED_IGNORED:
                super()._install_sigquit_handler()

        def handle_exit(self, sig, frame):
            """gunicorn stops its workers with SIGQUIT when it is sent SIGINT (`kill -INT`, a
            supervisor) or SIGQUIT, and uvicorn-worker 0.4's handler for it only marks the worker
            as no longer alive, which nothing reads: each worker served on until gunicorn killed it
            30 s later. SIGTERM ends uvicorn's server once its answers under way are sent."""
            super().handle_exit(sig, frame)
            signal.raise_signal(signal.SIGTERM)

    class Workers(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", bind)
            self.cfg.set("workers", int(workers))
            self.cfg.set("worker_class", Worker)
            self.cfg.set("accesslog", "-")
            # gunicorn 25.1 and later open a control socket, at $XDG_RUNTIME_DIR/gunicorn.ctl or
            # ~/.gunicorn/gunicorn.ctl: a file outside the database's folder, at one path for every
            # server of the user (stopping one removed another's). `serve` is stopped by signals.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return create_app()

        def run(self):
            try:
                StoppedByAHangUp(self).run()
            except RuntimeError as error:  # as BaseApplication.run: gunicorn's own, such as a worker that cannot boot
                print(f"error: {error}", file=sys.stderr)
                sys.exit(1)

    class StoppedByAHangUp(Arbiter):
        def init_signals(self):
            super().init_signals()
            for number in STARTED_IGNORED:
                signal.signal(number, signal.SIG_IGN)

        def handle_hup(self):
            """A terminal's hang-up (a closed ssh session) stops the server, as one `datasette
            serve` stops: gunicorn reloaded its workers on it, and the server served on with no
            terminal, holding its port. Unless the server was started with hang-ups ignored
            (`nohup`): then no hang-up reaches this (init_signals)."""
            self.handle_term()

    Workers().run()


def ignoring_in_uvicorn(numbers: list[int]) -> None:
    """uvicorn's server, in this process and the workers it starts, leaves the signals `numbers`
    unhandled, as they were when the server started: ignored."""
    from uvicorn.server import Server

    handle_exit = Server.handle_exit

    def handle_exit_unless_ignored(self, signal_number, frame):
        if signal_number not in numbers:
            handle_exit(self, signal_number, frame)

    Server.handle_exit = handle_exit_unless_ignored


def plain_datasette_command(args: list[str]) -> str:
    """The one-process `datasette` command a user would type for Datasette's arguments `args`."""
    return shlex.join(["datasette", *args])


def run_server(command: list[str], environment: dict[str, str]) -> None:
    """Become the server process, so that Ctrl+C and kill reach it directly. The ending signals
    stay blocked until it has handled them (command.start_server)."""
    from .command import ENDING_SIGNALS

    raise_dropped_interruption()  # a Ctrl-C as the command loaded, which Python dropped, is not a server started
    sys.stdout.flush()
    sys.stderr.flush()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, ENDING_SIGNALS)
    try:
        os.execve(command[0], command, {**os.environ, **environment})
    finally:  # not become: this process goes on as the command
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, ENDING_SIGNALS)


def create_app():
    """The ASGI app of one `serve --workers` worker: Datasette built by its own command-line
    parser from the arguments `serve` handed over, exactly as one-process `datasette serve`
    builds it. Its startup hooks run on the first request (Datasette's AsgiRunOnFirstRequest)."""
    instance = datasette_from_args(json.loads(os.environ[DATASETTE_ARGS_VARIABLE]))
    return closing_connections(instance.app())


def datasette_from_args(args: list[str]):
    """The Datasette instance `datasette` would serve with these arguments (`serve ...`), built by
    its own command-line parser, not yet started."""
    import datasette.cli

    context = datasette.cli.serve.make_context("serve", args[1:])
    return context.invoke(datasette.cli.serve.callback, **{**context.params, "return_instance": True})


# One answer in this many, counted per worker, closes its connection. 16: with 2 workers under 16
# connections on 2 cores the no-SQL page was answered 1,480 times a second with every answer
# closing, 1,670 with one in 4, 1,800 with one in 16 (the rare-word search 790, 920, 970), since
# each closed connection is opened again, by the client and by a worker.
CLOSE_EVERY = 16


def closing_connections(app, every=CLOSE_EVERY):
    """The ASGI app, answering one request in `every` (counted in this worker) with
    `Connection: close`.

    A kept-alive connection stays with the worker that accepted it, so a few busy clients can keep
    one worker busy while the others idle: under wrk's 16 connections, 2 workers answered the
    rare-word search 99 times a second, one worker 114 (the first worker to wake accepts every
    waiting connection). With each connection closed after its answer, whichever worker is free
    takes the next request: 222 a second, 2.1 times one. Closing one answer in `every` moves the
    connections between workers as often as that needs, without opening a connection per
    request. The header (not just closing) tells clients not to send another request down the
    connection."""
    answered = 0

    async def closing(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_closing(message):
            nonlocal answered
            if message["type"] == "http.response.start":
                answered += 1
                if answered % every == 0:
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        return await app(scope, receive, send_closing)

    return closing
