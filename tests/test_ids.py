import pytest

from auditor.ids import ArmId

VNET = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/hub"


def test_parts() -> None:
    sub = ArmId(VNET + "/subnets/GatewaySubnet")
    assert sub.subscription == "S"
    assert sub.resource_group == "RG"
    assert sub.name == "GatewaySubnet"
    assert sub.type_path == "microsoft.network/virtualnetworks/subnets"
    assert sub.parent == ArmId(VNET)
    assert ArmId(VNET).parent is None


def test_case_insensitive_equality_and_hashing() -> None:
    a = ArmId(VNET)
    b = ArmId(VNET.upper().replace("/SUBSCRIPTIONS", "/subscriptions"))
    assert a == b
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a == VNET.lower()
    assert str(b) != str(a)  # the original spelling is kept for output


def test_trailing_slash_and_whitespace() -> None:
    assert ArmId(f" {VNET}/ ") == ArmId(VNET)


@pytest.mark.parametrize("bad", ["", "subscriptions/S", "/resourceGroups/x", "/subscriptions/"])
def test_rejects_non_ids(bad: str) -> None:
    with pytest.raises(ValueError):
        ArmId(bad)
