"""A group of HA daemons as real processes against the simulator (`ha.backend: etcd` on a real etcd, or
another backend given its `ha` keys): start, stop, who leads, what each journal sent. Short lease
timings (lease 3 s, renew deadline 2 s, retry 0.5 s) so a takeover takes seconds."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.e2e.harness import Daemon, config_data, free_port, write_config
from tests.servers.etcd import EtcdServer
from watchdog.journal import Journal
from watchdog.model import IntentStatus
from watchdog.simulator import SimulatorServer

Configure = Callable[[dict[str, Any]], None]
LEASE, DEADLINE, RETRY = 3.0, 2.0, 0.5


def start(
    tmp: Path,
    name: str,
    sim: SimulatorServer,
    etcd: EtcdServer | dict[str, Any],
    hook_seconds: float = 0.0,
    configure: Configure | None = None,
) -> Daemon:
    """One instance with its own journal, on `etcd` (or another backend: its `ha` keys); with
    `hook_seconds`, a pre-failover hook that marks the file `<name>.hook` and sleeps that long before
    it allows the failover; `configure` edits the configuration before it is written
    (`<tmp>/<name>.yaml`)."""
    port = free_port()
    data = config_data(sim.url, tmp / name / "watchdog.db", port)
    backend = (
        etcd
        if isinstance(etcd, dict)
        else {"backend": "etcd", "etcd": {"endpoint": etcd.url, "timeout_seconds": 0.4}}
    )
    data["ha"] = {
        **backend,
        "identity": name,
        "lease": {"lease_seconds": LEASE, "renew_deadline_seconds": DEADLINE, "retry_period_seconds": RETRY},
    }
    if hook_seconds:
        marker = tmp / f"{name}.hook"
        data["hooks"] = {
            "pre_failover": {
                "command": ["sh", "-c", f"touch {marker}; sleep {hook_seconds}"],
                "timeout_seconds": 30,
            }
        }
    if configure is not None:
        configure(data)
    daemon = Daemon(write_config(tmp / f"{name}.yaml", data), port, tmp, name)
    daemon.wait_ready()
    return daemon


def thaw(daemon: Daemon) -> None:
    """SIGCONT a daemon a test may have left frozen (so that its kill ends it)."""
    if daemon.proc.poll() is None:
        os.kill(daemon.proc.pid, signal.SIGCONT)


@contextmanager
def group(
    tmp: Path, names: str, sim: SimulatorServer, etcd: EtcdServer | dict[str, Any], **kw: Any
) -> Iterator[list[Daemon]]:
    with ExitStack() as stack:
        daemons = []
        for name in names:
            d = start(tmp, name, sim, etcd, **kw)
            stack.callback(d.kill)
            stack.callback(thaw, d)
            daemons.append(d)
        yield daemons


def leaders(daemons: list[Daemon]) -> list[str]:
    return [
        d.stdout_path.stem for d in daemons if d.proc.poll() is None and d.sample("dr_watchdog_leader") == 1
    ]


def sent_intents(tmp: Path, name: str) -> int:
    """Intents this instance marked sent and POSTed (not those it took over from another)."""
    with Journal(tmp / name / "watchdog.db") as journal:
        return sum(
            1
            for i in journal.intents()
            if i.sent_at is not None and not i.requested_by.startswith("taken over from")
        )


def taken_over(tmp: Path, name: str) -> list[IntentStatus]:
    with Journal(tmp / name / "watchdog.db") as journal:
        return [i.status for i in journal.intents() if i.requested_by.startswith("taken over from")]
