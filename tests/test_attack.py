"""Hostile and careless input, found by attacking the CLI (one test per defect found).

Each test drives the input through the CLI (in process, `tests.cli.azroute`, which fails on
an escaping exception) or through `main()` where the defect was an exception only `main()` sees.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.cli import azroute
from tests.conftest import FIXTURES

TESTBED = FIXTURES / "interop-testbed"
PRE_CHANGE = Path(__file__).parent / "data" / "pre-change"
OVERLAY = PRE_CHANGE / "testbed-spoke-no-remote-gateways.overlay"
VNETS = "arm/virtualNetworks.json"


def _one_line(err: str, *words: str) -> None:
    assert err.startswith("azroute: error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def _testbed(tmp_path: Path) -> Path:
    root = tmp_path / "tb"
    shutil.copytree(TESTBED, root)
    return root


# -- a lone surrogate (\ud800) in a snapshot: not text, so nothing can write it --------------------------


@pytest.mark.parametrize("command", ["audit", "plan", "anonymize"])
def test_a_lone_surrogate_is_bad_input_naming_its_path(tmp_path: Path, command: str) -> None:
    root = _testbed(tmp_path)
    file = root / VNETS
    # the escape is what a hostile file holds (UTF-8 itself cannot encode a surrogate)
    file.write_text(file.read_text().replace('"name": "hub-vnet"', '"name": "hub\\ud800vnet"', 1))
    args = {
        "audit": ["audit", str(root)],
        "plan": ["plan", str(root), "--overlay", str(OVERLAY), "--out", str(tmp_path / "p")],
        "anonymize": ["anonymize", str(root), "--out", str(tmp_path / "a")],
    }[command]
    outcome = azroute(*args)
    assert outcome.exit_code == 2, outcome.stderr
    _one_line(outcome.stderr, f"{file}: $.value[0].name: ", "surrogate")


def test_a_lone_surrogate_in_a_key_is_named_too(tmp_path: Path) -> None:
    root = _testbed(tmp_path)
    file = root / VNETS
    file.write_text(file.read_text().replace('"etag"', '"\\udfffetag"', 1))
    outcome = azroute("inventory", str(root))
    assert outcome.exit_code == 2
    _one_line(outcome.stderr, f"{file}: $.value[0]['\\udfffetag']: ")


# -- an azapi body given as a JSON string is read under the same guards as every JSON file ---------------


def _azapi_plan(tmp_path: Path, body: str) -> Path:
    plan = json.loads((PRE_CHANGE / "testbed-spoke-no-remote-gateways.azapi.tfplan.json").read_text())
    plan["resource_changes"][1]["change"]["after"]["body"] = body
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan))
    return file


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        ('{"properties": {"useRemoteGateways": 1' + "0" * 5000 + "}}", "digits"),
        ('{"properties": {"useRemoteGateways": false, "useRemoteGateways": true}}', "duplicate key"),
        ('{"properties": {"useRemoteGateways": false, "x\\ud800": 1}}', "surrogate"),
        ('{"properties": {"useRemoteGateways": NaN}}', "not JSON"),
    ],
    ids=["deep", "huge-integer", "duplicate-key", "surrogate", "nan"],
)
def test_an_azapi_body_string_is_guarded_like_a_file(tmp_path: Path, body: str, words: str) -> None:
    plan = _azapi_plan(tmp_path, body)
    outcome = azroute("diff", str(TESTBED), "--terraform-plan", str(plan))
    assert outcome.exit_code == 2, outcome.stderr
    _one_line(outcome.stderr, f"{plan}: $.resource_changes[1].change.after.body", words)


# -- a path the operating system refuses (too long): one line, not an internal error ---------------------


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "{long}"],
        ["audit", "{tb}", "--config", "{long}"],
        ["diff", "{tb}", "--what-if", "{long}"],
        ["plan", "{tb}", "--overlay", "{overlay}", "--out", "{long}"],
    ],
    ids=["snapshot", "config", "what-if", "plan-out"],
)
def test_a_path_too_long_is_one_line(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    long = "/tmp/" + "n" * 5000
    argv = [a.format(long=long, tb=TESTBED, overlay=OVERLAY) for a in args]
    monkeypatch.setattr(sys, "argv", ["azroute", *argv])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    _one_line(capsys.readouterr().err, "File name too long", "/tmp/nnn")


# -- plan --out never replaces what the plan reads -------------------------------------------------------


@pytest.mark.parametrize("target", ["before", "before-arm", "overlay", "base"])
def test_plan_never_writes_over_its_inputs(tmp_path: Path, target: str) -> None:
    before = _testbed(tmp_path)
    overlay = tmp_path / "ov"
    shutil.copytree(OVERLAY, overlay)
    head = json.loads((overlay / "fixture.json").read_text())
    head["base"] = str(before)
    (overlay / "fixture.json").write_text(json.dumps(head))
    side = tmp_path / "side"
    shutil.copytree(OVERLAY, side)
    plan_before = overlay if target == "base" else before  # an overlay as BEFORE reads its base too
    out = {"before": before, "before-arm": before / "arm" / "x", "overlay": side, "base": before}[target]
    kept = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    outcome = azroute("plan", str(plan_before), "--overlay", str(side), "--out", str(out))
    assert outcome.exit_code == 2, outcome.stderr
    _one_line(outcome.stderr, f"--out {out}")
    assert {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file()} == kept


@pytest.mark.parametrize("command", ["anonymize", "collect"])
def test_out_never_swallows_a_key_or_sites_file_it_reads(tmp_path: Path, command: str) -> None:
    """The writer swaps `--out` whole: a key file kept in it would be deleted by the next run."""
    out = tmp_path / "out"
    assert azroute("anonymize", str(TESTBED), "--out", str(out)).exit_code == 0
    key = out / "key"
    key.write_text("k" * 32)
    args = {
        "anonymize": ["anonymize", str(TESTBED), "--out", str(out), "--key-file", str(key)],
        "collect": [
            "collect", "--out", str(out), "--subscription", "00000000-0000-0000-0000-000000000000",
            "--arm-endpoint", "https://127.0.0.1:9", "--anonymize-key-file", str(key),
        ],
    }[command]  # fmt: skip
    outcome = azroute(*args)
    assert outcome.exit_code == 2, outcome.stderr
    _one_line(outcome.stderr, f"--out {out}", str(key))
    assert key.read_text() == "k" * 32


# -- secrets in a snapshot read never reach a snapshot written -------------------------------------------


def test_plan_drops_the_secrets_of_the_snapshot_it_reads(tmp_path: Path) -> None:
    root = _testbed(tmp_path)
    for rel in ("arm/connections.json", "arm/expressRouteCircuits.json"):
        doc = json.loads((root / rel).read_text())
        for item in doc["value"]:
            item["properties"]["sharedKey"] = "psk-SECRET-1"
            item["properties"]["authorizationKey"] = "auth-SECRET-2"
            for peering in item["properties"].get("peerings", []):
                peering["properties"]["sharedKey"] = "md5-SECRET-3"
        (root / rel).write_text(json.dumps(doc))
    out = tmp_path / "predicted"
    outcome = azroute("plan", str(root), "--overlay", str(OVERLAY), "--out", str(out))
    assert outcome.exit_code == 0, outcome.stderr
    written = "".join(p.read_text() for p in sorted(out.rglob("*.json")))
    assert "SECRET" not in written and "sharedKey" not in written
    assert "connectionType" in written  # the connections themselves are kept


# -- a Terraform plan's arrays of the wrong type ----------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "path"),
    [
        (("prior_state", "values", "root_module", "resources"), "$.prior_state.values.root_module.resources"),
        (("prior_state", "values", "root_module", "child_modules"), "$.prior_state.values.root_module.child_modules"),
        (("deferred_changes",), "$.deferred_changes"),
    ],
    ids=["resources", "child-modules", "deferred-changes"],
)  # fmt: skip
def test_a_terraform_array_that_is_a_number_is_named(
    tmp_path: Path, place: tuple[str, ...], path: str
) -> None:
    plan = json.loads((PRE_CHANGE / "testbed-spoke-no-remote-gateways.tfplan.json").read_text())
    node = plan
    for key in place[:-1]:
        node = node[key]
    node[place[-1]] = 1.5
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan))
    outcome = azroute("diff", str(TESTBED), "--terraform-plan", str(file))
    assert outcome.exit_code == 2, outcome.stderr
    _one_line(outcome.stderr, f"{file}: {path}: ", "array")


def test_a_null_in_a_terraform_list_of_ids_is_named(tmp_path: Path) -> None:
    plan = json.loads((PRE_CHANGE / "testbed-connection-secrets.tfplan.json").read_text())
    plan["resource_changes"][1]["change"]["after"]["egress_nat_rule_ids"] = [None]
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan))
    outcome = azroute("diff", str(TESTBED), "--terraform-plan", str(file))
    assert outcome.exit_code == 2, outcome.stderr
    _one_line(outcome.stderr, f"{file}: $.resource_changes[1].change.after.egress_nat_rule_ids[0]: ", "null")


# -- a reference to an ARM id of another type ------------------------------------------------------------

HUB_VNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/"
    "Microsoft.Network/virtualNetworks/hub-vnet"
)


@pytest.mark.parametrize(
    ("rel", "place", "target"),
    [
        (VNETS, ("value", 1, "properties", "subnets", 0, "properties", "routeTable"), HUB_VNET),
        (VNETS, ("value", 0, "properties", "virtualNetworkPeerings", 0, "properties", "remoteVirtualNetwork"),
         HUB_VNET + "/subnets/default"),
        (VNETS, ("value", 0, "properties", "virtualNetworkPeerings", 0, "properties", "remoteVirtualNetwork"),
         "/subscriptions/00000000-0000-0000-0000-000000000000"),
        ("arm/connections.json", ("value", 0, "properties", "virtualNetworkGateway1"), HUB_VNET),
        ("arm/networkInterfaces.json", ("value", 0, "properties", "ipConfigurations", 0, "properties", "subnet"),
         HUB_VNET),
    ],
    ids=["route-table-is-a-vnet", "remote-vnet-is-a-subnet", "remote-vnet-is-a-subscription",
         "gateway-is-a-vnet", "nic-subnet-is-a-vnet"],
)  # fmt: skip
def test_a_reference_to_another_type_is_named(
    tmp_path: Path, rel: str, place: tuple[str | int, ...], target: str
) -> None:
    """Silently read before (a subnet's route table that is a VNet: 'coverage complete')."""
    root = _testbed(tmp_path)
    doc = json.loads((root / rel).read_text())
    node = doc
    for key in place:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node["id"] = target
    (root / rel).write_text(json.dumps(doc))
    outcome = azroute("audit", str(root))
    assert outcome.exit_code == 2, outcome.stdout
    path = "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in place) + ".id"
    _one_line(outcome.stderr, f"{root / rel}: {path}: ", "not the id of")


# -- serve on a port it cannot have ----------------------------------------------------------------------


def test_serve_on_a_port_in_use_or_out_of_range_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from auditor.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(
            sys, "argv", ["azroute", "serve", str(TESTBED), "--port", str(taken.getsockname()[1])]
        )
        with pytest.raises(SystemExit) as exit_:
            main()
    assert exit_.value.code == 2
    _one_line(capsys.readouterr().err, "Address already in use")
    outcome = azroute("serve", str(TESTBED), "--port", "99999")
    assert outcome.exit_code == 2 and "--port" in outcome.stderr and "internal error" not in outcome.stderr


@pytest.mark.parametrize(
    "option",
    [
        ["--page-size", "0"],
        ["--error-rate", "2"],
        ["--error-rate", "nan"],
        ["--latency", "x=-1"],
        ["--throttle", "0/1"],
    ],
)
def test_serve_refuses_values_that_make_no_server(option: list[str]) -> None:
    """A page of no items, an error rate above one, a negative latency or an empty bucket is bad
    input (exit 2), not a server that misbehaves."""
    outcome = azroute("serve", str(FIXTURES / "interop-testbed"), *option)
    assert outcome.exit_code == 2 and option[0] in outcome.stderr, outcome.stderr


# -- routes --format dot/mermaid: a name is one quoted string, whatever it holds ----------------------------

# a VNet name that closes DOT's quoted id and adds an attribute, ending in the backslash that would
# escape the closing quote; a peering name that closes Mermaid's label and adds a node
DOT_BREAKER = 'hub" [URL="javascript:alert(1)"]; "x\\'
MERMAID_BREAKER = 'to-spoke"];evil["x'


def _quote_breakers(tmp_path: Path) -> Path:
    from tests.helpers import NET, peering, subnet, vnet, write_fixture

    hub = vnet(
        DOT_BREAKER,
        "10.0.0.0/16",
        subnets=[subnet(DOT_BREAKER, "web", "10.0.1.0/24")],
        peerings=[peering(DOT_BREAKER, MERMAID_BREAKER, f"{NET}/virtualNetworks/spoke")],
    )
    spoke = vnet(
        "spoke",
        "10.1.0.0/16",
        subnets=[subnet("spoke", "app", "10.1.1.0/24")],
        peerings=[peering("spoke", "to-hub", hub["id"])],
    )
    return write_fixture(tmp_path / "quotes", {"v.json": {"value": [hub, spoke]}})


def test_routes_dot_quotes_every_name(tmp_path: Path) -> None:
    """DOT's quoted ids escape `"` and `\\` (before: the name closed its id and added a URL attribute)."""
    import re

    outcome = azroute("routes", str(_quote_breakers(tmp_path)), "--from", DOT_BREAKER, "--format", "dot")
    assert outcome.exit_code == 0, outcome.stderr
    string = r'"((?:[^"\\]|\\.)*)"'
    node = re.compile(rf"  {string} \[shape=box, style=bold\];")
    edge = re.compile(rf'  {string} -> {string} \[label="[0-9a-f.:/, ]+"\];')
    lines = outcome.stdout.splitlines()
    assert lines[:2] == ["digraph routes {", "  rankdir=LR;"] and lines[-1] == "}"
    ids: set[str] = set()
    for line in lines[2:-1]:
        match = node.fullmatch(line) or edge.fullmatch(line)
        assert match, line
        ids.update(re.sub(r"\\(.)", r"\1", s) for s in match.groups())
    assert DOT_BREAKER in ids and f"VNetPeering {MERMAID_BREAKER}" in ids


def test_routes_mermaid_quotes_every_name(tmp_path: Path) -> None:
    """Mermaid labels spell `"` as `#quot;`, as the HTML report's topology does (before: the name
    closed its label and declared a node of its own)."""
    import re

    outcome = azroute("routes", str(_quote_breakers(tmp_path)), "--from", DOT_BREAKER, "--format", "mermaid")
    assert outcome.exit_code == 0, outcome.stderr
    node = re.compile(r'  n\d+\["([^"]*)"\]')
    edge = re.compile(r'  n\d+ -->\|"[0-9a-f.:/, ]+"\| n\d+')
    lines = outcome.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    labels: set[str] = set()
    for line in lines[1:]:
        match = node.fullmatch(line)
        assert match or edge.fullmatch(line), line
        labels.update(match.groups() if match else ())
    assert DOT_BREAKER.replace('"', "#quot;") in labels
    assert f"VNetPeering {MERMAID_BREAKER}".replace('"', "#quot;") in labels


# -- SARIF: a name never forms an embedded link --------------------------------------------------------


def test_sarif_messages_escape_what_would_be_an_embedded_link(tmp_path: Path) -> None:
    """SARIF 2.1.0 section 3.11.6: `[text](target)` in a plain text message is a link viewers render
    (GitHub code scanning, the SARIF viewers); a site named `[Fix it](https://evil.example)` made one
    in the result that names it. Brackets and backslashes are escaped, so the message is all link
    text characters."""
    import re

    root = _testbed(tmp_path)
    manifest = json.loads((root / "fixture.json").read_text())
    link = "[Fix it\\](https://evil.example/x)"
    manifest["sites"][0]["name"] = link
    (root / "fixture.json").write_text(json.dumps(manifest))
    outcome = azroute("audit", str(root), "--format", "sarif")
    assert outcome.exit_code == 0, outcome.stderr
    results = outcome.json()["runs"][0]["results"]
    texts = [r["message"]["text"] for r in results]
    texts += [loc["message"]["text"] for r in results for loc in r.get("relatedLocations", [])]
    named = [t for t in texts if "evil.example" in t]
    assert named, texts
    for text in texts:
        assert re.fullmatch(r"(?:[^\\\[\]]|\\[\\\[\]])*", text), text  # escaped link characters only
    assert re.sub(r"\\(.)", r"\1", named[0]).count(link) == 1  # and unescaped it reads as the name


# -- diff's text: a value is one line ------------------------------------------------------------------


def test_diff_text_keeps_a_name_on_its_line(tmp_path: Path) -> None:
    """A name holding a newline or a tab started a line of its own in `diff`'s text (a forged finding
    under 'New findings'); it is shown escaped, as every other text output does."""
    after = _testbed(tmp_path)
    forged = "hub-vnet\n  error   FAKE001 forged finding\tx"
    for file in (after / "arm").glob("*.json"):
        file.write_text(file.read_text().replace("hub-vnet", json.dumps(forged)[1:-1]))
    outcome = azroute("diff", str(TESTBED), str(after))
    assert outcome.exit_code == 1, outcome.stderr
    assert "FAKE001" in outcome.stdout and "\t" not in outcome.stdout
    assert not [line for line in outcome.stdout.splitlines() if "FAKE001" in line and "hub-vnet" not in line]
    assert "hub-vnet\\n  error   FAKE001 forged finding\\tx" in outcome.stdout
