from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class SameAsnBothEnds(Rule):
    """Both ends of a BGP VPN connection use the same ASN.

    ## What it does
    For every connection with `enableBgp = true`, compares the Azure VPN gateway's ASN with the
    local network gateway's ASN (IPsec) or the other VPN gateway's ASN (Vnet2Vnet).

    ## Why is this bad?
    Azure VPN gateways speak eBGP: with equal ASNs the session either does not establish or
    every route is dropped by AS-path loop prevention. The interoperability testbed changed the
    branch gateway to 65516 for exactly this reason.

    ## Example
    Scenario `vnet2vnet-same-asn`: the branch gateway keeps the default 65515.

    ## Use instead
    Scenario `interop-testbed`: hub 65515, branch 65516.

    ## Remediation
    `az network vnet-gateway update -g <rg> -n <branch-gw> --asn 65516` (then reset the sessions)

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp
    - https://learn.microsoft.com/azure/networking/connectivity-interoperability-configuration
    """

    id = "BGP003"
    name = "same-asn-both-ends"
    severity = Severity.ERROR
    summary = "The two ends of every BGP VPN connection use different ASNs."
    fixtures = RuleFixtures(triggers=("vnet2vnet-same-asn",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for conn in snapshot.connections:
            if not conn.enable_bgp:
                continue
            gw = snapshot.gateway(conn.gateway1_id)
            if gw is None or gw.asn is None:
                continue
            other_asn, other = None, None
            if conn.is_ipsec and conn.local_network_gateway_id is not None:
                lng = snapshot.local_network_gateway(conn.local_network_gateway_id)
                other_asn, other = (lng.asn, lng.id) if lng else (None, None)
            elif conn.is_vnet2vnet and conn.gateway2_id is not None:
                far = snapshot.gateway(conn.gateway2_id)
                other_asn, other = (far.asn, far.id) if far else (None, None)
            if other is not None and other_asn == gw.asn:
                yield Violation(
                    message=f"connection {conn.id.name} runs BGP between {gw.id.name} and {other.name}, both ASN {gw.asn}",
                    resources=(conn.id, gw.id, other),
                    evidence={"asn": gw.asn},
                )
