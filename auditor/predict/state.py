"""Read-only state that follows from a planned change, shared by the what-if and Terraform adapters.

A deployment cannot set ARM's read-only properties; once an adapter has applied a change to BEFORE's
raw documents, these functions predict the ones routing reads, write them into the tree and list
them in `Prediction.predicted_state`:

- a created peering is `Connected` (with `peeringSyncLevel: FullyInSync`) when its reverse peering
  exists after the change, else `Initiated`; its `remoteAddressSpace` (and
  `remoteVirtualNetworkAddressSpace`) is the remote VNet's. Towards a remote VNet the tree does not
  hold, whether the reverse exists is unknown: an `unknown-resource` gap, no state predicted;
- a `Connected` peering whose reverse the change removes becomes `Disconnected`; an `Initiated` one
  whose reverse the change creates becomes `Connected`;
- Azure's peering lifecycle (docs/pre-change.md, "Peering lifecycle"): a peering created while its
  remote peering is `Disconnected` (already, or because the change deletes the peering it replaces
  and does not re-create the remote side too) fails with `RemotePeeringIsDisconnected`; one created
  while another peering of its VNet references the same remote VNet (a rename applied before the
  old one is deleted: Terraform's `create_before_destroy`, or a what-if that keeps the old one) fails
  with `AnotherPeeringAlreadyReferencesRemoteVnet`. A failed peering is absent after the apply and
  listed in `Prediction.failures`;
- a route table's `subnets` follow the subnets that reference it (a reference to a subnet neither
  side holds is kept: it may lie outside the snapshot);
- a VNet gateway the change deletes while a connection still names it is not deleted (ARM deletes a
  gateway only once its connections are gone): `GatewayHasConnections` in `Prediction.failures`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from auditor.edits import Create, Delete
from auditor.ids import ArmId
from auditor.model import IPNetwork, kinds, parse_prefix
from auditor.model.resources import arm_peering_state
from auditor.predict import Prediction, apply, dig
from auditor.rawtree import Origin, RawTree, Slot, resource_key

PEERING = kinds.PEERING.type_path
SUBNET = kinds.SUBNET.type_path
ROUTE_TABLE = kinds.ROUTE_TABLE.type_path
VNET = kinds.VNET.type_path
GATEWAY = kinds.GATEWAY.type_path
CONNECTION = kinds.CONNECTION.type_path
HUB_IP_CONFIGURATION = kinds.HUB_IP_CONFIGURATION.type_path


@dataclass(frozen=True)
class Links:
    """The references read-only state depends on, taken from a tree (BEFORE, or after the change)."""

    peerings: dict[tuple[str, str], str]  # (VNet key, remote VNet key) -> peering key
    subnet_tables: dict[str, tuple[str, str | None]]  # subnet key -> (subnet id, route table key)
    states: dict[str, str] = field(default_factory=dict)  # peering key -> peeringState (lower case)
    joins: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # every peering of a pair
    remote_gateways: dict[str, bool] = field(default_factory=dict)  # peering key -> useRemoteGateways
    peering_docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # peering key -> its document
    gateway_vnets: frozenset[str] = frozenset()  # VNets holding a VPN/ExpressRoute gateway or a Route Server
    spaces: dict[str, list[Any]] = field(default_factory=dict)  # VNet key -> addressSpace.addressPrefixes
    # VNet gateway key -> (its document, where it came from): what a refused deletion leaves in place
    gateway_docs: dict[str, tuple[dict[str, Any], Origin | None]] = field(default_factory=dict)


def links(tree: RawTree, *, peerings_only: bool = False, index: dict[str, Slot] | None = None) -> Links:
    """The peerings (by the VNets they join) and the subnets' route tables of a tree; with
    `peerings_only`, the peerings' pairs, joins and states alone (no copies of documents).
    `index`: the tree's `index()`, when the caller holds it already."""
    peerings: dict[tuple[str, str], str] = {}
    subnet_tables: dict[str, tuple[str, str | None]] = {}
    states: dict[str, str] = {}
    joins: dict[tuple[str, str], list[str]] = {}
    remote_gateways: dict[str, bool] = {}
    docs: dict[str, dict[str, Any]] = {}
    gateway_vnets: set[str] = set()
    spaces: dict[str, list[Any]] = {}
    gateway_docs: dict[str, tuple[dict[str, Any], Origin | None]] = {}
    for key, slot in sorted((tree.index() if index is None else index).items()):
        if peerings_only and "/virtualnetworkpeerings/" not in key:
            continue  # (a key is lower case: not a peering, without parsing it)
        rid = ArmId(key)
        if peerings_only and rid.type_path != PEERING:
            continue
        if rid.type_path == GATEWAY:
            gateway_docs[key] = (copy.deepcopy(slot.resource), tree.origins.get(key))
        if rid.type_path == VNET:
            prefixes = dig(slot.resource, "properties", "addressSpace", "addressPrefixes")
            spaces[key] = list(prefixes) if isinstance(prefixes, list) else []
        if rid.type_path in (GATEWAY, HUB_IP_CONFIGURATION):
            configs = dig(slot.resource, "properties", "ipConfigurations")
            subnets = (
                [dig(c, "properties", "subnet", "id") for c in configs] if isinstance(configs, list) else []
            )
            if rid.type_path == HUB_IP_CONFIGURATION:
                subnets = [dig(slot.resource, "properties", "subnet", "id")]
            for subnet in subnets:
                subnet_key = resource_key(subnet) if isinstance(subnet, str) else None
                if subnet_key is not None and ArmId(subnet_key).parent is not None:
                    gateway_vnets.add(ArmId(subnet_key).parent.key)  # type: ignore[union-attr]
        if rid.type_path == PEERING:
            remote = resource_key(dig(slot.resource, "properties", "remoteVirtualNetwork", "id"))
            state = dig(slot.resource, "properties", "peeringState")
            states[key] = state.lower() if isinstance(state, str) else ""
            remote_gateways[key] = dig(slot.resource, "properties", "useRemoteGateways") is True
            if not peerings_only:
                docs[key] = copy.deepcopy(slot.resource)
            if rid.parent is not None and remote is not None:
                peerings[(rid.parent.key, remote)] = key
                joins.setdefault((rid.parent.key, remote), []).append(key)
        elif rid.type_path == SUBNET:
            table = resource_key(dig(slot.resource, "properties", "routeTable", "id"))
            subnet_tables[key] = (str(slot.resource.get("id") or key), table)
    return Links(
        peerings, subnet_tables, states, joins, remote_gateways, docs, frozenset(gateway_vnets), spaces,
        gateway_docs,
    )  # fmt: skip


def settle(
    tree: RawTree,
    prediction: Prediction,
    before: Links,
    created: set[str],
    *,
    unknown_remote: str,
    create_first: frozenset[str] = frozenset(),
) -> list[str]:
    """Predict the read-only state of the changed tree (`created`: keys of the resources the change
    creates, children included; `before`: the links of BEFORE; `create_first`: keys of resources the
    change creates before it deletes what they replace). Returns the ids of the existing resources
    whose state changed or whose change fails. `unknown_remote` says where a remote VNet was looked
    for, in the gap of a created peering towards one the tree does not hold."""
    failed = _refused_peerings(tree, prediction, before, created, create_first)
    failed += _refused_remote_gateways(tree, prediction, before, created)
    failed += _refused_gateway_deletions(tree, prediction, before)
    after = links(tree)
    return [
        *failed,
        *_settle_peerings(tree, prediction, before, after, created, unknown_remote),
        *_settle_sync(tree, prediction, before, after, created),
        *_settle_route_tables(tree, prediction, before, after, created),
    ]


def settle_peering_state(
    tree: RawTree,
    prediction: Prediction,
    before: Links,
    after: Links,
    created: set[str],
    *,
    written: frozenset[str],
    only: set[str],
    slots: dict[str, Slot],
    unknown_remote: str,
) -> list[str]:
    """Only the peerings' read-only state (`peeringState`, `peeringSyncLevel`, the copy of the remote
    address space) of the peerings in `only`, for a change written as the state after it (an
    overlay): a peering whose `peeringState` the change writes (`written`: keys) keeps it; ARM's
    refusals are not applied. `before`, `after`: `links(..., peerings_only=True)` of BEFORE and of
    the changed tree; `slots`: its `index()`."""
    return _settle_peerings(
        tree, prediction, before, after, created, unknown_remote, keep=written, only=only, slots=slots
    )


def _refused_peerings(
    tree: RawTree, prediction: Prediction, before: Links, created: set[str], create_first: frozenset[str]
) -> list[str]:
    """The created peerings ARM refuses (removed from the tree; their ids)."""
    refused: list[str] = []
    current = links(tree)
    for key in sorted(k for k in created if ArmId(k).type_path == PEERING):
        slot = tree.index().get(key)
        vnet = ArmId(key).parent
        remote = (
            resource_key(dig(slot.resource, "properties", "remoteVirtualNetwork", "id")) if slot else None
        )
        if slot is None or vnet is None or remote is None:
            continue
        pid = str(slot.resource.get("id") or key)
        old = before.peerings.get((vnet.key, remote))  # the peering this one replaces, if any
        others = [k for k in current.joins.get((vnet.key, remote), []) if k != key and k not in refused]
        reverse = current.peerings.get((remote, vnet.key))
        why: tuple[str, str] | None = None
        if others or (old is not None and key in create_first):
            other = others[0] if others else old
            why = (
                "AnotherPeeringAlreadyReferencesRemoteVnet",
                f"peering {ArmId(str(other)).name} of the same VNet already references the remote VNet when "
                f"this one is created"
                + ("" if others else " (created before the peering it replaces is deleted)"),
            )
        elif (overlap := _overlap(current, vnet.key, remote)) is not None:
            why = overlap
        elif reverse is not None and reverse not in created:
            if before.states.get(reverse) == "disconnected":
                why = (
                    "RemotePeeringIsDisconnected",
                    f"its remote peering {ArmId(reverse).name} is Disconnected: delete and re-create it too",
                )
            elif old is not None:
                if old != key and prediction.input == "what-if":
                    prediction.gap(
                        "lifecycle-order-unknown",
                        pid,
                        f"what-if deletes {ArmId(old).name} and creates {ArmId(key).name} between the same VNets "
                        "without saying in which order: created first, it fails with "
                        "AnotherPeeringAlreadyReferencesRemoteVnet and the old peering may stay; deleted first "
                        f"(predicted), {ArmId(reverse).name} disconnects and the new one fails",
                    )
                why = (
                    "RemotePeeringIsDisconnected",
                    f"deleting {ArmId(old).name} moves its remote peering {ArmId(reverse).name} to Disconnected, "
                    f"and a peering cannot be created against a Disconnected one: re-create "
                    f"{ArmId(reverse).name} in the same change, after the delete",
                )
        if why is None:
            continue
        apply(tree, prediction, Delete(pid))
        prediction.fail(pid, *why)
        refused.append(pid)
    return refused


def _networks(prefixes: list[Any]) -> list[IPNetwork]:
    """The address prefixes as the model reads them (an invalid one is the normalizer's to report)."""
    found = []
    for text in prefixes:
        try:
            found.append(parse_prefix(text))
        except ValueError:
            continue
    return found


def _overlapping(a: list[Any], b: list[Any]) -> list[str]:
    return sorted(
        {str(x) for x in _networks(a) for y in _networks(b) if x.version == y.version and x.overlaps(y)}
    )


def _overlap(current: Links, vnet: str, remote: str) -> tuple[str, str] | None:
    """Why ARM refuses a peering from `vnet` to `remote` for their address spaces: they overlap,
    or `vnet`'s overlaps a VNet `remote` is already peered with (in any state: a Disconnected
    peering counts until it is deleted). Unknown (None) when `remote` is outside the tree."""
    if remote not in current.spaces or vnet not in current.spaces:
        return None
    mine = current.spaces[vnet]
    both = _overlapping(mine, current.spaces[remote])
    if both:
        return (
            "VnetAddressSpacesOverlap",
            f"{ArmId(vnet).name} and {ArmId(remote).name} cannot be peered: their address spaces overlap "
            f"({', '.join(both)})",
        )
    for (owner, other), _key in sorted(current.peerings.items()):
        if owner != remote or other == vnet or other not in current.spaces:
            continue
        shared = _overlapping(mine, current.spaces[other])
        if shared:
            return (
                "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
                f"the address space of {ArmId(vnet).name} overlaps that of {ArmId(other).name}, already peered "
                f"with {ArmId(remote).name} ({', '.join(shared)})",
            )
    return None


def _refused_gateway_deletions(tree: RawTree, prediction: Prediction, before: Links) -> list[str]:
    """VNet gateways the change deletes while a connection still names them: ARM refuses (a
    gateway's connections are deleted first: "You must first delete all connections to the Virtual
    Network Gateway", https://learn.microsoft.com/powershell/module/az.network/remove-azvirtualnetworkgateway;
    ARM's error code is not documented, azroute reports `GatewayHasConnections`). The gateway stays
    as it was (put back into the tree); its ids."""
    slots = tree.index()
    gone = [key for key in before.gateway_docs if key not in slots]
    if not gone:
        return []
    users: dict[str, list[str]] = {}  # gateway key -> the connections naming it after the change
    for key, slot in sorted(slots.items()):
        if ArmId(key).type_path != CONNECTION:
            continue
        for end in ("virtualNetworkGateway1", "virtualNetworkGateway2"):
            named = resource_key(dig(slot.resource, "properties", end, "id"))
            if named is not None:
                users.setdefault(named, []).append(str(slot.resource.get("id") or key))
    refused: list[str] = []
    for key in sorted(gone):
        if not users.get(key):
            continue
        doc, origin = before.gateway_docs[key]
        gid = str(doc.get("id") or key)
        apply(tree, prediction, Create(copy.deepcopy(doc), origin or (prediction.file, []), nested=False))
        names = ", ".join(ArmId(c).name for c in users[key][:3]) + (" ..." if len(users[key]) > 3 else "")
        prediction.fail(
            gid,
            "GatewayHasConnections",
            f"connections still use the gateway ({names}): delete them in the same change, first",
        )
        refused.append(gid)
    return refused


def _refused_remote_gateways(
    tree: RawTree, prediction: Prediction, before: Links, created: set[str]
) -> list[str]:
    """Peerings the change creates with, or turns to, `useRemoteGateways: true` that ARM refuses
    (the REST API's description of the flag: the remote VNet must have a gateway, the local VNet
    must not, and only one peering of a VNet may set it). A refused creation leaves the peering
    absent; a refused update leaves it as it was."""
    refused: list[str] = []
    current = links(tree)
    for key, uses in sorted(current.remote_gateways.items()):
        if not uses or (key not in created and before.remote_gateways.get(key, False)):
            continue  # only what the change sets is checked
        rid = ArmId(key)
        vnet = rid.parent.key if rid.parent is not None else None
        remote = next((r for (v, r), keys in current.joins.items() if key in keys), None)
        if vnet is None or remote is None:
            continue
        others = sorted(
            k
            for k, on in current.remote_gateways.items()
            if on and k != key and ArmId(k).parent == rid.parent
        )
        why: tuple[str, str] | None = None
        if remote in tree.index() and remote not in current.gateway_vnets:
            why = ("RemoteVnetHasNoGateways", f"the remote VNet {ArmId(remote).name} has no VPN or ExpressRoute "
                   "gateway and no Route Server, so the peering cannot use remote gateways")  # fmt: skip
        elif vnet in current.gateway_vnets:
            why = ("UseRemoteGatewaysRefused", f"{ArmId(vnet).name} has a gateway of its own: a VNet with a gateway "
                   "cannot use a remote one (ARM's documented rule; its error code is not documented)")  # fmt: skip
        elif others:
            why = ("UseRemoteGatewaysRefused", f"{ArmId(others[0]).name} of the same VNet already uses remote gateways: "
                   "only one peering of a VNet may (ARM's documented rule; its error code is not documented)")  # fmt: skip
        if why is None:
            continue
        slot = tree.index()[key]
        pid = str(slot.resource.get("id") or key)
        if key in created or key not in before.peering_docs:
            apply(tree, prediction, Delete(pid))
        else:  # the update fails: the peering stays as BEFORE held it
            slot.resource.clear()
            slot.resource.update(copy.deepcopy(before.peering_docs[key]))
        prediction.fail(pid, *why)
        refused.append(pid)
    return refused


def _settle_peerings(
    tree: RawTree,
    prediction: Prediction,
    before: Links,
    after: Links,
    created: set[str],
    unknown_remote: str,
    keep: frozenset[str] = frozenset(),
    only: set[str] | None = None,
    slots: dict[str, Slot] | None = None,
) -> list[str]:
    """A created peering's state; the state of a peering whose reverse the change removes or adds
    (`keep`: keys of peerings whose state is left as the change wrote it; `only`: the peerings
    looked at, every one when None)."""
    changed: list[str] = []
    slots = tree.index() if slots is None else slots
    for key in sorted(slots if only is None else only & slots.keys()):
        slot = slots[key]
        if ArmId(key).type_path != PEERING or key in keep:
            continue
        peering = slot.resource
        vnet = ArmId(key).parent
        remote_id = dig(peering, "properties", "remoteVirtualNetwork", "id")
        remote = resource_key(remote_id)
        if vnet is None or remote is None:
            continue
        pid = str(peering.get("id") or key)
        props = peering.setdefault("properties", {})
        reverse_after = (remote, vnet.key) in after.peerings
        if key in created:
            if remote not in slots and not reverse_after:
                prediction.gap(
                    "unknown-resource",
                    pid,
                    f"the remote VNet {remote_id} is {unknown_remote}: whether its reverse peering exists is "
                    "unknown, so the peering's state is not predicted",
                )
                continue
            state: dict[str, Any] = {"peeringState": arm_peering_state(reverse_after)}
            if reverse_after:
                state["peeringSyncLevel"] = "FullyInSync"
            space = dig(slots[remote].resource, "properties", "addressSpace") if remote in slots else None
            if isinstance(space, dict) and isinstance(space.get("addressPrefixes"), list):
                state["remoteAddressSpace"] = copy.deepcopy(space)
                state["remoteVirtualNetworkAddressSpace"] = copy.deepcopy(space)
            props.update(copy.deepcopy(state))
            prediction.predict(pid, state)
            continue
        current = props.get("peeringState")
        current = current.lower() if isinstance(current, str) else None
        was_reverse = (remote, vnet.key) in before.peerings
        if current == "connected" and was_reverse and not reverse_after:
            update = {"peeringState": "Disconnected"}
        elif current == "initiated" and reverse_after and not was_reverse:
            update = {"peeringState": "Connected", "peeringSyncLevel": "FullyInSync"}
        else:
            continue
        props.update(update)
        prediction.predict(pid, update)
        changed.append(pid)
    return changed


def _settle_sync(
    tree: RawTree, prediction: Prediction, before: Links, after: Links, created: set[str]
) -> list[str]:
    """A peered VNet whose address space the change edits: the peerings pointing at it keep the
    space they hold until someone syncs them (`LocalNotInSync`: they do not route to the new range),
    and its own peerings say their remote is not in sync (`RemoteNotInSync`)."""
    moved = {v for v, space in after.spaces.items() if v in before.spaces and before.spaces[v] != space}
    changed: list[str] = []
    if not moved:
        return changed
    slots = tree.index()
    levels: dict[str, set[str]] = {}
    for (vnet, remote), key in after.peerings.items():
        if key in created or key not in before.peerings.values():
            continue
        if remote in moved:
            levels.setdefault(key, set()).add("Local")
        if vnet in moved:
            levels.setdefault(key, set()).add("Remote")
    for key, sides in sorted(levels.items()):
        level = "LocalAndRemoteNotInSync" if len(sides) == 2 else f"{sides.pop()}NotInSync"
        slot = slots[key]
        props = slot.resource.setdefault("properties", {})
        update: dict[str, Any] = {"peeringSyncLevel": level}
        if "Local" in level:
            target = resource_key(dig(slot.resource, "properties", "remoteVirtualNetwork", "id"))
            update["remoteVirtualNetworkAddressSpace"] = {
                "addressPrefixes": list(after.spaces.get(target or "", []))
            }
            if not isinstance(dig(props, "remoteAddressSpace", "addressPrefixes"), list):
                # the space the peering was synced to: the remote VNet's before the change
                update["remoteAddressSpace"] = {"addressPrefixes": list(before.spaces.get(target or "", []))}
        props.update(copy.deepcopy(update))
        pid = str(slot.resource.get("id") or key)
        prediction.predict(pid, update)
        changed.append(pid)
    return changed


def _settle_route_tables(
    tree: RawTree, prediction: Prediction, before: Links, after: Links, created: set[str]
) -> list[str]:
    """The `subnets` of the route tables created, or referenced by a subnet before or after the
    change but not both."""
    changed: list[str] = []
    old_refs, new_refs = before.subnet_tables, after.subnet_tables
    slots = tree.index()
    affected: set[str] = {k for k in created if ArmId(k).type_path == ROUTE_TABLE}
    for subnet in set(old_refs) | set(new_refs):
        old = old_refs.get(subnet, ("", None))[1]
        new = new_refs.get(subnet, ("", None))[1]
        if old != new:
            affected.update(t for t in (old, new) if t is not None)
    for table in sorted(affected):
        slot = slots.get(table)
        if slot is None:
            continue
        props = slot.resource.setdefault("properties", {})
        refs = props.get("subnets") if isinstance(props.get("subnets"), list) else []
        kept = [
            r
            for r in refs
            if not isinstance(r, dict)
            or (sk := resource_key(r.get("id"))) is None
            or (sk in new_refs and new_refs[sk][1] == table)
            or (sk not in new_refs and sk not in old_refs)
        ]
        have = {resource_key(r.get("id")) for r in kept if isinstance(r, dict)}
        for sk in sorted(new_refs):
            if new_refs[sk][1] == table and sk not in have:
                kept.append({"id": new_refs[sk][0]})
        if kept != refs or table in created:
            props["subnets"] = kept
            table_id = str(slot.resource.get("id") or table)
            prediction.predict(table_id, {"subnets": kept})
            if kept != refs:
                changed.append(table_id)
    return changed


__all__ = ["PEERING", "ROUTE_TABLE", "SUBNET", "VNET", "Links", "links", "settle"]
