"""Each scenario's findings and coverage, reviewed in the diff: `fixtures/<name>/expected.json`.

Regenerate with `python -m pytest tests/test_golden.py --update-golden`. The tool version and the
number of rules run are left out, so adding a rule rewrites only the goldens it changes. A
scenario's `intents.yaml`, if it has one, is passed to the audit as `--intent` would.
"""

from __future__ import annotations

import json

import pytest

from auditor.engine import load_rules, run
from auditor.fixture import load_fixture
from auditor.report import report_dict
from tests.conftest import FIXTURES, fixture_names, scenario_options

EXPECTED = "expected.json"


def expected_text(name: str, reverse: bool = False) -> str:
    snapshot = load_fixture(FIXTURES / name)
    rules = load_rules()
    options = scenario_options(FIXTURES / name)
    report = report_dict(snapshot, run(snapshot, list(reversed(rules)) if reverse else rules, **options))
    body = {"findings": report["findings"], "coverage": report["coverage"]}
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", fixture_names())
def test_expected_findings(name: str, update_golden: bool) -> None:
    text = expected_text(name)
    golden = FIXTURES / name / EXPECTED
    if update_golden:
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no {EXPECTED} for {name}: run pytest --update-golden and review the diff"
    assert text == golden.read_text(encoding="utf-8"), (
        f"{name}: output changed; if intended, rerun with --update-golden"
    )


def test_every_scenario_has_expected_findings() -> None:
    found = [*FIXTURES.glob(f"*/{EXPECTED}"), *FIXTURES.glob(f"designs/*/{EXPECTED}")]
    assert sorted(p.parent.relative_to(FIXTURES).as_posix() for p in found) == fixture_names()


def test_output_is_deterministic() -> None:
    assert expected_text("er-vpn-vpn-more-specific") == expected_text(
        "er-vpn-vpn-more-specific", reverse=True
    )
