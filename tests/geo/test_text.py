import pytest

from geo.text import fold


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
