"""Writing tables people open in Excel or WPS: CSV and XLSX with every text cell kept as text.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to a
spreadsheet (CSV or formula injection: ``=HYPERLINK(…)`` in a station name would run when the
office opens the export). As OWASP's CSV injection guidance says, such a CSV cell is written with
a leading ``'``; an XLSX cell is written as a string (with Excel's quote prefix), never a formula.

The CSV escape is reversible: :func:`escape_text` adds one ``'`` to text matching
``'*[=+\\-@\\t\\r]…`` and :func:`unescape_text` removes one from text matching
``'+[=+\\-@\\t\\r]…``, so a value that itself starts with ``'=`` comes back unchanged too.

An XLSX cell never holds what the text policy refuses (:func:`geo.text.forbidden`): a cell with
U+FFFF or a control character makes a file Excel and openpyxl cannot open, so :func:`xlsx_bytes`
refuses the table and names the cell rather than write it. The characters GBK cannot write are
named with the first cell that holds one, and the fix (GB18030 or UTF-8).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Literal

import pandas as pd

from geo.errors import InputError, Message
from geo.text import forbidden, shown

#: Encodings of written CSV files: UTF-8 with a BOM (Excel shows Chinese), or GBK / GB18030 (what
#: Excel on a Chinese Windows opens as "ANSI").
CSV_ENCODINGS: tuple[str, ...] = ("utf-8", "gbk", "gb18030")
CsvEncoding = Literal["utf-8", "gbk", "gb18030"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_UNESCAPE = re.compile(r"'+[=+\-@\t\r]")


def escape_text(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would take for a formula;
    anything else (numbers, None, safe text) as it is."""
    if isinstance(value, str) and _ESCAPE.match(value):
        return "'" + value
    return value


def unescape_text(value: str) -> str:
    """The inverse of :func:`escape_text` for text read back from a CSV file."""
    return value[1:] if _UNESCAPE.match(value) else value


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]


def csv_bytes(frame: pd.DataFrame, *, encoding: CsvEncoding = "utf-8") -> bytes:
    """``frame`` (without its index) as CSV bytes, text cells escaped.

    Parameters
    ----------
    encoding
        ``utf-8`` (written with a BOM), ``gbk`` or ``gb18030``.

    Raises
    ------
    InputError
        For another encoding, or when GBK cannot write a character of the table (parameter
        ``encoding``); the message names the characters, and the row as Excel shows it and the
        column of the first.

    A GBK or GB18030 file whose bytes happen to be UTF-8 as well (a few short Chinese texts
    are) gets an ideographic space (U+3000) after its first header, so that no reader takes it
    for UTF-8.
    """
    if encoding not in CSV_ENCODINGS:
        raise InputError(f"`encoding` was {encoding!r} but must be one of {list(CSV_ENCODINGS)}",
                         parameter="encoding")
    safe = frame.copy()
    for column in _text_columns(safe):
        safe[column] = safe[column].map(escape_text)
    text = _csv_text(safe)
    if encoding == "utf-8":
        return text.encode("utf-8-sig")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        raise InputError(_unencodable(frame, encoding), parameter="encoding") from None
    if len(safe.columns) and not data.isascii() and _is_utf8(data):
        # GBK bytes that are UTF-8 too (茅 is C3 A9, "é" in UTF-8) would read back as UTF-8
        # (a file without a BOM is UTF-8 when it decodes as UTF-8). An ideographic space after
        # the first header — A1 A1, which cannot follow a whole character in UTF-8; readers
        # strip it, Excel shows nothing — makes the file GBK to every reader.
        safe.columns = [f"{safe.columns[0]}\u3000", *safe.columns[1:]]
        data = _csv_text(safe).encode(encoding)
    return data


def _csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO(newline="")
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buffer.getvalue()


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _named(char: str) -> str:
    """A character as a message names it: ``'𠮷' (U+20BB7)``, or ``U+FFFF`` when invisible."""
    code = f"U+{ord(char):04X}"
    said = shown(char)
    return said if said == code else f"{said} ({code})"


def _cell(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "…")


def _unencodable(frame: pd.DataFrame, encoding: str) -> Message:
    """Which characters ``encoding`` cannot write, and where the first of them is."""
    name = encoding.upper()
    for column in map(str, frame.columns):
        if _unwritable(column, encoding):
            return Message(f"{name} cannot write the header '{column}'; use gb18030 or utf-8",
                           "csv_unencodable_header", encoding=name, column=column)
    first: tuple[int, str, str] | None = None
    chars: dict[str, None] = {}
    for number, record in enumerate(frame.itertuples(index=False), start=2):
        for column, value in zip(frame.columns, record, strict=True):
            bad = _unwritable(value, encoding) if isinstance(value, str) else []
            if bad:
                first = first or (number, str(column), value)
                chars.update(dict.fromkeys(bad))
    if first is None:
        return Message(f"{name} cannot write this table; use gb18030 or utf-8",
                       "csv_unencodable_table", encoding=name)
    row, column, value = first
    said = ", ".join(map(_named, chars))
    return Message(f"{name} cannot write {said}: the first in row {row}, column '{column}' "
                   f"({_cell(value)}); use gb18030 or utf-8", "csv_unencodable", encoding=name,
                   chars=said, row=row, column=column, value=_cell(value))


def _unwritable(text: str, encoding: str) -> list[str]:
    """The characters of ``text`` that ``encoding`` cannot write, each once, in order."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return [c for c in dict.fromkeys(text) if not _writable(c, encoding)]
    return []


def _writable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _check_cells(frame: pd.DataFrame) -> None:
    """:class:`InputError` naming every character a sheet cannot hold (the text policy,
    :func:`geo.text.forbidden`, which holds what XML cannot) and its first cell."""
    cells = [(1, str(c), str(c)) for c in frame.columns]
    cells += [(number, str(column), value)
              for number, record in enumerate(frame.itertuples(index=False), start=2)
              for column, value in zip(frame.columns, record, strict=True)
              if isinstance(value, str)]
    first: tuple[int, str, str] | None = None
    chars: dict[str, None] = {}
    for row, column, value in cells:
        bad = forbidden(value, multiline=True)
        if bad:
            first = first or (row, column, value)
            chars.update(dict.fromkeys(bad))
    if first is not None:
        row, column, value = first
        said = ", ".join(map(_named, sorted(chars)))
        raise InputError(Message(
            f"a spreadsheet cell may not hold {said} (control and bidirectional characters, "
            "lone surrogates, noncharacters: some make a file Excel cannot open, others show "
            f"the text in another order): the first in row {row}, column '{column}' "
            f"({_cell(value)}); remove them", "xlsx_unwritable", chars=said, row=row,
            column=column, value=_cell(value)))


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str) -> bytes:
    """``frame`` (without its index) as an XLSX workbook of one sheet named ``sheet``.

    Every text cell is a string cell; one a spreadsheet would take for a formula also gets
    Excel's quote prefix, so editing it keeps it text. The header row is frozen.

    Raises
    ------
    InputError
        When a cell holds a character the text policy refuses (:func:`geo.text.forbidden`;
        line breaks and tabs are kept): the message names the characters and the first cell
        (row as Excel shows it, column). Nothing is written rather than a file that does not
        open.
    """
    import openpyxl

    _check_cells(frame)

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append([str(c) for c in frame.columns])
    for r, record in enumerate(frame.itertuples(index=False), start=2):
        for c, value in enumerate(record, start=1):
            if not isinstance(value, str) and pd.isna(value):
                continue
            cell = ws.cell(row=r, column=c)
            cell.value = value.item() if hasattr(value, "item") else value
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would make "=…" a formula
                if value.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
