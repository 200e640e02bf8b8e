"""An exclusive lock on the journal: one daemon per journal.

`flock(LOCK_EX | LOCK_NB)` on `<journal>.lock` beside the SQLite file, held for the daemon's whole
life. The kernel drops it when the process ends, however it ends (kill -9 included), so there is no
stale lock to clean up. The holder's PID is written into the file, for the refusal's one line.
CLI commands (status, pause, ack, failover) do not take it: they work beside the running daemon.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class JournalLocked(RuntimeError):
    """Another daemon holds the journal: one line naming `state.path`, exit 2 (a configuration error:
    two daemons must not share one journal)."""

    exit_code = 2


class LockError(RuntimeError):
    """The lock file cannot be made (a missing or read-only directory): one line, exit 1."""

    exit_code = 1


class JournalLock:
    """Held from `acquire()` to `release()` (or the end of the process)."""

    def __init__(self, journal_path: Path) -> None:
        self.journal = journal_path
        self.path = journal_path.with_name(journal_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now, or raise JournalLocked (held by another) or LockError (cannot be made)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise LockError(
                f"journal {self.journal} (state.path): cannot create its lock {self.path}: {why}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise JournalLocked(
                f"state.path: journal {self.journal} is in use by another dr-watchdog"
                f"{holder}; run one daemon per journal (an HA group gives each instance its own)"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip())
        return f" (pid {pid})"
    return ""
