"""The registry of resource kinds (auditor/model/kinds.py) is complete, and it is the only place
that spells an ARM type."""

from __future__ import annotations

import ast
import inspect
import re
import typing
from pathlib import Path

import pytest

from auditor.anonymize import CHILD_PREFIX, KIND_PREFIX
from auditor.model import Operation, Snapshot, kinds, resources
from auditor.model.base import Resource
from auditor.predict.terraform_map import SPECS, TABLES
from auditor.predict.whatif import _modelled_properties
from auditor.unmodelled import FEATURES

ROOT = Path(__file__).resolve().parent.parent
# Modules allowed to spell an ARM type: the registry, and the id parser's own documentation.
SPELLERS = {"auditor/model/kinds.py", "auditor/ids.py"}
ARM_TYPE = re.compile(r"(?<![\w.])microsoft\.[a-z]+/[a-z]", re.IGNORECASE)


def _model_classes() -> list[type[Resource]]:
    return [
        cls
        for _, cls in inspect.getmembers(resources, inspect.isclass)
        if issubclass(cls, Resource) and cls is not Resource and cls.__module__ == resources.__name__
    ]


def _snapshot_resource_fields() -> dict[str, type[Resource]]:
    """Snapshot fields holding resources: name -> model class (`tuple[Model, ...]`)."""
    found: dict[str, type[Resource]] = {}
    for name, info in Snapshot.model_fields.items():
        if typing.get_origin(info.annotation) is tuple:
            arg = typing.get_args(info.annotation)[0]
            if isinstance(arg, type) and issubclass(arg, Resource):
                found[name] = arg
    return found


def _collected(kind: kinds.ResourceKind) -> bool:
    """`collect` reads it: listed itself, or nested by ARM in a parent that is collected."""
    if kind.listing is not None:
        parent = kinds.kind_of(kind.parent_type) if kind.listing.per_parent else None
        return not kind.listing.per_parent or (parent is not None and _collected(parent))
    parent = kinds.kind_of(kind.parent_type)
    if parent is None or parent.modelled is None:
        return False
    nested = {segment.lower() for _, segment in parent.modelled.children}
    return kind.segment.lower() in nested and _collected(parent)


@pytest.mark.parametrize("model", _model_classes(), ids=lambda m: m.__name__)
def test_every_model_class_has_a_complete_entry(model: type[Resource]) -> None:
    entries = [k for k in kinds.ALL if k.modelled is not None and k.modelled.model is model]
    assert len(entries) == 1, f"{model.__name__}: {len(entries)} registry entries (want one)"
    kind = entries[0]
    assert kind.modelled is not None
    fields = _snapshot_resource_fields()
    assert fields.get(kind.modelled.field) is model, (
        f"{kind.arm_type}: Snapshot has no field {kind.modelled.field}: tuple[{model.__name__}, ...]"
    )
    assert _collected(kind), f"{kind.arm_type}: collect neither lists it nor reads it nested in its parent"
    assert kind.modelled.inventory in Snapshot(name="empty").inventory(), kind.arm_type
    prefix = KIND_PREFIX.get(kind.type_path) or CHILD_PREFIX.get(kind.type_path.rsplit("/", 1)[-1])
    assert prefix, f"{kind.arm_type}: no readable prefix for its anonymized names"
    for key, segment in kind.modelled.children:
        child = kinds.kind_of(f"{kind.type_path}/{segment.lower()}")
        assert child is not None and child.modelled is not None, f"{kind.arm_type}: child {key} not modelled"


def test_every_snapshot_resource_field_has_an_entry() -> None:
    registered = {m.field: m.model for m in kinds.MODELLED.values()}
    assert registered == _snapshot_resource_fields()


def test_the_registry_is_consistent() -> None:
    assert len(kinds.BY_TYPE) == len(kinds.ALL), "a type is registered twice"
    labels = [m.inventory for m in kinds.MODELLED.values()]
    assert len(labels) == len(set(labels)) and all(labels), "inventory names must be distinct"
    prefixes = [k.prefix for k in kinds.ALL if k.prefix is not None]
    assert len(prefixes) == len(set(prefixes)), "two kinds share an anonymizer prefix"
    for kind in kinds.ALL:
        namespace, _, rest = kind.arm_type.partition("/")
        assert namespace.count(".") == 1 and rest and "//" not in rest, kind.arm_type
        if kind.parent_type is not None:
            assert kind.parent_type in kinds.BY_TYPE or kind.modelled is None, kind.arm_type
        if kind.modelled is None:
            assert not (kind.read_only or kind.defaults or kind.kept_when_omitted or kind.observations), (
                f"{kind.arm_type}: what-if and collect tables for a type the model does not read"
            )
            assert kind.routing is not kinds.Routing.CHILDREN, kind.arm_type
            continue
        readable = _modelled_properties(kind.type_path)
        assert set(kind.defaults) <= readable, f"{kind.arm_type}: a default for a property not read"
        children = {key for key, _ in kind.modelled.children}
        assert set(kind.kept_when_omitted) <= children, kind.arm_type
        assert all(name == name.lower() for name in kind.reserved_names), kind.arm_type
        if kind.listing is not None and kind.listing.per_parent:
            assert kinds.kind_of(kind.parent_type) is not None, kind.arm_type


def test_every_operation_has_one_target() -> None:
    for op in Operation:
        targets = [k for k in kinds.ALL if op in k.observations]
        assert len(targets) == 1, op
        assert targets[0].modelled is not None and op.target_type == targets[0].type_path


def test_unmodelled_features_exist() -> None:
    for kind in kinds.ALL:
        assert kind.unmodelled is None or kind.unmodelled in FEATURES, kind.arm_type
        if kind.unmodelled is not None:
            assert kind.modelled is None, f"{kind.arm_type}: modelled, so read, not skipped"


def test_terraform_types_map_through_the_registry() -> None:
    assert len(kinds.TERRAFORM) == sum(len(k.terraform) for k in kinds.ALL), "an azurerm type on two kinds"
    for spec in TABLES:
        assert spec.kind.terraform, f"the table for {spec.kind.arm_type} has no azurerm type in the registry"
        assert spec.kind.modelled is not None, spec.kind.arm_type
    assert set(SPECS) == set(kinds.TERRAFORM)
    for name, spec in SPECS.items():
        assert kinds.TERRAFORM[name] is spec.kind


def _spelled(source: str) -> list[tuple[int, str]]:
    """(line, text) of the string literals (docstrings aside) that spell a namespaced ARM type."""
    docstrings: set[int] = set()
    found: list[tuple[int, str]] = []
    # one walk: it goes breadth first, so a body's docstring is known before the walk reaches it
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and ARM_TYPE.search(node.value)
        ):
            found.append((node.lineno, node.value))
    return sorted(found)


def test_the_scan_finds_a_spelled_type() -> None:
    source = '''"""Module: `Microsoft.Network/virtualNetworks` in a docstring is fine."""
URL = "https://learn.microsoft.com/azure/virtual-network"
A = "microsoft.network/routetables"
def f(x):
    """`microsoft.network/x` here too."""
    return f"{x}/providers/Microsoft.Network/virtualNetworks/{x}"
'''
    assert [line for line, _ in _spelled(source)] == [3, 6]


def test_no_module_outside_the_registry_spells_an_arm_type() -> None:
    found = []
    for path in sorted([*(ROOT / "auditor").rglob("*.py"), *(ROOT / "rules").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel in SPELLERS:
            continue
        found += [f"{rel}:{line}: {text!r}" for line, text in _spelled(path.read_text(encoding="utf-8"))]
    assert not found, "ARM types belong in auditor/model/kinds.py:\n" + "\n".join(found)


def test_the_documented_role_grants_what_the_registry_collects() -> None:
    """docs/live.md's least-privilege role: read on every modelled kind, the action of every
    observation, nothing else of Microsoft.Network besides the long-running operations' status."""
    text = (ROOT / "docs" / "live.md").read_text(encoding="utf-8")
    section = text.split("### Least-privilege custom role", 1)[1].split("###", 1)[0]
    role = set(re.findall(r'"(Microsoft\.Network/[^"]+)"', section))
    wanted = {f"{kind.arm_type}/read" for kind in kinds.ALL if kind.modelled is not None}
    wanted |= {f"{kind.arm_type}/{op.value}/action" for kind in kinds.ALL for op in kind.observations}
    wanted |= {
        f"{kinds.NAMESPACE}/locations/operations/read",
        f"{kinds.NAMESPACE}/locations/operationResults/read",
    }
    assert role == wanted, f"missing: {sorted(wanted - role)}; not collected: {sorted(role - wanted)}"


def test_collect_lists_through_operations_the_sdk_has() -> None:
    from azure.mgmt.network import NetworkManagementClient

    from auditor.live.collector import LocalCredential

    client = NetworkManagementClient(
        LocalCredential(), "0" * 8 + "-0000-0000-0000-" + "0" * 12, base_url="https://127.0.0.1"
    )
    for kind in kinds.ALL:
        if kind.listing is not None:
            operations = getattr(client, kind.listing.attr, None)
            assert callable(getattr(operations, kind.listing.method, None)), kind.arm_type
