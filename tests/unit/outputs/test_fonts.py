"""The embedded Lao font: a subset that covers exactly the page's Lao characters."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from hhsurvey.outputs.fonts import DEBIAN_NOTO_SANS_LAO, embedded_font_css, lao_characters

TEXT = "Ban Vang Vieng ບ້ານວັງວຽງ <b>ສປປ ລາວ</b>"


def test_no_lao_no_font():
    assert embedded_font_css("only Latin text 123") == ""


@pytest.mark.skipif(not Path(DEBIAN_NOTO_SANS_LAO[0]).exists(), reason="fonts-noto-core")
def test_subset_covers_the_lao_of_the_page_and_little_else():
    css = embedded_font_css(TEXT)
    faces = re.findall(r"url\(data:font/(woff2?);base64,([A-Za-z0-9+/=]+)\)", css)
    assert len(faces) == 2  # regular and bold
    assert "unicode-range:U+0E80-0EFF" in css and "<" not in css
    full = TTFont(DEBIAN_NOTO_SANS_LAO[0])
    for _, data in faces:
        font = TTFont(io.BytesIO(base64.b64decode(data)))
        cmap = set(font.getBestCmap())
        wanted = {ord(c) for c in lao_characters(TEXT)}
        assert wanted <= cmap  # every Lao character of the text
        assert not {ord(c) for c in "ກຂຄ"} & cmap  # Lao letters not on the page are left out
        assert "GPOS" in font and "GSUB" in font  # shaping kept for the marks
        assert len(font.getGlyphOrder()) < len(full.getGlyphOrder()) / 2
