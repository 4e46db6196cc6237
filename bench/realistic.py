"""A realistic estate: regions of four hubs with hundreds of spokes behind firewalls.

Each hub has an appliance NIC with IP forwarding in AzureFirewallSubnet (the firewall), a
GatewaySubnet route table sending the hub's spokes to the firewall, an ExpressRoute gateway and a
BGP VPN gateway (ASN 65515). Spokes are /24s with two /25 subnets, peered with
`useRemoteGateways` (the hub allows transit); 90% of spokes have a route table `0.0.0.0/0 ->
firewall` on both subnets, and 20% of those keep BGP propagation on. Each hub links to four
circuits of its region and each circuit serves two hubs; each datacenter site sits behind two
circuits with 1,500 prefixes; branch sites reach two hubs over BGP VPN with 100 prefixes each.
At 10,000 spokes: 20 hubs, 40 circuits, 20 datacenters, 200 branches (scaled with the spokes).

`Shape.site_heavy` is the same estate with sites that grow with the hubs (hubs = spokes / 50, so
a datacenter and ten branches per 50 spokes) and are declared with their prefixes only: no
`circuits` and no `localNetworkGateways` lists, so their links are found by ASN and by the local
network gateways' address space overlapping the sites' prefixes.

    python bench/realistic.py OUT --spokes 1000 [--site-heavy]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import arm

REGIONS = (
    "westeurope",
    "northeurope",
    "eastus",
    "eastus2",
    "westus2",
    "centralus",
    "uksouth",
    "francecentral",
)
PEERING = {
    "westeurope": "Amsterdam",
    "northeurope": "Dublin",
    "eastus": "Washington DC",
    "eastus2": "Washington DC",
    "westus2": "Seattle",
    "centralus": "Chicago",
    "uksouth": "London",
    "francecentral": "Paris",
}
SPOKE_BLOCK = ipaddress.ip_network("10.64.0.0/10")  # /24 spokes
DC_BLOCK = ipaddress.ip_network("172.16.0.0/12")  # /27 datacenter prefixes
BRANCH_BLOCK = ipaddress.ip_network("10.128.0.0/9")  # /26 branch prefixes


@dataclass(frozen=True)
class Shape:
    spokes: int
    hubs: int
    circuits: int
    datacenters: int
    branches: int
    dc_prefixes: int = 1500
    branch_prefixes: int = 100
    dc_prefix_length: int = 27
    # sites name their circuits and local network gateways (False: found by ASN and address space)
    site_links: bool = True

    @classmethod
    def scaled(cls, spokes: int, **overrides: int) -> Shape:
        factor = spokes / 10_000
        hubs = overrides.get("hubs") or max(1, round(20 * factor))
        shape = {
            "hubs": hubs,
            "circuits": overrides.get("circuits") or 2 * hubs,
            "datacenters": overrides.get("datacenters") or hubs,
            "branches": overrides.get("branches") or 10 * hubs,
        }
        extra = {k: v for k, v in overrides.items() if k in ("dc_prefixes", "branch_prefixes") and v}
        return cls(spokes=spokes, **shape, **extra)

    @classmethod
    def site_heavy(cls, spokes: int, **overrides: int) -> Shape:
        """Sites grow with the hubs (hubs = spokes / 50) and are declared without link lists."""
        shape = cls.scaled(spokes, **{**overrides, "hubs": overrides.get("hubs") or max(1, spokes // 50)})
        # /29s: 1,500 prefixes for each of 50 datacenters at 2,500 spokes fit in 172.16.0.0/12
        return replace(shape, dc_prefix_length=29, site_links=False)


def _blocks(block: ipaddress.IPv4Network, new_prefix: int) -> Any:
    return block.subnets(new_prefix=new_prefix)


def generate(out: Path, shape: Shape) -> dict[str, int]:
    """Write the estate to `out` (format v1); return its counts."""
    rg = "rg-net"
    estate = arm.Estate(out.name, f"realistic estate: {shape}")
    spokes = _blocks(SPOKE_BLOCK, 24)
    dc_prefixes = _blocks(DC_BLOCK, shape.dc_prefix_length)
    branch_prefixes = _blocks(BRANCH_BLOCK, 26)
    hub_names = [f"hub-{h:02d}" for h in range(shape.hubs)]
    region_of = {h: REGIONS[(h // 4) % len(REGIONS)] for h in range(shape.hubs)}
    firewall = {h: f"10.1.{h}.68" for h in range(shape.hubs)}
    vpn_ip = {h: f"10.1.{h}.30" for h in range(shape.hubs)}

    # circuits: two per hub, grouped by region; hub h links its own two and its region neighbour's
    circuits = [f"er-{c:02d}" for c in range(shape.circuits)]
    links: dict[int, list[int]] = {}
    for h in range(shape.hubs):
        region = [x for x in range(shape.hubs) if region_of[x] == region_of[h]]
        nxt = region[(region.index(h) + 1) % len(region)]
        own = [c for c in (2 * h, 2 * h + 1) if c < shape.circuits]
        theirs = [c for c in (2 * nxt, 2 * nxt + 1) if c < shape.circuits and nxt != h]
        links[h] = own + theirs
    sites: list[dict[str, Any]] = []
    for d in range(shape.datacenters):
        asn = 64600 + d
        mine = [c for c in (2 * d, 2 * d + 1) if c < shape.circuits] or [d % shape.circuits]
        site: dict[str, Any] = {
            "name": f"dc-{d:02d}",
            "asn": asn,
            "prefixes": [str(next(dc_prefixes)) for _ in range(shape.dc_prefixes)],
            "prefer": ["ExpressRoute", "Vpn"],
        }
        if shape.site_links:
            site.update(circuits=[circuits[c] for c in mine], localNetworkGateways=[])
        sites.append(site)
    for c, name in enumerate(circuits):
        d = min(c // 2, shape.datacenters - 1)
        hub = min(c // 2, shape.hubs - 1)
        third = c % 256
        estate.add(
            "expressRouteCircuits",
            arm.circuit(
                rg,
                name,
                region_of[hub],
                PEERING[region_of[hub]],
                64600 + d,
                f"192.168.{third}.0/30",
                f"192.168.{third}.4/30",
                100 + c,
            ),
        )

    vpn_gateways: dict[int, str] = {}
    per_hub = [
        shape.spokes // shape.hubs + (1 if h < shape.spokes % shape.hubs else 0) for h in range(shape.hubs)
    ]
    n = 0
    for h, hub in enumerate(hub_names):
        loc = region_of[h]
        spoke_spaces = [next(spokes) for _ in range(per_hub[h])]
        hub_space = f"10.1.{h}.0/24"
        peerings = []
        for s, space in enumerate(spoke_spaces):
            spoke = f"spoke-{h:02d}-{s:03d}"
            halves = list(space.subnets(new_prefix=25))
            table = None
            if n % 10 != 9:  # 90% behind the firewall
                table = arm.rid(rg, "routeTables", f"{spoke}-rt")
                estate.add(
                    "routeTables",
                    _route_table(
                        rg,
                        f"{spoke}-rt",
                        loc,
                        [("default-to-firewall", "0.0.0.0/0", firewall[h])],
                        propagation=n % 5 == 0,  # 20% of them keep BGP propagation on
                        subnets=[
                            arm.rid(rg, "virtualNetworks", spoke, "subnets", x) for x in ("app", "data")
                        ],
                    ),
                )
            estate.add(
                "virtualNetworks",
                arm.vnet(
                    rg,
                    spoke,
                    loc,
                    str(space),
                    [
                        arm.subnet(rg, spoke, "app", str(halves[0]), table),
                        arm.subnet(rg, spoke, "data", str(halves[1]), table),
                    ],
                    [arm.peering(rg, spoke, f"{spoke}-to-{hub}", rg, hub, hub_space, use_remote=True)],
                ),
            )
            peerings.append(arm.peering(rg, hub, f"{hub}-to-{spoke}", rg, spoke, str(space), transit=True))
            n += 1
        gw_table = arm.rid(rg, "routeTables", f"{hub}-gateway-rt")
        # one route per spoke: a less specific route would lose to the peering routes
        estate.add(
            "routeTables",
            _route_table(
                rg,
                f"{hub}-gateway-rt",
                loc,
                [(f"spoke-{i:03d}", str(p), firewall[h]) for i, p in enumerate(spoke_spaces)],
                propagation=True,
                subnets=[arm.rid(rg, "virtualNetworks", hub, "subnets", "GatewaySubnet")],
            ),
        )
        estate.add(
            "virtualNetworks",
            arm.vnet(
                rg,
                hub,
                loc,
                hub_space,
                [
                    arm.subnet(rg, hub, "GatewaySubnet", f"10.1.{h}.0/27", gw_table),
                    arm.subnet(rg, hub, "AzureFirewallSubnet", f"10.1.{h}.64/26"),
                    arm.subnet(rg, hub, "shared", f"10.1.{h}.128/26"),
                ],
                peerings,
            ),
        )
        nic = arm.nic(rg, f"{hub}-fw-nic", loc, hub, firewall[h])
        nic["properties"]["enableIPForwarding"] = True
        nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] = arm.rid(
            rg, "virtualNetworks", hub, "subnets", "AzureFirewallSubnet"
        )
        estate.add("networkInterfaces", nic)
        er_gw = estate.add(
            "virtualNetworkGateways", arm.gateway(rg, f"{hub}-er-gw", loc, hub, "ExpressRoute", "ErGw3AZ")
        )
        vpn_gw = estate.add(
            "virtualNetworkGateways",
            arm.gateway(
                rg,
                f"{hub}-vpn-gw",
                loc,
                hub,
                "Vpn",
                "VpnGw2AZ",
                bgp_ip=vpn_ip[h],
                public_ip=f"198.51.100.{h}",
            ),
        )
        for c in links[h]:
            estate.add(
                "connections",
                arm.connection(
                    rg,
                    f"{hub}-to-{circuits[c]}",
                    loc,
                    "ExpressRoute",
                    er_gw["id"],
                    peer=arm.rid(rg, "expressRouteCircuits", circuits[c]),
                ),
            )
        vpn_gateways[h] = vpn_gw["id"]

    # branches: BGP VPN to their hub and the next one of the region
    for b in range(shape.branches):
        h = b % shape.hubs
        region = [x for x in range(shape.hubs) if region_of[x] == region_of[h]]
        hubs = [h, region[(region.index(h) + 1) % len(region)]]
        prefixes = [next(branch_prefixes) for _ in range(shape.branch_prefixes)]
        peer = str(prefixes[0].network_address + 1)
        lng = estate.add(
            "localNetworkGateways",
            arm.local_gateway(
                rg,
                f"branch-{b:03d}-lng",
                region_of[h],
                f"203.0.{b // 250}.{b % 250}",
                [f"{peer}/32"],
                asn=65100 + b,
                bgp_ip=peer,
            ),
        )
        for x in dict.fromkeys(hubs):
            estate.add(
                "connections",
                arm.connection(
                    rg,
                    f"hub-{x:02d}-to-branch-{b:03d}",
                    region_of[x],
                    "IPsec",
                    vpn_gateways[x],
                    lng=lng["id"],
                    bgp=True,
                ),
            )
        branch: dict[str, Any] = {
            "name": f"branch-{b:03d}",
            "asn": 65100 + b,
            "prefixes": [str(p) for p in prefixes],
        }
        if shape.site_links:
            branch["localNetworkGateways"] = [f"branch-{b:03d}-lng"]
        sites.append(branch)
    estate.sites = sites
    estate.write(out)
    return {
        "spokes": shape.spokes,
        "hubs": shape.hubs,
        "circuits": shape.circuits,
        "datacenters": shape.datacenters,
        "branches": shape.branches,
        "sites": len(sites),
        "onPremPrefixes": shape.datacenters * shape.dc_prefixes + shape.branches * shape.branch_prefixes,
        "vnets": len(estate.arm["virtualNetworks"]),
        "subnets": sum(len(v["properties"]["subnets"]) for v in estate.arm["virtualNetworks"]),
        "routeTables": len(estate.arm["routeTables"]),
    }


def _route_table(
    rg: str, name: str, loc: str, routes: list[tuple[str, str, str]], *, propagation: bool, subnets: list[str]
) -> dict[str, Any]:
    table = arm.rid(rg, "routeTables", name)
    return {
        "name": name,
        "id": table,
        "type": "Microsoft.Network/routeTables",
        "location": loc,
        "properties": {
            "provisioningState": "Succeeded",
            "disableBgpRoutePropagation": not propagation,
            "routes": [
                {
                    "name": rname,
                    "id": f"{table}/routes/{rname}",
                    "properties": {
                        "addressPrefix": prefix,
                        "nextHopType": "VirtualAppliance",
                        "nextHopIpAddress": hop,
                    },
                }
                for rname, prefix, hop in routes
            ],
            "subnets": [{"id": s} for s in subnets],
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--spokes", type=int, default=1000)
    parser.add_argument("--site-heavy", action="store_true", help="Shape.site_heavy")
    args = parser.parse_args(argv)
    shape = Shape.site_heavy(args.spokes) if args.site_heavy else Shape.scaled(args.spokes)
    print(json.dumps(generate(args.out, shape)))


if __name__ == "__main__":
    main()
