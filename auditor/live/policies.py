"""azure-core pipeline policies: the read-only guard, client-side ARM throttling, a retry policy
that will not wait longer than the collection allows, the origin guard, and the checks that turn
an answer the SDK could not use (not JSON, a malformed page, an unparsable `Retry-After`) into a
gap or a fallback instead of an exception."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy

from auditor.model import Operation

# The only POST operations the collector may call: ARM's read-only "actions" (the observations).
READ_ONLY_ACTIONS = tuple(op.value for op in Operation)
_ACTION = re.compile(
    r"/(" + "|".join(READ_ONLY_ACTIONS) + r")(/(primary|secondary))?$",
    re.IGNORECASE,
)


class WriteAttempted(ClientAuthenticationError):
    """Raised before any modifying request leaves the process."""


def allowed(method: str, url: str) -> bool:
    method = method.upper()
    if method in ("GET", "HEAD"):
        return True
    if method == "POST":
        path = url.split("?", 1)[0].rstrip("/")
        return bool(_ACTION.search(path))
    return False


class ReadOnlyPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuses every PUT, PATCH and DELETE, and every POST that is not a read-only action."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        http = request.http_request
        if not allowed(http.method, http.url):
            raise WriteAttempted(f"azroute is read-only: refused {http.method} {http.url.split('?', 1)[0]}")


class TokenBucket:
    """ARM's per-subscription read budget: `burst` tokens, refilled at `rate` per second."""

    def __init__(
        self, burst: float = 250, rate: float = 25, clock: Any = time.monotonic, sleep: Any = time.sleep
    ):
        self.burst, self.rate = float(burst), float(rate)
        self._tokens = float(burst)
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def take(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - 1e-9:  # tolerate float rounding of the refill
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                wait = (1 - self._tokens) / self.rate
            self.waited += wait
            self._sleep(wait)


class ThrottlePolicy(SansIOHTTPPolicy[Any, Any]):
    """Takes a token from the subscription's bucket before each request (LRO polls included)."""

    def __init__(
        self, buckets: dict[str, TokenBucket], burst: float, rate: float, sleep: Any = time.sleep
    ) -> None:
        self._buckets = buckets
        self._burst, self._rate = burst, rate
        self._sleep = sleep  # the collector's: it stops waiting when the collection stops
        self._lock = threading.Lock()

    def bucket(self, url: str) -> TokenBucket:
        match = re.search(r"/subscriptions/([^/?]+)", url, re.IGNORECASE)
        key = match.group(1).lower() if match else "-"
        with self._lock:
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(self._burst, self._rate, sleep=self._sleep)
            return self._buckets[key]

    def on_request(self, request: PipelineRequest[Any]) -> None:
        self.bucket(request.http_request.url).take()


class BoundReached(Exception):
    """A bound of the collection was reached; `code` names the coverage gap it becomes. Not an
    `AzureError` on purpose: azure-core's retry policy must not retry it."""

    code = "bound"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class RetryAfterCapped(BoundReached):
    code = "retry-after-cap"


class CappedRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's retry policy (it honours `Retry-After`), except that it refuses to wait longer
    than `max_retry_after` seconds: such an answer ends the request with `RetryAfterCapped`."""

    def __init__(self, max_retry_after: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_retry_after = max_retry_after

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        """azure-core's reading, except that a value it cannot parse is no `Retry-After` (the
        backoff applies); `RetryAfterPolicy` has removed such values already."""
        try:
            return super().get_retry_after(response)
        except (ValueError, OverflowError, TypeError):
            return None

    def sleep(
        self,
        settings: dict[str, Any],
        transport: Any,
        response: PipelineResponse[Any, Any] | None = None,
    ) -> None:
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                status = response.http_response.status_code
                raise RetryAfterCapped(
                    f"ARM answered {status} with Retry-After {wait:g} s, longer than --max-retry-after "
                    f"({self.max_retry_after:g} s): not retried",
                    status,
                )
        super().sleep(settings, transport, response)


DEFAULT_PORTS = {"https": 443, "http": 80}


def origin(url: str) -> tuple[str, str, int] | None:
    """A URL's origin (scheme, host, port): scheme and host lower-cased, the scheme's default port
    made explicit (so `https://h` and `https://h:443` are one origin). None when it has none (a
    relative URL, no host, or a port that is not a number)."""
    try:
        split = urlsplit(url.strip())
        port = split.port
    except ValueError:
        return None
    scheme, host = split.scheme.lower(), (split.hostname or "").lower()
    if not scheme or not host:
        return None
    if port is None:
        port = DEFAULT_PORTS.get(scheme)
    if port is None:
        return None
    return scheme, host, port


def same_origin(url: str, endpoint: str) -> bool:
    """Whether `url` (a `nextLink`, a long-running operation's `Location` or
    `Azure-AsyncOperation`, any request) stays with the ARM endpoint: a URL relative to the
    endpoint does; an absolute one must have its origin."""
    home = origin(endpoint)
    return home is not None and origin(urljoin(endpoint.rstrip("/") + "/", url.strip())) == home


class ForeignOrigin(BoundReached):
    """A request would have left the ARM endpoint's origin (with the bearer token): refused before
    it leaves the process."""

    code = "foreign-origin"


class NextLinkForeign(ForeignOrigin):
    code = "next-link-foreign"


class LroForeign(ForeignOrigin):
    code = "lro-foreign"


class SameOriginPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuses, before it leaves the process, every request whose origin is not the ARM endpoint's:
    the `Authorization` header azure-core adds is never sent anywhere else. The collector checks a
    `nextLink` and a long-running operation's links before following them (and records a gap); this
    is the guard behind those checks, on every attempt, retries included."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def on_request(self, request: PipelineRequest[Any]) -> None:
        url = request.http_request.url
        if not same_origin(url, self.endpoint):
            raise ForeignOrigin(
                f"refused a request to {origin_text(url)}: only {origin_text(self.endpoint)} "
                "(the ARM endpoint) is sent the token"
            )


def origin_text(url: str) -> str:
    """`scheme://host[:port]` of a URL, for messages (never its path or query)."""
    found = origin(url)
    if found is None:
        return repr(url.split("?", 1)[0][:200])
    scheme, host, port = found
    return f"{scheme}://{host}" + ("" if DEFAULT_PORTS.get(scheme) == port else f":{port}")


class AnswerUnusable(BoundReached):
    """One answer of ARM could not be used (too large, not JSON, malformed): a list keeps the items
    of the pages read before it and becomes a gap; an observation fails. Never retried."""

    code = "answer-unusable"


class ResponseTooLarge(AnswerUnusable):
    code = "response-too-large"


class NotJson(AnswerUnusable):
    code = "not-json"


class MalformedPage(AnswerUnusable):
    code = "malformed-page"


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)  # fmt: skip


class JsonAnswerPolicy(SansIOHTTPPolicy[Any, Any]):
    """Every answer with a body must be JSON, whatever its status and content type (a proxy's HTML
    page is not an answer of ARM): otherwise `NotJson`. A successful answer must be an object
    whose `value`, if any, is a list of objects and whose `nextLink`, if any, is a string:
    otherwise `MalformedPage`. The body is parsed once (azure-core's response caches it for the
    SDK). A per-call policy: it sees the answer that retries ended with."""

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        http = response.http_response
        status = http.status_code
        body = http.read()  # already in memory: the transport reads every answer whole, bounded
        if not body.strip():
            return
        try:
            document = http.json()
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting too deep
            kind = (http.headers.get("Content-Type") or "no content type").split(";", 1)[0].strip()
            where = f" ({exc.msg} at byte {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
            raise NotJson(
                f"ARM's answer ({status}, {_printable(kind[:80])}, {len(body):,} bytes) is not JSON{where}",
                status,
            ) from None
        if not 200 <= status < 300:
            return  # an error answer: the SDK reads what it can of it
        problem = None
        if not isinstance(document, dict):
            problem = f"the answer is {_kind(document)}, not an object"
        elif "value" in document and not isinstance(document["value"], list):
            problem = f"its 'value' is {_kind(document['value'])}, not a list"
        elif "value" in document and not all(isinstance(item, dict) for item in document["value"]):
            first = next(i for i, item in enumerate(document["value"]) if not isinstance(item, dict))
            problem = f"its 'value'[{first}] is {_kind(document['value'][first])}, not an object"
        elif document.get("nextLink") is not None and not isinstance(document["nextLink"], str):
            problem = f"its 'nextLink' is {_kind(document['nextLink'])}, not a string"
        if problem is not None:
            raise MalformedPage(f"ARM's answer ({status}) is malformed: {problem}", status)


def _printable(text: str) -> str:
    """A header's value, for a message: its visible ASCII, anything else as `?`."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


RETRY_AFTER_HEADERS = ("retry-after", "retry-after-ms", "x-ms-retry-after-ms")


class RetryAfterPolicy(SansIOHTTPPolicy[Any, Any]):
    """ARM's `Retry-After` (and its `-ms` variants) as every reader of it understands it: a value
    azure-core cannot parse (`soon`, an impossible date) is removed, so the retry policy falls back
    to its exponential backoff and polling to its interval; a date or a fraction becomes whole
    seconds (the SDK reads `Retry-After` of a 202 as an integer). A per-retry policy: it runs on
    each attempt's answer before the retry policy reads it."""

    LONGEST = 10**9  # seconds written for an endless Retry-After (--max-retry-after refuses it)

    def __init__(self) -> None:
        self._parser = RetryPolicy(retry_total=0)  # azure-core's parsing (seconds or an HTTP date)

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        headers = response.http_response.headers
        for name in RETRY_AFTER_HEADERS:
            text = headers.get(name)
            if text is None:
                continue
            try:
                seconds = float(self._parser.parse_retry_after(text.strip()))
            except (ValueError, OverflowError, TypeError):
                del headers[name]
                continue
            if name == "retry-after" and not text.strip().isdigit():
                headers[name] = str(math.ceil(min(seconds, self.LONGEST)))
