"""The station model: kinds, services, opening hours, and the vocabularies a union office types.

A :class:`Station` is one rest station. Coordinates are WGS-84 (EPSG:4326) degrees; opening hours
are OpenStreetMap ``opening_hours`` syntax evaluated in the station's time zone (default
Asia/Shanghai).
Reading and writing station files lives in :mod:`geo.io.stations`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import opening_hours

from geo import settings
from geo.errors import InputError, Message
from geo.text import fold, forbidden, shown
from geo.vocabulary import (
    KIND_WORDS,
    SERVICE_WORDS,
    always_open,
    hours_in_digits,
    service_candidates,
)

#: The kinds every deployment has.
BuiltinKind = Literal["driver_home", "sanitation_station", "outdoor_rest_point"]
#: A kind id: one of :data:`KINDS`, the built-in ones or the deployment's own
#: (:mod:`geo.catalogue`).
Kind = str

#: The built-in station kinds: id -> (中文, English).
BUILTIN_KINDS: dict[str, tuple[str, str]] = {
    "driver_home": ("司机之家", "driver home"),
    "sanitation_station": ("环卫工人爱心驿站", "sanitation worker station"),
    "outdoor_rest_point": ("户外劳动者服务站点", "outdoor worker rest point"),
}

#: The built-in services a station offers: id -> (中文, English).
BUILTIN_SERVICES: dict[str, tuple[str, str]] = {
    "rest": ("休息", "rest"),
    "toilet": ("厕所", "toilet"),
    "drinking_water": ("饮水", "drinking water"),
    "food_heating": ("热饭", "food heating"),
    "cooling": ("降温", "cooling"),
    "heating": ("取暖", "heating"),
    "phone_charging": ("手机充电", "phone charging"),
    "ebike_charging": ("电动车充电", "e-bike charging"),
    "first_aid": ("医药箱", "first aid"),
    "reading": ("阅读", "reading"),
    "wifi": ("无线网络", "Wi-Fi"),
    "meals": ("餐食", "meals"),
    "shower": ("淋浴", "shower"),
    "laundry": ("洗衣", "laundry"),
    "parking": ("停车", "parking"),
    "oxygen": ("吸氧", "oxygen"),
    "accessible": ("无障碍", "accessible"),
}

#: Station kinds: id -> (中文, English): the built-in ones, then the deployment's own once
#: :func:`geo.catalogue.use_catalogue` has put them here (changed in place, so every module
#: that imported it sees them).
KINDS: dict[str, tuple[str, str]] = dict(BUILTIN_KINDS)

#: Services a station offers: id -> (中文, English), built-in and the deployment's own, as
#: :data:`KINDS`.
SERVICES: dict[str, tuple[str, str]] = dict(BUILTIN_SERVICES)

#: The months (1–12) a seasonal kind is open in, by kind (a kind not here opens all year): a
#: station of such a kind is closed outside them whatever its hours (:meth:`Station.is_open`).
SEASONS: dict[str, frozenset[int]] = {}

#: Who may use a station: id -> (中文, English).
ACCESS: dict[str, tuple[str, str]] = {
    "public": ("对外开放", "public"),
    "workers_only": ("仅限劳动者", "workers only"),
}

# What union offices type, mapped to our ids. Keys are compared after geo.text.fold() (lower
# case, no spaces).
_KIND_ALIASES = {
    "司机之家": "driver_home",
    "货车司机之家": "driver_home",
    "drivershome": "driver_home",
    "driverhome": "driver_home",
    "环卫工人爱心驿站": "sanitation_station",
    "环卫驿站": "sanitation_station",
    "环卫工人驿站": "sanitation_station",
    "爱心驿站": "sanitation_station",
    "环卫工人休息点": "sanitation_station",
    "sanitationstation": "sanitation_station",
    "sanitationworkerstation": "sanitation_station",
    "户外劳动者服务站点": "outdoor_rest_point",
    "户外劳动者服务站": "outdoor_rest_point",
    "户外劳动者驿站": "outdoor_rest_point",
    "户外劳动者爱心驿站": "outdoor_rest_point",
    "工会驿站": "outdoor_rest_point",
    "工会户外劳动者服务站点": "outdoor_rest_point",
    "暖心驿站": "outdoor_rest_point",
    "outdoorrestpoint": "outdoor_rest_point",
    "outdoorworkerrestpoint": "outdoor_rest_point",
}

_SERVICE_ALIASES = {
    "休息": "rest", "休息区": "rest", "歇脚": "rest", "座椅": "rest",
    "厕所": "toilet", "卫生间": "toilet", "如厕": "toilet", "公厕": "toilet", "洗手间": "toilet",
    "饮水": "drinking_water", "热水": "drinking_water", "喝水": "drinking_water",
    "饮用水": "drinking_water", "开水": "drinking_water", "water": "drinking_water",
    "微波炉": "food_heating", "热饭": "food_heating", "加热": "food_heating",
    "加热食物": "food_heating", "热饭菜": "food_heating",
    "空调": "cooling", "降温": "cooling", "防暑降温": "cooling", "纳凉": "cooling",
    "取暖": "heating", "暖气": "heating", "供暖": "heating",
    "充电": "phone_charging", "手机充电": "phone_charging",
    "电动车充电": "ebike_charging", "换电": "ebike_charging", "电瓶车充电": "ebike_charging",
    "电动自行车充电": "ebike_charging",
    "医药箱": "first_aid", "急救": "first_aid", "药箱": "first_aid", "急救箱": "first_aid",
    "常用药品": "first_aid",
    "阅读": "reading", "书报": "reading", "图书": "reading", "书籍": "reading",
    "书报阅读": "reading",
    "无线网络": "wifi", "wifi": "wifi", "wi-fi": "wifi", "无线上网": "wifi",
    "餐食": "meals", "用餐": "meals", "就餐": "meals", "餐饮": "meals", "爱心餐": "meals",
    "淋浴": "shower", "洗澡": "shower", "洗浴": "shower",
    "洗衣": "laundry", "洗衣机": "laundry",
    "停车": "parking", "停车场": "parking", "停车位": "parking",
    "吸氧": "oxygen", "氧吧": "oxygen", "高原氧吧": "oxygen", "供氧": "oxygen",
    "无障碍": "accessible", "无障碍设施": "accessible",
}

# the words offices write (geo.vocabulary), folded as _lookup compares them
_KIND_ALIASES |= {fold(word): kind for word, kind in KIND_WORDS.items()}
_SERVICE_ALIASES |= {fold(word): service for word, service in SERVICE_WORDS.items()}

_ACCESS_ALIASES = {
    "对外开放": "public", "公开": "public", "开放": "public", "所有人": "public",
    "仅限劳动者": "workers_only", "内部": "workers_only", "仅限户外劳动者": "workers_only",
    "workersonly": "workers_only", "workers_only": "workers_only",
}

#: Separators between services in one cell: ``;`` ``,`` ``，`` ``、`` ``/`` ``；`` ``|`` ``。``
#: ``+`` ``＋`` ``&`` line breaks and tabs.
SERVICE_SEPARATORS = re.compile(r"[;,，、/；|。+＋&＆\n\r\t]+")

#: Longest service word kept as written (:attr:`Station.other_services`), characters.
SERVICE_WORD_CHARS = 40


def _labels(ids: dict) -> dict[str, str]:
    """Folded id, Chinese and English label -> id; built once per vocabulary (an import looks
    up every cell)."""
    table = _LABELS.get(id(ids))
    if table is None:
        table = {}
        for key, (zh, en) in reversed(ids.items()):  # the first id wins, as it always has
            table.update({fold(key): key, fold(zh): key, fold(en): key})
        _LABELS[id(ids)] = table
    return table


_LABELS: dict[int, dict[str, str]] = {}


def _lookup(value: str, ids: dict, aliases: dict) -> str | None:
    """Map a typed value to an id: the id itself, a Chinese or English label, or an alias."""
    folded = fold(value)
    return (_labels(ids).get(folded) or aliases.get(folded)
            or aliases.get(value.strip()))


def parse_kind(value: str) -> str:
    """The kind id for a typed kind (``司机之家``, ``环卫驿站``, ``driver_home`` …).

    Raises
    ------
    InputError
        When the value names no kind; the message lists the accepted ones.
    """
    kind = _lookup(value, KINDS, _KIND_ALIASES) if str(value).strip() else None
    if kind is None:
        allowed = ", ".join(f"{k} ({zh})" for k, (zh, _) in KINDS.items())
        raise InputError(Message(f"unknown station kind {value!r}; use one of {allowed}",
                                 "unknown_kind", value=value, allowed=allowed), parameter="kind")
    return kind


def parse_services(value: str | Iterable[str] | None) -> frozenset[str]:
    """Service ids from a cell such as ``休息、厕所、热水`` or a list of ids.

    Raises
    ------
    InputError
        Naming every unknown service at once (:func:`read_services` keeps them instead).
    """
    found, unknown = read_services(value)
    if unknown:
        known = ", ".join(f"{k} ({zh})" for k, (zh, _) in SERVICES.items())
        listed = ", ".join(map(repr, unknown))
        raise InputError(Message(
            f"unknown service(s) {listed}; known services: {known}", "unknown_services",
            listed=listed, known=known), parameter="service")
    return found


#: A token that is only an enumeration (``1``, ``2.``, ``①``, ``(3)``), dropped.
_ENUMERATION = re.compile(r"^(?:\d+[.)）]?|[①-⑳]|[（(]\d+[)）])$")
#: An enumeration before a word: ``1.``, ``①``, ``(3)``.
_ENUMERATED = re.compile(r"^(?:\d+[.、)）]|[①-⑳]|[（(]\d+[)）])")
#: Words joined in one token: ``饮水及充电``, ``休息 饮水``.
_JOINED = re.compile(r"\s+|及|和|与|以及")


def _service(token: str) -> str | None:
    for candidate in service_candidates(token):
        service = _lookup(candidate, SERVICES, _SERVICE_ALIASES)
        if service is not None:
            return service
    return None


def read_services(value: str | Iterable[str] | None) -> tuple[frozenset[str], tuple[str, ...]]:
    """The service ids a cell names, and the words in it that name none, as written.

    A cell such as ``一台冰箱、一台微波炉、饮水机，提供免费WiFi`` is split at
    :data:`SERVICE_SEPARATORS`; each word is looked up as written, then without what offices put
    around a service (:func:`geo.vocabulary.service_candidates`), then, when it joins several
    known words (``饮水及充电``, ``休息 饮水``), as those (and its other words each on its own).
    Enumerations (``1.``, ``①``) are dropped.

    Returns
    -------
    ids, words
        The known service ids; the other words as written (stripped), in the order of the cell,
        each once.

    >>> read_services("一台冰箱、一台微波炉、饮水机")
    (frozenset({'drinking_water', 'food_heating'}), ('一台冰箱',))
    """
    if value is None:
        return frozenset(), ()
    tokens = SERVICE_SEPARATORS.split(value) if isinstance(value, str) else list(value)
    found: set[str] = set()
    unknown: list[str] = []
    for token in (str(t).strip() for t in tokens):
        if not token or _ENUMERATION.match(token):
            continue
        service = _service(token)
        if service is not None:
            found.add(service)
            continue
        parts = [p for p in _JOINED.split(token) if p and not _ENUMERATION.match(p)]
        services = [_service(p) for p in parts] if parts and parts != [token] else [None]
        if not any(services):
            unknown.append(token)
            continue
        found.update(s for s in services if s)  # "1.休息 2.老花镜": each word on its own
        unknown += [_ENUMERATED.sub("", p) for p, s in zip(parts, services, strict=True) if not s]
    return frozenset(found), tuple(dict.fromkeys(w for w in unknown if w))


def check_service_word(word: str) -> str:
    """``word`` when it may be kept as a service word as written: not empty, no separator
    (:data:`SERVICE_SEPARATORS`), at most :data:`SERVICE_WORD_CHARS` characters, nothing the
    text policy refuses; else :class:`InputError` (parameter ``services``)."""
    if not isinstance(word, str) or not word.strip() or word != word.strip():
        raise InputError(f"a service word must be text without spaces around it, not {word!r}",
                         parameter="services")
    if len(word) > SERVICE_WORD_CHARS:
        raise InputError(Message(
            f"the service word {word[:60]!r}… is {len(word)} characters long; at most "
            f"{SERVICE_WORD_CHARS} are kept: separate the services with 、",
            "service_word_too_long", value=word[:60], n=len(word), max=SERVICE_WORD_CHARS),
            parameter="services")
    refused = forbidden(word, multiline=False)
    if refused or SERVICE_SEPARATORS.search(word):
        bad = ", ".join(shown(c) for c in refused) or "a separator"
        raise InputError(f"the service word {word!r} holds {bad}", parameter="services")
    return word


def parse_access(value: str | None) -> str:
    """``public`` or ``workers_only`` from a typed value; empty means public."""
    if value is None or not str(value).strip():
        return "public"
    access = _lookup(str(value), ACCESS, _ACCESS_ALIASES)
    if access is None:
        raise InputError(Message(
            f"unknown access {value!r}; use public (对外开放) or workers_only (仅限劳动者)",
            "unknown_access", value=value), parameter="access")
    return access


# --- ids and text --------------------------------------------------------------------------------

def station_id_pattern() -> str:
    """The regular expression a station id matches (Python :mod:`re`, Unicode ``\\w``): letters
    (Chinese too), digits, ``-``, ``_`` and ``.``, not starting with ``.`` (a path would take
    ``.`` and ``..`` for folders), at most :data:`geo.settings.station_id_chars` in all."""
    return rf"^[\w\-][\w.\-]{{0,{settings.station_id_chars - 1}}}$"


def check_station_id(value: str) -> str:
    """``value`` when it is a station id ``/api/stations/<id>`` can address, else
    :class:`InputError` saying what is wrong (parameter ``id``)."""
    if not isinstance(value, str):
        raise InputError(f"`id` was {value!r} but must be text", parameter="id")
    limit = settings.station_id_chars
    if len(value) > limit:
        raise InputError(Message(f"the id is {len(value)} characters long; at most {limit} are "
                                 "allowed", "id_too_long", n=len(value), max=limit),
                         parameter="id")
    if re.fullmatch(station_id_pattern(), value) is None:
        bad = ", ".join(shown(c) for c in sorted({c for c in value
                                                   if not (c.isalnum() or c in "-_.")}))
        rule = "an id is letters (Chinese too), digits, '-', '_' and '.', not starting with '.'"
        message = (Message(f"the id {value[:80]!r} holds {bad}; {rule}", "id_chars",
                           value=repr(value[:80]), bad=bad) if bad else
                   Message(f"the id {value[:80]!r} starts with '.'; {rule}", "id_dot",
                           value=repr(value[:80])))
        raise InputError(message, parameter="id")
    return value


#: Fields whose text may run over several lines.
_MULTILINE = frozenset({"address", "notes"})


def check_text(field: str, value: str) -> str:
    """``value`` when it fits station field ``field`` (``name``, ``address``, ``phone``,
    ``operator``, ``notes``, ``hours``): at most :data:`geo.settings.station_text_chars`
    characters and none that the text policy refuses (:func:`geo.text.forbidden`: control
    characters — line breaks and tabs only in ``address`` and ``notes`` —, bidirectional
    controls, lone surrogates, XML noncharacters), else :class:`InputError` naming the field and
    the characters (``U+D800``).

    Line breaks come back as ``\\n`` (a ``\\r\\n`` or lone ``\\r`` is one ``\\n``), as a
    spreadsheet cell keeps them, so the text reads back the same from every export.

    >>> check_text("notes", "第一行\\r\\n第二行")
    '第一行\\n第二行'
    """
    limit = settings.station_text_chars[field]
    if len(value) > limit:
        raise InputError(Message(f"the {field} is {len(value):,} characters long; at most "
                                 f"{limit:,} are allowed", "text_too_long", field=field,
                                 n=f"{len(value):,}", max=f"{limit:,}"), parameter=field)
    multiline = field in _MULTILINE
    refused = forbidden(value, multiline=multiline)
    if refused:
        bad = ", ".join(shown(c) for c in refused)
        raise InputError(Message(
            f"the {field} holds {bad}, which no stored text may hold (control and "
            "bidirectional characters, lone surrogates, noncharacters); remove them",
            "text_controls", field=field, chars=bad), parameter=field)
    return value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value


# --- opening hours -------------------------------------------------------------------------------

_ALWAYS = {"24/7", "全天", "24小时", "全天24小时", "24小时开放", "全天开放", "全天候",
           "00:00-24:00", "0:00-24:00", "24h", "全年无休", "7x24小时", "7×24小时", "24小时营业"}
_DAYS = {"一": "Mo", "二": "Tu", "三": "We", "四": "Th", "五": "Fr", "六": "Sa", "日": "Su",
         "天": "Su", "七": "Su"}
_DAY_WORD = r"(?:周|星期|礼拜)"
_DAY_CHAR = "[一二三四五六日天七]"


def _day(ch: str) -> str:
    return _DAYS[ch]


def normalize_hours(text: str | None) -> str:
    """Opening hours in OSM ``opening_hours`` syntax from what people type.

    Accepts the OSM syntax itself (``Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00``), and common Chinese
    spellings: ``全天``/``24小时`` (→ ``24/7``), ``8:30-18:00``, ``8:30～18:00``, ``8:30至18:00``,
    ``周一至周五 8:30-18:00``, ``工作日``, ``周末``, ``每天``. An empty value means the hours are
    unknown and returns ``""``.

    Raises
    ------
    InputError
        When the text cannot be read as opening hours.
    """
    if text is None:
        return ""
    raw = str(text).strip()
    if not raw or raw.lower() in {"nan", "none"}:
        return ""
    compact = re.sub(r"\s+", "", raw)
    if compact in _ALWAYS or compact.lower() in _ALWAYS or always_open(raw):
        return "24/7"
    s = hours_in_digits(raw)
    for a, b in (("：", ":"), ("；", ";"), ("，", ","), ("、", ","), ("～", "-"), ("~", "-"),
                 ("—", "-"), ("–", "-"), ("－", "-"), ("−", "-"), ("（", "("), ("）", ")")):
        s = s.replace(a, b)
    if re.search(r"[\u4e00-\u9fff]", s):
        s = re.sub(r"(\d{1,2})点(\d{2})分?", r"\1:\2", s)
        s = re.sub(r"(\d{1,2})点半", r"\1:30", s)
        s = re.sub(r"(\d{1,2})[点时]", r"\1:00", s)
        s = re.sub(r"(上午|早上|早)", "", s)
        s = re.sub(r"(下午|晚上|晚)(\d{1,2}):(\d{2})",
                   lambda m: f"{int(m[2]) + 12 if int(m[2]) < 12 else m[2]}:{m[3]}", s)
        s = re.sub(r"工作日", "Mo-Fr ", s)
        s = re.sub(r"(周末|双休日)", "Sa,Su ", s)
        s = re.sub(r"(每天|每日|全周|全年|天天)", "Mo-Su ", s)
        s = re.sub(r"(法定)?节假日", "PH ", s)
        s = re.sub(rf"{_DAY_WORD}({_DAY_CHAR})\s*(?:至|到|-)\s*{_DAY_WORD}?({_DAY_CHAR})",
                   lambda m: f"{_day(m[1])}-{_day(m[2])} ", s)
        s = re.sub(rf"{_DAY_WORD}({_DAY_CHAR})", lambda m: f"{_day(m[1])} ", s)
        s = re.sub(r"(\d)\s*(?:至|到)\s*(\d)", r"\1-\2", s)
        s = re.sub(r"(休息|关闭|闭馆|不开放)", "off", s)
        s = s.replace("开放", "").replace("营业", "").replace("服务", "")
    # zero-pad hours: 8:30 -> 08:30
    s = re.sub(r"(?<![\d:])(\d):(\d{2})", r"0\1:\2", s)
    s = re.sub(r"\s*-\s*", "-", s)
    s = re.sub(r"(\d{2}:\d{2}-\d{2}:\d{2})\s*,\s*(?=[A-Z])", r"\1; ", s)
    s = re.sub(r"([A-Z][a-z])\s*,\s*(?=[A-Z][a-z])", r"\1,", s)
    s = re.sub(r"\s*;\s*", "; ", s)
    s = re.sub(r"\s+", " ", s).strip(" ;,")
    if s in {"00:00-24:00", "Mo-Su 00:00-24:00"}:
        return "24/7"
    if re.search(r"[\u4e00-\u9fff]", s) or not opening_hours.validate(s):
        raise InputError(Message(
            f"cannot read opening hours {raw!r}; write them like '24/7', '08:30-18:00' or "
            "'Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00' (OpenStreetMap opening_hours syntax), "
            "or in Chinese like '全天' or '周一至周五 8:30-18:00'", "bad_hours", value=raw),
            parameter="hours")
    return s


_DAYS_ZH = {"Mo": "周一", "Tu": "周二", "We": "周三", "Th": "周四", "Fr": "周五", "Sa": "周六",
            "Su": "周日", "PH": "节假日"}
_DAY_SPANS_ZH = {"Mo-Su": "每天", "Sa,Su": "周末"}
_OSM_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_OSM_DAYS = re.compile(rf"(?:{_OSM_DAY}(?:-{_OSM_DAY})?|PH)(?:,(?:{_OSM_DAY}(?:-{_OSM_DAY})?|PH))*")
_OSM_SPAN = r"\d{2}:\d{2}-\d{2}:\d{2}"
_OSM_TIMES = re.compile(rf"{_OSM_SPAN}(?:,{_OSM_SPAN})*|off")


def _rule_zh(rule: str) -> str | None:
    """One OSM rule (``Mo-Fr 09:00-17:00``) in Chinese, or None when it is not days and times."""
    days, _, times = rule.rpartition(" ")
    if not _OSM_TIMES.fullmatch(times) or (days and not _OSM_DAYS.fullmatch(days)):
        return None
    if times == "off":
        text = "休息"
    else:  # 09:00 -> 9:00, as people write it
        text = "、".join(re.sub(r"\b0(\d):", r"\1:", span) for span in times.split(","))
    if not days:
        return text
    if days in _DAY_SPANS_ZH:
        return f"{_DAY_SPANS_ZH[days]} {text}"
    parts = []
    for part in days.split(","):
        first, _, last = part.partition("-")
        parts.append(f"{_DAYS_ZH[first]}至{_DAYS_ZH[last]}" if last else _DAYS_ZH[first])
    return f"{'、'.join(parts)} {text}"


@lru_cache(maxsize=1024)
def format_hours_zh(hours: str | None) -> str:
    """OSM ``opening_hours`` written as a union office writes hours (the inverse of
    :func:`normalize_hours`).

    ``24/7`` → ``全天``, ``Mo-Fr 09:00-17:00`` → ``周一至周五 9:00-17:00``, ``Mo-Su 08:00-22:00`` →
    ``每天 8:00-22:00``, ``Sa,Su`` → ``周末``, ``PH off`` → ``节假日 休息``; rules are joined by
    ``；``. What Chinese cannot say plainly (months, week numbers, sunrise, comments …) stays in OSM
    syntax, which :func:`normalize_hours` reads too: ``normalize_hours(format_hours_zh(h)) == h``
    for every ``h`` that :func:`normalize_hours` returns. Unknown hours (``""``) stay empty.
    """
    if not hours:
        return ""
    if hours == "24/7":
        return "全天"
    rules = [_rule_zh(rule.strip()) for rule in hours.split(";")]
    said = [rule for rule in rules if rule is not None]
    if len(said) < len(rules):
        return hours
    text = "；".join(said)
    try:
        same = normalize_hours(text) == hours
    except InputError:
        same = False
    return text if same else hours


@lru_cache(maxsize=4096)
def _compiled_hours(hours: str, timezone: str) -> opening_hours.OpeningHours:
    return opening_hours.OpeningHours(hours, timezone=ZoneInfo(timezone))


def local_time(at: datetime | str | None, timezone: str | None = None) -> datetime:
    """``at`` as an aware datetime; naive values and ``None`` (now) are taken in ``timezone``.

    Raises
    ------
    InputError
        When a string is not an ISO 8601 time (parameter ``open_at``).
    """
    tz = ZoneInfo(timezone or settings.timezone)
    if at is None:
        return datetime.now(tz)
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at.strip())
        except ValueError:
            raise InputError(
                f"`open_at` was {at!r} but must be an ISO 8601 time such as 2026-11-28T04:30 "
                "or 2026-11-28T04:30+08:00", parameter="open_at") from None
    return at.replace(tzinfo=tz) if at.tzinfo is None else at


# --- the station ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Station:
    """One rest station.

    Attributes
    ----------
    lon, lat
        WGS-84 (EPSG:4326) degrees.
    services
        Service ids from :data:`SERVICES`.
    hours
        OSM ``opening_hours`` syntax in the station's ``timezone``; ``""`` when unknown.
    capacity
        People (truck places for a driver home); ``None`` when unknown.
    other_services
        Service words a list wrote that name none of :data:`SERVICES` (``母婴室``, ``一台冰箱``),
        kept as written, in the list's order: shown and exported as they are, never matched by
        a service filter (:func:`read_services`).
    """

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    address: str = ""
    services: frozenset[str] = field(default_factory=frozenset)
    hours: str = "24/7"
    capacity: int | None = None
    access: str = "public"
    phone: str = ""
    operator: str = ""
    notes: str = ""
    timezone: str = field(default_factory=lambda: settings.timezone)
    other_services: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InputError(f"`kind` was {self.kind!r} but must be one of {sorted(KINDS)}",
                             parameter="kind")
        unknown = set(self.services) - set(SERVICES)
        if unknown:
            raise InputError(f"unknown service(s) {sorted(unknown)}; known: {sorted(SERVICES)}",
                             parameter="services")
        if self.access not in ACCESS:
            raise InputError(f"`access` was {self.access!r} but must be one of {sorted(ACCESS)}",
                             parameter="access")
        if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise InputError(f"coordinates ({self.lon}, {self.lat}) are out of range",
                             parameter="lon")
        object.__setattr__(self, "services", frozenset(self.services))
        words = (self.other_services,) if isinstance(self.other_services, str) else \
            self.other_services
        object.__setattr__(self, "other_services", tuple(dict.fromkeys(
            check_service_word(w) for w in words)))

    def is_open(self, at: datetime | str | None = None) -> bool | None:
        """Whether the station is open at ``at`` (aware, or naive in the station's zone; None =
        now).

        Returns ``None`` when the hours are unknown. A station of a seasonal kind
        (:data:`SEASONS`, such as a summer class open in July and August) is closed outside its
        months, whatever its hours.
        """
        season = SEASONS.get(self.kind)
        if not self.hours and season is None:
            return None
        # opening_hours needs a ZoneInfo time: a fixed offset (+08:00) is converted first
        when = local_time(at, self.timezone).astimezone(ZoneInfo(self.timezone))
        if season is not None and when.month not in season:
            return False
        if not self.hours:
            return None
        return _compiled_hours(self.hours, self.timezone).is_open(when)

    def next_change(self, at: datetime | str | None = None) -> datetime | None:
        """When the station next opens (if closed at ``at``) or closes (if open), in its own
        zone; None for hours unknown or round the clock."""
        if not self.hours:
            return None
        when = local_time(at, self.timezone).astimezone(ZoneInfo(self.timezone))
        return _compiled_hours(self.hours, self.timezone).next_change(when)

    def to_record(self) -> dict:
        """A flat dict with services as a sorted list, for JSON and the registry."""
        # the fields are plain values but services: no deep copy (asdict) needed
        record = {name: getattr(self, name) for name in self.__dataclass_fields__}
        record["services"] = sorted(self.services)
        record["other_services"] = list(self.other_services)
        return record

    @classmethod
    def from_record(cls, record: dict) -> Station:
        """The inverse of :meth:`to_record`.

        ``services`` may hold kept words after the ids (as the registry stores them, in one
        list): a word that is no id of :data:`SERVICES` joins ``other_services``.
        """
        data = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        listed = list(data.get("services") or ())
        data["services"] = frozenset(s for s in listed if s in SERVICES)
        data["other_services"] = (*(data.get("other_services") or ()),
                                  *(s for s in listed if s not in SERVICES))
        return cls(**data)

    def replace(self, **changes: Any) -> Station:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)

    @property
    def kind_label(self) -> tuple[str, str]:
        """(中文, English) label of the kind."""
        return KINDS[self.kind]


def stable_id(kind: str, name: str, lon: float, lat: float) -> str:
    """A stable id for a row that has none: the same station gives the same id on every import.

    Built from kind, name and the position rounded to about 10 m, so re-importing the same list
    updates the same stations.
    """
    key = f"{kind}|{name.strip()}|{lon:.4f}|{lat:.4f}"
    return "st-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
