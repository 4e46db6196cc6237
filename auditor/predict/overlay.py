"""A planned change written as an overlay (`azroute-overlay/1`), applied to BEFORE.

The overlay's own `base` names the snapshot it was written against; as a change it is applied to
the BEFORE given on the command line, whatever its `base` says, so one overlay can be checked
against successive recordings of the same estate.
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import InputError
from auditor.fixture import _validated, apply_overlay, fixture_root, read_json, read_manifest
from auditor.ids import ArmId
from auditor.model import OVERLAY_FORMAT, OverlayManifest, kinds
from auditor.predict import Prediction
from auditor.predict.state import links, settle_peering_state
from auditor.rawtree import RawTree, document_items, resource_key, walk

PEERING = kinds.PEERING.type_path
VNET = kinds.VNET.type_path


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
    # A peering's state is ARM's to set and moves only where a peering is created or re-pointed (its
    # document names `remoteVirtualNetwork`) or removed (itself or its VNet): those are looked at.
    pointing: set[str] = set()
    written: set[str] = set()  # the peerings whose `peeringState` the overlay writes (nested ones too)
    for file in sorted((root / "arm").rglob("*.json")):
        for item, loc in document_items(read_json(file)):
            key = resource_key(item.get("id")) if isinstance(item, dict) else None
            if key:
                changed.add(key)
            for nested, resource, _where, _container, _parent in walk(item, loc, None, None, None):
                props = resource.get("properties") if isinstance(resource, dict) else None
                if isinstance(props, dict) and "remoteVirtualNetwork" in props:
                    pointing.add(nested)
                if isinstance(props, dict) and "peeringState" in props:
                    written.add(nested)
    removed = {k for r in overlay.remove_resources if (k := resource_key(r)) and _kind(k) in (PEERING, VNET)}
    tree.operations = {}
    watch = bool(pointing or removed)
    slots = tree.index() if watch else {}
    before = links(tree, peerings_only=True, index=slots)
    apply_overlay(tree, root, overlay, manifest_file)
    tree.operations = {}  # a prediction holds no observations, whatever the overlay carries
    prediction = Prediction("overlay", str(root))
    if watch:
        # where the overlay leaves a peering's state out, it is predicted as for a what-if (a
        # created peering Initiated, or Connected with its reverse; an existing one whose reverse
        # the overlay creates or removes, Connected or Disconnected); the peerings between the
        # VNets of those created, re-pointed or removed are looked at
        after = tree.index()
        now = links(tree, peerings_only=True, index=after)
        moved = {k for k in (*pointing, *(slots.keys() - after.keys())) if _kind(k) == PEERING}
        pairs = {pair for side in (before, now) for pair, keys in side.joins.items() if moved & set(keys)}
        pairs |= {(v, r) for v, r in before.joins if v in removed or r in removed}
        only = {
            k
            for a, b in pairs
            for side in (before, now)
            for pair in ((a, b), (b, a))
            for k in side.joins.get(pair, ())
        }
        predicted = settle_peering_state(
            tree,
            prediction,
            before,
            now,
            after.keys() - slots.keys(),
            written=frozenset(written),
            only=only | moved,
            slots=after,
            unknown_remote="not in BEFORE",
        )
        changed.update(resource_key(i) or i for i in predicted)
    prediction.changed = sorted(changed)
    return prediction, overlay


def _kind(key: str) -> str | None:
    """A resource key's type path (None: not an ARM id)."""
    try:
        return ArmId(key).type_path
    except ValueError:
        return None
