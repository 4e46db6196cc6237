from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import IPNetwork, VirtualNetworkPeering
from auditor.rule_api import CoverageGap, PrefixIndex, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import appliance_routes, peered_spaces


class ApplianceNotDirectlyReachable(Rule):
    """A user-defined route's next-hop appliance address is not in the VNet or a peered VNet.

    ## What it does
    For every route with next hop `VirtualAppliance`, checks that the next-hop address lies in
    the address space of a VNet whose subnets use the route table, or of a VNet peered with it.

    ## Why is this bad?
    The next hop must be directly reachable, not through a gateway or Virtual WAN: an address
    on-premises or in an unpeered VNet makes the route invalid and blackholes its traffic.

    ## Example
    Scenario `appliance-on-premises`: `spoke-rt` sends `0.0.0.0/0` to `192.168.10.1`, an
    on-premises firewall.

    ## Use instead
    Scenario `hub-firewall-mirrored`: the firewall sits in the peered hub.

    ## Remediation
    Point the route at an appliance in the VNet or a peered VNet, or use next hop
    `VirtualNetworkGateway` for on-premises destinations (VPN gateways only).

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """

    id = "UDR003"
    name = "appliance-not-directly-reachable"
    severity = Severity.ERROR
    summary = "Appliance next hops are in the VNet or a peered VNet."
    fixtures = RuleFixtures(
        triggers=("appliance-on-premises",), passes=("hub-firewall-mirrored", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        indexes: dict[ArmId, PrefixIndex[tuple[IPNetwork, VirtualNetworkPeering | None]]] = {}
        for subnet, route, hop in appliance_routes(snapshot):
            vnet = snapshot.vnet(subnet.vnet_id)
            if vnet is None:
                continue
            if vnet.id not in indexes:
                indexes[vnet.id] = peered_spaces(snapshot, vnet.id)
            if not indexes[vnet.id].covers(hop):
                spaces = [p for p, _ in indexes[vnet.id].items]
                yield Violation(
                    message=f"route {route.route_table_id.name}/{route.id.name} in {vnet.display_name}/{subnet.id.name} "
                    f"sends {route.address_prefix} to {route.next_hop_ip_address}, which is not in the VNet or a peered VNet",
                    resources=(route.id, subnet.id),
                    evidence={
                        "nextHop": route.next_hop_ip_address,
                        "reachableSpaces": [str(s) for s in spaces],
                    },
                    key=str(subnet.id),
                )
