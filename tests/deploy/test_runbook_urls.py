"""Alert runbook links as real URLs from a configurable base: the Helm value and the kustomize
component rewrite every alert's runbook_url to <base>#<alert>; without them it stays the repository
path docs/runbook.md#<alert>."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.rules import alert_rules
from tests.deploy.tools import REPO, tool

BASE = REPO / "deploy" / "kubernetes"
COMPONENT = BASE / "components" / "runbook-url"
CHART = REPO / "deploy" / "helm" / "dr-watchdog"
URL = "https://runbooks.example.test/dr-watchdog/runbook.md"


def _urls(text: str) -> dict[str, str]:
    rules = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "PrometheusRule"]
    assert len(rules) == 1
    groups: list[dict[str, Any]] = rules[0]["spec"]["groups"]
    return {r["alert"]: r["annotations"]["runbook_url"] for g in groups for r in g["rules"] if "alert" in r}


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _expected(base: str) -> dict[str, str]:
    return {str(r["alert"]): f"{base}#{str(r['alert']).lower()}" for r in alert_rules()}


def test_helm_value_sets_the_runbook_base() -> None:
    assert _urls(_run([tool("helm"), "template", "r", str(CHART)])) == _expected("docs/runbook.md")
    text = _run([tool("helm"), "template", "r", str(CHART), "--set", f"prometheusRule.runbookBaseUrl={URL}"])
    assert _urls(text) == _expected(URL)


def test_kustomize_component_sets_the_runbook_base(tmp_path: Path) -> None:
    """An overlay with its own copy of the component (the URL edited, as the component says)."""
    mine = tmp_path / "runbook-url"
    shutil.copytree(COMPONENT, mine)
    base_file = mine / "runbook-base.yaml"
    doc = yaml.safe_load(base_file.read_text())
    doc["data"]["url"] = URL
    base_file.write_text(yaml.safe_dump(doc))
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": [os.path.relpath(BASE, overlay)], "components": ["../runbook-url"]})
    )
    text = _run([tool("kubectl"), "kustomize", str(overlay)])
    assert _urls(text) == _expected(URL)
    assert "dr-watchdog-runbook-base" not in text  # local to kustomize, never applied
    assert _urls(_run([tool("kubectl"), "kustomize", str(BASE)])) == _expected("docs/runbook.md")
