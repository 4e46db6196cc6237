"""One self-contained HTML file: summary, findings with their evidence, coverage gaps, the path matrix
and the topology (an inline SVG, with its Mermaid source). It opens offline: no fetched script,
style, font or image (a Content-Security-Policy says so to the browser too); the one script is the
findings' text filter, inline and allowed by its hash (the severity and rule filters are radio
buttons and CSS); the only URLs are the rules' documentation links. Every value from the snapshot is escaped (`html.escape`, and control
and bidi characters shown as their escapes).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping
from typing import Any

from auditor.formats import topology
from auditor.formats.common import (
    SEVERITIES,
    FormatInput,
    RuleInfo,
    by_severity,
    counts,
    grouped_by_rule,
    resources,
    rule_infos,
    status,
)
from auditor.intents import intent_groups
from auditor.routing.paths import PathPair
from auditor.routing.shared import path_finder
from auditor.routing.views import walk_summary
from auditor.textsafe import escape

MAX_NETWORKS = 60
EXPANDED_UP_TO = 10  # findings shown unfolded (evidence visible) when there are at most this many

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1f2328; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0; } th, td { border: 1px solid #d0d7de; padding: 3px 8px;
  text-align: left; vertical-align: top; } th { background: #f6f8fa; }
code, pre { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; white-space: pre-wrap; }
details.finding { border: 1px solid #d0d7de; border-radius: 6px; margin: .5em 0; padding: .4em .8em; }
details.finding > summary { cursor: pointer; }
.sev { display: inline-block; min-width: 4.5em; font-weight: 600; }
.error .sev { color: #cf222e; } .warning .sev { color: #9a6700; } .info .sev { color: #0969da; }
.muted, .not-counted { color: #656d76; }
.matrix td { font-size: 12px; white-space: nowrap; } .reachable { background: #dafbe1; }
.one-way { background: #fff8c5; } .none { background: #ffebe9; } .unknown { background: #eaeef2; }
.asym { font-weight: 600; }
svg.topology .edge { fill: none; stroke: #8c959f; stroke-width: 1.4; }
svg.topology rect { fill: #f6f8fa; stroke: #57606a; } svg.topology .site rect { fill: #ddf4ff; }
svg.topology .circuit rect, svg.topology .local-network-gateway rect { fill: #fbefff; }
svg.topology .external rect { stroke-dasharray: 4,3; fill: #ffffff; }
svg.topology text { font: 12px system-ui, sans-serif; } svg.topology .col { font-weight: 600; }
td, summary, code, li { overflow-wrap: anywhere; } .scroll { overflow-x: auto; max-width: 100%; }
.filters input[type=radio] { margin-left: .8em; } .filters label { margin-right: .2em; }
.filters input[type=search] { width: 100%; max-width: 30em; margin: .4em 0; }
ul.fired { columns: 16em; } h4 { margin: 1em 0 .3em; }
"""
# the one script: the text filter over findings (by resource, rule or words), allowed by its hash
FILTER_SCRIPT = (
    "document.getElementById('q').addEventListener('input',function(e){"
    "var t=e.target.value.toLowerCase();"
    "document.querySelectorAll('details.finding').forEach(function(d){"
    "d.hidden=t!==''&&d.textContent.toLowerCase().indexOf(t)<0;});});"
)
SCRIPT_HASH = base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode()).digest()).decode()
CSP = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{SCRIPT_HASH}'"


def h(value: object) -> str:
    """Untrusted text for HTML: control and bidi characters escaped, then HTML-escaped."""
    return html.escape(escape(str(value)), quote=True)


def _css_id(value: object) -> str:
    """A rule id as a class name (rule ids are letters and digits; anything else is dropped)."""
    return re.sub(r"[^A-Za-z0-9_-]", "", str(value))


def _filters(findings: list[dict[str, Any]]) -> str:
    """Filters over the findings that need no script (radio buttons and CSS: by severity, by rule)
    and one small script whose hash the page's CSP allows (a text filter: resource, rule, words).
    Opens the element that holds the findings (closed after them)."""
    severities = [s for s, items in by_severity(findings).items() if items]
    rule_ids = sorted({_css_id(f.get("rule", "")) for f in findings})
    css = []
    for s in severities:
        css.append(f"#fs-{s}:checked ~ .findings .sevgroup:not(.{s}) {{ display: none; }}")
    for r in rule_ids:
        css.append(
            f"#fr-{r}:checked ~ .findings .finding:not(.r-{r}), #fr-{r}:checked ~ .findings h4:not(.r-{r}) "
            "{ display: none; }"
        )
    radios = ['<input type="radio" name="fs" id="fs-all" checked><label for="fs-all">every severity</label>']
    radios += [
        f'<input type="radio" name="fs" id="fs-{s}"><label for="fs-{s}">{h(s)}</label>' for s in severities
    ]
    radios += ['<br><input type="radio" name="fr" id="fr-all" checked><label for="fr-all">every rule</label>']
    radios += [
        f'<input type="radio" name="fr" id="fr-{r}"><label for="fr-{r}">{h(r)}</label>' for r in rule_ids
    ]
    return (
        f"<style>{' '.join(css)}</style>"
        '<div class="filters">'
        '<input type="search" id="q" placeholder="filter by resource, rule or words" aria-label="filter findings">'
        f"<script>{FILTER_SCRIPT}</script><br>" + "".join(radios) + '<div class="findings">'
    )


def _fired(findings: list[dict[str, Any]]) -> str:
    """Every rule that fired with its count, each a link to its findings (the first screen)."""
    items = []
    for severity, group_items in by_severity(findings).items():
        for group in grouped_by_rule(group_items, lambda f: str(f.get("rule", ""))):
            rule = h(group[0].get("rule", ""))
            items.append(
                f'<li class="{h(severity)}"><a href="#rule-{rule}-{h(severity)}">{rule}</a> '
                f'{h(group[0].get("name", ""))} &times;{len(group)} <span class="muted">{h(severity)}</span></li>'
            )
    return f'<p>Rules that fired:</p><ul class="fired">{"".join(items)}</ul>' if items else ""


def _count_table(findings: list[dict[str, Any]]) -> str:
    counted = by_severity(f for f in findings if counts(f))
    everything = by_severity(findings)
    rows = "".join(
        f'<tr class="{s}"><td class="sev">{s}</td><td>{len(counted.get(s, []))}</td>'
        f"<td>{len(everything.get(s, [])) - len(counted.get(s, []))}</td></tr>"
        for s in SEVERITIES
    )
    return f"<table><tr><th>severity</th><th>findings</th><th>not counted (suppressed or known)</th></tr>{rows}</table>"


def _finding(finding: Mapping[str, Any], rules: dict[str, RuleInfo], expand: bool) -> str:
    severity = str(finding.get("severity", ""))
    rule = rules.get(str(finding.get("rule", "")))
    said = status(finding)
    parts = [
        f'<details id="f-{h(finding.get("fingerprint", ""))}" '
        f'class="finding {h(severity)} r-{_css_id(finding.get("rule", ""))}{"" if counts(finding) else " not-counted"}"'
        + (" open>" if expand else ">"),
        f'<summary><span class="sev">{h(severity)}</span> <b>{h(finding.get("rule", ""))}</b> '
        f"{h(finding.get('name', ''))}: {h(finding.get('message', ''))}"
        + (f' <span class="muted">({h(said)})</span>' if said else "")
        + "</summary>",
        "<table>",
        f"<tr><th>fingerprint</th><td><code>{h(finding.get('fingerprint', ''))}</code></td></tr>",
        "<tr><th>resources</th><td>"
        + ("<br>".join(f"<code>{h(r)}</code>" for r in resources(finding)) or "-")
        + "</td></tr>",
    ]
    if said:
        parts.append(f"<tr><th>status</th><td>{h(said)}</td></tr>")
    mark = finding.get("suppression")
    if isinstance(mark, dict) and mark.get("source"):
        parts.append(f"<tr><th>suppressed by</th><td>{h(mark['source'])}</td></tr>")
    evidence = json.dumps(finding.get("evidence", {}), indent=2, sort_keys=True, ensure_ascii=False)
    parts.append(
        f"<tr><th>evidence</th><td><pre>{html.escape(escape(evidence, layout=True))}</pre></td></tr>"
    )
    if rule is not None:
        docs = "".join(
            f' <a href="{html.escape(url, quote=True)}" rel="noreferrer">{h(url)}</a>'
            for url in rule.references
            if url.startswith(("https://", "http://"))
        )
        parts.append(f"<tr><th>rule</th><td>{h(rule.summary)}{docs}</td></tr>")
    parts += ["</table>", "</details>"]
    return "\n".join(parts)


def _gaps(data: FormatInput) -> str:
    gaps, accepted = data.gaps(), data.accepted()
    if not gaps:
        out = "<p>Coverage is complete: nothing referenced is missing and every observation succeeded.</p>"
    else:
        rows = "".join(
            f"<tr><td>{h(g.get('kind', ''))}</td><td><code>{h(g.get('resource', ''))}</code></td>"
            f"<td>{h(g.get('detail', ''))}</td><td>{h(', '.join(map(str, g.get('rules', []) or [])) or '-')}</td></tr>"
            for g in gaps
        )
        out = (
            f"<p><b>Coverage is incomplete</b> ({len(gaps)} gap{'s' if len(gaps) != 1 else ''}): what these "
            "resources hold was not evaluated.</p>"
            f"<table><tr><th>kind</th><th>resource</th><th>detail</th><th>rules</th></tr>{rows}</table>"
        )
    if accepted:
        rows = "".join(
            f"<tr><td>{h(g.get('feature') or g.get('kind', ''))}</td><td><code>{h(g.get('resource', ''))}</code></td>"
            f"<td>{h(g.get('reason', ''))}</td></tr>"
            for g in accepted
        )
        out += (
            f"<p>Accepted as not modelled ({len(accepted)}):</p>"
            f"<table><tr><th>feature</th><th>resource</th><th>reason</th></tr>{rows}</table>"
        )
    return out


def _cell(pair: PathPair) -> tuple[str, str]:
    if pair.status == "unknown":
        return "unknown", "unknown: " + "; ".join(pair.unknown)
    if pair.status != "reachable":
        text = pair.status
    else:
        text = walk_summary(pair.forward) + (" (asymmetric)" if pair.asymmetric else "")
    tip = f"forward: {walk_summary(pair.forward)}; return: {walk_summary(pair.back)}"
    for label, walk in (("forward", pair.forward), ("return", pair.back)):
        if not walk.delivered and walk.reason:
            tip += f"; {label} stops: {walk.reason}"
    return text, tip


def _matrix(data: FormatInput) -> str:
    finder = path_finder(data.snapshot)
    names = finder.networks()
    if not names:
        return "<p>No networks to walk between: no VNet has a workload subnet and no site has prefixes.</p>"
    if len(names) > MAX_NETWORKS:
        return (
            f"<p>{len(names)} networks: too many for a matrix here (at most {MAX_NETWORKS}); "
            "use <code>azroute paths</code>.</p>"
        )
    head = "".join(f"<th>{h(n)}</th>" for n in names)
    rows = []
    for a in names:
        cells = []
        for b in names:
            if a == b or not finder.comparable(a, b):
                cells.append('<td class="muted">-</td>')
                continue
            pair = finder.pair(a, b)
            text, tip = _cell(pair)
            cls = pair.status + (" asym" if pair.asymmetric else "")
            cells.append(f'<td class="{cls}" title="{h(tip)}">{h(text)}</td>')
        rows.append(f"<tr><th>{h(a)}</th>{''.join(cells)}</tr>")
    return (
        "<p>Each cell: how traffic goes from the row's network to the column's (hover for both ways).</p>"
        f'<table class="matrix"><tr><th>from \\ to</th>{head}</tr>{"".join(rows)}</table>'
    )


def _topology(data: FormatInput) -> str:
    graph = topology.build(data.snapshot)
    if not graph.nodes:
        return "<p>Nothing to draw.</p>"
    if len(graph.nodes) > topology.MAX_NODES:
        return (
            f"<p>{len(graph.nodes)} resources: too many to draw here; use <code>azroute inventory</code>.</p>"
        )
    return (
        f'<div class="scroll">{topology.svg(graph)}</div>'  # wider than a phone: it scrolls, the page does not
        + '\n<p class="muted">Dashed: not connected; dashed box: outside the snapshot.</p>'
        + '\n<details><summary>Mermaid source</summary>\n<pre class="mermaid">'
        + html.escape(topology.mermaid(graph))
        + "</pre></details>"
    )


def _intents(data: FormatInput) -> str:
    """One line with every intent of `--intent FILE` by outcome (nothing without intents)."""
    groups = intent_groups(data.intents())
    if not groups:
        return ""
    parts = "; ".join(
        f'{len(names)} <span class="intent-{h(status)}">{h(status)}</span> ({h(", ".join(names))})'
        for status, names in groups
    )
    return f'<p id="intents">Intents: {parts}</p>'


def render(data: FormatInput) -> str:
    findings = data.findings()
    rules = {r.id: r for r in rule_infos(data.rules, findings)}
    name = data.snapshot_name()
    counted = sum(1 for f in findings if counts(f))
    gaps = data.gaps()
    summary = data.report.get("summary", {})
    source = data.report.get("snapshot", {}).get("source", "")
    sections = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>azroute audit: {h(name)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>azroute audit: {h(name)}</h1>",
        f'<p class="muted">snapshot source: {h(source)} · azroute {h(data.tool_version())} · '
        f"{h(summary.get('rulesRun', ''))} rules run · {h(summary.get('resources', ''))} resources</p>",
        '<h2 id="summary">Summary</h2>',
        f"<p><b>{counted} finding{'s' if counted != 1 else ''}</b> that count{'' if counted != 1 else 's'}; coverage "
        + (f"<b>incomplete</b> ({len(gaps)} gaps)" if gaps else "complete")
        + ".</p>",
        _count_table(findings),
        _fired(findings),
        _intents(data),
        '<h2 id="findings">Findings</h2>',
    ]
    if not findings:
        sections.append("<p>No findings.</p>")
    else:
        sections.append(_filters(findings))
    for severity, items in by_severity(findings).items():
        if items:
            sections.append(f'<section class="sevgroup {h(severity)}"><h3>{h(severity)} ({len(items)})</h3>')
            for group in grouped_by_rule(items, lambda f: str(f.get("rule", ""))):
                first = group[0]
                rule = _css_id(first.get("rule", ""))
                sections.append(
                    f'<h4 id="rule-{h(first.get("rule", ""))}-{h(severity)}" class="r-{rule}">'
                    f"{h(first.get('rule', ''))} {h(first.get('name', ''))} ({len(group)})</h4>"
                )
                sections += [_finding(f, rules, expand=len(findings) <= EXPANDED_UP_TO) for f in group]
            sections.append("</section>")
    if findings:
        sections.append("</div></div>")  # .findings, .filters
    sections += [
        '<h2 id="coverage">Coverage</h2>',
        _gaps(data),
        '<h2 id="paths">Path matrix</h2>',
        f'<div class="scroll">{_matrix(data)}</div>',
        '<h2 id="topology">Topology</h2>',
        _topology(data),
        "</body>",
        "</html>",
    ]
    return "\n".join(sections) + "\n"
