"""The consolidated figures of one or more (form, period) reports across units.

Pure: (config, judgement, which reports) → sections with rates, one row per unit, totals of every
numeric key indicator, findings per unit and the units not yet in. Rendering and the workbook
read these; nothing here formats text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from consolidation.texts import topic_title
from rules.model import (
    COMPLETE_LATE,
    INCOMPLETE,
    MISSING,
    UNREADABLE,
    Finding,
    Judgement,
    Period,
    PeriodSummary,
    ReportStatus,
)
from settings.schema import Config, Form, Unit

# Why a sheet could not be read, when it is the service's doing and not the unit's: a unit is
# never told of these. The office is, for those it must act on (not a passing hiccup of Google's).
SERVICE_FAULTS = frozenset({"unreadable_this_run", "account_refused", "quota_exhausted", "api_disabled"})
OFFICE_ALERTS = frozenset({"account_refused", "quota_exhausted", "api_disabled"})
LIST_ROWS = "__rows__"


@dataclass(frozen=True)
class ReadFailures:
    """Today's unreadable sheets, by whose move it is to fix them."""

    unit_faults: dict[str, Finding]  # unit id → what is wrong with its sheet, for the unit to fix
    service_faults: dict[str, list[str]]  # finding code → unit ids: the service's own failure
    alerts: dict[str, list[str]]  # of those, what the office (and a technician) must be told


def read_failures(judgement: Judgement) -> ReadFailures:
    """Sort today's unreadable units. Every judged sheet failing the same way (two or more) is the
    service's failure too (a folder or key gone, say), whatever the code: no unit is told."""
    problems = {f.unit_id: f for f in judgement.unit_findings if f.unit_id in judgement.unreadable_since}
    judged = {r.unit_id for r in judgement.reports} | set(problems)
    codes = {f.code for f in problems.values()}
    everyone = len(judged) >= 2 and set(problems) == judged and len(codes) == 1
    unit_faults: dict[str, Finding] = {}
    service: dict[str, list[str]] = {}
    for unit_id, finding in problems.items():
        if everyone or finding.code in SERVICE_FAULTS:
            service.setdefault(finding.code, []).append(unit_id)
        else:
            unit_faults[unit_id] = finding
    alerts = {code: ids for code, ids in service.items() if everyone or code in OFFICE_ALERTS}
    return ReadFailures(unit_faults, service, alerts)


@dataclass(frozen=True)
class Indicator:
    """A column of the units table: a key indicator of the form (or the row count of a list)."""

    key: str
    label: str
    numeric: bool


@dataclass
class UnitRow:
    unit: Unit
    report: ReportStatus
    unreadable: bool
    values: list[Any]
    findings: list[Finding]


@dataclass
class Section:
    """One form's report for one period, across every unit that owes it."""

    form: Form
    period: Period
    deadline: dt.date
    summary: PeriodSummary
    indicators: list[Indicator]
    rows: list[UnitRow]
    totals: list[Any]

    def units_where(self, *statuses: str) -> list[Unit]:
        return [r.unit for r in self.rows if r.report.status in statuses]

    @property
    def missing_units(self) -> list[Unit]:
        return self.units_where(MISSING)

    @property
    def incomplete_units(self) -> list[Unit]:
        return self.units_where(INCOMPLETE)

    @property
    def late_units(self) -> list[Unit]:
        return self.units_where(COMPLETE_LATE)

    @property
    def unreadable_units(self) -> list[Unit]:
        return self.units_where(UNREADABLE)

    @property
    def rows_with_findings(self) -> list[UnitRow]:
        return [r for r in self.rows if r.findings]

    @property
    def outstanding(self) -> bool:
        return any(not r.report.complete for r in self.rows)


@dataclass
class Consolidation:
    """What a consolidated email and its workbook show."""

    today: dt.date
    topic: str
    sections: list[Section] = field(default_factory=list)

    @property
    def period_labels(self) -> list[str]:
        return list(dict.fromkeys(s.period.label for s in self.sections))


def indicators(form: Form, list_rows_label: str) -> list[Indicator]:
    if form.layout == "list":
        return [Indicator(LIST_ROWS, list_rows_label, True)]
    return [Indicator(k, form.field(k).label, form.field(k).numeric) for k in form.key_indicators]


def relevant_unit_findings(judgement: Judgement, unit_id: str, form_key: str, period_id: str | None) -> list[Finding]:
    """Unit-level findings that concern this form (or the whole sheet) and this period."""
    return [
        f
        for f in judgement.unit_findings
        if f.unit_id == unit_id
        and f.form_key in (None, form_key)
        and (f.period_id is None or period_id is None or f.period_id == period_id)
    ]


def _value(report: ReportStatus, indicator: Indicator) -> Any:
    if indicator.key == LIST_ROWS:
        return len(report.rows) if report.rows else None
    return report.values.get(indicator.key)


def _total(values: list[Any]) -> Any:
    numbers = [v for v in values if isinstance(v, (int, Decimal, float)) and not isinstance(v, bool)]
    return sum(numbers, start=0) if numbers else None


def section(config: Config, judgement: Judgement, form_key: str, period_id: str, list_rows_label: str) -> Section:
    """The figures of ``form_key`` for ``period_id``, units in config order."""
    form = config.form(form_key)
    reports = {r.unit_id: r for r in judgement.reports if r.form_key == form_key and r.period.id == period_id}
    summary = next(s for s in judgement.summaries if s.form_key == form_key and s.period.id == period_id)
    columns = indicators(form, list_rows_label)
    rows = []
    for unit in config.units:
        report = reports.get(unit.id)
        if report is None:
            continue
        findings = relevant_unit_findings(judgement, unit.id, form_key, period_id) + report.findings
        rows.append(UnitRow(unit, report, not report.sheet_read, [_value(report, c) for c in columns], findings))
    totals = [_total([row.values[i] for row in rows]) if column.numeric else None for i, column in enumerate(columns)]
    return Section(form, summary.period, summary.deadline, summary, columns, rows, totals)


def consolidate(
    config: Config, judgement: Judgement, wanted: list[tuple[str, str]], list_rows_label: str
) -> Consolidation:
    """The sections for each (form key, period id) in ``wanted``, in that order."""
    sections = [section(config, judgement, f, p, list_rows_label) for f, p in wanted]
    year = max((s.period.year for s in sections), default=judgement.today.year)
    return Consolidation(judgement.today, topic_title(config.organisation.topics, year), sections)


def period_reports(judgement: Judgement, period_id: str) -> list[tuple[str, str]]:
    """Every (form, period) pair of ``period_id``, in the order forms first appear."""
    return list(dict.fromkeys((r.form_key, r.period.id) for r in judgement.reports if r.period.id == period_id))


def outstanding_reports(judgement: Judgement) -> list[tuple[str, str]]:
    """(form, period) pairs past their deadline with at least one unit not complete."""
    return list(
        dict.fromkeys(
            (r.form_key, r.period.id)
            for r in sorted(judgement.reports, key=lambda r: (r.deadline, r.period.end))
            if r.deadline < judgement.today and not r.complete
        )
    )
