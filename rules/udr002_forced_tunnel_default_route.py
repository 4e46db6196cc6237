from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import parse_prefix
from auditor.rule_api import (
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    snapshot_relative,
    udr_gateway,
)


class ForcedTunnelDefaultRoute(Rule):
    """A default route learned from on-premises sends the VNets' Internet traffic on-premises.

    ## What it does
    Reports each way Internet-bound traffic is sent on-premises (forced tunnelling), naming what
    egresses where:
    - gateway domains whose gateways learn `0.0.0.0/0` (from a site's prefixes, a local network
      gateway's address space, or observed learned routes), and NICs whose observed effective
      routes hold a default route from the virtual network gateway;
    - VPN gateways with a default site (`gatewayDefaultSite`): the local network gateway all
      Internet-bound traffic the gateway receives is tunnelled to (azroute does not walk it: the
      `gateway-default-site` coverage gap stays);
    - subnets whose route table sends `0.0.0.0/0` to `VirtualNetworkGateway` where a VPN gateway
      alone serves the VNet: the finding names the gateway and where it sends the traffic on (its
      default site, or the peers it learns `0.0.0.0/0` from). With neither, the gateway has no
      route for Internet destinations and drops the traffic: a warning. Where the next hop is
      invalid (no gateway, an ExpressRoute gateway only, or ExpressRoute and VPN coexisting) GWS007
      reports the route as an error and this rule does not report it again.

    ## Why is this bad?
    It may be intended (forced tunnelling), but it changes every VM's Internet path, breaks
    Windows activation and direct inbound Internet access, and if the route is withdrawn the
    Azure Internet route silently comes back.

    ## Example
    Scenario `forced-tunnel`: the data centre advertises `0.0.0.0/0` over ExpressRoute. Design
    `designs/learn-forced-tunneling` (Microsoft's Default Site walkthrough): Midtier and Backend
    send `0.0.0.0/0` to the VPN gateway, whose default site is DefaultSiteHQ (info). Scenario
    `forced-tunnel-udr-no-default-site`: the spoke's route table sends `0.0.0.0/0` to the hub's VPN
    gateway (gateway transit), which has no default site and learns no default route (warning).

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: only specific prefixes come from on-premises.

    ## Remediation
    Confirm the intent; if Internet must be blocked when the route disappears, add an NSG rule:
    `az network nsg rule create ... --destination-address-prefixes Internet --access Deny`.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/about-site-to-site-tunneling
    - https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#default-route
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    """

    id = "UDR002"
    name = "forced-tunnel-default-route"
    severity = Severity.INFO
    summary = "No default route is learned from on-premises unless forced tunnelling is intended."
    fixtures = RuleFixtures(
        triggers=("forced-tunnel", "designs/learn-forced-tunneling", "forced-tunnel-udr-no-default-site"),
        passes=("er-vpn-equal-prefixes", "interop-testbed"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        default = parse_prefix("0.0.0.0/0")
        plane = ctx.control_plane
        learned: dict[ArmId, list[str]] = {}  # hub -> the peers its gateways learn 0.0.0.0/0 from
        for hub, rib in plane.domain_rib.items():
            sources = learned[hub] = sorted({a.peer for a in rib if a.prefix == default})
            if sources:
                yield Violation(
                    message=f"{hub.name}'s gateways learn 0.0.0.0/0 from {', '.join(sources)}: Internet traffic of its VNets goes on-premises",
                    resources=(hub,),
                    evidence={"learnedFrom": sources},
                    key=str(hub),
                )
        for table in snapshot.effective_routes:
            for route in table.routes:
                if (
                    default in route.address_prefixes
                    and (route.source or "").lower() == "virtualnetworkgateway"
                ):
                    yield Violation(
                        message=f"{table.nic_id.name}: observed default route through the virtual network gateway",
                        resources=(table.nic_id,),
                        evidence={"observation": snapshot_relative(table.file)},
                        key=str(table.nic_id),
                    )
        for gw in snapshot.gateways:
            site = gw.gateway_default_site_id
            if site is not None and gw.working and not gw.is_expressroute:
                yield Violation(
                    message=f"VPN gateway {gw.id.name} has default site {site.name}: Internet-bound traffic it "
                    f"receives is tunnelled to {site.name}",
                    resources=(gw.id, site),
                    evidence={"gatewayDefaultSite": str(site)},
                    key=str(gw.id),
                )
        yield from _udr_default_routes(ctx, learned)


def _udr_default_routes(ctx: RuleContext, learned: dict[ArmId, list[str]]) -> Iterator[Violation]:
    """Subnets whose route table sends 0.0.0.0/0 to a VPN gateway, and where it goes from there."""
    snapshot, plane = ctx.snapshot, ctx.control_plane
    for subnet in snapshot.subnets:
        if subnet.route_table_id is None:
            continue
        routes = [
            r
            for r in snapshot.routes_of(subnet.route_table_id)
            if r.address_prefix == "0.0.0.0/0" and r.next_hop_type.lower() == "virtualnetworkgateway"
        ]
        if not routes:
            continue
        hub = plane.domain_of_vnet.get(subnet.vnet_id)
        gateway, _ = udr_gateway(plane.domains.get(hub) if hub is not None else None)
        if gateway is None or hub is None:  # an invalid next hop: GWS007's error
            continue
        route = routes[0]
        site = gateway.gateway_default_site_id
        sources = learned.get(hub, [])
        if site is not None:
            onward, severity = f"which tunnels it to its default site {site.name}", None
        elif sources:
            onward, severity = f"which sends it on-premises to {', '.join(sources)} (0.0.0.0/0 learned)", None
        else:
            onward = "which has no default site and learns no 0.0.0.0/0: the traffic is dropped"
            severity = Severity.WARNING
        yield Violation(
            message=f"subnet {subnet.vnet_id.name}/{subnet.id.name}: route {subnet.route_table_id.name}/{route.id.name} "
            f"sends Internet-bound traffic (0.0.0.0/0) to VPN gateway {gateway.id.name}, {onward}",
            resources=(route.id, subnet.id, gateway.id),  # the route, its subnet, the gateway
            evidence={"gatewayDefaultSite": str(site) if site is not None else None, "learnedFrom": sources},
            key=str(subnet.id),
            severity=severity,
        )
