from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.ids import ArmId
from auditor.rule_api import CoverageGap, Rule, RuleContext, RuleFixtures, Severity, Violation


class VnetToVnetHairpin(Rule):
    """Two VNets talk to each other through an ExpressRoute circuit instead of peering.

    ## What it does
    Finds pairs of gateway domains linked to the same circuit, allowed to exchange routes over
    it (`allowRemoteVnetTraffic`), and not peered with each other.

    ## Why is this bad?
    Traffic between them goes down to the Microsoft edge and back (the hairpin): extra latency,
    gateway bandwidth consumed twice, and a dependency on the circuit for Azure-internal traffic.
    Microsoft recommends VNet peering instead. The testbed's hub and remote VNets work this way.

    ## Example
    Scenario `interop-testbed`: `hub-vnet` and `remote-vnet` meet only over `er-1`.

    ## Use instead
    Scenario `interop-testbed-peered-remote`: hub and remote are globally peered.

    ## Remediation
    `az network vnet peering create -g <rg> --vnet-name <a> -n <a-to-b> --remote-vnet <b-id> --allow-vnet-access`
    (both directions).

    ## References
    - https://learn.microsoft.com/azure/expressroute/virtual-network-connectivity-guidance
    """

    id = "ERC003"
    name = "vnet-to-vnet-hairpin"
    severity = Severity.INFO
    summary = "VNets reach each other by peering rather than through an ExpressRoute circuit."
    fixtures = RuleFixtures(triggers=("interop-testbed",), passes=("interop-testbed-peered-remote",))

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        plane = ctx.control_plane
        by_circuit: dict[ArmId, list[tuple[str, str]]] = defaultdict(list)
        members: dict[ArmId, set[ArmId]] = defaultdict(set)
        domains = sorted(plane.domains.values(), key=lambda d: d.hub.id.key)
        # per domain, the VNets its VNets have a peering to (one pass over its VNets' peerings)
        peered = {
            d.hub.id: {p.remote_vnet_id for x in d.vnets for p in snapshot.peerings_of(x)} for d in domains
        }
        for i, a in enumerate(domains):
            for b in domains[i + 1 :]:
                shared = {c for _, c in a.er_links} & {c for _, c in b.er_links}
                if not shared or not plane._hairpin_allowed(a, b):
                    continue
                if not peered[a.hub.id].isdisjoint(b.vnets):
                    continue
                circuit = min(shared, key=lambda c: c.key)
                by_circuit[circuit].append((a.name, b.name))
                members[circuit] |= {a.hub.id, b.hub.id}
        for circuit, pairs in sorted(by_circuit.items(), key=lambda kv: kv[0].key):
            vnets = sorted(members[circuit], key=lambda v: v.key)
            shown = "; ".join(f"{a} <-> {b}" for a, b in pairs[:3]) + (
                f" and {len(pairs) - 3} more pairs" if len(pairs) > 3 else ""
            )
            yield Violation(
                message=f"VNets reach each other through circuit {circuit.name} (VNet-to-VNet hairpin) instead of "
                f"peering: {shown}",
                resources=(circuit, *vnets),
                evidence={
                    "circuit": str(circuit),
                    "pairs": [list(p) for p in pairs],
                    "vnets": [str(v) for v in vnets],
                },
            )
