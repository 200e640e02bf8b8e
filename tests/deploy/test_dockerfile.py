"""The Dockerfile, checked statically (docker cannot run here), and its wheel build done for real."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import yaml

from tests.deploy.tools import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for ins in _instructions():
        if ins[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(ins)
    return stages


def _ignored(rel: str) -> bool:
    patterns = [p for p in DOCKERIGNORE.read_text().splitlines() if p and not p.startswith("#")]
    return any(fnmatch.fnmatch(rel, p) or rel.split("/")[0] == p for p in patterns)


def test_multi_stage_build_then_runtime() -> None:
    """Two named stages; the runtime copies the wheels from the build stage and installs them offline."""
    stages = _stages()
    assert len(stages) >= 2
    assert stages[0][0][1].endswith(" AS build")
    runtime = " ".join(args for _, args in stages[-1])
    assert "--from=build /wheels" in runtime
    assert "pip install --no-index --find-links /tmp/wheels dws-dr-watchdog" in runtime
    assert not [i for i in _instructions() if i[0] == "ADD"]


def test_runtime_user_is_non_root_and_matches_kubernetes() -> None:
    """The final USER is the numeric non-root uid the Kubernetes securityContext runs as."""
    users = [args for word, args in _stages()[-1] if word == "USER"]
    assert users, "the runtime stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0
    deployment = yaml.safe_load((REPO / "deploy" / "kubernetes" / "deployment.yaml").read_text())
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid)


def test_entrypoint_is_the_console_script() -> None:
    """ENTRYPOINT (exec form) is the package's console script; CMD runs the config Kubernetes mounts."""
    final = dict(_stages()[-1])
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert json.loads(final["ENTRYPOINT"]) == ["dr-watchdog"]
    assert "dr-watchdog" in scripts
    assert json.loads(final["CMD"]) == ["run", "--config", "/etc/dr-watchdog/watchdog.yaml"]
    assert json.loads(final["HEALTHCHECK"].split("CMD", 1)[1])[0] == "python"


def test_copied_sources_exist_and_are_not_ignored() -> None:
    """Every COPY from the build context names a file that exists and .dockerignore keeps."""
    for word, args in _instructions():
        if word != "COPY" or args.startswith("--from"):
            continue
        for src in args.split()[:-1]:
            assert (REPO / src).exists(), src
            assert not _ignored(src), src


def test_wheel_builds_from_the_docker_context(tmp_path: Path) -> None:
    """The files the build stage copies are enough to build the wheel, with the console script in it."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, ctx / name)
    shutil.copytree(REPO / "watchdog", ctx / "watchdog", ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "w"), str(ctx)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "w").glob("dws_dr_watchdog-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "watchdog/cli.py" in names
    assert "dr-watchdog = watchdog.cli:main" in entry_points
