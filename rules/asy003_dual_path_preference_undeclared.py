from __future__ import annotations

from collections.abc import Iterator

from auditor.model import LinkKind
from auditor.rule_api import (
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    declares_preference,
)


class DualPathPreferenceUndeclared(Rule):
    """A site reachable over ExpressRoute and VPN has no declared return preference.

    ## What it does
    Reports every on-premises site (declared in `sites`, or inferred from a circuit's peer ASN
    and a local network gateway's BGP ASN) that a VNet's gateways reach over both ExpressRoute
    and a site-to-site VPN, when the fixture does not declare which link the site prefers for
    traffic towards Azure: neither `prefer` nor a per-link `localPreference` in `sites[].links`
    that makes one kind of link win.

    ## Why is this bad?
    Azure prefers ExpressRoute for equal prefixes, but the path back is chosen by the
    on-premises router's local-preference, which Azure cannot see. Unless the preference is
    declared, the audit cannot show that the two directions agree (ASY001 cannot be evaluated).

    ## Example
    Scenario `er-vpn-preference-undeclared`: the site has an ExpressRoute circuit and a VPN to
    the hub, and no `prefer` in `fixture.json`.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: the site declares `"prefer": ["ExpressRoute", "Vpn"]`,
    matching the local-preference its router applies.

    ## Remediation
    Add the site to `fixture.json` with its `prefer` order, or with `links` carrying each link's
    `localPreference`, taken from the router's BGP policy (for example
    `route-map ... set local-preference 200` on the ExpressRoute neighbour).
    No `az` command applies: the preference lives on the on-premises router.

    ## References
    - https://learn.microsoft.com/azure/networking/connectivity-interoperability-configuration
    - https://learn.microsoft.com/azure/expressroute/expressroute-asymmetric-routing
    """

    id = "ASY003"
    name = "dual-path-preference-undeclared"
    severity = Severity.INFO
    summary = "Every site reached over ExpressRoute and VPN declares its return preference."
    fixtures = RuleFixtures(
        triggers=("er-vpn-preference-undeclared",), passes=("er-vpn-equal-prefixes", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        for dual in ctx.dual_path_sites():
            if declares_preference(dual.site):
                continue  # declared with `prefer` or per-link localPreference
            how = "declared without 'prefer'" if dual.site.declared else "inferred from matching BGP ASNs"
            yield Violation(
                message=f"site {dual.site.name} ({how}) reaches {dual.vnet_id.name} over ExpressRoute and VPN, "
                f"but its preference for traffic towards Azure is not declared, so symmetry cannot be shown",
                resources=(
                    dual.vnet_id,
                    *dual.connections(LinkKind.EXPRESSROUTE),
                    *dual.connections(LinkKind.VPN),
                ),
                evidence={
                    "site": dual.site.name,
                    "declared": dual.site.declared,
                    "asn": dual.site.asn,
                    "vnet": str(dual.vnet_id),
                    "links": {k.value: [str(c) for c in dual.connections(k)] for k in LinkKind},
                },
                key=dual.site.name,
            )
