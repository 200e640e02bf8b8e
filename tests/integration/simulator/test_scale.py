"""Scale: the roadmap's 5,000 pairs over 50 projects, one probe round (two lists per project) over HTTP."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from watchdog.dws.signing import Credentials
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import signed_request

PROJECTS = 50
PAIRS_PER_PROJECT = 100
INTERVAL_SECONDS = 10.0


def test_a_round_for_5000_pairs_fits_in_the_probe_interval() -> None:
    """Both lists for 50 projects x 100 pairs are served, complete, well within a 10 s probe interval."""
    sim = Simulator(seed=5)
    projects: list[tuple[str, Credentials]] = []
    for i in range(PROJECTS):
        project, creds = f"{i:032x}", Credentials(f"SCALEAK{i:013d}", f"scale-secret-{i}")
        sim.add_credentials(creds.access_key, creds.secret_key, project)
        sim.add_pairs(project, PAIRS_PER_PROJECT, sync_interval_seconds=300)
        projects.append((project, creds))
    with SimulatorServer(sim) as server, httpx.Client(timeout=30) as client:

        def list_both(entry: tuple[str, Credentials]) -> tuple[int, int]:
            project, creds = entry
            drs = signed_request(server.url, "GET", f"/v2/{project}/disaster-recoveries", creds,
                                 project_id=project, client=client)  # fmt: skip
            clusters = signed_request(server.url, "GET", f"/v1.0/{project}/clusters", creds,
                                      project_id=project, client=client)  # fmt: skip
            return len(drs.json()["disaster_recovery"]), clusters.json()["count"]

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            counts = list(pool.map(list_both, projects))
        elapsed = time.monotonic() - started
    assert counts == [(PAIRS_PER_PROJECT, 2 * PAIRS_PER_PROJECT)] * PROJECTS
    assert elapsed < INTERVAL_SECONDS, f"a round took {elapsed:.1f} s"
