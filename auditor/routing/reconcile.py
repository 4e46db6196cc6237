"""Predicted versus observed, per vantage point.

Each observation in the snapshot is compared with what the control plane predicts for the same
vantage:

* NIC effective routes: the selected routes of the NIC's subnet, as (prefix, next hop type);
  `Invalid` observed routes and next hop types the model does not produce (service endpoints,
  AVNM connected groups) are left out of the comparison.
* Gateway learned routes: (prefix, origin) with origin Network (the gateway's own VNets, a local
  network gateway's static space and BGP peer address), EBgp (learned over the gateway's own
  connections) or IBgp (a VPN gateway's view of its coexisting ExpressRoute gateway's routes).
* Gateway advertised routes: (prefix, AS path) to that BGP neighbour.
* Circuit route tables: (prefix, AS path) per device path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.ids import ArmId
from auditor.model import (
    CircuitTable,
    EffectiveRouteTable,
    GatewayRouteTable,
    LinkKind,
    NetworkInterface,
    Operation,
    Subnet,
)
from auditor.routing.controlplane import ControlPlane
from auditor.routing.prefixindex import prefix_key
from auditor.routing.tables import vnet_table

HOP_CLASSES = {
    "vnetlocal": "VnetLocal",
    "vnetpeering": "VNetPeering",
    "vnetglobalpeering": "VNetPeering",
    "virtualnetworkgateway": "VirtualNetworkGateway",
    "virtualappliance": "VirtualAppliance",
    "virtualapplianceecmp": "VirtualAppliance",
    "internet": "Internet",
    "none": "None",
}
ORIGINS = {"network": "Network", "igp": "Network", "ebgp": "EBgp", "ibgp": "IBgp"}

Entry = tuple[str, str]  # (prefix, qualifier)


@dataclass
class Comparison:
    vantage: str  # a readable name: hub-vm-nic (hub-vnet/default)
    resource: ArmId
    operation: Operation
    file: str | None
    predicted: set[Entry] = field(default_factory=set)
    observed: set[Entry] = field(default_factory=set)
    qualifier: str = ""  # what the second element of an entry is

    @property
    def missing(self) -> list[Entry]:
        """Predicted but not observed."""
        return _sorted(self.predicted - self.observed)

    @property
    def unexpected(self) -> list[Entry]:
        """Observed but not predicted."""
        return _sorted(self.observed - self.predicted)


@dataclass(frozen=True)
class NotComparable:
    resource: ArmId
    operation: Operation
    reason: str


def _sorted(entries: set[Entry]) -> list[Entry]:
    from auditor.model import parse_prefix

    return sorted(entries, key=lambda e: (prefix_key(parse_prefix(e[0])), e[1]))


def _path(path: tuple[int, ...]) -> str:
    return " ".join(str(a) for a in path)


def comparisons(plane: ControlPlane) -> Iterator[Comparison | NotComparable]:
    snap = plane.snapshot
    for table in snap.effective_routes:
        yield _effective(plane, table)
        yield from _stood_for(plane, table)
    for gtable in snap.gateway_routes:
        yield _gateway(plane, gtable)
    for ctable in snap.circuit_tables:
        if ctable.operation is Operation.ROUTE_TABLES:
            yield _circuit(plane, ctable)


def _effective(plane: ControlPlane, table: EffectiveRouteTable) -> Comparison | NotComparable:
    snap = plane.snapshot
    nic = snap.by_id.get(table.nic_id)
    op = Operation.EFFECTIVE_ROUTE_TABLE
    if not isinstance(nic, NetworkInterface) or not nic.subnet_ids:
        return NotComparable(table.nic_id, op, "the network interface or its subnet is not in the snapshot")
    subnet = snap.by_id.get(nic.subnet_ids[0])
    vnet = snap.vnet(subnet.vnet_id) if isinstance(subnet, Subnet) else None
    if not isinstance(subnet, Subnet) or vnet is None:
        return NotComparable(table.nic_id, op, "the NIC's subnet or VNet is not in the snapshot")
    cmp = Comparison(
        f"{nic.id.name} ({vnet.display_name}/{subnet.id.name})",
        nic.id,
        op,
        table.file,
        qualifier="nextHopType",
    )
    for route in vnet_table(plane, vnet, subnet):
        if route.selected:
            cmp.predicted.add((str(route.prefix), route.next_hop_type))
    for observed in table.routes:
        if observed.state is not None and observed.state.lower() != "active":
            continue
        hop = HOP_CLASSES.get((observed.next_hop_type or "").lower())
        if hop is None:
            continue
        for prefix in observed.address_prefixes:
            cmp.observed.add((str(prefix), hop))
    return cmp


def _stood_for(plane: ControlPlane, table: EffectiveRouteTable) -> Iterator[Comparison | NotComparable]:
    """An observation collected once for a routing signature stands for every subnet of it: each
    is compared with the observation, leaving out the VNet's own ranges (VnetLocal), the one part
    of the table that differs between them."""
    own = _effective(plane, table)
    if not isinstance(own, Comparison):
        return
    snap = plane.snapshot
    nic = snap.by_id.get(table.nic_id)
    own_subnet = nic.subnet_ids[0] if isinstance(nic, NetworkInterface) and nic.subnet_ids else None
    observed = {(p, hop) for p, hop in own.observed if hop != "VnetLocal"}
    for subnet_id in table.stands_for:
        if subnet_id == own_subnet:
            continue
        subnet = snap.by_id.get(subnet_id)
        vnet = snap.vnet(subnet.vnet_id) if isinstance(subnet, Subnet) else None
        op = Operation.EFFECTIVE_ROUTE_TABLE
        if not isinstance(subnet, Subnet) or vnet is None:
            yield NotComparable(subnet_id, op, "a subnet the observation stands for is not in the snapshot")
            continue
        cmp = Comparison(
            f"{vnet.display_name}/{subnet.id.name} (as observed on {table.nic_id.name})",
            subnet_id,
            op,
            table.file,
            qualifier="nextHopType",
        )
        for route in vnet_table(plane, vnet, subnet):
            if route.selected and route.next_hop_type != "VnetLocal":
                cmp.predicted.add((str(route.prefix), route.next_hop_type))
        cmp.observed = set(observed)
        yield cmp


def _gateway(plane: ControlPlane, table: GatewayRouteTable) -> Comparison | NotComparable:
    gateway = plane.snapshot.gateway(table.gateway_id)
    if gateway is None or gateway.vnet_id not in plane.domains:
        return NotComparable(
            table.gateway_id, table.operation, "the gateway is not in the snapshot or not working"
        )
    hub = gateway.vnet_id
    assert hub is not None
    domain = plane.domains[hub]
    if table.operation is Operation.GET_ADVERTISED_ROUTES:
        adverts = plane.advertised_to_peer(hub, table.peer or "") if gateway.is_vpn else None
        if adverts is None:
            return NotComparable(
                table.gateway_id, table.operation, f"no BGP neighbour {table.peer} is modelled"
            )
        cmp = Comparison(
            f"{gateway.id.name} to {table.peer}", gateway.id, table.operation, table.file, qualifier="asPath"
        )
        cmp.predicted = {(str(a.prefix), _path(a.as_path)) for a in adverts}
        cmp.observed = {(str(r.network), _path(r.as_path)) for r in table.routes if r.network is not None}
        return cmp
    cmp = Comparison(gateway.id.name, gateway.id, table.operation, table.file, qualifier="origin")
    for prefix in domain.prefixes:
        cmp.predicted.add((str(prefix), "Network"))
    for advert in plane.domain_rib[hub]:
        own = (advert.link is LinkKind.EXPRESSROUTE) == gateway.is_expressroute
        if advert.source == "Static":
            if gateway.is_vpn:
                cmp.predicted.add((str(advert.prefix), "Network"))
        elif own:
            cmp.predicted.add((str(advert.prefix), "EBgp"))
        elif gateway.is_vpn and advert.link is LinkKind.EXPRESSROUTE:
            cmp.predicted.add((str(advert.prefix), "IBgp"))
    for route in table.routes:
        if route.network is not None:
            origin = ORIGINS.get((route.origin or "").lower(), route.origin or "?")
            cmp.observed.add((str(route.network), origin))
    return cmp


def _circuit(plane: ControlPlane, table: CircuitTable) -> Comparison | NotComparable:
    circuit_id = table.peering_id.parent
    peering = plane.snapshot.private_peering(circuit_id) if circuit_id else None
    if circuit_id is None or peering is None or peering.id != table.peering_id:
        return NotComparable(table.peering_id, table.operation, "only private peerings are modelled")
    path = table.device_path.lower()
    cmp = Comparison(
        f"{circuit_id.name}:{path}", table.peering_id, table.operation, table.file, qualifier="asPath"
    )
    for entry in plane.circuit_table.get(circuit_id, []):
        if path in entry.device_paths:
            cmp.predicted.add((str(entry.prefix), _path(entry.as_path)))
    cmp.observed = {(str(r.network), _path(r.path)) for r in table.routes if r.network is not None}
    return cmp
