"""The collector against a hostile or broken endpoint (Hardening II), on the wire: `azroute serve`
with its fault options, and a second TLS listener standing for another origin."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest
from azure.mgmt.network import NetworkManagementClient
from requests.structures import CaseInsensitiveDict

from auditor.fixture import load_fixture
from auditor.live.collector import CollectOptions, Collector, LocalCredential
from auditor.live.policies import ForeignOrigin, RetryAfterPolicy, origin, same_origin
from auditor.live.server import ArmServer
from tests.live_helpers import SUB, TESTBED, _collect_cli, _gaps_of


@pytest.mark.parametrize(
    ("url", "endpoint", "same"),
    [
        ("https://management.azure.com/subscriptions?x=1", "https://management.azure.com", True),
        ("HTTPS://Management.Azure.COM:443/a", "https://management.azure.com/", True),
        ("https://management.azure.com/a", "https://management.azure.com:443", True),
        ("/subscriptions/x?$skiptoken=2", "https://management.azure.com", True),  # relative: the endpoint's
        ("https://management.azure.com:8443/a", "https://management.azure.com", False),
        ("http://management.azure.com/a", "https://management.azure.com", False),
        ("https://management.azure.com.evil.example/a", "https://management.azure.com", False),
        ("https://evil.example/https://management.azure.com/a", "https://management.azure.com", False),
        ("https://management.azure.com@evil.example/a", "https://management.azure.com", False),
        ("//evil.example/a", "https://management.azure.com", False),  # scheme-relative: another host
        ("https://management.azure.com:99999/a", "https://management.azure.com", False),
        ("https://127.0.0.1:8443/a", "https://127.0.0.1:8443", True),
        ("https://127.0.0.1:8444/a", "https://127.0.0.1:8443", False),
        ("https://localhost:8443/a", "https://127.0.0.1:8443", False),  # names are compared, not resolved
    ],
)
def test_origin_comparison(url: str, endpoint: str, same: bool) -> None:
    assert same_origin(url, endpoint) is same


def test_origin_normalises_scheme_host_and_default_port() -> None:
    assert origin("HTTPS://Host.Example") == ("https", "host.example", 443)
    assert origin("https://host.example:443/x") == origin("https://host.example/y")
    assert origin("/relative") is None and origin("https://h:port") is None


def _bundle(tmp_path: Path, *servers: ArmServer) -> str:
    """A CA bundle trusting every server given: only azroute's own rule keeps the token from one."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("".join(Path(s.ca_path).read_text() for s in servers))
    return str(bundle)


def test_a_next_link_to_another_origin_is_a_gap_and_the_token_stays(serve: Any, tmp_path: Path) -> None:
    """Every list page's nextLink names another HTTPS origin (a listener the collector trusts): no
    request reaches it, the first page of each list is kept, each list is a `next-link-foreign`
    gap, and collect exits 3."""
    other = serve()
    home = serve(page_size=1, foreign_origin=other.url)
    result, _ = _collect_cli(
        home, tmp_path / "out", "--resource-group", "rg-hub", ca=_bundle(tmp_path, home, other)
    )
    assert result.exit_code == 3, result.stderr
    assert other.stats["requests"] == 0 and other.stats["authorization"] == 0, dict(other.stats)
    assert home.stats["authorization"] > 0  # the token went where it belongs
    assert "next-link-foreign" in result.stderr and other.url.split("//")[1] in result.stderr
    gaps = _gaps_of(tmp_path / "out", "next-link-foreign")
    assert "list virtualNetworks" in {g["operation"] for g in gaps}
    assert all("the token is sent only to ARM" in g["message"] for g in gaps)
    assert len(load_fixture(tmp_path / "out").vnets) == 1  # the first page is kept


def test_an_operation_link_to_another_origin_is_a_failed_observation(serve: Any, tmp_path: Path) -> None:
    """Every long-running operation answers 202 with `Location` and `Azure-AsyncOperation` on another
    origin: none is polled there; each observation is an `lro-foreign` failure; the lists are whole."""
    other = serve()
    home = serve(foreign_origin=other.url)
    out = tmp_path / "out"
    result, _ = _collect_cli(home, out, "--effective-routes", "all", ca=_bundle(tmp_path, home, other))
    assert result.exit_code == 3, result.stderr
    assert other.stats["requests"] == 0, dict(other.stats)
    gaps = _gaps_of(out, "lro-foreign")
    assert len(gaps) == home.stats["POST"] > 0  # every operation started at ARM, none was followed away
    assert all(g["operation"].startswith("observation ") for g in gaps)
    snapshot = load_fixture(out)
    assert len(snapshot.vnets) == 4 and not snapshot.effective_routes


def test_the_pipeline_never_sends_the_token_to_another_origin(serve: Any, tmp_path: Path) -> None:
    """The guard behind the collector's checks, at the wire: a request built by any SDK client of the
    collection to another origin is refused before it leaves the process; to ARM it goes."""
    other, home = serve(), serve()
    collector = Collector(
        CollectOptions(
            subscriptions=[SUB], arm_endpoint=home.url, ca=_bundle(tmp_path, home, other), progress=False
        ),
        credential=LocalCredential(),
    )
    client: NetworkManagementClient = collector.network(SUB)
    for url in (
        f"{other.url}/subscriptions/{SUB}/resourceGroups",
        other.url.replace("127.0.0.1", "localhost"),
    ):
        with pytest.raises(ForeignOrigin, match=r"only https://127\.0\.0\.1:"):
            client._client.send_request(HttpRequest("GET", url))
    assert other.stats["requests"] == 0, dict(other.stats)
    answer = client._client.send_request(HttpRequest("GET", f"{home.url}/subscriptions/{SUB}/resourceGroups"))
    assert answer.status_code == 200 and home.stats["authorization"] == 1


# -- Hardening II, item 2: bytes are bounded -------------------------------------------------------------
CAP = 8 * 1024 * 1024  # a small --max-response-bytes: the cap, not the machine, stops the bomb


def _others_collected(out: Path, vnets: int = 0) -> None:
    """Everything but the virtualNetworks lists (the hostile answers) was collected whole."""
    snapshot, full = load_fixture(out), load_fixture(TESTBED)
    assert len(snapshot.vnets) == vnets
    for kind in ("gateways", "connections", "local_network_gateways", "circuits", "network_interfaces"):
        assert len(getattr(snapshot, kind)) == len(getattr(full, kind)) > 0, kind


def test_a_gzip_bomb_is_a_gap_and_the_pages_before_are_kept(serve: Any, tmp_path: Path) -> None:
    """Page 2 of a virtualNetworks list is a small gzip body inflating to 4 times the cap: it is read
    only up to the cap, the list is a `response-too-large` gap keeping page 1, the rest is collected."""
    server = serve(page_size=1, hostile_page=2, gzip_bomb=4 * CAP)
    out = tmp_path / "out"
    result, _ = _collect_cli(server, out, "--max-response-bytes", str(CAP), "--effective-routes", "none")
    assert result.exit_code == 3, result.stderr
    assert "list virtualNetworks: 200 response-too-large page 2:" in result.stderr, result.stderr
    (gap,) = _gaps_of(out, "response-too-large")
    assert gap["scope"].endswith("/resourceGroups/rg-hub") and gap["operation"] == "list virtualNetworks"
    assert f"--max-response-bytes ({CAP:,} bytes, decompressed)" in gap["message"]
    assert "the 1 item read before are kept" in gap["message"]
    _others_collected(out, vnets=3)  # hub-vnet (page 1 of rg-hub) and the lists of one VNet


def _peak(server: ArmServer, out: Path) -> tuple[float, list[str]]:
    """The peak of memory allocated while collecting rg-hub from `server` (tracemalloc: every thread,
    the server's few small allocations included), as a share of the cap, and the gaps' codes."""
    options = CollectOptions(subscriptions=[SUB], arm_endpoint=server.url, ca=server.ca_path, progress=False,
                             resource_groups=["rg-hub"], effective_routes="none", max_response_bytes=CAP)  # fmt: skip
    collector = Collector(options, credential=LocalCredential())
    tracemalloc.start()
    try:
        result = collector.collect(out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / CAP, sorted(g.code or "" for g in result.gaps)


def test_peak_memory_is_bounded_by_the_cap(serve: Any, tmp_path: Path) -> None:
    """The collector's peak memory on a gzip page inflating to exactly the cap (read and parsed) and
    to 4 times it (refused at the cap): their ratios to the cap are the ones docs/live.md states."""
    at, past = serve(gzip_bomb=CAP), serve(gzip_bomb=4 * CAP)
    (at_ratio, at_gaps), (past_ratio, past_gaps) = _peak(at, tmp_path / "at"), _peak(past, tmp_path / "past")
    print(f"peak memory / --max-response-bytes ({CAP} bytes): at {at_ratio:.2f}, past {past_ratio:.2f}")
    assert at_gaps == [] and past_gaps == ["response-too-large"], (at_gaps, past_gaps)
    assert past_ratio < 1.5  # the read stops at the cap: never the 4x the bomb inflates to
    assert at_ratio < 4  # the body, azure-core's copy of it and its text


# -- Hardening II, item 3: no answer aborts a collection ------------------------------------------------
@pytest.mark.parametrize(
    ("options", "code", "detail"),
    [
        ({"html_body": True}, "not-json", "ARM's answer (200, text/html, 178 bytes) is not JSON"),
        (
            {"value_not_list": True},
            "malformed-page",
            "ARM's answer (200) is malformed: its 'value' is a number, not a list",
        ),
    ],
    ids=["html-body", "value-not-list"],
)
def test_an_unusable_page_is_a_gap_naming_the_list(
    serve: Any, tmp_path: Path, options: dict[str, Any], code: str, detail: str
) -> None:
    """Page 2 of a virtualNetworks list is a proxy's HTML page (200, text/html), or `{"value": 5}`:
    the list is a gap with the items of page 1 kept, everything else is collected, exit 3."""
    server = serve(page_size=1, hostile_page=2, **options)
    out = tmp_path / "out"
    result, _ = _collect_cli(server, out, "--effective-routes", "none")
    assert result.exit_code == 3, result.stderr
    assert "internal error" not in result.stderr
    assert f"list virtualNetworks: 200 {code} page 2: {detail}" in result.stderr, result.stderr
    (gap,) = _gaps_of(out, code)
    assert gap["scope"].endswith("/resourceGroups/rg-hub") and gap["operation"] == "list virtualNetworks"
    assert "the 1 item read before are kept" in gap["message"]
    _others_collected(out, vnets=3)


def test_an_unparsable_retry_after_falls_back_to_the_backoff(serve: Any, tmp_path: Path) -> None:
    """Every virtualNetworks list answers 429 with `Retry-After: soon`: azure-core's exponential
    backoff applies (each is retried --retries times, quickly), then each list is a gap with ARM's
    status and code; everything else is collected, exit 3."""
    server = serve(retry_after_text="soon")
    out = tmp_path / "out"
    result, seconds = _collect_cli(server, out, "--effective-routes", "none", "--retries", "2")
    assert result.exit_code == 3, result.stderr
    assert "internal error" not in result.stderr
    assert "list virtualNetworks: 429 TooManyRequests" in result.stderr, result.stderr
    gaps = _gaps_of(out, "TooManyRequests")
    assert {g["operation"] for g in gaps} == {"list virtualNetworks"} and len(gaps) == 4  # one per group
    assert server.stats["hostile"] == 4 * 3 and seconds < 10, (dict(server.stats), seconds)
    _others_collected(out)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("5", "5"),
        ("soon", None),  # azure-core cannot parse it: removed, the backoff (or polling interval) applies
        ("Mon, 32 Foo 2024 25:00:00 GMT", None),
        ("nan", "0"),  # azure-core reads it as 0
        ("1.5", "2"),  # whole seconds: the SDK reads a 202's Retry-After as an integer
        ("Thu, 01 Jan 1970 00:00:00 GMT", "0"),  # a date past
        ("inf", str(RetryAfterPolicy.LONGEST)),  # endless: --max-retry-after refuses it
    ],
)
def test_retry_after_is_read_as_azure_core_reads_it(sent: str, kept: str | None) -> None:
    headers = CaseInsensitiveDict({"Retry-After": sent, "x-ms-retry-after-ms": sent})
    response = PipelineResponse(None, SimpleNamespace(headers=headers), PipelineContext(None))
    RetryAfterPolicy().on_response(PipelineRequest(None, PipelineContext(None)), response)  # type: ignore[arg-type]
    assert headers.get("Retry-After") == kept
    assert headers.get("x-ms-retry-after-ms") == (None if kept is None else sent)
