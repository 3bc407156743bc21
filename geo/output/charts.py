"""What every PNG chart shares: a CJK font for Chinese labels, and bilingual labels."""

from __future__ import annotations

from pathlib import Path


def cjk_font() -> str | None:
    """A CJK font family matplotlib can use, or None (then charts are labelled in English)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any("CJK" in n or "Hei" in n or "YaHei" in n for n in names):
        # a font cache made before the CJK fonts were installed: add them now
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name for key in ("CJK", "wqy", "WenQuanYi", "msyh", "simhei")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError):
                    continue
        names = {f.name for f in font_manager.fontManager.ttflist}
    for family in ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                   "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei",
                   "Noto Sans SC", "Heiti SC"):
        if family in names:
            return family
    return None


def label(zh: str, en: str, cjk: bool) -> str:
    """``"中文 English"`` when a CJK font is there, else the English alone."""
    return f"{zh} {en}" if cjk else en
