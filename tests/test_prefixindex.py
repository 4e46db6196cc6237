"""The prefix indexes answer as a scan of every prefix would (they stand behind the routing core's
lookups, so a wrong index is a wrong route)."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.routing.prefixindex import OverlapIndex, PrefixIndex


@st.composite
def networks(draw: st.DrawFn) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Prefixes packed into a few addresses (so that they overlap often), of both families."""
    version = draw(st.sampled_from((4, 4, 6)))
    bits = 32 if version == 4 else 128
    length = draw(st.one_of(st.integers(bits - 6, bits), st.sampled_from((0, 8, bits - 8))))
    base = 0x0A000000 if version == 4 else 0xFD00 << 112
    address = base + draw(st.integers(0, 63))
    return ipaddress.ip_network((address >> (bits - length) << (bits - length), length))


def _overlap(a: object, b: object) -> bool:
    return a.version == b.version and (a.subnet_of(b) or b.subnet_of(a))  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(st.lists(networks(), max_size=12), networks())
def test_indexes_agree_with_a_scan(items: list[object], probe: ipaddress.IPv4Network) -> None:
    overlap = OverlapIndex(items, lambda n: n)  # type: ignore[arg-type,return-value]
    expected = {str(n) for n in items if _overlap(n, probe)}
    assert {str(n) for n in overlap.overlapping(probe)} == expected
    assert overlap.overlaps_any(probe) == bool(expected)
    index = PrefixIndex(items, lambda n: n)  # type: ignore[arg-type,return-value]
    covering = [n for n in items if n.version == probe.version and probe.subnet_of(n)]  # type: ignore[attr-defined]
    assert index.covers(probe) == bool(covering)
    address = probe.network_address
    containing = sorted(
        {n.prefixlen for n in items if n.version == address.version and address in n},  # type: ignore[attr-defined]
        reverse=True,
    )
    assert [g[0].prefixlen for g in index.matches(address)] == containing  # type: ignore[attr-defined]
