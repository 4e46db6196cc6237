"""What the tests of the live collector share: the subscription the fixtures use, a collection
against `azroute serve` (in process, or through the CLI) and the gaps it wrote."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditor.live.collector import CollectOptions, Collector
from auditor.live.server import ArmServer, ServeOptions, start
from tests.cli import azroute

SUB = "00000000-0000-0000-0000-000000000000"
TESTBED = Path(__file__).resolve().parent.parent / "fixtures" / "interop-testbed"


def serving() -> Iterator[Any]:
    """The `serve` fixture (conftest.py): `serve(fixture=TESTBED, **ServeOptions)` starts an ArmServer
    on loopback; each is closed after the test."""
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


def _collect_cli(
    server: ArmServer, out: Path, *args: str, command: str = "collect", ca: str | None = None
) -> tuple[Any, float]:
    """`azroute collect` (or `audit --subscription`) against `server`, trusting `ca` (default: the
    server's own CA); the result and its wall time."""
    target = ["--out", str(out)] if command == "collect" else ["--format", "json"]
    start = time.monotonic()
    result = azroute(command, *target, "--subscription", SUB, "--arm-endpoint", server.url,
                     "--ca", ca or server.ca_path, *args)  # fmt: skip
    return result, time.monotonic() - start


def _gaps_of(out: Path, code: str) -> list[dict[str, Any]]:
    """The gaps with `code` in fixture.json, after checking that the audit reports them as coverage (exit 3)."""
    manifest = json.loads((out / "fixture.json").read_text())
    audit = azroute("audit", str(out), "--format", "json")
    assert audit.exit_code == 3, audit.stdout + audit.stderr
    coverage = json.loads(audit.stdout)["coverage"]
    assert not coverage["complete"] and any(code in g["detail"] for g in coverage["gaps"]), coverage
    return [g for g in manifest.get("gaps", []) if g["code"] == code]
