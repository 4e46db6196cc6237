from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from auditor.rule_api import (
    EVIDENCE_CAP,
    CoverageGap,
    Expect,
    Intent,
    PathFinder,
    PathPair,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    is_special,
    walk_summary,
)

IPV6 = " (IPv6)"
MAX_PAIRS = 100_000  # pairs one intent may expand to; beyond, it is a coverage gap (narrow the globs)
SHOWN = 3  # pairs spelled out in the message


class IntentViolated(Rule):
    """Traffic does not flow the way one of the user's intents (`--intent FILE`) says it must.

    ## What it does
    Evaluates each intent of the file given with `--intent` (YAML or JSON,
    `{"intents": [{"name", "from", "to", "expect", "via"}]}`) against the data-plane paths
    computed from the snapshot, the ones `azroute paths` shows. `from` and `to` are
    case-insensitive globs (or lists of globs) on VNet names, `vnet/subnet` names and on-premises
    site names; every pair of a matching source and a matching destination of the same address
    family is walked, each way.

    - `reachable`: traffic is delivered both ways.
    - `symmetric`: reachable, and both directions pass the same circuits, connections and
      appliances.
    - `unreachable`: traffic from `from` is not delivered to `to`. A one-way path whose forward
      direction delivers violates it: the packets arrive even when the replies do not.
    - `via` (with `reachable` or `symmetric`): every entry, a circuit, connection, gateway,
      peering or appliance IP by name or ARM id (case-insensitive), is a hop of the forward path.

    One finding per violated intent, listing the pairs that violate it (at most 100, and their
    count) with each direction's path and where a walk stops. The finding names no resources:
    its fingerprint is the intent's `name`, so baselines and `diff` follow the intent while the
    pairs that break it change.

    Coverage gaps, never a clean answer: an intent whose `from` or `to` matches no network
    (kind `intent-matches-nothing`); pairs whose answer depends on what azroute cannot see
    (status `unknown` in `azroute paths`: an unmodelled feature or a resource outside the
    snapshot) and intents that expand to more than 100,000 pairs (kind `not-evaluated`).

    ## Why is this bad?
    Most outages after a network change are a path that silently disappeared: a peering that no
    longer uses the hub's gateways, a route table that stopped propagating gateway routes, a
    circuit taken out of a connection. The configuration stays valid and no other rule need fire;
    only the statement "the spoke must reach the datacenter over ExpressRoute 1" tells that the
    change broke something. Checked before the change (`azroute diff`), the intent names what the
    change breaks or fixes.

    ## Example
    Scenario `spoke-remote-gateways-off` (with its `intents.yaml`): `spoke-to-hub` has
    `useRemoteGateways: false`, so the intents `spoke-reaches-location-1` (reachable via `er-1`)
    and `spokes-reach-sites-symmetrically` are violated: the spoke has no usable route to either
    site.

    ## Use instead
    Scenario `interop-testbed` with the same intents: the spoke reaches both sites through the
    hub's ExpressRoute gateway, the same way back.

    ## Remediation
    Find where the forward walk stops (`azroute paths --from <from> --to <to>`) and restore the
    route; in the example, let the spoke use the hub's gateways again
    (`az network vnet peering update -g <rg> --vnet-name spoke-vnet -n spoke-to-hub --set useRemoteGateways=true`).
    When the intent itself is out of date, change the intent file.

    ## Known problems
    Paths are computed towards one address of each network (its first workload subnet, a site's
    first prefix), as in `azroute paths`.

    ## References
    - https://learn.microsoft.com/azure/networking/connectivity-interoperability-data-plane
    - https://learn.microsoft.com/azure/network-watcher/next-hop-overview
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """

    id = "INT001"
    name = "intent-violated"
    severity = Severity.ERROR
    summary = "Traffic flows the way the user's intents say: reachable, unreachable, symmetric, via."
    fixtures = RuleFixtures(triggers=("spoke-remote-gateways-off",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        if not ctx.intents:
            return
        finder = ctx.paths
        labels = endpoint_labels(ctx, finder)
        for intent in ctx.intents:
            yield from self.evaluate(finder, labels, intent)

    def evaluate(
        self, finder: PathFinder, labels: dict[str, tuple[str, ...]], intent: Intent
    ) -> Iterator[Violation | CoverageGap]:
        resource = intent.resource
        sources = matching(labels, intent.sources)
        destinations = matching(labels, intent.destinations)
        if not sources or not destinations:
            key, globs = ("from", intent.sources) if not sources else ("to", intent.destinations)
            yield CoverageGap(
                kind="intent-matches-nothing",
                resource=resource,
                detail=f"'{key}' ({', '.join(globs)}) matches no VNet, subnet or site of the snapshot",
                rules=(self.id,),
            )
            return
        pairs = [(a, b) for a in sources for b in destinations if a != b and finder.comparable(a, b)]
        if not pairs:
            yield CoverageGap(
                kind="intent-matches-nothing",
                resource=resource,
                detail="'from' and 'to' match no two different networks of one address family",
                rules=(self.id,),
            )
            return
        if len(pairs) > MAX_PAIRS:
            yield CoverageGap(
                kind="not-evaluated",
                resource=resource,
                detail=f"the intent expands to {len(pairs)} pairs, more than {MAX_PAIRS}: narrow 'from' or 'to'",
                rules=(self.id,),
            )
            return
        violating: list[tuple[PathPair, str, str]] = []
        unknown: list[PathPair] = []
        for a, b in pairs:
            pair = finder.pair(a, b)
            if pair.status == "unknown":
                unknown.append(pair)
                continue
            problem, why = violation_of(intent, pair)
            if problem:
                violating.append((pair, problem, why))
        if unknown:
            first = unknown[0]
            more = (
                f" and {len(unknown) - 1} more pair{'s' if len(unknown) > 2 else ''}"
                if len(unknown) > 1
                else ""
            )
            yield CoverageGap(
                kind="not-evaluated",
                resource=resource,
                detail=f"{first.source} -> {first.destination}{more}: the answer depends on what azroute "
                f"cannot see ({'; '.join(first.unknown)})",
                rules=(self.id,),
            )
        if not violating:
            return
        shown = "; ".join(
            f"{p.source} -> {p.destination}: {problem} ({why})" for p, problem, why in violating[:SHOWN]
        )
        if len(violating) > SHOWN:
            shown += f"; and {len(violating) - SHOWN} more"
        yield Violation(
            message=f"intent {intent.name!r} ({intent.expect.value}"
            + (f" via {', '.join(intent.via)}" if intent.via else "")
            + f") is violated for {len(violating)} of {len(pairs)} pair{'s' if len(pairs) != 1 else ''}: {shown}",
            resources=(),
            evidence={
                **intent.evidence(),
                "pairs": [pair_evidence(p, problem) for p, problem, _ in violating[:EVIDENCE_CAP]],
                "pairCount": len(violating),
                "pairsChecked": len(pairs),
            },
            key=intent.name,
        )


def endpoint_labels(ctx: RuleContext, finder: PathFinder) -> dict[str, tuple[str, ...]]:
    """Each path endpoint and the lower-case names an intent's globs may use for it: the endpoint
    (`hub-vnet`, `spoke-vnet/app`, `location-1`, with or without ` (IPv6)`), its VNet, and
    `vnet/subnet` for each workload subnet it stands for."""
    labels: dict[str, tuple[str, ...]] = {}
    for endpoint in finder.networks():
        net = finder.network(endpoint)
        suffix = IPV6 if endpoint.endswith(IPV6) else ""
        names = {endpoint, endpoint.removesuffix(IPV6)}
        if net.vnet is not None:
            names.add(net.vnet.display_name)
            for subnet in ctx.snapshot.subnets_of(net.vnet.id):
                if is_special(subnet):
                    continue
                label = f"{net.vnet.display_name}/{subnet.id.name}"
                try:
                    owner = finder.network(label + suffix).name
                except KeyError:  # no address space of this family
                    continue
                if owner == endpoint:
                    names.add(label)
        labels[endpoint] = tuple(sorted(n.lower() for n in names))
    return labels


def matching(labels: dict[str, tuple[str, ...]], globs: tuple[str, ...]) -> list[str]:
    patterns = [g.lower() for g in globs]
    return [e for e, names in labels.items() if any(fnmatchcase(n, p) for n in names for p in patterns)]


def violation_of(intent: Intent, pair: PathPair) -> tuple[str, str]:
    """What in the pair's paths violates the intent, and the walk that shows it (("", "") when
    the intent holds)."""
    forward, back = pair.forward, pair.back
    if intent.expect is Expect.UNREACHABLE:
        return ("reachable", f"forward {walk_summary(forward)}") if forward.delivered else ("", "")
    if not forward.delivered:
        problem = "one-way, only the return is delivered" if back.delivered else "not reachable"
        return problem, f"forward stops: {forward.reason}"
    if not back.delivered:
        return "one-way, the return is not delivered", f"return stops: {back.reason}"
    if intent.expect is Expect.SYMMETRIC and pair.asymmetric:
        return "asymmetric", f"forward {walk_summary(forward)}, return {walk_summary(back)}"
    on_path = {v.lower() for h in forward.hops for v in (h.name, h.id) if v}
    missing = [v for v in intent.via if v.lower() not in on_path]
    if missing:
        return f"does not pass {', '.join(missing)}", f"forward {walk_summary(forward)}"
    return "", ""


def pair_evidence(pair: PathPair, problem: str) -> dict[str, object]:
    out: dict[str, object] = {
        "from": pair.source,
        "to": pair.destination,
        "status": pair.status,
        "problem": problem,
        "forward": [f"{h.kind} {h.name}" for h in pair.forward.hops],
        "return": [f"{h.kind} {h.name}" for h in pair.back.hops],
    }
    if not pair.forward.delivered:
        out["forwardStops"] = pair.forward.reason
    if not pair.back.delivered:
        out["returnStops"] = pair.back.reason
    return out
