from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.rule_api import (
    PEERING_NOT_CONNECTED,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import with_walked_pairs


class PeeringNotInSync(Rule):
    """A peering is not Connected, or its address space is out of sync.

    ## What it does
    Flags a VNet peering whose `peeringState` is not `Connected` (Initiated, Disconnected),
    whose remote VNet is in the snapshot without a peering back (the other side was deleted:
    Azure shows this side Disconnected, whatever a planned document still says; a side that uses
    remote gateways is TRN001's finding, which names the missing peering back), or whose
    `peeringSyncLevel` is not `FullyInSync`. A peering that is not Connected installs
    no routes (the walk finds none across it) and carries nothing towards an appliance a route
    sends there (the walk ends at it): `evidence.pairs` lists the walked pairs (`azroute paths`)
    that end at the peering (capped, with `pairCount`; `[]` when none does).

    ## Why is this bad?
    A peering that is not Connected carries no traffic, and the routes built on it (gateway
    transit, spoke prefixes advertised to on-premises) are absent. A peering out of sync still
    uses the remote VNet's old address space: new ranges are unreachable across it.

    ## Example
    Scenario `peering-disconnected`: the hub's peering to the spoke is `Disconnected`.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: both peerings Connected and FullyInSync.

    ## Remediation
    Recreate the missing side, or sync the address space:
    `az network vnet peering sync -g <rg> --vnet-name <vnet> -n <peering>`

    ## References
    - https://learn.microsoft.com/azure/virtual-network/update-virtual-network-peering-address-space
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering
    """

    id = "TRN006"
    name = "peering-not-in-sync"
    severity = Severity.WARNING
    summary = "Every peering is Connected and fully in sync."
    fixtures = RuleFixtures(
        triggers=("peering-disconnected",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        found: list[Violation | CoverageGap] = []
        for peering in snapshot.peerings:
            problems = []
            if peering.peering_state is not None and not peering.connected:
                problems.append(f"state {peering.peering_state}")
            elif snapshot.peering_back_missing(peering) and not peering.use_remote_gateways:
                # a side that uses remote gateways without a peering back is TRN001's finding
                problems.append(
                    f"{peering.remote_vnet_id.name} has no peering back (Azure shows this side Disconnected)"
                )
            if peering.peering_sync_level is not None and peering.peering_sync_level.lower() != "fullyinsync":
                problems.append(f"sync level {peering.peering_sync_level}")
            if problems:
                found.append(
                    Violation(
                        message=f"peering {peering.vnet_id.name}/{peering.id.name} to {peering.remote_vnet_id.name}: "
                        + " and ".join(problems),
                        resources=(peering.id,),
                        evidence={
                            "peeringState": peering.peering_state,
                            "peeringSyncLevel": peering.peering_sync_level,
                        },
                    )
                )
        findings, rest = with_walked_pairs(ctx, PEERING_NOT_CONNECTED, found)
        yield from findings
        for rid, cuts in rest.items():  # a peering the walk finds carrying nothing
            yield Violation(
                message=f"{cuts[0].reason} ({cuts[0].label})",
                resources=(ArmId(rid),),
                evidence=ctx.cuts.evidence(cuts),
                key="walk",
            )
