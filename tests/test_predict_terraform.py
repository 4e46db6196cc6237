"""The Terraform plan adapter: BEFORE's raw documents + `terraform show -json` -> the predicted documents."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import InputError
from auditor.fixture import read_json, read_source
from auditor.ids import ArmId
from auditor.model import (
    Connection,
    ExpressRouteCircuit,
    ExpressRouteCircuitPeering,
    LocalNetworkGateway,
    Route,
    RouteTable,
    Snapshot,
    Subnet,
    VirtualNetwork,
    VirtualNetworkGateway,
    VirtualNetworkPeering,
)
from auditor.predict import Prediction, RawTree
from auditor.predict.terraform import apply_terraform_plan
from auditor.predict.terraform_map import IGNORED_TYPES, SPECS
from tests.cli import azroute
from tests.conftest import ROOT
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
    SUB_ID,
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

SPOKE2 = f"{NET}/virtualNetworks/spoke2-vnet"
HUB_VPN_GW = f"{NET}/virtualNetworkGateways/hub-vpn-gw"
TO_LOCATION_1 = f"{NET}/connections/hub-vpn-gw-to-location-1"
ER2 = f"{SUB}/resourceGroups/rg-expressroute/providers/Microsoft.Network/expressRouteCircuits/er-2"
AZURERM = "registry.terraform.io/hashicorp/azurerm"
AZAPI = "registry.terraform.io/azure/azapi"
RANDOM = "registry.terraform.io/hashicorp/random"


# -- helpers ------------------------------------------------------------------------------------------------


def predict(
    sample: str | dict[str, Any], base: Path = TESTBED, subscription: str | None = None
) -> tuple[RawTree, Prediction, Snapshot]:
    tree = read_source(base).tree
    document, file = read_change(sample, "plan.json")
    prediction = apply_terraform_plan(tree, document, file, subscription=subscription)
    return tree, prediction, snapshot_of(tree)


def gaps(prediction: Prediction) -> list[tuple[str, str]]:
    return sorted((g.code, g.resource) for g in prediction.gaps)


def unchanged_except(after: Snapshot, base: Snapshot, *ids: str) -> None:
    """Every resource of BEFORE but `ids` is in AFTER, identical."""
    skip = {ArmId(i) for i in ids}
    for rid, item in base.by_id.items():
        if rid in skip:
            continue
        assert after.by_id.get(rid) == item, f"{rid} changed"


def change(
    address: str,
    actions: list[str],
    before_values: dict[str, Any] | None,
    after_values: dict[str, Any] | None,
    unknown: dict[str, Any] | None = None,
    *,
    provider: str = AZURERM,
    after_sensitive: dict[str, Any] | None = None,
    mode: str = "managed",
) -> dict[str, Any]:
    type_, name = address.split(".")[-2:]
    return {
        "address": address,
        "mode": mode,
        "type": type_,
        "name": name,
        "provider_name": provider,
        "change": {
            "actions": actions,
            "before": before_values,
            "after": after_values,
            "after_unknown": unknown or {},
            "before_sensitive": {},
            "after_sensitive": after_sensitive or {},
        },
    }


def tfplan(*changes: dict[str, Any], resources_config: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "resource_changes": list(changes),
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    if resources_config is not None:
        doc["configuration"] = {"root_module": {"resources": resources_config}}
    return doc


def peering_values(name: str, vnet: str, remote: str | None, **flags: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "allow_forwarded_traffic": True,
        "allow_gateway_transit": False,
        "allow_virtual_network_access": True,
        "name": name,
        "resource_group_name": "rg-hub",
        "timeouts": None,
        "triggers": None,
        "use_remote_gateways": False,
        "virtual_network_name": vnet,
        **flags,
    }
    if remote is not None:
        out["remote_virtual_network_id"] = remote
    return out


def spoke_to_hub_state(**changes: Any) -> dict[str, Any]:
    return {
        **peering_values("spoke-to-hub", "spoke-vnet", HUB, use_remote_gateways=True),
        "id": SPOKE_TO_HUB,
        **changes,
    }


def peering_update(state: dict[str, Any], planned: dict[str, Any], **options: Any) -> dict[str, Any]:
    """A plan that updates the peering of prior state `state` with the values `planned`."""
    return tfplan(
        change("azurerm_virtual_network_peering.a", ["update"], state, {**state, **planned}, **options)
    )


def lng_state() -> dict[str, Any]:
    """The prior state of location-1-lng."""
    return {
        "address_space": [],
        "bgp_settings": [{"asn": 65021, "bgp_peering_address": "10.2.30.125", "peer_weight": 0}],
        "gateway_address": "66.198.12.106",
        "gateway_fqdn": "",
        "id": LNG,
        "location": "eastus",
        "name": "location-1-lng",
        "resource_group_name": "rg-hub",
        "tags": {},
    }


# -- the samples --------------------------------------------------------------------------------------------


def test_spoke_no_remote_gateways_changes_one_flag_and_ignores_the_noise() -> None:
    base = before()
    assert get(base, SPOKE_TO_HUB, VirtualNetworkPeering).use_remote_gateways is True
    _tree, prediction, after = predict("testbed-spoke-no-remote-gateways.tfplan.json")
    assert prediction.gaps == []  # the data source, the no-op hub, tags, the lock's unknown id: no gap
    assert prediction.predicted_state == {}
    peering = get(after, SPOKE_TO_HUB, VirtualNetworkPeering)
    assert peering.use_remote_gateways is False
    assert peering.peering_state == "Connected"  # read-only state stays BEFORE's
    assert (
        peering.remote_address_prefixes
        == get(base, SPOKE_TO_HUB, VirtualNetworkPeering).remote_address_prefixes
    )
    unchanged_except(after, base, SPOKE_TO_HUB)
    assert len(after.by_id) == len(base.by_id)
    assert [c.lower() for c in prediction.changed] == [SPOKE.lower(), SPOKE_TO_HUB.lower()]


@pytest.mark.parametrize(
    "sample",
    ["testbed-spoke-no-remote-gateways.tfplan.json", "testbed-spoke-no-remote-gateways.azapi.tfplan.json"],
)
def test_sample_matches_the_hand_made_overlay(sample: str) -> None:
    _tree, prediction, after = predict(sample)
    assert prediction.gaps == []
    assert_matches_overlay(after)


def test_patched_resource_points_at_the_plan() -> None:
    _tree, _prediction, after = predict("testbed-spoke-no-remote-gateways.tfplan.json")
    plan = read_json(DATA / "testbed-spoke-no-remote-gateways.tfplan.json")
    index = [rc["address"] for rc in plan["resource_changes"]].index(
        "azurerm_virtual_network_peering.spoke_to_hub"
    )
    origin = after.provenance[ArmId(SPOKE_TO_HUB).key]
    assert origin.file.endswith("testbed-spoke-no-remote-gateways.tfplan.json")
    assert origin.path == f"$.resource_changes[{index}].change.after"
    assert after.provenance[ArmId(HUB).key].file.endswith("virtualNetworks.json")


def test_new_spoke_azurerm4_creates_the_pair_route_table_and_association() -> None:
    base = before()
    _tree, prediction, after = predict("new-spoke-azurerm4.tfplan.json")
    assert prediction.gaps == []  # computed ids are resolved through the configuration's references
    vnet = get(after, SPOKE2, VirtualNetwork)
    assert [str(p) for p in vnet.address_prefixes] == ["10.12.30.0/26"]
    assert vnet.location == "eastus"
    subnet = get(after, f"{SPOKE2}/subnets/default", Subnet)
    assert str(subnet.address_prefix) == "10.12.30.0/27"
    rt_id = f"{NET}/routeTables/spoke2-rt"
    assert subnet.route_table_id == ArmId(rt_id)
    table = get(after, rt_id, RouteTable)
    assert table.disable_bgp_route_propagation is True  # bgp_route_propagation_enabled = false, inverted
    assert table.subnet_ids == (ArmId(f"{SPOKE2}/subnets/default"),)
    route = get(after, f"{rt_id}/routes/location-1-via-hub-gateway", Route)
    assert (route.address_prefix, route.next_hop_type, route.next_hop_ip_address) == (
        "10.2.30.0/25",
        "VirtualNetworkGateway",
        None,
    )
    hub_to_spoke2 = get(after, f"{HUB}/virtualNetworkPeerings/hub-to-spoke2", VirtualNetworkPeering)
    assert hub_to_spoke2.remote_vnet_id == ArmId(SPOKE2)  # unknown in the plan, resolved
    assert hub_to_spoke2.allow_gateway_transit is True
    spoke2_to_hub = get(after, f"{SPOKE2}/virtualNetworkPeerings/spoke2-to-hub", VirtualNetworkPeering)
    assert spoke2_to_hub.use_remote_gateways is True
    for p in (hub_to_spoke2, spoke2_to_hub):
        assert (p.peering_state, p.peering_sync_level, p.provisioning_state) == (
            "Connected",
            "FullyInSync",
            "Succeeded",
        )
        assert prediction.predicted_state[str(p.id)]["peeringState"] == "Connected"
    assert [str(x) for x in spoke2_to_hub.remote_address_prefixes or ()] == ["10.10.30.0/24"]
    assert prediction.predicted_state[rt_id]["subnets"] == [{"id": f"{SPOKE2}/subnets/default"}]
    unchanged_except(after, base)
    assert len(after.by_id) == len(base.by_id) + 6


def test_azapi_update_of_a_peering_is_the_only_network_change() -> None:
    _tree, prediction, after = predict("testbed-spoke-no-remote-gateways.azapi.tfplan.json")
    assert [c.lower() for c in prediction.changed] == [SPOKE_TO_HUB.lower()]  # the storage account is ignored
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).use_remote_gateways is False


SECRETS = (
    "Tb-PSK-4f9c2e7a1d0b",
    "Tb-PSK-rotated-88b1e3c6",
    "b4c1d7e2-93aa-4f0e-8c61-0d9a2f3e7b55",
    "er2-md5-Kq7vX2",
)


def test_secrets_are_dropped_and_never_reach_the_tree() -> None:
    raw = (DATA / "testbed-connection-secrets.tfplan.json").read_text()
    assert all(secret in raw for secret in SECRETS)  # the plan carries them in clear text
    base = before()
    tree, prediction, after = predict("testbed-connection-secrets.tfplan.json")
    dumped = json.dumps([e for e in tree.documents if e is not None]) + repr(prediction) + repr(after)
    for secret in SECRETS:
        assert secret not in dumped
    assert get(after, TO_LOCATION_1, Connection).routing_weight == 20
    created = get(
        after,
        f"{SUB}/resourceGroups/rg-remote/providers/Microsoft.Network/connections/remote-er-gw-to-er-2",
        Connection,
    )
    assert created.peer_id == ArmId(ER2)
    assert (created.connection_type, created.enable_bgp, created.routing_weight) == (
        "ExpressRoute",
        False,
        None,
    )
    # the routing weight azurerm leaves to Azure is a named gap, not a guess
    assert gaps(prediction) == [("unknown-until-apply", str(created.id))]
    assert "routing_weight" in prediction.gaps[0].message
    # the circuit peering's only change is its (secret) shared key: nothing routing reads changes
    peering = f"{ER2}/peerings/AzurePrivatePeering"
    assert get(after, peering, ExpressRouteCircuitPeering) == get(base, peering, ExpressRouteCircuitPeering)


def test_replacement_forget_delete_unmapped_type_and_unknown_subscription() -> None:
    base = before()
    _tree, prediction, after = predict("testbed-replace-forget.tfplan.json")
    assert [(g.code, g.resource) for g in sorted(prediction.gaps, key=lambda g: g.code)] == [
        ("unknown-subscription", "azurerm_virtual_network.lab"),
        ("unmapped-resource", "azurerm_virtual_hub.lab"),
    ]
    assert "rg-lab" in next(g.message for g in prediction.gaps if g.code == "unknown-subscription")
    # replaced in place (delete, create): deleting hub-to-spoke moves spoke-to-hub (which the plan
    # forgets, so it stays) to Disconnected, and ARM refuses to create a peering against a
    # Disconnected one: the apply leaves no hub-to-spoke at all
    assert not held(after, HUB_TO_SPOKE)
    assert [(f.resource, f.error) for f in prediction.failures] == [
        (HUB_TO_SPOKE, "RemotePeeringIsDisconnected")
    ]
    spoke_to_hub = get(after, SPOKE_TO_HUB, VirtualNetworkPeering)
    assert spoke_to_hub.peering_state == "Disconnected"
    assert spoke_to_hub.model_copy(update={"peering_state": "Connected"}) == get(
        base, SPOKE_TO_HUB, VirtualNetworkPeering
    )
    # create_before_destroy with a new name: the old connection goes, the new one comes
    assert not held(after, f"{NET}/connections/hub-vpn-gw-to-branch")
    v2 = get(after, f"{NET}/connections/hub-vpn-gw-to-branch-v2", Connection)
    assert (v2.connection_type, v2.routing_weight, v2.enable_bgp) == ("Vnet2Vnet", 10, True)
    assert not held(
        after, f"{SUB}/resourceGroups/rg-remote/providers/Microsoft.Network/connections/remote-er-gw-to-er-1"
    )
    assert not any("lab-vnet" in str(rid) for rid in after.by_id)
    unchanged_except(
        after,
        base,
        HUB_TO_SPOKE,
        SPOKE_TO_HUB,
        f"{NET}/connections/hub-vpn-gw-to-branch",
        f"{SUB}/resourceGroups/rg-remote/providers/Microsoft.Network/connections/remote-er-gw-to-er-1",
    )


def test_subscription_given_places_the_new_resource_group() -> None:
    _tree, prediction, after = predict("testbed-replace-forget.tfplan.json", subscription=SUB_ID)
    assert gaps(prediction) == [("unmapped-resource", "azurerm_virtual_hub.lab")]
    lab = f"{SUB}/resourceGroups/rg-lab/providers/Microsoft.Network/virtualNetworks/lab-vnet"
    assert [str(p) for p in get(after, lab, VirtualNetwork).address_prefixes] == ["10.40.0.0/24"]
    assert str(get(after, f"{lab}/subnets/default", Subnet).address_prefix) == "10.40.0.0/25"
    assert prediction.predicted_state[f"{lab}/subnets/default"] == {"provisioningState": "Succeeded"}


def test_prediction_is_deterministic() -> None:
    first = predict("new-spoke-azurerm4.tfplan.json")
    second = predict("new-spoke-azurerm4.tfplan.json")
    assert json.dumps(first[0].documents, sort_keys=True) == json.dumps(second[0].documents, sort_keys=True)
    assert (first[1].changed, first[1].predicted_state) == (second[1].changed, second[1].predicted_state)


# -- actions and noise -------------------------------------------------------------------------------------


def test_no_op_forget_read_and_data_sources_change_nothing() -> None:
    state = spoke_to_hub_state()
    changed = spoke_to_hub_state(use_remote_gateways=False)
    plan = tfplan(
        change("azurerm_virtual_network_peering.a", ["no-op"], state, changed),
        change("azurerm_virtual_network_peering.b", ["forget"], state, None),
        change("azurerm_virtual_network_peering.c", ["read"], None, changed, mode="data"),
        change("azurerm_virtual_network_peering.d", ["update"], state, changed, mode="data"),
        change("random_id.e", ["create"], None, {"byte_length": 4}, {"id": True}, provider=RANDOM),
        change("azurerm_resource_group.f", ["update"], {"id": f"{SUB}/resourceGroups/rg-hub"}, {"tags": {}}),
    )
    _tree, prediction, after = predict(plan)
    assert prediction.gaps == [] and prediction.changed == []
    assert resources(after) == resources(before())


def test_unknown_actions_and_deferred_changes_are_gaps() -> None:
    plan = tfplan(change("azurerm_virtual_network_peering.a", ["update", "wobble"], spoke_to_hub_state(), {}))
    plan["complete"] = False
    _tree, prediction, _after = predict(plan)
    assert gaps(prediction) == [("unknown-until-apply", "(plan)"), ("unsupported-change", SPOKE_TO_HUB)]


def test_update_of_a_resource_before_does_not_hold() -> None:
    missing = f"{NET}/virtualNetworks/nowhere/virtualNetworkPeerings/p"
    state = {**spoke_to_hub_state(), "id": missing}
    plan = tfplan(
        change(
            "azurerm_virtual_network_peering.a",
            ["update"],
            state,
            {**state, "allow_forwarded_traffic": False},
        ),
        change("azurerm_virtual_network_peering.b", ["delete"], state, None),
    )
    _tree, prediction, _after = predict(plan)
    assert gaps(prediction) == [("unknown-resource", missing), ("unknown-resource", missing)]


def test_deleting_a_peering_disconnects_its_reverse() -> None:
    plan = tfplan(
        change("azurerm_virtual_network_peering.spoke_to_hub", ["delete"], spoke_to_hub_state(), None)
    )
    _tree, prediction, after = predict(plan)
    assert prediction.gaps == []
    assert not held(after, SPOKE_TO_HUB)
    assert get(after, HUB_TO_SPOKE, VirtualNetworkPeering).peering_state == "Disconnected"
    assert prediction.predicted_state == {HUB_TO_SPOKE: {"peeringState": "Disconnected"}}
    assert [c.lower() for c in prediction.changed] == [HUB_TO_SPOKE.lower(), SPOKE_TO_HUB.lower()]


def test_only_what_the_plan_changes_is_patched() -> None:
    # the prior state disagrees with BEFORE on allow_forwarded_traffic, but the plan does not change it
    state = spoke_to_hub_state(allow_forwarded_traffic=False)
    plan = peering_update(state, {"allow_gateway_transit": True, "tags": {"x": "y"}})
    _tree, _prediction, after = predict(plan)
    peering = get(after, SPOKE_TO_HUB, VirtualNetworkPeering)
    assert (peering.allow_gateway_transit, peering.allow_forwarded_traffic) == (True, True)


# -- unknown values, unmapped attributes, sensitive values --------------------------------------------------


def test_unknown_remote_vnet_is_a_gap_and_the_peering_is_left_out() -> None:
    after_values = peering_values("hub-to-x", "hub-vnet", None)
    plan = tfplan(
        change(
            "azurerm_virtual_network_peering.hub_to_x",
            ["create"],
            None,
            after_values,
            {"id": True, "remote_virtual_network_id": True},
        )
    )
    _tree, prediction, after = predict(plan)
    pid = f"{HUB}/virtualNetworkPeerings/hub-to-x"
    assert gaps(prediction) == [("unknown-until-apply", pid), ("unknown-until-apply", pid)]
    assert "remote_virtual_network_id" in prediction.gaps[0].message
    assert not held(after, pid)


def test_a_peering_towards_a_vnet_outside_before_gets_no_state() -> None:
    remote = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-x/providers/Microsoft.Network/virtualNetworks/x"
    values = peering_values("hub-to-x", "hub-vnet", remote)
    _tree, prediction, after = predict(
        tfplan(change("azurerm_virtual_network_peering.hub_to_x", ["create"], None, values, {"id": True}))
    )
    pid = f"{HUB}/virtualNetworkPeerings/hub-to-x"
    assert gaps(prediction) == [("unknown-resource", pid)]
    peering = get(after, pid, VirtualNetworkPeering)
    assert (peering.peering_state, peering.provisioning_state) == (None, "Succeeded")
    assert prediction.predicted_state[pid] == {"provisioningState": "Succeeded"}


def test_a_reference_through_a_module_output_is_not_resolved() -> None:
    plan = tfplan(
        change(
            "azurerm_virtual_network_peering.hub_to_x",
            ["create"],
            None,
            peering_values("hub-to-x", "hub-vnet", None),
            {"id": True, "remote_virtual_network_id": True},
        ),
        resources_config=[
            {
                "address": "azurerm_virtual_network_peering.hub_to_x",
                "mode": "managed",
                "type": "azurerm_virtual_network_peering",
                "name": "hub_to_x",
                "expressions": {
                    "remote_virtual_network_id": {"references": ["module.spoke.vnet_id", "module.spoke"]}
                },
            }
        ],
    )
    _tree, prediction, _after = predict(plan)
    assert ("unknown-until-apply", f"{HUB}/virtualNetworkPeerings/hub-to-x") in gaps(prediction)


def test_unmapped_attributes_are_gaps_ignored_ones_are_not() -> None:
    planned = {"triggers": {"v": "2"}, "tags": {"a": "b"}, "future_routing_switch": True}
    plan = peering_update(spoke_to_hub_state(), planned)
    _tree, prediction, after = predict(plan)
    assert gaps(prediction) == [("unmapped-attribute", SPOKE_TO_HUB)]
    assert "future_routing_switch" in prediction.gaps[0].message
    assert resources(after) == resources(before())


def test_a_sensitive_value_routing_reads_is_a_gap_never_copied() -> None:
    plan = peering_update(
        spoke_to_hub_state(),
        {"use_remote_gateways": False},
        after_sensitive={"use_remote_gateways": True},
    )
    _tree, prediction, after = predict(plan)
    assert gaps(prediction) == [("unmapped-attribute", SPOKE_TO_HUB)]
    assert "sensitive" in prediction.gaps[0].message
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).use_remote_gateways is True


# -- azurerm 3.x / 4.x / 5.x names ---------------------------------------------------------------------------


def route_table_state(**values: Any) -> dict[str, Any]:
    return {
        "id": SPOKE_RT,
        "location": "eastus",
        "name": "spoke-rt",
        "resource_group_name": "rg-hub",
        "route": [],
        "subnets": [SPOKE_SUBNET],
        "tags": {},
        "timeouts": None,
        **values,
    }


@pytest.mark.parametrize(
    ("state", "planned", "disabled"),
    [
        # 4.x: one name, inverted
        ({"bgp_route_propagation_enabled": False}, {"bgp_route_propagation_enabled": True}, False),
        # 3.x before 3.117: the old name only
        ({"disable_bgp_route_propagation": True}, {"disable_bgp_route_propagation": False}, False),
        # 3.117: both names; the one not configured keeps its prior (stale) value in the plan
        (
            {"disable_bgp_route_propagation": True, "bgp_route_propagation_enabled": False},
            {"disable_bgp_route_propagation": False, "bgp_route_propagation_enabled": False},
            False,
        ),
        (
            {"disable_bgp_route_propagation": True, "bgp_route_propagation_enabled": False},
            {"disable_bgp_route_propagation": True, "bgp_route_propagation_enabled": True},
            False,
        ),
    ],
)
def test_route_propagation_under_both_names(
    state: dict[str, Any], planned: dict[str, Any], disabled: bool
) -> None:
    base = before(WITH_ROUTE_TABLE)
    assert get(base, SPOKE_RT, RouteTable).disable_bgp_route_propagation is True
    plan = tfplan(
        change(
            "azurerm_route_table.spoke", ["update"], route_table_state(**state), route_table_state(**planned)
        )
    )
    _tree, prediction, after = predict(plan, WITH_ROUTE_TABLE)
    assert prediction.gaps == []
    assert get(after, SPOKE_RT, RouteTable).disable_bgp_route_propagation is disabled
    assert get(after, SPOKE_RT, RouteTable).subnet_ids == (ArmId(SPOKE_SUBNET),)


def test_route_propagation_names_that_disagree_are_a_gap() -> None:
    plan = tfplan(
        change(
            "azurerm_route_table.new",
            ["create"],
            None,
            {
                **route_table_state(id=None, subnets=None),
                "name": "new-rt",
                "disable_bgp_route_propagation": True,
                "bgp_route_propagation_enabled": True,
            },
            {"id": True, "subnets": True},
        )
    )
    _tree, prediction, after = predict(plan)
    assert gaps(prediction) == [("unmapped-attribute", f"{NET}/routeTables/new-rt")]
    assert get(after, f"{NET}/routeTables/new-rt", RouteTable).disable_bgp_route_propagation is None


def connection_state(**values: Any) -> dict[str, Any]:
    return {
        "connection_protocol": "IKEv2",
        "express_route_gateway_bypass": False,
        "id": TO_LOCATION_1,
        "local_network_gateway_id": LNG,
        "location": "eastus",
        "name": "hub-vpn-gw-to-location-1",
        "resource_group_name": "rg-hub",
        "routing_weight": 0,
        "type": "IPsec",
        "use_policy_based_traffic_selectors": False,
        "virtual_network_gateway_id": HUB_VPN_GW,
        **values,
    }


@pytest.mark.parametrize("name", ["enable_bgp", "bgp_enabled"])
def test_connection_bgp_under_both_names(name: str) -> None:
    plan = tfplan(
        change(
            "azurerm_virtual_network_gateway_connection.a",
            ["update"],
            connection_state(**{name: True}),
            connection_state(**{name: False, "use_policy_based_traffic_selectors": True, "shared_key": "k"}),
        )
    )
    _tree, prediction, after = predict(plan)
    assert prediction.gaps == []
    conn = get(after, TO_LOCATION_1, Connection)
    assert (conn.enable_bgp, conn.use_policy_based_traffic_selectors) == (False, True)


# -- inline child blocks and associations ---------------------------------------------------------------------


def spoke_vnet_state(subnets: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "address_space": ["10.11.30.0/26"],
        "id": SPOKE,
        "location": "eastus",
        "name": "spoke-vnet",
        "resource_group_name": "rg-hub",
        "subnet": subnets,
        "tags": {},
    }


def test_inline_subnets_3x_add_change_and_remove_children_by_name() -> None:
    default = {"address_prefix": "10.11.30.0/27", "id": SPOKE_SUBNET, "name": "default", "security_group": ""}
    apps = {"address_prefix": "10.11.30.32/28", "name": "apps", "security_group": ""}
    before_values = spoke_vnet_state([default])
    plan = tfplan(
        change(
            "azurerm_virtual_network.spoke",
            ["update"],
            before_values,
            spoke_vnet_state([default, apps]),
            {"subnet": [{}, {"id": True}]},
        )
    )
    _tree, prediction, after = predict(plan, WITH_ROUTE_TABLE)
    assert prediction.gaps == []
    new = get(after, f"{SPOKE}/subnets/apps", Subnet)
    assert str(new.address_prefix) == "10.11.30.32/28"
    assert prediction.predicted_state[f"{SPOKE}/subnets/apps"] == {"provisioningState": "Succeeded"}
    # 3.x inline blocks carry no route table: the association stays
    assert get(after, SPOKE_SUBNET, Subnet).route_table_id == ArmId(SPOKE_RT)

    # then the 4.x shape: default shrinks and moves off the route table, apps goes
    state = spoke_vnet_state(
        [
            {
                "address_prefixes": ["10.11.30.0/27"],
                "id": SPOKE_SUBNET,
                "name": "default",
                "route_table_id": SPOKE_RT,
                "security_group": None,
            },
            {
                "address_prefixes": ["10.11.30.32/28"],
                "id": f"{SPOKE}/subnets/apps",
                "name": "apps",
                "route_table_id": None,
                "security_group": None,
            },
        ]
    )
    planned = spoke_vnet_state(
        [
            {
                "address_prefixes": ["10.11.30.0/28", "10.11.30.16/28"],
                "id": SPOKE_SUBNET,
                "name": "default",
                "route_table_id": None,
                "security_group": None,
            }
        ]
    )
    tree = read_source(WITH_ROUTE_TABLE).tree
    apply_terraform_plan(tree, plan, "first.json")
    prediction = apply_terraform_plan(
        tree, tfplan(change("azurerm_virtual_network.spoke", ["update"], state, planned)), "second.json"
    )
    after = snapshot_of(tree)
    subnet = get(after, SPOKE_SUBNET, Subnet)
    assert [str(p) for p in subnet.prefixes] == ["10.11.30.0/28", "10.11.30.16/28"]
    assert subnet.address_prefix is None  # ARM writes several prefixes as addressPrefixes only
    assert subnet.route_table_id is None
    assert not held(after, f"{SPOKE}/subnets/apps")
    assert get(after, SPOKE_RT, RouteTable).subnet_ids == ()
    assert prediction.predicted_state[SPOKE_RT] == {"subnets": []}


def test_inline_subnets_computed_from_separate_resources_are_not_a_gap_configured_ones_are() -> None:
    values = {**spoke_vnet_state([]), "name": "x-vnet", "address_space": ["10.99.0.0/24"]}
    del values["subnet"], values["id"]
    config = {
        "address": "azurerm_virtual_network.x",
        "mode": "managed",
        "type": "azurerm_virtual_network",
        "name": "x",
        "expressions": {"name": {"constant_value": "x-vnet"}},
    }
    computed = tfplan(
        change("azurerm_virtual_network.x", ["create"], None, values, {"id": True, "subnet": True}),
        resources_config=[config],
    )
    _tree, prediction, after = predict(computed)
    assert prediction.gaps == []
    assert held(after, f"{NET}/virtualNetworks/x-vnet")
    configured = copy.deepcopy(computed)
    configured["configuration"]["root_module"]["resources"][0]["expressions"]["subnet"] = [{}]
    _tree, prediction, _after = predict(configured)
    assert gaps(prediction) == [("unknown-until-apply", f"{NET}/virtualNetworks/x-vnet")]


def test_removing_a_route_table_association_updates_both_sides() -> None:
    assoc = {"id": SPOKE_SUBNET, "route_table_id": SPOKE_RT, "subnet_id": SPOKE_SUBNET, "timeouts": None}
    plan = tfplan(change("azurerm_subnet_route_table_association.spoke", ["delete"], assoc, None))
    _tree, prediction, after = predict(plan, WITH_ROUTE_TABLE)
    assert prediction.gaps == []
    assert get(after, SPOKE_SUBNET, Subnet).route_table_id is None
    assert get(after, SPOKE_RT, RouteTable).subnet_ids == ()
    assert sorted(c.lower() for c in prediction.changed) == [SPOKE_RT.lower(), SPOKE_SUBNET.lower()]


def test_a_network_security_group_association_sets_the_subnet_reference() -> None:
    nsg = f"{NET}/networkSecurityGroups/spoke-nsg"
    values = {"network_security_group_id": nsg, "subnet_id": SPOKE_SUBNET, "timeouts": None}
    plan = tfplan(
        change("azurerm_network_security_group.spoke", ["create"], None, {"name": "spoke-nsg"}, {"id": True}),
        change(
            "azurerm_subnet_network_security_group_association.spoke", ["create"], None, values, {"id": True}
        ),
    )
    _tree, prediction, after = predict(plan)
    assert prediction.gaps == []
    assert get(after, SPOKE_SUBNET, Subnet).network_security_group_id == ArmId(nsg)
    assert [c.lower() for c in prediction.changed] == [SPOKE_SUBNET.lower()]


def test_a_wholly_sensitive_block_is_a_gap() -> None:
    state = lng_state()
    planned = {
        **state,
        "bgp_settings": [{"asn": 65099, "bgp_peering_address": "10.2.30.125", "peer_weight": 0}],
    }
    plan = tfplan(
        change(
            "azurerm_local_network_gateway.l1",
            ["update"],
            state,
            planned,
            after_sensitive={"bgp_settings": True},
        )
    )
    _tree, prediction, after = predict(plan)
    assert gaps(prediction) == [("unmapped-attribute", LNG)]
    lng = get(after, LNG, LocalNetworkGateway)
    assert lng.asn == 65021
    assert "65099" not in repr(prediction)


def test_a_new_route_in_an_existing_table_and_a_changed_next_hop() -> None:
    route = {
        "address_prefix": "0.0.0.0/0",
        "name": "default",
        "next_hop_in_ip_address": "10.10.30.4",
        "next_hop_type": "VirtualAppliance",
        "resource_group_name": "rg-hub",
        "route_table_name": "spoke-rt",
    }
    plan = tfplan(change("azurerm_route.default", ["create"], None, route, {"id": True}))
    _tree, prediction, after = predict(plan, WITH_ROUTE_TABLE)
    assert prediction.gaps == []
    created = get(after, f"{SPOKE_RT}/routes/default", Route)
    assert (created.next_hop_type, created.next_hop_ip_address) == ("VirtualAppliance", "10.10.30.4")
    tree = read_source(WITH_ROUTE_TABLE).tree
    apply_terraform_plan(tree, plan, "a.json")
    state = {**route, "id": f"{SPOKE_RT}/routes/default"}
    moved = {**state, "next_hop_type": "VirtualNetworkGateway", "next_hop_in_ip_address": None}
    apply_terraform_plan(tree, tfplan(change("azurerm_route.default", ["update"], state, moved)), "b.json")
    route_after = get(snapshot_of(tree), f"{SPOKE_RT}/routes/default", Route)
    assert (route_after.next_hop_type, route_after.next_hop_ip_address) == ("VirtualNetworkGateway", None)


def test_a_child_whose_parent_is_nowhere_is_left_out() -> None:
    subnet = {
        "address_prefixes": ["10.0.0.0/24"],
        "name": "default",
        "resource_group_name": "rg-hub",
        "virtual_network_name": "nowhere-vnet",
    }
    _tree, prediction, after = predict(
        tfplan(change("azurerm_subnet.x", ["create"], None, subnet, {"id": True}))
    )
    assert gaps(prediction) == [("unknown-resource", f"{NET}/virtualNetworks/nowhere-vnet/subnets/default")]
    assert not held(after, f"{NET}/virtualNetworks/nowhere-vnet/subnets/default")


def test_a_resource_group_in_two_subscriptions_needs_the_subscription() -> None:
    tree = read_source(TESTBED).tree
    other = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-hub/providers/Microsoft.Network"
    tree.documents.append(
        (
            "extra.json",
            {"id": f"{other}/localNetworkGateways/elsewhere", "properties": {"gatewayIpAddress": "1.2.3.4"}},
        )
    )
    lng = {
        "address_space": ["10.9.0.0/24"],
        "bgp_settings": [],
        "gateway_address": "5.6.7.8",
        "gateway_fqdn": None,
        "location": "eastus",
        "name": "new-lng",
        "resource_group_name": "rg-hub",
        "tags": None,
    }
    plan = tfplan(change("azurerm_local_network_gateway.n", ["create"], None, lng, {"id": True}))
    prediction = apply_terraform_plan(tree, plan, "plan.json")
    assert gaps(prediction) == [("unknown-subscription", "azurerm_local_network_gateway.n")]
    assert "2 subscriptions" in prediction.gaps[0].message
    prediction = apply_terraform_plan(tree, plan, "plan.json", subscription=SUB_ID)
    created = get(snapshot_of(tree), f"{NET}/localNetworkGateways/new-lng", LocalNetworkGateway)
    assert ([str(p) for p in created.address_prefixes or ()], created.gateway_ip_address) == (
        ["10.9.0.0/24"],
        "5.6.7.8",
    )
    assert created.bgp_settings is None


# -- gateways, local network gateways, circuits ------------------------------------------------------------------


def gateway_state(**values: Any) -> dict[str, Any]:
    return {
        "active_active": False,
        "bgp_settings": [
            {
                "asn": 65515,
                "peer_weight": 0,
                "peering_addresses": [
                    {
                        "apipa_addresses": [],
                        "default_addresses": ["10.10.30.254"],
                        "ip_configuration_name": "default",
                        "tunnel_ip_addresses": ["52.168.162.84"],
                    }
                ],
            }
        ],
        "enable_bgp": True,
        "generation": "Generation1",
        "id": HUB_VPN_GW,
        "ip_configuration": [
            {
                "name": "default",
                "private_ip_address_allocation": "Dynamic",
                "public_ip_address_id": f"{NET}/publicIPAddresses/hub-vpn-gw-pip",
                "subnet_id": f"{HUB}/subnets/GatewaySubnet",
            }
        ],
        "location": "eastus",
        "name": "hub-vpn-gw",
        "resource_group_name": "rg-hub",
        "sku": "VpnGw1",
        "type": "Vpn",
        "vpn_type": "RouteBased",
        **values,
    }


def test_gateway_update_keeps_what_the_plan_does_not_carry() -> None:
    base = get(before(), HUB_VPN_GW, VirtualNetworkGateway)
    state = gateway_state()
    planned = copy.deepcopy(state)
    planned["bgp_settings"][0]["peer_weight"] = 10
    planned["bgp_settings"][0]["peering_addresses"][0]["apipa_addresses"] = ["169.254.21.1"]
    planned["sku"] = "VpnGw2"
    planned["active_active"] = True
    plan = tfplan(change("azurerm_virtual_network_gateway.hub", ["update"], state, planned))
    _tree, prediction, after = predict(plan)
    assert prediction.gaps == []
    gw = get(after, HUB_VPN_GW, VirtualNetworkGateway)
    assert (gw.sku_name, gw.sku_tier, gw.active_active) == ("VpnGw2", "VpnGw2", True)
    assert gw.bgp_settings is not None and gw.bgp_settings.peer_weight == 10
    assert gw.bgp_settings.addresses == ("10.10.30.254", "169.254.21.1")
    assert gw.bgp_settings.bgp_peering_addresses[0].tunnel_ip_addresses == ("52.168.162.84",)
    assert gw.ip_configurations == base.ip_configurations
    assert gw.enable_bgp is True and gw.vpn_type == "RouteBased"


def test_new_gateway_bgp_addresses_are_known_only_after_apply() -> None:
    values = gateway_state(name="spoke-vpn-gw")
    del values["id"]
    values["bgp_settings"][0]["peering_addresses"][0] = {
        "apipa_addresses": None,
        "ip_configuration_name": "default",
    }
    values["ip_configuration"][0]["subnet_id"] = f"{SPOKE}/subnets/GatewaySubnet"
    unknown = {
        "id": True,
        "bgp_settings": [{"peering_addresses": [{"default_addresses": True, "tunnel_ip_addresses": True}]}],
    }
    plan = tfplan(change("azurerm_virtual_network_gateway.spoke", ["create"], None, values, unknown))
    _tree, prediction, after = predict(plan)
    gw_id = f"{NET}/virtualNetworkGateways/spoke-vpn-gw"
    assert gaps(prediction) == [("unknown-until-apply", gw_id)]
    assert "default_addresses" in prediction.gaps[0].message
    gw = get(after, gw_id, VirtualNetworkGateway)
    assert (gw.gateway_type, gw.provisioning_state, gw.vnet_id) == ("Vpn", "Succeeded", ArmId(SPOKE))


def test_local_network_gateway_prefixes_and_bgp() -> None:
    state = lng_state()
    planned = {**state, "address_space": ["10.2.30.0/25"], "bgp_settings": []}
    _tree, prediction, after = predict(
        tfplan(change("azurerm_local_network_gateway.l1", ["update"], state, planned))
    )
    assert prediction.gaps == []
    lng = get(after, LNG, LocalNetworkGateway)
    assert ([str(p) for p in lng.address_prefixes or ()], lng.bgp_settings, lng.gateway_ip_address) == (
        ["10.2.30.0/25"],
        None,
        "66.198.12.106",
    )


def test_circuit_peering_with_ipv6_and_a_new_circuit_not_yet_provisioned() -> None:
    peering = {
        "azure_asn": 12076,
        "express_route_circuit_name": "er-2",
        "id": f"{ER2}/peerings/AzurePrivatePeering",
        "ipv4_enabled": True,
        "ipv6": [],
        "microsoft_peering_config": [],
        "peer_asn": 65022,
        "peering_type": "AzurePrivatePeering",
        "primary_peer_address_prefix": "192.168.31.16/30",
        "resource_group_name": "rg-expressroute",
        "route_filter_id": "",
        "secondary_peer_address_prefix": "192.168.31.20/30",
        "vlan_id": 310,
    }
    planned = {
        **peering,
        "vlan_id": 311,
        "ipv6": [
            {
                "enabled": True,
                "microsoft_peering": [],
                "primary_peer_address_prefix": "fd00:31::/126",
                "route_filter_id": "",
                "secondary_peer_address_prefix": "fd00:31::4/126",
            }
        ],
    }
    circuit = {
        "allow_classic_operations": False,
        "bandwidth_in_gbps": None,
        "bandwidth_in_mbps": 1000,
        "express_route_port_id": None,
        "location": "eastus",
        "name": "er-3",
        "peering_location": "Chicago",
        "resource_group_name": "rg-expressroute",
        "service_provider_name": "Equinix",
        "sku": [{"family": "MeteredData", "tier": "Standard"}],
        "tags": None,
    }
    plan = tfplan(
        change("azurerm_express_route_circuit_peering.p", ["update"], peering, planned),
        change(
            "azurerm_express_route_circuit.er3",
            ["create"],
            None,
            circuit,
            {"id": True, "service_key": True, "service_provider_provisioning_state": True},
        ),
    )
    _tree, prediction, after = predict(plan)
    er3 = ER2.replace("er-2", "er-3")
    assert gaps(prediction) == [("unknown-until-apply", er3)]
    assert "service_provider_provisioning_state" in prediction.gaps[0].message
    p = get(after, f"{ER2}/peerings/AzurePrivatePeering", ExpressRouteCircuitPeering)
    assert (p.vlan_id, p.carries_ipv6, p.peer_asn, p.azure_asn) == (311, True, 65022, 12076)
    created = get(after, er3, ExpressRouteCircuit)
    assert (created.sku_name, created.peering_location, created.bandwidth_mbps) == (
        "Standard_MeteredData",
        "Chicago",
        1000,
    )
    assert created.service_provider_provisioning_state is None


# -- azapi ---------------------------------------------------------------------------------------------------


def test_azapi_1x_string_body_creates_a_peering_under_its_parent() -> None:
    body = json.dumps(
        {
            "properties": {
                "remoteVirtualNetwork": {"id": SPOKE},
                "allowVirtualNetworkAccess": True,
                "allowGatewayTransit": True,
                "sharedKey": "nope-not-here",
            }
        }
    )
    values = {
        "body": body,
        "name": "hub-to-spoke-b",
        "parent_id": HUB,
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2023-09-01",
    }
    plan = tfplan(
        change("azapi_resource.p", ["create"], None, values, {"id": True, "output": True}, provider=AZAPI)
    )
    tree, prediction, after = predict(plan)
    pid = f"{HUB}/virtualNetworkPeerings/hub-to-spoke-b"
    # hub-to-spoke already references spoke-vnet: ARM refuses a second peering between the two
    assert not held(after, pid)
    assert [(f.resource, f.error) for f in prediction.failures] == [
        (pid, "AnotherPeeringAlreadyReferencesRemoteVnet")
    ]
    assert "nope-not-here" not in json.dumps([e for e in tree.documents if e is not None])
    # towards a VNet the hub is not peered with, the same document is created under its parent
    branch = f"{SUB}/resourceGroups/rg-branch/providers/Microsoft.Network/virtualNetworks/branch-vnet"
    values["body"] = body.replace(SPOKE, branch)
    plan = tfplan(
        change("azapi_resource.p", ["create"], None, values, {"id": True, "output": True}, provider=AZAPI)
    )
    tree, prediction, after = predict(plan)
    peering = get(after, pid, VirtualNetworkPeering)
    assert (peering.remote_vnet_id, peering.allow_gateway_transit, peering.peering_state) == (
        ArmId(branch),
        True,
        "Initiated",  # branch-vnet has no peering back
    )
    assert prediction.predicted_state[pid]["provisioningState"] == "Succeeded"
    assert not prediction.failures
    assert "nope-not-here" not in json.dumps([e for e in tree.documents if e is not None])


def test_azapi_resource_update_patches_what_the_body_changes_and_removes() -> None:
    old = {
        "properties": {
            "allowForwardedTraffic": True,
            "useRemoteGateways": True,
            "remoteVirtualNetwork": {"id": HUB},
        }
    }
    new = {
        "properties": {
            "useRemoteGateways": True,
            "remoteVirtualNetwork": {"id": HUB},
            "allowGatewayTransit": True,
        }
    }
    common = {
        "name": "spoke-to-hub",
        "parent_id": SPOKE,
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2023-09-01",
    }
    plan = tfplan(
        change(
            "azapi_resource.p",
            ["update"],
            {**common, "id": SPOKE_TO_HUB, "body": old},
            {**common, "id": SPOKE_TO_HUB, "body": new},
            provider=AZAPI,
        )
    )
    _tree, prediction, after = predict(plan)
    assert prediction.gaps == []
    peering = get(after, SPOKE_TO_HUB, VirtualNetworkPeering)
    assert (peering.allow_gateway_transit, peering.allow_forwarded_traffic, peering.peering_state) == (
        True,
        None,  # removed from the body
        "Connected",
    )


def test_azapi_resource_update_with_an_unknown_body_value_keeps_befores() -> None:
    common = {
        "id": SPOKE_TO_HUB,
        "name": "spoke-to-hub",
        "parent_id": SPOKE,
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2023-09-01",
    }
    old = {"properties": {"allowForwardedTraffic": True, "remoteVirtualNetwork": {"id": HUB}}}
    new = {"properties": {"allowForwardedTraffic": False, "remoteVirtualNetwork": {}}}
    unknown = {"body": {"properties": {"remoteVirtualNetwork": {"id": True}}}}
    plan = tfplan(
        change(
            "azapi_resource.p",
            ["update"],
            {**common, "body": old},
            {**common, "body": new},
            unknown,
            provider=AZAPI,
        )
    )
    _tree, prediction, after = predict(plan)
    assert gaps(prediction) == [("unknown-until-apply", SPOKE_TO_HUB)]
    peering = get(after, SPOKE_TO_HUB, VirtualNetworkPeering)
    assert (peering.allow_forwarded_traffic, peering.remote_vnet_id) == (False, ArmId(HUB))


def test_azapi_unknown_body_values_are_gaps_and_bad_json_is_bad_input() -> None:
    values = {
        "body": {"properties": {"useRemoteGateways": False}},
        "resource_id": SPOKE_TO_HUB,
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2024-05-01",
    }
    unknown = {"body": {"properties": {"allowGatewayTransit": True}}, "id": True}
    plan = tfplan(change("azapi_update_resource.u", ["create"], None, values, unknown, provider=AZAPI))
    _tree, prediction, after = predict(plan)
    assert gaps(prediction) == [("unknown-until-apply", SPOKE_TO_HUB)]
    assert "body.properties.allowGatewayTransit" in prediction.gaps[0].message
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).use_remote_gateways is False
    broken = tfplan(
        change("azapi_update_resource.u", ["create"], None, {**values, "body": "{nope"}, provider=AZAPI)
    )
    with pytest.raises(InputError) as err:
        predict(broken)
    assert err.value.path == "$.resource_changes[0].change.after.body"


# -- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ([], "$", "expected a Terraform plan JSON object"),
        ({"resource_changes": []}, "$.format_version", "format_version"),
        ({"format_version": "2.0", "resource_changes": []}, "$.format_version", "only major version 1"),
        ({"format_version": "0.2", "resource_changes": []}, "$.format_version", "only major version 1"),
        ({"format_version": 1.2, "resource_changes": []}, "$.format_version", "format_version"),
        ({"format_version": "1.2", "errored": True}, "$.errored", "errored"),
        ({"format_version": "1.2", "resource_changes": {}}, "$.resource_changes", "expected an array"),
        (
            {"format_version": "1.2", "resource_changes": [3]},
            "$.resource_changes[0]",
            "expected a resource change",
        ),
        (
            {
                "format_version": "1.2",
                "resource_changes": [{"address": "a.b", "mode": "managed", "type": "a"}],
            },
            "$.resource_changes[0].name",
            "missing",
        ),
        (
            tfplan({**change("azurerm_subnet.s", ["update"], {}, {}), "change": {"actions": "update"}}),
            "$.resource_changes[0].change.actions",
            "array of action names",
        ),
        (
            tfplan(
                {
                    **change("azurerm_subnet.s", ["update"], {}, {}),
                    "change": {"actions": ["update"], "after": []},
                }
            ),
            "$.resource_changes[0].change.after",
            "expected an object or null",
        ),
        (
            tfplan(
                change(
                    "azurerm_virtual_network_peering.a",
                    ["update"],
                    spoke_to_hub_state(),
                    spoke_to_hub_state(use_remote_gateways="no"),
                )
            ),
            "$.resource_changes[0].change.after.use_remote_gateways",
            "expected a boolean",
        ),
        (
            tfplan(
                change(
                    "azurerm_virtual_network.v",
                    ["update"],
                    spoke_vnet_state([]),
                    {**spoke_vnet_state([]), "address_space": "10.0.0.0/8"},
                )
            ),
            "$.resource_changes[0].change.after.address_space",
            "expected an array of prefixes",
        ),
        (
            tfplan(
                change(
                    "azurerm_route.r",
                    ["create"],
                    None,
                    {
                        "address_prefix": "10.0.0.1/8",
                        "name": "r",
                        "next_hop_type": "None",
                        "resource_group_name": "rg-hub",
                        "route_table_name": "spoke-rt",
                    },
                    {"id": True},
                )
            ),
            "$.resource_changes[0].change.after.properties.addressPrefix",
            "not a valid address prefix",
        ),
    ],
)
def test_malformed_plans_name_the_json_path(document: Any, path: str, words: str) -> None:
    base = WITH_ROUTE_TABLE if "route_table_name" in json.dumps(document) else TESTBED
    with pytest.raises(InputError) as err:
        predict(document, base)
    assert err.value.path == path
    assert words in err.value.message
    assert err.value.file == "plan.json"


# -- the documented table ----------------------------------------------------------------------------------------


def terraform_section() -> str:
    text = (ROOT / "docs" / "pre-change.md").read_text()
    match = re.search(r"^## Terraform plan input\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "docs/pre-change.md has no '## Terraform plan input' section"
    return match.group(1)


def test_every_mapped_and_ignored_attribute_is_documented() -> None:
    section = terraform_section()
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`azurerm_"):
            current = cells[0].strip("`")
            rows.setdefault(current, set()).update(re.findall(r"`([a-z0-9_.]+)`", cells[1]))
            if len(cells) >= 3:
                rows[current].update(re.findall(r"`([a-z0-9_.]+)`", cells[2]))
    missing = [
        f"{type_}.{attr}"
        for type_, spec in SPECS.items()
        for attr in [*spec.mapped, *spec.ignored]
        if attr not in rows.get(type_, set())
    ]
    assert not missing, f"not in the table of docs/pre-change.md: {missing}"
    for type_ in IGNORED_TYPES:
        assert f"`{type_}`" in section, type_


# -- malformed ids (issue 21, item 6) ------------------------------------------------------------------------

DOTDOT_HUB = f"{NET}/virtualNetworks/../virtualNetworks/hub-vnet"


def _peering(actions: list[str], before_values: Any, after_values: Any) -> dict[str, Any]:
    return change("azurerm_virtual_network_peering.a", actions, before_values, after_values, {})


def _new_peering(**values: Any) -> dict[str, Any]:
    return _peering(["create"], None, {**peering_values("hub-to-x", "hub-vnet", SPOKE), **values})


@pytest.mark.parametrize(
    ("plan_change", "path"),
    [
        (
            _peering(["update"], spoke_to_hub_state(id=f"{SPOKE}/./virtualNetworkPeerings/spoke-to-hub"), {}),
            "before.id",
        ),
        (
            _peering(
                ["delete"], spoke_to_hub_state(id=f"{SPOKE}/virtualNetworkPeerings//spoke-to-hub"), None
            ),
            "before.id",
        ),
        (
            _peering(
                ["update"], spoke_to_hub_state(), spoke_to_hub_state(remote_virtual_network_id=DOTDOT_HUB)
            ),
            "after.remote_virtual_network_id",
        ),
        (_new_peering(remote_virtual_network_id=DOTDOT_HUB), "after.remote_virtual_network_id"),
        (_new_peering(id=f"{HUB}/virtualNetworkPeerings/.."), "after.id"),
        (_new_peering(name=".."), "after.name"),
        (_new_peering(virtual_network_name="."), "after.virtual_network_name"),
        (
            change(
                "azurerm_virtual_network.x",
                ["create"],
                None,
                {
                    **spoke_vnet_state([{"address_prefixes": ["10.99.0.0/28"], "name": ".."}]),
                    "name": "x-vnet",
                    "id": None,
                },
                {"id": True},
            ),
            "after.subnet[0].name",
        ),
        (
            change(
                "azurerm_subnet_route_table_association.spoke",
                ["create"],
                None,
                {"route_table_id": SPOKE_RT, "subnet_id": f"{SPOKE}/subnets/../subnets/default"},
                {"id": True},
            ),
            "after.subnet_id",
        ),
        (
            change(
                "azurerm_subnet_route_table_association.spoke",
                ["create"],
                None,
                {"route_table_id": f"{NET}/routeTables//spoke-rt", "subnet_id": SPOKE_SUBNET},
                {"id": True},
            ),
            "after.route_table_id",
        ),
        (
            change(
                "azapi_resource.p",
                ["create"],
                None,
                {
                    "body": {"properties": {"remoteVirtualNetwork": {"id": SPOKE}}},
                    "name": "hub-to-spoke-b",
                    "parent_id": f"{HUB}/..",
                    "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings@2023-09-01",
                },
                {"id": True},
                provider=AZAPI,
            ),
            "after.parent_id",
        ),
        (
            change(
                "azurerm_virtual_network_gateway_connection.c",
                ["update"],
                {"id": TO_LOCATION_1, "ingress_nat_rule_ids": []},
                {"id": TO_LOCATION_1, "ingress_nat_rule_ids": [f"{HUB_VPN_GW}/natRules/./r"]},
            ),
            "after.ingress_nat_rule_ids[0]",
        ),
    ],
)
def test_ids_with_empty_dot_or_dot_dot_segments_name_the_attribute(
    plan_change: dict[str, Any], path: str
) -> None:
    tree = read_source(TESTBED).tree
    with pytest.raises(InputError) as err:
        apply_terraform_plan(tree, tfplan(plan_change), "plan.json")
        snapshot_of(tree)
    assert (err.value.file, err.value.path) == ("plan.json", f"$.resource_changes[0].change.{path}")
    assert "'.' or '..' segment" in err.value.message


def test_malformed_ids_of_types_azroute_does_not_read_are_ignored() -> None:
    vm = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Compute/virtualMachines/../vm"
    plan = tfplan(
        change("azurerm_linux_virtual_machine.vm", ["delete"], {"id": vm}, None),
        change(
            "azapi_resource.sa", ["delete"], {"id": vm, "type": "Microsoft.Compute/virtualMachines@1"}, None
        ),
        change("random_id.x", ["create"], None, {"id": "../.."}, provider=RANDOM),
    )
    _tree, prediction, after = predict(plan)
    assert prediction.gaps == [] and prediction.changed == []
    assert resources(after) == resources(before())


def test_malformed_plan_ids_are_bad_input_for_diff_and_plan(tmp_path: Path) -> None:
    document = read_json(DATA / "testbed-spoke-no-remote-gateways.tfplan.json")
    index = next(i for i, rc in enumerate(document["resource_changes"]) if rc["type"].endswith("_peering"))
    planned = document["resource_changes"][index]["change"]["after"]
    planned["remote_virtual_network_id"] = DOTDOT_HUB
    file = tmp_path / "change.tfplan.json"
    file.write_text(json.dumps(document))
    for args in (["diff", str(TESTBED)], ["plan", str(TESTBED), "--out", str(tmp_path / "after")]):
        result = azroute(*args, "--terraform-plan", str(file))
        assert result.exit_code == 2, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr
        assert f"{file}: $.resource_changes[{index}].change.after.remote_virtual_network_id: " in lines[0]
    assert not (tmp_path / "after").exists()
