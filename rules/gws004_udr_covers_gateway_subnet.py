from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import gateway_subnet_of, inside, overlaps, route_table_of


class UdrCoversGatewaySubnet(Rule):
    """A route on the GatewaySubnet overlaps the GatewaySubnet's own range.

    ## What it does
    Flags a route in the GatewaySubnet's route table whose prefix overlaps the GatewaySubnet's
    prefix: it contains it (or equals it), or lies inside it. A default route 0.0.0.0/0 is left to
    GWS001.

    ## Why is this bad?
    With coexisting gateways, the ExpressRoute and VPN gateways talk BGP across the
    GatewaySubnet; a route for that range sends their traffic elsewhere and breaks the
    route exchange, the data path and diagnostics.

    ## Example
    Scenario `gateway-subnet-self-route`: `gateway-rt` sends `10.0.0.0/16` (the whole hub,
    GatewaySubnet included) to the firewall. Scenario `gateway-subnet-route-inside`: a route for
    a /28 inside the GatewaySubnet (Microsoft's wording is "overlaps", not "covers").

    ## Use instead
    Scenario `hub-firewall-bypass`: `gateway-rt` names the spoke prefixes only.

    ## Remediation
    Narrow the route to the ranges that need the appliance:
    `az network route-table route update -g <rg> --route-table-name <rt> -n <route> --address-prefix <narrower prefix>`

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-coexist-resource-manager
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub
    """

    id = "GWS004"
    name = "udr-covers-gateway-subnet"
    severity = Severity.ERROR
    summary = "No route on the GatewaySubnet covers the GatewaySubnet's own range."
    fixtures = RuleFixtures(
        triggers=("gateway-subnet-self-route", "gateway-subnet-route-inside"),
        passes=("hub-firewall-bypass", "interop-testbed"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            subnet = gateway_subnet_of(snapshot, vnet.id)
            table = route_table_of(snapshot, subnet) if subnet else None
            if subnet is None or table is None:
                continue
            for route in snapshot.routes_of(table.id):
                prefix = route.prefix
                if prefix is None or prefix.prefixlen == 0:
                    continue
                if any(overlaps(own, prefix) for own in subnet.prefixes):
                    verb = "covers" if any(inside(own, prefix) for own in subnet.prefixes) else "overlaps"
                    yield Violation(
                        message=f"route {table.id.name}/{route.id.name} ({prefix} -> {route.next_hop_type}) {verb} "
                        f"{vnet.display_name}'s GatewaySubnet ({', '.join(map(str, subnet.prefixes))})",
                        resources=(route.id, subnet.id),
                        evidence={
                            "routePrefix": str(prefix),
                            "gatewaySubnet": [str(p) for p in subnet.prefixes],
                        },
                    )
