from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import BGP_ONE_SIDED, CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation
from rules._helpers import withheld_findings


class BgpEnabledOnOneSide(Rule):
    """BGP is configured on one side of a VPN connection only.

    ## What it does
    Flags IPsec connections with `enableBgp = true` whose gateway has BGP off or whose local
    network gateway has no `bgpSettings`, and connections with BGP off whose local network
    gateway declares `bgpSettings` (the on-premises side expects a session).

    ## Why is this bad?
    The session never establishes: the connection carries only static routes (the LNG's
    address space), and dynamic failover or route exchange that the design relies on is absent.

    ## Example
    Scenario `bgp-one-sided`: the connection enables BGP, the LNG has no BGP settings.

    ## Use instead
    Scenario `interop-testbed`: BGP on the gateway, the connection and the LNG.

    ## Remediation
    `az network local-gateway update -g <rg> -n <lng> --asn <ASN> --bgp-peering-address <IP>` or
    `az network vpn-connection update -g <rg> -n <conn> --enable-bgp false`

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/bgp-howto
    """

    id = "BGP004"
    name = "bgp-enabled-on-one-side"
    severity = Severity.WARNING
    summary = "BGP is enabled on the gateway, the connection and the local network gateway, or on none."
    fixtures = RuleFixtures(triggers=("bgp-one-sided",), passes=("interop-testbed",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, BGP_ONE_SIDED, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for conn in snapshot.connections:
            if not conn.is_ipsec or conn.local_network_gateway_id is None:
                continue
            gw = snapshot.gateway(conn.gateway1_id)
            lng = snapshot.local_network_gateway(conn.local_network_gateway_id)
            if gw is None or lng is None:
                continue
            problems = []
            if conn.enable_bgp and gw.enable_bgp is False:
                problems.append(f"gateway {gw.id.name} has BGP disabled")
            if conn.enable_bgp and lng.bgp_settings is None:
                problems.append(f"local network gateway {lng.id.name} has no BGP settings")
            if conn.enable_bgp is False and lng.bgp_settings is not None and lng.asn is not None:
                problems.append(
                    f"local network gateway {lng.id.name} expects BGP (ASN {lng.asn}) but the connection has it off"
                )
            if problems:
                yield Violation(
                    message=f"connection {conn.id.name}: " + "; ".join(problems),
                    resources=(conn.id, gw.id, lng.id),
                    evidence={
                        "connectionEnableBgp": conn.enable_bgp,
                        "gatewayEnableBgp": gw.enable_bgp,
                        "lngBgp": lng.bgp_settings is not None,
                    },
                )
