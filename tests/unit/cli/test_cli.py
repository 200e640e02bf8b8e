"""The command line: parsing, exit codes, one-line errors, check-config masking, config-schema."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
import yaml

from watchdog.cli import EXIT_CONFIG, EXIT_OK, build_parser, main
from watchdog.settings import settings_schema

SK = "cli-test-secret-key-00000000000000000001"
CONFIG = {
    "cloud": {
        "endpoint": "http://127.0.0.1:18080",
        "project_id": "0123456789abcdef0123456789abcdef",
        "access_key": "CLITESTAK00000000001",
        "secret_key": SK,
    },
    "pairs": [{"name": "sales-dw", "disaster_recovery_id": "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"}],
}
COMMANDS = [
    "run", "check-config", "probe", "status", "failover", "ack", "pause", "resume",
    "simulate", "demo", "config-schema", "export", "replay",
]  # fmt: skip


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DRW_POLICY__MODE", "CREDENTIALS_DIRECTORY", "DRW_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "watchdog.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


def test_every_contract_command_is_parsed() -> None:
    """Each command of the contract has a sub-parser."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(COMMANDS) <= set(sub.choices)  # type: ignore[arg-type]


def test_check_config_prints_masked_config(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """check-config exits 0 and prints the resolved config with the secret masked."""
    assert (
        main(["check-config", "--config", str(config), "--secrets-dir", str(config.parent / "none")])
        == EXIT_OK
    )
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["cloud"]["secret_key"] == "**********"
    assert SK not in out + err
    assert "config ok" in err


def test_check_config_env_override(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An environment override shows in the resolved configuration."""
    monkeypatch.setenv("DRW_POLICY__MODE", "auto")
    assert main(["check-config", "--config", str(config)]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["policy"]["mode"] == "auto"


def test_bad_config_exit_2_one_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad value exits 2 with one stderr line naming the field, no traceback."""
    bad = dict(CONFIG, policy={"failure_threshold": 0})
    config.write_text(yaml.safe_dump(bad))
    assert main(["check-config", "--config", str(config)]) == EXIT_CONFIG
    out, err = capsys.readouterr()
    assert err == "dr-watchdog: config error: policy.failure_threshold: must be >= 1\n"
    assert out == ""


def test_run_with_bad_config_exits_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`run` with an unknown key exits 2 before starting anything."""
    config.write_text(yaml.safe_dump(dict(CONFIG, surprise=1)))
    assert main(["run", "--config", str(config)]) == EXIT_CONFIG
    assert capsys.readouterr().err.strip() == "dr-watchdog: config error: surprise: unknown key"


def test_debug_shows_the_exception(config: Path) -> None:
    """With --debug the error propagates (a traceback) instead of being reduced to one line."""
    config.write_text("cloud: [\n")
    from watchdog.settings import ConfigError

    with pytest.raises(ConfigError):
        main(["check-config", "--config", str(config), "--debug"])


def test_config_schema_matches_settings(capsys: pytest.CaptureFixture[str]) -> None:
    """config-schema prints the JSON Schema generated from the settings."""
    assert main(["config-schema"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == settings_schema()


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing required option is a usage error with exit code 2."""
    with pytest.raises(SystemExit) as info:
        main(["failover", "--config", "x.yaml"])
    assert info.value.code == 2
    assert "--pair" in capsys.readouterr().err


def test_unknown_pair_is_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --pair the configuration does not have is one line naming the known pairs, exit 2."""
    code = main(["pause", "--config", str(config), "--pair", "nope", "--reason", "x"])
    assert code == 2
    assert capsys.readouterr().err == "dr-watchdog: error: no pair named 'nope'; configured: sales-dw\n"


def test_pause_until_in_the_past_is_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pause --until a past time is refused with one line naming --until's field, exit 2."""
    config.write_text(yaml.safe_dump(dict(CONFIG, state={"path": str(config.parent / "new" / "j.db")})))
    code = main(["pause", "--config", str(config), "--reason", "x", "--until", "2020-01-01T00:00:00Z"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("dr-watchdog: error: until: ") and "not in the future" in err


def test_pause_needs_a_time_zone(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An --until without a time zone is a usage error (a maintenance window must not shift by hours)."""
    with pytest.raises(SystemExit) as info:
        main(["pause", "--config", str(config), "--reason", "x", "--until", "2030-01-01T00:00:00"])
    assert info.value.code == 2
    assert "time zone" in capsys.readouterr().err


def test_status_without_a_journal(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """status before the daemon ever ran says so, exits 0 and creates no journal file."""
    journal = config.parent / "state" / "j.db"
    config.write_text(yaml.safe_dump(dict(CONFIG, state={"path": str(journal)})))
    assert main(["status", "--config", str(config)]) == EXIT_OK
    assert "no journal yet" in capsys.readouterr().out
    assert main(["status", "--config", str(config), "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["pairs"][0]["state"] == "unknown"
    assert not journal.exists()


def test_failover_of_an_unseen_production_is_refused_before_asking(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API unreachable: production is not DOWN by the watchdog's rules (unknown), so the failover is
    refused (exit 3, production_not_down named) before any confirmation is asked for."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: connection refused
    data = yaml.safe_load(config.read_text())
    data["cloud"]["endpoint"] = f"http://127.0.0.1:{port}"
    config.write_text(yaml.safe_dump({**data, "state": {"path": str(config.parent / "j.db")}}))
    monkeypatch.setattr("sys.stdin", io.StringIO("sales-dw\n"))
    assert main(["failover", "--config", str(config), "--pair", "sales-dw"]) == 3
    out, err = capsys.readouterr()
    assert "Type the pair name" not in out and "production not seen" in out
    assert "failover refused (production_not_down" in err and len(err.splitlines()) == 1


def test_status_of_one_pair(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """status --pair NAME shows that pair alone (text and --json); an unknown pair is one line, exit 2."""
    two = {"name": "finance-dw", "disaster_recovery_id": "0a5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"}
    data = dict(CONFIG, pairs=[*CONFIG["pairs"], two], state={"path": str(config.parent / "j.db")})
    config.write_text(yaml.safe_dump(data))
    assert main(["status", "--config", str(config), "--pair", "finance-dw"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("finance-dw: ") and "sales-dw" not in out
    assert main(["status", "--config", str(config), "--pair", "finance-dw", "--json"]) == EXIT_OK
    assert [p["name"] for p in json.loads(capsys.readouterr().out)["pairs"]] == ["finance-dw"]
    assert main(["status", "--config", str(config), "--json"]) == EXIT_OK
    assert [p["name"] for p in json.loads(capsys.readouterr().out)["pairs"]] == ["sales-dw", "finance-dw"]
    assert main(["status", "--config", str(config), "--pair", "nope"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "dr-watchdog: error: no pair named 'nope'; configured: sales-dw, finance-dw\n")


def test_check_config_shows_the_access_key_prefix_only(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runbook says to check the access key ID: check-config shows its first 4 characters, and the
    SK and the security token stay masked whole (no prefix, nowhere in the output)."""
    token = "cli-test-security-token-000000000000000000001"
    data = yaml.safe_load(config.read_text())
    data["cloud"]["security_token"] = token
    config.write_text(yaml.safe_dump(data))
    assert main(["check-config", "--config", str(config)]) == EXIT_OK
    out, err = capsys.readouterr()
    cloud = json.loads(out)["cloud"]
    assert cloud["access_key"] == "CLIT…"
    assert cloud["secret_key"] == cloud["security_token"] == "**********"
    for secret in (SK, token, "CLITESTAK00000000001"):
        assert secret not in out + err and secret[:8] not in out + err


def test_a_short_access_key_stays_masked(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An access key ID too short for a prefix to be harmless is masked whole."""
    data = yaml.safe_load(config.read_text())
    data["cloud"]["access_key"] = "SHORTAK1"
    config.write_text(yaml.safe_dump(data))
    assert main(["check-config", "--config", str(config)]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["cloud"]["access_key"] == "**********"


def test_several_config_errors_one_line_each(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every bad field is shown, one line each naming the field and the reason, none hidden behind
    '(and N more)'; with --debug the exception carries them all."""
    bad = dict(CONFIG, policy={"failure_threshold": 0, "min_outage_seconds": -1, "surprise": 1})
    config.write_text(yaml.safe_dump(bad))
    assert main(["check-config", "--config", str(config)]) == EXIT_CONFIG
    out, err = capsys.readouterr()
    assert out == "" and "more)" not in err
    assert sorted(err.splitlines()) == [
        "dr-watchdog: config error: policy.failure_threshold: must be >= 1",
        "dr-watchdog: config error: policy.min_outage_seconds: must be >= 0.0",
        "dr-watchdog: config error: policy.surprise: unknown key",
    ]
    from watchdog.settings import ConfigError

    with pytest.raises(ConfigError) as info:
        main(["check-config", "--config", str(config), "--debug"])
    assert len(str(info.value).splitlines()) == 3
