from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import appliance_routes, inside


class ForwardedTrafficNotAllowed(Rule):
    """Traffic is steered to an appliance in a peered VNet whose peering refuses forwarded traffic.

    ## What it does
    For every route with next hop `VirtualAppliance` whose address lies in a VNet peered with
    the route's VNet, flags the peering from the route's VNet to the appliance's VNet when
    `allowForwardedTraffic` is not `true`.

    ## Why is this bad?
    Traffic the appliance forwards back into the VNet did not originate in the peered VNet: it
    is dropped unless the peering allows forwarded traffic. Spoke-to-spoke and on-premises flows
    through a hub NVA break in one direction.

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
        for subnet, route, hop in appliance_routes(snapshot):
            for peering in snapshot.peerings_of(subnet.vnet_id):
                remote = snapshot.vnet(peering.remote_vnet_id)
                holds = remote is not None and any(inside(hop, p) for p in remote.address_prefixes)
                if holds and peering.allow_forwarded_traffic is not True:
                    yield Violation(
                        message=f"route {route.route_table_id.name}/{route.id.name} sends {route.address_prefix} to "
                        f"{route.next_hop_ip_address} in {peering.remote_vnet_id.name}, but peering {peering.id.name} "
                        "does not allow forwarded traffic",
                        resources=(peering.id, route.id),
                        evidence={
                            "peering": str(peering.id),
                            "allowForwardedTraffic": peering.allow_forwarded_traffic,
                        },
                        key=str(subnet.id),
                    )
