"""The shared operator state in a ConfigMap of the fake Kubernetes API server (real HTTP on
127.0.0.1): compare-and-swap keeps both of two racing writers' changes, a fenced write needs the
Lease under the writer's term, and the API server frozen or refusing is an error, never an empty state."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tests.integration.ha.conftest import kube_client
from tests.servers.kube_api import KubeApiServer
from watchdog.ha.authority import build_authority
from watchdog.ha.kube import KubeLeadership
from watchdog.ha.kube_state import KubeStateStore, build_kube, revision
from watchdog.ha.settings import HaBackend, HaSettings, KubernetesSettings, LeaseSettings
from watchdog.ha.shared import Change, Fenced, Shared, SharedPair, SharedStateError, decode, encode
from watchdog.metrics import Metrics
from watchdog.model import Pause

NS = "drw"
LEASE_PATH = f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/dr-watchdog"
T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def store(api: KubeApiServer, token: Path, identity: str = "a") -> KubeStateStore:
    return KubeStateStore(kube_client(api, token), NS, "dr-watchdog-state", LEASE_PATH, identity)


def paused(name: str) -> Change:
    return lambda s: replace(s, pauses=(*s.pauses, Pause(name, "ops", T0)))


def test_two_racing_writers_both_land(kube_api: KubeApiServer, token_file: Path) -> None:
    async def scenario() -> None:
        a, b = store(kube_api, token_file), store(kube_api, token_file)
        assert await a.load() == Shared()  # no ConfigMap yet: the empty state at revision 0
        await asyncio.gather(
            *(s.update(paused(f"{n}{i}")) for i in range(5) for n, s in (("a", a), ("b", b)))
        )
        seen = await a.load()
        assert sorted(p.reason for p in seen.pauses) == sorted(f"{n}{i}" for i in range(5) for n in "ab")
        cm = kube_api.get(NS, "configmaps", "dr-watchdog-state")
        assert cm is not None and seen.revision == int(cm["metadata"]["resourceVersion"])
        codes = [code for m, p, code in kube_api.requests if "configmaps" in p and m in ("PUT", "POST")]
        assert 409 in codes  # the writers did race, and the conflicts were retried
        await a.aclose()
        await b.aclose()

    asyncio.run(scenario())


def test_a_write_racing_between_read_and_put_is_retried_not_lost(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    async def scenario() -> None:
        s = store(kube_api, token_file)
        await s.update(paused("first"))

        def other_writer(cm: dict[str, Any]) -> None:
            cm["data"]["state"] = encode(paused("between")(decode(cm["data"]["state"], 0)))

        kube_api.before_next_put = lambda: kube_api.put_as(
            NS, "configmaps", "dr-watchdog-state", other_writer
        )
        await s.update(paused("mine"))
        assert sorted(p.reason for p in (await s.load()).pauses) == ["between", "first", "mine"]
        assert [c for m, p, c in kube_api.requests if m == "PUT"] == [409, 200]
        await s.aclose()

    asyncio.run(scenario())


def test_a_fenced_write_needs_the_lease_under_the_writers_term(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    async def scenario() -> None:
        leader = KubeLeadership(
            kube_client(kube_api, token_file),
            NS,
            "dr-watchdog",
            "a",
            lease_seconds=3,
            renew_deadline_seconds=2,
        )
        s = store(kube_api, token_file)
        latch: Change = lambda d: d.with_pair("p", SharedPair(latched_at=T0))  # noqa: E731
        with pytest.raises(Fenced, match="term 1 no longer holds"):  # no Lease at all
            await s.update(latch, fence=1)
        assert await leader.step()
        term = leader.term()
        assert term == 1
        with pytest.raises(Fenced):  # the Lease is a's, but not under this term
            await s.update(latch, fence=term + 1)
        other = store(kube_api, token_file, identity="b")
        with pytest.raises(Fenced):  # the right term, but b is not the holder
            await other.update(latch, fence=term)
        await other.aclose()
        await s.update(latch, fence=term)
        assert (await s.load()).pair("p").latched_at == T0
        await leader.resign()
        with pytest.raises(Fenced):  # the old term, once the Lease is released
            await s.update(lambda d: d.with_pair("q", SharedPair(latched_at=T0)), fence=term)
        assert "q" not in (await s.load()).pairs
        await leader.client.aclose()
        await s.aclose()

    asyncio.run(scenario())


def test_api_server_frozen_is_an_error_not_an_empty_state(kube_api: KubeApiServer, token_file: Path) -> None:
    async def scenario() -> None:
        s = store(kube_api, token_file)
        await s.update(paused("before"))
        kube_api.freeze()
        try:
            with pytest.raises(SharedStateError, match="unreadable"):
                await s.load()
            with pytest.raises(SharedStateError, match="not written"):
                await s.update(paused("during"))
        finally:
            kube_api.thaw()
        assert [p.reason for p in (await s.load()).pauses] == ["before"]
        await s.aclose()

    asyncio.run(scenario())


def test_a_refused_token_is_one_line_without_the_token(kube_api: KubeApiServer, token_file: Path) -> None:
    async def scenario() -> None:
        token_file.write_text("not-the-secret-token")
        s = store(kube_api, token_file)
        for call in (s.load(), s.update(paused("x"))):
            with pytest.raises(SharedStateError) as info:
                await call
            text = str(info.value)
            assert "HTTP 401 (token refused)" in text and "not-the-secret-token" not in text
            assert "\n" not in text
        await s.aclose()

    asyncio.run(scenario())


def test_a_non_numeric_resource_version_still_gives_an_int_revision() -> None:
    assert revision("12345") == 12345
    opaque = revision("a1b2-c3")
    assert isinstance(opaque, int) and opaque > 0 and opaque == revision("a1b2-c3") != revision("a1b2-c4")


def test_the_backend_built_from_settings_leads_and_writes_fenced(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    """`ha.backend: kubernetes` end to end on the fake API server: build_authority's loop leads and
    exports `leader`, build_kube's store writes under its term into the configured ConfigMap."""
    ha = HaSettings(
        backend=HaBackend.KUBERNETES,
        identity="pod-a",
        lease=LeaseSettings(lease_seconds=3, renew_deadline_seconds=2, retry_period_seconds=0.5),
        kubernetes=KubernetesSettings(
            api_url=kube_api.url, namespace=NS, lease_name="drw-lease", state_name="drw-state",
            token_path=str(token_file), timeout_seconds=0.4,
        ),
    )  # fmt: skip

    async def scenario() -> None:
        metrics = Metrics(CollectorRegistry(), process_collectors=False)
        loop = build_authority(ha, metrics)
        assert loop is not None
        await loop.start()
        term = loop.term()
        assert loop.holds() and term == 1 and metrics.registry.get_sample_value("dr_watchdog_leader") == 1
        leadership, s = build_kube(ha, "pod-a")
        await s.update(paused("fenced"), fence=term)
        cm = kube_api.get(NS, "configmaps", "drw-state")
        assert cm is not None and "fenced" in cm["data"]["state"]
        await loop.close()  # resigns: the Lease is free
        assert spec_of(kube_api, "drw-lease")["holderIdentity"] == ""
        await leadership.client.aclose()
        await s.aclose()

    asyncio.run(scenario())


def spec_of(api: KubeApiServer, name: str) -> dict[str, Any]:
    lease = api.get(NS, "leases", name)
    assert lease is not None
    return dict(lease["spec"])
