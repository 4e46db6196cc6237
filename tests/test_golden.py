"""Whole-fixture output, reviewed in the diff. Regenerate: `pytest tests/test_golden.py --update-golden`."""

from __future__ import annotations

import pytest

from auditor.engine import load_rules, run
from auditor.fixture import load_fixture
from auditor.report import render_json, report_dict
from tests.conftest import FIXTURES, GOLDEN, fixture_names


@pytest.mark.parametrize("name", fixture_names())
def test_golden_report(name: str, update_golden: bool) -> None:
    snapshot = load_fixture(FIXTURES / name)
    text = render_json(report_dict(snapshot, run(snapshot, load_rules())))
    golden = GOLDEN / f"{name}.json"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.is_file(), f"no golden file for {name}: run pytest --update-golden and review the diff"
    assert text == golden.read_text(), f"{name}: output changed; if intended, rerun with --update-golden"


def test_every_golden_file_has_a_fixture() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == fixture_names()


def test_output_is_deterministic() -> None:
    snapshot = load_fixture(FIXTURES / "er-vpn-vpn-more-specific")
    rules = load_rules()
    first = render_json(report_dict(snapshot, run(snapshot, rules)))
    again = render_json(
        report_dict(load_fixture(FIXTURES / "er-vpn-vpn-more-specific"), run(snapshot, list(reversed(rules))))
    )
    assert first == again
