from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Subnet
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation

# Subnets Azure reserves for its own services: a route table there is wrong or not allowed.
RESERVED = {
    "gatewaysubnet",
    "azurefirewallsubnet",
    "azurefirewallmanagementsubnet",
    "routeserversubnet",
    "azurebastionsubnet",
}


class SpokeSubnetWithoutRouteTable(Rule):
    """A workload subnet of a spoke VNet has no route table (Contoso policy: spokes egress via the hub firewall).

    ## What it does
    For every VNet that uses a hub's gateways (`useRemoteGateways` on one of its peerings), flags
    each workload subnet without an associated route table.

    ## Why is this bad?
    Contoso sends all spoke traffic through the hub firewall with a `0.0.0.0/0` route to the
    firewall; a subnet without a route table reaches the Internet and on-premises directly.

    ## Example
    A spoke subnet `app` with no `routeTable` in `fixtures/hub-spoke-transit-ok`.

    ## Use instead
    Associate the spoke's standard route table (`rt-spoke-egress`) with the subnet.

    ## Remediation
    `az network vnet subnet update -g RG --vnet-name VNET -n SUBNET --route-table rt-spoke-egress`

    ## References
    - https://learn.microsoft.com/en-us/azure/architecture/networking/architecture/hub-spoke
    """

    id = "CTR001"
    name = "spoke-subnet-without-route-table"
    severity = Severity.WARNING
    summary = "A spoke's workload subnet has no route table to send traffic to the hub firewall."
    fixtures = RuleFixtures(triggers=("hub-spoke-transit-ok",), passes=("hub-firewall-mirrored",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            if not any(p.use_remote_gateways for p in snapshot.peerings_of(vnet.id)):
                continue
            subnet: Subnet
            for subnet in snapshot.subnets_of(vnet.id):
                if subnet.id.name.lower() in RESERVED or subnet.route_table_id is not None:
                    continue
                yield Violation(
                    message=f"{vnet.display_name}/{subnet.id.name} has no route table: its traffic does not "
                    "pass the hub firewall",
                    resources=(subnet.id,),
                )
