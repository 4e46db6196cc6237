"""The benchmark's estate generator keeps working (no timing here: bench/run.py measures)."""

from __future__ import annotations

from pathlib import Path

from auditor.engine import CRASH_RULE, load_rules, run
from auditor.fixture import load_fixture
from auditor.routing.controlplane import ControlPlane
from auditor.routing.paths import PathFinder
from bench.estate import generate


def test_generated_estate_loads_routes_and_audits(tmp_path: Path) -> None:
    counts = generate(tmp_path / "estate", 120, prefixes_per_site=5)
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
