"""A finding that only follows from a gap is not raised (issue 23, item 4): it is folded into the gap.

The test is the favourable resolution: a finding that disappears when what the gap hides is as the
rest of the snapshot shows it. Here the resolution is known: the gap hides a resource group of the
testbed, so the testbed itself is the favourable resolution. Every finding of the partial audit that
the whole testbed does not raise must be folded into the gap; every finding the partial audit
raises must be one the testbed raises too (the gap's own COV003 aside).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import auditor.engine as engine
from auditor.engine import AuditResult, load_rules, run
from auditor.fixture import load_fixture
from tests.cli import azroute
from tests.conftest import FIXTURES

TESTBED = FIXTURES / "interop-testbed"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
NET = "providers/Microsoft.Network"


def _hidden(group: str) -> list[str]:
    found = []
    for file in sorted((TESTBED / "arm").glob("*.json")):
        found += [
            r["id"]
            for r in json.loads(file.read_text())["value"]
            if f"/resourcegroups/{group}/" in r["id"].lower()
        ]
    return found


def _forbidden(root: Path, group: str, operations: tuple[str, ...], **extra: Any) -> Path:
    """The testbed as a collection that could not list `group` (403) would record it."""
    root.mkdir(parents=True)
    gaps = [
        {"scope": f"{SUB}/resourceGroups/{group}", "operation": op, "status": 403, "code": "AuthorizationFailed",
         "message": f"The client does not have authorization over resource group '{group}'."}
        for op in operations
    ]  # fmt: skip
    manifest = {"format": "azroute-overlay/1", "base": str(TESTBED), "name": root.name, "observations": "keep",
                "removeResources": _hidden(group), "gaps": gaps, **extra}  # fmt: skip
    (root / "fixture.json").write_text(json.dumps(manifest, indent=2))
    return root


def _audit(root: Path) -> AuditResult:
    return run(load_fixture(root), load_rules())


LISTS = ("list connections", "list virtualNetworkGateways", "list virtualNetworks", "list networkInterfaces")


@pytest.mark.parametrize("operations", [LISTS, LISTS[1:]], ids=["every-list", "connections-listed"])
def test_what_the_favourable_resolution_removes_is_folded_into_the_gap(
    tmp_path: Path, operations: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _audit(TESTBED)
    partial = _audit(_forbidden(tmp_path / "partial", "rg-branch", operations))
    (gap,) = [g for g in partial.gaps if g.resource.lower().endswith("/resourcegroups/rg-branch")]
    assert gap.kind == "collection-failed"
    # one cause, one gap: the reference into the group is named there, not a gap of its own
    assert "referenced there: branch-vpn-gw (from hub-vpn-gw-to-branch)" in gap.detail
    assert not [g for g in partial.gaps if g.kind == "external-reference"]
    raised = {(f.rule, f.fingerprint) for f in partial.findings}
    known = {(f.rule, f.fingerprint) for f in whole.findings}
    assert {r for r, _ in raised - known} == {"COV003"}, raised - known  # the gap's own finding only
    # what the rules themselves raise, without the folding
    monkeypatch.setattr(engine, "fold_gap_findings", lambda snapshot, findings, gaps: (findings, gaps))
    unfolded = _audit(tmp_path / "partial").findings
    gone = [f for f in unfolded if (f.rule, f.fingerprint) not in known and f.rule != "COV003"]
    assert {f.rule for f in gone} == {"COV002", "DRF002"} and len(gone) == 5
    said = ", ".join(f"{rule} x{sum(f.rule == rule for f in gone)}" for rule in ("COV002", "DRF002"))
    assert gap.detail.endswith(f"findings that only follow from this gap, not raised: {said}")
    assert {"COV002", "DRF002"} <= set(gap.rules)


def test_drift_the_gap_cannot_explain_is_still_raised(tmp_path: Path) -> None:
    """A route through a peering no hidden link can bring: DRF002 stays, beside the gap."""
    root = _forbidden(tmp_path / "partial", "rg-branch", LISTS)
    record = TESTBED / "operations" / "effectiveRouteTable" / "spoke-vm-nic.json"
    doc = json.loads(record.read_text())
    doc["body"]["value"].append(
        {"source": "Default", "state": "Active", "addressPrefix": ["10.77.0.0/16"], "nextHopType": "VNetPeering",
         "nextHopIpAddress": []}
    )  # fmt: skip
    (root / "operations" / "effectiveRouteTable").mkdir(parents=True)
    (root / "operations" / "effectiveRouteTable" / "spoke-vm-nic.json").write_text(json.dumps(doc))
    manifest = json.loads((root / "fixture.json").read_text())
    manifest["removeObservations"] = ["operations/effectiveRouteTable/spoke-vm-nic.json"]
    (root / "fixture.json").write_text(json.dumps(manifest))
    result = _audit(root)
    drift = [f for f in result.findings if f.rule == "DRF002"]
    assert len(drift) == 1 and "10.77.0.0/16" in drift[0].message and "spoke-vm-nic" in drift[0].message
    outcome = azroute("audit", str(root), "--format", "json")
    assert outcome.exit_code == 3 and [f["rule"] for f in outcome.json()["findings"]].count("DRF002") == 1
