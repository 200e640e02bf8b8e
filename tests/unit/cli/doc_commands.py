"""Find the `dr-watchdog ...` command lines the docs and alert texts quote, and dry-parse them.

Where a command line is recognised:
- in Markdown code (a `code span` or a fenced block's line, continuation lines joined), when
  `dr-watchdog` (or a path ending in `/bin/dr-watchdog`), followed by a word, is the first word of
  the code or of one of its shell segments (after `&&`, `;`, `|` or `-- `); it runs to the end of
  the span, segment or line (a `#` comment cut off);
- in prose (Markdown outside code, alert annotations), when `dr-watchdog` is followed by one of the
  CLI's command names; it runs to the first token ending in `.`, `,`, `;` or `:`, or to a `)`.

What it checks: `dr-watchdog CMD` alone (a mention, e.g. "`dr-watchdog ack` re-arms") must name a
real command; anything with arguments is parsed by the real parser (`watchdog.cli.build_parser`)
after its placeholders are substituted (`PLACEHOLDERS`; `[optional parts]` are kept, brackets
dropped; `{{ $labels.pair }}` is a pair name; `...` as the command means any command).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from watchdog.cli import build_parser

PLACEHOLDERS = {
    "FILE": "watchdog.yaml",
    "F": "watchdog.yaml",
    "NAME": "sales-dw",
    "P": "sales-dw",
    "TEXT": "maintenance",
    "ISO8601": "2030-01-01T00:00:00Z",
    "DIR": "/run/secrets",
    "HOST:PORT": "127.0.0.1:18080",
}
_TEMPLATE = re.compile(r"\{\{[^}]*\}\}")
_SEGMENT = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")
_PROSE_END = ".,;:"


@dataclass(frozen=True)
class Quoted:
    """One command line as a doc quotes it, and where."""

    where: str  # "README.md:140"
    text: str  # "dr-watchdog status --config F [--pair P] [--json]"
    mention: bool = False  # a bare "dr-watchdog CMD": only the command name is checked


def _commands() -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def _is_program(word: str) -> bool:
    return word == "dr-watchdog" or word.endswith("/bin/dr-watchdog")


def _from_code(code: str, where: str) -> Iterator[Quoted]:
    code = code.split(" #", 1)[0]
    for part in re.split(r"\s--\s", code):  # `kubectl exec ... -- dr-watchdog status ...`
        for segment in _SEGMENT.split(part):
            words = segment.split()
            if len(words) > 1 and _is_program(words[0]):  # alone, it names the program or the unit
                yield Quoted(where, " ".join(["dr-watchdog", *words[1:]]), mention=len(words) == 2)


def _from_prose(text: str, where: str, commands: set[str]) -> Iterator[Quoted]:
    words = _TEMPLATE.sub("NAME", text).split()
    for i, word in enumerate(words):
        if word.lstrip("(") != "dr-watchdog" or i + 1 >= len(words):
            continue
        taken = ["dr-watchdog"]
        for token in words[i + 1 :]:
            closing = ")" in token
            bare = token.split(")", 1)[0].rstrip(_PROSE_END)
            taken.append(bare)
            if closing or bare != token:
                break
        if taken[1] in commands:
            yield Quoted(where, " ".join(taken), mention=len(taken) == 2)


def from_markdown(text: str, name: str, commands: set[str] | None = None) -> list[Quoted]:
    """Every command line a Markdown document quotes (rules: module docstring)."""
    commands = commands or _commands()
    found: list[Quoted] = []
    fenced, pending = False, ""
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{name}:{number}"
        if line.lstrip().startswith("```"):
            fenced, pending = not fenced, ""
            continue
        if fenced:
            pending += line.rstrip().removesuffix("\\")
            if not line.rstrip().endswith("\\"):
                found.extend(_from_code(pending, where))
                pending = ""
            continue
        spans = re.findall(r"`([^`]+)`", line)
        for span in spans:
            found.extend(_from_code(span, where))
        found.extend(_from_prose(re.sub(r"`[^`]*`", " ", line), where, commands))
    return found


def from_alerts(path: Path, commands: set[str] | None = None) -> list[Quoted]:
    """Every command line quoted in the annotations (summary, description) of a Prometheus rule file."""
    commands = commands or _commands()
    found: list[Quoted] = []
    for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
        for rule in group["rules"]:
            for key, text in (rule.get("annotations") or {}).items():
                where = f"{path.name}:{rule.get('alert')}.{key}"
                found.extend(_from_prose(str(text), where, commands))
    return found


def argv_of(quoted: Quoted) -> list[str]:
    """The arguments after `dr-watchdog`, placeholders substituted, optional brackets dropped."""
    words = shlex.split(quoted.text.replace("[", " ").replace("]", " "))[1:]
    if words and words[0] == "...":
        words[0] = "status"
    return [PLACEHOLDERS.get(w, w) for w in words]


def parse_error(quoted: Quoted) -> str | None:
    """None if the real CLI parser accepts the quoted line (or the mention names a command), else why."""
    argv = argv_of(quoted)
    if quoted.mention:
        return None if argv[0] in _commands() else f"no command {argv[0]!r}"
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return err.getvalue().strip().splitlines()[-1]
    return None
