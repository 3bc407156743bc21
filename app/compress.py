"""The page's own files (scripts, styles, SVG icons) gzip-compressed for clients that accept it.

A phone on a slow network opens the finder: Leaflet, the finder's scripts and styles are about
330 kB as files and about 90 kB compressed, a second or more of a 1.6 Mbit/s connection. The
production servers (granian, waitress) send files as they are, and a reverse proxy is not always
there to compress them; so the app does, once per file version (kept in memory, a few hundred kB
in all), for the files it sends itself (``/static``, Leaflet's): answers of the API compress
their own bodies (:mod:`app.api`).

A compressed answer says ``Content-Encoding: gzip`` and ``Vary: Accept-Encoding``, and its ETag
is weak (``W/"…"``: the same file, another encoding), which a revalidation still matches (a 304:
If-None-Match compares weakly).
"""

from __future__ import annotations

import gzip
import threading

from flask import Flask, Response, request

#: The media types worth compressing (text); images and fonts are compressed already.
TYPES = frozenset({"application/javascript", "text/javascript", "text/css", "image/svg+xml",
                   "application/json", "application/manifest+json", "text/plain"})
#: Files smaller than this go as they are (the headers would eat the gain).
MIN_BYTES = 1024
#: The most compressed files kept (every file of the app's pages fits).
KEEP = 256

_lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Compress the app's text files for clients that accept gzip."""
    app.extensions["yizhan-compressed"] = {}
    app.after_request(compress)


def compress(response: Response) -> Response:
    """``response`` gzip-compressed when it is a text file sent whole to a client that accepts
    gzip; else as it is (with ``Vary: Accept-Encoding`` on the text files)."""
    from flask import current_app

    if not response.direct_passthrough or response.mimetype not in TYPES:
        return response  # not a file the app sends from disk, or not text
    response.vary.add("Accept-Encoding")
    if (response.status_code != 200 or request.method != "GET" or "Range" in request.headers
            or "Content-Encoding" in response.headers
            or request.accept_encodings["gzip"] <= 0
            or (response.content_length or 0) < MIN_BYTES):
        if response.status_code == 304 and request.accept_encodings["gzip"] > 0:
            _weaken(response)
        return response
    etag, _ = response.get_etag()
    kept: dict = current_app.extensions["yizhan-compressed"]
    key = (request.path, etag, response.content_length)
    with _lock:
        packed = kept.get(key) if etag else None
    body = response.response
    try:
        if packed is None:
            packed = gzip.compress(b"".join(body), 6, mtime=0)
            with _lock:
                if len(kept) >= KEEP:
                    kept.pop(next(iter(kept)))
                if etag:
                    kept[key] = packed
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()  # the file is read once, or not at all
    response.direct_passthrough = False
    response.set_data(packed)
    response.headers["Content-Encoding"] = "gzip"
    _weaken(response)
    return response


def _weaken(response: Response) -> None:
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
