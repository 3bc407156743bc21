"""The catalogue API (app.catalogue_api): reading it, administrators adding kinds and service
words, who may, what a bad entry gets, and what follows (the pages, the API's vocabularies)."""

from __future__ import annotations

import pytest

from app import create_app
from geo.catalogue import reset_catalogue
from geo.stations import KINDS
from tests.app.conftest import assert_error, own_app, page_config, sign_in

SUMMER = {"zh": "爱心托管班", "en": "summer class for workers' children", "short_zh": "托管班",
          "short_en": "Summer class", "colour": "#db2777", "icon": "child",
          "services": ["rest", "meals", "reading"], "groups": ["sanitation_worker"],
          "season": "7-8", "words": ["暑期托管班"]}


@pytest.fixture(autouse=True)
def _builtin_afterwards():
    yield
    reset_catalogue()


@pytest.fixture
def admin_app(demo, tmp_path):
    app = own_app(demo, tmp_path, role="admin")
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


def test_the_catalogue_lists_the_builtin_kinds_and_services(admin_app):
    body = admin_app.test_client().get("/api/catalogue").get_json()
    assert [k["id"] for k in body["kinds"]] == ["driver_home", "sanitation_station",
                                                "outdoor_rest_point"]
    assert {k["source"] for k in body["kinds"]} == {"builtin"}
    assert "toilet" in [s["id"] for s in body["services"]]
    assert "child" in body["icons"] and body["version"] == 0


def test_an_admin_adds_a_kind_and_everything_follows(admin_app):
    client = sign_in(admin_app)
    response = client.put("/api/catalogue/kinds/summer_class", json=SUMMER)
    assert response.status_code == 200, response.get_json()
    kind = response.get_json()["kinds"][-1]
    assert kind["id"] == "summer_class" and kind["season"] == [7, 8]
    assert kind["season_text"] == "7–8" and kind["source"] == "admin"
    assert "summer_class" in KINDS
    # the finder's filters, the CSS and the API's vocabulary follow
    config = page_config(client.get("/?lang=zh").get_data(as_text=True))
    assert config["kinds"]["summer_class"] == {"label": "爱心托管班", "short": "托管班",
                                               "color": "#db2777", "icon": "child"}
    assert "--summer_class: #db2777" in client.get("/theme.css").get_data(as_text=True)
    doc = client.get("/api/openapi.json").get_json()
    assert "summer_class" in doc["components"]["schemas"]["StationCreate"]["properties"]["kind"][
        "enum"]
    # a station of the kind, by its Chinese name or a word
    created = client.post("/api/stations", json={
        "name": "环卫子女爱心托管班", "kind": "暑期托管班", "lon": 24.9384, "lat": 60.1699,
        "hours": "8:00-17:00"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["properties"]["kind"] == "summer_class"
    found = client.get("/api/stations?kind=爱心托管班").get_json()["features"]
    assert [f["properties"]["name"] for f in found] == ["环卫子女爱心托管班"]


def test_a_second_app_on_the_database_sees_the_kind(admin_app):
    sign_in(admin_app).put("/api/catalogue/kinds/summer_class", json=SUMMER)
    reset_catalogue()  # as another process, which started before
    other = create_app({"TESTING": True, "DATA_DIR": admin_app.config["DATA_DIR"],
                        "DB_URL": admin_app.config["DB_URL"], "REGISTRY_CHECK_INTERVAL": 0.0})
    body = other.test_client().get("/api/catalogue").get_json()
    assert [k["id"] for k in body["kinds"]][-1] == "summer_class"


def test_service_words_for_a_builtin_and_a_new_service(admin_app):
    client = sign_in(admin_app)
    response = client.put("/api/catalogue/services/oxygen", json={"words": ["高原吸氧室"]})
    assert response.status_code == 200, response.get_json()
    response = client.put("/api/catalogue/services/massage_chair",
                          json={"zh": "按摩椅", "en": "massage chair", "words": ["按摩"]})
    assert response.status_code == 200, response.get_json()
    created = client.post("/api/stations", json={
        "name": "氧吧驿站", "kind": "outdoor_rest_point", "lon": 24.9384, "lat": 60.1699,
        "services": "高原吸氧室、按摩"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["properties"]["services"] == ["massage_chair", "oxygen"]


#: Bad entries: path, body, the parameter named, and words of the English and Chinese answers.
BAD = [
    ("kinds/driver_home", SUMMER, "kinds", "built-in kind", "是内置站点类型"),
    ("kinds/summer_class", {**SUMMER, "services": ["sauna"]}, "kinds", "not services",
     "['sauna'] 不是已有的服务"),
    ("kinds/summer_class", {**SUMMER, "groups": ["cats"]}, "kinds", "not worker groups",
     "不是劳动者群体"),
    ("kinds/summer_class", {**SUMMER, "zh": "司机之家"}, "kinds", "already names",
     "“司机之家”已是站点类型 driver_home 的名称"),
    ("kinds/summer_class", {**SUMMER, "colour": "pink"}, "colour", "#[0-9a-fA-F]",
     "“colour”的写法不对"),
    ("kinds/summer_class", {**SUMMER, "season": "13"}, "season", "1 to 12",
     "月份只能是 1 到 12"),
    ("kinds/summer_class", {**SUMMER, "icon": "rocket"}, "icon", None, "“icon”须为以下之一"),
    ("kinds/summer_class", {**SUMMER, "zh": "托管\u202e班"}, "zh", "U+202E", "控制字符"),
    ("kinds/summer_class", {**SUMMER, "zh": ""}, "zh", None, "“zh”不能为空"),
    ("kinds/summer_class", {**SUMMER, "extra": 1}, "extra", None, "“extra”不是可以填写的项"),
    ("kinds/Summer", SUMMER, "kind_id", None, "编号“Summer”须由小写字母"),
    ("services/toilet", {"zh": "厕所2"}, "services", "built-in service", "是内置服务"),
    ("services/sauna", {"words": ["桑拿"]}, "services", "needs `zh` and `en`",
     "新服务须填写中文名"),
    ("services/sauna", {"zh": "桑拿", "en": "sauna", "words": ["a、b"]}, "words", "separator",
     "“a、b”中有分隔符"),
]


@pytest.mark.parametrize(("path", "body", "parameter", "words", "zh"), BAD)
def test_a_bad_entry_is_a_400_naming_it(admin_app, path, body, parameter, words, zh):
    response = sign_in(admin_app).put(f"/api/catalogue/{path}", json=body,
                                      headers={"Accept-Language": "en"})
    if parameter == "kind_id":  # the path's pattern
        assert response.status_code == 400
        return
    error = assert_error(response, 400)
    assert parameter in (error["parameter"] or "")
    if words:
        assert words in error["error"]
    assert admin_app.test_client().get("/api/catalogue").get_json()["version"] == 0


@pytest.mark.parametrize(("path", "body", "parameter", "words", "zh"), BAD)
def test_a_bad_entry_is_said_in_chinese_to_a_chinese_page(admin_app, path, body, parameter,
                                                           words, zh):
    response = sign_in(admin_app).put(f"/api/catalogue/{path}", json=body,
                                      headers={"Accept-Language": "zh"})
    error = assert_error(response, 400)
    assert zh in error["error"], error
    for english in ("must", "built-in", "already", "Input should", "String should", "holds"):
        assert english not in error["error"]


def test_every_problem_of_an_entry_is_said_in_chinese(admin_app):
    response = sign_in(admin_app).put("/api/catalogue/kinds/summer_class?lang=zh", json={
        **SUMMER, "services": ["sauna"], "groups": ["cats"]})
    error = assert_error(response, 400, "kinds")["error"]
    assert "['sauna'] 不是已有的服务；" in error and "；['cats'] 不是劳动者群体；" in error
