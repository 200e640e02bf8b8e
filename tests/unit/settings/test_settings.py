"""Settings: sources and their priority, strictness, and one-line errors that name the field."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from watchdog.model import Mode, Policy
from watchdog.settings import ConfigError, Settings, load_settings, settings_schema

ROOT = Path(__file__).resolve().parents[3]
SK = "unit-test-secret-key-0000000000000001"
BASE: dict[str, object] = {
    "cloud": {
        "region": "cn-north-4",
        "project_id": "0123456789abcdef0123456789abcdef",
        "access_key": "UNITTESTAK0000000001",
        "secret_key": SK,
    },
    "pairs": [{"name": "sales-dw", "disaster_recovery_id": "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"}],
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "watchdog.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def load(tmp_path: Path, data: object, **kw: object) -> Settings:
    kw.setdefault("environ", {})
    kw.setdefault("secrets_dirs", [])
    return load_settings(write(tmp_path, data), **kw)  # type: ignore[arg-type]


def error_of(tmp_path: Path, data: object, **kw: object) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, data, **kw)
    return str(info.value)


def with_(path: str, value: object) -> dict[str, object]:
    """BASE with one nested key replaced (path like 'policy.failure_threshold')."""
    data = json.loads(json.dumps(BASE))
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if not isinstance(node, list) else node[int(key)]
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return data  # type: ignore[no-any-return]


def test_yaml_loads_with_defaults(tmp_path: Path) -> None:
    """A minimal file loads, and unset sections take their documented defaults."""
    s = load(tmp_path, BASE)
    assert s.policy.mode is Mode.RECOMMEND and s.policy.failure_threshold == 4
    assert s.http.listen == "127.0.0.1:9464"


def test_env_overrides_one_nested_key_only(tmp_path: Path) -> None:
    """DRW_POLICY__MODE replaces one key of the YAML policy block and keeps its siblings."""
    data = with_("policy", {"mode": "observe", "failure_threshold": 7})
    s = load(tmp_path, data, environ={"DRW_POLICY__MODE": "auto", "PATH": "/bin"})
    assert s.policy.mode is Mode.AUTO
    assert s.policy.failure_threshold == 7


def test_env_secret_overrides_yaml(tmp_path: Path) -> None:
    """DRW_CLOUD__SECRET_KEY wins over the file's value."""
    s = load(tmp_path, BASE, environ={"DRW_CLOUD__SECRET_KEY": "from-env-0001"})
    assert s.cloud.secret_key is not None and s.cloud.secret_key.get_secret_value() == "from-env-0001"


def test_secrets_dir_flat_file(tmp_path: Path) -> None:
    """A `cloud_secret_key` file (systemd LoadCredential, Kubernetes) supplies the SK, newline stripped."""
    data = with_("cloud.secret_key", None)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "cloud_secret_key").write_text("from-file-0001\n")
    s = load(tmp_path, data, secrets_dirs=[secrets])
    assert s.cloud.secret_key is not None and s.cloud.secret_key.get_secret_value() == "from-file-0001"


def test_secrets_dir_nested_directory(tmp_path: Path) -> None:
    """A `cloud/secret_key` file in a secrets directory supplies the SK too."""
    secrets = tmp_path / "secrets"
    (secrets / "cloud").mkdir(parents=True)
    (secrets / "cloud" / "secret_key").write_text("nested-file-0001\n")
    s = load(tmp_path, BASE, secrets_dirs=[secrets])
    assert s.cloud.secret_key is not None and s.cloud.secret_key.get_secret_value() == "nested-file-0001"


def test_credentials_directory_from_environment(tmp_path: Path) -> None:
    """$CREDENTIALS_DIRECTORY (systemd) is searched when no secrets dirs are given explicitly."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "cloud_secret_key").write_text("systemd-cred-0001")
    path = write(tmp_path, with_("cloud.secret_key", None))
    s = load_settings(path, environ={"CREDENTIALS_DIRECTORY": str(creds)})
    assert s.cloud.secret_key is not None and s.cloud.secret_key.get_secret_value() == "systemd-cred-0001"


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("policy.failure_threshold", 0, "config error: policy.failure_threshold: must be >= 1"),
        ("policy.probe_interval_seconds", -1, "config error: policy.probe_interval_seconds: must be > 0"),
        ("policy.mode", "yolo", "config error: policy.mode: "),
        ("policy.failure_treshold", 3, "config error: policy.failure_treshold: unknown key"),
        ("cloud.project_id", "abc", "config error: cloud.project_id: must be 32 hexadecimal"),
        (
            "pairs.0.disaster_recovery_id",
            "nope",
            "config error: pairs[0].disaster_recovery_id: must be a UUID",
        ),
        (
            "pairs.0.policy",
            {"colldown_seconds": 1},
            "config error: pairs[0].policy.colldown_seconds: unknown key",
        ),
        ("http.listen", "9464", "config error: http.listen: must be HOST:PORT"),
        ("cloud.secret_key", None, "config error: cloud.secret_key: access_key and secret_key go together"),
        ("cloud.timeout_seconds", 30, "config error: cloud.timeout_seconds: must be shorter than"),
        ("policy.max_down_gap_seconds", 15, "config error: policy.max_down_gap_seconds: must be longer than"),
        (
            "pairs.0.policy",
            {"max_down_gap_seconds": 5},
            "config error: pairs[0].policy.max_down_gap_seconds: must be longer than",
        ),
        (
            "policy.max_observation_age_seconds",
            15,
            "config error: policy.max_observation_age_seconds: must be longer than",
        ),
        ("surprise", {}, "config error: surprise: unknown key"),
        (  # a veto hook that may outlive the staleness bound lets a live CLI's intent be closed
            "hooks",
            {"pre_failover": {"command": ["/bin/true"], "timeout_seconds": 3600}},
            "config error: hooks.pre_failover.timeout_seconds: with the checks around the hook",
        ),
    ],
)
def test_errors_name_the_field(tmp_path: Path, path: str, value: object, expected: str) -> None:
    """Each invalid value yields one line that names the field path and the reason."""
    message = error_of(tmp_path, with_(path, value))
    assert message.startswith(expected)
    assert "\n" not in message


def test_veto_hook_must_end_within_the_unsent_bound(tmp_path: Path) -> None:
    """The pre-failover hook's timeout plus the checks around it must end before
    failover.stale_unsent_seconds, after which another process closes the unsent intent."""
    data = with_("hooks", {"pre_failover": {"command": ["/bin/true"], "timeout_seconds": 100}})
    margin = load(tmp_path, data).pre_post_margin()
    assert margin > 0
    data["failover"] = {"stale_unsent_seconds": 100 + margin + 1}
    assert load(tmp_path, data).failover.stale_unsent_seconds == 100 + margin + 1
    data["failover"] = {"stale_unsent_seconds": 100 + margin}
    message = error_of(tmp_path, data)
    assert message.startswith("config error: hooks.pre_failover.timeout_seconds: ") and "\n" not in message


def test_duplicate_pair_names_rejected(tmp_path: Path) -> None:
    """Two pairs with one name are an error naming the second one."""
    pair = BASE["pairs"][0]  # type: ignore[index]
    other = dict(pair, disaster_recovery_id="0f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c")
    message = error_of(tmp_path, with_("pairs", [pair, other]))
    assert message.startswith("config error: pairs[1].name: duplicate name")


def test_missing_auth_rejected(tmp_path: Path) -> None:
    """Neither AK/SK nor a token is an error naming cloud.access_key."""
    data = with_("cloud.secret_key", None)
    data["cloud"].pop("access_key")  # type: ignore[attr-defined]
    assert error_of(tmp_path, data).startswith(
        "config error: cloud.access_key: give access_key and secret_key"
    )


def test_unknown_env_variable_rejected(tmp_path: Path) -> None:
    """A DRW_ variable naming no section (a typo) is an error, not silently ignored."""
    message = error_of(tmp_path, BASE, environ={"DRW_POLCY__MODE": "auto"})
    assert message.startswith("config error: DRW_POLCY__MODE: unknown environment variable")


def test_env_value_error_names_field(tmp_path: Path) -> None:
    """A bad value from the environment names the nested field like a YAML one."""
    message = error_of(tmp_path, BASE, environ={"DRW_POLICY__FAILURE_THRESHOLD": "0"})
    assert message == "config error: policy.failure_threshold: must be >= 1"


def test_bad_yaml_is_one_line(tmp_path: Path) -> None:
    """Broken YAML and a missing file are one line each, naming the file."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("cloud: [\n")
    with pytest.raises(ConfigError, match=r"^config error: .*bad.yaml: not valid YAML at line \d+$"):
        load_settings(bad, environ={}, secrets_dirs=[])
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.yaml", environ={}, secrets_dirs=[])


def test_secret_never_in_error_or_masked_dump(tmp_path: Path) -> None:
    """Errors and the masked dump never contain the secret key."""
    message = error_of(tmp_path, with_("cloud.timeout_seconds", "x"), environ={"DRW_CLOUD__SECRET_KEY": SK})
    assert SK not in message
    assert SK not in json.dumps(load(tmp_path, BASE).masked())


def test_policy_for_merges_pair_overrides(tmp_path: Path) -> None:
    """policy_for(pair) is the global policy with that pair's overrides applied."""
    data = with_("pairs.0.policy", {"mode": "auto", "max_data_loss_seconds": 120})
    data["policy"] = {"failure_threshold": 2}
    policy = load(tmp_path, data).policy_for("sales-dw")
    expected = Policy(mode=Mode.AUTO, failure_threshold=2, max_data_loss_seconds=120.0)
    assert policy == replace(expected, max_observation_age_seconds=policy.probe_interval_seconds + 10.0)


def test_observation_age_bound_defaults_to_interval_plus_timeout(tmp_path: Path) -> None:
    """Unset, the observation age bound is probe_interval_seconds + cloud.timeout_seconds; set, it is
    taken as configured."""
    data = with_("cloud.timeout_seconds", 4)
    data["policy"] = {"probe_interval_seconds": 20}
    assert load(tmp_path, data).policy_for("sales-dw").max_observation_age_seconds == 24.0
    data["policy"] = {"probe_interval_seconds": 20, "max_observation_age_seconds": 90}
    assert load(tmp_path, data).policy_for("sales-dw").max_observation_age_seconds == 90.0


def test_settings_in_code_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings(...) built in code is hermetic: DRW_ variables do not leak in."""
    monkeypatch.setenv("DRW_POLICY__MODE", "auto")
    s = Settings(**BASE)  # type: ignore[arg-type]
    assert s.policy.mode is Mode.RECOMMEND


def test_example_config_validates() -> None:
    """config/watchdog.example.yaml loads (with its placeholder secrets)."""
    s = load_settings(ROOT / "config" / "watchdog.example.yaml", environ={}, secrets_dirs=[])
    assert s.pairs


def test_committed_schema_is_current() -> None:
    """config/schema.json equals the schema generated from the code."""
    committed = json.loads((ROOT / "config" / "schema.json").read_text())
    assert committed == settings_schema()


def test_secret_file_typo_is_an_error(tmp_path: Path) -> None:
    """A secret file that names a section but no key in it (a typo) is an error; foreign files are ignored."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "tls.crt").write_text("not ours")
    (secrets / "cloud_secrte_key").write_text("x")
    message = error_of(tmp_path, BASE, secrets_dirs=[secrets])
    assert (
        message.startswith("config error: secret file ")
        and "cloud_secrte_key: names no configuration key" in message
    )


def test_kubernetes_hidden_entries_skipped(tmp_path: Path) -> None:
    """Kubernetes' `..data` directory is not read twice; the visible file name is what counts."""
    secrets = tmp_path / "secrets"
    (secrets / "..data").mkdir(parents=True)
    (secrets / "..data" / "cloud_secret_key").write_text("k8s-secret-0001\n")
    (secrets / "cloud_secret_key").symlink_to(secrets / "..data" / "cloud_secret_key")
    s = load(tmp_path, with_("cloud.secret_key", None), secrets_dirs=[secrets])
    assert s.cloud.secret_key is not None and s.cloud.secret_key.get_secret_value() == "k8s-secret-0001"


def test_three_level_secret_file(tmp_path: Path) -> None:
    """`notifications_webhook_secret` reaches notifications.webhook.secret (three levels, multi-word keys)."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "notifications_webhook_secret").write_text("webhook-hmac-secret-0001\n")
    data = with_("notifications", {"webhook": {"url": "http://127.0.0.1:9"}})
    s = load(tmp_path, data, secrets_dirs=[secrets])
    assert s.notifications.webhook is not None
    assert s.notifications.webhook.secret.get_secret_value() == "webhook-hmac-secret-0001"
    assert "webhook-hmac-secret-0001" in s.secret_values()
