"""Rendering an audit: JSON (the stable, golden-file format) and a terminal table."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from auditor import __version__
from auditor.engine import AuditResult
from auditor.findings import Finding, Severity
from auditor.formats.common import GROUP_OVER, fired, grouped_by_rule
from auditor.intents import intent_groups
from auditor.model import Snapshot
from auditor.textsafe import escape, escape_cells, escape_json

REPORT_SCHEMA = "azroute.report/1"


def finding_dict(f: Finding, marks: dict[str, Any] | None = None) -> dict[str, Any]:
    """One finding as `azroute.report/1` gives it (also used by `azroute.diff/1`); `marks` adds
    `suppression` and `baseline` when the finding is suppressed or a baseline was given."""
    return {
        "rule": f.rule,
        "name": f.name,
        "severity": f.severity.value,
        "message": f.message,
        "resources": [str(r) for r in f.resources],
        "evidence": f.evidence,
        "fingerprint": f.fingerprint,
        **(marks or {}),
    }


def report_dict(snapshot: Snapshot, result: AuditResult, configuration: Sequence[str] = ()) -> dict[str, Any]:
    """The `azroute.report/1` dict; `configuration`: the configuration files applied, lowest
    precedence first, as the command line names them (`summary.configuration`)."""
    counts = Counter(f.severity for f in result.counted())
    extra: dict[str, Any] = {}
    if result.baseline is not None:
        extra["baseline"] = result.baseline
    return {
        "schema": REPORT_SCHEMA,
        "tool": {"name": "azroute", "version": __version__},
        "snapshot": {"name": snapshot.name, "source": snapshot.source},
        "findings": [finding_dict(f, result.marks.get(f.fingerprint)) for f in result.findings],
        "intents": [{"name": name, "status": status.value} for name, status in result.intents],
        "coverage": {
            "complete": not result.gaps,
            "gaps": [g.model_dump(mode="json", exclude_none=True) for g in result.gaps],
            "accepted": [
                {**g.model_dump(mode="json", exclude_none=True), "reason": reason}
                for g, reason in result.accepted
            ],
        },
        "summary": {
            "findings": len(result.findings),
            **{s.value: counts.get(s, 0) for s in Severity},
            "suppressed": sum(1 for m in result.marks.values() if "suppression" in m),
            "configuration": list(configuration),
            **extra,
            "rulesRun": len(result.rules_run),
            "resources": sum(v for k, v in snapshot.inventory().items() if not k.startswith("observations.")),
            "skippedResourceTypes": snapshot.skipped_types,
        },
    }


def render_json(data: dict[str, Any]) -> str:
    """UTF-8 kept readable (ensure_ascii=False), but control, bidi and C1 characters inside strings
    written as a `\\u` escape with four hex digits, e.g. `\\u202e` (auditor.textsafe.escape_json): still valid JSON, loading to the same values."""
    return escape_json(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _severity_cell(result: AuditResult, finding: Finding) -> str:
    mark = result.marks.get(finding.fingerprint, {})
    if "suppression" in mark:
        return f"{finding.severity.value} (suppressed)"
    if mark.get("baseline") == "known":
        return f"{finding.severity.value} (known)"
    return finding.severity.value


def render_table(snapshot: Snapshot, result: AuditResult) -> str:
    """The terminal table: a line naming every rule that fired with its count, the findings (a rule
    with more than `GROUP_OVER` findings as one row), the coverage gaps, the summary line."""
    lines = [f"azroute audit: {escape(snapshot.name)} ({len(result.rules_run)} rules)"]
    if result.findings:
        lines.append(escape(f"Rules that fired: {fired(result.findings, lambda f: f.rule)}"))
        table: list[list[str]] = []
        for group in grouped_by_rule(result.findings, lambda f: f.rule):
            if len(group) <= GROUP_OVER:
                table += [[_severity_cell(result, f), f.rule, f.name, f.message] for f in group]
            else:  # one row: the count, and the first finding as an example
                first = group[0]
                table.append(
                    [_severity_cell(result, first), first.rule, first.name,
                     f"{len(group)} findings, e.g. {first.message} (--format json lists every one)"]
                )  # fmt: skip
        rows = escape_cells(table)
        lines.append(
            tabulate(
                rows,
                headers=["severity", "rule", "name", "message"],
                tablefmt="simple",
                maxcolwidths=[None, None, None, 90],
            )
        )
    else:
        lines.append("No findings.")
    if result.gaps:
        lines.append("")
        lines.append(
            f"Coverage is incomplete ({len(result.gaps)} gap{'s' if len(result.gaps) != 1 else ''}):"
        )
        rows = escape_cells([g.kind, g.resource, g.detail, ",".join(g.rules) or "-"] for g in result.gaps)
        lines.append(
            tabulate(
                rows,
                headers=["kind", "resource", "detail", "rules"],
                tablefmt="simple",
                maxcolwidths=[None, 60, 70, None],
            )
        )
    else:
        lines.append("Coverage: complete (nothing referenced is missing, every observation succeeded).")
    if result.accepted:
        features = sorted({g.feature or g.kind for g, _ in result.accepted})
        lines.append(
            f"Accepted as not modelled ({len(result.accepted)} gap{'s' if len(result.accepted) != 1 else ''}): "
            + ", ".join(features)
        )
    if result.intents:
        lines.append("")
        lines.append(intents_line([(n, st.value) for n, st in result.intents]))
    lines.append("")
    lines.append(f"Summary: {summary_counts(result)}")
    return "\n".join(lines) + "\n"


def summary_counts(result: AuditResult) -> str:
    """`0 error, 1 warning, 2 info` (findings that count), with what does not count in parentheses:
    the table's summary line and the line on stderr when reports go to files."""
    counts = Counter(f.severity for f in result.counted())
    suppressed = sum(1 for m in result.marks.values() if "suppression" in m)
    known = sum(1 for m in result.marks.values() if m.get("baseline") == "known" and "suppression" not in m)
    not_counted = [f"{n} {what}" for n, what in ((suppressed, "suppressed"), (known, "in the baseline")) if n]
    return ", ".join(f"{counts.get(s, 0)} {s.value}" for s in Severity) + (
        f" (not counted: {', '.join(not_counted)})" if not_counted else ""
    )


def summary_line(snapshot: Snapshot, result: AuditResult, written: Sequence[tuple[str, str]]) -> str:
    """One line for stderr when reports went to files (a CI log shows the outcome without them):
    the counts, the coverage, and each file written as `FORMAT PATH`."""
    gaps = len(result.gaps)
    coverage = (
        "coverage complete" if not gaps else f"coverage incomplete ({gaps} gap{'s' if gaps != 1 else ''})"
    )
    files = ", ".join(f"{name} {escape(path)}" for name, path in written)
    return f"azroute audit {escape(snapshot.name)}: {summary_counts(result)}; {coverage}; wrote {files}"


def intents_line(intents: Sequence[tuple[str, str]]) -> str:
    """`Intents: 1 violated (c); 2 held (a, b)`: every intent of `--intent FILE` by outcome."""
    return "Intents: " + "; ".join(
        f"{len(names)} {status} ({', '.join(escape(n) for n in names)})"
        for status, names in intent_groups(intents)
    )
