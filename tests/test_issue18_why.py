"""Issue 18's "Why", re-checked as a new user would: each complaint on a small scenario written
from Microsoft's documentation, asked through `paths`, the rules, intents and `diff` together, so
one of them drifting from the others fails here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.engine import load_rules, run, select_rules
from auditor.fixture import load_fixture
from auditor.intents import parse_intents
from auditor.routing.paths import FORWARDED_TRAFFIC, IP_FORWARDING
from auditor.routing.shared import path_finder
from auditor.unmodelled import FEATURES, uncertain_resources
from tests.cli import azroute
from tests.conftest import FIXTURES
from tests.test_fidelity import FEATURE_PATCHES, overlay
from tests.test_walk_constraints import (
    NVA_NIC,
    SPOKE_TO_HUB,
    _location_to_spoke_through_the_nva,
    _spoke_to_location_through_the_nva,
)


def _diff(before: Path, after: Path) -> dict[str, Any]:
    data: dict[str, Any] = azroute("diff", str(before), str(after), "--format", "json").json()
    return data


def _lost(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{p['from']} -> {p['to']}": p for p in data["pairs"]["lost"]}


# -- 1. paths, TRN009/TRN010, intents and diff answer alike ----------------------------------------


@pytest.fixture(scope="module")
def forwarding(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The spoke sends location-1's prefix to the hub NVA; its NIC forwards (before) or not (after)."""
    root = tmp_path_factory.mktemp("forwarding")
    on = _spoke_to_location_through_the_nva(root / "on", forwarding=True)
    return on, _spoke_to_location_through_the_nva(root / "off", forwarding=False)


def test_a_nic_without_ip_forwarding_breaks_paths_intents_and_diff_alike(
    forwarding: tuple[Path, Path],
) -> None:
    on, off = forwarding
    snapshot = load_fixture(off)
    pair = path_finder(snapshot).pair("spoke-vnet", "location-1")
    assert pair.status in ("none", "one-way") and pair.forward.constraint == IP_FORWARDING
    assert pair.forward.cause == NVA_NIC
    intents = parse_intents(
        {"intents": [{"name": "spoke-l1", "from": "spoke-vnet", "to": "location-1", "expect": "reachable"}]},
        "intents.yaml",
    )
    findings = run(snapshot, select_rules(load_rules(), ["TRN009", "INT001"]), intents=intents).findings
    assert "spoke-vnet -> location-1" in {
        p for f in findings if f.rule == "TRN009" for p in f.evidence["pairs"]
    }
    assert [f.rule for f in findings if f.rule == "INT001"] == ["INT001"]  # the intent is violated
    lost = _lost(_diff(on, off))
    assert "spoke-vnet -> location-1" in lost
    assert "IP forwarding off" in lost["spoke-vnet -> location-1"]["after"]["forwardReason"]


def test_a_peering_refusing_forwarded_traffic_breaks_paths_and_trn010_alike(tmp_path: Path) -> None:
    """The peering of the VNet the traffic enters decides; the remote's flag does not, and traffic
    through gateway transit is not forwarded traffic."""
    refused = load_fixture(
        _location_to_spoke_through_the_nva(tmp_path / "refused", False, nva_on_gateway=True)
    )
    back = path_finder(refused).pair("spoke-vnet", "location-1").back
    assert back.constraint == FORWARDED_TRAFFIC and back.cause == SPOKE_TO_HUB
    [trn010] = run(refused, select_rules(load_rules(), ["TRN010"])).findings
    assert "location-1 -> spoke-vnet" in trn010.evidence["pairs"]
    assert "into spoke-vnet" in trn010.message  # the direction that breaks
    transit = load_fixture(
        _location_to_spoke_through_the_nva(tmp_path / "transit", False, nva_on_gateway=False)
    )
    assert path_finder(transit).pair("spoke-vnet", "location-1").status == "reachable"


def test_the_firewall_tutorial_keeps_its_reachability_with_a_transit_sku(tmp_path: Path) -> None:
    """`learn-firewall-hybrid` (Azure Firewall on the GatewaySubnet's and the spoke's routes;
    HubtoSpoke refuses forwarded traffic, SpoketoHub allows it) with gateways that offer transit:
    both ways through the firewall. The hub's refusal concerns traffic entering the hub, not the
    firewall's traffic entering the spoke."""
    gws = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/FW-Hybrid-Test/providers/Microsoft.Network/virtualNetworkGateways/"
    docs = [
        {"id": gws + g, "properties": {"sku": {"name": "VpnGw1", "tier": "VpnGw1"}}}
        for g in ("GW-hub", "GW-Onprem")
    ]
    root = overlay(tmp_path, "designs/learn-firewall-hybrid", {}, {"gw.json": {"value": docs}})
    pair = path_finder(load_fixture(root)).pair("VNet-Spoke", "Vnet-Onprem")
    assert pair.status == "reachable", (pair.forward.reason, pair.back.reason)
    assert "10.5.0.4" in [h.name for h in pair.back.hops]  # through the firewall into the spoke


# -- 3. a spoke grown over an on-premises range ------------------------------------------------------


def test_a_spoke_grown_over_an_onprem_range_is_not_reachable_and_diff_says_why(tmp_path: Path) -> None:
    spoke = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/spoke-vnet"
    grown = {"addressSpace": {"addressPrefixes": ["10.11.30.0/26", "10.1.31.0/25"]}}
    after = overlay(tmp_path, "interop-testbed", {}, {"vnet.json": {"id": spoke, "properties": grown}})
    finder = path_finder(load_fixture(after))
    assert finder.pair("spoke-vnet", "location-2").status != "reachable"
    lost = _lost(_diff(FIXTURES / "interop-testbed", after))
    for label in ("spoke-vnet -> location-2", "hub-vnet -> location-2"):
        assert "lies inside spoke-vnet's own address space" in lost[label]["after"]["forwardReason"], label
    trn008 = [f for f in run(load_fixture(after), select_rules(load_rules(), ["TRN008"])).findings]
    assert {"hub-vnet -> location-2", "spoke-vnet -> location-2"} <= {
        p for f in trn008 for p in f.evidence.get("pairs", [])
    }


# -- unmodelled features: unknown paths, every stopped rule listed and silent ---------------------------


def _dual_stack_vpn(tmp_path: Path) -> Path:
    """`dual-stack-expressroute` with location-1 (behind er-1, which has no IPv6, and a VPN) owning
    an IPv6 prefix too: IPv6 to it can only take the VPN, which is not modelled."""
    manifest = json.loads((FIXTURES / "dual-stack-expressroute" / "fixture.json").read_text())
    manifest["sites"][0]["prefixes"].append("fd00:230::/48")
    arm = {
        f.name: json.loads(f.read_text())
        for f in (FIXTURES / "dual-stack-expressroute" / "arm").glob("*.json")
    }
    return overlay(tmp_path, "interop-testbed", {"sites": manifest["sites"]}, arm)


def _route_server_peer(tmp_path: Path) -> Path:
    """`interop-testbed-route-server` with an NVA peering with the hub's Route Server (the
    quickstart's `bgpConnections`): what it injects into the hub and its gateways is not modelled."""
    base = FIXTURES / "interop-testbed-route-server"
    manifest = json.loads((base / "fixture.json").read_text())
    arm = {f.name: json.loads(f.read_text()) for f in (base / "arm").glob("*.json")}
    hub = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/virtualHubs/hub-route-server"
    peer = {
        "id": f"{hub}/bgpConnections/nva",
        "type": "Microsoft.Network/virtualHubs/bgpConnections",
        "properties": {"peerAsn": 65002, "peerIp": "10.10.30.68"},
    }
    arm["bgpConnections.json"] = {"value": [peer]}
    keep = {k: v for k, v in manifest.items() if k not in ("format", "base", "name", "observations")}
    return overlay(tmp_path, "interop-testbed", keep, arm)


BUILDERS = {"ipv6-over-vpn": _dual_stack_vpn, "route-server-peer": _route_server_peer}


@pytest.mark.parametrize(
    "feature", sorted({*(f for f in FEATURE_PATCHES if FEATURES[f].affects_paths), "route-server-peer"})
)
def test_an_unmodelled_feature_makes_its_pairs_unknown_and_stops_its_rules(
    tmp_path: Path, feature: str
) -> None:
    """A pair whose walk crosses what the feature's gap covers is unknown naming the feature; the
    gap lists every rule it stops, and none of them raises a finding on what the gap covers."""
    if feature in BUILDERS:
        root = BUILDERS[feature](tmp_path)
    else:
        root = overlay(tmp_path, "interop-testbed", {}, {"patch.json": FEATURE_PATCHES[feature]})
    snapshot = load_fixture(root)
    result = run(snapshot, load_rules())
    gaps = [g for g in result.gaps if g.feature == feature]
    assert gaps and all(set(g.rules) == set(FEATURES[feature].rules) for g in gaps)
    covered = uncertain_resources(snapshot, gaps)
    stopped = set(FEATURES[feature].rules)
    assert not [
        (f.rule, f.message)
        for f in result.findings
        if f.rule in stopped and covered & {str(r).lower() for r in f.resources}
    ]
    finder = path_finder(snapshot)
    names = finder.networks()
    crossing = [
        pair
        for a in names
        for b in names
        if a != b and finder.comparable(a, b)
        for pair in [finder.pair(a, b)]
        if any(h.id and h.id.lower() in covered for w in (pair.forward, pair.back) for h in w.hops)
    ]
    assert crossing, "no walked pair crosses the gap's resources"
    for pair in crossing:
        if feature == "ipv6-over-vpn" and "(IPv6)" not in pair.source:
            continue  # IPv4 over the same VPN is modelled
        assert pair.status == "unknown" and any(feature in why for why in pair.unknown), (
            pair.source,
            pair.destination,
            pair.unknown,
        )
