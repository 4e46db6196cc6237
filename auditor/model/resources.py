"""The ARM resources the auditor reasons about, read straight from ARM's JSON shape.

Each class validates an ARM GET document (`id`, `name`, `properties.*`) directly; the field
aliases are the ARM JSON paths, so a validation error names the exact JSON path. Unknown
properties are ignored. A scalar ARM omits stays `None` (never defaulted to a plausible
value); an array ARM omits is read as empty, because ARM routinely drops empty arrays.
Secret-bearing properties (`sharedKey`, `authorizationKey`) have no field here, so they
can never travel further than the loader.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property
from typing import Any

from pydantic import AliasPath, ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic.alias_generators import to_camel

from auditor.ids import ArmId
from auditor.model.base import (
    Asn,
    CircuitId,
    Frozen,
    GatewayId,
    Int32,
    IPNetwork,
    LocalGatewayId,
    Prefix,
    Resource,
    RouteTableId,
    RoutingWeight,
    SubnetId,
    VlanId,
    VNetId,
    parse_canonical_prefix,
    parse_prefix,
    prop,
    ref,
    same,
)


def _count(value: Any) -> int:
    """How many items an array ARM may omit holds (only the count is modelled)."""
    if value is None:
        return 0
    if not isinstance(value, list):
        raise ValueError(f"expected an array, got {type(value).__name__}")
    return len(value)


class SubModel(Frozen):
    """A nested ARM object (not a resource): camelCase keys."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, alias_generator=to_camel)


# -- virtual networks -----------------------------------------------------------------------


class VirtualNetwork(Resource):
    address_prefixes: tuple[Prefix, ...] = Field(
        validation_alias=AliasPath("properties", "addressSpace", "addressPrefixes")
    )
    summarized_gateway_prefixes: tuple[Prefix, ...] | None = prop(
        "summarizedGatewayPrefixes", "addressPrefixes"
    )


class Subnet(Resource):
    address_prefix: Prefix | None = prop("addressPrefix")
    address_prefix_list: tuple[Prefix, ...] | None = prop("addressPrefixes")
    route_table_id: RouteTableId | None = ref("routeTable")
    network_security_group_id: ArmId | None = ref("networkSecurityGroup")

    @model_validator(mode="after")
    def _has_prefix(self) -> Subnet:
        if self.address_prefix is None and not self.address_prefix_list:
            raise ValueError("subnet has neither properties.addressPrefix nor properties.addressPrefixes")
        return self

    @property
    def vnet_id(self) -> ArmId:
        assert self.id.parent is not None
        return self.id.parent

    @property
    def prefixes(self) -> tuple[IPNetwork, ...]:
        found: list[IPNetwork] = []
        if self.address_prefix is not None:
            found.append(self.address_prefix)
        for p in self.address_prefix_list or ():
            if p not in found:
                found.append(p)
        return tuple(found)

    @property
    def is_gateway_subnet(self) -> bool:
        return self.id.name.lower() == "gatewaysubnet"

    @property
    def is_route_server_subnet(self) -> bool:
        """The subnet Azure Route Server is deployed into (Azure requires this exact name)."""
        return self.id.name.lower() == "routeserversubnet"


class VirtualNetworkPeering(Resource):
    remote_vnet_id: VNetId = Field(validation_alias=AliasPath("properties", "remoteVirtualNetwork", "id"))
    allow_virtual_network_access: StrictBool | None = prop("allowVirtualNetworkAccess")
    allow_forwarded_traffic: StrictBool | None = prop("allowForwardedTraffic")
    allow_gateway_transit: StrictBool | None = prop("allowGatewayTransit")
    use_remote_gateways: StrictBool | None = prop("useRemoteGateways")
    do_not_verify_remote_gateways: StrictBool | None = prop("doNotVerifyRemoteGateways")
    peering_state: str | None = prop("peeringState")
    peering_sync_level: str | None = prop("peeringSyncLevel")
    remote_address_prefixes: tuple[Prefix, ...] | None = prop("remoteAddressSpace", "addressPrefixes")
    peer_complete_vnets: StrictBool | None = prop("peerCompleteVnets")

    @property
    def vnet_id(self) -> ArmId:
        assert self.id.parent is not None
        return self.id.parent

    @property
    def connected(self) -> bool:
        return same(self.peering_state, "Connected")


def arm_peering_state(reverse_exists: bool) -> str:
    """The state ARM gives a peering (read-only: a deployment cannot set it): Connected once the
    remote VNet has a peering back, Initiated until then
    (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering)."""
    return "Connected" if reverse_exists else "Initiated"


# -- gateways and connections ------------------------------------------------------------------


class BgpPeeringAddress(SubModel):
    ipconfiguration_id: str | None = None
    default_bgp_ip_addresses: tuple[str, ...] = ()
    custom_bgp_ip_addresses: tuple[str, ...] = ()
    tunnel_ip_addresses: tuple[str, ...] = ()


class BgpSettings(SubModel):
    asn: Asn | None = None
    bgp_peering_address: str | None = None
    peer_weight: Int32 | None = None
    bgp_peering_addresses: tuple[BgpPeeringAddress, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every BGP address the speaker uses (comma-separated legacy field included)."""
        found: list[str] = []
        for part in (self.bgp_peering_address or "").split(","):
            if part.strip():
                found.append(part.strip())
        for entry in self.bgp_peering_addresses:
            found.extend(entry.default_bgp_ip_addresses)
            found.extend(entry.custom_bgp_ip_addresses)
        return tuple(dict.fromkeys(found))


class GatewayIpConfiguration(SubModel):
    id: str | None = None
    subnet_id: SubnetId | None = Field(None, validation_alias=AliasPath("properties", "subnet", "id"))
    private_ip_address: str | None = Field(None, validation_alias=AliasPath("properties", "privateIPAddress"))


class VirtualNetworkGateway(Resource):
    gateway_type: str = Field(validation_alias=AliasPath("properties", "gatewayType"))
    vpn_type: str | None = prop("vpnType")
    sku_name: str | None = prop("sku", "name")
    sku_tier: str | None = prop("sku", "tier")
    enable_bgp: StrictBool | None = prop("enableBgp")
    active_active: StrictBool | None = prop("activeActive")
    bgp_settings: BgpSettings | None = prop("bgpSettings")
    ip_configurations: tuple[GatewayIpConfiguration, ...] = prop("ipConfigurations", default=())
    allow_remote_vnet_traffic: StrictBool | None = prop("allowRemoteVnetTraffic")
    allow_virtual_wan_traffic: StrictBool | None = prop("allowVirtualWanTraffic")
    gateway_default_site_id: ArmId | None = ref("gatewayDefaultSite")
    custom_route_prefixes: tuple[Prefix, ...] | None = prop("customRoutes", "addressPrefixes")
    admin_state: str | None = prop("adminState")
    p2s_address_pool: tuple[Prefix, ...] | None = prop(
        "vpnClientConfiguration", "vpnClientAddressPool", "addressPrefixes"
    )
    nat_rules: int = prop("natRules", default=0)

    _nat_count = field_validator("nat_rules", mode="before")(lambda v: _count(v))

    @property
    def is_vpn(self) -> bool:
        return same(self.gateway_type, "Vpn")

    @property
    def is_expressroute(self) -> bool:
        return same(self.gateway_type, "ExpressRoute")

    @property
    def asn(self) -> int | None:
        return self.bgp_settings.asn if self.bgp_settings else None

    @property
    def runs_bgp(self) -> bool:
        """BGP enabled on a gateway that can run it: BGP needs a route-based gateway above the Basic
        SKU (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp); on a Basic or
        policy-based one no session comes up (BGP007)."""
        unsupported = (self.sku_name or "").lower() == "basic" or (
            self.vpn_type or ""
        ).lower() == "policybased"
        return bool(self.enable_bgp) and not unsupported

    @property
    def vnet_id(self) -> ArmId | None:
        """The VNet whose GatewaySubnet holds the gateway (from its ipConfigurations)."""
        for conf in self.ip_configurations:
            if conf.subnet_id is not None and conf.subnet_id.parent is not None:
                return conf.subnet_id.parent
        return None

    @property
    def working(self) -> bool:
        """Deployed and not administratively disabled (unknown counts as working)."""
        if self.provisioning_state is not None and not same(self.provisioning_state, "Succeeded"):
            return False
        return not same(self.admin_state, "Disabled")


class Connection(Resource):
    connection_type: str = Field(validation_alias=AliasPath("properties", "connectionType"))
    gateway1_id: GatewayId = Field(validation_alias=AliasPath("properties", "virtualNetworkGateway1", "id"))
    gateway2_id: GatewayId | None = ref("virtualNetworkGateway2")
    local_network_gateway_id: LocalGatewayId | None = ref("localNetworkGateway2")
    peer_id: CircuitId | None = ref("peer")
    routing_weight: RoutingWeight | None = prop("routingWeight")
    enable_bgp: StrictBool | None = prop("enableBgp")
    connection_status: str | None = prop("connectionStatus")
    connection_protocol: str | None = prop("connectionProtocol")
    use_policy_based_traffic_selectors: StrictBool | None = prop("usePolicyBasedTrafficSelectors")
    express_route_gateway_bypass: StrictBool | None = prop("expressRouteGatewayBypass")
    ingress_nat_rules: int = prop("ingressNatRules", default=0)
    egress_nat_rules: int = prop("egressNatRules", default=0)
    traffic_selector_policies: int = prop("trafficSelectorPolicies", default=0)

    _counts = field_validator(
        "ingress_nat_rules", "egress_nat_rules", "traffic_selector_policies", mode="before"
    )(lambda v: _count(v))

    @property
    def is_expressroute(self) -> bool:
        return same(self.connection_type, "ExpressRoute")

    @property
    def is_ipsec(self) -> bool:
        return same(self.connection_type, "IPsec")

    @property
    def is_vnet2vnet(self) -> bool:
        return same(self.connection_type, "Vnet2Vnet")

    @property
    def up(self) -> bool:
        """Not known to be down: `connectionStatus` absent counts as up, `NotConnected` as down."""
        if self.provisioning_state is not None and not same(self.provisioning_state, "Succeeded"):
            return False
        return self.connection_status is None or not (
            same(self.connection_status, "NotConnected") or same(self.connection_status, "Unknown")
        )


class LocalNetworkGateway(Resource):
    address_prefixes: tuple[Prefix, ...] | None = prop("localNetworkAddressSpace", "addressPrefixes")
    gateway_ip_address: str | None = prop("gatewayIpAddress")
    fqdn: str | None = prop("fqdn")
    bgp_settings: BgpSettings | None = prop("bgpSettings")

    @property
    def asn(self) -> int | None:
        return self.bgp_settings.asn if self.bgp_settings else None


# -- ExpressRoute -------------------------------------------------------------------------------


class ExpressRouteCircuit(Resource):
    sku_name: str | None = Field(None, validation_alias=AliasPath("sku", "name"))
    sku_tier: str | None = Field(None, validation_alias=AliasPath("sku", "tier"))
    sku_family: str | None = Field(None, validation_alias=AliasPath("sku", "family"))
    service_provider_name: str | None = prop("serviceProviderProperties", "serviceProviderName")
    peering_location: str | None = prop("serviceProviderProperties", "peeringLocation")
    bandwidth_mbps: Int32 | None = prop("serviceProviderProperties", "bandwidthInMbps")
    service_provider_provisioning_state: str | None = prop("serviceProviderProvisioningState")
    circuit_provisioning_state: str | None = prop("circuitProvisioningState")
    global_reach_enabled: StrictBool | None = prop("globalReachEnabled")
    express_route_port_id: ArmId | None = ref("expressRoutePort")
    # only each authorization's use status is kept: the keys are secrets and never enter the model
    authorization_use: tuple[str | None, ...] = prop("authorizations", default=())

    @field_validator("authorization_use", mode="before")
    @classmethod
    def _use_status(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        # the items and their `properties` are checked to be objects before this runs (normalize)
        return [
            a["properties"].get("authorizationUseStatus")
            if isinstance(a, dict) and isinstance(a.get("properties"), dict)
            else None
            for a in value
        ]

    @property
    def authorizations_in_use(self) -> int:
        """Authorizations another subscription redeemed (`authorizationUseStatus: InUse`)."""
        return sum(1 for status in self.authorization_use if same(status, "InUse"))

    @property
    def provisioned(self) -> bool:
        """Not known to be unprovisioned (absent state counts as provisioned)."""
        return self.service_provider_provisioning_state is None or same(
            self.service_provider_provisioning_state, "Provisioned"
        )


class ExpressRouteCircuitPeering(Resource):
    peering_type: str = Field(validation_alias=AliasPath("properties", "peeringType"))
    state: str | None = prop("state")
    azure_asn: Asn | None = prop("azureASN")
    peer_asn: Asn | None = prop("peerASN")
    # Microsoft peering: the customer's ASN when the peer ASN is not their own (advertised prefixes
    # registered to another ASN)
    customer_asn: Asn | None = prop("microsoftPeeringConfig", "customerASN")

    @property
    def declared_customer_asn(self) -> int | None:
        """The customer ASN the Microsoft peering uses, if one is set. ARM writes `customerASN: 0`
        on a Microsoft peering configured without one (the customer ASN is optional: only for
        prefixes registered to another ASN than the peer ASN,
        https://learn.microsoft.com/azure/expressroute/expressroute-howto-routing-arm): 0 is
        "not set", never an ASN the peering uses."""
        return None if self.customer_asn == 0 else self.customer_asn

    primary_peer_address_prefix: Prefix | None = prop("primaryPeerAddressPrefix")
    secondary_peer_address_prefix: Prefix | None = prop("secondaryPeerAddressPrefix")
    vlan_id: VlanId | None = prop("vlanId")
    # IPv6 runs over the peering only when `ipv6PeeringConfig` is configured (only that fact is kept)
    carries_ipv6: bool = prop("ipv6PeeringConfig", default=False)

    @field_validator("carries_ipv6", mode="before")
    @classmethod
    def _ipv6(cls, value: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, dict):
            raise ValueError(f"expected an object, got {type(value).__name__}")
        return bool(value)

    @property
    def circuit_id(self) -> ArmId:
        assert self.id.parent is not None
        return self.id.parent

    @property
    def is_private(self) -> bool:
        return same(self.peering_type, "AzurePrivatePeering")

    @property
    def enabled(self) -> bool:
        return self.state is None or same(self.state, "Enabled")


class ExpressRouteCircuitConnection(Resource):
    """A Global Reach link between two circuits' private peerings."""

    peer_peering_id: ArmId | None = ref("peerExpressRouteCircuitPeering")
    address_prefix: Prefix | None = prop("addressPrefix")
    circuit_connection_status: str | None = prop("circuitConnectionStatus")

    @property
    def peering_id(self) -> ArmId:
        assert self.id.parent is not None
        return self.id.parent

    @property
    def joined_circuits(self) -> tuple[ArmId, ArmId] | None:
        """The two circuits this link joins, or None when it joins nothing: no peer peering, or
        `circuitConnectionStatus` Disconnected (the control plane exchanges no routes over it; ERC001
        reports the link, and ERC004, which counts a configured link, leaves the pair to it)."""
        if same(self.circuit_connection_status, "Disconnected") or self.peer_peering_id is None:
            return None
        a, b = self.peering_id.parent, self.peer_peering_id.parent
        return (a, b) if a is not None and b is not None else None


# -- route tables and NICs ---------------------------------------------------------------------


class RouteTable(Resource):
    disable_bgp_route_propagation: StrictBool | None = prop("disableBgpRoutePropagation")
    subnet_ids: tuple[ArmId, ...] = prop("subnets", default=())

    @model_validator(mode="before")
    @classmethod
    def _subnet_refs(cls, data: Any) -> Any:
        # ARM lists subnets as references `{"id": ...}`; keep the ids only.
        if isinstance(data, dict):
            props = data.get("properties")
            if isinstance(props, dict) and isinstance(props.get("subnets"), list):
                ids = [s.get("id") if isinstance(s, dict) else s for s in props["subnets"]]
                data = {**data, "properties": {**props, "subnets": ids}}
        return data


NEXT_HOP_TYPES = (
    "VirtualNetworkGateway",
    "VnetLocal",
    "Internet",
    "VirtualAppliance",
    "VirtualApplianceEcmp",
    "None",
)
# A service tag (`Storage`, `AzureCloud.WestEurope`): a letter, then letters, digits, `_`, `-`, and
# dot-separated parts. Anything with `/` or `:` or starting with a digit is meant as a prefix.
_SERVICE_TAG = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")


class Route(Resource):
    address_prefix: str = Field(validation_alias=AliasPath("properties", "addressPrefix"))
    next_hop_type: str = Field(validation_alias=AliasPath("properties", "nextHopType"))
    next_hop_ip_address: str | None = prop("nextHopIpAddress")

    @field_validator("address_prefix")
    @classmethod
    def _prefix_or_tag(cls, value: str) -> str:
        """An address prefix (canonical, zero host bits) or a service tag name (`Storage`)."""
        if "/" in value or ":" in value or value[:1].isdigit():
            parse_canonical_prefix(value)  # raises: "10.0.0.1/8" and "0.0.0.0/33" are not prefixes
        elif not _SERVICE_TAG.fullmatch(value):
            raise ValueError(f"neither an address prefix nor a service tag name: {value!r}")
        return value

    @field_validator("next_hop_type")
    @classmethod
    def _hop_type(cls, value: str) -> str:
        """One of ARM's RouteNextHopType values, in any case; kept in ARM's spelling."""
        for known in NEXT_HOP_TYPES:
            if value.lower() == known.lower():
                return known
        raise ValueError(f"nextHopType must be one of {', '.join(NEXT_HOP_TYPES)}")

    @field_validator("next_hop_ip_address")
    @classmethod
    def _hop_address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                if "%" in value or value != value.strip():
                    raise ValueError
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"not an IP address: {value!r}") from None
        return value

    @property
    def route_table_id(self) -> ArmId:
        assert self.id.parent is not None
        return self.id.parent

    @cached_property
    def prefix(self) -> IPNetwork | None:
        """The prefix, or None when the route names a service tag (`AzureCloud`); parsed once
        (every subnet table using the route asks; equality and copies ignore it)."""
        try:
            return parse_prefix(self.address_prefix)
        except ValueError:
            return None


class NicIpConfiguration(SubModel):
    id: str | None = None
    subnet_id: SubnetId | None = Field(None, validation_alias=AliasPath("properties", "subnet", "id"))
    private_ip_address: str | None = Field(None, validation_alias=AliasPath("properties", "privateIPAddress"))
    primary: StrictBool | None = Field(None, validation_alias=AliasPath("properties", "primary"))


class NetworkInterface(Resource):
    ip_configurations: tuple[NicIpConfiguration, ...] = prop("ipConfigurations", default=())
    enable_ip_forwarding: StrictBool | None = prop("enableIPForwarding")
    virtual_machine_id: ArmId | None = ref("virtualMachine")

    @property
    def subnet_ids(self) -> tuple[ArmId, ...]:
        return tuple(dict.fromkeys(c.subnet_id for c in self.ip_configurations if c.subnet_id is not None))


# -- Route Server (a virtual hub deployed into a VNet) ----------------------------------------------


class VirtualHub(Resource):
    """A virtual hub. Without `virtualWan` and with an IP configuration in a VNet's
    RouteServerSubnet it is an Azure Route Server."""

    virtual_wan_id: ArmId | None = ref("virtualWan")
    address_prefix: Prefix | None = prop("addressPrefix")  # a Virtual WAN hub's address space
    allow_branch_to_branch_traffic: StrictBool | None = prop("allowBranchToBranchTraffic")
    virtual_router_asn: Asn | None = prop("virtualRouterAsn")
    virtual_router_ips: tuple[str, ...] = prop("virtualRouterIps", default=())
    hub_routing_preference: str | None = prop("hubRoutingPreference")
    sku: str | None = prop("sku")
    bgp_connection_ids: tuple[ArmId, ...] = prop("bgpConnections", default=())

    @field_validator("bgp_connection_ids", mode="before")
    @classmethod
    def _refs(cls, value: Any) -> Any:
        return (
            [r.get("id") if isinstance(r, dict) else r for r in value] if isinstance(value, list) else value
        )


class VirtualHubBgpConnection(Resource):
    """A BGP peer of a Route Server (an NVA): its routes are not modelled (a coverage gap)."""

    peer_ip: str | None = prop("peerIp")
    peer_asn: Asn | None = prop("peerAsn")
    connection_state: str | None = prop("connectionState")

    @property
    def hub_id(self) -> ArmId:
        assert self.id.parent is not None
        return self.id.parent


class ExpressRoutePort(Resource):
    """An ExpressRoute Direct port pair; its circuits take their peering location from it."""

    peering_location: str | None = prop("peeringLocation")


class VirtualHubIpConfiguration(Resource):
    subnet_id: ArmId | None = ref("subnet")
    private_ip_address: str | None = prop("privateIPAddress")

    @property
    def hub_id(self) -> ArmId:
        assert self.id.parent is not None
        return self.id.parent
