"""On-premises sites and the links that reach them.

A site is declared in `fixture.json` (`sites`), or inferred: circuits' private-peering peer
ASNs and local network gateways' BGP ASNs that no declared site claims are grouped by ASN
into sites named `asn-<N>` (prefixes: the LNGs' static address space), and a local network
gateway without BGP that no site claims is a static site named after it. A declared site's links are the circuits and local network
gateways it names; when it names none, those whose ASN equals the site's ASN, plus local
network gateways whose static address space overlaps the site's prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.ids import ArmId
from auditor.model import IPNetwork, LinkKind, Snapshot


@dataclass(frozen=True)
class SiteView:
    name: str
    declared: bool
    asn: int | None
    prefixes: tuple[IPNetwork, ...]
    prefer: tuple[LinkKind, ...] | None
    circuit_ids: frozenset[ArmId]
    lng_ids: frozenset[ArmId]


def _resolve(refs: tuple[str, ...], candidates: list[ArmId]) -> frozenset[ArmId]:
    wanted = {r.lower() for r in refs}
    return frozenset(c for c in candidates if c.key in wanted or c.name.lower() in wanted)


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
        views.append(SiteView(site.name, True, site.asn, site.prefixes, site.prefer, circ, lng))

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
    return views
