from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import FailOn, OutputFormat, RulesFormat
from auditor.findings import Severity
from tests.cli import azroute
from tests.conftest import FIXTURES


def test_audit_defaults_to_the_bundled_testbed() -> None:
    code, out, _ = azroute("audit")
    assert code == 0  # the testbed is a working design: no error
    assert "interop-testbed" in out and "Summary: 0 error, 1 warning, 3 info" in out
    for rule in ("ERC002", "ERC003", "ERC004", "ERC007"):  # what a careful reviewer would still point out
        assert rule in out


def test_audit_json_report_shape() -> None:
    code, out, _ = azroute(
        "audit", str(FIXTURES / "er-vpn-vpn-more-specific"), "--format", "json", "--fail-on", "never"
    )
    assert code == 0
    report = json.loads(out)
    assert report["schema"] == "azroute.report/1"
    assert set(report) == {"schema", "tool", "snapshot", "findings", "intents", "coverage", "summary"}
    assert report["intents"] == []  # no --intent
    assert report["tool"]["name"] == "azroute"
    assert report["coverage"] == {"complete": True, "gaps": [], "accepted": []}
    finding = report["findings"][0]
    assert set(finding) == {"rule", "name", "severity", "message", "resources", "evidence", "fingerprint"}
    # PRF001 and ASY001, plus PRF003: the VPN does not carry the circuit's 10.2.0.0/16 at all
    assert report["summary"]["warning"] == 3 and report["summary"]["findings"] == 3


@pytest.mark.parametrize(
    ("fixture", "fail_on", "code"),
    [
        ("hub-spoke-transit-not-allowed", "error", 1),  # TRN001 is an error
        ("hub-spoke-transit-not-allowed", "never", 0),
        ("hub-spoke-transit-unused", "error", 0),  # TRN002 is a warning
        ("hub-spoke-transit-unused", "warning", 1),
        ("er-vpn-preference-undeclared", "warning", 0),  # ASY003 is info
        ("er-vpn-preference-undeclared", "info", 1),
        ("interop-testbed", "warning", 1),  # ER 1 runs on one link
        ("interop-testbed", "error", 0),
    ],
)
def test_exit_codes_follow_fail_on(fixture: str, fail_on: str, code: int) -> None:
    assert azroute("audit", str(FIXTURES / fixture), "--fail-on", fail_on)[0] == code


def test_select_and_ignore() -> None:
    path = str(FIXTURES / "er-vpn-vpn-more-specific")
    out = json.loads(azroute("audit", path, "-f", "json", "--select", "PRF", "--fail-on", "never")[1])
    assert [f["rule"] for f in out["findings"]] == ["PRF001", "PRF003"]
    out = json.loads(azroute("audit", path, "-f", "json", "--ignore", "PRF", "--fail-on", "never")[1])
    assert [f["rule"] for f in out["findings"]] == ["ASY001"]


def test_usage_errors_exit_2() -> None:
    assert azroute("audit", "--format", "xml")[0] == 2
    assert azroute("audit", "--fail-on", "sometimes")[0] == 2
    assert azroute("explain", "NOPE999")[0] == 2
    assert azroute("audit", "/no/such/fixture")[0] == 2


def test_inventory() -> None:
    code, out, _ = azroute("inventory", "--format", "json")
    data = json.loads(out)
    assert (
        code == 0 and data["counts"]["virtualNetworks"] == 4 and data["sites"] == ["location-1", "location-2"]
    )
    code, out, _ = azroute("inventory", str(FIXTURES / "hub-spoke-transit-ok"))
    assert code == 0 and "virtualNetworkPeerings" in out


def test_rules_and_explain() -> None:
    data = json.loads(azroute("rules", "--format", "json")[1])
    ids = [r["id"] for r in data["rules"]]
    assert ids == sorted(ids) and len(ids) >= 36
    assert {"TRN001", "TRN002", "TRN003", "PRF001", "ASY001", "ASY002", "ASY003", "DRF001", "DRF002"} <= set(
        ids
    )
    assert "| [TRN001](#trn001) |" in azroute("rules", "--format", "markdown")[1]
    code, out, _ = azroute("explain", "trn002")
    assert code == 0 and "## Why is this bad?" in out
    assert azroute("explain", "remote-gateway-missing")[1].startswith("TRN003")


def test_schema_command_prints_the_model_schema() -> None:
    schema = json.loads(azroute("schema")[1])
    assert "VirtualNetworkGateway" in schema["$defs"]


def test_every_enum_member_is_accepted() -> None:
    for fmt in OutputFormat:
        assert azroute("audit", "--format", fmt.value, "--fail-on", "never")[0] == 0
    for rfmt in RulesFormat:
        assert azroute("rules", "--format", rfmt.value)[0] == 0
    for level in FailOn:
        assert azroute("audit", "--fail-on", level.value)[0] in (0, 1)
    assert FailOn.WARNING.reached_by(Severity.ERROR) and not FailOn.WARNING.reached_by(Severity.INFO)


def test_module_entry_point_from_another_directory(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["snapshot"]["name"] == "interop-testbed"


def test_routes_json_shape() -> None:
    code, out, _ = azroute("routes", "--from", "spoke-vnet", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["schema"] == "azroute.routes/1" and data["from"] == "spoke-vnet"
    row = next(r for r in data["routes"] if r["prefix"] == "10.2.30.0/25" and r["selected"])
    assert {"prefix", "nextHopType", "nextHop", "via", "asPath", "source", "selected", "reason"} <= set(row)
    assert row["nextHopType"] == "VirtualNetworkGateway" and row["via"] == "hub-er-gw-to-er-1"
    assert row["asPath"] == [12076, 65021]


@pytest.mark.parametrize(
    "vantage", ["hub-vnet", "hub-vnet/GatewaySubnet", "hub-vpn-gw", "er-1", "er-2:primary", "location-1"]
)
def test_routes_every_kind_of_vantage(vantage: str) -> None:
    for fmt in ("table", "json", "dot", "mermaid"):
        code, out, _ = azroute("routes", "--from", vantage, "--format", fmt)
        assert code == 0 and out.strip(), (vantage, fmt)
    assert azroute("routes", "--from", "er-1", "-f", "dot")[1].startswith("digraph routes {")
    assert azroute("routes", "--from", "er-1", "-f", "mermaid")[1].startswith("flowchart LR")


def test_routes_errors() -> None:
    assert azroute("routes")[0] == 2
    assert azroute("routes", "--from", "nowhere")[0] == 2
    assert azroute("routes", "--from", "hub-vnet/NoSuchSubnet")[0] == 2
    assert azroute("routes", "--from", "hub-vnet", "--down", "nothing")[0] == 2


def test_paths_json_shape_and_down() -> None:
    data = json.loads(azroute("paths", "--format", "json")[1])
    assert data["schema"] == "azroute.paths/1"
    assert len(data["pairs"]) == 30
    pair = next(p for p in data["pairs"] if p["from"] == "location-1" and p["to"] == "hub-vnet")
    assert {"from", "to", "reachable", "forward", "return", "asymmetric"} <= set(pair)
    assert pair["reachable"] and not pair["asymmetric"]
    assert [h["name"] for h in pair["forward"]] == ["er-1", "hub-er-gw-to-er-1", "hub-er-gw", "hub-vnet"]
    down = json.loads(
        azroute("paths", "--from", "location-1", "--to", "hub-vnet", "-f", "json", "--down", "er-1:primary")[
            1
        ]
    )
    (only,) = down["pairs"]
    assert down["down"] == ["er-1:primary"]
    assert [h["name"] for h in only["forward"]] == ["hub-vpn-gw-to-location-1", "hub-vpn-gw", "hub-vnet"]


def test_paths_table_and_pair_text() -> None:
    code, out, _ = azroute("paths")
    assert code == 0 and "ER er-1 hairpin" in out
    code, out, _ = azroute("paths", "--from", "branch-vnet", "--to", "location-2")
    assert code == 0 and "NOT reachable" in out
    code, out, _ = azroute(
        "paths", str(FIXTURES / "hub-firewall-bypass"), "--from", "spoke-vnet", "--to", "datacenter"
    )
    assert "(asymmetric)" in out and "appliance 10.0.3.4" in out
    assert azroute("paths", "--from", "atlantis")[0] == 2


def test_quiet_verbose_and_colour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overlay = tmp_path / "change"
    (overlay / "arm").mkdir(parents=True)
    (overlay / "fixture.json").write_text(
        json.dumps(
            {
                "format": "azroute-overlay/1",
                "base": str(FIXTURES / "interop-testbed"),
                "name": "x",
                "observations": "drop",
            }
        )
    )
    plan = [
        "plan",
        str(FIXTURES / "interop-testbed"),
        "--overlay",
        str(overlay),
        "--out",
        str(tmp_path / "p"),
    ]
    loud = azroute(*plan)
    assert loud.exit_code == 0 and "predicted" in loud.stderr
    quiet = azroute("-q", *plan)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    verbose = azroute("-v", "audit")
    assert "azroute: INFO: loaded" in verbose.stderr and "azroute: INFO: ran" in verbose.stderr
    assert "INFO" not in azroute("audit").stderr
    plain = azroute("audit").stdout
    assert "\x1b[" not in plain  # not a terminal: no colour
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = azroute("audit").stdout
    assert "\x1b[33mwarning\x1b[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in azroute("audit").stdout


def test_paths_table_cells_say_what_the_json_status_says() -> None:
    """A one-way pair reads one-way in the table too, with the direction that works: the spoke's
    subnet disables gateway routes, so location-1 reaches it but the spoke has no route back."""
    root = str(FIXTURES / "spoke-propagation-off")
    pairs = json.loads(azroute("paths", root, "--format", "json").stdout)["pairs"]
    status = {(p["from"], p["to"]): p["status"] for p in pairs}
    assert status[("location-1", "spoke-vnet")] == status[("spoke-vnet", "location-1")] == "one-way"
    rows = {line.split()[0]: line for line in azroute("paths", root).stdout.splitlines()}
    assert "one-way (return only)" in rows["spoke-vnet"] and "one-way (no return)" in rows["location-1"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["audit", "--fail-on", "bogus"], "Invalid value for '--fail-on'"),
        (["audit", "--nope"], "No such option: --nope"),
        (["paths", "--format"], "requires an argument"),
    ],
)
def test_a_bad_option_is_one_line_naming_it(
    args: list[str], says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad options are bad input: one line on stderr naming the option, exit 2 (not click's
    usage block)."""
    from auditor.cli import main

    monkeypatch.setattr(sys, "argv", ["azroute", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("azroute: error: ") and says in captured.err and "--help" in captured.err


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9", "127.0.0.1:9", "https://", "ftp://arm.example"])
def test_an_arm_endpoint_without_tls_is_refused_before_anything_is_collected(
    endpoint: str, tmp_path: Path
) -> None:
    # a bearer token is never sent in clear: azure-core would refuse each request, and the retries
    # would run until the collection gave up with nothing collected
    out = tmp_path / "out"
    for command in (["collect", "--out", str(out)], ["audit"]):
        code, _, err = azroute(
            *command, "--subscription", "00000000-0000-0000-0000-000000000001", "--arm-endpoint", endpoint
        )
        assert code == 2
        assert err.count("\n") == 1 and "--arm-endpoint" in err and "https://" in err
    assert not out.exists()
