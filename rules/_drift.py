"""Shared by DRF001 and DRF002: reconcile predictions with observations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from auditor.rule_api import Comparison, CoverageGap, RuleContext, Violation, snapshot_relative


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
        for prefix, qualifier in entries:
            same_prefix_predicted = sorted(q for p, q in cmp.predicted if p == prefix)
            same_prefix_observed = sorted(q for p, q in cmp.observed if p == prefix)
            if side == "missing":
                text = (
                    f"{cmp.vantage}: predicted route {prefix} ({cmp.qualifier} {qualifier or '-'}) is not in the "
                    f"observed {cmp.operation.value}"
                )
            else:
                text = (
                    f"{cmp.vantage}: observed route {prefix} ({cmp.qualifier} {qualifier or '-'}) in "
                    f"{cmp.operation.value} is not predicted from the configuration"
                )
            if side == "missing" and same_prefix_observed:
                text += f"; observed with {cmp.qualifier} {', '.join(same_prefix_observed)}"
            if side == "unexpected" and same_prefix_predicted:
                text += f"; predicted with {cmp.qualifier} {', '.join(same_prefix_predicted)}"
            explained = _explain(ctx, cmp, same_prefix_predicted, same_prefix_observed)
            if explained:
                text += (
                    f"; declaring asPathPrepend {explained['asPathPrepend']} on {explained['circuit']} in site "
                    f"{explained['site']}'s links would explain the observed path"
                )
            yield Violation(
                message=text,
                resources=(cmp.resource,),
                evidence={
                    "vantage": cmp.vantage,
                    "observation": cmp.operation.value,
                    "file": snapshot_relative(cmp.file),
                    "prefix": prefix,
                    cmp.qualifier: qualifier,
                    "predicted": same_prefix_predicted,
                    "observed": same_prefix_observed,
                    **({"explainedBy": explained} if explained else {}),
                },
                key=f"{cmp.vantage}|{prefix}|{qualifier}",
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
