"""One azurerm change's planned values -> an ARM patch, attribute by attribute (Terraform adapter).

A `Reader` hands the builders the planned values of one change (`after`), and only those the type's
table in `terraform_map.py` declares: on update only what the plan changes; a value known only
after apply or marked sensitive is a gap when routing reads it. `unmapped` reports the attributes
with a planned value that the table does not know.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol

from auditor.normalize import Loc
from auditor.predict import dig
from auditor.predict.terraform_map import COMMON_IGNORED, Spec
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


def _ref(value: Any) -> Any:
    """A sub-resource reference `{"id": ...}` (None when unset)."""
    if value is ABSENT or value is UNKNOWN or value is None:
        return value
    return {"id": value}


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


def _state(value: Any) -> Any:
    if value is ABSENT or value is UNKNOWN or value is None:
        return value
    return "Enabled" if value else "Disabled"


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


# -- builders: planned values -> ARM patch (top-level keys of the ARM document) -----------------------------


def _common(r: Reader) -> Patch:
    out: Patch = {}
    if "location" in r.spec.mapped:
        _set(out, ("location",), r.get("location", str, "a string"))
    return out


def _with_properties(out: Patch, props: Patch) -> Patch:
    """The patch `out`, with `properties` when the builder set any."""
    if props:
        out["properties"] = props
    return out


def _type_of(planned: Any, existing: dict[str, Any] | None, prop: str) -> str:
    """A gateway's or connection's type: planned, else (an update that does not change it) BEFORE's."""
    return planned if isinstance(planned, str) else str(dig(existing, "properties", prop))


def _build_vnet(r: Reader) -> Patch:
    out = _common(r)
    _set(
        out,
        ("properties", "addressSpace", "addressPrefixes"),
        r.get("address_space", str, "an array of prefixes", many=True),
    )
    return out


def _subnet_props(r: Reader) -> Patch:
    """Properties of a subnet from an `azurerm_subnet` or from an inline `subnet` block."""
    props: Patch = {}
    if r.prefix:  # inline block (3.x address_prefix, 4.x address_prefixes)
        single = r.get("address_prefix", str, "a prefix string")
        many = r.get("address_prefixes", str, "an array of prefixes", many=True)
        props.update(_prefixes(many if many is not ABSENT else single))
        _set(props, ("networkSecurityGroup",), _ref(r.get("security_group", str, "an id string", ref=True)))
        _set(props, ("routeTable",), _ref(r.get("route_table_id", str, "an id string", ref=True)))
    else:
        props.update(_prefixes(r.get("address_prefixes", str, "an array of prefixes", many=True)))
        for name in ("route_table_id_wo_version", "network_security_group_id_wo_version"):
            if r.get(name, (int, str), "a version", required=False) not in (ABSENT, None):
                r.ctx.gap(
                    "unmapped-attribute",
                    r.arm_id,
                    f"{r._where(name.removesuffix('_version'))} is write-only: the plan does not show its value",
                )
    return props


def _build_subnet(r: Reader) -> Patch:
    return _with_properties({}, _subnet_props(r))


def _build_peering(r: Reader) -> Patch:
    out: Patch = {}
    remote = r.get("remote_virtual_network_id", str, "an id string", ref=True)
    _set(out, ("properties", "remoteVirtualNetwork"), _ref(remote))
    for name, prop in (
        ("allow_virtual_network_access", "allowVirtualNetworkAccess"),
        ("allow_forwarded_traffic", "allowForwardedTraffic"),
        ("allow_gateway_transit", "allowGatewayTransit"),
        ("use_remote_gateways", "useRemoteGateways"),
        ("peer_complete_virtual_networks_enabled", "peerCompleteVnets"),
        ("only_ipv6_peering_enabled", "enableOnlyIPv6Peering"),
    ):
        _set(out, ("properties", prop), r.get(name, bool, "a boolean"))
    for name, prop in (
        ("local_subnet_names", "localSubnetNames"),
        ("remote_subnet_names", "remoteSubnetNames"),
    ):
        _set(out, ("properties", prop), r.get(name, str, "an array of names", many=True))
    return out


def _build_gateway(r: Reader, existing: dict[str, Any] | None) -> Patch:
    out = _common(r)
    props: Patch = {}
    gw_type = r.get("type", str, "a string")
    _set(props, ("gatewayType",), gw_type)
    if _type_of(gw_type, existing, "gatewayType").lower() == "vpn":
        _set(props, ("vpnType",), r.get("vpn_type", str, "a string"))
    sku = r.get("sku", str, "a string")
    if isinstance(sku, str):
        props["sku"] = {"name": sku, "tier": sku}
    _set(props, ("activeActive",), r.get("active_active", bool, "a boolean"))
    _set(props, ("enableBgp",), _one_of(r, ("enable_bgp", "bgp_enabled"), (False, False)))
    _set(
        props,
        ("gatewayDefaultSite",),
        _ref(r.get("default_local_network_gateway_id", str, "an id string", ref=True)),
    )
    _set(props, ("allowRemoteVnetTraffic",), r.get("remote_vnet_traffic_enabled", bool, "a boolean"))
    _set(props, ("allowVirtualWanTraffic",), r.get("virtual_wan_traffic_enabled", bool, "a boolean"))
    old = (existing or {}).get("properties") or {}
    configs = r.blocks("ip_configuration")
    if isinstance(configs, list):
        before = {
            str(c.get("name")).lower(): c for c in old.get("ipConfigurations") or [] if isinstance(c, dict)
        }
        built = []
        for block in configs:
            name = block.get("name", str, "a string")
            name = name if isinstance(name, str) else "vnetGatewayConfig"
            conf: Patch = {"name": name, "id": f"{r.arm_id}/ipConfigurations/{name}", "properties": {}}
            _set(conf, ("properties", "subnet"), _ref(block.get("subnet_id", str, "an id string", ref=True)))
            _set(
                conf,
                ("properties", "publicIPAddress"),
                _ref(block.get("public_ip_address_id", str, "an id string", ref=True, required=False)),
            )
            _set(
                conf,
                ("properties", "privateIPAllocationMethod"),
                block.get("private_ip_address_allocation", str, "a string", required=False),
            )
            built.append(_merged(before.get(name.lower()), conf))
        props["ipConfigurations"] = built
    bgp = r.blocks("bgp_settings")
    if isinstance(bgp, list) and bgp:
        block = bgp[0]
        settings: Patch = {}
        _set(settings, ("asn",), block.get("asn", int, "an integer"))
        _set(settings, ("peerWeight",), block.get("peer_weight", int, "an integer"))
        addresses = block.blocks("peering_addresses")
        if isinstance(addresses, list):
            old_bgp = old.get("bgpSettings") or {}
            before_addresses = {
                str(a.get("ipconfigurationId")).lower(): a
                for a in old_bgp.get("bgpPeeringAddresses") or []
                if isinstance(a, dict)
            }
            entries = []
            for entry_reader in addresses:
                conf_name = entry_reader.get("ip_configuration_name", str, "a string", required=False)
                entry: Patch = {}
                if isinstance(conf_name, str):
                    entry["ipconfigurationId"] = f"{r.arm_id}/ipConfigurations/{conf_name}"
                _set(
                    entry,
                    ("customBgpIpAddresses",),
                    entry_reader.get("apipa_addresses", str, "an array of addresses", many=True),
                )
                _set(
                    entry,
                    ("defaultBgpIpAddresses",),
                    entry_reader.get(
                        "default_addresses", str, "an array of addresses", many=True, readonly=True
                    ),
                )
                _set(
                    entry,
                    ("tunnelIpAddresses",),
                    entry_reader.get(
                        "tunnel_ip_addresses",
                        str,
                        "an array of addresses",
                        many=True,
                        readonly=True,
                        required=False,
                    ),
                )
                key = str(entry.get("ipconfigurationId", "")).lower()
                entries.append(_merged(before_addresses.get(key), entry))
            settings["bgpPeeringAddresses"] = entries
        props["bgpSettings"] = settings
    routes = r.blocks("custom_route")
    if isinstance(routes, list):
        prefixes = (
            routes[0].get("address_prefixes", str, "an array of prefixes", many=True) if routes else None
        )
        _set(props, ("customRoutes",), None if prefixes is None else {"addressPrefixes": prefixes})
    clients = r.blocks("vpn_client_configuration")
    if isinstance(clients, list):
        if not clients:
            props["vpnClientConfiguration"] = None
        else:
            pool = clients[0].get("address_space", str, "an array of prefixes", many=True)
            _set(props, ("vpnClientConfiguration", "vpnClientAddressPool", "addressPrefixes"), pool)
    return _with_properties(out, props)


def _merged(old: Any, new: Patch) -> Patch:
    """A list element rebuilt from the plan, over BEFORE's element of the same name (which keeps
    what the plan does not carry, like an IP configuration's private address)."""
    base = copy.deepcopy(old) if isinstance(old, dict) else {}
    return dict(merge_patch(base, new))


def _build_connection(r: Reader, existing: dict[str, Any] | None) -> Patch:
    out = _common(r)
    props: Patch = {}
    conn_type = r.get("type", str, "a string")
    _set(props, ("connectionType",), conn_type)
    kind = _type_of(conn_type, existing, "connectionType")
    for name, prop in (
        ("virtual_network_gateway_id", "virtualNetworkGateway1"),
        ("peer_virtual_network_gateway_id", "virtualNetworkGateway2"),
        ("local_network_gateway_id", "localNetworkGateway2"),
        ("express_route_circuit_id", "peer"),
    ):
        _set(props, (prop,), _ref(r.get(name, str, "an id string", ref=True)))
    _set(props, ("routingWeight",), r.get("routing_weight", int, "an integer"))
    _set(props, ("enableBgp",), _one_of(r, ("enable_bgp", "bgp_enabled"), (False, False)))
    _set(props, ("expressRouteGatewayBypass",), r.get("express_route_gateway_bypass", bool, "a boolean"))
    if kind.lower() != "expressroute":
        _set(
            props,
            ("usePolicyBasedTrafficSelectors",),
            r.get("use_policy_based_traffic_selectors", bool, "a boolean"),
        )
        _set(props, ("connectionProtocol",), r.get("connection_protocol", str, "a string"))
        _set(props, ("connectionMode",), r.get("connection_mode", str, "a string", required=False))
        _set(props, ("dpdTimeoutSeconds",), r.get("dpd_timeout_seconds", int, "an integer", required=False))
    selectors = r.blocks("traffic_selector_policy")
    if isinstance(selectors, list):
        props["trafficSelectorPolicies"] = [
            {
                "localAddressRanges": s.get("local_address_cidrs", str, "an array of prefixes", many=True),
                "remoteAddressRanges": s.get("remote_address_cidrs", str, "an array of prefixes", many=True),
            }
            for s in selectors
        ]
    for name, prop in (
        ("ingress_nat_rule_ids", "ingressNatRules"),
        ("egress_nat_rule_ids", "egressNatRules"),
    ):
        ids = r.get(name, str, "an array of ids", ref=True, many=True)
        if isinstance(ids, list):
            props[prop] = [{"id": i} for i in ids]
        elif ids is None:
            props[prop] = None
    return _with_properties(out, props)


def _build_lng(r: Reader) -> Patch:
    out = _common(r)
    props: Patch = {}
    _set(
        props,
        ("localNetworkAddressSpace", "addressPrefixes"),
        r.get("address_space", str, "an array of prefixes", many=True),
    )
    address = r.get("gateway_address", str, "an address string")
    _set(props, ("gatewayIpAddress",), None if address == "" else address)
    fqdn = r.get("gateway_fqdn", str, "a string")
    _set(props, ("fqdn",), None if fqdn == "" else fqdn)
    bgp = r.blocks("bgp_settings")
    if isinstance(bgp, list):
        if not bgp:
            props["bgpSettings"] = None
        else:
            settings: Patch = {}
            _set(settings, ("asn",), bgp[0].get("asn", int, "an integer"))
            _set(
                settings, ("bgpPeeringAddress",), bgp[0].get("bgp_peering_address", str, "an address string")
            )
            _set(settings, ("peerWeight",), bgp[0].get("peer_weight", int, "an integer"))
            props["bgpSettings"] = settings
    return _with_properties(out, props)


def _build_circuit(r: Reader) -> Patch:
    out = _common(r)
    props: Patch = {}
    sku = r.blocks("sku")
    if isinstance(sku, list) and sku:
        tier = sku[0].get("tier", str, "a string")
        family = sku[0].get("family", str, "a string")
        if isinstance(tier, str) and isinstance(family, str):
            out["sku"] = {"name": f"{tier}_{family}", "tier": tier, "family": family}
    _set(
        props,
        ("serviceProviderProperties", "serviceProviderName"),
        r.get("service_provider_name", str, "a string"),
    )
    _set(props, ("serviceProviderProperties", "peeringLocation"), r.get("peering_location", str, "a string"))
    _set(
        props, ("serviceProviderProperties", "bandwidthInMbps"), r.get("bandwidth_in_mbps", int, "an integer")
    )
    _set(props, ("expressRoutePort",), _ref(r.get("express_route_port_id", str, "an id string", ref=True)))
    _set(props, ("bandwidthInGbps",), r.get("bandwidth_in_gbps", (int, float), "a number"))
    _set(props, ("allowClassicOperations",), r.get("allow_classic_operations", bool, "a boolean"))
    _set(
        props,
        ("serviceProviderProvisioningState",),
        r.get("service_provider_provisioning_state", str, "a string", readonly=True),
    )
    provider = {
        k: v
        for k, v in (props.pop("serviceProviderProperties", None) or {}).items()
        if v not in (None, "", 0)
    }
    if provider:
        props["serviceProviderProperties"] = provider
    if props.get("bandwidthInGbps") == 0:
        props["bandwidthInGbps"] = None
    return _with_properties(out, props)


def _microsoft_config(block: Reader) -> Patch:
    conf: Patch = {}
    _set(
        conf,
        ("advertisedPublicPrefixes",),
        block.get("advertised_public_prefixes", str, "an array of prefixes", many=True),
    )
    _set(conf, ("customerASN",), block.get("customer_asn", int, "an integer"))
    _set(conf, ("routingRegistryName",), block.get("routing_registry_name", str, "a string"))
    _set(
        conf,
        ("advertisedCommunities",),
        block.get("advertised_communities", str, "an array of communities", many=True),
    )
    return conf


def _build_circuit_peering(r: Reader) -> Patch:
    props: Patch = {}
    _set(props, ("peeringType",), r.get("peering_type", str, "a string"))
    _set(props, ("vlanId",), r.get("vlan_id", int, "an integer"))
    _set(props, ("peerASN",), r.get("peer_asn", int, "an integer"))
    for name, prop in (
        ("primary_peer_address_prefix", "primaryPeerAddressPrefix"),
        ("secondary_peer_address_prefix", "secondaryPeerAddressPrefix"),
    ):
        value = r.get(name, str, "a prefix string")
        _set(props, (prop,), None if value == "" else value)
    _set(props, ("state",), _state(r.get("ipv4_enabled", bool, "a boolean")))
    _set(props, ("routeFilter",), _ref(r.get("route_filter_id", str, "an id string", ref=True)))
    ms = r.blocks("microsoft_peering_config")
    if isinstance(ms, list):
        props["microsoftPeeringConfig"] = _microsoft_config(ms[0]) if ms else None
    ipv6 = r.blocks("ipv6")
    if isinstance(ipv6, list):
        if not ipv6:
            props["ipv6PeeringConfig"] = None
        else:
            block = ipv6[0]
            conf: Patch = {}
            _set(
                conf,
                ("primaryPeerAddressPrefix",),
                block.get("primary_peer_address_prefix", str, "a prefix string"),
            )
            _set(
                conf,
                ("secondaryPeerAddressPrefix",),
                block.get("secondary_peer_address_prefix", str, "a prefix string"),
            )
            _set(conf, ("state",), _state(block.get("enabled", bool, "a boolean")))
            _set(conf, ("routeFilter",), _ref(block.get("route_filter_id", str, "an id string", ref=True)))
            inner = block.blocks("microsoft_peering")
            if isinstance(inner, list):
                conf["microsoftPeeringConfig"] = _microsoft_config(inner[0]) if inner else None
            props["ipv6PeeringConfig"] = conf
    return _with_properties({}, props)


def _build_route_table(r: Reader) -> Patch:
    out = _common(r)
    disabled = _one_of(r, ("disable_bgp_route_propagation", "bgp_route_propagation_enabled"), (False, True))
    _set(out, ("properties", "disableBgpRoutePropagation"), disabled)
    return out


def _route_props(r: Reader) -> Patch:
    props: Patch = {}
    _set(props, ("addressPrefix",), r.get("address_prefix", str, "a prefix string"))
    _set(props, ("nextHopType",), r.get("next_hop_type", str, "a string"))
    hop = r.get("next_hop_in_ip_address", str, "an address string")
    _set(props, ("nextHopIpAddress",), None if hop == "" else hop)
    return props


def _build_route(r: Reader) -> Patch:
    return _with_properties({}, _route_props(r))


BUILDERS: dict[str, Callable[[Reader, dict[str, Any] | None], Patch]] = {
    "azurerm_virtual_network": lambda r, _e: _build_vnet(r),
    "azurerm_subnet": lambda r, _e: _build_subnet(r),
    "azurerm_virtual_network_peering": lambda r, _e: _build_peering(r),
    "azurerm_virtual_network_gateway": _build_gateway,
    "azurerm_virtual_network_gateway_connection": _build_connection,
    "azurerm_local_network_gateway": lambda r, _e: _build_lng(r),
    "azurerm_express_route_circuit": lambda r, _e: _build_circuit(r),
    "azurerm_express_route_circuit_peering": lambda r, _e: _build_circuit_peering(r),
    "azurerm_route_table": lambda r, _e: _build_route_table(r),
    "azurerm_route": lambda r, _e: _build_route(r),
}


class Inline(NamedTuple):
    """A parent type's inline child blocks."""

    block: str  # the Terraform block
    prop: str  # the ARM child array
    segment: str  # the child type in the child's id
    build: Callable[[Reader], Patch]  # the child's properties


INLINE: dict[str, Inline] = {
    "azurerm_virtual_network": Inline("subnet", "subnets", "subnets", _subnet_props),
    "azurerm_route_table": Inline("route", "routes", "routes", _route_props),
}


# Which Terraform attributes of an inline block feed each ARM property (to patch only what changed).
INLINE_SOURCES = {
    "addressPrefix": ("address_prefix", "address_prefixes"),
    "addressPrefixes": ("address_prefix", "address_prefixes"),
    "networkSecurityGroup": ("security_group",),
    "routeTable": ("route_table_id",),
    "nextHopType": ("next_hop_type",),
    "nextHopIpAddress": ("next_hop_in_ip_address",),
}


def inline_differs(prop: str, old: dict[str, Any], new: Any) -> bool:
    sources = INLINE_SOURCES.get(prop)
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
