"""Secrets never reach a fixture, a log or a report (`--anonymize`, which also hides who and
where, is `auditor.anonymize`)."""

from __future__ import annotations

import re
from typing import Any

# Properties that carry secrets in Microsoft.Network resources (and their children).
SECRET_KEYS = re.compile(
    r"^(sharedKey|authorizationKey|serviceKey|primaryKey|secondaryKey|psk|presharedKey|password|secret|"
    r"publicCertData|certificateData|privateKey|cak|ckn)$|(key|secret|password|passphrase)$",
    re.IGNORECASE,
)
NOT_SECRET = {"routingregistryname", "peeringkey", "resourcekey"}


def is_secret(key: object) -> bool:
    """Whether a property of that name carries a secret (the one list: collection, the written
    snapshot and the Terraform adapter's ARM bodies all ask here)."""
    return isinstance(key, str) and bool(SECRET_KEYS.search(key)) and key.lower() not in NOT_SECRET


def redact(value: Any) -> Any:
    """A copy without any secret-bearing property, at any depth."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if not is_secret(k)}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
