"""Rendering planned emails: subject, HTML and plain text from templates/, plus attachments.

Pure: (config, judgement, planned email) → Rendered. Templates receive plain values (strings,
dates, lists); every Vietnamese word comes from templates/, none from here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from consolidation.figures import Consolidation, Section, consolidate, relevant_unit_findings
from consolidation.texts import catalogue_keys as _catalogue_keys
from consolidation.texts import mail_text, render, topic_title, vn_date
from consolidation.workbook import workbook_bytes
from delivery.schedule import REMINDER, SERVICE_PROBLEM, SHEET_PROBLEM, PlannedEmail, ReminderItem
from rules.messages import status_text, text
from rules.model import MISSING, NOT_YET_DUE, Judgement, Period
from settings.schema import Config

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)


def timing(deadline: dt.date, today: dt.date) -> str:
    days = (today - deadline).days
    if days < 0:
        return mail_text("timing", "before", days=-days)
    if days == 0:
        return mail_text("timing", "on_day")
    return mail_text("timing", "overdue", days=days)


def _item_view(config: Config, item: ReminderItem, today: dt.date) -> dict[str, Any]:
    report = item.report
    form = config.form(report.form_key)
    problems = [f.message for f in report.findings if f.blocking]
    if not problems and report.status in (MISSING, NOT_YET_DUE):
        problems = [mail_text("no_data", tab=form.tab)]
    return {
        "form_title": form.title,
        "period_label": report.period.label,
        "deadline": report.deadline,
        "timing": timing(report.deadline, today),
        "status": status_text(report.status) if report.status != NOT_YET_DUE else status_text("missing"),
        "problems": problems,
    }


def reminder_subject(email: PlannedEmail, today: dt.date) -> str:
    lead = email.lead
    assert email.unit is not None and lead is not None
    days = (today - lead.report.deadline).days
    situation = "reminder_before" if days < 0 else "reminder_on_day" if days == 0 else "reminder_overdue"
    return mail_text(
        "subjects",
        situation,
        unit=email.unit.name,
        period=lead.report.period.label,
        deadline=vn_date(lead.report.deadline),
        days=abs(days),
        others=len(email.items) - 1,
    )


def render_reminder(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    unit = email.unit
    assert unit is not None
    today = judgement.today
    url, file = config.source.sheet_link(unit.sheet)
    forms = {i.report.form_key for i in email.items}
    sheet_findings = list(
        dict.fromkeys(
            f.message for form_key in sorted(forms) for f in relevant_unit_findings(judgement, unit.id, form_key, None)
        )
    )
    year = max(i.report.period.year for i in email.items)
    context = {
        "unit_name": unit.name,
        "organisation": config.organisation.name,
        "office_name": config.organisation.office_name,
        "office_email": config.organisation.office_email,
        "topic": topic_title(config.organisation.topics, year),
        "today": today,
        "sheet_url": url,
        "sheet_file": file,
        "sheet_findings": sheet_findings,
        "items": [_item_view(config, i, today) for i in email.items],
        "escalated": email.escalated,
        "escalate_after_days": config.mail.reminders.escalate_after_days,
        "cc": email.cc,
    }
    return Rendered(
        reminder_subject(email, today), render("reminder.html", **context), render("reminder.txt", **context)
    )


def _section_view(section: Section) -> dict[str, Any]:
    summary = section.summary

    def status(row: Any) -> str:
        shown = status_text(row.report.status)
        return shown if row.report.sheet_read or not row.report.complete else f"{shown} ({mail_text('unread_today')})"

    return {
        "title": section.form.title,
        "period_label": section.period.label,
        "deadline": section.deadline,
        "counts": summary.counts(),
        "rates": {k: summary.rate(getattr(summary, k)) for k in ("submitted", "complete", "on_time")},
        "columns": [{"label": c.label, "numeric": c.numeric} for c in section.indicators],
        "rows": [
            {"unit_name": r.unit.name, "status": status(r), "submitted_on": r.report.submitted_on, "cells": r.values}
            for r in section.rows
        ],
        "totals": section.totals,
        "missing": [u.name for u in section.missing_units],
        "incomplete": [u.name for u in section.incomplete_units],
        "late": [u.name for u in section.late_units],
        "unreadable": [u.name for u in section.unreadable_units],
        "findings": [(r.unit.name, [f.message for f in r.findings]) for r in section.rows_with_findings],
    }


def attachment_name(email: PlannedEmail, today: dt.date) -> str:
    scope = re.sub(r"[^A-Za-z0-9-]+", "-", email.period_id or "tuan").strip("-").lower()
    return f"tong-hop-{mail_text('attachment_kind', email.kind)}-{scope}-{today:%Y%m%d}.xlsx"


def _short_label(period: Period) -> str:
    """T7/2023, 6T/2023, Năm 2023 (an ad-hoc period by its id), as the `check` table writes them."""
    if period.type == "ad_hoc":
        return period.id
    return text("period_short", period.type, month=period.end.month, year=period.year)


def consolidated_subject(email: PlannedEmail, consolidation: Consolidation) -> str:
    if email.period_id:
        period = consolidation.sections[0].period.label
    else:
        period = ", ".join(dict.fromkeys(_short_label(s.period) for s in consolidation.sections))
    return mail_text(
        "subjects", email.kind, period=period, topic=consolidation.topic, date=vn_date(consolidation.today)
    )


def render_consolidated(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    consolidation = consolidate(config, judgement, email.reports, mail_text("list_rows"))
    name = attachment_name(email, judgement.today)
    sections = [_section_view(s) for s in consolidation.sections]
    context = {
        "kind": email.kind,
        "organisation": config.organisation.name,
        "office_name": config.organisation.office_name,
        "office_email": config.organisation.office_email,
        "topic": consolidation.topic,
        "today": judgement.today,
        "period_label": sections[0]["period_label"] if email.period_id else None,
        "deadline": sections[0]["deadline"] if email.period_id else None,
        "sections": sections,
        "attachment_name": name,
        "notices": email.notices,
    }
    return Rendered(
        consolidated_subject(email, consolidation),
        render("consolidated.html", **context),
        render("consolidated.txt", **context),
        [Attachment(name, workbook_bytes(consolidation), XLSX)],
    )


def render_sheet_problem(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    """To a unit whose sheet cannot be read: what is wrong and how to fix it, once a spell."""
    unit, problem = email.unit, email.problem
    assert unit is not None and problem is not None
    url, file = config.source.sheet_link(unit.sheet)
    context = {
        **_letterhead(config),
        "unit_name": unit.name,
        "today": judgement.today,
        "since": judgement.unreadable_since.get(unit.id, judgement.today),
        "problem": problem.message,
        "fix": mail_text("sheet_fixes", problem.code, office_name=config.organisation.office_name)
        if problem.code in _catalogue_keys("sheet_fixes")
        else "",
        "sheet_url": url,
        "sheet_file": file,
    }
    subject = mail_text("subjects", SHEET_PROBLEM, unit=unit.name)
    return Rendered(subject, render("sheet_problem.html", **context), render("sheet_problem.txt", **context))


def render_service_problem(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    """To the office (and a technician): the service itself cannot read the units' sheets."""
    problem = email.problem
    assert problem is not None
    names = {u.id: u.name for u in config.units}
    context = {
        **_letterhead(config),
        "today": judgement.today,
        "since": min(judgement.unreadable_since.get(u, judgement.today) for u in email.unit_ids),
        "problem": problem.message,
        "fix": mail_text("service_fixes", problem.code)
        if problem.code in _catalogue_keys("service_fixes")
        else mail_text("service_fixes", "other"),
        "units": [names.get(u, u) for u in email.unit_ids],
        "unit_count": len(email.unit_ids),
    }
    subject = mail_text("subjects", SERVICE_PROBLEM, count=len(email.unit_ids), date=vn_date(judgement.today))
    return Rendered(subject, render("service_problem.html", **context), render("service_problem.txt", **context))


def _letterhead(config: Config) -> dict[str, str]:
    return {
        "organisation": config.organisation.name,
        "office_name": config.organisation.office_name,
        "office_email": config.organisation.office_email,
    }


_RENDERERS = {
    REMINDER: render_reminder,
    SHEET_PROBLEM: render_sheet_problem,
    SERVICE_PROBLEM: render_service_problem,
}


def render_email(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    return _RENDERERS.get(email.kind, render_consolidated)(config, judgement, email)
