"""The misconfiguration catalogue (M1-M46 of the domain notes) mapped to what answers each pattern.

Each row: the pattern, what in azroute reports it (rule ids, walk constraints that `paths` names,
coverage-gap features), the bundled scenario that shows it, and what is left unreported. The table
is rendered into docs/rules.md (`azroute rules --format markdown`); `tests/test_catalogue.py` checks
that every rule, constraint, feature and scenario it names exists, so it cannot rot silently.
"""

from __future__ import annotations

from typing import NamedTuple


class Pattern(NamedTuple):
    id: str  # M1..M46
    name: str
    rules: tuple[str, ...] = ()  # rule ids that report it
    constraints: tuple[str, ...] = ()  # walk constraints `paths` names for the pairs it breaks
    gaps: tuple[str, ...] = ()  # unmodelled features whose coverage gap it raises
    fixtures: tuple[str, ...] = ()  # bundled scenarios (fixtures/<name>) that show it
    note: str = ""  # what answers it besides, or what is not reported


CATALOGUE: tuple[Pattern, ...] = (
    Pattern(
        "M1",
        "Spoke uses remote gateways, hub does not allow transit",
        ("TRN001",),
        ("no-gateway-transit",),
        (),
        ("hub-spoke-transit-not-allowed",),
    ),
    Pattern(
        "M2",
        "Hub allows transit, gateway-less spoke does not use it",
        ("TRN002", "TRN011"),
        (),
        (),
        ("hub-spoke-transit-unused", "hub-gateway-not-shared"),
    ),
    Pattern(
        "M3",
        "useRemoteGateways on a VNet with its own gateway",
        ("TRN005",),
        (),
        (),
        ("spoke-with-own-gateway",),
    ),
    Pattern(
        "M4",
        "More than one peering with useRemoteGateways",
        ("TRN004",),
        (),
        (),
        ("dual-hub-remote-gateways",),
    ),
    Pattern(
        "M5",
        "Remote gateway missing or not ready",
        ("TRN003",),
        ("remote-gateway-missing",),
        (),
        ("hub-spoke-no-hub-gateway",),
        "doNotVerifyRemoteGateways does not hide it",
    ),
    Pattern(
        "M6",
        "Peering not established or out of sync",
        ("TRN006",),
        ("peering-not-connected",),
        (),
        ("peering-disconnected",),
        "one side not Connected: no route either way (docs/routing.md)",
    ),
    Pattern(
        "M7",
        "Gateway transit through a Basic VPN gateway",
        ("TRN007",),
        ("no-transit-basic-gateway",),
        (),
        ("basic-gateway-transit",),
    ),
    Pattern(
        "M8",
        "More specific prefix over VPN than over ExpressRoute",
        ("PRF001", "ASY001"),
        (),
        (),
        ("er-vpn-vpn-more-specific",),
    ),
    Pattern(
        "M9",
        "ExpressRoute/VPN coexistence without on-premises preference",
        ("ASY003", "ASY001"),
        (),
        (),
        ("er-vpn-preference-undeclared", "er-vpn-site-prefers-vpn"),
    ),
    Pattern(
        "M10", "Coexistence with a policy-based VPN gateway", ("GWS006",), (), (), ("coexistence-basic-vpn",)
    ),
    Pattern(
        "M11",
        "Coexistence or BGP on a Basic VPN gateway",
        ("GWS006", "BGP007"),
        ("bgp-unsupported",),
        (),
        ("coexistence-basic-vpn", "bgp-on-basic-gateway"),
    ),
    Pattern(
        "M12",
        "GatewaySubnet too small",
        ("GWS005",),
        (),
        (),
        ("gateway-subnet-too-small", "gateway-subnet-vpn-small"),
        "the /26 for 16 circuits is not checked",
    ),
    Pattern(
        "M13",
        "UDR on the GatewaySubnet overlapping the GatewaySubnet",
        ("GWS004",),
        (),
        (),
        ("gateway-subnet-self-route", "gateway-subnet-route-inside"),
        "the gateway's public IP range is not modelled",
    ),
    Pattern(
        "M14",
        "0.0.0.0/0 UDR, NSG or propagation off on the GatewaySubnet",
        ("GWS001", "GWS002", "GWS003"),
        (),
        (),
        ("gateway-subnet-default-route", "gateway-subnet-nsg", "gateway-subnet-no-propagation"),
    ),
    Pattern(
        "M15",
        "ExpressRoute/VPN transit expected without Route Server",
        ("ERC007",),
        (),
        (),
        ("interop-testbed",),
    ),
    Pattern(
        "M16",
        "Route Server transit misconfigured",
        ("BGP006", "ERC007"),
        ("no-branch-to-branch",),
        (),
        ("route-server-not-active-active", "route-server-no-branch-to-branch"),
    ),
    Pattern(
        "M17",
        "VPN ASN changed to 65515 without a reset",
        (),
        (),
        (),
        (),
        "not reported: needs change history",
    ),
    Pattern(
        "M18",
        "Reserved ASN on the customer side",
        ("BGP001", "BGP002"),
        (),
        ("route-server-peer",),
        ("reserved-asn", "route-server-peer-reserved-asn", "microsoft-peering-reserved-customer-asn"),
        "BGP001 checks LNG asn, circuit peerASN, Microsoft peering customerASN and Route Server peer "
        "peerAsn; a private peering's peerASN in 65515-65520 is BGP002's one finding; the peer's "
        "routes stay a coverage gap",
    ),
    Pattern("M19", "Private peering peer ASN in 65515-65520", ("BGP002",), (), (), ("er-peer-asn-65516",)),
    Pattern(
        "M20", "Same ASN on both ends of a BGP VPN connection", ("BGP003",), (), (), ("vnet2vnet-same-asn",)
    ),
    Pattern(
        "M21",
        "BGP enabled on one side only",
        ("BGP004", "BGP005"),
        ("bgp-one-sided",),
        (),
        ("bgp-one-sided", "bgp-peer-down"),
    ),
    Pattern("M22", "ExpressRoute prefix limits", ("LIM001",), (), (), ("circuit-prefix-limit",)),
    Pattern(
        "M23", "Too many Azure prefixes towards ExpressRoute", ("LIM002",), (), (), ("many-azure-prefixes",)
    ),
    Pattern("M24", "VPN peer prefix limit", ("LIM003",), (), (), ("vpn-peer-prefix-limit",)),
    Pattern(
        "M25",
        "UDR next hop VirtualNetworkGateway where not allowed",
        ("GWS007",),
        ("gateway-next-hop-invalid",),
        (),
        ("udr-to-expressroute-gateway",),
    ),
    Pattern(
        "M26",
        "Propagation off on workload subnets without routes on-premises",
        ("UDR001",),
        (),
        (),
        ("spoke-propagation-off",),
    ),
    Pattern("M27", "BGP route that can never win", ("UDR004",), (), (), ("onprem-advertises-vnet-range",)),
    Pattern(
        "M28",
        "Forced tunnel through a default route",
        ("UDR002", "GWS007"),
        (),
        ("gateway-default-site",),
        ("forced-tunnel", "designs/learn-forced-tunneling", "forced-tunnel-udr-no-default-site"),
        "UDR002 names where Internet-bound traffic goes (learned 0.0.0.0/0, default site, a UDR "
        "0.0.0.0/0 to the VPN gateway; a warning when that gateway has neither default site nor "
        "learned default route); GWS007 reports the UDR as invalid (traffic dropped) where ExpressRoute "
        "coexists; paths do not walk the default site (gap)",
    ),
    Pattern(
        "M29",
        "Default route expected to transit a VPN gateway",
        (),
        (),
        (),
        ("interop-testbed",),
        "routing: a VPN gateway re-advertises no default route (`azroute routes`), no finding",
    ),
    Pattern("M30", "ECMP across geo-redundant circuits", ("PRF004",), (), (), ("ecmp-two-locations",)),
    Pattern(
        "M31", "Weight favours the remote circuit", ("PRF002",), (), (), ("weight-favours-remote-circuit",)
    ),
    Pattern(
        "M32",
        "AS-path prepend overridden by weight or prefix length",
        (),
        (),
        (),
        ("expressroute-backup-prepended",),
        "routing, no finding: weight before AS path, longest prefix first (held-out er-weight-beats-prepend)",
    ),
    Pattern(
        "M33",
        "VNet-to-VNet through an ExpressRoute circuit",
        ("ERC003",),
        (),
        (),
        ("interop-testbed",),
        "allowRemoteVnetTraffic off: no path (paths)",
    ),
    Pattern("M34", "VNets on one circuit not isolated", ("ERC003",), (), (), ("interop-testbed",)),
    Pattern(
        "M35",
        "Sites expected to talk through Azure without Global Reach",
        ("ERC004",),
        (),
        (),
        ("interop-testbed",),
    ),
    Pattern(
        "M36", "Circuit not ready", ("ERC001",), ("circuit-not-ready",), (), ("circuit-not-provisioned",)
    ),
    Pattern("M37", "Single-link ExpressRoute", ("ERC002",), (), (), ("interop-testbed",)),
    Pattern(
        "M38",
        "Standard circuit linked across geopolitical regions",
        (),
        (),
        (),
        (),
        "not reported: no geopolitical region table",
    ),
    Pattern(
        "M39",
        "Overlapping address spaces",
        ("TRN008", "PRF005"),
        ("own-address-space",),
        ("vpn-nat-rule",),
        ("overlapping-onprem", "er-peering-subnet-overlaps-vnet", "vpn-two-branches-same-prefix"),
        "TRN008 also compares each private peering's primary/secondary /30 with every VNet's address "
        "space (error when the VNet's domain links the circuit, warning otherwise); ER-learned "
        "on-premises prefixes are compared as the sites declare them. PRF005 reports two sites "
        "announcing the same prefix to one gateway domain (LNG against LNG or circuit), from the "
        "domain's route selection: ECMP across the sites (error) or one site shadowed (warning); a "
        "site's prefix inside another's (a summary) is not reported",
    ),
    Pattern(
        "M40",
        "Exact VNet prefix advertised from on-premises",
        ("UDR004", "TRN008"),
        (),
        (),
        ("onprem-advertises-vnet-range",),
    ),
    Pattern(
        "M41",
        "Appliance transit without forwarding flags",
        ("TRN009", "TRN010"),
        ("ip-forwarding-off", "forwarded-traffic-refused"),
        (),
        ("nva-without-forwarding", "nva-forwarding-refused"),
    ),
    Pattern(
        "M42",
        "UDR next hop not directly reachable",
        ("UDR003",),
        ("appliance-unreachable",),
        (),
        ("appliance-on-premises",),
    ),
    Pattern(
        "M43",
        "FastPath where it does not apply",
        ("ERC005",),
        (),
        ("expressroute-fastpath",),
        ("fastpath-standard-gateway",),
    ),
    Pattern(
        "M44",
        "Microsoft-peering steering with private-ASN prepends",
        (),
        (),
        (),
        (),
        "not reported: Microsoft peering is not modelled",
    ),
    Pattern(
        "M45",
        "VPN backup does not carry the ExpressRoute prefixes",
        ("PRF003",),
        (),
        (),
        ("vpn-backup-gap", "vpn-backup-gap-observed"),
    ),
    Pattern(
        "M46",
        "Route Server ASN or RouteServerSubnet misuse",
        ("GWS009", "BGP001"),
        (),
        ("route-server-peer",),
        ("route-server-subnet-udr-nsg", "route-server-peer-reserved-asn"),
        "GWS009: a route table or NSG on the RouteServerSubnet; BGP001: a peer ASN equal to the "
        "Route Server's 65515 or otherwise reserved; a 32-bit peer ASN (16-bit only in the 2022 FAQ) "
        "is not reported; the peer's routes stay a coverage gap",
    ),
)


def catalogue_markdown() -> list[str]:
    """The catalogue as a section of docs/rules.md."""
    out = [
        "",
        "## Misconfiguration catalogue",
        "",
        "The patterns M1-M46 of the domain notes and what reports each one: rules, the walk "
        "constraints `azroute paths` names, the coverage gaps of features azroute does not model "
        "(`auditor/catalogue.py`; a test checks every name).",
        "",
        "| pattern | name | rules | constraints | gaps | scenarios | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in CATALOGUE:
        cells = [
            p.id,
            p.name,
            ", ".join(f"[{r}](#{r.lower()})" for r in p.rules),
            ", ".join(f"`{c}`" for c in p.constraints),
            ", ".join(f"`{g}`" for g in p.gaps),
            ", ".join(f"`{f}`" for f in p.fixtures),
            p.note,
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out
