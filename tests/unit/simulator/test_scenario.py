"""Scenario files: packaged ones load, timelines fire at their virtual times, bad files fail in one line."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from watchdog.simulator import PairTiming
from watchdog.simulator.scenario import (
    PairSpec,
    ScenarioError,
    build_simulator,
    load_scenario,
    parse_scenario,
)

from .helpers import T0, iso, move_to

SCENARIOS = Path(__file__).parents[3] / "watchdog" / "simulator" / "scenarios"
BASE = """
time_scale: 0
credentials: [{access_key: AK1, secret_key: SK1, project_id: p1}]
pairs:
  - {name: a, project_id: p1, sync_interval_seconds: 60, sync_duration_seconds: 20,
     abnormal_delay_seconds: 30}
"""


def test_default_scenario_is_packaged_and_builds() -> None:
    """The packaged default scenario loads without a path and yields the two documented pairs."""
    sim = build_simulator(load_scenario(None))
    assert sorted(p.name for p in sim.pairs.values()) == ["finance-dw", "sales-dw"]
    assert "SIMTESTAK00000000001" in sim.credentials


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_is_valid(path: Path) -> None:
    """Every scenario file shipped in the package parses and builds."""
    assert build_simulator(load_scenario(str(path))).pairs


def test_timeline_fires_at_its_own_virtual_time() -> None:
    """A failure at 60 s read only at 100 s froze sync at 60 s and turned abnormal at 90 s."""
    text = BASE + "timeline: [{at: 60, action: fail_cluster, pair: a, sub_status: DEGRADED}]\n"
    sim = build_simulator(parse_scenario(text), start=T0)
    move_to(sim, 100)
    (item,) = sim.dr_list("p1")
    assert (item["status"], item["last_disaster_time"]) == ("abnormal", iso(0))
    assert sim.cluster_detail(item["primary_cluster_id"])["sub_status"] == "DEGRADED"


def test_timeline_fault_lasts_from_its_start() -> None:
    """An injected fault with for_seconds is active from its `at` for that many virtual seconds."""
    text = BASE + "timeline: [{at: 10, action: inject, fault: {kind: error, status: 503, for_seconds: 20}}]\n"
    sim = build_simulator(parse_scenario(text), start=T0)
    counts = []
    for t in (5, 15, 31):
        move_to(sim, t)
        sim.tick()
        counts.append(len(sim.faults.active(sim.now())))
    assert counts == [0, 1, 0]


def test_bulk_and_failover_outcome() -> None:
    """`bulk` creates many pairs; a pair's failover_outcome is applied."""
    text = BASE.replace("abnormal_delay_seconds: 30}", "abnormal_delay_seconds: 30, failover_outcome: fail}")
    text += "bulk: [{project_id: p2, count: 250, prefix: b}]\n"
    sim = build_simulator(parse_scenario(text), start=T0)
    assert len(sim.dr_list("p2")) == 250
    assert [p.failover_outcome.value for p in sim.pairs.values() if p.name == "a"] == ["fail"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("time_scale: fast\n", "time_scale:"),
        ("colour: blue\n", "colour:"),
        ("pairs: [{name: a}]\n", "pairs.0.project_id:"),
        ("pairs: [{name: a, project_id: p, dr_sync_period: 9x}]\n", "pairs.0.dr_sync_period:"),
        ("pairs: [{name: a, project_id: p, status: dancing}]\n", "pairs.0.status:"),
        ("timeline: [{at: 1, action: fail_cluster}]\n", "timeline.0.pair: required"),
        ("timeline: [{at: 1, action: stall_sync, pair: ghost}]\n", "timeline.0.pair: unknown pair"),
        (
            "timeline: [{at: 1, action: inject, fault: {kind: error, status: 99}}]\n",
            "timeline.0.fault.status:",
        ),
        ("timeline: [{at: -1, action: clear_faults}]\n", "timeline.0.at:"),
        ("bulk: [{project_id: p, count: 0}]\n", "bulk.0.count:"),
        ("- just a list\n", "the top level must be a mapping"),
        ("pairs: [\n", "not valid YAML"),
    ],
)
def test_bad_scenarios_fail_in_one_line_naming_the_field(text: str, field: str) -> None:
    """Each bad scenario raises ScenarioError with one line that names the file and the field."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "game.yaml")
    message = str(info.value)
    assert message.startswith("scenario game.yaml: ") or message.startswith("scenario game.yaml:")
    assert field in message
    assert "\n" not in message


def test_timeline_override_and_clear() -> None:
    """An override event makes the API report odd values from its time; clear_override ends it."""
    text = BASE + (
        "timeline:\n"
        "  - {at: 10, action: override, pair: a, fields: {status: limbo}}\n"
        "  - {at: 10, action: override, pair: a, target: cluster, fields: {status: MAINTAINING}}\n"
        "  - {at: 20, action: clear_override, pair: a}\n"
    )
    sim = build_simulator(parse_scenario(text), start=T0)
    (pair,) = sim.pairs.values()
    move_to(sim, 15)
    during = (
        sim.dr_detail(pair.disaster_recovery_id)["status"],
        sim.cluster_detail(pair.primary_cluster_id)["status"],
    )
    move_to(sim, 25)
    after = sim.dr_detail(pair.disaster_recovery_id)["status"]
    assert during == ("limbo", "MAINTAINING")
    assert after == "running"


def test_every_pair_timing_knob_is_a_scenario_key() -> None:
    """Each PairTiming field can be set from a scenario pair (no knob is Python-only)."""
    assert {f.name for f in fields(PairTiming)} <= set(PairSpec.model_fields)
