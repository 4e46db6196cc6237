"""Walks `../shared/conformance/`: REST-spec examples and recorded ARM traffic (vcrpy YAML).

Yields every response body of the kinds the model reads, as `(label, kind, payload)`:
`kind` is "document" (an ARM GET/PUT body: a resource or a list page) or an operation name
(the final body of a read-only long-running POST, found by following its Location header).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from auditor.model import Operation

# REST-spec example file -> what its 200 body is.
EXAMPLE_OPERATIONS = {
    "NetworkInterfaceEffectiveRouteTableList": Operation.EFFECTIVE_ROUTE_TABLE,
    "VirtualNetworkGatewayLearnedRoutes": Operation.GET_LEARNED_ROUTES,
    "VirtualNetworkGatewayGetAdvertisedRoutes": Operation.GET_ADVERTISED_ROUTES,
    "VirtualNetworkGatewayGetBGPPeerStatus": Operation.GET_BGP_PEER_STATUS,
    "ExpressRouteCircuitRouteTableList": Operation.ROUTE_TABLES,
    "ExpressRouteCircuitRouteTableSummaryList": Operation.ROUTE_TABLES_SUMMARY,
    "ExpressRouteCircuitARPTableList": Operation.ARP_TABLES,
}
# Example files whose bodies are results of operations the model does not read.
EXAMPLE_OTHER_OPERATIONS = {
    "EffectiveRoutesListForVirtualHub",
    "EffectiveRoutesListForConnection",
    "VirtualNetworkGatewayGetRoutesInformation",
    "VirtualRouterPeerListLearnedRoute",
    "VirtualRouterPeerListAdvertisedRoute",
    "GetInboundRoutes",
}
URI_OPERATIONS = {op.value.lower(): op for op in Operation}
# libyaml's safe loader where PyYAML was built with it (the same documents, ten times faster)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NETWORK = re.compile(r"/providers/microsoft\.network/", re.I)
# ARM paths under Microsoft.Network whose bodies are not resource documents: LRO status
# (`locations/{region}/operations/...`), actions, statistics and secrets.
NOT_A_RESOURCE = re.compile(
    r"/microsoft\.network/locations/|/(checkipaddressavailability|stats|sharedkey|supportedvpndevices)$", re.I
)


def conformance_dir() -> Path | None:
    env = os.environ.get("AZROUTE_CONFORMANCE_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "conformance"
        if candidate.is_dir():
            return candidate
    return None


def iter_examples(root: Path) -> Iterator[tuple[str, str, Any]]:
    for file in sorted((root / "arm-examples").rglob("*.json")):
        doc = json.loads(file.read_text(encoding="utf-8"))
        body = doc.get("responses", {}).get("200", {}).get("body")
        if body is None:
            continue
        label = str(file.relative_to(root))
        if file.stem in EXAMPLE_OPERATIONS:
            params = doc.get("parameters", {})
            resource_id = _example_resource_id(params, EXAMPLE_OPERATIONS[file.stem])
            extra = {k: str(params[k]) for k in ("devicePath", "peer") if k in params}
            yield (
                label,
                EXAMPLE_OPERATIONS[file.stem].value,
                {
                    "resourceId": resource_id,
                    "parameters": extra,
                    "body": body,
                },
            )
        elif file.stem not in EXAMPLE_OTHER_OPERATIONS:
            yield label, "document", body


def _example_resource_id(params: dict[str, Any], op: Operation) -> str:
    base = f"/subscriptions/{params.get('subscriptionId', 'sub')}/resourceGroups/{params.get('resourceGroupName', 'rg')}"
    base += "/providers/Microsoft.Network"
    if op is Operation.EFFECTIVE_ROUTE_TABLE:
        return f"{base}/networkInterfaces/{params.get('networkInterfaceName', 'nic')}"
    if op.target_type.endswith("virtualnetworkgateways"):
        return f"{base}/virtualNetworkGateways/{params.get('virtualNetworkGatewayName', 'gw')}"
    return f"{base}/expressRouteCircuits/{params.get('circuitName', 'c')}/peerings/{params.get('peeringName', 'p')}"


def iter_recordings(root: Path) -> Iterator[tuple[str, str, Any]]:
    files = sorted((root / "cli-recordings").rglob("*.yaml")) + sorted(
        (root / "sdk-recordings").rglob("*.yaml")
    )
    for file in files:
        cassette = yaml.load(file.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        pending: dict[str, tuple[Operation, str, dict[str, str]]] = {}
        for n, interaction in enumerate(cassette.get("interactions", [])):
            request, response = interaction["request"], interaction["response"]
            method, uri = request["method"].upper(), request["uri"]
            path = uri.split("?")[0]
            status = response["status"]["code"]
            label = f"{file.relative_to(root)}#{n} {method} {path.split('/providers/')[-1][:80]}"
            if method == "POST" and NETWORK.search(path):
                op = _uri_operation(path)
                if op is None:
                    continue
                resource_id, params = _operation_target(path, op)
                headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
                for header in ("location", "azure-asyncoperation"):
                    for value in headers.get(header, []):
                        pending[value] = (op, resource_id, params)
                continue
            if method != "GET" and method not in ("PUT", "PATCH"):
                continue
            body = _json_body(response)
            if body is None or status not in (200, 201):
                continue
            if uri in pending:
                op, resource_id, params = pending[uri]
                if isinstance(body, dict) and set(body) <= {
                    "status",
                    "name",
                    "startTime",
                    "endTime",
                    "error",
                    "id",
                }:
                    continue  # an Azure-AsyncOperation status document, not the result
                yield label, op.value, {"resourceId": resource_id, "parameters": params, "body": body}
            elif NETWORK.search(path) and not NOT_A_RESOURCE.search(path):
                yield label, "document", body


def _uri_operation(path: str) -> Operation | None:
    parts = path.rstrip("/").split("/")
    last = parts[-1].lower()
    if last in URI_OPERATIONS:
        return URI_OPERATIONS[last]
    if len(parts) >= 2 and parts[-2].lower() in URI_OPERATIONS:  # .../routeTables/{devicePath}
        return URI_OPERATIONS[parts[-2].lower()]
    return None


def _operation_target(path: str, op: Operation) -> tuple[str, dict[str, str]]:
    rid = "/" + path.split("/", 3)[3]  # drop scheme and host
    parts = rid.rstrip("/").split("/")
    params: dict[str, str] = {}
    if parts[-1].lower() == op.value.lower():
        parts = parts[:-1]
    else:
        params["devicePath"] = parts[-1]
        parts = parts[:-2]
    if op is Operation.GET_ADVERTISED_ROUTES:
        params["peer"] = "recorded"
    return "/".join(parts), params


def _json_body(response: dict[str, Any]) -> Any:
    text = (response.get("body") or {}).get("string")
    if not text or not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def iter_corpus(root: Path) -> Iterator[tuple[str, str, Any]]:
    yield from iter_examples(root)
    yield from iter_recordings(root)
