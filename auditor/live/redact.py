"""Secrets never reach a fixture, a log or a report; `--anonymize` also hides who and where."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Any

# Properties that carry secrets in Microsoft.Network resources (and their children).
SECRET_KEYS = re.compile(
    r"^(sharedKey|authorizationKey|serviceKey|primaryKey|secondaryKey|psk|presharedKey|password|secret|"
    r"publicCertData|certificateData|privateKey|cak|ckn)$|(key|secret|password|passphrase)$",
    re.IGNORECASE,
)
NOT_SECRET = {"routingregistryname", "peeringkey", "resourcekey"}


def redact(value: Any) -> Any:
    """A copy without any secret-bearing property, at any depth."""
    if isinstance(value, dict):
        return {
            k: redact(v)
            for k, v in value.items()
            if not (isinstance(k, str) and SECRET_KEYS.search(k) and k.lower() not in NOT_SECRET)
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\d.])")


class Anonymizer:
    """Consistent replacement of subscription/tenant GUIDs and public IPv4 addresses.

    Public addresses are mapped prefix-preservingly (two addresses that share their first n bits
    still share their first n bits afterwards), so routing semantics survive; private, shared
    (100.64/10) and link-local addresses are kept as they are.
    """

    def __init__(self, key: str = "azroute") -> None:
        self._key = key.encode()
        self._guids: dict[str, str] = {}

    def guid(self, value: str) -> str:
        low = value.lower()
        if low not in self._guids:
            digest = hashlib.sha256(self._key + low.encode()).hexdigest()
            self._guids[low] = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        return self._guids[low]

    def ipv4(self, value: str) -> str:
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError:
            return value
        if not address.is_global:
            return value
        bits = int(address)
        out = 0
        for i in range(32):
            prefix = bits >> (32 - i) if i else 0
            flip = hashlib.sha256(self._key + f"{i}:{prefix}".encode()).digest()[0] & 1
            out = (out << 1) | (((bits >> (31 - i)) & 1) ^ flip)
        mapped = ipaddress.IPv4Address(out)
        return str(mapped)

    def text(self, value: str) -> str:
        value = GUID.sub(lambda m: self.guid(m.group(0)), value)
        return IPV4.sub(self._address, value)

    def _address(self, match: re.Match[str]) -> str:
        mapped = self.ipv4(match.group(1))
        if match.group(2) is None:
            return mapped
        length = int(match.group(2)[1:])
        if length > 32 or mapped == match.group(1):
            return match.group(0)
        network = ipaddress.IPv4Network(f"{mapped}/{length}", strict=False)
        return str(network)

    def apply(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.apply(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.apply(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
