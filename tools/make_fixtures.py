"""Writes the hand-written fixtures under fixtures/ (the interop testbed and the rule scenarios).

The JSON files are the source of truth that tests and users read; this script is how they
are kept consistent. Edit it, run `python tools/make_fixtures.py`, review the diff.
Every document is in ARM's GET shape; nothing secret (shared keys, authorization keys) is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "fixtures"
SUB = "00000000-0000-0000-0000-000000000000"
ETAG = 'W/"00000000-0000-0000-0000-000000000001"'
Doc = dict[str, Any]


def rid(rg: str, typ: str, name: str, *child: str) -> str:
    out = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/{typ}/{name}"
    for i in range(0, len(child), 2):
        out += f"/{child[i]}/{child[i + 1]}"
    return out


class Fixture:
    """Collects documents for one fixture directory and writes them."""

    def __init__(self, name: str, description: str, sites: list[Doc] | None = None) -> None:
        self.name, self.description, self.sites = name, description, sites
        self.arm: dict[str, list[Doc]] = {}
        self.ops: dict[str, Doc] = {}
        self.extra: Doc = {}

    def add(self, kind: str, doc: Doc) -> Doc:
        self.arm.setdefault(kind, []).append(doc)
        return doc

    def op(
        self,
        path: str,
        resource: str,
        operation: str,
        body: Any,
        params: dict[str, str] | None = None,
        status: int = 200,
    ) -> None:
        self.ops[path] = {
            "resourceId": resource,
            "operation": operation,
            "parameters": params or {},
            "status": status,
            "body": body,
        }

    def write(self) -> None:
        out = ROOT / self.name
        shutil.rmtree(out, ignore_errors=True)
        manifest: Doc = {
            "format": "azroute-fixture/1",
            "name": self.name,
            "description": self.description,
            "source": "hand-written",
        }
        if self.sites is not None:
            manifest["sites"] = self.sites
        manifest.update(self.extra)
        _dump(out / "fixture.json", manifest)
        for kind, docs in self.arm.items():
            _dump(out / "arm" / f"{kind}.json", {"value": docs})
        for path, doc in self.ops.items():
            _dump(out / "operations" / path, doc)


def _dump(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


# -- ARM document builders ------------------------------------------------------------------------


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


# -- observation builders ---------------------------------------------------------------------------


def eff(prefix: str, ips: list[str], source: str = "Default", hop: str = "VnetLocal") -> Doc:
    return {
        "source": source,
        "state": "Active",
        "addressPrefix": [prefix],
        "nextHopIpAddress": ips,
        "nextHopType": hop,
    }


def eff_gw(prefix: str, ips: list[str]) -> Doc:
    return eff(prefix, ips, source="VirtualNetworkGateway", hop="VirtualNetworkGateway")


DEFAULT_ROUTES = [eff("0.0.0.0/0", [], hop="Internet")] + [
    eff(p, [], hop="None") for p in ("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16")
]


def learned(local: str, network: str, next_hop: str, peer: str, origin: str, path: str, weight: int) -> Doc:
    return {
        "localAddress": local,
        "network": network,
        "nextHop": next_hop,
        "sourcePeer": peer,
        "origin": origin,
        "asPath": path,
        "weight": weight,
    }


def circuit_route(network: str, next_hop: str, path: str) -> Doc:
    return {"network": network, "nextHop": next_hop, "locPrf": "", "weight": 0, "path": path}


def summary(neighbor: str, asn: int, up_down: str, received: str) -> Doc:
    return {"value": [{"neighbor": neighbor, "v": 4, "as": asn, "upDown": up_down, "statePfxRcd": received}]}


# -- the interoperability testbed ------------------------------------------------------------------------


def testbed() -> Fixture:
    fx = Fixture(
        "interop-testbed",
        "Microsoft's 'Interoperability in Azure' testbed: hub and spoke (gateway transit), branch VNet over "
        "S2S VPN with eBGP, on-premises Location 1 over ExpressRoute 1 (secondary link down) with S2S VPN "
        "backup, Location 2 over ExpressRoute 2, remote VNet hairpinned over ExpressRoute 1. Address spaces "
        "marked inferred in seed-testbed.md are reconstructed from the articles' traceroutes; SKUs, regions, "
        "peering locations and VLAN ids are placeholders (the articles do not state them).",
        sites=[
            {
                "name": "location-1",
                "asn": 65021,
                "prefixes": ["10.2.30.0/25"],
                "prefer": ["ExpressRoute", "Vpn"],
                "circuits": ["er-1"],
                "localNetworkGateways": ["location-1-lng"],
                "description": "Primary path ExpressRoute 1 (local-preference 200), backup S2S VPN (local-preference 100).",
            },
            {
                "name": "location-2",
                "asn": 65022,
                "prefixes": ["10.1.31.0/25"],
                "prefer": ["ExpressRoute"],
                "circuits": ["er-2"],
                "description": "ExpressRoute 2 only, both links active.",
            },
        ],
    )
    hub_rg, br_rg, rem_rg, er_rg = "rg-hub", "rg-branch", "rg-remote", "rg-expressroute"
    fx.add(
        "virtualNetworks",
        vnet(
            hub_rg,
            "hub-vnet",
            "eastus",
            "10.10.30.0/24",
            [
                subnet(hub_rg, "hub-vnet", "default", "10.10.30.0/25"),
                subnet(hub_rg, "hub-vnet", "GatewaySubnet", "10.10.30.128/25"),
            ],
            [
                peering(
                    hub_rg, "hub-vnet", "hub-to-spoke", hub_rg, "spoke-vnet", "10.11.30.0/26", transit=True
                )
            ],
        ),
    )
    fx.add(
        "virtualNetworks",
        vnet(
            hub_rg,
            "spoke-vnet",
            "eastus",
            "10.11.30.0/26",
            [subnet(hub_rg, "spoke-vnet", "default", "10.11.30.0/27")],
            [
                peering(
                    hub_rg, "spoke-vnet", "spoke-to-hub", hub_rg, "hub-vnet", "10.10.30.0/24", use_remote=True
                )
            ],
        ),
    )
    fx.add(
        "virtualNetworks",
        vnet(
            br_rg,
            "branch-vnet",
            "centralus",
            "10.11.30.64/26",
            [
                subnet(br_rg, "branch-vnet", "default", "10.11.30.64/27"),
                subnet(br_rg, "branch-vnet", "GatewaySubnet", "10.11.30.96/27"),
            ],
        ),
    )
    fx.add(
        "virtualNetworks",
        vnet(
            rem_rg,
            "remote-vnet",
            "westus2",
            "10.17.30.0/24",
            [
                subnet(rem_rg, "remote-vnet", "default", "10.17.30.0/27"),
                subnet(rem_rg, "remote-vnet", "GatewaySubnet", "10.17.30.32/27"),
            ],
        ),
    )

    hub_er = fx.add(
        "virtualNetworkGateways",
        gateway(hub_rg, "hub-er-gw", "eastus", "hub-vnet", "ExpressRoute", "Standard"),
    )["id"]
    hub_vpn = fx.add(
        "virtualNetworkGateways",
        gateway(
            hub_rg,
            "hub-vpn-gw",
            "eastus",
            "hub-vnet",
            "Vpn",
            "VpnGw1",
            bgp_ip="10.10.30.254",
            public_ip="52.168.162.84",
        ),
    )["id"]
    br_vpn = fx.add(
        "virtualNetworkGateways",
        gateway(
            br_rg,
            "branch-vpn-gw",
            "centralus",
            "branch-vnet",
            "Vpn",
            "VpnGw1",
            asn=65516,
            bgp_ip="10.11.30.126",
            public_ip="52.165.0.10",
        ),
    )["id"]
    rem_er = fx.add(
        "virtualNetworkGateways",
        gateway(rem_rg, "remote-er-gw", "westus2", "remote-vnet", "ExpressRoute", "Standard"),
    )["id"]
    lng = fx.add(
        "localNetworkGateways",
        local_gateway(
            hub_rg, "location-1-lng", "eastus", "66.198.12.106", [], asn=65021, bgp_ip="10.2.30.125"
        ),
    )["id"]
    er1 = fx.add(
        "expressRouteCircuits",
        circuit(er_rg, "er-1", "eastus", "Washington DC", 65021, "192.168.30.16/30", "192.168.30.20/30", 300),
    )["id"]
    er2 = fx.add(
        "expressRouteCircuits",
        circuit(er_rg, "er-2", "eastus", "Seattle", 65022, "192.168.31.16/30", "192.168.31.20/30", 310),
    )["id"]
    for doc in (
        connection(hub_rg, "hub-er-gw-to-er-1", "eastus", "ExpressRoute", hub_er, peer=er1),
        connection(hub_rg, "hub-er-gw-to-er-2", "eastus", "ExpressRoute", hub_er, peer=er2),
        connection(hub_rg, "hub-vpn-gw-to-location-1", "eastus", "IPsec", hub_vpn, lng=lng, bgp=True),
        connection(hub_rg, "hub-vpn-gw-to-branch", "eastus", "Vnet2Vnet", hub_vpn, gw2=br_vpn, bgp=True),
        connection(br_rg, "branch-vpn-gw-to-hub", "centralus", "Vnet2Vnet", br_vpn, gw2=hub_vpn, bgp=True),
        connection(rem_rg, "remote-er-gw-to-er-1", "westus2", "ExpressRoute", rem_er, peer=er1),
    ):
        fx.add("connections", doc)
    for doc in (
        nic(hub_rg, "hub-vm-nic", "eastus", "hub-vnet", "10.10.30.4"),
        nic(hub_rg, "spoke-vm-nic", "eastus", "spoke-vnet", "10.11.30.4"),
        nic(br_rg, "branch-vm-nic", "centralus", "branch-vnet", "10.11.30.68"),
        nic(rem_rg, "remote-vm-nic", "westus2", "remote-vnet", "10.17.30.4"),
    ):
        fx.add("networkInterfaces", doc)

    # NIC effective routes. Gateway next hops: hub ER gateway instances .132/.133, hub VPN gateway .142,
    # branch VPN gateway .100, remote ER gateway .36/.37 (the articles' traceroute hops).
    hub_er_ips, hub_vpn_ips, rem_er_ips = (
        ["10.10.30.132", "10.10.30.133"],
        ["10.10.30.142"],
        ["10.17.30.36", "10.17.30.37"],
    )
    via_hub = [
        eff_gw("10.2.30.0/25", hub_er_ips),
        eff_gw("10.1.31.0/25", hub_er_ips),
        eff_gw("10.17.30.0/24", hub_er_ips),
        eff_gw("10.11.30.64/26", hub_vpn_ips),
    ]
    nic_id = lambda rg, n: rid(rg, "networkInterfaces", n)  # noqa: E731
    fx.op(
        "effectiveRouteTable/hub-vm-nic.json",
        nic_id(hub_rg, "hub-vm-nic"),
        "effectiveRouteTable",
        {
            "value": [
                eff("10.10.30.0/24", []),
                eff("10.11.30.0/26", [], hop="VNetPeering"),
                *via_hub,
                *DEFAULT_ROUTES,
            ]
        },
    )
    fx.op(
        "effectiveRouteTable/spoke-vm-nic.json",
        nic_id(hub_rg, "spoke-vm-nic"),
        "effectiveRouteTable",
        {
            "value": [
                eff("10.11.30.0/26", []),
                eff("10.10.30.0/24", [], hop="VNetPeering"),
                *via_hub,
                *DEFAULT_ROUTES,
            ]
        },
    )
    fx.op(
        "effectiveRouteTable/branch-vm-nic.json",
        nic_id(br_rg, "branch-vm-nic"),
        "effectiveRouteTable",
        {
            "value": [
                eff("10.11.30.64/26", []),
                *(eff_gw(p, ["10.11.30.100"]) for p in ("10.10.30.0/24", "10.11.30.0/26", "10.2.30.0/25")),
                *DEFAULT_ROUTES,
            ]
        },
    )
    fx.op(
        "effectiveRouteTable/remote-vm-nic.json",
        nic_id(rem_rg, "remote-vm-nic"),
        "effectiveRouteTable",
        {
            "value": [
                eff("10.17.30.0/24", []),
                *(eff_gw(p, rem_er_ips) for p in ("10.10.30.0/24", "10.11.30.0/26", "10.2.30.0/25")),
                *DEFAULT_ROUTES,
            ]
        },
    )

    # Gateway BGP tables. ExpressRoute-learned routes carry 12076 first and weight 32769; routes the
    # gateway originates show origin Network (as in the Get-AzVirtualNetworkGatewayLearnedRoute examples).
    g = "10.10.30.132"
    fx.op(
        "getLearnedRoutes/hub-er-gw.json",
        hub_er,
        "getLearnedRoutes",
        {
            "value": [
                learned(g, "10.10.30.0/24", "", g, "Network", "", 32768),
                learned(g, "10.11.30.0/26", "", g, "Network", "", 32768),
                learned(g, "10.2.30.0/25", "192.168.30.18", "192.168.30.18", "EBgp", "12076-65021", 32769),
                learned(g, "10.1.31.0/25", "192.168.31.18", "192.168.31.18", "EBgp", "12076-65022", 32769),
                learned(g, "10.1.31.0/25", "192.168.31.22", "192.168.31.22", "EBgp", "12076-65022", 32769),
                learned(g, "10.17.30.0/24", "192.168.30.18", "192.168.30.18", "EBgp", "12076-65515", 32769),
                learned(g, "10.17.30.0/24", "192.168.30.22", "192.168.30.22", "EBgp", "12076-65515", 32769),
            ]
        },
    )
    v = "10.10.30.254"
    fx.op(
        "getLearnedRoutes/hub-vpn-gw.json",
        hub_vpn,
        "getLearnedRoutes",
        {
            "value": [
                learned(v, "10.10.30.0/24", "", v, "Network", "", 32768),
                learned(v, "10.11.30.0/26", "", v, "Network", "", 32768),
                learned(v, "10.2.30.125/32", "66.198.12.106", v, "Network", "", 32768),
                learned(v, "10.2.30.0/25", "10.2.30.125", "10.2.30.125", "EBgp", "65021", 32768),
                learned(v, "10.11.30.64/26", "10.11.30.126", "10.11.30.126", "EBgp", "65516", 32768),
                learned(v, "10.2.30.0/25", g, g, "IBgp", "12076-65021", 32769),
                learned(v, "10.1.31.0/25", g, g, "IBgp", "12076-65022", 32769),
                learned(v, "10.17.30.0/24", g, g, "IBgp", "12076-65515", 32769),
            ]
        },
    )
    fx.op(
        "getBgpPeerStatus/hub-vpn-gw.json",
        hub_vpn,
        "getBgpPeerStatus",
        {
            "value": [
                {
                    "localAddress": v,
                    "neighbor": "10.11.30.126",
                    "asn": 65516,
                    "state": "Connected",
                    "connectedDuration": "12.00:00:00",
                    "routesReceived": 1,
                    "messagesSent": 20000,
                    "messagesReceived": 20000,
                },
                {
                    "localAddress": v,
                    "neighbor": "10.2.30.125",
                    "asn": 65021,
                    "state": "Connected",
                    "connectedDuration": "12.00:00:00",
                    "routesReceived": 1,
                    "messagesSent": 20000,
                    "messagesReceived": 20000,
                },
            ]
        },
    )
    fx.op(
        "getAdvertisedRoutes/hub-vpn-gw-to-10.2.30.125.json",
        hub_vpn,
        "getAdvertisedRoutes",
        {
            "value": [
                learned(v, "10.10.30.0/24", v, "", "Igp", "65515", 0),
                learned(v, "10.11.30.0/26", v, "", "Igp", "65515", 0),
                learned(v, "10.11.30.64/26", v, "", "Igp", "65515-65516", 0),
            ]
        },
        {"peer": "10.2.30.125"},
    )
    fx.op(
        "getAdvertisedRoutes/hub-vpn-gw-to-10.11.30.126.json",
        hub_vpn,
        "getAdvertisedRoutes",
        {
            "value": [
                learned(v, "10.10.30.0/24", v, "", "Igp", "65515", 0),
                learned(v, "10.11.30.0/26", v, "", "Igp", "65515", 0),
                learned(v, "10.2.30.0/25", v, "", "Igp", "65515-65021", 0),
            ]
        },
        {"peer": "10.11.30.126"},
    )

    r, b = "10.17.30.36", "10.11.30.126"
    fx.op("getLearnedRoutes/remote-er-gw.json", rem_er, "getLearnedRoutes", {"value": [
        learned(r, "10.17.30.0/24", "", r, "Network", "", 32768),
        learned(r, "10.2.30.0/25", "192.168.30.18", "192.168.30.18", "EBgp", "12076-65021", 32769),
        learned(r, "10.10.30.0/24", "192.168.30.18", "192.168.30.18", "EBgp", "12076-65515", 32769),
        learned(r, "10.10.30.0/24", "192.168.30.22", "192.168.30.22", "EBgp", "12076-65515", 32769),
        learned(r, "10.11.30.0/26", "192.168.30.18", "192.168.30.18", "EBgp", "12076-65515", 32769),
        learned(r, "10.11.30.0/26", "192.168.30.22", "192.168.30.22", "EBgp", "12076-65515", 32769),
    ]})  # fmt: skip
    fx.op("getLearnedRoutes/branch-vpn-gw.json", br_vpn, "getLearnedRoutes", {"value": [
        learned(b, "10.11.30.64/26", "", b, "Network", "", 32768),
        learned(b, "10.10.30.0/24", v, v, "EBgp", "65515", 32768),
        learned(b, "10.11.30.0/26", v, v, "EBgp", "65515", 32768),
        learned(b, "10.2.30.0/25", v, v, "EBgp", "65515-65021", 32768),
    ]})  # fmt: skip
    fx.op("getBgpPeerStatus/branch-vpn-gw.json", br_vpn, "getBgpPeerStatus", {"value": [
        {"localAddress": b, "neighbor": v, "asn": 65515, "state": "Connected",
         "connectedDuration": "12.00:00:00", "routesReceived": 3, "messagesSent": 20000, "messagesReceived": 20000},
    ]})  # fmt: skip
    fx.op("getAdvertisedRoutes/branch-vpn-gw-to-10.10.30.254.json", br_vpn, "getAdvertisedRoutes", {"value": [
        learned(b, "10.11.30.64/26", b, "", "Igp", "65516", 0),
    ]}, {"peer": v})  # fmt: skip

    # Microsoft-edge tables per device path. ER 1's secondary customer interface is shut: its BGP
    # session is Idle and the secondary MSEE holds only the VNet routes from the gateways.
    def vnet_routes(ips: list[str], prefixes: list[str]) -> list[Doc]:
        return [circuit_route(p, ip, "65515") for p in prefixes for ip in ips]

    def ordered(routes: list[Doc]) -> list[Doc]:
        return sorted(routes, key=lambda r: (r["network"], r["nextHop"]))

    er1_vnets = vnet_routes(hub_er_ips, ["10.10.30.0/24", "10.11.30.0/26"]) + vnet_routes(
        rem_er_ips, ["10.17.30.0/24"]
    )
    er2_vnets = vnet_routes(hub_er_ips, ["10.10.30.0/24", "10.11.30.0/26"])
    er1p, er2p = er1 + "/peerings/AzurePrivatePeering", er2 + "/peerings/AzurePrivatePeering"
    primary, secondary = {"devicePath": "primary"}, {"devicePath": "secondary"}
    fx.op(
        "routeTables/er-1-primary.json",
        er1p,
        "routeTables",
        {"value": ordered([circuit_route("10.2.30.0/25", "192.168.30.17", "65021"), *er1_vnets])},
        primary,
    )
    fx.op("routeTables/er-1-secondary.json", er1p, "routeTables", {"value": ordered(er1_vnets)}, secondary)
    fx.op(
        "routeTables/er-2-primary.json",
        er2p,
        "routeTables",
        {"value": ordered([circuit_route("10.1.31.0/25", "192.168.31.17", "65022"), *er2_vnets])},
        primary,
    )
    fx.op(
        "routeTables/er-2-secondary.json",
        er2p,
        "routeTables",
        {"value": ordered([circuit_route("10.1.31.0/25", "192.168.31.21", "65022"), *er2_vnets])},
        secondary,
    )
    fx.op(
        "routeTablesSummary/er-1-primary.json",
        er1p,
        "routeTablesSummary",
        summary("192.168.30.17", 65021, "12d00h", "1"),
        primary,
    )
    fx.op(
        "routeTablesSummary/er-1-secondary.json",
        er1p,
        "routeTablesSummary",
        summary("192.168.30.21", 65021, "never", "Idle"),
        secondary,
    )
    fx.op(
        "routeTablesSummary/er-2-primary.json",
        er2p,
        "routeTablesSummary",
        summary("192.168.31.17", 65022, "12d00h", "1"),
        primary,
    )
    fx.op(
        "routeTablesSummary/er-2-secondary.json",
        er2p,
        "routeTablesSummary",
        summary("192.168.31.21", 65022, "12d00h", "1"),
        secondary,
    )
    return fx


# -- small scenarios, one behaviour each --------------------------------------------------------------


def hub_spoke(
    name: str, description: str, *, transit: bool = True, use_remote: bool = True, hub_gateway: bool = True
) -> Fixture:
    """A hub with a VPN gateway to one static on-premises site, and one spoke."""
    fx = Fixture(name, description)
    rg = "rg-net"
    fx.add(
        "virtualNetworks",
        vnet(
            rg,
            "hub-vnet",
            "westeurope",
            "10.0.0.0/16",
            [
                subnet(rg, "hub-vnet", "default", "10.0.1.0/24"),
                subnet(rg, "hub-vnet", "GatewaySubnet", "10.0.255.0/27"),
            ],
            [peering(rg, "hub-vnet", "hub-to-spoke", rg, "spoke-vnet", "10.1.0.0/16", transit=transit)],
        ),
    )
    fx.add(
        "virtualNetworks",
        vnet(
            rg,
            "spoke-vnet",
            "westeurope",
            "10.1.0.0/16",
            [subnet(rg, "spoke-vnet", "default", "10.1.1.0/24")],
            [peering(rg, "spoke-vnet", "spoke-to-hub", rg, "hub-vnet", "10.0.0.0/16", use_remote=use_remote)],
        ),
    )
    if hub_gateway:
        gw = fx.add(
            "virtualNetworkGateways", gateway(rg, "hub-vpn-gw", "westeurope", "hub-vnet", "Vpn", "VpnGw1")
        )["id"]
        lng = fx.add(
            "localNetworkGateways",
            local_gateway(rg, "office-lng", "westeurope", "203.0.113.10", ["192.168.0.0/16"]),
        )["id"]
        fx.add("connections", connection(rg, "hub-vpn-gw-to-office", "westeurope", "IPsec", gw, lng=lng))
    return fx


def er_vpn(
    name: str,
    description: str,
    *,
    lng_prefixes: list[str],
    prefer: list[str] | None,
    declare_site: bool = True,
    lng_bgp: bool = False,
    site_prefixes: tuple[str, ...] = ("10.2.0.0/16",),
) -> Fixture:
    """A hub with coexisting ExpressRoute and VPN gateways reaching one data centre over both."""
    sites = None
    if declare_site:
        site: Doc = {"name": "datacenter", "asn": 65010, "prefixes": list(site_prefixes)}
        if prefer is not None:
            site["prefer"] = prefer
        sites = [site]
    fx = Fixture(name, description, sites=sites)
    rg = "rg-net"
    fx.add(
        "virtualNetworks",
        vnet(
            rg,
            "hub-vnet",
            "westeurope",
            "10.0.0.0/16",
            [
                subnet(rg, "hub-vnet", "default", "10.0.1.0/24"),
                subnet(rg, "hub-vnet", "GatewaySubnet", "10.0.255.0/26"),
            ],
        ),
    )
    er_gw = fx.add(
        "virtualNetworkGateways",
        gateway(rg, "hub-er-gw", "westeurope", "hub-vnet", "ExpressRoute", "ErGw1AZ"),
    )["id"]
    vpn_gw = fx.add(
        "virtualNetworkGateways",
        gateway(
            rg,
            "hub-vpn-gw",
            "westeurope",
            "hub-vnet",
            "Vpn",
            "VpnGw1AZ",
            bgp_ip="10.0.255.30",
            public_ip="198.51.100.20",
        ),
    )["id"]
    er = fx.add(
        "expressRouteCircuits",
        circuit(rg, "dc-circuit", "westeurope", "Amsterdam", 65010, "172.16.0.0/30", "172.16.0.4/30", 100),
    )["id"]
    lng = fx.add(
        "localNetworkGateways",
        local_gateway(
            rg,
            "dc-lng",
            "westeurope",
            "203.0.113.20",
            lng_prefixes,
            asn=65010 if lng_bgp else None,
            bgp_ip="10.2.255.1" if lng_bgp else None,
        ),
    )["id"]
    fx.add(
        "connections", connection(rg, "hub-er-gw-to-dc-circuit", "westeurope", "ExpressRoute", er_gw, peer=er)
    )
    fx.add(
        "connections", connection(rg, "hub-vpn-gw-to-dc", "westeurope", "IPsec", vpn_gw, lng=lng, bgp=lng_bgp)
    )
    return fx


def route_table(
    rg: str,
    name: str,
    loc: str,
    routes: list[tuple[str, str, str, str | None]],
    *,
    propagate: bool = True,
    subnets: list[str] | None = None,
) -> Doc:
    tid = rid(rg, "routeTables", name)
    return {
        "name": name,
        "id": tid,
        "etag": ETAG,
        "type": "Microsoft.Network/routeTables",
        "location": loc,
        "properties": {
            "provisioningState": "Succeeded",
            "disableBgpRoutePropagation": not propagate,
            "routes": [
                {
                    "name": rname,
                    "id": f"{tid}/routes/{rname}",
                    "etag": ETAG,
                    "type": "Microsoft.Network/routeTables/routes",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "addressPrefix": prefix,
                        "nextHopType": hop,
                        **({"nextHopIpAddress": ip} if ip else {}),
                    },
                }
                for rname, prefix, hop, ip in routes
            ],
            "subnets": [{"id": sid} for sid in subnets or []],
        },
    }


def firewall_hub(name: str, description: str, *, spoke_propagation: bool) -> Fixture:
    """Hub with an ExpressRoute gateway and a firewall; the GatewaySubnet sends spoke-bound traffic
    through the firewall, the spoke sends 0.0.0.0/0 to the firewall."""
    fx = Fixture(
        name,
        description,
        sites=[{"name": "datacenter", "asn": 65010, "prefixes": ["10.2.0.0/16"], "prefer": ["ExpressRoute"]}],
    )
    rg, loc, fw = "rg-net", "westeurope", "10.0.3.4"
    gw_rt = rid(rg, "routeTables", "gateway-rt")
    spoke_rt = rid(rg, "routeTables", "spoke-rt")
    gw_subnet = rid(rg, "virtualNetworks", "hub-vnet", "subnets", "GatewaySubnet")
    spoke_subnet = rid(rg, "virtualNetworks", "spoke-vnet", "subnets", "default")
    fx.add(
        "virtualNetworks",
        vnet(
            rg,
            "hub-vnet",
            loc,
            "10.0.0.0/16",
            [
                subnet(rg, "hub-vnet", "default", "10.0.1.0/24"),
                subnet(rg, "hub-vnet", "AzureFirewallSubnet", "10.0.3.0/26"),
                subnet(rg, "hub-vnet", "GatewaySubnet", "10.0.255.0/27", route_table=gw_rt),
            ],
            [peering(rg, "hub-vnet", "hub-to-spoke", rg, "spoke-vnet", "10.1.0.0/16", transit=True)],
        ),
    )
    fx.add(
        "virtualNetworks",
        vnet(
            rg,
            "spoke-vnet",
            loc,
            "10.1.0.0/16",
            [subnet(rg, "spoke-vnet", "default", "10.1.1.0/24", route_table=spoke_rt)],
            [peering(rg, "spoke-vnet", "spoke-to-hub", rg, "hub-vnet", "10.0.0.0/16", use_remote=True)],
        ),
    )
    fx.add(
        "routeTables",
        route_table(
            rg,
            "gateway-rt",
            loc,
            [("spoke-via-firewall", "10.1.0.0/16", "VirtualAppliance", fw)],
            subnets=[gw_subnet],
        ),
    )
    fx.add(
        "routeTables",
        route_table(
            rg,
            "spoke-rt",
            loc,
            [("default-via-firewall", "0.0.0.0/0", "VirtualAppliance", fw)],
            propagate=spoke_propagation,
            subnets=[spoke_subnet],
        ),
    )
    er_gw = fx.add(
        "virtualNetworkGateways", gateway(rg, "hub-er-gw", loc, "hub-vnet", "ExpressRoute", "ErGw1AZ")
    )["id"]
    er = fx.add(
        "expressRouteCircuits",
        circuit(rg, "dc-circuit", loc, "Amsterdam", 65010, "172.16.0.0/30", "172.16.0.4/30", 100),
    )["id"]
    fx.add("connections", connection(rg, "hub-er-gw-to-dc-circuit", loc, "ExpressRoute", er_gw, peer=er))
    return fx


def scenarios() -> list[Fixture]:
    return [
        firewall_hub(
            "hub-firewall-bypass",
            "Spoke-to-datacenter traffic bypasses the hub firewall (the BGP route is more specific than the "
            "spoke's 0.0.0.0/0 UDR), while the GatewaySubnet UDR sends the return traffic through it (ASY002).",
            spoke_propagation=True,
        ),
        firewall_hub(
            "hub-firewall-mirrored",
            "The spoke's route table disables gateway route propagation, so both directions pass the firewall.",
            spoke_propagation=False,
        ),
        hub_spoke(
            "hub-spoke-transit-ok",
            "Hub with a VPN gateway; the spoke uses it (useRemoteGateways) and the hub allows it.",
        ),
        hub_spoke(
            "hub-spoke-transit-not-allowed",
            "The spoke uses remote gateways but the hub's peering does not allow gateway transit (TRN001).",
            transit=False,
        ),
        hub_spoke(
            "hub-spoke-transit-unused",
            "The hub allows gateway transit but the gateway-less spoke does not use it (TRN002).",
            use_remote=False,
        ),
        hub_spoke(
            "hub-spoke-no-hub-gateway",
            "The spoke uses remote gateways but the hub has no gateway (TRN003).",
            hub_gateway=False,
        ),
        er_vpn(
            "er-vpn-equal-prefixes",
            "ExpressRoute and a static VPN carry the same data-centre prefix; the site prefers ExpressRoute.",
            lng_prefixes=["10.2.0.0/16"],
            prefer=["ExpressRoute", "Vpn"],
        ),
        er_vpn(
            "er-vpn-vpn-more-specific",
            "The VPN's static address space is more specific than the ExpressRoute prefix: Azure sends that "
            "range over the VPN while the site prefers ExpressRoute (PRF001, ASY001).",
            lng_prefixes=["10.2.1.0/24"],
            prefer=["ExpressRoute", "Vpn"],
        ),
        er_vpn(
            "er-vpn-site-prefers-vpn",
            "Equal prefixes on both paths, but the site prefers routes learned over the VPN (ASY001).",
            lng_prefixes=["10.2.0.0/16"],
            prefer=["Vpn", "ExpressRoute"],
        ),
        er_vpn(
            "er-vpn-preference-undeclared",
            "ExpressRoute and BGP VPN to the same ASN, and no site declared: its preference is unknown (ASY003).",
            lng_prefixes=[],
            prefer=None,
            declare_site=False,
            lng_bgp=True,
        ),
    ]


def testbed_variants() -> list[Fixture]:
    """The testbed's configuration (no observations) with one change each, for what-if checks."""
    variants = []

    gr = testbed()
    gr.name = "interop-testbed-global-reach"
    gr.description = (
        "The interop testbed with ExpressRoute Global Reach between er-1 and er-2 (configuration only)."
    )
    gr.ops = {}
    er1_peering = gr.arm["expressRouteCircuits"][0]["properties"]["peerings"][0]
    er2_peering_id = gr.arm["expressRouteCircuits"][1]["properties"]["peerings"][0]["id"]
    er1_peering["properties"]["connections"] = [
        {
            "name": "er-1-to-er-2",
            "id": er1_peering["id"] + "/connections/er-1-to-er-2",
            "etag": ETAG,
            "type": "Microsoft.Network/expressRouteCircuits/peerings/connections",
            "properties": {
                "provisioningState": "Succeeded",
                "expressRouteCircuitPeering": {"id": er1_peering["id"]},
                "peerExpressRouteCircuitPeering": {"id": er2_peering_id},
                "addressPrefix": "192.168.40.0/29",
                "circuitConnectionStatus": "Connected",
            },
        }
    ]
    for circuit_doc in gr.arm["expressRouteCircuits"]:
        circuit_doc["properties"]["globalReachEnabled"] = True
    variants.append(gr)

    rs = testbed()
    rs.name = "interop-testbed-route-server"
    rs.description = (
        "The interop testbed with an Azure Route Server in the hub (branch-to-branch enabled) and the hub VPN "
        "gateway active-active with ASN 65515, so ExpressRoute and VPN routes are exchanged (configuration only)."
    )
    rs.ops = {}
    hub = rs.arm["virtualNetworks"][0]
    hub["properties"]["subnets"][0]["properties"]["addressPrefix"] = "10.10.30.0/26"
    hub["properties"]["subnets"].append(subnet("rg-hub", "hub-vnet", "RouteServerSubnet", "10.10.30.64/27"))
    rs.arm["virtualNetworkGateways"][1]["properties"]["activeActive"] = True
    server_id = rid("rg-hub", "virtualHubs", "hub-route-server")
    rs.add(
        "virtualHubs",
        {
            "name": "hub-route-server",
            "id": server_id,
            "etag": ETAG,
            "type": "Microsoft.Network/virtualHubs",
            "location": "eastus",
            "properties": {
                "provisioningState": "Succeeded",
                "sku": "Standard",
                "allowBranchToBranchTraffic": True,
                "virtualRouterAsn": 65515,
                "virtualRouterIps": ["10.10.30.68", "10.10.30.69"],
                "hubRoutingPreference": "ExpressRoute",
            },
        },
    )
    rs.add(
        "virtualHubIpConfigurations",
        {
            "name": "ipconfig1",
            "id": server_id + "/ipConfigurations/ipconfig1",
            "etag": ETAG,
            "type": "Microsoft.Network/virtualHubs/ipConfigurations",
            "properties": {
                "provisioningState": "Succeeded",
                "privateIPAddress": "10.10.30.68",
                "subnet": {
                    "id": rid("rg-hub", "virtualNetworks", "hub-vnet", "subnets", "RouteServerSubnet")
                },
            },
        },
    )
    variants.append(rs)

    drift = testbed()
    drift.name = "interop-testbed-drift"
    drift.description = (
        "The interop testbed with two edited observations: the spoke VM lacks the route to Location 2, "
        "and the hub VM shows a route to 10.99.0.0/16 that nothing in the configuration announces."
    )
    spoke_routes = drift.ops["effectiveRouteTable/spoke-vm-nic.json"]["body"]["value"]
    spoke_routes[:] = [r for r in spoke_routes if r["addressPrefix"] != ["10.1.31.0/25"]]
    hub_routes = drift.ops["effectiveRouteTable/hub-vm-nic.json"]["body"]["value"]
    hub_routes.insert(6, eff_gw("10.99.0.0/16", ["10.10.30.132", "10.10.30.133"]))
    variants.append(drift)
    return variants


def named(docs: list[Doc], name: str) -> Doc:
    return next(d for d in docs if d["name"] == name)


def props(fx: Fixture, kind: str, name: str) -> Doc:
    return named(fx.arm[kind], name)["properties"]


def subnet_props(fx: Fixture, vnet_name: str, subnet_name: str) -> Doc:
    return named(props(fx, "virtualNetworks", vnet_name)["subnets"], subnet_name)["properties"]


def variant(name: str, description: str, edit: Any, base: Any = None, keep_ops: bool = False) -> Fixture:
    """A copy of a base fixture (the testbed by default) with one change, for one rule."""
    fx = (base or testbed)()
    fx.name, fx.description = name, description
    if not keep_ops:
        fx.ops = {}
    edit(fx)
    return fx


def er_vpn_locations(name: str, description: str, weight: int) -> Fixture:
    """The data centre reached over two circuits at different peering locations."""
    fx = er_vpn(name, description, lng_prefixes=["10.2.0.0/16"], prefer=["ExpressRoute", "Vpn"])
    rg = "rg-net"
    er_gw = rid(rg, "virtualNetworkGateways", "hub-er-gw")
    props(fx, "connections", "hub-er-gw-to-dc-circuit")["routingWeight"] = weight
    second = fx.add("expressRouteCircuits", circuit(rg, "dc-circuit-london", "westeurope", "London", 65010,
                                                    "172.16.1.0/30", "172.16.1.4/30", 101))["id"]  # fmt: skip
    fx.add(
        "connections",
        connection(rg, "hub-er-gw-to-dc-circuit-london", "westeurope", "ExpressRoute", er_gw, peer=second),
    )
    return fx


def rule_scenarios() -> list[Fixture]:
    """One triggering scenario per rule of the catalogue (clean ones are the testbed and scenarios above)."""
    rg, loc = "rg-hub", "eastus"
    hub_rt = rid(rg, "routeTables", "hub-gateway-rt")
    spoke_rt = rid(rg, "routeTables", "spoke-rt")

    def second_hub(fx: Fixture) -> None:
        fx.add(
            "virtualNetworks",
            vnet(
                rg,
                "hub2-vnet",
                loc,
                "10.20.0.0/24",
                [subnet(rg, "hub2-vnet", "GatewaySubnet", "10.20.0.0/27")],
                [peering(rg, "hub2-vnet", "hub2-to-spoke", rg, "spoke-vnet", "10.11.30.0/26", transit=True)],
            ),
        )
        fx.add("virtualNetworkGateways", gateway(rg, "hub2-vpn-gw", loc, "hub2-vnet", "Vpn", "VpnGw1"))
        props(fx, "virtualNetworks", "spoke-vnet")["virtualNetworkPeerings"].append(
            peering(rg, "spoke-vnet", "spoke-to-hub2", rg, "hub2-vnet", "10.20.0.0/24", use_remote=True)
        )

    def own_gateway(fx: Fixture) -> None:
        props(fx, "virtualNetworks", "spoke-vnet")["subnets"].append(
            subnet(rg, "spoke-vnet", "GatewaySubnet", "10.11.30.32/27")
        )
        fx.add("virtualNetworkGateways", gateway(rg, "spoke-vpn-gw", loc, "spoke-vnet", "Vpn", "VpnGw1"))

    def disconnect(fx: Fixture) -> None:
        named(props(fx, "virtualNetworks", "hub-vnet")["virtualNetworkPeerings"], "hub-to-spoke")[
            "properties"
        ].update(peeringState="Disconnected", peeringSyncLevel="RemoteNotInSync")

    def basic(fx: Fixture) -> None:
        props(fx, "virtualNetworkGateways", "hub-vpn-gw").update(sku={"name": "Basic", "tier": "Basic"})

    def overlap(fx: Fixture) -> None:
        props(fx, "localNetworkGateways", "location-1-lng")["localNetworkAddressSpace"]["addressPrefixes"] = [
            "10.11.30.0/26"
        ]

    def route_tables(fx: Fixture, hub_routes: list[Any], spoke_routes: list[Any], *, spoke_propagation: bool = True,
                     gateway_propagation: bool = True) -> None:  # fmt: skip
        if hub_routes is not None:
            subnet_props(fx, "hub-vnet", "GatewaySubnet")["routeTable"] = {"id": hub_rt}
            fx.add(
                "routeTables",
                route_table(
                    rg,
                    "hub-gateway-rt",
                    loc,
                    hub_routes,
                    propagate=gateway_propagation,
                    subnets=[rid(rg, "virtualNetworks", "hub-vnet", "subnets", "GatewaySubnet")],
                ),
            )
        if spoke_routes is not None:
            subnet_props(fx, "spoke-vnet", "default")["routeTable"] = {"id": spoke_rt}
            fx.add(
                "routeTables",
                route_table(
                    rg,
                    "spoke-rt",
                    loc,
                    spoke_routes,
                    propagate=spoke_propagation,
                    subnets=[rid(rg, "virtualNetworks", "spoke-vnet", "subnets", "default")],
                ),
            )

    def nva(fx: Fixture) -> None:
        props(fx, "virtualNetworks", "hub-vnet")["subnets"][0]["properties"]["addressPrefix"] = (
            "10.10.30.0/26"
        )
        props(fx, "virtualNetworks", "hub-vnet")["subnets"].append(
            subnet(rg, "hub-vnet", "nva", "10.10.30.64/27")
        )
        appliance = nic(rg, "nva-nic", loc, "hub-vnet", "10.10.30.68")
        appliance["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] = rid(
            rg, "virtualNetworks", "hub-vnet", "subnets", "nva"
        )
        fx.add("networkInterfaces", appliance)
        route_tables(fx, None, [("default-via-nva", "0.0.0.0/0", "VirtualAppliance", "10.10.30.68")])  # type: ignore[arg-type]

    def asn(fx: Fixture, value: int) -> None:
        props(fx, "localNetworkGateways", "location-1-lng")["bgpSettings"]["asn"] = value
        fx.sites[0]["asn"] = value  # type: ignore[index]

    def same_asn(fx: Fixture) -> None:
        bgp = props(fx, "virtualNetworkGateways", "branch-vpn-gw")["bgpSettings"]
        bgp["asn"] = 65515

    def one_sided(fx: Fixture) -> None:
        props(fx, "localNetworkGateways", "location-1-lng").pop("bgpSettings")

    def peer_down(fx: Fixture) -> None:
        fx.ops["getBgpPeerStatus/hub-vpn-gw.json"]["body"]["value"][1]["state"] = "Connecting"

    def er1_redundant(fx: Fixture) -> None:
        fx.ops["routeTablesSummary/er-1-secondary.json"]["body"] = summary(
            "192.168.30.21", 65021, "12d00h", "1"
        )
        table = fx.ops["routeTables/er-1-secondary.json"]["body"]["value"]
        table.insert(0, circuit_route("10.2.30.0/25", "192.168.30.21", "65021"))

    def peer_remote(fx: Fixture) -> None:
        props(fx, "virtualNetworks", "hub-vnet")["virtualNetworkPeerings"].append(
            peering(rg, "hub-vnet", "hub-to-remote", "rg-remote", "remote-vnet", "10.17.30.0/24")
        )
        props(fx, "virtualNetworks", "remote-vnet")["virtualNetworkPeerings"] = [
            peering("rg-remote", "remote-vnet", "remote-to-hub", rg, "hub-vnet", "10.10.30.0/24")
        ]

    def limit(fx: Fixture) -> None:
        fx.ops["routeTablesSummary/er-2-primary.json"]["body"] = summary(
            "192.168.31.17", 65022, "12d00h", "3900"
        )

    def vpn_limit(fx: Fixture) -> None:
        fx.ops["getBgpPeerStatus/hub-vpn-gw.json"]["body"]["value"][1]["routesReceived"] = 3500

    def many_prefixes(fx: Fixture) -> None:
        props(fx, "virtualNetworks", "hub-vnet")["addressSpace"]["addressPrefixes"] += [
            f"10.100.{i}.0/24" for i in range(250)
        ]

    def observation_failed(fx: Fixture) -> None:
        record = fx.ops["effectiveRouteTable/remote-vm-nic.json"]
        record.update(
            status=400,
            body={
                "error": {
                    "code": "NicNotAttachedToRunningVm",
                    "message": "The VM of the network interface is deallocated.",
                }
            },
        )

    def partial(fx: Fixture) -> None:
        for doc, site in zip(fx.arm.pop("expressRouteCircuits"), fx.sites or [], strict=True):
            site["circuits"] = [doc["id"]]

    def forbidden(fx: Fixture) -> None:
        fx.extra["gaps"] = [
            {
                "scope": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-other",
                "operation": "list virtualNetworks",
                "status": 403,
                "code": "AuthorizationFailed",
                "message": "The client does not have authorization over resource group 'rg-other'.",
            }
        ]

    def weights(fx: Fixture) -> None:
        named(fx.arm["expressRouteCircuits"], "er-2")["location"] = "westus2"
        props(fx, "connections", "hub-er-gw-to-er-2")["routingWeight"] = 100

    def route_server(fx: Fixture) -> None:
        props(fx, "virtualNetworkGateways", "hub-vpn-gw")["activeActive"] = False

    def nva_refused(fx: Fixture) -> None:
        nva(fx)
        named(props(fx, "virtualNetworks", "spoke-vnet")["virtualNetworkPeerings"], "spoke-to-hub")[
            "properties"
        ]["allowForwardedTraffic"] = False
        props(fx, "networkInterfaces", "nva-nic")["enableIPForwarding"] = True

    def many_links(fx: Fixture) -> None:
        er2 = named(fx.arm["expressRouteCircuits"], "er-2")["id"]
        for i in range(10):
            name = f"extra-{i}-vnet"
            fx.add(
                "virtualNetworks",
                vnet(
                    rg, name, loc, f"10.60.{i}.0/24", [subnet(rg, name, "GatewaySubnet", f"10.60.{i}.0/27")]
                ),
            )
            gw = fx.add(
                "virtualNetworkGateways", gateway(rg, f"{name}-er-gw", loc, name, "ExpressRoute", "Standard")
            )["id"]
            fx.add("connections", connection(rg, f"{name}-to-er-2", loc, "ExpressRoute", gw, peer=er2))

    def vnet_range(fx: Fixture) -> None:
        fx.ops["getLearnedRoutes/hub-vpn-gw.json"]["body"]["value"].append(
            learned("10.10.30.254", "10.11.30.0/27", "10.2.30.125", "10.2.30.125", "EBgp", "65021", 32768)
        )

    def hub_udr(fx: Fixture) -> None:
        table = rid(rg, "routeTables", "hub-default-rt")
        subnet_props(fx, "hub-vnet", "default")["routeTable"] = {"id": table}
        fx.add(
            "routeTables",
            route_table(
                rg,
                "hub-default-rt",
                loc,
                [("onprem-via-gateway", "10.2.30.0/25", "VirtualNetworkGateway", None)],
                subnets=[rid(rg, "virtualNetworks", "hub-vnet", "subnets", "default")],
            ),
        )

    return [
        variant(
            "dual-hub-remote-gateways",
            "The spoke uses remote gateways towards two hubs (TRN004).",
            second_hub,
        ),
        variant(
            "spoke-with-own-gateway",
            "The spoke has its own VPN gateway and uses the hub's (TRN005).",
            own_gateway,
        ),
        variant(
            "peering-disconnected",
            "The hub's peering to the spoke is Disconnected and out of sync (TRN006).",
            disconnect,
        ),
        variant(
            "basic-gateway-transit", "The hub offers transit through a Basic VPN gateway (TRN007).", basic
        ),
        variant("overlapping-onprem", "Location 1's LNG address space overlaps the spoke (TRN008).", overlap),
        variant(
            "nva-without-forwarding",
            "The spoke routes 0.0.0.0/0 to an NVA whose NIC does not forward (TRN009).",
            nva,
        ),
        variant(
            "reserved-asn",
            "Location 1 uses ASN 65515, reserved by Azure (BGP001).",
            lambda fx: asn(fx, 65515),
        ),
        variant(
            "er-peer-asn-65516",
            "ER 1's private peering uses peer ASN 65516 (BGP002).",
            lambda fx: named(fx.arm["expressRouteCircuits"], "er-1")["properties"]["peerings"][0][
                "properties"
            ].update(peerASN=65516),
        ),
        variant(
            "vnet2vnet-same-asn",
            "The branch VPN gateway keeps ASN 65515 on a BGP Vnet2Vnet link (BGP003).",
            same_asn,
        ),
        variant(
            "bgp-one-sided",
            "The Location 1 connection enables BGP, its LNG has no BGP settings (BGP004).",
            one_sided,
        ),
        variant(
            "bgp-peer-down",
            "The hub VPN gateway's BGP session with Location 1 is Connecting (BGP005).",
            peer_down,
            keep_ops=True,
        ),
        variant(
            "route-server-not-active-active",
            "Route Server branch-to-branch with an active-standby VPN gateway (BGP006).",
            route_server,
            base=lambda: testbed_variants()[1],
        ),
        variant(
            "gateway-subnet-default-route",
            "The hub's GatewaySubnet routes 0.0.0.0/0 to an appliance (GWS001).",
            lambda fx: route_tables(fx, [("default", "0.0.0.0/0", "VirtualAppliance", "10.10.30.4")], None),
        ),  # type: ignore[arg-type]
        variant(
            "gateway-subnet-nsg",
            "An NSG is attached to the hub's GatewaySubnet (GWS002).",
            lambda fx: subnet_props(fx, "hub-vnet", "GatewaySubnet").update(
                networkSecurityGroup={"id": rid(rg, "networkSecurityGroups", "hub-nsg")}
            ),
        ),
        variant(
            "gateway-subnet-no-propagation",
            "The hub's GatewaySubnet route table disables propagation (GWS003).",
            lambda fx: route_tables(fx, [], None, gateway_propagation=False),
        ),  # type: ignore[arg-type]
        variant(
            "gateway-subnet-self-route",
            "The hub's GatewaySubnet routes the whole hub range to an appliance (GWS004).",
            lambda fx: route_tables(
                fx, [("hub-via-nva", "10.10.30.0/24", "VirtualAppliance", "10.10.30.4")], None
            ),
        ),  # type: ignore[arg-type]
        variant(
            "gateway-subnet-too-small",
            "The remote VNet's GatewaySubnet is a /28 (GWS005).",
            lambda fx: subnet_props(fx, "remote-vnet", "GatewaySubnet").update(
                addressPrefix="10.17.30.32/28"
            ),
        ),
        variant(
            "coexistence-basic-vpn",
            "The hub's VPN gateway, coexisting with ExpressRoute, is Basic (GWS006).",
            basic,
        ),
        variant(
            "udr-to-expressroute-gateway",
            "A hub subnet route names the virtual network gateway (GWS007).",
            hub_udr,
        ),
        variant(
            "circuit-not-provisioned",
            "ER 2 is still Provisioning at the service provider (ERC001).",
            lambda fx: named(fx.arm["expressRouteCircuits"], "er-2")["properties"].update(
                serviceProviderProvisioningState="Provisioning"
            ),
        ),
        variant(
            "interop-testbed-er1-redundant",
            "The testbed with ER 1's secondary BGP session up.",
            er1_redundant,
            keep_ops=True,
        ),
        variant(
            "interop-testbed-peered-remote",
            "The testbed with the hub and remote VNets globally peered.",
            peer_remote,
        ),
        variant(
            "fastpath-standard-gateway",
            "FastPath on the hub's ExpressRoute connection to ER 1 with a Standard gateway (ERC005).",
            lambda fx: props(fx, "connections", "hub-er-gw-to-er-1").update(expressRouteGatewayBypass=True),
        ),
        variant(
            "circuit-prefix-limit",
            "ER 2's primary session receives 3,900 prefixes on a Standard circuit (LIM001).",
            limit,
            keep_ops=True,
        ),
        variant(
            "many-azure-prefixes",
            "The hub advertises 252 prefixes over ExpressRoute (LIM002).",
            many_prefixes,
        ),
        variant(
            "vpn-peer-prefix-limit",
            "Location 1 sends 3,500 routes to the hub VPN gateway (LIM003).",
            vpn_limit,
            keep_ops=True,
        ),
        variant(
            "spoke-propagation-off",
            "The spoke's route table disables gateway routes and has none of its own (UDR001).",
            lambda fx: route_tables(fx, None, [], spoke_propagation=False),
        ),  # type: ignore[arg-type]
        er_vpn(
            "forced-tunnel",
            "The data centre advertises 0.0.0.0/0 over ExpressRoute and VPN (UDR002).",
            lng_prefixes=["10.2.0.0/16"],
            prefer=["ExpressRoute", "Vpn"],
            site_prefixes=("10.2.0.0/16", "0.0.0.0/0"),
        ),
        variant(
            "appliance-on-premises",
            "The spoke routes 0.0.0.0/0 to an on-premises firewall address (UDR003).",
            lambda fx: route_tables(
                fx, None, [("default-onprem", "0.0.0.0/0", "VirtualAppliance", "192.168.10.1")]
            ),
        ),  # type: ignore[arg-type]
        variant(
            "observation-failed",
            "The remote VM's effective routes could not be read (COV001).",
            observation_failed,
            keep_ops=True,
        ),
        variant(
            "partial-snapshot",
            "The testbed without its ExpressRoute circuits' resource group (COV002).",
            partial,
        ),
        variant(
            "collection-forbidden", "A resource group answered 403 during collection (COV003).", forbidden
        ),
        variant(
            "bgp-on-basic-gateway",
            "The hub VPN gateway is Basic while its connections enable BGP (BGP007).",
            basic,
        ),
        variant(
            "nva-forwarding-refused",
            "The spoke routes 0.0.0.0/0 to a hub NVA; its peering refuses forwarded traffic (TRN010).",
            nva_refused,
        ),
        er_vpn_locations(
            "ecmp-two-locations",
            "The data centre over circuits in Amsterdam and London, equal weights (PRF004).",
            0,
        ),
        er_vpn_locations(
            "weighted-two-locations", "The same, with the Amsterdam connection weighted 100.", 100
        ),
        variant(
            "circuit-too-many-links", "Eleven VNets linked to the Standard circuit ER 2 (LIM004).", many_links
        ),
        variant(
            "onprem-advertises-vnet-range",
            "The hub VPN gateway learns 10.11.30.0/27 (inside the spoke) from Location 1 (UDR004).",
            vnet_range,
            keep_ops=True,
        ),
        variant(
            "weight-favours-remote-circuit",
            "ER 2 is in another region and weighted above local ER 1 (PRF002).",
            weights,
        ),
        er_vpn(
            "vpn-backup-gap",
            "The site has two prefixes; the backup VPN carries only one (PRF003).",
            lng_prefixes=["10.2.0.0/16"],
            prefer=["ExpressRoute", "Vpn"],
            site_prefixes=("10.2.0.0/16", "10.3.0.0/16"),
        ),
    ]


def main() -> None:
    for fixture in [testbed(), *testbed_variants(), *scenarios(), *rule_scenarios()]:
        fixture.write()
        print(f"wrote fixtures/{fixture.name}")


if __name__ == "__main__":
    main()
