"""pytest fixtures for the real PostgreSQL server (registered from tests/conftest.py).

`postgres_server` starts ONE server for the whole run (CI time matters). Tests that stop it, freeze it
or change its pg_hba.conf take `postgres` instead: the same server, restored after the test (thawed,
started, pg_hba back to trust). A missing server fails the test in CI (CI=true) and skips it elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.etcd import EtcdServer
from tests.servers.missing import missing
from tests.servers.postgres import PostgresMissing, PostgresServer, find_bindir


def require_postgres() -> None:
    """Fail (in CI) or skip (elsewhere) when Debian's PostgreSQL server is not installed."""
    try:
        find_bindir()
    except PostgresMissing as exc:
        missing(f"{exc} (run `make tools`)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server on 127.0.0.1 for the whole test run (pg_hba: trust)."""
    require_postgres()
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Iterator[PostgresServer]:
    """The session's server for a test that may stop, freeze or re-authenticate it; restored after."""
    restore(postgres_server)
    yield postgres_server
    restore(postgres_server)


def restore(server: PostgresServer) -> None:
    """Back to the session's normal: running, not frozen, every TCP login trusted."""
    server.thaw()
    if not server.running():
        server.start()
    if server.hba_method != "trust":
        server.set_hba("trust")


@pytest.fixture
def etcd() -> Iterator[EtcdServer]:
    """A fresh real etcd on 127.0.0.1 for one test (it may freeze it)."""
    with EtcdServer() as server:
        yield server
