"""The journal: one SQLite file with pair state, the audit trail and failover intents (see core.py)."""

from __future__ import annotations

from watchdog.journal.base import AckRefused, JournalError
from watchdog.journal.core import EncodedRound, Journal, RecordedDecision, RoundRecord
from watchdog.journal.hookruns import HookRunRecord
from watchdog.journal.intents import IntentAlreadyFinal, IntentAlreadySent, IntentConflict
from watchdog.journal.operators import AckRecord, PauseRecord

__all__ = [
    "AckRecord",
    "AckRefused",
    "EncodedRound",
    "HookRunRecord",
    "IntentAlreadyFinal",
    "IntentAlreadySent",
    "IntentConflict",
    "Journal",
    "JournalError",
    "PauseRecord",
    "RecordedDecision",
    "RoundRecord",
]
