"""The journal: one SQLite file with pair state, the audit trail and failover intents (see core.py)."""

from __future__ import annotations

from watchdog.journal.base import AckRefused, JournalError
from watchdog.journal.core import Journal, RecordedDecision
from watchdog.journal.intents import IntentAlreadyFinal, IntentConflict

__all__ = [
    "AckRefused",
    "IntentAlreadyFinal",
    "IntentConflict",
    "Journal",
    "JournalError",
    "RecordedDecision",
]
