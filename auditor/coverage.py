"""Coverage gaps that come from the snapshot itself, before any rule runs."""

from __future__ import annotations

from auditor.findings import CoverageGap
from auditor.model import Snapshot
from auditor.unmodelled import unmodelled_gaps


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
        status = f"{cgap.status} " if cgap.status else ""
        reason = " ".join(x for x in (cgap.code, cgap.message) if x)
        gaps.append(
            CoverageGap(
                kind="collection-failed",
                resource=cgap.scope,
                detail=f"{cgap.operation}: {status}{reason}".strip(),
            )
        )
    gaps.extend(unmodelled_gaps(snapshot))
    for file in snapshot.partial_lists:
        gaps.append(
            CoverageGap(
                kind="partial-list", resource=file, detail="list page has a nextLink; later pages are missing"
            )
        )
    return gaps
