from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation

# Azure to on-premises over one ExpressRoute connection (https://learn.microsoft.com/azure/expressroute/expressroute-faqs)
MAX_ADVERTISED = 1000
MAX_AT_CREATION = 200


class AzurePrefixesToCircuit(Rule):
    """A gateway advertises too many Azure prefixes towards its circuits.

    ## What it does
    Counts the prefixes a gateway domain advertises over ExpressRoute (its VNets' address
    spaces, the spokes' included, or the summarized prefixes): more than 1,000 is an error's
    worth, more than 200 blocks creating new connections.

    ## Why is this bad?
    Over 1,000 IPv4 prefixes the ExpressRoute connection goes down; over 200, a new connection
    to the gateway cannot be created.

    ## Example
    Scenario `many-azure-prefixes`: a hub with 250 spokes' address spaces.

    ## Use instead
    Scenario `interop-testbed`: two prefixes.

    ## Remediation
    Summarize: `az network vnet update -g <rg> -n <hub> --set summarizedGatewayPrefixes.addressPrefixes=[<summaries>]`,
    or allocate spokes from a contiguous block.

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-faqs
    - https://learn.microsoft.com/azure/virtual-network/advertised-gateway-prefixes-overview
    """

    id = "LIM002"
    name = "azure-prefixes-to-circuit"
    severity = Severity.WARNING
    summary = "Gateways advertise at most 200 Azure prefixes over ExpressRoute."
    fixtures = RuleFixtures(triggers=("many-azure-prefixes",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        for domain in ctx.control_plane.domains.values():
            if not domain.er_links:
                continue
            count = len(domain.prefixes)
            if count > MAX_AT_CREATION:
                what = (
                    f"over the {MAX_ADVERTISED} limit: the connection goes down"
                    if count > MAX_ADVERTISED
                    else (f"over {MAX_AT_CREATION}: new connections cannot be created")
                )
                yield Violation(
                    message=f"{domain.name} advertises {count} prefixes over ExpressRoute, {what}",
                    resources=(domain.hub.id, *(c.id for c, _ in domain.er_links)),
                    evidence={"advertised": count, "limit": MAX_ADVERTISED, "creationLimit": MAX_AT_CREATION},
                )
