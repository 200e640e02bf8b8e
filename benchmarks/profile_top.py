"""Summarise a py-spy collapsed-stack profile (`benchmarks.scale --profile`): the functions that
hold the most samples, by total (the function and what it calls) and by self time.

    .venv/bin/python -m benchmarks.profile_top /tmp/drw-profile-5000.txt --top 25
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

VENV = re.compile(r"\(.*?/site-packages/")


def frames(line: str) -> tuple[list[str], int]:
    """One collapsed stack: its frames (outermost first, the process and thread frames dropped) and
    its sample count."""
    stack, _, count = line.rpartition(" ")
    parts = [VENV.sub("(", p) for p in stack.split(";") if "(" in p]
    return parts, int(count)


def summary(path: Path, top: int) -> str:
    total, inclusive, own = 0, Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        parts, count = frames(line)
        total += count
        for frame in set(parts):
            inclusive[frame] += count
        if parts:
            own[parts[-1]] += count
    out = [f"{total} samples"]
    for title, counts in (("total (with callees)", inclusive), ("self", own)):
        out.append(f"\n{title}:")
        out += [f"{100 * n / total:5.1f} %  {frame}" for frame, n in counts.most_common(top)]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summary(args.profile, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
