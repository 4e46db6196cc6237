from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.fixture import load_fixture
from auditor.ids import ArmId
from auditor.model import Operation
from tests.conftest import FIXTURES, audit
from tests.helpers import NET, peering, subnet, vnet, write_fixture


def test_testbed_inventory() -> None:
    snap = load_fixture(FIXTURES / "interop-testbed")
    counts = snap.inventory()
    assert counts["virtualNetworks"] == 4
    assert counts["subnets"] == 7
    assert counts["virtualNetworkPeerings"] == 2
    assert counts["virtualNetworkGateways"] == 4
    assert counts["connections"] == 6
    assert counts["localNetworkGateways"] == 1
    assert counts["expressRouteCircuits"] == 2
    assert counts["expressRouteCircuitPeerings"] == 2
    assert counts["networkInterfaces"] == 4
    assert counts["observations.effectiveRouteTable"] == 4
    assert counts["observations.circuitTables"] == 8
    assert [s.name for s in snap.sites] == ["location-1", "location-2"]
    assert snap.external_references == ()


def test_nested_children_are_extracted_with_their_parents(tmp_path: Path) -> None:
    hub = vnet("hub", "10.0.0.0/16", subnets=[subnet("hub", "GatewaySubnet", "10.0.255.0/27")])
    snap = load_fixture(write_fixture(tmp_path / "f", {"vnets.json": {"value": [hub]}}))
    (gw_subnet,) = snap.subnets
    assert gw_subnet.is_gateway_subnet
    assert gw_subnet.vnet_id == ArmId(f"{NET}/virtualNetworks/hub")
    assert snap.subnets_of(ArmId(f"{NET}/virtualnetworks/HUB")) == [gw_subnet]


def test_child_nested_and_standalone_with_same_content_is_fine(tmp_path: Path) -> None:
    child = subnet("hub", "default", "10.0.1.0/24")
    hub = vnet("hub", "10.0.0.0/16", subnets=[child])
    snap = load_fixture(write_fixture(tmp_path / "f", {"vnets.json": hub, "subnets/default.json": child}))
    assert len(snap.subnets) == 1


def test_same_id_with_different_content_is_an_error(tmp_path: Path) -> None:
    hub = vnet("hub", "10.0.0.0/16", subnets=[subnet("hub", "default", "10.0.1.0/24")])
    other = subnet("hub", "default", "10.0.2.0/24")
    root = write_fixture(tmp_path / "f", {"a.json": hub, "b.json": other})
    with pytest.raises(InputError) as err:
        load_fixture(root)
    assert "b.json: $: resource" in str(err.value)
    assert "a.json at $.properties.subnets[0]" in str(err.value)


def test_missing_optional_values_stay_none(tmp_path: Path) -> None:
    hub = vnet("hub", "10.0.0.0/16", peerings=[peering("hub", "p", f"{NET}/virtualNetworks/spoke")])
    snap = load_fixture(write_fixture(tmp_path / "f", {"vnets.json": hub}))
    (p,) = snap.peerings
    assert p.allow_gateway_transit is None
    assert p.use_remote_gateways is None
    assert p.allow_forwarded_traffic is None


def test_reference_outside_the_fixture_is_kept_and_reported(tmp_path: Path) -> None:
    remote = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/x/providers/Microsoft.Network/virtualNetworks/far"
    hub = vnet("hub", "10.0.0.0/16", peerings=[peering("hub", "to-far", remote, useRemoteGateways=True)])
    root = write_fixture(tmp_path / "f", {"vnets.json": hub})
    snap = load_fixture(root)
    assert [r.target_id for r in snap.external_references] == [ArmId(remote)]
    result = audit(root)
    kinds = {(g.kind, g.rules) for g in result.gaps}
    assert ("external-reference", ()) in kinds
    assert ("not-evaluated", ("TRN001",)) in kinds
    assert ("not-evaluated", ("TRN003",)) in kinds
    # not "clean": the gaps say what was not evaluated, and COV002 names the missing VNet
    assert [(f.rule, f.resources[-1]) for f in result.findings] == [("COV002", ArmId(remote))]


def test_unmodelled_types_are_counted_and_skipped(tmp_path: Path) -> None:
    pip = {"id": f"{NET}/publicIPAddresses/pip", "name": "pip", "properties": {"ipAddress": "198.51.100.1"}}
    arm = {"pips.json": {"value": [pip, pip]}, "v.json": vnet("hub", "10.0.0.0/16")}
    snap = load_fixture(write_fixture(tmp_path / "f", arm))
    assert snap.skipped_types == {"microsoft.network/publicipaddresses": 2}


def test_list_page_with_next_link_is_a_coverage_gap(tmp_path: Path) -> None:
    page = {
        "value": [vnet("hub", "10.0.0.0/16")],
        "nextLink": "https://management.azure.com/...&$skiptoken=1",
    }
    result = audit(write_fixture(tmp_path / "f", {"vnets.json": page}))
    assert [g.kind for g in result.gaps] == ["partial-list"]


def test_failed_observation_is_a_gap_not_an_empty_table(tmp_path: Path) -> None:
    nic_id = f"{NET}/networkInterfaces/vm-nic"
    nic = {"id": nic_id, "name": "vm-nic", "properties": {"ipConfigurations": []}}
    failed = {
        "resourceId": nic_id,
        "operation": "effectiveRouteTable",
        "status": 400,
        "body": {"error": {"code": "NicNotAttachedToRunningVm", "message": "The VM is deallocated."}},
    }
    root = write_fixture(tmp_path / "f", {"nics.json": nic}, {"effective/vm-nic.json": failed})
    snap = load_fixture(root)
    assert snap.effective_routes == ()
    (gap,) = snap.observation_gaps
    assert gap.operation is Operation.EFFECTIVE_ROUTE_TABLE and gap.status == 400
    report_gaps = audit(root).gaps
    assert any(
        g.kind == "observation-failed" and "NicNotAttachedToRunningVm" in g.detail for g in report_gaps
    )


def test_operation_on_the_wrong_kind_of_resource(tmp_path: Path) -> None:
    op = {
        "resourceId": f"{NET}/virtualNetworks/hub",
        "operation": "getLearnedRoutes",
        "status": 200,
        "body": {},
    }
    with pytest.raises(InputError, match=r"\$\.resourceId: operation getLearnedRoutes applies to"):
        load_fixture(write_fixture(tmp_path / "f", {}, {"x.json": op}))


def test_operation_needs_its_parameters(tmp_path: Path) -> None:
    peering_id = f"{NET}/expressRouteCircuits/c/peerings/AzurePrivatePeering"
    op = {"resourceId": peering_id, "operation": "routeTables", "status": 200, "body": {"value": []}}
    with pytest.raises(InputError, match=r"\$\.parameters\.devicePath"):
        load_fixture(write_fixture(tmp_path / "f", {}, {"x.json": op}))


def test_ids_match_case_insensitively_across_documents(tmp_path: Path) -> None:
    gw_id = f"{NET}/virtualNetworkGateways/GW"
    gw = {"id": gw_id, "name": "GW", "properties": {"gatewayType": "Vpn"}}
    conn = {
        "id": f"{NET}/connections/c",
        "name": "c",
        "properties": {"connectionType": "IPsec", "virtualNetworkGateway1": {"id": gw_id.lower()}},
    }
    snap = load_fixture(write_fixture(tmp_path / "f", {"gw.json": gw, "conn.json": conn}))
    assert [c.id.name for c in snap.connections_of(ArmId(gw_id))] == ["c"]
    assert snap.external_references == ()


def test_secrets_never_leave_the_loader(tmp_path: Path) -> None:
    secret_a, secret_b = "S3cr3t-shared-key-value", "authz-key-0f0f0f0f"
    gw_id = f"{NET}/virtualNetworkGateways/gw"
    conn = {
        "id": f"{NET}/connections/c",
        "name": "c",
        "properties": {
            "connectionType": "IPsec",
            "virtualNetworkGateway1": {"id": gw_id},
            "sharedKey": secret_a,
        },
    }
    circuit = {
        "id": f"{NET}/expressRouteCircuits/er",
        "name": "er",
        "properties": {
            "serviceKey": secret_b,
            "authorizations": [{"name": "a", "properties": {"authorizationKey": secret_b}}],
            "peerings": [
                {
                    "id": f"{NET}/expressRouteCircuits/er/peerings/AzurePrivatePeering",
                    "name": "AzurePrivatePeering",
                    "properties": {"peeringType": "AzurePrivatePeering", "sharedKey": secret_a},
                }
            ],
        },
    }
    snap = load_fixture(write_fixture(tmp_path / "f", {"conn.json": conn, "er.json": circuit}))
    dumped = snap.model_dump_json()
    assert secret_a not in dumped and secret_b not in dumped


def test_bundled_fixtures_hold_no_secret_fields() -> None:
    for file in FIXTURES.rglob("*.json"):
        text = file.read_text()
        for key in ('"sharedKey"', '"authorizationKey"', '"serviceKey"'):
            assert key not in text, f"{file} holds {key}"


def test_bom_and_utf8(tmp_path: Path) -> None:
    root = write_fixture(tmp_path / "f", {})
    (root / "arm" / "v.json").parent.mkdir(parents=True, exist_ok=True)
    (root / "arm" / "v.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(vnet("hub", "10.0.0.0/16")).encode())
    assert len(load_fixture(root).vnets) == 1
