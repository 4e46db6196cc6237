from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class UnsupportedCoexistence(Rule):
    """An ExpressRoute gateway coexists with a policy-based or Basic VPN gateway.

    ## What it does
    Flags a VNet holding an ExpressRoute gateway and a VPN gateway that is `PolicyBased` or
    of the `Basic` SKU.

    ## Why is this bad?
    ExpressRoute/VPN coexistence supports route-based VPN gateways above Basic only; the
    combination is unsupported and the VPN cannot back the circuit up.

    ## Example
    Scenario `coexistence-basic-vpn`: the hub's VPN gateway is Basic.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: a route-based VpnGw1AZ gateway.

    ## Remediation
    Recreate the VPN gateway route-based with a supported SKU:
    `az network vnet-gateway create -g <rg> -n <gw> --vnet <vnet> --gateway-type Vpn --vpn-type RouteBased --sku VpnGw1AZ ...`

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-coexist-resource-manager
    """

    id = "GWS006"
    name = "unsupported-coexistence"
    severity = Severity.ERROR
    summary = "ExpressRoute gateways coexist only with route-based VPN gateways above Basic."
    fixtures = RuleFixtures(
        triggers=("coexistence-basic-vpn",), passes=("er-vpn-equal-prefixes", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            gateways = snapshot.gateways_of(vnet.id)
            if not any(g.is_expressroute for g in gateways):
                continue
            for gw in gateways:
                if not gw.is_vpn:
                    continue
                problems = []
                if (gw.vpn_type or "").lower() == "policybased":
                    problems.append("policy-based")
                if (gw.sku_name or "").lower() == "basic":
                    problems.append("Basic SKU")
                if problems:
                    yield Violation(
                        message=f"VPN gateway {gw.id.name} ({', '.join(problems)}) coexists with an ExpressRoute gateway in {vnet.display_name}",
                        resources=(gw.id,),
                        evidence={"vpnType": gw.vpn_type, "sku": gw.sku_name},
                    )
