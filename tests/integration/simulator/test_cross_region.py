"""Cross-region pairs: one world behind two regional listeners, and a regional API outage."""

from __future__ import annotations

import httpx
import pytest

from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import (
    OTHER_CREDENTIALS,
    OTHER_PROJECT_ID,
    TEST_CREDENTIALS,
    TEST_PROJECT_ID,
    add_test_credentials,
    signed_request,
)


def test_dr_side_serves_the_task_while_the_production_region_is_down() -> None:
    """With the production region's API down, the DR region still lists the task and takes the failover."""
    sim = Simulator(seed=3)
    add_test_credentials(sim)
    pair = sim.add_pair(
        TEST_PROJECT_ID, "x-region", dr_type="region", standby_project_id=OTHER_PROJECT_ID,
        standby_region="cn-east-3", failover_seconds=0, promote_seconds=0,
    )  # fmt: skip
    dr = pair.disaster_recovery_id
    with (
        SimulatorServer(sim, region="cn-north-4") as north,
        SimulatorServer(sim, region="cn-east-3") as east,
    ):
        sim.inject(kind="reset", region="cn-north-4")
        with pytest.raises(httpx.TransportError):
            signed_request(north.url, "GET", f"/v2/{TEST_PROJECT_ID}/disaster-recoveries", TEST_CREDENTIALS)
        east_list = f"/v2/{OTHER_PROJECT_ID}/disaster-recoveries"
        (item,) = signed_request(
            east.url, "GET", east_list, OTHER_CREDENTIALS, project_id=OTHER_PROJECT_ID
        ).json()["disaster_recovery"]
        failover = f"/v2/{OTHER_PROJECT_ID}/disaster-recovery/{dr}/failover"
        posted = signed_request(east.url, "POST", failover, OTHER_CREDENTIALS, project_id=OTHER_PROJECT_ID)
        detail = signed_request(
            east.url, "GET", f"/v2/{OTHER_PROJECT_ID}/disaster-recovery/{dr}", OTHER_CREDENTIALS,
            project_id=OTHER_PROJECT_ID,
        ).json()["disaster_recovery"]  # fmt: skip
    assert (item["primary_cluster_region"], item["standby_cluster_region"]) == ("cn-north-4", "cn-east-3")
    assert item["standby_cluster_project_id"] == OTHER_PROJECT_ID
    assert posted.status_code == 200
    assert (detail["primary_cluster"]["id"], detail["primary_cluster"]["region"]) == (
        pair.clusters[1].id,
        "cn-east-3",
    )
