from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import CRASH_RULE, Rule, RuleFixtures, load_rules, run, select_rules
from auditor.findings import CoverageGap, Severity, Violation, fingerprint
from auditor.fixture import load_fixture
from auditor.ids import ArmId
from auditor.model import Snapshot
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

    def check(self, snapshot: Snapshot) -> Iterator[Violation | CoverageGap]:
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
