"""The control plane and path finder of a snapshot, computed once and shared by rules."""

from __future__ import annotations

from auditor.model import Snapshot
from auditor.routing.controlplane import ControlPlane, control_plane
from auditor.routing.paths import PathFinder


def path_finder(snapshot: Snapshot) -> PathFinder:
    return snapshot.derived("path-finder", lambda s: PathFinder(control_plane(s)))


__all__ = ["ControlPlane", "control_plane", "path_finder"]
