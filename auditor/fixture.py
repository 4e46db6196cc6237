"""Fixture format v1 on disk -> Snapshot (see fixtures/README.md for the format)."""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from auditor.errors import InputError, json_path
from auditor.gcpause import building
from auditor.model import FIXTURE_FORMAT, OVERLAY_FORMAT, FixtureManifest, OverlayManifest, Site, Snapshot
from auditor.normalize import SnapshotBuilder
from auditor.overlay import apply_patches
from auditor.rawtree import RawTree, remove_resources
from auditor.writer import PARTIAL

M = TypeVar("M", bound=BaseModel)

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


MAX_DEPTH = 64  # ARM documents nest a dozen levels; anything far deeper is not one
MAX_INT_DIGITS = 40  # ARM's integers are 64-bit at most; a longer one is not ARM's


class _Bad:
    """Left in the parsed tree where a value is not acceptable, so the error can name its path."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            found[key] = _Bad(f"duplicate key {key!r} in one JSON object")
        else:
            found[key] = value
    return found


def _integer(text: str) -> Any:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return _Bad(f"an integer of {len(text.lstrip('-'))} digits: not a value ARM writes")
    return int(text)


def _number(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Bad(f"{text[:20]} is out of range")


def _constant(text: str) -> Any:
    return _Bad(f"{text} is not JSON")


# JSON escapes a lone surrogate (`\ud800`) into a string; no UTF-8 text holds one, so nothing can
# print or write it. The escapes are looked for first, so valid documents pay one search.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _not_text(item: Any) -> bool:
    """A string holding a lone surrogate."""
    if not isinstance(item, str):
        return False
    try:
        item.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _problem(data: Any, strings: bool = False) -> tuple[list[str | int], str] | None:
    """The first (in document order) unacceptable value or too deep container, and its path;
    `strings`: strings (keys too) holding a lone surrogate are unacceptable."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:  # a fast pass without paths: valid documents end here
        item, level = stack.pop()
        if isinstance(item, dict):
            if level > MAX_DEPTH or (strings and any(_not_text(k) for k in item)):
                break
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            if level > MAX_DEPTH:
                break
            stack.extend((v, level + 1) for v in item)
        elif isinstance(item, _Bad) or (strings and _not_text(item)):
            break
    else:
        return None
    walk: list[tuple[Any, list[str | int]]] = [(data, [])]
    while walk:
        item, loc = walk.pop()
        if isinstance(item, _Bad):
            return loc, item.message
        if strings and (_not_text(item) or (loc and _not_text(loc[-1]))):
            return loc, "not Unicode text: a lone surrogate escape (\\ud800-\\udfff)"
        if isinstance(item, dict | list) and len(loc) >= MAX_DEPTH:
            return loc, f"JSON nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, dict):
            walk.extend((v, [*loc, k]) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            walk.extend((v, [*loc, i]) for i, v in reversed(list(enumerate(item))))
    return None


def _too_deep(text: str) -> list[str | int]:
    """The path of the first container nested deeper than MAX_DEPTH, from the text (for documents
    too deep for the parser itself)."""
    stack: list[list[Any]] = []  # [bracket, key or index]
    key: str | None = None
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            try:
                key = json.loads(text[i : end + 1])
            except ValueError:  # broken text past the point that matters
                break
            i = end + 1
            continue
        if char == ":" and stack and stack[-1][0] == "{":
            stack[-1][1] = key
        elif char in "[{":
            if len(stack) >= MAX_DEPTH:
                break
            stack.append([char, 0 if char == "[" else None])
        elif char in "]}" and stack:
            stack.pop()
        elif char == "," and stack and stack[-1][0] == "[":
            stack[-1][1] += 1
        i += 1
    return [entry[1] for entry in stack]


def read_json(file: Path) -> Any:
    """One JSON file: a regular UTF-8 file, no duplicate keys, bounded nesting and integers, no
    NaN or Infinity, no lone surrogate. An error names the JSON path of the offending value."""
    try:
        if not stat.S_ISREG(file.stat().st_mode):
            raise InputError(str(file), "$", "not a regular file")
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(str(file), "$", f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(str(file), "$", "file is not UTF-8 text") from None
    return parse_json(text, str(file))


def parse_json(text: str, file: str, at: Sequence[str | int] = ()) -> Any:
    """JSON text under `read_json`'s rules; `at` is where the text sits in `file` (a JSON document
    held in a string), prefixed to the path an error names."""
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_integer,
            parse_float=_number,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            file, json_path(at), f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        where = json_path([*at, *_too_deep(text)])
        raise InputError(file, where, f"JSON nested deeper than {MAX_DEPTH} levels") from None
    problem = _problem(data, strings=_SURROGATE_ESCAPE.search(text) is not None)
    if problem is not None:
        raise InputError(file, json_path([*at, *problem[0]]), problem[1])
    return data


def fixture_root(path: Path | str) -> Path:
    """The snapshot directory (a path to its `fixture.json` is accepted too)."""
    root = Path(path)
    if root.is_file() and root.name == MANIFEST:
        root = root.parent
    if not root.is_dir():
        raise InputError(str(root), "$", "no such fixture directory")
    if PARTIAL in root.name:
        raise InputError(str(root), "$", "an interrupted write left this partial snapshot: it is never read")
    if not (root / MANIFEST).is_file():
        raise InputError(str(root / MANIFEST), "$", f"not a fixture: {MANIFEST} is missing")
    return root


def read_manifest(root: Path) -> tuple[str, dict[str, Any]]:
    file = root / MANIFEST
    raw = read_json(file)
    if not isinstance(raw, dict):
        raise InputError(str(file), "$", "expected a JSON object")
    return str(file), raw


def _validated(model: type[M], raw: dict[str, Any], file: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputError.from_validation(file, [], exc) from None


@dataclass
class SnapshotSource:
    """A snapshot as read from disk, before normalization: the effective v1 manifest, the ARM
    documents and the operation records (merged from the base when the directory is an overlay)."""

    root: Path
    manifest_file: str
    manifest: FixtureManifest
    tree: RawTree
    base: Path | None = None


def _read_tree(root: Path) -> RawTree:
    documents: list[tuple[str, Any] | None] = [
        (str(f), read_json(f)) for f in sorted((root / "arm").rglob("*.json"))
    ]
    operations = {
        "operations/" + f.relative_to(root / "operations").as_posix(): (str(f), read_json(f))
        for f in sorted((root / "operations").rglob("*.json"))
    }
    return RawTree(documents, operations)


@building()
def read_source(path: Path | str) -> SnapshotSource:
    """Read a full snapshot or an overlay (applied to its base) into raw documents."""
    root = fixture_root(path)
    manifest_file, raw = read_manifest(root)
    if raw.get("format") != OVERLAY_FORMAT:
        manifest = _validated(FixtureManifest, raw, manifest_file)
        return SnapshotSource(root, manifest_file, manifest, _read_tree(root))
    overlay = _validated(OverlayManifest, raw, manifest_file)
    base_root = _base_root(root, overlay.base, manifest_file)
    if not (base_root / MANIFEST).is_file():
        raise InputError(manifest_file, "$.base", f"no snapshot at {overlay.base!r} (looked in {base_root})")
    base_file, base_raw = read_manifest(base_root)
    if base_raw.get("format") == OVERLAY_FORMAT:
        raise InputError(
            manifest_file,
            "$.base",
            f"the base {overlay.base!r} is itself an overlay; a base must be a full snapshot",
        )
    base = _validated(FixtureManifest, base_raw, base_file)
    tree = _read_tree(base_root)
    tree.record_all_origins()
    apply_overlay(tree, root, overlay, manifest_file)
    manifest = FixtureManifest(
        format=FIXTURE_FORMAT,
        name=overlay.name,
        description=overlay.description,
        source=base.source,
        sites=base.sites if overlay.sites is None else overlay.sites,
        gaps=base.gaps if overlay.gaps is None else overlay.gaps,
    )
    return SnapshotSource(root, manifest_file, manifest, tree, base=base_root)


def _base_root(root: Path, base: str, manifest_file: str) -> Path:
    if "\0" in base:  # no file system takes it (os calls raise ValueError)
        raise InputError(manifest_file, "$.base", f"not a path: {base!r} holds a NUL character")
    return (root / base).resolve()


def snapshot_dirs(path: Path | str) -> list[Path]:
    """The directories a snapshot is read from (resolved): its own and, for an overlay, its base's.
    Call after the snapshot loaded: it reads only the manifest."""
    root = fixture_root(path)
    dirs = [root.resolve()]
    manifest_file, raw = read_manifest(root)
    if raw.get("format") == OVERLAY_FORMAT and isinstance(raw.get("base"), str):
        dirs.append(_base_root(root, raw["base"], manifest_file))
    return dirs


def apply_overlay(tree: RawTree, root: Path, overlay: OverlayManifest, manifest_file: str) -> None:
    """Apply the overlay in `root` (its manifest already read) to a tree, in place."""
    if overlay.observations == "drop":
        if overlay.remove_observations:
            raise InputError(
                manifest_file, "$.removeObservations", "nothing to remove: observations are dropped"
            )
        tree.operations = {}
    for i, rel in enumerate(overlay.remove_observations):
        key = rel if rel.startswith("operations/") else f"operations/{rel}"
        if key not in tree.operations:
            raise InputError(
                manifest_file, f"$.removeObservations[{i}]", f"the base has no observation file {rel!r}"
            )
        del tree.operations[key]
    remove_resources(tree, list(overlay.remove_resources), manifest_file)
    apply_patches(tree, [(str(f), read_json(f)) for f in sorted((root / "arm").rglob("*.json"))])
    for f in sorted((root / "operations").rglob("*.json")):
        tree.operations["operations/" + f.relative_to(root / "operations").as_posix()] = (
            str(f),
            read_json(f),
        )


def load_fixture(path: Path | str) -> Snapshot:
    return build_snapshot(read_source(path))


@building()
def build_snapshot(source: SnapshotSource, observations: bool = True) -> Snapshot:
    """Normalize a snapshot as read from disk (or predicted); `observations=False` leaves out what
    the platform observed (pre-change comparisons evaluate configuration only)."""
    tree = source.tree
    builder = SnapshotBuilder(origins=tree.origins)
    for entry in tree.documents:
        if entry is not None:
            builder.add_document(entry[1], entry[0])
    for rel in sorted(tree.operations) if observations else ():
        file, record = tree.operations[rel]
        builder.add_operation(record, file)
    manifest = source.manifest
    snapshot = builder.build(
        manifest.name,
        description=manifest.description,
        source=manifest.source,
        sites=manifest.sites,
        location=str(source.root),
    ).replace(
        collection_gaps=tuple(
            g for g in manifest.gaps if observations or not g.operation.startswith("observation ")
        )
    )
    check_sites(snapshot, source.manifest_file)
    if not snapshot.by_id and manifest.source == "hand-written":
        raise InputError(
            source.manifest_file,
            "$",
            "the snapshot holds no resources: an empty snapshot is never a clean audit",
        )
    return snapshot


def check_sites(snapshot: Snapshot, file: str) -> None:
    """Names in `sites[].circuits` / `localNetworkGateways` must name resources of the snapshot
    (full ARM ids may point outside it)."""
    circuits = {c.id.key for c in snapshot.circuits} | {c.id.name.lower() for c in snapshot.circuits}
    lngs = {g.id.key for g in snapshot.local_network_gateways} | {
        g.id.name.lower() for g in snapshot.local_network_gateways
    }
    connections = {c.id.key for c in snapshot.connections} | {c.id.name.lower() for c in snapshot.connections}
    names: set[str] = set()
    for i, site in enumerate(snapshot.sites):
        if site.name.lower() in names:
            raise InputError(file, f"$.sites[{i}].name", f"site name {site.name!r} is used twice")
        names.add(site.name.lower())
        _check_refs(file, i, "circuits", site.circuits, circuits, "ExpressRoute circuit")
        _check_refs(
            file, i, "localNetworkGateways", site.local_network_gateways, lngs, "local network gateway"
        )
        _check_links(file, i, site, circuits, connections)


def _check_links(file: str, i: int, site: Site, circuits: set[str], connections: set[str]) -> None:
    """`sites[].links`: one circuit or one connection each, known names, no `prefer` beside
    a local-preference (both say the same thing; two answers would disagree)."""
    for j, link in enumerate(site.links or ()):
        where = f"$.sites[{i}].links[{j}]"
        if (link.circuit is None) == (link.connection is None):
            raise InputError(file, where, "a link names exactly one of 'circuit' and 'connection'")
        ref = link.circuit or link.connection or ""
        known, what = (circuits, "ExpressRoute circuit") if link.circuit else (connections, "connection")
        if not ref.startswith("/") and ref.lower() not in known:
            key = "circuit" if link.circuit else "connection"
            raise InputError(file, f"{where}.{key}", f"no {what} named {ref!r} in the fixture")
        if link.local_preference is not None and site.prefer is not None:
            raise InputError(
                file,
                f"{where}.localPreference",
                "a site sets either 'prefer' or per-link 'localPreference', not both",
            )


def _check_refs(
    file: str, i: int, key: str, refs: tuple[str, ...] | None, known: set[str], what: str
) -> None:
    for j, ref in enumerate(refs or ()):
        if ref.startswith("/"):
            continue  # an ARM id may point outside a partial snapshot; it is then an external reference
        if ref.lower() not in known:
            raise InputError(file, f"$.sites[{i}].{key}[{j}]", f"no {what} named {ref!r} in the fixture")


__all__ = [
    "DEFAULT_FIXTURE",
    "Site",
    "SnapshotSource",
    "build_snapshot",
    "bundled_fixtures_dir",
    "default_fixture",
    "load_fixture",
    "parse_json",
    "read_json",
    "read_source",
]
