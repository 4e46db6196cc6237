"""Issue 18, item 6 (rule fixes) and the TRN008 part of item 3: each rule answers what the routing
core answers, and a documented design raises no false error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli import azroute
from tests.conftest import FIXTURES, audit
from tests.test_fidelity import overlay

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network"


def findings(path: Path | str, rule: str) -> list[Any]:
    return [f for f in audit(path).findings if f.rule == rule]


# -- UDR001: a route leads to on-premises by the route tables, not by covering a prefix ----------------


def test_udr001_fires_when_the_only_route_sends_the_default_route_to_the_internet() -> None:
    [found] = findings("spoke-propagation-off-internet", "UDR001")
    assert found.evidence["uncoveredCount"] == 4
    assert set(found.evidence["selected"].values()) == {"Internet by user route default-to-internet"}


def test_udr001_an_appliance_that_routes_on_to_the_gateway_counts() -> None:
    assert not findings("hub-firewall-mirrored", "UDR001")


def _spoke_default_to(next_hop: str) -> dict[str, Any]:
    return {
        "routeTables.json": {
            "id": f"{SUB}/routeTables/spoke-rt",
            "properties": {
                "routes": [
                    {
                        "name": "default-via-fw",
                        "id": f"{SUB}/routeTables/spoke-rt/routes/default-via-fw",
                        "properties": {
                            "addressPrefix": "0.0.0.0/0",
                            "nextHopType": "VirtualAppliance",
                            "nextHopIpAddress": next_hop,
                        },
                    }
                ]
            },
        }
    }


def test_udr001_an_appliance_in_no_subnet_leads_nowhere(tmp_path: Path) -> None:
    root = overlay(tmp_path, "hub-firewall-mirrored", {}, _spoke_default_to("10.0.9.4"))
    [found] = findings(root, "UDR001")
    assert "appliance 10.0.9.4 is in no subnet" in found.message


def test_udr001_an_appliance_without_a_route_onwards_leads_nowhere(tmp_path: Path) -> None:
    # the appliance sits in the hub's default subnet, whose own table disables gateway routes
    table = {
        "name": "hub-default-rt",
        "id": f"{SUB}/routeTables/hub-default-rt",
        "type": "Microsoft.Network/routeTables",
        "location": "eastus",
        "properties": {"disableBgpRoutePropagation": True, "routes": []},
    }
    subnet = {
        "id": f"{SUB}/virtualNetworks/hub-vnet/subnets/default",
        "properties": {"routeTable": {"id": table["id"]}},
    }
    arm = {**_spoke_default_to("10.0.1.4"), "hubDefaultRt.json": table, "hubDefault.json": subnet}
    root = overlay(tmp_path, "hub-firewall-mirrored", {}, arm)
    spoke = [f for f in findings(root, "UDR001") if "spoke-vnet/default" in f.message]
    assert spoke and "appliance 10.0.1.4 sends it to" in spoke[0].message


# -- TRN010: the message names the direction that breaks ----------------------------------------------


def test_trn010_names_the_vnet_whose_peering_refuses_and_the_direction() -> None:
    [found] = findings("nva-forwarding-refused", "TRN010")
    assert found.evidence["breaks"] == {
        "from": "hub-vnet",
        "into": "spoke-vnet",
        "forwardedBy": "10.10.30.68",
    }
    assert "spoke-vnet's peering spoke-to-hub refuses forwarded traffic" in found.message
    assert "in hub-vnet forwards into spoke-vnet (traffic from outside hub-vnet) is dropped" in found.message


# -- TRN008 and vpn-nat-rule: an overlap across a NAT'd connection is the gap's, not an error ----------


def test_the_vpn_gateway_nat_walkthrough_raises_no_error_and_reports_its_gaps() -> None:
    result = audit("designs/learn-vpn-gateway-nat")
    assert not [f for f in result.findings if f.rule == "TRN008"]
    gaps = {g.resource.rsplit("/", 1)[1]: g for g in result.gaps if g.feature == "vpn-nat-rule"}
    assert set(gaps) == {"VNet1GW", "VNet-Branch1", "VNet-Branch2"}
    assert all("TRN008" in g.rules for g in gaps.values())
    for branch in ("Branch1", "Branch2"):
        detail = gaps[f"VNet-{branch}"].detail
        assert f"VNet1 (10.0.1.0/24) with local network gateway {branch} (10.0.1.0/24)" in detail
        assert detail.count("not modelled") == 1  # one gap per connection, its detail naming the overlap


HUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network"
LNG_INSIDE_SPOKE = {  # the patch of scenario overlapping-onprem
    "id": f"{HUB}/localNetworkGateways/location-1-lng",
    "properties": {"localNetworkAddressSpace": {"addressPrefixes": ["10.11.30.0/26"]}},
}


def test_an_overlap_across_a_natted_connection_is_left_to_the_nat_gap(tmp_path: Path) -> None:
    nat = {
        "id": f"{HUB}/connections/hub-vpn-gw-to-location-1",
        "properties": {"ingressNatRules": [{"id": f"{HUB}/virtualNetworkGateways/hub-vpn-gw/natRules/n1"}]},
    }
    plain = overlay(tmp_path / "plain", "interop-testbed", {}, {"lng.json": LNG_INSIDE_SPOKE})
    assert [f.severity.value for f in findings(plain, "TRN008")] == ["error"]
    root = overlay(tmp_path / "nat", "interop-testbed", {}, {"lng.json": LNG_INSIDE_SPOKE, "conn.json": nat})
    result = audit(root)
    assert not [f for f in result.findings if f.rule == "TRN008"]
    [gap] = [g for g in result.gaps if g.feature == "vpn-nat-rule"]
    assert gap.resource == nat["id"] and "TRN008" in gap.rules
    assert (
        "spoke-vnet (10.11.30.0/26) with local network gateway location-1-lng (10.11.30.0/26)" in gap.detail
    )


# -- BGP001: a local network gateway that stands for an Azure gateway may use 65515 --------------------


def _lng_65515(peer: str) -> dict[str, Any]:
    return {
        "id": f"{HUB}/localNetworkGateways/azure-side-lng",
        "name": "azure-side-lng",
        "type": "Microsoft.Network/localNetworkGateways",
        "location": "eastus",
        "properties": {
            "gatewayIpAddress": "203.0.113.40",
            "localNetworkAddressSpace": {"addressPrefixes": []},
            "bgpSettings": {"asn": 65515, "bgpPeeringAddress": peer},
        },
    }


def test_bgp001_accepts_65515_for_a_virtual_wan_hub_gateway() -> None:
    result = audit("vwan-hub-lng-asn-65515")
    assert not [f for f in result.findings if f.rule == "BGP001"]
    assert not [g for g in result.gaps if "BGP001" in g.rules]
    assert [g.feature for g in result.gaps] == ["virtual-wan"]


def test_bgp001_accepts_65515_for_an_azure_vpn_gateway_in_the_snapshot(tmp_path: Path) -> None:
    root = overlay(tmp_path, "interop-testbed", {}, {"lng.json": _lng_65515("10.10.30.254")})  # hub-vpn-gw's
    assert not findings(root, "BGP001")


def test_bgp001_65515_still_fires_for_an_on_premises_device(tmp_path: Path) -> None:
    root = overlay(tmp_path, "interop-testbed", {}, {"lng.json": _lng_65515("172.16.0.1")})
    assert [f.resources[0].name for f in findings(root, "BGP001")] == ["azure-side-lng"]


def test_bgp001_65515_towards_a_hub_that_is_not_collected_is_a_gap(tmp_path: Path) -> None:
    hub = {  # another hub of the Virtual WAN is collected, not the one the LNG stands for
        "id": f"{HUB}/virtualHubs/other-hub",
        "name": "other-hub",
        "type": "Microsoft.Network/virtualHubs",
        "location": "eastus",
        "properties": {"addressPrefix": "192.168.9.0/24", "virtualWan": {"id": f"{HUB}/virtualWans/vwan"}},
    }
    root = overlay(tmp_path, "interop-testbed", {}, {"lng.json": _lng_65515("192.168.0.4"), "hub.json": hub})
    result = audit(root)
    assert not [f for f in result.findings if f.rule == "BGP001"]
    [gap] = [g for g in result.gaps if "BGP001" in g.rules]
    assert gap.resource.endswith("/azure-side-lng") and "Virtual WAN hub that is not collected" in gap.detail


# -- PRF003: a declared site without links gets its per-link prefixes from observations ---------------


def test_prf003_a_declared_site_without_links_uses_the_observed_per_link_prefixes() -> None:
    [found] = findings("vpn-backup-gap-observed", "PRF003")
    assert found.evidence == {"site": "location-1", "missingOnVpn": ["10.2.31.0/25"]}


def test_diff_says_prf003_is_evaluated_only_where_links_are_declared() -> None:

    before, after = (str(FIXTURES / n) for n in ("interop-testbed", "vpn-backup-gap-observed"))
    result = azroute("diff", before, after, "--format", "json")
    data = json.loads(result.stdout)
    assert "PRF003" in data["summary"]["rulesPartlyEvaluated"]
    assert "declare `links`" in data["summary"]["rulesPartlyEvaluated"]["PRF003"]
    assert not [f for f in data["findings"]["new"] if f["rule"] == "PRF003"]  # configuration only
    text = azroute("diff", before, after).stdout
    assert "PRF003 is evaluated only where sites declare `links`" in text
