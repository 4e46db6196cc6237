"""Bad input, reported as one line naming the file and the JSON path."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from auditor.textsafe import escape


def json_path(loc: Sequence[str | int]) -> str:
    """('properties', 'subnets', 0, 'id') -> `$.properties.subnets[0].id`."""
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


class InputError(Exception):
    """Input the auditor cannot use. `str()` is the one-line message shown to the user."""

    def __init__(self, file: str, path: str, message: str) -> None:
        self.file = file
        self.path = path
        self.message = " ".join(message.split())
        # one line, whatever the file's name or the input held (control/bidi characters escaped)
        super().__init__(escape(f"{file}: {path}: {self.message}"))

    @classmethod
    def from_validation(cls, file: str, base: Sequence[str | int], error: ValidationError) -> InputError:
        errors = error.errors(include_url=False)
        first = errors[0]
        loc = [*base, *(p for p in first["loc"] if not _is_union_tag(p))]
        message = first["msg"]
        if first.get("type") == "missing":
            message = "required field is missing"
        elif "input" in first and not isinstance(first["input"], dict | list):
            message = f"{message} (got {_short(first['input'])})"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        return cls(file, json_path(loc), message)


def _is_union_tag(part: str | int) -> bool:
    # pydantic inserts the name of the tried type (e.g. 'function-plain[...]') into union locations
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
