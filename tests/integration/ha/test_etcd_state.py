"""The shared operator state on a real etcd: compare-and-swap keeps both of two racing writers'
changes, a fenced write succeeds only under the leader's term, and etcd frozen is an error, never a
silent empty state."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.servers.etcd import EtcdServer
from watchdog.ha.etcd import EtcdClient, EtcdLeadership
from watchdog.ha.etcd_state import EtcdStateStore
from watchdog.ha.shared import Change, Fenced, Shared, SharedPair, SharedStateError
from watchdog.model import Pause

PREFIX = "/dr-watchdog/state-test/"
T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def store(etcd: EtcdServer) -> EtcdStateStore:
    return EtcdStateStore(EtcdClient(etcd.url, timeout=0.5), PREFIX + "state", PREFIX + "leader")


def paused(name: str) -> Change:
    return lambda s: replace(s, pauses=(*s.pauses, Pause(name, "ops", T0)))


def test_two_racing_writers_both_land(etcd: EtcdServer) -> None:
    async def scenario() -> None:
        a, b = store(etcd), store(etcd)
        assert (await a.load()).revision == 0  # no document yet: the empty state at revision 0
        await asyncio.gather(
            *(s.update(paused(f"{n}{i}")) for i in range(5) for n, s in (("a", a), ("b", b)))
        )
        seen = await a.load()
        assert sorted(p.reason for p in seen.pauses) == sorted(f"{n}{i}" for i in range(5) for n in "ab")
        assert seen.revision > 0
        await a.aclose()
        await b.aclose()

    asyncio.run(scenario())


def test_a_fenced_write_needs_the_current_leaders_term(etcd: EtcdServer) -> None:
    async def scenario() -> None:
        leader = EtcdLeadership(
            EtcdClient(etcd.url, timeout=0.5),
            PREFIX + "leader",
            "a",
            lease_seconds=3,
            renew_deadline_seconds=2,
        )
        s = store(etcd)
        with pytest.raises(Fenced):  # nobody leads: a fenced write is refused by etcd
            await s.update(lambda d: d.with_pair("p", SharedPair(latched_at=T0)), fence=12345)
        assert await leader.step()
        term = leader.term()
        assert term is not None
        await s.update(lambda d: d.with_pair("p", SharedPair(latched_at=T0)), fence=term)
        assert (await s.load()).pair("p").latched_at == T0
        await leader.resign()
        with pytest.raises(Fenced):  # the old term, once the leadership is gone
            await s.update(lambda d: d.with_pair("q", SharedPair(latched_at=T0)), fence=term)
        assert "q" not in (await s.load()).pairs
        await leader.client.aclose()
        await s.aclose()

    asyncio.run(scenario())


def test_etcd_frozen_is_an_error_not_an_empty_state(etcd: EtcdServer) -> None:
    async def scenario() -> None:
        s = store(etcd)
        await s.update(paused("before"))
        etcd.freeze()
        try:
            with pytest.raises(SharedStateError, match="unreadable"):
                await s.load()
            with pytest.raises(SharedStateError, match="not written"):
                await s.update(paused("during"))
        finally:
            etcd.thaw()
        assert [p.reason for p in (await s.load()).pauses] == ["before"]
        await s.aclose()

    asyncio.run(scenario())


def test_the_empty_document_is_the_default_state(etcd: EtcdServer) -> None:
    async def scenario() -> None:
        s = store(etcd)
        assert await s.load() == Shared()
        await s.aclose()

    asyncio.run(scenario())
