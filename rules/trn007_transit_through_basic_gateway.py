from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    NO_TRANSIT_BASIC,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import withheld_findings


class TransitThroughBasicGateway(Rule):
    """A hub offers gateway transit through a Basic VPN gateway.

    ## What it does
    Flags a peering with `allowGatewayTransit = true` on a VNet whose VPN gateway has the
    `Basic` SKU.

    ## Why is this bad?
    Gateway transit does not support the Basic SKU: spokes that rely on it get no routes to the
    VPN's sites. Basic gateways also lack BGP and coexistence with ExpressRoute.

    ## Example
    Scenario `basic-gateway-transit`: the hub's VPN gateway is Basic and offers transit.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: a VpnGw1 gateway.

    ## Remediation
    Resize to a supported SKU (Basic needs recreating):
    `az network vnet-gateway create -g <rg> -n <gw> --vnet <hub> --sku VpnGw1AZ ...`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit
    - https://learn.microsoft.com/azure/vpn-gateway/about-gateway-skus
    """

    id = "TRN007"
    name = "transit-through-basic-gateway"
    severity = Severity.ERROR
    summary = "Gateway transit is offered only through VPN gateways above the Basic SKU."
    fixtures = RuleFixtures(
        triggers=("basic-gateway-transit",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, NO_TRANSIT_BASIC, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for peering in snapshot.peerings:
            if not peering.allow_gateway_transit:
                continue
            for gw in snapshot.gateways_of(peering.vnet_id):
                if gw.is_vpn and (gw.sku_name or "").lower() == "basic":
                    yield Violation(
                        message=f"{peering.vnet_id.name} offers gateway transit ({peering.id.name}) through Basic VPN "
                        f"gateway {gw.id.name}, which does not support it",
                        resources=(peering.id, gw.id),
                        evidence={"peering": str(peering.id), "gateway": str(gw.id), "sku": gw.sku_name},
                    )
