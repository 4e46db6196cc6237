from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class MultipleRemoteGatewayPeerings(Rule):
    """A VNet uses remote gateways on more than one peering.

    ## What it does
    Flags a VNet with `useRemoteGateways = true` on two or more of its peerings.

    ## Why is this bad?
    ARM allows the flag on one peering only: a VNet can take its gateway routes from one hub.
    Finding it twice means a failed or half-applied change, and which hub's routes the VNet
    really gets is undefined.

    ## Example
    Scenario `dual-hub-remote-gateways`: `spoke-vnet` uses remote gateways towards two hubs.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: one peering uses remote gateways.

    ## Remediation
    Keep one: `az network vnet peering update -g <rg> --vnet-name <spoke> -n <other-peering> --set useRemoteGateways=false`

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering
    """

    id = "TRN004"
    name = "multiple-remote-gateway-peerings"
    severity = Severity.ERROR
    summary = "A VNet uses remote gateways on at most one peering."
    fixtures = RuleFixtures(
        triggers=("dual-hub-remote-gateways",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for vnet in snapshot.vnets:
            using = [p for p in snapshot.peerings_of(vnet.id) if p.use_remote_gateways]
            if len(using) > 1:
                hubs = ", ".join(p.remote_vnet_id.name for p in using)
                yield Violation(
                    message=f"{vnet.display_name} uses remote gateways on {len(using)} peerings (towards {hubs}); only one is allowed",
                    resources=(vnet.id, *(p.id for p in using)),
                    evidence={"vnet": str(vnet.id), "peerings": [str(p.id) for p in using]},
                )
