"""The finder's quick filters per region (app.pages.quick_services): heating first where winters
are cold (central Harbin), the usual order elsewhere."""

import json
import shutil

import pytest

from app import create_app
from app.pages import QUICK_SERVICES
from tests.app.conftest import page_config


def _data_dir(demo, tmp_path, region_id):
    """A data dir with the demo's walking network and a manifest naming ``region_id``."""
    shutil.copy(demo.network_path("walk"), tmp_path / "network-walk.npz")
    manifest = {**demo.manifest(), "region": region_id}
    (tmp_path / "demo.json").write_text(json.dumps(manifest), "utf-8")
    return tmp_path


@pytest.mark.parametrize("region_id", ["harbin", "chengdu", "helsinki", None, "atlantis"])
def test_quick_filters_show_heating_first_in_a_winter_region(demo, tmp_path, region_id):
    app = create_app({"TESTING": True, "DATA_DIR": _data_dir(demo, tmp_path, region_id)})
    quick = page_config(app.test_client().get("/").get_data(as_text=True))["quickServices"]
    assert sorted(quick) == sorted(QUICK_SERVICES)  # the same services, only their order
    if region_id == "harbin":
        assert quick[0] == "heating"
        assert [s for s in quick if s != "heating"] == [s for s in QUICK_SERVICES
                                                         if s != "heating"]
    else:
        assert quick == QUICK_SERVICES
