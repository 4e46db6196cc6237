from __future__ import annotations

from collections.abc import Iterator

from auditor.model import parse_prefix
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import gateway_subnet_of, route_table_of


class GatewaySubnetDefaultRoute(Rule):
    """The GatewaySubnet's route table has a 0.0.0.0/0 route.

    ## What it does
    Flags a route table attached to a GatewaySubnet that holds a `0.0.0.0/0` route.

    ## Why is this bad?
    User-defined routes with a 0.0.0.0/0 destination are not supported on the GatewaySubnet:
    the gateway's management and tunnel traffic is sent to the next hop and the gateway can
    stop working.

    ## Example
    Scenario `gateway-subnet-default-route`: `gateway-rt` holds `0.0.0.0/0 -> 10.0.3.4`.

    ## Use instead
    Scenario `hub-firewall-bypass`: the GatewaySubnet's routes name the spoke prefixes only.

    ## Remediation
    `az network route-table route delete -g <rg> --route-table-name <rt> -n <default-route>`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub
    """

    id = "GWS001"
    name = "gateway-subnet-default-route"
    severity = Severity.ERROR
    summary = "The GatewaySubnet's route table holds no 0.0.0.0/0 route."
    fixtures = RuleFixtures(
        triggers=("gateway-subnet-default-route",), passes=("hub-firewall-bypass", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        default = parse_prefix("0.0.0.0/0")
        for vnet in snapshot.vnets:
            subnet = gateway_subnet_of(snapshot, vnet.id)
            table = route_table_of(snapshot, subnet) if subnet else None
            for route in snapshot.routes_of(table.id) if table else ():
                if route.prefix == default:
                    yield Violation(
                        message=f"{vnet.display_name}'s GatewaySubnet uses route table {table.id.name} with a 0.0.0.0/0 "  # type: ignore[union-attr]
                        f"route ({route.id.name} -> {route.next_hop_type} {route.next_hop_ip_address or ''})".rstrip(),
                        resources=(route.id,),
                        evidence={"route": str(route.id), "nextHopType": route.next_hop_type},
                    )
