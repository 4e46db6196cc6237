from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class ReferencedResourceNotCollected(Rule):
    """A resource the snapshot refers to was not collected.

    ## What it does
    Reports every reference to a resource outside the snapshot: a peering's remote VNet, a
    connection's gateway, local network gateway or circuit, a subnet's route table.

    ## Why is this bad?
    Checks that need the other end (gateway transit, preference, paths, asymmetry) cannot be
    evaluated for it, so the audit is partial exactly where the network crosses a boundary.

    ## Example
    Scenario `partial-snapshot`: the testbed without its ExpressRoute resource group.

    ## Use instead
    Scenario `interop-testbed`: everything referenced is in the snapshot.

    ## Remediation
    Collect the other subscription or resource group too:
    `azroute collect --subscription <id> --subscription <other-id> --out <dir>`.

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/role-assignments-list-portal
    """

    id = "COV002"
    name = "referenced-resource-not-collected"
    severity = Severity.INFO
    summary = "Every resource the snapshot refers to is in the snapshot."
    fixtures = RuleFixtures(triggers=("partial-snapshot",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for ref in snapshot.external_references:
            yield Violation(
                message=f"{ref.from_id.name} refers to {ref.target_id.name} ({ref.field}), which is not in the snapshot",
                resources=(ref.from_id, ref.target_id),
                evidence={"field": ref.field, "target": str(ref.target_id)},
                key=ref.field,
            )
