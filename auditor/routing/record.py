"""Immutable records built by the hundred thousand (routes as each speaker holds them).

`@record` makes a slotted dataclass that the type checker treats as frozen (assigning a field is
an error under mypy, as for `@dataclass(frozen=True)`), hashed and compared by its fields, but
built with plain attribute stores: a frozen dataclass sets every field through
`object.__setattr__`, which makes building one about four times slower (1.3 µs against 0.3 µs for
eleven fields), and a control plane builds several hundred thousand of them on a large estate.
Nothing assigns a field after construction; the one exception is a `__post_init__` filling a
derived field, which uses `object.__setattr__` as it would on a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    return dataclass(slots=True, unsafe_hash=True)(cls)


__all__ = ["record"]
