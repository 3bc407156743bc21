"""The province's figures (统计报表) as the XLSX a union office sends upward: one sheet of
every organisation (汇总表), one per level (分级汇总), in Chinese, this month against the last.

The figures are the JSON document the web app's dashboard shows (``app.figures.figures``):
``rows`` (one per organisation), ``levels`` (one per level), ``kinds``, ``kind_labels``,
``groups``, ``hours``, ``month``, ``last_month``. Each cell holds the number the document
holds (shares as fractions, shown as percentages), so a reader compares them cell by cell.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from geo.groups import DEFAULT_GROUPS

#: The columns of a row before the kinds: (header, key).
_HEAD = (("上级组织", "parent"), ("组织", "org"), ("层级", "level_label"))
#: The columns after the kinds: (header, key).
_COUNTS = (("站点合计", "stations"), ("上月末站点", "stations_last_month"),
           ("每万名劳动者站点数", "per_10k_workers"), ("24小时站点", "always_open"),
           ("上月末24小时站点", "always_open_last_month"),
           ("劳动者人数", "workers"), ("缺口区域", "gaps"), ("上月末缺口区域", "gaps_last_month"),
           ("待处理报告", "reports_open"), ("已处理报告", "reports_handled"),
           ("本月新建", "opened"), ("本月关闭", "closed"),
           ("上月新建", "opened_last_month"), ("上月关闭", "closed_last_month"))


def figure_columns(doc: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """Every column of the sheets: its Chinese header and the path of its value in a row."""
    columns: list[tuple[str, tuple[str, ...]]] = [(h, (k,)) for h, k in _HEAD]
    columns += [(f"{doc['kind_labels'].get(k, k)}", ("by_kind", k)) for k in doc["kinds"]]
    columns += [(h, (k,)) for h, k in _COUNTS]
    for group in doc["groups"]:
        label = doc.get("group_labels", {}).get(group, [None])[0] or (
            DEFAULT_GROUPS[group].zh if group in DEFAULT_GROUPS else group)
        for hour in doc["hours"]:
            columns.append((f"{label}覆盖率 {hour:02d}:00", ("coverage", group, f"{hour:02d}")))
            columns.append((f"{label}覆盖率 {hour:02d}:00（上月末）",
                            ("coverage_last_month", group, f"{hour:02d}")))
    return columns


def cell_value(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in a row (None where the row has none)."""
    value: Any = row
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def figures_xlsx(doc: dict[str, Any]) -> bytes:
    """The figures as XLSX bytes: sheets 汇总表 (per organisation) and 分级汇总 (per level)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    book = openpyxl.Workbook()
    columns = figure_columns(doc)
    title = f"驿站统计报表（{doc['month']}，对比 {doc['last_month']}）"
    for sheet, rows in ((book.active, doc["rows"]), (book.create_sheet(), doc["levels"])):
        assert sheet is not None
        per_level = rows is doc["levels"]
        sheet.title = "分级汇总" if per_level else "汇总表"
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([f"生成时间：{doc.get('generated', '')}"])
        headers = [h for h, _ in columns]
        if per_level:
            headers[0], headers[1] = "组织数", "层级"
        sheet.append(headers)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in rows:
            values = [cell_value(row, path) for _, path in columns]
            if per_level:
                values[0], values[1], values[2] = row["orgs"], row["level_label"], None
            sheet.append(values)
        for i, (_, path) in enumerate(columns, start=1):
            letter = openpyxl.utils.get_column_letter(i)
            sheet.column_dimensions[letter].width = 16 if i <= 2 else 11
            if path[0].startswith("coverage"):
                for cell in sheet[letter][3:]:
                    cell.number_format = "0.0%"
        sheet.freeze_panes = "C4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_figures(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write :func:`figures_xlsx` to ``path`` (an ``.xlsx`` file); the path written."""
    path = Path(path)
    path.write_bytes(figures_xlsx(doc))
    return path
