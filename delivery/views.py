"""What the email templates are given: plain names, rows and counts built from a judgement.

Pure: a finding worded for a district clerk (the column and row, then the cell), a reminder's
reports grouped by form, a consolidated report's sections with units by short name, and the
digest's one table of units × outstanding reports. Every word comes from templates/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from consolidation.figures import Consolidation, Section, relevant_unit_findings
from consolidation.finding_lines import finding_line
from consolidation.names import period_name, period_short, short_unit_name
from consolidation.texts import mail_text
from delivery.schedule import PlannedEmail
from rules.model import (
    COMPLETE_LATE,
    COMPLETE_ON_TIME,
    INCOMPLETE,
    MISSING,
    NOT_YET_DUE,
    UNREADABLE,
    Finding,
    Judgement,
)
from settings.schema import Config

COMPLETE = (COMPLETE_ON_TIME, COMPLETE_LATE)
# Findings the weekly digest passes on to the office: a unit changed what it had delivered (or
# what the office had approved).
DIGEST_CHANGES = frozenset({"submitted_data_changed", "submitted_data_removed", "approved_data_changed"})


def status_mark(status: str) -> str:
    """A status in words with a sign that survives a client dropping colour: "✖ Chưa nộp"."""
    return mail_text("status_marks", status)


def timing_short(deadline: dt.date, today: dt.date) -> str:
    """How late a report is, for a table cell: "còn 3 ngày", "hôm nay", "31 ngày"."""
    days = (today - deadline).days
    if days < 0:
        return mail_text("timing_short", "before", days=-days)
    if days == 0:
        return mail_text("timing_short", "on_day")
    return mail_text("timing_short", "overdue", days=days)


def _sheet_findings(judgement: Judgement, unit_id: str, form_keys: list[str]) -> list[Finding]:
    found = [f for key in form_keys for f in relevant_unit_findings(judgement, unit_id, key, None)]
    return list({f.message: f for f in found}.values())


def reminder_view(config: Config, judgement: Judgement, email: PlannedEmail) -> dict[str, Any]:
    """A reminder's reports grouped by form, one row each, the sheet's own problems first."""
    unit = email.unit
    assert unit is not None
    today = judgement.today
    form_keys = list(dict.fromkeys(i.report.form_key for i in email.items))
    sheet = _sheet_findings(judgement, unit.id, form_keys)
    causes = [f for f in sheet if f.blocking]
    blocked = {f.form_key for f in causes}
    groups = []
    for form_key in form_keys:
        form = config.form(form_key)
        reports = []
        for item in (i for i in email.items if i.report.form_key == form_key):
            report = item.report
            problems = [finding_line(f) for f in report.findings if f.blocking]
            status = report.status
            if status == NOT_YET_DUE:
                status = INCOMPLETE if problems else MISSING
            if status != MISSING and problems:
                action = mail_text("actions", "fix", count=len(problems))
            else:
                action = mail_text("actions", "fix_sheet" if blocked & {None, form_key} else "enter_data")
            reports.append(
                {
                    "period": period_name(config, report.period),
                    "deadline": report.deadline,
                    "late": timing_short(report.deadline, today),
                    "overdue": report.deadline < today,
                    "status": status,
                    "status_text": status_mark(status),
                    "action": action,
                    "problems": problems,
                }
            )
        groups.append({"title": form.title, "tab": form.tab, "reports": reports})
    return {
        "unit_short": short_unit_name(unit),
        "report_count": len(email.items),
        "groups": groups,
        "sheet_causes": [finding_line(f) for f in causes],
        "sheet_notes": [finding_line(f) for f in sheet if not f.blocking],
    }


def _names(section: Section, *statuses: str) -> list[str]:
    return [short_unit_name(u) for u in section.units_where(*statuses)]


def section_view(config: Config, section: Section) -> dict[str, Any]:
    """One form and period across units: rates, names by status, a row per unit, findings."""
    summary = section.summary
    return {
        "title": section.form.title,
        "tab": section.form.tab,
        "period_id": section.period.id,
        "period": period_name(config, section.period),
        "period_short": period_short(config, section.period),
        "deadline": section.deadline,
        "counts": summary.counts(),
        "rates": {k: summary.rate(getattr(summary, k)) for k in ("submitted", "complete", "on_time")},
        "columns": [{"label": c.label, "numeric": c.numeric} for c in section.indicators],
        "rows": [
            {
                "unit": short_unit_name(r.unit),
                "status": r.report.status,
                "status_text": status_mark(r.report.status),
                "unread_today": r.report.complete and not r.report.sheet_read,
                "submitted_on": r.report.submitted_on,
                "cells": r.values,
            }
            for r in section.rows
        ],
        "totals": section.totals,
        "missing": _names(section, MISSING),
        "incomplete": _names(section, INCOMPLETE),
        "late": _names(section, COMPLETE_LATE),
        "unreadable": _names(section, UNREADABLE),
        "not_yet_due": _names(section, NOT_YET_DUE),
        "findings": [
            (short_unit_name(r.unit), list(dict.fromkeys(finding_line(f) for f in r.findings)))
            for r in section.rows_with_findings
        ],
    }


def unit_tally(consolidation: Consolidation) -> dict[str, int]:
    """Units (not reports) across every section: each unit counted once, by its worst report."""
    statuses: dict[str, set[str]] = {}
    for section in consolidation.sections:
        for row in section.rows:
            statuses.setdefault(row.unit.id, set()).add(row.report.status)
    missing = [u for u, s in statuses.items() if MISSING in s]
    unreadable = [u for u, s in statuses.items() if UNREADABLE in s and MISSING not in s]
    submitted = [u for u, s in statuses.items() if s <= {COMPLETE_ON_TIME, COMPLETE_LATE, INCOMPLETE}]
    return {
        "expected": len(statuses),
        "submitted": len(submitted),
        "incomplete": sum(INCOMPLETE in statuses[u] for u in submitted),
        "missing": len(missing),
        "unreadable": len(unreadable),
        "late": sum(COMPLETE_LATE in s and s <= set(COMPLETE) for s in statuses.values()),
    }


def digest_view(config: Config, consolidation: Consolidation) -> dict[str, Any]:
    """One table: a row per unit still owing something, a column per outstanding report, a status
    in each cell; and what the office should know besides. Columns are grouped by form and the
    newest come first: on a phone they are the ones in view, the older a swipe away."""
    newest: dict[str, dt.date] = {}
    for s in consolidation.sections:
        newest[s.form.key] = max(s.deadline, newest.get(s.form.key, s.deadline))
    forms = sorted(newest, key=lambda key: newest[key], reverse=True)
    sections = sorted(consolidation.sections, key=lambda s: (forms.index(s.form.key), -s.deadline.toordinal()))
    columns = [section_view(config, s) for s in sections]
    groups = [{"form": config.form(key).tab, "span": sum(s.form.key == key for s in sections)} for key in forms]
    cells: dict[str, list[dict[str, str] | None]] = {}
    changes: dict[str, list[str]] = {}
    for index, section in enumerate(sections):
        for row in section.rows:
            cells.setdefault(row.unit.id, [None] * len(sections))[index] = {
                "status": row.report.status,
                "text": mail_text("status_marks_short", row.report.status),
            }
            told = changes.setdefault(row.unit.id, [])
            for line in (finding_line(f) for f in row.findings if f.code in DIGEST_CHANGES):
                if line not in told:
                    told.append(line)
    rows, done, owing, unreadable = [], [], [], []
    for unit in config.units:
        if unit.id not in cells:
            continue
        statuses = [c["status"] for c in cells[unit.id] if c]
        name = short_unit_name(unit)
        if all(s in COMPLETE for s in statuses):
            done.append(name)
            continue
        rows.append({"unit": name, "cells": cells[unit.id]})
        owed = sum(s not in COMPLETE and s != UNREADABLE for s in statuses)
        if owed:
            owing.append({"unit": name, "count": owed})
        if UNREADABLE in statuses:
            unreadable.append(name)
    oldest = next(
        (c["period_short"] for c in sorted(columns, key=lambda c: c["deadline"]) if c["missing"] or c["incomplete"]),
        None,
    )
    return {
        "groups": groups,
        "columns": columns,
        "rows": rows,
        "done": done,
        "owing": owing,
        "owed_reports": sum(o["count"] for o in owing),
        "oldest": oldest,
        "unreadable": unreadable,
        "changes": [(short_unit_name(u), changes[u.id]) for u in config.units if changes.get(u.id)],
    }
