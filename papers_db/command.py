"""The `papers-db` command as it starts: quick to load, so that Ctrl-C while the rest of the
command loads (0.35 s: typer, rich, the build) ends in one line, as it does later, not in a
traceback of the imports under way."""

from __future__ import annotations

import os
import signal
import sys

from .errors import ENDING_SIGNALS


def main() -> None:
    for number in ENDING_SIGNALS:
        signal.signal(number, _ended_while_starting)
    from .cli import main as run_command  # it sets the handlers of a command under way

    run_command()


def _ended_while_starting(signal_number: int, frame) -> None:
    # At once: nothing is written yet, and an exception raised here could land in a finalizer
    # that Python runs meanwhile, which drops it, and the command went on (1 of 6 tries).
    print(f"error: interrupted by {signal.Signals(signal_number).name}", file=sys.stderr, flush=True)
    os._exit(128 + signal_number)
