from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

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


def test_a_forbidden_resource_group_is_one_cause(tmp_path: Path) -> None:
    """A collector denied a resource group answers 403 to each list it tries: one gap and one COV003
    finding naming the lists, not one per resource type (issue 23, item 4)."""

    from auditor.engine import load_rules, run
    from auditor.fixture import load_fixture

    scope = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-other"
    types = ["virtualNetworks", "routeTables", "connections", "localNetworkGateways", "networkInterfaces"]
    root = tmp_path / "denied"
    root.mkdir()
    manifest = {
        "format": "azroute-overlay/1", "base": str(FIXTURES / "interop-testbed"), "name": "denied", "observations": "drop",
        "gaps": [{"scope": scope, "operation": f"list {t}", "status": 403, "code": "AuthorizationFailed",
                  "message": "no authorization"} for t in types],
    }  # fmt: skip
    (root / "fixture.json").write_text(json.dumps(manifest))
    result = run(load_fixture(root), load_rules())
    gaps = [g for g in result.gaps if g.kind == "collection-failed"]
    assert len(gaps) == 1 and all(t in gaps[0].detail for t in types) and "5 operations" in gaps[0].detail
    cov003 = [f for f in result.findings if f.rule == "COV003"]
    assert len(cov003) == 1 and "5 operations" in cov003[0].message
