from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import gateway_subnet_of


class GatewaySubnetTooSmall(Rule):
    """The GatewaySubnet is smaller than /27 where ExpressRoute or coexistence needs it.

    ## What it does
    Flags a GatewaySubnet longer than /27 in a VNet with an ExpressRoute gateway (alone or
    coexisting with a VPN gateway).

    ## Why is this bad?
    ExpressRoute gateways and ExpressRoute/VPN coexistence require a /27 or larger
    GatewaySubnet; adding the second gateway, scaling, or changing SKU fails.

    ## Example
    Scenario `gateway-subnet-too-small`: a /28 GatewaySubnet holds an ExpressRoute gateway.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: a /26 GatewaySubnet.

    ## Remediation
    Resize the subnet (the gateways must be removed first):
    `az network vnet subnet update -g <rg> --vnet-name <vnet> -n GatewaySubnet --address-prefixes <a /27 or larger>`

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-coexist-resource-manager
    """

    id = "GWS005"
    name = "gateway-subnet-too-small"
    severity = Severity.WARNING
    summary = "GatewaySubnets holding ExpressRoute gateways are /27 or larger."
    fixtures = RuleFixtures(
        triggers=("gateway-subnet-too-small",), passes=("er-vpn-equal-prefixes", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            gateways = snapshot.gateways_of(vnet.id)
            subnet = gateway_subnet_of(snapshot, vnet.id)
            if subnet is None or not any(g.is_expressroute for g in gateways):
                continue
            small = [p for p in subnet.prefixes if p.version == 4 and p.prefixlen > 27]
            if small:
                yield Violation(
                    message=f"{vnet.display_name}'s GatewaySubnet {small[0]} is smaller than /27 but holds an ExpressRoute gateway",
                    resources=(subnet.id,),
                    evidence={"prefix": str(small[0]), "gateways": [str(g.id) for g in gateways]},
                )
