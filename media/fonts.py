"""Fonts for rendered cards: a CJK face for Japanese text, DejaVu for Latin, Pillow's font as the last resort.

Japanese needs a font with CJK glyphs (Pillow's own has none). `scripts/setup.sh` installs IPAex Gothic
(`fonts-ipaexfont-gothic`, Debian); any Noto Sans CJK or IPA Gothic found by path or by `fc-match` works too.
A machine without one still renders cards — Latin text only, with a warning in the log.
Every face is loaded once per size and cached: rendering a card must not touch the disk.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Final, TypeAlias

from PIL import ImageFont

log = logging.getLogger(__name__)

Font: TypeAlias = ImageFont.FreeTypeFont | ImageFont.ImageFont


class Style(Enum):
    REGULAR = "regular"
    BOLD = "bold"
    MONO = "mono"


@dataclass(frozen=True, slots=True)
class FontFile:
    path: Path
    index: int = 0  # face inside a .ttc collection (Noto CJK: 0 is the Japanese face)


@dataclass(frozen=True, slots=True)
class FontChoice:
    font: Font
    fake_bold: bool  # bold was asked for but only a regular face exists: add a 1 px stroke of the ink


# Regular and bold CJK faces, best first. IPA fonts have no bold weight.
CJK_REGULAR: Final = (
    FontFile(Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")),
    FontFile(Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")),
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")),
    FontFile(Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf")),
)
CJK_BOLD: Final = (
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")),
)
DEJAVU_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
LATIN: Final = {
    Style.REGULAR: FontFile(DEJAVU_DIR / "DejaVuSans.ttf"),
    Style.BOLD: FontFile(DEJAVU_DIR / "DejaVuSans-Bold.ttf"),
    Style.MONO: FontFile(DEJAVU_DIR / "DejaVuSansMono.ttf"),
}


def needs_cjk(text: str) -> bool:
    """True when `text` has characters DejaVu lacks: CJK, kana, Hangul, full-width forms."""
    return any(ord(char) >= 0x2E80 or 0x1100 <= ord(char) <= 0x11FF for char in text)


def _first_existing(candidates: tuple[FontFile, ...]) -> FontFile | None:
    return next((candidate for candidate in candidates if candidate.path.is_file()), None)


def _fc_match_japanese() -> FontFile | None:
    """Ask fontconfig for a font covering Japanese; it answers with *some* font even when none does."""
    if shutil.which("fc-match") is None:
        return None
    try:
        result = subprocess.run(["fc-match", "--format=%{file}\t%{index}\t%{lang}", "sans-serif:lang=ja"],
                                capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        log.debug("fc-match failed", exc_info=True)
        return None
    file, _, rest = result.stdout.partition("\t")
    index, _, langs = rest.partition("\t")
    if result.returncode != 0 or "ja" not in langs.split("|") or not Path(file).is_file():
        return None
    return FontFile(Path(file), int(index) if index.isdigit() else 0)


@lru_cache(maxsize=1)
def cjk_font() -> FontFile | None:
    """The regular CJK face on this machine, or None (logged once) when there is none."""
    found = _first_existing(CJK_REGULAR) or _fc_match_japanese()
    if found is None:
        log.warning("no CJK font found (install fonts-ipaexfont-gothic, see scripts/setup.sh): "
                    "Japanese text on cards will render as empty boxes")
    else:
        log.debug("CJK font: %s", found.path)
    return found


@lru_cache(maxsize=1)
def cjk_bold_font() -> FontFile | None:
    return _first_existing(CJK_BOLD)


@lru_cache(maxsize=1)
def _latin_available() -> bool:
    if all(file.path.is_file() for file in LATIN.values()):
        return True
    log.warning("DejaVu fonts missing under %s: falling back to Pillow's default font", DEJAVU_DIR)
    return False


@lru_cache(maxsize=64)
def _load(file: FontFile | None, size: int) -> Font:
    if file is None:
        return ImageFont.load_default(size)
    # Basic layout: no shaping is needed for Latin and Japanese, and it is faster and the same everywhere.
    return ImageFont.truetype(str(file.path), size, index=file.index, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=128)
def _choose(style: Style, cjk: bool, size: int) -> FontChoice:
    if cjk and (regular := cjk_font()) is not None:
        if style is Style.BOLD:
            bold = cjk_bold_font()
            return FontChoice(_load(bold or regular, size), fake_bold=bold is None)
        return FontChoice(_load(regular, size), fake_bold=False)
    if _latin_available():
        return FontChoice(_load(LATIN[style], size), fake_bold=False)
    if (regular := cjk_font()) is not None:  # CJK fonts carry Latin glyphs too
        return FontChoice(_load(regular, size), fake_bold=style is Style.BOLD)
    return FontChoice(_load(None, size), fake_bold=style is Style.BOLD)


def font_for(text: str, size: int, style: Style = Style.REGULAR) -> FontChoice:
    """The face to draw `text` in: CJK when it needs CJK glyphs, else DejaVu in the asked style."""
    return _choose(style, needs_cjk(text), size)


def clear_caches() -> None:
    """Forget every resolved path and loaded face (tests that hide fonts call this)."""
    for cached in (cjk_font, cjk_bold_font, _latin_available, _load, _choose):
        cached.cache_clear()
