"""CI-friendly renderings of an audit report: SARIF 2.1.0, JUnit XML, Markdown, HTML and CSV.

Every renderer takes a `FormatInput` (the `azroute.report/1` dict, the snapshot, the rules that
ran) and returns the whole document as text: deterministic (no timestamps, no host names), ending
in a newline, with no control characters but newlines and tabs (safe to pass through the CLI's
`echo`, which would escape any other).

    from auditor.formats import FormatInput, render
    text = render("sarif", report_dict(snapshot, result), snapshot, rules)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.formats import csv_table, html_page, junit, markdown, sarif
from auditor.formats.common import FormatInput
from auditor.model import Snapshot
from auditor.rule_api import Rule

Renderer = Callable[[FormatInput], str]

FORMATS: dict[str, Renderer] = {
    "sarif": sarif.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "html": html_page.render,
    "csv": csv_table.render,
}

# The usual file name ending of each format (for `--output FORMAT=PATH` help or defaults).
SUFFIXES: dict[str, str] = {
    "sarif": ".sarif",
    "junit": ".xml",
    "markdown": ".md",
    "html": ".html",
    "csv": ".csv",
}


def render(
    name: str,
    report: Mapping[str, Any],
    snapshot: Snapshot,
    rules: Sequence[type[Rule]] = (),
    root: Path | None = None,
    fail_on: str = "error",
    max_chars: int = 60_000,
) -> str:
    """The report in format `name` (a key of FORMATS; KeyError otherwise). `rules`: the rules that
    ran; `root`: what SARIF's file URIs are relative to (default: `sarif.default_root`); `fail_on`:
    the audit's threshold (JUnit's failures); `max_chars`: Markdown's character budget."""
    return FORMATS[name](
        FormatInput(
            report=report, snapshot=snapshot, rules=rules, root=root, fail_on=fail_on, max_chars=max_chars
        )
    )


__all__ = ["FORMATS", "SUFFIXES", "FormatInput", "Renderer", "render"]
