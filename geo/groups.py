"""Worker groups: who needs the stations, how they travel, how far they go, when they work.

The defaults follow the field (see DESIGN.md); a TOML file can override or add groups::

    [groups.delivery_rider]
    budget_min = 10
    shifts = [[10, 14], [16, 21]]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from geo.errors import InputError
from geo.network import MODES
from geo.stations import KINDS
from geo.text import fold


@dataclass(frozen=True)
class WorkerGroup:
    """One group of outdoor workers.

    Attributes
    ----------
    mode
        Travel mode to a station: ``walk``, ``ebike`` or ``drive``.
    budget_min
        Travel time budget to a station, minutes (the national norm is a 15-minute circle).
    kinds
        Station kinds the group uses.
    shifts
        Working hours as (start, end) hours of the day, local time; (0, 24) is all day.
    """

    id: str
    zh: str
    en: str
    mode: str
    budget_min: float
    kinds: tuple[str, ...]
    shifts: tuple[tuple[int, int], ...]

    def works_at(self, hour: int) -> bool:
        """Whether the group is at work during the hour starting at ``hour`` (0–23)."""
        return any(start <= hour < end for start, end in self.shifts)


#: The built-in groups.
DEFAULT_GROUPS: dict[str, WorkerGroup] = {g.id: g for g in [
    WorkerGroup("delivery_rider", "外卖骑手/快递员", "delivery rider / courier", "ebike", 15,
                ("outdoor_rest_point", "sanitation_station"), ((10, 14), (16, 21))),
    WorkerGroup("sanitation_worker", "环卫工人", "sanitation worker", "walk", 15,
                ("sanitation_station", "outdoor_rest_point"), ((4, 12), (14, 18))),
    WorkerGroup("truck_driver", "货车司机", "truck driver", "drive", 30,
                ("driver_home",), ((0, 24),)),
    WorkerGroup("ride_hailing_driver", "网约车司机", "ride-hailing driver", "drive", 15,
                ("outdoor_rest_point", "driver_home"), ((0, 24),)),
]}


def load_groups(path: str | os.PathLike[str] | None = None) -> dict[str, WorkerGroup]:
    """The default groups, overridden or extended by a TOML file.

    Raises
    ------
    InputError
        Naming the file, the group and the field when a value is wrong.
    """
    groups = dict(DEFAULT_GROUPS)
    if path is None:
        return groups
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read the groups file: {exc}", parameter="groups") from exc
    for gid, fields in (data.get("groups") or {}).items():
        where = f"{path}: [groups.{gid}]"
        base = groups.get(gid)
        if base is None:
            missing = {"mode", "budget_min", "kinds"} - set(fields)
            if missing:
                raise InputError(f"{where} is a new group and needs {sorted(missing)}",
                                 parameter="groups")
            base = WorkerGroup(gid, gid, gid, "walk", 15, (), ((0, 24),))
        try:
            group = replace(
                base,
                zh=str(fields.get("zh", base.zh)), en=str(fields.get("en", base.en)),
                mode=str(fields.get("mode", base.mode)),
                budget_min=float(fields.get("budget_min", base.budget_min)),
                kinds=tuple(fields.get("kinds", base.kinds)),
                shifts=tuple((int(a), int(b)) for a, b in fields.get("shifts", base.shifts)),
            )
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: {exc}", parameter="groups") from exc
        if group.mode not in MODES:
            raise InputError(f"{where}: mode {group.mode!r} must be one of {list(MODES)}",
                             parameter="groups")
        bad = sorted(set(group.kinds) - set(KINDS))
        if bad or not group.kinds:
            raise InputError(f"{where}: kinds {bad or '[]'} must be among {sorted(KINDS)}",
                             parameter="groups")
        if group.budget_min <= 0 or any(not 0 <= a < b <= 24 for a, b in group.shifts):
            raise InputError(f"{where}: budget_min must be > 0 and shifts within 0..24",
                             parameter="groups")
        groups[gid] = group
    return groups


_GROUP_ALIASES = {
    "外卖骑手": "delivery_rider", "快递员": "delivery_rider", "外卖骑手/快递员": "delivery_rider",
    "骑手": "delivery_rider", "环卫工人": "sanitation_worker", "环卫工": "sanitation_worker",
    "货车司机": "truck_driver", "网约车司机": "ride_hailing_driver",
}


def parse_group(value: str, groups: dict[str, WorkerGroup] | None = None) -> str:
    """A group id from an id or a Chinese/English label."""
    groups = groups or DEFAULT_GROUPS
    text = str(value).strip()
    if text in groups:
        return text
    for gid, group in groups.items():
        if fold(text) in (fold(gid), fold(group.zh), fold(group.en)):
            return gid
    if text in _GROUP_ALIASES:
        return _GROUP_ALIASES[text]
    raise InputError(f"unknown worker group {value!r}; use one of "
                     + ", ".join(f"{g} ({grp.zh})" for g, grp in groups.items()), parameter="group")
