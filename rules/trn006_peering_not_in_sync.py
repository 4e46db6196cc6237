from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class PeeringNotInSync(Rule):
    """A peering is not Connected, or its address space is out of sync.

    ## What it does
    Flags a VNet peering whose `peeringState` is not `Connected` (Initiated, Disconnected),
    or whose `peeringSyncLevel` is not `FullyInSync`.

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
        for peering in snapshot.peerings:
            problems = []
            if peering.peering_state is not None and not peering.connected:
                problems.append(f"state {peering.peering_state}")
            if peering.peering_sync_level is not None and peering.peering_sync_level.lower() != "fullyinsync":
                problems.append(f"sync level {peering.peering_sync_level}")
            if problems:
                yield Violation(
                    message=f"peering {peering.vnet_id.name}/{peering.id.name} to {peering.remote_vnet_id.name}: "
                    + " and ".join(problems),
                    resources=(peering.id,),
                    evidence={
                        "peeringState": peering.peering_state,
                        "peeringSyncLevel": peering.peering_sync_level,
                    },
                )
