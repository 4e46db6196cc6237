"""SARIF 2.1.0 that GitHub code scanning places: one run, the rules as `tool.driver.rules`, one
result per finding.

A result's physical location is the snapshot file holding the document of its first resource that
the loader knows the origin of (`Snapshot.origin`), relative to `%SRCROOT%`, the repository root
(`--sarif-root`; by default the git top level holding the snapshot, else the current directory), and
pointing at the line where that document starts; a finding with no such resource points at the
snapshot's `fixture.json`. No absolute path is written: `%SRCROOT%` is described, not located, and a
file that has no path relative to the root (another drive) gets no physical location. The ARM ids
are its logical locations. A finding's stable fingerprint is its `partialFingerprints["azroute/v1"]`
and its `primaryLocationLineHash` (the key code scanning tracks alerts by, so an alert survives a
re-collected snapshot whose lines moved); a suppressed finding carries `suppressions`, and with a
baseline each result has a `baselineState`. Coverage gaps are tool execution notifications: what the
audit could not see is said, never dropped.

GitHub's upload limits are kept (docs.github.com, "SARIF support for code scanning", "Validating
your SARIF file"): at most 25,000 results per run, the most severe kept (errors, then warnings, then
notes; counted findings before suppressed and baseline-known ones) and a notification saying how
many were left out; at most 1,000 locations per result; at most 10 MB after gzip (results left out,
least severe first, until it fits).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from auditor.config import project_root
from auditor.errors import json_path
from auditor.findings import Severity
from auditor.formats import sarif_model as m
from auditor.formats.common import (
    FormatInput,
    RuleInfo,
    baseline,
    counts,
    resource_name,
    resources,
    rule_infos,
    suppression,
)
from auditor.ids import ArmId
from auditor.project import repository_url, rule_docs_url
from auditor.textsafe import escape_json

SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "azroute/v1"
LINE_HASH_KEY = "primaryLocationLineHash"  # GitHub's alert key: `<hash>:<occurrence>`
# GitHub code scanning's limits on an uploaded file
MAX_RESULTS = 25_000  # per run
MAX_LOCATIONS = 1_000  # per result
MAX_GZIP_BYTES = 10 * 1024 * 1024
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


def default_root(data: FormatInput) -> Path:
    """What file URIs are relative to unless told: the git top level holding the snapshot (the
    repository code scanning places them in), else the current directory."""
    location = data.snapshot.location
    top = project_root(Path(location).resolve()) if location is not None else None
    return top if top is not None else Path.cwd()


class _Locator:
    """Physical locations of resources: file URIs relative to the root, with the document's line."""

    def __init__(self, data: FormatInput) -> None:
        self.data = data
        self.root = (data.root or default_root(data)).resolve()
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

    def uri(self, file: str) -> m.ArtifactLocation | None:
        """The file relative to the root (`..` segments when it lies outside), or None when it has no
        relative form (another drive): never an absolute path."""
        try:
            rel = os.path.relpath(Path(file).resolve(), self.root)
        except ValueError:
            return None
        return m.ArtifactLocation(uri=quote(Path(rel).as_posix(), safe="/"), uri_base_id=SRCROOT)

    def of_resource(self, resource_id: str) -> m.PhysicalLocation | None:
        origin = self._origin(resource_id)
        artifact = self.uri(origin[0]) if origin is not None else None
        if origin is None or artifact is None:
            return None
        line = self._lines.get(origin[0], {}).get(origin[1], 1)
        return m.PhysicalLocation(artifact_location=artifact, region=m.Region(start_line=line))

    def manifest(self) -> m.PhysicalLocation | None:
        """The snapshot's `fixture.json`, for a finding none of whose resources has an origin."""
        location = self.data.snapshot.location
        if location is None:
            return None
        manifest = Path(location) / "fixture.json"
        artifact = self.uri(str(manifest)) if manifest.is_file() else None
        if artifact is None:
            return None
        return m.PhysicalLocation(artifact_location=artifact, region=m.Region(start_line=1))


def _first_paragraph(docs: str) -> str:
    return " ".join(docs.strip().split("\n\n", 1)[0].split())


def _help_uri(rule: RuleInfo) -> str | None:
    """The rule's documentation in azroute's repository (built-in rules, when the package names its
    repository), else the rule's first reference (Microsoft's documentation), else none."""
    docs = rule_docs_url(rule.id) if rule.builtin else None
    return docs or (rule.references[0] if rule.references else None)


def _descriptor(rule: RuleInfo) -> m.ReportingDescriptor:
    return m.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=m.MultiformatMessageString(text=rule.summary),
        full_description=m.MultiformatMessageString(text=_first_paragraph(rule.docs) or rule.summary),
        help=m.MultiformatMessageString(text=rule.docs or rule.summary, markdown=rule.docs or rule.summary),
        help_uri=_help_uri(rule),
        default_configuration=m.ReportingConfiguration(level=LEVELS.get(rule.severity, "warning")),
        properties={"tags": ["azure", "routing", rule.id[:3].lower()]},
    )


def _logical(resource_id: str) -> m.LogicalLocation:
    return m.LogicalLocation(
        name=resource_name(resource_id), fully_qualified_name=resource_id, kind="resource"
    )


_LINK_CHARACTERS = re.compile(r"[\\\[\]]")


def plain(text: str) -> m.Message:
    """A plain text message (SARIF 2.1.0 section 3.11.6) of a text holding names: `\\`, `[` and `]`
    escaped with a backslash, so no name (a site called `[Fix](https://evil.example)`) forms an
    embedded link that a viewer renders as one."""
    return m.Message(text=_LINK_CHARACTERS.sub(r"\\\g<0>", text))


def _result(finding: Mapping[str, Any], index: dict[str, int], where: _Locator) -> m.Result:
    rids = resources(finding)
    physical: m.PhysicalLocation | None = None
    rest: list[m.Location] = []
    for rid in rids:
        if len(rest) >= MAX_LOCATIONS - 1:  # the primary location and 999 related ones
            break
        found = where.of_resource(rid)
        if physical is None and found is not None:
            physical = found
        elif found is not None:
            rest.append(
                m.Location(
                    id=len(rest) + 1,
                    physical_location=found,
                    logical_locations=[_logical(rid)],
                    message=plain(resource_name(rid)),
                )
            )
    if physical is None:
        physical = where.manifest()
    logical = [_logical(r) for r in rids[:MAX_LOCATIONS]]
    location = m.Location(physical_location=physical, logical_locations=logical or None)
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
    fingerprint = str(finding.get("fingerprint", ""))
    properties: dict[str, Any] = {"name": finding.get("name"), "evidence": finding.get("evidence", {})}
    if len(rids) > MAX_LOCATIONS:
        properties["resourcesNotLocated"] = len(rids) - MAX_LOCATIONS  # all are in the report's JSON
    return m.Result(
        rule_id=rule_id,
        rule_index=index.get(rule_id),
        level=LEVELS.get(str(finding.get("severity")), "warning"),
        message=plain(str(finding.get("message", ""))),
        locations=[location] if physical is not None or rids else None,
        related_locations=rest or None,
        partial_fingerprints={FINGERPRINT_KEY: fingerprint, LINE_HASH_KEY: line_hash(fingerprint)},
        suppressions=suppressions,
        baseline_state=state,
        properties=properties,
    )


def line_hash(fingerprint: str) -> str:
    """`primaryLocationLineHash` from the stable fingerprint, in GitHub's `<hash>:<occurrence>` form:
    the same finding keeps its key however the snapshot's lines move."""
    return f"{fingerprint}:1"


def priority(finding: Mapping[str, Any]) -> tuple[int, bool]:
    """Which results a limit keeps first (lower first): the most severe, and among equals those that
    count (neither suppressed nor baseline-known)."""
    try:
        rank = Severity(str(finding.get("severity", ""))).rank
    except ValueError:
        rank = len(Severity)
    return rank, not counts(finding)


def kept(findings: Sequence[Mapping[str, Any]], limit: int) -> list[int]:
    """The indexes of the `limit` findings of highest priority, in report order."""
    ranked = sorted(range(len(findings)), key=lambda i: (priority(findings[i]), i))
    return sorted(ranked[:limit])


def _gap_notification(gap: Mapping[str, Any], accepted: bool = False) -> m.Notification:
    kind, resource, detail = (str(gap.get(k, "")) for k in ("kind", "resource", "detail"))
    text = f"{'accepted as not modelled' if accepted else 'coverage gap'} ({kind}): {resource}: {detail}"
    if accepted:
        text += f" (accepted: {gap.get('reason', '')})"
    logical = [_logical(resource)] if resource.startswith("/subscriptions/") else None
    return m.Notification(
        message=plain(text),
        level="note" if accepted else "warning",
        locations=[m.Location(logical_locations=logical)] if logical else None,
        properties={"coverageGap": dict(gap)},
    )


def _dropped_notification(dropped: int, total: int, reason: str) -> m.Notification:
    return m.Notification(
        message=m.Message(
            text=f"{dropped} of {total} results left out: {reason}; the least severe went first. "
            "The JSON report (--format json) has every finding."
        ),
        level="warning",
        descriptor=m.ReportingDescriptorReference(id="azroute/results-dropped"),
        properties={"droppedResults": dropped, "totalResults": total},
    )


class _Builder:
    """The run's parts that do not depend on which results are kept."""

    def __init__(self, data: FormatInput, max_results: int) -> None:
        self.data = data
        self.findings = data.findings()
        self.rules = rule_infos(data.rules, self.findings)
        self.index = {r.id: i for i, r in enumerate(self.rules)}
        self.where = _Locator(data)
        self.results = {i: _result(self.findings[i], self.index, self.where) for i in self.order(max_results)}

    def order(self, limit: int) -> list[int]:
        return kept(self.findings, limit)

    def log(self, keep: list[int], reason: str) -> m.SarifLog:
        data = self.data
        notifications = [_gap_notification(g) for g in data.gaps()] + [
            _gap_notification(g, accepted=True) for g in data.accepted()
        ]
        if len(keep) < len(self.findings):
            notifications.append(
                _dropped_notification(len(self.findings) - len(keep), len(self.findings), reason)
            )
        version = data.tool_version() or None
        run = m.Run(
            tool=m.Tool(
                driver=m.ToolComponent(
                    name="azroute",
                    version=version,
                    semantic_version=version,
                    information_uri=repository_url(),
                    rules=[_descriptor(r) for r in self.rules],
                )
            ),
            invocations=[
                m.Invocation(
                    execution_successful=True,
                    tool_execution_notifications=notifications or None,
                    # the configuration files applied (lowest precedence first): what shaped this audit
                    properties={
                        "configuration": list(data.report.get("summary", {}).get("configuration", []))
                    },
                )
            ],
            original_uri_base_ids={
                SRCROOT: m.ArtifactLocation(
                    description=m.Message(
                        text="The root of the repository holding the snapshot (--sarif-root)."
                    )
                )
            },
            results=[self.results[i] for i in keep],
            properties={
                "snapshot": dict(data.report.get("snapshot", {})),
                "coverageComplete": not data.gaps(),
                "summary": dict(data.report.get("summary", {})),
                "intents": [{"name": n, "status": st} for n, st in data.intents()],
            },
        )
        return m.SarifLog(runs=[run])


def _serialize(log: m.SarifLog) -> str:
    text = json.dumps(log.to_json(), indent=2, sort_keys=True, ensure_ascii=False)
    return escape_json(text) + "\n"


def _compressed_size(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))


def fitted(
    data: FormatInput, max_results: int = MAX_RESULTS, max_gzip_bytes: int = MAX_GZIP_BYTES
) -> tuple[m.SarifLog, str]:
    """The log within GitHub's limits (`max_results` per run, `max_gzip_bytes` after gzip), and its text."""
    builder = _Builder(data, max_results)
    keep = builder.order(max_results)
    reason = f"GitHub code scanning accepts at most {max_results:,} results per run"
    log = builder.log(keep, reason)
    text = _serialize(log)
    size = _compressed_size(text)
    while size > max_gzip_bytes and keep:
        # shrink in proportion to the excess (a little more, so that it converges in a step or two)
        count = min(len(keep) - 1, int(len(keep) * max_gzip_bytes / size * 0.95))
        keep = builder.order(max(count, 0))
        reason = f"GitHub code scanning accepts at most {max_gzip_bytes:,} bytes after gzip"
        log = builder.log(keep, reason)
        text = _serialize(log)
        size = _compressed_size(text)
    return log, text


def build(data: FormatInput) -> m.SarifLog:
    return fitted(data)[0]


def render(data: FormatInput) -> str:
    return fitted(data)[1]
