"""Longest-prefix-match lookups without scanning every route."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from auditor.model import IPNetwork

T = TypeVar("T")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrefixIndex(Generic[T]):
    """Items keyed by prefix; `matches(address)` yields them longest prefix first."""

    def __init__(self, items: Iterable[T], prefix: Callable[[T], IPNetwork]) -> None:
        self._buckets: dict[tuple[int, int], dict[int, list[T]]] = defaultdict(dict)
        lengths: dict[int, set[int]] = defaultdict(set)
        for item in items:
            net = prefix(item)
            self._buckets[(net.version, net.prefixlen)].setdefault(int(net.network_address), []).append(item)
            lengths[net.version].add(net.prefixlen)
        self._lengths = {v: sorted(ls, reverse=True) for v, ls in lengths.items()}

    def matches(self, address: Address) -> Iterable[list[T]]:
        """Groups of items whose prefix contains the address, longest prefix first."""
        width = address.max_prefixlen
        value = int(address)
        for length in self._lengths.get(address.version, ()):
            shift = width - length
            hit = self._buckets[(address.version, length)].get(
                (value >> shift) << shift if shift < width else 0
            )
            if hit:
                yield hit

    def longest(self, address: Address) -> list[T]:
        return next(iter(self.matches(address)), [])
