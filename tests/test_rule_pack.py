"""The example third-party rule pack (`examples/rule-pack`), installed the way pip installs it
(the package and a `.dist-info` with its entry point on the path), found and run by azroute."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.cli import azroute
from tests.conftest import FIXTURES, ROOT

PACK = ROOT / "examples" / "rule-pack"


def install(target: Path) -> None:
    """What `pip install examples/rule-pack --target DIR` leaves: the package and its dist-info."""
    project = tomllib.loads((PACK / "pyproject.toml").read_text())["project"]
    shutil.copytree(PACK / "contoso_routing_rules", target / "contoso_routing_rules")
    info = target / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    groups = project["entry-points"]
    lines = [
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for group, eps in groups.items()
    ]
    (info / "entry_points.txt").write_text("\n".join(lines))


def azroute_with(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`azroute ARGS` in a process of its own whose path holds `path`: discovery as an installed
    `azroute` does it (the smoke test of this area; the rest runs in process)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The pack installed in `tmp_path`, on this process's path for the test (entry points are
    read from the path on every discovery; nothing caches them)."""
    install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_an_installed_rule_pack_is_listed_and_runs(installed: Path) -> None:
    fired = azroute_with(
        installed, "audit", str(FIXTURES / "hub-spoke-transit-ok"), "--format", "json", "--select", "CTR"
    )
    assert fired.returncode == 0, fired.stderr
    findings = json.loads(fired.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["CTR001"]
    assert findings[0]["resources"][0].endswith("/subnets/default")
    listed = azroute("rules", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    ids = [r["id"] for r in listed.json()["rules"]]
    assert "CTR001" in ids and "TRN001" in ids
    assert azroute(
        "audit", str(FIXTURES / "hub-spoke-transit-ok"), "-f", "json", "--select", "CTR"
    ).json() == (json.loads(fired.stdout))  # in process as in its own
    clean = azroute("audit", str(FIXTURES / "hub-firewall-mirrored"), "--format", "json", "--select", "CTR")
    assert not clean.json()["findings"]


def test_without_the_pack_its_rules_are_unknown() -> None:
    result = azroute("audit", "--select", "CTR001")
    assert result.exit_code == 2 and "CTR001" in result.stderr
