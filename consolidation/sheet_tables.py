"""The tabs `run` writes back, as tables of cells built from the judgement: the office's status
tab (units × reports, status coloured as in the workbook, submission date, last read, findings,
a link to each unit's sheet) and a unit's feedback tab (its open findings, each linked to its cell).

Pure: the Google writer (sync/google_write.py) and the local workbook (consolidation/status_xlsx.py)
lay the same tables out. Every word comes from templates/mail.yaml (``sheet_tabs``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from consolidation.finding_lines import finding_place
from consolidation.names import period_name, period_short, short_unit_name
from consolidation.texts import mail_text
from consolidation.workbook import STATUS_FILLS
from rules.model import Finding, Judgement, Period, ReportStatus
from settings.schema import Config, Unit
from vntext import fold, vn_date

HEADER_FILL = "DDEBF7"  # as the workbook's header
# Findings told to the office only: the unit changed what it had delivered, nothing for it to fix.
OFFICE_ONLY = frozenset({"submitted_data_changed", "submitted_data_removed"})
CellValue = str | int | dt.date | None


@dataclass(frozen=True)
class Cell:
    value: CellValue = None
    fill: str | None = None  # RGB, "C6EFCE"
    bold: bool = False
    link: str | None = None  # the address the cell's text opens


@dataclass(frozen=True)
class SheetTable:
    """One tab: its title, its rows from A1, how many rows and columns stay in view, widths in px."""

    title: str
    rows: list[list[Cell]]
    frozen_rows: int = 0
    frozen_columns: int = 0
    widths: list[int] = field(default_factory=list)

    def values(self) -> list[list[CellValue]]:
        """What the tab shows, without formats or links (what a change is detected by)."""
        return [[c.value for c in row] for row in self.rows]


def _text(*path: str, **variables: object) -> str:
    return mail_text("sheet_tabs", *path, **variables)


def status_tab_title() -> str:
    return _text("status", "tab")


def feedback_tab_title() -> str:
    return _text("feedback", "tab")


def _header(value: str) -> Cell:
    return Cell(value, HEADER_FILL, bold=True)


def _report_columns(config: Config, judgement: Judgement) -> list[tuple[str, Period]]:
    """(form key, period) of every report judged, by form in config's order, newest period first:
    on a narrow screen the newest are in view."""
    columns: dict[tuple[str, str], tuple[str, Period, dt.date]] = {}
    for report in judgement.reports:
        columns.setdefault((report.form_key, report.period.id), (report.form_key, report.period, report.deadline))
    order = {f.key: i for i, f in enumerate(config.forms)}
    ranked = sorted(columns.values(), key=lambda c: (order.get(c[0], len(order)), -c[2].toordinal(), c[1].id))
    return [(form_key, period) for form_key, period, _ in ranked]


def by_unit(judgement: Judgement) -> dict[str, Judgement]:
    """The judgement of each unit judged, on its own: tables of thousands of units look each one up
    once instead of going through every report for every unit."""
    reports: dict[str, list[ReportStatus]] = {}
    for report in judgement.reports:
        reports.setdefault(report.unit_id, []).append(report)
    findings: dict[str, list[Finding]] = {}
    for finding in judgement.unit_findings:
        findings.setdefault(finding.unit_id, []).append(finding)
    return {
        unit_id: replace(
            judgement, reports=mine, summaries=[], unit_findings=findings.get(unit_id, []), newly_accepted={},
            changes_seen={}, unreadable_since={k: v for k, v in judgement.unreadable_since.items() if k == unit_id},
        )
        for unit_id, mine in reports.items()
    }  # fmt: skip


def open_findings(judgement: Judgement, unit_id: str) -> list[Finding]:
    """What a unit has to fix: its findings but those told to the office only, each once."""
    found = [f for f in judgement.findings(unit_id) if f.code not in OFFICE_ONLY]
    return list({(f.form_key, f.period_id, f.cell, f.message): f for f in found}.values())


def status_table(
    config: Config, judgement: Judgement, last_read: Mapping[str, dt.date | None], link: Callable[[Unit], str | None]
) -> SheetTable:
    """Units × reports: two columns per report (its status, coloured, and its submission date),
    after the unit's code, name, sheet, the last day its sheet was read and its open findings."""
    columns = _report_columns(config, judgement)
    by_cell: dict[tuple[str, str, str], ReportStatus] = {
        (r.unit_id, r.form_key, r.period.id): r for r in judgement.reports
    }
    tabs = {f.key: f.tab for f in config.forms}
    fixed = [_text("status", k) for k in ("unit_id", "unit", "sheet", "last_read", "findings")]
    forms_row = [_header("") for _ in fixed]
    periods_row = [_header(label) for label in fixed]
    for index, (form_key, period) in enumerate(columns):
        first = index == 0 or columns[index - 1][0] != form_key  # the form named over its first column only
        forms_row += [_header(tabs.get(form_key, form_key) if first else ""), _header("")]
        periods_row += [_header(period_short(config, period)), _header(_text("status", "submitted_on"))]
    title = [Cell(_text("status", "title", date=vn_date(judgement.today)), bold=True)]
    rows = [title, [Cell(_text("status", "note"))], forms_row, periods_row]
    judged = by_unit(judgement)
    for unit in config.units:
        if unit.id not in judged:
            continue
        address = link(unit)
        row = [
            Cell(unit.id),
            Cell(short_unit_name(unit)),
            Cell(_text("status", "open_sheet") if address else unit.sheet, link=address),
            Cell(last_read.get(unit.id)),
            Cell(len(judged[unit.id].findings())),  # as the board counts them: the office's own too
        ]
        for form_key, period in columns:
            report = by_cell.get((unit.id, form_key, period.id))
            if report is None:
                row += [Cell(), Cell()]
                continue
            row += [
                Cell(mail_text("status_marks", report.status), STATUS_FILLS.get(report.status)),
                Cell(report.submitted_on),
            ]
        rows.append(row)
    widths = [60, 160, 110, 100, 60] + [110, 90] * len(columns)
    return SheetTable(status_tab_title(), rows, frozen_rows=4, frozen_columns=2, widths=widths)


def feedback_table(
    config: Config, judgement: Judgement, unit: Unit, cell_link: Callable[[str, str], str | None]
) -> SheetTable:
    """A unit's open findings, one a row (report, period, column, row, cell, what to fix), each
    cell linked to where it is; one row saying there are none when all are fixed.

    ``cell_link(tab, cell)`` is the address of a cell of one of the unit's tabs (None: unknown);
    ``judgement`` may be the unit's alone (by_unit)."""
    periods = {r.period.id: r.period for r in judgement.reports if r.unit_id == unit.id}
    tabs = {f.key: f.tab for f in config.forms}
    headers = [_text("feedback", k) for k in ("report", "period", "column", "row", "cell", "problem")]
    rows = [
        [Cell(_text("feedback", "title", office_name=config.organisation.office_name), bold=True)],
        [Cell(_text("feedback", "note"))],
        [_header(h) for h in headers],
    ]
    findings = open_findings(judgement, unit.id)
    for finding in findings:
        place = finding_place(finding)
        tab = finding.tab or (tabs.get(finding.form_key, "") if finding.form_key else "")
        period = periods.get(finding.period_id or "")
        rows.append(
            [
                Cell(tab),
                Cell(period_name(config, period) if period else ""),
                Cell(place.label),
                Cell(place.row),
                Cell(place.cell, link=cell_link(tab, place.cell) if tab and place.cell else None),
                Cell(place.problem[:1].upper() + place.problem[1:]),
            ]
        )
    if not findings:
        rows.append([Cell(_text("feedback", "none"), bold=True)])
    return SheetTable(feedback_tab_title(), rows, frozen_rows=3, widths=[150, 130, 160, 50, 60, 520])


def same_tab(title: str, other: str) -> bool:
    """Whether two tab titles name the same tab (case, spacing and Unicode composition aside)."""
    return fold(title) == fold(other)
