"""Intents: what the user says must (or must not) reach what, read from `--intent FILE`.

The file is YAML or JSON (`.json` is read as strict JSON, anything else as YAML):

    intents:
      - name: spoke-reaches-location-1      # required, unique; the finding's fingerprint key
        from: spoke-vnet                    # a glob or a list of globs (case-insensitive) on VNet,
        to: location-*                      #   `vnet/subnet` and site names
        expect: reachable                   # reachable | unreachable | symmetric
        via: [er-1]                         # optional: circuits, connections, gateways, appliance
                                            #   IPs, by name or ARM id, on the forward path

Rule INT001 (`rules/int001_intent_violated.py`) evaluates them against the computed paths. Bad
input is an `InputError` naming the file and the JSON path (`$.intents[2].expect`).
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import InputError

if TYPE_CHECKING:
    from auditor.findings import CoverageGap, Finding


class Expect(StrEnum):
    REACHABLE = "reachable"  # delivered both ways
    UNREACHABLE = "unreachable"  # the forward direction is not delivered
    SYMMETRIC = "symmetric"  # reachable, and both ways take the same circuits, connections, appliances


@dataclass(frozen=True)
class Intent:
    """One intent. `sources` and `destinations` are the globs of `from` and `to`."""

    name: str
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    expect: Expect
    via: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        """The intent as INT001's evidence states it (`intent` is the name)."""
        out: dict[str, Any] = {
            "intent": self.name,
            "from": list(self.sources),
            "to": list(self.destinations),
            "expect": self.expect.value,
        }
        if self.via:
            out["via"] = list(self.via)
        return out

    @property
    def resource(self) -> str:
        """What INT001's coverage gaps about this intent name as their resource."""
        return f"intent {self.name}"


INTENT_RULE = "INT001"  # the rule that evaluates intents


class IntentStatus(StrEnum):
    HELD = "held"  # evaluated on every pair it expands to, and no pair violates it
    VIOLATED = "violated"  # an INT001 finding (suppressed or baseline-known ones too)
    NOT_EVALUATED = "not-evaluated"  # a coverage gap: it matches nothing, is too large, or depends on
    #                                   what azroute cannot see (and nothing seen violates it)
    NOT_CHECKED = "not-checked"  # INT001 did not run (--select, --ignore)


def intent_groups(intents: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(status, intent names in file order) for each status that occurs, the ones to act on first:
    violated, not evaluated, not checked, held."""
    order = list(IntentStatus)
    by_status: dict[str, list[str]] = {}
    for name, status in intents:
        by_status.setdefault(status, []).append(name)
    rank = {s.value: i for i, s in enumerate((order[1], order[2], order[3], order[0]))}
    return sorted(by_status.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def intent_statuses(
    intents: Sequence[Intent],
    findings: Iterable[Finding],
    gaps: Iterable[CoverageGap],
    rules_run: Sequence[str],
) -> list[tuple[str, IntentStatus]]:
    """Each intent's outcome, in the order of the file, from what INT001 reported: a finding whose
    evidence names the intent, or a gap on `intent NAME`; neither means it held."""
    if INTENT_RULE not in rules_run:
        return [(i.name, IntentStatus.NOT_CHECKED) for i in intents]
    violated = {str(f.evidence.get("intent")) for f in findings if f.rule == INTENT_RULE}
    unseen = {g.resource for g in gaps if INTENT_RULE in g.rules}
    return [
        (
            i.name,
            IntentStatus.VIOLATED
            if i.name in violated
            else IntentStatus.NOT_EVALUATED
            if i.resource in unseen
            else IntentStatus.HELD,
        )
        for i in intents
    ]


KEYS = ("name", "from", "to", "expect", "via")


def load_intents(path: Path) -> tuple[Intent, ...]:
    """Read and validate an intent file; `InputError(file, json_path, message)` on bad input."""
    file = str(path)
    if path.suffix.lower() == ".json":
        from auditor.fixture import read_json  # strict JSON: no duplicate keys, bounded nesting

        data = read_json(path)
    else:
        data = _read_yaml(path)
    return parse_intents(data, file)


def parse_intents(data: Any, file: str) -> tuple[Intent, ...]:
    """Validate a parsed intent document (`{"intents": [...]}`)."""
    if not isinstance(data, dict):
        raise InputError(file, "$", f"expected an object with the key 'intents', got {_kind(data)}")
    for key in data:
        if key != "intents":
            raise InputError(file, _at("$", key), f"unknown key {key!r}; the file holds only 'intents'")
    if "intents" not in data:
        raise InputError(file, "$.intents", "required field is missing")
    items = data["intents"]
    if not isinstance(items, list):
        raise InputError(file, "$.intents", f"expected a list of intents, got {_kind(items)}")
    if not items:
        raise InputError(file, "$.intents", "the list is empty: an intent file states at least one intent")
    intents: list[Intent] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        where = f"$.intents[{i}]"
        intent = _intent(item, file, where)
        first = seen.setdefault(intent.name.lower(), i)
        if first != i:
            raise InputError(
                file, f"{where}.name", f"intent name {intent.name!r} is already used by $.intents[{first}]"
            )
        intents.append(intent)
    return tuple(intents)


def _intent(item: Any, file: str, where: str) -> Intent:
    if not isinstance(item, dict):
        raise InputError(file, where, f"expected an intent object, got {_kind(item)}")
    for key in item:
        if key not in KEYS:
            raise InputError(
                file,
                _at(where, key),
                f"unknown key {key!r}; an intent has {', '.join(repr(k) for k in KEYS)}",
            )
    for key in ("name", "from", "to", "expect"):
        if key not in item:
            raise InputError(file, f"{where}.{key}", "required field is missing")
    name = item["name"]
    if not isinstance(name, str) or not name.strip():
        raise InputError(file, f"{where}.name", f"expected a non-empty string, got {_kind(name)}")
    sources = _globs(item["from"], file, f"{where}.from")
    destinations = _globs(item["to"], file, f"{where}.to")
    raw = item["expect"]
    choices = ", ".join(e.value for e in Expect)
    if not isinstance(raw, str) or raw not in {e.value for e in Expect}:
        raise InputError(file, f"{where}.expect", f"expected one of {choices}, got {_kind(raw)}")
    expect = Expect(raw)
    via: tuple[str, ...] = ()
    if "via" in item:
        value = item["via"]
        if not isinstance(value, list):
            raise InputError(file, f"{where}.via", f"expected a list of names or ARM ids, got {_kind(value)}")
        for j, entry in enumerate(value):
            if not isinstance(entry, str) or not entry.strip():
                raise InputError(
                    file, f"{where}.via[{j}]", f"expected a name or an ARM id, got {_kind(entry)}"
                )
        via = tuple(entry.strip() for entry in value)
        if via and expect is Expect.UNREACHABLE:
            raise InputError(
                file,
                f"{where}.via",
                "'via' names what the forward path passes: it needs reachable or symmetric",
            )
    return Intent(name.strip(), sources, destinations, expect, via)


def _globs(value: Any, file: str, where: str) -> tuple[str, ...]:
    """A glob or a non-empty list of globs, none empty."""
    if isinstance(value, str):
        if not value.strip():
            raise InputError(file, where, "expected a network name or glob, got an empty string")
        return (value.strip(),)
    if not isinstance(value, list):
        raise InputError(
            file, where, f"expected a network name or glob, or a list of them, got {_kind(value)}"
        )
    if not value:
        raise InputError(file, where, "the list is empty: name at least one network or glob")
    for j, entry in enumerate(value):
        if not isinstance(entry, str) or not entry.strip():
            raise InputError(file, f"{where}[{j}]", f"expected a network name or glob, got {_kind(entry)}")
    return tuple(entry.strip() for entry in value)


def _read_yaml(path: Path) -> Any:
    import yaml

    file = str(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise InputError(file, "$", "not a regular file")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(file, "$", f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(file, "$", "file is not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_strict_loader())  # a SafeLoader subclass
    except _DuplicateKey as exc:
        raise InputError(file, "$", f"duplicate key {exc.key!r} in one mapping at line {exc.line}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "not YAML"
        raise InputError(file, "$", f"invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(file, "$", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(file, "$", "YAML nested too deeply") from None


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


@cache
def _strict_loader() -> type[Any]:
    """Built on first use, so that importing this module (every rule does) does not import yaml."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """`yaml.safe_load`, but a mapping with the same key twice is an error (not last-wins)."""

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[object] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                except TypeError:  # an unhashable key: SafeLoader reports it
                    break
                if duplicate:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _at(base: str, key: object) -> str:
    text = str(key)
    return f"{base}.{text}" if text.isidentifier() else f"{base}[{text!r}]"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {value!r}" if len(value) <= 40 else f"string {value[:37]!r}..."
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


__all__ = ["Expect", "Intent", "load_intents", "parse_intents"]
