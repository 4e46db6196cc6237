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
                },
                key=f"{cmp.vantage}|{prefix}|{qualifier}",
            )
