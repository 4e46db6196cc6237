from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation

# Which rules need each kind of observation.
DEPENDENTS = {
    "effectiveRouteTable": ("DRF001", "DRF002", "UDR002"),
    "getLearnedRoutes": ("DRF001", "DRF002", "PRF001"),
    "getAdvertisedRoutes": ("DRF001", "DRF002"),
    "getBgpPeerStatus": ("BGP005", "LIM003"),
    "routeTables": ("DRF001", "DRF002", "PRF001"),
    "routeTablesSummary": ("ERC002", "LIM001"),
    "arpTables": (),
}


class ObservationFailed(Rule):
    """An observation could not be made, so the rules that need it could not be evaluated.

    ## What it does
    Reports every recorded observation with a non-200 status (a deallocated VM's NIC, a
    forbidden gateway, a timed-out operation) and names the rules that had nothing to check.

    ## Why is this bad?
    Silence is not health: without the observation, drift, BGP session and link-redundancy
    checks say nothing about that resource.

    ## Example
    Scenario `observation-failed`: the remote VM's effective routes failed (VM deallocated).

    ## Use instead
    Scenario `interop-testbed`: every observation succeeded.

    ## Remediation
    Start the VM or grant the missing `/action` permission (see docs/live.md), then collect again:
    `azroute collect --subscription <id> --out <dir>`.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/diagnose-network-routing-problem
    """

    id = "COV001"
    name = "observation-failed"
    severity = Severity.WARNING
    summary = "Every observation of the snapshot succeeded."
    fixtures = RuleFixtures(triggers=("observation-failed",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for gap in snapshot.observation_gaps:
            rules = DEPENDENTS.get(gap.operation.value, ())
            params = " ".join(f"{k}={v}" for k, v in sorted(gap.parameters.items()))
            yield Violation(
                message=f"{gap.operation.value} of {gap.resource_id.name} {params}".rstrip()
                + f" failed ({gap.status} {gap.code or ''}): not evaluated there: {', '.join(rules) or 'nothing else'}",
                resources=(gap.resource_id,),
                evidence={
                    "operation": gap.operation.value,
                    "status": gap.status,
                    "code": gap.code,
                    "message": gap.message,
                    "rulesNotEvaluated": list(rules),
                },
                key=f"{gap.operation.value}|{params}",
            )
