from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class BgpPeerNotConnected(Rule):
    """A VPN gateway reports a BGP neighbour that is not Connected.

    ## What it does
    Reads the recorded `getBgpPeerStatus` of every gateway and flags neighbours whose state is
    not `Connected`.

    ## Why is this bad?
    Every route that neighbour should provide is missing, and traffic falls back to static
    routes or another path (or nowhere). Configuration alone looks fine.

    ## Example
    Scenario `bgp-peer-down`: the hub VPN gateway's session with Location 1 is `Connecting`.

    ## Use instead
    Scenario `interop-testbed`: every session Connected.

    ## Remediation
    Check the tunnel and the peer: `az network vnet-gateway list-bgp-peer-status -g <rg> -n <gw>`,
    the on-premises router's BGP configuration (neighbour address, ASN, multihop) and the IPsec SA.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/bgp-diagnostics
    """

    id = "BGP005"
    name = "bgp-peer-not-connected"
    severity = Severity.ERROR
    summary = "Every BGP neighbour a gateway reports is Connected."
    reads = "observations"
    fixtures = RuleFixtures(triggers=("bgp-peer-down",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for table in snapshot.bgp_peer_status:
            for peer in table.peers:
                if peer.state is not None and peer.state.lower() != "connected":
                    yield Violation(
                        message=f"gateway {table.gateway_id.name}: BGP neighbour {peer.neighbor} (ASN {peer.asn}) is {peer.state}",
                        resources=(table.gateway_id,),
                        evidence={"neighbor": peer.neighbor, "asn": peer.asn, "state": peer.state},
                        key=peer.neighbor or "",
                    )
