"""The benchmark's estate generators keep working (no timing here: bench/run.py measures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from auditor.engine import CRASH_RULE, load_rules, run
from auditor.fixture import load_fixture
from auditor.model import Snapshot
from auditor.routing import sites
from auditor.routing.controlplane import ControlPlane
from auditor.routing.paths import PathFinder, signature_groups
from auditor.routing.sites import SiteView, site_views
from auditor.rule_api import RuleContext
from bench.estate import generate as generate_synthetic
from bench.realistic import Shape, generate
from tests.cli import azroute


def test_generated_estate_loads_routes_and_audits(tmp_path: Path) -> None:
    counts = generate_synthetic(tmp_path / "estate", 120, prefixes_per_site=5)
    snapshot = load_fixture(tmp_path / "estate")
    assert len(snapshot.vnets) == 120 and counts["hubs"] == 3
    finder = PathFinder(ControlPlane(snapshot))
    assert finder.pair("spoke-000-01", "site-000").reachable
    assert finder.pair("spoke-000-01", "spoke-001-03").reachable  # hub-000 and hub-001 share circuit-000
    assert not finder.pair("spoke-000-01", "site-001").reachable  # site-001 is behind hub-001's VPN only
    assert not finder.pair("spoke-000-01", "spoke-002-00").reachable
    result = run(snapshot, load_rules())
    assert [f for f in result.findings if f.rule == CRASH_RULE] == []


def test_overlap_index_matches_brute_force() -> None:
    import random

    from auditor.model import parse_prefix
    from auditor.routing.prefixindex import OverlapIndex

    rng = random.Random(3)
    nets = []
    for _ in range(300):
        length = rng.choice([8, 12, 16, 20, 24, 28])
        value = rng.randrange(2**32) >> (32 - length) << (32 - length)
        nets.append(
            parse_prefix(f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}/{length}")
        )
    index = OverlapIndex(nets, lambda n: n)
    for probe in nets[:100]:
        expected = sorted(str(n) for n in nets if n.overlaps(probe))  # type: ignore[arg-type]
        assert sorted(str(n) for n in index.overlapping(probe)) == expected
    sparse = OverlapIndex(nets[:20], lambda n: n)
    for probe in nets:
        assert sparse.overlaps_any(probe) == any(n.overlaps(probe) for n in nets[:20])  # type: ignore[arg-type]
    assert not OverlapIndex(nets, lambda n: n).overlaps_any(parse_prefix("2001:db8::/32"))


def test_site_heavy_estate_finds_links_by_asn_and_address_space(tmp_path: Path) -> None:
    """The bench's site-heavy profile at a tiny size: sites declared with prefixes only."""
    shape = Shape.site_heavy(100, dc_prefixes=20, branch_prefixes=5)
    counts = generate(tmp_path / "estate", shape)
    assert (counts["hubs"], counts["sites"]) == (2, 22)
    manifest = json.loads((tmp_path / "estate" / "fixture.json").read_text())
    assert all("circuits" not in s and "localNetworkGateways" not in s for s in manifest["sites"])
    snapshot = load_fixture(tmp_path / "estate")
    views = {v.name: v for v in site_views(snapshot)}
    assert sorted(c.name for c in views["dc-01"].circuit_ids) == ["er-02", "er-03"]  # by ASN
    assert sorted(g.name for g in views["branch-003"].lng_ids) == ["branch-003-lng"]
    # without an ASN, a branch still finds its gateway: the gateway's BGP peer /32 lies in its prefixes
    anonymous = [s.model_copy(update={"asn": None}) if s.name == "branch-003" else s for s in snapshot.sites]
    views = {v.name: v for v in site_views(snapshot.replace(sites=tuple(anonymous)))}
    assert sorted(g.name for g in views["branch-003"].lng_ids) == ["branch-003-lng"]
    finder = PathFinder(ControlPlane(snapshot))
    assert finder.pair("spoke-00-001", "dc-00").reachable
    assert signature_groups(finder).rows
    result = run(snapshot, load_rules())
    assert [f for f in result.findings if f.rule == CRASH_RULE] == []


def test_site_views_are_computed_once_per_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "estate", Shape.site_heavy(50, dc_prefixes=4, branch_prefixes=2))
    snapshot = load_fixture(tmp_path / "estate")
    calls: list[Snapshot] = []

    def counted(snap: Snapshot) -> tuple[SiteView, ...]:
        calls.append(snap)
        return compute(snap)

    compute = sites._site_views
    monkeypatch.setattr(sites, "_site_views", counted)
    first = site_views(snapshot)
    assert ControlPlane(snapshot).sites == first
    assert RuleContext(snapshot).site_views() == first
    assert cli.site_views(snapshot) == first  # what `azroute inventory` lists
    assert len(calls) == 1
    assert site_views(snapshot.replace()) == first and len(calls) == 2  # a copy computes its own


def test_the_bench_diff_stages_review_their_planned_changes(tmp_path: Path) -> None:
    """bench/run.py's diff stages: the no-op overlay reports nothing and exits 0; the flag (the
    first spoke stops using its hub's gateways) loses exactly that spoke's on-premises pairs, as an
    overlay and as a whole snapshot written by `azroute plan`."""
    from bench.run import planned_changes

    generate(tmp_path / "estate", Shape.scaled(30, dc_prefixes=5, branch_prefixes=2))
    changes = planned_changes(tmp_path / "estate")
    estate = str(tmp_path / "estate")

    def run(*args: str) -> tuple[int, dict[str, Any]]:
        result = azroute("diff", estate, *args, "--format", "json")
        return result.exit_code, json.loads(result.stdout)

    code, noop = run("--overlay", str(changes["noop"]))
    assert code == 0 and noop["summary"]["recomputed"]["scope"] == "nothing"
    assert not any(noop["pairs"].values()) and not noop["routes"] and not noop["findings"]["new"]
    for args in (("--overlay", str(changes["flag"])), (str(changes["full"]),)):
        code, report = run(*args)
        assert code == 1  # a regression
        assert report["summary"]["recomputed"]["scope"] == "local"
        lost = report["pairs"]["lost"]
        assert lost and all("spoke-00-000" in (p["from"], p["to"]) for p in lost)
        sites = {s.name for s in load_fixture(tmp_path / "estate").sites}
        assert {p["to"] if p["from"] == "spoke-00-000" else p["from"] for p in lost} == sites
