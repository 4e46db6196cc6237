"""azure-route-auditor's built-in rule pack.

Every rule module is listed in `RULES`; a test checks that no module is left out and that
each rule's id, module name, class and kebab-case name agree.
"""

from __future__ import annotations

from rules.asy001_asymmetric_dual_path_site import AsymmetricDualPathSite
from rules.asy002_firewall_bypass import FirewallBypass
from rules.asy003_dual_path_preference_undeclared import DualPathPreferenceUndeclared
from rules.bgp001_reserved_asn_on_customer_side import ReservedAsnOnCustomerSide
from rules.bgp002_private_peering_asn_in_azure_range import PrivatePeeringAsnInAzureRange
from rules.bgp003_same_asn_both_ends import SameAsnBothEnds
from rules.bgp004_bgp_enabled_on_one_side import BgpEnabledOnOneSide
from rules.bgp005_bgp_peer_not_connected import BgpPeerNotConnected
from rules.bgp006_route_server_transit_blocked import RouteServerTransitBlocked
from rules.bgp007_bgp_on_unsupported_gateway import BgpOnUnsupportedGateway
from rules.bgp008_apipa_peer_without_azure_apipa import ApipaPeerWithoutAzureApipa
from rules.cfg001_suppression_expired import SuppressionExpired
from rules.cfg002_suppression_unused import SuppressionUnused
from rules.cov001_observation_failed import ObservationFailed
from rules.cov002_referenced_resource_not_collected import ReferencedResourceNotCollected
from rules.cov003_collection_failed import CollectionFailed
from rules.drf001_predicted_route_not_observed import PredictedRouteNotObserved
from rules.drf002_observed_route_not_predicted import ObservedRouteNotPredicted
from rules.erc001_circuit_not_ready import CircuitNotReady
from rules.erc002_single_device_path import SingleDevicePath
from rules.erc003_vnet_to_vnet_hairpin import VnetToVnetHairpin
from rules.erc004_sites_need_global_reach import SitesNeedGlobalReach
from rules.erc005_fastpath_not_applicable import FastpathNotApplicable
from rules.erc006_circuit_without_vnet_link import CircuitWithoutVnetLink
from rules.erc007_sites_need_route_server import SitesNeedRouteServer
from rules.gws001_gateway_subnet_default_route import GatewaySubnetDefaultRoute
from rules.gws002_gateway_subnet_nsg import GatewaySubnetNsg
from rules.gws003_gateway_subnet_propagation_disabled import GatewaySubnetPropagationDisabled
from rules.gws004_udr_covers_gateway_subnet import UdrCoversGatewaySubnet
from rules.gws005_gateway_subnet_too_small import GatewaySubnetTooSmall
from rules.gws006_unsupported_coexistence import UnsupportedCoexistence
from rules.gws007_udr_to_unsupported_gateway import UdrToUnsupportedGateway
from rules.gws008_gateway_without_connection import GatewayWithoutConnection
from rules.gws009_route_server_subnet_udr_or_nsg import RouteServerSubnetUdrOrNsg
from rules.int001_intent_violated import IntentViolated
from rules.lim001_circuit_prefix_limit import CircuitPrefixLimit
from rules.lim002_azure_prefixes_to_circuit import AzurePrefixesToCircuit
from rules.lim003_vpn_peer_prefix_limit import VpnPeerPrefixLimit
from rules.lim004_circuit_vnet_links import CircuitVnetLinks
from rules.prf001_vpn_more_specific_than_expressroute import VpnMoreSpecificThanExpressRoute
from rules.prf002_weight_favours_remote_circuit import WeightFavoursRemoteCircuit
from rules.prf003_vpn_backup_missing_prefixes import VpnBackupMissingPrefixes
from rules.prf004_ecmp_across_peering_locations import EcmpAcrossPeeringLocations
from rules.prf005_sites_announce_same_prefix import SitesAnnounceSamePrefix
from rules.trn001_remote_gateway_transit_not_allowed import RemoteGatewayTransitNotAllowed
from rules.trn002_gateway_transit_unused import GatewayTransitUnused
from rules.trn003_remote_gateway_missing import RemoteGatewayMissing
from rules.trn004_multiple_remote_gateway_peerings import MultipleRemoteGatewayPeerings
from rules.trn005_remote_gateways_with_own_gateway import RemoteGatewaysWithOwnGateway
from rules.trn006_peering_not_in_sync import PeeringNotInSync
from rules.trn007_transit_through_basic_gateway import TransitThroughBasicGateway
from rules.trn008_overlapping_address_spaces import OverlappingAddressSpaces
from rules.trn009_appliance_without_ip_forwarding import ApplianceWithoutIpForwarding
from rules.trn010_forwarded_traffic_not_allowed import ForwardedTrafficNotAllowed
from rules.trn011_hub_gateway_not_shared import HubGatewayNotShared
from rules.udr001_propagation_disabled_without_onprem_route import PropagationDisabledWithoutOnpremRoute
from rules.udr002_forced_tunnel_default_route import ForcedTunnelDefaultRoute
from rules.udr003_appliance_not_directly_reachable import ApplianceNotDirectlyReachable
from rules.udr004_bgp_route_never_wins import BgpRouteNeverWins
from rules.udr005_route_table_not_associated import RouteTableNotAssociated

PACK = "azroute-builtin"

RULES = (
    AsymmetricDualPathSite,
    FirewallBypass,
    DualPathPreferenceUndeclared,
    ReservedAsnOnCustomerSide,
    PrivatePeeringAsnInAzureRange,
    SameAsnBothEnds,
    BgpEnabledOnOneSide,
    BgpPeerNotConnected,
    RouteServerTransitBlocked,
    BgpOnUnsupportedGateway,
    ApipaPeerWithoutAzureApipa,
    SuppressionExpired,
    SuppressionUnused,
    ObservationFailed,
    ReferencedResourceNotCollected,
    CollectionFailed,
    PredictedRouteNotObserved,
    ObservedRouteNotPredicted,
    CircuitNotReady,
    SingleDevicePath,
    VnetToVnetHairpin,
    SitesNeedGlobalReach,
    FastpathNotApplicable,
    GatewaySubnetDefaultRoute,
    GatewaySubnetNsg,
    GatewaySubnetPropagationDisabled,
    UdrCoversGatewaySubnet,
    GatewaySubnetTooSmall,
    UnsupportedCoexistence,
    UdrToUnsupportedGateway,
    CircuitPrefixLimit,
    AzurePrefixesToCircuit,
    VpnPeerPrefixLimit,
    CircuitVnetLinks,
    VpnMoreSpecificThanExpressRoute,
    WeightFavoursRemoteCircuit,
    VpnBackupMissingPrefixes,
    EcmpAcrossPeeringLocations,
    SitesAnnounceSamePrefix,
    RemoteGatewayTransitNotAllowed,
    GatewayTransitUnused,
    RemoteGatewayMissing,
    MultipleRemoteGatewayPeerings,
    RemoteGatewaysWithOwnGateway,
    PeeringNotInSync,
    TransitThroughBasicGateway,
    OverlappingAddressSpaces,
    ApplianceWithoutIpForwarding,
    ForwardedTrafficNotAllowed,
    PropagationDisabledWithoutOnpremRoute,
    ForcedTunnelDefaultRoute,
    ApplianceNotDirectlyReachable,
    BgpRouteNeverWins,
    CircuitWithoutVnetLink,
    SitesNeedRouteServer,
    GatewayWithoutConnection,
    RouteServerSubnetUdrOrNsg,
    HubGatewayNotShared,
    RouteTableNotAssociated,
    IntentViolated,
)

__all__ = ["PACK", "RULES"]
