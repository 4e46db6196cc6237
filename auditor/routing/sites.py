"""On-premises sites, the links that reach them, and how the site's router treats each link.

A site is declared in `fixture.json` (`sites`), or inferred: circuits' private-peering peer
ASNs and local network gateways' BGP ASNs that no declared site claims are grouped by ASN
into sites named `asn-<N>` (prefixes: the LNGs' static address space), and a local network
gateway without BGP that no site claims is a static site named after it. A declared site's links are the circuits and local network
gateways it names; when it names none, those whose ASN equals the site's ASN, plus local
network gateways whose static address space overlaps the site's prefixes.

Per-link policy (AS-path prepending, the prefixes advertised over the link, local-preference)
comes from `sites[].links`. A site that declares no links gets them inferred from observations
where they show a prepended AS path: a circuit's route table (`routeTables`) or a VPN gateway's
learned routes from the site's BGP peer whose path starts with the site's ASN more than once.
Inferred links are marked as such and listed by `azroute inventory`.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.ids import ArmId
from auditor.model import IPNetwork, LinkKind, Operation, Site, Snapshot, snapshot_relative

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


def _resolve(refs: tuple[str, ...], candidates: list[ArmId]) -> frozenset[ArmId]:
    """Names or ids of the snapshot's resources; an ARM id of a resource outside the snapshot is
    kept (it is an external reference, and what depends on it is unknown)."""
    wanted = {r.lower() for r in refs}
    found = {c for c in candidates if c.key in wanted or c.name.lower() in wanted}
    for ref in refs:
        if ref.startswith("/") and not any(c.key == ref.lower() for c in found):
            try:
                found.add(ArmId(ref))
            except ValueError:
                continue
    return frozenset(found)


def _overlaps(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)


def site_views(snapshot: Snapshot) -> list[SiteView]:
    circuit_asn: dict[ArmId, int] = {}
    for circuit in snapshot.circuits:
        peering = snapshot.private_peering(circuit.id)
        if peering is not None and peering.peer_asn is not None:
            circuit_asn[circuit.id] = peering.peer_asn
    lng_asn = {g.id: g.asn for g in snapshot.local_network_gateways if g.asn is not None}
    circuits = [c.id for c in snapshot.circuits]
    lngs = [g.id for g in snapshot.local_network_gateways]

    views: list[SiteView] = []
    for site in snapshot.sites:
        if site.circuits is not None:
            circ = _resolve(site.circuits, circuits)
        else:
            circ = frozenset(c for c, asn in circuit_asn.items() if site.asn is not None and asn == site.asn)
        if site.local_network_gateways is not None:
            lng = _resolve(site.local_network_gateways, lngs)
        else:
            by_asn = {g for g, asn in lng_asn.items() if site.asn is not None and asn == site.asn}
            by_space = {
                g.id
                for g in snapshot.local_network_gateways
                if any(_overlaps(p, q) for p in g.address_prefixes or () for q in site.prefixes)
            }
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
                _declared_links(snapshot, site) if site.links is not None else (),
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
    return [
        v
        if v.links or (v.declared and _site(snapshot, v.name).links is not None)
        else _infer_links(snapshot, v)
        for v in views
    ]


def _site(snapshot: Snapshot, name: str) -> Site:
    return next(s for s in snapshot.sites if s.name == name)


def _declared_links(snapshot: Snapshot, site: Site) -> tuple[LinkPolicy, ...]:
    circuits = [c.id for c in snapshot.circuits]
    connections = [c.id for c in snapshot.connections]
    out: list[LinkPolicy] = []
    for link in site.links or ():
        ref = link.circuit or link.connection or ""
        kind = LinkKind.EXPRESSROUTE if link.circuit else LinkKind.VPN
        found = _resolve((ref,), circuits if link.circuit else connections)
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


def _infer_links(snapshot: Snapshot, view: SiteView) -> SiteView:
    """What observations show of a site's links (when the site declares none): the prepending on
    each link and, for a site that is itself inferred, the prefixes it advertises over each."""
    found: list[LinkPolicy] = []
    learned: dict[IPNetwork, None] = {}
    for circuit_id in sorted(view.circuit_ids, key=lambda i: i.key):
        peering = snapshot.private_peering(circuit_id)
        asn = view.asn if view.asn is not None else (peering.peer_asn if peering else None)
        if peering is None or asn is None:
            continue
        best, where, seen = 0, None, dict[IPNetwork, None]()
        for table in snapshot.circuit_tables:
            if table.peering_id != peering.id or table.operation is not Operation.ROUTE_TABLES:
                continue
            for route in table.routes:
                count = _originated(route.path, asn)
                if count and route.network is not None:
                    seen[route.network] = None
                if count > best:
                    best, where = count, table.file
        found.append(_inferred(view, LinkKind.EXPRESSROUTE, circuit_id, best, where, seen))
        learned.update(seen)
    for conn in snapshot.connections:
        lng = (
            snapshot.local_network_gateway(conn.local_network_gateway_id)
            if conn.local_network_gateway_id
            else None
        )
        if lng is None or lng.id not in view.lng_ids or lng.bgp_settings is None:
            continue
        asn = view.asn if view.asn is not None else lng.asn
        if asn is None:
            continue
        peers = set(lng.bgp_settings.addresses)
        best, where, seen = 0, None, dict[IPNetwork, None]()
        for gtable in snapshot.gateway_routes:
            if gtable.gateway_id != conn.gateway1_id or gtable.operation is not Operation.GET_LEARNED_ROUTES:
                continue
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
    links = tuple(lk for lk in found if lk.prepend or lk.prefixes is not None)
    prefixes = view.prefixes
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
    prefixes = tuple(seen) if not view.declared and seen else None
    return LinkPolicy(kind, target, max(count - 1, 0), prefixes, None, True, snapshot_relative(where))
