"""Refused credentials and permissions, against the simulator over real HTTP: one WARNING per change,
the refusal in the observation, and `status` saying the API cannot be read."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.test_probes import PAIR, probe, with_prober
from watchdog import commands
from watchdog.dws.signing import Credentials
from watchdog.journal import Journal
from watchdog.model import Observation, Policy
from watchdog.policy import evaluate
from watchdog.probes import Prober
from watchdog.simulator import Simulator, SimulatorServer
from watchdog.simulator.testing import TEST_CREDENTIALS, TEST_PAIR_NAME, TEST_PROJECT_ID
from watchdog.status import pair_status

REFUSED = {"kind": "error", "operation": "*", "status": 401, "error_code": "APIGW.0301"}
FORBIDDEN = {"kind": "error", "operation": "*", "status": 403, "error_code": "APIGW.0302"}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "watchdog.probes" and r.levelno == logging.WARNING
    ]


def test_a_refusal_warns_once_per_change(
    simulator: Simulator, sim_server: SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Healthy, then refused for three rounds, then another refusal, then readable again: one WARNING
    at each change, none for the repeats, and every refused round's observation names the refusal."""
    msg = "Incorrect IAM authentication information: verify aksk signature fail"

    async def rounds(prober: Prober) -> list[Observation]:
        seen = []
        for step in ["ok", "401", "401", "401", "403", "403", "ok", "ok"]:
            simulator.clear_faults()
            if step != "ok":
                simulator.inject(**(REFUSED if step == "401" else FORBIDDEN), error_msg=msg)
            seen.append((await prober.probe_round(datetime.now(UTC)))[TEST_PAIR_NAME])
        return seen

    with caplog.at_level(logging.INFO, logger="watchdog.probes"):
        seen = with_prober(sim_server.url, [PAIR], rounds)
    said = warnings(caplog)
    assert len(said) == 3, said
    assert "401 APIGW.0301" in said[0] and msg in said[0] and TEST_PROJECT_ID in said[0]
    assert "403 APIGW.0302" in said[1]
    assert "no longer refuses" in said[2]
    assert [o.auth_error is not None for o in seen] == [False, True, True, True, True, True, False, False]
    assert seen[1].auth_error is not None and seen[1].auth_error.startswith("401 APIGW.0301 " + msg)
    assert seen[1].auth_error == seen[3].auth_error  # no request id: the same refusal reads the same


def test_status_says_the_api_cannot_be_read(
    sim_server: SimulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong secret key: the journaled round makes `status` (JSON and text) say "cannot read the API:
    401 APIGW.0301 ..." (never the key, never "DR None"), and a readable round clears it."""
    wrong = Credentials(TEST_CREDENTIALS.access_key, "bad" + TEST_CREDENTIALS.secret_key)
    with Journal(tmp_path / "watchdog.db") as journal:
        for credentials, expected in (
            (wrong, "cannot read the API: 401 APIGW.0301 "),
            (TEST_CREDENTIALS, None),
        ):
            obs = probe(sim_server.url, credentials={TEST_PROJECT_ID: credentials})[TEST_PAIR_NAME]
            state = journal.load_state(TEST_PAIR_NAME, obs.observed_at)
            evaluation = evaluate(obs, state, Policy(), obs.observed_at)
            journal.record(obs, evaluation.decision, evaluation.next_state, state_before=state)
            entry = pair_status(journal, TEST_PAIR_NAME, obs.observed_at)
            if expected is None:
                assert entry["api_error"] is None and entry["dr_status"] == "running"
            else:
                assert entry["api_error"].startswith(expected), entry["api_error"]
                assert wrong.secret_key not in entry["api_error"]
                assert "Incorrect IAM authentication information" in entry["api_error"]
                commands._print_pair(entry)
                text = capsys.readouterr().out
                assert "cannot read the API: 401 APIGW.0301 " in text and "DR None" not in text
