from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class SitesNeedGlobalReach(Rule):
    """Two on-premises sites on different circuits of the same hub cannot reach each other.

    ## What it does
    Finds pairs of sites behind different ExpressRoute circuits linked to the same gateway
    domain, where the circuits are not joined by Global Reach (a configured Global Reach link that
    is Disconnected is ERC001's finding), and reports those that `paths`
    finds do not reach each other (none or one-way). A pair that another way joins (a Route Server
    with branch-to-branch between the hub's ExpressRoute and VPN gateways, where one site also
    has a VPN connection) is not reported; neither is a pair whose answer is unknown. A site
    without prefixes is no endpoint of `paths`: its pairs are reported from the circuits alone.

    ## Why is this bad?
    ExpressRoute gateways never pass one circuit's routes to another, so the sites cannot talk
    through Azure. That is often intended, but it surprises teams who expect the hub to be a
    transit point between their data centres (the testbed's Location 1 and Location 2).

    ## Example
    Scenario `interop-testbed`: `location-1` (er-1) and `location-2` (er-2) share `hub-vnet`.

    ## Use instead
    Scenario `interop-testbed-global-reach`: Global Reach joins the two circuits. Scenario
    `interop-testbed-route-server`: Location 1's VPN backup reaches the hub's VPN gateway, which
    exchanges routes with the ExpressRoute gateway through the Route Server (branch-to-branch),
    so the sites reach each other without Global Reach.

    ## Remediation
    If the sites must talk: `az network express-route peering connection create -g <rg> --circuit-name <er-1>
    --peering-name AzurePrivatePeering -n <name> --peer-circuit <er-2-id> --address-prefix <a /29>`.

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-global-reach
    - https://learn.microsoft.com/azure/networking/connectivity-interoperability-control-plane
    - https://learn.microsoft.com/azure/route-server/expressroute-vpn-support
    """

    id = "ERC004"
    name = "sites-need-global-reach"
    severity = Severity.INFO
    summary = "Sites on different circuits of one hub are joined by Global Reach, or meant to be apart."
    fixtures = RuleFixtures(
        triggers=("interop-testbed",), passes=("interop-testbed-global-reach", "interop-testbed-route-server")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        plane = ctx.control_plane
        joined: set[frozenset[str]] = set()
        for gr in snapshot.circuit_connections:
            left, right = gr.peering_id.parent, gr.peer_peering_id.parent if gr.peer_peering_id else None
            if left is not None and right is not None:
                joined.add(frozenset({left.key, right.key}))
        sites = [s for s in plane.sites if s.circuit_ids]
        reported: set[tuple[str, str]] = set()
        endpoints: set[str] = set()  # `paths`' endpoint names, lower case (read when a pair is first walked)
        for domain in sorted(plane.domains.values(), key=lambda d: d.hub.id.key):
            circuits = {c for _, c in domain.er_links}
            for i, a in enumerate(sites):
                for b in sites[i + 1 :]:
                    ca = sorted(a.circuit_ids & circuits, key=lambda c: c.key)
                    cb = sorted(b.circuit_ids & circuits, key=lambda c: c.key)
                    if not ca or not cb or set(ca) & set(cb):
                        continue
                    if any(frozenset({x.key, y.key}) in joined for x in ca for y in cb):
                        continue
                    pair = (a.name, b.name)
                    if pair in reported:
                        continue
                    if not endpoints:
                        endpoints = {n.lower() for n in ctx.paths.networks()}
                    if _walked(ctx, endpoints, a.name, b.name) in ("reachable", "unknown"):
                        continue  # another way joins them (Route Server branch-to-branch, a VPN), or unknown
                    reported.add(pair)
                    yield Violation(
                        message=f"sites {a.name} ({ca[0].name}) and {b.name} ({cb[0].name}) both reach {domain.name} but not "
                        "each other: circuits do not transit without Global Reach",
                        resources=(domain.hub.id, ca[0], cb[0]),
                        evidence={"sites": [a.name, b.name], "circuits": [str(ca[0]), str(cb[0])]},
                        key=f"{a.name}|{b.name}",
                    )


def _walked(ctx: RuleContext, names: set[str], a: str, b: str) -> str | None:
    """What `paths` says between two sites: the best status over the address families both are
    endpoints of (`names`: `paths`' endpoints, lower case) (reachable, unknown, one-way, none), or
    None when they share none (a site without prefixes is no endpoint: nothing to walk to)."""
    statuses = [
        ctx.paths.pair(a + family, b + family).status
        for family in ("", " (IPv6)")
        if (a + family).lower() in names and (b + family).lower() in names
    ]
    for status in ("reachable", "unknown", "one-way", "none"):
        if status in statuses:
            return status
    return None
