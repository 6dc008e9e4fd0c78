"""The `papers-db` command run from a checkout: `python build_db.py build`, `... serve`, and so on.

The code is in the `papers_db` package; `papers_db.cli` is the command line."""

from papers_db.command import main

if __name__ == "__main__":
    main()
