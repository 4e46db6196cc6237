"""`azroute serve`: a fixture served over HTTPS on loopback, behaving like ARM.

What it does like ARM: subscription and resource-group listing, per-resource-group list
operations with `nextLink` pagination, single-resource GETs, the read-only POST operations as
long-running operations (202 with `Location` and `Azure-AsyncOperation`, polled to completion),
a per-subscription token bucket answering 429 with `Retry-After`, and, on request, latency per
operation, injected 5xx errors and connection resets, and 403 for whole resource groups.
It refuses every write. It does not use the Azure SDK: it is the other side of the wire.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import ipaddress
import json
import math
import random
import re
import selectors
import shutil
import ssl
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from auditor.fixture import read_source
from auditor.model import kinds
from auditor.textsafe import escape

OPERATIONS = {
    "effectiveroutetable": "effectiveRouteTable",
    "getlearnedroutes": "getLearnedRoutes",
    "getadvertisedroutes": "getAdvertisedRoutes",
    "getbgppeerstatus": "getBgpPeerStatus",
    "routetables": "routeTables",
    "routetablessummary": "routeTablesSummary",
    "arptables": "arpTables",
}
HANDSHAKE_TIMEOUT = 5.0  # seconds a client has to complete TLS, in its own thread
IDLE_TIMEOUT = 120.0  # seconds a connection may sit between requests (or mid-request) before it is closed
MAX_TARGET = 8192  # characters in a request target
MAX_BODY = 1 << 20  # bytes in a request body
FAULT_LIST = kinds.VNET.segment.lower()  # the list that the hostile-answer options (ServeOptions) apply to
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Proxy authentication required</title></head>\n"
    b"<body><h1>Sign in to continue</h1><p>Your request was intercepted by the proxy.</p></body></html>\n"
)


@dataclass
class ServeOptions:
    page_size: int = 50
    latency: dict[str, float] = field(default_factory=dict)  # operation -> seconds before it completes
    throttle: tuple[float, float] | None = None  # (burst, refill per second) per subscription
    error_rate: float = 0.0
    forbid: tuple[str, ...] = ()
    seed: int = 0
    # hostile endpoint (tests): answer every read-only POST with `307 Location: <its resource>/<this>`
    redirect_posts_to: str | None = None
    # unbounded answers (tests of the collector's bounds): this Retry-After on every 429 instead of
    # the time until a token, and every list page's nextLink pointing at that page itself
    retry_after: int | None = None
    next_link_loop: bool = False
    # hostile endpoint (tests): every list page's nextLink and every long-running operation's
    # `Location` and `Azure-AsyncOperation` name this origin (`https://host:port`), path kept
    foreign_origin: str | None = None
    # hostile answers (tests of the collector, Hardening II), each for the virtualNetworks lists only
    # (the other lists answer as usual): a page whose gzip body (`Content-Encoding: gzip`) inflates
    # to this many bytes (whitespace inside valid JSON); one page of this many VNets; 200 with an
    # HTML page (a proxy's); 429 with this `Retry-After`, every time; 200 with `{"value": 5}`.
    # `hostile_page`: the first page so answered (the pages before it answer as usual)
    hostile_page: int = 1
    gzip_bomb: int | None = None
    huge_page: int | None = None
    html_body: bool = False
    retry_after_text: str | None = None
    value_not_list: bool = False


class FixtureData:
    """The fixture's documents, indexed the way ARM answers them."""

    def __init__(self, root: Path) -> None:
        source = read_source(root)  # a full snapshot, or an overlay applied to its base
        self.resources: dict[str, dict[str, Any]] = {}
        for entry in source.tree.documents:
            if entry is None:
                continue
            doc = entry[1]
            items = (
                doc["value"]
                if isinstance(doc, dict) and "id" not in doc and isinstance(doc.get("value"), list)
                else [doc]
            )
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    self.resources[item["id"].lower()] = item
        self.operations: dict[tuple[str, str, str], dict[str, Any]] = {}
        for rel in sorted(source.tree.operations):
            record = source.tree.operations[rel][1]
            params = record.get("parameters") or {}
            extra = params.get("peer") or params.get("devicePath") or ""
            self.operations[(record["resourceId"].lower(), record["operation"].lower(), extra.lower())] = (
                record
            )
        self.name = source.manifest.name

    def subscriptions(self) -> list[str]:
        return sorted({rid.split("/")[2] for rid in self.resources})

    def resource_groups(self, subscription: str) -> dict[str, str]:
        """lower-case name -> name as spelled."""
        found: dict[str, str] = {}
        for doc in self.resources.values():
            parts = doc["id"].split("/")
            if (
                parts[2].lower() == subscription.lower()
                and len(parts) > 4
                and parts[3].lower() == "resourcegroups"
            ):
                found.setdefault(parts[4].lower(), parts[4])
        return found

    def listing(self, scope: str, type_path: str) -> list[dict[str, Any]]:
        """Resources directly under `scope` (an RG id or a parent resource id) of the given type path."""
        scope = scope.lower().rstrip("/")
        out = []
        for key, doc in self.resources.items():
            if not key.startswith(scope + "/"):
                continue
            rest = key[len(scope) + 1 :].split("/")
            if "/providers/" in scope:
                if len(rest) == 2 and rest[0] == type_path.lower():
                    out.append(doc)
            elif (
                len(rest) == 4
                and rest[0] == "providers"
                and rest[1] == "microsoft.network"
                and rest[2] == type_path.lower()
            ):
                out.append(doc)
        return sorted(out, key=lambda d: d["id"].lower())


class _Bucket:
    def __init__(self, burst: float, rate: float) -> None:
        self.burst, self.rate, self.tokens, self.last = burst, rate, burst, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate


class ArmServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, data: FixtureData, options: ServeOptions, port: int = 0) -> None:
        self.cert_dir = tempfile.mkdtemp(prefix="azroute-serve-")  # before binding: a failed bind closes
        super().__init__(("127.0.0.1", port), _Handler)
        self.data, self.options = data, options
        self.lros: dict[str, tuple[float, dict[str, Any]]] = {}
        self.buckets: dict[str, _Bucket] = defaultdict(lambda: _Bucket(*(options.throttle or (1e9, 1e9))))
        self.random = random.Random(options.seed)
        self.lock = threading.Lock()
        self.stats: dict[str, int] = defaultdict(int)
        self.ca_path = _self_signed(Path(self.cert_dir))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_path, Path(self.cert_dir) / "key.pem")
        # accept() only accepts: the handshake happens in the connection's thread (finish_request),
        # so a client that connects and never says hello holds up no one
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.log_lock = threading.Lock()
        self.bomb = _gzip_bomb(options.gzip_bomb) if options.gzip_bomb is not None else b""

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    @property
    def link_base(self) -> str:
        """The origin that links in answers (nextLink, operation links) name: this server's, or
        `--foreign-origin`'s."""
        return (self.options.foreign_origin or self.url).rstrip("/")

    def server_close(self) -> None:
        """Close, and remove the temporary CA (its private key included)."""
        super().server_close()
        shutil.rmtree(self.cert_dir, ignore_errors=True)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """In the connection's own thread: the TLS handshake (within HANDSHAKE_TIMEOUT), then HTTP."""
        try:
            _handshake(request, time.monotonic() + HANDSHAKE_TIMEOUT)
        except (OSError, ValueError) as exc:  # ssl.SSLError and TimeoutError are OSErrors
            self.stats["handshake failed"] += 1
            if not isinstance(exc, ConnectionError | ssl.SSLEOFError):  # not a client that just left
                self.log(client_address, f"TLS handshake failed: {exc or type(exc).__name__}")
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, never a traceback; a client that went away is not worth one."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError | ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return
        self.stats["handler error"] += 1
        self.log(client_address, f"error: {type(exc).__name__}: {exc}")

    def log(self, client_address: Any, message: str) -> None:
        """One line on stderr, with whatever the client sent shown escaped."""
        try:
            client = f"{client_address[0]}:{client_address[1]}"
        except (TypeError, IndexError):
            client = "-"
        with self.log_lock:
            sys.stderr.write(f"azroute serve: {client}: {escape(message)}\n")
            sys.stderr.flush()

    def chance(self, p: float) -> bool:
        with self.lock:
            return self.random.random() < p


def _self_signed(folder: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    # a name of its own: a bundle trusting two servers' CAs (tests of another origin) must tell them apart
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"azroute local ARM {uuid.uuid4().hex[:12]}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path = folder / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def _handshake(sock: ssl.SSLSocket, deadline: float) -> None:
    """Server-side TLS handshake that gives up at `deadline` (one overall limit, not one per read)."""
    sock.setblocking(False)
    with selectors.DefaultSelector() as selector:
        while True:
            try:
                sock.do_handshake()
                break
            except ssl.SSLWantReadError:
                event = selectors.EVENT_READ
            except ssl.SSLWantWriteError:
                event = selectors.EVENT_WRITE
            remaining = deadline - time.monotonic()
            selector.register(sock, event)
            ready = remaining > 0 and selector.select(remaining)
            selector.unregister(sock)
            if not ready:
                raise TimeoutError(f"no TLS handshake within {HANDSHAKE_TIMEOUT:g}s")
    sock.setblocking(True)  # the handler sets its own timeout (IDLE_TIMEOUT)


@functools.lru_cache(maxsize=4)
def _gzip_bomb(size: int) -> bytes:
    """A gzip body inflating to `size` bytes (at least 13) of valid JSON: an empty page padded with
    whitespace, compressed a megabyte at a time (the inflated body is never held)."""
    head, tail = b'{"value": [', b"]}"
    pad = max(0, size - len(head) - len(tail))
    gzip = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [gzip.compress(head)]
    block = b" " * (1 << 20)
    while pad > 0:
        parts.append(gzip.compress(block[: min(pad, len(block))]))
        pad -= len(block)
    parts += [gzip.compress(tail), gzip.flush()]
    return b"".join(parts)


_LRO = re.compile(r"/locations/local/(operations|operationResults)/([0-9a-f]{32})$", re.IGNORECASE)


def _retry_after(seconds: float) -> dict[str, str]:
    """ARM's Retry-After is whole seconds; under a second it is left out and the client's own
    polling interval applies."""
    return {"Retry-After": str(math.ceil(seconds))} if seconds >= 1 else {}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    server: ArmServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # an answer is written in two sends (headers, then body): with Nagle's algorithm the body waits
    # for the client's delayed ACK of the headers, some 40 ms an answer on loopback
    disable_nagle_algorithm = True
    body = b""

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the collector reports
        return

    # -- malformed requests: 400, one log line ---------------------------------------------------------
    def parse_request(self) -> bool:
        """The standard parse (request line, headers), then what this server needs of a request:
        an absolute path of visible ASCII, a numeric $skiptoken, a sane Content-Length and, for a
        POST, a body that is JSON. The body is read here, so every method finds it consumed."""
        if not super().parse_request():
            return False
        self.server.stats["requests"] += 1
        if self.headers.get("Authorization"):  # what a test of "the token stays with ARM" counts
            self.server.stats["authorization"] += 1
        problem = self._malformed()
        if problem is not None:
            self.send_error(400, problem)
            return False
        return True

    def _malformed(self) -> str | None:
        if self.request_version == "HTTP/0.9":
            return "HTTP/0.9 requests are not served"
        target = self.path
        if len(target) > MAX_TARGET:
            return f"request target longer than {MAX_TARGET} characters"
        if not (target.isascii() and target.isprintable()):  # (no spaces: they split the request line)
            return f"request target with characters other than visible ASCII: {target!r}"
        try:
            split = urlsplit(target)
        except ValueError as exc:
            return f"request target is not a URL: {exc}"
        if not split.path.startswith("/"):
            return f"request target is not an absolute path: {target!r}"
        if any(not re.fullmatch(r"[0-9]{1,9}", t) for t in parse_qs(split.query).get("$skiptoken", [])):
            return "$skiptoken is not a page offset"
        if self.headers.defects:  # e.g. a line without a colon: the rest would be taken for the body
            return "malformed header line"
        if self.headers.get_all("Transfer-Encoding"):
            return "Transfer-Encoding is not supported: send Content-Length"
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not lengths:
            return None
        if len(lengths) > 1:
            return "conflicting Content-Length headers"
        (length,) = lengths
        if not re.fullmatch(r"[0-9]{1,15}", length):
            return f"Content-Length is not a number of bytes: {length!r}"
        if int(length) > MAX_BODY:
            return f"body larger than {MAX_BODY} bytes"
        self.body = self.rfile.read(int(length))
        if len(self.body) < int(length):
            return "body shorter than its Content-Length"
        if self.command == "POST" and self.body.strip():
            try:
                json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                return "the body of a POST is not JSON"
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found before a request reaches its method (the request line, headers, body, an
        unknown method): an ARM-style JSON error and one log line. Request-line and header size
        limits (414, 431) are answered 400, like every other malformed request."""
        reason = message or HTTPStatus(code).phrase
        if code in (HTTPStatus.REQUEST_URI_TOO_LONG, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE):
            code = 400
        phrase = HTTPStatus(code).phrase
        self.server.stats["malformed"] += 1
        self.server.log(self.client_address, f"{code} {reason}")
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # also a request line too broken to tell: answer in 1.1
            self.request_version = "HTTP/1.1"
        self._send(code, _error(phrase.replace(" ", ""), reason), {"Connection": "close"})

    # -- plumbing -----------------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        """An answer: `body` as JSON, or the bytes `raw` as they are."""
        payload = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)
        self.server.stats[f"status {status}"] += 1

    def _gate(self, path: str) -> bool:
        """Throttling, injected faults and forbidden resource groups; True when the request may proceed."""
        options = self.server.options
        sub = re.search(r"/subscriptions/([^/]+)", path, re.IGNORECASE)
        if options.throttle is not None:
            wait = self.server.buckets[sub.group(1).lower() if sub else "-"].take()
            if wait > 0:
                after = options.retry_after if options.retry_after is not None else max(1, math.ceil(wait))
                self._send(429, _error("TooManyRequests", "The request is being throttled."),
                           {"Retry-After": str(after)})  # fmt: skip
                return False
        if options.error_rate and self.server.chance(options.error_rate):
            if self.server.chance(0.5):
                self.server.stats["reset"] += 1
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return False
            self._send(503, _error("ServiceUnavailable", "Injected fault."), {"Retry-After": "0"})
            return False
        rg = re.search(r"/resourcegroups/([^/]+)", path, re.IGNORECASE)
        if rg and rg.group(1).lower() in {f.lower() for f in options.forbid}:
            self._send(
                403,
                _error(
                    "AuthorizationFailed",
                    f"The client does not have authorization over resource group '{rg.group(1)}'.",
                ),
            )
            return False
        return True

    def do_PUT(self) -> None:
        self._send(405, _error("ReadOnly", "azroute serve is read-only."))

    do_PATCH = do_PUT
    do_DELETE = do_PUT

    # -- GET -------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        split = urlsplit(self.path)
        path, query = split.path.rstrip("/"), parse_qs(split.query)
        self.server.stats["GET"] += 1
        if not self._gate(path):
            return
        lro = _LRO.search(path)
        if lro:
            self._lro(lro.group(2), "status" if lro.group(1).lower() == "operations" else "result", path)
            return
        data = self.server.data
        parts = path.split("/")
        if path.lower() == "/subscriptions":
            subs = [{"id": f"/subscriptions/{s}", "subscriptionId": s, "displayName": s, "state": "Enabled"}
                    for s in data.subscriptions()]  # fmt: skip
            self._page(subs, query)
            return
        if len(parts) == 4 and parts[3].lower() == "resourcegroups":
            groups = data.resource_groups(parts[2])
            items = [{"id": f"/subscriptions/{parts[2]}/resourceGroups/{name}", "name": name, "location": "local",
                      "properties": {"provisioningState": "Succeeded"}} for _, name in sorted(groups.items())]  # fmt: skip
            self._page(items, query)
            return
        doc = data.resources.get(path.lower())
        if doc is not None:
            self._send(200, doc)
            return
        # a list: <scope>/providers/Microsoft.Network/<type> or <resource>/<childType>
        if len(parts) >= 8 and parts[5].lower() == "providers":
            scope, type_path = "/".join(parts[:-1]), parts[-1]
            if len(parts) == 8:
                scope = "/".join(parts[:5])
            known = scope.lower() in data.resources or any(
                g == parts[4].lower() for g in data.resource_groups(parts[2])
            )
            if known:
                if type_path.lower() == FAULT_LIST and self._hostile(parts, query):
                    return
                self._page(data.listing(scope, type_path), query)
                return
        self._send(404, _error("ResourceNotFound", f"The resource '{path}' was not found."))

    def _hostile(self, parts: list[str], query: dict[str, list[str]]) -> bool:
        """The hostile answer the options ask for (the virtualNetworks lists, from `hostile_page`
        on); True when one was sent."""
        options = self.server.options
        page = int(query.get("$skiptoken", ["0"])[0] or 0) // max(1, options.page_size) + 1
        if page < options.hostile_page:
            return False
        if options.retry_after_text is not None:
            self.server.stats["hostile"] += 1
            self._send(429, _error("TooManyRequests", "The request is being throttled."),
                       {"Retry-After": options.retry_after_text})  # fmt: skip
        elif options.html_body:
            self.server.stats["hostile"] += 1
            self._send(200, raw=HTML_PAGE, content_type="text/html; charset=utf-8")
        elif options.value_not_list:
            self.server.stats["hostile"] += 1
            self._send(200, {"value": 5})
        elif options.gzip_bomb is not None:
            self.server.stats["hostile"] += 1
            self._send(200, raw=self.server.bomb, headers={"Content-Encoding": "gzip"})
        elif options.huge_page is not None:
            self.server.stats["hostile"] += 1
            scope = "/".join(parts[:5]) + f"/providers/{kinds.VNET.arm_type}"
            items = [
                {"id": f"{scope}/huge-{i}", "name": f"huge-{i}", "type": kinds.VNET.arm_type,
                 "location": "local", "properties": {"provisioningState": "Succeeded", "addressSpace":
                 {"addressPrefixes": [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32"]}}}
                for i in range(options.huge_page)
            ]  # fmt: skip
            self._send(200, {"value": items})
        else:
            return False
        return True

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> None:
        size = max(1, self.server.options.page_size)
        start = int(query.get("$skiptoken", ["0"])[0] or 0)
        body: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            params = {k: v[0] for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(start + size)
            body["nextLink"] = f"{self.server.link_base}{urlsplit(self.path).path}?{urlencode(params)}"
            if self.server.options.next_link_loop:
                body["nextLink"] = f"{self.server.link_base}{self.path}"
        self._send(200, body)

    def _lro(self, token: str, kind: str, path: str) -> None:
        entry = self.server.lros.get(token)
        if entry is None:
            self._send(404, _error("NotFound", "unknown operation"))
            return
        ready_at, record = entry
        remaining = ready_at - time.monotonic()
        done = remaining <= 0
        wait = _retry_after(remaining)
        if kind == "status":
            self._send(200, {"status": "Succeeded" if done else "InProgress"}, None if done else wait)
        elif not done:
            self._send(202, None, {"Location": self.server.link_base + path, **wait})
        else:
            self._send(200, record.get("body") if record.get("body") is not None else {"value": []})

    # -- POST: the read-only operations ----------------------------------------------------------------
    def do_POST(self) -> None:  # the body was read (and checked) in parse_request
        split = urlsplit(self.path)
        path, query = split.path.rstrip("/"), parse_qs(split.query)
        self.server.stats["POST"] += 1
        self.server.stats[f"POST {path.rsplit('/', 1)[-1]}"] += 1
        parts = path.split("/")
        operation = OPERATIONS.get(parts[-1].lower())
        hostile = self.server.options.redirect_posts_to
        if hostile and operation is not None:
            target = "/".join(parts[:-1]) + "/" + hostile
            self._send(307, None, {"Location": f"{self.server.url}{target}?{split.query}"})
            return
        param = ""
        if operation is None and len(parts) > 2 and OPERATIONS.get(parts[-2].lower()):
            operation, param, parts = OPERATIONS[parts[-2].lower()], parts[-1], parts[:-1]
        if operation is None:
            self._send(405, _error("ReadOnly", "azroute serve answers only read-only operations."))
            return
        if not self._gate(path):
            return
        resource = "/".join(parts[:-1])
        if operation == "getAdvertisedRoutes":
            param = query.get("peer", [""])[0]
        record = self.server.data.operations.get((resource.lower(), operation.lower(), param.lower()))
        if record is None:
            self._send(
                404,
                _error("NotRecorded", f"no {operation} result is recorded for {resource} {param}".strip()),
            )
            return
        status = int(record.get("status", 200))
        if status != 200:
            self._send(status, record.get("body") or _error("Failed", "recorded failure"))
            return
        token = uuid.uuid4().hex
        delay = self.server.options.latency.get(operation, self.server.options.latency.get("*", 0.0))
        self.server.lros[token] = (time.monotonic() + delay, record)
        base = f"{self.server.link_base}/subscriptions/{parts[2]}/providers/{kinds.NAMESPACE}/locations/local"
        self._send(202, None, {
            "Location": f"{base}/operationResults/{token}",
            "Azure-AsyncOperation": f"{base}/operations/{token}",
            **_retry_after(delay),
        })  # fmt: skip


def start(fixture: Path, options: ServeOptions, port: int = 0) -> tuple[ArmServer, threading.Thread]:
    server = ArmServer(FixtureData(fixture), options, port)
    # shutdown() waits for the loop's next look at its flag: 50 ms, not socketserver's 500
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="azroute-serve", daemon=True
    )
    thread.start()
    return server, thread
