"""Coverage gaps that come from the snapshot itself, before any rule runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from auditor.findings import CoverageGap, Finding
from auditor.ids import ArmId
from auditor.model import CollectionGap, Connection, NetworkInterface, Snapshot, VirtualNetworkGateway
from auditor.model.snapshot import ExternalReference
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
    # a blank value (empty or only whitespace) is an absent one, as the gateway routes' fields are
    # read (`observations._blank_to_none`): not a value azroute does not know
    found: dict[tuple[str, str, str], None] = {}
    for table in snapshot.effective_routes:
        for route in table.routes:
            hop, state = route.next_hop_type, route.state
            if hop and hop.strip() and hop.lower() not in KNOWN_HOP_TYPES:
                found[(str(table.nic_id), "effectiveRouteTable nextHopType", hop)] = None
            if state and state.strip() and state.lower() not in KNOWN_STATES:
                found[(str(table.nic_id), "effectiveRouteTable state", state)] = None
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


# -- findings that only follow from a gap ------------------------------------------------------------

# What a hidden resource can bring to a collected vantage: effective routes through the gateway (a
# connection of the domain's gateway, or a circuit's), and every route a gateway or circuit learns,
# advertises or holds.
_GATEWAY_HOPS = {"virtualnetworkgateway"}
_GATEWAY_OBSERVATIONS = {"getlearnedroutes", "getadvertisedroutes", "routetables", "routetablessummary"}


def fold_gap_findings(
    snapshot: Snapshot, findings: dict[str, Finding], gaps: dict[tuple[str, str, str], CoverageGap]
) -> tuple[dict[str, Finding], dict[tuple[str, str, str], CoverageGap]]:
    """A finding that only follows from a gap is not raised: it is folded into the gap, which names
    its rule and how many it holds (docs/routing.md, "Findings that only follow from a gap").

    The test is the favourable resolution of `predict.favourable`: a finding that disappears when
    what the gap hides turns out as the rest of the snapshot shows it. For a collection gap (a scope
    that could not be listed, a reference to something outside the snapshot) that is:

    * COV002 naming a resource inside a scope that could not be listed: collected, it would be there
      (the scope's gap also lists the reference, and the reference's own gap goes);
    * DRF002 (a route observed but not predicted) where every unexplained route came through a
      gateway (a learned, advertised or circuit route, or an effective route whose next hop is the
      gateway) and the vantage's gateway domain links to something outside the snapshot, or a scope
      of its subscription could not list its connections: the hidden link may announce exactly
      what was observed.
    """
    present = {(k[0], k[1]): k for k in sorted(gaps, reverse=True)}  # (kind, resource): the gap's key

    def _gap_key(kind: str, resource: str) -> tuple[str, str, str] | None:
        return present.get((kind, resource.lower()))

    failed = {key: f for f in failed_collections(snapshot) if (key := _gap_key("collection-failed", f.scope))}
    if not failed and not snapshot.external_references:
        return findings, gaps

    def scope_of(rid: ArmId) -> tuple[str, str, str] | None:
        key = rid.key
        return next((k for k, f in failed.items() if key.startswith(f.scope.lower() + "/")), None)

    def gap_of(ref: ExternalReference) -> tuple[str, str, str] | None:
        return scope_of(ref.target_id) or _gap_key("external-reference", str(ref.target_id))

    folded: dict[tuple[str, str, str], list[Finding]] = {}
    references: dict[tuple[str, str, str], list[ExternalReference]] = {}
    for ref in snapshot.external_references:
        scope = scope_of(ref.target_id)
        if scope is not None:
            references.setdefault(scope, []).append(ref)
    linked = _externally_linked(snapshot, gap_of)
    hidden_connections = {
        f.scope.lower().split("/resourcegroups/")[0]: k
        for k, f in failed.items()
        if "list connections" in f.operations
    }
    kept: dict[str, Finding] = {}
    for fingerprint, finding in findings.items():
        into: tuple[str, str, str] | None = None
        if finding.rule == "COV002" and len(finding.resources) == 2:
            into = scope_of(finding.resources[1])
        elif finding.rule == "DRF002" and finding.resources and _through_gateways(finding):
            vantage = finding.resources[0]
            subscription = f"/subscriptions/{vantage.subscription.lower()}"
            into = next(
                (linked[v] for v in _vantage_vnets(snapshot, vantage) if v in linked),
                hidden_connections.get(subscription),
            )
        if into is not None and into in gaps:
            folded.setdefault(into, []).append(finding)
        else:
            kept[fingerprint] = finding
    out = dict(gaps)
    for scope, refs in references.items():
        for ref in refs:  # the scope's gap says it: one cause, one gap
            own = _gap_key("external-reference", str(ref.target_id))
            if own is not None:
                out.pop(own, None)
        if scope in out:
            names = ", ".join(sorted({f"{r.target_id.name} (from {r.from_id.name})" for r in refs}))
            gap = out[scope]
            out[scope] = gap.model_copy(
                update={"detail": f"{gap.detail.rstrip('.')}; referenced there: {names}"}
            )
    for key, held in folded.items():
        gap = out[key]
        counts = Counter(f.rule for f in held)
        said = ", ".join(f"{rule} x{n}" for rule, n in sorted(counts.items()))
        out[key] = gap.model_copy(
            update={
                "detail": f"{gap.detail}; findings that only follow from this gap, not raised: {said}",
                "rules": tuple(sorted({*gap.rules, *counts})),
            }
        )
    return kept, out


def _through_gateways(finding: Finding) -> bool:
    """Every route the DRF002 finding reports came through a gateway (and the evidence lists them all)."""
    evidence = finding.evidence
    routes = evidence.get("routes") or []
    if not routes or len(routes) != evidence.get("routeCount"):
        return False
    if str(evidence.get("observation", "")).lower() in _GATEWAY_OBSERVATIONS:
        return True
    return all(str(r.get("nextHopType", "")).lower() in _GATEWAY_HOPS for r in routes)


def _vantage_vnets(snapshot: Snapshot, vantage: ArmId) -> list[str]:
    """The VNets (keys) whose routing the vantage shows: a NIC's subnets' VNets, a gateway's VNet."""
    resource = snapshot.by_id.get(vantage)
    if isinstance(resource, NetworkInterface):
        return [s.parent.key for s in resource.subnet_ids if s.parent is not None]
    if isinstance(resource, VirtualNetworkGateway) and resource.vnet_id is not None:
        return [resource.vnet_id.key]
    return []


def _externally_linked(
    snapshot: Snapshot, gap_of: Callable[[ExternalReference], tuple[str, str, str] | None]
) -> dict[str, tuple[str, str, str]]:
    """VNet key -> the gap of a connection of its gateway domain to something outside the snapshot
    (the hub and every VNet using its gateways)."""
    from auditor.routing.controlplane import control_plane

    outside = {ref.from_id: ref for ref in snapshot.external_references}
    if not any(isinstance(snapshot.by_id.get(rid), Connection) for rid in outside):
        return {}
    found: dict[str, tuple[str, str, str]] = {}
    for domain in control_plane(snapshot).domains.values():
        for gateway in (domain.er_gateway, domain.vpn_gateway):
            if gateway is None:
                continue
            for conn in snapshot.connections_of(gateway.id):
                gap = gap_of(outside[conn.id]) if conn.id in outside else None
                if gap is not None:
                    for vnet in (domain.hub.id, *domain.vnets):
                        found.setdefault(vnet.key, gap)
    return found
