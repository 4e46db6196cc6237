"""The walk is the data plane (issue 18, item 1): what a rule reports as dropping traffic also
ends the walks that cross it, with Microsoft's semantics, and `paths` names it as the cause."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.engine import load_rules, run, select_rules
from auditor.fixture import load_fixture
from auditor.routing.controlplane import ControlPlane
from auditor.routing.paths import (
    APPLIANCE_UNREACHABLE,
    FORWARDED_TRAFFIC,
    GATEWAY_NEXT_HOP_INVALID,
    IP_FORWARDING,
    OWN_ADDRESS_SPACE,
    PEERING_NOT_CONNECTED,
    PathFinder,
    PathPair,
    Walk,
)
from auditor.routing.shared import path_finder
from auditor.routing.walked import EVERY_PAIR, PAIR_CAP
from auditor.routing.withheld import (
    BGP_APIPA,
    BGP_ONE_SIDED,
    BGP_UNSUPPORTED,
    CIRCUIT_NOT_READY,
    NO_BRANCH_TO_BRANCH,
    NO_GATEWAY_TRANSIT,
    NO_TRANSIT_BASIC,
    REMOTE_GATEWAY_MISSING,
)
from tests.conftest import FIXTURES, fixture_names
from tests.test_fidelity import overlay

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network"
NVA_NIC = f"{SUB}/networkInterfaces/nva-nic"
SPOKE_TO_HUB = f"{SUB}/virtualNetworks/spoke-vnet/virtualNetworkPeerings/spoke-to-hub"


def _route(table: str, name: str, prefix: str, hop: str) -> dict[str, Any]:
    return {
        "name": name,
        "id": f"{SUB}/routeTables/{table}/routes/{name}",
        "properties": {"addressPrefix": prefix, "nextHopType": "VirtualAppliance", "nextHopIpAddress": hop},
    }


def _scenario(tmp_path: Path, name: str, patch: dict[str, dict[str, Any]]) -> Path:
    """Scenario `name` (an overlay of the testbed) as a new overlay of the testbed, with the
    properties in `patch` (ARM id -> properties) laid over its documents or added as documents."""
    docs: list[dict[str, Any]] = []
    for file in sorted((FIXTURES / name / "arm").glob("*.json")):
        data = json.loads(file.read_text())
        docs += data["value"] if isinstance(data, dict) and "value" in data else [data]
    for rid, props in patch.items():
        doc = next((d for d in docs if d["id"].lower() == rid.lower()), None)
        if doc is None:
            docs.append({"id": rid, "properties": props})
        else:
            doc.setdefault("properties", {}).update(props)
    return overlay(tmp_path, "interop-testbed", {}, {"docs.json": {"value": docs}})


def _finder(path: Path) -> PathFinder:
    return PathFinder(ControlPlane(load_fixture(path)))


def _spoke_to_location_through_the_nva(tmp_path: Path, forwarding: bool) -> Path:
    """`nva-without-forwarding`, with the spoke sending location-1's prefix to the hub NVA."""
    routes = [
        _route("spoke-rt", "default-via-nva", "0.0.0.0/0", "10.10.30.68"),
        _route("spoke-rt", "location-1-via-nva", "10.2.30.0/25", "10.10.30.68"),
    ]
    patch = {f"{SUB}/routeTables/spoke-rt": {"routes": routes}, NVA_NIC: {"enableIPForwarding": forwarding}}
    return _scenario(tmp_path, "nva-without-forwarding", patch)


def test_an_appliance_without_ip_forwarding_drops_what_it_would_forward(tmp_path: Path) -> None:
    off = _finder(_spoke_to_location_through_the_nva(tmp_path / "off", forwarding=False))
    pair = off.pair("spoke-vnet", "location-1")
    assert not pair.forward.delivered and pair.forward.cause == NVA_NIC
    assert "IP forwarding off" in pair.forward.reason
    assert [h.kind for h in pair.forward.hops][-1] == "appliance"
    assert pair.back.delivered  # the way back does not cross the appliance
    on = _finder(_spoke_to_location_through_the_nva(tmp_path / "on", forwarding=True))
    forward = on.pair("spoke-vnet", "location-1").forward
    assert forward.delivered and forward.cause is None and "appliance" in [h.kind for h in forward.hops]


def test_traffic_addressed_to_the_appliance_itself_is_delivered(tmp_path: Path) -> None:
    finder = _finder(_spoke_to_location_through_the_nva(tmp_path, forwarding=False))
    spoke = finder.network("spoke-vnet")
    walk = finder.walk(spoke, ipaddress.ip_address("10.10.30.68"))
    assert walk.delivered, walk.reason


def _location_to_spoke_through_the_nva(tmp_path: Path, allow: bool | None, nva_on_gateway: bool) -> Path:
    """`nva-forwarding-refused` (spoke-to-hub refuses forwarded traffic), with the hub's
    GatewaySubnet sending the spoke's prefix to the NVA (the firewall-on-GatewaySubnet design)."""
    gateway_subnet = f"{SUB}/virtualNetworks/hub-vnet/subnets/GatewaySubnet"
    patch: dict[str, dict[str, Any]] = {SPOKE_TO_HUB: {"allowForwardedTraffic": allow}}
    if nva_on_gateway:
        patch[f"{SUB}/routeTables/gw-rt"] = {
            "disableBgpRoutePropagation": False,
            "routes": [_route("gw-rt", "spoke-via-nva", "10.11.30.0/26", "10.10.30.68")],
        }
        patch[gateway_subnet] = {"routeTable": {"id": f"{SUB}/routeTables/gw-rt"}}
    return _scenario(tmp_path, "nva-forwarding-refused", patch)


def test_a_peering_that_refuses_forwarded_traffic_drops_what_an_appliance_forwards(tmp_path: Path) -> None:
    refused = _finder(_location_to_spoke_through_the_nva(tmp_path / "refused", False, nva_on_gateway=True))
    back = refused.pair("spoke-vnet", "location-1").back  # location-1 -> spoke, through the NVA
    assert not back.delivered and back.cause == SPOKE_TO_HUB, back.reason
    assert "does not allow forwarded traffic" in back.reason
    allowed = _finder(_location_to_spoke_through_the_nva(tmp_path / "allowed", True, nva_on_gateway=True))
    back = allowed.pair("spoke-vnet", "location-1").back
    assert back.delivered and "appliance" in [h.kind for h in back.hops]


def test_gateway_transit_is_not_forwarded_traffic(tmp_path: Path) -> None:
    """Without an appliance on the way, on-premises traffic enters the spoke from the hub's gateway
    (gateway transit): the spoke's refusal of forwarded traffic does not apply."""
    finder = _finder(_location_to_spoke_through_the_nva(tmp_path, False, nva_on_gateway=False))
    pair = finder.pair("spoke-vnet", "location-1")
    assert pair.back.delivered and pair.back.cause is None
    assert "appliance" not in [h.kind for h in pair.back.hops]


def test_a_walk_records_what_it_assumed_about_its_source(tmp_path: Path) -> None:
    """Walks from one gateway-side state towards one destination share their tail; a tail that
    depended on the source being outside the forwarding VNet records it, and is reused only for
    sources where that holds (`PathFinder._holds`)."""
    finder = _finder(_location_to_spoke_through_the_nva(tmp_path, False, nva_on_gateway=True))
    outside = finder.pair("spoke-vnet", "location-1").back
    assert not outside.delivered and outside.assumptions
    assert all(not inside for _, _, inside in outside.assumptions)


# -- agreement: every pair the walk cuts is listed by the rule that reports its resource ------------

# each walk constraint and the rule whose findings list the walked pairs it cuts (docs/routing.md,
# "Rules and the walk")
CONSTRAINT_RULES = {
    IP_FORWARDING: "TRN009",
    FORWARDED_TRAFFIC: "TRN010",
    OWN_ADDRESS_SPACE: "TRN008",
    APPLIANCE_UNREACHABLE: "UDR003",
    PEERING_NOT_CONNECTED: "TRN006",
    NO_GATEWAY_TRANSIT: "TRN001",
    NO_TRANSIT_BASIC: "TRN007",
    REMOTE_GATEWAY_MISSING: "TRN003",
    CIRCUIT_NOT_READY: "ERC001",
    BGP_ONE_SIDED: "BGP004",
    BGP_APIPA: "BGP008",
    NO_BRANCH_TO_BRANCH: "BGP006",
    BGP_UNSUPPORTED: "BGP007",
    GATEWAY_NEXT_HOP_INVALID: "GWS007",
}


def _agreement(snapshot: Any) -> int:
    """Both ways, on one walk of the snapshot's pairs (the audit's, shared through the snapshot):
    every pair a data-plane rule lists in `evidence.pairs` is cut, in `paths`, at one of the
    finding's resources by the rule's constraint; and every walk a constraint cuts is listed by a
    finding of its rule naming the resource. Returns the number of cut walks."""
    rules = select_rules(load_rules(), sorted(set(CONSTRAINT_RULES.values())))
    findings = [f for f in run(snapshot, rules).findings if "pairs" in f.evidence]
    finder = path_finder(snapshot)
    pairs: dict[tuple[str, str], PathPair] = {}

    def walk(source: str, destination: str) -> Walk:
        if (source, destination) not in pairs:
            pairs[(source, destination)] = finder.pair(source, destination)
        return pairs[(source, destination)].forward

    listed: dict[tuple[str, str, str], int] = {}  # (rule, resource, walk label) -> pairCount
    for finding in findings:
        assert finding.evidence["pairsWalked"] == EVERY_PAIR  # scenarios are small: every pair
        assert len(finding.evidence["pairs"]) == min(finding.evidence["pairCount"], PAIR_CAP)
        for label in finding.evidence["pairs"]:
            source, _, destination = label.partition(" -> ")
            cut = walk(source, destination)
            assert not cut.delivered and cut.cause is not None, (finding.rule, label, cut.reason)
            assert CONSTRAINT_RULES[cut.constraint or ""] == finding.rule, (label, cut.constraint)
            assert cut.cause.lower() in {str(r).lower() for r in finding.resources}, (label, cut.cause)
            # none, or one-way where the direction that breaks is the one the constraint cuts
            status = pairs[(source, destination)].status
            assert status == "none" or (status == "one-way" and pairs[(source, destination)].back.delivered)
            for rid in finding.resources:
                listed[(finding.rule, str(rid).lower(), label)] = finding.evidence["pairCount"]
    counts = {(f.rule, str(r).lower()): f.evidence["pairCount"] for f in findings for r in f.resources}
    cut = 0
    names = finder.networks()
    for a in names:
        for b in names:
            if a == b or not finder.comparable(a, b):
                continue
            forward = walk(a, b)
            if forward.cause is None or pairs[(a, b)].status == "unknown":
                continue  # an unknown pair names the gap it depends on instead (vpn-nat-rule, ...)
            assert forward.constraint in CONSTRAINT_RULES, (a, b, forward.cause, forward.constraint)
            rule, rid = CONSTRAINT_RULES[forward.constraint], forward.cause.lower()
            label = f"{a} -> {b}"
            assert (rule, rid, label) in listed or counts.get((rule, rid), 0) > PAIR_CAP, (label, rule, rid)
            cut += 1
    return cut


@pytest.mark.parametrize("name", fixture_names())
def test_every_walk_cut_by_a_resource_is_listed_by_its_rule(name: str) -> None:
    _agreement(load_fixture(FIXTURES / name))


def test_the_agreement_holds_where_walks_are_cut(tmp_path: Path) -> None:
    assert _agreement(load_fixture(_spoke_to_location_through_the_nva(tmp_path / "a", False))) > 0
    assert _agreement(load_fixture(_location_to_spoke_through_the_nva(tmp_path / "b", False, True))) > 0


def test_a_finding_lists_the_pairs_its_resource_cuts(tmp_path: Path) -> None:
    snapshot = load_fixture(_spoke_to_location_through_the_nva(tmp_path, False))
    trn009 = [f for f in run(snapshot, select_rules(load_rules(), ["TRN009"])).findings]
    by_route = {f.evidence["route"].rsplit("/", 1)[-1]: f.evidence for f in trn009}
    assert by_route["location-1-via-nva"]["pairs"] == ["spoke-vnet -> location-1"]
    assert by_route["location-1-via-nva"]["pairCount"] == 1
    assert by_route["default-via-nva"]["pairs"] == []  # no walked pair takes the default route


def _gateway_subnet_only(tmp_path: Path) -> Path:
    """The hub's GatewaySubnet sends the spoke's prefix to the NVA and the spoke has no route to
    it: on-premises traffic reaches the spoke only as traffic the NVA forwards."""
    patch: dict[str, dict[str, Any]] = {
        SPOKE_TO_HUB: {"allowForwardedTraffic": False},
        f"{SUB}/routeTables/spoke-rt": {"routes": []},
        f"{SUB}/routeTables/gw-rt": {
            "disableBgpRoutePropagation": False,
            "routes": [_route("gw-rt", "spoke-via-nva", "10.11.30.0/26", "10.10.30.68")],
        },
        f"{SUB}/virtualNetworks/hub-vnet/subnets/GatewaySubnet": {
            "routeTable": {"id": f"{SUB}/routeTables/gw-rt"}
        },
    }
    return _scenario(tmp_path, "nva-forwarding-refused", patch)


def test_trn010_reports_the_peering_the_walk_finds_dropping_forwarded_traffic(tmp_path: Path) -> None:
    """An appliance reached only through a GatewaySubnet route: no route of the spoke names it,
    yet the walk finds the spoke's peering dropping what it forwards; TRN010 says so, with the
    direction and the pairs."""
    snapshot = load_fixture(_gateway_subnet_only(tmp_path))
    findings = run(snapshot, select_rules(load_rules(), ["TRN010"])).findings
    assert [str(f.resources[0]) for f in findings] == [SPOKE_TO_HUB]
    evidence = findings[0].evidence
    assert evidence["breaks"] == {"from": "hub-vnet", "into": "spoke-vnet", "forwardedBy": "10.10.30.68"}
    assert "location-1 -> spoke-vnet" in evidence["pairs"] and evidence["pairCount"] >= 1
    assert "forwards into spoke-vnet (traffic from outside hub-vnet)" in findings[0].message
    assert _agreement(snapshot) > 0


def test_an_appliance_in_a_vnet_that_is_not_peered_is_a_dead_end(tmp_path: Path) -> None:
    """A next hop in a VNet of the snapshot that the route's VNet is not peered with: the walk
    ends at the route (UDR003 lists the pair) instead of reaching the appliance."""
    remote_nic_address = "10.17.30.4"  # remote-vnet, not peered with the spoke
    routes = [_route("spoke-rt", "location-1-via-remote", "10.2.30.0/25", remote_nic_address)]
    path = _scenario(tmp_path, "nva-without-forwarding", {f"{SUB}/routeTables/spoke-rt": {"routes": routes}})
    snapshot = load_fixture(path)
    finder = path_finder(snapshot)
    assert finder.subnet_of(ipaddress.ip_address(remote_nic_address)) is not None
    forward = finder.pair("spoke-vnet", "location-1").forward
    assert not forward.delivered and forward.constraint == APPLIANCE_UNREACHABLE, forward.reason
    assert forward.cause is not None and forward.cause.endswith("/location-1-via-remote")
    assert _agreement(snapshot) > 0


@pytest.mark.parametrize(
    ("state", "status"), [("Failed", "unknown"), ("Updating", "unknown"), ("Deleting", "none")]
)
def test_a_gateway_in_transition_carries_nothing_or_makes_its_pairs_unknown(
    tmp_path: Path, state: str, status: str
) -> None:
    """A gateway being created or deleted carries nothing; one whose provisioning Failed or is
    Updating may or may not: its pairs (and its spokes') are unknown, naming the state."""
    gateway = f"{SUB}/virtualNetworkGateways/hub-er-gw"
    path = overlay(
        tmp_path,
        "interop-testbed",
        {},
        {"gw.json": {"id": gateway, "properties": {"provisioningState": state}}},
    )
    finder = _finder(path)
    for source in ("hub-vnet", "spoke-vnet"):
        pair = finder.pair(source, "location-2")  # location-2 is reached over ExpressRoute only
        assert pair.status == status, (source, pair.status, pair.unknown)
        if status == "unknown":
            assert any(f"hub-er-gw is {state}" in why for why in pair.unknown)
    assert finder.pair("hub-vnet", "spoke-vnet").status == "reachable"  # peering needs no gateway


def test_an_address_inside_the_sources_own_space_stays_local(tmp_path: Path) -> None:
    """A spoke grown over an on-premises range: traffic for that range is delivered inside the
    spoke (its system route wins) and never reaches the site; the pair is not reachable and the
    walk names the spoke, which TRN008 reports."""
    spoke = f"{SUB}/virtualNetworks/spoke-vnet"
    grown = {"addressSpace": {"addressPrefixes": ["10.11.30.0/26", "10.1.31.0/25"]}}
    path = overlay(tmp_path, "interop-testbed", {}, {"vnet.json": {"id": spoke, "properties": grown}})
    finder = _finder(path)
    pair = finder.pair("spoke-vnet", "location-2")
    assert not pair.forward.delivered and pair.forward.cause == spoke, pair.forward.reason
    assert "own address space" in pair.forward.reason
    assert pair.status in ("none", "one-way")
    assert _agreement(load_fixture(path)) > 0


def _fastpath(tmp_path: Path, sku: str, udr: bool, direct: bool) -> Path:
    """The testbed with FastPath on hub-er-gw's connection to er-1."""
    er = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-expressroute/providers/Microsoft.Network"
    docs: list[dict[str, Any]] = [
        {"id": f"{SUB}/connections/hub-er-gw-to-er-1", "properties": {"expressRouteGatewayBypass": True}},
        {"id": f"{SUB}/virtualNetworkGateways/hub-er-gw", "properties": {"sku": {"name": sku, "tier": sku}}},
    ]
    if udr:
        docs.append(
            {
                "id": f"{SUB}/routeTables/gw-rt",
                "properties": {"routes": [_route("gw-rt", "spoke-via-nva", "10.11.30.0/26", "10.10.30.68")]},
            }
        )
        docs.append(
            {
                "id": f"{SUB}/virtualNetworks/hub-vnet/subnets/GatewaySubnet",
                "properties": {"routeTable": {"id": f"{SUB}/routeTables/gw-rt"}},
            }
        )
    if direct:
        port = {"id": f"{er}/expressRoutePorts/port-1"}
        docs.append({"id": f"{er}/expressRouteCircuits/er-1", "properties": {"expressRoutePort": port}})
    return overlay(tmp_path, "interop-testbed", {}, {"docs.json": {"value": docs}})


@pytest.mark.parametrize(
    ("sku", "udr", "direct", "gap"),
    [
        ("ErGw3AZ", True, False, True),  # provider circuit, routes on the GatewaySubnet: left open
        ("UltraPerformance", True, False, True),
        ("ErGw3AZ", False, False, False),  # no routes to bypass: the walk is the same either way
        ("ErGw3AZ", True, True, False),  # ExpressRoute Direct: routes over FastPath are honoured
        ("Standard", True, False, False),  # FastPath does not run on this SKU (ERC005)
    ],
)
def test_fastpath_where_the_article_leaves_the_path_open_is_unknown(
    tmp_path: Path, sku: str, udr: bool, direct: bool, gap: bool
) -> None:
    snapshot = load_fixture(_fastpath(tmp_path, sku, udr, direct))
    gaps = [g for g in run(snapshot, load_rules()).gaps if g.feature == "expressroute-fastpath"]
    assert bool(gaps) is gap, gaps
    pair = PathFinder(ControlPlane(snapshot)).pair("hub-vnet", "location-1")
    if gap:
        assert pair.status == "unknown" and any("expressroute-fastpath" in why for why in pair.unknown)
    else:
        assert pair.status != "unknown" or not any("fastpath" in why for why in pair.unknown)


def _virtual_wan_connection(tmp_path: Path, with_hub: bool) -> Path:
    """ "Connect a virtual network gateway to Virtual WAN": hub-vpn-gw connects over BGP to a local
    network gateway standing for a Virtual WAN hub's VPN gateway (ASN 65515, BGP peer in the hub's
    address space), which carries the range of a VNet connected to the hub (10.50.0.0/16)."""
    lng = f"{SUB}/localNetworkGateways/vwan-hub-lng"
    docs: list[dict[str, Any]] = [
        {
            "id": lng,
            "properties": {
                "gatewayIpAddress": "203.0.113.30",
                "localNetworkAddressSpace": {"addressPrefixes": ["10.50.0.0/16"]},
                "bgpSettings": {"asn": 65515, "bgpPeeringAddress": "192.168.0.4", "peerWeight": 0},
            },
        },
        {
            "id": f"{SUB}/connections/hub-vpn-gw-to-vwan-hub",
            "properties": {
                "connectionType": "IPsec",
                "virtualNetworkGateway1": {"id": f"{SUB}/virtualNetworkGateways/hub-vpn-gw"},
                "localNetworkGateway2": {"id": lng},
                "enableBgp": True,
                "connectionStatus": "Connected",
            },
        },
    ]
    if with_hub:
        docs.append(
            {
                "id": f"{SUB}/virtualHubs/vwan-hub",
                "properties": {
                    "addressPrefix": "192.168.0.0/24",
                    "virtualWan": {"id": f"{SUB}/virtualWans/vwan"},
                },
            }
        )
    return overlay(tmp_path, "interop-testbed", {}, {"docs.json": {"value": docs}})


def test_pairs_through_an_unmodelled_virtual_wan_hub_are_unknown(tmp_path: Path) -> None:
    """The pairs whose walk crosses the connection to the hub name `virtual-wan` and are unknown;
    BGP001 accepts ASN 65515 there; without a Virtual WAN in the snapshot the local network
    gateway is an ordinary site (BGP001 fires, the pairs are answered)."""
    snapshot = load_fixture(_virtual_wan_connection(tmp_path / "hub", with_hub=True))
    finder = path_finder(snapshot)
    site = next(v.name for v in finder.plane.sites if any(i.name == "vwan-hub-lng" for i in v.lng_ids))
    pair = finder.pair("hub-vnet", site)
    assert "hub-vpn-gw-to-vwan-hub" in [h.name for h in pair.forward.hops]
    assert pair.status == "unknown" and any("virtual-wan" in why for why in pair.unknown), pair.unknown
    assert finder.pair("hub-vnet", "location-1").status == "reachable"  # not through the hub
    assert "BGP001" not in {f.rule for f in run(snapshot, load_rules()).findings}
    plain = load_fixture(_virtual_wan_connection(tmp_path / "plain", with_hub=False))
    plain_finder = path_finder(plain)
    assert plain_finder.pair("hub-vnet", site).status != "unknown"
    assert "BGP001" in {f.rule for f in run(plain, load_rules()).findings}


# -- control plane: a vantage point without a route names the resource that withholds it ----------


def _withheld_scenario(tmp_path: Path, case: str) -> Path:
    """The testbed with one resource withholding routes: the hub's reverse peering refusing gateway
    transit (TRN001), the hub's gateways being deleted (TRN003), circuit er-2 not provisioned at
    the provider (ERC001)."""
    patch: dict[str, Any]
    if case == "transit":
        hub_to_spoke = f"{SUB}/virtualNetworks/hub-vnet/virtualNetworkPeerings/hub-to-spoke"
        patch = {"id": hub_to_spoke, "properties": {"allowGatewayTransit": False}}
    elif case == "gateways":
        patch = {
            "value": [
                {"id": f"{SUB}/virtualNetworkGateways/{g}", "properties": {"provisioningState": "Deleting"}}
                for g in ("hub-er-gw", "hub-vpn-gw")
            ]
        }
    else:
        er = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-expressroute/providers/Microsoft.Network"
        patch = {
            "id": f"{er}/expressRouteCircuits/er-2",
            "properties": {"serviceProviderProvisioningState": "Provisioning"},
        }
    return overlay(tmp_path, "interop-testbed", {}, {"patch.json": patch})


@pytest.mark.parametrize(
    ("case", "constraint", "rule", "cause", "pair"),
    [
        ("transit", NO_GATEWAY_TRANSIT, "TRN001", SPOKE_TO_HUB, ("spoke-vnet", "location-2")),
        ("gateways", REMOTE_GATEWAY_MISSING, "TRN003", SPOKE_TO_HUB, ("spoke-vnet", "location-2")),
        ("circuit", CIRCUIT_NOT_READY, "ERC001", "/expressRouteCircuits/er-2", ("hub-vnet", "location-2")),
        # scenarios: BGP one-sided on the hub's VPN to location-1 (branch-vnet learned location-1
        # only through the hub's BGP), a Basic hub VPN gateway (no BGP: no VPN-to-VPN transit), a
        # Route Server whose VPN gateway is not active-active (no ExpressRoute <-> VPN transit)
        (
            "bgp-one-sided",
            BGP_ONE_SIDED,
            "BGP004",
            "/hub-vpn-gw-to-location-1",
            ("branch-vnet", "location-1"),
        ),
        ("bgp-on-basic-gateway", BGP_UNSUPPORTED, "BGP007", "/hub-vpn-gw", ("branch-vnet", "location-1")),
        (
            "vpn-apipa-without-azure-apipa",
            BGP_APIPA,
            "BGP008",
            "/hub-vpn-gw-to-office",
            ("spoke-vnet", "office"),
        ),
        (
            "route-server-not-active-active",
            NO_BRANCH_TO_BRANCH,
            "BGP006",
            "/hub-route-server",
            ("location-1", "location-2"),
        ),
    ],
)
def test_a_walk_without_a_route_names_what_withholds_it(
    tmp_path: Path, case: str, constraint: str, rule: str, cause: str, pair: tuple[str, str]
) -> None:
    """Gateway transit refused, a remote without a working gateway, a circuit not provisioned, a
    BGP session that cannot come up, branch-to-branch the VPN gateway cannot use: the route is
    never installed, so the walk finds none; it names the resource the control plane records as
    withholding it, and the rule reporting that resource lists the pair."""
    scenario = FIXTURES / case if (FIXTURES / case).is_dir() else _withheld_scenario(tmp_path, case)
    snapshot = load_fixture(scenario)
    walk = path_finder(snapshot).pair(*pair).forward
    assert not walk.delivered and walk.constraint == constraint, walk.reason
    assert walk.cause is not None and walk.cause.endswith(cause), walk.cause
    findings = run(snapshot, select_rules(load_rules(), [rule])).findings
    listed = {label for f in findings for label in f.evidence.get("pairs", [])}
    assert f"{pair[0]} -> {pair[1]}" in listed
    assert _agreement(snapshot) > 0


def test_a_subnet_that_does_not_propagate_gateway_routes_is_not_cut_by_transit(tmp_path: Path) -> None:
    """A subnet whose route table disables gateway route propagation would hold no gateway route
    with transit either: its walk names nothing (UDR001 reports the table, not TRN001)."""
    hub_to_spoke = f"{SUB}/virtualNetworks/hub-vnet/virtualNetworkPeerings/hub-to-spoke"
    docs = [
        {"id": hub_to_spoke, "properties": {"allowGatewayTransit": False}},
        {
            "id": f"{SUB}/routeTables/spoke-rt",
            "properties": {"disableBgpRoutePropagation": True, "routes": []},
        },
        {
            "id": f"{SUB}/virtualNetworks/spoke-vnet/subnets/default",
            "properties": {"routeTable": {"id": f"{SUB}/routeTables/spoke-rt"}},
        },
    ]
    snapshot = load_fixture(overlay(tmp_path, "interop-testbed", {}, {"docs.json": {"value": docs}}))
    walk = path_finder(snapshot).pair("spoke-vnet", "location-2").forward
    assert not walk.delivered and walk.cause is None, walk.reason
    assert _agreement(snapshot) >= 0
