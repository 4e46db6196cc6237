"""The registry of resource kinds: everything azroute knows about each ARM type, in one place.

One `ResourceKind` per ARM type azroute reads or recognises: the model class and the `Snapshot`
field it fills, the child arrays ARM nests in it, how `collect` lists it and the observations it
takes on it, the prefix of its anonymized names, what a deployment cannot set on it and what ARM
sets when a PUT omits a property (what-if), the azurerm types that map onto it (Terraform), and the
unmodelled feature it raises when azroute only partly models it. Every consumer (the loader, the
collector, the anonymizer, the what-if and Terraform adapters, the unmodelled-feature gaps) reads
this table; no other module spells an ARM type (tests/test_kinds.py checks both).
CONTRIBUTING.md ("Adding a resource kind") says what adding one takes.

The order of `ALL` matters in one place: when one name has several kinds, anonymized free text
uses the kind listed first (`anonymize._rank`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from auditor.model.base import Resource
from auditor.model.observations import Operation
from auditor.model.resources import (
    Connection,
    ExpressRouteCircuit,
    ExpressRouteCircuitConnection,
    ExpressRouteCircuitPeering,
    ExpressRoutePort,
    LocalNetworkGateway,
    NetworkInterface,
    Route,
    RouteTable,
    Subnet,
    VirtualHub,
    VirtualHubBgpConnection,
    VirtualHubIpConfiguration,
    VirtualNetwork,
    VirtualNetworkGateway,
    VirtualNetworkPeering,
)

NAMESPACE = "Microsoft.Network"  # the resource provider of every type routing reads


@dataclass(frozen=True)
class Modelled:
    """How an ARM type maps onto the model."""

    field: str  # the Snapshot field holding this kind
    model: type[Resource]
    inventory: str  # its count's name in `azroute inventory` (in the order of the Snapshot fields)
    children: tuple[tuple[str, str], ...] = ()  # (properties key, child type segment) ARM nests


@dataclass(frozen=True)
class Listing:
    """How `collect` lists a kind: per resource group, `NetworkManagementClient.<attr>.<method>(rg)`;
    or, for a child ARM does not nest in its parent, per parent, `<attr>.list(rg, parent name)`."""

    attr: str
    method: str = "list"
    per_parent: bool = False


class Routing(StrEnum):
    """Whether a change to a type azroute does not model bears on routing (what-if: a gap)."""

    NO = "no"
    TYPE = "type"  # the type and its children
    CHILDREN = "children"  # its children azroute does not model (the type itself is modelled)


@dataclass(frozen=True)
class ResourceKind:
    arm_type: str  # ARM's spelling: "Microsoft.Network/virtualNetworks/subnets"
    modelled: Modelled | None = None
    listing: Listing | None = None
    observations: tuple[Operation, ...] = ()  # operations `collect` calls on it
    prefix: str | None = None  # of its anonymized names (children fall back to anonymize.CHILD_PREFIX)
    reserved_names: frozenset[str] = frozenset()  # names routing depends on (lower case): never anonymized
    read_only: tuple[str, ...] = ()  # properties a deployment cannot set (besides provisioningState, ...)
    defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # ARM's, on a PUT
    kept_when_omitted: tuple[str, ...] = ()  # child arrays a PUT of the parent leaves alone when omitted
    routing: Routing = Routing.NO
    terraform: tuple[str, ...] = ()  # azurerm types translated onto it (their rows: terraform_map.SPECS)
    unmodelled: str | None = None  # the feature (unmodelled.FEATURES) a resource of this type raises
    shows_virtual_wan: bool = False  # a Virtual WAN exists when the snapshot holds one

    @property
    def type_path(self) -> str:
        """`microsoft.network/virtualnetworks/subnets`: the lower-case type, as `ArmId.type_path`."""
        return self.arm_type.lower()

    @property
    def segment(self) -> str:
        """The last type segment (`subnets`): a child's segment in its parent's id, a list's folder."""
        return self.arm_type.rsplit("/", 1)[-1]

    @property
    def parent_type(self) -> str | None:
        """The lower-case type of the parent of a child type, or None for a top-level type."""
        head, _, _ = self.type_path.rpartition("/")
        return head if head.count("/") >= 1 else None


def _net(path: str) -> str:
    return f"{NAMESPACE}/{path}"


def _frozen(values: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(values)


VNET = ResourceKind(
    _net("virtualNetworks"),
    Modelled(
        "vnets",
        VirtualNetwork,
        "virtualNetworks",
        (("subnets", "subnets"), ("virtualNetworkPeerings", "virtualNetworkPeerings")),
    ),
    Listing("virtual_networks"),
    prefix="vnet",
    kept_when_omitted=("virtualNetworkPeerings",),  # peerings are managed on their own
    terraform=("azurerm_virtual_network",),
)
SUBNET = ResourceKind(
    _net("virtualNetworks/subnets"),
    Modelled("subnets", Subnet, "subnets"),
    prefix="snet",
    reserved_names=frozenset(
        {
            "gatewaysubnet",
            "azurefirewallsubnet",
            "azurefirewallmanagementsubnet",
            "routeserversubnet",
            "azurebastionsubnet",
        }
    ),
    read_only=(
        "ipConfigurations",
        "ipConfigurationProfiles",
        "privateEndpoints",
        "serviceAssociationLinks",
        "resourceNavigationLinks",
        "purpose",
    ),
    terraform=("azurerm_subnet",),
)
PEERING = ResourceKind(
    _net("virtualNetworks/virtualNetworkPeerings"),
    Modelled("peerings", VirtualNetworkPeering, "virtualNetworkPeerings"),
    prefix="peer",
    read_only=(
        "peeringState",
        "peeringSyncLevel",
        "remoteAddressSpace",
        "remoteVirtualNetworkAddressSpace",
        "remoteBgpCommunities",
        "remoteVirtualNetworkEncryption",
    ),
    defaults=_frozen(
        {
            "allowVirtualNetworkAccess": True,
            "allowForwardedTraffic": False,
            "allowGatewayTransit": False,
            "useRemoteGateways": False,
            "doNotVerifyRemoteGateways": False,
            "peerCompleteVnets": True,
        }
    ),
    terraform=("azurerm_virtual_network_peering",),
)
GATEWAY = ResourceKind(
    _net("virtualNetworkGateways"),
    Modelled("gateways", VirtualNetworkGateway, "virtualNetworkGateways"),
    Listing("virtual_network_gateways"),
    observations=(
        Operation.GET_LEARNED_ROUTES,
        Operation.GET_ADVERTISED_ROUTES,
        Operation.GET_BGP_PEER_STATUS,
    ),
    prefix="vgw",
    defaults=_frozen(
        {
            "enableBgp": False,
            "activeActive": False,
            "allowRemoteVnetTraffic": False,
            "allowVirtualWanTraffic": False,
            "adminState": "Enabled",
        }
    ),
    routing=Routing.CHILDREN,
    terraform=("azurerm_virtual_network_gateway",),
)
CONNECTION = ResourceKind(
    _net("connections"),
    Modelled("connections", Connection, "connections"),
    Listing("virtual_network_gateway_connections"),
    prefix="con",
    read_only=(
        "connectionStatus",
        "tunnelConnectionStatus",
        "ingressBytesTransferred",
        "egressBytesTransferred",
    ),
    defaults=_frozen(
        {
            "routingWeight": 0,
            "enableBgp": False,
            "usePolicyBasedTrafficSelectors": False,
            "expressRouteGatewayBypass": False,
        }
    ),
    terraform=("azurerm_virtual_network_gateway_connection",),
)
LOCAL_NETWORK_GATEWAY = ResourceKind(
    _net("localNetworkGateways"),
    Modelled("local_network_gateways", LocalNetworkGateway, "localNetworkGateways"),
    Listing("local_network_gateways"),
    prefix="lgw",
    terraform=("azurerm_local_network_gateway",),
)
CIRCUIT = ResourceKind(
    _net("expressRouteCircuits"),
    Modelled("circuits", ExpressRouteCircuit, "expressRouteCircuits", (("peerings", "peerings"),)),
    Listing("express_route_circuits"),
    prefix="erc",
    read_only=("circuitProvisioningState", "serviceProviderProvisioningState", "stag"),
    terraform=("azurerm_express_route_circuit",),
)
CIRCUIT_PEERING = ResourceKind(
    _net("expressRouteCircuits/peerings"),
    Modelled(
        "circuit_peerings",
        ExpressRouteCircuitPeering,
        "expressRouteCircuitPeerings",
        (("connections", "connections"),),
    ),
    observations=(Operation.ROUTE_TABLES, Operation.ROUTE_TABLES_SUMMARY, Operation.ARP_TABLES),
    prefix="ercp",
    reserved_names=frozenset({"azureprivatepeering", "azurepublicpeering", "microsoftpeering"}),
    read_only=("azureASN", "primaryAzurePort", "secondaryAzurePort", "lastModifiedBy"),
    terraform=("azurerm_express_route_circuit_peering",),
)
CIRCUIT_CONNECTION = ResourceKind(
    _net("expressRouteCircuits/peerings/connections"),
    Modelled("circuit_connections", ExpressRouteCircuitConnection, "expressRouteCircuitConnections"),
    prefix="gr",
    read_only=("circuitConnectionStatus",),
)
CIRCUIT_AUTHORIZATION = ResourceKind(_net("expressRouteCircuits/authorizations"), prefix="auth")
EXPRESS_ROUTE_PORT = ResourceKind(
    _net("expressRoutePorts"),
    Modelled("express_route_ports", ExpressRoutePort, "expressRoutePorts"),
    Listing("express_route_ports", "list_by_resource_group"),
    prefix="erport",
)
EXPRESS_ROUTE_PORT_LINK = ResourceKind(_net("expressRoutePorts/links"), prefix="link")
ROUTE_TABLE = ResourceKind(
    _net("routeTables"),
    Modelled("route_tables", RouteTable, "routeTables", (("routes", "routes"),)),
    Listing("route_tables"),
    prefix="rt",
    read_only=("subnets",),
    defaults=_frozen({"disableBgpRoutePropagation": False}),
    terraform=("azurerm_route_table",),
)
ROUTE = ResourceKind(
    _net("routeTables/routes"),
    Modelled("routes", Route, "routes"),
    prefix="udr",
    terraform=("azurerm_route",),
)
NETWORK_INTERFACE = ResourceKind(
    _net("networkInterfaces"),
    Modelled("network_interfaces", NetworkInterface, "networkInterfaces"),
    Listing("network_interfaces"),
    observations=(Operation.EFFECTIVE_ROUTE_TABLE,),
    prefix="nic",
    read_only=("virtualMachine", "macAddress"),
    defaults=_frozen({"enableIPForwarding": False}),
)
NETWORK_SECURITY_GROUP = ResourceKind(_net("networkSecurityGroups"), prefix="nsg")
PUBLIC_IP_ADDRESS = ResourceKind(_net("publicIPAddresses"), prefix="pip")
VIRTUAL_HUB = ResourceKind(
    _net("virtualHubs"),
    Modelled("virtual_hubs", VirtualHub, "virtualHubs"),
    Listing("virtual_hubs", "list_by_resource_group"),
    prefix="vhub",
    read_only=("virtualRouterIps", "routingState", "bgpConnections", "ipConfigurations"),
    defaults=_frozen({"allowBranchToBranchTraffic": False}),
    routing=Routing.CHILDREN,
)
HUB_IP_CONFIGURATION = ResourceKind(
    _net("virtualHubs/ipConfigurations"),
    Modelled("virtual_hub_ip_configurations", VirtualHubIpConfiguration, "virtualHubIpConfigurations"),
    Listing("virtual_hub_ip_configuration", per_parent=True),
)
HUB_BGP_CONNECTION = ResourceKind(
    _net("virtualHubs/bgpConnections"),
    Modelled("virtual_hub_bgp_connections", VirtualHubBgpConnection, "virtualHubBgpConnections"),
    Listing("virtual_hub_bgp_connections", per_parent=True),
    prefix="bgpc",
    read_only=("connectionState",),
)
VIRTUAL_WAN = ResourceKind(
    _net("virtualWans"),
    prefix="vwan",
    routing=Routing.TYPE,
    unmodelled="virtual-wan",
    shows_virtual_wan=True,
)
AZURE_FIREWALL = ResourceKind(_net("azureFirewalls"), prefix="afw", routing=Routing.TYPE)
VIRTUAL_MACHINE = ResourceKind("Microsoft.Compute/virtualMachines", prefix="vm")
FIREWALL_POLICY = ResourceKind(_net("firewallPolicies"), routing=Routing.TYPE)
VPN_GATEWAY = ResourceKind(
    _net("vpnGateways"), routing=Routing.TYPE, unmodelled="virtual-wan", shows_virtual_wan=True
)
VPN_GATEWAY_NAT_RULE = ResourceKind(_net("vpnGateways/natRules"), unmodelled="virtual-wan")
VPN_SITE = ResourceKind(_net("vpnSites"), routing=Routing.TYPE, unmodelled="virtual-wan")
P2S_VPN_GATEWAY = ResourceKind(_net("p2sVpnGateways"), routing=Routing.TYPE, unmodelled="virtual-wan")
EXPRESS_ROUTE_GATEWAY = ResourceKind(
    _net("expressRouteGateways"), routing=Routing.TYPE, unmodelled="virtual-wan"
)
EXPRESS_ROUTE_CROSS_CONNECTION = ResourceKind(_net("expressRouteCrossConnections"), routing=Routing.TYPE)
NETWORK_VIRTUAL_APPLIANCE = ResourceKind(
    _net("networkVirtualAppliances"), routing=Routing.TYPE, unmodelled="virtual-wan"
)
HUB_VNET_CONNECTION = ResourceKind(_net("virtualHubs/hubVirtualNetworkConnections"), unmodelled="virtual-wan")
HUB_ROUTE_TABLE = ResourceKind(_net("virtualHubs/hubRouteTables"), unmodelled="virtual-wan")
HUB_V2_ROUTE_TABLE = ResourceKind(_net("virtualHubs/routeTables"), unmodelled="virtual-wan")
HUB_ROUTING_INTENT = ResourceKind(_net("virtualHubs/routingIntent"), unmodelled="virtual-wan")
HUB_ROUTE_MAP = ResourceKind(_net("virtualHubs/routeMaps"), unmodelled="virtual-wan")
VIRTUAL_ROUTER = ResourceKind(_net("virtualRouters"), routing=Routing.TYPE, unmodelled="route-server-peer")
VIRTUAL_ROUTER_PEERING = ResourceKind(_net("virtualRouters/peerings"), unmodelled="route-server-peer")
GATEWAY_NAT_RULE = ResourceKind(_net("virtualNetworkGateways/natRules"), unmodelled="vpn-nat-rule")
ROUTE_FILTER = ResourceKind(_net("routeFilters"), routing=Routing.TYPE)
NETWORK_MANAGER = ResourceKind(_net("networkManagers"), routing=Routing.TYPE)

ALL: tuple[ResourceKind, ...] = (
    VNET,
    SUBNET,
    PEERING,
    GATEWAY,
    CONNECTION,
    LOCAL_NETWORK_GATEWAY,
    CIRCUIT,
    CIRCUIT_PEERING,
    CIRCUIT_CONNECTION,
    CIRCUIT_AUTHORIZATION,
    EXPRESS_ROUTE_PORT,
    EXPRESS_ROUTE_PORT_LINK,
    ROUTE_TABLE,
    ROUTE,
    NETWORK_INTERFACE,
    NETWORK_SECURITY_GROUP,
    PUBLIC_IP_ADDRESS,
    VIRTUAL_HUB,
    HUB_IP_CONFIGURATION,
    HUB_BGP_CONNECTION,
    VIRTUAL_WAN,
    AZURE_FIREWALL,
    VIRTUAL_MACHINE,
    FIREWALL_POLICY,
    VPN_GATEWAY,
    VPN_GATEWAY_NAT_RULE,
    VPN_SITE,
    P2S_VPN_GATEWAY,
    EXPRESS_ROUTE_GATEWAY,
    EXPRESS_ROUTE_CROSS_CONNECTION,
    NETWORK_VIRTUAL_APPLIANCE,
    HUB_VNET_CONNECTION,
    HUB_ROUTE_TABLE,
    HUB_V2_ROUTE_TABLE,
    HUB_ROUTING_INTENT,
    HUB_ROUTE_MAP,
    VIRTUAL_ROUTER,
    VIRTUAL_ROUTER_PEERING,
    GATEWAY_NAT_RULE,
    ROUTE_FILTER,
    NETWORK_MANAGER,
)

# -- indexes over ALL --------------------------------------------------------------------------------

BY_TYPE: dict[str, ResourceKind] = {kind.type_path: kind for kind in ALL}
MODELLED: dict[str, Modelled] = {kind.type_path: kind.modelled for kind in ALL if kind.modelled is not None}
OPERATION_TARGETS: dict[Operation, ResourceKind] = {op: kind for kind in ALL for op in kind.observations}
TERRAFORM: dict[str, ResourceKind] = {tf: kind for kind in ALL for tf in kind.terraform}


def kind_of(type_path: str | None) -> ResourceKind | None:
    """The kind of a lower-case ARM type (`ArmId.type_path`), or None for a type azroute does not know."""
    return BY_TYPE.get(type_path or "")


def in_namespace(arm_type: str) -> bool:
    """Whether an ARM type (any case) belongs to the resource provider routing reads."""
    return arm_type.lower().startswith(NAMESPACE.lower() + "/")


def bears_on_routing(type_path: str) -> bool:
    """Whether a change to this (unmodelled) lower-case type bears on routing."""
    for kind in ALL:
        below = type_path.startswith(kind.type_path + "/")
        if (kind.routing is Routing.TYPE and (type_path == kind.type_path or below)) or (
            kind.routing is Routing.CHILDREN and below
        ):
            return True
    return False


__all__ = [
    "ALL",
    "BY_TYPE",
    "MODELLED",
    "NAMESPACE",
    "OPERATION_TARGETS",
    "TERRAFORM",
    "Listing",
    "Modelled",
    "ResourceKind",
    "Routing",
    "bears_on_routing",
    "in_namespace",
    "kind_of",
]
