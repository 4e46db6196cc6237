"""The pairs an audit walks, once per snapshot, and the index of what cuts them.

The walk is the data plane: a rule whose constraint ends walks (an appliance NIC without IP
forwarding, a peering refusing forwarded traffic, ...) reads the walks it cuts here instead of
deciding reachability a second time. The pairs walked are the ones `azroute paths` shows by
default: every pair of networks while the matrix has at most `GROUPED_ABOVE` pairs; above that,
each group of VNets that route alike (one routing signature, `paths.signature_groups`) to and
from every site, the group's walk standing for each of its members.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditor.ids import ArmId
from auditor.model import Snapshot
from auditor.routing.domains import udr_gateway
from auditor.routing.paths import Address, PathFinder, PathPair, signature_groups
from auditor.routing.prefixindex import PrefixIndex
from auditor.routing.shared import path_finder

GROUPED_ABOVE = 10_000  # pairs: above this, `paths` (and the audit) walk signature groups to sites
PAIR_CAP = 20  # a finding lists at most this many cut pairs in `evidence.pairs`, plus their count
EVERY_PAIR = "every pair of networks"
GROUPS_TO_SITES = "each group of VNets that route alike, to and from every site"


@dataclass(frozen=True)
class Cut:
    """One walked direction that a resource ends: the walk from `source` towards `destination`."""

    source: str
    destination: str
    address: Address  # the destination address the walk was headed for
    constraint: str
    reason: str
    appliance: str | None = None  # the appliance hop's id (its route) the walk last crossed

    @property
    def label(self) -> str:
        return f"{self.source} -> {self.destination}"


@dataclass
class WalkCuts:
    """Resource id (lower case) -> the walked directions it cuts, in walk order."""

    scope: str
    by_resource: dict[str, list[Cut]] = field(default_factory=dict)

    def of(self, resource: object) -> list[Cut]:
        return self.by_resource.get(str(resource).lower(), [])

    def with_constraint(self, constraint: str) -> dict[str, list[Cut]]:
        """Every resource whose cuts include this constraint, with those cuts."""
        found: dict[str, list[Cut]] = {}
        for rid in sorted(self.by_resource):
            cuts = [c for c in self.by_resource[rid] if c.constraint == constraint]
            if cuts:
                found[rid] = cuts
        return found

    def evidence(self, cuts: Iterable[Cut]) -> dict[str, Any]:
        """`evidence.pairs` (sorted walked directions, capped), `pairCount` and what was walked."""
        labels = sorted({c.label for c in cuts})
        return {"pairs": labels[:PAIR_CAP], "pairCount": len(labels), "pairsWalked": self.scope}


def walk_scope(finder: PathFinder) -> str:
    """Every pair while the matrix has at most `GROUPED_ABOVE` pairs, as `paths` shows them."""
    count = len(finder.networks())
    return EVERY_PAIR if count * count <= GROUPED_ABOVE else GROUPS_TO_SITES


def walked_pairs(finder: PathFinder) -> tuple[str, list[tuple[list[str], list[str], PathPair]]]:
    """What the audit walks: (scope, [(sources, destinations, pair)]); a pair's forward walk stands
    for each source towards each destination and its return walk for the way back."""
    names = finder.networks()
    if walk_scope(finder) == EVERY_PAIR:
        pairs = [
            ([a], [b], finder.pair(a, b)) for a in names for b in names if a != b and finder.comparable(a, b)
        ]
        return EVERY_PAIR, pairs
    groups = signature_groups(finder)
    return GROUPS_TO_SITES, [(groups.members[r.group], [r.site], r.pair) for r in groups.rows]


def walk_cuts(finder: PathFinder) -> WalkCuts:
    """Index every walked direction that a resource cuts. A pair whose answer is `unknown` names
    the gap it depends on instead: its walks judge nothing. Without a resource that can cut a
    walk (`can_cut`) nothing is walked: no walk can end at a resource."""
    cuts = WalkCuts(walk_scope(finder))
    if not can_cut(finder):
        return cuts
    _, pairs = walked_pairs(finder)
    for sources, destinations, pair in pairs:
        if pair.status == "unknown":
            continue
        for walk, froms, tos in ((pair.forward, sources, destinations), (pair.back, destinations, sources)):
            if walk.delivered or walk.cause is None or walk.constraint is None:
                continue
            appliance = next((h.id for h in reversed(walk.hops) if h.kind == "appliance"), None)
            bucket = cuts.by_resource.setdefault(walk.cause.lower(), [])
            bucket += [
                Cut(a, b, finder.network(b).address, walk.constraint, walk.reason, appliance)
                for a in froms
                for b in tos
            ]
    return cuts


def can_cut(finder: PathFinder) -> bool:
    """Whether any walk can end at a resource (`paths.CONSTRAINTS`), read from the snapshot without
    walking; a superset of what the walk does: a user-defined route to the virtual network
    gateway where no VPN gateway alone serves a VNet using it; an appliance next hop in no subnet, on a NIC
    without IP forwarding, in a VNet that a VNet using the route is not peered with, or in a VNet
    one of whose peers refuses forwarded traffic or is not Connected towards it; or an endpoint's
    address inside the space of a VNet other than its own; or a route the control plane withholds
    for want of one resource (`withheld.py`)."""
    snap = finder.snap
    if finder.plane.withheld:  # a vantage point without a route for want of one resource
        return True
    using: dict[str, set[str]] = {}  # route table id -> the VNets of the subnets using it
    for subnet in snap.subnets:
        if subnet.route_table_id is not None:
            using.setdefault(subnet.route_table_id.key, set()).add(subnet.vnet_id.key)
    refusing = {
        p.remote_vnet_id.key
        for p in snap.peerings
        if p.allow_forwarded_traffic is not True
        or (p.peering_state is not None and not snap.peering_established(p))
    }
    for route in snap.routes:
        if route.next_hop_type.lower() == "virtualnetworkgateway":
            for vnet in using.get(route.route_table_id.key, ()):  # invalid there (GWS007)?
                hub = finder.plane.domain_of_vnet.get(ArmId(vnet))
                if udr_gateway(finder.plane.domains.get(hub) if hub is not None else None)[0] is None:
                    return True
            continue
        if route.next_hop_type.lower() != "virtualappliance" or not route.next_hop_ip_address:
            continue
        try:
            address = ipaddress.ip_address(route.next_hop_ip_address)
        except ValueError:
            continue
        nic = finder.nic_by_address.get(route.next_hop_ip_address)
        if nic is not None and nic.enable_ip_forwarding is not True:
            return True
        found = finder.subnet_of(address)
        if found is None or found[1].id.key in refusing:
            return True
        holder = found[1].id
        for vnet in using.get(route.route_table_id.key, ()):
            if vnet != holder.key and snap.peering_between(ArmId(vnet), holder) is None:
                return True
    spaces = PrefixIndex([(p, v.id) for v in snap.vnets for p in v.address_prefixes], lambda r: r[0])
    for name in finder.networks():
        net = finder.network(name)
        own = net.vnet.id if net.vnet is not None else None
        if any(vnet != own for group in spaces.matches(net.address) for _, vnet in group):
            return True
    return False


def shared_cuts(snapshot: Snapshot) -> WalkCuts:
    """The snapshot's walked cuts, computed once and shared by every rule."""
    return snapshot.derived("walk-cuts", lambda s: walk_cuts(path_finder(s)))


__all__ = [
    "EVERY_PAIR",
    "GROUPED_ABOVE",
    "GROUPS_TO_SITES",
    "PAIR_CAP",
    "Cut",
    "WalkCuts",
    "can_cut",
    "shared_cuts",
    "walk_cuts",
    "walk_scope",
    "walked_pairs",
]
