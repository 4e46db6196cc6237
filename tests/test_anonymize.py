"""Anonymization that holds: every scenario audits the same before and after (under the renaming),
nothing identifying survives, and the address mapping keeps what routing depends on."""

from __future__ import annotations

import ipaddress
import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor import anonymize as anon_module
from auditor.anonymize import KEPT, KEPT_KEYS, WITHIN, Anonymizer, anonymize_snapshot
from auditor.engine import load_rules, run
from auditor.fixture import load_fixture, read_source
from auditor.report import report_dict
from tests.cli import azroute
from tests.conftest import FIXTURES, ROOT, fixture_names

KEY = b"azroute-test-key-0123456789abcdef"
TESTBED = FIXTURES / "interop-testbed"
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)")
PREFIX = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?!\w|\.\d)")


def report(path: Path) -> dict[str, Any]:
    snapshot = load_fixture(path)
    body = report_dict(snapshot, run(snapshot, load_rules()))
    return {"findings": body["findings"], "coverage": body["coverage"]}


def unmap(doc: Any, anonymizer: Anonymizer) -> Any:
    """A report of the anonymized snapshot with every anonymized name, id, GUID and address put
    back (from the anonymizer's in-memory inverse)."""
    inverse = anonymizer.inverse
    addresses = [k for k in inverse if ipaddress_like(k)]
    others = [k for k in inverse if not ipaddress_like(k)]

    def alternation(keys: list[str]) -> str:
        return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) or "(?!)"

    names = re.compile(rf"(?<![\w.-])(?:{alternation(others)})(?![\w-]|\.\w)")
    ips = re.compile(rf"(?<![\w.:])(?:{alternation(addresses)})(?![\w:]|\.\d|/\d)")
    text = json.dumps(doc, sort_keys=True)
    text = names.sub(lambda m: inverse[m.group(0)], text)
    text = ips.sub(lambda m: inverse[m.group(0)], text)
    # an address azroute picked itself inside an anonymized prefix (the address a walk starts
    # from) was never mapped: decrypt it (Crypto-PAn is invertible with the key)
    return json.loads(
        IPV4.sub(
            lambda m: m.group(0) if m.group(0) in inverse.values() else decrypt(anonymizer, m.group(0)), text
        )
    )


def decrypt(anonymizer: Anonymizer, text: str) -> str:
    """The address that maps to `text`, found bit by bit (the mapping is prefix-preserving)."""
    target = int(ipaddress.IPv4Address(text))
    found = 0
    for i in range(32):
        bit = 1 << (31 - i)
        mask = ((1 << 32) - 1) ^ (bit - 1)  # bits 0..i
        if (anonymizer.addresses.map(found, 4) ^ target) & mask:
            found |= bit
    return str(ipaddress.IPv4Address(found))


def ipaddress_like(text: str) -> bool:
    try:
        ipaddress.ip_interface(text)
    except ValueError:
        return False
    return True


def comparable(doc: Any, names: set[str]) -> Any:
    """Findings and coverage without what may differ by design: fingerprints and file locations,
    the order of lists, and in messages which names a truncated list shows and in what order
    (names sort differently once renamed; the ids in `resources` and `evidence` are compared)."""
    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            if key in ("fingerprint", "file", "path", "location"):
                continue
            if key == "message" and isinstance(value, str):
                words = [w.strip("()[]'\",;:.") for w in value.split()]
                out[key] = sorted("NAME" if w in names else _host(w) for w in words)
            else:
                out[key] = comparable(value, names)
        return out
    if isinstance(doc, list):
        return sorted((comparable(v, names) for v in doc), key=lambda v: json.dumps(v, sort_keys=True))
    return doc


def _host(word: str) -> str:
    """An address in a message by its /29: the address azroute picks inside a prefix (its network
    address + 4) is picked inside the anonymized prefix, so it is not the original's image."""
    if IPV4.fullmatch(word):
        return str(ipaddress.ip_network(f"{word}/29", strict=False))
    return word


def original_names(path: Path) -> set[str]:
    """Resource group, resource, subscription and site names of a snapshot (reserved ones aside)."""
    source = read_source(path)
    found: set[str] = {site.name for site in source.manifest.sites}
    for text in strings([e[1] for e in source.tree.documents if e], list(source.tree.operations.values())):
        if not text.startswith("/subscriptions/"):
            continue
        segs = text.split("/")
        low = [s.lower() for s in segs]
        found.add(segs[2])
        if len(segs) > 4 and low[3] == "resourcegroups":
            found.add(segs[4])
        if "providers" in low:
            found.update(segs[low.index("providers") + 3 :: 2])
    reserved = {n.lower() for n in anon_module.RESERVED_WORDS}
    return {n for n in found if n and n.lower() not in reserved}


def strings(*values: Any) -> list[str]:
    out: list[str] = []
    stack = list(values)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str):
            out.append(item)
    return out


def everything(out: Path) -> str:
    """Every file name and every file's text of a snapshot directory."""
    return "\n".join(
        f"{p.relative_to(out).as_posix()}\n{p.read_text(encoding='utf-8')}"
        for p in sorted(out.rglob("*"))
        if p.is_file()
    )


@pytest.mark.parametrize("name", fixture_names())
def test_audit_of_the_anonymized_scenario_is_the_original_renamed(name: str, tmp_path: Path) -> None:
    anonymizer = Anonymizer(KEY)
    anonymize_snapshot(FIXTURES / name, tmp_path / "anon", anonymizer)
    assert json.loads((tmp_path / "anon" / "fixture.json").read_text())["format"] == "azroute-fixture/1"
    original = report(FIXTURES / name)
    renamed = unmap(report(tmp_path / "anon"), anonymizer)
    names = original_names(FIXTURES / name)
    assert comparable(renamed, names) == comparable(original, names)
    # the same rules at the same severities, as many times, and the same coverage verdict
    assert sorted((f["rule"], f["severity"]) for f in renamed["findings"]) == sorted(
        (f["rule"], f["severity"]) for f in original["findings"]
    )
    assert renamed["coverage"]["complete"] == original["coverage"]["complete"]


def test_cli_anonymize_leaves_nothing_of_the_testbed(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text(KEY.decode() + "\n")
    result = azroute("anonymize", str(TESTBED), "--out", str(tmp_path / "anon"), "--key-file", str(key))
    assert result.exit_code == 0, result.output
    assert "anonymized 21 resources and 21 observations" in result.stderr
    written = everything(tmp_path / "anon")
    names = original_names(TESTBED)
    assert {"hub-vnet", "rg-hub", "er-1", "location-1", "location-1-lng", "hub-vm-nic"} <= names
    for name in names:
        assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", written), name
    original = strings(
        *[json.loads(p.read_text()) for p in TESTBED.rglob("*.json") if p.name != "expected.json"]
    )
    guids = {g.lower() for text in original for g in GUID.findall(text)}
    public = {a for text in original for a in IPV4.findall(text) if ipaddress.ip_address(a).is_global}
    rfc1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    private = {  # private addresses and prefixes (the blocks themselves aside)
        a
        for text in original
        for a in PREFIX.findall(text)
        if any(ipaddress.ip_interface(a) in n for n in rfc1918)
        and ipaddress.ip_interface(a).network not in rfc1918
    }
    assert guids and public and private
    for guid in guids:
        assert guid not in written.lower()
    found = set(PREFIX.findall(written))
    assert not public & set(IPV4.findall(written))
    assert not private & found  # private addressing is renumbered too: with the key from the file,
    same = Anonymizer(KEY)  # and within its block (10/8 stays 10/8)
    for text in private:
        mapped = same.network(text) if "/" in text else same.address(text)
        assert mapped in found
        assert [ipaddress.ip_interface(mapped) in n for n in rfc1918] == [
            ipaddress.ip_interface(text) in n for n in rfc1918
        ]
    assert KEY.decode() not in written
    assert "GatewaySubnet" in written and "AzurePrivatePeering" in written  # reserved names kept
    assert "eastus" in written and "Washington DC" in written  # regions and peering locations kept
    anonymized = run(load_fixture(tmp_path / "anon"), load_rules()).findings
    assert sorted(f.rule for f in anonymized) == sorted(
        f.rule for f in run(load_fixture(TESTBED), load_rules()).findings
    )


def test_same_key_same_snapshot_and_no_key_a_new_mapping(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_bytes(KEY)
    outs = []
    for i, extra in enumerate([["--key-file", str(key)], ["--key-file", str(key)], [], []]):
        out = tmp_path / str(i) / "anon"
        assert azroute("anonymize", str(TESTBED), "--out", str(out), *extra).exit_code == 0
        outs.append(everything(out))
    assert outs[0] == outs[1]  # a user key: deterministic, so snapshots taken apart compare
    assert outs[2] != outs[3] and outs[2] != outs[0]  # no key: a random one per run
    sites = [
        json.loads((tmp_path / str(i) / "anon" / "fixture.json").read_text())["sites"][0]["name"]
        for i in range(4)
    ]
    assert len({sites[0], sites[2], sites[3]}) == 3


def test_an_overlay_is_anonymized_flattened(tmp_path: Path) -> None:
    overlay = FIXTURES / "spoke-propagation-off"
    assert json.loads((overlay / "fixture.json").read_text())["format"] == "azroute-overlay/1"
    assert azroute("anonymize", str(overlay), "--out", str(tmp_path / "a")).exit_code == 0
    manifest = json.loads((tmp_path / "a" / "fixture.json").read_text())
    assert manifest["format"] == "azroute-fixture/1" and "base" not in manifest
    assert {f.rule for f in run(load_fixture(tmp_path / "a"), load_rules()).findings} == {
        f.rule for f in run(load_fixture(overlay), load_rules()).findings
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key-file", "{tmp}/short"], "a key needs at least 16 bytes"),
        (["--key-file", "{tmp}/missing"], "cannot read the key"),
        (["--key-file", "{tmp}"], "not a regular file"),
        (["--out", str(TESTBED)], "which is being anonymized"),
    ],
)
def test_bad_key_or_out_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "short").write_text("secret\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    result = azroute("anonymize", str(TESTBED), *args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_overlay_never_replaces_its_base(tmp_path: Path) -> None:
    before = everything(TESTBED)
    result = azroute("anonymize", str(FIXTURES / "spoke-propagation-off"), "--out", str(TESTBED))
    assert result.exit_code == 2 and "which is being anonymized" in result.stderr
    assert everything(TESTBED) == before


def test_bad_snapshot_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad" / "arm").mkdir(parents=True)
    (tmp_path / "bad" / "fixture.json").write_text(
        '{"format": "azroute-fixture/1", "name": "x", "source": "recorded"}'
    )
    (tmp_path / "bad" / "arm" / "x.json").write_text("{not json")
    result = azroute("anonymize", str(tmp_path / "bad"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "x.json: $: invalid JSON" in result.stderr
    assert not (tmp_path / "out").exists()


# -- the address mapping --------------------------------------------------------------------------------


def _random_addresses(version: int, n: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    rng = random.Random(11)
    bits = 32 if version == 4 else 128
    found: list[Any] = [ipaddress.ip_address(rng.getrandbits(bits) if version == 4 else 1 << 125 | rng.getrandbits(125))
                        for _ in range(n)]  # fmt: skip
    for block in (*WITHIN[version], *KEPT[version]):  # and addresses in and around every block
        net = ipaddress.ip_network(block)
        for _ in range(8):
            offset = (
                rng.getrandbits(net.max_prefixlen - net.prefixlen) if net.prefixlen < net.max_prefixlen else 0
            )
            inside = int(net.network_address) + offset
            found += [ipaddress.ip_address(inside) if version == 4 else ipaddress.IPv6Address(inside)]
            outside = inside ^ (1 << (net.max_prefixlen - net.prefixlen))  # the sibling just outside
            found += [ipaddress.IPv4Address(outside) if version == 4 else ipaddress.IPv6Address(outside)]
    return found


def _common(a: int, b: int, bits: int) -> int:
    return bits - (a ^ b).bit_length()


@pytest.mark.parametrize("version", [4, 6])
def test_addresses_map_prefix_preservingly_within_their_blocks(version: int) -> None:
    anonymizer = Anonymizer(KEY)
    bits = 32 if version == 4 else 128
    addresses = _random_addresses(version, 150)
    mapped = {a: ipaddress.ip_address(anonymizer.address(str(a))) for a in addresses}
    assert len(set(mapped.values())) == len(mapped)  # a bijection
    for a in addresses[:60]:
        for b in addresses:  # two addresses share exactly as many leading bits as before
            assert _common(int(mapped[a]), int(mapped[b]), bits) == _common(int(a), int(b), bits)
    blocks = [ipaddress.ip_network(b) for b in (*WITHIN[version], *KEPT[version])]
    changed = 0
    for a, m in mapped.items():
        for block in blocks:  # in a block before <=> in it after; public stays public
            assert (a in block) == (m in block), (a, m, block)
        if any(a in ipaddress.ip_network(k) for k in KEPT[version]):
            assert m == a
        changed += m != a
    assert changed > len(mapped) * 0.7


def test_prefixes_keep_containment_across_block_boundaries() -> None:
    a = Anonymizer(KEY)
    for kept in (
        "0.0.0.0/0",
        "10.0.0.0/7",
        "10.0.0.0/8",
        "172.0.0.0/8",
        "168.63.129.16/32",
        "::/0",
        "fc00::/7",
    ):
        assert a.network(kept) == kept  # a prefix holding a block is the block's ancestor: unchanged
    pairs = [("10.0.0.0/7", "10.1.0.0/16"), ("10.1.0.0/16", "10.1.2.0/24"), ("52.0.0.0/8", "52.168.0.0/16"),
             ("100.64.0.0/10", "100.64.8.0/22"), ("2001:db8::/32", "2001:db8:1::/48")]  # fmt: skip
    for outer, inner in pairs:
        assert ipaddress.ip_network(a.network(inner)).subnet_of(ipaddress.ip_network(a.network(outer)))  # type: ignore[arg-type]
        assert a.network(outer).split("/")[1] == outer.split("/")[1]
    assert not ipaddress.ip_network(a.network("10.1.0.0/16")).overlaps(
        ipaddress.ip_network(a.network("10.2.0.0/16"))
    )
    assert ipaddress.ip_address(a.address("10.1.2.3")) in ipaddress.ip_network(a.network("10.1.2.0/24"))
    assert (
        a.network("10.1.2.3/24").endswith("/24") and a.network("10.1.2.3/24") != "10.1.2.3/24"
    )  # an interface
    assert a.address("168.63.129.16") == "168.63.129.16" and a.address("169.254.169.254") == "169.254.169.254"
    assert a.address("255.255.255.0") == "255.255.255.0"  # masks (224/3) kept


# -- names and text ----------------------------------------------------------------------------------------


def test_names_are_consistent_unique_and_reserved_ones_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    a = Anonymizer(KEY)
    vnet = "microsoft.network/virtualnetworks"
    assert a.name(vnet, "Hub-VNet") == a.name(vnet, "hub-vnet") != a.name(vnet, "spoke-vnet")
    assert a.name(vnet, "hub-vnet").startswith("vnet-")
    assert a.name("microsoft.network/virtualnetworks/subnets", "GatewaySubnet") == "GatewaySubnet"
    rid = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/RG-Hub/providers/Microsoft.Network/virtualNetworks/Hub-VNet/subnets/GatewaySubnet"
    mapped = a.resource_id(rid)
    assert mapped.split("/")[8] == a.name(vnet, "hub-vnet") and mapped.endswith("/subnets/GatewaySubnet")
    assert mapped.split("/")[4] == a.name("resourcegroups", "rg-hub") and "00000000" not in mapped
    # even when every digest is the same, names stay unique (case-insensitively)
    monkeypatch.setattr(anon_module, "_hex", lambda key, *parts: "0" * 64)
    same = Anonymizer(KEY)
    names = [same.name(vnet, f"vnet-{i}") for i in range(40)]
    assert len({n.lower() for n in names}) == 40


def test_free_text_is_anonymized_conservatively() -> None:
    a = Anonymizer(KEY)
    rid = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-secret/providers/Microsoft.Network/virtualNetworks/vnet-secret"
    a.resource_id(rid)
    message = (
        f"The client 'jane.doe@contoso.com' with object id '99999999-8888-7777-6666-555555555555' does not have "
        f"authorization to perform action 'Microsoft.Network/virtualNetworks/read' over scope '{rid}'. "
        "Resource 'Microsoft.Network/virtualNetworks/vnet-secret' under resource group 'rg-secret' was not found; "
        "vnet-secret peers with 52.168.162.84 and 2603:1030::5 via vpn.contoso.com, see "
        "https://management.azure.com/subscriptions/11111111-2222-3333-4444-555555555555?api-version=2024-01-01 "
        "and the project 'Project Falcon' (mac 00-0D-3A-12-34-56)."
    )
    out = a.text(message)
    for secret in ("jane.doe", "contoso", "99999999", "11111111", "rg-secret", "vnet-secret", "52.168.162.84",
                   "2603:1030::5", "Falcon", "00-0D-3A-12-34-56"):  # fmt: skip
        assert secret not in out, (secret, out)
    assert "'Microsoft.Network/virtualNetworks/read'" in out  # an action names nothing
    assert a.name("microsoft.network/virtualnetworks", "vnet-secret") in out
    assert "https://management.azure.com/subscriptions/" in out and "api-version=2024-01-01" in out


def test_docs_list_every_kept_property() -> None:
    text = (ROOT / "docs" / "live.md").read_text()
    section = text.split("### Anonymization", 1)[1].split("\n## ", 1)[0]
    missing = sorted(k for k in KEPT_KEYS if f"`{k}`" not in section)
    assert not missing, f"docs/live.md (Anonymization) does not list these kept properties: {missing}"


def test_collect_refuses_a_bad_key_file_before_reading_anything(tmp_path: Path) -> None:
    (tmp_path / "short").write_text("secret")
    result = azroute("collect", "--subscription", "00000000-0000-0000-0000-000000000000", "--out",
                                 str(tmp_path / "out"), "--anonymize-key-file", str(tmp_path / "short"))  # fmt: skip
    assert (
        result.exit_code == 2
        and "--anonymize-key-file" in result.stderr
        and "at least 16 bytes" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_sdk_warnings_on_stderr_are_anonymized_too(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from auditor.cli import _sdk_log_anonymized
    from auditor.live.collector import CollectOptions

    leak = "token for jane@contoso.com failed on /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-secret"
    with _sdk_log_anonymized(CollectOptions(anonymize=True, anonymize_key=KEY)):
        logging.getLogger("azure.identity").warning(leak)
    err = capsys.readouterr().err
    assert "azroute: warning: token for user-" in err
    assert "contoso" not in err and "11111111" not in err and "rg-secret" not in err
    assert Anonymizer(KEY).name("resourcegroups", "rg-secret") in err  # the run's key: the files' names


# -- identifiers as object keys (issue 21, item 7) ---------------------------------------------------------

PLANTED_SUB = "5f1c7a2e-9b3d-4c8e-a1f0-7d2b6e4c9a13"
PLANTED_RG = "rg-identities-of-contoso"
PLANTED_IDENTITY = (
    f"/subscriptions/{PLANTED_SUB}/resourceGroups/{PLANTED_RG}"
    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-route-auditor"
)
PRINCIPAL = "c0ffee00-1234-4abc-8def-0123456789ab"
PLANTED_HOST = "vpn.branch.contoso.example"
PLANTED = (
    PLANTED_SUB,
    PLANTED_RG,
    "id-route-auditor",
    PRINCIPAL,
    PLANTED_HOST,
    "onprem-dc1.contoso.example",
    "203.0.113.77",
    "198.51.100.0/24",
    "fe80::1234",
    "00-1A-2B-3C-4D-5E",
    "alice",
    "contoso",
)


def plant_keys(resource: dict[str, Any]) -> None:
    """Identifiers as keys, in every id- or name-keyed map ARM puts on the types azroute collects
    (azure-mgmt-network's models: `identity.userAssignedIdentities` and `tags`), and in a map of
    no known schema (keyed by the resource's own id, a GUID, addresses, a host and a MAC)."""
    resource["identity"] = {
        "type": "UserAssigned",
        "userAssignedIdentities": {
            PLANTED_IDENTITY: {"principalId": PRINCIPAL, "clientId": PLANTED_SUB},
            "id-route-auditor": {},  # a map keyed by ids holds no property name: hidden whatever it is
        },
    }
    resource["tags"] = {"onprem-dc1.contoso.example": "dc", "203.0.113.77": "nat", "owner": "alice"}
    resource.setdefault("properties", {})["plantedMap"] = {
        resource["id"]: 1,  # numbers are kept: they tell which key became which
        PLANTED_SUB: 2,
        "198.51.100.0/24": 3,
        "fe80::1234": 4,
        PLANTED_HOST: 5,
        "00-1A-2B-3C-4D-5E": 6,
    }


def keys_of(value: Any) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_identifiers_as_keys_are_mapped_like_values_and_property_names_kept(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    shutil.copytree(TESTBED, planted)
    for file in (planted / "arm").glob("*.json"):
        page = json.loads(file.read_text())
        for resource in page["value"]:
            plant_keys(resource)
            for children in resource["properties"].values():  # subnets, peerings, IP configurations
                for child in children if isinstance(children, list) else ():
                    if isinstance(child, dict) and "id" in child:
                        plant_keys(child)
        file.write_text(json.dumps(page))
    anonymizer = Anonymizer(KEY)
    anonymize_snapshot(planted, tmp_path / "anon", anonymizer)

    written = everything(tmp_path / "anon")
    for identifier in PLANTED:
        assert identifier.lower() not in written.lower(), identifier
    for name in original_names(TESTBED):
        assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", written), name

    pages = [json.loads(p.read_text()) for p in (tmp_path / "anon" / "arm").rglob("*.json")]
    resources = [r for page in pages for r in page["value"]]
    assert resources
    originals = keys_of([json.loads(p.read_text()) for p in (planted / "arm").glob("*.json")])
    schema = originals - {k for k in originals if k.startswith("/") or "." in k or ":" in k or "-" in k}
    for resource in resources:
        assert "tags" not in resource  # dropped whole, as before
        identities = resource["identity"]["userAssignedIdentities"]
        (identity, value), (hidden, _) = identities.items()
        assert identity.startswith("/subscriptions/") and hidden.startswith("hidden-")
        own = resource["properties"]["plantedMap"]
        # the same identifier as a key and as a value maps to the same output
        assert own[resource["id"]] == 1
        assert own[value["clientId"]] == 2 and f"/{value['clientId']}/" in identity
        assert own[anonymizer.network("198.51.100.0/24")] == 3
        assert own[anonymizer.address("fe80::1234")] == 4
        assert own[anonymizer.host(PLANTED_HOST)] == 5
        assert own[anonymizer.mac("00-1A-2B-3C-4D-5E")] == 6
        # property names stay as they are
        assert {"properties", "identity", "userAssignedIdentities", "principalId", "plantedMap"} <= set(
            keys_of(resource)
        )
    assert schema <= keys_of(pages) | {"tags", "owner"}

    original = report(planted)
    renamed = unmap(report(tmp_path / "anon"), anonymizer)
    names = original_names(planted)
    assert comparable(renamed, names) == comparable(original, names)
    assert comparable(original, names) == comparable(report(TESTBED), names)  # the keys change nothing


def test_a_key_is_mapped_by_what_it_looks_like_or_by_its_map() -> None:
    anonymizer = Anonymizer(KEY)
    for kept in ("properties", "addressPrefixes", "Microsoft.Network", "v", "10", "fixture.json"):
        assert anonymizer.key(kept) == kept
    assert anonymizer.key(PLANTED_IDENTITY) == anonymizer.resource_id(PLANTED_IDENTITY)
    assert anonymizer.key(PLANTED_SUB) == anonymizer.guid(PLANTED_SUB)
    assert anonymizer.key("203.0.113.77") == anonymizer.address("203.0.113.77")
    assert anonymizer.key(PLANTED_HOST) == anonymizer.host(PLANTED_HOST)
    assert anonymizer.key("management.azure.com") == "management.azure.com"  # as a value
    assert anonymizer.key("owner", "userAssignedIdentities") == anonymizer.token("owner")
