"""The journal's schema as ordered migrations: append a new (version, statements) pair, never edit one.

Points in time are integer Unix microseconds (see base.ts); bodies are the JSON of `watchdog.codec`.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE pair_state (
                pair TEXT PRIMARY KEY,
                consecutive_down INTEGER NOT NULL DEFAULT 0,
                first_down_at REAL,
                last_up_at REAL,
                baseline_primary_id TEXT,
                latched INTEGER NOT NULL DEFAULT 0,
                latched_at REAL,
                cooldown_until REAL,
                updated_at REAL
            )""",
            """CREATE TABLE observations (
                id INTEGER PRIMARY KEY,
                pair TEXT NOT NULL,
                observed_at REAL NOT NULL,
                body TEXT NOT NULL
            )""",
            "CREATE INDEX observations_time ON observations (observed_at, pair)",
            """CREATE TABLE decisions (
                id INTEGER PRIMARY KEY,
                pair TEXT NOT NULL,
                at REAL NOT NULL,
                state TEXT NOT NULL,
                action TEXT NOT NULL,
                rule TEXT NOT NULL,
                verdict TEXT NOT NULL,
                observation_id INTEGER NOT NULL,
                body TEXT NOT NULL,
                state_before TEXT
            )""",
            "CREATE INDEX decisions_pair ON decisions (pair, id)",
            "CREATE INDEX decisions_time ON decisions (at)",
            """CREATE TABLE intents (
                id INTEGER PRIMARY KEY,
                pair TEXT NOT NULL,
                disaster_recovery_id TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at REAL NOT NULL,
                old_primary_id TEXT,
                old_standby_id TEXT,
                manual INTEGER NOT NULL DEFAULT 0,
                forced INTEGER NOT NULL DEFAULT 0,
                requested_by TEXT NOT NULL,
                decision_id INTEGER,
                first_down_at REAL,
                expected_data_loss_seconds REAL,
                sent_at REAL,
                submitted_at REAL,
                finished_at REAL,
                acked_at REAL,
                leader_term INTEGER,
                request_id TEXT,
                detail TEXT
            )""",
            "CREATE INDEX intents_pair ON intents (pair, id)",
            """CREATE TABLE pauses (
                id INTEGER PRIMARY KEY,
                pair TEXT,
                reason TEXT NOT NULL,
                owner TEXT NOT NULL,
                created_at REAL NOT NULL,
                until REAL,
                resumed_at REAL,
                resumed_by TEXT
            )""",
            """CREATE TABLE acks (
                id INTEGER PRIMARY KEY,
                pair TEXT NOT NULL,
                owner TEXT NOT NULL,
                note TEXT,
                at REAL NOT NULL,
                was_latched INTEGER NOT NULL
            )""",
        ],
    ),
    (
        2,
        [
            # One row per pre-/post-failover hook run (issue 5: "both in the audit trail"). `command`
            # is the argv as JSON, never the environment; the output columns hold bounded tails.
            """CREATE TABLE hook_runs (
                id INTEGER PRIMARY KEY,
                pair TEXT NOT NULL,
                intent_id INTEGER,
                hook TEXT NOT NULL,
                command TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                duration_seconds REAL NOT NULL,
                exit_code INTEGER,
                timed_out INTEGER NOT NULL,
                error TEXT,
                vetoed INTEGER NOT NULL,
                stdout_tail TEXT NOT NULL,
                stderr_tail TEXT NOT NULL
            )""",
            "CREATE INDEX hook_runs_pair ON hook_runs (pair, id)",
        ],
    ),
    (
        3,
        [
            # Runs of identical rounds (runs.py `run_key`): a pair's decision row stands for itself
            # and `repeats` more rounds that decided the same from the same observation, the last
            # of them at `last_at` (NULL: a run of one). A steady pair writes a row per change, not
            # per round: 3.5 KB a round at 15 s is 1.8 GB per pair over the 90-day retention.
            "ALTER TABLE decisions ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE decisions ADD COLUMN last_at INTEGER",
        ],
    ),
    (
        4,
        [
            # The time of the latest DOWN round of an open outage (policy: max_down_gap_seconds).
            "ALTER TABLE pair_state ADD COLUMN last_down_at INTEGER",
        ],
    ),
    (
        5,
        [
            # The open outage's duration as seen (policy: the clamped steps between its DOWN rounds);
            # NULL in a row written before it: derived from first_down_at and last_down_at on load.
            "ALTER TABLE pair_state ADD COLUMN outage_seconds REAL",
        ],
    ),
    (
        6,
        [
            # A pause or the latch held a round: the next unheld DOWN round counts afresh (policy).
            "ALTER TABLE pair_state ADD COLUMN rearm INTEGER NOT NULL DEFAULT 0",
        ],
    ),
    (
        7,
        [
            # The global brake (watchdog.brake): `tripped` when it first blocked a failover since the
            # last `reset` (an operator's `dr-watchdog brake reset`); ordered by id. Never pruned.
            """CREATE TABLE brake_events (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('tripped', 'reset')),
                at INTEGER NOT NULL,
                owner TEXT NOT NULL,
                note TEXT
            )""",
        ],
    ),
    (
        8,
        [
            # Guarded switchbacks (`dr-watchdog recover`): one row per /recovery asked for, written
            # before the POST; a row not finished blocks another (exactly once). Never pruned.
            """CREATE TABLE recoveries (
                id INTEGER PRIMARY KEY,
                pair TEXT NOT NULL,
                disaster_recovery_id TEXT NOT NULL,
                intent_id INTEGER NOT NULL,
                deleted_cluster_id TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('intended', 'sent', 'completed', 'failed')),
                requested_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                sent_at INTEGER,
                finished_at INTEGER,
                detail TEXT
            )""",
            "CREATE INDEX recoveries_pair ON recoveries (pair, id)",
            # Planned switchovers and drills (`dr-watchdog switchover`, `drill`): one row per leg,
            # written before its POST; an open row is reconciled with the DR task, never resent.
            """CREATE TABLE switches (
                id INTEGER PRIMARY KEY,
                pair TEXT NOT NULL,
                disaster_recovery_id TEXT NOT NULL,
                drill_id INTEGER,
                leg INTEGER NOT NULL DEFAULT 1,
                legs INTEGER NOT NULL DEFAULT 1,
                from_primary TEXT NOT NULL,
                to_primary TEXT NOT NULL,
                status TEXT NOT NULL
                    CHECK (status IN ('intended', 'sent', 'switched', 'completed', 'failed')),
                requested_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                sent_at INTEGER,
                switched_at INTEGER,
                answered_at INTEGER,
                detail TEXT
            )""",
            "CREATE INDEX switches_pair ON switches (pair, id)",
        ],
    ),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]
