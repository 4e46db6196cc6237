from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Literal

from auditor.ids import ArmId
from auditor.model import IPNetwork, Snapshot, Subnet, VirtualNetwork
from auditor.rule_api import (
    EVIDENCE_CAP,
    CoverageGap,
    OverlapIndex,
    PathFinder,
    RoutingSignature,
    Rule,
    RuleContext,
    RuleFixtures,
    Severity,
    SubnetTable,
    TableRoute,
    Violation,
    is_special,
    routing_signature,
)
from rules._helpers import peered_spaces, route_table_of

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# How many appliances a route may chain through before the rule stops following it.
MAX_APPLIANCES = 8


class PropagationDisabledWithoutOnpremRoute(Rule):
    """A workload subnet disables gateway routes and no route of its table leads to on-premises.

    ## What it does
    For workload subnets (not GatewaySubnet, AzureFirewallSubnet, RouteServerSubnet,
    AzureBastionSubnet) of VNets that use a gateway, with a route table that disables gateway
    route propagation: asks the subnet's route table (the one `azroute routes` shows and every
    walk uses) for each on-premises prefix the gateway learns, and flags the prefixes whose
    selected route does not lead to on-premises. A route leads there when its next hop is
    `VirtualNetworkGateway`, or `VirtualAppliance` at an appliance whose own subnet routes the
    prefix onwards (to a gateway, or to a further appliance that does). `Internet`, `None`, the
    VNet's own or peered ranges, and an appliance with no route onwards do not. Every route more
    specific than the prefix is asked too, so a UDR that covers only part of it does not hide the
    rest. An appliance in a peered VNet outside the snapshot is a coverage gap; one in no subnet
    is a dead end.

    ## Why is this bad?
    The subnet has no path to on-premises: traffic to those prefixes matches the default
    routes and is dropped or sent to the Internet. Often intended with an NVA, hence info.

    ## Example
    Scenario `spoke-propagation-off`: `spoke-rt` disables propagation and has no routes.
    Scenario `spoke-propagation-off-internet`: its only route sends `0.0.0.0/0` to `Internet`.

    ## Use instead
    Scenario `hub-firewall-mirrored`: propagation off, but `0.0.0.0/0` goes to the firewall,
    whose subnet learns the on-premises routes from the gateway.

    ## Remediation
    `az network route-table update -g <rg> -n <rt> --disable-bgp-route-propagation false`, or
    add routes towards an appliance that routes on to the gateway
    (`az network route-table route create ... --next-hop-type VirtualAppliance --next-hop-ip-address <ip>`).

    ## References
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#border-gateway-protocol
    """

    id = "UDR001"
    name = "propagation-disabled-without-onprem-route"
    severity = Severity.INFO
    summary = "Subnets without gateway routes have their own routes towards on-premises."
    fixtures = RuleFixtures(
        triggers=("spoke-propagation-off", "spoke-propagation-off-internet"),
        passes=("hub-firewall-mirrored", "interop-testbed"),
    )

    def check(self, ctx: RuleContext) -> Iterator[Violation | CoverageGap]:
        snapshot = ctx.snapshot
        plane = ctx.control_plane
        texts: dict[tuple[int, int, int], str] = {}
        # per domain: its on-premises prefixes (`items`, in the order of their text), indexed
        onprem: dict[ArmId, OverlapIndex[IPNetwork]] = {}
        # Subnets with one routing signature select the same routes for every address outside their
        # own VNet's space: the verdict is computed once per signature (and per subnet only where an
        # on-premises prefix overlaps the subnet's own VNet).
        verdicts: dict[
            tuple[RoutingSignature, ArmId], tuple[list[tuple[IPNetwork, str]], dict[str, None]]
        ] = {}
        onward: dict[tuple[str, int], str] = {}  # (first appliance, address) -> what follows it
        appliances = _Appliances(ctx.paths)
        for subnet in snapshot.subnets:
            hub = plane.domain_of_vnet.get(subnet.vnet_id)
            table = route_table_of(snapshot, subnet)
            vnet = snapshot.vnet(subnet.vnet_id)
            if (
                hub is None
                or vnet is None
                or table is None
                or not table.disable_bgp_route_propagation
                or is_special(subnet)
            ):
                continue
            if hub not in onprem:
                # each prefix once (by its key), in the order of its text; a text written once
                # per prefix however many domains learn it
                learned = {a.key: a.prefix for a in plane.domain_rib[hub] if not a.bgp_peer_host}
                for learned_key, prefix in learned.items():
                    if learned_key not in texts:
                        texts[learned_key] = str(prefix)
                onprem[hub] = OverlapIndex(
                    [learned[k] for k in sorted(learned, key=texts.__getitem__)], lambda p: p
                )
            own = any(onprem[hub].overlaps_any(p) for p in vnet.address_prefixes)
            key = (routing_signature(plane, subnet), hub)
            if own or key not in verdicts:
                verdict = _verdict(
                    snapshot, ctx.paths, appliances, vnet, subnet, table.id, onprem[hub], onward
                )
                if own:
                    uncovered, outside = verdict
                else:
                    uncovered, outside = verdicts.setdefault(key, verdict)
            else:
                uncovered, outside = verdicts[key]
            for appliance in outside:
                yield CoverageGap(
                    kind="not-evaluated",
                    resource=str(subnet.id),
                    detail=f"{table.id.name} sends on-premises traffic to appliance {appliance}, in a peered VNet "
                    "outside the snapshot: whether it routes on to on-premises is unknown",
                    rules=("UDR001",),
                )
            if uncovered:
                shown = ", ".join(f"{p} ({how})" for p, how in uncovered[:5])
                yield Violation(
                    message=f"subnet {subnet.vnet_id.name}/{subnet.id.name} disables gateway routes ({table.id.name}) and no "
                    f"route leads to on-premises for {shown}" + (" ..." if len(uncovered) > 5 else ""),
                    resources=(subnet.id, table.id),
                    evidence={
                        "uncovered": [str(p) for p, _ in uncovered[:EVIDENCE_CAP]],
                        "uncoveredCount": len(uncovered),
                        "selected": {str(p): how for p, how in uncovered[:EVIDENCE_CAP]},
                    },
                )


def _verdict(
    snapshot: Snapshot,
    finder: PathFinder,
    appliances: _Appliances,
    vnet: VirtualNetwork,
    subnet: Subnet,
    table: ArmId,
    prefixes: OverlapIndex[IPNetwork],
    onward: dict[tuple[str, int], str],
) -> tuple[list[tuple[IPNetwork, str]], dict[str, None]]:
    """The on-premises prefixes (`prefixes.items`, in order) no route of the subnet leads to (with
    what happens instead), and the appliances outside the snapshot it sends on-premises traffic
    to."""
    udrs = [r.prefix for r in snapshot.routes_of(table) if r.prefix is not None]
    uncovered: list[tuple[IPNetwork, str]] = []
    outside: dict[str, None] = {}
    # A prefix that overlaps none of the subnet's own routes but its default routes meets the
    # subnet's default-route decision first (propagation is off: no gateway route competes); it is
    # asked once per address family, not once per prefix.
    routes = finder.table(vnet, subnet)
    # the on-premises prefixes overlapping one of the subnet's own routes other than a default
    # route, found from the few routes' side in the index of the prefixes
    specific = {
        id(item) for own in routes.own_prefixes() if own.prefixlen > 0 for item in prefixes.overlapping(own)
    }
    defaults: dict[int, list[TableRoute]] = {}
    for prefix in prefixes.items:
        # the prefix's first address, and the first address of every UDR more specific than it (a
        # UDR inside the prefix overlaps it: without an overlap there is none to look for)
        first: list[TableRoute] | None = None
        known: str | None = None  # what follows for the one probe, when `onward` knows it already
        probes = [prefix.network_address]
        if id(prefix) in specific:
            probes += [
                u.network_address
                for u in udrs
                if u.version == prefix.version and u != prefix and u.subnet_of(prefix)  # type: ignore[arg-type]
            ]
        else:
            if prefix.version not in defaults:
                defaults[prefix.version] = routes.longest(prefix.network_address)
            first = defaults[prefix.version]
            if first and first[0].next_hop_type == "VirtualAppliance" and first[0].next_hop:
                known = onward.get((first[0].next_hop, int(prefix.network_address)))
        for address in probes:
            how = (
                known
                if known is not None
                else _leads_onprem(snapshot, appliances, routes, vnet, address, onward, first)
            )
            if how.startswith("outside:"):
                outside[how.split(":", 1)[1]] = None
            elif how:
                uncovered.append((prefix, how))
                break
    return uncovered, outside


def _leads_onprem(
    snapshot: Snapshot,
    appliances: _Appliances,
    table: SubnetTable,
    vnet: VirtualNetwork,
    address: Address,
    onward: dict[tuple[str, int], str] | None = None,
    first: list[TableRoute] | None = None,
) -> str:
    """ "" when the subnet's selected route towards the address leads to on-premises; otherwise
    what it does instead ("outside:<ip>" for an appliance in a peered VNet outside the snapshot).
    `table`: the subnet's, in `vnet`. `onward` remembers, per (first appliance, address), what
    follows the first appliance: it depends on nothing else, and many subnets send their traffic
    to the same appliance. `first`: the subnet's selected routes towards the address, when the
    caller knows them already."""
    seen: list[str] = []
    key: tuple[str, int] | None = None
    result = "too many appliances"
    for _ in range(MAX_APPLIANCES + 1):
        routes = first if first is not None and not seen else table.longest(address)
        route = routes[0] if routes else None
        if route is not None and route.next_hop_type == "VirtualNetworkGateway":
            result = ""
            break
        if route is None or route.next_hop_type != "VirtualAppliance" or not route.next_hop:
            what = "no route" if route is None else f"{route.next_hop_type} by {_origin(route)}"
            result = f"appliance {seen[-1]} sends it to {what}" if seen else what
            break
        if route.next_hop in seen:
            result = f"appliances loop at {route.next_hop}"
            break
        seen.append(route.next_hop)
        if len(seen) == 1 and onward is not None:
            key = (route.next_hop, int(address))
            if key in onward:
                return onward[key]
        found = appliances.at(route.next_hop)
        if found == "invalid":
            result = f"invalid appliance address {route.next_hop}"
            break
        if found is None:
            remote = [
                peering
                for group in peered_spaces(snapshot, vnet.id).covering(ipaddress.ip_network(route.next_hop))
                for _, peering in group
                if peering is not None and snapshot.vnet(peering.remote_vnet_id) is None
            ]
            result = f"outside:{route.next_hop}" if remote else f"appliance {route.next_hop} is in no subnet"
            break
        _, vnet, table = found
    if key is not None and onward is not None:
        onward[key] = result
    return result


Hop = tuple[Subnet, VirtualNetwork, SubnetTable]


class _Appliances:
    """Where each appliance next hop is (its subnet, VNet and table), looked up once per address
    text: route tables name few appliances, and every on-premises prefix asks about them."""

    def __init__(self, finder: PathFinder) -> None:
        self._finder = finder
        self._found: dict[str, Hop | Literal["invalid"] | None] = {}

    def at(self, next_hop: str) -> Hop | Literal["invalid"] | None:
        """The appliance's subnet, VNet and table; None when no subnet of the snapshot holds it;
        "invalid" when the address does not parse."""
        if next_hop not in self._found:
            try:
                address = ipaddress.ip_address(next_hop)
            except ValueError:
                self._found[next_hop] = "invalid"
            else:
                where = self._finder.subnet_of(address)
                self._found[next_hop] = (
                    None if where is None else (where[0], where[1], self._finder.table(where[1], where[0]))
                )
        return self._found[next_hop]


def _origin(route: TableRoute) -> str:
    """The route that decides, named without addresses (a system route's prefix is Azure's)."""
    if route.source == "User" and route.via is not None:
        return f"user route {route.via.name}"
    return "a system route" if route.source == "Default" else "a gateway route"
