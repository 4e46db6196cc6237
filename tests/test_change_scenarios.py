"""Change scenarios as data (issue 20, item 6): each `fixtures/changes/<name>/` holds a planned
change (`change.json`: base, input, file, down) and what `azroute diff` must say of it
(`expected-diff.json`: exit code, verdict, refused changes, new findings with their fingerprints
and whether they depend on a gap, lost pairs). `python tests/test_change_scenarios.py --write`
rewrites the expectations after a reviewed change of behaviour."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cli import azroute  # noqa: E402

CHANGES = ROOT / "fixtures" / "changes"
OPTIONS = {"terraform-plan": "--terraform-plan", "what-if": "--what-if", "overlay": "--overlay"}
SCENARIOS = sorted(p.parent for p in CHANGES.glob("*/change.json"))


def run(scenario: Path) -> dict[str, Any]:
    """The diff of a scenario, reduced to what its expectation records."""
    spec = json.loads((scenario / "change.json").read_text())
    args = ["diff", str((scenario / spec["base"]).resolve())]
    if spec["input"] != "down":
        args += [OPTIONS[spec["input"]], str(scenario / spec["file"])]
    for name in spec.get("down", []):
        args += ["--down", name]
    result = azroute(*args, "--format", "json")
    assert result.exit_code != 2, result.stderr
    data = json.loads(result.stdout)
    failures = data["after"].get("predictedFrom", {}).get("failures", [])
    return {
        "exit": result.exit_code,
        "verdict": data["verdict"]["result"],
        "refused": sorted([f["resource"].rsplit("/", 1)[-1], f["error"]] for f in failures),
        "newFindings": sorted(
            [f["rule"], f["severity"], f["fingerprint"], bool(f.get("dependsOnGap"))]
            for f in data["findings"]["new"]
        ),
        "resolvedFindings": sorted(f["fingerprint"] for f in data["findings"]["resolved"]),
        "lostPairs": sorted([p["from"], p["to"]] for p in data["pairs"]["lost"]),
        "gainedPairs": len(data["pairs"]["gained"]),
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_change_scenario(scenario: Path) -> None:
    expected = json.loads((scenario / "expected-diff.json").read_text())
    expected.pop("description", None)
    assert run(scenario) == expected


def test_every_lifecycle_case_has_a_scenario() -> None:
    refused = {e for s in SCENARIOS for _, e in json.loads((s / "expected-diff.json").read_text())["refused"]}
    assert {
        "RemotePeeringIsDisconnected",
        "AnotherPeeringAlreadyReferencesRemoteVnet",
        "RemoteVnetHasNoGateways",
    } <= refused


if __name__ == "__main__" and "--write" in sys.argv:
    for scenario in SCENARIOS:
        description = json.loads((scenario / "change.json").read_text())["description"]
        found = {"description": description, **run(scenario)}
        (scenario / "expected-diff.json").write_text(json.dumps(found, indent=1) + "\n")
        print(f"{scenario.name}: exit {found['exit']}, {found['verdict']}")
