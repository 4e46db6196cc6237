"""CSV, one row per finding: `severity,rule,name,fingerprint,resource,resources,message,suppressed,baseline`,
then one row per intent of `--intent FILE` (rule `INT001`, name `intent-status`, no severity, message
`intent NAME: STATUS`).

`resource` is the first resource's ARM id, `resources` all of them joined by `;`; `suppressed` is
`true`/`false`, `baseline` `new`/`known` (empty without a baseline); no column is numeric.

Inert in a spreadsheet (OWASP's CSV-injection guidance): every field is quoted (`csv.QUOTE_ALL`),
so a `;` or `,` inside a value never starts a cell, whichever separator the locale splits on
(`spoke;=1+1` stays one text cell); a field that a spreadsheet would take for a formula (starting
with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`; control and bidi
characters are shown as their escapes, so every record is one line.
"""

from __future__ import annotations

import csv
import io

from auditor.formats.common import FormatInput, baseline, resources, suppression
from auditor.intents import INTENT_RULE
from auditor.textsafe import escape

COLUMNS = (
    "severity",
    "rule",
    "name",
    "fingerprint",
    "resource",
    "resources",
    "message",
    "suppressed",
    "baseline",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = str(value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return escape(text)


def render(data: FormatInput) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    for f in data.findings():
        rids = resources(f)
        writer.writerow(
            [
                cell(v)
                for v in (
                    f.get("severity", ""),
                    f.get("rule", ""),
                    f.get("name", ""),
                    f.get("fingerprint", ""),
                    rids[0] if rids else "",
                    ";".join(rids),
                    f.get("message", ""),
                    "true" if suppression(f) is not None else "false",
                    baseline(f) or "",
                )
            ]
        )
    for name, state in data.intents():  # every intent's outcome, held ones too
        writer.writerow([cell(v) for v in ("", INTENT_RULE, "intent-status", "", f"intent {name}", "",
                                           f"intent {name}: {state}", "false", "")])  # fmt: skip
    return out.getvalue()
