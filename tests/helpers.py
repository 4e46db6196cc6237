"""Small fixtures written on the fly, for tests of single behaviours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.writer import write_snapshot

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
NET = f"{SUB}/resourceGroups/rg/providers/Microsoft.Network"


def write_fixture(
    root: Path, arm: dict[str, Any], operations: dict[str, Any] | None = None, **manifest: Any
) -> Path:
    doc = {"format": "azroute-fixture/1", "name": root.name, "source": "hand-written", **manifest}
    return write_snapshot(root, doc, arm, operations, replace=False)


def vnet(
    name: str,
    space: str,
    *,
    subnets: list[dict[str, Any]] | None = None,
    peerings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    props: dict[str, Any] = {"addressSpace": {"addressPrefixes": [space]}}
    if subnets is not None:
        props["subnets"] = subnets
    if peerings is not None:
        props["virtualNetworkPeerings"] = peerings
    return {"id": f"{NET}/virtualNetworks/{name}", "name": name, "properties": props}


def subnet(vnet_name: str, name: str, prefix: str) -> dict[str, Any]:
    return {
        "id": f"{NET}/virtualNetworks/{vnet_name}/subnets/{name}",
        "name": name,
        "properties": {"addressPrefix": prefix},
    }


def peering(vnet_name: str, name: str, remote_id: str, **flags: Any) -> dict[str, Any]:
    return {
        "id": f"{NET}/virtualNetworks/{vnet_name}/virtualNetworkPeerings/{name}",
        "name": name,
        "properties": {"remoteVirtualNetwork": {"id": remote_id}, "peeringState": "Connected", **flags},
    }
