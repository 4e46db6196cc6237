from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import FASTPATH_SKUS, CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class FastpathNotApplicable(Rule):
    """FastPath is enabled on a connection whose gateway SKU does not support it.

    ## What it does
    Flags ExpressRoute connections with `expressRouteGatewayBypass = true` whose gateway is
    not UltraPerformance, ErGw3AZ or ErGwScale.

    ## Why is this bad?
    FastPath does not apply: traffic keeps flowing through the gateway, so the latency and
    throughput the design counts on are not there.

    ## Example
    Scenario `fastpath-standard-gateway`: FastPath on a connection of a Standard gateway.

    ## Use instead
    Scenario `interop-testbed`: FastPath off.

    ## Remediation
    Resize the gateway (`az network vnet-gateway update -g <rg> -n <gw> --sku ErGw3AZ`) or turn
    FastPath off (`az network vpn-connection update -g <rg> -n <conn> --express-route-gateway-bypass false`).

    ## References
    - https://learn.microsoft.com/azure/expressroute/about-fastpath
    """

    id = "ERC005"
    name = "fastpath-not-applicable"
    severity = Severity.WARNING
    summary = "FastPath is enabled only on connections of gateways that support it."
    fixtures = RuleFixtures(triggers=("fastpath-standard-gateway",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for conn in snapshot.connections:
            if not conn.is_expressroute or not conn.express_route_gateway_bypass:
                continue
            gw = snapshot.gateway(conn.gateway1_id)
            if gw is not None and (gw.sku_name or "").lower() not in FASTPATH_SKUS:
                yield Violation(
                    message=f"connection {conn.id.name} enables FastPath, but gateway {gw.id.name} is {gw.sku_name}",
                    resources=(conn.id, gw.id),
                    evidence={"sku": gw.sku_name},
                )
