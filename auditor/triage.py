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


@lru_cache(maxsize=256)
def _pattern(glob: str) -> re.Pattern[str]:
    out = []
    for token in re.split(r"(\*\*|\*)", glob):
        out.append({"**": ".*", "*": "[^/]*"}.get(token, re.escape(token)))
    return re.compile("".join(out), re.IGNORECASE)


def resource_matches(glob: str, resource: str) -> bool:
    """An ARM id, or a glob with `*` inside one id segment and `**` across segments (case-insensitive)."""
    return _pattern(glob).fullmatch(resource) is not None


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
