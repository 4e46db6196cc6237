"""Data-plane paths between networks, each way, from the computed control plane.

A walk starts at a VNet's first workload subnet (or at a site's router) with a destination
address inside the other network, and follows the selected route at every step:

* in a subnet: its effective routes (UDRs, BGP, system);
* leaving a gateway domain: the selected route's connection, to a circuit, a local network
  gateway's site, or another domain's VPN gateway (Vnet2Vnet);
* at a circuit's Microsoft edge: its table (a site behind it, a linked domain, Global Reach);
* entering a domain from a connection: traffic for the domain's own VNets follows the
  GatewaySubnet's effective routes (so UDRs there apply); traffic in transit follows the VPN
  gateway's BGP table (VPN to VPN), and ExpressRoute <-> VPN only with Route Server
  branch-to-branch;
* at a site: its routes, chosen as its router would (`tables.SiteTable`: local-preference, its
  preferred link kind, AS path).

ECMP picks the first route in the table's stable order and says so in the hop.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cached_property

from auditor.gcpause import building
from auditor.ids import ArmId
from auditor.model import (
    Connection,
    IPNetwork,
    LinkKind,
    NetworkInterface,
    Snapshot,
    Subnet,
    VirtualNetwork,
)
from auditor.routing.cache import PerKey
from auditor.routing.controlplane import Advert, CircuitEntry, ControlPlane, covers
from auditor.routing.domains import udr_gateway
from auditor.routing.prefixindex import PrefixIndex, prefix_key
from auditor.routing.signature import RoutingSignature, routing_signature
from auditor.routing.tables import (
    SubnetTable,
    TableRoute,
    circuit_choice,
    gateway_subnet,
    is_special,
    site_longest,
    subnet_table,
    workload_subnet,
)
from auditor.routing.withheld import WITHHELD_CONSTRAINTS, Withheld
from auditor.unmodelled import fastpath_bypass, uncertain_resources, unmodelled_gaps

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_STEPS = 64

# What ends a walk at a resource (`Walk.constraint`, with the resource as `Walk.cause`):
IP_FORWARDING = "ip-forwarding-off"  # an appliance NIC without IP forwarding (cause: the NIC)
FORWARDED_TRAFFIC = "forwarded-traffic-refused"  # the entering VNet's peering (cause: that peering)
OWN_ADDRESS_SPACE = "own-address-space"  # the address lies in another VNet's space (cause: the VNet)
APPLIANCE_UNREACHABLE = "appliance-unreachable"  # next hop in no reachable subnet (cause: the route)
PEERING_NOT_CONNECTED = "peering-not-connected"  # a peering on the way is not Connected (cause: it)
# a user-defined route to `VirtualNetworkGateway` where no VPN gateway alone serves the VNet (cause: the route)
GATEWAY_NEXT_HOP_INVALID = "gateway-next-hop-invalid"
# ... and what leaves a vantage point without a route, recorded by the control plane
# (`withheld.py`): the walk that finds no route there names the resource that withholds it
CONSTRAINTS = (
    IP_FORWARDING,
    FORWARDED_TRAFFIC,
    OWN_ADDRESS_SPACE,
    APPLIANCE_UNREACHABLE,
    PEERING_NOT_CONNECTED,
    GATEWAY_NEXT_HOP_INVALID,
    *WITHHELD_CONSTRAINTS,
)


@dataclass(frozen=True)
class Hop:
    kind: str  # subnet | appliance | peering | gateway | connection | circuit | globalReach | site | vnet
    name: str
    id: str | None = None
    note: str | None = None
    link: str | None = field(default=None, compare=False)  # identity of the link, for symmetry checks

    def as_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "name": self.name}
        if self.id:
            out["id"] = self.id
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Tail:
    """The end of a walk from a gateway-side state towards one destination, shared by walks."""

    hops: tuple[Hop, ...]
    delivered: bool
    reason: str
    cause: str | None
    constraint: str | None
    assumptions: tuple[tuple[int, ArmId, bool], ...]


@dataclass
class Walk:
    hops: list[Hop] = field(default_factory=list)
    delivered: bool = False
    reason: str = ""
    cause: str | None = None  # the ARM id of the resource that drops the traffic, when one does
    # which walk constraint drops it (CONSTRAINTS), with the cause
    constraint: str | None = field(default=None, compare=False)
    source: Address | None = field(default=None, compare=False, repr=False)  # the walk's source address
    # what the walk assumed about its source: (hop index, VNet id, source inside the VNet's space)
    assumptions: list[tuple[int, ArmId, bool]] = field(default_factory=list, compare=False, repr=False)

    def appliances(self) -> frozenset[str]:
        return frozenset(h.name for h in self.hops if h.kind == "appliance")

    def links(self) -> frozenset[str]:
        """What must be the same both ways for symmetry: circuits, connections, appliances."""
        keys: set[str] = set()
        for hop in self.hops:
            if hop.kind == "appliance":
                keys.add(f"appliance:{hop.name}")
            elif hop.kind in ("circuit", "globalReach"):
                keys.add(f"{hop.kind}:{(hop.link or hop.id or hop.name).lower()}")
            elif hop.kind == "connection":
                keys.add(f"connection:{(hop.link or hop.id or hop.name).lower()}")
        return frozenset(keys)


@dataclass
class PathPair:
    source: str
    destination: str
    forward: Walk
    back: Walk
    unknown: tuple[str, ...] = ()  # resources outside the snapshot or unmodelled that the answer depends on

    @property
    def reachable(self) -> bool:
        return self.forward.delivered and self.back.delivered and not self.unknown

    @property
    def asymmetric(self) -> bool:
        return self.reachable and self.forward.links() != self.back.links()

    @property
    def status(self) -> str:
        """reachable | one-way | none | unknown (the answer depends on what azroute cannot see)."""
        if self.unknown:
            return "unknown"
        if self.forward.delivered and self.back.delivered:
            return "reachable"
        return "one-way" if self.forward.delivered or self.back.delivered else "none"


IPV6 = " (IPv6)"


class Network:
    """One end of a path: a VNet's subnets that route alike, or a site; IPv4 unless the name ends
    in " (IPv6)". Names: `hub-vnet`, `hub-vnet/app` (a VNet whose subnets route differently),
    `location-1`, `hub-vnet (IPv6)`."""

    def __init__(self, finder: PathFinder, name: str) -> None:
        plane = finder.plane
        family = 6 if name.endswith(IPV6) else 4
        base_name = name[: -len(IPV6)] if family == 6 else name
        vnet_name, _, subnet_name = base_name.partition("/")
        self.vnet: VirtualNetwork | None = plane.vnet_by_name.get(vnet_name.lower())
        self.site = None
        self.subnet: Subnet | None = None
        if self.vnet is None:
            self.site = plane.site_by_name.get(base_name) or next(
                (s for s in plane.sites if s.name.lower() == base_name.lower()), None
            )
            self.vnet = None
        if self.vnet is None and self.site is None:
            raise KeyError(name)
        self.family = family
        if self.vnet is not None:
            groups = finder.subnet_groups[self.vnet.id]
            if subnet_name:
                self.subnet = next(
                    (s for g in groups for s in g if s.id.name.lower() == subnet_name.lower()), None
                ) or next(
                    (
                        s
                        for s in plane.snapshot.subnets_of(self.vnet.id)
                        if s.id.name.lower() == subnet_name.lower()
                    ),
                    None,
                )
                if self.subnet is None:
                    raise KeyError(name)
            else:
                self.subnet = groups[0][0] if groups else workload_subnet(plane, self.vnet)
            if self.subnet is not None and not any(p.version == family for p in self.subnet.prefixes):
                # a group's first subnet may lack this family (IPv4-only next to a dual-stack one):
                # the group's address is then a member's that has it
                group = next((g for g in groups if self.subnet in g), [])
                self.subnet = next(
                    (s for s in group if any(p.version == family for p in s.prefixes)), self.subnet
                )
            self.name = endpoint_name(finder, self.vnet, self.subnet, family)
            spaces = [
                p
                for p in (self.subnet.prefixes if self.subnet else self.vnet.address_prefixes)
                if p.version == family
            ]
            if not spaces:
                raise KeyError(f"{name} has no IPv{family} address space")
            base = spaces[0]
            offset = 4 if base.num_addresses > 8 else min(1, base.num_addresses - 1)
            # a workload's address, not an appliance's: traffic addressed to an appliance itself is
            # delivered to it, while the subnet's workloads get what the appliance forwards
            self.address: Address = base.network_address + offset
            while (
                self.address in finder.appliance_addresses
                and int(self.address) < int(base.broadcast_address) - 1
            ):
                self.address += 1
            return
        assert self.site is not None
        self.name = self.site.name + (IPV6 if family == 6 else "")
        prefixes = tuple(p for p in self.site.prefixes if p.version == family)
        if not prefixes:
            raise KeyError(f"site {name} has no IPv{family} prefixes")
        self.address = site_address(finder, self.site.name, prefixes)

    @property
    def resource_ids(self) -> set[str]:
        """What the endpoint's own routing depends on (for `unknown` answers)."""
        found: set[str] = set()
        if self.vnet is not None:
            found.add(self.vnet.id.key)
            if self.subnet is not None:
                found.add(self.subnet.id.key)
        if self.site is not None:
            found.add(f"site:{self.site.name.lower()}")
        return found


def subnet_groups(plane: ControlPlane, vnet: VirtualNetwork) -> list[list[Subnet]]:
    """The VNet's workload subnets grouped by their routing signature (the subnets of a group
    route alike); infrastructure subnets (GatewaySubnet, AzureFirewallSubnet, ...) are not
    endpoints."""
    groups: dict[RoutingSignature, list[Subnet]] = {}
    for subnet in sorted(plane.snapshot.subnets_of(vnet.id), key=lambda s: s.id.key):
        if is_special(subnet):
            continue
        groups.setdefault(routing_signature(plane, subnet), []).append(subnet)
    return sorted(groups.values(), key=lambda g: g[0].id.key)


def endpoint_name(finder: PathFinder, vnet: VirtualNetwork, subnet: Subnet | None, family: int) -> str:
    groups = finder.subnet_groups[vnet.id]
    name = vnet.display_name
    if len(groups) > 1 and subnet is not None:
        group = next((g for g in groups if subnet in g), [subnet])
        name = f"{vnet.display_name}/{group[0].id.name}"
    return name + (IPV6 if family == 6 else "")


def network_names(finder: PathFinder) -> list[str]:
    """Every path endpoint: each VNet (one per group of subnets that route alike, per address
    family), then each site with prefixes (inferred sites included)."""
    names: list[str] = []
    for vnet in finder.snap.vnets:
        groups = finder.subnet_groups[vnet.id]
        for family in (4, 6):
            if not any(p.version == family for p in vnet.address_prefixes):
                continue
            for group in groups:
                if any(p.version == family for s in group for p in s.prefixes):
                    names.append(endpoint_name(finder, vnet, group[0], family))
    for site in finder.plane.sites:
        for family in (4, 6):
            if any(p.version == family for p in site.prefixes):
                names.append(site.name + (IPV6 if family == 6 else ""))
    return names


def owners(plane: ControlPlane) -> PrefixIndex[tuple[IPNetwork, str]]:
    """Every VNet's and site's own prefixes, by network name: the longest match owns an address."""
    items = [(p, v.display_name) for v in plane.snapshot.vnets for p in v.address_prefixes]
    items += [(p, s.name) for s in plane.sites for p in s.prefixes]
    return PrefixIndex(items, lambda i: i[0])


def owner_of(finder: PathFinder, address: Address) -> list[str]:
    """The networks owning an address: the longest of their prefixes that contains it."""
    return [name for _, name in finder.owners.longest(address)]


def site_address(finder: PathFinder, name: str, prefixes: tuple[IPNetwork, ...]) -> Address:
    """An address the site itself owns: inside its prefixes, outside every more specific VNet or
    other site (a site advertising a summary or a default route owns only what is left)."""
    for prefix in sorted(prefixes, key=lambda p: -p.prefixlen):
        first = prefix.network_address + min(1, prefix.num_addresses - 1)
        if name in owner_of(finder, first):
            return first
        # a summary or a default route: try just past each more specific network inside it
        others = [p for p, owner in finder.owners.items if owner != name]
        candidates = [o.broadcast_address + 1 for o in others if covers(prefix, o)]
        for address in sorted(candidates):
            if _contains(prefix, address) and name in owner_of(finder, address):
                return address
    fallback = prefixes[0]
    return fallback.network_address + min(1, fallback.num_addresses - 1)


class PathFinder:
    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.snap = plane.snapshot
        self._signatures: dict[tuple[str, str], tuple[object, ...]] = {}
        self._advert_positions: dict[ArmId, dict[int, int]] = {}
        self._networks: dict[str, Network] = {}
        self._site_best: dict[tuple[str, int, int], list[Advert]] = {}
        self._tails: dict[tuple[tuple[str, ...], Address], Tail] = {}
        self._ids: dict[str, ArmId] = {}  # the ids a walk's states name, parsed once

    def network(self, name: str) -> Network:
        key = name.lower()
        if key not in self._networks:
            self._networks[key] = Network(self, name)
        return self._networks[key]

    def site_longest(self, name: str, dst: Address) -> list[Advert]:
        """The routes site `name` selects for the longest prefix containing `dst` (only the site's
        routes towards that address are computed: a path needs one, not the site's whole table)."""
        key = (name, int(dst), dst.version)
        if key not in self._site_best:
            self._site_best[key] = site_longest(self.plane, name, dst)
        return self._site_best[key]

    def pair(self, source: str, destination: str) -> PathPair:
        a, b = self.network(source), self.network(destination)
        forward, back = self._arrival(self.walk(a, b.address), b), self._arrival(self.walk(b, a.address), a)
        return PathPair(a.name, b.name, forward, back, self._unknown(a, b, forward, back))

    def pair_both_ways(self, source: str, destination: str) -> tuple[PathPair, PathPair]:
        """`pair(source, destination)` and `pair(destination, source)`, from the same two walks
        (each pair walks both directions: asked together, each direction is walked once)."""
        a, b = self.network(source), self.network(destination)
        there, back = self._arrival(self.walk(a, b.address), b), self._arrival(self.walk(b, a.address), a)
        return (
            PathPair(a.name, b.name, there, back, self._unknown(a, b, there, back)),
            PathPair(b.name, a.name, back, there, self._unknown(b, a, back, there)),
        )

    def reachable_pair(self, source: str, destination: str) -> PathPair | None:
        """`pair(source, destination)` when it is reachable, None when it is not. The way back is
        walked first: when it is not delivered the pair is not reachable whatever the forward walk
        does, and that walk is skipped (rules that look only at reachable pairs ask this)."""
        a, b = self.network(source), self.network(destination)
        back = self._arrival(self.walk(b, a.address), a)
        if not back.delivered:
            return None
        forward = self._arrival(self.walk(a, b.address), b)
        pair = PathPair(a.name, b.name, forward, back, self._unknown(a, b, forward, back))
        return pair if pair.reachable else None

    def _arrival(self, walk: Walk, target: Network) -> Walk:
        """A walk reaches its destination only when it is delivered at the destination network: an
        address inside another VNet's own space stays in that VNet (its system route wins), and a
        prefix two sites announce goes to the one Azure's selection picks (the other is shadowed)."""
        if not walk.delivered or not walk.hops:
            return walk
        last = walk.hops[-1]
        if (
            target.vnet is not None
            and last.kind == "vnet"
            and last.id is not None
            and ArmId(last.id) == target.vnet.id
        ):
            return walk
        if target.site is not None and last.kind == "site" and last.name == target.site.name:
            return walk
        walk.delivered = False
        if last.kind == "site":
            walk.reason = f"{target.address} goes to site {last.name}, which announces it too: {target.name} is shadowed"
        else:
            walk.reason = (
                f"{target.address} lies inside {last.name}'s own address space: the traffic is delivered "
                f"in {last.name} and never reaches {target.name}"
            )
            walk.cause, walk.constraint = last.id, OWN_ADDRESS_SPACE
        return walk

    def networks(self) -> list[str]:
        return self._network_names

    @cached_property
    def _network_names(self) -> list[str]:
        return network_names(self)

    @cached_property
    def subnet_groups(self) -> PerKey[ArmId, list[list[Subnet]]]:
        """Per VNet id: its workload subnets grouped by routing signature (endpoint names)."""
        return PerKey(lambda vnet_id: subnet_groups(self.plane, _vnet(self.snap, vnet_id)))

    @cached_property
    def owners(self) -> PrefixIndex[tuple[IPNetwork, str]]:
        """Every VNet's and site's own prefixes, by network name (who owns an address)."""
        return owners(self.plane)

    def site_signature(self, name: str) -> tuple[object, ...]:
        """What decides a VNet endpoint's paths to and from on-premises sites, apart from its own
        address: its routing signature (auditor/routing/signature.py), its address family, how
        each subnet of the domain's hub routes towards its address (the way back from a gateway
        and through the hub's appliances), and how the domain advertises it. Endpoints with the
        same path signature take the same links and appliances to every site."""
        key = ("site-signature", name.lower())
        if key in self._signatures:
            return self._signatures[key]
        net = self.network(name)
        if net.vnet is None:
            sig: tuple[object, ...] = ("site", name.lower())
        else:
            vnet, subnet = net.vnet, net.subnet
            hub = self.plane.domain_of_vnet.get(vnet.id)
            back: list[object] = []
            hub_vnet = self.snap.vnet(hub) if hub is not None and hub != vnet.id else None
            hub_subnets = self.snap.subnets_of(hub_vnet.id) if hub_vnet is not None else []
            for other in hub_subnets:
                assert hub_vnet is not None
                chosen = self.table(hub_vnet, other).longest(net.address)
                back.append(
                    (
                        other.id.key,
                        tuple(
                            sorted(
                                (
                                    r.next_hop_type,
                                    r.next_hop or "",
                                    r.source,
                                    "self" if r.target == vnet.id else str(r.target),
                                )
                                for r in chosen
                            )
                        ),
                    )
                )
            advertised = (
                tuple(sorted(p.prefixlen for p in self.plane.domain_prefixes_covering(hub, net.address)))
                if hub is not None
                else ()
            )
            own = routing_signature(self.plane, subnet) if subnet is not None else ("vnet", vnet.id.key)
            sig = ("vnet", own, vnet.id.key if hub is None else "", net.family, tuple(back), advertised)
        self._signatures[key] = sig
        return sig

    def comparable(self, source: str, destination: str) -> bool:
        """A pair to walk: two different networks of the same address family."""
        a, b = self.network(source), self.network(destination)
        same_network = (a.vnet is not None and a.vnet == b.vnet and a.subnet == b.subnet) or (
            a.site is not None and a.site == b.site
        )
        return a.family == b.family and not same_network

    @cached_property
    def uncertain(self) -> dict[str, str]:
        """Resource id (lower case) -> why the routing through it is not known: an unmodelled
        feature on it, or a reference to something outside the snapshot."""
        found: dict[str, str] = {}
        for gap in unmodelled_gaps(self.snap):
            for rid in uncertain_resources(self.snap, [gap]):
                found.setdefault(f"{gap.feature}|{rid}", f"unmodelled {gap.feature}: {gap.resource}")
        for ref in self.snap.external_references:
            why = f"{ref.from_id.name} references {ref.target_id} outside the snapshot"
            found.setdefault(f"|{ref.from_id.key}", why)
            conn = self.snap.by_id.get(ref.from_id)
            if isinstance(conn, Connection):
                # a link to a circuit, gateway or site outside the snapshot can carry routes for
                # every network of the gateway's domain
                gateway = self.snap.gateway(conn.gateway1_id)
                if gateway is not None and gateway.vnet_id is not None:
                    found.setdefault(f"external-link|{gateway.vnet_id.key}", why)
        for site in self.plane.sites:
            outside = sorted(i.name for i in (*site.circuit_ids, *site.lng_ids) if self.snap.is_external(i))
            if outside:
                why = f"site {site.name} is reached through {', '.join(outside)}, outside the snapshot"
                found.setdefault(f"external-link|site:{site.name.lower()}", why)
        # a gateway whose provisioning Failed or is Updating may or may not carry traffic: the
        # paths of its VNet and of the spokes that use it through gateway transit are unknown
        # (one being created or deleted carries nothing: it is not part of any domain)
        for gateway in self.snap.gateways:
            state = (gateway.provisioning_state or "").lower()
            if state not in ("failed", "updating") or gateway.vnet_id is None:
                continue
            why = f"gateway {gateway.id.name} is {gateway.provisioning_state}: whether it carries traffic is unknown"
            found.setdefault(f"gateway-state|{gateway.vnet_id.key}", why)
            for peering in self.snap.peerings:
                if peering.remote_vnet_id == gateway.vnet_id and peering.use_remote_gateways:
                    found.setdefault(f"gateway-state|{peering.vnet_id.key}", why)
        # a domain whose hub (or gateway) is uncertain is uncertain for every VNet using its gateways
        for hub, domain in self.plane.domains.items():
            own = {hub.key} | {g.id.key for g in (domain.er_gateway, domain.vpn_gateway) if g is not None}
            for key, why in list(found.items()):
                feature, _, rid = key.partition("|")
                if rid in own:
                    for member in domain.vnets:
                        found.setdefault(f"{feature}|{member.key}", why)
        return found

    def _unknown(self, a: Network, b: Network, *walks: Walk) -> tuple[str, ...]:
        touched = a.resource_ids | b.resource_ids
        for walk in walks:
            touched |= {h.id.lower() for h in walk.hops if h.id}
            if not walk.delivered and "outside the snapshot" in walk.reason:
                return (walk.reason,)
        reasons: set[str] = set()
        hybrid = any(
            not w.delivered or any(h.kind in ("gateway", "connection", "circuit") for h in w.hops)
            for w in walks
        )
        for key, why in self.uncertain.items():
            feature, _, rid = key.partition("|")
            if feature == "ipv6-over-vpn" and a.family != 6:
                continue  # IPv6 on a VPN does not change IPv4 answers
            if feature in ("external-link", "gateway-state") and not hybrid:
                continue  # VNet and peering routes win over anything a gateway learns
            if rid in touched:
                reasons.add(why)
        return tuple(sorted(reasons))

    # -- tables ----------------------------------------------------------------------------------
    def table(self, vnet: VirtualNetwork, subnet: Subnet | None) -> SubnetTable:
        """The subnet's route table (the control plane's: `routes` shows the same one)."""
        return subnet_table(self.plane, vnet, subnet)

    @cached_property
    def _subnet_index(self) -> PrefixIndex[tuple[IPNetwork, Subnet, VirtualNetwork]]:
        rows: list[tuple[IPNetwork, Subnet, VirtualNetwork]] = []
        for subnet in self.snap.subnets:
            vnet = self.snap.vnet(subnet.vnet_id)
            if vnet is not None:
                rows += [(p, subnet, vnet) for p in subnet.prefixes]
        return PrefixIndex(rows, lambda r: r[0])

    def subnet_of(self, address: Address) -> tuple[Subnet, VirtualNetwork] | None:
        """The subnet holding an address (the most specific one)."""
        found = self._subnet_index.longest(address)
        return (found[0][1], found[0][2]) if found else None

    # -- the walk --------------------------------------------------------------------------------------
    def walk(self, start: Network, dst: Address) -> Walk:
        walk = Walk(source=start.address)
        state: tuple[str, ...]
        if start.vnet is not None:
            subnet = start.subnet
            state = ("subnet", str(start.vnet.id), str(subnet.id) if subnet else "")
        else:
            assert start.site is not None
            state = ("site", start.site.name)
        seen: set[tuple[str, ...]] = set()
        # Walks from many VNets to one destination share their tail (leaving a hub's gateway
        # onwards): the tail from a gateway-side state is remembered per destination, with what it
        # assumed about the source (forwarded traffic); it is reused only where that still holds.
        shared: list[tuple[tuple[str, ...], int]] = []
        for _ in range(MAX_STEPS):
            if state in seen:
                walk.reason = "routing loop"
                break
            known = self._tails.get((state, dst))
            if known is not None and self._holds(known.assumptions, walk.source):
                offset = len(walk.hops)
                walk.hops.extend(known.hops)
                walk.assumptions += [(offset + i, vnet, inside) for i, vnet, inside in known.assumptions]
                walk.delivered, walk.reason = known.delivered, known.reason
                walk.cause, walk.constraint = known.cause, known.constraint
                break
            seen.add(state)
            if state[0] in ("egress", "ingress", "msee"):
                shared.append((state, len(walk.hops)))
            nxt = self._step(state, dst, walk)
            if nxt is None:
                break
            state = nxt
        else:
            walk.reason = "too many hops"
        for tail_state, start_at in shared:
            self._tails[(tail_state, dst)] = Tail(
                tuple(walk.hops[start_at:]),
                walk.delivered,
                walk.reason,
                walk.cause,
                walk.constraint,
                tuple((i - start_at, vnet, inside) for i, vnet, inside in walk.assumptions if i >= start_at),
            )
        return walk

    def _holds(self, assumptions: tuple[tuple[int, ArmId, bool], ...], source: Address | None) -> bool:
        return all(self._inside(vnet, source) == inside for _, vnet, inside in assumptions)

    def _inside(self, vnet_id: ArmId, address: Address | None) -> bool:
        vnet = self.snap.vnet(vnet_id)
        return (
            address is not None
            and vnet is not None
            and any(_contains(p, address) for p in vnet.address_prefixes)
        )

    def _forwarded_refused(self, leaving: VirtualNetwork, entering: ArmId, walk: Walk) -> bool:
        """Traffic an appliance in `leaving` forwarded (its source outside `leaving`'s address
        space) enters `entering` over their peering only when `entering`'s peering towards
        `leaving` allows forwarded traffic; when it does not, the walk ends there (TRN010)."""
        inside = self._inside(leaving.id, walk.source)
        walk.assumptions.append((len(walk.hops), leaving.id, inside))
        if inside:
            return False
        back = self.snap.peering_between(entering, leaving.id)
        if back is None or back.allow_forwarded_traffic is True:
            return False
        walk.reason = (
            f"peering {back.id.name} of {entering.name} does not allow forwarded traffic: it drops what "
            f"the appliance in {leaving.display_name} forwards from {walk.source}"
        )
        walk.cause, walk.constraint = str(back.id), FORWARDED_TRAFFIC
        return True

    @cached_property
    def appliance_addresses(self) -> frozenset[Address]:
        """Every address a user-defined route names as its next hop (an appliance's)."""
        found: set[Address] = set()
        for route in self.snap.routes:
            if route.next_hop_ip_address:
                try:
                    found.add(ipaddress.ip_address(route.next_hop_ip_address))
                except ValueError:
                    continue
        return frozenset(found)

    @cached_property
    def nic_by_address(self) -> dict[str, NetworkInterface]:
        """Every NIC by its private IP addresses (the first NIC holding an address): which NIC an
        appliance next hop lands on, for the walk and for TRN009."""
        found: dict[str, NetworkInterface] = {}
        for nic in self.snap.network_interfaces:
            for conf in nic.ip_configurations:
                if conf.private_ip_address:
                    found.setdefault(conf.private_ip_address, nic)
        return found

    def _step(self, state: tuple[str, ...], dst: Address, walk: Walk) -> tuple[str, ...] | None:
        kind = state[0]
        if kind == "subnet":
            subnet_id = self._id(state[2]) if state[2] else None
            return self._in_subnet(self._id(state[1]), subnet_id, dst, walk, forwarded=len(state) > 3)
        if kind == "egress":
            return self._egress(self._id(state[1]), int(state[2]), dst, walk)
        if kind == "msee":
            return self._at_msee(self._id(state[1]), state[2], dst, walk)
        if kind == "ingress":
            return self._ingress(self._id(state[1]), LinkKind(state[2]), dst, walk)
        if kind == "site":
            return self._at_site(state[1], dst, walk)
        raise ValueError(kind)

    def _id(self, text: str) -> ArmId:
        found = self._ids.get(text)
        if found is None:
            found = self._ids[text] = ArmId(text)
        return found

    def _deliver(self, walk: Walk, hop: Hop) -> None:
        walk.hops.append(hop)
        walk.delivered = True

    def _in_subnet(
        self, vnet_id: ArmId, subnet_id: ArmId | None, dst: Address, walk: Walk, forwarded: bool = False
    ) -> tuple[str, ...] | None:
        """One step from a subnet; `forwarded`: an appliance in this subnet forwards the traffic."""
        vnet = self.snap.vnet(vnet_id)
        assert vnet is not None
        subnet = self.snap.by_id.get(subnet_id) if subnet_id else None
        routes = self.table(vnet, subnet if isinstance(subnet, Subnet) else None).longest(dst)
        where = f"{vnet.display_name}/{subnet_id.name}" if subnet_id else vnet.display_name
        if not routes:
            walk.reason = f"no route for {dst} in {where}"
            self._name_withheld(self.plane.withheld.at_vnet(vnet.id, dst), None, subnet, walk)
            return None
        route = routes[0]
        note = "ECMP" if len(routes) > 1 else None
        if route.next_hop_type == "VnetLocal":
            if any(p.version == dst.version and dst in p for p in vnet.address_prefixes):
                self._deliver(walk, Hop("vnet", vnet.display_name, str(vnet.id)))
                return None
            walk.reason = f"{where} has no subnet for {dst}"
            return None
        if route.next_hop_type == "VNetPeering" and route.target is not None:
            walk.hops.append(Hop("peering", f"{vnet.display_name}->{route.target.name}", str(route.via)))
            target = self.snap.vnet(route.target)
            if target is None:
                walk.reason = f"peered VNet {route.target.name} is outside the snapshot"
                return None
            if forwarded and self._forwarded_refused(vnet, target.id, walk):
                return None
            self._deliver(walk, Hop("vnet", target.display_name, str(target.id)))
            return None
        if (
            route.next_hop_type == "VirtualNetworkGateway"
            and route.advert is not None
            and route.target is not None
        ):
            hub = route.target
            self._transit_hop(vnet, hub, walk)
            domain = self.plane.domains[hub]
            gateway = domain.er_gateway if route.link is LinkKind.EXPRESSROUTE else domain.vpn_gateway
            if gateway is not None:
                walk.hops.append(Hop("gateway", gateway.id.name, str(gateway.id), note))
            return ("egress", str(hub), str(self._advert_index(hub, route.advert)))
        if route.next_hop_type == "VirtualNetworkGateway" and route.advert is None:
            return self._user_route_to_gateway(vnet, route, where, dst, walk)
        if route.next_hop_type == "VirtualAppliance" and route.next_hop:
            try:
                ip = ipaddress.ip_address(route.next_hop)
            except ValueError:
                walk.reason = f"user route {route.via.name if route.via else ''} has an invalid next hop"
                return None
            found = self.subnet_of(ip)
            unreachable: str | None = None
            if found is None:
                unreachable = f"appliance {route.next_hop} is in no subnet of the snapshot"
            elif found[1].id != vnet.id:
                peering = self.snap.peering_between(vnet.id, found[1].id)
                if peering is None:
                    # the next hop must be in the VNet or a peered VNet (UDR003): no route reaches it
                    unreachable = (
                        f"appliance {route.next_hop} is in {found[1].display_name}, which "
                        f"{vnet.display_name} is not peered with"
                    )
                else:
                    walk.hops.append(
                        Hop("peering", f"{vnet.display_name}->{found[1].display_name}", str(peering.id))
                    )
                    if peering.peering_state is not None and not self.snap.peering_established(peering):
                        state = (
                            peering.peering_state
                            if not peering.connected
                            else f"not Connected back from {found[1].display_name}"
                        )
                        walk.reason = (
                            f"peering {peering.id.name} of {vnet.display_name} is {state}: "
                            f"it carries nothing to the appliance {route.next_hop}"
                        )
                        walk.cause, walk.constraint = str(peering.id), PEERING_NOT_CONNECTED
                        return None
                    if forwarded and self._forwarded_refused(vnet, found[1].id, walk):
                        return None
            walk.hops.append(
                Hop(
                    "appliance",
                    route.next_hop,
                    str(route.via) if route.via else None,
                    route.via.name if route.via else None,
                )
            )
            if found is None or unreachable is not None:
                walk.reason = unreachable or ""
                if route.via is not None:
                    walk.cause, walk.constraint = str(route.via), APPLIANCE_UNREACHABLE
                return None
            nic = self.nic_by_address.get(str(ip))
            if nic is not None and nic.enable_ip_forwarding is not True and ip != dst:
                # Azure drops a packet a NIC receives for an address not its own unless IP
                # forwarding is on (TRN009); traffic addressed to the appliance itself is delivered
                walk.reason = (
                    f"appliance {route.next_hop} (NIC {nic.id.name}) has IP forwarding off: "
                    f"it drops traffic it would forward"
                )
                walk.cause, walk.constraint = str(nic.id), IP_FORWARDING
                return None
            return ("subnet", str(found[1].id), str(found[0].id), "forwarded")
        walk.reason = f"{where}: next hop {route.next_hop_type} for {dst}"
        if route.next_hop_type in ("Internet", "None"):
            self._name_withheld(self.plane.withheld.at_vnet(vnet.id, dst), route, subnet, walk)
        return None

    def _transit_hop(self, vnet: VirtualNetwork, hub: ArmId, walk: Walk) -> None:
        """The peering hop from a VNet to the hub whose gateways it uses (none in the hub itself)."""
        if hub != vnet.id:
            peering = self.snap.peering_between(vnet.id, hub)
            walk.hops.append(
                Hop(
                    "peering",
                    f"{vnet.display_name}->{hub.name}",
                    str(peering.id) if peering else None,
                    "gateway transit",
                )
            )

    def _user_route_to_gateway(
        self, vnet: VirtualNetwork, route: TableRoute, where: str, dst: Address, walk: Walk
    ) -> tuple[str, ...] | None:
        """A user-defined route to `VirtualNetworkGateway`: the VPN gateway serving the VNet (its
        own, or its hub's through gateway transit) takes the traffic and routes it as it routes what
        arrives over a VPN tunnel: into the domain's VNets through the GatewaySubnet, on-premises over
        its connections. Where no VPN gateway alone serves the VNet the route is invalid and the
        walk ends there (GWS007, `domains.udr_gateway`)."""
        hub = self.plane.domain_of_vnet.get(vnet.id)
        gateway, why = udr_gateway(self.plane.domains.get(hub) if hub is not None else None)
        if gateway is None or hub is None:
            walk.reason = f"{where}: next hop VirtualNetworkGateway for {dst} is invalid: {why}"
            if route.via is not None:
                walk.cause, walk.constraint = str(route.via), GATEWAY_NEXT_HOP_INVALID
            return None
        self._transit_hop(vnet, hub, walk)
        walk.hops.append(
            Hop(
                "gateway",
                gateway.id.name,
                str(gateway.id),
                route.via.name if route.via else "user-defined route",
            )
        )
        return self._ingress(hub, LinkKind.VPN, dst, walk)

    def _name_withheld(
        self, withheld: Withheld | None, selected: TableRoute | None, subnet: object, walk: Walk
    ) -> None:
        """A walk that found no route (or only `selected`, which delivers nowhere) names the
        resource that withholds one that would win over it (`withheld.py`): more specific, or as
        specific as a default system route (a learned route wins over it). A subnet whose route
        table does not propagate gateway routes would not hold it either: nothing is named."""
        if withheld is None:
            return
        if selected is not None:
            mine, theirs = withheld.prefix.prefixlen, selected.prefix.prefixlen
            if mine < theirs or (mine == theirs and selected.source != "Default"):
                return
        if isinstance(subnet, Subnet) and subnet.route_table_id is not None:
            table = self.snap.by_id.get(subnet.route_table_id)
            if getattr(table, "disable_bgp_route_propagation", None):
                return
        walk.reason = f"{walk.reason}: {withheld.reason}"
        walk.cause, walk.constraint = withheld.cause, withheld.constraint

    def _advert_index(self, hub: ArmId, advert: Advert) -> int:
        positions = self._advert_positions.get(hub)
        if positions is None:
            positions = {id(a): i for i, a in enumerate(self.plane.domain_rib[hub])}
            self._advert_positions[hub] = positions
        found = positions.get(id(advert))
        return found if found is not None else self.plane.domain_rib[hub].index(advert)

    def _egress(self, hub: ArmId, index: int, dst: Address, walk: Walk) -> tuple[str, ...] | None:
        advert = self.plane.domain_rib[hub][index]
        conn = self.snap.by_id.get(advert.via) if advert.via else None
        if not isinstance(conn, Connection):
            walk.reason = "route without a connection"
            return None
        walk.hops.append(Hop("connection", conn.id.name, str(conn.id), link=_link_key(conn)))
        if advert.link is LinkKind.EXPRESSROUTE and conn.peer_id is not None:
            walk.hops.append(Hop("circuit", conn.peer_id.name, str(conn.peer_id)))
            return ("msee", str(conn.peer_id), f"domain:{hub}")
        if advert.next_domain is not None:
            far = self.plane.domains[advert.next_domain]
            if far.vpn_gateway is not None:
                walk.hops.append(Hop("gateway", far.vpn_gateway.id.name, str(far.vpn_gateway.id)))
            return ("ingress", str(far.hub.id), LinkKind.VPN.value)
        if conn.local_network_gateway_id is not None:
            site = self.plane.site_of_lng(conn.local_network_gateway_id)
            if site is None:
                walk.reason = f"local network gateway {conn.local_network_gateway_id.name} belongs to no site"
                return None
            return self._arrive_site(site.name, dst, walk)
        walk.reason = f"connection {conn.id.name} leads nowhere known"
        return None

    def _arrive_site(self, name: str, dst: Address, walk: Walk) -> tuple[str, ...] | None:
        if self.site_owns(name, dst) and not self._more_specific_route(name, dst):
            self._deliver(walk, Hop("site", name))
            return None
        walk.hops.append(Hop("site", name, None, "transit"))
        return ("site", name)

    def _at_msee(self, circuit_id: ArmId, came_from: str, dst: Address, walk: Walk) -> tuple[str, ...] | None:
        entries = self.plane.circuit_entries_covering(circuit_id, dst)
        from_domain = ArmId(came_from[7:]) if came_from.startswith("domain:") else None
        usable: list[CircuitEntry] = []
        for e in entries:
            if e.kind == "domain":
                if from_domain is not None:
                    if ArmId(e.target) == from_domain:
                        continue
                    if not self.plane._hairpin_allowed(
                        self.plane.domains[from_domain], self.plane.domains[ArmId(e.target)]
                    ):
                        continue
            elif (e.kind == "globalReach" and (from_domain is not None or came_from == "globalReach")) or (
                e.kind == "site" and came_from.startswith("site:") and e.target == came_from[5:]
            ):
                continue
            usable.append(e)
        best = circuit_choice(usable)
        if not best:
            walk.reason = f"circuit {circuit_id.name} has no route for {dst}"
            return None
        entry = best[0]
        if entry.kind == "site":
            return self._arrive_site(entry.target, dst, walk)
        if entry.kind == "globalReach":
            other = ArmId(entry.target)
            ends = "|".join(sorted([circuit_id.key, other.key]))
            walk.hops.append(
                Hop("globalReach", f"{circuit_id.name}<->{other.name}", link=f"globalreach:{ends}")
            )
            walk.hops.append(Hop("circuit", other.name, str(other)))
            return ("msee", str(other), "globalReach")
        hub = ArmId(entry.target)
        domain = self.plane.domains[hub]
        conn = self.snap.by_id.get(entry.via) if entry.via is not None else None
        if entry.via is not None:
            walk.hops.append(
                Hop(
                    "connection",
                    entry.via.name,
                    str(entry.via),
                    link=_link_key(conn) if isinstance(conn, Connection) else None,
                )
            )
        if domain.er_gateway is not None:
            # FastPath: the data path skips the gateway (its routes are still the gateway's); the
            # hop stays, marked, so the path still names what routes the traffic
            to_hub = any(_contains(p, dst) for p in domain.hub.address_prefixes)
            fast = isinstance(conn, Connection) and fastpath_bypass(self.snap, conn, to_hub)
            notes = [
                n for n in ("ECMP" if len(best) > 1 else None, "FastPath: bypassed" if fast else None) if n
            ]
            walk.hops.append(
                Hop(
                    "gateway",
                    domain.er_gateway.id.name,
                    str(domain.er_gateway.id),
                    "; ".join(notes) or None,
                )
            )
        return ("ingress", str(hub), LinkKind.EXPRESSROUTE.value)

    def _ingress(self, hub: ArmId, came: LinkKind, dst: Address, walk: Walk) -> tuple[str, ...] | None:
        domain = self.plane.domains[hub]
        if any(_contains(p, dst) for p in domain.local_prefixes):
            gw_subnet = gateway_subnet(self.plane, domain.hub)
            return ("subnet", str(domain.hub.id), str(gw_subnet.id) if gw_subnet else "")
        allowed: list[Advert] = []
        for advert in self.plane.domain_rib[hub]:
            if advert.bgp_peer_host or not _contains(advert.prefix, dst):
                continue
            if (advert.link is LinkKind.VPN and (came is LinkKind.VPN or domain.branch_to_branch)) or (
                advert.link is LinkKind.EXPRESSROUTE and came is LinkKind.VPN and domain.branch_to_branch
            ):
                allowed.append(advert)
        if not allowed:
            walk.reason = f"{domain.name}'s gateways do not pass traffic from {came.value} towards {dst}"
            return None
        longest = max(a.prefix.prefixlen for a in allowed)
        advert = sorted(
            (a for a in allowed if a.prefix.prefixlen == longest),
            key=lambda a: (a.link is not LinkKind.EXPRESSROUTE, len(a.as_path)),
        )[0]
        gateway = domain.er_gateway if advert.link is LinkKind.EXPRESSROUTE else domain.vpn_gateway
        if gateway is not None and (not walk.hops or walk.hops[-1].id != str(gateway.id)):
            walk.hops.append(Hop("gateway", gateway.id.name, str(gateway.id), "transit"))
        return ("egress", str(hub), str(self._advert_index(hub, advert)))

    def site_owns(self, name: str, dst: Address) -> bool:
        """The site is the network whose prefix is the longest match for the address: a summary
        or a default route it advertises does not make it the owner of a VNet or another site."""
        return name in owner_of(self, dst)

    def _more_specific_route(self, name: str, dst: Address) -> bool:
        """The site's own routing has a longer match for the address than its own prefixes."""
        own = self._site_prefixes[name].longest(dst)
        routes = self.site_longest(name, dst)
        return bool(routes) and (not own or routes[0].prefix.prefixlen > own[0].prefixlen)

    @cached_property
    def _site_prefixes(self) -> PerKey[str, PrefixIndex[IPNetwork]]:
        """Per site: its own prefixes, indexed (a datacenter has thousands)."""
        return PerKey(lambda name: PrefixIndex(self.plane.site_by_name[name].prefixes, lambda p: p))

    def _at_site(self, name: str, dst: Address, walk: Walk) -> tuple[str, ...] | None:
        if self.site_owns(name, dst) and not self._more_specific_route(name, dst):
            self._deliver(walk, Hop("site", name))
            return None
        chosen = self.site_longest(name, dst)
        if not chosen:
            walk.reason = f"site {name} has no route for {dst}"
            self._name_withheld(self.plane.withheld.at_site(name, dst), None, None, walk)
            return None
        advert = chosen[0]
        if advert.link is LinkKind.EXPRESSROUTE and advert.via is not None:
            walk.hops.append(Hop("circuit", advert.via.name, str(advert.via)))
            return ("msee", str(advert.via), f"site:{name}")
        conn = self.snap.by_id.get(advert.via) if advert.via else None
        if not isinstance(conn, Connection):
            walk.reason = f"site {name}: route without a connection"
            return None
        walk.hops.append(Hop("connection", conn.id.name, str(conn.id), link=_link_key(conn)))
        gateway = self.snap.gateway(conn.gateway1_id)
        if gateway is None or gateway.vnet_id not in self.plane.domains:
            walk.reason = f"connection {conn.id.name} ends at no working gateway"
            return None
        walk.hops.append(Hop("gateway", gateway.id.name, str(gateway.id)))
        return ("ingress", str(gateway.vnet_id), LinkKind.VPN.value)


def _vnet(snapshot: Snapshot, vnet_id: ArmId) -> VirtualNetwork:
    vnet = snapshot.vnet(vnet_id)
    assert vnet is not None
    return vnet


def _contains(prefix: object, address: Address) -> bool:
    return getattr(prefix, "version", None) == address.version and address in prefix  # type: ignore[operator]


def _link_key(conn: Connection) -> str:
    """Both Vnet2Vnet connections of one tunnel share a key; any other connection is its own."""
    if conn.is_vnet2vnet and conn.gateway2_id is not None:
        ends = sorted([conn.gateway1_id.key, conn.gateway2_id.key])
        return "vnet2vnet:" + "|".join(ends)
    return conn.id.key


def matrix(finder: PathFinder, names: list[str]) -> list[PathPair]:
    return [finder.pair(a, b) for a in names for b in names if a != b]


__all__ = ["Hop", "Network", "PathFinder", "PathPair", "Walk", "covers", "matrix", "prefix_key"]


@dataclass
class GroupRow:
    group: int  # index into SignatureGroups.members
    site: str
    pair: PathPair  # the group's first endpoint to the site


@dataclass
class SignatureGroups:
    """VNet endpoints grouped by routing signature, each group walked once to every site."""

    members: list[list[str]]
    rows: list[GroupRow]


def signature_groups(finder: PathFinder) -> SignatureGroups:
    names = finder.networks()
    groups: dict[tuple[object, ...], list[str]] = {}
    for name in names:
        if finder.network(name).vnet is not None:
            groups.setdefault(finder.site_signature(name), []).append(name)
    members = list(groups.values())
    sites = [n for n in names if finder.network(n).site is not None]
    with building():  # every row is kept: a long-lived result
        rows = [
            GroupRow(i, site, finder.pair(group[0], site))
            for i, group in enumerate(members)
            for site in sites
            if finder.comparable(group[0], site)
        ]
    return SignatureGroups(members, rows)
