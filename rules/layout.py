"""What a unit's tab should look like for a form — the header labels and where they go, each
column's validation, width and input hint — and the help tab's text.

Pure: the sources (sync/sheet_*.py) turn it into Sheets requests or an openpyxl workbook, so
both give units the same tabs. Texts are in templates/sheet.yaml.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from rules.calendar import WorkingDays, due_date, periods_in_view
from rules.judge import owed_forms
from rules.messages import period_label
from settings.schema import Config, Form, FormField, Unit
from vntext import ascii_fold, clean_text, fold, format_number, is_missing, vn_date

SHEET_TEXTS = Path(__file__).resolve().parent.parent / "templates" / "sheet.yaml"
# Column widths in pixels (Google's unit; the workbook converts), by what the column holds.
WIDTHS = {"period": 170, "report_date": 120, "date": 120, "integer": 120, "number": 130, "percent": 110,
          "choice": 170, "text": 260}  # fmt: skip
HELP_WIDTH = 900


@lru_cache(maxsize=1)
def sheet_texts() -> dict[str, Any]:
    return yaml.load(SHEET_TEXTS.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def _text(*path: str, **parts: Any) -> str:
    node: Any = sheet_texts()
    for key in path:
        node = node[key]
    return str(node).format(**parts)


def help_tab_title() -> str:
    return _text("help_tab")


def protected_header_text() -> str:
    return _text("protected_header")


def protected_help_text() -> str:
    return _text("protected_help")


def invalid_title() -> str:
    return _text("invalid_title")


@dataclass(frozen=True)
class Validation:
    """What a column's cells may hold: a whole number, a number, one of a list, or a date."""

    kind: Literal["whole", "decimal", "list", "date"]
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    """One column a form's tab should have."""

    label: str
    aliases: tuple[str, ...]
    width: int
    hint: str  # the header cell's note and the input message of the column's validation ("" for none)
    validation: Validation | None = None


@dataclass(frozen=True)
class TabLayout:
    form_key: str
    tab: str
    header_row: int  # 1-based, as config says
    columns: tuple[Column, ...]


def _bounds(minimum: float | None, maximum: float | None) -> str:
    low, high = (format_number(v) if v is not None else None for v in (minimum, maximum))
    if low is not None and high is not None:
        return _text("bounds", "between", min=low, max=high)
    if low is not None:
        return _text("bounds", "at_least", min=low)
    return _text("bounds", "at_most", max=high) if high is not None else ""


def field_column(spec: FormField, year: int) -> Column:
    """The column of one field: integers whole, percents 0–100 unless the form bounds them, dates
    valid dates, choices from their list; text columns take anything."""
    aliases = tuple(spec.aliases)
    width = WIDTHS[spec.type]
    if spec.type == "text":
        return Column(spec.label, aliases, width, "")
    if spec.type == "choice":
        choices = tuple(spec.choices or ())
        hint = _text("hints", "choice", choices=", ".join(choices))
        return Column(spec.label, aliases, width, hint, Validation("list", choices=choices))
    if spec.type == "date":
        return Column(spec.label, aliases, width, _text("hints", "date", year=year), Validation("date"))
    low, high = spec.min, spec.max
    if spec.type == "percent":
        low, high = (0.0 if low is None else low), (100.0 if high is None else high)
    kind = "whole" if spec.type == "integer" else "decimal"
    hint = _text("hints", spec.type, bounds=_bounds(low, high))
    if kind == "decimal" and low is None and high is None:
        return Column(spec.label, aliases, width, hint)  # any number: nothing a rule could add
    return Column(spec.label, aliases, width, hint, Validation(kind, low, high))


def period_examples(form: Form, config: Config, unit: Unit, year: int) -> list[str]:
    """How to type a period of each kind ``unit`` owes of ``form``, as parse_period reads them."""
    owed = owed_forms(config, unit).get(form.key, [])
    examples = [period_label(kind, month=3, year=year) for kind in ("monthly", "six_monthly", "yearly") if kind in owed]
    examples += [spec.aliases[0] for spec in config.calendar.ad_hoc if spec.id in owed and spec.aliases]
    return examples


def tab_layout(form: Form, config: Config, unit: Unit, year: int) -> TabLayout:
    """The columns of ``form``'s tab in form order: period, report date, then the fields."""
    examples = ", ".join(f"«{e}»" for e in period_examples(form, config, unit, year)[:3])
    columns = [Column(form.period_label, (), WIDTHS["period"], _text(
        "hints", "period", examples=examples, help_tab=help_tab_title()))]  # fmt: skip
    if form.report_date_label:
        hint = _text("hints", "report_date", year=year)
        columns.append(Column(form.report_date_label, (), WIDTHS["report_date"], hint, Validation("date")))
    columns += [field_column(spec, year) for spec in form.fields]
    return TabLayout(form.key, form.tab, form.header_row, tuple(columns))


def unit_layouts(config: Config, unit: Unit, year: int) -> list[TabLayout]:
    """A layout for every tab ``unit`` owes, in config's order of forms."""
    owed = owed_forms(config, unit)
    return [tab_layout(form, config, unit, year) for form in config.forms if form.key in owed]


# --- the header -------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeaderPlan:
    """Where each column of a layout is (0-based, by label) and the header cells to (re)write."""

    positions: dict[str, int]
    writes: dict[int, tuple[str, str]] = field(default_factory=dict)  # column → (old text, label)


def plan_header(columns: Sequence[Column], current: Sequence[Any]) -> HeaderPlan:
    """Keep every header cell that already reads as its column (the reader folds case, spacing,
    Unicode form and tone placement); retitle in place a cell that lacks only its diacritics, so
    the data under it keeps its meaning; put the columns still missing after the last titled
    cell, or in form order on an empty row. Other cells are the unit's extra columns: untouched.
    """
    cells = ["" if is_missing(v) else clean_text(v) for v in current]
    claimed: set[int] = set()
    positions: dict[str, int] = {}
    writes: dict[int, tuple[str, str]] = {}

    def claim(column: Column, key: Any) -> None:
        names = {key(name) for name in (column.label, *column.aliases)}
        for index, cell in enumerate(cells):
            if cell and index not in claimed and key(cell) in names:
                claimed.add(index)
                positions[column.label] = index
                if key is ascii_fold:
                    writes[index] = (cell, column.label)
                return

    for column in columns:
        claim(column, fold)
    for column in columns:
        if column.label not in positions:
            claim(column, ascii_fold)
    titled = [i for i, cell in enumerate(cells) if cell]
    free = (titled[-1] + 1) if titled else 0
    for column in columns:
        if column.label not in positions:
            positions[column.label] = free
            writes[free] = (cells[free] if free < len(cells) else "", column.label)
            free += 1
    return HeaderPlan(positions, writes)


# --- the help tab -----------------------------------------------------------------------------
def help_rows(config: Config, unit: Unit, today: dt.date) -> list[str]:
    """The help tab of ``unit``, one line a row: its tabs, how to type each period it owes (the
    labels and aliases rules/calendar.py reads), numbers, dates and percents."""
    year = today.year
    owed = owed_forms(config, unit)
    forms = [form for form in config.forms if form.key in owed]
    header_row = min((form.header_row for form in forms), default=1)
    rows = [_text("help", "title", unit=unit.name), ""]
    rows.append(_text("help", "layout", header_row=header_row, first_row=header_row + 1))
    for form in forms:
        rows.append(_text("help", form.layout, tab=form.tab, title=form.title, period_label=form.period_label))
    rows += ["", _text("help", "periods_title")]
    kinds = {kind for kinds in owed.values() for kind in kinds}
    cutoff = config.calendar.cutoff_day
    if "monthly" in kinds:
        label = period_label("monthly", month=3, year=year)
        rows.append(_text("help", "monthly", label=label, numeric=f"03/{year}", short=f"T3/{year}"))
        if cutoff > 1:
            rows.append(_text("help", "monthly_span", cutoff=cutoff, last=cutoff - 1))
    if "six_monthly" in kinds:
        rows.append(_text("help", "six_monthly", label=period_label("six_monthly", year=year), short=f"6T/{year}"))
    if "yearly" in kinds:
        rows.append(_text("help", "yearly", label=period_label("yearly", year=year), short=str(year)))
    working_days = WorkingDays(config.calendar)
    for period, _deadline in periods_in_view("ad_hoc", config.calendar, today, working_days):
        spec = next(a for a in config.calendar.ad_hoc if a.id == period.id)
        if spec.id in kinds:
            deadline = vn_date(due_date(period, config.calendar, working_days))
            rows.append(_text("help", "ad_hoc", label=spec.label, alias=(spec.aliases or [spec.label])[0],
                              deadline=deadline))  # fmt: skip
    rows += ["", _text("help", "values_title"), _text("help", "numbers"), _text("help", "dates", year=year)]
    if any(spec.type == "percent" for form in forms for spec in form.fields):
        rows.append(_text("help", "percents"))
    return rows
