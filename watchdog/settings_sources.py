"""How the configuration is read: the load context, the environment and secret-file sources, errors.

Split from settings.py (which holds what the configuration *is*): here is how one `load_settings()`
call reads a YAML file, `DRW_` variables and secret files, and how a validation error becomes the
one line an operator sees. The context is a ContextVar set for the duration of one load, so
`Settings(...)` built directly in code reads no environment and no secret directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_settings import EnvSettingsSource, PydanticBaseSettingsSource, YamlConfigSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

ENV_PREFIX = "DRW_"
DEFAULT_SECRETS_DIRS: tuple[str, ...] = ("/run/secrets",)


class ConfigError(Exception):
    """A configuration that cannot be used; `str()` is the one line the CLI prints (never a secret)."""


# --- sources ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadContext:
    """What one `load_settings()` call reads: set for the call only, so `Settings(...)` stays hermetic."""

    yaml_file: Path | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    secrets_dirs: tuple[Path, ...] = ()


_EMPTY_CONTEXT = LoadContext()
_CONTEXT: ContextVar[LoadContext | None] = ContextVar("drw_settings_context", default=None)


def context() -> LoadContext:
    return _CONTEXT.get() or _EMPTY_CONTEXT


class ContextEnvSource(EnvSettingsSource):
    """The environment source, reading the mapping of the current load instead of `os.environ`."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = context().environ
        return parse_env_vars(environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `Model`, `Model | None` or `Annotated[...]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _resolve_key(model: type[BaseModel], tokens: list[str]) -> list[str] | None:
    """Match `secret_key`-style tokens against field names, longest field name first, down the tree."""
    for i in range(len(tokens), 0, -1):
        name = "_".join(tokens[:i])
        if name not in model.model_fields:
            continue
        if i == len(tokens):
            return [name]
        sub = _submodel(model.model_fields[name].annotation)
        rest = _resolve_key(sub, tokens[i:]) if sub is not None else None
        if rest is not None:
            return [name, *rest]
    return None


def _secret_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """(key, file) under `directory`: `cloud_secret_key` or `cloud/secret_key`; hidden entries
    (Kubernetes' `..data` links) and files resolving outside the directory are skipped."""
    root = directory.resolve()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if root not in path.resolve().parents:
            continue
        yield "_".join(rel.parts).lower(), path


class SecretFilesSource(PydanticBaseSettingsSource):
    """Secrets from files named after the key path, at any depth (`notifications_webhook_secret`).

    The stock nested-secrets source splits on one fixed delimiter, so `cloud_secret_key` and a third
    level cannot both work; here each name is matched against the field tree instead. A file whose
    first part names a section but whose rest matches no key is an error (a typo), other files
    (`tls.crt`) are not ours and are ignored.
    """

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for directory in context().secrets_dirs:
            if directory.is_dir():
                for key, path in _secret_files(directory):
                    self._put(data, key, path)
        return data

    def _put(self, data: dict[str, Any], key: str, path: Path) -> None:
        tokens = key.split("_")
        resolved = _resolve_key(self.settings_cls, tokens)
        if resolved is None:
            if tokens[0] in self.settings_cls.model_fields:
                raise ConfigError(f"config error: secret file {path}: names no configuration key")
            return
        node = data
        for part in resolved[:-1]:
            node = node.setdefault(part, {})
        node[resolved[-1]] = path.read_text(encoding="utf-8").strip()


# --- loading and errors ----------------------------------------------------------------------------


def default_secrets_dirs(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """/run/secrets, then systemd's $CREDENTIALS_DIRECTORY (later directories win)."""
    dirs = [Path(d) for d in DEFAULT_SECRETS_DIRS]
    if environ.get("DRW_SECRETS_DIR"):
        dirs.append(Path(environ["DRW_SECRETS_DIR"]))
    if environ.get("CREDENTIALS_DIRECTORY"):
        dirs.append(Path(environ["CREDENTIALS_DIRECTORY"]))
    return tuple(dirs)


@contextlib.contextmanager
def loading(ctx: LoadContext) -> Iterator[None]:
    token = _CONTEXT.set(ctx)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


# libyaml's safe loader where PyYAML was built with it (the same documents, about 10x faster: a
# 5,000-pair file took 0.66 s per parse, and a start-up parses it twice); else PyYAML's own.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSource(YamlConfigSettingsSource):
    """pydantic-settings' YAML source, reading with `SafeLoader`."""

    def _read_file(self, file_path: Path) -> dict[str, Any]:  # type: ignore[override]
        with file_path.open(encoding=self.yaml_file_encoding or "utf-8") as yaml_file:
            data = yaml.load(yaml_file, Loader=SafeLoader)
        return data or {}


def check_yaml(path: Path) -> None:
    """Fail with one line on a missing file, bad YAML or a document that is not a mapping."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except OSError as exc:
        raise ConfigError(f"config error: {path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config error: {path}: not valid YAML{where}") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"config error: {path}: the top level must be a mapping of sections")


def check_env_names(env: Mapping[str, str], sections: Sequence[str]) -> None:
    """A `DRW_` variable that names no section is a typo, and typos are errors, not silently ignored."""
    known = {name.upper() for name in sections} | {"SECRETS_DIR"}
    for name in sorted(env):
        section = name.upper().removeprefix(ENV_PREFIX).split("__", 1)[0]
        if section not in known:
            raise ConfigError(
                f"config error: {name}: unknown environment variable (no section {section.lower()!r})"
            )


def _loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _reason(err: Mapping[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    reasons = {
        "missing": "required",
        "extra_forbidden": "unknown key",
        "greater_than_equal": f"must be >= {ctx.get('ge')}",
        "greater_than": f"must be > {ctx.get('gt')}",
        "less_than_equal": f"must be <= {ctx.get('le')}",
        "less_than": f"must be < {ctx.get('lt')}",
        "finite_number": "must be a finite number",
        "too_short": "must not be empty",
    }
    if kind in reasons:
        return reasons[kind]
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def format_validation_error(exc: ValidationError) -> str:
    """`config error: policy.failure_threshold: must be >= 1`, one line per error (field and reason,
    in the order pydantic found them, duplicates once); never the input value."""
    lines: list[str] = []
    for err in exc.errors(include_input=False, include_url=False):
        ctx = err.get("ctx") or {}
        path = str(ctx["path"]) if err["type"] == "field" else _loc(err["loc"])
        line = f"config error: {path}: {_reason(err)}"
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)
