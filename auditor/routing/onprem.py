"""Which on-premises prefixes a VNet's gateways learn, over which link.

For every working VNet gateway and every connection of it that is up:

* ExpressRoute connection to a provisioned circuit whose private peering is enabled: the
  prefixes of the sites that circuit reaches; the routes the circuit's route tables show
  with the customer's ASN first in the AS path; the gateway's learned routes whose BGP
  neighbour sits in one of the peering's link subnets.
* IPsec connection to a local network gateway: the LNG's static address space; with BGP
  on the connection, the prefixes of the sites that LNG belongs to and the gateway's learned
  routes from the LNG's BGP address. The route Azure adds towards the LNG's BGP peer address
  itself is marked `bgp_peer_host`.

Vnet2Vnet connections carry VNet prefixes, not on-premises ones, and are left out here.
Spokes that use a hub's gateways see the hub's routes; `transit_spokes()` lists them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from auditor.ids import ArmId
from auditor.model import (
    Connection,
    ExpressRouteCircuitPeering,
    IPNetwork,
    LinkKind,
    Operation,
    Snapshot,
    VirtualNetworkGateway,
)
from auditor.routing.sites import SiteView, site_views

MSEE_ASN = 12076


@dataclass(frozen=True)
class OnPremRoute:
    vnet_id: ArmId
    gateway_id: ArmId
    connection_id: ArmId
    link: LinkKind
    via_id: ArmId  # the circuit (ExpressRoute) or the local network gateway (VPN)
    prefix: IPNetwork
    origin: str  # site | localNetworkAddressSpace | bgpPeerAddress | learnedRoutes | circuitRouteTable
    as_path: tuple[int, ...] = ()
    site: str | None = None
    bgp_peer_host: bool = False


def _host(address: str | None) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(address.strip()) if address else None
    except ValueError:
        return None


def _in_peering(address: str | None, peering: ExpressRouteCircuitPeering) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip()) if address else None
    except ValueError:
        return False
    if ip is None:
        return False
    return any(
        p is not None and p.version == ip.version and ip in p
        for p in (peering.primary_peer_address_prefix, peering.secondary_peer_address_prefix)
    )


@dataclass(frozen=True)
class Link:
    """A working hybrid link of a VNet: its gateway, the connection, and the circuit or LNG."""

    vnet_id: ArmId
    gateway: VirtualNetworkGateway
    connection: Connection
    kind: LinkKind
    via_id: ArmId


def active_links(snapshot: Snapshot) -> list[Link]:
    """ExpressRoute and IPsec links whose gateway works, whose connection is up, and (ExpressRoute)
    whose circuit is provisioned with an enabled private peering."""
    links: list[Link] = []
    for gw in snapshot.gateways:
        if gw.vnet_id is None or not gw.working:
            continue
        for conn in snapshot.connections_of(gw.id):
            if not conn.up:
                continue
            if conn.is_expressroute and gw.is_expressroute and conn.peer_id is not None:
                circuit = snapshot.circuit(conn.peer_id)
                peering = snapshot.private_peering(conn.peer_id) if circuit is not None else None
                if circuit is not None and circuit.provisioned and peering is not None and peering.enabled:
                    links.append(Link(gw.vnet_id, gw, conn, LinkKind.EXPRESSROUTE, circuit.id))
            elif (
                conn.is_ipsec
                and gw.is_vpn
                and conn.local_network_gateway_id is not None
                and snapshot.local_network_gateway(conn.local_network_gateway_id) is not None
            ):
                links.append(Link(gw.vnet_id, gw, conn, LinkKind.VPN, conn.local_network_gateway_id))
    return links


def _expressroute(snapshot: Snapshot, link: Link, sites: list[SiteView]) -> Iterator[OnPremRoute]:
    peering = snapshot.private_peering(link.via_id)
    assert peering is not None
    gw = link.gateway
    make = partial(
        OnPremRoute,
        vnet_id=link.vnet_id,
        gateway_id=gw.id,
        connection_id=link.connection.id,
        link=LinkKind.EXPRESSROUTE,
        via_id=link.via_id,
    )
    for site in sites:
        if link.via_id in site.circuit_ids:
            for prefix in site.prefixes:
                path = (MSEE_ASN, site.asn) if site.asn is not None else (MSEE_ASN,)
                yield make(prefix=prefix, origin="site", as_path=path, site=site.name)
    for table in snapshot.circuit_tables:
        if table.peering_id != peering.id or table.operation is not Operation.ROUTE_TABLES:
            continue
        for route in table.routes:
            if route.network is not None and route.path and route.path[0] == peering.peer_asn:
                yield make(prefix=route.network, origin="circuitRouteTable", as_path=(MSEE_ASN, *route.path))
    for gtable in snapshot.gateway_routes:
        if gtable.gateway_id != gw.id or gtable.operation is not Operation.GET_LEARNED_ROUTES:
            continue
        for groute in gtable.routes:
            hop = groute.source_peer or groute.next_hop
            on_circuit = groute.network is not None and _in_peering(hop, peering)
            if on_circuit and groute.network is not None and peering.peer_asn in groute.as_path:
                yield make(prefix=groute.network, origin="learnedRoutes", as_path=groute.as_path)


def _vpn(snapshot: Snapshot, link: Link, sites: list[SiteView]) -> Iterator[OnPremRoute]:
    lng = snapshot.local_network_gateway(link.via_id)
    assert lng is not None
    gw, conn = link.gateway, link.connection
    make = partial(
        OnPremRoute,
        vnet_id=link.vnet_id,
        gateway_id=gw.id,
        connection_id=conn.id,
        link=LinkKind.VPN,
        via_id=lng.id,
    )
    for prefix in lng.address_prefixes or ():
        yield make(prefix=prefix, origin="localNetworkAddressSpace")
    if not conn.enable_bgp or lng.bgp_settings is None:
        return
    peer_addresses = set(lng.bgp_settings.addresses)
    for address in sorted(peer_addresses):
        host = _host(address)
        if host is not None:
            yield make(prefix=host, origin="bgpPeerAddress", bgp_peer_host=True)
    for site in sites:
        if lng.id in site.lng_ids:
            for prefix in site.prefixes:
                path = (site.asn,) if site.asn is not None else ()
                yield make(prefix=prefix, origin="site", as_path=path, site=site.name)
    for gtable in snapshot.gateway_routes:
        if gtable.gateway_id != gw.id or gtable.operation is not Operation.GET_LEARNED_ROUTES:
            continue
        for groute in gtable.routes:
            if groute.network is None or (groute.origin or "").lower() not in ("ebgp", "bgp"):
                continue
            if (groute.source_peer or groute.next_hop) in peer_addresses:
                is_host = (
                    groute.network.prefixlen == groute.network.max_prefixlen
                    and str(groute.network.network_address) in peer_addresses
                )
                yield make(
                    prefix=groute.network,
                    origin="learnedRoutes",
                    as_path=groute.as_path,
                    bgp_peer_host=is_host,
                )


def onprem_routes(snapshot: Snapshot, links: list[Link] | None = None) -> list[OnPremRoute]:
    """Every on-premises route a VNet's own gateways learn, deduplicated, in a stable order."""
    sites = site_views(snapshot)
    seen: dict[tuple[str, str, str, str], OnPremRoute] = {}
    for link in active_links(snapshot) if links is None else links:
        routes = (
            _expressroute(snapshot, link, sites)
            if link.kind is LinkKind.EXPRESSROUTE
            else _vpn(snapshot, link, sites)
        )
        local = _local_spaces(snapshot, link.vnet_id)
        for route in routes:
            if any(covers(space, route.prefix) for space in local):
                continue  # inside the VNet's own or peered space: the system route always wins (UDR004)
            key = (route.vnet_id.key, route.connection_id.key, str(route.prefix), route.origin)
            seen.setdefault(key, route)
    return [seen[k] for k in sorted(seen)]


def _local_spaces(snapshot: Snapshot, vnet_id: ArmId) -> list[IPNetwork]:
    vnet = snapshot.vnet(vnet_id)
    spaces = list(vnet.address_prefixes) if vnet else []
    for peering in snapshot.peerings_of(vnet_id):
        remote = snapshot.vnet(peering.remote_vnet_id)
        spaces += list(remote.address_prefixes if remote else peering.remote_address_prefixes or ())
    return spaces


def transit_spokes(snapshot: Snapshot, hub_id: ArmId) -> list[ArmId]:
    """VNets whose peering to `hub_id` uses remote gateways and that the hub allows to."""
    spokes: list[ArmId] = []
    for peering in snapshot.peerings:
        if peering.remote_vnet_id != hub_id or not peering.use_remote_gateways:
            continue
        back = snapshot.peering_between(hub_id, peering.vnet_id)
        if back is not None and back.allow_gateway_transit and back.connected and peering.connected:
            spokes.append(peering.vnet_id)
    return sorted(spokes, key=lambda i: i.key)


def covers(outer: IPNetwork, inner: IPNetwork) -> bool:
    """`inner` lies within `outer` (same address family)."""
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def selected_link(routes: list[OnPremRoute], destination: IPNetwork) -> OnPremRoute | None:
    """Azure's choice among a VNet's gateway routes for a destination prefix: the longest prefix
    covering it, ExpressRoute over VPN for the same prefix (docs: ExpressRoute is preferred when
    the prefixes are equal; the longest prefix match still comes first)."""
    candidates = [r for r in routes if covers(r.prefix, destination) and not r.bgp_peer_host]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.prefix.prefixlen, r.link is LinkKind.EXPRESSROUTE))
