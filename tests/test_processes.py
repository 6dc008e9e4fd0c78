"""The build's helper processes and signals: how they end, whatever ends them."""

import ctypes
import hashlib
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import PROJECT

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
