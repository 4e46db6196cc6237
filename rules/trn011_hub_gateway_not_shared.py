from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import has_gateway, label, transit_gateways


class HubGatewayNotShared(Rule):
    """A VNet with a gateway is peered with gateway-less VNets that can never reach on-premises.

    ## What it does
    For every VNet with a working VPN or ExpressRoute gateway, flags each peered VNet that has no
    gateway of its own when neither side enables gateway transit: the spoke's peering does not set
    `useRemoteGateways` and the hub's peering does not set `allowGatewayTransit`. (When only one of
    the two is missing, TRN001 or TRN002 reports it.)

    ## Why is this bad?
    The spoke learns no on-premises route and the hub's gateways do not advertise the spoke's
    address space, so nothing on-premises can reach it either. In a hub-and-spoke design this is
    almost always an omission of both flags when the peering was created.

    ## Example
    Scenario `hub-gateway-not-shared`: the hub has a VPN gateway, the spoke's peering has
    `useRemoteGateways: false` and the hub's `allowGatewayTransit: false`.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: the hub allows transit and the spoke uses remote gateways.

    ## Remediation
    `az network vnet peering update -g <rg> --vnet-name <hub> -n <hub-to-spoke> --set allowGatewayTransit=true`
    then `az network vnet peering update -g <rg> --vnet-name <spoke> -n <spoke-to-hub> --set useRemoteGateways=true`

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview#gateways-and-on-premises-connectivity
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit
    """

    id = "TRN011"
    name = "hub-gateway-not-shared"
    severity = Severity.WARNING
    summary = "Gateway-less VNets peered with a VNet that has a gateway use it through transit."
    fixtures = RuleFixtures(
        triggers=("hub-gateway-not-shared",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for hub in snapshot.vnets:
            gateways = transit_gateways(snapshot, hub.id)
            if not gateways:
                continue
            for back in snapshot.peerings_of(hub.id):
                spoke = snapshot.vnet(back.remote_vnet_id)
                if spoke is None or has_gateway(snapshot, spoke.id):
                    continue
                peering = snapshot.peering_between(spoke.id, hub.id)
                if peering is None:
                    continue  # a one-sided peering: TRN006 reports it
                if peering.use_remote_gateways or back.allow_gateway_transit:
                    continue  # TRN001 / TRN002 territory, or working transit
                if peering.use_remote_gateways is None or back.allow_gateway_transit is None:
                    yield CoverageGap(
                        kind="not-evaluated",
                        resource=str(peering.id if peering.use_remote_gateways is None else back.id),
                        detail="useRemoteGateways or allowGatewayTransit is absent from the peering document",
                        rules=(self.id,),
                    )
                    continue
                if any(p.use_remote_gateways for p in snapshot.peerings_of(spoke.id)):
                    continue  # the spoke uses another hub's gateways
                names = ", ".join(sorted(g.id.name for g in gateways))
                yield Violation(
                    message=f"{spoke.display_name} has no gateway and is peered with {hub.display_name} (gateways {names}), "
                    f"but neither {label(peering)} uses remote gateways nor {label(back)} allows gateway transit: "
                    f"{spoke.display_name} cannot reach on-premises and is not advertised there",
                    resources=(peering.id, back.id),
                    evidence={
                        "spoke": str(spoke.id),
                        "hub": str(hub.id),
                        "hubGateways": sorted(str(g.id) for g in gateways),
                        "useRemoteGateways": False,
                        "allowGatewayTransit": False,
                    },
                )
