"""Helpers shared by the tests of the planned-change adapters (what-if, Terraform plan)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from auditor.fixture import load_fixture, read_json, read_source
from auditor.ids import ArmId
from auditor.model import Snapshot
from auditor.model.kinds import MODELLED
from auditor.normalize import SnapshotBuilder
from auditor.predict import RawTree
from tests.conftest import FIXTURES, ROOT

R = TypeVar("R")
DATA = ROOT / "tests" / "data" / "pre-change"  # the sample changes, written against TESTBED
TESTBED = FIXTURES / "interop-testbed"
WITH_ROUTE_TABLE = FIXTURES / "spoke-propagation-off"  # the testbed with spoke-rt on spoke-vnet/default
OVERLAY = DATA / "testbed-spoke-no-remote-gateways.overlay"  # the hand-made AFTER of the spoke samples

# ids of the testbed
SUB_ID = "00000000-0000-0000-0000-000000000000"
SUB = f"/subscriptions/{SUB_ID}"
NET = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network"
HUB = f"{NET}/virtualNetworks/hub-vnet"
SPOKE = f"{NET}/virtualNetworks/spoke-vnet"
SPOKE_TO_HUB = f"{SPOKE}/virtualNetworkPeerings/spoke-to-hub"
HUB_TO_SPOKE = f"{HUB}/virtualNetworkPeerings/hub-to-spoke"
SPOKE_SUBNET = f"{SPOKE}/subnets/default"
SPOKE_RT = f"{NET}/routeTables/spoke-rt"
LNG = f"{NET}/localNetworkGateways/location-1-lng"


def read_change(document: str | dict[str, Any], name: str) -> tuple[Any, str]:
    """(document, file name) of a change: a sample file of DATA by name, or a document written in
    the test (reported as `name`)."""
    if isinstance(document, str):
        file = DATA / document
        return read_json(file), str(file)
    return document, name


def snapshot_of(tree: RawTree) -> Snapshot:
    """Normalize raw documents the way a snapshot on disk is (observations left out)."""
    builder = SnapshotBuilder(origins=tree.origins)
    for entry in tree.documents:
        if entry is not None:
            builder.add_document(entry[1], entry[0])
    return builder.build("predicted")


def before(base: Path = TESTBED) -> Snapshot:
    return snapshot_of(read_source(base).tree)


def resources(snapshot: Snapshot) -> dict[str, tuple[Any, ...]]:
    return {kind.field: getattr(snapshot, kind.field) for kind in MODELLED.values()}


def get(snapshot: Snapshot, rid: str, cls: type[R]) -> R:
    found = snapshot.by_id[ArmId(rid)]
    assert isinstance(found, cls), found
    return found


def held(snapshot: Snapshot, rid: str) -> bool:
    return ArmId(rid) in snapshot.by_id


def assert_matches_overlay(after: Snapshot) -> None:
    """The predicted resources are those of the hand-made overlay, which differ from BEFORE's (so
    the comparison is not trivially true)."""
    predicted = resources(after)
    assert predicted != resources(before())
    assert predicted == resources(load_fixture(OVERLAY))
