"""`azroute collect`: read everything the model needs from Azure and write a fixture (format v1).

The only module that talks to Azure. It uses azure-identity for credentials and the official
azure-mgmt-* clients for every call, with three policies added to their pipelines: the
read-only guard, a per-subscription token bucket (ARM's published read budget), and
azure-core's own retry policy configured for ARM (it honours `Retry-After` on 429 and retries
5xx and dropped connections with exponential backoff). Long-running POST operations run
concurrently in a bounded pool. Anything that fails is recorded as a coverage gap and the run
goes on.

The collection is bounded: an overall deadline (`timeout`), a longest `Retry-After` it will wait
(`max_retry_after`), a deadline per long-running operation (`lro_deadline`), a most pages per
list (`max_pages`), a repeated `nextLink`, a number of retries (`retries`), and the size of one
answer's body, decompressed (`max_response_bytes`: every body is streamed into that cap before the
SDK sees it). What a bound leaves unread is a gap named after it (`timeout`, `retry-after-cap`,
`lro-deadline`, `page-cap`, `next-link-loop`, `response-too-large`). An answer the SDK could not
use is a gap too, never the end of the collection: a body that is not JSON (`not-json`), a page
whose `value` is not a list of objects (`malformed-page`); an unparsable `Retry-After` is ignored
(the backoff applies). The bearer token stays with ARM: a `nextLink` or a long-running operation's
link to another origin is never followed (`next-link-foreign`, `lro-foreign`), and a pipeline
policy refuses any request to another origin before it leaves the process. Every wait goes through one stop event, so the end of the run (the deadline, or
Ctrl-C) ends every wait at once; the workers are daemon threads, so a call still in flight never
keeps the process alive.
"""

from __future__ import annotations

import contextlib
import io
import json
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, as_completed, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import requests.adapters
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DeserializationError,
    HttpResponseError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.core.polling.arm_polling import ARMPolling
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from auditor.anonymize import Anonymizer
from auditor.errors import InputError
from auditor.live import DEFAULT_MAX_RESPONSE_BYTES
from auditor.live.policies import (
    AnswerUnusable,
    BoundReached,
    CappedRetryPolicy,
    JsonAnswerPolicy,
    LroForeign,
    MalformedPage,
    ReadOnlyPolicy,
    ResponseTooLarge,
    RetryAfterPolicy,
    SameOriginPolicy,
    ThrottlePolicy,
    TokenBucket,
    WriteAttempted,
    origin_text,
    same_origin,
)
from auditor.live.redact import redact
from auditor.model import kinds
from auditor.normalize import SnapshotBuilder
from auditor.routing.controlplane import ControlPlane
from auditor.routing.signature import RoutingSignature, routing_signature
from auditor.writer import (
    group_pages,
    place_documents,
    place_operations,
    safe_name,
    write_snapshot_atomically,
)

PUBLIC_ARM = "https://management.azure.com"

# The kinds listed per resource group and per parent (the registry's `listing`); a list's folder and
# operation name are the type's last segment ("list virtualNetworks", "list virtualHubs/ipConfigurations").
RG_KINDS = tuple(k for k in kinds.ALL if k.listing is not None and not k.listing.per_parent)
CHILD_KINDS = tuple(k for k in kinds.ALL if k.listing is not None and k.listing.per_parent)
READ_CHUNK = 64 * 1024  # bytes asked of the stream at a time (urllib3 inflates no more than that)


@dataclass
class CollectOptions:
    subscriptions: list[str] = field(default_factory=list)
    all_subscriptions: bool = False
    resource_groups: list[str] = field(default_factory=list)  # none: every resource group
    arm_endpoint: str = PUBLIC_ARM
    authority: str | None = None  # the sign-in host of a sovereign cloud (--cloud)
    ca: str | None = None
    effective_routes: str = "per-signature"  # none | per-subnet | per-signature | all
    concurrency: int = 256
    polling_interval: float = 1.0  # seconds between polls when ARM sends no Retry-After
    burst: float = 250
    rate: float = 25
    anonymize: bool = False
    anonymize_key: bytes | None = field(default=None, repr=False)  # None: a random key per run, never written
    sites: list[dict[str, Any]] = field(default_factory=list)
    name: str = "recorded"
    progress: bool = True
    # bounds (docs/live.md): what one leaves unread is a gap named after it
    timeout: float = 3600.0  # seconds for the whole collection
    max_retry_after: float = 120.0  # longest Retry-After waited for
    lro_deadline: float = 900.0  # seconds one long-running operation may take
    max_pages: int = 10_000  # pages read of one list
    retries: int = 8  # retries of one request (each kind: status, connection, read)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # one answer's body, decompressed


class LocalCredential:
    """Against a loopback endpoint no Azure sign-in is attempted."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("azroute-local", int(time.time()) + 3600)


class SignInFailed(Exception):
    """No credential could sign in: an infrastructure failure (exit 4), not an audit result."""


class LroDeadline(BoundReached):
    code = "lro-deadline"


class Stopped(BoundReached):
    """A wait ended because the collection stopped (overall deadline, Ctrl-C, or the end of it)."""

    code = "timeout"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C arrived while the snapshot was being swapped into place: it was written whole first."""

    written = True


def is_loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def credential_for(endpoint: str, authority: str | None = None) -> TokenCredential:
    """Azure sign-in (azure-identity's chain) against the cloud's authority; none for a loopback
    endpoint (`azroute serve`)."""
    if is_loopback(endpoint):
        return LocalCredential()
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(authority=authority) if authority else DefaultAzureCredential()


@dataclass
class Gap:
    scope: str
    operation: str
    status: int | None
    code: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "operation": self.operation, "status": self.status, "code": self.code,
                "message": self.message}  # fmt: skip


@dataclass
class CollectResult:
    path: Path
    resources: int = 0
    observations: int = 0
    failed_observations: int = 0
    gaps: list[Gap] = field(default_factory=list)
    failed: list[Gap] = field(default_factory=list)  # observations that failed, one each
    seconds: float = 0.0
    throttle_wait: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.gaps and not self.failed_observations


def _error_fields(exc: BaseException) -> tuple[int | None, str | None, str]:
    if isinstance(exc, BoundReached):
        return exc.status, exc.code, exc.message
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        message = (
            exc.error.message if exc.error is not None and exc.error.message else str(exc.message or exc)
        )
        return exc.status_code, code, " ".join(message.split())[:300]
    return None, type(exc).__name__, " ".join(str(exc).split())[:300]


class Progress:
    """A progress bar with the rate and the time left, on stderr when it is a terminal (rich)."""

    def __init__(self, enabled: bool, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.lock = threading.Lock()
        self._bar = RichProgress(
            TextColumn("collecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("calls"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task = self._bar.add_task("collecting", total=0)
        self._started = False

    def add(self, n: int) -> None:
        if not self.enabled:
            return
        with self.lock:
            if not self._started:
                self._bar.start()
                self._started = True
            total = (self._bar.tasks[0].total or 0) + n
            self._bar.update(self._task, total=total)

    def tick(self) -> None:
        if self.enabled:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self.enabled and self._started:
            self._bar.stop()


T = TypeVar("T")


class _Pool:
    """A bounded pool of worker threads, like `ThreadPoolExecutor` except that its threads are
    daemons: `ThreadPoolExecutor` joins its threads at exit, so one call abandoned in flight (the
    overall deadline, Ctrl-C) would keep the process alive. `shutdown` cancels what has not started."""

    def __init__(self, workers: int) -> None:
        self._max = max(1, workers)
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._closed:
            raise RuntimeError("the collection has stopped")
        future: Future[T] = Future()
        self._queue.put((future, partial(fn, *args, **kwargs)))
        if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
            thread = threading.Thread(
                target=self._work, name=f"azroute-collect-{len(self._threads)}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, call = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:  # handed to whoever waits for the future
                    future.set_exception(exc)
            self._idle.release()

    def shutdown(self) -> None:
        """Cancel what has not started; the workers end after their current call (not waited for)."""
        self._closed = True
        with contextlib.suppress(queue.Empty):
            while True:
                item = self._queue.get_nowait()
                if item is not None:
                    item[0].cancel()
        for _ in self._threads:
            self._queue.put(None)


class _StoppableTransport(RequestsTransport):  # type: ignore[misc]  # azure-core types it Any
    """The shared transport; its `sleep` (retry backoff, `Retry-After`) is the collector's, which
    ends with `Stopped` as soon as the collection stops."""

    def __init__(self, pause: Callable[[float], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pause = pause

    def sleep(self, duration: float) -> None:
        self._pause(duration)


class _CappedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, except that every answer's body is read here, as a stream of decompressed
    chunks (urllib3 inflates gzip and deflate no further than the chunk asked), into a cap: past
    `max_bytes` the connection is dropped and the request ends with `ResponseTooLarge`. The body
    is then the response's content, as if requests had read it (`stream=False`); nothing of the
    collector streams, so answers asked for as streams (long-running operations) are read too."""

    def __init__(self, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        response = super().send(request, True, timeout, verify, cert, proxies)
        try:
            content = self._read(response)
        except BaseException:
            response.close()  # the connection is dropped with the rest of the body unread
            raise
        response._content, response._content_consumed = content, True  # read whole: back in the pool
        return response

    def _read(self, response: requests.Response) -> bytes:
        body = io.BytesIO()  # grows in place; its value is its buffer, not a copy
        for chunk in response.iter_content(READ_CHUNK):
            if body.tell() + len(chunk) > self.max_bytes:
                encoding = response.headers.get("Content-Encoding")
                raise ResponseTooLarge(
                    f"ARM's answer ({response.status_code}) is larger than --max-response-bytes "
                    f"({self.max_bytes:,} bytes{', decompressed' if encoding else ''}): not read further",
                    response.status_code,
                )
            body.write(chunk)
        return body.getvalue()


class _BoundedPolling(ARMPolling):
    """ARM's long-running operation polling, bounded: a poll's `Retry-After` is a hint, so it waits
    at most `cap` seconds between polls; at `deadline` seconds after the start it gives up
    (`LroDeadline`); it stops at once when the collection stops; and it follows a `Location` or
    `Azure-AsyncOperation` link only when it stays with the ARM endpoint (`LroForeign`)."""

    def __init__(
        self,
        interval: float,
        cap: float,
        deadline: float,
        pause: Callable[[float], None],
        endpoint: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(interval, **kwargs)
        self._cap, self._seconds, self._pause = max(cap, interval), deadline, pause
        self._deadline = time.monotonic() + deadline
        self._endpoint = endpoint

    def request_status(self, status_link: str) -> Any:
        """A poll or the final GET: refused, before anything is sent, when the link names another
        origin than the ARM endpoint's (the bearer token would go with it)."""
        link = status_link
        if self._path_format_arguments:
            link = self._client.format_url(status_link, **self._path_format_arguments)
        if not same_origin(link, self._endpoint):
            raise LroForeign(
                f"the long-running operation's status link points at {origin_text(link)}, not at the ARM "
                f"endpoint {origin_text(self._endpoint)}: not followed (the token is sent only to ARM)"
            )
        return super().request_status(status_link)

    def _sleep(self, delay: float) -> None:
        wait = min(delay, self._cap)
        remaining = self._deadline - time.monotonic()
        if wait >= remaining:
            self._pause(max(0.0, remaining))
            raise LroDeadline(
                f"the long-running operation had not finished after --lro-deadline ({self._seconds:g} s)"
            )
        self._pause(wait)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C while the snapshot is swapped into place is held until it is (then `Interrupted`):
    the writer leaves the old snapshot or the new one whole, never a mix. Signals only ever reach
    the main thread; elsewhere there is nothing to defer."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and previous is signal.default_int_handler:
            raise Interrupted
        if received and callable(previous):
            previous(signal.SIGINT, None)


class Collector:
    def __init__(self, options: CollectOptions, credential: TokenCredential | None = None) -> None:
        self.options = options
        self.endpoint = options.arm_endpoint.rstrip("/")
        self.credential = credential or credential_for(self.endpoint, options.authority)
        self.buckets: dict[str, TokenBucket] = {}
        self.progress = Progress(options.progress)
        self._shared_transport: RequestsTransport | None = None
        self.extra_policies: list[Any] = []  # e.g. instrumentation in benchmarks
        self.stop = threading.Event()  # set when the collection stops: every wait ends at once
        self.deadline = time.monotonic() + options.timeout
        self._gaps: list[Gap] = []  # gaps found in the workers (page cap, nextLink loop)

    # -- clients -----------------------------------------------------------------------------------
    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "base_url": self.endpoint,
            "credential_scopes": [f"{self.endpoint}/.default"],
            # read-only on the wire: redirects are refused (a 3xx is an error, never followed), and the
            # guard also runs on every attempt that leaves the process (retries included)
            "permit_redirects": False,
            # and no request leaves for another origin than the endpoint's (the bearer token stays
            # with ARM): a nextLink or an operation's link elsewhere is a gap, never followed
            # an unparsable Retry-After is none (the backoff applies), before the retry policy reads it
            "per_retry_policies": [SameOriginPolicy(self.endpoint), ReadOnlyPolicy(), RetryAfterPolicy()],
            "per_call_policies": [
                ReadOnlyPolicy(),
                # the answer retries ended with: not JSON, or a malformed page, is a gap
                JsonAnswerPolicy(),
                ThrottlePolicy(self.buckets, self.options.burst, self.options.rate, sleep=self._pause),
                *self.extra_policies,
            ],
            # azure-core caps each kind of retry separately (3 by default): --retries of each, and
            # no Retry-After longer than --max-retry-after is waited for
            "retry_policy": CappedRetryPolicy(
                self.options.max_retry_after,
                retry_total=self.options.retries,
                retry_connect=self.options.retries,
                retry_read=self.options.retries,
                retry_status=self.options.retries,
                retry_backoff_factor=0.2,
                retry_backoff_max=30,
            ),
            "polling_interval": self.options.polling_interval,
        }
        if self.options.ca:
            kwargs["connection_verify"] = self.options.ca
        kwargs["transport"] = self._transport()
        return kwargs

    def _transport(self) -> RequestsTransport:
        """One connection pool as large as the pool of workers, shared by every client."""
        if self._shared_transport is None:
            session = requests.Session()
            size = max(10, self.options.concurrency + 4)
            adapter = _CappedAdapter(
                self.options.max_response_bytes, pool_connections=size, pool_maxsize=size
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            verify: Any = self.options.ca if self.options.ca else True
            self._shared_transport = _StoppableTransport(
                self._pause, session=session, session_owner=False, connection_verify=verify
            )
        return self._shared_transport

    # -- bounds ------------------------------------------------------------------------------------
    def _pause(self, seconds: float) -> None:
        """Every wait of the collection (Retry-After, backoff, the read budget, polling) ends with
        `Stopped` as soon as the collection stops."""
        if self.stop.wait(max(0.0, seconds)):
            raise Stopped(self._timeout_message())

    def _timeout_message(self) -> str:
        return f"the overall --timeout ({self.options.timeout:g} s) was reached before this was read"

    def _remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def _timeout_gap(self, scope: str, operation: str) -> Gap:
        return Gap(scope, operation, None, Stopped.code, self._timeout_message())

    def _finished(self, futures: Iterable[Future[T]]) -> Iterator[Future[T]]:
        """The futures as they finish, until the overall deadline (there the collection stops)."""
        try:
            yield from as_completed(futures, timeout=self._remaining())
        except TimeoutError:
            self.stop.set()

    def _call(self, pool: _Pool, fn: Callable[[], T]) -> T:
        """`fn()` in the pool, waited for until the overall deadline (then `Stopped`)."""
        future = pool.submit(fn)
        try:
            return future.result(timeout=self._remaining())
        except TimeoutError:
            if future.done():
                raise
            self.stop.set()
            raise Stopped(self._timeout_message()) from None

    def _pages(self, pager: Any, scope: str, operation: str) -> list[Any]:
        """The items of a paged list, page by page: more than --max-pages pages, or a `nextLink`
        seen before, ends it with a gap (`page-cap`, `next-link-loop`), and so does an answer that
        could not be used (`response-too-large`, `not-json`, `malformed-page`); the items read
        are kept."""
        items: list[Any] = []
        ids: set[str] = set()
        pages = pager.by_page()
        links: set[str] = set()
        count = 0
        while True:
            try:
                page = next(pages)
            except StopIteration:
                break
            except (AnswerUnusable, DeserializationError) as error:
                status, code, message = _error_fields(_unusable(error))
                kept = (f"{_items(items)} read before are kept, the rest of the list was not read"
                        if count else "nothing of the list was read")  # fmt: skip
                self._gap(Gap(scope, operation, status, code, f"page {count + 1}: {message}; {kept}"))
                break
            count += 1
            for item in page:  # a page read twice (a nextLink back to the first page) adds nothing
                rid = getattr(item, "id", None)
                if isinstance(rid, str) and rid.lower() in ids:
                    continue
                if isinstance(rid, str):
                    ids.add(rid.lower())
                items.append(item)
            link = pages.continuation_token
            if not link:
                break
            if not same_origin(link, self.endpoint):
                self._gap(Gap(scope, operation, None, "next-link-foreign",
                              f"page {count}'s nextLink points at {origin_text(link)}, not at the ARM "
                              f"endpoint {origin_text(self.endpoint)}: {_items(items)} read are kept, "
                              f"the list was not followed (the token is sent only to ARM)"))  # fmt: skip
                break
            if link in links:
                self._gap(Gap(scope, operation, None, "next-link-loop",
                              f"page {count} repeats an earlier page's nextLink: {_items(items)} "
                              f"read are kept, the list was not followed further"))  # fmt: skip
                break
            links.add(link)
            if count >= self.options.max_pages:
                self._gap(Gap(scope, operation, None, "page-cap",
                              f"more than --max-pages ({self.options.max_pages}) pages: {_items(items)} "
                              f"read are kept, later pages were not read"))  # fmt: skip
                break
        return items

    def _gap(self, gap: Gap) -> None:
        """A gap found in a worker; once the collection has stopped, its work is abandoned and
        already counted (`timeout`)."""
        if not self.stop.is_set():
            self._gaps.append(gap)

    def network(self, subscription: str) -> NetworkManagementClient:
        return NetworkManagementClient(self.credential, subscription, **self._client_kwargs())

    def _sign_in(self) -> None:
        """Get a token before anything else: a failed sign-in is not a partial collection."""
        try:
            self.credential.get_token(f"{self.endpoint}/.default")
        except WriteAttempted:
            raise
        except ClientAuthenticationError as exc:
            first = " ".join(str(exc).split())[:300]
            raise SignInFailed(f"could not sign in to {self.endpoint}: {first}") from None

    def subscriptions(self) -> list[str]:
        if not self.options.all_subscriptions:
            return list(self.options.subscriptions)
        client = SubscriptionClient(self.credential, **self._client_kwargs())
        listed = self._pages(client.subscriptions.list(), "/subscriptions", "list subscriptions")
        return sorted(s.subscription_id for s in listed if s.subscription_id)

    # -- the run ------------------------------------------------------------------------------------------
    def collect(self, out: Path) -> CollectResult:
        """Collect and write `out`. Ctrl-C (KeyboardInterrupt) stops every wait, abandons what is in
        flight and writes nothing; during the final swap it is held until the swap is done
        (`Interrupted`)."""
        start = time.monotonic()
        self.stop, self.deadline, self._gaps = threading.Event(), start + self.options.timeout, []
        result = CollectResult(out)
        documents: dict[str, dict[str, Any]] = {}  # id (lower) -> ARM document
        records: list[tuple[str, dict[str, Any]]] = []
        self._sign_in()
        pool = _Pool(self.options.concurrency)
        subscriptions: list[str] = []
        try:
            try:
                subscriptions = self._call(pool, self.subscriptions)
            except (AzureError, BoundReached) as exc:
                status, code, message = _error_fields(exc)
                result.gaps.append(Gap("/subscriptions", "list subscriptions", status, code, message))
            for i, subscription in enumerate(subscriptions):
                if self.stop.is_set():  # the overall deadline: what has not started is not started
                    result.gaps += [self._timeout_gap(f"/subscriptions/{s}", "collect subscription")
                                    for s in subscriptions[i:]]  # fmt: skip
                    break
                self._subscription(subscription, pool, documents, records, result)
        finally:  # the end, the deadline or Ctrl-C: whatever still runs is abandoned, nothing waited for
            self.stop.set()
            pool.shutdown()
            self.progress.close()
        result.gaps += self._gaps
        result.seconds = time.monotonic() - start
        result.throttle_wait = sum(b.waited for b in self.buckets.values())
        with _sigint_deferred():
            self._write(out, documents, records, result, subscriptions)
        return result

    def _subscription(
        self,
        subscription: str,
        pool: _Pool,
        documents: dict[str, dict[str, Any]],
        records: list[tuple[str, dict[str, Any]]],
        result: CollectResult,
    ) -> None:
        network = self.network(subscription)
        scope = f"/subscriptions/{subscription}"
        groups: list[str]
        if self.options.resource_groups:
            groups = sorted(set(self.options.resource_groups), key=str.lower)
        else:
            rm = ResourceManagementClient(self.credential, subscription, **self._client_kwargs())
            try:
                listed = self._call(
                    pool, lambda: self._pages(rm.resource_groups.list(), scope, "list resourceGroups")
                )
                groups = sorted((g.name for g in listed if g.name), key=str.lower)
            except (AzureError, BoundReached) as exc:
                status, code, message = _error_fields(exc)
                result.gaps.append(Gap(scope, "list resourceGroups", status, code, message))
                return
        # Lists: one task per (resource group, kind), run in the pool too (they are cheap but many).
        tasks = {}
        for group in groups:
            for kind in RG_KINDS:
                tasks[pool.submit(self._list, network, group, kind)] = (group, kind.segment)
        self.progress.add(len(tasks))
        handled: set[Future[Any]] = set()
        for future in self._finished(tasks):
            handled.add(future)
            self._listed(subscription, future, *tasks[future], documents, result)
        result.gaps += [self._timeout_gap(f"{scope}/resourceGroups/{group}", f"list {folder}")
                        for future, (group, folder) in tasks.items() if future not in handled]  # fmt: skip
        # Children that ARM does not nest in the parent: Route Server IP configurations and BGP peers.
        children: dict[Future[list[dict[str, Any]]], tuple[str, str]] = {}
        parents = {kind.parent_type for kind in CHILD_KINDS}
        for parent in (p for p in kinds.ALL if p.type_path in parents):
            for doc in _of_type(documents, parent.type_path):
                if self.stop.is_set() or not doc["id"].lower().startswith(f"{scope.lower()}/"):
                    continue
                rg, name = _rg(doc["id"]), doc["id"].rsplit("/", 1)[1]
                for kind in (k for k in CHILD_KINDS if k.parent_type == parent.type_path):
                    assert kind.listing is not None
                    operation = f"list {kind.arm_type.split('/', 1)[1]}"
                    lister = getattr(getattr(network, kind.listing.attr), kind.listing.method)
                    call = partial(self._children, lister, rg, name, doc["id"], operation)
                    children[pool.submit(call)] = (doc["id"], operation)
        handled = set()
        for future in self._finished(children):
            handled.add(future)
            try:
                documents.update((item["id"].lower(), item) for item in future.result())
            except (AzureError, BoundReached) as exc:
                status, code, message = _error_fields(exc)
                result.gaps.append(Gap(*children[future], status, code, message))
        result.gaps += [self._timeout_gap(*children[f]) for f in children if f not in handled]
        if self.stop.is_set():
            result.gaps.append(self._timeout_gap(scope, "observations"))
            return
        ours = {k: v for k, v in documents.items() if k.startswith(f"/subscriptions/{subscription.lower()}/")}
        self._observe(network, ours, pool, records, result)

    def _listed(
        self,
        subscription: str,
        future: Future[list[dict[str, Any]]],
        group: str,
        folder: str,
        documents: dict[str, dict[str, Any]],
        result: CollectResult,
    ) -> None:
        """The items of one finished list task, into `documents`; its failure or malformed items as gaps."""
        self.progress.tick()
        scope = f"/subscriptions/{subscription}/resourceGroups/{group}"
        try:
            items = future.result()
        except (AzureError, BoundReached) as exc:
            status, code, message = _error_fields(exc)
            result.gaps.append(Gap(scope, f"list {folder}", status, code, message))
            return
        for i, item in enumerate(items):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("id"), str)
                or not item["id"].startswith("/")
            ):
                result.gaps.append(
                    Gap(
                        scope,
                        f"list {folder}",
                        None,
                        "malformed-item",
                        f"item {i} has no usable 'id'; skipped",
                    )
                )
                continue
            documents[item["id"].lower()] = item

    def _list(
        self, network: NetworkManagementClient, group: str, kind: kinds.ResourceKind
    ) -> list[dict[str, Any]]:
        assert kind.listing is not None
        operations = getattr(network, kind.listing.attr)
        scope = f"/subscriptions/{network._config.subscription_id}/resourceGroups/{group}"
        return [
            item.as_dict()
            for item in self._pages(
                getattr(operations, kind.listing.method)(group), scope, f"list {kind.segment}"
            )
        ]

    def _children(
        self, lister: Callable[[str, str], Any], rg: str, name: str, parent: str, operation: str
    ) -> list[dict[str, Any]]:
        return [conf.as_dict() for conf in self._pages(lister(rg, name), parent, operation)]

    # -- observations -------------------------------------------------------------------------------------
    def _observe(
        self,
        network: NetworkManagementClient,
        documents: dict[str, dict[str, Any]],
        pool: _Pool,
        records: list[tuple[str, dict[str, Any]]],
        result: CollectResult,
    ) -> None:
        jobs: list[tuple[str, str, dict[str, str], Callable[[], Any]]] = []
        self._stands_for: dict[str, list[str]] = {}
        for nic_group in self._nic_choices(documents):
            jobs.append(("effectiveRouteTable", nic_group[0], {}, self._nic_job(network, nic_group)))
        gateways = network.virtual_network_gateways
        circuits = network.express_route_circuits
        for doc in _of_type(documents, kinds.GATEWAY.type_path):
            rg, name, rid = _rg(doc["id"]), doc["name"], doc["id"]
            jobs.append(
                ("getLearnedRoutes", rid, {}, partial(self._lro, gateways.begin_get_learned_routes, rg, name))
            )
            props = doc.get("properties") or {}
            if props.get("gatewayType", "").lower() == "vpn" and props.get("enableBgp"):
                jobs.append(
                    (
                        "getBgpPeerStatus",
                        rid,
                        {},
                        partial(self._lro, gateways.begin_get_bgp_peer_status, rg, name),
                    )
                )
        for doc in _of_type(documents, kinds.CIRCUIT.type_path):
            rg, name = _rg(doc["id"]), doc["name"]
            for peering in (doc.get("properties") or {}).get("peerings") or []:
                if (peering.get("properties") or {}).get("peeringType") != "AzurePrivatePeering":
                    continue
                for path in ("primary", "secondary"):
                    args = (rg, name, peering["name"], path)
                    params = {"devicePath": path}
                    jobs.append(
                        (
                            "routeTables",
                            peering["id"],
                            params,
                            partial(self._lro, circuits.begin_list_routes_table, *args),
                        )
                    )
                    jobs.append(
                        ("routeTablesSummary", peering["id"], params,
                         partial(self._lro, circuits.begin_list_routes_table_summary, *args))
                    )  # fmt: skip
        # Advertised routes need the neighbours a gateway's BGP peer status lists: they start as soon
        # as that status arrives, while the other operations are still running.
        self.progress.add(len(jobs))
        pending = {pool.submit(self._run, job): job for job in jobs}
        adverts = 0
        while pending:
            done, _ = wait(pending, timeout=self._remaining(), return_when=FIRST_COMPLETED)
            if not done:  # the overall deadline: what is in flight is abandoned, what waits never starts
                self.stop.set()
                stopped = Stopped(self._timeout_message())
                records += [
                    (op, _failed(op, rid, params, stopped)) for op, rid, params, _ in pending.values()
                ]
                break
            for future in done:
                op, rid, _params, _ = pending.pop(future)
                record = future.result()
                self.progress.tick()
                records.append((op, record))
                if op != "getBgpPeerStatus" or record["status"] != 200:
                    continue
                body = record.get("body") or {}
                peers = sorted({p.get("neighbor") for p in body.get("value", []) if p.get("neighbor")})
                rg, name = _rg(rid), rid.rsplit("/", 1)[1]
                for peer in peers:
                    call = partial(self._lro, gateways.begin_get_advertised_routes, rg, name, peer=peer)
                    job = ("getAdvertisedRoutes", rid, {"peer": peer}, call)
                    pending[pool.submit(self._run, job)] = job
                    adverts += 1
                    self.progress.add(1)
        result.observations += len(jobs) + adverts

    def _nic_choices(self, documents: dict[str, dict[str, Any]]) -> list[list[str]]:
        """NIC ids to try, per job: all NICs, or per subnet the NICs attached to a VM (first that answers)."""
        mode = self.options.effective_routes
        if mode == "none":
            return []
        by_subnet: dict[str, list[str]] = {}
        for doc in _of_type(documents, kinds.NETWORK_INTERFACE.type_path):
            props = doc.get("properties") or {}
            if not props.get("virtualMachine"):
                continue
            confs = props.get("ipConfigurations") or []
            subnet = ((confs[0].get("properties") or {}).get("subnet") or {}).get("id", "") if confs else ""
            by_subnet.setdefault(subnet.lower(), []).append(doc["id"])
        if mode == "all":
            return [[nic] for nics in by_subnet.values() for nic in sorted(nics, key=str.lower)]
        if mode == "per-signature":
            return self._per_signature(documents, by_subnet)
        return [sorted(nics, key=str.lower) for _, nics in sorted(by_subnet.items())]

    def _per_signature(
        self, documents: dict[str, dict[str, Any]], by_subnet: dict[str, list[str]]
    ) -> list[list[str]]:
        """One job per routing signature: the NICs of every subnet that shares it, tried in turn;
        the observation records the subnets it stands for (`standsFor`)."""
        builder = SnapshotBuilder()
        for rid, doc in sorted(documents.items()):
            try:
                builder.add_document(doc, rid)
            except InputError:
                continue  # a malformed document: per-subnet collection for what it would have grouped
        snapshot = builder.build("collecting")
        plane = ControlPlane(snapshot)
        groups: dict[RoutingSignature, list[str]] = {}
        for subnet in snapshot.subnets:
            groups.setdefault(routing_signature(plane, subnet), []).append(subnet.id.key)
        jobs: list[list[str]] = []
        for _, subnets in sorted(groups.items(), key=lambda g: sorted(g[1])[0]):
            members = sorted(subnets)
            nics = [nic for sid in members for nic in sorted(by_subnet.get(sid, []), key=str.lower)]
            if not nics:
                continue
            jobs.append(nics)
            if len(members) > 1:
                self._stands_for[nics[0].lower()] = [
                    str(s.id) for s in snapshot.subnets if s.id.key in set(members)
                ]
        grouped = {sid for subnets in groups.values() for sid in subnets}
        jobs += [sorted(nics, key=str.lower) for sid, nics in sorted(by_subnet.items()) if sid not in grouped]
        return jobs

    def _nic_job(self, network: NetworkManagementClient, candidates: list[str]) -> Callable[[], Any]:
        def run() -> Any:
            last: BaseException | None = None
            for nic in candidates:
                try:
                    begin = network.network_interfaces.begin_get_effective_route_table
                    return nic, self._lro(begin, _rg(nic), nic.rsplit("/", 1)[1])
                except HttpResponseError as exc:  # VM deallocated: try the subnet's next NIC
                    last = exc
                    last.__dict__["azroute_nic"] = nic
                except BoundReached as exc:  # a bound is not the NIC's fault: the next would meet it too
                    exc.__dict__["azroute_nic"] = nic
                    raise
            assert last is not None
            raise last

        return run

    def _run(self, job: tuple[str, str, dict[str, str], Callable[[], Any]]) -> dict[str, Any]:
        op, rid, params, call = job
        try:
            value = call()
            record: dict[str, Any] = {}
            if op == "effectiveRouteTable":
                stands = self._stands_for.get(rid.lower())
                rid, value = value
                if stands:
                    record["standsFor"] = sorted(stands, key=str.lower)
            body = value.as_dict() if value is not None and hasattr(value, "as_dict") else {"value": []}
            return {
                "resourceId": rid,
                "operation": op,
                "parameters": params,
                "status": 200,
                "body": body,
                **record,
            }
        except (AzureError, BoundReached, DeserializationError) as exc:
            if op == "effectiveRouteTable":
                rid = exc.__dict__.get("azroute_nic", rid)
            return _failed(op, rid, params, _unusable(exc))

    def _lro(self, begin: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Start a long-running operation and wait for its result, polled within the bounds."""
        polling = _BoundedPolling(
            self.options.polling_interval,
            self.options.max_retry_after,
            self.options.lro_deadline,
            self._pause,
            self.endpoint,
            path_format_arguments={"endpoint": self.endpoint},
        )
        return begin(*args, polling=polling, **kwargs).result()

    # -- writing ---------------------------------------------------------------------------------------------
    def _write(
        self,
        out: Path,
        documents: dict[str, dict[str, Any]],
        records: list[tuple[str, dict[str, Any]]],
        result: CollectResult,
        subscriptions: list[str],
    ) -> None:
        resources = [redact(doc) for _, doc in sorted(documents.items())]
        observations = [redact(record) for _, record in records]
        result.resources = len(documents)
        for record in sorted(observations, key=lambda r: (r["operation"], r["resourceId"].lower(),
                                                          json.dumps(r["parameters"], sort_keys=True))):  # fmt: skip
            if record["status"] != 200:
                result.failed_observations += 1
                error = (record.get("body") or {}).get("error") or {}
                params = "".join(f" {k}={v}" for k, v in sorted(record["parameters"].items()))
                result.failed.append(
                    Gap(record["resourceId"], f"observation {record['operation']}{params}",
                        record["status"] or None, error.get("code"), error.get("message") or "")
                )  # fmt: skip
        sites, groups = self.options.sites, sorted(set(self.options.resource_groups), key=str.lower)
        if self.options.anonymize:  # everything written and everything printed goes through it
            anonymizer = Anonymizer(self.options.anonymize_key)
            gaps = [g.as_dict() for g in [*result.gaps, *result.failed]]
            anonymizer.learn(resources, observations, sites, gaps)
            resources = [anonymizer.document(doc) for doc in resources]
            observations = [anonymizer.record(record) for record in observations]
            sites = [anonymizer.site(site) for site in sites]
            result.gaps = [Gap(**anonymizer.gap(g.as_dict())) for g in result.gaps]
            result.failed = [Gap(**anonymizer.gap(g.as_dict())) for g in result.failed]
            groups = [anonymizer.name("resourcegroups", g) for g in groups]
        manifest: dict[str, Any] = {
            "format": "azroute-fixture/1",
            "name": self.options.name,
            "description": f"recorded by azroute collect from {len(subscriptions)} subscription(s)"
            + (f", resource group{'s' if len(groups) > 1 else ''} {', '.join(groups)}" if groups else ""),
            "source": "recorded",
        }
        if sites:
            manifest["sites"] = sites
        if result.gaps or result.failed:
            manifest["gaps"] = [
                g.as_dict()
                for g in sorted([*result.gaps, *result.failed], key=lambda g: (g.scope.lower(), g.operation))
            ]
        arm = place_documents(group_pages(resources))
        operations = place_operations(observations)
        write_snapshot_atomically(out, manifest, arm, operations)


def safe_path(relative: str) -> str:
    """A relative path whose every component is a safe file name (anonymization may rename them)."""
    return "/".join(safe_name(part) for part in relative.split("/"))


def _items(items: list[Any]) -> str:
    return f"the {len(items)} item{'' if len(items) == 1 else 's'}"


def _unusable(exc: BaseException) -> BaseException:
    """An answer the SDK could not deserialize, which JsonAnswerPolicy did not foresee, is a
    malformed page like those it did."""
    if isinstance(exc, DeserializationError):
        detail = " ".join(str(exc.__cause__ or exc).split())[:200] or "no detail"
        return MalformedPage(f"the SDK could not read ARM's answer ({detail})")
    return exc


def _failed(op: str, rid: str, params: dict[str, str], exc: BaseException) -> dict[str, Any]:
    """The record of an observation that failed (an error answer, or a bound reached)."""
    status, code, message = _error_fields(exc)
    return {"resourceId": rid, "operation": op, "parameters": params, "status": status or 0,
            "body": {"error": {"code": code or "Error", "message": message}}}  # fmt: skip


def _type(resource_id: str) -> str:
    parts = resource_id.split("/")
    try:
        i = [p.lower() for p in parts].index("providers")
    except ValueError:
        return ""
    rest = parts[i + 1 :]
    return "/".join([rest[0], *rest[1::2]]).lower()


def _rg(resource_id: str) -> str:
    return resource_id.split("/")[4]


def _of_type(documents: dict[str, dict[str, Any]], type_path: str) -> Iterable[dict[str, Any]]:
    return [d for _, d in sorted(documents.items()) if _type(d["id"]) == type_path]
