"""How the azurerm types map onto ARM: the tables of the Terraform adapter.

For each translated azurerm type, `SPECS` lists the attributes it maps (Terraform attribute, dotted
for nested blocks -> ARM property) and those routing does not read; `terraform_build.py` reads
only the mapped ones, and any other attribute with a planned value is a gap. The same tables are
documented in docs/pre-change.md (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import kinds
from auditor.model.kinds import ResourceKind

# Attributes every azurerm resource carries that routing never reads.
COMMON_IGNORED = frozenset({"id", "tags", "timeouts"})


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- attribute tables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """How one azurerm resource type maps onto ARM."""

    kind: ResourceKind  # the ARM type it translates to
    mapped: dict[str, str]  # Terraform attribute (dotted for nested blocks) -> ARM property
    ignored: frozenset[str]  # attributes routing does not read (dotted for nested blocks)
    parent_attr: str | None = None  # the attribute naming the parent resource
    name_attr: str = "name"
    phase: int = 0  # parents before children before references to both


_VNET = Spec(
    kinds.VNET,
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "location": "location",
        "address_space": "properties.addressSpace.addressPrefixes",
        "subnet": "properties.subnets (inline blocks; a changed list replaces the subnets, by name)",
        "subnet.name": "subnets[].name",
        "subnet.address_prefix": "subnets[].properties.addressPrefix (3.x)",
        "subnet.address_prefixes": "subnets[].properties.addressPrefix, or addressPrefixes when several (4.x)",
        "subnet.security_group": "subnets[].properties.networkSecurityGroup.id",
        "subnet.route_table_id": "subnets[].properties.routeTable.id (4.x)",
    },
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
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "virtual_network_name": "(the ARM id)",
        "address_prefixes": "properties.addressPrefix, or addressPrefixes when several",
        "route_table_id_wo_version": "(write-only route_table_id_wo, 5.x: a gap when it changes)",
        "network_security_group_id_wo_version": "(write-only network_security_group_id_wo, 5.x: a gap when it changes)",
    },
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
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "virtual_network_name": "(the ARM id)",
        "remote_virtual_network_id": "properties.remoteVirtualNetwork.id",
        "allow_virtual_network_access": "properties.allowVirtualNetworkAccess",
        "allow_forwarded_traffic": "properties.allowForwardedTraffic",
        "allow_gateway_transit": "properties.allowGatewayTransit",
        "use_remote_gateways": "properties.useRemoteGateways",
        "peer_complete_virtual_networks_enabled": "properties.peerCompleteVnets",
        "local_subnet_names": "properties.localSubnetNames",
        "remote_subnet_names": "properties.remoteSubnetNames",
        "only_ipv6_peering_enabled": "properties.enableOnlyIPv6Peering",
    },
    frozenset({"triggers"}),
    parent_attr="virtual_network_name",
    phase=1,
)

_GATEWAY = Spec(
    kinds.GATEWAY,
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "location": "location",
        "type": "properties.gatewayType",
        "vpn_type": "properties.vpnType (VPN gateways only)",
        "sku": "properties.sku.name and sku.tier",
        "active_active": "properties.activeActive",
        "enable_bgp": "properties.enableBgp (3.x, 4.x)",
        "bgp_enabled": "properties.enableBgp (5.x)",
        "bgp_settings": "properties.bgpSettings",
        "bgp_settings.asn": "bgpSettings.asn",
        "bgp_settings.peer_weight": "bgpSettings.peerWeight",
        "bgp_settings.peering_addresses": "bgpSettings.bgpPeeringAddresses (matched by IP configuration)",
        "bgp_settings.peering_addresses.ip_configuration_name": "bgpPeeringAddresses[].ipconfigurationId",
        "bgp_settings.peering_addresses.apipa_addresses": "bgpPeeringAddresses[].customBgpIpAddresses",
        "bgp_settings.peering_addresses.default_addresses": "bgpPeeringAddresses[].defaultBgpIpAddresses (read-only: on create)",
        "bgp_settings.peering_addresses.tunnel_ip_addresses": "bgpPeeringAddresses[].tunnelIpAddresses (read-only: on create)",
        "ip_configuration": "properties.ipConfigurations (matched by name)",
        "ip_configuration.name": "ipConfigurations[].name",
        "ip_configuration.subnet_id": "ipConfigurations[].properties.subnet.id",
        "ip_configuration.public_ip_address_id": "ipConfigurations[].properties.publicIPAddress.id",
        "ip_configuration.private_ip_address_allocation": "ipConfigurations[].properties.privateIPAllocationMethod",
        "default_local_network_gateway_id": "properties.gatewayDefaultSite.id",
        "custom_route": "properties.customRoutes",
        "custom_route.address_prefixes": "customRoutes.addressPrefixes",
        "vpn_client_configuration": "properties.vpnClientConfiguration",
        "vpn_client_configuration.address_space": "vpnClientConfiguration.vpnClientAddressPool.addressPrefixes",
        "remote_vnet_traffic_enabled": "properties.allowRemoteVnetTraffic",
        "virtual_wan_traffic_enabled": "properties.allowVirtualWanTraffic",
    },
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
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "location": "location",
        "type": "properties.connectionType (IPsec, ExpressRoute, Vnet2Vnet)",
        "virtual_network_gateway_id": "properties.virtualNetworkGateway1.id",
        "peer_virtual_network_gateway_id": "properties.virtualNetworkGateway2.id",
        "local_network_gateway_id": "properties.localNetworkGateway2.id",
        "express_route_circuit_id": "properties.peer.id",
        "routing_weight": "properties.routingWeight",
        "enable_bgp": "properties.enableBgp (3.x, 4.x)",
        "bgp_enabled": "properties.enableBgp (5.x)",
        "express_route_gateway_bypass": "properties.expressRouteGatewayBypass",
        "use_policy_based_traffic_selectors": "properties.usePolicyBasedTrafficSelectors (IPsec, Vnet2Vnet)",
        "connection_protocol": "properties.connectionProtocol (IPsec, Vnet2Vnet)",
        "connection_mode": "properties.connectionMode (IPsec, Vnet2Vnet)",
        "dpd_timeout_seconds": "properties.dpdTimeoutSeconds (IPsec, Vnet2Vnet)",
        "traffic_selector_policy": "properties.trafficSelectorPolicies",
        "traffic_selector_policy.local_address_cidrs": "trafficSelectorPolicies[].localAddressRanges",
        "traffic_selector_policy.remote_address_cidrs": "trafficSelectorPolicies[].remoteAddressRanges",
        "ingress_nat_rule_ids": "properties.ingressNatRules[].id",
        "egress_nat_rule_ids": "properties.egressNatRules[].id",
    },
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
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "location": "location",
        "address_space": "properties.localNetworkAddressSpace.addressPrefixes",
        "gateway_address": "properties.gatewayIpAddress",
        "gateway_fqdn": "properties.fqdn",
        "bgp_settings": "properties.bgpSettings",
        "bgp_settings.asn": "bgpSettings.asn",
        "bgp_settings.bgp_peering_address": "bgpSettings.bgpPeeringAddress",
        "bgp_settings.peer_weight": "bgpSettings.peerWeight",
    },
    frozenset(),
)

_CIRCUIT = Spec(
    kinds.CIRCUIT,
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "location": "location",
        "sku": "sku",
        "sku.tier": "sku.tier (sku.name is tier_family)",
        "sku.family": "sku.family",
        "service_provider_name": "properties.serviceProviderProperties.serviceProviderName",
        "peering_location": "properties.serviceProviderProperties.peeringLocation",
        "bandwidth_in_mbps": "properties.serviceProviderProperties.bandwidthInMbps",
        "express_route_port_id": "properties.expressRoutePort.id",
        "bandwidth_in_gbps": "properties.bandwidthInGbps",
        "allow_classic_operations": "properties.allowClassicOperations",
        "service_provider_provisioning_state": "properties.serviceProviderProvisioningState (read-only: on create)",
    },
    frozenset({"rate_limiting_enabled"}),
)

_CIRCUIT_PEERING = Spec(
    kinds.CIRCUIT_PEERING,
    {
        "peering_type": "name and properties.peeringType",
        "resource_group_name": "(the ARM id)",
        "express_route_circuit_name": "(the ARM id)",
        "vlan_id": "properties.vlanId",
        "peer_asn": "properties.peerASN",
        "primary_peer_address_prefix": "properties.primaryPeerAddressPrefix",
        "secondary_peer_address_prefix": "properties.secondaryPeerAddressPrefix",
        "ipv4_enabled": "properties.state (Enabled, Disabled)",
        "route_filter_id": "properties.routeFilter.id",
        "microsoft_peering_config": "properties.microsoftPeeringConfig",
        "microsoft_peering_config.advertised_public_prefixes": "microsoftPeeringConfig.advertisedPublicPrefixes",
        "microsoft_peering_config.customer_asn": "microsoftPeeringConfig.customerASN",
        "microsoft_peering_config.routing_registry_name": "microsoftPeeringConfig.routingRegistryName",
        "microsoft_peering_config.advertised_communities": "microsoftPeeringConfig.advertisedCommunities",
        "ipv6": "properties.ipv6PeeringConfig",
        "ipv6.primary_peer_address_prefix": "ipv6PeeringConfig.primaryPeerAddressPrefix",
        "ipv6.secondary_peer_address_prefix": "ipv6PeeringConfig.secondaryPeerAddressPrefix",
        "ipv6.enabled": "ipv6PeeringConfig.state (Enabled, Disabled)",
        "ipv6.route_filter_id": "ipv6PeeringConfig.routeFilter.id",
        "ipv6.microsoft_peering": "ipv6PeeringConfig.microsoftPeeringConfig",
        "ipv6.microsoft_peering.advertised_public_prefixes": "microsoftPeeringConfig.advertisedPublicPrefixes",
        "ipv6.microsoft_peering.customer_asn": "microsoftPeeringConfig.customerASN",
        "ipv6.microsoft_peering.routing_registry_name": "microsoftPeeringConfig.routingRegistryName",
        "ipv6.microsoft_peering.advertised_communities": "microsoftPeeringConfig.advertisedCommunities",
    },
    frozenset({"azure_asn", "primary_azure_port", "secondary_azure_port", "gateway_manager_etag"}),
    parent_attr="express_route_circuit_name",
    name_attr="peering_type",
    phase=1,
)

_ROUTE_TABLE = Spec(
    kinds.ROUTE_TABLE,
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "location": "location",
        "disable_bgp_route_propagation": "properties.disableBgpRoutePropagation (3.x)",
        "bgp_route_propagation_enabled": "properties.disableBgpRoutePropagation, inverted (3.117+, 4.x)",
        "route": "properties.routes (inline blocks; a changed list replaces the routes, by name)",
        "route.name": "routes[].name",
        "route.address_prefix": "routes[].properties.addressPrefix",
        "route.next_hop_type": "routes[].properties.nextHopType",
        "route.next_hop_in_ip_address": "routes[].properties.nextHopIpAddress",
    },
    frozenset({"subnets"}),
)

_ROUTE = Spec(
    kinds.ROUTE,
    {
        "name": "name",
        "resource_group_name": "(the ARM id)",
        "route_table_name": "(the ARM id)",
        "address_prefix": "properties.addressPrefix",
        "next_hop_type": "properties.nextHopType",
        "next_hop_in_ip_address": "properties.nextHopIpAddress",
    },
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
