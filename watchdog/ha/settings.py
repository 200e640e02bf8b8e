"""Configuration of high availability and the global brake: the `ha` block.

`backend` chooses who may act: `none` (one instance; the journal lock refuses a second daemon on the
same journal), `etcd` or `kubernetes` (instances elect one leader). The global brake
(`max_automatic_failovers` within `brake_window_seconds`) limits automatic failovers across all
pairs, whatever the backend; past it, failovers are blocked with `global_brake` until
`dr-watchdog brake reset`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["HaBackend", "HaSettings", "KubernetesSettings"]

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)


class HaBackend(StrEnum):
    """Where the leadership lives."""

    NONE = "none"
    ETCD = "etcd"
    KUBERNETES = "kubernetes"


class LeaseSettings(BaseModel):
    """The leader lease, with client-go's leader-election timings by default."""

    model_config = _STRICT

    lease_seconds: float = Field(default=15.0, ge=1)
    """Seconds: the lease's TTL in the store; a dead leader is replaced at most this long after its
    last renewal (client-go's LeaseDuration)."""
    renew_deadline_seconds: float = Field(default=10.0, gt=0)
    """Seconds: a leader that could not renew for this long stops acting (client-go's RenewDeadline);
    below `lease_seconds`, so it stops while its lease still stands."""
    retry_period_seconds: float = Field(default=2.0, gt=0)
    """Seconds between election steps: campaigns and renewals (client-go's RetryPeriod)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.retry_period_seconds < self.renew_deadline_seconds < self.lease_seconds:
            got = (self.retry_period_seconds, self.renew_deadline_seconds, self.lease_seconds)
            raise ValueError(
                "needs retry_period_seconds < renew_deadline_seconds < lease_seconds "
                f"(got {got[0]:g}, {got[1]:g}, {got[2]:g})"
            )
        return self


class EtcdSettings(BaseModel):
    """The etcd cluster that holds the leadership (`ha.backend: etcd`)."""

    model_config = _STRICT

    endpoint: str = Field(default="http://127.0.0.1:2379", pattern=r"^https?://[^\s/]+/?$")
    """etcd's client URL (its v3 JSON gateway), e.g. http://10.0.0.5:2379."""
    prefix: str = Field(default="/dr-watchdog/", min_length=1)
    """Key prefix of this watchdog group: instances with the same prefix elect one leader."""
    timeout_seconds: float = Field(default=1.0, gt=0)
    """Seconds: each request to etcd (below `ha.lease.retry_period_seconds`, so a slow etcd is seen
    as unreachable within a step)."""


_SA = "/var/run/secrets/kubernetes.io/serviceaccount/"


class KubernetesSettings(BaseModel):
    """The Kubernetes API that holds the leadership (a coordination.k8s.io/v1 Lease) and the shared
    state (a ConfigMap), both in one namespace (`ha.backend: kubernetes`)."""

    model_config = _STRICT

    api_url: str = Field(default="", pattern=r"^(https?://[^\s/]+/?)?$")
    """The API server's URL, e.g. https://10.96.0.1:443; empty: in the cluster, from the pod's
    KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT environment."""
    namespace: str = Field(default="", pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", max_length=63)
    """Namespace of the Lease and the ConfigMap; empty: the pod's own, read from the service
    account's `namespace` file."""
    lease_name: str = Field(default="dr-watchdog", pattern=r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")
    """Name of the Lease: instances with the same namespace and Lease elect one leader."""
    state_name: str = Field(default="dr-watchdog-state", pattern=r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")
    """Name of the ConfigMap holding the shared operator state (its data key `state`)."""
    token_path: str = Field(default=_SA + "token", min_length=1)
    """File of the bearer token (the projected service-account token); re-read on every request,
    since the kubelet rotates it."""
    ca_path: str = Field(default=_SA + "ca.crt", min_length=1)
    """File of the CA bundle the API server's certificate is checked against (https only)."""
    timeout_seconds: float = Field(default=1.0, gt=0)
    """Seconds: each request to the API server (below `ha.lease.retry_period_seconds`, so a slow
    API server is seen as unreachable within a step)."""


class HaSettings(BaseModel):
    """High availability of the watchdog and the fleet-wide brake on automatic failovers."""

    model_config = _STRICT

    backend: HaBackend = HaBackend.NONE
    """`none`: one instance (a second daemon on the same journal is refused, exit 2); `etcd` or
    `kubernetes`: any number of instances, each with its own journal, elect one leader that alone
    acts (on an etcd cluster, or on a Lease of the Kubernetes API)."""
    identity: str | None = None
    """This instance's name in the leader key (default: host name/PID)."""
    lease: LeaseSettings = Field(default_factory=LeaseSettings)
    """The leader lease's timings."""
    etcd: EtcdSettings = Field(default_factory=EtcdSettings)
    """The etcd endpoint and key prefix (used when `backend` is `etcd`)."""
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    """The API server, namespace and object names (used when `backend` is `kubernetes`)."""

    @model_validator(mode="after")
    def _timeout_below_retry(self) -> Self:
        timeouts = {
            HaBackend.ETCD: self.etcd.timeout_seconds,
            HaBackend.KUBERNETES: self.kubernetes.timeout_seconds,
        }
        timeout, retry = timeouts.get(self.backend), self.lease.retry_period_seconds
        if timeout is not None and timeout >= retry:
            raise ValueError(
                f"ha.{self.backend.value}.timeout_seconds: must be shorter than "
                f"ha.lease.retry_period_seconds ({retry:g} s)"
            )
        return self

    max_automatic_failovers: int = Field(default=3, ge=1)
    """At most this many automatic failovers across all pairs within `brake_window_seconds`; the next
    one is blocked (`global_brake`) until `dr-watchdog brake reset`. Default 3: more pairs than that
    failing together in an hour is more likely a shared cause (the watchdog's own view, a regional
    event) that a human should confirm than independent outages."""
    brake_window_seconds: float = Field(default=3600.0, gt=0)
    """Seconds: the window of the global brake (default 3600: one hour)."""
