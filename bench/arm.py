"""ARM document builders for generated estates (benchmarks), in ARM's GET shape.

Nothing secret (shared keys, authorization keys) is ever written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.writer import write_snapshot

SUB = "00000000-0000-0000-0000-000000000000"
ETAG = 'W/"00000000-0000-0000-0000-000000000001"'
Doc = dict[str, Any]


def rid(rg: str, typ: str, name: str, *child: str) -> str:
    out = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/{typ}/{name}"
    for i in range(0, len(child), 2):
        out += f"/{child[i]}/{child[i + 1]}"
    return out


class Estate:
    """Collects documents per kind and writes them as one format v1 snapshot."""

    def __init__(self, name: str, description: str) -> None:
        self.name, self.description = name, description
        self.sites: list[Doc] = []
        self.arm: dict[str, list[Doc]] = {}

    def add(self, kind: str, doc: Doc) -> Doc:
        self.arm.setdefault(kind, []).append(doc)
        return doc

    def write(self, out: Path) -> Path:
        manifest = {"name": self.name, "description": self.description, "source": "hand-written"}
        if self.sites:
            manifest["sites"] = self.sites  # type: ignore[assignment]
        return write_snapshot(out, manifest, {f"{k}.json": {"value": v} for k, v in self.arm.items()})


def subnet(rg: str, vnet: str, name: str, prefix: str, route_table: str | None = None) -> Doc:
    props: Doc = {
        "provisioningState": "Succeeded",
        "addressPrefix": prefix,
        "privateEndpointNetworkPolicies": "Disabled",
        "privateLinkServiceNetworkPolicies": "Enabled",
    }
    if route_table:
        props["routeTable"] = {"id": route_table}
    return {
        "name": name,
        "id": rid(rg, "virtualNetworks", vnet, "subnets", name),
        "etag": ETAG,
        "type": "Microsoft.Network/virtualNetworks/subnets",
        "properties": props,
    }


def peering(
    rg: str,
    vnet: str,
    name: str,
    remote_rg: str,
    remote: str,
    remote_space: str,
    *,
    transit: bool = False,
    use_remote: bool = False,
    state: str = "Connected",
) -> Doc:
    return {
        "name": name,
        "id": rid(rg, "virtualNetworks", vnet, "virtualNetworkPeerings", name),
        "etag": ETAG,
        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "properties": {
            "provisioningState": "Succeeded",
            "peeringState": state,
            "peeringSyncLevel": "FullyInSync",
            "remoteVirtualNetwork": {"id": rid(remote_rg, "virtualNetworks", remote)},
            "allowVirtualNetworkAccess": True,
            "allowForwardedTraffic": True,
            "allowGatewayTransit": transit,
            "useRemoteGateways": use_remote,
            "doNotVerifyRemoteGateways": False,
            "remoteAddressSpace": {"addressPrefixes": [remote_space]},
            "remoteVirtualNetworkAddressSpace": {"addressPrefixes": [remote_space]},
        },
    }


def vnet(
    rg: str, name: str, loc: str, space: str, subnets: list[Doc], peerings: list[Doc] | None = None
) -> Doc:
    return {
        "name": name,
        "id": rid(rg, "virtualNetworks", name),
        "etag": ETAG,
        "type": "Microsoft.Network/virtualNetworks",
        "location": loc,
        "properties": {
            "provisioningState": "Succeeded",
            "addressSpace": {"addressPrefixes": [space]},
            "subnets": subnets,
            "virtualNetworkPeerings": peerings or [],
            "enableDdosProtection": False,
        },
    }


def gateway(
    rg: str,
    name: str,
    loc: str,
    vnet_name: str,
    gtype: str,
    sku: str,
    *,
    asn: int = 65515,
    bgp_ip: str | None = None,
    public_ip: str | None = None,
) -> Doc:
    ipconf = rid(rg, "virtualNetworkGateways", name, "ipConfigurations", "default")
    vpn = gtype == "Vpn"
    props: Doc = {
        "provisioningState": "Succeeded",
        "gatewayType": gtype,
        "sku": {"name": sku, "tier": sku, "capacity": 2},
        "activeActive": False,
        "enableBgp": vpn and bgp_ip is not None,
        "ipConfigurations": [
            {
                "name": "default",
                "id": ipconf,
                "properties": {
                    "privateIPAllocationMethod": "Dynamic",
                    "subnet": {"id": rid(rg, "virtualNetworks", vnet_name, "subnets", "GatewaySubnet")},
                    "publicIPAddress": {"id": rid(rg, "publicIPAddresses", name + "-pip")},
                },
            }
        ],
        "bgpSettings": {"asn": asn, "peerWeight": 0},
    }
    if vpn:
        props["vpnType"] = "RouteBased"
        props["vpnGatewayGeneration"] = "Generation1"
        if bgp_ip:
            props["bgpSettings"]["bgpPeeringAddress"] = bgp_ip
            props["bgpSettings"]["bgpPeeringAddresses"] = [
                {
                    "ipconfigurationId": ipconf,
                    "defaultBgpIpAddresses": [bgp_ip],
                    "customBgpIpAddresses": [],
                    "tunnelIpAddresses": [public_ip] if public_ip else [],
                }
            ]
    else:
        props["allowRemoteVnetTraffic"] = True
        props["allowVirtualWanTraffic"] = False
    return {
        "name": name,
        "id": rid(rg, "virtualNetworkGateways", name),
        "etag": ETAG,
        "type": "Microsoft.Network/virtualNetworkGateways",
        "location": loc,
        "properties": props,
    }


def local_gateway(
    rg: str,
    name: str,
    loc: str,
    public_ip: str,
    prefixes: list[str],
    *,
    asn: int | None = None,
    bgp_ip: str | None = None,
) -> Doc:
    props: Doc = {
        "provisioningState": "Succeeded",
        "gatewayIpAddress": public_ip,
        "localNetworkAddressSpace": {"addressPrefixes": prefixes},
    }
    if asn is not None:
        props["bgpSettings"] = {"asn": asn, "bgpPeeringAddress": bgp_ip, "peerWeight": 0}
    return {
        "name": name,
        "id": rid(rg, "localNetworkGateways", name),
        "etag": ETAG,
        "type": "Microsoft.Network/localNetworkGateways",
        "location": loc,
        "properties": props,
    }


def connection(
    rg: str,
    name: str,
    loc: str,
    ctype: str,
    gw1: str,
    *,
    gw2: str | None = None,
    lng: str | None = None,
    peer: str | None = None,
    bgp: bool = False,
    weight: int = 0,
) -> Doc:
    props: Doc = {
        "provisioningState": "Succeeded",
        "connectionType": ctype,
        "virtualNetworkGateway1": {"id": gw1},
        "routingWeight": weight,
        "enableBgp": bgp,
        "connectionStatus": "Connected",
        "ingressBytesTransferred": 0,
        "egressBytesTransferred": 0,
    }
    if gw2:
        props["virtualNetworkGateway2"] = {"id": gw2}
    if lng:
        props["localNetworkGateway2"] = {"id": lng}
    if peer:
        props["peer"] = {"id": peer}
        props["expressRouteGatewayBypass"] = False
    else:
        props.update(
            {
                "connectionProtocol": "IKEv2",
                "usePolicyBasedTrafficSelectors": False,
                "dpdTimeoutSeconds": 45,
                "connectionMode": "Default",
            }
        )
    return {
        "name": name,
        "id": rid(rg, "connections", name),
        "etag": ETAG,
        "type": "Microsoft.Network/connections",
        "location": loc,
        "properties": props,
    }


def circuit(
    rg: str, name: str, loc: str, peering_loc: str, peer_asn: int, primary: str, secondary: str, vlan: int
) -> Doc:
    cid = rid(rg, "expressRouteCircuits", name)
    private = {
        "name": "AzurePrivatePeering",
        "id": cid + "/peerings/AzurePrivatePeering",
        "etag": ETAG,
        "type": "Microsoft.Network/expressRouteCircuits/peerings",
        "properties": {
            "provisioningState": "Succeeded",
            "peeringType": "AzurePrivatePeering",
            "azureASN": 12076,
            "peerASN": peer_asn,
            "primaryPeerAddressPrefix": primary,
            "secondaryPeerAddressPrefix": secondary,
            "primaryAzurePort": "",
            "secondaryAzurePort": "",
            "state": "Enabled",
            "vlanId": vlan,
            "gatewayManagerEtag": "",
            "connections": [],
            "peeredConnections": [],
        },
    }
    return {
        "name": name,
        "id": cid,
        "etag": ETAG,
        "type": "Microsoft.Network/expressRouteCircuits",
        "location": loc,
        "sku": {"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"},
        "properties": {
            "provisioningState": "Succeeded",
            "circuitProvisioningState": "Enabled",
            "serviceProviderProvisioningState": "Provisioned",
            "globalReachEnabled": False,
            "allowClassicOperations": False,
            "serviceProviderProperties": {
                "serviceProviderName": "Equinix",
                "peeringLocation": peering_loc,
                "bandwidthInMbps": 1000,
            },
            "peerings": [private],
            "authorizations": [],
        },
    }


def nic(rg: str, name: str, loc: str, vnet_name: str, ip: str) -> Doc:
    vm = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name.removesuffix('-nic')}"
    return {
        "name": name,
        "id": rid(rg, "networkInterfaces", name),
        "etag": ETAG,
        "type": "Microsoft.Network/networkInterfaces",
        "location": loc,
        "properties": {
            "provisioningState": "Succeeded",
            "enableIPForwarding": False,
            "enableAcceleratedNetworking": False,
            "primary": True,
            "virtualMachine": {"id": vm},
            "ipConfigurations": [
                {
                    "name": "ipconfig1",
                    "id": rid(rg, "networkInterfaces", name, "ipConfigurations", "ipconfig1"),
                    "properties": {
                        "privateIPAddress": ip,
                        "privateIPAllocationMethod": "Dynamic",
                        "primary": True,
                        "privateIPAddressVersion": "IPv4",
                        "subnet": {"id": rid(rg, "virtualNetworks", vnet_name, "subnets", "default")},
                    },
                }
            ],
        },
    }
