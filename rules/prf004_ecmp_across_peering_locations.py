from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import IPNetwork, LinkKind
from auditor.rule_api import (
    EVIDENCE_CAP,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    prefix_key,
)


class EcmpAcrossPeeringLocations(Rule):
    """A gateway load-balances the same prefix across circuits in different peering locations.

    ## What it does
    Finds prefixes a gateway domain learns from two or more circuits at different peering
    locations with the same connection weight and AS-path length, which Azure spreads over
    all of them (ECMP). One finding per gateway domain and set of circuits, listing the prefixes
    (at most 100, and their count): the cause is the circuits' equal weights and AS paths, not
    each prefix.

    ## Why is this bad?
    Flows to the same destination take paths with different latency, and the on-premises side
    usually answers over its preferred circuit: per-flow asymmetry and inconsistent performance.
    Usually the design meant one circuit as primary.

    ## Example
    Scenario `ecmp-two-locations`: the data centre is reached over circuits in Amsterdam and
    London with equal weights.

    ## Use instead
    Scenario `weighted-two-locations`: the Amsterdam connection has the higher weight.

    ## Remediation
    Prefer one circuit: `az network vpn-connection update -g <rg> -n <connection-to-primary> --routing-weight 100`,
    and make on-premises prefer the same circuit (local-preference).

    ## References
    - https://learn.microsoft.com/azure/expressroute/designing-for-disaster-recovery-with-expressroute-privatepeering
    - https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing
    """

    id = "PRF004"
    name = "ecmp-across-peering-locations"
    severity = Severity.WARNING
    summary = "Prefixes are not load-balanced across circuits at different peering locations."
    fixtures = RuleFixtures(triggers=("ecmp-two-locations",), passes=("weighted-two-locations",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        plane = ctx.control_plane
        for hub in plane.domain_rib:
            circuits: dict[IPNetwork, set[ArmId]] = defaultdict(set)
            # the domain's selection as its VNets receive it, made once (`gateway_rows`): the routes
            # towards a VPN peer's BGP address it leaves out never outrank an ExpressRoute route
            for row in plane.gateway_rows[hub].rows:
                if row.selected and row.link is LinkKind.EXPRESSROUTE and row.reason.startswith("ECMP"):
                    conn = snapshot.by_id.get(row.via) if row.via is not None else None
                    circuit_id = getattr(conn, "peer_id", None)
                    if circuit_id is not None:
                        circuits[row.prefix].add(circuit_id)
            # one finding per set of circuits the gateway load-balances across (the cause), with its prefixes
            by_set: dict[tuple[ArmId, ...], list[IPNetwork]] = defaultdict(list)
            for prefix, members in circuits.items():
                by_set[tuple(sorted(members, key=lambda i: i.key))].append(prefix)
            for ids, prefixes in sorted(by_set.items(), key=lambda kv: [i.key for i in kv[0]]):
                locations = {
                    (c.peering_location or "?").lower(): c.id
                    for c in (snapshot.circuit(i) for i in ids)
                    if c is not None
                }
                if len(locations) < 2:
                    continue
                ordered = [str(p) for p in sorted(prefixes, key=prefix_key)]
                names = ", ".join(sorted(f"{cid.name} ({loc})" for loc, cid in locations.items()))
                shown = ", ".join(ordered[:3]) + (f" and {len(ordered) - 3} more" if len(ordered) > 3 else "")
                yield Violation(
                    message=f"{hub.name} load-balances {len(ordered)} prefix{'es' if len(ordered) != 1 else ''} "
                    f"({shown}) across circuits at different peering locations: {names}",
                    resources=(hub, *ids),
                    evidence={
                        "prefixes": ordered[:EVIDENCE_CAP],
                        "prefixCount": len(ordered),
                        "circuits": [str(i) for i in ids],
                    },
                    key="|".join(i.key for i in ids),
                )
