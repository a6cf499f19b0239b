"""The consolidated figures as the tables of an .xlsx workbook: summary, one sheet per report, the
list forms' rows, findings.

Pure: each sheet is a ``Table`` (its title block, typed columns, rows, totals) built from the
figures; consolidation/xlsx.py lays tables out for print with openpyxl. Every Vietnamese word
comes from templates/mail.yaml (``workbook:``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from consolidation.figures import LIST_ROWS, Consolidation, Section
from consolidation.names import period_name, period_short
from consolidation.texts import mail_text
from rules.messages import importance_text, status_text
from settings.schema import Config, Form
from vntext import vn_date

# What a column holds, which sets its cell format and width: the field types of a form, plus
# the row number, a unit's name, a status and a long text that wraps.
INDEX, NAME, STATUS, LONG_TEXT = "index", "name", "status", "long_text"
NUMERIC_KINDS = frozenset({"integer", "number", "percent"})
SHEET_NAME_LIMIT = 31  # Excel's; it also forbids []:*?/\ in a sheet's name
# The fill of a status cell (RGB), in workbooks and the tabs written back into Google Sheets;
# worded too: the status text is in the cell. A report not yet due has none.
STATUS_FILLS = {
    "complete_on_time": "C6EFCE",
    "complete_late": "FFEB9C",
    "incomplete": "F8CBAD",
    "missing": "FFC7CE",
    "unreadable": "D9D9D9",
}


# A summary sheet carries the status chart of each report when there are this few (not a digest's).
CHARTED_SECTIONS = 2


@dataclass(frozen=True)
class Column:
    label: str
    kind: str  # a form field's type ("integer", "text", "date"…) or INDEX, NAME, STATUS, LONG_TEXT


@dataclass
class Table:
    """One sheet: a title block above a header row, rows, and a totals row if any."""

    name: str
    title: list[str]
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    statuses: list[str | None] = field(default_factory=list)  # per row: the status its cell shows
    totals: list[Any] | None = None
    extra: Table | None = None  # a second table under the first (the summary's indicator totals)
    images: list[bytes] = field(default_factory=list)  # PNG charts placed under the tables


def _label(key: str, **variables: Any) -> str:
    return mail_text("workbook", key, **variables)


def number(value: Any) -> Any:
    """Decimal → int or float, so Excel sees a number; "" → an empty cell."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return None if value == "" else value


def _title(config: Config, consolidation: Consolidation, heading: str, period: str = "") -> list[str]:
    lines = [config.organisation.name, heading]
    if period:
        lines.append(period)
    lines.append(_label("as_of", date=vn_date(consolidation.today)))
    return lines


def sheet_name(text: str, taken: set[str]) -> str:
    """``text`` as a sheet may be named: no []:*?/\\, at most 31 characters, unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", "-", text).strip()[:SHEET_NAME_LIMIT].strip()
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        name, n = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _tab_and_period(tab: str, period: str) -> str:
    """The sheet name «Cam kết hằng tháng T7/2023»: a tab too long for the period is cut, not the period."""
    room = SHEET_NAME_LIMIT - len(period) - 1
    return f"{tab if len(tab) <= room else tab[: room - 1].rstrip() + '…'} {period}"


def summary_table(config: Config, consolidation: Consolidation, taken: set[str]) -> Table:
    """Counts and rates per report; under them, the total of every numeric indicator."""
    keys = ("expected", "submitted", "complete", "on_time", "late", "incomplete", "missing", "unreadable")
    rates = ("submitted_rate", "complete_rate", "on_time_rate")
    columns = [Column(_label("form"), "text"), Column(_label("period"), "text"), Column(_label("deadline"), "date")]
    columns += [Column(_label(k), "integer") for k in keys] + [Column(_label(k), "percent") for k in rates]
    table = Table(sheet_name(_label("summary"), taken), _title(config, consolidation, consolidation.topic), columns)
    totals = Table("", [], [Column(_label(k), kind) for k, kind in TOTALS_COLUMNS])
    for s in consolidation.sections:
        summary, period = s.summary, period_name(config, s.period)
        counts = [summary.expected, summary.submitted, summary.complete, summary.on_time, summary.late]
        counts += [summary.incomplete, summary.missing, len(s.unreadable_units)]
        shares = [summary.rate(summary.submitted), summary.rate(summary.complete), summary.rate(summary.on_time)]
        table.rows.append([s.form.tab, period, s.deadline, *counts, *shares])
        table.statuses.append(None)
        for indicator, total in zip(s.indicators, s.totals, strict=True):
            if indicator.numeric:
                totals.rows.append([s.form.tab, period, indicator.label, number(total)])
                totals.statuses.append(None)
    table.extra = totals
    return table


TOTALS_COLUMNS = (("form", "text"), ("period", "text"), ("indicator", LONG_TEXT), ("total", "number"))


def _field_kind(form: Form, key: str) -> str:
    return "integer" if key == LIST_ROWS else form.field(key).type


def _text_fields(form: Form) -> list[str]:
    """The text a per-period report gives beyond its indicators (difficulties, notes…)."""
    if form.layout == "list":
        return []
    return [f.key for f in form.fields if f.type == "text" and f.key not in form.key_indicators]


def section_table(config: Config, consolidation: Consolidation, s: Section, taken: set[str]) -> Table:
    """Every unit's row of one report, its indicators and texts, then the totals row."""
    texts = _text_fields(s.form)
    columns = [Column(_label("number"), INDEX), Column(_label("unit_id"), "text"), Column(_label("unit"), NAME)]
    columns += [Column(_label("status"), STATUS), Column(_label("submitted_on"), "date")]
    columns += [Column(i.label, _field_kind(s.form, i.key)) for i in s.indicators]
    columns += [Column(s.form.field(k).label, LONG_TEXT) for k in texts]
    period = _label("period_line", period=period_name(config, s.period), deadline=vn_date(s.deadline))
    name = sheet_name(_tab_and_period(s.form.tab, period_short(config, s.period)), taken)
    table = Table(name, _title(config, consolidation, s.form.title, period), columns)
    for n, row in enumerate(s.rows, start=1):
        report = row.report
        values = [number(v) for v in row.values] + [number(report.values.get(k)) for k in texts]
        table.rows.append([n, row.unit.id, row.unit.name, status_text(report.status), report.submitted_on, *values])
        table.statuses.append(report.status)
    sums = [number(t) if i.numeric else None for i, t in zip(s.indicators, s.totals, strict=True)]
    table.totals = [None, None, _label("total"), None, None, *sums, *[None] * len(texts)]
    return table


def list_table(config: Config, consolidation: Consolidation, s: Section, taken: set[str]) -> Table:
    """The rows of a list form (exemplary people) across units, each with its unit."""
    columns = [Column(_label("number"), INDEX), Column(_label("unit"), NAME)]
    columns += [Column(f.label, LONG_TEXT if f.type == "text" else f.type) for f in s.form.fields]
    period = _label("period_line", period=period_name(config, s.period), deadline=vn_date(s.deadline))
    name = sheet_name(_label("list_sheet", form=s.form.tab, period=period_short(config, s.period)), taken)
    table = Table(name, _title(config, consolidation, s.form.title, period), columns)
    for row in s.rows:
        for record in row.report.rows:
            values = [number(record.get(f.key)) for f in s.form.fields]
            table.rows.append([len(table.rows) + 1, row.unit.name, *values])
            table.statuses.append(None)
    return table


def findings_table(config: Config, consolidation: Consolidation, taken: set[str]) -> Table:
    columns = [Column(_label("number"), INDEX), Column(_label("form"), "text"), Column(_label("period"), "text")]
    columns += [Column(_label("unit_id"), "text"), Column(_label("unit"), NAME), Column(_label("cell"), "text")]
    columns += [Column(_label("severity"), "text"), Column(_label("message"), LONG_TEXT)]
    title = _title(config, consolidation, _label("findings_title"))
    table = Table(sheet_name(_label("findings"), taken), title, columns)
    for s in consolidation.sections:
        period = period_name(config, s.period)
        for row in s.rows_with_findings:
            for finding in row.findings:
                values = [s.form.tab, period, row.unit.id, row.unit.name, finding.cell]
                table.rows.append([len(table.rows) + 1, *values, importance_text(finding.severity), finding.message])
                table.statuses.append(None)
    return table


def workbook_tables(config: Config, consolidation: Consolidation) -> list[Table]:
    """The sheets in order: summary, each report (and a list form's rows after it), findings."""
    taken: set[str] = set()
    tables = [summary_table(config, consolidation, taken)]
    if len(consolidation.sections) <= CHARTED_SECTIONS:  # a report's summary shows who is where; a digest's has none
        from consolidation.charts import status_chart

        tables[0].images = [status_chart(s) for s in consolidation.sections]
    for s in consolidation.sections:
        tables.append(section_table(config, consolidation, s, taken))
        if s.form.layout == "list":
            tables.append(list_table(config, consolidation, s, taken))
    tables.append(findings_table(config, consolidation, taken))
    return tables


def workbook_bytes(config: Config, consolidation: Consolidation) -> bytes:
    """The .xlsx file as bytes, ready to attach (openpyxl is loaded only now)."""
    from consolidation.xlsx import tables_xlsx

    return tables_xlsx(workbook_tables(config, consolidation))
