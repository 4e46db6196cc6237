"""Shared by DRF001 and DRF002: reconcile predictions with observations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from auditor.findings import CoverageGap, Violation
from auditor.model import Snapshot
from auditor.routing.controlplane import control_plane
from auditor.routing.reconcile import Comparison, comparisons


def drift(
    snapshot: Snapshot, rule: str, side: Literal["missing", "unexpected"]
) -> Iterator[Violation | CoverageGap]:
    for cmp in comparisons(control_plane(snapshot)):
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
                    "file": _relative(cmp.file),
                    "prefix": prefix,
                    cmp.qualifier: qualifier,
                    "predicted": same_prefix_predicted,
                    "observed": same_prefix_observed,
                },
                key=f"{cmp.vantage}|{prefix}|{qualifier}",
            )


def _relative(file: str | None) -> str | None:
    """The observation's file from the fixture root (`operations/...`), not machine-specific."""
    if file is None:
        return None
    marker = "/operations/"
    return "operations/" + file.split(marker, 1)[1] if marker in file else file
