"""`--down RESOURCE`: the same snapshot with a connection, circuit, circuit link or gateway failed."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.ids import ArmId
from auditor.model import CircuitRouteSummary, CircuitTable, Operation, Snapshot
from auditor.model.base import Resource
from auditor.suggest import did_you_mean


class UnknownResource(ValueError):
    pass


def down_candidates(snapshot: Snapshot) -> list[tuple[str, Resource]]:
    """What `--down` can fail, by kind, in the order a name is looked up (the first of a name wins):
    connections, gateways, circuits, local network gateways."""
    groups: list[tuple[str, Sequence[Resource]]] = [
        ("connection", snapshot.connections),
        ("gateway", snapshot.gateways),
        ("circuit", snapshot.circuits),
        ("local network gateway", snapshot.local_network_gateways),
    ]
    return [(kind, item) for kind, group in groups for item in group]


def down_names(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(name, kind) of every name `--down` accepts: each candidate, and `CIRCUIT:primary` /
    `CIRCUIT:secondary` for a circuit with a private peering."""
    out: list[tuple[str, str]] = []
    for kind, item in down_candidates(snapshot):
        out.append((item.id.name, kind))
        if kind == "circuit" and snapshot.private_peering(item.id) is not None:
            out += [(f"{item.id.name}:{path}", "circuit link") for path in ("primary", "secondary")]
    return out


def _find(snapshot: Snapshot, name: str) -> Resource | None:
    wanted = name.lower()
    for _, item in down_candidates(snapshot):
        if item.id.key == wanted or item.id.name.lower() == wanted:
            return item
    return None


def apply_down(snapshot: Snapshot, names: Sequence[str]) -> Snapshot:
    """Fail each named resource: a connection or local network gateway (its connections go
    NotConnected), a gateway (provisioning Failed), a circuit (not provisioned), or one
    device path of a circuit written `CIRCUIT:primary` / `CIRCUIT:secondary` (its customer BGP
    session goes down)."""
    connections = {c.id: c for c in snapshot.connections}
    gateways = {g.id: g for g in snapshot.gateways}
    circuits = {c.id: c for c in snapshot.circuits}
    tables = list(snapshot.circuit_tables)
    for raw in names:
        name, _, path = raw.partition(":") if not raw.startswith("/") else (raw, "", "")
        if raw.startswith("/") and raw.rsplit("/", 1)[-1].count(":") == 1:
            name, _, path = raw.rpartition(":")
        path = path.lower()
        target = _find(snapshot, name)
        if target is None:
            raise UnknownResource(
                f"--down {raw}: no connection, gateway, circuit or local network gateway named {name!r}"
                + did_you_mean(raw, [n for n, _ in down_names(snapshot)])
                + " (`azroute networks` lists them)"
            )
        if path:
            peering = snapshot.private_peering(target.id) if target.id in circuits else None
            if peering is None or path not in ("primary", "secondary"):
                raise UnknownResource(f"--down {raw}: a device path is CIRCUIT:primary or CIRCUIT:secondary")
            tables = [
                t
                for t in tables
                if not (
                    t.peering_id == peering.id
                    and t.operation is Operation.ROUTE_TABLES_SUMMARY
                    and t.device_path.lower() == path
                )
            ]
            tables.append(
                CircuitTable(
                    peering_id=peering.id,
                    operation=Operation.ROUTE_TABLES_SUMMARY,
                    device_path=path,
                    summary=(CircuitRouteSummary(state_pfx_rcd="Idle", up_down="down (--down)"),),
                )
            )
        elif target.id in connections:
            connections[target.id] = connections[target.id].model_copy(
                update={"connection_status": "NotConnected"}
            )
        elif target.id in gateways:
            gateways[target.id] = gateways[target.id].model_copy(update={"provisioning_state": "Failed"})
        elif target.id in circuits:
            circuits[target.id] = circuits[target.id].model_copy(
                update={"service_provider_provisioning_state": "NotProvisioned"}
            )
        else:  # a local network gateway: every connection to it is down
            for cid, conn in connections.items():
                if conn.local_network_gateway_id == target.id:
                    connections[cid] = conn.model_copy(update={"connection_status": "NotConnected"})
    return snapshot.replace(
        connections=tuple(connections[c.id] for c in snapshot.connections),
        gateways=tuple(gateways[g.id] for g in snapshot.gateways),
        circuits=tuple(circuits[c.id] for c in snapshot.circuits),
        circuit_tables=tuple(tables),
    )


__all__ = ["ArmId", "UnknownResource", "apply_down", "down_candidates", "down_names"]
