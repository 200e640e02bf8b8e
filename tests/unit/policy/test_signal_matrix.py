"""The signal matrix of docs/decisions.md, parsed from the document and checked against the quorum in
`watchdog.verdict` for every combination of signals, row for row; and the quorum's properties
(Hypothesis): never DOWN while production's SQL endpoint or heartbeat answers, never DOWN while
isolated, and no quorum setting turns a round DOWN that the floor does not."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.policy.builders import T0
from watchdog.model import Policy, ReasonCode, Signal, SignalSource, Verdict
from watchdog.verdict import matrix_row, production_verdict

DOC = Path(__file__).resolve().parents[3] / "docs" / "decisions.md"
COLUMNS = (
    "control plane",
    "dr task",
    "data plane",
    "heartbeat",
    "references",
    "production api",
    "dr side",
    "quorum",
)
S = SignalSource
U, D, X = Verdict.UP, Verdict.DOWN, Verdict.UNKNOWN


@dataclass(frozen=True)
class DocRow:
    number: int
    cells: dict[str, str]
    verdict: Verdict
    reason: ReasonCode


def parse_matrix() -> list[DocRow]:
    """The rows of the table under '## The matrix' in docs/decisions.md."""
    text = DOC.read_text().split("## The matrix", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [c.strip().lower() for c in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        rows.append(
            DocRow(
                int(cells["row"]),
                {k: cells[k] for k in COLUMNS},
                Verdict(cells["verdict"]),
                ReasonCode(cells["reason"]),
            )
        )
    return rows


def cell_matches(cell: str, value: str | set[str]) -> bool:
    """`any`, `not X`, `X or Y`, or `X`; `value` is the column's value (a set for Quorum, which may
    hold several settings at once)."""
    values = value if isinstance(value, set) else {value}
    if cell == "any":
        return True
    if cell.startswith("not "):
        return not cell_matches(cell[4:], value)
    return bool(values & {v.strip() for v in cell.split(" or ")})


# Each source's possible appearance in a round: absent (None), or (verdict, read without error).
CP = [None, (U, True), (D, True), (X, True), (X, False)]
TASK = [None, (D, True), (X, True), (X, False)]
DP = [None, (U, True), (D, True), (X, True)]
HB = [None, (U, True), (X, False)]
CLUSTER = [None, (U, True), (X, False)]
DR_DP = [None, (U, True), (D, True), (X, True)]
CANARY = [None, (U, True), (D, True)]
PROD_API = [None, (U, True), (D, True), (X, False)]
SOURCES = (
    S.PRODUCTION_CLUSTER,
    S.DR_TASK,
    S.DATA_PLANE,
    S.HEARTBEAT,
    S.DR_CLUSTER,
    S.DR_DATA_PLANE,
    S.CANARY,
    S.PRODUCTION_API,
)
QUORUMS = [Policy(require_data_plane=a, require_dr_task=b) for a in (False, True) for b in (False, True)]


def combinations() -> Iterator[tuple[tuple[tuple[Verdict, bool] | None, ...], Policy]]:
    for combo in itertools.product(CP, TASK, DP, HB, CLUSTER, DR_DP, CANARY, PROD_API):
        for policy in QUORUMS:
            yield combo, policy


def signals_of(combo: tuple[tuple[Verdict, bool] | None, ...]) -> list[Signal]:
    return [
        Signal(src, v, "table", T0, error=None if read else "not read")
        for src, seen in zip(SOURCES, combo, strict=True)
        if seen is not None
        for v, read in [seen]
    ]


def columns_of(combo: tuple[tuple[Verdict, bool] | None, ...], policy: Policy) -> dict[str, str | set[str]]:
    """The combination in the document's terms, by the document's column definitions."""
    cp, task, dp, hb, cluster, dr_dp, canary, prod_api = combo
    network = (U, True) in (dr_dp, canary)
    api = any(s is not None and s[1] for s in (task, cluster))
    present = any(s is not None for s in (task, cluster, dr_dp, canary))
    refs = "network" if network else "api" if api else "isolated" if present else "none"
    quorum = {"any"}
    quorum |= {"require_dr_task"} if policy.require_dr_task else set()
    quorum |= {"require_data_plane"} if policy.require_data_plane else set()
    return {
        "control plane": "UNKNOWN" if cp is None else cp[0].name,
        "dr task": "DOWN" if task is not None and task[0] is D else "other",
        "data plane": "none" if dp is None else dp[0].name,
        "heartbeat": "UP" if hb is not None and hb[0] is U else "other",
        "references": refs,
        "production api": "unreachable" if prod_api == (D, True) else "other",
        "dr side": "answers" if api and dr_dp == (U, True) else "other",
        "quorum": quorum,
    }


def test_the_document_lists_every_row_of_the_code_once() -> None:
    rows = parse_matrix()
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) == 17


def test_every_signal_combination_is_decided_by_the_documented_row() -> None:
    """For each of the ~115,000 combinations (every source absent / read / unread / up / down / unknown,
    every quorum setting), the first document row whose cells all match is the row the code applies,
    with the same verdict and reason; and every row decides at least one combination."""
    rows, used = parse_matrix(), set()
    for combo, policy in combinations():
        cols = columns_of(combo, policy)
        doc = next(r for r in rows if all(cell_matches(r.cells[k], cols[k]) for k in COLUMNS))
        code = matrix_row(signals_of(combo), policy)
        assert (code.number, code.verdict, code.code) == (doc.number, doc.verdict, doc.reason), (
            combo,
            policy,
        )
        used.add(doc.number)
    assert used == {r.number for r in rows}


def test_only_rows_10_11_and_14_are_down() -> None:
    assert [r.number for r in parse_matrix() if r.verdict is D] == [10, 11, 14]


signal_lists = st.lists(
    st.builds(
        lambda src, v, read: Signal(src, v, "generated", T0, error=None if read else "not read"),
        st.sampled_from(list(SignalSource)),
        st.sampled_from(list(Verdict)),
        st.booleans(),
    ),
    max_size=9,
)
quorums = st.builds(Policy, require_data_plane=st.booleans(), require_dr_task=st.booleans())


@settings(max_examples=1000, deadline=None)
@given(signal_lists, quorums)
def test_never_down_while_production_answers_sql(signals: list[Signal], policy: Policy) -> None:
    """Any signal says production's SQL endpoint or heartbeat is UP: the round is never DOWN."""
    answers = any(s.source in (S.DATA_PLANE, S.HEARTBEAT) and s.verdict is U for s in signals)
    if answers:
        assert production_verdict(signals, policy) is not D


def test_a_heartbeat_read_alive_is_never_outvoted_by_another() -> None:
    """Two heartbeat signals that disagree (found by the property above): the one that read a row
    proves production alive, so the round is never DOWN (the facts once called them UNKNOWN)."""
    signals = [
        Signal(S.PRODUCTION_CLUSTER, D, "g", T0, error="not read"),
        Signal(S.HEARTBEAT, U, "g", T0, error="not read"),
        Signal(S.HEARTBEAT, D, "g", T0, error="not read"),
    ]
    assert production_verdict(signals, Policy()) is not D


@settings(max_examples=1000, deadline=None)
@given(signal_lists, quorums)
def test_never_down_while_isolated(signals: list[Signal], policy: Policy) -> None:
    """References present and none answering (no DR-side API read, no DR SQL endpoint or canary UP):
    never DOWN, whatever production looks like; such a round is decided by row 1."""
    refs = [s for s in signals if s.source in (S.DR_TASK, S.DR_CLUSTER, S.DR_DATA_PLANE, S.CANARY)]
    api = any(s.source in (S.DR_TASK, S.DR_CLUSTER) and s.error is None for s in refs)
    net = any(
        s.source in (S.DR_DATA_PLANE, S.CANARY)
        and s.verdict is U
        and all(o.verdict is U for o in refs if o.source is s.source)
        for s in refs
    )
    if refs and not api and not net:
        assert production_verdict(signals, policy) is not D
        assert matrix_row(signals, policy).code is ReasonCode.ISOLATED


@settings(max_examples=1000, deadline=None)
@given(signal_lists, quorums)
def test_the_quorum_settings_only_tighten(signals: list[Signal], policy: Policy) -> None:
    """A round the floor (both settings off) does not call DOWN is not DOWN under any setting."""
    if production_verdict(signals, Policy()) is not D:
        assert production_verdict(signals, policy) is not D


@settings(max_examples=500, deadline=None)
@given(signal_lists, quorums)
def test_the_dr_task_alone_never_makes_a_round_down(signals: list[Signal], policy: Policy) -> None:
    """Without production's own cluster signal DOWN, or its API endpoint unreachable, no round is
    DOWN (DR task abnormal or not)."""
    if not any(s.source in (S.PRODUCTION_CLUSTER, S.PRODUCTION_API) and s.verdict is D for s in signals):
        assert production_verdict(signals, policy) is not D


@settings(max_examples=1000, deadline=None)
@given(signal_lists, quorums)
def test_a_region_outage_needs_every_piece_of_evidence(signals: list[Signal], policy: Policy) -> None:
    """A DOWN round without production's cluster DOWN (its API endpoint unreachable: a region outage)
    always has the DR task abnormal on production's side, production's SQL endpoint DOWN, the DR
    side's API read and the DR SQL endpoint UP; production's API unreachable alone is never DOWN."""

    def all_are(source: SignalSource, verdict: Verdict) -> bool:
        found = [s for s in signals if s.source is source]
        return bool(found) and all(s.verdict is verdict for s in found)

    if production_verdict(signals, policy) is D and not all_are(S.PRODUCTION_CLUSTER, D):
        assert all_are(S.PRODUCTION_API, D) and all_are(S.DR_TASK, D) and all_are(S.DATA_PLANE, D)
        assert all_are(S.DR_DATA_PLANE, U)
        assert any(s.source in (S.DR_TASK, S.DR_CLUSTER) and s.error is None for s in signals)
    only_api = [s for s in signals if s.source is not S.PRODUCTION_API]
    if not any(s.source in (S.PRODUCTION_CLUSTER, S.DATA_PLANE) and s.verdict is D for s in only_api):
        assert production_verdict(signals, policy) is not D
