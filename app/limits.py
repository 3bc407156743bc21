"""What one request and one client may ask of the server.

- **Bodies**: at most ``MAX_CONTENT_LENGTH`` bytes (256 KiB; larger is 413) and JSON nested at
  most :data:`MAX_JSON_DEPTH` deep (deeper is a 400 naming ``body``). The depth check sits in the
  app's JSON loader, :class:`BoundedJSON`, so every endpoint that reads JSON has it, and a body
  that is not JSON at all is a 400 too (:class:`JSONRequest`): no body gives a 500.
- **Rates per client** (Flask-Limiter, keyed by the client address): worker reports
  (``REPORT_RATE_LIMIT``) and the planner's analyses (``ANALYSIS_RATE_LIMIT``), each a
  Flask-Limiter limit string such as ``"6 per minute;30 per hour"``. Over the limit the answer is
  429 with Retry-After (whole seconds, at least 1; no answer but a 429 or a 503 carries one) and
  a Chinese message. The counts live where ``RATELIMIT_STORAGE_URI`` says: ``registry://`` by
  default, a table in the registry database (:mod:`app.limit_store`) that every worker process
  and app instance on that database shares, so with ``yizhan serve --workers N`` a client still
  gets the limit once; ``redis://host:6379`` keeps them in Redis instead (with the ``redis``
  package), ``memory://`` in each process alone (a client may then make up to N times the
  limit). Behind a reverse proxy every client has the proxy's address: let the proxy limit, or
  wrap the app in werkzeug's ``ProxyFix`` so the address is the client's.

:func:`init_app` attaches the limiter; the views stay free of it (the limits are applied to the
endpoints by name, so one app's counts never leak into another's).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from flask import Flask, Request, current_app, g, jsonify
from flask.json.provider import DefaultJSONProvider
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from app import limit_store
from app.errors import JSONDepthError
from geo.errors import InputError

#: Deepest nesting of arrays and objects accepted in a JSON body (the API's own bodies are 2).
MAX_JSON_DEPTH = 32

#: Endpoint -> (the config key of its per-client limit, what the 429 says, in Chinese).
LIMITED = {
    "api.add_report": ("REPORT_RATE_LIMIT", "报告提交太频繁，请 {s} 秒后再试"),
    "api.coverage_view": ("ANALYSIS_RATE_LIMIT", "分析请求太频繁，请 {s} 秒后再试"),
    "api.plan_view": ("ANALYSIS_RATE_LIMIT", "分析请求太频繁，请 {s} 秒后再试"),
    "api.coverage_job": ("ANALYSIS_RATE_LIMIT", "分析请求太频繁，请 {s} 秒后再试"),
    "api.plan_job": ("ANALYSIS_RATE_LIMIT", "分析请求太频繁，请 {s} 秒后再试"),
    "api.proposal": ("ANALYSIS_RATE_LIMIT", "分析请求太频繁，请 {s} 秒后再试"),
    **{f"office_io.{view}": ("ANALYSIS_RATE_LIMIT", "导入导出请求太频繁，请 {s} 秒后再试")
       for view in ("upload", "preview", "apply", "export")},
}

#: Defaults of the settings read here (app.create_app starts from them; YIZHAN_… overrides).
DEFAULTS = {"REPORT_RATE_LIMIT": "6 per minute;30 per hour",
            "ANALYSIS_RATE_LIMIT": "60 per minute",
            "RATELIMIT_STORAGE_URI": "registry://", "RATELIMIT_STRATEGY": "moving-window"}


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests arrays and objects more than ``limit`` deep (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children
                         if isinstance(child, (dict, list)))
    return False


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, with bodies nested too deep refused (:class:`JSONDepthError`)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:  # deeper than Python's parser goes: far too deep for us
            raise JSONDepthError(MAX_JSON_DEPTH) from None
        if json_depth_exceeds(value):
            raise JSONDepthError(MAX_JSON_DEPTH)
        return value


class JSONRequest(Request):
    """A request whose JSON body, when it cannot be read, is a 400 naming ``body``."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, InputError):
            raise e
        if e is None:  # not sent as JSON
            raise InputError("send a JSON object with Content-Type: application/json",
                             parameter="body")
        raise InputError(f"the body is not valid JSON: {str(e)[:200]}", parameter="body")


def init_app(app: Flask) -> Limiter:
    """Bound the app's JSON bodies and limit its endpoints of :data:`LIMITED` per client."""
    app.json = BoundedJSON(app)
    app.request_class = JSONRequest
    # registered before the limiter's own hook, so it runs after it (Flask runs them in reverse)
    app.after_request(wait_header)
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith(f"{limit_store.SCHEME}://"):
        # the counts go in the registry's database, shared by every process on it
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
            "engine": app.extensions["yizhan"].registry.engine}
    limiter = Limiter(get_remote_address, app=app, headers_enabled=True)
    for endpoint, (key, _) in LIMITED.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(
                lambda key=key: current_app.config[key])(view)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.extensions["yizhan-limiter"] = limiter
    return limiter


#: The answers that say how long to wait: too many requests, and busy or unavailable.
WAIT_STATUSES = (429, 503)


def wait_header(response):
    """``Retry-After`` only where a client must wait (:data:`WAIT_STATUSES`), and there whole
    seconds, at least 1: the app's own wait where it gave one (``g.retry_after_s``, set by
    :func:`app.handlers.retry_after`; a busy analysis says 5 s).

    Flask-Limiter writes its own on every answer of a limited endpoint, counting down to the
    window's reset (0 in its last second, up to a minute before): on a 503 of a busy analysis
    that told the planner's page to wait a minute instead of a few seconds; a 200 has nothing to
    wait for."""
    given = response.headers.get("Retry-After")
    own = g.get("retry_after_s")
    if response.status_code not in WAIT_STATUSES:
        response.headers.pop("Retry-After", None)
    elif own is not None:
        response.headers["Retry-After"] = str(own)
    elif given is None or not given.strip().isdigit() or int(given) < 1:
        response.headers["Retry-After"] = "1"
    return response


def _too_many(exc: RateLimitExceeded):
    """429 with Retry-After (seconds until the window lets the next request in)."""
    from flask import request

    limiter: Limiter = current_app.extensions["yizhan-limiter"]
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current is not None else 60
    text = LIMITED.get(request.endpoint or "", ("", "请求太频繁，请 {s} 秒后再试"))[1]
    response = jsonify({"error": text.format(s=wait) + f" (at most {exc.description} per "
                                 "client)", "parameter": None})
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response
