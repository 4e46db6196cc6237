"""Which on-premises prefixes a gateway domain learns, over which link: a view of the control plane.

There is one model of on-premises routes, the control plane's (`ControlPlane.domain_rib`); this
module only projects it for the rules that reason about ExpressRoute and VPN side by side:

* ExpressRoute: the routes a domain learns from a circuit's Microsoft edge that a site
  originated (per link, with the site's prepending and per-link prefixes);
* VPN: a local network gateway's static address space, and what the domain's VPN gateway learns
  over BGP from the sites. The route towards the VPN peer's own BGP address (the /32 Microsoft's
  BGP examples put in the local network gateway's address space) is marked `bgp_peer_host`.

Routes inside the domain VNet's own or peered address space are left out: the system route
always wins over them (UDR004 reports those). Vnet2Vnet connections carry VNet prefixes, not
on-premises ones, and are left out too.
"""

from __future__ import annotations

from dataclasses import field

from auditor.ids import ArmId
from auditor.model import Connection, IPNetwork, LinkKind, Snapshot
from auditor.routing.controlplane import ControlPlane, covers
from auditor.routing.domains import Domain
from auditor.routing.prefixindex import PrefixIndex, keys_inside
from auditor.routing.record import record
from auditor.routing.tables import peered_space, select_bgp


@record
class OnPremRoute:
    vnet_id: ArmId  # the VNet holding the gateways (spokes using them see the same routes)
    gateway_id: ArmId
    connection_id: ArmId
    link: LinkKind
    via_id: ArmId  # the circuit (ExpressRoute) or the local network gateway (VPN)
    prefix: IPNetwork
    origin: str  # site | localNetworkAddressSpace
    as_path: tuple[int, ...] = ()
    site: str | None = None
    bgp_peer_host: bool = False
    weight: int = 0
    key: tuple[int, int, int] = field(kw_only=True, compare=False, repr=False)  # prefix_key(prefix)


def onprem_routes(plane: ControlPlane) -> list[OnPremRoute]:
    """Every on-premises route a domain's gateways hold, in a stable order (computed once per plane)."""
    return plane.onprem_routes


def compute_onprem_routes(plane: ControlPlane) -> list[OnPremRoute]:
    snap = plane.snapshot
    out: list[OnPremRoute] = []
    for hub in sorted(plane.domains, key=lambda h: h.key):
        domain = plane.domains[hub]
        rib = plane.domain_rib[hub]
        inside = keys_inside([a.key for a in rib], _local_spaces(snap, hub))
        # per connection object and link: the gateway and what the route comes over (None: not
        # an on-premises connection); the adverts of one connection share its id object
        links: dict[tuple[int, LinkKind], tuple[Connection, ArmId, ArmId] | None] = {}
        # per connection (by its key), the routes by (prefix key, origin, AS path text): the rib
        # is in prefix order, so each connection's routes arrive nearly sorted
        found: dict[str, dict[tuple[tuple[int, int, int], str, str], OnPremRoute]] = {}
        texts: dict[tuple[int, ...], str] = {}  # an AS path's text (the sort order), once per path
        for advert in rib:
            kind, via_id = advert.link, advert.via
            if kind is None or via_id is None:
                continue
            origin_text = advert.origin
            if origin_text.startswith("site:"):
                site: str | None = origin_text[5:]
            elif origin_text.startswith("lng:"):
                site = None
            else:
                continue
            link_key = (id(via_id), kind)
            if link_key in links:
                link = links[link_key]
            else:
                link = links[link_key] = _onprem_link(snap, domain, via_id, kind)
            if link is None:
                continue
            prefix_key_ = advert.key
            if prefix_key_ in inside:
                continue
            conn, gateway, via = link
            origin = "localNetworkAddressSpace" if advert.source == "Static" else "site"
            as_path = advert.as_path
            text = texts.get(as_path)
            if text is None:
                text = texts[as_path] = str(as_path)
            mine = found.get(conn.id.key)
            if mine is None:
                mine = found[conn.id.key] = {}
            key = (prefix_key_, origin, text)
            if key not in mine:
                mine[key] = OnPremRoute(
                    hub, gateway, conn.id, kind, via, advert.prefix, origin, as_path, site,
                    advert.bgp_peer_host, advert.weight, key=prefix_key_,
                )  # fmt: skip
        for conn_key in sorted(found):  # (connection, prefix, origin, AS path) order
            mine = found[conn_key]
            out += [mine[k] for k in sorted(mine)]
    return out


def _onprem_link(
    snap: Snapshot, domain: Domain, conn_id: ArmId, link: LinkKind
) -> tuple[Connection, ArmId, ArmId] | None:
    """The connection of an on-premises route, the domain gateway holding it and the circuit or
    local network gateway it comes over (None: not an on-premises connection)."""
    conn = snap.by_id.get(conn_id)
    if not isinstance(conn, Connection):
        return None
    if link is LinkKind.EXPRESSROUTE:
        gateway, via = domain.er_gateway, conn.peer_id
    else:
        gateway, via = domain.vpn_gateway, conn.local_network_gateway_id
    if gateway is None or via is None:
        return None
    return conn, gateway.id, via


def _local_spaces(snapshot: Snapshot, vnet_id: ArmId) -> list[IPNetwork]:
    vnet = snapshot.vnet(vnet_id)
    spaces = list(vnet.address_prefixes) if vnet else []
    for peering in snapshot.peerings_of(vnet_id):
        spaces += list(peered_space(snapshot, peering))
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


def selected_links(routes: PrefixIndex[OnPremRoute], destination: IPNetwork) -> list[OnPremRoute]:
    """The routes Azure uses towards a destination prefix (several when they tie: ECMP): the
    longest prefix covering it, then the gateway's BGP precedence (`tables.select_bgp`, the one
    implementation). `routes` indexes a domain's on-premises routes by prefix."""
    for group in routes.covering(destination):
        candidates = [r for r in group if not r.bgp_peer_host]
        if candidates:
            return [r for r, best, _ in select_bgp(candidates) if best]
    return []


__all__ = ["OnPremRoute", "covers", "onprem_routes", "selected_links", "transit_spokes"]
