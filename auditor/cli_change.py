"""`azroute diff` and `azroute plan`: pre-change validation on the command line."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.change import share_unchanged
from auditor.cli import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    AcceptOption,
    ConfigOption,
    DownOption,
    FailOn,
    MarkdownMaxChars,
    NoConfigOption,
    _accepted,
    _fail,
    _intents,
    _refuse_replacing,
    _rules,
    _settings,
    app,
    echo,
    echo_json,
    info,
)
from auditor.config import discover, display
from auditor.diff import NOTHING, configuration_rules, diff, evaluate, evaluate_change, partly_evaluated
from auditor.diff_render import render_markdown, render_text
from auditor.engine import select_rules
from auditor.errors import InputError
from auditor.findings import Severity
from auditor.fixture import SnapshotSource, build_snapshot, read_source, snapshot_dirs
from auditor.model import Snapshot
from auditor.predict import InputKind, Prediction
from auditor.routing.failures import UnknownResource, apply_down
from auditor.terminal import Stages
from auditor.textsafe import escape
from auditor.writer import MANIFEST, UnsafePath


class DiffFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


WhatIfOption = Annotated[
    Path | None,
    typer.Option(
        "--what-if",
        help="ARM what-if result (az deployment group|sub what-if --result-format FullResourcePayloads "
        "--no-pretty-print).",
    ),
]
TerraformOption = Annotated[
    Path | None, typer.Option("--terraform-plan", help="Terraform plan JSON (terraform show -json PLANFILE).")
]
OverlayOption = Annotated[
    Path | None, typer.Option("--overlay", help="An overlay (azroute-overlay/1) applied to BEFORE.")
]
PredictSubscription = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        help="Subscription of resources a Terraform plan creates (default: from BEFORE when their resource "
        "group is in exactly one subscription).",
    ),
]


def _change(
    what_if: Path | None, terraform_plan: Path | None, overlay: Path | None
) -> tuple[InputKind, Path] | None:
    options: list[tuple[InputKind, Path | None]] = [
        ("what-if", what_if),
        ("terraform-plan", terraform_plan),
        ("overlay", overlay),
    ]
    given = [(kind, path) for kind, path in options if path is not None]
    if len(given) > 1:
        _fail("give one of --what-if, --terraform-plan and --overlay")
    return given[0] if given else None


def _predicted(
    before: Path,
    kind: InputKind,
    file: Path,
    subscription: str | None,
    read: SnapshotSource | None = None,
    built: Snapshot | None = None,
) -> tuple[Snapshot, Prediction, dict[str, Any], Snapshot | None]:
    """AFTER predicted from BEFORE (`read`: BEFORE as read already, `built`: its snapshot)."""
    from auditor.predict.plan import favourable_source, predict, unchanged

    try:
        source, prediction = predict(before, kind, file, subscription, source=read)
        snapshot = unchanged(built, source, prediction) if built is not None else None
        if snapshot is None:
            snapshot = build_snapshot(source, observations=False)
        resolved = favourable_source(source, prediction)
        favourable = build_snapshot(resolved, observations=False) if resolved is not None else None
    except InputError as exc:
        _fail(str(exc))
    assert source.manifest.predicted_from is not None
    info = source.manifest.predicted_from.model_dump(mode="json", by_alias=True)
    info["changed"] = sorted(prediction.changed, key=str.lower)
    return snapshot, prediction, info, favourable


def _configuration_only(path: Path) -> tuple[Snapshot, SnapshotSource]:
    try:
        source = read_source(path)
        return build_snapshot(source, observations=False), source
    except InputError as exc:
        _fail(str(exc))


@app.command("diff")
def diff_command(
    before: Annotated[Path, typer.Argument(help="The snapshot (or overlay) before the change.")],
    after: Annotated[Path | None, typer.Argument(help="The snapshot (or overlay) after the change.")] = None,
    what_if: WhatIfOption = None,
    terraform_plan: TerraformOption = None,
    overlay: OverlayOption = None,
    subscription: PredictSubscription = None,
    output: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.TABLE,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="A new finding at least this severe is a regression (default: the configuration's, else error).",
        ),
    ] = None,
    fail_on_lost: Annotated[
        bool,
        typer.Option(
            "--fail-on-lost/--no-fail-on-lost", help="A pair that loses reachability is a regression."
        ),
    ] = True,
    fail_on_asymmetric: Annotated[
        bool,
        typer.Option(
            "--fail-on-asymmetric/--no-fail-on-asymmetric",
            help="A pair that becomes asymmetric is a regression.",
        ),
    ] = True,
    select: Annotated[list[str] | None, typer.Option("--select", help="Run only these rules.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip these rules.")] = None,
    intent: Annotated[
        Path | None,
        typer.Option("--intent", help="Intents (YAML or JSON) checked on both sides (rule INT001)."),
    ] = None,
    accept_unmodelled: AcceptOption = None,
    config: ConfigOption = None,
    no_config: NoConfigOption = False,
    down: DownOption = None,
    markdown_max_chars: MarkdownMaxChars = 60_000,
) -> None:
    """What a change does to routing: findings, reachability, paths and selected routes, BEFORE vs AFTER.

    AFTER is a snapshot, or predicted from BEFORE and --what-if, --terraform-plan or --overlay (at most one of
    them); --down RESOURCE (repeatable) fails a connection, gateway, circuit, local network gateway or circuit
    link on the AFTER side, alone ("what does losing er-1 do?") or with a change ("does it survive losing er-1?").
    Both sides are evaluated from configuration only (observations are ignored), with the same
    configuration as `audit` (.azroute.toml or pyproject.toml, --config): rule options, severities,
    suppressions, intents, accept-unmodelled, fail-on. A pull-request check passes its base branch's
    file with --no-config --config BASE, so the change cannot relax its own check.
    Exit 1: a regression (a change ARM would refuse, a new finding at --fail-on or above, a lost pair, a pair
    that became asymmetric); 3: no regression, but a gap is new in AFTER or touches what changed, or a new
    finding or lost pair exists only while a planned value is unknown; 0: neither; 2: bad input."""
    change = _change(what_if, terraform_plan, overlay)
    if after is not None and change is not None:
        _fail("give at most one of AFTER, --what-if, --terraform-plan and --overlay (plus any --down)")
    if after is None and change is None and not down:
        _fail("give one of AFTER, --what-if, --terraform-plan and --overlay, or --down RESOURCE")
    catalogue = _rules()
    sides = [before, after, change[1] if change is not None and change[0] == "overlay" else None]
    inputs = [d for side in sides if side is not None and side.is_dir() for d in snapshot_dirs(side)]
    settings = _settings(
        config, catalogue, select, ignore, intent, accept_unmodelled, None, inputs, not no_config
    )
    rules, not_evaluated = configuration_rules(select_rules(catalogue, settings.select, settings.ignore))
    intents = _intents(settings.intent)
    accepted = _accepted(settings.accept_unmodelled)
    run_settings = {
        "options": settings.options,
        "severity": settings.severity,
        "suppressions": settings.suppressions,
    }
    if settings.files:
        info(f"configuration: {escape(', '.join(settings.files))}")
    old, read = _configuration_only(before)
    predicted_from = None
    favourable: Snapshot | None = None
    resolved: tuple[str, ...] = ()
    if change is not None:
        # BEFORE as read already: predicting changes its documents, which BEFORE's snapshot no longer needs
        new, prediction, predicted_from, favourable = _predicted(
            before, change[0], change[1], subscription, read, old
        )
        resolved = prediction.favourable.resolved if prediction.favourable is not None else ()
        del prediction
    elif after is not None:
        new = _configuration_only(after)[0]
    else:
        new = build_snapshot(read, observations=False)  # the change is only what --down fails
    del read  # the documents as read: both sides are normalised now
    if down:
        try:
            new = apply_down(new, down)
            favourable = apply_down(favourable, down) if favourable is not None else None
        except UnknownResource as exc:
            _fail(str(exc))
    new = share_unchanged(old, new)  # one copy of every resource the change leaves as it was
    threshold = fail_on or FailOn(settings.fail_on or "error")
    stages = Stages()
    try:
        before_side, after_side, change_impact = evaluate_change(
            old, new, rules, intents, accepted, progress=stages.stage, settings=run_settings
        )
        # what the change does if the values known only after apply turn out as planned
        resolved_side = (
            evaluate(favourable, rules, intents, accepted, scope=NOTHING, settings=run_settings)
            if favourable is not None
            else None
        )
    finally:
        stages.close()
    result = diff(
        before_side,
        after_side,
        moved=change_impact,
        configuration=settings.files,
        down=sorted(down or [], key=str.lower),
        favourable=(resolved_side, resolved) if resolved_side is not None else None,
        configuration_changed=_configuration_changed(config, no_config, inputs),
        fail_on=None if threshold is FailOn.NEVER else Severity(threshold.value),
        fail_on_lost=fail_on_lost,
        fail_on_asymmetric=fail_on_asymmetric,
        not_evaluated=not_evaluated,
        partly=partly_evaluated(rules),
        predicted_from=predicted_from,
    )
    if output is DiffFormat.JSON:
        echo_json(result.data)
    elif output is DiffFormat.MARKDOWN:
        echo(render_markdown(result.data, markdown_max_chars), nl=False)
    else:
        echo(render_text(result.data), nl=False)
    if result.regression:
        raise typer.Exit(EXIT_FINDINGS)
    if result.relevant_gaps:
        raise typer.Exit(EXIT_INCOMPLETE)


def _configuration_changed(config: Path | None, no_config: bool, snapshots: list[Path]) -> str | None:
    """With `--no-config --config BASE` (a pull request checked against its base branch's
    configuration), the project configuration the working tree holds when it differs from BASE:
    the change edits azroute's own configuration, and the verdict says so."""
    if config is None or not no_config:
        return None
    found = discover(Path.cwd().resolve(), snapshots)
    if found is None or not config.is_file() or found.resolve() == config.resolve():
        return None
    try:
        differs = found.read_bytes() != config.read_bytes()
    except OSError:
        return None
    return display(found) if differs else None


@app.command("plan")
def plan_command(
    before: Annotated[Path, typer.Argument(help="The snapshot (or overlay) the change applies to.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the predicted snapshot to.")],
    what_if: WhatIfOption = None,
    terraform_plan: TerraformOption = None,
    overlay: OverlayOption = None,
    subscription: PredictSubscription = None,
) -> None:
    """Write the snapshot predicted after a planned change (format v1, source "predicted", no observations).

    Exit 0: everything in the change was predicted; 1: ARM would refuse part of it (the snapshot holds what the
    failed apply leaves); 3: some of it could not be predicted (written as gaps); 2: bad input."""
    from auditor.predict.plan import predict, write_prediction

    change = _change(what_if, terraform_plan, overlay)
    if change is None:
        _fail("plan needs one of --what-if, --terraform-plan and --overlay")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())):
        _fail(f"--out {out}: neither a new or empty directory nor a snapshot; refusing to replace it")
    try:
        _refuse_replacing(out, [*snapshot_dirs(before), change[1]])
        source, prediction = predict(before, change[0], change[1], subscription)
        build_snapshot(source, observations=False)  # the prediction must be a valid snapshot
        write_prediction(source, out)
    except InputError as exc:
        _fail(str(exc))
    except UnsafePath as exc:
        _fail(f"--out {out}: {exc}")
    except OSError as exc:  # e.g. a parent that is a file, or no permission
        _fail(f"--out {out}: {exc.strerror or exc}")
    info(
        f"predicted {len(prediction.changed)} changed resource(s) from {change[1]} into {out}"
        + (f"; {len(prediction.gaps)} could not be predicted (gaps)" if prediction.gaps else "")
    )
    for gap in sorted(prediction.gaps, key=lambda g: (g.resource.lower(), g.code)):
        echo(f"  not predicted: {escape(f'{gap.code}: {gap.resource}: {gap.message}')}", err=True)
    for failure in sorted(prediction.failures, key=lambda f: f.resource.lower()):
        echo(f"  would fail: {escape(f'{failure.error}: {failure.resource}: {failure.message}')}", err=True)
    if prediction.failures:
        raise typer.Exit(EXIT_FINDINGS)
    if prediction.gaps:
        raise typer.Exit(EXIT_INCOMPLETE)
