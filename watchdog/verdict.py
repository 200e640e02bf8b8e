"""The round verdict on production from its signals (the quorum): pure, like `watchdog.policy`.

No I/O, no clock; it imports `watchdog.model` alone. The rule is the signal matrix of
docs/decisions.md (its rows are MATRIX below, first match wins; a test parses the document and checks
every combination of signals against this code), written also in `watchdog.policy`'s docstring
("Round verdict") and in README's "How decisions are made".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from watchdog.model import Observation, Policy, Reason, ReasonCode, Signal, SignalSource, Verdict

PRODUCTION_SOURCES = frozenset(
    {SignalSource.PRODUCTION_CLUSTER, SignalSource.DR_TASK, SignalSource.DATA_PLANE, SignalSource.HEARTBEAT}
)
REFERENCE_SOURCES = frozenset(
    {SignalSource.DR_TASK, SignalSource.DR_CLUSTER, SignalSource.DR_DATA_PLANE, SignalSource.CANARY}
)
SHOWN_BESIDE = (REFERENCE_SOURCES - PRODUCTION_SOURCES) | {SignalSource.PRODUCTION_API}
DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Facts:
    """What the matrix reads off a round's signals (and the quorum's tightening flags)."""

    cp: Verdict  # production's cluster, control plane (UNKNOWN when absent)
    task_down: bool  # the DR task abnormal on production's side
    dp: Verdict | None  # production's data plane; None: not configured
    hb_up: bool  # this round's heartbeat row written on production
    api_ref: bool  # the DR side's API answered (DR task or DR cluster read without error)
    net_ref: bool  # a network reference answered: the DR data plane or a canary
    refs: bool  # any reference is configured or was tried this round
    prod_api_down: bool = False  # production's own API endpoint (a cross-region pair's) unreachable
    dr_dp_up: bool = False  # the DR cluster's SQL endpoint answered
    require_data_plane: bool = False
    require_dr_task: bool = False

    @property
    def isolated(self) -> bool:
        return self.refs and not self.api_ref and not self.net_ref

    @property
    def dr_side(self) -> bool:
        """The DR side answers: its API (the DR task or cluster read) and its SQL endpoint."""
        return self.api_ref and self.dr_dp_up

    @property
    def region_outage(self) -> bool:
        """Production's region gone while the DR side answers: production's endpoint unreachable,
        the DR task abnormal on production's side, production's SQL endpoint DOWN."""
        return self.prod_api_down and self.task_down and self.dp is Verdict.DOWN and self.dr_side

    @property
    def sql_up(self) -> bool:
        return self.dp is Verdict.UP or self.hb_up


@dataclass(frozen=True)
class Row:
    """One row of the signal matrix: when it applies, the verdict, and the reason it gives."""

    number: int
    applies: Callable[[Facts], bool]
    verdict: Verdict
    code: ReasonCode
    text: str


def _cp_down(f: Facts) -> bool:
    return f.cp is Verdict.DOWN


GRAY_DOWN = "gray failure: the control plane says production is down, "
NO_NET = (
    "cannot tell: production's SQL endpoint does not answer, but neither does any network reference "
    "(the DR SQL endpoint, a canary): a dead production and a blind watchdog look the same"
)
MATRIX: tuple[Row, ...] = (
    Row(1, lambda f: f.isolated, Verdict.UNKNOWN, ReasonCode.ISOLATED,
        "isolated: the watchdog reached none of its references (the DR side's API, the DR SQL endpoint, "
        "the canaries), so it cannot tell a dead production from its own blindness"),
    Row(2, lambda f: _cp_down(f) and f.dp is Verdict.UP, Verdict.UNKNOWN, ReasonCode.GRAY_FAILURE,
        GRAY_DOWN + "its SQL endpoint answers"),
    Row(3, lambda f: _cp_down(f) and f.hb_up, Verdict.UNKNOWN, ReasonCode.GRAY_FAILURE,
        GRAY_DOWN + "the heartbeat was written on it"),
    Row(4, lambda f: f.cp is Verdict.UP and f.dp is Verdict.DOWN and f.net_ref, Verdict.UNKNOWN,
        ReasonCode.GRAY_FAILURE,
        "gray failure: the control plane says production is up, its SQL endpoint does not answer"),
    Row(5, lambda f: f.cp is Verdict.UP, Verdict.UP, ReasonCode.PRODUCTION_UP, "production up"),
    Row(6, lambda f: f.dp is Verdict.UP, Verdict.UP, ReasonCode.PRODUCTION_UP,
        "production up (its SQL endpoint answers)"),
    Row(7, lambda f: f.hb_up, Verdict.UP, ReasonCode.PRODUCTION_UP, "production up (it takes writes)"),
    Row(8, lambda f: _cp_down(f) and f.require_dr_task and not f.task_down, Verdict.UNKNOWN,
        ReasonCode.PRODUCTION_UNKNOWN,
        "cannot tell: the quorum (policy.quorum.require_dr_task) needs the DR task abnormal on "
        "production's side too"),
    Row(9, lambda f: _cp_down(f) and f.dp is None and f.require_data_plane, Verdict.UNKNOWN,
        ReasonCode.PRODUCTION_UNKNOWN,
        "cannot tell: the quorum (policy.quorum.require_data_plane) needs a data-plane probe, none ran"),
    Row(10, lambda f: _cp_down(f) and f.dp is None, Verdict.DOWN, ReasonCode.PRODUCTION_DOWN,
        "production down"),
    Row(11, lambda f: _cp_down(f) and f.dp is Verdict.DOWN and f.net_ref, Verdict.DOWN,
        ReasonCode.PRODUCTION_DOWN, "production down (control plane and SQL endpoint agree)"),
    Row(12, lambda f: _cp_down(f) and f.dp is Verdict.DOWN, Verdict.UNKNOWN, ReasonCode.PRODUCTION_UNKNOWN,
        NO_NET),
    Row(13, _cp_down, Verdict.UNKNOWN, ReasonCode.PRODUCTION_UNKNOWN,
        "cannot tell: the control plane says down, the SQL probe could not tell (a probed data plane "
        "must agree)"),
    Row(14, lambda f: f.cp is Verdict.UNKNOWN and f.region_outage, Verdict.DOWN, ReasonCode.PRODUCTION_DOWN,
        "production down (region outage: production's API endpoint unreachable, the DR task abnormal on "
        "production's side, production's SQL endpoint DOWN while the DR side's API and SQL endpoint "
        "answer)"),
    Row(15, lambda f: f.prod_api_down, Verdict.UNKNOWN, ReasonCode.PRODUCTION_UNKNOWN,
        "cannot tell: production's API endpoint is unreachable, which is no evidence about production; a "
        "region outage also needs the DR task abnormal on production's side and production's SQL "
        "endpoint DOWN while the DR side's API and SQL endpoint answer"),
    Row(16, lambda f: f.task_down, Verdict.UNKNOWN, ReasonCode.PRODUCTION_UNKNOWN,
        "cannot tell: only production's own cluster signal DOWN is evidence (the DR task corroborates)"),
    Row(17, lambda f: True, Verdict.UNKNOWN, ReasonCode.PRODUCTION_UNKNOWN, "cannot tell"),
)  # fmt: skip


def facts(signals: Iterable[Signal], policy: Policy | None = None) -> Facts:
    """The matrix's inputs from a round's signals."""
    seen: dict[SignalSource, set[Verdict]] = {}
    read: set[SignalSource] = set()
    for s in signals:
        seen.setdefault(s.source, set()).add(s.verdict)
        if s.error is None:
            read.add(s.source)
    p = policy or DEFAULT_POLICY

    def verdict(source: SignalSource) -> Verdict | None:
        """The source's verdict; None when absent; UNKNOWN when its signals disagree."""
        found = seen.get(source)
        if found is None:
            return None
        return next(iter(found)) if len(found) == 1 else Verdict.UNKNOWN

    net_ref = verdict(SignalSource.DR_DATA_PLANE) is Verdict.UP or verdict(SignalSource.CANARY) is Verdict.UP
    return Facts(
        cp=verdict(SignalSource.PRODUCTION_CLUSTER) or Verdict.UNKNOWN,
        task_down=verdict(SignalSource.DR_TASK) is Verdict.DOWN,
        dp=verdict(SignalSource.DATA_PLANE),
        hb_up=Verdict.UP in seen.get(SignalSource.HEARTBEAT, ()),  # any write on production counts
        api_ref=bool(read & {SignalSource.DR_TASK, SignalSource.DR_CLUSTER}),
        net_ref=net_ref,
        refs=bool(REFERENCE_SOURCES & seen.keys()),
        prod_api_down=verdict(SignalSource.PRODUCTION_API) is Verdict.DOWN,
        dr_dp_up=verdict(SignalSource.DR_DATA_PLANE) is Verdict.UP,
        require_data_plane=p.require_data_plane,
        require_dr_task=p.require_dr_task,
    )


def matrix_row(signals: Iterable[Signal], policy: Policy | None = None) -> Row:
    """The first row of the signal matrix that applies to this round."""
    f = facts(signals, policy)
    return next(row for row in MATRIX if row.applies(f))


def production_verdict(signals: Iterable[Signal], policy: Policy | None = None) -> Verdict:
    """The one function that turns a round's signals into the verdict on production (the quorum)."""
    return matrix_row(signals, policy).verdict


def replication_broken(signals: Iterable[Signal], verdict: Verdict) -> bool:
    """Production up while the DR task says production's side is abnormal: the pair has no working DR."""
    task_down = any(s.source is SignalSource.DR_TASK and s.verdict is Verdict.DOWN for s in signals)
    return verdict is Verdict.UP and task_down


def verdict_reasons(
    signals: Sequence[Signal], verdict: Verdict, policy: Policy | None = None, row: Row | None = None
) -> list[Reason]:
    """The round's verdict as its reason; the row's own reason (gray failure, isolated) beside it; and
    `dr_replication_broken` beside an UP one if it is. `row`: `matrix_row(signals, policy)`, when the
    caller has it already (the matrix is read once per decision, not once per use)."""
    row = row or matrix_row(signals, policy)
    reasons = [verdict_reason(signals, verdict, policy, row)]
    if row.code in (ReasonCode.GRAY_FAILURE, ReasonCode.ISOLATED):
        reasons.append(Reason(row.code, row.text, {"matrix_row": float(row.number)}))
    if replication_broken(signals, verdict):
        text = "production up, but the DR task is abnormal on production's side: the pair has no working DR"
        reasons.append(Reason(ReasonCode.DR_REPLICATION_BROKEN, text))
    return reasons


def verdict_reason(
    signals: Sequence[Signal], verdict: Verdict, policy: Policy | None = None, row: Row | None = None
) -> Reason:
    """The round's verdict as a reason: the matrix row that decided, the signal counts and each
    production signal's text (the references' too, when the row rests on them)."""
    row = row or matrix_row(signals, policy)
    relevant = [s for s in signals if s.source in PRODUCTION_SOURCES]
    counts = {v.value: float(sum(1 for s in relevant if s.verdict is v)) for v in Verdict}
    counts["matrix_row"] = float(row.number)
    shown = relevant + [s for s in signals if s.source in SHOWN_BESIDE]
    details = "; ".join(f"{s.source.value}={s.verdict.value} ({s.error or s.detail})" for s in shown)
    if verdict is Verdict.UP:
        return Reason(ReasonCode.PRODUCTION_UP, f"production up: {details}", counts)
    if verdict is Verdict.DOWN:
        return Reason(ReasonCode.PRODUCTION_DOWN, f"{row.text}: {details}", counts)
    if row.code is ReasonCode.GRAY_FAILURE:
        return Reason(ReasonCode.SIGNALS_CONFLICT, f"signals disagree, not down: {details}", counts)
    return Reason(ReasonCode.PRODUCTION_UNKNOWN, f"{row.text}: {details or 'no signal'}", counts)


def discarded(obs: Observation, policy: Policy, now: datetime) -> list[Reason]:
    """Why this round's evidence must not count (empty: it counts): the round started far later than
    scheduled (`round_late`), or the observation is older than `max_observation_age_seconds` now."""
    reasons = []
    if obs.late_seconds is not None:
        text = f"round started {obs.late_seconds:.0f} s later than scheduled: its evidence is discarded"
        reasons.append(Reason(ReasonCode.ROUND_LATE, text, {"late_seconds": obs.late_seconds}))
    bound, age = policy.max_observation_age_seconds, (now - obs.observed_at).total_seconds()
    if bound is not None and age > bound:
        text = f"observation {age:.0f} s old at decision time > max {bound:.0f} s: discarded"
        values = {"observation_age_seconds": age, "max_observation_age_seconds": bound}
        reasons.append(Reason(ReasonCode.OBSERVATION_STALE, text, values))
    return reasons


def round_verdict(obs: Observation, policy: Policy, now: datetime) -> Verdict:
    """The verdict the decision rests on: production's, or UNKNOWN when the evidence is discarded."""
    return Verdict.UNKNOWN if discarded(obs, policy, now) else production_verdict(obs.signals, policy)
