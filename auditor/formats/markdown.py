"""Markdown for a CI job summary or a pull-request comment: counts, findings by severity, coverage gaps.

Every value from the snapshot is escaped for a table cell: `|`, backticks and Markdown's emphasis
and link characters with a backslash, `<`, `>` and `&` as entities (no HTML reaches the page), and
control characters and newlines as their escapes (one value, one line). Nor does a value link or
notify: GitHub finds `@mentions`, e-mail addresses and `www.`/`https://` autolinks in the rendered
text, after backslash escapes are gone, so a zero-width space (`&#8203;`, an entity: the document
stays ASCII) is put after each `@`, after `www` and before `:` of `://` (`@&#8203;team`,
`www&#8203;.example.com`, `https&#8203;://`): the text reads the same and is no mention or link.
Long reports are capped (`MAX_ROWS` findings) with a line saying how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from auditor.formats.common import (
    SEVERITIES,
    FormatInput,
    baseline,
    by_severity,
    counts,
    resource_name,
    resources,
    status,
)
from auditor.intents import intent_groups
from auditor.textsafe import escape

MAX_ROWS = 200  # findings listed; a PR comment holds at most 65,536 characters
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

    listed = 0
    for severity, items in by_severity(findings).items():
        if not items:
            continue
        out += ["", f"### {md(severity.capitalize() or 'Other')} ({len(items)})", ""]
        rows = []
        for f in items:
            if listed >= MAX_ROWS:
                break
            rows.append(_row(f, marked))
            listed += 1
        out += _table(
            ["rule", "name", "message", "resources", "fingerprint", *(["status"] if marked else [])], rows
        )
    if listed < len(findings):
        out += ["", f"_{len(findings) - listed} more findings not listed: see the full report._"]

    out += ["", f"### Coverage gaps ({len(gaps)})", ""]
    if gaps:
        out += _table(
            ["kind", "resource", "detail", "rules"],
            (
                [
                    md(g.get("kind", "")),
                    md(g.get("resource", "")),
                    md(g.get("detail", "")),
                    md(", ".join(str(r) for r in g.get("rules", []) or []) or "-"),
                ]
                for g in gaps
            ),
        )
    else:
        out.append("None: nothing referenced is missing and every observation succeeded.")
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
    return "\n".join(out).rstrip("\n") + "\n"
