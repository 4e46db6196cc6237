from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import CRASH_RULE, load_rules, run, select_rules
from auditor.findings import fingerprint
from auditor.fixture import load_fixture
from auditor.ids import ArmId
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from tests.conftest import FIXTURES, audit


class Boom(Rule):
    """Crashes.

    ## What it does
    ## Why is this bad?
    ## Example
    ## Use instead
    ## Remediation
    ## References
    """

    id = "TST001"
    name = "boom"
    severity = Severity.INFO
    summary = "Crashes."
    fixtures = RuleFixtures(triggers=(), passes=())

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        yield from ()
        raise ZeroDivisionError("division by zero in a rule")


def test_a_crashing_rule_becomes_a_finding_and_a_gap() -> None:
    snapshot = load_fixture(FIXTURES / "hub-spoke-transit-not-allowed")
    result = run(snapshot, [Boom, *load_rules()])
    crash = [f for f in result.findings if f.rule == CRASH_RULE]
    assert len(crash) == 1 and "TST001" in crash[0].message and "ZeroDivisionError" in crash[0].message
    assert crash[0].severity is Severity.ERROR
    assert any(g.kind == "rule-crashed" for g in result.gaps)
    assert "TRN001" in {f.rule for f in result.findings}  # the other rules still ran


def test_fingerprints_are_stable_and_order_independent() -> None:
    first = [f.fingerprint for f in audit("er-vpn-vpn-more-specific").findings]
    second = [f.fingerprint for f in audit("er-vpn-vpn-more-specific").findings]
    assert first == second
    a = ArmId("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/A")
    b = ArmId("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/B")
    assert fingerprint("X", (a, b), "k") == fingerprint(
        "X", (b, ArmId(str(a).upper().replace("/SUBSCRIPTIONS", "/subscriptions"))), "k"
    )
    assert fingerprint("X", (a,), "k") != fingerprint("X", (a,), "other")


def test_findings_are_sorted_by_severity_then_rule() -> None:
    findings = audit("er-vpn-vpn-more-specific").findings
    keys = [(f.severity.rank, f.rule) for f in findings]
    assert keys == sorted(keys)


def test_select_and_ignore_by_id_or_prefix() -> None:
    rules = load_rules()
    trn = {r.id for r in rules if r.id.startswith("TRN")}
    assert {r.id for r in select_rules(rules, ["TRN"])} == trn and len(trn) >= 3
    assert {r.id for r in select_rules(rules, ["trn", "PRF001"], ["TRN002"])} == (trn - {"TRN002"}) | {
        "PRF001"
    }
    families = {r.id[:3] for r in rules}
    assert select_rules(rules, [], sorted(families)) == []


class Optioned(Boom):
    """Reports its own options and the context's shared control plane."""

    id, name = "TST002", "optioned"

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        plane = ctx.control_plane
        assert plane is ctx.control_plane  # computed once
        yield Violation(
            message=f"limit={ctx.options.get('limit')} domains={len(plane.domains)}",
            resources=(),
            evidence={},
            key="x",
        )


def test_rules_get_their_options_and_share_the_routing_of_the_audit() -> None:
    snapshot = load_fixture(FIXTURES / "interop-testbed")
    result = run(snapshot, [Optioned], options={"TST002": {"limit": 7}, "OTHER": {"limit": 1}})
    assert [f.message for f in result.findings] == ["limit=7 domains=3"]
    from auditor.routing.shared import control_plane

    assert control_plane(snapshot) is RuleContext(snapshot).control_plane
