"""`check`: read every unit's sheet, judge it, remember first-seen submissions, and show it all."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from consolidation.names import period_short
from consolidation.sheet_tables import feedback_tab_title, same_tab
from errors import ConfigError
from rules.judge import Memory, UnitReading, judge, owed_tabs, read_unit
from rules.messages import status_text, text
from rules.model import Accepted, Finding, Judgement, ReportStatus, Review, plain_value, plain_values
from service.board import publish_board
from service.logs import log_unit_problems, progress_on_terminal
from service.requests import with_requests
from settings.schema import Config, Unit
from store import AcceptedReport, ReportRow, Store
from sync.factory import build_source
from sync.progress import ReadProgress, TerminalBar
from sync.source import CountsWaiting, Source


def collect(
    config: Config,
    today: dt.date,
    store: Store,
    unit_ids: list[str] | None = None,
    source: Source | None = None,
    command: str = "check",
    full: bool = False,
) -> Judgement:
    """Pull every unit's sheet, judge on ``today`` and remember in ``store`` which units were
    tried and read and which reports were first seen complete."""
    units = [u for u in config.units if unit_ids is None or u.id in unit_ids]
    source = source or build_source(config, store, full=full)
    tabs = {unit.id: owed_tabs(config, unit) for unit in units}
    readings = read_all(config, source, units, tabs)
    read_ok = [unit_id for unit_id, reading in readings.items() if reading.problem is None]
    accepted, units_seen = store.accepted_reports(), store.units_seen()
    memory = Memory(
        accepted={k: Accepted(a.first_complete_on, a.values, a.changed_on) for k, a in accepted.items()},
        first_tried={u: seen.first_tried_on for u, seen in units_seen.items()},
        first_read={u: seen.first_read_on for u, seen in units_seen.items() if seen.first_read_on},
        unreadable_since={u: seen.unreadable_since for u, seen in units_seen.items() if seen.unreadable_since},
        reviews={k: Review(r.id, r.decision, r.comment, r.decided_on, r.basis or [], r.changed_on)
                 for k, r in store.latest_reviews().items()},
    )  # fmt: skip
    judgement = judge(config, readings, today, memory, unit_ids)
    # What the day's judgement teaches the store is recorded whole or not at all.
    with store.transaction():
        store.reopen_reports(judgement.reopened)
        store.record_review_changes(judgement.review_changes)
        store.record_accepted(
            {k: AcceptedReport(a.first_complete_on, a.values) for k, a in judgement.newly_accepted.items()},
            judgement.changes_seen,
        )
        store.record_units_seen([u.id for u in units], read_ok, today)
        record_history(config, store, readings, today)
        store.save_report_statuses(report_rows(judgement))
        store.start_run(command, today)
    return judgement


def report_rows(judgement: Judgement) -> list[ReportRow]:
    """Each report's last judgement as the store keeps it."""
    return [
        ReportRow(r.unit_id, r.form_key, r.period.id, r.period.label, r.deadline, r.status, r.submitted_on,
                  len(r.findings), r.unit_id not in judgement.unreadable_since, judgement.today)
        for r in judgement.reports
    ]  # fmt: skip


def read_all(config: Config, source: Source, units: list[Unit], tabs: dict[str, list[str]]) -> dict[str, UnitReading]:
    """Every unit's reading, in the order of ``units`` whatever order the source delivered them in
    (several accounts deliver as they finish); progress in the log, and on a terminal a bar."""
    readings = {}
    own_tab = feedback_tab_title() if config.writeback.enabled and config.writeback.unit_feedback else None
    waiting = source.waiting_accounts if isinstance(source, CountsWaiting) else None
    progress = ReadProgress(len(units), waiting, bar=TerminalBar(len(units)) if progress_on_terminal() else None)
    try:
        for fetch in source.fetch(units, tabs):
            if own_tab:  # the feedback tab the service writes is not one of the unit's tabs
                fetch.available_tabs = [t for t in fetch.available_tabs if not same_tab(t, own_tab)]
            readings[fetch.unit_id] = read_unit(config, fetch)
            progress.advance()
    finally:
        progress.close()
    return {u.id: readings[u.id] for u in units if u.id in readings}


def record_history(config: Config, store: Store, readings: dict[str, UnitReading], today: dt.date) -> int:
    """Keep every distinct content of each form tab read today (rows in sheet order, each with its
    period, report date and plain values); an unchanged tab adds nothing. Returns how many were added."""
    versions = []
    for unit_id, reading in readings.items():
        if reading.problem is not None:
            continue
        for form_key, form_reading in reading.forms.items():
            rows = [
                {
                    "period": period_id,
                    "report_date": plain_value(record.report_date),
                    "values": plain_values(record.values),
                }
                for period_id, records in form_reading.records.items()
                for record in records
            ]
            versions.append((unit_id, form_key, rows))
    return store.add_tab_versions(versions, today)


def _number(value: Any) -> Any:
    """Decimal → int or float, for JSON."""
    if value is None or isinstance(value, (int, str, bool)):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return int(value) if value == value.to_integral_value() else float(value)


def report_as_dict(report: ReportStatus) -> dict[str, Any]:
    return {
        "unit_id": report.unit_id,
        "form": report.form_key,
        "period": report.period.id,
        "period_label": report.period.label,
        "period_type": report.period.type,
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),
        "deadline": report.deadline.isoformat(),
        "status": report.status,
        "status_text": status_text(report.status),
        "submitted_on": report.submitted_on.isoformat() if report.submitted_on else None,
        "overdue": report.overdue,
        "finding_count": len(report.findings),
        "values": {k: _number(v) for k, v in report.values.items()},
        "rows": [{k: _number(v) for k, v in row.items()} for row in report.rows],
    }


def judgement_as_dict(config: Config, judgement: Judgement) -> dict[str, Any]:
    """Everything `check --json` prints."""
    shown = {r.unit_id for r in judgement.reports} | {f.unit_id for f in judgement.unit_findings}
    return {
        "today": judgement.today.isoformat(),
        "units": [{"id": u.id, "name": u.name, "kind": u.kind} for u in config.units if u.id in shown],
        "reports": [report_as_dict(r) for r in judgement.reports],
        "summaries": [
            {
                "form": s.form_key,
                "period": s.period.id,
                "period_label": s.period.label,
                "deadline": s.deadline.isoformat(),
                **s.counts(),
                "submitted_rate": s.rate(s.submitted),
                "complete_rate": s.rate(s.complete),
                "on_time_rate": s.rate(s.on_time),
            }
            for s in judgement.summaries
        ],
        "findings": [f.as_dict() for f in judgement.findings()],
    }


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def render_text(config: Config, judgement: Judgement) -> str:
    """One table per form (units × periods in view), its summary line, then every finding."""
    lines: list[str] = []
    # Indexed once: scanning every finding for each unit would grow with the square of the units.
    unit_findings: dict[tuple[str, str | None], int] = defaultdict(int)
    for finding in judgement.unit_findings:
        unit_findings[(finding.unit_id, finding.form_key)] += 1
    for form in config.forms:
        reports = [r for r in judgement.reports if r.form_key == form.key]
        if not reports:
            continue
        periods = list(dict.fromkeys(r.period for r in reports))
        by_cell = {(r.unit_id, r.period.id): r for r in reports}
        header = (
            [text("check_table", "unit")]
            + [period_short(config, p) for p in periods]
            + [text("check_table", "findings")]
        )
        rows = [header]
        short = {s: text("status_short", s) for s in {r.status for r in reports}}  # once per status
        for unit in config.units:
            cells = [by_cell.get((unit.id, p.id)) for p in periods]
            if not any(cells):
                continue
            count = sum(len(c.findings) for c in cells if c)
            count += unit_findings[(unit.id, None)] + unit_findings[(unit.id, form.key)]
            rows.append([f"{unit.id} {unit.name}"] + [short[c.status] if c else "" for c in cells] + [str(count)])
        deadline_row = (
            [text("check_table", "deadline")]
            + [
                by_cell_deadline.strftime("%d/%m/%Y")
                for by_cell_deadline in (next(r.deadline for r in reports if r.period == p) for p in periods)
            ]
            + [""]
        )
        lines.append(f"{form.title} («{form.tab}»)")
        lines.extend(_table(rows + [deadline_row]))
        for summary in (s for s in judgement.summaries if s.form_key == form.key):
            lines.append(f"  {summary.period.label}: " + text("check_table", "summary", **summary.counts()))
        lines.append("")
    lines.append(text("check_table", "findings_title"))
    findings = judgement.findings()
    labels = {r.period.id: r.period.label for r in judgement.reports}
    if not findings:
        lines.append("  " + text("check_table", "no_findings"))
    by_unit: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_unit[finding.unit_id].append(finding)
    for unit in config.units:
        mine = by_unit.get(unit.id)
        if mine:
            lines.append(f"{unit.id} {unit.name}")
            lines.extend(f"  - {_finding_line(f, labels)}" for f in mine)
    return "\n".join(lines)


def _finding_line(finding: Finding, period_labels: dict[str, str]) -> str:
    if finding.period_id in period_labels:
        return f"[{period_labels[finding.period_id]}] {finding.message}"
    return finding.message


def check_command(config: Config, today: dt.date, unit_id: str | None, as_json: bool, full: bool = False) -> str:
    """What `python main.py check` prints."""
    from service.control import apply_control

    with Store.open(config.state_file) as store:
        source = build_source(config, store, full=full)
        controlled = apply_control(config, store, today, source)
        config = with_requests(controlled.config, store)
        if unit_id and unit_id not in {u.id for u in config.units}:
            raise ConfigError(f"--unit: no unit with id {unit_id!r} in config or the control sheet")
        judgement = collect(config, today, store, [unit_id] if unit_id else None, source=source, full=full)
        publish_board(config, store, judgement, saved=report_rows(judgement))
    log_unit_problems(config, judgement)
    if as_json:
        shown = judgement_as_dict(config, judgement)
        if config.control is not None:  # the control spreadsheet's rows not applied, in Vietnamese
            shown["control"] = controlled.notices
        return json.dumps(shown, ensure_ascii=False, indent=2)
    return "\n".join([*controlled.summary(), render_text(config, judgement)])
