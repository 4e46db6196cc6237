"""`azroute plan`: BEFORE plus a planned change gives a predicted snapshot (format v1).

The prediction is built on BEFORE's raw ARM documents without its observations (they describe the
past); what the adapter could not predict becomes the gaps of the predicted snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.fixture import SnapshotSource, check_sites, read_json, read_source
from auditor.gcpause import building
from auditor.model import FIXTURE_FORMAT, CollectionGap, FixtureManifest, PredictedFrom, Snapshot
from auditor.predict import InputKind, Prediction
from auditor.writer import flatten_documents, write_snapshot_atomically


@building()  # the edited documents live until AFTER is built from them
def predict(
    before: Path,
    kind: InputKind,
    change: Path,
    subscription: str | None = None,
    source: SnapshotSource | None = None,
) -> tuple[SnapshotSource, Prediction]:
    """Read BEFORE (or take `source`, BEFORE as read already: its tree is changed in place, so
    only once BEFORE's snapshot is built from it), apply the change, and return the predicted
    source (not yet normalized)."""
    source = source if source is not None else read_source(before)
    tree = source.tree
    tree.operations = {}
    sites = source.manifest.sites
    extra_gaps: tuple[CollectionGap, ...] = ()
    if kind == "overlay":
        from auditor.predict.overlay import apply_overlay_change

        prediction, overlay = apply_overlay_change(tree, change)
        if overlay.sites is not None:
            sites = overlay.sites
        if overlay.gaps is not None:
            extra_gaps = overlay.gaps
    else:
        if not change.is_file():
            raise InputError(str(change), "$", "no such file")
        document = read_json(change)
        if kind == "what-if":
            from auditor.predict.whatif import apply_what_if

            prediction = apply_what_if(tree, document, str(change))
        else:
            from auditor.predict.terraform import apply_terraform_plan

            prediction = apply_terraform_plan(tree, document, str(change), subscription=subscription)
    kept = [g for g in (*source.manifest.gaps, *extra_gaps) if not g.operation.startswith("observation ")]
    gaps = [*kept, *(CollectionGap.model_validate(g.as_manifest_gap(kind)) for g in prediction.gaps)]
    manifest = FixtureManifest(
        format=FIXTURE_FORMAT,
        name=f"{source.manifest.name} (predicted)",
        description=f"{source.manifest.name} after the change in {change.name} ({kind}), predicted by azroute",
        source="predicted",
        predicted_from=PredictedFrom(
            before=str(before),
            input=kind,
            file=str(change),
            predicted_state=dict(sorted(prediction.predicted_state.items())),
            failures=tuple(
                f.as_dict() for f in sorted(prediction.failures, key=lambda f: f.resource.lower())
            ),
        ),
        sites=sites,
        gaps=tuple(sorted(gaps, key=lambda g: (g.scope.lower(), g.operation, g.code or ""))),
    )
    return SnapshotSource(source.root, source.manifest_file, manifest, tree), prediction


def unchanged(before: Snapshot, source: SnapshotSource, prediction: Prediction) -> Snapshot | None:
    """AFTER without normalising it again when the change changed no resource (a no-op overlay, a
    what-if of NoChange and Ignore): BEFORE's resources under the predicted manifest, which is what
    `build_snapshot` would make of the unchanged documents. None when anything changed."""
    if prediction.changed or prediction.failures or prediction.gaps or prediction.favourable is not None:
        return None
    manifest = source.manifest
    snapshot = before.replace(
        name=manifest.name,
        description=manifest.description,
        source=manifest.source,
        location=str(source.root),
        sites=manifest.sites,
        collection_gaps=tuple(g for g in manifest.gaps if not g.operation.startswith("observation ")),
    )
    check_sites(snapshot, source.manifest_file)
    return snapshot


def favourable_source(source: SnapshotSource, prediction: Prediction) -> SnapshotSource | None:
    """The predicted source with its gaps resolved the favourable way (`predict.favourable`), or
    None when none can be."""
    if prediction.favourable is None:
        return None
    return SnapshotSource(source.root, source.manifest_file, source.manifest, prediction.favourable.tree)


def flatten(source: SnapshotSource) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest and `arm/` files of a full snapshot holding the source's resources (one list
    page per subscription, resource group and type, as `azroute collect` writes them)."""
    documents = [entry[1] for entry in source.tree.documents if entry is not None]
    manifest = source.manifest.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_defaults=True
    )
    manifest["format"] = FIXTURE_FORMAT
    manifest["source"] = source.manifest.source
    return manifest, flatten_documents(documents)


def write_prediction(source: SnapshotSource, out: Path) -> Path:
    manifest, documents = flatten(source)
    return write_snapshot_atomically(out, manifest, documents, {})
