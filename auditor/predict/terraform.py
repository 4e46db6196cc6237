"""Terraform plan JSON (`terraform show -json PLANFILE`) -> BEFORE's raw ARM documents after the plan.

The adapter reads `resource_changes[]` of a plan of format_version 1.x (`terraform_plan.py`) and
edits BEFORE's raw ARM documents in place, attribute by attribute, through the tables of
`terraform_map.py` (documented in docs/pre-change.md), executed by `terraform_build.py`;
the read-only state that follows (peering state, a route table's subnets) is predicted by
`state.py`, as for what-if:

- a resource is matched to BEFORE by ARM id (the prior state's `id`); a created one gets the id
  built from its name and resource group (and parent names), in the subscription given with
  `--subscription`, else the one subscription of BEFORE that holds that resource group, else a
  gap;
- an update patches only the attributes whose planned value differs from the prior state, so every
  property the plan does not change (read-only state included) keeps BEFORE's value; inline lists
  (a VNet's `subnet` blocks, a route table's `route` blocks) replace the child arrays, child by
  child (by name);
- a value known only after apply is a gap when routing reads it, except a reference the plan's
  `configuration` names as the `id` of another resource of the same plan, which is resolved to the
  id the adapter builds for it; an attribute the tables do not know, with a planned value, is a gap;
- secret-bearing attributes and every value `before_sensitive`/`after_sensitive` marks are dropped
  as the plan is read: the plan carries them in clear text, the predicted snapshot never does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from auditor import edits
from auditor.edits import Create, Delete, Gap, ReplaceChildren
from auditor.errors import InputError, json_path
from auditor.fixture import parse_json
from auditor.ids import ArmId
from auditor.model.kinds import MODELLED, in_namespace
from auditor.predict import Prediction, apply, find
from auditor.predict.favourable import favourable
from auditor.predict.state import links, settle
from auditor.predict.terraform_build import (
    INLINE,
    Inline,
    Patch,
    Reader,
    build,
    inline_differs,
    unmapped,
)
from auditor.predict.terraform_map import (
    ASSOCIATIONS,
    AZAPI_TYPES,
    IGNORED_TYPES,
    SPECS,
    Spec,
)
from auditor.predict.terraform_plan import (
    KNOWN_ACTIONS,
    SENSITIVE,
    UNKNOWN,
    Change,
    at,
    checked_id,
    has_unknown,
    json_type,
    read_plan,
    scrub,
)
from auditor.rawtree import Origin, RawTree, child_arrays, merge_patch, resource_key

# -- context ----------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    tree: RawTree
    file: str
    prediction: Prediction
    subscription: str | None
    rg_subscriptions: dict[str, set[str]]
    ids: dict[str, str] = field(default_factory=dict)  # Terraform address -> ARM id
    created: set[str] = field(default_factory=set)  # keys of resources the plan creates
    touched: dict[str, str] = field(default_factory=dict)  # key -> id of what the plan changes
    left_out: list[dict[str, Any]] = field(default_factory=list)  # created documents a value is missing from

    def gap(self, code: str, resource: str, message: str) -> None:
        # the Terraform address leads the message, unless it is already the gap's resource
        apply(self.tree, self.prediction, Gap(code, resource, message.removeprefix(f"{resource}: ")))

    def mark(self, resource_id: str) -> None:
        key = resource_key(resource_id)
        if key:
            self.touched.setdefault(key, resource_id)

    def subscription_for(self, ch: Change, group: str) -> tuple[str | None, str]:
        """The subscription of a resource created in `group`, or None and why not."""
        if self.subscription:
            return self.subscription, ""
        prior = ch.prior_id
        if prior is not None:  # a replacement stays in its subscription
            return ArmId(prior).subscription, ""
        subs = self.rg_subscriptions.get(group.lower(), set())
        if len(subs) == 1:
            return next(iter(subs)), ""
        if not subs:
            return None, f"BEFORE holds no resource group {group!r}; pass --subscription"
        return (
            None,
            f"resource group {group!r} is in {len(subs)} subscriptions of BEFORE; pass --subscription",
        )

    def resolve(self, ch: Change, path: tuple[str | int, ...]) -> str | None:
        """An id known only after apply, when the configuration says it is the `id` of one resource
        of this plan (or a data source read before) whose id is known or built."""
        expr: Any = ch.expressions
        for key in path:
            if isinstance(key, int):
                # nested blocks: only a block written once in the configuration is matched
                if not isinstance(expr, list) or len(expr) != 1:
                    return None
                expr = expr[0]
            elif isinstance(expr, dict):
                expr = expr.get(key)
            else:
                return None
        refs = expr.get("references") if isinstance(expr, dict) else None
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            return None
        targets = {r[: -len(".id")] for r in refs if r.endswith(".id")}
        if len(targets) != 1:
            return None
        target = next(iter(targets))
        if not all(r == f"{target}.id" or target == r or target.startswith(r + "[") for r in refs):
            return None
        prefix = f"{ch.module}." if ch.module else ""
        full = prefix + target
        instances = [a for a in self.ids if a.startswith(full + "[")]
        found = self.ids.get(full) or (self.ids[instances[0]] if len(instances) == 1 else None)
        if found is not None:
            checked_id(found, self.file, [*ch.loc, "after", *path])
        return found


def _rg_subscriptions(tree: RawTree) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for slot in tree.index().values():
        raw = slot.resource.get("id")
        if isinstance(raw, str) and resource_key(raw):
            rid = ArmId(raw)
            if rid.resource_group:
                found.setdefault(rid.resource_group.lower(), set()).add(rid.subscription)
    return found


# A scope to check a type path under (`/subscriptions/<id>/providers/<type>`).
SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000"

# -- ids ---------------------------------------------------------------------------------------------------


def _build_id(ctx: _Ctx, ch: Change, *, quiet: bool) -> str | None:
    """The ARM id of the resource a change creates (azurerm types), or None (a gap unless quiet)."""
    after = ch.after or {}
    known = after.get("id")
    if isinstance(known, str) and resource_key(known):
        return known
    if ch.type == "azurerm_resource_group":
        name = after.get("name")
        if not isinstance(name, str):
            return None
        sub, _why = ctx.subscription_for(ch, name)
        return f"/subscriptions/{sub}/resourceGroups/{name}" if sub else None
    spec = SPECS.get(ch.type)
    if spec is None:
        return None
    parts: list[tuple[str, str]] = []
    names = [spec.name_attr] if spec.parent_attr is None else [spec.parent_attr, spec.name_attr]
    for attr in ["resource_group_name", *names]:
        value = after.get(attr)
        _, mask = at(after, ch.unknown, attr)
        if mask is True or not isinstance(value, str) or not value:
            if not quiet:
                ctx.gap(
                    "unknown-until-apply",
                    ch.address,
                    f"{ch.address}: {attr} is known only after apply, so the resource's id is not known",
                )
            return None
        parts.append((attr, value))
    group = parts[0][1]
    sub, why = ctx.subscription_for(ch, group)
    if sub is None:
        if not quiet:
            ctx.gap(
                "unknown-subscription",
                ch.address,
                f"{ch.address}: the subscription it is created in is not known: {why}",
            )
        return None
    checked_id(f"/subscriptions/{sub}", "--subscription", [])  # the others are ids of BEFORE or the plan
    # the id, segment by segment, each name checked as it is added (bad input names its attribute)
    types = spec.kind.arm_type.split("/")  # namespace, type[, child type]
    segments = [f"resourceGroups/{group}", f"providers/{types[0]}/{types[1]}/{parts[1][1]}"]
    if len(parts) > 2:
        segments.append(f"{types[2]}/{parts[2][1]}")
    rid = f"/subscriptions/{sub}"
    for (attr, _value), segment in zip(parts, segments, strict=True):
        rid += f"/{segment}"
        checked_id(rid, ctx.file, [*ch.loc, "after", attr])
    return rid


def _azapi_type(ch: Change) -> str | None:
    """`Microsoft.Network/virtualNetworks/virtualNetworkPeerings` of an azapi resource, or None."""
    raw = (ch.after or ch.before or {}).get("type")
    if not isinstance(raw, str):
        return None
    arm_type = raw.split("@")[0]
    return arm_type if in_namespace(arm_type) else None


def _azapi_id(ctx: _Ctx, ch: Change) -> str | None:
    after = ch.after or {}
    # a created (or replaced) azapi_resource gets the id of what its planned values name
    sources = [after] if ch.creates and ch.type == "azapi_resource" else [after, ch.before or {}]
    for source in sources:
        for attr in ("id", "resource_id"):
            known = source.get(attr)
            if isinstance(known, str) and resource_key(known):
                return known
    resolved = ctx.resolve(ch, ("resource_id",))
    if resolved is not None:
        return resolved
    arm_type = _azapi_type(ch)
    name = after.get("name")
    parent = after.get("parent_id")
    if not isinstance(parent, str) or not parent:
        parent = ctx.resolve(ch, ("parent_id",))
    if arm_type is None or not isinstance(name, str) or not name or not isinstance(parent, str):
        return None
    segments = arm_type.split("/")[1:]
    checked_id(parent, ctx.file, [*ch.loc, "after", "parent_id"])
    checked_id(f"{SCOPE}/providers/{arm_type}", ctx.file, [*ch.loc, "after", "type"])
    if len(segments) == 1:
        rid = f"{parent.rstrip('/')}/providers/{arm_type.split('/')[0]}/{segments[0]}/{name}"
    else:
        rid = f"{parent.rstrip('/')}/{segments[-1]}/{name}"
    checked_id(rid, ctx.file, [*ch.loc, "after", "name"])
    return rid


def _check_ids(ctx: _Ctx, ch: Change) -> None:
    """The ids a change azroute maps gives, on either side, are checked as a snapshot's are: its
    `id`, an azapi resource's `resource_id` and `parent_id`, an association's subnet and target.
    (References the builders read are checked as they are read, ids built from names as they are
    built.)"""
    attrs = ["id"]
    if ch.type in AZAPI_TYPES:
        attrs += ["resource_id", "parent_id"]
    if ch.type in ASSOCIATIONS:
        attrs += ["subnet_id", ASSOCIATIONS[ch.type][0]]
    for side, values in (("before", ch.before), ("after", ch.after)):
        for attr in attrs:
            value = (values or {}).get(attr)
            if isinstance(value, str) and value:
                checked_id(value, ctx.file, [*ch.loc, side, attr])


def _compute_ids(ctx: _Ctx, changes: list[Change], data_ids: dict[str, str]) -> None:
    ctx.ids.update(data_ids)
    for ch in changes:
        if ch.mode == "data":
            after = ch.after or {}
            if isinstance(after.get("id"), str) and resource_key(after["id"]):
                ctx.ids.setdefault(ch.address, after["id"])
    for _ in range(4):  # references between created resources (an azapi parent_id, ...)
        for ch in changes:
            if ch.mode != "managed" or ch.deposed or ch.address in ctx.ids:
                continue
            rid: str | None
            if ch.type in AZAPI_TYPES:
                rid = _azapi_id(ctx, ch)
            elif ch.creates:
                rid = _build_id(ctx, ch, quiet=True)
            else:
                rid = ch.prior_id
            if rid is not None:
                ctx.ids[ch.address] = rid


# -- applying -----------------------------------------------------------------------------------------------


def _origin(ctx: _Ctx, ch: Change, item: dict[str, Any]) -> None:
    """Findings and errors on what the plan changed point at the plan's change."""
    ctx.tree.record_origins(item, ctx.file, [*ch.loc, "after"])


def _complete(ctx: _Ctx, ch: Change, doc: dict[str, Any], reader_unresolved: bool) -> bool:
    """A created document must pass the normalizer's checks; when it does not because a value is
    known only after apply, it is left out (the gap says why), else the plan is wrong."""
    kind = MODELLED.get(ArmId(str(doc["id"])).type_path or "")
    if kind is None:
        return True
    try:
        kind.model.model_validate(doc)
    except ValidationError as exc:
        if reader_unresolved:
            ctx.gap(
                "unknown-until-apply",
                str(doc["id"]),
                f"{ch.address}: left out of the prediction: a value it needs is known only after apply",
            )
            ctx.left_out.append(copy.deepcopy(doc))
            return False
        raise InputError.from_validation(ctx.file, [*ch.loc, "after"], exc) from None
    return True


def _prune(value: Any) -> Any:
    """A created document has no nulls (they only delete properties in a patch)."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _succeeded(ctx: _Ctx, doc: dict[str, Any]) -> None:
    """Created: read-only state predicted, and recorded so in the evidence."""
    doc.setdefault("properties", {})["provisioningState"] = "Succeeded"
    ctx.prediction.predict(str(doc["id"]), {"provisioningState": "Succeeded"})
    key = resource_key(doc["id"])
    if key:
        ctx.created.add(key)
    ctx.mark(str(doc["id"]))


def _add(ctx: _Ctx, ch: Change, doc: dict[str, Any], children: list[dict[str, Any]] | None = None) -> None:
    """Add a created resource (with the created children nested in it) to the tree."""
    for item in (doc, *(children or [])):
        _succeeded(ctx, item)
    apply(ctx.tree, ctx.prediction, Create(doc, (ctx.file, [*ch.loc, "after"])))


def _patch(ctx: _Ctx, ch: Change, rid: str, change: dict[str, Any], side: str = "after") -> None:
    """Merge a change into a resource BEFORE holds; findings on it point at the plan's change."""
    apply(ctx.tree, ctx.prediction, edits.Patch(rid, change, (ctx.file, [*ch.loc, side])))


def _parent_ok(ctx: _Ctx, ch: Change, rid: str) -> bool:
    """A child (subnet, peering, route, circuit peering) is created only inside its parent."""
    parent = ArmId(rid).parent
    if parent is None or ArmId(rid).type_path not in MODELLED or parent.type_path not in MODELLED:
        return True
    if find(ctx.tree, parent) is not None:
        return True
    ctx.gap(
        "unknown-resource",
        rid,
        f"{ch.address}: its parent {parent} is neither in BEFORE nor created by the plan; left out",
    )
    return False


def _apply_azurerm(ctx: _Ctx, ch: Change) -> None:
    spec = SPECS[ch.type]
    if ch.creates:
        rid = ctx.ids.get(ch.address) if not ch.deposed else None
        if rid is None:
            _build_id(ctx, ch, quiet=False)  # records why
            return
        existing = None
    else:
        prior = ch.prior_id
        existing = find(ctx.tree, prior) if prior else None
        if prior is None or existing is None:
            ctx.gap(
                "unknown-resource",
                prior or ch.address,
                f"{ch.address}: the plan updates a resource BEFORE does not hold",
            )
            return
        rid = str(existing.get("id") or prior)
    reader = Reader(ctx, ch, spec, rid)
    built = build(reader, existing)
    unmapped(ctx, ch, spec, rid)
    if ch.creates:
        name = rid.rstrip("/").split("/")[-1]
        doc: dict[str, Any] = _prune({"id": rid, "name": name, "type": spec.kind.arm_type, **built})
        doc.setdefault("properties", {})
        if spec.kind.parent_type is not None and not _parent_ok(ctx, ch, rid):
            return
        inline = INLINE.get(ch.type)
        children: list[dict[str, Any]] = []
        if inline is not None:
            children = _inline_children(ctx, ch, reader, rid, inline)
            doc["properties"][inline.prop] = children
        if _complete(ctx, ch, doc, reader.unresolved):
            _add(ctx, ch, doc, children)
        return
    if built:
        _patch(ctx, ch, rid, built)
    inline = INLINE.get(ch.type)
    if inline is not None:
        _update_inline(ctx, ch, reader, rid, inline)
    ctx.mark(rid)


def _inline_blocks(reader: Reader, ch: Change, block: str) -> list[Reader] | None:
    """Inline child blocks, or None. A list wholly known only after apply is a gap when the
    configuration writes the blocks (or the plan has no configuration); else it is computed from
    child resources managed separately, which the plan shows on their own."""
    _, mask = at(ch.after, ch.unknown, block)
    if mask is True:
        if ch.expressions is None or block in ch.expressions:
            reader.blocks(block)  # records the gap
        return None
    blocks = reader.blocks(block)
    return blocks if isinstance(blocks, list) else None


def _named(blocks: list[Reader], parent_id: str, segment: str) -> Iterator[tuple[str, str, Reader]]:
    """(name, id, reader) of each inline child block with a name; its reader reports under its id."""
    for child in blocks:
        name = child.get("name", str, "a string")
        if isinstance(name, str):
            child.arm_id = f"{parent_id}/{segment}/{name}"
            checked_id(child.arm_id, child.ctx.file, child.loc("name"))
            yield name, child.arm_id, child


def _inline_children(
    ctx: _Ctx,
    ch: Change,
    reader: Reader,
    parent_id: str,
    inline: Inline,
) -> list[dict[str, Any]]:
    """The child array a created parent's inline blocks describe."""
    block, segment = inline.block, inline.segment
    blocks = _inline_blocks(reader, ch, block)
    if blocks is None:
        return []
    out = []
    for name, cid, child in _named(blocks, parent_id, segment):
        doc = _prune({"name": name, "id": cid, "properties": inline.build(child)})
        if not _complete(ctx, ch, doc, child.unresolved):
            continue
        out.append(doc)
    return out


def _update_inline(
    ctx: _Ctx,
    ch: Change,
    reader: Reader,
    parent_id: str,
    inline: Inline,
) -> None:
    """A changed inline list replaces the child array, child by child (by name): children not in the
    planned list go, new ones come (at the end), changed ones are patched with what changed; children
    the prior list did not hold (managed on their own) stay."""
    block, prop, segment = inline.block, inline.prop, inline.segment
    before = (ch.before or {}).get(block)
    blocks = _inline_blocks(reader, ch, block)
    if blocks is None:
        return
    old_by_name = {
        str(b.get("name")): b for b in (before if isinstance(before, list) else []) if isinstance(b, dict)
    }
    parent = find(ctx.tree, parent_id)
    if parent is None:
        return
    array: list[Any] = (parent.get("properties") or {}).get(prop) or []
    current = {str(c.get("name")).lower(): c for c in array if isinstance(c, dict)}
    patched: dict[str, dict[str, Any]] = {}  # name (lower case) -> the child's new document
    added: list[dict[str, Any]] = []
    planned: set[str] = set()
    for name, cid, child in _named(blocks, parent_id, segment):
        planned.add(name.lower())
        old = old_by_name.get(name)
        if old is not None and old == child.value and not has_unknown(child.mask):
            continue  # this child does not change
        props = inline.build(child)
        here = current.get(name.lower())
        if here is not None:
            real_id = str(here.get("id") or cid)
            if old is not None:  # patch only what the plan changes in this child
                props = {k: v for k, v in props.items() if inline_differs(inline, k, old, child.value)}
            if props:
                patched[name.lower()] = merge_patch(copy.deepcopy(here), {"properties": props})
                ctx.mark(real_id)
            continue
        doc = _prune({"name": name, "id": cid, "properties": props})
        if _complete(ctx, ch, doc, child.unresolved):
            _succeeded(ctx, doc)
            added.append(doc)
    removed = {
        name for name in current if name not in planned and any(n.lower() == name for n in old_by_name)
    }
    for name in sorted(removed, key=list(current).index):
        child_doc = current[name]
        ctx.mark(str(child_doc.get("id") or f"{parent_id}/{segment}/{child_doc.get('name')}"))
    if not (patched or added or removed):
        return
    children: list[dict[str, Any]] = []
    origins: list[Origin | None] = []
    for child_doc in array:
        name = str(child_doc.get("name")).lower() if isinstance(child_doc, dict) else ""
        if name in removed and current[name] is child_doc:
            continue
        if name in patched and current[name] is child_doc:
            children.append(patched[name])
            origins.append((ctx.file, []))
        else:
            children.append(child_doc)
            origins.append(None)
    children += added
    origins += [(ctx.file, [*ch.loc, "after"])] * len(added)
    apply(ctx.tree, ctx.prediction, ReplaceChildren(parent_id, prop, tuple(children), tuple(origins)))


def _apply_association(ctx: _Ctx, ch: Change, remove: bool) -> None:
    attr, prop = ASSOCIATIONS[ch.type]
    side = ch.before if remove else ch.after
    side = side or {}
    subnet = side.get("subnet_id")
    _, mask = at(ch.after, ch.unknown, "subnet_id")
    if not remove and mask is True:
        subnet = ctx.resolve(ch, ("subnet_id",))
    if not isinstance(subnet, str) or not resource_key(subnet):
        ctx.gap("unknown-until-apply", ch.address, f"{ch.address}: subnet_id is known only after apply")
        return
    doc = find(ctx.tree, subnet)
    if doc is None:
        if not remove:
            ctx.gap(
                "unknown-resource",
                subnet,
                f"{ch.address}: the subnet is neither in BEFORE nor created by the plan",
            )
        return  # removing an association from a subnet that is gone changes nothing
    if remove:
        target: Any = None
    else:
        target = side.get(attr)
        _, mask = at(ch.after, ch.unknown, attr)
        if mask is True:
            target = ctx.resolve(ch, (attr,))
            if target is None:
                ctx.gap("unknown-until-apply", subnet, f"{ch.address}: {attr} is known only after apply")
                return
        if not isinstance(target, str) or not resource_key(target):
            raise InputError(ctx.file, json_path([*ch.loc, "after", attr]), "expected an ARM resource id")
    reference = None if target is None else {"id": target}
    _patch(ctx, ch, subnet, {"properties": {prop: reference}}, "before" if remove else "after")
    ctx.mark(str(doc.get("id") or subnet))


# -- azapi -------------------------------------------------------------------------------------------------


def _body(ctx: _Ctx, ch: Change, side: str) -> Any:
    """An azapi body: an object (azapi 2.x) or a JSON string (azapi 1.x), secrets dropped."""
    values = ch.after if side == "after" else ch.before
    body = (values or {}).get("body")
    if isinstance(body, str):
        body = parse_json(body, ctx.file, [*ch.loc, side, "body"]) if body.strip() else {}
        body = scrub(body, None)
    if body is not None and not isinstance(body, dict) and body is not SENSITIVE:
        raise InputError(
            ctx.file, json_path([*ch.loc, side, "body"]), f"expected an object, got {json_type(body)}"
        )
    return body


def _diff(before: Any, after: Any, mask: Any = None) -> Any:
    """The RFC 7386 patch that turns `before` into `after` (None when they are equal); what `mask`
    marks as known only after apply is left out (it keeps BEFORE's value)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None if before == after else after
    out: dict[str, Any] = {}
    for key in before:
        if key not in after and not has_unknown(at(None, mask, key)[1]):
            out[key] = None
    for key, value in after.items():
        if key not in before:
            out[key] = value
        else:
            sub = _diff(before[key], value, at(None, mask, key)[1])
            if sub is not None or (value is None and before[key] is not None):
                out[key] = sub
    return out or None


def _drop_unknown(ctx: _Ctx, ch: Change, rid: str, body: Any, mask: Any, path: str) -> Any:
    """The body without the values known only after apply or marked sensitive (a gap each)."""
    if mask is True or body is SENSITIVE:
        why = "is known only after apply" if mask is True else "is marked sensitive in the plan"
        ctx.gap(
            "unknown-until-apply" if mask is True else "unmapped-attribute",
            rid,
            f"{ch.address}: {path} {why}",
        )
        return UNKNOWN
    if isinstance(body, dict):
        out: dict[str, Any] = {}
        keys = set(body) | (set(mask) if isinstance(mask, dict) else set())
        for key in sorted(keys):
            item, sub = at(body, mask, key)
            kept = _drop_unknown(ctx, ch, rid, item, sub, f"{path}.{key}")
            if kept is not UNKNOWN:
                out[key] = kept
        return out
    if isinstance(body, list):
        items = []
        for i, item in enumerate(body):
            _, sub = at(body, mask, i)
            kept = _drop_unknown(ctx, ch, rid, item, sub, f"{path}[{i}]")
            if kept is UNKNOWN:
                return UNKNOWN  # an array is replaced as a whole: a partly unknown one cannot be
            items.append(kept)
        return items
    return body


def _apply_azapi(ctx: _Ctx, ch: Change) -> None:
    arm_type = _azapi_type(ch)
    if arm_type is None:
        return  # not a Microsoft.Network resource: routing does not read it
    rid = ctx.ids.get(ch.address)
    if rid is None:
        ctx.gap(
            "unknown-until-apply",
            ch.address,
            f"{ch.address}: its id (name, parent_id or resource_id) is known only after apply",
        )
        return
    existing = find(ctx.tree, rid)
    _, mask = at(ch.after, ch.unknown, "body")
    after = _drop_unknown(ctx, ch, rid, _body(ctx, ch, "after"), mask, "body")
    if after is UNKNOWN:
        return
    updater = ch.type == "azapi_update_resource"
    if existing is None or (ch.creates and not updater):
        if updater or not ch.creates:
            ctx.gap(
                "unknown-resource", rid, f"{ch.address}: the plan updates a resource BEFORE does not hold"
            )
            return
        if not _parent_ok(ctx, ch, rid):
            return
        extra: Patch = {}
        for attr in ("location", "name"):
            value = (ch.after or {}).get(attr)
            if isinstance(value, str) and value:
                extra[attr] = value
        doc = _prune({**extra, **(after or {}), "id": rid, "type": arm_type})
        doc.setdefault("name", rid.rstrip("/").split("/")[-1])
        doc.setdefault("properties", {})
        if _complete(ctx, ch, doc, has_unknown(mask)):
            _add(ctx, ch, doc)
        return
    before = None if ch.creates else _body(ctx, ch, "before")
    change = _diff(before, after, mask) if isinstance(before, dict) else after
    if change:
        change = {k: v for k, v in change.items() if k not in ("id", "type", "name")}
        _patch(ctx, ch, rid, change)
        props = change.get("properties")
        arrays = {key for key, _segment in child_arrays(resource_key(rid) or "")}
        if isinstance(props, dict) and arrays & set(props):
            _origin(ctx, ch, existing)  # its children came from the plan too
        ctx.mark(str(existing.get("id") or rid))


# -- entry point ------------------------------------------------------------------------------------------


def _phase(ch: Change) -> int:
    if ch.type in SPECS:
        return SPECS[ch.type].phase
    if ch.type in ASSOCIATIONS:
        return 5
    if ch.type == "azapi_update_resource":
        return 6
    arm_type = _azapi_type(ch) or ""
    return 0 if arm_type.count("/") <= 1 else 1


def _kind(ch: Change) -> str:
    """`skip` (changes nothing routing reads), `azurerm`, `association`, `azapi` or `unmapped`."""
    if ch.mode != "managed":
        return "skip"
    provider = ch.provider.rsplit("/", 1)[-1]
    if ch.type in SPECS:
        return "azurerm"
    if ch.type in ASSOCIATIONS:
        return "association"
    if ch.type in AZAPI_TYPES:
        return "azapi" if _azapi_type(ch) else "skip"
    if ch.type.startswith("azapi_"):
        return "unmapped" if _azapi_type(ch) else "skip"
    if ch.type.startswith("azurerm_") or provider == "azurerm":
        return "skip" if ch.type in IGNORED_TYPES else "unmapped"
    return "skip"  # other providers (random, null, time, azuread, ...) hold no ARM resource


def apply_terraform_plan(tree: RawTree, plan: Any, file: str, subscription: str | None = None) -> Prediction:
    """Edit BEFORE's raw ARM documents as the plan would change them (in place)."""
    prediction = Prediction(input="terraform-plan", file=file)
    changes, data_ids, deferred = read_plan(plan, file)
    ctx = _Ctx(tree, file, prediction, subscription, _rg_subscriptions(tree))
    _compute_ids(ctx, changes, data_ids)
    for address in deferred:
        ctx.gap(
            "unknown-until-apply",
            address,
            f"{address}: Terraform deferred this change to a later plan"
            if address != "(plan)"
            else "the plan is not complete (complete: false): more changes follow after apply",
        )
    before = links(tree)
    work: list[Change] = []
    for ch in changes:
        if ch.actions in {("no-op",), ("read",), ("forget",)}:
            continue
        kind = _kind(ch)
        if kind == "skip":
            continue
        if ch.actions not in KNOWN_ACTIONS:
            ctx.gap(
                "unsupported-change",
                ch.prior_id or ch.address,
                f"{ch.address}: unknown actions {list(ch.actions)}",
            )
            continue
        if kind == "unmapped":
            ctx.gap(
                "unmapped-resource",
                ch.prior_id or ch.address,
                f"{ch.address}: {ch.type} is not translated (azroute does not know how it changes routing)",
            )
            continue
        _check_ids(ctx, ch)
        work.append(ch)
    # deletes first (a replacement's old object goes before its new one comes)
    for ch in work:
        if not ch.deletes or ch.type in ASSOCIATIONS or ch.type == "azapi_update_resource":
            continue
        prior = ch.prior_id or (ctx.ids.get(ch.address) if ch.type in AZAPI_TYPES else None)
        if prior is None:
            continue
        if apply(tree, prediction, Delete(prior)):
            ctx.mark(prior)
        elif not ch.creates:
            ctx.gap(
                "unknown-resource", prior, f"{ch.address}: the plan deletes a resource BEFORE does not hold"
            )
    for ch in sorted(work, key=lambda c: (_phase(c), c.index)):
        if ch.type in ASSOCIATIONS:
            if ch.deletes:
                _apply_association(ctx, ch, remove=True)
            if ch.creates or ch.actions == ("update",):
                _apply_association(ctx, ch, remove=False)
        elif ch.type in AZAPI_TYPES:
            if ch.creates or ch.actions == ("update",):
                _apply_azapi(ctx, ch)
        elif ch.creates or ch.actions == ("update",):
            _apply_azurerm(ctx, ch)
    unknown_remote = "not in BEFORE nor created by the plan"
    # create_before_destroy: the new object exists before the old one is deleted
    create_first = frozenset(
        key
        for ch in work
        if ch.actions == ("create", "delete")
        and (key := resource_key(ctx.ids.get(ch.address) or "")) is not None
    )
    for rid in settle(
        tree, prediction, before, ctx.created, unknown_remote=unknown_remote, create_first=create_first
    ):
        ctx.mark(rid)
    prediction.changed = sorted(ctx.touched.values(), key=str.lower)
    if ctx.left_out:
        prediction.favourable = favourable(tree, ctx.left_out, file)
    return prediction


__all__ = ["ASSOCIATIONS", "IGNORED_TYPES", "SPECS", "Spec", "apply_terraform_plan"]
