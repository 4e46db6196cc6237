"""One vantage point's routes, as rows for `azroute routes`, and the renderers for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.ids import ArmId
from auditor.model import IPNetwork, LinkKind, Subnet, VirtualNetwork, VirtualNetworkGateway, parse_prefix
from auditor.routing.controlplane import ControlPlane
from auditor.routing.paths import PathFinder, PathPair, Walk, endpoint_name
from auditor.routing.prefixindex import OverlapIndex, prefix_key
from auditor.routing.shared import path_finder
from auditor.routing.tables import select_bgp, site_select, subnet_table, workload_subnet
from auditor.textsafe import dot_string, mermaid_label

ROUTES_SCHEMA = "azroute.routes/1"
PATHS_SCHEMA = "azroute.paths/1"


class UnknownVantage(KeyError):
    pass


@dataclass(frozen=True)
class RouteGroup:
    """A VNet's workload subnets that route alike, as `paths` groups and names them
    (`hub-vnet`, or `hub-vnet/app` when the VNet's subnets route differently), and their table:
    the group's first subnet's (every subnet of a group has the same effective routes)."""

    name: str
    subnets: tuple[str, ...]
    rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "subnets": list(self.subnets), "routes": self.rows}


@dataclass(frozen=True)
class Vantage:
    kind: str  # subnet | vnet | gateway | circuit | site
    name: str
    # kind "vnet" only: the subnets the rows are the table of (the first group's when several),
    # every group when the VNet's subnets route differently (more than one), the subnets in no
    # group (GatewaySubnet, AzureFirewallSubnet, ...: `--from vnet/GatewaySubnet` shows them), and
    # why the rows stand for something else than a group (a VNet without workload subnets)
    subnets: tuple[str, ...] = ()
    groups: tuple[RouteGroup, ...] = ()
    infrastructure: tuple[str, ...] = ()
    note: str | None = None


def _as_path(path: tuple[int, ...]) -> list[int]:
    return list(path)


def vantage_rows(
    plane: ControlPlane, name: str, within: OverlapIndex[IPNetwork] | None = None
) -> tuple[Vantage, list[dict[str, Any]]]:
    """`hub-vnet`, `hub-vnet/GatewaySubnet`, `hub-vpn-gw`, `er-1` or `er-1:secondary`, `location-1`;
    with `within`, only the rows of prefixes overlapping those."""
    vantage, rows = _vantage_rows(plane, name, within)
    if within is not None and vantage.kind in ("gateway", "circuit"):
        rows = [r for r in rows if within.overlaps_any(parse_prefix(r["prefix"]))]
    return vantage, rows


def _vantage_rows(
    plane: ControlPlane, name: str, within: OverlapIndex[IPNetwork] | None
) -> tuple[Vantage, list[dict[str, Any]]]:
    snap = plane.snapshot
    lowered = name.lower()
    vnet_name, _, subnet_name = name.partition("/")
    vnet = plane.vnet_by_name.get(vnet_name.lower())  # the first VNet of that name
    if vnet is not None:
        subnet: Subnet | None = None
        if subnet_name:
            subnet = next(
                (s for s in snap.subnets_of(vnet.id) if s.id.name.lower() == subnet_name.lower()), None
            )
            if subnet is None:
                raise UnknownVantage(f"{vnet.display_name} has no subnet {subnet_name!r}")
        if subnet is not None:
            return Vantage("subnet", name), _vnet_rows(plane, vnet, subnet, within)
        return _vnet_vantage(plane, vnet, name, within)
    for gateway in snap.gateways:
        if gateway.id.name.lower() == lowered and gateway.vnet_id in plane.domains:
            return Vantage("gateway", name), _gateway_rows(plane, gateway.vnet_id, gateway.is_expressroute)
    circuit_name, _, path = lowered.partition(":")
    for circuit in snap.circuits:
        if circuit.id.name.lower() == circuit_name:
            note = None
            if path and path not in plane.customer_paths(circuit.id):
                note = (
                    f"the customer BGP session on {circuit.id.name}'s {path} link is not Established "
                    "(ERC002): the routes learned over it are withdrawn and the VNets' routes are not advertised "
                    "over it"
                )
            return Vantage("circuit", name, note=note), _circuit_rows(plane, circuit.id, path or None)
    for site in plane.sites:
        if site.name.lower() == lowered:
            return Vantage("site", site.name), _site_rows(plane, site.name, within)
    raise UnknownVantage(f"no VNet, subnet, gateway, circuit or site named {name!r}")


def finder_for(plane: ControlPlane) -> PathFinder:
    """The snapshot's shared path finder (`shared.path_finder`, the one `paths`, intents and `diff`
    use) when `plane` is (or becomes) the snapshot's shared plane; a finder over `plane` otherwise."""
    # a plane built directly (`ControlPlane(snapshot)`) becomes the snapshot's shared one when it
    # has none yet, so nothing is computed twice
    shared = plane.snapshot.derived("control-plane", lambda _: plane)
    return path_finder(plane.snapshot) if shared is plane else PathFinder(plane)


def _vnet_vantage(
    plane: ControlPlane, vnet: VirtualNetwork, name: str, within: OverlapIndex[IPNetwork] | None = None
) -> tuple[Vantage, list[dict[str, Any]]]:
    """What the VNet's subnets get: one table per group of workload subnets that route alike
    (`PathFinder.subnet_groups`, named by `paths.endpoint_name`); never a table no subnet has.
    With `within`, the tables hold only the prefixes overlapping those."""
    finder = finder_for(plane)
    groups = finder.subnet_groups[vnet.id]
    grouped = {s.id for g in groups for s in g}
    subnets = sorted(plane.snapshot.subnets_of(vnet.id), key=lambda s: s.id.key)
    infrastructure = tuple(s.id.name for s in subnets if s.id not in grouped)
    if groups:
        made = [
            RouteGroup(
                endpoint_name(finder, vnet, group[0], 4),
                tuple(s.id.name for s in group),
                _vnet_rows(plane, vnet, group[0], within),
            )
            for group in groups
        ]
        first = made[0]
        several = tuple(made) if len(made) > 1 else ()
        return Vantage("vnet", name, first.subnets, several, infrastructure), first.rows
    fallback = workload_subnet(plane, vnet)  # where `paths` starts a walk from this VNet
    if fallback is not None:
        note = (
            f"{vnet.display_name} has no workload subnet: the routes of its subnet "
            f"{fallback.id.name}, where paths from {vnet.display_name} start"
        )
        vantage = Vantage("vnet", name, (fallback.id.name,), (), infrastructure, note)
        return vantage, _vnet_rows(plane, vnet, fallback, within)
    note = (
        f"{vnet.display_name} has no subnet in the snapshot: the VNet-wide table "
        "(the routes a subnet without a route table would get)"
    )
    return Vantage("vnet", name, (), (), (), note), _vnet_rows(plane, vnet, None, within)


def _vnet_rows(
    plane: ControlPlane,
    vnet: VirtualNetwork,
    subnet: Subnet | None,
    within: OverlapIndex[IPNetwork] | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for r in subnet_table(plane, vnet, subnet).routes(within):
        rows.append(
            {
                "prefix": str(r.prefix),
                "nextHopType": r.next_hop_type,
                "nextHop": r.next_hop,
                "via": r.via.name if r.via else None,
                "viaId": str(r.via) if r.via else None,
                "asPath": _as_path(r.as_path),
                "source": r.source,
                "selected": r.selected,
                "reason": r.reason,
                "link": r.link.value if r.link else None,
            }
        )
    return rows


def _gateway_rows(plane: ControlPlane, hub: ArmId | None, expressroute: bool) -> list[dict[str, Any]]:
    assert hub is not None
    domain = plane.domains[hub]
    rows: list[dict[str, Any]] = []
    own = domain.er_gateway if expressroute else domain.vpn_gateway
    for prefix in domain.prefixes:
        rows.append(
            {
                "prefix": str(prefix),
                "nextHopType": "Network",
                "nextHop": None,
                "via": None,
                "viaId": None,
                "asPath": [],
                "source": "Network",
                "selected": True,
                "reason": "originated: address space of the gateway's VNets",
                "link": None,
            }
        )
    for advert, best, reason in select_bgp(plane.domain_rib[hub]):
        gateway = domain.er_gateway if advert.link is LinkKind.EXPRESSROUTE else domain.vpn_gateway
        rows.append(
            {
                "prefix": str(advert.prefix),
                "nextHopType": advert.link.value if advert.link else "Network",
                "nextHop": advert.peer,
                "via": advert.via.name if advert.via else None,
                "viaId": str(advert.via) if advert.via else None,
                "asPath": _as_path(advert.as_path),
                "source": advert.source if gateway is own else "IBgp",
                "selected": best,
                "reason": reason,
                "link": advert.link.value if advert.link else None,
            }
        )
    instances = _instances(own)
    for row in rows:
        row["direction"] = "learned"
        row["instance"] = None
    if len(instances) > 1:
        # active-active: each instance holds its own BGP sessions and learns the same routes
        rows = [{**row, "instance": address} for address in instances for row in rows]
    advertised = _advertised_rows(plane, hub, expressroute)
    for row in advertised:
        row.setdefault("instance", None)
    rows.extend(advertised)
    return sorted(rows, key=lambda r: (*_row_key(r), r["instance"] or ""))


def _instances(gateway: VirtualNetworkGateway | None) -> list[str]:
    """The BGP address of each instance of an active-active VPN gateway (one per IP configuration)."""
    if gateway is None or not gateway.is_vpn or not gateway.active_active or gateway.bgp_settings is None:
        return []
    found: list[str] = []
    for entry in gateway.bgp_settings.bgp_peering_addresses:
        addresses = [*entry.custom_bgp_ip_addresses, *entry.default_bgp_ip_addresses]
        if addresses:
            found.append(addresses[0])
    return found


def _advertised_rows(plane: ControlPlane, hub: ArmId, expressroute: bool) -> list[dict[str, Any]]:
    """What the gateway advertises to each neighbour: circuits (ExpressRoute) or BGP peers (VPN)."""
    domain = plane.domains[hub]
    out: list[dict[str, Any]] = []

    def row(prefix: str, peer: str, via: ArmId | None, path: list[int]) -> dict[str, Any]:
        return {"prefix": prefix, "nextHopType": "Advertised", "nextHop": peer, "via": via.name if via else None,
                "viaId": str(via) if via else None, "asPath": path, "source": "Advertised", "selected": True,
                "reason": f"advertised to {peer}", "link": None, "direction": "advertised"}  # fmt: skip

    if expressroute:
        for conn, circuit_id in domain.er_links:
            for entry in plane.circuit_table.get(circuit_id, []):
                if entry.kind == "domain" and ArmId(entry.target) == hub:
                    out.append(row(str(entry.prefix), circuit_id.name, conn.id, list(entry.as_path)))
        return out
    if domain.vpn_gateway is None or domain.vpn_gateway.bgp_settings is None:
        return out
    for conn, lng in domain.vpn_links:
        for address in lng.bgp_settings.addresses if lng.bgp_settings else ():
            for advert in plane.advertised_to_peer(hub, address) or []:
                out.append(row(str(advert.prefix), address, conn.id, list(advert.as_path)))
    for conn, other in domain.v2v_links:
        far = plane.domains[other].vpn_gateway
        for address in far.bgp_settings.addresses if far and far.bgp_settings else ():
            for advert in plane.advertised_to_peer(hub, address) or []:
                out.append(row(str(advert.prefix), address, conn.id, list(advert.as_path)))
    return out


def _circuit_rows(plane: ControlPlane, circuit_id: ArmId, path: str | None) -> list[dict[str, Any]]:
    rows = []
    up = plane.customer_paths(circuit_id)  # the links whose BGP session with the customer is up
    for e in plane.circuit_table.get(circuit_id, []):
        if path is not None and path not in e.device_paths:
            continue
        target = e.target if e.kind == "site" else ArmId(e.target).name
        hop = {"site": "Customer", "domain": "VirtualNetworkGateway", "globalReach": "GlobalReach"}[e.kind]
        paths = [path] if path is not None else list(e.device_paths)
        down = [p for p in paths if p not in up]
        selected, reason = True, f"device paths: {', '.join(e.device_paths)}"
        if down and e.kind == "site" and len(down) == len(paths):
            selected = False
            reason = (
                f"the customer BGP session on the {' and '.join(down)} link is not Established: "
                "the routes learned over it are withdrawn"
            )
        elif down:
            reason += f"; not advertised to the customer over {' and '.join(down)} (its BGP session is down)"
        rows.append(
            {
                "prefix": str(e.prefix),
                "nextHopType": hop,
                "nextHop": target,
                "via": e.via.name if e.via else None,
                "viaId": str(e.via) if e.via else None,
                "asPath": _as_path(e.as_path),
                "source": "EBgp",
                "selected": selected,
                "reason": reason,
                "link": "ExpressRoute",
            }
        )
    return sorted(rows, key=_row_key)


def _site_rows(
    plane: ControlPlane, site: str, within: OverlapIndex[IPNetwork] | None = None
) -> list[dict[str, Any]]:
    rows = []
    decisions = (
        site_select(plane, site) if within is None else plane.site_tables[site].decisions_within(within)
    )
    for advert, best, reason in decisions:
        rows.append(
            {
                "prefix": str(advert.prefix),
                "nextHopType": advert.link.value if advert.link else None,
                "nextHop": advert.peer,
                "via": advert.via.name if advert.via else None,
                "viaId": str(advert.via) if advert.via else None,
                "asPath": _as_path(advert.as_path),
                "source": advert.source,
                "selected": best,
                "reason": reason,
                "link": advert.link.value if advert.link else None,
            }
        )
    return sorted(rows, key=_row_key)


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (prefix_key(parse_prefix(row["prefix"])), not row["selected"], row["via"] or "", row["asPath"])


def routes_json(vantage: Vantage, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`azroute.routes/1`. For a VNet, additively: `subnets` (the subnets `routes` is the table
    of), `infrastructureSubnets` (in no group, not shown), `groups` when its subnets route
    differently (`routes` is then the first group's table) and `note` when it has no workload
    subnet."""
    out: dict[str, Any] = {
        "schema": ROUTES_SCHEMA,
        "from": vantage.name,
        "kind": vantage.kind,
        "routes": rows,
    }
    if vantage.kind == "vnet":
        out["subnets"] = list(vantage.subnets)
        out["infrastructureSubnets"] = list(vantage.infrastructure)
        if vantage.groups:
            out["groups"] = [g.as_dict() for g in vantage.groups]
    if vantage.note:
        out["note"] = vantage.note
    return out


def _sections(vantage: Vantage, rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """One (name, rows) per source node: each subnet group, or the vantage point itself."""
    if vantage.groups:
        return [(g.name, g.rows) for g in vantage.groups]
    return [(vantage.name, rows)]


def routes_dot(vantage: Vantage, rows: list[dict[str, Any]]) -> str:
    lines = ["digraph routes {", "  rankdir=LR;"]
    edges: list[str] = []
    for source, section in _sections(vantage, rows):
        name = dot_string(source)  # names are data: one quoted line each
        lines.append(f'  "{name}" [shape=box, style=bold];')
        for target, prefixes in _edges(section):
            edges.append(f'  "{name}" -> "{dot_string(target)}" [label="{", ".join(prefixes)}"];')
    lines += [*edges, "}"]
    return "\n".join(lines) + "\n"


def routes_mermaid(vantage: Vantage, rows: list[dict[str, Any]]) -> str:
    lines = ["flowchart LR"]
    sections = _sections(vantage, rows)
    sources = {name: f"n{i}" for i, (name, _) in enumerate(sections)}
    targets: dict[str, str] = {}
    for name, node in sources.items():
        lines.append(f'  {node}["{mermaid_label(name)}"]')
    for name, section in sections:
        for target, prefixes in _edges(section):
            if target not in targets:
                targets[target] = f"n{len(sources) + len(targets)}"
                lines.append(f'  {targets[target]}["{mermaid_label(target)}"]')
            lines.append(f'  {sources[name]} -->|"{", ".join(prefixes)}"| {targets[target]}')
    return "\n".join(lines) + "\n"


def _edges(rows: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Selected routes grouped by where they lead."""
    grouped: dict[str, list[str]] = {}
    for row in rows:
        if not row["selected"]:
            continue
        target = " ".join(x for x in (row["nextHopType"], row["via"] or row["nextHop"] or "") if x)
        grouped.setdefault(target, []).append(row["prefix"])
    return sorted(grouped.items())


# -- paths -----------------------------------------------------------------------------------------------


def walk_summary(walk: Walk) -> str:
    if not walk.delivered:
        return "none"
    parts: list[str] = []
    transit = any(h.kind == "peering" and h.note == "gateway transit" for h in walk.hops)
    kinds = [h.kind for h in walk.hops]
    for i, hop in enumerate(walk.hops):
        if hop.kind == "circuit":
            label = f"ER {hop.name}"
            # a circuit between two Azure gateways is the VNet-to-VNet hairpin
            if "gateway" in kinds[:i] and "gateway" in kinds[i + 1 :] and "site" not in kinds:
                label += " hairpin"
            parts.append(label)
        elif (
            hop.kind == "connection"
            and (i + 1 >= len(kinds) or kinds[i + 1] != "circuit")
            and (i == 0 or kinds[i - 1] != "circuit")
        ):
            parts.append("VPN")
        elif hop.kind == "globalReach":
            parts.append("Global Reach")
        elif hop.kind == "appliance":
            parts.append(f"NVA {hop.name}")
    if not parts:
        parts = ["peering"] if "peering" in kinds else ["local"]
    deduped = [p for i, p in enumerate(parts) if i == 0 or parts[i - 1] != p]
    return " + ".join(deduped) + (" (transit)" if transit else "")


def pair_json(pair: PathPair) -> dict[str, Any]:
    return {
        "from": pair.source,
        "to": pair.destination,
        "reachable": pair.reachable,
        "status": pair.status,
        "unknown": list(pair.unknown),
        "forward": [h.as_dict() for h in pair.forward.hops],
        "return": [h.as_dict() for h in pair.back.hops],
        "asymmetric": pair.asymmetric,
        "forwardSummary": walk_summary(pair.forward),
        "returnSummary": walk_summary(pair.back),
        "forwardDelivered": pair.forward.delivered,
        "returnDelivered": pair.back.delivered,
        "forwardReason": pair.forward.reason or None,
        "returnReason": pair.back.reason or None,
        "forwardCause": pair.forward.cause,
        "returnCause": pair.back.cause,
    }


def paths_json(pairs: list[PathPair], down: list[str]) -> dict[str, Any]:
    return {"schema": PATHS_SCHEMA, "down": sorted(down), "pairs": [pair_json(p) for p in pairs]}
