"""A peering carries traffic only when both of its sides are Connected (Microsoft: the peering is
established once "the Peering status column for both virtual network peerings" shows Connected).
One side Connected and the other Disconnected or Initiated is no route in either direction, not a
one-way path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli import azroute
from tests.conftest import FIXTURES, write_overlay

HUB_TO_SPOKE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/"
    "Microsoft.Network/virtualNetworks/hub-vnet/virtualNetworkPeerings/hub-to-spoke"
)


def _pair(path: Path | str, a: str, b: str) -> dict[str, object]:
    result = azroute("paths", str(path), "--from", a, "--to", b, "--format", "json")
    pairs: list[dict[str, object]] = result.json()["pairs"]
    assert len(pairs) == 1
    return pairs[0]


def test_the_bundled_disconnected_peering_carries_nothing_either_way() -> None:
    # peering-disconnected: the hub's side is Disconnected, the spoke's side still Connected
    for a, b in (("hub-vnet", "spoke-vnet"), ("spoke-vnet", "hub-vnet")):
        pair = _pair(FIXTURES / "peering-disconnected", a, b)
        assert pair["status"] == "none", pair
        assert pair["forward"] == [] and pair["return"] == []


@pytest.mark.parametrize("state", ["Disconnected", "Initiated"])
def test_one_side_not_connected_is_no_route_from_the_connected_side(tmp_path: Path, state: str) -> None:
    overlay = write_overlay(
        tmp_path / "half-peered",
        FIXTURES / "hub-spoke-transit-ok",
        [{"id": HUB_TO_SPOKE, "properties": {"peeringState": state}}],
        observations="drop",
    )
    for a, b in (("hub-vnet", "spoke-vnet"), ("spoke-vnet", "hub-vnet")):
        assert _pair(overlay, a, b)["status"] == "none"


def test_a_peering_without_a_state_is_read_as_arm_sets_it(tmp_path: Path) -> None:
    # documents written by hand or converted from a template carry no peeringState (read-only):
    # both sides present is Connected, as ARM makes it; one side alone is Initiated, no route
    testbed = FIXTURES / "interop-testbed"
    rg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers"
    spoke_to_hub = f"{rg}/Microsoft.Network/virtualNetworks/spoke-vnet/virtualNetworkPeerings/spoke-to-hub"
    hub_to_spoke = f"{rg}/Microsoft.Network/virtualNetworks/hub-vnet/virtualNetworkPeerings/hub-to-spoke"

    def overlay(name: str, documents: list[dict[str, Any]], remove: list[str]) -> Path:
        return write_overlay(tmp_path / name, testbed, documents, observations="drop", removeResources=remove)

    stateless = [{"id": i, "properties": {"peeringState": None}} for i in (spoke_to_hub, hub_to_spoke)]
    both = overlay("both", stateless, [])
    assert (
        _pair(both, "spoke-vnet", "location-1")["status"]
        == _pair(testbed, "spoke-vnet", "location-1")["status"]
    )
    assert _pair(both, "spoke-vnet", "hub-vnet")["status"] == "reachable"
    one = overlay("one", stateless[:1], [hub_to_spoke])
    assert _pair(one, "spoke-vnet", "hub-vnet")["status"] == "none"
    audit = azroute("audit", str(one), "--format", "json").json()
    assert any(f["rule"] == "TRN006" and "Initiated" in f["message"] for f in audit["findings"]), audit[
        "findings"
    ]
