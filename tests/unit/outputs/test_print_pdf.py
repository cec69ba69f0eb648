"""The PDF printer's post-processing: reruns give the same bytes, offsets stay valid."""

from __future__ import annotations

import pytest

from hhsurvey.outputs.pdf import reproducible

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
