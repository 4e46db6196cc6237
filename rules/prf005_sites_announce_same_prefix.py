from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.model import Connection, IPNetwork
from auditor.rule_api import (
    EVIDENCE_CAP,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
    prefix_key,
)
from rules._helpers import natted


class SitesAnnounceSamePrefix(Rule):
    """Two on-premises sites announce the same prefix to one gateway domain.

    ## What it does
    Reads each gateway domain's selection of its BGP and static routes (the one `routes` shows,
    made once per domain) and finds prefixes the domain receives from two or more different
    on-premises sites (declared or inferred: a circuit's peer ASN, a local network gateway). Azure
    cannot tell the sites apart: it selects among the routes as among any routes for one prefix
    (ExpressRoute over VPN, then the connection weight, then the shortest AS path; equal routes are
    all kept, ECMP).
    - error: the domain load-balances the prefix across the sites (ECMP): each flow goes to either
      site, whichever hosts it is meant for.
    - warning: the domain selects one site's routes: the other sites' hosts in the prefix are
      unreachable from the domain's VNets (a deliberate standby announcement looks the same).
    One finding per gateway domain and set of sites, listing the prefixes (at most 100, and their
    count). Only equal prefixes are compared: a site announcing a more specific prefix inside
    another's (a branch inside a data centre's summary) wins by longest prefix match, the usual
    summarization design. A route that reaches the domain over a connection applying NAT rules is
    left out: NAT exists to connect overlapping sites, and azroute does not model it (the
    `vpn-nat-rule` gap lists this rule).

    ## Why is this bad?
    On-premises networks connected to one Azure network must not overlap, "otherwise the
    communication would fail" (VPN Gateway NAT overview). With ECMP, Azure spreads flows over both
    sites by hash, so part of the traffic to any host in the prefix arrives at the wrong site;
    otherwise one site's hosts in the prefix are unreachable from Azure. `paths` shows the walk
    towards the other site ending at the selected one (shadowed).

    ## Example
    Scenario `vpn-two-branches-same-prefix`: a second branch's local network gateway declares
    `192.168.0.0/16`, the office's address space, on the hub's VPN gateway (ECMP, error).

    ## Use instead
    Scenario `hub-spoke-transit-ok`: one branch per address space. Design
    `designs/learn-vpn-gateway-nat`: both branches use `10.0.1.0/24` and their connections
    translate them with NAT rules.

    ## Remediation
    Renumber one site, or translate it on its VPN connection (`az network vnet-gateway nat-rule add
    ...`, then the connection's `ingressNatRules`), or make one site announce only what it holds:
    `az network local-gateway update -g <rg> -n <lng> --local-address-prefixes <its own prefixes>`.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/nat-overview
    - https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#how-azure-selects-a-route
    """

    id = "PRF005"
    name = "sites-announce-same-prefix"
    severity = Severity.WARNING
    summary = "No two on-premises sites announce the same prefix to one gateway domain."
    fixtures = RuleFixtures(
        triggers=("vpn-two-branches-same-prefix",),
        passes=("hub-spoke-transit-ok", "designs/learn-vpn-gateway-nat"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot, plane = ctx.snapshot, ctx.control_plane
        for hub in sorted(plane.domain_rib, key=lambda h: h.key):
            # per set of sites: (prefix, the sites the domain selects), with the links seen
            found: dict[tuple[str, ...], list[tuple[IPNetwork, tuple[str, ...]]]] = {}
            links: dict[tuple[str, ...], dict[str, ArmId]] = {}
            for group in plane.gateway_rows[hub].groups.values():
                sites: dict[str, ArmId | None] = {}
                selected: set[str] = set()
                for row in group:
                    advert = row.advert
                    if advert is None or advert.bgp_peer_host or row.via is None:
                        continue
                    kind, _, site = advert.origin.partition(":")
                    if kind not in ("site", "lng"):
                        continue
                    conn = snapshot.by_id.get(row.via)
                    if isinstance(conn, Connection) and natted(conn):
                        continue
                    sites.setdefault(site, row.via)
                    if row.selected:
                        selected.add(site)
                if len(sites) < 2 or not selected:
                    continue  # one site; or none of them wins (another route does): not this rule's
                names = tuple(sorted(sites))
                found.setdefault(names, []).append((group[0].prefix, tuple(sorted(selected))))
                seen = links.setdefault(names, {})
                for site, via in sites.items():
                    if via is not None:
                        seen.setdefault(site, via)
            for names, prefixes in sorted(found.items()):
                yield from _findings(plane.domains[hub].name, hub, names, prefixes, links[names])


def _findings(
    domain: str,
    hub: ArmId,
    names: tuple[str, ...],
    prefixes: list[tuple[IPNetwork, tuple[str, ...]]],
    links: dict[str, ArmId],
) -> Iterator[Violation]:
    """One finding for the prefixes load-balanced across the sites, one per selected site for
    those that go to it alone."""
    by_outcome: dict[tuple[str, ...], list[IPNetwork]] = {}
    for prefix, selected in prefixes:
        by_outcome.setdefault(selected, []).append(prefix)
    listed = " and ".join([", ".join(names[:-1]), names[-1]])
    for selected, group in sorted(by_outcome.items(), key=lambda kv: (len(kv[0]) < 2, kv[0])):
        ordered = [str(p) for p in sorted(group, key=prefix_key)]
        shown = ", ".join(ordered[:3]) + (f" and {len(ordered) - 3} more" if len(ordered) > 3 else "")
        plural = "es" if len(ordered) != 1 else ""
        ecmp = len(selected) > 1
        if ecmp:
            outcome = (
                f"load-balances {'them' if plural else 'it'} across {' and '.join(selected)} (ECMP): "
                "each flow goes to either site"
            )
        else:
            others = [n for n in names if n not in selected]
            outcome = (
                f"sends {'them' if plural else 'it'} to {selected[0]} only: {', '.join(others)}'s hosts "
                f"in {'them' if plural else 'it'} are unreachable from {domain}"
            )
        yield Violation(
            message=f"sites {listed} announce the same prefix{plural} ({shown}) to {domain}, which {outcome}",
            resources=(hub, *(links[n] for n in names if n in links)),
            evidence={
                "sites": list(names),
                "selected": list(selected),
                "prefixes": ordered[:EVIDENCE_CAP],
                "prefixCount": len(ordered),
                "links": {n: str(links[n]) for n in names if n in links},
            },
            key="|".join((*names, "ecmp" if ecmp else f"to:{','.join(selected)}")),
            severity=Severity.ERROR if ecmp else None,
        )
