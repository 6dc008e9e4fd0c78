"""`python -m papers_db`: the `papers-db` command, as `build_db.py` and the installed script run it
(`python -m papers_db.cli` defines the commands and runs none)."""

from .command import main

if __name__ == "__main__":
    main()
