"""What every output format shares: its input, the rules behind the findings, and how a finding counts."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from auditor.model import Snapshot
from auditor.rule_api import Rule

SEVERITIES = ("error", "warning", "info")


T = TypeVar("T")


@dataclass(frozen=True)
class FormatInput:
    """What a renderer reads.

    `report`: `auditor.report.report_dict(snapshot, result)` (schema `azroute.report/1`); a finding
    may carry `suppression` ({reason, expires, source}) and `baseline` ("new" | "known").
    `rules`: the rules that ran (their documentation becomes SARIF's rule help; JUnit gives each one
    a test suite, passing when it found nothing). `root`: the directory SARIF's file URIs are
    relative to (`%SRCROOT%`); the current directory when None. `fail_on`: the audit's `--fail-on`
    ("error", "warning", "info" or "never"): JUnit fails exactly the findings that reach it."""

    report: Mapping[str, Any]
    snapshot: Snapshot
    rules: Sequence[type[Rule]] = ()
    root: Path | None = None
    fail_on: str = "error"
    max_chars: int = 60_000  # Markdown: the character budget (`mdwriter.DEFAULT_MAX_CHARS`)

    def findings(self) -> list[dict[str, Any]]:
        return [f for f in self.report.get("findings", []) if isinstance(f, dict)]

    def gaps(self) -> list[dict[str, Any]]:
        return [g for g in self.report.get("coverage", {}).get("gaps", []) if isinstance(g, dict)]

    def accepted(self) -> list[dict[str, Any]]:
        return [g for g in self.report.get("coverage", {}).get("accepted", []) if isinstance(g, dict)]

    def intents(self) -> list[tuple[str, str]]:
        """(name, status) of each intent of `--intent FILE`, in file order (none without one)."""
        return [
            (str(i.get("name", "")), str(i.get("status", "")))
            for i in self.report.get("intents", [])
            if isinstance(i, dict)
        ]

    def snapshot_name(self) -> str:
        return str(self.report.get("snapshot", {}).get("name", self.snapshot.name))

    def tool_version(self) -> str:
        return str(self.report.get("tool", {}).get("version", ""))


# -- one finding -----------------------------------------------------------------------------------


def suppression(finding: Mapping[str, Any]) -> dict[str, Any] | None:
    mark = finding.get("suppression")
    return mark if isinstance(mark, dict) else None


def baseline(finding: Mapping[str, Any]) -> str | None:
    """ "new" | "known", or None when the audit had no baseline."""
    mark = finding.get("baseline")
    return mark if isinstance(mark, str) else None


def counts(finding: Mapping[str, Any]) -> bool:
    """Whether the finding counts (for --fail-on, JUnit failures): neither suppressed nor known."""
    return suppression(finding) is None and baseline(finding) != "known"


def status(finding: Mapping[str, Any]) -> str:
    """One short phrase: `suppressed: <reason> (until <date>)`, `known`, `new`, or ""."""
    mark = suppression(finding)
    if mark is not None:
        until = f" (until {mark['expires']})" if mark.get("expires") else ""
        return f"suppressed: {mark.get('reason') or 'no reason given'}{until}"
    return baseline(finding) or ""


def resources(finding: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in finding.get("resources", [])]


def resource_name(resource_id: str) -> str:
    """The last segment of an ARM id (its name)."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1] or resource_id


def by_severity(findings: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SEVERITIES}
    for f in findings:
        out.setdefault(str(f.get("severity", "")), []).append(f)
    return out


# -- the rules behind the findings -------------------------------------------------------------------

# Findings the engine itself makes, with no rule class in the catalogue behind them.
ENGINE_RULES: dict[str, tuple[str, str, str]] = {
    "ENG001": (
        "rule-crashed",
        "A rule raised an exception and was not evaluated.",
        """A rule raised an exception and was not evaluated.

        ## What it does
        azroute runs every rule in isolation. When a rule crashes, the audit goes on; the crash is
        reported as this finding (with the exception and where it was raised) and as a coverage gap
        of kind `rule-crashed`: what the rule checks was not checked.

        ## Remediation
        Report the crash with the message of this finding, and audit again with a fixed rule pack.
        Until then, treat what the rule checks as unknown.""",
    ),
}


@dataclass(frozen=True)
class RuleInfo:
    id: str
    name: str
    severity: str
    summary: str
    docs: str
    references: tuple[str, ...]
    builtin: bool = False  # azroute's own (documented in the repository's docs/rules.md)


def _builtin_rules() -> set[type[Rule]]:
    from auditor.engine import RuleLoadError, builtin_pack

    try:
        return set(getattr(builtin_pack(), "RULES", ()))
    except RuleLoadError:
        return set()


def rule_infos(rules: Sequence[type[Rule]], findings: Iterable[Mapping[str, Any]]) -> list[RuleInfo]:
    """The rules given, plus one entry for each rule id a finding names that they lack (engine
    findings such as ENG001, or a rule left out of `rules`), sorted by id."""
    out: dict[str, RuleInfo] = {}
    builtin = _builtin_rules()
    for rule in rules:
        out[rule.id] = RuleInfo(
            rule.id,
            rule.name,
            rule.severity.value,
            rule.summary,
            rule.docs(),
            tuple(rule.references()),
            builtin=rule in builtin,
        )
    for f in findings:
        rid = str(f.get("rule", ""))
        if not rid or rid in out:
            continue
        name, summary, docs = ENGINE_RULES.get(
            rid,
            (
                str(f.get("name", rid)),
                f"Reported by azroute as {rid} ({f.get('name', '')}).",
                f"Reported by azroute as {rid} ({f.get('name', '')}); this rule is not in the catalogue "
                "given to the report. `azroute rules` lists and documents the installed rules.",
            ),
        )
        out[rid] = RuleInfo(rid, name, str(f.get("severity", "warning")), summary, inspect.cleandoc(docs), ())
    return [out[k] for k in sorted(out)]


GROUP_OVER = 5  # a rule with more findings than this is one row in the table and the Markdown


def grouped_by_rule(findings: Iterable[T], rule_of: Callable[[T], str]) -> list[list[T]]:
    """Findings grouped by rule, in the order each rule first appears (the list's order: severity
    first), so that 300 near-identical findings of one rule read as one row and the findings of
    other rules stay on the first screen."""
    groups: dict[str, list[T]] = {}
    for finding in findings:
        groups.setdefault(rule_of(finding), []).append(finding)
    return list(groups.values())


def fired(findings: Iterable[T], rule_of: Callable[[T], str]) -> str:
    """`ASY002 x300, TRN001 x1`: every rule that fired with its count, in the list's order."""
    return ", ".join(f"{rule_of(g[0])} x{len(g)}" for g in grouped_by_rule(findings, rule_of))
