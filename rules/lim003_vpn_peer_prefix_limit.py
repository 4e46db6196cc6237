from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation

# A VPN gateway accepts up to 4,000 prefixes from a BGP peer (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp)
VPN_PEER_PREFIXES = 4000


class VpnPeerPrefixLimit(Rule):
    """A VPN gateway learns close to, or more than, 4,000 prefixes from one BGP peer.

    ## What it does
    Counts the prefixes in each recorded `getLearnedRoutes` by source peer (eBGP) and in each
    `getBgpPeerStatus` row (`routesReceived`); 80 % of 4,000 or more is a finding.

    ## Why is this bad?
    Past 4,000 prefixes the VPN gateway drops the BGP session with that peer.

    ## Example
    Scenario `vpn-peer-prefix-limit`: Location 1 sends 3,500 routes to the hub VPN gateway.

    ## Use instead
    Scenario `interop-testbed`: one route per peer.

    ## Remediation
    Summarize or filter on the on-premises router's advertisements towards Azure; watch the count
    with `az network vnet-gateway list-bgp-peer-status -g <rg> -n <gw>`.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp
    """

    id = "LIM003"
    name = "vpn-peer-prefix-limit"
    severity = Severity.WARNING
    summary = "VPN BGP peers send fewer than 80 % of the 4,000 prefixes a gateway accepts."
    reads = "observations"
    fixtures = RuleFixtures(triggers=("vpn-peer-prefix-limit",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for table in snapshot.bgp_peer_status:
            for peer in table.peers:
                if peer.routes_received is not None and peer.routes_received >= 0.8 * VPN_PEER_PREFIXES:
                    yield Violation(
                        message=f"gateway {table.gateway_id.name} receives {peer.routes_received} routes from {peer.neighbor}, "
                        f"near or over the limit of {VPN_PEER_PREFIXES}",
                        resources=(table.gateway_id,),
                        evidence={
                            "neighbor": peer.neighbor,
                            "routesReceived": peer.routes_received,
                            "limit": VPN_PEER_PREFIXES,
                        },
                        key=peer.neighbor or "",
                    )
