"""Fixture format v1 on disk -> Snapshot (see fixtures/README.md for the format)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.errors import InputError
from auditor.model import FixtureManifest, Site, Snapshot
from auditor.normalize import SnapshotBuilder

MANIFEST = "fixture.json"
DEFAULT_FIXTURE = "interop-testbed"


def bundled_fixtures_dir() -> Path:
    """The fixtures shipped with the package (wheel), or the source tree's `fixtures/`."""
    packaged = Path(str(resources.files("auditor"))) / "_fixtures"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "fixtures"


def default_fixture() -> Path:
    return bundled_fixtures_dir() / DEFAULT_FIXTURE


def read_json(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(str(file), "$", f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(str(file), "$", "file is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(file), "$", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def load_fixture(path: Path | str) -> Snapshot:
    root = Path(path)
    if root.is_file() and root.name == MANIFEST:
        root = root.parent
    if not root.is_dir():
        raise InputError(str(root), "$", "no such fixture directory")
    manifest_file = root / MANIFEST
    if not manifest_file.is_file():
        raise InputError(str(manifest_file), "$", f"not a fixture: {MANIFEST} is missing")
    raw = read_json(manifest_file)
    if not isinstance(raw, dict):
        raise InputError(str(manifest_file), "$", "expected a JSON object")
    try:
        manifest = FixtureManifest.model_validate(raw)
    except ValidationError as exc:
        raise InputError.from_validation(str(manifest_file), [], exc) from None

    builder = SnapshotBuilder()
    for file in sorted((root / "arm").rglob("*.json")):
        builder.add_document(read_json(file), str(file))
    for file in sorted((root / "operations").rglob("*.json")):
        builder.add_operation(read_json(file), str(file))
    snapshot = builder.build(
        manifest.name,
        description=manifest.description,
        source=manifest.source,
        sites=manifest.sites,
        location=str(root),
    ).replace(collection_gaps=manifest.gaps)
    check_sites(snapshot, str(manifest_file))
    return snapshot


def check_sites(snapshot: Snapshot, file: str) -> None:
    """Names in `sites[].circuits` / `localNetworkGateways` must name resources of the snapshot
    (full ARM ids may point outside it)."""
    circuits = {c.id.key for c in snapshot.circuits} | {c.id.name.lower() for c in snapshot.circuits}
    lngs = {g.id.key for g in snapshot.local_network_gateways} | {
        g.id.name.lower() for g in snapshot.local_network_gateways
    }
    names: set[str] = set()
    for i, site in enumerate(snapshot.sites):
        if site.name.lower() in names:
            raise InputError(file, f"$.sites[{i}].name", f"site name {site.name!r} is used twice")
        names.add(site.name.lower())
        _check_refs(file, i, "circuits", site.circuits, circuits, "ExpressRoute circuit")
        _check_refs(
            file, i, "localNetworkGateways", site.local_network_gateways, lngs, "local network gateway"
        )


def _check_refs(
    file: str, i: int, key: str, refs: tuple[str, ...] | None, known: set[str], what: str
) -> None:
    for j, ref in enumerate(refs or ()):
        if ref.startswith("/"):
            continue  # an ARM id may point outside a partial snapshot; it is then an external reference
        if ref.lower() not in known:
            raise InputError(file, f"$.sites[{i}].{key}[{j}]", f"no {what} named {ref!r} in the fixture")


__all__ = ["DEFAULT_FIXTURE", "Site", "bundled_fixtures_dir", "default_fixture", "load_fixture", "read_json"]
