"""The `papers-db` command run from a checkout: `python build_db.py build`, `... serve`, and so on.

The code is in the `papers_db` package; `papers_db.cli` is the command line."""

import _signal  # CPython's own, loaded with the interpreter: `signal` builds its enums first (CI saw a Ctrl-C there)

# The ending signals wait, blocked, until the command has set their handlers (papers_db.command
# main unblocks them): on a loaded machine a Ctrl-C 0.05 s after the start, while the command's
# first module loaded, printed a traceback of the import. The names are command.ENDING_SIGNALS',
# written again since importing that module is the wait itself; a test checks they are the same.
if hasattr(_signal, "pthread_sigmask"):
    _signal.pthread_sigmask(_signal.SIG_BLOCK, [getattr(_signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
                                                if hasattr(_signal, name)])

from papers_db.command import main  # noqa: E402

if __name__ == "__main__":
    main()
