"""Named cloud endpoints (issue 12): each a region, an API URL, a project and credentials.

A pair names the endpoint of its production side (`production`) and of its DR side (`dr`); a
cross-region pair names two. The `cloud` block is the endpoint called `default`: a file with only
`cloud:` (every file written before endpoints existed) is the one-endpoint case, unchanged.
Named endpoints (`endpoints: {east: {...}}`) take the region, URL and project of their own, and the
credentials of their own or, when they give none, the `cloud` block's; the transport settings
(`verify_tls`, `ca_bundle`, `timeout_seconds`) are `cloud`'s for every endpoint.

`act_via` says which side's endpoint takes a pair's failover POST and the reads that follow it.
Which endpoint accepts the failover of a cross-region pair is not documented (dws-api.md shows
only that the task is visible from both projects): it is a setting, `dr` by default for a pair
whose sides live behind different endpoints (the side that survives a region outage), and the
executor follows the switch through the same side.

`check_placement` compares what a DR task reports (each side's region and project) with the
endpoints its pair names, at start-up: a mismatch is one config error line naming the pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from pydantic_core import PydanticCustomError

__all__ = [
    "DEFAULT_ENDPOINT",
    "EndpointSettings",
    "PairEndpoints",
    "PairSides",
    "Resolved",
    "check_pair_endpoints",
    "check_placement",
    "pair_sides",
    "resolve",
]

DEFAULT_ENDPOINT = "default"  # the `cloud` block
_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)
ActVia = Literal["dr", "production"]


def _name(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,40}", value):
        raise ValueError("must be 1-41 lower-case letters, digits or '-', starting with a letter")
    return value


def hex32(value: str) -> str:
    """A project id: 32 hexadecimal characters, lower-cased."""
    if not re.fullmatch(r"[0-9a-fA-F]{32}", value):
        raise ValueError("must be 32 hexadecimal characters (the project ID from 'My Credentials')")
    return value.lower()


def api_url(value: str | None) -> str | None:
    """An API endpoint URL: http(s), a host, no path; the trailing slash dropped."""
    if value is None:
        return None
    if not re.fullmatch(r"https?://[^/\s?#]+/?", value):
        raise ValueError("must be an http(s) URL with no path, e.g. https://dws.cn-north-4.myhuaweicloud.com")
    return value.rstrip("/")


def field_error(path: str, reason: str) -> PydanticCustomError:
    """A cross-field error naming one field path in the one-line message."""
    return PydanticCustomError("field", "{reason}", {"path": path, "reason": reason})


EndpointName = Annotated[str, AfterValidator(_name)]


class EndpointSettings(BaseModel):
    """One named DWS API endpoint: a region's API for one project."""

    model_config = _STRICT

    region: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)+$")
    """Huawei Cloud region, e.g. cn-east-3; checked against the regions the DR tasks report."""
    endpoint: Annotated[str | None, AfterValidator(api_url)] = None
    """API URL; null: https://dws.{region}.myhuaweicloud.com (e.g. a simulator's regional listener)."""
    project_id: Annotated[str, AfterValidator(hex32)]
    """The project (32 hex characters) in that region; every API path through this endpoint has it."""
    access_key: SecretStr | None = None
    """AK for this endpoint; null with secret_key and token null too: the `cloud` block's credentials."""
    secret_key: SecretStr | None = None
    """SK paired with access_key; never logged, exported or printed."""
    security_token: SecretStr | None = None
    """Security token of temporary AK/SK credentials; null for permanent keys."""
    token: SecretStr | None = None
    """IAM token (X-Auth-Token) instead of AK/SK for this endpoint."""

    def own_credentials(self) -> bool:
        return any(v is not None for v in (self.access_key, self.secret_key, self.token))

    def check_auth(self, where: str) -> None:
        """Own credentials must be complete (the same rule as the `cloud` block's)."""
        has_aksk = self.access_key is not None or self.secret_key is not None
        if has_aksk and self.token is not None:
            raise field_error(f"{where}.token", "give either access_key/secret_key or a token, not both")
        if has_aksk and (self.access_key is None or self.secret_key is None):
            missing = "secret_key" if self.secret_key is None else "access_key"
            raise field_error(f"{where}.{missing}", "access_key and secret_key go together")
        if self.security_token is not None and not has_aksk:
            raise field_error(f"{where}.security_token", "a security token needs access_key/secret_key")


class PairEndpoints(BaseModel):
    """The endpoint fields of a pair (mixed into `watchdog.settings.PairSettings`)."""

    model_config = _STRICT

    production: EndpointName = DEFAULT_ENDPOINT
    """Endpoint of the production side ("default": the `cloud` block)."""
    dr: EndpointName | None = None
    """Endpoint of the DR side; null: the production side's (a cross-AZ pair in one region)."""
    act_via: ActVia | None = None
    """Which side's endpoint takes the failover POST and the reads that follow it: dr or production.
    Null: dr when the sides live behind different endpoints (the side that survives a region
    outage), else production (then one endpoint anyway). Not documented by DWS: see the README."""


@dataclass(frozen=True)
class Resolved:
    """An endpoint as the clients use it."""

    name: str
    region: str | None
    url: str
    project_id: str
    shared_credentials: bool  # the `cloud` block's credentials


@dataclass(frozen=True)
class PairSides:
    """Which endpoint each side of a pair lives behind, and which one acts."""

    production: str
    dr: str
    act_via: ActVia

    @property
    def cross(self) -> bool:
        """The sides live behind different endpoints (a cross-region pair)."""
        return self.production != self.dr

    @property
    def acting(self) -> str:
        return self.dr if self.act_via == "dr" else self.production


class _Cloud(Protocol):
    region: str | None
    endpoint: str | None
    project_id: str


def resolve(cloud: _Cloud, endpoints: Mapping[str, EndpointSettings]) -> dict[str, Resolved]:
    """Every endpoint by name, `default` (the cloud block) first; URLs defaulted from the regions."""
    from watchdog.dws.client import endpoint_for_region

    out = {
        DEFAULT_ENDPOINT: Resolved(
            DEFAULT_ENDPOINT,
            cloud.region,
            cloud.endpoint or endpoint_for_region(cloud.region or ""),
            cloud.project_id,
            True,
        )
    }
    for name, ep in endpoints.items():
        url = ep.endpoint or endpoint_for_region(ep.region)
        out[name] = Resolved(name, ep.region, url, ep.project_id, not ep.own_credentials())
    return out


def pair_sides(pair: PairEndpoints) -> PairSides:
    dr = pair.dr or pair.production
    act_via: ActVia = pair.act_via or ("dr" if dr != pair.production else "production")
    return PairSides(pair.production, dr, act_via)


def check_pair_endpoints(endpoints: Mapping[str, EndpointSettings], pairs: Iterable[PairEndpoints]) -> None:
    """Every endpoint a pair names exists; every endpoint's own credentials are complete."""
    if DEFAULT_ENDPOINT in endpoints:
        raise field_error(f"endpoints.{DEFAULT_ENDPOINT}", "reserved: the `cloud` block is that endpoint")
    for name, ep in endpoints.items():
        ep.check_auth(f"endpoints.{name}")
    known = {DEFAULT_ENDPOINT, *endpoints}
    for i, pair in enumerate(pairs):
        for side in ("production", "dr"):
            value = getattr(pair, side)
            if value is not None and value not in known:
                names = ", ".join(sorted(known))
                raise field_error(f"pairs[{i}].{side}", f"no endpoint named {value!r} (known: {names})")


def describe(endpoints: Mapping[str, Resolved], sides: Mapping[str, PairSides]) -> dict[str, object]:
    """The resolved endpoints and each pair's sides as plain data (check-config; no secret)."""
    doc: dict[str, object] = {}
    for name, ep in endpoints.items():
        doc[name] = {
            "region": ep.region,
            "url": ep.url,
            "project_id": ep.project_id,
            "credentials": "cloud (shared)" if ep.shared_credentials else "own",
            "production_of": [p for p, s in sides.items() if s.production == name],
            "dr_of": [p for p, s in sides.items() if s.dr == name],
        }
    doc["pairs"] = {
        p: {"production": s.production, "dr": s.dr, "act_via": s.act_via, "acts_through": s.acting}
        for p, s in sides.items()
    }
    return doc


@dataclass(frozen=True)
class Placement:
    """Where a DR task says its two clusters live: (region, project) of each side, as listed."""

    primary: tuple[str | None, str | None]
    standby: tuple[str | None, str | None]


def check_placement(
    pair: str, index: int, sides: PairSides, placement: Placement, endpoints: Mapping[str, Resolved]
) -> str | None:
    """The config error line when the DR task's regions and projects do not match the pair's
    endpoints (either orientation: after a failover the roles are swapped); None when they match
    or the task reports nothing to compare."""
    configured = [endpoints[sides.production], endpoints[sides.dr]]
    reported = [placement.primary, placement.standby]
    if all(region is None and project is None for region, project in reported):
        return None

    def fits(side: tuple[str | None, str | None], ep: Resolved) -> bool:
        region, project = side
        region_ok = region is None or ep.region is None or region == ep.region
        return region_ok and (project is None or project == ep.project_id)

    a, b = configured
    if (fits(reported[0], a) and fits(reported[1], b)) or (fits(reported[0], b) and fits(reported[1], a)):
        return None
    said = " and ".join(f"{r or '?'}/{p or '?'}" for r, p in reported)
    wanted = " and ".join(f"{ep.name} ({ep.region or '?'}/{ep.project_id})" for ep in configured)
    return (
        f"config error: pairs[{index}] ({pair}): the DR task puts its clusters in {said} "
        f"(region/project), but the pair's endpoints are {wanted}"
    )
