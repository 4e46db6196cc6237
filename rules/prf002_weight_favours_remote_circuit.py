from __future__ import annotations

from collections.abc import Iterator

from auditor.model import Connection, ExpressRouteCircuit, ExpressRoutePort
from auditor.rule_api import (
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    local_regions,
    locations_source,
    same_region,
)


class WeightFavoursRemoteCircuit(Rule):
    """Connection weights make a gateway prefer a circuit at a remote peering location over a local one.

    ## What it does
    For gateways with ExpressRoute connections to several circuits, compares the gateway's region
    with each circuit's *peering location* (`serviceProviderProperties.peeringLocation`; for
    ExpressRoute Direct, the `peeringLocation` of the port the circuit names), not with the
    circuit resource's `location`, which is only where its ARM object lives. A peering location
    is local to the regions Microsoft lists as its "Local Azure regions" (a table shipped as data
    with its source, `azroute explain PRF002` names it). Flags a connection to a remote circuit
    whose `routingWeight` is higher than a connection to a local one. A peering location missing
    from the table is a coverage gap, never a guess.

    ## Why is this bad?
    Connection weight wins before AS-path length: for every prefix both circuits carry, traffic
    takes the long way, and on-premises, which usually prefers the local circuit, sends the
    replies back the other way (asymmetric).

    ## Example
    Scenario `weight-favours-remote-circuit`: the hub (East US) weighs its connection to `er-2`
    (peering location Seattle) at 100, the one to `er-1` (Washington DC) at 0.

    ## Use instead
    Scenario `interop-testbed`: equal weights.

    ## Remediation
    `az network vpn-connection update -g <rg> -n <connection-to-local-circuit> --routing-weight 100` (and
    match the on-premises local-preference).

    ## References
    - https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing
    - https://learn.microsoft.com/azure/expressroute/designing-for-disaster-recovery-with-expressroute-privatepeering
    - https://learn.microsoft.com/azure/expressroute/expressroute-locations-providers
    """

    id = "PRF002"
    name = "weight-favours-remote-circuit"
    severity = Severity.WARNING
    summary = "Connection weights do not favour a circuit at a remote peering location over a local one."
    fixtures = RuleFixtures(triggers=("weight-favours-remote-circuit",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for gw in snapshot.gateways:
            conns = [c for c in snapshot.connections_of(gw.id) if c.is_expressroute and c.peer_id is not None]
            if len(conns) < 2 or not gw.location:
                continue
            located: list[tuple[Connection, ExpressRouteCircuit, str, bool]] = []
            for conn in conns:
                circuit = snapshot.circuit(conn.peer_id)  # type: ignore[arg-type]
                if circuit is None:
                    continue  # outside the snapshot: COV002 reports it
                where = _peering_location(ctx, circuit)
                regions = local_regions(where) if where else None
                if where is None or regions is None:
                    yield CoverageGap(
                        kind="not-evaluated",
                        resource=str(circuit.id),
                        detail=f"peering location {where!r} of {circuit.id.name} is not in the table of "
                        f"ExpressRoute peering locations ({locations_source()})"
                        if where
                        else f"{circuit.id.name} has no peering location (nor an ExpressRoute port naming one)",
                        rules=(self.id,),
                    )
                    continue
                located.append((conn, circuit, where, any(same_region(r, gw.location) for r in regions)))
            for remote_conn, remote_circuit, remote_where, remote_is_local in located:
                if remote_is_local:
                    continue
                for local_conn, local_circuit, local_where, is_local in located:
                    if is_local and (remote_conn.routing_weight or 0) > (local_conn.routing_weight or 0):
                        yield Violation(
                            message=f"gateway {gw.id.name} ({gw.location}) weighs {remote_conn.id.name} to "
                            f"{remote_circuit.id.name} (peering location {remote_where}) at {remote_conn.routing_weight}, "
                            f"above {local_conn.id.name} to {local_circuit.id.name} (peering location {local_where}, "
                            f"local to {gw.location}) at {local_conn.routing_weight or 0}",
                            resources=(gw.id, remote_conn.id, local_conn.id),
                            evidence={
                                "gatewayRegion": gw.location,
                                "remotePeeringLocation": remote_where,
                                "localPeeringLocation": local_where,
                                "remoteWeight": remote_conn.routing_weight,
                                "localWeight": local_conn.routing_weight,
                                "locationsSource": locations_source(),
                            },
                        )


def _peering_location(ctx: RuleContext, circuit: ExpressRouteCircuit) -> str | None:
    if circuit.express_route_port_id is not None:
        port = ctx.snapshot.by_id.get(circuit.express_route_port_id)
        if isinstance(port, ExpressRoutePort) and port.peering_location:
            return port.peering_location
    return circuit.peering_location
