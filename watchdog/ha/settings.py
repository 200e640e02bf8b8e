"""Configuration of high availability and the global brake: the `ha` block.

`backend` chooses who may act: `none` (one instance; the journal lock refuses a second daemon on the
same journal). The global brake (`max_automatic_failovers` within `brake_window_seconds`) limits
automatic failovers across all pairs, whatever the backend; past it, failovers are blocked with
`global_brake` until `dr-watchdog brake reset`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HaBackend", "HaSettings"]

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)


class HaBackend(StrEnum):
    """Where the leadership lives."""

    NONE = "none"


class HaSettings(BaseModel):
    """High availability of the watchdog and the fleet-wide brake on automatic failovers."""

    model_config = _STRICT

    backend: HaBackend = HaBackend.NONE
    """`none`: one instance (a second daemon on the same journal is refused, exit 2)."""
    max_automatic_failovers: int = Field(default=3, ge=1)
    """At most this many automatic failovers across all pairs within `brake_window_seconds`; the next
    one is blocked (`global_brake`) until `dr-watchdog brake reset`. Default 3: more pairs than that
    failing together in an hour is more likely a shared cause (the watchdog's own view, a regional
    event) that a human should confirm than independent outages."""
    brake_window_seconds: float = Field(default=3600.0, gt=0)
    """Seconds: the window of the global brake (default 3600: one hour)."""
