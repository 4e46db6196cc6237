"""Every conformance document of the kinds the model reads normalizes, and audits without a crash."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from auditor.engine import CRASH_RULE, load_rules, run
from auditor.errors import InputError
from auditor.model import Operation
from auditor.normalize import SnapshotBuilder
from tests.corpus import conformance_dir, iter_corpus

ROOT = conformance_dir()
pytestmark = pytest.mark.skipif(
    ROOT is None and not os.environ.get("CI"),
    reason="../shared/conformance not found (set AZROUTE_CONFORMANCE_DIR); CI requires it",
)


def test_corpus_is_present() -> None:
    assert ROOT is not None and ROOT.is_dir(), "the conformance corpus must be present in CI"


def test_every_document_normalizes_and_audits() -> None:
    assert ROOT is not None
    rules = load_rules()
    kinds: Counter[str] = Counter()
    modelled: Counter[str] = Counter()
    failures: list[str] = []
    for label, kind, payload in iter_corpus(ROOT):
        builder = SnapshotBuilder()
        try:
            if kind == "document":
                builder.add_document(payload, label)
            else:
                builder.add_operation({"operation": kind, "status": 200, **payload}, label)
            snapshot = builder.build(label)
        except InputError as exc:
            failures.append(str(exc))
            continue
        kinds[kind] += 1
        for name, count in snapshot.inventory().items():
            modelled[name] += count
        result = run(snapshot, rules)
        crashed = [f.message for f in result.findings if f.rule == CRASH_RULE]
        assert not crashed, (label, crashed)
    assert not failures, "\n".join(failures[:20])
    # The walk really covers the corpus: documents of every modelled kind and every operation.
    assert kinds["document"] > 700
    for op in Operation:
        assert kinds[op.value] >= 1, op
    for name in (
        "virtualNetworks",
        "subnets",
        "virtualNetworkPeerings",
        "virtualNetworkGateways",
        "connections",
        "localNetworkGateways",
        "expressRouteCircuits",
        "expressRouteCircuitPeerings",
        "expressRouteCircuitConnections",
        "routeTables",
        "routes",
        "networkInterfaces",
    ):
        assert modelled[name] >= 1, name
