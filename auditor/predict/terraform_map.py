"""How the azurerm types map onto ARM: the tables of the Terraform adapter.

For each translated azurerm type, `SPECS` holds its rows (one `Attr` per attribute it maps,
dotted for nested blocks: the ARM path, type, conversion, ...) and the attributes routing does not
read; the generic builder of `terraform_build.py` executes the rows, reads nothing else, and any
other attribute with a planned value is a gap. The table of docs/pre-change.md is generated from
the rows (`doc_table`; a test compares).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from auditor.model import kinds
from auditor.model.kinds import ResourceKind
from auditor.predict.terraform_plan import ABSENT, UNKNOWN

# Attributes every azurerm resource carries that routing never reads.
COMMON_IGNORED = frozenset({"id", "tags", "timeouts"})


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- conversions (planned value -> ARM value; ABSENT and UNKNOWN pass through) ------------------------------


def _kept(value: Any) -> bool:
    return value is ABSENT or value is UNKNOWN or value is None


def ref(value: Any) -> Any:
    """A sub-resource reference `{"id": ...}` (None when unset)."""
    return value if _kept(value) else {"id": value}


def refs(value: Any) -> Any:
    """A list of ids -> a list of references."""
    return [{"id": i} for i in value] if isinstance(value, list) else value


def blank(value: Any) -> Any:
    """The SDK writes an unset string as "": the property is removed."""
    return None if value == "" else value


def state(value: Any) -> Any:
    """A boolean -> `Enabled` / `Disabled`."""
    return value if _kept(value) else ("Enabled" if value else "Disabled")


def negate(value: Any) -> Any:
    """A boolean inverted (which the builder applies once it chose between two names)."""
    return value if _kept(value) else not value


def sku_name(value: Any) -> Any:
    """A gateway's sku -> `{name, tier}` (nothing when not a string)."""
    return {"name": value, "tier": value} if isinstance(value, str) else ABSENT


# -- attribute tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    """One row of a table: a Terraform attribute (dotted under nested blocks) and the ARM property it
    sets. The generic builder (`terraform_build.build`) reads the rows in order: a row with `arm`
    writes the planned value (through `convert`) at that path of the patch (of the nested block's
    object under a block); a `block` row is a nested block of at most one element whose rows build
    the object at `arm` (no block removes it); a `hook` row is read by the named hook of
    `terraform_build.HOOKS`; a row with neither is read elsewhere (the id, an inline child's name)."""

    name: str
    doc: str  # the ARM property, for docs/pre-change.md
    arm: tuple[str, ...] | None = None
    type: type | tuple[type, ...] = str
    what: str = "a string"
    convert: Callable[[Any], Any] | None = None
    ref: bool = False  # an ARM id, checked (one known only after apply may be resolved)
    many: bool = False  # a list of scalars
    readonly: bool = False  # read-only state: applied on create only
    required: bool = True  # unknown: a gap (else left out quietly)
    block: bool = False
    hook: str | None = None
    when: str | None = None  # a condition of terraform_build.CONDITIONS


def _id(*names: str) -> tuple[Attr, ...]:
    return tuple(Attr(n, "name" if n == "name" else "(the ARM id)") for n in names)


_LOCATION = Attr("location", "location", ("location",))
_BOOL: dict[str, Any] = {"type": bool, "what": "a boolean"}
_INT: dict[str, Any] = {"type": int, "what": "an integer"}
_PREFIXES: dict[str, Any] = {"what": "an array of prefixes", "many": True}
_ID: dict[str, Any] = {"what": "an id string", "ref": True, "convert": ref}


def _p(*path: str) -> tuple[str, ...]:
    return ("properties", *path)


@dataclass(frozen=True)
class Spec:
    """How one azurerm resource type maps onto ARM."""

    kind: ResourceKind  # the ARM type it translates to
    rows: tuple[Attr, ...]  # the attributes it maps, in the order the builder reads them
    ignored: frozenset[str]  # attributes routing does not read (dotted for nested blocks)
    parent_attr: str | None = None  # the attribute naming the parent resource
    name_attr: str = "name"
    phase: int = 0  # parents before children before references to both
    finish: str | None = None  # a hook of terraform_build.HOOKS run on the built patch

    @cached_property
    def mapped(self) -> dict[str, str]:
        """Terraform attribute -> the ARM property it maps to (docs)."""
        return {row.name: row.doc for row in self.rows}

    def level(self, prefix: str) -> tuple[Attr, ...]:
        """The rows of one nesting level ("" for the resource, "bgp_settings." for a block)."""
        return tuple(r for r in self.rows if r.name.startswith(prefix) and "." not in r.name[len(prefix) :])


_SUBNET_ROWS = (
    Attr("subnet.name", "subnets[].name"),
    Attr("subnet.address_prefix", "subnets[].properties.addressPrefix (3.x)", hook="inline_prefixes"),
    Attr(
        "subnet.address_prefixes",
        "subnets[].properties.addressPrefix, or addressPrefixes when several (4.x)",
        hook="inline_prefixes",
    ),
    Attr(
        "subnet.security_group",
        "subnets[].properties.networkSecurityGroup.id",
        ("networkSecurityGroup",),
        **_ID,
    ),
    Attr("subnet.route_table_id", "subnets[].properties.routeTable.id (4.x)", ("routeTable",), **_ID),
)

_VNET = Spec(
    kinds.VNET,
    (
        *_id("name", "resource_group_name"),
        _LOCATION,
        Attr(
            "address_space",
            "properties.addressSpace.addressPrefixes",
            _p("addressSpace", "addressPrefixes"),
            **_PREFIXES,
        ),
        Attr("subnet", "properties.subnets (inline blocks; a changed list replaces the subnets, by name)"),
        *_SUBNET_ROWS,
    ),
    words(
        "guid bgp_community ddos_protection_plan dns_servers edge_zone encryption "
        "flow_timeout_in_minutes ip_address_pool private_endpoint_vnet_policies subnet.id "
        "subnet.delegation subnet.default_outbound_access_enabled "
        "subnet.private_endpoint_network_policies "
        "subnet.private_link_service_network_policies_enabled subnet.service_endpoint "
        "subnet.service_endpoints subnet.service_endpoint_policy_ids"
    ),
)

_SUBNET = Spec(
    kinds.SUBNET,
    (
        *_id("name", "resource_group_name", "virtual_network_name"),
        Attr(
            "address_prefixes", "properties.addressPrefix, or addressPrefixes when several", hook="prefixes"
        ),
        Attr(
            "route_table_id_wo_version",
            "(write-only route_table_id_wo, 5.x: a gap when it changes)",
            hook="write_only",
        ),
        Attr(
            "network_security_group_id_wo_version",
            "(write-only network_security_group_id_wo, 5.x: a gap when it changes)",
            hook="write_only",
        ),
    ),
    words(
        "delegation default_outbound_access_enabled "
        "enforce_private_link_endpoint_network_policies "
        "enforce_private_link_service_network_policies ip_address_pool "
        "private_endpoint_network_policies private_endpoint_network_policies_enabled "
        "private_link_service_network_policies_enabled service_endpoint service_endpoints "
        "service_endpoint_policy_ids sharing_scope route_table_id_wo network_security_group_id_wo"
    ),
    parent_attr="virtual_network_name",
    phase=1,
)

_PEERING = Spec(
    kinds.PEERING,
    (
        *_id("name", "resource_group_name", "virtual_network_name"),
        Attr(
            "remote_virtual_network_id",
            "properties.remoteVirtualNetwork.id",
            _p("remoteVirtualNetwork"),
            **_ID,
        ),
        *(
            Attr(name, f"properties.{prop}", _p(prop), **_BOOL)
            for name, prop in (
                ("allow_virtual_network_access", "allowVirtualNetworkAccess"),
                ("allow_forwarded_traffic", "allowForwardedTraffic"),
                ("allow_gateway_transit", "allowGatewayTransit"),
                ("use_remote_gateways", "useRemoteGateways"),
                ("peer_complete_virtual_networks_enabled", "peerCompleteVnets"),
                ("only_ipv6_peering_enabled", "enableOnlyIPv6Peering"),
            )
        ),
        Attr(
            "local_subnet_names",
            "properties.localSubnetNames",
            _p("localSubnetNames"),
            what="an array of names",
            many=True,
        ),
        Attr(
            "remote_subnet_names",
            "properties.remoteSubnetNames",
            _p("remoteSubnetNames"),
            what="an array of names",
            many=True,
        ),
    ),
    frozenset({"triggers"}),
    parent_attr="virtual_network_name",
    phase=1,
)

_GATEWAY = Spec(
    kinds.GATEWAY,
    (
        *_id("name", "resource_group_name"),
        _LOCATION,
        Attr("type", "properties.gatewayType", _p("gatewayType")),
        Attr("vpn_type", "properties.vpnType (VPN gateways only)", _p("vpnType"), when="vpn"),
        Attr("sku", "properties.sku.name and sku.tier", _p("sku"), convert=sku_name),
        Attr("active_active", "properties.activeActive", _p("activeActive"), **_BOOL),
        Attr("enable_bgp", "properties.enableBgp (3.x, 4.x)", _p("enableBgp"), hook="either"),
        Attr("bgp_enabled", "properties.enableBgp (5.x)", hook="either"),
        Attr(
            "default_local_network_gateway_id",
            "properties.gatewayDefaultSite.id",
            _p("gatewayDefaultSite"),
            **_ID,
        ),
        Attr(
            "remote_vnet_traffic_enabled",
            "properties.allowRemoteVnetTraffic",
            _p("allowRemoteVnetTraffic"),
            **_BOOL,
        ),
        Attr(
            "virtual_wan_traffic_enabled",
            "properties.allowVirtualWanTraffic",
            _p("allowVirtualWanTraffic"),
            **_BOOL,
        ),
        Attr("ip_configuration", "properties.ipConfigurations (matched by name)", hook="ip_configurations"),
        Attr("ip_configuration.name", "ipConfigurations[].name"),
        Attr(
            "ip_configuration.subnet_id",
            "ipConfigurations[].properties.subnet.id",
            ("properties", "subnet"),
            **_ID,
        ),
        Attr(
            "ip_configuration.public_ip_address_id",
            "ipConfigurations[].properties.publicIPAddress.id",
            ("properties", "publicIPAddress"),
            required=False,
            **_ID,
        ),
        Attr(
            "ip_configuration.private_ip_address_allocation",
            "ipConfigurations[].properties.privateIPAllocationMethod",
            ("properties", "privateIPAllocationMethod"),
            required=False,
        ),
        Attr("bgp_settings", "properties.bgpSettings", hook="gateway_bgp"),
        Attr("bgp_settings.asn", "bgpSettings.asn", ("asn",), **_INT),
        Attr("bgp_settings.peer_weight", "bgpSettings.peerWeight", ("peerWeight",), **_INT),
        Attr(
            "bgp_settings.peering_addresses",
            "bgpSettings.bgpPeeringAddresses (matched by IP configuration)",
            hook="peering_addresses",
        ),
        Attr(
            "bgp_settings.peering_addresses.ip_configuration_name",
            "bgpPeeringAddresses[].ipconfigurationId",
            hook="ip_configuration_id",
            required=False,
        ),
        Attr(
            "bgp_settings.peering_addresses.apipa_addresses",
            "bgpPeeringAddresses[].customBgpIpAddresses",
            ("customBgpIpAddresses",),
            what="an array of addresses",
            many=True,
        ),
        Attr(
            "bgp_settings.peering_addresses.default_addresses",
            "bgpPeeringAddresses[].defaultBgpIpAddresses (read-only: on create)",
            ("defaultBgpIpAddresses",),
            what="an array of addresses",
            many=True,
            readonly=True,
        ),
        Attr(
            "bgp_settings.peering_addresses.tunnel_ip_addresses",
            "bgpPeeringAddresses[].tunnelIpAddresses (read-only: on create)",
            ("tunnelIpAddresses",),
            what="an array of addresses",
            many=True,
            readonly=True,
            required=False,
        ),
        Attr("custom_route", "properties.customRoutes", hook="custom_routes"),
        Attr(
            "custom_route.address_prefixes", "customRoutes.addressPrefixes", ("addressPrefixes",), **_PREFIXES
        ),
        Attr("vpn_client_configuration", "properties.vpnClientConfiguration", hook="vpn_client"),
        Attr(
            "vpn_client_configuration.address_space",
            "vpnClientConfiguration.vpnClientAddressPool.addressPrefixes",
            ("vpnClientAddressPool", "addressPrefixes"),
            **_PREFIXES,
        ),
    ),
    words(
        "generation edge_zone private_ip_address_enabled bgp_route_translation_for_nat_enabled "
        "dns_forwarding_enabled ip_sec_replay_protection_enabled policy_group maximum_scale_unit "
        "minimum_scale_unit vpn_client_configuration.aad_tenant "
        "vpn_client_configuration.aad_audience vpn_client_configuration.aad_issuer "
        "vpn_client_configuration.ipsec_policy vpn_client_configuration.root_certificate "
        "vpn_client_configuration.revoked_certificate vpn_client_configuration.radius_server "
        "vpn_client_configuration.radius_server_address vpn_client_configuration.vpn_auth_types "
        "vpn_client_configuration.vpn_client_protocols "
        "vpn_client_configuration.virtual_network_gateway_client_connection"
    ),
    phase=2,
)

_CONNECTION = Spec(
    kinds.CONNECTION,
    (
        *_id("name", "resource_group_name"),
        _LOCATION,
        Attr("type", "properties.connectionType (IPsec, ExpressRoute, Vnet2Vnet)", _p("connectionType")),
        Attr(
            "virtual_network_gateway_id",
            "properties.virtualNetworkGateway1.id",
            _p("virtualNetworkGateway1"),
            **_ID,
        ),
        Attr(
            "peer_virtual_network_gateway_id",
            "properties.virtualNetworkGateway2.id",
            _p("virtualNetworkGateway2"),
            **_ID,
        ),
        Attr(
            "local_network_gateway_id",
            "properties.localNetworkGateway2.id",
            _p("localNetworkGateway2"),
            **_ID,
        ),
        Attr("express_route_circuit_id", "properties.peer.id", _p("peer"), **_ID),
        Attr("routing_weight", "properties.routingWeight", _p("routingWeight"), **_INT),
        Attr("enable_bgp", "properties.enableBgp (3.x, 4.x)", _p("enableBgp"), hook="either"),
        Attr("bgp_enabled", "properties.enableBgp (5.x)", hook="either"),
        Attr(
            "express_route_gateway_bypass",
            "properties.expressRouteGatewayBypass",
            _p("expressRouteGatewayBypass"),
            **_BOOL,
        ),
        Attr(
            "use_policy_based_traffic_selectors",
            "properties.usePolicyBasedTrafficSelectors (IPsec, Vnet2Vnet)",
            _p("usePolicyBasedTrafficSelectors"),
            when="not-expressroute",
            **_BOOL,
        ),
        Attr(
            "connection_protocol",
            "properties.connectionProtocol (IPsec, Vnet2Vnet)",
            _p("connectionProtocol"),
            when="not-expressroute",
        ),
        Attr(
            "connection_mode",
            "properties.connectionMode (IPsec, Vnet2Vnet)",
            _p("connectionMode"),
            required=False,
            when="not-expressroute",
        ),
        Attr(
            "dpd_timeout_seconds",
            "properties.dpdTimeoutSeconds (IPsec, Vnet2Vnet)",
            _p("dpdTimeoutSeconds"),
            required=False,
            when="not-expressroute",
            **_INT,
        ),
        Attr("traffic_selector_policy", "properties.trafficSelectorPolicies", hook="traffic_selectors"),
        Attr(
            "traffic_selector_policy.local_address_cidrs",
            "trafficSelectorPolicies[].localAddressRanges",
            ("localAddressRanges",),
            **_PREFIXES,
        ),
        Attr(
            "traffic_selector_policy.remote_address_cidrs",
            "trafficSelectorPolicies[].remoteAddressRanges",
            ("remoteAddressRanges",),
            **_PREFIXES,
        ),
        Attr(
            "ingress_nat_rule_ids",
            "properties.ingressNatRules[].id",
            _p("ingressNatRules"),
            what="an array of ids",
            ref=True,
            many=True,
            convert=refs,
        ),
        Attr(
            "egress_nat_rule_ids",
            "properties.egressNatRules[].id",
            _p("egressNatRules"),
            what="an array of ids",
            ref=True,
            many=True,
            convert=refs,
        ),
    ),
    frozenset(
        {
            "custom_bgp_addresses",
            "ipsec_policy",
            "local_azure_ip_address_enabled",
            "private_link_fast_path_enabled",
        }
    ),
    phase=3,
)

_LNG = Spec(
    kinds.LOCAL_NETWORK_GATEWAY,
    (
        *_id("name", "resource_group_name"),
        _LOCATION,
        Attr(
            "address_space",
            "properties.localNetworkAddressSpace.addressPrefixes",
            _p("localNetworkAddressSpace", "addressPrefixes"),
            **_PREFIXES,
        ),
        Attr(
            "gateway_address",
            "properties.gatewayIpAddress",
            _p("gatewayIpAddress"),
            what="an address string",
            convert=blank,
        ),
        Attr("gateway_fqdn", "properties.fqdn", _p("fqdn"), convert=blank),
        Attr("bgp_settings", "properties.bgpSettings", _p("bgpSettings"), block=True),
        Attr("bgp_settings.asn", "bgpSettings.asn", ("asn",), **_INT),
        Attr(
            "bgp_settings.bgp_peering_address",
            "bgpSettings.bgpPeeringAddress",
            ("bgpPeeringAddress",),
            what="an address string",
        ),
        Attr("bgp_settings.peer_weight", "bgpSettings.peerWeight", ("peerWeight",), **_INT),
    ),
    frozenset(),
)

_PROVIDER = ("properties", "serviceProviderProperties")
_CIRCUIT = Spec(
    kinds.CIRCUIT,
    (
        *_id("name", "resource_group_name"),
        _LOCATION,
        Attr("sku", "sku", hook="circuit_sku"),
        Attr("sku.tier", "sku.tier (sku.name is tier_family)"),
        Attr("sku.family", "sku.family"),
        Attr(
            "service_provider_name",
            "properties.serviceProviderProperties.serviceProviderName",
            (*_PROVIDER, "serviceProviderName"),
        ),
        Attr(
            "peering_location",
            "properties.serviceProviderProperties.peeringLocation",
            (*_PROVIDER, "peeringLocation"),
        ),
        Attr(
            "bandwidth_in_mbps",
            "properties.serviceProviderProperties.bandwidthInMbps",
            (*_PROVIDER, "bandwidthInMbps"),
            **_INT,
        ),
        Attr("express_route_port_id", "properties.expressRoutePort.id", _p("expressRoutePort"), **_ID),
        Attr(
            "bandwidth_in_gbps",
            "properties.bandwidthInGbps",
            _p("bandwidthInGbps"),
            type=(int, float),
            what="a number",
        ),
        Attr(
            "allow_classic_operations",
            "properties.allowClassicOperations",
            _p("allowClassicOperations"),
            **_BOOL,
        ),
        Attr(
            "service_provider_provisioning_state",
            "properties.serviceProviderProvisioningState (read-only: on create)",
            _p("serviceProviderProvisioningState"),
            readonly=True,
        ),
    ),
    frozenset({"rate_limiting_enabled"}),
    finish="circuit",
)


def _microsoft(prefix: str) -> tuple[Attr, ...]:
    return (
        Attr(
            f"{prefix}advertised_public_prefixes",
            "microsoftPeeringConfig.advertisedPublicPrefixes",
            ("advertisedPublicPrefixes",),
            **_PREFIXES,
        ),
        Attr(f"{prefix}customer_asn", "microsoftPeeringConfig.customerASN", ("customerASN",), **_INT),
        Attr(
            f"{prefix}routing_registry_name",
            "microsoftPeeringConfig.routingRegistryName",
            ("routingRegistryName",),
        ),
        Attr(
            f"{prefix}advertised_communities",
            "microsoftPeeringConfig.advertisedCommunities",
            ("advertisedCommunities",),
            what="an array of communities",
            many=True,
        ),
    )


_CIRCUIT_PEERING = Spec(
    kinds.CIRCUIT_PEERING,
    (
        Attr("peering_type", "name and properties.peeringType", _p("peeringType")),
        *_id("resource_group_name", "express_route_circuit_name"),
        Attr("vlan_id", "properties.vlanId", _p("vlanId"), **_INT),
        Attr("peer_asn", "properties.peerASN", _p("peerASN"), **_INT),
        Attr(
            "primary_peer_address_prefix",
            "properties.primaryPeerAddressPrefix",
            _p("primaryPeerAddressPrefix"),
            what="a prefix string",
            convert=blank,
        ),
        Attr(
            "secondary_peer_address_prefix",
            "properties.secondaryPeerAddressPrefix",
            _p("secondaryPeerAddressPrefix"),
            what="a prefix string",
            convert=blank,
        ),
        Attr("ipv4_enabled", "properties.state (Enabled, Disabled)", _p("state"), convert=state, **_BOOL),
        Attr("route_filter_id", "properties.routeFilter.id", _p("routeFilter"), **_ID),
        Attr(
            "microsoft_peering_config",
            "properties.microsoftPeeringConfig",
            _p("microsoftPeeringConfig"),
            block=True,
        ),
        *_microsoft("microsoft_peering_config."),
        Attr("ipv6", "properties.ipv6PeeringConfig", _p("ipv6PeeringConfig"), block=True),
        Attr(
            "ipv6.primary_peer_address_prefix",
            "ipv6PeeringConfig.primaryPeerAddressPrefix",
            ("primaryPeerAddressPrefix",),
            what="a prefix string",
        ),
        Attr(
            "ipv6.secondary_peer_address_prefix",
            "ipv6PeeringConfig.secondaryPeerAddressPrefix",
            ("secondaryPeerAddressPrefix",),
            what="a prefix string",
        ),
        Attr(
            "ipv6.enabled", "ipv6PeeringConfig.state (Enabled, Disabled)", ("state",), convert=state, **_BOOL
        ),
        Attr("ipv6.route_filter_id", "ipv6PeeringConfig.routeFilter.id", ("routeFilter",), **_ID),
        Attr(
            "ipv6.microsoft_peering",
            "ipv6PeeringConfig.microsoftPeeringConfig",
            ("microsoftPeeringConfig",),
            block=True,
        ),
        *_microsoft("ipv6.microsoft_peering."),
    ),
    frozenset({"azure_asn", "primary_azure_port", "secondary_azure_port", "gateway_manager_etag"}),
    parent_attr="express_route_circuit_name",
    name_attr="peering_type",
    phase=1,
)


def _route_rows(prefix: str, doc: str) -> tuple[Attr, ...]:
    return (
        Attr(f"{prefix}address_prefix", f"{doc}addressPrefix", ("addressPrefix",), what="a prefix string"),
        Attr(f"{prefix}next_hop_type", f"{doc}nextHopType", ("nextHopType",)),
        Attr(
            f"{prefix}next_hop_in_ip_address",
            f"{doc}nextHopIpAddress",
            ("nextHopIpAddress",),
            what="an address string",
            convert=blank,
        ),
    )


_ROUTE_TABLE = Spec(
    kinds.ROUTE_TABLE,
    (
        *_id("name", "resource_group_name"),
        _LOCATION,
        Attr(
            "disable_bgp_route_propagation",
            "properties.disableBgpRoutePropagation (3.x)",
            _p("disableBgpRoutePropagation"),
            hook="either",
        ),
        Attr(
            "bgp_route_propagation_enabled",
            "properties.disableBgpRoutePropagation, inverted (3.117+, 4.x)",
            hook="either",
            convert=negate,
        ),
        Attr("route", "properties.routes (inline blocks; a changed list replaces the routes, by name)"),
        Attr("route.name", "routes[].name"),
        *_route_rows("route.", "routes[].properties."),
    ),
    frozenset({"subnets"}),
)

_ROUTE = Spec(
    kinds.ROUTE,
    (
        *_id("name", "resource_group_name", "route_table_name"),
        *(
            Attr(r.name, r.doc, _p(*(r.arm or ())), type=r.type, what=r.what, convert=r.convert)
            for r in _route_rows("", "properties.")
        ),
    ),
    frozenset(),
    parent_attr="route_table_name",
    phase=1,
)

TABLES = (
    _VNET,
    _SUBNET,
    _PEERING,
    _GATEWAY,
    _CONNECTION,
    _LNG,
    _CIRCUIT,
    _CIRCUIT_PEERING,
    _ROUTE_TABLE,
    _ROUTE,
)
# azurerm type -> its table: the azurerm types of a kind are the registry's (`ResourceKind.terraform`)
SPECS: dict[str, Spec] = {tf: spec for spec in TABLES for tf in spec.kind.terraform}

# Associations: no ARM resource of their own; they set a reference on the subnet.
ASSOCIATIONS: dict[str, tuple[str, str]] = {
    "azurerm_subnet_route_table_association": ("route_table_id", "routeTable"),
    "azurerm_subnet_network_security_group_association": (
        "network_security_group_id",
        "networkSecurityGroup",
    ),
}

# Types whose changes cannot change routing: no gap. Any other azurerm type is an unmapped-resource gap.
IGNORED_TYPES = words(
    "azurerm_resource_group azurerm_public_ip azurerm_public_ip_prefix "
    "azurerm_network_security_group azurerm_network_security_rule azurerm_network_watcher "
    "azurerm_network_watcher_flow_log azurerm_virtual_network_dns_servers "
    "azurerm_management_lock azurerm_role_assignment azurerm_monitor_diagnostic_setting "
    "azurerm_log_analytics_workspace azurerm_private_dns_zone "
    "azurerm_private_dns_zone_virtual_network_link azurerm_linux_virtual_machine "
    "azurerm_windows_virtual_machine azurerm_storage_account azurerm_key_vault "
    "azurerm_key_vault_secret azurerm_user_assigned_identity"
)

AZAPI_TYPES = frozenset({"azapi_resource", "azapi_update_resource"})


# -- the documented table (docs/pre-change.md, generated from the rows; a test compares) ------------------


def doc_table() -> str:
    """The Markdown table of docs/pre-change.md "Terraform plan input": every row of every type."""
    lines = [
        "| resource | Terraform attribute → ARM property | ignored (routing reads none of them) |",
        "| --- | --- | --- |",
    ]
    for spec in TABLES:
        mapped = "; ".join(f"`{row.name}` → {row.doc}" for row in spec.rows)
        ignored = ", ".join(f"`{name}`" for name in sorted(spec.ignored))
        for tf in spec.kind.terraform:
            lines.append(f"| `{tf}` | {mapped} | {ignored} |")
    for tf, (attr, prop) in ASSOCIATIONS.items():
        lines.append(f"| `{tf}` | `subnet_id` → the subnet; `{attr}` → its properties.{prop}.id | |")
    return "\n".join(lines) + "\n"
