"""ARM resource ids: parsed once, compared case-insensitively.

ARM treats resource ids as case-insensitive (`resourceGroups` vs `resourcegroups`,
names typed by hand in different cases). `ArmId` is a `str` that keeps the spelling it
was given (for output) but hashes and compares on its lower-cased form, so it can be
used directly as a dictionary key and in sets.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

# Segments no ARM id has: an empty one (`//`), `.` and `..` (a path trick, never a name ARM gives).
BAD_SEGMENTS = frozenset({"", ".", ".."})


class ArmId(str):
    """An ARM resource id such as
    `/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/V/subnets/X`.
    """

    def __new__(cls, value: str) -> ArmId:
        text = value.strip().rstrip("/")
        if not text.startswith("/"):
            raise ValueError(f"not an ARM resource id (must start with '/'): {value!r}")
        parts = text.split("/")[1:]
        if len(parts) < 2 or parts[0].lower() != "subscriptions" or not parts[1]:
            raise ValueError(f"not an ARM resource id (must start with /subscriptions/<id>): {value!r}")
        if any(part in BAD_SEGMENTS for part in parts):
            raise ValueError(f"not an ARM resource id (empty, '.' or '..' segment): {value!r}")
        arm_id = super().__new__(cls, text)
        # the case-folded form, computed once: every hash and comparison reads it (a
        # `cached_property` would take a lock on each first read, and most ids are hashed)
        arm_id.key = text.lower()
        return arm_id

    # -- identity -------------------------------------------------------------------
    key: str

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArmId):
            return self.key == other.key
        if isinstance(other, str):
            return self.key == other.lower()
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(self.key)

    # -- structure --------------------------------------------------------------------
    @cached_property
    def _segments(self) -> list[str]:
        return self.split("/")[1:]

    @property
    def subscription(self) -> str:
        return self._segments[1]

    @property
    def resource_group(self) -> str | None:
        segs = self._segments
        if len(segs) >= 4 and segs[2].lower() == "resourcegroups":
            return segs[3]
        return None

    @cached_property
    def _provider_index(self) -> int | None:
        for i, seg in enumerate(self._segments):
            if seg.lower() == "providers":
                return i
        return None

    @cached_property
    def type_path(self) -> str | None:
        """`microsoft.network/virtualnetworks/subnets` (lower-case) or None for a scope id."""
        idx = self._provider_index
        if idx is None or idx + 1 >= len(self._segments):
            return None
        rest = self._segments[idx + 1 :]
        namespace, pairs = rest[0], rest[1:]
        types = [pairs[i] for i in range(0, len(pairs), 2)]
        if not types:
            return None
        return "/".join([namespace, *types]).lower()

    @property
    def name(self) -> str:
        return self._segments[-1]

    @cached_property
    def parent(self) -> ArmId | None:
        """The id of the parent resource (a subnet's VNet), or None for a top-level resource."""
        idx = self._provider_index
        if idx is None:
            return None
        rest = self._segments[idx + 2 :]
        if len(rest) <= 2:
            return None
        return ArmId("/" + "/".join(self._segments[:-2]))

    def child(self, child_type: str, name: str) -> ArmId:
        return ArmId(f"{self}/{child_type}/{name}")

    # -- pydantic integration -----------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": "^/subscriptions/", "description": "ARM resource id"}


def sort_key(value: str) -> str:
    """Deterministic, case-insensitive ordering for ids and names."""
    return value.lower()
