"""A planned change written as an overlay (`azroute-overlay/1`), applied to BEFORE.

The overlay's own `base` names the snapshot it was written against; as a change it is applied to
the BEFORE given on the command line, whatever its `base` says, so one overlay can be checked
against successive recordings of the same estate.
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import InputError
from auditor.fixture import _validated, apply_overlay, fixture_root, read_json, read_manifest
from auditor.model import OVERLAY_FORMAT, OverlayManifest
from auditor.predict import Prediction
from auditor.predict.state import links, settle_peering_state
from auditor.rawtree import RawTree, document_items, resource_key, walk


def apply_overlay_change(tree: RawTree, directory: Path) -> tuple[Prediction, OverlayManifest]:
    """Apply the overlay in `directory` to BEFORE's documents in place."""
    root = fixture_root(directory)
    manifest_file, raw = read_manifest(root)
    if raw.get("format") != OVERLAY_FORMAT:
        raise InputError(
            manifest_file, "$.format", f"--overlay needs an overlay ({OVERLAY_FORMAT}), not a full snapshot"
        )
    overlay = _validated(OverlayManifest, raw, manifest_file)
    changed = {resource_key(r) or r for r in overlay.remove_resources}
    written: set[str] = set()  # the peerings whose `peeringState` the overlay writes (nested ones too)
    for file in sorted((root / "arm").rglob("*.json")):
        for item, loc in document_items(read_json(file)):
            key = resource_key(item.get("id")) if isinstance(item, dict) else None
            if key:
                changed.add(key)
            for nested, resource, _where, _container, _parent in walk(item, loc, None, None, None):
                props = resource.get("properties") if isinstance(resource, dict) else None
                if isinstance(props, dict) and "peeringState" in props:
                    written.add(nested)
    tree.operations = {}
    before, existing = links(tree), set(tree.index())
    apply_overlay(tree, root, overlay, manifest_file)
    tree.operations = {}  # a prediction holds no observations, whatever the overlay carries
    prediction = Prediction("overlay", str(root))
    # An overlay is the state after the change, taken as written; but a peering's state is ARM's to
    # set, and a planned change rarely writes it: where the overlay does not, it is predicted as for
    # a what-if (a created peering Initiated, or Connected with its reverse; an existing one whose
    # reverse the overlay creates or removes, Connected or Disconnected)
    created = set(tree.index()) - existing
    predicted = settle_peering_state(
        tree,
        prediction,
        before,
        created,
        written=frozenset(written),
        unknown_remote="not in BEFORE",
    )
    changed.update(resource_key(i) or i for i in predicted)
    prediction.changed = sorted(changed)
    return prediction, overlay
