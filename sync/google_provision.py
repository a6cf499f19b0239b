"""Provisioning on Google Sheets: read a unit's spreadsheet once (tab properties, protected ranges,
header and first data row with their notes and validation, column widths), then send one
spreadsheets:batchUpdate for whatever differs from the forms — none when nothing does.

The service account needs Editor access and the write scope; it never creates a spreadsheet, since
a service account has no Drive storage of its own.
"""

from __future__ import annotations

import logging
import re
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import google.auth.exceptions
import requests
from gspread.exceptions import APIError

from rules.grids import match_tabs
from rules.layout import (
    HELP_WIDTH,
    Column,
    TabLayout,
    Validation,
    help_tab_title,
    plan_header,
    protected_header_text,
    protected_help_text,
)
from settings.schema import Config, Unit
from sync.google import GoogleSheetsSource, is_unknown_range, spreadsheet_id
from sync.google_http import WRITE_SCOPES, Clock, GaveUp, Lane, Sleep, build_lanes, describe, status_of
from sync.provision import Provisioned
from vntext import column_letter

log = logging.getLogger(__name__)

DEFAULT_WIDTH = 100  # pixels: what Google shows for a column nobody resized
NEW_TAB_ROWS = 1000
HELP_SPARE_ROWS = 20  # help rows read beyond the ones written, so shorter help clears old lines
STATE_FIELDS = (
    "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "protectedRanges(protectedRangeId,range,warningOnly),"
    "data(rowData(values(formattedValue,note,dataValidation)),columnMetadata(pixelSize)))"
)
TITLES_FIELDS = "sheets.properties(sheetId,title)"
HEADER_FORMAT = {"textFormat": {"bold": True}, "wrapStrategy": "WRAP"}
HEADER_FORMAT_FIELDS = "userEnteredFormat.textFormat.bold,userEnteredFormat.wrapStrategy"


@dataclass
class TabState:
    """A tab as the spreadsheets.get answer showed it: rows hold the cells read from row 1."""

    sheet_id: int
    title: str
    row_count: int = NEW_TAB_ROWS
    column_count: int = 26
    frozen_rows: int = 0
    protected: list[Mapping[str, Any]] = field(default_factory=list)
    rows: list[list[Mapping[str, Any]]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)

    def cell(self, row: int, col: int) -> Mapping[str, Any]:
        cells = self.rows[row] if row < len(self.rows) else []
        return cells[col] if col < len(cells) else {}

    def width(self, col: int) -> int:
        return self.widths[col] if col < len(self.widths) else DEFAULT_WIDTH

    def covers_row(self, row: int) -> bool:
        """Some protected range spans the whole of ``row`` (0-based)."""
        return any(
            r.get("startRowIndex", 0) <= row < r.get("endRowIndex", self.row_count)
            and r.get("startColumnIndex", 0) == 0
            and "endColumnIndex" not in r
            for r in (p.get("range", {}) for p in self.protected)
        )

    def covers_tab(self) -> bool:
        return any(set(p.get("range", {})) <= {"sheetId"} for p in self.protected)


def parse_state(body: Mapping[str, Any]) -> dict[str, TabState]:
    """Each tab of a spreadsheets.get answer by title; Google omits zeros and empty cells."""
    tabs = {}
    for sheet in body.get("sheets", []):
        props = sheet.get("properties", {})
        grid = props.get("gridProperties", {})
        data = (sheet.get("data") or [{}])[0]
        tabs[props.get("title", "")] = TabState(
            sheet_id=props.get("sheetId", 0),
            title=props.get("title", ""),
            row_count=grid.get("rowCount", NEW_TAB_ROWS),
            column_count=grid.get("columnCount", 26),
            frozen_rows=grid.get("frozenRowCount", 0),
            protected=list(sheet.get("protectedRanges", [])),
            rows=[list(row.get("values", [])) for row in data.get("rowData", [])],
            widths=[meta.get("pixelSize", DEFAULT_WIDTH) for meta in data.get("columnMetadata", [])],
        )
    return tabs


def _a1(title: str, rows: int) -> str:
    return "'" + title.replace("'", "''") + f"'!A1:ZZ{rows}"


# --- what a column's validation is on Google --------------------------------------------------
def plain_number(value: float) -> str:
    """A bound as a formula or condition takes it: 1500, 2.5 (not vi-VN's 1.500, 2,5)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _bound(value: float) -> dict[str, str]:
    return {"userEnteredValue": plain_number(value)}


def validation_rule(validation: Validation, hint: str, col: int, first_row: int) -> dict[str, Any]:
    """The DataValidationRule of a column whose first data cell is ``col``/``first_row`` (0-based)."""
    low, high = validation.minimum, validation.maximum
    if validation.kind == "list":
        condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in validation.choices]}
    elif validation.kind == "date":
        condition = {"type": "DATE_IS_VALID"}
    elif validation.kind == "whole":
        # No whole-number condition exists; a custom formula relative to the range's first cell.
        cell = f"{column_letter(col)}{first_row + 1}"
        tests = [f"ISNUMBER({cell})", f"{cell}=INT({cell})"]
        tests += [f"{cell}>={plain_number(low)}"] if low is not None else []
        tests += [f"{cell}<={plain_number(high)}"] if high is not None else []
        condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": f"=AND({','.join(tests)})"}]}
    elif low is not None and high is not None:
        condition = {"type": "NUMBER_BETWEEN", "values": [_bound(low), _bound(high)]}
    elif low is not None:
        condition = {"type": "NUMBER_GREATER_THAN_EQ", "values": [_bound(low)]}
    else:
        condition = {"type": "NUMBER_LESS_THAN_EQ", "values": [_bound(high)]}
    rule: dict[str, Any] = {"condition": condition, "inputMessage": hint, "strict": True}
    if validation.kind == "list":
        rule["showCustomUi"] = True
    return rule


def _rule_key(rule: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    """What makes two rules the same, with Google's omitted defaults filled in."""
    if not rule:
        return None
    condition = rule.get("condition", {})
    values = tuple(re.sub(r"\s+", "", str(v.get("userEnteredValue", ""))).upper() for v in condition.get("values", []))
    return (
        condition.get("type"),
        values,
        bool(rule.get("strict")),
        bool(rule.get("showCustomUi")),
        rule.get("inputMessage", ""),
    )


# --- the requests that bring a tab to its layout ----------------------------------------------
@dataclass
class Plan:
    requests: list[dict[str, Any]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def _header_cell(state: TabState, row: int, col: int, column: Column, label_write: bool) -> dict[str, Any] | None:
    """The updateCells for one header cell: its label (bold, wrapped) and/or its note."""
    fields, cell = [], {}
    if label_write:
        cell["userEnteredValue"] = {"stringValue": column.label}
        cell["userEnteredFormat"] = HEADER_FORMAT
        fields += ["userEnteredValue", HEADER_FORMAT_FIELDS]
    if column.hint and state.cell(row, col).get("note", "") != column.hint:
        cell["note"] = column.hint
        fields.append("note")
    if not fields:
        return None
    return {
        "updateCells": {
            "start": {"sheetId": state.sheet_id, "rowIndex": row, "columnIndex": col},
            "rows": [{"values": [cell]}],
            "fields": ",".join(fields),
        }
    }


def tab_plan(layout: TabLayout, state: TabState, plan: Plan) -> None:
    """Append to ``plan`` what ``state`` lacks of ``layout``; no request touches a data row's values."""
    title, sid, hrow = state.title, state.sheet_id, layout.header_row - 1
    header = [cell.get("formattedValue", "") for cell in (state.rows[hrow] if hrow < len(state.rows) else [])]
    placed = plan_header(layout.columns, header)
    needed = max(placed.positions.values()) + 1
    if needed > state.column_count:
        plan.requests.append(
            {"appendDimension": {"sheetId": sid, "dimension": "COLUMNS", "length": needed - state.column_count}}
        )
        plan.changes.append(f"«{title}»: {needed - state.column_count} column(s) added to the grid")
    if state.frozen_rows < layout.header_row:
        props = {"sheetId": sid, "gridProperties": {"frozenRowCount": layout.header_row}}
        plan.requests.append(
            {"updateSheetProperties": {"properties": props, "fields": "gridProperties.frozenRowCount"}}
        )
        plan.changes.append(f"«{title}»: freeze row {layout.header_row}")
    for col, (old, label) in sorted(placed.writes.items()):
        cell = f"{column_letter(col)}{layout.header_row}"
        plan.changes.append(
            f"«{title}»: header {cell} «{old}» → «{label}»" if old else f"«{title}»: header {cell} «{label}» added"
        )
    notes = validations = widths = 0
    for column in layout.columns:
        col = placed.positions[column.label]
        request = _header_cell(state, hrow, col, column, col in placed.writes)
        if request is not None:
            plan.requests.append(request)
            notes += "note" in request["updateCells"]["fields"].split(",")
        if column.validation is not None:
            rule = validation_rule(column.validation, column.hint, col, hrow + 1)
            if _rule_key(state.cell(hrow + 1, col).get("dataValidation")) != _rule_key(rule):
                grid_range = {
                    "sheetId": sid,
                    "startRowIndex": hrow + 1,
                    "startColumnIndex": col,
                    "endColumnIndex": col + 1,
                }
                plan.requests.append({"setDataValidation": {"range": grid_range, "rule": rule}})
                validations += 1
        if state.width(col) != column.width:
            dimension = {"sheetId": sid, "dimension": "COLUMNS", "startIndex": col, "endIndex": col + 1}
            plan.requests.append(
                {
                    "updateDimensionProperties": {
                        "range": dimension,
                        "properties": {"pixelSize": column.width},
                        "fields": "pixelSize",
                    }
                }
            )
            widths += 1
    if not state.covers_row(hrow):
        protected = {"range": {"sheetId": sid, "startRowIndex": hrow, "endRowIndex": hrow + 1},
                     "description": protected_header_text(), "warningOnly": True}  # fmt: skip
        plan.requests.append({"addProtectedRange": {"protectedRange": protected}})
        plan.changes.append(f"«{title}»: row {layout.header_row} protected (a warning on edit)")
    for count, what in ((notes, "header note(s)"), (validations, "column validation(s)"), (widths, "column width(s)")):
        if count:
            plan.changes.append(f"«{title}»: {count} {what} set")


def help_plan(lines: Sequence[str], state: TabState, plan: Plan) -> None:
    """Append to ``plan`` the help tab's text in column A if it differs, its width and protection."""
    current = [state.cell(r, 0).get("formattedValue", "") for r in range(len(state.rows))]
    while current and not current[-1]:
        current.pop()
    if current != list(lines):
        rows = [{"values": [{"userEnteredValue": {"stringValue": line}} if line else {}]} for line in lines]
        rows += [{"values": [{}]}] * max(0, len(current) - len(lines))
        grid_range = {"sheetId": state.sheet_id, "startRowIndex": 0, "endRowIndex": len(rows),
                      "startColumnIndex": 0, "endColumnIndex": 1}  # fmt: skip
        cells = {"range": grid_range, "rows": rows, "fields": "userEnteredValue"}
        plan.requests.append({"updateCells": cells})
        wrap = {"userEnteredFormat": {"wrapStrategy": "WRAP"}}
        plan.requests.append(
            {"repeatCell": {"range": grid_range, "cell": wrap, "fields": "userEnteredFormat.wrapStrategy"}}
        )
        plan.changes.append(f"«{state.title}»: help text written ({len(lines)} lines)")
    if state.width(0) != HELP_WIDTH:
        dimension = {"sheetId": state.sheet_id, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
        plan.requests.append(
            {
                "updateDimensionProperties": {
                    "range": dimension,
                    "properties": {"pixelSize": HELP_WIDTH},
                    "fields": "pixelSize",
                }
            }
        )
    if not state.covers_tab():
        protected = {"range": {"sheetId": state.sheet_id}, "description": protected_help_text(), "warningOnly": True}
        plan.requests.append({"addProtectedRange": {"protectedRange": protected}})


def _new_sheet_id(title: str, taken: set[int]) -> int:
    candidate = zlib.crc32(title.encode("utf-8")) % 2_000_000_000 + 1
    while candidate in taken:
        candidate += 1
    taken.add(candidate)
    return candidate


def spreadsheet_plan(
    layouts: Sequence[TabLayout], help_rows: Sequence[str], tabs: Mapping[str, TabState], taken: set[int]
) -> Plan:
    """Every request ``tabs`` (the state read, by title as the form names it) need; tabs absent
    from ``tabs`` are added first, with ids not in ``taken``."""
    plan = Plan()
    wanted = [(layout.tab, layout) for layout in layouts] + [(help_tab_title(), None)]
    for title, layout in wanted:
        state = tabs.get(title)
        if state is None:
            columns = max(26, len(layout.columns)) if layout else 26
            state = TabState(_new_sheet_id(title, taken), title, NEW_TAB_ROWS, columns)
            props = {"sheetId": state.sheet_id, "title": title,
                     "gridProperties": {"rowCount": NEW_TAB_ROWS, "columnCount": columns}}  # fmt: skip
            plan.requests.append({"addSheet": {"properties": props}})
            plan.changes.append(f"tab «{title}» added")
        if layout is None:
            help_plan(help_rows, state, plan)
        else:
            tab_plan(layout, state, plan)
    return plan


# --- the I/O shell ----------------------------------------------------------------------------
def _ask(kind: str, **parts: str) -> str:
    """What the unit or the office must do, for the operator to pass on."""
    texts = {
        "share": "The spreadsheet is not shared with {account}: the unit must open it, click Share, add {account}"
        " as Editor and untick 'Notify'.",
        "editor": "The spreadsheet is shared with {account} but not as Editor: the unit must open Share and change"
        " {account} from Viewer (or Commenter) to Editor.",
        "create": "There is no Google Sheet at {sheet}. A service account has no Drive storage of its own, so the"
        " service cannot create one: the unit must create a Google Sheet (sheets.new), share it with {account} as"
        " Editor and send its URL; the office then sets that URL as unit {unit}'s `sheet` in config.yaml.",
        "convert": "{sheet} is an uploaded Excel or CSV file, not a Google Sheet: the unit must open it, choose"
        " File → Save as Google Sheets and share the new sheet with {account} as Editor; the office then sets the"
        " new sheet's URL as unit {unit}'s `sheet` in config.yaml.",
    }
    return texts[kind].format(**parts)


def _is_uploaded_file(exc: BaseException) -> bool:
    error = getattr(exc, "error", None) or {}
    return status_of(exc) == 400 and (
        error.get("status") == "FAILED_PRECONDITION" or "not supported for this document" in str(error.get("message"))
    )


def _insufficient_scope(exc: BaseException) -> bool:
    return "insufficient authentication scopes" in str((getattr(exc, "error", None) or {}).get("message", ""))


class GoogleProvisioner:
    """The configured service accounts with the write scope; each unit handled by the account that reads it."""

    def __init__(self, lanes: Sequence[Lane]) -> None:
        self.lanes = GoogleSheetsSource(lanes)

    @classmethod
    def from_config(
        cls, config: Config, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> GoogleProvisioner:
        source = config.source
        return cls(build_lanes(source, clock, sleep, scopes=WRITE_SCOPES))

    def provision(self, unit: Unit, layouts: Sequence[TabLayout], help_rows: Sequence[str], write: bool) -> Provisioned:
        def work(lane: Lane, sheet_id: str, result: Provisioned) -> None:
            tabs, taken = self._read(lane, sheet_id, layouts, len(help_rows) + HELP_SPARE_ROWS)
            plan = spreadsheet_plan(layouts, help_rows, tabs, taken)
            result.changes = plan.changes
            if write and plan.requests:
                result.write_requests = 1  # counted when asked: a refused write is a request made
                lane.sheets_call(lambda: lane.http.batch_update(sheet_id, {"requests": plan.requests}))

        return self._on_sheet(unit, work)

    def fill(self, unit: Unit, tab: str, rows: Sequence[Sequence[str]]) -> Provisioned:
        """Three requests: the tab's id, its values below the header, and the one write."""

        def work(lane: Lane, sheet_id: str, result: Provisioned) -> None:
            body = lane.sheets_call(lambda: lane.http.spreadsheets_get(sheet_id, params={"fields": TITLES_FIELDS}))
            matched = match_tabs([tab], [s["properties"]["title"] for s in body.get("sheets", [])])
            if tab not in matched:
                result.action = f"the spreadsheet has no tab «{tab}»"
                return
            [tab_id] = [s["properties"]["sheetId"] for s in body["sheets"] if s["properties"]["title"] == matched[tab]]
            values = lane.sheets_call(lambda: lane.http.values_batch_get(sheet_id, [_a1(matched[tab], NEW_TAB_ROWS)]))
            present = (values.get("valueRanges") or [{}])[0].get("values", [])
            if any(any(str(v).strip() for v in row) for row in present[1:]) or not rows:
                return
            cells = [{"values": [{"userEnteredValue": {"stringValue": str(v)}} for v in row]} for row in rows]
            grid_range = {"sheetId": tab_id, "startRowIndex": 1, "endRowIndex": 1 + len(rows),
                          "startColumnIndex": 0, "endColumnIndex": max(len(r) for r in rows)}  # fmt: skip
            update = {"updateCells": {"range": grid_range, "rows": cells, "fields": "userEnteredValue"}}
            result.write_requests = 1
            lane.sheets_call(lambda: lane.http.batch_update(sheet_id, {"requests": [update]}))
            result.changes = [f"«{tab}»: {len(rows)} row(s) written"]

        return self._on_sheet(unit, work)

    def _on_sheet(self, unit: Unit, work: Callable[[Lane, str, Provisioned], None]) -> Provisioned:
        """``work`` on the unit's spreadsheet with its account; what fails becomes what to do."""
        lane = self.lanes.lane_for(unit)
        result = Provisioned(unit.id)
        sheet_id = spreadsheet_id(unit.sheet)
        if sheet_id is None:
            result.action = _ask("create", sheet=unit.sheet, account=lane.email, unit=unit.id)
            return result
        try:
            work(lane, sheet_id, result)
        except google.auth.exceptions.RefreshError as exc:
            result.service_problem = f"service account {lane.email} cannot sign in: {exc.args[0] if exc.args else exc}"
        except (APIError, GaveUp, requests.RequestException, google.auth.exceptions.GoogleAuthError) as exc:
            self._explain(exc, unit, lane, result, writing=result.write_requests > 0)
        return result

    @staticmethod
    def _explain(exc: BaseException, unit: Unit, lane: Lane, result: Provisioned, writing: bool) -> None:
        status = status_of(exc)
        parts = {"account": lane.email, "sheet": unit.sheet, "unit": unit.id}
        if status == 403 and _insufficient_scope(exc):
            result.service_problem = f"Google refused the write scope for {lane.email}: {describe(exc)}"
        elif status == 403:
            # Read answers 403 when the sheet is not shared at all; a write, when it is shared read-only.
            result.action = _ask("editor" if writing else "share", **parts)
        elif status == 404:
            result.action = _ask("create", **parts)
        elif _is_uploaded_file(exc):
            result.action = _ask("convert", **parts)
        else:
            result.service_problem = f"{describe(exc) if not isinstance(exc, GaveUp) else exc}: try again later"
        log.info("provision %s: %s", unit.id, result.action or result.service_problem)

    @staticmethod
    def _read(
        lane: Lane, sheet_id: str, layouts: Sequence[TabLayout], help_rows: int
    ) -> tuple[dict[str, TabState], set[int]]:
        """The state of every tab the forms name (by the form's title), and the sheet ids in use.

        One spreadsheets.get when every tab exists as titled; when one does not (Google refuses
        the whole request), one more for the titles, and one for the tabs that exist.
        """
        rows = {layout.tab: layout.header_row + 1 for layout in layouts}
        rows[help_tab_title()] = help_rows

        def get(titles: Mapping[str, str]) -> dict[str, TabState]:
            """The state of ``titles`` (form's title → actual title), by the form's title."""
            ranges = [_a1(actual, rows[tab]) for tab, actual in titles.items()]
            params = {"fields": STATE_FIELDS, "ranges": ranges}
            body = lane.sheets_call(lambda: lane.http.spreadsheets_get(sheet_id, params=dict(params)))
            read = parse_state(body)
            return {tab: read[actual] for tab, actual in titles.items() if actual in read}

        try:
            tabs = get({tab: tab for tab in rows})
            return tabs, {t.sheet_id for t in tabs.values()}
        except APIError as exc:
            if not is_unknown_range(exc):
                raise
        body = lane.sheets_call(lambda: lane.http.spreadsheets_get(sheet_id, params={"fields": TITLES_FIELDS}))
        existing = parse_state(body)
        matched = match_tabs(rows, list(existing))
        return (get(matched) if matched else {}), {t.sheet_id for t in existing.values()}
