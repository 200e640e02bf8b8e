"""`run_simulate` input checking: loopback-only HOST:PORT and scenario errors, each one line, exit 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from watchdog.simulator.cli import ListenError, describe, parse_listen, run_simulate
from watchdog.simulator.scenario import build_simulator, load_scenario


@pytest.mark.parametrize(
    ("listen", "expected"),
    [("127.0.0.1:18080", ("127.0.0.1", 18080)), ("localhost:0", ("127.0.0.1", 0)), ("[::1]:9", ("::1", 9))],
)
def test_parse_listen_accepts_loopback(listen: str, expected: tuple[str, int]) -> None:
    """Loopback HOST:PORT forms are accepted, localhost meaning 127.0.0.1."""
    assert parse_listen(listen) == expected


@pytest.mark.parametrize(
    ("listen", "message"),
    [
        ("0.0.0.0:18080", "loopback addresses only"),
        ("10.1.2.3:80", "loopback addresses only"),
        ("example.invalid:80", "loopback addresses only"),
        ("127.0.0.1", "expected HOST:PORT"),
        ("127.0.0.1:99999", "port must be 0..65535"),
    ],
)
def test_parse_listen_rejects(listen: str, message: str) -> None:
    """Non-loopback hosts, a missing port and out-of-range ports are rejected naming `listen`."""
    with pytest.raises(ListenError) as info:
        parse_listen(listen)
    assert str(info.value).startswith("listen: ")
    assert message in str(info.value)


def test_bad_scenario_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario with a bad field: exit 2 and one stderr line naming the field, no traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("pairs:\n  - name: x\n    project_id: p\n    sync_interval_seconds: -1\n")
    assert run_simulate("127.0.0.1:0", str(bad)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "pairs.0.sync_interval_seconds" in err


def test_missing_scenario_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario path that cannot be read: exit 2 with one line naming the file."""
    assert run_simulate("127.0.0.1:0", str(tmp_path / "nope.yaml")) == 2
    assert "nope.yaml: cannot read" in capsys.readouterr().err


def test_the_banner_says_where_the_built_in_secret_keys_are() -> None:
    """Without --scenario there is no scenario file to "see": the banner points at docs/simulator.md,
    which does list the built-in scenario's secret key of each access key the banner prints."""
    sim = build_simulator(load_scenario(None))
    out = io.StringIO()
    describe(sim, "http://127.0.0.1:18080", out)
    banner = out.getvalue()
    assert "see the scenario file" not in banner and "docs/simulator.md" in banner
    doc = (Path(__file__).resolve().parents[3] / "docs" / "simulator.md").read_text(encoding="utf-8")
    for access_key, (creds, _) in sim.credentials.items():
        assert access_key in banner and f"`{access_key}` / `{creds.secret_key}`" in doc
        assert creds.secret_key not in banner
