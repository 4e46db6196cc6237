"""The live collector end to end, with the real SDK, against `azroute serve` on loopback."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.network import NetworkManagementClient

from auditor.engine import load_rules, run
from auditor.fixture import load_fixture
from auditor.live.collector import RG_KINDS, CollectOptions, Collector, LocalCredential
from auditor.live.policies import READ_ONLY_ACTIONS, ReadOnlyPolicy, TokenBucket, WriteAttempted, allowed
from auditor.model import Snapshot
from auditor.model.kinds import VNET, ResourceKind
from auditor.report import render_json, report_dict
from tests.cli import azroute
from tests.conftest import FIXTURES
from tests.live_helpers import SUB, TESTBED, _collect_cli, _gaps_of, collect


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


def test_collect_under_throttling_faults_and_a_forbidden_group(
    serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ARM's Retry-After is whole seconds (1 s for a token due in 10 ms), and the 429s come in waves:
    # the collector's waits (Retry-After, backoff), a tenth as long here, keep their order and
    # proportions. What is checked is what throttling and faults leave, not how long it took.
    pause = Collector._pause
    monkeypatch.setattr(Collector, "_pause", lambda self, seconds: pause(self, seconds / 10))
    # a burst of 10: the collector's concurrent lists (each kind in each group) exceed it at once
    server = serve(page_size=2, throttle=(10, 100), error_rate=0.1, forbid=("rg-branch",), seed=7)
    result = collect(server, tmp_path / "partial")
    assert server.stats["status 429"] > 0, dict(server.stats)
    assert server.stats["status 503"] + server.stats["reset"] > 0, dict(server.stats)
    assert not result.complete
    forbidden = [g for g in result.gaps if g.scope.endswith("/resourceGroups/rg-branch")]
    assert len(forbidden) == len(RG_KINDS) and all(g.status == 403 for g in forbidden)
    snapshot = load_fixture(tmp_path / "partial")
    audit = run(snapshot, load_rules())
    # one cause, one gap: the forbidden group, naming the branch gateway the snapshot refers to there
    # (never reported clean), and the findings that only follow from it (the branch's routes the
    # hub observes, the reference): folded into it, not raised (issue 23, item 4)
    (gap,) = [g for g in audit.gaps if g.resource.endswith("/resourceGroups/rg-branch")]
    assert gap.kind == "collection-failed" and "referenced there: branch-vpn-gw" in gap.detail
    assert {"COV002", "DRF002"} <= set(gap.rules) and "not raised: COV002 x1, DRF002 x" in gap.detail
    assert not [g for g in audit.gaps if g.kind == "external-reference"]
    assert {f.rule for f in audit.findings} & {"COV002", "DRF002"} == set()
    cli = azroute("audit", str(tmp_path / "partial"))
    assert cli.exit_code == 3, cli.stdout + cli.stderr
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


def test_collect_anonymize_hides_files_and_stderr_and_keeps_routing(serve: Any, tmp_path: Path) -> None:
    """`collect --anonymize-key-file` through the CLI, with a forbidden resource group and a failed
    observation: stderr and files name nothing of the estate, and the snapshot is exactly what
    `azroute anonymize` makes of the same collection without --anonymize (same key, same mapping)."""
    from auditor.anonymize import Anonymizer

    fixture = tmp_path / "tb"
    shutil.copytree(TESTBED, fixture)
    record = fixture / "operations" / "effectiveRouteTable" / "remote-vm-nic.json"
    doc = json.loads(record.read_text())
    doc.update(
        status=400,
        body={"error": {"code": "NicNotAttachedToRunningVm", "message": "VM remote-vm is deallocated"}},
    )
    record.write_text(json.dumps(doc))
    server = serve(fixture, forbid=("rg-branch",))
    key = tmp_path / "key"
    key.write_text("0123456789abcdef-test-key\n")
    anon = azroute("collect", "--subscription", SUB, "--arm-endpoint", server.url, "--ca", server.ca_path,
                   "--sites", str(TESTBED / "fixture.json"), "--effective-routes", "all",
                   "--out", str(tmp_path / "anon"), "--anonymize-key-file", str(key))  # fmt: skip
    assert anon.exit_code == 3, anon.stderr
    assert "not collected:" in anon.stderr and "failed: effectiveRouteTable" in anon.stderr
    plain = collect(server, tmp_path / "plain")  # what there is to hide
    assert any(g.scope.endswith("/rg-branch") for g in plain.gaps) and "remote-vm" in plain.failed[0].scope
    written = "".join(p.read_text() for p in (tmp_path / "anon").rglob("*.json"))
    files = " ".join(p.relative_to(tmp_path / "anon").as_posix() for p in (tmp_path / "anon").rglob("*"))
    for secret in (
        SUB,
        "rg-branch",
        "rg-hub",
        "remote-vm",
        "hub-vnet",
        "location-1",
        "66.198.12.106",
        "10.2.30.0/25",
    ):
        assert secret not in anon.stderr and secret not in written and secret not in files, secret
    # the same key maps the same way: stderr names exactly what the anonymized snapshot holds
    anonymizer = Anonymizer(key.read_bytes().strip())
    scope = f"/subscriptions/{SUB}/resourceGroups/rg-branch"
    assert f"not collected: {anonymizer.resource_id(scope)}: list virtualNetworks: 403" in anon.stderr
    assert anonymizer.resource_id(scope) in written
    again = azroute(
        "anonymize", str(tmp_path / "plain"), "--out", str(tmp_path / "again"), "--key-file", str(key)
    )
    assert again.exit_code == 0, again.stderr
    assert comparable(load_fixture(tmp_path / "anon")) == comparable(load_fixture(tmp_path / "again"))
    assert findings_json(load_fixture(tmp_path / "anon")) == findings_json(load_fixture(tmp_path / "again"))
    plain_rules = [f.rule for f in run(load_fixture(tmp_path / "plain"), load_rules()).findings]
    assert sorted(f.rule for f in run(load_fixture(tmp_path / "anon"), load_rules()).findings) == sorted(
        plain_rules
    )


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
        code = azroute("collect", "--subscription", SUB, "--arm-endpoint", ready["url"], "--ca", ready["ca"],
                       "--out", str(out))  # fmt: skip
        assert code.exit_code == 0, code.stderr
        assert len(load_fixture(out).vnets) == 4
        live = azroute("audit", "--subscription", SUB, "--arm-endpoint", ready["url"], "--ca", ready["ca"],
                       "--sites", str(TESTBED / "fixture.json"), "--format", "json")  # fmt: skip
        assert live.exit_code == 0, live.stdout + live.stderr
        report = json.loads(live.stdout)
        assert [f["rule"] for f in report["findings"]] == ["ERC002", "ERC003", "ERC004", "ERC007"]
        assert report["coverage"]["complete"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not Path(ready["ca"]).parent.exists()  # the temporary CA and its private key are gone


def test_all_subscriptions_and_one_resource_group(serve: Any, tmp_path: Path) -> None:
    server = serve()
    options = CollectOptions(all_subscriptions=True, resource_groups=["rg-hub"], arm_endpoint=server.url, ca=server.ca_path,
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

    def with_a_broken_item(self: Collector, network: Any, group: str, kind: ResourceKind) -> list[Any]:
        items = real(self, network, group, kind)
        if kind is VNET and group == "rg-hub":
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


# -- bounded collection (issue 11, item 4): each bound through the CLI, against ArmServer on the wire --


def test_a_retry_after_longer_than_the_cap_is_a_gap_not_a_wait(serve: Any, tmp_path: Path) -> None:
    """ARM throttles everything after three requests with `Retry-After: 3600`: nothing waits an hour."""
    server = serve(throttle=(3, 0.001), retry_after=3600)
    result, seconds = _collect_cli(server, tmp_path / "out", "--max-retry-after", "5")
    assert result.exit_code == 3, result.stderr
    assert seconds < 10 and server.stats["status 429"] > 0, dict(server.stats)
    assert "retry-after-cap" in result.stderr and "Retry-After 3600 s" in result.stderr
    gaps = _gaps_of(tmp_path / "out", "retry-after-cap")
    assert gaps and all(g["status"] == 429 for g in gaps)
    assert len(load_fixture(tmp_path / "out").vnets) < 4  # what the first requests read is kept


def test_a_long_running_operation_that_never_finishes_is_an_lro_deadline_gap(
    serve: Any, tmp_path: Path
) -> None:
    """Every operation stays InProgress (its Retry-After, a million seconds, is only a hint): each
    becomes a failed observation `lro-deadline` after --lro-deadline, through collect and audit."""
    server = serve(latency={"*": 1e6})
    result, seconds = _collect_cli(
        server, tmp_path / "out", "--lro-deadline", "0.25", "--effective-routes", "all"
    )
    assert result.exit_code == 3, result.stderr
    assert seconds < 8
    gaps = _gaps_of(tmp_path / "out", "lro-deadline")
    assert len(gaps) == server.stats["POST"] > 0  # every operation started, none finished
    assert all(g["operation"].startswith("observation ") for g in gaps)
    assert load_fixture(tmp_path / "out").observation_gaps  # written as failed observations
    live, _ = _collect_cli(server, tmp_path / "unused", "--lro-deadline", "0.25", command="audit")
    assert live.exit_code == 3, live.stdout + live.stderr
    assert any("lro-deadline" in g["detail"] for g in json.loads(live.stdout)["coverage"]["gaps"])


def test_a_next_link_to_itself_ends_the_list_with_a_gap(serve: Any, tmp_path: Path) -> None:
    server = serve(page_size=1, next_link_loop=True)
    result, seconds = _collect_cli(server, tmp_path / "out", "--resource-group", "rg-hub")
    assert result.exit_code == 3, result.stderr
    assert seconds < 8 and server.stats["GET"] < 60, dict(server.stats)
    assert "next-link-loop" in result.stderr
    gaps = _gaps_of(tmp_path / "out", "next-link-loop")
    assert "list virtualNetworks" in {g["operation"] for g in gaps}
    vnets = load_fixture(tmp_path / "out").vnets
    assert len(vnets) == 1  # the first page is kept, once; the second VNet of rg-hub was never listed


def test_more_pages_than_the_cap_is_a_page_cap_gap(serve: Any, tmp_path: Path) -> None:
    server = serve(page_size=1)
    result, _ = _collect_cli(server, tmp_path / "out", "--resource-group", "rg-hub", "--max-pages", "1")
    assert result.exit_code == 3, result.stderr
    assert "page-cap" in result.stderr
    gaps = _gaps_of(tmp_path / "out", "page-cap")
    assert "list virtualNetworks" in {g["operation"] for g in gaps}
    assert len(load_fixture(tmp_path / "out").vnets) == 1  # what was read is kept
    result, _ = _collect_cli(server, tmp_path / "all", "--resource-group", "rg-hub", "--max-pages", "10")
    assert result.exit_code == 0, result.stderr  # under the cap, everything is read
    assert len(load_fixture(tmp_path / "all").vnets) == 2


def test_the_overall_timeout_abandons_what_is_in_flight_and_starts_nothing_more(
    serve: Any, tmp_path: Path
) -> None:
    """Operations take a minute; --timeout 1 with one worker: the one in flight is abandoned, the
    others never start, and every one of them is a `timeout` gap."""
    server = serve(latency={"*": 60})
    result, seconds = _collect_cli(
        server, tmp_path / "out", "--timeout", "1", "--concurrency", "1", "--effective-routes", "all"
    )
    assert result.exit_code == 3, result.stderr
    assert seconds < 4
    assert "timeout" in result.stderr and "--timeout (1 s)" in result.stderr
    gaps = _gaps_of(tmp_path / "out", "timeout")
    assert len(gaps) > 1 and all(g["operation"].startswith("observation ") for g in gaps)
    assert len(load_fixture(tmp_path / "out").vnets) == 4  # the lists finished in time and are kept
    time.sleep(0.3)
    assert server.stats["POST"] == 1  # nothing started after the deadline


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_bounds_the_attempts_of_a_request(serve: Any, tmp_path: Path, retries: int) -> None:
    server = serve(error_rate=1.0)  # every answer a 503 or a dropped connection
    result, _ = _collect_cli(server, tmp_path / "out", "--retries", str(retries))
    assert result.exit_code == 3, result.stderr
    assert server.stats["GET"] == retries + 1  # the resource-group list, tried 1 + --retries times
    assert "list resourceGroups" in result.stderr


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.mark.parametrize("command", ["collect", "audit"])
def test_ctrl_c_stops_at_once_and_writes_nothing(serve: Any, tmp_path: Path, command: str) -> None:
    """SIGINT while operations are in flight (each takes a minute): exit 130 within a few seconds
    with one line; an existing snapshot at --out is untouched, no `.partial-` directory is left,
    and `audit --subscription` leaves no temporary directory."""
    server = serve(latency={"*": 60})
    out = tmp_path / "snap"
    shutil.copytree(TESTBED, out)
    before = _tree(out)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    target = ["--out", str(out)] if command == "collect" else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", command, *target, "--subscription", SUB, "--arm-endpoint", server.url,
         "--ca", server.ca_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        # Ctrl-C as a terminal sends it, even when pytest itself runs in the background (SIGINT ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while server.stats["POST"] == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert server.stats["POST"] > 0, "the collection never reached its operations"
        time.sleep(0.3)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
        seconds = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert seconds < 5
    assert stderr.count("\n") == 1 and stderr.startswith("azroute: interrupted") and "Traceback" not in stderr
    assert stdout == ""
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap", "tmp"]  # no snap.partial-<pid>
    assert list(tmp.iterdir()) == []


def test_ctrl_c_during_the_swap_waits_for_a_whole_snapshot(
    serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C arriving while the snapshot is written is held until it is in place, whole."""
    import auditor.live.collector as collector_module

    real = collector_module.write_snapshot_atomically

    def interrupted_midway(*args: Any, **kwargs: Any) -> Path:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C now, before anything is written
        return real(*args, **kwargs)

    monkeypatch.setattr(collector_module, "write_snapshot_atomically", interrupted_midway)
    with pytest.raises(KeyboardInterrupt) as raised:
        collect(serve(), tmp_path / "out")
    assert getattr(raised.value, "written", False)
    assert len(load_fixture(tmp_path / "out").vnets) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_several_resource_groups_through_the_cli(serve: Any, tmp_path: Path) -> None:
    server = serve()
    out = tmp_path / "two-groups"
    result = azroute("collect", "--subscription", SUB, "--resource-group", "rg-hub", "--resource-group", "rg-branch",
         "--arm-endpoint", server.url, "--ca", server.ca_path, "--out", str(out),
    )  # fmt: skip
    assert result.exit_code in (0, 3), result.stderr
    snapshot = load_fixture(out)
    assert {v.id.resource_group for v in snapshot.vnets} == {"rg-hub", "rg-branch"}
    assert "resource groups rg-branch, rg-hub" in (snapshot.description or "")


@pytest.mark.parametrize(
    ("cloud", "endpoint", "authority"),
    [
        ("AzureUSGovernment", "https://management.usgovcloudapi.net", "login.microsoftonline.us"),
        ("AzureChinaCloud", "https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
        ("AzureCloud", "https://management.azure.com", None),
    ],
)
def test_cloud_sets_endpoint_authority_and_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: str, endpoint: str, authority: str | None
) -> None:
    import azure.identity

    seen: dict[str, Any] = {}

    class Recording(_NoSignIn):
        def __init__(self, **kwargs: Any) -> None:
            seen["kwargs"] = kwargs

        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            seen["scopes"] = scopes
            return super().get_token(*scopes, **kwargs)

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", Recording)
    result = azroute("collect", "--cloud", cloud, "--subscription", SUB, "--out", str(tmp_path / "o"))
    assert result.exit_code == 4 and endpoint in result.stderr  # sign-in fails here: nothing reaches Azure
    assert seen["scopes"] == (f"{endpoint}/.default",)
    assert seen["kwargs"].get("authority") == authority


def test_the_progress_bar_shows_calls_and_time_left() -> None:
    import io

    from rich.console import Console

    from auditor.live.collector import Progress

    stream = io.StringIO()
    bar = Progress(True, Console(file=stream, force_terminal=True, width=120))
    bar.add(3)
    for _ in range(3):
        bar.tick()
    bar.close()
    text = stream.getvalue()
    assert "collecting" in text and "3/3" in text and "ETA" in text
    quiet = io.StringIO()
    Progress(True, Console(file=quiet, force_terminal=False)).add(1)  # not a terminal: nothing drawn
    assert quiet.getvalue() == ""
