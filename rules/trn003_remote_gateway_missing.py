from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    REMOTE_GATEWAY_MISSING,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import label, transit_gateways, withheld_findings


class RemoteGatewayMissing(Rule):
    """A peering uses remote gateways, but the remote VNet has no working gateway.

    ## What it does
    Flags a VNet peering with `useRemoteGateways = true` whose remote VNet has no VPN or
    ExpressRoute gateway in the snapshot, or only gateways whose `provisioningState` is not
    `Succeeded` or whose `adminState` is `Disabled`.

    ## Why is this bad?
    The spoke relies on the hub's gateway for every route to on-premises and to VPN peers.
    Without a working gateway in the hub there is no transit: ARM normally refuses the flag in
    that case, so finding it means the gateway was deleted or failed afterwards, or the check
    was bypassed with `doNotVerifyRemoteGateways`.

    ## Example
    Scenario `hub-spoke-no-hub-gateway`: `spoke-to-hub` uses remote gateways, the hub has none.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: the hub holds a working VPN gateway.

    ## Remediation
    Redeploy the hub gateway (`az network vnet-gateway create ...`), or turn the flag off:
    `az network vnet peering update -g <spoke-rg> --vnet-name <spoke-vnet> -n <spoke-to-hub> --set useRemoteGateways=false`

    ## Known problems
    A gateway kept in a resource group or subscription that was not collected is invisible;
    audit the hub's resource group too.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering
    """

    id = "TRN003"
    name = "remote-gateway-missing"
    severity = Severity.ERROR
    summary = "A peering that uses remote gateways points to a VNet with a working gateway."
    fixtures = RuleFixtures(
        triggers=("hub-spoke-no-hub-gateway",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, REMOTE_GATEWAY_MISSING, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for peering in snapshot.peerings:
            if not peering.use_remote_gateways:
                continue
            remote = peering.remote_vnet_id
            if snapshot.vnet(remote) is None:
                yield CoverageGap(
                    kind="not-evaluated",
                    resource=str(peering.id),
                    detail=f"remote VNet {remote.name} is outside the snapshot; its gateways cannot be checked",
                    rules=(self.id,),
                )
                continue
            if transit_gateways(snapshot, remote):
                continue
            present = snapshot.gateways_of(remote)
            states = {
                str(g.id): {
                    "gatewayType": g.gateway_type,
                    "provisioningState": g.provisioning_state,
                    "adminState": g.admin_state,
                }
                for g in present
            }
            why = "has no VPN or ExpressRoute gateway" if not present else "has no working gateway"
            yield Violation(
                message=f"{label(peering)} uses remote gateways, but {remote.name} {why}: "
                f"{peering.vnet_id.name} has no gateway transit",
                resources=(peering.id, remote),
                evidence={
                    "peering": str(peering.id),
                    "remoteVirtualNetwork": str(remote),
                    "remoteGateways": states,
                },
            )
