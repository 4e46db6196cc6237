"""The ARM what-if adapter: BEFORE's raw documents + a what-if result -> the predicted documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import InputError
from auditor.fixture import read_json, read_source
from auditor.model import (
    Connection,
    LocalNetworkGateway,
    RouteTable,
    Subnet,
    VirtualNetworkPeering,
)
from auditor.predict import Prediction, RawTree
from auditor.predict.whatif import apply_what_if
from tests.cli import azroute
from tests.conftest import FIXTURES
from tests.predict_helpers import (
    DATA,
    HUB,
    HUB_TO_SPOKE,
    LNG,
    NET,
    SPOKE,
    SPOKE_RT,
    SPOKE_SUBNET,
    SPOKE_TO_HUB,
    SUB,
    TESTBED,
    WITH_ROUTE_TABLE,
    assert_matches_overlay,
    before,
    get,
    held,
    read_change,
    resources,
    snapshot_of,
)

REMOTE = f"{SUB}/resourceGroups/rg-remote/providers/Microsoft.Network/virtualNetworks/remote-vnet"
HUB_TO_REMOTE = f"{HUB}/virtualNetworkPeerings/hub-to-remote"
REMOTE_TO_HUB = f"{REMOTE}/virtualNetworkPeerings/remote-to-hub"


def predict(sample: str | dict[str, Any], base: Path = TESTBED) -> tuple[RawTree, Prediction]:
    tree = read_source(base).tree
    document, file = read_change(sample, "plan.whatif.json")
    return tree, apply_what_if(tree, document, file)


def gaps(prediction: Prediction) -> list[tuple[str, str]]:
    return [(g.code, g.resource) for g in prediction.gaps]


def az(*changes: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An `az ... what-if --no-pretty-print` document."""
    return {"status": "Succeeded", "changes": list(changes), "error": None, **extra}


def raw(tree: RawTree, rid: str) -> dict[str, Any]:
    key = rid.lower()
    slot = tree.index()[key]
    return slot.resource


def peering_after(rid: str, remote: str, **props: Any) -> dict[str, Any]:
    return {
        "apiVersion": "2023-09-01",
        "id": rid,
        "name": rid.rsplit("/", 1)[1],
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "properties": {"remoteVirtualNetwork": {"id": remote}, "allowVirtualNetworkAccess": True, **props},
    }


# -- the samples -------------------------------------------------------------------------------------


def test_spoke_no_remote_gateways_changes_one_flag_and_ignores_the_noise() -> None:
    tree, prediction = predict("testbed-spoke-no-remote-gateways.whatif.json")
    snap = snapshot_of(tree)
    spoke_to_hub = get(snap, SPOKE_TO_HUB, VirtualNetworkPeering)
    assert spoke_to_hub.use_remote_gateways is False
    # read-only state `after` omits keeps BEFORE's values
    assert spoke_to_hub.peering_state == "Connected"
    assert spoke_to_hub.peering_sync_level == "FullyInSync"
    assert [str(p) for p in spoke_to_hub.remote_address_prefixes or ()] == ["10.10.30.0/24"]
    assert spoke_to_hub.do_not_verify_remote_gateways is False
    # the hub VNet's Modify omits its peerings (noise): they stay; a stale peeringSyncLevel is ignored
    hub_to_spoke = get(snap, HUB_TO_SPOKE, VirtualNetworkPeering)
    assert hub_to_spoke.peering_sync_level == "FullyInSync"
    assert {p.id.name for p in snap.peerings} == {"hub-to-spoke", "spoke-to-hub"}
    # the hub's subnets come back from `after` with BEFORE's read-only/unmodelled properties
    assert raw(tree, f"{HUB}/subnets/default")["properties"]["privateEndpointNetworkPolicies"] == "Disabled"
    assert prediction.gaps == []
    assert prediction.changed == [SPOKE_TO_HUB]
    assert prediction.predicted_state == {}
    assert prediction.input == "what-if"


def test_spoke_no_remote_gateways_matches_the_hand_made_overlay() -> None:
    tree, _ = predict("testbed-spoke-no-remote-gateways.whatif.json")
    assert_matches_overlay(snapshot_of(tree))


def test_rest_and_cli_shapes_give_the_same_prediction() -> None:
    cli = read_json(DATA / "testbed-spoke-no-remote-gateways.whatif.json")
    rest = {
        "status": "Succeeded",
        "properties": {k: cli[k] for k in ("changes", "potentialChanges", "diagnostics")},
    }
    tree_cli, p_cli = predict(cli)
    tree_rest, p_rest = predict(rest)
    assert resources(snapshot_of(tree_cli)) == resources(snapshot_of(tree_rest))
    assert (p_cli.gaps, p_cli.changed) == (p_rest.gaps, p_rest.changed)


def test_new_peering_pair_is_connected_and_matches_the_bundled_scenario() -> None:
    tree, prediction = predict("testbed-peer-hub-remote.whatif.json")
    snap = snapshot_of(tree)
    for rid in (HUB_TO_REMOTE, REMOTE_TO_HUB):
        peering = get(snap, rid, VirtualNetworkPeering)
        assert peering.peering_state == "Connected"
        assert peering.provisioning_state == "Succeeded"
        assert prediction.predicted_state[rid]["peeringState"] == "Connected"
        assert prediction.predicted_state[rid]["provisioningState"] == "Succeeded"
    # nested in the parent VNet's document, as ARM returns it
    assert [p["name"] for p in raw(tree, HUB)["properties"]["virtualNetworkPeerings"]] == [
        "hub-to-spoke",
        "hub-to-remote",
    ]
    assert prediction.gaps == []
    assert prediction.changed == [HUB_TO_REMOTE, REMOTE_TO_HUB]
    scenario = resources(before(FIXTURES / "interop-testbed-peered-remote"))
    assert resources(snap) == scenario


def test_one_sided_peering_is_initiated_until_its_reverse_is_created() -> None:
    doc = read_json(DATA / "testbed-peer-hub-remote.whatif.json")
    first = copy.deepcopy(doc)
    first["properties"]["changes"] = [
        c for c in doc["properties"]["changes"] if c["resourceId"] == HUB_TO_REMOTE
    ]
    second = copy.deepcopy(doc)
    second["properties"]["changes"] = [
        c for c in doc["properties"]["changes"] if c["resourceId"] == REMOTE_TO_HUB
    ]
    tree = read_source(TESTBED).tree
    one = apply_what_if(tree, first, "first.json")
    assert get(snapshot_of(tree), HUB_TO_REMOTE, VirtualNetworkPeering).peering_state == "Initiated"
    assert one.predicted_state[HUB_TO_REMOTE]["peeringState"] == "Initiated"
    assert "peeringSyncLevel" not in one.predicted_state[HUB_TO_REMOTE]
    two = apply_what_if(tree, second, "second.json")
    snap = snapshot_of(tree)
    assert get(snap, HUB_TO_REMOTE, VirtualNetworkPeering).peering_state == "Connected"
    assert get(snap, REMOTE_TO_HUB, VirtualNetworkPeering).peering_state == "Connected"
    assert two.predicted_state[HUB_TO_REMOTE] == {
        "peeringState": "Connected",
        "peeringSyncLevel": "FullyInSync",
    }
    assert two.changed == [HUB_TO_REMOTE, REMOTE_TO_HUB]


def test_deleting_a_peering_disconnects_its_reverse() -> None:
    tree, prediction = predict(az({"resourceId": SPOKE_TO_HUB, "changeType": "Delete"}))
    snap = snapshot_of(tree)
    assert not held(snap, SPOKE_TO_HUB)
    assert get(snap, HUB_TO_SPOKE, VirtualNetworkPeering).peering_state == "Disconnected"
    assert prediction.predicted_state == {HUB_TO_SPOKE: {"peeringState": "Disconnected"}}
    assert prediction.changed == [HUB_TO_SPOKE, SPOKE_TO_HUB]


def test_unresolved_expressions_potential_changes_and_unsupported_are_gaps() -> None:
    tree, prediction = predict("testbed-spoke-egress-unresolved.whatif.json")
    snap = snapshot_of(tree)
    assert gaps(prediction) == [
        ("unmapped-resource", f"{NET}/firewallPolicies/hub-fw-policy"),
        ("unresolved-expression", LNG),
        ("unresolved-expression", f"{SPOKE_RT}/routes/default-via-nva"),
        ("unsupported-change", f"{NET}/virtualNetworkGateways/hub-vpn-gw"),
        ("potential-change", f"{NET}/networkInterfaces/hub-nva-nic"),
        (
            "potential-change",
            f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Resources/deployments/hub-nva",
        ),
    ]
    messages = [g.message for g in prediction.gaps]
    assert "$.changes[2].after.properties.localNetworkAddressSpace.addressPrefixes[1]" in messages[1]
    assert "$.changes[3].after.properties.routes[0].properties.nextHopIpAddress" in messages[2]
    assert "NestedDeploymentShortCircuited" in messages[5]
    # the LNG: the resolved property changes, the one holding an expression keeps BEFORE's value
    lng = get(snap, LNG, LocalNetworkGateway)
    assert lng.gateway_ip_address == "66.198.12.110"
    assert lng.address_prefixes == ()
    # the route table is created, its route without the next hop IP what-if could not evaluate
    table = get(snap, SPOKE_RT, RouteTable)
    routes = {r.id.name: r for r in snap.routes}
    assert routes["default-via-nva"].next_hop_type == "VirtualAppliance"
    assert routes["default-via-nva"].next_hop_ip_address is None
    assert routes["location-1-via-gateway"].next_hop_type == "VirtualNetworkGateway"
    assert table.disable_bgp_route_propagation is True
    # the subnet now uses it, and the table's read-only back-reference follows (predicted)
    assert get(snap, SPOKE_SUBNET, Subnet).route_table_id == SPOKE_RT
    assert table.subnet_ids == (SPOKE_SUBNET,)
    assert prediction.predicted_state[SPOKE_RT] == {
        "provisioningState": "Succeeded",
        "subnets": [{"id": SPOKE_SUBNET}],
    }
    # unmodelled types change nothing: no NIC, no firewall policy, no VM, no diagnostic setting
    assert not held(snap, f"{NET}/networkInterfaces/hub-nva-nic")
    assert snap.skipped_types == before().skipped_types
    assert prediction.changed == sorted(
        [
            LNG,
            SPOKE_RT,
            f"{SPOKE_RT}/routes/default-via-nva",
            f"{SPOKE_RT}/routes/location-1-via-gateway",
            SPOKE_SUBNET,
        ],
        key=str.lower,
    )


def test_delete_of_a_connection_pair_and_secrets_never_enter_the_tree() -> None:
    tree, prediction = predict("testbed-delete-branch-connection.whatif.json")
    snap = snapshot_of(tree)
    names = {c.id.name for c in snap.connections}
    assert "hub-vpn-gw-to-branch" not in names and "branch-vpn-gw-to-hub" not in names
    assert names == {
        "hub-er-gw-to-er-1",
        "hub-er-gw-to-er-2",
        "hub-vpn-gw-to-location-1",
        "remote-er-gw-to-er-1",
    }
    location_1 = get(snap, f"{NET}/connections/hub-vpn-gw-to-location-1", Connection)
    assert location_1.routing_weight == 10
    assert location_1.connection_status == "Connected"
    assert gaps(prediction) == [("unknown-resource", f"{NET}/connections/hub-vpn-gw-to-location-2")]
    dumped = json.dumps([entry for entry in tree.documents if entry is not None])
    assert "whatif-sample-psk-4d1b" not in dumped and "sharedKey" not in dumped
    assert "whatif-sample-psk-4d1b" in (DATA / "testbed-delete-branch-connection.whatif.json").read_text()


def test_prediction_is_deterministic() -> None:
    outputs = []
    for _ in range(2):
        tree, prediction = predict("testbed-spoke-egress-unresolved.whatif.json")
        outputs.append((json.dumps(tree.documents, sort_keys=True), prediction))
    assert outputs[0] == outputs[1]


# -- single behaviours --------------------------------------------------------------------------------


def test_modify_omitting_a_writable_property_keeps_it_and_reports_a_gap() -> None:
    after = {"name": "default", "id": SPOKE_SUBNET, "properties": {"addressPrefix": "10.11.30.0/27"}}
    change = az({"resourceId": SPOKE_SUBNET, "changeType": "Modify", "after": after})
    tree, prediction = predict(change, WITH_ROUTE_TABLE)  # the spoke subnet uses spoke-rt here
    assert get(snapshot_of(tree), SPOKE_SUBNET, Subnet).route_table_id == SPOKE_RT
    assert gaps(prediction) == [("potential-change", SPOKE_SUBNET)]
    assert "properties.routeTable" in prediction.gaps[0].message


def test_vnet_modify_omitting_subnets_is_a_gap_omitting_peerings_is_not() -> None:
    after = {
        "id": HUB,
        "name": "hub-vnet",
        "properties": {"addressSpace": {"addressPrefixes": ["10.10.30.0/24"]}},
    }
    tree, prediction = predict(az({"resourceId": HUB, "changeType": "Modify", "after": after}))
    snap = snapshot_of(tree)
    assert len([s for s in snap.subnets if s.vnet_id == HUB]) == 2
    assert held(snap, HUB_TO_SPOKE)
    assert gaps(prediction) == [("potential-change", HUB)]
    assert "properties.subnets" in prediction.gaps[0].message


def test_child_array_in_after_replaces_befores_children() -> None:
    after = {
        "id": HUB,
        "name": "hub-vnet",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.10.30.0/24"]},
            "subnets": [{"name": "GatewaySubnet", "properties": {"addressPrefix": "10.10.30.128/25"}}],
        },
    }
    tree, prediction = predict(az({"resourceId": HUB, "changeType": "Modify", "after": after}))
    snap = snapshot_of(tree)
    assert [s.id.name for s in snap.subnets if s.vnet_id == HUB] == ["GatewaySubnet"]
    assert get(snap, f"{HUB}/subnets/GatewaySubnet", Subnet).provisioning_state == "Succeeded"
    assert prediction.changed == [HUB, f"{HUB}/subnets/default"]


def test_modify_of_an_unknown_resource_and_create_towards_an_unknown_vnet() -> None:
    elsewhere = f"{SUB}/resourceGroups/rg-other/providers/Microsoft.Network/virtualNetworks/other-vnet"
    new = f"{SPOKE}/virtualNetworkPeerings/spoke-to-other"
    tree, prediction = predict(
        az(
            {"resourceId": f"{elsewhere}/virtualNetworkPeerings/x", "changeType": "Modify", "after": {}},
            {"resourceId": new, "changeType": "Create", "after": peering_after(new, elsewhere)},
        )
    )
    assert gaps(prediction) == [
        ("unknown-resource", f"{elsewhere}/virtualNetworkPeerings/x"),
        ("unknown-resource", new),
    ]
    created = get(snapshot_of(tree), new, VirtualNetworkPeering)
    assert created.peering_state is None
    assert prediction.predicted_state == {new: {"provisioningState": "Succeeded"}}


def test_deploy_on_a_modelled_type_is_a_gap_and_unmodelled_types_are_ignored() -> None:
    vm = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Compute/virtualMachines/spoke-vm"
    tree, prediction = predict(
        az(
            {"resourceId": f"{NET}/connections/hub-er-gw-to-er-1", "changeType": "Deploy"},
            {"resourceId": vm, "changeType": "Delete"},
            {"resourceId": f"{SUB}/resourceGroups/rg-hub", "changeType": "Create", "after": {}},
            {"resourceId": f"{NET}/virtualHubs/hub/routingIntent/ri", "changeType": "NoChange"},
            {"resourceId": f"{NET}/virtualHubs/hub/hubRouteTables/defaultRouteTable", "changeType": "Modify"},
            {"symbolicName": "group", "identifiers": {"uniqueName": "x"}, "changeType": "Create"},
        )
    )
    assert gaps(prediction) == [
        ("unsupported-change", f"{NET}/connections/hub-er-gw-to-er-1"),
        ("unmapped-resource", f"{NET}/virtualHubs/hub/hubRouteTables/defaultRouteTable"),
    ]
    assert resources(snapshot_of(tree)) == resources(before())
    assert prediction.changed == []


def test_create_with_an_unresolved_required_property_is_not_created() -> None:
    new = f"{SPOKE}/virtualNetworkPeerings/spoke-to-remote"
    after = peering_after(new, "[reference('remote').outputs.vnetId.value]")
    tree, prediction = predict(az({"resourceId": new, "changeType": "Create", "after": after}))
    assert not held(snapshot_of(tree), new)
    assert gaps(prediction) == [("unresolved-expression", new), ("unresolved-expression", new)]
    assert "not created" in prediction.gaps[1].message
    assert prediction.changed == [] and prediction.predicted_state == {}


def test_escaped_brackets_are_a_literal_not_an_expression() -> None:
    tree = read_source(TESTBED).tree
    after = copy.deepcopy(raw(tree, LNG))
    after["properties"]["fqdn"] = "[[not-an-expression]"
    prediction = apply_what_if(
        tree, az({"resourceId": LNG, "changeType": "Modify", "after": after}), "x.json"
    )
    assert prediction.gaps == []
    assert get(snapshot_of(tree), LNG, LocalNetworkGateway).fqdn == "[[not-an-expression]"


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ([], "$", "what-if result object"),
        (
            {"status": "Failed", "error": {"code": "InvalidTemplate", "message": "bad"}},
            "$.error",
            "InvalidTemplate",
        ),
        ({"status": "Running", "changes": []}, "$.status", "did not succeed"),
        ({"status": "Succeeded"}, "$.changes", "FullResourcePayloads"),
        ({"properties": {"changes": []}, "changes": []}, "$.changes", "which?"),
        ({"properties": []}, "$.properties", "expected an object"),
        (az({"resourceId": LNG, "changeType": "Replace"}), "$.changes[0].changeType", "Modify"),
        (az({"changeType": "Modify"}), "$.changes[0].resourceId", "resourceId"),
        (az({"resourceId": LNG, "changeType": "Modify"}), "$.changes[0].after", "FullResourcePayloads"),
        (
            az({"resourceId": LNG, "changeType": "Modify", "after": []}),
            "$.changes[0].after",
            "resource object",
        ),
        (az(potentialChanges={}), "$.potentialChanges", "array"),
        (
            az({"resourceId": HUB_TO_REMOTE, "changeType": "Create", "after": {"properties": {}}}),
            "$.changes[0].after.properties.remoteVirtualNetwork.id",
            "required",
        ),
        (
            az({"resourceId": HUB_TO_REMOTE, "changeType": "Create", "after": {"id": HUB_TO_SPOKE}}),
            "$.changes[0].after.id",
            "does not match",
        ),
        (
            az(
                {
                    "resourceId": HUB,
                    "changeType": "Modify",
                    "after": {"properties": {"subnets": [{"properties": {}}]}},
                }
            ),
            "$.changes[0].after.properties.subnets[0]",
            "name",
        ),
    ],
)
def test_malformed_documents_name_the_json_path(document: Any, path: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        apply_what_if(read_source(TESTBED).tree, document, "plan.json")
    assert caught.value.file == "plan.json"
    assert caught.value.path == path
    assert words in caught.value.message


# -- malformed ids (issue 21, item 6) ---------------------------------------------------------------------

VM = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Compute/virtualMachines/spoke-vm"


def _modify_spoke_to_hub(**after: Any) -> dict[str, Any]:
    """A Modify of spoke-to-hub whose `after` is BEFORE's payload with `after` set on top."""
    payload = copy.deepcopy(raw(read_source(TESTBED).tree, SPOKE_TO_HUB))
    return {"resourceId": SPOKE_TO_HUB, "changeType": "Modify", "after": {**payload, **after}}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            {
                "resourceId": f"{SPOKE}/../spoke-vnet/virtualNetworkPeerings/spoke-to-hub",
                "changeType": "Modify",
            },
            "$.changes[0].resourceId",
        ),
        (
            {"resourceId": f"{NET}/virtualNetworks//spoke-vnet", "changeType": "Delete"},
            "$.changes[0].resourceId",
        ),
        ({"resourceId": f"{NET}/./routeTables/spoke-rt", "changeType": "Create"}, "$.changes[0].resourceId"),
        (
            {"resourceId": f"{NET}/virtualNetworks/..", "changeType": "NoChange"},
            "$.changes[0].resourceId",
        ),
        (
            {"resourceId": f"{NET}/virtualHubs/hub/hubRouteTables/..", "changeType": "Modify"},
            "$.changes[0].resourceId",
        ),
        (_modify_spoke_to_hub(id=f"{SPOKE}/virtualNetworkPeerings/../spoke-to-hub"), "$.changes[0].after.id"),
        (
            _modify_spoke_to_hub(
                properties={"remoteVirtualNetwork": {"id": f"{NET}/virtualNetworks/./hub-vnet"}}
            ),
            "$.changes[0].after.properties.remoteVirtualNetwork.id",
        ),
        (
            {
                "resourceId": HUB_TO_REMOTE,
                "changeType": "Create",
                "after": peering_after(HUB_TO_REMOTE, f"{SUB}/resourceGroups//providers/x/y/z"),
            },
            "$.changes[0].after.properties.remoteVirtualNetwork.id",
        ),
        (
            {
                "resourceId": HUB,
                "changeType": "Modify",
                "after": {"properties": {"subnets": [{"id": f"{HUB}/subnets/../x", "properties": {}}]}},
            },
            "$.changes[0].after.properties.subnets[0].id",
        ),
        (
            {
                "resourceId": HUB,
                "changeType": "Modify",
                "after": {"properties": {"subnets": [{"name": "..", "properties": {}}]}},
            },
            "$.changes[0].after.properties.subnets[0].name",
        ),
    ],
)
def test_ids_with_empty_dot_or_dot_dot_segments_name_the_json_path(change: dict[str, Any], path: str) -> None:
    tree = read_source(TESTBED).tree
    with pytest.raises(InputError) as caught:
        apply_what_if(tree, az(change), "plan.json")
        snapshot_of(tree)  # a reference merged onto BEFORE is checked as the snapshot is read
    assert (caught.value.file, caught.value.path) == ("plan.json", path)
    assert "'.' or '..' segment" in caught.value.message or "/subscriptions/<id>" in caught.value.message


def test_malformed_ids_of_types_azroute_does_not_read_are_ignored() -> None:
    tree, prediction = predict(
        az(
            {"resourceId": f"{VM}/../spoke-vm", "changeType": "Delete"},
            {"resourceId": "/providers/Microsoft.Management/managementGroups/..", "changeType": "Create"},
            {"resourceId": f"{NET}/privateDnsZones//x", "changeType": "Modify", "after": {}},
        )
    )
    assert prediction.gaps == [] and prediction.changed == []
    assert resources(snapshot_of(tree)) == resources(before())


def test_malformed_what_if_ids_are_bad_input_for_diff_and_plan(tmp_path: Path) -> None:
    document = read_json(DATA / "testbed-spoke-no-remote-gateways.whatif.json")
    index = next(
        i for i, c in enumerate(document["changes"]) if c["resourceId"].lower() == SPOKE_TO_HUB.lower()
    )
    document["changes"][index]["resourceId"] = (
        f"{SPOKE}/virtualNetworkPeerings/../virtualNetworkPeerings/spoke-to-hub"
    )
    file = tmp_path / "change.whatif.json"
    file.write_text(json.dumps(document))
    for args in (["diff", str(TESTBED)], ["plan", str(TESTBED), "--out", str(tmp_path / "after")]):
        result = azroute(*args, "--what-if", str(file))
        assert result.exit_code == 2, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr
        assert f"{file}: $.changes[{index}].resourceId: " in lines[0]
    assert not (tmp_path / "after").exists()


def test_deleting_a_gateway_that_connections_still_use_is_refused_and_it_stays() -> None:
    # "You must first delete all connections to the Virtual Network Gateway" (Remove-AzVirtualNetworkGateway)
    gateway = f"{NET}/virtualNetworkGateways/hub-er-gw"
    tree, prediction = predict(az({"resourceId": gateway, "changeType": "Delete"}))
    assert [(f.resource, f.error) for f in prediction.failures] == [(gateway, "GatewayHasConnections")]
    assert "hub-er-gw-to-er-1" in prediction.failures[0].message
    assert raw(tree, gateway)["id"] == gateway  # left as it was
    # with its connections deleted in the same change, the gateway goes
    connections = [f"{NET}/connections/hub-er-gw-to-er-{n}" for n in (1, 2)]
    tree, prediction = predict(
        az(*({"resourceId": rid, "changeType": "Delete"} for rid in [gateway, *connections]))
    )
    assert prediction.failures == [] and gateway.lower() not in tree.index()
