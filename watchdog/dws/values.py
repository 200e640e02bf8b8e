"""Lenient readings of the DWS API's scalar values: enums that never fail, timestamps, sub_status.

The service documents some values loosely (dws-api.md section 9: the timestamp format is unknown;
two spellings of cluster states exist), so each reader accepts every plausible form and says clearly
when a value is no value of its kind: enums fall back to UNKNOWN (the raw text is kept by the
models), everything else raises ValueError, which the client reports as a malformed answer.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from watchdog.clock import utc

E = TypeVar("E", bound="_LenientEnum")


class _LenientEnum(StrEnum):
    """A StrEnum whose `parse` never fails: unknown or missing values become UNKNOWN."""

    @classmethod
    def parse(cls: type[E], value: object) -> E:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = " ".join(value.split()).lower()
            found = _lookup(cls, key)
            if found is not None:
                return found
        return cls["UNKNOWN"]


def _lookup(cls: type[E], key: str) -> E | None:
    return _members(cls).get(_ALIASES.get(cls.__name__, {}).get(key, key))


@functools.cache
def _members(cls: type[E]) -> dict[str, E]:
    """The enum's members by lower-cased value, built once per enum (a scan of the members for each
    parsed field was 9 % of a 5,000-pair daemon's CPU: every list item has several)."""
    return {member.value.lower(): member for member in reversed(list(cls))}


class DrStatus(_LenientEnum):
    """DR task status (section 3.1); `stopped` is real although the SDK enum omits it."""

    CREATING = "creating"
    CREATE_FAILED = "create_failed"
    UNSTART = "unstart"
    STARTING = "starting"
    START_FAILED = "start_failed"
    RUNNING = "running"
    STOPPING = "stopping"
    STOP_FAILED = "stop_failed"
    STOPPED = "stopped"
    SWITCHOVERING = "switchovering"
    ABNORMAL = "abnormal"
    DELETING = "deleting"
    DELETED = "deleted"
    UNKNOWN = "unknown"


class DrClusterStatus(_LenientEnum):
    """Per-cluster DR status (section 3.2)."""

    BACKUPING = "backuping"
    RESTORING = "restoring"
    WAITING = "waiting"
    STOPPED = "stopped"
    ABNORMAL = "abnormal"
    DR_DELETED = "drDeleted"
    UNKNOWN = "unknown"


class ClusterStatus(_LenientEnum):
    """Cluster status (section 3.4); ACTIVE is read as AVAILABLE and UNAVAILABLE as FAILED."""

    CREATING = "CREATING"
    AVAILABLE = "AVAILABLE"
    FAILED = "FAILED"
    CREATE_FAILED = "CREATE_FAILED"
    DELETING = "DELETING"
    DELETE_FAILED = "DELETE_FAILED"
    DELETED = "DELETED"
    FROZEN = "FROZEN"
    POLICE_FROZEN = "POLICE_FROZEN"
    UNKNOWN = "UNKNOWN"


_ALIASES: dict[str, dict[str, str]] = {
    "ClusterStatus": {"active": "available", "unavailable": "failed", "creation failed": "create_failed"},
}


# ---------------------------------------------------------------------------------------- timestamps
_NUMERIC = re.compile(r"^[+-]?\d+(\.\d+)?$")
_MS_THRESHOLD = 1e11  # 1e11 s is the year 5138; any epoch value above it is milliseconds
_NEVER = frozenset({"", "null", "none"})


def parse_timestamp(value: object) -> datetime | None:
    """A timestamp in any form the service might use, as aware UTC; None means "never" (empty/null/0).

    Accepts ISO 8601 with or without `Z`, fractions or offsets, a space instead of `T`, and epoch
    seconds or milliseconds as a number or a numeric string. No zone means UTC. Raises ValueError
    for anything else: garbage must not read as "never synced".
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    if not isinstance(value, str):
        return _from_epoch(float(value))
    text = value.strip()
    if text.lower() in _NEVER:
        return None
    if _NUMERIC.match(text):
        return _from_epoch(float(text))
    return _from_iso(text)


def _from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("epoch timestamp out of range")
    if seconds == 0:
        return None
    if seconds >= _MS_THRESHOLD:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("epoch timestamp out of range") from exc


def _from_iso(text: str) -> datetime:
    for suffix in (" UTC", " GMT", "Z", "z"):
        if text.upper().endswith(suffix.upper()) and len(text) > len(suffix):
            text = text[: -len(suffix)].rstrip() + "+00:00"
            break
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(f"not a timestamp: {text[:40]!r}") from exc


# ------------------------------------------------------------------------------------ field helpers
def split_sub_status(value: object) -> tuple[str, ...]:
    """`"DEGRADED | UNBALANCED"` -> ("DEGRADED", "UNBALANCED"); empty parts dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split("|") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(p for item in value for p in split_sub_status(str(item)))
    raise ValueError("sub_status is not a string")


def progress_map(value: object) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    raise ValueError("action_progress is not an object")


def failed_reasons_line(value: object) -> str | None:
    """One readable line from `failed_reasons`, which the docs give as an object or as a map."""
    if value is None or value == "" or value == {} or value == []:
        return None
    if isinstance(value, Mapping):
        if "error_code" in value or "error_msg" in value:
            return f"{value.get('error_code') or ''}: {value.get('error_msg') or ''}".strip(": ")
        return "; ".join(f"{k}: {failed_reasons_line(v) or ''}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(r for r in (failed_reasons_line(v) for v in value) if r)
    return str(value)


def finite_number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    number = float(value) if isinstance(value, int | float | str) else math.nan
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def text_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    raise ValueError("not a list")


def raw_text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)[:100]
