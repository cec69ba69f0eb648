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
