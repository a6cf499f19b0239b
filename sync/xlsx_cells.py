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
    """The parts of a workbook held in memory, inflated straight from the archive's bytes: half
    the time of ZipFile.read, whose checks calamine has already made on the same file."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.archive = zipfile.ZipFile(io.BytesIO(data))

    def read(self, name: str) -> bytes:
        info = self.archive.getinfo(name)
        if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return self.archive.read(name)  # encrypted or another method: the slow, general way
        name_length, extra_length = struct.unpack_from("<HH", self.data, info.header_offset + 26)
        start = info.header_offset + 30 + name_length + extra_length
        raw = self.data[start : start + info.compress_size]
        return zlib.decompress(raw, -15) if info.compress_type == zipfile.ZIP_DEFLATED else raw


def sheet_paths(archive: Parts | zipfile.ZipFile) -> dict[str, str]:
    """Tab title → the sheet's XML part inside the archive (read with patterns: a third of the
    time ElementTree takes, which counts at thousands of workbooks)."""
    rels = archive.read("xl/_rels/workbook.xml.rels")
    targets = {}
    for rel in _RELATIONSHIP.finditer(rels):
        attrs = dict(_ATTR.findall(rel.group(1)))
        targets[attrs.get(b"Id")] = attrs.get(b"Target", b"").decode("utf-8")
    paths = {}
    for sheet in _SHEET.finditer(archive.read("xl/workbook.xml")):
        attrs = dict(_ATTR.findall(sheet.group(1)))
        rel_id = next((v for k, v in attrs.items() if k == b"r:id" or k.endswith(b":id")), None)
        target = targets.get(rel_id, "")
        name = html.unescape(attrs.get(b"name", b"").decode("utf-8"))
        paths[name] = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
    return paths


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
