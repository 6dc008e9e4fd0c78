"""The helper processes a build uses for work that can take the other cores, and how they end."""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import gc
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import types
from collections.abc import Iterator

from .errors import ENDING_SIGNALS, TERMINAL_SIGNALS, USAGE, PapersDbError, signals_held

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_CHECK_SECONDS = 1.0  # where the kernel cannot tell the worker, it looks for its parent this often


def end_with_parent(parent: int) -> None:
    """Runs first in the worker: it ends when the build's process ends, however that ends.

    Ctrl-C (and Ctrl-\\) reaches every process of the terminal's group; the worker ignores it and lets the
    build stop it, so that one line, not a traceback from each process, is what the user sees.
    On Linux the kernel kills the worker when its parent dies (even by SIGKILL); elsewhere a
    thread checks once a second that the parent is still there.
    """
    for number in TERMINAL_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, ENDING_SIGNALS)  # blocked since it started: see helper_processes
    follow_parent(parent, signal.SIGKILL)


def follow_parent(parent: int, ending: int) -> None:
    """End this process by the signal `ending` once its parent `parent` ends, however that ends:
    on Linux the kernel sends it, even when the parent was killed by SIGKILL; elsewhere a thread
    checks once a second that the parent is still there."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, ending, 0, 0, 0)
    else:
        threading.Thread(target=_watch_parent, args=(parent, ending), daemon=True).start()
    if os.getppid() != parent:  # the parent died before this process could ask to follow it
        _end(ending)


def _watch_parent(parent: int, ending: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(PARENT_CHECK_SECONDS)
    _end(ending)


def _end(ending: int) -> None:
    if ending == signal.SIGKILL:
        os._exit(1)
    signal.raise_signal(ending)


def start_helper(parent: int, imports: tuple[str, ...]) -> None:
    """A worker's start: it follows its parent (end_with_parent), turns off the cyclic garbage
    collector, then imports the modules whose work it will be given, so that its first task
    starts at once.

    A worker's work (reading and deriving files, the full-text index, related papers) leaves no
    reference cycles to collect (a whole build of 100,000 papers with the collector off left 403
    objects for it), while the collector's passes took 0.08-0.1 s of each reading process's CPU.
    Reference counting still frees everything else as before."""
    end_with_parent(parent)
    gc.disable()
    # Before NumPy is imported: no step of the build multiplies matrices, yet NumPy's OpenBLAS
    # starts a thread per core as NumPy is imported, and they spin there: importing NumPy took
    # 0.14 s of CPU, 0.05 s with one thread (2 cores), in each of the 4 helpers of a large build,
    # while the others waited for a core. Set here, in the helper, not in the caller's environment.
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    for name in imports:
        importlib.import_module(name)


@contextlib.contextmanager
def helper_processes(count: int, imports: tuple[str, ...] = ()) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """`count` worker processes for work that can use the other cores, each importing the modules
    named in `imports` as it starts. They are spawned, not forked, so that they inherit no open
    SQLite connection or progress-bar thread from this process.

    Leaving the block normally waits for the workers' work; leaving it by an error or a signal
    kills the workers at once, since their work is thrown away with the build."""
    if multiprocessing.current_process().daemon:
        # A multiprocessing.Pool's worker may start no process of its own: the build failed with
        # Python's bare AssertionError "daemonic processes are not allowed to have children" (review).
        raise PapersDbError("papers-db needs helper processes, which a daemonic process (a multiprocessing.Pool's "
                            "worker) cannot start: run it in the main process, a concurrent.futures."
                            "ProcessPoolExecutor's worker or a non-daemonic multiprocessing.Process", USAGE)
    # The pool's queues start multiprocessing's resource tracker, which keeps the signal mask it
    # starts with: it ignores Ctrl-C itself, but Ctrl-\\ (SIGQUIT) killed it and it printed tracebacks.
    # Starting it unblocks Ctrl-C here again (multiprocessing's ensure_running), so the workers
    # below are started under a block of their own: in one block with the pool, a Ctrl-C as they
    # started printed their tracebacks.
    with signals_held(), helper_environment():
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=count, mp_context=multiprocessing.get_context("spawn"),
            initializer=start_helper, initargs=(os.getpid(), imports),
        )
    # The workers start with ending signals blocked, a mask they inherit, until end_with_parent
    # ignores Ctrl-C: one while they were still importing printed each one's traceback, and one
    # between starting a worker and sending it its work left it to print another (signals_held
    # delivers it once they are started).
    # (multiprocessing starts its resource tracker the same way.) With spawn, each task submitted
    # while no worker is free starts one more, so `count` tasks start them all now.
    try:
        with signals_held(), helper_environment(), without_the_callers_main():
            for _ in range(count):
                pool.submit(int)
        yield pool
    except BaseException:
        _kill_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# The environment a helper starts with, beside this process's own. A spawned process starts as
# `python -c`, which puts the working folder first on the import path until it takes this
# process's path: a threading.py there stopped every helper, and the build. PYTHONSAFEPATH
# (Python 3.11) leaves it off.
HELPER_ENVIRONMENT = {"PYTHONSAFEPATH": "1"}


class _HelperEnvironment:
    """Who is in helper_environment's block: the first to enter keeps this process's own values,
    the last to leave puts them back. Two builds in two threads, each putting back what it found,
    left the helpers' values behind in 16 of 20 tries (found by review)."""

    lock = threading.Lock()
    inside = 0
    kept: dict[str, str | None] = {}


@contextlib.contextmanager
def helper_environment() -> Iterator[None]:
    """Processes started in this block get HELPER_ENVIRONMENT; this process's own is put back after."""
    with _HelperEnvironment.lock:
        if _HelperEnvironment.inside == 0:
            _HelperEnvironment.kept = {name: os.environ.get(name) for name in HELPER_ENVIRONMENT}
            os.environ.update(HELPER_ENVIRONMENT)
        _HelperEnvironment.inside += 1
    try:
        yield
    finally:
        with _HelperEnvironment.lock:
            _HelperEnvironment.inside -= 1
            if _HelperEnvironment.inside == 0:
                for name, value in _HelperEnvironment.kept.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value


@contextlib.contextmanager
def without_the_callers_main() -> Iterator[None]:
    """Processes started in this block do not run the script that called the build.

    A spawned process first runs its parent's main script or module (as __mp_main__), so that it
    can find what was defined there. A script that called build_database at its top level, with
    no `if __name__ == "__main__":` around it, then started a build in each helper, which
    multiprocessing refused: every library build from such a script failed. The helpers run only
    this package's functions, which they import by name."""
    with _MAIN_SWAPPED:  # builds in two threads at once: each puts back the main it found
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")  # no file, no module name: nothing to run
        try:
            yield
        finally:
            sys.modules["__main__"] = main


_MAIN_SWAPPED = threading.Lock()


def _kill_workers(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor offers no way to stop a running task before Python 3.14
    # (terminate_workers); its process table is the only handle on the worker.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    # A worker killed while sending its result leaves part of a message in the result pipe, and the
    # pool's thread then waits for the rest, for ever: shutting the pool down hung a build in 3 of 22
    # interruptions. The dead workers' ends of the pipe are closed; closing this process's end too
    # lets that thread read the end of the pipe and finish.
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()
