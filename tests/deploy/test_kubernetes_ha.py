"""`ha.backend: kubernetes` deployed: the Helm chart with `ha.backend=kubernetes` and the kustomize
base with the component `components/ha-kubernetes`, rendered offline and validated strictly: a
StatefulSet of 2+ pods (a journal each, one per node), the Role and RoleBinding for the Lease and
the state ConfigMap, a PodDisruptionBudget, and the same pod as the single-instance one otherwise."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_kubernetes import BASE, CHART, _comparable, _kustomize, _objects, _run, _validate
from tests.deploy.tools import tool
from watchdog.ha.settings import HaBackend
from watchdog.settings import load_settings

COMPONENT = BASE / "components" / "ha-kubernetes"
KINDS = {
    "ServiceAccount", "ConfigMap", "Secret", "StatefulSet", "Service", "NetworkPolicy", "PodMonitor",
    "PrometheusRule", "Role", "RoleBinding", "PodDisruptionBudget",
}  # fmt: skip
HA_ENV = {"DRW_HA__BACKEND", "DRW_HA__KUBERNETES__LEASE_NAME", "DRW_HA__KUBERNETES__STATE_NAME"}


def _kustomize_ha(tmp: Path) -> str:
    overlay = tmp / "overlay"
    overlay.mkdir(exist_ok=True)
    base = os.path.relpath(BASE, overlay)
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": [base], "components": [os.path.relpath(COMPONENT, overlay)]})
    )
    proc = _run([tool("kubectl"), "kustomize", str(overlay)])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _helm_ha(release: str = "r", *values: str) -> str:
    proc = _run([tool("helm"), "template", release, str(CHART), "--set", "ha.backend=kubernetes", *values])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(params=["helm", "kustomize"], scope="module")
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "helm":
        return _helm_ha()
    return _kustomize_ha(tmp_path_factory.mktemp("ha"))


def _pod(objs: dict[str, dict[str, Any]], kind: str) -> dict[str, Any]:
    pod: dict[str, Any] = objs[kind]["spec"]["template"]["spec"]
    return pod


def test_manifests_validate_strictly(rendered: str) -> None:
    proc = _validate(rendered)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.count("passed for resource") + proc.stdout.count("passed for resource") == 9
    assert set(_objects(rendered)) == KINDS


def test_a_statefulset_of_two_pods_each_with_its_journal_on_different_nodes(rendered: str) -> None:
    objs = _objects(rendered)
    sts = objs["StatefulSet"]["spec"]
    assert sts["replicas"] == 2 and sts["serviceName"] == objs["Service"]["metadata"]["name"]
    labels = sts["template"]["metadata"]["labels"]
    (claim,) = sts["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "state" and claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    pod = _pod(objs, "StatefulSet")
    assert "state" not in {v["name"] for v in pod["volumes"]}  # the claim template's, one per pod
    (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"].items() <= labels.items()
    pdb = objs["PodDisruptionBudget"]["spec"]
    assert pdb["minAvailable"] == 1 and pdb["selector"]["matchLabels"].items() <= labels.items()
    assert pod["automountServiceAccountToken"] is True


def test_the_role_grants_only_the_lease_and_the_state_configmap(rendered: str, tmp_path: Path) -> None:
    """get/update on the very Lease and ConfigMap the pods' configuration names; create on the kinds."""
    objs = _objects(rendered)
    settings = _settings(objs, tmp_path)
    k = settings.ha.kubernetes
    rules = {(r["apiGroups"][0], r["resources"][0], tuple(r.get("resourceNames", ()))): r["verbs"] for r in
             objs["Role"]["rules"]}  # fmt: skip
    assert rules == {
        ("coordination.k8s.io", "leases", (k.lease_name,)): ["get", "update"],
        ("coordination.k8s.io", "leases", ()): ["create"],
        ("", "configmaps", (k.state_name,)): ["get", "update"],
        ("", "configmaps", ()): ["create"],
    }
    binding = objs["RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": objs["Role"]["metadata"]["name"],
    }
    (subject,) = binding["subjects"]
    assert (subject["kind"], subject["name"]) == (
        "ServiceAccount",
        objs["ServiceAccount"]["metadata"]["name"],
    )
    assert _pod(objs, "StatefulSet")["serviceAccountName"] == subject["name"]


def _settings(objs: dict[str, dict[str, Any]], tmp: Path) -> Any:
    config = tmp / "watchdog.yaml"
    config.write_text(objs["ConfigMap"]["data"]["watchdog.yaml"])
    (container,) = _pod(objs, "StatefulSet")["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    secrets = tmp / "secrets"
    secrets.mkdir()
    for key, value in objs["Secret"]["stringData"].items():
        (secrets / key).write_text(value + "\n")
    return load_settings(config, environ=env, secrets_dirs=[secrets])


def test_the_pods_configuration_chooses_the_kubernetes_backend(rendered: str, tmp_path: Path) -> None:
    settings = _settings(_objects(rendered), tmp_path)
    assert settings.ha.backend is HaBackend.KUBERNETES
    assert settings.ha.kubernetes.api_url == "" and settings.ha.kubernetes.namespace == ""  # in-cluster


def test_egress_reaches_the_api_servers_endpoints(rendered: str) -> None:
    egress = _objects(rendered)["NetworkPolicy"]["spec"]["egress"]
    assert {"port": 6443, "protocol": "TCP"} in egress[-1]["ports"]


def test_the_pod_is_the_single_instances_but_for_the_ha_parts(rendered: str) -> None:
    """Drift guard: the HA pod equals the base's pod once the token, the HA environment, the
    anti-affinity and the journal volume are set aside."""
    ha = _pod(_objects(rendered), "StatefulSet")
    single_text = (
        _kustomize()
        if "helm.sh/chart" not in rendered
        else _run([tool("helm"), "template", "r", str(CHART)]).stdout
    )
    single = _pod(_objects(single_text), "Deployment")

    def strip(pod: dict[str, Any]) -> dict[str, Any]:
        pod = {k: v for k, v in pod.items() if k not in {"automountServiceAccountToken", "affinity"}}
        pod["volumes"] = [v for v in pod["volumes"] if v["name"] != "state"]
        (c,) = pod["containers"]
        pod["containers"] = [{**c, "env": [e for e in c["env"] if e["name"] not in HA_ENV]}]
        return pod

    assert strip(ha) == strip(single)


def test_helm_and_kustomize_render_the_same_ha_objects(tmp_path: Path) -> None:
    helm, base = _objects(_helm_ha("dr-watchdog")), _objects(_kustomize_ha(tmp_path))
    assert set(helm) == set(base) == KINDS
    for kind in KINDS:
        assert _comparable(helm[kind]) == _comparable(base[kind]), kind


def test_helm_replicas_are_configurable_but_never_below_two() -> None:
    assert _objects(_helm_ha("r", "--set", "ha.replicas=3"))["StatefulSet"]["spec"]["replicas"] == 3
    proc = _run([tool("helm"), "template", "r", str(CHART), "--set", "ha.backend=kubernetes",
                 "--set", "ha.replicas=1"])  # fmt: skip
    assert proc.returncode != 0 and "ha.replicas: must be at least 2" in proc.stderr
    proc = _run([tool("helm"), "template", "r", str(CHART), "--set", "ha.backend=etcd"])
    assert proc.returncode != 0 and "ha.backend: must be none or kubernetes" in proc.stderr
    proc = _run([tool("helm"), "lint", "--strict", str(CHART), "--set", "ha.backend=kubernetes"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
