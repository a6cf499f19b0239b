"""Writing a tab back into a Google spreadsheet: one spreadsheets.get for its tabs, then one
spreadsheets:batchUpdate that adds the tab if it is missing, grows and freezes it, clears it and
writes every value and format of the table (the rows of a table of thousands of units in further
batches, each body kept under Google's recommended size).

The service accounts are signed in with the write scope only here, and only when the write-back
is enabled. A write that fails raises WriteFailed with what the office must do about it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import google.auth.exceptions
import requests
from gspread.exceptions import APIError
from gspread.urls import DRIVE_FILES_API_V3_URL

from settings.schema import Config, GoogleSource
from sync.google_http import WRITE_SCOPES, Clock, GaveUp, Lane, Sleep, account_index, build_lanes, describe, status_of

SHEETS_EPOCH = dt.date(1899, 12, 30)
DATE_PATTERN = "dd/mm/yyyy"
# Google recommends request bodies of at most 2 MB; the status tab of a few hundred units is one.
BATCH_BYTES = 1_500_000
TAB_FIELDS = {"fields": "sheets.properties"}  # ids, titles and grid sizes: a few hundred bytes
# Failure reasons, as the store keeps them and templates/mail.yaml words them.
PERMISSION, NOT_FOUND, TEMPORARY, OTHER = "permission", "not_found", "temporary", "other"


class TableCell(Protocol):
    """A cell to write (consolidation.sheet_tables.Cell has this shape)."""

    @property
    def value(self) -> str | int | dt.date | None: ...
    @property
    def fill(self) -> str | None: ...
    @property
    def bold(self) -> bool: ...
    @property
    def link(self) -> str | None: ...


class Table(Protocol):
    """A tab to write (consolidation.sheet_tables.SheetTable has this shape)."""

    @property
    def title(self) -> str: ...
    @property
    def rows(self) -> Sequence[Sequence[TableCell]]: ...
    @property
    def frozen_rows(self) -> int: ...
    @property
    def frozen_columns(self) -> int: ...
    @property
    def widths(self) -> Sequence[int]: ...


class WriteFailed(Exception):
    """A tab could not be written: why (PERMISSION, NOT_FOUND, TEMPORARY, OTHER) and Google's answer."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _colour(rgb: str) -> dict[str, float]:
    """An RGB colour as the API's fractions, to 4 places: enough for 8 bits, and a third of the bytes."""
    return {name: round(int(rgb[i : i + 2], 16) / 255, 4) for name, i in (("red", 0), ("green", 2), ("blue", 4))}


def _formula_text(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def cell_data(cell: TableCell) -> dict[str, Any]:
    """A CellData of the Sheets API: the value as typed (a date as a serial day shown dd/mm/yyyy,
    a link as a HYPERLINK formula) and its format."""
    data: dict[str, Any] = {}
    value = cell.value
    if cell.link and value is not None:
        data["userEnteredValue"] = {
            "formulaValue": f"=HYPERLINK({_formula_text(cell.link)},{_formula_text(str(value))})"
        }
    elif isinstance(value, bool):
        data["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, dt.date):
        data["userEnteredValue"] = {"numberValue": (value - SHEETS_EPOCH).days}
    elif isinstance(value, int | float):
        data["userEnteredValue"] = {"numberValue": value}
    elif value is not None:
        data["userEnteredValue"] = {"stringValue": str(value)}
    fmt: dict[str, Any] = {}
    if isinstance(value, dt.date):
        fmt["numberFormat"] = {"type": "DATE", "pattern": DATE_PATTERN}
    if cell.fill:
        fmt["backgroundColor"] = _colour(cell.fill)
    if cell.bold:
        fmt["textFormat"] = {"bold": True}
    if fmt:
        data["userEnteredFormat"] = fmt
    return data


def new_sheet_id(title: str, taken: set[int]) -> int:
    """A sheetId for a tab to add, chosen here so the same batch can write into it."""
    candidate = zlib.crc32(title.encode("utf-8")) & 0x7FFFFFFF
    while candidate in taken or candidate == 0:
        candidate = (candidate + 1) & 0x7FFFFFFF
    return candidate


def _row_chunks(rows: list[dict[str, Any]], budget: int) -> list[list[dict[str, Any]]]:
    """Consecutive runs of rows whose JSON stays under ``budget`` bytes each (at least one row)."""
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for row in rows:
        weight = len(json.dumps(row))  # as requests sends it: ASCII, Vietnamese letters escaped
        if chunks[-1] and size + weight > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += weight
    return chunks


def _width_runs(widths: Sequence[int]) -> list[tuple[int, int, int]]:
    """(first column, end column, pixels) of each run of columns of the same width."""
    runs: list[tuple[int, int, int]] = []
    for index, pixels in enumerate(widths):
        if runs and runs[-1][2] == pixels and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1, pixels)
        else:
            runs.append((index, index + 1, pixels))
    return runs


def table_batches(
    table: Table, tabs: Mapping[str, dict[str, Any]], budget: int = BATCH_BYTES
) -> list[list[dict[str, Any]]]:
    """The requests of the batchUpdate that makes the tab show ``table`` and nothing else: one
    batch, unless the cells pass ``budget`` bytes (thousands of units), then the rows past it in
    further batches.

    ``tabs`` is the spreadsheet's tabs by title, each with its sheetId and grid size (from the get).
    """
    height = max(len(table.rows), table.frozen_rows + 1)
    width = max([len(r) for r in table.rows] + [len(table.widths), table.frozen_columns + 1])
    existing = tabs.get(table.title)
    first: list[dict[str, Any]] = []
    frozen = {"frozenRowCount": table.frozen_rows, "frozenColumnCount": table.frozen_columns}
    if existing is None:
        sheet_id = new_sheet_id(table.title, {t["sheetId"] for t in tabs.values()})
        grid = {"rowCount": max(height, 100), "columnCount": max(width, 26), **frozen}
        first.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": table.title, "gridProperties": grid}}})
    else:
        sheet_id = existing["sheetId"]
        size = existing.get("gridProperties", {})
        grid = {
            "rowCount": max(height, size.get("rowCount", 0)),
            "columnCount": max(width, size.get("columnCount", 0)),
            **frozen,
        }
        fields = ",".join(f"gridProperties.{name}" for name in grid)
        first.append(
            {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": grid}, "fields": fields}}
        )
        # Everything the tab held (values, formats), whatever someone typed into it meanwhile.
        first.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue,userEnteredFormat"}})
    first.extend(
        {
            "updateDimensionProperties": {
                "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": start, "endIndex": end},
                "properties": {"pixelSize": pixels},
                "fields": "pixelSize",
            }
        }
        for start, end, pixels in _width_runs(table.widths)
    )
    batches, offset = [], 0
    for chunk in _row_chunks([{"values": [cell_data(c) for c in row]} for row in table.rows], budget):
        cells = {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": offset, "columnIndex": 0},
                "rows": chunk,
                "fields": "userEnteredValue,userEnteredFormat",
            }
        }
        batches.append([*first, cells] if not batches else [cells])
        offset += len(chunk)
    return batches


def failure(exc: BaseException) -> WriteFailed:
    """What a failed call means for the office: a 403 is a sheet not shared as Editor."""
    detail = str(exc) if isinstance(exc, GaveUp) else describe(exc)
    status = status_of(exc)
    if status == 403:
        return WriteFailed(PERMISSION, detail)
    if status == 404:
        return WriteFailed(NOT_FOUND, detail)
    if isinstance(exc, GaveUp) or status in (408, 429) or (status or 0) >= 500:
        return WriteFailed(TEMPORARY, detail)
    if isinstance(exc, requests.RequestException | google.auth.exceptions.TransportError):
        return WriteFailed(TEMPORARY, detail)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return WriteFailed(OTHER, f"the service account cannot sign in: {exc.args[0] if exc.args else exc}")
    return WriteFailed(OTHER, detail)


class SheetWriter:
    """Write access to the units' and the office's spreadsheets, one lane per service account."""

    def __init__(self, lanes: Sequence[Lane], batch_bytes: int = BATCH_BYTES) -> None:
        if not lanes:
            raise ValueError("at least one credential is needed")
        self.lanes = list(lanes)
        self.batch_bytes = batch_bytes

    @classmethod
    def from_config(cls, config: Config, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> SheetWriter:
        source = config.source
        assert isinstance(source, GoogleSource)
        return cls(build_lanes(source, clock, sleep, scopes=WRITE_SCOPES))

    @property
    def office_lane(self) -> Lane:
        """The office's spreadsheet is written by the first configured account."""
        return self.lanes[0]

    def lane_for(self, unit_id: str) -> Lane:
        """A unit's spreadsheet is written by the account that reads it."""
        return self.lanes[account_index(unit_id, len(self.lanes))]

    def can_edit(self, lane: Lane, spreadsheet_id: str) -> bool:
        """Whether ``lane``'s account may edit the spreadsheet, as Drive says (nothing is written);
        raises WriteFailed when Drive cannot tell (not shared at all, not found, Google busy)."""
        url = f"{DRIVE_FILES_API_V3_URL}/{spreadsheet_id}"
        params = {"fields": "id,capabilities/canEdit", "supportsAllDrives": "true"}
        try:
            body = lane.drive_call(lambda: lane.http.request("get", url, params=dict(params)).json())
        except (APIError, GaveUp, requests.RequestException, google.auth.exceptions.GoogleAuthError, ValueError) as exc:
            raise failure(exc) from exc
        return bool((body.get("capabilities") or {}).get("canEdit"))

    def write(self, lane: Lane, spreadsheet_id: str, make_table: Callable[[Mapping[str, int]], Table]) -> Table:
        """List the tabs (one get), then write ``make_table(sheetId by title)`` in one batchUpdate.

        Returns the table written; raises WriteFailed."""
        try:
            meta = lane.sheets_call(lambda: lane.http.spreadsheets_get(spreadsheet_id, params=dict(TAB_FIELDS)))
            tabs = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
            table = make_table({title: props["sheetId"] for title, props in tabs.items()})
            for batch in table_batches(table, tabs, self.batch_bytes):
                body = {"requests": batch}
                lane.sheets_call(lambda body=body: lane.http.batch_update(spreadsheet_id, body))
        except (APIError, GaveUp, requests.RequestException, google.auth.exceptions.GoogleAuthError) as exc:
            raise failure(exc) from exc
        except (KeyError, TypeError, ValueError) as exc:  # a body not shaped like Google's
            raise WriteFailed(OTHER, f"unexpected response: {exc!r}") from exc
        return table
