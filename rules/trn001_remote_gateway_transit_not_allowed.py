from __future__ import annotations

from collections.abc import Iterator

from auditor.rule_api import (
    NO_GATEWAY_TRANSIT,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import label, withheld_findings


class RemoteGatewayTransitNotAllowed(Rule):
    """A peering uses the remote VNet's gateways, but the remote side does not allow gateway transit.

    ## What it does
    Flags a VNet peering with `useRemoteGateways = true` whose reverse peering (on the remote
    VNet, pointing back) is missing, is not `Connected`, or has `allowGatewayTransit` other
    than `true`.

    ## Why is this bad?
    Gateway transit needs both flags: `useRemoteGateways` on the spoke side and
    `allowGatewayTransit` on the hub side. With only one of them the spoke gets no routes from
    the hub's VPN or ExpressRoute gateway and is not advertised to on-premises, so hybrid
    connectivity to that spoke silently does not exist. A missing or disconnected reverse
    peering means the peering carries no traffic at all.

    ## Example
    Scenario `hub-spoke-transit-not-allowed`: `spoke-to-hub` has `useRemoteGateways: true`,
    while `hub-to-spoke` has `allowGatewayTransit: false`.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: `hub-to-spoke` has `allowGatewayTransit: true`.

    ## Remediation
    `az network vnet peering update -g <hub-rg> --vnet-name <hub-vnet> -n <hub-to-spoke> --set allowGatewayTransit=true`
    (and recreate a deleted reverse peering with `az network vnet peering create`).

    ## Known problems
    When the remote VNet is outside the snapshot (another subscription or resource group),
    the reverse peering cannot be read; the rule reports a coverage gap instead of a finding.

    ## References
    - https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview
    """

    id = "TRN001"
    name = "remote-gateway-transit-not-allowed"
    severity = Severity.ERROR
    summary = "A peering that uses remote gateways has a remote side that allows gateway transit."
    fixtures = RuleFixtures(
        triggers=("hub-spoke-transit-not-allowed",), passes=("hub-spoke-transit-ok", "interop-testbed")
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        # the walked pairs its resources leave without a route (`routing/withheld.py`)
        yield from withheld_findings(ctx, NO_GATEWAY_TRANSIT, self._configured(ctx))

    def _configured(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        for peering in snapshot.peerings:
            if not peering.use_remote_gateways:
                continue
            remote = peering.remote_vnet_id
            if snapshot.vnet(remote) is None:
                yield CoverageGap(
                    kind="not-evaluated",
                    resource=str(peering.id),
                    detail=f"remote VNet {remote.name} is outside the snapshot; its peering back cannot be checked",
                    rules=(self.id,),
                )
                continue
            back = snapshot.peering_between(remote, peering.vnet_id)
            evidence: dict[str, object] = {
                "peering": str(peering.id),
                "useRemoteGateways": peering.use_remote_gateways,
                "remoteVirtualNetwork": str(remote),
            }
            if back is None:
                yield Violation(
                    message=f"{label(peering)} uses remote gateways, but {remote.name} has no peering back to "
                    f"{peering.vnet_id.name}: the peering is not established and there is no gateway transit",
                    resources=(peering.id, remote),
                    evidence={**evidence, "reversePeering": None},
                )
                continue
            evidence.update(
                {
                    "reversePeering": str(back.id),
                    "allowGatewayTransit": back.allow_gateway_transit,
                    "reversePeeringState": back.peering_state,
                }
            )
            problems = []
            if back.allow_gateway_transit is not True:
                problems.append(f"allowGatewayTransit is {_fmt(back.allow_gateway_transit)}")
            if not back.connected:
                problems.append(f"its state is {back.peering_state or 'unknown'}")
            if problems:
                yield Violation(
                    message=f"{label(peering)} uses remote gateways, but on the reverse peering {label(back)} "
                    + " and ".join(problems)
                    + f": {peering.vnet_id.name} gets no routes from {remote.name}'s gateways",
                    resources=(peering.id, back.id),
                    evidence=evidence,
                )


def _fmt(value: bool | None) -> str:
    return "not set" if value is None else str(value).lower()
