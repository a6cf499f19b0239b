"""Rendering planned emails: subject, HTML and plain text from templates/, plus attachments.

Pure: (config, judgement, planned email) → Rendered. Templates receive plain values (strings,
dates, lists; built in delivery/views.py); every Vietnamese word comes from templates/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from consolidation.document import DOCX, companion_sections, document_name, document_sections, report_docx
from consolidation.figures import Consolidation, consolidate
from consolidation.names import period_name, short_unit_name
from consolidation.texts import catalogue_keys, catalogue_value, mail_text, render, topic_title
from consolidation.workbook import workbook_bytes
from delivery.schedule import (
    AD_HOC_REQUEST,
    DIGEST,
    REMINDER,
    REPORT_RETURNED,
    SERVICE_PROBLEM,
    SHEET_PROBLEM,
    PlannedEmail,
)
from delivery.subjects import (
    ad_hoc_request_subject,
    consolidated_subject,
    digest_subject,
    reminder_subject,
    report_returned_subject,
    service_problem_subject,
    sheet_problem_subject,
)
from delivery.views import digest_view, finding_line, reminder_view, section_view
from rules.calendar import ad_hoc_period
from rules.model import Judgement
from settings.schema import Config
from vntext import ascii_fold

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML shows as ``cid:<cid>``: sent beside it, in multipart/related."""

    cid: str
    data: bytes
    filename: str
    mime_type: str = "image/png"


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    inline: list[InlineImage] = field(default_factory=list)


def _both(template: str, context: dict[str, Any]) -> tuple[str, str]:
    return render(f"{template}.html", **context), render(f"{template}.txt", **context)


def _letterhead(config: Config) -> dict[str, str]:
    return {
        "organisation": config.organisation.name,
        "office_name": config.organisation.office_name,
        "office_email": config.organisation.office_email,
    }


def render_reminder(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    unit = email.unit
    assert unit is not None
    url, file = config.source.sheet_link(unit.sheet)
    year = max(i.report.period.year for i in email.items)
    subject = reminder_subject(config, email, judgement.today)
    context = {
        **_letterhead(config),
        **reminder_view(config, judgement, email),
        "subject": subject,
        "unit_name": unit.name,
        "topic": topic_title(config.organisation.topics, year),
        "today": judgement.today,
        "sheet_url": url,
        "sheet_file": file,
        "escalated": email.escalated,
        "escalate_after_days": config.mail.reminders.escalate_after_days,
        "cc": email.cc,
    }
    return Rendered(subject, *_both("reminder", context))


def attachment_name(config: Config, email: PlannedEmail, judgement: Judgement) -> str:
    """tong-hop-sau-han-thang-7-2023-20230720.xlsx: ASCII, the period as staff name it (a digest
    covers several: none)."""
    period = next((r.period for r in judgement.reports if r.period.id == email.period_id), None)
    parts = [mail_text("attachment_kind", email.kind), period_name(config, period) if period else ""]
    slug = "-".join(p for p in (re.sub(r"[^a-z0-9]+", "-", ascii_fold(part)).strip("-") for part in parts) if p)
    return f"tong-hop-{slug}-{judgement.today:%Y%m%d}.xlsx"


def consolidated_context(
    config: Config, judgement: Judgement, email: PlannedEmail
) -> tuple[str, dict[str, Any], Consolidation]:
    """For after_deadline, all_complete and the weekly digest: which template ("consolidated" or
    "digest"), what it is given (its subject included), and the figures the .xlsx is made of."""
    consolidation = consolidate(config, judgement, email.reports, mail_text("list_rows"))
    context: dict[str, Any] = {
        **_letterhead(config),
        "kind": email.kind,
        "topic": consolidation.topic,
        "today": judgement.today,
        "attachment_name": attachment_name(config, email, judgement),
        "marks": catalogue_value("status_marks"),
        "late_periods": email.late_periods,
        "notices": email.notices,
    }
    if email.kind == DIGEST:
        view = digest_view(config, consolidation)
        context.update(view, subject=digest_subject(view, judgement.today))
        return "digest", context, consolidation
    sections = [section_view(config, s) for s in consolidation.sections]
    context.update(
        sections=sections,
        period=sections[0]["period"],
        deadline=sections[0]["deadline"],
        subject=consolidated_subject(config, email, consolidation),
    )
    return "consolidated", context, consolidation


def section_charts(consolidation: Consolidation, sections: list[dict[str, Any]]) -> list[InlineImage]:
    """Draws each section's charts and gives its view ``charts``: kind ("status", "indicator")
    → cid and alt text, for the images returned (a section without numbers: no "indicator")."""
    from consolidation.charts import indicator_chart, status_chart

    images = []
    for n, (section, view) in enumerate(zip(consolidation.sections, sections, strict=True), start=1):
        view["charts"] = {}
        for kind, png in (("status", status_chart(section)), ("indicator", indicator_chart(section))):
            if png is None:
                continue
            cid = f"{kind}-{n}.chart@soctrang-reports"
            view["charts"][kind] = {"cid": cid, "alt": mail_text("charts", f"{kind}_alt", period=view["period"])}
            images.append(InlineImage(cid, png, f"{mail_text('charts', f'{kind}_file')}-{n}.png"))
    return images


def render_consolidated(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    """The consolidated report or digest to the office, with the .xlsx attached; the report (not
    the digest) shows its charts inline, and a six-monthly or yearly one also carries the draft
    Báo cáo (.docx) of its period."""
    template, context, consolidation = consolidated_context(config, judgement, email)
    attachments = [Attachment(context["attachment_name"], workbook_bytes(config, consolidation), XLSX)]
    inline: list[InlineImage] = []
    if template == "consolidated":
        attachments += [
            Attachment(
                document_name(config, s),
                report_docx(config, s, judgement.today, companion_sections(consolidation, s)),
                DOCX,
            )
            for s in document_sections(consolidation)
        ]
        inline = section_charts(consolidation, context["sections"])
    return Rendered(context["subject"], *_both(template, context), attachments, inline)


def render_sheet_problem(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    """To a unit whose sheet cannot be read: what is wrong and how to fix it, once a spell."""
    unit, problem = email.unit, email.problem
    assert unit is not None and problem is not None
    url, file = config.source.sheet_link(unit.sheet)
    subject = sheet_problem_subject(unit, problem.code)
    context = {
        **_letterhead(config),
        "subject": subject,
        "unit_name": unit.name,
        "unit_short": short_unit_name(unit),
        "today": judgement.today,
        "since": judgement.unreadable_since.get(unit.id, judgement.today),
        "problem": problem.message,
        "fix": mail_text("sheet_fixes", problem.code, office_name=config.organisation.office_name)
        if problem.code in catalogue_keys("sheet_fixes")
        else "",
        "sheet_url": url,
        "sheet_file": file,
    }
    return Rendered(subject, *_both("sheet_problem", context))


def render_service_problem(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    """To the office (and a technician): the service itself cannot read the units' sheets."""
    problem = email.problem
    assert problem is not None
    names = {u.id: short_unit_name(u) for u in config.units}
    subject = service_problem_subject(len(email.unit_ids), problem.code, judgement.today)
    context = {
        **_letterhead(config),
        "subject": subject,
        "today": judgement.today,
        "since": min(judgement.unreadable_since.get(u, judgement.today) for u in email.unit_ids),
        "problem": problem.message,
        "fix": mail_text("service_fixes", problem.code)
        if problem.code in catalogue_keys("service_fixes")
        else mail_text("service_fixes", "other"),
        "units": [names.get(u, u) for u in email.unit_ids],
        "unit_count": len(email.unit_ids),
    }
    return Rendered(subject, *_both("service_problem", context))


def render_ad_hoc_request(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    """To a unit, once: the ad-hoc report asked of it, by when, which tab, what to type."""
    unit = email.unit
    assert unit is not None
    spec = next(a for a in config.calendar.ad_hoc if a.id == email.period_id)
    period = period_name(config, ad_hoc_period(spec))
    url, file = config.source.sheet_link(unit.sheet)
    subject = ad_hoc_request_subject(unit, spec.label, period, spec.deadline)
    forms = [config.form(key) for key in spec.forms]
    context = {
        **_letterhead(config),
        "subject": subject,
        "unit_name": unit.name,
        "unit_short": short_unit_name(unit),
        "topic": topic_title(config.organisation.topics, spec.deadline.year),
        "today": judgement.today,
        "title": spec.label,
        "period": period,
        "start": spec.start,
        "due": spec.deadline,
        "days_left": (spec.deadline - judgement.today).days,
        "aliases": [*spec.aliases] or [spec.label],
        "forms": [
            {
                "title": form.title,
                "tab": form.tab,
                "period_label": form.period_label,
                "report_date_label": form.report_date_label,
                "list": form.layout == "list",
                "fields": [f.label for f in form.fields],
            }
            for form in forms
        ],
        "sheet_url": url,
        "sheet_file": file,
    }
    return Rendered(subject, *_both("ad_hoc_request", context))


def render_report_returned(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    """To a unit whose report the office sent back: the office's comment, once."""
    unit, report, review = email.unit, email.returned, email.review
    assert unit is not None and report is not None and review is not None
    form = config.form(report.form_key)
    url, file = config.source.sheet_link(unit.sheet)
    subject = report_returned_subject(config, email)
    context = {
        **_letterhead(config),
        "subject": subject,
        "unit_name": unit.name,
        "unit_short": short_unit_name(unit),
        "today": judgement.today,
        "decided_on": review.decided_on,
        "comment": review.comment,
        "form_title": form.title,
        "tab": form.tab,
        "period": period_name(config, report.period),
        "period_typed": report.period.label,
        "deadline": report.deadline,
        "overdue": report.overdue,
        "problems": [finding_line(f) for f in report.findings if f.blocking and f.code != "report_returned"],
        "sheet_url": url,
        "sheet_file": file,
    }
    return Rendered(subject, *_both("report_returned", context))


_RENDERERS = {
    AD_HOC_REQUEST: render_ad_hoc_request,
    REPORT_RETURNED: render_report_returned,
    REMINDER: render_reminder,
    SHEET_PROBLEM: render_sheet_problem,
    SERVICE_PROBLEM: render_service_problem,
}


def render_email(config: Config, judgement: Judgement, email: PlannedEmail) -> Rendered:
    return _RENDERERS.get(email.kind, render_consolidated)(config, judgement, email)
