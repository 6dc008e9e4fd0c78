"""The tree stays clean under the linter configured in pyproject.toml."""

import subprocess
import sys

from conftest import PROJECT


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(PROJECT)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
