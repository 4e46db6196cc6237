"""Sites that one VNet reaches over both ExpressRoute and VPN, and the link each direction uses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from auditor.ids import ArmId
from auditor.model import IPNetwork, LinkKind, Snapshot
from auditor.routing.onprem import Link, OnPremRoute, active_links, onprem_routes, selected_link
from auditor.routing.sites import SiteView, site_views


@dataclass(frozen=True)
class DualPath:
    site: SiteView
    vnet_id: ArmId
    links: tuple[Link, ...]
    routes: tuple[OnPremRoute, ...]
    azure_choice: tuple[tuple[IPNetwork, OnPremRoute], ...]  # destination -> the route Azure selects
    site_choice: LinkKind | None  # the link the site uses towards Azure, from its declared preference

    def connections(self, kind: LinkKind) -> tuple[ArmId, ...]:
        found = {link.connection.id for link in self.links if link.kind is kind}
        return tuple(sorted(found, key=lambda i: i.key))


def _reaches(kind: LinkKind, via_id: ArmId, site: SiteView) -> bool:
    return via_id in (site.circuit_ids if kind is LinkKind.EXPRESSROUTE else site.lng_ids)


def dual_path_sites(snapshot: Snapshot) -> list[DualPath]:
    """Per (site, VNet): the VNet's gateways have a working ExpressRoute link and a working VPN
    link to the site. Computed once per snapshot and shared by the rules."""
    return snapshot.derived("dual-path-sites", _dual_path_sites)


def _dual_path_sites(snapshot: Snapshot) -> list[DualPath]:
    links_by_vnet: dict[ArmId, list[Link]] = defaultdict(list)
    for link in active_links(snapshot):
        links_by_vnet[link.vnet_id].append(link)
    by_vnet: dict[ArmId, list[OnPremRoute]] = defaultdict(list)
    for route in onprem_routes(snapshot):
        by_vnet[route.vnet_id].append(route)
    found: list[DualPath] = []
    for site in site_views(snapshot):
        for vnet_id in sorted(links_by_vnet, key=lambda i: i.key):
            site_links = tuple(lk for lk in links_by_vnet[vnet_id] if _reaches(lk.kind, lk.via_id, site))
            links = {lk.kind for lk in site_links}
            if links != {LinkKind.EXPRESSROUTE, LinkKind.VPN}:
                continue
            all_routes = by_vnet[vnet_id]
            mine = [r for r in all_routes if _reaches(r.link, r.via_id, site) and not r.bgp_peer_host]
            destinations = sorted(
                set(site.prefixes) | {r.prefix for r in mine},
                key=lambda p: (p.version, int(p.network_address), p.prefixlen),
            )
            choice: list[tuple[IPNetwork, OnPremRoute]] = []
            for dest in destinations:
                best = selected_link(all_routes, dest)
                if best is not None:
                    choice.append((dest, best))
            site_choice = next((k for k in site.prefer or () if k in links), None)
            found.append(DualPath(site, vnet_id, site_links, tuple(mine), tuple(choice), site_choice))
    return found
