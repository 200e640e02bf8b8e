"""A throw-away etcd (Debian's etcd-server) on 127.0.0.1 with a temp data dir, stopped by its PID.

`freeze()`/`thaw()` SIGSTOP/SIGCONT it: the store unreachable while its leases stand still.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.deploy.servers import free_port
from tests.servers.missing import missing


def require_etcd() -> str:
    """The etcd binary; fail (CI=true) or skip when Debian's etcd-server is not installed."""
    found = shutil.which("etcd")
    if found is None:
        missing("required tool 'etcd' is not installed (run `make tools`: Debian's etcd-server)")
    return found


class EtcdServer:
    """One single-member etcd; a context manager (start, then stop by PID and remove its dir)."""

    def __init__(self) -> None:
        self.binary = require_etcd()
        self.port, self.peer_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.base = Path(tempfile.mkdtemp(prefix="drw-etcd-"))
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> EtcdServer:
        peer = f"http://127.0.0.1:{self.peer_port}"
        cmd = [
            self.binary,
            "--name=drw-test",
            f"--data-dir={self.base / 'data'}",
            f"--listen-client-urls={self.url}",
            f"--advertise-client-urls={self.url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=drw-test={peer}",
        ]
        with (self.base / "etcd.log").open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"etcd exited {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                if (
                    httpx.post(f"{self.url}/v3/kv/range", json={"key": "Lw=="}, timeout=1.0).status_code
                    == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"etcd not ready after {timeout} s: {self.log()[-2000:]}")

    def log(self) -> str:
        return (self.base / "etcd.log").read_text(errors="replace")

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
