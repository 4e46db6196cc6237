"""SARIF 2.1.0: one run, the rules as `tool.driver.rules`, one result per finding.

A result's physical location is the snapshot file holding the document of its first resource that
the loader knows the origin of (`Snapshot.origin`), relative to `%SRCROOT%` (the current directory
unless told otherwise) and pointing at the line where that document starts; a finding with no such
resource points at the snapshot's `fixture.json`. The ARM ids are its logical locations. A finding's
fingerprint is its `partialFingerprints["azroute/v1"]`; a suppressed finding carries `suppressions`,
and with a baseline each result has a `baselineState`. Coverage gaps are tool execution
notifications: what the audit could not see is said, never dropped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from auditor.errors import json_path
from auditor.formats import sarif_model as m
from auditor.formats.common import (
    FormatInput,
    RuleInfo,
    baseline,
    resource_name,
    resources,
    rule_infos,
    suppression,
)
from auditor.ids import ArmId
from auditor.textsafe import escape_json

SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "azroute/v1"
INFORMATION_URI = "https://pypi.org/project/azure-route-auditor/"
LEVELS: dict[str, m.Level] = {"error": "error", "warning": "warning", "info": "note"}
BASELINE_STATES: dict[str, Literal["new", "unchanged"]] = {"new": "new", "known": "unchanged"}
LINE_SCAN_LIMIT = 32 * 1024 * 1024  # larger files get no line (startLine 1)

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def object_lines(text: str, wanted: set[str]) -> dict[str, int]:
    """The line (1-based) where each JSON object at a path in `wanted` (`$.value[0]`, as
    `auditor.errors.json_path` spells it) starts; one pass over well-formed JSON, stopping as soon as
    every path is found."""
    found: dict[str, int] = {}
    frames: list[list[Any]] = []  # [kind "{" or "[", current key or index, expecting a key]
    line, last = 1, 0
    for match in _TOKEN.finditer(text):
        tok = match.group()
        if tok in ",:":
            if tok == "," and frames:
                frame = frames[-1]
                if frame[0] == "[":
                    frame[1] += 1
                else:
                    frame[2] = True
            continue
        if tok in "}]":
            if frames:
                frames.pop()
            continue
        top = frames[-1] if frames else None
        if top is not None and top[0] == "{" and top[2]:  # an object's key
            top[1], top[2] = json.loads(tok), False
            continue
        if tok in "{[":
            line += text.count("\n", last, match.start())
            last = match.start()
            path = json_path([f[1] for f in frames])
            if tok == "{" and path in wanted and path not in found:
                found[path] = line
                if len(found) == len(wanted):
                    break
            frames.append(["{", None, True] if tok == "{" else ["[", 0, False])
    return found


class _Locator:
    """Physical locations of resources: file URIs relative to the root, with the document's line."""

    def __init__(self, data: FormatInput) -> None:
        self.data = data
        self.root = (data.root or Path.cwd()).resolve()
        self._lines: dict[str, dict[str, int]] = {}
        wanted: dict[str, set[str]] = {}
        for finding in data.findings():
            for rid in resources(finding):
                origin = self._origin(rid)
                if origin is not None:
                    wanted.setdefault(origin[0], set()).add(origin[1])
        for file, paths in wanted.items():
            self._lines[file] = self._scan(file, paths)

    def _origin(self, resource_id: str) -> tuple[str, str] | None:
        try:
            origin = self.data.snapshot.origin(ArmId(resource_id))
        except ValueError:
            return None
        if origin is None or not Path(origin.file).is_file():
            return None
        return origin.file, origin.path

    @staticmethod
    def _scan(file: str, paths: set[str]) -> dict[str, int]:
        try:
            if os.path.getsize(file) > LINE_SCAN_LIMIT:
                return {}
            return object_lines(Path(file).read_text(encoding="utf-8-sig"), paths)
        except (OSError, UnicodeDecodeError, ValueError):
            return {}

    def uri(self, file: str) -> m.ArtifactLocation:
        path = Path(file).resolve()
        try:
            rel = os.path.relpath(path, self.root)
        except ValueError:  # another drive: no relative form
            return m.ArtifactLocation(uri=path.as_uri())
        return m.ArtifactLocation(uri=quote(Path(rel).as_posix(), safe="/"), uri_base_id=SRCROOT)

    def of_resource(self, resource_id: str) -> m.PhysicalLocation | None:
        origin = self._origin(resource_id)
        if origin is None:
            return None
        line = self._lines.get(origin[0], {}).get(origin[1], 1)
        return m.PhysicalLocation(artifact_location=self.uri(origin[0]), region=m.Region(start_line=line))

    def manifest(self) -> m.PhysicalLocation | None:
        """The snapshot's `fixture.json`, for a finding none of whose resources has an origin."""
        location = self.data.snapshot.location
        if location is None:
            return None
        manifest = Path(location) / "fixture.json"
        if not manifest.is_file():
            return None
        return m.PhysicalLocation(artifact_location=self.uri(str(manifest)), region=m.Region(start_line=1))


def _first_paragraph(docs: str) -> str:
    return " ".join(docs.strip().split("\n\n", 1)[0].split())


def _descriptor(rule: RuleInfo) -> m.ReportingDescriptor:
    return m.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=m.MultiformatMessageString(text=rule.summary),
        full_description=m.MultiformatMessageString(text=_first_paragraph(rule.docs) or rule.summary),
        help=m.MultiformatMessageString(text=rule.docs or rule.summary, markdown=rule.docs or rule.summary),
        help_uri=rule.references[0] if rule.references else None,
        default_configuration=m.ReportingConfiguration(level=LEVELS.get(rule.severity, "warning")),
        properties={"tags": ["azure", "routing", rule.id[:3].lower()]},
    )


def _logical(resource_id: str) -> m.LogicalLocation:
    return m.LogicalLocation(
        name=resource_name(resource_id), fully_qualified_name=resource_id, kind="resource"
    )


def _result(finding: Mapping[str, Any], index: dict[str, int], where: _Locator) -> m.Result:
    rids = resources(finding)
    physical: m.PhysicalLocation | None = None
    rest: list[m.Location] = []
    for rid in rids:
        found = where.of_resource(rid)
        if physical is None and found is not None:
            physical = found
        elif found is not None:
            rest.append(
                m.Location(
                    id=len(rest) + 1,
                    physical_location=found,
                    logical_locations=[_logical(rid)],
                    message=m.Message(text=resource_name(rid)),
                )
            )
    if physical is None:
        physical = where.manifest()
    location = m.Location(physical_location=physical, logical_locations=[_logical(r) for r in rids] or None)
    mark = suppression(finding)
    suppressions = None
    if mark is not None:
        suppressions = [
            m.Suppression(
                kind="external",
                status="accepted",
                justification=str(mark.get("reason") or ""),
                properties={k: mark[k] for k in ("expires", "source") if mark.get(k) is not None} or None,
            )
        ]
    state = BASELINE_STATES.get(baseline(finding) or "")
    rule_id = str(finding.get("rule", ""))
    return m.Result(
        rule_id=rule_id,
        rule_index=index.get(rule_id),
        level=LEVELS.get(str(finding.get("severity")), "warning"),
        message=m.Message(text=str(finding.get("message", ""))),
        locations=[location] if physical is not None or rids else None,
        related_locations=rest or None,
        partial_fingerprints={FINGERPRINT_KEY: str(finding.get("fingerprint", ""))},
        suppressions=suppressions,
        baseline_state=state,
        properties={"name": finding.get("name"), "evidence": finding.get("evidence", {})},
    )


def _gap_notification(gap: Mapping[str, Any], accepted: bool = False) -> m.Notification:
    kind, resource, detail = (str(gap.get(k, "")) for k in ("kind", "resource", "detail"))
    text = f"{'accepted as not modelled' if accepted else 'coverage gap'} ({kind}): {resource}: {detail}"
    if accepted:
        text += f" (accepted: {gap.get('reason', '')})"
    logical = [_logical(resource)] if resource.startswith("/subscriptions/") else None
    return m.Notification(
        message=m.Message(text=text),
        level="note" if accepted else "warning",
        locations=[m.Location(logical_locations=logical)] if logical else None,
        properties={"coverageGap": dict(gap)},
    )


def build(data: FormatInput) -> m.SarifLog:
    findings = data.findings()
    rules = rule_infos(data.rules, findings)
    index = {r.id: i for i, r in enumerate(rules)}
    where = _Locator(data)
    notifications = [_gap_notification(g) for g in data.gaps()] + [
        _gap_notification(g, accepted=True) for g in data.accepted()
    ]
    version = data.tool_version() or None
    run = m.Run(
        tool=m.Tool(
            driver=m.ToolComponent(
                name="azroute",
                version=version,
                semantic_version=version,
                information_uri=INFORMATION_URI,
                rules=[_descriptor(r) for r in rules],
            )
        ),
        invocations=[
            m.Invocation(
                execution_successful=True,
                tool_execution_notifications=notifications or None,
                # the configuration files applied (lowest precedence first): what shaped this audit
                properties={"configuration": list(data.report.get("summary", {}).get("configuration", []))},
            )
        ],
        original_uri_base_ids={SRCROOT: m.ArtifactLocation(uri=where.root.as_uri().rstrip("/") + "/")},
        results=[_result(f, index, where) for f in findings],
        properties={
            "snapshot": dict(data.report.get("snapshot", {})),
            "coverageComplete": not data.gaps(),
            "summary": dict(data.report.get("summary", {})),
        },
    )
    return m.SarifLog(runs=[run])


def render(data: FormatInput) -> str:
    text = json.dumps(build(data).to_json(), indent=2, sort_keys=True, ensure_ascii=False)
    return escape_json(text) + "\n"
