"""Results of ARM's read-only POST operations: what the platform itself reports.

Configuration says what should happen; observations say what the data plane and BGP
speakers show at collection time. A failed observation (non-200) is kept as an
`ObservationGap`, never as an empty table.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, StrictBool, field_validator
from pydantic.alias_generators import to_camel

from auditor.ids import ArmId
from auditor.model.base import Asn, Count, Frozen, Int32, Prefix, parse_prefix


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
        """The ARM type (lower-case) of the resource the operation is called on (the registry's)."""
        from auditor.model.kinds import OPERATION_TARGETS  # the registry imports this module

        return OPERATION_TARGETS[self].type_path


class Camel(Frozen):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, alias_generator=to_camel)


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


_AS_SET = re.compile(r"\{[^{}]*\}")
_ASN = re.compile(r"[0-9]+")
_MAX_ASN = 4_294_967_295


def parse_as_path(value: Any) -> tuple[int, ...]:
    """`12076-65021`, `12076 65021` or `12076,65021` -> (12076, 65021); AS sets (`{65001,65002}`)
    are dropped. A list of JSON integers is read as it is. Anything else is an error."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        for v in value:
            if type(v) is not int or not 0 <= v <= _MAX_ASN:
                raise ValueError(f"an AS path holds ASNs (integers 0 to {_MAX_ASN}), not {_short(v)}")
        return tuple(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an AS path string, got {type(value).__name__}")
    text = _AS_SET.sub(" ", value).strip()
    if not text:
        return ()
    path: list[int] = []
    for token in re.split(r"[\s,\-]+", text):
        if not _ASN.fullmatch(token) or int(token) > _MAX_ASN:
            raise ValueError(f"not an AS path: {value[:60]!r} ({token[:20]!r} is not an ASN)")
        path.append(int(token))
    return tuple(path)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- NIC effective routes ---------------------------------------------------------------------


class EffectiveRoute(Camel):
    name: str | None = None
    source: str | None = None
    state: str | None = None
    address_prefixes: tuple[Prefix, ...] = Field((), alias="addressPrefix")
    next_hop_ip_addresses: tuple[str, ...] = Field((), alias="nextHopIpAddress")
    next_hop_type: str | None = None
    disable_bgp_route_propagation: StrictBool | None = None


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
    weight: Int32 | None = None

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
    asn: Asn | None = None
    state: str | None = None
    connected_duration: str | None = None
    routes_received: Count | None = None
    messages_sent: Count | None = None
    messages_received: Count | None = None


class BgpPeerStatusTable(Frozen):
    gateway_id: ArmId
    peers: tuple[BgpPeerStatus, ...]
    file: str | None = None


# -- ExpressRoute circuit peering (Microsoft edge) ---------------------------------------------------


class CircuitRoute(Camel):
    network: Prefix | None = None
    next_hop: str | None = None
    loc_prf: str | None = None
    weight: Int32 | None = None
    path: tuple[int, ...] = ()

    _blank = field_validator("network", "next_hop", "loc_prf", mode="before")(_blank_to_none)

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, value: Any) -> tuple[int, ...]:
        return parse_as_path(value)


class CircuitRouteSummary(Camel):
    neighbor: str | None = None
    v: Count | None = None
    as_: Asn | None = Field(None, alias="as")
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
    age: Count | None = None
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
