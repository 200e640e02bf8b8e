"""The password of a SQL login never appears in a signal's detail or error, in a repr, or in what
a failure raised, whatever went wrong (real server, real driver)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from tests.integration.evidence.support import NOW, SECRET, endpoint_of, login, texts
from tests.servers.postgres import PostgresServer, free_port
from watchdog.evidence import DataPlaneProber, SqlEndpoint, SqlLogin, read_heartbeat, write_heartbeat
from watchdog.evidence.sql import classify
from watchdog.model import Signal, SignalSource

pytestmark = pytest.mark.slow


def all_probes(endpoint: SqlEndpoint, who: SqlLogin) -> list[str]:
    """Every text the probes produce for `endpoint` and `who`."""

    async def scenario() -> list[str]:
        prober = DataPlaneProber(deadline=1.0)
        signals: list[Signal] = [
            await prober.probe("k", SignalSource.DATA_PLANE, endpoint, who, NOW),
            await write_heartbeat(endpoint, who, "public.drw_heartbeat", "w", datetime.now(UTC), 1.0),
        ]
        value, error = await read_heartbeat(endpoint, who, "public.drw_heartbeat", "w", 1.0)
        return [texts(s) for s in signals] + [f"{value} {error}"]

    return asyncio.run(scenario())


@pytest.mark.parametrize("method", ["scram-sha-256", "md5", "password", "reject", "gss", "trust"])
def test_no_failure_shows_the_password(postgres: PostgresServer, method: str) -> None:
    postgres.create_user("drw_secret_user", SECRET)
    postgres.set_hba(method)
    cases = [
        login(user="drw_secret_user"),
        login(user="drw_secret_user", password=f"{SECRET}-wrong"),
        login(user="drw_nobody"),
        login(user="drw_secret_user", database="no_such_db"),
    ]
    for who in cases:
        for text in all_probes(endpoint_of(postgres), who):
            assert SECRET not in text, text
    assert SECRET not in repr(cases[0]) and SECRET not in str(cases[0])


def test_unreachable_and_dns_failures_do_not_show_the_password() -> None:
    for endpoint in (SqlEndpoint("127.0.0.1", free_port()), SqlEndpoint("no-such-host.invalid", 5432)):
        for text in all_probes(endpoint, login()):
            assert SECRET not in text, text


def test_classify_scrubs_a_password_a_driver_put_into_its_message() -> None:
    failure = classify(RuntimeError(f"could not log in with password {SECRET}"), SECRET)
    assert SECRET not in failure.text and "***" in failure.text
