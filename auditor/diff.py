"""`azroute diff`: what a change does to routing, from configuration only.

Both sides are evaluated the same way: the rules that read configuration, the path between every
pair of networks, and the selected route of every prefix at every VNet and site. Observations
describe the past (and a predicted AFTER has none), so they are left out of both sides; rules that
read only observations are listed as not evaluated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.change import Impact, impact
from auditor.engine import AuditResult, Reuse, Rule, run
from auditor.findings import CoverageGap, Finding, Severity
from auditor.gcpause import building
from auditor.ids import ArmId
from auditor.model import IPNetwork, Snapshot, VirtualNetwork, parse_prefix
from auditor.report import finding_dict
from auditor.routing.paths import PathFinder, signature_groups
from auditor.routing.prefixindex import OverlapIndex, prefix_key
from auditor.routing.shared import path_finder
from auditor.routing.tables import local_candidates
from auditor.routing.views import UnknownVantage, pair_json, vantage_rows
from auditor.routing.walked import GROUPS_TO_SITES, walk_scope

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
    groups: Grouped | None = None  # an estate too large for every pair: groups of VNets to sites


def configuration_rules(rules: Sequence[type[Rule]]) -> tuple[list[type[Rule]], list[str]]:
    """The rules a diff runs, and the ids of those it cannot (they read only observations)."""
    return [r for r in rules if r.reads != "observations"], sorted(
        r.id for r in rules if r.reads == "observations"
    )


def partly_evaluated(rules: Sequence[type[Rule]]) -> dict[str, str]:
    """Rules a diff runs that leave part of their answer out without observations, and what."""
    return {r.id: r.without_observations for r in rules if r.without_observations}


@dataclass(frozen=True)
class Scope:
    """What one side of a diff walks and compares (`auditor/change.py` decides it): pairs with an
    endpoint among `networks` (None: every pair), the whole tables of the VNets in `vnets` (None:
    every vantage point's whole table) and, at every other vantage point, the routes of prefixes
    overlapping `prefixes`."""

    networks: frozenset[str] | None = None
    vnets: frozenset[ArmId] | None = None
    prefixes: tuple[IPNetwork, ...] = ()
    grouped: bool | None = None  # every pair or groups to sites; None: by the side's own size
    # VNet vantage points (lower-case name) whose tables are compared: whole (None) or on the
    # prefixes of an index; a VNet not in it has the same tables on both sides. None: every VNet
    tables: Mapping[str, OverlapIndex[IPNetwork] | None] | None = None

    @property
    def empty(self) -> bool:
        """No pair to walk and no vantage point to compare (no resource differs): a side needs
        its rules only, not its control plane."""
        return (
            self.networks is not None
            and not self.networks
            and self.vnets is not None
            and not self.vnets
            and not self.prefixes
            and not self.tables
        )

    @classmethod
    def of(cls, impact: Impact) -> Scope:
        if impact.everything:
            return EVERYTHING
        return cls(impact.networks, impact.vnets, impact.prefixes)


EVERYTHING = Scope()
NOTHING = Scope(frozenset(), frozenset(), ())
Progress = Callable[[str, int], Callable[[], None]]  # (stage, total) -> advance


def _no_progress(_stage: str, _total: int) -> Callable[[], None]:
    return lambda: None


@building()  # the pairs and routes it keeps live as long as the diff
def evaluate(
    snapshot: Snapshot,
    rules: Sequence[type[Rule]],
    intents: Sequence[Any] = (),
    accept_unmodelled: Mapping[str, str] | None = None,
    *,
    scope: Scope = EVERYTHING,
    result: AuditResult | None = None,
    progress: Progress = _no_progress,
    label: str = "",
    settings: Mapping[str, Any] | None = None,
    reuse: Reuse | None = None,
) -> Evaluation:
    """One side: the rules' result (`result` when it is known already), and the pairs and selected
    routes `scope` asks for (every pair and every vantage point's whole table by default: the
    complete evaluation, which the incremental one is tested against)."""
    if result is None:
        tick = progress(f"rules {label}".strip(), 1)
        result = run(
            snapshot, rules, intents=intents, accept_unmodelled=accept_unmodelled, reuse=reuse,
            **(settings or {}),
        )  # fmt: skip
        tick()
    side = Evaluation(snapshot, result)
    if scope.empty:
        return side  # nothing to walk or compare: the rules are all this side needs
    finder = path_finder(snapshot)
    names = finder.networks()
    by_groups = scope.grouped if scope.grouped is not None else walk_scope(finder) == GROUPS_TO_SITES
    if scope.networks is None and by_groups:
        # as `paths` (and the audit) walk an estate this size: each group of VNets that route
        # alike, to and from every site
        tick = progress(f"pairs {label}".strip(), 1)
        groups = signature_groups(finder)
        side.groups = [(tuple(groups.members[r.group]), r.site, pair_json(r.pair)) for r in groups.rows]
        tick()
        walk = []
    elif scope.networks is None:
        walk = [(a, b) for a in names for b in names if a != b]
    else:
        ends = [n for n in names if n.lower() in scope.networks]
        walk = sorted(
            {(a, b) for a in ends for b in names if a != b} | {(b, a) for a in ends for b in names if a != b}
        )
    tick = progress(f"pairs {label}".strip(), len(walk))
    wanted = set(walk)
    for a, b in walk:
        if (a, b) not in side.pairs and finder.comparable(a, b):
            if (b, a) in wanted:  # both directions' pairs share their two walks
                there, back = finder.pair_both_ways(a, b)
                side.pairs[(a, b)], side.pairs[(b, a)] = pair_json(there), pair_json(back)
            else:
                side.pairs[(a, b)] = pair_json(finder.pair(a, b))
        tick()
    plane = finder.plane
    within = OverlapIndex(scope.prefixes, lambda p: p) if scope.prefixes else None
    vnet_names = {v.display_name.lower(): v for v in reversed(snapshot.vnets)}  # the first of a name
    vantages = sorted(
        {*(v.display_name for v in snapshot.vnets), *(s.name for s in plane.sites)}, key=str.lower
    )
    tick = progress(f"routes {label}".strip(), len(vantages))
    for name in vantages:
        tick()
        vnet = vnet_names.get(name.lower())
        whole = scope.vnets is None or (vnet is not None and vnet.id in scope.vnets)
        restrict = None if whole else within
        if vnet is not None and scope.tables is not None:
            if name.lower() not in scope.tables:
                continue  # the same tables on both sides
            restrict = scope.tables[name.lower()]
        elif not whole and within is None:
            continue
        try:
            vantage, rows = vantage_rows(plane, name, restrict)
        except UnknownVantage:
            continue
        # a VNet whose subnets route differently: one vantage per subnet group, named as in `paths`
        sections = [(g.name, g.rows) for g in vantage.groups] or [(vantage.name, rows)]
        for section, section_rows in sections:
            side.routes[f"{vantage.kind} {section}"] = _selected(section_rows)
    return side


@building()  # both sides' planes, walks and rows live as long as the diff
def evaluate_change(
    before: Snapshot,
    after: Snapshot,
    rules: Sequence[type[Rule]],
    intents: Sequence[Any] = (),
    accept_unmodelled: Mapping[str, str] | None = None,
    *,
    progress: Progress = _no_progress,
    results: tuple[AuditResult | None, AuditResult | None] = (None, None),
    settings: Mapping[str, Any] | None = None,
) -> tuple[Evaluation, Evaluation, Impact]:
    """Both sides of a diff, recomputing only what the change can move (`auditor/change.py`):
    nothing when no resource differs (AFTER's rules answer as BEFORE's), the pairs and routes of
    the touched leaf VNets' networks and prefixes, or everything. `results`: the rules' results
    when they are known already; `settings`: the configuration's rule options, severity overrides and
    suppressions (`engine.run`'s keywords)."""
    moved = impact(before, after)
    scope = NOTHING if moved.nothing else Scope.of(moved)
    if scope.networks is None:  # both sides walk alike: groups if either is too large for every pair
        sizes = (walk_scope(path_finder(side)) for side in (before, after))
        scope = replace(
            scope,
            grouped=any(size == GROUPS_TO_SITES for size in sizes),
            tables=changed_tables(path_finder(before), path_finder(after)),
        )
    elif not moved.nothing:  # a local change: only the VNet tables whose inputs or domain rows differ
        scope = replace(scope, tables=changed_tables(path_finder(before), path_finder(after)))
    old = evaluate(
        before, rules, intents, accept_unmodelled, scope=scope, result=results[0], progress=progress,
        label="BEFORE", settings=settings,
    )  # fmt: skip
    # a local change that moves no site: AFTER's endpoint-scoped rules keep BEFORE's findings of
    # the endpoints it cannot move
    reuse = (
        Reuse(old.result.produced, moved.networks)
        if scope.networks and not _moves_a_site(moved, before, after)
        else None
    )
    before.release()  # BEFORE's control plane and walks are not needed any more: freed now
    same = old.result if moved.nothing else results[1]
    new = evaluate(
        after, rules, intents, accept_unmodelled, scope=scope, result=same, progress=progress, label="AFTER",
        settings=settings, reuse=reuse,
    )  # fmt: skip
    return old, new, moved


def _moves_a_site(moved: Impact, before: Snapshot, after: Snapshot) -> bool:
    """Some site is among the endpoints a local change moves (an endpoint-scoped finding follows
    from the routes between its endpoint and every site)."""
    for side in (before, after):
        finder = path_finder(side)
        if any(n.lower() in moved.networks and finder.network(n).site is not None for n in finder.networks()):
            return True
    return False


def changed_tables(before: PathFinder, after: PathFinder) -> dict[str, OverlapIndex[IPNetwork] | None]:
    """The VNet vantage points whose tables may differ, and where. A subnet's table is its own
    candidate routes (system and user-defined, `tables.local_candidates`) and its gateway domain's
    BGP rows (`GatewayRows`): a VNet whose subnets' own routes, groups or domain differ is compared
    whole; one whose domain's rows changed, on the prefixes of those rows; any other is the same."""
    moved: dict[ArmId, list[IPNetwork]] = {}
    for hub in {*before.plane.domains, *after.plane.domains}:
        b = before.plane.gateway_rows[hub].groups if hub in before.plane.domains else {}
        a = after.plane.gateway_rows[hub].groups if hub in after.plane.domains else {}
        moved[hub] = [(b.get(k) or a[k])[0].prefix for k in b.keys() | a.keys() if b.get(k) != a.get(k)]
    out: dict[str, OverlapIndex[IPNetwork] | None] = {}
    indexes: dict[ArmId, OverlapIndex[IPNetwork]] = {}
    names_b = {v.display_name.lower(): v for v in reversed(before.snap.vnets)}
    names_a = {v.display_name.lower(): v for v in reversed(after.snap.vnets)}
    for name in names_b.keys() | names_a.keys():
        vb, va = names_b.get(name), names_a.get(name)
        if vb is None or va is None:
            out[name] = None
            continue
        key_b, key_a = _table_inputs(before, vb), _table_inputs(after, va)
        if key_b != key_a:
            out[name] = None
            continue
        domain = before.plane.domain_of_vnet.get(vb.id)
        if domain is not None and moved.get(domain):
            if domain not in indexes:  # one per domain: its rows within it are found once (`overlapping`)
                indexes[domain] = OverlapIndex(moved[domain], lambda p: p)
            out[name] = indexes[domain]
    return out


def _table_inputs(finder: PathFinder, vnet: VirtualNetwork) -> tuple[object, ...]:
    """What a VNet's subnet tables are made of, but its domain's BGP rows: each subnet's own
    candidates and propagation, the domain, and how its subnets group into endpoints."""
    subnets = sorted(finder.snap.subnets_of(vnet.id), key=lambda s: s.id.key)
    own = tuple(
        (s.id.key if s is not None else "", *local_candidates(finder.plane, vnet, s)[::2])
        for s in (*subnets, None)
    )
    groups = tuple(tuple(s.id.key for s in g) for g in finder.subnet_groups[vnet.id])
    return (own, groups, finder.plane.domain_of_vnet.get(vnet.id))


def _selected(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    selected: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("selected") and row.get("direction", "learned") == "learned":
            selected.setdefault(row["prefix"], []).append({k: row.get(k) for k in ROUTE_FIELDS})
    return {p: sorted(v, key=lambda r: repr(sorted(r.items()))) for p, v in selected.items()}


def _path_keys(hops: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(h["kind"], (h.get("id") or h["name"]).lower()) for h in hops if h["kind"] in PATH_KINDS]


def _ecmp(hops: Iterable[dict[str, Any]]) -> bool:
    """Whether a path load-balances somewhere (the walk follows the first ECMP member and marks
    the hop `ECMP`: `auditor/routing/paths.py`)."""
    return any("ECMP" in (h.get("note") or "").split("; ") for h in hops)


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
        found = _classify(key[0], key[1], before.get(key), after.get(key))
        if found is not None:
            out[found[0]].append(found[1])
    return out


def _classify(
    source: str, destination: str, b: dict[str, Any] | None, a: dict[str, Any] | None
) -> tuple[str, dict[str, Any]] | None:
    """Whether a pair was lost, gained or changed (and its entry), or None when it is the same."""
    was = b is not None and b["status"] == "reachable"
    now = a is not None and a["status"] == "reachable"
    entry: dict[str, Any] = {
        "from": source,
        "to": destination,
        "before": _pair_view(b) if b else None,
        "after": _pair_view(a) if a else None,
    }
    if was and not now:
        return "lost", entry
    if now and not was:
        return "gained", entry
    if b is None or a is None:
        return None
    why = sorted(
        w
        for w, hit in (
            ("forward path moved", _path_keys(b["forward"]) != _path_keys(a["forward"])),
            ("return path moved", _path_keys(b["return"]) != _path_keys(a["return"])),
            ("forward path now ECMP", _ecmp(a["forward"]) and not _ecmp(b["forward"])),
            ("forward path no longer ECMP", _ecmp(b["forward"]) and not _ecmp(a["forward"])),
            ("return path now ECMP", _ecmp(a["return"]) and not _ecmp(b["return"])),
            ("return path no longer ECMP", _ecmp(b["return"]) and not _ecmp(a["return"])),
            ("became asymmetric", a["asymmetric"] and not b["asymmetric"]),
            ("became symmetric", b["asymmetric"] and not a["asymmetric"]),
            (f"status {b['status']} -> {a['status']}", b["status"] != a["status"]),
        )
        if hit
    )
    if not why:
        return None
    entry["why"] = why
    return "changed", entry


Grouped = list[tuple[tuple[str, ...], str, dict[str, Any]]]  # (VNet endpoints, site, their pair)


def compare_groups(before: Grouped, after: Grouped) -> dict[str, list[dict[str, Any]]]:
    """The pairs of an estate too large to walk pair by pair, as `paths` shows it: each group of
    VNet endpoints that route alike to and from every site. A group with the same members on both
    sides is compared row by row; the members of groups that changed are compared one by one
    (each stands for its group's row); entries that changed alike are one, naming their members."""
    b_rows = {(members, site): pair for members, site, pair in before}
    a_rows = {(members, site): pair for members, site, pair in after}
    found: dict[str, list[dict[str, Any]]] = {"lost": [], "gained": [], "changed": []}
    alike: dict[tuple[object, ...], dict[str, Any]] = {}

    def add(members: tuple[str, ...], site: str, b: dict[str, Any] | None, a: dict[str, Any] | None) -> None:
        result = _classify(members[0], site, b, a)
        if result is None:
            return
        kind, entry = result
        key = (kind, site, repr(entry["before"]), repr(entry["after"]))
        if key in alike:
            alike[key]["members"].extend(members)
            return
        entry["members"] = list(members)
        alike[key] = entry
        found[kind].append(entry)

    for key in b_rows.keys() & a_rows.keys():
        add(key[0], key[1], b_rows[key], a_rows[key])
    # each endpoint is in one group per side (groups are by routing signature, whatever the site)
    b_group = {m: members for (members, _site) in b_rows for m in members}
    a_group = {m: members for (members, _site) in a_rows for m in members}
    moved = {
        (m, site)
        for rows, other in ((b_rows, a_rows), (a_rows, b_rows))
        for (members, site) in rows
        if (members, site) not in other
        for m in members
    }
    for m, site in moved:
        b = b_rows.get((b_group[m], site)) if m in b_group else None
        a = a_rows.get((a_group[m], site)) if m in a_group else None
        add((m,), site, b, a)
    for kind in found:
        for entry in found[kind]:
            entry["members"] = sorted(set(entry["members"]), key=str.lower)
            entry["from"] = entry["members"][0]
        found[kind].sort(key=lambda e: (e["from"].lower(), e["to"].lower()))
    return found


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


def group_routes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changed routes grouped: one row per change (the routes before and after) with every
    vantage point and prefix it happened at (`vantages`, `prefixes`; the first of each also as
    `vantage` and `prefix`), so a change that many subnet groups or prefixes share reads once (a
    spoke losing its domain's 2,500 BGP routes is a row per link and AS path, not 2,500 rows)."""
    by_prefix: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = repr((row["prefix"], row["before"], row["after"]))
        found = by_prefix.get(key)
        if found is None:
            by_prefix[key] = {**row, "vantages": [row["vantage"]]}
        else:
            found["vantages"].append(row["vantage"])
    grouped: dict[str, dict[str, Any]] = {}
    for row in by_prefix.values():
        vantages = sorted(row["vantages"], key=str.lower)
        key = repr((vantages, row["before"], row["after"]))
        found = grouped.get(key)
        if found is None:
            grouped[key] = {**row, "vantages": vantages, "prefixes": [row["prefix"]]}
        else:
            found["prefixes"].append(row["prefix"])
    out = list(grouped.values())
    for row in out:
        row["prefixes"] = sorted(row["prefixes"], key=_prefix_order)
        row["vantage"], row["prefix"] = row["vantages"][0], row["prefixes"][0]
    return sorted(out, key=lambda r: (r["vantage"].lower(), _prefix_order(r["prefix"]), repr(r["before"])))


def _prefix_order(text: str) -> tuple[int, int, int]:
    return prefix_key(parse_prefix(text))


def _recomputed(impact: Impact | None) -> dict[str, Any]:
    """What the incremental evaluation recomputed, and why (`auditor/change.py`)."""
    if impact is None:
        return {"scope": "everything", "why": "complete evaluation"}
    if impact.nothing:
        return {"scope": "nothing", "why": "no resource differs"}
    if impact.everything:
        return {"scope": "everything", "why": impact.why, "changedResources": len(impact.changed.ids)}
    return {
        "scope": "local",
        "why": "only leaf VNets are touched",
        "changedResources": len(impact.changed.ids),
        "vnets": sorted((v.name for v in impact.vnets), key=str.lower),
        "networks": len(impact.networks),
        "prefixes": [str(p) for p in impact.prefixes],
    }


def _fingerprints(findings: Iterable[Finding]) -> dict[str, Finding]:
    return {f.fingerprint: f for f in findings}


def _gap_key(gap: CoverageGap) -> tuple[str, str, str]:
    return gap.sort_key


@dataclass
class DiffResult:
    data: dict[str, Any]
    regression: bool
    relevant_gaps: bool  # a gap new in AFTER, or one that names something the change moved


@building()  # the comparison's rows are the report
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
    moved: Impact | None = None,
    configuration: Sequence[str] = (),
    configuration_changed: str | None = None,
    down: Sequence[str] = (),
    favourable: tuple[Evaluation, Sequence[str]] | None = None,
) -> DiffResult:
    """BEFORE against AFTER. `favourable`: AFTER with the prediction's gaps resolved the favourable
    way and the ids of the resources that resolution includes (`predict.favourable`); a new finding
    or a lost pair that is not in it depends on those resources' gaps (`dependsOnGap`: their ids)
    and makes the result incomplete (exit 3), not a regression."""
    old, new = _fingerprints(before.result.findings), _fingerprints(after.result.findings)
    marks_new, marks_old = after.result.marks, before.result.marks
    findings = {
        "new": [
            finding_dict(new[k], marks_new.get(k))
            for k in sorted(set(new) - set(old), key=lambda k: new[k].sort_key)
        ],
        "resolved": [
            finding_dict(old[k], marks_old.get(k))
            for k in sorted(set(old) - set(new), key=lambda k: old[k].sort_key)
        ],
        "unchanged": [
            finding_dict(new[k], marks_new.get(k))
            for k in sorted(set(new) & set(old), key=lambda k: new[k].sort_key)
        ],
    }
    if before.groups is not None or after.groups is not None:
        pairs = compare_groups(before.groups or [], after.groups or [])
    else:
        pairs = compare_pairs(before.pairs, after.pairs)
    routes = group_routes(compare_routes(before.routes, after.routes))
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
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    relevant = False
    for gap in after.result.gaps:
        is_new = _gap_key(gap) not in old_gaps
        affects = gap.resource.lower() in touched or any(
            t.startswith(gap.resource.lower() + "/") for t in touched if gap.resource.startswith("/")
        )
        relevant |= is_new or affects
        entry = {**gap.model_dump(mode="json", exclude_none=True), "new": is_new, "affectsChange": affects}
        key = (gap.kind, gap.resource.lower())
        if key in merged:  # one gap per kind and resource: the causes joined
            found = merged[key]
            found["detail"] = f"{found['detail']}; {entry['detail']}"
            found["new"] |= is_new
            found["affectsChange"] |= affects
            found["rules"] = sorted({*found.get("rules", []), *entry.get("rules", [])})
        else:
            merged[key] = {"id": _gap_id(gap.kind, gap.resource), **entry}
    gaps = list(merged.values())
    if favourable is not None:
        _mark_gap_dependence(findings["new"], pairs["lost"], gaps, *favourable)
    new_severe = [
        f
        for f in findings["new"]
        if fail_on is not None
        and Severity(f["severity"]).rank <= fail_on.rank
        and "suppression" not in f
        and not f.get("dependsOnGap")
    ]
    asymmetric = [p for p in pairs["changed"] if "became asymmetric" in p.get("why", [])]
    # a pair lost only because a value is known after apply is a gap's consequence, not a regression
    lost_pairs = [p for p in pairs["lost"] if not p.get("dependsOnGap")]
    relevant |= any(f.get("dependsOnGap") for f in findings["new"]) or len(lost_pairs) < len(pairs["lost"])
    failures = list((predicted_from or {}).get("failures", []))
    regression = (
        bool(failures)
        or bool(new_severe)
        or (fail_on_lost and bool(lost_pairs))
        or (fail_on_asymmetric and bool(asymmetric))
    )
    created = set(after.routes) - set(before.routes)  # vantage points the change creates
    for row in routes:
        if all(v in created for v in row["vantages"]):
            row["vantageCreated"] = True
    why = [
        *(f"ARM would refuse {f['resource'].rsplit('/', 1)[-1]}: {f['error']}" for f in failures),
        *(f"new {f['severity']} {f['rule']}: {f['message']}" for f in new_severe),
        *(
            [f"{len(lost_pairs)} pair(s) lose reachability: " + ", ".join(f"{x['from']} → {x['to']}" for x in lost_pairs[:3])
             + (", ..." if len(lost_pairs) > 3 else "")]
            if fail_on_lost and lost_pairs else []
        ),
        *(
            [f"{len(asymmetric)} pair(s) become asymmetric: " + ", ".join(f"{x['from']} → {x['to']}" for x in asymmetric[:3])]
            if fail_on_asymmetric and asymmetric else []
        ),
    ]  # fmt: skip
    if not regression and relevant:
        depending = [f"{f['rule']} ({f['severity']})" for f in findings["new"] if f.get("dependsOnGap")]
        depending += [f"{p['from']} → {p['to']} lost" for p in pairs["lost"] if p.get("dependsOnGap")]
        why = [
            f"gap {g['kind']} on {g['resource'].rsplit('/', 1)[-1]}: {g.get('detail', '')}".rstrip(": ")
            for g in gaps
            if g["new"] or g["affectsChange"]
        ]
        if depending:
            why.append("only while those values are unknown: " + ", ".join(depending))
    after_info: dict[str, Any] = {"name": after.snapshot.name}
    if down:
        after_info["down"] = list(down)
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
        "verdict": {
            "result": "regression" if regression else "incomplete" if relevant else "no regression",
            "why": why,
        },
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
            "predictedFailures": len(failures),
            "routesChanged": len(routes),  # grouped rows
            "routeChanges": sum(len(r["vantages"]) * len(r["prefixes"]) for r in routes),  # vantage x prefix
            "recomputed": _recomputed(moved),
            "configuration": list(configuration),
            **({"configurationChanged": configuration_changed} if configuration_changed else {}),
            "intents": {k: len(v) for k, v in intents.items()},
            "newGaps": sum(1 for g in gaps if g["new"]),
            "rulesNotEvaluated": list(not_evaluated),
            "rulesPartlyEvaluated": dict(sorted((partly or {}).items())),
            "regression": regression,
        },
    }
    return DiffResult(data, regression, relevant)


def _gap_id(kind: str, resource: str) -> str:
    """A gap's stable id: a hash of its kind and resource."""
    return hashlib.sha256(f"{kind}\0{resource.lower()}".encode()).hexdigest()[:16]


def _mark_gap_dependence(
    new: list[dict[str, Any]],
    lost: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
    resolved: Evaluation,
    resources: Sequence[str],
) -> None:
    """Mark the new findings and lost pairs that disappear once the gaps on `resources` are
    resolved the favourable way (`resolved`): `dependsOnGap` lists those gaps' ids."""
    wanted = {r.lower() for r in resources}
    ids = sorted(g["id"] for g in gaps if g["resource"].lower() in wanted)
    if not ids:
        return
    kept = {f.fingerprint for f in resolved.result.findings}
    for finding in new:
        if finding["fingerprint"] not in kept:
            finding["dependsOnGap"] = ids
    finder = path_finder(resolved.snapshot)
    names = {n.lower() for n in finder.networks()}
    for entry in lost:
        known = entry["from"].lower() in names and entry["to"].lower() in names
        if known and finder.pair(entry["from"], entry["to"]).status == "reachable":
            entry["dependsOnGap"] = ids


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
