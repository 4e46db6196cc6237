from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class GatewayWithoutConnection(Rule):
    """A virtual network gateway has no connection and serves no point-to-site clients.

    ## What it does
    Flags a VPN or ExpressRoute gateway that no connection in the snapshot names (neither as its
    first gateway nor as the far end of a VNet-to-VNet connection) and that has no point-to-site
    address pool. When the snapshot records collection failures, a connection may live where the
    collector could not read, and the gateway is reported as not evaluated instead.

    ## Why is this bad?
    A gateway without a connection carries no hybrid traffic: the VNet and the spokes that use it
    learn nothing from on-premises, while the gateway is billed by the hour and, with gateway
    transit, spokes depend on it. It is usually a leftover of a migration or a link that was
    deleted by mistake.

    ## Example
    Scenario `gateway-without-connection`: the remote VNet's ExpressRoute gateway lost its
    connection to `er-1`.

    ## Use instead
    Scenario `interop-testbed`: every gateway has at least one connection.

    ## Remediation
    Connect the gateway, or delete it if it is no longer needed:
    `az network vpn-connection create -g <rg> -n <name> --vnet-gateway1 <gateway> --express-route-circuit2 <circuit>`
    or `az network vnet-gateway delete -g <rg> -n <gateway>`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#connection
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-linkvnet-arm
    """

    id = "GWS008"
    name = "gateway-without-connection"
    severity = Severity.WARNING
    summary = "Every virtual network gateway has a connection or point-to-site clients."
    fixtures = RuleFixtures(triggers=("gateway-without-connection",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        named = {c.gateway1_id for c in snapshot.connections} | {
            c.gateway2_id for c in snapshot.connections if c.gateway2_id is not None
        }
        for gw in snapshot.gateways:
            if not (gw.is_vpn or gw.is_expressroute) or gw.id in named or gw.p2s_address_pool:
                continue
            if snapshot.collection_gaps:
                yield CoverageGap(
                    kind="not-evaluated",
                    resource=str(gw.id),
                    detail="no connection names this gateway, but the collection was incomplete",
                    rules=(self.id,),
                )
                continue
            kind = "ExpressRoute" if gw.is_expressroute else "VPN"
            yield Violation(
                message=f"{kind} gateway {gw.id.name} has no connection and no point-to-site clients: "
                "it carries no hybrid traffic",
                resources=(gw.id,),
                evidence={"gateway": str(gw.id), "gatewayType": gw.gateway_type, "vnet": str(gw.vnet_id)},
            )
