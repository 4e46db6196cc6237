"""`collect --anonymize` and `azroute anonymize`: a copy of a snapshot that hides who and where
and keeps everything routing depends on. docs/live.md ("Anonymization") lists exactly what is
hidden and what is kept; tests/test_anonymize.py audits every scenario before and after.

- Addresses: one prefix-preserving bijection per family, Crypto-PAn (AES-128, the maintained
  `yacryptopan`, IPv4 and IPv6), with no bit flipped on the way from the root of the address tree
  to a special block. So private (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10) and
  link-local (169.254/16, fe80::/10; Azure's APIPA blocks 169.254.21/24 and 169.254.22/24 within
  it) addresses stay in their block, public ones stay public, the
  Azure platform addresses (168.63.129.16, 169.254.169.254), 0/8, loopback, multicast and
  224/3 (masks, broadcast) are kept, and for any two prefixes containment and overlap are exactly
  what they were, across block boundaries too (a prefix holding a block, 10.0.0.0/7 or
  0.0.0.0/0, is kept as it is). Prefix lengths are kept; the numeric order of addresses is not.
- Names: resource group, resource, site and non-GUID subscription names become
  `<kind>-<8 hex>`: HMAC-SHA256 of (resource type, lower-cased name), the same everywhere (ids,
  `name`, `sites`, operation `resourceId`s and file names), unique case-insensitively. The
  reserved names routing depends on (`GatewaySubnet`, `AzurePrivatePeering`, ...) are kept.
- GUIDs (subscriptions, tenants, `resourceGuid`) become other GUIDs (HMAC).
- Strings the model reads (enums, regions, peering locations, SKUs, AS paths) are kept, with the
  addresses and ids inside them mapped; `fqdn` becomes `host-<hex>.invalid`; every other string
  becomes `hidden-<hex>` (equal stays equal); `tags` and descriptions are dropped.
- Object keys: mapped as the same value would be when they are an id, a GUID, an address, a MAC
  or a host name, or sit in a map ARM keys by id or name (`userAssignedIdentities`); property names
  are kept.
- Free text (error messages, collect's stderr): ids, GUIDs, addresses, MAC and e-mail addresses,
  host names, URLs, known names and every quoted value that is not one of those are replaced.

The key is the user's (`--key-file`: the same key gives the same mapping, so snapshots taken at
different times compare) or random per run, kept in memory and never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import stat
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasPath, BaseModel
from yacryptopan import CryptoPAn

from auditor.fixture import load_fixture, read_source
from auditor.live.redact import redact
from auditor.model import (
    FIXTURE_FORMAT,
    ArpEntry,
    BgpPeerStatus,
    CircuitRoute,
    CircuitRouteSummary,
    EffectiveRoute,
    FixtureManifest,
    GatewayRoute,
    kinds,
)
from auditor.model.kinds import MODELLED
from auditor.writer import (
    UnsafePath,
    document_resources,
    flatten_documents,
    place_operations,
    write_snapshot_atomically,
)

MIN_KEY_BYTES = 16

# -- addresses -----------------------------------------------------------------------------------------

WITHIN = {  # mapped onto themselves: the block's bits are kept, the rest is encrypted
    # 169.254.21.0/24 and 169.254.22.0/24: Azure's APIPA range for VPN BGP (BGP008 reads it)
    4: (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "169.254.21.0/24",
        "169.254.22.0/24",
    ),
    6: ("fc00::/7", "fe80::/10"),
}
KEPT = {  # kept as they are
    4: ("0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/3", "168.63.129.16/32", "169.254.169.254/32"),
    6: ("::/127", "ff00::/8"),
}


@dataclass(frozen=True)
class _Block:
    base: int
    length: int
    kept: bool


class AddressMap:
    """Crypto-PAn restricted so that the special blocks map onto themselves.

    Crypto-PAn flips bit i of an address by a keyed function of bits 0..i-1, which is what makes it
    prefix-preserving. Here bit i is not flipped when bits 0..i-1 are a proper prefix of a special
    block (or lie inside a kept one); that is again a function of bits 0..i-1, so the result is still
    a prefix-preserving bijection, it maps every block onto itself and everything outside the
    blocks outside them."""

    def __init__(self, key: bytes) -> None:
        self._pan = CryptoPAn(key)
        self._blocks: dict[int, list[_Block]] = {}
        for version in (4, 6):
            blocks = [(net, False) for net in WITHIN[version]] + [(net, True) for net in KEPT[version]]
            self._blocks[version] = [
                _Block(int(n.network_address), n.prefixlen, kept)
                for text, kept in blocks
                for n in [ipaddress.ip_network(text)]
            ]
        self._cache: dict[tuple[int, int], int] = {}

    def kept_bits(self, value: int, version: int) -> int:
        """How many leading bits of `value` are never flipped (a function of those bits alone)."""
        bits = 32 if version == 4 else 128
        kept = 0
        for block in self._blocks[version]:
            common = bits - (value ^ block.base).bit_length()  # leading bits shared with the block
            if common >= block.length:
                if block.kept:
                    return bits
                kept = max(kept, block.length)
            else:
                kept = max(kept, common + 1)
        return kept

    def map(self, value: int, version: int) -> int:
        cached = self._cache.get((version, value))
        if cached is not None:
            return cached
        bits = 32 if version == 4 else 128
        keep = self.kept_bits(value, version)
        out = value
        if keep < bits:
            flips = int(self._pan.anonymize_bin(value, version)) ^ value
            out = value ^ (flips & ((1 << (bits - keep)) - 1))
        self._cache[(version, value)] = out
        return out


# -- names -------------------------------------------------------------------------------------------------

KIND_PREFIX: dict[str, str] = {  # resource type -> readable prefix of its anonymized names
    "site": "site",
    "subscriptions": "sub",
    "resourcegroups": "rg",
    **{kind.type_path: kind.prefix for kind in kinds.ALL if kind.prefix is not None},
}
CHILD_PREFIX = {"ipconfigurations": "ipconf", "bgpconnections": "bgpc", "peerings": "peer", "links": "link"}
ROUTE = kinds.ROUTE.type_path  # an effective route's `name` is its user route's
# Names routing depends on: kept as they are.
RESERVED: dict[str, frozenset[str]] = {
    kind.type_path: kind.reserved_names for kind in kinds.ALL if kind.reserved_names
}
RESERVED_WORDS = sorted({n for names in RESERVED.values() for n in names})
# ... and in free text, the resource types (`'virtualNetworks'` in an ARM message names nothing)
TYPE_WORDS = sorted({seg for kind in KIND_PREFIX if "/" in kind for seg in kind.split("/")[1:]})

# -- strings -----------------------------------------------------------------------------------------------


def _model_keys() -> frozenset[str]:
    """Every JSON key the model reads (resource and observation models, nested ones included)."""
    keys: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield annotation
        for arg in typing.get_args(annotation):
            yield from models_in(arg)

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        generator = model.model_config.get("alias_generator")
        for name, field in model.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasPath):
                keys.update(p for p in alias.path if isinstance(p, str))
            elif isinstance(alias, str):
                keys.add(alias)
            elif field.alias:
                keys.add(field.alias)
            elif callable(generator):
                keys.add(str(generator(name)))
            else:
                keys.add(name)
            for sub in models_in(field.annotation):
                visit(sub)

    for kind in MODELLED.values():
        visit(kind.model)
    for model in (EffectiveRoute, GatewayRoute, BgpPeerStatus, CircuitRoute, CircuitRouteSummary, ArpEntry):
        visit(model)
    return frozenset(keys)


# String properties kept (with the ids, GUIDs, addresses and MAC addresses in them mapped): what the
# model reads, plus what the loader reads besides (`type`, `authorizationUseStatus`) and the
# operation records' own fields. `name` and `fqdn` are read too, and renamed. docs/live.md lists
# them (a test checks): a property the model starts reading is kept from then on, and documented.
KEPT_KEYS = (
    _model_keys() | {"type", "authorizationUseStatus", "operation", "devicePath", "code", "status"}
) - {"name", "fqdn", "id"}  # an id that is an ARM id is mapped, any other is hidden
HOST_KEYS = frozenset({"fqdn"})
FREE_TEXT_KEYS = frozenset({"message", "nextLink"})
DROPPED_KEYS = frozenset({"tags"})
# Maps ARM keys by an id or a name, not by property names: every key in them is mapped (an id,
# GUID or address as a value would be, anything else hidden). `tags`, the other one on the types
# azroute collects (azure-mgmt-network's models), is dropped whole.
KEYED_MAPS = frozenset({"userAssignedIdentities"})

_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
GUID = re.compile(_GUID)
_ADDRESSES = (
    r"(?P<arm>/subscriptions/[^\s'\"<>]+)"
    rf"|(?P<guid>(?<![0-9A-Fa-f]){_GUID}(?![0-9A-Fa-f]))"
    r"|(?P<mac>(?<![\w:-])[0-9A-Fa-f]{2}(?P<sep>[:-])(?:[0-9A-Fa-f]{2}(?P=sep)){4}[0-9A-Fa-f]{2}(?![\w:-]))"
    r"|(?P<ip6>(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?"
    r"(?:/\d{1,3})?(?![\w:]))"
    r"|(?P<ip4>(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?!\w|\.\d))"
)
EMBEDDED = re.compile(_ADDRESSES)  # inside kept strings: "10.0.0.4,10.0.0.5"
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
HOST = re.compile(_HOST)
_FREE_HEAD = (
    r"(?P<url>\bhttps?://[^\s'\"<>]+)"
    r"|(?P<email>(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}\b)|"
)
_FREE_TAIL = (
    r"|(?P<provider>\bMicrosoft\.[A-Za-z]+(?:/[\w.()-]+)*(?![\w.-]))"
    r"|(?P<quoted>(?<!\w)(?P<q>['\"])(?P<qin>[^'\"\n]{1,300})(?P=q)(?!\w))"
    rf"|(?P<reserved>(?<![\w.-])(?:{'|'.join([*RESERVED_WORDS, *TYPE_WORDS])})(?![\w-]))"
    r"{names}"
    rf"|(?P<host>(?<![\w.@-]){_HOST}(?![\w-]))"
)
KEPT_HOSTS = frozenset(
    {
        "management.azure.com",
        "login.microsoftonline.com",
        "login.windows.net",
        "sts.windows.net",
        "management.core.windows.net",
        "management.usgovcloudapi.net",
        "management.chinacloudapi.cn",
        "graph.microsoft.com",
        "learn.microsoft.com",
        "docs.microsoft.com",
        "aka.ms",
        "localhost",
    }
)
NOT_HOSTS = frozenset({"json", "yaml", "yml", "md", "py", "txt", "pem", "log", "html", "csv"})
ACTIONS = frozenset({"read", "write", "delete", "action"})
_TRAILING = re.compile(r"[.,;:)\]]+$")


def _hex(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def _subkey(key: bytes, label: str) -> bytes:
    return hmac.new(key, f"azroute-anonymize/{label}".encode(), hashlib.sha256).digest()


class KeyFileError(ValueError):
    """A key file that cannot be used (one line)."""


def read_key_file(path: Path) -> bytes:
    """The user's key: the bytes of a regular file (surrounding whitespace ignored), at least 16."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise KeyFileError(f"{path}: not a regular file")
        data = path.read_bytes().strip()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key: {exc.strerror or exc}") from None
    if len(data) < MIN_KEY_BYTES:
        raise KeyFileError(
            f"{path}: a key needs at least {MIN_KEY_BYTES} bytes, this one has {len(data)} "
            f"(make one with: openssl rand -hex 32 > {path.name})"
        )
    return data


def _type_path(resource_id: str) -> str | None:
    """`microsoft.network/virtualnetworks/subnets` of an id, or None."""
    segs = resource_id.strip().rstrip("/").split("/")
    low = [s.lower() for s in segs]
    if "providers" not in low:
        return None
    rest = segs[len(low) - 1 - low[::-1].index("providers") + 1 :]
    if len(rest) < 2:
        return None
    return "/".join([rest[0], *rest[1::2]]).lower()


class Anonymizer:
    """One consistent mapping (one key) applied to documents, records, sites, gaps and text."""

    def __init__(self, key: bytes | None = None) -> None:
        master = key if key is not None else secrets.token_bytes(32)
        self.addresses = AddressMap(_subkey(master, "crypto-pan"))
        self._names_key = _subkey(master, "names")
        self._guids_key = _subkey(master, "guids")
        self._text_key = _subkey(master, "text")
        self._names: dict[tuple[str, str], str] = {}
        self._taken: dict[str, tuple[str, str]] = {}
        # anonymized -> original, in memory only (tests map findings back with it)
        self.inverse: dict[str, str] = {}
        self._learning = False
        self._pattern: re.Pattern[str] | None = None
        self._known: dict[str, str] = {}

    # -- primitives -------------------------------------------------------------------------------------
    def name(self, kind: str, name: str) -> str:
        """A resource group, resource, site or subscription name of one kind (a resource type)."""
        low, kind = name.lower(), kind.lower()
        if low in RESERVED.get(kind, ()) or not name:
            return name
        found = self._names.get((kind, low))
        if found is not None:
            return found
        digest = _hex(self._names_key, kind, low)
        prefix = KIND_PREFIX.get(kind) or CHILD_PREFIX.get(kind.rsplit("/", 1)[-1], "res")
        size, n = 8, 0
        while (new := f"{prefix}-{digest[:size]}" + (f"-{n}" if n else "")) in self._taken:
            size, n = (size + 2, n) if size < len(digest) else (size, n + 1)  # unique, whatever the key
        self._taken[new] = (kind, low)
        self._names[(kind, low)] = new
        self.inverse[new] = name
        self._pattern = None
        return new

    def guid(self, value: str) -> str:
        d = _hex(self._guids_key, value.lower())
        new = f"{d[:8]}-{d[8:12]}-4{d[13:16]}-{'89ab'[int(d[16], 16) % 4]}{d[17:20]}-{d[20:32]}"
        self.inverse[new] = value
        return new

    def token(self, value: str) -> str:
        """An opaque replacement: the same text gives the same token."""
        new = f"hidden-{_hex(self._text_key, value)[:10]}"
        self.inverse[new] = value
        return new

    def host(self, value: str) -> str:
        low = value.lower().rstrip(".")
        if low in KEPT_HOSTS:
            return value
        new = f"host-{_hex(self._text_key, 'host', low)[:10]}.invalid"
        self.inverse[new] = value
        return new

    def address(self, value: str) -> str:
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return value
        return self._address(addr)

    def _address(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
        mapped = self.addresses.map(int(addr), addr.version)
        new = str(ipaddress.IPv4Address(mapped) if addr.version == 4 else ipaddress.IPv6Address(mapped))
        self.inverse[new] = str(addr)
        return new

    def network(self, value: str) -> str:
        """`address/length`: a prefix maps onto the image of its addresses (the same length); an
        interface address (host bits set) maps its address and keeps the length."""
        try:
            iface = ipaddress.ip_interface(value.strip())
        except ValueError:
            return value
        if iface.ip != iface.network.network_address:
            return f"{self._address(iface.ip)}/{iface.network.prefixlen}"
        mapped = ipaddress.ip_interface(f"{self._address(iface.ip)}/{iface.network.prefixlen}").network
        self.inverse[str(mapped)] = str(iface.network)
        return str(mapped)

    def mac(self, value: str) -> str:
        sep = value[2]
        d = _hex(self._text_key, "mac", value.lower().replace("-", ":"))
        octets = [f"{(int(d[0:2], 16) & 0xFC) | 0x02:02x}"] + [d[i : i + 2] for i in range(2, 12, 2)]
        new = sep.join(octets)
        new = new.upper() if value.isupper() else new
        self.inverse[new] = value
        return new

    def resource_id(self, value: str) -> str:
        """Every name in an ARM id renamed by its type; the structure (and the case of the
        structural segments) kept."""
        segs = value.split("/")
        if len(segs) < 3 or segs[0] != "":
            return value
        out = list(segs)
        types: list[str] = []
        namespace: str | None = None
        for i in range(1, len(segs) - 1, 2):
            seg, value = segs[i].lower(), segs[i + 1]
            if not value:
                continue
            if seg == "providers":
                namespace, types = value, []
            elif seg == "subscriptions" and namespace is None:
                out[i + 1] = self.guid(value) if GUID.fullmatch(value) else self.name("subscriptions", value)
            elif seg == "resourcegroups" and namespace is None:
                out[i + 1] = self.name("resourcegroups", value)
            elif namespace is not None:
                types.append(segs[i])
                out[i + 1] = self.name("/".join([namespace, *types]), value)
            else:
                out[i + 1] = self.token(value)  # a scope azroute does not know: hidden
        return "/".join(out)

    def reference(self, value: str, kind: str) -> str:
        """A site's reference to a circuit, connection or local network gateway: an id or a name."""
        return self.resource_id(value) if value.startswith("/") else self.name(kind, value)

    def _scalar(self, value: str) -> str | None:
        """A string that is wholly an id, a GUID or an address (prefix), mapped; else None."""
        text = value.strip()
        if text.startswith("/") and text[1:].split("/", 1)[0].lower() in ("subscriptions", "providers"):
            return self.resource_id(value)
        if GUID.fullmatch(text):
            return self.guid(text)
        if ":" in text or text[:1].isdigit():
            try:
                if "/" in text:
                    ipaddress.ip_interface(text)
                    return self.network(text)
                ipaddress.ip_address(text)
                return self.address(text)
            except ValueError:
                return None
        return None

    # -- text ------------------------------------------------------------------------------------------------
    def embedded(self, value: str) -> str:
        """A kept string with the ids, GUIDs, MAC addresses and addresses inside it mapped."""
        return EMBEDDED.sub(lambda m: self._token(m) or m.group(0), value)

    def text(self, value: str) -> str:
        """Free text (an error message, a line on stderr), conservatively."""
        return self._free(value)[0]

    def _free(self, value: str) -> tuple[str, str]:
        """(the text mapped, what was left of it unrecognized)."""
        pattern = self._free_pattern()
        out: list[str] = []
        left: list[str] = []
        pos = 0
        for match in pattern.finditer(value):
            mapped = self._token(match)
            out.append(value[pos : match.start()] + (match.group(0) if mapped is None else mapped))
            left.append(value[pos : match.start()] + (match.group(0) if mapped is None else ""))
            pos = match.end()
        out.append(value[pos:])
        left.append(value[pos:])
        return "".join(out), "".join(left)

    def _free_pattern(self) -> re.Pattern[str]:
        if self._pattern is None:
            if self._learning:
                names = ""
            else:
                self._known = {}
                for (_kind, low), new in sorted(self._names.items(), key=lambda kv: (_rank(kv[0][0]), kv[0])):
                    if not low.isdigit():
                        self._known.setdefault(low, new)
                alternatives = "|".join(re.escape(n) for n in sorted(self._known, key=lambda n: (-len(n), n)))
                names = f"|(?P<name>(?<![\\w.-])(?:{alternatives})(?![\\w-]|\\.\\w))" if alternatives else ""
            self._pattern = re.compile(
                _FREE_HEAD + _ADDRESSES + _FREE_TAIL.replace("{names}", names), re.IGNORECASE
            )
        return self._pattern

    def _token(self, match: re.Match[str]) -> str | None:
        """One recognized thing, mapped; None when the match is not what it looked like."""
        kind = match.lastgroup
        text = match.group(0)
        if kind in ("arm", "url", "provider"):
            tail = _TRAILING.search(text)
            end = tail.group(0) if tail else ""
            body = text[: len(text) - len(end)]
            if kind == "arm":
                return self.resource_id(body) + end
            if kind == "provider":
                return self._provider(body) + end
            scheme, _, rest = body.partition("://")
            host, slash, path = rest.partition("/")
            hostname, colon, port = host.partition(":")
            return (
                f"{scheme}://{self.host(hostname)}{colon}{port}{slash}{self.text(path) if path else ''}{end}"
            )
        if kind == "guid":
            return self.guid(text)
        if kind == "mac":
            return self.mac(text)
        if kind in ("ip4", "ip6"):
            return self._scalar(text)
        if kind == "email":
            user, _, domain = text.partition("@")
            return f"user-{_hex(self._text_key, 'user', user.lower())[:8]}@{self.host(domain)}"
        if kind == "quoted":
            inner, quote = match.group("qin"), match.group("q")
            mapped, left = self._free(inner)
            if re.search(r"[^\W\d_]", left):  # something in the quotes was not recognized
                return quote + self.token(inner) + quote
            return quote + mapped + quote
        if kind == "reserved":
            return text
        if kind == "name":
            return self._known.get(text.lower(), text)
        if kind == "host":
            label = text.rsplit(".", 1)[1].lower()
            return None if label in NOT_HOSTS else self.host(text)
        return None

    def _provider(self, text: str) -> str:
        """`Microsoft.Network/virtualNetworks/hub-vnet` (names renamed) or an action (kept)."""
        segs = text.split("/")
        if len(segs) < 3 or segs[-1].lower() in ACTIONS:
            return text
        out, types = [segs[0]], []
        for i, seg in enumerate(segs[1:]):
            if i % 2 == 0:
                types.append(seg)
                out.append(seg)
            else:
                out.append(self.name("/".join([segs[0], *types]), seg))
        return "/".join(out)

    # -- documents ------------------------------------------------------------------------------------------
    def key(self, key: str, container: str | None = None) -> str:
        """An object key. In a map keyed by ids or names (`container` in KEYED_MAPS) it is mapped
        whatever it looks like; elsewhere a key that is an ARM id, a GUID, an address or prefix, a MAC
        address or a host name is mapped exactly as that value is, and any other key (a property
        name: `properties`, `addressPrefixes`, ...) is kept."""
        if container in KEYED_MAPS:
            return self._string(None, key)
        mapped = self._scalar(key)
        if mapped is not None:
            return mapped
        whole = EMBEDDED.fullmatch(key)
        if whole is not None:
            return self._token(whole) or key
        if (
            HOST.fullmatch(key)
            and key.rsplit(".", 1)[1].lower() not in NOT_HOSTS
            and not key.lower().startswith("microsoft.")  # a resource provider namespace
        ):
            return self.host(key)
        return key

    def _string(self, key: str | None, value: str) -> str:
        if not value:
            return value
        if key in FREE_TEXT_KEYS:
            return self.text(value)
        mapped = self._scalar(value)
        if mapped is not None:
            return mapped
        if key in HOST_KEYS:
            return self.host(value)
        if key in KEPT_KEYS:
            return self.embedded(value)
        return self.token(value)

    def _value(self, key: str | None, value: Any, context: str | None = None) -> Any:
        if isinstance(value, dict):
            inner = "sku" if key == "sku" else ("observation" if context == "observation" else None)
            return self._dict(value, None, None, inner, key)
        if isinstance(value, list):
            return [self._value(key, v, context) for v in value]
        if isinstance(value, str):
            return self._string(key, value)
        return value

    def _dict(
        self,
        doc: Mapping[str, Any],
        parent: str | None,
        segment: str | None,
        context: str | None,
        container: str | None = None,
    ) -> dict[str, Any]:
        """An object; `container` is the key it sits under (its own keys are mapped by `key`)."""
        raw_id = doc.get("id")
        rid = raw_id if isinstance(raw_id, str) else None
        if rid is None and parent is not None and segment and isinstance(doc.get("name"), str):
            rid = (
                f"{parent}/{segment}/{doc['name']}"  # a nested child without an id, as the loader derives it
            )
        kind = _type_path(rid) if rid is not None else None
        out: dict[str, Any] = {}
        for key, value in doc.items():
            if key in DROPPED_KEYS:
                continue
            new_key = self.key(key, container)
            if key == "name" and isinstance(value, str):
                if kind is not None:
                    out[new_key] = self.name(kind, value)
                elif context == "sku":
                    out[new_key] = value
                else:
                    out[new_key] = self.name(ROUTE if context == "observation" else "", value)
            elif key == "properties" and isinstance(value, dict) and rid is not None and kind is not None:
                out[new_key] = {
                    self.key(pk, key): (
                        [
                            self._dict(c, rid, pk, None) if isinstance(c, dict) else self._value(pk, c)
                            for c in pv
                        ]
                        if isinstance(pv, list)
                        else self._value(pk, pv)
                    )
                    for pk, pv in value.items()
                    if pk not in DROPPED_KEYS
                }
            else:
                out[new_key] = self._value(key, value, context)
        return out

    def document(self, doc: Any) -> Any:
        """An ARM document: one resource, or a list page `{"value": [...]}`."""
        if isinstance(doc, dict) and "id" not in doc and isinstance(doc.get("value"), list):
            return {
                self.key(k): ([self._value(None, item) for item in v] if k == "value" else self._value(k, v))
                for k, v in doc.items()
            }
        return self._value(None, doc)

    def record(self, record: Any) -> Any:
        """An operation record (resourceId, parameters, body, standsFor)."""
        return self._value(None, record, "observation")

    def site(self, site: Mapping[str, Any]) -> dict[str, Any]:
        """A site of fixture.json: its name renamed, references to the snapshot's circuits, local
        network gateways and connections renamed the same way, prefixes mapped, description dropped."""
        refs = {
            "circuits": kinds.CIRCUIT.type_path,
            "circuit": kinds.CIRCUIT.type_path,
            "localNetworkGateways": kinds.LOCAL_NETWORK_GATEWAY.type_path,
            "connection": kinds.CONNECTION.type_path,
        }
        out: dict[str, Any] = {}
        for key, value in site.items():
            if key == "description":
                continue
            if key == "name" and isinstance(value, str):
                out[key] = self.name("site", value)
            elif key in refs and isinstance(value, str):
                out[key] = self.reference(value, refs[key])
            elif key in refs and isinstance(value, list):
                out[key] = [self.reference(v, refs[key]) if isinstance(v, str) else v for v in value]
            elif key == "links" and isinstance(value, list):
                out[key] = [self.site(link) if isinstance(link, dict) else link for link in value]
            elif key == "prefer":
                out[key] = value
            else:
                out[key] = self._value(key, value)
        return out

    def gap(self, gap: Mapping[str, Any]) -> dict[str, Any]:
        """A collection gap: scope (an id), operation, code and message as free text."""
        return {
            k: (
                (self.resource_id(v) if k == "scope" and v.startswith("/") else self.text(v))
                if isinstance(v, str)
                else v
            )
            for k, v in gap.items()
        }

    def manifest(self, manifest: FixtureManifest, name: str) -> dict[str, Any]:
        raw = manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
        out: dict[str, Any] = {
            "format": FIXTURE_FORMAT,
            "name": name,
            "description": f"anonymized copy of a {manifest.source} snapshot (azroute anonymize)",
            "source": manifest.source,
        }
        predicted = raw.get("predictedFrom")
        if isinstance(predicted, dict):
            out["predictedFrom"] = {
                "before": self.token(str(predicted.get("before"))),
                "input": predicted.get("input"),
                "file": self.token(str(predicted.get("file"))),
                "predictedState": {
                    self.resource_id(k): self._value(None, v)
                    for k, v in (predicted.get("predictedState") or {}).items()
                },
            }
        if raw.get("sites"):
            out["sites"] = [self.site(s) for s in raw["sites"]]
        if raw.get("gaps"):
            out["gaps"] = [self.gap(g) for g in raw["gaps"]]
        return out

    def learn(
        self,
        documents: Iterable[Any] = (),
        records: Iterable[Any] = (),
        sites: Iterable[Mapping[str, Any]] = (),
        gaps: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Meet every name first, so that free text anywhere replaces all of them."""
        self._learning, self._pattern = True, None
        try:
            for doc in documents:
                self.document(doc)
            for record in records:
                self.record(record)
            for site in sites:
                self.site(site)
            for gap in gaps:
                self.gap(gap)
        finally:
            self._learning, self._pattern = False, None


def _rank(kind: str) -> int:
    """Which kind's name free text uses when one name has several kinds."""
    order = list(KIND_PREFIX)
    return order.index(kind) if kind in order else len(order)


@dataclass
class AnonymizeResult:
    resources: int
    observations: int


def anonymize_snapshot(path: Path, out: Path, anonymizer: Anonymizer) -> AnonymizeResult:
    """Write an anonymized copy of the snapshot (or overlay, flattened onto its base) at `path`
    into `out`, through the one snapshot writer. Bad input raises `InputError` before anything
    is written."""
    load_fixture(path)  # the whole snapshot is valid before anything is written
    source = read_source(path)
    target = out.resolve()
    for kept in (source.root, source.base):
        if kept is not None and (target == kept.resolve() or target in kept.resolve().parents):
            raise UnsafePath(f"{out} would replace {kept}, which is being anonymized")
    documents = [redact(entry[1]) for entry in source.tree.documents if entry is not None]
    records = [redact(record) for _, (_, record) in sorted(source.tree.operations.items())]
    raw = source.manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
    anonymizer.learn(documents, records, raw.get("sites") or (), raw.get("gaps") or ())
    manifest = anonymizer.manifest(source.manifest, out.name)
    arm = flatten_documents(documents, anonymizer.document)
    operations = place_operations([anonymizer.record(record) for record in records])
    write_snapshot_atomically(out, manifest, arm, operations)
    return AnonymizeResult(sum(len(document_resources(doc)) for doc in documents), len(records))
