"""Where the Kubernetes backend finds its API server and namespace when the settings leave them empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchdog.ha.kube_client import KubeClient, KubeConfigError, api_url, namespace


def test_api_url_in_the_cluster_comes_from_the_pod_environment() -> None:
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    assert api_url("", env) == "https://10.96.0.1:443"
    assert api_url("", {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}) == (
        "https://[fd00::1]:6443"
    )
    assert api_url("https://api.example:6443", env) == "https://api.example:6443"
    with pytest.raises(KubeConfigError, match=r"^ha.kubernetes.api_url: empty and KUBERNETES_SERVICE_HOST"):
        api_url("", {})


def test_namespace_defaults_to_the_service_accounts(tmp_path: Path) -> None:
    path = tmp_path / "namespace"
    path.write_text("dr-ops\n")
    assert namespace("", str(path)) == "dr-ops"
    assert namespace("other", str(path)) == "other"
    with pytest.raises(KubeConfigError, match=r"^ha.kubernetes.namespace: empty and .* unreadable"):
        namespace("", str(tmp_path / "missing"))


def test_a_missing_ca_bundle_is_a_config_error_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(KubeConfigError, match=r"^ha.kubernetes.ca_path: cannot read") as info:
        KubeClient("https://10.96.0.1:443", token_path="t", ca_path=str(tmp_path / "ca.crt"), timeout=1)
    assert info.value.exit_code == 2
