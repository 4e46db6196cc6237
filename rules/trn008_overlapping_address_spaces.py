from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import IPNetwork, VirtualNetwork
from auditor.rule_api import CoverageGap, PrefixIndex, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import overlaps


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

    ## Why is this bad?
    Peered VNets must not overlap (the peering fails or stays out of sync). A VNet range that
    also exists on-premises is ambiguous: the VNet's own system route wins inside Azure, so the
    on-premises hosts in that range are unreachable from it, and with gateway transit Azure filters
    the exact prefix anyway.

    ## Example
    Scenario `overlapping-onprem`: the office LNG advertises `10.11.30.0/26`, inside the spoke's
    space.

    ## Use instead
    Scenario `onprem-summary-route`: the site advertises the summary `10.0.0.0/8`, which contains
    every VNet; Azure keeps the VNet routes and sends the rest on-premises. Scenario
    `onprem-default-route`: the site advertises `0.0.0.0/0` (forced tunnelling). Scenario
    `hub-spoke-transit-ok`: disjoint address plans.

    ## Remediation
    Renumber one side, or narrow what on-premises advertises:
    `az network local-gateway update -g <rg> -n <lng> --local-address-prefixes <non-overlapping prefixes>`

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#how-azure-selects-a-route
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    """

    id = "TRN008"
    name = "overlapping-address-spaces"
    severity = Severity.ERROR
    summary = "Peered VNets are disjoint and on-premises advertises no range of a VNet it reaches."
    fixtures = RuleFixtures(
        triggers=("overlapping-onprem",),
        passes=("hub-spoke-transit-ok", "interop-testbed", "onprem-summary-route", "onprem-default-route"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        yield from _peered(ctx)
        yield from _onprem(ctx)


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


def _sources(ctx: RuleContext) -> list[tuple[str, ArmId | None, IPNetwork, ArmId]]:
    """(what, resource, on-premises prefix, the hub of a domain it reaches)."""
    plane = ctx.control_plane
    out: dict[tuple[str, str, str], tuple[str, ArmId | None, IPNetwork, ArmId]] = {}
    from_lngs: set[tuple[IPNetwork, ArmId]] = set()
    for hub, domain in plane.domains.items():
        for conn, lng in domain.vpn_links:
            hosts = set(lng.bgp_settings.addresses) if conn.enable_bgp and lng.bgp_settings else set()
            for prefix in lng.address_prefixes or ():
                if prefix.num_addresses == 1 and str(prefix.network_address) in hosts:
                    continue  # the BGP peer's host route (Microsoft's documented pattern)
                what = f"local network gateway {lng.id.name}"
                out.setdefault((what, str(prefix), hub.key), (what, lng.id, prefix, hub))
                from_lngs.add((prefix, hub))
        for site in plane.sites:
            reaches = any(c in site.circuit_ids for _, c in domain.er_links) or any(
                lng.id in site.lng_ids for _, lng in domain.vpn_links
            )
            if not reaches:
                continue
            for prefix in dict.fromkeys(
                [*site.prefixes, *(p for lk in site.links for p in lk.prefixes or ())]
            ):
                if (prefix, hub) in from_lngs:
                    continue
                what = f"site {site.name}"
                out.setdefault((what, str(prefix), hub.key), (what, None, prefix, hub))
    return [out[k] for k in sorted(out)]


def _onprem(ctx: RuleContext) -> Iterator[Violation]:
    snapshot, plane = ctx.snapshot, ctx.control_plane
    indexes: dict[ArmId, PrefixIndex[tuple[IPNetwork, VirtualNetwork, bool]]] = {}
    for what, rid, other, hub in _sources(ctx):
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
