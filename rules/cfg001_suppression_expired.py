from __future__ import annotations

from collections.abc import Iterable

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class SuppressionExpired(Rule):
    """A suppression in the configuration has passed its `expires` date and no longer suppresses.

    ## What it does
    Checks every `[[suppressions]]` entry of the configuration (`.azroute.toml`, `[tool.azroute]`
    in `pyproject.toml`, or `--config FILE`) that has an `expires` date. Once that date has passed
    (the suppression is valid through the `expires` day itself), the suppression stops hiding its
    findings: they count for `--fail-on` again, and this finding says which suppression expired,
    where it is written and why it was made. The engine evaluates it after the other rules, since
    it reads the configuration rather than the snapshot (`check` yields nothing).

    ## Why is this bad?
    A suppression is a promise that a known problem will be fixed ("the hub moves to Virtual WAN,
    change NET-123"). An expiry date keeps the promise honest; when it passes, either the fix is
    late or the suppression should have been removed. Either way someone has to look again.

    ## Example
    Scenario `suppression-expired`: the ERC002 finding of the interop testbed is suppressed until
    2020-01-31:
    ```toml
    [[suppressions]]
    rule = "ERC002"
    resource = "/subscriptions/*/resourceGroups/rg-expressroute/providers/Microsoft.Network/expressRouteCircuits/er-1/**"
    reason = "secondary link of er-1 restored by the provider, ticket 4711"
    expires = 2020-01-31
    ```

    Scenario `suppression-active` is the same suppression dated 2999-12-31: it suppresses, and
    this rule stays silent.

    ## Use instead
    Fix the finding and delete the suppression, or, if the exception still holds, give it a new
    `expires` date and an updated `reason`.

    ## Remediation
    Edit the configuration file named in the finding: remove the `[[suppressions]]` entry, or set
    a new `expires = YYYY-MM-DD`. `azroute audit --format json` shows each suppressed finding with
    its `suppression` (`reason`, `expires`, `source`).

    ## References
    - https://learn.microsoft.com/en-us/azure/governance/policy/concepts/exemption-structure
    """

    id = "CFG001"
    name = "suppression-expired"
    severity = Severity.INFO
    summary = "A suppression passed its expiry date and no longer suppresses its findings."
    fixtures = RuleFixtures(triggers=("suppression-expired",), passes=("suppression-active",))

    def check(self, ctx: RuleContext) -> Iterable[Violation | CoverageGap]:
        return ()  # evaluated by the engine after the other rules (auditor.triage)
