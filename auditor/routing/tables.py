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
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Protocol, TypeVar

from auditor.ids import ArmId
from auditor.model import (
    IPNetwork,
    LinkKind,
    RouteTable,
    Snapshot,
    Subnet,
    VirtualNetwork,
    VirtualNetworkPeering,
    parse_prefix,
    same,
)
from auditor.routing.controlplane import Advert, CircuitEntry, ControlPlane
from auditor.routing.prefixindex import OverlapIndex, PrefixIndex, prefix_key
from auditor.routing.record import record

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SPECIAL_SUBNETS = (
    "gatewaysubnet",
    "azurefirewallsubnet",
    "azurefirewallmanagementsubnet",
    "routeserversubnet",
    "azurebastionsubnet",
)
PROPAGATION_OFF = "gateway route propagation is disabled on the subnet's route table"
DEFAULT_NONE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
_DEFAULT_ROUTE = parse_prefix("0.0.0.0/0")
_RESERVED = tuple(parse_prefix(text) for text in DEFAULT_NONE)  # parsed once, not per subnet table


@record
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


_SOURCE_ORDER = {"User": 0, "VirtualNetworkGateway": 1, "Default": 2}


def _sort(routes: list[TableRoute]) -> list[TableRoute]:
    """The routes of one prefix as a table shows them: selected first, then by source."""
    return sorted(
        routes, key=lambda r: (not r.selected, _SOURCE_ORDER.get(r.source, 3), r.via.key if r.via else "")
    )


class BgpCandidate(Protocol):
    """What BGP selection at an Azure gateway reads of a route (an `Advert`, an `OnPremRoute`)."""

    @property
    def prefix(self) -> IPNetwork: ...
    @property
    def link(self) -> LinkKind | None: ...
    @property
    def weight(self) -> int: ...
    @property
    def as_path(self) -> tuple[int, ...]: ...
    @property
    def key(self) -> tuple[int, int, int]: ...  # prefix_key(prefix)


B = TypeVar("B", bound=BgpCandidate)


def _bgp_rank(a: BgpCandidate) -> tuple[int, int, int]:
    return (1 if a.link is LinkKind.EXPRESSROUTE else 0, a.weight, -len(a.as_path))


def select_bgp(adverts: Iterable[B]) -> list[tuple[B, bool, str]]:
    """Azure's choice among a gateway's BGP routes, per prefix: ExpressRoute over VPN, then the
    higher connection weight, then the shorter AS path; what is still tied is ECMP (all kept).
    Every route, selected or not, and why; the one implementation of this precedence (subnets'
    gateway routes, the gateway's own table, the on-premises views and rules all ask it)."""
    by_prefix: dict[tuple[int, int, int], list[B]] = {}
    for a in adverts:
        group = by_prefix.get(a.key)
        if group is None:
            by_prefix[a.key] = [a]
        else:
            group.append(a)
    out: list[tuple[B, bool, str]] = []
    for group in by_prefix.values():
        if len(group) == 1:
            out.append((group[0], True, "best route"))
            continue
        ranks = [_bgp_rank(a) for a in group]
        best = max(ranks)
        tied = ranks.count(best) > 1
        for a, rank in zip(group, ranks, strict=True):
            if rank == best:
                out.append((a, True, "ECMP with an equal route" if tied else "best route"))
            elif rank[0] < best[0]:
                out.append((a, False, "ExpressRoute is preferred over VPN for the same prefix"))
            elif rank[1] < best[1]:
                out.append((a, False, "lower connection weight"))
            else:
                out.append((a, False, "longer AS path"))
    return out


def vnet_table(plane: ControlPlane, vnet: VirtualNetwork, subnet: Subnet | None = None) -> list[TableRoute]:
    """The effective routes of a subnet (or of a VNet-wide subnet without a route table)."""
    return subnet_table(plane, vnet, subnet).routes()


def subnet_table(plane: ControlPlane, vnet: VirtualNetwork, subnet: Subnet | None) -> SubnetTable:
    """The subnet's table, built once per control plane (walks, `routes` and drift share it)."""
    return plane.subnet_tables[(vnet.id, subnet.id if subnet is not None else None)]


Decision = tuple[TableRoute, bool, str]  # a candidate route, whether it is selected, and why


class SubnetTable:
    """A subnet's effective routes, with Azure's precedence implemented once (`_decide`, for the
    routes of one prefix) and served two ways: the whole table (`routes`, what `azroute routes`,
    drift and reconciliation show) and the selected routes towards one address (`longest`, what
    every walk asks), which decides only the prefixes that contain the address.

    The candidates are the subnet's own routes (system and user-defined, a handful) and its
    gateway domain's BGP routes as the domain selected them (shared by every subnet of the
    domain: `GatewayRows`). For one prefix: a user-defined route beats a BGP route, which beats a
    system route; a BGP route equal to or inside the VNet's or a peered address space loses to
    the system route; with propagation off on the route table no BGP route is used; an overridden
    default route (a user-defined or BGP 0.0.0.0/0) invalidates the reserved-range None routes.
    Between prefixes: the longest prefix with a selected route wins."""

    def __init__(self, plane: ControlPlane, vnet: VirtualNetwork, subnet: Subnet | None) -> None:
        own, self._spaces, self._propagate, hub = local_candidates(plane, vnet, subnet)
        self._own = PrefixIndex(own, lambda r: r.prefix)
        self._shared = plane.gateway_rows[hub] if hub is not None else None
        self._default_overridden: bool | None = None
        self._levels: dict[
            int, list[tuple[int, dict[int, list[TableRoute]], dict[int, list[TableRoute]]]]
        ] = {}

    # -- the precedence, once --------------------------------------------------------------------
    def _bgp(self, route: TableRoute) -> Decision:
        """A domain BGP route as this subnet holds it."""
        if not self._propagate:
            return route, False, PROPAGATION_OFF
        if self._spaces.covers(route.prefix):
            return route, False, "inside a VNet or peered address space: the system route wins"
        return route, route.selected, route.reason

    def _overridden(self) -> bool:
        """0.0.0.0/0 has a user-defined route or a BGP route this subnet uses."""
        if self._default_overridden is None:
            default = _DEFAULT_ROUTE
            own = [r for g in self._own.covering(default) for r in g if r.prefix == default]
            bgp = (
                [r for g in self._shared.index.covering(default) for r in g if r.prefix == default]
                if self._shared is not None
                else []
            )
            self._default_overridden = any(r.source == "User" for r in own) or any(
                chosen for _, chosen, _ in map(self._bgp, bgp)
            )
        return self._default_overridden

    def _decide(self, own: list[TableRoute], bgp: list[TableRoute]) -> list[Decision]:
        """Every candidate route for one prefix (own: system and user-defined; bgp: the domain's),
        selected or not, and why."""
        if not own:  # BGP routes alone: what the rules below make of them
            return [self._bgp(r) for r in bgp]
        decided = [(r, r.selected, r.reason) for r in own] + [self._bgp(r) for r in bgp]
        if self._overridden():
            decided = [
                (r, False, "invalidated by the overridden default route")
                if r.source == "Default" and r.next_hop_type == "None"
                else (r, chosen, why)
                for r, chosen, why in decided
            ]
        users = any(r.source == "User" for r, _, _ in decided)
        bgp_wins = any(chosen for r, chosen, _ in decided if r.source == "VirtualNetworkGateway")
        out: list[Decision] = []
        for route, chosen, why in decided:
            if route.source == "User":
                out.append((route, chosen, why))
            elif users:
                out.append(
                    (route, False, "a user-defined route for the same prefix wins")
                    if chosen
                    else (route, chosen, why)
                )
            elif route.source == "Default" and bgp_wins:
                out.append((route, False, "a BGP route for the same prefix wins"))
            else:
                out.append((route, chosen, why))
        return out

    def own_prefixes(self) -> list[IPNetwork]:
        """The prefixes of the subnet's own routes (system and user-defined, not the domain's) that
        can be selected: the reserved-range None routes are left out once an overridden default
        route invalidates them."""
        overridden = self._overridden()
        return [
            route.prefix
            for route in self._own.items
            if not (overridden and route.source == "Default" and route.next_hop_type == "None")
        ]

    # -- the two views ---------------------------------------------------------------------------
    def routes(self, within: OverlapIndex[IPNetwork] | None = None) -> list[TableRoute]:
        """The whole effective table: every candidate, selected or not, with the reason; with
        `within`, only the prefixes overlapping one of those (what an incremental diff compares)."""
        own: dict[tuple[int, int, int], list[TableRoute]] = {}
        for route in self._own.items:
            if within is None or within.overlaps_any(route.prefix):
                own.setdefault(prefix_key(route.prefix), []).append(route)
        shared = self._shared.groups if self._shared is not None else {}
        if within is not None and self._shared is not None:
            shared = self._shared.overlapping(within)
        out: list[TableRoute] = []
        for key in sorted(own.keys() | shared.keys()):
            decided = self._decide(own.get(key, []), shared.get(key, []))
            group = [
                route
                if (chosen, why) == (route.selected, route.reason)
                else self._shared.decided(route, chosen, why)
                if self._shared is not None and route.source == "VirtualNetworkGateway"
                else replace(route, selected=chosen, reason=why)
                for route, chosen, why in decided
            ]
            out += _sort(group) if len(group) > 1 else group
        return out

    def longest(self, address: Address) -> list[TableRoute]:
        """The selected routes of the longest prefix containing the address that has one (several:
        ECMP), deciding only the prefixes that contain the address."""
        value = int(address)
        for shift, own, bgp in self._merged(address.version):
            start = (value >> shift) << shift
            group_own = own.get(start)
            group_bgp = bgp.get(start)
            if group_own is None:
                if group_bgp is None:
                    continue
                # the domain's routes alone (propagation on: `_merged`): as `_bgp` decides each, once
                # for the prefix they share
                if self._spaces.covers(group_bgp[0].prefix):
                    continue
                chosen = [r for r in group_bgp if r.selected]
            else:
                chosen = [r for r, selected, _ in self._decide(group_own, group_bgp or []) if selected]
            if chosen:
                return chosen
        return []

    def _merged(
        self, version: int
    ) -> list[tuple[int, dict[int, list[TableRoute]], dict[int, list[TableRoute]]]]:
        """The subnet's own routes and its domain's, per prefix length (longest first): (bits to
        clear from an address, own routes by first address, domain routes by first address). With
        propagation off no BGP route is selected and none changes an own route's decision (`_bgp`,
        `_decide`): the domain's routes are left out."""
        found = self._levels.get(version)
        if found is None:
            none: dict[int, list[TableRoute]] = {}
            by_length = {length: (shift, bucket, none) for length, shift, bucket in self._own.levels(version)}
            if self._shared is not None and self._propagate:
                for length, shift, bucket in self._shared.index.levels(version):
                    by_length[length] = (shift, by_length.get(length, (shift, none, none))[1], bucket)
            found = self._levels[version] = [by_length[k] for k in sorted(by_length, reverse=True)]
        return found


@dataclass(frozen=True)
class GatewayRows:
    """A gateway domain's BGP routes as its subnets receive them, selected once for all of them
    (`select_bgp`), grouped and indexed by prefix."""

    rows: list[TableRoute]
    index: PrefixIndex[TableRoute]
    groups: dict[tuple[int, int, int], list[TableRoute]]
    _decided: dict[tuple[int, bool, str], TableRoute] = field(default_factory=dict, repr=False)

    _within: dict[int, tuple[object, dict[tuple[int, int, int], list[TableRoute]]]] = field(
        default_factory=dict, repr=False
    )

    def overlapping(self, within: OverlapIndex[IPNetwork]) -> dict[tuple[int, int, int], list[TableRoute]]:
        """The groups whose prefix overlaps one of `within` (once per index, for every subnet)."""
        found = self._within.get(id(within))
        if found is None or found[0] is not within:
            groups = {k: g for k, g in self.groups.items() if within.overlaps_any(g[0].prefix)}
            found = self._within[id(within)] = (within, groups)
        return found[1]

    def decided(self, route: TableRoute, selected: bool, reason: str) -> TableRoute:
        """One of these routes as a subnet's table shows it once decided (one copy per decision,
        shared by every subnet of the domain that decides it alike)."""
        key = (id(route), selected, reason)
        found = self._decided.get(key)
        if found is None:
            found = self._decided[key] = replace(route, selected=selected, reason=reason)
        return found


def gateway_rows(plane: ControlPlane, hub: ArmId) -> GatewayRows:
    rows = _bgp_rows(plane, hub)
    groups: dict[tuple[int, int, int], list[TableRoute]] = {}
    for row in rows:
        groups.setdefault(row.advert.key if row.advert is not None else prefix_key(row.prefix), []).append(
            row
        )
    return GatewayRows(rows, PrefixIndex.of_groups(groups), groups)


def local_candidates(
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
        if not snap.peering_established(peering) or peering.allow_virtual_network_access is False:
            continue
        space = peered_space(snap, peering)
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
    candidates.append(TableRoute(_DEFAULT_ROUTE, "Internet", None, "Default", reason="default route"))
    for reserved in _RESERVED:
        candidates.append(TableRoute(reserved, "None", None, "Default", reason="reserved private range"))

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


STALE_SYNC = ("localnotinsync", "localandremotenotinsync")


def peered_space(snapshot: Snapshot, peering: VirtualNetworkPeering) -> tuple[IPNetwork, ...]:
    """The address space a peering routes to: the remote VNet's, except when the peering's copy of
    it is out of date (`peeringSyncLevel` LocalNotInSync: the remote VNet's space changed and the
    peering was not synced; it still routes to the space it holds, `remoteAddressSpace`), or when
    the remote VNet is outside the snapshot (the copy is all there is)."""
    remote = snapshot.vnet(peering.remote_vnet_id)
    stale = (peering.peering_sync_level or "").lower() in STALE_SYNC
    if remote is None or (stale and peering.remote_address_prefixes is not None):
        return peering.remote_address_prefixes or ()
    return remote.address_prefixes


def _bgp_rows(plane: ControlPlane, hub: ArmId) -> list[TableRoute]:
    """A domain's gateway routes as subnet routes, selected once for all its VNets."""
    domain = plane.domains[hub]
    rows = []
    by_link = {
        link: gateway.id.name if gateway is not None else None
        for link, gateway in ((LinkKind.EXPRESSROUTE, domain.er_gateway), (LinkKind.VPN, domain.vpn_gateway))
    }
    for advert, best, reason in select_bgp([a for a in plane.domain_rib[hub] if not a.bgp_peer_host]):
        rows.append(
            TableRoute(
                advert.prefix, "VirtualNetworkGateway",
                by_link[LinkKind.EXPRESSROUTE if advert.link is LinkKind.EXPRESSROUTE else LinkKind.VPN],
                "VirtualNetworkGateway", advert.via, advert.as_path, advert.link, best, reason, advert, hub,
            )
        )  # fmt: skip
    return rows


def _udr_hop_type(value: str) -> str:
    for known in ("VirtualAppliance", "VirtualNetworkGateway", "VnetLocal", "Internet", "None"):
        if same(value, known):
            return known
    return value


def is_special(subnet: Subnet) -> bool:
    return subnet.id.name.lower() in SPECIAL_SUBNETS


def workload_subnet(plane: ControlPlane, vnet: VirtualNetwork) -> Subnet | None:
    subnets = sorted(plane.snapshot.subnets_of(vnet.id), key=lambda s: s.id.key)
    return next((s for s in subnets if not is_special(s)), subnets[0] if subnets else None)


def gateway_subnet(plane: ControlPlane, vnet: VirtualNetwork) -> Subnet | None:
    return next((s for s in plane.snapshot.subnets_of(vnet.id) if s.is_gateway_subnet), None)


def site_select(plane: ControlPlane, site_name: str) -> list[tuple[Advert, bool, str]]:
    """A site's whole table: every route, selected or not, and why (`SiteTable`)."""
    return plane.site_tables[site_name].decisions


def site_longest(plane: ControlPlane, site_name: str, address: Address) -> list[Advert]:
    """The routes the site selects towards an address (`SiteTable.longest`)."""
    return plane.site_tables[site_name].longest(address)


class SiteTable:
    """An on-premises site's routes, with its router's choice implemented once (`_decide`, for
    the routes of one prefix: the higher local-preference of the link, then the link kind the
    site declares it prefers, then the shorter AS path; what is still tied is ECMP), served two
    ways: the whole table (`decisions`, what `routes --from SITE` shows) and the selected routes
    towards one address (`longest`, what a walk asks), which asks the control plane only for the
    site's routes containing that address (a datacenter's whole table is rarely needed)."""

    def __init__(self, plane: ControlPlane, name: str) -> None:
        self._plane, self._name = plane, name
        self._site = plane.site_by_name[name]
        self._prefer = list(self._site.prefer or ())
        self._local_pref: dict[object, int] = {}

    def _rank(self, a: Advert) -> tuple[int, int, int]:
        pref = self._prefer.index(a.link) if a.link in self._prefer else len(self._prefer)
        if a.via not in self._local_pref:
            self._local_pref[a.via] = self._site.local_preference(a.via)
        return (self._local_pref[a.via], -pref, -len(a.as_path))

    def _decide(self, group: list[Advert]) -> list[tuple[Advert, bool, str]]:
        """Every route of one prefix, selected or not, and why."""
        ranks = [self._rank(a) for a in group]
        best = max(ranks)
        winners = [a for a, rank in zip(group, ranks, strict=True) if rank == best]
        out: list[tuple[Advert, bool, str]] = []
        for a, rank in zip(group, ranks, strict=True):
            if rank == best:
                out.append((a, True, "ECMP with an equal route" if len(winners) > 1 else "best route"))
            elif rank[0] < best[0]:
                out.append((a, False, "lower local-preference on the site's link"))
            elif rank[1] < best[1]:
                kind = winners[0].link.value if winners[0].link else "?"
                out.append((a, False, f"the site prefers {kind}"))
            else:
                out.append((a, False, "longer AS path"))
        return out

    @cached_property
    def decisions(self) -> list[tuple[Advert, bool, str]]:
        """The whole table, in the control plane's order of the site's routes."""
        by_prefix: dict[tuple[int, int, int], list[Advert]] = {}
        for a in self._plane.site_rib[self._name]:
            by_prefix.setdefault(a.key, []).append(a)
        return [decision for group in by_prefix.values() for decision in self._decide(group)]

    def decisions_within(self, within: OverlapIndex[IPNetwork]) -> list[tuple[Advert, bool, str]]:
        """The routes of prefixes overlapping one of `within`'s, decided as in the whole table
        (each prefix is decided on its own), without computing the rest of it."""
        by_prefix: dict[tuple[int, int, int], list[Advert]] = {}
        for a in self._plane.site_routes_within(self._name, within):
            by_prefix.setdefault(a.key, []).append(a)
        return [decision for group in by_prefix.values() for decision in self._decide(group)]

    def longest(self, address: Address) -> list[Advert]:
        """The selected routes of the longest prefix containing the address."""
        routes = self._plane.site_routes_covering(self._name, address)
        if not routes:
            return []
        longest = max(a.prefix.prefixlen for a in routes)
        return [
            a for a, chosen, _ in self._decide([a for a in routes if a.prefix.prefixlen == longest]) if chosen
        ]


def circuit_choice(entries: list[CircuitEntry]) -> list[CircuitEntry]:
    """What a circuit's Microsoft edge uses among the entries it may use towards an address: the
    longest prefix, then a route to the site behind the circuit over one to a linked VNet, then
    the target's name (a stable order); the first is taken, the others are equal (ECMP)."""
    if not entries:
        return []
    longest = max(e.prefix.prefixlen for e in entries)
    return sorted(
        (e for e in entries if e.prefix.prefixlen == longest), key=lambda e: (e.kind != "site", e.target)
    )


def circuit_entries(
    plane: ControlPlane, circuit_id: ArmId, device_path: str | None = None
) -> list[CircuitEntry]:
    entries = plane.circuit_table.get(circuit_id, [])
    if device_path is None:
        return list(entries)
    return [e for e in entries if device_path in e.device_paths]
