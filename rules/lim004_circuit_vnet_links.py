from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation

# VNet links per circuit (https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#expressroute-limits)
STANDARD_LINKS = 10
PREMIUM_LINKS = {50: 20, 100: 25, 200: 25, 500: 40, 1000: 50, 2000: 60, 5000: 75, 10000: 100}


class CircuitVnetLinks(Rule):
    """More VNets are linked to a circuit than its SKU allows.

    ## What it does
    Counts the ExpressRoute connections to each circuit and compares them with the circuit's
    limit: 10 for Standard and Local, 20 to 100 for Premium depending on bandwidth.

    ## Why is this bad?
    New links fail, and an estate that grew past the limit by other means (Global Reach links
    count too) is one change away from an outage.

    ## Example
    Scenario `circuit-too-many-links`: eleven VNets linked to a Standard circuit.

    ## Use instead
    Scenario `interop-testbed`: two links on ER 1.

    ## Remediation
    Use a second circuit or Premium: `az network express-route update -g <rg> -n <circuit> --sku-tier Premium`.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#expressroute-limits
    """

    id = "LIM004"
    name = "circuit-vnet-links"
    severity = Severity.ERROR
    summary = "Circuits carry no more VNet links than their SKU allows."
    fixtures = RuleFixtures(triggers=("circuit-too-many-links",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        links = Counter(
            c.peer_id for c in snapshot.connections if c.is_expressroute and c.peer_id is not None
        )
        links.update(
            gr.peering_id.parent for gr in snapshot.circuit_connections if gr.peering_id.parent is not None
        )
        for circuit_id, count in sorted(links.items(), key=lambda kv: kv[0].key):
            circuit = snapshot.circuit(circuit_id)
            if circuit is None:
                continue
            if (circuit.sku_tier or "").lower() == "premium":
                limit = next(
                    (v for bw, v in sorted(PREMIUM_LINKS.items()) if (circuit.bandwidth_mbps or 0) <= bw), 100
                )
            else:
                limit = STANDARD_LINKS
            if count > limit:
                yield Violation(
                    message=f"circuit {circuit.id.name} has {count} VNet links, over the {circuit.sku_tier} limit of {limit}",
                    resources=(circuit.id,),
                    evidence={"links": count, "limit": limit},
                )
