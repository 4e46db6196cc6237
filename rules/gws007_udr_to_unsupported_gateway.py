from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class UdrToUnsupportedGateway(Rule):
    """A user-defined route names the virtual network gateway where that is not allowed.

    ## What it does
    Flags routes with next hop `VirtualNetworkGateway` in route tables attached to subnets of
    a VNet whose gateways are ExpressRoute only, or ExpressRoute and VPN coexisting.

    ## Why is this bad?
    The next hop type works for VPN gateways only, and not when ExpressRoute and VPN coexist:
    the route is invalid and the traffic it covers is dropped.

    ## Example
    Scenario `udr-to-expressroute-gateway`: a subnet's route sends `10.2.0.0/16` to the virtual
    network gateway of an ExpressRoute-only hub.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: gateway routes come from BGP, no UDR names the gateway.

    ## Remediation
    `az network route-table route delete -g <rg> --route-table-name <rt> -n <route>` and let BGP
    propagate the on-premises prefixes.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """

    id = "GWS007"
    name = "udr-to-unsupported-gateway"
    severity = Severity.ERROR
    summary = "UDRs name the virtual network gateway only in VNets with a VPN gateway alone."
    fixtures = RuleFixtures(
        triggers=("udr-to-expressroute-gateway",), passes=("er-vpn-equal-prefixes", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for subnet in snapshot.subnets:
            if subnet.route_table_id is None:
                continue
            gateways = snapshot.gateways_of(subnet.vnet_id)
            if not any(g.is_expressroute for g in gateways):
                continue
            for route in snapshot.routes_of(subnet.route_table_id):
                if route.next_hop_type.lower() == "virtualnetworkgateway":
                    kind = (
                        "ExpressRoute and VPN coexist"
                        if any(g.is_vpn for g in gateways)
                        else "only an ExpressRoute gateway exists"
                    )
                    yield Violation(
                        message=f"route {subnet.route_table_id.name}/{route.id.name} sends {route.address_prefix} to the "
                        f"virtual network gateway, but in {subnet.vnet_id.name} {kind}",
                        resources=(route.id, subnet.id),
                        evidence={"route": str(route.id), "gateways": [str(g.id) for g in gateways]},
                        key=str(subnet.id),
                    )
