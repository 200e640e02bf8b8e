"""The gateway checks: SDK-HMAC-SHA256 verification, clock skew, temporary credentials and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchdog.dws.signing import Credentials, sign_request
from watchdog.simulator import Rejected
from watchdog.simulator.auth import Lockout, authenticate

P = "0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
PERM = Credentials("AKPERM", "sk-perm")
TEMP = Credentials("AKTEMP", "sk-temp", "tok-1")
REGISTRY = {"AKPERM": (PERM, P), "AKTEMP": (TEMP, P)}
TOKENS = {"iam-token": P}
PATH = f"/v2/{P}/disaster-recoveries"
QUERY = [("id", "x y/z")]


def _check(creds: Credentials, *, signed_at: datetime = NOW, tamper: dict[str, str] | None = None) -> str:
    headers = sign_request(
        creds,
        "GET",
        "127.0.0.1:1",
        PATH,
        QUERY,
        {"Content-Type": "application/json"},
        project_id=P,
        now=signed_at,
    )
    headers.update(tamper or {})
    return authenticate(
        REGISTRY, TOKENS, method="GET", path=PATH, query=QUERY, headers=headers, body=None, wall_now=NOW
    )


def _code(**kwargs: object) -> str:
    with pytest.raises(Rejected) as info:
        _check(**kwargs)  # type: ignore[arg-type]
    assert info.value.status == 401
    assert info.value.error_msg.startswith("Incorrect IAM authentication information: ")
    return info.value.error_code


def test_good_signature_authenticates_for_its_project() -> None:
    """A correctly signed request (with a query) is accepted for the credential's project."""
    assert _check(PERM) == P


def test_wrong_secret_unknown_ak_and_tampering_are_apigw_0301() -> None:
    """A wrong SK, an unknown AK or a signed header changed after signing all give APIGW.0301."""
    assert _code(creds=Credentials("AKPERM", "wrong")) == "APIGW.0301"
    assert _code(creds=Credentials("AKNOBODY", "x")) == "APIGW.0301"
    assert _code(creds=PERM, tamper={"X-Project-Id": "f" * 32}) == "APIGW.0301"


@pytest.mark.parametrize(("minutes", "ok"), [(14, True), (-14, True), (16, False), (-16, False)])
def test_clock_skew_over_15_minutes_is_apigw_0303(minutes: int, ok: bool) -> None:
    """X-Sdk-Date more than 15 minutes from the gateway's clock (either way) is APIGW.0303."""
    signed_at = NOW + timedelta(minutes=minutes)
    if ok:
        assert _check(PERM, signed_at=signed_at) == P
    else:
        assert _code(creds=PERM, signed_at=signed_at) == "APIGW.0303"


def test_temporary_credentials_need_their_token() -> None:
    """Temporary AK/SK pass with their security token and fail without it or with another one."""
    assert _check(TEMP) == P
    assert _code(creds=Credentials("AKTEMP", "sk-temp")) == "APIGW.0301"
    assert _code(creds=Credentials("AKTEMP", "sk-temp", "tok-2")) == "APIGW.0301"


def test_tokens_and_missing_headers() -> None:
    """A known X-Auth-Token authenticates; an unknown token or no auth header at all is APIGW.0301."""
    token = {"X-Auth-Token": "iam-token"}
    ok = authenticate(
        REGISTRY, TOKENS, method="GET", path=PATH, query=[], headers=token, body=None, wall_now=NOW
    )
    assert ok == P
    for headers in ({"X-Auth-Token": "forged"}, {}):
        with pytest.raises(Rejected) as info:
            authenticate(REGISTRY, TOKENS, method="GET", path=PATH, query=[], headers=headers, body=None,
                         wall_now=NOW)  # fmt: skip
        assert info.value.error_code == "APIGW.0301"


def test_messages_never_echo_secrets() -> None:
    """Rejection messages contain neither the secret key, the token nor the access key."""
    with pytest.raises(Rejected) as info:
        _check(Credentials("AKNOBODY", "sk-perm", "tok-1"))
    assert not any(s in str(info.value) for s in ("sk-perm", "tok-1", "AKNOBODY"))


def test_ak_lockout_after_five_failures() -> None:
    """With lockout on, five bad signatures lock the AK for 5 minutes even for good requests."""
    lockout = Lockout()

    def attempt(creds: Credentials, at: datetime) -> bool:
        headers = sign_request(creds, "GET", "h", PATH, [], {"Content-Type": "application/json"}, now=at)
        try:
            authenticate(REGISTRY, TOKENS, method="GET", path=PATH, query=[], headers=headers, body=None,
                         wall_now=at, lockout=lockout)  # fmt: skip
        except Rejected:
            return False
        return True

    bad = Credentials("AKPERM", "wrong")
    four_then_good = [attempt(bad, NOW) for _ in range(4)] + [attempt(PERM, NOW)]
    five_bad = [attempt(bad, NOW) for _ in range(5)]
    locked = attempt(PERM, NOW + timedelta(minutes=4))
    unlocked = attempt(PERM, NOW + timedelta(minutes=6))
    assert four_then_good == [False] * 4 + [True]
    assert five_bad == [False] * 5
    assert (locked, unlocked) == (False, True)
