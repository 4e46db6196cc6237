from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import gateway_subnet_of, route_table_of


class GatewaySubnetPropagationDisabled(Rule):
    """Gateway route propagation is disabled on the GatewaySubnet.

    ## What it does
    Flags a route table attached to a GatewaySubnet with `disableBgpRoutePropagation = true`.

    ## Why is this bad?
    The gateway does not function with propagation disabled on its own subnet: coexisting
    ExpressRoute and VPN gateways stop exchanging routes and traffic entering from on-premises
    loses its way.

    ## Example
    Scenario `gateway-subnet-no-propagation`: `gateway-rt` disables propagation.

    ## Use instead
    Scenario `hub-firewall-bypass`: `gateway-rt` keeps propagation on.

    ## Remediation
    `az network route-table update -g <rg> -n <rt> --disable-bgp-route-propagation false`

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """

    id = "GWS003"
    name = "gateway-subnet-propagation-disabled"
    severity = Severity.ERROR
    summary = "Gateway route propagation stays enabled on every GatewaySubnet."
    fixtures = RuleFixtures(
        triggers=("gateway-subnet-no-propagation",), passes=("hub-firewall-bypass", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            subnet = gateway_subnet_of(snapshot, vnet.id)
            table = route_table_of(snapshot, subnet) if subnet else None
            if table is not None and table.disable_bgp_route_propagation:
                yield Violation(
                    message=f"{vnet.display_name}'s GatewaySubnet uses route table {table.id.name}, which disables gateway "
                    "route propagation",
                    resources=(table.id,),
                    evidence={"routeTable": str(table.id)},
                )
