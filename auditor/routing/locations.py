"""ExpressRoute peering locations and the Azure regions local to each, as data with its source.

The table is `auditor/data/expressroute_peering_locations.json`, taken from Microsoft's
"ExpressRoute peering locations and connectivity partners" page (its "Local Azure regions"
column: the regions ExpressRoute Local reaches from the location). A location the table does
not hold is unknown, never guessed.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DATA = "expressroute_peering_locations.json"


@cache
def _table() -> dict[str, Any]:
    text = (resources.files("auditor") / "data" / DATA).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _key(name: str) -> str:
    return "".join(name.lower().split())


@cache
def _index() -> dict[str, tuple[str, ...]]:
    return {_key(name): tuple(regions) for name, regions in _table()["locations"].items()}


def local_regions(peering_location: str) -> tuple[str, ...] | None:
    """The ARM region names local to a peering location (empty: none), or None when unknown."""
    return _index().get(_key(peering_location))


def locations_source() -> str:
    """Where the table comes from (the page's URL and the commit it was read at)."""
    source = _table()["source"]
    return f"{source['url']} ({source['repository']}@{source['commit'][:12]})"


def same_region(a: str, b: str) -> bool:
    return _key(a) == _key(b)
