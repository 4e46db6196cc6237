from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class RouteTableNotAssociated(Rule):
    """A route table is associated with no subnet, so its routes are installed nowhere.

    ## What it does
    Flags a route table whose own `subnets` list is empty and that no subnet in the snapshot
    references, and names the routes it would have installed.

    ## Why is this bad?
    A route table takes effect only through its subnet associations. An unassociated table is
    often the intended one (the reference hub-spoke's `0.0.0.0/0 -> firewall` table) that was
    never attached, so traffic bypasses the appliance the design depends on.

    ## Example
    Scenario `route-table-not-associated`: `spoke-to-firewall-rt` sends `0.0.0.0/0` to an
    appliance but no subnet uses it.

    ## Use instead
    Scenario `hub-firewall-mirrored`: every route table is associated.

    ## Remediation
    `az network vnet subnet update -g <rg> --vnet-name <vnet> -n <subnet> --route-table <route-table>`,
    or delete the table if it is not needed.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/manage-route-table#associate-a-route-table-to-a-subnet
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#user-defined
    """

    id = "UDR005"
    name = "route-table-not-associated"
    severity = Severity.INFO
    summary = "Every route table is associated with at least one subnet."
    fixtures = RuleFixtures(triggers=("route-table-not-associated",), passes=("hub-firewall-mirrored",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        referenced = {s.route_table_id for s in snapshot.subnets if s.route_table_id is not None}
        for table in snapshot.route_tables:
            if table.subnet_ids or table.id in referenced:
                continue
            routes = sorted(snapshot.routes_of(table.id), key=lambda r: r.id.key)
            shown = [
                f"{r.address_prefix} -> {r.next_hop_type}"
                + (f" {r.next_hop_ip_address}" if r.next_hop_ip_address else "")
                for r in routes
            ]
            yield Violation(
                message=f"route table {table.id.name} is associated with no subnet"
                + (f"; it would install {', '.join(shown)}" if shown else " and holds no routes"),
                resources=(table.id,),
                evidence={"routes": shown},
            )
