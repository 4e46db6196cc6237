"""The live collector end to end, with the real SDK, against `azroute serve` on loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.network import NetworkManagementClient

from auditor.engine import load_rules, run
from auditor.fixture import load_fixture
from auditor.live.collector import RG_LISTS, CollectOptions, Collector, LocalCredential
from auditor.live.policies import READ_ONLY_ACTIONS, ReadOnlyPolicy, TokenBucket, WriteAttempted, allowed
from auditor.live.server import ArmServer, ServeOptions, start
from auditor.model import Snapshot
from auditor.report import render_json, report_dict
from tests.conftest import FIXTURES

SUB = "00000000-0000-0000-0000-000000000000"
TESTBED = FIXTURES / "interop-testbed"


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ArmServer] = []

    def _start(fixture: Path = TESTBED, **options: Any) -> ArmServer:
        server, _ = start(fixture, ServeOptions(**options))
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.shutdown()
        server.server_close()


def collect(server: ArmServer, out: Path, **options: Any) -> Any:
    opts = CollectOptions(subscriptions=[SUB], arm_endpoint=server.url, ca=server.ca_path, progress=False,
                          sites=json.loads((TESTBED / "fixture.json").read_text())["sites"], name=out.name,
                          effective_routes="all", polling_interval=0.05, **options)  # fmt: skip
    return Collector(opts).collect(out)


def comparable(snapshot: Snapshot) -> dict[str, Any]:
    data = snapshot.model_dump(mode="json", exclude={"name", "description", "source", "location"})
    for key in (
        "effective_routes",
        "gateway_routes",
        "bgp_peer_status",
        "circuit_tables",
        "observation_gaps",
    ):
        for item in data[key]:
            item.pop("file", None)
    return data


def findings_json(snapshot: Snapshot) -> str:
    report = report_dict(snapshot, run(snapshot, load_rules()))
    return json.dumps([report["findings"], report["coverage"]], sort_keys=True)


def test_collect_reproduces_the_testbed(serve: Any, tmp_path: Path) -> None:
    server = serve(page_size=2)
    result = collect(server, tmp_path / "copy")
    assert result.complete, result.gaps
    original, copy = load_fixture(TESTBED), load_fixture(tmp_path / "copy")
    assert copy.source == "recorded"
    assert comparable(copy) == comparable(original)
    assert findings_json(copy) == findings_json(original)
    assert server.stats["POST"] == result.observations  # every observation was a real long-running call
    assert (tmp_path / "copy" / "fixture.json").read_text().count(
        "interop"
    ) == 0  # nothing copied from the source


def test_collect_under_throttling_faults_and_a_forbidden_group(serve: Any, tmp_path: Path) -> None:
    server = serve(page_size=2, throttle=(10, 40), error_rate=0.1, forbid=("rg-branch",), seed=7)
    result = collect(server, tmp_path / "partial")
    assert server.stats["status 429"] > 0, dict(server.stats)
    assert server.stats["status 503"] + server.stats["reset"] > 0, dict(server.stats)
    assert not result.complete
    forbidden = [g for g in result.gaps if g.scope.endswith("/resourceGroups/rg-branch")]
    assert len(forbidden) == len(RG_LISTS) and all(g.status == 403 for g in forbidden)
    snapshot = load_fixture(tmp_path / "partial")
    audit = run(snapshot, load_rules())
    kinds = {g.kind for g in audit.gaps}
    assert {"collection-failed", "external-reference"} <= kinds
    # what could not be seen is never reported clean: the branch gateway is an external reference
    assert any("branch-vpn-gw" in g.resource for g in audit.gaps if g.kind == "external-reference")
    cli = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(tmp_path / "partial")], capture_output=True, text=True
    )
    assert cli.returncode == 3, cli.stdout + cli.stderr
    assert "Coverage is incomplete" in cli.stdout


def test_failed_observation_becomes_a_gap(serve: Any, tmp_path: Path) -> None:
    fixture = tmp_path / "tb"
    shutil.copytree(TESTBED, fixture)
    record = fixture / "operations" / "effectiveRouteTable" / "remote-vm-nic.json"
    doc = json.loads(record.read_text())
    doc.update(
        status=400, body={"error": {"code": "NicNotAttachedToRunningVm", "message": "VM is deallocated"}}
    )
    record.write_text(json.dumps(doc))
    result = collect(serve(fixture), tmp_path / "copy")
    assert result.failed_observations == 1
    snapshot = load_fixture(tmp_path / "copy")
    (gap,) = snapshot.observation_gaps
    assert gap.status == 400 and gap.code == "NicNotAttachedToRunningVm"


def test_secrets_never_reach_the_fixture(serve: Any, tmp_path: Path) -> None:
    fixture = tmp_path / "tb"
    shutil.copytree(TESTBED, fixture)
    planted = {"sharedKey": "PLANTED-shared-key-1", "authorizationKey": "PLANTED-authz-key-2",
               "serviceKey": "PLANTED-service-key-3"}  # fmt: skip
    conns = json.loads((fixture / "arm" / "connections.json").read_text())
    for conn in conns["value"]:
        conn["properties"]["sharedKey"] = planted["sharedKey"]
    (fixture / "arm" / "connections.json").write_text(json.dumps(conns))
    circuits = json.loads((fixture / "arm" / "expressRouteCircuits.json").read_text())
    for circuit in circuits["value"]:
        circuit["properties"]["serviceKey"] = planted["serviceKey"]
        circuit["properties"]["authorizations"] = [
            {"name": "a", "properties": {"authorizationKey": planted["authorizationKey"]}}
        ]
        circuit["properties"]["peerings"][0]["properties"]["sharedKey"] = planted["sharedKey"]
    (fixture / "arm" / "expressRouteCircuits.json").write_text(json.dumps(circuits))
    collect(serve(fixture), tmp_path / "copy")
    written = "".join(p.read_text() for p in (tmp_path / "copy").rglob("*.json"))
    report = render_json(
        report_dict(load_fixture(tmp_path / "copy"), run(load_fixture(tmp_path / "copy"), load_rules()))
    )
    for secret in planted.values():
        assert secret not in written and secret not in report


def test_anonymize_keeps_routing_semantics(serve: Any, tmp_path: Path) -> None:
    collect(serve(), tmp_path / "anon", anonymize=True)
    written = "".join(p.read_text() for p in (tmp_path / "anon").rglob("*.json"))
    assert SUB not in written and "66.198.12.106" not in written and "52.168.162.84" not in written
    assert "10.2.30.0/25" in written  # private addressing is kept
    snapshot = load_fixture(tmp_path / "anon")
    original = run(load_fixture(TESTBED), load_rules()).findings
    assert [f.rule for f in run(snapshot, load_rules()).findings] == [f.rule for f in original]
    assert len(snapshot.vnets) == 4 and len({v.id.subscription for v in snapshot.vnets}) == 1


def test_read_only_guard_refuses_writes_before_they_leave(serve: Any) -> None:
    server = serve()
    client = NetworkManagementClient(LocalCredential(), SUB, base_url=server.url, connection_verify=server.ca_path,
                                     per_call_policies=[ReadOnlyPolicy()], retry_total=0)  # fmt: skip
    with pytest.raises(WriteAttempted):
        client.virtual_networks.begin_delete("rg-hub", "hub-vnet")
    with pytest.raises(WriteAttempted):
        client.virtual_network_gateways.begin_reset("rg-hub", "hub-vpn-gw")
    with pytest.raises(WriteAttempted):
        client.local_network_gateways.update_tags("rg-hub", "location-1-lng", {"tags": {"x": "y"}})
    assert server.stats["POST"] == 0 and "status 405" not in server.stats
    assert client.virtual_networks.get("rg-hub", "hub-vnet").name == "hub-vnet"


@pytest.mark.parametrize(
    ("method", "url", "ok"),
    [
        (
            "GET",
            "https://x/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks",
            True,
        ),
        (
            "POST",
            "https://x/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkInterfaces/n/effectiveRouteTable?api-version=1",
            True,
        ),
        ("POST", "https://x/subscriptions/s/.../expressRouteCircuits/c/peerings/p/routeTables/primary", True),
        ("POST", "https://x/subscriptions/s/.../virtualNetworkGateways/g/reset", False),
        ("POST", "https://x/subscriptions/s/.../connections/c/sharedkey/reset", False),
        ("PUT", "https://x/subscriptions/s/resourceGroups/r", False),
        ("PATCH", "https://x/subscriptions/s/.../virtualNetworks/v", False),
        ("DELETE", "https://x/subscriptions/s/.../virtualNetworks/v", False),
    ],
)
def test_allowed_operations(method: str, url: str, ok: bool) -> None:
    assert allowed(method, url) is ok


def test_token_bucket_paces_reads() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(burst=250, rate=25, clock=lambda: now[0], sleep=sleep)
    for _ in range(300):
        bucket.take()
    assert now[0] == pytest.approx(50 / 25, rel=1e-6)  # 250 at once, then 50 at 25 per second


def test_serve_command_prints_its_address(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "serve", str(TESTBED)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["url"].startswith("https://127.0.0.1:") and Path(ready["ca"]).is_file()
        out = tmp_path / "viacli"
        code = subprocess.run(
            [sys.executable, "-m", "auditor", "collect", "--subscription", SUB, "--arm-endpoint", ready["url"],
             "--ca", ready["ca"], "--out", str(out)], capture_output=True, text=True,
        )  # fmt: skip
        assert code.returncode == 0, code.stderr
        assert len(load_fixture(out).vnets) == 4
        live = subprocess.run(
            [sys.executable, "-m", "auditor", "audit", "--subscription", SUB, "--arm-endpoint", ready["url"],
             "--ca", ready["ca"], "--sites", str(TESTBED / "fixture.json"), "--format", "json"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert live.returncode == 0, live.stdout + live.stderr
        report = json.loads(live.stdout)
        assert [f["rule"] for f in report["findings"]] == ["ERC002", "ERC003", "ERC004"]
        assert report["coverage"]["complete"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not Path(ready["ca"]).parent.exists()  # the temporary CA and its private key are gone


def test_all_subscriptions_and_one_resource_group(serve: Any, tmp_path: Path) -> None:
    server = serve()
    options = CollectOptions(all_subscriptions=True, resource_group="rg-hub", arm_endpoint=server.url, ca=server.ca_path,
                             progress=False, polling_interval=0.05)  # fmt: skip
    result = Collector(options).collect(tmp_path / "hub-only")
    snapshot = load_fixture(tmp_path / "hub-only")
    assert {v.id.resource_group for v in snapshot.vnets} == {"rg-hub"}
    assert {v.display_name for v in snapshot.vnets} == {"hub-vnet", "spoke-vnet"}
    # the branch gateway and the circuits live elsewhere: external references, not errors
    assert any(r.target_id.name == "branch-vpn-gw" for r in snapshot.external_references)
    assert result.resources > 0


def test_a_redirect_to_a_write_never_leaves_the_process(serve: Any, tmp_path: Path) -> None:
    """A hostile endpoint answers every read-only POST with 307 to the gateway's `reset`: the
    collector neither follows it nor sends any other POST, and says what it could not read."""
    server = serve(redirect_posts_to="reset")
    result = collect(server, tmp_path / "out")
    assert server.stats["POST reset"] == 0
    posts = {k for k, n in server.stats.items() if k.startswith("POST ") and n}
    assert posts and all(
        k.split(" ", 1)[1].lower() in {op.lower() for op in READ_ONLY_ACTIONS} | {"primary", "secondary"}
        for k in posts
    )
    assert not result.complete and result.failed_observations > 0
    snapshot = load_fixture(tmp_path / "out")
    assert snapshot.observation_gaps and all(g.status == 307 for g in snapshot.observation_gaps)


class _NoSignIn:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")


def test_a_failed_sign_in_is_an_error_not_a_coverage_gap(tmp_path: Path) -> None:
    from auditor.live.collector import SignInFailed

    collector = Collector(CollectOptions(subscriptions=[SUB], progress=False))
    collector.credential = _NoSignIn()
    with pytest.raises(SignInFailed) as err:
        collector.collect(tmp_path / "out")
    assert "could not sign in" in str(err.value)
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_malformed_list_item_is_a_gap_and_the_rest_goes_on(
    serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve()
    real = Collector._list

    def with_a_broken_item(self: Collector, network: Any, group: str, attr: str, method: str) -> list[Any]:
        items = real(self, network, group, attr, method)
        if attr == "virtual_networks" and group == "rg-hub":
            items = [{"name": "no-id", "properties": {}}, *items]  # ARM returned an item without an id
        return items

    monkeypatch.setattr(Collector, "_list", with_a_broken_item)
    result = collect(server, tmp_path / "out")
    assert [(g.code, g.operation) for g in result.gaps] == [("malformed-item", "list virtualNetworks")]
    assert len(load_fixture(tmp_path / "out").vnets) == 4  # everything else was read and written


def test_failed_observations_are_listed_once(
    serve: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = serve(FIXTURES / "observation-failed")
    result = collect(server, tmp_path / "out")
    assert [(g.scope.rsplit("/", 1)[1], g.operation, g.status) for g in result.failed] == [
        ("remote-vm-nic", "observation effectiveRouteTable", 400)
    ]
    manifest = json.loads((tmp_path / "out" / "fixture.json").read_text())
    assert [g["operation"] for g in manifest["gaps"]] == ["observation effectiveRouteTable"]
    gaps = run(load_fixture(tmp_path / "out"), load_rules()).gaps
    assert [g.kind for g in gaps] == ["observation-failed"]  # listed once, not twice
