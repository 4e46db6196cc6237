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
from auditor.routing.controlplane import ControlPlane
from auditor.routing.failures import UnknownResource, apply_down
from auditor.routing.paths import PathFinder
from auditor.routing.views import (
    UnknownVantage,
    paths_json,
    routes_dot,
    routes_json,
    routes_mermaid,
    vantage_rows,
    walk_summary,
)

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


class RoutesFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    DOT = "dot"
    MERMAID = "mermaid"


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


DownOption = Annotated[
    list[str] | None,
    typer.Option(
        "--down",
        help="Recompute with this failed (repeatable): a connection, gateway, circuit, local network gateway, "
        "or one circuit link as CIRCUIT:primary / CIRCUIT:secondary.",
    ),
]


def _plane(path: Path | None, down: list[str] | None) -> ControlPlane:
    snapshot = _load(path)
    if down:
        try:
            snapshot = apply_down(snapshot, down)
        except UnknownResource as exc:
            _fail(str(exc))
    return ControlPlane(snapshot)


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


@app.command()
def routes(
    path: PathArg = None,
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="Vantage point: a VNet (hub-vnet), a subnet (hub-vnet/GatewaySubnet), a gateway, a circuit "
            "(er-1, er-1:secondary) or a site (location-1).",
        ),
    ] = "",
    output: Annotated[
        RoutesFormat, typer.Option("--format", "-f", help="Output format.")
    ] = RoutesFormat.TABLE,
    down: DownOption = None,
) -> None:
    """Show the routes one vantage point holds, which are selected, and why."""
    if not source:
        _fail("routes needs --from NETWORK")
    plane = _plane(path, down)
    try:
        vantage, rows = vantage_rows(plane, source)
    except UnknownVantage as exc:
        _fail(str(exc.args[0]))
    if output is RoutesFormat.JSON:
        typer.echo(json.dumps(routes_json(vantage, rows), indent=2, sort_keys=True))
    elif output is RoutesFormat.DOT:
        typer.echo(routes_dot(vantage, rows), nl=False)
    elif output is RoutesFormat.MERMAID:
        typer.echo(routes_mermaid(vantage, rows), nl=False)
    else:
        table = [
            [
                r["prefix"],
                r["nextHopType"],
                r["nextHop"] or "",
                r["via"] or "",
                " ".join(map(str, r["asPath"])),
                r["source"],
                "*" if r["selected"] else "",
                r["reason"],
            ]
            for r in rows
        ]
        typer.echo(f"Routes of {vantage.kind} {vantage.name} (* = selected)")
        typer.echo(
            tabulate(
                table,
                headers=["prefix", "next hop type", "next hop", "via", "AS path", "source", "sel", "reason"],
                tablefmt="simple",
            )
        )


@app.command()
def paths(
    path: PathArg = None,
    source: Annotated[
        str | None, typer.Option("--from", help="Only paths from this network (VNet or site).")
    ] = None,
    target: Annotated[str | None, typer.Option("--to", help="Only paths to this network.")] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TABLE,
    down: DownOption = None,
) -> None:
    """Reachability between every pair of networks, with the path each way; asymmetric pairs marked."""
    plane = _plane(path, down)
    finder = PathFinder(plane)
    names = plane.networks
    for given in (source, target):
        if given is not None and given.lower() not in {n.lower() for n in names}:
            _fail(f"no network named {given!r}; networks: {', '.join(names)}")
    pairs = [
        finder.pair(a, b)
        for a in names
        for b in names
        if a != b
        and (source is None or a.lower() == source.lower())
        and (target is None or b.lower() == target.lower())
    ]
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(paths_json(pairs, down or []), indent=2, sort_keys=True))
        return
    if source is not None and target is not None:
        for pair in pairs:
            typer.echo(
                f"{pair.source} -> {pair.destination}: {'reachable' if pair.reachable else 'NOT reachable'}"
                + (" (asymmetric)" if pair.asymmetric else "")
            )
            for label, walk in (("forward", pair.forward), ("return", pair.back)):
                hops = " > ".join(
                    f"{h.kind} {h.name}" + (f" [{h.note}]" if h.note else "") for h in walk.hops
                )
                typer.echo(
                    f"  {label}: {hops or '-'}" + ("" if walk.delivered else f"  (stops: {walk.reason})")
                )
        return
    rows_from = [n for n in names if source is None or n.lower() == source.lower()]
    cols = [n for n in names if target is None or n.lower() == target.lower()]
    by_pair = {(p.source, p.destination): p for p in pairs}
    grid = []
    for a in rows_from:
        line = [a]
        for b in cols:
            p = by_pair.get((a, b))
            if p is None:
                line.append("-")
            elif not p.reachable:
                line.append("none" if not p.forward.delivered else "one-way")
            else:
                line.append(walk_summary(p.forward) + (" *asym*" if p.asymmetric else ""))
        grid.append(line)
    typer.echo(tabulate(grid, headers=["from \\ to", *cols], tablefmt="simple"))
    asym = [p for p in pairs if p.asymmetric]
    if asym:
        typer.echo(f"\nAsymmetric pairs: {', '.join(f'{p.source}->{p.destination}' for p in asym)}")


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
