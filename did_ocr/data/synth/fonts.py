"""Discovery of the real fonts installed on the system.

Synthetic text is rendered with the system's TrueType/OpenType fonts (the
project's ``setup.sh`` installs a dozen Debian font families). Symbol,
dingbat, script and hairline fonts are left out: their glyphs are not text a
recognizer should be expected to read. The list is sorted so that a seed gives
the same fonts on machines with the same fonts installed.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from PIL import ImageFont

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")
_EXCLUDE = ("symbol", "dingbat", "d050000l", "z003", "chorus", "math", "hairline", "thin", "extralight",
            "cursor", "mono", "emoji", "italic", "oblique")


@functools.lru_cache(maxsize=1)
def system_fonts() -> tuple[str, ...]:
    """Paths of usable text fonts, sorted; empty if the system has none."""
    found: list[str] = []
    for root in FONT_DIRS:
        base = Path(os.path.expanduser(root))
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            name = path.name.lower()
            if path.suffix.lower() in (".ttf", ".otf") and not any(tag in name for tag in _EXCLUDE):
                found.append(str(path))
    return tuple(sorted(set(found)))


@functools.lru_cache(maxsize=4096)
def load_font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font at a pixel size; ``None`` gives Pillow's bundled default font."""
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size=size)
