"""Reading a raw cell grid as a form: match headers, find each row's period, type every value.

Pure: (form, grid, calendar) → records and findings. Every cell that cannot be read becomes a
finding naming its cell, never an exception and never a silent zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from rules.calendar import parse_period
from rules.capping import cap_findings
from rules.grids import MAX_ROWS, UncomputedFormula
from rules.messages import finding_text
from rules.model import Finding, Period
from settings.schema import Calendar, Form, FormField
from vntext import (
    UnreadableValue,
    cell_ref,
    clean_text,
    display_value,
    error_value,
    fold,
    format_number,
    is_missing,
    parse_date,
    parse_integer,
    parse_number,
    parse_percent,
)


class CellRefs(Mapping[str, str]):
    """Field key → A1 reference of its cell in one row, made only when asked for: few findings
    need one, and building it for every cell of every unit cost more than reading the cell."""

    def __init__(self, tab: str, row_index: int, columns: Mapping[str, int]) -> None:
        self._tab, self._row, self._columns = tab, row_index, columns

    def __getitem__(self, key: str) -> str:
        return cell_ref(self._tab, self._row, self._columns[key])

    def __contains__(self, key: object) -> bool:
        return key in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


@dataclass
class Record:
    """One data row of a form, its values typed (None when empty or unreadable)."""

    period: Period
    row: int
    values: dict[str, Any]
    cells: Mapping[str, str]
    report_date: dt.date | None
    findings: list[Finding] = field(default_factory=list)
    report_date_cell: str | None = None


@dataclass
class FormReading:
    """A form's tab read: records by period id, and problems with the tab as a whole."""

    form_key: str
    tab: str
    records: dict[str, list[Record]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)


_PARSERS = {
    "integer": parse_integer,
    "number": parse_number,
    "percent": parse_percent,
    "date": parse_date,
}


def cell_problem(raw: Any) -> str | None:
    """Why a cell holds no value although it is not empty: a formula's error or a formula never
    computed (a finding code), or None."""
    if isinstance(raw, UncomputedFormula):
        return "formula_not_computed"
    return "formula_error" if error_value(raw) else None


def read_value(spec: FormField, raw: Any) -> Any:
    """The typed value of one cell; raise UnreadableValue with a reason code."""
    problem = cell_problem(raw)
    if problem:
        raise UnreadableValue(problem)
    if spec.type == "text":
        return _clean_cell(raw)
    if spec.type == "choice":
        choice = _choices(spec).get(fold(_clean_cell(raw)))
        if choice is None:
            raise UnreadableValue("not_a_choice")
        return choice
    value = _PARSERS[spec.type](raw)
    if spec.min is not None and value < _bound(spec.min):
        raise UnreadableValue("below_min")
    if spec.max is not None and value > _bound(spec.max):
        raise UnreadableValue("above_max")
    return value


@lru_cache(maxsize=256)
def _bound(limit: float) -> Decimal:
    """A field's min or max as the Decimal it is written as (asked for every cell)."""
    return Decimal(str(limit))


# The same texts (notes, choices, names) come back in every unit: each cleaned once. ``typed``
# keeps 1 and 1.0 (and True) apart, which clean to different texts.
_clean_cell = lru_cache(maxsize=65536, typed=True)(clean_text)


def _choices(spec: FormField) -> dict[str, str]:
    """A choice field's choices by their folded text (the first of those that fold alike), made
    once per field rather than folded again for every cell."""
    cached = _CHOICES.get(id(spec))
    if cached is None or cached[0] is not spec:
        index: dict[str, str] = {}
        for choice in spec.choices or ():
            index.setdefault(fold(choice), choice)
        cached = _CHOICES[id(spec)] = (spec, index)
    return cached[1]


_CHOICES: dict[int, tuple[FormField, dict[str, str]]] = {}


def _shows_value(raw: Any) -> bool:
    """Neither empty nor a formula showing no value: ``not (is_missing(raw) or cell_problem(raw))``
    with the common cells (numbers, dates, plain text) decided without the general checks."""
    kind = type(raw)
    if kind is float:
        return raw == raw  # NaN is an empty cell
    if kind is str:
        return not is_missing(raw) and not error_value(raw)
    if kind is int or kind is dt.date or kind is dt.datetime:
        return True
    return not (is_missing(raw) or cell_problem(raw))


@dataclass(frozen=True)
class _Layout:
    """Where a form's columns are in one header row: what read_form needs of the header, which
    depends on the form and the header's cells alone."""

    duplicates: list[tuple[int, Any]]  # (column, cell) of each header repeating an earlier one
    period_col: int | None
    date_col: int | None
    field_cols: dict[str, int]  # read, never changed, by every record of the tabs sharing it
    missing: list[FormField]  # fields whose column is not there


def _layout(form: Form, header: list[Any]) -> _Layout:
    columns: dict[str, int] = {}
    duplicates = []
    for index, raw in enumerate(header):
        if is_missing(raw):
            continue
        key = fold(str(raw))
        if key in columns:  # the first one kept
            duplicates.append((index, raw))
            continue
        columns[key] = index
    period_col = _find_column(columns, form.period_label)
    date_col = _find_column(columns, form.report_date_label) if form.report_date_label else None
    field_cols: dict[str, int] = {}
    missing = []
    for spec in form.fields:
        index = _find_column(columns, spec.label, *spec.aliases)
        if index is None:
            missing.append(spec)
        else:
            field_cols[spec.key] = index
    return _Layout(duplicates, period_col, date_col, field_cols, missing)


_LAYOUTS: dict[tuple[int, tuple[Any, ...]], tuple[Form, _Layout]] = {}


def _header_layout(form: Form, header: list[Any]) -> _Layout:
    """``_layout``, made once per form and header of plain text: every unit's tab has the same
    header, or one of a few. (A header holding other cells is read afresh: 1 and 1.0 are equal
    keys, but fold to different labels.)"""
    if not all(type(raw) is str or raw is None for raw in header):
        return _layout(form, header)
    key = (id(form), tuple(header))
    cached = _LAYOUTS.get(key)
    if cached is None or cached[0] is not form:
        if len(_LAYOUTS) > 4096:
            _LAYOUTS.clear()
        cached = _LAYOUTS[key] = (form, _layout(form, header))
    return cached[1]


def _duplicate_column(form: Form, unit_id: str, tab: str, row: int, index: int, raw: Any) -> Finding:
    return Finding(
        unit_id,
        "duplicate_column",
        finding_text("duplicate_column", label=clean_text(raw), cell=cell_ref(tab, row, index)),
        severity="medium",
        blocking=False,
        form_key=form.key,
        tab=tab,
        cell=cell_ref(tab, row, index),
        field_label=clean_text(raw),
    )


def _find_column(columns: dict[str, int], *labels: str) -> int | None:
    for label in labels:
        index = columns.get(fold(label))
        if index is not None:
            return index
    return None


def read_form(form: Form, grid: list[list[Any]], tab: str, unit_id: str, calendar: Calendar) -> FormReading:
    """Read ``grid`` (rows of raw cells from any source) as ``form``; ``tab`` is the actual title."""
    reading = FormReading(form_key=form.key, tab=tab)
    too_long = len(grid) > MAX_ROWS
    if too_long:
        grid = grid[:MAX_ROWS]
    header_index = form.header_row - 1
    header = grid[header_index] if len(grid) > header_index else []
    layout = _header_layout(form, list(header))
    reading.findings = [_duplicate_column(form, unit_id, tab, header_index, i, raw) for i, raw in layout.duplicates]

    def missing_column(label: str, blocking: bool) -> Finding:
        return Finding(
            unit_id,
            "missing_column",
            finding_text("missing_column", tab=tab, label=label, row=form.header_row),
            blocking=blocking,
            severity="high" if blocking else "low",
            form_key=form.key,
            tab=tab,
            field_label=label,
        )

    if too_long:
        reading.findings.append(
            Finding(
                unit_id,
                "too_many_rows",
                finding_text("too_many_rows", tab=tab, limit=format_number(MAX_ROWS), next=format_number(MAX_ROWS + 1)),
                severity="medium",
                blocking=False,
                form_key=form.key,
                tab=tab,
            )
        )
    period_col, date_col, field_cols = layout.period_col, layout.date_col, layout.field_cols
    if period_col is None:
        reading.findings.append(missing_column(form.period_label, True))
        return reading
    for spec in layout.missing:
        reading.findings.append(missing_column(spec.label, spec.required))
        if spec.required:
            reading.missing_required.append(spec.key)

    for row_index in range(header_index + 1, len(grid)):
        row = grid[row_index]
        # A row of nothing but formulas showing no value (a template's =C3/B3 giving #DIV/0!) is no data.
        if not any(map(_shows_value, row)):
            continue
        record = _read_row(form, row, row_index, tab, unit_id, calendar, period_col, date_col, field_cols)
        if record is None:
            raw = row[period_col] if period_col < len(row) else None
            reading.findings.append(_period_finding(form, raw, unit_id, tab, row_index, period_col))
            continue
        reading.records.setdefault(record.period.id, []).append(record)

    if form.layout == "per_period":
        for period_id, records in reading.records.items():
            for dropped in records[:-1]:
                cell = cell_ref(tab, dropped.row, period_col)
                reading.findings.append(
                    Finding(
                        unit_id,
                        "duplicate_period",
                        finding_text("duplicate_period", period=dropped.period.label, cell=cell),
                        severity="medium",
                        blocking=False,
                        form_key=form.key,
                        period_id=period_id,
                        tab=tab,
                        cell=cell,
                        field_label=form.period_label,
                    )
                )
            reading.records[period_id] = records[-1:]
    reading.findings = cap_findings(reading.findings)
    return reading


def _period_finding(form: Form, raw: Any, unit_id: str, tab: str, row_index: int, period_col: int) -> Finding:
    """Why a row with data belongs to no period: its period cell empty, a formula's error, or text
    that names no period."""
    cell = cell_ref(tab, row_index, period_col)
    if is_missing(raw):
        code, message = (
            "missing_period",
            finding_text("missing_period", cell=cell, label=form.period_label, row=row_index + 1),
        )
    elif problem := cell_problem(raw):
        code, message = problem, finding_text(problem, cell=cell, label=form.period_label, value=display_value(raw))
    else:
        code, message = "unknown_period", finding_text("unknown_period", cell=cell, value=display_value(raw))
    return Finding(unit_id, code, message, form_key=form.key, tab=tab, cell=cell, field_label=form.period_label)


def _read_row(
    form: Form,
    row: list[Any],
    row_index: int,
    tab: str,
    unit_id: str,
    calendar: Calendar,
    period_col: int,
    date_col: int | None,
    field_cols: dict[str, int],
) -> Record | None:
    def cell_value(index: int | None) -> Any:
        return row[index] if index is not None and index < len(row) else None

    raw_period = cell_value(period_col)
    period = parse_period(raw_period, calendar) if _shows_value(raw_period) else None
    if period is None:
        return None
    record = Record(
        period=period, row=row_index, values={}, cells=CellRefs(tab, row_index, field_cols), report_date=None
    )

    def finding(code: str, spec_label: str, cell: str, raw: Any = None, **extra: Any) -> Finding:
        return Finding(
            unit_id,
            code,
            finding_text(
                code, cell=cell, label=spec_label, value=display_value(raw) if raw is not None else "", **extra
            ),
            form_key=form.key,
            period_id=period.id,
            tab=tab,
            cell=cell,
            field_label=spec_label,
        )

    if date_col is not None and not is_missing(cell_value(date_col)):
        raw = cell_value(date_col)
        record.report_date_cell = cell_ref(tab, row_index, date_col)
        try:
            if problem := cell_problem(raw):
                raise UnreadableValue(problem)
            record.report_date = parse_date(raw)
        except UnreadableValue as exc:
            found = finding(exc.code, form.report_date_label or "", cell_ref(tab, row_index, date_col), raw)
            record.findings.append(Finding(**{**found.as_dict(), "blocking": False, "severity": "low"}))

    for spec in form.fields:
        index = field_cols.get(spec.key)
        if index is None:
            record.values[spec.key] = None
            continue
        raw = row[index] if index < len(row) else None
        kind = type(raw)
        # The common cells, read without the checks that cannot apply to them: a whole number in
        # an integer field (parse_integer's own fast path), text in a text field, a date cell in
        # a date field (which has no bounds).
        if kind is float and spec.type == "integer" and raw.is_integer() and abs(raw) < 2**53:
            value = int(raw)
            if (spec.min is None or value >= _bound(spec.min)) and (spec.max is None or value <= _bound(spec.max)):
                record.values[spec.key] = value
                continue
        elif kind is str and spec.type == "text" and _shows_value(raw):
            record.values[spec.key] = _clean_cell(raw)
            continue
        elif kind is dt.date and spec.type == "date":
            record.values[spec.key] = raw
            continue
        if is_missing(raw):
            record.values[spec.key] = None
            if spec.required:
                record.findings.append(finding("missing_value", spec.label, cell_ref(tab, row_index, index)))
            continue
        try:
            record.values[spec.key] = read_value(spec, raw)
        except UnreadableValue as exc:
            record.values[spec.key] = None
            extra = {
                "min": format_number(spec.min),
                "max": format_number(spec.max),
                "choices": ", ".join(spec.choices or ()),
            }
            shown = format_number(raw) if exc.code in ("below_min", "above_max") else raw
            record.findings.append(finding(exc.code, spec.label, cell_ref(tab, row_index, index), shown, **extra))
    return record
