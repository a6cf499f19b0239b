"""Which emails are due today: reminder steps per report, consolidated reports and digests.

Pure: (config, judgement, what the ledger already holds, today) → planned emails, each with a
stable key. Mail goes out on sending days only (working days, unless ``mail.send_on_days_off``):
what falls due on a day off waits for the next one. Catching up after days off or missed cron
days sends only the latest step still due per report, and at most one reminder per unit per day
grouping all its outstanding reports; a period's consolidated report that missed its window is
folded into the next consolidated report that goes out, never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

from consolidation.figures import outstanding_reports, period_reports, read_failures
from rules.calendar import WorkingDays
from rules.model import INCOMPLETE, MISSING, NOT_YET_DUE, Finding, Judgement, ReportStatus, Review
from settings.schema import Config, Reminders, Unit
from store.ledger import REMINDER, ItemRef, LedgerView
from store.requests import REQUEST_KIND

AFTER_DEADLINE = "after_deadline"
ALL_COMPLETE = "all_complete"
DIGEST = "digest"
CONSOLIDATED = (AFTER_DEADLINE, ALL_COMPLETE, DIGEST)
SHEET_PROBLEM = "sheet_problem"  # to a unit: its sheet cannot be read, and how to fix it
SERVICE_PROBLEM = "service_problem"  # to the office: the service itself cannot read the sheets
AD_HOC_REQUEST = REQUEST_KIND  # to a unit, once: an ad-hoc report asked of it, by when, how to type it
REPORT_RETURNED = "report_returned"  # to a unit: the office sent one of its reports back, with a comment
ESCALATE = "escalate"  # the reminder step on the day escalation starts, when no overdue step falls on it
# The unit of a ledger item recording that a period's figures reached the office in another
# period's consolidated report (its step: the report it stood in for, after_deadline or all_complete).
OFFICE_ITEM = ""
ONE_DAY = dt.timedelta(days=1)


class SendingDays:
    """The days mail goes out: the deadline calendar's working days (weekends, public holidays and
    ``calendar.extra_days_off`` excluded, ``extra_working_days`` included), or every day with
    ``mail.send_on_days_off``."""

    def __init__(self, config: Config) -> None:
        self._working = None if config.mail.send_on_days_off else WorkingDays(config.calendar)

    def is_sending_day(self, day: dt.date) -> bool:
        return self._working is None or self._working.is_working_day(day)

    def window(self, opens: dt.date, catch_up: int) -> tuple[dt.date, dt.date]:
        """When an email that falls due on ``opens`` may go out: from the first sending day on or
        after it through ``catch_up`` more sending days."""
        if self._working is None:
            return opens, opens + dt.timedelta(days=catch_up)
        first = self._working.next_working_day(opens)
        return first, self._working.add_working_days(first, catch_up)


def is_sending_day(config: Config, day: dt.date) -> bool:
    """Whether `run` sends anything on ``day``; on other days it only reads and judges."""
    return SendingDays(config).is_sending_day(day)


@dataclass(frozen=True)
class Step:
    """One point of a report's reminder schedule: before_7, on_day, overdue_2, ..."""

    name: str
    on: dt.date
    escalated: bool = False


def reminder_steps(deadline: dt.date, settings: Reminders) -> list[Step]:
    """Every step of the schedule around ``deadline``, in date order.

    Steps from ``escalate_after_days`` overdue are escalated. So that the reminder sent on that
    very day (or on the first sending day after it) is the first one copied, that day is a step of
    its own when no overdue step falls on it and overdue reminders are on at all.
    """
    steps = [Step(f"before_{days}", deadline - dt.timedelta(days=days)) for days in settings.days_before]
    if settings.on_the_day:
        steps.append(Step("on_day", deadline))
    escalate = settings.escalate_after_days
    overdue = [n * settings.overdue_every_days for n in range(1, settings.overdue_max + 1)]
    for n, late in enumerate(overdue, start=1):
        steps.append(Step(f"overdue_{n}", deadline + dt.timedelta(days=late), late >= escalate))
    if overdue and escalate not in overdue:
        steps.append(Step(ESCALATE, deadline + dt.timedelta(days=escalate), escalated=True))
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
    # A consolidated report: periods whose own report missed its window, folded in here (their
    # (form, period) pairs are in ``reports``; show their sections as sent late), and the ledger
    # items that record it, so a folded period is never folded again.
    late_periods: list[str] = field(default_factory=list)
    late_refs: list[ItemRef] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # a consolidated report: what it tells of the mail
    returned: ReportStatus | None = None  # a report_returned email: the report sent back, as judged today
    review: Review | None = None  # and the office's decision (its comment, its day)

    @property
    def form_key(self) -> str | None:
        """The form the email is about: a reminder's lead report's, a returned report's."""
        lead = self.lead
        if lead is not None:
            return lead.report.form_key
        return self.returned.form_key if self.returned else None

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
        return [i.ref for i in self.items] + self.late_refs


def _addresses(*groups: list[str] | tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[str]:
    seen = {a.lower() for a in exclude}
    out = []
    for group in groups:
        for address in group:
            if address.lower() not in seen:
                seen.add(address.lower())
                out.append(address)
    return out


def plan_reminders(
    config: Config, judgement: Judgement, ledger: LedgerView, covered: frozenset[ItemRef] = frozenset()
) -> list[PlannedEmail]:
    """At most one reminder per unit: every report not complete whose schedule has been reached.
    Steps in ``covered`` (told today by an ad-hoc request's email) count as sent."""
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
                items.append(ReminderItem(report, step, ref not in ledger.sent_items and ref not in covered))
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


def plan_requests(
    config: Config, judgement: Judgement, ledger: LedgerView, request_ids: Collection[str]
) -> list[PlannedEmail]:
    """Once per unit and ad-hoc request (the ad-hoc periods named by ``request_ids``): what is
    asked, by when, which tab and what to type in its period column. A unit whose report is
    complete already is not asked. The email stands for any reminder step already reached on
    the day it goes (a request due in 3 days is not followed by a reminder the same day), as
    a reminder would: not for a unit whose sheet cannot be read, reminded once it reads."""
    today = judgement.today
    reports = {(r.unit_id, r.form_key, r.period.id): r for r in judgement.reports}
    planned = []
    for spec in (a for a in config.calendar.ad_hoc if a.id in request_ids):
        for unit in config.units:
            key = f"{AD_HOC_REQUEST}|{spec.id}|{unit.id}"
            if (spec.units is not None and unit.id not in spec.units) or key in ledger.sent_keys:
                continue
            owed = [reports.get((unit.id, form, spec.id)) for form in spec.forms]
            if all(r is not None and r.complete for r in owed):
                continue
            items = []
            for report in (r for r in owed if r is not None and r.status in (NOT_YET_DUE, INCOMPLETE, MISSING)):
                step = latest_step(report.deadline, today, config.mail.reminders)
                if step is not None:
                    ref = (unit.id, report.form_key, spec.id, step.name)
                    items.append(ReminderItem(report, step, ref not in ledger.sent_items))
            planned.append(
                PlannedEmail(key, AD_HOC_REQUEST, list(unit.emails), unit=unit, items=items, period_id=spec.id)
            )
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


def plan_returns(config: Config, judgement: Judgement, ledger: LedgerView) -> list[PlannedEmail]:
    """Once per return still open: the office's comment to the unit whose report it sent back."""
    units = {u.id: u for u in config.units}
    planned = []
    for report in judgement.reports:  # in config order of units
        review = judgement.returned.get((report.unit_id, report.form_key, report.period.id))
        if review is None or report.unit_id not in units:
            continue
        key = f"{REPORT_RETURNED}|{report.unit_id}|{report.form_key}|{report.period.id}|{review.id}"
        if key not in ledger.sent_keys:
            unit = units[report.unit_id]
            planned.append(
                PlannedEmail(key, REPORT_RETURNED, list(unit.emails), unit=unit, period_id=report.period.id,
                             returned=report, review=review)
            )  # fmt: skip
    return planned


def digest_day(today: dt.date, weekday: int) -> dt.date:
    """The most recent digest weekday on or before ``today``."""
    return today - dt.timedelta(days=(today.weekday() - weekday) % 7)


@dataclass(frozen=True)
class _Late:
    """A period whose after-deadline or all-complete report missed its window."""

    period_id: str
    deadline: dt.date
    complete: bool
    missed: tuple[str, ...]


@dataclass(frozen=True)
class _OfficeReports:
    """The consolidated reports a period owes the office today, read against the ledger (see
    ``plan_consolidated``)."""

    judgement: Judgement
    office: list[str]
    catch_up: int
    days: SendingDays
    ledger: LedgerView

    @cached_property
    def shown_late(self) -> frozenset[tuple[str, str]]:
        """(period, report) of each report that reached the office folded into another one."""
        items = self.ledger.sent_items
        return frozenset((period, step) for unit, _, period, step in items if unit == OFFICE_ITEM)

    def due(self, key: str, opens: dt.date) -> bool:
        """Not sent yet, and queued earlier or inside its window today."""
        if key in self.ledger.sent_days:
            return False
        first, last = self.days.window(opens, self.catch_up)
        return key in self.ledger.queued_keys or first <= self.judgement.today <= last

    def missed(self, key: str, opens: dt.date) -> bool:
        """Never sent, and its window closed after the service decided its first email: a window
        that closed before the service was installed owes nothing."""
        since = self.ledger.first_day
        if key in self.ledger.sent_days or key in self.ledger.queued_keys or since is None:
            return False
        return since <= self.days.window(opens, self.catch_up)[1] < self.judgement.today

    def email(self, kind: str, period_id: str) -> PlannedEmail:
        reports = period_reports(self.judgement, period_id)
        return PlannedEmail(f"{kind}|{period_id}", kind, self.office, reports=reports, period_id=period_id)

    def of_period(self, period_id: str, reports: list[ReportStatus]) -> tuple[list[PlannedEmail], _Late | None]:
        """The period's own reports due today, and what it missed."""
        deadline = max(r.deadline for r in reports)
        complete = all(r.complete for r in reports)
        planned, missed = [], []
        after_deadline = f"{AFTER_DEADLINE}|{period_id}"
        after_deadline_due = self.due(after_deadline, deadline + ONE_DAY)
        if after_deadline_due:
            planned.append(self.email(AFTER_DEADLINE, period_id))
        elif (period_id, AFTER_DEADLINE) not in self.shown_late and self.missed(after_deadline, deadline + ONE_DAY):
            missed.append(AFTER_DEADLINE)
        if complete and self.judgement.today > deadline:
            last = max(r.submitted_on for r in reports if r.submitted_on)
            shown_complete = self.ledger.sent_days.get(after_deadline)
            if (
                last > deadline
                and not after_deadline_due
                and (shown_complete is None or shown_complete < last)
                and (period_id, ALL_COMPLETE) not in self.shown_late
            ):
                if self.due(f"{ALL_COMPLETE}|{period_id}", last):
                    planned.append(self.email(ALL_COMPLETE, period_id))
                elif self.missed(f"{ALL_COMPLETE}|{period_id}", last):
                    missed.append(ALL_COMPLETE)
        return planned, _Late(period_id, deadline, complete, tuple(missed)) if missed else None


def plan_consolidated(
    config: Config, judgement: Judgement, ledger: LedgerView, days: SendingDays | None = None
) -> list[PlannedEmail]:
    """After-deadline reports, all-complete reports and the weekly digest due today.

    Each has a window, counted in sending days: it opens on the first sending day after the
    period's deadline (after-deadline), on or after the day the last unit completed (all-complete)
    or on or after ``mail.digest_weekday`` (digest), and stays open ``mail.catch_up_days`` more
    sending days. A period's after-deadline or all-complete report that was not sent in its window
    (cron down, no sheet readable, a unit first read after the period was complete) is folded into
    the next consolidated report that goes out (``late_periods``); a missed digest is superseded by
    the next one, as what it would have listed is either still outstanding or complete (which
    all-complete reports tell).
    """
    office = _OfficeReports(
        judgement, [config.organisation.office_email], config.mail.catch_up_days, days or SendingDays(config), ledger
    )
    periods: dict[str, list[ReportStatus]] = {}
    for report in judgement.reports:
        periods.setdefault(report.period.id, []).append(report)
    planned, late = [], []
    for period_id, reports in periods.items():
        due, missed = office.of_period(period_id, reports)
        planned += due
        if missed:
            late.append(missed)
    outstanding = outstanding_reports(judgement)
    day = digest_day(judgement.today, config.mail.digest_weekday)
    key = f"{DIGEST}|{day.isoformat()}"
    if outstanding and office.due(key, day):
        planned.append(PlannedEmail(key, DIGEST, office.office, reports=outstanding))
    planned = [e for e in planned if e.key not in ledger.failed_keys]
    _fold_late(judgement, late, planned)
    return planned


def _fold_late(judgement: Judgement, late: list[_Late], planned: list[PlannedEmail]) -> None:
    """Each late period goes into one consolidated report going out today: its own period's, if one
    does, else the first. With none going out today, it waits for the next that does."""
    if not planned:
        return
    for period in sorted(late, key=lambda p: (p.deadline, p.period_id)):
        host = next((e for e in planned if e.period_id == period.period_id), planned[0])
        pairs = period_reports(judgement, period.period_id)
        host.reports += [p for p in pairs if p not in host.reports]
        host.late_periods.append(period.period_id)
        # Shown complete, a period owes no all-complete report any more either.
        steps = (AFTER_DEADLINE, ALL_COMPLETE) if period.complete else period.missed
        host.late_refs += [(OFFICE_ITEM, form, period.period_id, step) for form, _ in pairs for step in steps]


def plan(
    config: Config, judgement: Judgement, ledger: LedgerView, request_ids: Collection[str] = ()
) -> list[PlannedEmail]:
    """Everything due today: consolidated reports first, then notices and ad-hoc requests (the
    periods ``request_ids`` name), then reminders; within each, what has waited longest (over a
    daily cap) first, then config order. Nothing on a day that is not a sending day: what falls
    due then is planned on the next one.
    """
    days = SendingDays(config)
    if not days.is_sending_day(judgement.today):
        return []

    def waiting(email: PlannedEmail) -> dt.date | None:
        return ledger.waiting_since.get(email.unit.id if email.unit else email.key)

    # With not one sheet read, a consolidated report would tell the office nothing and use up its
    # day: it waits for a run that can read (the service problem notice says why).
    blind = bool(judgement.unreadable_since) and {r.unit_id for r in judgement.reports} <= set(
        judgement.unreadable_since
    )
    requests = plan_requests(config, judgement, ledger, request_ids)
    covered = frozenset(ref for email in requests for ref in email.item_refs)
    planned = (
        ([] if blind else plan_consolidated(config, judgement, ledger, days))
        + plan_problem_notices(config, judgement, ledger)
        + requests
        + plan_returns(config, judgement, ledger)
        + plan_reminders(config, judgement, ledger, covered)
    )
    planned = [e for e in planned if e.key not in ledger.failed_keys]
    return sorted(planned, key=lambda e: (e.kind == REMINDER, waiting(e) is None, waiting(e) or dt.date.min))
