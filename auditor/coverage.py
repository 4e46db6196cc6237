"""Coverage gaps that come from the snapshot itself, before any rule runs."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.findings import CoverageGap
from auditor.model import CollectionGap, Snapshot
from auditor.routing.reconcile import HOP_CLASSES, ORIGINS
from auditor.unmodelled import unmodelled_gaps

# Observed enums are open-ended (ARM adds values): one azroute does not know is a gap naming it.
KNOWN_HOP_TYPES = {*HOP_CLASSES, "virtualnetworkserviceendpoint"}  # service endpoints: known, not compared
KNOWN_STATES = {"active", "invalid"}


def snapshot_gaps(snapshot: Snapshot) -> list[CoverageGap]:
    gaps: list[CoverageGap] = []
    if not snapshot.by_id:  # a recorded snapshot of resource groups without network resources
        gaps.append(
            CoverageGap(
                kind="empty-snapshot",
                resource=snapshot.name,
                detail="the snapshot holds no network resources: nothing could be audited",
            )
        )
    for gap in snapshot.observation_gaps:
        params = "".join(f" {k}={v}" for k, v in sorted(gap.parameters.items()))
        reason = " ".join(x for x in (gap.code, gap.message) if x) or "no error body"
        gaps.append(
            CoverageGap(
                kind="observation-failed",
                resource=str(gap.resource_id),
                detail=f"{gap.operation.value}{params} returned {gap.status}: {reason}",
            )
        )
    for ref in snapshot.external_references:
        gaps.append(
            CoverageGap(
                kind="external-reference",
                resource=str(ref.target_id),
                detail=f"referenced by {ref.from_id} ({ref.field}) but not in the snapshot",
            )
        )
    observed = {(g.resource_id.key, g.operation.value) for g in snapshot.observation_gaps}
    for cgap in snapshot.collection_gaps:
        op = cgap.operation.split()[1] if cgap.operation.startswith("observation ") else None
        if op is not None and (cgap.scope.lower(), op) in observed:
            continue  # the failed observation's own record says it already (observation-failed)
        if cgap.operation.startswith("predict "):  # what a planned change leaves unknown (azroute plan)
            gaps.append(
                CoverageGap(
                    kind=cgap.code or "not-predicted",
                    resource=cgap.scope,
                    detail=f"{cgap.operation}: {cgap.message or ''}".strip(),
                )
            )
            continue
        if op is not None:  # an observation the collector could not take, with no record of its own
            gaps.append(_collection_failed(cgap.scope, cgap.operation, cgap.status, cgap.code, cgap.message))
    for failed in failed_collections(snapshot):
        gaps.append(_collection_failed(failed.scope, failed.what, failed.status, failed.code, failed.message))
    gaps.extend(unmodelled_gaps(snapshot))
    gaps.extend(unknown_values(snapshot))
    for file in snapshot.partial_lists:
        gaps.append(
            CoverageGap(
                kind="partial-list", resource=file, detail="list page has a nextLink; later pages are missing"
            )
        )
    return gaps


def unknown_values(snapshot: Snapshot) -> list[CoverageGap]:
    """Observed enum values azroute does not know (effective routes' next hop type and state,
    gateway routes' origin): how such a route behaves is not modelled."""
    found: dict[tuple[str, str, str], None] = {}
    for table in snapshot.effective_routes:
        for route in table.routes:
            if route.next_hop_type and route.next_hop_type.lower() not in KNOWN_HOP_TYPES:
                found[(str(table.nic_id), "effectiveRouteTable nextHopType", route.next_hop_type)] = None
            if route.state and route.state.lower() not in KNOWN_STATES:
                found[(str(table.nic_id), "effectiveRouteTable state", route.state)] = None
    for gtable in snapshot.gateway_routes:
        for groute in gtable.routes:
            if groute.origin and groute.origin.lower() not in ORIGINS:
                found[(str(gtable.gateway_id), f"{gtable.operation.value} origin", groute.origin)] = None
    return [
        CoverageGap(
            kind="unknown-value",
            resource=resource,
            detail=f"{what} {value!r}: a value azroute does not know, so the routes that carry it are "
            "not reliably compared with the configuration",
            rules=("DRF001", "DRF002"),
        )
        for resource, what, value in found
    ]


def _collection_failed(
    scope: str, what: str, status: int | None, code: str | None, message: str | None
) -> CoverageGap:
    reason = " ".join(x for x in (code, message) if x)
    detail = f"{what}: {f'{status} ' if status else ''}{reason}".strip()
    return CoverageGap(kind="collection-failed", resource=scope, detail=detail)


@dataclass(frozen=True)
class FailedCollection:
    """Everything that failed the same way in one scope (a resource group answering 403 to every
    list): one cause, one gap, one COV003 finding, naming the operations it hid."""

    scope: str
    operations: tuple[str, ...]
    status: int | None
    code: str | None
    message: str | None

    @property
    def what(self) -> str:
        if len(self.operations) == 1:
            return self.operations[0]
        verbs = {op.split(" ", 1)[0] for op in self.operations}
        if len(verbs) == 1:
            verb = verbs.pop()
            names = ", ".join(op.split(" ", 1)[-1] for op in self.operations)
            return f"{verb} {names} ({len(self.operations)} operations)"
        return f"{', '.join(self.operations)} ({len(self.operations)} operations)"


def failed_collections(snapshot: Snapshot) -> list[FailedCollection]:
    """The snapshot's collection gaps (not its failed observations, not what a prediction left
    unknown), one per scope and failure."""
    grouped: dict[tuple[str, int | None, str | None], list[CollectionGap]] = {}
    for cgap in snapshot.collection_gaps:
        if cgap.operation.startswith(("predict ", "observation ")):
            continue
        grouped.setdefault((cgap.scope.lower(), cgap.status, cgap.code), []).append(cgap)
    return [
        FailedCollection(
            group[0].scope,
            tuple(sorted(dict.fromkeys(g.operation for g in group))),
            group[0].status,
            group[0].code,
            group[0].message,
        )
        for _, group in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2] or ""))
    ]
