"""Small fixtures written on the fly, for tests of single behaviours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
NET = f"{SUB}/resourceGroups/rg/providers/Microsoft.Network"


def write_fixture(
    root: Path, arm: dict[str, Any], operations: dict[str, Any] | None = None, **manifest: Any
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    doc = {"format": "azroute-fixture/1", "name": root.name, "source": "hand-written", **manifest}
    (root / "fixture.json").write_text(json.dumps(doc))
    for rel, body in arm.items():
        path = root / "arm" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body) if not isinstance(body, str) else body)
    for rel, body in (operations or {}).items():
        path = root / "operations" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body) if not isinstance(body, str) else body)
    return root


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
