"""Readable at estate scale (issue 23, item 1): 300 findings of one rule read as one row in the
table and the Markdown, and the first screen of every report names every rule that fired with its
count; the HTML links each rule to its findings and gives each finding an anchor."""

from __future__ import annotations

import re
from dataclasses import replace

from auditor.engine import AuditResult, load_rules, run
from auditor.findings import Finding, Severity
from auditor.fixture import load_fixture
from auditor.formats import render
from auditor.ids import ArmId
from auditor.model import Snapshot
from auditor.report import render_table, report_dict
from tests.conftest import FIXTURES


def crowded() -> tuple[Snapshot, AuditResult]:
    """The testbed's audit plus 300 near-identical errors of one rule before its two warnings."""
    snapshot = load_fixture(FIXTURES / "interop-testbed")
    result = run(snapshot, load_rules())
    many = [
        Finding(
            rule="ASY002",
            name="firewall-bypass",
            severity=Severity.ERROR,
            message=f"spoke-{i} bypasses the firewall",
            resources=(
                ArmId(
                    f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/spoke-{i}"
                ),
            ),
            evidence={},
            fingerprint=f"{i:016x}",
        )
        for i in range(300)
    ]
    return snapshot, replace(result, findings=sorted([*many, *result.findings], key=lambda f: f.sort_key))


def test_the_first_screen_names_every_rule_that_fired() -> None:
    snapshot, result = crowded()
    rules = sorted({f.rule for f in result.findings})
    table = render_table(snapshot, result)
    first_screen = "\n".join(table.splitlines()[:25])
    assert all(rule in first_screen for rule in rules) and "ASY002 x300" in first_screen
    assert table.count("ASY002") == 2  # the line naming the rules, and one row
    report = report_dict(snapshot, result)
    markdown = render("markdown", report, snapshot)
    assert "Rules that fired: ASY002 x300" in markdown and "**300 findings**" in markdown
    page = render("html", report, snapshot)
    head = page[: page.index('<h2 id="findings">')]
    assert all(f'href="#rule-{rule}-' in head for rule in rules) and "&times;300" in head
    anchors = set(re.findall(r'id="(rule-[^"]+)"', page))
    assert all(link in anchors for link in re.findall(r'href="#(rule-[^"]+)"', page))
    assert page.count('id="f-') == len(result.findings)


def test_the_html_filters_by_severity_and_rule_without_script_and_by_text_with_one() -> None:
    snapshot, result = crowded()
    page = render("html", report_dict(snapshot, result), snapshot)
    for rule in {f.rule for f in result.findings}:
        # a radio button per rule and the CSS that hides every other rule's findings when it is on
        assert f'id="fr-{rule}"' in page and f"#fr-{rule}:checked ~ .findings .finding:not(.r-{rule})" in page
    assert 'id="fs-error"' in page and "#fs-error:checked ~ .findings .sevgroup:not(.error)" in page
    # the radios precede the findings as siblings, which the `~` selectors need
    filters = page.index('<div class="filters">')
    assert (
        filters
        < page.index('id="fr-ASY002"')
        < page.index('<div class="findings">')
        < page.index('class="finding')
    )
    assert page.count('<div class="findings">') == 1 and page.count("</div></div>") >= 1
    assert 'type="search" id="q"' in page and "details.finding" in page
