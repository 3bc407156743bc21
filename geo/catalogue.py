"""The deployment's own station kinds and service words, beside the built-in ones.

A union office names more places than the three built-in kinds — 爱心托管班 (summer classes for
workers' children), 工会帮扶（服务）中心 (union help centres) — and services of its own
(高原氧吧). An administrator adds them without code: in a TOML file (``$YIZHAN_CATALOGUE``, read
by ``yizhan serve`` and ``yizhan import``/``export``) ::

    [kinds.summer_class]
    zh = "爱心托管班"
    en = "summer class for workers' children"
    short_zh = "托管班"               # optional: chips and legends (else the label)
    short_en = "Summer class"
    colour = "#db2777"
    icon = "child"                    # one of geo.style.ICON_NAMES
    services = ["rest", "meals", "reading"]
    groups = ["sanitation_worker", "delivery_rider"]
    season = "7-8"                    # or [7, 8]: closed outside July and August
    words = ["暑期托管班"]             # more names people write for it

    [services.oxygen_bar]
    zh = "高原氧吧"
    en = "oxygen bar"
    words = ["氧气吧"]

    [services.toilet]                 # a built-in service: more words only
    words = ["厕位"]

or in the planner view (administrators only), which writes them to the ``catalogue_entries``
table of the registry database (:class:`CatalogueStore`). The built-in kinds and services stay
as they are; an entry of the database replaces the file's entry of the same id.

:func:`use_catalogue` puts a catalogue into :data:`geo.stations.KINDS`,
:data:`geo.stations.SERVICES`, :data:`geo.stations.SEASONS`, the words the parsers read, the
colours, icons and short labels of :mod:`geo.style` and the kinds of
:data:`geo.groups.DEFAULT_GROUPS` — in place, so every module that imported them (the finder,
the station reader, the registry, exports, the web app) follows.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import tomllib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from geo import groups as _groups
from geo import stations as _stations
from geo import style as _style
from geo.errors import InputError, Message
from geo.text import fold, forbidden, shown

logger = logging.getLogger(__name__)

#: The environment variable naming the deployment's catalogue file (TOML).
ENV_VAR = "YIZHAN_CATALOGUE"
#: What a kind or service id looks like: it names CSS classes and API values.
ID_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
#: A colour: CSS hex ``#rrggbb``.
COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"
#: Most words (other names) per kind or service.
MAX_WORDS = 20

Section = Literal["kinds", "services"]
Source = Literal["builtin", "file", "admin"]


# --- what an entry may hold (the file and the API read the same models) -----------------------

def _clean(value: str, info: ValidationInfo) -> str:
    """Text without a character the text policy refuses (:func:`geo.text.forbidden`)."""
    refused = forbidden(value)
    if refused:
        name, chars = info.field_name or "text", ", ".join(shown(c) for c in refused)
        raise InputError(Message(f"`{name}` holds {chars}, which no text may hold (control and "
                                 "bidirectional characters); remove it", "catalogue_text_refused",
                                 field=name, chars=chars), parameter=name)
    return value


def _word(value: str, info: ValidationInfo) -> str:
    _clean(value, info)
    if _stations.SERVICE_SEPARATORS.search(value):
        raise InputError(Message(f"the word {value!r} holds a separator (; , ， 、 / ； |): "
                                 "write each word apart", "catalogue_word_separator",
                                 value=value), parameter="words")
    return value


def parse_season(value: Any) -> list[int] | None:
    """The months of a season: ``[7, 8]``, ``"7-8"``, ``"7–8 月"``, ``"7月-8月"``, ``"11-3"``
    (November to March) or ``"7,8"``; empty or None: all year.

    Raises
    ------
    InputError
        When the value is not months 1–12 (a :class:`ValueError` too).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, list):
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in value):
            raise InputError(Message("the months must be whole numbers 1 to 12, such as [7, 8]",
                                     "season_whole"), parameter="season")
        months = value
    elif isinstance(value, str):
        text = re.sub(r"\s|月", "", value).translate(str.maketrans("–—~～至到，、", "------,,"))
        months = []
        for part in filter(None, text.split(",")):
            match = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", part)
            if match is None:
                raise InputError(Message(
                    f"cannot read {value!r} as months: write them like '7-8', '7–8 月', '11-3' "
                    "or [7, 8]", "season_unreadable", value=value), parameter="season")
            first, last = int(match[1]), int(match[2] or match[1])
            if not (1 <= first <= 12 and 1 <= last <= 12):
                raise InputError(Message(f"{value!r}: months are 1 to 12", "season_range",
                                         value=value), parameter="season")
            span = (range(first, last + 1) if first <= last
                    else [*range(first, 13), *range(1, last + 1)])
            months += list(span)
    else:
        raise InputError(Message("the season must be months such as '7-8' or [7, 8]",
                                 "season_type"), parameter="season")
    if not months or any(not 1 <= m <= 12 for m in months):
        raise InputError(Message("the months must be 1 to 12, such as [7, 8]", "season_months"),
                         parameter="season")
    return sorted(set(months))


def season_text(months: tuple[int, ...] | list[int]) -> str:
    """Months as people write them: ``(7, 8)`` → ``7–8``, ``(1, 11, 12)`` → ``11–1``,
    ``(1, 3)`` → ``1, 3``; all year is ``""``."""
    chosen = set(months)
    if not chosen or len(chosen) == 12:
        return ""
    start = next(m for m in range(1, 13) if m in chosen and (m - 2) % 12 + 1 not in chosen)
    runs: list[list[int]] = []
    for m in ((start - 1 + k) % 12 + 1 for k in range(12)):
        if m not in chosen:
            continue
        if runs and runs[-1][1] % 12 + 1 == m:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


Label = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_clean)]
ShortLabel = Annotated[str, Field(max_length=20), AfterValidator(_clean)]
Word = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_word)]
Ref = Annotated[str, Field(pattern=ID_PATTERN)]
Season = Annotated[list[int] | None, BeforeValidator(parse_season), WithJsonSchema({
    "anyOf": [{"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 12}},
              {"type": "string", "examples": ["7-8", "7–8 月"]}, {"type": "null"}],
    "description": "The months it opens in (closed outside them): [7, 8], '7-8' or '7–8 月'; "
                   "empty or null: all year."})]


class KindSpec(BaseModel):
    """A deployment's own station kind: labels in both languages, colour, icon, the services
    it offers, the worker groups that use it, an optional season and more names for it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    zh: Label = Field(description="中文名, such as 爱心托管班.")
    en: Label = Field(description="English name.")
    short_zh: ShortLabel = Field("", description="Short Chinese label for chips and legends.")
    short_en: ShortLabel = Field("", description="Short English label for chips and legends.")
    colour: Annotated[str, Field(pattern=COLOUR_PATTERN, description="#rrggbb.")]
    icon: Literal[_style.ICON_NAMES] = Field(  # type: ignore[valid-type]
        "pin", description="The icon of its pins and chips.")
    services: list[Ref] = Field(default_factory=list, max_length=40,
                                description="Service ids its stations offer.")
    groups: list[Ref] = Field(default_factory=list, max_length=20,
                              description="Worker groups that use it (coverage counts it).")
    season: Season = None
    words: list[Word] = Field(default_factory=list, max_length=MAX_WORDS,
                              description="More names people write for it (imports read them).")


class ServiceSpec(BaseModel):
    """A deployment's own service (labels and words), or more words for a built-in one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    zh: Label | None = Field(None, description="中文名 (a new service needs it).")
    en: Label | None = Field(None, description="English name (a new service needs it).")
    words: list[Word] = Field(default_factory=list, max_length=MAX_WORDS,
                              description="More names people write for it (imports read them).")


SPECS: dict[str, type[BaseModel]] = {"kinds": KindSpec, "services": ServiceSpec}


# --- the catalogue -----------------------------------------------------------------------------

@dataclass(frozen=True)
class KindEntry:
    """One station kind of the catalogue. ``months`` empty: open all year."""

    id: str
    zh: str
    en: str
    short: tuple[str, str]
    colour: str
    icon: str
    services: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    months: tuple[int, ...] = ()
    words: tuple[str, ...] = ()
    source: Source = "builtin"


@dataclass(frozen=True)
class ServiceEntry:
    """One service of the catalogue (``words``: the deployment's own names for it)."""

    id: str
    zh: str
    en: str
    words: tuple[str, ...] = ()
    source: Source = "builtin"


@dataclass(frozen=True)
class Entry:
    """A kind or service as a file or the database gives it; ``where`` names it in messages."""

    section: Section
    id: str
    spec: Any
    source: Source
    where: str


@dataclass(frozen=True)
class Catalogue:
    """The station kinds and services of a deployment: the built-in ones first."""

    kinds: dict[str, KindEntry]
    services: dict[str, ServiceEntry]
    entries: tuple[Entry, ...] = field(default=(), compare=False)

    def as_json(self) -> dict:
        """The catalogue as the API serves it (both languages)."""
        return {
            "kinds": [{"id": k.id, "zh": k.zh, "en": k.en, "short_zh": k.short[0],
                       "short_en": k.short[1], "colour": k.colour, "icon": k.icon,
                       "services": list(k.services), "groups": list(k.groups),
                       "season": list(k.months) or None, "season_text": season_text(k.months),
                       "words": list(k.words), "source": k.source}
                      for k in self.kinds.values()],
            "services": [{"id": s.id, "zh": s.zh, "en": s.en, "words": list(s.words),
                          "source": s.source} for s in self.services.values()],
        }


_BUILTIN_GROUP_KINDS = {gid: g.kinds for gid, g in _groups.DEFAULT_GROUPS.items()}
_BUILTIN_KIND_WORDS = dict(_stations._KIND_ALIASES)
_BUILTIN_SERVICE_WORDS = dict(_stations._SERVICE_ALIASES)


def builtin_catalogue() -> Catalogue:
    """The kinds and services every deployment has."""
    kinds = {k: KindEntry(k, zh, en, _style.KIND_SHORT.get(k, (zh, en)),
                          _style.KIND_COLOURS[k], _style.KIND_ICONS.get(k, "pin"),
                          groups=tuple(g for g, ks in _BUILTIN_GROUP_KINDS.items() if k in ks))
             for k, (zh, en) in _stations.BUILTIN_KINDS.items()}
    services = {s: ServiceEntry(s, zh, en) for s, (zh, en) in _stations.BUILTIN_SERVICES.items()}
    return Catalogue(kinds, services)


_BUILTIN = builtin_catalogue()


def _names(catalogue: Catalogue, section: Section) -> dict[str, str]:
    """Folded name -> id of every name of ``section`` in ``catalogue`` (ids, labels, words,
    and the built-in aliases)."""
    if section == "kinds":
        items: list[tuple[str, tuple[str, ...]]] = [
            (k.id, (k.id, k.zh, k.en, *k.words)) for k in catalogue.kinds.values()]
        table = dict(_BUILTIN_KIND_WORDS)
    else:
        items = [(s.id, (s.id, s.zh, s.en, *s.words)) for s in catalogue.services.values()]
        table = dict(_BUILTIN_SERVICE_WORDS)
    for key, names in items:
        table.update({fold(name): key for name in names if fold(name) not in table})
    return table


def _problems(entry: Entry, catalogue: Catalogue) -> list[Message]:
    """What is wrong with adding ``entry`` to ``catalogue`` (which does not hold it yet)."""
    problems = []
    if re.fullmatch(ID_PATTERN, entry.id) is None:
        problems.append(Message(
            f"the id {entry.id!r} must be lower-case letters, digits and _, starting with a "
            "letter, 2 to 40 in all (such as summer_class)", "catalogue_bad_id", value=entry.id))
    spec, builtin = entry.spec, (_BUILTIN.kinds if entry.section == "kinds"
                                 else _BUILTIN.services)
    if entry.section == "kinds":
        if entry.id in builtin:
            problems.append(Message(f"{entry.id} is a built-in kind and stays as it is; choose "
                                    "another id for a kind of your own", "catalogue_builtin_kind",
                                    id=entry.id))
        unknown = [s for s in spec.services if s not in catalogue.services]
        if unknown:
            problems.append(Message(f"services {unknown} are not services; use ids among "
                                    f"{list(catalogue.services)}", "catalogue_unknown_services",
                                    unknown=unknown, known=list(catalogue.services)))
        unknown = [g for g in spec.groups if g not in _BUILTIN_GROUP_KINDS]
        if unknown:
            problems.append(Message(f"groups {unknown} are not worker groups; use ids among "
                                    f"{list(_BUILTIN_GROUP_KINDS)}", "catalogue_unknown_groups",
                                    unknown=unknown, known=list(_BUILTIN_GROUP_KINDS)))
    elif entry.id in builtin and (spec.zh or spec.en):
        problems.append(Message(f"{entry.id} is a built-in service: its labels stay as they "
                                "are; give `words` only", "catalogue_builtin_service",
                                id=entry.id))
    elif entry.id not in builtin and not (spec.zh and spec.en):
        problems.append(Message("a new service needs `zh` and `en` (its names in both "
                                "languages)", "catalogue_new_service"))
    names = _names(catalogue, entry.section)
    own = [n for n in (entry.id, getattr(spec, "zh", None), getattr(spec, "en", None),
                       *spec.words) if n]
    for name in own:
        other = names.get(fold(name))
        if other is not None and other != entry.id:
            what = "kind" if entry.section == "kinds" else "service"
            problems.append(Message(f"{name!r} already names the {what} {other}; choose another "
                                    "name", f"catalogue_{what}_name_taken", name=name,
                                    what=what, other=other))
    return problems


def _with(catalogue: Catalogue, entry: Entry) -> Catalogue:
    """``catalogue`` with ``entry`` added (checked already)."""
    spec = entry.spec
    if entry.section == "kinds":
        kind = KindEntry(entry.id, spec.zh, spec.en, (spec.short_zh or spec.zh,
                                                      spec.short_en or spec.en),
                         spec.colour.lower(), spec.icon, tuple(dict.fromkeys(spec.services)),
                         tuple(dict.fromkeys(spec.groups)), tuple(spec.season or ()),
                         tuple(dict.fromkeys(spec.words)), entry.source)
        return replace(catalogue, kinds={**catalogue.kinds, entry.id: kind})
    known = catalogue.services.get(entry.id)
    if known is not None:
        service = replace(known, words=tuple(dict.fromkeys((*known.words, *spec.words))),
                          source=entry.source)
    else:
        service = ServiceEntry(entry.id, spec.zh, spec.en, tuple(dict.fromkeys(spec.words)),
                               entry.source)
    return replace(catalogue, services={**catalogue.services, entry.id: service})


def _build(entries: list[Entry]) -> tuple[Catalogue, list[tuple[Entry, Message]]]:
    """:func:`build_catalogue` with each problem beside its entry."""
    merged: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        merged[(entry.section, entry.id)] = entry
    catalogue, problems, kept = _BUILTIN, [], []
    for section in ("services", "kinds"):
        for entry in (e for e in merged.values() if e.section == section):
            found = _problems(entry, catalogue)
            if found:
                problems += [(entry, p) for p in found]
                continue
            catalogue = _with(catalogue, entry)
            kept.append(entry)
    return replace(catalogue, entries=tuple(kept)), problems


def build_catalogue(entries: list[Entry]) -> tuple[Catalogue, list[str]]:
    """The built-in catalogue with ``entries`` added, and the problems of those left out.

    A later entry of the same section and id replaces an earlier one (the database's replace
    the file's). Services go in before kinds, which name them; each problem starts with where
    its entry comes from.
    """
    catalogue, problems = _build(entries)
    return catalogue, [f"{entry.where}: {p}" for entry, p in problems]


#: pydantic's error types -> the key of the message saying them (others: ``catalogue_field``).
_FIELD_KEYS = {"missing": "catalogue_field_missing", "string_too_short": "catalogue_field_empty",
               "string_too_long": "catalogue_field_too_long", "too_long": "catalogue_field_many",
               "string_pattern_mismatch": "catalogue_field_pattern",
               "literal_error": "catalogue_field_choice",
               "extra_forbidden": "catalogue_field_unknown"}


def _field_problem(error: Any) -> Message:
    """One problem pydantic found in an entry, as a keyed message ``field: what``."""
    where = ".".join(str(p) for p in error["loc"]) or "entry"
    what = error["msg"].removeprefix("Value error, ")
    text = f"{where}: {what}"
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, InputError) and isinstance(cause.args[0], Message):
        inner = cause.args[0]  # the library's own message, already keyed
        return Message(text, inner.key, **inner.params)
    ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, (str, int))}
    return Message(text, _FIELD_KEYS.get(error["type"], "catalogue_field"), field=where,
                   msg=what, **ctx)


def spec_problems(section: Section, values: Any) -> tuple[Any, list[str]]:
    """``values`` as the spec of ``section``, or None and every problem (``field: message``,
    each a keyed :class:`~geo.errors.Message`)."""
    try:
        return SPECS[section].model_validate(values), []
    except ValidationError as exc:
        return None, [_field_problem(e) for e in exc.errors()]


def said_together(problems: list[Message]) -> Message:
    """Several problems as one message (``; `` between them): key ``catalogue_problems``, the
    problems themselves in ``problems`` (a surface says each in its language)."""
    if len(problems) == 1:
        return problems[0]
    return Message("; ".join(problems), "catalogue_problems", problems=list(problems))


def read_catalogue_file(path: str | os.PathLike[str]) -> list[Entry]:
    """The entries of a catalogue file (TOML, see the module's description).

    Raises
    ------
    InputError
        Naming the file, the table and the field of every problem at once (parameter
        ``catalogue``).
    """
    entries, problems = _parse_file(path)
    if problems:
        raise InputError("\n".join(problems), parameter="catalogue")
    return entries


def _parse_file(path: str | os.PathLike[str]) -> tuple[list[Entry], list[str]]:
    """The entries of a catalogue file that read well, and the problems of the others; a file
    that cannot be read at all raises :class:`InputError`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"the catalogue file {path} does not exist: give the path of a TOML "
                         f"file of [kinds.<id>] and [services.<id>] tables (${ENV_VAR})",
                         parameter="catalogue") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the catalogue file (TOML, UTF-8): {exc}",
                         parameter="catalogue") from exc
    entries, problems = [], []
    for name in sorted(set(data) - set(SPECS)):
        problems.append(f"{path}: [{name}] is not a table of a catalogue; use [kinds.<id>] "
                        "and [services.<id>]")
    for section in ("services", "kinds"):
        tables = data.get(section) or {}
        if not isinstance(tables, dict):
            problems.append(f"{path}: `{section}` must be tables such as [{section}.<id>]")
            continue
        for key, values in tables.items():
            where = f"{path}: [{section}.{key}]"
            spec, found = spec_problems(section, values if isinstance(values, dict) else None)
            problems += [f"{where} {p}" for p in found]
            if spec is not None:
                entries.append(Entry(section, key, spec, "file", where))
    return entries, problems


# --- the catalogue in the registry database -------------------------------------------------------

metadata = MetaData()

catalogue_table = Table(
    "catalogue_entries", metadata,
    Column("section", String(16), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("rev", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False, default=""),
)


class CatalogueStore:
    """The kinds and services administrators added, in the registry database.

    Parameters
    ----------
    engine
        The registry's engine (:attr:`geo.registry.Registry.engine`); the table is made when
        missing (not on a read-only database, which then has no entries).
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        with contextlib.suppress(OperationalError):
            metadata.create_all(engine)

    def entries(self) -> list[Entry]:
        """The stored entries, oldest change first (a bad one is left out, with a warning)."""
        query = select(catalogue_table).order_by(catalogue_table.c.rev)
        try:
            with self.engine.connect() as conn:
                rows = list(conn.execute(query))
        except OperationalError:  # no table (a read-only database made before it)
            return []
        entries = []
        for row in rows:
            spec, found = spec_problems(row.section, row.spec) if row.section in SPECS else (
                None, ["unknown section"])
            if spec is None:
                logger.warning("catalogue entry %s.%s left out: %s", row.section, row.id,
                               "; ".join(found))
                continue
            entries.append(Entry(row.section, row.id, spec, "admin",
                                 f"[{row.section}.{row.id}] (added in the planner view)"))
        return entries

    def version(self) -> int:
        """A number that grows with every change (0: none yet)."""
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(select(func.max(catalogue_table.c.rev))).scalar() or 0)
        except OperationalError:
            return 0

    def put(self, entry: Entry, *, actor: str = "") -> int:
        """Store ``entry`` (replacing the stored one of its section and id); its version."""
        values = entry.spec.model_dump(mode="json")
        with self.engine.begin() as conn:
            rev = int(conn.execute(select(func.max(catalogue_table.c.rev))).scalar() or 0) + 1
            conn.execute(delete(catalogue_table).where(
                catalogue_table.c.section == entry.section, catalogue_table.c.id == entry.id))
            conn.execute(insert(catalogue_table).values(
                section=entry.section, id=entry.id, spec=values, rev=rev,
                changed_at=datetime.now(UTC), actor=actor[:200]))
        return rev


# --- loading and using one -------------------------------------------------------------------

def load_catalogue(path: str | os.PathLike[str] | None = None, *,
                   engine: Engine | None = None) -> Catalogue:
    """The deployment's catalogue: the built-in kinds and services, those of the file ``path``
    (default ``$YIZHAN_CATALOGUE``, when set) and those stored in ``engine``'s database.

    Raises
    ------
    InputError
        When the file has problems (every one, at once). A stored entry that no longer fits
        (the file took away a service it names) is left out with a warning.
    """
    path = path if path is not None else (os.environ.get(ENV_VAR) or None)
    entries, problems = _parse_file(path) if path else ([], [])
    catalogue, more = build_catalogue(entries)
    if problems or more:
        raise InputError("\n".join(problems + more), parameter="catalogue")
    if engine is not None:
        stored = CatalogueStore(engine).entries()
        catalogue, problems = build_catalogue([*entries, *stored])
        for problem in problems:
            logger.warning("catalogue entry left out: %s", problem)
    return catalogue


def with_entry(catalogue: Catalogue, entry: Entry) -> Catalogue:
    """``catalogue`` with ``entry`` added or replaced.

    Raises
    ------
    InputError
        Naming every problem of the entry (parameter: its section).
    """
    rebuilt, problems = _build([*catalogue.entries, entry])
    own = [p for found, p in problems if found is entry]
    if own:
        raise InputError(said_together(own), parameter=entry.section)
    return rebuilt


_LOCK = threading.Lock()
_ACTIVE: list[Catalogue] = [_BUILTIN]


def active_catalogue() -> Catalogue:
    """The catalogue :func:`use_catalogue` last put in place (at first the built-in one)."""
    return _ACTIVE[0]


def _replace(target: dict, new: dict) -> None:
    """Make ``target`` equal to ``new`` in place (others keep reading it meanwhile)."""
    target.update(new)
    for key in [k for k in target if k not in new]:
        del target[key]


def use_catalogue(catalogue: Catalogue) -> None:
    """Put ``catalogue`` in place of the current one, for this process (see the module's
    description for what follows it)."""
    kinds, services = catalogue.kinds, catalogue.services
    with _LOCK:
        _replace(_stations.KINDS, {k: (e.zh, e.en) for k, e in kinds.items()})
        _replace(_stations.SERVICES, {s: (e.zh, e.en) for s, e in services.items()})
        _replace(_stations.SEASONS, {k: frozenset(e.months) for k, e in kinds.items()
                                     if e.months})
        kind_words = {fold(w): k for k, e in kinds.items() for w in e.words}
        service_words = {fold(w): s for s, e in services.items() for w in e.words}
        _replace(_stations._KIND_ALIASES, {**kind_words, **_BUILTIN_KIND_WORDS})
        _replace(_stations._SERVICE_ALIASES, {**service_words, **_BUILTIN_SERVICE_WORDS})
        _stations._LABELS.clear()
        _replace(_style.KIND_COLOURS, {k: e.colour for k, e in kinds.items()})
        _replace(_style.KIND_SHORT, {k: e.short for k, e in kinds.items()})
        _replace(_style.KIND_ICONS, {k: e.icon for k, e in kinds.items()})
        for gid, builtin in _BUILTIN_GROUP_KINDS.items():
            own = tuple(k for k, e in kinds.items() if gid in e.groups and k not in builtin)
            group = _groups.DEFAULT_GROUPS[gid]
            if group.kinds != builtin + own:
                _groups.DEFAULT_GROUPS[gid] = replace(group, kinds=builtin + own)
        _ACTIVE[0] = catalogue


def reset_catalogue() -> None:
    """Back to the built-in kinds and services only (tests, notebooks)."""
    use_catalogue(_BUILTIN)


def follow_store(store: CatalogueStore, known: int, *,
                 path: str | os.PathLike[str] | None = None) -> int:
    """Load and use the catalogue again when ``store``'s version is no longer ``known``; the
    version now. A database that cannot be read keeps the catalogue in use."""
    try:
        version = store.version()
        if version != known:
            use_catalogue(load_catalogue(path, engine=store.engine))
    except SQLAlchemyError:
        logger.warning("cannot read the catalogue; keeping the one in use", exc_info=True)
        return known
    return version
