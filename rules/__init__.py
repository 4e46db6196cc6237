"""azure-route-auditor's built-in rule pack.

Every rule module is listed in `RULES`; a test checks that no module is left out and that
each rule's id, module name, class and kebab-case name agree.
"""

from __future__ import annotations

from rules.asy001_asymmetric_dual_path_site import AsymmetricDualPathSite
from rules.asy002_firewall_bypass import FirewallBypass
from rules.asy003_dual_path_preference_undeclared import DualPathPreferenceUndeclared
from rules.drf001_predicted_route_not_observed import PredictedRouteNotObserved
from rules.drf002_observed_route_not_predicted import ObservedRouteNotPredicted
from rules.prf001_vpn_more_specific_than_expressroute import VpnMoreSpecificThanExpressRoute
from rules.trn001_remote_gateway_transit_not_allowed import RemoteGatewayTransitNotAllowed
from rules.trn002_gateway_transit_unused import GatewayTransitUnused
from rules.trn003_remote_gateway_missing import RemoteGatewayMissing

PACK = "azroute-builtin"

RULES = (
    RemoteGatewayTransitNotAllowed,
    GatewayTransitUnused,
    RemoteGatewayMissing,
    VpnMoreSpecificThanExpressRoute,
    AsymmetricDualPathSite,
    FirewallBypass,
    DualPathPreferenceUndeclared,
    PredictedRouteNotObserved,
    ObservedRouteNotPredicted,
)

__all__ = ["PACK", "RULES"]
