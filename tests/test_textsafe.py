"""Untrusted names never drive the terminal: control, bidi and C1 characters are escaped in every
text output, and JSON outputs keep the exact value (auditor/textsafe.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.live.server import ServeOptions, start
from auditor.textsafe import escape, escape_json
from tests.cli import azroute
from tests.conftest import FIXTURES

SUB = "00000000-0000-0000-0000-000000000000"
# ESC (an SGR colour), a carriage return, RIGHT-TO-LEFT OVERRIDE and NEL (a C1 control)
VNET = "spoke\x1b[31m\r\u202e\x85vnet"
SITE = "location\x1b[31m\r\u202e\x85-1"
GAP_SCOPE = f"/subscriptions/{SUB}/resourceGroups/rg\x1b[31m\u202e\x85"
GAP_MESSAGE = "no access to \x1b]0;title\x07\u2066rg\u2069\r\nsecond line"


def raw_unsafe(text: str) -> list[str]:
    """Characters that reached the output unescaped, other than layout newlines and tabs."""
    return sorted({c for c in text if not c.isprintable() and c not in "\n\t"})


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The testbed with a VNet, a site and a collection gap named with terminal controls."""
    root = tmp_path / "hostile"
    shutil.copytree(FIXTURES / "interop-testbed", root)
    for file in root.rglob("*.json"):
        text = file.read_text().replace("spoke-vnet", json.dumps(VNET)[1:-1])
        file.write_text(text.replace('"location-1"', json.dumps(SITE)))
    manifest = json.loads((root / "fixture.json").read_text())
    manifest["gaps"] = [{"scope": GAP_SCOPE, "operation": "list virtualNetworks", "status": 403,
                         "code": "Authorization\x1b[0mFailed", "message": GAP_MESSAGE}]  # fmt: skip
    (root / "fixture.json").write_text(json.dumps(manifest))
    return root


def invoke(*args: str) -> Any:
    result = azroute(*args)
    assert not raw_unsafe(result.stdout), (args, raw_unsafe(result.stdout), result.stdout)
    assert not raw_unsafe(result.stderr), (args, raw_unsafe(result.stderr), result.stderr)
    return result


@pytest.mark.parametrize(
    "args",
    [
        ["audit"],
        ["inventory"],
        ["routes", "--from", VNET],
        ["routes", "--from", SITE],
        ["routes", "--from", VNET, "--format", "dot"],
        ["routes", "--from", VNET, "--format", "mermaid"],
        ["paths"],
        ["paths", "--from", VNET, "--to", SITE],
        ["paths", "--group-by", "signature"],
    ],
)
def test_text_outputs_show_controls_escaped(hostile: Path, args: list[str]) -> None:
    result = invoke(args[0], str(hostile), *args[1:])
    assert result.exit_code in (0, 3), result.stdout + result.stderr
    out = result.stdout
    if "dot" in args:  # DOT spells a backslash in a quoted string as two (the label shows one)
        out = out.replace("\\\\", "\\")
    assert "\\x1b[31m" in out and "\\u202e" in out and "\\x85" in out  # shown, not obeyed
    if args[0] != "audit":
        assert "spoke\\x1b[31m\\r\\u202e\\x85vnet" in out or "location\\x1b[31m\\r\\u202e\\x85-1" in out


def test_audit_table_gap_lines_stay_one_line(hostile: Path) -> None:
    out = invoke("audit", str(hostile)).stdout
    assert "\\x1b]0;title\\x07\\u2066rg\\u2069" in out.replace("\n", "").replace(" ", "")
    assert not any(line.startswith("second line") for line in out.splitlines())  # the \n was escaped


@pytest.mark.parametrize(
    ("args", "find"),
    [
        (["audit", "--format", "json"], lambda d: [g["resource"] for g in d["coverage"]["gaps"]]),
        (["inventory", "--format", "json"], lambda d: d["sites"]),
        (["routes", "--from", VNET, "--format", "json"], lambda d: [d["from"]]),
        (["paths", "--format", "json"], lambda d: [p["from"] for p in d["pairs"]] + [p["to"] for p in d["pairs"]]),
        (["paths", "--group-by", "signature", "--format", "json"], lambda d: [m for g in d["groups"] for m in g["members"]]),
    ],
)  # fmt: skip
def test_json_outputs_round_trip_the_exact_names(hostile: Path, args: list[str], find: Any) -> None:
    result = invoke(args[0], str(hostile), *args[1:])
    found = find(json.loads(result.stdout))
    assert {VNET, SITE, GAP_SCOPE} & set(found), found


def test_audit_json_keeps_the_whole_gap(hostile: Path) -> None:
    report = json.loads(invoke("audit", str(hostile), "--format", "json").stdout)
    (gap,) = report["coverage"]["gaps"]
    assert gap["resource"] == GAP_SCOPE and "\x1b]0;title\x07\u2066rg\u2069" in gap["detail"]


def test_input_errors_are_one_escaped_line(hostile: Path) -> None:
    (hostile / "arm" / "bad\x1b[2J\u202e\r.json").write_text("{")
    result = invoke("audit", str(hostile))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "bad\\x1b[2J\\u202e\\r.json" in result.stderr
    (hostile / "arm" / "bad\x1b[2J\u202e\r.json").unlink()
    manifest = json.loads((hostile / "fixture.json").read_text())
    manifest["sites"][0]["circuits"] = ["er\x1b[2J\u2066\n-1"]
    (hostile / "fixture.json").write_text(json.dumps(manifest))
    result = invoke("inventory", str(hostile))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "er\\x1b[2J\\u2066\\n-1" in result.stderr


def test_collect_prints_arm_error_messages_escaped(hostile: Path, tmp_path: Path) -> None:
    record = hostile / "operations" / "effectiveRouteTable" / "remote-vm-nic.json"
    doc = json.loads(record.read_text())
    doc.update(
        status=400, body={"error": {"code": "Bad\x1b[31mCode", "message": "VM \u202eis\x85 \x1b[2J gone"}}
    )
    record.write_text(json.dumps(doc))
    server, _ = start(hostile, ServeOptions())
    try:
        result = invoke("collect", "--subscription", SUB, "--arm-endpoint", server.url, "--ca", server.ca_path,
                        "--out", str(tmp_path / "out"))  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 3, result.stderr
    (failed,) = [line for line in result.stderr.splitlines() if line.startswith("  failed:")]
    assert "Bad\\x1b[31mCode" in failed and "\\u202eis" in failed and "\\x1b[2J" in failed


@pytest.mark.parametrize(
    "text",
    ["plain", "tab\there", "\x1b[31m\r\n\x85\u202e\u2066\u200f\u061c\u2028\ufeff\ud800\U000e0001é→", "\\x1b"],
)
def test_escape_and_escape_json(text: str) -> None:
    shown = escape(text)
    assert not raw_unsafe(shown) and "\n" not in shown and "\t" not in shown
    assert escape(shown) == shown  # escaped text has nothing left to escape
    assert "é→" not in text or "é→" in shown  # printable Unicode is left as it is
    document = escape_json(json.dumps({"k": text, "l": [text]}, indent=2, ensure_ascii=False))
    assert not raw_unsafe(document) and json.loads(document) == {"k": text, "l": [text]}
