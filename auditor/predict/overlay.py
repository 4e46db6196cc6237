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
from auditor.rawtree import RawTree, document_items, resource_key


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
    for file in sorted((root / "arm").rglob("*.json")):
        for item, _loc in document_items(read_json(file)):
            key = resource_key(item.get("id")) if isinstance(item, dict) else None
            if key:
                changed.add(key)
    tree.operations = {}
    apply_overlay(tree, root, overlay, manifest_file)
    tree.operations = {}  # a prediction holds no observations, whatever the overlay carries
    return Prediction("overlay", str(root), changed=sorted(changed)), overlay
