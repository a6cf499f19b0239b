"""spreadsheets:batchUpdate for the fake in sheets_fake.py: one function applying a list of requests
to a FakeSpreadsheet, all or nothing, as Google does: addSheet, updateSheetProperties, updateCells
(with rows, or a bare range and fields to clear it), repeatCell, updateDimensionProperties.

Values are kept as typed (a formula as its text), formats per cell, grid limits enforced.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from vntext import column_letter

if TYPE_CHECKING:
    from tests.sheets_fake import FakeSpreadsheet

DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26


class BadRequest(Exception):
    """What Google answers 400 INVALID_ARGUMENT with; nothing of the batch was applied."""


def grid_properties(sheet: FakeSpreadsheet, title: str) -> dict[str, Any]:
    """A tab's grid size and frozen rows/columns: as set, else as its data implies."""
    grid = sheet.tabs[title]
    implied = {
        "rowCount": max(DEFAULT_ROWS, len(grid)),
        "columnCount": max(DEFAULT_COLUMNS, max((len(r) for r in grid), default=0)),
    }
    return {**implied, **sheet.grid_properties.get(title, {})}


def _set_grid(sheet: FakeSpreadsheet, title: str, name: str, value: Any) -> None:
    sheet.grid_properties.setdefault(title, {})[name] = value


def sheet_id_of(sheet: FakeSpreadsheet, title: str) -> int:
    return sheet.sheet_ids.get(title, list(sheet.tabs).index(title))


def _title_of(sheet: FakeSpreadsheet, sheet_id: Any) -> str:
    for title in sheet.tabs:
        if sheet_id_of(sheet, title) == sheet_id:
            return title
    raise BadRequest(f"No grid with id: {sheet_id}")


def _user_value(value: dict[str, Any] | None) -> Any:
    if not value:
        return ""
    for kind in ("stringValue", "numberValue", "boolValue", "formulaValue"):
        if kind in value:
            number = value[kind]
            if kind == "numberValue" and isinstance(number, float) and number.is_integer():
                return int(number)
            return number
    raise BadRequest(f"Invalid value: {value}")


def _put(sheet: FakeSpreadsheet, title: str, row: int, col: int, data: dict[str, Any], fields: set[str]) -> None:
    props = grid_properties(sheet, title)
    if row >= props["rowCount"] or col >= props["columnCount"]:
        raise BadRequest(
            f"Range ('{title}'!{column_letter(col)}{row + 1}) exceeds grid limits."
            f" Max rows: {props['rowCount']}, max columns: {props['columnCount']}"
        )
    if "userEnteredValue" in fields or "*" in fields:
        grid = sheet.tabs[title]
        value = _user_value(data.get("userEnteredValue"))
        if value != "" or (row < len(grid) and col < len(grid[row])):
            while len(grid) <= row:
                grid.append([])
            grid[row].extend([""] * (col + 1 - len(grid[row])))
            grid[row][col] = value
    if "userEnteredFormat" in fields or "*" in fields:
        formats = sheet.formats.setdefault(title, {})
        if data.get("userEnteredFormat"):
            formats[(row, col)] = copy.deepcopy(data["userEnteredFormat"])
        else:
            formats.pop((row, col), None)


def _bounds(sheet: FakeSpreadsheet, title: str, grid_range: dict[str, Any]) -> tuple[range, range]:
    props = grid_properties(sheet, title)
    rows = range(grid_range.get("startRowIndex", 0), grid_range.get("endRowIndex", props["rowCount"]))
    cols = range(grid_range.get("startColumnIndex", 0), grid_range.get("endColumnIndex", props["columnCount"]))
    return rows, cols


def _fields(mask: str) -> set[str]:
    if not mask:
        raise BadRequest("At least one field must be updated, but 'fields' is empty.")
    return {part.strip().split(".")[0].split("(")[0] for part in mask.split(",")}


def _add_sheet(sheet: FakeSpreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    props = copy.deepcopy(body.get("properties", {}))
    title = props.get("title") or f"Sheet{len(sheet.tabs) + 1}"
    if title in sheet.tabs:
        raise BadRequest(f'A sheet with the name "{title}" already exists. Please enter another name.')
    taken = {sheet_id_of(sheet, t) for t in sheet.tabs}
    sheet_id = props.get("sheetId", max(taken, default=0) + 1)
    if sheet_id in taken:
        raise BadRequest(f"Invalid requests: a sheet with id {sheet_id} already exists.")
    sheet.tabs[title] = []
    sheet.sheet_ids[title] = sheet_id
    grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS, **props.get("gridProperties", {})}
    sheet.grid_properties[title] = grid
    return {"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "gridProperties": grid}}}


def _update_sheet_properties(sheet: FakeSpreadsheet, body: dict[str, Any]) -> None:
    props = body.get("properties", {})
    title = _title_of(sheet, props.get("sheetId", 0))
    for path in body.get("fields", "").split(","):
        head, _, name = path.strip().partition(".")
        if head == "gridProperties" and name:
            _set_grid(sheet, title, name, props.get("gridProperties", {}).get(name))
        elif head == "title" and props.get("title") and props["title"] != title:
            sheet.tabs = {props["title"] if t == title else t: g for t, g in sheet.tabs.items()}
            for table in (sheet.sheet_ids, sheet.grid_properties, sheet.formats):
                if title in table:
                    table[props["title"]] = table.pop(title)
        elif head not in ("gridProperties", "title"):
            raise BadRequest(f"Unsupported field in updateSheetProperties: {path}")


def _update_cells(sheet: FakeSpreadsheet, body: dict[str, Any]) -> None:
    fields = _fields(body.get("fields", ""))
    if "start" in body:
        start = body["start"]
        title = _title_of(sheet, start.get("sheetId", 0))
        for r, row in enumerate(body.get("rows", [])):
            for c, data in enumerate(row.get("values", [])):
                _put(sheet, title, start.get("rowIndex", 0) + r, start.get("columnIndex", 0) + c, data, fields)
        return
    grid_range = body.get("range", {})
    title = _title_of(sheet, grid_range.get("sheetId", 0))
    rows, cols = _bounds(sheet, title, grid_range)
    given = body.get("rows", [])
    for r in rows:
        cells = given[r - rows.start].get("values", []) if r - rows.start < len(given) else []
        for c in cols:
            data = cells[c - cols.start] if c - cols.start < len(cells) else {}
            if data or (r < len(sheet.tabs[title]) and c < len(sheet.tabs[title][r])) or _formatted(sheet, title, r, c):
                _put(sheet, title, r, c, data, fields)


def _formatted(sheet: FakeSpreadsheet, title: str, row: int, col: int) -> bool:
    return (row, col) in sheet.formats.get(title, {})


def _repeat_cell(sheet: FakeSpreadsheet, body: dict[str, Any]) -> None:
    fields = _fields(body.get("fields", ""))
    grid_range = body.get("range", {})
    title = _title_of(sheet, grid_range.get("sheetId", 0))
    rows, cols = _bounds(sheet, title, grid_range)
    for r in rows:
        for c in cols:
            data = copy.deepcopy(body.get("cell", {}))
            if "userEnteredFormat" in fields and "userEnteredFormat" in data:
                data["userEnteredFormat"] = {
                    **sheet.formats.get(title, {}).get((r, c), {}),
                    **data["userEnteredFormat"],
                }
            _put(sheet, title, r, c, data, fields)


def _update_dimension_properties(sheet: FakeSpreadsheet, body: dict[str, Any]) -> None:
    dimension = body.get("range", {})
    title = _title_of(sheet, dimension.get("sheetId", 0))
    key = "columnWidths" if dimension.get("dimension") == "COLUMNS" else "rowHeights"
    sizes = dict(grid_properties(sheet, title).get(key, {}))
    for index in range(dimension.get("startIndex", 0), dimension.get("endIndex", 0)):
        sizes[index] = body.get("properties", {}).get("pixelSize")
    _set_grid(sheet, title, key, sizes)


_HANDLERS = {
    "addSheet": _add_sheet,
    "updateSheetProperties": _update_sheet_properties,
    "updateCells": _update_cells,
    "repeatCell": _repeat_cell,
    "updateDimensionProperties": _update_dimension_properties,
}


def apply_batch_update(sheet: FakeSpreadsheet, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``requests`` in order to ``sheet``, all or nothing; the replies, one per request.

    Raises BadRequest (and leaves ``sheet`` as it was) when one of them is invalid."""
    saved = copy.deepcopy((sheet.tabs, sheet.sheet_ids, sheet.grid_properties, sheet.formats))
    replies = []
    try:
        for index, request in enumerate(requests):
            if len(request) != 1 or next(iter(request)) not in _HANDLERS:
                raise BadRequest(f"Invalid requests[{index}]: unsupported request {sorted(request)}")
            kind, body = next(iter(request.items()))
            replies.append(_HANDLERS[kind](sheet, body) or {})
    except BadRequest:
        sheet.tabs, sheet.sheet_ids, sheet.grid_properties, sheet.formats = saved
        raise
    return replies
