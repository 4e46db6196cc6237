"""JUnit XML: one `<testsuite>` per rule, one `<testcase>` per finding.

A finding is a failing test case named by its fingerprint, with the ARM id of its first resource
as classname (the rule id when it has none); the failure's `type` is the severity. A suppressed or
baseline-known finding is a skipped test case, so `failures` counts exactly the findings that count.
A rule with no finding has one passing test case, unless a coverage gap names the rule: then each
such gap is a skipped test case instead (not seen is not clean). Gaps that name no rule are skipped
test cases of a suite `coverage`. No timestamps or host names: the same audit gives the same file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from auditor.formats.common import FormatInput, counts, resources, rule_infos, status
from auditor.textsafe import escape

COVERAGE_SUITE = "coverage"


def _text(value: object) -> str:
    """XML 1.0 cannot carry most control characters: every non-printable one is shown escaped."""
    return escape(str(value))


def _block(value: str) -> str:
    """Multi-line text (a failure's body): each line escaped, the newlines kept."""
    return escape(value, layout=True).replace("\t", "\\t")


def _finding_case(finding: Mapping[str, Any]) -> TestCase:
    rids = resources(finding)
    case = TestCase(
        _text(finding.get("fingerprint", "")), classname=_text(rids[0] if rids else finding.get("rule", ""))
    )
    message = _text(finding.get("message", ""))
    if counts(finding):
        failure = Failure(message, _text(finding.get("severity", "")))
        body = [
            f"{finding.get('rule', '')} {finding.get('name', '')} ({finding.get('severity', '')})",
            str(finding.get("message", "")),
            "",
            "resources:",
            *(f"  {r}" for r in rids),
            "evidence:",
            json.dumps(finding.get("evidence", {}), indent=2, sort_keys=True, ensure_ascii=False),
        ]
        if finding.get("baseline"):
            body.insert(1, f"baseline: {finding['baseline']}")
        failure.text = _block("\n".join(body))
        case.result = [failure]
    else:
        case.result = [Skipped(_text(f"{status(finding)}: {finding.get('message', '')}"))]
    return case


def _gap_case(gap: Mapping[str, Any]) -> TestCase:
    case = TestCase(
        _text(f"coverage gap: {gap.get('kind', '')}"),
        classname=_text(gap.get("resource", "") or COVERAGE_SUITE),
    )
    case.result = [Skipped(_text(f"not evaluated: {gap.get('detail', '')}"))]
    return case


def build(data: FormatInput) -> JUnitXml:
    findings = data.findings()
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_rule.setdefault(str(f.get("rule", "")), []).append(f)
    gaps_by_rule: dict[str, list[dict[str, Any]]] = {}
    unattributed: list[dict[str, Any]] = []
    for gap in data.gaps():
        named = [str(r) for r in gap.get("rules", []) or []]
        for rid in named:
            gaps_by_rule.setdefault(rid, []).append(gap)
        if not named:
            unattributed.append(gap)
    xml = JUnitXml(_text(f"azroute audit {data.snapshot_name()}"))
    for rule in rule_infos(data.rules, findings):
        suite = TestSuite(_text(f"{rule.id} {rule.name}"))
        for f in by_rule.get(rule.id, []):
            suite.add_testcase(_finding_case(f))
        for gap in gaps_by_rule.get(rule.id, []):
            suite.add_testcase(_gap_case(gap))
        if not by_rule.get(rule.id) and not gaps_by_rule.get(rule.id):
            suite.add_testcase(TestCase(_text(f"{rule.name}: no findings"), classname=rule.id))
        xml.add_testsuite(suite)
    if unattributed:
        suite = TestSuite(COVERAGE_SUITE)
        for gap in unattributed:
            suite.add_testcase(_gap_case(gap))
        xml.add_testsuite(suite)
    xml.update_statistics()  # type: ignore[no-untyped-call]  # junitparser leaves it unannotated
    return xml


def render(data: FormatInput) -> str:
    out = io.BytesIO()
    build(data).write(out, pretty=True)
    return out.getvalue().decode("utf-8")
