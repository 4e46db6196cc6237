"""One Markdown writer for `audit` and `diff` (issue 22, item 5): capped by characters, the least
important rows cut first, saying what it cut and which command shows all of it."""

from __future__ import annotations

import json
from typing import Any

from auditor.diff_render import render_markdown
from auditor.formats.mdwriter import Section, render
from tests.cli import azroute
from tests.conftest import FIXTURES


def huge_diff() -> dict[str, Any]:
    finding = {"rule": "TRN001", "severity": "error", "message": "x" * 120, "fingerprint": "f"}
    info = {**finding, "rule": "UDR001", "severity": "info"}
    pair = {"from": "spoke", "to": "site", "before": None, "after": None}
    return {
        "before": {"name": "before"},
        "after": {"name": "after"},
        "verdict": {"result": "regression", "why": ["10000 pair(s) lose reachability"]},
        "findings": {"new": [finding] * 500 + [info] * 500, "resolved": [], "unchanged": []},
        "pairs": {"lost": [{**pair, "to": f"site-{i}"} for i in range(10_000)], "gained": [], "changed": []},
        "routes": [],
        "intents": {"broken": [], "fixed": []},
        "coverage": {"gaps": [], "complete": True, "accepted": []},
        "summary": {
            "regression": True, "newGaps": 0, "rulesNotEvaluated": [],
            "findings": {"new": 1000, "resolved": 0, "unchanged": 0},
            "pairs": {"lost": 10_000, "gained": 0, "changed": 0}, "routesChanged": 0,
        },
    }  # fmt: skip


def test_a_huge_diff_fits_the_budget_and_says_what_it_cut() -> None:
    for budget in (60_000, 10_000):
        text = render_markdown(huge_diff(), budget)
        assert len(text) <= budget
        assert "**REGRESSION**" in text and "10000 pair(s) lose reachability" in text
        assert "more findings not shown" in text and "more pairs not shown" in text
        assert "--format json` lists every one" in text
        # errors come before infos: infos are cut first
        assert text.count("| error | TRN001 |") > text.count("| info | UDR001 |")


def test_sections_keep_document_order_and_priority_decides_what_stays() -> None:
    low = Section(["# low"], [f"low {i}" for i in range(100)], priority=5)
    high = Section(["# high"], [f"high {i}" for i in range(100)], priority=0)
    text = render([low, high], 1200, full="see all")
    assert text.index("# low") < text.index("# high")
    assert "high 99" in text and "low 99" not in text and "more rows not shown (see all)" in text
    assert len(text) <= 1200 and "cut at" not in text
    tight = render([low, high], 400, full="see all")
    assert len(tight) <= 400 and tight.count("high ") > tight.count("low ") and "cut at" not in tight


def test_the_audit_markdown_obeys_the_option_too() -> None:
    result = azroute(
        "audit",
        str(FIXTURES / "interop-testbed"),
        "--format",
        "markdown",
        "--markdown-max-chars",
        "1000",
    )
    assert len(result.stdout) <= 1000 and "not shown" in result.stdout
    full = azroute("audit", str(FIXTURES / "interop-testbed"), "--format", "json")
    assert json.loads(full.stdout)["findings"]  # what was cut is in the JSON report
