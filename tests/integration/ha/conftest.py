"""The election tests' stepping, and the fake Kubernetes API server with a token file (the Kubernetes
backend's tests)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.kube_api import KubeApiServer
from watchdog.ha.kube_client import KubeClient
from watchdog.ha.leadership import Leadership


@pytest.fixture
def kube_api() -> Iterator[KubeApiServer]:
    """A fresh fake API server on 127.0.0.1 for one test (it may freeze it)."""
    with KubeApiServer() as server:
        yield server


@pytest.fixture
def token_file(tmp_path: Path, kube_api: KubeApiServer) -> Path:
    """The service-account token file the API server accepts."""
    path = tmp_path / "token"
    path.write_text(kube_api.token + "\n")
    return path


def kube_client(api: KubeApiServer, token: Path, timeout: float = 0.5) -> KubeClient:
    return KubeClient(api.url, token_path=str(token), ca_path="/nonexistent", timeout=timeout)


async def steps(members: list[Leadership], seconds: float, every: float = 0.3) -> list[list[bool]]:
    """Step every member each `every` seconds for `seconds`; who held after each step."""
    seen = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        seen.append([await m.step() for m in members])
        await asyncio.sleep(every)
    return seen
