"""Intents (`--intent FILE`): the loader's validation and rule INT001's evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.engine import AuditResult, run
from auditor.errors import InputError
from auditor.findings import fingerprint
from auditor.fixture import load_fixture
from auditor.intents import Expect, Intent, load_intents
from rules.int001_intent_violated import IntentViolated
from tests.cli import azroute
from tests.conftest import FIXTURES

SPOKE_TO_L1 = {"name": "spoke-l1", "from": "spoke-vnet", "to": "location-1", "expect": "reachable"}


def write(tmp_path: Path, body: Any, name: str = "intents.yaml") -> Path:
    file = tmp_path / name
    if isinstance(body, str):
        file.write_text(body, encoding="utf-8")
    elif name.endswith(".json"):
        file.write_text(json.dumps(body), encoding="utf-8")
    else:
        file.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return file


def evaluate(tmp_path: Path, fixture: str, *intents: dict[str, Any]) -> AuditResult:
    """INT001 alone on a scenario, with intents read from a file as `--intent` reads them."""
    loaded = load_intents(write(tmp_path, {"intents": list(intents)}))
    return run(load_fixture(FIXTURES / fixture), [IntentViolated], intents=loaded)


def violated(result: AuditResult) -> dict[str, dict[str, Any]]:
    """Intent name -> the evidence of its INT001 finding."""
    return {f.evidence["intent"]: f.evidence for f in result.findings if f.rule == "INT001"}


def problems(result: AuditResult, name: str) -> dict[tuple[str, str], str]:
    return {(p["from"], p["to"]): p["problem"] for p in violated(result)[name]["pairs"]}


def int_gaps(result: AuditResult) -> list[tuple[str, str, str]]:
    return [(g.kind, g.resource, g.detail) for g in result.gaps if "INT001" in g.rules]


# -- the loader ------------------------------------------------------------------------------------


def test_yaml_and_json_load_alike(tmp_path: Path) -> None:
    body = {
        "intents": [
            {**SPOKE_TO_L1, "via": ["er-1", " hub-er-gw "]},
            {"name": "b", "from": ["branch-*", "hub-vnet"], "to": "location-2", "expect": "unreachable"},
        ]
    }
    from_yaml = load_intents(write(tmp_path, body))
    from_json = load_intents(write(tmp_path, body, "intents.json"))
    assert (
        from_yaml
        == from_json
        == (
            Intent("spoke-l1", ("spoke-vnet",), ("location-1",), Expect.REACHABLE, ("er-1", "hub-er-gw")),
            Intent("b", ("branch-*", "hub-vnet"), ("location-2",), Expect.UNREACHABLE),
        )
    )


def test_the_scenario_intent_files_load() -> None:
    names = [i.name for i in load_intents(FIXTURES / "interop-testbed" / "intents.yaml")]
    assert names == [
        "spoke-reaches-location-1",
        "spokes-reach-sites-symmetrically",
        "branch-isolated-from-location-2",
    ]
    assert load_intents(FIXTURES / "spoke-remote-gateways-off" / "intents.yaml") == load_intents(
        FIXTURES / "interop-testbed" / "intents.yaml"
    )


def intent(**changes: Any) -> dict[str, Any]:
    out = {**SPOKE_TO_L1, **changes}
    return {k: v for k, v in out.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ([SPOKE_TO_L1], "$", "expected an object with the key 'intents', got a list"),
        ({"intents": [SPOKE_TO_L1], "version": 1}, "$.version", "unknown key 'version'"),
        ({"intent": [SPOKE_TO_L1]}, "$.intent", "unknown key 'intent'"),
        ({}, "$.intents", "required field is missing"),
        ({"intents": []}, "$.intents", "the list is empty"),
        ({"intents": SPOKE_TO_L1}, "$.intents", "expected a list of intents, got an object"),
        ({"intents": ["spoke-l1"]}, "$.intents[0]", "expected an intent object, got string 'spoke-l1'"),
        ({"intents": [intent(colour="red")]}, "$.intents[0].colour", "unknown key 'colour'"),
        ({"intents": [intent(name=None)]}, "$.intents[0].name", "required field is missing"),
        ({"intents": [intent(name="  ")]}, "$.intents[0].name", "expected a non-empty string"),
        ({"intents": [intent(name=12)]}, "$.intents[0].name", "got number 12"),
        (
            {"intents": [SPOKE_TO_L1, intent(name="Spoke-L1", to="location-2")]},
            "$.intents[1].name",
            "intent name 'Spoke-L1' is already used by $.intents[0]",
        ),
        ({"intents": [intent(expect="reach")]}, "$.intents[0].expect", "reachable, unreachable, symmetric"),
        ({"intents": [intent(expect=None)]}, "$.intents[0].expect", "required field is missing"),
        ({"intents": [intent(expect=True)]}, "$.intents[0].expect", "got boolean true"),
        ({"intents": [intent(**{"from": ""})]}, "$.intents[0].from", "empty string"),
        ({"intents": [intent(**{"from": None})]}, "$.intents[0].from", "required field is missing"),
        ({"intents": [intent(to=[])]}, "$.intents[0].to", "the list is empty"),
        ({"intents": [intent(to=["location-1", 3])]}, "$.intents[0].to[1]", "got number 3"),
        ({"intents": [intent(to={"site": "x"})]}, "$.intents[0].to", "got an object"),
        ({"intents": [intent(via="er-1")]}, "$.intents[0].via", "expected a list"),
        ({"intents": [intent(via=["er-1", 7])]}, "$.intents[0].via[1]", "got number 7"),
        ({"intents": [intent(via=["er-1", ""])]}, "$.intents[0].via[1]", "got string ''"),
        (
            {"intents": [intent(expect="unreachable", via=["er-1"])]},
            "$.intents[0].via",
            "needs reachable or symmetric",
        ),
    ],
)
@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_bad_intents_name_the_file_and_the_json_path(
    tmp_path: Path, body: Any, path: str, words: str, suffix: str
) -> None:
    file = write(tmp_path, body, f"intents.{suffix}")
    with pytest.raises(InputError) as caught:
        load_intents(file)
    error = caught.value
    assert (error.file, error.path) == (str(file), path)
    assert words in error.message
    assert "\n" not in str(error) and str(error).startswith(f"{file}: {path}: ")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("intents:\n  - name: a\n    from: [x\n", "invalid YAML at line 4 column 1"),
        ("intents:\n  - name: a\n   from: x\n", "invalid YAML at line 3"),
        ("intents:\n  - name: a\n    name: b\n", "duplicate key 'name' in one mapping at line 3"),
        ("intents: []\nintents: []\n", "duplicate key 'intents' in one mapping at line 2"),
        ("", "expected an object with the key 'intents', got null"),
        ("just text\n", "got string 'just text'"),
        ("intents:\n  - !!python/object:os.system x\n", "invalid YAML"),
    ],
)
def test_yaml_problems_are_one_line(tmp_path: Path, text: str, words: str) -> None:
    file = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_intents(file)
    assert caught.value.path == "$" and words in caught.value.message
    assert "\n" not in str(caught.value)


def test_json_file_is_strict_json(tmp_path: Path) -> None:
    file = write(tmp_path, '{"intents": [], "intents": []}', "intents.json")
    with pytest.raises(InputError, match="duplicate key 'intents'"):
        load_intents(file)
    yaml_only = write(tmp_path, "intents:\n  - name: a\n", "intents.JSON")
    with pytest.raises(InputError, match="invalid JSON at line 1"):
        load_intents(yaml_only)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        load_intents(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="not a regular file"):
        load_intents(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes("intents: [{name: caf\xe9}]".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_intents(tmp_path / "latin1.yaml")


# -- INT001 ----------------------------------------------------------------------------------------


def test_the_changed_peering_breaks_the_spoke_intents() -> None:
    """Done-when: with spoke-vnet's peering no longer using remote gateways, the intent that
    spoke-vnet reaches location-1 is an INT001 finding (error); on the testbed it holds."""
    intents = load_intents(FIXTURES / "interop-testbed" / "intents.yaml")
    rules = [IntentViolated]
    before = run(load_fixture(FIXTURES / "interop-testbed"), rules, intents=intents)
    after = run(load_fixture(FIXTURES / "spoke-remote-gateways-off"), rules, intents=intents)
    assert before.findings == [] and int_gaps(before) == []
    assert sorted(violated(after)) == ["spoke-reaches-location-1", "spokes-reach-sites-symmetrically"]
    (finding,) = [f for f in after.findings if f.evidence["intent"] == "spoke-reaches-location-1"]
    assert finding.severity.value == "error" and finding.name == "intent-violated"
    assert finding.message.startswith(
        "intent 'spoke-reaches-location-1' (reachable via er-1) is violated for 1 of 1 pair: "
        "spoke-vnet -> location-1: not reachable (forward stops: spoke-vnet/default:"
    )
    assert problems(after, "spokes-reach-sites-symmetrically") == {
        ("spoke-vnet", "location-1"): "not reachable",
        ("spoke-vnet", "location-2"): "not reachable",
    }


def test_the_change_is_an_error_through_the_cli() -> None:
    scenario = FIXTURES / "spoke-remote-gateways-off"
    args = ["audit", str(scenario), "--format", "json", "--fail-on", "error"]
    without = azroute(*args)
    with_intents = azroute(*args, "--intent", str(scenario / "intents.yaml"))
    assert without.exit_code == 0 and "INT001" not in without.stdout  # TRN002 is only a warning
    assert with_intents.exit_code == 1
    report = json.loads(with_intents.stdout)
    assert sorted(f["evidence"]["intent"] for f in report["findings"] if f["rule"] == "INT001") == [
        "spoke-reaches-location-1",
        "spokes-reach-sites-symmetrically",
    ]


def test_reachable_and_unreachable(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        "interop-testbed",
        {"name": "hub-l1", "from": "hub-vnet", "to": "location-1", "expect": "reachable"},
        {"name": "branch-l2", "from": "branch-vnet", "to": "location-2", "expect": "reachable"},
        {"name": "branch-l2-not", "from": "branch-vnet", "to": "location-2", "expect": "unreachable"},
        {"name": "hub-l1-not", "from": "hub-vnet", "to": "location-1", "expect": "unreachable"},
    )
    assert sorted(violated(result)) == ["branch-l2", "hub-l1-not"]
    assert problems(result, "branch-l2") == {("branch-vnet", "location-2"): "not reachable"}
    assert problems(result, "hub-l1-not") == {("hub-vnet", "location-1"): "reachable"}
    assert "forward ER er-1" in next(f.message for f in result.findings if "hub-l1-not" in f.message)
    assert int_gaps(result) == []


def test_one_way_paths(tmp_path: Path) -> None:
    """location-1 -> spoke-vnet is delivered, the reply is not: reachable fails both ways round,
    unreachable fails only where the forward direction delivers."""
    result = evaluate(
        tmp_path,
        "spoke-propagation-off",
        {"name": "l1-spoke", "from": "location-1", "to": "spoke-vnet", "expect": "reachable"},
        {"name": "spoke-l1", "from": "spoke-vnet", "to": "location-1", "expect": "reachable"},
        {"name": "l1-spoke-not", "from": "location-1", "to": "spoke-vnet", "expect": "unreachable"},
        {"name": "spoke-l1-not", "from": "spoke-vnet", "to": "location-1", "expect": "unreachable"},
    )
    assert sorted(violated(result)) == ["l1-spoke", "l1-spoke-not", "spoke-l1"]
    assert problems(result, "l1-spoke") == {
        ("location-1", "spoke-vnet"): "one-way, the return is not delivered"
    }
    assert problems(result, "spoke-l1") == {
        ("spoke-vnet", "location-1"): "one-way, only the return is delivered"
    }
    (pair,) = violated(result)["l1-spoke"]["pairs"]
    assert pair["status"] == "one-way" and pair["returnStops"].startswith("spoke-vnet/default: ")
    assert pair["forward"][-1] == "vnet spoke-vnet" and "forwardStops" not in pair


def test_symmetric_and_subnet_globs(tmp_path: Path) -> None:
    """spoke-vnet's subnets route differently: `spoke-vnet` stands for both of its endpoints,
    `spoke-vnet/data` for one; data reaches the datacenter past the firewall, the reply through it."""
    result = evaluate(
        tmp_path,
        "spoke-subnet-bypasses-firewall",
        {"name": "all-sym", "from": "SPOKE-VNET", "to": "datacenter", "expect": "symmetric"},
        {"name": "all-reach", "from": "spoke-vnet", "to": "datacenter", "expect": "reachable"},
        {"name": "default-sym", "from": "spoke-vnet/default", "to": "datacenter", "expect": "symmetric"},
        {"name": "data-sym", "from": "spoke-vnet/d?ta", "to": "data*", "expect": "symmetric"},
    )
    assert sorted(violated(result)) == ["all-sym", "data-sym"]
    assert problems(result, "all-sym") == {("spoke-vnet/data", "datacenter"): "asymmetric"}
    assert violated(result)["all-sym"]["pairsChecked"] == 2
    assert violated(result)["data-sym"]["pairsChecked"] == 1
    message = next(f.message for f in result.findings if "'data-sym'" in f.message)
    assert "asymmetric (forward ER dc-circuit (transit), return ER dc-circuit + NVA 10.0.3.4)" in message


def test_via_by_name_id_and_appliance_ip(tmp_path: Path) -> None:
    snapshot = load_fixture(FIXTURES / "spoke-subnet-bypasses-firewall")
    (circuit,) = snapshot.circuits
    result = evaluate(
        tmp_path,
        "spoke-subnet-bypasses-firewall",
        {
            "name": "through-firewall",
            "from": "spoke-vnet/default",
            "to": "datacenter",
            "expect": "reachable",
            "via": ["10.0.3.4", "HUB-ER-GW", str(circuit.id).upper(), "hub-er-gw-to-dc-circuit"],
        },
        {
            "name": "data-through-firewall",
            "from": "spoke-vnet/data",
            "to": "datacenter",
            "expect": "reachable",
            "via": ["dc-circuit", "10.0.3.4"],
        },
        {
            "name": "other-circuit",
            "from": "spoke-vnet/default",
            "to": "datacenter",
            "expect": "symmetric",
            "via": ["er-9"],
        },
    )
    assert sorted(violated(result)) == ["data-through-firewall", "other-circuit"]
    assert problems(result, "data-through-firewall") == {
        ("spoke-vnet/data", "datacenter"): "does not pass 10.0.3.4"
    }
    assert problems(result, "other-circuit") == {("spoke-vnet/default", "datacenter"): "does not pass er-9"}


def test_address_families_pair_alike(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        "dual-stack-expressroute",
        {"name": "both", "from": "spoke-vnet", "to": "location-2", "expect": "unreachable"},
        {"name": "v6", "from": "spoke-vnet (IPv6)", "to": "location-*", "expect": "unreachable"},
    )
    assert set(problems(result, "both")) == {
        ("spoke-vnet", "location-2"),
        ("spoke-vnet (IPv6)", "location-2 (IPv6)"),
    }
    assert set(problems(result, "v6")) == {("spoke-vnet (IPv6)", "location-2 (IPv6)")}


def test_globs_that_match_nothing_are_gaps(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        "interop-testbed",
        {"name": "typo", "from": "spoke-vent", "to": "location-1", "expect": "reachable"},
        {
            "name": "no-dest",
            "from": "spoke-vnet",
            "to": ["dc-*", "hub-vnet/nosuchsubnet"],
            "expect": "reachable",
        },
        {"name": "itself", "from": "hub-*", "to": "hub-vnet", "expect": "unreachable"},
    )
    assert result.findings == []
    assert int_gaps(result) == [
        (
            "intent-matches-nothing",
            "intent itself",
            "'from' and 'to' match no two different networks of one address family",
        ),
        (
            "intent-matches-nothing",
            "intent no-dest",
            "'to' (dc-*, hub-vnet/nosuchsubnet) matches no VNet, subnet or site of the snapshot",
        ),
        (
            "intent-matches-nothing",
            "intent typo",
            "'from' (spoke-vent) matches no VNet, subnet or site of the snapshot",
        ),
    ]


def test_unknown_answers_are_gaps_not_verdicts(tmp_path: Path) -> None:
    """In the partial snapshot every hybrid pair depends on what is outside it: no finding either
    way, a gap naming the intent; the peering pair inside it is still evaluated."""
    result = evaluate(
        tmp_path,
        "partial-snapshot",
        {"name": "reach", "from": "spoke-vnet", "to": "location-*", "expect": "reachable"},
        {"name": "isolated", "from": "spoke-vnet", "to": "location-*", "expect": "unreachable"},
        {"name": "peered", "from": "spoke-vnet", "to": "hub-*", "expect": "unreachable"},
    )
    assert sorted(violated(result)) == ["peered"]
    gaps = int_gaps(result)
    assert [(kind, resource) for kind, resource, _ in gaps] == [
        ("not-evaluated", "intent isolated"),
        ("not-evaluated", "intent reach"),
    ]
    assert all(
        detail.startswith(
            "spoke-vnet -> location-1 and 1 more pair: the answer depends on what azroute cannot see ("
        )
        for _, _, detail in gaps
    )


def test_fingerprint_is_the_intent_name(tmp_path: Path) -> None:
    """The same name gives the same finding whatever pairs break it; another name, another."""
    one = evaluate(
        tmp_path,
        "spoke-remote-gateways-off",
        {**SPOKE_TO_L1, "name": "keep"},
        {**SPOKE_TO_L1, "name": "other"},
    )
    wider = evaluate(
        tmp_path, "spoke-remote-gateways-off", {**SPOKE_TO_L1, "name": "keep", "to": "location-*"}
    )
    first = {f.evidence["intent"]: f for f in one.findings}
    (second,) = wider.findings
    assert second.evidence["pairCount"] == 2 and first["keep"].evidence["pairCount"] == 1
    assert second.fingerprint == first["keep"].fingerprint == fingerprint("INT001", (), "keep")
    assert first["other"].fingerprint != first["keep"].fingerprint
    assert second.resources == ()


def test_no_intents_no_work() -> None:
    result = run(load_fixture(FIXTURES / "spoke-remote-gateways-off"), [IntentViolated])
    assert result.findings == [] and int_gaps(result) == []


# -- intents that held -------------------------------------------------------------------------------


def test_every_intent_has_its_outcome(tmp_path: Path) -> None:
    """Held, violated and not evaluated (a glob that matches nothing; a pair that depends on what
    azroute cannot see), in file order; a violated intent stays violated when also partly unknown."""
    result = evaluate(
        tmp_path,
        "partial-snapshot",
        {"name": "peered", "from": "spoke-vnet", "to": "hub-*", "expect": "unreachable"},
        {"name": "reach", "from": "spoke-vnet", "to": "location-*", "expect": "reachable"},
        {"name": "typo", "from": "spoke-vent", "to": "hub-vnet", "expect": "reachable"},
        {"name": "peered-ok", "from": "spoke-vnet", "to": "hub-*", "expect": "reachable"},
    )
    assert [(n, s.value) for n, s in result.intents] == [
        ("peered", "violated"),
        ("reach", "not-evaluated"),
        ("typo", "not-evaluated"),
        ("peered-ok", "held"),
    ]
    assert run(load_fixture(FIXTURES / "interop-testbed"), [IntentViolated]).intents == []


def test_intents_not_checked_when_int001_does_not_run(tmp_path: Path) -> None:
    loaded = load_intents(write(tmp_path, {"intents": [SPOKE_TO_L1]}))
    result = run(load_fixture(FIXTURES / "interop-testbed"), [], intents=loaded)
    assert [(n, s.value) for n, s in result.intents] == [("spoke-l1", "not-checked")]


def test_intents_in_every_report_format(tmp_path: Path) -> None:
    """JSON lists `intents: [{name, status}]`; the table, Markdown and HTML say them in one line,
    SARIF in the run's properties, JUnit as a passing case per held intent, CSV one row each."""
    scenario = FIXTURES / "spoke-remote-gateways-off"
    base = ["audit", str(scenario), "--intent", str(scenario / "intents.yaml"), "--fail-on", "never"]
    expected = [
        {"name": "spoke-reaches-location-1", "status": "violated"},
        {"name": "spokes-reach-sites-symmetrically", "status": "violated"},
        {"name": "branch-isolated-from-location-2", "status": "held"},
    ]
    line = (
        "Intents: 2 violated (spoke-reaches-location-1, spokes-reach-sites-symmetrically); "
        "1 held (branch-isolated-from-location-2)"
    )
    out = {
        f: azroute(*base, "--format", f).stdout
        for f in ("json", "table", "markdown", "html", "sarif", "junit", "csv")
    }
    assert json.loads(out["json"])["intents"] == expected
    assert line in out["table"].splitlines() and line in out["markdown"].splitlines()
    assert '<p id="intents">Intents: 2 <span class="intent-violated">violated</span>' in out["html"]
    assert json.loads(out["sarif"])["runs"][0]["properties"]["intents"] == expected
    assert 'name="intent branch-isolated-from-location-2: held"' in out["junit"]
    rows = [r for r in out["csv"].splitlines() if '"intent-status"' in r]
    assert [r.split('","')[6] for r in rows] == [f"intent {i['name']}: {i['status']}" for i in expected]
    assert json.loads(azroute("audit", str(scenario), "-f", "json").stdout)["intents"] == []
