from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import gateway_subnet_of


class GatewaySubnetNsg(Rule):
    """A network security group is attached to the GatewaySubnet.

    ## What it does
    Flags a GatewaySubnet with `networkSecurityGroup` set.

    ## Why is this bad?
    NSGs on the GatewaySubnet are not supported; they can block the gateway's control and data
    traffic and break tunnels or ExpressRoute connectivity.

    ## Example
    Scenario `gateway-subnet-nsg`: the hub's GatewaySubnet has `hub-nsg` attached.

    ## Use instead
    Scenario `interop-testbed`: no NSG on any GatewaySubnet.

    ## Remediation
    `az network vnet subnet update -g <rg> --vnet-name <vnet> -n GatewaySubnet --network-security-group ""`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub
    """

    id = "GWS002"
    name = "gateway-subnet-nsg"
    severity = Severity.ERROR
    summary = "No network security group is attached to a GatewaySubnet."
    fixtures = RuleFixtures(triggers=("gateway-subnet-nsg",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            subnet = gateway_subnet_of(snapshot, vnet.id)
            if subnet is not None and subnet.network_security_group_id is not None:
                yield Violation(
                    message=f"{vnet.display_name}'s GatewaySubnet has network security group "
                    f"{subnet.network_security_group_id.name} attached",
                    resources=(subnet.id, subnet.network_security_group_id),
                    evidence={"subnet": str(subnet.id), "nsg": str(subnet.network_security_group_id)},
                )
