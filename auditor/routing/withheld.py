"""Routes the control plane withholds, and why: what a walk that finds no route names as its cause.

A constraint that decides which routes exist (a spoke using remote gateways whose hub does not
allow gateway transit, a circuit the provider has not provisioned, ...) leaves a vantage point
without a route; a walk from there ends with "no route". The control plane records, once, the
routes a vantage point would hold but for one resource, with the constraint that withholds them;
the walk that finds no route (or only a route that delivers nowhere: `Internet`, `None`) for an
address asks here and names that resource, so the rule reporting it lists the walked pairs it
breaks (`evidence.pairs`) like the rules whose resource ends a walk on the data path.

Recorded, each for the vantage points the documentation settles:

* `no-gateway-transit` (TRN001): a VNet whose peering uses the remote VNet's gateways while the
  remote's peering back is missing, not Connected or does not allow gateway transit gets none of
  the routes the remote's gateways hold; the sites that reach the remote's gateways get no route
  to that VNet. Cause: the VNet's peering.
* `no-transit-basic-gateway` (TRN007): the hub offers transit through a Basic VPN gateway only,
  which does not support it: as above. Cause: the hub's peering offering transit.
* `remote-gateway-missing` (TRN003): the remote VNet has no working gateway: the VNet gets no
  route to any on-premises prefix. Cause: the VNet's peering.
* `bgp-unsupported` (BGP007): a VPN gateway expected to run BGP on a Basic SKU or as policy-based
  runs none: its BGP neighbours (the sites it links over BGP, the domains it links Vnet2Vnet)
  learn nothing through it, but the domains' static Vnet2Vnet routes to each other. Cause: the
  gateway.
* `bgp-one-sided` (BGP004): a connection with BGP on one side only has no session: the domain
  gets only the local network gateway's static space, and a site that expects BGP gets nothing.
  Cause: the connection.
* `bgp-apipa-unmatched` (BGP008): the on-premises BGP peer is on an APIPA address and the gateway
  has no Azure APIPA BGP address (`domains.apipa_unmatched`): no session comes up; as
  `bgp-one-sided`. Cause: the connection.
* `no-branch-to-branch` (BGP006): a Route Server allows branch-to-branch but the VPN gateway
  cannot use it (ASN not 65515, or not active-active): the domain's ExpressRoute sites and its
  VPN sites get no routes to each other. Cause: the Route Server.
* `circuit-not-ready` (ERC001): a gateway's connection to a circuit that is not `Provisioned`,
  whose private peering is disabled, or whose status is known and not `Connected` carries
  nothing: the domain's VNets get none of the routes of the sites behind the circuit, and those
  sites none of the domain's. Cause: the circuit, its private peering or the connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.ids import ArmId
from auditor.model import Connection, IPNetwork, Snapshot, VirtualNetworkGateway
from auditor.routing.domains import Domain, apipa_unmatched
from auditor.routing.prefixindex import Address, PrefixIndex

if TYPE_CHECKING:
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.sites import SiteView

NO_GATEWAY_TRANSIT = "no-gateway-transit"  # TRN001 (cause: the spoke's peering)
REMOTE_GATEWAY_MISSING = "remote-gateway-missing"  # TRN003 (cause: the spoke's peering)
NO_TRANSIT_BASIC = "no-transit-basic-gateway"  # TRN007 (cause: the hub's peering offering transit)
CIRCUIT_NOT_READY = "circuit-not-ready"  # ERC001 (cause: the circuit, its private peering or connection)
BGP_ONE_SIDED = "bgp-one-sided"  # BGP004 (cause: the connection)
BGP_APIPA = "bgp-apipa-unmatched"  # BGP008 (cause: the connection)
BGP_UNSUPPORTED = "bgp-unsupported"  # BGP007 (cause: the VPN gateway)
NO_BRANCH_TO_BRANCH = "no-branch-to-branch"  # BGP006 (cause: the Route Server)
WITHHELD_CONSTRAINTS = (
    NO_GATEWAY_TRANSIT,
    REMOTE_GATEWAY_MISSING,
    NO_TRANSIT_BASIC,
    CIRCUIT_NOT_READY,
    BGP_ONE_SIDED,
    BGP_APIPA,
    BGP_UNSUPPORTED,
    NO_BRANCH_TO_BRANCH,
)


@dataclass(frozen=True, slots=True)
class Withheld:
    """A route a vantage point would hold but for `cause`."""

    prefix: IPNetwork
    cause: str  # the ARM id of the resource that withholds it
    constraint: str
    reason: str


@dataclass
class WithheldRoutes:
    """Per vantage point (a VNet by id, a site by name): the routes withheld from it."""

    vnets: dict[ArmId, list[Withheld]] = field(default_factory=dict)
    sites: dict[str, list[Withheld]] = field(default_factory=dict)
    _index: dict[object, PrefixIndex[Withheld]] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.vnets or self.sites)

    def at_vnet(self, vnet_id: ArmId, address: Address) -> Withheld | None:
        return self._longest(("vnet", vnet_id), self.vnets.get(vnet_id), address)

    def at_site(self, name: str, address: Address) -> Withheld | None:
        return self._longest(("site", name), self.sites.get(name), address)

    def _longest(self, key: object, rows: list[Withheld] | None, address: Address) -> Withheld | None:
        if not rows:
            return None
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = PrefixIndex(rows, lambda w: w.prefix)
        found = index.longest(address)
        return min(found, key=lambda w: (w.cause.lower(), w.constraint)) if found else None


def withheld_routes(plane: ControlPlane) -> WithheldRoutes:
    out = WithheldRoutes()
    _gateway_transit(plane, out)
    _circuits(plane, out)
    _bgp_sessions(plane, out)
    _branch_to_branch(plane, out)
    return out


def _gateway_transit(plane: ControlPlane, out: WithheldRoutes) -> None:
    snap = plane.snapshot
    site_prefixes = [p for site in plane.sites for p in site.prefixes]
    for peering in snap.peerings:
        spoke = snap.vnet(peering.vnet_id)
        hub = snap.vnet(peering.remote_vnet_id)
        if not peering.use_remote_gateways or spoke is None or hub is None:
            continue  # a remote outside the snapshot is a gap (TRN001, TRN003 say so)
        if spoke.id in plane.domain_of_vnet:
            continue
        if not _working_gateways(snap, hub.id):
            why = (
                f"{spoke.display_name} uses the gateways of {hub.display_name} (peering {peering.id.name}), "
                f"which has no working gateway: it learns no on-premises route"
            )
            _add(out.vnets, spoke.id, site_prefixes, str(peering.id), REMOTE_GATEWAY_MISSING, why)
            continue
        domain = plane.domains.get(hub.id)
        if domain is None:
            continue
        back = snap.peering_between(hub.id, spoke.id)
        if back is not None and back.allow_gateway_transit is True and back.connected:
            vpn = domain.vpn_gateway
            if domain.er_gateway is not None or vpn is None or (vpn.sku_name or "").lower() != "basic":
                continue  # transit holds both ways: another reason keeps the spoke out (TRN005, TRN006)
            # "Gateway transit doesn't support the Basic SKU" (TRN007, on the hub's peering)
            why = (
                f"{hub.display_name} offers gateway transit ({back.id.name}) through Basic VPN gateway "
                f"{vpn.id.name}, which does not support it: {spoke.display_name} has no gateway transit"
            )
            cause, constraint = str(back.id), NO_TRANSIT_BASIC
        else:
            problem = (
                f"{hub.display_name} has no peering back"
                if back is None
                else f"{hub.display_name}'s peering {back.id.name} does not allow gateway transit"
                if back.allow_gateway_transit is not True
                else f"{hub.display_name}'s peering {back.id.name} is {back.peering_state}"
            )
            why = (
                f"{spoke.display_name}'s peering {peering.id.name} uses remote gateways, but {problem}: "
                f"no gateway transit"
            )
            cause, constraint = str(peering.id), NO_GATEWAY_TRANSIT
        # the spoke gets none of the hub domain's routes; the sites reaching the hub's gateways and
        # the VNets of the domains linked to them Vnet2Vnet get no route to the spoke
        learned = [a.prefix for a in plane.domain_rib[hub.id] if not a.bgp_peer_host]
        _add(out.vnets, spoke.id, learned, cause, constraint, why)
        towards = {
            name for prefix in hub.address_prefixes for name in plane.sites_towards(prefix.network_address)
        }
        for name in sorted(towards):
            _add(out.sites, name, spoke.address_prefixes, cause, constraint, why)
        for _, other in domain.v2v_links:
            for vnet_id in plane.domains[other].vnets:
                _add(out.vnets, vnet_id, spoke.address_prefixes, cause, constraint, why)


def _working_gateways(snap: Snapshot, vnet_id: ArmId) -> bool:
    return any((g.is_vpn or g.is_expressroute) and g.working for g in snap.gateways_of(vnet_id))


def _circuits(plane: ControlPlane, out: WithheldRoutes) -> None:
    snap = plane.snapshot
    for domain in plane.domains.values():
        if domain.er_gateway is None:
            continue
        linked = {conn.id for conn, _ in domain.er_links}
        for conn in snap.connections_of(domain.er_gateway.id):
            if not conn.is_expressroute or conn.peer_id is None or conn.id in linked:
                continue
            cause = _circuit_cause(snap, conn)
            if cause is None:
                continue
            rid, why = cause
            sites = plane.sites_behind(conn.peer_id)
            for vnet_id in domain.vnets:
                rows = [
                    Withheld(p, rid, CIRCUIT_NOT_READY, why)
                    for site in sites
                    for p in site.advertised(conn.peer_id)
                ]
                out.vnets.setdefault(vnet_id, []).extend(rows)
            for site in sites:
                rows = [Withheld(p, rid, CIRCUIT_NOT_READY, why) for p in domain.prefixes]
                out.sites.setdefault(site.name, []).extend(rows)


def _bgp_sessions(plane: ControlPlane, out: WithheldRoutes) -> None:
    for hub, domain in plane.domains.items():
        gateway = domain.vpn_gateway
        if gateway is None:
            continue
        bgp_links = [
            (conn, site)
            for conn, lng in domain.vpn_links
            if conn.enable_bgp
            and lng.bgp_settings is not None
            and (site := plane.site_of_lng(lng.id)) is not None
        ]
        if _unsupported_kind(gateway) and (gateway.enable_bgp or bgp_links):
            why = (
                f"VPN gateway {gateway.id.name} ({gateway.sku_name}, {gateway.vpn_type}) runs no BGP: "
                f"nothing is learned or passed on through it"
            )
            # the neighbours it would speak BGP with: its BGP sites and the domains it links Vnet2Vnet
            # (those keep their static routes to each other)
            sites = [site for _, site in bgp_links]
            domains = [hub, *(other for conn, other in domain.v2v_links if conn.enable_bgp)]
            for site in sites:
                rows = [p for other in sites if other is not site for p in other.prefixes]
                rows += [p for d in domains for p in plane.domains[d].prefixes]
                _add(out.sites, site.name, rows, str(gateway.id), BGP_UNSUPPORTED, why)
            for d in domains:
                rows = [p for site in sites for p in site.prefixes]
                for vnet_id in plane.domains[d].vnets:
                    _add(out.vnets, vnet_id, rows, str(gateway.id), BGP_UNSUPPORTED, why)
            continue
        for conn, lng in domain.vpn_links:
            site = plane.site_of_lng(lng.id)
            if site is None:
                continue
            problem = (
                f"gateway {gateway.id.name} has BGP disabled"
                if conn.enable_bgp and gateway.enable_bgp is False
                else f"local network gateway {lng.id.name} has no BGP settings"
                if conn.enable_bgp and lng.bgp_settings is None
                else f"local network gateway {lng.id.name} expects BGP but the connection has it off"
                if conn.enable_bgp is False and lng.bgp_settings is not None and lng.asn is not None
                else None
            )
            constraint = BGP_ONE_SIDED
            if problem is None and conn.enable_bgp and gateway.runs_bgp:
                problem, constraint = apipa_unmatched(gateway, lng), BGP_APIPA
            if problem is None:
                continue
            why = f"connection {conn.id.name}: {problem}: no BGP session"
            # the domain and the domains it passes BGP routes to over Vnet2Vnet learn none of the
            # site's routes but the local network gateway's static space
            neighbours = [hub, *(other for v2v, other in domain.v2v_links if v2v.enable_bgp)]
            for vnet_id in (v for d in neighbours for v in plane.domains[d].vnets):
                _add(out.vnets, vnet_id, site.advertised(conn.id), str(conn.id), constraint, why)
            if conn.enable_bgp and lng.bgp_settings is not None:  # the site expects BGP: nothing static
                _add(out.sites, site.name, domain.prefixes, str(conn.id), constraint, why)


def _unsupported_kind(gateway: VirtualNetworkGateway) -> bool:
    """A Basic or policy-based VPN gateway: it runs no BGP (`runs_bgp`, BGP007)."""
    return (gateway.sku_name or "").lower() == "basic" or (gateway.vpn_type or "").lower() == "policybased"


def _branch_to_branch(plane: ControlPlane, out: WithheldRoutes) -> None:
    snap = plane.snapshot
    for hub, domain in plane.domains.items():
        servers = [rs for rs in snap.route_servers_of(hub) if rs.allow_branch_to_branch_traffic]
        if not servers or domain.branch_to_branch or domain.vpn_gateway is None or not domain.er_links:
            continue
        gateway = domain.vpn_gateway
        why = (
            f"Route Server {servers[0].id.name} allows branch-to-branch, but VPN gateway {gateway.id.name} "
            f"cannot use it (ASN {gateway.asn}, active-active {bool(gateway.active_active)}): ExpressRoute and "
            f"VPN routes are not exchanged"
        )
        er_sites, vpn_sites = er_only_and_vpn_sites(plane, domain)
        for here, there in ((er_sites, vpn_sites), (vpn_sites, er_sites)):
            rows = [p for site in there for p in site.prefixes]
            for site in here:
                _add(out.sites, site.name, rows, str(servers[0].id), NO_BRANCH_TO_BRANCH, why)


def er_only_and_vpn_sites(plane: ControlPlane, domain: Domain) -> tuple[list[SiteView], list[SiteView]]:
    """The sites a gateway domain reaches only over its ExpressRoute circuits, and those it reaches
    over its VPN connections (a site on both is on this side: it learns an ExpressRoute-only site's
    routes only over its VPN): without Route Server branch-to-branch, neither side learns the other's
    routes through the hub (BGP006 and ERC007 ask this)."""
    # by name (a site's name is its identity in the plane): hashing or comparing the views
    # themselves would walk every prefix of every datacenter
    er_sites = {site.name: site for _, circuit in domain.er_links for site in plane.sites_behind(circuit)}
    vpn_sites = {s.name: s for _, lng in domain.vpn_links if (s := plane.site_of_lng(lng.id)) is not None}
    er_only = [site for name, site in er_sites.items() if name not in vpn_sites]
    return er_only, list(vpn_sites.values())


def _add(
    table: dict[Any, list[Withheld]],
    key: Any,
    prefixes: Iterable[IPNetwork],
    cause: str,
    constraint: str,
    why: str,
) -> None:
    table.setdefault(key, []).extend(Withheld(p, cause, constraint, why) for p in dict.fromkeys(prefixes))


def _circuit_cause(snap: Snapshot, conn: Connection) -> tuple[str, str] | None:
    """What keeps an ExpressRoute connection from carrying anything, as ERC001 reports it: the
    circuit not provisioned, its private peering disabled, or the connection's status known and
    not Connected."""
    circuit = snap.circuit(conn.peer_id) if conn.peer_id is not None else None
    if circuit is None:
        return None  # outside the snapshot: a gap
    if not circuit.provisioned:
        state = circuit.service_provider_provisioning_state
        return str(circuit.id), f"circuit {circuit.id.name} is {state} at the provider: it carries nothing"
    peering = snap.private_peering(circuit.id)
    if peering is not None and not peering.enabled:
        return str(
            peering.id
        ), f"circuit {circuit.id.name}'s private peering is {peering.state}: it carries nothing"
    status = conn.connection_status
    if not conn.up and status is not None and status.lower() != "connected":
        return str(conn.id), f"ExpressRoute connection {conn.id.name} is {status}: it carries nothing"
    return None


__all__ = [
    "BGP_APIPA",
    "BGP_ONE_SIDED",
    "BGP_UNSUPPORTED",
    "CIRCUIT_NOT_READY",
    "NO_BRANCH_TO_BRANCH",
    "NO_GATEWAY_TRANSIT",
    "NO_TRANSIT_BASIC",
    "REMOTE_GATEWAY_MISSING",
    "WITHHELD_CONSTRAINTS",
    "Withheld",
    "WithheldRoutes",
    "withheld_routes",
]
