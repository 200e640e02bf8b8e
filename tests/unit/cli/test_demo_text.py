"""The demo's words: reasons wrap between words (never cut), the header states the rounds' numbers."""

from __future__ import annotations

from pathlib import Path

from watchdog.demo import confirm_text, demo_settings, wrap

REASON = (
    "production down: production_cluster=down (production cluster 73ab4876-7734-47c1-87fd-e805ec99108d "
    "FAILED: DWS.0300: Cluster nodes are unreachable (simulated).); dr_task=down (DR task abnormal)"
)


def test_a_long_reason_wraps_between_words() -> None:
    """Every word of the reason survives whole, in order; no line is over the width or ends in '...'."""
    lines = wrap(REASON, 60)
    assert len(lines) > 1
    assert " ".join(lines).split() == REASON.split()
    assert all(len(line) <= 60 or " " not in line for line in lines)
    assert not any(line.endswith("...") for line in lines)
    assert wrap("short") == ["short"]


def test_the_header_uses_the_numbers_the_rounds_print(tmp_path: Path) -> None:
    """The confirmation window in the header is the policy's, in whole seconds as the rounds print it."""
    settings = demo_settings(
        "http://127.0.0.1:1", tmp_path, {"sales-dw": "9f5a4c1e-2b7d-4e31-8a6c-0d1e2f3a4b5c"}
    )
    policy = settings.policy
    assert policy.min_outage_seconds == int(policy.min_outage_seconds)  # "n/3 s" is then exact
    expected = f"{policy.failure_threshold} down rounds + {policy.min_outage_seconds:.0f} s confirm"
    assert confirm_text(settings) == expected
