"""Findings that depend on a gap, narrowly (issue 20, item 2): a new finding or lost pair that
disappears once the prediction's gaps are resolved the favourable way depends on them (exit 3);
everything else stays a regression (exit 1); each gap is listed once, with a stable id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli import azroute
from tests.predict_helpers import DATA, TESTBED


def module_wired_plan(tmp_path: Path) -> Path:
    """A new spoke whose hub-side peering takes its remote id from a module output: Terraform knows
    the id only after apply and the plan's configuration references `module.spoke.vnet_id`."""
    text = (DATA / "new-spoke-azurerm4.tfplan.json").read_text()
    # the spoke's route drops its range (next hop None) instead of naming the virtual network
    # gateway, which is invalid where ExpressRoute and VPN coexist (GWS007: a regression whatever
    # the unknown id turns out to be)
    plan = json.loads(text.replace('"VirtualNetworkGateway"', '"None"'))
    for resource in plan["configuration"]["root_module"]["resources"]:
        if resource["address"] == "azurerm_virtual_network_peering.hub_to_spoke2":
            resource["expressions"]["remote_virtual_network_id"] = {
                "references": ["module.spoke.vnet_id", "module.spoke"]
            }
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan))
    return file


def diff(*args: str) -> tuple[int, dict[str, Any]]:
    result = azroute("diff", str(TESTBED), *args, "--format", "json")
    assert result.exit_code != 2, result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_a_finding_that_exists_only_while_a_value_is_unknown_does_not_block(tmp_path: Path) -> None:
    code, data = diff("--terraform-plan", str(module_wired_plan(tmp_path)))
    assert code == 3 and data["verdict"]["result"] == "incomplete"
    gaps = [g for g in data["coverage"]["gaps"] if g["resource"].endswith("/hub-to-spoke2")]
    assert len(gaps) == 1 and len(gaps[0]["id"]) == 16  # listed once, with a stable id
    trn001 = next(f for f in data["findings"]["new"] if f["rule"] == "TRN001")
    assert trn001["severity"] == "error" and trn001["dependsOnGap"] == [gaps[0]["id"]]
    assert any("only while those values are unknown" in w for w in data["verdict"]["why"])
    again = diff("--terraform-plan", str(module_wired_plan(tmp_path)))[1]
    assert [g["id"] for g in again["coverage"]["gaps"]] == [g["id"] for g in data["coverage"]["gaps"]]


def test_what_does_not_depend_on_the_gap_still_blocks(tmp_path: Path) -> None:
    """The same plan checked with er-1 down: the lost pairs do not depend on the unknown id."""
    code, data = diff("--terraform-plan", str(module_wired_plan(tmp_path)), "--down", "er-1")
    assert code == 1
    assert data["pairs"]["lost"] and not any(p.get("dependsOnGap") for p in data["pairs"]["lost"])
    assert next(f for f in data["findings"]["new"] if f["rule"] == "TRN001")["dependsOnGap"]
