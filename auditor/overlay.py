"""Overlays (`azroute-overlay/1`): a base snapshot with some ARM properties changed.

The overlay works on the raw ARM JSON before normalization, so an overlaid snapshot goes through
exactly the same normalizer as a full one:

- every ARM document of the overlay is merged into the base resource with the same id
  (case-insensitive) by RFC 7386 JSON Merge Patch; nested children (subnets, peerings, routes,
  circuit peerings, Global Reach connections) are addressed by their own id, including the id the
  normalizer derives for a nested child that has none;
- a document with an id the base does not hold is added, and must then be a complete resource;
- `removeResources` removes resources with their nested children and the observations recorded
  on them; `removeObservations` removes single observation files; a file under the overlay's
  `operations/` replaces the base's file at the same relative path.

Every resource keeps its origin (file and JSON path): the overlay's patch when one patched it,
else the base's document, so that errors and findings point at the right file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from auditor.errors import InputError, json_path
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


def _under(key: str, ancestor: str) -> bool:
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
            if not _under(victim, key):
                continue
            if slot.container is not None:
                slot.container[:] = [x for x in slot.container if x is not slot.resource]
            else:
                tree.documents[slot.document] = None
        for rel, (_, record) in list(tree.operations.items()):
            target = resource_key(record.get("resourceId")) if isinstance(record, dict) else None
            if target is not None and _under(target, key):
                del tree.operations[rel]


def apply_patches(tree: RawTree, patches: list[tuple[str, Any]]) -> None:
    """Merge the overlay's ARM documents into the tree (RFC 7386), or add them when new."""
    replaced: dict[str, tuple[str, Loc]] = {}  # parent key -> where its child array was replaced
    patched: dict[str, tuple[str, Loc]] = {}
    slots = tree.index()
    for file, doc in patches:
        if not isinstance(doc, dict):
            raise InputError(file, "$", "expected a JSON object (an ARM resource or a list page)")
        for item, loc in document_items(doc):
            if not isinstance(item, dict):
                raise InputError(file, json_path(loc), "expected an ARM resource object")
            raw_id = item.get("id")
            key = resource_key(raw_id)
            if key is None:
                raise InputError(
                    file, json_path([*loc, "id"]), "an overlay document needs the ARM 'id' of what it changes"
                )
            slot = slots.get(key)
            if slot is None:
                _check_complete(item, file, loc, str(raw_id))
                added = copy.deepcopy(item)
                tree.documents.append((file, added))
                index_resource(slots, added, None, len(tree.documents) - 1)
                tree.record_origins(added, file, loc)
                patched[key] = (file, loc)
                continue
            merge_patch(slot.resource, item)
            tree.origins[key] = (file, loc)
            props = item.get("properties")
            for prop_key, segment in child_arrays(key):
                if isinstance(props, dict) and isinstance(props.get(prop_key), list):
                    replaced[key] = (file, [*loc, "properties", prop_key])
                    children = slot.resource["properties"][prop_key]
                    parent_id = str(slot.resource.get("id") or raw_id)
                    for i, child in enumerate(children):
                        where: Loc = [*loc, "properties", prop_key, i]
                        tree.record_origins(child, file, where, parent_id, segment)
                        index_resource(slots, child, children, slot.document, parent_id, segment)
            patched[key] = (file, loc)
    for key, (file, loc) in patched.items():
        for parent, (pfile, ploc) in replaced.items():
            if key != parent and _under(key, parent):
                raise InputError(
                    file,
                    json_path(loc),
                    f"ambiguous overlay: {pfile} at {json_path(ploc)} replaces the child array of "
                    f"{parent} and this document patches its child {key} by id; do one or the other",
                )


def _check_complete(item: dict[str, Any], file: str, loc: Loc, raw_id: str) -> None:
    kind = MODELLED.get(ArmId(raw_id).type_path or "")
    if kind is None:
        return  # a type azroute does not model: it is counted and skipped like any other
    try:
        kind.model.model_validate(item)
    except ValidationError as exc:
        error = InputError.from_validation(file, loc, exc)
        raise InputError(
            file,
            error.path,
            f"the base holds no resource {raw_id}, so this document adds it and must be complete: "
            f"{error.message}",
        ) from None
