"""Predicates shared by rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from auditor.ids import ArmId
from auditor.model import (
    Connection,
    ExpressRouteCircuitPeering,
    IPNetwork,
    Route,
    RouteTable,
    Snapshot,
    Subnet,
    VirtualNetworkGateway,
    VirtualNetworkPeering,
    parse_prefix,
)
from auditor.rule_api import CoverageGap, Cut, PrefixIndex, RuleContext, Violation, peered_space


def transit_gateways(snapshot: Snapshot, vnet_id: ArmId) -> list[VirtualNetworkGateway]:
    """The VNet's own VPN and ExpressRoute gateways that are deployed and enabled."""
    return [g for g in snapshot.gateways_of(vnet_id) if (g.is_vpn or g.is_expressroute) and g.working]


def has_gateway(snapshot: Snapshot, vnet_id: ArmId) -> bool:
    return any(g.is_vpn or g.is_expressroute for g in snapshot.gateways_of(vnet_id))


def private_peering_asn_in_azure_range(peering: ExpressRouteCircuitPeering) -> bool:
    """A private peering whose peer ASN is in 65515-65520, which ExpressRoute reserves (BGP002's
    finding; BGP001 leaves these to it, so one ASN problem is one finding)."""
    return peering.is_private and peering.peer_asn is not None and 65515 <= peering.peer_asn <= 65520


def label(peering: VirtualNetworkPeering) -> str:
    """`spoke-vnet/spoke-to-hub`."""
    return f"{peering.vnet_id.name}/{peering.id.name}"


def gateway_subnet_of(snapshot: Snapshot, vnet_id: ArmId) -> Subnet | None:
    return next((s for s in snapshot.subnets_of(vnet_id) if s.is_gateway_subnet), None)


def route_table_of(snapshot: Snapshot, subnet: Subnet) -> RouteTable | None:
    found = snapshot.by_id.get(subnet.route_table_id) if subnet.route_table_id else None
    return found if isinstance(found, RouteTable) else None


def natted(conn: Connection) -> bool:
    """Whether a VPN connection applies NAT rules (azroute does not model NAT: an overlap across
    it is not judged, the connection's `vpn-nat-rule` gap says so)."""
    return bool(conn.ingress_nat_rules or conn.egress_nat_rules)


def overlaps(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)


def inside(inner: IPNetwork, outer: IPNetwork) -> bool:
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def appliance_routes(snapshot: Snapshot) -> Iterator[tuple[Subnet, Route, IPNetwork]]:
    """(subnet, route, next-hop address as a /32) for every VirtualAppliance route a subnet uses."""
    for subnet in snapshot.subnets:
        if subnet.route_table_id is None:
            continue
        for route in snapshot.routes_of(subnet.route_table_id):
            if route.next_hop_type.lower() != "virtualappliance" or not route.next_hop_ip_address:
                continue
            try:
                yield subnet, route, parse_prefix(route.next_hop_ip_address)
            except ValueError:
                continue


def peered_spaces(
    snapshot: Snapshot, vnet_id: ArmId
) -> PrefixIndex[tuple[IPNetwork, VirtualNetworkPeering | None]]:
    """The VNet's own address space (peering None) and each peered VNet's, by prefix."""
    vnet = snapshot.vnet(vnet_id)
    rows: list[tuple[IPNetwork, VirtualNetworkPeering | None]] = [
        (p, None) for p in (vnet.address_prefixes if vnet else ())
    ]
    for peering in snapshot.peerings_of(vnet_id):
        rows += [(p, peering) for p in peered_space(snapshot, peering)]
    return PrefixIndex(rows, lambda r: r[0])


def with_walked_pairs(
    ctx: RuleContext,
    constraint: str,
    found: Iterable[Violation | CoverageGap],
    match: Callable[[Violation, Cut], bool] = lambda _v, _c: True,
    key: tuple[Callable[[Violation], str], Callable[[Cut], str]] | None = None,
) -> tuple[list[Violation | CoverageGap], dict[str, list[Cut]]]:
    """The rule's findings with `evidence.pairs`: the walked pairs that `constraint` cuts at one of
    the finding's resources (those whose `key` equals the finding's, then that `match` keeps), `[]`
    when no walked pair crosses it; and the cuts no finding claims, by resource, for which the rule
    reports what the walk found (the walk is the data plane: where a rule and the walk disagree,
    the rule derives from the walk)."""
    walked = ctx.cuts.with_constraint(constraint)
    keyed: dict[tuple[str, str], list[Cut]] = {}
    if key is not None:
        for rid, cuts in walked.items():
            for cut in cuts:
                keyed.setdefault((rid, key[1](cut)), []).append(cut)
    claimed: set[Cut] = set()
    out: list[Violation | CoverageGap] = []
    for item in found:
        if isinstance(item, Violation):
            rids = dict.fromkeys(str(r).lower() for r in item.resources)
            want = key[0](item) if key is not None else ""
            candidates = (
                keyed.get((rid, want), []) if key is not None else walked.get(rid, []) for rid in rids
            )
            mine = [c for group in candidates for c in group if match(item, c)]
            claimed.update(mine)
            item = item.model_copy(update={"evidence": {**item.evidence, **ctx.cuts.evidence(mine)}})
        out.append(item)
    rest = {rid: [c for c in cuts if c not in claimed] for rid, cuts in walked.items()}
    return out, {rid: cuts for rid, cuts in rest.items() if cuts}


def withheld_findings(
    ctx: RuleContext, constraint: str, found: Iterable[Violation | CoverageGap]
) -> Iterator[Violation | CoverageGap]:
    """A withheld-route rule's findings (`routing/withheld.py`): what the rule found in the
    configuration, each with the walked pairs its resource leaves without a route, then a finding
    per resource the walk finds withholding routes that no finding names (the walk is the truth)."""
    findings, rest = with_walked_pairs(ctx, constraint, found)
    yield from findings
    for rid, cuts in rest.items():
        yield Violation(
            message=f"{cuts[0].reason} ({cuts[0].label})",
            resources=(ArmId(rid),),
            evidence=ctx.cuts.evidence(cuts),
            key="walk",
        )
