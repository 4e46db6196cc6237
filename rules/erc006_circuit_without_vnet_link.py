from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class CircuitWithoutVnetLink(Rule):
    """An ExpressRoute circuit's private peering reaches no virtual network.

    ## What it does
    Flags a circuit with an enabled private peering that no connection in the snapshot links to a
    VNet gateway and that has no Global Reach link. When one of the circuit's authorizations is
    `InUse`, another subscription redeemed it and a VNet outside the snapshot is probably linked:
    that is a coverage gap of kind `linked-outside-snapshot`, not a finding.

    ## Why is this bad?
    A provisioned circuit that carries no VNet routes costs money and gives on-premises nothing to
    reach; when it is meant as the redundant path of another circuit, failover would find it empty.

    ## Example
    Scenario `circuit-without-vnet-link`: the hub's connection to `er-2` was deleted.

    ## Use instead
    Scenario `interop-testbed`: both circuits are linked.

    ## Remediation
    Link a VNet gateway to the circuit, or decommission it:
    `az network vpn-connection create -g <rg> -n <name> --vnet-gateway1 <er-gateway> --express-route-circuit2 <circuit>`

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-linkvnet-arm
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-linkvnet-portal-resource-manager#connect-a-virtual-network-to-a-circuit---different-subscription
    """

    id = "ERC006"
    name = "circuit-without-vnet-link"
    severity = Severity.INFO
    summary = "Every circuit with private peering is linked to a VNet (or through Global Reach)."
    fixtures = RuleFixtures(triggers=("circuit-without-vnet-link",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        linked = {c.peer_id for c in snapshot.connections if c.is_expressroute and c.peer_id is not None}
        reach: set[object] = set()
        for gr in snapshot.circuit_connections:
            reach.add(gr.peering_id.parent)
            if gr.peer_peering_id is not None:
                reach.add(gr.peer_peering_id.parent)
        for circuit in snapshot.circuits:
            peering = snapshot.private_peering(circuit.id)
            if peering is None or not peering.enabled or circuit.id in linked or circuit.id in reach:
                continue
            if circuit.authorizations_in_use:
                yield CoverageGap(
                    kind="linked-outside-snapshot",
                    resource=str(circuit.id),
                    detail=f"{circuit.authorizations_in_use} authorization(s) InUse: a VNet in another subscription "
                    "is probably linked to this circuit",
                    rules=(self.id,),
                )
                continue
            yield Violation(
                message=f"circuit {circuit.id.name} has private peering but no VNet connection and no Global Reach "
                "link in the snapshot",
                resources=(circuit.id,),
                evidence={"circuit": str(circuit.id), "peering": str(peering.id)},
            )
