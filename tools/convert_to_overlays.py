"""One-off: rewrite every generated scenario as an overlay on a few bases, and prove it lossless.

python tools/convert_to_overlays.py OUT  -> writes the converted fixtures to OUT and compares
(model dump and findings/coverage) every scenario with the original.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.engine import load_rules, run  # noqa: E402
from auditor.fixture import load_fixture  # noqa: E402
from auditor.ids import ArmId  # noqa: E402
from auditor.overlay import child_arrays, resource_key  # noqa: E402
from auditor.report import report_dict  # noqa: E402

FIXTURES = ROOT / "fixtures"
BASES = sys.argv[2].split(",") if len(sys.argv) > 2 else []


def read(root: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    manifest = json.loads((root / "fixture.json").read_text())
    flat: dict[str, Any] = {}

    def visit(item: dict[str, Any], parent: str | None, segment: str | None, top: bool) -> None:
        raw_id = item.get("id") or f"{parent}/{segment}/{item['name']}"
        key = resource_key(raw_id)
        assert key
        item = copy.deepcopy(item)
        kids = []
        props = item.get("properties")
        for prop_key, seg in child_arrays(key):
            if isinstance(props, dict) and isinstance(props.get(prop_key), list):
                for child in props.pop(prop_key):
                    kids.append((child, raw_id, seg))
                props[f"__had_{prop_key}"] = True
        flat[key] = {"doc": item, "parent": parent, "id": raw_id}
        for child, pid, seg in kids:
            visit(child, pid, seg, False)

    for f in sorted((root / "arm").rglob("*.json")):
        doc = json.loads(f.read_text())
        items = doc["value"] if "value" in doc and "id" not in doc else [doc]
        for item in items:
            visit(item, None, None, True)
    ops = {
        f.relative_to(root).as_posix(): json.loads(f.read_text()) for f in sorted((root / "operations").rglob("*.json"))
    }
    return manifest, flat, ops


def create_patch(src: Any, dst: Any) -> Any:
    if not (isinstance(src, dict) and isinstance(dst, dict)):
        return copy.deepcopy(dst)
    patch: dict[str, Any] = {}
    for k in src:
        if k not in dst:
            patch[k] = None
    for k, v in dst.items():
        if k not in src:
            patch[k] = copy.deepcopy(v)
        elif src[k] != v:
            if isinstance(src[k], dict) and isinstance(v, dict):
                patch[k] = create_patch(src[k], v)
            else:
                patch[k] = copy.deepcopy(v)
    return patch


def clean(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: clean(v) for k, v in doc.items() if not k.startswith("__had_")}
    if isinstance(doc, list):
        return [clean(v) for v in doc]
    return doc


def full_doc(key: str, flat: dict[str, Any]) -> dict[str, Any]:
    """A new resource with its nested children put back."""
    entry = flat[key]
    doc = clean(copy.deepcopy(entry["doc"]))
    for prop_key, _seg in child_arrays(key):
        if entry["doc"].get("properties", {}).get(f"__had_{prop_key}"):
            kids = [k for k, e in flat.items() if e["parent"] and resource_key(e["parent"]) == key]
            kids = [k for k in kids if k.split("/")[-2] == _seg.lower()]
            doc["properties"][prop_key] = [full_doc(k, flat) for k in kids]
    return doc


def type_file(key: str) -> str:
    parts = ArmId(key).type_path or ""
    typ = parts.split("/")[1]
    names = {
        "virtualnetworks": "virtualNetworks",
        "virtualnetworkgateways": "virtualNetworkGateways",
        "connections": "connections",
        "localnetworkgateways": "localNetworkGateways",
        "expressroutecircuits": "expressRouteCircuits",
        "routetables": "routeTables",
        "networkinterfaces": "networkInterfaces",
        "virtualhubs": "virtualHubs",
    }
    return names.get(typ, typ) + ".json"


def overlay(base_name: str, scen: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], int]:
    bman, bflat, bops = read(FIXTURES / base_name)
    sman, sflat, sops = read(scen)
    files: dict[str, list[Any]] = {}
    removed: list[str] = []
    for key in bflat:
        if key not in sflat:
            parent = bflat[key]["parent"]
            if parent and resource_key(parent) not in sflat:
                continue
            removed.append(bflat[key]["id"])
    for key, entry in sflat.items():
        if key not in bflat:
            parent = entry["parent"]
            if parent and resource_key(parent) not in bflat:
                continue  # nested in a new parent
            files.setdefault(type_file(key), []).append(full_doc(key, sflat))
            continue
        patch = create_patch(bflat[key]["doc"], entry["doc"])
        if patch:
            had = [k for k in patch if k.startswith("__had")] + [
                k for k in patch.get("properties", {}) if k.startswith("__had")
            ]
            if had:
                raise SystemExit(f"{scen.name}: child-array presence changed for {key}")
            files.setdefault(type_file(key), []).append({"id": entry["id"], **patch})
    man: dict[str, Any] = {
        "format": "azroute-overlay/1",
        "base": f"../{base_name}",
        "name": sman["name"],
        "description": sman.get("description"),
    }
    rem_keys = [resource_key(r) for r in removed]
    auto = {
        rel
        for rel, rec in bops.items()
        if any(
            (resource_key(rec["resourceId"]) or "") == k or (resource_key(rec["resourceId"]) or "").startswith(k + "/")
            for k in rem_keys
            if k
        )
    }
    ops: dict[str, Any] = {}
    if bops and not sops:
        man["observations"] = "drop"
    else:
        man["observations"] = "keep"
        gone = sorted(rel for rel in bops if rel not in sops and rel not in auto)
        if gone:
            man["removeObservations"] = gone
        for rel, rec in sops.items():
            if bops.get(rel) != rec:
                ops[rel] = rec
    if removed:
        man["removeResources"] = removed
    if sman.get("sites") != bman.get("sites"):
        man["sites"] = sman.get("sites", [])
    if sman.get("gaps") != bman.get("gaps"):
        man["gaps"] = sman.get("gaps", [])
    if sman["source"] != bman["source"]:
        raise SystemExit(f"{scen.name}: source differs")
    size = len(json.dumps([man, files, ops]))
    return man, files, ops, size


def dump(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def golden(path: Path) -> str:
    snap = load_fixture(path)
    rep = report_dict(snap, run(snap, load_rules()))
    return json.dumps({"findings": rep["findings"], "coverage": rep["coverage"]}, indent=2, sort_keys=True)


def model(path: Path) -> Any:
    dump_ = load_fixture(path).model_dump(mode="json")
    for k in ("name", "description", "location"):
        dump_.pop(k)

    def rel(v: Any) -> Any:
        if isinstance(v, dict):
            return {
                k: (x.split("/operations/", 1)[-1] if k == "file" and isinstance(x, str) else rel(x))
                for k, x in v.items()
            }
        if isinstance(v, list):
            return [rel(x) for x in v]
        return v

    return rel(dump_)


def main() -> None:
    out = Path(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copy(FIXTURES / "README.md", out / "README.md")
    scenarios = sorted(p.parent for p in FIXTURES.glob("*/fixture.json"))
    failures = 0
    for b in BASES:
        shutil.copytree(FIXTURES / b, out / b)
    for scen in scenarios:
        if scen.name in BASES:
            chosen = "(base)"
        else:
            results = [(overlay(b, scen), b) for b in BASES]
            (man, files, ops, size), chosen = min(results, key=lambda r: r[0][3])
            dest = out / scen.name
            dump(dest / "fixture.json", {k: v for k, v in man.items() if v is not None})
            for name, docs in files.items():
                dump(dest / "arm" / name, {"value": docs} if len(docs) > 1 else docs[0])
            for rel, rec in ops.items():
                dump(dest / rel, rec)
        ok_model = model(scen) == model(out / scen.name)
        ok_golden = golden(scen) == golden(out / scen.name)
        size = sum(f.stat().st_size for f in (out / scen.name).rglob("*") if f.is_file())
        print(f"{scen.name:40} base={chosen:28} bytes={size:7} model={ok_model} golden={ok_golden}")
        failures += (not ok_model) + (not ok_golden)
    print("failures", failures)


if __name__ == "__main__":
    main()
