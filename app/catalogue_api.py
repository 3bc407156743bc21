"""The deployment's own station kinds and service words on the web: ``GET /api/catalogue`` for
the pages and any client, ``PUT /api/catalogue/kinds/<id>`` and
``PUT /api/catalogue/services/<id>`` for administrators (the planner view's kinds panel).

The catalogue is :mod:`geo.catalogue`: the built-in kinds and services, those of the file
``CATALOGUE`` (``$YIZHAN_CATALOGUE``) and those administrators stored in the registry database.
:func:`use_deployment_catalogue` puts it in place before the app reads its stations (a station
may be of a kind of the deployment's own); every worker process then follows the stored entries,
checking their version at most once per ``REGISTRY_CHECK_INTERVAL``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, request

from app.auth import actor, requires
from app.handlers import error_response
from app.lang import say_message
from app.openapi import operation
from app.pages import pick_lang
from app.schemas.catalogue import CatalogueAnswer, KindBody, ServiceBody
from app.state import state
from geo.catalogue import (
    ID_PATTERN,
    CatalogueStore,
    Entry,
    Section,
    active_catalogue,
    follow_store,
    load_catalogue,
    said_together,
    spec_problems,
    use_catalogue,
    with_entry,
)
from geo.errors import InputError, Message, message_of
from geo.registry import Registry
from geo.style import ICON_NAMES

bp = Blueprint("catalogue", __name__)

#: The path parameters of the writes: ids as the catalogue takes them.
_IDS = {"kind_id": {"type": "string", "pattern": ID_PATTERN},
        "service_id": {"type": "string", "pattern": ID_PATTERN}}


def use_deployment_catalogue(db_url: str, path: str | Path | None) -> None:
    """Put the deployment's catalogue in place: the file ``path`` (None or empty: none) and the
    entries stored in the database at ``db_url``.

    Raises
    ------
    geo.errors.InputError
        When the file has problems (every one, with file, table and field).
    """
    registry = Registry(db_url)
    try:
        use_catalogue(load_catalogue(path or "", engine=registry.engine))
    finally:
        registry.engine.dispose()


class Follower:
    """Keeps this process's catalogue the stored one (checked at most once per ``interval``
    seconds, by one thread at a time)."""

    def __init__(self, store: CatalogueStore, path: str | Path | None, interval: float):
        self.store, self.path, self.interval = store, path or "", interval
        self.version = store.version()
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def check(self, *, now: bool = False) -> None:
        """Load the catalogue again when the stored entries changed."""
        if not now and time.monotonic() - self._checked < self.interval:
            return
        if self._lock.acquire(blocking=now):
            try:
                self.version = follow_store(self.store, self.version, path=self.path)
            finally:
                self._checked = time.monotonic()
                self._lock.release()


def init_app(app: Flask) -> None:
    """Register the catalogue routes under ``/api`` and follow the stored entries (after
    :func:`use_deployment_catalogue` and the app's state)."""
    store = CatalogueStore(app.extensions["yizhan"].registry.engine)
    follower = Follower(store, app.config.get("CATALOGUE"),
                        float(app.config.get("REGISTRY_CHECK_INTERVAL") or 1.0))
    app.extensions["catalogue"] = follower
    app.before_request(follower.check)
    app.register_blueprint(bp, url_prefix="/api")


#: The writes, by endpoint: the section each writes.
_SECTIONS: dict[str, Section] = {"catalogue.put_kind": "kinds",
                                 "catalogue.put_service": "services"}


@bp.errorhandler(InputError)
def _refused(exc: InputError):
    """A refused entry: 400 in the client's language (Accept-Language or ``?lang=``), every
    problem said from the library's keyed messages (:mod:`geo.catalogue`), the fields the
    body's model refused too."""
    lang, message = pick_lang(), message_of(exc)
    section = _SECTIONS.get(request.endpoint or "")
    if lang != "en" and not isinstance(message, Message) and section and exc.parameter != "body":
        _, problems = spec_problems(section, request.get_json(silent=True))
        if problems:
            message = said_together(problems)
    return error_response(_said(message, lang), 400, exc.parameter)


def _said(message: str, lang: str) -> str:
    """``message`` in ``lang``; several problems (``catalogue_problems``) each in turn."""
    if isinstance(message, Message) and message.key == "catalogue_problems":
        separator = "；" if lang == "zh" else "; "
        return separator.join(say_message(m, lang) for m in message.params["problems"])
    return say_message(message, lang)


def _follower() -> Follower:
    return current_app.extensions["catalogue"]


def _answer():
    body = {**active_catalogue().as_json(), "icons": list(ICON_NAMES),
            "version": _follower().version}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/catalogue")
@operation(answers={200: (CatalogueAnswer, "The kinds and services.")})
def catalogue():
    """The station kinds and services of this deployment.

    The built-in ones first, then those of the deployment's catalogue file and those added in
    the planner view: labels in both languages, colour, icon, the services a kind offers, the
    worker groups that use it, its season (closed outside those months) and the words people
    write for it (imports read them).
    """
    return _answer()


def _put(section: Section, entry_id: str, body):
    follower = _follower()
    follower.check(now=True)  # start from the stored entries, whoever wrote them
    entry = Entry(section, entry_id, body, "admin", f"[{section}.{entry_id}]")
    updated = with_entry(active_catalogue(), entry)
    follower.version = follower.store.put(entry, actor=actor())
    use_catalogue(updated)
    state().refresh()
    return _answer()


@bp.put("/catalogue/kinds/<kind_id>")
@requires("catalogue")
@operation(body=KindBody, path=_IDS, answers={
    200: (CatalogueAnswer, "Stored; the catalogue now."),
    400: (None, "A bad field, named in `parameter`.")})
def put_kind(kind_id: str, body: KindBody):
    """Add or change a station kind of this deployment's own (administrators).

    Its stations can then be imported, edited and found; the pages show it with its colour and
    icon. The built-in kinds stay as they are.
    """
    return _put("kinds", kind_id, body)


@bp.put("/catalogue/services/<service_id>")
@requires("catalogue")
@operation(body=ServiceBody, path=_IDS, answers={
    200: (CatalogueAnswer, "Stored; the catalogue now."),
    400: (None, "A bad field, named in `parameter`.")})
def put_service(service_id: str, body: ServiceBody):
    """Add a service of this deployment's own, or more words for a built-in one
    (administrators)."""
    return _put("services", service_id, body)

