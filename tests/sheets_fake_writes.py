"""spreadsheets:batchUpdate and grid data for the Sheets fake (sheets_fake.py): the per-tab state
beyond cell values (sheet id, grid size, frozen rows, widths, notes, formats, validation,
protected ranges), the requests that change it, and spreadsheets.get's field masks and `data`.

``apply_requests(sheet, requests)`` is the one entry point for writes: it applies a batchUpdate's
requests in order, all or nothing as Google does, and returns the replies. A request kind it does
not know is refused with a 400 naming it, so a test never passes on a request the fake ignored.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.sheets_fake_values import formatted

GridBox = tuple[int, int | None, int, int | None]  # first row, end row, first column, end column (None: to the end)


@dataclass
class TabMeta:
    """What a tab holds besides its values. Cells are 0-based (row, column)."""

    sheet_id: int
    row_count: int | None = None  # None: as large as the values need (at least 1000 × 26, like a new tab)
    column_count: int | None = None
    frozen_rows: int = 0
    frozen_columns: int = 0
    widths: dict[int, int] = field(default_factory=dict)
    heights: dict[int, int] = field(default_factory=dict)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    formats: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    validations: list[tuple[GridBox, dict[str, Any] | None]] = field(default_factory=list)  # the last covering wins
    protected: list[dict[str, Any]] = field(default_factory=list)


class WriteError(Exception):
    """A request Google would refuse: the whole batch is rolled back and answered with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- the tabs' metadata -----------------------------------------------------------------------------
def ensure_meta(sheet: Any) -> dict[str, TabMeta]:
    """``sheet.meta`` with an entry for every tab; a tab added by a test gets the next free id."""
    for index, title in enumerate(sheet.tabs):
        if title not in sheet.meta:
            taken = {m.sheet_id for m in sheet.meta.values()}
            sheet_id = index if index not in taken else max(taken) + 1
            sheet.meta[title] = TabMeta(sheet_id)
    for title in [t for t in sheet.meta if t not in sheet.tabs]:
        del sheet.meta[title]
    return sheet.meta


def grid_size(sheet: Any, title: str) -> tuple[int, int]:
    """(rows, columns) of a tab's grid."""
    meta = ensure_meta(sheet)[title]
    grid = sheet.tabs[title]
    rows = meta.row_count if meta.row_count is not None else max(1000, len(grid))
    cols = meta.column_count if meta.column_count is not None else max(26, max((len(r) for r in grid), default=0))
    return rows, cols


def properties(sheet: Any, title: str) -> dict[str, Any]:
    meta = ensure_meta(sheet)[title]
    rows, cols = grid_size(sheet, title)
    grid: dict[str, Any] = {"rowCount": rows, "columnCount": cols}
    if meta.frozen_rows:
        grid["frozenRowCount"] = meta.frozen_rows
    if meta.frozen_columns:
        grid["frozenColumnCount"] = meta.frozen_columns
    index = list(sheet.tabs).index(title)
    return {"sheetId": meta.sheet_id, "title": title, "index": index, "sheetType": "GRID", "gridProperties": grid}


def _title_of(sheet: Any, sheet_id: Any) -> str:
    for title, meta in ensure_meta(sheet).items():
        if meta.sheet_id == sheet_id:
            return title
    raise WriteError(400, f"Invalid requests: No grid with id: {sheet_id}")


def _box(sheet: Any, grid_range: dict[str, Any]) -> tuple[str, GridBox]:
    """A GridRange (Google omits zeros; absent ends run to the grid's end), checked against the grid."""
    title = _title_of(sheet, grid_range.get("sheetId", 0))
    rows, cols = grid_size(sheet, title)
    box = (
        grid_range.get("startRowIndex", 0),
        grid_range.get("endRowIndex"),
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endColumnIndex"),
    )
    if (box[1] or 0) > rows or (box[3] or 0) > cols or box[0] >= rows or box[2] >= cols:
        raise WriteError(
            400, f"Invalid requests: Range ({title}!{box}) exceeds grid limits. Max rows: {rows}, max columns: {cols}"
        )
    return title, box


def _inside(box: GridBox, row: int, col: int) -> bool:
    r0, r1, c0, c1 = box
    return r0 <= row and (r1 is None or row < r1) and c0 <= col and (c1 is None or col < c1)


def validation_at(meta: TabMeta, row: int, col: int) -> dict[str, Any] | None:
    rule = None
    for box, candidate in meta.validations:
        if _inside(box, row, col):
            rule = candidate
    return rule


# --- cell values ----------------------------------------------------------------------------------
def _value_of(entered: dict[str, Any] | None) -> Any:
    if not entered:
        return ""
    for key in ("stringValue", "numberValue", "boolValue", "formulaValue"):
        if key in entered:
            value = entered[key]
            return int(value) if key == "numberValue" and float(value).is_integer() else value
    raise WriteError(400, f"Invalid value: {entered}")


def _entered(value: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if isinstance(value, str) and value.startswith("="):
        return {"formulaValue": value}
    return {"stringValue": str(value)}


def _set_cell_value(grid: list[list[Any]], row: int, col: int, value: Any) -> None:
    while len(grid) <= row:
        grid.append([])
    grid[row].extend([""] * (col + 1 - len(grid[row])))
    grid[row][col] = value


def _masked(target: dict[str, Any], source: dict[str, Any], path: list[str]) -> None:
    """Copy ``path`` of ``source`` into ``target``, or clear it there when ``source`` lacks it."""
    head, rest = path[0], path[1:]
    if not rest:
        if head in source:
            target[head] = copy.deepcopy(source[head])
        else:
            target.pop(head, None)
        return
    child = target.setdefault(head, {})
    _masked(child, source.get(head, {}), rest)
    if not child:
        del target[head]


def _write_cell(sheet: Any, title: str, row: int, col: int, cell: dict[str, Any], fields: list[str]) -> None:
    meta = ensure_meta(sheet)[title]
    everything = fields == ["*"]
    for name in ("userEnteredValue", "note", "dataValidation") if everything else fields:
        if name == "userEnteredValue":
            _set_cell_value(sheet.tabs[title], row, col, _value_of(cell.get("userEnteredValue")))
        elif name == "note":
            if cell.get("note"):
                meta.notes[(row, col)] = cell["note"]
            else:
                meta.notes.pop((row, col), None)
        elif name == "dataValidation":
            meta.validations.append(((row, row + 1, col, col + 1), cell.get("dataValidation")))
        elif name.split(".")[0] == "userEnteredFormat":
            current = {"userEnteredFormat": meta.formats.get((row, col), {})}
            _masked(current, cell, name.split("."))
            meta.formats[(row, col)] = current.get("userEnteredFormat", {})
        else:
            raise WriteError(400, f"Invalid field mask for a cell: {name}")
    if everything:
        meta.formats[(row, col)] = copy.deepcopy(cell.get("userEnteredFormat", {}))


# --- the requests -------------------------------------------------------------------------------------
def _add_sheet(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties", {})
    title = props.get("title") or f"Sheet{len(sheet.tabs) + 1}"
    if any(t.casefold() == title.casefold() for t in sheet.tabs):
        raise WriteError(400, f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists.')
    taken = {m.sheet_id for m in ensure_meta(sheet).values()}
    sheet_id = props.get("sheetId", max(taken, default=-1) + 1)
    if sheet_id in taken:
        raise WriteError(400, f"Invalid requests[0].addSheet: Sheet with id {sheet_id} already exists.")
    grid = props.get("gridProperties", {})
    sheet.tabs[title] = []
    sheet.meta[title] = TabMeta(
        sheet_id,
        grid.get("rowCount", 1000),
        grid.get("columnCount", 26),
        grid.get("frozenRowCount", 0),
        grid.get("frozenColumnCount", 0),
    )
    return {"addSheet": {"properties": properties(sheet, title)}}


def _update_sheet_properties(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    props = body["properties"]
    title = _title_of(sheet, props.get("sheetId", 0))
    meta = sheet.meta[title]
    grid = props.get("gridProperties", {})
    targets = {
        "gridProperties.frozenRowCount": ("frozen_rows", "frozenRowCount"),
        "gridProperties.frozenColumnCount": ("frozen_columns", "frozenColumnCount"),
        "gridProperties.rowCount": ("row_count", "rowCount"),
        "gridProperties.columnCount": ("column_count", "columnCount"),
    }
    for name in body["fields"].split(","):
        if name == "title":
            sheet.tabs = {props["title"] if t == title else t: g for t, g in sheet.tabs.items()}
            sheet.meta = {props["title"] if t == title else t: m for t, m in sheet.meta.items()}
        elif name in targets:
            attribute, key = targets[name]
            setattr(meta, attribute, grid.get(key, 0))
        else:
            raise WriteError(400, f"updateSheetProperties: field {name!r} is not modelled by the fake")
    return {}


def _append_dimension(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    title = _title_of(sheet, body.get("sheetId", 0))
    rows, cols = grid_size(sheet, title)
    meta = sheet.meta[title]
    if body["dimension"] == "ROWS":
        meta.row_count = rows + body["length"]
    else:
        meta.column_count = cols + body["length"]
    return {}


def _update_dimension_properties(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    span = body["range"]
    title = _title_of(sheet, span.get("sheetId", 0))
    rows, cols = grid_size(sheet, title)
    columns = span["dimension"] == "COLUMNS"
    end = span.get("endIndex", cols if columns else rows)
    if end > (cols if columns else rows):
        raise WriteError(400, f"Invalid requests: Range exceeds grid limits ({title})")
    if "pixelSize" in body["fields"].split(","):
        target = sheet.meta[title].widths if columns else sheet.meta[title].heights
        for index in range(span.get("startIndex", 0), end):
            target[index] = body["properties"]["pixelSize"]
    return {}


def _add_protected_range(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    protected = copy.deepcopy(body["protectedRange"])
    title, _ = _box(sheet, protected["range"])
    ids = [p["protectedRangeId"] for m in sheet.meta.values() for p in m.protected]
    protected["protectedRangeId"] = max(ids, default=1000) + 1
    sheet.meta[title].protected.append(protected)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(protected)}}


def _find_protected(sheet: Any, protected_id: int) -> tuple[TabMeta, dict[str, Any]]:
    for meta in ensure_meta(sheet).values():
        for protected in meta.protected:
            if protected["protectedRangeId"] == protected_id:
                return meta, protected
    raise WriteError(400, f"Invalid requests: No protected range with id: {protected_id}")


def _update_protected_range(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    new = body["protectedRange"]
    _, protected = _find_protected(sheet, new["protectedRangeId"])
    for name in body["fields"].split(","):
        if name in new:
            protected[name] = copy.deepcopy(new[name])
        else:
            protected.pop(name, None)
    return {}


def _delete_protected_range(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    meta, protected = _find_protected(sheet, body["protectedRangeId"])
    meta.protected.remove(protected)
    return {}


def _set_data_validation(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    title, box = _box(sheet, body["range"])
    sheet.meta[title].validations.append((box, copy.deepcopy(body.get("rule"))))
    return {}


def _update_cells(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    fields = body["fields"].split(",")
    rows = body.get("rows", [])
    if "start" in body:
        start = body["start"]
        title = _title_of(sheet, start.get("sheetId", 0))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        height = len(rows)
        width = max((len(r.get("values", [])) for r in rows), default=0)
        box: GridBox = (r0, r0 + height, c0, c0 + width)
        _box(sheet, {"sheetId": start.get("sheetId", 0), "startRowIndex": r0, "endRowIndex": r0 + height,
                     "startColumnIndex": c0, "endColumnIndex": c0 + width})  # fmt: skip
    else:
        title, box = _box(sheet, body["range"])
    grid_rows, grid_cols = grid_size(sheet, title)
    r0, r1, c0, c1 = box
    for row in range(r0, r1 if r1 is not None else grid_rows):
        values = rows[row - r0].get("values", []) if row - r0 < len(rows) else []
        for col in range(c0, c1 if c1 is not None else grid_cols):
            cell = values[col - c0] if col - c0 < len(values) else {}
            if "start" in body and col - c0 >= len(values):
                continue  # with a start, only the cells given are written
            _write_cell(sheet, title, row, col, cell, fields)
    return {}


def _repeat_cell(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    title, (r0, r1, c0, c1) = _box(sheet, body["range"])
    rows, cols = grid_size(sheet, title)
    fields = body["fields"].split(",")
    for row in range(r0, r1 if r1 is not None else rows):
        for col in range(c0, c1 if c1 is not None else cols):
            _write_cell(sheet, title, row, col, body.get("cell", {}), fields)
    return {}


def _delete_sheet(sheet: Any, body: dict[str, Any]) -> dict[str, Any]:
    title = _title_of(sheet, body["sheetId"])
    del sheet.tabs[title]
    del sheet.meta[title]
    return {}


REQUESTS = {
    "addSheet": _add_sheet,
    "deleteSheet": _delete_sheet,
    "updateSheetProperties": _update_sheet_properties,
    "appendDimension": _append_dimension,
    "updateDimensionProperties": _update_dimension_properties,
    "addProtectedRange": _add_protected_range,
    "updateProtectedRange": _update_protected_range,
    "deleteProtectedRange": _delete_protected_range,
    "setDataValidation": _set_data_validation,
    "updateCells": _update_cells,
    "repeatCell": _repeat_cell,
}


def apply_requests(sheet: Any, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply a batchUpdate's ``requests`` to ``sheet`` (a FakeSpreadsheet) in order and return
    the replies; on a request it cannot apply, nothing is changed and WriteError is raised."""
    ensure_meta(sheet)
    saved = copy.deepcopy((sheet.tabs, sheet.meta))
    replies = []
    try:
        for index, request in enumerate(requests):
            if len(request) != 1 or next(iter(request)) not in REQUESTS:
                raise WriteError(400, f"Invalid requests[{index}]: the fake does not model {sorted(request)}")
            ((kind, body),) = request.items()
            replies.append(REQUESTS[kind](sheet, body))
    except (WriteError, KeyError, TypeError) as exc:
        sheet.tabs, sheet.meta = saved
        if isinstance(exc, WriteError):
            raise
        raise WriteError(400, f"Invalid requests: malformed request ({exc!r})") from exc
    return replies


# --- reading it back: field masks and grid data -------------------------------------------------
def field_paths(mask: str) -> list[list[str]]:
    """A field mask as paths: "sheets(properties(title),data.rowData)" →
    [["sheets", "properties", "title"], ["sheets", "data", "rowData"]]."""
    paths, end = _paths(mask, 0, [])
    if end != len(mask):
        raise ValueError(f"unbalanced field mask: {mask}")
    return paths


def _paths(mask: str, i: int, prefix: list[str]) -> tuple[list[list[str]], int]:
    paths: list[list[str]] = []
    while i < len(mask):
        j = i
        while j < len(mask) and mask[j] not in "(),":
            j += 1
        path = prefix + [part for part in mask[i:j].strip().split(".") if part]
        if j < len(mask) and mask[j] == "(":
            inner, j = _paths(mask, j + 1, path)
            if j >= len(mask) or mask[j] != ")":
                raise ValueError(f"unbalanced field mask: {mask}")
            paths += inner
            j += 1
        elif path != prefix:
            paths.append(path)
        if j < len(mask) and mask[j] == ",":
            i = j + 1
            continue
        return paths, j
    return paths, i


def grid_data(sheet: Any, title: str, bounds: tuple[int, int] | None) -> dict[str, Any]:
    """A tab's GridData over rows/columns ``bounds`` (whole grid when None), shaped like Google's:
    empty cells ``{}``, trailing empty cells and rows dropped, every column's pixel size."""
    meta = ensure_meta(sheet)[title]
    rows, cols = grid_size(sheet, title)
    if bounds:
        rows, cols = min(rows, bounds[0]), min(cols, bounds[1])
    grid = sheet.tabs[title]
    row_data = []
    for row in range(rows):
        cells = []
        for col in range(cols):
            cell: dict[str, Any] = {}
            value = grid[row][col] if row < len(grid) and col < len(grid[row]) else ""
            entered = _entered(value)
            if entered:
                cell["userEnteredValue"] = entered
                cell["effectiveValue"] = entered
                cell["formattedValue"] = formatted(value)
            if (row, col) in meta.notes:
                cell["note"] = meta.notes[(row, col)]
            if meta.formats.get((row, col)):
                cell["userEnteredFormat"] = copy.deepcopy(meta.formats[(row, col)])
            rule = validation_at(meta, row, col)
            if rule:
                cell["dataValidation"] = copy.deepcopy(rule)
            cells.append(cell)
        while cells and not cells[-1]:
            cells.pop()
        row_data.append({"values": cells} if cells else {})
    while row_data and not row_data[-1]:
        row_data.pop()
    return {
        "rowData": row_data,
        "rowMetadata": [{"pixelSize": meta.heights.get(r, 21)} for r in range(rows)],
        "columnMetadata": [{"pixelSize": meta.widths.get(c, 100)} for c in range(cols)],
    }
