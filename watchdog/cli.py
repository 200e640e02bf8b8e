"""`dr-watchdog`: argument parsing, one settings load, exit codes; the work is done elsewhere.

Exit codes (the contract): 0 ok, 1 a runtime failure, 2 a bad configuration or bad usage, 3 a
failover refused (a guard, or production not down), 4 a failover not confirmed. Every error is one
line on stderr, never a traceback unless `--debug`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from watchdog import __version__
from watchdog.settings import ConfigError, Settings, load_settings, settings_schema

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_REFUSED, EXIT_NOT_CONFIRMED = 0, 1, 2, 3, 4
EXIT_CODES = """exit codes:
  0  ok (a failover: submitted and completed)
  1  failed (a runtime error; a failover that failed or is unresolved)
  2  bad configuration or bad usage
  3  failover refused: a guard, or production not DOWN by the watchdog's rules (--force overrides);
     a healthy production is moved with a planned switchover (the DWS console or switchover API)
  4  failover not confirmed at the prompt"""


class CommandError(Exception):
    """A failure with a one-line message and an exit code (1 unless told otherwise)."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _iso(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone (e.g. {value}Z or {value}+08:00)")
    return parsed


def _common(parser: argparse.ArgumentParser, *, config: bool) -> None:
    sup = argparse.SUPPRESS
    parser.add_argument("--debug", action="store_true", default=sup, help="show tracebacks on errors")
    parser.add_argument(
        "--log-format", choices=["json", "text"], default=sup, help="log format (default: config)"
    )
    if config:
        parser.add_argument("--config", required=True, metavar="FILE", help="the YAML configuration file")
        parser.add_argument(
            "--secrets-dir", action="append", metavar="DIR", default=sup, help="read secret files from DIR"
        )


def _pair_option(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--pair", required=required, metavar="NAME", help="the pair name from the configuration"
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, one sub-parser per command of the contract."""
    parser = argparse.ArgumentParser(
        prog="dr-watchdog",
        description="DR watchdog for GaussDB(DWS) pairs.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dr-watchdog {__version__}")
    _common(parser, config=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, help_: str, *, config: bool = True, epilog: str | None = None
    ) -> argparse.ArgumentParser:
        fmt = argparse.RawDescriptionHelpFormatter
        p = sub.add_parser(name, help=help_, description=help_, epilog=epilog, formatter_class=fmt)
        _common(p, config=config)
        return p

    add("run", "run the daemon in the foreground until SIGTERM/SIGINT")
    add("check-config", "validate and print the resolved configuration, secrets masked")
    p = add("probe", "one probe round now: observations and what the policy would decide; acts on nothing")
    _pair_option(p, required=False)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("status", "each pair: state, last decision and reasons, health, sync lag, pause/latch")
    _pair_option(p, required=False)
    p.add_argument("--json", action="store_true", help="machine-readable output (same as GET /status)")
    p = add(
        "failover",
        "operator-initiated failover through the executor and journal: probes first and shows "
        "production, the DR side and the expected data loss; refused unless production is DOWN by the "
        "watchdog's rules and every guard passes",
        epilog=EXIT_CODES,
    )
    _pair_option(p, required=True)
    p.add_argument(
        "--force",
        action="store_true",
        help="skip the guards and the production-down check (not the journal or the latch record)",
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p = add("ack", "re-arm automatic failover on a pair after a failover (clears the latch)")
    _pair_option(p, required=True)
    p.add_argument("--reason", default="", help="why, for the audit trail")
    p = add("pause", "maintenance: probes and metrics go on, no automatic action")
    _pair_option(p, required=False)
    p.add_argument("--reason", required=True, help="why, for the audit trail")
    p.add_argument("--until", type=_iso, metavar="ISO8601", help="resume automatically at this time")
    p = add("resume", "end a pause")
    _pair_option(p, required=False)
    p.add_argument("--reason", default="", help="why, for the audit trail")
    p = add("brake", "the global brake on automatic failovers: `reset` re-enables them, `status` shows it")
    p.add_argument("action", choices=["reset", "status"], help="reset (re-enable) or status")
    p.add_argument("--reason", default="", help="why, for the audit trail")
    p = add("simulate", "run the bundled DWS API simulator", config=False)
    p.add_argument("--listen", default="127.0.0.1:18080", metavar="HOST:PORT", help="address to serve on")
    p.add_argument("--scenario", metavar="FILE", help="a scenario file (credentials, pairs, timeline)")
    add(
        "demo",
        "a scripted outage against the simulator on loopback; needs no config and no cloud",
        config=False,
    )
    add("config-schema", "print the JSON Schema of the configuration file", config=False)
    p = add("export", "write the journal's observations as JSON lines")
    _pair_option(p, required=False)
    p.add_argument("--output", "-o", metavar="FILE", help="output file (default: stdout)")
    p = add("replay", "run the policy over an exported timeline and print each decision")
    p.add_argument("--timeline", required=True, metavar="FILE", help="JSON lines from `dr-watchdog export`")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(
        "recover",
        "the guarded switchback after a failover (DR /recovery): deletes the old production's data; "
        "refused unless the failover completed and the old production is AVAILABLE again; never automatic",
        epilog=EXIT_CODES,
    )
    _pair_option(p, required=True)
    p.add_argument("--confirm-pair", metavar="NAME", help="the pair name, instead of typing it at the prompt")
    p.add_argument(
        "--confirm-cluster",
        metavar="ID",
        help="the id of the cluster whose data is deleted (the old production)",
    )
    p.add_argument(
        "--wait", type=float, default=3600.0, metavar="SECONDS", help="follow the DR task this long"
    )
    p.add_argument(
        "--poll", type=float, default=5.0, metavar="SECONDS", help="between two reads of the DR task"
    )
    for name, text in (
        (
            "switchover",
            "a planned switchover (DR /switchover, RPO 0) while production is healthy: journaled, sent once",
        ),
        ("drill", "a DR drill: switch over, check the new production answers, and with --back switch back"),
    ):
        p = add(name, text, epilog=EXIT_CODES)
        _pair_option(p, required=True)
        if name == "drill":
            p.add_argument(
                "--back", action="store_true", help="switch back after the new production answered"
            )
        p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        p.add_argument(
            "--wait", type=float, default=1800.0, metavar="SECONDS", help="wait this long for each step"
        )
        p.add_argument("--poll", type=float, default=5.0, metavar="SECONDS", help="between two reads")
    p = add("report", "an incident report of one pair from the journal: one self-contained HTML file")
    _pair_option(p, required=True)
    p.add_argument(
        "--since", type=_iso, metavar="ISO8601", help="from this time (default: the journal's start)"
    )
    p.add_argument("--until", type=_iso, metavar="ISO8601", help="to this time (default: now)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (-: standard output)")
    p.add_argument("--json", action="store_true", help="the report's data as JSON, for tooling")
    return parser


def load(args: argparse.Namespace) -> Settings:
    """The settings for this command (ConfigError propagates to main: exit 2, one line)."""
    return load_settings(args.config, secrets_dirs=getattr(args, "secrets_dir", None))


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = load(args)
    print_json(settings.masked())
    print(f"config ok: {len(settings.pairs)} pair(s), mode {settings.policy.mode.value}", file=sys.stderr)
    return EXIT_OK


def cmd_config_schema(args: argparse.Namespace) -> int:
    print(json.dumps(settings_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from watchdog.simulator.cli import run_simulate

    return run_simulate(args.listen, args.scenario)


def cmd_run(args: argparse.Namespace) -> int:
    from watchdog.daemon import run_daemon, tune_gc

    tune_gc()  # before the settings: reading 5,000 pairs is a burst of allocations too
    settings = load(args)
    return run_daemon(settings, log_format=getattr(args, "log_format", None))


def cmd_demo(args: argparse.Namespace) -> int:
    from watchdog.demo import run_demo

    return run_demo()


def cmd_report(args: argparse.Namespace) -> int:
    from watchdog.incident.command import report

    return report(load(args), args)


def _ops(name: str, module: str = "commands") -> Callable[[argparse.Namespace], int]:
    """A journal-backed operator command from watchdog.commands (or `module`), loaded only when used."""

    def run(args: argparse.Namespace) -> int:
        ops = importlib.import_module(f"watchdog.{module}")
        settings = load(args)
        handler: Callable[[Settings, argparse.Namespace], Any] = getattr(ops, name)
        result = handler(settings, args)
        return int(asyncio.run(result)) if asyncio.iscoroutine(result) else int(result)

    return run


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "check-config": cmd_check_config,
    "config-schema": cmd_config_schema,
    "simulate": cmd_simulate,
    "demo": cmd_demo,
    "probe": _ops("probe"),
    "status": _ops("status"),
    "failover": _ops("failover"),
    "ack": _ops("ack"),
    "pause": _ops("pause"),
    "resume": _ops("resume"),
    "brake": _ops("brake"),
    "export": _ops("export"),
    "replay": _ops("replay_cmd"),
    "report": cmd_report,
    "recover": _ops("recover", "lifecycle_commands"),
    "switchover": _ops("switchover", "lifecycle_commands"),
    "drill": _ops("drill", "lifecycle_commands"),
}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    plain = isinstance(exc, CommandError | ConfigError) or hasattr(exc, "exit_code")
    return text if plain else f"{type(exc).__name__}: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, dispatch, map errors to one line and an exit code."""
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        if debug:
            raise
        for line in str(exc).splitlines() or [_one_line(exc)]:  # one line per bad field
            print(f"dr-watchdog: {' '.join(line.split())}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception as exc:
        if debug:
            raise
        code = exc.code if isinstance(exc, CommandError) else int(getattr(exc, "exit_code", EXIT_FAILED))
        print(f"dr-watchdog: error: {_one_line(exc)}", file=sys.stderr)
        return code
