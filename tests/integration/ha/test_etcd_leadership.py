"""Leader election against a real etcd (Debian's etcd-server on 127.0.0.1): short lease timings."""

from __future__ import annotations

import asyncio
import time

from tests.integration.ha.conftest import steps
from tests.servers.etcd import EtcdServer
from watchdog.ha.etcd import EtcdClient, EtcdLeadership

KEY = "/dr-watchdog/test/leader"
LEASE, DEADLINE = 3.0, 2.0


def member(etcd: EtcdServer, name: str) -> EtcdLeadership:
    client = EtcdClient(etcd.url, timeout=0.5)
    return EtcdLeadership(client, KEY, name, lease_seconds=LEASE, renew_deadline_seconds=DEADLINE)


def test_three_members_elect_exactly_one_with_a_growing_term(etcd: EtcdServer) -> None:
    """Never two leaders at once; the first stays leader while it renews; its resign hands over at
    once to one other member, whose term (the key's create revision) is larger."""

    async def scenario() -> None:
        a, b, c = (member(etcd, n) for n in "abc")
        seen = await steps([a, b, c], 2.0)
        assert all(sum(row) <= 1 for row in seen) and seen[-1] == [True, False, False]
        first = a.term()
        assert first is not None
        await a.resign()
        seen = await steps([b, c], 1.0)
        assert all(sum(row) == 1 for row in seen[1:]), seen
        new = b.term() or c.term()
        assert new is not None and new > first
        for m in (a, b, c):
            await m.client.aclose()

    asyncio.run(scenario())


def test_a_silent_leader_stops_holding_before_its_lease_expires_and_a_follower_takes_over(
    etcd: EtcdServer,
) -> None:
    """The leader stops renewing (as if frozen): it holds until its renew deadline only; the follower
    wins only after etcd expired the lease, which is after the leader stopped holding."""

    async def scenario() -> None:
        a, b = member(etcd, "a"), member(etcd, "b")
        await steps([a, b], 0.6)
        assert a.holds() and not b.holds()
        silent_at = time.monotonic()
        stopped_holding = took_over = None
        while time.monotonic() - silent_at < LEASE + 3:
            if stopped_holding is None and not a.holds():
                stopped_holding = time.monotonic() - silent_at
            if took_over is None and await b.step():
                took_over = time.monotonic() - silent_at
            await asyncio.sleep(0.1)
        assert stopped_holding is not None and took_over is not None
        assert stopped_holding <= DEADLINE + 0.2
        assert took_over > stopped_holding + (LEASE - DEADLINE) - 0.5  # the lease's own margin
        assert not await a.step()  # resumed: it finds its lease gone and never holds again
        await a.client.aclose()
        await b.client.aclose()

    asyncio.run(scenario())


def test_a_frozen_etcd_leaves_nobody_holding(etcd: EtcdServer) -> None:
    """etcd SIGSTOPped: the leader cannot renew and stops holding at its renew deadline; no follower
    can win meanwhile; once etcd is thawed, exactly one leads again."""

    async def scenario() -> None:
        a, b = member(etcd, "a"), member(etcd, "b")
        await steps([a, b], 0.6)
        assert a.holds()
        etcd.freeze()
        try:
            seen = await steps([a, b], DEADLINE + 1.5)
            assert seen[-1] == [False, False] and not a.reachable
        finally:
            etcd.thaw()
        seen = await steps([a, b], LEASE + 2)
        assert sum(seen[-1]) == 1
        await a.client.aclose()
        await b.client.aclose()

    asyncio.run(scenario())
