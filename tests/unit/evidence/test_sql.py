"""SqlEndpoint parsing, SqlLogin's hidden password, table quoting and the one failure classification."""

from __future__ import annotations

import errno
import re
import socket

import asyncpg  # type: ignore[import-untyped]
import pytest

from watchdog.evidence import SqlEndpoint, SqlLogin
from watchdog.evidence.heartbeat import quote_table
from watchdog.evidence.sql import classify, scrub
from watchdog.model import Verdict


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("dws.example.internal:8000", "dws.example.internal", 8000),
        ("10.0.0.5:5432", "10.0.0.5", 5432),
        (" 127.0.0.1:1 ", "127.0.0.1", 1),
        ("[::1]:65535", "::1", 65535),
    ],
)
def test_endpoint_parses_host_and_port(text: str, host: str, port: int) -> None:
    assert SqlEndpoint.parse(text) == SqlEndpoint(host, port)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("dws.internal", "is not host:port"),
        (":5432", "is not host:port"),
        ("host:0", "port '0' is not a number from 1 to 65535"),
        ("host:65536", "is not a number from 1 to 65535"),
        ("host:http", "port 'http' is not a number"),
        ("::1:5432", "write an IPv6 address as [address]:port"),
        ("bad host:5432", "is not a host name or address"),
    ],
)
def test_endpoint_rejects_with_one_line_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)) as caught:
        SqlEndpoint.parse(text)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


def test_endpoint_str_round_trips() -> None:
    for text in ("db:5432", "[::1]:8000"):
        assert str(SqlEndpoint.parse(text)) == text


def test_login_repr_hides_the_password() -> None:
    who = SqlLogin("dr_watchdog", "hunter2-secret")
    assert "hunter2-secret" not in repr(who) and "hunter2-secret" not in str(who)
    assert who.database == "postgres"


def test_quote_table() -> None:
    assert quote_table("dr_watchdog.heartbeat") == '"dr_watchdog"."heartbeat"'
    assert quote_table("heartbeat") == '"heartbeat"'
    for bad in ("a.b.c", "x; DROP TABLE y", '"quoted"', "", "1abc.t"):
        with pytest.raises(ValueError, match="heartbeat_table"):
            quote_table(bad)


@pytest.mark.parametrize(
    ("exc", "verdict", "text"),
    [
        (TimeoutError(), Verdict.DOWN, "no answer within the deadline"),
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "x"),
            Verdict.DOWN,
            "Connection refused (errno ECONNREFUSED)",
        ),
        (ConnectionResetError(errno.ECONNRESET, "x"), Verdict.DOWN, "Connection reset by peer"),
        (OSError(errno.EHOSTUNREACH, "x"), Verdict.DOWN, "No route to host"),
        (OSError(errno.EMFILE, "x"), Verdict.UNKNOWN, "local error: Too many open files"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            Verdict.UNKNOWN,
            "DNS lookup failed",
        ),
        (
            asyncpg.InvalidPasswordError("password authentication failed"),
            Verdict.UNKNOWN,
            "authentication failed",
        ),
        (asyncpg.InvalidAuthorizationSpecificationError("rejects"), Verdict.UNKNOWN, "SQLSTATE 28000"),
        (asyncpg.InsufficientPrivilegeError("permission denied"), Verdict.UNKNOWN, "permission denied"),
        (asyncpg.InvalidCatalogNameError("database x"), Verdict.UNKNOWN, "no such database"),
        (asyncpg.CannotConnectNowError("starting up"), Verdict.UNKNOWN, "server error: starting up"),
        (asyncpg.TooManyConnectionsError("too many"), Verdict.UNKNOWN, "SQLSTATE 53300"),
        (asyncpg.AdminShutdownError("terminating"), Verdict.DOWN, "connection lost"),
        (asyncpg.ConnectionDoesNotExistError("closed in the middle"), Verdict.DOWN, "connection lost"),
        (
            asyncpg.InterfaceError("unsupported authentication method requested by the server: 10"),
            Verdict.UNKNOWN,
            "authentication method not supported by the driver",
        ),
        (
            asyncpg.InternalClientError("unexpected error while performing authentication: gssapi"),
            Verdict.UNKNOWN,
            "authentication method not supported by the driver",
        ),
        (RuntimeError("surprise"), Verdict.UNKNOWN, "RuntimeError: surprise"),
    ],
)
def test_classify(exc: BaseException, verdict: Verdict, text: str) -> None:
    failure = classify(exc)
    assert failure.verdict is verdict
    assert text in failure.text


def test_scrub_removes_the_secret_and_joins_lines() -> None:
    assert scrub("pw=abc\n  DETAIL: abc", "abc") == "pw=*** DETAIL: ***"
    assert scrub("no secret", "") == "no secret"
