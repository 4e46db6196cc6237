"""ARM what-if results -> BEFORE's raw documents changed in place (`--what-if FILE`).

Input: `az deployment group|sub what-if --result-format FullResourcePayloads --no-pretty-print`
(`{"status", "changes", "potentialChanges", "diagnostics", "error"}`), or the REST response of
`POST .../deployments/{name}/whatIf`, which nests the lists under `properties`. Each change
carries `resourceId`, `changeType`, and with FullResourcePayloads `before`/`after` (the whole
resource) and `delta`.

- `Create`: `after` is added (nested in its parent's child array when BEFORE holds the parent).
  Read-only state is predicted and listed in `Prediction.predicted_state`: `provisioningState:
  Succeeded`; a peering is `Connected` (with `peeringSyncLevel: FullyInSync`) when its reverse
  peering exists after the change, else `Initiated`; its `remoteAddressSpace` is the remote VNet's.
- `Modify`: `after` is merge-patched (RFC 7386) onto BEFORE's document. Read-only properties
  (`provisioningState`, `peeringState`, `peeringSyncLevel`, `remoteAddressSpace`, ...) keep
  BEFORE's values whether `after` omits them or repeats an old value: a deployment cannot set
  them. A child array `after` carries (`subnets`, `routes`, ...) replaces BEFORE's, each child
  merged onto BEFORE's child of the same id, so its read-only state survives too. A child array
  `after` omits is unchanged: a VNet whose template manages peerings separately is reported with
  its peerings deleted, which redeploying does not do (what-if noise); a writable property the
  model reads that `after` omits while BEFORE sets it to a non-default value is a
  `potential-change` gap (a full PUT may reset it), kept as BEFORE.
- `Delete`: removed with its children. Side effects on read-only state are predicted (`state.py`,
  shared with the Terraform adapter): the reverse of a deleted peering becomes `Disconnected`, an
  `Initiated` peering whose reverse is created becomes `Connected`, and a route table's `subnets`
  follow the subnets that reference it.
- `NoChange`, `Ignore`, `NoEffect`: BEFORE as it is.
- Gaps, never a guess: `Deploy`/`Unsupported` on a modelled type (`unsupported-change`), every
  `potentialChanges` entry and every warning or error diagnostic (`potential-change`), any string
  `"[...]"` what-if could not evaluate (`unresolved-expression`; the property keeps BEFORE's value),
  a change to an unmodelled Microsoft.Network type that bears on routing (`unmapped-resource`),
  a Modify or Delete of a resource BEFORE does not hold (`unknown-resource`). Other unmodelled
  types (compute, storage, ...) are ignored. Secrets in `after` never enter the tree.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import AliasPath, ValidationError

from auditor.edits import Create, Delete, Gap, Patch
from auditor.errors import InputError, json_path
from auditor.ids import BAD_SEGMENTS, ArmId
from auditor.live.redact import redact
from auditor.model import kinds
from auditor.model.kinds import MODELLED, bears_on_routing
from auditor.normalize import Loc
from auditor.predict import Prediction, RawTree, apply, dig, find
from auditor.predict.state import links, settle
from auditor.rawtree import child_arrays, merge_patch, resource_key

CHANGE_TYPES = ("Create", "Modify", "Delete", "NoChange", "Ignore", "Deploy", "NoEffect", "Unsupported")
_CANONICAL = {t.lower(): t for t in CHANGE_TYPES}

# Properties a deployment cannot set (ARM computes them) on every type; per type, the registry's
# `read_only`. What ARM sets when a PUT omits a writable property is the registry's `defaults`:
# omitting it changes nothing when BEFORE holds this value (an empty array or object never counts as
# set either). A child array in the registry's `kept_when_omitted` is one a parent's PUT leaves alone
# when it omits it (peerings are managed on their own). A change to an unmodelled type that bears on
# routing (`kinds.bears_on_routing`) is a gap.
READ_ONLY_COMMON = ("provisioningState", "resourceGuid")

FULL_PAYLOADS = "run what-if with --result-format FullResourcePayloads"


def apply_what_if(tree: RawTree, document: Any, file: str) -> Prediction:
    """Apply one what-if result to BEFORE's raw documents (in place)."""
    changes, potential, diagnostics, base = _envelope(document, file)
    run = _Run(tree, file, Prediction(input="what-if", file=file))
    before = links(tree)
    parsed = [_parse_change(entry, [*base, "changes", i], file) for i, entry in enumerate(changes)]
    ordered = sorted(
        (c for c in parsed if c is not None),
        key=lambda c: (c.change_type != "Delete", c.depth, c.index),
    )
    for change in ordered:
        run.apply(change)
    for i, entry in enumerate(potential):
        run.potential(entry, [*base, "potentialChanges", i])
    for i, entry in enumerate(diagnostics):
        run.diagnostic(entry, [*base, "diagnostics", i])
    run.prediction.changed.extend(
        settle(tree, run.prediction, before, run.created, unknown_remote="not in BEFORE")
    )
    run.prediction.changed = sorted(set(run.prediction.changed), key=str.lower)
    return run.prediction


# -- the document ----------------------------------------------------------------------------------


def _envelope(document: Any, file: str) -> tuple[list[Any], list[Any], list[Any], Loc]:
    """(changes, potentialChanges, diagnostics, location of the lists) of either documented shape."""
    if not isinstance(document, dict):
        raise InputError(
            file, "$", "expected a what-if result object (az deployment ... what-if --no-pretty-print)"
        )
    error = document.get("error")
    if error not in (None, {}):
        detail = error if isinstance(error, dict) else {}
        raise InputError(
            file,
            "$.error",
            f"the what-if operation failed: {detail.get('code') or 'error'}: {detail.get('message') or error}",
        )
    status = document.get("status")
    if status is not None and (not isinstance(status, str) or status.lower() != "succeeded"):
        raise InputError(file, "$.status", f"the what-if operation did not succeed (status {status!r})")
    flat = [k for k in ("changes", "potentialChanges", "diagnostics") if k in document]
    base: Loc = []
    container = document
    if "properties" in document:
        if flat:
            raise InputError(
                file,
                f"$.{flat[0]}",
                "both 'properties' (REST response) and top-level lists (az output): which?",
            )
        container = document["properties"]
        base = ["properties"]
        if not isinstance(container, dict):
            raise InputError(file, "$.properties", "expected an object holding 'changes'")
    changes = container.get("changes")
    if not isinstance(changes, list):
        raise InputError(
            file,
            json_path([*base, "changes"]),
            f"expected the array of predicted changes ({FULL_PAYLOADS} --no-pretty-print)",
        )
    lists: list[list[Any]] = []
    for key in ("potentialChanges", "diagnostics"):
        value = container.get(key)
        if value is not None and not isinstance(value, list):
            raise InputError(file, json_path([*base, key]), "expected an array")
        lists.append(value or [])
    return changes, lists[0], lists[1], base


@dataclass(frozen=True)
class _Change:
    index: int
    loc: Loc
    change_type: str
    resource_id: str
    key: str
    type_path: str
    after: dict[str, Any] | None
    reason: str | None

    @property
    def depth(self) -> int:
        return self.type_path.count("/")


def _parse_change(entry: Any, loc: Loc, file: str) -> _Change | None:
    """A change entry, or None when it is about no ARM resource under a subscription (a management
    group, a resource group itself, an extension resource addressed by `identifiers`)."""
    if not isinstance(entry, dict):
        raise InputError(file, json_path(loc), "expected a change object")
    raw_type = entry.get("changeType")
    change_type = _CANONICAL.get(raw_type.lower()) if isinstance(raw_type, str) else None
    if change_type is None:
        raise InputError(
            file,
            json_path([*loc, "changeType"]),
            f"expected one of {', '.join(CHANGE_TYPES)}, got {raw_type!r}",
        )
    raw_id = entry.get("resourceId")
    if raw_id is None:
        if any(k in entry for k in ("identifiers", "symbolicName", "deploymentId")):
            return None  # an extensible (non-ARM) resource
        raise InputError(file, json_path([*loc, "resourceId"]), "a change needs its resourceId")
    if not isinstance(raw_id, str):
        raise InputError(file, json_path([*loc, "resourceId"]), "expected a string")
    try:
        rid = ArmId(raw_id)
    except ValueError as exc:
        if _mapped(raw_id, entry):
            raise InputError(file, json_path([*loc, "resourceId"]), str(exc)) from None
        return None  # a scope (management group, tenant), or a type azroute does not read
    type_path = rid.type_path
    if type_path is None or rid.key.count("/providers/") > 1:
        return None  # a scope, or an extension resource (diagnostic settings, a lock) on a resource
    after = entry.get("after")
    if after is not None and not isinstance(after, dict):
        raise InputError(
            file, json_path([*loc, "after"]), "expected the resource object after the deployment"
        )
    declared = after.get("id") if after is not None else None
    if isinstance(declared, str) and (MODELLED.get(type_path) or bears_on_routing(type_path)):
        try:
            ArmId(declared)
        except ValueError as exc:
            raise InputError(file, json_path([*loc, "after", "id"]), str(exc)) from None
    reason = entry.get("unsupportedReason")
    return _Change(
        index=int(loc[-1]),
        loc=loc,
        change_type=change_type,
        resource_id=rid,
        key=rid.key,
        type_path=type_path,
        after=after,
        reason=reason if isinstance(reason, str) else None,
    )


def _mapped(raw_id: str, entry: dict[str, Any]) -> bool:
    """Whether a change whose resourceId is not a well-formed ARM id (an empty, '.' or '..'
    segment, ...) may be about a type azroute reads: the type its payload declares, or the
    top-level type `providers/<namespace>/<type>` the id names once its bad segments are left
    out ('..' may lead anywhere under it), is modelled or bears on routing."""
    types = set()
    for side in ("before", "after"):
        payload = entry.get(side)
        declared = payload.get("type") if isinstance(payload, dict) else None
        if isinstance(declared, str):
            types.add(declared.lower())
    segments = [s for s in raw_id.lower().split("/") if s not in BAD_SEGMENTS]
    for i, segment in enumerate(segments[:-2]):
        if segment == "providers":
            types.add(f"{segments[i + 1]}/{segments[i + 2]}")
    return any(bears_on_routing(t) or any(k == t or k.startswith(t + "/") for k in MODELLED) for t in types)


def unresolved(value: Any) -> bool:
    """A template expression what-if left unevaluated (`"[reference(...)]"`; `"[[..."` is a literal)."""
    return (
        isinstance(value, str)
        and value.startswith("[")
        and value.endswith("]")
        and not value.startswith("[[")
    )


def _expressions(value: Any, loc: Loc) -> list[Loc]:
    if unresolved(value):
        return [loc]
    found: list[Loc] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found.extend(_expressions(v, [*loc, k]))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(_expressions(v, [*loc, i]))
    return found


@cache
def _modelled_properties(type_path: str) -> frozenset[str]:
    """The `properties.<key>`s the model reads for a type."""
    kind = MODELLED.get(type_path)
    if kind is None:
        return frozenset()
    keys: set[str] = set()
    for info in kind.model.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, AliasPath) and len(alias.path) >= 2 and alias.path[0] == "properties":
            keys.add(str(alias.path[1]))
    return frozenset(keys)


def _read_only(type_path: str) -> tuple[str, ...]:
    kind = kinds.kind_of(type_path)
    return READ_ONLY_COMMON + (kind.read_only if kind else ())


def _set(value: Any) -> bool:
    return value is not None and value != [] and value != {}


# -- applying ---------------------------------------------------------------------------------------


@dataclass
class _Run:
    tree: RawTree
    file: str
    prediction: Prediction
    created: set[str] = field(default_factory=set)  # keys of created resources (children included)
    deleted: set[str] = field(default_factory=set)

    def gap(self, code: str, resource: str, message: str) -> None:
        apply(self.tree, self.prediction, Gap(code, resource, message))

    def where(self, loc: Loc) -> str:
        return json_path(loc)

    def apply(self, change: _Change) -> None:
        kind = MODELLED.get(change.type_path)
        kind_type = change.change_type
        if kind is None:
            if bears_on_routing(change.type_path) and kind_type not in ("NoChange", "Ignore", "NoEffect"):
                self.gap(
                    "unmapped-resource",
                    change.resource_id,
                    f"{kind_type} of a {change.type_path} (at {self.where(change.loc)}): azroute does not "
                    "model this type, and it bears on routing",
                )
            return
        if kind_type in ("NoChange", "Ignore", "NoEffect"):
            return
        if kind_type in ("Deploy", "Unsupported"):
            why = f": {change.reason}" if change.reason else ""
            self.gap(
                "unsupported-change",
                change.resource_id,
                f"what-if reports {kind_type} (at {self.where(change.loc)}), so its change cannot be predicted{why}",
            )
            return
        if "[" in change.resource_id and "]" in change.resource_id:
            self.gap(
                "unresolved-expression",
                change.resource_id,
                f"the resource id at {self.where([*change.loc, 'resourceId'])} holds an unevaluated expression",
            )
            return
        if kind_type == "Delete":
            self.delete(change)
            return
        if change.after is None:
            raise InputError(
                self.file,
                self.where([*change.loc, "after"]),
                f"a {kind_type} needs the resource's 'after' payload: {FULL_PAYLOADS}",
            )
        if kind_type == "Modify":
            self.modify(change, change.after)
        else:
            self.create(change, change.after)

    def _under_deleted(self, key: str) -> bool:
        return any(key == d or key.startswith(d + "/") for d in self.deleted)

    def delete(self, change: _Change) -> None:
        if apply(self.tree, self.prediction, Delete(change.resource_id)):
            self.deleted.add(change.key)
            self.prediction.changed.append(change.resource_id)
        elif not self._under_deleted(change.key):
            self.gap(
                "unknown-resource",
                change.resource_id,
                f"what-if deletes it (at {self.where(change.loc)}) but BEFORE does not hold it",
            )

    def modify(self, change: _Change, after: dict[str, Any]) -> None:
        before = find(self.tree, change.resource_id)
        if before is None:
            self.gap(
                "unknown-resource",
                change.resource_id,
                f"what-if modifies it (at {self.where(change.loc)}) but BEFORE does not hold it",
            )
            return
        was = copy.deepcopy(before)
        loc = [*change.loc, "after"]
        change_doc = self.prepare(redact(after), str(before.get("id") or change.resource_id), loc, before)
        apply(self.tree, self.prediction, Patch(change.resource_id, change_doc, (self.file, loc)))
        if before != was:
            self.prediction.changed.append(str(before.get("id") or change.resource_id))

    def create(self, change: _Change, after: dict[str, Any]) -> None:
        loc = [*change.loc, "after"]
        declared = after.get("id")
        if declared is not None and resource_key(declared) != change.key:
            raise InputError(
                self.file,
                self.where([*loc, "id"]),
                f"does not match the change's resourceId {change.resource_id}",
            )
        rid = declared if isinstance(declared, str) else change.resource_id
        saved = (
            len(self.prediction.gaps),
            set(self.created),
            copy.deepcopy(self.prediction.predicted_state),
            len(self.prediction.changed),
        )
        item = self.prepare(redact(after), rid, loc, None)
        item["id"] = rid
        if not isinstance(item.get("name"), str):
            item["name"] = ArmId(change.resource_id).name
        kind = MODELLED[change.type_path]
        try:
            kind.model.model_validate(item)
        except ValidationError as exc:
            if len(self.prediction.gaps) == saved[0]:
                raise InputError.from_validation(self.file, loc, exc) from None
            self.created = saved[1]
            self.prediction.predicted_state = saved[2]
            del self.prediction.changed[saved[3] :]
            self.gap(
                "unresolved-expression",
                change.resource_id,
                f"not created in the prediction: without the unevaluated values it is incomplete "
                f"({InputError.from_validation(self.file, loc, exc).message})",
            )
            return
        apply(self.tree, self.prediction, Create(item, (self.file, loc)))
        self.prediction.changed.append(item["id"])

    def prepare(self, doc: Any, rid: str, loc: Loc, before: dict[str, Any] | None) -> dict[str, Any]:
        """The document to merge onto `before` (or to add when `before` is None): read-only
        properties out, child arrays merged child by child, unevaluated expressions out (gaps)."""
        if not isinstance(doc, dict):
            raise InputError(self.file, self.where(loc), "expected an ARM resource object")
        key = ArmId(rid).key
        type_path = ArmId(rid).type_path or ""
        out = {k: copy.deepcopy(v) for k, v in doc.items() if k not in ("apiVersion", "etag")}
        if before is not None:
            out.pop("id", None)  # BEFORE's spelling stays
        props = out.get("properties")
        if props is not None and not isinstance(props, dict):
            raise InputError(self.file, self.where([*loc, "properties"]), "expected an object")
        props = props if isinstance(props, dict) else {}
        for name in _read_only(type_path):
            props.pop(name, None)
        handled: set[str] = set()
        for prop_key, segment in child_arrays(key):
            handled.add(prop_key)
            children = props.get(prop_key)
            if children is None:
                props.pop(prop_key, None)
                self._omitted_children(before, rid, type_path, prop_key, loc)
                continue
            merged = self._children(children, rid, segment, [*loc, "properties", prop_key], before, prop_key)
            if merged is None:
                props.pop(prop_key)
            else:
                props[prop_key] = merged
        for name in sorted(set(props) - handled):
            found = _expressions(props[name], [*loc, "properties", name])
            if found:
                del props[name]
                for path in found:
                    self._unresolved(rid, path, before is None)
        for name in [k for k in out if k != "properties"]:
            found = _expressions(out[name], [*loc, name])
            if found:
                del out[name]
                for path in found:
                    self._unresolved(rid, path, before is None)
        if before is None:
            self.created.add(key)
            props["provisioningState"] = "Succeeded"
            self.prediction.predict(rid, {"provisioningState": "Succeeded"})
        else:
            self._omitted_properties(before, doc, rid, type_path, loc)
        if props or "properties" in out or before is None:
            out["properties"] = props
        return out

    def _children(
        self,
        children: Any,
        parent_id: str,
        segment: str,
        loc: Loc,
        before: dict[str, Any] | None,
        prop_key: str,
    ) -> list[Any] | None:
        """A child array of `after`, each child merged onto BEFORE's child with the same id; None
        when a child cannot be identified (the array then stays as BEFORE had it)."""
        if not isinstance(children, list):
            raise InputError(self.file, self.where(loc), "expected an array")
        old: dict[str, tuple[str, dict[str, Any]]] = {}
        for child in dig(before, "properties", prop_key) or ():
            if isinstance(child, dict):
                child_id = str(child.get("id") or f"{parent_id}/{segment}/{child.get('name')}")
                child_key = resource_key(child_id)
                if child_key:
                    old[child_key] = (child_id, child)
        merged: list[Any] = []
        keys: set[str] = set()
        for j, child in enumerate(children):
            where: Loc = [*loc, j]
            if not isinstance(child, dict):
                raise InputError(self.file, self.where(where), "expected an ARM resource object")
            by_id = child.get("id") is not None
            ident = child.get("id") if by_id else child.get("name")
            if unresolved(ident):
                self._unresolved(parent_id, [*where, "id" if by_id else "name"], before is None)
                return None
            if not isinstance(ident, str) or not ident:
                raise InputError(self.file, self.where(where), "a child resource needs its 'name' or 'id'")
            child_id = ident if by_id else f"{parent_id}/{segment}/{ident}"
            try:
                child_key = ArmId(child_id).key
            except ValueError as exc:
                raise InputError(
                    self.file, self.where([*where, "id" if by_id else "name"]), str(exc)
                ) from None
            prior_id, prior = old.get(child_key, (child_id, None))
            prepared = self.prepare(child, prior_id, where, prior)
            if prior is not None:
                prepared = merge_patch(copy.deepcopy(prior), prepared)
            if prepared != prior:
                self.prediction.changed.append(prior_id)
            merged.append(prepared)
            keys.add(child_key)
        for child_key, (prior_id, _prior) in old.items():
            if child_key not in keys:
                self.deleted.add(child_key)
                self.prediction.changed.append(prior_id)
        return merged

    def _omitted_children(
        self, before: dict[str, Any] | None, rid: str, type_path: str, prop_key: str, loc: Loc
    ) -> None:
        kind = kinds.kind_of(type_path)
        if before is None or (kind is not None and prop_key in kind.kept_when_omitted):
            return
        if _set(dig(before, "properties", prop_key)):
            self.gap(
                "potential-change",
                rid,
                f"after (at {self.where(loc)}) omits properties.{prop_key}, which BEFORE holds: a redeployment "
                "may remove them (what-if reports them deleted); kept as BEFORE",
            )

    def _omitted_properties(
        self, before: dict[str, Any], after: dict[str, Any], rid: str, type_path: str, loc: Loc
    ) -> None:
        """Writable properties the model reads that `after` leaves out while BEFORE sets them."""
        old = before.get("properties")
        new = after.get("properties")
        if not isinstance(old, dict):
            return
        new = new if isinstance(new, dict) else {}
        kind = kinds.kind_of(type_path)
        defaults = kind.defaults if kind else {}
        children = {prop_key for prop_key, _ in child_arrays(ArmId(rid).key)}
        skip = set(_read_only(type_path)) | children
        for name in sorted(_modelled_properties(type_path) - skip):
            value = old.get(name)
            if name in new or not _set(value) or (name in defaults and value == defaults[name]):
                continue
            self.gap(
                "potential-change",
                rid,
                f"after (at {self.where(loc)}) omits properties.{name}, which BEFORE sets: a redeployment may "
                "reset it; kept as BEFORE",
            )

    def _unresolved(self, rid: str, path: Loc, created: bool) -> None:
        outcome = "left out of the created resource" if created else "keeps BEFORE's value"
        self.gap(
            "unresolved-expression",
            rid,
            f"{self.where(path)} is an expression what-if could not evaluate: the property is {outcome}",
        )

    # -- what what-if is not sure of --------------------------------------------------------------

    def potential(self, entry: Any, loc: Loc) -> None:
        if not isinstance(entry, dict):
            raise InputError(self.file, self.where(loc), "expected a change object")
        raw_type = entry.get("changeType")
        address = entry.get("resourceId") or entry.get("symbolicName") or self.where(loc)
        self.gap(
            "potential-change",
            str(address),
            f"what-if is not sure of this change ({raw_type}, at {self.where(loc)}): not applied",
        )

    def diagnostic(self, entry: Any, loc: Loc) -> None:
        if not isinstance(entry, dict):
            raise InputError(self.file, self.where(loc), "expected a diagnostic object")
        level = entry.get("level")
        if not isinstance(level, str) or level.lower() not in ("warning", "error"):
            return
        target = entry.get("target")
        self.gap(
            "potential-change",
            target if isinstance(target, str) and target else self.where(loc),
            f"what-if {level.lower()} {entry.get('code')}: {entry.get('message')} (at {self.where(loc)}); "
            "changes it could not evaluate are missing from the prediction",
        )


__all__ = ["CHANGE_TYPES", "apply_what_if", "unresolved"]
