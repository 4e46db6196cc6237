from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import IPNetwork, Route, VirtualNetworkPeering
from auditor.rule_api import (
    APPLIANCE_UNREACHABLE,
    CoverageGap,
    PrefixIndex,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import appliance_routes, peered_spaces, with_walked_pairs


class ApplianceNotDirectlyReachable(Rule):
    """A user-defined route's next-hop appliance address is not in the VNet or a peered VNet.

    ## What it does
    For every route with next hop `VirtualAppliance`, checks that the next-hop address lies in
    the address space of a VNet whose subnets use the route table, or of a VNet peered with it.
    The walk (`azroute paths`) ends at such a route, and at one whose next hop lies in the VNet's
    space but in no subnet: `evidence.pairs` lists the walked pairs the route ends (capped, with
    `pairCount`; `[]` when no walked pair takes the route), and a route the walk finds ending
    walks that the check above does not name is reported as the walk found it.

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
        found: list[Violation | CoverageGap] = []
        for subnet, route, hop in appliance_routes(snapshot):
            vnet = snapshot.vnet(subnet.vnet_id)
            if vnet is None:
                continue
            if vnet.id not in indexes:
                indexes[vnet.id] = peered_spaces(snapshot, vnet.id)
            if not indexes[vnet.id].covers(hop):
                spaces = [p for p, _ in indexes[vnet.id].items]
                found.append(
                    Violation(
                        message=f"route {route.route_table_id.name}/{route.id.name} in {vnet.display_name}/"
                        f"{subnet.id.name} sends {route.address_prefix} to {route.next_hop_ip_address}, which is "
                        "not in the VNet or a peered VNet",
                        resources=(route.id, subnet.id),
                        evidence={
                            "nextHop": route.next_hop_ip_address,
                            "reachableSpaces": [str(s) for s in spaces],
                        },
                        key=str(subnet.id),
                    )
                )
        findings, rest = with_walked_pairs(ctx, APPLIANCE_UNREACHABLE, found)
        yield from findings
        for rid, cuts in rest.items():  # the walk found the next hop in no subnet it can reach
            cut = snapshot.by_id.get(ArmId(rid))
            if not isinstance(cut, Route):
                continue
            yield Violation(
                message=f"route {cut.route_table_id.name}/{cut.id.name} sends {cut.address_prefix} to "
                f"{cut.next_hop_ip_address}, which no walk reaches: {cuts[0].reason} ({cuts[0].label})",
                resources=(cut.id,),
                evidence={"nextHop": cut.next_hop_ip_address, **ctx.cuts.evidence(cuts)},
                key="walk",
            )
