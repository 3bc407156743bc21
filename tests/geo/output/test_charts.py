from pathlib import Path

import pytest

from geo.output.charts import CJK_FILES, cjk_font, label


def test_label_is_bilingual_only_with_a_cjk_font():
    assert label("环卫工人", "Sanitation", True) == "环卫工人 Sanitation"
    assert label("环卫工人", "Sanitation", False) == "Sanitation"


@pytest.mark.skipif(not any(Path(p).is_file() for p in CJK_FILES),
                    reason="no CJK font installed (apt: fonts-wqy-microhei)")
def test_an_installed_cjk_font_is_found_and_draws_chinese(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    family = cjk_font()
    assert family is not None
    with plt.rc_context({"font.family": [family]}):
        figure, axes = plt.subplots()
        axes.set_title(label("覆盖率", "coverage", True))
        figure.savefig(tmp_path / "c.png")  # filterwarnings=error: a missing glyph would fail
        plt.close(figure)
    assert (tmp_path / "c.png").stat().st_size > 1000
