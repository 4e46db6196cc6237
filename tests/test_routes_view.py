"""`routes --from VNET` is what its subnets get (issue 18, item 4): one table per group of workload
subnets that route alike, grouped and named as `paths` does; never a table no subnet has."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.diff import evaluate
from auditor.fixture import load_fixture
from auditor.routing.controlplane import ControlPlane
from auditor.routing.paths import IPV6
from auditor.routing.shared import path_finder
from auditor.routing.tables import vnet_table
from auditor.routing.views import _vnet_rows, vantage_rows
from tests.cli import azroute
from tests.conftest import FIXTURES, fixture_names

TESTBED_RG = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network"
)
SPOKE_SUBNET = f"{TESTBED_RG}/virtualNetworks/spoke-vnet/subnets/default"


def routes_json(path: Path | str, source: str) -> dict[str, Any]:
    result = azroute("routes", str(path), "--from", source, "--format", "json")
    assert result.exit_code == 0, result.stdout
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def routes_text(path: Path | str, source: str, fmt: str = "table") -> str:
    result = azroute("routes", str(path), "--from", source, "--format", fmt)
    assert result.exit_code == 0, result.stdout
    return result.stdout


def forced_tunnel_spoke(tmp_path: Path) -> Path:
    """The testbed with location-1 advertising 0.0.0.0/0 over ExpressRoute and VPN, and the spoke's
    only subnet sending 0.0.0.0/0 to an appliance with gateway route propagation off."""
    root = tmp_path / "forced-tunnel-spoke"
    (root / "arm").mkdir(parents=True)
    sites = json.loads((FIXTURES / "onprem-default-route" / "fixture.json").read_text())["sites"]
    manifest = {
        "format": "azroute-overlay/1",
        "base": os.path.relpath(FIXTURES / "interop-testbed", root),
        "name": root.name,
        "observations": "drop",
        "sites": sites,
    }
    table = {
        "name": "spoke-rt",
        "id": f"{TESTBED_RG}/routeTables/spoke-rt",
        "type": "Microsoft.Network/routeTables",
        "location": "eastus",
        "properties": {
            "provisioningState": "Succeeded",
            "disableBgpRoutePropagation": True,
            "subnets": [{"id": SPOKE_SUBNET}],
            "routes": [
                {
                    "name": "default-to-nva",
                    "id": f"{TESTBED_RG}/routeTables/spoke-rt/routes/default-to-nva",
                    "properties": {
                        "addressPrefix": "0.0.0.0/0",
                        "nextHopType": "VirtualAppliance",
                        "nextHopIpAddress": "10.10.30.68",
                    },
                }
            ],
        },
    }
    patch = {"id": SPOKE_SUBNET, "properties": {"routeTable": {"id": table["id"]}}}
    (root / "fixture.json").write_text(json.dumps(manifest))
    (root / "arm" / "routeTables.json").write_text(json.dumps(table))
    (root / "arm" / "virtualNetworks.json").write_text(json.dumps(patch))
    return root


def test_a_forced_tunnelling_spoke_shows_its_subnet_table_without_the_bgp_default(tmp_path: Path) -> None:
    root = forced_tunnel_spoke(tmp_path)
    plane = ControlPlane(load_fixture(root))
    spoke = plane.vnet_by_name["spoke-vnet"]
    # the VNet-wide table `--from spoke-vnet` used to show: a BGP default route no subnet gets
    assert any(
        str(r.prefix) == "0.0.0.0/0" and r.next_hop_type == "VirtualNetworkGateway" and r.selected
        for r in vnet_table(plane, spoke, None)
    )
    vnet, subnet = routes_json(root, "spoke-vnet"), routes_json(root, "spoke-vnet/default")
    assert vnet["routes"] == subnet["routes"]
    assert vnet["kind"] == "vnet" and vnet["subnets"] == ["default"] and "groups" not in vnet
    defaults = [(r["nextHopType"], r["selected"]) for r in vnet["routes"] if r["prefix"] == "0.0.0.0/0"]
    assert ("VirtualAppliance", True) in defaults
    # the BGP default routes are listed as the subnet's table lists them: not selected, and why
    assert ("VirtualNetworkGateway", True) not in defaults


@pytest.mark.parametrize(
    ("fixture", "vnet", "groups"),
    [
        ("spoke-subnet-bypasses-firewall", "spoke-vnet", {"spoke-vnet/data": ["data"], "spoke-vnet/default": ["default"]}),
        (
            "designs/learn-forced-tunneling",
            "MultiTier-VNet",
            {"MultiTier-VNet/Backend": ["Backend", "Midtier"], "MultiTier-VNet/Frontend": ["Frontend"]},
        ),
    ],
)  # fmt: skip
def test_a_vnet_with_two_subnet_groups_gets_one_section_per_group(
    fixture: str, vnet: str, groups: dict[str, list[str]]
) -> None:
    path = FIXTURES / fixture
    data = routes_json(path, vnet)
    assert {g["name"]: g["subnets"] for g in data["groups"]} == groups
    for group in data["groups"]:
        for member in group["subnets"]:
            assert group["routes"] == routes_json(path, f"{vnet}/{member}")["routes"], (group["name"], member)
    assert data["routes"] == data["groups"][0]["routes"]  # `routes`: the first group's table
    assert data["subnets"] == data["groups"][0]["subnets"]
    # named as `paths` names the endpoints
    finder = path_finder(load_fixture(path))
    assert set(groups) <= set(finder.networks())
    text = routes_text(path, vnet)
    for name, members in groups.items():
        assert f"\n{name} (subnets: {', '.join(members)})\n" in text
    dot = routes_text(path, vnet, "dot")
    assert dot.startswith("digraph routes {\n") and dot.endswith("}\n") and dot.count("{") == dot.count("}")
    for name in groups:
        assert f'  "{name}" [shape=box, style=bold];' in dot
    assert all(
        re.fullmatch(r'  "[^"]+" -> "[^"]+" \[label="[^"]+"\];', line)
        for line in dot.splitlines()
        if "->" in line
    )
    mermaid = routes_text(path, vnet, "mermaid").splitlines()
    declared = {m.group(1) for line in mermaid if (m := re.fullmatch(r'  (n\d+)\["[^"]*"\]', line))}
    edges = [re.fullmatch(r'  (n\d+) -->\|"[^"]+"\| (n\d+)', line) for line in mermaid[1:] if "-->" in line]
    assert mermaid[0] == "flowchart LR" and edges and all(edges)
    assert all(m.group(1) in declared and m.group(2) in declared for m in edges if m)
    assert len(declared) == len([line for line in mermaid if re.fullmatch(r"  n\d+\[.*", line)])


def test_a_vnet_without_workload_subnets_says_whose_table_it_shows(tmp_path: Path) -> None:
    data = routes_json(FIXTURES / "designs/learn-firewall-hybrid", "VNet-hub")
    assert data["subnets"] == ["AzureFirewallSubnet"] and "workload subnet" in data["note"]
    plane = ControlPlane(load_fixture(FIXTURES / "designs/learn-firewall-hybrid"))
    _, rows = vantage_rows(plane, "VNet-hub/AzureFirewallSubnet")
    assert data["routes"] == rows
    empty = routes_json(FIXTURES / "designs/alz-bicep-hub-spoke", "vnet-spoke")
    assert empty["subnets"] == [] and "no subnet" in empty["note"] and empty["routes"]


@pytest.mark.parametrize("name", fixture_names())
def test_every_route_a_vnet_shows_is_a_subnet_table(name: str) -> None:
    """For every VNet of every scenario and design: each table `--from VNET` shows (the one, or each
    group's) is exactly the table of every subnet it names, all of them subnets of that VNet; the
    groups are `paths`' endpoints of the VNet and hold every workload subnet once."""
    snapshot = load_fixture(FIXTURES / name)
    plane = ControlPlane(snapshot)
    for vnet in snapshot.vnets:
        vantage, rows = vantage_rows(plane, vnet.display_name)
        subnets = {s.id.name: s for s in snapshot.subnets_of(vnet.id)}
        assert vantage.kind == "vnet"
        sections = [(g.name, g.subnets, g.rows) for g in vantage.groups] or [
            (vnet.display_name, vantage.subnets, rows)
        ]
        if vantage.groups:
            assert len(vantage.groups) > 1 and rows == vantage.groups[0].rows
        if not subnets:  # the one case without a subnet: the VNet-wide table, said so
            assert vantage.note and not vantage.subnets and rows == _vnet_rows(plane, vnet, None)
            continue
        for _, members, table in sections:
            assert members, (name, vnet.display_name)
            for member in members:
                assert table == _vnet_rows(plane, vnet, subnets[member]), (name, vnet.display_name, member)
        finder = path_finder(snapshot)
        groups = finder.subnet_groups[vnet.id]
        shown = [m for _, members, _ in sections for m in members]
        if groups:
            assert sorted(shown) == sorted(s.id.name for g in groups for s in g)
            endpoints = {n.removesuffix(IPV6) for n in finder.networks()}
            assert {section for section, _, _ in sections} <= endpoints
            assert set(vantage.infrastructure).isdisjoint(shown)
        else:
            assert vantage.note and len(shown) == 1


def test_diff_compares_a_vnets_routes_per_subnet_group() -> None:
    side = evaluate(load_fixture(FIXTURES / "spoke-subnet-bypasses-firewall"), [])
    assert {"vnet spoke-vnet/data", "vnet spoke-vnet/default"} <= set(side.routes)
    assert "vnet spoke-vnet" not in side.routes
    data = routes_json(FIXTURES / "spoke-subnet-bypasses-firewall", "spoke-vnet")
    for group in data["groups"]:
        chosen = {r["prefix"] for r in group["routes"] if r["selected"]}
        assert set(side.routes[f"vnet {group['name']}"]) == chosen


def test_a_circuit_link_whose_bgp_session_is_down_says_so() -> None:
    """er-1's secondary BGP session is Idle (ERC002): `routes --from er-1:secondary` says so, and its
    rows say the VNets' routes are not advertised over it (issue 23, item 7)."""

    result = azroute(
        "routes", str(FIXTURES / "interop-testbed"), "--from", "er-1:secondary", "--format", "json"
    )
    data = json.loads(result.stdout)
    assert "not Established" in data["note"] and "ERC002" in data["note"]
    assert data["routes"] and all(
        "not advertised to the customer over secondary" in r["reason"] for r in data["routes"]
    )
    primary = azroute(
        "routes", str(FIXTURES / "interop-testbed"), "--from", "er-1:primary", "--format", "json"
    ).json()
    assert "note" not in primary and any(
        r["nextHopType"] == "Customer" and r["selected"] for r in primary["routes"]
    )
