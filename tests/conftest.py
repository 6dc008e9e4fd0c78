import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SOURCES = PROJECT / "sources"


def run_cli(*args, cwd=PROJECT, **kwargs):
    """Run `python build_db.py ...` as a user would, in a subprocess."""
    return subprocess.run(
        [sys.executable, str(PROJECT / "build_db.py"), *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs,
    )


@pytest.fixture(scope="session")
def built_db(tmp_path_factory):
    """The database built from the vendored sources by the real `build` command."""
    output = tmp_path_factory.mktemp("dist") / "papers.db"
    result = run_cli("build", "--output", output)
    assert result.returncode == 0, result.stderr
    return output
