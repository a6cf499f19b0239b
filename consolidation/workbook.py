"""The consolidated figures as an .xlsx workbook (openpyxl): summary, units, findings.

Column and sheet names come from templates/mail.yaml; numbers stay numbers, dates are dates
shown dd/mm/yyyy. openpyxl is imported when a workbook is made, not with this module: a run with
no consolidated report due never loads it. Rows are written as they come (a write-only
workbook), with no data frame in between: a report of 3,321 units takes a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from consolidation.figures import Consolidation
from consolidation.texts import mail_text
from rules.messages import importance_text, status_text

DATE_FORMAT = "DD/MM/YYYY"
Row = dict[str, Any]  # column label → value; a column a row lacks stays empty


def _label(key: str) -> str:
    return mail_text("workbook", key)


def _cell(value: Any) -> Any:
    """Decimal → int or float, so Excel sees a number; "" → an empty cell."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return None if value == "" else value


def summary_rows(consolidation: Consolidation) -> list[Row]:
    rows = []
    for s in consolidation.sections:
        summary = s.summary
        rows.append(
            {
                _label("form"): s.form.title,
                _label("period"): s.period.label,
                _label("deadline"): s.deadline,
                _label("expected"): summary.expected,
                _label("submitted"): summary.submitted,
                _label("complete"): summary.complete,
                _label("on_time"): summary.on_time,
                _label("late"): summary.late,
                _label("incomplete"): summary.incomplete,
                _label("missing"): summary.missing,
                _label("unreadable"): len(s.unreadable_units),
                _label("submitted_rate"): summary.rate(summary.submitted),
                _label("complete_rate"): summary.rate(summary.complete),
                _label("on_time_rate"): summary.rate(summary.on_time),
            }
        )
    return rows


def unit_rows(consolidation: Consolidation) -> list[Row]:
    """One row per unit and report, then a totals row per section."""
    rows: list[Row] = []
    for s in consolidation.sections:
        base = {_label("form"): s.form.title, _label("period"): s.period.label}
        for row in s.rows:
            record = {
                **base,
                _label("unit_id"): row.unit.id,
                _label("unit"): row.unit.name,
                _label("status"): status_text(row.report.status),
                _label("submitted_on"): row.report.submitted_on,
            }
            record.update({c.label: _cell(v) for c, v in zip(s.indicators, row.values, strict=True)})
            rows.append(record)
        totals = {**base, _label("unit"): _label("total")}
        totals.update({c.label: _cell(t) for c, t in zip(s.indicators, s.totals, strict=True) if c.numeric})
        rows.append(totals)
    return rows


FINDING_COLUMNS = ("form", "period", "unit_id", "unit", "cell", "severity", "message")


def finding_rows(consolidation: Consolidation) -> list[Row]:
    rows = []
    for s in consolidation.sections:
        for row in s.rows_with_findings:
            for finding in row.findings:
                rows.append(
                    {
                        _label("form"): s.form.title,
                        _label("period"): s.period.label,
                        _label("unit_id"): row.unit.id,
                        _label("unit"): row.unit.name,
                        _label("cell"): finding.cell,
                        _label("severity"): importance_text(finding.severity),
                        _label("message"): finding.message,
                    }
                )
    return rows


def _columns(rows: list[Row]) -> list[str]:
    """Every column any row has, in the order they first appear (forms differ in indicators)."""
    return list(dict.fromkeys(label for row in rows for label in row))


def _width(value: Any) -> int:
    return 10 if isinstance(value, dt.date) else len(str(value))


def workbook_bytes(consolidation: Consolidation) -> bytes:
    """The .xlsx file as bytes, ready to attach."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheets = {
        _label("summary"): (summary_rows(consolidation), None),
        _label("units"): (unit_rows(consolidation), None),
        _label("findings"): (finding_rows(consolidation), [_label(k) for k in FINDING_COLUMNS]),
    }
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, (rows, fixed) in sheets.items():
        sheet = book.create_sheet(name)
        columns = fixed or _columns(rows)
        table = [[_cell(row.get(c)) for c in columns] for row in rows]
        for n, column in enumerate(columns):  # widths go before the rows in a write-only sheet
            width = max([len(column)] + [_width(r[n]) for r in table if r[n] is not None])
            sheet.column_dimensions[get_column_letter(n + 1)].width = min(max(width + 2, 8), 60)
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for values in table:
            sheet.append([_dated(sheet, v) if isinstance(v, dt.date) else v for v in values])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _dated(sheet: Any, value: dt.date) -> Any:
    """A date cell shown as dd/mm/yyyy whatever the reader's locale."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell
