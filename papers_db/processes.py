"""The one helper process a build uses for work that can take the second core."""

from __future__ import annotations

import concurrent.futures
import multiprocessing


def second_process() -> concurrent.futures.ProcessPoolExecutor:
    """One worker process for work that can use the second core. It is spawned, not forked, so
    that it inherits no open SQLite connection or progress-bar thread from this process."""
    return concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
