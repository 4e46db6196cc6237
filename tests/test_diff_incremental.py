"""The incremental diff against the complete evaluation (issue 19): on every scenario and design,
each with changes of every kind an incremental diff scopes (peering flags and state, route tables,
routes, subnet associations, address spaces, NICs) and some it must recompute in full, the diff
that recomputes only what the change can move equals the diff that recomputes everything."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.change import impact
from auditor.diff import Evaluation, configuration_rules, diff, evaluate, evaluate_change
from auditor.engine import load_rules
from auditor.fixture import build_snapshot, read_source
from auditor.model import Snapshot
from tests.conftest import FIXTURES

RULES, _ = configuration_rules(load_rules())
SCENARIOS = sorted(
    [p.parent for p in FIXTURES.glob("*/fixture.json")]
    + [p.parent for p in FIXTURES.glob("designs/*/fixture.json")]
)
Mutation = tuple[str, Callable[[Snapshot], Snapshot]]


def _swap(snapshot: Snapshot, field: str, index: int, **update: Any) -> Snapshot:
    items = list(getattr(snapshot, field))
    items[index] = items[index].model_copy(update=update)
    return snapshot.replace(**{field: tuple(items)})


def _drop(snapshot: Snapshot, field: str, index: int) -> Snapshot:
    items = list(getattr(snapshot, field))
    del items[index]
    return snapshot.replace(**{field: tuple(items)})


def mutations(snapshot: Snapshot) -> Iterator[Mutation]:
    """Every single change of the kinds below that this snapshot allows, in a stable order."""
    for i, p in enumerate(snapshot.peerings):
        name = p.id.name
        yield (
            f"{name}.useRemoteGateways",
            lambda s, i=i, p=p: _swap(s, "peerings", i, use_remote_gateways=not p.use_remote_gateways),
        )
        yield (
            f"{name}.allowGatewayTransit",
            lambda s, i=i, p=p: _swap(s, "peerings", i, allow_gateway_transit=not p.allow_gateway_transit),
        )
        yield (
            f"{name}.allowForwardedTraffic",
            lambda s, i=i, p=p: _swap(
                s, "peerings", i, allow_forwarded_traffic=not p.allow_forwarded_traffic
            ),
        )
        yield (
            f"{name}.allowVirtualNetworkAccess",
            lambda s, i=i: _swap(s, "peerings", i, allow_virtual_network_access=False),
        )
        yield f"{name}.peeringState", lambda s, i=i: _swap(s, "peerings", i, peering_state="Disconnected")
        yield f"{name} deleted", lambda s, i=i: _drop(s, "peerings", i)
    for i, t in enumerate(snapshot.route_tables):
        yield (
            f"{t.id.name}.disableBgpRoutePropagation",
            lambda s, i=i, t=t: _swap(
                s, "route_tables", i, disable_bgp_route_propagation=not t.disable_bgp_route_propagation
            ),
        )
    for i, r in enumerate(snapshot.routes):
        yield f"route {r.id.name} deleted", lambda s, i=i: _drop(s, "routes", i)
    for i, sn in enumerate(snapshot.subnets):
        if sn.route_table_id is not None:
            yield (
                f"{sn.id.name} route table dissociated",
                lambda s, i=i: _swap(s, "subnets", i, route_table_id=None),
            )
    for i, v in enumerate(snapshot.vnets):
        for site in snapshot.sites:
            if site.prefixes:
                # a VNet grows over an on-premises range
                grown = (*v.address_prefixes, site.prefixes[0])
                yield (
                    f"{v.display_name} grows over {site.name}",
                    lambda s, i=i, g=grown: _swap(s, "vnets", i, address_prefixes=g),
                )
                break
        extra = (*v.address_prefixes, ipaddress.ip_network("198.18.0.0/24"))
        yield f"{v.display_name} grows", lambda s, i=i, g=extra: _swap(s, "vnets", i, address_prefixes=g)
    for i, nic in enumerate(snapshot.network_interfaces):
        yield (
            f"{nic.id.name}.enableIPForwarding",
            lambda s, i=i, n=nic: _swap(
                s, "network_interfaces", i, enable_ip_forwarding=not n.enable_ip_forwarding
            ),
        )
    for i, g in enumerate(snapshot.gateways):
        yield f"{g.id.name} deleted", lambda s, i=i: _drop(s, "gateways", i)


def _result(before: Evaluation, after: Evaluation) -> dict[str, Any]:
    data = diff(before, after).data
    data["summary"].pop("recomputed")
    return data


def _cases() -> list[Any]:
    return [pytest.param(path, id=str(path.relative_to(FIXTURES))) for path in SCENARIOS]


SCOPES: dict[str, int] = {}


@pytest.mark.parametrize("path", _cases())
def test_incremental_diff_equals_the_complete_one(path: Path) -> None:
    base = build_snapshot(read_source(path), observations=False)
    complete_before = evaluate(base, RULES)
    # a no-op: nothing recomputed, and nothing reported
    same = build_snapshot(read_source(path), observations=False)
    old, new, moved = evaluate_change(base, same, RULES, results=(complete_before.result, None))
    assert moved.nothing and not new.pairs and not new.routes
    assert _result(old, new) == _result(complete_before, evaluate(same, RULES))
    found = list(mutations(base))
    # every scenario gets a few changes; across scenarios every kind of change is exercised
    offset = sum(map(ord, path.name))
    for label, mutate in [found[(offset + 7 * k) % len(found)] for k in range(3)] if found else []:
        changed = mutate(base)
        complete_after = evaluate(changed, RULES)
        # AFTER's rules evaluated as the diff does (endpoint-scoped rules keep BEFORE's findings of
        # the endpoints a local change cannot move), against the complete evaluation
        old, new, moved = evaluate_change(base, changed, RULES, results=(complete_before.result, None))
        scope = "nothing" if moved.nothing else "everything" if moved.everything else "local"
        SCOPES[scope] = SCOPES.get(scope, 0) + 1
        assert _result(old, new) == _result(complete_before, complete_after), (
            f"{path.name}: {label} ({scope})"
        )


def test_the_bench_change_is_local_and_a_spoke_flag_is_too() -> None:
    """The changes a pre-change review most often holds stay local: a spoke's own peering flag,
    the hub's peering to one spoke, a spoke's route table; a gateway's change is recomputed."""
    base = build_snapshot(read_source(FIXTURES / "interop-testbed"), observations=False)
    by_name = {p.id.name: i for i, p in enumerate(base.peerings)}
    spoke = _swap(base, "peerings", by_name["spoke-to-hub"], use_remote_gateways=False)
    hub_side = _swap(base, "peerings", by_name["hub-to-spoke"], allow_gateway_transit=False)
    assert not impact(base, spoke).everything and impact(base, spoke).vnets
    assert {v.name for v in impact(base, hub_side).vnets} == {"spoke-vnet"}
    gateway = _drop(base, "gateways", 0)
    assert impact(base, gateway).everything


def test_an_estate_too_large_for_every_pair_is_compared_by_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """A change that moves everything, on an estate above `walked.GROUPED_ABOVE` pairs, is compared
    as `paths` shows such an estate: each group of VNets that route alike, to and from every site.
    Every VNet-site pair the pair-by-pair diff loses is lost in a group naming that VNet, and no other."""
    from auditor.routing import walked

    base = build_snapshot(read_source(FIXTURES / "interop-testbed"), observations=False)
    index = next(i for i, g in enumerate(base.gateways) if g.id.name == "hub-er-gw")
    changed = _drop(base, "gateways", index)
    assert impact(base, changed).everything
    old, new, _ = evaluate_change(base, changed, RULES)
    per_pair = diff(old, new).data["pairs"]
    sites = {s.name for s in base.sites}
    expected = {
        k: {(p["from"], p["to"]) for p in per_pair[k] if p["to"] in sites} for k in ("lost", "changed")
    }
    assert expected["lost"] and expected["changed"]  # the change loses and moves VNet-site pairs
    monkeypatch.setattr(walked, "GROUPED_ABOVE", 4)
    base.release()
    changed.release()
    old, new, _ = evaluate_change(base, changed, RULES)
    assert old.groups is not None and new.groups is not None and not old.pairs
    grouped = diff(old, new).data["pairs"]
    for kind in ("lost", "changed"):
        assert {(m, p["to"]) for p in grouped[kind] for m in p["members"]} == expected[kind], kind


def test_a_change_that_changes_nothing_reuses_before_as_after(tmp_path: Path) -> None:
    """A no-op overlay, on every scenario and design: AFTER is BEFORE's resources under the
    predicted manifest (`plan.unchanged`), equal to what normalising the predicted documents gives."""
    from auditor.predict.plan import predict, unchanged
    from auditor.writer import dump_json

    for path in SCENARIOS:
        noop = tmp_path / f"noop-{path.name}"
        dump_json(
            noop / "fixture.json",
            {"format": "azroute-overlay/1", "base": str(path), "name": "noop", "observations": "drop"},
        )
        (noop / "arm").mkdir()
        source = read_source(path)
        before = build_snapshot(source, observations=False)
        predicted, prediction = predict(path, "overlay", noop, source=source)
        reused = unchanged(before, predicted, prediction)
        assert reused is not None, path.name
        assert reused == build_snapshot(predicted, observations=False), path.name
