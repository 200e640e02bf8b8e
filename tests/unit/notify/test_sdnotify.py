"""sd_notify over a real AF_UNIX datagram socket, as systemd would listen on it."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from watchdog import sdnotify


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A bound datagram socket on a file path, as $NOTIFY_SOCKET names it."""
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield sock, path
    sock.close()


def test_ready_reaches_the_socket(listener: tuple[socket.socket, str]) -> None:
    """READY=1 with a STATUS line arrives as one datagram on the named socket."""
    sock, path = listener
    notifier = sdnotify.Notifier({"NOTIFY_SOCKET": path})
    assert notifier.ready("first round done") is True
    assert sock.recv(4096) == b"READY=1\nSTATUS=first round done"


def test_each_message_kind(listener: tuple[socket.socket, str]) -> None:
    """WATCHDOG=1, STATUS= and STOPPING=1 are sent verbatim, one datagram each."""
    sock, path = listener
    notifier = sdnotify.Notifier({"NOTIFY_SOCKET": path})
    notifier.watchdog()
    notifier.status("2 pairs healthy\nline two")
    notifier.stopping()
    got = [sock.recv(4096) for _ in range(3)]
    assert got == [b"WATCHDOG=1", b"STATUS=2 pairs healthy line two", b"STOPPING=1"]


def test_abstract_socket() -> None:
    """A NOTIFY_SOCKET starting with '@' addresses the abstract namespace."""
    name = f"drw-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(4096) == b"READY=1"


def test_no_socket_is_a_noop() -> None:
    """Without $NOTIFY_SOCKET every call returns False and sends nothing."""
    notifier = sdnotify.Notifier({})
    assert notifier.enabled is False
    assert notifier.ready() is False
    assert notifier.watchdog() is False
    assert notifier.watchdog_interval is None


def test_missing_listener_never_raises(tmp_path: Path) -> None:
    """A socket path nobody listens on makes notify return False instead of raising."""
    assert sdnotify.notify("WATCHDOG=1", {"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval(env: dict[str, str], expected: float | None) -> None:
    """The keep-alive interval is half of $WATCHDOG_USEC, and only for this process."""
    assert sdnotify.watchdog_interval(env) == expected


def test_full_queue_drops_instead_of_blocking(listener: tuple[socket.socket, str]) -> None:
    """A receiver that stops reading makes notify return False at once, never block the event loop."""
    _, path = listener
    notifier = sdnotify.Notifier({"NOTIFY_SOCKET": path})
    results: list[bool] = []
    sender = threading.Thread(target=lambda: results.extend(notifier.watchdog() for _ in range(200)))
    sender.daemon = True  # if notify blocked, the thread stays stuck until the listener closes
    sender.start()
    sender.join(5)
    assert not sender.is_alive(), "notify blocked on a full socket queue"
    assert results[0] is True and results[-1] is False
