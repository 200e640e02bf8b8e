"""The policy stays pure: it imports watchdog.model and the standard library only, and reads no clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import watchdog.policy

SOURCE = Path(watchdog.policy.__file__).read_text(encoding="utf-8")
ALLOWED_STDLIB = {"__future__", "collections", "dataclasses", "datetime"}


def imported_modules() -> set[str]:
    tree = ast.parse(SOURCE)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_policy_imports_model_only() -> None:
    """policy.py imports nothing of the watchdog but watchdog.model, and only side-effect-free stdlib."""
    modules = imported_modules()
    ours = {m for m in modules if m.split(".")[0] == "watchdog"}
    assert ours == {"watchdog.model"}
    others = {m.split(".")[0] for m in modules} - {"watchdog"}
    assert others <= ALLOWED_STDLIB and others <= set(sys.stdlib_module_names) | {"__future__"}


def test_policy_reads_no_clock_or_environment() -> None:
    """No wall clock, environment or randomness inside the decision: time is an argument."""
    for forbidden in ("datetime.now", ".now(", "time.time", "os.environ", "getenv", "random"):
        assert forbidden not in SOURCE, forbidden
