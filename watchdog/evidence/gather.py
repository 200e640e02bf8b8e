"""The evidence step of a probe round: after the control-plane reads, each configured pair's SQL
endpoints, heartbeat and the canaries, added to its Observation as signals.

Per pair with `data_plane` configured, concurrently: production's SQL endpoint (DATA_PLANE), the
DR cluster's (DR_DATA_PLANE, a reference), the heartbeat write on production (HEARTBEAT) and the
newest heartbeat read on the DR cluster (`Observation.heartbeat_at`). The canaries are probed once
per round, concurrently with the control-plane reads, and their one CANARY signal goes into every
pair's observation. Each probe has its own deadline (`evidence.deadline_seconds`), a pair's probes
run concurrently and are bounded together as well (`budget`, a quarter more: a backstop), and at
most `concurrency` pairs are probed at once: a hung SQL endpoint costs a round at most its
deadline, and a pair whose probes outlived the backstop gets UNKNOWN signals, never DOWN. A pair
without `data_plane` gets no new signal but the canary's.

Addresses: the pair's `addresses[cluster_id]` override, else the cluster's `endpoints[0].connect_info`,
else `private_ip[0]` and `port` (as the control plane listed them this round). Keyed by cluster id,
so the "never proven" state of a probe follows the cluster, not the role, across a switch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from watchdog.dws.models import ClusterInfo
from watchdog.evidence.canary import probe_canaries
from watchdog.evidence.controlplane import Side, Sides
from watchdog.evidence.dataplane import DataPlaneProber
from watchdog.evidence.heartbeat import read_heartbeat, write_heartbeat
from watchdog.evidence.settings import DataPlaneLevel, DataPlaneSettings, split_host_port
from watchdog.evidence.sql import SqlEndpoint, SqlLogin
from watchdog.model import Observation, Signal, SignalSource, Verdict

__all__ = ["EvidenceProber", "Sides", "sql_address"]

log = logging.getLogger(__name__)
T = TypeVar("T")
SOURCE: dict[Side, SignalSource] = {"production": SignalSource.DATA_PLANE, "dr": SignalSource.DR_DATA_PLANE}


def sql_address(
    cluster_id: str | None, cluster: ClusterInfo | None, overrides: Mapping[str, str]
) -> SqlEndpoint | None:
    """Where a cluster's SQL endpoint is (see the module docstring); None when nothing says."""
    text = overrides.get(cluster_id) if cluster_id is not None else None
    if text is None and cluster is not None:
        text = next((e.connect_info for e in cluster.endpoints or () if e.connect_info), None)
        if text is None and cluster.private_ip and cluster.port is not None:
            text = f"{cluster.private_ip[0]}:{int(cluster.port)}"
    if text is None:
        return None
    try:
        host, port = split_host_port(text)
    except ValueError:
        return None  # the API gave something that is no address: no SQL address (UNKNOWN)
    return SqlEndpoint(host, port)


class EvidenceProber:
    """Data planes, heartbeats and canaries of every configured pair; lives as long as the daemon
    (it remembers which probes have ever succeeded)."""

    def __init__(
        self,
        planes: Mapping[str, DataPlaneSettings],
        *,
        deadline: float,
        canaries: Sequence[str] = (),
        concurrency: int = 64,
        prober: DataPlaneProber | None = None,
    ) -> None:
        self._planes = dict(planes)
        self._deadline = deadline
        self._canaries = [SqlEndpoint(*split_host_port(c)) for c in canaries]
        self._concurrency = max(1, concurrency)
        self._prober = prober or DataPlaneProber(deadline=deadline)
        self._keys: dict[tuple[str, Side], str] = {}  # (pair, side) -> the key probed last for it

    @property
    def configured(self) -> bool:
        """Whether there is anything to probe at all (else the round is exactly the control plane's)."""
        return bool(self._planes or self._canaries)

    @property
    def budget(self) -> float:
        """The longest one pair's probes may take (each has the deadline; they run concurrently)."""
        return self._deadline * 1.25 + 0.25

    async def canaries(self, now: datetime) -> Signal | None:
        """The one CANARY signal of this round (None: no canary configured)."""
        if not self._canaries:
            return None
        why = f"canary probes did not end within {self.budget:g} s"
        late = Signal(SignalSource.CANARY, Verdict.UNKNOWN, why, now, error=why)
        return await _bounded(probe_canaries(self._canaries, self._deadline, now), self.budget, late)

    async def complete(
        self,
        observations: Mapping[str, Observation],
        sides: Mapping[str, Sides],
        now: datetime,
        canary: Awaitable[Signal | None] | None = None,
    ) -> dict[str, Observation]:
        """Every observation with its evidence added (see the module docstring)."""
        shared = await canary if canary is not None else None
        names = [name for name in observations if name in self._planes]
        gate = asyncio.Semaphore(self._concurrency)  # per round: a round runs in one event loop
        work = [self._pair(gate, n, observations[n], sides.get(n, Sides()), now) for n in names]
        done = await asyncio.gather(*work)
        out = dict(observations)
        for name, added in zip(names, done, strict=True):
            obs = observations[name]
            out[name] = added if added is not None else _late(obs, self._planes[name], now, self.budget)
        if shared is not None:
            out = {name: replace(obs, signals=(*obs.signals, shared)) for name, obs in out.items()}
        return out

    def unproven(self) -> dict[tuple[str, str], bool]:
        """(pair, side) -> whether the probe of the cluster now on that side has never succeeded."""
        never = self._prober.unproven()
        return {where: key in never for where, key in self._keys.items()}

    async def _pair(
        self, gate: asyncio.Semaphore, name: str, obs: Observation, sides: Sides, now: datetime
    ) -> Observation | None:
        """The pair's observation with its evidence; None if its probes outlived the budget."""
        dp = self._planes[name]
        login = _login(dp)
        async with gate:
            probes = asyncio.gather(
                self._side(name, "production", dp, sides, login, now),
                self._side(name, "dr", dp, sides, login, now),
                self._heartbeat(name, dp, sides, login, now),
            )
            found = await _bounded(probes, self.budget, None)
        if found is None:
            return None
        production, dr, (written, heartbeat_at) = found
        signals = (*obs.signals, production, *((written,) if written is not None else ()), dr)
        return replace(obs, signals=signals, heartbeat_at=heartbeat_at)

    async def _side(
        self,
        name: str,
        side: Side,
        dp: DataPlaneSettings,
        sides: Sides,
        login: SqlLogin | None,
        now: datetime,
    ) -> Signal:
        cluster_id, cluster = sides.of(side)
        source = SOURCE[side]
        if cluster_id is None:
            why = f"which cluster is {side} is unknown this round"
            return Signal(source, Verdict.UNKNOWN, why, now, error=why)
        key = f"{name}/{cluster_id}"
        self._keys[(name, side)] = key
        endpoint = sql_address(cluster_id, cluster, dp.addresses)
        query = login if dp.level is DataPlaneLevel.QUERY else None
        return await self._prober.probe(key, source, endpoint, query, now)

    async def _heartbeat(
        self, name: str, dp: DataPlaneSettings, sides: Sides, login: SqlLogin | None, now: datetime
    ) -> tuple[Signal | None, datetime | None]:
        """HEARTBEAT (written on production) and the newest heartbeat read on DR; (None, None) if off."""
        if dp.heartbeat_table is None or login is None:
            return None, None
        production = sql_address(sides.production_id, sides.production, dp.addresses)
        dr = sql_address(sides.dr_id, sides.dr, dp.addresses)
        write: Awaitable[Signal] = (
            write_heartbeat(production, login, dp.heartbeat_table, name, now, self._deadline)
            if production is not None
            else _no_address(now)
        )
        reading = _read_dr(dr, login, dp.heartbeat_table, name, self._deadline)
        written, (heartbeat_at, error) = await asyncio.gather(write, reading)
        if error is not None:
            log.debug("heartbeat not read on the DR cluster", extra={"pair": name, "error": error})
        return written, heartbeat_at


def _login(dp: DataPlaneSettings) -> SqlLogin | None:
    if dp.password is None:
        return None
    return SqlLogin(dp.user, dp.password.get_secret_value(), dp.database)


async def _no_address(now: datetime) -> Signal:
    why = "no SQL address for production: the heartbeat was not written"
    return Signal(SignalSource.HEARTBEAT, Verdict.UNKNOWN, why, now, error=why)


async def _read_dr(
    dr: SqlEndpoint | None, login: SqlLogin, table: str, writer: str, deadline: float
) -> tuple[datetime | None, str | None]:
    if dr is None:
        return None, "no SQL address for the DR cluster"
    return await read_heartbeat(dr, login, table, writer, deadline)


async def _bounded(work: Awaitable[T], seconds: float, fallback: T) -> T:
    """`work`, or `fallback` if it has not ended within `seconds` (a backstop behind each deadline)."""
    try:
        async with asyncio.timeout(seconds):
            return await work
    except TimeoutError:
        return fallback


def _late(obs: Observation, dp: DataPlaneSettings, now: datetime, budget: float) -> Observation:
    """A pair whose evidence step did not end in time: its data-plane signals UNKNOWN, never DOWN."""
    why = f"data-plane probes did not end within {budget:g} s"
    sources = [SignalSource.DATA_PLANE, SignalSource.DR_DATA_PLANE]
    if dp.heartbeat_table is not None:
        sources.insert(1, SignalSource.HEARTBEAT)
    added = tuple(Signal(s, Verdict.UNKNOWN, why, now, error=why) for s in sources)
    return replace(obs, signals=(*obs.signals, *added))
