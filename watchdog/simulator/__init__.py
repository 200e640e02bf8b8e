"""A faithful simulator of the GaussDB(DWS) disaster-recovery API, with fault knobs.

Used by the tests (real HTTP on 127.0.0.1), by `dr-watchdog simulate` and `dr-watchdog demo`, for game
days and for benchmarks with thousands of pairs. See docs/simulator.md.
"""

from __future__ import annotations

from watchdog.simulator.core import Simulator
from watchdog.simulator.faults import Fault, FaultKind
from watchdog.simulator.model import (
    ActionCall,
    ClusterState,
    DrStatus,
    FailoverOutcome,
    Operation,
    PairTiming,
    RequestRecord,
    SideStatus,
    SimCluster,
    TimestampFormat,
)
from watchdog.simulator.pair import Rejected, SimPair
from watchdog.simulator.server import SimulatorServer

__all__ = [
    "ActionCall",
    "ClusterState",
    "DrStatus",
    "FailoverOutcome",
    "Fault",
    "FaultKind",
    "Operation",
    "PairTiming",
    "Rejected",
    "RequestRecord",
    "SideStatus",
    "SimCluster",
    "SimPair",
    "Simulator",
    "SimulatorServer",
    "TimestampFormat",
]
