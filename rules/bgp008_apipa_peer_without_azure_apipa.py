from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    BGP_APIPA,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    apipa_unmatched,
)
from rules._helpers import withheld_findings


class ApipaPeerWithoutAzureApipa(Rule):
    """An on-premises BGP peer on an APIPA address meets a VPN gateway without an Azure APIPA address.

    ## What it does
    Flags BGP connections whose local network gateway peers from an APIPA address
    (`bgpSettings.bgpPeeringAddress` in `169.254.0.0/16`) while the VPN gateway has no custom
    Azure APIPA BGP address (`bgpSettings.bgpPeeringAddresses[].customBgpIpAddresses` in
    `169.254.21.0`-`169.254.22.255`). azroute treats the session as down: the site's routes are
    not learned and the site learns none of Azure's; the finding lists the walked pairs left
    without a route.

    ## Why is this bad?
    Devices that peer BGP from link-local addresses (AWS, many cloud and SD-WAN appliances) expect
    their neighbour on the other end of the tunnel to use an APIPA address too. Azure's gateway
    speaks BGP from its default address in the GatewaySubnet unless it is given an Azure APIPA
    address, so the two ends never agree on a neighbour and the session stays down: nothing is
    exchanged and failover that relies on BGP does not happen.

    ## Example
    Scenario `vpn-apipa-without-azure-apipa`: the office's local network gateway peers from
    `169.254.21.2`; the active-active gateway has no custom BGP address.

    ## Use instead
    Scenario `heldout/vpn-active-active-apipa`: the gateway's two instances are given
    `169.254.21.1` and `169.254.22.1` as Azure APIPA BGP addresses.

    ## Remediation
    Give each gateway instance an Azure APIPA BGP address in `169.254.21.0`-`169.254.22.255` that
    matches the on-premises device's neighbour configuration
    (`az network vnet-gateway update -g <rg> -n <gw> --set bgpSettings.bgpPeeringAddresses[0].customBgpIpAddresses=["169.254.21.1"]`),
    and select it on the connection if the gateway has several.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/bgp-howto
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-bgp-overview
    """

    id = "BGP008"
    name = "apipa-peer-without-azure-apipa"
    severity = Severity.ERROR
    summary = "An APIPA on-premises BGP peer needs an Azure APIPA address on the VPN gateway."
    fixtures = RuleFixtures(
        triggers=("vpn-apipa-without-azure-apipa",),
        passes=("heldout/vpn-active-active-apipa", "interop-testbed"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, BGP_APIPA, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for conn in snapshot.connections:
            if not conn.is_ipsec or not conn.enable_bgp or conn.local_network_gateway_id is None:
                continue
            gw = snapshot.gateway(conn.gateway1_id)
            lng = snapshot.local_network_gateway(conn.local_network_gateway_id)
            if gw is None or lng is None or not gw.runs_bgp:
                continue
            why = apipa_unmatched(gw, lng)
            if why is not None:
                yield Violation(
                    message=f"connection {conn.id.name}: {why}: the BGP session cannot come up",
                    resources=(conn.id, gw.id, lng.id),
                    evidence={
                        "lngBgpPeeringAddresses": list(lng.bgp_settings.addresses)
                        if lng.bgp_settings
                        else [],
                        "gatewayBgpAddresses": list(gw.bgp_settings.addresses) if gw.bgp_settings else [],
                    },
                )
