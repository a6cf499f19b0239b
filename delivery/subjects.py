"""Subject lines of every kind of email: the point of the email in at most 100 characters.

Pure. The texts are templates/mail.yaml's ``subjects``; a subject may have variants, the first that
fits is used, and the last is cut at a word when even it is too long (a very long unit name).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from consolidation.figures import Consolidation
from consolidation.names import period_name, short_unit_name
from consolidation.texts import catalogue_keys, mail_text, mail_variants
from delivery.schedule import PlannedEmail
from delivery.views import unit_tally
from settings.schema import Config, Unit
from vntext import vn_date

MAX_SUBJECT = 100


def fit(variants: list[str], limit: int = MAX_SUBJECT) -> str:
    """The first variant of at most ``limit`` characters, else the last one cut at a word + "…"."""
    lines = [" ".join(v.split()) for v in variants]
    for line in lines:
        if len(line) <= limit:
            return line
    head = lines[-1][: limit - 1]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ,;:–-") + "…"


def subject(kind: str, **variables: Any) -> str:
    return fit(mail_variants("subjects", kind, **variables))


def reminder_subject(config: Config, email: PlannedEmail, today: dt.date) -> str:
    """By the oldest report: overdue (by its delay), due today, or the nearest deadline ahead."""
    assert email.unit is not None and email.items
    oldest = min(i.report.deadline for i in email.items)
    days = (today - oldest).days
    situation = "reminder_before" if days < 0 else "reminder_on_day" if days == 0 else "reminder_overdue"
    only = email.items[0].report if len(email.items) == 1 else None
    return subject(
        situation,
        unit=short_unit_name(email.unit),
        count=len(email.items),
        report=mail_text("report_name", period=period_name(config, only.period)) if only else "",
        deadline=vn_date(oldest),
        days=abs(days),
    )


def consolidated_subject(config: Config, email: PlannedEmail, consolidation: Consolidation) -> str:
    """The period and how many units have reported (each unit once across the period's forms)."""
    return subject(
        email.kind,
        period=period_name(config, consolidation.sections[0].period),
        date=vn_date(consolidation.today),
        **unit_tally(consolidation),
    )


def digest_subject(view: dict[str, Any], today: dt.date) -> str:
    return subject(
        "digest",
        date=vn_date(today),
        units=len(view["owing"]),
        reports=view["owed_reports"],
        oldest=view["oldest"],
        unreadable=len(view["unreadable"]),
    )


def _cause(section: str, code: str, fallback: str | None = None) -> str:
    key = code if code in catalogue_keys(section) else fallback
    return mail_text(section, key) if key else ""


def ad_hoc_request_subject(unit: Unit, title: str, period: str, due: dt.date) -> str:
    return subject("ad_hoc_request", unit=short_unit_name(unit), title=title, period=period, due=vn_date(due))


def sheet_problem_subject(unit: Unit, code: str) -> str:
    return subject("sheet_problem", unit=short_unit_name(unit), cause=_cause("sheet_causes", code))


def report_returned_subject(config: Config, email: PlannedEmail) -> str:
    """The unit and the report the office sent back, its form named by its tab."""
    assert email.unit is not None and email.returned is not None
    report = email.returned
    return subject(
        "report_returned",
        unit=short_unit_name(email.unit),
        report=mail_text("report_name", period=period_name(config, report.period)),
        tab=config.form(report.form_key).tab,
    )


def service_problem_subject(count: int, code: str, today: dt.date) -> str:
    return subject("service_problem", count=count, cause=_cause("service_causes", code, "other"), date=vn_date(today))
