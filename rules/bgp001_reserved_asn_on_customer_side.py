from __future__ import annotations

from collections.abc import Iterator

from auditor.model import LocalNetworkGateway, Snapshot, VirtualHub
from auditor.rule_api import (
    AZURE_ASN,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    lng_stands_for,
)
from rules._helpers import private_peering_asn_in_azure_range

AZURE_RESERVED = {8074, 8075, 12076, 65515, 65517, 65518, 65519, 65520}
IANA_RESERVED = {0, 23456, *range(64496, 64512), *range(65535, 65552), 4294967295}


def reserved(asn: int) -> str | None:
    if asn in AZURE_RESERVED:
        return "reserved by Azure"
    if asn in IANA_RESERVED:
        return "reserved by IANA"
    return None


class ReservedAsnOnCustomerSide(Rule):
    """An on-premises BGP speaker uses an ASN that Azure or IANA reserves.

    ## What it does
    Checks the BGP ASN of every local network gateway, the peer ASN of every ExpressRoute
    peering, the customer ASN of every Microsoft peering (`microsoftPeeringConfig.customerASN`;
    0 there is how ARM writes "not set", so it is not checked) and the peer ASN of every BGP connection of a Route Server or virtual hub (`peerAsn`) against
    Azure's reserved ASNs (8074, 8075, 12076, 65515, 65517-65520) and IANA's (0, 23456,
    64496-64511, 65535-65551, 4294967295). A Route Server peer with 65515 uses the Route Server's
    own ASN: the message says so (the NVA's ASN "must be different from the Route Server ASN").
    A private peering whose peer ASN is in 65515-65520 is BGP002's finding, not this rule's.

    A local network gateway with ASN 65515 that stands for an Azure gateway is not on-premises and
    is accepted: its BGP peer address is the BGP address of an Azure VPN gateway in the snapshot
    (whose ASN is 65515), or lies in the address space of a collected Virtual WAN hub (the
    "Connect a virtual network gateway to Virtual WAN" design configures the LNG with the hub VPN
    gateway's ASN 65515 and BGP addresses). When the snapshot shows a Virtual WAN but no collected
    hub holds the peer address, the LNG may stand for that hub's gateway: a coverage gap, not a
    finding.

    ## Why is this bad?
    Azure rejects or cannot peer with these ASNs: the BGP session does not come up, or routes
    are dropped by AS-path loop prevention because Azure's own ASN is in the path.

    ## Example
    Scenario `reserved-asn`: the branch office's local network gateway uses ASN 65515. Scenario
    `route-server-peer-reserved-asn`: the Route Server's NVA peer uses 65515 (its own ASN). Scenario
    `microsoft-peering-reserved-customer-asn`: a Microsoft peering's `customerASN` is 23456.

    ## Use instead
    Scenario `interop-testbed`: on-premises uses 65021 and 65022. Scenario `vwan-hub-lng-asn-65515`:
    the LNG with ASN 65515 stands for a Virtual WAN hub's VPN gateway (peer address in the hub's
    `addressPrefix`).

    ## Remediation
    Renumber the on-premises router, then update the LNG:
    `az network local-gateway update -g <rg> -n <lng> --asn <private ASN outside the reserved ranges>`;
    for a Route Server peer, renumber the NVA and recreate its peering:
    `az network routeserver peering create -g <rg> --routeserver <rs> -n <peer> --peer-ip <ip> --peer-asn <ASN>`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp
    - https://learn.microsoft.com/azure/route-server/route-server-faq
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    - https://learn.microsoft.com/azure/virtual-wan/connect-virtual-network-gateway-vwan
    """

    id = "BGP001"
    name = "reserved-asn-on-customer-side"
    severity = Severity.ERROR
    summary = "On-premises BGP speakers use ASNs that neither Azure nor IANA reserves."
    fixtures = RuleFixtures(
        triggers=(
            "reserved-asn",
            "route-server-peer-reserved-asn",
            "microsoft-peering-reserved-customer-asn",
        ),
        passes=("interop-testbed", "vwan-hub-lng-asn-65515"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for lng in snapshot.local_network_gateways:
            why = reserved(lng.asn) if lng.asn is not None else None
            if not why:
                continue
            stands_for = _azure_gateway(snapshot, lng) if lng.asn == AZURE_ASN else None
            if stands_for == "":
                continue
            if stands_for is not None:
                yield CoverageGap(
                    kind="not-evaluated",
                    resource=str(lng.id),
                    detail=f"local network gateway {lng.id.name} uses ASN {lng.asn} with BGP peer {stands_for}: it may stand "
                    "for the VPN gateway of a Virtual WAN hub that is not collected",
                    rules=(self.id,),
                )
                continue
            yield Violation(
                message=f"local network gateway {lng.id.name} uses ASN {lng.asn}, {why}",
                resources=(lng.id,),
                evidence={"asn": lng.asn, "reason": why},
            )
        for peering in snapshot.circuit_peerings:
            why = reserved(peering.peer_asn) if peering.peer_asn is not None else None
            if why and not private_peering_asn_in_azure_range(peering):  # else BGP002's finding
                yield Violation(
                    message=f"circuit {peering.circuit_id.name} peering {peering.id.name} uses peer ASN {peering.peer_asn}, {why}",
                    resources=(peering.id,),
                    evidence={"asn": peering.peer_asn, "reason": why},
                )
            customer = peering.declared_customer_asn  # customerASN 0 is ARM's "not set"
            why = reserved(customer) if customer is not None else None
            if why:
                yield Violation(
                    message=f"circuit {peering.circuit_id.name} peering {peering.id.name} uses customer ASN "
                    f"{customer} (microsoftPeeringConfig.customerASN), {why}",
                    resources=(peering.id,),
                    evidence={"asn": customer, "reason": why, "field": "customerASN"},
                    key=f"{peering.id}|customerASN",
                )
        for conn in snapshot.virtual_hub_bgp_connections:
            why = reserved(conn.peer_asn) if conn.peer_asn is not None else None
            if not why:
                continue
            hub = snapshot.by_id.get(conn.hub_id)
            what = (
                "virtual hub"
                if isinstance(hub, VirtualHub) and hub.virtual_wan_id is not None
                else "Route Server"
            )
            own = (
                f"; it is the {what}'s own ASN (virtualRouterAsn)"
                if isinstance(hub, VirtualHub) and hub.virtual_router_asn == conn.peer_asn
                else ""
            )
            yield Violation(
                message=f"{what} {conn.hub_id.name}'s BGP peer {conn.id.name} ({conn.peer_ip or '?'}) uses ASN "
                f"{conn.peer_asn}, {why}{own}",
                resources=(conn.id,),
                evidence={"asn": conn.peer_asn, "reason": why, "peerIp": conn.peer_ip},
            )


def _azure_gateway(snapshot: Snapshot, lng: LocalNetworkGateway) -> str | None:
    """ "" when the local network gateway stands for an Azure gateway (an Azure VPN gateway of the
    snapshot, or a collected Virtual WAN hub: `lng_stands_for`, which `paths` asks too); the peer
    address when it may stand for a hub that is not collected; None when it stands for nothing in
    Azure."""
    stands = lng_stands_for(snapshot, lng)
    if stands is None:
        return None
    return stands[1] if stands[0] == "virtual-wan" else ""
