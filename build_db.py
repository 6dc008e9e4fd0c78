"""The `papers-db` command run from a checkout: `python build_db.py build`, `... serve`, and so on.

The code is in the `papers_db` package; `papers_db.cli` is the command line."""

import signal

# The ending signals wait, blocked, until the command has set their handlers (papers_db.command
# main unblocks them): on a loaded machine a Ctrl-C 0.05 s after the start, while the command's
# first module loaded, printed a traceback of the import.
if hasattr(signal, "pthread_sigmask"):
    signal.pthread_sigmask(signal.SIG_BLOCK, [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
                                              if hasattr(signal, name)])

from papers_db.command import main  # noqa: E402

if __name__ == "__main__":
    main()
