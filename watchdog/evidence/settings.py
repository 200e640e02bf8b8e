"""Configuration of the independent evidence: the global `evidence` block and each pair's `data_plane`.

`evidence.deadline_seconds` bounds every data-plane, heartbeat and canary probe (each its own
deadline, shorter than a round); `evidence.canaries` are addresses the watchdog must reach to trust
that it can see the network at all. `pairs[i].data_plane` makes production's and the DR cluster's
SQL endpoints evidence: `reachable` needs no credentials, `query` and a heartbeat read the password
from `password_file` at start-up (never logged, never in a dump). The checks that need the whole
configuration (the deadline against the probe interval, the password file) run in `check_evidence`,
called by `watchdog.settings.Settings`, so each error names its full field path.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, SecretStr
from pydantic_core import PydanticCustomError

__all__ = [
    "DataPlaneLevel",
    "DataPlaneSettings",
    "EvidenceSettings",
    "check_evidence",
    "secret_values",
    "split_host_port",
]

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)
_IDENT = r"[A-Za-z_][A-Za-z0-9_]{0,62}"


def split_host_port(value: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) as (host, port); ValueError with a one-line reason otherwise."""
    host, sep, port = value.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT with a port from 1 to 65535, e.g. 192.168.0.10:8000")
    return host, int(port)


def _host_port(value: str) -> str:
    split_host_port(value)
    return value.strip()


HostPort = Annotated[str, AfterValidator(_host_port)]


class DataPlaneLevel(StrEnum):
    """How deep the SQL probe goes: a coordinator answering the startup message, or `SELECT 1`."""

    REACHABLE = "reachable"
    QUERY = "query"


class EvidenceSettings(BaseModel):
    """Evidence besides the control plane: probe deadlines and the canary references."""

    model_config = _STRICT

    deadline_seconds: float = Field(default=3.0, gt=0)
    """Seconds each data-plane, heartbeat and canary probe may take; no answer by then counts as
    no answer. 3 s: a coordinator on the same network answers in milliseconds, and the round must
    not wait on a hung endpoint. Must be shorter than policy.probe_interval_seconds."""
    canaries: list[HostPort] = Field(default_factory=list)
    """HOST:PORT addresses (TCP) the watchdog should always reach, e.g. a DNS server or a bastion in
    the same VPC: a reference that proves the watchdog itself is not cut off. Empty: none."""


class DataPlaneSettings(BaseModel):
    """A pair's SQL endpoints as evidence (PostgreSQL wire protocol, which DWS speaks)."""

    model_config = _STRICT

    level: DataPlaneLevel = DataPlaneLevel.REACHABLE
    """reachable: TCP connect and the startup message (a coordinator accepts connections; no
    credentials); query: also log in and run SELECT 1 (needs password_file)."""
    addresses: dict[str, HostPort] = Field(default_factory=dict)
    """HOST:PORT per cluster ID, overriding the API's endpoints[0].connect_info (or private_ip and
    port). Keyed by cluster ID, so the address follows the roles after a switch."""
    database: str = Field(default="postgres", min_length=1, max_length=63)
    """Database named in the startup message and the query login."""
    user: str = Field(default="dr_watchdog", min_length=1, max_length=63)
    """Role named in the startup message and the query login (a role with no rights beyond CONNECT,
    and INSERT/UPDATE on the heartbeat table)."""
    password_file: Path | None = None
    """File holding the password of `user` (trailing newline stripped), read once at start-up;
    needed by level query and by the heartbeat. Never logged or exported."""
    heartbeat_table: Annotated[str, Field(pattern=rf"^{_IDENT}\.{_IDENT}$")] | None = None
    """SCHEMA.TABLE written on production each round and read on the DR cluster (see
    docs/evidence.md for its DDL); null: no heartbeat."""

    _password: SecretStr | None = PrivateAttr(default=None)

    @property
    def password(self) -> SecretStr | None:
        """The password read from password_file at start-up (None without one)."""
        return self._password

    def needs_password(self) -> str | None:
        """Why this data plane needs a password (None: it does not)."""
        if self.level is DataPlaneLevel.QUERY:
            return "level query"
        if self.heartbeat_table is not None:
            return "a heartbeat_table"
        return None


def _field_error(path: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError("field", "{reason}", {"path": path, "reason": reason})


def _read_password(path: Path, where: str) -> SecretStr:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _field_error(where, f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise _field_error(where, f"{path} is not UTF-8 text") from None
    password = text.rstrip("\r\n")
    if not password:
        raise _field_error(where, f"{path} is empty")
    return SecretStr(password)


def check_evidence(
    evidence: EvidenceSettings, data_planes: list[DataPlaneSettings | None], interval: float
) -> None:
    """The checks across sections, each error naming its field; reads every password file once."""
    used = bool(evidence.canaries) or any(dp is not None for dp in data_planes)
    if used and evidence.deadline_seconds >= interval:  # unused, it bounds nothing
        reason = f"must be shorter than policy.probe_interval_seconds ({interval:g} s)"
        raise _field_error("evidence.deadline_seconds", reason)
    for i, dp in enumerate(data_planes):
        if dp is None:
            continue
        where = f"pairs[{i}].data_plane.password_file"
        why = dp.needs_password()
        if dp.password_file is None:
            if why is not None:
                raise _field_error(where, f"{why} needs a password_file")
            continue
        dp._password = _read_password(dp.password_file, where)


def secret_values(data_planes: list[DataPlaneSettings | None]) -> list[str]:
    """The data-plane passwords in clear, for the log redactor."""
    found = [dp.password for dp in data_planes if dp is not None and dp.password is not None]
    return [password.get_secret_value() for password in found]
