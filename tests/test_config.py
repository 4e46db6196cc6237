"""Configuration files, --select checks, suppressions with expiry and baselines (issue 13, items 2-4)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.triage import resource_matches
from tests.cli import azroute
from tests.conftest import FIXTURES

TESTBED = FIXTURES / "interop-testbed"
ERROR_SCENARIO = FIXTURES / "hub-spoke-transit-not-allowed"  # one error finding (TRN001)
ER1 = "/subscriptions/*/resourceGroups/rg-expressroute/providers/Microsoft.Network/expressRouteCircuits/er-1"


def report(*args: str) -> tuple[int, dict[str, object]]:
    code, out, err = azroute("audit", *args, "--format", "json")
    assert code != 2, err
    return code, json.loads(out)


def test_select_refuses_unknown_rules_naming_close_matches() -> None:
    code, _out, err = azroute("audit", "--select", "NOPE")
    # nothing like it: no unrelated ids offered, the catalogue named instead (issue 23)
    assert code == 2 and "NOPE" in err and "did you mean" not in err and "azroute rules" in err
    code, _out, err = azroute("audit", "--select", "PRF001,TRX")
    assert code == 2 and "TRX" in err and "TRN" in err
    code, data = report("--select", "ERC002,ERC003", "--fail-on", "never")
    assert code == 0 and {f["rule"] for f in data["findings"]} == {"ERC002", "ERC003"}  # type: ignore[index,union-attr]


def test_resource_globs() -> None:
    rid = "/subscriptions/0/resourceGroups/Net-Hub/providers/Microsoft.Network/virtualNetworks/hub/virtualNetworkPeerings/p1"
    assert resource_matches("/subscriptions/*/resourceGroups/net-hub/**", rid)
    assert resource_matches(
        "/subscriptions/*/resourceGroups/net-hub/providers/Microsoft.Network/virtualNetworks/hub/virtualNetworkPeerings/*",
        rid,
    )
    assert not resource_matches(
        "/subscriptions/*/resourceGroups/*/providers/Microsoft.Network/virtualNetworks/*", rid
    )
    assert not resource_matches("/subscriptions/*/resourceGroups/net-hub/*", rid)  # * stays within a segment
    assert resource_matches(rid.upper(), rid)


def suppression(expires: dt.date | None, rule: str = "ERC002", resource: str = ER1) -> str:
    text = f'[[suppressions]]\nrule = "{rule}"\nresource = "{resource}"\nreason = "change NET-123"\n'
    return text + (f"expires = {expires.isoformat()}\n" if expires else "")


def test_a_future_suppression_suppresses_and_a_past_one_raises_cfg001(in_tmp: Path) -> None:
    (in_tmp / ".azroute.toml").write_text(suppression(dt.date.today() + dt.timedelta(days=30)))
    code, data = report(str(TESTBED), "--fail-on", "warning")
    assert code == 0  # the only warning is suppressed
    suppressed = [f for f in data["findings"] if "suppression" in f]  # type: ignore[union-attr]
    assert [f["rule"] for f in suppressed] == ["ERC002"]
    assert suppressed[0]["suppression"]["reason"] == "change NET-123"
    assert data["summary"]["suppressed"] == 1 and data["summary"]["warning"] == 0  # type: ignore[index]
    assert not {"CFG001", "CFG002"} & {f["rule"] for f in data["findings"]}  # type: ignore[union-attr]
    (in_tmp / ".azroute.toml").write_text(suppression(dt.date.today() - dt.timedelta(days=1)))
    code, data = report(str(TESTBED), "--fail-on", "warning")
    assert code == 1
    rules = [f["rule"] for f in data["findings"]]  # type: ignore[union-attr]
    assert "CFG001" in rules and data["summary"]["suppressed"] == 0  # type: ignore[index]
    # valid through the expiry day itself
    (in_tmp / ".azroute.toml").write_text(suppression(dt.date.today()))
    assert report(str(TESTBED), "--fail-on", "warning")[0] == 0


def test_an_unused_suppression_raises_cfg002(in_tmp: Path) -> None:
    (in_tmp / ".azroute.toml").write_text(suppression(None, rule="TRN001", resource="/subscriptions/**"))
    _code, data = report(str(TESTBED))
    assert "CFG002" in {f["rule"] for f in data["findings"]}  # type: ignore[union-attr]


def test_precedence_and_discovery(in_tmp: Path) -> None:
    (in_tmp / ".git").mkdir()  # the project's root: discovery walks up to it
    (in_tmp / "pyproject.toml").write_text('[tool.azroute]\nfail-on = "warning"\n')
    nested = in_tmp / "a" / "b"
    nested.mkdir(parents=True)
    os.chdir(nested)
    assert report(str(TESTBED))[0] == 1  # the warning fails: pyproject found upwards
    assert report(str(TESTBED), "--fail-on", "error")[0] == 0  # the command line wins
    other = in_tmp / "other.toml"
    other.write_text('fail-on = "never"\nignore = ["ERC"]\n')
    code, data = report(str(TESTBED), "--config", str(other))
    assert code == 0 and not any(f["rule"].startswith("ERC") for f in data["findings"])  # type: ignore[union-attr]
    (in_tmp / ".azroute.toml").write_text('fail-on = "info"\n')
    code, _out, err = azroute("audit", str(TESTBED))
    assert code == 2 and ".azroute.toml" in err and "pyproject.toml" in err


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('selcet = ["TRN"]\n', "$.selcet"),
        ('select = ["TRN", "NOPE1"]\n', "$.select[1]"),
        ('[severity]\nERC0022 = "info"\n', "$.severity.ERC0022"),
        ('[severity]\nERC002 = "fatal"\n', "$.severity.ERC002"),
        ('[[suppressions]]\nrule = "ERC002"\nresource = "x"\n', "$.suppressions[0].reason"),
        (
            '[[suppressions]]\nrule = "ERC002"\nresource = "x"\nreason = "r"\nexpires = "soon"\n',
            "$.suppressions[0].expires",
        ),
        ("fail-on = [\n", "$"),
        # rule options: a key the rule does not read, a value of another type, a prefix (the engine
        # gives a rule the table of its own id only): each silently did nothing
        ("[options.ASY002]\nsignature = false\n", "$.options.ASY002.signature"),
        ('[options.ASY002]\nsignatures = "false"\n', "$.options.ASY002.signatures"),
        ("[options.ERC002]\nsignatures = false\n", "$.options.ERC002.signatures"),
        ("[options.ASY]\nsignatures = false\n", "$.options.ASY"),
    ],
)
def test_bad_configuration_is_one_line_naming_file_and_path(in_tmp: Path, text: str, where: str) -> None:
    (in_tmp / ".azroute.toml").write_text(text)
    code, _out, err = azroute("audit", str(TESTBED))
    assert code == 2
    assert err.count("\n") == 1 and ".azroute.toml" in err and f": {where}:" in err


def test_a_rule_option_it_declares_is_accepted(in_tmp: Path) -> None:
    (in_tmp / ".azroute.toml").write_text("[options.asy002]\nsignatures = false\n")
    code, _out, err = azroute("audit", str(TESTBED), "--select", "ASY002")
    assert code == 0, err


def test_severity_overrides(in_tmp: Path) -> None:
    (in_tmp / ".azroute.toml").write_text('[severity]\nTRN001 = "info"\n')
    code, data = report(str(ERROR_SCENARIO))
    assert code == 0 and [f["severity"] for f in data["findings"]] == ["info"]  # type: ignore[union-attr]


def test_a_baseline_lets_the_same_audit_pass_and_a_new_finding_fails(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    code, _out, _err = azroute("audit", str(ERROR_SCENARIO), "--write-baseline", str(baseline))
    assert code == 1 and json.loads(baseline.read_text())["schema"] == "azroute.report/1"
    code, data = report(str(ERROR_SCENARIO), "--baseline", str(baseline))
    assert code == 0
    assert {f["baseline"] for f in data["findings"]} == {"known"}  # type: ignore[union-attr]
    assert data["summary"]["baseline"] == {"new": 0, "known": 1, "resolved": 0}  # type: ignore[index]
    # a baseline of another snapshot: the error is new
    other = tmp_path / "other.json"
    azroute("audit", str(TESTBED), "--write-baseline", str(other))
    code, data = report(str(ERROR_SCENARIO), "--baseline", str(other))
    assert code == 1 and data["summary"]["baseline"]["new"] == 1  # type: ignore[index]
    assert data["summary"]["baseline"]["resolved"] == 4  # type: ignore[index]  (ERC002, ERC003, ERC004, ERC007)
    (tmp_path / "bad.json").write_text('{"schema": "azroute.paths/1"}')
    code, _out, err = azroute("audit", str(ERROR_SCENARIO), "--baseline", str(tmp_path / "bad.json"))
    assert code == 2 and "bad.json: $.schema" in err


# -- configuration is named and contained (issue 21, item 4) ---------------------------------------------


def _audit_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    result = azroute("audit", *args, "--format", "json", env=env)
    assert result.exit_code != 2, result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_discovery_stops_at_the_project_root_and_names_what_it_applied(in_tmp: Path) -> None:
    never = '[tool.azroute]\nfail-on = "never"\n'
    (in_tmp / "pyproject.toml").write_text(never)  # above the repository: never read
    repo = in_tmp / "repo"
    nested = repo / "a" / "b"
    nested.mkdir(parents=True)
    os.chdir(nested)
    code, data, err = _audit_json(str(ERROR_SCENARIO))
    assert code == 1 and data["summary"]["configuration"] == [] and "configuration" not in err
    (repo / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    (repo / "pyproject.toml").write_text(never)
    code, data, err = _audit_json(str(ERROR_SCENARIO))
    assert code == 0 and data["summary"]["configuration"] == ["../../pyproject.toml"]
    assert err == "configuration: ../../pyproject.toml\n"
    assert azroute("-q", "audit", str(ERROR_SCENARIO)).stderr == ""
    (in_tmp / "extra.toml").write_text('ignore = ["ERC"]\n')
    sarif = json.loads(
        azroute("audit", str(ERROR_SCENARIO), "-f", "sarif", "--config", "../../../extra.toml").stdout
    )
    assert sarif["runs"][0]["invocations"][0]["properties"]["configuration"] == [
        "../../pyproject.toml",
        "../../../extra.toml",
    ]
    # turned off: --no-config or AZROUTE_NO_CONFIG=1 (an explicit --config still applies, and is named)
    assert _audit_json(str(ERROR_SCENARIO), "--no-config")[0] == 1
    code, data, _err = _audit_json(str(ERROR_SCENARIO), env={"AZROUTE_NO_CONFIG": "1"})
    assert code == 1 and data["summary"]["configuration"] == []
    code, data, _err = _audit_json(
        str(ERROR_SCENARIO), "--no-config", "--config", str(repo / "pyproject.toml")
    )
    assert code == 0 and data["summary"]["configuration"] == ["../../pyproject.toml"]


def test_without_a_project_root_only_the_working_directory_is_searched(in_tmp: Path) -> None:
    (in_tmp / ".azroute.toml").write_text('fail-on = "never"\n')
    (in_tmp / "sub").mkdir()
    os.chdir(in_tmp / "sub")
    assert _audit_json(str(ERROR_SCENARIO))[0] == 1
    os.chdir(in_tmp)
    code, data, _err = _audit_json(str(ERROR_SCENARIO))
    assert code == 0 and data["summary"]["configuration"] == [".azroute.toml"]


def test_configuration_is_never_read_from_inside_a_snapshot(in_tmp: Path) -> None:
    (in_tmp / ".git").mkdir()
    snapshot = in_tmp / "snap"  # the testbed: exit 0; with fail-on = "info" its notes would fail it
    shutil.copytree(TESTBED, snapshot, ignore=shutil.ignore_patterns("expected.json", "intents.yaml"))
    planted = 'fail-on = "info"\n'
    (snapshot / ".azroute.toml").write_text(planted)
    (snapshot / "arm" / ".azroute.toml").write_text(planted)
    for where, arg in ((snapshot, "."), (snapshot / "arm", "..")):
        os.chdir(where)
        for target in (str(snapshot), arg):
            code, data, _err = _audit_json(target)
            assert code == 0 and data["summary"]["configuration"] == []
    # a snapshot directory is skipped even when it is not the one audited; the project's file applies
    (in_tmp / ".azroute.toml").write_text(planted)
    os.chdir(snapshot / "arm")
    code, data, _err = _audit_json(str(TESTBED))
    assert code == 1 and data["summary"]["configuration"] == ["../../.azroute.toml"]


def test_resource_globs_match_in_linear_time() -> None:
    """A glob of many wildcards against a long id: the regex it was translated to backtracked
    (`**a` eight times and `**b` against 60 `a`s: minutes; twelve times: hours); a suppression file
    could hang every audit. Matched by simulating the glob, one step per character."""
    rid = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/" + "a" * 400
    assert not resource_matches("**a" * 12 + "**b", rid)
    assert not resource_matches("/subscriptions/" + "*a" * 12 + "*b", rid)
    assert resource_matches("**a" * 12 + "**", rid) and resource_matches("**/" + "*a" * 12 + "*", rid)


def test_resource_globs_agree_with_their_regular_expression() -> None:
    """Same answers as the glob's meaning spelt as a regular expression (`*` is `[^/]*`, `**` is `.*`,
    case-insensitive), over small random globs and ids (fixed seed)."""
    import random
    import re

    rng = random.Random(7)
    for _ in range(3000):
        glob = "".join(rng.choice(["a", "B", "/", "*", "**", "?", "."]) for _ in range(rng.randint(0, 7)))
        text = "".join(rng.choice("aAb/?.") for _ in range(rng.randint(0, 8)))
        regex = "".join({"**": ".*", "*": "[^/]*"}.get(t, re.escape(t)) for t in re.split(r"(\*\*|\*)", glob))
        assert resource_matches(glob, text) == bool(re.fullmatch(regex, text, re.IGNORECASE)), (glob, text)
