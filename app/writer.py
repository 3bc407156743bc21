"""The planners' station writes, taken by a process of their own (``yizhan serve``).

A save costs the process that takes it about ten milliseconds of the interpreter: the request
(sign-in, the organisation's area, the body), the registry write with its history row, and the
next station snapshot with the finders of the modes in use. A worker's lookups share that
interpreter (one GIL), so in a worker that also answers lookups every save held up the few
lookups that arrived meanwhile; at 200 lookups a second and a save a second, the slowest
percent of them took twice as long.

So ``yizhan serve`` forks, beside its workers, one writer process that answers the station
writes (:func:`is_station_write`: POST, PUT, PATCH and DELETE under ``/api/stations``) with the
same app, listening on a Unix socket in a folder only this user can read. Each worker forwards
those requests to it (:class:`WritesForwarded`) and waits, its interpreter free for lookups, then
follows the change as it follows one another worker made (:meth:`app.state.AppState.follow_soon`:
a thread of its own, each step in a gap between lookups). Every other request, reads and the
rest of the planners' work, is answered by the worker as before.

The writer sees each request as the worker did: its headers (the session cookie, ``If-Match``,
``X-Forwarded-*``), the client's address and scheme (sent in headers of this module's own, which a
worker drops from any request it is given). When the writer cannot be reached, the worker answers
the write itself (logged); when the writer took the write but its answer was lost, the answer is a
503 saying so (the write may have been made: the planner reloads to see).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

from flask import Flask

logger = logging.getLogger(__name__)

#: The methods of a write.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths whose writes the writer takes: this one and those under it.
STATION_PATH = "/api/stations"
#: The longest a worker waits for the writer's answer, seconds (a write may wait for the
#: database).
WRITE_TIMEOUT_S = 120.0
#: A body larger than this is not forwarded: the worker answers it (the app's own limit).
FORWARD_MAX_BYTES = 1 << 20
#: The headers carrying the client's address and scheme from a worker to the writer.
CLIENT_ADDR, CLIENT_SCHEME = "X-Yizhan-Client-Addr", "X-Yizhan-Client-Scheme"
_OWN = tuple("HTTP_" + h.upper().replace("-", "_") for h in (CLIENT_ADDR, CLIENT_SCHEME))
_NOT_PASSED = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer",
                         "upgrade", "proxy-connection", "server", "date"})  # the worker's own
_LOST = ("保存请求已发出，但未收到结果：请刷新页面，查看是否已保存。"
         " / The save was sent but its answer was lost: reload to see whether it was made.")


def is_station_write(environ: dict) -> bool:
    """Whether a request (its WSGI environ) writes the station registry."""
    path = environ.get("PATH_INFO", "")
    return (environ.get("REQUEST_METHOD", "GET") in WRITE_METHODS
            and (path == STATION_PATH or path.startswith(STATION_PATH + "/")))


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class WritesForwarded:
    """A worker's WSGI app: ``app``, with the station writes forwarded to the writer listening
    at ``socket_path`` (:func:`serve_writes`).

    Parameters
    ----------
    followed
        Called after the writer made a write (2xx), to follow it here; default: every region's
        :meth:`app.state.AppState.follow_soon`.
    """

    def __init__(self, app: Flask, socket_path: str | Path, *,
                 followed: Callable[[], None] | None = None,
                 timeout: float = WRITE_TIMEOUT_S) -> None:
        self.app = app
        self.socket_path = str(socket_path)
        self.timeout = timeout
        self._followed = followed or (lambda: _follow_soon(app))

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        for key in _OWN:  # only a worker says who the client is
            environ.pop(key, None)
        if not is_station_write(environ):
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked or not 0 <= length <= FORWARD_MAX_BYTES:  # no length given, or one the app
            return self.app(environ, start_response)  # refuses: answered here
        body = environ["wsgi.input"].read(length) if length else b""
        connection = _UnixConnection(self.socket_path, self.timeout)
        try:
            connection.connect()
        except OSError as exc:  # no writer: this worker makes the write
            logger.warning("the writer at %s cannot be reached (%s): this worker makes the "
                           "write", self.socket_path, exc)
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        try:
            connection.request(environ["REQUEST_METHOD"], _target(environ), body=body,
                               headers=_headers(environ, len(body)))
            answer = connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            logger.exception("the writer's answer to %s %s was lost",
                             environ["REQUEST_METHOD"], environ.get("PATH_INFO"))
            return _lost(start_response)
        finally:
            connection.close()
        if 200 <= answer.status < 300:
            self._followed()
        headers = [(name, value) for name, value in answer.getheaders()
                   if name.lower() not in _NOT_PASSED]
        start_response(f"{answer.status} {answer.reason}", headers)
        return [data]


def _target(environ: dict) -> str:
    """The request's path and query, as sent."""
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    target = quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=~")
    query = environ.get("QUERY_STRING")
    return f"{target}?{query}" if query else target


def _headers(environ: dict, length: int) -> dict[str, str]:
    """The request's headers, with the client's address and scheme."""
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
               if key.startswith("HTTP_") and key not in (
                   "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE", "HTTP_CONNECTION",
                   "HTTP_TRANSFER_ENCODING")}
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    headers["Content-Length"] = str(length)
    headers[CLIENT_ADDR] = environ.get("REMOTE_ADDR") or ""
    headers[CLIENT_SCHEME] = environ.get("wsgi.url_scheme", "http")
    return headers


def _lost(start_response) -> list[bytes]:
    body = json.dumps({"error": _LOST, "parameter": None}, ensure_ascii=False).encode("utf-8")
    start_response("503 Service Unavailable", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body))),
                                               ("Retry-After", "1")])
    return [body]


def _follow_soon(app: Flask) -> None:
    from app.deployment import states

    for served in states(app):
        served.follow_soon()


class _FromWorkers:
    """The writer's WSGI app: ``app``, seeing each request's client as the worker saw it."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        addr, scheme = (environ.pop(key, None) for key in _OWN)
        if addr is not None:
            environ["REMOTE_ADDR"] = addr
        if scheme in ("http", "https"):
            environ["wsgi.url_scheme"] = scheme
        return self.app(environ, start_response)


def serve_writes(app: Flask, socket_path: str | Path) -> None:
    """Answer the writes the workers forward, on ``socket_path``, until the process ends; the
    process runs behind the lookups (:func:`app.traffic.behind_the_lookups`: when it and a
    worker's lookup both want a core, the lookup gets it)."""
    from app.traffic import behind_the_lookups

    behind_the_lookups(whole_process=True)
    server = writes_server(app, socket_path)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole process group
        server.serve_forever()


def writes_server(app: Flask, socket_path: str | Path):
    """The server of :func:`serve_writes`, listening (a thread per request); its
    ``serve_forever`` answers until ``shutdown``. ``app`` answers no lookups from then on
    (:meth:`app.state.AppState.answer_writes_only`)."""
    from werkzeug.serving import make_server

    from app.deployment import states

    for served in states(app):
        served.answer_writes_only()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server(f"unix://{socket_path}", 0, _FromWorkers(app), threaded=True)
    os.chmod(socket_path, 0o600)
    return server


class Writer:
    """The writer process of a server: started by :meth:`start`, ended by :meth:`stop`.

    Parameters
    ----------
    target
        Run in the process with the socket path: it answers there until the process ends
        (:func:`serve_writes` with the served app).
    """

    def __init__(self, target: Callable[[str], None]) -> None:
        self.folder = tempfile.mkdtemp(prefix="yizhan-writer-")  # mode 0700: this user only
        self.socket_path = os.path.join(self.folder, "writes.sock")
        self._target = target
        self._process = None

    def start(self, wait_s: float = 300.0) -> Writer:
        """Start the process and wait until it listens (an app built in a spawned process
        takes as long as the server's own start)."""
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._process = context.Process(target=self._target, args=(self.socket_path,),
                                        name="yizhan-writer", daemon=True)
        self._process.start()
        until = time.monotonic() + wait_s
        while not os.path.exists(self.socket_path):
            if not self._process.is_alive():
                raise RuntimeError(f"the writer process ended at start (exit code "
                                   f"{self._process.exitcode})")
            if time.monotonic() > until:
                self.stop()
                raise RuntimeError(f"the writer process did not listen within {wait_s:g} s")
            time.sleep(0.02)
        return self

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def stop(self) -> None:
        """End the process and remove its socket."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(10)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)
