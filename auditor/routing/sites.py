"""On-premises sites, the links that reach them, and how the site's router treats each link.

A site is declared in `fixture.json` (`sites`), or inferred: circuits' private-peering peer
ASNs and local network gateways' BGP ASNs that no declared site claims are grouped by ASN
into sites named `asn-<N>` (prefixes: the LNGs' static address space), and a local network
gateway without BGP that no site claims is a static site named after it. A declared site's links are the circuits and local network
gateways it names; when it names none, those whose ASN equals the site's ASN, plus local
network gateways whose static address space overlaps the site's prefixes.

Per-link policy (AS-path prepending, the prefixes advertised over the link, local-preference)
comes from `sites[].links`. A site that declares no links, declared or inferred, gets them
inferred from observations where they show a prepended AS path or a link that carries only part
of the site's prefixes: a circuit's route table (`routeTables`) or a VPN gateway's learned routes
from the site's BGP peer whose path holds only the site's ASN.
Inferred links are marked as such and listed by `azroute inventory`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.ids import ArmId
from auditor.model import (
    CircuitTable,
    Connection,
    GatewayRouteTable,
    IPNetwork,
    LinkKind,
    LocalNetworkGateway,
    Operation,
    Site,
    Snapshot,
    snapshot_relative,
)
from auditor.routing.prefixindex import OverlapIndex

DEFAULT_LOCAL_PREFERENCE = 100


@dataclass(frozen=True)
class LinkPolicy:
    """How the site's router treats one link: a circuit (ExpressRoute) or a connection (VPN)."""

    kind: LinkKind
    target: ArmId  # the circuit or the connection
    prepend: int = 0
    prefixes: tuple[IPNetwork, ...] | None = None
    local_preference: int | None = None
    inferred: bool = False
    evidence: str | None = None  # for an inferred link: the observation that shows it

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "circuit" if self.kind is LinkKind.EXPRESSROUTE else "connection": self.target.name,
            "asPathPrepend": self.prepend,
        }
        if self.prefixes is not None:
            out["prefixes"] = [str(p) for p in self.prefixes]
        if self.local_preference is not None:
            out["localPreference"] = self.local_preference
        if self.inferred:
            out["inferred"] = True
            out["from"] = self.evidence
        return out


@dataclass(frozen=True)
class SiteView:
    name: str
    declared: bool
    asn: int | None
    prefixes: tuple[IPNetwork, ...]
    prefer: tuple[LinkKind, ...] | None
    circuit_ids: frozenset[ArmId]
    lng_ids: frozenset[ArmId]
    links: tuple[LinkPolicy, ...] = ()

    def link(self, target: ArmId | None) -> LinkPolicy | None:
        """The policy of the link over this circuit or connection, if the site has one."""
        return next((lk for lk in self.links if lk.target == target), None) if target else None

    def prepend(self, target: ArmId | None) -> int:
        policy = self.link(target)
        return policy.prepend if policy else 0

    def advertised(self, target: ArmId | None) -> tuple[IPNetwork, ...]:
        """What the site advertises over one link."""
        policy = self.link(target)
        return policy.prefixes if policy is not None and policy.prefixes is not None else self.prefixes

    def local_preference(self, target: ArmId | None) -> int:
        policy = self.link(target)
        if policy is None or policy.local_preference is None:
            return DEFAULT_LOCAL_PREFERENCE
        return policy.local_preference

    def path(self, target: ArmId | None) -> tuple[int, ...]:
        """The AS path the site's routes carry over one link."""
        if self.asn is None:
            return ()
        return (self.asn,) * (1 + self.prepend(target))


class _Resolver:
    """Finds the snapshot's resources by name or id without scanning them per reference."""

    def __init__(self, candidates: Iterable[ArmId]) -> None:
        self._by_ref: dict[str, list[ArmId]] = defaultdict(list)
        for c in candidates:
            self._by_ref[c.key].append(c)
            if c.name.lower() != c.key:
                self._by_ref[c.name.lower()].append(c)

    def resolve(self, refs: tuple[str, ...]) -> frozenset[ArmId]:
        """Names or ids of the snapshot's resources; an ARM id of a resource outside the snapshot
        is kept (it is an external reference, and what depends on it is unknown)."""
        found = {c for r in refs for c in self._by_ref.get(r.lower(), ())}
        for ref in refs:
            if ref.startswith("/") and not any(c.key == ref.lower() for c in found):
                try:
                    found.add(ArmId(ref))
                except ValueError:
                    continue
        return frozenset(found)


class _SiteIndex:
    """Every lookup `site_views` makes between two collections that grow with the estate, built
    once: resources by name or id, by ASN, local network gateways by address space, observations
    by the peering, connection or gateway they belong to."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.circuits = _Resolver(c.id for c in snapshot.circuits)
        self.lngs = _Resolver(g.id for g in snapshot.local_network_gateways)
        self.connections = _Resolver(c.id for c in snapshot.connections)
        self.circuit_asn: dict[ArmId, int] = {}
        for circuit in snapshot.circuits:
            peering = snapshot.private_peering(circuit.id)
            if peering is not None and peering.peer_asn is not None:
                self.circuit_asn[circuit.id] = peering.peer_asn
        self.lng_asn = {g.id: g.asn for g in snapshot.local_network_gateways if g.asn is not None}
        self.circuits_by_asn: dict[int, list[ArmId]] = defaultdict(list)
        for c, asn in self.circuit_asn.items():
            self.circuits_by_asn[asn].append(c)
        self.lngs_by_asn: dict[int, list[ArmId]] = defaultdict(list)
        for g, asn in self.lng_asn.items():
            self.lngs_by_asn[asn].append(g)
        self.lng_space = OverlapIndex(
            [(g.id, p) for g in snapshot.local_network_gateways for p in g.address_prefixes or ()],
            lambda row: row[1],
        )
        self.sites: dict[str, Site] = {}
        for site in snapshot.sites:
            self.sites.setdefault(site.name, site)
        self.route_tables: dict[ArmId, list[CircuitTable]] = defaultdict(list)
        for table in snapshot.circuit_tables:
            if table.operation is Operation.ROUTE_TABLES:
                self.route_tables[table.peering_id].append(table)
        self.learned: dict[ArmId, list[GatewayRouteTable]] = defaultdict(list)
        for gtable in snapshot.gateway_routes:
            if gtable.operation is Operation.GET_LEARNED_ROUTES:
                self.learned[gtable.gateway_id].append(gtable)
        # connections by the local network gateway they reach, in the snapshot's order
        self.connections_of_lng: dict[ArmId, list[tuple[int, Connection, LocalNetworkGateway]]] = defaultdict(
            list
        )
        for i, conn in enumerate(snapshot.connections):
            lng = (
                snapshot.local_network_gateway(conn.local_network_gateway_id)
                if conn.local_network_gateway_id
                else None
            )
            if lng is not None:
                self.connections_of_lng[lng.id].append((i, conn, lng))

    def lngs_overlapping(self, prefixes: Iterable[IPNetwork]) -> set[ArmId]:
        """Local network gateways whose static address space overlaps any of the prefixes."""
        space = self.lng_space
        return {g for q in prefixes if space.overlaps_any(q) for g, _ in space.overlapping(q)}

    def connections_to(self, lng_ids: Iterable[ArmId]) -> list[tuple[Connection, LocalNetworkGateway]]:
        """The connections to these local network gateways, in the snapshot's order."""
        rows = sorted(
            (row for g in lng_ids for row in self.connections_of_lng.get(g, ())), key=lambda r: r[0]
        )
        return [(conn, lng) for _, conn, lng in rows]


def site_views(snapshot: Snapshot) -> list[SiteView]:
    """Each on-premises site with the prefixes and links it is known by: computed once per
    snapshot (`Snapshot.derived`) and shared by the control plane, the rules and `inventory`."""
    return list(snapshot.derived("site-views", _site_views))


def _site_views(snapshot: Snapshot) -> tuple[SiteView, ...]:
    index = _SiteIndex(snapshot)
    circuit_asn, lng_asn = index.circuit_asn, index.lng_asn

    views: list[SiteView] = []
    for site in snapshot.sites:
        if site.circuits is not None:
            circ = index.circuits.resolve(site.circuits)
        else:
            circ = frozenset(index.circuits_by_asn.get(site.asn, ()) if site.asn is not None else ())
        if site.local_network_gateways is not None:
            lng = index.lngs.resolve(site.local_network_gateways)
        else:
            by_asn = set(index.lngs_by_asn.get(site.asn, ()) if site.asn is not None else ())
            by_space = index.lngs_overlapping(site.prefixes)
            lng = frozenset(by_asn | by_space)
        views.append(
            SiteView(
                site.name,
                True,
                site.asn,
                site.prefixes,
                site.prefer,
                circ,
                lng,
                _declared_links(index, site) if site.links is not None else (),
            )
        )

    claimed_c = set().union(*(v.circuit_ids for v in views)) if views else set()
    claimed_l = set().union(*(v.lng_ids for v in views)) if views else set()
    inferred: dict[int, tuple[set[ArmId], set[ArmId]]] = {}
    for c, asn in circuit_asn.items():
        if c not in claimed_c:
            inferred.setdefault(asn, (set(), set()))[0].add(c)
    for g, asn in lng_asn.items():
        if g not in claimed_l:
            inferred.setdefault(asn, (set(), set()))[1].add(g)
    lng_space = {g.id: tuple(g.address_prefixes or ()) for g in snapshot.local_network_gateways}
    for asn in sorted(inferred):
        circ_ids, lng_ids = inferred[asn]
        space = tuple(dict.fromkeys(p for g in sorted(lng_ids, key=lambda i: i.key) for p in lng_space[g]))
        views.append(SiteView(f"asn-{asn}", False, asn, space, None, frozenset(circ_ids), frozenset(lng_ids)))
    # A local network gateway without BGP that no site claims is a static site of its own.
    claimed_l |= {g for v in views for g in v.lng_ids}
    for gateway in snapshot.local_network_gateways:
        if gateway.id not in claimed_l and gateway.asn is None:
            views.append(
                SiteView(
                    gateway.id.name,
                    False,
                    None,
                    lng_space[gateway.id],
                    None,
                    frozenset(),
                    frozenset({gateway.id}),
                )
            )
    return tuple(
        v
        if v.links or (v.declared and index.sites[v.name].links is not None)
        else _infer_links(snapshot, index, v)
        for v in views
    )


def _declared_links(index: _SiteIndex, site: Site) -> tuple[LinkPolicy, ...]:
    out: list[LinkPolicy] = []
    for link in site.links or ():
        ref = link.circuit or link.connection or ""
        kind = LinkKind.EXPRESSROUTE if link.circuit else LinkKind.VPN
        found = (index.circuits if link.circuit else index.connections).resolve((ref,))
        targets = sorted(found, key=lambda i: i.key) if found else [ArmId(ref)] if ref.startswith("/") else []
        for target in targets:
            out.append(LinkPolicy(kind, target, link.as_path_prepend, link.prefixes, link.local_preference))
    return tuple(out)


def _leading(path: tuple[int, ...], asn: int) -> int:
    count = 0
    for hop in path:
        if hop != asn:
            break
        count += 1
    return count


def _originated(path: tuple[int, ...], asn: int) -> int:
    """How many times the site's ASN stands in a path that the site itself originated (0: not its)."""
    return len(path) if path and all(hop == asn for hop in path) else 0


def _infer_links(snapshot: Snapshot, index: _SiteIndex, view: SiteView) -> SiteView:
    """What observations show of a site's links (when the site declares none): the prepending on
    each link and the prefixes it advertises over each (for a declared site, among its declared
    prefixes: one observed on another of its links but not on this one is not advertised here)."""
    found: list[LinkPolicy] = []
    learned: dict[IPNetwork, None] = {}
    for circuit_id in sorted(view.circuit_ids, key=lambda i: i.key):
        peering = snapshot.private_peering(circuit_id)
        asn = view.asn if view.asn is not None else (peering.peer_asn if peering else None)
        if peering is None or asn is None:
            continue
        best, where, seen = 0, None, dict[IPNetwork, None]()
        for table in index.route_tables.get(peering.id, ()):
            for route in table.routes:
                count = _originated(route.path, asn)
                if count and route.network is not None:
                    seen[route.network] = None
                if count > best:
                    best, where = count, table.file
        found.append(_inferred(view, LinkKind.EXPRESSROUTE, circuit_id, best, where, seen))
        learned.update(seen)
    for conn, lng in index.connections_to(view.lng_ids):
        if lng.bgp_settings is None:
            continue
        asn = view.asn if view.asn is not None else lng.asn
        if asn is None:
            continue
        peers = set(lng.bgp_settings.addresses)
        best, where, seen = 0, None, dict[IPNetwork, None]()
        for gtable in index.learned.get(conn.gateway1_id, ()):
            for groute in gtable.routes:
                if (groute.source_peer or groute.next_hop) not in peers or groute.network is None:
                    continue
                count = _originated(groute.as_path, asn)
                host = (
                    groute.network.prefixlen == groute.network.max_prefixlen
                    and str(groute.network.network_address) in peers
                )
                if count and not host:
                    seen[groute.network] = None
                if count > best:
                    best, where = count, gtable.file
        found.append(_inferred(view, LinkKind.VPN, conn.id, best, where, seen))
        learned.update(seen)
    prefixes = view.prefixes
    if view.declared:
        # a declared prefix that observations show on some link of the site but not on this one
        # (which has observations) is not advertised over it; one they show nowhere is kept
        found = [
            LinkPolicy(lk.kind, lk.target, lk.prepend, carried, None, True, lk.evidence)
            if lk.prefixes is not None
            and set(carried := tuple(p for p in view.prefixes if p in lk.prefixes or p not in learned))
            < set(view.prefixes)
            else LinkPolicy(lk.kind, lk.target, lk.prepend, None, None, True, lk.evidence)
            for lk in found
        ]
    links = tuple(lk for lk in found if lk.prepend or lk.prefixes is not None)
    if not view.declared:
        prefixes = tuple(dict.fromkeys([*view.prefixes, *learned]))
        # a link that carries every prefix the site is known by needs no prefix list
        links = tuple(
            LinkPolicy(lk.kind, lk.target, lk.prepend, None, None, True, lk.evidence)
            if lk.prefixes is not None and set(lk.prefixes) >= set(prefixes)
            else lk
            for lk in links
        )
        links = tuple(lk for lk in links if lk.prepend or lk.prefixes is not None)
    if not links and prefixes == view.prefixes:
        return view
    return SiteView(
        view.name, view.declared, view.asn, prefixes, view.prefer, view.circuit_ids, view.lng_ids, links
    )


def _inferred(
    view: SiteView, kind: LinkKind, target: ArmId, count: int, where: str | None, seen: dict[IPNetwork, None]
) -> LinkPolicy:
    prefixes = tuple(seen) if seen else None
    return LinkPolicy(kind, target, max(count - 1, 0), prefixes, None, True, snapshot_relative(where))
