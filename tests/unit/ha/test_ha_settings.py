"""The `ha` block: defaults documented in the issue, and one-line errors naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from watchdog.ha.settings import HaBackend
from watchdog.settings import ConfigError, load_settings

BASE: dict[str, Any] = {
    "cloud": {"endpoint": "http://127.0.0.1:1", "project_id": "0" * 32, "access_key": "a", "secret_key": "b"},
    "pairs": [{"name": "p", "disaster_recovery_id": "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"}],
}


def load(tmp_path: Path, ha: dict[str, Any]) -> Any:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**BASE, "ha": ha}))
    return load_settings(path, environ={}, secrets_dirs=[])


def test_defaults_are_client_go_timings_and_the_brake(tmp_path: Path) -> None:
    ha = load(tmp_path, {}).ha
    assert ha.backend is HaBackend.NONE
    assert (ha.lease.lease_seconds, ha.lease.renew_deadline_seconds, ha.lease.retry_period_seconds) == (
        15,
        10,
        2,
    )
    assert (ha.max_automatic_failovers, ha.brake_window_seconds) == (3, 3600)
    kube = ha.kubernetes
    assert (kube.api_url, kube.namespace, kube.lease_name, kube.state_name) == (
        "",
        "",
        "dr-watchdog",
        "dr-watchdog-state",
    )
    assert kube.token_path == "/var/run/secrets/kubernetes.io/serviceaccount/token"
    assert kube.ca_path == "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"


@pytest.mark.parametrize(
    ("ha", "message"),
    [
        ({"lease": {"renew_deadline_seconds": 20}}, "ha.lease: needs retry_period_seconds < renew_deadline"),
        (
            {"backend": "etcd", "etcd": {"timeout_seconds": 2}},
            "ha.etcd.timeout_seconds: must be shorter than",
        ),
        (
            {"backend": "kubernetes", "kubernetes": {"timeout_seconds": 2}},
            "ha.kubernetes.timeout_seconds: must be shorter than",
        ),
        ({"kubernetes": {"namespace": "Not_A_Namespace"}}, "ha.kubernetes.namespace"),
        ({"kubernetes": {"api_url": "10.0.0.1:443"}}, "ha.kubernetes.api_url"),
        ({"backend": "zookeeper"}, "ha.backend"),
        ({"max_automatic_failovers": 0}, "ha.max_automatic_failovers"),
    ],
)
def test_bad_ha_settings_are_one_line_naming_the_field(
    tmp_path: Path, ha: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, ha)
    assert message in str(info.value) and "\n" not in str(info.value).strip()
