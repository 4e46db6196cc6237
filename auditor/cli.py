"""`azroute`: the command line. Thin commands that delegate to the library."""

from __future__ import annotations

import atexit
import contextlib
import difflib
import json
import math
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import urlsplit

import typer

try:  # typer >= 0.29 bundles its own click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on the click package
    from click.exceptions import ClickException  # type: ignore[assignment]
from tabulate import tabulate

from auditor import __version__, terminal
from auditor.catalogue import catalogue_markdown
from auditor.cli_docs import ReadableGroup
from auditor.config import Config, check_rule_refs, split_list, with_cli
from auditor.config import resolve as resolve_config
from auditor.engine import AuditResult, Rule, RuleLoadError, load_rules, run, select_rules
from auditor.errors import InputError
from auditor.findings import Severity, reaches
from auditor.fixture import default_fixture, load_fixture, read_json, snapshot_dirs
from auditor.gcpause import ending, one_command
from auditor.live import DEFAULT_MAX_RESPONSE_BYTES
from auditor.model import Snapshot
from auditor.names import NETWORKS_SCHEMA, ROUTES, accepted_by, known_names
from auditor.report import render_json, render_table, report_dict, summary_line
from auditor.routing.controlplane import ControlPlane, control_plane
from auditor.routing.failures import UnknownResource, apply_down
from auditor.routing.paths import PathFinder, PathPair, signature_groups
from auditor.routing.shared import path_finder
from auditor.routing.sites import site_views
from auditor.routing.views import (
    PATHS_SCHEMA,
    UnknownVantage,
    Vantage,
    pair_json,
    routes_dot,
    routes_json,
    routes_mermaid,
    vantage_rows,
    walk_summary,
)
from auditor.routing.walked import GROUPED_ABOVE
from auditor.suggest import did_you_mean
from auditor.textsafe import escape, escape_cells
from auditor.triage import apply_baseline, read_baseline
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
    cls=ReadableGroup,
)

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_SIGN_IN = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C during a collection: nothing written (128 + SIGINT, as shells do)


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
        return reaches(severity, self.value)


PathArg = Annotated[
    Path | None,
    typer.Argument(
        help="Fixture directory (format azroute-fixture/1). Default: the bundled interop testbed."
    ),
]


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Everything azroute prints goes through here: control, bidi and C1 characters from the data
    (which is untrusted) are shown escaped; `\\n` and `\\t` are the output's own layout. Values put
    into tables or one-line messages are escaped whole with `escape()` first, newlines included."""
    terminal.write(escape(message, layout=True) + ("\n" if nl else ""), err=err)


def echo_json(data: object) -> None:
    """JSON output, as `json.dumps(data, indent=2, sort_keys=True)` gives it, written as it is
    encoded: a large report is never held whole as one string."""
    chunks: list[str] = []
    size = 0
    for chunk in json.JSONEncoder(indent=2, sort_keys=True).iterencode(data):
        chunks.append(chunk)
        size += len(chunk)
        if size >= 1 << 16:
            echo("".join(chunks), nl=False)
            chunks, size = [], 0
    echo("".join(chunks))


def info(message: str) -> None:
    """A line about what azroute did (stderr), left out with -q."""
    if not terminal.Mode.quiet:
        echo(message, err=True)


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    echo(f"azroute: error: {escape(message)}", err=True)
    raise typer.Exit(code)


def _load(path: Path | None) -> Snapshot:
    target = path if path is not None else default_fixture()
    started = time.monotonic()
    try:
        snapshot = load_fixture(target)
    except InputError as exc:
        _fail(str(exc))
    terminal.log().info(
        "loaded %s (%d resources) in %.2fs", target, len(snapshot.by_id), time.monotonic() - started
    )
    return snapshot


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


IntentOption = Annotated[
    Path | None,
    typer.Option(
        "--intent", help="Intents file (YAML or JSON): reachability the network must keep (rule INT001)."
    ),
]


def _intents(path: Path | None) -> tuple[Any, ...]:
    """The intents of `--intent FILE` (none without it); bad input is one line, exit 2."""
    if path is None:
        return ()
    from auditor.intents import load_intents

    try:
        return tuple(load_intents(path))
    except InputError as exc:
        _fail(str(exc))


def _plane(path: Path | None, down: list[str] | None) -> ControlPlane:
    snapshot = _load(path)
    if down:
        try:
            snapshot = apply_down(snapshot, down)
        except UnknownResource as exc:
            _fail(str(exc))
    return control_plane(snapshot)  # the snapshot's one plane (rules, views and walks share it)


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
    list[str] | None, typer.Option("--resource-group", help="Only this resource group (repeatable).")
]
ArmEndpointOption = Annotated[
    str | None,
    typer.Option("--arm-endpoint", help="ARM endpoint, e.g. of azroute serve (default: the --cloud's)."),
]


class CloudName(StrEnum):
    AZURE_CLOUD = "AzureCloud"
    AZURE_US_GOVERNMENT = "AzureUSGovernment"
    AZURE_CHINA_CLOUD = "AzureChinaCloud"


CloudOption = Annotated[
    CloudName,
    typer.Option(
        "--cloud",
        help="Azure cloud: its ARM endpoint, sign-in authority and token scope (<endpoint>/.default).",
    ),
]
CaOption = Annotated[Path | None, typer.Option("--ca", help="CA certificate to trust for --arm-endpoint.")]
SitesOption = Annotated[
    Path | None,
    typer.Option("--sites", help="JSON file with on-premises sites ({'sites': [...]} or a fixture.json)."),
]
PUBLIC_ARM = "https://management.azure.com"
# Bounds of a collection (docs/live.md); what one leaves unread is a gap named after it (exit 3).
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", help="Seconds for the whole collection; what is not read by then is a gap."),
]
MaxRetryAfterOption = Annotated[
    float,
    typer.Option("--max-retry-after", min=0, help="Longest Retry-After waited for; a longer one is a gap."),
]
LroDeadlineOption = Annotated[
    float,
    typer.Option("--lro-deadline", help="Seconds one long-running operation may take before it is a gap."),
]
MaxPagesOption = Annotated[
    int, typer.Option("--max-pages", min=1, help="Pages read of one list; beyond, the rest is a gap.")
]
MaxResponseBytesOption = Annotated[
    int,
    typer.Option(
        "--max-response-bytes",
        min=1,
        help="Bytes of one answer's body, decompressed; a larger answer is a gap.",
    ),
]
RetriesOption = Annotated[
    int,
    typer.Option("--retries", min=0, help="Retries of one request (throttling, 5xx, dropped connections)."),
]


def _bound(
    options: CollectOptions, timeout: float, max_retry_after: float, lro_deadline: float, max_pages: int,
    retries: int, max_response_bytes: int,
) -> CollectOptions:  # fmt: skip
    for name, seconds in (("--timeout", timeout), ("--lro-deadline", lro_deadline)):
        if not seconds > 0:
            _fail(f"{name} {seconds:g}: expected a number of seconds above 0")
    options.timeout, options.max_retry_after, options.lro_deadline = timeout, max_retry_after, lro_deadline
    options.max_pages, options.retries = max_pages, retries
    options.max_response_bytes = max_response_bytes
    return options


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Configuration file (TOML), laid over the nearest .azroute.toml or [tool.azroute] in pyproject.toml.",
    ),
]
NoConfigOption = Annotated[
    bool,
    typer.Option(
        "--no-config",
        help="Read no .azroute.toml or pyproject.toml (as AZROUTE_NO_CONFIG=1); --config FILE still applies.",
    ),
]


class AuditFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"
    CSV = "csv"


def _targets(
    formats: list[AuditFormat] | None, outputs: list[str] | None, file: Path | None
) -> dict[str, str]:
    """Where each format goes: path (or "-" for stdout) -> format name."""
    chosen = [f.value for f in formats or []]
    if len(chosen) > 1:
        _fail("several --format values: write them with --output FORMAT=PATH (one may go to stdout)")
    targets: dict[str, str] = {}
    if file is not None:
        if len(chosen) != 1:
            _fail("-o PATH needs exactly one --format")
        targets[str(file)] = chosen[0]
    elif chosen or not outputs:
        targets["-"] = chosen[0] if chosen else "table"
    for item in outputs or []:
        name, sep, path = item.partition("=")
        if not sep or not path or name not in {f.value for f in AuditFormat}:
            close = difflib.get_close_matches(name, [f.value for f in AuditFormat], n=1)
            _fail(
                f"--output {item}: expected FORMAT=PATH" + (f" (did you mean {close[0]}?)" if close else "")
            )
        if path in targets:
            _fail(f"--output {item}: {path} is written twice")
        targets[path] = name
    return targets


MarkdownMaxChars = Annotated[
    int,
    typer.Option(
        "--markdown-max-chars",
        min=1000,
        help="Markdown's character budget (a pull-request comment holds 65,536): the least severe rows are "
        "cut first and the report says what it cut.",
    ),
]


def _render(
    name: str, report: dict[str, Any], snapshot: Snapshot, result: AuditResult, rules: list[type[Rule]],
    fail_on: FailOn, sarif_root: Path | None, max_chars: int = 60_000,
) -> str:  # fmt: skip
    if name == "json":
        return render_json(report)
    if name == "table":
        return render_table(snapshot, result)
    from auditor.formats import render

    return render(name, report, snapshot, rules, root=sarif_root, fail_on=fail_on.value, max_chars=max_chars)


@app.command()
def audit(
    path: PathArg = None,
    output: Annotated[
        list[AuditFormat] | None,
        typer.Option(
            "--format", "-f", help="Output format on stdout (default table; with -o, into that file)."
        ),
    ] = None,
    outputs: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            help="Also write FORMAT to PATH (repeatable: several formats in one run; one summary line on "
            f"stderr). Formats: {', '.join(f.value for f in AuditFormat)}. Compare -o FILE and --out DIR.",
        ),
    ] = None,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "-o",
            help="Write the one --format to FILE instead of stdout (several formats: --output FORMAT=PATH).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="With --subscription: keep the collected snapshot in DIR (not a report: reports go to "
            "-o FILE or --output FORMAT=PATH).",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe (default: error)."),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Run only these rules (id or prefix, repeatable or comma-separated)."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Skip these rules (id or prefix).")
    ] = None,
    subscription: SubscriptionOption = None,
    all_subscriptions: AllSubscriptionsOption = False,
    resource_group: ResourceGroupOption = None,
    arm_endpoint: ArmEndpointOption = None,
    cloud: CloudOption = CloudName.AZURE_CLOUD,
    ca: CaOption = None,
    sites: SitesOption = None,
    timeout: TimeoutOption = 3600,
    max_retry_after: MaxRetryAfterOption = 120,
    lro_deadline: LroDeadlineOption = 900,
    max_pages: MaxPagesOption = 10_000,
    retries: RetriesOption = 8,
    max_response_bytes: MaxResponseBytesOption = DEFAULT_MAX_RESPONSE_BYTES,
    accept_unmodelled: AcceptOption = None,
    intent: IntentOption = None,
    config: ConfigOption = None,
    no_config: NoConfigOption = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", help="A previous JSON report: only findings not in it count for --fail-on."
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option("--write-baseline", help="Write this audit's JSON report as a baseline.")
    ] = None,
    markdown_max_chars: MarkdownMaxChars = 60_000,
    sarif_root: Annotated[
        Path | None,
        typer.Option(
            "--sarif-root",
            help="The directory SARIF's file URIs are relative to (the repository root code scanning "
            "places them in). Default: the git top level holding the snapshot, else the current directory.",
        ),
    ] = None,
) -> None:
    """Audit a snapshot (or collect one live) and report findings and coverage gaps.

    Default: the bundled testbed. --select/--ignore take rule ids or prefixes (TRN, PRF001), repeat
    or take comma lists; --accept-unmodelled accepts a known unmodelled feature; --intent checks
    intents (rule INT001); configuration, suppressions and baselines are in the README. Reports:
    --format to stdout; -o FILE puts that one format in a file; --output FORMAT=PATH (repeatable)
    writes more formats to files, with one summary line on stderr; --out DIR is not a report but
    where --subscription keeps the collected snapshot.

    Exit 0: no finding reaches --fail-on and coverage is complete; 1: a finding reaches --fail-on;
    2: bad input or usage; 3: nothing failed the audit but something could not be seen; 4: could not
    sign in; 130: interrupted while collecting."""
    if subscription or all_subscriptions:
        import tempfile

        targets = _targets(output, outputs, output_file)
        if "sarif" in targets.values() and out is None:
            _fail(
                "audit --subscription with SARIF output needs --out DIR: its results point at the snapshot's files"
            )
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
                cloud,
            )
            _bound(options, timeout, max_retry_after, lro_deadline, max_pages, retries, max_response_bytes)
            destination = out if out is not None else Path(tmp) / "live"
            _refuse_replacing(destination, [sites, ca])
            _run_collect(options, destination, quiet=True)
            snapshot = _load(destination)
            inputs = snapshot_dirs(destination)
    else:
        snapshot = _load(path)
        inputs = snapshot_dirs(path if path is not None else default_fixture())
    catalogue = _rules()
    settings = _settings(
        config, catalogue, select, ignore, intent, accept_unmodelled, baseline, inputs, not no_config
    )
    read = [*settings.files, config, settings.intent, sites]
    targets = _targets(output, outputs, output_file)
    for target, name in targets.items():
        if target != "-":
            _refuse_input(Path(target), f"--output {name}={target}", inputs, [*read, settings.baseline])
    if write_baseline is not None:  # it may replace the --baseline it read (a rolling baseline)
        _refuse_input(write_baseline, f"--write-baseline {write_baseline}", inputs, read)
    rules = select_rules(catalogue, settings.select, settings.ignore)
    result = run(
        snapshot,
        rules,
        options=settings.options,
        intents=_intents(settings.intent),
        accept_unmodelled=_accepted(settings.accept_unmodelled),
        severity=settings.severity,
        suppressions=settings.suppressions,
    )
    if settings.baseline is not None:
        try:
            result.baseline = apply_baseline(result.findings, result.marks, read_baseline(settings.baseline))
        except InputError as exc:
            _fail(str(exc))
    terminal.log().info(
        "ran %d rules: %d findings, %d coverage gaps", len(rules), len(result.findings), len(result.gaps)
    )
    if settings.files:
        info(f"configuration: {escape(', '.join(settings.files))}")
    report = report_dict(snapshot, result, configuration=settings.files)
    if write_baseline is not None:
        try:
            write_baseline.write_text(render_json(report), encoding="utf-8")
        except OSError as exc:
            _fail(f"--write-baseline {write_baseline}: {exc.strerror or exc}")
    threshold = fail_on or FailOn(settings.fail_on or "error")
    if sarif_root is not None and not sarif_root.is_dir():
        _fail(f"--sarif-root {sarif_root}: not a directory")
    for target, name in targets.items():
        text = _render(name, report, snapshot, result, rules, threshold, sarif_root, markdown_max_chars)
        if target == "-":
            echo(text, nl=False)
        else:
            try:
                Path(target).write_text(text, encoding="utf-8")
            except OSError as exc:
                _fail(f"--output {name}={target}: {exc.strerror}")
    written = [(name, target) for target, name in targets.items() if target != "-"]
    written += [("baseline", str(write_baseline))] if write_baseline is not None else []
    if written:
        info(summary_line(snapshot, result, written))
    if any(threshold.reached_by(f.severity) for f in result.counted()):
        raise typer.Exit(EXIT_FINDINGS)
    if result.gaps:
        raise typer.Exit(EXIT_INCOMPLETE)


def _refuse_input(target: Path, option: str, snapshots: list[Path], read: list[Any]) -> None:
    """An output must not replace what the audit reads: a file of a snapshot audited (or of its
    overlay base) or an input file (configuration, intents, baseline, sites). Paths are compared
    resolved, so a symlink into a snapshot is refused too; a symlink elsewhere is written through."""
    where = target.resolve()
    for folder in snapshots:
        if where == folder or where.is_relative_to(folder):
            _fail(f"{option}: inside the snapshot {folder} being audited; write it elsewhere")
    for item in read:
        if item is not None and Path(item).resolve() == where:
            _fail(f"{option}: the input file {item}; write it elsewhere")


def _refuse_replacing(out: Path, inputs: Sequence[Path | None]) -> None:
    """`--out` replaces a directory whole (the snapshot writer swaps it): never one the command
    reads (a snapshot, a change, a key, sites or CA file), one inside a directory it reads, or one
    holding what it reads. (A file option naming a directory is the option's own error.)"""
    target = out.resolve()
    for kept in inputs:
        where = None if kept is None else kept.resolve()
        if where is not None and (
            where.is_relative_to(target) or (target.is_relative_to(where) and (where / MANIFEST).is_file())
        ):
            _fail(f"--out {out}: the command reads {kept}; write it elsewhere")


def _settings(
    config: Path | None, catalogue: list[type[Rule]], select: list[str] | None, ignore: list[str] | None,
    intent: Path | None, accept: list[str] | None, baseline: Path | None, snapshots: list[Path],
    discovery: bool,
) -> Config:  # fmt: skip
    """Configuration files (never from inside the `snapshots` audited), then the command line over
    them; unknown rule ids are errors (exit 2)."""
    ids = [r.id for r in catalogue]
    try:
        settings = resolve_config(
            config,
            ids,
            snapshots=snapshots,
            discovery=discovery,
            rule_options={r.id: r.options for r in catalogue},
        )
        chosen, skipped = split_list(select or []), split_list(ignore or [])
        check_rule_refs(chosen, ids, "--select", "--select")
        check_rule_refs(skipped, ids, "--ignore", "--ignore")
    except InputError as exc:
        _fail(str(exc))
    return with_cli(
        settings,
        select=chosen,
        ignore=skipped,
        intent=intent,
        accept_unmodelled=accept or [],
        baseline=baseline,
    )


def _collect_options(
    subscription: list[str] | None, all_subscriptions: bool, resource_group: list[str] | None,
    arm_endpoint: str | None, ca: Path | None, sites: Path | None, name: str, effective_routes: str,
    cloud: CloudName = CloudName.AZURE_CLOUD,
) -> CollectOptions:  # fmt: skip
    from auditor.live.clouds import CLOUDS
    from auditor.live.collector import CollectOptions

    chosen = CLOUDS[cloud.value]
    if arm_endpoint is not None:
        parts = urlsplit(arm_endpoint)
        if parts.scheme.lower() != "https" or not parts.hostname:
            # azure-core refuses a bearer token over plain HTTP; each request would fail, and be
            # retried, until the collection gave up
            _fail(
                f"--arm-endpoint {arm_endpoint!r}: expected an https:// URL with a host "
                "(ARM and `azroute serve` answer over TLS; the token is never sent in clear)"
            )
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
        subscriptions=list(subscription or []), all_subscriptions=all_subscriptions,
        resource_groups=list(resource_group or []), arm_endpoint=arm_endpoint or chosen.arm_endpoint,
        authority=None if cloud is CloudName.AZURE_CLOUD else chosen.authority, ca=str(ca) if ca else None,
        sites=site_list, name=name, progress=not terminal.Mode.quiet,
        effective_routes=effective_routes,
    )  # fmt: skip


def _anonymized(options: CollectOptions, message: str) -> str:
    """A message printed before anything was collected, through the anonymizer when asked for."""
    if not options.anonymize:
        return message
    from auditor.anonymize import Anonymizer

    return Anonymizer(options.anonymize_key).text(message)


@contextlib.contextmanager
def _sdk_log_anonymized(options: CollectOptions) -> Iterator[None]:
    """With --anonymize, what the Azure SDK logs to stderr (warnings) goes through the anonymizer."""
    if not options.anonymize:
        yield
        return
    import logging

    from auditor.anonymize import Anonymizer

    anonymizer = Anonymizer(options.anonymize_key)

    class Through(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            echo(
                f"azroute: {record.levelname.lower()}: {escape(anonymizer.text(record.getMessage()))}",
                err=True,
            )

    sdk = logging.getLogger("azure")
    handler, propagate = Through(logging.WARNING), sdk.propagate
    sdk.addHandler(handler)
    sdk.propagate = False
    try:
        yield
    finally:
        sdk.removeHandler(handler)
        sdk.propagate = propagate


def _key(path: Path | None, option: str) -> bytes | None:
    from auditor.anonymize import KeyFileError, read_key_file

    if path is None:
        return None
    try:
        return read_key_file(path)
    except KeyFileError as exc:
        _fail(f"{option} {exc}")


def _run_collect(options: CollectOptions, out: Path, quiet: bool = False) -> CollectResult:
    from auditor.live.collector import Collector, SignInFailed

    if not options.subscriptions and not options.all_subscriptions:
        _fail("collect needs --subscription ID or --all-subscriptions")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())):
        _fail(f"--out {out}: neither a new or empty directory nor a snapshot; refusing to replace it")
    try:
        with _sdk_log_anonymized(options):
            result = Collector(options).collect(out)
    except UnsafePath as exc:
        _fail(f"--out {out}: {exc}")
    except SignInFailed as exc:
        _fail(_anonymized(options, str(exc)), EXIT_SIGN_IN)
    except KeyboardInterrupt as exc:  # the collector stopped at once and wrote nothing (or all of it)
        if getattr(exc, "written", False):
            echo(
                f"azroute: interrupted after the snapshot was written{'' if quiet else f' to {out}'}",
                err=True,
            )
        else:
            echo(
                f"azroute: interrupted: nothing written{'' if quiet else f', {out} left as it was'}", err=True
            )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if not quiet:
        info(
            f"collected {result.resources} resources and {result.observations} observations "
            f"({result.failed_observations} failed) into {out} in {result.seconds:.1f}s"
            + (
                f"; waited {result.throttle_wait:.1f}s for the ARM read budget"
                if result.throttle_wait
                else ""
            ),
        )
        for gap in result.gaps:
            echo(
                "  not collected: "
                + escape(f"{gap.scope}: {gap.operation}: {gap.status or ''} {gap.code or ''} {gap.message}"),
                err=True,
            )
        for gap in result.failed:
            echo(
                "  failed: "
                + escape(
                    f"{gap.operation[len('observation ') :]} {gap.scope}: {gap.status or ''} "
                    f"{gap.code or ''} {gap.message}"
                ),
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
    """Show what a snapshot holds, per kind.

    Also resource types read but not modelled, external references, and sites, declared or
    inferred, with their links (inferred ones marked)."""
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
        echo(json.dumps(data, indent=2, sort_keys=True))
        return
    echo(escape(f"{snapshot.name}: {snapshot.description or ''}".rstrip(": ")))
    echo(tabulate(sorted(counts.items()), headers=["kind", "count"], tablefmt="simple"))
    if snapshot.skipped_types:
        echo("\nRead but not modelled:")
        echo(
            tabulate(
                escape_cells(sorted(snapshot.skipped_types.items())),
                headers=["type", "count"],
                tablefmt="simple",
            )
        )
    if views:
        echo("\nSites (declared in fixture.json, or inferred from ASNs and observations):")
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
        echo(
            tabulate(escape_cells(rows), headers=["site", "", "ASN", "prefixes", "links"], tablefmt="simple")
        )
    if snapshot.external_references:
        echo(f"\nExternal references (not in the snapshot): {len(snapshot.external_references)}")


@app.command()
def routes(
    path: PathArg = None,
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="Vantage point: a VNet (hub-vnet: its workload subnets' tables, one per group that routes "
            "alike), a subnet (hub-vnet/GatewaySubnet), a gateway, a circuit "
            "(er-1, er-1:secondary) or a site (location-1).",
        ),
    ] = "",
    output: Annotated[
        RoutesFormat, typer.Option("--format", "-f", help="Output format.")
    ] = RoutesFormat.TABLE,
    down: DownOption = None,
) -> None:
    """Show the routes one vantage point holds, which are selected, and why.

    Each route: prefix, next hop type and address, via, AS path, source, selected or not and why.
    NETWORK is a VNet (hub-vnet: one table per group of subnets that route alike, as `paths` groups
    them), a subnet (hub-vnet/GatewaySubnet), a gateway (hub-vpn-gw), a circuit (er-1,
    er-1:secondary) or a site (location-1); `azroute networks` lists them. JSON schema
    azroute.routes/1."""
    plane = _plane(path, down)
    if not source:
        _fail(f"routes needs --from NETWORK, e.g. {_examples(plane)}; `azroute networks` lists them all")
    try:
        vantage, rows = vantage_rows(plane, source)
    except UnknownVantage as exc:
        _fail(
            f"--from: {exc.args[0]}{did_you_mean(source, accepted_by(plane, ROUTES))} "
            "(`azroute networks` lists them)"
        )
    if output is RoutesFormat.JSON:
        echo(json.dumps(routes_json(vantage, rows), indent=2, sort_keys=True))
    elif output is RoutesFormat.DOT:
        echo(routes_dot(vantage, rows), nl=False)
    elif output is RoutesFormat.MERMAID:
        echo(routes_mermaid(vantage, rows), nl=False)
    else:
        _routes_table(vantage, rows)


def _routes_table(vantage: Vantage, rows: list[dict[str, Any]]) -> None:
    """The table format: one table, or one section per subnet group of a VNet."""
    name = escape(vantage.name)
    if vantage.groups:
        echo(
            f"Routes of vnet {name}: {len(vantage.groups)} groups of subnets that route differently (* = selected)"
        )
        for group in vantage.groups:
            echo(f"\n{escape(group.name)} (subnets: {', '.join(escape(s) for s in group.subnets)})")
            echo(_route_rows_table(group.rows))
    else:
        echo(f"Routes of {vantage.kind} {name} (* = selected)")
        if vantage.kind == "vnet" and vantage.subnets:
            echo(f"Subnets: {', '.join(escape(s) for s in vantage.subnets)}")
        echo(_route_rows_table(rows))
    if vantage.note:
        echo(f"\nNote: {escape(vantage.note)}")
    if vantage.kind == "vnet" and vantage.infrastructure and (vantage.groups or vantage.note is None):
        shown = ", ".join(escape(s) for s in vantage.infrastructure)
        example = escape(f"{vantage.name}/{vantage.infrastructure[0]}")
        echo(f"\nNot shown: infrastructure subnets {shown} (e.g. --from {example})")


def _examples(plane: ControlPlane, per_kind: int = 1) -> str:
    """A few names `routes --from` accepts: the first of each kind, up to `per_kind` of it."""
    shown: dict[str, list[str]] = {}
    for entry in known_names(plane):
        if (
            ROUTES in entry.options
            and entry.kind != "subnet"
            and len(shown.setdefault(entry.kind, [])) < per_kind
        ):
            shown[entry.kind].append(entry.name)
    return ", ".join(f"{escape(n)} ({kind})" for kind, names in shown.items() for n in names) or "none"


@app.command()
def networks(
    path: PathArg = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.TABLE,
) -> None:
    """List every name that routes --from, paths --from/--to and --down accept, with its kind.

    VNets, subnets and subnet groups as `paths` names them, gateways, circuits and
    CIRCUIT:primary|secondary, connections, local network gateways, sites, each with the options
    that accept it; JSON schema azroute.networks/1. An unknown name given to any of these options,
    to `explain` or to --select/--ignore is an error naming the close ones."""
    plane = _plane(path, None)
    names = known_names(plane)
    if output is OutputFormat.JSON:
        data = {
            "schema": NETWORKS_SCHEMA,
            "snapshot": plane.snapshot.name,
            "names": [n.as_dict() for n in names],
        }
        echo(render_json(data), nl=False)
        return
    rows = [[n.name, n.kind, ", ".join(n.options)] for n in names]
    echo(tabulate(escape_cells(rows), headers=["name", "kind", "accepted by"], tablefmt="simple"))


def _route_rows_table(rows: list[dict[str, Any]]) -> str:
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
    return str(tabulate(escape_cells(table), headers=headers, tablefmt="simple"))


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
    """Reachability between every pair of networks, with the path each way; asymmetric pairs marked.

    Each pair is reachable, one-way, none or unknown (the answer depends on something outside the
    snapshot or not modelled, named). Networks are sites and VNets, one per group of subnets that
    route alike (hub-vnet/app) and per address family (hub-vnet (IPv6)). --from and --to give one
    pair with every hop. JSON schema azroute.paths/1, every pair, streamed; above 10,000 pairs the
    table groups VNets that route alike and says so (--group-by signature asks for it, JSON schema
    azroute.pathgroups/1)."""
    plane = _plane(path, down)
    finder = path_finder(plane.snapshot)
    names = finder.networks()
    if not names:
        echo("No networks to walk between: no VNet has a workload subnet and no site has prefixes.")
        return
    by_name = {n.lower(): n for n in names}
    for option, given in (("--from", source), ("--to", target)):
        if given is not None and given.lower() not in by_name:
            _fail(
                f"{option}: no network named {given!r}{did_you_mean(given, names)} "
                "(`azroute networks` lists them)"
            )
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
        echo("{")
        echo(f'  "down": {json.dumps(sorted(down or []))},')
        echo('  "pairs": [', nl=False)
        for i, pair in enumerate(pairs()):
            text = json.dumps(pair_json(pair), indent=2, sort_keys=True).replace("\n", "\n    ")
            echo(("," if i else "") + "\n    " + text, nl=False)
        echo("\n  ],")
        echo(f'  "schema": "{PATHS_SCHEMA}"')
        echo("}")
        return
    if source is not None and target is not None:
        for pair in pairs():
            status = {"reachable": "reachable", "unknown": "UNKNOWN"}.get(pair.status, "NOT reachable")
            echo(
                f"{escape(pair.source)} -> {escape(pair.destination)}: {status}"
                + (" (asymmetric)" if pair.asymmetric else "")
            )
            for why in pair.unknown:
                echo(f"  unknown: {escape(why)}")
            for label, walk in (("forward", pair.forward), ("return", pair.back)):
                hops = " > ".join(
                    f"{h.kind} {h.name}" + (f" [{h.note}]" if h.note else "") for h in walk.hops
                )
                echo(
                    f"  {label}: {escape(hops) or '-'}"
                    + ("" if walk.delivered else f"  (stops: {escape(walk.reason)})")
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
    echo(tabulate(escape_cells(grid), headers=["from \\ to", *map(escape, targets)], tablefmt="simple"))
    asym = [p for p in computed if p.asymmetric]
    if asym:
        echo(f"\nAsymmetric pairs: {', '.join(escape(f'{p.source}->{p.destination}') for p in asym)}")


class GroupBy(StrEnum):
    SIGNATURE = "signature"


def _cell(pair: PathPair) -> str:
    if pair.status == "unknown":
        return "unknown"
    if not pair.reachable:  # the pair's status (`PathPair.status`), and which way works
        if pair.status == "none":
            return "none"
        return "one-way (no return)" if pair.forward.delivered else "one-way (return only)"
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
        echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if not explicit:
        echo(
            f"{total} pairs: grouped by routing signature (VNets that route alike to every site), "
            f"{len(groups.members)} groups. Expand with `--from NETWORK`, or all pairs with `--format json`."
        )
    cells = {(r.group, r.site): _cell(r.pair) for r in groups.rows}
    grid = []
    for i, members in enumerate(groups.members):
        label = members[0] + (f" (+{len(members) - 1})" if len(members) > 1 else "")
        grid.append([label, *(cells.get((i, s), "-") for s in sites)])
    echo(tabulate(escape_cells(grid), headers=["VNets \\ site", *map(escape, sites)], tablefmt="simple"))


@app.command()
def collect(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the fixture to.")],
    subscription: SubscriptionOption = None,
    all_subscriptions: AllSubscriptionsOption = False,
    resource_group: ResourceGroupOption = None,
    arm_endpoint: ArmEndpointOption = None,
    cloud: CloudOption = CloudName.AZURE_CLOUD,
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
        bool,
        typer.Option(
            "--anonymize",
            help="Hide names, ids, GUIDs and addresses, keeping what routing depends on (docs/live.md); "
            "stderr too. A random key per run unless --anonymize-key-file.",
        ),
    ] = False,
    anonymize_key_file: Annotated[
        Path | None,
        typer.Option(
            "--anonymize-key-file",
            help="Anonymize with this key (at least 16 bytes, e.g. `openssl rand -hex 32`): the same key "
            "gives the same mapping. Implies --anonymize.",
        ),
    ] = None,
    sites: SitesOption = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="Long-running operations in flight at once.")
    ] = 256,
    timeout: TimeoutOption = 3600,
    max_retry_after: MaxRetryAfterOption = 120,
    lro_deadline: LroDeadlineOption = 900,
    max_pages: MaxPagesOption = 10_000,
    retries: RetriesOption = 8,
    max_response_bytes: MaxResponseBytesOption = DEFAULT_MAX_RESPONSE_BYTES,
) -> None:
    """Collect live subscriptions into a fixture (read-only; secrets are never written).

    --cloud sets the ARM endpoint, the sign-in authority and the token scope; the collection is
    bounded (--timeout, --max-retry-after, --lro-deadline, --max-pages, --retries,
    --max-response-bytes), what a bound leaves unread being a gap. `audit --subscription ID`
    collects and audits in one go. See docs/live.md (including the least-privilege role).

    Exit 0 when everything was read, 3 when some of it could not be (listed as gaps, a bound that
    was reached too), 130 when interrupted (nothing written)."""
    _refuse_replacing(out, [sites, ca, anonymize_key_file])
    options = _collect_options(subscription, all_subscriptions, resource_group, arm_endpoint, ca, sites, out.name,
                               effective_routes.value, cloud)  # fmt: skip
    _bound(options, timeout, max_retry_after, lro_deadline, max_pages, retries, max_response_bytes)
    options.anonymize, options.concurrency = anonymize or anonymize_key_file is not None, concurrency
    # one key for the run (a random one unless given), so files, stderr and SDK warnings agree
    options.anonymize_key = _key(anonymize_key_file, "--anonymize-key-file") or (
        secrets.token_bytes(32) if options.anonymize else None
    )
    result = _run_collect(options, out)
    if not result.complete:
        raise typer.Exit(EXIT_INCOMPLETE)


@app.command()
def anonymize(
    snapshot: Annotated[
        Path, typer.Argument(help="Snapshot or overlay directory (an overlay is flattened).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the anonymized snapshot to.")],
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Key (at least 16 bytes, e.g. `openssl rand -hex 32`): the same key gives the same mapping. "
            "Default: a random key, never written.",
        ),
    ] = None,
) -> None:
    """Write an anonymized copy of a snapshot: names, ids, GUIDs and addresses hidden, everything
    routing depends on kept, so its audit is the original's under the renaming (docs/live.md)."""
    from auditor.anonymize import Anonymizer, anonymize_snapshot

    _refuse_replacing(out, [key_file])
    key = _key(key_file, "--key-file")
    try:
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())):
            _fail(f"--out {out}: neither a new or empty directory nor a snapshot; refusing to replace it")
        result = anonymize_snapshot(snapshot, out, Anonymizer(key))
    except InputError as exc:
        _fail(str(exc))
    except UnsafePath as exc:
        _fail(f"--out {out}: {exc}")
    info(f"anonymized {result.resources} resources and {result.observations} observations into {out}")


@app.command()
def serve(
    fixture: Annotated[Path, typer.Argument(help="Fixture directory to serve.")],
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port on 127.0.0.1 (0: any free port).")
    ] = 0,
    latency: Annotated[
        list[str] | None,
        typer.Option("--latency", help="OP=SECONDS before an operation completes (repeatable; * for all)."),
    ] = None,
    throttle: Annotated[
        str | None, typer.Option("--throttle", help="BURST/RATE: per-subscription token bucket.")
    ] = None,
    error_rate: Annotated[
        float, typer.Option("--error-rate", min=0.0, max=1.0, help="Share of requests answered 503 or reset.")
    ] = 0.0,
    forbid: Annotated[
        list[str] | None, typer.Option("--forbid", help="Answer 403 for this resource group (repeatable).")
    ] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, help="Items per list page (nextLink beyond).")
    ] = 50,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fault injection.")] = 0,
    retry_after: Annotated[
        int | None, typer.Option("--retry-after", min=0, help="Retry-After of every 429 (with --throttle).")
    ] = None,
    next_link_loop: Annotated[
        bool, typer.Option("--next-link-loop", help="Every list page's nextLink points at the page itself.")
    ] = False,
    foreign_origin: Annotated[
        str | None,
        typer.Option(
            "--foreign-origin",
            help="Every nextLink and long-running operation link names this origin (https://host:port).",
        ),
    ] = None,
    hostile_page: Annotated[
        int,
        typer.Option("--hostile-page", min=1, help="The first page of a list that the options below answer."),
    ] = 1,
    gzip_bomb: Annotated[
        int | None,
        typer.Option(
            "--gzip-bomb",
            min=13,
            help="The virtualNetworks lists answer a gzip body (Content-Encoding) inflating to BYTES.",
        ),
    ] = None,
    huge_page: Annotated[
        int | None,
        typer.Option("--huge-page", min=0, help="The virtualNetworks lists answer one page of N VNets."),
    ] = None,
    html_body: Annotated[
        bool, typer.Option("--html-body", help="The virtualNetworks lists answer 200 with an HTML page.")
    ] = False,
    retry_after_text: Annotated[
        str | None,
        typer.Option(
            "--retry-after-text", help="The virtualNetworks lists answer 429 with this Retry-After."
        ),
    ] = None,
    value_not_list: Annotated[
        bool,
        typer.Option("--value-not-list", help='The virtualNetworks lists answer 200 with {"value": 5}.'),
    ] = False,
) -> None:
    """Serve a fixture over HTTPS on loopback, behaving like ARM. Prints {"url", "ca"} when ready.

    Pagination, long-running operations, throttling and injected faults, for testing collection."""
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
        if not op or not math.isfinite(lat[op]) or lat[op] < 0:
            _fail(f"--latency {item}: expected OP=SECONDS, SECONDS a number of seconds from 0")
    bucket = None
    if throttle:
        try:
            burst, rate = (float(x) for x in throttle.split("/"))
            bucket = (burst, rate)
        except ValueError:
            _fail(f"--throttle {throttle}: expected BURST/RATE")
        if not all(math.isfinite(x) and x > 0 for x in bucket):
            _fail(f"--throttle {throttle}: expected BURST/RATE, both numbers above 0")
    options = ServeOptions(page_size=page_size, latency=lat, throttle=bucket, error_rate=error_rate,
                           forbid=tuple(forbid or ()), seed=seed, retry_after=retry_after,
                           next_link_loop=next_link_loop, foreign_origin=foreign_origin, hostile_page=hostile_page, gzip_bomb=gzip_bomb,
                           huge_page=huge_page, html_body=html_body, retry_after_text=retry_after_text,
                           value_not_list=value_not_list)  # fmt: skip
    server, thread = start(fixture, options, port)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    echo(json.dumps({"url": server.url, "ca": server.ca_path}))
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
    """List the rule catalogue (docs/rules.md is generated from it)."""
    rules = _rules()
    if output is RulesFormat.JSON:
        echo(json.dumps({"schema": "azroute.rules/1", "rules": [r.metadata() for r in rules]}, indent=2))
    elif output is RulesFormat.MARKDOWN:
        echo(rules_markdown(rules), nl=False)
    else:
        rows = [[r.id, r.name, r.severity.value, r.summary] for r in rules]
        echo(tabulate(rows, headers=["id", "name", "severity", "summary"], tablefmt="simple"))


def rules_markdown(rules: list[type[Rule]]) -> str:
    out = ["# Rules", "", "Generated by `azroute rules --format markdown`; do not edit by hand.", ""]
    out += ["| id | name | severity | summary |", "| --- | --- | --- | --- |"]
    out += [f"| [{r.id}](#{r.id.lower()}) | `{r.name}` | {r.severity.value} | {r.summary} |" for r in rules]
    for r in rules:
        body = r.docs().split("\n", 1)
        out += ["", f"## {r.id}", "", f"`{r.name}` · severity **{r.severity.value}**", "", body[0]]
        if len(body) > 1:
            out += [body[1].replace("\n## ", "\n### ").rstrip()]
    out += catalogue_markdown()
    return "\n".join(out) + "\n"


@app.command()
def explain(
    rule: Annotated[str, typer.Argument(help="Rule id (TRN001) or name (remote-gateway-missing).")],
) -> None:
    """Print a rule's documentation: what it does, why it is bad, example, fix, references."""
    for r in _rules():
        if rule.upper() == r.id or rule.lower() == r.name:
            echo(f"{r.id} {r.name} ({r.severity.value})\n")
            echo(r.docs())
            return
    known = [name for r in _rules() for name in (r.id, r.name)]
    _fail(
        f"no rule {rule!r}{did_you_mean(rule.upper() if rule[:1].isupper() else rule, known)}; `azroute rules` lists them"
    )


@app.command()
def schema() -> None:
    """Print the JSON schema of the shared model (Snapshot; docs/model.schema.json)."""
    echo(json.dumps(Snapshot.model_json_schema(), indent=2, sort_keys=True))


def _version(value: bool) -> None:
    if value:
        echo(f"azroute {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only results and errors: no progress or summary lines.")
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Say what azroute does (-vv: in detail).")
    ] = 0,
) -> None:
    """Audit how an Azure hybrid network routes."""
    terminal.configure(quiet, verbose)


from auditor import cli_change  # noqa: E402,F401  (registers `diff` and `plan`)


def main() -> None:
    atexit.register(ending)  # the last handler at exit: shutdown skips walking what is left
    try:
        with one_command():  # one command per process: its builds need no young collections
            code = app(standalone_mode=False)
    except ClickException as exc:  # a bad option or argument: one line, as for any bad input
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path if ctx is not None else 'azroute'} --help')"
        echo(f"azroute: error: {escape(exc.format_message())}{hint}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:  # end of input at a prompt
        echo("Aborted!", err=True)
        sys.exit(1)
    except OSError as exc:  # a path the system refuses (too long, a loop of links): bad input, not a bug
        if os.environ.get("AZROUTE_DEBUG"):
            raise
        where = f"{exc.filename}: " if exc.filename is not None else ""
        echo(f"azroute: error: {escape(f'{where}{exc.strerror or exc}')}", err=True)
        sys.exit(EXIT_INPUT)
    except Exception as exc:  # a bug, not bad input: one line unless debugging
        if os.environ.get("AZROUTE_DEBUG"):
            raise
        echo(
            f"azroute: internal error: {type(exc).__name__}: {escape(str(exc))} "
            "(set AZROUTE_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(EXIT_INPUT)
    sys.exit(code if isinstance(code, int) else 0)
