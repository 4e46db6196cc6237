"""BEFORE's raw ARM documents as read from disk: the tree overlays and change predictions edit
(through `auditor.edits`) before the one normalizer reads it.

Every resource keeps its origin (file and JSON path), so that errors and findings point at the
file that holds it or at the input that changed it. Nested children (subnets, peerings, routes,
circuit peerings, Global Reach connections) are addressed by their own id, including the id the
normalizer derives for a nested child that has none.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import InputError
from auditor.ids import ArmId
from auditor.model.kinds import MODELLED
from auditor.normalize import Loc

Origin = tuple[str, Loc]  # (file, JSON location) of the document a resource came from


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge, `null` deletes, anything else (arrays included) replaces.
    A dict target is changed in place (so references into it stay valid) and returned."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target


def resource_key(raw_id: Any) -> str | None:
    """The case-insensitive key of an ARM id, or None when it is not one."""
    if not isinstance(raw_id, str):
        return None
    try:
        return ArmId(raw_id).key
    except ValueError:
        return None


def child_arrays(resource_key_: str) -> tuple[tuple[str, str], ...]:
    """(properties key, child type segment) of the children nested in a resource of this type."""
    kind = MODELLED.get(ArmId(resource_key_).type_path or "")
    return kind.children if kind else ()


@dataclass
class Slot:
    """Where one resource sits in the raw documents."""

    resource: dict[str, Any]
    container: list[Any] | None  # the list holding it (a page's value, a parent's child array)
    document: int  # index of the document (file) it belongs to
    parent: str | None


@dataclass
class RawTree:
    """ARM documents and operation records as read from disk (or merged from an overlay)."""

    documents: list[tuple[str, Any] | None]  # (file, document); None once removed
    operations: dict[str, tuple[str, Any]]  # "operations/<relative path>" -> (file, record)
    origins: dict[str, Origin] = field(default_factory=dict)

    def index(self) -> dict[str, Slot]:
        slots: dict[str, Slot] = {}
        for d, entry in enumerate(self.documents):
            if entry is not None:
                for item, loc in document_items(entry[1]):
                    index_resource(slots, item, entry[1]["value"] if loc else None, d)
        return slots

    def record_origins(
        self, item: Any, file: str, loc: Loc, parent: str | None = None, segment: str | None = None
    ) -> None:
        """Origins of a resource and of the children nested in it."""
        for key, _item, where, _container, _parent in walk(item, loc, None, parent, segment):
            self.origins[key] = (file, where)

    def record_all_origins(self) -> None:
        for entry in self.documents:
            if entry is not None:
                for item, loc in document_items(entry[1]):
                    self.record_origins(item, entry[0], loc)


Walked = tuple[str, dict[str, Any], Loc, list[Any] | None, str | None]


def walk(
    item: Any, loc: Loc, container: list[Any] | None, parent: str | None, segment: str | None
) -> Iterator[Walked]:
    """A resource and the children nested in it, with ids derived the way the normalizer does:
    (key, resource, JSON location, the list holding it, the parent's id)."""
    if not isinstance(item, dict):
        return
    raw_id = item.get("id")
    if raw_id is None and parent is not None and segment and isinstance(item.get("name"), str):
        raw_id = f"{parent}/{segment}/{item['name']}"
    key = resource_key(raw_id)
    if key is None:
        return
    yield key, item, loc, container, parent
    props = item.get("properties")
    if not isinstance(props, dict):
        return
    for prop_key, child_segment in child_arrays(key):
        children = props.get(prop_key)
        if isinstance(children, list):
            for i, child in enumerate(children):
                yield from walk(
                    child, [*loc, "properties", prop_key, i], children, str(raw_id), child_segment
                )


def index_resource(
    slots: dict[str, Slot],
    item: Any,
    container: list[Any] | None,
    d: int,
    parent: str | None = None,
    segment: str | None = None,
) -> None:
    """Index a resource and the children nested in it."""
    for key, resource, _loc, holder, parent_id in walk(item, [], container, parent, segment):
        slots[key] = Slot(resource, holder, d, parent_id)


def document_items(doc: Any) -> list[tuple[Any, Loc]]:
    """The resources of one document: the items of a list page, or the document itself."""
    if isinstance(doc, dict) and "id" not in doc and isinstance(doc.get("value"), list):
        return [(item, ["value", i]) for i, item in enumerate(doc["value"])]
    return [(doc, [])]


def under(key: str, ancestor: str) -> bool:
    return key == ancestor or key.startswith(ancestor + "/")


def remove_resources(tree: RawTree, ids: list[str], manifest_file: str) -> None:
    for i, raw in enumerate(ids):
        slots = tree.index()
        key = resource_key(raw)
        if key is None:
            raise InputError(manifest_file, f"$.removeResources[{i}]", f"not an ARM resource id: {raw!r}")
        if key not in slots:
            raise InputError(manifest_file, f"$.removeResources[{i}]", f"the base holds no resource {raw}")
        for victim, slot in slots.items():
            if not under(victim, key):
                continue
            if slot.container is not None:
                slot.container[:] = [x for x in slot.container if x is not slot.resource]
            else:
                tree.documents[slot.document] = None
        for rel, (_, record) in list(tree.operations.items()):
            target = resource_key(record.get("resourceId")) if isinstance(record, dict) else None
            if target is not None and under(target, key):
                del tree.operations[rel]
