"""`yizhan import` and `yizhan export` with the deployment's own kinds (geo.catalogue): from the
file $YIZHAN_CATALOGUE and from the database."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from geo.catalogue import CatalogueStore, Entry, KindSpec, reset_catalogue
from geo.registry import Registry

CSV = "名称,类型,经度,纬度,开放时间\n环卫子女爱心托管班,爱心托管班,104.0657,30.6598,8:00-17:00\n"


@pytest.fixture(autouse=True)
def _builtin_afterwards():
    yield
    reset_catalogue()


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_without_the_kind_the_row_is_refused(runner, db_url, csv, monkeypatch):
    monkeypatch.delenv("YIZHAN_CATALOGUE", raising=False)
    result = runner.invoke(main, ["import", str(csv), "--db", db_url])
    assert result.exit_code == 1 and "爱心托管班" in result.output


def test_a_kind_of_the_file_is_imported_and_exported(runner, db_url, csv, tmp_path, monkeypatch):
    toml = tmp_path / "catalogue.toml"
    toml.write_text('[kinds.summer_class]\nzh = "爱心托管班"\nen = "summer class"\n'
                    'colour = "#db2777"\nicon = "child"\nseason = "7-8"\n', encoding="utf-8")
    monkeypatch.setenv("YIZHAN_CATALOGUE", str(toml))
    result = runner.invoke(main, ["import", str(csv), "--db", db_url])
    assert result.exit_code == 0, result.output
    reset_catalogue()  # a new process
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["export", str(out), "--db", db_url, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "爱心托管班" in out.read_text("utf-8-sig")


def test_a_kind_stored_in_the_database_is_imported(runner, db_url, csv, monkeypatch):
    monkeypatch.delenv("YIZHAN_CATALOGUE", raising=False)
    registry = Registry(db_url)
    CatalogueStore(registry.engine).put(Entry("kinds", "summer_class", KindSpec(
        zh="爱心托管班", en="summer class", colour="#db2777"), "admin", "x"))
    registry.engine.dispose()
    result = runner.invoke(main, ["import", str(csv), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert [s.kind for s in Registry(db_url).stations()] == ["summer_class"]


def test_a_bad_catalogue_file_stops_the_import(runner, db_url, csv, tmp_path, monkeypatch):
    toml = tmp_path / "catalogue.toml"
    toml.write_text('[kinds.summer_class]\nzh = "爱心托管班"\n', encoding="utf-8")
    monkeypatch.setenv("YIZHAN_CATALOGUE", str(toml))
    result = runner.invoke(main, ["import", str(csv), "--db", db_url])
    assert result.exit_code == 2
    assert "[kinds.summer_class] en:" in result.output
    assert "[kinds.summer_class] colour:" in result.output


def _store_summer_class(db_url, **more):
    registry = Registry(db_url)
    CatalogueStore(registry.engine).put(Entry("kinds", "summer_class", KindSpec(
        zh="爱心托管班", en="summer class", colour="#db2777", **more), "admin", "x"))
    registry.engine.dispose()


def test_import_and_export_take_a_kind_of_the_deployment_as_kind(runner, db_url, tmp_path,
                                                                  monkeypatch):
    monkeypatch.delenv("YIZHAN_CATALOGUE", raising=False)
    _store_summer_class(db_url)
    reset_catalogue()  # the command starts as a new process does: built-in kinds only
    plain = tmp_path / "plain.csv"
    plain.write_text("名称,经度,纬度\n西城托管点,104.0657,30.6598\n", encoding="utf-8")
    result = runner.invoke(main, ["import", str(plain), "--db", db_url, "--kind", "爱心托管班"])
    assert result.exit_code == 0, result.output
    assert [s.kind for s in Registry(db_url).stations()] == ["summer_class"]
    reset_catalogue()
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["export", str(out), "--db", db_url, "--kind", "summer_class"])
    assert result.exit_code == 0, result.output
    assert "summer_class" in out.read_text("utf-8-sig")


@pytest.mark.parametrize("lang, says", [("en", "unknown station kind"), ("zh", "站点类型")])
def test_an_unknown_kind_is_a_usage_error_naming_the_option(runner, db_url, csv, monkeypatch,
                                                            lang, says):
    monkeypatch.delenv("YIZHAN_CATALOGUE", raising=False)
    result = runner.invoke(main, ["--lang", lang, "import", str(csv), "--db", db_url,
                                  "--kind", "飞船"])
    assert result.exit_code == 2 and "--kind" in result.output and says in result.output


def test_a_row_naming_no_services_gets_those_of_its_kind(runner, db_url, tmp_path, monkeypatch):
    monkeypatch.delenv("YIZHAN_CATALOGUE", raising=False)
    _store_summer_class(db_url, services=["rest", "meals"])
    rows = tmp_path / "rows.csv"
    rows.write_text("编号,名称,类型,经度,纬度,服务\n"
                    "a,甲托管班,爱心托管班,104.0657,30.6598,\n"
                    "b,乙托管班,爱心托管班,104.0757,30.6698,热水\n"
                    "c,丙驿站,环卫驿站,104.0857,30.6798,\n", encoding="utf-8")
    result = runner.invoke(main, ["--lang", "zh", "import", str(rows), "--db", db_url])
    assert result.exit_code == 0, result.output
    stored = {s.id: s.services for s in Registry(db_url).stations()}
    assert stored == {"a": {"rest", "meals"}, "b": {"drinking_water"}, "c": set()}
    assert "有 1 行没有填写服务，已按其站点类型的服务填入：爱心托管班（休息、" in result.output
    result = runner.invoke(main, ["import", str(rows), "--db", db_url, "--json"])
    warning = next(w for w in json.loads(result.output)["warnings"]
                   if w["key"] == "services_of_kind")
    assert warning["rows"] == [2] and warning["detail"] == {"kinds": {
        "summer_class": ["rest", "meals"]}}
