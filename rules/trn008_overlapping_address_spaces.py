from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import IPNetwork
from auditor.rule_api import CoverageGap, OverlapIndex, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import overlaps


class OverlappingAddressSpaces(Rule):
    """Address spaces overlap across peered VNets, local network gateways and on-premises sites.

    ## What it does
    Compares the address spaces of every pair of peered VNets, of each VNet with every local
    network gateway's static space and every declared site's prefixes, and flags overlaps.

    ## Why is this bad?
    Peered VNets must not overlap (the peering fails or stays out of sync). A VNet range that
    also exists on-premises is ambiguous: the VNet's own system route wins inside Azure, so the
    on-premises hosts in that range are unreachable from it, and traffic from on-premises may go
    the wrong way.

    ## Example
    Scenario `overlapping-onprem`: the office LNG advertises `10.1.0.0/16`, the spoke's space.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: disjoint address plans.

    ## Remediation
    Renumber one side, or narrow the LNG's space:
    `az network local-gateway update -g <rg> -n <lng> --local-address-prefixes <non-overlapping prefixes>`

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    """

    id = "TRN008"
    name = "overlapping-address-spaces"
    severity = Severity.ERROR
    summary = "Peered VNets, local network gateways and sites use disjoint address spaces."
    fixtures = RuleFixtures(
        triggers=("overlapping-onprem",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        others: list[tuple[str, ArmId | None, IPNetwork]] = []
        for lng in snapshot.local_network_gateways:
            others += [
                (f"local network gateway {lng.id.name}", lng.id, p) for p in lng.address_prefixes or ()
            ]
        for site in ctx.site_views():
            if site.declared:
                others += [(f"site {site.name}", None, p) for p in site.prefixes]
        index = OverlapIndex(others, lambda o: o[2])
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
                for what, rid, other in sorted(index.overlapping(prefix), key=lambda o: (o[0], str(o[2]))):
                    yield Violation(
                        message=f"{vnet.display_name} ({prefix}) overlaps {what} ({other})",
                        resources=(vnet.id, *((rid,) if rid else ())),
                        evidence={"prefix": str(prefix), "otherPrefix": str(other), "other": what},
                        key=f"{prefix}|{what}|{other}",
                    )
