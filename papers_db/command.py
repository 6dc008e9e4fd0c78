"""The `papers-db` command as it starts: quick to load, so that Ctrl-C while the rest of the
command loads (0.35 s: typer, rich, the build) ends in one line, as it does later, not in a
traceback of the imports under way."""

from __future__ import annotations

import os
import signal
import sys

# The signals that end a command, named here, where their handlers are set before anything else
# is imported: `json` and `errors` took 10 ms of a loaded machine's first 50, and a Ctrl-C then
# was a traceback. SIGQUIT (Ctrl-\\) too: by default it ended the build on the spot and left
# 120 MB of temporary files.
NAMED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name))
# One the command was started with ignored stays ignored: `nohup` ignores SIGHUP (a build over
# ssh, the session closed, ended with status 129 and no database: found by review), and a shell
# starts a background job with SIGINT ignored, as Python leaves it.
ENDING_SIGNALS = tuple(number for number in NAMED_SIGNALS if signal.getsignal(number) != signal.SIG_IGN)
STARTED_IGNORED = tuple(number for number in NAMED_SIGNALS if number not in ENDING_SIGNALS)
JSON_COMMANDS = ("build", "check")  # the commands that take --json


# The options of JSON_COMMANDS that take a value: `-o --json` names a file "--json".
OPTIONS_WITH_VALUES = ("-o", "--output")


def asks_for_json(arguments: list[str]) -> bool:
    """Whether the command line asks one of JSON_COMMANDS for JSON, read before click has (for a
    usage error, or a signal while the command starts). The only option before the command,
    --debug, takes no value, so the first word that is no option is the command."""
    words = arguments[:arguments.index("--")] if "--" in arguments else arguments
    if next((word for word in words if not word.startswith("-")), None) not in JSON_COMMANDS:
        return False
    return any(word == "--json" and (index == 0 or words[index - 1] not in OPTIONS_WITH_VALUES)
               for index, word in enumerate(words))


def json_failure(message: str, status: int) -> str:
    """A failure under --json as the JSON object printed on stdout (README), as json.dumps(...,
    indent=2) writes it, for a message of plain words: written out, since importing json in a
    signal handler may meet it half imported."""
    return f'{{\n  "error": "{message}",\n  "exit_status": {status}\n}}'


def main() -> None:
    for number in ENDING_SIGNALS:
        signal.signal(number, _ended_outside_the_command)
    if hasattr(signal, "pthread_sigmask"):  # build_db.py holds them until now; one sent meanwhile comes now
        signal.pthread_sigmask(signal.SIG_UNBLOCK, NAMED_SIGNALS)
    # As NumPy is imported (with the build): no step of a command multiplies matrices, and
    # OpenBLAS's thread per core only spins as it starts (processes.start_helper). A value the user
    # set is theirs, and the environment is theirs again once OpenBLAS has read it: `serve` hands
    # it to the server.
    users = os.environ.get("OPENBLAS_NUM_THREADS")
    if users is None:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    from .cli import main as run_command  # it sets the handlers of a command under way
    if users is None:
        del os.environ["OPENBLAS_NUM_THREADS"]

    try:
        run_command()
    finally:
        # Ignored to the process's end, once the command has said how it ended: Python's own end
        # puts each handled signal's default action back, and a Ctrl-C as it unloaded its modules
        # ended the command without a word (238 of 250 signals 0-10 ms after an export's last
        # file), Ctrl-\\ dumping core. An ignored one Python leaves as it is.
        for number in ENDING_SIGNALS:
            signal.signal(number, signal.SIG_IGN)


def _ended_outside_the_command(signal_number: int, frame) -> None:
    # A signal before the command has set its handlers, or once they are put back as it returns.
    # At once: nothing is written yet (or all of it is), and an exception raised here could land in
    # a finalizer that Python runs meanwhile, which drops it, and the command went on (1 of 6
    # tries). After the command, it is told as the command tells one
    # (cli.interrupted_before_the_command), once.
    command = sys.modules.get("papers_db.cli")
    _flush_stdout()  # what the command wrote, which os._exit would drop where stdout is a pipe or a file
    if getattr(command, "interruption_reported", False):
        os._exit(128 + signal_number)
    if getattr(command, "failure_status", None) is not None:  # told already, with its status: one line, one object
        os._exit(command.failure_status)
    message = f"interrupted by {signal.Signals(signal_number).name}"
    done = getattr(command, "work_done", None)
    message += f" once the work was done: {done}" if done else ""
    print(f"error: {message}", file=sys.stderr, flush=True)
    # Under --json stdout holds one object, never two: where the report is printed already (a
    # signal as `check --json` returned added its failure after the report), the line says it.
    if sys.stdout is not None and asks_for_json(sys.argv[1:]) and not getattr(command, "json_started", False):
        try:
            # With the work done, the command has loaded json (a path may hold a quote); before,
            # the command may be half imported, json with it, or not yet.
            print(sys.modules["json"].dumps({"error": message, "exit_status": 128 + signal_number}, indent=2)
                  if done else json_failure(message, 128 + signal_number), flush=True)
        except (OSError, ValueError):  # no reader, or a stream closed: the stderr line says it
            pass
    os._exit(128 + signal_number)


def _flush_stdout() -> None:
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError, RuntimeError):  # no reader, a stream closed, or one being written (reentrant)
        pass


# How the server process ends on each ending signal while it starts, as it ends once serving
# (README, serve): with several workers, 0 for each; with one, SIGINT 0, and SIGTERM and SIGHUP by
# the signal itself, as `datasette serve` ends. SIGQUIT with one worker is 131 without a core dump.
ONE_WORKER_ENDED_BY_THE_SIGNAL = ("SIGTERM", "SIGHUP")


# How long a stopping server waits for the answers under way, as gunicorn's graceful timeout
# (its default) bounds it for several workers.
GRACEFUL_SECONDS = 30


def _stopping_within(seconds: float) -> None:
    """uvicorn (one worker) waits for every answer under way once told to stop, and a slow
    download held the server for as long as it lasted, a second Ctrl-C too, since uvicorn 0.55
    then still waits for the connections to close (found by review). A stop ends the process
    `seconds` later at most, and a second signal at once, as gunicorn ends its workers."""
    import threading

    from uvicorn.server import Server

    graceful = Server.handle_exit

    def handle_exit(self, signal_number, frame):
        if self.should_exit:  # the second
            _end_now(signal_number)
        timer = threading.Timer(seconds, _end_now, (signal_number,))
        timer.daemon = True
        timer.start()
        graceful(self, signal_number, frame)

    Server.handle_exit = handle_exit


def _end_now(signal_number: int) -> None:
    os.write(2, f"stopped by {signal.Signals(signal_number).name} without waiting for the answers under way\n".encode())
    os._exit(0 if signal_number == signal.SIGINT else 128 + signal_number)


def start_server() -> None:
    """The server process `serve` becomes (serve.run_server): `datasette serve ...` with its
    arguments after the word `datasette`, or `serve --workers N`'s gunicorn after `workers`.

    `serve` holds the ending signals blocked as it becomes this process, and they are unblocked
    once handled here: a Ctrl-C 0.3 s after the start, while Datasette's modules loaded, was a
    traceback of the import under way, and SIGQUIT could dump core (found by review). The
    server's own handlers (uvicorn's, gunicorn's) replace these as it starts serving."""
    kind, sys.argv[1:] = sys.argv[1], sys.argv[2:]

    def stopped(signal_number: int, frame) -> None:
        name = signal.Signals(signal_number).name
        os.write(2, f"stopped by {name}\n".encode())
        if kind == "datasette" and name in ONE_WORKER_ENDED_BY_THE_SIGNAL:
            signal.signal(signal_number, signal.SIG_DFL)
            signal.raise_signal(signal_number)
        os._exit(128 + signal_number if kind == "datasette" and name == "SIGQUIT" else 0)

    for number in ENDING_SIGNALS:
        signal.signal(number, stopped)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, ENDING_SIGNALS)
    from .serve import ignoring_in_uvicorn, reading_whole_request_heads

    reading_whole_request_heads()
    if kind == "datasette":
        sys.argv[0] = "datasette"
        from datasette.cli import cli

        _stopping_within(GRACEFUL_SECONDS)
        ignoring_in_uvicorn(STARTED_IGNORED)  # a background job's SIGINT stays ignored
        cli(prog_name="datasette")
    else:
        from .serve import run_workers

        run_workers()
