from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import gateway_subnet_of


class GatewaySubnetTooSmall(Rule):
    """The GatewaySubnet is smaller than /27.

    ## What it does
    Flags a GatewaySubnet longer than /27 in a VNet with a gateway:
    - warning when it holds an ExpressRoute gateway (alone or coexisting with a VPN gateway);
    - info when it holds only a VPN gateway: Microsoft allows a GatewaySubnet as small as /29 for
      VPN gateways and recommends /27, and growing it later means deleting and recreating the
      gateways (and adding ExpressRoute later needs /27).

    ## Why is this bad?
    ExpressRoute gateways and ExpressRoute/VPN coexistence require a /27 or larger
    GatewaySubnet; adding the second gateway, scaling, or changing SKU fails.

    ## Example
    Scenario `gateway-subnet-too-small`: a /28 GatewaySubnet holds an ExpressRoute gateway
    (warning). Scenario `gateway-subnet-vpn-small`: a /28 GatewaySubnet holds only a VPN gateway
    (info).

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: a /26 GatewaySubnet. Scenario `hub-spoke-transit-ok`: a /27
    GatewaySubnet for a VPN gateway.

    ## Remediation
    Resize the subnet (the gateways must be removed first):
    `az network vnet subnet update -g <rg> --vnet-name <vnet> -n GatewaySubnet --address-prefixes <a /27 or larger>`

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-coexist-resource-manager
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub
    """

    id = "GWS005"
    name = "gateway-subnet-too-small"
    severity = Severity.WARNING
    summary = "GatewaySubnets are /27 or larger (required for ExpressRoute, recommended for VPN)."
    fixtures = RuleFixtures(
        triggers=("gateway-subnet-too-small", "gateway-subnet-vpn-small"),
        passes=("er-vpn-equal-prefixes", "interop-testbed", "hub-spoke-transit-ok"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            gateways = snapshot.gateways_of(vnet.id)
            subnet = gateway_subnet_of(snapshot, vnet.id)
            if subnet is None or not any(g.is_expressroute or g.is_vpn for g in gateways):
                continue
            small = [p for p in subnet.prefixes if p.version == 4 and p.prefixlen > 27]
            if not small:
                continue
            expressroute = any(g.is_expressroute for g in gateways)
            holds = "an ExpressRoute gateway" if expressroute else "a VPN gateway (/27 recommended)"
            yield Violation(
                message=f"{vnet.display_name}'s GatewaySubnet {small[0]} is smaller than /27 and holds {holds}",
                resources=(subnet.id,),
                evidence={
                    "prefix": str(small[0]),
                    "gateways": [str(g.id) for g in gateways],
                    "expressRoute": expressroute,
                },
                severity=None if expressroute else Severity.INFO,
            )
