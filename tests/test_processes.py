"""The build's helper processes and signals: how they end, whatever ends them."""

import ctypes
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import PROJECT, SOURCES

from papers_db.errors import Interrupted, signals_held, signals_interrupt

# A worker killed while it sends its result, simulated: the pool's result pipe gets the length of a
# 1,000-byte result and nothing more, so the pool's thread waits for the rest.
HALF_SENT_RESULT = textwrap.dedent("""
    import os, struct, time
    from papers_db.processes import helper_processes
    try:
        with helper_processes(1) as pool:
            pool.submit(os.getpid).result()  # the worker is up
            pool.submit(time.sleep, 60)
            os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1000))
            time.sleep(0.5)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        print("ended")
""")


def test_leaving_helper_processes_ends_even_when_a_worker_died_mid_result():
    finished = subprocess.run([sys.executable, "-c", HALF_SENT_RESULT], capture_output=True, text=True, timeout=30)
    assert (finished.returncode, finished.stdout, finished.stderr) == (0, "ended\n", "")


def test_a_signal_met_during_steps_held_together_leaves_none_of_them_undone():
    # The signal has arrived and its Python handler is still to run, as when it comes just as the
    # steps begin: every step is done, and then the signal is delivered, not lost.
    done = []
    with signals_interrupt():
        with pytest.raises(Interrupted) as ending:
            with signals_held():
                ctypes.pythonapi.PyErr_SetInterruptEx(signal.SIGTERM)
                for step in range(3):
                    done.append(step)
    assert done == [0, 1, 2] and ending.value.signal_number == signal.SIGTERM


def test_a_signal_held_back_reaches_a_callers_own_handler():
    # A library caller's handler, not the command's: it still gets the signal, once.
    received = []
    previous = signal.signal(signal.SIGHUP, lambda number, frame: received.append(number))
    try:
        with signals_held():
            signal.raise_signal(signal.SIGHUP)
            assert received == []
        assert received == [signal.SIGHUP]
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_only_the_first_ending_signal_raises_later_ones_let_the_cleanup_finish():
    cleaned = False
    with signals_interrupt():
        with pytest.raises(Interrupted) as ending:
            try:
                signal.raise_signal(signal.SIGTERM)
            finally:
                signal.raise_signal(signal.SIGINT)  # a second Ctrl-C while the first one cleans up
                cleaned = True
    assert cleaned and ending.value.signal_number == signal.SIGTERM


# The build's own command, with a SIGTERM sent as it starts to print its report: after the
# files were renamed into place, the signal cut only the report short.
SIGNAL_AS_THE_REPORT_PRINTS = textwrap.dedent("""
    import signal, sys
    from papers_db import cli

    def files_table(*args):
        signal.raise_signal(signal.SIGTERM)

    cli.files_table = files_table
    sys.argv = ["papers-db", "build", "--output", sys.argv[1]]
    cli.main()
""")


def test_a_signal_once_the_files_are_in_place_says_they_are(tmp_path):
    output = tmp_path / "papers.db"
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AS_THE_REPORT_PRINTS, str(output)],
                           capture_output=True, text=True, timeout=300, cwd=PROJECT)
    assert ended.returncode == 128 + signal.SIGTERM
    assert ended.stderr.strip().splitlines()[-1] == (
        f"error: interrupted by SIGTERM once the work was done: {output}, its .sha256 and its inspect file "
        "were replaced by the new build")
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert (tmp_path / "papers.db.sha256").read_text() == f"{digest}  papers.db\n"


def test_a_helper_imports_the_modules_it_is_told_before_its_first_task():
    # The build's helpers for the full-text index and related papers import papers_db.load as they
    # start, so that each task starts at once. eval, a builtin, brings no import of its own.
    from papers_db.processes import helper_processes

    imported = "'papers_db.export' in __import__('sys').modules"
    with helper_processes(1, imports=("papers_db.export",)) as pool:
        assert pool.submit(eval, imported).result()
    with helper_processes(1) as pool:
        assert not pool.submit(eval, imported).result()


HELPER_STATE = "(__import__('gc').isenabled(), {name: __import__('os').environ.get(name) for name in " \
               "('PYTHONSAFEPATH', 'OPENBLAS_NUM_THREADS')})"


@pytest.mark.parametrize("callers", [{}, {"PYTHONSAFEPATH": "", "OPENBLAS_NUM_THREADS": "8"}])
def test_a_helper_runs_without_the_collector_or_blas_threads_and_the_callers_environment_stays(monkeypatch, callers):
    # No helper's work makes reference cycles or multiplies matrices: the collector's passes and
    # OpenBLAS's spinning threads only took CPU from the build's other processes.
    from papers_db.processes import helper_processes

    for name in ("PYTHONSAFEPATH", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in callers.items():
        monkeypatch.setenv(name, value)
    with helper_processes(1) as pool:
        assert pool.submit(eval, HELPER_STATE).result() == (False, {"PYTHONSAFEPATH": "1", "OPENBLAS_NUM_THREADS": "1"})
    assert {name: value for name, value in os.environ.items() if name in ("PYTHONSAFEPATH", "OPENBLAS_NUM_THREADS")} == callers


def test_helper_environments_left_in_any_order_give_the_callers_environment_back(monkeypatch):
    # Two builds in two threads: each put back what it had found, and the one that found the
    # other's values left them behind (16 of 20 tries, found by review).
    from papers_db.processes import helper_environment

    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    first, second = helper_environment(), helper_environment()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert os.environ.get("PYTHONSAFEPATH") == "1"  # the second block's helpers still start
    second.__exit__(None, None, None)
    assert "PYTHONSAFEPATH" not in os.environ


# The command's own process, up to where it runs the command: a stand-in for papers_db.cli reports
# the environment as the command imports it (NumPy with it) and as the command runs.
COMMAND_START = textwrap.dedent("""
    import os, sys, types
    cli = types.ModuleType("papers_db.cli")
    as_imported = []

    def main():
        print(*as_imported, os.environ.get("OPENBLAS_NUM_THREADS"))

    def __getattr__(name):  # `from .cli import main`, where the command imports the build
        if name != "main":
            raise AttributeError(name)
        as_imported.append(os.environ.get("OPENBLAS_NUM_THREADS"))
        return main
    cli.__getattr__ = __getattr__
    sys.modules["papers_db.cli"] = cli
    from papers_db.command import main as command_main
    command_main()
""")


@pytest.mark.parametrize(("users", "expected"), [(None, "1 None"), ("4", "4 4")])
def test_the_command_asks_for_one_blas_thread_as_it_imports_numpy_unless_the_user_chose(users, expected):
    # And the environment is the user's again once the command runs: `serve` hands it to the server.
    environment = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    if users is not None:
        environment["OPENBLAS_NUM_THREADS"] = users
    started = subprocess.run([sys.executable, "-c", COMMAND_START], capture_output=True, text=True, timeout=60,
                             cwd=PROJECT, env=environment)
    assert (started.stdout.strip(), started.stderr) == (expected, "")


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM", "SIGQUIT"])
def test_a_signal_as_the_command_ends_is_told_in_one_line_or_not_at_all(tmp_path, ending):
    # A signal in the last tenth of a second, once the export's last file was in place, ended the
    # command without a word (Python's own end had put the default actions back), dumped core for
    # Ctrl-\, or, between two handlers being put back, was a traceback with status 1 (found by
    # review: 250 signals 0-10 ms after the last line). Each must end as README says: interrupted,
    # the work done, in one line; or not seen at all, where it came as the process left.
    from conftest import cli_command

    database = tmp_path / "papers.db"
    assert subprocess.run(cli_command("build", "--output", database, "--no-related"), capture_output=True,
                          cwd=PROJECT, timeout=300).returncode == 0
    number = getattr(signal, ending)
    signalled_while_running = 0
    for attempt in range(12):
        out = tmp_path / f"out{attempt}"
        export = subprocess.Popen(cli_command("export", "--db", database, "--output", out, "--format", "csv"),
                                  cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in export.stdout:
            if "trending.csv" in line:  # the last file's line: every file is in place
                break
        time.sleep(attempt * 0.002)
        signalled_while_running += export.poll() is None
        export.send_signal(number)
        _, stderr = export.communicate(timeout=60)
        told = f"error: interrupted by {ending} once the work was done: the files were written into {out}"
        assert (export.returncode, stderr.strip()) in {(0, ""), (128 + number, told)}, (attempt, export.returncode, stderr)
        assert len(list(out.glob("*.csv"))) == 20 and not list(tmp_path.glob("core*"))
    assert signalled_while_running >= 6  # the window was hit, not only missed: Python's end takes 0.1 s


def test_a_signal_while_the_handlers_are_put_back_is_noted_not_raised(monkeypatch):
    # Between two handlers put back, a signal raised Interrupted past every handler of it: the
    # command ended in a traceback with status 1 (found by review, 1 of 250 late signals).
    from papers_db import errors

    monkeypatch.setattr(errors, "_signals_received", [])
    set_handler, sent = signal.signal, []

    def signal_once_then_set(number, handler):
        if handler is not errors._raise_interrupted and not sent:
            sent.append(number)
            signal.raise_signal(signal.SIGTERM)  # its handler is still the block's as the first is put back
        return set_handler(number, handler)

    before = {number: signal.getsignal(number) for number in errors.ENDING_SIGNALS}
    try:
        with errors.signals_interrupt():
            monkeypatch.setattr(signal, "signal", signal_once_then_set)
    except Interrupted:
        pytest.fail("the signal raised Interrupted as the handlers were put back")
    finally:
        monkeypatch.setattr(signal, "signal", set_handler)
    assert sent and errors.last_signal_received() == signal.SIGTERM
    assert {number: signal.getsignal(number) for number in errors.ENDING_SIGNALS} == before


# The command run with a signal sent to itself at one of three moments around signals_interrupt's
# block, where its handler raises: once the block has set its handlers (its line setting the
# unraisable hook about to run), as the block begins (its last line, `yield`, about to run), and
# as it is resumed to end once the command has returned (the handler runs at the generator's first
# instruction, before the block has stopped raising).
SIGNAL_AROUND_THE_BLOCK = textwrap.dedent("""
    import linecache, os, signal, sys
    moment, ending, sys.argv = sys.argv[1], getattr(signal, sys.argv[2]), ["papers-db", *sys.argv[3:]]
    entered = 0

    def send():
        sys.settrace(None)
        sys.setprofile(None)
        os.kill(os.getpid(), ending)

    def as_it_ends(frame, event, arg):
        global entered
        if event == "call" and frame.f_code.co_name == "signals_interrupt":
            entered += 1
            if entered == 2:  # the generator resumed by the block's end
                send()

    def as_it_begins(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "signals_interrupt":
            return its_lines

    def its_lines(frame, event, arg):
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        if event == "line" and line == {"begins": "yield", "handlers set": "sys.unraisablehook = keep_dropped_interruption"}[moment]:
            frame.f_trace = None
            send()
        return its_lines

    from papers_db.command import main
    if moment == "ends":
        sys.setprofile(as_it_ends)
    else:
        sys.settrace(as_it_begins)
    main()
""")


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM", "SIGQUIT"])
def test_a_signal_as_the_command_returns_is_told_as_one_after_the_work(built_db, tmp_path, ending):
    # CI, 1 of 12 SIGQUITs sent just after an export's last file: the signal came after the
    # command had returned and before the block that raises it had ended, where nothing caught
    # it, and the command ended in a traceback with status 1.
    out = tmp_path / "export"
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AROUND_THE_BLOCK, "ends", ending, "export", "--db", built_db,
                            "--output", out, "--format", "csv"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    told = f"error: interrupted by {ending} once the work was done: the files were written into {out}"
    assert (ended.returncode, ended.stderr.strip()) == (128 + getattr(signal, ending), told)
    assert len(list(out.glob("*.csv"))) == 20 and ended.stdout.count("wrote ") == 20


@pytest.mark.parametrize("moment", ["handlers set", "begins", "ends"])
def test_a_signal_around_the_command_ends_it_in_one_line(tmp_path, moment):
    # As the block began, the same traceback: the command had not started. Once its handlers
    # were set and before they raised, the signal was only noted: the command ran, then said it
    # was interrupted (review). Before the command, it runs no command.
    ended = subprocess.run([sys.executable, "-c", SIGNAL_AROUND_THE_BLOCK, moment, "SIGTERM", "--version"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=60)
    printed = ended.stdout.startswith("papers-db ")
    assert (ended.returncode, ended.stderr, printed) == (143, "error: interrupted by SIGTERM\n", moment == "ends")


def build_in_a_pool_worker(output):
    from papers_db import build_database
    from papers_db.errors import PapersDbError

    try:
        build_database(str(SOURCES), output)
    except PapersDbError as error:
        return error.exit_status, str(error)
    return 0, "built"


def test_a_build_in_a_daemonic_process_says_it_cannot_start_its_helpers(tmp_path):
    # In a multiprocessing.Pool's worker the build failed with Python's bare AssertionError
    # "daemonic processes are not allowed to have children" (a review of the library).
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        status, message = pool.apply(build_in_a_pool_worker, (str(tmp_path / "out" / "papers.db"),))
    assert status == 2 and "a daemonic process (a multiprocessing.Pool's worker) cannot start" in message
    assert list(tmp_path.iterdir()) == []


def check_in_a_pool_worker(folder):
    from papers_db import check_sources

    return sum(file.records for file in check_sources(folder))


def test_a_check_in_a_daemonic_process_reads_in_that_process(tmp_path, monkeypatch):
    # A check of sources large enough for reading processes was refused in a multiprocessing.Pool's
    # worker, which may start none: it reads there instead (a review of the library).
    import multiprocessing

    import papers_db.pipeline

    folder = tmp_path / "sources"
    shutil.copytree(SOURCES, folder)
    monkeypatch.setattr(papers_db.pipeline, "PARALLEL_READING_BYTES", 1)  # in this process: the pool's own, below
    from papers_db import check_sources

    expected = sum(file.records for file in check_sources(folder))
    with multiprocessing.get_context("fork").Pool(1) as pool:  # forked: the worker has the lowered threshold
        assert pool.apply_async(check_in_a_pool_worker, (str(folder),)).get(timeout=120) == expected > 300
