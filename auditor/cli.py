"""`azroute`: the command line. Thin commands that delegate to the library."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from tabulate import tabulate

from auditor import __version__
from auditor.engine import Rule, RuleLoadError, load_rules, run, select_rules
from auditor.errors import InputError
from auditor.findings import Severity
from auditor.fixture import default_fixture, load_fixture
from auditor.model import Snapshot
from auditor.report import render_json, render_table, report_dict

app = typer.Typer(
    name="azroute",
    help="Audit how an Azure hybrid network (ExpressRoute, site-to-site VPN, VNet peering) routes.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class RulesFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


class FailOn(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"

    def reached_by(self, severity: Severity) -> bool:
        if self is FailOn.NEVER:
            return False
        return severity.rank <= Severity(self.value).rank


PathArg = Annotated[
    Path | None,
    typer.Argument(
        help="Fixture directory (format azroute-fixture/1). Default: the bundled interop testbed."
    ),
]


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    typer.echo(f"azroute: error: {message}", err=True)
    raise typer.Exit(code)


def _load(path: Path | None) -> Snapshot:
    try:
        return load_fixture(path if path is not None else default_fixture())
    except InputError as exc:
        _fail(str(exc))


def _rules() -> list[type[Rule]]:
    try:
        return load_rules()
    except RuleLoadError as exc:
        _fail(str(exc))


@app.command()
def audit(
    path: PathArg = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TABLE,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe.")
    ] = FailOn.ERROR,
    select: Annotated[
        list[str] | None, typer.Option("--select", help="Run only these rules (id or prefix, repeatable).")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Skip these rules (id or prefix).")
    ] = None,
) -> None:
    """Audit a snapshot and report findings and coverage gaps."""
    snapshot = _load(path)
    rules = select_rules(_rules(), select or (), ignore or ())
    result = run(snapshot, rules)
    if output is OutputFormat.JSON:
        typer.echo(render_json(report_dict(snapshot, result)), nl=False)
    else:
        typer.echo(render_table(snapshot, result), nl=False)
    if any(fail_on.reached_by(f.severity) for f in result.findings):
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def inventory(
    path: PathArg = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TABLE,
) -> None:
    """Show what a snapshot holds, per kind."""
    snapshot = _load(path)
    counts = snapshot.inventory()
    if output is OutputFormat.JSON:
        data = {
            "schema": "azroute.inventory/1",
            "snapshot": snapshot.name,
            "counts": counts,
            "skippedResourceTypes": snapshot.skipped_types,
            "sites": [s.name for s in snapshot.sites],
            "externalReferences": len(snapshot.external_references),
        }
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    typer.echo(f"{snapshot.name}: {snapshot.description or ''}".rstrip(": "))
    typer.echo(tabulate(sorted(counts.items()), headers=["kind", "count"], tablefmt="simple"))
    if snapshot.skipped_types:
        typer.echo("\nRead but not modelled:")
        typer.echo(
            tabulate(sorted(snapshot.skipped_types.items()), headers=["type", "count"], tablefmt="simple")
        )
    if snapshot.external_references:
        typer.echo(f"\nExternal references (not in the snapshot): {len(snapshot.external_references)}")


@app.command("rules")
def list_rules(
    output: Annotated[RulesFormat, typer.Option("--format", "-f", help="Output format.")] = RulesFormat.TABLE,
) -> None:
    """List the rule catalogue."""
    rules = _rules()
    if output is RulesFormat.JSON:
        typer.echo(
            json.dumps({"schema": "azroute.rules/1", "rules": [r.metadata() for r in rules]}, indent=2)
        )
    elif output is RulesFormat.MARKDOWN:
        typer.echo(rules_markdown(rules), nl=False)
    else:
        rows = [[r.id, r.name, r.severity.value, r.summary] for r in rules]
        typer.echo(tabulate(rows, headers=["id", "name", "severity", "summary"], tablefmt="simple"))


def rules_markdown(rules: list[type[Rule]]) -> str:
    out = ["# Rules", "", "Generated by `azroute rules --format markdown`; do not edit by hand.", ""]
    out += ["| id | name | severity | summary |", "| --- | --- | --- | --- |"]
    out += [f"| [{r.id}](#{r.id.lower()}) | `{r.name}` | {r.severity.value} | {r.summary} |" for r in rules]
    for r in rules:
        body = r.docs().split("\n", 1)
        out += ["", f"## {r.id}", "", f"`{r.name}` · severity **{r.severity.value}**", "", body[0]]
        if len(body) > 1:
            out += [body[1].replace("\n## ", "\n### ").rstrip()]
    return "\n".join(out) + "\n"


@app.command()
def explain(
    rule: Annotated[str, typer.Argument(help="Rule id (TRN001) or name (remote-gateway-missing).")],
) -> None:
    """Print a rule's documentation."""
    for r in _rules():
        if rule.upper() == r.id or rule.lower() == r.name:
            typer.echo(f"{r.id} {r.name} ({r.severity.value})\n")
            typer.echo(r.docs())
            return
    _fail(f"no rule {rule!r}; `azroute rules` lists them")


@app.command()
def schema() -> None:
    """Print the JSON schema of the shared model (Snapshot)."""
    typer.echo(json.dumps(Snapshot.model_json_schema(), indent=2, sort_keys=True))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"azroute {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Audit how an Azure hybrid network routes."""


def main() -> None:
    try:
        app()
    except Exception as exc:  # a bug, not bad input: one line unless debugging
        if os.environ.get("AZROUTE_DEBUG"):
            raise
        typer.echo(
            f"azroute: internal error: {type(exc).__name__}: {exc} (set AZROUTE_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(EXIT_INPUT)
