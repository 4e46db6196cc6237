from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.ids import ArmId
from auditor.model import IPNetwork, VirtualNetwork, parse_prefix
from auditor.rule_api import (
    OWN_ADDRESS_SPACE,
    CoverageGap,
    Cut,
    OverlapIndex,
    PrefixIndex,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import natted, overlaps, with_walked_pairs


class OverlappingAddressSpaces(Rule):
    """Address spaces overlap across peered VNets, or on-premises advertises a VNet's own range.

    ## What it does
    Compares the address spaces of every pair of peered VNets, and the prefixes each on-premises
    site (declared or inferred) and each local network gateway's static space bring to the gateway
    domains they connect to: the VNet holding the gateways and the spokes that use them.
    - error: peered VNets overlap; an on-premises prefix equals a VNet of the domain; an
      on-premises prefix lies inside such a VNet's range.
    - info: an on-premises prefix equals the range of a VNet peered with the domain's hub that does
      not use its gateways (a deliberate advertisement the VPN FAQ allows when transit is off).
    - warning: an on-premises prefix lies inside such a peered VNet's range (the hub cannot reach it).
    An on-premises prefix that *contains* a VNet range is a summary (`10.0.0.0/8`) or a default
    route (`0.0.0.0/0`, forced tunnelling): it is not an overlap. Azure's VNet and peering system
    routes win over BGP routes, so the VNets still reach each other and on-premises gets the rest.
    An overlap that reaches the domain only over connections applying NAT rules (`ingressNatRules`,
    `egressNatRules`) is not judged: NAT exists to connect overlapping networks, and azroute does not
    model it. The connection's `vpn-nat-rule` coverage gap lists TRN008 and names the overlap instead.
    The routing subnets of each ExpressRoute private peering (`primaryPeerAddressPrefix`,
    `secondaryPeerAddressPrefix`) are compared with every VNet's address space: "The address
    range used for configuring routes can't overlap with address ranges used for virtual networks
    in Azure" (error when the VNet's gateway domain links the circuit, warning otherwise).
    `evidence.pairs` lists the walked pairs (`azroute paths`) that end inside the VNet for an address
    of the overlap (capped, with `pairCount`; `[]` when no walked pair does); a walk that ends in a
    VNet no overlap above names is reported as the walk found it.

    ## Why is this bad?
    Peered VNets must not overlap (the peering fails or stays out of sync). A VNet range that
    also exists on-premises is ambiguous: the VNet's own system route wins inside Azure, so the
    on-premises hosts in that range are unreachable from it, and with gateway transit Azure filters
    the exact prefix anyway.

    ## Example
    Scenario `overlapping-onprem`: the office LNG advertises `10.11.30.0/26`, inside the spoke's
    space. Scenario `er-peering-subnet-overlaps-vnet`: the circuit's private peering uses
    `10.0.254.0/30` and `10.0.254.4/30`, inside the address space of the hub it is linked to.

    ## Use instead
    Scenario `onprem-summary-route`: the site advertises the summary `10.0.0.0/8`, which contains
    every VNet; Azure keeps the VNet routes and sends the rest on-premises. Scenario
    `onprem-default-route`: the site advertises `0.0.0.0/0` (forced tunnelling). Scenario
    `hub-spoke-transit-ok`: disjoint address plans. Design `designs/learn-vpn-gateway-nat`
    (Microsoft's VPN Gateway NAT walkthrough): the VNet and both branches use `10.0.1.0/24`, with
    static NAT rules on both connections; no finding, a `vpn-nat-rule` gap per connection.

    ## Remediation
    Renumber one side, or narrow what on-premises advertises:
    `az network local-gateway update -g <rg> -n <lng> --local-address-prefixes <non-overlapping prefixes>`,
    or translate one side with NAT rules on the VPN connection
    (`az network vnet-gateway nat-rule add ...`, then the connection's `ingressNatRules`/`egressNatRules`).
    For a private peering, move its routing subnets out of the VNet ranges:
    `az network express-route peering update -g <rg> --circuit-name <circuit> -n AzurePrivatePeering --primary-peer-subnet <x.x.x.x/30> --secondary-peer-subnet <x.x.x.x/30>`.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#how-azure-selects-a-route
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    - https://learn.microsoft.com/azure/vpn-gateway/nat-overview
    - https://learn.microsoft.com/azure/vpn-gateway/nat-howto
    """

    id = "TRN008"
    name = "overlapping-address-spaces"
    severity = Severity.ERROR
    summary = "Peered VNets are disjoint; on-premises prefixes and private peering subnets use no VNet range."
    fixtures = RuleFixtures(
        triggers=("overlapping-onprem", "er-peering-subnet-overlaps-vnet"),
        passes=(
            "hub-spoke-transit-ok",
            "interop-testbed",
            "onprem-summary-route",
            "onprem-default-route",
            "designs/learn-vpn-gateway-nat",
        ),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        findings, rest = with_walked_pairs(
            ctx, OWN_ADDRESS_SPACE, [*_peered(ctx), *_onprem(ctx), *_peering_subnets(ctx)], _in_overlap
        )
        yield from findings
        for rid, cuts in rest.items():  # the walk found an address held by a VNet no overlap above names
            vnet = ArmId(rid)
            yield Violation(
                message=f"{cuts[0].reason} ({cuts[0].label})",
                resources=(vnet,),
                evidence={"vnet": str(vnet), **ctx.cuts.evidence(cuts)},
                key="walk",
            )


def _in_overlap(finding: Violation, cut: Cut) -> bool:
    """The walk ended inside the VNet for an address in the overlap the finding names."""
    ends = [parse_prefix(finding.evidence[k]) for k in ("prefix", "otherPrefix")]
    return all(p.version == cut.address.version and cut.address in p for p in ends)


def _peered(ctx: RuleContext) -> Iterator[Violation]:
    snapshot = ctx.snapshot
    seen: set[tuple[str, str]] = set()
    for vnet in snapshot.vnets:
        for prefix in vnet.address_prefixes:
            for peering in snapshot.peerings_of(vnet.id):
                remote = snapshot.vnet(peering.remote_vnet_id)
                for rp in remote.address_prefixes if remote else ():
                    a, b = f"{vnet.id.key}|{prefix}", f"{peering.remote_vnet_id.key}|{rp}"
                    key = (min(a, b), max(a, b))
                    if overlaps(prefix, rp) and key not in seen:
                        seen.add(key)
                        yield Violation(
                            message=f"peered VNets {vnet.display_name} ({prefix}) and {peering.remote_vnet_id.name} "
                            f"({rp}) overlap",
                            resources=(vnet.id, peering.remote_vnet_id),
                            evidence={"prefix": str(prefix), "otherPrefix": str(rp)},
                            key=f"{prefix}|{rp}",
                        )


def _peering_subnets(ctx: RuleContext) -> Iterator[Violation]:
    """The /30 subnets of each ExpressRoute private peering that overlap a VNet's address
    space: an error for a VNet whose gateway domain links the circuit, a warning for any other."""
    snapshot, plane = ctx.snapshot, ctx.control_plane
    peerings = [p for p in snapshot.circuit_peerings if p.is_private]
    if not peerings:
        return
    spaces = OverlapIndex([(p, v) for v in snapshot.vnets for p in v.address_prefixes], lambda r: r[0])
    linked: dict[ArmId, set[ArmId]] = {}  # circuit -> the hubs of the domains linking it
    for hub, domain in plane.domains.items():
        for _, circuit_id in domain.er_links:
            linked.setdefault(circuit_id, set()).add(hub)
    for peering in peerings:
        hits: dict[tuple[str, str], tuple[IPNetwork, VirtualNetwork, list[tuple[str, IPNetwork]]]] = {}
        for link, other in (
            ("primary", peering.primary_peer_address_prefix),
            ("secondary", peering.secondary_peer_address_prefix),
        ):
            if other is None:
                continue
            for prefix, vnet in spaces.overlapping(other):
                hits.setdefault((vnet.id.key, str(prefix)), (prefix, vnet, []))[2].append((link, other))
        for key in sorted(hits):
            prefix, vnet, links = hits[key]
            its_hub = plane.domain_of_vnet.get(vnet.id)
            is_linked = its_hub is not None and its_hub in linked.get(peering.circuit_id, set())
            where = "linked to the circuit" if is_linked else "not linked to the circuit"
            what = f"circuit {peering.circuit_id.name}'s private peering"
            subnets = ", ".join(f"{p} ({link})" for link, p in links)
            yield Violation(
                message=f"{vnet.display_name} ({prefix}) overlaps {what} subnets {subnets}, and a peering's "
                f"routing subnets must not overlap VNet address spaces (the VNet is {where})",
                resources=(vnet.id, peering.id),
                evidence={
                    "prefix": str(prefix),
                    "otherPrefix": str(links[0][1]),
                    "other": what,
                    "peerSubnets": [str(p) for _, p in links],
                    "linked": is_linked,
                },
                key=f"{prefix}|{peering.id}",
                severity=None if is_linked else Severity.WARNING,
            )


@dataclass
class _Source:
    """An on-premises prefix that reaches a gateway domain, and how: over a link that translates
    nothing (`plain`), or only over connections that apply NAT rules (`nat`)."""

    what: str
    rid: ArmId | None
    prefix: IPNetwork
    hub: ArmId
    plain: bool = False
    nat: dict[ArmId, None] = field(default_factory=dict)


def _sources(ctx: RuleContext) -> list[_Source]:
    """Every on-premises prefix with the hub of a domain it reaches."""
    plane = ctx.control_plane
    out: dict[tuple[str, str, str], _Source] = {}
    texts: dict[int, str] = {}  # a prefix's text, once per prefix object (sites repeat per domain)

    def add(what: str, rid: ArmId | None, prefix: IPNetwork, hub: ArmId, nat: ArmId | None) -> None:
        text = texts.get(id(prefix))
        if text is None:
            text = texts[id(prefix)] = str(prefix)
        key = (what, text, hub.key)
        source = out.get(key)
        if source is None:
            source = out[key] = _Source(what, rid, prefix, hub)
        if nat is None:
            source.plain = True
        else:
            source.nat[nat] = None

    # the sites behind each circuit and each local network gateway (by position): a domain is
    # asked only about the sites it has a link to
    by_circuit: dict[ArmId, list[int]] = {}
    by_lng: dict[ArmId, list[int]] = {}
    for i, site in enumerate(plane.sites):
        for circuit_id in site.circuit_ids:
            by_circuit.setdefault(circuit_id, []).append(i)
        for lng_id in site.lng_ids:
            by_lng.setdefault(lng_id, []).append(i)
    # Only a prefix some VNet's address space equals or contains can overlap (`_onprem` asks no
    # more of it): the others are left out here, once, rather than asked about in every domain.
    spaces = PrefixIndex([p for v in ctx.snapshot.vnets for p in v.address_prefixes], lambda p: p)
    # each site's prefixes, declared and per link, once (every domain linked to the site asks)
    site_prefixes = [
        [
            p
            for p in dict.fromkeys([*site.prefixes, *(p for lk in site.links for p in lk.prefixes or ())])
            if spaces.covers(p)
        ]
        for site in plane.sites
    ]
    for hub, domain in plane.domains.items():
        from_lngs: set[IPNetwork] = set()
        linked = {i for _, c in domain.er_links for i in by_circuit.get(c, ())}
        linked |= {i for _, lng in domain.vpn_links for i in by_lng.get(lng.id, ())}
        for conn, lng in domain.vpn_links:
            hosts = set(lng.bgp_settings.addresses) if conn.enable_bgp and lng.bgp_settings else set()
            for prefix in lng.address_prefixes or ():
                if prefix.num_addresses == 1 and str(prefix.network_address) in hosts:
                    continue  # the BGP peer's host route (Microsoft's documented pattern)
                if not spaces.covers(prefix):
                    continue
                add(
                    f"local network gateway {lng.id.name}",
                    lng.id,
                    prefix,
                    hub,
                    conn.id if natted(conn) else None,
                )
                from_lngs.add(prefix)
        for i in sorted(linked):
            site = plane.sites[i]
            plain = any(c in site.circuit_ids for _, c in domain.er_links) or any(
                lng.id in site.lng_ids and not natted(conn) for conn, lng in domain.vpn_links
            )
            nat = [conn.id for conn, lng in domain.vpn_links if lng.id in site.lng_ids and natted(conn)]
            if not plain and not nat:
                continue
            what = f"site {site.name}"
            for prefix in site_prefixes[i]:
                if from_lngs and prefix in from_lngs:
                    continue
                for via in [None] if plain else nat:
                    add(what, None, prefix, hub, via)
    return [out[k] for k in sorted(out)]


def _onprem(ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
    snapshot, plane = ctx.snapshot, ctx.control_plane
    indexes: dict[ArmId, PrefixIndex[tuple[IPNetwork, VirtualNetwork, bool]]] = {}
    across_nat: dict[ArmId, list[str]] = {}  # NAT'd connection -> the overlaps left to its gap
    for source in _sources(ctx):
        what, rid, other, hub = source.what, source.rid, source.prefix, source.hub
        domain = plane.domains[hub]
        if hub not in indexes:  # the domain's VNets and the VNets peered with them, by prefix
            members = set(domain.vnets)
            peered = [
                p.remote_vnet_id
                for member in domain.vnets
                for p in snapshot.peerings_of(member)
                if p.remote_vnet_id not in members and p.connected
            ]
            rows = []
            for vnet_id in [*domain.vnets, *dict.fromkeys(peered)]:
                vnet = snapshot.vnet(vnet_id)
                if vnet is not None:
                    rows += [(prefix, vnet, vnet_id in members) for prefix in vnet.address_prefixes]
            indexes[hub] = PrefixIndex(rows, lambda r: r[0])
        # only VNet prefixes equal to or containing the on-premises prefix: a summary or a
        # default route that contains a VNet is not an overlap
        for group in indexes[hub].covering(other):
            for prefix, vnet, in_domain in group:
                if not source.plain:  # only over NAT'd connections: not judged until NAT is modelled
                    for conn in source.nat:
                        across_nat.setdefault(conn, []).append(
                            f"{vnet.display_name} ({prefix}) with {what} ({other})"
                        )
                    continue
                equal = other == prefix
                severity = None if in_domain else Severity.INFO if equal else Severity.WARNING
                how = "is the range of" if equal else "lies inside"
                where = (
                    f"a VNet of {domain.name}'s gateway domain"
                    if in_domain
                    else f"a VNet peered with {domain.name} that does not use its gateways"
                )
                yield Violation(
                    message=f"{vnet.display_name} ({prefix}) overlaps {what} ({other}): the on-premises prefix "
                    f"{how} {where}",
                    resources=(vnet.id, *((rid,) if rid else ())),
                    evidence={
                        "prefix": str(prefix),
                        "otherPrefix": str(other),
                        "other": what,
                        "domain": domain.name,
                        "inDomain": in_domain,
                    },
                    key=f"{prefix}|{what}|{other}",
                    severity=severity,
                )
    for conn, overlaps_ in sorted(across_nat.items(), key=lambda kv: kv[0].key):
        yield CoverageGap(
            kind="unmodelled",
            resource=str(conn),
            detail=f"overlap of {', '.join(dict.fromkeys(overlaps_))} across this NAT'd connection not judged (TRN008) "
            "until NAT is modelled",
            rules=("TRN008",),
            feature="vpn-nat-rule",
        )
