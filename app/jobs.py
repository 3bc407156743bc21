"""Long analyses as jobs: a planner's coverage or siting run queued, watched, cancelled.

A job is a row of ``analysis_jobs`` in the registry database (beside the stations and the
accounts), so any server process answers its status and takes its cancel; it *runs* in the
process that took it, in that process's thread pool (:class:`Jobs`, one job at a time, as the
analysis slot of :mod:`app.state` allows). The running thread reports each step of the analysis
to the row (stage, progress) and reads the row's cancel flag at the same moment: a cancelled
job stops at its next step with the state ``cancelled``, which frees the slot for the next one.

States: ``queued`` → ``running`` → ``done`` (with its result) or ``failed`` (with the error the
synchronous endpoint would have answered) or ``cancelled``; ``cancelling`` while a cancel waits
for the next step. A job belongs to the planner who asked for it (another planner reads 404),
and stays readable :data:`app.settings.job_keep_s` after it finished.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from app import settings as app_settings
from app.errors import PlannerBusy
from app.lang import catalogue
from geo.errors import NotFoundError

logger = logging.getLogger(__name__)

metadata = MetaData()

jobs_table = Table(
    "analysis_jobs", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # the order of the queue
    Column("id", String(32), nullable=False, unique=True),  # random, what the API names
    Column("owner", String(64), nullable=False, index=True),  # the planner's user name
    Column("analysis", String(16), nullable=False),  # coverage | plan
    Column("worker", String(32), nullable=False, index=True),  # the process that runs it
    Column("state", String(16), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("cancel", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("failure", Text),  # the error answer, JSON
    Column("failure_status", Integer),
    Column("result", LargeBinary),  # the answer, gzipped JSON
)

ANALYSES = ("coverage", "plan")
STATES = ("queued", "running", "cancelling", "done", "failed", "cancelled")
ACTIVE = ("queued", "running", "cancelling")
#: The steps a job goes through, in order (names in app/i18n, ``jobs.stage_<key>``).
STAGES = ("queued", "demand", "coverage", "gaps", "candidates", "matrix", "solving", "done",
          "failed", "cancelled")

#: Per analysis and stage, the share of the work done when the stage starts and ends.
SPANS: dict[str, dict[str, tuple[float, float]]] = {
    "coverage": {"demand": (0.0, 0.1), "coverage": (0.1, 0.75), "gaps": (0.75, 0.98)},
    "plan": {"demand": (0.0, 0.05), "coverage": (0.05, 0.35), "gaps": (0.35, 0.45),
             "candidates": (0.45, 0.55), "matrix": (0.55, 0.7), "solving": (0.7, 0.98)},
}


def stage_of(message: str, current: str) -> str:
    """The stage a progress message of :mod:`geo` starts (:func:`geo.workflow.run_plan`,
    :func:`geo.coverage.coverage`, :meth:`app.state.AppState.demand`)."""
    if message == "waiting":
        return current
    named = {"loading demand": "demand", "summary": "gaps", "gap areas": "gaps",
             "candidates": "candidates", "matrix": "matrix", "solving": "solving"}
    return named.get(message, "coverage")


class JobCancelled(Exception):
    """Raised by a job's progress callback when its cancel flag is set: the analysis stops."""


class JobFailed(Exception):
    """The error answer an analysis ended with (``body`` as the synchronous endpoint answers
    it, with ``status``)."""

    def __init__(self, body: dict, status: int):
        super().__init__(body.get("error", ""))
        self.body, self.status = body, status


class QueueFull(PlannerBusy):
    """This process's queue of jobs is full (503 with Retry-After)."""


@dataclass(frozen=True)
class JobView:
    """A job as its planner sees it (:meth:`Jobs.get`)."""

    id: str
    analysis: str
    state: str
    stage: str
    progress: float
    queue_position: int | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime
    failure: str | None
    failure_status: int | None

    def as_json(self, result: bytes | None) -> dict:
        """The job as GET /api/jobs/{job_id} answers it (:class:`app.schemas.Job`), with
        ``result`` (the answer's JSON bytes) once done."""
        key = f"job_stage_{self.stage}"
        failure = None
        if self.failure is not None:
            failure = {**json.loads(self.failure), "status": self.failure_status}
        return {"id": self.id, "analysis": self.analysis, "state": self.state,
                "stage": {"key": self.stage, "zh": catalogue("zh")["plan"][key],
                          "en": catalogue("en")["plan"][key]},
                "progress": self.progress, "queue_position": self.queue_position,
                "created_at": self.created_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "expires_at": self.expires_at.isoformat(), "failure": failure,
                "result": json.loads(result) if result is not None else None}


Work = Callable[[Callable[[str], None]], bytes]


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class Jobs:
    """The jobs of one server process, kept in the registry database.

    Parameters
    ----------
    engine
        The registry's engine; the table is created if missing.
    workers
        Jobs this process runs at the same time (``ANALYSES_AT_ONCE`` of :mod:`app.state`).
    """

    def __init__(self, engine: Engine, *, workers: int = 1):
        self.engine = engine
        self.workers = workers
        with contextlib.suppress(OperationalError):  # a read-only database: no jobs
            metadata.create_all(engine, tables=[jobs_table])
        self.after_fork()

    def after_fork(self) -> None:
        """Forget the parent's threads (call in a forked worker): a new process, a new queue."""
        self.worker = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}
        self._pool: ThreadPoolExecutor | None = None

    # --- asking, reading, cancelling ---

    def submit(self, owner: str, analysis: str, work: Work, *, full: str) -> JobView:
        """Queue ``work`` (called with a progress callback, returning the answer as JSON bytes)
        for ``owner``; :class:`QueueFull` with the message ``full`` when
        :data:`app.settings.job_queue_max` jobs wait in this process already.

        A planner has at most one waiting job of each analysis here: a new one replaces the one
        still waiting (which ends ``cancelled``), so one planner asking again and again keeps
        one place in the queue, not all of them."""
        if analysis not in ANALYSES:
            raise ValueError(f"`analysis` was {analysis!r} but must be one of {ANALYSES}")
        self.purge()
        job_id = secrets.token_urlsafe(16)
        now = _now()
        with self._lock:
            with self.engine.begin() as conn:
                conn.execute(update(jobs_table).where(
                    jobs_table.c.worker == self.worker, jobs_table.c.owner == owner,
                    jobs_table.c.analysis == analysis, jobs_table.c.state == "queued").values(
                    state="cancelled", stage="cancelled", cancel=True, finished_at=now,
                    expires_at=now + timedelta(seconds=app_settings.job_keep_s)))
                waiting = conn.execute(select(func.count()).select_from(jobs_table).where(
                    jobs_table.c.worker == self.worker, jobs_table.c.state == "queued")).scalar()
                if waiting >= app_settings.job_queue_max:
                    raise QueueFull(full)
                conn.execute(insert(jobs_table).values(
                    id=job_id, owner=owner, analysis=analysis, worker=self.worker,
                    state="queued", stage="queued", progress=0.0, cancel=False,
                    created_at=now,
                    expires_at=now + timedelta(seconds=app_settings.job_lost_s)))
            self._events[job_id] = threading.Event()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="yizhan-job")
            self._pool.submit(self._run, job_id, analysis, work)
        return self.get(owner, job_id)

    def _row(self, owner: str, job_id: str):
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs_table).where(jobs_table.c.id == job_id)).first()
        if row is None or row.owner != owner or _aware(row.expires_at) < _now():
            raise NotFoundError(f"no job {job_id[:40]!r} of yours (a finished job is kept "
                                f"{app_settings.job_keep_s:.0f} s; start the analysis again)")
        return row

    def get(self, owner: str, job_id: str) -> JobView:
        """``owner``'s job; :class:`NotFoundError` for another planner's, or none."""
        row = self._row(owner, job_id)
        position = None
        if row.state == "queued":
            with self.engine.connect() as conn:
                position = conn.execute(select(func.count()).select_from(jobs_table).where(
                    jobs_table.c.worker == row.worker, jobs_table.c.state.in_(ACTIVE),
                    jobs_table.c.seq < row.seq)).scalar()
        elif row.state in ("running", "cancelling"):
            position = 0
        return JobView(id=row.id, analysis=row.analysis, state=row.state, stage=row.stage,
                       progress=round(float(row.progress), 4), queue_position=position,
                       created_at=_aware(row.created_at), finished_at=_aware(row.finished_at),
                       expires_at=_aware(row.expires_at), failure=row.failure,
                       failure_status=row.failure_status)

    def result(self, owner: str, job_id: str) -> bytes | None:
        """The answer of ``owner``'s finished job as JSON bytes (None before it is done)."""
        row = self._row(owner, job_id)
        return gzip.decompress(row.result) if row.result is not None else None

    def cancel(self, owner: str, job_id: str) -> JobView:
        """Cancel ``owner``'s job: a queued one at once, a running one at its next step (the
        flag is in the database, so any process may take the cancel). A finished job stays as
        it is."""
        self._row(owner, job_id)
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(update(jobs_table).where(
                jobs_table.c.id == job_id, jobs_table.c.state == "queued").values(
                state="cancelled", stage="cancelled", cancel=True, finished_at=now,
                expires_at=now + timedelta(seconds=app_settings.job_keep_s)))
            conn.execute(update(jobs_table).where(
                jobs_table.c.id == job_id, jobs_table.c.state == "running").values(
                state="cancelling", cancel=True))
        event = self._events.get(job_id)
        if event is not None:  # running here: stop waiting at once
            event.set()
        return self.get(owner, job_id)

    def purge(self) -> None:
        """Delete the jobs kept long enough."""
        with contextlib.suppress(OperationalError), self.engine.begin() as conn:
            conn.execute(delete(jobs_table).where(jobs_table.c.expires_at < _now()))

    # --- running (in the pool's thread) ---

    def _run(self, job_id: str, analysis: str, work: Work) -> None:
        try:
            with self.engine.begin() as conn:
                started = conn.execute(update(jobs_table).where(
                    jobs_table.c.id == job_id, jobs_table.c.state == "queued",
                    jobs_table.c.cancel.is_(False)).values(state="running")).rowcount
            if not started:  # cancelled while it waited
                return
            self._finish(job_id, **self._outcome(job_id, analysis, work))
        except Exception:  # the database went away: the job stays as it was, then expires
            logger.exception("job %s could not be recorded", job_id)
        finally:
            self._events.pop(job_id, None)

    def _outcome(self, job_id: str, analysis: str, work: Work) -> dict:
        step = _Steps(self, job_id, analysis, self._events[job_id])
        try:
            raw = work(step)
        except JobCancelled:
            return {"state": "cancelled", "stage": "cancelled"}
        except JobFailed as exc:
            return {"state": "failed", "stage": "failed",
                    "failure": json.dumps(exc.body, ensure_ascii=False),
                    "failure_status": exc.status}
        except Exception:
            logger.exception("job %s (%s) failed", job_id, analysis)
            return {"state": "failed", "stage": "failed", "failure_status": 500,
                    "failure": '{"error": "internal error; the server log has the details", '
                               '"parameter": null}'}
        return {"state": "done", "stage": "done", "progress": 1.0,
                "result": gzip.compress(raw, 6, mtime=0)}

    def _finish(self, job_id: str, **values) -> None:
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(update(jobs_table).where(jobs_table.c.id == job_id).values(
                finished_at=now, expires_at=now + timedelta(seconds=app_settings.job_keep_s),
                **values))

    def _report(self, job_id: str, stage: str, progress: float) -> bool:
        """Write the job's stage and progress; False when its cancel flag is set."""
        with self.engine.begin() as conn:
            return bool(conn.execute(update(jobs_table).where(
                jobs_table.c.id == job_id, jobs_table.c.cancel.is_(False)).values(
                stage=stage, progress=progress)).rowcount)


class _Steps:
    """A job's progress callback: each message of the analysis moves its stage and progress
    (written to the database when the stage changes, else at most every half second), and
    raises :class:`JobCancelled` when the job's cancel flag is set."""

    def __init__(self, jobs: Jobs, job_id: str, analysis: str, event: threading.Event):
        self.jobs, self.job_id, self.event = jobs, job_id, event
        self.spans = SPANS[analysis]
        self.stage, self.progress, self.written = "queued", 0.0, 0.0

    def __call__(self, message: str) -> None:
        stage = stage_of(message, self.stage)
        if stage != self.stage and stage in self.spans:
            self.stage, self.progress = stage, self.spans[stage][0]
        elif stage in self.spans:  # another step of the same stage: half the rest of it
            self.progress += (self.spans[stage][1] - self.progress) / 2
        now = time.monotonic()
        if self.event.is_set():
            raise JobCancelled
        if message != "waiting" or now - self.written >= 0.5:
            self.written = now
            if not self.jobs._report(self.job_id, self.stage, round(self.progress, 4)):
                raise JobCancelled  # cancelled through another process
        delay = app_settings.job_step_delay_s
        if delay > 0 and message != "waiting" and self.event.wait(delay):
            raise JobCancelled
