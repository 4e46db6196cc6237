"""Markdown for a CI job summary or a pull-request comment: counts, findings by severity, coverage gaps.

Every value from the snapshot is escaped for a table cell: `|`, backticks and Markdown's emphasis
and link characters with a backslash, `<`, `>` and `&` as entities (no HTML reaches the page), and
control characters and newlines as their escapes (one value, one line). Nor does a value link or
notify: GitHub finds `@mentions`, e-mail addresses and `www.`/`https://` autolinks in the rendered
text, after backslash escapes are gone, so a zero-width space (`&#8203;`, an entity: the document
stays ASCII) is put after each `@`, after `www` and before `:` of `://` (`@&#8203;team`,
`www&#8203;.example.com`, `https&#8203;://`): the text reads the same and is no mention or link.
Long reports fit a character budget (`--markdown-max-chars`, default 60,000: a pull-request comment
holds 65,536): the shared writer (`mdwriter`) keeps errors before warnings before infos and says
what it left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditor.formats.common import (
    GROUP_OVER,
    SEVERITIES,
    FormatInput,
    baseline,
    by_severity,
    counts,
    fired,
    grouped_by_rule,
    resource_name,
    resources,
    status,
)
from auditor.formats.mdwriter import Section
from auditor.formats.mdwriter import render as render_sections
from auditor.intents import intent_groups
from auditor.textsafe import escape

_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


ZWSP = "&#8203;"  # ZERO WIDTH SPACE, as an entity
# where GitHub would see a mention (`@user`, `@org/team`), an e-mail address, or an autolink
_LINKING = re.compile(r"(@)|(?<![0-9A-Za-z])(www)(?=\.)|(?=://)", re.IGNORECASE)


def _unlink(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2) or "") + ZWSP


def md(value: object) -> str:
    """A value made safe for Markdown text and table cells: no HTML, no formatting, no mention, no link.
    (The diff's Markdown uses it too: one escaping for every Markdown azroute writes.)"""
    text = escape(str(value))
    text = "".join(_ENTITIES.get(c, c) for c in text)
    text = _SPECIAL.sub(r"\\\1", text)
    return _LINKING.sub(_unlink, text)


def _table(headers: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _row(finding: Mapping[str, Any], marked: bool) -> list[str]:
    rids = resources(finding)
    row = [
        md(finding.get("rule", "")),
        md(finding.get("name", "")),
        md(finding.get("message", "")),
        "<br>".join(md(resource_name(r)) for r in rids) or "-",
        f"`{md(finding.get('fingerprint', ''))}`",
    ]
    if marked:
        row.append(md(status(finding)) or "-")
    return row


def _line(group: Sequence[Mapping[str, Any]], marked: bool) -> str:
    """A table row: the finding, or, for a rule with more than `GROUP_OVER` findings, one row with
    the count, the first message and the first resources."""
    if len(group) <= GROUP_OVER:
        return "\n".join("| " + " | ".join(_row(f, marked)) + " |" for f in group)
    first = group[0]
    names = [resource_name(r) for f in group for r in resources(f)]
    shown = "<br>".join(md(n) for n in names[:3]) + (f"<br>… {len(names) - 3} more" if len(names) > 3 else "")
    row = [
        md(first.get("rule", "")),
        md(first.get("name", "")),
        f"**{len(group)} findings**, e.g. {md(first.get('message', ''))}",
        shown or "-",
        "-",
    ]
    if marked:
        row.append("-")
    return "| " + " | ".join(row) + " |"


def render(data: FormatInput) -> str:
    findings = data.findings()
    gaps, accepted = data.gaps(), data.accepted()
    counted = [f for f in findings if counts(f)]
    suppressed = sum(1 for f in findings if f.get("suppression"))
    known = sum(1 for f in findings if baseline(f) == "known" and not f.get("suppression"))
    marked = any(f.get("suppression") or f.get("baseline") for f in findings)
    summary = data.report.get("summary", {})
    out = [f"## azroute audit: {md(data.snapshot_name())}", ""]

    groups = by_severity(counted)
    headline = f"**{len(counted)} finding{'s' if len(counted) != 1 else ''}**: " + ", ".join(
        f"{len(groups.get(s, []))} {s}" for s in SEVERITIES
    )
    if suppressed or known:
        left = [f"{n} {w}" for n, w in ((suppressed, "suppressed"), (known, "known from the baseline")) if n]
        headline += f" (not counted: {', '.join(left)})"
    out.append(headline)
    if counted:
        out += ["", f"Rules that fired: {md(fired(counted, lambda f: str(f.get('rule', ''))))}"]
    rules_run = summary.get("rulesRun")
    scope = f"{rules_run} rules run" if rules_run is not None else ""
    if gaps:
        coverage = f"**coverage incomplete**: {len(gaps)} gap{'s' if len(gaps) != 1 else ''} (see below)"
    else:
        coverage = "coverage complete"
    out += ["", " · ".join(x for x in (scope, coverage) if x), ""]
    intents = intent_groups(data.intents())
    if intents:
        out += [
            "Intents: "
            + "; ".join(
                f"{len(names)} {status} ({', '.join(md(n) for n in names)})" for status, names in intents
            ),
            "",
        ]

    out += _table(
        ["severity", "findings", *(["suppressed", "known"] if marked else [])],
        (
            [
                s,
                str(len(groups.get(s, []))),
                *(
                    [
                        str(sum(1 for f in findings if f.get("severity") == s and f.get("suppression"))),
                        str(
                            sum(
                                1
                                for f in findings
                                if f.get("severity") == s and not f.get("suppression") and not counts(f)
                            )
                        ),
                    ]
                    if marked
                    else []
                ),
            ]
            for s in SEVERITIES
        ),
    )

    sections = [Section(out)]
    columns = ["rule", "name", "message", "resources", "fingerprint", *(["status"] if marked else [])]
    for severity, items in by_severity(findings).items():
        if not items:
            continue
        sections.append(
            Section(
                ["", f"### {md(severity.capitalize() or 'Other')} ({len(items)})", "", *_table(columns, [])],
                [_line(group, marked) for group in grouped_by_rule(items, lambda f: str(f.get("rule", "")))],
                priority=SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES),
                unit="findings",
            )
        )
    gap_head = ["", f"### Coverage gaps ({len(gaps)})", ""]
    if gaps:
        gap_rows = [
            [
                md(g.get("kind", "")),
                md(g.get("resource", "")),
                md(g.get("detail", "")),
                md(", ".join(str(r) for r in g.get("rules", []) or []) or "-"),
            ]
            for g in gaps
        ]
        sections.append(
            Section(
                [*gap_head, *_table(["kind", "resource", "detail", "rules"], [])],
                ["| " + " | ".join(row) + " |" for row in gap_rows],
                priority=1,
                unit="gaps",
            )
        )
    else:
        sections.append(
            Section([*gap_head, "None: nothing referenced is missing and every observation succeeded."])
        )
    out = []
    if accepted:
        out += ["", f"Accepted as not modelled ({len(accepted)}):", ""]
        out += _table(
            ["feature", "resource", "reason"],
            (
                [
                    md(g.get("feature") or g.get("kind", "")),
                    md(resource_name(str(g.get("resource", "")))),
                    md(g.get("reason", "")),
                ]
                for g in accepted
            ),
        )
    version = data.tool_version()
    out += ["", f"<sub>azroute {md(version)}</sub>" if version else ""]
    sections.append(Section(out))
    return render_sections(sections, data.max_chars, full="`--format json` lists every one")
