"""Findings and coverage gaps: what an audit reports."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import Field

from auditor.ids import ArmId
from auditor.model.base import Frozen


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 is the most severe."""
        return {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}[self]


FAIL_ON_NEVER = "never"


def reaches(severity: Severity | str, fail_on: str) -> bool:
    """Whether a finding of `severity` reaches the threshold `fail_on` (a severity, or "never"):
    what makes `--fail-on` exit 1 and what a JUnit report counts as a failure."""
    if fail_on == FAIL_ON_NEVER:
        return False
    return Severity(severity).rank <= Severity(fail_on).rank


class Violation(Frozen):
    """What a rule yields: the engine turns it into a `Finding`."""

    message: str
    resources: tuple[ArmId, ...]
    evidence: dict[str, Any] = Field(default_factory=dict)
    key: str = Field("", description="Distinguishes findings of one rule on the same resources (a prefix).")
    severity: Severity | None = Field(
        None, description="This finding's severity when it differs from the rule's (documented in the rule)."
    )


class CoverageGap(Frozen):
    """Something the audit could not see, and what it could therefore not evaluate."""

    kind: str
    resource: str
    detail: str
    rules: tuple[str, ...] = ()
    feature: str | None = Field(
        None, description="For kind `unmodelled`: the feature azroute does not model."
    )

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (self.kind, self.resource.lower(), self.detail)


class Finding(Frozen):
    rule: str
    name: str
    severity: Severity
    message: str
    resources: tuple[ArmId, ...]
    evidence: dict[str, Any]
    fingerprint: str

    @property
    def sort_key(self) -> tuple[int, str, tuple[str, ...], str]:
        return (self.severity.rank, self.rule, tuple(r.key for r in self.resources), self.fingerprint)


def fingerprint(rule: str, resources: tuple[ArmId, ...], key: str) -> str:
    """Stable across runs, machines and message wording: rule, resources (case-folded), key."""
    material = "\n".join([rule, *sorted(r.key for r in resources), key])
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def make_finding(rule: str, name: str, severity: Severity, violation: Violation) -> Finding:
    resources = tuple(dict.fromkeys(violation.resources))
    return Finding(
        rule=rule,
        name=name,
        severity=violation.severity or severity,
        message=violation.message,
        resources=resources,
        evidence=violation.evidence,
        fingerprint=fingerprint(rule, resources, violation.key),
    )
