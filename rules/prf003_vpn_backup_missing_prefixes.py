from __future__ import annotations

from collections.abc import Iterator

from auditor.model import LinkKind
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation, covers


class VpnBackupMissingPrefixes(Rule):
    """The VPN that backs up ExpressRoute for a site does not carry all the site's prefixes.

    ## What it does
    For every site reached over both ExpressRoute and VPN, lists the prefixes learned over
    ExpressRoute that no VPN route (static address space or BGP) covers, from the control plane's
    routes (what `azroute routes` shows). A VPN whose BGP routes the gateway rejects (the site uses
    the gateway's own ASN) carries nothing, and every ExpressRoute prefix is listed.

    A site that declares no `links` gets them, with the prefixes it advertises over each, from
    observations (circuit route tables, VPN gateways' learned routes): a declared prefix they show
    over ExpressRoute but not from the VPN peer is missing on the VPN. `azroute diff`, which ignores
    observations, evaluates this rule only where sites declare `links`, and says so.

    ## Why is this bad?
    When the circuit fails, those prefixes become unreachable instead of failing over: the
    backup only protects part of the site.

    ## Example
    Scenario `vpn-backup-gap`: the site has `10.2.0.0/16` and `10.3.0.0/16`; the VPN's static
    address space lists only `10.2.0.0/16`. Scenario `vpn-backup-gap-observed`: location-1 declares
    two prefixes and no links; the VPN gateway's learned routes show only one from its BGP peer.

    ## Use instead
    Scenario `er-vpn-equal-prefixes`: both paths carry the same prefix.

    ## Remediation
    `az network local-gateway update -g <rg> -n <lng> --local-address-prefixes <all the site's prefixes>`,
    or advertise them over the VPN's BGP session.

    ## References
    - https://learn.microsoft.com/azure/expressroute/use-s2s-vpn-as-backup-for-expressroute-privatepeering
    """

    id = "PRF003"
    name = "vpn-backup-missing-prefixes"
    severity = Severity.WARNING
    summary = "A VPN backing up ExpressRoute carries every prefix the circuit carries."
    without_observations = (
        "where sites declare `links` (a site without them gets its per-link prefixes from observations)"
    )
    fixtures = RuleFixtures(
        triggers=("vpn-backup-gap", "vpn-backup-gap-observed"),
        passes=("er-vpn-equal-prefixes", "interop-testbed"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        for dual in ctx.dual_path_sites():
            er = {r.prefix for r in dual.routes if r.link is LinkKind.EXPRESSROUTE}
            vpn = [r.prefix for r in dual.routes if r.link is LinkKind.VPN]
            missing = sorted((p for p in er if not any(covers(v, p) for v in vpn)), key=str)
            if missing:
                yield Violation(
                    message=f"site {dual.site.name}: {', '.join(map(str, missing))} reach {dual.vnet_id.name} over ExpressRoute "
                    "but not over the backup VPN",
                    resources=(dual.vnet_id, *dual.connections(LinkKind.VPN)),
                    evidence={"site": dual.site.name, "missingOnVpn": [str(p) for p in missing]},
                    key=dual.site.name,
                )
