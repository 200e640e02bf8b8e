"""Shared fixtures. The official SDK writes ~/.huaweicloud on import: HOME must be a temp dir."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("HOME", tempfile.mkdtemp(prefix="drw-home-"))
