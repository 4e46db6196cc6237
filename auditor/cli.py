"""`azroute`: the command line. Thin commands that delegate to the library."""

from __future__ import annotations

import difflib
import json
import os
import signal
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from tabulate import tabulate

from auditor import __version__
from auditor.engine import Rule, RuleLoadError, load_rules, run, select_rules
from auditor.errors import InputError
from auditor.findings import Severity
from auditor.fixture import default_fixture, load_fixture, read_json
from auditor.model import Snapshot
from auditor.report import render_json, render_table, report_dict
from auditor.routing.controlplane import ControlPlane
from auditor.routing.failures import UnknownResource, apply_down
from auditor.routing.paths import PathFinder, PathPair, signature_groups
from auditor.routing.sites import site_views
from auditor.routing.views import (
    PATHS_SCHEMA,
    UnknownVantage,
    pair_json,
    routes_dot,
    routes_json,
    routes_mermaid,
    vantage_rows,
    walk_summary,
)
from auditor.unmodelled import FEATURES
from auditor.writer import MANIFEST, UnsafePath

if TYPE_CHECKING:
    from auditor.live.collector import CollectOptions, CollectResult

app = typer.Typer(
    name="azroute",
    help="Audit how an Azure hybrid network (ExpressRoute, site-to-site VPN, VNet peering) routes.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_SIGN_IN = 0, 1, 2, 3, 4


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class RoutesFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    DOT = "dot"
    MERMAID = "mermaid"


class EffectiveRoutes(StrEnum):
    NONE = "none"
    PER_SUBNET = "per-subnet"
    PER_SIGNATURE = "per-signature"
    ALL = "all"


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


AcceptOption = Annotated[
    list[str] | None,
    typer.Option(
        "--accept-unmodelled",
        help="Accept an unmodelled feature (repeatable): its gaps are listed under coverage.accepted and no "
        f"longer make coverage incomplete. Features: {', '.join(sorted(FEATURES))}.",
    ),
]


def _accepted(features: list[str] | None) -> dict[str, str]:
    """Feature -> reason; an unknown feature is a usage error naming close matches."""
    out: dict[str, str] = {}
    for feature in features or ():
        for name in (part.strip() for part in feature.split(",")):
            if not name:
                continue
            if name not in FEATURES:
                close = difflib.get_close_matches(name, sorted(FEATURES), n=3)
                hint = (
                    f"; did you mean {', '.join(close)}?"
                    if close
                    else f"; known: {', '.join(sorted(FEATURES))}"
                )
                _fail(f"--accept-unmodelled: unknown feature {name!r}{hint}")
            out[name] = f"accepted with --accept-unmodelled {name}"
    return out


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


SubscriptionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--subscription", help="Collect this subscription live (repeatable) instead of reading PATH."
    ),
]
AllSubscriptionsOption = Annotated[
    bool, typer.Option("--all-subscriptions", help="Every subscription the credential sees.")
]
ResourceGroupOption = Annotated[
    str | None, typer.Option("--resource-group", help="Only this resource group.")
]
ArmEndpointOption = Annotated[
    str, typer.Option("--arm-endpoint", help="ARM endpoint (sovereign clouds, azroute serve).")
]
CaOption = Annotated[Path | None, typer.Option("--ca", help="CA certificate to trust for --arm-endpoint.")]
SitesOption = Annotated[
    Path | None,
    typer.Option("--sites", help="JSON file with on-premises sites ({'sites': [...]} or a fixture.json)."),
]
PUBLIC_ARM = "https://management.azure.com"


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
    subscription: SubscriptionOption = None,
    all_subscriptions: AllSubscriptionsOption = False,
    resource_group: ResourceGroupOption = None,
    arm_endpoint: ArmEndpointOption = PUBLIC_ARM,
    ca: CaOption = None,
    sites: SitesOption = None,
    accept_unmodelled: AcceptOption = None,
) -> None:
    """Audit a snapshot (or collect one live) and report findings and coverage gaps.

    Exit 0: no finding reaches --fail-on and coverage is complete; 1: a finding reaches --fail-on;
    2: bad input or usage; 3: nothing failed the audit but something could not be seen."""
    if subscription or all_subscriptions:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="azroute-") as tmp:
            options = _collect_options(
                subscription,
                all_subscriptions,
                resource_group,
                arm_endpoint,
                ca,
                sites,
                "live",
                "per-signature",
            )
            _run_collect(options, Path(tmp) / "live", quiet=True)
            snapshot = _load(Path(tmp) / "live")
    else:
        snapshot = _load(path)
    rules = select_rules(_rules(), select or (), ignore or ())
    result = run(snapshot, rules, accept_unmodelled=_accepted(accept_unmodelled))
    if output is OutputFormat.JSON:
        typer.echo(render_json(report_dict(snapshot, result)), nl=False)
    else:
        typer.echo(render_table(snapshot, result), nl=False)
    if any(fail_on.reached_by(f.severity) for f in result.findings):
        raise typer.Exit(EXIT_FINDINGS)
    if result.gaps:
        raise typer.Exit(EXIT_INCOMPLETE)


def _collect_options(
    subscription: list[str] | None, all_subscriptions: bool, resource_group: str | None, arm_endpoint: str,
    ca: Path | None, sites: Path | None, name: str, effective_routes: str,
) -> CollectOptions:  # fmt: skip
    from auditor.live.collector import CollectOptions

    site_list: list[dict[str, object]] = []
    if sites is not None:
        try:
            raw = read_json(sites)
        except InputError as exc:
            _fail(str(exc))
        if not isinstance(raw, dict) or not isinstance(raw.get("sites"), list):
            _fail(f"{sites}: $.sites: expected an array of sites")
        site_list = raw["sites"]
    return CollectOptions(
        subscriptions=list(subscription or []), all_subscriptions=all_subscriptions, resource_group=resource_group,
        arm_endpoint=arm_endpoint, ca=str(ca) if ca else None, sites=site_list, name=name,
        effective_routes=effective_routes,
    )  # fmt: skip


def _run_collect(options: CollectOptions, out: Path, quiet: bool = False) -> CollectResult:
    from auditor.live.collector import Collector, SignInFailed

    if not options.subscriptions and not options.all_subscriptions:
        _fail("collect needs --subscription ID or --all-subscriptions")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())):
        _fail(f"--out {out}: neither a new or empty directory nor a snapshot; refusing to replace it")
    try:
        result = Collector(options).collect(out)
    except UnsafePath as exc:
        _fail(f"--out {out}: {exc}")
    except SignInFailed as exc:
        _fail(str(exc), EXIT_SIGN_IN)
    if not quiet:
        typer.echo(
            f"collected {result.resources} resources and {result.observations} observations "
            f"({result.failed_observations} failed) into {out} in {result.seconds:.1f}s"
            + (
                f"; waited {result.throttle_wait:.1f}s for the ARM read budget"
                if result.throttle_wait
                else ""
            ),
            err=True,
        )
        for gap in result.gaps:
            typer.echo(
                f"  not collected: {gap.scope}: {gap.operation}: {gap.status or ''} {gap.code or ''} {gap.message}",
                err=True,
            )
        for gap in result.failed:
            typer.echo(
                f"  failed: {gap.operation[len('observation ') :]} {gap.scope}: {gap.status or ''} "
                f"{gap.code or ''} {gap.message}",
                err=True,
            )
    return result


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
    views = site_views(snapshot)
    details = [
        {
            "name": v.name,
            "declared": v.declared,
            "asn": v.asn,
            "prefixes": [str(p) for p in v.prefixes],
            "circuits": sorted(c.name for c in v.circuit_ids),
            "localNetworkGateways": sorted(g.name for g in v.lng_ids),
            "links": [lk.as_dict() for lk in v.links],
        }
        for v in views
    ]
    if output is OutputFormat.JSON:
        data = {
            "schema": "azroute.inventory/1",
            "snapshot": snapshot.name,
            "counts": counts,
            "skippedResourceTypes": snapshot.skipped_types,
            "sites": [s.name for s in snapshot.sites],
            "siteDetails": details,
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
    if views:
        typer.echo("\nSites (declared in fixture.json, or inferred from ASNs and observations):")
        rows = [
            [
                v.name,
                "declared" if v.declared else "inferred",
                v.asn or "",
                ", ".join(str(p) for p in v.prefixes),
                "; ".join(
                    ", ".join(f"{k}={val}" for k, val in lk.as_dict().items() if k != "from")
                    for lk in v.links
                ),
            ]
            for v in views
        ]
        typer.echo(tabulate(rows, headers=["site", "", "ASN", "prefixes", "links"], tablefmt="simple"))
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
        headers = ["prefix", "next hop type", "next hop", "via", "AS path", "source", "sel", "reason"]
        if any(r.get("instance") for r in rows):  # an active-active gateway: rows per instance
            table = [[*line, r.get("instance") or ""] for line, r in zip(table, rows, strict=True)]
            headers.append("instance")
        typer.echo(f"Routes of {vantage.kind} {vantage.name} (* = selected)")
        typer.echo(tabulate(table, headers=headers, tablefmt="simple"))


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
    group_by: Annotated[
        GroupBy | None,
        typer.Option(
            "--group-by",
            help="signature: one row per group of VNets that route alike, to every site (JSON schema "
            "azroute.pathgroups/1). The table does this by itself above 10,000 pairs.",
        ),
    ] = None,
    down: DownOption = None,
) -> None:
    """Reachability between every pair of networks, with the path each way; asymmetric pairs marked."""
    plane = _plane(path, down)
    finder = PathFinder(plane)
    names = finder.networks()
    if not names:
        typer.echo("No networks to walk between: no VNet has a workload subnet and no site has prefixes.")
        return
    by_name = {n.lower(): n for n in names}
    for given in (source, target):
        if given is not None and given.lower() not in by_name:
            close = difflib.get_close_matches(given, names, n=5)
            _fail(f"no network named {given!r}" + (f"; did you mean {', '.join(close)}?" if close else ""))
    sources = [by_name[source.lower()]] if source else names
    targets = [by_name[target.lower()]] if target else names
    total = len(sources) * len(targets)
    grouped = group_by is GroupBy.SIGNATURE or (
        output is OutputFormat.TABLE and source is None and target is None and total > GROUPED_ABOVE
    )
    if grouped:
        _paths_grouped(finder, output, down or [], total, explicit=group_by is GroupBy.SIGNATURE)
        return

    def pairs() -> Iterator[PathPair]:
        for a in sources:
            for b in targets:
                if a != b and finder.comparable(a, b):
                    yield finder.pair(a, b)

    if output is OutputFormat.JSON:  # every pair, streamed
        typer.echo("{")
        typer.echo(f'  "down": {json.dumps(sorted(down or []))},')
        typer.echo('  "pairs": [', nl=False)
        for i, pair in enumerate(pairs()):
            text = json.dumps(pair_json(pair), indent=2, sort_keys=True).replace("\n", "\n    ")
            typer.echo(("," if i else "") + "\n    " + text, nl=False)
        typer.echo("\n  ],")
        typer.echo(f'  "schema": "{PATHS_SCHEMA}"')
        typer.echo("}")
        return
    if source is not None and target is not None:
        for pair in pairs():
            status = {"reachable": "reachable", "unknown": "UNKNOWN"}.get(pair.status, "NOT reachable")
            typer.echo(
                f"{pair.source} -> {pair.destination}: {status}"
                + (" (asymmetric)" if pair.asymmetric else "")
            )
            for why in pair.unknown:
                typer.echo(f"  unknown: {why}")
            for label, walk in (("forward", pair.forward), ("return", pair.back)):
                hops = " > ".join(
                    f"{h.kind} {h.name}" + (f" [{h.note}]" if h.note else "") for h in walk.hops
                )
                typer.echo(
                    f"  {label}: {hops or '-'}" + ("" if walk.delivered else f"  (stops: {walk.reason})")
                )
        return
    computed = list(pairs())
    by_pair = {(p.source, p.destination): p for p in computed}
    grid = []
    for a in sources:
        line = [a]
        for b in targets:
            p = by_pair.get((a, b))
            line.append("-" if p is None else _cell(p))
        grid.append(line)
    typer.echo(tabulate(grid, headers=["from \\ to", *targets], tablefmt="simple"))
    asym = [p for p in computed if p.asymmetric]
    if asym:
        typer.echo(f"\nAsymmetric pairs: {', '.join(f'{p.source}->{p.destination}' for p in asym)}")


GROUPED_ABOVE = 10_000


class GroupBy(StrEnum):
    SIGNATURE = "signature"


def _cell(pair: PathPair) -> str:
    if pair.status == "unknown":
        return "unknown"
    if not pair.reachable:
        return "none" if not pair.forward.delivered else "one-way"
    return walk_summary(pair.forward) + (" *asym*" if pair.asymmetric else "")


def _paths_grouped(
    finder: PathFinder, output: OutputFormat, down: list[str], total: int, explicit: bool
) -> None:
    """VNets that route alike (one routing signature) walked once to every site."""
    groups = signature_groups(finder)
    sites = sorted({r.site for r in groups.rows}, key=finder.networks().index)
    if output is OutputFormat.JSON:
        data = {
            "schema": "azroute.pathgroups/1",
            "down": sorted(down),
            "groups": [{"id": i, "members": m, "count": len(m)} for i, m in enumerate(groups.members)],
            "rows": [
                {
                    "group": r.group,
                    "site": r.site,
                    "status": r.pair.status,
                    "asymmetric": r.pair.asymmetric,
                    "unknown": list(r.pair.unknown),
                    "forwardSummary": walk_summary(r.pair.forward),
                    "returnSummary": walk_summary(r.pair.back),
                }
                for r in groups.rows
            ],
        }
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if not explicit:
        typer.echo(
            f"{total} pairs: grouped by routing signature (VNets that route alike to every site), "
            f"{len(groups.members)} groups. Expand with `--from NETWORK`, or all pairs with `--format json`."
        )
    cells = {(r.group, r.site): _cell(r.pair) for r in groups.rows}
    grid = []
    for i, members in enumerate(groups.members):
        label = members[0] + (f" (+{len(members) - 1})" if len(members) > 1 else "")
        grid.append([label, *(cells.get((i, s), "-") for s in sites)])
    typer.echo(tabulate(grid, headers=["VNets \\ site", *sites], tablefmt="simple"))


@app.command()
def collect(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the fixture to.")],
    subscription: SubscriptionOption = None,
    all_subscriptions: AllSubscriptionsOption = False,
    resource_group: ResourceGroupOption = None,
    arm_endpoint: ArmEndpointOption = PUBLIC_ARM,
    ca: CaOption = None,
    effective_routes: Annotated[
        EffectiveRoutes,
        typer.Option(
            "--effective-routes",
            help="NIC effective routes: none; one NIC per subnet; one NIC per routing signature (subnets "
            "with the same gateways, route table and peerings; the observation records the subnets it "
            "stands for); or all NICs.",
        ),
    ] = EffectiveRoutes.PER_SIGNATURE,
    anonymize: Annotated[
        bool, typer.Option("--anonymize", help="Replace subscription/tenant ids and public IPs consistently.")
    ] = False,
    sites: SitesOption = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Long-running operations in flight at once.")
    ] = 256,
) -> None:
    """Collect live subscriptions into a fixture (read-only; secrets are never written).

    Exit 0 when everything was read, 3 when some of it could not be (listed as gaps)."""
    options = _collect_options(subscription, all_subscriptions, resource_group, arm_endpoint, ca, sites, out.name,
                               effective_routes.value)  # fmt: skip
    options.anonymize, options.concurrency = anonymize, concurrency
    result = _run_collect(options, out)
    if not result.complete:
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command()
def serve(
    fixture: Annotated[Path, typer.Argument(help="Fixture directory to serve.")],
    port: Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1 (0: any free port).")] = 0,
    latency: Annotated[
        list[str] | None,
        typer.Option("--latency", help="OP=SECONDS before an operation completes (repeatable; * for all)."),
    ] = None,
    throttle: Annotated[
        str | None, typer.Option("--throttle", help="BURST/RATE: per-subscription token bucket.")
    ] = None,
    error_rate: Annotated[
        float, typer.Option("--error-rate", help="Share of requests answered 503 or reset.")
    ] = 0.0,
    forbid: Annotated[
        list[str] | None, typer.Option("--forbid", help="Answer 403 for this resource group (repeatable).")
    ] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", help="Items per list page (nextLink beyond).")
    ] = 50,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fault injection.")] = 0,
) -> None:
    """Serve a fixture over HTTPS on loopback, behaving like ARM. Prints {"url", "ca"} when ready."""
    from auditor.live.server import ServeOptions, start

    if not (fixture / "fixture.json").is_file():
        _fail(f"{fixture}: $: not a fixture: fixture.json is missing")
    lat: dict[str, float] = {}
    for item in latency or []:
        op, _, seconds = item.partition("=")
        try:
            lat[op] = float(seconds)
        except ValueError:
            _fail(f"--latency {item}: expected OP=SECONDS")
    bucket = None
    if throttle:
        try:
            burst, rate = (float(x) for x in throttle.split("/"))
            bucket = (burst, rate)
        except ValueError:
            _fail(f"--throttle {throttle}: expected BURST/RATE")
    options = ServeOptions(page_size=page_size, latency=lat, throttle=bucket, error_rate=error_rate,
                           forbid=tuple(forbid or ()), seed=seed)  # fmt: skip
    server, thread = start(fixture, options, port)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    typer.echo(json.dumps({"url": server.url, "ca": server.ca_path}))
    sys.stdout.flush()
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:  # Ctrl-C or SIGTERM: stop, and remove the temporary CA with its private key
        server.shutdown()
        server.server_close()


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
