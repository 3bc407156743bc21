"""`yizhan demo` and `yizhan serve` (app.cli.serve): the demo region built and served, and the
networks handed to the server."""

import re
import shutil

import app
from app.accounts import Accounts
from app.cli import main
from geo.regions import REGIONS
from geo.registry import Registry


def test_demo_build_only(runner, tmp_path):
    """The default demo is central Chengdu; the build prints the shares at the groups' own
    budgets, which show real gaps."""
    result = runner.invoke(main, ["demo", "--build-only", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "成都中心城区" in out and "demo data" in out and "OpenStreetMap, 2018" in out
    assert re.search(r"\b\d{2,3} demo stations \(1\.\d+ per km² over 69\.9 km²\)", out)
    ten = re.search(r"covered at 10:00 .*sanitation_worker (\d+\.\d)%", out)
    four = re.search(r"covered at 04:00 .*sanitation_worker (\d+\.\d)%", out)
    assert 40 <= float(ten.group(1)) <= 90 and float(four.group(1)) < float(ten.group(1))
    assert re.search(r"gap areas at 10:00: [1-9]", out)
    assert "Built in" in result.stderr and "路网 network walk" in result.stderr


def test_demo_serves_the_built_region_with_a_demo_planner(runner, demo, monkeypatch, tmp_path):
    data_dir = tmp_path / "demo"  # a copy: the account goes into its registry
    shutil.copytree(demo.data_dir, data_dir)
    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    passwords = []
    for _ in range(2):
        result = runner.invoke(main, ["demo", "--data-dir", str(data_dir), "--port", "5099"])
        assert result.exit_code == 0, result.output
        assert served["data_dir"] == data_dir and served["port"] == 5099
        passwords += re.findall(r"user demo, password (\S+) ", result.output)
    assert len(passwords) == 2 and passwords[0] != passwords[1]  # a new one at each start
    accounts = Accounts(Registry(f"sqlite:///{data_dir / 'yizhan.sqlite'}"))
    assert [u.name for u in accounts.users()] == ["demo"]
    assert accounts.sign_in("demo", passwords[1], client="t").user.role == "planner"
    accounts.engine.dispose()


def test_serve_takes_saved_networks(runner, demo, monkeypatch):
    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    result = runner.invoke(main, ["serve", "--db", demo.db_url, "--network",
                                  str(demo.network_path("drive")), "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert served["networks"] == {"drive": str(demo.network_path("drive"))}
    assert served["host"] == "0.0.0.0" and served["db_url"] == demo.db_url


def test_serve_takes_an_osm_file_for_every_mode(runner, demo, helsinki_pbf, monkeypatch):
    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    result = runner.invoke(main, ["serve", "--db", demo.db_url, "--network",
                                  str(demo.network_path("walk")), "--network", str(helsinki_pbf)])
    assert result.exit_code == 0, result.output
    assert served["networks"] == {"walk": str(demo.network_path("walk")),
                                  "ebike": str(helsinki_pbf), "drive": str(helsinki_pbf)}


def test_the_demo_regions_are_the_shipped_ones(runner, tmp_path):
    """`demo --region` offers exactly the regions of geo.regions."""
    shown = runner.invoke(main, ["demo", "--help"], terminal_width=200).stdout
    assert "[" + "|".join(REGIONS) + "]" in shown
    result = runner.invoke(main, ["demo", "--build-only", "--region", "atlantis", "--data-dir",
                                  str(tmp_path)])
    assert result.exit_code == 2 and all(name in result.stderr for name in REGIONS)
