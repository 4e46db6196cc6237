"""Held-out scenarios written from Microsoft's documentation on which azroute is wrong today.

Each scenario is `fixtures/heldout-candidates/<name>/` (an overlay and a README with the page and
the expected behaviour). The tests state the documented behaviour and are `xfail(strict=True)`:
when the behaviour is fixed they pass, strict xfail turns that into a failure, and the mark must
be removed (and the scenario moved to `fixtures/` with its golden).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import FIXTURES

CANDIDATES = FIXTURES / "heldout-candidates"
runner = CliRunner()


@cache
def _json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    return json.loads(result.stdout)


def pair(name: str, src: str, dst: str) -> dict[str, Any]:
    data = _json("paths", str(CANDIDATES / name), "--from", src, "--to", dst)
    (found,) = data["pairs"]
    assert isinstance(found, dict)
    return found


def hop_names(hops: list[dict[str, Any]]) -> list[str]:
    return [h["name"] for h in hops]


def test_every_candidate_has_a_readme_with_a_microsoft_page() -> None:
    names = sorted(p.parent.name for p in CANDIDATES.glob("*/fixture.json"))
    assert names, "no held-out candidates"
    for name in names:
        text = (CANDIDATES / name / "README.md").read_text(encoding="utf-8")
        assert "https://learn.microsoft.com/" in text and "**Expected.**" in text, name


@pytest.mark.xfail(
    strict=True,
    reason="an on-premises BGP peer on an APIPA address needs a custom Azure APIPA BGP address on the "
    "gateway (169.254.21.0-169.254.22.255); azroute treats the sessions as up and reports nothing",
)
def test_apipa_peer_without_an_azure_apipa_address_is_not_clean() -> None:
    root = str(CANDIDATES / "vpn-apipa-peer-without-custom-ip")
    report = _json("audit", root, "--fail-on", "never")
    named = json.dumps([report["findings"], report["coverage"]["gaps"]])
    flagged = "office-lng" in named or "hub-vpn-gw" in named
    reachable = pair("vpn-apipa-peer-without-custom-ip", "hub-vnet", "office")["reachable"]
    assert flagged or reachable is False


def test_the_apipa_twin_with_custom_addresses_is_clean() -> None:
    """The control for the candidate above: the same design with the Azure APIPA addresses set."""
    report = _json("audit", str(FIXTURES / "heldout" / "vpn-active-active-apipa"), "--fail-on", "never")
    assert report["findings"] == [] and report["coverage"]["complete"] is True
