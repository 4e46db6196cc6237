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
from typing import Any

from pydantic import ValidationError

from auditor.edits import Create, Patch, apply_edit
from auditor.errors import InputError, json_path
from auditor.ids import ArmId
from auditor.model.kinds import MODELLED
from auditor.normalize import Loc
from auditor.rawtree import RawTree, child_arrays, document_items, resource_key, under


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
            if key not in slots:
                _check_complete(item, file, loc, str(raw_id))
                apply_edit(tree, Create(copy.deepcopy(item), (file, loc), nested=False), index=slots)
                patched[key] = (file, loc)
                continue
            apply_edit(tree, Patch(str(raw_id), item, (file, loc)), index=slots)
            props = item.get("properties")
            for prop_key, _segment in child_arrays(key):
                if isinstance(props, dict) and isinstance(props.get(prop_key), list):
                    replaced[key] = (file, [*loc, "properties", prop_key])
            patched[key] = (file, loc)
    for key, (file, loc) in patched.items():
        for parent, (pfile, ploc) in replaced.items():
            if key != parent and under(key, parent):
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
