"""The policy stays pure: policy.py imports watchdog.model and its own pure modules (guards, outage,
verdict, brake), each of which imports watchdog.model alone; all of them only side-effect-free stdlib, and
none reads a clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import watchdog.brake
import watchdog.guards
import watchdog.outage
import watchdog.policy
import watchdog.verdict

ALLOWED_STDLIB = {"__future__", "collections", "dataclasses", "datetime"}
# each pure module and the watchdog modules it may import (guards: the model alone)
PURE = {
    watchdog.policy.__file__: {
        "watchdog.model",
        "watchdog.brake",
        "watchdog.guards",
        "watchdog.outage",
        "watchdog.verdict",
    },
    watchdog.brake.__file__: {"watchdog.model"},
    watchdog.guards.__file__: {"watchdog.model"},
    watchdog.outage.__file__: {"watchdog.model"},
    watchdog.verdict.__file__: {"watchdog.model"},
}


def source(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def imported_modules(path: str) -> set[str]:
    tree = ast.parse(source(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(PURE))
def test_pure_modules_import_the_model_only(path: str) -> None:
    """policy.py imports nothing of the watchdog but watchdog.model and its pure siblings; each
    sibling only watchdog.model; all only side-effect-free stdlib."""
    modules = imported_modules(path)
    ours = {m for m in modules if m.split(".")[0] == "watchdog"}
    assert ours <= PURE[path] and "watchdog.model" in ours
    others = {m.split(".")[0] for m in modules} - {"watchdog"}
    assert others <= ALLOWED_STDLIB and others <= set(sys.stdlib_module_names) | {"__future__"}


@pytest.mark.parametrize("path", sorted(PURE))
def test_pure_modules_read_no_clock_or_environment(path: str) -> None:
    """No wall clock, environment or randomness inside the decision: time is an argument."""
    text = source(path)
    for forbidden in ("datetime.now", ".now(", "time.time", "os.environ", "getenv", "random"):
        assert forbidden not in text, forbidden
