"""The status board: one self-contained HTML page (templates/board.html) that `run` and `check`
rewrite from the store once the judgement is recorded, for the office to open on a phone or print."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from consolidation.names import period_short, short_unit_name
from consolidation.texts import environment, render
from rules.model import (
    COMPLETE_LATE,
    COMPLETE_ON_TIME,
    INCOMPLETE,
    MISSING,
    NOT_YET_DUE,
    UNREADABLE,
    Finding,
    Judgement,
    Period,
)
from service.status import calendar_periods, catalogue_word, status_word
from settings.schema import Config
from store import ReportRow, Store, UnitSeen
from store.ledger import CAP, Entry

if TYPE_CHECKING:
    from markupsafe import Markup

log = logging.getLogger(__name__)
# The catalogue is read once per process, and the grid asks for a word for each of its cells.
_status_word = lru_cache(maxsize=64)(status_word)

SUBMITTED = (COMPLETE_ON_TIME, COMPLETE_LATE, INCOMPLETE)  # as rules.judge.summarise counts them
LEGEND = (COMPLETE_ON_TIME, COMPLETE_LATE, INCOMPLETE, MISSING, UNREADABLE, NOT_YET_DUE)  # best first


@dataclass(frozen=True)
class Cell:
    """One report in the grid: its status code (a CSS class), word, submission day, reminders."""

    status: str
    word: str
    submitted_on: dt.date | None
    reminders: int
    sheet_read: bool


@dataclass(frozen=True)
class Column:
    period_id: str
    name: str  # "T7/2023"
    label: str  # "Tháng 7/2023"
    deadline: dt.date


@dataclass(frozen=True)
class GridRow:
    unit_id: str
    short_name: str  # "Long Phú", so that the grid stays narrow on a phone
    unit_name: str
    cells: list[Cell | None]


@dataclass(frozen=True)
class Grid:
    """One form: units × periods."""

    title: str
    tab: str
    columns: list[Column]
    rows: list[GridRow]


@dataclass(frozen=True)
class Rate:
    """One period of a form, past its deadline: how many units owed it, submitted it, on time."""

    period: str  # "T7/2023", as the grid's column
    label: str  # "Tháng 7/2023"
    deadline: dt.date
    expected: int
    submitted: int
    on_time: int

    @property
    def submitted_percent(self) -> int:
        return round(100 * self.submitted / self.expected) if self.expected else 0

    @property
    def on_time_percent(self) -> int:
        return round(100 * self.on_time / self.expected) if self.expected else 0


@dataclass(frozen=True)
class UnitLine:
    """One unit: its sheet (a link when it has an address), its last check, its findings."""

    unit_id: str
    short_name: str
    name: str
    link: str | None
    judged_on: dt.date | None
    sheet_read: bool
    first_read_on: dt.date | None
    unreadable_since: dt.date | None
    finding_count: int
    findings: list[str] | None  # None: not judged by this command; the count is the stored reports' own


@dataclass(frozen=True)
class QueuedLine:
    kind: str
    unit: str
    subject: str
    reason: str
    first_day: dt.date
    attempts: int
    error: str


@dataclass(frozen=True)
class Board:
    """Everything the page shows."""

    organisation: str
    office: str
    judged_on: dt.date | None
    grids: list[Grid]
    rates: dict[str, list[Rate]]  # by form title
    units: list[UnitLine]
    queued: list[QueuedLine]
    words: dict[str, str] = field(default_factory=lambda: {s: status_word(s) for s in LEGEND})

    @property
    def any_findings_unknown(self) -> bool:
        """Whether some unit's findings are only counted (a `check --unit` of another unit)."""
        return any(u.findings is None and u.judged_on for u in self.units)

    @property
    def any_unread(self) -> bool:
        """Whether some report's last judgement was made without its sheet."""
        return any(c is not None and not c.sheet_read for g in self.grids for row in g.rows for c in row.cells)


def finding_lines(judgement: Judgement) -> dict[str, list[str]]:
    """Every unit judged, with its findings as `check` prints them ("[Tháng 7/2023] Ô …")."""
    labels = {r.period.id: r.period.label for r in judgement.reports}
    lines: dict[str, list[str]] = {r.unit_id: [] for r in judgement.reports}
    for finding in judgement.findings():
        lines.setdefault(finding.unit_id, []).append(_finding_line(finding, labels))
    return lines


def _finding_line(finding: Finding, labels: dict[str, str]) -> str:
    if finding.period_id in labels:
        return f"[{labels[finding.period_id]}] {finding.message}"
    return finding.message


def _period_name(config: Config, periods: dict[str, Period], report: ReportRow) -> str:
    """How the grid's column names the period ("T7/2023"); the stored label if the calendar has it no more."""
    return period_short(config, periods[report.period_id]) if report.period_id in periods else report.period_label


def _grids(config: Config, reports: list[ReportRow], reminders: dict[tuple[str, str, str], int]) -> list[Grid]:
    periods = calendar_periods(config, reports)
    names = {u.id: (short_unit_name(u), u.name) for u in config.units}
    unit_ids = [u.id for u in config.units] + sorted({r.unit_id for r in reports} - set(names))
    grids = []
    for form in config.forms:
        mine = [r for r in reports if r.form_key == form.key]
        if not mine:
            continue
        first = {r.period_id: r for r in reversed(mine)}
        columns = [
            Column(p, _period_name(config, periods, first[p]), first[p].period_label, first[p].deadline)
            for p in dict.fromkeys(r.period_id for r in mine)
        ]
        by_cell = {(r.unit_id, r.period_id): r for r in mine}
        rows = []
        for unit_id in unit_ids:
            found = [by_cell.get((unit_id, c.period_id)) for c in columns]
            if any(found):
                cells = [_cell(r, reminders) if r else None for r in found]
                rows.append(GridRow(unit_id, *names.get(unit_id, ("", "")), cells))
        grids.append(Grid(form.title, form.tab, columns, rows))
    return grids


def _cell(report: ReportRow, reminders: dict[tuple[str, str, str], int]) -> Cell:
    sent = reminders.get((report.unit_id, report.form_key, report.period_id), 0)
    return Cell(report.status, _status_word(report.status), report.submitted_on, sent, report.sheet_read)


def _rates(config: Config, reports: list[ReportRow]) -> dict[str, list[Rate]]:
    """By form title in config's order: each period whose deadline had passed when judged, oldest first."""
    titles = {f.key: f.title for f in config.forms}
    order = {f.key: i for i, f in enumerate(config.forms)}
    periods = calendar_periods(config, reports)
    groups: dict[tuple[str, str], list[ReportRow]] = defaultdict(list)
    for report in reports:
        if report.deadline < report.judged_on:
            groups[(report.form_key, report.period_id)].append(report)
    ordered = sorted(groups.items(), key=lambda item: (order.get(item[0][0], len(order)), item[1][0].deadline))
    rates: dict[str, list[Rate]] = {}
    for (form_key, _), rows in ordered:
        rates.setdefault(titles.get(form_key, form_key), []).append(
            Rate(_period_name(config, periods, rows[0]), rows[0].period_label, rows[0].deadline, len(rows),
                 sum(r.status in SUBMITTED for r in rows), sum(r.status == COMPLETE_ON_TIME for r in rows))
        )  # fmt: skip
    return rates


def _units(
    config: Config, reports: list[ReportRow], seen: dict[str, UnitSeen], findings: dict[str, list[str]]
) -> list[UnitLine]:
    by_unit: dict[str, list[ReportRow]] = defaultdict(list)
    for report in reports:
        by_unit[report.unit_id].append(report)
    lines = []
    for unit in config.units:
        mine = by_unit.get(unit.id, [])
        last = max((r.judged_on for r in mine), default=None)
        latest = [r for r in mine if r.judged_on == last]
        unit_seen = seen.get(unit.id)
        link, _ = config.source.sheet_link(unit.sheet)
        messages = findings.get(unit.id)
        lines.append(
            UnitLine(
                unit_id=unit.id,
                short_name=short_unit_name(unit),
                name=unit.name,
                link=link,
                judged_on=last,
                sheet_read=bool(latest) and all(r.sheet_read for r in latest),
                first_read_on=unit_seen.first_read_on if unit_seen else None,
                unreadable_since=unit_seen.unreadable_since if unit_seen else None,
                finding_count=len(messages) if messages is not None else sum(r.finding_count for r in latest),
                findings=messages,
            )
        )
    return lines


def _queued(config: Config, waiting: list[Entry]) -> list[QueuedLine]:
    """Each email still queued; the cap's own note is left out, the reason says it in Vietnamese."""
    names = {u.id: short_unit_name(u) for u in config.units}
    return [
        QueuedLine(
            kind=catalogue_word("status_kinds", e.kind),
            unit=names.get(e.unit_id, e.unit_id) if e.unit_id else "",
            subject=e.subject,
            reason=catalogue_word("status_reasons", e.queued_reason),
            first_day=dt.date.fromisoformat(e.first_day),
            attempts=e.attempts,
            error="" if e.queued_reason == CAP else e.last_error or "",
        )
        for e in waiting
    ]


def gather_board(
    config: Config,
    store: Store,
    findings: dict[str, list[str]] | None = None,
    saved: list[ReportRow] | None = None,
) -> Board:
    """The board from the store: last judgements, reminders sent, units seen, emails queued.

    ``findings`` (from `finding_lines`) gives the messages of the units judged just now; the
    store keeps only their number, which is shown for the other units. ``saved``: the last
    judgements just saved, which need not be read back."""
    reports = store.report_statuses() if saved is None else store.report_statuses_saved(saved)
    return Board(
        config.organisation.name,
        config.organisation.office_name,
        max((r.judged_on for r in reports), default=None),
        _grids(config, reports, store.reminders_sent()),
        _rates(config, reports),
        _units(config, reports, store.units_seen(), findings or {}),
        _queued(config, store.waiting()),
    )


def render_board(board: Board) -> str:
    return render("board.html", board=board, board_cells=_cells_renderer())


def _cells_renderer() -> Callable[[list[Cell | None], list[Column], dict[str, str]], Markup]:
    """``board_cells`` for board.html: a grid row's cells, each distinct cell rendered once (most
    of 40,000 are alike), joined here rather than by a template loop over every cell."""
    from markupsafe import Markup

    template = environment().get_template("_board_cell.html")
    rendered: dict[tuple[Cell, str], str] = {}

    def board_cells(cells: list[Cell | None], columns: list[Column], symbols: dict[str, str]) -> Markup:
        parts = []
        for cell, column in zip(cells, columns, strict=True):
            if cell is None:
                parts.append("<td></td>\n")
                continue
            key = (cell, column.label)
            if key not in rendered:
                rendered[key] = template.render(cell=cell, column=column, symbols=symbols) + "\n"
            parts.append(rendered[key])
        return Markup("".join(parts))

    return board_cells


def write_atomically(path: Path, content: str | bytes) -> None:
    """``content`` as ``path``, whole or not at all: a reader never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(name, 0o644)  # mkstemp makes it private; the board is for whoever may read the folder
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def publish_board(
    config: Config, store: Store, judgement: Judgement | None = None, saved: list[ReportRow] | None = None
) -> Path | None:
    """Rewrite ``config.board_file`` (unless it is null); a board that cannot be written is a
    warning in the log, never a failed run. Returns the path written. ``saved``: the rows of
    ``judgement`` just saved with Store.save_report_statuses."""
    if config.board_file is None:
        return None
    html = render_board(gather_board(config, store, finding_lines(judgement) if judgement else None, saved))
    try:
        write_atomically(config.board_file, html)
    except OSError as exc:
        log.warning("the status board could not be written to %s: %s", config.board_file, exc)
        return None
    return config.board_file
