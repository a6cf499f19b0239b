"""Lays the workbook's tables out with openpyxl, for reading and for print on A4.

A title block, then a bold, frozen, filtered header; thin borders; widths and wrapping that fit;
landscape, one page wide, the header repeated on every page. Numbers and dates are real cells in
formats a Vietnamese Excel or LibreOffice shows as 1.500, 2,5 and 18/07/2023; a text is always a
text cell, never a formula, whatever it starts with. Imported only when a workbook is made.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from consolidation.workbook import INDEX, LONG_TEXT, NAME, NUMERIC_KINDS, STATUS, STATUS_FILLS, Column, Table

HEADER_ROW = 6  # under a title block of up to four lines and a blank one
DATE_FORMAT = "dd/mm/yyyy"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.##"
PERCENT_FORMAT = "0.0"
PX_PER_WIDTH_UNIT = 7  # a column width unit (one character) is about 7 px
PX_PER_ROW = 20  # a default row is 15 pt, 20 px
ONE_PAGE_ROWS = 60  # a summary up to this long is fitted on one page, still legible
LINE_HEIGHT = 15.0  # points, for an 11-point line
WIDTHS = {INDEX: (4, 5), NAME: (16, 30), STATUS: (12, 18), LONG_TEXT: (24, 45), "date": (11, 11)}

_thin = Side(style="thin", color="808080")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
WRAPPED = frozenset({NAME, STATUS, LONG_TEXT, "text"})
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")


def number_format(kind: str, value: Any) -> str | None:
    if kind == "date":
        return DATE_FORMAT
    if kind == "percent":
        return PERCENT_FORMAT
    if kind in ("integer", INDEX):
        return INTEGER_FORMAT
    if kind == "number":
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return INTEGER_FORMAT if whole else DECIMAL_FORMAT
    return None


def _shown(kind: str, value: Any) -> str:
    """Roughly what a cell shows, to size its column."""
    if value is None:
        return ""
    if kind == "date":
        return "00/00/0000"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if kind == "number" else f"{value:,}"
    return str(value)


def column_width(column: Column, values: list[Any]) -> float:
    """Wide enough for the values (a text wraps past its cap) and for the header's longest word."""
    shown = [_shown(column.kind, v) for v in values]
    longest = max([len(s) for s in shown] + [0])
    word = max(len(w) for w in column.label.split() or [""])
    low, high = WIDTHS.get(column.kind, (9, 16) if column.kind in NUMERIC_KINDS else (8, 20))
    return float(min(max(longest + 2, word + 2, low), high))


def _lines(value: Any, width: float, density: float = 1.15) -> int:
    """How many lines a text wraps to in a column: words laid out greedily, ``density`` letters of
    a Vietnamese text in the width of one digit (bold text is wider: less)."""
    if not isinstance(value, str) or not value:
        return 1
    room = max((width - 1) * density, 1.0)
    count = 0
    for part in value.split("\n"):
        count, used = count + 1, 0
        for word in part.split():
            if used and used + 1 + len(word) > room:
                count, used = count + 1 + int(len(word) // room), len(word) % room
            else:
                used += len(word) + (1 if used else 0)
    return count


def _put(sheet: Worksheet, row: int, col: int, value: Any, column: Column | None = None) -> Any:
    cell = sheet.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=HYPERLINK(…)" from a sheet stays the text it is
    elif column is not None and value is not None:
        cell.number_format = number_format(column.kind, value) or cell.number_format
    cell.border = BORDER
    cell.alignment = WRAP if column is not None and column.kind in WRAPPED else TOP
    return cell


Span = tuple[int, int]  # the sheet columns a table column takes: (first, how many), from 1


def _own_columns(table: Table) -> list[Span]:
    return [(n, 1) for n in range(1, len(table.columns) + 1)]


def _span_width(widths: list[float], span: Span) -> float:
    return sum(widths[span[0] - 1 : span[0] - 1 + span[1]])


def _place(sheet: Worksheet, row: int, span: Span, value: Any, column: Column | None = None) -> Any:
    """A cell over ``span`` (merged, bordered all along when it takes more than one column)."""
    cell = _put(sheet, row, span[0], value, column)
    if span[1] > 1:
        for n in range(span[0] + 1, span[0] + span[1]):
            sheet.cell(row=row, column=n).border = BORDER
        sheet.merge_cells(start_row=row, start_column=span[0], end_row=row, end_column=span[0] + span[1] - 1)
    return cell


def _header(sheet: Worksheet, row: int, columns: list[Column], widths: list[float], spans: list[Span]) -> None:
    for span, column in zip(spans, columns, strict=True):
        cell = _place(sheet, row, span, column.label)
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, HEADER_ALIGN
    lines = max(_lines(c.label, _span_width(widths, p), 1.0) for c, p in zip(columns, spans, strict=True))
    sheet.row_dimensions[row].height = LINE_HEIGHT * lines


def _body(sheet: Worksheet, first: int, table: Table, widths: list[float], spans: list[Span]) -> int:
    """The rows and the totals row from ``first``; the row after the last."""
    rows = list(zip(table.rows, table.statuses, strict=True))
    if table.totals is not None:
        rows.append((table.totals, None))
    for r, (values, status) in enumerate(rows, start=first):
        for span, column, value in zip(spans, table.columns, values, strict=True):
            cell = _place(sheet, r, span, value, column)
            if column.kind == STATUS and status in STATUS_FILLS:
                cell.fill = PatternFill("solid", fgColor=STATUS_FILLS[status])
            if values is table.totals:
                cell.font = BOLD
        lines = max(_lines(v, _span_width(widths, p)) for v, p in zip(values, spans, strict=True))
        if lines > 1:
            sheet.row_dimensions[r].height = LINE_HEIGHT * lines
    return first + len(rows)


def _fit_under(table: Table, widths: list[float]) -> list[Span]:
    """Where a second table goes under the first, whose widths are set: a long text takes as many
    columns as it needs (the others left for the columns after it), any other column one."""
    spans, at = [], 1
    for n, column in enumerate(table.columns):
        need = column_width(column, [row[n] for row in table.rows])
        left = len(table.columns) - n - 1
        take = 1
        if column.kind == LONG_TEXT:
            while _span_width(widths, (at, take)) < need and at + take + left <= len(widths):
                take += 1
        else:
            widths[at - 1] = max(widths[at - 1], need)
        spans.append((at, take))
        at += take
    return spans


def _body_widths(table: Table) -> list[float]:
    body = table.rows + ([table.totals] if table.totals is not None else [])
    return [column_width(c, [row[n] for row in body]) for n, c in enumerate(table.columns)]


def _title(sheet: Worksheet, lines: list[str], width: int, total_width: float) -> None:
    """Each line merged across the table, so that a long form title wraps over it."""
    last = get_column_letter(max(width, 1))
    for r, line in enumerate(lines, start=1):
        size = 13 if r == 2 else 11
        sheet.row_dimensions[r].height = LINE_HEIGHT * size / 11 * _lines(line, total_width * 11 / size, 1.0)
        cell = sheet.cell(row=r, column=1, value=line)
        cell.data_type = "s"
        cell.font = Font(bold=r <= 2, size=size, italic=r == len(lines))
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if width > 1:
            sheet.merge_cells(f"A{r}:{last}{r}")


def _print_setup(sheet: Worksheet, last_row: int, width: int, pages_tall: int = 0) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = pages_tall  # 0: as many pages as it takes
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_area = f"A1:{get_column_letter(width)}{max(last_row, HEADER_ROW)}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.oddFooter.center.text = "&P / &N"


def _images(sheet: Worksheet, row: int, images: list[bytes], total_width: float) -> int:
    """Each PNG anchored at column A from ``row``, scaled to the sheet's width; the next free row."""
    from openpyxl.drawing.image import Image

    for png in images:
        image = Image(io.BytesIO(png))
        scale = min(1.0, total_width * PX_PER_WIDTH_UNIT / image.width)
        image.width, image.height = image.width * scale, image.height * scale
        sheet.add_image(image, f"A{row}")
        row += int(image.height / PX_PER_ROW) + 2
    return row


def write_table(sheet: Worksheet, table: Table) -> None:
    widths = _body_widths(table)
    under = _fit_under(table.extra, widths) if table.extra else []
    width = len(widths)
    for n, w in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = w
    _title(sheet, table.title, width, sum(widths))
    _header(sheet, HEADER_ROW, table.columns, widths, _own_columns(table))
    end = _body(sheet, HEADER_ROW + 1, table, widths, _own_columns(table))
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{HEADER_ROW + len(table.rows)}"
    names = [n for n, c in enumerate(table.columns) if c.kind == NAME]
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=names[0] + 2 if names else 1)
    if table.extra is None:
        _print_setup(sheet, end - 1, width)
        return
    _header(sheet, end + 1, table.extra.columns, widths, under)
    end = _body(sheet, end + 2, table.extra, widths, under)
    tables_end, end = end, _images(sheet, end + 1, table.images, sum(widths))
    # The header repeated on a second page would head the second table wrongly: a short summary
    # prints on one page; a long one (a digest of many reports) as it comes.
    _print_setup(sheet, end - 1, width, 1 if tables_end <= ONE_PAGE_ROWS else 0)


def tables_xlsx(tables: list[Table]) -> bytes:
    """The .xlsx file of ``tables``, one sheet each, in order."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        write_table(book.create_sheet(table.name), table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
