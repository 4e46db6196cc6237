"""The HTML report in a real browser (issue 23, item 1): Debian's `chromium`, driven by Playwright.

The filters hide and show findings (severity and rule: radio buttons and CSS; words: the one inline
script the page's CSP allows by its hash), every anchor resolves, nothing is wider than a 390-px
phone screen, and the page works with the network off, its strict CSP refusing nothing it holds.
Skipped, saying why, where Playwright or a chromium binary is absent (`.ci/run` installs both;
Playwright's own browser download is not used: `AZROUTE_CHROMIUM` or `chromium` on the PATH).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli import azroute
from tests.conftest import FIXTURES

REQUIRED = bool(os.environ.get("AZROUTE_BROWSER_REQUIRED"))  # .ci/run: absent is a failure, not a skip
try:
    from playwright import sync_api
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("Playwright is not installed (pip install -e '.[test]')", allow_module_level=True)
CHROMIUM = os.environ.get("AZROUTE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    assert not REQUIRED, "AZROUTE_BROWSER_REQUIRED: no chromium binary on the PATH"
    pytest.skip(
        "no chromium binary (apt-get install chromium, or set AZROUTE_CHROMIUM)", allow_module_level=True
    )

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# three severities, five rules, a matrix and long resource ids
SCENARIO = FIXTURES / "reserved-asn"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outcome = azroute("audit", str(SCENARIO), "--format", "html", "--fail-on", "never")
    assert outcome.exit_code == 0, outcome.stderr
    page = tmp_path_factory.mktemp("html") / "report.html"
    page.write_text(outcome.stdout, encoding="utf-8")
    return page


class Page:
    """One offline page of the report: every request but the file itself is refused and recorded,
    and so is every console message and page error."""

    def __init__(self, browser: Any, file: Path, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(offline=True, viewport=viewport)
        self.page = self.context.new_page()
        self.url = file.as_uri()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.page.goto(self.url)

    def _route(self, route: Any) -> None:
        if route.request.url.split("#")[0] == self.url:
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def visible(self, selector: str = "details.finding") -> list[str]:
        """The ids of the elements matching `selector` that are shown."""
        return list(
            self.page.eval_on_selector_all(
                selector, "els => els.filter(e => e.offsetParent !== null).map(e => e.id || e.className)"
            )
        )

    def classes(self, selector: str = "details.finding") -> list[list[str]]:
        return list(self.page.eval_on_selector_all(selector, "els => els.map(e => [...e.classList])"))

    def check(self, radio: str) -> None:
        self.page.click(f"label[for={radio}]")


@pytest.fixture
def page(browser: Any, report: Path) -> Iterator[Page]:
    opened = Page(browser, report, PHONE)
    yield opened
    opened.context.close()


def test_the_page_works_offline_and_its_csp_refuses_nothing_it_holds(page: Page) -> None:
    page.page.fill("#q", "asn")  # the one script runs: its hash is in the CSP
    page.page.wait_for_function("[...document.querySelectorAll('details.finding')].some(d => d.hidden)")
    assert page.requests == []  # nothing asked of the network
    assert page.errors == []
    refused = [m for m in page.console if "Content Security Policy" in m or "Refused" in m]
    assert refused == [] and [m for m in page.console if m.startswith("error")] == [], page.console
    csp = page.page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    assert (
        csp is not None
        and "default-src 'none'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1]
    )


def test_severity_and_rule_filters_hide_and_show_findings(page: Page) -> None:
    everything = page.classes()
    assert len(page.visible()) == len(everything) >= 5
    severities = {c[1] for c in everything}
    rules = sorted({c[2].removeprefix("r-") for c in everything})
    assert severities == {"error", "warning", "info"} and len(rules) >= 4
    for severity in sorted(severities):
        page.check(f"fs-{severity}")
        shown = page.visible()
        expected = page.page.eval_on_selector_all(f"details.finding.{severity}", "els => els.map(e => e.id)")
        assert shown == expected and 0 < len(shown) < len(everything), severity
    page.check("fs-all")
    assert len(page.visible()) == len(everything)
    for rule in rules:
        page.check(f"fr-{rule}")
        shown = page.visible()
        assert shown and shown == page.page.eval_on_selector_all(
            f"details.finding.r-{rule}", "els => els.map(e => e.id)"
        ), rule
        assert page.visible(f"h4.r-{rule}") and len(page.visible("h4")) == 1  # its heading only
    # both at once: a rule of another severity leaves nothing shown
    error_rule = next(c[2] for c in everything if c[1] == "error")
    page.check("fs-info")
    page.check(f"fr-{error_rule.removeprefix('r-')}")
    assert page.visible() == []
    page.check("fs-all")
    page.check("fr-all")
    assert len(page.visible()) == len(everything)


def test_the_text_filter_matches_resources_rules_and_words(page: Page) -> None:
    everything = page.page.eval_on_selector_all(
        "details.finding", "els => els.map(e => [e.id, e.textContent.toLowerCase()])"
    )
    ids = page.page.eval_on_selector_all("details.finding td code", "els => els.map(e => e.textContent)")
    names = sorted({i.rsplit("/", 1)[-1].lower() for i in ids if i.startswith("/subscriptions/")})
    # a resource some findings name and others do not, a rule, and words of a message
    resource = next(n for n in names if 0 < sum(n in text for _, text in everything) < len(everything))
    rule = page.classes()[0][2].removeprefix("r-")
    message = " ".join(page.page.text_content("details.finding summary").split()[-2:])  # type: ignore[union-attr]
    for words in (resource, rule, message):
        page.page.fill("#q", words)
        expected = [i for i, text in everything if words.lower() in text]
        page.page.wait_for_function(
            "n => [...document.querySelectorAll('details.finding')].filter(d => !d.hidden).length === n",
            arg=len(expected),
        )
        assert page.visible() == expected and 0 < len(expected) < len(everything), words
    page.page.fill("#q", "")
    assert len(page.visible()) == len(everything)


def test_every_anchor_resolves(page: Page) -> None:
    links = page.page.eval_on_selector_all("a[href^='#']", "els => els.map(e => e.getAttribute('href'))")
    rules = [link for link in links if link.startswith("#rule-")]
    assert len(rules) >= 5
    for link in links:
        assert page.page.query_selector(link) is not None, link
    for link in rules:  # a rule that fired, from the list at the top, scrolls to its findings
        page.page.evaluate("window.scrollTo(0, 0)")
        page.page.click(f"a[href='{link}']")
        top = page.page.eval_on_selector(link, "e => e.getBoundingClientRect().top")
        assert abs(top) < 2, (link, top)
    findings = page.page.eval_on_selector_all("details.finding", "els => els.map(e => e.id)")
    assert findings and all(f.startswith("f-") for f in findings) and len(set(findings)) == len(findings)
    for finding in findings:  # each finding's own anchor, as another document links to it
        page.page.goto(f"{page.url}#{finding}")
        assert page.page.evaluate("document.querySelector(':target')?.id") == finding
        top = page.page.eval_on_selector(f"#{finding}", "e => e.getBoundingClientRect().top")
        assert top < PHONE["height"], (finding, top)


def test_nothing_overflows_a_phone_wide_screen(page: Page) -> None:
    width = page.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1] == PHONE["width"], width
    for selector in ("td", "summary", "li", "h1", "h2", "h3", "h4", "p"):
        wide = page.page.eval_on_selector_all(
            selector,
            "els => els.filter(e => e.offsetParent !== null && e.closest('.scroll') === null"
            " && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 80))",
        )
        assert wide == [], (selector, wide)
    ids = page.page.eval_on_selector_all(
        "td code",
        "els => els.filter(e => e.textContent.length > 60).map(e => e.closest('td'))"
        ".map(td => [td.scrollWidth, td.clientWidth, td.getBoundingClientRect().right])",
    )
    assert ids, "no long resource id in the report"
    for scroll, client, right in ids:
        assert scroll <= client and right <= PHONE["width"], (scroll, client, right)


def test_an_estate_s_first_screen_names_every_rule_that_fired_with_its_count(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A bench estate (hundreds of near-identical ASY002 findings beside a few others): on a phone's
    first screen, every rule that fired with its count; nothing wider than the screen."""
    from bench.realistic import Shape, generate

    estate = tmp_path_factory.mktemp("estate") / "estate"
    generate(estate, Shape.scaled(220, hubs=2, dc_prefixes=50, branch_prefixes=5))
    file = estate.parent / "report.html"
    outcome = azroute("audit", str(estate), "--format", "json", "--output", f"html={file}")  # one audit
    counts: dict[str, int] = {}
    for finding in outcome.json()["findings"]:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    assert len(counts) >= 3 and max(counts.values()) >= 30, counts
    opened = Page(browser, file, PHONE)
    try:
        fired = opened.page.eval_on_selector_all(
            "ul.fired li", "els => els.map(e => [e.textContent, e.getBoundingClientRect().bottom])"
        )
        width = opened.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
    finally:
        opened.context.close()
    assert {text.split()[0]: int(text.split("\u00d7")[1].split()[0]) for text, _ in fired} == counts
    assert all(bottom <= PHONE["height"] for _, bottom in fired), fired
    assert width[0] <= width[1], width
