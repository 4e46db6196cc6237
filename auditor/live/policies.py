"""azure-core pipeline policies: the read-only guard, client-side ARM throttling, and a retry
policy that will not wait longer than the collection allows."""

from __future__ import annotations

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
