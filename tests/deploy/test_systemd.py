"""The systemd unit: verified and scored by the real systemd-analyze, offline."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.deploy.tools import REPO, tool
from watchdog.settings import load_settings

UNIT = REPO / "deploy" / "systemd" / "dr-watchdog.service"
INSTALLED = "/opt/dr-watchdog/bin/dr-watchdog"


@pytest.fixture
def unit_copy(tmp_path: Path) -> Path:
    """The unit with ExecStart pointed at an existing stub, since verify insists the binary exists."""
    stub = tmp_path / "dr-watchdog"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED} " in text
    unit = tmp_path / "dr-watchdog.service"
    unit.write_text(text.replace(f"ExecStart={INSTALLED} ", f"ExecStart={stub} "))
    return unit


def _directives(text: str) -> dict[str, list[str]]:
    """Every Key=value of the unit, keyed by directive name (repeatable directives keep all values)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_verify_is_clean(unit_copy: Path) -> None:
    """systemd-analyze verify accepts the unit with nothing at all on stderr (unknown keys only warn)."""
    proc = subprocess.run(
        [tool("systemd-analyze"), "verify", str(unit_copy)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_security_exposure_is_low(unit_copy: Path) -> None:
    """The offline security score is at most 1.5 (a bare unit scores 9.6)."""
    proc = subprocess.run(
        [tool("systemd-analyze"), "security", "--offline=yes", "--threshold=15", str(unit_copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Overall exposure level" in proc.stdout


def test_verify_catches_a_typo(tmp_path: Path, unit_copy: Path) -> None:
    """The verify check is real: a misspelled directive shows up on stderr."""
    bad = tmp_path / "bad.service"
    bad.write_text(unit_copy.read_text().replace("WatchdogSec=", "WatchdogSecs="))
    proc = subprocess.run(
        [tool("systemd-analyze"), "verify", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert "WatchdogSecs" in proc.stderr


def test_unit_has_the_contracted_settings() -> None:
    """Type=notify with a watchdog, restart on failure, the required hardening, and secrets as credentials."""
    d = _directives(UNIT.read_text())
    assert d["Type"] == ["notify"]
    assert int(d["WatchdogSec"][0]) > 0
    assert d["Restart"] == ["on-failure"]
    assert d["DynamicUser"] == ["yes"]
    assert d["StateDirectory"] == ["dr-watchdog"]
    assert d["ProtectSystem"] == ["strict"]
    for key in ("ProtectHome", "PrivateTmp", "NoNewPrivileges"):
        assert d[key] == ["yes"], key
    assert d["CapabilityBoundingSet"] == [""]
    assert d["SystemCallFilter"][0] == "@system-service"
    assert set(d["RestrictAddressFamilies"][0].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    creds = {v.split(":")[0] for v in d["LoadCredential"]}
    assert creds == {"cloud_access_key", "cloud_secret_key"}
    assert not any("SECRET" in v.upper() for v in d.get("Environment", []))


def test_load_credentials_feed_the_settings(tmp_path: Path) -> None:
    """The files LoadCredential= puts in $CREDENTIALS_DIRECTORY are the secrets the settings read."""
    creds = tmp_path / "credentials"
    creds.mkdir()
    names = [v.split(":")[0] for v in _directives(UNIT.read_text())["LoadCredential"]]
    for name in names:
        (creds / name).write_text(f"value-of-{name}\n")
    config = tmp_path / "watchdog.yaml"
    config.write_text(
        "cloud: {region: cn-north-4, project_id: 0123456789abcdef0123456789abcdef}\n"
        "pairs: [{name: sales-dw, disaster_recovery_id: 9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c}]\n"
        "state: {path: /var/lib/dr-watchdog/watchdog.db}\n"
    )
    settings = load_settings(config, environ={"CREDENTIALS_DIRECTORY": str(creds)})
    assert settings.cloud.access_key is not None and settings.cloud.secret_key is not None
    assert settings.cloud.access_key.get_secret_value() == "value-of-cloud_access_key"
    assert settings.cloud.secret_key.get_secret_value() == "value-of-cloud_secret_key"
