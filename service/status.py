"""`status`: every report's last judgement, the reminders sent and the emails queued, from the
state file alone (no sheet is read), as a terminal table or as JSON."""

from __future__ import annotations

import io
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from consolidation.names import period_short
from rules.calendar import ad_hoc_period, standard_periods
from rules.messages import status_text, text
from rules.model import Period
from settings.schema import Config
from store import ReportRow, Store
from store.ledger import Entry

PLAIN_WIDTH = 130  # when stdout is not a terminal (a pipe, a file, a test), so the output is stable
STATUS_STYLES = {
    "complete_on_time": "green",
    "complete_late": "yellow",
    "incomplete": "magenta",
    "missing": "bold red",
    "unreadable": "red",
    "not_yet_due": "dim",
}
PERIOD_TYPES = ("monthly", "six_monthly", "yearly")


@dataclass(frozen=True)
class StatusView:
    """What the state file says: reports as last judged, reminders sent per report, emails queued."""

    state_file: Path
    exists: bool
    period_id: str | None = None
    reports: list[ReportRow] = field(default_factory=list)
    reminders: dict[tuple[str, str, str], int] = field(default_factory=dict)
    queued: list[Entry] = field(default_factory=list)


def read_status(config: Config, period_id: str | None = None) -> StatusView:
    """The state file's view; a state file that was never written is reported, not created."""
    path = config.state_file
    if not path.exists():
        return StatusView(path, exists=False, period_id=period_id)
    with Store.open(path) as store:
        return StatusView(
            path, True, period_id, store.report_statuses(period_id), store.reminders_sent(), store.waiting()
        )


def _date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def status_as_dict(config: Config, view: StatusView) -> dict[str, Any]:
    """Everything `status --json` prints: ISO dates, raw status codes."""
    names = {u.id: u.name for u in config.units}
    return {
        "reports": [
            {
                "unit_id": r.unit_id,
                "unit_name": names.get(r.unit_id),
                "form": r.form_key,
                "period": r.period_id,
                "period_label": r.period_label,
                "deadline": r.deadline.isoformat(),
                "status": r.status,
                "submitted_on": _date(r.submitted_on),
                "finding_count": r.finding_count,
                "sheet_read": r.sheet_read,
                "judged_on": r.judged_on.isoformat(),
                "reminders_sent": view.reminders.get((r.unit_id, r.form_key, r.period_id), 0),
            }
            for r in view.reports
        ],
        "queued": [
            {
                "key": e.key,
                "kind": e.kind,
                "unit_id": e.unit_id,
                "queued_reason": e.queued_reason,
                "attempts": e.attempts,
                "last_error": e.last_error,
            }
            for e in view.queued
        ],
    }


def status_word(status: str) -> str:
    """The short Vietnamese word for ``status``; a status this version has no word for shows as is."""
    try:
        return text("status_short", status)
    except KeyError:
        pass
    try:
        return status_text(status)
    except KeyError:
        return status


def catalogue_word(section: str, key: str | None) -> str:
    if key is None:
        return ""
    try:
        return text(section, key)
    except KeyError:
        return key


def calendar_periods(config: Config, reports: list[ReportRow]) -> dict[str, Period]:
    """The calendar's periods for the years in view, by id, to name each column briefly."""
    years = {r.deadline.year + delta for r in reports for delta in (-1, 0)}
    periods = [p for kind in PERIOD_TYPES for p in standard_periods(kind, sorted(years), config.calendar.cutoff_day)]
    periods += [ad_hoc_period(spec) for spec in config.calendar.ad_hoc]
    return {p.id: p for p in periods}


def _cell(report: ReportRow, reminders: int) -> Text:
    cell = Text()
    cell.append(status_word(report.status), style=STATUS_STYLES.get(report.status, ""))
    if not report.sheet_read:
        cell.append(" *", style="red")
    if report.submitted_on:
        cell.append("\n" + report.submitted_on.strftime("%d/%m/%Y"))
    if reminders:
        cell.append("\n" + text("status_table", "reminded", count=reminders), style="cyan")
    return cell


def _form_title(config: Config, form_key: str) -> Text:
    form = next((f for f in config.forms if f.key == form_key), None)
    return Text(f"{form.title} («{form.tab}»)" if form else form_key, style="bold")


def _form_table(config: Config, view: StatusView, form_key: str, periods: dict[str, Period]) -> Table:
    reports = [r for r in view.reports if r.form_key == form_key]
    columns = list(dict.fromkeys(r.period_id for r in reports))
    deadlines = {r.period_id: r.deadline for r in reports}
    labels = {r.period_id: r.period_label for r in reports}
    table = Table(
        box=box.SIMPLE_HEAD,
        show_footer=True,
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
    )
    table.add_column(text("check_table", "unit"), text("check_table", "deadline"), overflow="fold", max_width=34)
    for period_id in columns:
        name = period_short(config, periods[period_id]) if period_id in periods else labels[period_id]
        table.add_column(name, deadlines[period_id].strftime("%d/%m/%Y"), overflow="fold")
    by_cell = {(r.unit_id, r.period_id): r for r in reports}
    names = {u.id: u.name for u in config.units}
    unit_ids = [u.id for u in config.units] + sorted({r.unit_id for r in reports} - set(names))
    for unit_id in unit_ids:
        cells = [by_cell.get((unit_id, p)) for p in columns]
        if not any(cells):
            continue
        table.add_row(
            f"{unit_id} {names.get(unit_id, '')}".strip(),
            *[_cell(c, view.reminders.get((c.unit_id, c.form_key, c.period_id), 0)) if c else "" for c in cells],
        )
    return table


def _queued_table(view: StatusView) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    # The key names the email in the log file; its start is enough to find it there.
    table.add_column(text("status_table", "email"), overflow="ellipsis", no_wrap=True, max_width=28)
    for column in ("kind", "unit", "reason", "attempts", "error"):
        table.add_column(text("status_table", column), overflow="fold")
    for entry in view.queued:
        table.add_row(
            entry.key,
            catalogue_word("status_kinds", entry.kind),
            entry.unit_id or "",
            catalogue_word("status_reasons", entry.queued_reason),
            str(entry.attempts),
            entry.last_error or "",
        )
    return table


def render_status(config: Config, view: StatusView, width: int | None = None, color: bool = False) -> str:
    """One table per form (units × periods: status, submission date, reminders sent), then the queue."""
    if not view.exists:
        return text("status_table", "no_state", path=view.state_file)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or PLAIN_WIDTH, force_terminal=color, no_color=not color)
    if not view.reports:
        key = "no_reports_period" if view.period_id else "no_reports"
        console.print(text("status_table", key, period=view.period_id), highlight=False)
    periods = calendar_periods(config, view.reports)
    forms = [f.key for f in config.forms] + sorted({r.form_key for r in view.reports} - {f.key for f in config.forms})
    for form_key in forms:
        if any(r.form_key == form_key for r in view.reports):
            console.print(_form_title(config, form_key))
            console.print(_form_table(config, view, form_key, periods))
    if any(not r.sheet_read for r in view.reports):
        console.print(text("status_table", "not_read"), highlight=False)
    days = sorted({r.judged_on for r in view.reports})
    if days:
        dates = ", ".join(d.strftime("%d/%m/%Y") for d in days)
        console.print(text("status_table", "judged_on", dates=dates), highlight=False)
    console.print()
    if view.queued:
        console.print(Text(text("status_table", "queued_title"), style="bold"))
        console.print(_queued_table(view))
    else:
        console.print(text("status_table", "queued_none"), highlight=False)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip().splitlines())


def status_command(config: Config, period_id: str | None, as_json: bool) -> str:
    """What `python main.py status` prints: colours and the terminal's width only on a terminal."""
    view = read_status(config, period_id)
    if as_json:
        return json.dumps(status_as_dict(config, view), ensure_ascii=False, indent=2)
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else None
    return render_status(config, view, width=width, color=terminal)
