from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from auditor.ids import ArmId
from auditor.rule_api import EVIDENCE_CAP, CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class FirewallBypass(Rule):
    """Traffic between a VNet and an on-premises site passes a network appliance in one direction only.

    ## What it does
    Walks the data-plane path from every VNet to every on-premises site and back, from the
    computed control plane, and flags the pairs where the two directions pass through different
    network virtual appliances or firewalls (user-defined routes with next hop
    `VirtualAppliance`), or where only one direction passes one.

    ## Why is this bad?
    A stateful firewall that sees only one half of a flow drops it, or, worse, lets it through
    uninspected in the other direction. The classic case: the GatewaySubnet's route table sends
    spoke-bound traffic through the hub firewall, and the spoke has a `0.0.0.0/0` route to the
    firewall, but gateway route propagation is enabled on the spoke's route table, so the more
    specific on-premises BGP routes win over `0.0.0.0/0` and the spoke reaches on-premises directly.

    ## Example
    Scenario `hub-firewall-bypass`: `spoke-rt` has `0.0.0.0/0 -> 10.0.3.4` with propagation
    enabled; `gateway-rt` on the GatewaySubnet has `10.1.0.0/16 -> 10.0.3.4`.

    ## Use instead
    Scenario `hub-firewall-mirrored`: `spoke-rt` disables gateway route propagation, so both
    directions pass the firewall.

    ## Remediation
    Disable gateway route propagation on the spoke's route table
    (`az network route-table update -g <rg> -n <spoke-rt> --disable-bgp-route-propagation true`)
    or add UDRs for the on-premises prefixes towards the appliance; keep the GatewaySubnet's routes
    and the spokes' routes mirror images of each other.

    One finding per VNet endpoint (a VNet, or `vnet/subnet` when its subnets route differently),
    listing the sites affected (at most 100, and their count). Endpoints that share a routing
    signature (same gateway domain, route table routes and propagation, peerings, and the same
    way back through the hub) are walked once and stand for each other; the option
    `signatures = false` walks every endpoint (slower, for verification).

    ## Known problems
    Paths are computed towards the first prefix of each site.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    - https://learn.microsoft.com/azure/firewall/forced-tunneling
    - https://learn.microsoft.com/azure/architecture/networking/architecture/hub-spoke
    """

    id = "ASY002"
    name = "firewall-bypass"
    severity = Severity.ERROR
    summary = "Traffic to and from on-premises passes the same appliances in both directions."
    fixtures = RuleFixtures(
        triggers=("hub-firewall-bypass",), passes=("hub-firewall-mirrored", "interop-testbed")
    )
    scope = "endpoint"
    options: ClassVar[Mapping[str, type]] = {"signatures": bool}

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        plane = ctx.control_plane
        finder = ctx.paths
        signatures = bool(ctx.options.get("signatures", True))
        sites = [s for s in plane.sites if any(p.version == 4 for p in s.prefixes)]
        by_signature: dict[object, list[tuple[str, frozenset[str], frozenset[str]]]] = {}
        for endpoint in finder.networks():
            vnet = finder.network(endpoint).vnet
            if vnet is None or endpoint.endswith(" (IPv6)") or not ctx.evaluates(endpoint):
                continue
            group = finder.site_signature(endpoint) if signatures else endpoint
            if group not in by_signature:  # every site once per signature (per endpoint without them)
                by_signature[group] = []
                # a site without a route towards the endpoint cannot answer it: not reachable
                towards = plane.sites_towards(finder.network(endpoint).address)
                for site in sites:
                    if site.name not in towards:
                        continue
                    pair = finder.reachable_pair(endpoint, site.name)
                    if pair is None:
                        continue
                    there, back = pair.forward.appliances(), pair.back.appliances()
                    if there != back:
                        by_signature[group].append((site.name, there, back))
            affected = by_signature[group]
            if not affected:
                continue
            first = affected[0]
            # the user-defined routes involved, from this endpoint's own walk to the first site
            # (a signature's representative would name its own routes)
            own = finder.pair(endpoint, first[0])
            routes = sorted(
                {h.id for h in (*own.forward.hops, *own.back.hops) if h.kind == "appliance" and h.id},
                key=str.lower,
            )
            fw = ", ".join(sorted(first[1])) or "no appliance"
            rv = ", ".join(sorted(first[2])) or "no appliance"
            names = [a[0] for a in affected]
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            yield Violation(
                message=f"traffic from {endpoint} to {len(names)} site{'s' if len(names) != 1 else ''} ({shown}) "
                f"passes {fw}, but the return traffic passes {rv}: a stateful firewall sees only one direction",
                resources=(vnet.id, *(ArmId(r) for r in routes)),
                evidence={
                    "vnet": str(vnet.id),
                    "endpoint": endpoint,
                    "sites": names[:EVIDENCE_CAP],
                    "siteCount": len(names),
                    "forwardAppliances": sorted(first[1]),
                    "returnAppliances": sorted(first[2]),
                },
                key=endpoint,
            )
