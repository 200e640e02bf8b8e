"""Debian's Chromium, headless, driven over the DevTools protocol on 127.0.0.1 (a test's own browser).

Started with a fresh profile in the test's temporary directory and the flags this closed network
needs (no background networking, no component updates), stopped by its PID. `evaluate` runs an
expression in the page and returns its JSON value; `screenshot` writes the rendered page as PNG.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.deploy.tools import tool

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class Chromium:
    """One headless browser showing one page."""

    def __init__(self, workdir: Path, url: str, *, width: int = 1100, height: int = 1600) -> None:
        self.url = url
        self.profile = workdir / "chromium-profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        argv = [
            tool("chromium"),
            *FLAGS,
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            url,
        ]
        self.log = open(workdir / "chromium.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ids = itertools.count(1)
        self.stack = ExitStack()
        self.ws: ClientConnection = self.stack.enter_context(
            connect(self._page_socket(), max_size=64 * 2**20)
        )

    def _page_socket(self, timeout: float = 30.0) -> str:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited {self.proc.returncode}: {self._tail()}")
            if port_file.exists() and port_file.read_text().strip():
                port = int(port_file.read_text().split()[0])
                pages = [
                    t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"
                ]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.1)
        raise RuntimeError(f"chromium's DevTools did not come up in {timeout} s: {self._tail()}")

    def _tail(self) -> str:
        self.log.flush()
        return (self.profile.parent / "chromium.log").read_text(errors="replace")[-2000:]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command and its result (events in between are skipped)."""
        ident = next(self.ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_loaded(self, timeout: float = 30.0) -> None:
        """Until the page shows our URL, loaded: the first target can still be the blank page that
        Chromium opens before it navigates (its readyState is already "complete")."""
        deadline = time.monotonic() + timeout
        loaded = f"document.readyState === 'complete' && location.href === {json.dumps(self.url)}"
        while self.evaluate(loaded) is not True:
            if time.monotonic() > deadline:
                raise RuntimeError("the page did not finish loading")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def stop(self) -> None:
        self.stack.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
