"""Untrusted text made safe to print: one rule for every output.

Names, messages and BGP strings come from snapshots and from ARM, and a snapshot is untrusted
input. A name holding `ESC[31m`, a carriage return, a bidi override (U+202E) or a C1 control
(U+0085) must not drive the terminal or reorder what is read. Every character that Python's
`repr()` would escape (`str.isprintable()` is false: categories Cc, Cf, Cs, Co, Cn, Zl, Zp and
Zs other than the ASCII space; this takes in C0 and C1 controls, DEL, the bidi controls U+200E/F,
U+061C, U+202A-U+202E and U+2066-U+2069, and the line separators U+2028/9) is shown as its
escape: `\\x1b`, `\\r`, `\\u202e`, `\\U000e0001`. Backslashes are left alone, so text output is for
reading; JSON output carries the exact value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _one(char: str) -> str:
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape_line(line: str, keep: str) -> str:
    if line.isprintable():  # the common case, in C
        return line
    return "".join(c if c.isprintable() or c in keep else _one(c) for c in line)


def escape(text: str, layout: bool = False) -> str:
    """`text` with every non-printable character escaped.

    `layout=False` (a value: a name, a message) escapes newlines and tabs too, so one value is
    always one line. `layout=True` (a whole rendered output) keeps `\\n` and `\\t`, which are then
    the output's own layout, and escapes the rest."""
    if not layout:
        return _escape_line(text, "")
    return "\n".join(_escape_line(line, "\t") for line in text.split("\n"))


def escape_cells(rows: Iterable[Sequence[object]]) -> list[list[object]]:
    """Table rows with every string cell escaped as a value (before `tabulate` measures them)."""
    return [[escape(c) if isinstance(c, str) else c for c in row] for row in rows]


_JSON_UNSAFE = re.compile(r"[^\n -~]")  # anything but printable ASCII and the layout's newlines


def _json_one(match: re.Match[str]) -> str:
    char = match.group()
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape_json(text: str) -> str:
    """A JSON document from `json.dumps(..., ensure_ascii=False)` with the same characters escaped
    as `\\u` escapes with four hex digits (`\\u202e`); it stays valid JSON that loads to exactly the same values. (Outside strings a JSON
    document has only ASCII and its own newlines, so only string contents change.)"""
    return _JSON_UNSAFE.sub(_json_one, text)


def dot_string(text: str) -> str:
    """A value as the inside of a DOT quoted string: escaped as a value, then `\\` and `"` escaped
    (in DOT a quoted string ends at the first `"` that no `\\` escapes)."""
    return escape(text).replace("\\", "\\\\").replace('"', '\\"')


def mermaid_label(text: str) -> str:
    """A value as the inside of a quoted Mermaid label (`["..."]`): escaped as a value, `"` spelt as
    Mermaid's entity `#quot;` (Mermaid has no backslash escape)."""
    return escape(text).replace('"', "#quot;")
