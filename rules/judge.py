"""The judgement: for every unit × form × period in view, is the report in, complete, on time?

Pure functions of (config, what the sources returned, what the store remembers, today). What the
service once saw complete stays complete; a unit whose sheet cannot be read is neither late nor
missing; a unit's own report date cannot back-date a report the service was there to see arrive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from rules.accepted import TodaySheet, accepted_values, keep_accepted, show_records
from rules.calendar import WorkingDays, periods_in_view
from rules.capping import cap_findings
from rules.forms import FormReading, Record, read_form
from rules.grids import SourceProblem, UnitGrids, tab_twins
from rules.messages import finding_text
from rules.model import (
    COMPLETE_LATE,
    COMPLETE_ON_TIME,
    INCOMPLETE,
    MISSING,
    NOT_YET_DUE,
    UNREADABLE,
    Accepted,
    Finding,
    Judgement,
    Key,
    Period,
    PeriodSummary,
    ReportStatus,
)
from rules.validation import check_rule
from settings.schema import Config, Form, Unit
from vntext import vn_date


@dataclass
class UnitReading:
    """Everything read for one unit: its forms, and what stopped a form or the unit being read."""

    unit_id: str
    forms: dict[str, FormReading] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    problem: SourceProblem | None = None


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
    reading = UnitReading(unit_id=fetch.unit_id, problem=fetch.problem)
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
            twins = tab_twins(tab, fetch.available_tabs)
            if twins:
                reading.findings.append(_twins_finding(fetch.unit_id, form, tab, twins))
            form_reading = read_form(form, fetch.grids[form.tab], tab, fetch.unit_id, config.calendar)
            reading.forms[form.key] = form_reading
            reading.findings.extend(form_reading.findings)
    return reading


def _twins_finding(unit_id: str, form: Form, tab: str, twins: list[str]) -> Finding:
    """Several tabs that all read as the form's: the clerk must know which one counts."""
    return Finding(
        unit_id,
        "duplicate_tab",
        finding_text(
            "duplicate_tab",
            tab=form.tab,
            read=tab,
            count=len(twins) + 1,
            others=", ".join(f"«{t}»" for t in twins),
        ),
        severity="medium",
        blocking=False,
        form_key=form.key,
        tab=tab,
    )


STANDARD = ("monthly", "six_monthly", "yearly")


def _periods(owed: list[str], in_view: dict[str, list[tuple[Period, dt.date]]]) -> list[tuple[Period, dt.date]]:
    """The periods in view for what a unit owes of one form (period types and ad-hoc ids)."""
    periods = [pd for kind in owed if kind in STANDARD for pd in in_view[kind]]
    periods += [pd for pd in in_view["ad_hoc"] if pd[0].id in owed]
    return sorted(periods, key=lambda pd: (pd[0].end, pd[0].start))


@dataclass(frozen=True)
class Memory:
    """What the store remembers that a judgement depends on: reports once seen complete, the day
    the service first tried to read each unit (whatever the answer) and first read it, and since
    when a unit's sheet has been unreadable. Dates after ``today`` (a preview) are not trusted."""

    accepted: Mapping[Key, Accepted] = field(default_factory=dict)
    first_tried: Mapping[str, dt.date] = field(default_factory=dict)
    first_read: Mapping[str, dt.date] = field(default_factory=dict)
    unreadable_since: Mapping[str, dt.date] = field(default_factory=dict)


def _evaluate(
    config: Config, unit: Unit, form: Form, period: Period, reading: UnitReading, today: dt.date
) -> TodaySheet:
    form_reading = reading.forms.get(form.key)
    records = form_reading.records.get(period.id, []) if form_reading else []
    findings: list[Finding] = []
    dates: list[dt.date] = []
    for record in records:
        findings.extend(record.findings)
        for rule in config.rules_for(form.key):
            found = check_rule(rule, form, record.values, record.cells, unit.id, period.id, form_reading.tab)
            if found:
                findings.append(found)
        if record.report_date is None:
            continue
        if period.start <= record.report_date <= today:
            dates.append(record.report_date)
        else:
            findings.append(_report_date_finding(unit, form, period, record, today))
    if form.layout == "list" and records and len(records) < form.min_rows:
        findings.append(
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
                form_key=form.key,
                period_id=period.id,
                tab=form_reading.tab,
            )
        )
    complete = bool(records) and not form_reading.missing_required and not any(f.blocking for f in findings)
    return TodaySheet(records, cap_findings(findings), complete, dates)


def _report_date_finding(unit: Unit, form: Form, period: Period, record: Record, today: dt.date) -> Finding:
    """A report date in the future or before its period starts: shown at its cell, never used."""
    assert record.report_date is not None
    code = "report_date_future" if record.report_date > today else "report_date_before_period"
    return Finding(
        unit.id,
        code,
        finding_text(
            code,
            cell=record.report_date_cell,
            label=form.report_date_label,
            value=vn_date(record.report_date),
            start=vn_date(period.start),
            period=period.label,
        ),
        severity="low",
        blocking=False,
        form_key=form.key,
        period_id=period.id,
        tab=record.report_date_cell.split("!")[0].strip("'") if record.report_date_cell else None,
        cell=record.report_date_cell,
        field_label=form.report_date_label,
    )


def judge_report(
    config: Config,
    unit: Unit,
    form_key: str,
    period: Period,
    deadline: dt.date,
    reading: UnitReading,
    today: dt.date,
    accepted: Accepted | None,
    onboarding: bool,
) -> tuple[ReportStatus, dt.date | None]:
    """The status of one report, and since when an accepted report's sheet shows other values.

    ``accepted`` is the report as first seen complete (trusted: not after today); ``onboarding``
    says this is the service's first reading of the unit and the deadline passed before it first
    tried to read it, so the unit's own report date may stand in for the day it was submitted.
    """
    form = config.form(form_key)
    report = ReportStatus(unit.id, form_key, period, deadline, status=MISSING)
    if reading.problem is not None:
        report.sheet_read = False
        if accepted is not None:
            return report, keep_accepted(form, report, accepted, None, today)
        report.status = UNREADABLE
        report.overdue = today > deadline
        return report, None
    today_sheet = _evaluate(config, unit, form, period, reading, today)
    if accepted is not None:
        return report, keep_accepted(form, report, accepted, today_sheet, today)
    if not today_sheet.records:
        report.status = NOT_YET_DUE if today <= deadline else MISSING
        report.overdue = today > deadline
        return report, None
    report.findings = today_sheet.findings
    show_records(form, report, today_sheet.records)
    if not today_sheet.complete:
        report.status = INCOMPLETE
        report.overdue = today > deadline
        return report, None
    # The day the service first saw it complete; the unit's own report date only for a report
    # whose deadline passed before the service ever tried to read the unit (it was not there to see).
    report.submitted_on = max(today_sheet.report_dates) if onboarding and today_sheet.report_dates else today
    report.status = COMPLETE_ON_TIME if report.submitted_on <= deadline else COMPLETE_LATE
    return report, None


def judge(
    config: Config,
    readings: dict[str, UnitReading],
    today: dt.date,
    memory: Memory,
    unit_ids: list[str] | None = None,
) -> Judgement:
    """Judge every unit (or those in ``unit_ids``) on ``today``, from today's readings and memory."""
    working = WorkingDays(config.calendar)
    in_view = {kind: periods_in_view(kind, config.calendar, today, working) for kind in (*STANDARD, "ad_hoc")}
    reports: list[ReportStatus] = []
    unit_findings: list[Finding] = []
    newly_accepted: dict[Key, Accepted] = {}
    changes_seen: dict[Key, dt.date | None] = {}
    unreadable: dict[str, dt.date] = {}
    for unit in config.units:
        if unit_ids is not None and unit.id not in unit_ids:
            continue
        reading = readings.get(unit.id, UnitReading(unit.id))
        unit_findings.extend(reading.findings)
        if reading.problem is not None:
            since = memory.unreadable_since.get(unit.id)
            unreadable[unit.id] = since if since is not None and since <= today else today
        first_tried = memory.first_tried.get(unit.id)
        first_tried = today if first_tried is None or first_tried > today else first_tried
        first_read = memory.first_read.get(unit.id)
        # The unit's own report dates stand in only for what its sheet already held when the
        # service first read it, and only for periods already past due when it first tried.
        first_reading = first_read is None or first_read >= today
        for form_key, kinds in owed_forms(config, unit).items():
            for period, deadline in _periods(kinds, in_view):
                key = (unit.id, form_key, period.id)
                remembered = memory.accepted.get(key)
                trusted = remembered if remembered is not None and remembered.first_complete_on <= today else None
                report, changed = judge_report(
                    config, unit, form_key, period, deadline, reading, today, trusted,
                    first_reading and deadline < first_tried,
                )  # fmt: skip
                reports.append(report)
                if trusted is None and report.complete:
                    newly_accepted[key] = Accepted(report.submitted_on, accepted_values(config.form(form_key), report))
                elif trusted is not None and changed != trusted.changed_on:
                    changes_seen[key] = changed
    return Judgement(today, reports, summarise(reports), unit_findings, newly_accepted, changes_seen, unreadable)


def summarise(reports: list[ReportStatus]) -> list[PeriodSummary]:
    """Counts per form and period, in the order periods end."""
    summaries: dict[tuple[str, str], PeriodSummary] = {}
    for report in reports:
        key = (report.form_key, report.period.id)
        summary = summaries.setdefault(key, PeriodSummary(report.form_key, report.period, report.deadline))
        summary.expected += 1
        summary.submitted += report.status in (COMPLETE_ON_TIME, COMPLETE_LATE, INCOMPLETE)
        summary.unreadable += report.status == UNREADABLE
        summary.complete += report.complete
        summary.on_time += report.status == COMPLETE_ON_TIME
        summary.late += report.status == COMPLETE_LATE
        summary.incomplete += report.status == INCOMPLETE
        summary.missing += report.status == MISSING
        summary.not_yet_due += report.status == NOT_YET_DUE
    return sorted(summaries.values(), key=lambda s: (s.period.end, s.period.start, s.form_key))
