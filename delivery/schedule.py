"""Which emails are due today: reminder steps per report, consolidated reports and digests.

Pure: (config, judgement, what the ledger already holds, today) → planned emails, each with a
stable key. Catching up after missed cron days sends only the latest step still due per report,
and at most one reminder per unit per day grouping all its outstanding reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from consolidation.figures import outstanding_reports, period_reports, read_failures
from rules.model import INCOMPLETE, MISSING, NOT_YET_DUE, Finding, Judgement, ReportStatus
from settings.schema import Config, Reminders, Unit
from store.ledger import REMINDER, ItemRef, LedgerView

AFTER_DEADLINE = "after_deadline"
ALL_COMPLETE = "all_complete"
DIGEST = "digest"
CONSOLIDATED = (AFTER_DEADLINE, ALL_COMPLETE, DIGEST)
SHEET_PROBLEM = "sheet_problem"  # to a unit: its sheet cannot be read, and how to fix it
SERVICE_PROBLEM = "service_problem"  # to the office: the service itself cannot read the sheets


@dataclass(frozen=True)
class Step:
    """One point of a report's reminder schedule: before_7, on_day, overdue_2, ..."""

    name: str
    on: dt.date
    escalated: bool = False


def reminder_steps(deadline: dt.date, settings: Reminders) -> list[Step]:
    """Every step of the schedule around ``deadline``, in date order."""
    steps = [Step(f"before_{days}", deadline - dt.timedelta(days=days)) for days in settings.days_before]
    if settings.on_the_day:
        steps.append(Step("on_day", deadline))
    for n in range(1, settings.overdue_max + 1):
        late = n * settings.overdue_every_days
        steps.append(Step(f"overdue_{n}", deadline + dt.timedelta(days=late), late >= settings.escalate_after_days))
    return sorted(steps, key=lambda s: s.on)


def latest_step(deadline: dt.date, today: dt.date, settings: Reminders) -> Step | None:
    """The last step reached on ``today`` (earlier ones missed by cron are never sent)."""
    reached = [s for s in reminder_steps(deadline, settings) if s.on <= today]
    return reached[-1] if reached else None


@dataclass(frozen=True)
class ReminderItem:
    """A report a reminder is about, at its latest reached step; ``new`` if never sent."""

    report: ReportStatus
    step: Step
    new: bool

    @property
    def ref(self) -> ItemRef:
        return (self.report.unit_id, self.report.form_key, self.report.period.id, self.step.name)


@dataclass
class PlannedEmail:
    """An email due today, before rendering."""

    key: str
    kind: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    unit: Unit | None = None
    items: list[ReminderItem] = field(default_factory=list)
    reports: list[tuple[str, str]] = field(default_factory=list)
    period_id: str | None = None
    problem: Finding | None = None  # a sheet or service problem: what went wrong
    unit_ids: list[str] = field(default_factory=list)  # a service problem: the units it kept unread
    notices: list[str] = field(default_factory=list)  # a consolidated report: what it tells of the mail

    @property
    def lead(self) -> ReminderItem | None:
        """The reminder item that names the email: the newest step among those never sent."""
        new = [i for i in self.items if i.new]
        return max(new, key=lambda i: (i.step.on, i.report.deadline)) if new else None

    @property
    def escalated(self) -> bool:
        return any(i.new and i.step.escalated for i in self.items)

    @property
    def item_refs(self) -> list[ItemRef]:
        return [i.ref for i in self.items]


def _addresses(*groups: list[str] | tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[str]:
    seen = {a.lower() for a in exclude}
    out = []
    for group in groups:
        for address in group:
            if address.lower() not in seen:
                seen.add(address.lower())
                out.append(address)
    return out


def plan_reminders(config: Config, judgement: Judgement, ledger: LedgerView) -> list[PlannedEmail]:
    """At most one reminder per unit: every report not complete whose schedule has been reached."""
    today = judgement.today
    open_reports: dict[str, list[ReportStatus]] = {}
    for report in judgement.reports:
        if report.status in (NOT_YET_DUE, INCOMPLETE, MISSING):
            open_reports.setdefault(report.unit_id, []).append(report)
    planned = []
    for unit in config.units:
        if unit.id in ledger.units_reminded_today:
            continue
        items = []
        for report in open_reports.get(unit.id, []):
            step = latest_step(report.deadline, today, config.mail.reminders)
            if step is not None:
                ref = (unit.id, report.form_key, report.period.id, step.name)
                items.append(ReminderItem(report, step, ref not in ledger.sent_items))
        if not any(i.new for i in items):
            continue
        items.sort(key=lambda i: (i.report.deadline, i.report.period.end, i.report.form_key))
        new_refs = sorted("/".join(i.ref[1:]) for i in items if i.new)
        email = PlannedEmail(
            f"{REMINDER}|{unit.id}|{';'.join(new_refs)}", REMINDER, list(unit.emails), unit=unit, items=items
        )
        if email.escalated:
            supervisor = [unit.supervisor_email] if unit.supervisor_email else []
            email.cc = _addresses(supervisor, [config.organisation.office_email], exclude=tuple(unit.emails))
        lead = email.lead
        email.period_id = lead.report.period.id if lead else None
        planned.append(email)
    return planned


def plan_problem_notices(config: Config, judgement: Judgement, ledger: LedgerView) -> list[PlannedEmail]:
    """Once per spell of failed reads: the unit, if fixing its sheet is its move; the office (and a
    technician, if config names one), if the failure is the service's own."""
    failures = read_failures(judgement)
    since = judgement.unreadable_since
    planned = []
    for unit in config.units:
        finding = failures.unit_faults.get(unit.id)
        if finding is None:
            continue
        key = f"{SHEET_PROBLEM}|{unit.id}|{finding.code}|{since[unit.id].isoformat()}"
        if key not in ledger.sent_keys:
            planned.append(PlannedEmail(key, SHEET_PROBLEM, list(unit.emails), unit=unit, problem=finding))
    technician = [config.mail.technician_email] if config.mail.technician_email else []
    to = _addresses([config.organisation.office_email], technician)
    for code, unit_ids in sorted(failures.alerts.items()):
        first = min(since[u] for u in unit_ids)
        key = f"{SERVICE_PROBLEM}|{code}|{first.isoformat()}"
        if key not in ledger.sent_keys:
            problem = next(f for f in judgement.unit_findings if f.unit_id in unit_ids and f.code == code)
            planned.append(PlannedEmail(key, SERVICE_PROBLEM, to, problem=problem, unit_ids=unit_ids))
    return planned


def digest_day(today: dt.date, weekday: int) -> dt.date:
    """The most recent digest weekday on or before ``today``."""
    return today - dt.timedelta(days=(today.weekday() - weekday) % 7)


def plan_consolidated(config: Config, judgement: Judgement, ledger: LedgerView) -> list[PlannedEmail]:
    """After-deadline reports, all-complete reports and the weekly digest due today."""
    today = judgement.today
    catch_up = dt.timedelta(days=config.mail.catch_up_days)
    office = [config.organisation.office_email]

    def due(key: str, day: dt.date) -> bool:
        if key in ledger.sent_days:
            return False
        return key in ledger.queued_keys or day <= today <= day + catch_up

    periods: dict[str, list[ReportStatus]] = {}
    for report in judgement.reports:
        periods.setdefault(report.period.id, []).append(report)
    planned = []
    for period_id, reports in periods.items():
        deadline = max(r.deadline for r in reports)
        key = f"{AFTER_DEADLINE}|{period_id}"
        after_deadline_due = due(key, deadline + dt.timedelta(days=1))
        if after_deadline_due:
            planned.append(
                PlannedEmail(
                    key, AFTER_DEADLINE, office, reports=period_reports(judgement, period_id), period_id=period_id
                )
            )
        if not all(r.complete for r in reports) or today <= deadline:
            continue
        last = max(r.submitted_on for r in reports if r.submitted_on)
        key = f"{ALL_COMPLETE}|{period_id}"
        shown_complete = ledger.sent_days.get(f"{AFTER_DEADLINE}|{period_id}")
        if (
            last > deadline
            and not after_deadline_due
            and (shown_complete is None or shown_complete < last)
            and due(key, last)
        ):
            planned.append(
                PlannedEmail(
                    key, ALL_COMPLETE, office, reports=period_reports(judgement, period_id), period_id=period_id
                )
            )
    outstanding = outstanding_reports(judgement)
    day = digest_day(today, config.mail.digest_weekday)
    key = f"{DIGEST}|{day.isoformat()}"
    if outstanding and due(key, day):
        planned.append(PlannedEmail(key, DIGEST, office, reports=outstanding))
    return planned


def plan(config: Config, judgement: Judgement, ledger: LedgerView) -> list[PlannedEmail]:
    """Everything due today: consolidated reports first, then reminders; within each, what has
    waited longest (over a daily cap) first, then config order.
    """

    def waiting(email: PlannedEmail) -> dt.date | None:
        return ledger.waiting_since.get(email.unit.id if email.unit else email.key)

    # With not one sheet read, a consolidated report would tell the office nothing and use up its
    # day: it waits for a run that can read (the service problem notice says why).
    blind = bool(judgement.unreadable_since) and {r.unit_id for r in judgement.reports} <= set(
        judgement.unreadable_since
    )
    planned = (
        ([] if blind else plan_consolidated(config, judgement, ledger))
        + plan_problem_notices(config, judgement, ledger)
        + plan_reminders(config, judgement, ledger)
    )
    planned = [e for e in planned if e.key not in ledger.failed_keys]
    return sorted(planned, key=lambda e: (e.kind == REMINDER, waiting(e) is None, waiting(e) or dt.date.min))
