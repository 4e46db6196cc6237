from __future__ import annotations

from collections.abc import Iterator

from auditor.model import LinkKind
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class AsymmetricDualPathSite(Rule):
    """A site reachable over ExpressRoute and VPN sends and receives Azure traffic on different links.

    ## What it does
    For every on-premises site that a VNet's gateways reach over both ExpressRoute and a
    site-to-site VPN, works out which link Azure uses towards each of the site's prefixes
    (longest prefix first, then ExpressRoute over VPN, connection weight, AS path; the same
    routes `azroute routes` shows) and compares it with the link the site itself uses towards
    Azure: the route its router selects towards the VNet, as `paths` walks it (the higher
    `localPreference` of the link in `sites[].links`, then the link kind in `prefer`, then the
    shorter AS path, a static VPN route being the shortest). It flags the pair when they differ. The route towards a VPN peer's own BGP
    address (the /32 Microsoft's BGP configuration puts in the local network gateway) is the
    route to the peer, not a site prefix, and is never compared.

    ## Why is this bad?
    Traffic that leaves Azure on one link and comes back on the other is asymmetric: stateful
    devices on either side (firewalls, NAT) see only half of each flow and drop it, and
    troubleshooting shows two different paths for one conversation. It happens when the site
    prefers the VPN while Azure prefers ExpressRoute, or when a more specific VPN prefix pulls
    Azure's traffic onto the VPN while the site keeps preferring ExpressRoute.

    ## Example
    Scenario `er-vpn-site-prefers-vpn`: the site's router prefers routes learned over the VPN
    (`"prefer": ["Vpn", "ExpressRoute"]`), Azure prefers ExpressRoute for the same prefix.
    Scenario `er-vpn-vpn-more-specific`: the site prefers ExpressRoute, but a more specific
    prefix on the VPN pulls Azure's traffic for `10.2.1.0/24` onto the VPN (see PRF001).
    Scenario `er-vpn-equal-local-preference`: the site gives both links the same
    local-preference and declares no preferred kind, so its router takes the shorter path, the
    VPN, while Azure prefers ExpressRoute.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: equal prefixes on both links and a site that prefers
    ExpressRoute (higher local-preference on routes learned from the circuit).

    ## Remediation
    On the site's router, give routes learned over ExpressRoute a higher local-preference than
    routes learned over the VPN; in Azure, keep the VPN's prefixes equal to or wider than the
    circuit's (`az network local-gateway update --local-address-prefixes ...`).

    ## Known problems
    The site's policy is what the fixture declares; Azure cannot see the on-premises router's.
    When the site declares neither a preferred link nor a local-preference, ASY003 reports that
    instead; when its router spreads its traffic over both kinds (ECMP), nothing is compared.

    ## References
    - https://learn.microsoft.com/azure/networking/connectivity-interoperability-control-plane
    - https://learn.microsoft.com/azure/expressroute/expressroute-asymmetric-routing
    - https://learn.microsoft.com/azure/expressroute/use-s2s-vpn-as-backup-for-expressroute-privatepeering
    """

    id = "ASY001"
    name = "asymmetric-dual-path-site"
    severity = Severity.WARNING
    summary = "A site reached over ExpressRoute and VPN uses the same link in both directions."
    fixtures = RuleFixtures(
        triggers=("er-vpn-site-prefers-vpn", "er-vpn-vpn-more-specific", "er-vpn-equal-local-preference"),
        passes=("er-vpn-equal-prefixes", "interop-testbed"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        for dual in ctx.dual_path_sites():
            back = dual.site_choice
            if back is None:
                continue
            mismatched = [(d, r) for d, r in dual.azure_choice if r.link is not back]
            if not mismatched:
                continue
            parts = [f"{d} leaves over {r.link.value} ({r.connection_id.name})" for d, r in mismatched]
            back_conns = dual.connections(back)
            yield Violation(
                message=f"traffic from {dual.vnet_id.name} to site {dual.site.name} is asymmetric: "
                + "; ".join(parts)
                + f", but {dual.site.name} sends its traffic to Azure over {back.value} (the route its router selects)",
                resources=(dual.vnet_id, *(r.connection_id for _, r in mismatched), *back_conns),
                evidence={
                    "site": dual.site.name,
                    "vnet": str(dual.vnet_id),
                    "sitePreference": [k.value for k in dual.site.prefer or ()],
                    "siteLinks": [lk.as_dict() for lk in dual.site.links],
                    "siteToAzure": back.value,
                    "azureToSite": [
                        {
                            "prefix": str(d),
                            "link": r.link.value,
                            "connection": str(r.connection_id),
                            "routePrefix": str(r.prefix),
                            "origin": r.origin,
                        }
                        for d, r in dual.azure_choice
                    ],
                    "links": {k.value: [str(c) for c in dual.connections(k)] for k in LinkKind},
                },
                key=dual.site.name,
            )
