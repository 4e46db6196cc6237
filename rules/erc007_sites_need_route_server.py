from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    EVIDENCE_CAP,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    er_only_and_vpn_sites,
)


class SitesNeedRouteServer(Rule):
    """Networks a hub reaches over VPN and sites it reaches only over ExpressRoute cannot reach each other.

    ## What it does
    For every hub with an ExpressRoute gateway and a VPN gateway and no Route Server that passes
    routes between them (branch-to-branch), pairs each network the hub reaches over VPN (a site
    over site-to-site VPN, a VNet over a Vnet2Vnet connection) with each site it reaches only over
    ExpressRoute, and reports the pairs that `paths` finds unreachable (a pair that Global Reach
    or another path joins is not reported). A Route Server with branch-to-branch whose VPN gateway
    cannot use it is BGP006's finding, not this one.

    ## Why is this bad?
    The ExpressRoute gateway and the VPN gateway of one VNet do not pass each other's routes:
    a branch on VPN and a data centre on ExpressRoute both reach the hub but not each other
    (Microsoft's interoperability testbed: the branch VNet does not reach Location 2). That may be
    intended; teams that expect the hub to be a transit point are surprised. Transit needs Azure
    Route Server with branch-to-branch enabled and the VPN gateway active-active with ASN 65515.

    ## Example
    Scenario `interop-testbed`: `branch-vnet` (Vnet2Vnet) and `location-2` (er-2) share `hub-vnet`.
    Scenario `route-server-no-branch-to-branch`: a Route Server is deployed, branch-to-branch off.

    ## Use instead
    Scenario `interop-testbed-route-server`: the Route Server allows branch-to-branch. Scenario
    `er-vpn-equal-prefixes`: the one site is on both ExpressRoute and VPN.

    ## Remediation
    If the networks must talk, deploy a Route Server in the hub and enable branch-to-branch:
    `az network routeserver update -g <rg> -n <route-server> --allow-b2b-traffic true` (the VPN
    gateway active-active, ASN 65515).

    ## References
    - https://learn.microsoft.com/azure/route-server/expressroute-vpn-support
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-coexist-resource-manager
    - https://learn.microsoft.com/azure/networking/connectivity-interoperability-control-plane
    """

    id = "ERC007"
    name = "sites-need-route-server"
    severity = Severity.INFO
    summary = (
        "A hub's VPN networks and ExpressRoute-only sites meet through Route Server, or are meant apart."
    )
    fixtures = RuleFixtures(
        triggers=("interop-testbed", "route-server-no-branch-to-branch"),
        passes=("interop-testbed-route-server", "er-vpn-equal-prefixes"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot, plane, paths = ctx.snapshot, ctx.control_plane, ctx.paths
        names = [n for n in paths.networks() if not n.endswith(" (IPv6)")]
        endpoints = set(names)  # a site without IPv4 prefixes is no endpoint: nothing to pair
        for hub_id, domain in sorted(plane.domains.items(), key=lambda kv: kv[0].key):
            if domain.branch_to_branch or not domain.er_links or domain.vpn_gateway is None:
                continue
            servers = snapshot.route_servers_of(hub_id)
            if any(rs.allow_branch_to_branch_traffic for rs in servers):
                continue  # branch-to-branch asked for but unusable: BGP006
            er_only, vpn_sites = er_only_and_vpn_sites(plane, domain)
            behind = {s.name for _, circuit in domain.er_links for s in plane.sites_behind(circuit)}
            vpn_side = [s.name for s in vpn_sites if s.name not in behind]
            for _, other in domain.v2v_links:
                vnet = snapshot.vnet(other)
                if vnet is not None:
                    key = vnet.id.name.lower()
                    vpn_side += [n for n in names if n.partition("/")[0].lower() == key]
            apart = [
                (a, b.name)
                for a in dict.fromkeys(vpn_side)
                if a in endpoints
                for b in er_only
                if b.name in endpoints and paths.pair(a, b.name).status == "none"
            ]
            if not apart:
                continue
            why = (
                f"Route Server {servers[0].id.name} does not allow branch-to-branch traffic"
                if servers
                else f"{domain.name} has no Route Server"
            )
            pairs = [f"{a} <-> {b}" for a, b in apart]
            listed = ", ".join(pairs[:3]) + (f" and {len(pairs) - 3} more" if len(pairs) > 3 else "")
            yield Violation(
                message=f"networks on {domain.name}'s VPN and sites on its ExpressRoute do not reach each other "
                f"({listed}): {why}, so its ExpressRoute and VPN gateways do not exchange routes",
                resources=(hub_id, *(rs.id for rs in servers[:1])),
                evidence={"apart": pairs[:EVIDENCE_CAP], "apartCount": len(pairs)},
                key=str(hub_id),
            )
