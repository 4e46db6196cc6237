from __future__ import annotations

from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.rule_api import (
    IP_FORWARDING,
    CoverageGap,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    Violation,
)
from rules._helpers import with_walked_pairs


class ApplianceWithoutIpForwarding(Rule):
    """A user-defined route sends traffic to an appliance whose NIC does not forward.

    ## What it does
    For every route with next hop `VirtualAppliance`, finds the network interface that holds
    the next-hop address and flags it when `enableIPForwarding` is not `true`. `evidence.pairs`
    lists the walked pairs (`azroute paths`) that cross the route to the appliance and end there
    (capped, with `pairCount`; `[]` when no walked pair uses the route): the walk drops what the
    NIC would forward, so `paths` names the NIC as the cause of exactly these pairs.

    ## Why is this bad?
    Azure drops packets that arrive at a NIC for an address that is not the NIC's own unless IP
    forwarding is enabled on it: every flow steered to the appliance is blackholed.

    ## Example
    Scenario `nva-without-forwarding`: `spoke-rt` sends `0.0.0.0/0` to `10.0.2.4`, whose NIC
    has IP forwarding off.

    ## Use instead
    Scenario `hub-spoke-transit-ok`: no appliance routes (or an appliance NIC with forwarding on).

    ## Remediation
    `az network nic update -g <rg> -n <nva-nic> --ip-forwarding true`

    ## Known problems
    Azure Firewall and other managed appliances have no NIC resource and are not checked.

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface
    """

    id = "TRN009"
    name = "appliance-without-ip-forwarding"
    severity = Severity.ERROR
    summary = "Appliance next hops sit on NICs with IP forwarding enabled."
    fixtures = RuleFixtures(triggers=("nva-without-forwarding",), passes=("hub-spoke-transit-ok",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        by_ip = ctx.paths.nic_by_address  # the NIC the walk lands on for the same address
        found: list[Violation | CoverageGap] = []
        for route in snapshot.routes:
            if route.next_hop_type.lower() != "virtualappliance" or not route.next_hop_ip_address:
                continue
            nic = by_ip.get(route.next_hop_ip_address)
            if nic is not None and nic.enable_ip_forwarding is not True:
                found.append(
                    Violation(
                        message=f"route {route.route_table_id.name}/{route.id.name} sends {route.address_prefix} to "
                        f"{route.next_hop_ip_address}, but NIC {nic.id.name} does not have IP forwarding enabled",
                        resources=(route.id, nic.id),
                        evidence={
                            "route": str(route.id),
                            "nextHop": route.next_hop_ip_address,
                            "nic": str(nic.id),
                            "enableIPForwarding": nic.enable_ip_forwarding,
                        },
                    )
                )
        # the walked pairs each route's appliance drops (the walk crossed that route to the NIC)
        findings, rest = with_walked_pairs(
            ctx,
            IP_FORWARDING,
            found,
            key=(lambda v: str(v.evidence["route"]).lower(), lambda c: (c.appliance or "").lower()),
        )
        yield from findings
        for rid, cuts in rest.items():  # the walk found the NIC dropping traffic no route above names
            nic_id = ArmId(rid)
            yield Violation(
                message=f"NIC {nic_id.name} does not have IP forwarding enabled: {cuts[0].reason} "
                f"({cuts[0].label})",
                resources=(nic_id,),
                evidence={"nic": str(nic_id), **ctx.cuts.evidence(cuts)},
            )
