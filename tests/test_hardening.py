"""Snapshots on disk: contained, atomic writes; partial and empty snapshots are never clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.engine import load_rules, run
from auditor.errors import InputError
from auditor.fixture import load_fixture
from auditor.live.collector import safe_path
from auditor.writer import UnsafePath, safe_name, write_snapshot, write_snapshot_atomically
from tests.cli import azroute
from tests.helpers import vnet


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("../../etc", "_.._etc"), ("..", "_"), ("10.2.30.125", "10.2.30.125"), ("a/b\\c", "a_b_c"), ("", "_")],
)
def test_names_from_remote_data_are_made_safe(raw: str, safe: str) -> None:
    assert safe_name(raw) == safe
    assert ".." not in safe_path(f"ops/{raw}.json").split("/")


def test_the_writer_never_writes_outside_the_snapshot(tmp_path: Path) -> None:
    with pytest.raises(UnsafePath):
        write_snapshot(tmp_path / "s", {"name": "s", "source": "recorded"}, {"../../escape.json": {}})
    assert not (tmp_path / "escape.json").exists() and not (tmp_path / "s").exists()


def test_atomic_write_replaces_a_snapshot_and_refuses_other_directories(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    manifest = {"name": "snap", "source": "recorded"}
    write_snapshot_atomically(out, manifest, {"a.json": vnet("a", "10.0.0.0/16")})
    write_snapshot_atomically(out, manifest, {"b.json": vnet("b", "10.1.0.0/16")})
    assert sorted(p.name for p in (out / "arm").iterdir()) == ["b.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]  # no partial or old directory left
    other = tmp_path / "home"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(UnsafePath):
        write_snapshot_atomically(other, manifest, {})
    assert (other / "notes.txt").read_text() == "mine"


def test_a_partial_snapshot_is_refused(tmp_path: Path) -> None:
    partial = write_snapshot(
        tmp_path / "out.partial-123",
        {"name": "x", "source": "recorded"},
        {"v.json": vnet("a", "10.0.0.0/16")},
    )
    with pytest.raises(InputError) as err:
        load_fixture(partial)
    assert "partial" in err.value.message
    cli = azroute("audit", str(partial))
    assert cli.exit_code == 2 and cli.stderr.count("\n") == 1


def test_an_empty_snapshot_is_never_a_clean_audit(tmp_path: Path) -> None:
    hand = write_snapshot(tmp_path / "hand", {"name": "hand", "source": "hand-written"}, {})
    cli = azroute("audit", str(hand))
    assert cli.exit_code == 2 and "no resources" in cli.stderr
    recorded = write_snapshot(tmp_path / "rec", {"name": "rec", "source": "recorded"}, {})
    assert [g.kind for g in run(load_fixture(recorded), load_rules()).gaps] == ["empty-snapshot"]
    cli = azroute("audit", str(recorded), "-f", "json")
    assert cli.exit_code == 3 and not json.loads(cli.stdout)["coverage"]["complete"]


def test_collect_refuses_to_replace_a_directory_that_is_not_a_snapshot(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    cli = azroute("collect", "--subscription", "x", "--out", str(tmp_path))
    assert cli.exit_code == 2 and "refusing to replace it" in cli.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


# -- strict input ----------------------------------------------------------------------------------------

from tests.helpers import NET, write_fixture  # noqa: E402


def _error(root: Path) -> InputError:
    with pytest.raises(InputError) as err:
        load_fixture(root)
    return err.value


def test_duplicate_keys_huge_integers_and_deep_nesting_are_errors(tmp_path: Path) -> None:
    dup = write_fixture(tmp_path / "dup", {"v.json": '{"id": "a", "id": "b"}'})
    assert "duplicate key 'id'" in _error(dup).message
    huge = write_fixture(tmp_path / "huge", {"v.json": '{"value": [' + "9" * 5000 + "]}"})
    assert _error(huge).file.endswith("v.json")
    deep = write_fixture(tmp_path / "deep", {"v.json": "[" * 1000 + "]" * 1000})
    assert "nested deeper" in _error(deep).message


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    import os
    import threading

    root = write_fixture(tmp_path / "fifo", {"v.json": vnet("a", "10.0.0.0/16")})
    fifo = root / "arm" / "x.json"
    os.mkfifo(fifo)
    done = threading.Event()

    def unblock() -> None:  # were the FIFO opened for reading, the test would hang: give it an end
        if not done.wait(30):
            with open(fifo, "w"):
                pass

    guard = threading.Thread(target=unblock, daemon=True)
    guard.start()
    try:
        cli = azroute("audit", str(root))
    finally:
        done.set()
        guard.join()
    assert cli.exit_code == 2 and "x.json: $: not a regular file" in cli.stderr


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"bgpSettings": {"asn": "65010"}}, "$.properties.bgpSettings.asn"),
        ({"bgpSettings": {"asn": True}}, "$.properties.bgpSettings.asn"),
        ({"bgpSettings": {"asn": -2147483648}}, "$.properties.bgpSettings.asn"),
        ({"bgpSettings": {"asn": 2**63}}, "$.properties.bgpSettings.asn"),
    ],
)
def test_asns_are_json_integers_in_range(tmp_path: Path, change: dict[str, object], path: str) -> None:
    lng = {
        "id": f"{NET}/localNetworkGateways/l",
        "name": "l",
        "properties": {"gatewayIpAddress": "203.0.113.1", **change},
    }
    error = _error(write_fixture(tmp_path / "f", {"l.json": lng, "v.json": vnet("a", "10.0.0.0/16")}))
    assert error.file.endswith("l.json") and error.path == path


@pytest.mark.parametrize(
    ("prefix", "hop", "path"),
    [
        ("10.0.0.1/8", "VirtualAppliance", "$.properties.addressPrefix"),
        ("0.0.0.0/33", "Internet", "$.properties.addressPrefix"),
        ("10.0.0.0/8", "Teleport", "$.properties.nextHopType"),
    ],
)
def test_routes_are_validated(tmp_path: Path, prefix: str, hop: str, path: str) -> None:
    route = {
        "id": f"{NET}/routeTables/rt/routes/r",
        "name": "r",
        "properties": {"addressPrefix": prefix, "nextHopType": hop, "nextHopIpAddress": "10.0.0.4"},
    }
    error = _error(write_fixture(tmp_path / "f", {"r.json": route, "v.json": vnet("a", "10.0.0.0/16")}))
    assert error.path == path


def test_a_service_tag_route_is_a_gap_not_an_error(tmp_path: Path) -> None:
    route = {
        "id": f"{NET}/routeTables/rt/routes/r",
        "name": "r",
        "properties": {"addressPrefix": "Storage", "nextHopType": "Internet"},
    }
    root = write_fixture(tmp_path / "f", {"r.json": route, "v.json": vnet("a", "10.0.0.0/16")})
    assert "service-tag-route" in {g.feature for g in run(load_fixture(root), load_rules()).gaps}


def test_ids_with_dot_segments_are_errors(tmp_path: Path) -> None:
    bad = {
        "id": f"{NET}/virtualNetworks/../virtualNetworks/a",
        "name": "a",
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}},
    }
    assert _error(write_fixture(tmp_path / "f", {"v.json": bad})).path == "$.id"
