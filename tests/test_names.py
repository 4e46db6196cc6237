"""`azroute networks` and the names every name option accepts: one list (auditor.names), which each
option's own lookup resolves, and close matches for a name that is not known."""

from __future__ import annotations

import json

import pytest

from auditor.fixture import load_fixture
from auditor.names import DOWN, PATHS, ROUTES, known_names
from auditor.routing.controlplane import control_plane
from auditor.routing.failures import apply_down
from auditor.routing.views import finder_for, vantage_rows
from auditor.suggest import close_matches
from tests.cli import azroute
from tests.conftest import FIXTURES, fixture_names

VANTAGE_KIND = {
    "vnet": "vnet",
    "subnet": "subnet",
    "subnet group": "subnet",
    "gateway": "gateway",
    "circuit": "circuit",
    "circuit link": "circuit",
    "site": "site",
}


@pytest.mark.parametrize(
    "name",
    [n for n in fixture_names() if n in {"interop-testbed", "dual-stack-expressroute", "partial-snapshot",
                                           "dual-hub-remote-gateways", "ecmp-two-locations"}]
    + ["designs/" + n for n in ("learn-er-vpn-coexist-bgp-lng", "alz-bicep-hub-spoke", "learn-vpn-gateway-nat")
       if (FIXTURES / "designs" / n).is_dir()],
)  # fmt: skip
def test_every_listed_name_resolves_with_the_options_that_accept_it(name: str) -> None:
    snapshot = load_fixture(FIXTURES / name)
    plane = control_plane(snapshot)
    names = known_names(plane)
    assert names and len({(n.name.lower(), n.kind) for n in names}) == len(names)
    endpoints = {n.lower() for n in finder_for(plane).networks()}
    for entry in names:
        if ROUTES in entry.options:
            vantage, _ = vantage_rows(plane, entry.name)
            assert vantage.kind == VANTAGE_KIND[entry.kind], entry
        if PATHS in entry.options:
            assert entry.name.lower() in endpoints, entry
        if DOWN in entry.options:
            apply_down(snapshot, [entry.name])
    assert endpoints <= {n.name.lower() for n in names if PATHS in n.options}


def test_networks_lists_the_testbed_names_by_kind() -> None:
    code, out, _ = azroute("networks", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "azroute.networks/1"
    kinds = {n["name"]: (n["kind"], n["options"]) for n in data["names"]}
    assert kinds["hub-vnet"] == ("vnet", ["routes --from", "paths --from/--to"])
    assert kinds["hub-vpn-gw"] == ("gateway", ["routes --from", "--down"])
    assert kinds["er-1:secondary"] == ("circuit link", ["routes --from", "--down"])
    assert kinds["hub-vpn-gw-to-branch"] == ("connection", ["--down"])
    assert kinds["location-1-lng"] == ("local network gateway", ["--down"])
    assert kinds["location-2"] == ("site", ["routes --from", "paths --from/--to"])
    assert kinds["hub-vnet/GatewaySubnet"] == ("subnet", ["routes --from"])
    code, table, _ = azroute("networks")
    assert code == 0 and table.split()[:3] == ["name", "kind", "accepted", "by"][:3]
    assert all(n["name"] in table for n in data["names"])


def test_subnet_groups_are_listed_as_paths_names_them() -> None:
    code, out, _ = azroute("networks", str(FIXTURES / "dual-stack-expressroute"), "-f", "json")
    assert code == 0
    names = json.loads(out)["names"]
    assert any(n["name"].endswith(" (IPv6)") and n["options"] == ["paths --from/--to"] for n in names)


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (("routes", "--from", "hub"), ["hub-vnet", "hub-er-gw", "hub-vpn-gw"]),
        (("routes", "--from", "hub-vnet/GatewaySubnt"), ["hub-vnet/GatewaySubnet"]),
        (("paths", "--from", "hub"), ["hub-vnet"]),
        (("paths", "--from", "hub-vnet", "--to", "locaton-1"), ["location-1"]),
        (("routes", "--from", "hub-vnet", "--down", "hub-vpn"), ["hub-vpn-gw"]),
        (("routes", "--from", "hub-vnet", "--down", "er-1:secondry"), []),  # a device path: its own error
        (("explain", "ERC02"), ["ERC002"]),
        (("explain", "remote-gateway-mising"), ["remote-gateway-missing"]),
        (("audit", "--select", "ERC02"), ["ERC002"]),
        (("audit", "--ignore", "TRM010"), ["TRN010"]),
    ],
)
def test_unknown_names_suggest_close_ones(args: tuple[str, ...], wanted: list[str]) -> None:
    code, _, err = azroute(*args)
    assert code == 2 and len(err.splitlines()) == 1, err
    for name in wanted:
        assert name in err.split("did you mean", 1)[-1], err


def test_nothing_close_suggests_nothing() -> None:
    code, _, err = azroute("audit", "--select", "XYZ")
    assert code == 2 and "did you mean" not in err and "azroute rules" in err
    code, _, err = azroute("routes", "--from", "qqqq")
    assert code == 2 and "did you mean" not in err and "azroute networks" in err


def test_routes_without_from_names_a_few() -> None:
    code, _, err = azroute("routes")
    assert code == 2 and "--from" in err and "azroute networks" in err
    assert "(vnet)" in err and "(gateway)" in err and "(circuit)" in err and "(site)" in err


def test_close_matches() -> None:
    names = ["hub-vnet", "spoke-vnet", "hub-er-gw", "er-1", "location-1"]
    assert close_matches("HUB", names) == ["hub-vnet", "hub-er-gw"]
    assert close_matches("vnet", names) == ["hub-vnet", "spoke-vnet"]  # contained
    assert close_matches("locaton-1", names) == ["location-1"]  # similar
    assert close_matches("zzz", names) == [] and close_matches("", names) == []
