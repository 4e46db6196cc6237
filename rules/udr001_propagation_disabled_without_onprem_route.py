from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import IPNetwork
from auditor.rule_api import (
    EVIDENCE_CAP,
    CoverageGap,
    PrefixIndex,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    is_special,
)
from rules._helpers import route_table_of


class PropagationDisabledWithoutOnpremRoute(Rule):
    """A workload subnet disables gateway routes and has no route of its own towards on-premises.

    ## What it does
    For workload subnets (not GatewaySubnet, AzureFirewallSubnet, RouteServerSubnet,
    AzureBastionSubnet) of VNets that use a gateway, flags a route table with gateway route
    propagation disabled and no user-defined route covering the on-premises prefixes the
    gateway learns (a 0.0.0.0/0 route towards an appliance counts).

    ## Why is this bad?
    The subnet has no path to on-premises: traffic to those prefixes matches the default
    routes and is dropped or sent to the Internet. Often intended with an NVA, hence info.

    ## Example
    Scenario `spoke-propagation-off`: `spoke-rt` disables propagation and has no routes.

    ## Use instead
    Scenario `hub-firewall-mirrored`: propagation off, but `0.0.0.0/0` goes to the firewall.

    ## Remediation
    `az network route-table update -g <rg> -n <rt> --disable-bgp-route-propagation false`, or
    add routes towards the appliance for the on-premises prefixes.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """

    id = "UDR001"
    name = "propagation-disabled-without-onprem-route"
    severity = Severity.INFO
    summary = "Subnets without gateway routes have their own routes towards on-premises."
    fixtures = RuleFixtures(
        triggers=("spoke-propagation-off",), passes=("hub-firewall-mirrored", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        plane = ctx.control_plane
        onprem: dict[ArmId, list[IPNetwork]] = {}
        uncovered_by: dict[tuple[ArmId, tuple[str, ...]], list[IPNetwork]] = {}
        for subnet in snapshot.subnets:
            hub = plane.domain_of_vnet.get(subnet.vnet_id)
            table = route_table_of(snapshot, subnet)
            if hub is None or table is None or not table.disable_bgp_route_propagation or is_special(subnet):
                continue
            if hub not in onprem:
                onprem[hub] = sorted(
                    {a.prefix for a in plane.domain_rib[hub] if not a.bgp_peer_host}, key=str
                )
            own = [r.prefix for r in snapshot.routes_of(table.id) if r.prefix is not None]
            key = (hub, tuple(sorted(str(p) for p in own)))
            if key not in uncovered_by:  # one computation per gateway domain and set of route prefixes
                udrs = PrefixIndex(own, lambda p: p)
                uncovered_by[key] = [p for p in onprem[hub] if not udrs.covers(p)]
            uncovered = uncovered_by[key]
            if uncovered:
                yield Violation(
                    message=f"subnet {subnet.vnet_id.name}/{subnet.id.name} disables gateway routes ({table.id.name}) and no route "
                    f"covers {', '.join(map(str, uncovered[:5]))}" + (" ..." if len(uncovered) > 5 else ""),
                    resources=(subnet.id, table.id),
                    evidence={
                        "uncovered": [str(p) for p in uncovered[:EVIDENCE_CAP]],
                        "uncoveredCount": len(uncovered),
                    },
                )
