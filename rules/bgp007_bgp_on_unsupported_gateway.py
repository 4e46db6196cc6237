from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    BGP_UNSUPPORTED,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import withheld_findings


class BgpOnUnsupportedGateway(Rule):
    """BGP is expected on a VPN gateway that cannot run it (Basic SKU or policy-based).

    ## What it does
    Flags BGP-enabled VPN connections, and VPN gateways with `enableBgp = true`, where the
    gateway is of the `Basic` SKU or `PolicyBased`.

    ## Why is this bad?
    BGP is supported on route-based VPN gateways above Basic only: the sessions never come up,
    no dynamic routes are exchanged, and VPN-to-VPN transit through the gateway does not happen.

    ## Example
    Scenario `bgp-on-basic-gateway`: the hub VPN gateway is Basic and its connections enable BGP.

    ## Use instead
    Scenario `interop-testbed`: route-based VpnGw1 gateways.

    ## Remediation
    Recreate the gateway with a supported SKU (Basic cannot be resized):
    `az network vnet-gateway create -g <rg> -n <gw> --vnet <vnet> --vpn-type RouteBased --sku VpnGw1AZ --asn <ASN> ...`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp
    - https://learn.microsoft.com/azure/vpn-gateway/about-gateway-skus
    """

    id = "BGP007"
    name = "bgp-on-unsupported-gateway"
    severity = Severity.ERROR
    summary = "BGP runs only on route-based VPN gateways above the Basic SKU."
    fixtures = RuleFixtures(triggers=("bgp-on-basic-gateway",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, BGP_UNSUPPORTED, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for gw in snapshot.gateways:
            if not gw.is_vpn:
                continue
            problems = []
            if (gw.sku_name or "").lower() == "basic":
                problems.append("Basic SKU")
            if (gw.vpn_type or "").lower() == "policybased":
                problems.append("policy-based")
            bgp_conns = [c.id for c in snapshot.connections_of(gw.id) if c.enable_bgp]
            if problems and (gw.enable_bgp or bgp_conns):
                yield Violation(
                    message=f"VPN gateway {gw.id.name} ({', '.join(problems)}) is expected to run BGP"
                    + (f" on {', '.join(c.name for c in bgp_conns)}" if bgp_conns else ""),
                    resources=(gw.id, *bgp_conns),
                    evidence={
                        "sku": gw.sku_name,
                        "vpnType": gw.vpn_type,
                        "enableBgp": gw.enable_bgp,
                        "bgpConnections": [str(c) for c in bgp_conns],
                    },
                )
