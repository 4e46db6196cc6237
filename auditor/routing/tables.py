"""Route tables as each vantage point selects them: subnets, gateway domains, circuits, sites.

Selection inside a VNet (docs: "Virtual network traffic routing"): longest prefix match first;
for the same prefix a user-defined route beats a BGP route, which beats a system route; system
routes for the VNet's own and peered address spaces win even over more specific BGP routes.
Among BGP routes for the same prefix: ExpressRoute over VPN, then the higher connection
weight, then the shorter AS path; what is still tied is ECMP. The order between connection
weight and the ExpressRoute preference is not documented; ExpressRoute first is our choice
(it matches the 32769/32768 weights gateways report for the two kinds of routes).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, replace

from auditor.ids import ArmId
from auditor.model import (
    IPNetwork,
    LinkKind,
    RouteTable,
    Snapshot,
    Subnet,
    VirtualNetwork,
    parse_prefix,
    same,
)
from auditor.routing.controlplane import Advert, CircuitEntry, ControlPlane, prefix_key
from auditor.routing.prefixindex import PrefixIndex

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SPECIAL_SUBNETS = (
    "gatewaysubnet",
    "azurefirewallsubnet",
    "azurefirewallmanagementsubnet",
    "routeserversubnet",
    "azurebastionsubnet",
)
DEFAULT_NONE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")


@dataclass(frozen=True)
class TableRoute:
    prefix: IPNetwork
    next_hop_type: str  # VnetLocal | VNetPeering | VirtualNetworkGateway | VirtualAppliance | Internet | None
    next_hop: str | None
    source: str  # Default | User | VirtualNetworkGateway (ARM's effective-route `source`)
    via: ArmId | None = None  # connection, peering or user route
    as_path: tuple[int, ...] = ()
    link: LinkKind | None = None
    selected: bool = True
    reason: str = ""
    advert: Advert | None = None
    target: ArmId | None = None  # peered VNet, or the domain a gateway route leaves through


def _sort(routes: list[TableRoute]) -> list[TableRoute]:
    order = {"User": 0, "VirtualNetworkGateway": 1, "Default": 2}
    return sorted(
        routes,
        key=lambda r: (
            prefix_key(r.prefix),
            not r.selected,
            order.get(r.source, 3),
            r.via.key if r.via else "",
        ),
    )


def _bgp_rank(a: Advert) -> tuple[int, int, int]:
    return (1 if a.link is LinkKind.EXPRESSROUTE else 0, a.weight, -len(a.as_path))


def select_bgp(adverts: list[Advert]) -> list[tuple[Advert, bool, str]]:
    """Per prefix: the best BGP routes (ECMP kept) and why the others lost."""
    by_prefix: dict[tuple[int, int, int], list[Advert]] = {}
    for a in adverts:
        by_prefix.setdefault(prefix_key(a.prefix), []).append(a)
    out: list[tuple[Advert, bool, str]] = []
    for group in by_prefix.values():
        best = max(_bgp_rank(a) for a in group)
        winners = [a for a in group if _bgp_rank(a) == best]
        for a in group:
            rank = _bgp_rank(a)
            if rank == best:
                out.append((a, True, "ECMP with an equal route" if len(winners) > 1 else "best route"))
            elif rank[0] < best[0]:
                out.append((a, False, "ExpressRoute is preferred over VPN for the same prefix"))
            elif rank[1] < best[1]:
                out.append((a, False, "lower connection weight"))
            else:
                out.append((a, False, "longer AS path"))
    return out


def vnet_table(plane: ControlPlane, vnet: VirtualNetwork, subnet: Subnet | None = None) -> list[TableRoute]:
    """The effective routes of a subnet (or of a VNet-wide subnet without a route table)."""
    local, local_index, propagate, hub = _local_candidates(plane, vnet, subnet)
    candidates = list(local)
    if hub is not None:
        # The route towards a VPN peer's BGP address stays inside the gateway (docs: adding it to the
        # local network gateway's address space is redundant); subnets do not get it.
        rows = plane.memo(("bgp_rows", hub), lambda: _bgp_rows(plane, hub))
        for route in rows:
            if not propagate:
                route = _lose(route, "gateway route propagation is disabled on the subnet's route table")
            elif _inside(local_index, route.prefix):
                route = _lose(route, "inside a VNet or peered address space: the system route wins")
            candidates.append(route)
    return _select(candidates)


class SubnetRoutes:
    """A subnet's selected routes for longest-prefix lookups, without building its whole table:
    its own routes (system and user-defined, a handful) and its gateway domain's selected BGP
    routes (shared by every subnet of the domain) are merged at lookup time with the same rules
    as `vnet_table` (longest prefix; for one prefix User > BGP > system; BGP inside a VNet or
    peered space loses; an overridden default invalidates the reserved-range None routes)."""

    def __init__(self, plane: ControlPlane, vnet: VirtualNetwork, subnet: Subnet | None) -> None:
        local, self._spaces, propagate, hub = _local_candidates(plane, vnet, subnet)
        self._shared: PrefixIndex[TableRoute] | None = None
        if hub is not None and propagate:
            self._shared = plane.memo(("bgp_index", hub), lambda: _bgp_index(plane, hub))
        default = parse_prefix("0.0.0.0/0")
        overridden = any(r.prefix == default and r.source == "User" for r in local) or bool(
            self._shared is not None
            and any(r.prefix == default for g in self._shared.covering(default) for r in g)
        )
        if overridden:
            local = [r for r in local if not (r.source == "Default" and r.next_hop_type == "None")]
        self._local = PrefixIndex(local, lambda r: r.prefix)

    def longest(self, address: Address) -> list[TableRoute]:
        """The selected routes of the longest matching prefix (several: ECMP)."""
        local = iter(self._local.matches(address))
        shared = iter(self._shared.matches(address)) if self._shared is not None else iter(())
        mine, theirs = next(local, None), self._next_bgp(shared)
        while mine is not None or theirs is not None:
            lm = mine[0].prefix.prefixlen if mine else -1
            ls = theirs[0].prefix.prefixlen if theirs else -1
            if lm > ls:
                assert mine is not None
                return _prefer(mine, [])
            if ls > lm:
                assert theirs is not None
                return theirs
            assert mine is not None and theirs is not None
            return _prefer(mine, theirs)
        return []

    def _next_bgp(self, groups: Iterator[list[TableRoute]]) -> list[TableRoute] | None:
        for group in groups:
            if not _inside(self._spaces, group[0].prefix):  # VNet and peering routes win over BGP
                return group
        return None


def _prefer(own: list[TableRoute], bgp: list[TableRoute]) -> list[TableRoute]:
    users = [r for r in own if r.source == "User"]
    return users or bgp or own


def _bgp_index(plane: ControlPlane, hub: ArmId) -> PrefixIndex[TableRoute]:
    rows = plane.memo(("bgp_rows", hub), lambda: _bgp_rows(plane, hub))
    return PrefixIndex([r for r in rows if r.selected], lambda r: r.prefix)


def _local_candidates(
    plane: ControlPlane, vnet: VirtualNetwork, subnet: Subnet | None
) -> tuple[list[TableRoute], PrefixIndex[IPNetwork], bool, ArmId | None]:
    """A subnet's own candidate routes (system and user-defined), its VNet and peered spaces,
    whether gateway routes propagate to it, and its gateway domain."""
    snap = plane.snapshot
    candidates: list[TableRoute] = []
    for prefix in vnet.address_prefixes:
        candidates.append(
            TableRoute(prefix, "VnetLocal", None, "Default", reason="address space of the VNet")
        )
    peered: list[IPNetwork] = []
    for peering in snap.peerings_of(vnet.id):
        if not peering.connected or peering.allow_virtual_network_access is False:
            continue
        remote = snap.vnet(peering.remote_vnet_id)
        space = remote.address_prefixes if remote is not None else (peering.remote_address_prefixes or ())
        for prefix in space:
            peered.append(prefix)
            candidates.append(
                TableRoute(
                    prefix,
                    "VNetPeering",
                    None,
                    "Default",
                    via=peering.id,
                    reason="peered VNet",
                    target=peering.remote_vnet_id,
                )
            )
    candidates.append(
        TableRoute(parse_prefix("0.0.0.0/0"), "Internet", None, "Default", reason="default route")
    )
    for text in DEFAULT_NONE:
        candidates.append(
            TableRoute(parse_prefix(text), "None", None, "Default", reason="reserved private range")
        )

    found = snap.by_id.get(subnet.route_table_id) if subnet and subnet.route_table_id else None
    route_table = found if isinstance(found, RouteTable) else None
    propagate = not (route_table is not None and route_table.disable_bgp_route_propagation)
    hub = plane.domain_of_vnet.get(vnet.id)
    local_index = PrefixIndex((*vnet.address_prefixes, *peered), lambda p: p)
    if route_table is not None:
        for udr in snap.routes_of(route_table.id):
            udr_prefix = udr.prefix
            if udr_prefix is None:
                continue  # service tags are not modelled
            candidates.append(
                TableRoute(
                    udr_prefix,
                    _udr_hop_type(udr.next_hop_type),
                    udr.next_hop_ip_address,
                    "User",
                    via=udr.id,
                    reason=f"user-defined route {udr.id.name}",
                )
            )
    return candidates, local_index, propagate, hub


def _bgp_rows(plane: ControlPlane, hub: ArmId) -> list[TableRoute]:
    """A domain's gateway routes as subnet routes, selected once for all its VNets."""
    domain = plane.domains[hub]
    rows = []
    for advert, best, reason in select_bgp([a for a in plane.domain_rib[hub] if not a.bgp_peer_host]):
        gateway = domain.er_gateway if advert.link is LinkKind.EXPRESSROUTE else domain.vpn_gateway
        rows.append(
            TableRoute(
                advert.prefix, "VirtualNetworkGateway", gateway.id.name if gateway else None, "VirtualNetworkGateway",
                via=advert.via, as_path=advert.as_path, link=advert.link, selected=best, reason=reason, advert=advert,
                target=hub,
            )
        )  # fmt: skip
    return rows


def _inside(index: PrefixIndex[IPNetwork], prefix: IPNetwork) -> bool:
    """The prefix equals or lies inside one of the indexed prefixes."""
    return index.covers(prefix)


def _udr_hop_type(value: str) -> str:
    for known in ("VirtualAppliance", "VirtualNetworkGateway", "VnetLocal", "Internet", "None"):
        if same(value, known):
            return known
    return value


def _lose(route: TableRoute, reason: str) -> TableRoute:
    return replace(route, selected=False, reason=reason)


def _select(candidates: list[TableRoute]) -> list[TableRoute]:
    # When 0.0.0.0/0 is overridden (a user route or a BGP default), the reserved-range None routes
    # are shown Invalid in effective routes, and traffic to those ranges follows the new default.
    default = parse_prefix("0.0.0.0/0")
    overridden = any(
        r.prefix == default and r.source in ("User", "VirtualNetworkGateway") and r.selected
        for r in candidates
    )
    if overridden:
        candidates = [
            _lose(r, "invalidated by the overridden default route")
            if r.source == "Default" and r.next_hop_type == "None"
            else r
            for r in candidates
        ]
    by_prefix: dict[tuple[int, int, int], list[TableRoute]] = {}
    for route in candidates:
        by_prefix.setdefault(prefix_key(route.prefix), []).append(route)
    out: list[TableRoute] = []
    for group in by_prefix.values():
        users = [r for r in group if r.source == "User"]
        bgp = [r for r in group if r.source == "VirtualNetworkGateway" and r.selected]
        for route in group:
            if route.source == "User":
                out.append(route)
            elif users:
                out.append(
                    _lose(route, "a user-defined route for the same prefix wins") if route.selected else route
                )
            elif route.source == "Default" and bgp:
                out.append(_lose(route, "a BGP route for the same prefix wins"))
            else:
                out.append(route)
    return _sort(out)


def is_special(subnet: Subnet) -> bool:
    return subnet.id.name.lower() in SPECIAL_SUBNETS


def workload_subnet(plane: ControlPlane, vnet: VirtualNetwork) -> Subnet | None:
    subnets = sorted(plane.snapshot.subnets_of(vnet.id), key=lambda s: s.id.key)
    return next((s for s in subnets if not is_special(s)), subnets[0] if subnets else None)


def gateway_subnet(plane: ControlPlane, vnet: VirtualNetwork) -> Subnet | None:
    return next((s for s in plane.snapshot.subnets_of(vnet.id) if s.is_gateway_subnet), None)


def site_select(plane: ControlPlane, site_name: str) -> list[tuple[Advert, bool, str]]:
    """A site's routes: longest prefix, then the local-preference of its links, its declared
    preference, then the shorter AS path."""
    return plane.memo(("site_select", site_name), lambda: _site_select(plane, site_name))


def site_longest(plane: ControlPlane, site_name: str, address: Address) -> list[Advert]:
    """The routes the site selects for the longest of its prefixes containing the address (what
    `site_select` chooses there), computed from those routes alone."""
    routes = plane.site_routes_covering(site_name, address)
    if not routes:
        return []
    longest = max(a.prefix.prefixlen for a in routes)
    group = [a for a in routes if a.prefix.prefixlen == longest]
    return [a for a, chosen, _ in _site_select(plane, site_name, group) if chosen]


def _site_select(
    plane: ControlPlane, site_name: str, routes: list[Advert] | None = None
) -> list[tuple[Advert, bool, str]]:
    site = plane.site_by_name[site_name]
    prefer = list(site.prefer or ())
    local_pref: dict[object, int] = {}

    def rank(a: Advert) -> tuple[int, int, int]:
        pref = prefer.index(a.link) if a.link in prefer else len(prefer)
        if a.via not in local_pref:
            local_pref[a.via] = site.local_preference(a.via)
        return (local_pref[a.via], -pref, -len(a.as_path))

    by_prefix: dict[tuple[int, int, int], list[Advert]] = {}
    for a in plane.site_rib[site_name] if routes is None else routes:
        by_prefix.setdefault(prefix_key(a.prefix), []).append(a)
    out: list[tuple[Advert, bool, str]] = []
    for group in by_prefix.values():
        best = max(rank(a) for a in group)
        winners = [a for a in group if rank(a) == best]
        for a in group:
            if rank(a) == best:
                reason = "ECMP with an equal route" if len(winners) > 1 else "best route"
                out.append((a, a is winners[0] or len(winners) > 1, reason))
            elif rank(a)[0] < best[0]:
                out.append((a, False, "lower local-preference on the site's link"))
            elif rank(a)[1] < best[1]:
                out.append(
                    (a, False, f"the site prefers {winners[0].link.value if winners[0].link else '?'}")
                )
            else:
                out.append((a, False, "longer AS path"))
    return out


def circuit_entries(
    plane: ControlPlane, circuit_id: ArmId, device_path: str | None = None
) -> list[CircuitEntry]:
    entries = plane.circuit_table.get(circuit_id, [])
    if device_path is None:
        return list(entries)
    return [e for e in entries if device_path in e.device_paths]


def effective_signature(snapshot: Snapshot, subnet: Subnet) -> tuple[object, ...]:
    """What decides a subnet's effective routes apart from its own VNet's address space: the
    gateways it gets routes from (its VNet's own, or a hub's through `useRemoteGateways`), its
    route table's routes and propagation flag, and its VNet's peerings. Subnets with the same
    signature have the same effective routes but for their VNet's own ranges."""
    vnet_id = subnet.vnet_id
    peerings = snapshot.peerings_of(vnet_id)
    if snapshot.gateways_of(vnet_id):
        source: str = vnet_id.key
    else:
        remote = next((p.remote_vnet_id for p in peerings if p.use_remote_gateways), None)
        source = remote.key if remote is not None else ""
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
        else None
    )
    propagate = not (table is not None and table.disable_bgp_route_propagation)
    peered = tuple(
        sorted(
            (
                p.remote_vnet_id.key,
                p.peering_state or "",
                bool(p.allow_virtual_network_access),
                bool(p.use_remote_gateways),
            )
            for p in peerings
        )
    )
    return (source, routes, propagate, peered, subnet.id.name.lower() == "gatewaysubnet")
