"""Rendering `azroute.diff/1`: a terminal summary and Markdown (job summary, pull-request comment)."""

from __future__ import annotations

import os
from typing import Any

from auditor.formats.markdown import md
from auditor.formats.mdwriter import DEFAULT_MAX_CHARS, Section, render
from auditor.textsafe import escape

SHOWN = 50  # entries per section in the text renderings; JSON always holds every one


def _route(rows: list[dict[str, Any]] | None) -> str:
    if not rows:
        return "(none)"
    parts = []
    for r in rows:
        via = f" via {r['via']}" if r.get("via") else ""
        hop = f" {r['nextHop']}" if r.get("nextHop") else ""
        path = f" [{' '.join(map(str, r['asPath']))}]" if r.get("asPath") else ""
        parts.append(f"{r['nextHopType']}{hop}{via}{path}")
    return "; ".join(parts)


def _path(side: dict[str, Any] | None) -> str:
    if side is None:
        return "(not compared)"
    text = f"{side['status']}: {side['forwardSummary']} / back {side['returnSummary']}"
    return text + (" (asymmetric)" if side["asymmetric"] else "")


def _verdict(data: dict[str, Any]) -> str:
    s = data["summary"]
    if s["regression"]:
        return "REGRESSION"
    if s["newGaps"]:
        return "no regression found, but the change touches something azroute cannot see"
    return "no regression"


def render_text(data: dict[str, Any]) -> str:
    s = data["summary"]
    predicted = data["after"].get("predictedFrom")
    head = f"azroute diff: {data['before']['name']} -> {data['after']['name']}"
    if predicted:
        head += f" (predicted from {predicted['input']} {shown_path(predicted['file'])})"
    if data["after"].get("down"):
        head += f" with {', '.join(data['after']['down'])} down"
    lines = [head]
    if s.get("configurationChanged"):
        lines.append(
            f"This change edits azroute's configuration ({s['configurationChanged']}): "
            f"checked with {', '.join(s.get('configuration', [])) or 'no configuration'} instead."
        )
    lines.append("Observations are ignored: both sides are evaluated from configuration only.")
    lines.append(
        f"Findings: {s['findings']['new']} new, {s['findings']['resolved']} resolved, "
        f"{s['findings']['unchanged']} unchanged. Pairs: {s['pairs']['lost']} lost, {s['pairs']['gained']} gained, "
        f"{s['pairs']['changed']} changed. Routes changed: {s['routesChanged']}."
    )
    failures = (predicted or {}).get("failures", [])
    if failures:
        lines += [
            "",
            f"The change would fail to apply ({len(failures)}; AFTER holds what the failed apply leaves):",
        ]
        lines += [f"  {f['error']}: {f['resource']}: {f['message']}" for f in failures]
    for title, key in (("New findings", "new"), ("Resolved findings", "resolved")):
        if data["findings"][key]:
            lines += ["", f"{title}:"]
            lines += [
                f"  {f['severity']:<7} {f['rule']} {f['message']}" for f in data["findings"][key][:SHOWN]
            ]
    for title, key in (("Lost pairs", "lost"), ("Gained pairs", "gained"), ("Changed pairs", "changed")):
        entries = data["pairs"][key]
        if entries:
            lines += ["", f"{title} ({len(entries)}):"]
            for p in entries[:SHOWN]:
                why = f" [{', '.join(p['why'])}]" if p.get("why") else ""
                lines.append(f"  {_source(p)} -> {p['to']}{why}")
                lines.append(f"      before {_path(p['before'])}")
                lines.append(f"      after  {_path(p['after'])}")
            if len(entries) > SHOWN:
                lines.append(f"  ... and {len(entries) - SHOWN} more (--format json lists every one)")
    if data["routes"]:
        lines += ["", f"Selected routes that changed ({len(data['routes'])}):"]
        for r in data["routes"][:SHOWN]:
            lines.append(f"  {_where(r)} {_prefixes(r)}: {_route(r['before'])} -> {_route(r['after'])}")
        if len(data["routes"]) > SHOWN:
            lines.append(f"  ... and {len(data['routes']) - SHOWN} more")
    for title, key in (("Intents broken", "broken"), ("Intents fixed", "fixed")):
        if data["intents"][key]:
            lines += ["", f"{title}: {', '.join(data['intents'][key])}"]
    gaps = data["coverage"]["gaps"]
    if gaps:
        lines += ["", f"Coverage gaps of the AFTER side ({len(gaps)}; new or touching the change marked *):"]
        for g in gaps[:SHOWN]:
            mark = "*" if g["new"] or g["affectsChange"] else " "
            lines.append(f"  {mark} {g['kind']} {g['resource']}: {g['detail']}")
    if s["rulesNotEvaluated"]:
        lines += ["", f"Not evaluated (they read only observations): {', '.join(s['rulesNotEvaluated'])}"]
    for rule, only in s.get("rulesPartlyEvaluated", {}).items():
        lines += [f"{rule} is evaluated only {only}"]
    lines += ["", f"Result: {_verdict(data)}"]
    lines += [f"  {w}" for w in data.get("verdict", {}).get("why", [])[:SHOWN]]
    # each entry is one line: a newline or tab inside one came from a value (a name) and is escaped
    return "\n".join(escape(line) for line in lines) + "\n"


def render_markdown(data: dict[str, Any], max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The diff for a pull-request comment, within `max_chars` characters (the shared Markdown
    writer cuts the least important rows first and says what it cut): the verdict and why, what
    ARM would refuse, the resources the change touches, the counts, new findings, lost pairs,
    changed pairs and routes, then the rest."""
    s = data["summary"]
    predicted = data["after"].get("predictedFrom")
    head = [f"## azroute diff: {md(data['before']['name'])} → {md(data['after']['name'])}", ""]
    head += [f"**{md(_verdict(data))}**", ""]
    verdict = Section(head, [f"- {md(w)}" for w in data.get("verdict", {}).get("why", [])], [""], 0, "causes")
    context: list[str] = []
    if predicted:
        context += [f"Predicted from {md(predicted['input'])} {md(shown_path(predicted['file']))}.", ""]
    if data["after"].get("down"):
        context += [f"With {md(', '.join(data['after']['down']))} down.", ""]
    if s.get("configurationChanged"):
        used = ", ".join(s.get("configuration", [])) or "no configuration"
        context += [
            f"This change edits azroute's configuration ({md(s['configurationChanged'])}): "
            f"checked with {md(used)} instead.",
            "",
        ]
    sections = [verdict, Section(context)]
    failures = (predicted or {}).get("failures", [])
    if failures:
        sections.append(
            Section(
                [
                    "### The change would fail to apply",
                    "",
                    "| resource | ARM error | why |",
                    "| --- | --- | --- |",
                ],
                [f"| {md(f['resource'])} | {md(f['error'])} | {md(f['message'])} |" for f in failures],
                [""],
                0,
                "refused changes",
            )
        )
    changed = (predicted or {}).get("changed", [])
    if changed:
        sections.append(
            Section(
                [f"**Resources the change touches ({len(changed)}):**", ""],
                [f"- {md(_resource(r))}" for r in changed],
                [""],
                4,
                "resources",
            )
        )
    counts = ["| | new / lost | resolved / gained | changed | unchanged |", "| --- | --- | --- | --- | --- |"]
    f, p = s["findings"], s["pairs"]
    counts += [f"| findings | {f['new']} | {f['resolved']} | | {f['unchanged']} |"]
    counts += [f"| network pairs | {p['lost']} | {p['gained']} | {p['changed']} | |"]
    counts += [f"| selected routes | | | {s['routesChanged']} | |", ""]
    sections.append(Section(counts))
    for title, key, priority in (("New findings", "new", 1), ("Resolved findings", "resolved", 4)):
        rows = data["findings"][key]
        if rows:
            sections.append(
                Section(
                    [
                        f"### {title} ({len(rows)})",
                        "",
                        "| severity | rule | message |",
                        "| --- | --- | --- |",
                    ],
                    [f"| {md(x['severity'])} | {md(x['rule'])} | {md(x['message'])} |" for x in rows],
                    [""],
                    priority,
                    "findings",
                )
            )
    for title, key, priority in (
        ("Lost pairs", "lost", 1),
        ("Gained pairs", "gained", 3),
        ("Changed pairs", "changed", 2),
    ):
        rows = data["pairs"][key]
        if rows:
            sections.append(
                Section(
                    [
                        f"### {title} ({len(rows)})",
                        "",
                        "| from | to | before | after |",
                        "| --- | --- | --- | --- |",
                    ],
                    [
                        f"| {md(_source(x))} | {md(x['to'])} | {md(_path(x['before']))} | {md(_path(x['after']))} |"
                        for x in rows
                    ],
                    [""],
                    priority,
                    "pairs",
                )
            )
    if data["routes"]:
        existing = [r for r in data["routes"] if not r.get("vantageCreated")]
        created = sorted(
            {v for r in data["routes"] if r.get("vantageCreated") for v in r["vantages"]}, key=str.lower
        )
        tail = [""]
        if created:
            count = sum(len(r["prefixes"]) for r in data["routes"] if r.get("vantageCreated"))
            tail = ["", f"New with the change: {md(', '.join(created))} ({count} selected routes).", ""]
        sections.append(
            Section(
                [
                    "### Selected routes that changed",
                    "",
                    "| at | prefix | before | after |",
                    "| --- | --- | --- | --- |",
                ],
                [
                    f"| {md(_where(r))} | {md(_prefixes(r))} | {md(_route(r['before']))} | {md(_route(r['after']))} |"
                    for r in existing
                ],
                tail,
                3,
                "route changes",
            )
        )
    rest: list[str] = []
    for title, key in (("Intents broken", "broken"), ("Intents fixed", "fixed")):
        if data["intents"][key]:
            rest += [f"**{title}:** " + ", ".join(md(n) for n in data["intents"][key]), ""]
    sections.append(Section(rest))
    gaps = [g for g in data["coverage"]["gaps"] if g["new"] or g["affectsChange"]]
    if gaps:
        sections.append(
            Section(
                [
                    "### Coverage gaps that matter to this change",
                    "",
                    "| kind | resource | detail |",
                    "| --- | --- | --- |",
                ],
                [f"| {md(g['kind'])} | {md(g['resource'])} | {md(g['detail'])} |" for g in gaps],
                [""],
                2,
                "gaps",
            )
        )
    notes: list[str] = []
    if s["rulesNotEvaluated"]:
        notes += [f"Observations ignored; not evaluated: {md(', '.join(s['rulesNotEvaluated']))}.", ""]
    for rule, only in s.get("rulesPartlyEvaluated", {}).items():
        notes += [f"{md(rule)} is evaluated only {md(only)}.", ""]
    sections.append(Section(notes))
    return render(sections, max_chars, full="`azroute diff ... --format json` lists every one")


def _where(row: dict[str, Any]) -> str:
    """A grouped route change's vantage points: the first, and how many more."""
    more = len(row.get("vantages", [row["vantage"]])) - 1
    return str(row["vantage"]) + (f" (+{more} more)" if more else "")


def _prefixes(row: dict[str, Any]) -> str:
    more = len(row.get("prefixes", [row["prefix"]])) - 1
    return str(row["prefix"]) + (f" (+{more} prefixes)" if more else "")


def shown_path(path: str) -> str:
    """A path as a report shows it: relative to the working directory when inside it, else its
    last component (a runner's absolute path does not belong in a pull-request comment)."""
    if not os.path.isabs(path):
        return path
    here = os.getcwd()
    try:
        inside = os.path.commonpath([here, path]) == here
    except ValueError:
        inside = False
    return os.path.relpath(path, here) if inside else os.path.basename(path.rstrip("/")) or path


def _resource(rid: str) -> str:
    """An ARM id as `type/name` (`virtualNetworkPeerings/spoke-to-hub`)."""
    parts = rid.strip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else rid


def _source(entry: dict[str, Any]) -> str:
    """A pair's source: on an estate compared by groups, the first of the VNets that route alike."""
    more = len(entry.get("members", [])) - 1
    return str(entry["from"]) + (f" (+{more} VNets that route alike)" if more > 0 else "")
