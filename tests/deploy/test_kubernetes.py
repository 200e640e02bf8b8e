"""The kustomize base and the Helm chart: rendered offline, validated against the Kubernetes schemas."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.rules import ALERTS
from tests.deploy.tools import REPO, tool
from watchdog.settings import load_settings

BASE = REPO / "deploy" / "kubernetes"
CHART = REPO / "deploy" / "helm" / "dr-watchdog"
KINDS = {
    "ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim", "Deployment", "Service",
    "NetworkPolicy", "PodMonitor", "PrometheusRule",
}  # fmt: skip


def _run(cmd: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)


def _kustomize() -> str:
    proc = _run([tool("kubectl"), "kustomize", str(BASE)])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _helm() -> str:
    proc = _run([tool("helm"), "template", "r", str(CHART)])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


RENDERERS = {"kustomize": _kustomize, "helm": _helm}


@pytest.fixture(params=sorted(RENDERERS), scope="module")
def rendered(request: pytest.FixtureRequest) -> str:
    """The manifests as kustomize or helm renders them."""
    return RENDERERS[request.param]()


def _objects(text: str) -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(text) if d]
    by_kind = {d["kind"]: d for d in docs}
    assert len(by_kind) == len(docs), "one object of each kind"
    return by_kind


def _validate(text: str) -> subprocess.CompletedProcess[str]:
    return _run([tool("kubernetes-validate"), "--strict", "-"], stdin=text)


def test_manifests_validate_strictly(rendered: str) -> None:
    """Every built-in object passes kubernetes-validate --strict (custom resources only warn)."""
    proc = _validate(rendered)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.count("passed for resource") + proc.stdout.count("passed for resource") == 7


def test_strict_validation_catches_a_misspelled_field(rendered: str) -> None:
    """The validation is real: a misspelled Deployment field fails it."""
    broken = rendered.replace("readOnlyRootFilesystem:", "readOnlyRootFileSystem:")
    assert broken != rendered
    assert _validate(broken).returncode != 0


def test_helm_lint_strict() -> None:
    """helm lint --strict accepts the chart."""
    proc = _run([tool("helm"), "lint", "--strict", str(CHART)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_same_objects_from_both(rendered: str) -> None:
    """Kustomize and Helm both render exactly the required kinds."""
    assert set(_objects(rendered)) == KINDS


def test_deployment_is_single_and_restricted(rendered: str) -> None:
    """One replica, Recreate, journal on the PVC, health probes, and the restricted security context."""
    objs = _objects(rendered)
    spec = objs["Deployment"]["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert claims == [objs["PersistentVolumeClaim"]["metadata"]["name"]]
    assert objs["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pod["automountServiceAccountToken"] is False


def test_selectors_match_the_pod(rendered: str) -> None:
    """Service, PodMonitor and NetworkPolicy select the pods; the PodMonitor's job is dr-watchdog."""
    objs = _objects(rendered)
    labels = objs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    selectors = [
        objs["Deployment"]["spec"]["selector"]["matchLabels"],
        objs["Service"]["spec"]["selector"],
        objs["PodMonitor"]["spec"]["selector"]["matchLabels"],
        objs["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= labels.items()
    assert labels[objs["PodMonitor"]["spec"]["jobLabel"]] == "dr-watchdog"


_SELECTORS = {"matchLabels", "selector", "podSelector"}


def _comparable(obj: dict[str, Any]) -> Any:
    """An object minus what legitimately differs between renderers: metadata labels and annotations
    (Helm adds its own and a config checksum) and label selectors; names kept; the ConfigMap's YAML
    compared as data. Alert rule annotations are kept (they are not metadata)."""

    def strip(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            drop = {"labels", "annotations"} if key == "metadata" else _SELECTORS
            return {k: strip(v, k) for k, v in node.items() if k not in drop}
        if isinstance(node, list):
            return [strip(item) for item in node]
        return node

    out = strip(obj)
    if obj["kind"] == "ConfigMap":
        out["data"] = {key: yaml.safe_load(text) for key, text in obj["data"].items()}
    return out


def test_helm_renders_the_same_objects_as_kustomize() -> None:
    """With release name dr-watchdog the chart's objects equal the kustomize base's, field for field."""
    proc = _run([tool("helm"), "template", "dr-watchdog", str(CHART)])
    assert proc.returncode == 0, proc.stderr
    helm, base = _objects(proc.stdout), _objects(_kustomize())
    assert set(helm) == set(base) == KINDS
    for kind in KINDS:
        assert _comparable(helm[kind]) == _comparable(base[kind]), kind


def test_prometheus_rule_equals_alerts_yml(rendered: str) -> None:
    """The PrometheusRule carries exactly the groups of deploy/prometheus/alerts.yml."""
    rule = _objects(rendered)["PrometheusRule"]
    assert rule["spec"]["groups"] == yaml.safe_load(ALERTS.read_text())["groups"]


def test_config_and_secret_load_as_settings(rendered: str, tmp_path: Path) -> None:
    """The ConfigMap plus the Secret's files form a valid configuration, listening on the container port."""
    objs = _objects(rendered)
    config = tmp_path / "watchdog.yaml"
    config.write_text(objs["ConfigMap"]["data"]["watchdog.yaml"])
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for key, value in objs["Secret"]["stringData"].items():
        (secrets / key).write_text(value + "\n")
    settings = load_settings(config, environ={}, secrets_dirs=[secrets])
    assert settings.cloud.secret_key is not None
    assert settings.cloud.secret_key.get_secret_value() == "REPLACE-WITH-SK"
    assert str(settings.state.path) == "/var/lib/dr-watchdog/watchdog.db"
    (container,) = objs["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert settings.http.listen == f"0.0.0.0:{container['ports'][0]['containerPort']}"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/etc/dr-watchdog", "/run/secrets", "/var/lib/dr-watchdog"} <= mounts


def test_helm_existing_secret_and_extra_secret_files() -> None:
    """With existingSecret the chart creates no Secret and mounts the named one; extra files go into it."""
    proc = _run([tool("helm"), "template", "r", str(CHART), "--set", "credentials.existingSecret=drw-prod"])
    assert proc.returncode == 0, proc.stderr
    objs = _objects(proc.stdout)
    assert "Secret" not in objs
    volumes = objs["Deployment"]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "credentials", "secret": {"secretName": "drw-prod", "defaultMode": 0o400}} in volumes
    extra = "credentials.extra.notifications_webhook_secret=whsec-0123456789abcdef"
    proc = _run([tool("helm"), "template", "r", str(CHART), "--set", extra])
    assert (
        _objects(proc.stdout)["Secret"]["stringData"]["notifications_webhook_secret"]
        == "whsec-0123456789abcdef"
    )
