"""The cells of an .xlsx workbook that python-calamine reads as empty although they are not: a
formula's error (#REF!, #DIV/0!) and a formula saved without its computed value.

Read straight from the sheet's XML, and only when its bytes contain an error or a formula at all.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from rules.grids import Grid, UncomputedFormula

_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_STRING_TYPE = re.compile(rb'\bt="(?:str|inlineStr|s)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.DOTALL)


class Parts:
    """The parts of a workbook held in memory, inflated straight from the archive's bytes: a
    fifth of the time of ZipFile, whose checks calamine has already made on the same file. The
    archive's directory is read here for the plain case (one disk, no ZIP64, nothing before the
    archive); anything else goes through ZipFile, which then also raises what it raises."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._archive: zipfile.ZipFile | None = None
        self.entries = _directory(data)
        if self.entries is None:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
            self.entries = {
                info.filename: (info.header_offset, info.compress_size, info.compress_type, info.flag_bits)
                for info in self._archive.infolist()
            }

    def read(self, name: str) -> bytes:
        offset, size, method, flags = self.entries[name]  # KeyError for a part the archive lacks
        if flags & 1 or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            if self._archive is None:
                self._archive = zipfile.ZipFile(io.BytesIO(self.data))
            return self._archive.read(name)  # encrypted or another method: the slow, general way
        name_length, extra_length = struct.unpack_from("<HH", self.data, offset + 26)
        start = offset + 30 + name_length + extra_length
        raw = self.data[start : start + size]
        return zlib.decompress(raw, -15) if method == zipfile.ZIP_DEFLATED else raw


_END = struct.Struct("<4s4H2LH")
_ENTRY = struct.Struct("<4s4B4HL2L5H2L")


def _directory(data: bytes) -> dict[str, tuple[int, int, int, int]] | None:
    """Part name → (local header offset, compressed size, method, flags) from the archive's
    central directory, or None when it is not the plain case read here."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + _END.size > len(data):
        return None
    _, disk, cd_disk, _, count, cd_size, cd_offset, comment = _END.unpack_from(data, end)
    if disk or cd_disk or end + _END.size + comment != len(data) or cd_offset + cd_size != end:
        return None  # several disks, ZIP64, a damaged end record or bytes before the archive
    entries = {}
    position = cd_offset
    for _ in range(count):
        if position + _ENTRY.size > end:
            return None
        fields = _ENTRY.unpack_from(data, position)
        if fields[0] != b"PK\x01\x02":
            return None
        flags, method, size, length, extra, note, offset = (
            fields[5], fields[6], fields[10], fields[12], fields[13], fields[14], fields[18]
        )  # fmt: skip
        if size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
            return None
        raw_name = data[position + _ENTRY.size : position + _ENTRY.size + length]
        entries[raw_name.decode("utf-8" if flags & 0x800 else "cp437")] = (offset, size, method, flags)
        position += _ENTRY.size + length + extra + note
    return entries if position == end else None


def sheet_paths(archive: Parts | zipfile.ZipFile) -> dict[str, str]:
    """Tab title → the sheet's XML part inside the archive (read with patterns: a third of the
    time ElementTree takes, which counts at thousands of workbooks)."""
    return dict(_sheet_paths(archive.read("xl/_rels/workbook.xml.rels"), archive.read("xl/workbook.xml")))


@lru_cache(maxsize=64)
def _sheet_paths(rels: bytes, workbook: bytes) -> tuple[tuple[str, str], ...]:
    """The units' workbooks mostly share one layout (provision makes them from the same forms):
    each distinct pair of parts read once."""
    targets = {}
    for rel in _RELATIONSHIP.finditer(rels):
        attrs = dict(_ATTR.findall(rel.group(1)))
        targets[attrs.get(b"Id")] = attrs.get(b"Target", b"").decode("utf-8")
    paths = {}
    for sheet in _SHEET.finditer(workbook):
        attrs = dict(_ATTR.findall(sheet.group(1)))
        rel_id = next((v for k, v in attrs.items() if k == b"r:id" or k.endswith(b":id")), None)
        target = targets.get(rel_id, "")
        name = html.unescape(attrs.get(b"name", b"").decode("utf-8"))
        paths[name] = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
    return tuple(paths.items())


def hidden_cells(xml: bytes) -> dict[tuple[int, int], Any]:
    """(row, column) from 0 → the error text or the UncomputedFormula of each such cell."""
    if b't="e"' not in xml and b"<f" not in xml:
        return {}
    found: dict[tuple[int, int], Any] = {}
    for match in _CELL.finditer(xml):
        attrs, body = match.group(1), match.group(2) or b""
        ref = _REF.search(attrs)
        if ref is None:
            continue
        value = _VALUE.search(body)
        value_text = (value.group(1) or b"") if value else b""
        if _ERROR_TYPE.search(attrs):
            shown = value_text.decode("utf-8", "replace").strip() or "#N/A"
        elif (formula := _FORMULA.search(body)) and not value_text and not _STRING_TYPE.search(attrs):
            shown = UncomputedFormula("=" + html.unescape((formula.group(1) or b"").decode("utf-8", "replace")))
        else:
            continue
        found[(int(ref.group(2)) - 1, _column(ref.group(1)))] = shown
    return found


def _column(letters: bytes) -> int:
    index = 0
    for byte in letters:
        index = index * 26 + byte - 64
    return index - 1


def restore_hidden(data: bytes, titles: Mapping[str, str], grids: Mapping[str, Grid]) -> None:
    """Put back into ``grids`` (form tab → grid of the actual title in ``titles``) the cells
    calamine read as empty from the workbook ``data``. Raises KeyError, zipfile.BadZipFile,
    zlib.error or struct.error on a damaged file."""
    if not titles:
        return
    archive = Parts(data)
    parts = sheet_paths(archive)
    for tab, actual in titles.items():
        part = parts.get(actual)
        if part is None:
            continue
        for (row, col), value in hidden_cells(archive.read(part)).items():
            grid = grids[tab]
            while len(grid) <= row:
                grid.append([])
            line = grid[row]
            if len(line) <= col:
                line.extend([""] * (col + 1 - len(line)))
            if line[col] in ("", None):
                line[col] = value
