"""`azroute serve` on the wire: the TLS handshake off the accept loop, malformed requests answered 400
with one log line, never a traceback."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from auditor.live import server as serve_module
from auditor.live.server import ArmServer, ServeOptions, start
from tests.conftest import FIXTURES

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
NIC = f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/networkInterfaces/hub-vm-nic"


@pytest.fixture
def server() -> Iterator[ArmServer]:
    arm, _ = start(FIXTURES / "interop-testbed", ServeOptions())
    yield arm
    arm.shutdown()
    arm.server_close()


def _get(arm: ArmServer, path: str = "/subscriptions") -> requests.Response:
    return requests.get(f"{arm.url}{path}?api-version=2024-05-01", verify=arm.ca_path, timeout=2)


def test_an_idle_client_does_not_stall_serve(server: ArmServer) -> None:
    idle = [socket.create_connection(("127.0.0.1", server.server_address[1])) for _ in range(3)]
    try:
        started = time.monotonic()
        for _ in range(3):
            response = _get(server)
            assert response.status_code == 200 and response.json()["value"]
        assert time.monotonic() - started < 2
    finally:
        for sock in idle:
            sock.close()


def test_an_idle_client_is_dropped_after_the_handshake_timeout(
    server: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_module, "HANDSHAKE_TIMEOUT", 0.3)
    with socket.create_connection(("127.0.0.1", server.server_address[1])) as idle:
        idle.settimeout(5)
        assert idle.recv(1) == b""  # closed by the server, not left holding a thread
    deadline = time.monotonic() + 2
    while server.stats["handshake failed"] != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.stats["handshake failed"] == 1
    assert _get(server).status_code == 200


MALFORMED = {
    "bad request line": b"GARBAGE\r\n\r\n",
    "request line too long": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    "header line too long": b"GET /subscriptions HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    "too many headers": b"GET /subscriptions HTTP/1.1\r\n" + b"X-A: a\r\n" * 150 + b"\r\n",
    "header without a colon": b"GET /subscriptions HTTP/1.1\r\nNoColonHere\r\nHost: x\r\n\r\n",
    "Content-Length not a number": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nContent-Length: abc\r\n\r\n".encode(),
    "negative Content-Length": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nContent-Length: -1\r\n\r\n".encode(),
    "huge Content-Length": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n".encode(),
    "conflicting Content-Length": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{{}}".encode(),
    "POST body not JSON": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nContent-Length: 8\r\n\r\nnot json".encode(),
    "POST body nested too deep": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nContent-Length: 100000\r\n\r\n".encode() + b"[" * 100_000,
    "POST body not UTF-8": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nContent-Length: 2\r\n\r\n".encode() + b"\xff\xfe",
    "chunked body": f"POST {NIC}/effectiveRouteTable HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode(),
    "control characters in the path": b"GET /subscriptions/\x1b[31m\xe2\x80\xae HTTP/1.1\r\n\r\n",
    "path not absolute": b"GET subscriptions HTTP/1.1\r\n\r\n",
    "path too long": b"GET /" + b"a/" * 5000 + b" HTTP/1.1\r\n\r\n",
    "not a URL": b"GET http://[::1/subscriptions HTTP/1.1\r\n\r\n",
    "bad $skiptoken": b"GET /subscriptions?$skiptoken=-5 HTTP/1.1\r\n\r\n",
}  # fmt: skip


def _exchange(url: str, ca: str, request: bytes) -> bytes:
    """Send raw bytes over TLS; everything the server answers until it closes."""
    host, port = url.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=ca)
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(request)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    return answer


def test_malformed_requests_get_400_and_one_log_line(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "serve", str(FIXTURES / "interop-testbed")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        idle = socket.create_connection(("127.0.0.1", int(ready["url"].rsplit(":", 1)[1])))
        for name, request in MALFORMED.items():
            answer = _exchange(ready["url"], ready["ca"], request)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 "), (name, answer[:200])
            assert json.loads(body)["error"]["code"] == "BadRequest", name
            # and it goes on serving
            ok = requests.get(f"{ready['url']}/subscriptions", verify=ready["ca"], timeout=2)
            assert ok.status_code == 200, name
        idle.close()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "Traceback" not in stderr and "Error:" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if " 400 " in line]
    assert len(lines) == len(MALFORMED), stderr
    assert all(line.startswith("azroute serve: 127.0.0.1:") for line in stderr.splitlines()), stderr
    assert all(c.isprintable() for c in stderr.replace("\n", "")), stderr  # what clients sent is escaped
    assert "\\x1b[31m" in stderr
