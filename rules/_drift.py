"""Shared by DRF001 and DRF002: reconcile predictions with observations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from auditor.rule_api import EVIDENCE_CAP, Comparison, CoverageGap, RuleContext, Violation, snapshot_relative


def drift(
    ctx: RuleContext, rule: str, side: Literal["missing", "unexpected"]
) -> Iterator[Violation | CoverageGap]:
    for cmp in ctx.comparisons():
        if not isinstance(cmp, Comparison):
            yield CoverageGap(
                kind="not-evaluated",
                resource=str(cmp.resource),
                detail=f"{cmp.operation.value}: {cmp.reason}",
                rules=(rule,),
            )
            continue
        entries = cmp.missing if side == "missing" else cmp.unexpected
        if not entries:
            continue
        routes: list[dict[str, object]] = []
        texts: list[str] = []
        explanations: list[dict[str, object]] = []
        for prefix, qualifier in entries:
            same_prefix_predicted = sorted(q for p, q in cmp.predicted if p == prefix)
            same_prefix_observed = sorted(q for p, q in cmp.observed if p == prefix)
            other = same_prefix_observed if side == "missing" else same_prefix_predicted
            text = f"{prefix} ({cmp.qualifier} {qualifier or '-'})"
            if other:
                text += f", {'observed' if side == 'missing' else 'predicted'} with {', '.join(other)}"
            texts.append(text)
            explained = _explain(ctx, cmp, same_prefix_predicted, same_prefix_observed)
            if explained and explained not in explanations:
                explanations.append(explained)
            routes.append(
                {
                    "prefix": prefix,
                    cmp.qualifier: qualifier,
                    "predicted": same_prefix_predicted,
                    "observed": same_prefix_observed,
                    **({"explainedBy": explained} if explained else {}),
                }
            )
        count = len(entries)
        shown = "; ".join(texts[:3]) + (f"; and {count - 3} more" if count > 3 else "")
        if side == "missing":
            head = f"{cmp.vantage}: {count} predicted route{'s' if count != 1 else ''} not in the observed {cmp.operation.value}"
        else:
            head = (
                f"{cmp.vantage}: {count} route{'s' if count != 1 else ''} observed in {cmp.operation.value} "
                "but not predicted from the configuration"
            )
        text = f"{head}: {shown}"
        for explained in explanations:
            text += (
                f"; declaring asPathPrepend {explained['asPathPrepend']} on {explained['circuit']} in site "
                f"{explained['site']}'s links would explain the observed path"
            )
        # one finding per observation and direction (the cause), with the routes as evidence
        yield Violation(
            message=text,
            resources=(cmp.resource,),
            evidence={
                "vantage": cmp.vantage,
                "observation": cmp.operation.value,
                "file": snapshot_relative(cmp.file),
                "routes": routes[:EVIDENCE_CAP],
                "routeCount": count,
            },
            key=f"{cmp.vantage}|{cmp.operation.value}",
        )


def _leading(path: list[str]) -> int:
    return next((i for i, hop in enumerate(path) if hop != path[0]), len(path)) if path else 0


def _explain(
    ctx: RuleContext, cmp: Comparison, predicted: list[str], observed: list[str]
) -> dict[str, object] | None:
    """When a circuit table shows the site's ASN repeated more often than predicted, the `links`
    entry (circuit, asPathPrepend) that would make the prediction match the observation."""
    circuit_id = cmp.resource.parent
    if cmp.qualifier != "asPath" or circuit_id is None or ctx.snapshot.circuit(circuit_id) is None:
        return None
    for seen in observed:
        for expected in predicted:
            o, p = seen.split(), expected.split()
            if not o or not p or o[0] != p[0] or o[_leading(o) :] != p[_leading(p) :]:
                continue
            extra = _leading(o) - _leading(p)
            site = next((v for v in ctx.site_views() if circuit_id in v.circuit_ids), None)
            if extra == 0 or site is None:
                continue
            return {
                "site": site.name,
                "circuit": circuit_id.name,
                "asPathPrepend": max(site.prepend(circuit_id) + extra, 0),
            }
    return None
