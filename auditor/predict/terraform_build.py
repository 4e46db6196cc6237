"""One azurerm change's planned values -> an ARM patch: the generic builder that executes the rows
of `terraform_map.py` (Terraform adapter), with hooks for the rows that are not one value at one path.

A `Reader` hands the builder the planned values of one change (`after`), and only those the type's
rows declare: on update only what the plan changes; a value known only
after apply or marked sensitive is a gap when routing reads it. `unmapped` reports the attributes
with a planned value that the table does not know.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol

from auditor.normalize import Loc
from auditor.predict import dig
from auditor.predict.terraform_map import COMMON_IGNORED, SPECS, Attr, Spec, negate
from auditor.predict.terraform_plan import (
    ABSENT,
    SECRET_ATTRIBUTES,
    SENSITIVE,
    UNKNOWN,
    Change,
    at,
    checked_id,
    expect,
    has_sensitive,
    has_unknown,
)
from auditor.rawtree import merge_patch

Patch = dict[str, Any]


class Context(Protocol):
    """What a reader needs of the adapter's run: the plan's file name, gaps and id references."""

    file: str

    def gap(self, code: str, resource: str, message: str) -> None: ...

    def resolve(self, ch: Change, path: tuple[str | int, ...]) -> str | None: ...


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


class Reader:
    """The planned values of one change (`after`), read attribute by attribute, so that every
    attribute read is declared in the type's table and every unknown one becomes a gap."""

    def __init__(
        self,
        ctx: Context,
        ch: Change,
        spec: Spec,
        arm_id: str,
        value: Any = None,
        mask: Any = None,
        before: Any = None,
        path: tuple[str | int, ...] = (),
        prefix: str = "",
    ) -> None:
        self.ctx, self.ch, self.spec, self.arm_id = ctx, ch, spec, arm_id
        self.value = ch.after if not path else value
        self.mask = ch.unknown if not path else mask
        self.before = ch.before if not path else before
        self.path = path  # from `after`
        self.prefix = prefix  # dotted name of this block ("bgp_settings.")
        self.creating = ch.creates
        self.unresolved = False  # a value routing reads is unknown (a gap was recorded)

    def loc(self, *more: str | int) -> Loc:
        return [*self.ch.loc, "after", *self.path, *more]

    def _where(self, name: str) -> str:
        return f"{self.ch.address}: {self.prefix}{name}"

    def _planned(self, name: str) -> tuple[Any, Any, bool]:
        """(value, mask, present in the plan) of an attribute the table maps."""
        assert self.prefix + name in self.spec.mapped, (
            f"{self.ch.type}.{self.prefix}{name} is read but not in the table"
        )
        value, mask = at(self.value, self.mask, name)
        return value, mask, isinstance(self.value, dict) and name in self.value

    def unknown(self, name: str) -> Any:
        """UNKNOWN, with a gap: routing reads this attribute and it is known only after apply."""
        self.unresolved = True
        self.ctx.gap("unknown-until-apply", self.arm_id, f"{self._where(name)} is known only after apply")
        return UNKNOWN

    def _sensitive(self, name: str) -> Any:
        """UNKNOWN, with a gap: routing reads this attribute and the plan hides it as sensitive."""
        self.unresolved = True
        self.ctx.gap(
            "unmapped-attribute",
            self.arm_id,
            f"{self._where(name)} is marked sensitive in the plan, so its value is not read",
        )
        return UNKNOWN

    def changed(self, name: str) -> bool:
        """On update: does the plan change this attribute? (Always true on create.)"""
        if self.creating or self.path:
            return True
        value, mask = at(self.value, self.mask, name)
        before = self.before.get(name) if isinstance(self.before, dict) else None
        return has_unknown(mask) or value != before

    def get(
        self,
        name: str,
        kind: type | tuple[type, ...],
        what: str,
        *,
        ref: bool = False,
        readonly: bool = False,
        required: bool = True,
        many: bool = False,
    ) -> Any:
        """A scalar or a list of scalars: the value, None (null), ABSENT (not in this schema, or not
        changed on update) or UNKNOWN (a gap was recorded when routing reads it). `ref`: ARM ids,
        each checked (bad input when malformed); one known only after apply may be resolved to the
        id of another resource of the plan."""
        value, mask, present = self._planned(name)
        if not present and not has_unknown(mask):
            return ABSENT
        if readonly and not self.creating:
            return ABSENT  # read-only state stays BEFORE's
        if not self.changed(name):
            return ABSENT
        if mask is True or has_unknown(mask):
            resolved = (
                self.ctx.resolve(self.ch, (*self.path, name)) if ref and mask is True and not many else None
            )
            if resolved is not None:
                return resolved
            return self.unknown(name) if required else UNKNOWN
        if has_sensitive(value):
            return self._sensitive(name) if required else UNKNOWN
        if many:
            if isinstance(value, str) and name == "address_prefix":
                return [value]
            expect(value, list, self.ctx.file, self.loc(name), what)
            for i, item in enumerate(value or []):
                expect(item, kind, self.ctx.file, self.loc(name, i), what)
                if ref:
                    checked_id(item, self.ctx.file, self.loc(name, i))
            return value
        value = expect(value, kind, self.ctx.file, self.loc(name), what)
        if ref and value == "":
            return None  # the SDK writes an unset reference as ""
        if ref and isinstance(value, str):
            checked_id(value, self.ctx.file, self.loc(name))
        return value

    def blocks(self, name: str) -> list[Reader] | Any:
        """Nested blocks: one reader each, ABSENT when not in this schema or not changed on update,
        UNKNOWN when the whole list is known only after apply."""
        value, mask, present = self._planned(name)
        if not present and mask is not True:
            return ABSENT
        if not self.changed(name):
            return ABSENT
        if mask is True:
            return self.unknown(name)
        if value is None:
            return []
        if value is SENSITIVE:
            return self._sensitive(name)
        expect(value, list, self.ctx.file, self.loc(name), "an array of blocks")
        readers: list[Reader] = []
        for i, item in enumerate(value):
            expect(item, dict, self.ctx.file, self.loc(name, i), "a block object")
            item_value, item_mask = at(value, mask, i)
            readers.append(
                Reader(
                    self.ctx,
                    self.ch,
                    self.spec,
                    self.arm_id,
                    item_value,
                    item_mask,
                    None,
                    (*self.path, name, i),
                    f"{self.prefix}{name}.",
                )
            )
        return readers


def _set(target: Patch, path: tuple[str, ...], value: Any) -> None:
    """Set a property of an ARM patch; ABSENT and UNKNOWN leave it out, None deletes it."""
    if value is ABSENT or value is UNKNOWN:
        return
    node = target
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _prefixes(value: Any) -> dict[str, Any]:
    """ARM writes one prefix as addressPrefix, several as addressPrefixes; the other one is cleared."""
    if value is ABSENT or value is UNKNOWN:
        return {}
    if isinstance(value, str):
        value = [value]
    if not value:
        return {"addressPrefix": None, "addressPrefixes": None}
    if len(value) == 1:
        return {"addressPrefix": value[0], "addressPrefixes": None}
    return {"addressPrefix": None, "addressPrefixes": list(value)}


def _one_of(r: Reader, names: tuple[str, ...], invert: tuple[bool, ...]) -> Any:
    """One boolean under two names (3.x `disable_bgp_route_propagation` vs `bgp_route_propagation_enabled`,
    `enable_bgp` vs `bgp_enabled`): a provider that knows both shows the one not configured with its
    prior value, so the one the plan changes wins; when both change they must agree."""
    found: list[tuple[Any, bool]] = []  # (ARM value, changed by the plan)
    for name, inv in zip(names, invert, strict=True):
        value = r.get(name, bool, "a boolean", required=False)
        if value is ABSENT or value is UNKNOWN or value is None:
            continue
        before = r.before.get(name) if isinstance(r.before, dict) else None
        found.append(((not value) if inv else value, r.creating or before != value))
    if not found:
        # every name unknown (or sensitive): a gap when one of them is
        for name in names:
            _, mask = at(r.value, r.mask, name)
            if mask is True and r.changed(name):
                return r.unknown(name)
        return ABSENT
    changed = [v for v, c in found if c] or [v for v, _ in found]
    if len(set(changed)) > 1:
        r.unresolved = True
        r.ctx.gap(
            "unmapped-attribute",
            r.arm_id,
            f"{r.ch.address}: {' and '.join(names)} disagree in the plan; neither is read",
        )
        return UNKNOWN
    return changed[0]


# -- the generic builder: a type's rows -> ARM patch (top-level keys of the ARM document) --------------------


def build(r: Reader, existing: dict[str, Any] | None, out: Patch | None = None) -> Patch:
    """The patch the table's rows of one nesting level describe (`r.prefix`), in row order:
    `existing` is BEFORE's document (None on create), which a condition or a hook may read."""
    out = {} if out is None else out
    done: set[str] = set()
    for row in r.spec.level(r.prefix):
        if row.hook is not None:
            if row.hook not in done:
                HOOKS[row.hook](r, row, out, existing)
                if row.hook in _ONCE:
                    done.add(row.hook)
            continue
        if row.arm is None or (row.when is not None and not CONDITIONS[row.when](out, existing)):
            continue
        name = row.name[len(r.prefix) :]
        if row.block:
            blocks = r.blocks(name)
            if isinstance(blocks, list):
                _set(out, row.arm, build(blocks[0], existing) if blocks else None)
            continue
        value = r.get(
            name,
            row.type,
            row.what,
            ref=row.ref,
            readonly=row.readonly,
            required=row.required,
            many=row.many,
        )
        _set(out, row.arm, row.convert(value) if row.convert is not None else value)
    if not r.prefix and r.spec.finish is not None:
        FINISH[r.spec.finish](out)
    return out


def _type_of(out: Patch, existing: dict[str, Any] | None, prop: str) -> str:
    """A gateway's or connection's type: planned, else (an update that does not change it) BEFORE's."""
    planned = dig(out, "properties", prop)
    return planned if isinstance(planned, str) else str(dig(existing, "properties", prop))


CONDITIONS: dict[str, Callable[[Patch, dict[str, Any] | None], bool]] = {
    "vpn": lambda out, existing: _type_of(out, existing, "gatewayType").lower() == "vpn",
    "not-expressroute": lambda out, existing: (
        _type_of(out, existing, "connectionType").lower() != "expressroute"
    ),
}

# -- hooks: the irregular rows ----------------------------------------------------------------------------

Hook = Callable[[Reader, Attr, Patch, dict[str, Any] | None], None]


def _either(r: Reader, row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    """One ARM property under two attribute names (the rows of this hook; `negate`: inverted)."""
    rows = [x for x in r.spec.level(r.prefix) if x.hook == "either"]
    names = tuple(x.name[len(r.prefix) :] for x in rows)
    value = _one_of(r, names, tuple(x.convert is negate for x in rows))
    _set(out, next(x.arm for x in rows if x.arm is not None), value)


def _merge_into(out: Patch, path: tuple[str, ...], values: Patch) -> None:
    if values:
        node = out
        for key in path:
            node = node.setdefault(key, {})
        node.update(values)


# the ARM properties a subnet's prefixes set (one or several)
PREFIX_PROPS = ("addressPrefix", "addressPrefixes")


def _prefixes_hook(r: Reader, _row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    _merge_into(
        out, ("properties",), _prefixes(r.get("address_prefixes", str, "an array of prefixes", many=True))
    )


def _inline_prefixes(r: Reader, _row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    """An inline subnet block: 3.x `address_prefix`, 4.x `address_prefixes`."""
    single = r.get("address_prefix", str, "a prefix string")
    many = r.get("address_prefixes", str, "an array of prefixes", many=True)
    _merge_into(out, (), _prefixes(many if many is not ABSENT else single))


def _write_only(r: Reader, row: Attr, _out: Patch, _existing: dict[str, Any] | None) -> None:
    if r.get(row.name, (int, str), "a version", required=False) not in (ABSENT, None):
        r.ctx.gap(
            "unmapped-attribute",
            r.arm_id,
            f"{r._where(row.name.removesuffix('_version'))} is write-only: the plan does not show its value",
        )


def _ip_configurations(r: Reader, _row: Attr, out: Patch, existing: dict[str, Any] | None) -> None:
    configs = r.blocks("ip_configuration")
    if not isinstance(configs, list):
        return
    old = (existing or {}).get("properties") or {}
    before = {str(c.get("name")).lower(): c for c in old.get("ipConfigurations") or [] if isinstance(c, dict)}
    built = []
    for block in configs:
        name = block.get("name", str, "a string")
        name = name if isinstance(name, str) else "vnetGatewayConfig"
        conf: Patch = {"name": name, "id": f"{r.arm_id}/ipConfigurations/{name}", "properties": {}}
        built.append(_merged(before.get(name.lower()), build(block, existing, conf)))
    out.setdefault("properties", {})["ipConfigurations"] = built


def _gateway_bgp(r: Reader, _row: Attr, out: Patch, existing: dict[str, Any] | None) -> None:
    bgp = r.blocks("bgp_settings")
    if isinstance(bgp, list) and bgp:
        out.setdefault("properties", {})["bgpSettings"] = build(bgp[0], existing)


def _peering_addresses(r: Reader, _row: Attr, out: Patch, existing: dict[str, Any] | None) -> None:
    """A gateway's BGP peering addresses, each over BEFORE's entry of the same IP configuration."""
    addresses = r.blocks("peering_addresses")
    if not isinstance(addresses, list):
        return
    old_bgp = dig(existing, "properties", "bgpSettings") or {}
    before = {
        str(a.get("ipconfigurationId")).lower(): a
        for a in old_bgp.get("bgpPeeringAddresses") or []
        if isinstance(a, dict)
    }
    entries = []
    for entry_reader in addresses:
        entry = build(entry_reader, existing)
        entries.append(_merged(before.get(str(entry.get("ipconfigurationId", "")).lower()), entry))
    out["bgpPeeringAddresses"] = entries


def _ip_configuration_id(r: Reader, row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    name = r.get(row.name[len(r.prefix) :], str, "a string", required=False)
    if isinstance(name, str):
        out["ipconfigurationId"] = f"{r.arm_id}/ipConfigurations/{name}"


def _custom_routes(r: Reader, _row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    routes = r.blocks("custom_route")
    if isinstance(routes, list):
        prefixes = (
            routes[0].get("address_prefixes", str, "an array of prefixes", many=True) if routes else None
        )
        _set(out, ("properties", "customRoutes"), None if prefixes is None else {"addressPrefixes": prefixes})


def _vpn_client(r: Reader, _row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    clients = r.blocks("vpn_client_configuration")
    if isinstance(clients, list):
        if not clients:
            out.setdefault("properties", {})["vpnClientConfiguration"] = None
        else:
            pool = clients[0].get("address_space", str, "an array of prefixes", many=True)
            _set(
                out, ("properties", "vpnClientConfiguration", "vpnClientAddressPool", "addressPrefixes"), pool
            )


def _traffic_selectors(r: Reader, _row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    selectors = r.blocks("traffic_selector_policy")
    if isinstance(selectors, list):
        out.setdefault("properties", {})["trafficSelectorPolicies"] = [
            {
                "localAddressRanges": s.get("local_address_cidrs", str, "an array of prefixes", many=True),
                "remoteAddressRanges": s.get("remote_address_cidrs", str, "an array of prefixes", many=True),
            }
            for s in selectors
        ]


def _circuit_sku(r: Reader, _row: Attr, out: Patch, _existing: dict[str, Any] | None) -> None:
    sku = r.blocks("sku")
    if isinstance(sku, list) and sku:
        tier = sku[0].get("tier", str, "a string")
        family = sku[0].get("family", str, "a string")
        if isinstance(tier, str) and isinstance(family, str):
            out["sku"] = {"name": f"{tier}_{family}", "tier": tier, "family": family}


def _finish_circuit(out: Patch) -> None:
    """A provider property unset ("", 0) is left out; a bandwidth of 0 GB/s is no ExpressRoute Direct."""
    props = out.get("properties")
    if not isinstance(props, dict):
        return
    provider = {
        k: v
        for k, v in (props.pop("serviceProviderProperties", None) or {}).items()
        if v not in (None, "", 0)
    }
    if provider:
        props["serviceProviderProperties"] = provider
    if props.get("bandwidthInGbps") == 0:
        props["bandwidthInGbps"] = None
    if not props:
        del out["properties"]


HOOKS: dict[str, Hook] = {
    "either": _either,
    "prefixes": _prefixes_hook,
    "inline_prefixes": _inline_prefixes,
    "write_only": _write_only,
    "ip_configurations": _ip_configurations,
    "gateway_bgp": _gateway_bgp,
    "peering_addresses": _peering_addresses,
    "ip_configuration_id": _ip_configuration_id,
    "custom_routes": _custom_routes,
    "vpn_client": _vpn_client,
    "traffic_selectors": _traffic_selectors,
    "circuit_sku": _circuit_sku,
}
_ONCE = frozenset({"either", "inline_prefixes"})  # hooks that read all their rows at once
FINISH: dict[str, Callable[[Patch], None]] = {"circuit": _finish_circuit}


def _merged(old: Any, new: Patch) -> Patch:
    """A list element rebuilt from the plan, over BEFORE's element of the same name (which keeps
    what the plan does not carry, like an IP configuration's private address)."""
    base = copy.deepcopy(old) if isinstance(old, dict) else {}
    return dict(merge_patch(base, new))


class Inline(NamedTuple):
    """A parent type's inline child blocks."""

    block: str  # the Terraform block
    prop: str  # the ARM child array
    segment: str  # the child type in the child's id
    sources: dict[str, tuple[str, ...]]  # ARM property -> the block's attributes that feed it

    def build(self, r: Reader) -> Patch:
        """A child's properties."""
        return build(r, None)


def _inline(spec: Spec, block: str, prop: str) -> Inline:
    """The inline blocks of a parent, with which attributes feed each property, from its rows."""
    prefix = f"{block}."
    sources: dict[str, tuple[str, ...]] = {}
    for row in spec.level(prefix):
        name = row.name[len(prefix) :]
        props = (row.arm[0],) if row.arm else PREFIX_PROPS if row.hook == "inline_prefixes" else ()
        for key in props:
            sources[key] = (*sources.get(key, ()), name)
    return Inline(block, prop, prop, sources)


INLINE: dict[str, Inline] = {
    "azurerm_virtual_network": _inline(SPECS["azurerm_virtual_network"], "subnet", "subnets"),
    "azurerm_route_table": _inline(SPECS["azurerm_route_table"], "route", "routes"),
}


def inline_differs(inline: Inline, prop: str, old: dict[str, Any], new: Any) -> bool:
    """Whether the plan changes what feeds a child's property (an unknown property: yes)."""
    sources = inline.sources.get(prop)
    if sources is None:
        return True
    return any(old.get(s) != (new.get(s) if isinstance(new, dict) else None) for s in sources)


# -- unmapped attributes ----------------------------------------------------------------------------------


def unmapped(ctx: Context, ch: Change, spec: Spec, arm_id: str) -> None:
    """A gap for every attribute the tables do not know that the plan sets or changes."""
    for name in _undeclared(ch.after, ch.unknown, ch.before, spec, "", ch.creates):
        ctx.gap(
            "unmapped-attribute",
            arm_id,
            f"{ch.address}: {name} is not translated (azroute does not know whether routing depends on it)",
        )


def _declared(spec: Spec, dotted: str) -> bool:
    return dotted in spec.mapped or dotted in spec.ignored or dotted.split(".")[-1] in COMMON_IGNORED


def _undeclared(value: Any, mask: Any, before: Any, spec: Spec, prefix: str, creating: bool) -> Iterator[str]:
    if not isinstance(value, dict):
        return
    keys = set(value) | (set(mask) if isinstance(mask, dict) else set())
    for key in sorted(keys):
        dotted = prefix + key
        item, sub = at(value, mask, key)
        old = before.get(key) if isinstance(before, dict) else None
        if key in SECRET_ATTRIBUTES or dotted in spec.ignored or (not prefix and key in COMMON_IGNORED):
            continue
        changed = has_unknown(sub) or (not _empty(item) if creating else item != old)
        if not changed:
            continue
        if dotted in spec.mapped:
            if any(m.startswith(dotted + ".") for m in spec.mapped) and isinstance(item, list):
                olds = old if isinstance(old, list) else []
                for i, element in enumerate(item):
                    _, element_mask = at(item, sub, i)
                    yield from _undeclared(
                        element,
                        element_mask,
                        _same_block(olds, element, i),
                        spec,
                        dotted + ".",
                        creating or _same_block(olds, element, i) is None,
                    )
            continue
        if not _declared(spec, dotted):
            yield dotted


def _same_block(olds: list[Any], element: Any, i: int) -> Any:
    if isinstance(element, dict) and "name" in element:
        for old in olds:
            if isinstance(old, dict) and old.get("name") == element.get("name"):
                return old
        return None
    return olds[i] if i < len(olds) else None
