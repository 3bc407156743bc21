"""From errors to JSON answers: the app's one error handler and the answer every refusal uses.

Every error of the hierarchy (:mod:`geo.errors`, :mod:`app.errors`) becomes JSON
``{"error": ..., "parameter": ...}`` with the status :data:`ANSWERS` gives it; HTTP errors under
``/api`` do too. A database that cannot be read is a 503 in the client's language; an answer
that asks the client to wait (503, and the 429 of :mod:`app.limits` and of sign-in) says how
long in ``Retry-After``, whole seconds, at least 1. The views of :mod:`app.api` and of sign-in
(:mod:`app.auth`) refuse with :func:`error_response`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC

from flask import Flask, current_app, g, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.errors import DemandFileError, OutsideRegions, PlannerBusy, VersionRequired
from app.lang import catalogue
from app.pages import pick_lang
from app.state import state
from geo.errors import (
    ConflictError,
    DatabaseDamaged,
    DatabaseUnavailable,
    DataFileError,
    InputError,
    NetworkError,
    NotFoundError,
    OffNetworkError,
    StaleVersionError,
    YizhanError,
)
from geo.registry import Versioned
from geo.stations import local_time

#: Stands for "the parameter the error names itself" in :data:`ANSWERS`.
OWN = object()

#: Error class -> (status, the parameter at fault, what else the answer says), the first class
#: that matches wins; any other error of the hierarchy is a 400.
ANSWERS: tuple[tuple[type[Exception], int, object, Callable[[Exception], dict] | None], ...] = (
    (PlannerBusy, 503, None, None),
    (DemandFileError, 409, "demand",
     lambda e: {"problems": [p.as_dict() for p in e.problems[:50]]}),
    (InputError, 400, OWN, None),
    (NotFoundError, 404, None, None),
    (OutsideRegions, 422, "lat",
     lambda e: {"distance_m": round(e.distance_m, 1), "regions": e.regions}),
    (OffNetworkError, 422, "lat", lambda e: {"distance_m": round(e.distance_m, 1)}),
    (DataFileError, 400, "file", lambda e: {"problems": [p.as_dict() for p in e.problems]}),
    (NetworkError, 400, "mode", None),
    (ConflictError, 409, OWN, None),
    (VersionRequired, 428, "If-Match", None),
)

#: Seconds a client should wait before asking again: a busy analysis, an unreadable database.
BUSY_RETRY_S, DATABASE_RETRY_S = 5, 30


def error_response(message: str, status: int, parameter: str | None = None, **extra):
    """The JSON answer ``{"error": message, "parameter": parameter, **extra}`` with ``status``."""
    response = jsonify({"error": message, "parameter": parameter, **extra})
    response.status_code = status
    return response


def retry_after(response, seconds: float):
    """``response`` with ``Retry-After``: whole seconds, at least 1. Kept for the request too
    (``g.retry_after_s``), so that the rate limiter's own header, which it writes on every answer
    of a limited endpoint, does not replace it (:func:`app.limits.wait_header`)."""
    g.retry_after_s = max(1, math.ceil(seconds))
    response.headers["Retry-After"] = str(g.retry_after_s)
    return response


def yizhan_error(exc: YizhanError):
    """An error of the hierarchy as its answer (:data:`ANSWERS`)."""
    for kind, status, parameter, extra in ANSWERS:
        if isinstance(exc, kind):
            named = getattr(exc, "parameter", None) if parameter is OWN else parameter
            response = error_response(str(exc), status, named, **(extra(exc) if extra else {}))
            return retry_after(response, BUSY_RETRY_S) if status == 503 else response
    return error_response(str(exc), 400)


def stale_version(exc: StaleVersionError):
    """409: the station as it is now, its version, and who changed it last and when."""
    when = exc.changed_at
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    who = exc.changed_by or "?"
    shown = when.astimezone(local_time(None).tzinfo).strftime("%Y-%m-%d %H:%M") if when else ""
    message = (f"{who} 在你打开之后修改了此站点（{shown}）; {exc}. Reload it to see their change, "
               f"or send If-Match: \"{exc.version}\" to overwrite it")
    current = state().current().versioned_feature(Versioned(exc.station, exc.version))
    response = error_response(message, 409, "version", version=exc.version, changed_by=who,
                              changed_at=when.isoformat() if when else None, current=current)
    response.set_etag(str(exc.version))
    return response


def database_unavailable(exc: Exception):
    """A read-only, locked or absent database: 503 and a message in the client's language, the
    details in the server log only."""
    current_app.logger.warning("database unavailable on %s: %s", request.path, exc)
    response = error_response(catalogue(pick_lang())["api"]["database_unavailable"], 503)
    return retry_after(response, DATABASE_RETRY_S)


def database_damaged(exc: Exception):
    """A database file that is damaged: logged whole (the path and what to do are for the
    server's administrator), answered as the database being unavailable (503), never a 500."""
    current_app.logger.error("the station database is damaged (%s): %s", request.path, exc)
    response = error_response(catalogue(pick_lang())["api"]["database_unavailable"], 503)
    return retry_after(response, DATABASE_RETRY_S)


def http_error(exc: HTTPException):
    """An HTTP error under ``/api`` as JSON, with its headers (e.g. Allow on a 405)."""
    if not request.path.startswith("/api/"):
        return exc
    response = error_response(exc.description or exc.name, exc.code or 500)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def unexpected(exc: Exception):
    """Any other error: raised again when testing, else logged and a 500."""
    if isinstance(exc, HTTPException):  # pragma: no cover - handled by http_error
        return http_error(exc)
    if current_app.testing:
        raise exc
    current_app.logger.exception("unexpected error on %s", request.path)
    if request.path.startswith("/api/"):
        return error_response("internal error; the server log has the details", 500)
    return "Internal Server Error", 500


def register_error_handlers(app: Flask) -> None:
    """Turn the hierarchy's errors (always) and HTTP errors (under ``/api``) into JSON answers.

    Flask picks the handler of the most specific class, so a stale version and an unreadable
    database get their own answers before the hierarchy's."""
    app.register_error_handler(YizhanError, yizhan_error)
    app.register_error_handler(StaleVersionError, stale_version)
    app.register_error_handler(DatabaseUnavailable, database_unavailable)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(DatabaseDamaged, database_damaged)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
