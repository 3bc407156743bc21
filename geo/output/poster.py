"""Station posters: one A4 page per station, in Chinese, to hang at the door.

Each page has the station's name, kind, opening hours, services, address and phone, the name of
the union that runs it, and a QR code. A worker who scans it opens the finder on the station's
card (:func:`station_url`), with navigation and the problem report one tap away. Many stations
make one PDF, a page each (:func:`write_posters`).

The page is drawn with matplotlib (already the charts' library, with the CJK font they find,
:func:`geo.output.charts.cjk_font`) and the QR code made by segno (pure Python, no
dependencies, ISO 18004), drawn as vector squares so that it prints sharp at any size. A
dedicated PDF library (ReportLab) would add a dependency of its own for what matplotlib's PDF
backend already does: place text in an embedded font, rectangles and paths on a page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

from geo.errors import InputError, NotFoundError, YizhanError
from geo.output.charts import cjk_font
from geo.stations import KINDS, SERVICES, Station, format_hours_zh
from geo.style import KIND_COLOURS

if TYPE_CHECKING:  # matplotlib loads when a poster is drawn
    from matplotlib.figure import Figure

__all__ = ["A4_MM", "MAX_POSTERS", "chosen_stations", "poster_figure", "poster_pdf",
           "qr_matrix", "qr_svg", "station_url", "write_posters"]

#: The page, width and height in millimetres (ISO 216 A4, portrait).
A4_MM = (210.0, 297.0)
#: The most stations one poster file may hold (a page each; about 0.1 s and 20 kB a page).
MAX_POSTERS = 500
#: QR error correction: "q" restores a quarter of the code, so a torn or dirty corner still scans.
QR_ERROR = "q"
INK, MUTED, RULE = "#101828", "#475467", "#d0d5dd"


def station_url(base_url: str, station_id: str) -> str:
    """The finder opened on one station's card: ``{base_url}/?station={id}``.

    Parameters
    ----------
    base_url
        Where the finder is served, e.g. ``https://yizhan.example.org`` (a path prefix is kept).
    station_id
        The station's id; percent-encoded in the address.
    """
    base = (base_url or "").strip()
    if not base.startswith(("http://", "https://")):
        raise InputError(f"`base_url` was {base_url!r} but must start with http:// or https://, "
                         "e.g. https://yizhan.example.org (where phones open the finder)",
                         parameter="base_url")
    return base.rstrip("/") + "/?station=" + quote(station_id, safe="")


def chosen_stations(by_id: Mapping[str, Station], ids: Iterable[str]) -> list[Station]:
    """The stations of ``ids`` in the order given (each once).

    Raises
    ------
    NotFoundError
        Naming every id ``by_id`` does not hold, not only the first.
    """
    wanted = list(dict.fromkeys(ids))
    missing = [i for i in wanted if i not in by_id]
    if missing:
        shown = ", ".join(repr(i) for i in missing[:20]) + (" …" if len(missing) > 20 else "")
        raise NotFoundError(f"no station with id {shown} (closed, or a typo?): "
                            "`yizhan export` lists the ids")
    return [by_id[i] for i in wanted]


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code of ``url`` as rows of dark (True) modules, without the quiet zone."""
    import segno

    code = segno.make_qr(url, error=QR_ERROR, boost_error=False)
    return [[bool(v) for v in row] for row in code.matrix]


def qr_svg(url: str, *, scale: int = 4) -> str:
    """The QR code of ``url`` as a standalone SVG document (a 4-module quiet zone; ``scale``
    pixels a module, the SVG scales freely)."""
    import segno

    out = io.BytesIO()
    segno.make_qr(url, error=QR_ERROR, boost_error=False).save(
        out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, omitsize=True,
        title=url, dark=INK, light="#ffffff")
    return out.getvalue().decode("utf-8")


def _width(text: str) -> float:
    """Width of ``text`` in em: a CJK character is one, anything else about half."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text)


def _wrap(text: str, em: float, *, lines: int) -> list[str]:
    """``text`` broken into at most ``lines`` lines of at most ``em`` em, the last one cut with
    an ellipsis when it does not fit."""
    out: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if _width(line + ch) > em:
                out.append(line)
                line = ch.lstrip()
            else:
                line += ch
        out.append(line)
    if len(out) > lines:
        last = out[lines - 1]
        while last and _width(last + "…") > em:
            last = last[:-1]
        out = [*out[:lines - 1], last + "…"]
    return out


class _Page:
    """Drawing on a figure in millimetres from the page's top left corner."""

    def __init__(self, figure: Figure, font: str):
        self.figure = figure
        self.font = font

    def text(self, x: float, y: float, text: str, *, size: float, color: str = INK,
             ha: str = "left", va: str = "top") -> None:
        w, h = A4_MM
        self.figure.text(x / w, 1 - y / h, text, fontsize=size, color=color, family=self.font,
                         ha=ha, va=va)

    def rect(self, x: float, y: float, width: float, height: float, color: str) -> None:
        from matplotlib.patches import Rectangle

        w, h = A4_MM
        self.figure.add_artist(Rectangle((x / w, 1 - (y + height) / h), width / w, height / h,
                                         transform=self.figure.transFigure, facecolor=color,
                                         edgecolor="none"))

    def qr(self, x: float, y: float, size: float, rows: Sequence[Sequence[bool]]) -> None:
        """The code's dark modules as one vector path, ``size`` mm square at (x, y)."""
        from matplotlib.patches import PathPatch
        from matplotlib.path import Path as MplPath

        w, h = A4_MM
        cell = size / len(rows)
        vertices: list[tuple[float, float]] = []
        codes: list[int] = []
        move, line, close = int(MplPath.MOVETO), int(MplPath.LINETO), int(MplPath.CLOSEPOLY)
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                x0, x1 = (x + start * cell) / w, (x + c * cell) / w
                y0, y1 = 1 - (y + r * cell) / h, 1 - (y + (r + 1) * cell) / h
                vertices += [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
                codes += [move, line, line, line, close]
        self.figure.add_artist(PathPatch(MplPath(vertices, codes), facecolor=INK,
                                         transform=self.figure.transFigure, edgecolor="none",
                                         antialiased=False))


def _name_lines(name: str) -> tuple[list[str], float]:
    """The station's name in at most two lines and the font size (pt) that fits them."""
    for size in (40, 34, 28, 24):
        em = 178 / (size * 0.3528)  # the text width over one em in mm
        lines = _wrap(name, em, lines=3)
        if len(lines) <= 2:
            return lines, size
    return _wrap(name, 178 / (24 * 0.3528), lines=2), 24


def _facts(station: Station) -> list[tuple[str, str]]:
    hours = format_hours_zh(station.hours) or "未知（请电话询问）"
    services = "、".join(SERVICES[s][0] for s in sorted(station.services,
                                                       key=list(SERVICES).index))
    facts = [("开放时间", hours)]
    if services:
        facts.append(("服务", services))
    if station.address:
        facts.append(("地址", station.address))
    if station.phone:
        facts.append(("电话", station.phone))
    return facts


def poster_figure(station: Station, *, url: str, union: str | None = None) -> Figure:
    """One station's A4 poster as a matplotlib figure (portrait, 210 × 297 mm).

    Parameters
    ----------
    station
        The station.
    url
        What the QR code opens (:func:`station_url`).
    union
        The union named at the foot ("主办：…"); default the station's ``operator``, else none.

    Raises
    ------
    YizhanError
        When no CJK font is installed (the poster is in Chinese).
    """
    from matplotlib.figure import Figure

    font = cjk_font()
    if font is None:
        raise YizhanError("a poster is printed in Chinese and needs a CJK font, and none is "
                          "installed: apt-get install fonts-wqy-microhei")
    w, h = A4_MM
    figure = Figure(figsize=(w / 25.4, h / 25.4))
    page = _Page(figure, font)
    colour = KIND_COLOURS.get(station.kind, INK)
    page.rect(0, 0, w, 46, colour)
    page.text(16, 14, KINDS[station.kind][0], size=30, color="#ffffff")
    page.text(16, 32, "欢迎户外劳动者进站歇脚", size=15, color="#ffffff")
    lines, size = _name_lines(station.name)
    y = 58.0
    for line in lines:
        page.text(16, y, line, size=size)
        y += size * 0.3528 * 1.3
    y += 4
    page.rect(16, y, w - 32, 0.4, RULE)
    y += 6
    for label, value in _facts(station):
        page.text(16, y, label, size=13, color=MUTED)
        for line in _wrap(value, 138 / (16 * 0.3528), lines=3):
            page.text(46, y - 0.6, line, size=16)
            y += 16 * 0.3528 * 1.45
        y += 3
    rows = qr_matrix(url)
    qr_size = max(56.0, min(86.0, 262 - 24 - y))
    top = max(y + 4, 262 - 24 - qr_size)
    page.qr((w - qr_size) / 2, top, qr_size, rows)
    page.text(w / 2, top + qr_size + 4, "微信或相机扫码：查看驿站、导航前往、反馈问题",
              size=14, ha="center")
    page.text(w / 2, top + qr_size + 12, url, size=9, color=MUTED, ha="center")
    page.rect(16, 275, w - 32, 0.4, RULE)
    organiser = union if union is not None else station.operator
    if organiser:
        page.text(16, 279, "主办：" + organiser, size=13)
    page.text(w - 16, 279, "站点编号 " + station.id, size=10, color=MUTED, ha="right")
    return figure


def write_posters(stations: Iterable[Station], target: str | Path | IO[bytes], *,
                  base_url: str, union: str | None = None) -> int:
    """Posters of ``stations`` as one PDF, a page each, in the order given.

    Parameters
    ----------
    stations
        The stations, 1 to :data:`MAX_POSTERS`.
    target
        A file path or a binary file object.
    base_url
        Where the finder is served (:func:`station_url`), e.g. ``https://yizhan.example.org``.
    union
        The union named on every page; default each station's ``operator``.

    Returns
    -------
    int
        The number of pages written.
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    chosen = list(stations)
    if not chosen:
        raise InputError("no stations to print: name at least one station id",
                         parameter="stations")
    if len(chosen) > MAX_POSTERS:
        raise InputError(f"{len(chosen)} stations is more than the {MAX_POSTERS} one poster file "
                         "holds: print them in several files", parameter="stations")
    urls = [station_url(base_url, s.id) for s in chosen]
    # TrueType (Type 42) rather than Type 3 fonts: the text stays text that readers can search
    with rc_context({"pdf.fonttype": 42}), PdfPages(target, metadata={
            "Title": "驿站海报 " + "、".join(s.name for s in chosen[:3])[:120],
            "Creator": "yizhan"}) as pdf:
        for station, url in zip(chosen, urls, strict=True):
            pdf.savefig(poster_figure(station, url=url, union=union))
    return len(chosen)


def poster_pdf(stations: Iterable[Station], *, base_url: str, union: str | None = None) -> bytes:
    """:func:`write_posters` into bytes (for a web answer)."""
    out = io.BytesIO()
    write_posters(stations, out, base_url=base_url, union=union)
    return out.getvalue()
