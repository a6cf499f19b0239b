"""`control --init` for the local source: the control workbook (.xlsx) with its tabs, Vietnamese
headers with a note on each, dropdowns for the choice columns, and the units of config.yaml.

The local workbook stands in for the Google control spreadsheet, so a fresh clone shows the
control sheet working offline; it is laid out as the Google one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rules.control import column_names, control_texts, tab_name
from settings.schema import Config, Unit

WIDTHS = {"id": 12, "name": 38, "short_name": 18, "kind": 12, "sheet": 34, "emails": 34,
          "supervisor_email": 28, "active": 14}  # fmt: skip
OTHER_WIDTH = 20
DATA_ROWS = 500  # the dropdowns cover this many rows below the header


def headers(tab: str) -> list[tuple[str, str]]:
    """(field, header) of a tab, in order: "units" → [("id", "Mã đơn vị"), …]."""
    texts = control_texts()
    columns = column_names(tab) if tab == "units" else texts[f"{tab[:-1]}_columns"]
    return [(key, names[0]) for key, names in columns.items()]


def unit_row(config: Config, unit: Unit) -> list[Any]:
    """A unit as the «Đơn vị» tab writes it."""
    texts = control_texts()
    values = {
        "id": unit.id,
        "name": unit.name,
        "short_name": unit.short_name or "",
        "kind": texts["kinds"][unit.kind],
        "sheet": unit.sheet,
        "emails": ", ".join(unit.emails),
        "supervisor_email": unit.supervisor_email or "",
        "active": texts["yes_words"][0],
    }
    return [values[key] for key, _ in headers("units")]


def write_control_workbook(config: Config, path: Path) -> list[str]:
    """Write the control workbook to ``path`` (which must not exist); returns its tab names."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    texts = control_texts()
    book = Workbook()
    book.remove(book.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    choices = {
        ("units", "kind"): list(texts["kinds"].values()),
        ("units", "active"): [texts["yes_words"][0], texts["no_words"][0]],
        ("requests", "form"): [f.tab for f in config.forms],
        ("requests", "status"): list(texts["request_statuses"].values()),
        ("reviews", "form"): [f.tab for f in config.forms],
        ("reviews", "decision"): list(texts["decisions"].values()),
    }
    for tab in ("units", "requests", "reviews"):
        sheet = book.create_sheet(tab_name(tab))
        columns = headers(tab)
        sheet.append([header for _, header in columns])
        notes = texts.get("notes", {}).get(tab, {})
        for index, (key, _) in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if key in notes:
                cell.comment = Comment(notes[key], "Hệ thống báo cáo")
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = WIDTHS.get(key, OTHER_WIDTH) if tab == "units" else OTHER_WIDTH
            if (tab, key) in choices:
                listed = ",".join(choices[(tab, key)])
                rule = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=True)
                rule.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
                sheet.add_data_validation(rule)
        sheet.freeze_panes = "A2"
        if tab == "units":
            for unit in config.units:
                sheet.append(unit_row(config, unit))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return book.sheetnames
