"""The ``REGIONS.toml`` file of a batch: :func:`read_regions` checks every ``[[region]]`` table
against :class:`RegionEntry` and reports every problem of every table at once.

Each problem names the line of the file where its table starts, the table (number and name)
and the key, for example::

    regions.toml: 2 problem(s) in the regions file:
      line 7, [[region]] 2 (成都), `region`: was 'chengdu2' but must be one of ['chengdu', …]
      line 7, [[region]] 2 (成都), `add`: give `add` or `target`, not both

Relative paths are relative to the TOML file (the ``base`` of the validation context).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from geo.batch.spec import RegionSpec, district_area
from geo.coords import CRS_NAMES
from geo.errors import InputError
from geo.regions import REGIONS

#: Characters a region's name (its folder's name) may not contain.
_UNSAFE = set('/\\:*?"<>|') | {chr(c) for c in range(32)}
#: The error type of this module's own messages (written in full, never rephrased).
_OWN = "regions_file"
_FILE = "a file path (relative to the TOML file)"

#: What each key takes: the field's description, and the end of "was … but must be …".
EXPECTS = {
    "name": "the region's name, also the name of its output folder",
    "region": f"one of {list(REGIONS)}",
    "osm": f"an .osm or .osm.pbf extract, {_FILE}",
    "networks": "a list of saved network files (.npz)",
    "networks.*": _FILE,
    "crs": f"one of {list(CRS_NAMES)}",
    "districts": f"a districts file, {_FILE}",
    "stations": "a station file, a registry URL or {registry = URL, bbox = [W, S, E, N]}",
    "stations.registry": "a database URL (sqlite:///stations.sqlite, postgresql+psycopg://…)",
    "stations.bbox": "[west, south, east, north] in degrees, west < east and south < north",
    "stations.district": "a district's name",
    "demand": f"a demand file, {_FILE}",
    "groups": f"a worker groups file, {_FILE}",
    "group": "a list of group ids",
    "group.*": "a group id",
    "budgets": "a table of minutes by group, e.g. {sanitation_worker = 10}",
    "budgets.*": "minutes, a number above 0",
    "kind": "a station kind",
    "add": "a whole number of new stations, 1 or more",
    "target": "a share above 0 and up to 1 (0.9) or a percentage above 1 and up to 100 (90)",
    "curve": "a whole number of stations, 1 or more",
}


def _problem(message: str) -> PydanticCustomError:
    """A validation error that reads ``message`` as it is."""
    return PydanticCustomError(_OWN, "{message}", {"message": message})


def _errors(problems: list[tuple[tuple[str | int, ...], str]],
            input_value: Any) -> ValidationError:
    """The problems, each at its place under what is being validated, as one error."""
    return ValidationError.from_exception_data("RegionEntry", [
        InitErrorDetails(type=_problem(message), loc=loc, input=input_value)
        for loc, message in problems])


# --- field types ----------------------------------------------------------------------------------


def _file(value: str, info: ValidationInfo) -> str:
    """The existing file ``value`` names, as an absolute path."""
    if not value:
        raise _problem(f"was {value!r} but must be {_FILE}")
    base = Path((info.context or {}).get("base", "."))
    resolved = (base / value).resolve()
    if not resolved.is_file():
        raise _problem(f"no such file: {resolved}")
    return str(resolved)


def _osm(path: str) -> str:
    from geo.network import is_osm_file

    if not is_osm_file(path):
        raise _problem(f"{Path(path).name} is not an .osm or .osm.pbf extract")
    return path


def _npz(path: str) -> str:
    if not path.lower().endswith(".npz"):
        raise _problem(f"{Path(path).name} is not one of ['.npz']")
    return path


def _shipped(region: str) -> str:
    if region not in REGIONS:
        raise _problem(f"was {region!r} but must be {EXPECTS['region']}")
    try:
        REGIONS[region].extract()
    except FileNotFoundError as exc:
        raise _problem(str(exc)) from None
    return region


def _known_group(gid: str, info: ValidationInfo) -> str:
    """``gid`` when the region's groups (the defaults or its ``groups`` file's) have it; not
    checked when the ``groups`` file itself is bad."""
    from geo.groups import load_groups

    if "groups" in info.data:
        known = load_groups(info.data["groups"])
        if gid not in known:
            raise _problem(f"{gid!r} is not a group; groups are {list(known)}")
    return gid


def _groups_file(path: str) -> str:
    from geo.groups import load_groups

    try:
        load_groups(path)
    except InputError as exc:
        raise _problem(str(exc)) from None
    return path


def _listed(value: Any) -> Any:
    """One value written alone, as a list of it."""
    return [value] if isinstance(value, str) else value


File = Annotated[str, Strict(), AfterValidator(_file)]
GroupId = Annotated[str, Strict(), AfterValidator(_known_group)]
Count = Annotated[int, Strict(), Field(ge=1)]


class RegistryStations(BaseModel):
    """``stations = {registry = URL, bbox = [W, S, E, N]}`` or ``{…, district = NAME}``: the
    stations of a shared registry, all or those in a box (EPSG:4326 degrees) or a district."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registry: Annotated[str, Strict()] = Field(description=EXPECTS["stations.registry"])
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description=EXPECTS["stations.bbox"])
    district: Annotated[str, Strict()] | None = Field(
        default=None, description=EXPECTS["stations.district"])

    @field_validator("registry")
    @classmethod
    def _url(cls, value: str) -> str:
        if "://" not in value:
            raise _problem(f"was {value!r} but must be {EXPECTS['stations.registry']}")
        return value

    @field_validator("bbox", mode="before")
    @classmethod
    def _box(cls, value: Any) -> Any:
        numbers = (isinstance(value, list) and len(value) == 4
                   and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value))
        if not numbers or not (-180 <= value[0] < value[2] <= 180
                               and -90 <= value[1] < value[3] <= 90):
            raise _problem(f"was {value!r} but must be {EXPECTS['stations.bbox']}")
        return value


#: Keys of a ``stations = {…}`` table.
REGISTRY_KEYS = tuple(RegistryStations.model_fields)


class RegionEntry(BaseModel):
    """One ``[[region]]`` table of a ``REGIONS.toml`` file, checked; :meth:`spec` is the region.

    Validate with ``context={"base": <the TOML file's folder>}``: file paths are relative to it
    and come out absolute. A :class:`pydantic.ValidationError` holds every problem of the
    table, keys together (which keys go together is checked even when a value is bad).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # the order of validation: `stations` reads `districts`, `group` and `budgets` read `groups`
    name: Annotated[str, Strict()] = Field(description=EXPECTS["name"])
    region: Annotated[str, Strict(), AfterValidator(_shipped)] | None = Field(
        default=None, description=EXPECTS["region"])
    osm: Annotated[File, AfterValidator(_osm)] | None = Field(
        default=None, description=EXPECTS["osm"])
    networks: Annotated[list[Annotated[File, AfterValidator(_npz)]], Field(min_length=1),
                        BeforeValidator(_listed)] | None = Field(
        default=None, description=EXPECTS["networks"])
    crs: Annotated[str, Strict()] = Field(default="wgs84", description=EXPECTS["crs"])
    districts: File | None = Field(default=None, description=EXPECTS["districts"])
    stations: File | RegistryStations | None = Field(default=None, description=EXPECTS["stations"])
    demand: File | None = Field(default=None, description=EXPECTS["demand"])
    groups: Annotated[File, AfterValidator(_groups_file)] | None = Field(
        default=None, description=EXPECTS["groups"])
    group: Annotated[list[GroupId], BeforeValidator(_listed)] = Field(
        default_factory=list, description=EXPECTS["group"])
    budgets: dict[GroupId, Annotated[float, Strict(), Field(gt=0)]] = Field(
        default_factory=dict, description=EXPECTS["budgets"])
    kind: Annotated[str, Strict()] = Field(
        default="outdoor_rest_point", description=EXPECTS["kind"])
    add: Count | None = Field(default=None, description=EXPECTS["add"])
    target: float | None = Field(default=None, description=EXPECTS["target"])
    curve: Count | None = Field(default=None, description=EXPECTS["curve"])

    @field_validator("name")
    @classmethod
    def _folder_name(cls, name: str) -> str:
        if not name.strip():
            raise _problem(f"was {name!r} but every region needs a name")
        if set(name) & _UNSAFE or name.strip(". ") == "" or name != name.strip():
            raise _problem(f"{name!r} names the region's folder: no / \\ : * ? \" < > |, no "
                           "leading or trailing spaces, not . or ..")
        return name

    @field_validator("crs")
    @classmethod
    def _crs(cls, crs: str) -> str:
        if crs not in CRS_NAMES:
            raise _problem(f"was {crs!r} but must be {EXPECTS['crs']}")
        return crs

    @field_validator("stations", mode="before")
    @classmethod
    def _stations(cls, value: Any, info: ValidationInfo) -> Any:
        """A registry URL, a registry table (its district looked up in ``districts``) or a
        file; anything else is reported here, once."""
        if isinstance(value, str) and "://" in value:
            return RegistryStations(registry=value)
        if isinstance(value, dict):
            stations = RegistryStations.model_validate(value)
            districts = info.data.get("districts")
            if stations.district is not None and districts is not None:
                try:
                    district_area(districts, stations.district)
                except InputError as exc:
                    raise _errors([(("district",), str(exc))], value) from None
            return stations
        if not isinstance(value, str):
            raise _problem(f"was {value!r} but must be {EXPECTS['stations']}")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, kind: str) -> str:
        from geo.stations import parse_kind

        try:
            return parse_kind(kind)
        except InputError:
            raise _problem(f"was {kind!r} but must be {EXPECTS['kind']}") from None

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, target: Any) -> float | None:
        from geo.siting.planning import parse_target

        try:
            return None if target is None else parse_target(target)
        except (InputError, TypeError, ValueError) as exc:
            raise _problem(str(exc)) from None

    @model_validator(mode="wrap")
    @classmethod
    def _keys_together(cls, data: Any,
                       handler: ModelWrapValidatorHandler[RegionEntry]) -> RegionEntry:
        """The fields' problems and those of keys that go together (or not), all at once."""
        clashes = list(_clashes(data)) if isinstance(data, dict) else []
        try:
            entry = handler(data)
        except ValidationError as exc:
            if not clashes:
                raise
            found = [(error["loc"], _message(error)) for error in exc.errors()]
            raise _errors([*found, *clashes], data) from None
        if clashes:
            raise _errors(clashes, data)
        return entry

    def spec(self) -> RegionSpec:
        """The region this table describes, its paths absolute."""
        networks: tuple[str, ...]
        if self.region is not None:
            networks = (str(REGIONS[self.region].extract()),)
        else:
            networks = (self.osm,) if self.osm is not None else tuple(self.networks or ())
        registry = self.stations if isinstance(self.stations, RegistryStations) else None
        return RegionSpec(
            name=self.name, networks=networks,
            stations=self.stations if isinstance(self.stations, str) else None,
            registry=registry.registry if registry else None,
            bbox=registry.bbox if registry else None,
            district=registry.district if registry else None,
            crs=self.crs, demand=self.demand, districts=self.districts, groups=self.groups,
            wanted=tuple(self.group), budgets={g: float(m) for g, m in self.budgets.items()},
            kind=self.kind, add=self.add, target=self.target, curve=self.curve)


#: Keys of a ``[[region]]`` table.
REGION_KEYS = tuple(RegionEntry.model_fields)


def _clashes(table: dict) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """The problems of keys that must, or must not, be given together."""
    sources = [k for k in ("region", "osm", "networks") if k in table]
    if len(sources) != 1:
        yield ("osm",), (f"give exactly one of `region` (a shipped extract: {list(REGIONS)}), "
                         "`osm` (an .osm/.osm.pbf file) or `networks` (saved .npz files)"
                         + (f"; it has {sources}" if sources else ""))
    if sources == ["networks"] and "demand" not in table:
        yield ("demand",), ("saved networks carry no venues to estimate workers from: give a "
                            "demand file, or an `osm` extract")
    stations = table.get("stations")
    if isinstance(stations, dict) and "district" in stations:
        if "bbox" in stations:
            yield ("stations", "district"), "give `bbox` or `district`, not both"
        if "districts" not in table:
            yield (("stations", "district"),
                   "a district filter needs the region's `districts` file")
    if "add" in table and "target" in table:
        yield ("add",), "give `add` or `target`, not both"
    if ("curve" in table or "kind" in table) and "add" not in table and "target" not in table:
        yield (("kind" if "kind" in table else "curve",),
               "goes with `add` or `target` (new stations)")


def _message(error: Any) -> str:
    """A pydantic error of a table's value in this file's words."""
    loc = ["*" if isinstance(part, int) else str(part) for part in error["loc"]]
    if error["type"] == _OWN:
        return error["msg"]
    if error["type"] == "extra_forbidden":
        if len(loc) > 1:
            return f"unknown key; a registry takes {list(REGISTRY_KEYS)}"
        return f"unknown key; a region takes {list(REGION_KEYS)}"
    expects = _expects(loc)
    if error["type"] == "missing":
        return f"is missing; it must be {expects}"
    return f"was {error['input']!r} but must be {expects}"


def _expects(loc: list[str]) -> str:
    """What the key at ``loc`` takes: the entry of :data:`EXPECTS` nearest to it (``*``
    standing for any list index or table key)."""
    for n in range(len(loc), 0, -1):
        for key in (".".join(loc[:n]), ".".join([*loc[:n - 1], "*"])):
            if key in EXPECTS:
                return EXPECTS[key]
    return "something else"


def _key(loc: tuple) -> str:
    """The key a problem is at, as the file writes it (``stations.bbox``, ``budgets.nobody``)."""
    return ".".join(str(p) for p in loc if not isinstance(p, int) and p != "[key]")


# --- the file -------------------------------------------------------------------------------------

#: A ``[[region]]`` header line (TOML allows spaces inside the brackets and a comment after).
_HEADER = re.compile(r"^\s*\[\[\s*(region|\"region\"|'region')\s*\]\]\s*(#.*)?$")


def header_lines(text: str, count: int) -> list[int | None]:
    """The line (1-based) of each of the ``count`` ``[[region]]`` headers of ``text``; None for
    each when they cannot be told (tables written inline, a header inside a multi-line
    string)."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if _HEADER.match(line)]
    return list(lines) if len(lines) == count else [None] * count


def read_regions(path: str | os.PathLike[str], *,
                 also: Collection[str] = ()) -> list[RegionSpec]:
    """The regions of a ``REGIONS.toml`` file, every entry checked before any work starts.

    ``also``: top-level keys the file may hold besides its ``[[region]]`` tables, read by the
    caller (a served deployment's ``db``, :mod:`app.deployment`).

    Raises
    ------
    InputError
        ``parameter="regions"``: the file cannot be read, or lists every problem of every
        region at once, each with the line where the region's table starts, the region
        (number and name) and the key.
    """
    import tomllib

    path = Path(path)
    try:
        text = path.read_text("utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the regions file: {exc}",
                         parameter="regions") from exc
    problems: list[str] = []
    tables = data.get("region")
    extra = sorted(set(data) - {"region", *also})
    if extra:
        problems.append(f"unknown top-level key(s) {extra}: the file holds [[region]] tables")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict)
                                                               for t in tables):
        problems.append("no [[region]] tables: each region is a [[region]] table with a `name`")
        tables = []
    specs = []
    names: set[str] = set()
    for number, (table, line) in enumerate(zip(tables, header_lines(text, len(tables)),
                                               strict=True), start=1):
        entry, found = _check(table, path.parent, names)
        where = _where(number, table, line)
        problems.extend(f"{where}, `{key}`: {message}" for key, message in found)
        if entry is not None:
            specs.append(entry.spec())
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the regions file:\n"
                         + "\n".join(f"  {p}" for p in problems), parameter="regions")
    return specs


def _check(table: dict, base: Path,
           names: set[str]) -> tuple[RegionEntry | None, list[tuple[str, str]]]:
    """One table checked: the entry (None with problems) and its problems as ``(key,
    message)`` in the order of the keys. ``names``: those of the tables before; this one's is
    added."""
    entry, problems = None, []
    try:
        entry = RegionEntry.model_validate(table, context={"base": base})
    except ValidationError as exc:
        problems = [(_key(error["loc"]), _message(error)) for error in exc.errors()]
    name = table.get("name")
    if isinstance(name, str) and name in names:
        problems.append(("name", "another region has this name; names must differ (each is a "
                                 "folder)"))
    if isinstance(name, str):
        names.add(name)
    order = {key: n for n, key in enumerate(REGION_KEYS)}
    problems.sort(key=lambda p: order.get(p[0].split(".")[0], len(order)))
    return (None if problems else entry), problems


def _where(number: int, table: dict, line: int | None) -> str:
    """``line 7, [[region]] 2 (成都)``: where a table starts, its number and its name."""
    name = table.get("name")
    return ((f"line {line}, " if line is not None else "") + f"[[region]] {number}"
            + (f" ({name})" if isinstance(name, str) and name else ""))
