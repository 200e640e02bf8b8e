"""Copy deploy/prometheus/alerts.yml into the Kubernetes PrometheusRule and the Helm chart.

alerts.yml is the one source; the copies are generated so they cannot drift (a test compares them).
Run after editing the rules: python deploy/tools/sync_alerts.py
"""

from __future__ import annotations

import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1]
SOURCE = DEPLOY / "prometheus" / "alerts.yml"
RULE = DEPLOY / "kubernetes" / "prometheusrule.yaml"
CHART_COPY = DEPLOY / "helm" / "dr-watchdog" / "files" / "alerts.yml"

HEADER = """\
# GENERATED from deploy/prometheus/alerts.yml by deploy/tools/sync_alerts.py: edit that file instead.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: dr-watchdog
spec:
"""


def rule_manifest(source: str) -> str:
    """The PrometheusRule: the source's `groups:` block indented under `spec:`."""
    body = source[source.index("groups:") :]
    return HEADER + "".join(f"  {line}" if line.strip() else line for line in body.splitlines(True))


def main() -> int:
    """Write both copies; print what changed."""
    source = SOURCE.read_text()
    for path, text in ((RULE, rule_manifest(source)), (CHART_COPY, source)):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"sync_alerts: wrote {path.relative_to(DEPLOY.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
