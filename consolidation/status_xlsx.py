"""A tab of consolidation/sheet_tables.py as an .xlsx workbook (openpyxl), for the local source:
the office's status table offline, coloured and formatted as the Google tab. Imported only when
the write-back writes a workbook.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from consolidation.sheet_tables import SheetTable
from consolidation.xlsx import BORDER, DATE_FORMAT, TOP

PX_PER_WIDTH_UNIT = 7


def table_workbook(table: SheetTable, existing: bytes | None = None) -> bytes:
    """The bytes of a workbook whose sheet ``table.title`` shows ``table``; a link opens its address.

    ``existing`` (a workbook's bytes, such as the office's control workbook) keeps its other sheets:
    only that one sheet is replaced, in its place. Raises what openpyxl raises for bytes it cannot read."""
    title = table.title[:31]
    if existing is None:
        book = Workbook()
        sheet = book.active
        sheet.title = title
    else:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(existing))
        place = book.sheetnames.index(title) if title in book.sheetnames else len(book.sheetnames)
        if title in book.sheetnames:
            book.remove(book[title])
        sheet = book.create_sheet(title, place)
    for r, row in enumerate(table.rows, start=1):
        for c, item in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=item.value)
            if isinstance(item.value, str):
                cell.data_type = "s"  # a text is a text, never a formula
            if isinstance(item.value, dt.date):
                cell.number_format = DATE_FORMAT
            if item.fill:
                cell.fill = PatternFill("solid", fgColor=item.fill)
            if item.bold:
                cell.font = Font(bold=True)
            if item.link:
                cell.hyperlink = item.link
                cell.font = Font(color="0563C1", underline="single", bold=item.bold)
            if len(row) > 1:  # the table, not its title lines
                cell.border = BORDER
            cell.alignment = TOP
    for index, pixels in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = round(pixels / PX_PER_WIDTH_UNIT, 1)
    if table.frozen_rows or table.frozen_columns:
        sheet.freeze_panes = sheet.cell(row=table.frozen_rows + 1, column=table.frozen_columns + 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
