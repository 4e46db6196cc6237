from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._drift import drift


class PredictedRouteNotObserved(Rule):
    """A route the configuration predicts is missing from what Azure reports.

    ## What it does
    Computes, from the configuration (and the sites' declarations), the routes each observed
    vantage point should hold: a NIC's effective routes, a gateway's learned and advertised
    routes, a circuit's route table per device path. It reports every predicted route that the
    recorded observation does not show.

    A site's per-link policy (`sites[].links`) is part of the prediction. When a circuit's route
    table shows the site's ASN repeated more often than predicted (AS-path prepending the
    declaration does not mention), the finding's evidence `explainedBy` names the `links` entry
    (site, circuit, `asPathPrepend`) that would make the two agree. A site that declares no links
    gets them inferred from the observations, so prepending alone is never drift.

    ## Why is this bad?
    The network does not do what its configuration says: a BGP session is down, a prefix is
    filtered or over a limit, a peering is out of sync, or the snapshot is stale. Either way,
    every conclusion drawn from configuration alone is wrong for that vantage point until the
    difference is explained.

    ## Example
    Scenario `interop-testbed-drift`: the spoke VM's effective routes lack `10.1.31.0/25`
    (Location 2 over ExpressRoute 2), which the hub's gateway transit predicts.

    ## Use instead
    Scenario `interop-testbed`: every observation matches the prediction.

    ## Remediation
    Check the BGP sessions and the effective routes of the vantage point, for example
    `az network nic show-effective-route-table -g <rg> -n <nic>` and
    `az network vnet-gateway list-learned-routes -g <rg> -n <gateway>`; then fix the session or
    the configuration, or record a fresh snapshot.

    ## Known problems
    Route Server, NVA-originated and Virtual WAN routes are not predicted. Next hop addresses
    are not compared, only prefixes with next hop type, origin or AS path.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    - https://learn.microsoft.com/azure/expressroute/expressroute-troubleshooting-expressroute-overview
    - https://learn.microsoft.com/azure/vpn-gateway/bgp-diagnostics
    """

    id = "DRF001"
    name = "predicted-route-not-observed"
    severity = Severity.WARNING
    summary = "Every route predicted from the configuration appears in the observations."
    reads = "observations"
    fixtures = RuleFixtures(triggers=("interop-testbed-drift",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        yield from drift(ctx, self.id, "missing")
