"""Results of ARM's read-only POST operations: what the platform itself reports.

Configuration says what should happen; observations say what the data plane and BGP
speakers show at collection time. A failed observation (non-200) is kept as an
`ObservationGap`, never as an empty table.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from auditor.ids import ArmId
from auditor.model.base import Frozen, Prefix, parse_prefix


class Operation(StrEnum):
    EFFECTIVE_ROUTE_TABLE = "effectiveRouteTable"
    GET_LEARNED_ROUTES = "getLearnedRoutes"
    GET_ADVERTISED_ROUTES = "getAdvertisedRoutes"
    GET_BGP_PEER_STATUS = "getBgpPeerStatus"
    ROUTE_TABLES = "routeTables"
    ROUTE_TABLES_SUMMARY = "routeTablesSummary"
    ARP_TABLES = "arpTables"

    @property
    def target_type(self) -> str:
        """The ARM type (lower-case) of the resource the operation is called on."""
        return _TARGETS[self]


_TARGETS = {
    Operation.EFFECTIVE_ROUTE_TABLE: "microsoft.network/networkinterfaces",
    Operation.GET_LEARNED_ROUTES: "microsoft.network/virtualnetworkgateways",
    Operation.GET_ADVERTISED_ROUTES: "microsoft.network/virtualnetworkgateways",
    Operation.GET_BGP_PEER_STATUS: "microsoft.network/virtualnetworkgateways",
    Operation.ROUTE_TABLES: "microsoft.network/expressroutecircuits/peerings",
    Operation.ROUTE_TABLES_SUMMARY: "microsoft.network/expressroutecircuits/peerings",
    Operation.ARP_TABLES: "microsoft.network/expressroutecircuits/peerings",
}


class Camel(Frozen):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, alias_generator=to_camel)


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


_ASN = re.compile(r"^\d+$")


def parse_as_path(value: Any) -> tuple[int, ...]:
    """`12076-65021`, `12076 65021` or `12076,65021` -> (12076, 65021). AS sets are dropped."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(int(v) for v in value)
    if not isinstance(value, str):
        raise ValueError(f"expected an AS path string, got {type(value).__name__}")
    return tuple(int(tok) for tok in re.split(r"[\s,\-]+", value.strip()) if _ASN.match(tok))


# -- NIC effective routes ---------------------------------------------------------------------


class EffectiveRoute(Camel):
    name: str | None = None
    source: str | None = None
    state: str | None = None
    address_prefixes: tuple[Prefix, ...] = Field((), alias="addressPrefix")
    next_hop_ip_addresses: tuple[str, ...] = Field((), alias="nextHopIpAddress")
    next_hop_type: str | None = None
    disable_bgp_route_propagation: bool | None = None


class EffectiveRouteTable(Frozen):
    nic_id: ArmId
    routes: tuple[EffectiveRoute, ...]
    file: str | None = None
    stands_for: tuple[ArmId, ...] = Field(
        (), description="Subnets whose routing signature this observation also stands for (collected once)."
    )


# -- VNet gateway BGP -------------------------------------------------------------------------------


class GatewayRoute(Camel):
    local_address: str | None = None
    network: Prefix | None = None
    next_hop: str | None = None
    source_peer: str | None = None
    origin: str | None = None
    as_path: tuple[int, ...] = ()
    weight: int | None = None

    _blank = field_validator("network", "next_hop", "source_peer", "origin", "local_address", mode="before")(
        _blank_to_none
    )

    @field_validator("as_path", mode="before")
    @classmethod
    def _path(cls, value: Any) -> tuple[int, ...]:
        return parse_as_path(value)


class GatewayRouteTable(Frozen):
    """`getLearnedRoutes` (peer None) or `getAdvertisedRoutes` (peer = the BGP neighbour)."""

    gateway_id: ArmId
    operation: Operation
    peer: str | None = None
    routes: tuple[GatewayRoute, ...]
    file: str | None = None


class BgpPeerStatus(Camel):
    local_address: str | None = None
    neighbor: str | None = None
    asn: int | None = None
    state: str | None = None
    connected_duration: str | None = None
    routes_received: int | None = None
    messages_sent: int | None = None
    messages_received: int | None = None


class BgpPeerStatusTable(Frozen):
    gateway_id: ArmId
    peers: tuple[BgpPeerStatus, ...]
    file: str | None = None


# -- ExpressRoute circuit peering (Microsoft edge) ---------------------------------------------------


class CircuitRoute(Camel):
    network: Prefix | None = None
    next_hop: str | None = None
    loc_prf: str | None = None
    weight: int | None = None
    path: tuple[int, ...] = ()

    _blank = field_validator("network", "next_hop", "loc_prf", mode="before")(_blank_to_none)

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, value: Any) -> tuple[int, ...]:
        return parse_as_path(value)


class CircuitRouteSummary(Camel):
    neighbor: str | None = None
    v: int | None = None
    as_: int | None = Field(None, alias="as")
    up_down: str | None = None
    state_pfx_rcd: str | None = None

    @field_validator("state_pfx_rcd", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @property
    def established(self) -> bool:
        """`statePfxRcd` holds a prefix count once the session is up, a state name otherwise."""
        return self.state_pfx_rcd is not None and self.state_pfx_rcd.strip().isdigit()


class ArpEntry(Camel):
    age: int | None = None
    interface: str | None = None
    ip_address: str | None = None
    mac_address: str | None = None


class CircuitTable(Frozen):
    """`routeTables`, `routeTablesSummary` or `arpTables` of one device path."""

    peering_id: ArmId
    operation: Operation
    device_path: str
    routes: tuple[CircuitRoute, ...] = ()
    summary: tuple[CircuitRouteSummary, ...] = ()
    arp: tuple[ArpEntry, ...] = ()
    file: str | None = None


class ObservationGap(Frozen):
    """An observation that was attempted and failed (VM deallocated, forbidden, timeout)."""

    resource_id: ArmId
    operation: Operation
    parameters: dict[str, str] = Field(default_factory=dict)
    status: int
    code: str | None = None
    message: str | None = None
    file: str | None = None


__all__ = [
    "ArpEntry",
    "BgpPeerStatus",
    "BgpPeerStatusTable",
    "CircuitRoute",
    "CircuitRouteSummary",
    "CircuitTable",
    "EffectiveRoute",
    "EffectiveRouteTable",
    "GatewayRoute",
    "GatewayRouteTable",
    "ObservationGap",
    "Operation",
    "parse_as_path",
    "parse_prefix",
]
