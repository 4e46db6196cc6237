"""Time and peak memory of each stage over growing estates, as ratios to loading the snapshot.

    python bench/run.py [--profile realistic|site-heavy|synthetic] [--spokes 250,1000,2500,10000]
                        [--hubs N --circuits N --datacenters N --branches N --prefixes N] [--repeat 1]

`realistic` (the default, `bench/realistic.py`): regions of four hubs with firewalls, hundreds
of spokes per hub behind route tables, datacenters with 1,500 prefixes over two circuits, BGP
branches. Stages: `load` (read and normalize), `routes` (`routes --from` one spoke: the control
plane plus one table), `pair` (`paths --from` a spoke `--to` a datacenter), `paths` (the grouped
matrix: every routing signature to every site), `audit` (every rule), and three `diff`
stages through the CLI, their time including loading both sides (`planned_changes`):
`diff-noop` (`azroute diff ESTATE --overlay NOOP`, an overlay changing nothing), `diff-flag`
(`--overlay FLAG`: the first spoke's `useRemoteGateways` turned off) and `diff-full` (`azroute
diff ESTATE AFTER`, the same change as a whole snapshot written by `azroute plan`). `site-heavy`
(`Shape.site_heavy`) is the realistic estate with sites that grow with the hubs (hubs = spokes /
50: a datacenter and ten branches per hub), declared with prefixes and without circuit or local
network gateway lists (links found by ASN and address-space overlap); same stages. `synthetic`
(`bench/estate.py`) is the older shape: one hub per 50 VNets, no firewalls, VNet-site pairs.

Each measurement runs in a fresh process (peak RSS is that process's), best of `--repeat`.
Growth per doubling between consecutive sizes is `(t2/t1) ** (1 / log2(n2/n1))`. No
assertions: the numbers go into the README and the closing note of the work.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

STAGE = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from auditor.fixture import load_fixture
from auditor.gcpause import one_command
stage, path = sys.argv[1], sys.argv[2]
command = one_command()  # this process runs one stage, as `azroute` runs one command (main())
command.__enter__()  # (held in `command` until the process ends)
t0, c0 = time.perf_counter(), time.process_time()
snapshot = load_fixture(path) if not stage.startswith("diff") else None
extra = {{}}
realistic = len(sys.argv) > 3
if stage == "routes" and realistic:
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.views import vantage_rows
    _, rows = vantage_rows(ControlPlane(snapshot), sys.argv[3])
    extra["selectedRoutes"] = sum(1 for r in rows if r["selected"])
elif stage == "routes":
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.tables import vnet_table
    plane = ControlPlane(snapshot)
    total = 0
    for vnet in snapshot.vnets:
        for subnet in snapshot.subnets_of(vnet.id):
            total += sum(1 for r in vnet_table(plane, vnet, subnet) if r.selected)
    extra["selectedRoutes"] = total
elif stage == "paths" and realistic:
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.paths import PathFinder, signature_groups
    finder = PathFinder(ControlPlane(snapshot))
    groups = signature_groups(finder)
    extra["signatures"] = len(groups.members)
    extra["pairs"] = len(groups.rows)
    extra["reachable"] = sum(1 for r in groups.rows if r.pair.status == "reachable")
elif stage == "paths":
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.paths import PathFinder
    plane = ControlPlane(snapshot)
    finder = PathFinder(plane)
    sites = [s.name for s in plane.sites if s.prefixes]
    pairs = [finder.pair(v.display_name, s) for v in snapshot.vnets for s in sites]
    extra["pairs"] = len(pairs)
    extra["reachable"] = sum(p.reachable for p in pairs)
elif stage == "pair":
    from auditor.routing.controlplane import ControlPlane
    from auditor.routing.paths import PathFinder
    plane = ControlPlane(snapshot)
    pair = PathFinder(plane).pair(sys.argv[3], sys.argv[4])
    extra["status"] = pair.status
elif stage == "audit":
    from auditor.engine import load_rules, run
    result = run(snapshot, load_rules())
    extra["findings"] = len(result.findings)
elif stage.startswith("diff"):
    # as `azroute diff` runs: its JSON written to a file (as to a pipe), read back after measuring
    import contextlib, tempfile
    from auditor.cli import main
    change = ["--overlay", sys.argv[3]] if stage != "diff-full" else [sys.argv[3]]
    sys.argv = ["azroute", "diff", path, *change, "--format", "json"]
    report = tempfile.NamedTemporaryFile("w+", suffix=".json")
    with contextlib.redirect_stdout(report):
        try:
            main()
            extra["exit"] = 0
        except SystemExit as exc:
            extra["exit"] = exc.code if isinstance(exc.code, int) else 2
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if stage.startswith("diff"):
    report.seek(0)
    text = report.read()
    extra["lost"] = len(json.loads(text).get("pairs", {{}}).get("lost", [])) if text.startswith("{{") else -1
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "maxrss_mb": peak, **extra}}))
"""


DIFFS = {"diff-noop": "noop", "diff-flag": "flag", "diff-full": "full"}  # stage -> change


def measure(stage: str, path: Path, repeat: int, *args: str, clock: str = "wall") -> dict[str, float]:
    """A stage's time (`clock` wall: elapsed; cpu: the process's CPU time, steadier on a shared
    machine) and peak memory, best of `repeat` fresh processes."""
    best: dict[str, float] | None = None
    code = STAGE.format(root=str(HERE.parent))
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code, stage, str(path), *args], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout)
        if clock == "cpu":
            result["seconds"] = result["cpu"]
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    assert best is not None
    return best


def growth(prev: dict[str, Any], cur: dict[str, Any], stage: str, size: str) -> float:
    """Time ratio per doubling of the estate: (t2/t1) ** (1 / log2(n2/n1))."""
    doublings = math.log2(cur[size] / prev[size])
    return float((cur[stage]["seconds"] / prev[stage]["seconds"]) ** (1 / doublings))


def _overlay(estate: Path, name: str, documents: list[dict[str, Any]]) -> Path:
    from auditor.writer import dump_json

    root = estate.parent / f"{estate.name}-{name}"
    dump_json(root / "fixture.json", {"format": "azroute-overlay/1", "base": f"../{estate.name}",
                                      "name": name, "observations": "drop"})  # fmt: skip
    (root / "arm").mkdir(parents=True, exist_ok=True)
    for i, doc in enumerate(documents):
        dump_json(root / "arm" / f"change-{i}.json", doc)
    return root


def planned_changes(estate: Path) -> dict[str, Path]:
    """The changes the `diff` stages review: `noop`, an overlay that changes nothing; `flag`, the
    first spoke stops using its hub's gateways (`useRemoteGateways: false` on its spoke-to-hub
    peering); `full`, the same change written as a whole snapshot (`azroute plan`), so the diff
    reads two complete snapshots."""
    from auditor.fixture import load_fixture

    snapshot = load_fixture(estate)
    peering = next(p for p in snapshot.peerings if p.use_remote_gateways)
    flag = _overlay(estate, "flag", [{"id": str(peering.id), "properties": {"useRemoteGateways": False}}])
    full = estate.parent / f"{estate.name}-full"
    subprocess.run(
        [sys.executable, "-m", "auditor", "plan", str(estate), "--overlay", str(flag), "--out", str(full)],
        check=True, capture_output=True, cwd=HERE.parent,
    )  # fmt: skip
    return {"noop": _overlay(estate, "noop", []), "flag": flag, "full": full}


def realistic(args: argparse.Namespace) -> None:
    from bench.realistic import Shape, generate

    stages = ("load", "routes", "pair", "paths", "audit", *DIFFS)
    skipped = {x.strip() for x in args.skip.split(",") if x.strip()}
    if "diff" in skipped:
        skipped |= set(DIFFS)
    rows = []
    scaled = Shape.site_heavy if args.profile == "site-heavy" else Shape.scaled
    with tempfile.TemporaryDirectory() as tmp:
        for spokes in [int(s) for s in args.spokes.split(",")]:
            shape = scaled(
                spokes,
                hubs=args.hubs,
                circuits=args.circuits,
                datacenters=args.datacenters,
                branches=args.branches,
                dc_prefixes=args.prefixes,
            )
            path = Path(tmp) / f"estate-{spokes}"
            row: dict[str, Any] = {"spokes": spokes, **generate(path, shape)}
            changes = planned_changes(path) if not set(DIFFS) <= skipped else {}
            for stage in stages:
                if stage in skipped:
                    row[stage] = {"seconds": float("nan"), "maxrss_mb": float("nan")}
                    continue
                extra: tuple[str, ...] = ("spoke-00-001", "dc-00")
                if stage == "routes":
                    extra = extra[:1]
                elif stage == "audit" or stage == "load":
                    extra = ()
                elif stage in DIFFS:
                    extra = (str(changes[DIFFS[stage]]),)
                row[stage] = measure(stage, path, args.repeat, *extra, clock=args.clock)
                print(
                    f"  {spokes} spokes, {stage}: {row[stage]['seconds']:.2f} s", file=sys.stderr, flush=True
                )
            rows.append(row)
    print(
        "| spokes | hubs | sites | on-prem prefixes | signatures | load s | routes s (x load) | pair s (x load) | paths s (x load) | audit s (x load) | peak MB (load / audit) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        load = row["load"]["seconds"]
        cells = [
            str(row["spokes"]),
            str(row["hubs"]),
            str(row["sites"]),
            str(row["onPremPrefixes"]),
            str(row["paths"].get("signatures", "-")),
            f"{load:.2f}",
        ]
        for stage in ("routes", "pair", "paths", "audit"):
            sec = row[stage]["seconds"]
            cells.append(f"{sec:.2f} ({sec / load:.1f}x)")
        cells.append(f"{row['load']['maxrss_mb']:.0f} / {row['audit']['maxrss_mb']:.0f}")
        print("| " + " | ".join(cells) + " |")
    if not set(DIFFS) <= skipped:
        print()
        print(
            "| spokes | audit s / peak MB | diff no-op s, MB (x audit) | diff one flag s, MB (x audit) "
            "| diff two snapshots s, MB (x audit) | flag: exit, lost pairs |"
        )
        print("|---|---|---|---|---|---|")
        for row in rows:
            audit = row["audit"]
            cells = [str(row["spokes"]), f"{audit['seconds']:.2f} / {audit['maxrss_mb']:.0f}"]
            for stage in DIFFS:
                sec, mb = row[stage]["seconds"], row[stage]["maxrss_mb"]
                cells.append(
                    f"{sec:.2f}, {mb:.0f} ({sec / audit['seconds']:.2f}x, {mb / audit['maxrss_mb']:.2f}x)"
                )
            flag = row["diff-flag"]
            cells.append(f"{flag.get('exit', '-')}, {flag.get('lost', '-')}")
            print("| " + " | ".join(cells) + " |")
    print()
    print(f"Growth per doubling of the spokes ({args.profile}):")
    for prev, cur in itertools.pairwise(rows):
        ratios = ", ".join(f"{s} {growth(prev, cur, s, 'spokes'):.2f}" for s in stages if s not in skipped)
        print(f"  {prev['spokes']} -> {cur['spokes']} spokes: {ratios}")
    if "paths" not in skipped:
        # the grouped matrix has a row per routing signature and site: its output grows with both
        print("\nGrouped matrix (paths): rows, and its time beyond `routes` (the control plane) per row:")
        for row in rows:
            count = int(row["paths"]["pairs"])
            beyond = row["paths"]["seconds"] - row["routes"]["seconds"]
            print(f"  {row['spokes']} spokes: {count} rows, {beyond / max(count, 1) * 1e6:.0f} us per row")
    last = rows[-1]
    print(
        f"\n{last['spokes']} spokes: pair / routes = {last['pair']['seconds'] / last['routes']['seconds']:.2f}, "
        f"audit / load = {last['audit']['seconds'] / last['load']['seconds']:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", choices=("realistic", "site-heavy", "synthetic"), default="realistic")
    parser.add_argument("--spokes", default="250,1000,2500,10000", help="realistic: spokes per estate")
    parser.add_argument("--sizes", default="125,250,500,1000", help="synthetic: VNets per estate")
    parser.add_argument("--hubs", type=int, default=0)
    parser.add_argument("--circuits", type=int, default=0)
    parser.add_argument("--datacenters", type=int, default=0)
    parser.add_argument("--branches", type=int, default=0)
    parser.add_argument("--prefixes", type=int, default=0, help="prefixes per datacenter (default 1,500)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall", help="elapsed time, or the stage's CPU time"
    )
    parser.add_argument("--skip", default="", help="stages not measured (comma list, e.g. diff)")
    args = parser.parse_args()
    if args.profile in ("realistic", "site-heavy"):
        realistic(args)
        return
    from bench.estate import generate

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            path = Path(tmp) / f"estate-{size}"
            counts = generate(path, size)
            row = {"vnets": size, **counts}
            for stage in ("load", "routes", "paths", "audit"):
                row[stage] = measure(stage, path, args.repeat, clock=args.clock)
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
