"""Reading a printed report without a PDF library: the outline titles (from the PDF's own
objects, inflated with zlib) and how full each page is (from a greyscale raster by pdftoppm)."""

from __future__ import annotations

import re
import subprocess
import tempfile
import zlib
from pathlib import Path


def _objects(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated and appended."""
    out = [pdf]
    for m in re.finditer(rb"stream\r?\n", pdf):
        start = m.end()
        end = pdf.find(b"endstream", start)
        if end < 0:
            continue
        try:
            out.append(zlib.decompress(pdf[start:end]))
        except zlib.error:
            continue
    return b"\n".join(out)


def _pdf_string(raw: bytes) -> str:
    if raw.startswith(b"<"):
        data = bytes.fromhex(raw[1:-1].decode("ascii"))
    else:
        body = raw[1:-1]
        body = re.sub(rb"\\([()\\])", rb"\1", body)
        data = re.sub(rb"\\(\d{3})", lambda m: bytes([int(m.group(1), 8)]), body)
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    return data.decode("latin-1")


def outline_titles(pdf: bytes) -> list[str]:
    """Titles of the document outline (bookmarks), in file order."""
    objs = _objects(pdf)
    if b"/Outlines" not in objs:
        return []
    titles = re.findall(rb"/Title\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]*>)", objs)
    return [" ".join(_pdf_string(t).split()) for t in titles]


def page_fill(
    pdf_path: str | Path, dpi: int = 20, top_mm: float = 0.0, bottom_mm: float = 0.0
) -> list[float]:
    """For each page, the share of its body's height down to the lowest non-white pixel row;
    the body leaves out *top_mm* and *bottom_mm* of the A4 page (the running head and foot)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", str(pdf_path), f"{tmp}/p"],
            check=True,
            capture_output=True,
        )
        fills = []
        for png in sorted(Path(tmp).glob("p-*.pgm")):
            im = Image.open(png)
            w, full = im.size
            top, bottom = round(full * top_mm / 297), round(full * bottom_mm / 297)
            im = im.crop((0, top, w, full - bottom))
            w, h = im.size
            px = im.load()
            last = 0
            for y in range(h):
                if any(px[x, y] < 200 for x in range(0, w, 2)):
                    last = y
            fills.append((last + 1) / h)
        return fills


def page_texts(pdf_path: str | Path) -> list[str]:
    """Text of each page (pdftotext, form feed separated)."""
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")
