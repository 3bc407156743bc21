import pytest

from geo.text import clean, fold, forbidden, shown


@pytest.mark.parametrize(("written", "known"), [
    (" ＬＯＮ_（WGS84）", "lon(wgs84)"),        # full-width letters and brackets, spaces, _
    ("\ufeff经度", "经度"),                       # a BOM left at the start of a CSV header
    ("Sanitation-Worker", "sanitation worker"),
    ("DRIVER_HOME", "driver home"),
    ("饮\u200b水", "饮水"),                       # a zero-width space pasted from a web page
])
def test_written_labels_fold_to_the_known_word(written, known):
    assert fold(written) == fold(known)


@pytest.mark.parametrize(("a", "b"), [("热水", "饮水"), ("lon", "lat"), ("a/b", "ab")])
def test_different_words_stay_apart(a, b):
    assert fold(a) != fold(b)


def test_fold_takes_any_value():
    assert fold(12) == "12" and fold(None) == "none"


REFUSED = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\ud800", "\udfff",
           "\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\U0010ffff"]


@pytest.mark.parametrize("char", REFUSED)
def test_the_policy_refuses_what_no_file_or_xml_can_hold(char):
    assert forbidden(f"春熙路{char}驿站") == [char]
    assert clean(f"春熙路{char}驿站") == ("春熙路驿站", [char])
    assert shown(char).startswith("U+")


@pytest.mark.parametrize("text", [
    "春熙路驿站", "Café 24h", "𠮷野家", "☕ 热水", "a\u200db", "\ufffd"])
def test_ordinary_text_passes(text):
    assert forbidden(text) == [] and clean(text) == (text, [])


def test_line_breaks_and_tabs_only_where_text_runs_over_lines():
    assert forbidden("一行\n二行\t三", multiline=True) == []
    assert forbidden("一行\n二行\t三") == ["\t", "\n"]
    assert clean("一行\r\n二行", multiline=False) == ("一行二行", ["\n", "\r"])
