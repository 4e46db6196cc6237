"""The testbed as shipped is clean; variants of it make each rule fire for the right reason.

These variants show the rules work from configuration (plus `sites`) on a topology other than
their own small scenario, and from observations alone when no site is declared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Editor, audit, by_name

# What the testbed as shipped already reports (see test_testbed_as_shipped).
BASELINE = {"ERC002", "ERC003", "ERC004", "ERC007"}


def fired(root: Path, drift: bool = False) -> dict[str, list[list[str]]]:
    """Findings by rule, beyond the testbed's own. The edits also make the testbed's recorded
    observations stale, so the drift rules (DRF) are left out unless asked for."""
    out: dict[str, list[list[str]]] = {}
    for f in audit(root).findings:
        if f.rule in BASELINE or (f.rule.startswith("DRF") and not drift):
            continue
        out.setdefault(f.rule, []).append([r.name for r in f.resources])
    return out


def test_testbed_as_shipped() -> None:
    """A working design: no error, and what a careful reviewer would still raise (seed-testbed.md):
    ER 1 on one link, the hub-remote hairpin over ER 1, the two sites that need Global Reach, and
    the branch VNet (VPN) and Location 2 (ExpressRoute) that need Route Server to reach each other."""
    result = audit("interop-testbed")
    got = [(f.rule, f.severity.value, [r.name for r in f.resources]) for f in result.findings]
    assert got == [
        ("ERC002", "warning", ["er-1", "AzurePrivatePeering"]),
        ("ERC003", "info", ["er-1", "hub-vnet", "remote-vnet"]),
        ("ERC004", "info", ["hub-vnet", "er-1", "er-2"]),
        ("ERC007", "info", ["hub-vnet"]),
    ]
    assert result.gaps == []


def test_undeclared_preference(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy
    edit("fixture.json", lambda d: d["sites"][0].pop("prefer"))
    assert fired(root) == {"ASY003": [["hub-vnet", "hub-er-gw-to-er-1", "hub-vpn-gw-to-location-1"]]}


def test_site_preferring_vpn(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy
    edit("fixture.json", lambda d: d["sites"][0].__setitem__("prefer", ["Vpn", "ExpressRoute"]))
    assert fired(root) == {"ASY001": [["hub-vnet", "hub-er-gw-to-er-1", "hub-vpn-gw-to-location-1"]]}


def test_more_specific_static_prefix_on_the_vpn(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy

    def narrow(doc: Any) -> None:
        doc["value"][0]["properties"]["localNetworkAddressSpace"]["addressPrefixes"] = ["10.2.30.0/26"]

    edit("arm/localNetworkGateways.json", narrow)
    found = fired(root)
    assert sorted(found) == ["ASY001", "PRF001"]
    (prf,) = [f for f in audit(root).findings if f.rule == "PRF001"]
    ((vpn,),) = [prf.evidence["vpnPrefixes"]]
    assert vpn["prefix"] == "10.2.30.0/26"
    # one model of on-premises routes: what the control plane (and `azroute routes`) holds
    assert {e["origin"] for e in vpn["expressRoutePrefixes"]} == {"site"}
    assert [p.rsplit("/", 1)[-1] for p in prf.evidence["affectedSpokes"]] == ["spoke-vnet"]


def test_more_specific_bgp_route_from_observations_alone(testbed_copy: tuple[Path, Editor]) -> None:
    """No sites declared: ExpressRoute prefixes come from the circuit table and learned routes,
    the VPN's more specific prefix from the VPN gateway's learned routes."""
    root, edit = testbed_copy
    edit("fixture.json", lambda d: d.pop("sites"))

    def add_route(doc: Any) -> None:
        doc["body"]["value"].append(
            {
                "localAddress": "10.10.30.254",
                "network": "10.2.30.64/26",
                "nextHop": "10.2.30.125",
                "sourcePeer": "10.2.30.125",
                "origin": "EBgp",
                "asPath": "65021",
                "weight": 32768,
            }
        )

    edit("operations/getLearnedRoutes/hub-vpn-gw.json", add_route)
    found = fired(root)
    assert found["PRF001"] == [
        ["hub-vnet", "hub-vpn-gw-to-location-1", "location-1-lng", "hub-er-gw-to-er-1", "er-1"]
    ]
    # the site is inferred from ASN 65021 on both the circuit peering and the LNG; its preference is unknown
    assert found["ASY003"] == [["hub-vnet", "hub-er-gw-to-er-1", "hub-vpn-gw-to-location-1"]]
    assert "asn-65021" in next(f.message for f in audit(root).findings if f.rule == "ASY003")


def test_hub_stops_allowing_transit(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy

    def deny(doc: Any) -> None:
        hub = by_name(doc["value"], "hub-vnet")
        hub["properties"]["virtualNetworkPeerings"][0]["properties"]["allowGatewayTransit"] = False

    edit("arm/virtualNetworks.json", deny)
    assert fired(root) == {"TRN001": [["spoke-to-hub", "hub-to-spoke"]]}


def test_reverse_peering_deleted(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy
    edit(
        "arm/virtualNetworks.json",
        lambda d: by_name(d["value"], "hub-vnet")["properties"].pop("virtualNetworkPeerings"),
    )
    assert fired(root) == {"TRN001": [["spoke-to-hub", "hub-vnet"]]}
    (trn,) = [f for f in audit(root).findings if f.rule == "TRN001"]
    assert "no peering back" in trn.message


def test_spoke_not_using_the_hub(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy

    def unuse(doc: Any) -> None:
        spoke = by_name(doc["value"], "spoke-vnet")
        spoke["properties"]["virtualNetworkPeerings"][0]["properties"]["useRemoteGateways"] = False

    edit("arm/virtualNetworks.json", unuse)
    assert fired(root) == {"TRN002": [["spoke-to-hub", "hub-to-spoke"]]}


def test_hub_gateways_failed(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy

    def fail(names: tuple[str, ...]) -> Any:
        def change(doc: Any) -> None:
            for name in names:
                by_name(doc["value"], name)["properties"]["provisioningState"] = "Failed"

        return change

    edit("arm/virtualNetworkGateways.json", fail(("hub-vpn-gw",)))
    assert "TRN003" not in fired(root)  # the ExpressRoute gateway still provides transit
    edit("arm/virtualNetworkGateways.json", fail(("hub-vpn-gw", "hub-er-gw")))
    assert fired(root)["TRN003"] == [["spoke-to-hub", "hub-vnet"]]


def test_expressroute_down_leaves_a_single_path(testbed_copy: tuple[Path, Editor]) -> None:
    root, edit = testbed_copy
    edit("fixture.json", lambda d: d["sites"][0].__setitem__("prefer", ["Vpn", "ExpressRoute"]))
    assert "ASY001" in fired(root)
    edit(
        "arm/connections.json",
        lambda d: by_name(d["value"], "hub-er-gw-to-er-1")["properties"].__setitem__(
            "connectionStatus", "NotConnected"
        ),
    )
    assert fired(root) == {"ERC001": [["hub-er-gw-to-er-1"]]}  # the connection down is itself reported


def test_stale_observations_show_as_drift(testbed_copy: tuple[Path, Editor]) -> None:
    """With transit denied, the spoke's recorded effective routes (gateway routes, the peering to
    the hub) are no longer what the configuration predicts."""
    root, edit = testbed_copy

    def deny(doc: Any) -> None:
        hub = by_name(doc["value"], "hub-vnet")
        hub["properties"]["virtualNetworkPeerings"][0]["properties"]["allowGatewayTransit"] = False

    edit("arm/virtualNetworks.json", deny)
    drift = [
        f
        for f in audit(root).findings
        if f.rule == "DRF002" and f.evidence["vantage"].startswith("spoke-vm-nic")
    ]
    assert {r["prefix"] for f in drift for r in f.evidence["routes"]} == {
        "10.2.30.0/25",
        "10.1.31.0/25",
        "10.17.30.0/24",
        "10.11.30.64/26",
    }
