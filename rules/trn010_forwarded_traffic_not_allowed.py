from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import IPNetwork, Route, VirtualNetworkPeering
from auditor.rule_api import (
    FORWARDED_TRAFFIC,
    CoverageGap,
    Cut,
    PrefixIndex,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import appliance_routes, peered_spaces, with_walked_pairs


class ForwardedTrafficNotAllowed(Rule):
    """Traffic is steered to an appliance in a peered VNet whose peering refuses forwarded traffic.

    ## What it does
    For every route with next hop `VirtualAppliance` whose address lies in a VNet peered with
    the route's VNet, flags the peering from the route's VNet to the appliance's VNet when
    `allowForwardedTraffic` is not `true`. It also reports every peering the walk (`azroute
    paths`) finds dropping forwarded traffic, whatever steers the traffic to the appliance (a
    route on the hub's GatewaySubnet, say). `evidence.pairs` lists the walked pairs the peering
    breaks (capped, with `pairCount`; `[]` when no walked pair crosses it: the flows it breaks
    are then ones azroute does not walk, such as Internet traffic returning through the appliance).

    ## Why is this bad?
    `allowForwardedTraffic` is checked on the peering of the VNet the traffic enters. Traffic the
    appliance forwards into the route's VNet (the way back of every flow the route sends to it) did
    not originate in the appliance's VNet: the route's VNet drops it unless its peering allows
    forwarded traffic. Spoke-to-spoke and on-premises flows through a hub NVA break in that
    direction; the finding names it (`evidence.breaks`: from the appliance's VNet into the route's).

    ## Example
    Scenario `nva-forwarding-refused`: the spoke sends 0.0.0.0/0 to an NVA in the hub, and
    `spoke-to-hub` has `allowForwardedTraffic: false`.

    ## Use instead
    Scenario `hub-firewall-mirrored`: the spoke's peering allows forwarded traffic.

    ## Remediation
    `az network vnet peering update -g <rg> --vnet-name <spoke> -n <spoke-to-hub> --set allowForwardedTraffic=true`

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """

    id = "TRN010"
    name = "forwarded-traffic-not-allowed"
    severity = Severity.WARNING
    summary = "Peerings towards a VNet that holds the next-hop appliance allow forwarded traffic."
    fixtures = RuleFixtures(triggers=("nva-forwarding-refused",), passes=("hub-firewall-mirrored",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        spaces: dict[ArmId, PrefixIndex[tuple[IPNetwork, VirtualNetworkPeering | None]]] = {}
        found: list[Violation | CoverageGap] = []
        for subnet, route, hop in appliance_routes(snapshot):
            if subnet.vnet_id not in spaces:
                spaces[subnet.vnet_id] = peered_spaces(snapshot, subnet.vnet_id)
            holders = {
                peering.id: peering
                for group in spaces[subnet.vnet_id].covering(hop)
                for _, peering in group
                if peering is not None and snapshot.vnet(peering.remote_vnet_id) is not None
            }
            for peering in sorted(holders.values(), key=lambda p: p.id.key):
                if peering.allow_forwarded_traffic is not True:
                    into, where = subnet.vnet_id.name, peering.remote_vnet_id.name
                    found.append(
                        Violation(
                            message=f"{into}'s peering {peering.id.name} refuses forwarded traffic: what the "
                            f"appliance {route.next_hop_ip_address} in {where} forwards into {into} (traffic from outside {where}) is "
                            f"dropped (the way back to {subnet.vnet_id.name}/{subnet.id.name} from "
                            f"{route.address_prefix}, which route {route.route_table_id.name}/{route.id.name} "
                            "sends to the appliance)",
                            resources=(peering.id, route.id),
                            evidence={
                                "peering": str(peering.id),
                                "allowForwardedTraffic": peering.allow_forwarded_traffic,
                                "breaks": {
                                    "from": where,
                                    "into": into,
                                    "forwardedBy": route.next_hop_ip_address,
                                },
                            },
                            key=str(subnet.id),
                        )
                    )
        findings, rest = with_walked_pairs(ctx, FORWARDED_TRAFFIC, found)
        yield from findings
        for rid, cuts in rest.items():  # peerings the walk finds dropping forwarded traffic
            yield _walked(ctx, rid, cuts)


def _walked(ctx: RuleContext, rid: str, cuts: list[Cut]) -> Violation:
    """A peering the walk finds dropping what an appliance forwards, which no route of the
    entering VNet sends to that appliance (an appliance reached by a GatewaySubnet route, say)."""
    peering = ctx.snapshot.by_id.get(ArmId(rid))
    assert isinstance(peering, VirtualNetworkPeering)
    into, where = peering.vnet_id.name, peering.remote_vnet_id.name
    route = ctx.snapshot.by_id.get(ArmId(cuts[0].appliance)) if cuts[0].appliance else None
    hop = route.next_hop_ip_address if isinstance(route, Route) else None
    by = f"the appliance {hop}" if hop else "an appliance"
    via = (
        f"; route {route.route_table_id.name}/{route.id.name} sends the traffic to the appliance"
        if isinstance(route, Route)
        else ""
    )
    count = len({c.label for c in cuts})
    return Violation(
        message=f"{into}'s peering {peering.id.name} refuses forwarded traffic: what {by} in {where} forwards "
        f"into {into} (traffic from outside {where}) is dropped ({count} walked pair{'s' if count != 1 else ''}, e.g. "
        f"{cuts[0].label}{via})",
        resources=(peering.id, *((route.id,) if isinstance(route, Route) else ())),
        evidence={
            "peering": str(peering.id),
            "allowForwardedTraffic": peering.allow_forwarded_traffic,
            "breaks": {"from": where, "into": into, "forwardedBy": hop},
            **ctx.cuts.evidence(cuts),
        },
        key=f"walk|{peering.id.key}",
    )
