"""The PostgreSQL test server itself: it runs, stops, freezes and re-authenticates as tests assume."""

from __future__ import annotations

import socket

import pytest

from tests.servers.postgres import HBA_METHODS, PostgresServer


def _answers(server: PostgresServer, timeout: float = 1.0) -> bool:
    """True when a TCP client gets a byte back for an SSLRequest (the server answers 'N' or 'S')."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")
        try:
            return sock.recv(1) in (b"N", b"S")
        except TimeoutError:
            return False


def test_the_session_server_answers_sql_and_tcp(postgres_server: PostgresServer) -> None:
    assert postgres_server.execute("SELECT 40 + 2") == "42"
    assert postgres_server.execute("SHOW listen_addresses") == "127.0.0.1"
    assert _answers(postgres_server)


def test_stop_refuses_and_start_restores(postgres: PostgresServer) -> None:
    postgres.stop()
    assert not postgres.running()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((postgres.host, postgres.port), timeout=1).close()
    postgres.start()
    assert postgres.execute("SELECT 1") == "1"


def test_freeze_accepts_tcp_but_never_answers_then_thaw(postgres: PostgresServer) -> None:
    postgres.freeze()
    assert postgres.frozen
    assert not _answers(postgres, timeout=0.5)
    postgres.thaw()
    assert _answers(postgres)


def test_set_hba_is_loaded_before_it_returns(postgres: PostgresServer) -> None:
    for method in HBA_METHODS:
        postgres.set_hba(method)
        rules = postgres.execute("SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host'")
        assert set(rules.split()) == {method}
    with pytest.raises(ValueError, match="hba method"):
        postgres.set_hba("nonsense")


def test_create_user_stores_the_password_as_asked(postgres_server: PostgresServer) -> None:
    postgres_server.create_user("drw_md5", "s3cret", encryption="md5")
    postgres_server.create_user("drw_scram", "s3cret")
    md5 = postgres_server.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'drw_md5'")
    scram = postgres_server.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'drw_scram'")
    assert md5.startswith("md5") and scram.startswith("SCRAM-SHA-256$")
