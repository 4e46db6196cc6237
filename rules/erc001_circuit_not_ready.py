from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    CIRCUIT_NOT_READY,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import withheld_findings


class CircuitNotReady(Rule):
    """An ExpressRoute circuit, its private peering or a connection to it is not ready.

    ## What it does
    Flags circuits whose `serviceProviderProvisioningState` is not `Provisioned`, private
    peerings whose `state` is `Disabled`, ExpressRoute connections whose
    `connectionStatus` is known and not `Connected`, and ExpressRoute connections to a circuit
    that has no private peering (only Microsoft peering, or the private peering deleted): a
    VNet links to a circuit through its private peering only. A Global Reach link whose
    `circuitConnectionStatus` is `Disconnected` joins nothing (the control plane exchanges no
    routes over it, `ExpressRouteCircuitConnection.joined_circuits`).

    ## Why is this bad?
    The path exists in configuration but carries nothing: every route and failover plan that
    counts on it is wrong until the provider finishes provisioning or the peering is enabled.

    ## Example
    Scenario `circuit-not-provisioned`: `er-2` is `Provisioning` at the service provider.

    ## Use instead
    Scenario `interop-testbed`: both circuits Provisioned, peerings Enabled, connections Connected.

    ## Remediation
    Check with the provider (`az network express-route show -g <rg> -n <circuit> --query serviceProviderProvisioningState`),
    enable the peering (`az network express-route peering update ... --state Enabled`).

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-circuit-portal-resource-manager
    - https://learn.microsoft.com/azure/expressroute/expressroute-troubleshooting-expressroute-overview
    - https://learn.microsoft.com/azure/expressroute/expressroute-circuit-peerings
    - https://learn.microsoft.com/azure/expressroute/expressroute-howto-set-global-reach
    """

    id = "ERC001"
    name = "circuit-not-ready"
    severity = Severity.ERROR
    summary = "Circuits are provisioned, private peerings enabled, connections Connected."
    fixtures = RuleFixtures(triggers=("circuit-not-provisioned",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, CIRCUIT_NOT_READY, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for circuit in snapshot.circuits:
            if not circuit.provisioned:
                yield Violation(
                    message=f"circuit {circuit.id.name} is {circuit.service_provider_provisioning_state} at the provider",
                    resources=(circuit.id,),
                    evidence={
                        "serviceProviderProvisioningState": circuit.service_provider_provisioning_state
                    },
                )
        for peering in snapshot.circuit_peerings:
            if peering.is_private and not peering.enabled:
                yield Violation(
                    message=f"circuit {peering.circuit_id.name}: private peering is {peering.state}",
                    resources=(peering.id,),
                    evidence={"state": peering.state},
                )
        for gr in snapshot.circuit_connections:
            if gr.joined_circuits is None and gr.peer_peering_id is not None:
                peer = gr.peer_peering_id.parent
                yield Violation(
                    message=f"Global Reach {gr.id.name} between circuit {gr.peering_id.parent.name if gr.peering_id.parent else '?'} "
                    f"and {peer.name if peer else '?'} is {gr.circuit_connection_status}: their sites exchange no routes over it",
                    resources=(gr.id,),
                    evidence={"circuitConnectionStatus": gr.circuit_connection_status},
                )
        for conn in snapshot.connections:
            status = conn.connection_status
            if conn.is_expressroute and status is not None and status.lower() != "connected":
                yield Violation(
                    message=f"ExpressRoute connection {conn.id.name} is {status}",
                    resources=(conn.id,),
                    evidence={"connectionStatus": status},
                )
            linked = conn.peer_id if conn.is_expressroute else None
            if (
                linked is not None
                and not snapshot.is_external(linked)
                and snapshot.private_peering(linked) is None
            ):
                yield Violation(
                    message=f"ExpressRoute connection {conn.id.name} links circuit {linked.name}, which has no "
                    "private peering: it carries nothing between the VNet and on-premises",
                    resources=(conn.id, linked),
                    evidence={"privatePeering": None},
                    key=f"{conn.id}|no-private-peering",
                )
