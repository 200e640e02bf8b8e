"""The journal lock: one holder at a time, released on release() and by the end of the holder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from watchdog.ha.lock import JournalLock, JournalLocked


def test_a_second_lock_on_one_journal_is_refused_naming_state_path_and_the_holder(tmp_path: Path) -> None:
    """flock is per open file: a second holder in the same process is refused like another process."""
    journal = tmp_path / "state" / "watchdog.db"
    first = JournalLock(journal)
    first.acquire()
    try:
        with pytest.raises(JournalLocked) as info:
            JournalLock(journal).acquire()
        message = str(info.value)
        assert message.startswith(f"state.path: journal {journal} is in use by another dr-watchdog (pid ")
        assert "\n" not in message and info.value.exit_code == 2
    finally:
        first.release()
    second = JournalLock(journal)
    second.acquire()  # released: free again
    second.release()


def test_the_lock_dies_with_its_process(tmp_path: Path) -> None:
    """A holder killed with SIGKILL leaves no stale lock: the kernel drops it with the process."""
    journal = tmp_path / "watchdog.db"
    code = (
        "import sys, time; from pathlib import Path; from watchdog.ha.lock import JournalLock; "
        f"JournalLock(Path({str(journal)!r})).acquire(); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(JournalLocked, match=f"pid {proc.pid}"):
            JournalLock(journal).acquire()
    finally:
        proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
    lock = JournalLock(journal)
    lock.acquire()
    lock.release()
