"""Close matches for a name the user typed that azroute does not know (options, rule ids, networks)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

SHOWN = 5


def close_matches(given: str, names: Iterable[str], n: int = SHOWN) -> list[str]:
    """Up to `n` of `names` close to `given`, case-insensitively: those that start with it, then
    those that contain it, then difflib's close matches (similarity at least 0.6), each in the
    order given; nothing for a name unlike all of them."""
    unique = list(dict.fromkeys(names))
    lowered = {name.lower(): name for name in reversed(unique)}
    key = given.lower().strip()
    if not key:
        return []
    starts = [name for name in unique if name.lower().startswith(key)]
    contains = [name for name in unique if key in name.lower() and name not in starts]
    similar = [lowered[m] for m in difflib.get_close_matches(key, list(lowered), n=n)]
    return list(dict.fromkeys([*starts, *contains, *similar]))[:n]


def did_you_mean(given: str, names: Iterable[str], n: int = SHOWN) -> str:
    """`; did you mean a, b?` (empty when nothing is close)."""
    close = close_matches(given, names, n)
    return f"; did you mean {', '.join(close)}?" if close else ""
