from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Operation
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation, covers


class BgpRouteNeverWins(Rule):
    """A route learned from on-premises is equal to or inside a VNet's own or peered address space.

    ## What it does
    Reads each gateway's recorded learned routes and flags BGP-learned prefixes (origin EBgp or
    IBgp) that are equal to or inside the address space of the gateway's VNets, the spokes that
    use it, or any VNet peered with them.

    ## Why is this bad?
    System routes for the VNet's own and peered ranges win over BGP routes even when the BGP
    route is more specific: the advertisement never takes effect, and whoever meant to steer
    traffic with it (a "more specific" override from on-premises) is silently ignored. With
    gateway transit Azure may filter the prefix outright.

    ## Example
    Scenario `onprem-advertises-vnet-range`: the hub VPN gateway learns `10.11.30.0/27`, inside the
    spoke, from Location 1.

    ## Use instead
    Scenario `interop-testbed`: on-premises advertises its own ranges only.

    ## Remediation
    Filter the prefix on the on-premises router's advertisement towards Azure; to steer VNet
    traffic use user-defined routes (`az network route-table route create ...`).

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp
    """

    id = "UDR004"
    name = "bgp-route-never-wins"
    severity = Severity.WARNING
    summary = "No route learned from on-premises lies inside a VNet or peered address space."
    fixtures = RuleFixtures(triggers=("onprem-advertises-vnet-range",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        plane = ctx.control_plane
        for table in snapshot.gateway_routes:
            if table.operation is not Operation.GET_LEARNED_ROUTES:
                continue
            gateway = snapshot.gateway(table.gateway_id)
            hub = gateway.vnet_id if gateway else None
            if hub is None or hub not in plane.domains:
                continue
            spaces = []
            for vnet_id in plane.domains[hub].vnets:
                vnet = snapshot.vnet(vnet_id)
                spaces += [(p, vnet_id) for p in (vnet.address_prefixes if vnet else ())]
                for peering in snapshot.peerings_of(vnet_id):
                    remote = snapshot.vnet(peering.remote_vnet_id)
                    spaces += [
                        (p, peering.remote_vnet_id) for p in (remote.address_prefixes if remote else ())
                    ]
            reported: set[str] = set()
            for route in table.routes:
                if route.network is None or (route.origin or "").lower() not in ("ebgp", "ibgp"):
                    continue
                owner = next((v for p, v in spaces if covers(p, route.network)), None)
                if owner is not None and str(route.network) not in reported:
                    reported.add(str(route.network))
                    yield Violation(
                        message=f"gateway {table.gateway_id.name} learns {route.network} from {route.source_peer}, inside "
                        f"{owner.name}'s address space: the system route always wins",
                        resources=(table.gateway_id, owner),
                        evidence={
                            "prefix": str(route.network),
                            "sourcePeer": route.source_peer,
                            "asPath": list(route.as_path),
                        },
                        key=str(route.network),
                    )
