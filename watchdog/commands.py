"""Journal-backed operator commands (status, pause, resume, ack, failover, probe, export, replay).

Placeholder while the decision core lands: every command reports that it is not available yet.
"""

from __future__ import annotations

import argparse

from watchdog.settings import Settings


class NotYetAvailable(Exception):
    """The part this command needs has not landed yet."""


def _missing(name: str) -> int:
    raise NotYetAvailable(f"{name}: not available in this build yet")


def probe(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("probe")


def status(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("status")


def failover(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("failover")


def ack(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("ack")


def pause(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("pause")


def resume(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("resume")


def export(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("export")


def replay(settings: Settings, args: argparse.Namespace) -> int:
    return _missing("replay")
