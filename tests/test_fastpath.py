"""ExpressRoute FastPath on the data path (issue 18, item 5): on-premises traffic to the hub VNet
skips the gateway on every circuit, to peered VNets only over ExpressRoute Direct; `paths` marks
the bypassed gateway; a gateway SKU FastPath does not run on changes nothing (ERC005)."""

from __future__ import annotations

from pathlib import Path

from auditor.fixture import load_fixture
from auditor.routing.controlplane import ControlPlane
from auditor.routing.paths import PathFinder
from auditor.writer import dump_json
from tests.conftest import FIXTURES

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
GW = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworkGateways/hub-er-gw"
CONN = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/connections/hub-er-gw-to-er-1"
ER1 = f"{SUB}/resourceGroups/rg-expressroute/providers/Microsoft.Network/expressRouteCircuits/er-1"


def overlay(tmp_path: Path, sku: str, direct: bool) -> Path:
    root = tmp_path / f"fastpath-{sku}-{direct}"
    dump_json(root / "fixture.json", {"format": "azroute-overlay/1", "base": str(FIXTURES / "interop-testbed"),
                                      "name": root.name, "observations": "drop"})  # fmt: skip
    dump_json(root / "arm" / "gw.json", {"id": GW, "properties": {"sku": {"name": sku, "tier": sku}}})
    dump_json(root / "arm" / "conn.json", {"id": CONN, "properties": {"expressRouteGatewayBypass": True}})
    if direct:
        port = f"{SUB}/resourceGroups/rg-expressroute/providers/Microsoft.Network/expressRoutePorts/port-1"
        dump_json(root / "arm" / "er1.json", {"id": ER1, "properties": {"expressRoutePort": {"id": port}}})
    return root


def gateway_notes(path: Path, source: str, destination: str) -> list[str | None]:
    finder = PathFinder(ControlPlane(load_fixture(path)))
    walk = finder.pair(source, destination).forward
    return [h.note for h in walk.hops if h.kind == "gateway"]


def test_fastpath_bypasses_the_gateway_towards_the_hub_on_every_circuit(tmp_path: Path) -> None:
    provider = overlay(tmp_path, "UltraPerformance", direct=False)
    assert any(n and "FastPath" in n for n in gateway_notes(provider, "location-1", "hub-vnet"))
    # a peered VNet over a provider circuit: through the gateway
    assert not any(n and "FastPath" in n for n in gateway_notes(provider, "location-1", "spoke-vnet"))
    # over ExpressRoute Direct, peered VNets too
    direct = overlay(tmp_path, "UltraPerformance", direct=True)
    assert any(n and "FastPath" in n for n in gateway_notes(direct, "location-1", "spoke-vnet"))
    # a SKU FastPath does not run on: the gateway carries the traffic (ERC005 says so)
    standard = overlay(tmp_path, "Standard", direct=True)
    assert not any(n and "FastPath" in n for n in gateway_notes(standard, "location-1", "hub-vnet"))
