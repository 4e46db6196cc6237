"""`azroute diff` reads the same configuration as `audit` (issue 20, item 3): severities,
suppressions, fail-on; it records the files applied; checked with the base branch's file
(`--no-config --config BASE`), a change that edits azroute's configuration says so first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli import azroute
from tests.test_diff import TESTBED, spoke_without_remote_gateways

NO_LOSS = ("--no-fail-on-lost", "--no-fail-on-asymmetric")


def diff(*args: str) -> tuple[int, dict[str, Any], str]:
    result = azroute("diff", *args, "--format", "json")
    assert result.exit_code != 2, result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_severity_override_and_suppression_apply_to_the_diff(in_tmp: Path) -> None:
    """The spoke stops using its hub's gateways: TRN002 (a warning) is new, no regression by default."""
    change = str(spoke_without_remote_gateways(in_tmp))
    code, data, _ = diff(str(TESTBED), "--overlay", change, *NO_LOSS)
    assert code != 1 and {f["rule"]: f["severity"] for f in data["findings"]["new"]} == {"TRN002": "warning"}
    assert data["summary"]["configuration"] == []
    (in_tmp / ".azroute.toml").write_text('[severity]\nTRN002 = "error"\n')
    code, data, err = diff(str(TESTBED), "--overlay", change, *NO_LOSS)
    assert code == 1 and data["summary"]["configuration"] == [".azroute.toml"]
    assert "configuration: .azroute.toml" in err
    assert data["findings"]["new"][0]["severity"] == "error"
    (in_tmp / ".azroute.toml").write_text('fail-on = "warning"\n')
    code, _data, _ = diff(str(TESTBED), "--overlay", change, *NO_LOSS)
    assert code == 1  # fail-on from the configuration
    code, _data, _ = diff(str(TESTBED), "--overlay", change, *NO_LOSS, "--fail-on", "error")
    assert code != 1  # the command line over the configuration
    (in_tmp / ".azroute.toml").write_text(
        'fail-on = "warning"\n[[suppressions]]\nrule = "TRN002"\nresource = "**"\nreason = "accepted in CHG-1"\n'
    )
    code, data, _ = diff(str(TESTBED), "--overlay", change, *NO_LOSS)
    assert code != 1 and data["findings"]["new"][0]["suppression"]["reason"] == "accepted in CHG-1"


def test_a_change_cannot_relax_its_own_check(in_tmp: Path) -> None:
    """The pull request's working tree sets fail-on = never; checked with the base branch's file
    and --no-config, the verdict is the base's and says the configuration was edited."""
    change = str(spoke_without_remote_gateways(in_tmp))
    (in_tmp / ".git").mkdir()
    (in_tmp / ".azroute.toml").write_text('fail-on = "never"\n')
    base = in_tmp / "base.toml"
    base.write_text('fail-on = "warning"\n')
    code, data, _ = diff(str(TESTBED), "--overlay", change, *NO_LOSS, "--no-config", "--config", str(base))
    assert code == 1
    assert data["summary"]["configurationChanged"] == ".azroute.toml"
    assert data["summary"]["configuration"] == ["base.toml"]
    text = azroute("diff", str(TESTBED), "--overlay", change, "--no-config", "--config", str(base))
    assert "edits azroute's configuration (.azroute.toml)" in "\n".join(text.stdout.splitlines()[:3])
    # the same file as the base's: nothing to say
    base.write_text('fail-on = "never"\n')
    _code, data, _ = diff(str(TESTBED), "--overlay", change, "--no-config", "--config", str(base))
    assert "configurationChanged" not in data["summary"]
