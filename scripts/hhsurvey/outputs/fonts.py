"""Fonts that travel: a subset of Noto Sans Lao embedded in the page as a data-URI @font-face.

A page that relies on the reader's system fonts shows Lao as empty boxes on a machine without
a Lao font. :func:`embedded_font_css` subsets the font (fontTools) to the Lao characters of the
page, keeps the shaping tables (Lao marks need GSUB/GPOS) and returns CSS that declares it with
``unicode-range`` limited to the Lao block, so Latin text keeps the page's own fonts.

The font is Noto Sans Lao (Debian package ``fonts-noto-core``), licensed under the SIL Open Font
License 1.1, which allows embedding and subsetting; :data:`FONT_LICENCE` is the sentence the
pages print. The page's Content-Security-Policy must allow ``font-src data:``.
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

from hhsurvey.errors import InputError

__all__ = [
    "DEBIAN_NOTO_SANS_LAO",
    "FONT_FAMILY",
    "FONT_LICENCE",
    "LAO_RANGE",
    "embedded_font_css",
    "lao_characters",
    "subset_font",
]

#: Regular and bold faces of Noto Sans Lao as Debian's fonts-noto-core installs them.
DEBIAN_NOTO_SANS_LAO = (
    "/usr/share/fonts/truetype/noto/NotoSansLao-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansLao-Bold.ttf",
)
#: Family name of the embedded face (distinct from an installed "Noto Sans Lao").
FONT_FAMILY = "HHS Noto Sans Lao"
FONT_LICENCE = (
    "Lao text is set in Noto Sans Lao (Google / Noto project, Debian fonts-noto-core), "
    "embedded as a subset under the SIL Open Font License 1.1."
)
#: The Lao Unicode block.
LAO_RANGE = (0x0E80, 0x0EFF)


def lao_characters(text: str) -> str:
    """The distinct Lao characters of *text*, sorted."""
    lo, hi = LAO_RANGE
    # one regular-expression scan in C: a report page carries megabytes of embedded downloads
    return "".join(sorted(set(re.findall(f"[{chr(lo)}-{chr(hi)}]", text))))


def subset_font(path: str | os.PathLike[str], text: str, flavor: str | None = None) -> bytes:
    """The font at *path* cut down to the glyphs *text* needs (with their shaping closure).

    *flavor* is ``"woff2"`` (needs brotli), ``"woff"`` or None (plain TrueType).
    """
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]  # keep every shaping feature: Lao marks stack through GPOS
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.flavor = flavor
    font = subset.load_font(str(path), options)
    try:  # the font holds its file open until closed (a ResourceWarning otherwise)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        buf = io.BytesIO()
        subset.save_font(font, buf, options)
    finally:
        font.close()
    return buf.getvalue()


def _woff2_available() -> bool:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


def embedded_font_css(
    text: str,
    fonts: Sequence[str | os.PathLike[str]] = DEBIAN_NOTO_SANS_LAO,
    family: str = FONT_FAMILY,
) -> str:
    """@font-face rules embedding *fonts* (regular, then bold) subset to the Lao of *text*.

    Returns an empty string when *text* has no Lao character. A missing font file is an
    :class:`InputError` that says how to install it. The CSS is plain text safe to write into a
    ``<style>`` element (base64 has no ``<``).
    """
    chars = lao_characters(text)
    if not chars:
        return ""
    flavor, mime = ("woff2", "font/woff2") if _woff2_available() else ("woff", "font/woff")
    lo, hi = LAO_RANGE
    rules = []
    for weight, path in zip((400, 700), fonts, strict=False):
        if not Path(path).is_file():
            raise InputError(
                f"the Lao font {path} is missing",
                str(path),
                "install Debian's fonts-noto-core (apt-get install fonts-noto-core) or set "
                "report.fonts.lao in config/config.yaml to Noto Sans Lao files",
            )
        data = base64.b64encode(subset_font(path, chars, flavor)).decode("ascii")
        rules.append(
            "@font-face{"
            f"font-family:'{family}';font-style:normal;font-weight:{weight};"
            f"font-display:block;unicode-range:U+{lo:04X}-{hi:04X};"
            f"src:url(data:{mime};base64,{data}) format('{flavor}');"
            "}"
        )
    return "\n".join(rules)
