from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import has_gateway, label, transit_gateways


class GatewayTransitUnused(Rule):
    """A gateway-less VNet is peered to a hub that offers its gateway, but does not use it.

    ## What it does
    Flags a VNet that has no VPN or ExpressRoute gateway of its own, is peered to a VNet with
    a working gateway whose peering towards it has `allowGatewayTransit = true`, and does not
    use remote gateways on any of its peerings.

    ## Why is this bad?
    The hub offers transit but the spoke never takes it: the spoke's address space is not
    advertised to on-premises or to VPN peers, and the spoke has no routes to on-premises
    prefixes. In a hub-and-spoke design this is almost always an omission made when the
    spoke peering was created (the flag can only be set once the hub gateway exists).

    ## Example
    Scenario `hub-spoke-transit-unused`: `hub-to-spoke` allows gateway transit, `spoke-to-hub`
    has `useRemoteGateways: false`, and the spoke has no gateway.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: `spoke-to-hub` has `useRemoteGateways: true`.

    ## Remediation
    `az network vnet peering update -g <spoke-rg> --vnet-name <spoke-vnet> -n <spoke-to-hub> --set useRemoteGateways=true`

    ## Known problems
    A spoke that is meant to be isolated from on-premises, or that reaches on-premises only
    through a network virtual appliance with user-defined routes, is reported too; turn off
    `allowGatewayTransit` on that hub peering, or ignore the finding for that spoke.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit
    - https://learn.microsoft.com/azure/expressroute/expressroute-faqs
    """

    id = "TRN002"
    name = "gateway-transit-unused"
    severity = Severity.WARNING
    summary = "A gateway-less VNet peered to a transit hub uses the hub's gateway."
    fixtures = RuleFixtures(
        triggers=("hub-spoke-transit-unused",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            if has_gateway(snapshot, vnet.id):
                continue
            peerings = snapshot.peerings_of(vnet.id)
            if any(p.use_remote_gateways for p in peerings):
                continue
            for peering in peerings:
                hub = peering.remote_vnet_id
                gateways = transit_gateways(snapshot, hub) if snapshot.vnet(hub) is not None else []
                back = snapshot.peering_between(hub, vnet.id)
                if not gateways or back is None or back.allow_gateway_transit is not True:
                    continue
                if peering.use_remote_gateways is None:
                    yield CoverageGap(
                        kind="not-evaluated",
                        resource=str(peering.id),
                        detail="useRemoteGateways is absent from the peering document",
                        rules=(self.id,),
                    )
                    continue
                names = ", ".join(sorted(g.id.name for g in gateways))
                yield Violation(
                    message=f"{vnet.display_name} has no gateway and {hub.name} offers gateway transit "
                    f"({label(back)}: allowGatewayTransit=true, gateways {names}), but {label(peering)} does not "
                    f"use remote gateways: {vnet.display_name} has no on-premises routes and is not advertised",
                    resources=(peering.id, back.id),
                    evidence={
                        "vnet": str(vnet.id),
                        "peering": str(peering.id),
                        "useRemoteGateways": peering.use_remote_gateways,
                        "hubPeering": str(back.id),
                        "allowGatewayTransit": True,
                        "hubGateways": sorted(str(g.id) for g in gateways),
                    },
                )
