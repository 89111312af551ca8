"""Reports as PDF: the HTML of :mod:`sipas.reports.html` typeset by WeasyPrint with an embedded
font that covers Vietnamese.

The font is DejaVu Sans as shipped inside the matplotlib wheel (``mpl-data/fonts/ttf``, licence
``LICENSE_DEJAVU`` beside it: the Bitstream Vera / DejaVu free licence), so the PDF looks the same
on every machine and nothing is fetched at run time. WeasyPrint embeds the subset of the glyphs
used.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

from sipas.reports.html import chart_set, render_html

FONT_FAMILY = "SipasSans"
FONT_FILES = {
    ("normal", "normal"): "DejaVuSans.ttf",
    ("bold", "normal"): "DejaVuSans-Bold.ttf",
    ("normal", "italic"): "DejaVuSans-Oblique.ttf",
    ("bold", "italic"): "DejaVuSans-BoldOblique.ttf",
}


def font_folder() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def font_faces() -> str:
    folder = font_folder()
    return "\n".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight};'
        f' font-style: {style}; src: url("{(folder / name).as_uri()}"); }}'
        for (weight, style), name in FONT_FILES.items()
    )


def render_pdf(doc: dict[str, Any], path: Path) -> Path:
    # Imported here: WeasyPrint loads Pango on import, which HTML and Excel output do not need.
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

    html = render_html(doc, font_faces=font_faces(), charts=chart_set(doc))
    HTML(string=html, base_url=str(font_folder())).write_pdf(path, font_config=FontConfiguration())
    return path
