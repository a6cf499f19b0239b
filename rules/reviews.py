"""The office's reviews in the judgement: a returned report counts as incomplete, with the office's
comment, until the unit's data for it change (then it is judged afresh); an accepted report whose
data change after the approval is flagged for the office.

Pure: (form, the report as judged, the review, what the sheet shows today). "The data" are the
report's values, compared as the store keeps accepted values (a list form: its rows).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rules.accepted import TodaySheet, describe_changes, show_records
from rules.forms import Record
from rules.messages import finding_text
from rules.model import INCOMPLETE, UNREADABLE, Finding, ReportStatus, Review, plain_value, plain_values
from settings.schema import Form
from vntext import vn_date

# Findings that supersede "the unit changed submitted data" once the office has approved a report.
CHANGED_SINCE_SUBMITTED = frozenset({"submitted_data_changed", "submitted_data_removed"})


def report_rows(records: list[Record]) -> list[dict[str, Any]]:
    """A report's rows as the store keeps them in history and in a review's basis."""
    return [{"report_date": plain_value(r.report_date), "values": plain_values(r.values)} for r in records]


def report_data(form: Form, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The values of a report's rows, shaped as accepted values are (a list form: its rows; a
    per-period form: its last row, the one the judgement reads)."""
    if form.layout == "list":
        return {"rows": [row["values"] for row in rows]}
    return dict(rows[-1]["values"]) if rows else {}


def data_changed(form: Form, review: Review, records: list[Record]) -> bool:
    return report_data(form, report_rows(records)) != report_data(form, review.basis)


def returned_report(
    form: Form, report: ReportStatus, review: Review, today_sheet: TodaySheet | None, office: str, today: dt.date
) -> None:
    """A returned report whose data have not changed since: incomplete (or unreadable, when the
    sheet cannot be read today), carrying the office's comment as a blocking finding."""
    report.overdue = today > report.deadline
    if today_sheet is None:
        report.sheet_read = False
        report.status = UNREADABLE
    else:
        report.status = INCOMPLETE
        report.findings = list(today_sheet.findings)
        show_records(form, report, today_sheet.records)
    report.findings.append(
        Finding(
            report.unit_id,
            "report_returned",
            finding_text(
                "report_returned",
                office=office,
                period=report.period.label,
                date=vn_date(review.decided_on),
                comment=review.comment,
                tab=form.tab,
            ),
            form_key=form.key,
            period_id=report.period.id,
            tab=form.tab,
        )
    )


def flag_approved_change(
    form: Form, report: ReportStatus, review: Review, records: list[Record], office: str, today: dt.date
) -> dt.date | None:
    """An accepted report whose data differ from those approved: a finding for the office (it
    replaces "the unit changed submitted data"), and since when they differ (None: they do not)."""
    old, new = report_data(form, review.basis), report_data(form, report_rows(records))
    if old == new:
        return None
    since = review.changed_on if review.changed_on and review.changed_on <= today else today
    changes = describe_changes(form, old, new)
    report.findings = [f for f in report.findings if f.code not in CHANGED_SINCE_SUBMITTED]
    report.findings.append(
        Finding(
            report.unit_id,
            "approved_data_changed",
            finding_text(
                "approved_data_changed",
                office=office,
                period=report.period.label,
                approved=vn_date(review.decided_on),
                tab=form.tab,
                since=vn_date(since),
                changes_colon=(": " + "; ".join(changes)) if changes else "",
            ),
            severity="medium",
            blocking=False,
            form_key=form.key,
            period_id=report.period.id,
            tab=form.tab,
        )
    )
    return since
