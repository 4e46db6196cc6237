"""Configuration: `.azroute.toml`, `[tool.azroute]` in `pyproject.toml`, or `--config FILE`.

Discovery: the nearest directory from the current one upwards that holds either file gives the
project's configuration (both in one directory is an error). The walk stops at the nearest
directory holding `.git` (a directory, or a file in a worktree or submodule), the project's root;
with no such directory it looks in the current directory only. It never reads a file inside a
snapshot directory (one holding `fixture.json`, or an input snapshot given on the command line).
`--no-config` or `AZROUTE_NO_CONFIG=1` turns discovery off. `--config FILE` is laid over the
discovered file and the command line over both. The files applied are named (`Config.files`,
relative to the current directory) on stderr, in the JSON report and in SARIF.

Paths in a file (baseline, intent) are relative to that file's directory. Rule ids and prefixes
are checked everywhere they appear: an unknown one is an error naming close matches.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.findings import Severity
from auditor.suggest import did_you_mean

LOCAL = ".azroute.toml"
PYPROJECT = "pyproject.toml"
ROOT_MARKER = ".git"  # the project's root: a directory, or a file (worktrees, submodules)
SNAPSHOT_MARKER = "fixture.json"  # auditor.writer.MANIFEST: a snapshot's or an overlay's directory
NO_CONFIG_ENV = "AZROUTE_NO_CONFIG"
KEYS = {
    "select", "ignore", "fail-on", "severity", "options", "suppressions", "baseline", "intent", "accept-unmodelled",
}  # fmt: skip
FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Suppression:
    rule: str
    resource: str  # an ARM id or a glob (`*` within one id segment, `**` across segments)
    reason: str
    expires: dt.date | None
    source: str  # "<file>: suppressions[i]"


@dataclass
class Config:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: str | None = None
    severity: dict[str, Severity] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    suppressions: list[Suppression] = field(default_factory=list)
    baseline: Path | None = None
    intent: Path | None = None
    accept_unmodelled: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # where it came from, lowest precedence first

    def over(self, base: Config) -> Config:
        """This configuration laid over `base`: keys set here win; suppressions add up."""
        return Config(
            select=self.select or base.select,
            ignore=self.ignore or base.ignore,
            fail_on=self.fail_on or base.fail_on,
            severity={**base.severity, **self.severity},
            options={**base.options, **self.options},
            suppressions=[*base.suppressions, *self.suppressions],
            baseline=self.baseline or base.baseline,
            intent=self.intent or base.intent,
            accept_unmodelled=self.accept_unmodelled or base.accept_unmodelled,
            files=[*base.files, *self.files],
        )


def rule_matches(rule_id: str, pattern: str) -> bool:
    """A rule id or prefix names this rule (`TRN` and `TRN001` name TRN001), case-insensitively."""
    return bool(pattern.strip()) and rule_id.upper().startswith(pattern.strip().upper())


def split_list(values: Iterable[str]) -> list[str]:
    """`--select PRF001,ASY --select TRN` -> ["PRF001", "ASY", "TRN"]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def check_rule_refs(
    refs: Sequence[str], known: Sequence[str], file: str, where: str, indexed: bool = True
) -> None:
    """Each ref must be a rule id or a prefix of one (case-insensitive)."""
    ids = [k.upper() for k in known]
    for i, ref in enumerate(refs):
        if any(rule_matches(k, ref) for k in ids):
            continue
        candidates = sorted({*ids, *(k[:3] for k in ids)})
        hint = did_you_mean(ref.upper(), candidates, n=3) + " (`azroute rules` lists them)"
        if file.startswith("--"):  # a command-line option: the option names the place
            raise InputError(file, repr(ref), f"no rule or rule prefix{hint}")
        path = f"{where}[{i}]" if indexed else where
        raise InputError(file, path, f"no rule or rule prefix {ref!r}{hint}")


def project_root(start: Path) -> Path | None:
    """The project's root: the nearest of `start` and its parents holding `.git` (git's top level of
    a checkout, a worktree or a submodule), or None outside any."""
    return next((folder for folder in (start, *start.parents) if (folder / ROOT_MARKER).exists()), None)


def search_path(start: Path, snapshots: Sequence[Path] = ()) -> list[Path]:
    """The directories discovery looks in, nearest first: `start` and its parents up to the nearest
    one holding `.git` (only `start` when none does), without any directory that is or is inside a
    snapshot (`snapshots`, or one holding `fixture.json`)."""
    chain = [start, *start.parents]
    root = project_root(start)
    chain = chain[: chain.index(root) + 1] if root is not None else chain[:1]
    inside = [s.resolve() for s in snapshots]
    outermost = max(
        (
            i
            for i, folder in enumerate(chain)
            if (folder / SNAPSHOT_MARKER).is_file() or any(folder == s for s in inside)
        ),
        default=-1,
    )
    return chain[outermost + 1 :]


def discover(start: Path, snapshots: Sequence[Path] = ()) -> Path | None:
    """The nearest `.azroute.toml`, or `pyproject.toml` with `[tool.azroute]`, in `search_path`."""
    for folder in search_path(start, snapshots):
        local = folder / LOCAL
        project = folder / PYPROJECT
        has_project = project.is_file() and "azroute" in _tool(_read(project))
        if local.is_file() and has_project:
            raise InputError(
                display(local),
                "$",
                f"both {LOCAL} and [tool.azroute] in {display(project)} configure azroute; keep one",
            )
        if local.is_file():
            return local
        if has_project:
            return project
    return None


def display(file: Path) -> str:
    """How a configuration file is named: relative to the current directory, `/`-separated."""
    try:
        return Path(os.path.relpath(file)).as_posix()
    except ValueError:  # another drive (Windows)
        return str(file)


def disabled() -> bool:
    """`AZROUTE_NO_CONFIG` set to anything but empty or `0`: no configuration is discovered."""
    return os.environ.get(NO_CONFIG_ENV, "").strip() not in ("", "0")


def _read(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(display(file), "$", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8
        raise InputError(display(file), "$", f"not valid TOML: not UTF-8 (byte {exc.start})") from None
    except RecursionError:  # tomllib's parser recurses once per nested array or inline table
        raise InputError(display(file), "$", "not valid TOML: arrays or tables nested too deeply") from None
    except OSError as exc:
        raise InputError(display(file), "$", f"cannot read: {exc.strerror}") from None


def _tool(raw: dict[str, Any]) -> dict[str, Any]:
    """`[tool]` of a pyproject.toml (empty when it is not a table)."""
    tool = raw.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def load(
    file: Path,
    known_rules: Sequence[str],
    display: str | None = None,
    rule_options: Mapping[str, Mapping[str, type]] | None = None,
) -> Config:
    """One configuration file (a `.azroute.toml`, a `pyproject.toml`, or any TOML named by --config);
    `display` is how messages and suppression sources name it (default: the path as given);
    `rule_options` (rule id -> `Rule.options`), when given, is what `[options.<ID>]` may hold."""
    raw = _read(file)
    prefix = "$"
    if file.name == PYPROJECT:
        raw = _tool(raw).get("azroute", {})
        prefix = "$.tool.azroute"
    name = display or str(file)
    if not isinstance(raw, dict):
        raise InputError(name, prefix, "expected a table")
    for key in raw:
        if key not in KEYS:
            close = difflib.get_close_matches(key, sorted(KEYS), n=1)
            raise InputError(
                name, f"{prefix}.{key}", "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
            )
    config = Config(files=[name])
    base = file.parent
    for key in ("select", "ignore", "accept-unmodelled"):
        if key in raw:
            values = raw[key]
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InputError(name, f"{prefix}.{key}", "expected a list of strings")
            values = split_list(values)
            if key != "accept-unmodelled":
                check_rule_refs(values, known_rules, name, f"{prefix}.{key}")
            setattr(config, key.replace("-", "_"), values)
    if "fail-on" in raw:
        if raw["fail-on"] not in FAIL_ON:
            raise InputError(name, f"{prefix}.fail-on", f"expected one of {', '.join(FAIL_ON)}")
        config.fail_on = raw["fail-on"]
    severity = raw.get("severity", {})
    if not isinstance(severity, dict):
        raise InputError(name, f"{prefix}.severity", "expected a table of RULE = severity")
    for rule, level in severity.items():
        check_rule_refs([rule], known_rules, name, f"{prefix}.severity.{rule}", indexed=False)
        if level not in ("error", "warning", "info"):
            raise InputError(name, f"{prefix}.severity.{rule}", "expected error, warning or info")
        config.severity[rule.upper()] = Severity(level)
    options = raw.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise InputError(name, f"{prefix}.options", "expected [options.RULE] tables")
    for rule, values in options.items():
        check_rule_refs([rule], known_rules, name, f"{prefix}.options.{rule}", indexed=False)
        if rule_options is not None:
            _check_options(rule, values, rule_options, name, f"{prefix}.options.{rule}")
        config.options[rule.upper()] = dict(values)
    for key in ("baseline", "intent"):
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key] or "\0" in raw[key]:
                raise InputError(name, f"{prefix}.{key}", "expected a file path")
            setattr(config, key, base / raw[key])
    suppressions = raw.get("suppressions", [])
    if not isinstance(suppressions, list):
        raise InputError(name, f"{prefix}.suppressions", "expected an array of tables ([[suppressions]])")
    for i, entry in enumerate(suppressions):
        config.suppressions.append(_suppression(entry, name, f"{prefix}.suppressions[{i}]", known_rules))
    return config


def _check_options(
    rule: str, values: Mapping[str, Any], declared: Mapping[str, Mapping[str, type]], file: str, where: str
) -> None:
    """`[options.RULE]` names one rule by its id (the engine gives a rule its own table only) and
    holds only options that rule reads, each of its type."""
    reads = declared.get(rule.upper())
    if reads is None:
        raise InputError(file, where, "options are per rule: name one rule by its id, not a prefix")
    for key, value in values.items():
        kind = reads.get(key)
        if kind is None:
            known = ", ".join(sorted(reads)) or "none"
            raise InputError(
                file, f"{where}.{key}", f"{rule.upper()} has no option {key!r} (its options: {known})"
            )
        fits = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            fits = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not fits:
            raise InputError(file, f"{where}.{key}", f"expected {_KIND_NAMES.get(kind, kind.__name__)}")


_KIND_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _suppression(entry: Any, file: str, where: str, known_rules: Sequence[str]) -> Suppression:
    if not isinstance(entry, dict):
        raise InputError(file, where, "expected a table with rule, resource, reason and optionally expires")
    for key in entry:
        if key not in ("rule", "resource", "reason", "expires"):
            raise InputError(file, f"{where}.{key}", "unknown key (rule, resource, reason, expires)")
    for key in ("rule", "resource", "reason"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise InputError(file, f"{where}.{key}", f"required: a non-empty string ({key})")
    check_rule_refs([entry["rule"]], known_rules, file, f"{where}.rule", indexed=False)
    expires = entry.get("expires")
    if expires is not None:
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise InputError(file, f"{where}.expires", "expected a date (2027-03-31)") from None
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        if not isinstance(expires, dt.date):
            raise InputError(file, f"{where}.expires", "expected a date (2027-03-31)")
    return Suppression(
        entry["rule"].upper(), entry["resource"], entry["reason"].strip(), expires, f"{file}: {where}"
    )


def resolve(
    explicit: Path | None,
    known_rules: Sequence[str],
    cwd: Path | None = None,
    *,
    snapshots: Sequence[Path] = (),
    discovery: bool = True,
    rule_options: Mapping[str, Mapping[str, type]] | None = None,
) -> Config:
    """The project's configuration (discovered unless `discovery` is off or AZROUTE_NO_CONFIG is
    set; never inside `snapshots`) with `--config FILE` laid over it."""
    config = Config()
    found = None
    if discovery and not disabled():
        found = discover((cwd or Path.cwd()).resolve(), snapshots)
    if found is not None:
        config = load(found, known_rules, display=display(found), rule_options=rule_options)
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(str(explicit), "$", "no such configuration file")
        explicit_config = load(explicit, known_rules, display=display(explicit), rule_options=rule_options)
        config = explicit_config.over(config)
    return config


def with_cli(config: Config, **cli: Any) -> Config:
    """Command-line values (those given) over the configuration."""
    given = {k: v for k, v in cli.items() if v not in (None, [], ())}
    return replace(config, **given)
