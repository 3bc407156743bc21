import io

import openpyxl
import pandas as pd
import pytest

from geo.errors import InputError
from geo.io.sheets import csv_bytes, escape_text, unescape_text, xlsx_bytes

FRAME = pd.DataFrame({"名称": ["=HYPERLINK(\"x\")", "春熙路驿站", "-3"], "容量": [4, 8, 2]})


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-3", "@SUM(A1)", "\tx", "'=x", "''@y"])
def test_formula_text_is_escaped_and_comes_back(text):
    escaped = escape_text(text)
    assert escaped == "'" + text and unescape_text(escaped) == text


@pytest.mark.parametrize("value", ["春熙路驿站", "a=b", 3, None, 2.5])
def test_safe_values_are_left_alone(value):
    assert escape_text(value) == value


def test_utf8_csv_has_a_bom_and_escaped_cells():
    data = csv_bytes(FRAME)
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(frame["名称"]) == ["'=HYPERLINK(\"x\")", "春熙路驿站", "'-3"]
    assert list(frame["容量"]) == [4, 8, 2]


def test_gbk_csv_opens_as_gbk():
    assert pd.read_csv(io.BytesIO(csv_bytes(FRAME, encoding="gbk")), encoding="gbk")[
        "名称"][1] == "春熙路驿站"


def test_gbk_names_the_character_row_and_column_it_cannot_write():
    frame = pd.DataFrame({"名称": ["春熙路驿站", "𠮷野家驿站"]})
    with pytest.raises(InputError, match=r"'𠮷'.*row 3, column '名称'.*gb18030") as caught:
        csv_bytes(frame, encoding="gbk")
    assert caught.value.parameter == "encoding"
    assert "𠮷野家驿站" in csv_bytes(frame, encoding="gb18030").decode("gb18030")


def test_an_unknown_encoding_is_refused():
    with pytest.raises(InputError, match="`encoding` was 'latin-1'"):
        csv_bytes(FRAME, encoding="latin-1")


def test_xlsx_cells_are_text_never_formulas():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(FRAME, sheet="驿站")))
    sheet = book["驿站"]
    assert [c.value for c in sheet[1]] == ["名称", "容量"]
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"x\")" and cell.quotePrefix
    assert sheet["B3"].value == 8 and sheet.freeze_panes == "A2"
