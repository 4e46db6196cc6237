"""JUnit XML that CI tools read (Jenkins' `junit-10.xsd`, Azure DevOps, GitLab): one `<testsuite>`
per rule, one `<testcase>` per finding.

A finding's test case is named `RULE parent/name` after its first resource (`TRN010
spoke-vnet/to-hub`; a top-level resource is `RULE name`, a finding without resources `RULE
rule-name`), with the first 8 characters of its fingerprint appended only when two test cases would
otherwise share a name; its classname is `azroute.FAMILY.RULE` (the family being the letters of the
rule id: `azroute.TRN.TRN010`), so a test report groups findings by family and rule.

Only findings that reach `--fail-on` are failures (the failure's `type` is the severity); the others
that count pass, their message in `system-out`; suppressed and baseline-known findings are skipped
with the reason. A rule with no finding has one passing test case, unless a coverage gap names the
rule: then each such gap is a skipped test case instead (not seen is not clean). Gaps that name no
rule are skipped test cases of classname `azroute.coverage` in a suite `coverage`. No timestamps or
host names: the same audit gives the same file.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from auditor.findings import reaches
from auditor.formats.common import FormatInput, counts, resource_name, resources, rule_infos, status
from auditor.ids import ArmId
from auditor.intents import INTENT_RULE, IntentStatus
from auditor.textsafe import escape

COVERAGE_SUITE = "coverage"
CLASS_PREFIX = "azroute"
FINGERPRINT_CHARS = 8
# Attributes junit-10.xsd does not allow on <testsuites> (junitparser writes them).
_NOT_ON_TESTSUITES = ("skipped",)


def _text(value: object) -> str:
    """XML 1.0 cannot carry most control characters: every non-printable one is shown escaped."""
    return escape(str(value))


def _block(value: str) -> str:
    """Multi-line text (a failure's body): each line escaped, the newlines kept."""
    return escape(value, layout=True).replace("\t", "\\t")


def classname(rule_id: str) -> str:
    """`azroute.TRN.TRN010`: the family is the rule id's leading letters."""
    family = re.match(r"[A-Za-z]*", rule_id)
    letters = family.group() if family else ""
    return ".".join(p for p in (CLASS_PREFIX, letters or rule_id, rule_id) if p)


def subject(finding: Mapping[str, Any]) -> str:
    """What a finding is about, as a test name reads it: `parent/name` of its first resource (a
    peering `spoke-vnet/to-hub`, a subnet `hub-vnet/GatewaySubnet`), `name` for a top-level one, the
    finding's name when it has no resource."""
    rids = resources(finding)
    if not rids:
        return str(finding.get("name", ""))
    try:
        rid = ArmId(rids[0])
    except ValueError:  # a site or another non-ARM name
        return resource_name(rids[0])
    parent = rid.parent
    return f"{parent.name}/{rid.name}" if parent is not None else rid.name


def _case_names(findings: list[dict[str, Any]]) -> list[str]:
    """One name per finding: `RULE subject`, made unique by the fingerprint's first 8 characters
    (all of it if those clash too) only for the names that would be shared."""
    names = [f"{f.get('rule', '')} {subject(f)}".strip() for f in findings]
    shared = {n for n, k in Counter(names).items() if k > 1}
    out = [
        f"{n} ({str(f.get('fingerprint', ''))[:FINGERPRINT_CHARS]})" if n in shared else n
        for n, f in zip(names, findings, strict=True)
    ]
    still = {n for n, k in Counter(out).items() if k > 1}
    return [
        f"{n} ({f.get('fingerprint', '')})" if o in still else o
        for n, o, f in zip(names, out, findings, strict=True)
    ]


def _details(finding: Mapping[str, Any]) -> str:
    body = [
        f"{finding.get('rule', '')} {finding.get('name', '')} ({finding.get('severity', '')})",
        str(finding.get("message", "")),
        "",
        "resources:",
        *(f"  {r}" for r in resources(finding)),
        "evidence:",
        json.dumps(finding.get("evidence", {}), indent=2, sort_keys=True, ensure_ascii=False),
        f"fingerprint: {finding.get('fingerprint', '')}",
    ]
    if finding.get("baseline"):
        body.insert(1, f"baseline: {finding['baseline']}")
    return _block("\n".join(body))


def _finding_case(finding: Mapping[str, Any], name: str, fail_on: str) -> TestCase:
    case = TestCase(_text(name), classname=_text(classname(str(finding.get("rule", "")))))
    severity = str(finding.get("severity", ""))
    if not counts(finding):
        case.result = [Skipped(_text(f"{status(finding)}: {finding.get('message', '')}"))]
    elif reaches(severity, fail_on):
        failure = Failure(_text(finding.get("message", "")), _text(severity))
        failure.text = _details(finding)
        case.result = [failure]
    else:  # counts, but below --fail-on: a pass that says what it saw
        case.system_out = _details(finding)
    return case


def _gap_name(gap: Mapping[str, Any]) -> str:
    resource = str(gap.get("resource", "") or "")
    return f"coverage gap: {gap.get('kind', '')}" + (f" {resource_name(resource)}" if resource else "")


def _numbered(names: list[str]) -> list[str]:
    """Names made unique by their ordinal among equals (`... (2)`); unique ones unchanged."""
    shared = {n for n, k in Counter(names).items() if k > 1}
    seen: Counter[str] = Counter()
    out = []
    for n in names:
        seen[n] += 1
        out.append(f"{n} ({seen[n]})" if n in shared else n)
    return out


def _gap_case(gap: Mapping[str, Any], name: str, rule_id: str | None) -> TestCase:
    resource = str(gap.get("resource", "") or "")
    case = TestCase(
        _text(name), classname=classname(rule_id) if rule_id else f"{CLASS_PREFIX}.{COVERAGE_SUITE}"
    )
    where = f"{resource}: " if resource else ""
    case.result = [Skipped(_text(f"not evaluated: {where}{gap.get('detail', '')}"))]
    return case


def build(data: FormatInput) -> JUnitXml:
    findings = data.findings()
    by_rule: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for f, name in zip(findings, _case_names(findings), strict=True):
        by_rule.setdefault(str(f.get("rule", "")), []).append((f, name))
    placed = [(gap, str(r)) for gap in data.gaps() for r in gap.get("rules", []) or []]
    placed += [(gap, "") for gap in data.gaps() if not gap.get("rules")]
    names = _numbered([_gap_name(gap) for gap, _rule in placed])
    gaps_by_rule: dict[str, list[TestCase]] = {}
    for (gap, rule_id), name in zip(placed, names, strict=True):
        gaps_by_rule.setdefault(rule_id, []).append(_gap_case(gap, name, rule_id or None))
    xml = JUnitXml(_text(f"azroute audit {data.snapshot_name()}"))
    infos = rule_infos(data.rules, findings)
    listed = {rule.id for rule in infos}
    for rule_id in sorted(set(gaps_by_rule) - listed - {""}):  # a rule that did not run: said, not lost
        gaps_by_rule.setdefault("", []).extend(gaps_by_rule.pop(rule_id))
    held = [n for n, status in data.intents() if status == IntentStatus.HELD]
    for rule in infos:
        suite = TestSuite(_text(f"{rule.id} {rule.name}"))
        for f, name in by_rule.get(rule.id, []):
            suite.add_testcase(_finding_case(f, name, data.fail_on))
        if rule.id == INTENT_RULE:  # an intent that held passes (a violated one is its finding's case)
            for intent in held:
                suite.add_testcase(TestCase(_text(f"intent {intent}: held"), classname=classname(rule.id)))
        for case in gaps_by_rule.get(rule.id, []):
            suite.add_testcase(case)
        if (
            not by_rule.get(rule.id)
            and not gaps_by_rule.get(rule.id)
            and not (rule.id == INTENT_RULE and held)
        ):
            suite.add_testcase(
                TestCase(_text(f"{rule.id} {rule.name}: no findings"), classname=classname(rule.id))
            )
        xml.add_testsuite(suite)
    if gaps_by_rule.get(""):
        suite = TestSuite(COVERAGE_SUITE)
        for case in gaps_by_rule[""]:
            suite.add_testcase(case)
        xml.add_testsuite(suite)
    xml.update_statistics()  # type: ignore[no-untyped-call]  # junitparser leaves it unannotated
    for attribute in _NOT_ON_TESTSUITES:
        xml._elem.attrib.pop(attribute, None)
    return xml


def render(data: FormatInput) -> str:
    out = io.BytesIO()
    build(data).write(out, pretty=True)
    return out.getvalue().decode("utf-8")
