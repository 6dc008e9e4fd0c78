"""The one error type users see: a problem they can fix, told in one line, with an exit status.

Exit statuses (README, "Command line"): 0 success, 1 bad input, 2 usage, 3 the system failed the
run (disk full, I/O error), 70 a bug (an unexpected error), 128 + N ended by signal N (130 Ctrl-C,
143 SIGTERM, 129 SIGHUP, 131 SIGQUIT), as shells report a process a signal ended.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .command import ENDING_SIGNALS  # named where the command sets their handlers, before any other import

BAD_INPUT = 1  # the sources or the database given are not what was expected (e.g. --strict issues)
USAGE = 2  # a path, option or file the command cannot use
SYSTEM = 3  # the machine failed the run: disk full, I/O error
BUG = 70  # an error the code did not expect (EX_SOFTWARE of sysexits.h)
TERMINAL_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGQUIT") if hasattr(signal, name))


class PapersDbError(Exception):
    """A problem the user can fix (bad input path, unwritable output...): one line, no traceback.
    Every raise says which exit status it is (BAD_INPUT, USAGE, SYSTEM): there is no default.
    `files` is what each source file gave (pipeline.FileSummary), where the refusal is about what
    the files hold (parse issues under --strict, no readable listing): `--json` reports them.
    `missing` is the source path that names nothing, where that is the error (the command then
    says so of its default folder in its own words)."""

    def __init__(self, message: str, exit_status: int, files: list | None = None, missing: Path | None = None) -> None:
        super().__init__(message)
        self.exit_status = exit_status
        self.files = files
        self.missing = missing


class CallersCallbackFailed(Exception):
    """An exception a library caller's own callback (`progress=`) raised, carried past the run's
    own handlers and raised again as it was: a ConnectionError of the caller's dashboard was a
    build's "cannot write: None" (review)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def callers_callback(callback: Callable) -> Callable:
    """`callback`, its exceptions (but interruptions and exits) carried as CallersCallbackFailed."""
    def called(*args):
        try:
            return callback(*args)
        except Exception as error:
            raise CallersCallbackFailed(error) from error
    return called


def raising_callers_errors_as_they_were(function: Callable) -> Callable:
    """A library call whose callbacks are callers_callback's: an exception one of them raised
    reaches the caller as the callback raised it, wherever in the call it was carried from."""
    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except CallersCallbackFailed as failed:
            raise failed.error from None
    return call


def path_argument(value, name: str) -> str:
    """A library call's path argument as text: a `str`, `bytes` or `os.PathLike`, as open() takes;
    another type is a TypeError naming the argument (pathlib's own named none: a review of the library)."""
    if isinstance(value, (str, bytes, os.PathLike)):
        return os.fsdecode(value)
    raise TypeError(f"{name}: expected a path (str, bytes or os.PathLike), not {type(value).__name__}")


def progress_argument(progress: Callable | None, takes: str) -> None:
    """A library call's `progress` callback, None or callable (one that `takes` its arguments);
    another value is a TypeError naming the argument."""
    if progress is not None and not callable(progress):
        raise TypeError(f"progress: expected a callable taking {takes}, not {type(progress).__name__}")


class Interrupted(KeyboardInterrupt):
    """The run was ended by a signal. A KeyboardInterrupt, so that it passes every `except
    Exception` on its way out and each `with` block on the way cleans up as it does for Ctrl-C."""

    def __init__(self, signal_number: int = signal.SIGINT, done: str | None = None) -> None:
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number
        self.exit_status = 128 + signal_number
        self.done = done  # what the run had finished when the signal came, where that is all of it


_signals_received: list[int] = []
_interrupting = False  # inside signals_interrupt's block, where a signal raises Interrupted
_dropped: list[int] = []  # the signals whose Interrupted Python dropped (see signals_interrupt)


def _raise_interrupted(signal_number: int, frame) -> None:
    _signals_received.append(signal_number)
    # Any further signal is only noted: a second Ctrl-C raised inside the first one's cleanup cut
    # it short and left temporary files (2 of 8 double presses 50 ms apart).
    for number in ENDING_SIGNALS:
        signal.signal(number, _note_signal)
    if _interrupting:
        raise Interrupted(signal_number)


def raise_dropped_interruption() -> None:
    """End the run here if a signal's Interrupted was raised where Python drops exceptions (a
    finalizer, a weakref callback), and the run went on past it. Called before each step that
    would be a pity to take after Ctrl-C: reading the next file, replacing the user's files."""
    if _dropped and _interrupting:
        raise Interrupted(_dropped[-1])


def _note_signal(signal_number: int, frame) -> None:
    _signals_received.append(signal_number)


def last_signal_received() -> int | None:
    """The signal that ended the run last, where one of this module's handlers met one."""
    return _signals_received[-1] if _signals_received else None


def last_signal() -> int:
    """The signal that ended the run last; SIGINT where Python's own Ctrl-C handler was in place.
    (An exception raised inside an SQLite callback is dropped by sqlite3, so this is how a
    statement stopped by a signal learns which.)"""
    return last_signal_received() or signal.SIGINT


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Steps that must not be cut in two (starting the helper processes, renaming a build's files
    into place). An ending signal that arrives during them is noted, and delivered again once
    they are done, to whatever handles it then; a process started meanwhile inherits the block.
    A signal whose handler was still to run as they begin is handled first (setting a handler
    runs those pending). Blocking signals alone was not enough: one arriving just before the
    block still ran its handler between two renames (2 of 5 tries replaced the database and kept
    the old inspect file)."""
    noted: list[int] = []

    def note(signal_number: int, frame) -> None:
        noted.append(signal_number)

    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    handlers = {number: signal.signal(number, note) for number in ENDING_SIGNALS} if in_main_thread else {}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ENDING_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for number, handler in handlers.items():
            signal.signal(number, handler)
    if noted:
        signal.raise_signal(noted[-1])


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM, SIGHUP and SIGQUIT end the run as Ctrl-C does: by an exception, so temporary files are
    removed and helper processes stopped on the way out (the default would end the process on
    the spot and leave both behind). Only the first signal raises; later ones are noted."""
    global _interrupting
    _signals_received.clear()  # a run's own: a library caller's earlier run told its signals already
    _dropped.clear()
    previous = {}
    hook_before = sys.unraisablehook

    def keep_dropped_interruption(unraisable) -> None:
        # A signal whose handler ran inside importlib's module-lock callback (a weakref's) raised
        # there: Python printed "Exception ignored in" with a traceback, and the command went on
        # (CI, once, in a test sending 24 signals in the first 0.3 s). It is noted, quietly, for
        # raise_dropped_interruption. Once the block has ended, a hook set meanwhile (the plugin's)
        # may still call this one: it then only passes each on.
        if _interrupting and isinstance(unraisable.exc_value, Interrupted):
            _dropped.append(unraisable.exc_value.signal_number)
        else:
            hook_before(unraisable)

    # Raising from the first handler set: a signal between setting them and raising was only
    # noted, and the command ran to its end before it said it was interrupted (review).
    _interrupting = True
    try:
        for number in ENDING_SIGNALS:
            previous[number] = signal.signal(number, _raise_interrupted)
        sys.unraisablehook = keep_dropped_interruption
        yield
    finally:
        # First, a signal is only noted (last_signal_received): one that came between two of the
        # handlers being put back raised Interrupted past every handler of it, and the command
        # ended in a traceback with status 1 (1 of 250 signals just after an export's last file).
        _interrupting = False
        for number, handler in previous.items():
            signal.signal(number, handler)
        if sys.unraisablehook is keep_dropped_interruption:  # not one set meanwhile (the plugin's)
            sys.unraisablehook = hook_before
