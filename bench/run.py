"""Time and peak memory of load / routes / paths / audit over growing synthetic estates.

    python bench/run.py [--sizes 125,250,500,1000] [--repeat 3]

Each measurement runs in a fresh process (peak RSS is that process's), best of `--repeat`.
Reported as ratios to loading the same snapshot in the same run, plus how each stage grows
when the estate doubles. No assertions: the numbers go into the closing note of the work.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

STAGE = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from auditor.fixture import load_fixture
stage, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
snapshot = load_fixture(path)
extra = {{}}
if stage == "routes":
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.tables import vnet_table
    plane = ControlPlane(snapshot)
    total = 0
    for vnet in snapshot.vnets:
        for subnet in snapshot.subnets_of(vnet.id):
            total += sum(1 for r in vnet_table(plane, vnet, subnet) if r.selected)
    extra["selectedRoutes"] = total
elif stage == "paths":
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.paths import PathFinder
    plane = ControlPlane(snapshot)
    finder = PathFinder(plane)
    sites = [s.name for s in plane.sites if s.prefixes]
    pairs = [finder.pair(v.display_name, s) for v in snapshot.vnets for s in sites]
    extra["pairs"] = len(pairs)
    extra["reachable"] = sum(p.reachable for p in pairs)
elif stage == "audit":
    from auditor.engine import load_rules, run
    result = run(snapshot, load_rules())
    extra["findings"] = len(result.findings)
elapsed = time.perf_counter() - t0
print(json.dumps({{"seconds": elapsed, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}}))
"""


def measure(stage: str, path: Path, repeat: int) -> dict[str, float]:
    best: dict[str, float] | None = None
    code = STAGE.format(root=str(HERE.parent))
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code, stage, str(path)], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout)
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="125,250,500,1000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from bench.estate import generate

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            path = Path(tmp) / f"estate-{size}"
            counts = generate(path, size)
            row = {"vnets": size, **counts}
            for stage in ("load", "routes", "paths", "audit"):
                row[stage] = measure(stage, path, args.repeat)
            rows.append(row)
    print(
        "| VNets | selected routes | VNet-site pairs | load s | routes s (x load) | paths s (x load) | audit s (x load) | peak MB (load / audit) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        load = row["load"]["seconds"]
        cells = [
            str(row["vnets"]),
            str(int(row["routes"]["selectedRoutes"])),
            str(int(row["paths"]["pairs"])),
            f"{load:.3f}",
        ]
        for stage in ("routes", "paths", "audit"):
            sec = row[stage]["seconds"]
            cells.append(f"{sec:.3f} ({sec / load:.1f}x)")
        cells.append(f"{row['load']['maxrss_mb']:.0f} / {row['audit']['maxrss_mb']:.0f}")
        print("| " + " | ".join(cells) + " |")
    print()
    print("Growth per doubling of the estate (time ratio between consecutive sizes):")
    for prev, cur in itertools.pairwise(rows):
        ratios = ", ".join(
            f"{s} {cur[s]['seconds'] / prev[s]['seconds']:.2f}" for s in ("load", "routes", "paths", "audit")
        )
        print(f"  {prev['vnets']} -> {cur['vnets']} VNets: {ratios}")


if __name__ == "__main__":
    main()
