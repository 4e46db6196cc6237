"""CI output formats (auditor.formats): SARIF against the published 2.1.0 schema, JUnit, Markdown,
HTML and CSV, from real audits of the scenarios (suppressions through the scenario's azroute.toml)."""

from __future__ import annotations

import copy
import csv
import functools
import gzip
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from auditor import project
from auditor.engine import CRASH_RULE, AuditResult, load_rules, run
from auditor.findings import Severity, Violation
from auditor.fixture import load_fixture
from auditor.formats import FORMATS, FormatInput, render
from auditor.formats import html_page as html_format
from auditor.formats import sarif as sarif_format
from auditor.formats.sarif import object_lines
from auditor.ids import ArmId
from auditor.model import Snapshot
from auditor.report import report_dict
from auditor.rule_api import Rule, RuleContext, RuleFixtures
from auditor.triage import apply_baseline
from tests.cli import azroute
from tests.conftest import FIXTURES, ROOT, scenario_options
from tests.helpers import NET, peering, subnet, vnet, write_fixture

# The published SARIF 2.1.0 schema (OASIS), vendored so that the test never depends on files outside
# the repository; `tests/data/schemas/SOURCES.md` says where it comes from.
SCHEMA_FILE = Path(__file__).parent / "data" / "schemas" / "sarif-schema-2.1.0.json"


def _audit(name: str | Path) -> tuple[Snapshot, AuditResult, list[type[Rule]]]:
    target = name if isinstance(name, Path) else FIXTURES / name
    snapshot = load_fixture(target)
    rules = load_rules()
    return snapshot, run(snapshot, rules, **scenario_options(target)), rules


def _report(name: str | Path) -> tuple[dict[str, Any], Snapshot, list[type[Rule]]]:
    snapshot, result, rules = _audit(name)
    return report_dict(snapshot, result), snapshot, rules


def _validate(log: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def _sarif(report: dict[str, Any], snapshot: Snapshot, rules: list[type[Rule]], root: Path = ROOT) -> Any:
    return json.loads(render("sarif", report, snapshot, rules, root=root))


def _json_at(doc: Any, path: str) -> Any:
    for key, index in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", path.removeprefix("$")):
        doc = doc[key] if key else doc[int(index)]
    return doc


# -- SARIF ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario", ["reserved-asn", "partial-snapshot", "suppression-active", "observation-failed"]
)
def test_sarif_validates_against_the_published_schema(scenario: str) -> None:
    report, snapshot, rules = _report(scenario)
    log = _sarif(report, snapshot, rules)
    _validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    results = log["runs"][0]["results"]
    assert [r["partialFingerprints"]["azroute/v1"] for r in results] == [
        f["fingerprint"] for f in report["findings"]
    ]


def test_sarif_results_point_at_the_documents_of_their_resources() -> None:
    report, snapshot, rules = _report("reserved-asn")
    assert len(report["findings"]) >= 3
    run_ = _sarif(report, snapshot, rules)["runs"][0]
    base = run_["originalUriBaseIds"]["%SRCROOT%"]
    assert "uri" not in base and base["description"]["text"]  # described, not located: no machine path
    for result, finding in zip(run_["results"], report["findings"], strict=True):
        (location,) = result["locations"]
        assert [ll["fullyQualifiedName"] for ll in location["logicalLocations"]] == finding["resources"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        file = ROOT / unquote(physical["artifactLocation"]["uri"])
        assert file.is_file(), file
        origin = snapshot.origin(ArmId(finding["resources"][0]))
        assert origin is not None and Path(origin.file).resolve() == file.resolve()
        # the region's line is where the resource's document starts
        text = file.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        line = physical["region"]["startLine"]
        offset = sum(len(x) for x in lines[: line - 1]) + lines[line - 1].index("{")
        document, _ = json.JSONDecoder().raw_decode(text, offset)
        assert document == _json_at(json.loads(text), origin.path)
        assert document["id"].lower() == finding["resources"][0].lower()


def test_sarif_rules_carry_help_and_levels() -> None:
    report, snapshot, rules = _report("reserved-asn")
    driver = _sarif(report, snapshot, rules)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "azroute"
    by_id = {r["id"]: r for r in driver["rules"]}
    assert set(by_id) == {r.id for r in rules}
    for rule in rules:
        descriptor = by_id[rule.id]
        assert (
            descriptor["help"]["text"] == rule.docs() and "## What it does" in descriptor["help"]["markdown"]
        )
        assert descriptor["shortDescription"]["text"] == rule.summary
        level = {"error": "error", "warning": "warning", "info": "note"}[rule.severity.value]
        assert descriptor["defaultConfiguration"]["level"] == level
        refs = rule.references()  # the repository is not known here: the rule's first reference
        assert descriptor.get("helpUri") == (refs[0] if refs else None)
    results = _sarif(report, snapshot, rules)["runs"][0]["results"]
    for result, finding in zip(results, report["findings"], strict=True):
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"] == finding["rule"]
        assert (
            result["level"] == {"error": "error", "warning": "warning", "info": "note"}[finding["severity"]]
        )


def test_sarif_suppressed_findings_carry_suppressions_and_baseline_state() -> None:
    snapshot, result, rules = _audit("suppression-active")
    suppressed = [f for f in result.findings if "suppression" in result.marks.get(f.fingerprint, {})]
    assert len(suppressed) == 1 and suppressed[0].rule == "ERC002"
    others = [f for f in result.findings if f not in suppressed]
    assert others, "the scenario has findings that are not suppressed"
    # a baseline that knows one of the others
    result.baseline = apply_baseline(result.findings, result.marks, {others[0].fingerprint})
    report = report_dict(snapshot, result)
    log = _sarif(report, snapshot, rules)
    _validate(log)
    by_fp = {r["partialFingerprints"]["azroute/v1"]: r for r in log["runs"][0]["results"]}
    (suppression,) = by_fp[suppressed[0].fingerprint]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"].startswith("single-homed edge router")
    assert suppression["properties"]["expires"] == "2999-12-31"
    assert "azroute.toml" in suppression["properties"]["source"]
    assert by_fp[others[0].fingerprint]["baselineState"] == "unchanged"
    assert "suppressions" not in by_fp[others[0].fingerprint]
    assert {by_fp[f.fingerprint]["baselineState"] for f in others[1:]} == {"new"}


class _Crashes(Rule):
    """A rule that crashes (tests).

    ## What it does
    Raises.
    """

    id = "TST901"
    name = "crashes"
    severity = Severity.ERROR
    summary = "Crashes."
    fixtures = RuleFixtures(triggers=(), passes=())

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        raise RuntimeError("boom")


def test_sarif_finding_without_resources_points_at_the_manifest() -> None:
    snapshot = load_fixture(FIXTURES / "hub-spoke-transit-ok")
    result = run(snapshot, [_Crashes])
    (crash,) = result.findings
    assert crash.rule == CRASH_RULE and crash.resources == ()
    log = _sarif(report_dict(snapshot, result), snapshot, [_Crashes])
    _validate(log)
    (res,) = log["runs"][0]["results"]
    uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "fixtures/hub-spoke-transit-ok/fixture.json"
    descriptor = log["runs"][0]["tool"]["driver"]["rules"][res["ruleIndex"]]
    assert descriptor["id"] == CRASH_RULE and "## Remediation" in descriptor["help"]["text"]
    # the gap the crash leaves is said, as a tool execution notification
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("rule-crashed" in n["message"]["text"] for n in notes)
    assert log["runs"][0]["properties"]["coverageComplete"] is False


def test_sarif_uris_are_relative_to_the_root(tmp_path: Path) -> None:
    report, snapshot, rules = _report("reserved-asn")
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    log = _sarif(report, snapshot, rules, root=elsewhere)
    for result in log["runs"][0]["results"]:
        uri = unquote(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        assert uri.startswith("../") and (elsewhere / uri).resolve().is_file()


def _copied(tmp_path: Path, where: str) -> Path:
    """reserved-asn (an overlay) and its base, copied under tmp_path/where."""
    folder = tmp_path / where
    for name in ("interop-testbed", "reserved-asn"):
        shutil.copytree(FIXTURES / name, folder / name)
    return folder / "reserved-asn"


def _uris(log: dict[str, Any]) -> list[str]:
    return [
        unquote(loc["physicalLocation"]["artifactLocation"]["uri"])
        for r in log["runs"][0]["results"]
        for loc in [*r.get("locations", []), *r.get("relatedLocations", [])]
        if "physicalLocation" in loc
    ]


def _no_machine_path(text: str, *paths: Path) -> None:
    assert "file:" not in text
    for path in paths:
        assert str(path) not in text and path.as_posix() not in text


def test_sarif_default_root_is_the_git_top_level_holding_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = _copied(tmp_path, "repo/network")
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    report, snapshot, rules = _report(snap)
    text = render("sarif", report, snapshot, rules)
    log = json.loads(text)
    _validate(log)
    uris = _uris(log)
    assert uris and all(u.startswith("network/") for u in uris), uris
    assert all((tmp_path / "repo" / u).is_file() for u in uris)
    _no_machine_path(text, tmp_path, ROOT)


def test_sarif_default_root_outside_git_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = _copied(tmp_path, "plain")
    monkeypatch.chdir(tmp_path)
    report, snapshot, rules = _report(snap)
    text = render("sarif", report, snapshot, rules)
    uris = _uris(json.loads(text))
    assert uris and all(u.startswith("plain/") and (tmp_path / u).is_file() for u in uris), uris
    _no_machine_path(text, tmp_path, ROOT)


def test_sarif_line_hash_is_the_stable_fingerprint() -> None:
    report, snapshot, rules = _report("reserved-asn")
    for result, finding in zip(
        _sarif(report, snapshot, rules)["runs"][0]["results"], report["findings"], strict=True
    ):
        prints = result["partialFingerprints"]
        assert prints["primaryLocationLineHash"] == f"{finding['fingerprint']}:1"
        assert prints["azroute/v1"] == finding["fingerprint"]


def _many(report: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """The report with its first finding repeated: `counts` findings per severity, each its own."""
    model = report["findings"][0]
    findings = []
    for severity, n in counts.items():
        for i in range(n):
            findings.append({**model, "severity": severity, "fingerprint": f"{severity[:1]}{i:015x}"})
    return {**report, "findings": findings}


def _fit(
    report: dict[str, Any], snapshot: Snapshot, rules: list[type[Rule]], **limits: int
) -> dict[str, Any]:
    log, text = sarif_format.fitted(
        FormatInput(report=report, snapshot=snapshot, rules=rules, root=ROOT), **limits
    )
    assert json.loads(text) == log.to_json()
    _validate(log.to_json())
    return log.to_json()


def test_sarif_keeps_the_most_severe_results_within_the_limit() -> None:
    assert (sarif_format.MAX_RESULTS, sarif_format.MAX_LOCATIONS) == (25_000, 1_000)  # GitHub's limits
    assert sarif_format.MAX_GZIP_BYTES == 10 * 1024 * 1024
    report, snapshot, rules = _report("reserved-asn")
    many = _many(report, {"info": 40, "error": 25, "warning": 30})
    run_ = _fit(many, snapshot, rules, max_results=60)["runs"][0]
    levels = [r["level"] for r in run_["results"]]
    assert len(levels) == 60 and levels.count("error") == 25 and levels.count("warning") == 30
    assert levels.count("note") == 5
    kept = [r["partialFingerprints"]["azroute/v1"] for r in run_["results"]]
    assert kept == [
        f["fingerprint"] for f in many["findings"] if f["fingerprint"] in set(kept)
    ]  # report order
    (note,) = [
        n
        for n in run_["invocations"][0]["toolExecutionNotifications"]
        if "droppedResults" in n.get("properties", {})
    ]
    assert note["properties"]["droppedResults"] == 35 and note["message"]["text"].startswith(
        "35 of 95 results"
    )


def test_sarif_keeps_counted_findings_before_suppressed_ones() -> None:
    report, snapshot, rules = _report("reserved-asn")
    many = _many(report, {"error": 10})
    for f in many["findings"][:5]:
        f["suppression"] = {"reason": "accepted", "expires": None, "source": "x.toml"}
    results = _fit(many, snapshot, rules, max_results=5)["runs"][0]["results"]
    assert [r.get("suppressions") for r in results] == [None] * 5


def test_sarif_fits_the_compressed_size_limit() -> None:
    report, snapshot, rules = _report("reserved-asn")
    many = _many(report, {"error": 100, "info": 100})
    data = FormatInput(report=many, snapshot=snapshot, rules=rules, root=ROOT)
    full, empty = (len(gzip.compress(sarif_format.fitted(data, max_results=n)[1].encode())) for n in (200, 0))
    limit = (full + empty) // 2  # the rules' documentation alone fits; not every result does
    _log, text = sarif_format.fitted(data, max_gzip_bytes=limit)
    assert len(gzip.compress(text.encode(), mtime=0)) <= limit
    run_ = json.loads(text)["runs"][0]
    assert 0 < len(run_["results"]) < 200 and {r["level"] for r in run_["results"]} == {"error"}
    (note,) = [
        n
        for n in run_["invocations"][0]["toolExecutionNotifications"]
        if "droppedResults" in n.get("properties", {})
    ]
    assert note["properties"]["droppedResults"] == 200 - len(run_["results"])
    assert "after gzip" in note["message"]["text"]


def test_sarif_caps_locations_per_result(tmp_path: Path) -> None:
    names = [f"v{i}" for i in range(1_100)]
    snap = write_fixture(
        tmp_path / "wide",
        {"vnets.json": {"value": [vnet(n, f"10.{i // 250}.{i % 250}.0/24") for i, n in enumerate(names)]}},
    )
    snapshot = load_fixture(snap)
    ids = [f"{NET}/virtualNetworks/{n}" for n in names]
    outside = [f"{NET}/virtualNetworks/elsewhere{i}" for i in range(100)]
    finding = {
        "rule": "TRN001", "name": "x", "severity": "error", "message": "m", "evidence": {},
        "resources": ids + outside, "fingerprint": "0123456789abcdef",
    }  # fmt: skip
    report = {"findings": [finding], "coverage": {"gaps": []}, "snapshot": {"name": "wide"}}
    log, _text = sarif_format.fitted(FormatInput(report=report, snapshot=snapshot, root=tmp_path))
    (result,) = log.to_json()["runs"][0]["results"]
    (location,) = result["locations"]
    assert len(location["logicalLocations"]) == 1_000
    assert 1 + len(result["relatedLocations"]) == 1_000
    assert result["properties"]["resourcesNotLocated"] == 1_200 - 1_000
    related = [r["physicalLocation"]["region"]["startLine"] for r in result["relatedLocations"]]
    assert len(set(related)) == len(related)  # each VNet's own document


def test_sarif_links_to_the_repository_only_when_it_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    report, snapshot, rules = _report("reserved-asn")
    text = render("sarif", report, snapshot, rules)
    assert "pypi.org" not in text
    assert "informationUri" not in json.loads(text)["runs"][0]["tool"]["driver"]
    repo = "https://github.com/example-org/azure-route-auditor"
    monkeypatch.setattr(project, "repository_url", lambda: repo)
    monkeypatch.setattr(sarif_format, "repository_url", lambda: repo)
    log = _sarif(report, snapshot, rules)
    _validate(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == repo
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["BGP001"]["helpUri"] == f"{repo}/blob/HEAD/docs/rules.md#bgp001"
    assert "## BGP001" in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_repository_url_comes_from_the_package_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    class Meta:
        def __init__(self, urls: list[str]) -> None:
            self.urls = urls

        def get_all(self, key: str) -> list[str]:
            return self.urls if key == "Project-URL" else []

    cases = {
        ("Homepage, https://example.org", "Repository, https://github.com/o/r/"): "https://github.com/o/r",
        ("Homepage, https://example.org",): "https://example.org",
        ("Issues, https://github.com/o/r/issues",): None,
        (): None,
    }
    for urls, expected in cases.items():
        project.repository_url.cache_clear()
        monkeypatch.setattr(project, "metadata", lambda _name, u=list(urls): Meta(u))
        assert project.repository_url() == expected
    project.repository_url.cache_clear()


def test_object_lines_finds_where_each_object_starts() -> None:
    text = (
        '{\n  "value": [\n    {"id": "a", "x": "}{[\\"]"},\n    {\n      "id": "b",\n'
        '      "properties": {"odd-key": [{}, {"n": 1}]}\n    }\n  ]\n}\n'
    )
    wanted = {"$", "$.value[0]", "$.value[1]", "$.value[1].properties['odd-key'][1]", "$.nothing"}
    assert object_lines(text, wanted) == {
        "$": 1,
        "$.value[0]": 3,
        "$.value[1]": 4,
        "$.value[1].properties['odd-key'][1]": 6,
    }


# -- JUnit ------------------------------------------------------------------------------------------

JUNIT_XSD = Path(__file__).parent / "data" / "schemas" / "junit-10.xsd"


@functools.cache
def _junit_schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema10(JUNIT_XSD)


def _junit(
    report: dict[str, Any], snapshot: Snapshot, rules: list[type[Rule]], fail_on: str = "error"
) -> ET.Element:
    text = render("junit", report, snapshot, rules, fail_on=fail_on)
    errors = list(_junit_schema().iter_errors(text))
    assert not errors, "\n".join(str(e.reason) for e in errors[:5])  # Jenkins' junit-10.xsd
    return ET.fromstring(text)


def _cases(suite: ET.Element) -> list[ET.Element]:
    return suite.findall("testcase")


def test_junit_one_suite_per_rule_a_case_per_finding_named_by_rule_and_resource() -> None:
    report, snapshot, rules = _report("reserved-asn")
    root = _junit(report, snapshot, rules, fail_on="info")
    assert root.tag == "testsuites" and root.get("skipped") is None  # junit-10.xsd has none there
    suites = {s.get("name", "").split()[0]: s for s in root.findall("testsuite")}
    assert set(suites) == {r.id for r in rules}
    findings = report["findings"]
    assert (
        int(root.get("failures", "-1"))
        == len(findings)
        == sum(len(s.findall("testcase/failure")) for s in suites.values())
    )
    fired = {f["rule"] for f in findings}
    for finding in findings:
        rid = ArmId(finding["resources"][0])
        subject = f"{rid.parent.name}/{rid.name}" if rid.parent else rid.name
        cases = {c.get("name"): c for c in _cases(suites[finding["rule"]])}
        case = cases[f"{finding['rule']} {subject}"]
        family = re.match(r"[A-Z]+", finding["rule"])
        assert family and case.get("classname") == f"azroute.{family.group()}.{finding['rule']}"
        failure = case.find("failure")
        assert failure is not None and failure.get("message") == finding["message"]
        assert failure.get("type") == finding["severity"]
        assert finding["fingerprint"] in (failure.text or "")
    for rule in rules:
        if rule.id not in fired:
            (case,) = _cases(suites[rule.id])
            assert list(case) == [], f"{rule.id} found nothing: one passing test case"
            assert int(suites[rule.id].get("failures", "-1")) == 0


def test_junit_names_a_child_resource_by_parent_and_name() -> None:
    report, snapshot, rules = _report("peering-disconnected")
    peerings = [f for f in report["findings"] if "/virtualNetworkPeerings/" in f["resources"][0]]
    assert peerings, "the scenario has a finding on a peering"
    names = {c.get("name") for c in _junit(report, snapshot, rules).iter("testcase")}
    for finding in peerings:
        parts = finding["resources"][0].split("/")
        assert f"{finding['rule']} {parts[-3]}/{parts[-1]}" in names


@pytest.mark.parametrize(("fail_on", "failing"), [("error", set()), ("warning", {"ERC002"}), ("info", {"ERC002", "ERC003", "ERC004", "ERC007"}), ("never", set())])  # fmt: skip
def test_junit_fails_only_findings_that_reach_fail_on(fail_on: str, failing: set[str]) -> None:
    report, snapshot, rules = _report(FIXTURES / "interop-testbed")
    assert {f["rule"]: f["severity"] for f in report["findings"]} == {
        "ERC002": "warning", "ERC003": "info", "ERC004": "info", "ERC007": "info",
    }  # fmt: skip
    root = _junit(report, snapshot, rules, fail_on=fail_on)
    by_rule = {c.get("name", "").split()[0]: c for c in root.iter("testcase")}
    assert {r for r, c in by_rule.items() if c.find("failure") is not None} == failing
    assert int(root.get("failures", "-1")) == len(failing)
    for finding in report["findings"]:
        case = by_rule[finding["rule"]]
        if finding["rule"] not in failing:  # a pass that says what it saw
            out = case.find("system-out")
            assert list(case) == [out] and out is not None and finding["message"] in (out.text or "")


def test_junit_fingerprint_appended_only_when_names_clash() -> None:
    report, snapshot, rules = _report(FIXTURES / "interop-testbed")
    twin = copy.deepcopy(report["findings"][0])
    twin["fingerprint"] = "0123456789abcdef"
    twin["message"] = "the same rule on the same resource, another problem"
    report = {**report, "findings": [*report["findings"], twin]}
    first = report["findings"][0]
    names = sorted(c.get("name", "") for c in _junit(report, snapshot, rules).iter("testcase"))
    assert f"ERC002 er-1 ({first['fingerprint'][:8]})" in names and "ERC002 er-1 (01234567)" in names
    assert "ERC003 er-1" in names and "ERC004 hub-vnet" in names  # no clash: no fingerprint
    assert len(set(names)) == len(names)


def test_junit_suppressed_and_known_findings_are_skipped_with_the_reason() -> None:
    snapshot, result, rules = _audit("suppression-active")
    counted_before = len(result.counted())
    known = next(f for f in result.counted())
    result.baseline = apply_baseline(result.findings, result.marks, {known.fingerprint})
    report = report_dict(snapshot, result)
    root = _junit(report, snapshot, rules, fail_on="info")
    expected = len(result.counted())
    assert expected == counted_before - 1 < len(result.findings)
    assert int(root.get("failures", "-1")) == expected == len(root.findall("testsuite/testcase/failure"))
    by_fp = {f["fingerprint"]: f for f in report["findings"]}
    skipped = {
        c.get("name"): c.find("skipped") for c in root.iter("testcase") if c.find("skipped") is not None
    }
    suppressed = [fp for fp, f in by_fp.items() if "suppression" in f]
    assert suppressed
    messages = [s.get("message") or "" for s in skipped.values() if s is not None]
    for fp in suppressed:
        reason = by_fp[fp]["suppression"]["reason"]
        assert any(m.startswith(f"suppressed: {reason}") for m in messages)
    assert any(m.startswith("known: ") and by_fp[known.fingerprint]["message"] in m for m in messages)


def test_junit_coverage_gaps_are_skipped_cases() -> None:
    report, snapshot, rules = _report("partial-snapshot")
    gaps = report["coverage"]["gaps"]
    assert gaps and any(not g.get("rules") for g in gaps)
    root = _junit(report, snapshot, rules)
    skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    assert len(skipped) >= len(gaps)
    assert sum(int(s.get("skipped", "0")) for s in root.iter("testsuite")) == len(skipped)
    coverage = [c for c in skipped if c.get("classname") == "azroute.coverage"]
    assert len(coverage) == sum(1 for g in gaps if not g.get("rules"))
    for gap in gaps:
        for rule in gap.get("rules") or []:
            assert any(
                c.get("classname", "").endswith(f".{rule}") and c.get("name", "").startswith("coverage gap")
                for c in skipped
            )


@pytest.mark.parametrize("scenario", ["observation-failed", "collection-forbidden", "interop-testbed-drift"])
def test_junit_validates_against_junit_10_xsd(scenario: str) -> None:
    _junit(*_report(scenario), fail_on="warning")  # _junit validates


# -- Markdown, HTML, CSV ------------------------------------------------------------------------------


def _evil(tmp_path: Path) -> Path:
    """A snapshot whose names are markup: a VNet `hub<b>x`, a VNet `spoke&vnet`, a site `<b>site</b>`."""
    hub = "hub<b>x"
    a = vnet(
        hub,
        "10.0.0.0/16",
        subnets=[subnet(hub, "web", "10.0.1.0/24")],
        peerings=[
            peering(hub, "to-spoke", f"{NET}/virtualNetworks/spoke&vnet", peeringState="Disconnected"),
        ],
    )
    b = vnet("spoke&vnet", "10.1.0.0/16", subnets=[subnet("spoke&vnet", "app", "10.1.1.0/24")])
    site = {"name": "<b>site</b>", "asn": 65010, "prefixes": ["192.168.0.0/24"]}
    return write_fixture(tmp_path / "evil", {"v.json": {"value": [a, b]}}, sites=[site])


def _with(report: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The report with its first finding changed (values a snapshot could carry into a message)."""
    out = copy.deepcopy(report)
    out["findings"][0].update(changes)
    return out


def _md_cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_markdown_escapes_table_cells(tmp_path: Path) -> None:
    report, snapshot, rules = _report(_evil(tmp_path))
    assert any("<b>" in f["message"] for f in report["findings"])
    report = _with(report, message=report["findings"][0]["message"] + " a|b `code` <img src=x>")
    text = render("markdown", report, snapshot, rules)
    assert "<b>" not in text and "<img" not in text and "&lt;b&gt;" in text
    rows = [line for line in text.splitlines() if line.startswith("| TRN006")]
    assert len(rows) == 1
    cells = _md_cells(rows[0])
    assert len(cells) == 5, cells  # rule, name, message, resources, fingerprint: the `|` did not split
    assert "a\\|b" in cells[2] and "\\`code\\`" in cells[2]
    assert "**1 finding**: 0 error, 1 warning, 0 info" in text


def test_markdown_counts_gaps_and_suppressions() -> None:
    report, snapshot, rules = _report("partial-snapshot")
    text = render("markdown", report, snapshot, rules)
    gaps = report["coverage"]["gaps"]
    assert f"### Coverage gaps ({len(gaps)})" in text and "coverage incomplete" in text
    for gap in gaps:
        assert gap["resource"] in text
    report, snapshot, rules = _report("suppression-active")
    text = render("markdown", report, snapshot, rules)
    counted = [f for f in report["findings"] if "suppression" not in f]
    assert f"**{len(counted)} findings**" in text and "(not counted: 1 suppressed)" in text
    assert "suppressed: single-homed edge router" in text


def _attr_urls(text: str) -> Iterable[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def test_html_is_self_contained_and_escapes_names(tmp_path: Path) -> None:
    report, snapshot, rules = _report(_evil(tmp_path))
    text = render("html", report, snapshot, rules)
    from auditor.formats.html_page import FILTER_SCRIPT, SCRIPT_HASH

    # one script, the findings' text filter, allowed by its hash in the CSP and nothing else
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    assert scripts == [FILTER_SCRIPT] and f"script-src 'sha256-{SCRIPT_HASH}'" in text
    lowered = text.replace(f"<script>{FILTER_SCRIPT}</script>", "").lower()
    assert (
        "<script" not in lowered
        and " src=" not in lowered
        and "<link" not in lowered
        and "url(" not in lowered
    )
    assert "<b>x" not in text and "<b>site" not in text
    assert "hub&lt;b&gt;x" in text and "&lt;b&gt;site&lt;/b&gt;" in text and "spoke&amp;vnet" in text
    docs = {url for r in rules for url in r.references()}
    hrefs = re.findall(r'href="([^"]*)"', text)
    assert all(h in docs or h.startswith("#") for h in hrefs), hrefs
    # the only URLs: documentation links and the SVG namespace
    assert set(_attr_urls(text)) <= docs | {"http://www.w3.org/2000/svg"}
    assert "<svg" in text and 'class="matrix"' in text and 'class="mermaid"' in text
    # the finding's evidence is shown
    assert "peeringState" in text and "Disconnected" in text
    ET.fromstring(re.search(r"<svg.*?</svg>", text, re.S).group())  # type: ignore[union-attr]


def test_html_path_matrix_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    report, snapshot, rules = _report("reserved-asn")
    text = render("html", report, snapshot, rules)
    assert 'class="matrix"' in text and "reachable" in text
    monkeypatch.setattr(html_format, "MAX_NETWORKS", 1)
    text = render("html", report, snapshot, rules)
    assert 'class="matrix"' not in text and "use <code>azroute paths</code>" in text


def test_csv_columns_resources_and_formula_escaping() -> None:
    report, snapshot, rules = _report("suppression-active")
    rows = list(csv.reader(io.StringIO(render("csv", report, snapshot, rules))))
    assert rows[0] == [
        "severity",
        "rule",
        "name",
        "fingerprint",
        "resource",
        "resources",
        "message",
        "suppressed",
        "baseline",
    ]
    assert len(rows) == len(report["findings"]) + 1
    for row, finding in zip(rows[1:], report["findings"], strict=True):
        assert row[3] == finding["fingerprint"] and row[5].split(";") == finding["resources"]
        assert row[4] == (finding["resources"] or [""])[0]
        assert row[7] == ("true" if "suppression" in finding else "false") and row[8] == ""
    assert sum(r[7] == "true" for r in rows[1:]) == 1
    evil = _with(report, message='=HYPERLINK("http://x")', name="+cmd", severity="-1", rule="@SUM(1)")
    row = list(csv.reader(io.StringIO(render("csv", evil, snapshot, rules))))[1]
    assert row[:3] == ["'-1", "'@SUM(1)", "'+cmd"] and row[6] == '\'=HYPERLINK("http://x")'
    tabbed = _with(report, message="\tcalc\r\nnext")
    text = render("csv", tabbed, snapshot, rules)
    assert len(text.splitlines()) == len(report["findings"]) + 1  # control characters escaped: one line each
    assert list(csv.reader(io.StringIO(text)))[1][6] == "'\\tcalc\\r\\nnext"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_is_deterministic_and_printable(name: str) -> None:
    first = render(name, *_report("suppression-active"))
    second = render(name, *_report("suppression-active"))
    assert first == second
    assert first.endswith("\n")
    assert all(c.isprintable() or c in "\n\t" for c in first)


# -- through the command line ------------------------------------------------------------------------


def test_cli_sarif_to_a_file_validates_and_points_at_existing_files(tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    code, stdout, err = azroute("audit", str(FIXTURES / "reserved-asn"), "--format", "sarif", "-o", str(out))
    assert code == 1 and stdout == "", err  # the findings still decide the exit code
    log = json.loads(out.read_text())
    _validate(log)
    results = log["runs"][0]["results"]
    assert results and all(r["partialFingerprints"]["azroute/v1"] for r in results)
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert (Path.cwd() / uri).is_file(), uri
    assert all(rule["help"]["text"] for rule in log["runs"][0]["tool"]["driver"]["rules"])


def test_cli_sarif_root(tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    target = FIXTURES / "reserved-asn"
    code, _stdout, err = azroute(
        "audit", str(target), "--output", f"sarif={out}", "--sarif-root", str(FIXTURES)
    )
    assert code == 1, err
    uris = _uris(json.loads(out.read_text()))
    assert "reserved-asn/arm/localNetworkGateways.json" in uris  # the overlay's patch, relative to the root
    assert all(not u.startswith(("fixtures/", "/", "..")) and (FIXTURES / u).is_file() for u in uris)
    code, _stdout, err = azroute(
        "audit", str(target), "--output", f"sarif={out}", "--sarif-root", str(tmp_path / "no")
    )
    assert code == 2 and "--sarif-root" in err and "not a directory" in err


def test_cli_several_formats_in_one_run(tmp_path: Path) -> None:
    junit_file, csv_file = tmp_path / "a.xml", tmp_path / "a.csv"
    code, stdout, _err = azroute(
        "audit", str(FIXTURES / "reserved-asn"), "--output", f"junit={junit_file}", "--output", f"csv={csv_file}",
        "--format", "json", "--fail-on", "never",
    )  # fmt: skip
    assert code == 0
    findings = json.loads(stdout)["findings"]
    suites = ET.parse(junit_file).getroot()
    assert sum(int(s.get("failures", 0)) for s in suites.iter("testsuite")) == 0  # --fail-on never
    assert len(suites.findall("testsuite/testcase/system-out")) == len(findings)
    assert len(csv_file.read_text().splitlines()) == len(findings) + 1


@pytest.mark.parametrize(
    "args",
    [
        ("-f", "sarif", "-f", "json"),
        ("-o", "x.sarif"),
        ("--output", "sarf=x"),
        ("--output", "json"),
        ("--output", "json=x", "--output", "csv=x"),
    ],
)
def test_cli_output_usage_errors(args: tuple[str, ...]) -> None:
    code, _out, err = azroute("audit", *args)
    assert code == 2 and err.startswith("azroute: error:")


# -- inert report formats (issue 21, item 5) -------------------------------------------------------------

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _split_like_a_spreadsheet(line: str, separator: str) -> list[str]:
    """A record as a spreadsheet splits it: `"` toggles quoting, the locale's separator splits outside
    quotes (Excel and LibreOffice with `;` as the list separator, most European locales)."""
    cells, cell, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            cells.append(cell)
            cell = ""
        else:
            cell += char
    return [*cells, cell]


def test_csv_quotes_every_field_so_no_separator_starts_a_formula() -> None:
    report, snapshot, rules = _report("suppression-active")
    evil = _with(report, name="spoke;=1+1", message="a,-2+3;@SUM(1);\t=x")
    text = render("csv", evil, snapshot, rules)
    for line in text.splitlines():
        assert line.startswith('"') and line.endswith('"')
        for separator in ",;":
            cells = _split_like_a_spreadsheet(line, separator)
            assert not any(c.startswith(FORMULA) for c in cells), (separator, cells)
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[2] == "spoke;=1+1" and row[6] == "a,-2+3;@SUM(1);\\t=x"  # the values, whole


LINKING = ("@alice", "@org/team", "ops@example.com", "www.evil.example", "https://evil.example/x", "WWW.x.y")


def _linkable(text: str) -> list[str]:
    """What GitHub would turn into a mention or a link, in the rendered text (entities decoded)."""
    import html

    rendered = html.unescape(text)
    return re.findall(r"@[A-Za-z0-9]|(?<![A-Za-z0-9])www\.|[A-Za-z]://", rendered, re.IGNORECASE)


def test_markdown_breaks_mentions_and_autolinks_in_names() -> None:
    report, snapshot, rules = _report("suppression-active")
    evil = _with(report, name=" ".join(LINKING), message="see " + " ".join(LINKING))
    evil["snapshot"] = {"name": "@alice www.evil.example", "source": "recorded"}
    text = render("markdown", evil, snapshot, rules)
    assert not _linkable(text), _linkable(text)
    assert "@&#8203;alice" in text and "www&#8203;.evil.example" in text and "https&#8203;://evil" in text
    assert "\u200b" not in text  # as an entity: printable, through the CLI's echo unchanged


def test_diff_markdown_breaks_mentions_and_autolinks(tmp_path: Path) -> None:
    a = vnet("a", "10.0.0.0/16", subnets=[subnet("a", "s", "10.0.1.0/24")])
    b = vnet("www.evil.example", "10.1.0.0/16", subnets=[subnet("www.evil.example", "s", "10.1.1.0/24")])
    before = write_fixture(
        tmp_path / "before", {"v.json": {"value": [a, b]}}, name="@alice https://x.example"
    )
    after = write_fixture(tmp_path / "after", {"v.json": {"value": [a]}}, name="@org/team")
    code, text, err = azroute("diff", str(before), str(after), "--format", "markdown")
    assert code in (0, 1, 3), err
    assert "evil" in text and "alice" in text and not _linkable(text), _linkable(text)


def test_output_never_replaces_what_the_audit_reads(tmp_path: Path) -> None:
    import shutil

    snapshot = tmp_path / "snap"
    shutil.copytree(FIXTURES / "interop-testbed", snapshot, ignore=shutil.ignore_patterns("intents.yaml"))
    config = tmp_path / "c.toml"
    config.write_text('fail-on = "never"\n')
    before = {p: p.read_bytes() for p in snapshot.rglob("*") if p.is_file()}
    link = tmp_path / "link.json"
    link.symlink_to(snapshot / "fixture.json")
    for args in (
        ("-f", "json", "-o", str(snapshot / "fixture.json")),
        ("--output", f"csv={snapshot / 'arm' / 'new.csv'}"),
        ("--output", f"sarif={link}"),  # a symlink into the snapshot: compared resolved
        ("--output", f"json={config}"),
        ("--write-baseline", str(snapshot / "baseline.json")),
    ):
        code, _out, err = azroute("audit", str(snapshot), "--config", str(config), *args)
        assert code == 2 and err.count("\n") == 1 and "write it elsewhere" in err, (args, err)
    assert {p: p.read_bytes() for p in snapshot.rglob("*") if p.is_file()} == before
    # an overlay's base is read too
    overlay = FIXTURES / "hub-spoke-transit-not-allowed"
    base_file = FIXTURES / "hub-spoke-transit-ok" / "fixture.json"
    code, _out, err = azroute("audit", str(overlay), "-f", "json", "-o", str(base_file))
    assert code == 2 and "hub-spoke-transit-ok" in err
    # elsewhere, a symlink is written through; a rolling baseline may replace the one it read
    target, elsewhere = tmp_path / "report.json", tmp_path / "to-report.json"
    elsewhere.symlink_to(target)
    baseline = tmp_path / "baseline.json"
    code, _out, err = azroute(
        "audit", str(snapshot), "--write-baseline", str(baseline), "-f", "json", "-o", str(elsewhere)
    )
    assert code == 0 and json.loads(target.read_text())["schema"] == "azroute.report/1", err
    code, _out, err = azroute(
        "audit", str(snapshot), "--baseline", str(baseline), "--write-baseline", str(baseline)
    )
    assert code == 0, err


def test_cli_reports_to_files_say_the_outcome_on_stderr(tmp_path: Path) -> None:
    """With every report in a file, stdout is empty and one summary line on stderr says what the
    table's summary says (a CI log shows the outcome); `-q` leaves it out."""
    html_file, sarif_file = tmp_path / "a.html", tmp_path / "a.sarif"
    args = ("audit", str(FIXTURES / "reserved-asn"), "--output", f"html={html_file}",
            "--output", f"sarif={sarif_file}", "--fail-on", "never")  # fmt: skip
    code, stdout, err = azroute(*args)
    assert code == 0 and stdout == ""
    _, table, _ = azroute("audit", str(FIXTURES / "reserved-asn"), "--fail-on", "never")
    counts = next(line for line in table.splitlines() if line.startswith("Summary: ")).removeprefix(
        "Summary: "
    )
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert (
        f": {counts};" in lines[0] and f"html {html_file}" in lines[0] and f"sarif {sarif_file}" in lines[0]
    )
    assert "coverage" in lines[0]
    code, stdout, err = azroute("-q", *args)
    assert code == 0 and stdout == "" and err == ""
    _, stdout, err = azroute("audit", str(FIXTURES / "reserved-asn"), "--fail-on", "never")
    assert "wrote" not in err  # nothing written to a file: the table on stdout says it all
