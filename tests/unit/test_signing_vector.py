"""The signer reproduces the documented reference vector of the official SDK."""

from watchdog.dws.signing import Credentials, sign_request

PROJECT = "0123456789abcdef0123456789abcdef"
DR_ID = "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"


def test_reference_vector_failover_post() -> None:
    """POST failover with BasicCredentials matches the signature the SDK produced for the same input."""
    headers = sign_request(
        Credentials("HPUAEXAMPLEAK0000001", "exampleSecretKey0000000000000000000000000"),
        "POST",
        "dws.cn-north-4.myhuaweicloud.com",
        f"/v2/{PROJECT}/disaster-recovery/{DR_ID}/failover",
        (),
        {"Content-Type": "application/json", "X-Sdk-Date": "20240102T030405Z"},
        None,
        project_id=PROJECT,
    )
    assert headers["Authorization"] == (
        "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, "
        "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
        "Signature=945cf10ffe56a835133f8270c4fb190afc6101a62b599135a9ce094990d8e245"
    )
