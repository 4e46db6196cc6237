"""The one function that edits a raw snapshot tree (`auditor.edits`), which every change adapter
(overlay, what-if, Terraform plan) goes through."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest

from auditor.edits import Create, Delete, Gap, Patch, ReplaceChildren, apply_edit
from auditor.rawtree import RawTree
from tests.conftest import ROOT
from tests.helpers import NET, subnet, vnet

HUB = f"{NET}/virtualNetworks/hub"


def _tree() -> RawTree:
    hub = vnet(
        "hub", "10.0.0.0/16", subnets=[subnet("hub", "a", "10.0.1.0/24"), subnet("hub", "b", "10.0.2.0/24")]
    )
    tree = RawTree([("base.json", {"value": [hub]})], {})
    tree.record_all_origins()
    return tree


def _names(tree: RawTree) -> list[str]:
    slot = tree.index()[HUB.lower()]
    return [c["name"] for c in slot.resource["properties"]["subnets"]]


def test_replace_children_sets_the_array_and_each_childs_origin() -> None:
    tree = _tree()
    kept = copy.deepcopy(tree.index()[f"{HUB}/subnets/b".lower()].resource)
    new = subnet("hub", "c", "10.0.3.0/24")
    edit = ReplaceChildren(HUB, "subnets", (kept, new), (None, ("plan.json", ["after"])))
    assert apply_edit(tree, edit)
    assert _names(tree) == ["b", "c"]
    assert f"{HUB}/subnets/a".lower() not in tree.index()
    assert tree.origins[f"{HUB}/subnets/b".lower()] == ("base.json", ["value", 0, "properties", "subnets", 1])
    assert tree.origins[f"{HUB}/subnets/c".lower()] == ("plan.json", ["after"])


def test_a_patch_carrying_a_child_array_replaces_it_and_the_children_point_at_the_patch() -> None:
    tree = _tree()
    change = {"properties": {"subnets": [subnet("hub", "z", "10.0.9.0/24")]}}
    assert apply_edit(tree, Patch(HUB, change, ("o.json", ["x"])))
    assert _names(tree) == ["z"]
    assert tree.origins[HUB.lower()] == ("o.json", ["x"])
    assert tree.origins[f"{HUB}/subnets/z".lower()] == ("o.json", ["x", "properties", "subnets", 0])


def test_create_nests_a_child_in_its_parent_or_adds_a_document() -> None:
    tree = _tree()
    apply_edit(tree, Create(subnet("hub", "n", "10.0.4.0/24"), ("p.json", [])))
    assert _names(tree) == ["a", "b", "n"]
    index: dict[str, Any] = tree.index()
    apply_edit(tree, Create(subnet("hub", "m", "10.0.5.0/24"), ("p.json", [])), index=index)
    other = vnet("other", "10.1.0.0/16")
    apply_edit(tree, Create(other, ("p.json", [1])), index=index)
    assert tree.documents[-1] == ("p.json", other)
    assert f"{NET}/virtualNetworks/other".lower() in index
    assert tree.origins[f"{NET}/virtualNetworks/other".lower()] == ("p.json", [1])


def test_delete_and_patch_of_what_the_tree_does_not_hold_change_nothing() -> None:
    tree = _tree()
    before = copy.deepcopy(tree.documents)
    assert not apply_edit(tree, Delete(f"{NET}/virtualNetworks/nowhere"))
    assert not apply_edit(tree, Patch(f"{NET}/virtualNetworks/nowhere", {"location": "x"}, ("p", [])))
    assert tree.documents == before
    assert apply_edit(tree, Delete(f"{HUB}/subnets/a"))
    assert _names(tree) == ["b"]


def test_a_gap_goes_to_the_callers_sink_and_an_overlay_has_none() -> None:
    seen: list[Gap] = []
    gap = Gap("unknown-resource", HUB, "why")
    apply_edit(_tree(), gap, on_gap=seen.append)
    assert seen == [gap]
    with pytest.raises(AssertionError):
        apply_edit(_tree(), gap)


ADAPTERS = (
    "overlay.py",
    "predict/whatif.py",
    "predict/terraform.py",
    "predict/favourable.py",
    "predict/state.py",
)


@pytest.mark.parametrize("module", ADAPTERS)
def test_adapters_change_the_tree_only_through_edits(module: str) -> None:
    """No adapter removes or indexes resources, or touches the tree's documents, itself."""
    source = ast.parse((ROOT / "auditor" / Path(module)).read_text())
    names = {node.id for node in ast.walk(source) if isinstance(node, ast.Name)}
    attrs = {node.attr for node in ast.walk(source) if isinstance(node, ast.Attribute)}
    assert not names & {"remove_resources", "index_resource"}
    assert "documents" not in attrs or module == "predict/favourable.py"  # it copies them
