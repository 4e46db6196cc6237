"""The interop testbed's control plane and data plane, as the four articles describe them
(seed-testbed.md), plus failure and what-if variants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.fixture import load_fixture
from auditor.routing.controlplane import ControlPlane
from auditor.routing.failures import UnknownResource, apply_down
from auditor.routing.paths import PathFinder
from auditor.routing.views import vantage_rows, walk_summary
from tests.conftest import FIXTURES, fixture_names

NETWORKS = ["branch-vnet", "hub-vnet", "spoke-vnet", "remote-vnet", "location-1", "location-2"]

# seed-testbed.md, "Data plane": from -> to -> how the traffic goes (None: no path).
DATA_PLANE: dict[str, dict[str, str | None]] = {
    "hub-vnet": {
        "spoke-vnet": "peering",
        "branch-vnet": "VPN",
        "location-1": "ER er-1",
        "location-2": "ER er-2",
        "remote-vnet": "ER er-1 hairpin",
    },
    "spoke-vnet": {
        "hub-vnet": "peering",
        "branch-vnet": "VPN (transit)",
        "location-1": "ER er-1 (transit)",
        "location-2": "ER er-2 (transit)",
        "remote-vnet": "ER er-1 hairpin (transit)",
    },
    "branch-vnet": {
        "hub-vnet": "VPN",
        "spoke-vnet": "VPN",
        "location-1": "VPN",
        "location-2": None,
        "remote-vnet": None,
    },
    "location-1": {
        "hub-vnet": "ER er-1",
        "spoke-vnet": "ER er-1",
        "branch-vnet": "VPN",
        "location-2": None,
        "remote-vnet": "ER er-1",
    },
    "location-2": {
        "hub-vnet": "ER er-2",
        "spoke-vnet": "ER er-2",
        "branch-vnet": None,
        "location-1": None,
        "remote-vnet": None,
    },
    "remote-vnet": {
        "hub-vnet": "ER er-1 hairpin",
        "spoke-vnet": "ER er-1 hairpin",
        "branch-vnet": None,
        "location-1": "ER er-1",
        "location-2": None,
    },
}


def plane(name: str = "interop-testbed", down: list[str] | None = None) -> ControlPlane:
    snapshot = load_fixture(FIXTURES / name)
    return ControlPlane(apply_down(snapshot, down) if down else snapshot)


def matrix(cp: ControlPlane) -> dict[str, dict[str, str | None]]:
    finder = PathFinder(cp)
    out: dict[str, dict[str, str | None]] = {}
    for a in NETWORKS:
        for b in NETWORKS:
            if a != b:
                pair = finder.pair(a, b)
                out.setdefault(a, {})[b] = walk_summary(pair.forward) if pair.reachable else None
    return out


def selected(cp: ControlPlane, vantage: str) -> dict[str, list[tuple[Any, ...]]]:
    _, rows = vantage_rows(cp, vantage)
    out: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        if r["selected"] and r.get("direction") != "advertised":
            out.setdefault(r["prefix"], []).append((r["nextHopType"], r["via"], tuple(r["asPath"])))
    return out


def test_networks_are_named_as_in_the_articles() -> None:
    assert sorted(PathFinder(plane()).networks()) == sorted(NETWORKS)


def test_data_plane_matrix() -> None:
    assert matrix(plane()) == DATA_PLANE


def test_no_asymmetric_pair_in_the_working_design() -> None:
    finder = PathFinder(plane())
    assert [(a, b) for a in NETWORKS for b in NETWORKS if a != b and finder.pair(a, b).asymmetric] == []


def test_hub_and_spoke_perspective() -> None:
    cp = plane()
    for vantage in ("hub-vnet", "spoke-vnet"):
        routes = selected(cp, vantage)
        assert routes["10.2.30.0/25"] == [("VirtualNetworkGateway", "hub-er-gw-to-er-1", (12076, 65021))]
        assert routes["10.1.31.0/25"] == [("VirtualNetworkGateway", "hub-er-gw-to-er-2", (12076, 65022))]
        assert routes["10.17.30.0/24"] == [("VirtualNetworkGateway", "hub-er-gw-to-er-1", (12076, 65515))]
        assert routes["10.11.30.64/26"] == [("VirtualNetworkGateway", "hub-vpn-gw-to-branch", (65516,))]
    # the same /25 is also learned over the S2S VPN, as the backup that loses to ExpressRoute
    _, rows = vantage_rows(cp, "hub-vnet")
    backup = [r for r in rows if r["prefix"] == "10.2.30.0/25" and not r["selected"]]
    assert [(r["via"], r["reason"]) for r in backup] == [
        ("hub-vpn-gw-to-location-1", "ExpressRoute is preferred over VPN for the same prefix")
    ]


def test_location_1_perspective() -> None:
    cp = plane()
    _, rows = vantage_rows(cp, "location-1")
    learned = {(r["prefix"], r["link"], tuple(r["asPath"])) for r in rows}
    assert learned == {
        ("10.10.30.0/24", "ExpressRoute", (12076, 65515)),
        ("10.11.30.0/26", "ExpressRoute", (12076, 65515)),
        ("10.17.30.0/24", "ExpressRoute", (12076, 65515)),
        ("10.10.30.0/24", "Vpn", (65515,)),
        ("10.11.30.0/26", "Vpn", (65515,)),
        ("10.11.30.64/26", "Vpn", (65515, 65516)),
    }
    chosen = selected(cp, "location-1")
    assert chosen["10.10.30.0/24"][0][0] == "ExpressRoute"  # local-preference 200 on ExpressRoute
    assert chosen["10.11.30.64/26"][0][0] == "Vpn"  # the branch is known only over the VPN


def test_remote_and_branch_and_location_2_perspectives() -> None:
    cp = plane()
    assert set(selected(cp, "remote-vnet")) >= {"10.10.30.0/24", "10.11.30.0/26", "10.2.30.0/25"}
    assert "10.1.31.0/25" not in selected(cp, "remote-vnet")  # no circuit-to-circuit transit
    assert "10.11.30.64/26" not in selected(cp, "remote-vnet")  # no ExpressRoute <-> VPN transit
    branch = selected(cp, "branch-vnet")
    assert branch["10.2.30.0/25"] == [("VirtualNetworkGateway", "branch-vpn-gw-to-hub", (65515, 65021))]
    assert "10.1.31.0/25" not in branch and "10.17.30.0/24" not in branch
    assert set(selected(cp, "location-2")) == {"10.10.30.0/24", "10.11.30.0/26"}


def test_circuit_route_table_shows_the_gateway_asn() -> None:
    _, rows = vantage_rows(plane(), "er-1")
    assert {(r["prefix"], tuple(r["asPath"])) for r in rows} == {
        ("10.2.30.0/25", (65021,)),
        ("10.10.30.0/24", (65515,)),
        ("10.11.30.0/26", (65515,)),
        ("10.17.30.0/24", (65515,)),
    }
    # ER 1's secondary customer session is down (observed Idle): the secondary MSEE has no on-prem route
    _, secondary = vantage_rows(plane(), "er-1:secondary")
    assert "10.2.30.0/25" not in {r["prefix"] for r in secondary}


def test_gateway_perspective() -> None:
    chosen = selected(plane(), "hub-vpn-gw")
    assert chosen["10.10.30.0/24"] == [("Network", None, ())]
    assert chosen["10.11.30.64/26"] == [("Vpn", "hub-vpn-gw-to-branch", (65516,))]


@pytest.mark.parametrize("down", [["er-1:primary"], ["er-1"], ["hub-er-gw-to-er-1"]])
def test_location_1_falls_back_to_the_vpn_when_er_1_is_down(down: list[str]) -> None:
    cp = plane(down=down)
    finder = PathFinder(cp)
    pair = finder.pair("location-1", "hub-vnet")
    assert pair.reachable and walk_summary(pair.forward) == "VPN" and walk_summary(pair.back) == "VPN"
    assert not pair.asymmetric


def test_er_1_primary_down_keeps_the_hairpin() -> None:
    """The customer-side link failing does not take the MSEE's gateway sessions down."""
    got = matrix(plane(down=["er-1:primary"]))
    assert got["remote-vnet"]["hub-vnet"] == "ER er-1 hairpin"
    assert got["remote-vnet"]["location-1"] is None
    assert got["hub-vnet"]["location-1"] == "VPN"


def test_unknown_down_name() -> None:
    with pytest.raises(UnknownResource):
        plane(down=["no-such-thing"])
    with pytest.raises(UnknownResource):
        plane(down=["er-1:tertiary"])


def test_global_reach_joins_the_two_sites() -> None:
    got = matrix(plane("interop-testbed-global-reach"))
    assert got["location-1"]["location-2"] == "ER er-1 + Global Reach + ER er-2"
    assert got["location-2"]["location-1"] == "ER er-2 + Global Reach + ER er-1"
    expected = {a: dict(b) for a, b in DATA_PLANE.items()}
    expected["location-1"]["location-2"] = got["location-1"]["location-2"]
    expected["location-2"]["location-1"] = got["location-2"]["location-1"]
    assert got == expected  # nothing else changes: Global Reach links on-premises sides only
    assert not PathFinder(plane("interop-testbed-global-reach")).pair("location-1", "location-2").asymmetric


def test_route_server_branch_to_branch() -> None:
    got = matrix(plane("interop-testbed-route-server"))
    assert got["branch-vnet"]["location-2"] == "VPN + ER er-2"
    assert got["location-2"]["branch-vnet"] == "ER er-2 + VPN"


def test_route_server_needs_an_active_active_vpn_gateway_with_asn_65515() -> None:
    snapshot = load_fixture(FIXTURES / "interop-testbed-route-server")
    gateways = tuple(
        g.model_copy(update={"active_active": False}) if g.id.name == "hub-vpn-gw" else g
        for g in snapshot.gateways
    )
    got = matrix(ControlPlane(snapshot.replace(gateways=gateways)))
    assert got["branch-vnet"]["location-2"] is None


def test_gateway_advertisements_per_neighbour() -> None:
    _, rows = vantage_rows(plane(), "hub-vpn-gw")
    sent = {(r["nextHop"], r["prefix"], tuple(r["asPath"])) for r in rows if r["direction"] == "advertised"}
    assert sent == {
        ("10.2.30.125", "10.10.30.0/24", (65515,)),
        ("10.2.30.125", "10.11.30.0/26", (65515,)),
        ("10.2.30.125", "10.11.30.64/26", (65515, 65516)),
        ("10.11.30.126", "10.10.30.0/24", (65515,)),
        ("10.11.30.126", "10.11.30.0/26", (65515,)),
        ("10.11.30.126", "10.2.30.0/25", (65515, 65021)),
    }
    _, er_rows = vantage_rows(plane(), "hub-er-gw")
    to_circuits = {(r["nextHop"], r["prefix"]) for r in er_rows if r["direction"] == "advertised"}
    assert to_circuits == {(c, p) for c in ("er-1", "er-2") for p in ("10.10.30.0/24", "10.11.30.0/26")}


def _whole_table_choice(plane: Any, site: str) -> Any:
    """The routes a site selects from its whole table, indexed by prefix: `.longest(address)` is the
    choice towards one address (built once per site, asked for every address)."""
    from auditor.routing.prefixindex import PrefixIndex
    from auditor.routing.tables import site_select

    chosen = [a for a, selected, _ in site_select(plane, site) if selected]
    return PrefixIndex(chosen, lambda a: a.prefix)


def _site_lookups_agree(snapshot: Any) -> int:
    """A site's route towards one address, computed from the routes towards it alone (leaf sites'
    tables never built), equals the one chosen from its whole table, and a site with a route
    towards the address is among the sites the index names for it (`sites_towards`); returns the
    lookups compared."""
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.paths import PathFinder
    from auditor.routing.tables import site_longest

    finder = PathFinder(ControlPlane(snapshot))
    addresses = sorted(
        {finder.network(n).address for n in finder.networks()}, key=lambda a: (a.version, int(a))
    )
    lazy = ControlPlane(snapshot)  # its leaf tables are never computed whole
    whole = ControlPlane(snapshot)
    compared = 0
    towards = {address: lazy.sites_towards(address) for address in addresses}
    for site in sorted(s.name for s in whole.sites):
        choice = _whole_table_choice(whole, site)
        for address in addresses:
            assert site_longest(lazy, site, address) == choice.longest(address), (site, address)
            if any(_contains(a.prefix, address) for a in whole.site_rib[site]):
                assert site in towards[address], (site, address)
            compared += 1
    return compared


def _contains(prefix: Any, address: Any) -> bool:
    return bool(prefix.version == address.version and address in prefix)


@pytest.mark.parametrize("name", fixture_names())
def test_a_site_lookup_equals_the_choice_from_its_whole_table(name: str) -> None:
    _site_lookups_agree(load_fixture(FIXTURES / name))


@pytest.fixture(scope="module")
def realistic_estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A realistic estate both agreement tests read: two hubs (four circuits, two datacenters, twenty
    branches) and 120 spokes, with fewer on-premises prefixes than bench's default so the subnet
    lookups (every subnet x every endpoint) stay a few seconds; it holds more lookups of both kinds
    than 250 spokes on one hub did."""
    from bench.realistic import Shape, generate

    out = tmp_path_factory.mktemp("realistic") / "estate"
    generate(out, Shape.scaled(120, hubs=2, dc_prefixes=200, branch_prefixes=20))
    return out


def test_site_lookups_agree_on_a_realistic_estate(realistic_estate: Path) -> None:
    assert _site_lookups_agree(load_fixture(realistic_estate)) > 1000


def _route_key(route: Any) -> tuple[object, ...]:
    return (str(route.prefix), route.next_hop_type, route.next_hop, route.source, str(route.via))


def _subnet_lookups_agree(snapshot: Any, extra_addresses: bool = True) -> int:
    """For every subnet (and the VNet-wide view of a VNet without subnets), the routes a walk gets for one
    address equal the choice read from the subnet's whole effective table (what `routes` shows):
    the selected routes of the longest prefix containing the address. The addresses are every
    endpoint a walk starts from or goes to and, with `extra_addresses`, the first and last address
    of every prefix in the table. Returns the lookups compared."""
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.paths import PathFinder
    from auditor.routing.prefixindex import PrefixIndex
    from auditor.routing.tables import vnet_table

    plane = ControlPlane(snapshot)
    finder = PathFinder(plane)
    endpoints = {finder.network(n).address for n in finder.networks()}
    compared = 0
    for vnet in snapshot.vnets:
        for subnet in snapshot.subnets_of(vnet.id) or [None]:
            whole = vnet_table(plane, vnet, subnet)
            chosen = PrefixIndex([r for r in whole if r.selected], lambda r: r.prefix)
            addresses = set(endpoints)
            if extra_addresses:
                addresses |= {a for r in whole for a in (r.prefix[0], r.prefix[-1])}
            lookup = finder.table(vnet, subnet)
            for address in sorted(addresses, key=lambda a: (a.version, int(a))):
                expected = sorted(_route_key(r) for r in chosen.longest(address))
                got = sorted(_route_key(r) for r in lookup.longest(address))
                assert got == expected, (vnet.display_name, subnet.id.name if subnet else None, address)
                compared += 1
    return compared


@pytest.mark.parametrize("name", fixture_names())
def test_a_subnet_lookup_equals_the_choice_from_its_whole_table(name: str) -> None:
    assert _subnet_lookups_agree(load_fixture(FIXTURES / name)) > 0


def test_subnet_lookups_agree_on_a_realistic_estate(realistic_estate: Path) -> None:
    assert _subnet_lookups_agree(load_fixture(realistic_estate), extra_addresses=False) > 10_000
