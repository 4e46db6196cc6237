"""Rule metadata lint and each rule's trigger/clean fixtures (cfn-lint/ruff style)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import rules as pack
from auditor.engine import DOC_HEADINGS, RULE_ID, Rule, load_rules
from auditor.findings import Severity
from tests.conftest import FIXTURES, audit

RULES = load_rules([pack])
FAMILIES = {"TRN", "PRF", "ASY", "BGP", "GWS", "ERC", "LIM", "UDR", "COV", "DRF", "INT", "CFG"}


def test_every_rule_module_is_listed() -> None:
    modules = {m.name for m in pkgutil.iter_modules(pack.__path__) if not m.name.startswith("_")}
    listed = {inspect.getmodule(r).__name__.split(".")[-1] for r in pack.RULES}  # type: ignore[union-attr]
    assert modules == listed


def test_ids_unique_and_well_formed() -> None:
    ids = [r.id for r in pack.RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert RULE_ID.match(rule.id)
        assert rule.id[:3] in FAMILIES


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_metadata(rule: type[Rule]) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    module = inspect.getmodule(rule).__name__.split(".")[-1]  # type: ignore[union-attr]
    assert module == f"{rule.id.lower()}_{rule.name.replace('-', '_')}"
    assert rule.__name__.lower() == rule.name.replace("-", "")
    assert isinstance(rule.severity, Severity)
    assert rule.summary.endswith(".") and len(rule.summary) < 100
    docs = rule.docs()
    positions = [docs.find(h) for h in DOC_HEADINGS]
    assert all(p > 0 for p in positions), f"missing headings in {rule.id}"
    assert positions == sorted(positions), f"headings out of order in {rule.id}"
    remediation = docs.split("## Remediation", 1)[1].split("##", 1)[0]
    assert "`" in remediation
    refs = rule.references()
    assert refs and all(r.startswith("https://") for r in refs)
    assert rule.fixtures.triggers and rule.fixtures.passes
    for name in (*rule.fixtures.triggers, *rule.fixtures.passes):
        assert (FIXTURES / name / "fixture.json").is_file(), name
        assert f"`{name}`" in docs or name == "interop-testbed"


@pytest.mark.parametrize(
    ("rule", "fixture"),
    [(r, f) for r in RULES for f in r.fixtures.triggers],
    ids=lambda x: getattr(x, "id", x),
)
def test_fires_on_its_trigger(rule: type[Rule], fixture: str) -> None:
    assert rule.id in {f.rule for f in audit(fixture).findings}


@pytest.mark.parametrize(
    ("rule", "fixture"), [(r, f) for r in RULES for f in r.fixtures.passes], ids=lambda x: getattr(x, "id", x)
)
def test_silent_on_its_clean_fixture(rule: type[Rule], fixture: str) -> None:
    assert rule.id not in {f.rule for f in audit(fixture).findings}


def _names(fixture: str, rule: str) -> list[list[str]]:
    return [[r.name for r in f.resources] for f in audit(fixture).findings if f.rule == rule]


def test_findings_name_the_right_resources() -> None:
    assert _names("hub-spoke-transit-not-allowed", "TRN001") == [["spoke-to-hub", "hub-to-spoke"]]
    assert _names("hub-spoke-transit-unused", "TRN002") == [["spoke-to-hub", "hub-to-spoke"]]
    assert _names("hub-spoke-no-hub-gateway", "TRN003") == [["spoke-to-hub", "hub-vnet"]]
    assert _names("er-vpn-vpn-more-specific", "PRF001") == [
        ["hub-vnet", "hub-vpn-gw-to-dc", "dc-lng", "hub-er-gw-to-dc-circuit", "dc-circuit"]
    ]
    assert _names("er-vpn-site-prefers-vpn", "ASY001") == [
        ["hub-vnet", "hub-er-gw-to-dc-circuit", "hub-vpn-gw-to-dc"]
    ]
    assert _names("er-vpn-vpn-more-specific", "ASY001") == [
        ["hub-vnet", "hub-vpn-gw-to-dc", "hub-er-gw-to-dc-circuit"]
    ]
    assert _names("er-vpn-preference-undeclared", "ASY003") == [
        ["hub-vnet", "hub-er-gw-to-dc-circuit", "hub-vpn-gw-to-dc"]
    ]


def test_evidence_carries_the_prefixes() -> None:
    (prf,) = [f for f in audit("er-vpn-vpn-more-specific").findings if f.rule == "PRF001"]
    ((vpn,),) = [prf.evidence["vpnPrefixes"]]
    assert vpn["prefix"] == "10.2.1.0/24" and prf.evidence["vpnPrefixCount"] == 1
    assert [e["prefix"] for e in vpn["expressRoutePrefixes"]] == ["10.2.0.0/16"]
    assert "10.2.1.0/24" in prf.message and "10.2.0.0/16" in prf.message
    (asy,) = [f for f in audit("er-vpn-vpn-more-specific").findings if f.rule == "ASY001"]
    assert asy.evidence["siteToAzure"] == "ExpressRoute"
    assert {(c["prefix"], c["link"]) for c in asy.evidence["azureToSite"]} == {
        ("10.2.0.0/16", "ExpressRoute"),
        ("10.2.1.0/24", "Vpn"),
    }


def test_rule_modules_import_no_sdk() -> None:
    for info in pkgutil.iter_modules(pack.__path__):
        source = inspect.getsource(importlib.import_module(f"rules.{info.name}"))
        assert "azure.mgmt" not in source and "azure.identity" not in source


def test_drift_findings_are_exactly_the_edited_observations() -> None:
    findings = [f for f in audit("interop-testbed-drift").findings if f.rule.startswith("DRF")]
    got = sorted(
        (f.rule, f.evidence["vantage"], r["prefix"], r["nextHopType"])
        for f in findings
        for r in f.evidence["routes"]
    )
    assert all(f.evidence["routeCount"] == 1 for f in findings)
    assert got == [
        ("DRF001", "spoke-vm-nic (spoke-vnet/default)", "10.1.31.0/25", "VirtualNetworkGateway"),
        ("DRF002", "hub-vm-nic (hub-vnet/default)", "10.99.0.0/16", "VirtualNetworkGateway"),
    ]
    assert all(f.evidence["file"].startswith("operations/effectiveRouteTable/") for f in findings)


def test_firewall_bypass_evidence() -> None:
    (finding,) = audit("hub-firewall-bypass").findings
    assert finding.rule == "ASY002"
    assert finding.evidence["forwardAppliances"] == [] and finding.evidence["returnAppliances"] == [
        "10.0.3.4"
    ]
    assert [r.name for r in finding.resources] == ["spoke-vnet", "spoke-via-firewall"]
    assert finding.evidence["sites"] == ["datacenter"] and finding.evidence["siteCount"] == 1


def test_catalogue_size_and_families() -> None:
    assert len(RULES) >= 36
    families = {r.id[:3] for r in RULES}
    assert {"TRN", "PRF", "BGP", "GWS", "ERC", "LIM", "UDR", "COV"} <= families
