"""Right on real designs: documented configurations raise no false alarm, unmodelled features are gaps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.engine import load_rules, run
from auditor.errors import InputError
from auditor.fixture import load_fixture
from auditor.routing.controlplane import ControlPlane
from auditor.routing.onprem import onprem_routes
from auditor.routing.paths import PathFinder
from auditor.routing.tables import vnet_table
from auditor.routing.views import vantage_rows
from auditor.writer import dump_json
from tests.cli import azroute
from tests.conftest import FIXTURES, audit, fixture_names

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups"


def rules_of(name: str) -> dict[str, set[str]]:
    """rule -> severities it raised."""
    found: dict[str, set[str]] = {}
    for f in audit(name).findings:
        found.setdefault(f.rule, set()).add(f.severity.value)
    return found


def finder(name: str) -> PathFinder:
    return PathFinder(ControlPlane(load_fixture(FIXTURES / name)))


def overlay(tmp_path: Path, base: str, manifest: dict[str, Any], arm: dict[str, Any] | None = None) -> Path:
    """A throw-away overlay on a bundled base (the base is copied next to it)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FIXTURES / base, tmp_path / base)
    root = tmp_path / "o"
    head = {"format": "azroute-overlay/1", "base": f"../{base}", "name": "o", "observations": "drop"}
    dump_json(root / "fixture.json", {**head, **manifest})
    for rel, doc in (arm or {}).items():
        dump_json(root / "arm" / rel, doc)
    return root


# -- 1. summaries and default routes from on-premises ------------------------------------------------


@pytest.mark.parametrize("name", ["onprem-summary-route", "onprem-default-route"])
def test_summary_and_default_routes_are_not_overlaps(name: str) -> None:
    assert "TRN008" not in rules_of(name)


def test_a_site_prefix_inside_a_vnet_is_an_overlap() -> None:
    assert rules_of("overlapping-onprem")["TRN008"] == {"error"}


def test_paths_deliver_vnet_traffic_at_the_vnet_not_at_the_summarising_site() -> None:
    paths = finder("onprem-summary-route")
    for vnet in ("hub-vnet", "spoke-vnet"):
        pair = paths.pair("location-1", vnet)
        assert pair.reachable and not pair.asymmetric, (vnet, pair.forward.hops, pair.back.hops)
        assert pair.forward.hops[-1].kind == "vnet" and pair.back.hops[-1].name == "location-1"
    # the site's own address lies in its summary but outside every VNet
    assert (
        paths.network("location-1").address
        not in load_fixture(FIXTURES / "onprem-summary-route").vnets[0].address_prefixes[0]
    )


# -- 2. the BGP peer's /32 in a local network gateway -----------------------------------------------


def test_bgp_peer_host_route_is_no_preference_or_symmetry_problem() -> None:
    assert not {"PRF001", "ASY001"} & set(rules_of("vpn-bgp-peer-host-route"))
    assert {"PRF001", "ASY001"} <= set(rules_of("vpn-static-host-route"))


# -- 3. one model of on-premises routes ----------------------------------------------------------------


def test_prf001_reasons_about_the_routes_that_routes_shows() -> None:
    snapshot = load_fixture(FIXTURES / "er-vpn-vpn-more-specific")
    plane = ControlPlane(snapshot)
    (finding,) = [f for f in run(snapshot, load_rules()).findings if f.rule == "PRF001"]
    hub = next(v for v in snapshot.vnets if v.display_name == "hub-vnet")
    shown = {(str(r.prefix), r.via.name if r.via else None) for r in vnet_table(plane, hub) if r.selected}
    prefix = finding.evidence["vpnPrefixes"][0]["prefix"]
    assert (prefix, finding.resources[1].name) in shown
    assert {str(r.prefix) for r in onprem_routes(plane)} >= {prefix}


# -- 4. AS-path prepending and per-link preference -------------------------------------------------------


def test_prepended_backup_circuit_is_neither_ecmp_nor_asymmetric() -> None:
    found = rules_of("expressroute-backup-prepended")
    assert "PRF004" not in found and not any(r.startswith(("DRF", "ASY00")) for r in found if r != "ASY003")
    paths = finder("expressroute-backup-prepended")
    pair = paths.pair("hub-vnet", "datacenter")
    assert pair.reachable and not pair.asymmetric
    assert [h.name for h in pair.forward.hops if h.kind == "circuit"] == ["dc-circuit"]


def test_prepending_is_inferred_from_observations_and_listed() -> None:
    assert not any(r.startswith("DRF") for r in rules_of("expressroute-prepend-observed"))
    out = azroute("inventory", str(FIXTURES / "expressroute-prepend-observed"), "-f", "json")
    assert out.exit_code == 0, out.stderr
    (site,) = [s for s in json.loads(out.stdout)["siteDetails"] if s["name"] == "location-1"]
    assert site["links"] == [
        {
            "circuit": "er-1",
            "asPathPrepend": 2,
            "inferred": True,
            "from": "operations/routeTables/er-1-primary.json",
        }
    ]


def test_declared_links_disagreeing_with_observations_is_drift_with_the_explanation() -> None:
    drift = [f for f in audit("expressroute-prepend-drift").findings if f.rule in ("DRF001", "DRF002")]
    assert {f.rule for f in drift} == {"DRF001", "DRF002"}
    assert all(
        r["explainedBy"] == {"site": "location-1", "circuit": "er-1", "asPathPrepend": 2}
        for f in drift
        for r in f.evidence["routes"]
    )


def test_prefer_and_local_preference_together_are_an_error(tmp_path: Path) -> None:
    site = {
        "name": "dc",
        "asn": 65010,
        "prefixes": ["10.2.0.0/16"],
        "prefer": ["ExpressRoute"],
        "links": [{"circuit": "dc-circuit", "localPreference": 200}],
    }
    root = overlay(tmp_path, "er-vpn-equal-prefixes", {"sites": [site]})
    with pytest.raises(InputError) as err:
        load_fixture(root)
    assert err.value.path == "$.sites[0].links[0].localPreference"


# -- 5. VPN gateways advertise connected local network gateways' prefixes -------------------------------


def test_bgp_site_learns_a_static_branch() -> None:
    plane = ControlPlane(load_fixture(FIXTURES / "vpn-static-branch-advertised"))
    _, rows = vantage_rows(plane, "location-1")
    assert any(r["prefix"] == "192.168.50.0/24" and r["selected"] for r in rows)
    assert not any(r.startswith("DRF") for r in rules_of("vpn-static-branch-advertised"))


# -- 6. ECMP over two connections to one site ------------------------------------------------------------


def test_active_active_two_devices_use_both_connections() -> None:
    plane = ControlPlane(load_fixture(FIXTURES / "vpn-active-active-two-devices"))
    _, rows = vantage_rows(plane, "spoke-vnet")
    chosen = {r["via"] for r in rows if r["prefix"] == "192.168.0.0/16" and r["selected"]}
    assert chosen == {"hub-vpn-gw-to-office", "hub-vpn-gw-to-office-2"}
    _, gateway = vantage_rows(plane, "hub-vpn-gw")
    learned = {(r["via"], r["instance"]) for r in gateway if r["prefix"] == "192.168.0.0/16"}
    assert learned == {
        (conn, instance)
        for conn in ("hub-vpn-gw-to-office", "hub-vpn-gw-to-office-2")
        for instance in ("10.0.255.4", "10.0.255.5")
    }


# -- 7. PRF002 by peering location ---------------------------------------------------------------------------


def test_prf002_uses_the_peering_location_and_says_unknown_when_it_must(tmp_path: Path) -> None:
    er2 = f"{SUB}/rg-expressroute/providers/Microsoft.Network/expressRouteCircuits/er-2"
    conn = f"{SUB}/rg-hub/providers/Microsoft.Network/connections/hub-er-gw-to-er-2"
    root = overlay(
        tmp_path,
        "interop-testbed",
        {},
        {
            "c.json": {"value": [{"id": conn, "properties": {"routingWeight": 100}}]},
            "er.json": {
                "id": er2,
                "properties": {"serviceProviderProperties": {"peeringLocation": "Atlantis"}},
            },
        },
    )
    result = run(load_fixture(root), load_rules())
    assert "PRF002" not in {f.rule for f in result.findings}
    assert any(
        g.kind == "not-evaluated" and "Atlantis" in g.detail and "PRF002" in g.rules for g in result.gaps
    )


def test_prf002_reads_the_expressroute_direct_port(tmp_path: Path) -> None:
    net = f"{SUB}/rg-expressroute/providers/Microsoft.Network"
    port = {
        "id": f"{net}/expressRoutePorts/port-1",
        "name": "port-1",
        "properties": {"peeringLocation": "Washington DC"},
    }
    conns = [
        {
            "id": f"{SUB}/rg-hub/providers/Microsoft.Network/connections/hub-er-gw-to-er-2",
            "properties": {"routingWeight": 100},
        }
    ]
    on_port = {
        "id": f"{net}/expressRouteCircuits/er-2",
        "properties": {"expressRoutePort": {"id": port["id"]}},
    }
    # er-2's provider location is Seattle (remote for East US): weighted above er-1, PRF002 fires ...
    weighted = overlay(tmp_path / "a", "interop-testbed", {}, {"c.json": {"value": conns}})
    assert "PRF002" in {f.rule for f in run(load_fixture(weighted), load_rules()).findings}
    # ... but on an ExpressRoute Direct port in Washington DC it is local too: nothing to say
    direct = overlay(
        tmp_path / "b",
        "interop-testbed",
        {},
        {"p.json": port, "er.json": on_port, "c.json": {"value": conns}},
    )
    assert "PRF002" not in {f.rule for f in run(load_fixture(direct), load_rules()).findings}


# -- 8-10. new rules and severities ------------------------------------------------------------------------------


def test_circuit_linked_through_a_redeemed_authorization_is_a_gap(tmp_path: Path) -> None:
    er2 = f"{SUB}/rg-expressroute/providers/Microsoft.Network/expressRouteCircuits/er-2"
    auth = {"name": "partner", "properties": {"authorizationUseStatus": "InUse"}}
    root = overlay(
        tmp_path,
        "interop-testbed",
        {"removeResources": [f"{SUB}/rg-hub/providers/Microsoft.Network/connections/hub-er-gw-to-er-2"]},
        {"er.json": {"id": er2, "properties": {"authorizations": [auth]}}},
    )
    result = run(load_fixture(root), load_rules())
    assert "ERC006" not in {f.rule for f in result.findings}
    assert [g.kind for g in result.gaps if "ERC006" in g.rules] == ["linked-outside-snapshot"]


def test_gateway_subnet_severity_depends_on_the_gateways() -> None:
    assert rules_of("gateway-subnet-too-small")["GWS005"] == {"warning"}
    assert rules_of("gateway-subnet-vpn-small")["GWS005"] == {"info"}


# -- 11. unmodelled features ------------------------------------------------------------------------------------


def test_unmodelled_feature_is_a_gap_and_can_be_accepted() -> None:
    design = str(FIXTURES / "designs" / "qs-route-server")
    plain = azroute("audit", design, "-f", "json")
    report = json.loads(plain.stdout)
    assert plain.exit_code == 3
    assert [g["feature"] for g in report["coverage"]["gaps"]] == ["route-server-peer"]
    accepted = azroute("audit", design, "-f", "json", "--accept-unmodelled", "route-server-peer")
    report = json.loads(accepted.stdout)
    assert accepted.exit_code == 0 and report["coverage"]["complete"]
    assert (
        report["coverage"]["accepted"][0]["reason"] == "accepted with --accept-unmodelled route-server-peer"
    )
    wrong = azroute("audit", design, "--accept-unmodelled", "route-server-peers")
    assert wrong.exit_code == 2 and "route-server-peer" in wrong.stderr


@pytest.mark.parametrize(
    ("design", "feature"),
    [("learn-forced-tunneling", "gateway-default-site"), ("learn-er-vpn-coexist", "p2s-address-pool")],
)
def test_published_designs_with_unmodelled_features_are_not_clean(design: str, feature: str) -> None:
    result = audit(FIXTURES / "designs" / design)
    assert feature in {g.feature for g in result.gaps}


# -- 12. paths say unknown, start from every subnet group, walk IPv6 ------------------------------------------


def test_paths_are_unknown_when_links_are_outside_the_snapshot() -> None:
    paths = finder("partial-snapshot")
    assert paths.pair("hub-vnet", "location-2").status == "unknown"
    assert paths.pair("hub-vnet", "spoke-vnet").status == "reachable"  # peering does not depend on them


def test_paths_start_from_every_group_of_subnets() -> None:
    paths = finder("spoke-subnet-bypasses-firewall")
    assert {"spoke-vnet/default", "spoke-vnet/data"} <= set(paths.networks())
    assert not paths.pair("spoke-vnet/default", "datacenter").asymmetric
    assert paths.pair("spoke-vnet/data", "datacenter").asymmetric
    assert rules_of("spoke-subnet-bypasses-firewall") == {"ASY002": {"error"}}


def test_ipv6_is_walked_over_peering_and_expressroute() -> None:
    paths = finder("dual-stack-expressroute")
    assert paths.pair("spoke-vnet (IPv6)", "hub-vnet (IPv6)").status == "reachable"
    pair = paths.pair("hub-vnet (IPv6)", "location-2 (IPv6)")
    assert pair.status == "reachable" and [h.name for h in pair.forward.hops if h.kind == "circuit"] == [
        "er-2"
    ]
    assert not paths.comparable("hub-vnet", "location-2 (IPv6)")


def test_inferred_sites_are_path_endpoints() -> None:
    names = finder("circuit-not-provisioned").networks()
    plane = ControlPlane(load_fixture(FIXTURES / "circuit-not-provisioned"))
    assert [s.name for s in plane.sites if s.prefixes] == [
        n for n in names if n in {s.name for s in plane.sites}
    ]


# -- the published-design corpus ------------------------------------------------------------------------------

DESIGNS = [n.split("/", 1)[1] for n in fixture_names() if n.startswith("designs/")]
# What a careful reviewer flags in the published designs (see fixtures/designs/REVIEW.md).
EXPECTED_ERRORS = {"learn-firewall-hybrid": {"TRN007"}}


def test_the_corpus_holds_at_least_six_published_designs_with_sources() -> None:
    assert len(DESIGNS) >= 6
    for name in DESIGNS:
        source = json.loads((FIXTURES / "designs" / name / "SOURCE.json").read_text())
        assert {"repository", "path", "commit"} <= set(source), name
        assert len(source["commit"]) == 40


@pytest.mark.parametrize("name", DESIGNS)
def test_published_designs_raise_no_false_error(name: str) -> None:
    errors = {f.rule for f in audit(FIXTURES / "designs" / name).findings if f.severity.value == "error"}
    assert errors == EXPECTED_ERRORS.get(name, set())


HUB = f"{SUB}/rg-hub/providers/Microsoft.Network"
FEATURE_PATCHES: dict[str, dict[str, Any]] = {
    "vpn-nat-rule": {
        "id": f"{HUB}/connections/hub-vpn-gw-to-location-1",
        "properties": {"egressNatRules": [{"id": f"{HUB}/virtualNetworkGateways/hub-vpn-gw/natRules/n1"}]},
    },
    "vpn-traffic-selector": {
        "id": f"{HUB}/connections/hub-vpn-gw-to-location-1",
        "properties": {
            "trafficSelectorPolicies": [
                {"localAddressRanges": ["10.10.30.0/24"], "remoteAddressRanges": ["10.2.30.0/25"]}
            ]
        },
    },
    "service-tag-route": {
        "id": f"{HUB}/routeTables/tagged",
        "name": "tagged",
        "properties": {
            "routes": [
                {"name": "storage", "properties": {"addressPrefix": "Storage", "nextHopType": "Internet"}}
            ]
        },
    },
    "subnet-peering": {
        "id": f"{HUB}/virtualNetworks/hub-vnet/virtualNetworkPeerings/hub-to-spoke",
        "properties": {"peerCompleteVnets": False},
    },
    "ipv6-over-vpn": {
        "id": f"{HUB}/localNetworkGateways/location-1-lng",
        "properties": {"localNetworkAddressSpace": {"addressPrefixes": ["fd00:230::/48"]}},
    },
    "p2s-address-pool": {
        "id": f"{HUB}/virtualNetworkGateways/hub-vpn-gw",
        "properties": {
            "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": ["172.31.0.0/24"]}}
        },
    },
    "expressroute-fastpath": {
        "value": [
            {"id": f"{HUB}/connections/hub-er-gw-to-er-1", "properties": {"expressRouteGatewayBypass": True}},
            {"id": f"{HUB}/virtualNetworkGateways/hub-er-gw", "properties": {"sku": {"name": "ErGw3AZ"}}},
            {
                "id": f"{HUB}/routeTables/gw-rt",
                "properties": {
                    "routes": [
                        {
                            "name": "spoke-via-nva",
                            "properties": {
                                "addressPrefix": "10.11.30.0/26",
                                "nextHopType": "VirtualAppliance",
                                "nextHopIpAddress": "10.10.30.4",
                            },
                        }
                    ]
                },
            },
            {
                "id": f"{HUB}/virtualNetworks/hub-vnet/subnets/GatewaySubnet",
                "properties": {"routeTable": {"id": f"{HUB}/routeTables/gw-rt"}},
            },
        ]
    },
    "gateway-default-site": {
        "id": f"{HUB}/virtualNetworkGateways/hub-vpn-gw",
        "properties": {"gatewayDefaultSite": {"id": f"{HUB}/localNetworkGateways/location-1-lng"}},
    },
}


@pytest.mark.parametrize("feature", sorted(FEATURE_PATCHES))
def test_every_unmodelled_feature_is_a_gap(tmp_path: Path, feature: str) -> None:
    root = overlay(tmp_path, "interop-testbed", {}, {"patch.json": FEATURE_PATCHES[feature]})
    result = run(load_fixture(root), load_rules())
    gaps = [g for g in result.gaps if g.kind == "unmodelled"]
    assert [g.feature for g in gaps] == [feature]
    accepted = run(load_fixture(root), load_rules(), accept_unmodelled={feature: "known"})
    assert not [g for g in accepted.gaps if g.kind == "unmodelled"] and len(accepted.accepted) == 1


# -- routing signatures (issue 10): grouping never merges networks that behave differently ----------


def _asy002(snapshot: Any, signatures: bool) -> list[tuple[str, str, str]]:
    from rules.asy002_firewall_bypass import FirewallBypass

    result = run(snapshot, [FirewallBypass], options={"ASY002": {"signatures": signatures}})
    return [(f.fingerprint, f.message, json.dumps(f.evidence, sort_keys=True)) for f in result.findings]


@pytest.mark.parametrize("name", fixture_names())
def test_per_signature_paths_equal_per_vnet_paths(name: str) -> None:
    snapshot = load_fixture(FIXTURES / name)
    assert _asy002(snapshot, True) == _asy002(snapshot, False)


def test_per_signature_paths_equal_per_vnet_paths_on_a_realistic_estate(tmp_path: Path) -> None:
    from bench.realistic import Shape, generate

    generate(tmp_path / "estate", Shape.scaled(250, dc_prefixes=40, branch_prefixes=10))
    snapshot = load_fixture(tmp_path / "estate")
    grouped = _asy002(snapshot, True)
    assert grouped == _asy002(snapshot, False)
    assert len(grouped) > 10  # the estate has spokes that bypass their firewall
    finder = PathFinder(ControlPlane(snapshot))
    endpoints = [n for n in finder.networks() if finder.network(n).vnet is not None]
    assert len({finder.site_signature(n) for n in endpoints}) < len(endpoints) / 10


def test_paths_group_by_signature_at_scale(tmp_path: Path) -> None:
    from bench.realistic import Shape, generate

    generate(tmp_path / "estate", Shape.scaled(250, dc_prefixes=5, branch_prefixes=2))
    estate = str(tmp_path / "estate")
    table = azroute("paths", estate)
    assert table.exit_code == 0, table.stderr
    assert "grouped by routing signature" in table.stdout.splitlines()[0]
    grouped = azroute("paths", estate, "--group-by", "signature", "-f", "json")
    assert grouped.exit_code == 0, grouped.stderr
    data = json.loads(grouped.stdout)
    assert data["schema"] == "azroute.pathgroups/1"
    members = [m for g in data["groups"] for m in g["members"]]
    assert len(members) == len(set(members)) == 251  # every VNet endpoint in exactly one group
    assert len(data["groups"]) < 10
    one = azroute("paths", estate, "--from", "spoke-00-001", "--to", "dc-00")
    assert one.exit_code == 0, one.stderr
    assert one.stdout.startswith("spoke-00-001 -> dc-00: reachable")


# -- effective routes collected once per routing signature (issue 10) -----------------------------------


def _two_spokes(root: Path, spoke2_uses_hub: bool = True) -> Path:
    from auditor.writer import write_snapshot
    from bench import arm

    rg, loc = "rg", "westeurope"
    hub_peers = [
        arm.peering(rg, "hub", f"hub-to-s{i}", rg, f"s{i}", f"10.{i}.0.0/24", transit=True) for i in (1, 2)
    ]
    vnets = [
        arm.vnet(
            rg, "hub", loc, "10.0.0.0/24", [arm.subnet(rg, "hub", "GatewaySubnet", "10.0.0.0/27")], hub_peers
        )
    ]
    for i in (1, 2):
        use = spoke2_uses_hub or i == 1
        vnets.append(
            arm.vnet(
                rg,
                f"s{i}",
                loc,
                f"10.{i}.0.0/24",
                [arm.subnet(rg, f"s{i}", "default", f"10.{i}.0.0/25")],
                [arm.peering(rg, f"s{i}", f"s{i}-to-hub", rg, "hub", "10.0.0.0/24", use_remote=use)],
            )
        )
    gateway = arm.gateway(rg, "hub-vpn", loc, "hub", "Vpn", "VpnGw1")
    lng = arm.local_gateway(rg, "office", loc, "203.0.113.1", ["192.168.0.0/16"])
    conn = arm.connection(rg, "hub-to-office", loc, "IPsec", gateway["id"], lng=lng["id"])
    nics = [arm.nic(rg, f"vm{i}-nic", loc, f"s{i}", f"10.{i}.0.4") for i in (1, 2)]
    return write_snapshot(
        root,
        {"name": root.name, "source": "recorded"},
        {"v.json": {"value": vnets}, "g.json": {"value": [gateway, lng, conn]}, "n.json": {"value": nics}},
    )


def test_collector_groups_subnets_by_routing_signature(tmp_path: Path) -> None:
    from auditor.fixture import read_source
    from auditor.live.collector import CollectOptions, Collector

    source = read_source(_two_spokes(tmp_path / "estate"))
    documents = {}
    for entry in source.tree.documents:
        assert entry is not None
        for item in entry[1]["value"]:
            documents[item["id"].lower()] = item
    collector = Collector(CollectOptions(subscriptions=["x"]))
    collector._stands_for = {}
    jobs = collector._nic_choices(documents)
    assert [[n.rsplit("/", 1)[1] for n in job] for job in jobs] == [["vm1-nic", "vm2-nic"]]
    (stands,) = collector._stands_for.values()
    assert [s.split("/")[-3] for s in stands] == ["s1", "s2"]


def _observed(root: Path, stands_for: list[str]) -> None:
    """Record s1's predicted effective routes as an observation standing for `stands_for`."""
    from auditor.routing.tables import vnet_table

    snapshot = load_fixture(root)
    plane = ControlPlane(snapshot)
    vnet = next(v for v in snapshot.vnets if v.id.name == "s1")
    subnet = snapshot.subnets_of(vnet.id)[0]
    rows = [
        {
            "source": r.source,
            "state": "Active",
            "addressPrefix": [str(r.prefix)],
            "nextHopType": r.next_hop_type,
            "nextHopIpAddress": [],
        }
        for r in vnet_table(plane, vnet, subnet)
        if r.selected
    ]
    nic = next(n for n in snapshot.network_interfaces if n.id.name == "vm1-nic")
    record = {"resourceId": str(nic.id), "operation": "effectiveRouteTable", "parameters": {}, "status": 200}
    dump_json(root / "operations" / "e.json", {**record, "body": {"value": rows}, "standsFor": stands_for})


def test_an_observation_standing_for_a_signature_is_checked_for_each_subnet(tmp_path: Path) -> None:
    same = _two_spokes(tmp_path / "same")
    subnets = [str(s.id) for s in load_fixture(same).subnets if s.id.name == "default"]
    _observed(same, subnets)
    assert not [f for f in run(load_fixture(same), load_rules()).findings if f.rule.startswith("DRF")]
    # s2 stops using the hub's gateway: the observation no longer stands for it, which is drift there
    differs = _two_spokes(tmp_path / "differs", spoke2_uses_hub=False)
    _observed(differs, subnets)
    drift = [f for f in run(load_fixture(differs), load_rules()).findings if f.rule == "DRF002"]
    assert [f.evidence["vantage"] for f in drift] == ["s2/default (as observed on vm1-nic)"]


def test_a_site_with_ipv6_behind_a_vpn_is_an_unmodelled_gap(tmp_path: Path) -> None:
    sites = json.loads((FIXTURES / "interop-testbed" / "fixture.json").read_text())["sites"]
    sites[0]["prefixes"].append("fd00:230::/48")  # location-1 reaches the hub over a VPN too
    root = overlay(tmp_path, "interop-testbed", {"sites": sites})
    gaps = [g for g in run(load_fixture(root), load_rules()).gaps if g.kind == "unmodelled"]
    assert [(g.feature, g.resource.rsplit("/", 1)[1]) for g in gaps] == [("ipv6-over-vpn", "location-1-lng")]
    # IPv6 over ExpressRoute only is modelled: no gap
    assert not [g for g in audit("dual-stack-expressroute").gaps if g.kind == "unmodelled"]
