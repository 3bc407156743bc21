"""`yizhan demo` and `yizhan serve` (app.cli.serve): the demo region built and served, and the
networks handed to the server."""

import re
import shutil
from types import SimpleNamespace

import pytest

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
    # made by this release and recorded so: later commands skip the full schema check
    from app.schema_head import is_current

    assert is_current(f"sqlite:///{tmp_path / 'yizhan.sqlite'}")


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


def test_the_default_worker_count_follows_the_cores_and_is_bounded(monkeypatch):
    assert [app.default_workers(n) for n in (1, 2, 3, 4, 8, 64)] == [1, 2, 3, 4, 4, 4]
    assert app.default_workers(0) == 1
    monkeypatch.setattr(app.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert app.default_workers() == 3  # the cores this process may use, not the machine's
    monkeypatch.setattr(app.os, "sched_getaffinity", lambda pid: set(range(32)), raising=False)
    assert app.default_workers() == app.MAX_DEFAULT_WORKERS == 4


def test_serve_without_workers_starts_the_default_and_says_so(runner, demo, monkeypatch):
    served = {}
    monkeypatch.setattr(app, "serve", lambda **kwargs: served.update(kwargs))
    result = runner.invoke(main, ["serve", "--db", demo.db_url])
    assert result.exit_code == 0, result.output
    assert served["workers"] is None  # app.serve takes default_workers()
    result = runner.invoke(main, ["serve", "--db", demo.db_url, "--workers", "3"])
    assert served["workers"] == 3
    shown = " ".join(runner.invoke(main, ["serve", "--help"], terminal_width=200).stdout.split())
    assert f"default: one per CPU core, at most 4; here {app.default_workers()}" in shown


def test_serve_starts_default_workers(monkeypatch, tmp_path):
    """app.serve with no `workers` hands granian default_workers() processes."""
    ran = {}
    monkeypatch.setattr(app, "default_workers", lambda cores=None: 3)
    monkeypatch.setattr(app, "_run_granian", lambda o, h, p, t, workers: ran.update(w=workers))
    monkeypatch.setattr(app, "_served_app", lambda overrides: _fake_app())
    monkeypatch.setattr(app, "check_port", lambda host, port: None)
    app.serve(data_dir=tmp_path)
    assert ran == {"w": 3}
    app.serve(data_dir=tmp_path, workers=1)
    assert ran == {"w": 1}



def _fake_app():
    return SimpleNamespace(config={}, extensions={
        "yizhan": SimpleNamespace(networks={}),
        "accounts": SimpleNamespace(any_active=lambda: True)})


@pytest.mark.parametrize("name", ["memory", "scale"])
def test_the_memory_and_scale_benchmarks_import_and_show_their_help(name, capsys):
    """Run by hand only; here just that they load and parse their options."""
    from benchmarks.__main__ import main as bench

    with pytest.raises(SystemExit) as stop:
        bench([name, "--help"])
    assert stop.value.code == 0
    assert f"python -m benchmarks {name}" in capsys.readouterr().out


def test_the_memory_benchmark_reads_the_process_tree(tmp_path):
    import os

    from benchmarks.memory import process_tree, smaps_rollup, table

    tree = process_tree(os.getpid())
    assert tree[0] == (os.getpid(), 0)
    memory = smaps_rollup(os.getpid())
    assert 0 < memory["uss"] <= memory["pss"] <= memory["rss"]
    row = {"pid": 1, "depth": 0, "command": "", "workers": 1, "how": "mapped", "up_s": 1.0,
           "failed": 0, "requests": 3, **memory}
    assert "total (1 processes)" in table([row])


def test_the_scale_benchmark_names_its_cities():
    from benchmarks.scale import city_source

    assert [city_source(n) for n in ("harbin", "gen200k", "gen1m", "gen5000")] == [
        "harbin", 200_000, 1_000_000, 5000]


def test_the_served_app_builds_the_shared_tables_before_the_workers_fork(demo):
    """warm_up (run in the parent before the fork) builds each mode's per-node table of all
    stations, which every worker then reads from the shared pages instead of building its own."""
    state = app.create_app(config={"DATA_DIR": str(demo.data_dir)}).extensions["yizhan"]
    finders = state.current().finders
    assert finders and all(len(f._tables) == 0 for f in finders.values())
    state.warm_up()
    assert all(len(f._tables) == 1 for f in finders.values())
