"""The PDF printer's post-processing: reruns give the same bytes, offsets stay valid; the print
time is SOURCE_DATE_EPOCH, else the configured date (report and brief alike)."""

from __future__ import annotations

import pytest

from hhsurvey.outputs.pdf import pdf_stamp, reproducible

RAW = (
    b"%PDF-1.4\n1 0 obj\n<</CreationDate (D:20261203171817+00'00')\n"
    b"/ModDate (D:20261203171817+00'00')>>\nendobj\n"
    b"2 0 obj\n<</ID (node00000115)>>\nendobj\n3 0 obj\n<</Headers [(node00000115)]"
    b" /ID (node00000118)>>\nendobj\n"
)


def test_print_time_and_node_ids_are_normalised_without_moving_offsets():
    out = reproducible(RAW, "20261123000000")
    assert len(out) == len(RAW)  # the xref table's byte offsets stay valid
    assert out.count(b"(D:20261123000000+00'00')") == 2
    # by hand: node ids renumbered in order of first appearance, same width
    assert b"<</ID (node00000001)>>" in out
    assert b"<</Headers [(node00000001)] /ID (node00000002)>>" in out
    other = RAW.replace(b"00000115", b"00000777").replace(b"171817", b"090000")
    assert reproducible(other, "20261123000000") == out


def test_stamp_must_be_a_timestamp():
    with pytest.raises(ValueError, match="YYYYMMDDHHMMSS"):
        reproducible(RAW, "2026-11-23")


def test_pdf_dates_are_fixed_for_reproducible_output():
    # 1,700,000,000 s after the epoch is 2023-11-14 22:13:20 UTC
    stamp = pdf_stamp("2026-11-23", {"SOURCE_DATE_EPOCH": "1700000000"})
    assert stamp == "20231114221320"
    assert pdf_stamp("2026-11-23", {}) == "20261123000000"
    raw = b"<< /CreationDate (D:20261203164151+00'00') /ModDate (D:20261203164152+00'00') >>"
    fixed = reproducible(raw, stamp)
    assert fixed == (
        b"<< /CreationDate (D:20231114221320+00'00') /ModDate (D:20231114221320+00'00') >>"
    )
    assert len(fixed) == len(raw)  # xref offsets stay valid


def _linked_pdf(folder) -> bytes:
    """A one-page PDF laid out as Chromium (Skia) writes it: one object after another, a
    classic cross-reference table, three links (to a file in *folder*, to a file elsewhere,
    to the web) with objects after each."""
    uris = [
        folder.resolve().as_uri() + "/baseline_files/estimates.csv",
        "file:///elsewhere/x.csv",
        "https://example.org/a",
    ]
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R 5 0 R 6 0 R]>>",
    ] + [
        b"<</Type /Annot /Subtype /Link /Rect [0 0 9 9]\n/A <</Type /Action\n/S /URI\n/URI ("
        + u.encode("ascii")
        + b")>>>>"
        for u in uris
    ]
    out, offsets = b"%PDF-1.4\n", []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d\n/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def test_links_to_files_beside_the_pdf_become_relative_and_the_bytes_do_not_depend_on_the_folder(
    tmp_path,
):
    """Chromium prints a relative link as an absolute file:// URI; the printer makes the
    ones inside the PDF's folder relative again and leaves every other target alone. The
    cross-reference table is rewritten (a parser in strict mode reads every object), and the
    same document printed in two folders of different depth gives the same bytes."""
    import io

    from pypdf import PdfReader

    from hhsurvey.outputs.pdf import relative_links

    outs = []
    for folder in (tmp_path / "a" / "report", tmp_path / "much" / "deeper" / "x" / "report"):
        raw = _linked_pdf(folder)
        out = relative_links(raw, folder)
        assert folder.resolve().as_uri().encode() not in out
        assert b"/URI (baseline_files/estimates.csv)" in out
        assert b"(file:///elsewhere/x.csv)" in out and b"(https://example.org/a)" in out
        reader = PdfReader(io.BytesIO(out), strict=True)
        uris = [a.get_object()["/A"]["/URI"] for a in reader.pages[0]["/Annots"]]
        assert uris == ["baseline_files/estimates.csv", "file:///elsewhere/x.csv",
                        "https://example.org/a"]  # fmt: skip
        # every offset of the table points at its object
        for num, offset in _xref_entries(out):
            assert out[offset:].startswith(b"%d 0 obj" % num), num
        outs.append(out)
    assert outs[0] == outs[1]


def _xref_entries(pdf: bytes) -> list[tuple[int, int]]:
    import re

    start = int(re.search(rb"startxref\s+(\d+)", pdf[pdf.rindex(b"startxref") :]).group(1))
    head = re.match(rb"xref\s+(\d+) (\d+)\s+", pdf[start:])
    first = int(head.group(1))
    rows = re.findall(
        rb"(\d{10}) (\d{5}) ([nf])", pdf[start + head.end() : pdf.index(b"trailer", start)]
    )
    return [(first + i, int(o)) for i, (o, _, kind) in enumerate(rows) if kind == b"n"]
