"""`azroute diff` and `azroute plan` through the command line (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.predict import GAP_KINDS
from tests.cli import azroute
from tests.conftest import FIXTURES
from tests.conftest import write_overlay as overlay

TESTBED = FIXTURES / "interop-testbed"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
SPOKE_PEERING = (
    f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/spoke-vnet"
    "/virtualNetworkPeerings/spoke-to-hub"
)


def spoke_without_remote_gateways(tmp_path: Path) -> Path:
    change = {"id": SPOKE_PEERING, "properties": {"useRemoteGateways": False}}
    return overlay(tmp_path / "no-remote-gateways", TESTBED, [change])


def diff_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = azroute("diff", *args, "--format", "json")
    assert code != 2, err
    return code, json.loads(out)


SPOKE_SITE_PAIRS = {
    ("spoke-vnet", "location-1"),
    ("location-1", "spoke-vnet"),
    ("spoke-vnet", "location-2"),
    ("location-2", "spoke-vnet"),
}


def test_turning_off_use_remote_gateways_loses_every_spoke_site_pair(tmp_path: Path) -> None:
    change = spoke_without_remote_gateways(tmp_path)
    code, data = diff_json(str(TESTBED), "--overlay", str(change))
    assert code == 1
    assert data["schema"] == "azroute.diff/1" and data["observations"] == "ignored"
    assert set(data) == {
        "schema", "before", "after", "observations", "findings", "pairs", "routes", "intents", "coverage", "summary",
        "verdict",
    }  # fmt: skip
    assert data["verdict"]["result"] == "regression"
    assert any(
        w.startswith(f"{len(data['pairs']['lost'])} pair(s) lose reachability")
        for w in data["verdict"]["why"]
    )
    new = [f for f in data["findings"]["new"] if f["rule"].startswith("TRN")]
    assert new and all(SPOKE_PEERING in f["resources"] or "spoke-vnet" in f["message"] for f in new)
    lost = {(p["from"], p["to"]) for p in data["pairs"]["lost"]}
    assert lost >= SPOKE_SITE_PAIRS
    assert all(p["after"]["status"] != "reachable" for p in data["pairs"]["lost"])
    assert not data["pairs"]["gained"]
    spoke_routes = [r for r in data["routes"] if r["vantage"] == "vnet spoke-vnet"]
    assert {r["prefix"] for r in spoke_routes} >= {"10.2.30.0/25", "10.1.31.0/25"}
    assert all(r["after"] is None for r in spoke_routes)
    assert data["after"]["predictedFrom"]["input"] == "overlay"
    assert data["after"]["predictedFrom"]["changed"] == [SPOKE_PEERING.lower()]
    assert data["summary"]["regression"] is True
    assert {"DRF001", "DRF002"} <= set(data["summary"]["rulesNotEvaluated"])


def test_the_reverse_diff_resolves_and_gains(tmp_path: Path) -> None:
    change = spoke_without_remote_gateways(tmp_path)
    code, data = diff_json(str(change), str(TESTBED))
    assert code == 0
    assert any(f["rule"].startswith("TRN") for f in data["findings"]["resolved"])
    assert not data["findings"]["new"]
    assert {(p["from"], p["to"]) for p in data["pairs"]["gained"]} >= SPOKE_SITE_PAIRS
    assert not data["pairs"]["lost"] and data["summary"]["regression"] is False


def test_lost_pairs_can_be_allowed(tmp_path: Path) -> None:
    change = spoke_without_remote_gateways(tmp_path)
    # the new TRN finding is a warning: with lost pairs allowed, only --fail-on warning fails it
    code, _out, _err = azroute("diff", str(TESTBED), "--overlay", str(change), "--no-fail-on-lost")
    assert code == 0
    code, _out, _err = azroute(
        "diff", str(TESTBED), "--overlay", str(change), "--no-fail-on-lost", "--fail-on", "warning"
    )
    assert code == 1


def test_observations_are_ignored() -> None:
    # interop-testbed-drift differs from the testbed only in what was observed
    code, data = diff_json(str(TESTBED), str(FIXTURES / "interop-testbed-drift"))
    assert code == 0
    assert not data["findings"]["new"] and not data["findings"]["resolved"]
    assert data["pairs"] == {"lost": [], "gained": [], "changed": []} and data["routes"] == []


def test_a_path_that_becomes_asymmetric_is_a_regression() -> None:
    before, after = FIXTURES / "hub-firewall-mirrored", FIXTURES / "hub-firewall-bypass"
    code, data = diff_json(str(before), str(after), "--fail-on", "never")
    asym = [p for p in data["pairs"]["changed"] if "became asymmetric" in p["why"]]
    assert asym and code == 1
    assert data["summary"]["becameAsymmetric"] == len(asym)
    code, _out, _err = azroute(
        "diff", str(before), str(after), "--fail-on", "never", "--no-fail-on-asymmetric"
    )
    assert code in (0, 3)


def test_a_connection_weight_that_ends_ecmp_changes_the_pairs(tmp_path: Path) -> None:
    # two circuits with equal weights: Azure load-balances (ECMP); a higher routingWeight on one
    # connection ends it ("Traffic will be sent on the connection with the highest RoutingWeight",
    # https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing)
    base = FIXTURES / "ecmp-two-locations"
    conn = f"{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/connections/hub-er-gw-to-dc-circuit"
    weighted = overlay(
        tmp_path / "amsterdam-weighted", base, [{"id": conn, "properties": {"routingWeight": 100}}]
    )
    code, data = diff_json(str(base), "--overlay", str(weighted))
    assert code == 0 and not data["pairs"]["lost"]
    whys = {(p["from"], p["to"]): p["why"] for p in data["pairs"]["changed"]}
    assert "forward path no longer ECMP" in whys[("hub-vnet", "datacenter")]
    assert "return path no longer ECMP" in whys[("datacenter", "hub-vnet")]
    # and back: the pair is load-balanced again
    code, data = diff_json(str(weighted), str(base))
    whys = {(p["from"], p["to"]): p["why"] for p in data["pairs"]["changed"]}
    assert "forward path now ECMP" in whys[("hub-vnet", "datacenter")]


def test_a_gap_new_in_after_is_exit_3(tmp_path: Path) -> None:
    gap = {
        "scope": f"{SUB}/resourceGroups/rg-hub",
        "operation": "list routeTables",
        "status": 403,
        "code": "AuthorizationFailed",
    }
    after = overlay(tmp_path / "forbidden", TESTBED, [], gaps=[gap])
    code, data = diff_json(str(TESTBED), str(after))
    assert code == 3
    assert [g["new"] for g in data["coverage"]["gaps"]] == [True]
    assert data["summary"]["newGaps"] == 1
    # the same gap on both sides is listed and does not decide the exit code
    code, data = diff_json(str(after), str(after))
    assert code == 0 and data["coverage"]["gaps"] and not data["coverage"]["gaps"][0]["new"]


def test_usage_errors() -> None:
    code, _out, err = azroute("diff", str(TESTBED))
    assert code == 2 and "give one of" in err and "--down" in err
    code, _out, err = azroute("diff", str(TESTBED), str(TESTBED), "--overlay", str(TESTBED))
    assert code == 2 and "at most one" in err
    code, _out, err = azroute("diff", str(TESTBED), "--overlay", str(TESTBED))
    assert code == 2 and "fixture.json" in err and "$.format" in err and "overlay" in err
    code, _out, err = azroute("plan", str(TESTBED), "--out", "x")
    assert code == 2


def test_plan_writes_a_predicted_snapshot_that_diffs_like_the_overlay(tmp_path: Path) -> None:
    change = spoke_without_remote_gateways(tmp_path)
    out = tmp_path / "predicted"
    code, _out, err = azroute("plan", str(TESTBED), "--overlay", str(change), "--out", str(out))
    assert code == 0, err
    manifest = json.loads((out / "fixture.json").read_text())
    assert manifest["source"] == "predicted"
    assert manifest["predictedFrom"] == {"before": str(TESTBED), "input": "overlay", "file": str(change)}
    assert not (out / "operations").exists()
    (page,) = (out / "arm").rglob("rg-hub/virtualNetworks.json")
    peerings = json.loads(page.read_text())["value"]
    spoke = next(v for v in peerings if v["name"] == "spoke-vnet")
    assert spoke["properties"]["virtualNetworkPeerings"][0]["properties"]["useRemoteGateways"] is False
    _, direct = diff_json(str(TESTBED), "--overlay", str(change))
    _, written = diff_json(str(TESTBED), str(out))
    for key in ("findings", "pairs", "routes", "intents", "coverage"):
        assert direct[key] == written[key], key
    code, out_text, _err = azroute("audit", str(out))
    assert code == 0 and "TRN" in out_text


def test_markdown_escapes_table_syntax(tmp_path: Path) -> None:
    change = spoke_without_remote_gateways(tmp_path)
    code, out, _err = azroute("diff", str(TESTBED), "--overlay", str(change), "--format", "markdown")
    assert code == 1
    assert out.startswith("## azroute diff") and "**REGRESSION**" in out
    assert "| spoke-vnet | location-1 |" in out
    for line in out.splitlines():
        if line.startswith("| ") and "---" not in line:
            cells = line.strip("|").split(" | ")
            assert all("`" not in c or "\\`" in c for c in cells)


PRE_CHANGE = Path(__file__).parent / "data" / "pre-change"
SAME_CHANGE = {
    "overlay": PRE_CHANGE / "testbed-spoke-no-remote-gateways.overlay",
    "what-if": PRE_CHANGE / "testbed-spoke-no-remote-gateways.whatif.json",
    "terraform-plan": PRE_CHANGE / "testbed-spoke-no-remote-gateways.tfplan.json",
}


def test_the_same_change_as_overlay_what_if_and_terraform_plan_gives_the_same_diff(tmp_path: Path) -> None:
    hand_made = spoke_without_remote_gateways(tmp_path)
    _, expected = diff_json(str(TESTBED), "--overlay", str(hand_made))
    for kind, file in SAME_CHANGE.items():
        code, data = diff_json(str(TESTBED), f"--{kind}", str(file))
        assert code == 1, kind
        for key in ("findings", "pairs", "routes", "intents", "coverage"):
            assert data[key] == expected[key], (kind, key)
        assert data["after"]["predictedFrom"]["input"] == kind
        assert SPOKE_PEERING.lower() in [c.lower() for c in data["after"]["predictedFrom"]["changed"]]


def test_an_intent_catches_the_change(tmp_path: Path) -> None:
    intents = tmp_path / "intents.yaml"
    intents.write_text(
        "intents:\n"
        "  - name: spoke-reaches-location-1\n    from: spoke-vnet\n    to: location-1\n    expect: reachable\n"
    )
    code, data = diff_json(str(TESTBED), "--what-if", str(SAME_CHANGE["what-if"]), "--intent", str(intents))
    assert code == 1
    assert data["intents"] == {"broken": ["spoke-reaches-location-1"], "fixed": []}
    assert [f["rule"] for f in data["findings"]["new"] if f["rule"] == "INT001"] == ["INT001"]
    code, out, _err = azroute("audit", str(TESTBED), "--intent", str(intents))
    assert code == 0 and "INT001" not in out


def test_what_cannot_be_predicted_is_a_gap_of_the_diff() -> None:
    for option, file in (
        ("--what-if", PRE_CHANGE / "testbed-spoke-egress-unresolved.whatif.json"),
        ("--terraform-plan", PRE_CHANGE / "testbed-replace-forget.tfplan.json"),
    ):
        code, data = diff_json(str(TESTBED), option, str(file))
        gaps = [g for g in data["coverage"]["gaps"] if g["new"] and g["detail"].startswith("predict ")]
        assert gaps and all(g["kind"] in GAP_KINDS for g in gaps), file
        assert code in (1, 3)


def test_an_overlay_peering_written_without_its_read_only_state_is_predicted_as_azure_sets_it(
    tmp_path: Path,
) -> None:
    # a planned change names what a deployment sets; ARM sets peeringState (Connected once both
    # sides exist, Initiated before) and the peering's copy of the remote address space
    hub = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/hub-vnet"
    branch = f"{SUB}/resourceGroups/rg-branch/providers/Microsoft.Network/virtualNetworks/branch-vnet"

    def peering(vnet: str, name: str, remote: str) -> dict[str, Any]:
        return {
            "id": f"{vnet}/virtualNetworkPeerings/{name}",
            "name": name,
            "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
            "properties": {"remoteVirtualNetwork": {"id": remote}, "allowVirtualNetworkAccess": True},
        }

    both = overlay(
        tmp_path / "both", TESTBED, [peering(branch, "to-hub", hub), peering(hub, "to-branch", branch)]
    )
    _, data = diff_json(str(TESTBED), "--overlay", str(both))
    # the two VNets reached each other over their VPN gateways (VNet-to-VNet); now over the peering
    moved = {(p["from"], p["to"]): p["after"]["forwardSummary"] for p in data["pairs"]["changed"]}
    assert moved == {("branch-vnet", "hub-vnet"): "peering", ("hub-vnet", "branch-vnet"): "peering"}
    predicted = data["after"]["predictedFrom"]["predictedState"]
    assert {v["peeringState"] for v in predicted.values()} == {"Connected"} and len(predicted) == 2

    one = overlay(tmp_path / "one", TESTBED, [peering(branch, "to-hub", hub)])
    _, data = diff_json(str(TESTBED), "--overlay", str(one))
    predicted = data["after"]["predictedFrom"]["predictedState"]
    assert [v["peeringState"] for v in predicted.values()] == ["Initiated"]
    assert not data["pairs"]["changed"] and not data["pairs"]["gained"]  # one side: no peering route

    # deleting one side: ARM moves the other to Disconnected
    removal = overlay(tmp_path / "removal", TESTBED, [], removeResources=[SPOKE_PEERING])
    _, data = diff_json(str(TESTBED), "--overlay", str(removal))
    predicted = data["after"]["predictedFrom"]["predictedState"]
    assert [(k.rsplit("/", 1)[-1], v["peeringState"]) for k, v in predicted.items()] == [
        ("hub-to-spoke", "Disconnected")
    ]

    written = peering(branch, "to-hub", hub)
    written["properties"]["peeringState"] = "Connected"  # what the overlay writes is taken as written
    _, data = diff_json(str(TESTBED), "--overlay", str(overlay(tmp_path / "written", TESTBED, [written])))
    assert data["after"]["predictedFrom"]["predictedState"] == {}
