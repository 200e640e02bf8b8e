"""Configuration: one YAML file, `DRW_` environment overrides, secrets from files; strict and documented.

Sources, highest priority first: keyword arguments (tests, the demo), environment variables
(`DRW_POLICY__MODE`; `__` between nesting levels), secret files (`cloud_secret_key` or
`cloud/secret_key` in `/run/secrets` or systemd's `$CREDENTIALS_DIRECTORY`), the YAML file, defaults.
Unknown keys are errors at every level: a misspelt `failure_treshold` must not silently become the
default. `load_settings()` is what the CLI calls; `Settings(...)` built directly in code reads no
environment and no secret directory, so tests and the demo are hermetic.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from watchdog import endpoints as endpoint_settings
from watchdog.endpoints import EndpointName, EndpointSettings, PairEndpoints, api_url, hex32
from watchdog.evidence import settings as evidence_settings
from watchdog.evidence.settings import DataPlaneSettings, EvidenceSettings
from watchdog.ha.settings import HaSettings
from watchdog.hooks import REAP_SECONDS, HookSettings
from watchdog.model import Mode, Policy
from watchdog.notify.settings import NotificationSettings
from watchdog.settings_sources import (
    ENV_PREFIX,
    ConfigError,
    ContextEnvSource,
    LoadContext,
    SecretFilesSource,
    YamlSource,
    check_env_names,
    check_yaml,
    context,
    default_secrets_dirs,
    format_validation_error,
    loading,
)

__all__ = [
    "ConfigError",
    "Settings",
    "format_validation_error",
    "load_settings",
    "parse_listen",
    "settings_schema",
]
_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)


# --- value checks with messages an operator can act on ---------------------------------------------


def _uuid_shaped(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be a UUID like 9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c") from None


def _pair_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", value):
        raise ValueError("must be 1-63 letters, digits, '.', '_' or '-' (it becomes a metric label)")
    return value


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` (or `[v6]:PORT`) as (host, port); ValueError naming what is wrong."""
    host, sep, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:9464")
    return host, int(port)


def _listen(value: str) -> str:
    parse_listen(value)
    return value


def _field_error(path: str, reason: str) -> PydanticCustomError:
    """A cross-field error that still names one field path in the one-line message."""
    return PydanticCustomError("field", "{reason}", {"path": path, "reason": reason})


ProjectId = Annotated[str, AfterValidator(hex32)]
DrId = Annotated[str, AfterValidator(_uuid_shaped)]
PairName = Annotated[str, AfterValidator(_pair_name)]
Listen = Annotated[str, AfterValidator(_listen)]


# --- the sections ----------------------------------------------------------------------------------


class CloudSettings(BaseModel):
    """Where the DWS API is and how to authenticate to it."""

    model_config = _STRICT

    region: str | None = Field(default=None, pattern=r"^[a-z0-9]+(-[a-z0-9]+)+$")
    """Huawei Cloud region, e.g. cn-north-4; the endpoint defaults to https://dws.{region}.myhuaweicloud.com."""
    endpoint: Annotated[str | None, AfterValidator(api_url)] = None
    """Explicit API endpoint URL; overrides the region (e.g. http://127.0.0.1:18080 for the simulator)."""
    project_id: ProjectId
    """The project (32 hex characters) that owns the DR pairs; every API path contains it."""
    access_key: SecretStr | None = None
    """AK of an IAM user for SDK-HMAC-SHA256 signing; give AK/SK or a token."""
    secret_key: SecretStr | None = None
    """SK paired with access_key; never logged, exported or printed."""
    security_token: SecretStr | None = None
    """Security token of temporary AK/SK credentials (sent as X-Security-Token); null for permanent keys."""
    token: SecretStr | None = None
    """IAM token (X-Auth-Token) instead of AK/SK; tokens expire after 24 h, so AK/SK suits a daemon better."""
    verify_tls: bool = True
    """Verify the API's TLS certificate; turn off only against a local simulator."""
    ca_bundle: Path | None = None
    """PEM file of CA certificates to trust instead of the system store (e.g. behind a TLS proxy)."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Seconds for one API request. 10 s: far above the API's normal latency, and well below a round."""

    @model_validator(mode="after")
    def _one_auth_mode(self) -> Self:
        has_aksk = self.access_key is not None or self.secret_key is not None
        if self.endpoint is None and self.region is None:
            raise _field_error("cloud.region", "give a region or an endpoint")
        if has_aksk and self.token is not None:
            raise _field_error("cloud.token", "give either access_key/secret_key or a token, not both")
        if not has_aksk and self.token is None:
            raise _field_error("cloud.access_key", "give access_key and secret_key, or a token")
        if has_aksk and (self.access_key is None or self.secret_key is None):
            missing = "cloud.secret_key" if self.secret_key is None else "cloud.access_key"
            raise _field_error(missing, "access_key and secret_key go together")
        if self.security_token is not None and not has_aksk:
            raise _field_error("cloud.security_token", "a security token needs access_key/secret_key")
        return self


class QuorumSettings(BaseModel):
    """Tighten the signal matrix (docs/decisions.md): each setting asks for more evidence before a round
    is DOWN; none can loosen the floor."""

    model_config = _STRICT

    require_data_plane: bool = False
    """A DOWN round also needs a data-plane probe of production that ran this round (the pair must
    configure `data_plane`)."""
    require_dr_task: bool = False
    """A DOWN round also needs the DR task abnormal on production's side."""


class QuorumOverrides(BaseModel):
    """Per-pair quorum settings; anything left out comes from `policy.quorum`."""

    model_config = _STRICT

    require_data_plane: bool | None = None
    """A DOWN round of this pair also needs its data-plane probe of production."""
    require_dr_task: bool | None = None
    """A DOWN round of this pair also needs the DR task abnormal on production's side."""


class PolicyOverrides(BaseModel):
    """Per-pair overrides of the policy block; anything left out comes from the global policy."""

    model_config = _STRICT

    mode: Mode | None = None
    """observe | recommend | auto for this pair only (e.g. auto on one pair while trusting the rest)."""
    failure_threshold: int | None = Field(default=None, ge=1)
    """Consecutive rounds that must see production down before the outage is confirmed."""
    min_outage_seconds: float | None = Field(default=None, ge=0)
    """Seconds since production was first seen down before the outage is confirmed."""
    max_data_loss_seconds: float | None = Field(default=None, gt=0)
    """The RPO guard for this pair, in seconds of expected data loss."""
    cooldown_seconds: float | None = Field(default=None, ge=0)
    """Seconds after a failover during which no second automatic failover may happen on this pair."""
    max_down_gap_seconds: float | None = Field(default=None, gt=0)
    """Longest time between two DOWN rounds that still counts as one outage, for this pair."""
    quorum: QuorumOverrides = Field(default_factory=QuorumOverrides)
    """The quorum settings for this pair only."""


class PolicySettings(BaseModel):
    """When an outage is confirmed and when a failover may happen; see the README's decision section."""

    model_config = _STRICT

    mode: Mode = Mode.RECOMMEND
    """observe records; recommend also raises "failover warranted"; auto calls the failover API.
    recommend by default: a failover cannot be undone, so automation is something to opt in to."""
    probe_interval_seconds: float = Field(default=15.0, gt=0)
    """Seconds between probe rounds. 15 s: a fraction of the confirmation window, two cheap list
    calls per project per round, far below the API's rate limits."""
    failure_threshold: int = Field(default=4, ge=1)
    """Consecutive rounds that must see production down. 4 rounds (a minute at 15 s) ride out one
    odd reading, and flapping never reaches it."""
    min_outage_seconds: float = Field(default=60.0, ge=0)
    """... and seconds since production was first seen down. 60 s: a restart or a short control-plane
    hiccup heals faster than that; a failover costs far more than a minute."""
    max_data_loss_seconds: float = Field(default=3600.0, gt=0)
    """The RPO guard: block when (first seen down - last successful sync) exceeds this. One hour:
    the DR sync period is typically minutes, so a bigger gap means the copy is stale."""
    cooldown_seconds: float = Field(default=86400.0, ge=0)
    """No second automatic failover on a pair within this many seconds (and never before `ack`).
    One day: two failovers in a day mean something a human must look at."""
    max_down_gap_seconds: float = Field(default=300.0, gt=0)
    """Longest time between two DOWN rounds that still counts as one outage. A DOWN round after a
    longer gap (rounds that could not see production, or no rounds) starts the confirmation again:
    production may have come back and failed anew unseen. 300 s: rides out a few minutes of API
    errors; must be longer than probe_interval_seconds."""
    max_observation_age_seconds: float | None = Field(default=None, gt=0)
    """A decision acts only on an observation younger than this at decision time; an older one (the
    process frozen or starved between probe and decision) counts as unknown (`observation_stale`).
    Unset: probe_interval_seconds + cloud.timeout_seconds (a round's probe plus one request's
    timeout); must be longer than probe_interval_seconds."""
    quorum: QuorumSettings = Field(default_factory=QuorumSettings)
    """Tightening of the signal matrix (docs/decisions.md); off by default: the floor."""


class PairSettings(PairEndpoints):
    """One DR pair the watchdog guards (its endpoints: `watchdog.endpoints.PairEndpoints`)."""

    model_config = _STRICT

    name: PairName
    """Unique name; the `pair` label of every metric and the handle of every CLI command."""
    disaster_recovery_id: DrId
    """ID of the DWS disaster-recovery task (a UUID, shown in the console's DR list)."""
    policy: PolicyOverrides = Field(default_factory=PolicyOverrides)
    """Overrides of the global policy for this pair only."""
    data_plane: DataPlaneSettings | None = None
    """Production's and the DR cluster's SQL endpoints as evidence (null: the control plane only)."""


class FailoverSettings(BaseModel):
    """How a submitted failover is followed to its outcome."""

    model_config = _STRICT

    poll_interval_seconds: float = Field(default=10.0, gt=0)
    """Seconds between reads of the DR task while a failover runs (Huawei's own tooling polls every 10 s)."""
    track_timeout_seconds: float = Field(default=1800.0, gt=0)
    """Give up tracking after this many seconds: the intent becomes `unknown` and a human must look.
    30 minutes: a DWS failover normally takes minutes."""
    settle_seconds: float = Field(default=60.0, gt=0)
    """A submitted failover whose DR task does not show the switch this long after submission is
    logged (WARNING) and followed on to track_timeout_seconds. Never a failure by itself: a failover
    fails only when the task was seen switching and then left it with the roles not swapped."""
    unknown_grace_seconds: float = Field(default=120.0, gt=0)
    """After an ambiguous POST (sent, no clear answer): how long to look for the switch before `unknown`."""
    stale_unsent_seconds: float = Field(default=600.0, gt=0)
    """A failover intent journaled but not sent this long ago is taken as abandoned by its maker
    (a `dr-watchdog failover` that died in its veto hook) and closed, so the next rounds decide
    again. Must exceed hooks.pre_failover.timeout_seconds plus the checks around the hook."""


class StateSettings(BaseModel):
    """Where the journal lives."""

    model_config = _STRICT

    path: Path = Path("./state/watchdog.db")
    """SQLite file: pair state, the audit trail and failover intents. Must survive restarts: it is
    what makes a failover happen exactly once."""
    retention_days: float = Field(default=90.0, gt=0)
    """Days of decision and observation history kept for audit and replay. 90 days: one quarter of
    history to backtest a policy change against."""


class HttpSettings(BaseModel):
    """The HTTP listener for /metrics, /healthz, /readyz and /status."""

    model_config = _STRICT

    listen: Listen = "127.0.0.1:9464"
    """HOST:PORT. Loopback by default: expose it on purpose (0.0.0.0:9464 in a container)."""


class LogSettings(BaseModel):
    """How the daemon writes its log."""

    model_config = _STRICT

    format: str = Field(default="json", pattern="^(json|text)$")
    """json (one object per line, for collectors) or text (for people); `--log-format` overrides it."""
    level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR|debug|info|warning|error)$")
    """Least severity written. INFO: one line per decision and per action."""


class Settings(BaseSettings):
    """The whole configuration. Built once by the CLI and handed down; nothing else reads the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
        allow_inf_nan=False,
        case_sensitive=False,
    )

    cloud: CloudSettings
    """The DWS API: region or endpoint, project, credentials (the endpoint called "default")."""
    endpoints: dict[EndpointName, EndpointSettings] = Field(default_factory=dict)
    """More DWS API endpoints by name (other regions, other projects); pairs name them in
    `production` and `dr`. Empty: every pair is behind the `cloud` block's endpoint."""
    pairs: list[PairSettings] = Field(min_length=1)
    """The DR pairs to guard (one or more)."""
    policy: PolicySettings = Field(default_factory=PolicySettings)
    """The decision policy, shared by every pair unless a pair overrides it."""
    failover: FailoverSettings = Field(default_factory=FailoverSettings)
    """Following a failover to its outcome."""
    state: StateSettings = Field(default_factory=StateSettings)
    """The journal."""
    http: HttpSettings = Field(default_factory=HttpSettings)
    """The HTTP listener."""
    log: LogSettings = Field(default_factory=LogSettings)
    """Logging."""
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    """Decisions pushed to Alertmanager and/or a signed webhook (off unless a channel is set)."""
    hooks: HookSettings = Field(default_factory=HookSettings)
    """Commands run before (veto) and after a failover, e.g. to repoint DNS or clients."""
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    """Evidence besides the control plane: probe deadlines and canary references."""
    ha: HaSettings = Field(default_factory=HaSettings)
    """High availability (who may act) and the global brake on automatic failovers."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        ctx = context()
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        if ctx.environ:
            sources.append(ContextEnvSource(settings_cls))
        if ctx.secrets_dirs:
            sources.append(SecretFilesSource(settings_cls))
        if ctx.yaml_file is not None:
            sources.append(YamlSource(settings_cls, yaml_file=ctx.yaml_file))
        return tuple(sources)

    @field_validator("pairs")
    @classmethod
    def _unique_pairs(cls, pairs: list[PairSettings]) -> list[PairSettings]:
        for attr in ("name", "disaster_recovery_id"):
            seen: set[str] = set()
            for i, pair in enumerate(pairs):
                value = getattr(pair, attr)
                if value in seen:
                    raise _field_error(f"pairs[{i}].{attr}", f"duplicate {attr} {value!r}")
                seen.add(value)
        return pairs

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> Self:
        interval = self.policy.probe_interval_seconds
        if self.cloud.timeout_seconds >= interval:
            reason = f"must be shorter than policy.probe_interval_seconds ({interval:g} s)"
            raise _field_error("cloud.timeout_seconds", reason)
        return self

    @model_validator(mode="after")
    def _gaps_above_interval(self) -> Self:
        interval = self.policy.probe_interval_seconds
        gaps = [("policy", self.policy.max_down_gap_seconds)] + [
            (f"pairs[{i}].policy", p.policy.max_down_gap_seconds) for i, p in enumerate(self.pairs)
        ]
        for where, gap in gaps:
            if gap is not None and gap <= interval:  # else every DOWN round would restart the outage
                reason = f"must be longer than policy.probe_interval_seconds ({interval:g} s)"
                raise _field_error(f"{where}.max_down_gap_seconds", reason)
        return self

    @model_validator(mode="after")
    def _hook_within_unsent_bound(self) -> Self:
        hook = self.hooks.pre_failover
        if hook is None:
            return self
        bound, needed = self.failover.stale_unsent_seconds, hook.timeout_seconds + self.pre_post_margin()
        if needed >= bound:  # else a live maker's unsent intent could be closed as abandoned
            reason = (
                f"with the checks around the hook ({self.pre_post_margin():g} s) it must end before "
                f"failover.stale_unsent_seconds ({bound:g} s); raise that or shorten the hook"
            )
            raise _field_error("hooks.pre_failover.timeout_seconds", reason)
        return self

    def pre_post_margin(self) -> float:
        """Seconds an executor may spend between the intent and the POST besides the veto hook: the
        hook's reaping, two journal waits and the two API reads of the pre-POST re-check."""
        read = max(self.cloud.timeout_seconds, self.policy.probe_interval_seconds * 0.8)
        return REAP_SECONDS + 2 * 10.0 + 2 * read

    @model_validator(mode="after")
    def _endpoints(self) -> Self:
        endpoint_settings.check_pair_endpoints(self.endpoints, self.pairs)
        return self

    @model_validator(mode="after")
    def _evidence(self) -> Self:
        planes = [p.data_plane for p in self.pairs]
        evidence_settings.check_evidence(self.evidence, planes, self.policy.probe_interval_seconds)
        return self

    @model_validator(mode="after")
    def _quorum_has_data_plane(self) -> Self:
        for i, pair in enumerate(self.pairs):
            if self.policy_for(pair.name).require_data_plane and pair.data_plane is None:
                own = pair.policy.quorum.require_data_plane is not None
                field = (
                    f"pairs[{i}].policy.quorum.require_data_plane"
                    if own
                    else "policy.quorum.require_data_plane"
                )
                reason = f"pair {pair.name!r} has no data_plane: its production SQL endpoint cannot be probed"
                raise _field_error(field, reason)
        return self

    @model_validator(mode="after")
    def _age_above_interval(self) -> Self:
        interval, age = self.policy.probe_interval_seconds, self.policy.max_observation_age_seconds
        if age is not None and age <= interval:  # else a slow probe would discard its own round
            reason = f"must be longer than policy.probe_interval_seconds ({interval:g} s)"
            raise _field_error("policy.max_observation_age_seconds", reason)
        return self

    def pair(self, name: str) -> PairSettings:
        """The pair called `name`; KeyError naming the known pairs otherwise."""
        found = self._by_name.get(name)
        if found is not None:
            return found
        raise KeyError(f"no pair named {name!r}; configured: {', '.join(p.name for p in self.pairs)}")

    @functools.cached_property
    def _by_name(self) -> dict[str, PairSettings]:
        """The pairs by name (names are unique), so a look-up is no scan: start-up merges every
        pair's policy, which at 5,000 pairs was 12.5 million comparisons."""
        return {p.name: p for p in self.pairs}

    def policy_for(self, name: str) -> Policy:
        """The pure policy's view for one pair: the global policy merged with that pair's overrides."""
        merged = self.policy.model_dump()
        own = self.pair(name).policy.model_dump(exclude_none=True)
        quorum = merged.pop("quorum") | own.pop("quorum", {})
        merged |= own | quorum
        if merged["max_observation_age_seconds"] is None:
            merged["max_observation_age_seconds"] = (
                self.policy.probe_interval_seconds + self.cloud.timeout_seconds
            )
        return Policy(**merged)

    def secret_values(self) -> list[str]:
        """Every configured secret in clear, for the log redactor; nothing else may call this."""
        cloud = self.cloud
        webhook = self.notifications.webhook.secret if self.notifications.webhook else None
        secrets = [cloud.access_key, cloud.secret_key, cloud.security_token, cloud.token, webhook]
        for ep in self.endpoints.values():
            secrets += [ep.access_key, ep.secret_key, ep.security_token, ep.token]
        values = [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]
        return values + evidence_settings.secret_values([p.data_plane for p in self.pairs])

    def masked(self) -> dict[str, Any]:
        """The resolved configuration as plain data with every secret replaced by asterisks, except a
        short prefix of the access key ID (`HPUA…`, to tell which key is in use; it is not the secret,
        and an ID shorter than 12 characters stays masked whole). Never the SK or a token."""
        data = self.model_dump(mode="json")
        key = self.cloud.access_key.get_secret_value() if self.cloud.access_key else ""
        if len(key) >= AK_SHOWN_FROM:
            data["cloud"]["access_key"] = key[:AK_PREFIX] + "…"
        for name, ep in self.endpoints.items():
            own = ep.access_key.get_secret_value() if ep.access_key else ""
            if len(own) >= AK_SHOWN_FROM:
                data["endpoints"][name]["access_key"] = own[:AK_PREFIX] + "…"
        data["resolved_endpoints"] = self.resolved_endpoints()
        return data

    def endpoint_map(self) -> dict[str, endpoint_settings.Resolved]:
        """Every endpoint by name, "default" (the cloud block) first."""
        return endpoint_settings.resolve(self.cloud, self.endpoints)

    def sides(self, name: str) -> endpoint_settings.PairSides:
        """Which endpoint each side of the pair `name` lives behind, and which side acts."""
        return endpoint_settings.pair_sides(self.pair(name))

    def resolved_endpoints(self) -> dict[str, Any]:
        """check-config's view: each endpoint with its URL, project and pairs; each pair's sides."""
        sides = {p.name: self.sides(p.name) for p in self.pairs}
        return endpoint_settings.describe(self.endpoint_map(), sides)


AK_PREFIX, AK_SHOWN_FROM = 4, 12  # check-config shows the access key ID's first 4 characters


def load_settings(
    config: str | os.PathLike[str] | None,
    *,
    environ: Mapping[str, str] | None = None,
    secrets_dirs: Sequence[str | os.PathLike[str]] | None = None,
) -> Settings:
    """Read the YAML file, environment and secret files into Settings; ConfigError with one line otherwise."""
    env = dict(os.environ if environ is None else environ)
    dirs = default_secrets_dirs(env) if secrets_dirs is None else tuple(Path(d) for d in secrets_dirs)
    yaml_file = Path(config) if config is not None else None
    if yaml_file is not None:
        check_yaml(yaml_file)
    env_subset = {k: v for k, v in env.items() if k.upper().startswith(ENV_PREFIX)}
    check_env_names(env_subset, list(Settings.model_fields))
    with loading(LoadContext(yaml_file, env_subset, dirs)):
        try:
            return Settings()  # type: ignore[call-arg]  # values come from the sources
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc)) from None


def settings_schema() -> dict[str, Any]:
    """The JSON Schema of the configuration file (`dr-watchdog config-schema`, config/schema.json)."""
    schema = Settings.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dr-watchdog configuration"
    return schema
