from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import groupby

from auditor.ids import ArmId
from auditor.model import LinkKind
from auditor.rule_api import (
    EVIDENCE_CAP,
    CoverageGap,
    OnPremRoute,
    PrefixIndex,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    prefix_key,
    transit_spokes,
)


class VpnMoreSpecificThanExpressRoute(Rule):
    """The VPN carries a more specific prefix than ExpressRoute, so Azure sends that traffic over the VPN.

    ## What it does
    For every VNet whose gateways reach on-premises over both ExpressRoute and a site-to-site
    VPN, compares the prefixes of the two paths as the control plane computes them (the routes
    `azroute routes` shows): the local network gateway's static address space, BGP routes from
    the VPN peer and from the circuits (declared site prefixes and per-link `prefixes`, or, for a
    site inferred from ASNs, what the observations show over each link). It flags every VPN
    prefix that lies strictly inside a prefix learned over ExpressRoute without the same prefix
    also arriving over ExpressRoute.

    ## Why is this bad?
    Azure prefers ExpressRoute over VPN only between identical prefixes; longest prefix match
    comes first. A more specific prefix on the VPN (often a static LNG address space written
    more finely than the BGP advertisement on the circuit) pulls traffic for that range onto
    the VPN, while on-premises keeps sending its traffic over ExpressRoute. The result is an
    asymmetric flow that stateful firewalls drop, and the VPN gateway carrying load the
    design meant for the circuit. Spokes that use the hub's gateways inherit the same choice.

    ## Example
    Scenario `er-vpn-vpn-more-specific`: the circuit carries `10.2.0.0/16`, the local network
    gateway's address space lists `10.2.1.0/24`.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: both paths carry exactly the same prefixes, so ExpressRoute
    wins and the VPN stays a backup.

    ## Remediation
    Make the VPN carry the same prefixes as the circuit (or less specific ones):
    `az network local-gateway update -g <rg> -n <lng> --local-address-prefixes <same prefixes as ExpressRoute>`,
    or advertise the more specific prefix over ExpressRoute as well. If the VPN is meant to win for
    that range, make on-premises prefer the VPN for it too, so both directions agree.

    ## Known problems
    The route towards the VPN peer's own BGP address (a /32, also when the local network gateway's
    address space lists it as Microsoft's BGP examples do) is expected to use the VPN and is
    ignored. When the VPN and the circuit belong to different declared sites the pair
    is not compared. Without declared sites or observations, ExpressRoute prefixes are unknown and
    nothing can be compared.

    ## References
    - https://learn.microsoft.com/azure/expressroute/use-s2s-vpn-as-backup-for-expressroute-privatepeering
    - https://learn.microsoft.com/azure/expressroute/how-to-configure-coexisting-gateway-portal
    - https://learn.microsoft.com/azure/expressroute/expressroute-asymmetric-routing
    """

    id = "PRF001"
    name = "vpn-more-specific-than-expressroute"
    severity = Severity.WARNING
    summary = "A VPN path carries no prefix more specific than the ExpressRoute path it backs up."
    fixtures = RuleFixtures(
        triggers=("er-vpn-vpn-more-specific",), passes=("er-vpn-equal-prefixes", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        by_vnet: dict[ArmId, list[OnPremRoute]] = {}
        for vnet_id, routes_of in groupby(ctx.onprem_routes(), key=lambda r: r.vnet_id):  # by domain
            by_vnet.setdefault(vnet_id, []).extend(routes_of)
        site_of_circuit: dict[ArmId, set[str]] = defaultdict(set)
        site_of_lng: dict[ArmId, set[str]] = defaultdict(set)
        for site in ctx.site_views():
            for c in site.circuit_ids:
                site_of_circuit[c].add(site.name)
            for g in site.lng_ids:
                site_of_lng[g].add(site.name)

        for vnet_id in sorted(by_vnet, key=lambda i: i.key):
            routes = by_vnet[vnet_id]
            er = PrefixIndex.by_key([r for r in routes if r.link is LinkKind.EXPRESSROUTE], lambda r: r.key)
            er_prefixes = {r.key for r in er.items}
            vpn = [r for r in routes if r.link is LinkKind.VPN and not r.bgp_peer_host]
            found: dict[ArmId, list[tuple[OnPremRoute, list[OnPremRoute]]]] = defaultdict(list)
            seen: set[tuple[str, str]] = set()
            for rv in vpn:
                if rv.key in er_prefixes:
                    continue
                wider = [
                    re
                    for group in er.covering(rv.prefix)
                    for re in group
                    if not _different_sites(site_of_lng[rv.via_id], site_of_circuit[re.via_id])
                ]
                key = (rv.connection_id.key, str(rv.prefix))
                if wider and key not in seen:
                    seen.add(key)
                    found[rv.connection_id].append((rv, wider))
            spokes = transit_spokes(snapshot, vnet_id) if found else []
            # one finding per VPN connection (the cause), listing its more specific prefixes
            for conn_id in sorted(found, key=lambda i: i.key):
                items = sorted(found[conn_id], key=lambda it: prefix_key(it[0].prefix))
                rv, wider = items[0]
                best = max(wider, key=lambda r: r.prefix.prefixlen)
                ers = sorted(
                    {(r.connection_id, r.via_id) for _, w in items for r in w}, key=lambda t: t[0].key
                )
                resources = (vnet_id, conn_id, rv.via_id, *(c for pair in ers for c in pair))
                prefixes = [str(it[0].prefix) for it in items]
                shown = ", ".join(prefixes[:3]) + (
                    f" and {len(prefixes) - 3} more" if len(prefixes) > 3 else ""
                )
                yield Violation(
                    message=f"{vnet_id.name} sends traffic for {shown} over VPN connection "
                    f"{conn_id.name} ({_origin(rv)}), because "
                    + (
                        f"it is more specific than {best.prefix}"
                        if len(items) == 1
                        else "they are more specific than routes"
                    )
                    + f" learned over ExpressRoute circuit {best.via_id.name}: ExpressRoute is preferred only for "
                    "equal prefixes"
                    + (
                        f"; spokes using this gateway follow the same path: {', '.join(s.name for s in spokes)}"
                        if spokes
                        else ""
                    ),
                    resources=resources,
                    evidence={
                        "vnet": str(vnet_id),
                        "vpnConnection": str(conn_id),
                        "localNetworkGateway": str(rv.via_id),
                        "vpnPrefixes": [
                            {
                                "prefix": str(v.prefix),
                                "origin": v.origin,
                                "expressRoutePrefixes": sorted(
                                    (
                                        {
                                            "prefix": str(r.prefix),
                                            "connection": str(r.connection_id),
                                            "circuit": str(r.via_id),
                                            "origin": r.origin,
                                        }
                                        for r in w
                                    ),
                                    key=lambda d: (d["prefix"], d["connection"].lower(), d["origin"]),
                                ),
                            }
                            for v, w in items[:EVIDENCE_CAP]
                        ],
                        "vpnPrefixCount": len(items),
                        "affectedSpokes": [str(s) for s in spokes],
                    },
                    key=conn_id.key,
                )


def _different_sites(a: set[str], b: set[str]) -> bool:
    return bool(a) and bool(b) and not (a & b)


def _origin(route: OnPremRoute) -> str:
    return {
        "localNetworkAddressSpace": "static address space of the local network gateway",
        "site": f"advertised by site {route.site} over BGP",
        "learnedRoutes": "learned over BGP",
    }.get(route.origin, route.origin)
