"""Every `dr-watchdog ...` command line the docs and the alert texts quote parses with the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.doc_commands import Quoted, argv_of, from_alerts, from_markdown, parse_error

REPO = Path(__file__).resolve().parents[3]
DOCS = ["README.md", "deploy/README.md", *sorted(str(p.relative_to(REPO)) for p in REPO.glob("docs/*.md"))]
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"


def quoted_everywhere() -> list[Quoted]:
    found = [q for doc in DOCS for q in from_markdown((REPO / doc).read_text(encoding="utf-8"), doc)]
    return found + from_alerts(ALERTS)


def test_every_quoted_command_line_parses() -> None:
    """The docs cannot drift from the CLI: each quoted line is accepted by `build_parser()`."""
    found = quoted_everywhere()
    assert len(found) >= 20  # the extractor finds them (README, runbook, deploy/README, alerts)
    assert {q.where.split(":")[0] for q in found} >= {
        "README.md",
        "docs/runbook.md",
        "deploy/README.md",
        "alerts.yml",
    }
    bad = [f"{q.where}: {q.text}: {err}" for q in found if (err := parse_error(q)) is not None]
    assert bad == []


def test_the_runbook_and_the_alerts_always_give_the_config() -> None:
    """An on-call engineer copies these: each needs `--config` (required by every journal command)."""
    found = from_markdown((REPO / "docs/runbook.md").read_text(encoding="utf-8"), "runbook.md")
    found += from_alerts(ALERTS)
    missing = [f"{q.where}: {q.text}" for q in found if not q.mention and "--config" not in q.text]
    assert missing == []
    assert any(q.where.startswith("alerts.yml") for q in found)


BROKEN = """# a doc
Check `dr-watchdog status --config FILE --no-such-flag` first.
```sh
dr-watchdog pause --config F --pair P --reason TEXT --untill ISO8601   # a typo
```
Then dr-watchdog ack --config FILE --pair NAME --shout, and `dr-watchdog frobnicate`.
Prose such as "dr-watchdog watches each pair" is not a command line.
"""


def test_the_extractor_catches_a_flag_that_does_not_exist() -> None:
    """A deliberately broken doc: each bad line is found, and each fails the dry parse."""
    found = from_markdown(BROKEN, "broken.md")
    assert [(q.where, q.text) for q in found] == [
        ("broken.md:2", "dr-watchdog status --config FILE --no-such-flag"),
        ("broken.md:4", "dr-watchdog pause --config F --pair P --reason TEXT --untill ISO8601"),
        ("broken.md:6", "dr-watchdog frobnicate"),
        ("broken.md:6", "dr-watchdog ack --config FILE --pair NAME --shout"),
    ]
    errors = [parse_error(q) for q in found]
    assert all(errors), errors
    assert "--no-such-flag" in str(errors[0]) and "--untill" in str(errors[1])


@pytest.mark.parametrize(
    ("text", "argv"),
    [
        ("dr-watchdog status --config F [--pair P] [--json]", ["status", "--config", "watchdog.yaml",
                                                              "--pair", "sales-dw", "--json"]),
        ("dr-watchdog ... --config /etc/w.yaml", ["status", "--config", "/etc/w.yaml"]),
    ],
)  # fmt: skip
def test_placeholders_are_substituted(text: str, argv: list[str]) -> None:
    """Synopsis placeholders become values the parser accepts; optional parts are kept."""
    assert argv_of(Quoted("x", text)) == argv
    assert parse_error(Quoted("x", text)) is None


def test_alert_templates_read_as_a_pair_name(tmp_path: Path) -> None:
    """`--pair {{ $labels.pair }}` in an alert text is a pair; the command ends at `)` or a full stop."""
    rules = tmp_path / "alerts.yml"
    rules.write_text(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations:\n"
        "      description: Resume it (dr-watchdog resume --config FILE --pair {{ $labels.pair }}) soon.\n"
        "      summary: Decide now, dr-watchdog failover --pair {{ $labels.pair }}.\n"
    )
    found = from_alerts(rules)
    assert [q.text for q in found] == [
        "dr-watchdog resume --config FILE --pair NAME",
        "dr-watchdog failover --pair NAME",
    ]
    assert parse_error(found[0]) is None
    assert "--config" in str(parse_error(found[1]))  # the required option missing
