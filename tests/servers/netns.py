"""A network namespace made by the test, joined to the host by a veth pair, for partition tests.

    host (10.231.N.1/24, veth `drwhN`)  <->  namespace `drwN` (10.231.N.2/24, veth `drwnN`)

Services the watchdog must reach run in the host namespace on their own addresses of the service
net 10.232.N.0/24 (added as /32 on the host's veth end): `service_address(k)`. The namespace routes
that net via the host. A partition sends a route through a neighbour that does not exist
(10.231.N.3): packets to it are never delivered and never answered (no refusal, no ICMP: a timeout,
the symptom of a dead host or a blackholed link), nothing leaves the namespace's link, and the
host can still reach the namespace's own address (the watchdog's HTTP face). `heal` undoes it.

Needs root and iproute2 (`ip`); `require_netns()` fails in CI (CI=true) and skips elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from types import TracebackType

from tests.servers.missing import missing

DEAD_NEIGHBOUR = 3


def require_netns() -> None:
    """Fail (in CI) or skip (elsewhere) without root and `ip`."""
    if shutil.which("ip") is None:
        missing("iproute2's `ip` is not installed (run `make tools`)")
    elif os.geteuid() != 0:
        missing("network namespaces need root (CI runs as root)")


def ip(*args: str, netns: str | None = None) -> None:
    cmd = ["ip", *(("-n", netns) if netns else ()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.strip()}")


class Namespace:
    """The namespace and its link; a context manager (made on entry, deleted on exit)."""

    def __init__(self, index: int | None = None) -> None:
        self.index = index if index is not None else 100 + os.getpid() % 150
        self.name = f"drw{self.index}"
        self.host_link, self.ns_link = f"drwh{self.index}", f"drwn{self.index}"
        self.host_address = f"10.231.{self.index}.1"
        self.address = f"10.231.{self.index}.2"  # the namespace's own (the watchdog's) address
        self.service_net = f"10.232.{self.index}.0/24"

    def service_address(self, k: int) -> str:
        """The k-th service address (1..254), reachable from the namespace until partitioned."""
        return f"10.232.{self.index}.{k}"

    def __enter__(self) -> Namespace:
        self._delete()  # a namespace left over by a killed run
        try:
            ip("netns", "add", self.name)
            ip("link", "add", self.host_link, "type", "veth", "peer", "name", self.ns_link)
            ip("link", "set", self.ns_link, "netns", self.name)
            ip("addr", "add", f"{self.host_address}/24", "dev", self.host_link)
            ip("link", "set", self.host_link, "up")
            ip("addr", "add", f"{self.address}/24", "dev", self.ns_link, netns=self.name)
            ip("link", "set", self.ns_link, "up", netns=self.name)
            ip("link", "set", "lo", "up", netns=self.name)
            ip("route", "add", self.service_net, "via", self.host_address, netns=self.name)
        except BaseException:
            self._delete()
            raise
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._delete()

    def add_service(self, k: int) -> str:
        """Give the host the k-th service address; the address."""
        address = self.service_address(k)
        ip("addr", "add", f"{address}/32", "dev", self.host_link)
        return address

    def partition(self, *targets: str) -> None:
        """From the namespace, `targets` (addresses or nets, e.g. `service_net`) stop answering."""
        dead = f"10.231.{self.index}.{DEAD_NEIGHBOUR}"
        for target in targets:
            ip("route", "replace", target, "via", dead, netns=self.name)

    def heal(self) -> None:
        """Every service address answers again."""
        proc = subprocess.run(
            ["ip", "-n", self.name, "route", "show"], capture_output=True, text=True, check=True
        )
        for line in proc.stdout.splitlines():
            if f"via 10.231.{self.index}.{DEAD_NEIGHBOUR}" in line:
                ip("route", "del", line.split()[0], netns=self.name)
        ip("route", "replace", self.service_net, "via", self.host_address, netns=self.name)

    def command(self, *argv: str) -> list[str]:
        """`argv` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def _delete(self) -> None:
        with contextlib.suppress(RuntimeError):
            ip("netns", "del", self.name)
        with contextlib.suppress(RuntimeError):
            ip("link", "del", self.host_link)
