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
    each prefix. A prefix whose equal routes come from two different sites is left to PRF005
    (two sites announcing one prefix: no path length or backup circuit fixes that).

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
        circuit_of: dict[int, ArmId | None] = {}  # per connection id object: its circuit
        for hub in plane.domain_rib:
            # one finding per set of circuits the gateway load-balances across (the cause), with its
            # prefixes; the domain's selection as its VNets receive it, made once (`gateway_rows`):
            # the routes towards a VPN peer's BGP address it leaves out never outrank ExpressRoute
            by_set: dict[tuple[ArmId, ...], list[IPNetwork]] = defaultdict(list)
            for group in plane.gateway_rows[hub].groups.values():
                members: dict[str, ArmId] = {}
                origins: set[str] = set()
                for row in group:
                    if not row.selected or row.link is not LinkKind.EXPRESSROUTE or row.via is None:
                        continue
                    if not row.reason.startswith("ECMP"):
                        break  # one selected route: no load-balancing for this prefix
                    if id(row.via) not in circuit_of:
                        circuit_of[id(row.via)] = getattr(snapshot.by_id.get(row.via), "peer_id", None)
                    circuit_id = circuit_of[id(row.via)]
                    if circuit_id is not None:
                        members[circuit_id.key] = circuit_id
                        if row.advert is not None:
                            origins.add(row.advert.origin)
                # routes from two different sites: not one site's circuits but two sites announcing
                # one prefix, which PRF005 reports (a path's length or a backup would not fix it)
                if members and len(origins) < 2:
                    by_set[tuple(members[k] for k in sorted(members))].append(group[0].prefix)
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
