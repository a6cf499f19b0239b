"""Provisioning for the local source: a blank template workbook (openpyxl) for a unit whose
workbook is missing, and the same repair as on Google for one that exists — header cells,
header notes (comments), frozen header, column widths, data validation, the help sheet — saved
only when something differs and never touching a data row's values.

Excel has no warning-only protection of a row, so the header is not protected here.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from rules.grids import match_tabs
from rules.layout import HELP_WIDTH, Column, TabLayout, Validation, help_tab_title, invalid_title, plan_header
from settings.schema import Config, Unit
from sync.provision import Provisioned

VALIDATED_ROWS = 5000  # as far as the Google source reads a tab
PIXELS_PER_CHARACTER = 7  # Excel measures widths in characters of the default font
EXCEL_TEXT_LIMIT = 255  # prompts, error texts and inline lists


def excel_width(pixels: int) -> float:
    return round(pixels / PIXELS_PER_CHARACTER, 1)


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def excel_validation(validation: Validation, hint: str) -> DataValidation | None:
    """The workbook's DataValidation of a column, or None for a list Excel cannot hold inline
    (a choice with a comma, or more than 255 characters): its header note still lists them."""
    text = hint[:EXCEL_TEXT_LIMIT]
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": invalid_title()[:32], "error": text,
              "showInputMessage": True, "prompt": text}  # fmt: skip
    if validation.kind == "list":
        inline = ",".join(validation.choices)
        if any("," in c or '"' in c for c in validation.choices) or len(inline) > EXCEL_TEXT_LIMIT - 2:
            return None
        return DataValidation(type="list", formula1=f'"{inline}"', **common)
    if validation.kind == "date":
        return DataValidation(type="date", operator="greaterThan", formula1="1", **common)
    low, high = validation.minimum, validation.maximum
    if low is not None and high is not None:
        bounds = {"formula1": _plain(low), "formula2": _plain(high)}
        return DataValidation(type=validation.kind, operator="between", **bounds, **common)
    if low is not None:
        return DataValidation(type=validation.kind, operator="greaterThanOrEqual", formula1=_plain(low), **common)
    if high is not None:
        return DataValidation(type=validation.kind, operator="lessThanOrEqual", formula1=_plain(high), **common)
    return DataValidation(type=validation.kind, operator="between", formula1="-1E+15", formula2="1E+15", **common)


def _same(a: DataValidation, b: DataValidation) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in ("type", "operator", "formula1", "formula2", "prompt"))


def _column_validation(sheet: Worksheet, column: Column, col: int, first_row: int) -> bool:
    """Give the column its validation from ``first_row`` down; True when something changed."""
    wanted = excel_validation(column.validation, column.hint) if column.validation else None
    if wanted is None:
        return False
    letter = get_column_letter(col + 1)
    covering = [dv for dv in sheet.data_validations.dataValidation if f"{letter}{first_row}" in dv.sqref]
    if any(_same(dv, wanted) for dv in covering):
        return False
    for dv in covering:  # the column's previous rule; one that spans other columns is the unit's own
        if all(r.min_col == r.max_col == col + 1 for r in dv.sqref.ranges):
            sheet.data_validations.dataValidation.remove(dv)
    wanted.add(f"{letter}{first_row}:{letter}{VALIDATED_ROWS}")
    sheet.add_data_validation(wanted)
    return True


def tab_repairs(sheet: Worksheet, layout: TabLayout) -> list[str]:
    """Bring ``sheet`` to ``layout``; what changed, for the operator."""
    title, hrow = sheet.title, layout.header_row
    current = [sheet.cell(hrow, c).value for c in range(1, sheet.max_column + 1)]
    placed = plan_header(layout.columns, current)
    changes = []
    for col, (old, label) in sorted(placed.writes.items()):
        cell = sheet.cell(hrow, col + 1)
        cell.value = label
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        what = f"«{old}» → «{label}»" if old else f"«{label}» added"
        changes.append(f"«{title}»: header {cell.coordinate} {what}")
    if sheet.freeze_panes != f"A{hrow + 1}":
        sheet.freeze_panes = f"A{hrow + 1}"
        changes.append(f"«{title}»: freeze row {hrow}")
    notes = validations = widths = 0
    for column in layout.columns:
        col = placed.positions[column.label]
        cell = sheet.cell(hrow, col + 1)
        if column.hint and (cell.comment is None or cell.comment.text != column.hint):
            cell.comment = Comment(column.hint, "Hệ thống báo cáo", height=120, width=260)
            notes += 1
        validations += _column_validation(sheet, column, col, hrow + 1)
        dimension = sheet.column_dimensions[get_column_letter(col + 1)]
        if dimension.width is None or abs(dimension.width - excel_width(column.width)) > 0.05:
            dimension.width = excel_width(column.width)
            widths += 1
    for count, what in ((notes, "header note(s)"), (validations, "column validation(s)"), (widths, "column width(s)")):
        if count:
            changes.append(f"«{title}»: {count} {what} set")
    return changes


def help_repairs(sheet: Worksheet, lines: Sequence[str]) -> list[str]:
    current = [sheet.cell(r, 1).value or "" for r in range(1, sheet.max_row + 1)]
    while current and not current[-1]:
        current.pop()
    changes = []
    if current != list(lines):
        for row in range(1, max(len(current), len(lines)) + 1):
            cell = sheet.cell(row, 1)
            cell.value = lines[row - 1] if row <= len(lines) and lines[row - 1] else None
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(1, 1).font = Font(bold=True, size=13)
        changes.append(f"«{sheet.title}»: help text written ({len(lines)} lines)")
    if sheet.column_dimensions["A"].width != excel_width(HELP_WIDTH):
        sheet.column_dimensions["A"].width = excel_width(HELP_WIDTH)
    return changes


def _sheet(book: Workbook, title: str, changes: list[str]) -> Worksheet:
    matched = match_tabs([title], book.sheetnames)
    if title in matched:
        return book[matched[title]]
    changes.append(f"tab «{title}» added")
    return book.create_sheet(title)


class LocalProvisioner:
    """Template and repair of the workbooks in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def from_config(cls, config: Config) -> LocalProvisioner:
        return cls(config.source.folder)

    def provision(self, unit: Unit, layouts: Sequence[TabLayout], help_rows: Sequence[str], write: bool) -> Provisioned:
        result = Provisioned(unit.id)
        path = self.folder / unit.sheet
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            result.action = f"{unit.sheet} is not an .xlsx workbook: the office must name an .xlsx file"
            result.action += f" as unit {unit.id}'s `sheet` in config.yaml."
            return result
        created = not path.is_file()
        try:
            book = Workbook() if created else openpyxl.load_workbook(path)
        except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            result.action = (
                f"{path} cannot be opened ({type(exc).__name__}): the unit must send a readable .xlsx, or the office"
                " moves the file away so that provision writes a blank template."
            )
            return result
        if created:
            book.remove(book.active)
        changes: list[str] = []
        for layout in layouts:
            changes += tab_repairs(_sheet(book, layout.tab, changes), layout)
        changes += help_repairs(_sheet(book, help_tab_title(), changes), help_rows)
        if created:
            changes = [f"{unit.sheet} written from the template ({len(layouts) + 1} tabs)"]
        result.changes = changes
        if write and changes:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.partial")
            book.save(partial)
            os.replace(partial, path)  # a reader never sees half a workbook
            result.write_requests = 1
        return result

    def fill(self, unit: Unit, tab: str, rows: Sequence[Sequence[str]]) -> Provisioned:
        result = Provisioned(unit.id)
        path = self.folder / unit.sheet
        try:
            book = openpyxl.load_workbook(path)
        except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            result.action = f"{path} cannot be opened ({type(exc).__name__})"
            return result
        matched = match_tabs([tab], book.sheetnames)
        if tab not in matched:
            result.action = f"{path} has no tab «{tab}»"
            return result
        sheet = book[matched[tab]]
        has_data = any(
            any(value not in (None, "") for value in row) for row in sheet.iter_rows(min_row=2, values_only=True)
        )
        if has_data or not rows:
            return result
        for row in rows:
            sheet.append(list(row))
        partial = path.with_name(f".{path.name}.partial")
        book.save(partial)
        os.replace(partial, path)
        result.changes = [f"«{tab}»: {len(rows)} row(s) written"]
        result.write_requests = 1
        return result
