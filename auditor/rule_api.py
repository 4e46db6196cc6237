"""The rule API: everything a rule module uses, built-in or from a third-party rule pack.

A rule is a `Rule` subclass whose docstring is its documentation; `check(ctx)` yields a
`Violation` per problem and a `CoverageGap` per thing it could not evaluate. Through the
`RuleContext` a rule reaches the snapshot, the routing computed from it (control plane, path
finder, sites, drift comparisons; each computed lazily and once per audit, whichever rule asks
first), its own options from configuration, and the user's intents.

Rule modules import only from `auditor.rule_api`, `auditor.model`, `auditor.ids` and their own
pack's private helpers; packs are discovered through the entry-point group
`azure_route_auditor.rules` (a module exposing `RULES`).
"""

from __future__ import annotations

import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

from auditor.coverage import FailedCollection, failed_collections
from auditor.findings import CoverageGap, Severity, Violation
from auditor.intents import Expect, Intent
from auditor.model import Snapshot, snapshot_relative
from auditor.routing.controlplane import ControlPlane, covers
from auditor.routing.domains import AZURE_ASN, apipa_unmatched, udr_gateway
from auditor.routing.dualpath import DualPath, declares_preference, dual_path_sites
from auditor.routing.locations import local_regions, locations_source, same_region
from auditor.routing.onprem import OnPremRoute, onprem_routes, transit_spokes
from auditor.routing.paths import (
    APPLIANCE_UNREACHABLE,
    FORWARDED_TRAFFIC,
    GATEWAY_NEXT_HOP_INVALID,
    IP_FORWARDING,
    OWN_ADDRESS_SPACE,
    PEERING_NOT_CONNECTED,
    PathFinder,
    PathPair,
    Walk,
)
from auditor.routing.prefixindex import OverlapIndex, PrefixIndex, prefix_key
from auditor.routing.reconcile import Comparison, NotComparable, comparisons
from auditor.routing.shared import control_plane, path_finder
from auditor.routing.signature import RoutingSignature, routing_signature
from auditor.routing.sites import SiteView
from auditor.routing.tables import SubnetTable, TableRoute, is_special, peered_space, select_bgp
from auditor.routing.views import walk_summary
from auditor.routing.walked import Cut, WalkCuts, shared_cuts
from auditor.routing.withheld import (
    BGP_APIPA,
    BGP_ONE_SIDED,
    BGP_UNSUPPORTED,
    CIRCUIT_NOT_READY,
    NO_BRANCH_TO_BRANCH,
    NO_GATEWAY_TRANSIT,
    NO_TRANSIT_BASIC,
    REMOTE_GATEWAY_MISSING,
    er_only_and_vpn_sites,
)
from auditor.unmodelled import FASTPATH_SKUS, lng_stands_for

ENTRY_POINT_GROUP = "azure_route_auditor.rules"
EVIDENCE_CAP = 100  # a finding lists at most this many prefixes in its evidence, plus their count


@dataclass(frozen=True)
class RuleFixtures:
    """Scenario names under `fixtures/`: ones the rule must fire on, ones it must not."""

    triggers: tuple[str, ...]
    passes: tuple[str, ...]


@dataclass
class RuleContext:
    """What one rule sees during one audit."""

    snapshot: Snapshot
    options: Mapping[str, Any] = field(default_factory=dict)
    intents: tuple[Intent, ...] = ()  # from `--intent FILE` (`auditor.intents.load_intents`)
    # a rule of scope "endpoint" evaluates only these endpoints (lower-case names as `paths` gives
    # them); None: every endpoint. Set by an incremental diff (`engine.Reuse`), never by an audit.
    endpoints: frozenset[str] | None = None

    def evaluates(self, endpoint: str) -> bool:
        """Whether an endpoint-scoped rule evaluates this endpoint."""
        return self.endpoints is None or endpoint.lower() in self.endpoints

    @cached_property
    def control_plane(self) -> ControlPlane:
        """Every network's routes: gateway domains, circuits, sites (shared by all rules)."""
        return control_plane(self.snapshot)

    @cached_property
    def paths(self) -> PathFinder:
        """Data-plane walks between VNets, subnets and sites (shared by all rules)."""
        return path_finder(self.snapshot)

    @cached_property
    def cuts(self) -> WalkCuts:
        """The walks the audit makes (the pairs `paths` shows), once, indexed by the resource that
        cuts them: a data-plane rule lists the walked pairs its resource breaks from here."""
        return shared_cuts(self.snapshot)

    def dual_path_sites(self) -> list[DualPath]:
        """Sites reached from one gateway domain over both ExpressRoute and VPN."""
        return dual_path_sites(self.control_plane)

    def site_views(self) -> list[SiteView]:
        """Each on-premises site with the prefixes and links it is known by."""
        return self.control_plane.sites

    def onprem_routes(self) -> list[OnPremRoute]:
        """Routes the gateway domains hold towards on-premises, per link (a view of the control plane)."""
        return onprem_routes(self.control_plane)

    def comparisons(self) -> Iterator[Comparison | NotComparable]:
        """Predicted routes against each observation (drift)."""
        return comparisons(self.control_plane)


class Rule(ABC):
    """Base class of every rule. The subclass docstring is the rule's documentation."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    fixtures: ClassVar[RuleFixtures]
    # "observations": the rule reads only what the platform observed (drift, BGP peer status); a
    # pre-change diff, which compares configuration, reports it as not evaluated.
    reads: ClassVar[Literal["configuration", "observations"]] = "configuration"
    # what a configuration-only evaluation (`azroute diff`) leaves out of a rule that reads
    # configuration and, for part of its answer, observations; the diff says so
    without_observations: ClassVar[str | None] = None
    # what one finding's answer depends on. "snapshot": anything (the default). "endpoint": each
    # finding concerns one network endpoint, named by its `Violation.key` (an endpoint name as
    # `paths` gives it), and follows only from walks from and to that endpoint, its own
    # configuration and the sites' routes towards its address; the rule yields no coverage gaps
    # and, given `RuleContext.endpoints`, evaluates only those. An incremental diff re-evaluates
    # such a rule only for the endpoints its change can move (`engine.Reuse`).
    scope: ClassVar[Literal["snapshot", "endpoint"]] = "snapshot"
    # the options the rule reads from `[options.<ID>]` (`ctx.options`), name -> type (bool, int,
    # float or str); configuration giving any other key, or a value of another type, is an error
    options: ClassVar[Mapping[str, type]] = {}

    @abstractmethod
    def check(self, ctx: RuleContext) -> Iterable[Violation | CoverageGap]:
        """Yield a `Violation` per problem, a `CoverageGap` per thing it could not evaluate."""

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def references(cls) -> list[str]:
        text = cls.docs()
        section = text.split("## References", 1)[1] if "## References" in text else ""
        return re.findall(r"https?://\S+", section)

    @classmethod
    def metadata(cls) -> dict[str, object]:
        return {
            "id": cls.id,
            "name": cls.name,
            "severity": cls.severity.value,
            "summary": cls.summary,
            "reads": cls.reads,
            "references": cls.references(),
            "fixtures": {"triggers": list(cls.fixtures.triggers), "passes": list(cls.fixtures.passes)},
        }


__all__ = [
    "APPLIANCE_UNREACHABLE",
    "AZURE_ASN",
    "BGP_APIPA",
    "BGP_ONE_SIDED",
    "BGP_UNSUPPORTED",
    "CIRCUIT_NOT_READY",
    "ENTRY_POINT_GROUP",
    "EVIDENCE_CAP",
    "FASTPATH_SKUS",
    "FORWARDED_TRAFFIC",
    "GATEWAY_NEXT_HOP_INVALID",
    "IP_FORWARDING",
    "NO_BRANCH_TO_BRANCH",
    "NO_GATEWAY_TRANSIT",
    "NO_TRANSIT_BASIC",
    "OWN_ADDRESS_SPACE",
    "PEERING_NOT_CONNECTED",
    "REMOTE_GATEWAY_MISSING",
    "Comparison",
    "ControlPlane",
    "CoverageGap",
    "Cut",
    "DualPath",
    "Expect",
    "FailedCollection",
    "Intent",
    "NotComparable",
    "OnPremRoute",
    "OverlapIndex",
    "PathFinder",
    "PathPair",
    "PrefixIndex",
    "RoutingSignature",
    "Rule",
    "RuleContext",
    "RuleFixtures",
    "Severity",
    "SiteView",
    "SubnetTable",
    "TableRoute",
    "Violation",
    "Walk",
    "WalkCuts",
    "apipa_unmatched",
    "covers",
    "declares_preference",
    "er_only_and_vpn_sites",
    "failed_collections",
    "is_special",
    "lng_stands_for",
    "local_regions",
    "locations_source",
    "peered_space",
    "prefix_key",
    "routing_signature",
    "same_region",
    "select_bgp",
    "snapshot_relative",
    "transit_spokes",
    "udr_gateway",
    "walk_summary",
]
