"""Collector speed against `azroute serve`: wall time versus the lower bound, and versus a plain
sequential SDK loop over the same endpoint.

    python bench/collect.py [--scale 0.05] [--concurrency 64]
    python bench/collect.py --estimate 10000     (realistic estate: calls and time under ARM's limits)

The estate: 200 VNets, 40 gateways (20 hubs with ExpressRoute and VPN), 10 circuits, 500 NICs.
Operation latencies are ARM's usual ones scaled down uniformly by --scale (effective routes
20 s, learned routes 10 s, BGP peer status and advertised routes 5 s, circuit tables 5 s and
3 s), and so is ARM's read budget (250 burst, 25/s refill, per subscription): the refill rate
is divided by the scale. The lower bound is the larger of the slowest dependency chain
(list the resource groups, list the resources, then the longest operation chain: BGP peer
status then advertised routes) and the time the token bucket needs to admit every request the
collection makes. No assertions: the numbers go into the closing note.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from azure.core.pipeline.policies import SansIOHTTPPolicy  # noqa: E402

from auditor.live.collector import CollectOptions, Collector, LocalCredential  # noqa: E402
from auditor.writer import dump_json  # noqa: E402
from bench.estate import generate  # noqa: E402

SUB = "00000000-0000-0000-0000-000000000000"
LATENCY = {  # seconds at full scale
    "effectiveRouteTable": 20.0,
    "getLearnedRoutes": 10.0,
    "getBgpPeerStatus": 5.0,
    "getAdvertisedRoutes": 5.0,
    "routeTables": 5.0,
    "routeTablesSummary": 3.0,
}


class _Counter(SansIOHTTPPolicy[Any, Any]):
    """Counts the requests the collector sends (retries included)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def on_request(self, request: Any) -> None:
        with self._lock:
            self.count += 1


def record_observations(root: Path) -> None:
    """Give every operation the collector will ask for a small recorded result."""
    ops = root / "operations"
    arm = {d["id"]: d for f in (root / "arm").glob("*.json") for d in json.loads(f.read_text())["value"]}

    def write(name: str, rid: str, op: str, body: Any, params: dict[str, str] | None = None) -> None:
        dump_json(
            ops / op / f"{name}.json",
            {"resourceId": rid, "operation": op, "parameters": params or {}, "status": 200, "body": body},
        )

    for rid, doc in arm.items():
        kind = rid.split("/")[-2]
        if kind == "networkInterfaces":
            write(doc["name"], rid, "effectiveRouteTable", {"value": []})
        elif kind == "virtualNetworkGateways":
            write(doc["name"], rid, "getLearnedRoutes", {"value": []})
            props = doc["properties"]
            if props["gatewayType"] == "Vpn":
                peer = props["bgpSettings"]["bgpPeeringAddress"].rsplit(".", 1)[0] + ".1"
                write(
                    doc["name"],
                    rid,
                    "getBgpPeerStatus",
                    {"value": [{"neighbor": peer, "asn": 64600, "state": "Connected"}]},
                )
                write(f"{doc['name']}-{peer}", rid, "getAdvertisedRoutes", {"value": []}, {"peer": peer})
        elif kind == "expressRouteCircuits":
            peering = doc["properties"]["peerings"][0]["id"]
            for path in ("primary", "secondary"):
                write(f"{doc['name']}-{path}", peering, "routeTables", {"value": []}, {"devicePath": path})
                write(
                    f"{doc['name']}-{path}",
                    peering,
                    "routeTablesSummary",
                    {"value": []},
                    {"devicePath": path},
                )


def sequential(url: str, ca: str, burst: float, rate: float, poll: float) -> float:
    """A plain loop over the same SDK calls, one at a time (same throttle budget)."""
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    from auditor.live.policies import ThrottlePolicy

    kwargs: dict[str, Any] = {"base_url": url, "connection_verify": ca, "polling_interval": poll,
                              "per_call_policies": [ThrottlePolicy({}, burst, rate)]}  # fmt: skip
    start_time = time.monotonic()
    net = NetworkManagementClient(LocalCredential(), SUB, **kwargs)
    groups = [
        g.name for g in ResourceManagementClient(LocalCredential(), SUB, **kwargs).resource_groups.list()
    ]
    for rg in groups:
        vnets = list(net.virtual_networks.list(rg))
        gateways = list(net.virtual_network_gateways.list(rg))
        list(net.virtual_network_gateway_connections.list(rg))
        list(net.local_network_gateways.list(rg))
        circuits = list(net.express_route_circuits.list(rg))
        list(net.route_tables.list(rg))
        nics = list(net.network_interfaces.list(rg))
        list(net.virtual_hubs.list_by_resource_group(rg))
        seen: set[str] = set()
        for nic in nics:  # one NIC per subnet, as the collector's default
            subnet = nic.ip_configurations[0].subnet.id
            if subnet in seen or not nic.virtual_machine:
                continue
            seen.add(subnet)
            net.network_interfaces.begin_get_effective_route_table(rg, nic.name).result()
        for gw in gateways:
            net.virtual_network_gateways.begin_get_learned_routes(rg, gw.name).result()
            if gw.gateway_type == "Vpn" and gw.enable_bgp:
                status = net.virtual_network_gateways.begin_get_bgp_peer_status(rg, gw.name).result()
                for peer in status.value or []:
                    net.virtual_network_gateways.begin_get_advertised_routes(
                        rg, gw.name, peer=peer.neighbor
                    ).result()
        for circuit in circuits:
            for path in ("primary", "secondary"):
                net.express_route_circuits.begin_list_routes_table(
                    rg, circuit.name, "AzurePrivatePeering", path
                ).result()
                net.express_route_circuits.begin_list_routes_table_summary(
                    rg, circuit.name, "AzurePrivatePeering", path
                ).result()
        del vnets
    return time.monotonic() - start_time


def estimate(spokes: int, concurrency: int = 256) -> dict[str, Any]:
    """Long-running operations and estimated collection time of a realistic estate under ARM's
    limits (25 reads per second per subscription after a burst of 250; every long-running call
    is a POST and about two status polls), with one VM NIC in every workload subnet: effective
    routes per subnet versus per routing signature (`--effective-routes per-signature`)."""
    from auditor.fixture import load_fixture
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.signature import routing_signature
    from auditor.routing.tables import is_special
    from bench.realistic import Shape
    from bench.realistic import generate as realistic

    with tempfile.TemporaryDirectory() as tmp:
        shape = Shape.scaled(spokes, dc_prefixes=1, branch_prefixes=1)  # prefixes do not change the calls
        realistic(Path(tmp) / "e", shape)
        snapshot = load_fixture(Path(tmp) / "e")
    workload = [s for s in snapshot.subnets if not is_special(s)]
    plane = ControlPlane(snapshot)
    signatures = {routing_signature(plane, s) for s in workload}
    vpn = [g for g in snapshot.gateways if g.is_vpn]
    neighbours = sum(len(snapshot.connections_of(g.id)) for g in vpn)
    others = len(snapshot.gateways) + len(vpn) + neighbours + 4 * len(snapshot.circuits)
    lists = 10 * max(1, len({r.id.resource_group for r in snapshot.vnets}))
    out: dict[str, Any] = {"spokes": spokes, "workloadSubnets": len(workload), "signatures": len(signatures)}
    for mode, nic_calls in (("per-subnet", len(workload)), ("per-signature", len(signatures))):
        lros = nic_calls + others
        requests = lists + 3 * lros
        budget = max(0.0, (requests - 250) / 25)
        waves = -(-lros // concurrency)
        chain = waves * LATENCY["effectiveRouteTable"]
        out[mode] = {
            "longRunningOperations": lros,
            "requests": requests,
            "estimatedSeconds": round(max(budget, chain)),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument(
        "--estimate",
        type=int,
        default=0,
        help="only estimate the collection of a realistic estate of N spokes",
    )
    args = parser.parse_args()
    if args.estimate:
        print(json.dumps(estimate(args.estimate, args.concurrency), indent=2, sort_keys=True))
        return
    latency = {op: s * args.scale for op, s in LATENCY.items()}
    burst, rate = 250.0, 25.0 / args.scale
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "estate"
        counts = generate(root, 200, prefixes_per_site=5, spokes_per_hub=9, nics=500)
        record_observations(root)
        command = [sys.executable, "-m", "auditor", "serve", str(root), "--page-size", "100",
                   "--throttle", f"{burst}/{rate}", *(f"--latency={op}={s}" for op, s in latency.items())]  # fmt: skip
        server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
        try:
            assert server.stdout is not None
            ready = json.loads(server.stdout.readline())
            url, ca = ready["url"], ready["ca"]
            options = CollectOptions(subscriptions=[SUB], arm_endpoint=url, ca=ca, progress=False,
                                     concurrency=args.concurrency, burst=burst, rate=rate,
                                     polling_interval=10 * args.scale)  # fmt: skip
            collector = Collector(options)
            counter = _Counter()
            collector.extra_policies.append(counter)
            result = collector.collect(Path(tmp) / "out")
            requests = counter.count
            chain = 3 * 0.01 + latency["getBgpPeerStatus"] + latency["getAdvertisedRoutes"]
            chain = max(chain, latency["effectiveRouteTable"], latency["getLearnedRoutes"])
            budget = max(0.0, (requests - burst) / rate)
            bound = max(chain, budget)
            baseline = None if args.skip_sequential else sequential(url, ca, burst, rate, 10 * args.scale)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(json.dumps({"estate": counts, "scale": args.scale, "requests": requests,
                      "observations": result.observations, "complete": result.complete}, sort_keys=True))  # fmt: skip
    print(f"collector wall time      {result.seconds:7.2f} s")
    print(
        f"lower bound              {bound:7.2f} s  (slowest chain {chain:.2f} s, throttle budget {budget:.2f} s)"
    )
    print(f"collector / lower bound  {result.seconds / bound:7.2f}x")
    if baseline is not None:
        print(f"sequential SDK loop      {baseline:7.2f} s  ({baseline / result.seconds:.1f}x the collector)")


if __name__ == "__main__":
    main()
