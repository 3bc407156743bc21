"""`yizhan network build` (app.cli.network): from an extract, and the errors of its sources."""

from app.cli import main


def test_network_build_from_pbf(runner, helsinki_pbf, tmp_path):
    out = tmp_path / "drive.npz"
    result = runner.invoke(main, ["network", "build", "--osm", str(helsinki_pbf), "--mode",
                                  "drive", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "drive network:" in result.output and out.exists()


def test_network_build_needs_one_source(runner, tmp_path):
    result = runner.invoke(main, ["network", "build", "--mode", "walk", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "exactly one of" in result.output


def test_network_build_offline_place_is_a_clear_error(runner, tmp_path, monkeypatch):
    import osmnx

    def offline(*args, **kwargs):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(osmnx, "graph_from_place", offline)
    result = runner.invoke(main, ["network", "build", "--place", "Wuhan, China", "--mode", "walk",
                                  "-o", str(tmp_path / "w.npz")])
    assert result.exit_code == 1 and "--osm" in result.stderr
