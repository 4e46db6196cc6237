"""Gateway domains: which VNets share which gateways, and what links each domain has.

A *gateway domain* is a VNet with working VPN and/or ExpressRoute gateways plus the spokes that
use them (`useRemoteGateways` on the spoke, `allowGatewayTransit` on the hub, both peerings
Connected). It advertises the address spaces of all its VNets, or `summarizedGatewayPrefixes`.
Coexisting ExpressRoute and VPN gateways share one routing table. Its links: ExpressRoute
connections to usable circuits, IPsec connections to local network gateways, Vnet2Vnet
connections to other domains (either side's definition counts: the tunnel is one).

The state of a circuit's links is read here too: a circuit is usable when it is provisioned and
its private peering enabled; a device path carries routes while its customer BGP session is up.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import cached_property

from auditor.ids import ArmId
from auditor.model import (
    Connection,
    ExpressRouteCircuitPeering,
    IPNetwork,
    LocalNetworkGateway,
    Operation,
    Snapshot,
    VirtualNetwork,
    VirtualNetworkGateway,
    VirtualNetworkPeering,
)
from auditor.routing.prefixindex import PrefixIndex

AZURE_ASN = 65515
DEVICE_PATHS = ("primary", "secondary")


@dataclass
class Domain:
    hub: VirtualNetwork
    vnets: list[ArmId]
    er_gateway: VirtualNetworkGateway | None
    vpn_gateway: VirtualNetworkGateway | None
    prefixes: tuple[IPNetwork, ...]  # what it advertises
    local_prefixes: tuple[IPNetwork, ...]  # address spaces of its VNets
    er_links: list[tuple[Connection, ArmId]] = field(default_factory=list)  # (connection, circuit)
    vpn_links: list[tuple[Connection, LocalNetworkGateway]] = field(default_factory=list)
    v2v_links: list[tuple[Connection, ArmId]] = field(default_factory=list)  # (connection, other hub)
    branch_to_branch: bool = False

    @property
    def name(self) -> str:
        return self.hub.display_name

    @property
    def asn(self) -> int:
        if self.vpn_gateway is not None and self.vpn_gateway.asn is not None:
            return self.vpn_gateway.asn
        return AZURE_ASN

    @cached_property
    def _local_index(self) -> PrefixIndex[IPNetwork]:
        return PrefixIndex(self.local_prefixes, lambda p: p)

    def is_local(self, prefix: IPNetwork) -> bool:
        """The prefix equals or lies inside one of the domain's VNet address spaces."""
        return self._local_index.covers(prefix)


def udr_gateway(domain: Domain | None) -> tuple[VirtualNetworkGateway | None, str]:
    """The gateway a user-defined route with next hop `VirtualNetworkGateway` sends traffic to, in a
    VNet of `domain` (None: no gateway serves the VNet), or None and why the route is invalid (its
    traffic dropped): the next hop can only be a VPN gateway, and not while an ExpressRoute gateway
    coexists with it (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview,
    "Virtual network gateway")."""
    if domain is None:
        return (
            None,
            "no virtual network gateway serves the VNet (its own, or its hub's through gateway transit)",
        )
    if domain.er_gateway is not None:
        if domain.vpn_gateway is not None:
            return None, f"ExpressRoute and VPN gateways coexist in {domain.name}"
        return None, f"{domain.name} has only an ExpressRoute gateway"
    if domain.vpn_gateway is None:
        return None, f"{domain.name} has no VPN gateway"
    return domain.vpn_gateway, ""


def gateway_domains(snapshot: Snapshot) -> dict[ArmId, Domain]:
    """Every gateway domain of the snapshot, by hub VNet id, with its links."""
    snap = snapshot
    using_remote: dict[ArmId, list[VirtualNetworkPeering]] = {}  # hub id -> peerings using its gateways
    for peering in snap.peerings:
        if peering.use_remote_gateways and peering.connected:
            using_remote.setdefault(peering.remote_vnet_id, []).append(peering)
    domains: dict[ArmId, Domain] = {}
    for vnet in snap.vnets:
        gws = [g for g in snap.gateways_of(vnet.id) if g.working]
        er = next((g for g in gws if g.is_expressroute), None)
        vpn = next((g for g in gws if g.is_vpn), None)
        if er is None and vpn is None:
            continue
        members = [vnet.id]
        # "Gateway transit doesn't support the Basic SKU": a hub whose only gateway is a
        # Basic VPN gateway offers its spokes nothing (TRN007 reports the configuration).
        transit = er is not None or (vpn is not None and (vpn.sku_name or "").lower() != "basic")
        for peering in using_remote.get(vnet.id, []) if transit else ():
            back = snap.peering_between(vnet.id, peering.vnet_id)
            spoke = snap.vnet(peering.vnet_id)
            if (
                back is not None
                and back.allow_gateway_transit
                and back.connected
                and spoke is not None
                and not any(g.is_vpn or g.is_expressroute for g in snap.gateways_of(spoke.id))
            ):
                members.append(spoke.id)
        local = tuple(p for m in members for p in (snap.vnet(m) or vnet).address_prefixes)
        advertised = vnet.summarized_gateway_prefixes or local
        domains[vnet.id] = Domain(vnet, members, er, vpn, tuple(advertised), local)
    far_side: dict[ArmId, list[Connection]] = {}  # gateway id -> Vnet2Vnet connections naming it second
    for conn in snap.connections:
        if conn.is_vnet2vnet and conn.gateway2_id is not None:
            far_side.setdefault(conn.gateway2_id, []).append(conn)
    for domain in domains.values():
        _links(snap, domain, domains, far_side)
    return domains


def _links(
    snap: Snapshot, domain: Domain, domains: dict[ArmId, Domain], far_side: dict[ArmId, list[Connection]]
) -> None:
    if domain.er_gateway is not None:
        for conn in snap.connections_of(domain.er_gateway.id):
            if (
                conn.up
                and conn.is_expressroute
                and conn.peer_id is not None
                and circuit_usable(snap, conn.peer_id)
            ):
                domain.er_links.append((conn, conn.peer_id))
    if domain.vpn_gateway is not None:
        for conn in snap.connections_of(domain.vpn_gateway.id):
            if not conn.up:
                continue
            if conn.is_ipsec and conn.local_network_gateway_id is not None:
                lng = snap.local_network_gateway(conn.local_network_gateway_id)
                if lng is not None:
                    domain.vpn_links.append((conn, lng))
            elif conn.is_vnet2vnet and conn.gateway2_id is not None:
                other = snap.gateway(conn.gateway2_id)
                if other is not None and other.working and other.vnet_id in domains:
                    domain.v2v_links.append((conn, other.vnet_id))
        # the tunnel is one: a Vnet2Vnet connection defined only on the far side counts too
        for conn in far_side.get(domain.vpn_gateway.id, []):
            if conn.up:
                far = snap.gateway(conn.gateway1_id)
                known = far is not None and any(other == far.vnet_id for _, other in domain.v2v_links)
                if far is not None and far.working and far.vnet_id in domains and not known:
                    domain.v2v_links.append((conn, far.vnet_id))
    servers = snap.route_servers_of(domain.hub.id)
    vpn = domain.vpn_gateway
    domain.branch_to_branch = (
        any(rs.allow_branch_to_branch_traffic for rs in servers)
        and vpn is not None
        and vpn.asn == AZURE_ASN
        and bool(vpn.active_active)
    )


def circuit_usable(snapshot: Snapshot, circuit_id: ArmId) -> bool:
    """The circuit is provisioned and its private peering enabled."""
    circuit = snapshot.circuit(circuit_id)
    peering = snapshot.private_peering(circuit_id)
    return circuit is not None and circuit.provisioned and peering is not None and peering.enabled


def carries_ipv6(snapshot: Snapshot, circuit_id: ArmId) -> bool:
    peering = snapshot.private_peering(circuit_id)
    return peering is not None and peering.carries_ipv6


def customer_paths(snapshot: Snapshot, circuit_id: ArmId) -> tuple[str, ...]:
    """Device paths whose BGP session with the customer edge is up."""
    peering = snapshot.private_peering(circuit_id)
    if peering is None or not circuit_usable(snapshot, circuit_id):
        return ()
    return tuple(p for p in DEVICE_PATHS if session_up(snapshot, peering, p))


def session_up(snapshot: Snapshot, peering: ExpressRouteCircuitPeering, path: str) -> bool:
    """The customer-side BGP session of a device path: down when an observed summary says so,
    absent when the secondary link is not configured, otherwise assumed up."""
    if (
        path == "secondary"
        and peering.secondary_peer_address_prefix is None
        and peering.primary_peer_address_prefix
    ):
        return False
    for table in snapshot.circuit_tables:
        if (
            table.peering_id == peering.id
            and table.operation is Operation.ROUTE_TABLES_SUMMARY
            and table.device_path.lower() == path
            and table.summary
        ):
            return any(row.established for row in table.summary)
    return True


APIPA = ipaddress.ip_network("169.254.0.0/16")
AZURE_APIPA = (ipaddress.ip_network("169.254.21.0/24"), ipaddress.ip_network("169.254.22.0/24"))


def _addresses(texts: tuple[str, ...]) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found = []
    for text in texts:
        try:
            found.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    return found


def apipa_unmatched(gateway: VirtualNetworkGateway, lng: LocalNetworkGateway) -> str | None:
    """Why a BGP session with an on-premises peer on an APIPA address cannot come up, or None: the
    Azure VPN gateway peers with an APIPA neighbour only from an Azure APIPA BGP address it is given
    (`bgpSettings.bgpPeeringAddresses[].customBgpIpAddresses`, in 169.254.21.0-169.254.22.255);
    its default BGP address lies in the GatewaySubnet
    (https://learn.microsoft.com/azure/vpn-gateway/bgp-howto, "APIPA")."""
    if lng.bgp_settings is None:
        return None
    peers = [a for a in _addresses(lng.bgp_settings.addresses) if a.version == 4 and a in APIPA]
    if not peers:
        return None
    custom = gateway.bgp_settings.bgp_peering_addresses if gateway.bgp_settings is not None else ()
    azure = _addresses(tuple(a for entry in custom for a in entry.custom_bgp_ip_addresses))
    if any(a.version == 4 and any(a in n for n in AZURE_APIPA) for a in azure):
        return None
    return (
        f"local network gateway {lng.id.name} peers BGP from the APIPA address {peers[0]}, but gateway "
        f"{gateway.id.name} has no Azure APIPA BGP address (a custom BGP address in Azure's APIPA range)"
    )
