"""The evidence settings: one-line errors naming the field, password files read once and kept secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.settings.test_settings import BASE, error_of, load, with_
from watchdog.evidence.settings import DataPlaneLevel

CANARY = "config error: evidence.canaries[0]"
PASSWORD = "dp-password-never-shown-0001"


def with_data_plane(**data_plane: object) -> dict[str, object]:
    """BASE with pairs[0].data_plane set."""
    pair = dict(json.loads(json.dumps(BASE["pairs"]))[0])
    return with_("pairs", [{**pair, "data_plane": data_plane}])


def password_file(tmp_path: Path, text: str = PASSWORD + "\n") -> Path:
    path = tmp_path / "dp_password"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_configure_no_evidence(tmp_path: Path) -> None:
    """Without the new keys: a 3 s deadline, no canaries, no data plane on any pair."""
    s = load(tmp_path, BASE)
    assert s.evidence.deadline_seconds == 3.0 and s.evidence.canaries == []
    assert s.pairs[0].data_plane is None


def test_an_unused_deadline_is_not_checked_against_the_interval(tmp_path: Path) -> None:
    """Without a data plane or a canary the deadline bounds nothing: a 1 s interval still loads."""
    s = load(
        tmp_path,
        with_("policy", {"probe_interval_seconds": 1, "max_down_gap_seconds": 10})
        | {
            "cloud": {**BASE["cloud"], "timeout_seconds": 0.5}  # type: ignore[dict-item]
        },
    )
    assert s.evidence.deadline_seconds == 3.0


def test_a_data_plane_loads_with_its_password(tmp_path: Path) -> None:
    """level query with a password file: the password is read at start-up, newline stripped."""
    data = with_data_plane(
        level="query",
        addresses={"c1": "10.0.0.5:8000"},
        password_file=str(password_file(tmp_path)),
        heartbeat_table="drw.heartbeat",
    )
    dp = load(tmp_path, data).pairs[0].data_plane
    assert dp is not None and dp.level is DataPlaneLevel.QUERY
    assert dp.password is not None and dp.password.get_secret_value() == PASSWORD
    assert dp.addresses == {"c1": "10.0.0.5:8000"} and dp.heartbeat_table == "drw.heartbeat"


def test_password_is_redacted_and_masked(tmp_path: Path) -> None:
    """secret_values() hands the password to the log redactor; masked() never shows it, nor repr."""
    data = with_data_plane(level="query", password_file=str(password_file(tmp_path)))
    s = load(tmp_path, data)
    assert PASSWORD in s.secret_values()
    assert PASSWORD not in json.dumps(s.masked())
    assert PASSWORD not in repr(s) and PASSWORD not in repr(s.pairs[0].data_plane)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            with_("evidence", {"deadline_seconds": 15, "canaries": ["10.0.0.1:53"]}),
            "config error: evidence.deadline_seconds: must be shorter than policy.probe_interval_seconds",
        ),
        (with_("evidence", {"deadline_seconds": 0}), "config error: evidence.deadline_seconds: must be > 0"),
        (with_("evidence", {"canaries": ["10.0.0.1"]}), f"{CANARY}: must be HOST:PORT"),
        (with_("evidence", {"canaries": ["h:99999"]}), f"{CANARY}: must be HOST:PORT"),
        (with_("evidence", {"dedline_seconds": 1}), "config error: evidence.dedline_seconds: unknown key"),
        (
            with_data_plane(addresses={"c1": "nohost"}),
            "config error: pairs[0].data_plane.addresses.c1: must be HOST:PORT",
        ),
        (with_data_plane(level="deep"), "config error: pairs[0].data_plane.level: "),
        (
            with_data_plane(level="query"),
            "config error: pairs[0].data_plane.password_file: level query needs a password_file",
        ),
        (
            with_data_plane(heartbeat_table="drw.heartbeat"),
            "config error: pairs[0].data_plane.password_file: a heartbeat_table needs a password_file",
        ),
        (
            with_data_plane(heartbeat_table="heartbeat; drop table x"),
            "config error: pairs[0].data_plane.heartbeat_table: ",
        ),
        (with_data_plane(pasword_file="/x"), "config error: pairs[0].data_plane.pasword_file: unknown key"),
    ],
)
def test_errors_name_the_field(tmp_path: Path, data: dict[str, object], expected: str) -> None:
    """Each invalid evidence value yields one line naming the field path and the reason."""
    message = error_of(tmp_path, data)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_unreadable_password_file_names_the_field(tmp_path: Path) -> None:
    """A password file that cannot be read is a start-up error naming the field (and no password)."""
    missing = tmp_path / "nope"
    message = error_of(tmp_path, with_data_plane(level="query", password_file=str(missing)))
    assert message.startswith("config error: pairs[0].data_plane.password_file: cannot read ")
    assert "\n" not in message


def test_empty_password_file_is_an_error(tmp_path: Path) -> None:
    """An empty password file is refused at start-up rather than failing every round's login."""
    path = password_file(tmp_path, "\n")
    message = error_of(tmp_path, with_data_plane(level="query", password_file=str(path)))
    assert message.startswith("config error: pairs[0].data_plane.password_file: ")
    assert "is empty" in message


def test_the_quorum_is_the_floor_by_default_and_tightens_per_pair(tmp_path: Path) -> None:
    """policy.quorum off by default; the global block and a pair's own block reach the pure Policy."""
    assert load(tmp_path, BASE).policy_for(BASE["pairs"][0]["name"]).require_data_plane is False  # type: ignore[index]
    data = with_data_plane(addresses={"c1": "10.0.0.5:8000"})
    data["policy"] = {"quorum": {"require_dr_task": True}}
    data["pairs"][0]["policy"] = {"quorum": {"require_data_plane": True}}  # type: ignore[index]
    s = load(tmp_path, data)
    policy = s.policy_for(s.pairs[0].name)
    assert (policy.require_dr_task, policy.require_data_plane) == (True, True)


def test_require_data_plane_without_a_data_plane_is_a_one_line_error(tmp_path: Path) -> None:
    """The quorum cannot ask for a probe the pair does not have: the error names the field and pair."""
    message = error_of(tmp_path, with_("policy", {"quorum": {"require_data_plane": True}}))
    assert message.startswith("config error: policy.quorum.require_data_plane") and "\n" not in message
    assert "has no data_plane" in message
    pair = dict(json.loads(json.dumps(BASE["pairs"]))[0]) | {
        "policy": {"quorum": {"require_data_plane": True}}
    }
    message = error_of(tmp_path, with_("pairs", [pair]))
    assert message.startswith("config error: pairs[0].policy.quorum.require_data_plane")


def test_an_unknown_quorum_key_is_refused(tmp_path: Path) -> None:
    """A typo in the quorum block is an error, not a silently looser quorum."""
    message = error_of(tmp_path, with_("policy", {"quorum": {"require_data_planes": True}}))
    assert "policy.quorum.require_data_planes" in message
