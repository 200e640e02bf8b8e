"""Shared fixtures. The official SDK writes ~/.huaweicloud on import: HOME must be a temp dir."""

from __future__ import annotations

import os
import tempfile

# Always a fresh HOME: HOME is always set, so setdefault would leave the real one in place.
os.environ["HOME"] = tempfile.mkdtemp(prefix="drw-home-")


# ---- simulator fixtures (H2) --------------------------------------------------------------------
from collections.abc import Iterator

import pytest

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import make_test_simulator


@pytest.fixture
def simulator() -> Simulator:
    """A simulator (time_scale 1) with the test credentials of watchdog.simulator.testing and one
    running pair `sales-dw` (TEST_DR_ID) that syncs every 2 s."""
    return make_test_simulator()


@pytest.fixture
def sim_server(simulator: Simulator) -> Iterator[SimulatorServer]:
    """The `simulator` fixture served over real HTTP on 127.0.0.1 (`sim_server.url`)."""
    with SimulatorServer(simulator) as server:
        yield server


# ---- real PostgreSQL server (H1): `postgres_server` (session) and `postgres` (restored per test) ----
pytest_plugins = ["tests.servers.fixtures"]
