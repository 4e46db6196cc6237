"""What counts of an audit's findings: severity overrides, suppressions (with expiry) and a baseline.

Suppressed and baseline-known findings stay in the report, marked; they do not count for
`--fail-on`. An expired suppression stops suppressing and is itself a finding (CFG001), and so is
one that matched nothing (CFG002); both are evaluated here, after the other rules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.config import Suppression, rule_matches
from auditor.errors import InputError
from auditor.findings import Finding, Severity, Violation, make_finding

EXPIRED = ("CFG001", "suppression-expired")
UNUSED = ("CFG002", "suppression-unused")


@dataclass(frozen=True)
class _Glob:
    """A glob as a bit-parallel automaton: bit `i` of a state is "the first `i` tokens matched";
    a token is a literal character, `*` (any run without `/`) or `**` (any run). Runs of stars are
    one token (`**` if the run holds two stars together, else `*`)."""

    literal: str | None  # the glob itself when it has no wildcard
    prefix: str  # the literal text before the first wildcard (an id must start with it)
    suffix: str  # and after the last one (an id must end with it)
    size: int  # tokens
    chars: dict[str, int]  # character -> the literal tokens that are it
    stars: int  # the wildcard tokens
    any_stars: int  # the `**` tokens (they also take a `/`)


@lru_cache(maxsize=256)
def _glob(glob: str) -> _Glob:
    text = glob.lower()  # ArmId's own case rule
    parts = re.split(r"(\*+)", text)
    if len(parts) == 1:
        return _Glob(text, text, "", len(text), {}, 0, 0)
    chars: dict[str, int] = {}
    stars = any_stars = 0
    size = 0
    for i, part in enumerate(parts):
        if i % 2:  # a run of stars: `**` anywhere in it crosses segments
            stars |= 1 << size
            any_stars |= (1 << size) if len(part) > 1 else 0
            size += 1
            continue
        for char in part:
            chars[char] = chars.get(char, 0) | 1 << size
            size += 1
    return _Glob(None, parts[0], parts[-1], size, chars, stars, any_stars)


def resource_matches(glob: str, resource: str) -> bool:
    """An ARM id, or a glob with `*` inside one id segment and `**` across segments (case-insensitive).

    Simulated one character at a time (no backtracking: a glob of many wildcards cannot make a
    match take exponential time, as the regular expression it once became did)."""
    g = _glob(glob)
    text = resource.lower()
    if g.literal is not None:
        return text == g.literal
    if not (text.startswith(g.prefix) and text.endswith(g.suffix)) or len(text) < len(g.prefix) + len(
        g.suffix
    ):
        return False
    stars, any_stars, chars = g.stars, g.any_stars, g.chars
    state = 1 | (1 & stars) << 1
    for char in text:
        state = (state & chars.get(char, 0)) << 1 | state & (any_stars if char == "/" else stars)
        if not state:
            return False
        state |= (state & stars) << 1
    return bool(state >> g.size & 1)


def override_severity(findings: Iterable[Finding], overrides: Mapping[str, Severity]) -> list[Finding]:
    """`[severity] ERC002 = "info"`: the most specific key (longest prefix) wins."""
    out = []
    for finding in findings:
        keys = sorted((k for k in overrides if rule_matches(finding.rule, k)), key=len)
        out.append(finding.model_copy(update={"severity": overrides[keys[-1]]}) if keys else finding)
    return out


@dataclass
class Triage:
    findings: list[Finding]
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint -> report annotations


def suppress(findings: Sequence[Finding], suppressions: Sequence[Suppression], today: dt.date) -> Triage:
    triage = Triage(list(findings))
    extra: list[Finding] = []
    for s in suppressions:
        evidence = {"rule": s.rule, "resource": s.resource, "reason": s.reason, "source": s.source}
        if s.expires is not None:
            evidence["expires"] = s.expires.isoformat()
        key = f"{s.rule}|{s.resource.lower()}|{s.expires}"
        if s.expires is not None and s.expires < today:
            message = (
                f"suppression of {s.rule} on {s.resource} expired on {s.expires.isoformat()} ({s.source}); "
                "its findings count again"
            )
            extra.append(
                make_finding(
                    *EXPIRED,
                    Severity.INFO,
                    Violation(message=message, resources=(), evidence=evidence, key=key),
                )
            )
            continue
        matched = [
            f
            for f in findings
            if rule_matches(f.rule, s.rule) and any(resource_matches(s.resource, str(r)) for r in f.resources)
        ]
        for f in matched:
            triage.marks.setdefault(f.fingerprint, {}).setdefault(
                "suppression",
                {
                    "reason": s.reason,
                    "expires": s.expires.isoformat() if s.expires else None,
                    "source": s.source,
                },
            )
        if not matched:
            message = f"suppression of {s.rule} on {s.resource} ({s.source}) matches no finding; remove it"
            extra.append(
                make_finding(
                    *UNUSED,
                    Severity.INFO,
                    Violation(message=message, resources=(), evidence=evidence, key=key),
                )
            )
    triage.findings = sorted([*findings, *extra], key=lambda f: f.sort_key)
    return triage


def read_baseline(file: Path) -> set[str]:
    """Fingerprints of a previous JSON report (`azroute audit --format json`, or --write-baseline)."""
    from auditor.fixture import read_json

    doc = read_json(file)
    if not isinstance(doc, dict) or doc.get("schema") != "azroute.report/1":
        raise InputError(
            str(file), "$.schema", "a baseline is a JSON report of azroute audit (azroute.report/1)"
        )
    items = doc.get("findings")
    if not isinstance(items, list):
        raise InputError(str(file), "$.findings", "expected an array")
    out = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise InputError(str(file), f"$.findings[{i}].fingerprint", "expected a string")
        out.add(item["fingerprint"])
    return out


def apply_baseline(
    findings: Sequence[Finding], marks: dict[str, dict[str, Any]], known: set[str]
) -> dict[str, int]:
    """Mark each finding new or known; the counts new / known / resolved."""
    current = {f.fingerprint for f in findings}
    for f in findings:
        marks.setdefault(f.fingerprint, {})["baseline"] = "known" if f.fingerprint in known else "new"
    new = sum(1 for f in findings if f.fingerprint not in known)
    return {"new": new, "known": len(current) - new, "resolved": len(known - current)}
