"""Leader election on a Lease of the fake Kubernetes API server (real HTTP on 127.0.0.1): short
lease timings, the same scenarios as the etcd backend's."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from tests.integration.ha.conftest import kube_client, steps
from tests.servers.kube_api import KubeApiServer, self_signed
from watchdog.ha.kube import KubeLeadership
from watchdog.ha.kube_client import KubeClient, KubeError

NS, NAME = "drw", "dr-watchdog"
LEASE, DEADLINE = 3.0, 2.0


def member(api: KubeApiServer, token: Path, name: str) -> KubeLeadership:
    return KubeLeadership(
        kube_client(api, token), NS, NAME, name, lease_seconds=LEASE, renew_deadline_seconds=DEADLINE
    )


def spec(api: KubeApiServer) -> dict[str, object]:
    lease = api.get(NS, "leases", NAME)
    assert lease is not None
    return dict(lease["spec"])


def test_three_members_elect_exactly_one_and_resign_hands_over_with_a_larger_term(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    async def scenario() -> None:
        a, b, c = (member(kube_api, token_file, n) for n in "abc")
        seen = await steps([a, b, c], 2.0)
        assert all(sum(row) <= 1 for row in seen) and seen[-1] == [True, False, False]
        first = a.term()
        assert first == 1 and spec(kube_api)["holderIdentity"] == "a"
        await a.resign()
        assert spec(kube_api)["holderIdentity"] == ""
        released = time.monotonic()
        seen = await steps([b, c], 1.0)
        assert all(sum(row) == 1 for row in seen), seen  # the first step after the release wins
        assert time.monotonic() - released < 1.5
        new = b.term() or c.term()
        assert new is not None and new > first and spec(kube_api)["leaseTransitions"] == new
        for m in (a, b, c):
            await m.client.aclose()

    asyncio.run(scenario())


def test_a_silent_leader_stops_holding_before_the_others_see_its_lease_expire(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    """The leader stops renewing (frozen): it holds until its renew deadline only; the follower takes
    over only a lease duration after it last saw the Lease change, so after the leader stopped."""

    async def scenario() -> None:
        a, b = member(kube_api, token_file, "a"), member(kube_api, token_file, "b")
        await steps([a, b], 0.6)
        assert a.holds() and not b.holds()
        silent_at = time.monotonic()
        stopped_holding = took_over = None
        while time.monotonic() - silent_at < LEASE + 3:
            if stopped_holding is None and not a.holds():
                stopped_holding = time.monotonic() - silent_at
            held = await b.step()
            if took_over is None and held:
                took_over = time.monotonic() - silent_at
            await asyncio.sleep(0.1)
        assert stopped_holding is not None and took_over is not None
        assert stopped_holding <= DEADLINE + 0.2
        assert took_over > stopped_holding + (LEASE - DEADLINE) - 0.5
        assert spec(kube_api)["leaseTransitions"] == 2 and b.term() == 2
        assert not await a.step()  # resumed: the Lease is b's, a never holds again
        await a.client.aclose()
        await b.client.aclose()

    asyncio.run(scenario())


def test_a_conflict_on_renewal_makes_the_leader_a_follower(kube_api: KubeApiServer, token_file: Path) -> None:
    """Another writer changes the Lease between the leader's read and its PUT: 409 Conflict, and the
    leader stops holding at once (it does not wait for its renew deadline)."""

    async def scenario() -> None:
        a = member(kube_api, token_file, "a")
        assert await a.step()

        def intruder() -> None:
            kube_api.put_as(NS, "leases", NAME, lambda lease: lease["spec"].update(holderIdentity="x"))

        kube_api.before_next_put = intruder
        assert not await a.step() and a.term() is None and a.reachable
        assert kube_api.requests[-1][0::2] == ("PUT", 409)
        assert spec(kube_api)["holderIdentity"] == "x"
        await a.client.aclose()

    asyncio.run(scenario())


def test_a_conflict_on_takeover_leaves_the_follower_a_follower(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    async def scenario() -> None:
        a, b = member(kube_api, token_file, "a"), member(kube_api, token_file, "b")
        assert await a.step()
        await a.resign()  # free: b takes it on its next step, unless someone writes first
        kube_api.before_next_put = lambda: kube_api.put_as(
            NS, "leases", NAME, lambda lease: lease["spec"].update(holderIdentity="x", leaseTransitions=2)
        )
        assert not await b.step() and b.term() is None
        assert kube_api.requests[-1][0::2] == ("PUT", 409)
        await a.client.aclose()
        await b.client.aclose()

    asyncio.run(scenario())


def test_two_campaigns_racing_on_one_read_leave_one_leader(kube_api: KubeApiServer, token_file: Path) -> None:
    """Both read the missing Lease and POST at once: one 201, one 409 AlreadyExists (a follower)."""

    async def scenario() -> None:
        members = [member(kube_api, token_file, n) for n in "abcd"]
        kube_api.get_barrier = threading.Barrier(len(members))
        held = await asyncio.gather(*(m.step() for m in members))
        assert sum(held) == 1
        assert sorted(code for m, p, code in kube_api.requests if m == "POST") == [201] + [409] * 3
        kube_api.get_barrier = None
        for m in members:
            await m.client.aclose()

    asyncio.run(scenario())


def test_a_frozen_api_server_leaves_nobody_holding(kube_api: KubeApiServer, token_file: Path) -> None:
    async def scenario() -> None:
        a, b = member(kube_api, token_file, "a"), member(kube_api, token_file, "b")
        await steps([a, b], 0.6)
        assert a.holds()
        kube_api.freeze()
        try:
            seen = await steps([a, b], DEADLINE + 1.0)
            assert seen[-1] == [False, False] and not a.reachable and not b.reachable
            assert all(row == [False, False] for row in seen[1:])  # uncertain from the first failed step
        finally:
            kube_api.thaw()
        seen = await steps([a, b], 1.0)
        assert seen[-1] == [True, False]  # the Lease still names a: it takes it again, with a new term
        assert a.term() == 2
        await a.client.aclose()
        await b.client.aclose()

    asyncio.run(scenario())


def test_a_refused_token_is_a_clear_error_without_the_token(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    """401: not holding, not reachable, and the error names the cause but never the token; the token
    is re-read per request, so a rotated file is used at once."""

    async def scenario() -> None:
        token_file.write_text("stale-secret-token\n")
        client = kube_client(kube_api, token_file)
        with pytest.raises(KubeError) as info:
            await client.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/{NAME}")
        assert "401" in str(info.value) and "token refused" in str(info.value)
        assert "stale-secret-token" not in str(info.value) and "\n" not in str(info.value)
        a = KubeLeadership(client, NS, NAME, "a", lease_seconds=LEASE, renew_deadline_seconds=DEADLINE)
        assert not await a.step() and not a.reachable
        token_file.write_text(kube_api.token)  # rotated by the kubelet
        assert await a.step() and a.reachable
        await client.aclose()

    asyncio.run(scenario())


def test_https_is_checked_against_the_configured_ca(tmp_path: Path) -> None:
    """The API server's certificate must chain to `ca_path`: the right bundle works, another fails
    as an unreachable step (never an unverified connection)."""
    cert, key = self_signed(tmp_path)
    other, _ = self_signed(tmp_path, "other")
    with KubeApiServer(tls=(cert, key)) as api:
        token = tmp_path / "token"
        token.write_text(api.token)

        async def scenario() -> None:
            for ca, holds in ((cert, True), (other, False)):
                client = KubeClient(api.url, token_path=str(token), ca_path=str(ca), timeout=2.0)
                a = KubeLeadership(
                    client, NS, NAME, "a", lease_seconds=LEASE, renew_deadline_seconds=DEADLINE
                )
                assert await a.step() is holds and a.reachable is holds
                if not holds:
                    with pytest.raises(
                        KubeError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"
                    ):
                        await client.request(
                            "GET", f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/{NAME}"
                        )
                await a.resign()
                await client.aclose()

        asyncio.run(scenario())


def test_a_deleted_lease_stops_the_leader_and_is_recreated_with_a_larger_term(
    kube_api: KubeApiServer, token_file: Path
) -> None:
    """Someone deletes the Lease under a leader: it stops leading at its next step (it does not
    silently re-create it), and whoever re-creates it starts above every term it has seen."""

    async def scenario() -> None:
        a, b = member(kube_api, token_file, "a"), member(kube_api, token_file, "b")
        await steps([a, b], 0.6)
        assert a.term() == 1
        await a.resign()
        assert await b.step() and b.term() == 2
        assert not await a.step()  # a follower now; it has seen term 2
        kube_api.delete(NS, "leases", NAME)
        assert not await b.step() and b.term() is None
        assert await a.step() and a.term() == 3  # above b's term 2, which a saw before the deletion
        for m in (a, b):
            await m.client.aclose()

    asyncio.run(scenario())
