"""The one-line contract on every path (issue 21, item 8).

Bad input is one line naming the file and the JSON (or TOML) path, exit 2; "internal error" is for
bugs only. `SITES` lists every place in the code that prints "internal error" (a test fails when one
appears without an entry), `TRIGGERS` every input known to have reached one, each driven here from
input through the CLI (in process). Then a fixed-seed fuzz over mutated snapshots, configurations,
overlays and plans: never an internal error, never a traceback.
"""

from __future__ import annotations

import ast
import copy
import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli import azroute
from tests.conftest import FIXTURES, ROOT
from tests.helpers import subnet, vnet, write_fixture

TESTBED = FIXTURES / "interop-testbed"
PRE_CHANGE = Path(__file__).parent / "data" / "pre-change"

# Every function whose code says "internal error", and why input cannot reach it.
SITES: dict[str, str] = {
    "auditor/cli.py:main": (
        "the catch-all around every command: an exception that escapes a command is a bug, printed on "
        "one line (AZROUTE_DEBUG=1 for the traceback). Every input known to reach it is in TRIGGERS, "
        "now a one-line error or a gap; the fuzz below finds no other."
    ),
}


def _sites() -> set[str]:
    """`file:function` of every string constant saying "internal error" in auditor/ and rules/."""
    found: set[str] = set()
    for file in sorted([*(ROOT / "auditor").rglob("*.py"), *(ROOT / "rules").rglob("*.py")]):
        text = file.read_text(encoding="utf-8")
        if "internal error" not in text.lower():
            continue
        tree = ast.parse(text)
        where = f"{file.relative_to(ROOT).as_posix()}:<module>"
        owner: dict[ast.AST, str] = {}
        for node in ast.walk(tree):  # breadth first: a nested function overrides its parent
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    owner[inner] = f"{file.relative_to(ROOT).as_posix()}:{node.name}"
        for node in ast.walk(tree):
            text_node = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if text_node and "internal error" in str(node.value).lower():  # type: ignore[attr-defined]
                found.add(owner.get(node, where))
    return found


def test_every_internal_error_site_is_listed() -> None:
    assert _sites() == set(SITES), (
        "a new 'internal error' site: list it in SITES, saying why input cannot reach it"
    )


# -- known triggers, driven from input -------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    name: str
    setup: Callable[[Path], list[str]]  # writes the input under the directory given, returns the command line
    file: str  # named in the one line
    path: str  # the JSON or TOML path named ("" when the file is an output: there is none)


def _config(text: bytes) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        (tmp / "bad.toml").write_bytes(text)
        return ["audit", str(TESTBED), "--config", str(tmp / "bad.toml")]

    return setup


def _pyproject(tmp: Path) -> list[str]:
    (tmp / "pyproject.toml").write_text("tool = 5\n")
    return ["audit", str(TESTBED), "--config", str(tmp / "pyproject.toml")]


def _baseline_to_directory(tmp: Path) -> list[str]:
    (tmp / "dir").mkdir()
    return ["audit", str(TESTBED), "--write-baseline", str(tmp / "dir")]


def _plan_out_file(tmp: Path) -> list[str]:
    (tmp / "existing").write_text("mine")
    overlay = PRE_CHANGE / "testbed-spoke-no-remote-gateways.overlay"
    return ["plan", str(TESTBED), "--overlay", str(overlay), "--out", str(tmp / "existing")]


def _nul_base(tmp: Path) -> list[str]:
    root = tmp / "ov"
    (root / "arm").mkdir(parents=True)
    head = {
        "format": "azroute-overlay/1",
        "base": "../interop-testbed\u0000x",
        "name": "ov",
        "observations": "keep",
    }
    (root / "fixture.json").write_text(json.dumps(head))
    return ["audit", str(root)]


def _subnet(prefix: str, command: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        a = vnet("a", "10.0.0.0/16", subnets=[subnet("a", "a6", prefix), subnet("a", "b4", "10.0.1.0/24")])
        b = vnet("b", "10.1.0.0/16", subnets=[subnet("b", "s", "10.1.1.0/24")])
        root = write_fixture(tmp / "snap", {"v.json": {"value": [a, b]}})
        return [*command.split(), str(root)]

    return setup


SUBNET_PATH = "$.value[0].properties.subnets[0].properties.addressPrefix"
TRIGGERS = [
    Trigger("toml-not-utf8", _config(b'fail-on = "\xff"\n'), "bad.toml", "$"),
    Trigger("toml-nested-deeply", _config(b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n"), "bad.toml", "$"),
    Trigger("pyproject-tool-not-a-table", _pyproject, "pyproject.toml", "$.tool.azroute"),
    Trigger("write-baseline-to-a-directory", _baseline_to_directory, "dir", ""),
    Trigger(
        "write-baseline-missing-parent",
        lambda tmp: ["audit", str(TESTBED), "--write-baseline", str(tmp / "missing" / "b.json")],
        "missing/b.json",
        "",
    ),
    Trigger("plan-out-an-existing-file", _plan_out_file, "existing", ""),
    Trigger("overlay-base-with-nul", _nul_base, "fixture.json", "$.base"),
    Trigger("ipv6-subnet-in-ipv4-vnet-paths", _subnet("fd00::/64", "paths"), "v.json", SUBNET_PATH),
    Trigger(
        "ipv6-subnet-in-ipv4-vnet-routes", _subnet("fd00::/64", "routes --from a"), "v.json", SUBNET_PATH
    ),
    Trigger("subnet-outside-its-vnet", _subnet("10.9.0.0/24", "paths"), "v.json", SUBNET_PATH),
]


def _run(args: list[str]) -> tuple[int, str, str]:
    """`azroute ARGS` in process through the one CLI helper (`tests/cli.azroute`): an exception
    escaping a command, which `main()` would print as "internal error", fails the test."""
    outcome = azroute(*args)
    return outcome.exit_code, outcome.stdout, outcome.stderr


@pytest.mark.parametrize("trigger", TRIGGERS, ids=[t.name for t in TRIGGERS])
def test_known_triggers_are_one_line_naming_file_and_path(trigger: Trigger, tmp_path: Path) -> None:
    if trigger.name == "pyproject-tool-not-a-table":
        # discovered, not given: the walk reads [tool] of every pyproject.toml it meets
        (tmp_path / ".git").mkdir()
    code, _out, err = _run(trigger.setup(tmp_path))
    if trigger.name == "pyproject-tool-not-a-table":  # not an error: a pyproject.toml without [tool.azroute]
        assert code == 0, err
        return
    assert code == 2 and err.startswith("azroute: error: ") and err.count("\n") == 1, err
    assert trigger.file in err and f": {trigger.path}: " in err if trigger.path else trigger.file in err, err
    assert "internal error" not in err


def test_a_dual_stack_vnet_whose_first_subnet_is_ipv4_only_walks_both_families(tmp_path: Path) -> None:
    """Valid input that reached a KeyError in `paths`: a group of subnets whose first member lacks the family."""
    a = vnet(
        "a", "10.0.0.0/16", subnets=[subnet("a", "a4", "10.0.2.0/24"), subnet("a", "b46", "10.0.1.0/24")]
    )
    a["properties"]["addressSpace"]["addressPrefixes"].append("fd00::/48")
    a["properties"]["subnets"][1]["properties"] = {"addressPrefixes": ["10.0.1.0/24", "fd00::/64"]}
    b = vnet("b", "10.1.0.0/16", subnets=[subnet("b", "s", "10.1.1.0/24")])
    b["properties"]["addressSpace"]["addressPrefixes"].append("fd01::/48")
    b["properties"]["subnets"][0]["properties"] = {"addressPrefixes": ["10.1.1.0/24", "fd01::/64"]}
    root = write_fixture(tmp_path / "ds", {"v.json": {"value": [a, b]}})
    code, out, err = _run(["paths", str(root), "--format", "json"])
    assert code == 0, err
    pairs = {(p["from"], p["to"]) for p in json.loads(out)["pairs"]}
    assert ("a (IPv6)", "b (IPv6)") in pairs and ("a", "b") in pairs


# -- fixed-seed fuzz ---------------------------------------------------------------------------------------

SEED = 21
NASTY: list[Any] = [
    None, "", "\u0000", "..", "../..", "fd00::/64", "10.0.0.0/33", "0.0.0.0/0", "::/0", -1, 0, 2**64, 1.5,
    True, [], {}, [None], {"id": None}, "x" * 300, "\u202e", "@alice www.evil.example", [[[[[]]]]],
]  # fmt: skip


def _nodes(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _nodes(v, (*at, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _nodes(v, (*at, i))
    return out


def mutate(doc: Any, rng: random.Random) -> Any:
    """One change at a random place: a value replaced by a nasty one, or a key dropped."""
    doc = copy.deepcopy(doc)
    at = rng.choice(_nodes(doc)[1:] or [()])
    if not at:
        return rng.choice(NASTY)
    parent = doc
    for step in at[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and rng.random() < 0.25:
        del parent[at[-1]]
    else:
        parent[at[-1]] = copy.deepcopy(rng.choice(NASTY))
    return doc


def _check(args: list[str]) -> None:
    code, out, err = _run(args)
    assert "internal error" not in err and "Traceback" not in err + out, (args, err)
    assert code in (0, 1, 2, 3), (args, code, err)
    if code == 2:
        assert err.count("\n") == 1, (args, err)


def test_fuzz_snapshots_configurations_overlays_and_plans(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    small = tmp_path / "small"
    shutil.copytree(FIXTURES / "hub-spoke-transit-ok", small, ignore=shutil.ignore_patterns("expected.json"))
    documents = sorted((small / "arm").rglob("*.json"))
    for i in range(14):  # snapshots: one document changed; audited and walked
        case = tmp_path / f"snap{i}"
        shutil.copytree(small, case)
        file = case / documents[i % len(documents)].relative_to(small)
        file.write_text(json.dumps(mutate(json.loads(file.read_text()), rng)))
        _check(["audit", str(case), "--format", "json"])
        _check(["paths", str(case)])
    keys = [
        "select",
        "ignore",
        "fail-on",
        "severity",
        "options",
        "suppressions",
        "baseline",
        "intent",
        "tool",
    ]
    values = [
        '"TRN"',
        '["ERC", 1]',
        '"never"',
        "{ERC002 = 3}",
        "[{rule = 5}]",
        '"\\u0000"',
        "[[[]]]",
        "{}",
        '"x"',
    ]
    for i in range(6):  # configurations: keys and values of the wrong kind, or bytes
        text = (
            "\n".join(f"{rng.choice(keys)} = {rng.choice(values)}" for _ in range(rng.randint(1, 3))) + "\n"
        )
        raw = text.encode() if i % 3 else text.encode() + bytes([rng.randrange(128, 256)])
        (tmp_path / f"c{i}.toml").write_bytes(raw)
        _check(["audit", str(TESTBED), "--config", str(tmp_path / f"c{i}.toml"), "--format", "json"])
    overlay = PRE_CHANGE / "testbed-spoke-no-remote-gateways.overlay"
    whatif = json.loads((PRE_CHANGE / "testbed-spoke-no-remote-gateways.whatif.json").read_text())
    tfplan = json.loads((PRE_CHANGE / "testbed-spoke-no-remote-gateways.tfplan.json").read_text())
    for i in range(4):  # overlays: the manifest or a patch changed
        case = tmp_path / f"ov{i}"
        shutil.copytree(overlay, case)
        head = json.loads((overlay / "fixture.json").read_text())
        head["base"] = str(TESTBED)
        (case / "fixture.json").write_text(json.dumps(mutate(head, rng) if i % 2 else head))
        for patch in (case / "arm").rglob("*.json"):
            if not i % 2:
                patch.write_text(json.dumps(mutate(json.loads(patch.read_text()), rng)))
        _check(["diff", str(TESTBED), "--overlay", str(case), "--format", "json"])
    for i in range(8):  # plans: what-if and Terraform, one change each
        kind, doc = ("what-if", whatif) if i % 2 else ("terraform-plan", tfplan)
        file = tmp_path / f"plan{i}.json"
        file.write_text(json.dumps(mutate(doc, rng)))
        _check(["diff", str(TESTBED), f"--{kind}", str(file), "--format", "json"])
