from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class RouteServerSubnetUdrOrNsg(Rule):
    """A route table or a network security group is associated with the RouteServerSubnet.

    ## What it does
    Flags every subnet named `RouteServerSubnet` with `routeTable` or `networkSecurityGroup` set,
    whether or not a Route Server is deployed into it yet (the subnet is dedicated to it); the
    message names the Route Server when the snapshot holds one there.

    ## Why is this bad?
    Azure Route Server does not support a user-defined route table or an NSG on its subnet
    (Route Server FAQ: "Can I associate a UDR to the RouteServerSubnet?" and "Can I associate a
    network security group (NSG) to the RouteServerSubnet?", both answered no). Route Server
    forwards no data traffic, so a UDR there steers nothing it needs, and either association can
    break its BGP sessions and management connectivity and leave it unhealthy.

    ## Example
    Scenario `route-server-subnet-udr-nsg`: the hub's RouteServerSubnet has route table `rs-rt` and
    `rs-nsg` associated.

    ## Use instead
    Scenario `interop-testbed-route-server`: the RouteServerSubnet has neither.

    ## Remediation
    `az network vnet subnet update -g <rg> --vnet-name <vnet> -n RouteServerSubnet --route-table "" --network-security-group ""`

    ## References
    - https://learn.microsoft.com/azure/route-server/route-server-faq
    """

    id = "GWS009"
    name = "route-server-subnet-udr-or-nsg"
    severity = Severity.ERROR
    summary = "No route table and no network security group is associated with a RouteServerSubnet."
    fixtures = RuleFixtures(
        triggers=("route-server-subnet-udr-nsg",), passes=("interop-testbed-route-server", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for subnet in snapshot.subnets:
            if not subnet.is_route_server_subnet:
                continue
            servers = [rs.id.name for rs in snapshot.route_servers_of(subnet.vnet_id)]
            host = f" (Route Server {', '.join(servers)})" if servers else ""
            for what, rid in (
                ("route table", subnet.route_table_id),
                ("network security group", subnet.network_security_group_id),
            ):
                if rid is None:
                    continue
                yield Violation(
                    message=f"{subnet.vnet_id.name}'s RouteServerSubnet{host} has {what} {rid.name} associated, "
                    "which Azure Route Server does not support",
                    resources=(subnet.id, rid),
                    evidence={"subnet": str(subnet.id), "associated": str(rid), "routeServers": servers},
                    key=f"{subnet.id}|{what}",
                )
