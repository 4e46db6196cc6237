"""Overlays (`azroute-overlay/1`): a base snapshot with some ARM properties changed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.engine import load_rules, run
from auditor.errors import InputError
from auditor.fixture import load_fixture, read_source
from auditor.live.server import FixtureData
from auditor.rawtree import merge_patch
from auditor.report import report_dict
from auditor.writer import dump_json, write_snapshot
from tests.cli import azroute
from tests.conftest import FIXTURES
from tests.helpers import NET, peering, subnet, vnet

HUB_PEERING = f"{NET}/virtualNetworks/hub/virtualNetworkPeerings/hub-to-app"
LNG = f"{NET}/localNetworkGateways/dc-lng"


def _base_documents() -> dict[str, Any]:
    """A small estate the project has never seen: hub with a VPN gateway, one spoke, one site."""
    hub = vnet(
        "hub",
        "10.50.0.0/22",
        subnets=[subnet("hub", "GatewaySubnet", "10.50.0.0/27"), subnet("hub", "shared", "10.50.1.0/24")],
        peerings=[peering("hub", "hub-to-app", f"{NET}/virtualNetworks/app", allowGatewayTransit=True)],
    )
    # a nested child without an id: the normalizer derives it, and overlays can address it
    app = vnet(
        "app",
        "10.60.0.0/24",
        subnets=[{"name": "workload", "properties": {"addressPrefix": "10.60.0.0/25"}}],
        peerings=[peering("app", "app-to-hub", f"{NET}/virtualNetworks/hub", useRemoteGateways=True)],
    )
    gateway = {
        "id": f"{NET}/virtualNetworkGateways/hub-vpn",
        "name": "hub-vpn",
        "properties": {
            "gatewayType": "Vpn",
            "vpnType": "RouteBased",
            "sku": {"name": "VpnGw2AZ", "tier": "VpnGw2AZ"},
            "enableBgp": False,
            "ipConfigurations": [
                {
                    "id": f"{NET}/virtualNetworkGateways/hub-vpn/ipConfigurations/default",
                    "properties": {"subnet": {"id": f"{NET}/virtualNetworks/hub/subnets/GatewaySubnet"}},
                }
            ],
        },
    }
    lng = {
        "id": LNG,
        "name": "dc-lng",
        "properties": {
            "gatewayIpAddress": "203.0.113.10",
            "localNetworkAddressSpace": {"addressPrefixes": ["192.168.50.0/24"]},
        },
    }
    connection = {
        "id": f"{NET}/connections/hub-to-dc",
        "name": "hub-to-dc",
        "properties": {
            "connectionType": "IPsec",
            "virtualNetworkGateway1": {"id": gateway["id"]},
            "localNetworkGateway2": {"id": LNG},
            "connectionStatus": "Connected",
        },
    }
    return {
        "networks.json": {"value": [hub, app]},
        "gateways.json": gateway,
        "onprem.json": {"value": [lng, connection]},
    }


SITES = [{"name": "dc", "prefixes": ["192.168.50.0/24"], "localNetworkGateways": ["dc-lng"]}]


def _base(tmp_path: Path) -> Path:
    return write_snapshot(
        tmp_path / "estate",
        {"name": "estate", "source": "recorded", "sites": SITES},
        _base_documents(),
        {
            "getLearnedRoutes/hub-vpn.json": {
                "resourceId": f"{NET}/virtualNetworkGateways/hub-vpn",
                "operation": "getLearnedRoutes",
                "parameters": {},
                "status": 200,
                "body": {"value": []},
            }
        },
    )


def _overlay(root: Path, manifest: dict[str, Any], arm: dict[str, Any] | None = None) -> Path:
    head = {"format": "azroute-overlay/1", "base": "../estate", "name": root.name, "observations": "keep"}
    dump_json(root / "fixture.json", {**head, **manifest})
    for rel, doc in (arm or {}).items():
        dump_json(root / "arm" / rel, doc)
    return root


def _audit(path: Path) -> dict[str, Any]:
    snapshot = load_fixture(path)
    report = report_dict(snapshot, run(snapshot, load_rules()))
    return {"findings": report["findings"], "coverage": report["coverage"]}


def test_merge_patch_follows_rfc_7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]}
    patch = {"a": "z", "c": {"f": None, "h": 1}, "list": [3], "new": {"x": None}}
    assert merge_patch(copy.deepcopy(target), patch) == {
        "a": "z",
        "c": {"d": "e", "h": 1},
        "list": [3],
        "new": {},
    }
    assert merge_patch({"a": 1}, ["x"]) == ["x"]
    assert merge_patch("text", {"a": 1}) == {"a": 1}


def test_overlay_audits_like_the_equivalent_full_snapshot(tmp_path: Path) -> None:
    base = _base(tmp_path)
    overlay = _overlay(
        tmp_path / "no-transit",
        {},
        {"peerings.json": {"id": HUB_PEERING, "properties": {"allowGatewayTransit": False}}},
    )
    full_docs = _base_documents()
    full_docs["networks.json"]["value"][0]["properties"]["virtualNetworkPeerings"][0]["properties"][
        "allowGatewayTransit"
    ] = False
    full = write_snapshot(
        tmp_path / "full",
        {"name": "no-transit", "source": "recorded", "sites": SITES},
        full_docs,
        {
            p.relative_to(base / "operations").as_posix(): json.loads(p.read_text())
            for p in (base / "operations").rglob("*.json")
        },
    )
    assert _audit(overlay) == _audit(full)
    assert "TRN001" in {f["rule"] for f in _audit(overlay)["findings"]}
    assert "TRN001" not in {f["rule"] for f in _audit(base)["findings"]}
    dumped = [load_fixture(p).model_dump(mode="json") for p in (overlay, full)]
    for d in dumped:
        d.pop("location")
        for table in d["gateway_routes"]:
            table.pop("file")
    assert dumped[0] == dumped[1]
    # the same through the command line, and serve answers with the patched document
    cli = azroute("audit", str(overlay), "--format", "json")
    assert cli.exit_code == 1 and json.loads(cli.stdout)["snapshot"]["name"] == "no-transit"
    served = FixtureData(overlay).resources[f"{NET}/virtualNetworks/hub".lower()]
    assert served["properties"]["virtualNetworkPeerings"][0]["properties"]["allowGatewayTransit"] is False


def test_provenance_names_the_patch_or_the_base(tmp_path: Path) -> None:
    base = _base(tmp_path)
    overlay = _overlay(
        tmp_path / "o",
        {},
        {
            "p.json": {
                "value": [
                    {
                        "id": f"{NET}/virtualNetworks/app/subnets/workload",
                        "properties": {"addressPrefix": "10.60.0.0/26"},
                    }
                ]
            }
        },
    )
    snapshot = load_fixture(overlay)
    workload = next(s for s in snapshot.subnets if s.id.name == "workload")
    assert str(workload.address_prefix) == "10.60.0.0/26"  # derived id addressed
    origin = snapshot.origin(workload.id)
    assert (
        origin is not None and origin.file == str(overlay / "arm" / "p.json") and origin.path == "$.value[0]"
    )
    hub_peering = next(p for p in snapshot.peerings if p.id.name == "hub-to-app")
    origin = snapshot.origin(hub_peering.id)
    assert origin is not None and origin.file == str(base / "arm" / "networks.json")
    assert origin.path == "$.value[0].properties.virtualNetworkPeerings[0]"


def test_remove_resources_takes_children_and_observations(tmp_path: Path) -> None:
    _base(tmp_path)
    overlay = _overlay(
        tmp_path / "o",
        {"removeResources": [f"{NET}/virtualNetworkGateways/HUB-VPN", f"{NET}/virtualNetworks/app"]},
    )
    snapshot = load_fixture(overlay)
    assert not snapshot.gateways and not snapshot.gateway_routes
    assert [v.id.name for v in snapshot.vnets] == ["hub"]
    assert not [s for s in snapshot.subnets if s.id.name == "workload"]


def test_added_resources_sites_and_dropped_observations(tmp_path: Path) -> None:
    _base(tmp_path)
    new_vnet = vnet("extra", "10.70.0.0/24")
    overlay = _overlay(
        tmp_path / "o",
        {"observations": "drop", "sites": [{"name": "elsewhere", "prefixes": ["172.16.0.0/16"]}]},
        {"new.json": new_vnet},
    )
    snapshot = load_fixture(overlay)
    assert {v.id.name for v in snapshot.vnets} == {"hub", "app", "extra"}
    assert [s.name for s in snapshot.sites] == ["elsewhere"]
    assert snapshot.source == "recorded" and not snapshot.gateway_routes


def _base_is_overlay(tmp_path: Path) -> Path:
    _base(tmp_path)
    _overlay(tmp_path / "first", {})
    return _overlay(tmp_path / "second", {"base": "../first"})


BAD: dict[str, tuple[Any, str, str]] = {
    "missing base": (lambda t: _overlay(t / "o", {"base": "../nowhere"}), "fixture.json", "$.base"),
    "base is an overlay": (_base_is_overlay, "fixture.json", "$.base"),
    "incomplete new resource": (
        lambda t: _overlay(
            t / "o", {}, {"x.json": {"value": [{"id": f"{NET}/virtualNetworks/ghost", "properties": {}}]}}
        ),
        "arm/x.json",
        "$.value[0].properties.addressSpace.addressPrefixes",
    ),
    "unknown id to remove": (
        lambda t: _overlay(t / "o", {"removeResources": [f"{NET}/virtualNetworks/ghost"]}),
        "fixture.json",
        "$.removeResources[0]",
    ),
    "unknown observation to remove": (
        lambda t: _overlay(t / "o", {"removeObservations": ["operations/nothing.json"]}),
        "fixture.json",
        "$.removeObservations[0]",
    ),
    "ambiguous child patch": (
        lambda t: _overlay(
            t / "o",
            {},
            {
                "a.json": {"id": f"{NET}/virtualNetworks/hub", "properties": {"subnets": []}},
                "b.json": {
                    "id": f"{NET}/virtualNetworks/hub/subnets/shared",
                    "properties": {"addressPrefix": "10.50.2.0/24"},
                },
            },
        ),
        "arm/b.json",
        "$",
    ),
    "unknown key in an overlay": (lambda t: _overlay(t / "o", {"remove": []}), "fixture.json", "$.remove"),
    "observations not said": (
        lambda t: _overlay(t / "o", {"observations": None}),
        "fixture.json",
        "$.observations",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_overlays_give_one_line_naming_file_and_path(tmp_path: Path, case: str) -> None:
    _base(tmp_path)
    make, file, path = BAD[case]
    if case == "observations not said":
        root = make(tmp_path)
        raw = json.loads((root / "fixture.json").read_text())
        raw.pop("observations")
        (root / "fixture.json").write_text(json.dumps(raw))
    else:
        root = make(tmp_path)
    with pytest.raises(InputError) as err:
        load_fixture(root)
    assert err.value.file == str(root / file), str(err.value)
    assert err.value.path == path, str(err.value)
    result = azroute("audit", str(root))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{root / file}: {path}:" in result.stderr


def test_unknown_key_in_a_full_snapshot_manifest_is_an_error(tmp_path: Path) -> None:
    root = _base(tmp_path)
    raw = json.loads((root / "fixture.json").read_text())
    raw["sities"] = []
    (root / "fixture.json").write_text(json.dumps(raw))
    with pytest.raises(InputError) as err:
        load_fixture(root)
    assert err.value.path == "$.sities"


def test_the_bundled_scenarios_are_overlays_on_a_few_bases() -> None:
    bases: set[str] = set()
    for manifest in FIXTURES.glob("*/fixture.json"):
        raw = json.loads(manifest.read_text())
        if raw["format"] == "azroute-overlay/1":
            source = read_source(manifest.parent)
            assert source.base is not None
            bases.add(source.base.name)
    assert 1 <= len(bases) <= 6
