"""`Snapshot`: everything one audit knows, with the lookups rules need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal, TypeVar, cast

from pydantic import ConfigDict, Field, PrivateAttr

from auditor.ids import ArmId
from auditor.model.base import Asn, Frozen, IPNetwork, Prefix
from auditor.model.kinds import MODELLED
from auditor.model.observations import (
    BgpPeerStatusTable,
    CircuitTable,
    EffectiveRouteTable,
    GatewayRouteTable,
    ObservationGap,
)
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

FIXTURE_FORMAT = "azroute-fixture/1"
OVERLAY_FORMAT = "azroute-overlay/1"
T = TypeVar("T")


class LinkKind(StrEnum):
    EXPRESSROUTE = "ExpressRoute"
    VPN = "Vpn"


class Strict(Frozen):
    """Hand-written parts of a fixture: an unknown key is a typo, never silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SiteLink(Strict):
    """How a site's router treats one of its links (a circuit or a VPN connection)."""

    circuit: str | None = Field(None, description="An ExpressRoute circuit (name or ARM id).")
    connection: str | None = Field(None, description="A VPN connection (name or ARM id).")
    as_path_prepend: int = Field(
        0,
        alias="asPathPrepend",
        ge=0,
        le=10,
        strict=True,
        description="Extra copies of the site's ASN it prepends.",
    )
    prefixes: tuple[Prefix, ...] | None = Field(
        None, description="What the site advertises over this link (default: all its prefixes)."
    )
    local_preference: int | None = Field(
        None,
        alias="localPreference",
        ge=0,
        le=4294967295,
        strict=True,
        description="The site's local-preference for routes received over this link (higher wins; 100 default).",
    )


class Site(Strict):
    """An on-premises site: what ARM cannot describe (its prefixes, its own routing policy)."""

    name: str
    asn: Asn | None = None
    prefixes: tuple[Prefix, ...] = ()
    prefer: tuple[LinkKind, ...] | None = Field(
        None, description="Preference order for traffic from the site towards Azure (local-preference)."
    )
    circuits: tuple[str, ...] | None = Field(
        None, description="Circuits (names or ids) that reach this site; inferred from peerASN when absent."
    )
    local_network_gateways: tuple[str, ...] | None = Field(
        None,
        alias="localNetworkGateways",
        description="Local network gateways (names or ids) of this site; inferred from BGP ASN when absent.",
    )
    links: tuple[SiteLink, ...] | None = Field(
        None, description="Per-link routing policy (AS-path prepending, prefixes, local-preference)."
    )
    description: str | None = None


class CollectionGap(Strict):
    """Something a collector could not read (a 403 on a resource group, a list that failed)."""

    scope: str
    operation: str
    status: int | None = None
    code: str | None = None
    message: str | None = None


class PredictedFrom(Strict):
    """Where a predicted snapshot (`azroute plan`) came from."""

    before: str = Field(description="The snapshot the change was applied to.")
    input: Literal["what-if", "terraform-plan", "overlay"]
    file: str = Field(
        description="The change document (what-if JSON, Terraform plan JSON, overlay directory)."
    )
    predicted_state: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        alias="predictedState",
        description="Per resource id, read-only properties that were predicted, not read (a created peering's "
        "peeringState, provisioningState).",
    )
    failures: tuple[dict[str, str], ...] = Field(
        (),
        description="Changes ARM would refuse (resource, ARM error code, message): the predicted snapshot "
        "holds what the failed apply leaves.",
    )


class FixtureManifest(Strict):
    """`fixture.json` of a full snapshot (format v1)."""

    format: Literal["azroute-fixture/1"]
    name: str
    description: str | None = None
    source: Literal["hand-written", "recorded", "predicted"]
    predicted_from: PredictedFrom | None = Field(
        None, alias="predictedFrom", description="Only when source is predicted: the change it predicts."
    )
    sites: tuple[Site, ...] = ()
    gaps: tuple[CollectionGap, ...] = ()


class OverlayManifest(Strict):
    """`fixture.json` of an overlay: a base snapshot with some properties changed."""

    format: Literal["azroute-overlay/1"]
    base: str = Field(description="Relative path from the overlay's directory to a full v1 snapshot.")
    name: str
    description: str | None = None
    observations: Literal["keep", "drop"]
    remove_resources: tuple[str, ...] = Field((), alias="removeResources")
    remove_observations: tuple[str, ...] = Field((), alias="removeObservations")
    sites: tuple[Site, ...] | None = Field(None, description="Replaces the base's sites when present.")
    gaps: tuple[CollectionGap, ...] | None = Field(None, description="Replaces the base's gaps when present.")


class Origin(Frozen):
    """The file and JSON path of the document a resource came from."""

    file: str
    path: str


class ExternalReference(Frozen):
    """A reference to a resource the snapshot does not hold (another subscription, an RG not collected)."""

    from_id: ArmId
    field: str
    target_id: ArmId


class Snapshot(Frozen):
    """One normalized snapshot of an Azure estate plus its on-premises sites."""

    name: str
    description: str | None = None
    source: str = "hand-written"
    location: str | None = Field(None, description="Where the snapshot was read from.")

    vnets: tuple[VirtualNetwork, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    peerings: tuple[VirtualNetworkPeering, ...] = ()
    gateways: tuple[VirtualNetworkGateway, ...] = ()
    connections: tuple[Connection, ...] = ()
    local_network_gateways: tuple[LocalNetworkGateway, ...] = ()
    circuits: tuple[ExpressRouteCircuit, ...] = ()
    circuit_peerings: tuple[ExpressRouteCircuitPeering, ...] = ()
    circuit_connections: tuple[ExpressRouteCircuitConnection, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    routes: tuple[Route, ...] = ()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    virtual_hubs: tuple[VirtualHub, ...] = ()
    virtual_hub_ip_configurations: tuple[VirtualHubIpConfiguration, ...] = ()
    virtual_hub_bgp_connections: tuple[VirtualHubBgpConnection, ...] = ()
    express_route_ports: tuple[ExpressRoutePort, ...] = ()
    sites: tuple[Site, ...] = ()

    effective_routes: tuple[EffectiveRouteTable, ...] = ()
    gateway_routes: tuple[GatewayRouteTable, ...] = ()
    bgp_peer_status: tuple[BgpPeerStatusTable, ...] = ()
    circuit_tables: tuple[CircuitTable, ...] = ()
    observation_gaps: tuple[ObservationGap, ...] = ()

    external_references: tuple[ExternalReference, ...] = ()
    collection_gaps: tuple[CollectionGap, ...] = ()
    skipped_types: dict[str, int] = Field(
        default_factory=dict, description="Resource types read but not modelled."
    )
    partial_lists: tuple[str, ...] = Field((), description="List pages whose nextLink was not followed.")
    provenance: dict[str, Origin] = Field(
        default_factory=dict,
        exclude=True,
        description="Resource id (lower case) -> the document it came from (not part of the model's JSON).",
    )

    _derived: dict[str, Any] = PrivateAttr(default_factory=dict)

    def derived(self, key: str, factory: Callable[[Snapshot], T]) -> T:
        """A value computed once from this snapshot (the control plane), shared by every rule."""
        if key not in self._derived:
            self._derived[key] = factory(self)
        return cast(T, self._derived[key])

    def release(self) -> None:
        """Drop the values computed from this snapshot (the control plane, the path finder, rule
        indexes): a diff does so once BEFORE is evaluated, so AFTER does not sit beside them.
        Each value's own attributes are dropped too: they hold cycles (a control plane's lazy
        tables refer back to it), which reference counting alone would not free; nothing may use
        a released value (asking again computes a new one)."""
        for value in self._derived.values():
            state = getattr(value, "__dict__", None)
            if isinstance(state, dict):
                state.clear()
        self._derived.clear()

    def replace(self, **changes: object) -> Snapshot:
        """A copy with some fields changed; caches and derived values are rebuilt, not copied."""
        copy = self.model_copy(update=changes)
        for name, value in vars(type(self)).items():
            if isinstance(value, cached_property):
                copy.__dict__.pop(name, None)
        copy._derived = {}
        return copy

    # -- lookups --------------------------------------------------------------------------
    @cached_property
    def by_id(self) -> dict[ArmId, Frozen]:
        index: dict[ArmId, Frozen] = {}
        for group in (
            self.vnets,
            self.subnets,
            self.peerings,
            self.gateways,
            self.connections,
            self.local_network_gateways,
            self.circuits,
            self.circuit_peerings,
            self.circuit_connections,
            self.route_tables,
            self.routes,
            self.network_interfaces,
            self.virtual_hubs,
            self.virtual_hub_ip_configurations,
            self.virtual_hub_bgp_connections,
            self.express_route_ports,
        ):
            for item in group:
                index[item.id] = item
        return index

    def vnet(self, vnet_id: ArmId) -> VirtualNetwork | None:
        found = self.by_id.get(vnet_id)
        return found if isinstance(found, VirtualNetwork) else None

    def gateway(self, gateway_id: ArmId) -> VirtualNetworkGateway | None:
        found = self.by_id.get(gateway_id)
        return found if isinstance(found, VirtualNetworkGateway) else None

    def circuit(self, circuit_id: ArmId) -> ExpressRouteCircuit | None:
        found = self.by_id.get(circuit_id)
        return found if isinstance(found, ExpressRouteCircuit) else None

    def local_network_gateway(self, lng_id: ArmId) -> LocalNetworkGateway | None:
        found = self.by_id.get(lng_id)
        return found if isinstance(found, LocalNetworkGateway) else None

    @cached_property
    def _children(self) -> dict[ArmId, list[Frozen]]:
        index: dict[ArmId, list[Frozen]] = defaultdict(list)
        for group in (
            self.subnets,
            self.peerings,
            self.circuit_peerings,
            self.circuit_connections,
            self.routes,
        ):
            for item in group:
                parent = item.id.parent
                if parent is not None:
                    index[parent].append(item)
        return index

    def subnets_of(self, vnet_id: ArmId) -> list[Subnet]:
        return [s for s in self._children.get(vnet_id, []) if isinstance(s, Subnet)]

    def peerings_of(self, vnet_id: ArmId) -> list[VirtualNetworkPeering]:
        return [p for p in self._children.get(vnet_id, []) if isinstance(p, VirtualNetworkPeering)]

    def peerings_of_circuit(self, circuit_id: ArmId) -> list[ExpressRouteCircuitPeering]:
        return [p for p in self._children.get(circuit_id, []) if isinstance(p, ExpressRouteCircuitPeering)]

    def private_peering(self, circuit_id: ArmId) -> ExpressRouteCircuitPeering | None:
        for peering in self.peerings_of_circuit(circuit_id):
            if peering.is_private:
                return peering
        return None

    def routes_of(self, route_table_id: ArmId) -> list[Route]:
        return [r for r in self._children.get(route_table_id, []) if isinstance(r, Route)]

    @cached_property
    def _gateways_by_vnet(self) -> dict[ArmId, list[VirtualNetworkGateway]]:
        index: dict[ArmId, list[VirtualNetworkGateway]] = defaultdict(list)
        for gw in self.gateways:
            if gw.vnet_id is not None:
                index[gw.vnet_id].append(gw)
        return index

    def gateways_of(self, vnet_id: ArmId) -> list[VirtualNetworkGateway]:
        return list(self._gateways_by_vnet.get(vnet_id, []))

    @cached_property
    def _connections_by_gateway(self) -> dict[ArmId, list[Connection]]:
        index: dict[ArmId, list[Connection]] = defaultdict(list)
        for conn in self.connections:
            index[conn.gateway1_id].append(conn)
        return index

    def connections_of(self, gateway_id: ArmId) -> list[Connection]:
        """Connections whose first end is this gateway (where ARM keeps the link's settings)."""
        return list(self._connections_by_gateway.get(gateway_id, []))

    @cached_property
    def _peerings_by_pair(self) -> dict[tuple[str, str], VirtualNetworkPeering]:
        found: dict[tuple[str, str], VirtualNetworkPeering] = {}
        for peering in self.peerings:
            found.setdefault((peering.vnet_id.key, peering.remote_vnet_id.key), peering)
        return found

    def peering_between(self, vnet_id: ArmId, remote_vnet_id: ArmId) -> VirtualNetworkPeering | None:
        return self._peerings_by_pair.get((vnet_id.key, remote_vnet_id.key))

    def peering_established(self, peering: VirtualNetworkPeering) -> bool:
        """Whether a peering carries traffic: it is Connected and so is the remote VNet's peering
        back when the snapshot holds it. Microsoft: the peering is established once "the Peering
        status column for both virtual network peerings" shows Connected; one side Connected with
        the other Initiated or Disconnected is no peering in either direction. A peering back that
        the snapshot does not hold is taken on the local side's word when the remote VNet is not in
        the snapshot either (another subscription); when the remote VNet is, it has no peering back
        (`peering_back_missing`) and the peering carries nothing."""
        if not peering.connected or self.peering_back_missing(peering):
            return False
        back = self.peering_between(peering.remote_vnet_id, peering.vnet_id)
        return back is None or back.peering_state is None or back.connected

    def peering_back_missing(self, peering: VirtualNetworkPeering) -> bool:
        """Whether the remote VNet is in the snapshot without a peering back. Its document lists
        its peerings, so the other side was deleted (or never created): "If you delete a peering
        from one virtual network, the peering in the other virtual network changes to
        Disconnected" (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering),
        whatever state a hand-written or planned document still gives this side."""
        if self.is_external(peering.remote_vnet_id):
            return False
        return self.peering_between(peering.remote_vnet_id, peering.vnet_id) is None

    def vnet_prefixes(self) -> list[tuple[IPNetwork, VirtualNetwork]]:
        return [(p, v) for v in self.vnets for p in v.address_prefixes]

    def route_servers_of(self, vnet_id: ArmId) -> list[VirtualHub]:
        """Route Servers deployed into the VNet (virtual hubs with an IP configuration in it)."""
        found: dict[ArmId, VirtualHub] = {}
        for conf in self.virtual_hub_ip_configurations:
            if conf.subnet_id is not None and conf.subnet_id.parent == vnet_id:
                hub = self.by_id.get(conf.hub_id)
                if isinstance(hub, VirtualHub) and hub.virtual_wan_id is None:
                    found[hub.id] = hub
        return [found[k] for k in sorted(found, key=lambda i: i.key)]

    def is_external(self, resource_id: ArmId) -> bool:
        return resource_id not in self.by_id

    def origin(self, resource_id: ArmId) -> Origin | None:
        """Where the resource's document is: the overlay's patch when one patched it, else the base."""
        return self.provenance.get(resource_id.key)

    def name_of(self, resource_id: ArmId) -> str:
        return resource_id.name

    def inventory(self) -> dict[str, int]:
        """How many of each kind the snapshot holds (for `azroute inventory`)."""
        labels = {kind.field: kind.inventory for kind in MODELLED.values()}
        resources = {
            labels[name]: len(getattr(self, name)) for name in type(self).model_fields if name in labels
        }
        return {
            **resources,
            "sites": len(self.sites),
            "observations.effectiveRouteTable": len(self.effective_routes),
            "observations.getLearnedRoutes": sum(1 for t in self.gateway_routes if t.peer is None),
            "observations.getAdvertisedRoutes": sum(1 for t in self.gateway_routes if t.peer is not None),
            "observations.getBgpPeerStatus": len(self.bgp_peer_status),
            "observations.circuitTables": len(self.circuit_tables),
            "observations.failed": len(self.observation_gaps),
        }
