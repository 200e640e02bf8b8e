"""Where a cluster's SQL endpoint is: the pair's override by cluster id, else the API's endpoint, else
private_ip and port; nothing usable gives None (the probe says "no SQL address": UNKNOWN)."""

from __future__ import annotations

from watchdog.dws.models import ClusterInfo
from watchdog.evidence.gather import sql_address
from watchdog.evidence.sql import SqlEndpoint


def cluster(**fields: object) -> ClusterInfo:
    return ClusterInfo.model_validate({"id": "c1", "status": "AVAILABLE", **fields})


def test_the_override_wins_and_follows_the_cluster_id() -> None:
    """addresses[cluster_id] beats the API's endpoint; another cluster's override does not apply."""
    info = cluster(endpoints=[{"connect_info": "192.168.0.10:8000"}])
    assert sql_address("c1", info, {"c1": "10.0.0.5:5432"}) == SqlEndpoint("10.0.0.5", 5432)
    assert sql_address("c1", info, {"c2": "10.0.0.5:5432"}) == SqlEndpoint("192.168.0.10", 8000)


def test_private_ip_and_port_when_no_endpoint() -> None:
    """No endpoints: private_ip[0] with the cluster's port."""
    assert sql_address("c1", cluster(private_ip=["192.168.0.11"], port=8000), {}) == SqlEndpoint(
        "192.168.0.11", 8000
    )


def test_nothing_usable_is_none() -> None:
    """No cluster read, no endpoint and no port, or an endpoint that is no host:port: None."""
    assert sql_address(None, None, {}) is None
    assert sql_address("c1", cluster(private_ip=["192.168.0.11"]), {}) is None
    assert sql_address("c1", cluster(endpoints=[{"connect_info": "not-an-address"}]), {}) is None
