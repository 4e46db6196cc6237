"""Sites that one gateway domain reaches over both ExpressRoute and VPN, and the link each
direction uses (from the control plane's one model of on-premises routes)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.ids import ArmId
from auditor.model import Connection, IPNetwork, LinkKind
from auditor.routing.cache import PerKey
from auditor.routing.controlplane import ControlPlane
from auditor.routing.onprem import OnPremRoute, onprem_routes, selected_links
from auditor.routing.prefixindex import PrefixIndex, prefix_key
from auditor.routing.sites import SiteView
from auditor.routing.tables import site_longest
from auditor.unmodelled import ipv6_over_vpn


@dataclass(frozen=True)
class DualPath:
    site: SiteView
    vnet_id: ArmId
    links: tuple[tuple[LinkKind, Connection], ...]
    routes: tuple[OnPremRoute, ...]
    azure_choice: tuple[tuple[IPNetwork, OnPremRoute], ...]  # destination -> a route Azure selects
    site_choice: LinkKind | None  # the link the site uses towards the domain (`site_choice`)

    def connections(self, kind: LinkKind) -> tuple[ArmId, ...]:
        found = {conn.id for k, conn in self.links if k is kind}
        return tuple(sorted(found, key=lambda i: i.key))


def declares_preference(site: SiteView) -> bool:
    """The site declares how its router chooses between its links: `prefer`, or a link's
    local-preference."""
    return bool(site.prefer) or any(lk.local_preference is not None for lk in site.links)


def site_choice(plane: ControlPlane, site: SiteView, hub: ArmId) -> LinkKind | None:
    """The link a site sends its traffic to a gateway domain over: what its router selects towards
    the domain's hub (`SiteTable`, the one implementation of the site's choice, which `paths` walks:
    the higher local-preference of the link, then the link kind it declares it prefers, then the
    shorter AS path). None when the site declares neither `prefer` nor a link's local-preference
    (its router's policy is unknown: ASY003), when it selects no route towards the hub, or when its
    selected routes use both kinds (ECMP)."""
    if not declares_preference(site):
        return None
    vnet = plane.snapshot.vnet(hub)
    spaces = sorted(vnet.address_prefixes, key=lambda p: p.version) if vnet is not None else []
    if not spaces:
        return None
    kinds = {a.link for a in site_longest(plane, site.name, spaces[0].network_address)}
    return kinds.pop() if len(kinds) == 1 else None


def dual_path_sites(plane: ControlPlane) -> list[DualPath]:
    """Per (site, gateway domain) with a working ExpressRoute link and a working VPN link to the
    site. Computed once per control plane and shared by the rules."""
    return plane.dual_path_sites


def compute_dual_path_sites(plane: ControlPlane) -> list[DualPath]:
    # the domains linked to each circuit over ExpressRoute and to each local network gateway over
    # VPN: a site is asked only about the domains it has a link of each kind with
    by_circuit: dict[ArmId, set[ArmId]] = {}
    by_lng: dict[ArmId, set[ArmId]] = {}
    for hub, domain in plane.domains.items():
        for _, circuit in domain.er_links:
            by_circuit.setdefault(circuit, set()).add(hub)
        for _, lng in domain.vpn_links:
            by_lng.setdefault(lng.id, set()).add(hub)
    candidates: list[tuple[SiteView, ArmId]] = []
    for site in plane.sites:
        over_er = {hub for c in site.circuit_ids for hub in by_circuit.get(c, ())}
        both = over_er & {hub for g in site.lng_ids for hub in by_lng.get(g, ())}
        candidates += [(site, hub) for hub in sorted(both, key=lambda i: i.key)]
    if not candidates:  # no site is reached both ways: the domains' routes need no grouping
        return []
    by_hub: dict[ArmId, list[OnPremRoute]] = {}
    for route in onprem_routes(plane):
        by_hub.setdefault(route.vnet_id, []).append(route)
    # each domain's routes indexed by prefix when a site it reaches both ways first asks
    indexes: PerKey[ArmId, PrefixIndex[OnPremRoute]] = PerKey(
        lambda hub: PrefixIndex.by_key(by_hub.get(hub, []), lambda r: r.key)
    )
    by_conn: dict[ArmId, list[OnPremRoute]] = {}
    for routes in by_hub.values():
        for route in routes:
            by_conn.setdefault(route.connection_id, []).append(route)
    # IPv6 over a site-to-site VPN is not modelled (`ipv6-over-vpn`): which link an IPv6 prefix of
    # such a site takes is not judged
    v6_unmodelled = {lng.id for lng in ipv6_over_vpn(plane.snapshot)}
    found: list[DualPath] = []
    for site, hub in candidates:
        domain = plane.domains[hub]
        links: list[tuple[LinkKind, Connection]] = [
            (LinkKind.EXPRESSROUTE, conn) for conn, circuit in domain.er_links if circuit in site.circuit_ids
        ]
        links += [(LinkKind.VPN, conn) for conn, lng in domain.vpn_links if lng.id in site.lng_ids]
        kinds = {k for k, _ in links}
        if kinds != {LinkKind.EXPRESSROUTE, LinkKind.VPN}:
            continue
        conns = {conn.id for _, conn in links}
        mine = [
            r for c in sorted(conns, key=lambda i: i.key) for r in by_conn.get(c, []) if not r.bgp_peer_host
        ]
        destinations = sorted(set(site.prefixes) | {r.prefix for r in mine}, key=prefix_key)
        choice: list[tuple[IPNetwork, OnPremRoute]] = []
        v6_open = any(lng.id in v6_unmodelled for conn, lng in domain.vpn_links if lng.id in site.lng_ids)
        for dest in destinations:
            if dest.version == 6 and v6_open:
                continue
            best = selected_links(indexes[hub], dest)
            if best:
                choice.append((dest, best[0]))
        found.append(
            DualPath(site, hub, tuple(links), tuple(mine), tuple(choice), site_choice(plane, site, hub))
        )
    return found
