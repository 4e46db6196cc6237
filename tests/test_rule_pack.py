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


def azroute(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_an_installed_rule_pack_is_listed_and_runs(tmp_path: Path) -> None:
    install(tmp_path)
    listed = azroute(tmp_path, "rules", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    ids = [r["id"] for r in json.loads(listed.stdout)["rules"]]
    assert "CTR001" in ids and "TRN001" in ids
    fired = azroute(
        tmp_path, "audit", str(FIXTURES / "hub-spoke-transit-ok"), "--format", "json", "--select", "CTR"
    )
    assert fired.returncode == 0, fired.stderr
    findings = json.loads(fired.stdout)["findings"]
    assert [f["rule"] for f in findings] == ["CTR001"]
    assert findings[0]["resources"][0].endswith("/subnets/default")
    clean = azroute(
        tmp_path, "audit", str(FIXTURES / "hub-firewall-mirrored"), "--format", "json", "--select", "CTR"
    )
    assert not json.loads(clean.stdout)["findings"]


def test_without_the_pack_its_rules_are_unknown(tmp_path: Path) -> None:
    result = azroute(tmp_path, "audit", "--select", "CTR001")
    assert result.returncode == 2 and "CTR001" in result.stderr
