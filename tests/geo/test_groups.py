import pytest

from geo.errors import InputError
from geo.groups import DEFAULT_GROUPS, load_groups


def test_defaults_follow_the_design():
    rider = DEFAULT_GROUPS["delivery_rider"]
    assert (rider.mode, rider.budget_min) == ("ebike", 15)
    assert DEFAULT_GROUPS["truck_driver"].kinds == ("driver_home",)
    sanitation = DEFAULT_GROUPS["sanitation_worker"]
    assert sanitation.works_at(4) and not sanitation.works_at(3) and not sanitation.works_at(12)


def test_toml_overrides_and_adds(tmp_path):
    path = tmp_path / "groups.toml"
    path.write_text('[groups.delivery_rider]\nbudget_min = 10\n\n'
                    '[groups.courier_van]\nzh = "快递货车"\nmode = "drive"\nbudget_min = 20\n'
                    'kinds = ["driver_home"]\nshifts = [[6, 22]]\n', encoding="utf-8")
    groups = load_groups(path)
    assert groups["delivery_rider"].budget_min == 10
    assert groups["delivery_rider"].mode == "ebike"
    assert groups["courier_van"].zh == "快递货车" and groups["courier_van"].works_at(6)


@pytest.mark.parametrize("text, fragment", [
    ('[groups.x]\nmode = "walk"\n', "needs"),
    ('[groups.delivery_rider]\nmode = "plane"\n', "mode"),
    ('[groups.delivery_rider]\nkinds = ["spa"]\n', "kinds"),
    ('[groups.delivery_rider]\nshifts = [[20, 30]]\n', "shifts"),
    ('[groups.delivery_rider]\nbudget_min = "soon"\n', "delivery_rider"),
    ("not toml [", "cannot read"),
])
def test_bad_groups_files(tmp_path, text, fragment):
    path = tmp_path / "groups.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment):
        load_groups(path)
