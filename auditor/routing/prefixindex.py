"""Longest-prefix-match lookups without scanning every route."""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property
from itertools import accumulate
from operator import itemgetter
from typing import Generic, TypeVar

from auditor.model import IPNetwork

T = TypeVar("T")
_RANGE = itemgetter(0, 1)  # a row's first and last address
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def prefix_key(prefix: IPNetwork) -> tuple[int, int, int]:
    """Sort key for prefixes: family, then address, then length (computed each time: cheaper than
    a cache lookup, which hashes the prefix, and no cache to outgrow on large estates)."""
    return (prefix.version, int(prefix.network_address), prefix.prefixlen)


def keys_inside(keys: list[tuple[int, int, int]], spaces: Iterable[IPNetwork]) -> set[tuple[int, int, int]]:
    """The prefix keys of a sorted list (`prefix_key` order, as a domain's table and a circuit's
    are kept) that equal or lie inside one of the spaces: per space, those starting within it that
    are at least as long, found by bisection."""
    found: set[tuple[int, int, int]] = set()
    for space in spaces:
        lo = int(space.network_address)
        start = bisect_left(keys, (space.version, lo, 0))
        end = bisect_right(keys, (space.version, _last(space, lo), space.max_prefixlen))
        found.update(k for k in keys[start:end] if k[2] >= space.prefixlen)
    return found


class PrefixIndex(Generic[T]):
    """Items keyed by prefix; `matches(address)` yields them longest prefix first."""

    def __init__(self, items: Iterable[T], prefix: Callable[[T], IPNetwork]) -> None:
        self.items: list[T] = list(items)
        groups: dict[tuple[int, int, int], list[T]] = {}
        for item in self.items:
            key = prefix_key(prefix(item))
            group = groups.get(key)
            if group is None:
                groups[key] = [item]
            else:
                group.append(item)
        self._index(groups)

    @classmethod
    def by_key(cls, items: Iterable[T], key: Callable[[T], tuple[int, int, int]]) -> PrefixIndex[T]:
        """Items whose prefix key (`prefix_key`: family, first address, length) they
        carry already: nothing is read from the prefix itself."""
        groups: dict[tuple[int, int, int], list[T]] = {}
        for item in items:
            k = key(item)
            group = groups.get(k)
            if group is None:
                groups[k] = [item]
            else:
                group.append(item)
        return cls.of_groups(groups)

    @classmethod
    def of_groups(cls, groups: dict[tuple[int, int, int], list[T]]) -> PrefixIndex[T]:
        """Items grouped by prefix key already (the lists are shared with the caller, not copied:
        neither side may change them)."""
        index = cls.__new__(cls)
        index.items = [item for group in groups.values() for item in group]
        index._index(groups)
        return index

    def _index(self, groups: dict[tuple[int, int, int], list[T]]) -> None:
        buckets: dict[tuple[int, int], dict[int, list[T]]] = {}
        for (version, start, length), group in groups.items():
            bucket = buckets.get((version, length))
            if bucket is None:
                bucket = buckets[(version, length)] = {}
            bucket[start] = group
        lengths: dict[int, list[int]] = {}
        for version, length in buckets:
            lengths.setdefault(version, []).append(length)
        # per address family, longest prefix first: (length, bits to clear, the prefixes by start)
        self._probes: dict[int, list[tuple[int, int, dict[int, list[T]]]]] = {
            version: [
                (length, (32 if version == 4 else 128) - length, buckets[(version, length)])
                for length in sorted(ls, reverse=True)
            ]
            for version, ls in lengths.items()
        }

    def levels(self, version: int) -> list[tuple[int, int, dict[int, list[T]]]]:
        """The index itself, for a caller merging it with another: per prefix length present,
        longest first, (length, bits to clear from an address, the groups by first address)."""
        return self._probes.get(version, [])

    def matches(self, address: Address) -> Iterable[list[T]]:
        """Groups of items whose prefix contains the address, longest prefix first."""
        value = int(address)
        for _, shift, bucket in self._probes.get(address.version, ()):
            hit = bucket.get((value >> shift) << shift)
            if hit:
                yield hit

    def longest(self, address: Address) -> list[T]:
        value = int(address)
        for _, shift, bucket in self._probes.get(address.version, ()):
            hit = bucket.get((value >> shift) << shift)
            if hit:
                return hit
        return []

    def covering(self, prefix: IPNetwork) -> Iterable[list[T]]:
        """Groups of items whose prefix equals or contains `prefix`, longest prefix first."""
        value = int(prefix.network_address)
        within = prefix.prefixlen
        for length, shift, bucket in self._probes.get(prefix.version, ()):
            if length > within:
                continue
            hit = bucket.get((value >> shift) << shift)
            if hit:
                yield hit

    def covers(self, prefix: IPNetwork) -> bool:
        """Some indexed prefix equals or contains `prefix`."""
        value = int(prefix.network_address)
        within = prefix.prefixlen
        for length, shift, bucket in self._probes.get(prefix.version, ()):
            if length <= within and bucket.get((value >> shift) << shift):
                return True
        return False


class OverlapIndex(Generic[T]):
    """Items keyed by prefix; `overlapping(prefix)` finds every item whose prefix overlaps it."""

    def __init__(self, items: Iterable[T], prefix: Callable[[T], IPNetwork]) -> None:
        self._prefix = prefix
        self.items: list[T] = list(items)
        by_version: dict[int, list[tuple[int, int, T]]] = defaultdict(list)
        for item in self.items:
            net = prefix(item)
            start = int(net.network_address)
            last = start | ((1 << (net.max_prefixlen - net.prefixlen)) - 1)  # `_last`, inlined
            by_version[net.version].append((start, last, item))
        self._starts = {v: sorted(rows, key=_RANGE) for v, rows in by_version.items()}
        self._keys = {v: [r[0] for r in rows] for v, rows in self._starts.items()}

    @cached_property
    def _containing(self) -> PrefixIndex[T]:
        """The items by prefix, for the ones containing a prefix (`overlaps_any` needs none)."""
        return PrefixIndex(self.items, self._prefix)

    def overlapping(self, net: IPNetwork) -> list[T]:
        """Items containing `net` or inside it."""
        found = [item for group in self._containing.matches(net.network_address) for item in group]
        rows, keys = self._starts.get(net.version, []), self._keys.get(net.version, [])
        lo = int(net.network_address)
        hi = _last(net, lo)
        for start, _end, item in rows[bisect_left(keys, lo) : bisect_right(keys, hi)]:
            if self._prefix(item).prefixlen > net.prefixlen or start > lo:
                found.append(item)
        unique: dict[int, T] = {id(i): i for i in found}
        return list(unique.values())

    @cached_property
    def _reach(self) -> dict[int, list[int]]:
        """Per version, the furthest last address of the items starting at or before each row."""
        return {v: list(accumulate((r[1] for r in rows), max)) for v, rows in self._starts.items()}

    def overlaps_any(self, net: IPNetwork) -> bool:
        """Some item's prefix overlaps `net` (without building the list): an item overlaps it when
        it starts at or before net's last address and ends at or after its first."""
        keys = self._keys.get(net.version)
        if not keys:
            return False
        lo = int(net.network_address)
        hi = _last(net, lo)
        before = bisect_right(keys, hi)
        return before > 0 and self._reach[net.version][before - 1] >= lo


def _last(net: IPNetwork, start: int) -> int:
    """The prefix's last address as an integer (`broadcast_address` builds an address object)."""
    return start | ((1 << (net.max_prefixlen - net.prefixlen)) - 1)
