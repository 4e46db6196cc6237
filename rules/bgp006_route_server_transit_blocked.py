from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    AZURE_ASN,
    NO_BRANCH_TO_BRANCH,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import withheld_findings


class RouteServerTransitBlocked(Rule):
    """Route Server branch-to-branch is on, but the VPN gateway cannot exchange routes through it.

    ## What it does
    Flags a VNet with a Route Server that allows branch-to-branch traffic whose VPN gateway
    does not meet the conditions for ExpressRoute/VPN transit: ASN 65515 and active-active mode.

    ## Why is this bad?
    The operator expects sites on ExpressRoute and on VPN to reach each other through the hub;
    they do not, and nothing in the portal says why.

    ## Example
    Scenario `route-server-not-active-active`: branch-to-branch on, VPN gateway active-standby.

    ## Use instead
    Scenario `interop-testbed-route-server`: active-active, ASN 65515.

    ## Remediation
    `az network vnet-gateway update -g <rg> -n <vpn-gw> --asn 65515` and enable active-active
    (then reset the gateway).

    ## References
    - https://learn.microsoft.com/azure/route-server/expressroute-vpn-support
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-coexist-resource-manager
    """

    id = "BGP006"
    name = "route-server-transit-blocked"
    severity = Severity.ERROR
    summary = "A Route Server with branch-to-branch has a VPN gateway that can use it."
    fixtures = RuleFixtures(
        triggers=("route-server-not-active-active",), passes=("interop-testbed-route-server",)
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, NO_BRANCH_TO_BRANCH, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            servers = [rs for rs in snapshot.route_servers_of(vnet.id) if rs.allow_branch_to_branch_traffic]
            for gw in snapshot.gateways_of(vnet.id):
                if not gw.is_vpn or not servers:
                    continue
                problems = []
                if gw.asn != AZURE_ASN:
                    problems.append(f"ASN {gw.asn} (must be 65515)")
                if not gw.active_active:
                    problems.append("not active-active")
                if problems:
                    yield Violation(
                        message=f"Route Server {servers[0].id.name} allows branch-to-branch, but VPN gateway {gw.id.name} is "
                        + " and ".join(problems)
                        + ": ExpressRoute and VPN routes are not exchanged",
                        resources=(servers[0].id, gw.id),
                        evidence={"asn": gw.asn, "activeActive": gw.active_active},
                    )
