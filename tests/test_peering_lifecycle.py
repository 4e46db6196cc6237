"""Azure's peering lifecycle in predictions (issue 20, item 1): deleting one side of a peering
disconnects the other, ARM refuses a peering against a Disconnected remote peering
(`RemotePeeringIsDisconnected`) and a second peering between the same two VNets
(`AnotherPeeringAlreadyReferencesRemoteVnet`); a refused change is absent after apply, named with
ARM's error, and a regression of `diff`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.ids import ArmId
from auditor.model import VirtualNetworkPeering
from tests.cli import azroute
from tests.predict_helpers import HUB, HUB_TO_SPOKE, SPOKE, SPOKE_TO_HUB, TESTBED, get, held
from tests.test_predict_terraform import (
    change,
    peering_values,
    predict,
    spoke_to_hub_state,
    spoke_vnet_state,
    tfplan,
)

SPOKE_TO_HUB_V2 = f"{SPOKE}/virtualNetworkPeerings/spoke-to-hub-v2"


def hub_to_spoke_state(**changes: Any) -> dict[str, Any]:
    return {
        **peering_values("hub-to-spoke", "hub-vnet", SPOKE, allow_gateway_transit=True),
        "id": HUB_TO_SPOKE,
        **changes,
    }


def replace(state: dict[str, Any], actions: list[str], address: str, **after: Any) -> dict[str, Any]:
    new = {**state, **after}
    new.pop("id")
    return change(address, actions, state, new, {"id": True})


def refused(prediction: Any) -> list[tuple[str, str]]:
    return [(f.resource, f.error) for f in prediction.failures]


def test_replacing_one_side_fails_against_the_disconnected_remote() -> None:
    """`["delete","create"]` on spoke-to-hub (a changed ForceNew attribute): the delete moves
    hub-to-spoke to Disconnected, so the create fails and the spoke is left unpeered."""
    plan = tfplan(replace(spoke_to_hub_state(), ["delete", "create"], "azurerm_virtual_network_peering.s2h"))
    _tree, prediction, after = predict(plan)
    assert refused(prediction) == [(SPOKE_TO_HUB, "RemotePeeringIsDisconnected")]
    assert "hub-to-spoke" in prediction.failures[0].message
    assert not held(after, SPOKE_TO_HUB)
    assert get(after, HUB_TO_SPOKE, VirtualNetworkPeering).peering_state == "Disconnected"


def test_a_rename_created_before_the_old_is_destroyed_is_a_second_peering() -> None:
    """`["create","delete"]` (create_before_destroy) with a new name: while the old peering still
    references the hub the new one is refused; then the old goes and hub-to-spoke disconnects."""
    state = spoke_to_hub_state()
    renamed = replace(
        state, ["create", "delete"], "azurerm_virtual_network_peering.s2h", name="spoke-to-hub-v2"
    )
    _tree, prediction, after = predict(tfplan(renamed))
    assert refused(prediction) == [(SPOKE_TO_HUB_V2, "AnotherPeeringAlreadyReferencesRemoteVnet")]
    assert not held(after, SPOKE_TO_HUB_V2) and not held(after, SPOKE_TO_HUB)
    assert get(after, HUB_TO_SPOKE, VirtualNetworkPeering).peering_state == "Disconnected"


def test_a_new_peering_beside_the_old_one_is_refused() -> None:
    """A plan that creates a second peering from the spoke to the hub and keeps the first."""
    new = change(
        "azurerm_virtual_network_peering.s2h_v2",
        ["create"],
        None,
        peering_values("spoke-to-hub-v2", "spoke-vnet", HUB, use_remote_gateways=True),
        {"id": True},
    )
    _tree, prediction, after = predict(tfplan(new))
    assert refused(prediction) == [(SPOKE_TO_HUB_V2, "AnotherPeeringAlreadyReferencesRemoteVnet")]
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).peering_state == "Connected"


def test_replacing_both_sides_in_one_plan_reconnects() -> None:
    plan = tfplan(
        replace(spoke_to_hub_state(), ["delete", "create"], "azurerm_virtual_network_peering.s2h"),
        replace(hub_to_spoke_state(), ["delete", "create"], "azurerm_virtual_network_peering.h2s"),
    )
    _tree, prediction, after = predict(plan)
    assert refused(prediction) == []
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).peering_state == "Connected"
    assert get(after, HUB_TO_SPOKE, VirtualNetworkPeering).peering_state == "Connected"


def test_creating_against_a_remote_already_disconnected_fails(tmp_path: Path) -> None:
    """BEFORE holds hub-to-spoke Disconnected (spoke-to-hub was deleted earlier): re-creating
    spoke-to-hub alone cannot reconnect; re-creating both sides can."""
    base = _without_spoke_to_hub(tmp_path)
    new = change(
        "azurerm_virtual_network_peering.s2h",
        ["create"],
        None,
        peering_values("spoke-to-hub", "spoke-vnet", HUB, use_remote_gateways=True),
        {"id": True},
    )
    _tree, prediction, after = predict(tfplan(new), base=base)
    assert refused(prediction) == [(SPOKE_TO_HUB, "RemotePeeringIsDisconnected")]
    assert "Disconnected" in prediction.failures[0].message and not held(after, SPOKE_TO_HUB)
    both = tfplan(
        new, replace(hub_to_spoke_state(), ["delete", "create"], "azurerm_virtual_network_peering.h2s")
    )
    _tree, prediction, after = predict(both, base=base)
    assert refused(prediction) == []
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).peering_state == "Connected"


def _without_spoke_to_hub(tmp_path: Path) -> Path:
    """The testbed after spoke-to-hub was deleted: an overlay removing it, hub-to-spoke Disconnected."""
    from auditor.writer import dump_json

    root = tmp_path / "disconnected"
    dump_json(
        root / "fixture.json",
        {
            "format": "azroute-overlay/1",
            "base": str(TESTBED),
            "name": "disconnected",
            "observations": "drop",
            "removeResources": [SPOKE_TO_HUB],
        },
    )
    dump_json(root / "arm" / "h2s.json", {"id": HUB_TO_SPOKE, "properties": {"peeringState": "Disconnected"}})
    return root


def test_diff_names_the_arm_error_and_fails(tmp_path: Path) -> None:
    """Through `azroute diff --terraform-plan`: exit 1, the failure named first, the spoke's pairs
    lost (it is left with no working peering)."""
    plan = tfplan(replace(spoke_to_hub_state(), ["delete", "create"], "azurerm_virtual_network_peering.s2h"))
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan))
    result = azroute("diff", str(TESTBED), "--terraform-plan", str(file), "--format", "json")
    assert result.exit_code == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["predictedFailures"] == 1 and data["summary"]["regression"]
    assert data["after"]["predictedFrom"]["failures"][0]["error"] == "RemotePeeringIsDisconnected"
    lost = {(p["from"], p["to"]) for p in data["pairs"]["lost"]}
    assert ("spoke-vnet", "location-1") in lost and ("hub-vnet", "spoke-vnet") in lost
    text = azroute("diff", str(TESTBED), "--terraform-plan", str(file))
    assert "would fail to apply" in text.stdout and "RemotePeeringIsDisconnected" in text.stdout
    planned = azroute("plan", str(TESTBED), "--terraform-plan", str(file), "--out", str(tmp_path / "out"))
    assert planned.exit_code == 1 and "RemotePeeringIsDisconnected" in planned.stderr


def test_the_markdown_reads_in_ten_seconds(tmp_path: Path, monkeypatch: Any) -> None:
    """The verdict and why first, then what ARM refuses and the resources the plan touches; the plan's
    path relative to the working directory (or its name when outside it)."""
    plan = tfplan(replace(spoke_to_hub_state(), ["delete", "create"], "azurerm_virtual_network_peering.s2h"))
    (tmp_path / "plans").mkdir()
    file = tmp_path / "plans" / "plan.json"
    file.write_text(json.dumps(plan))
    monkeypatch.chdir(tmp_path)
    out = azroute("diff", str(TESTBED), "--terraform-plan", str(file), "--format", "markdown")
    lines = [line for line in out.stdout.splitlines() if line]
    assert lines[1] == "**REGRESSION**"
    assert lines[2].startswith("- ARM would refuse spoke-to-hub: RemotePeeringIsDisconnected")
    assert str(tmp_path) not in out.stdout and "plans/plan.json" in out.stdout
    assert out.stdout.index("Resources the change touches") < out.stdout.index("### New findings")


BRANCH = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-branch/providers/Microsoft.Network/virtualNetworks/branch-vnet"
REMOTE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-remote/providers/Microsoft.Network/virtualNetworks/remote-vnet"


def test_use_remote_gateways_towards_a_vnet_without_a_gateway_is_refused() -> None:
    """hub-to-spoke turned to useRemoteGateways: spoke-vnet has no gateway (RemoteVnetHasNoGateways);
    the update fails and the peering stays as it was."""
    state = hub_to_spoke_state()
    update = change(
        "azurerm_virtual_network_peering.h2s", ["update"], state, {**state, "use_remote_gateways": True}, {}
    )
    _tree, prediction, after = predict(tfplan(update))
    assert refused(prediction) == [(HUB_TO_SPOKE, "RemoteVnetHasNoGateways")]
    assert get(after, HUB_TO_SPOKE, VirtualNetworkPeering).use_remote_gateways is not True


def test_use_remote_gateways_from_a_vnet_with_its_own_gateway_or_twice_is_refused() -> None:
    from_branch = change(
        "azurerm_virtual_network_peering.b2h",
        ["create"],
        None,
        {
            **peering_values("branch-to-hub", "branch-vnet", HUB, use_remote_gateways=True),
            "resource_group_name": "rg-branch",
        },
        {"id": True},
    )
    _tree, prediction, after = predict(tfplan(from_branch))
    assert [(r.rsplit("/", 1)[-1], e) for r, e in refused(prediction)] == [
        ("branch-to-hub", "UseRemoteGatewaysRefused")
    ]
    assert "gateway of its own" in prediction.failures[0].message
    second = change(
        "azurerm_virtual_network_peering.s2r",
        ["create"],
        None,
        peering_values("spoke-to-remote", "spoke-vnet", REMOTE, use_remote_gateways=True),
        {"id": True},
    )
    _tree, prediction, after = predict(tfplan(second))
    assert [(r.rsplit("/", 1)[-1], e) for r, e in refused(prediction)] == [
        ("spoke-to-remote", "UseRemoteGatewaysRefused")
    ]
    assert "already uses remote gateways" in prediction.failures[0].message
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).use_remote_gateways is True


def test_an_address_space_added_to_a_peered_vnet_is_not_routed_until_synced() -> None:
    """spoke-vnet gains a range: hub-to-spoke keeps the space it was synced to
    (LocalNotInSync) and routes nothing to the new range; spoke-to-hub says its remote is not in
    sync. A prediction, not a failed apply."""
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.tables import vnet_table

    base = read_vnet_values()
    update = change(
        "azurerm_virtual_network.spoke",
        ["update"],
        base,
        {**base, "address_space": [*base["address_space"], "10.2.31.0/24"]},
        {},
    )
    _tree, prediction, after = predict(tfplan(update))
    assert not prediction.failures
    hub_to_spoke = get(after, HUB_TO_SPOKE, VirtualNetworkPeering)
    assert hub_to_spoke.peering_sync_level == "LocalNotInSync"
    assert get(after, SPOKE_TO_HUB, VirtualNetworkPeering).peering_sync_level == "RemoteNotInSync"
    hub = after.vnet(ArmId(HUB))
    assert hub is not None
    prefixes = {
        str(r.prefix) for r in vnet_table(ControlPlane(after), hub) if r.next_hop_type == "VNetPeering"
    }
    assert "10.2.31.0/24" not in prefixes and set(base["address_space"]) <= prefixes


def read_vnet_values() -> dict[str, Any]:
    """spoke-vnet as azurerm_virtual_network's state holds it (the testbed's values)."""
    from auditor.fixture import load_fixture

    spoke = load_fixture(TESTBED).vnet(ArmId(SPOKE))
    assert spoke is not None
    return {
        "id": SPOKE,
        "name": "spoke-vnet",
        "resource_group_name": "rg-hub",
        "location": "westeurope",
        "address_space": [str(p) for p in spoke.address_prefixes],
    }


def _new_vnet_peered_with_hub(space: str) -> dict[str, Any]:
    """A plan creating `lab-vnet` (address space `space`) and its peering to the hub."""
    vnet = {**spoke_vnet_state([]), "name": "lab-vnet", "address_space": [space]}
    del vnet["id"]
    return tfplan(
        change("azurerm_virtual_network.lab", ["create"], None, vnet, {"id": True}),
        change(
            "azurerm_virtual_network_peering.lab",
            ["create"],
            None,
            peering_values("lab-to-hub", "lab-vnet", HUB),
            {"id": True},
        ),
    )


def test_peering_vnets_whose_address_spaces_overlap_is_refused() -> None:
    """ARM refuses to peer VNets with overlapping address spaces (`VnetAddressSpacesOverlap`), and
    a VNet overlapping one the remote is already peered with
    (`VnetAddressSpaceOverlapsWithAlreadyPeeredVnet`); a disjoint space is peered
    (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints)."""
    lab = f"{HUB.rsplit('/', 1)[0]}/lab-vnet/virtualNetworkPeerings/lab-to-hub"
    for space, error in (
        ("10.10.30.128/25", "VnetAddressSpacesOverlap"),  # inside hub-vnet's 10.10.30.0/24
        ("10.11.30.0/24", "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet"),  # spoke-vnet's range
        ("10.99.0.0/24", None),
    ):
        _tree, prediction, after = predict(_new_vnet_peered_with_hub(space))
        assert refused(prediction) == ([(lab, error)] if error else []), space
        assert held(after, lab) is (error is None), space
