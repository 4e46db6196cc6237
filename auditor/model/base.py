"""Building blocks shared by every model class: the frozen base, prefixes, ARM paths."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasPath,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from auditor.ids import ArmId

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_prefix(value: Any) -> IPNetwork:
    """An address prefix such as `10.0.0.0/16`; host bits must be zero, as ARM requires."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an address prefix string, got {type(value).__name__}")
    try:
        return ipaddress.ip_network(value.strip())
    except ValueError as exc:
        raise ValueError(f"not a valid address prefix: {value!r} ({exc})") from None


def parse_canonical_prefix(value: Any) -> IPNetwork:
    """A prefix as ARM writes one: address, `/`, decimal length (`10.0.0.0/16`), host bits zero;
    no surrounding spaces, netmask, zone or leading zeros. IPv6 may be written in any case and
    with or without `::` compression."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    if isinstance(value, str):
        return _canonical(value)
    return parse_prefix(value)


@lru_cache(maxsize=1 << 16)
def _canonical(value: str) -> IPNetwork:
    """Parsed once per distinct string: an estate writes each prefix several times (the VNet, its
    subnets, both sides' peerings, route tables); networks are immutable, so one object serves all."""
    address, slash, length = value.partition("/")
    if (
        not slash
        or not (length.isascii() and length.isdigit())
        or (len(length) > 1 and length.startswith("0"))
        or address != address.strip()
        or "%" in address
    ):
        raise ValueError(f"not a valid address prefix: {value!r} (expected address/length, e.g. 10.0.0.0/16)")
    return parse_prefix(value)


Prefix = Annotated[
    IPNetwork,
    PlainValidator(parse_canonical_prefix),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "format": "ip-prefix", "examples": ["10.0.0.0/16"]}),
]


def snapshot_relative(file: str | None) -> str | None:
    """A file inside a snapshot from the snapshot's root (`operations/...`), not machine-specific."""
    if file is None:
        return None
    text = file.replace("\\", "/")
    for marker in ("/operations/", "/arm/"):
        if marker in text:
            return marker[1:] + text.split(marker, 1)[1]
    return text


# An autonomous system number as ARM writes it: a JSON integer (never a string or a boolean) of 0 to
# 2**32 - 1. Reserved values are accepted here and left to BGP001.
Asn = Annotated[int, Field(ge=0, le=4_294_967_295, strict=True)]
RoutingWeight = Annotated[int, Field(ge=0, le=32_000, strict=True)]
VlanId = Annotated[int, Field(ge=0, le=4094, strict=True)]
# ARM's int32 numbers that are never negative (BGP peer weights, learned-route weights, bandwidth)
Int32 = Annotated[int, Field(ge=0, le=2_147_483_647, strict=True)]
# counters and ages ARM reports as int64
Count = Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)]


class Frozen(BaseModel):
    """Base of every model class: immutable, unknown ARM properties ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


def prop(*path: str | int, default: Any = None) -> Any:
    """A field read from `properties.<path>` of an ARM document; None when ARM omits it."""
    return Field(default, validation_alias=AliasPath("properties", *path))


def _of_kind(kind: str) -> AfterValidator:
    """A reference ARM only accepts to a resource of one kind (`ROUTE_TABLE`, a `model.kinds` name:
    the registry spells ARM types, and imports this module, so it is read when first needed)."""

    def check(value: ArmId) -> ArmId:
        from auditor.model import kinds

        arm_type = getattr(kinds, kind).arm_type
        if value.type_path != arm_type.lower():
            raise ValueError(f"not the id of a {arm_type.rsplit('/', 1)[-1]} resource: {str(value)!r}")
        return value

    return AfterValidator(check)


VNetId = Annotated[ArmId, _of_kind("VNET")]
SubnetId = Annotated[ArmId, _of_kind("SUBNET")]
RouteTableId = Annotated[ArmId, _of_kind("ROUTE_TABLE")]
GatewayId = Annotated[ArmId, _of_kind("GATEWAY")]
LocalGatewayId = Annotated[ArmId, _of_kind("LOCAL_NETWORK_GATEWAY")]
CircuitId = Annotated[ArmId, _of_kind("CIRCUIT")]


def ref(*path: str) -> Any:
    """A field holding the `id` of a sub-resource reference (`properties.<path>.id`)."""
    return Field(None, validation_alias=AliasPath("properties", *path, "id"))


def required_prop(*path: str | int) -> Any:
    return Field(validation_alias=AliasPath("properties", *path))


class Resource(Frozen):
    """Fields every ARM resource carries."""

    id: ArmId
    name: str | None = None
    location: str | None = None
    provisioning_state: str | None = prop("provisioningState")

    @property
    def display_name(self) -> str:
        return self.name or self.id.name


def same(a: str | None, b: str) -> bool:
    """Case-insensitive comparison for ARM enum values (`Connected`, `connected`)."""
    return a is not None and a.lower() == b.lower()
