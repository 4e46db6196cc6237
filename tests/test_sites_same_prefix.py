"""PRF005: two on-premises sites announcing the same prefix to one gateway domain, judged from the
domain's own route selection (the one `routes` shows)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from auditor.engine import load_rules, run
from auditor.fixture import load_fixture
from tests.conftest import FIXTURES, write_overlay

LOCATION_1 = {
    "name": "location-1",
    "asn": 65021,
    "prefixes": ["10.2.30.0/25"],
    "prefer": ["ExpressRoute", "Vpn"],
    "circuits": ["er-1"],
    "localNetworkGateways": ["location-1-lng"],
}


def _testbed_with(
    tmp_path: Path, location_2: dict[str, Any], rule: str = "PRF005"
) -> list[tuple[str, str, list[str]]]:
    """A rule's findings (severity, message, selected sites) on the testbed with Location 2 replaced."""
    shutil.copytree(FIXTURES / "interop-testbed", tmp_path / "interop-testbed")
    root = write_overlay(
        tmp_path / "o",
        tmp_path / "interop-testbed",
        [],
        observations="drop",
        sites=[LOCATION_1, {"name": "location-2", "asn": 65022, "circuits": ["er-2"], **location_2}],
    )
    result = run(load_fixture(root), [r for r in load_rules() if r.id == rule])
    return [
        (f.severity.value, f.message, f.evidence.get("selected", []))
        for f in result.findings
        if f.rule == rule
    ]


def test_the_same_prefix_over_two_equal_circuits_is_load_balanced_across_the_sites(tmp_path: Path) -> None:
    found = _testbed_with(tmp_path, {"prefixes": ["10.1.31.0/25", "10.2.30.0/25"]})
    assert [(s, k) for s, _, k in found] == [("error", ["location-1", "location-2"])]
    assert "(10.2.30.0/25) to hub-vnet" in found[0][1] and "ECMP" in found[0][1]


def test_a_longer_as_path_leaves_the_other_site_shadowed(tmp_path: Path) -> None:
    found = _testbed_with(
        tmp_path,
        {"prefixes": ["10.1.31.0/25", "10.2.30.0/25"], "links": [{"circuit": "er-2", "asPathPrepend": 2}]},
    )
    assert [(s, k) for s, _, k in found] == [("warning", ["location-1"])]
    assert "location-2's hosts in it are unreachable from hub-vnet" in found[0][1]


def test_a_more_specific_prefix_inside_another_sites_is_no_finding(tmp_path: Path) -> None:
    # a branch inside the data centre's summary: longest prefix match, the usual summarisation
    assert _testbed_with(tmp_path, {"prefixes": ["10.1.31.0/25", "10.2.30.0/26"]}) == []


def test_two_sites_load_balanced_are_not_also_one_sites_circuits_load_balanced(tmp_path: Path) -> None:
    # er-1 and er-2 are at different peering locations: PRF004 would say the gateway load-balances
    # one site across them, whose fix (make one a backup) does not apply to two sites
    two_sites = _testbed_with(tmp_path / "a", {"prefixes": ["10.1.31.0/25", "10.2.30.0/25"]}, rule="PRF004")
    assert two_sites == []  # (one site over both: scenario ecmp-two-locations, PRF004's trigger)
