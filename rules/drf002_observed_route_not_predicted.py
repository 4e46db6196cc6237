from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._drift import drift


class ObservedRouteNotPredicted(Rule):
    """Azure reports a route that the configuration does not explain.

    ## What it does
    Compares each recorded observation (NIC effective routes, gateway learned and advertised
    routes, circuit route tables) with the routes predicted for the same vantage point, and
    reports every observed route that the prediction does not contain.

    A site's per-link policy (`sites[].links`) is part of the prediction. When a circuit's route
    table shows the site's ASN repeated more often than predicted (AS-path prepending the
    declaration does not mention), the finding's evidence `explainedBy` names the `links` entry
    (site, circuit, `asPathPrepend`) that would make the two agree. A site that declares no links
    gets them inferred from the observations, so prepending alone is never drift.

    ## Why is this bad?
    Traffic follows a route nobody declared: an on-premises router advertising more than
    agreed (a more specific prefix, a default route), a Route Server or NVA injecting routes,
    a resource that was not collected, or a stale snapshot. Unexplained routes are how
    traffic silently takes an unintended path.

    ## Example
    Scenario `interop-testbed-drift`: the hub VM's effective routes show `10.99.0.0/16` through
    the virtual network gateway, which no site, circuit or VPN in the configuration announces.

    ## Use instead
    Scenario `interop-testbed`: every observed route is predicted.

    ## Remediation
    Find the route's origin with `az network vnet-gateway list-learned-routes -g <rg> -n <gateway>`
    (its `sourcePeer` and `asPath`), then declare the site's prefixes in the snapshot's `sites`,
    filter the advertisement on the on-premises router, or collect the missing resources.

    ## Known problems
    Routes from Route Server peers (NVAs) and Virtual WAN are reported, since they are not
    modelled yet.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    - https://learn.microsoft.com/azure/vpn-gateway/bgp-diagnostics
    """

    id = "DRF002"
    name = "observed-route-not-predicted"
    severity = Severity.WARNING
    summary = "Every observed route is explained by the configuration."
    reads = "observations"
    fixtures = RuleFixtures(triggers=("interop-testbed-drift",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        yield from drift(ctx, self.id, "unexpected")
