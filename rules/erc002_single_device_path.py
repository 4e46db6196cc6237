from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class SingleDevicePath(Rule):
    """An ExpressRoute private peering runs on one link: the other BGP session is down or absent.

    ## What it does
    For every private peering, reads the recorded `routeTablesSummary` of both device paths
    and flags a path whose session has no prefix count (Idle, Active, Connect); without
    observations, flags a peering that has no `secondaryPeerAddressPrefix`.

    ## Why is this bad?
    Both BGP sessions must be up for the ExpressRoute availability SLA; with one link the next
    maintenance on the working side takes the circuit down. The interoperability testbed runs
    ExpressRoute 1 this way on purpose.

    ## Example
    Scenario `interop-testbed`: ExpressRoute 1's secondary session is `Idle`.

    ## Use instead
    Scenario `interop-testbed-er1-redundant`: both sessions established.

    ## Remediation
    Bring up the customer edge's second link and BGP session; verify with
    `az network express-route list-route-tables-summary -g <rg> -n <circuit> --path secondary --peering-name AzurePrivatePeering`.

    ## References
    - https://learn.microsoft.com/azure/expressroute/designing-for-high-availability-with-expressroute
    - https://learn.microsoft.com/azure/expressroute/expressroute-routing
    """

    id = "ERC002"
    name = "single-device-path"
    severity = Severity.WARNING
    summary = "ExpressRoute private peerings run BGP on both device paths."
    fixtures = RuleFixtures(triggers=("interop-testbed",), passes=("interop-testbed-er1-redundant",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for peering in snapshot.circuit_peerings:
            if not peering.is_private:
                continue
            down = []
            for table in snapshot.circuit_tables:
                if (
                    table.peering_id == peering.id
                    and table.summary
                    and not any(r.established for r in table.summary)
                ):
                    down.append((table.device_path, table.summary[0].state_pfx_rcd))
            if down:
                path, state = sorted(down)[0]
                yield Violation(
                    message=f"circuit {peering.circuit_id.name}: the {path} BGP session is {state}; the peering runs on one link",
                    resources=(peering.circuit_id, peering.id),
                    evidence={"devicePaths": [{"path": p, "state": s} for p, s in sorted(down)]},
                )
            elif (
                peering.secondary_peer_address_prefix is None
                and peering.primary_peer_address_prefix is not None
            ):
                yield Violation(
                    message=f"circuit {peering.circuit_id.name}: no secondary link is configured on the private peering",
                    resources=(peering.circuit_id, peering.id),
                    evidence={"secondaryPeerAddressPrefix": None},
                )
