"""ARM documents and operation records -> the shared model.

`SnapshotBuilder` takes documents one at a time (as ARM GET returns them: one resource, or a
list page `{"value": [...]}`), takes nested children out of their parents the way ARM nests
them, checks that an id seen twice has the same content, and builds a `Snapshot`. Every
problem is an `InputError` naming the file and the JSON path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import AliasPath, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from auditor.errors import InputError, json_path
from auditor.ids import ArmId
from auditor.model import (
    ArpEntry,
    BgpPeerStatus,
    BgpPeerStatusTable,
    CircuitRoute,
    CircuitRouteSummary,
    CircuitTable,
    EffectiveRoute,
    EffectiveRouteTable,
    ExpressRouteCircuit,
    ExternalReference,
    GatewayRoute,
    GatewayRouteTable,
    ObservationGap,
    Operation,
    Origin,
    Site,
    Snapshot,
    Subnet,
    VirtualNetwork,
    VirtualNetworkPeering,
)
from auditor.model.base import Resource
from auditor.model.kinds import MODELLED, Modelled
from auditor.model.resources import arm_peering_state

Loc = list[str | int]
M = TypeVar("M", bound=BaseModel)


class OperationRecord(BaseModel):
    """One file under `operations/`."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    resource_id: ArmId
    operation: Operation
    parameters: dict[str, str] = Field(default_factory=dict)
    status: int = Field(ge=0, le=599, strict=True)  # 0: no HTTP answer (a timeout)
    body: Any = None
    stands_for: tuple[ArmId, ...] = ()


@dataclass
class _Seen:
    item: Resource
    file: str
    path: str


class SnapshotBuilder:
    """Accumulates documents, then `build()`s one Snapshot."""

    def __init__(self, origins: dict[str, tuple[str, Loc]] | None = None) -> None:
        # id key -> (file, JSON location) where the resource really came from (an overlay's patch)
        self._origins = origins or {}
        self._items: dict[str, dict[ArmId, _Seen]] = {kind.field: {} for kind in MODELLED.values()}
        self._skipped: Counter[str] = Counter()
        self._partial: list[str] = []
        self._effective: dict[ArmId, EffectiveRouteTable] = {}
        self._gateway_routes: dict[tuple[ArmId, str, str], GatewayRouteTable] = {}
        self._bgp: dict[ArmId, BgpPeerStatusTable] = {}
        self._circuit_tables: dict[tuple[ArmId, str, str], CircuitTable] = {}
        self._gaps: list[ObservationGap] = []
        self._observation_keys: dict[tuple[str, str, str], str] = {}

    # -- ARM documents ---------------------------------------------------------------------------
    def add_document(self, doc: Any, file: str) -> None:
        """A resource, or a list page `{"value": [...]}`."""
        if not isinstance(doc, dict):
            raise InputError(file, "$", f"expected a JSON object, got {_json_type(doc)}")
        if "id" not in doc and "value" in doc:
            values = doc["value"]
            if not isinstance(values, list):
                raise InputError(
                    file, "$.value", f"a list page's value must be an array, got {_json_type(values)}"
                )
            for i, item in enumerate(values):
                self._add_resource(item, file, ["value", i], parent=None, child_type=None)
            if doc.get("nextLink"):
                self._partial.append(file)
            return
        self._add_resource(doc, file, [], parent=None, child_type=None)

    def _add_resource(
        self, doc: Any, file: str, loc: Loc, parent: ArmId | None, child_type: str | None
    ) -> None:
        if not isinstance(doc, dict):
            raise InputError(file, json_path(loc), f"expected an ARM resource object, got {_json_type(doc)}")
        raw_id = doc.get("id")
        if raw_id is None and parent is not None and isinstance(doc.get("name"), str) and child_type:
            raw_id = f"{parent}/{child_type}/{doc['name']}"
            doc = {**doc, "id": raw_id}
        if raw_id is None:
            raise InputError(file, json_path(loc), "ARM resource has no 'id'")
        if not isinstance(raw_id, str):
            raise InputError(
                file, json_path([*loc, "id"]), f"'id' must be a string, got {_json_type(raw_id)}"
            )
        try:
            rid = ArmId(raw_id)
        except ValueError as exc:
            declared = doc.get("type")
            if isinstance(declared, str) and declared.lower() not in MODELLED:
                # A catalogue entry (service providers, BGP communities) with a scope-less id.
                self._skipped[declared.lower()] += 1
                return
            raise InputError(file, json_path([*loc, "id"]), str(exc)) from None
        origin = self._origins.get(rid.key)
        if origin is not None:
            file, loc = origin[0], list(origin[1])
        type_path = rid.type_path
        kind = MODELLED.get(type_path or "")
        if kind is None:
            self._skipped[type_path or "(no type)"] += 1
            return
        for path in _object_paths(kind.model):
            _check_objects(doc, path, file, loc)
        try:
            item = kind.model.model_validate(doc)
        except ValidationError as exc:
            raise InputError.from_validation(file, loc, exc) from None
        self._store(kind, item, file, json_path(loc))
        props = doc.get("properties")
        if not isinstance(props, dict):
            return
        for key, segment in kind.children:
            children = props.get(key)
            if children is None:
                continue
            if not isinstance(children, list):
                raise InputError(
                    file,
                    json_path([*loc, "properties", key]),
                    f"expected an array, got {_json_type(children)}",
                )
            for i, child in enumerate(children):
                self._add_resource(child, file, [*loc, "properties", key, i], parent=rid, child_type=segment)

    def _store(self, kind: Modelled, item: Resource, file: str, path: str) -> None:
        bucket = self._items[kind.field]
        seen = bucket.get(item.id)
        if seen is None:
            bucket[item.id] = _Seen(item, file, path)
        elif seen.item != item:
            raise InputError(
                file,
                path,
                f"resource {item.id} is also defined in {seen.file} at {seen.path} with different content",
            )

    # -- operation records --------------------------------------------------------------------------
    def add_operation(self, doc: Any, file: str) -> None:
        if not isinstance(doc, dict):
            raise InputError(file, "$", f"expected an operation record object, got {_json_type(doc)}")
        try:
            record = OperationRecord.model_validate(doc)
        except ValidationError as exc:
            raise InputError.from_validation(file, [], exc) from None
        self.add_operation_result(record, file)

    def add_operation_result(self, record: OperationRecord, file: str) -> None:
        op = record.operation
        if record.resource_id.type_path != op.target_type:
            raise InputError(
                file,
                "$.resourceId",
                f"operation {op.value} applies to {op.target_type}, not {record.resource_id.type_path}",
            )
        params = record.parameters
        needs = {
            Operation.GET_ADVERTISED_ROUTES: "peer",
            Operation.ROUTE_TABLES: "devicePath",
            Operation.ROUTE_TABLES_SUMMARY: "devicePath",
            Operation.ARP_TABLES: "devicePath",
        }
        needed = needs.get(op)
        if needed and not params.get(needed):
            raise InputError(
                file, f"$.parameters.{needed}", f"operation {op.value} needs parameters.{needed}"
            )
        key = (record.resource_id.key, op.value, (params.get(needed) or "").lower() if needed else "")
        if key in self._observation_keys:
            raise InputError(
                file, "$", f"the same observation is also recorded in {self._observation_keys[key]}"
            )
        self._observation_keys[key] = file

        if record.status != 200:
            error = record.body.get("error") if isinstance(record.body, dict) else None
            error = error if isinstance(error, dict) else {}
            self._gaps.append(
                ObservationGap(
                    resource_id=record.resource_id,
                    operation=op,
                    parameters=dict(params),
                    status=record.status,
                    code=_opt_str(error.get("code")),
                    message=_opt_str(error.get("message")),
                    file=file,
                )
            )
            return

        values = self._values(record.body, file)
        rid = record.resource_id
        if op is Operation.EFFECTIVE_ROUTE_TABLE:
            routes = tuple(self._parse(EffectiveRoute, v, file, i) for i, v in enumerate(values))
            self._effective[rid] = EffectiveRouteTable(
                nic_id=rid, routes=routes, file=file, stands_for=record.stands_for
            )
        elif op in (Operation.GET_LEARNED_ROUTES, Operation.GET_ADVERTISED_ROUTES):
            groutes = tuple(self._parse(GatewayRoute, v, file, i) for i, v in enumerate(values))
            peer = params.get("peer") if op is Operation.GET_ADVERTISED_ROUTES else None
            self._gateway_routes[(rid, op.value, peer or "")] = GatewayRouteTable(
                gateway_id=rid, operation=op, peer=peer, routes=groutes, file=file
            )
        elif op is Operation.GET_BGP_PEER_STATUS:
            peers = tuple(self._parse(BgpPeerStatus, v, file, i) for i, v in enumerate(values))
            self._bgp[rid] = BgpPeerStatusTable(gateway_id=rid, peers=peers, file=file)
        else:
            device = params["devicePath"]
            table = CircuitTable(peering_id=rid, operation=op, device_path=device, file=file)
            if op is Operation.ROUTE_TABLES:
                table = table.model_copy(
                    update={
                        "routes": tuple(self._parse(CircuitRoute, v, file, i) for i, v in enumerate(values))
                    }
                )
            elif op is Operation.ROUTE_TABLES_SUMMARY:
                table = table.model_copy(
                    update={
                        "summary": tuple(
                            self._parse(CircuitRouteSummary, v, file, i) for i, v in enumerate(values)
                        )
                    }
                )
            else:
                table = table.model_copy(
                    update={"arp": tuple(self._parse(ArpEntry, v, file, i) for i, v in enumerate(values))}
                )
            self._circuit_tables[(rid, op.value, device.lower())] = table

    @staticmethod
    def _values(body: Any, file: str) -> list[Any]:
        if body is None:
            raise InputError(file, "$.body", "a status-200 record needs a body")
        if isinstance(body, list):
            return body
        if not isinstance(body, dict):
            raise InputError(file, "$.body", f"expected an object with 'value', got {_json_type(body)}")
        values = body.get("value", [])
        if not isinstance(values, list):
            raise InputError(file, "$.body.value", f"expected an array, got {_json_type(values)}")
        return values

    @staticmethod
    def _parse(model: type[M], value: Any, file: str, index: int) -> M:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            raise InputError.from_validation(file, ["body", "value", index], exc) from None

    def _check_subnet_prefixes(self) -> None:
        """Each prefix of a subnet lies in an address prefix of its VNet of the same family (as Azure
        requires): a subnet outside its VNet, or IPv6 in a VNet without IPv6 space, is bad input."""
        vnets = self._items["vnets"]
        for rid, seen in sorted(self._items["subnets"].items(), key=lambda kv: kv[0].key):
            subnet = seen.item
            assert isinstance(subnet, Subnet)
            parent = vnets.get(subnet.vnet_id)
            if parent is None or not isinstance(parent.item, VirtualNetwork):
                continue  # a subnet of a VNet not in the snapshot: an external reference, not checked here
            spaces = parent.item.address_prefixes
            if not spaces:
                continue  # no address space to check against (nothing routes to it either)
            for prefix in subnet.prefixes:
                if any(prefix.version == space.version and prefix.subnet_of(space) for space in spaces):  # type: ignore[arg-type]
                    continue
                if prefix == subnet.address_prefix:
                    where = f"{seen.path}.properties.addressPrefix"
                else:
                    where = f"{seen.path}.properties.addressPrefixes[{(subnet.address_prefix_list or ()).index(prefix)}]"
                family = (
                    ""
                    if any(prefix.version == s.version for s in spaces)
                    else f" (no IPv{prefix.version} space)"
                )
                raise InputError(
                    seen.file,
                    where,
                    f"subnet prefix {prefix} of {rid.name} is outside the address space of VNet "
                    f"{subnet.vnet_id.name}{family}: {', '.join(str(s) for s in spaces)}",
                )

    # -- result -----------------------------------------------------------------------------------------
    def build(
        self,
        name: str,
        *,
        description: str | None = None,
        source: str = "hand-written",
        sites: tuple[Site, ...] = (),
        location: str | None = None,
    ) -> Snapshot:
        self._check_subnet_prefixes()
        fields: dict[str, Any] = {}
        for kind in MODELLED.values():
            bucket = self._items[kind.field]
            fields[kind.field] = tuple(bucket[k].item for k in sorted(bucket, key=lambda i: i.key))
        fields["peerings"] = _peering_states(fields["peerings"], fields["vnets"])
        snapshot = Snapshot(
            name=name,
            description=description,
            source=source,
            location=location,
            sites=sites,
            effective_routes=tuple(self._effective[k] for k in sorted(self._effective, key=lambda i: i.key)),
            gateway_routes=tuple(
                self._gateway_routes[k]
                for k in sorted(self._gateway_routes, key=lambda t: (t[0].key, t[1], t[2]))
            ),
            bgp_peer_status=tuple(self._bgp[k] for k in sorted(self._bgp, key=lambda i: i.key)),
            circuit_tables=tuple(
                self._circuit_tables[k]
                for k in sorted(self._circuit_tables, key=lambda t: (t[0].key, t[1], t[2]))
            ),
            observation_gaps=tuple(sorted(self._gaps, key=lambda g: (g.resource_id.key, g.operation.value))),
            skipped_types=dict(sorted(self._skipped.items())),
            partial_lists=tuple(sorted(self._partial)),
            provenance={
                key.key: Origin(file=seen.file, path=seen.path)
                for bucket in self._items.values()
                for key, seen in bucket.items()
            },
            **fields,
        )
        return snapshot.replace(external_references=external_references(snapshot))


def external_references(snapshot: Snapshot) -> tuple[ExternalReference, ...]:
    """References from collected resources and observations to resources the snapshot lacks."""
    refs: set[tuple[ArmId, str, ArmId]] = set()

    def check(from_id: ArmId, field: str, target: ArmId | None) -> None:
        if target is not None and snapshot.is_external(target):
            refs.add((from_id, field, target))

    for peering in snapshot.peerings:
        check(peering.id, "remoteVirtualNetwork", peering.remote_vnet_id)
    for subnet in snapshot.subnets:
        check(subnet.id, "routeTable", subnet.route_table_id)
    for gw in snapshot.gateways:
        for conf in gw.ip_configurations:
            check(gw.id, "ipConfigurations.subnet", conf.subnet_id)
    for conn in snapshot.connections:
        check(conn.id, "virtualNetworkGateway1", conn.gateway1_id)
        check(conn.id, "virtualNetworkGateway2", conn.gateway2_id)
        check(conn.id, "localNetworkGateway2", conn.local_network_gateway_id)
        check(conn.id, "peer", conn.peer_id)
    for gr in snapshot.circuit_connections:
        check(gr.id, "peerExpressRouteCircuitPeering", gr.peer_peering_id)
    for hub_conf in snapshot.virtual_hub_ip_configurations:
        check(hub_conf.id, "subnet", hub_conf.subnet_id)
    for nic in snapshot.network_interfaces:
        for sid in nic.subnet_ids:
            check(nic.id, "ipConfigurations.subnet", sid)
    for table in snapshot.effective_routes:
        check(table.nic_id, "effectiveRouteTable", table.nic_id)
    for gtable in snapshot.gateway_routes:
        check(gtable.gateway_id, gtable.operation.value, gtable.gateway_id)
    for btable in snapshot.bgp_peer_status:
        check(btable.gateway_id, "getBgpPeerStatus", btable.gateway_id)
    for ctable in snapshot.circuit_tables:
        check(ctable.peering_id, ctable.operation.value, ctable.peering_id)
    ordered = sorted(refs, key=lambda r: (r[0].key, r[1], r[2].key))
    return tuple(ExternalReference(from_id=f, field=n, target_id=t) for f, n, t in ordered)


# -- objects on the way to a field -------------------------------------------------------------------

ITEMS = None  # in an object path: every item of an array
ObjectPath = tuple[str | None, ...]

# Paths read by validators rather than by field aliases (what they step through must be objects too)
EXTRA_PATHS: dict[type[BaseModel], tuple[ObjectPath, ...]] = {
    ExpressRouteCircuit: (("properties", "authorizations", ITEMS, "properties", "authorizationUseStatus"),),
}


@cache
def _object_paths(model: type[BaseModel]) -> tuple[ObjectPath, ...]:
    """The JSON paths a model reads its fields from (through nested models and their arrays).
    Every object a path steps through must be an object: pydantic reads `properties: "x"` or
    `localNetworkAddressSpace: []` as if the field were absent, which would hide a broken document."""
    paths: list[ObjectPath] = list(EXTRA_PATHS.get(model, ()))
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasPath):
            path: ObjectPath = tuple(p if isinstance(p, str) else ITEMS for p in alias.path)
        else:
            path = (alias if isinstance(alias, str) else info.alias or name,)
        paths.append(path)
        for arg in _model_args(info.annotation):
            inner, items = arg
            paths.extend((*path, *((ITEMS,) if items else ()), *sub) for sub in _object_paths(inner))
    return tuple(paths)


def _model_args(annotation: Any) -> list[tuple[type[BaseModel], bool]]:
    """Models inside a field's type: `M` or `M | None` (False), `tuple[M, ...]` (True)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, False)]
    if get_origin(annotation) is tuple:
        return [(a, True) for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    if get_origin(annotation) in (Union, UnionType):
        return [found for arg in get_args(annotation) for found in _model_args(arg)]
    return []


def _check_objects(value: Any, path: ObjectPath, file: str, loc: Loc) -> None:
    """Raise when something the path steps through is present but of the wrong JSON type."""
    if not path or value is None:
        return
    step, rest = path[0], path[1:]
    if step is ITEMS:
        if isinstance(value, list):
            for i, item in enumerate(value):
                _check_objects(item, rest, file, [*loc, i])
        else:
            raise InputError(file, json_path(loc), f"expected an array, got {_json_type(value)}")
        return
    if not isinstance(value, dict):
        raise InputError(file, json_path(loc), f"expected an object, got {_json_type(value)}")
    if rest:
        _check_objects(value.get(step), rest, file, [*loc, step])


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _peering_states(
    peerings: tuple[VirtualNetworkPeering, ...], vnets: tuple[VirtualNetwork, ...]
) -> tuple[VirtualNetworkPeering, ...]:
    """A peering whose document gives no `peeringState` (written by hand, or converted from a
    template, which cannot set it) is read as ARM sets it (`arm_peering_state`), when the remote
    VNet is in the snapshot: Connected with a peering back, Initiated without. Towards a VNet
    outside the snapshot it stays unknown."""
    held = {v.id.key for v in vnets}
    pairs = {(p.vnet_id.key, p.remote_vnet_id.key) for p in peerings}
    return tuple(
        p.model_copy(
            update={"peering_state": arm_peering_state((p.remote_vnet_id.key, p.vnet_id.key) in pairs)}
        )
        if p.peering_state is None and p.remote_vnet_id.key in held
        else p
        for p in peerings
    )
