"""The routing core's one caching style: a value per key, computed on first use by the stage
that owns it and kept as long as that stage (a `ControlPlane`, a `PathFinder`). Typed keys, no
string-keyed memo: what is cached, and by whom, is in the owner's attributes."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerKey(Generic[K, V]):
    """`cache[key]` is `compute(key)`, computed once."""

    __slots__ = ("_compute", "_values")

    def __init__(self, compute: Callable[[K], V]) -> None:
        self._compute = compute
        self._values: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        try:
            return self._values[key]
        except KeyError:
            value = self._values[key] = self._compute(key)
            return value

    def known(self, key: K) -> bool:
        """Whether the value for `key` was computed already."""
        return key in self._values


class LazyMap(Mapping[K, V]):
    """A `PerKey` over a known set of keys: a read-only mapping whose values are computed on first
    access (`in`, `len` and iteration never compute one)."""

    def __init__(self, keys: Mapping[K, object], compute: Callable[[K], V]) -> None:
        self._keys = keys
        self._values: PerKey[K, V] = PerKey(compute)

    def __getitem__(self, key: K) -> V:
        if key not in self._keys:
            raise KeyError(key)
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def known(self, key: K) -> bool:
        """Whether the value was computed already."""
        return self._values.known(key)

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
