"""azure-core pipeline policies: the read-only guard and client-side ARM throttling."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

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

    def __init__(self, buckets: dict[str, TokenBucket], burst: float, rate: float) -> None:
        self._buckets = buckets
        self._burst, self._rate = burst, rate
        self._lock = threading.Lock()

    def bucket(self, url: str) -> TokenBucket:
        match = re.search(r"/subscriptions/([^/?]+)", url, re.IGNORECASE)
        key = match.group(1).lower() if match else "-"
        with self._lock:
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(self._burst, self._rate)
            return self._buckets[key]

    def on_request(self, request: PipelineRequest[Any]) -> None:
        self.bucket(request.http_request.url).take()
