from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class WeightFavoursRemoteCircuit(Rule):
    """Connection weights make a gateway prefer a circuit in another region over its local one.

    ## What it does
    For gateways with ExpressRoute connections to several circuits, flags a connection to a
    circuit whose Azure region differs from the gateway's when it has a higher
    `routingWeight` than a connection to a circuit in the gateway's own region.

    ## Why is this bad?
    Connection weight wins before AS-path length: for every prefix both circuits carry, traffic
    takes the long way, and on-premises, which usually prefers the local circuit, sends the
    replies back the other way (asymmetric).

    ## Example
    Scenario `weight-favours-remote-circuit`: the hub's connection to a circuit in another
    region has weight 100, the local one 0.

    ## Use instead
    Scenario `interop-testbed`: equal weights.

    ## Remediation
    `az network vpn-connection update -g <rg> -n <connection-to-local-circuit> --routing-weight 100` (and
    match the on-premises local-preference).

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing
    - https://learn.microsoft.com/azure/expressroute/designing-for-disaster-recovery-with-expressroute-privatepeering
    """

    id = "PRF002"
    name = "weight-favours-remote-circuit"
    severity = Severity.WARNING
    summary = "Connection weights do not favour a circuit in another region over the local one."
    fixtures = RuleFixtures(triggers=("weight-favours-remote-circuit",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for gw in snapshot.gateways:
            conns = [c for c in snapshot.connections_of(gw.id) if c.is_expressroute and c.peer_id is not None]
            located = []
            for conn in conns:
                circuit = snapshot.circuit(conn.peer_id)  # type: ignore[arg-type]
                if circuit is not None and circuit.location and gw.location:
                    local = circuit.location.replace(" ", "").lower() == gw.location.replace(" ", "").lower()
                    located.append((conn, circuit, local))
            for remote_conn, remote_circuit, remote_is_local in located:
                if remote_is_local:
                    continue
                for local_conn, local_circuit, is_local in located:
                    if is_local and (remote_conn.routing_weight or 0) > (local_conn.routing_weight or 0):
                        yield Violation(
                            message=f"gateway {gw.id.name} ({gw.location}) weighs {remote_conn.id.name} to {remote_circuit.id.name} "
                            f"({remote_circuit.location}) at {remote_conn.routing_weight}, above {local_conn.id.name} to local "
                            f"{local_circuit.id.name} at {local_conn.routing_weight or 0}",
                            resources=(gw.id, remote_conn.id, local_conn.id),
                            evidence={
                                "remoteWeight": remote_conn.routing_weight,
                                "localWeight": local_conn.routing_weight,
                            },
                        )
