"""What a change touches, and which answers it can move: the scope of an incremental `diff`.

BEFORE and AFTER are compared resource by resource (by id; sites by name). From the resources that
differ follows the **impact**:

* nothing differs: no answer can move (routing and the rules are functions of the configuration);
* only *leaf* VNets are touched (their subnets, route tables, routes, NICs, peerings, their own
  properties): the answers that can move are the walks that start in a touched VNet, or whose
  destination address lies inside a prefix a touched VNet had or has (its address spaces and the
  peerings' copies of them). A leaf VNet is one no walk between two other networks can cross: it is
  no gateway domain's hub, holds no gateway or route server and no address a user-defined route
  sends traffic to, on either side. Every route such a change adds, removes or reselects elsewhere
  is for one of those prefixes (a peering route, a domain's advertisement, a circuit's hairpin), and
  a route only decides destinations inside its prefix, so every other walk makes the same choices
  at the same hops on both sides;
* anything else (a gateway, connection, circuit, local network gateway, site, hub, a resource of a
  kind not listed here, a reference outside the snapshot): every answer is recomputed.

`docs/routing.md` ("diff: what is recomputed") states the argument; `tests/test_diff_incremental.py`
checks it against the complete evaluation on every scenario and design, each with changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from auditor.ids import ArmId
from auditor.model import (
    IPNetwork,
    NetworkInterface,
    Route,
    RouteTable,
    Snapshot,
    Subnet,
    VirtualNetwork,
    VirtualNetworkPeering,
)
from auditor.model.base import Frozen
from auditor.routing.shared import path_finder

# the snapshot's resource lists, compared by id (`sites` by name)
RESOURCE_FIELDS = (
    "vnets", "subnets", "peerings", "gateways", "connections", "local_network_gateways", "circuits",
    "circuit_peerings", "circuit_connections", "route_tables", "routes", "network_interfaces",
    "virtual_hubs", "virtual_hub_ip_configurations", "virtual_hub_bgp_connections",
    "express_route_ports",
)  # fmt: skip
# what else decides answers (coverage, unknown paths, a circuit link `--down` marks Idle in its
# route summary); a difference here recomputes everything
OTHER_FIELDS = (
    "external_references", "collection_gaps", "skipped_types", "partial_lists",
    "effective_routes", "gateway_routes", "bgp_peer_status", "circuit_tables", "observation_gaps",
)  # fmt: skip
# kinds whose change stays inside the VNets it belongs to (when those are leaves)
LOCAL_KINDS = (VirtualNetwork, Subnet, VirtualNetworkPeering, RouteTable, Route, NetworkInterface)


@dataclass(frozen=True)
class Changed:
    """The resources that differ between two snapshots (lower-case ids; sites as `site:NAME`)."""

    ids: frozenset[str]
    other: tuple[str, ...] = ()  # snapshot fields other than resources that differ

    @property
    def none(self) -> bool:
        return not self.ids and not self.other


def changed(before: Snapshot, after: Snapshot) -> Changed:
    ids: set[str] = set()
    for name in RESOURCE_FIELDS:
        old = {r.id.key: r for r in getattr(before, name)}
        new = {r.id.key: r for r in getattr(after, name)}
        ids.update(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    old_sites = {s.name.lower(): s for s in before.sites}
    new_sites = {s.name.lower(): s for s in after.sites}
    ids.update(
        f"site:{k}" for k in old_sites.keys() | new_sites.keys() if old_sites.get(k) != new_sites.get(k)
    )
    other = tuple(name for name in OTHER_FIELDS if getattr(before, name) != getattr(after, name))
    return Changed(frozenset(ids), other)


def share_unchanged(before: Snapshot, after: Snapshot) -> Snapshot:
    """AFTER, holding BEFORE's resource objects wherever the resource is the same on both sides
    (equal values: every answer is the same), so that a diff keeps one copy of what a change did
    not touch."""
    changes: dict[str, object] = {}
    for name in RESOURCE_FIELDS:
        old = {r.id.key: r for r in getattr(before, name)}
        items = getattr(after, name)
        shared = tuple(_same(old.get(r.id.key), r) for r in items)
        if any(a is not b for a, b in zip(shared, items, strict=True)):
            changes[name] = shared
    return after.replace(**changes) if changes else after


def _same(old: Frozen | None, new: Frozen) -> Frozen:
    return old if old is not None and (old is new or old == new) else new


@dataclass(frozen=True)
class Impact:
    """What an incremental diff recomputes. `everything`: all of it (`why` says what forced it);
    otherwise the networks whose pairs are walked again on both sides (`networks`), the VNets whose
    whole tables are compared (`vnets`), and the prefixes every other vantage point is compared on
    (`prefixes`). `changed` empty and not `everything`: nothing moves."""

    changed: Changed
    everything: bool = False
    why: str = ""
    vnets: frozenset[ArmId] = frozenset()
    prefixes: tuple[IPNetwork, ...] = ()
    networks: frozenset[str] = field(default_factory=frozenset)  # lower-case endpoint names

    @property
    def nothing(self) -> bool:
        return self.changed.none and not self.everything


def impact(before: Snapshot, after: Snapshot) -> Impact:
    diff = changed(before, after)
    if diff.none:
        return Impact(diff)
    if diff.other:
        return Impact(diff, everything=True, why=f"{', '.join(diff.other)} differ")
    transit = _transit_vnets(before) | _transit_vnets(after)
    touched: set[ArmId] = set()
    for side in (before, after):
        for key in sorted(diff.ids):
            found = _touched_vnets(side, key)
            if found is None:
                return Impact(diff, everything=True, why=f"{key} is not local to leaf VNets")
            if isinstance(side.by_id.get(ArmId(key)), VirtualNetworkPeering):
                # a peering carries only what crosses its link: traffic to and from its leaf end
                # (a hub's end changes only in routes for the leaf's prefixes)
                found = {v for v in found if v not in transit} or found
            touched |= found
    crossed = sorted(str(v) for v in touched if v in transit)
    if crossed:
        return Impact(diff, everything=True, why=f"{crossed[0]} carries other networks' traffic")
    prefixes = sorted(set(_prefixes(before, touched)) | set(_prefixes(after, touched)), key=str)
    return Impact(
        diff,
        vnets=frozenset(touched),
        prefixes=tuple(prefixes),
        networks=frozenset(_networks(before, after, touched, prefixes)),
    )


def _touched_vnets(snapshot: Snapshot, key: str) -> set[ArmId] | None:
    """The VNets a changed resource belongs to on this side (empty: absent here); None: not local."""
    if key.startswith("site:"):
        return None
    resource = snapshot.by_id.get(ArmId(key))
    if resource is None:
        return set()
    if isinstance(resource, VirtualNetwork):
        return {resource.id}
    if isinstance(resource, Subnet):
        return {resource.vnet_id}
    if isinstance(resource, VirtualNetworkPeering):
        return {resource.vnet_id, resource.remote_vnet_id}
    if isinstance(resource, Route):
        assert resource.id.parent is not None
        return _table_vnets(snapshot, resource.id.parent)
    if isinstance(resource, RouteTable):
        return _table_vnets(snapshot, resource.id)
    if isinstance(resource, NetworkInterface):
        vnets = {s.vnet_id for s in _nic_subnets(snapshot, resource)}
        return vnets
    return None


def _table_vnets(snapshot: Snapshot, table_id: ArmId) -> set[ArmId]:
    return {s.vnet_id for s in snapshot.subnets if s.route_table_id == table_id}


def _nic_subnets(snapshot: Snapshot, nic: NetworkInterface) -> Iterator[Subnet]:
    for subnet_id in nic.subnet_ids:
        found = snapshot.by_id.get(subnet_id)
        if isinstance(found, Subnet):
            yield found


def _transit_vnets(snapshot: Snapshot) -> set[ArmId]:
    """VNets a walk between two other networks may cross: gateway domains' hubs, VNets with a
    gateway or a route server, and those holding an address a user-defined route sends to."""
    finder = path_finder(snapshot)
    plane = finder.plane
    found: set[ArmId] = set(plane.domains)
    found |= {g.vnet_id for g in snapshot.gateways if g.vnet_id is not None}
    for config in snapshot.virtual_hub_ip_configurations:
        if config.subnet_id is not None and config.subnet_id.parent is not None:
            found.add(config.subnet_id.parent)
    found |= {p.remote_vnet_id for p in snapshot.peerings if p.use_remote_gateways}
    for address in finder.appliance_addresses:
        held = finder.subnet_of(address)
        if held is not None:
            found.add(held[1].id)
    return found


def _prefixes(snapshot: Snapshot, vnets: set[ArmId]) -> Iterable[IPNetwork]:
    """The touched VNets' address spaces and every peering's copy of them, on this side. A touched
    VNet's own peerings hold copies of the *other* VNets' spaces: those routes are the touched
    VNet's own, deciding only walks that start in it (walked again anyway), so their prefixes are
    not the change's."""
    for vnet_id in vnets:
        vnet = snapshot.vnet(vnet_id)
        if vnet is not None:
            yield from vnet.address_prefixes
    for peering in snapshot.peerings:
        if peering.remote_vnet_id in vnets:
            yield from peering.remote_address_prefixes or ()


def _networks(before: Snapshot, after: Snapshot, vnets: set[ArmId], prefixes: list[IPNetwork]) -> set[str]:
    """Endpoints whose pairs may move: those of touched VNets, those whose address lies inside a
    touched prefix, and those that exist on one side only or moved their address."""
    addresses: list[dict[str, object]] = []
    found: set[str] = set()
    for side in (before, after):
        finder = path_finder(side)
        seen: dict[str, object] = {}
        for name in finder.networks():
            net = finder.network(name)
            seen[name.lower()] = net.address
            if (net.vnet is not None and net.vnet.id in vnets) or any(
                net.address in p for p in prefixes if p.version == net.address.version
            ):
                found.add(name.lower())
        addresses.append(seen)
    old, new = addresses
    found |= {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    return found
