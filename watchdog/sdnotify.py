"""The systemd notify protocol (sd_notify), in the standard library only.

systemd starts a `Type=notify` service with `$NOTIFY_SOCKET` naming an AF_UNIX datagram socket
(a leading '@' means the Linux abstract namespace). The service sends newline-separated
`KEY=value` assignments: `READY=1` once it is really serving (here: after the first probe round),
`WATCHDOG=1` as a keep-alive at least every `$WATCHDOG_USEC / 2` (here: only while the loop is
healthy, so a stalled loop gets the process restarted), `STATUS=...` for `systemctl status`, and
`STOPPING=1` on a graceful stop. Outside systemd (no `$NOTIFY_SOCKET`) every call is a no-op, so
the daemon can call it unconditionally.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

READY = "READY=1"
WATCHDOG = "WATCHDOG=1"
STOPPING = "STOPPING=1"
RELOADING = "RELOADING=1"


def status_line(text: str) -> str:
    """The `STATUS=` assignment; newlines would start a new assignment, so they become spaces."""
    return "STATUS=" + " ".join(text.splitlines())


def _address(path: str) -> str:
    """The socket address to send to: '@name' is the abstract socket '\\0name'."""
    return "\0" + path[1:] if path.startswith("@") else path


class Notifier:
    """Sends notify messages to one socket; a disabled notifier (no socket) silently does nothing.

    The environment is read once at construction (an injectable seam: tests pass their own mapping).
    Sending never raises and never blocks (it runs on the daemon's event loop): when the receiver's
    queue is full the message is dropped and False returned; a lost keep-alive must not take the
    daemon down, and systemd notices a real stall on its own.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.socket_path: str | None = env.get("NOTIFY_SOCKET") or None
        self.watchdog_usec = _positive_int(env.get("WATCHDOG_USEC"))
        watchdog_pid = _positive_int(env.get("WATCHDOG_PID"))
        if watchdog_pid is not None and watchdog_pid != os.getpid():
            self.watchdog_usec = None  # the keep-alive is meant for another process

    @property
    def enabled(self) -> bool:
        """True when running under systemd with a notify socket."""
        return self.socket_path is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between keep-alives: half of WatchdogSec, as sd_watchdog_enabled(3) advises; else None."""
        return None if self.watchdog_usec is None else self.watchdog_usec / 2_000_000

    def notify(self, state: str) -> bool:
        """Send one message (one or more newline-separated assignments); True if it was sent."""
        if self.socket_path is None or not state:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.setblocking(False)  # a full receive queue must never stall the event loop
                sock.connect(_address(self.socket_path))
                sock.send(state.encode("utf-8"))
        except OSError:  # BlockingIOError included: this message is lost, the next one may pass
            return False
        return True

    def ready(self, text: str | None = None) -> bool:
        """READY=1, with an optional STATUS line."""
        return self.notify(READY if text is None else f"{READY}\n{status_line(text)}")

    def watchdog(self) -> bool:
        """WATCHDOG=1 keep-alive; call it only while the loop is healthy."""
        return self.notify(WATCHDOG)

    def status(self, text: str) -> bool:
        """STATUS=... shown by `systemctl status`."""
        return self.notify(status_line(text))

    def stopping(self) -> bool:
        """STOPPING=1 at the start of a graceful stop."""
        return self.notify(STOPPING)


def _positive_int(raw: str | None) -> int | None:
    """Parse a positive integer environment value; anything else means 'not set'."""
    try:
        value = int(raw) if raw else 0
    except ValueError:
        return None
    return value if value > 0 else None


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """One-shot sd_notify(state) using $NOTIFY_SOCKET; a no-op returning False when it is unset."""
    return Notifier(environ).notify(state)


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 keep-alives (half of $WATCHDOG_USEC), or None when disabled."""
    return Notifier(environ).watchdog_interval
