"""Contoso's routing policy as azroute rules: an example third-party rule pack.

Install it next to azroute (`pip install ./examples/rule-pack`) and `azroute rules` lists its rules;
`azroute audit` runs them with the built-in ones.
"""

from __future__ import annotations

from contoso_routing_rules.ctr001_spoke_subnet_without_route_table import SpokeSubnetWithoutRouteTable

RULES = [SpokeSubnetWithoutRouteTable]
