"""Held-out scenarios written from Microsoft's documentation on which azroute is right, where no
other test covers the behaviour: `fixtures/heldout/<name>/` (overlays; see its README)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.cli import azroute
from tests.conftest import FIXTURES

HELDOUT = FIXTURES / "heldout"


@cache
def _json(*args: str) -> Any:
    result = azroute(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    return json.loads(result.stdout)


def pair(name: str, src: str, dst: str) -> dict[str, Any]:
    (found,) = _json("paths", str(HELDOUT / name), "--from", src, "--to", dst)["pairs"]
    assert isinstance(found, dict)
    return found


def kinds(hops: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(h["kind"], h["name"]) for h in hops]


def rules_fired(name: str) -> list[str]:
    report = _json("audit", str(HELDOUT / name), "--fail-on", "never")
    assert report["coverage"]["complete"] is True
    return sorted(f["rule"] for f in report["findings"])


def test_spokes_reach_each_other_through_a_forwarding_hub_appliance() -> None:
    """Peering is not transitive; UDRs to a hub NVA with IP forwarding carry spoke-to-spoke
    traffic both ways (https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview)."""
    for src, dst in (("spoke-vnet", "spoke2-vnet"), ("spoke2-vnet", "spoke-vnet")):
        found = pair("spoke-to-spoke-via-hub-nva", src, dst)
        assert found["reachable"] is True and found["asymmetric"] is False
        assert ("appliance", "10.0.2.4") in kinds(found["forward"])
        assert ("appliance", "10.0.2.4") in kinds(found["return"])
    assert rules_fired("spoke-to-spoke-via-hub-nva") == []


def test_connection_weight_is_considered_before_as_path_length() -> None:
    """'The connection weight is considered before the AS Path length'
    (https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing): the Amsterdam
    circuit, prepended three times but weighted 100, carries Azure's traffic to the data centre,
    which answers over London (its local-preference)."""
    found = pair("er-weight-beats-prepend", "hub-vnet", "datacenter")
    assert ("connection", "hub-er-gw-to-dc-circuit") in kinds(found["forward"])
    assert ("connection", "hub-er-gw-to-dc-circuit-london") in kinds(found["return"])
    assert found["asymmetric"] is True
    assert rules_fired("er-weight-beats-prepend") == []


def test_firewall_on_the_way_out_only_is_asymmetric() -> None:
    """Without a GatewaySubnet route, on-premises traffic to the spoke skips the hub firewall that
    the spoke's 0.0.0.0/0 sends it through (Azure Firewall hybrid tutorial)."""
    found = pair("hub-firewall-no-gateway-udr", "spoke-vnet", "datacenter")
    assert ("appliance", "10.0.3.4") in kinds(found["forward"])
    assert all(kind != "appliance" for kind, _ in kinds(found["return"]))
    assert found["asymmetric"] is True
    assert rules_fired("hub-firewall-no-gateway-udr") == ["ASY002"]


def test_active_active_bgp_over_apipa_learns_the_site_on_both_connections() -> None:
    """BGP over APIPA (custom Azure APIPA addresses, LNGs without address space): the office is
    reached over both connections (https://learn.microsoft.com/azure/vpn-gateway/bgp-howto)."""
    routes = json.dumps(_json("routes", str(HELDOUT / "vpn-active-active-apipa"), "--from", "spoke-vnet"))
    assert "hub-vpn-gw-to-office-2" in routes and "hub-vpn-gw-to-office" in routes
    assert pair("vpn-active-active-apipa", "spoke-vnet", "office")["reachable"] is True
    assert rules_fired("vpn-active-active-apipa") == []


def test_spokes_reach_each_other_through_the_hub_vpn_gateway() -> None:
    """A VPN gateway forwards between VNets peered with its VNet when their user-defined routes
    name it as the next hop (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering,
    "Allow gateway transit"); forwarded traffic need not be allowed for that."""
    for src, dst in (("spoke-vnet", "spoke2-vnet"), ("spoke2-vnet", "spoke-vnet")):
        found = pair("spoke-to-spoke-via-vpn-gateway", src, dst)
        assert found["reachable"] is True and found["asymmetric"] is False
        assert ("gateway", "hub-vpn-gw") in kinds(found["forward"])
        assert ("gateway", "hub-vpn-gw") in kinds(found["return"])
    assert "GWS007" not in rules_fired("spoke-to-spoke-via-vpn-gateway")


def test_a_user_route_to_the_vpn_gateway_reaches_the_office() -> None:
    """Next hop `VirtualNetworkGateway` (a VPN gateway) sends the range to the gateway, which carries
    it over its connection (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview)."""
    found = pair("udr-onprem-to-vpn-gateway", "hub-vnet", "office-lng")
    assert found["reachable"] is True
    assert ("connection", "hub-vpn-gw-to-office") in kinds(found["forward"])


def test_an_overlay_peering_overlapping_vnets_is_a_regression() -> None:
    """Peered VNets must not overlap (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering).
    An overlay is taken as written (docs/pre-change.md), so the peering is predicted and TRN008 makes
    the change a regression; the same change from a what-if or Terraform plan is refused
    (`VnetAddressSpacesOverlap`, tests/test_peering_lifecycle.py)."""
    base = str(FIXTURES / "hub-spoke-transit-ok")
    data = _json("diff", base, "--overlay", str(HELDOUT / "peer-overlapping-vnet"))
    assert data["verdict"]["result"] == "regression"
    assert any(f["rule"] == "TRN008" and f["severity"] == "error" for f in data["findings"]["new"])


def test_the_apipa_design_with_azure_apipa_addresses_is_clean() -> None:
    """Active-active BGP over APIPA with the gateway's Azure APIPA addresses set
    (https://learn.microsoft.com/azure/vpn-gateway/bgp-howto): clean; without them the sessions
    cannot come up (BGP008, scenario `vpn-apipa-without-azure-apipa`)."""
    report = _json("audit", str(HELDOUT / "vpn-active-active-apipa"), "--fail-on", "never")
    assert report["findings"] == [] and report["coverage"]["complete"] is True
    broken = _json(
        "paths", str(FIXTURES / "vpn-apipa-without-azure-apipa"), "--from", "hub-vnet", "--to", "office"
    )
    (found,) = broken["pairs"]
    assert found["reachable"] is False and found["forwardCause"].endswith("/connections/hub-vpn-gw-to-office")


def test_the_vpn_backup_carries_the_site_when_the_private_peering_is_disabled() -> None:
    """A site-to-site VPN as the backup of ExpressRoute private peering
    (https://learn.microsoft.com/azure/expressroute/use-s2s-vpn-as-backup-for-expressroute-privatepeering):
    with the private peering disabled the circuit carries nothing and the VPN carries both ways."""
    found = pair("er-vpn-coexist-failover", "hub-vnet", "datacenter")
    assert found["reachable"] is True and found["asymmetric"] is False
    for way in ("forward", "return"):
        assert ("connection", "hub-vpn-gw-to-dc") in kinds(found[way])
        assert all(kind != "circuit" for kind, _ in kinds(found[way]))
    assert rules_fired("er-vpn-coexist-failover") == ["ERC001"]


def test_gateway_transit_works_over_global_peering() -> None:
    """Gateway transit is supported over global VNet peering as over regional peering
    (https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview)."""
    found = pair("global-peering-gateway-transit", "spoke-vnet", "office-lng")
    assert found["reachable"] is True
    assert ("connection", "hub-vpn-gw-to-office") in kinds(found["forward"])
    assert rules_fired("global-peering-gateway-transit") == []


def test_route_server_transit_needs_the_vpn_gateway_at_asn_65515() -> None:
    """ExpressRoute <-> VPN transit through Route Server needs the VPN gateway active-active with
    ASN 65515 (https://learn.microsoft.com/azure/route-server/expressroute-vpn-support): at 65010
    nothing is exchanged, so Location 1 (ExpressRoute and VPN) and Location 2 (ExpressRoute only)
    stay apart, and ERC004 says so (with 65515, `interop-testbed-route-server`, they meet)."""
    assert pair("route-server-vpn-asn-not-65515", "location-1", "location-2")["status"] == "none"
    assert pair("route-server-vpn-asn-not-65515", "branch-vnet", "location-2")["status"] == "none"
    assert rules_fired("route-server-vpn-asn-not-65515") == ["BGP006", "ERC003", "ERC004"]


def test_a_vpn_site_announcing_an_expressroute_sites_prefix_is_shadowed() -> None:
    """For the same prefix Azure prefers ExpressRoute over VPN
    (https://learn.microsoft.com/azure/expressroute/expressroute-howto-coexist-resource-manager): a
    branch on VPN announcing the data centre's prefix is unreachable from the hub (PRF005, warning)."""
    assert pair("er-and-vpn-sites-same-prefix", "hub-vnet", "branch")["forwardDelivered"] is False
    assert pair("er-and-vpn-sites-same-prefix", "hub-vnet", "datacenter")["reachable"] is True
    report = _json("audit", str(HELDOUT / "er-and-vpn-sites-same-prefix"), "--fail-on", "never")
    assert [(f["rule"], f["severity"]) for f in report["findings"] if f["rule"] == "PRF005"] == [
        ("PRF005", "warning")
    ]


def test_a_vpn_gateway_does_not_readvertise_a_default_route() -> None:
    """A site's 0.0.0.0/0 over BGP forced-tunnels the VNet whose gateway learns it (UDR002), but a
    VPN gateway does not advertise a default route to its other BGP peers
    (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp): TestVNet2, behind
    the VNet-to-VNet BGP connection, keeps the Internet default route."""
    name = str(HELDOUT / "vpn-bgp-default-route-not-readvertised")
    one = [r for r in _json("routes", name, "--from", "TestVNet1")["routes"] if r["prefix"] == "0.0.0.0/0"]
    two = [r for r in _json("routes", name, "--from", "TestVNet2")["routes"] if r["prefix"] == "0.0.0.0/0"]
    assert [(r["nextHopType"], r["selected"]) for r in one if r["selected"]] == [
        ("VirtualNetworkGateway", True)
    ]
    assert [(r["nextHopType"], r["selected"]) for r in two] == [("Internet", True)]
    assert rules_fired("vpn-bgp-default-route-not-readvertised") == ["UDR002"]


def test_deleting_one_side_of_a_peering_loses_the_pair_both_ways() -> None:
    """Microsoft: "If you delete a peering from one virtual network, the peering in the other virtual network
    changes to Disconnected" (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering):
    the hub's side, still written Connected, carries nothing, so the pair is lost both ways and
    TRN006 names the hub's side."""
    base = str(FIXTURES / "hub-spoke-transit-ok")
    data = _json("diff", base, "--overlay", str(HELDOUT / "peering-one-side-deleted"))
    lost = {(p["from"], p["to"]) for p in data["pairs"]["lost"]}
    assert {("hub-vnet", "spoke-vnet"), ("spoke-vnet", "hub-vnet"), ("spoke-vnet", "office-lng")} <= lost
    assert [(f["rule"], f["resources"][0].rsplit("/", 1)[-1]) for f in data["findings"]["new"]] == [
        ("TRN006", "hub-to-spoke")
    ]


def test_a_circuit_with_only_microsoft_peering_carries_no_vnet_traffic() -> None:
    """VNets connect to a circuit through its private peering
    (https://learn.microsoft.com/azure/expressroute/expressroute-circuit-peerings): with only
    Microsoft peering the connection carries nothing (ERC001 names it), and the `customerASN: 0`
    ARM writes when no customer ASN is set is no reserved ASN (no BGP001)."""
    found = pair("er-microsoft-peering-only", "vnet1", "datacenter")
    assert found["status"] == "none"
    report = _json("audit", str(HELDOUT / "er-microsoft-peering-only"), "--fail-on", "never")
    assert [(f["rule"], f["resources"][0].rsplit("/", 1)[-1]) for f in report["findings"]] == [
        ("ERC001", "ERConnection")
    ]


def test_a_vnet_to_vnet_bgp_gateway_gives_transit_to_a_third_vnet() -> None:
    """A VPN gateway advertises the routes it learns from its other BGP sessions
    (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp): vnet2's gateway
    carries vNet1 <-> vnet3 over its two VNet-to-VNet BGP connections."""
    name = str(HELDOUT / "vnet-to-vnet-bgp-transit")
    (route,) = [
        r for r in _json("routes", name, "--from", "vNet1-eastus")["routes"] if r["prefix"] == "10.0.4.0/23"
    ]
    assert route["selected"] is True and route["asPath"] == [65050, 65030]
    found = pair("vnet-to-vnet-bgp-transit", "vNet1-eastus", "vnet3-eastus")
    assert found["reachable"] is True and found["asymmetric"] is False
    assert rules_fired("vnet-to-vnet-bgp-transit") == []


def test_a_disconnected_global_reach_link_joins_nothing() -> None:
    """Global Reach joins two circuits' private peerings once its connection is up
    (https://learn.microsoft.com/azure/expressroute/expressroute-howto-set-global-reach): Disconnected,
    Location 1 and Location 2 stay apart and ERC001 names the link; Connected
    (`interop-testbed-global-reach`) they meet."""
    assert pair("global-reach-disconnected", "location-1", "location-2")["status"] == "none"
    report = _json("audit", str(HELDOUT / "global-reach-disconnected"), "--fail-on", "never")
    assert [f["resources"][0].rsplit("/", 1)[-1] for f in report["findings"] if f["rule"] == "ERC001"] == [
        "er-1-to-er-2"
    ]
