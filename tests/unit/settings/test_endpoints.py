"""Named endpoints (issue 12): the `cloud` block is the one-endpoint case, unchanged; pairs name the
endpoint of each side; per-endpoint credentials from the same sources as `cloud`'s; check-config
shows the resolved endpoints; a DR task placed elsewhere than its pair's endpoints is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.settings.test_settings import BASE, SK, error_of, load
from watchdog.cli import EXIT_OK, main
from watchdog.endpoints import DEFAULT_ENDPOINT, Placement, check_placement
from watchdog.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config" / "watchdog.example.yaml"
EAST = "fedcba9876543210fedcba9876543210"
NORTH = "0123456789abcdef0123456789abcdef"


def two_regions(**pair: object) -> dict[str, object]:
    data = json.loads(json.dumps(BASE))
    data["endpoints"] = {"east": {"region": "cn-east-3", "project_id": EAST}}
    data["pairs"][0] |= {"dr": "east", **pair}
    return data  # type: ignore[no-any-return]


def test_the_shipped_example_loads_unchanged_as_one_endpoint() -> None:
    """config/watchdog.example.yaml: every pair's sides are the `default` endpoint (the cloud block),
    acting through it; nothing else is resolved."""
    settings = load_settings(EXAMPLE, environ={}, secrets_dirs=[])
    assert list(settings.endpoint_map()) == [DEFAULT_ENDPOINT]
    ep = settings.endpoint_map()[DEFAULT_ENDPOINT]
    assert (ep.url, ep.project_id) == ("https://dws.cn-north-4.myhuaweicloud.com", settings.cloud.project_id)
    for pair in settings.pairs:
        sides = settings.sides(pair.name)
        assert (sides.production, sides.dr, sides.act_via, sides.cross) == (
            DEFAULT_ENDPOINT,
            DEFAULT_ENDPOINT,
            "production",
            False,
        )


def test_a_cross_region_pair_acts_via_dr_by_default(tmp_path: Path) -> None:
    """Sides behind different endpoints: act_via defaults to dr (the surviving side); set, it holds."""
    settings = load(tmp_path, two_regions())
    sides = settings.sides("sales-dw")
    assert (sides.production, sides.dr, sides.act_via, sides.acting, sides.cross) == (
        "default",
        "east",
        "dr",
        "east",
        True,
    )
    assert settings.endpoint_map()["east"].url == "https://dws.cn-east-3.myhuaweicloud.com"
    assert load(tmp_path, two_regions(act_via="production")).sides("sales-dw").acting == "default"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            two_regions(dr="west"),
            "config error: pairs[0].dr: no endpoint named 'west' (known: default, east)",
        ),
        (two_regions(act_via="both"), "config error: pairs[0].act_via: Input should be 'dr' or 'production'"),
        (
            {**two_regions(), "endpoints": {"default": {"region": "cn-east-3", "project_id": EAST}}},
            "config error: endpoints.default: reserved",
        ),
        (
            {**two_regions(), "endpoints": {"east": {"region": "cn-east-3", "project_id": "x"}}},
            "config error: endpoints.east.project_id: must be 32 hexadecimal",
        ),
        (
            {
                **two_regions(),
                "endpoints": {"east": {"region": "cn-east-3", "project_id": EAST, "access_key": "A"}},
            },
            "config error: endpoints.east.secret_key: access_key and secret_key go together",
        ),
        (
            {**two_regions(), "endpoints": {"East_1": {"region": "cn-east-3", "project_id": EAST}}},
            "config error: endpoints.East_1.[key]: must be 1-41 lower-case letters",
        ),
    ],
)
def test_endpoint_errors_are_one_line_naming_the_field(
    tmp_path: Path, data: dict[str, object], expected: str
) -> None:
    assert error_of(tmp_path, data).startswith(expected)


def test_an_endpoints_own_credentials_come_from_secret_files_and_never_show(tmp_path: Path) -> None:
    """`endpoints/east/secret_key` (or endpoints_east_secret_key) in a secrets directory gives the
    east endpoint its own key; the redactor knows it, check-config masks it."""
    secrets = tmp_path / "secrets"
    (secrets / "endpoints" / "east").mkdir(parents=True)
    (secrets / "endpoints" / "east" / "secret_key").write_text("east-secret-key-0000000000000001\n")
    (secrets / "endpoints_east_access_key").write_text("EASTACCESSKEY0000001")
    settings = load(tmp_path, two_regions(), secrets_dirs=[secrets])
    east = settings.endpoints["east"]
    assert (
        east.secret_key is not None
        and east.secret_key.get_secret_value() == "east-secret-key-0000000000000001"
    )
    assert "east-secret-key-0000000000000001" in settings.secret_values()
    dumped = json.dumps(settings.masked())
    assert "east-secret-key-0000000000000001" not in dumped and SK not in dumped
    assert settings.masked()["endpoints"]["east"]["access_key"] == "EAST…"
    assert settings.resolved_endpoints()["east"]["credentials"] == "own"


def test_an_endpoint_from_the_environment(tmp_path: Path) -> None:
    """DRW_ENDPOINTS__EAST__ENDPOINT overrides one key of one endpoint."""
    env = {"DRW_ENDPOINTS__EAST__ENDPOINT": "http://127.0.0.1:18081"}
    assert load(tmp_path, two_regions(), environ=env).endpoint_map()["east"].url == "http://127.0.0.1:18081"


def test_check_config_shows_the_resolved_endpoints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check-config prints each endpoint's URL, project and the pairs on each side, and each pair's
    acting side; never a secret."""
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps(two_regions()))
    code = main(["check-config", "--config", str(path), "--secrets-dir", str(tmp_path / "none")])
    out = capsys.readouterr().out
    assert code == EXIT_OK and SK not in out
    resolved = json.loads(out)["resolved_endpoints"]
    assert resolved["default"]["production_of"] == ["sales-dw"] and resolved["east"]["dr_of"] == ["sales-dw"]
    assert resolved["east"]["url"] == "https://dws.cn-east-3.myhuaweicloud.com"
    assert resolved["pairs"]["sales-dw"] == {
        "production": "default",
        "dr": "east",
        "act_via": "dr",
        "acts_through": "east",
    }


def test_placement_mismatch_is_one_line_naming_the_pair(tmp_path: Path) -> None:
    """The DR task's regions/projects must be the pair's endpoints' (in either orientation: a
    failover swaps the roles); a standby in another project than the DR endpoint's is an error."""
    settings = load(tmp_path, two_regions())
    sides, eps = settings.sides("sales-dw"), settings.endpoint_map()
    good = Placement(("cn-north-4", NORTH), ("cn-east-3", EAST))
    assert check_placement("sales-dw", 0, sides, good, eps) is None
    swapped = Placement(good.standby, good.primary)
    assert check_placement("sales-dw", 0, sides, swapped, eps) is None
    assert check_placement("sales-dw", 0, sides, Placement((None, None), (None, None)), eps) is None
    wrong = Placement(("cn-north-4", NORTH), ("cn-south-1", "ab" * 16))
    line = check_placement("sales-dw", 0, sides, wrong, eps)
    assert line is not None and "\n" not in line
    assert line.startswith("config error: pairs[0] (sales-dw): the DR task puts its clusters in")
    assert "cn-south-1" in line and "east (cn-east-3/" in line
