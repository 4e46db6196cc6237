from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import has_gateway


class RemoteGatewaysWithOwnGateway(Rule):
    """A VNet that has its own gateway also uses a remote VNet's gateways.

    ## What it does
    Flags a peering with `useRemoteGateways = true` on a VNet that holds a VPN or
    ExpressRoute gateway of its own.

    ## Why is this bad?
    ARM refuses the flag on a VNet with a gateway. Finding both means drift, a failed update,
    or a gateway deployed after the flag: the VNet's routes to on-premises are then ambiguous.

    ## Example
    Scenario `spoke-with-own-gateway`: the spoke has a VPN gateway and uses the hub's gateways.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: only the hub holds a gateway.

    ## Remediation
    Remove the spoke's gateway or turn the flag off:
    `az network vnet peering update -g <rg> --vnet-name <spoke> -n <peering> --set useRemoteGateways=false`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit
    """

    id = "TRN005"
    name = "remote-gateways-with-own-gateway"
    severity = Severity.ERROR
    summary = "A VNet with its own gateway does not use remote gateways."
    fixtures = RuleFixtures(
        triggers=("spoke-with-own-gateway",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for peering in snapshot.peerings:
            if peering.use_remote_gateways and has_gateway(snapshot, peering.vnet_id):
                own = [g.id for g in snapshot.gateways_of(peering.vnet_id)]
                yield Violation(
                    message=f"{peering.vnet_id.name} has its own gateway ({', '.join(g.name for g in own)}) but its peering "
                    f"{peering.id.name} uses {peering.remote_vnet_id.name}'s gateways",
                    resources=(peering.id, *own),
                    evidence={"peering": str(peering.id), "ownGateways": [str(g) for g in own]},
                )
