"""Scenario files: credentials, pairs, output options and a timeline of events, in YAML.

A scenario describes a whole simulated world: who may call (AK/SK, temporary credentials, tokens),
which DR pairs exist in which projects (by name, or in bulk for benchmarks), and what happens when
(virtual seconds after start: a production cluster fails, sync stalls, the API answers 503 ...).
Every problem in a file is reported as one line naming the field, e.g.
`scenario demo.yaml: pairs.0.version: Input should be a valid string`.
"""

from __future__ import annotations

import re
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from watchdog.simulator.core import Simulator
from watchdog.simulator.faults import Fault
from watchdog.simulator.model import ClusterState, DrStatus, FailoverOutcome, TimestampFormat
from watchdog.simulator.pair import SimPair

DEFAULT_SCENARIO = "default.yaml"


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CredentialSpec(_Strict):
    access_key: str = Field(min_length=1)
    secret_key: str = Field(min_length=1, repr=False)
    project_id: str = Field(min_length=1)
    security_token: str | None = Field(default=None, repr=False)


class TokenSpec(_Strict):
    token: str = Field(min_length=1, repr=False)
    project_id: str = Field(min_length=1)


class TimingSpec(_Strict):
    """PairTiming knobs (virtual seconds); unset ones keep the simulator defaults."""

    sync_interval_seconds: float = Field(default=300.0, gt=0)
    sync_duration_seconds: float | None = Field(default=None, gt=0)
    abnormal_delay_seconds: float | None = Field(default=None, ge=0)
    action_delay_seconds: float | None = Field(default=None, ge=0)
    switchover_seconds: float | None = Field(default=None, ge=0)
    failover_seconds: float | None = Field(default=None, ge=0)
    promote_seconds: float | None = Field(default=None, ge=0)
    recovery_seconds: float | None = Field(default=None, ge=0)
    start_seconds: float | None = Field(default=None, ge=0)
    pause_seconds: float | None = Field(default=None, ge=0)
    delete_seconds: float | None = Field(default=None, ge=0)
    create_seconds: float | None = Field(default=None, ge=0)
    promote_task: str | None = Field(default=None, min_length=1)
    swap_at_start: bool | None = None
    failover_final_status: DrStatus | None = None
    version: str = "8.2.1.220"
    standby_version: str | None = None
    status: DrStatus = DrStatus.RUNNING
    dr_type: Literal["az", "region"] = "az"
    dr_sync_period: str | None = Field(default=None, pattern=r"^[1-9][0-9]{0,3}[mHd]$")
    failover_outcome: FailoverOutcome = FailoverOutcome.SUCCEED
    standby_project_id: str | None = None  # cross-region: the DR cluster lives in another project
    standby_region: str | None = None
    region: str | None = None  # the production cluster's region (default: the scenario's)

    def pair_options(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True, exclude={"failover_outcome"})
        return {k: v for k, v in data.items() if k not in {"name", "project_id", "count", "prefix"}}


class PairSpec(TimingSpec):
    name: str = Field(min_length=1)
    project_id: str = Field(min_length=1)
    disaster_recovery_id: str | None = None
    primary_cluster_id: str | None = None
    standby_cluster_id: str | None = None


class BulkSpec(TimingSpec):
    """`count` pairs named `{prefix}-1` ... in one project (benchmarks)."""

    project_id: str = Field(min_length=1)
    count: int = Field(ge=1, le=200_000)
    prefix: str = Field(default="bulk", min_length=1)


EventAction = Literal[
    "fail_cluster",
    "recover_cluster",
    "set_sub_status",
    "stall_sync",
    "resume_sync",
    "set_failover_outcome",
    "inject",
    "clear_faults",
    "override",
    "clear_override",
    "region_outage",
    "end_region_outage",
]
_NEEDS_PAIR = {"fail_cluster", "recover_cluster", "set_sub_status", "stall_sync", "resume_sync"}
_NEEDS_PAIR |= {"set_failover_outcome", "override", "clear_override"}


class EventSpec(_Strict):
    """One timeline event at `at` virtual seconds after the scenario starts."""

    at: float = Field(ge=0)
    action: EventAction
    pair: str | None = None  # a pair name or DR id
    side: Literal["primary", "standby"] = "primary"  # resolved against the roles at start
    sub_status: str | None = None
    reason: str | None = None
    state: ClusterState = ClusterState.FAILED
    outcome: FailoverOutcome | None = None
    fault: dict[str, Any] | None = None
    target: Literal["task", "cluster"] = "task"  # override: the DR task, or the `side` cluster
    fields: dict[str, Any] | None = None  # override: field -> value (a__b reaches a nested object)
    region: str | None = None  # region_outage / end_region_outage: which region

    @model_validator(mode="after")
    def _fields_for_action(self) -> EventSpec:
        if self.action in _NEEDS_PAIR and self.pair is None:
            raise ValueError(f"pair: required for action {self.action}")
        if self.action == "inject":
            if self.fault is None:
                raise ValueError("fault: required for action inject")
            try:
                Fault.from_mapping(self.fault)
            except ValueError as exc:
                raise ValueError(f"fault.{exc}") from None
        if self.action in ("region_outage", "end_region_outage") and self.region is None:
            raise ValueError(f"region: required for action {self.action}")
        if self.action == "override" and not self.fields:
            raise ValueError("fields: required for action override")
        if self.action == "set_failover_outcome" and self.outcome is None:
            raise ValueError("outcome: required for action set_failover_outcome")
        return self


class Scenario(_Strict):
    time_scale: float = Field(default=1.0, ge=0)
    timestamp_format: TimestampFormat = TimestampFormat.ISO_Z
    emit_active: bool = False
    ak_lockout: bool = False
    region: str = "cn-north-4"
    regions: list[str] = Field(default_factory=list)
    """More regions served by `simulate`, each on its own listener (the next ports after --listen's)."""
    seed: int | None = None
    credentials: list[CredentialSpec] = Field(default_factory=list)
    tokens: list[TokenSpec] = Field(default_factory=list)
    pairs: list[PairSpec] = Field(default_factory=list)
    bulk: list[BulkSpec] = Field(default_factory=list)
    timeline: list[EventSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        known = {p.name for p in self.pairs} | {p.disaster_recovery_id for p in self.pairs}
        for i, event in enumerate(self.timeline):
            if event.pair is not None and event.pair not in known:
                raise ValueError(f"timeline.{i}.pair: unknown pair {event.pair!r}")
        return self


def _one_line(source: str, exc: ValidationError) -> ScenarioError:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if not where:
        text = msg
    elif re.match(r"^[\w.]+: ", msg):
        text = f"{where}.{msg}"  # a validator that names a nested field
    else:
        text = f"{where}: {msg}"
    return ScenarioError(f"scenario {source}: {text}".replace("\n", " "))


def parse_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse YAML text; raises ScenarioError (one line) on any problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"scenario {source}:{where} not valid YAML") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario {source}: the top level must be a mapping")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _one_line(source, exc) from None


def load_scenario(path: str | None) -> Scenario:
    """Load a scenario file, or the packaged default when `path` is None."""
    if path is None:
        text = resources.files("watchdog.simulator").joinpath("scenarios", DEFAULT_SCENARIO).read_text()
        return parse_scenario(text, DEFAULT_SCENARIO)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"scenario {path}: cannot read ({exc.strerror or exc})") from None
    return parse_scenario(text, path)


def build_simulator(scenario: Scenario, *, start: datetime | None = None) -> Simulator:
    """A Simulator holding everything the scenario describes; its timeline runs from now."""
    sim = Simulator(
        scenario.time_scale,
        start=start,
        timestamp_format=scenario.timestamp_format,
        emit_active=scenario.emit_active,
        region=scenario.region,
        seed=scenario.seed,
        ak_lockout=scenario.ak_lockout,
    )
    for cred in scenario.credentials:
        sim.add_credentials(cred.access_key, cred.secret_key, cred.project_id, cred.security_token)
    for token in scenario.tokens:
        sim.add_token(token.token, token.project_id)
    by_name: dict[str, SimPair] = {}
    for spec in scenario.pairs:
        options = spec.pair_options()
        for key in ("disaster_recovery_id", "primary_cluster_id", "standby_cluster_id"):
            options.pop(key, None)
        pair = sim.add_pair(
            spec.project_id,
            spec.name,
            disaster_recovery_id=spec.disaster_recovery_id,
            primary_cluster_id=spec.primary_cluster_id,
            standby_cluster_id=spec.standby_cluster_id,
            **options,
        )
        pair.failover_outcome = spec.failover_outcome
        by_name[spec.name] = by_name[pair.disaster_recovery_id] = pair
    for bulk in scenario.bulk:
        sim.add_pairs(bulk.project_id, bulk.count, bulk.prefix, **bulk.pair_options())
    for event in scenario.timeline:
        _schedule(sim, event, by_name)
    return sim


def _schedule(sim: Simulator, event: EventSpec, pairs: dict[str, SimPair]) -> None:
    pair = pairs[event.pair] if event.pair is not None else None
    cluster_id = ""
    if pair is not None:
        cluster_id = pair.primary_cluster_id if event.side == "primary" else pair.standby_cluster_id
    label = f"{event.action}@{event.at:g}s" + (f" {pair.name}" if pair else "")

    def apply(at: datetime) -> None:
        _apply(sim, event, pair, cluster_id, at)

    sim.schedule(event.at, label, apply)


def _apply(sim: Simulator, event: EventSpec, pair: SimPair | None, cluster_id: str, at: datetime) -> None:
    match event.action:
        case "fail_cluster":
            sim.fail_cluster(
                cluster_id, sub_status=event.sub_status, reason=event.reason, state=event.state, at=at
            )
        case "recover_cluster":
            sim.recover_cluster(cluster_id, at=at)
        case "set_sub_status":
            sim.set_sub_status(cluster_id, event.sub_status or "NORMAL")
        case "stall_sync" | "resume_sync":
            assert pair is not None
            sim.stall_sync(pair.disaster_recovery_id, event.action == "stall_sync", at=at)
        case "set_failover_outcome":
            assert pair is not None and event.outcome is not None
            sim.set_failover_outcome(pair.disaster_recovery_id, event.outcome)
        case "inject":
            assert event.fault is not None
            sim.faults.add(Fault.from_mapping(event.fault), at)
        case "clear_faults":
            sim.clear_faults()
        case "region_outage":
            assert event.region is not None
            sim.region_outage(event.region, at=at)
        case "end_region_outage":
            assert event.region is not None
            sim.end_region_outage(event.region, at=at)
        case "override" | "clear_override":
            assert pair is not None
            target = pair.disaster_recovery_id if event.target == "task" else cluster_id
            forced = (event.fields or {}) if event.action == "override" else {}
            sim.override(target, **forced)
