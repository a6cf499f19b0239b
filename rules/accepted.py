"""A report the service once saw complete: it stays complete, with its first-seen date, and
whatever the sheet shows of it now, if different, becomes a finding for the office.

Pure: (form, the report as judged so far, what was accepted, what the sheet shows today).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rules.forms import Record
from rules.messages import finding_text, text
from rules.model import COMPLETE_LATE, COMPLETE_ON_TIME, Accepted, Finding, ReportStatus, plain_values
from settings.schema import Form
from vntext import format_number, vn_date


@dataclass
class TodaySheet:
    """What today's sheet says of one report: its rows, findings and usable report dates."""

    records: list[Record]
    findings: list[Finding]
    complete: bool
    report_dates: list[dt.date]


def show_records(form: Form, report: ReportStatus, records: list[Record]) -> None:
    if form.layout == "list":
        report.rows = [r.values for r in records]
    else:
        report.values = records[-1].values


def accepted_values(form: Form, report: ReportStatus) -> dict[str, Any]:
    """The plain values the store keeps of a complete report (a list form: its rows)."""
    if form.layout == "list":
        return {"rows": [plain_values(row) for row in report.rows]}
    return plain_values(report.values)


def _typed(form: Form, plain: Mapping[str, Any]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for spec in form.fields:
        raw = plain.get(spec.key)
        if raw is None or spec.type in ("text", "choice"):
            typed[spec.key] = raw
        elif spec.type == "integer":
            typed[spec.key] = int(raw)
        elif spec.type == "date":
            typed[spec.key] = dt.date.fromisoformat(raw)
        else:
            typed[spec.key] = Decimal(str(raw))
    return typed


def _restore(form: Form, report: ReportStatus, accepted: Accepted) -> None:
    """Show the values accepted when the report was first seen complete."""
    if form.layout == "list":
        report.rows = [_typed(form, row) for row in accepted.values.get("rows", [])]
    else:
        report.values = _typed(form, accepted.values)


def _shown(form: Form, key: str, value: Any) -> str:
    if value is None or value == "":
        return text("history", "empty")
    spec = next((f for f in form.fields if f.key == key), None)
    if spec is not None and spec.numeric:
        return format_number(Decimal(str(value)))
    if spec is not None and spec.type == "date":
        return vn_date(dt.date.fromisoformat(value))
    return str(value)


def describe_changes(form: Form, old: Mapping[str, Any], new: Mapping[str, Any] | None) -> list[str]:
    """«label» old → new for each field that differs (a list form: its row count, or that it changed)."""
    new = new or {}
    if form.layout == "list":
        before, after = old.get("rows", []), new.get("rows", [])
        if len(before) != len(after):
            return [text("history", "row_count", old=len(before), new=len(after))]
        return [text("history", "rows_changed")] if before != after else []
    return [
        text("history", "change", label=spec.label, old=_shown(form, spec.key, old.get(spec.key)),
             new=_shown(form, spec.key, new.get(spec.key)))
        for spec in form.fields
        if old.get(spec.key) != new.get(spec.key)
    ]  # fmt: skip


def keep_accepted(
    form: Form, report: ReportStatus, accepted: Accepted, today_sheet: TodaySheet | None, today: dt.date
) -> dt.date | None:
    """A report once seen complete stays complete with its first-seen date. What the sheet shows
    now, if it differs, becomes a finding for the office; returns since when it differs."""
    report.submitted_on = accepted.first_complete_on
    report.status = COMPLETE_ON_TIME if accepted.first_complete_on <= report.deadline else COMPLETE_LATE
    if today_sheet is None:  # the sheet could not be read: judged from memory
        _restore(form, report, accepted)
        return accepted.changed_on
    now_plain: dict[str, Any] | None = None
    if today_sheet.complete:
        show_records(form, report, today_sheet.records)
        report.findings = list(today_sheet.findings)
        now_plain = accepted_values(form, report)
    else:
        if today_sheet.records:
            shown = ReportStatus(report.unit_id, report.form_key, report.period, report.deadline, report.status)
            show_records(form, shown, today_sheet.records)
            now_plain = accepted_values(form, shown)
        _restore(form, report, accepted)
        report.findings = [f for f in today_sheet.findings if not f.blocking]
    if now_plain == accepted.values:
        return None
    since = accepted.changed_on if accepted.changed_on and accepted.changed_on <= today else today
    changes = describe_changes(form, accepted.values, now_plain) if now_plain is not None else []
    code = "submitted_data_changed" if today_sheet.complete else "submitted_data_removed"
    tab = form.tab
    report.findings.append(
        Finding(
            report.unit_id,
            code,
            finding_text(
                code,
                period=report.period.label,
                tab=tab,
                submitted=vn_date(accepted.first_complete_on),
                since=vn_date(since),
                changes="; ".join(changes),
                changes_colon=(": " + "; ".join(changes)) if changes else "",
            ),
            severity="medium",
            blocking=False,
            form_key=form.key,
            period_id=report.period.id,
            tab=tab,
        )
    )
    return since
