from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import private_peering_asn_in_azure_range


class PrivatePeeringAsnInAzureRange(Rule):
    """An ExpressRoute private peering uses a peer ASN between 65515 and 65520.

    ## What it does
    Flags private peerings whose `peerASN` is in 65515-65520, including 65516, which is legal
    on a VPN gateway but not on ExpressRoute private peering. BGP001 (reserved ASNs) leaves these
    peerings to this rule: one finding per ASN problem.

    ## Why is this bad?
    Microsoft reserves 65515-65520 for internal use on ExpressRoute; the peering is refused or
    its routes are dropped by loop prevention against the gateway's 65515.

    ## Example
    Scenario `er-peer-asn-65516`: the circuit's private peering has peerASN 65516.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: peerASN 65010.

    ## Remediation
    `az network express-route peering update -g <rg> --circuit-name <circuit> -n AzurePrivatePeering --peer-asn <ASN>`

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-routing-portal-resource-manager
    """

    id = "BGP002"
    name = "private-peering-asn-in-azure-range"
    severity = Severity.ERROR
    summary = "ExpressRoute private peerings use peer ASNs outside 65515-65520."
    fixtures = RuleFixtures(
        triggers=("er-peer-asn-65516",), passes=("er-vpn-equal-prefixes", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for peering in snapshot.circuit_peerings:
            if private_peering_asn_in_azure_range(peering):
                yield Violation(
                    message=f"circuit {peering.circuit_id.name} private peering uses peer ASN {peering.peer_asn}, "
                    "inside 65515-65520 which ExpressRoute reserves",
                    resources=(peering.id,),
                    evidence={"peerASN": peering.peer_asn},
                )
