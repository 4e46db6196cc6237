"""The rule engine: rule base class, rule discovery, and the runner.

Rules are classes (cfn-lint style) whose docstring is their documentation (ruff style); their
API is `auditor.rule_api`. Rule packs are modules exposing `RULES`; they are discovered through
the `azure_route_auditor.rules` entry-point group, and tests can pass packs in directly.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from auditor.config import Suppression, rule_matches
from auditor.coverage import fold_gap_findings, snapshot_gaps
from auditor.findings import CoverageGap, Finding, Severity, Violation, make_finding
from auditor.gcpause import building
from auditor.intents import IntentStatus, intent_statuses
from auditor.model import Snapshot
from auditor.rule_api import ENTRY_POINT_GROUP, Rule, RuleContext, RuleFixtures
from auditor.triage import override_severity, suppress

RULE_ID = re.compile(r"^[A-Z]{3}\d{3}$")
DOC_HEADINGS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Remediation",
    "## References",
)


class RuleLoadError(Exception):
    pass


def builtin_pack() -> ModuleType:
    pack = importlib.import_module("rules")
    if getattr(pack, "PACK", None) != "azroute-builtin":
        raise RuleLoadError(
            "the imported 'rules' package is not azure-route-auditor's rule pack "
            f"(found {getattr(pack, '__file__', '?')}); another distribution shadows it"
        )
    return pack


def discover_packs() -> list[ModuleType]:
    packs: list[ModuleType] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name != "builtin", e.name)):
        packs.append(builtin_pack() if ep.value == "rules" else ep.load())
    if not packs:  # running from a source tree that was never installed
        packs.append(builtin_pack())
    return packs


def load_rules(packs: Sequence[ModuleType] | None = None) -> list[type[Rule]]:
    found: dict[str, type[Rule]] = {}
    for pack in packs if packs is not None else discover_packs():
        for rule in getattr(pack, "RULES", ()):
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise RuleLoadError(f"{pack.__name__}.RULES holds {rule!r}, which is not a Rule")
            if not RULE_ID.match(rule.id):
                raise RuleLoadError(f"rule id {rule.id!r} is not three capitals and three digits")
            if rule.id in found and found[rule.id] is not rule:
                raise RuleLoadError(f"rule id {rule.id} is defined twice")
            found[rule.id] = rule
    return [found[k] for k in sorted(found)]


def select_rules(
    rules: Sequence[type[Rule]], select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[type[Rule]]:
    """`--select`/`--ignore` by id or id prefix (`TRN`, `PRF001`)."""

    def matches(rule: type[Rule], patterns: Sequence[str]) -> bool:
        return any(rule_matches(rule.id, p) for p in patterns)

    chosen = [r for r in rules if not select or matches(r, select)]
    return [r for r in chosen if not matches(r, ignore)]


__all__ = [
    "ENTRY_POINT_GROUP",
    "AuditResult",
    "Rule",
    "RuleContext",
    "RuleFixtures",
    "RuleLoadError",
    "load_rules",
    "run",
    "select_rules",
]

CRASH_RULE, CRASH_NAME = "ENG001", "rule-crashed"


@dataclass
class AuditResult:
    findings: list[Finding]
    gaps: list[CoverageGap]
    rules_run: list[str] = field(default_factory=list)
    accepted: list[tuple[CoverageGap, str]] = field(default_factory=list)  # (gap, why it is accepted)
    # fingerprint -> what the report adds to a finding: "suppression" ({reason, expires, source}),
    # "baseline" ("new" | "known"); such findings stay in the report and count for nothing
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)
    baseline: dict[str, int] | None = None  # new / known / resolved, with --baseline
    # each intent of --intent FILE and its outcome (auditor.intents.intent_statuses), in file order
    intents: list[tuple[str, IntentStatus]] = field(default_factory=list)
    # what each rule yielded, by rule id, before severities, suppressions and merging: what an
    # incremental diff's AFTER reuses (`Reuse`)
    produced: dict[str, tuple[Violation | CoverageGap, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def counts(self, finding: Finding) -> bool:
        """Whether a finding counts for --fail-on and the summary's severity counts."""
        mark = self.marks.get(finding.fingerprint, {})
        return "suppression" not in mark and mark.get("baseline") != "known"

    def counted(self) -> list[Finding]:
        return [f for f in self.findings if self.counts(f)]


def _add_to_feature_gap(gaps: dict[tuple[str, str, str], CoverageGap], item: CoverageGap) -> None:
    """A rule's `unmodelled` gap on a resource whose feature already has one (a conclusion the rule
    leaves to that gap, such as TRN008's overlap across a NAT'd connection) adds its detail and its
    rules to that gap: one gap per resource and feature."""
    key = next(
        (
            k
            for k, gap in gaps.items()
            if (gap.kind, gap.feature, gap.resource.lower())
            == (item.kind, item.feature, item.resource.lower())
        ),
        None,
    )
    if key is None:
        gaps[item.sort_key] = item
        return
    gap = gaps.pop(key)
    merged = gap.model_copy(
        update={
            "detail": gap.detail if item.detail in gap.detail else f"{gap.detail}; {item.detail}",
            "rules": tuple(sorted({*gap.rules, *item.rules})),
        }
    )
    gaps[merged.sort_key] = merged


@dataclass(frozen=True)
class Reuse:
    """What an incremental diff's AFTER takes from BEFORE: `produced`, what each rule yielded on
    BEFORE; `endpoints`, the endpoints whose answers the change can move (lower-case names; no site
    among them, `auditor/change.py`). A rule of scope "endpoint" keeps BEFORE's findings of every
    other endpoint and is evaluated only for these; every other rule is evaluated in full."""

    produced: Mapping[str, Sequence[Violation | CoverageGap]]
    endpoints: frozenset[str]

    def findings(self, rule: type[Rule]) -> list[Violation] | None:
        """BEFORE's findings the rule keeps, or None when it must be evaluated in full."""
        before = self.produced.get(rule.id)
        if rule.scope != "endpoint" or before is None or any(isinstance(v, CoverageGap) for v in before):
            return None
        return [v for v in before if isinstance(v, Violation) and v.key.lower() not in self.endpoints]


def _produce(rule_cls: type[Rule], ctx: RuleContext, reuse: Reuse | None) -> list[Violation | CoverageGap]:
    kept = reuse.findings(rule_cls) if reuse is not None else None
    if kept is None:
        return list(rule_cls().check(ctx))
    ctx.endpoints = reuse.endpoints if reuse is not None else None
    return [*kept, *rule_cls().check(ctx)]


@building()  # rules build the snapshot's shared tables and indexes, long-lived
def run(
    snapshot: Snapshot,
    rules: Sequence[type[Rule]],
    options: Mapping[str, Mapping[str, Any]] | None = None,
    intents: Sequence[Any] = (),
    accept_unmodelled: Mapping[str, str] | None = None,
    severity: Mapping[str, Severity] | None = None,
    suppressions: Sequence[Suppression] = (),
    today: dt.date | None = None,
    reuse: Reuse | None = None,
) -> AuditResult:
    """Run the rules; `options` maps a rule id to that rule's options; `accept_unmodelled` maps an
    unmodelled feature the user accepts to the reason (its gaps go to `accepted`); `reuse`: what
    an incremental diff keeps of BEFORE's answers."""
    findings: dict[str, Finding] = {}
    produced_by: dict[str, tuple[Violation | CoverageGap, ...]] = {}
    gaps: dict[tuple[str, str, str], CoverageGap] = {g.sort_key: g for g in snapshot_gaps(snapshot)}
    for rule_cls in rules:
        try:
            ctx = RuleContext(snapshot, (options or {}).get(rule_cls.id, {}), tuple(intents))
            produced = _produce(rule_cls, ctx, reuse)
            produced_by[rule_cls.id] = tuple(produced)
        except Exception as exc:  # a broken rule must not take the audit down
            where = traceback.extract_tb(exc.__traceback__)[-1]
            violation = Violation(
                message=f"rule {rule_cls.id} ({rule_cls.name}) crashed and was not evaluated: "
                f"{type(exc).__name__}: {exc} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})",
                resources=(),
                evidence={"rule": rule_cls.id, "exception": type(exc).__name__},
                key=rule_cls.id,
            )
            crash = make_finding(CRASH_RULE, CRASH_NAME, Severity.ERROR, violation)
            findings[crash.fingerprint] = crash
            gap = CoverageGap(
                kind="rule-crashed", resource=rule_cls.id, detail=str(exc), rules=(rule_cls.id,)
            )
            gaps[gap.sort_key] = gap
            continue
        for item in produced:
            if isinstance(item, CoverageGap):
                key = item.sort_key
                if item.kind == "unmodelled" and item.feature is not None:
                    _add_to_feature_gap(gaps, item)
                elif key in gaps:
                    merged = tuple(sorted(set(gaps[key].rules) | set(item.rules)))
                    gaps[key] = gaps[key].model_copy(update={"rules": merged})
                else:
                    gaps[key] = item
            else:
                finding = make_finding(rule_cls.id, rule_cls.name, rule_cls.severity, item)
                findings[finding.fingerprint] = finding
    findings, gaps = fold_gap_findings(snapshot, findings, gaps)  # only a gap's consequence: in the gap
    accept = accept_unmodelled or {}
    accepted = [
        (gaps[k], accept[gaps[k].feature or ""]) for k in sorted(gaps) if (gaps[k].feature or "") in accept
    ]
    ordered = override_severity(findings.values(), severity or {})
    triage = suppress(ordered, suppressions, today or dt.date.today())
    rules_run = [r.id for r in rules]
    return AuditResult(
        intents=intent_statuses(intents, findings.values(), gaps.values(), rules_run),
        findings=sorted(override_severity(triage.findings, severity or {}), key=lambda f: f.sort_key),
        marks=triage.marks,
        gaps=[gaps[k] for k in sorted(gaps) if (gaps[k].feature or "") not in accept],
        rules_run=rules_run,
        accepted=accepted,
        produced=produced_by,
    )
