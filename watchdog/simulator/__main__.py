"""`python -m watchdog.simulator --listen HOST:PORT [--scenario FILE]`, the same as `dr-watchdog simulate`."""

from __future__ import annotations

import argparse

from watchdog.simulator.cli import run_simulate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m watchdog.simulator", description=__doc__)
    parser.add_argument(
        "--listen", default="127.0.0.1:18080", help="loopback HOST:PORT (default %(default)s)"
    )
    parser.add_argument("--scenario", default=None, help="scenario YAML (default: the packaged default.yaml)")
    args = parser.parse_args(argv)
    return run_simulate(args.listen, args.scenario)


if __name__ == "__main__":
    raise SystemExit(main())
