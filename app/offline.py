"""The finder installable and usable offline: the service worker at ``/sw.js`` (its scope is
the whole site, so it is served from the root, not from ``/static``) and the web app manifest.

The service worker (``app/static/sw.js``) keeps the page, its scripts and styles, the basemap
and the stations of the last area the worker looked at; with no connection the finder opens from
them with a banner saying how old they are. :data:`SHELL` lists what it stores when it is
installed; the version written into it is a hash of those files, so a changed file makes
browsers install the new worker and drop the old copies.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, url_for

bp = Blueprint("offline", __name__)

#: The finder's files under ``app/static`` that the service worker stores when installed.
SHELL_GLOBS = ("js/*.js", "js/finder/*.js", "css/*.css", "icons/*", "vendor/**/*.js",
               "vendor/**/*.css")
#: Leaflet's files (served from the xstatic package by :func:`app.pages.leaflet`).
LEAFLET_FILES = ("leaflet.js", "leaflet.css")


def _static_files() -> list[Path]:
    root = Path(current_app.static_folder or "")
    return sorted({p for pattern in SHELL_GLOBS for p in root.glob(pattern) if p.is_file()})


@lru_cache(maxsize=8)
def _digest(stamps: tuple[tuple[str, int, int], ...]) -> str:
    """A short hash of the files named (path, size, mtime): the service worker's version."""
    h = hashlib.sha256()
    for path, _, _ in stamps:
        h.update(path.encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def shell() -> list[str]:
    """The addresses the service worker stores at install: the finder page, its styles,
    scripts, icons, the manifest and Leaflet."""
    root = Path(current_app.static_folder or "")
    files = [url_for("static", filename=p.relative_to(root).as_posix()) for p in _static_files()]
    leaflet = [url_for("pages.leaflet", filename=f) for f in LEAFLET_FILES]
    return ["/", url_for("pages.theme_css"), url_for("offline.manifest"), *leaflet, *files]


@bp.get("/sw.js")
def service_worker():
    """The service worker, with its version and the list of files it stores written in."""
    root = Path(current_app.static_folder or "")
    source = root / "sw.js"
    files = [*_static_files(), source, root / "manifest.webmanifest"]
    version = _digest(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    head = (f"const VERSION = {json.dumps(version)};\n"
            f"const SHELL = {json.dumps(shell())};\n")
    response = current_app.response_class(head + source.read_text("utf-8"),
                                          mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # a new version is seen at the next visit
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest (also under ``/static``; served here so that its scope is the
    site)."""
    response = current_app.send_static_file("manifest.webmanifest")
    response.mimetype = "application/manifest+json"
    return response
