"""Resources and properties that can change routing and that azroute does not model.

Each one is a coverage gap of kind `unmodelled` with a `feature` name, naming the resource and
the conclusions it can change, so an audit that meets one exits 3 instead of reporting a clean
bill of health. `--accept-unmodelled FEATURE` moves the gaps of a known feature to
`coverage.accepted`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from auditor.findings import CoverageGap
from auditor.ids import ArmId
from auditor.model import Connection, LocalNetworkGateway, Snapshot, kinds
from auditor.routing.domains import AZURE_ASN
from auditor.routing.sites import site_views

# Rules whose conclusions depend on the routes every network sees.
ROUTE_RULES = (
    "ASY001", "ASY002", "DRF001", "DRF002", "PRF001", "PRF003", "PRF004", "PRF005", "UDR001", "UDR004",
)  # fmt: skip


@dataclass(frozen=True)
class Feature:
    name: str
    what: str  # what it is, for `--accept-unmodelled` help and the docs
    changes: str  # the conclusions it can change
    affects_paths: bool = True
    stops: tuple[
        str, ...
    ] = ()  # rules it stops besides ROUTE_RULES: they raise nothing on what its gap covers

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule whose conclusions the feature's gap stops."""
        return tuple(sorted({*ROUTE_RULES, *self.stops}))


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature(
            "route-server-peer",
            "a BGP peer (NVA) of an Azure Route Server",
            "the routes the peer injects into the Route Server's VNet, the VNets using its gateways and "
            "the ExpressRoute/VPN gateways: effective routes, advertisements, paths and drift",
        ),
        Feature(
            "virtual-wan",
            "Virtual WAN (virtual hubs, hub gateways, hub connections, routing intent)",
            "every route a Virtual WAN hub gives the VNets and branches connected to it, and paths through it",
        ),
        Feature(
            "vpn-nat-rule",
            "a NAT rule on a VPN gateway or connection",
            "the prefixes the VPN gateway advertises and learns over the connection, and paths through it; "
            "whether address spaces that overlap across a NAT'd connection collide (TRN008)",
            stops=("TRN008",),
        ),
        Feature(
            "gateway-default-site",
            "forced tunnelling to a default site (gatewayDefaultSite)",
            "where Internet-bound traffic of the gateway's VNets goes (UDR002, paths to addresses outside "
            "every known prefix)",
            affects_paths=False,
        ),
        Feature(
            "service-tag-route",
            "a user-defined route whose address prefix is a service tag",
            "where traffic to the tag's Azure service addresses goes from the subnets using the route table",
            affects_paths=False,
        ),
        Feature(
            "p2s-address-pool",
            "point-to-site VPN clients (vpnClientAddressPool)",
            "what the client pool can reach and what the gateway advertises for it (ExpressRoute sites are "
            "reachable from it only with Route Server)",
            affects_paths=False,
        ),
        Feature(
            "ipv6-over-vpn",
            "IPv6 address space on a site-to-site VPN",
            "IPv6 routes over the VPN connection and paths between IPv6 addresses",
        ),
        Feature(
            "subnet-peering",
            "a peering of selected subnets (peerCompleteVnets false)",
            "which address ranges the peering carries, and paths between the two VNets",
        ),
        Feature(
            "expressroute-fastpath",
            "ExpressRoute FastPath where Microsoft's article leaves the data path open: a provider "
            "(not ExpressRoute Direct) circuit whose gateway's GatewaySubnet has user-defined routes",
            "whether on-premises traffic to the hub VNet still passes the GatewaySubnet's routes (an "
            "appliance or firewall there) once FastPath bypasses the gateway, and paths over the connection",
        ),
        Feature(
            "vpn-traffic-selector",
            "custom traffic selectors on a VPN connection (trafficSelectorPolicies)",
            "which traffic the tunnel accepts, and paths over it",
        ),
    )
}

# Resource types azroute reads but does not model, and the feature each belongs to (the registry's).
UNMODELLED_TYPES = {kind.type_path: kind.unmodelled for kind in kinds.ALL if kind.unmodelled is not None}


def _gap(feature: str, resource: str, detail: str) -> CoverageGap:
    spec = FEATURES[feature]
    return CoverageGap(
        kind="unmodelled",
        resource=resource,
        detail=f"{detail}: not modelled; it can change {spec.changes}",
        rules=spec.rules,
        feature=feature,
    )


# Gateway SKUs that FastPath runs on ("Gateways", https://learn.microsoft.com/azure/expressroute/about-fastpath):
# on any other SKU the connection's `expressRouteGatewayBypass` has no effect (ERC005 reports it).
FASTPATH_SKUS = frozenset({"ultraperformance", "ergw3az", "ergwscale"})


def fastpath_bypass(snapshot: Snapshot, conn: Connection, to_hub: bool) -> bool:
    """Whether on-premises traffic arriving over this connection skips the gateway on its data
    path ("About ExpressRoute FastPath", https://learn.microsoft.com/azure/expressroute/about-fastpath):
    FastPath enabled on the connection (`expressRouteGatewayBypass`), a gateway SKU it runs on, and
    a destination in the hub VNet (every circuit) or in a peered VNet (ExpressRoute Direct only;
    over a provider circuit that traffic still goes through the gateway). The gateway still
    exchanges the routes; traffic from Azure to on-premises always goes through it."""
    if not conn.is_expressroute or not conn.express_route_gateway_bypass or conn.peer_id is None:
        return False
    gateway = snapshot.gateway(conn.gateway1_id)
    if gateway is None or (gateway.sku_name or "").lower() not in FASTPATH_SKUS:
        return False
    if to_hub:
        return True
    circuit = snapshot.circuit(conn.peer_id)
    return circuit is not None and circuit.express_route_port_id is not None


def _open_fastpath(snapshot: Snapshot, conn: Connection) -> str | None:
    """Why FastPath on this connection leaves the data path open, or None. FastPath sends
    on-premises traffic to the hub VNet past the gateway on every circuit; user-defined routes
    over FastPath (and peered VNets) are documented for ExpressRoute Direct only. On a provider
    circuit whose hub has routes on its GatewaySubnet, whether those routes still apply is not
    documented: that is the gap. Elsewhere the walk is unchanged (traffic through the gateway,
    or past it to the same subnets' routes)."""
    if not conn.is_expressroute or not conn.express_route_gateway_bypass or conn.peer_id is None:
        return None
    gateway = snapshot.gateway(conn.gateway1_id)
    circuit = snapshot.circuit(conn.peer_id)
    if gateway is None or (gateway.sku_name or "").lower() not in FASTPATH_SKUS or gateway.vnet_id is None:
        return None
    if circuit is None or circuit.express_route_port_id is not None:
        return None  # outside the snapshot (a coverage gap of its own), or ExpressRoute Direct
    routes = [
        route
        for subnet in snapshot.subnets_of(gateway.vnet_id)
        if subnet.is_gateway_subnet and subnet.route_table_id is not None
        for route in snapshot.routes_of(subnet.route_table_id)
    ]
    if not routes:
        return None
    return (
        f"connection {conn.id.name} runs FastPath over provider circuit {circuit.id.name}, and the "
        f"GatewaySubnet of {gateway.vnet_id.name} has {len(routes)} user-defined route(s)"
    )


def unmodelled_gaps(snapshot: Snapshot) -> list[CoverageGap]:
    gaps: list[CoverageGap] = []
    for conn in snapshot.virtual_hub_bgp_connections:
        gaps.append(
            _gap(
                "route-server-peer",
                str(conn.id),
                f"Route Server {conn.hub_id.name} peers with {conn.peer_ip or '?'} (ASN {conn.peer_asn})",
            )
        )
    listed = {c.id for c in snapshot.virtual_hub_bgp_connections}
    for hub in snapshot.virtual_hubs:
        if hub.virtual_wan_id is not None:
            gaps.append(
                _gap("virtual-wan", str(hub.id), f"virtual hub {hub.id.name} of {hub.virtual_wan_id.name}")
            )
            continue
        for rid in hub.bgp_connection_ids:
            if rid not in listed:
                detail = f"Route Server {hub.id.name} has BGP peer {rid.name}"
                gaps.append(_gap("route-server-peer", str(rid), detail))
    for gw in snapshot.gateways:
        if gw.gateway_default_site_id is not None:
            gaps.append(
                _gap(
                    "gateway-default-site",
                    str(gw.id),
                    f"{gw.id.name} forces Internet-bound traffic to {gw.gateway_default_site_id.name}",
                )
            )
        if gw.p2s_address_pool:
            pool = ", ".join(str(p) for p in gw.p2s_address_pool)
            gaps.append(
                _gap("p2s-address-pool", str(gw.id), f"{gw.id.name} serves point-to-site clients ({pool})")
            )
        if gw.nat_rules:
            gaps.append(_gap("vpn-nat-rule", str(gw.id), f"{gw.id.name} has {gw.nat_rules} NAT rule(s)"))
    for link in snapshot.connections:
        fastpath = _open_fastpath(snapshot, link)
        if fastpath is not None:
            gaps.append(_gap("expressroute-fastpath", str(link.id), fastpath))
        if link.ingress_nat_rules or link.egress_nat_rules:
            gaps.append(_gap("vpn-nat-rule", str(link.id), f"connection {link.id.name} applies NAT rules"))
        if link.traffic_selector_policies:
            gaps.append(
                _gap(
                    "vpn-traffic-selector",
                    str(link.id),
                    f"connection {link.id.name} has custom traffic selectors",
                )
            )
    for lng in ipv6_over_vpn(snapshot):
        detail = f"local network gateway {lng.id.name} (or its site) has IPv6 prefixes"
        gaps.append(_gap("ipv6-over-vpn", str(lng.id), detail))
    for route in snapshot.routes:
        if route.prefix is None:
            gaps.append(
                _gap(
                    "service-tag-route",
                    str(route.id),
                    f"route {route.id.name} sends service tag {route.address_prefix} to {route.next_hop_type}",
                )
            )
    for peering in snapshot.peerings:
        if peering.peer_complete_vnets is False:
            gaps.append(
                _gap(
                    "subnet-peering",
                    str(peering.id),
                    f"peering {peering.id.name} peers selected subnets only",
                )
            )
    for type_path, count in snapshot.skipped_types.items():
        feature = UNMODELLED_TYPES.get(type_path)
        if feature is not None:
            gaps.append(_gap(feature, type_path, f"{count} resource(s) of type {type_path}"))
    return gaps


def ipv6_over_vpn(snapshot: Snapshot) -> list[LocalNetworkGateway]:
    """The local network gateways carrying IPv6 over a site-to-site VPN (their own prefixes or
    their site's): the `ipv6-over-vpn` gap's resources; IPv6 routes over their connections are not
    judged (paths through them are unknown, dual-path rules leave their IPv6 prefixes out)."""
    site_v6 = {g for v in site_views(snapshot) if any(p.version == 6 for p in v.prefixes) for g in v.lng_ids}
    return [
        lng
        for lng in snapshot.local_network_gateways
        if any(p.version == 6 for p in lng.address_prefixes or ()) or lng.id in site_v6
    ]


# Resource types that show a Virtual WAN in the snapshot even when its hubs are not collected.
VWAN_TYPES = tuple(kind.type_path for kind in kinds.ALL if kind.shows_virtual_wan)


def lng_stands_for(snapshot: Snapshot, lng: LocalNetworkGateway) -> tuple[str, str] | None:
    """What in Azure a local network gateway stands for, by its BGP peer address:
    ("gateway", name): an Azure VPN gateway of the snapshot with ASN 65515;
    ("virtual-hub", hub id): a collected Virtual WAN hub whose address space holds the address (the
    "Connect a virtual network gateway to Virtual WAN" design);
    ("virtual-wan", peer address): the LNG uses ASN 65515 and the snapshot shows a Virtual WAN whose
    hub is not collected: it may stand for that hub's gateway; None: nothing in Azure."""
    peers = lng.bgp_settings.addresses if lng.bgp_settings else ()
    for g in snapshot.gateways:
        azure = g.is_vpn and (g.asn or AZURE_ASN) == AZURE_ASN and g.bgp_settings
        if azure and g.bgp_settings and any(p in g.bgp_settings.addresses for p in peers):
            return ("gateway", g.id.name)
    hubs = [h for h in snapshot.virtual_hubs if h.virtual_wan_id is not None]
    for peer in peers:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            continue
        for hub in hubs:
            if hub.address_prefix is not None and address in hub.address_prefix:
                return ("virtual-hub", str(hub.id))
    vwan = bool(hubs) or any(t in snapshot.skipped_types for t in VWAN_TYPES)
    if vwan and lng.asn == AZURE_ASN:
        return ("virtual-wan", peers[0] if peers else "?")
    return None


def _virtual_wan_links(snapshot: Snapshot, gap: CoverageGap) -> set[str]:
    """The local network gateways that stand for the gap's Virtual WAN hub (or, for a gap on a
    Virtual WAN type whose hubs are not collected, for a hub that may be one), and the connections
    to them: paths through them end in Virtual WAN."""
    found: set[str] = set()
    for lng in snapshot.local_network_gateways:
        stands = lng_stands_for(snapshot, lng)
        if stands is None or stands[0] == "gateway":
            continue
        if stands[0] == "virtual-hub" and stands[1].lower() != gap.resource.lower():
            continue
        found.add(lng.id.key)
        found |= {c.id.key for c in snapshot.connections if c.local_network_gateway_id == lng.id}
    return found


def uncertain_resources(snapshot: Snapshot, gaps: list[CoverageGap]) -> set[str]:
    """Resource ids (lower case) whose routing an unmodelled feature can change, for `paths`."""
    found: set[str] = set()
    for gap in gaps:
        if gap.kind != "unmodelled" or gap.feature is None or not FEATURES[gap.feature].affects_paths:
            continue
        found.add(gap.resource.lower())
        if gap.feature == "ipv6-over-vpn":  # the connections to the local network gateway carry it
            found |= {
                c.id.key for c in snapshot.connections if c.local_network_gateway_id == ArmId(gap.resource)
            }
        if gap.feature == "virtual-wan":
            found |= _virtual_wan_links(snapshot, gap)
        if gap.feature == "route-server-peer":
            try:
                hub = ArmId(gap.resource).parent
            except ValueError:
                continue
            for conf in snapshot.virtual_hub_ip_configurations:
                if (
                    hub is not None
                    and conf.hub_id == hub
                    and conf.subnet_id is not None
                    and conf.subnet_id.parent
                ):
                    found.add(conf.subnet_id.parent.key)
    return found


__all__ = [
    "FEATURES",
    "UNMODELLED_TYPES",
    "VWAN_TYPES",
    "Feature",
    "ipv6_over_vpn",
    "lng_stands_for",
    "uncertain_resources",
    "unmodelled_gaps",
]
