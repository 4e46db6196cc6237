from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation

# ExpressRoute private peering, on-premises to Azure (https://learn.microsoft.com/azure/expressroute/expressroute-routing)
PRIVATE_PEERING_PREFIXES = {"standard": 4000, "local": 4000, "premium": 10000}
WARN_SHARE = 0.8


class CircuitPrefixLimit(Rule):
    """A circuit's private peering receives close to, or more than, its prefix limit.

    ## What it does
    Reads `statePfxRcd` of every recorded `routeTablesSummary` and compares it with the
    circuit SKU's limit: 4,000 IPv4 prefixes (Standard, Local) or 10,000 (Premium); 80 % or more
    is a finding.

    ## Why is this bad?
    Past the limit Microsoft drops the BGP session: every on-premises route over that circuit
    disappears at once.

    ## Example
    Scenario `circuit-prefix-limit`: ER 2's primary session reports 3,900 prefixes (Standard).

    ## Use instead
    Scenario `interop-testbed`: one prefix per session.

    ## Remediation
    Summarize on the customer edge, or move to Premium:
    `az network express-route update -g <rg> -n <circuit> --sku-tier Premium`

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    - https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#expressroute-limits
    """

    id = "LIM001"
    name = "circuit-prefix-limit"
    severity = Severity.WARNING
    summary = "Private peering sessions stay below 80 % of the circuit's prefix limit."
    fixtures = RuleFixtures(triggers=("circuit-prefix-limit",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for table in snapshot.circuit_tables:
            circuit_id = table.peering_id.parent
            circuit = snapshot.circuit(circuit_id) if circuit_id else None
            if circuit is None:
                continue
            limit = PRIVATE_PEERING_PREFIXES.get((circuit.sku_tier or "standard").lower(), 4000)
            for row in table.summary:
                if row.established and int(row.state_pfx_rcd or 0) >= WARN_SHARE * limit:
                    count = int(row.state_pfx_rcd or 0)
                    over = "over" if count >= limit else "near"
                    yield Violation(
                        message=f"circuit {circuit.id.name} {table.device_path}: {count} prefixes received from {row.neighbor}, "
                        f"{over} the {circuit.sku_tier} limit of {limit}",
                        resources=(circuit.id,),
                        evidence={"devicePath": table.device_path, "received": count, "limit": limit},
                        key=table.device_path,
                    )
