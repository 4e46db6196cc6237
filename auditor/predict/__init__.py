"""Predicting a snapshot after a planned change (`azroute plan`, `azroute diff --what-if/...`).

Each input adapter (`overlay`, `whatif`, `terraform`) reads its input and emits edits (create,
patch, delete, replace children, gap: `auditor.edits`) that one function applies to BEFORE's raw ARM
documents in place (a `RawTree`, the same structure overlays work on, so the predicted snapshot goes
through the one normalizer); what it could not predict is a `PredictionGap`, never a guess. Observations
describe the past: a prediction has none.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from auditor.edits import Edit, apply_edit
from auditor.rawtree import RawTree, resource_key

InputKind = Literal["what-if", "terraform-plan", "overlay"]

# Named gaps an adapter may report (the `code` of the gap in fixture.json).
GAP_KINDS = (
    "unknown-until-apply",  # a value Terraform knows only after apply (after_unknown)
    "unresolved-expression",  # a what-if value of the form "[...]" it could not evaluate
    "unmapped-resource",  # a resource type the adapter does not translate
    "unmapped-attribute",  # an attribute of a translated type the adapter does not translate
    "potential-change",  # what-if's potentialChanges (a change it cannot be sure of)
    "unsupported-change",  # what-if Deploy/Unsupported on a modelled type
    "unknown-subscription",  # a created resource whose subscription cannot be determined
    "unknown-resource",  # a change to a resource BEFORE does not hold and that is not created
    "lifecycle-order-unknown",  # the outcome depends on an order of operations the input does not give
)


@dataclass(frozen=True)
class PredictionGap:
    """Something in the change that cannot be predicted: a coverage gap of the predicted snapshot."""

    code: str  # one of GAP_KINDS
    resource: str  # ARM id when known, else the input's own address (a Terraform address, a what-if id)
    message: str

    def as_manifest_gap(self, kind: InputKind) -> dict[str, Any]:
        """The `gaps` entry of the predicted snapshot's fixture.json."""
        return {
            "scope": self.resource,
            "operation": f"predict {kind}",
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class PredictedFailure:
    """A change ARM would refuse: the resource stays as the failed apply leaves it (a peering that
    cannot be created is absent) and `error` is ARM's error code."""

    resource: str
    error: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"resource": self.resource, "error": self.error, "message": self.message}


@dataclass(frozen=True)
class Favourable:
    """The tree after the change with what was left out for an unknown value included as planned,
    the unknown value taken from the other side (a peering's remote VNet from the peering that
    points back); `resolved`: the ids of the resources it includes."""

    tree: RawTree
    resolved: tuple[str, ...]


@dataclass
class Prediction:
    """The outcome of applying one change document to BEFORE's raw documents."""

    input: InputKind
    file: str
    gaps: list[PredictionGap] = field(default_factory=list)
    # resource id -> read-only properties the adapter had to predict (a created peering's state, ...)
    predicted_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: list[str] = field(
        default_factory=list
    )  # ARM ids created, modified or deleted (sorted on output)
    failures: list[PredictedFailure] = field(default_factory=list)  # what ARM would refuse to apply
    # the change with the gaps resolved the favourable way (`predict.favourable`), when some can be
    favourable: Favourable | None = None

    def fail(self, resource: str, error: str, message: str) -> None:
        self.failures.append(PredictedFailure(resource, error, message))

    def gap(self, code: str, resource: str, message: str) -> None:
        assert code in GAP_KINDS, code
        self.gaps.append(PredictionGap(code, resource, message))

    def predict(self, resource_id: str, values: dict[str, Any]) -> None:
        """Record read-only values predicted for a resource (a copy: the tree's own may change)."""
        self.predicted_state.setdefault(str(resource_id), {}).update(copy.deepcopy(values))


# -- reading BEFORE's raw documents (the adapters change them through `auditor.edits`) -----------------


def dig(doc: Any, *path: str) -> Any:
    """The value at `path` in nested objects, or None when a step is missing or not an object."""
    for part in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def apply(tree: RawTree, prediction: Prediction, edit: Edit) -> bool:
    """Apply an adapter's edit to BEFORE's raw documents (`auditor.edits`); a Gap is the prediction's."""
    return apply_edit(tree, edit, on_gap=lambda g: prediction.gap(g.code, g.resource, g.message))


def find(tree: RawTree, resource_id: str) -> dict[str, Any] | None:
    """The raw ARM document of a resource (top level or nested child), by id (case-insensitive)."""
    key = resource_key(resource_id)
    slot = tree.index().get(key) if key else None
    return slot.resource if slot else None


__all__ = [
    "GAP_KINDS",
    "Favourable",
    "InputKind",
    "PredictedFailure",
    "Prediction",
    "PredictionGap",
    "RawTree",
    "apply",
    "dig",
    "find",
]
