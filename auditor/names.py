"""Every name the commands' name options accept, with its kind: `azroute networks` lists them, and
an unknown name is answered with the close ones.

Each option keeps its own lookup (`routing.views.vantage_rows` for `routes --from`,
`PathFinder.networks` for `paths --from/--to`, `routing.failures.apply_down` for `--down`); the
lists here are built from the same sources, in the same order of precedence, so a name listed
for an option is one that option resolves (tests/test_names.py checks it on the fixtures).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.routing.controlplane import ControlPlane
from auditor.routing.failures import down_names
from auditor.routing.paths import IPV6
from auditor.routing.views import finder_for

ROUTES, PATHS, DOWN = "routes --from", "paths --from/--to", "--down"
OPTIONS = (ROUTES, PATHS, DOWN)
KINDS = (
    "vnet",
    "subnet group",
    "subnet",
    "gateway",
    "circuit",
    "circuit link",
    "connection",
    "local network gateway",
    "site",
)
NETWORKS_SCHEMA = "azroute.networks/1"


@dataclass
class Name:
    name: str
    kind: str  # one of KINDS
    options: list[str] = field(default_factory=list)  # ROUTES, PATHS, DOWN: the options accepting it

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "options": list(self.options)}


def _family(kind: str) -> str:
    return "subnet" if kind in ("subnet", "subnet group") else kind


def path_names(plane: ControlPlane) -> list[tuple[str, str]]:
    """(name, kind) of every `paths` endpoint: VNets, subnet groups (`hub-vnet/app`, a VNet
    whose subnets route differently), each per address family, and sites with prefixes."""
    finder = finder_for(plane)
    out = []
    for name in finder.networks():
        net = finder.network(name)
        base = name.removesuffix(IPV6)
        kind = "site" if net.site is not None else "subnet group" if "/" in base else "vnet"
        out.append((name, kind))
    return out


def vantage_names(plane: ControlPlane) -> list[tuple[str, str]]:
    """(name, kind) of every `routes --from` vantage point, as `views.vantage_rows` looks them up:
    a VNet (the first of a name) and `VNET/SUBNET`, then a gateway with a domain, a circuit and
    `CIRCUIT:primary|secondary`, a site; a name an earlier kind takes is not listed again."""
    snap = plane.snapshot
    out: list[tuple[str, str]] = []
    taken = set(plane.vnet_by_name)
    for vnet in plane.vnet_by_name.values():
        out.append((vnet.display_name, "vnet"))
        out += [(f"{vnet.display_name}/{s.id.name}", "subnet") for s in snap.subnets_of(vnet.id)]
    gateways = [g.id.name for g in snap.gateways if g.vnet_id in plane.domains]
    out += [(g, "gateway") for g in gateways if g.lower() not in taken]
    taken |= {g.lower() for g in gateways}
    circuits = [c.id.name for c in snap.circuits]
    for circuit in circuits:
        if circuit.lower() not in taken:
            out.append((circuit, "circuit"))
            out += [(f"{circuit}:{path}", "circuit link") for path in ("primary", "secondary")]
    taken |= {c.lower() for c in circuits}
    out += [(s.name, "site") for s in plane.sites if s.name.lower() not in taken]
    return out


def known_names(plane: ControlPlane) -> list[Name]:
    """Every name accepted by `routes --from`, `paths --from/--to` or `--down`, one entry per name
    and kind with the options that accept it, sorted by kind (KINDS) and name."""
    merged: dict[tuple[str, str], Name] = {}
    for option, names in (
        (PATHS, path_names(plane)),
        (ROUTES, vantage_names(plane)),
        (DOWN, down_names(plane.snapshot)),
    ):
        for name, kind in names:
            entry = merged.setdefault((name.lower(), _family(kind)), Name(name, kind))
            if option not in entry.options:
                entry.options.append(option)
    order = {kind: i for i, kind in enumerate(KINDS)}
    for entry in merged.values():
        entry.options.sort(key=OPTIONS.index)
    return sorted(merged.values(), key=lambda n: (order[n.kind], n.name.lower(), n.name))


def accepted_by(plane: ControlPlane, option: str) -> list[str]:
    """The names `option` (ROUTES, PATHS or DOWN) accepts, for suggestions."""
    return [n.name for n in known_names(plane) if option in n.options]
