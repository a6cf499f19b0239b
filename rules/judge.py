"""The judgement: for every unit × form × period in view, is the report in, complete, on time?

Pure functions of (config, what the sources returned, what the state remembers, today).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rules.calendar import WorkingDays, periods_in_view
from rules.forms import FormReading, read_form
from rules.grids import UnitGrids
from rules.messages import finding_text
from rules.model import (
    COMPLETE_LATE,
    COMPLETE_ON_TIME,
    INCOMPLETE,
    MISSING,
    NOT_YET_DUE,
    Finding,
    Judgement,
    Period,
    PeriodSummary,
    ReportStatus,
)
from rules.validation import check_rule
from settings.schema import Config, Unit

Key = tuple[str, str, str]


@dataclass
class UnitReading:
    """Everything read for one unit: its forms, and what stopped a form or the unit being read."""

    unit_id: str
    forms: dict[str, FormReading] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def owed_forms(config: Config, unit: Unit) -> dict[str, list[str]]:
    """Period types (and ad-hoc period ids) per form that ``unit`` owes."""
    owed: dict[str, list[str]] = {}
    for ob in config.calendar.obligations:
        if ob.units is not None and unit.id not in ob.units:
            continue
        if ob.unit_kinds is not None and unit.kind not in ob.unit_kinds:
            continue
        owed.setdefault(ob.form, []).extend(p for p in ob.periods if p not in owed.get(ob.form, []))
    for spec in config.calendar.ad_hoc:
        if spec.units is None or unit.id in spec.units:
            for form in spec.forms:
                owed.setdefault(form, []).append(spec.id)
    return owed


def owed_tabs(config: Config, unit: Unit) -> list[str]:
    """The tab titles a source must read for ``unit``."""
    return [config.form(key).tab for key in owed_forms(config, unit)]


def read_unit(config: Config, fetch: UnitGrids) -> UnitReading:
    """Turn what a source fetched into typed form readings and unit-level findings."""
    reading = UnitReading(unit_id=fetch.unit_id)
    if fetch.problem is not None:
        reading.findings.append(
            Finding(fetch.unit_id, fetch.problem.code, finding_text(fetch.problem.code, **fetch.problem.details))
        )
        return reading
    available = ", ".join(f"«{t}»" for t in fetch.available_tabs) or "(không có)"
    for form in config.forms:
        if form.tab in fetch.missing_tabs:
            reading.findings.append(
                Finding(
                    fetch.unit_id,
                    "missing_tab",
                    finding_text("missing_tab", tab=form.tab, available=available),
                    form_key=form.key,
                    tab=form.tab,
                )
            )
        elif form.tab in fetch.grids:
            tab = fetch.actual_titles.get(form.tab, form.tab)
            form_reading = read_form(form, fetch.grids[form.tab], tab, fetch.unit_id, config.calendar)
            reading.forms[form.key] = form_reading
            reading.findings.extend(form_reading.findings)
    return reading


STANDARD = ("monthly", "six_monthly", "yearly")


def _periods(owed: list[str], in_view: dict[str, list[tuple[Period, dt.date]]]) -> list[tuple[Period, dt.date]]:
    """The periods in view for what a unit owes of one form (period types and ad-hoc ids)."""
    periods = [pd for kind in owed if kind in STANDARD for pd in in_view[kind]]
    periods += [pd for pd in in_view["ad_hoc"] if pd[0].id in owed]
    return sorted(periods, key=lambda pd: (pd[0].end, pd[0].start))


def judge_report(
    config: Config,
    unit: Unit,
    form_key: str,
    period: Period,
    deadline: dt.date,
    reading: UnitReading,
    today: dt.date,
    remembered: dt.date | None,
    new_unit: bool,
) -> ReportStatus:
    """The status of one report; ``remembered`` is when the service first saw it complete, and
    ``new_unit`` says the service had not read this unit's sheet before today."""
    form = config.form(form_key)
    report = ReportStatus(unit.id, form_key, period, deadline, status=MISSING)
    form_reading = reading.forms.get(form_key)
    records = form_reading.records.get(period.id, []) if form_reading else []
    if not records:
        report.status = NOT_YET_DUE if today <= deadline else MISSING
        report.overdue = today > deadline
        return report

    for record in records:
        report.findings.extend(record.findings)
        for rule in config.rules_for(form_key):
            found = check_rule(rule, form, record.values, record.cells, unit.id, period.id, form_reading.tab)
            if found:
                report.findings.append(found)
    if form.layout == "list":
        report.rows = [r.values for r in records]
        if len(records) < form.min_rows:
            report.findings.append(
                Finding(
                    unit.id,
                    "too_few_rows",
                    finding_text(
                        "too_few_rows",
                        period=period.label,
                        tab=form_reading.tab,
                        count=len(records),
                        min_rows=form.min_rows,
                    ),
                    form_key=form_key,
                    period_id=period.id,
                    tab=form_reading.tab,
                )
            )
    else:
        report.values = records[-1].values

    complete = not form_reading.missing_required and not any(f.blocking for f in report.findings)
    if not complete:
        report.status = INCOMPLETE
        report.overdue = today > deadline
        return report
    report.submitted_on = _submitted_on(records, today, remembered, new_unit)
    report.status = COMPLETE_ON_TIME if report.submitted_on <= deadline else COMPLETE_LATE
    return report


def _submitted_on(records: list, today: dt.date, remembered: dt.date | None, new_unit: bool) -> dt.date:
    """When the report counts as submitted.

    The first day the service saw it complete; the first time the service reads a unit's sheet,
    the unit's own report date stands in for what was already there, since the service was not
    there to see it arrive.
    """
    if remembered is not None and remembered <= today:
        return remembered
    if new_unit:
        dates = [r.report_date for r in records if r.report_date is not None and r.report_date <= today]
        if dates:
            return max(dates)
    return today


def judge(
    config: Config,
    readings: dict[str, UnitReading],
    today: dt.date,
    first_complete: dict[Key, dt.date],
    units_read: dict[str, dt.date],
    unit_ids: list[str] | None = None,
) -> Judgement:
    """Judge every unit (or those in ``unit_ids``) on ``today``.

    ``first_complete`` is when each report was first seen complete, ``units_read`` when each
    unit's sheet was first read; dates after ``today`` (a preview run) are not trusted.
    """
    working = WorkingDays(config.calendar)
    in_view = {kind: periods_in_view(kind, config.calendar, today, working) for kind in (*STANDARD, "ad_hoc")}
    reports: list[ReportStatus] = []
    unit_findings: list[Finding] = []
    newly_complete: dict[Key, dt.date] = {}
    for unit in config.units:
        if unit_ids is not None and unit.id not in unit_ids:
            continue
        reading = readings.get(unit.id, UnitReading(unit.id))
        unit_findings.extend(reading.findings)
        first_read = units_read.get(unit.id)
        new_unit = first_read is None or first_read >= today
        for form_key, kinds in owed_forms(config, unit).items():
            for period, deadline in _periods(kinds, in_view):
                key = (unit.id, form_key, period.id)
                remembered = first_complete.get(key)
                trusted = remembered if remembered is not None and remembered <= today else None
                report = judge_report(config, unit, form_key, period, deadline, reading, today, trusted, new_unit)
                reports.append(report)
                if report.complete and trusted is None:
                    newly_complete[key] = report.submitted_on
    return Judgement(today, reports, summarise(reports), unit_findings, newly_complete)


def summarise(reports: list[ReportStatus]) -> list[PeriodSummary]:
    """Counts per form and period, in the order periods end."""
    summaries: dict[tuple[str, str], PeriodSummary] = {}
    for report in reports:
        key = (report.form_key, report.period.id)
        summary = summaries.setdefault(key, PeriodSummary(report.form_key, report.period, report.deadline))
        summary.expected += 1
        summary.submitted += report.status in (COMPLETE_ON_TIME, COMPLETE_LATE, INCOMPLETE)
        summary.complete += report.complete
        summary.on_time += report.status == COMPLETE_ON_TIME
        summary.late += report.status == COMPLETE_LATE
        summary.incomplete += report.status == INCOMPLETE
        summary.missing += report.status == MISSING
        summary.not_yet_due += report.status == NOT_YET_DUE
    return sorted(summaries.values(), key=lambda s: (s.period.end, s.period.start, s.form_key))
