"""Bad input: one line naming the file and the JSON path, exit code 2, never a traceback."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import InputError
from auditor.fixture import load_fixture
from tests.conftest import FIXTURES

TESTBED = FIXTURES / "interop-testbed"


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "tb"
    shutil.copytree(TESTBED, dest)
    return dest


def _load_error(root: Path) -> InputError:
    with pytest.raises(InputError) as err:
        load_fixture(root)
    return err.value


def test_truncated_document(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    file = root / "arm" / "connections.json"
    text = file.read_text()
    file.write_text(text[: len(text) // 2])
    error = _load_error(root)
    assert error.file == str(file)
    assert error.path == "$"
    assert "invalid JSON at line" in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("relative", "mutate", "path", "words"),
    [
        (
            "arm/virtualNetworks.json",
            lambda d: d["value"][1]["properties"]["addressSpace"]["addressPrefixes"].__setitem__(
                0, "10.300.0.0/16"
            ),
            "$.value[1].properties.addressSpace.addressPrefixes[0]",
            "not a valid address prefix",
        ),
        (
            "arm/virtualNetworks.json",
            lambda d: d["value"][0]["properties"]["subnets"][1]["properties"].pop("addressPrefix"),
            "$.value[0].properties.subnets[1]",
            "neither properties.addressPrefix",
        ),
        (
            "arm/virtualNetworks.json",
            lambda d: d["value"][0]["properties"]["virtualNetworkPeerings"][0]["properties"].__setitem__(
                "allowGatewayTransit", "sometimes"
            ),
            "$.value[0].properties.virtualNetworkPeerings[0].properties.allowGatewayTransit",
            "valid boolean",
        ),
        (
            "arm/connections.json",
            lambda d: d["value"][2]["properties"].pop("virtualNetworkGateway1"),
            "$.value[2].properties.virtualNetworkGateway1.id",
            "required field is missing",
        ),
        (
            "arm/expressRouteCircuits.json",
            lambda d: d["value"][0]["properties"]["peerings"][0]["properties"].__setitem__(
                "peerASN", "AS65021"
            ),
            "$.value[0].properties.peerings[0].properties.peerASN",
            "valid integer",
        ),
        (
            "operations/getLearnedRoutes/hub-er-gw.json",
            lambda d: d["body"]["value"][3].__setitem__("network", "10.1.31.0/33"),
            "$.body.value[3].network",
            "not a valid address prefix",
        ),
        (
            "operations/routeTables/er-1-primary.json",
            lambda d: d.__setitem__("operation", "routeTable"),
            "$.operation",
            "Input should be",
        ),
        (
            "fixture.json",
            lambda d: d["sites"][0].__setitem__("prefer", ["Satellite"]),
            "$.sites[0].prefer[0]",
            "Input should be",
        ),
        (
            "fixture.json",
            lambda d: d["sites"][1].__setitem__("circuits", ["er-9"]),
            "$.sites[1].circuits[0]",
            "no ExpressRoute circuit named 'er-9'",
        ),
        (
            "fixture.json",
            lambda d: d.__setitem__("format", "azroute-fixture/2"),
            "$.format",
            "Input should be",
        ),
        (
            "arm/networkInterfaces.json",
            lambda d: d["value"][0].__setitem__("id", "networkInterfaces/x"),
            "$.value[0].id",
            "not an ARM resource id",
        ),
    ],
)
def test_targeted_mutations_name_file_and_path(
    tmp_path: Path, relative: str, mutate: Any, path: str, words: str
) -> None:
    root = _copy(tmp_path)
    file = root / relative
    doc = json.loads(file.read_text())
    mutate(doc)
    file.write_text(json.dumps(doc))
    error = _load_error(root)
    assert error.file == str(file)
    assert error.path == path, str(error)
    assert words in error.message
    assert "\n" not in str(error)


WRONG_VALUES: list[Any] = [None, 42, -1, "zz", "", [], {}, True, [1, 2], {"id": 3}, "10.0.0.0/99"]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def test_fuzzed_documents_load_or_fail_with_one_line(tmp_path: Path) -> None:
    """Seeded random mutations across every testbed file: each either loads or gives an
    InputError on one line naming the mutated file and a JSON path inside the mutated region."""
    rng = random.Random(20261125)
    files = sorted(p.relative_to(TESTBED) for p in TESTBED.rglob("*.json"))
    errors = 0
    root = tmp_path / "case"  # one copy: each case changes one file and puts it back after
    shutil.copytree(TESTBED, root)
    for _ in range(300):
        rel = rng.choice(files)
        file = root / rel
        original = file.read_bytes()
        doc = json.loads(original)
        paths = _paths(doc)
        target = rng.choice(paths)
        _set(doc, target, rng.choice(WRONG_VALUES))
        file.write_text(json.dumps(doc))
        try:
            load_fixture(root)
        except InputError as exc:
            errors += 1
            assert exc.file in (str(file), str(root / "fixture.json")), (rel, target, str(exc))
            assert exc.path.startswith("$"), str(exc)
            assert "\n" not in str(exc)
        except Exception as exc:  # pragma: no cover - this is the failure being tested for
            raise AssertionError(f"{rel} {target}: {type(exc).__name__}: {exc}") from exc
        finally:
            file.write_bytes(original)
    assert errors > 50  # the mutations do hit fields the model reads


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "arm" / "virtualNetworks.json").write_text('{"value": [ {"id": ')
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(root)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("azroute: error: ") and "virtualNetworks.json: $: invalid JSON" in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_manifest(tmp_path: Path) -> None:
    (tmp_path / "arm").mkdir()
    error = _load_error(tmp_path)
    assert error.file.endswith("fixture.json") and "missing" in error.message
