"""Edits to a raw snapshot tree, applied by one function.

The change adapters (an overlay, a what-if result, a Terraform plan) read their input in their own
way and emit the same five edits; `apply_edit` is the one place that changes the raw ARM documents:

- `Create`: a new resource (with the children nested in it), in its parent's child array when the
  tree holds the parent (else, or with `nested=False`, a new top-level document); a resource with
  the same id is replaced;
- `Patch`: an RFC 7386 merge into a resource the tree holds; a child array the patch carries
  replaces the parent's (see `ReplaceChildren`);
- `Delete`: a resource with its nested children and the observations recorded on them;
- `ReplaceChildren`: a parent's child array (subnets, peerings, routes, ...) replaced by a new list,
  every child's origin recorded (or kept) and indexed;
- `Gap`: what the input says that cannot be applied, handed to the caller's gap sink.

Every edit names the origin (file and JSON location) of what it writes, so that findings and errors
on an edited resource point at the input that changed it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.rawtree import (
    Origin,
    RawTree,
    Slot,
    child_arrays,
    index_resource,
    merge_patch,
    remove_resources,
    resource_key,
)


@dataclass(frozen=True)
class Create:
    doc: dict[str, Any]  # the complete ARM document (added as is, not copied)
    origin: Origin
    nested: bool = True  # into the parent's child array when the tree holds the parent


@dataclass(frozen=True)
class Patch:
    id: str
    change: dict[str, Any]  # RFC 7386 merge patch
    origin: Origin  # the patched resource's origin from now on


@dataclass(frozen=True)
class Delete:
    id: str


@dataclass(frozen=True)
class ReplaceChildren:
    parent: str  # id of the parent the tree holds
    prop: str  # its child array under `properties`
    children: tuple[dict[str, Any], ...]  # the new array
    origins: tuple[Origin | None, ...]  # per child; None: a child kept as it was keeps its origin


@dataclass(frozen=True)
class Gap:
    code: str
    resource: str
    message: str


Edit = Create | Patch | Delete | ReplaceChildren | Gap
GapSink = Callable[[Gap], None]


def _no_gaps(gap: Gap) -> None:
    raise AssertionError(f"this input cannot leave gaps: {gap}")


def apply_edit(
    tree: RawTree, edit: Edit, *, on_gap: GapSink = _no_gaps, index: dict[str, Slot] | None = None
) -> bool:
    """Apply one edit to the tree in place. False when a Patch or Delete names a resource the tree
    does not hold (nothing changes). `index`: a `tree.index()` the caller keeps, updated with what
    the edit adds."""
    if isinstance(edit, Gap):
        on_gap(edit)
        return True
    if isinstance(edit, Delete):
        key = resource_key(edit.id)
        if key is None or key not in tree.index():
            return False
        remove_resources(tree, [edit.id], "<prediction>")
        return True
    if isinstance(edit, Create):
        _create(tree, edit, index)
        return True
    slots = index if index is not None else tree.index()
    if isinstance(edit, Patch):
        key = resource_key(edit.id)
        slot = slots.get(key) if key else None
        if slot is None or key is None:
            return False
        merge_patch(slot.resource, edit.change)
        tree.origins[key] = edit.origin
        props = edit.change.get("properties")
        file, loc = edit.origin
        for prop, _segment in child_arrays(key):
            if isinstance(props, dict) and isinstance(props.get(prop), list):
                children = slot.resource["properties"][prop]
                where = [(file, [*loc, "properties", prop, i]) for i in range(len(children))]
                _replaced(tree, slot, edit.id, prop, tuple(where), index)
        return True
    key = resource_key(edit.parent)
    slot = slots.get(key) if key else None
    if slot is None:
        return False
    merge_patch(slot.resource, {"properties": {edit.prop: list(edit.children)}})
    _replaced(tree, slot, edit.parent, edit.prop, edit.origins, index)
    return True


def _replaced(
    tree: RawTree,
    slot: Slot,
    raw_id: str,
    prop: str,
    origins: Sequence[Origin | None],
    index: dict[str, Slot] | None,
) -> None:
    """After a parent's child array was replaced: its children's origins, and the caller's index."""
    key = resource_key(raw_id) or ""
    segment = dict(child_arrays(key))[prop]
    children = slot.resource["properties"][prop]
    parent_id = str(slot.resource.get("id") or raw_id)
    for child, origin in zip(children, origins, strict=True):
        if origin is not None:
            tree.record_origins(child, origin[0], origin[1], parent_id, segment)
        if index is not None:
            index_resource(index, child, children, slot.document, parent_id, segment)


def _create(tree: RawTree, edit: Create, index: dict[str, Slot] | None) -> None:
    item = edit.doc
    raw_id = str(item["id"])
    key = resource_key(raw_id)
    if key is None:
        raise ValueError(f"not an ARM id: {raw_id}")
    file, loc = edit.origin
    if edit.nested:
        slots = tree.index()
        if key in slots:
            remove_resources(tree, [raw_id], "<prediction>")
            slots = tree.index()
        # .../<parent>/<childType>/<name> -> .../<parent>
        parent_key = key.rpartition("/")[0].rpartition("/")[0]
        parent = slots.get(parent_key)
        if parent is not None:
            segment = key[len(parent_key) + 1 :].split("/")[0]
            for prop, child_segment in child_arrays(parent_key):
                if child_segment.lower() == segment:
                    parent.resource.setdefault("properties", {}).setdefault(prop, []).append(item)
                    tree.record_origins(item, file, loc)
                    return
    tree.documents.append((file, item))
    if index is not None:
        index_resource(index, item, None, len(tree.documents) - 1)
    tree.record_origins(item, file, loc)


__all__ = ["Create", "Delete", "Edit", "Gap", "Patch", "ReplaceChildren", "apply_edit"]
