"""The estate as a graph (sites, circuits, local network gateways, gateways, VNets) for the HTML report:
an inline SVG in four columns, and the same graph as Mermaid source. Nothing is fetched to draw it."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from auditor.ids import ArmId
from auditor.model import Snapshot
from auditor.routing.controlplane import control_plane
from auditor.textsafe import escape, mermaid_label

MAX_NODES = 300
COLUMNS = ("On-premises sites", "Circuits and local network gateways", "Gateways and route servers", "VNets")
NODE_W, NODE_H, GAP_Y, COL_W, TOP, ARC = 190, 30, 14, 270, 40, 90
LABEL_CHARS = 26


@dataclass
class Node:
    id: str
    label: str
    column: int
    kind: str
    external: bool = False


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)  # resource key -> node
    edges: set[tuple[str, str, str]] = field(default_factory=set)  # (node id, node id, style)

    def add(self, key: str, label: str, column: int, kind: str, external: bool = False) -> str:
        if key not in self.nodes:
            self.nodes[key] = Node(f"n{len(self.nodes)}", label, column, kind, external)
        return self.nodes[key].id

    def link(self, a: str, b: str, style: str = "solid") -> None:
        if a != b:
            self.edges.add((min(a, b), max(a, b), style))


def build(snapshot: Snapshot) -> Graph:
    g = Graph()

    def resource(rid: ArmId, column: int, kind: str) -> str:
        found = snapshot.by_id.get(rid)
        return g.add(rid.key, rid.name, column, kind, external=found is None)

    for vnet in snapshot.vnets:
        resource(vnet.id, 3, "vnet")
    for gw in snapshot.gateways:
        node = g.add(gw.id.key, f"{gw.id.name} ({gw.gateway_type})", 2, "gateway")
        for conf in gw.ip_configurations:
            parent = conf.subnet_id.parent if conf.subnet_id is not None else None
            if parent is not None:
                g.link(node, resource(parent, 3, "vnet"))
    for hub_conf in snapshot.virtual_hub_ip_configurations:
        hub_id = hub_conf.id.parent
        parent = hub_conf.subnet_id.parent if hub_conf.subnet_id is not None else None
        if hub_id is not None and parent is not None:
            g.link(resource(hub_id, 2, "route server"), resource(parent, 3, "vnet"))
    for circuit in snapshot.circuits:
        resource(circuit.id, 1, "circuit")
    for lng in snapshot.local_network_gateways:
        resource(lng.id, 1, "local network gateway")
    for conn in snapshot.connections:
        gw_node = resource(conn.gateway1_id, 2, "gateway")
        style = "solid" if (conn.connection_status or "Connected") == "Connected" else "dashed"
        if conn.local_network_gateway_id is not None:
            g.link(gw_node, resource(conn.local_network_gateway_id, 1, "local network gateway"), style)
        if conn.gateway2_id is not None:
            g.link(gw_node, resource(conn.gateway2_id, 2, "gateway"), style)
        if conn.peer_id is not None:
            circuit_id = conn.peer_id
            while circuit_id.parent is not None:  # a peering's id: the circuit is its parent
                circuit_id = circuit_id.parent
            g.link(gw_node, resource(circuit_id, 1, "circuit"), style)
    for peering in snapshot.peerings:
        local = peering.id.parent
        if local is None:
            continue
        style = "solid" if (peering.peering_state or "Connected") == "Connected" else "dashed"
        g.link(resource(local, 3, "vnet"), resource(peering.remote_vnet_id, 3, "vnet"), style)
    for site in control_plane(snapshot).sites:
        node = g.add(f"site:{site.name.lower()}", site.name, 0, "site")
        for cid in sorted(site.circuit_ids, key=lambda i: i.key):
            g.link(node, resource(cid, 1, "circuit"))
        for lid in sorted(site.lng_ids, key=lambda i: i.key):
            g.link(node, resource(lid, 1, "local network gateway"))
    return g


def _short(label: str) -> str:
    text = escape(label)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def svg(graph: Graph) -> str:
    """Four columns of boxes; links between columns as curves, links within a column as arcs."""
    columns: list[list[Node]] = [[] for _ in COLUMNS]
    for node in graph.nodes.values():
        columns[node.column].append(node)
    pos: dict[str, tuple[float, float, int]] = {}
    for c, nodes in enumerate(columns):
        nodes.sort(key=lambda n: (n.label.lower(), n.id))
        for i, n in enumerate(nodes):
            pos[n.id] = (20 + c * COL_W, TOP + i * (NODE_H + GAP_Y), c)
    rows = max((len(c) for c in columns), default=0)
    width = 20 + len(COLUMNS) * COL_W + ARC
    height = TOP + max(rows, 1) * (NODE_H + GAP_Y) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Topology">'
    ]
    for c, title in enumerate(COLUMNS):
        out.append(f'<text x="{20 + c * COL_W}" y="20" class="col">{html.escape(title)}</text>')
    for a, b, style in sorted(graph.edges):
        (x1, y1, c1), (x2, y2, c2) = pos[a], pos[b]
        dash = ' stroke-dasharray="5,4"' if style == "dashed" else ""
        if c1 == c2:  # an arc on the right of the column
            x = x1 + NODE_W
            bulge = x + 30 + min(abs(y2 - y1) / 4, ARC - 30)
            ya, yb = y1 + NODE_H / 2, y2 + NODE_H / 2
            path = f"M{x},{ya} C{bulge},{ya} {bulge},{yb} {x},{yb}"
        else:
            if c1 > c2:
                (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
            xa, xb = x1 + NODE_W, x2
            ya, yb = y1 + NODE_H / 2, y2 + NODE_H / 2
            mid = (xa + xb) / 2
            path = f"M{xa},{ya} C{mid},{ya} {mid},{yb} {xb},{yb}"
        out.append(f'<path d="{path}" class="edge"{dash}/>')
    for node in sorted(graph.nodes.values(), key=lambda n: n.id):
        x, y, _ = pos[node.id]
        cls = f"node {node.kind.replace(' ', '-')}" + (" external" if node.external else "")
        tip = f"{node.kind}: {escape(node.label)}" + (" (outside the snapshot)" if node.external else "")
        out.append(
            f'<g class="{html.escape(cls)}"><title>{html.escape(tip)}</title>'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5"/>'
            f'<text x="{x + 8}" y="{y + 19}">{html.escape(_short(node.label))}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)


def mermaid(graph: Graph) -> str:
    """The same graph as Mermaid flowchart source (text: the caller escapes it for HTML)."""
    lines = ["flowchart LR"]
    for node in sorted(graph.nodes.values(), key=lambda n: int(n.id[1:])):
        shape = ('(["', '"])') if node.kind == "site" else ('["', '"]')
        lines.append(f"  {node.id}{shape[0]}{mermaid_label(node.label)}{shape[1]}")
    for a, b, style in sorted(graph.edges):
        lines.append(f"  {a} {'-.-' if style == 'dashed' else '---'} {b}")
    return "\n".join(lines) + "\n"
