"""`azroute collect`: read everything the model needs from Azure and write a fixture (format v1).

The only module that talks to Azure. It uses azure-identity for credentials and the official
azure-mgmt-* clients for every call, with three policies added to their pipelines: the
read-only guard, a per-subscription token bucket (ARM's published read budget), and
azure-core's own retry policy configured for ARM (it honours `Retry-After` on 429 and retries
5xx and dropped connections with exponential backoff). Long-running POST operations run
concurrently in a bounded pool. Anything that fails is recorded as a coverage gap and the run
goes on.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from auditor.errors import InputError
from auditor.live.policies import ReadOnlyPolicy, ThrottlePolicy, TokenBucket, WriteAttempted
from auditor.live.redact import Anonymizer, redact
from auditor.normalize import SnapshotBuilder
from auditor.routing.tables import effective_signature
from auditor.writer import safe_name, write_snapshot_atomically

PUBLIC_ARM = "https://management.azure.com"

# (fixture folder, list operation on NetworkManagementClient, arguments) per resource group
RG_LISTS: tuple[tuple[str, str, str], ...] = (
    ("virtualNetworks", "virtual_networks", "list"),
    ("virtualNetworkGateways", "virtual_network_gateways", "list"),
    ("connections", "virtual_network_gateway_connections", "list"),
    ("localNetworkGateways", "local_network_gateways", "list"),
    ("expressRouteCircuits", "express_route_circuits", "list"),
    ("routeTables", "route_tables", "list"),
    ("networkInterfaces", "network_interfaces", "list"),
    ("virtualHubs", "virtual_hubs", "list_by_resource_group"),
    ("expressRoutePorts", "express_route_ports", "list_by_resource_group"),
)


@dataclass
class CollectOptions:
    subscriptions: list[str] = field(default_factory=list)
    all_subscriptions: bool = False
    resource_group: str | None = None
    arm_endpoint: str = PUBLIC_ARM
    ca: str | None = None
    effective_routes: str = "per-signature"  # none | per-subnet | per-signature | all
    concurrency: int = 256
    polling_interval: float = 1.0  # seconds between polls when ARM sends no Retry-After
    burst: float = 250
    rate: float = 25
    anonymize: bool = False
    sites: list[dict[str, Any]] = field(default_factory=list)
    name: str = "recorded"
    progress: bool = True


class LocalCredential:
    """Against a loopback endpoint no Azure sign-in is attempted."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("azroute-local", int(time.time()) + 3600)


class SignInFailed(Exception):
    """No credential could sign in: an infrastructure failure (exit 4), not an audit result."""


def is_loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def credential_for(endpoint: str) -> TokenCredential:
    if is_loopback(endpoint):
        return LocalCredential()
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


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
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        message = (
            exc.error.message if exc.error is not None and exc.error.message else str(exc.message or exc)
        )
        return exc.status_code, code, " ".join(message.split())[:300]
    return None, type(exc).__name__, " ".join(str(exc).split())[:300]


class Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.done = 0
        self.total = 0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.total += n
        self.draw()

    def tick(self) -> None:
        with self.lock:
            self.done += 1
        self.draw()

    def draw(self) -> None:
        if self.enabled:
            width = 30
            filled = int(width * self.done / self.total) if self.total else 0
            sys.stderr.write(
                f"\rcollecting [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


class Collector:
    def __init__(self, options: CollectOptions, credential: TokenCredential | None = None) -> None:
        self.options = options
        self.endpoint = options.arm_endpoint.rstrip("/")
        self.credential = credential or credential_for(self.endpoint)
        self.buckets: dict[str, TokenBucket] = {}
        self.progress = Progress(options.progress)
        self._shared_transport: RequestsTransport | None = None
        self.extra_policies: list[Any] = []  # e.g. instrumentation in benchmarks

    # -- clients -----------------------------------------------------------------------------------
    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "base_url": self.endpoint,
            "credential_scopes": [f"{self.endpoint}/.default"],
            # read-only on the wire: redirects are refused (a 3xx is an error, never followed), and the
            # guard also runs on every attempt that leaves the process (retries included)
            "permit_redirects": False,
            "per_retry_policies": [ReadOnlyPolicy()],
            "per_call_policies": [
                ReadOnlyPolicy(),
                ThrottlePolicy(self.buckets, self.options.burst, self.options.rate),
                *self.extra_policies,
            ],
            # azure-core caps each kind of retry separately (3 by default): 8 of each, as documented
            "retry_total": 8,
            "retry_connect": 8,
            "retry_read": 8,
            "retry_status": 8,
            "retry_backoff_factor": 0.2,
            "retry_backoff_max": 30,
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
            adapter = requests.adapters.HTTPAdapter(pool_connections=size, pool_maxsize=size)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            verify: Any = self.options.ca if self.options.ca else True
            self._shared_transport = RequestsTransport(
                session=session, session_owner=False, connection_verify=verify
            )
        return self._shared_transport

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
        return sorted(s.subscription_id for s in client.subscriptions.list() if s.subscription_id)

    # -- the run ------------------------------------------------------------------------------------------
    def collect(self, out: Path) -> CollectResult:
        start = time.monotonic()
        result = CollectResult(out)
        documents: dict[str, dict[str, Any]] = {}  # id (lower) -> ARM document
        records: list[tuple[str, dict[str, Any]]] = []
        self._sign_in()
        try:
            subscriptions = self.subscriptions()
        except AzureError as exc:
            status, code, message = _error_fields(exc)
            result.gaps.append(Gap("/subscriptions", "list subscriptions", status, code, message))
            subscriptions = []
        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            for subscription in subscriptions:
                self._subscription(subscription, pool, documents, records, result)
        self.progress.close()
        result.seconds = time.monotonic() - start
        result.throttle_wait = sum(b.waited for b in self.buckets.values())
        self._write(out, documents, records, result, subscriptions)
        return result

    def _subscription(
        self,
        subscription: str,
        pool: ThreadPoolExecutor,
        documents: dict[str, dict[str, Any]],
        records: list[tuple[str, dict[str, Any]]],
        result: CollectResult,
    ) -> None:
        network = self.network(subscription)
        groups: list[str]
        if self.options.resource_group:
            groups = [self.options.resource_group]
        else:
            try:
                rm = ResourceManagementClient(self.credential, subscription, **self._client_kwargs())
                groups = sorted((g.name for g in rm.resource_groups.list() if g.name), key=str.lower)
            except AzureError as exc:
                status, code, message = _error_fields(exc)
                result.gaps.append(
                    Gap(f"/subscriptions/{subscription}", "list resourceGroups", status, code, message)
                )
                return
        # Lists: one task per (resource group, kind), run in the pool too (they are cheap but many).
        tasks = {}
        for group in groups:
            for folder, attr, method in RG_LISTS:
                tasks[pool.submit(self._list, network, group, attr, method)] = (group, folder)
        self.progress.add(len(tasks))
        for future in as_completed(tasks):
            group, folder = tasks[future]
            self.progress.tick()
            try:
                items = future.result()
            except AzureError as exc:
                status, code, message = _error_fields(exc)
                scope = f"/subscriptions/{subscription}/resourceGroups/{group}"
                result.gaps.append(Gap(scope, f"list {folder}", status, code, message))
                continue
            for i, item in enumerate(items):
                if (
                    not isinstance(item, dict)
                    or not isinstance(item.get("id"), str)
                    or not item["id"].startswith("/")
                ):
                    scope = f"/subscriptions/{subscription}/resourceGroups/{group}"
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
        # Children that ARM does not nest in the parent: Route Server IP configurations and BGP peers.
        for hub in [d for d in documents.values() if _type(d["id"]) == "microsoft.network/virtualhubs"]:
            rg, name = _rg(hub["id"]), hub["id"].rsplit("/", 1)[1]
            for child, operations in (
                ("ipConfigurations", network.virtual_hub_ip_configuration),
                ("bgpConnections", network.virtual_hub_bgp_connections),
            ):
                try:
                    for conf in operations.list(rg, name):
                        item = conf.as_dict()
                        documents[item["id"].lower()] = item
                except AzureError as exc:
                    status, code, message = _error_fields(exc)
                    result.gaps.append(Gap(hub["id"], f"list virtualHubs/{child}", status, code, message))
        ours = {k: v for k, v in documents.items() if k.startswith(f"/subscriptions/{subscription.lower()}/")}
        self._observe(network, ours, pool, records, result)

    def _list(
        self, network: NetworkManagementClient, group: str, attr: str, method: str
    ) -> list[dict[str, Any]]:
        operations = getattr(network, attr)
        return [item.as_dict() for item in getattr(operations, method)(group)]

    # -- observations -------------------------------------------------------------------------------------
    def _observe(
        self,
        network: NetworkManagementClient,
        documents: dict[str, dict[str, Any]],
        pool: ThreadPoolExecutor,
        records: list[tuple[str, dict[str, Any]]],
        result: CollectResult,
    ) -> None:
        jobs: list[tuple[str, str, dict[str, str], Callable[[], Any]]] = []
        self._stands_for: dict[str, list[str]] = {}
        for nic_group in self._nic_choices(documents):
            jobs.append(("effectiveRouteTable", nic_group[0], {}, self._nic_job(network, nic_group)))
        gateways = network.virtual_network_gateways
        circuits = network.express_route_circuits
        for doc in _of_type(documents, "microsoft.network/virtualnetworkgateways"):
            rg, name, rid = _rg(doc["id"]), doc["name"], doc["id"]
            jobs.append(
                ("getLearnedRoutes", rid, {}, partial(_lro, gateways.begin_get_learned_routes, rg, name))
            )
            props = doc.get("properties") or {}
            if props.get("gatewayType", "").lower() == "vpn" and props.get("enableBgp"):
                jobs.append(
                    ("getBgpPeerStatus", rid, {}, partial(_lro, gateways.begin_get_bgp_peer_status, rg, name))
                )
        for doc in _of_type(documents, "microsoft.network/expressroutecircuits"):
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
                            partial(_lro, circuits.begin_list_routes_table, *args),
                        )
                    )
                    jobs.append(
                        ("routeTablesSummary", peering["id"], params,
                         partial(_lro, circuits.begin_list_routes_table_summary, *args))
                    )  # fmt: skip
        # Advertised routes need the neighbours a gateway's BGP peer status lists: they start as soon
        # as that status arrives, while the other operations are still running.
        self.progress.add(len(jobs))
        pending = {pool.submit(self._run, job): job for job in jobs}
        adverts = 0
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
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
                    call = partial(_lro, gateways.begin_get_advertised_routes, rg, name, peer=peer)
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
        for doc in _of_type(documents, "microsoft.network/networkinterfaces"):
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
        groups: dict[tuple[object, ...], list[str]] = {}
        for subnet in snapshot.subnets:
            groups.setdefault(effective_signature(snapshot, subnet), []).append(subnet.id.key)
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
                    return nic, network.network_interfaces.begin_get_effective_route_table(
                        _rg(nic), nic.rsplit("/", 1)[1]
                    ).result()
                except HttpResponseError as exc:  # VM deallocated: try the subnet's next NIC
                    last = exc
                    last.__dict__["azroute_nic"] = nic
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
        except AzureError as exc:
            status, code, message = _error_fields(exc)
            if op == "effectiveRouteTable":
                rid = exc.__dict__.get("azroute_nic", rid)
            return {"resourceId": rid, "operation": op, "parameters": params, "status": status or 0,
                    "body": {"error": {"code": code or "Error", "message": message}}}  # fmt: skip

    # -- writing ---------------------------------------------------------------------------------------------
    def _write(
        self,
        out: Path,
        documents: dict[str, dict[str, Any]],
        records: list[tuple[str, dict[str, Any]]],
        result: CollectResult,
        subscriptions: list[str],
    ) -> None:
        anonymizer = Anonymizer() if self.options.anonymize else None

        def clean(value: Any) -> Any:
            value = redact(value)
            return anonymizer.apply(value) if anonymizer else value

        by_file: dict[str, list[dict[str, Any]]] = {}
        for doc in documents.values():
            parts = doc["id"].split("/")
            folder = next(
                (f for f, _, _ in RG_LISTS if _type(doc["id"]) == f"microsoft.network/{f.lower()}"), None
            )
            if folder is None:
                folder = _type(doc["id"]).split("/", 1)[1].replace("/", "-")
            rel = f"{safe_name(parts[2])}/{safe_name(parts[4])}/{safe_name(folder)}.json"
            by_file.setdefault(rel, []).append(doc)
        arm = {
            clean(rel): {"value": [clean(d) for d in sorted(docs, key=lambda d: d["id"].lower())]}
            for rel, docs in by_file.items()
        }
        result.resources = len(documents)
        seen: set[str] = set()
        operations: dict[str, Any] = {}
        for op, record in sorted(
            records,
            key=lambda r: (r[0], r[1]["resourceId"].lower(), json.dumps(r[1]["parameters"], sort_keys=True)),
        ):
            if record["status"] != 200:
                result.failed_observations += 1
                error = (record.get("body") or {}).get("error") or {}
                params = "".join(f" {k}={v}" for k, v in sorted(record["parameters"].items()))
                result.failed.append(
                    Gap(record["resourceId"], f"observation {op}{params}", record["status"] or None,
                        error.get("code"), error.get("message") or "")
                )  # fmt: skip
            param = record["parameters"].get("peer") or record["parameters"].get("devicePath")
            stem = (
                record["resourceId"].rsplit("/", 1)[1]
                if "/peerings/" not in record["resourceId"]
                else record["resourceId"].split("/")[-3]
            )
            name = safe_name(f"{stem}-{param}" if param else stem)
            rel = f"{safe_name(op)}/{name}.json"
            while rel in seen:
                rel = rel.replace(".json", "-1.json")
            seen.add(rel)
            operations[clean(rel)] = clean(record)
        manifest: dict[str, Any] = {
            "format": "azroute-fixture/1",
            "name": self.options.name,
            "description": f"recorded by azroute collect from {len(subscriptions)} subscription(s)"
            + (f", resource group {self.options.resource_group}" if self.options.resource_group else ""),
            "source": "recorded",
        }
        if self.options.sites:
            manifest["sites"] = self.options.sites
        if result.gaps or result.failed:
            manifest["gaps"] = [
                clean(g.as_dict())
                for g in sorted([*result.gaps, *result.failed], key=lambda g: (g.scope.lower(), g.operation))
            ]
        arm = {safe_path(rel): doc for rel, doc in arm.items()}
        operations = {safe_path(rel): doc for rel, doc in operations.items()}
        write_snapshot_atomically(out, manifest, arm, operations)


def safe_path(relative: str) -> str:
    """A relative path whose every component is a safe file name (anonymization may rename them)."""
    return "/".join(safe_name(part) for part in relative.split("/"))


def _lro(begin: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Start a long-running operation and wait for its result (the poller honours Retry-After)."""
    return begin(*args, **kwargs).result()


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
