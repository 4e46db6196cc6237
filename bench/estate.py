"""A synthetic estate generator: hubs with ExpressRoute and VPN gateways, spokes, circuits shared by
neighbouring hubs (VNet-to-VNet hairpins), on-premises sites with many prefixes, VPN backups.

`python bench/estate.py OUT --vnets 1000` writes a fixture (format v1) to OUT.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import shutil
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/estate.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import arm as mf

SPOKES_PER_HUB = 49
CIRCUIT_HUBS = 2  # each circuit is linked to this many hubs (hairpin between them)


def generate(
    out: Path, vnets: int, prefixes_per_site: int = 40, spokes_per_hub: int = SPOKES_PER_HUB, nics: int = 0
) -> dict[str, int]:
    """Writes the estate (with `nics` VM NICs spread over the VNets' default subnets); returns its counts."""
    hubs = max(1, -(-vnets // (spokes_per_hub + 1)))
    shutil.rmtree(out, ignore_errors=True)
    fx = mf.Estate(out.name, f"synthetic estate: {vnets} VNets, {hubs} hubs")
    rg, loc = "rg-bench", "westeurope"
    made = 0
    # 1,280 site blocks (100.64.0.0/10, then 172.16.0.0/12): up to 64,000 VNets
    site_blocks = itertools.chain(
        ipaddress.ip_network("100.64.0.0/10").subnets(new_prefix=20),
        ipaddress.ip_network("172.16.0.0/12").subnets(new_prefix=20),
    )
    for h in range(hubs):
        hub = f"hub-{h:03d}"
        block = ipaddress.ip_network(f"10.{h // 4}.{(h % 4) * 64}.0/18")
        subnets = list(block.subnets(new_prefix=24))
        hub_space = str(next(block.subnets(new_prefix=23)))  # the hub holds the block's first two /24s
        peerings: list[dict[str, Any]] = []
        spokes = min(spokes_per_hub, vnets - made - 1)
        for s in range(spokes):
            spoke = f"spoke-{h:03d}-{s:02d}"
            space = str(subnets[s + 2])
            peerings.append(mf.peering(rg, hub, f"{hub}-to-{spoke}", rg, spoke, space, transit=True))
            fx.add(
                "virtualNetworks",
                mf.vnet(
                    rg,
                    spoke,
                    loc,
                    space,
                    [mf.subnet(rg, spoke, "default", space)],
                    [mf.peering(rg, spoke, f"{spoke}-to-{hub}", rg, hub, hub_space, use_remote=True)],
                ),
            )
        fx.add(
            "virtualNetworks",
            mf.vnet(
                rg,
                hub,
                loc,
                hub_space,
                [
                    mf.subnet(rg, hub, "default", str(subnets[0])),
                    mf.subnet(rg, hub, "GatewaySubnet", str(subnets[1])),
                ],
                peerings,
            ),
        )
        made += spokes + 1
        er_gw = fx.add(
            "virtualNetworkGateways", mf.gateway(rg, f"{hub}-er-gw", loc, hub, "ExpressRoute", "ErGw3AZ")
        )["id"]
        vpn_ip = str(subnets[1].network_address + 254)
        vpn_gw = fx.add(
            "virtualNetworkGateways",
            mf.gateway(
                rg,
                f"{hub}-vpn-gw",
                loc,
                hub,
                "Vpn",
                "VpnGw2AZ",
                bgp_ip=vpn_ip,
                public_ip=f"198.51.{h // 250}.{h % 250}",
            ),
        )["id"]
        # site h: prefixes from 172.16/12, reached by circuit c = h // CIRCUIT_HUBS and by a BGP VPN
        asn = 64600 + h
        blocks = list(next(site_blocks).subnets(new_prefix=26))[:prefixes_per_site]
        circuit_index = h // CIRCUIT_HUBS
        circuit_name = f"circuit-{circuit_index:03d}"
        if h % CIRCUIT_HUBS == 0:
            third = (circuit_index * 8) % 256
            fx.add(
                "expressRouteCircuits",
                mf.circuit(
                    rg,
                    circuit_name,
                    loc,
                    "Amsterdam",
                    asn,
                    f"192.168.{third}.0/30",
                    f"192.168.{third}.4/30",
                    100 + circuit_index,
                ),
            )
        circuit_id = mf.rid(rg, "expressRouteCircuits", circuit_name)
        fx.add("connections", mf.connection(rg, f"{hub}-er", loc, "ExpressRoute", er_gw, peer=circuit_id))
        lng = fx.add(
            "localNetworkGateways",
            mf.local_gateway(
                rg,
                f"site-{h:03d}-lng",
                loc,
                f"203.0.{h // 250}.{h % 250}",
                [],
                asn=asn,
                bgp_ip=str(blocks[0].network_address + 1),
            ),
        )["id"]
        fx.add("connections", mf.connection(rg, f"{hub}-vpn", loc, "IPsec", vpn_gw, lng=lng, bgp=True))
        circuits = [circuit_name] if h % CIRCUIT_HUBS == 0 else []
        fx.sites.append(
            {
                "name": f"site-{h:03d}",
                "asn": asn,
                "prefixes": [str(b) for b in blocks],
                "prefer": ["ExpressRoute", "Vpn"],
                "circuits": circuits,
                "localNetworkGateways": [f"site-{h:03d}-lng"],
            }
        )
    names = [doc["name"] for doc in fx.arm["virtualNetworks"]]
    for n in range(nics):
        vnet_name = names[n % len(names)]
        nic = mf.nic(rg, f"vm-{n:04d}-nic", loc, vnet_name, f"10.255.{n // 250}.{n % 250 + 4}")
        nic["properties"]["ipConfigurations"][0]["properties"].pop("privateIPAddress")
        fx.add("networkInterfaces", nic)
    fx.write(out)
    manifest = json.loads((out / "fixture.json").read_text())
    return {
        "vnets": vnets,
        "hubs": hubs,
        "sites": len(manifest["sites"]),
        "sitePrefixes": hubs * prefixes_per_site,
        "nics": nics,
        "gateways": len(fx.arm["virtualNetworkGateways"]),
        "circuits": len(fx.arm["expressRouteCircuits"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--vnets", type=int, default=1000)
    parser.add_argument("--prefixes-per-site", type=int, default=40)
    args = parser.parse_args(argv)
    print(json.dumps(generate(args.out, args.vnets, args.prefixes_per_site)))


if __name__ == "__main__":
    sys.exit(main())
