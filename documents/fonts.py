"""The CJK font files the PDF and the charts are set in: Noto Serif CJK SC and Noto Sans CJK SC.

They come from Debian's `fonts-noto-cjk` (`.ci/run` installs it when missing); another directory holding
the same files can be named in COORDINATION_CJK_FONT_DIR. The PDF embeds a subset of them, so a reader
needs no font installed. Word and Excel files only name the fonts of the standard (仿宋_GB2312 …).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk")
FILES = {"serif": "NotoSerifCJK-Regular.ttc", "serif-bold": "NotoSerifCJK-Bold.ttc",
         "sans": "NotoSansCJK-Regular.ttc", "sans-bold": "NotoSansCJK-Bold.ttc"}


class FontMissing(RuntimeError):
    """No CJK font to set a PDF or chart in: install fonts-noto-cjk or set COORDINATION_CJK_FONT_DIR."""


@dataclass(frozen=True)
class Face:
    path: Path
    index: int
    """The Simplified Chinese face inside the collection."""
    family: str


@cache
def face(style: str) -> Face:
    """One style (serif, serif-bold, sans, sans-bold) as a file and its SC face index."""
    from fontTools.ttLib import TTCollection

    dirs = [os.environ["COORDINATION_CJK_FONT_DIR"]] if os.environ.get("COORDINATION_CJK_FONT_DIR") else []
    for folder in [*dirs, *DEFAULT_DIRS]:
        path = Path(folder) / FILES[style]
        if path.is_file():
            collection = TTCollection(str(path), lazy=True)
            try:
                families = [font["name"].getDebugName(1) or "" for font in collection.fonts]
            finally:
                collection.close()
            for index, family in enumerate(families):
                if family.endswith("CJK SC"):
                    return Face(path, index, family)
    raise FontMissing(f"{FILES[style]} not found in {dirs + list(DEFAULT_DIRS)}: "
                      "apt-get install fonts-noto-cjk, or set COORDINATION_CJK_FONT_DIR")


def available() -> bool:
    try:
        for style in FILES:
            face(style)
    except FontMissing:
        return False
    return True
