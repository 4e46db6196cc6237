"""A failure as a planned change (issue 20, item 5): `diff --down RESOURCE`, alone or with a change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli import azroute
from tests.test_diff import TESTBED, spoke_without_remote_gateways


def diff(*args: str) -> tuple[int, dict[str, Any]]:
    result = azroute("diff", str(TESTBED), *args, "--format", "json")
    assert result.exit_code != 2, result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_losing_a_circuit_is_a_change_of_its_own() -> None:
    code, data = diff("--down", "er-1")
    assert code == 1 and data["after"]["down"] == ["er-1"]
    lost = {(p["from"], p["to"]) for p in data["pairs"]["lost"]}
    assert ("spoke-vnet", "location-1") not in lost or data["pairs"]["changed"]  # moved or lost, never unseen
    assert data["pairs"]["lost"] and data["summary"]["recomputed"]["scope"] == "everything"
    text = azroute("diff", str(TESTBED), "--down", "er-1").stdout
    assert text.splitlines()[0].endswith("with er-1 down")


def test_a_change_checked_against_a_failure(tmp_path: Path) -> None:
    """The spoke without its hub's gateways, and er-1 down: the failure adds to the change."""
    change = str(spoke_without_remote_gateways(tmp_path))
    _code, alone = diff("--overlay", change)
    code, both = diff("--overlay", change, "--down", "er-1")
    assert code == 1 and both["after"]["down"] == ["er-1"] and "predictedFrom" in both["after"]
    assert len(both["pairs"]["lost"]) > len(alone["pairs"]["lost"])


def test_down_needs_a_known_resource_and_at_most_one_change(tmp_path: Path) -> None:
    result = azroute("diff", str(TESTBED), "--down", "nope")
    assert result.exit_code == 2 and "--down nope" in result.stderr
    result = azroute("diff", str(TESTBED))
    assert result.exit_code == 2 and "--down" in result.stderr
    change = str(spoke_without_remote_gateways(tmp_path))
    result = azroute("diff", str(TESTBED), str(TESTBED), "--overlay", change)
    assert result.exit_code == 2 and "at most one" in result.stderr
