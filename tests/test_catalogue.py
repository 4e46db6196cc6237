"""The misconfiguration catalogue (docs/rules.md, `auditor/catalogue.py`) names only what exists:
rules, walk constraints, unmodelled features and bundled scenarios, and a scenario named for a
pattern shows one of the pattern's rules in its expected findings."""

from __future__ import annotations

import json

from auditor import rule_api
from auditor.catalogue import CATALOGUE
from auditor.routing.withheld import WITHHELD_CONSTRAINTS
from auditor.unmodelled import FEATURES
from rules import RULES
from tests.conftest import FIXTURES

CONSTRAINTS = {
    *WITHHELD_CONSTRAINTS,
    rule_api.APPLIANCE_UNREACHABLE,
    rule_api.FORWARDED_TRAFFIC,
    rule_api.GATEWAY_NEXT_HOP_INVALID,
    rule_api.IP_FORWARDING,
    rule_api.OWN_ADDRESS_SPACE,
    rule_api.PEERING_NOT_CONNECTED,
}


def test_the_catalogue_lists_m1_to_m46_in_order() -> None:
    assert [p.id for p in CATALOGUE] == [f"M{i}" for i in range(1, 47)]


def test_every_rule_named_exists() -> None:
    ids = {r.id for r in RULES}
    missing = sorted({r for p in CATALOGUE for r in p.rules} - ids)
    assert not missing, f"the catalogue names rules that do not exist: {missing}"


def test_every_constraint_and_gap_named_exists() -> None:
    assert not {c for p in CATALOGUE for c in p.constraints} - CONSTRAINTS
    assert not {g for p in CATALOGUE for g in p.gaps} - set(FEATURES)


def test_every_scenario_named_exists_and_shows_a_rule_of_its_pattern() -> None:
    for pattern in CATALOGUE:
        for name in pattern.fixtures:
            assert (FIXTURES / name / "fixture.json").is_file(), f"{pattern.id}: no scenario {name}"
        if not pattern.rules or not pattern.fixtures:
            continue
        shown = {
            f["rule"]
            for name in pattern.fixtures
            for f in json.loads((FIXTURES / name / "expected.json").read_text())["findings"]
        }
        assert shown & set(pattern.rules), f"{pattern.id}: none of {pattern.fixtures} shows {pattern.rules}"


def test_a_pattern_without_rule_or_gap_says_why() -> None:
    for pattern in CATALOGUE:
        if not pattern.rules and not pattern.gaps:
            assert pattern.note, pattern.id
