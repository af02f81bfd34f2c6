"""The typeface printed on labels: Noto Sans, which the ``fontpkg-noto-sans`` package ships.

The PDF core fonts are Latin-1 and cannot print "Gạo thơm" or "Buôn Ma Thuột". Noto Sans has
every precomposed Vietnamese letter (ơ ư đ, and U+1EA0-U+1EF9: ắ ề ổ ự ...) with its stacked
diacritics drawn as one glyph, and its licence (SIL OFL 1.1) allows embedding it. fpdf2
embeds only the glyphs a sheet uses.

The package's file is the variable font. It is embedded as it is: PDF viewers and printers
draw its default instance, which is the Regular weight (making a static instance with
fontTools would cost seconds a sheet).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

import fontpkg
from fpdf import FPDF

LABEL_FONT: Final = "noto-sans"
FAMILY: Final = "Noto Sans"


@cache
def label_font_path() -> Path:
    return Path(fontpkg.path(FAMILY))


def use_label_font(pdf: FPDF, size: float) -> None:
    """Make the label typeface ``pdf``'s current font, at ``size`` points."""
    if LABEL_FONT not in pdf.fonts:
        pdf.add_font(LABEL_FONT, "", label_font_path())
    pdf.set_font(LABEL_FONT, size=size)
