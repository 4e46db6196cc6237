"""A prediction's gaps resolved the favourable way: what would the change do if the values known
only after apply turn out as planned?

A created resource that a value known only after apply is missing from is left out of the
prediction (a gap). Resolving such a gap favourably means including the resource as the plan
describes it, with the missing value taken from where the plan's intent shows it: a peering
created without its remote VNet (the id comes from a module output) is the reverse of the peering
that points at its VNet and that its VNet does not peer back yet, when exactly one does. A
finding or a lost pair that disappears in that tree depends on the gap (`diff` marks it so and it
sets exit 3, not 1); one that stays does not.
"""

from __future__ import annotations

import copy
from typing import Any

from auditor.edits import Create
from auditor.ids import ArmId
from auditor.predict import Favourable, Prediction, apply, dig
from auditor.predict.state import PEERING, links, settle
from auditor.rawtree import RawTree


def favourable(tree: RawTree, left_out: list[dict[str, Any]], origin: str) -> Favourable | None:
    """The tree with each left-out document included when its missing value can be inferred."""
    resolved: list[dict[str, Any]] = []
    joined = links(tree)
    for doc in left_out:
        rid = ArmId(str(doc.get("id", "")))
        if rid.type_path != PEERING or rid.parent is None:
            continue  # only a peering's remote VNet is inferred
        if dig(doc, "properties", "remoteVirtualNetwork", "id"):
            continue  # something else is missing
        vnet = rid.parent.key
        pointing = sorted(
            source
            for (source, remote) in joined.peerings
            if remote == vnet and (vnet, source) not in joined.peerings
        )
        if len(pointing) != 1:
            continue
        remote_slot = tree.index().get(pointing[0])
        remote_id = str(remote_slot.resource.get("id")) if remote_slot else pointing[0]
        item = copy.deepcopy(doc)
        item.setdefault("properties", {})["remoteVirtualNetwork"] = {"id": remote_id}
        resolved.append(item)
    if not resolved:
        return None
    result = RawTree(copy.deepcopy(tree.documents), dict(tree.operations), dict(tree.origins))
    before = links(result)
    prediction = Prediction("terraform-plan", origin)
    created: set[str] = set()
    for item in resolved:
        apply(result, prediction, Create(item, (origin, [])))
        created.add(ArmId(str(item["id"])).key)
    settle(result, prediction, before, created, unknown_remote="not in the plan")
    return Favourable(result, tuple(sorted((str(i["id"]) for i in resolved), key=str.lower)))
