"""A Terraform plan JSON (`terraform show -json PLANFILE`), as the Terraform adapter reads it.

`read_plan` checks the document (format_version 1.x, not errored) and turns `resource_changes[]`
into `Change`s. Secret-bearing attributes and every value `before_sensitive`/`after_sensitive`
marks are dropped here, as the plan is read: the plan carries them in clear text, the predicted
snapshot never does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from auditor.errors import InputError, json_path
from auditor.ids import ArmId
from auditor.live.redact import is_secret
from auditor.normalize import Loc
from auditor.rawtree import resource_key


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# An attribute not in this provider version's schema, or (on update) not changed by the plan.
ABSENT: Any = _Marker("ABSENT")
# A value known only after apply, or hidden as sensitive (a gap has been recorded).
UNKNOWN: Any = _Marker("UNKNOWN")
# What a sensitive value is replaced with as the plan is read.
SENSITIVE: Any = _Marker("SENSITIVE")

# Secret-bearing attributes (any depth): dropped as the plan is read, never compared or copied.
SECRET_ATTRIBUTES = frozenset(
    {"shared_key", "authorization_key", "service_key", "radius_server_secret", "secret", "sensitive_body"}
)
# The same secrets as ARM properties (an azapi body), compared case-insensitively.


# -- the plan, as read ------------------------------------------------------------------------------------


@dataclass
class Change:
    index: int
    address: str
    module: str  # module_address ("" at the root)
    mode: str
    type: str
    name: str
    provider: str
    actions: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    unknown: Any  # after_unknown
    expressions: dict[str, Any] | None  # the configuration block's expressions, when found
    deposed: str | None

    @property
    def loc(self) -> Loc:
        return ["resource_changes", self.index, "change"]

    @property
    def creates(self) -> bool:
        return "create" in self.actions

    @property
    def deletes(self) -> bool:
        return "delete" in self.actions

    @property
    def replaces(self) -> bool:
        return self.creates and self.deletes

    @property
    def prior_id(self) -> str | None:
        raw = self.before.get("id") if self.before else None
        return raw if isinstance(raw, str) and resource_key(raw) else None


KNOWN_ACTIONS = {
    ("no-op",),
    ("read",),
    ("create",),
    ("update",),
    ("delete",),
    ("forget",),
    ("delete", "create"),
    ("create", "delete"),
}


def scrub(value: Any, mask: Any) -> Any:
    """A copy of `value` without secret-bearing attributes and with sensitive values replaced."""
    if mask is True:
        return SENSITIVE
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in SECRET_ATTRIBUTES or is_secret(key):
                continue
            out[key] = scrub(item, mask.get(key) if isinstance(mask, dict) else None)
        return out
    if isinstance(value, list):
        return [
            scrub(item, mask[i] if isinstance(mask, list) and i < len(mask) else None)
            for i, item in enumerate(value)
        ]
    return value


def _module_path(address: str) -> list[str]:
    """`module.a["x"].module.b[0]` -> ["a", "b"]."""
    names: list[str] = []
    for match in re.finditer(r'(?:^|\.)module\.([A-Za-z0-9_-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?', address):
        names.append(match.group(1))
    return names


def _config_expressions(
    configuration: Any, module: str, mode: str, type_: str, name: str
) -> dict[str, Any] | None:
    node = configuration.get("root_module") if isinstance(configuration, dict) else None
    for call in _module_path(module):
        calls = node.get("module_calls") if isinstance(node, dict) else None
        call_node = calls.get(call) if isinstance(calls, dict) else None
        node = call_node.get("module") if isinstance(call_node, dict) else None
    resources = node.get("resources") if isinstance(node, dict) else None
    want = f"{type_}.{name}" if mode == "managed" else f"data.{type_}.{name}"
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and resource.get("address") == want:
            expressions = resource.get("expressions")
            return expressions if isinstance(expressions, dict) else None
    return None


def expect(value: Any, kind: type | tuple[type, ...], file: str, loc: Loc, what: str) -> Any:
    if value is None or isinstance(value, _Marker):
        return value
    if isinstance(value, bool) and kind is int:
        raise InputError(file, json_path(loc), f"expected {what}, got a boolean")
    if not isinstance(value, kind):
        raise InputError(file, json_path(loc), f"expected {what}, got {json_type(value)}")
    return value


def checked_id(value: str, file: str, loc: Loc) -> ArmId:
    """An ARM id the plan gives (or one built from its names), checked as a snapshot's ids are: one
    with an empty, '.' or '..' segment (or null, in a list of ids) is bad input naming the attribute at `loc`."""
    if not isinstance(value, str):
        raise InputError(file, json_path(loc), f"expected an ARM resource id, got {json_type(value)}")
    try:
        return ArmId(value)
    except ValueError as exc:
        raise InputError(file, json_path(loc), str(exc)) from None


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def read_plan(plan: Any, file: str) -> tuple[list[Change], dict[str, str], list[str]]:
    """The resource changes (secrets dropped), the ids of data sources in the prior state, and the
    addresses of deferred changes."""
    if not isinstance(plan, dict):
        raise InputError(file, "$", f"expected a Terraform plan JSON object, got {json_type(plan)}")
    version = plan.get("format_version")
    if not isinstance(version, str):
        raise InputError(
            file, "$.format_version", "not a Terraform plan: format_version (a string) is missing"
        )
    if version.split(".")[0] != "1":
        raise InputError(
            file,
            "$.format_version",
            f"plan format_version {version!r} is not supported: only major version 1 "
            "(`terraform show -json` of Terraform 1.x) is read",
        )
    if plan.get("errored") is True:
        raise InputError(file, "$.errored", "the plan errored: Terraform would not apply it")
    raw_changes = plan.get("resource_changes", [])
    if not isinstance(raw_changes, list):
        raise InputError(file, "$.resource_changes", f"expected an array, got {json_type(raw_changes)}")
    configuration = plan.get("configuration")
    changes: list[Change] = []
    for i, rc in enumerate(raw_changes):
        loc: Loc = ["resource_changes", i]
        if not isinstance(rc, dict):
            raise InputError(file, json_path(loc), f"expected a resource change object, got {json_type(rc)}")
        fields: dict[str, str] = {}
        for key in ("address", "mode", "type", "name"):
            fields[key] = expect(rc.get(key), str, file, [*loc, key], "a string")
            if fields[key] is None:
                raise InputError(file, json_path([*loc, key]), "required field is missing")
        module = expect(rc.get("module_address", ""), str, file, [*loc, "module_address"], "a string") or ""
        provider = expect(rc.get("provider_name", ""), str, file, [*loc, "provider_name"], "a string") or ""
        deposed = expect(rc.get("deposed"), str, file, [*loc, "deposed"], "a string")
        change = rc.get("change")
        if not isinstance(change, dict):
            raise InputError(
                file, json_path([*loc, "change"]), f"expected an object, got {json_type(change)}"
            )
        actions = change.get("actions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
            raise InputError(
                file, json_path([*loc, "change", "actions"]), "expected a non-empty array of action names"
            )
        sides: dict[str, Any] = {}
        for side in ("before", "after"):
            value = change.get(side)
            if value is not None and not isinstance(value, dict):
                raise InputError(
                    file,
                    json_path([*loc, "change", side]),
                    f"expected an object or null, got {json_type(value)}",
                )
            scrubbed = scrub(value, change.get(f"{side}_sensitive")) if value is not None else None
            sides[side] = scrubbed if isinstance(scrubbed, dict) or scrubbed is None else {}
        changes.append(
            Change(
                index=i,
                address=fields["address"],
                module=module,
                mode=fields["mode"],
                type=fields["type"],
                name=fields["name"],
                provider=provider,
                actions=tuple(actions),
                before=sides["before"],
                after=sides["after"],
                unknown=change.get("after_unknown"),
                expressions=_config_expressions(
                    configuration, module, fields["mode"], fields["type"], fields["name"]
                ),
                deposed=deposed,
            )
        )
    data_ids: dict[str, str] = {}
    prior = plan.get("prior_state")
    values = prior.get("values") if isinstance(prior, dict) else None
    root: Loc = ["prior_state", "values", "root_module"]
    for resource in _state_resources(
        values.get("root_module") if isinstance(values, dict) else None, file, root
    ):
        raw = resource.get("values")
        rid = raw.get("id") if isinstance(raw, dict) else None
        address = resource.get("address")
        if resource.get("mode") == "data" and isinstance(address, str) and resource_key(rid):
            data_ids[address] = str(rid)
    deferred: list[str] = []
    for item in _array(plan, "deferred_changes", file, []):
        rc = item.get("resource_change") if isinstance(item, dict) else None
        if isinstance(rc, dict) and isinstance(rc.get("address"), str):
            deferred.append(rc["address"])
    if plan.get("complete") is False and not deferred:
        deferred.append("(plan)")
    return changes, data_ids, deferred


def _array(parent: dict[str, Any], key: str, file: str, loc: Loc) -> list[Any]:
    """`parent[key]`, an array when present."""
    items = parent.get(key) or []
    if not isinstance(items, list):
        raise InputError(file, json_path([*loc, key]), f"expected an array, got {json_type(items)}")
    return items


def _state_resources(module: Any, file: str, loc: Loc) -> Iterator[dict[str, Any]]:
    if not isinstance(module, dict):
        return
    for resource in _array(module, "resources", file, loc):
        if isinstance(resource, dict):
            yield resource
    for i, child in enumerate(_array(module, "child_modules", file, loc)):
        yield from _state_resources(child, file, [*loc, "child_modules", i])


# -- values and masks -----------------------------------------------------------------------------------


def at(value: Any, mask: Any, key: str | int) -> tuple[Any, Any]:
    """The item at `key` of a planned value, and the part of its mask (`after_unknown`, ...) that
    covers it (`true` marks a whole subtree)."""
    if isinstance(key, int):
        item = value[key] if isinstance(value, list) and key < len(value) else None
        sub = mask if mask is True else mask[key] if isinstance(mask, list) and key < len(mask) else None
    else:
        item = value.get(key) if isinstance(value, dict) else None
        sub = mask if mask is True else mask.get(key) if isinstance(mask, dict) else None
    return item, sub


def _anywhere(value: Any, test: Callable[[Any], bool]) -> bool:
    """Whether `test` holds for `value` or for anything nested in it."""
    if test(value):
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_anywhere(item, test) for item in items)


def has_unknown(mask: Any) -> bool:
    """Whether an `after_unknown` mask marks anything as known only after apply."""
    return _anywhere(mask, lambda m: m is True)


def has_sensitive(value: Any) -> bool:
    """Whether a value as read holds anything the plan marked sensitive."""
    return _anywhere(value, lambda v: v is SENSITIVE)
