"""Station posters and QR codes on the web: ``/posters.pdf?station=ID…`` (planners: an A4 page
per station, as ``yizhan poster`` prints them) and ``/qr/<id>.svg`` (anyone: the code a station's
card shows to share, the same as on its poster).

Both open the finder on the station's card at ``PUBLIC_URL`` (``$YIZHAN_PUBLIC_URL``, e.g.
``https://yizhan.example.org``) when it is set, else at the address the request came to (behind
a proxy: with ``TRUSTED_PROXIES`` set, the address the proxy says).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from app.auth import is_planner
from app.handlers import error_response
from app.state import state
from geo.output.poster import MAX_POSTERS, chosen_stations, poster_pdf, qr_svg, station_url

bp = Blueprint("posters", __name__)


def public_url() -> str:
    """Where phones open the finder: ``PUBLIC_URL``, else this request's site address."""
    return str(current_app.config.get("PUBLIC_URL") or request.url_root)


@bp.get("/posters.pdf")
def posters():
    """Posters of the stations named by ``station`` (repeated; at most
    :data:`~geo.output.poster.MAX_POSTERS`) as one PDF, or of every open station with
    ``all=1``; ``union`` names the union on every page (default each station's operator)."""
    if not is_planner():
        return error_response("planners only: sign in at /plan first", 401)
    snap = state().current()
    ids = request.args.getlist("station")
    if request.args.get("all") == "1":
        stations = list(snap.stations)
    elif ids:
        stations = chosen_stations(snap.by_id, ids)
    else:
        return error_response("name the stations: ?station=ID (repeated), or ?all=1 for every "
                              "station", 400, "station")
    if len(stations) > MAX_POSTERS:
        return error_response(f"{len(stations)} stations is more than the {MAX_POSTERS} one "
                              "poster file holds: name fewer with ?station=ID", 400, "station")
    union = (request.args.get("union") or "").strip()[:200] or None
    pdf = poster_pdf(stations, base_url=public_url(), union=union)
    name = "yizhan-poster-" + (stations[0].id if len(stations) == 1 else f"{len(stations)}")
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{_ascii(name)}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/qr/<station_id>.svg")
def station_qr(station_id: str):
    """The QR code that opens the finder on this station's card (SVG)."""
    if station_id not in state().current().by_id:
        return error_response(f"no station with id {station_id!r}", 404, "station_id")
    response = current_app.response_class(qr_svg(station_url(public_url(), station_id)),
                                          mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _ascii(name: str) -> str:
    """A file name for the header: letters, digits, ``-``, ``_``, ``.``; anything else ``_``."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
