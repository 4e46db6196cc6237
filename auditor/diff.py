"""`azroute diff`: what a change does to routing, from configuration only.

Both sides are evaluated the same way: the rules that read configuration, the path between every
pair of networks, and the selected route of every prefix at every VNet and site. Observations
describe the past (and a predicted AFTER has none), so they are left out of both sides; rules that
read only observations are listed as not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.engine import AuditResult, Rule, run
from auditor.findings import CoverageGap, Finding, Severity
from auditor.model import Snapshot
from auditor.report import finding_dict
from auditor.routing.shared import path_finder
from auditor.routing.views import UnknownVantage, pair_json, vantage_rows

DIFF_SCHEMA = "azroute.diff/1"
ROUTE_FIELDS = ("nextHopType", "nextHop", "via", "asPath", "source")
PATH_KINDS = ("gateway", "connection", "circuit", "globalReach", "appliance")  # what "moving a path" means


@dataclass
class Evaluation:
    """One side of a diff."""

    snapshot: Snapshot
    result: AuditResult
    pairs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    routes: dict[str, dict[str, list[dict[str, Any]]]] = field(
        default_factory=dict
    )  # vantage -> prefix -> rows


def configuration_rules(rules: Sequence[type[Rule]]) -> tuple[list[type[Rule]], list[str]]:
    """The rules a diff runs, and the ids of those it cannot (they read only observations)."""
    return [r for r in rules if r.reads != "observations"], sorted(
        r.id for r in rules if r.reads == "observations"
    )


def partly_evaluated(rules: Sequence[type[Rule]]) -> dict[str, str]:
    """Rules a diff runs that leave part of their answer out without observations, and what."""
    return {r.id: r.without_observations for r in rules if r.without_observations}


def evaluate(
    snapshot: Snapshot,
    rules: Sequence[type[Rule]],
    intents: Sequence[Any] = (),
    accept_unmodelled: Mapping[str, str] | None = None,
) -> Evaluation:
    result = run(snapshot, rules, intents=intents, accept_unmodelled=accept_unmodelled)
    side = Evaluation(snapshot, result)
    finder = path_finder(snapshot)
    names = finder.networks()
    for a in names:
        for b in names:
            if a != b and finder.comparable(a, b):
                side.pairs[(a, b)] = pair_json(finder.pair(a, b))
    plane = finder.plane
    vantages = [v.display_name for v in snapshot.vnets] + [s.name for s in plane.sites]
    for name in sorted(set(vantages), key=str.lower):
        try:
            vantage, rows = vantage_rows(plane, name)
        except UnknownVantage:
            continue
        # a VNet whose subnets route differently: one vantage per subnet group, named as in `paths`
        sections = [(g.name, g.rows) for g in vantage.groups] or [(vantage.name, rows)]
        for section, section_rows in sections:
            side.routes[f"{vantage.kind} {section}"] = _selected(section_rows)
    return side


def _selected(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    selected: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("selected") and row.get("direction", "learned") == "learned":
            selected.setdefault(row["prefix"], []).append({k: row.get(k) for k in ROUTE_FIELDS})
    return {p: sorted(v, key=lambda r: repr(sorted(r.items()))) for p, v in selected.items()}


def _path_keys(hops: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(h["kind"], (h.get("id") or h["name"]).lower()) for h in hops if h["kind"] in PATH_KINDS]


def _pair_view(pair: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "status", "asymmetric", "unknown", "forward", "return",
        "forwardSummary", "returnSummary", "forwardReason", "returnReason",
    )  # fmt: skip
    return {k: pair[k] for k in keep}


def compare_pairs(
    before: Mapping[tuple[str, str], dict[str, Any]], after: Mapping[tuple[str, str], dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"lost": [], "gained": [], "changed": []}
    for key in sorted(set(before) | set(after), key=lambda k: (k[0].lower(), k[1].lower())):
        b, a = before.get(key), after.get(key)
        was = b is not None and b["status"] == "reachable"
        now = a is not None and a["status"] == "reachable"
        entry: dict[str, Any] = {
            "from": key[0],
            "to": key[1],
            "before": _pair_view(b) if b else None,
            "after": _pair_view(a) if a else None,
        }
        if was and not now:
            out["lost"].append(entry)
        elif now and not was:
            out["gained"].append(entry)
        elif b is not None and a is not None:
            moved = _path_keys(b["forward"]) != _path_keys(a["forward"]) or _path_keys(
                b["return"]
            ) != _path_keys(a["return"])
            if moved or b["asymmetric"] != a["asymmetric"] or b["status"] != a["status"]:
                entry["why"] = sorted(
                    w
                    for w, hit in (
                        ("forward path moved", _path_keys(b["forward"]) != _path_keys(a["forward"])),
                        ("return path moved", _path_keys(b["return"]) != _path_keys(a["return"])),
                        ("became asymmetric", a["asymmetric"] and not b["asymmetric"]),
                        ("became symmetric", b["asymmetric"] and not a["asymmetric"]),
                        (f"status {b['status']} -> {a['status']}", b["status"] != a["status"]),
                    )
                    if hit
                )
                out["changed"].append(entry)
    return out


def compare_routes(
    before: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    after: Mapping[str, Mapping[str, list[dict[str, Any]]]],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for vantage in sorted(set(before) | set(after), key=str.lower):
        b, a = before.get(vantage, {}), after.get(vantage, {})
        for prefix in sorted(set(b) | set(a)):
            if b.get(prefix) != a.get(prefix):
                out.append(
                    {"vantage": vantage, "prefix": prefix, "before": b.get(prefix), "after": a.get(prefix)}
                )
    return out


def _fingerprints(findings: Iterable[Finding]) -> dict[str, Finding]:
    return {f.fingerprint: f for f in findings}


def _gap_key(gap: CoverageGap) -> tuple[str, str, str]:
    return gap.sort_key


@dataclass
class DiffResult:
    data: dict[str, Any]
    regression: bool
    relevant_gaps: bool  # a gap new in AFTER, or one that names something the change moved


def diff(
    before: Evaluation,
    after: Evaluation,
    *,
    fail_on: Severity | None = Severity.ERROR,
    fail_on_lost: bool = True,
    fail_on_asymmetric: bool = True,
    not_evaluated: Sequence[str] = (),
    partly: Mapping[str, str] | None = None,
    predicted_from: dict[str, Any] | None = None,
) -> DiffResult:
    old, new = _fingerprints(before.result.findings), _fingerprints(after.result.findings)
    findings = {
        "new": [finding_dict(new[k]) for k in sorted(set(new) - set(old), key=lambda k: new[k].sort_key)],
        "resolved": [
            finding_dict(old[k]) for k in sorted(set(old) - set(new), key=lambda k: old[k].sort_key)
        ],
        "unchanged": [
            finding_dict(new[k]) for k in sorted(set(new) & set(old), key=lambda k: new[k].sort_key)
        ],
    }
    pairs = compare_pairs(before.pairs, after.pairs)
    routes = compare_routes(before.routes, after.routes)
    intents = {
        "broken": sorted(
            f["evidence"].get("intent", f["message"]) for f in findings["new"] if f["rule"] == "INT001"
        ),
        "fixed": sorted(
            f["evidence"].get("intent", f["message"]) for f in findings["resolved"] if f["rule"] == "INT001"
        ),
    }
    old_gaps = {_gap_key(g) for g in before.result.gaps}
    touched = _touched(findings, pairs, routes)
    gaps = []
    relevant = False
    for gap in after.result.gaps:
        is_new = _gap_key(gap) not in old_gaps
        affects = gap.resource.lower() in touched or any(
            t.startswith(gap.resource.lower() + "/") for t in touched if gap.resource.startswith("/")
        )
        relevant |= is_new or affects
        gaps.append(
            {**gap.model_dump(mode="json", exclude_none=True), "new": is_new, "affectsChange": affects}
        )
    new_severe = [
        f for f in findings["new"] if fail_on is not None and Severity(f["severity"]).rank <= fail_on.rank
    ]
    asymmetric = [p for p in pairs["changed"] if "became asymmetric" in p.get("why", [])]
    regression = (
        bool(new_severe)
        or (fail_on_lost and bool(pairs["lost"]))
        or (fail_on_asymmetric and bool(asymmetric))
    )
    after_info: dict[str, Any] = {"name": after.snapshot.name}
    if predicted_from is not None:
        after_info["predictedFrom"] = predicted_from
    data = {
        "schema": DIFF_SCHEMA,
        "before": {"name": before.snapshot.name},
        "after": after_info,
        "observations": "ignored",
        "findings": findings,
        "pairs": pairs,
        "routes": routes,
        "intents": intents,
        "coverage": {
            "complete": not after.result.gaps,
            "gaps": gaps,
            "accepted": [
                {**g.model_dump(mode="json", exclude_none=True), "reason": reason}
                for g, reason in after.result.accepted
            ],
        },
        "summary": {
            "findings": {k: len(v) for k, v in findings.items()},
            "pairs": {k: len(v) for k, v in pairs.items()},
            "becameAsymmetric": len(asymmetric),
            "routesChanged": len(routes),
            "intents": {k: len(v) for k, v in intents.items()},
            "newGaps": sum(1 for g in gaps if g["new"]),
            "rulesNotEvaluated": list(not_evaluated),
            "rulesPartlyEvaluated": dict(sorted((partly or {}).items())),
            "regression": regression,
        },
    }
    return DiffResult(data, regression, relevant)


def _touched(
    findings: Mapping[str, list[dict[str, Any]]],
    pairs: Mapping[str, list[dict[str, Any]]],
    routes: list[dict[str, Any]],
) -> set[str]:
    """Ids and names of what the change moved: resources of new or resolved findings, hops of changed
    pairs, next hops and via of changed routes (lower case)."""
    out: set[str] = set()
    for key in ("new", "resolved"):
        for f in findings[key]:
            out.update(r.lower() for r in f["resources"])
    for entries in pairs.values():
        for entry in entries:
            out.update((entry["from"].lower(), entry["to"].lower()))
            for side in (entry["before"], entry["after"]):
                for hop in (side or {}).get("forward", []) + (side or {}).get("return", []):
                    out.add(hop["name"].lower())
                    if hop.get("id"):
                        out.add(hop["id"].lower())
    for route in routes:
        for side in (route["before"] or []) + (route["after"] or []):
            for k in ("via", "nextHop"):
                if side.get(k):
                    out.add(str(side[k]).lower())
    return out
