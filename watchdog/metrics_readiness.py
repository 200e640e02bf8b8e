"""The readiness metrics (`watchdog.readiness`): part of `watchdog.metrics.Metrics` (`metrics.readiness`).

`failover_ready{pair}` is one sample a pair (1 ready, 0 not, NaN before its first round);
`failover_not_ready{pair,reason}` exists only while that reason holds, like `failover_blocked`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from prometheus_client import CollectorRegistry

from watchdog.metrics_pairs import PairFamily, set_reasons

P = "dr_watchdog_"


class ReadinessMetrics:
    def __init__(self, r: CollectorRegistry) -> None:
        self.ready = PairFamily(
            f"{P}failover_ready",
            "1 if an automatic failover would go through were production to die now, 0 if not, NaN before "
            "the pair's first round",
            ["pair"],
            registry=r,
        )
        self.not_ready = PairFamily(
            f"{P}failover_not_ready",
            "1 for each reason an automatic failover would not go through now (absent otherwise)",
            ["pair", "reason"],
            registry=r,
        )
        self.old_primary_reachable = PairFamily(
            f"{P}old_primary_reachable",
            "After a failover, while the pair is latched: 1 once the old production is AVAILABLE again and "
            "its SQL endpoint (where probed) accepts connections (clients may still write to it), else 0",
            ["pair"],
            registry=r,
        )
        self._reasons: dict[str, frozenset[str]] = {}
        self._watched: set[str] = set()  # pairs whose old_primary_reachable series exists

    def add_pair(self, pair: str) -> None:
        self.ready.labels(pair=pair).set(math.nan)

    def set(self, pair: str, reasons: Iterable[str]) -> None:
        """The pair's readiness: its reasons' series (absent once a reason no longer holds)."""
        active = frozenset(reasons)
        self.ready.labels(pair=pair).set(0 if active else 1)
        before = self._reasons.get(pair, frozenset())
        if before == active:
            return
        set_reasons(self.not_ready, pair, before, active)
        self._reasons[pair] = active

    def set_old_primary(self, pair: str, reachable: bool | None) -> None:
        """The old production's state after a failover; None (not latched after one): no series."""
        if reachable is None:
            if pair in self._watched:
                self.old_primary_reachable.remove(pair)
                self._watched.discard(pair)
            return
        self.old_primary_reachable.labels(pair=pair).set(1 if reachable else 0)
        self._watched.add(pair)
