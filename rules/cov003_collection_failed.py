from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    CoverageGap,
    FailedCollection,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    failed_collections,
)


class CollectionFailed(Rule):
    """Part of the estate could not be read when the snapshot was collected.

    ## What it does
    Reports every gap the collector recorded in `fixture.json` (a 403 on a resource group, a
    list that failed after retries).

    ## Why is this bad?
    Resources that were never read are neither checked nor reported: an audit that looks clean
    may simply not have seen the problem.

    ## Example
    Scenario `collection-forbidden`: the branch resource group answered 403.

    ## Use instead
    Scenario `interop-testbed`: nothing missing.

    ## Remediation
    Grant the collector's identity the role in docs/live.md on the missing scope:
    `az role assignment create --role "Azure Route Auditor (read-only)" --assignee <id> --scope <scope>`.

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/troubleshooting
    """

    id = "COV003"
    name = "collection-failed"
    severity = Severity.WARNING
    summary = "The collector could read everything in scope."
    fixtures = RuleFixtures(triggers=("collection-forbidden",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        # one per scope and failure, naming what it hid; an observation the collector could not
        # take stands alone (what a planned change leaves unknown is a coverage gap of its own kind)
        observations = [
            FailedCollection(g.scope, (g.operation,), g.status, g.code, g.message)
            for g in snapshot.collection_gaps
            if g.operation.startswith("observation ")
        ]
        for failed in [*failed_collections(snapshot), *observations]:
            one = len(failed.operations) == 1
            yield Violation(
                message=f"{failed.what} in {failed.scope.rsplit('/', 1)[-1]} failed "
                f"({failed.status or ''} {failed.code or ''}): nothing there was checked",
                resources=(),
                evidence={
                    "scope": failed.scope,
                    "operation": failed.operations[0] if one else list(failed.operations),
                    "status": failed.status,
                    "code": failed.code,
                },
                key=f"{failed.scope.lower()}|{failed.operations[0]}"
                if one
                else f"{failed.scope.lower()}|{failed.status}|{failed.code}",
            )
