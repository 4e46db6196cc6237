from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.rule_api import (
    GATEWAY_NEXT_HOP_INVALID,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    udr_gateway,
)
from rules._helpers import with_walked_pairs


class UdrToUnsupportedGateway(Rule):
    """A user-defined route names the virtual network gateway where that is not allowed.

    ## What it does
    Flags routes with next hop `VirtualNetworkGateway` in route tables attached to subnets of
    a VNet that no VPN gateway alone serves: no gateway (its own, or its hub's through gateway
    transit), an ExpressRoute gateway only, or ExpressRoute and VPN coexisting. The walk ends at
    such a route; the finding lists the walked pairs it drops. Where a VPN gateway alone serves
    the VNet, the walk follows the route into that gateway, which routes the traffic as it routes
    what arrives over a VPN tunnel.

    ## Why is this bad?
    The next hop type works for VPN gateways only, and not when ExpressRoute and VPN coexist or
    when no gateway serves the VNet: the route is invalid and the traffic it covers is dropped. A
    `0.0.0.0/0` route of this kind is forced tunnelling that does not work: the message says the
    subnet's Internet-bound traffic is dropped (UDR002 reports working forced tunnelling).

    ## Example
    Scenario `udr-to-expressroute-gateway`: a subnet's route sends `10.2.0.0/16` to the virtual
    network gateway of an ExpressRoute-only hub.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: gateway routes come from BGP, no UDR names the gateway.

    ## Remediation
    `az network route-table route delete -g <rg> --route-table-name <rt> -n <route>` and let BGP
    propagate the on-premises prefixes.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """

    id = "GWS007"
    name = "udr-to-unsupported-gateway"
    severity = Severity.ERROR
    summary = "UDRs name the virtual network gateway only in VNets with a VPN gateway alone."
    fixtures = RuleFixtures(
        triggers=("udr-to-expressroute-gateway",), passes=("er-vpn-equal-prefixes", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        plane = ctx.control_plane
        found: list[Violation | CoverageGap] = []
        for subnet in snapshot.subnets:
            if subnet.route_table_id is None:
                continue
            hub = plane.domain_of_vnet.get(subnet.vnet_id)
            gateway, why = udr_gateway(plane.domains.get(hub) if hub is not None else None)
            if gateway is not None:
                continue
            for route in snapshot.routes_of(subnet.route_table_id):
                if route.next_hop_type.lower() == "virtualnetworkgateway":
                    found.append(
                        Violation(
                            message=f"route {subnet.route_table_id.name}/{route.id.name} sends {route.address_prefix} to "
                            f"the virtual network gateway, which is invalid for {subnet.vnet_id.name}: {why}"
                            + (
                                " (forced tunnelling: the subnet's Internet-bound traffic is dropped, not sent on-premises)"
                                if route.address_prefix == "0.0.0.0/0"
                                else ""
                            ),
                            resources=(route.id, subnet.id),
                            evidence={
                                "route": str(route.id),
                                "gateways": [str(g.id) for g in snapshot.gateways_of(hub)] if hub else [],
                            },
                            key=str(subnet.id),
                        )
                    )
        # the walked pairs the invalid route ends (the walk names the route as the cause)
        findings, rest = with_walked_pairs(ctx, GATEWAY_NEXT_HOP_INVALID, found)
        yield from findings
        for rid, cuts in rest.items():  # the walk found an invalid gateway route no finding names
            yield Violation(
                message=f"{cuts[0].reason} ({cuts[0].label})",
                resources=(ArmId(rid),),
                evidence={"route": rid, **ctx.cuts.evidence(cuts)},
                key="walk",
            )
