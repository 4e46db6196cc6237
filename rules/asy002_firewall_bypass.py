from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


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

    ## Known problems
    Paths are computed per first prefix of each site and first workload subnet of each VNet;
    subnets with their own route tables are checked through their VNet's first workload subnet.

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

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        plane = ctx.control_plane
        finder = ctx.paths
        sites = [s for s in plane.sites if any(p.version == 4 for p in s.prefixes)]
        for endpoint in finder.networks():
            vnet = finder.network(endpoint).vnet
            if vnet is None or endpoint.endswith(" (IPv6)"):
                continue
            for site in sites:
                pair = finder.pair(endpoint, site.name)
                if not pair.reachable:
                    continue
                there, back = pair.forward.appliances(), pair.back.appliances()
                if there == back:
                    continue
                routes = sorted(
                    {h.id for h in (*pair.forward.hops, *pair.back.hops) if h.kind == "appliance" and h.id},
                    key=str.lower,
                )
                fw = ", ".join(sorted(there)) or "no appliance"
                rv = ", ".join(sorted(back)) or "no appliance"
                yield Violation(
                    message=f"traffic from {endpoint} to site {site.name} passes {fw}, but the return "
                    f"traffic passes {rv}: a stateful firewall sees only one direction",
                    resources=(vnet.id, *(ArmId(r) for r in routes)),
                    evidence={
                        "vnet": str(vnet.id),
                        "site": site.name,
                        "destination": str(site.prefixes[0]),
                        "forwardAppliances": sorted(there),
                        "returnAppliances": sorted(back),
                        "forward": [h.as_dict() for h in pair.forward.hops],
                        "return": [h.as_dict() for h in pair.back.hops],
                    },
                    key=site.name if endpoint == vnet.display_name else f"{endpoint}|{site.name}",
                )
