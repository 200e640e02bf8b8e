"""The metrics of the independent evidence (issue 11): gray failures, isolation, unproven probes,
the heartbeat's lag and how late rounds start. Part of `watchdog.metrics.Metrics` (`metrics.evidence`).

Cardinality stays low: one gray-failure series per pair, two unproven series (production, dr) and one
heartbeat-lag series per pair that configures them, no per-pair histogram.
"""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Gauge

from watchdog.metrics_pairs import PairFamily

P = "dr_watchdog_"
DATA_PLANE_SIDES: tuple[str, ...] = ("production", "dr")


class EvidenceMetrics:
    """Gauges of the evidence; series of configured pairs are created at start-up (0 or NaN)."""

    def __init__(self, r: CollectorRegistry) -> None:
        self.gray_failure = PairFamily(
            f"{P}gray_failure",
            "1 while the pair's last decision saw a gray failure: production's control plane and its "
            "SQL endpoint disagree (no failover)",
            ["pair"],
            registry=r,
        )
        self.isolated = Gauge(
            f"{P}isolated",
            "1 when every pair decided in the last round reached none of its references: the watchdog "
            "cannot see the network, so every verdict is unknown",
            registry=r,
        )
        self.data_plane_unproven = PairFamily(
            f"{P}data_plane_unproven",
            "1 while a configured data-plane probe has never succeeded since start (a wrong address or "
            "no route: its failures are no evidence)",
            ["pair", "side"],
            registry=r,
        )
        self.heartbeat_lag = PairFamily(
            f"{P}heartbeat_lag_seconds",
            "Observation time minus the newest heartbeat row read on the DR cluster (NaN: not measured)",
            ["pair"],
            registry=r,
        )
        self.round_late = Gauge(
            f"{P}round_late_seconds",
            "How much later than its schedule the last round started (0 on time)",
            registry=r,
        )
        self.isolated.set(0)
        self.round_late.set(0)

    def add_pair(self, pair: str, *, data_plane: bool = False, heartbeat: bool = False) -> None:
        """The pair's series at their neutral values (its data-plane ones only if it configures them)."""
        self.gray_failure.labels(pair=pair).set(0)
        if data_plane:
            for side in DATA_PLANE_SIDES:
                self.data_plane_unproven.labels(pair=pair, side=side).set(0)
        if heartbeat:
            self.heartbeat_lag.labels(pair=pair).set(math.nan)
