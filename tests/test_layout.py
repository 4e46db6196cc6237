"""Project layout rules: fixture size budgets, and what rule modules may import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, ROOT

FIXTURE_BUDGET = 400_000  # bytes of fixtures/, goldens and published designs not counted
EXPECTED_BUDGET = 330_000  # bytes of all fixtures/*/expected.json together (issue 18: evidence.pairs; ERC007 on every testbed scenario; the M-catalogue scenarios)
CHANGES_BUDGET = 250_000  # bytes of fixtures/changes/ (planned changes and their expected diffs)
ALLOWED = ("auditor.rule_api", "auditor.model", "auditor.ids")


def _sizes() -> tuple[int, int]:
    scenarios = expected = 0
    for file in FIXTURES.rglob("*"):
        if not file.is_file() or file.relative_to(FIXTURES).parts[0] in ("designs", "changes"):
            continue
        if file.name == "expected.json":
            expected += file.stat().st_size
        else:
            scenarios += file.stat().st_size
    return scenarios, expected


def test_fixture_size_budgets() -> None:
    changes = sum(f.stat().st_size for f in (FIXTURES / "changes").rglob("*") if f.is_file())
    assert changes < CHANGES_BUDGET, f"fixtures/changes/ holds {changes} bytes"
    scenarios, expected = _sizes()
    assert scenarios < FIXTURE_BUDGET, f"fixtures/ holds {scenarios} bytes; write overlays, not copies"
    assert expected < EXPECTED_BUDGET, f"expected.json files hold {expected} bytes"


def _imports(file: Path) -> list[str]:
    tree = ast.parse(file.read_text())
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_rule_modules_import_only_the_rule_api() -> None:
    bad: list[str] = []
    for file in sorted((ROOT / "rules").glob("*.py")):
        for module in _imports(file):
            top = module.split(".")[0]
            if top == "auditor" and module not in ALLOWED:
                bad.append(f"{file.name}: {module}")
            elif top == "rules":
                private = module.split(".")[1:2] and module.split(".")[1].startswith("_")
                if not (private or file.name == "__init__.py"):
                    bad.append(f"{file.name}: {module}")
            elif top in ("azure", "requests", "typer"):
                bad.append(f"{file.name}: {module}")
    assert not bad, "rule modules reach past auditor.rule_api: " + ", ".join(bad)


def test_importing_the_rules_does_not_import_the_engine() -> None:
    code = "import sys, rules; print('auditor.engine' in sys.modules, len(rules.RULES))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", str(len(__import__("rules").RULES))]


BASES = {
    "interop-testbed",
    "hub-spoke-transit-ok",
    "er-vpn-equal-prefixes",
    "hub-firewall-mirrored",
    "ecmp-two-locations",
}


def test_every_scenario_but_the_bases_is_an_overlay() -> None:
    full = {
        m.parent.name for m in FIXTURES.glob("*/fixture.json") if '"azroute-overlay/1"' not in m.read_text()
    }
    assert full == BASES, "a new scenario is an overlay on one of the bases (see CONTRIBUTING.md)"
