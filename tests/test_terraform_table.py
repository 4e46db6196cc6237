"""The Terraform adapter's attribute table is the code (issue 24, item 2): the rows the generic
builder executes are the table docs/pre-change.md shows."""

from __future__ import annotations

from auditor.predict.terraform_build import HOOKS, INLINE
from auditor.predict.terraform_map import SPECS, TABLES, doc_table
from tests.conftest import ROOT


def test_the_documented_table_is_generated_from_the_rows() -> None:
    text = (ROOT / "docs" / "pre-change.md").read_text()
    assert doc_table() in text, (
        "docs/pre-change.md's Terraform table differs from the rows: paste the output of "
        "python -c 'from auditor.predict.terraform_map import doc_table; print(doc_table())'"
    )


def test_every_row_is_read_by_the_builder_or_names_the_id() -> None:
    for spec in TABLES:
        names = {row.name for row in spec.rows}
        assert len(names) == len(spec.rows), f"{spec.kind.arm_type}: a row twice"
        for row in spec.rows:
            assert row.hook is None or row.hook in HOOKS, row
            if "." in row.name:  # a nested block's row: its block is a row too
                assert row.name.rsplit(".", 1)[0] in names, row
            assert not (row.block and row.hook), row


def test_inline_blocks_know_which_attributes_feed_each_property() -> None:
    subnets = INLINE["azurerm_virtual_network"].sources
    assert subnets["addressPrefixes"] == ("address_prefix", "address_prefixes")
    assert subnets["routeTable"] == ("route_table_id",)
    routes = INLINE["azurerm_route_table"].sources
    assert routes["nextHopIpAddress"] == ("next_hop_in_ip_address",)
    assert set(INLINE) <= set(SPECS)
