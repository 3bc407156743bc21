"""The pages insert data only as text: every HTML sink of the front-end sources is fed a constant
string or a DOM node, never a string built from data.

HTML sinks are the places where a browser (or Leaflet) parses a string as markup: ``innerHTML``,
``outerHTML``, ``insertAdjacentHTML``, ``document.write``, Leaflet's ``bindTooltip``,
``bindPopup``, ``setContent``, ``L.divIcon({html})``, attributions, and a jQuery-like
``.html(``. A station, candidate site or street name comes from OpenStreetMap or an import and
may hold ``<a href=…>`` or ``<img onerror=…>``: in such a sink it would become a link or a
script (the Content-Security-Policy stops inline scripts, not links). The scan below accepts a
sink fed by a string literal or by a node (``el(…)``, ``document.createElement(…)``, a variable
holding one, or a function of the same file that returns one); anything else must be in
:data:`ALLOWED`, with the reason it is constant.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "app" / "static" / "js"
TEMPLATES = ROOT / "app" / "templates"

#: (file under app/static/js, sink, the expression fed to it) -> why it is constant, not data.
ALLOWED = {
    ("common.js", "innerHTML", 'ICONS[name] || ""'):
        "the constant SVG paths of ICONS in common.js, picked by a name the code passes",
    ("common.js", "attribution", "tiles.attribution"):
        "a tile service's attribution from app/tiles.py TILE_SERVICES (constant), through the "
        "page's config",
    ("common.js", "addAttribution", 't("streets_attribution")'):
        "a string of the page's catalogue (app/i18n/<lang>.json), no parameters",
}

#: Sinks: (name, pattern ending where its argument starts, which argument, what ends it).
SINKS = [
    ("innerHTML", r"\.innerHTML\s*\+?=(?!=)", 0, ";\n"),
    ("outerHTML", r"\.outerHTML\s*\+?=(?!=)", 0, ";\n"),
    ("srcdoc", r"\.srcdoc\s*=(?!=)", 0, ";\n"),
    ("insertAdjacentHTML", r"\.insertAdjacentHTML\s*\(", 1, ",)"),
    ("document.write", r"\bdocument\s*\.\s*write(?:ln)?\s*\(", 0, ",)"),
    ("bindTooltip", r"\.bindTooltip\s*\(", 0, ",)"),
    ("bindPopup", r"\.bindPopup\s*\(", 0, ",)"),
    ("setContent", r"\.set(?:Tooltip|Popup)?Content\s*\(", 0, ",)"),
    ("html", r"(?<![\w$.])html\s*:", 0, ",}"),
    ("content", r"(?<![\w$.-])content\s*:", 0, ",}"),
    ("attribution", r"(?<![\w$.])attribution\s*:", 0, ",}"),
    ("addAttribution", r"\.addAttribution\s*\(", 0, ",)"),
    ("setPrefix", r"\.setPrefix\s*\(", 0, ",)"),
    (".html(", r"\.html\s*\(", 0, ",)"),
    ("createContextualFragment", r"\.createContextualFragment\s*\(", 0, ",)"),
    ("parseFromString", r"\.parseFromString\s*\(", 0, ",)"),
]

_STRING = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
_NODE = re.compile(r"(?:el|svg|icon|document\.createElement(?:NS)?|document\.createTextNode)\s*\(")
_ARROW = re.compile(r"^(?:\(\s*[\w$,\s]*\)|[\w$]+)\s*=>\s*(.*)$", re.S)
_CALL = re.compile(r"^([\w$]+)\s*\(")
_NAME = re.compile(r"^[\w$]+$")


def strip_comments(source: str) -> str:
    """``source`` with its ``//`` and ``/* */`` comments blanked (line breaks kept), strings
    and template literals left as they are."""
    out, i, n = [], 0, len(source)
    while i < n:
        ch = source[i]
        if ch in "\"'`":
            end = _string_end(source, i)
            out.append(source[i:end])
            i = end
        elif source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", source[i:end]))
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _string_end(source: str, start: int) -> int:
    quote, i = source[start], start + 1
    while i < len(source):
        if source[i] == "\\":
            i += 2
            continue
        if source[i] == quote:
            return i + 1
        if source[i] == "\n" and quote != "`":
            return i
        i += 1
    return len(source)


def expression(source: str, start: int, stops: str) -> tuple[str, int]:
    """The expression starting at ``start`` up to the first of ``stops`` outside brackets and
    strings; (its text, stripped, and where it ends)."""
    depth, i = 0, start
    while i < len(source):
        ch = source[i]
        if ch in "\"'`":
            i = _string_end(source, i)
            continue
        if depth == 0 and ch in stops:
            break
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        i += 1
    return " ".join(source[start:i].split()), i


def argument(source: str, start: int, index: int, stops: str) -> str:
    """The ``index``-th argument of a call whose arguments start at ``start``."""
    text, end = expression(source, start, stops)
    for _ in range(index):
        if end >= len(source) or source[end] != ",":
            return ""
        text, end = expression(source, end + 1, stops)
    return text


def _function_body(source: str, name: str) -> str | None:
    found = re.search(rf"\bfunction\s+{re.escape(name)}\s*\([^)]*\)\s*\{{", source)
    if found is None:
        return None
    body, _ = expression(source, found.end(), "")
    return body


def _is_node_name(source: str, name: str) -> bool:
    """Whether ``name`` is bound to a node: ``const name = el(…)`` or ``document.createElement``."""
    return re.search(rf"\b(?:const|let|var)\s+{re.escape(name)}\s*=\s*{_NODE.pattern}",
                     source) is not None


def is_node(expr: str, source: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``expr`` (in the file ``source``) gives a DOM node: a node builder, a variable
    holding one, a function returning one (in this file), or an arrow function returning one."""
    expr = expr.strip()
    while expr.startswith("(") and expression(expr, 1, "")[1] == len(expr) - 1:
        expr = expr[1:-1].strip()
    arrow = _ARROW.match(expr)
    if arrow:
        return is_node(arrow.group(1), source, seen)
    if _NODE.match(expr) and expression(expr, expr.index("(") + 1, "")[1] == len(expr) - 1:
        return True
    if _NAME.match(expr):
        return _is_node_name(source, expr) or _returns_node(expr, source, seen)
    call = _CALL.match(expr)
    if call and expression(expr, call.end(), "")[1] == len(expr) - 1:
        return _returns_node(call.group(1), source, seen)
    return False


def _returns_node(name: str, source: str, seen: frozenset[str]) -> bool:
    """Whether the function ``name`` of ``source`` returns a node on every ``return`` (a
    function passed by name, or called in an arrow function: Leaflet calls it for the
    content)."""
    if name in seen:
        return False
    body = _function_body(source, name)
    if body is None:
        return False
    returns = [expression(body, m.end(), ";}\n")[0] for m in re.finditer(r"\breturn\b", body)]
    return bool(returns) and all(is_node(r, source, seen | {name}) for r in returns)


def is_constant(expr: str) -> bool:
    """A string literal, whole (no concatenation, no template parameters)."""
    return re.fullmatch(_STRING, expr) is not None or re.fullmatch(r"`[^`$]*`", expr) is not None


def sinks(source: str) -> list[tuple[str, str, int]]:
    """Every HTML sink of a JavaScript source: (sink, the expression fed to it, line)."""
    code = strip_comments(source)
    found = []
    for name, pattern, index, stops in SINKS:
        for match in re.finditer(pattern, code):
            if _in_string(code, match.start()):
                continue
            expr = argument(code, match.end(), index, stops)
            found.append((name, expr, code.count("\n", 0, match.start()) + 1))
    return found


def _in_string(code: str, at: int) -> bool:
    i = 0
    while i < at:
        if code[i] in "\"'`":
            end = _string_end(code, i)
            if end > at:
                return True
            i = end
        else:
            i += 1
    return False


def unsafe(source: str, file: str = "x.js") -> tuple[list[str], set[tuple[str, str, str]]]:
    """The sinks of ``source`` fed from data (as "file:line sink(expr)"), and the allowed ones
    it used."""
    bad, used = [], set()
    for name, expr, line in sinks(source):
        if is_constant(expr) or is_node(expr, strip_comments(source)):
            continue
        key = (file, name, expr)
        if key in ALLOWED:
            used.add(key)
            continue
        bad.append(f"app/static/js/{file}:{line} {name} fed {expr!r}")
    return bad, used


def js_files() -> list[Path]:
    files = sorted(JS.rglob("*.js"))
    assert len(files) > 15, f"the front end moved? found {len(files)} files under {JS}"
    return files


def test_every_html_sink_of_the_pages_gets_a_constant_or_a_node():
    bad, used = [], set()
    for path in js_files():
        found, allowed = unsafe(path.read_text("utf-8"), path.relative_to(JS).as_posix())
        bad += found
        used |= allowed
    assert not bad, ("data would be read as HTML here; build a node with el(…)/textContent "
                     "(Leaflet takes an HTMLElement or a function returning one):\n"
                     + "\n".join(bad))
    assert used == set(ALLOWED), f"allowed sinks no longer there: {set(ALLOWED) - used}"


def test_the_scan_sees_the_sinks_of_the_pages():
    """The scan finds the sinks it should (so a clean result means something)."""
    names = {name for path in js_files() for name, _, _ in sinks(path.read_text("utf-8"))}
    assert {"bindTooltip", "bindPopup", "html", "innerHTML", "attribution"} <= names


SIMPLE_NODE = 'const L = window.L;\n'


@pytest.mark.parametrize("source", [
    # the siting tooltip as it was: a candidate's OSM name read as HTML
    'marker.bindTooltip(name + " · " + t("site_gain", {n: count(site.newly_covered)}),\n'
    '                   {direction: "top", offset: [0, -14], className: "yz-tip"});',
    "node.innerHTML = p.name;",
    "node.innerHTML += '<b>' + p.name + '</b>';",
    'box.insertAdjacentHTML("beforeend", p.name);',
    "document.write(p.name);",
    "layer.bindPopup(p.name, {className: 'x'});",
    "layer.bindPopup(`<b>${p.name}</b>`);",
    'layer.bindTooltip(() => "<b>" + p.name + "</b>");',
    'function tip(p) { return "<b>" + p.name; }\nlayer.bindTooltip(() => tip(p));',
    'function tip(p) { return el("b", {}, p.name); }\nfunction bad() { return p.name; }\n'
    "layer.bindTooltip(bad);",
    'L.divIcon({html: "<span>" + p.name + "</span>", className: "pin"});',
    "popup.setContent(p.name);",
    "$(node).html(p.name);",
    "L.tileLayer(url, {attribution: p.source});",
    "map.attributionControl.addAttribution(p.source);",
], ids=["siting-tooltip", "innerHTML", "innerHTML+=", "insertAdjacentHTML", "document.write",
        "bindPopup", "template", "arrow-string", "function-string", "function-by-name", "divIcon",
        "setContent", "html(", "attribution", "addAttribution"])
def test_the_scan_flags_data_fed_sinks(source):
    bad, _ = unsafe(SIMPLE_NODE + source)
    assert len(bad) == 1, bad


@pytest.mark.parametrize("source", [
    'marker.bindTooltip(() => el("span", {class: "site-tip"}, name + " · " + n),\n'
    '                   {direction: "top"});',
    'const span = document.createElement("span");\nspan.textContent = p.name;\n'
    'L.marker(ll, {icon: L.divIcon({html: span, className: "x"})});',
    'function tip(p) {\n  const box = el("div", {}, p.name);\n  return box;\n}\n'
    "layer.bindPopup(() => tip(p), {className: 'yz'});",
    'node.innerHTML = "";',
    "layer.bindTooltip(el('b', {}, p.name));",
    "// node.innerHTML = p.name;  (commented out)\nconst s = 'x.innerHTML = p.name';",
], ids=["arrow-node", "divIcon-node", "function-node", "empty-literal", "node", "comment"])
def test_the_scan_accepts_nodes_and_constants(source):
    assert unsafe(SIMPLE_NODE + source)[0] == []


def test_templates_escape_everything():
    """Jinja escapes every value of the templates (``.html``): none is marked safe, none turns
    escaping off, and the only script without a ``src`` is the page's JSON configuration
    (``tojson`` escapes ``<``, ``>`` and ``&`` there)."""
    templates = sorted(TEMPLATES.glob("*.html"))
    assert templates
    for path in templates:
        text = path.read_text("utf-8")
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup\s*\(", text), path.name
        for script in re.finditer(r"<script\b([^>]*)>", text):
            attrs = script.group(1)
            assert "src=" in attrs or 'type="application/json"' in attrs, (path.name, attrs)
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path.name}: an inline event handler"
    for module in (ROOT / "app").rglob("*.py"):
        text = module.read_text("utf-8")
        assert "render_template_string" not in text and "Markup(" not in text, module
