"""A real server or tool a test needs is missing: the test fails in CI (CI=true), where `make tools`
installs everything, and is skipped elsewhere (a developer's machine without the package)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    """Fail (CI) or skip (elsewhere) the calling test, saying what is missing and why."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
