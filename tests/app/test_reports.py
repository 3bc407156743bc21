"""Workers' reports (app.reports and the report views): the answer to a report tells its sender
what became of their own report and nothing of anyone else's; every worker's words and position
are kept as entries of the open report (bounded, and said when the bound is reached); report text
follows the text policy; positions and entries are for planners only."""

from __future__ import annotations

import json
import sqlite3

import pytest

from app import settings
from app.reports import Reports
from geo.registry import Registry

from .conftest import assert_error, client_at, own_app, sign_in

#: What the answer to a report may hold: nothing of another worker's report.
RECEIPT_KEYS = {"received", "station_id", "kind", "counted_on_open_report", "notes"}
#: What the first worker wrote and where they stood (what no other worker may read).
SECRET = "我是张伟，电话 13800138000，门锁着"
WHERE = (24.9512345, 60.1698765)


@pytest.fixture
def app(demo, tmp_path):
    app = own_app(demo, tmp_path, REPORT_RATE_LIMIT="10000 per minute")
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def planner(app):
    return sign_in(app)


def worker(app, address: str = "10.0.0.1"):
    """A client at its own address (a phone)."""
    return client_at(app, address)


def report(app, address: str, **body):
    return worker(app, address).post("/api/reports", json=body)


def raw_report(station_id: str, kind: str, text: str | None = None) -> str:
    """A report's body written by hand, ``station_id`` and ``text`` as JSON text (escapes such as
    ``\\ud800`` reach the server as written: Flask's json would not send a lone surrogate)."""
    fields = [f'"station_id": {station_id}', f'"kind": "{kind}"']
    if text is not None:
        fields.append(f'"text": {text}')
    return "{" + ", ".join(fields) + "}"


def assert_says_nothing_of_others(response, sent: dict) -> dict:
    """A 201 holding only the receipt of what was sent: no id, count, text or position."""
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert set(answer) == RECEIPT_KEYS
    assert answer["received"] is True
    assert (answer["station_id"], answer["kind"]) == (sent["station_id"], sent["kind"])
    raw = response.get_data(as_text=True)
    for secret in ("13800138000", "张伟", "门锁着", "24.95123", "60.16987"):
        assert secret not in raw
    assert "Location" not in response.headers
    return answer


# --- what a worker is told ------------------------------------------------------------------------

def test_a_second_report_answers_nothing_of_the_first(app, demo_stations):
    sid = demo_stations[0].id
    first = {"station_id": sid, "kind": "closed", "text": SECRET, "lon": WHERE[0],
             "lat": WHERE[1]}
    answer = assert_says_nothing_of_others(report(app, "10.0.0.1", **first), first)
    assert answer == {"received": True, "station_id": sid, "kind": "closed",
                      "counted_on_open_report": False, "notes": []}
    second = {"station_id": sid, "kind": "closed"}
    answer = assert_says_nothing_of_others(report(app, "10.0.0.2", **second), second)
    assert answer == {"received": True, "station_id": sid, "kind": "closed",
                      "counted_on_open_report": True, "notes": []}
    # with words and a position of its own, the same: only its own receipt
    third = {"station_id": sid, "kind": "closed", "text": "没人", "lon": 24.95, "lat": 60.17}
    assert assert_says_nothing_of_others(report(app, "10.0.0.3", **third), third)["notes"] == []


def test_asking_every_station_and_kind_reads_no_report(app, planner, demo_stations):
    """The probe's 505 requests (every kind at every station) read nothing: each answer is the
    same 201 receipt of what it sent, whatever reports are open."""
    kinds = ["closed", "full", "moved", "missing_service", "other"]
    for i, station in enumerate(demo_stations[:20]):  # open reports at a score of stations
        body = {"station_id": station.id, "kind": kinds[i % 5], "text": f"{SECRET} #{i}",
                "lon": WHERE[0], "lat": WHERE[1]}
        assert report(app, f"10.0.1.{i}", **body).status_code == 201
    prober = worker(app, "10.9.9.9")
    statuses, counted = set(), 0
    for station in demo_stations:
        for kind in kinds:
            sent = {"station_id": station.id, "kind": kind}
            response = prober.post("/api/reports", json=sent)
            answer = assert_says_nothing_of_others(response, sent)
            statuses.add(response.status_code)
            counted += answer["counted_on_open_report"]
            assert answer["notes"] == []
    assert statuses == {201}
    assert counted == 20  # the only thing said: that it counts on an open report
    assert len(demo_stations) * 5 >= 100
    # the reports themselves are intact, for planners
    listed = planner.get("/api/reports?status=open&limit=5000").get_json()["reports"]
    assert sum(r["count"] for r in listed) == 20 + len(demo_stations) * 5


def test_the_status_is_201_whether_new_or_counted(app, demo_stations):
    sid = demo_stations[1].id
    assert [report(app, f"10.0.0.{i}", station_id=sid, kind="full").status_code
            for i in range(3)] == [201, 201, 201]


def test_the_document_describes_the_receipt(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    answers = spec["paths"]["/api/reports"]["post"]["responses"]
    assert "200" not in answers
    schema = answers["201"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ReportReceipt"}
    receipt = spec["components"]["schemas"]["ReportReceipt"]
    assert set(receipt["properties"]) == RECEIPT_KEYS


# --- every worker's words kept --------------------------------------------------------------------

def test_three_workers_words_are_all_kept_as_entries(app, planner, demo_stations):
    """One worker's 1,000 characters no longer crowd out the others' words."""
    sid = demo_stations[2].id
    texts = ["满" * 1000, "门口排长队 13900000000", "热水也没了"]
    places = [(24.941, 60.171), (24.942, 60.172), None]
    for i, (text, place) in enumerate(zip(texts, places, strict=True)):
        body = {"station_id": sid, "kind": "full", "text": text}
        if place:
            body["lon"], body["lat"] = place
        answer = report(app, f"10.0.0.{i}", **body).get_json()
        assert answer["notes"] == [] and answer["counted_on_open_report"] == (i > 0)
    (listed,) = planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]
    assert listed["count"] == 3 and listed["text"] == texts[0]
    assert [e["text"] for e in listed["entries"]] == texts
    assert [(e["lon"], e["lat"]) for e in listed["entries"]] == [*places[:2], (None, None)]
    assert all(e["at"].endswith("+00:00") for e in listed["entries"])


def test_a_report_keeps_so_many_entries_and_says_when_it_is_full(app, planner, demo_stations,
                                                                  monkeypatch):
    monkeypatch.setattr(settings, "report_entries_max", 3)
    sid = demo_stations[3].id
    answers = [report(app, f"10.0.0.{i}", station_id=sid, kind="moved", text=f"第{i}个",
                      lon=24.94, lat=60.17) for i in range(5)]
    assert [a.status_code for a in answers] == [201] * 5
    notes = [a.get_json()["notes"] for a in answers]
    assert notes[:3] == [[], [], []]
    for note in notes[3:]:
        (only,) = note
        assert only["code"] == "not_kept" and "3" in only["message"]
        assert "could not be kept" in only["message"] or "未能保存" in only["message"]
    zh = worker(app, "10.0.0.8").post("/api/reports?lang=zh", json={
        "station_id": sid, "kind": "moved", "text": "还是不对"}).get_json()
    assert "未能保存" in zh["notes"][0]["message"]
    # nothing to keep (no text, no position): counted, and nothing to say
    assert report(app, "10.0.0.9", station_id=sid, kind="moved").get_json()["notes"] == []
    (listed,) = planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]
    assert listed["count"] == 7
    assert [e["text"] for e in listed["entries"]] == ["第0个", "第1个", "第2个"]


# --- the text policy ------------------------------------------------------------------------------

@pytest.mark.parametrize("escaped, removed", [
    ("\\ud800", "U+D800"), ("\\udfff\\ud800", "U+D800"), ("\\u0000", "U+0000"),
    ("\\u202e", "U+202E"), ("\\u2066\\u0007", "U+2066"), ("\\uffff", "U+FFFF"),
])
def test_text_the_policy_refuses_is_cleaned_and_said(app, planner, demo_stations, escaped,
                                                     removed):
    """A raw body, so that the lone surrogates reach the server as JSON escapes."""
    sid = demo_stations[4].id
    body = raw_report(json.dumps(sid), "other", '"热水没了' + escaped + '\\n明天再来"')
    response = worker(app).post("/api/reports?lang=en", data=body,
                                content_type="application/json")
    assert response.status_code == 201, response.get_data(as_text=True)
    (note,) = response.get_json()["notes"]
    assert note["code"] == "text_cleaned" and removed in note["message"]
    (listed,) = planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]
    assert listed["text"] == "热水没了\n明天再来"  # line breaks are text


def test_text_of_refused_characters_only_is_kept_empty(app, planner, demo_stations):
    sid = demo_stations[4].id
    response = worker(app).post("/api/reports?lang=zh",
                                data=raw_report(json.dumps(sid), "full", '"\\ud800"'),
                                content_type="application/json")
    assert response.status_code == 201
    assert "U+D800" in response.get_json()["notes"][0]["message"]
    assert "已从你的文字中删除" in response.get_json()["notes"][0]["message"]
    (listed,) = planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]
    assert listed["text"] == "" and listed["entries"] == []


@pytest.mark.parametrize("station_id", ["\\ud800", "\\u0000", "a\\u202eb"])
def test_a_station_id_with_refused_characters_is_400_naming_it(app, station_id):
    response = worker(app).post("/api/reports", data=raw_report(f'"{station_id}"', "full"),
                                content_type="application/json")
    assert_error(response, 400, "station_id")


# --- planners -----------------------------------------------------------------------------------

def test_planners_see_entries_and_positions_and_nobody_else(app, planner, demo_stations):
    sid = demo_stations[5].id
    report(app, "10.0.0.1", station_id=sid, kind="closed", text=SECRET, lon=WHERE[0],
           lat=WHERE[1])
    report(app, "10.0.0.2", station_id=sid, kind="closed", text="同上", lon=24.95, lat=60.17)
    for anonymous in (app.test_client(), worker(app, "10.0.0.1")):
        assert_error(anonymous.get("/api/reports"), 401)
        assert_error(anonymous.get(f"/api/reports?station_id={sid}"), 401)
        assert_error(anonymous.patch("/api/reports/1", json={"status": "handled"}), 401)
    (listed,) = planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]
    assert [(e["text"], e["lon"], e["lat"]) for e in listed["entries"]] == [
        (SECRET, *WHERE), ("同上", 24.95, 60.17)]
    handled = planner.patch(f"/api/reports/{listed['id']}", json={"status": "handled"})
    assert handled.status_code == 200
    assert [e["text"] for e in handled.get_json()["entries"]] == [SECRET, "同上"]


# --- folding and handling -------------------------------------------------------------------------

def test_the_same_problem_reported_again_counts_on_the_open_report(app, planner, demo_stations):
    sid = demo_stations[0].id
    first = report(app, "10.0.0.1", station_id=sid, kind="closed", text="锁门")
    again = report(app, "10.0.0.2", station_id=sid, kind="closed", text="没人")
    assert first.status_code == again.status_code == 201
    assert again.get_json()["counted_on_open_report"] is True
    other_kind = report(app, "10.0.0.3", station_id=sid, kind="full")
    assert other_kind.get_json()["counted_on_open_report"] is False
    listed = planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]
    assert [(r["kind"], r["count"], r["status"]) for r in listed] == [
        ("full", 1, "open"), ("closed", 2, "open")]
    assert [e["text"] for e in listed[1]["entries"]] == ["锁门", "没人"]

    rid = listed[1]["id"]
    handled = planner.patch(f"/api/reports/{rid}", json={"status": "handled"})
    assert handled.status_code == 200
    assert handled.get_json()["status"] == "handled" and handled.get_json()["handled_at"]
    assert [r["id"] for r in planner.get("/api/reports?status=open").get_json()["reports"]] == [
        listed[0]["id"]]
    # reported again once handled: a new report
    new = report(app, "10.0.0.4", station_id=sid, kind="closed")
    assert new.status_code == 201 and new.get_json()["counted_on_open_report"] is False
    assert len(planner.get(f"/api/reports?station_id={sid}").get_json()["reports"]) == 3


def test_marking_reports_needs_a_planner_and_a_real_report(app, planner):
    assert_error(app.test_client().patch("/api/reports/1", json={"status": "handled"}), 401)
    assert_error(planner.patch("/api/reports/999", json={"status": "handled"}), 404)
    assert_error(planner.patch("/api/reports/99999999999999999999",
                               json={"status": "handled"}), 404)
    assert_error(planner.patch("/api/reports/1", json={"status": "done"}), 400, "status")


# --- the storage ----------------------------------------------------------------------------------

def test_a_receipt_says_what_became_of_the_report(app, demo_stations):
    reports = Reports(Registry(app.config["DB_URL"]))
    sid = demo_stations[6].id
    first = reports.add(sid, "full", "人太多\u202e", lon=24.9, lat=60.1)
    assert (first.folded, first.kept, first.removed) == (False, True, ("\u202e",))
    again = reports.add(sid, "full", "")
    assert (again.report_id, again.folded, again.kept, again.removed) == (
        first.report_id, True, True, ())
    (stored,) = reports.list(station_id=sid)
    assert stored["count"] == 2 and stored["entries"] == [
        {"text": "人太多", "lon": 24.9, "lat": 60.1, "at": stored["created_at"]}]


def test_an_older_reports_table_gains_count_status_and_entries(tmp_path, demo_stations):
    path = tmp_path / "old.sqlite"
    registry = Registry(f"sqlite:///{path}")
    registry.upsert(demo_stations[:1])
    sid = demo_stations[0].id
    with sqlite3.connect(path) as db:  # the table as it was before counts, statuses, entries
        db.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY, station_id VARCHAR(64) NOT "
                   "NULL, kind VARCHAR(32) NOT NULL, text TEXT NOT NULL, lon FLOAT, lat FLOAT, "
                   "created_at DATETIME NOT NULL)")
        db.execute("INSERT INTO reports VALUES (1, ?, 'closed', '锁门 | 没人', 24.9, 60.1, ?)",
                   (sid, "2020-01-01 00:00:00"))
    reports = Reports(Registry(f"sqlite:///{path}"))
    (old,) = reports.list()
    assert (old["count"], old["status"]) == (1, "open")
    assert [(e["text"], e["lon"]) for e in old["entries"]] == [("锁门 | 没人", 24.9)]
    assert reports.add(sid, "closed").report_id == 2  # years old: not folded
    reports.add(sid, "closed", "还是关着")
    assert [e["text"] for e in reports.list()[0]["entries"]] == ["还是关着"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM report_entries").fetchone() == (1,)
