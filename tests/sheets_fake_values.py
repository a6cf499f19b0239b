"""A1 ranges and cell values as the Sheets API shapes them, for the fake in sheets_fake.py:
range parsing and quoting, trimming of empty cells, field masks, workbook cells as serial numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

Grid = list[list[Any]]
SHEETS_EPOCH = dt.datetime(1899, 12, 30)


def column_index(letters: str) -> int:
    value = 0
    for ch in letters.upper():
        value = value * 26 + ord(ch) - 64
    return value - 1


def parse_range(a1: str) -> tuple[str, tuple[int, int] | None]:
    """(tab title, (last row, last column) or None for the whole tab) of an A1 range."""
    if a1.startswith("'"):
        end = 1
        while True:
            end = a1.index("'", end)
            if a1[end + 1 : end + 2] == "'":
                end += 2
                continue
            break
        title, rest = a1[1:end].replace("''", "'"), a1[end + 1 :]
    else:
        title, _, bounds = a1.partition("!")
        rest = f"!{bounds}" if bounds else ""
    if not rest:
        return title, None
    match = re.fullmatch(r"!([A-Z]+)1:([A-Z]+)(\d+)", rest)
    if not match:
        raise ValueError(a1)
    return title, (int(match.group(3)), column_index(match.group(2)) + 1)


def quoted(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


def _empty(value: Any) -> bool:
    return value is None or value == ""


def trimmed(grid: Grid, rows: int, cols: int) -> Grid:
    """What Google returns: cut to the range, trailing empty cells and rows dropped."""
    out = []
    for row in grid[:rows]:
        row = list(row[:cols])
        while row and _empty(row[-1]):
            row.pop()
        out.append(["" if v is None else v for v in row])
    while out and not out[-1]:
        out.pop()
    return out


def formatted(value: Any) -> Any:
    """FORMATTED_VALUE, simplified: the text of the value (no locale, no number formats)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def project(data: Any, paths: list[list[str]]) -> Any:
    """Apply a field mask (``sheets.properties.title``) to a body."""
    if isinstance(data, list):
        return [project(item, paths) for item in data]
    if not isinstance(data, dict) or any(not p for p in paths):
        return data
    out = {}
    for key in dict.fromkeys(p[0] for p in paths):
        if key in data:
            out[key] = project(data[key], [p[1:] for p in paths if p[0] == key])
    return out


def sheets_value(value: Any) -> Any:
    """A workbook cell as UNFORMATTED_VALUE/SERIAL_NUMBER returns it: dates as serial days."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return "" if value is None else value
    if isinstance(value, dt.datetime):
        value = (value - SHEETS_EPOCH) / dt.timedelta(days=1)
    elif isinstance(value, dt.date):
        value = (value - SHEETS_EPOCH.date()).days
    elif isinstance(value, dt.time):
        value = (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    elif isinstance(value, dt.timedelta):
        value = value / dt.timedelta(days=1)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Google's JSON writes 12, not 12.0
    return value


def workbook_tabs(path: Path) -> dict[str, Grid]:
    """Every tab of an .xlsx workbook as the Sheets API would serve it."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    tabs = {}
    for name in workbook.sheet_names:
        grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        tabs[name] = [[sheets_value(v) for v in row] for row in grid]
    return tabs
