"""What every PNG chart shares: a CJK font for Chinese labels, and bilingual labels.

Chinese text needs a CJK font, and a server often has none. yizhan uses the first one it finds
(:data:`CJK_FAMILIES`); on Debian and Ubuntu install **WenQuanYi Micro Hei**::

    apt-get install fonts-wqy-microhei

It is small (a 1.6 MB package, one 5 MB ``.ttc``), permissively licensed (Apache 2.0, or GPLv3
with the font exception), has every character of GB 2312 and more, and is in Debian main. The
Noto CJK fonts look better but weigh 57 MB (``fonts-noto-cjk``, 91 MB installed), and the Python
packages that carry a CJK font are either as large (``mplfonts``: an 85 MB wheel) or single-use
repackagings with no upkeep, so no font is a Python dependency and nothing is downloaded at run
time. Without a CJK font the charts are labelled in English alone (:func:`label`).
"""

from __future__ import annotations

from pathlib import Path

#: CJK font families, in the order they are preferred.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "SimHei", "Noto Sans SC",
                "Heiti SC", "Droid Sans Fallback")
#: Where the Debian and Ubuntu packages put them (checked first: cheaper than a font scan).
CJK_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
             "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


def cjk_font() -> str | None:
    """A CJK font family matplotlib can use, or None (then charts are labelled in English).

    The families of :data:`CJK_FAMILIES` that matplotlib knows; a font installed after
    matplotlib's font cache was made is added from :data:`CJK_FILES`, or else from a scan of the
    system fonts for CJK file names.
    """
    from matplotlib import font_manager

    def known() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    names = known()
    if not names & set(CJK_FAMILIES):
        # a font cache made before the CJK fonts were installed: add them now
        paths = [p for p in CJK_FILES if Path(p).is_file()] or [
            p for p in font_manager.findSystemFonts()
            if any(key in Path(p).name for key in ("CJK", "wqy", "WenQuanYi", "msyh", "simhei",
                                                   "DroidSansFallback"))]
        for path in paths:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):
                continue
        names = known()
    return next((family for family in CJK_FAMILIES if family in names), None)


def label(zh: str, en: str, cjk: bool) -> str:
    """``"中文 English"`` when a CJK font is there, else the English alone."""
    return f"{zh} {en}" if cjk else en
