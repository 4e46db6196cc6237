from __future__ import annotations

from collections.abc import Iterable

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class SuppressionUnused(Rule):
    """A suppression in the configuration matches no finding of this audit.

    ## What it does
    After the other rules have run, checks every `[[suppressions]]` entry that has not expired: a
    suppression matches a finding when its `rule` is the finding's rule id (or a prefix of it) and
    its `resource`, an ARM id or a case-insensitive glob (`*` within one id segment, `**` across
    segments), matches one of the finding's resources. One that matches nothing is reported here.
    The engine evaluates it after the other rules, since it needs their findings (`check` yields
    nothing).

    ## Why is this bad?
    An unused suppression is either stale (the problem was fixed, or the resource renamed) or
    mistyped (it never suppressed what it was written for, so the finding fails the pipeline and
    somebody suppresses it again elsewhere). Stale suppressions pile up and later hide a new
    problem on a resource that happens to match.

    ## Example
    Scenario `suppression-unused`: a suppression for TRN001 on a peering of `hub-vnet`, in a
    snapshot where TRN001 does not fire. In scenario `suppression-active` the suppression
    matches er-1's ERC002 finding, and this rule stays silent.

    ## Use instead
    Keep only suppressions that match a current finding; write the resource as the full ARM id
    the finding names (`azroute audit --format json` lists them) or a glob of it.

    ## Remediation
    Delete the `[[suppressions]]` entry named in the finding, or correct its `rule` or `resource`
    so that it matches the finding it was meant for.

    ## References
    - https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules
    """

    id = "CFG002"
    name = "suppression-unused"
    severity = Severity.INFO
    summary = "A suppression matches no finding: it is stale or mistyped."
    fixtures = RuleFixtures(triggers=("suppression-unused",), passes=("suppression-active",))

    def check(self, ctx: RuleContext) -> Iterable[Violation | CoverageGap]:
        return ()  # evaluated by the engine after the other rules (auditor.triage)
