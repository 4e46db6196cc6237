"""The routing signature: the inputs that make two subnets route alike, defined once.

Two subnets with the same signature have the same effective routes, but for the routes of their
own VNet's address space: the same gateway domain (so the same BGP routes), the same user-defined
routes and propagation flag, and the same peerings with the same flags. It is used by

* collection (`--effective-routes per-signature`): one effective-route call per signature;
* endpoint names (`paths`): a VNet's workload subnets with one signature are one endpoint;
* grouping (`paths --group-by signature`, ASY002): `path_signature` adds to it what depends on
  the endpoint's address (how the hub routes back to it, how the domain advertises it).
"""

from __future__ import annotations

from typing import NamedTuple

from auditor.model import RouteTable, Subnet
from auditor.routing.controlplane import ControlPlane


class RoutingSignature(NamedTuple):
    domain: str  # the gateway domain's hub id (lower case); "" when no gateway serves the VNet
    routes: tuple[tuple[str, str, str], ...]  # the route table's routes (prefix, next hop type, address)
    propagate: bool  # gateway routes reach the subnet (the route table's propagation flag)
    peerings: tuple[tuple[str, str, bool, bool, bool, bool, bool, bool], ...]
    gateway_subnet: bool


def routing_signature(plane: ControlPlane, subnet: Subnet) -> RoutingSignature:
    """What decides a subnet's effective routes apart from its own VNet's address space."""
    return plane.signatures[subnet.id]


def compute_signature(plane: ControlPlane, subnet: Subnet) -> RoutingSignature:
    snapshot = plane.snapshot
    domain = plane.domain_of_vnet.get(subnet.vnet_id)
    found = snapshot.by_id.get(subnet.route_table_id) if subnet.route_table_id else None
    table = found if isinstance(found, RouteTable) else None
    routes = (
        tuple(
            sorted(
                (r.address_prefix.lower(), r.next_hop_type.lower(), r.next_hop_ip_address or "")
                for r in snapshot.routes_of(table.id)
            )
        )
        if table is not None
        else ()
    )
    peerings = tuple(
        sorted(
            (
                p.remote_vnet_id.key,
                (p.peering_state or "").lower(),
                snapshot.peering_established(p),  # the remote's peering back is Connected too
                p.allow_virtual_network_access is not False,
                bool(p.allow_forwarded_traffic),
                bool(p.allow_gateway_transit),
                bool(p.use_remote_gateways),
                snapshot.vnet(p.remote_vnet_id) is None,  # a remote outside the snapshot
            )
            for p in snapshot.peerings_of(subnet.vnet_id)
        )
    )
    return RoutingSignature(
        domain.key if domain is not None else "",
        routes,
        not (table is not None and table.disable_bgp_route_propagation),
        peerings,
        subnet.is_gateway_subnet,
    )
