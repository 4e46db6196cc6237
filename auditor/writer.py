"""The one writer of format v1 snapshots (collector, predicted snapshots, benchmarks, tests).

`write_snapshot` writes `arm/` and `operations/` first and `fixture.json` last, so a directory
with a manifest is complete. Output is deterministic: keys in the order given, two-space indent,
one trailing newline, UTF-8.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from auditor.live.redact import redact
from auditor.model import FIXTURE_FORMAT

MANIFEST = "fixture.json"
PARTIAL = ".partial-"  # a directory being written (or left by an interrupted write): never read


def safe_name(text: str) -> str:
    """One path component made from remote data: letters, digits, `.`, `_` and `-` only, never
    `.` or `..`, at most 120 characters."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", text).strip(".")
    return (cleaned or "_")[:120]


class UnsafePath(ValueError):
    """A file name that would land outside the snapshot directory."""


def dump_json(path: Path, doc: Any) -> None:
    """One JSON file; a `str` is written as it is (tests write broken JSON on purpose)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def _inside(root: Path, relative: str) -> Path:
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise UnsafePath(f"not a relative path inside the snapshot: {relative!r}")
    path = root.joinpath(*rel.parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise UnsafePath(f"{relative!r} leaves the snapshot directory")
    return path


def write_snapshot(
    out: Path,
    manifest: Mapping[str, Any],
    documents: Mapping[str, Any],
    operations: Mapping[str, Any] | None = None,
    *,
    replace: bool = True,
) -> Path:
    """Write a snapshot: `documents` maps paths under `arm/` to ARM documents (one resource or a
    list page), `operations` maps paths under `operations/` to operation records. With `replace`,
    a snapshot `out` held before (its manifest, `arm/` and `operations/`) is removed first; other
    files in `out` are left alone."""
    for rel in [*documents, *(operations or {})]:
        _inside(out / "arm", rel)  # refuse before writing anything
    head = dict(manifest)
    head.setdefault("format", FIXTURE_FORMAT)
    if replace:
        (out / MANIFEST).unlink(missing_ok=True)
        for folder in ("arm", "operations"):
            shutil.rmtree(out / folder, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    for rel in sorted(documents):
        dump_json(_inside(out / "arm", rel), documents[rel])
    for rel in sorted(operations or {}):
        dump_json(_inside(out / "operations", rel), (operations or {})[rel])
    dump_json(out / MANIFEST, {"format": head.pop("format"), **head})
    return out


def write_snapshot_atomically(
    out: Path,
    manifest: Mapping[str, Any],
    documents: Mapping[str, Any],
    operations: Mapping[str, Any] | None = None,
) -> Path:
    """Write into `OUT.partial-<pid>` (manifest last), then swap it with `out`: an interrupted run
    leaves the previous snapshot, or a `.partial-` directory every reader refuses, never a
    half-written snapshot. `out` must be new, empty, or a snapshot (it is replaced whole). No
    secret-bearing property is written, whatever the documents read held (`live.redact`)."""
    documents = {rel: redact(doc) for rel, doc in documents.items()}
    operations = {rel: redact(record) for rel, record in (operations or {}).items()}
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UnsafePath(f"{out} is neither empty nor a snapshot: refusing to replace it")
    staging = out.parent / f"{out.name}{PARTIAL}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write_snapshot(staging, manifest, documents, operations, replace=False)
        aside = out.parent / f"{out.name}.old-{os.getpid()}"
        if out.exists():
            out.rename(aside)
        staging.rename(out)
        shutil.rmtree(aside, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def resource_path(resource_id: str) -> str:
    """`<subscription>/<resource group>/<type>.json` of a resource (components made safe)."""
    segs = resource_id.split("/")
    low = [s.lower() for s in segs]
    sub = segs[2] if len(segs) > 2 else "_"
    group = segs[4] if len(segs) > 4 and low[3] == "resourcegroups" else "_"
    types: list[str] = []
    if "providers" in low:
        rest = segs[len(low) - low[::-1].index("providers") + 1 :]
        types = rest[0::2]
    return f"{safe_name(sub)}/{safe_name(group)}/{safe_name('-'.join(types) or 'resources')}.json"


def group_pages(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resources as list pages, one per subscription, resource group and type, sorted by id."""
    pages: dict[str, list[dict[str, Any]]] = {}
    for doc in resources:
        pages.setdefault(resource_path(str(doc.get("id", ""))).lower(), []).append(doc)
    return [
        {"value": sorted(docs, key=lambda d: str(d.get("id", "")).lower())}
        for _, docs in sorted(pages.items())
    ]


def document_resources(doc: Any) -> list[Any]:
    """The resources of an ARM document: a list page's items, or the document itself."""
    if isinstance(doc, dict) and "id" not in doc and isinstance(doc.get("value"), list):
        return list(doc["value"])
    return [doc]


def flatten_documents(
    documents: list[Any], transform: Callable[[Any], Any] = lambda doc: doc
) -> dict[str, Any]:
    """The `arm/` files of a full snapshot holding these documents (an overlay's merged tree, a
    prediction): resources regrouped one list page per subscription, resource group and type; a
    page with a `nextLink` kept whole, since it says that the list is partial. `transform` is applied
    to each resource and each kept page (anonymization)."""
    partial = [d for d in documents if isinstance(d, dict) and d.get("nextLink")]
    resources = [
        transform(item)
        for d in documents
        if not (isinstance(d, dict) and d.get("nextLink"))
        for item in document_resources(d)
    ]
    return place_documents([*group_pages(resources), *(transform(page) for page in partial)])


def _numbered(path: str, taken: set[str]) -> str:
    stem, n = path.removesuffix(".json"), 1
    while path.lower() in taken:
        n += 1
        path = f"{stem}-{n}.json"
    taken.add(path.lower())
    return path


def place_documents(documents: list[Any]) -> dict[str, Any]:
    """Paths under `arm/` for ARM documents (a resource or a list page), from their content (the
    first resource's id), numbered when two would share one: file names say no more than the
    documents do, so an anonymized snapshot's file names are anonymized too."""
    taken: set[str] = set()
    placed: dict[str, Any] = {}
    for doc in documents:
        first = doc
        if isinstance(doc, dict) and "id" not in doc and isinstance(doc.get("value"), list):
            first = doc["value"][0] if doc["value"] else {}
        rid = first.get("id") if isinstance(first, dict) else None
        placed[_numbered(resource_path(rid) if isinstance(rid, str) else "_/_/resources.json", taken)] = doc
    return placed


def place_operations(records: list[Any]) -> dict[str, Any]:
    """Paths under `operations/` for operation records: `<operation>/<resource>[-<peer or device
    path>].json` (a circuit peering's records are named after the circuit), numbered when taken."""
    taken: set[str] = set()
    placed: dict[str, Any] = {}

    def order(record: Any) -> tuple[str, str, str]:
        if not isinstance(record, dict):
            return ("", "", json.dumps(record, sort_keys=True))
        return (
            str(record.get("operation", "")),
            str(record.get("resourceId", "")).lower(),
            json.dumps(record.get("parameters"), sort_keys=True),
        )

    for record in sorted(records, key=order):
        op, rid, _ = order(record)
        params = record.get("parameters") if isinstance(record, dict) else None
        params = params if isinstance(params, dict) else {}
        param = params.get("peer") or params.get("devicePath")
        segs = str(record.get("resourceId", "") if isinstance(record, dict) else "").rstrip("/").split("/")
        stem = segs[-3] if "/peerings/" in rid and len(segs) >= 3 else segs[-1]
        name = safe_name(f"{stem}-{param}" if param else stem)
        placed[_numbered(f"{safe_name(op or 'unknown')}/{name}.json", taken)] = record
    return placed
