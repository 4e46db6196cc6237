"""The control plane: what every gateway domain, circuit and on-premises site learns.

Pure functions of a Snapshot, on top of its gateway domains (`domains.py`) and on-premises sites
(`sites.py`). Azure's hybrid routing is not generic BGP; the propagation below follows the
documented rules (see docs/routing.md for the choices made where the documentation is silent):

* A circuit's Microsoft edge (MSEE) learns the prefixes of the sites behind it (per device path
  whose customer BGP session is up) and of every domain linked to it (AS path 65515). It gives a
  domain the sites' routes and, when both gateways allow remote-VNet traffic, the other linked
  domains' routes (the VNet-to-VNet hairpin). It never passes one circuit's routes to another
  circuit; Global Reach links two circuits' on-premises sides directly.
* VPN gateways speak eBGP with BGP-enabled local network gateways and with each other
  (Vnet2Vnet), and re-advertise what they learn from one VPN peer to the others, never a default
  route and never a prefix inside their own VNets.
* ExpressRoute and VPN routes do not cross unless the domain's VNet holds a Route Server with
  branch-to-branch traffic enabled and the VPN gateway runs active-active with ASN 65515.
* A static (non-BGP) VPN gives Azure the local network gateway's address space and gives the site
  the domain's prefixes (what its tunnel is configured to send).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from auditor.gcpause import building
from auditor.ids import ArmId
from auditor.model import (
    Connection,
    IPNetwork,
    LinkKind,
    Snapshot,
    Subnet,
    VirtualNetwork,
    parse_prefix,
)
from auditor.routing.cache import LazyMap, PerKey
from auditor.routing.domains import (
    AZURE_ASN,
    DEVICE_PATHS,
    Domain,
    apipa_unmatched,
    carries_ipv6,
    circuit_usable,
    customer_paths,
    gateway_domains,
)
from auditor.routing.prefixindex import Address, OverlapIndex, PrefixIndex, keys_inside, prefix_key
from auditor.routing.record import record
from auditor.routing.sites import SiteView, site_views
from auditor.routing.withheld import WithheldRoutes, withheld_routes

if TYPE_CHECKING:
    from auditor.routing.dualpath import DualPath
    from auditor.routing.onprem import OnPremRoute
    from auditor.routing.signature import RoutingSignature
    from auditor.routing.tables import GatewayRows, SiteTable, SubnetTable

MSEE_ASN = 12076
DEFAULT_ROUTE_V4 = parse_prefix("0.0.0.0/0")


DEFAULT_KEY_V4 = prefix_key(DEFAULT_ROUTE_V4)
_UNKEYED = (-1, -1, -1)  # an Advert built without its prefix key (computed from the prefix)


def covers(outer: IPNetwork, inner: IPNetwork) -> bool:
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


@record
class Advert:
    """A route as one speaker holds it."""

    prefix: IPNetwork
    as_path: tuple[int, ...]
    source: str  # Network | EBgp | IBgp | Static
    link: LinkKind | None  # how the speaker reaches the next hop (None: originated here)
    via: ArmId | None  # the connection (domain, site over VPN) or circuit (site over ExpressRoute)
    peer: str  # the neighbour's name
    origin: str  # who originated it: vnet:<name>, site:<name>
    weight: int = 0
    next_domain: ArmId | None = None  # for Vnet2Vnet: the domain the traffic goes to
    bgp_peer_host: bool = False
    # prefix_key(prefix): computed unless the caller passes the key its source route carries
    key: tuple[int, int, int] = field(default=_UNKEYED, kw_only=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.key is _UNKEYED:
            object.__setattr__(self, "key", prefix_key(self.prefix))


@record
class CircuitEntry:
    """A route in a circuit's Microsoft-edge table."""

    prefix: IPNetwork
    as_path: tuple[int, ...]
    kind: str  # site | domain | globalReach
    target: str  # site name, domain hub id, or the other circuit's id
    device_paths: tuple[str, ...]
    via: ArmId | None = None  # the ExpressRoute connection (kind domain)
    key: tuple[int, int, int] = field(init=False, compare=False, repr=False)  # prefix_key(prefix)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", prefix_key(self.prefix))


class ControlPlane:
    """Computes, once, every perspective of a snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        with building():
            self.sites: list[SiteView] = site_views(snapshot)
            self.site_by_name = {s.name: s for s in self.sites}
            self.domains: dict[ArmId, Domain] = gateway_domains(snapshot)
            self.domain_of_vnet: dict[ArmId, ArmId] = {
                v: d.hub.id for d in self.domains.values() for v in d.vnets
            }
            self._compute()

    # -- structure (auditor/routing/domains.py) -------------------------------------------------
    def circuit_usable(self, circuit_id: ArmId) -> bool:
        return circuit_usable(self.snapshot, circuit_id)

    def customer_paths(self, circuit_id: ArmId) -> tuple[str, ...]:
        """Device paths whose BGP session with the customer edge is up."""
        return self._customer_paths[circuit_id]

    @cached_property
    def _customer_paths(self) -> PerKey[ArmId, tuple[str, ...]]:
        """Per circuit, its device paths with a customer session up (each lookup reads the
        snapshot's observed route-table summaries: once per circuit, not once per site lookup)."""
        return PerKey(lambda circuit_id: customer_paths(self.snapshot, circuit_id))

    def _carries_ipv6(self, circuit_id: ArmId) -> bool:
        return carries_ipv6(self.snapshot, circuit_id)

    def site_of_lng(self, lng_id: ArmId) -> SiteView | None:
        """The site a local network gateway belongs to (the first that claims it)."""
        return self._site_by_lng.get(lng_id)

    @cached_property
    def _site_by_lng(self) -> dict[ArmId, SiteView]:
        found: dict[ArmId, SiteView] = {}
        for site in self.sites:
            for lng in site.lng_ids:
                found.setdefault(lng, site)
        return found

    def sites_behind(self, circuit_id: ArmId) -> list[SiteView]:
        """The sites behind a circuit, in the order of the sites."""
        return self._sites_by_circuit.get(circuit_id, [])

    @cached_property
    def withheld(self) -> WithheldRoutes:
        """The routes a vantage point would hold but for one resource, and why (`withheld.py`):
        what a walk that finds no route names as its cause."""
        with building():
            return withheld_routes(self)

    @cached_property
    def _sites_by_circuit(self) -> dict[ArmId, list[SiteView]]:
        """The sites behind each circuit, in the order of the sites."""
        found: dict[ArmId, list[SiteView]] = {}
        for site in self.sites:
            for circuit_id in site.circuit_ids:
                found.setdefault(circuit_id, []).append(site)
        return found

    # -- propagation ----------------------------------------------------------------------------
    def _compute(self) -> None:
        self.circuit_table: dict[ArmId, list[CircuitEntry]] = defaultdict(list)
        self._circuit_sites()
        self._circuit_domains(extra={})
        er_learned = self._all_er_learned()
        self.vpn_rib = self._vpn_propagation(er_learned)
        extra: dict[ArmId, list[Advert]] = {}
        for hub, domain in self.domains.items():
            if domain.branch_to_branch:
                extra[hub] = self._vpn_learned(domain)
        if extra:
            self.circuit_table = defaultdict(list)
            self._circuit_sites()
            self._circuit_domains(extra)
            er_learned = self._all_er_learned()
        self.domain_rib: dict[ArmId, list[Advert]] = {}
        for hub, domain in self.domains.items():
            rib = er_learned[hub] + self._vpn_learned(domain) + self._static(domain)
            self.domain_rib[hub] = sorted(rib, key=_advert_key)
        # each site's routes are computed when first asked for: one path or one vantage point needs
        # the tables of a few sites, not of every datacenter and branch of the estate
        self.site_rib: LazyMap[str, list[Advert]] = LazyMap(
            self.site_by_name, lambda name: self._site_routes(self.site_by_name[name])
        )

    def _circuit_sites(self) -> None:
        for circuit in self.snapshot.circuits:
            paths = self.customer_paths(circuit.id)
            if not paths:
                continue
            v6 = self._carries_ipv6(circuit.id)
            for site in self._sites_by_circuit.get(circuit.id, []):
                path = site.path(circuit.id)
                for prefix in site.advertised(circuit.id):
                    if prefix.version == 6 and not v6:
                        continue
                    self.circuit_table[circuit.id].append(
                        CircuitEntry(prefix, path, "site", site.name, paths)
                    )
        # Global Reach: each circuit's private peering learns the other's on-premises routes.
        for gr in self.snapshot.circuit_connections:
            joined = gr.joined_circuits
            if joined is None:
                continue
            a, b = joined
            if not self.circuit_usable(a) or not self.circuit_usable(b):
                continue
            for src, dst in ((a, b), (b, a)):
                known = {
                    (e.prefix, e.target.lower()) for e in self.circuit_table[dst] if e.kind == "globalReach"
                }
                for entry in list(self.circuit_table[src]):
                    if entry.kind == "site" and (entry.prefix, src.key) not in known:
                        known.add((entry.prefix, src.key))
                        self.circuit_table[dst].append(
                            CircuitEntry(entry.prefix, entry.as_path, "globalReach", str(src), DEVICE_PATHS)
                        )

    def _circuit_domains(self, extra: dict[ArmId, list[Advert]]) -> None:
        for hub, domain in self.domains.items():
            for conn, circuit_id in domain.er_links:
                v6 = self._carries_ipv6(circuit_id)
                for prefix in domain.prefixes:
                    if prefix.version == 6 and not v6:
                        continue
                    self.circuit_table[circuit_id].append(
                        CircuitEntry(prefix, (AZURE_ASN,), "domain", str(hub), DEVICE_PATHS, conn.id)
                    )
                for advert in extra.get(hub, []):
                    self.circuit_table[circuit_id].append(
                        CircuitEntry(
                            advert.prefix,
                            (AZURE_ASN, *advert.as_path),
                            "domain",
                            str(hub),
                            DEVICE_PATHS,
                            conn.id,
                        )
                    )
        for circuit_id in list(self.circuit_table):
            self.circuit_table[circuit_id].sort(key=lambda e: (e.key, e.kind, e.target.lower()))

    def _hairpin_allowed(self, a: Domain, b: Domain) -> bool:
        gws = (a.er_gateway, b.er_gateway)
        return all(g is not None and g.allow_remote_vnet_traffic is not False for g in gws)

    def _all_er_learned(self) -> dict[ArmId, list[Advert]]:
        """What each domain learns from its circuits' Microsoft edges (the circuit tables as they
        stand: they are rebuilt when branch-to-branch adds routes)."""
        keys: PerKey[ArmId, list[tuple[int, int, int]]] = PerKey(  # a circuit's keys, sorted as its table
            lambda circuit_id: [e.key for e in self.circuit_table.get(circuit_id, [])]
        )
        return {hub: self._er_learned(domain, keys) for hub, domain in self.domains.items()}

    def _er_learned(self, domain: Domain, keys: PerKey[ArmId, list[tuple[int, int, int]]]) -> list[Advert]:
        found: dict[tuple[str, tuple[int, int, int], str], Advert] = {}
        origins: dict[tuple[str, str], str | None] = {}  # (kind, target) -> origin; None: not learned
        paths: dict[tuple[int, ...], tuple[int, ...]] = {}  # an entry's AS path as the domain hears it
        for conn, circuit_id in domain.er_links:
            name, conn_id, weight = circuit_id.name, conn.id, conn.routing_weight or 0
            # entries inside the domain's own address spaces: the system route wins over them
            local = keys_inside(keys[circuit_id], domain.local_prefixes)
            for entry in self.circuit_table.get(circuit_id, []):
                which = (entry.kind, entry.target)
                if which in origins:
                    origin = origins[which]
                else:
                    origin = origins[which] = self._er_origin(domain, entry)
                if origin is None or entry.key in local:
                    continue
                key = (conn_id.key, entry.key, origin)
                if key in found:
                    continue
                path = paths.get(entry.as_path)
                if path is None:
                    path = paths[entry.as_path] = (MSEE_ASN, *entry.as_path)
                found[key] = Advert(
                    entry.prefix, path, "EBgp", LinkKind.EXPRESSROUTE, conn_id, name, origin, weight=weight,
                    key=entry.key,
                )  # fmt: skip
        return list(found.values())

    def _er_origin(self, domain: Domain, entry: CircuitEntry) -> str | None:
        """Who originated a circuit entry, as a domain learning it names it (None: the domain does
        not learn it: its own prefixes, or another domain's without hairpinning allowed)."""
        if entry.kind == "site":
            return f"site:{entry.target}"
        if entry.kind == "domain" and entry.target.lower() != domain.hub.id.key:
            other = self._domains_by_key[entry.target.lower()]
            return f"vnet:{other.name}" if self._hairpin_allowed(domain, other) else None
        return None

    # -- VPN BGP ------------------------------------------------------------------------------------
    def _vpn_propagation(self, er_learned: dict[ArmId, list[Advert]]) -> LazyMap[str, Rib]:
        """Best routes per prefix at every VPN BGP speaker (domains `d:<hub>`, sites `s:<name>`);
        equal best paths over different connections are all kept (ECMP)."""
        asn: dict[str, int | None] = {}
        edges: dict[str, list[tuple[str, Connection]]] = defaultdict(list)
        originated: dict[str, list[Advert]] = defaultdict(list)
        for hub, domain in self.domains.items():
            if domain.vpn_gateway is None or not domain.vpn_gateway.runs_bgp:
                continue
            me = f"d:{hub.key}"
            asn[me] = domain.asn
            for prefix in domain.prefixes:
                originated[me].append(
                    Advert(prefix, (), "Network", None, None, domain.name, f"vnet:{domain.name}")
                )
            if domain.branch_to_branch:
                originated[me].extend(er_learned[hub])
            for conn, lng in domain.vpn_links:
                # VPN FAQ: the gateway advertises the address prefixes of every connected local
                # network gateway to its BGP peers (not back over the connection they came from).
                site = self.site_of_lng(lng.id)
                origin = f"site:{site.name}" if site else f"lng:{lng.id.name}"
                for prefix in lng.address_prefixes or ():
                    originated[me].append(
                        Advert(prefix, (), "Network", LinkKind.VPN, conn.id, lng.id.name, origin)
                    )
                if not conn.enable_bgp or lng.bgp_settings is None or site is None:
                    continue
                if apipa_unmatched(domain.vpn_gateway, lng) is not None:
                    continue  # no session comes up (BGP008): nothing is exchanged over it
                peer = f"s:{site.name}"
                asn[peer] = lng.asn if lng.asn is not None else site.asn
                edges[me].append((peer, conn))
                edges[peer].append((me, conn))
                own = dict.fromkeys([*site.prefixes, *(p for lk in site.links for p in lk.prefixes or ())])
                originated[peer] = [
                    Advert(p, (), "Network", None, None, site.name, f"site:{site.name}") for p in own
                ]
            for conn, other in domain.v2v_links:
                far = self.domains[other]
                if not conn.enable_bgp or far.vpn_gateway is None or not far.vpn_gateway.runs_bgp:
                    continue
                peer = f"d:{other.key}"
                # routes this domain receives from the far one arrive over this domain's connection
                if all(p != me for p, _ in edges[peer]):
                    edges[peer].append((me, conn))
        edges = {k: v for k, v in edges.items() if k in asn and all(r in asn for r, _ in v)}
        rib: dict[str, Rib] = {s: {} for s in asn}
        for speaker, adverts in originated.items():
            for advert in adverts:
                _better(rib[speaker], advert)
        self._vpn_asn, self._vpn_edges = asn, edges
        # A leaf site: its BGP neighbours all have one ASN. Whatever it learns from one of them
        # carries that ASN, so no neighbour would accept it back (AS-path loop prevention): it can
        # only originate. Nothing else depends on what it learns, so its table is computed from its
        # neighbours' converged tables when first asked for, not carried through every round.
        leaves = {
            speaker
            for speaker in asn
            if speaker.startswith("s:")
            and edges.get(speaker)
            and len({asn[n] for n, _ in edges[speaker]}) == 1
            and asn[edges[speaker][0][0]] is not None
        }
        # a worklist: each round, a speaker exports only the prefixes whose best paths changed
        pending: dict[str, set[tuple[int, int, int]]] = {s: set(rib[s]) for s in rib if rib[s]}
        while pending:
            current, pending = pending, {}
            for sender in sorted(current):
                keys = sorted(current[sender])
                for receiver, conn in edges.get(sender, []):
                    if receiver in leaves:
                        continue
                    for received in self._exports(rib, sender, receiver, conn, keys, prune=True):
                        if _better(rib[receiver], received):
                            pending.setdefault(receiver, set()).add(received.key)
        converged = {s: table for s, table in rib.items() if s not in leaves}
        self._vpn_raw, self._vpn_leaves = rib, leaves
        # (neighbour, id of a `within` index) -> that index and the keys overlapping it
        self._within_keys: dict[
            tuple[str, int], tuple[OverlapIndex[IPNetwork], list[tuple[int, int, int]]]
        ] = {}
        return LazyMap(
            {**{s: s for s in converged}, **{s: s for s in leaves}},
            lambda speaker: converged[speaker] if speaker in converged else self._leaf_rib(rib, speaker),
        )

    def _leaf_rib(
        self,
        rib: Mapping[str, Rib],
        leaf: str,
        address: Address | None = None,
        within: OverlapIndex[IPNetwork] | None = None,
    ) -> Rib:
        """A leaf site's table: what it originates, and the best of what its neighbours export to it;
        with `address`, only the prefixes that contain it; with `within`, only those overlapping one
        of its prefixes (each prefix is selected on its own)."""
        own = rib[leaf]
        if address is not None:
            keys_here = sorted(k for group in self._rib_index[("own", leaf)].matches(address) for k in group)
        else:
            keys_here = [k for k in own if within is None or within.overlaps_any(own[k][0].prefix)]
        table: Rib = {key: list(own[key]) for key in keys_here}
        neighbours = [
            (
                sender,
                conn,
                self._rib_keys_covering(sender, address)
                if address is not None
                else self._sender_keys_within(rib, sender, within)
                if within is not None
                else None,
            )
            for sender, conn in sorted(self._vpn_edges.get(leaf, []), key=lambda e: e[0])
        ]
        if address is not None and not keys_here and not any(keys for _, _, keys in neighbours):
            return table  # nothing of the leaf's or its neighbours' contains the address
        view = {**{sender: rib[sender] for sender, _, _ in neighbours}, leaf: table}
        for sender, conn, keys in neighbours:
            for received in self._exports(view, sender, leaf, conn, keys, prune=True):
                _better(table, received)
        return table

    def _sender_keys_within(
        self, rib: Mapping[str, Rib], sender: str, within: OverlapIndex[IPNetwork]
    ) -> list[tuple[int, int, int]]:
        """The keys of a neighbour's table overlapping `within`: once per neighbour and `within`
        (a domain has many leaf sites, each asking about the same table), when the tables are the
        plane's own."""
        if rib is not self._vpn_raw:
            return _keys_within(rib[sender], within)
        found = self._within_keys.get((sender, id(within)))
        if found is None or found[0] is not within:
            found = self._within_keys[(sender, id(within))] = (within, _keys_within(rib[sender], within))
        return found[1]

    def _rib_keys_covering(self, speaker: str, address: Address) -> list[tuple[int, int, int]]:
        """The keys of a speaker's table whose prefix contains the address (sorted)."""
        return sorted(k for group in self._rib_index[("rib", speaker)].matches(address) for k in group)

    @cached_property
    def _rib_index(self) -> PerKey[tuple[str, str], PrefixIndex[tuple[int, int, int]]]:
        """Per VPN speaker: the keys of its table indexed by prefix; ("own", leaf) for what a leaf
        site originates, ("rib", speaker) for a speaker's converged table (a leaf's whole one)."""

        def build(name: tuple[str, str]) -> PrefixIndex[tuple[int, int, int]]:
            which, speaker = name
            if which == "own" or speaker not in self._vpn_leaves:
                table = self._vpn_raw[speaker]
            else:
                table = self.vpn_rib[speaker]
            return PrefixIndex.by_key(list(table), lambda k: k)  # a table's keys are prefix keys

        return PerKey(build)

    def _vpn_covering(self, speaker: str, address: Address) -> Rib:
        """A VPN speaker's table restricted to the prefixes containing the address; a leaf site's is
        computed for those prefixes alone unless its whole table is known already."""
        if speaker not in self.vpn_rib:
            return {}
        if speaker in self._vpn_leaves and not self.vpn_rib.known(speaker):
            return self._leaf_rib(self._vpn_raw, speaker, address)
        table = self.vpn_rib[speaker]
        return {key: table[key] for key in self._rib_keys_covering(speaker, address)}

    def _vpn_within(self, speaker: str, within: OverlapIndex[IPNetwork]) -> Rib:
        """A VPN speaker's table restricted to the prefixes overlapping `within`'s; a leaf site's is
        computed for those prefixes alone unless its whole table is known already."""
        if speaker not in self.vpn_rib:
            return {}
        if speaker in self._vpn_leaves and not self.vpn_rib.known(speaker):
            return self._leaf_rib(self._vpn_raw, speaker, within=within)
        table = self.vpn_rib[speaker]
        return {key: table[key] for key in _keys_within(table, within)}

    def _exports(
        self,
        rib: Mapping[str, Rib],
        sender: str,
        receiver: str,
        conn: Connection,
        keys: list[tuple[int, int, int]] | None = None,
        prune: bool = False,
    ) -> list[Advert]:
        """What `sender` advertises to `receiver` over one VPN BGP session, as the receiver holds it
        (BGP advertises one best path per prefix; a site applies its per-link policy). `keys`
        limits it to those prefixes (sorted), the ones whose best paths changed."""
        sender_asn, receiver_asn = self._vpn_asn[sender], self._vpn_asn[receiver]
        from_domain = sender.startswith("d:")
        site = None if from_domain else self.site_by_name[sender[2:]]
        receiving = self._domain_by_key(receiver) if receiver.startswith("d:") else None
        name = _speaker_name(self, sender)
        next_domain = self._domain_by_key(sender).hub.id if from_domain else None
        own_path: tuple[int, ...] = (sender_asn,) if sender_asn is not None else ()
        advertised: frozenset[tuple[int, int, int]] = frozenset()  # prefix keys
        if site is not None:
            own_path = own_path * (1 + site.prepend(conn.id))
            advertised = frozenset(prefix_key(p) for p in site.advertised(conn.id))
        out: list[Advert] = []
        table = rib[sender]
        held = rib[receiver] if prune else {}
        items = table.items() if keys is None else ((k, table[k]) for k in keys if k in table)
        for key, adverts in items:
            advert = adverts[0]
            originated = advert.source == "Network"
            if from_domain and not originated and key == DEFAULT_KEY_V4:
                continue  # VPN gateways never re-advertise a default route
            if originated and advert.via is not None and advert.via == conn.id:
                continue  # a local network gateway's own prefixes are not sent back to it
            if site is not None and originated and key not in advertised:
                continue
            path = (*own_path, *advert.as_path)
            if receiver_asn is not None and receiver_asn in path:
                continue
            best = held.get(key)
            if best is not None and (best[0].source == "Network" or len(best[0].as_path) < len(path)):
                continue  # the receiver already holds a better path: this one would lose
            if receiving is not None and receiving.is_local(advert.prefix):
                continue
            out.append(
                Advert(
                    advert.prefix,
                    path,
                    "EBgp",
                    LinkKind.VPN,
                    conn.id,
                    name,
                    advert.origin,
                    next_domain=next_domain,
                    key=key,
                )
            )
        return out

    def advertised_to_peer(self, hub: ArmId, peer_address: str) -> list[Advert] | None:
        """What the domain's VPN gateway advertises to the BGP neighbour at `peer_address`
        (a local network gateway's BGP address, or another VPN gateway's), or None if unknown."""
        me = f"d:{hub.key}"
        for receiver, conn in self._vpn_edges.get(me, []):
            if peer_address in self._edge_addresses(receiver, conn):
                return sorted(self._exports(self.vpn_rib, me, receiver, conn), key=_advert_key)
        return None

    def _edge_addresses(self, receiver: str, conn: Connection) -> set[str]:
        """The neighbour's BGP addresses on one session: a site's are those of the local network
        gateway this connection names (a site with two devices has one per connection)."""
        if receiver.startswith("s:") and conn.local_network_gateway_id is not None:
            lng = self.snapshot.local_network_gateway(conn.local_network_gateway_id)
            return set(lng.bgp_settings.addresses) if lng is not None and lng.bgp_settings else set()
        return self._speaker_addresses(receiver)

    def _speaker_addresses(self, speaker: str) -> set[str]:
        if speaker.startswith("d:"):
            domain = self._domain_by_key(speaker)
            gw = domain.vpn_gateway
            return set(gw.bgp_settings.addresses) if gw is not None and gw.bgp_settings else set()
        site = self.site_by_name[speaker[2:]]
        found: set[str] = set()
        for lng in self.snapshot.local_network_gateways:
            if lng.id in site.lng_ids and lng.bgp_settings is not None:
                found |= set(lng.bgp_settings.addresses)
        return found

    def _domain_by_key(self, speaker: str) -> Domain:
        return self._domains_by_key[speaker[2:]]

    @cached_property
    def _domains_by_key(self) -> dict[str, Domain]:
        return {hub.key: domain for hub, domain in self.domains.items()}

    def _vpn_learned(self, domain: Domain) -> list[Advert]:
        table = self.vpn_rib.get(f"d:{domain.hub.id.key}", {})
        return [a for group in table.values() for a in group if a.source == "EBgp" and a.link is LinkKind.VPN]

    def _static(self, domain: Domain) -> list[Advert]:
        found: list[Advert] = []
        for conn, lng in domain.vpn_links:
            site = self.site_of_lng(lng.id)
            origin = f"site:{site.name}" if site else f"lng:{lng.id.name}"
            hosts: set[IPNetwork] = set()
            if conn.enable_bgp and lng.bgp_settings is not None:
                for address in lng.bgp_settings.addresses:
                    try:
                        hosts.add(parse_prefix(address))
                    except ValueError:
                        continue
            for prefix in lng.address_prefixes or ():
                # Microsoft's BGP examples put the peer's /32 in the address space: it is the route
                # to the BGP peer, not a site prefix (never a preference or symmetry question).
                found.append(
                    Advert(
                        prefix, (), "Static", LinkKind.VPN, conn.id, lng.id.name, origin,
                        bgp_peer_host=prefix in hosts,
                    )
                )  # fmt: skip
            for host in sorted(hosts - set(lng.address_prefixes or ()), key=prefix_key):
                found.append(
                    Advert(host, (), "Static", LinkKind.VPN, conn.id, lng.id.name, origin, bgp_peer_host=True)
                )
        for conn, other in domain.v2v_links:
            far = self.domains[other]
            bgp = conn.enable_bgp and far.vpn_gateway is not None and bool(far.vpn_gateway.runs_bgp)
            if not bgp or domain.vpn_gateway is None or not domain.vpn_gateway.runs_bgp:
                # the far hub and the spokes using its gateway
                found.extend(_static_to_domain(prefix, conn, far.name, other) for prefix in far.prefixes)
        return found

    # -- on-premises sites ----------------------------------------------------------------------------
    @cached_property
    def circuit_index(self) -> PerKey[ArmId, PrefixIndex[tuple[int, CircuitEntry]]]:
        """Per circuit: its Microsoft-edge table indexed by prefix, entries numbered in the table's
        order (walks at the edge and sites' lookups both ask it)."""
        return PerKey(
            lambda circuit_id: PrefixIndex.by_key(
                enumerate(self.circuit_table.get(circuit_id, [])), lambda e: e[1].key
            )
        )

    def circuit_entries_covering(self, circuit_id: ArmId, address: Address) -> list[CircuitEntry]:
        """The circuit's entries whose prefix contains the address, in the table's order."""
        found = (x for group in self.circuit_index[circuit_id].matches(address) for x in group)
        return [entry for _, entry in sorted(found, key=lambda x: x[0])]

    @cached_property
    def _static_links(self) -> PerKey[str, list[tuple[ArmId, Domain, Connection]]]:
        """Per site: its VPN connections without BGP, in the domains' and their links' order; each
        carries its domain's prefixes statically. Found through the local network gateways the
        site claims (an index of every domain's links by gateway, built once), not by testing
        every link of every domain against each site."""
        by_lng: dict[ArmId, list[tuple[int, tuple[ArmId, Domain, Connection]]]] = {}
        position = 0
        for hub, domain in self.domains.items():
            for conn, lng in domain.vpn_links:
                if not (conn.enable_bgp and lng.bgp_settings is not None):
                    by_lng.setdefault(lng.id, []).append((position, (hub, domain, conn)))
                position += 1

        def links(name: str) -> list[tuple[ArmId, Domain, Connection]]:
            found = dict(row for lng_id in self.site_by_name[name].lng_ids for row in by_lng.get(lng_id, ()))
            return [found[k] for k in sorted(found)]

        return PerKey(links)

    @cached_property
    def domain_prefix_index(self) -> PerKey[ArmId, PrefixIndex[tuple[int, IPNetwork]]]:
        """Per gateway domain: the prefixes it advertises, numbered in the domain's order, indexed."""
        return PerKey(lambda hub: PrefixIndex(enumerate(self.domains[hub].prefixes), lambda e: e[1]))

    def domain_prefixes_covering(self, hub: ArmId, address: Address) -> list[IPNetwork]:
        """The domain's prefixes containing the address, in the domain's order."""
        found = (x for group in self.domain_prefix_index[hub].matches(address) for x in group)
        return [p for _, p in sorted(found, key=lambda x: x[0])]

    def site_routes_covering(self, site_name: str, address: Address) -> list[Advert]:
        """The site's routes whose prefix contains the address: `site_rib[site_name]` restricted to
        them, without computing the rest of the site's table."""
        return self._site_routes(self.site_by_name[site_name], address)

    def site_routes_within(self, site_name: str, within: OverlapIndex[IPNetwork]) -> list[Advert]:
        """The site's routes whose prefix overlaps one of `within`'s (what an incremental diff
        compares), without computing the rest of the site's table."""
        return self._site_routes(self.site_by_name[site_name], within=within)

    def sites_towards(self, address: Address) -> frozenset[str]:
        """The sites that may hold a route containing the address: every site whose
        `site_routes_covering` is not empty is among them (a site outside holds no route towards
        it). An index over the three sources `_site_routes` reads, asked once per address instead
        of once per site: the circuits with a domain or Global Reach entry containing it (their
        sites), the VPN speakers whose table holds a prefix containing it (themselves and their
        site neighbours), the domains advertising a prefix containing it (their sites linked
        without BGP)."""
        found: set[str] = set()
        for group in self._towards_index.matches(address):
            for _, source, kind in group:
                if kind == "circuit":
                    found.update(site.name for site in self._sites_by_circuit[ArmId(source)])
                elif kind == "speaker":
                    if source.startswith("s:"):
                        found.add(source[2:])
                    found.update(n[2:] for n, _ in self._vpn_edges.get(source, []) if n.startswith("s:"))
                else:
                    found.update(self._static_sites[ArmId(source)])
        return frozenset(found)

    @cached_property
    def _towards_index(self) -> PrefixIndex[tuple[tuple[int, int, int], str, str]]:
        """The prefixes a site's routes can come from, with their source: (prefix key, circuit id,
        "circuit") for a circuit's domain and Global Reach entries, (prefix key, speaker, "speaker")
        for a converged VPN speaker's table (a leaf site's is computed from its neighbours'), and
        (prefix key, hub id, "static") for a domain linked to sites without BGP."""
        items: list[tuple[tuple[int, int, int], str, str]] = []  # (prefix key, source, kind)
        for circuit_id in self._sites_by_circuit:
            items += [(e.key, str(circuit_id), "circuit") for e in self.circuit_table.get(circuit_id, [])
                      if e.kind != "site"]  # fmt: skip
        for speaker, table in self._vpn_raw.items():
            if speaker not in self._vpn_leaves:
                items += [(key, speaker, "speaker") for key in table]  # a table's keys are prefix keys
        for hub in self._static_sites:
            items += [(prefix_key(prefix), str(hub), "static") for prefix in self.domains[hub].prefixes]
        return PrefixIndex.by_key(items, lambda item: item[0])

    @cached_property
    def _static_sites(self) -> dict[ArmId, list[str]]:
        """Per gateway domain: the sites it has a VPN connection without BGP to (`_static_links`
        from the domain's side)."""
        claimed: dict[ArmId, list[str]] = {}  # local network gateway -> the sites that claim it
        for site in self.sites:
            for lng_id in site.lng_ids:
                claimed.setdefault(lng_id, []).append(site.name)
        found: dict[ArmId, list[str]] = {}
        for hub, domain in self.domains.items():
            for conn, lng in domain.vpn_links:
                if not (conn.enable_bgp and lng.bgp_settings is not None):
                    found.setdefault(hub, []).extend(claimed.get(lng.id, []))
        return found

    def _site_routes(
        self, site: SiteView, address: Address | None = None, within: OverlapIndex[IPNetwork] | None = None
    ) -> list[Advert]:
        found: list[Advert] = []
        for circuit_id in sorted(site.circuit_ids, key=lambda i: i.key):
            if not self.customer_paths(circuit_id):
                continue
            entries = (
                self.circuit_entries_covering(circuit_id, address)
                if address is not None
                else [e for e in self.circuit_table.get(circuit_id, []) if within.overlaps_any(e.prefix)]
                if within is not None
                else self.circuit_table.get(circuit_id, [])
            )
            for entry in entries:
                if entry.kind == "site":
                    continue
                path = (MSEE_ASN, *entry.as_path)
                if site.asn is not None and site.asn in path:
                    continue
                origin = (
                    f"vnet:{self._domains_by_key[entry.target.lower()].name}"
                    if entry.kind == "domain"
                    else "globalReach"
                )
                found.append(
                    Advert(
                        entry.prefix,
                        path,
                        "EBgp",
                        LinkKind.EXPRESSROUTE,
                        circuit_id,
                        circuit_id.name,
                        origin,
                        key=entry.key,
                    )
                )
        name = f"s:{site.name}"
        speaker = (
            self._vpn_covering(name, address)
            if address is not None
            else self._vpn_within(name, within)
            if within is not None
            else self.vpn_rib.get(name, {})
        )
        found.extend(a for group in speaker.values() for a in group if a.source == "EBgp")
        for hub, domain, conn in self._static_links[site.name]:
            prefixes = (
                self.domain_prefixes_covering(hub, address)
                if address is not None
                else [p for p in domain.prefixes if within.overlaps_any(p)]
                if within is not None
                else domain.prefixes
            )
            found.extend(_static_to_domain(prefix, conn, domain.name, hub) for prefix in prefixes)
        unique = {(a.via.key if a.via else "", a.key, a.as_path): a for a in found}
        return sorted(unique.values(), key=_advert_key)

    # -- route tables (auditor/routing/tables.py), one per vantage point, built on first use -----------
    @cached_property
    def gateway_rows(self) -> PerKey[ArmId, GatewayRows]:
        """Per gateway domain (hub id): its BGP routes as its subnets receive them, selected once."""
        from auditor.routing.tables import gateway_rows

        def build(hub: ArmId) -> GatewayRows:
            with building():
                return gateway_rows(self, hub)

        return PerKey(build)

    @cached_property
    def subnet_tables(self) -> PerKey[tuple[ArmId, ArmId | None], SubnetTable]:
        """Per (VNet id, subnet id or None for the VNet-wide view): the subnet's route table."""
        from auditor.routing.tables import SubnetTable

        def build(key: tuple[ArmId, ArmId | None]) -> SubnetTable:
            vnet = self.snapshot.vnet(key[0])
            assert vnet is not None
            found = self.snapshot.by_id.get(key[1]) if key[1] is not None else None
            return SubnetTable(self, vnet, found if isinstance(found, Subnet) else None)

        return PerKey(build)

    @cached_property
    def site_tables(self) -> PerKey[str, SiteTable]:
        """Per site name: the site's route table."""
        from auditor.routing.tables import SiteTable

        return PerKey(lambda name: SiteTable(self, name))

    @cached_property
    def signatures(self) -> PerKey[ArmId, RoutingSignature]:
        """Per subnet id: its routing signature (auditor/routing/signature.py)."""
        from auditor.routing.signature import compute_signature

        def build(subnet_id: ArmId) -> RoutingSignature:
            subnet = self.snapshot.by_id.get(subnet_id)
            assert isinstance(subnet, Subnet)
            return compute_signature(self, subnet)

        return PerKey(build)

    # -- views of the plane for the rules (auditor/routing/onprem.py, dualpath.py), computed once ----------
    @cached_property
    def onprem_routes(self) -> list[OnPremRoute]:
        """Every on-premises route a domain's gateways hold, in a stable order."""
        from auditor.routing.onprem import compute_onprem_routes

        with building():
            return compute_onprem_routes(self)

    @cached_property
    def dual_path_sites(self) -> list[DualPath]:
        """Per (site, gateway domain) reached over both ExpressRoute and VPN."""
        from auditor.routing.dualpath import compute_dual_path_sites

        return compute_dual_path_sites(self)

    # -- lookups ---------------------------------------------------------------------------------------------
    @cached_property
    def vnet_by_name(self) -> dict[str, VirtualNetwork]:
        found: dict[str, VirtualNetwork] = {}
        for vnet in self.snapshot.vnets:
            found.setdefault(vnet.display_name.lower(), vnet)
        return found

    @cached_property
    def networks(self) -> list[str]:
        """Names of every network: VNets, then sites with prefixes."""
        names = [v.display_name for v in self.snapshot.vnets]
        names += [s.name for s in self.sites if s.prefixes]
        return names


def _keys_within(table: Rib, within: OverlapIndex[IPNetwork]) -> list[tuple[int, int, int]]:
    """The keys of a table whose prefix overlaps one of `within`'s (sorted)."""
    return sorted(k for k, group in table.items() if within.overlaps_any(group[0].prefix))


def _advert_key(a: Advert) -> tuple[object, ...]:
    return (
        a.key,
        a.link.value if a.link else "",
        a.via.key if a.via else "",
        len(a.as_path),
        a.as_path,
    )


Rib = dict[tuple[int, int, int], list[Advert]]
V = TypeVar("V")


def _better(table: Rib, advert: Advert) -> bool:
    """BGP best paths at a VPN speaker: originated first, then the shortest AS path; equal paths
    over different connections are all kept (multipath), in a stable order."""
    key = advert.key
    current = table.get(key)

    def rank(a: Advert) -> tuple[int, int]:
        return (0 if a.source == "Network" else 1, len(a.as_path))

    def order(a: Advert) -> tuple[str, str]:
        return (a.peer.lower(), a.via.key if a.via else "")

    if current is None:
        table[key] = [advert]
        return True
    mine, theirs = rank(advert), rank(current[0])
    if mine < theirs:
        table[key] = [advert]
        return True
    if mine != theirs or advert.source == "Network" or advert in current:
        return False
    same_via = [a for a in current if a.via == advert.via]
    if not same_via:
        table[key] = sorted([*current, advert], key=order)
        return True
    if order(advert) < order(same_via[0]):
        table[key] = sorted([a for a in current if a is not same_via[0]] + [advert], key=order)
        return True
    return False


def _speaker_name(plane: ControlPlane, speaker: str) -> str:
    if speaker.startswith("s:"):
        return speaker[2:]
    domain = plane._domain_by_key(speaker)
    return domain.vpn_gateway.id.name if domain.vpn_gateway else domain.name


def control_plane(snapshot: Snapshot) -> ControlPlane:
    """The snapshot's control plane, computed once and shared (rules, reports)."""
    return snapshot.derived("control-plane", ControlPlane)


def _static_to_domain(prefix: IPNetwork, conn: Connection, domain_name: str, hub: ArmId) -> Advert:
    """A route to a gateway domain's prefix over a VPN connection without BGP."""
    return Advert(
        prefix, (), "Static", LinkKind.VPN, conn.id, domain_name, f"vnet:{domain_name}", next_domain=hub
    )


def _contains(prefix: IPNetwork, address: Address) -> bool:
    return prefix.version == address.version and address in prefix
