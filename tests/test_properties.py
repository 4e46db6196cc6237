"""Strict input, property-based (issue 11, item 6).

Each mutation targets one field of a small hand-written snapshot, chosen from the ORACLE table
(file, JSON path, how to read the model's field, validator). The validators are written here from
ARM's documented types and ranges and from `fixtures/README.md`, not imported from the auditor.
Each example asks the validator in process (`load_fixture`, what `azroute inventory` reads); one
test checks that the CLI prints the validator's error as its one line, exit 2:

* invalid value -> one line naming the mutated file and the exact JSON path;
* valid value -> the snapshot loads and the model's field equals the value (in its documented
  normal form: an enum's spelling, a prefix as an `ipaddress` network);
* never an internal error or a traceback, never a hang.

Structure is mutated too: an object or array of the wrong JSON type anywhere in the snapshot,
duplicate keys in the raw text, nesting deeper than the bound, integers of thousands of digits,
NaN and Infinity. Fixed seed (`derandomize`), no example database, no deadline.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import pickle
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from auditor.engine import CRASH_RULE, load_rules, run
from auditor.errors import InputError
from auditor.fixture import build_snapshot, load_fixture, read_json, read_source
from auditor.model import Snapshot
from auditor.report import render_json, report_dict
from tests.cli import azroute
from tests.helpers import NET, write_fixture

PROFILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def examples(n: int) -> settings:
    return settings(PROFILE, max_examples=n)


# -- the base snapshot -------------------------------------------------------------------------------

HUB = f"{NET}/virtualNetworks/hub"
SPOKE = f"{NET}/virtualNetworks/spoke"
GATEWAY_SUBNET = f"{HUB}/subnets/GatewaySubnet"
APP = f"{HUB}/subnets/app"
RT = f"{NET}/routeTables/rt"
GW = f"{NET}/virtualNetworkGateways/vpngw"
LNG = f"{NET}/localNetworkGateways/branch"
CONN = f"{NET}/connections/to-branch"
ER = f"{NET}/expressRouteCircuits/er"
PEERING = f"{ER}/peerings/AzurePrivatePeering"
MS_PEERING = f"{ER}/peerings/MicrosoftPeering"
NIC = f"{NET}/networkInterfaces/vm-nic"

MANIFEST: dict[str, Any] = {
    "description": "strict-input property test base",
    "sites": [{"name": "branch-site", "asn": 65010, "prefixes": ["192.168.0.0/16"]}],
}

ARM: dict[str, Any] = {
    "vnets/hub.json": {
        "id": HUB,
        "name": "hub",
        "location": "westeurope",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [
                {
                    "id": GATEWAY_SUBNET,
                    "name": "GatewaySubnet",
                    "properties": {"addressPrefix": "10.0.255.0/27"},
                },
                {
                    "id": APP,
                    "name": "app",
                    "properties": {"addressPrefix": "10.0.1.0/24", "routeTable": {"id": RT}},
                },
            ],
            "virtualNetworkPeerings": [
                {
                    "id": f"{HUB}/virtualNetworkPeerings/hub-to-spoke",
                    "name": "hub-to-spoke",
                    "properties": {
                        "remoteVirtualNetwork": {"id": SPOKE},
                        "allowGatewayTransit": True,
                        "useRemoteGateways": False,
                        "allowForwardedTraffic": True,
                        "peeringState": "Connected",
                    },
                }
            ],
        },
    },
    "vnets/spoke.json": {
        "id": SPOKE,
        "name": "spoke",
        "location": "westeurope",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "subnets": [{"name": "workload", "properties": {"addressPrefix": "10.1.1.0/24"}}],
            "virtualNetworkPeerings": [
                {
                    "name": "spoke-to-hub",
                    "properties": {
                        "remoteVirtualNetwork": {"id": HUB},
                        "allowGatewayTransit": False,
                        "useRemoteGateways": True,
                        "peeringState": "Connected",
                    },
                }
            ],
        },
    },
    "routeTables/rt.json": {
        "id": RT,
        "name": "rt",
        "properties": {
            "disableBgpRoutePropagation": False,
            "routes": [
                {
                    "id": f"{RT}/routes/to-nva",
                    "name": "to-nva",
                    "properties": {
                        "addressPrefix": "0.0.0.0/0",
                        "nextHopType": "VirtualAppliance",
                        "nextHopIpAddress": "10.0.1.4",
                    },
                },
                {
                    "name": "to-branch",
                    "properties": {"addressPrefix": "192.168.0.0/16", "nextHopType": "VirtualNetworkGateway"},
                },
            ],
            "subnets": [{"id": APP}],
        },
    },
    "gateways/vpngw.json": {
        "id": GW,
        "name": "vpngw",
        "properties": {
            "gatewayType": "Vpn",
            "vpnType": "RouteBased",
            "sku": {"name": "VpnGw1", "tier": "VpnGw1"},
            "enableBgp": True,
            "activeActive": False,
            "bgpSettings": {"asn": 65515, "bgpPeeringAddress": "10.0.255.30", "peerWeight": 0},
            "ipConfigurations": [
                {
                    "id": f"{GW}/ipConfigurations/default",
                    "name": "default",
                    "properties": {"privateIPAddress": "10.0.255.4", "subnet": {"id": GATEWAY_SUBNET}},
                }
            ],
            "natRules": [],
        },
    },
    "lngs/branch.json": {
        "id": LNG,
        "name": "branch",
        "properties": {
            "localNetworkAddressSpace": {"addressPrefixes": ["192.168.0.0/16"]},
            "gatewayIpAddress": "203.0.113.10",
            "bgpSettings": {"asn": 65010, "bgpPeeringAddress": "192.168.255.1", "peerWeight": 0},
        },
    },
    "connections/to-branch.json": {
        "id": CONN,
        "name": "to-branch",
        "properties": {
            "connectionType": "IPsec",
            "virtualNetworkGateway1": {"id": GW},
            "localNetworkGateway2": {"id": LNG},
            "routingWeight": 10,
            "enableBgp": True,
            "connectionStatus": "Connected",
        },
    },
    "circuits/er.json": {
        "id": ER,
        "name": "er",
        "sku": {"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"},
        "properties": {
            "serviceProviderProperties": {
                "serviceProviderName": "Equinix",
                "peeringLocation": "Amsterdam",
                "bandwidthInMbps": 1000,
            },
            "serviceProviderProvisioningState": "Provisioned",
            "authorizations": [{"name": "a1", "properties": {"authorizationUseStatus": "Available"}}],
            "peerings": [
                {
                    "id": PEERING,
                    "name": "AzurePrivatePeering",
                    "properties": {
                        "peeringType": "AzurePrivatePeering",
                        "state": "Enabled",
                        "azureASN": 12076,
                        "peerASN": 65020,
                        "primaryPeerAddressPrefix": "172.16.0.0/30",
                        "secondaryPeerAddressPrefix": "172.16.0.4/30",
                        "vlanId": 100,
                    },
                },
                {
                    "id": MS_PEERING,
                    "name": "MicrosoftPeering",
                    "properties": {
                        "peeringType": "MicrosoftPeering",
                        "state": "Enabled",
                        "azureASN": 12076,
                        "peerASN": 65020,
                        "primaryPeerAddressPrefix": "198.51.100.0/30",
                        "secondaryPeerAddressPrefix": "198.51.100.4/30",
                        "vlanId": 200,
                        "microsoftPeeringConfig": {"customerASN": 64999},
                    },
                },
            ],
        },
    },
    "nics/vm.json": {
        "id": NIC,
        "name": "vm-nic",
        "properties": {
            "enableIPForwarding": True,
            "ipConfigurations": [
                {"name": "ipconfig1", "properties": {"privateIPAddress": "10.0.1.4", "subnet": {"id": APP}}}
            ],
        },
    },
}

OPERATIONS: dict[str, Any] = {
    "effectiveRouteTable/vm-nic.json": {
        "resourceId": NIC,
        "operation": "effectiveRouteTable",
        "parameters": {},
        "status": 200,
        "body": {
            "value": [
                {
                    "source": "Default",
                    "state": "Active",
                    "addressPrefix": ["10.0.0.0/16"],
                    "nextHopType": "VnetLocal",
                    "nextHopIpAddress": [],
                },
                {
                    "source": "User",
                    "state": "Active",
                    "addressPrefix": ["0.0.0.0/0"],
                    "nextHopType": "VirtualAppliance",
                    "nextHopIpAddress": ["10.0.1.4"],
                },
            ]
        },
    },
    "getLearnedRoutes/vpngw.json": {
        "resourceId": GW,
        "operation": "getLearnedRoutes",
        "parameters": {},
        "status": 200,
        "body": {
            "value": [
                {
                    "localAddress": "10.0.255.30",
                    "network": "192.168.0.0/16",
                    "nextHop": "192.168.255.1",
                    "sourcePeer": "192.168.255.1",
                    "origin": "EBgp",
                    "asPath": "65010",
                    "weight": 32768,
                },
                {
                    "localAddress": "10.0.255.30",
                    "network": "10.0.0.0/16",
                    "nextHop": "",
                    "sourcePeer": "10.0.255.30",
                    "origin": "Network",
                    "asPath": "",
                    "weight": 32768,
                },
            ]
        },
    },
    "getBgpPeerStatus/vpngw.json": {
        "resourceId": GW,
        "operation": "getBgpPeerStatus",
        "parameters": {},
        "status": 200,
        "body": {
            "value": [
                {
                    "localAddress": "10.0.255.30",
                    "neighbor": "192.168.255.1",
                    "asn": 65010,
                    "state": "Connected",
                    "routesReceived": 1,
                }
            ]
        },
    },
    "routeTables/er-primary.json": {
        "resourceId": PEERING,
        "operation": "routeTables",
        "parameters": {"devicePath": "primary"},
        "status": 200,
        "body": {
            "value": [
                {
                    "network": "192.168.0.0/16",
                    "nextHop": "172.16.0.1",
                    "locPrf": "",
                    "weight": 0,
                    "path": "65020",
                }
            ]
        },
    },
}


def _documents() -> dict[str, Any]:
    """Every file of the base snapshot, by its path from the snapshot's root."""
    docs: dict[str, Any] = {
        "fixture.json": {"format": "azroute-fixture/1", "name": "base", "source": "hand-written", **MANIFEST}
    }
    docs.update({f"arm/{k}": v for k, v in ARM.items()})
    docs.update({f"operations/{k}": v for k, v in OPERATIONS.items()})
    return docs


BASE = _documents()


@pytest.fixture(scope="module")
def base_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_fixture(tmp_path_factory.mktemp("strict") / "base", ARM, OPERATIONS, **MANIFEST)
    for rel, doc in BASE.items():  # the writer wrote the base as it is
        assert json.loads((root / rel).read_text()) == doc
    _AS_READ[root] = pickle.dumps(read_source(root))
    return root


_AS_READ: dict[Path, bytes] = {}  # each base as the reader read it, before any example changed a file


# -- raw JSON text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is (what `json.dumps` cannot or will not write)."""

    text: str

    def __repr__(self) -> str:
        return (
            f"Raw({self.text[:24]!r}... {len(self.text)} characters)"
            if len(self.text) > 30
            else f"Raw({self.text!r})"
        )


@dataclass(frozen=True)
class Duplicate:
    """The mutated key written twice in its object (`"k": v, "k": v`)."""

    value: Any


ABSENT = object()  # the mutation removes the key


def _render(doc: Any) -> str:
    """JSON text of a document that may hold `Raw` and `Duplicate` values."""
    raws: list[str] = []

    def swap(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\x00RAW{len(raws) - 1}\x00"
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if isinstance(item, Duplicate):
                    inner = json.dumps(swap(item.value))
                    raws.append(f"{inner}, {json.dumps(key)}: {inner}")
                    out[key] = f"\x00RAW{len(raws) - 1}\x00"
                else:
                    out[key] = swap(item)
            return out
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(doc), indent=2)
    for i in reversed(range(len(raws))):  # nested markers are inside later raws; replace those first
        text = text.replace(json.dumps(f"\x00RAW{i}\x00"), raws[i])
    return text


Loc = tuple[str | int, ...]


def _mutated(doc: Any, path: Loc, value: Any) -> Any:
    out = copy.deepcopy(doc)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    if value is ABSENT:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


def json_path(loc: Loc) -> str:
    """('properties', 'subnets', 0) -> `$.properties.subnets[0]` (written here, not imported)."""
    out = "$"
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", step):
            out += f".{step}"
        else:
            out += f"[{step!r}]"
    return out


# -- the oracle ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Valid:
    value: Any  # what the model's field holds afterwards


@dataclass(frozen=True)
class Invalid:
    at: Loc | None = None  # where the error is reported, when documented to be elsewhere than the mutation
    below: bool = False  # the error may name a path inside the mutated value (a container)


INVALID = Invalid()
Verdict = Valid | Invalid
Check = Callable[[Any], Verdict]

UINT32 = 4_294_967_295
INT32 = 2_147_483_647
# a service tag (AzureCloud, Storage.WestEurope): a route's addressPrefix that is not meant as a prefix
TAG = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
HOP_TYPES = (
    "VirtualNetworkGateway",
    "VnetLocal",
    "Internet",
    "VirtualAppliance",
    "VirtualApplianceEcmp",
    "None",
)


def _is_int(value: Any) -> bool:
    return type(value) is int  # a JSON integer: never a boolean, a float or a string


def integer(low: int, high: int, *, absent: Verdict = Valid(None)) -> Check:
    def check(value: Any) -> Verdict:
        if value is None or value is ABSENT:
            return absent
        return Valid(value) if _is_int(value) and low <= value <= high else INVALID

    return check


def boolean(value: Any) -> Verdict:
    if value is None or value is ABSENT:
        return Valid(None)
    return Valid(value) if type(value) is bool else INVALID


def canonical_prefix(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """`10.0.0.0/16`: an address, `/`, a decimal length; host bits zero; no spaces, no mask, no zone."""
    if not isinstance(value, str) or value.count("/") != 1 or "%" in value:
        return None
    address, length = value.split("/")
    if not (length.isascii() and length.isdigit()) or (len(length) > 1 and length[0] == "0"):
        return None
    if not address or address != address.strip():
        return None
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        return None


def prefix(*, required: bool = False, blank_is_none: bool = False) -> Check:
    def check(value: Any) -> Verdict:
        if value is None or value is ABSENT:
            return INVALID if required else Valid(None)
        if blank_is_none and isinstance(value, str) and not value.strip():
            return Valid(None)
        net = canonical_prefix(value)
        return INVALID if net is None else Valid(net)

    return check


def arm_id(*, required: bool = False, kind: str | None = None) -> Check:
    """`/subscriptions/<id>/...` with no empty, `.` or `..` segment (a trailing `/` and surrounding
    whitespace are dropped, as documented); with `kind` (`microsoft.network/virtualnetworks`), the
    id of a resource of that type: ARM accepts no other in that reference."""

    def check(value: Any) -> Verdict:
        if value is None or value is ABSENT:
            return INVALID if required else Valid(None)
        if not isinstance(value, str):
            return INVALID
        text = value.strip().rstrip("/")
        segments = text.split("/")
        if not text.startswith("/") or len(segments) < 3 or segments[1].lower() != "subscriptions":
            return INVALID
        if any(s in ("", ".", "..") for s in segments[1:]):
            return INVALID
        low = [s.lower() for s in segments[1:]]
        rest = low[low.index("providers") + 1 :] if "providers" in low else []
        if kind is not None and (len(rest) < 2 or "/".join([rest[0], *rest[1::2]]) != kind):
            return INVALID
        return Valid(text.lower())

    return check


def route_prefix(value: Any) -> Verdict:
    """A canonical prefix, or a service-tag name (a coverage gap, never an error)."""
    if not isinstance(value, str):
        return INVALID
    if "/" in value or ":" in value or value[:1].isdigit():
        net = canonical_prefix(value)
        return INVALID if net is None else Valid((value, net))
    return Valid((value, None)) if TAG.fullmatch(value) else INVALID


def hop_type(value: Any) -> Verdict:
    """ARM's RouteNextHopType, any case; the model keeps ARM's spelling."""
    if isinstance(value, str):
        for known in HOP_TYPES:
            if value.lower() == known.lower():
                return Valid(known)
    return INVALID


def ip_address(value: Any) -> Verdict:
    if value is None or value is ABSENT:
        return Valid(None)
    if not isinstance(value, str) or "%" in value or value != value.strip():
        return INVALID
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return INVALID
    return Valid(value)


def open_enum(*, blank_is_none: bool = False) -> Check:
    """An observation's enum (origin, nextHopType): ARM adds values, so any string is accepted (an
    unknown one becomes a coverage gap naming it)."""

    def check(value: Any) -> Verdict:
        if value is None or value is ABSENT:
            return Valid(None)
        if not isinstance(value, str):
            return INVALID
        return Valid(None if blank_is_none and not value.strip() else value)

    return check


def as_path(value: Any) -> Verdict:
    """`65010-65020` (gateways), `65010 65020` (circuits) or `65010,65020`; AS sets in braces are
    dropped; every other token is an ASN. A list of JSON integers is accepted too."""
    if value is None or value is ABSENT:
        return Valid(())
    if isinstance(value, list):
        ok = all(_is_int(v) and 0 <= v <= UINT32 for v in value)
        return Valid(tuple(value)) if ok else INVALID
    if not isinstance(value, str):
        return INVALID
    text = re.sub(r"\{[^{}]*\}", " ", value).strip()
    if not text:
        return Valid(())
    tokens = re.split(r"[\s,\-]+", text)
    if not all(re.fullmatch(r"[0-9]+", t) and int(t) <= UINT32 for t in tokens):
        return INVALID
    return Valid(tuple(int(t) for t in tokens))


def required(check: Check) -> Check:
    def wrapped(value: Any) -> Verdict:
        return INVALID if value is ABSENT or value is None else check(value)

    return wrapped


# -- strategies -----------------------------------------------------------------------------------------

BOUNDARY_INTS = [-(2**63), -(2**31), -1, 0, 1, 99, 4094, 4095, 32000, 32001, 65535, INT32, INT32 + 1]
BOUNDARY_INTS += [UINT32, UINT32 + 1, 2**63, 2**64, 10**30]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(BOUNDARY_INTS),
    st.floats(),  # NaN and Infinity included: not JSON
    st.text(max_size=12),
    st.sampled_from(["", " ", "true", "null", "65010", "\ud800", "10.0.0.0/8", "Internet"]),
)
any_json = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=5,
)
raw = st.sampled_from(
    [
        Raw("9" * 5000),  # more digits than Python converts
        Raw("-" + "9" * 4400),
        Raw("1e999"),  # Infinity by another name
        Raw("[" * 70 + "]" * 70),
        Raw("[" * 100_000 + "]" * 100_000),  # deeper than the interpreter's recursion limit
        Raw('{"a":' * 80 + "1" + "}" * 80),
        Raw('{"a": ' * 5000 + "1" + "}" * 5000),
        Raw("[[[]]]"),
    ]
)


def ints_around(*bounds: int) -> st.SearchStrategy[int]:
    return st.one_of(
        st.sampled_from([b + d for b in bounds for d in (-1, 0, 1)]),
        st.integers(min_value=min(bounds) - 10, max_value=max(bounds) + 10),
        st.integers(min_value=-(2**70), max_value=2**70),
    )


v4 = st.builds(lambda a, n: f"{ipaddress.IPv4Address(a)}/{n}", st.integers(0, 2**32 - 1), st.integers(0, 33))
v4_canonical = st.builds(
    lambda a, n: str(ipaddress.ip_network((a, n), strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
v6_canonical = st.builds(
    lambda a, n: str(ipaddress.ip_network((a, n), strict=False)),
    st.integers(0, 2**128 - 1),
    st.integers(0, 128),
)
prefix_texts = st.one_of(
    v4,
    v4_canonical,
    v6_canonical,
    v6_canonical.map(str.upper),
    v4_canonical.map(lambda p: f" {p}"),
    v4_canonical.map(lambda p: p.replace("/", "/0")),
    st.sampled_from(
        [
            "10.0.0.0/8",
            "10.0.0.1/8",
            "0.0.0.0/33",
            "10.0.0.0",
            "10.0.0.0/255.0.0.0",
            "10.0.0.0/+8",
            "010.0.0.0/8",
            "10.0.0.0/8 ",
            "::/0",
            "2001:db8::/32",
            "2001:DB8::/32",
            "2001:db8::1/32",
            "fe80::%1/64",
            "::ffff:10.0.0.0/104",
            "10.0.0.0/8/8",
            "/8",
            "10.0.0.0/٨",
        ]
    ),
)
tag_texts = st.one_of(
    st.sampled_from(
        ["Storage", "AzureCloud.WestEurope", "Sql.EastUS2", "Storage.", ".Storage", "Azure Cloud", ""]
    ),
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9._-]{0,15}\Z"),
)
hop_texts = st.one_of(
    st.sampled_from(HOP_TYPES),
    st.sampled_from(HOP_TYPES).map(str.lower),
    st.sampled_from(HOP_TYPES).map(str.upper),
    st.sampled_from(["Teleport", " None", "VnetPeering", "VirtualNetworkServiceEndpoint", ""]),
)
ip_texts = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(
        ["10.0.1.4", "10.0.1.4 ", "10.0.1", "010.0.1.4", "10.0.1.4/32", "fe80::1%eth0", "", "::1"]
    ),
)
id_texts = st.one_of(
    st.sampled_from(
        [
            SPOKE,
            SPOKE.upper(),
            f"{SPOKE}/",
            f" {SPOKE}",
            f"{NET}/virtualNetworks/../virtualNetworks/spoke",
            f"{NET}/virtualNetworks//spoke",
            f"{NET}/virtualNetworks/./spoke",
            "/subscriptions/other/resourceGroups/x/providers/Microsoft.Network/virtualNetworks/far",
            "/subscriptions//resourceGroups/x",
            "/subscriptions",
            "subscriptions/x",
            "/resourceGroups/x",
            "",
            RT,
        ]
    ),
    st.lists(st.sampled_from(["a", "..", ".", "", "Microsoft.Network", "x y"]), min_size=1, max_size=5).map(
        lambda segs: "/subscriptions/s/" + "/".join(segs)
    ),
)
path_texts = st.one_of(
    st.lists(st.integers(0, 2**33), max_size=4).map(lambda xs: "-".join(map(str, xs))),
    st.lists(st.integers(0, 70000), max_size=4).map(lambda xs: " ".join(map(str, xs))),
    st.lists(st.integers(-(2**40), 2**40), max_size=3),
    st.sampled_from(
        [
            "",
            " ",
            "65010-65020",
            "65010 {65001,65002,65003}",
            "65010-{65001,65002}-65020",
            "-65010",
            "65010-",
            "65010 abc",
            "65010.5",
            "+65010",
            "4294967296",
            "9" * 30,
            "٣",
        ]
    ),
    st.sampled_from([[[[]]], [True], [65010.0], ["65010"], [None]]),
)
enum_texts = st.one_of(
    st.sampled_from(
        ["EBgp", "IBgp", "Network", "Igp", "VnetLocal", "VNetPeering", "ebgp", "Teleport", "", " "]
    ),
    st.text(max_size=12),
)


@dataclass(frozen=True)
class Entry:
    name: str
    file: str
    path: Loc
    read: Callable[[Snapshot], Any]
    check: Check
    values: st.SearchStrategy[Any]
    absent: bool = True  # also try removing the key


def _by_id(items: tuple[Any, ...], rid: str) -> Any:
    for item in items:
        if item.id == rid:
            return item
    raise AssertionError(f"{rid} is not in the model")


def _bgp(item: Any) -> Any:
    return item.bgp_settings


def _learned(s: Snapshot) -> Any:
    return s.gateway_routes[0].routes[0]


def _effective(s: Snapshot) -> Any:
    return s.effective_routes[0].routes[1]


HUB_DOC = "arm/vnets/hub.json"
SUBNET_APP: Loc = ("properties", "subnets", 1)
HUB_SUBNETS = {  # where each hub subnet's prefix is, in the order the loader checks them (by id)
    ("properties", "subnets", 1, "properties", "addressPrefix"): ipaddress.ip_network("10.0.1.0/24"),
    ("properties", "subnets", 0, "properties", "addressPrefix"): ipaddress.ip_network("10.0.255.0/27"),
}


def _inside(inner: Any, outer: Any) -> bool:
    return bool(inner.version == outer.version and inner.subnet_of(outer))


def holds_hub_subnets(check: Check) -> Check:
    """A VNet prefix must hold its subnets' prefixes (Azure refuses a subnet outside its VNet's
    address space); otherwise the first subnet left outside is the error."""

    def inner(value: Any) -> Verdict:
        verdict = check(value)
        if isinstance(verdict, Valid) and verdict.value is not None:
            for at, net in HUB_SUBNETS.items():
                if not _inside(net, verdict.value):
                    return Invalid(at=at)
        return verdict

    return inner


def inside_hub(check: Check) -> Check:
    """A hub subnet's prefix must lie in the hub's address space (10.0.0.0/16)."""

    def inner(value: Any) -> Verdict:
        verdict = check(value)
        hub = ipaddress.ip_network("10.0.0.0/16")
        if isinstance(verdict, Valid) and verdict.value is not None and not _inside(verdict.value, hub):
            return INVALID
        return verdict

    return inner


PEER_HUB: Loc = ("properties", "virtualNetworkPeerings", 0)
PEER_SPOKE: Loc = ("properties", "virtualNetworkPeerings", 0)
ROUTE: Loc = ("properties", "routes", 0)
ERP: Loc = ("properties", "peerings", 0)
LEARNED: Loc = ("body", "value", 0)
EFFECTIVE: Loc = ("body", "value", 1)
CIRCUIT_ROUTE: Loc = ("body", "value", 0)

asn = integer(0, UINT32)
ints = ints_around(0, UINT32)

ORACLE: tuple[Entry, ...] = (
    # ASNs: JSON integers 0..4294967295, reserved values accepted (left to BGP001)
    Entry(
        "gateway asn",
        "arm/gateways/vpngw.json",
        ("properties", "bgpSettings", "asn"),
        lambda s: _by_id(s.gateways, GW).bgp_settings.asn,
        asn,
        ints,
    ),
    Entry(
        "lng asn",
        "arm/lngs/branch.json",
        ("properties", "bgpSettings", "asn"),
        lambda s: _by_id(s.local_network_gateways, LNG).bgp_settings.asn,
        asn,
        ints,
    ),
    Entry(
        "circuit peerASN",
        "arm/circuits/er.json",
        (*ERP, "properties", "peerASN"),
        lambda s: _by_id(s.circuit_peerings, PEERING).peer_asn,
        asn,
        ints,
    ),
    Entry(
        "circuit customerASN",
        "arm/circuits/er.json",
        ("properties", "peerings", 1, "properties", "microsoftPeeringConfig", "customerASN"),
        lambda s: _by_id(s.circuit_peerings, MS_PEERING).customer_asn,
        asn,
        ints,
    ),
    Entry(
        "circuit azureASN",
        "arm/circuits/er.json",
        (*ERP, "properties", "azureASN"),
        lambda s: _by_id(s.circuit_peerings, PEERING).azure_asn,
        asn,
        ints,
    ),
    Entry(
        "site asn",
        "fixture.json",
        ("sites", 0, "asn"),
        lambda s: s.sites[0].asn,
        asn,
        ints,
    ),
    Entry(
        "bgp peer asn",
        "operations/getBgpPeerStatus/vpngw.json",
        ("body", "value", 0, "asn"),
        lambda s: s.bgp_peer_status[0].peers[0].asn,
        asn,
        ints,
    ),
    # weights and VLANs
    Entry(
        "connection routingWeight",
        "arm/connections/to-branch.json",
        ("properties", "routingWeight"),
        lambda s: _by_id(s.connections, CONN).routing_weight,
        integer(0, 32000),
        ints_around(0, 32000),
    ),
    Entry(
        "gateway peerWeight",
        "arm/gateways/vpngw.json",
        ("properties", "bgpSettings", "peerWeight"),
        lambda s: _by_id(s.gateways, GW).bgp_settings.peer_weight,
        integer(0, INT32),
        ints_around(0, INT32),
    ),
    Entry(
        "lng peerWeight",
        "arm/lngs/branch.json",
        ("properties", "bgpSettings", "peerWeight"),
        lambda s: _by_id(s.local_network_gateways, LNG).bgp_settings.peer_weight,
        integer(0, INT32),
        ints_around(0, INT32),
    ),
    Entry(
        "vlanId",
        "arm/circuits/er.json",
        (*ERP, "properties", "vlanId"),
        lambda s: _by_id(s.circuit_peerings, PEERING).vlan_id,
        integer(0, 4094),
        ints_around(0, 4094),
    ),
    Entry(
        "learned route weight",
        "operations/getLearnedRoutes/vpngw.json",
        (*LEARNED, "weight"),
        lambda s: _learned(s).weight,
        integer(0, INT32),
        ints_around(0, 32768, INT32),
    ),
    # prefixes: canonical, zero host bits
    Entry(
        "vnet addressPrefixes item",
        HUB_DOC,
        ("properties", "addressSpace", "addressPrefixes", 0),
        lambda s: _by_id(s.vnets, HUB).address_prefixes[0],
        holds_hub_subnets(prefix(required=True)),
        prefix_texts,
        absent=False,
    ),
    Entry(
        "subnet addressPrefix",
        HUB_DOC,
        (*SUBNET_APP, "properties", "addressPrefix"),
        lambda s: _by_id(s.subnets, APP).address_prefix,
        # with neither addressPrefix nor addressPrefixes the error names the subnet (both keys in the message)
        lambda v: Invalid(at=SUBNET_APP) if v is None or v is ABSENT else inside_hub(prefix())(v),
        prefix_texts,
    ),
    Entry(
        "lng addressPrefixes item",
        "arm/lngs/branch.json",
        ("properties", "localNetworkAddressSpace", "addressPrefixes", 0),
        lambda s: _by_id(s.local_network_gateways, LNG).address_prefixes[0],
        prefix(required=True),
        prefix_texts,
        absent=False,
    ),
    Entry(
        "circuit primaryPeerAddressPrefix",
        "arm/circuits/er.json",
        (*ERP, "properties", "primaryPeerAddressPrefix"),
        lambda s: _by_id(s.circuit_peerings, PEERING).primary_peer_address_prefix,
        prefix(),
        prefix_texts,
    ),
    Entry(
        "site prefixes item",
        "fixture.json",
        ("sites", 0, "prefixes", 0),
        lambda s: s.sites[0].prefixes[0],
        prefix(required=True),
        prefix_texts,
        absent=False,
    ),
    # routes
    Entry(
        "route addressPrefix",
        "arm/routeTables/rt.json",
        (*ROUTE, "properties", "addressPrefix"),
        lambda s: (lambda r: (r.address_prefix, r.prefix))(_by_id(s.routes, f"{RT}/routes/to-nva")),
        required(route_prefix),
        st.one_of(prefix_texts, tag_texts),
    ),
    Entry(
        "route nextHopType",
        "arm/routeTables/rt.json",
        (*ROUTE, "properties", "nextHopType"),
        lambda s: _by_id(s.routes, f"{RT}/routes/to-nva").next_hop_type,
        required(hop_type),
        hop_texts,
    ),
    Entry(
        "route nextHopIpAddress",
        "arm/routeTables/rt.json",
        (*ROUTE, "properties", "nextHopIpAddress"),
        lambda s: _by_id(s.routes, f"{RT}/routes/to-nva").next_hop_ip_address,
        ip_address,
        ip_texts,
    ),
    # booleans: JSON true / false only
    Entry(
        "peering allowGatewayTransit",
        HUB_DOC,
        (*PEER_HUB, "properties", "allowGatewayTransit"),
        lambda s: _by_id(s.peerings, f"{HUB}/virtualNetworkPeerings/hub-to-spoke").allow_gateway_transit,
        boolean,
        st.sampled_from([True, False, 0, 1, "true", "false", "yes", 1.0]),
    ),
    Entry(
        "peering useRemoteGateways",
        "arm/vnets/spoke.json",
        (*PEER_SPOKE, "properties", "useRemoteGateways"),
        lambda s: _by_id(s.peerings, f"{SPOKE}/virtualNetworkPeerings/spoke-to-hub").use_remote_gateways,
        boolean,
        st.sampled_from([True, False, 0, 1, "True", "off", "no"]),
    ),
    Entry(
        "gateway enableBgp",
        "arm/gateways/vpngw.json",
        ("properties", "enableBgp"),
        lambda s: _by_id(s.gateways, GW).enable_bgp,
        boolean,
        st.sampled_from([True, False, 0, 1, "true", "1"]),
    ),
    Entry(
        "connection enableBgp",
        "arm/connections/to-branch.json",
        ("properties", "enableBgp"),
        lambda s: _by_id(s.connections, CONN).enable_bgp,
        boolean,
        st.sampled_from([True, False, 0, 1, "false"]),
    ),
    Entry(
        "route table disableBgpRoutePropagation",
        "arm/routeTables/rt.json",
        ("properties", "disableBgpRoutePropagation"),
        lambda s: _by_id(s.route_tables, RT).disable_bgp_route_propagation,
        boolean,
        st.sampled_from([True, False, 0, 1, "false", "on"]),
    ),
    # ids
    Entry(
        "peering remoteVirtualNetwork.id",
        HUB_DOC,
        (*PEER_HUB, "properties", "remoteVirtualNetwork", "id"),
        lambda s: _by_id(s.peerings, f"{HUB}/virtualNetworkPeerings/hub-to-spoke").remote_vnet_id.key,
        arm_id(required=True, kind="microsoft.network/virtualnetworks"),
        id_texts,
    ),
    Entry(
        "subnet routeTable.id",
        HUB_DOC,
        (*SUBNET_APP, "properties", "routeTable", "id"),
        lambda s: (lambda r: r.key if r is not None else None)(_by_id(s.subnets, APP).route_table_id),
        arm_id(kind="microsoft.network/routetables"),
        id_texts,
    ),
    # observations: prefixes and AS paths strict, enums open-ended
    Entry(
        "learned route network",
        "operations/getLearnedRoutes/vpngw.json",
        (*LEARNED, "network"),
        lambda s: _learned(s).network,
        prefix(blank_is_none=True),
        prefix_texts,
    ),
    Entry(
        "learned route asPath",
        "operations/getLearnedRoutes/vpngw.json",
        (*LEARNED, "asPath"),
        lambda s: _learned(s).as_path,
        as_path,
        path_texts,
    ),
    Entry(
        "learned route origin",
        "operations/getLearnedRoutes/vpngw.json",
        (*LEARNED, "origin"),
        lambda s: _learned(s).origin,
        open_enum(blank_is_none=True),
        enum_texts,
    ),
    Entry(
        "effective route nextHopType",
        "operations/effectiveRouteTable/vm-nic.json",
        (*EFFECTIVE, "nextHopType"),
        lambda s: _effective(s).next_hop_type,
        open_enum(),
        st.one_of(hop_texts, enum_texts),
    ),
    Entry(
        "effective route state",
        "operations/effectiveRouteTable/vm-nic.json",
        (*EFFECTIVE, "state"),
        lambda s: _effective(s).state,
        open_enum(),
        st.one_of(st.sampled_from(["Active", "Invalid", "active", "Teleport"]), enum_texts),
    ),
    Entry(
        "effective route addressPrefix item",
        "operations/effectiveRouteTable/vm-nic.json",
        (*EFFECTIVE, "addressPrefix", 0),
        lambda s: _effective(s).address_prefixes[0],
        prefix(required=True),
        prefix_texts,
        absent=False,
    ),
    Entry(
        "circuit route path",
        "operations/routeTables/er-primary.json",
        (*CIRCUIT_ROUTE, "path"),
        lambda s: s.circuit_tables[0].routes[0].path,
        as_path,
        path_texts,
    ),
    Entry(
        "circuit route network",
        "operations/routeTables/er-primary.json",
        (*CIRCUIT_ROUTE, "network"),
        lambda s: s.circuit_tables[0].routes[0].network,
        prefix(blank_is_none=True),
        prefix_texts,
    ),
)


def _not_text(value: Any) -> bool:
    """A string (or key) holding a lone surrogate, at any depth: no UTF-8 text holds one."""
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_not_text(k) or _not_text(v) for k, v in value.items())
    return isinstance(value, list) and any(_not_text(v) for v in value)


def _verdict(entry: Entry, value: Any) -> Verdict:
    if isinstance(value, Raw):
        if value.text == "[[[]]]":
            return entry.check([[[]]])
        return Invalid(below=True)  # too big, too deep or not JSON: an error at (or inside) the value
    if _not_text(value):
        return Invalid(below=True)  # a lone surrogate: an error at (or inside) the value
    return entry.check(value)


# -- the validator in process; the CLI once per area ---------------------------------------------------


def _load(root: Path, rel: str) -> Snapshot | InputError:
    """What `azroute inventory ROOT` reads once `rel` changed: the snapshot, or the one error it would
    print. Every other file is as the base's first read found it (each example puts back the file it
    changes), so only `rel` is read again, by the reader of one file, into a copy of that read, and
    the snapshot is built from it (`load_fixture`, less the unchanged files); a changed manifest is
    read with the whole snapshot. `test_the_base_loads...` checks that this is `load_fixture`."""
    try:
        if rel == "fixture.json":
            return load_fixture(root)
        source = pickle.loads(_AS_READ[root])
        file = str(root / rel)
        if rel.startswith("operations/"):
            assert rel in source.tree.operations, rel
            source.tree.operations[rel] = (file, read_json(root / rel))
        else:
            (at,) = [i for i, e in enumerate(source.tree.documents) if e is not None and e[0] == file]
            source.tree.documents[at] = (file, read_json(root / rel))
        return build_snapshot(source)
    except InputError as exc:
        return exc


@contextmanager
def _with(root: Path, rel: str, doc: Any) -> Iterator[None]:
    file = root / rel
    original = file.read_bytes()
    file.write_text(_render(doc), encoding="utf-8")
    try:
        yield
    finally:
        file.write_bytes(original)


def _assert_rejected(
    root: Path, rel: str, loaded: Snapshot | InputError, at: Loc, below: bool, what: str
) -> None:
    assert isinstance(loaded, InputError), f"{what}: accepted, expected an error at {json_path(at)}"
    assert "\n" not in str(loaded), f"{what}: not one line: {loaded}"
    assert loaded.file == str(root / rel), f"{what}: names another file: {loaded}"
    where, expected = loaded.path, json_path(at)
    if below:
        assert where == expected or where.startswith((expected + ".", expected + "[")), (
            f"{what}: error at {where}, expected {expected} or inside it: {loaded}"
        )
    else:
        assert where == expected, f"{what}: error at {where}, expected {expected}: {loaded}"


def _run(
    root: Path, rel: str, doc: Any, at: Loc, verdict: Verdict, read: Callable[[Snapshot], Any] | None
) -> None:
    what = f"{rel} {json_path(at)}"
    event("valid" if isinstance(verdict, Valid) else "invalid")
    with _with(root, rel, doc):
        loaded = _load(root, rel)
    if isinstance(verdict, Invalid):
        _assert_rejected(root, rel, loaded, verdict.at or at, verdict.below, what)
    else:
        assert not isinstance(loaded, InputError), f"{what}: valid value rejected: {loaded}"
        if read is not None:
            got = read(loaded)
            assert got == verdict.value, f"{what}: the model holds {got!r}, expected {verdict.value!r}"


# -- the properties ------------------------------------------------------------------------------------


def test_the_base_loads_and_every_oracle_entry_reads_its_base_value(base_root: Path) -> None:
    """The oracle agrees with the base: each entry's validator accepts the base value, and the model
    holds it (so a test can fail only because of the mutation)."""
    assert azroute("inventory", str(base_root)).exit_code == 0
    snapshot = load_fixture(base_root)
    for rel in BASE:  # what the examples read, one changed file at a time, is what load_fixture reads
        assert _load(base_root, rel) == snapshot, rel
    for entry in ORACLE:
        value: Any = BASE[entry.file]
        for step in entry.path:
            value = value[step]
        verdict = entry.check(value)
        assert isinstance(verdict, Valid), entry.name
        assert entry.read(snapshot) == verdict.value, entry.name


def test_a_rejected_value_is_the_cli_s_one_line_and_exit_2(base_root: Path) -> None:
    """The CLI prints exactly the validator's error (what every example checks in process)."""
    entry = ORACLE[0]
    with _with(base_root, entry.file, _mutated(BASE[entry.file], entry.path, Raw("NaN"))):
        error = _load(base_root, entry.file)
        outcome = azroute("inventory", str(base_root))
    assert isinstance(error, InputError)
    _assert_rejected(base_root, entry.file, error, entry.path, True, entry.name)
    assert outcome.exit_code == 2 and outcome.stdout == ""
    assert outcome.stderr == f"azroute: error: {error}\n"


def _values(entry: Entry) -> st.SearchStrategy[Any]:
    options = [entry.values, entry.values, any_json, raw]
    if entry.absent:
        options.append(st.just(ABSENT))
    return st.one_of(*options)


@pytest.mark.parametrize("entry", ORACLE, ids=[e.name for e in ORACLE])
def test_each_field_is_validated_as_arm_documents_it(base_root: Path, entry: Entry) -> None:
    @PROFILE
    @given(value=_values(entry))
    def mutate(value: Any) -> None:
        doc = _mutated(BASE[entry.file], entry.path, value)
        _run(base_root, entry.file, doc, entry.path, _verdict(entry, value), entry.read)

    mutate()


def _containers(doc: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Any]]:
    """Every object and array below the root of a document, with its location."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        if isinstance(value, dict | list):
            yield (*loc, key), value
            yield from _containers(value, (*loc, key))


def _keys(doc: Any, loc: Loc = ()) -> Iterator[Loc]:
    """Every key of every object of a document, with its location."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*loc, key)
            yield from _keys(value, (*loc, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _keys(value, (*loc, i))


# `body` may be a bare array (ARM's list result without `value`); every other container is read
CONTAINERS = [
    (rel, loc, value) for rel, doc in BASE.items() for loc, value in _containers(doc) if loc != ("body",)
]
KEYS = [(rel, loc) for rel, doc in BASE.items() for loc in _keys(doc)]


@examples(300)
@given(
    target=st.sampled_from(CONTAINERS),
    replacement=st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.floats(), st.just(0)),
    swap=st.booleans(),
)
def test_an_object_or_array_of_the_wrong_type_is_an_error_at_its_path(
    base_root: Path, target: tuple[str, Loc, Any], replacement: Any, swap: bool
) -> None:
    """A `properties`, `localNetworkAddressSpace`, `bgpSettings`, list of subnets... of the wrong JSON
    type is an error naming it, never read as absent."""
    rel, loc, original = target
    if swap:  # an object where an array belongs, an array where an object belongs
        replacement = [] if isinstance(original, dict) else {}
    doc = _mutated(BASE[rel], loc, replacement)
    _run(base_root, rel, doc, loc, INVALID, None)


@examples(200)
@given(target=st.sampled_from(KEYS))
def test_a_duplicate_key_is_an_error_at_its_path(base_root: Path, target: tuple[str, Loc]) -> None:
    rel, loc = target
    value: Any = BASE[rel]
    for step in loc:
        value = value[step]
    doc = _mutated(BASE[rel], loc, Duplicate(value))
    _run(base_root, rel, doc, loc, INVALID, None)


@examples(100)
@given(
    target=st.sampled_from(KEYS),
    deep=st.sampled_from(
        [Raw("[" * 64 + "]" * 64), Raw("[" * 3000 + "]" * 3000), Raw("9" * 4301), Raw("NaN")]
    ),
)
def test_too_deep_too_big_or_not_json_anywhere_is_an_error_at_its_path(
    base_root: Path, target: tuple[str, Loc], deep: Raw
) -> None:
    rel, loc = target
    _run(base_root, rel, _mutated(BASE[rel], loc, deep), loc, Invalid(below=True), None)


# -- the audit on valid mutations ---------------------------------------------------------------------


def _audit(root: Path) -> Any:
    """`azroute audit ROOT -f json` in process: the snapshot, every rule, the JSON report (as text and
    back). The CLI's own audit of a mutated base is checked once, below."""
    snapshot = load_fixture(root)
    return json.loads(render_json(report_dict(snapshot, run(snapshot, load_rules()))))


def test_the_cli_audits_a_mutated_base_as_the_engine_does(base_root: Path) -> None:
    entry = next(e for e in ORACLE if e.name == "effective route nextHopType")
    with _with(base_root, entry.file, _mutated(BASE[entry.file], entry.path, "NotAHop")):
        report = _audit(base_root)
        outcome = azroute("audit", str(base_root), "-f", "json")
    assert outcome.exit_code == 3 and not report["coverage"]["complete"], outcome.stderr
    assert outcome.json() == report


AUDITED = [e for e in ORACLE if e.file.startswith(("arm/", "operations/"))]


@examples(120)
@given(data=st.data())
def test_valid_mutations_audit_without_a_crash(base_root: Path, data: st.DataObject) -> None:
    entry = data.draw(st.sampled_from(AUDITED), label="entry")
    value = data.draw(entry.values.filter(lambda v: isinstance(_verdict(entry, v), Valid)), label="value")
    with _with(base_root, entry.file, _mutated(BASE[entry.file], entry.path, value)):
        report = _audit(base_root)
    assert not [f for f in report["findings"] if f["rule"] == CRASH_RULE], report["findings"]


# What ARM documents or is seen to return; any other value of these open-ended enums is a gap naming it
KNOWN_OBSERVED = {
    "effective route nextHopType": {
        h.lower() for h in (*HOP_TYPES, "VNetPeering", "VNetGlobalPeering", "VirtualNetworkServiceEndpoint")
    },
    "effective route state": {"active", "invalid"},
    "learned route origin": {"network", "ebgp", "ibgp", "igp"},
}
OPEN_ENUMS = [e for e in ORACLE if e.name in KNOWN_OBSERVED]


@examples(60)
@given(entry=st.sampled_from(OPEN_ENUMS), value=st.one_of(hop_texts, enum_texts))
@example(entry=next(e for e in OPEN_ENUMS if e.name == "effective route nextHopType"), value="  ")
@example(entry=next(e for e in OPEN_ENUMS if e.name == "effective route state"), value="\t")
def test_an_unknown_observed_enum_value_is_a_coverage_gap_naming_it(
    base_root: Path, entry: Entry, value: str
) -> None:
    with _with(base_root, entry.file, _mutated(BASE[entry.file], entry.path, value)):
        report = _audit(base_root)
    gaps = [g for g in report["coverage"]["gaps"] if g["kind"] == "unknown-value"]
    unknown = bool(value.strip()) and value.lower() not in KNOWN_OBSERVED[entry.name]
    named = [g for g in gaps if repr(value) in g["detail"]]
    if unknown:
        assert named and not report["coverage"]["complete"], (
            f"unknown {entry.name} {value!r} is not a coverage gap: {gaps}"
        )
    else:
        assert not gaps, f"known {entry.name} {value!r} reported as unknown: {gaps}"
