"""Predicates shared by rules."""

from __future__ import annotations

from auditor.ids import ArmId
from auditor.model import Snapshot, VirtualNetworkGateway, VirtualNetworkPeering


def transit_gateways(snapshot: Snapshot, vnet_id: ArmId) -> list[VirtualNetworkGateway]:
    """The VNet's own VPN and ExpressRoute gateways that are deployed and enabled."""
    return [g for g in snapshot.gateways_of(vnet_id) if (g.is_vpn or g.is_expressroute) and g.working]


def has_gateway(snapshot: Snapshot, vnet_id: ArmId) -> bool:
    return any(g.is_vpn or g.is_expressroute for g in snapshot.gateways_of(vnet_id))


def label(peering: VirtualNetworkPeering) -> str:
    """`spoke-vnet/spoke-to-hub`."""
    return f"{peering.vnet_id.name}/{peering.id.name}"
