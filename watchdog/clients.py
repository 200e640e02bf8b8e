"""One DWS client per configured endpoint, and which one serves each side of each pair (issue 12).

The prober reads every endpoint's lists through its own client; the executor posts a pair's
failover, and follows it, through the client of the pair's `act_via` side; a cluster is read
through the endpoint that hosts it. Where a cluster lives is learned from the DR task each round
(`learn`: the list names each side's project and region); before that, the configuration's
orientation stands in (the intent's old primary on the production side, its old standby on the DR
side), which is what it is until a failover has swapped the roles.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import TracebackType

from watchdog.dws.client import DwsClient
from watchdog.dws.errors import DwsError
from watchdog.dws.models import DisasterRecovery
from watchdog.endpoints import DEFAULT_ENDPOINT, PairSides, Placement, Resolved, check_placement

__all__ = ["CloudClients", "placement_errors"]
log = logging.getLogger(__name__)


class CloudClients:
    """The clients by endpoint name; an async context manager that closes them all."""

    def __init__(
        self,
        clients: Mapping[str, DwsClient],
        sides: Mapping[str, PairSides],
        endpoints: Mapping[str, Resolved] | None = None,
    ) -> None:
        self.clients = dict(clients)
        self.sides = dict(sides)
        self.endpoints = dict(endpoints or {})
        self._hosts: dict[str, str] = {}  # cluster id -> endpoint name, learned from the DR tasks

    def endpoint(self, name: str) -> DwsClient:
        return self.clients[name]

    def acting(self, pair: str) -> DwsClient:
        """The client that takes the pair's failover and the reads that follow it (`act_via`)."""
        return self.clients[self.sides[pair].acting]

    def learn(self, cluster_id: str, endpoint: str) -> None:
        """The endpoint that hosts `cluster_id`, as its DR task says (each round)."""
        self._hosts[cluster_id] = endpoint

    def host_of(self, pair: str, cluster_id: str, default_side: str) -> str:
        """The endpoint hosting the cluster: learned, else the pair's `default_side` endpoint."""
        sides = self.sides[pair]
        fallback = sides.production if default_side == "production" else sides.dr
        return self._hosts.get(cluster_id, fallback)

    def for_cluster(self, pair: str, cluster_id: str, default_side: str) -> DwsClient:
        return self.clients[self.host_of(pair, cluster_id, default_side)]

    async def __aenter__(self) -> CloudClients:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()


async def placement_errors(clients: CloudClients, pairs: Sequence[tuple[str, str]]) -> list[str]:
    """Start-up check: each pair's DR task (`pairs`: name, DR id, in configuration order), listed
    through its DR side's endpoint, against the endpoints the pair names; the config error lines.

    An endpoint that does not answer is skipped (logged): the watchdog must start during the very
    outage it exists for, and the rounds never act on a pair whose task they cannot read. A pair of
    the one-endpoint case (both sides `default`) only gets a warning: old files keep starting."""
    wanted = {clients.sides[name].dr for name, _ in pairs}
    listed: dict[str, dict[str, DisasterRecovery]] = {}
    for name in wanted:
        try:
            items = await clients.endpoint(name).list_disaster_recoveries()
        except DwsError as exc:
            log.warning("placement check skipped", extra={"endpoint": name, "error": str(exc)})
            continue
        listed[name] = {item.id: item for item in items}
    lines = []
    for index, (pair, dr_id) in enumerate(pairs):
        sides = clients.sides[pair]
        item = listed.get(sides.dr, {}).get(dr_id)
        if item is None:
            continue
        placement = Placement(
            (item.primary_cluster_region, item.primary_cluster_project_id),
            (item.standby_cluster_region, item.standby_cluster_project_id),
        )
        line = check_placement(pair, index, sides, placement, clients.endpoints)
        if line is not None and sides.production == sides.dr == DEFAULT_ENDPOINT:
            # a file from before endpoints existed keeps starting: its pair is only half seen
            log.warning("%s; name the DR side's endpoint in the pair's `dr`", line, extra={"pair": pair})
        elif line is not None:
            lines.append(line)
    return lines
