import pytest

pytestmark = pytest.mark.db


def test_init_seeds_the_group_and_its_26_units(ledger):
    assert ledger.group().office_unit == "culture-tourism"
    units = ledger.units()
    assert len(units) == 26
    assert units[0].name == "区政府办公室(区大数据发展管理局)"
