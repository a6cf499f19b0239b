"""The workbook's parts as sync/xlsx_cells.py reads them without ZipFile: every part the same
bytes as ZipFile gives, whatever the archive looks like, and a damaged one refused as before."""

from __future__ import annotations

import io
import zipfile

import pytest

from sync.xlsx_cells import Parts, _directory

SHEET = b'<worksheet><sheetData><row r="2"><c r="B2" t="e"><v>#REF!</v></c></row></sheetData></worksheet>'
PARTS = {
    "xl/workbook.xml": b'<workbook><sheets><sheet name="B&#225;o c&#225;o" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": b'<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>",
    "xl/worksheets/sheet1.xml": SHEET * 50,
    "xl/media/ảnh.png": bytes(range(256)) * 4,
}


def archive(method: int = zipfile.ZIP_DEFLATED, comment: bytes = b"", before: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(before)
    with zipfile.ZipFile(out, "w", compression=method) as zipped:
        zipped.comment = comment
        for name, data in PARTS.items():
            zipped.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "read_plainly"),
    [
        pytest.param(archive(), True, id="deflated"),
        pytest.param(archive(zipfile.ZIP_STORED), True, id="stored"),
        pytest.param(archive(comment=b"made by a test"), True, id="with-a-comment"),
        pytest.param(archive(zipfile.ZIP_BZIP2), True, id="another-method"),
        pytest.param(archive(before=b"#!/bin/sh\n" * 3), True, id="written-after-a-prefix"),
        pytest.param(b"#!/bin/sh\n" * 3 + archive(), False, id="bytes-put-before-a-finished-archive"),
    ],
)
def test_every_part_reads_as_zipfile_reads_it(data: bytes, read_plainly: bool):
    parts = Parts(data)

    assert (_directory(data) is not None) is read_plainly
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert sorted(parts.entries) == sorted(zipped.namelist())
        assert {name: parts.read(name) for name in PARTS} == {name: zipped.read(name) for name in PARTS}


def test_a_part_the_archive_lacks_is_a_key_error():
    with pytest.raises(KeyError):
        Parts(archive()).read("xl/worksheets/sheet9.xml")


def test_an_archive_cut_short_is_refused_as_zipfile_refuses_it():
    with pytest.raises(zipfile.BadZipFile):
        Parts(archive()[:-30])
