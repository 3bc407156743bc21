"""Coverage and siting runs as jobs (app.jobs; POST /api/jobs/coverage and /api/jobs/plan, GET and
DELETE /api/jobs/{job_id}): stages and progress, the synchronous answer as result, cancelling,
the queue per server process, jobs private to their planner, a full queue."""

from __future__ import annotations

import time

import pytest

from app import settings as app_settings
from app.handlers import BUSY_RETRY_S
from app.jobs import STAGES, Jobs, stage_of

from .conftest import add_account, assert_error, own_app, sign_in

OTHER = "wang.fang"


@pytest.fixture(scope="module")
def app(demo, tmp_path_factory):
    app = own_app(demo, tmp_path_factory.mktemp("jobs"), ANALYSIS_RATE_LIMIT="10000 per minute")
    add_account(app, OTHER)
    yield app
    app.extensions["yizhan"].registry.engine.dispose()


@pytest.fixture
def slow(app, monkeypatch):
    """Each step of an analysis pauses (app.settings.job_step_delay_s), so a test sees it run;
    afterwards every job still going is cancelled and waited for."""
    def pause(seconds: float) -> None:
        monkeypatch.setattr(app_settings, "job_step_delay_s", seconds)

    pause(0.3)
    yield pause
    jobs = app.extensions["yizhan"].jobs
    with jobs.engine.begin() as conn:
        from app.jobs import jobs_table

        conn.execute(jobs_table.update().where(jobs_table.c.state.in_(("queued", "running")))
                     .values(cancel=True))
    for event in list(jobs._events.values()):
        event.set()
    deadline = time.monotonic() + 30
    while jobs._events and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def planner(app):
    return sign_in(app)


@pytest.fixture
def other(app):
    return sign_in(app, OTHER)


def start(client, analysis: str, body: dict) -> dict:
    response = client.post(f"/api/jobs/{analysis}", json=body)
    assert response.status_code == 202, response.get_json()
    assert response.headers["Location"].endswith("/api/jobs/" + response.get_json()["id"])
    return response.get_json()


def poll(client, job_id: str, until, timeout: float = 60.0) -> list[dict]:
    """Every answer of GET /api/jobs/{job_id} until ``until(answer)``."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.get_json()
        seen.append(response.get_json())
        if until(seen[-1]):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there: last {seen[-1]}")


def finished(job: dict) -> bool:
    return job["state"] in ("done", "failed", "cancelled")


def test_a_coverage_job_goes_through_its_stages_to_the_synchronous_answer(planner, slow):
    job = start(planner, "coverage", {"minutes": 11, "group": ["sanitation_worker"]})
    assert job["state"] in ("queued", "running") and job["analysis"] == "coverage"
    assert job["progress"] == 0 and job["result"] is None
    seen = poll(planner, job["id"], finished)
    last = seen[-1]
    assert last["state"] == "done", last
    assert last["stage"] == {"key": "done", "zh": "完成", "en": "done"}
    assert last["progress"] == 1 and last["queue_position"] is None and last["failure"] is None
    stages = [s["stage"]["key"] for s in seen]
    assert {"coverage", "gaps"} <= set(stages), stages
    order = [STAGES.index(k) for k in stages]
    assert order == sorted(order), stages  # stages only advance
    shares = [s["progress"] for s in seen]
    assert shares == sorted(shares) and 0 < shares[len(shares) // 2] < 1, shares
    running = next(s for s in seen if s["stage"]["key"] == "coverage")
    assert running["stage"]["zh"] == "计算覆盖" and running["queue_position"] == 0
    direct = planner.get("/api/coverage?minutes=11&group=sanitation_worker")
    assert direct.status_code == 200
    assert last["result"] == direct.get_json()


def test_a_plan_job_searches_and_solves_and_answers_as_post_plan(planner, slow):
    body = {"kind": "sanitation_station", "add": 3, "minutes": 2.1,
            "group": ["sanitation_worker"]}
    job = start(planner, "plan", body)
    seen = poll(planner, job["id"], finished)
    assert seen[-1]["state"] == "done", seen[-1]
    stages = {s["stage"]["key"] for s in seen}
    assert {"candidates", "solving"} <= stages, stages
    solving = next(s for s in seen if s["stage"]["key"] == "solving")
    assert solving["stage"] == {"key": "solving", "zh": "求解", "en": "solving"}
    direct = planner.post("/api/plan", json=body)
    assert direct.status_code == 200
    assert seen[-1]["result"] == direct.get_json()
    assert seen[-1]["result"]["downloads"]["csv"].startswith("/api/plan/proposal.csv?")


def test_cancel_stops_a_running_job_and_frees_the_process(planner, slow, app):
    slow(5.0)  # a step would take five seconds: only a cancel ends it sooner
    job = start(planner, "plan", {"kind": "sanitation_station", "add": 2, "minutes": 2.3})
    poll(planner, job["id"], lambda j: j["state"] == "running" and j["stage"]["key"] != "queued")
    started = time.monotonic()
    cancelled = planner.delete(f"/api/jobs/{job['id']}")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["state"] in ("cancelling", "cancelled")
    last = poll(planner, job["id"], finished)[-1]
    assert time.monotonic() - started < 3
    assert last["state"] == "cancelled" and last["stage"]["key"] == "cancelled", last
    assert last["stage"]["zh"] == "已取消" and last["result"] is None
    slow(0.0)
    # the slot is free: a synchronous run computes at once (no 503), and so does a new job
    assert planner.get("/api/coverage?minutes=14&group=sanitation_worker").status_code == 200
    again = start(planner, "plan", {"kind": "sanitation_station", "add": 2, "minutes": 2.3})
    assert poll(planner, again["id"], finished)[-1]["state"] == "done"


def test_a_second_planner_waits_with_its_queue_position(planner, other, slow):
    slow(5.0)
    first = start(planner, "plan", {"kind": "sanitation_station", "add": 2, "minutes": 2.5})
    poll(planner, first["id"], lambda j: j["state"] == "running")
    second = start(other, "coverage", {"minutes": 16})
    assert second["state"] == "queued" and second["queue_position"] == 1
    assert second["stage"]["key"] == "queued"
    waiting = other.get(f"/api/jobs/{second['id']}").get_json()
    assert waiting["state"] == "queued" and waiting["queue_position"] == 1
    slow(0.0)
    planner.delete(f"/api/jobs/{first['id']}")
    last = poll(other, second["id"], finished)[-1]
    assert last["state"] == "done" and last["result"]["budgets"]


def test_a_job_is_its_planners_alone(planner, other, slow):
    slow(5.0)
    job = start(planner, "coverage", {"minutes": 17})
    assert_error(other.get(f"/api/jobs/{job['id']}"), 404)
    assert_error(other.delete(f"/api/jobs/{job['id']}"), 404)
    assert planner.get(f"/api/jobs/{job['id']}").get_json()["state"] in ("queued", "running")
    assert_error(planner.get("/api/jobs/no-such-job"), 404)
    anonymous = planner.application.test_client()
    assert_error(anonymous.get(f"/api/jobs/{job['id']}"), 401)
    assert_error(anonymous.post("/api/jobs/coverage", json={}), 401)


def test_a_full_queue_answers_503_with_retry_after_in_the_planners_language(
        planner, other, slow, monkeypatch):
    slow(5.0)
    monkeypatch.setattr(app_settings, "job_queue_max", 1)
    first = start(planner, "coverage", {"minutes": 18})
    poll(planner, first["id"], lambda j: j["state"] == "running")
    start(other, "coverage", {"minutes": 19})  # waits: the queue holds one
    plan = {"kind": "sanitation_station", "add": 2, "minutes": 2.7}
    full = other.post("/api/jobs/plan", json=plan)
    body = assert_error(full, 503)
    assert full.headers["Retry-After"] == str(BUSY_RETRY_S)  # not the rate limiter's minute
    assert "分析排队已满" in body["error"]
    english = other.post("/api/jobs/plan?lang=en", json=plan)
    assert english.status_code == 503 and "queue is full" in english.get_json()["error"]


def test_a_new_job_replaces_the_planners_job_still_waiting(planner, other, slow):
    """One planner asking again keeps one place in the queue: the job still waiting ends
    cancelled; the running one and other planners' jobs go on."""
    slow(5.0)
    running = start(planner, "coverage", {"minutes": 22})
    poll(planner, running["id"], lambda j: j["state"] == "running")
    theirs = start(other, "coverage", {"minutes": 23})
    older = start(planner, "coverage", {"minutes": 24})
    newer = start(planner, "coverage", {"minutes": 25})
    assert planner.get(f"/api/jobs/{older['id']}").get_json()["state"] == "cancelled"
    assert planner.get(f"/api/jobs/{running['id']}").get_json()["state"] == "running"
    assert other.get(f"/api/jobs/{theirs['id']}").get_json()["queue_position"] == 1
    assert planner.get(f"/api/jobs/{newer['id']}").get_json()["queue_position"] == 2


def test_a_job_that_fails_keeps_the_synchronous_error(planner, slow):
    slow(0.0)
    job = start(planner, "plan", {"kind": "sanitation_station", "add": 2,
                                  "group": ["truck_driver"]})  # truck drivers use no such kind
    last = poll(planner, job["id"], finished)[-1]
    direct = planner.post("/api/plan", json={"kind": "sanitation_station", "add": 2,
                                             "group": ["truck_driver"]})
    assert last["state"] == "failed" and last["stage"]["key"] == "failed"
    assert last["failure"] == {**direct.get_json(), "status": direct.status_code}
    assert 400 <= direct.status_code < 500


def test_a_bad_body_is_a_400_naming_the_field(planner):
    assert_error(planner.post("/api/jobs/plan", json={"kind": "sanitation_station"}), 400, "add")
    assert_error(planner.post("/api/jobs/coverage", json={"h3_res": 99}), 400, "h3_res")


def test_any_process_takes_the_cancel(app, planner, slow):
    """Jobs are rows of the registry database: another process (another Jobs on it) cancels a
    job this one runs, and the running thread stops at its next step."""
    slow(1.0)
    job = start(planner, "coverage", {"minutes": 21})
    poll(planner, job["id"], lambda j: j["state"] == "running" and j["stage"]["key"] != "queued")
    elsewhere = Jobs(app.extensions["yizhan"].registry.engine)
    from .conftest import PLANNER

    assert elsewhere.get(PLANNER, job["id"]).state == "running"
    assert elsewhere.cancel(PLANNER, job["id"]).state == "cancelling"
    assert poll(planner, job["id"], finished)[-1]["state"] == "cancelled"


@pytest.mark.parametrize(("message", "stage"), [
    ("loading demand", "demand"), ("sanitation_worker: walk network", "coverage"),
    ("coverage", "coverage"), ("summary", "gaps"), ("gap areas", "gaps"),
    ("candidates", "candidates"), ("matrix", "matrix"), ("solving", "solving")])
def test_each_message_of_the_analyses_names_a_stage(message, stage):
    assert stage_of(message, "queued") == stage
    assert stage_of("waiting", stage) == stage


def test_an_optional_number_may_be_empty_and_only_empty(planner):
    """The document says an optional number's parameter may be empty (`allowEmptyValue`: the
    default, as the API reads it); a value of white space or control characters is not empty
    but a bad number (400 naming it), as the document says too."""
    spec = planner.get("/api/openapi.json").get_json()
    limit = next(p for p in spec["paths"]["/api/reports"]["get"]["parameters"]
                 if p["name"] == "limit")
    assert limit["allowEmptyValue"] is True and limit["schema"]["maximum"] >= 1
    assert planner.get("/api/reports?limit=").status_code == 200
    assert_error(planner.get("/api/coverage?h3_res=%1C"), 400, "h3_res")
    assert_error(planner.get("/api/reports?limit=%20"), 400, "limit")
