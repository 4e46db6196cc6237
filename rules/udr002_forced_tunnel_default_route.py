from __future__ import annotations

from collections.abc import Iterator

from auditor.model import parse_prefix
from auditor.rule_api import (
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    snapshot_relative,
)


class ForcedTunnelDefaultRoute(Rule):
    """A default route learned from on-premises sends the VNets' Internet traffic on-premises.

    ## What it does
    Reports gateway domains whose gateways learn `0.0.0.0/0` (from a site's prefixes, a local
    network gateway's address space, or observed learned routes) and NICs whose observed
    effective routes hold a default route from the virtual network gateway.

    ## Why is this bad?
    It may be intended (forced tunnelling), but it changes every VM's Internet path, breaks
    Windows activation and direct inbound Internet access, and if the route is withdrawn the
    Azure Internet route silently comes back.

    ## Example
    Scenario `forced-tunnel`: the data centre advertises `0.0.0.0/0` over ExpressRoute.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: only specific prefixes come from on-premises.

    ## Remediation
    Confirm the intent; if Internet must be blocked when the route disappears, add an NSG rule:
    `az network nsg rule create ... --destination-address-prefixes Internet --access Deny`.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/about-site-to-site-tunneling
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    """

    id = "UDR002"
    name = "forced-tunnel-default-route"
    severity = Severity.INFO
    summary = "No default route is learned from on-premises unless forced tunnelling is intended."
    fixtures = RuleFixtures(triggers=("forced-tunnel",), passes=("er-vpn-equal-prefixes", "interop-testbed"))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        default = parse_prefix("0.0.0.0/0")
        plane = ctx.control_plane
        for hub, rib in plane.domain_rib.items():
            sources = sorted({a.peer for a in rib if a.prefix == default})
            if sources:
                yield Violation(
                    message=f"{hub.name}'s gateways learn 0.0.0.0/0 from {', '.join(sources)}: Internet traffic of its VNets goes on-premises",
                    resources=(hub,),
                    evidence={"learnedFrom": sources},
                    key=str(hub),
                )
        for table in snapshot.effective_routes:
            for route in table.routes:
                if (
                    default in route.address_prefixes
                    and (route.source or "").lower() == "virtualnetworkgateway"
                ):
                    yield Violation(
                        message=f"{table.nic_id.name}: observed default route through the virtual network gateway",
                        resources=(table.nic_id,),
                        evidence={"observation": snapshot_relative(table.file)},
                        key=str(table.nic_id),
                    )
