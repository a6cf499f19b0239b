"""The write-back of `run` (config ``writeback``, off by default): the office's status tab rewritten
on every run, and each unit's feedback tab rewritten when its findings changed.

A failed write never fails the run: it is logged, kept in the store until a consolidated report
has told the office what to do (service/notices.py), and tried again on the next run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from consolidation.sheet_tables import SheetTable, by_unit, feedback_table, open_findings, same_tab, status_table
from rules.model import Judgement
from service.board import write_atomically
from settings.schema import Config, LocalSource, Unit, spreadsheet_id
from store import Store
from store.writes import FEEDBACK_TAB, STATUS_TAB, SheetWrite
from sync.google_write import PERMISSION, SheetWriter, WriteFailed

log = logging.getLogger(__name__)


@dataclass
class WriteBackOutcome:
    """What the write-back did this run, for the run's summary."""

    written: list[str] = field(default_factory=list)  # "status tab of the office's spreadsheet (12 rows)"
    unchanged: int = 0  # feedback tabs left as they were
    failed: list[str] = field(default_factory=list)  # what, why, and what to do

    def lines(self) -> list[str]:
        lines = [f"  written back: {what}" for what in self.written]
        if self.unchanged:
            lines.append(f"  feedback tabs unchanged, not written: {self.unchanged}")
        lines += [f"  write-back failed (retried next run): {what}" for what in self.failed]
        return lines


def content_hash(table: SheetTable) -> str:
    """A digest of what a tab shows (values only: links carry tab ids Google may renumber)."""
    text = json.dumps(table.values(), ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sheet_url(sheet: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id(sheet)}/edit"


def _last_read(store: Store) -> dict[str, dt.date | None]:
    return {unit_id: seen.last_read_on for unit_id, seen in store.units_seen().items()}


def _fix(exc: WriteFailed, account: str) -> str:
    if exc.reason == PERMISSION:
        return f"{exc.detail}: share the spreadsheet with {account} as Editor"
    return exc.detail


def write_back(
    config: Config, store: Store, judgement: Judgement, today: dt.date, writer: SheetWriter | None = None
) -> WriteBackOutcome | None:
    """Write the tabs ``config.writeback`` asks for; None when the write-back is off."""
    if not config.writeback.enabled:
        return None
    outcome = WriteBackOutcome()
    if isinstance(config.source, LocalSource):
        _write_workbook(config, config.source, store, judgement, outcome)
        return outcome
    writer = writer or SheetWriter.from_config(config)
    if config.writeback.office_sheet:
        _write_office_tab(config, store, judgement, today, writer, outcome)
    if config.writeback.unit_feedback:
        written = store.sheet_writes(FEEDBACK_TAB)
        units = by_unit(judgement)
        for unit in config.units:
            if unit.id in units:
                last = written.get((FEEDBACK_TAB, unit.id))
                _write_feedback(config, store, units[unit.id], today, writer, unit, last, outcome)
    return outcome


def _write_workbook(
    config: Config, source: LocalSource, store: Store, judgement: Judgement, outcome: WriteBackOutcome
) -> None:
    """The local source: the status table as an .xlsx file (links to the units' workbooks)."""
    from consolidation.status_xlsx import table_workbook

    path = config.writeback.office_workbook
    assert path is not None  # settings require it for the local source
    folder = source.folder.resolve()
    table = status_table(config, judgement, _last_read(store), lambda unit: (folder / unit.sheet).as_uri())
    try:
        # A workbook already there (the control workbook, say) keeps its other sheets.
        existing = path.read_bytes() if path.is_file() else None
        content = table_workbook(table, existing)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("the status workbook %s could not be opened, so it was not rewritten: %s", path, exc)
        outcome.failed.append(f"{path}: cannot be opened ({exc})")
        return
    try:
        write_atomically(path, content)
    except OSError as exc:
        log.warning("the status workbook could not be written to %s: %s", path, exc)
        outcome.failed.append(f"{path}: {exc}")
        return
    outcome.written.append(f"status workbook {path} ({len(table.rows)} rows)")


def _write_office_tab(
    config: Config, store: Store, judgement: Judgement, today: dt.date, writer: SheetWriter, outcome: WriteBackOutcome
) -> None:
    sheet = config.writeback.office_sheet
    assert sheet is not None
    sheet_id = spreadsheet_id(sheet) or sheet
    table = status_table(config, judgement, _last_read(store), lambda unit: config.source.sheet_link(unit.sheet)[0])
    lane = writer.office_lane
    try:
        writer.write(lane, sheet_id, lambda tabs: table)
    except WriteFailed as exc:
        log.warning("the status tab could not be written to the office's spreadsheet %s: %s", sheet_id, exc.detail)
        store.record_write_failure(STATUS_TAB, "", sheet_id, exc.reason, exc.detail, lane.email, today)
        outcome.failed.append(f"status tab of the office's spreadsheet {sheet_id}: {_fix(exc, lane.email)}")
        return
    store.record_write(STATUS_TAB, "", sheet_id, content_hash(table), today)
    outcome.written.append(f"status tab of the office's spreadsheet ({len(table.rows)} rows)")


def _cell_link(base: str, gids: Mapping[str, int]) -> Callable[[str, str], str | None]:
    def link(tab: str, cell: str) -> str | None:
        gid = gids.get(tab)
        if gid is None:
            gid = next((g for title, g in gids.items() if same_tab(title, tab)), None)
        return f"{base}#gid={gid}&range={cell}" if gid is not None else None

    return link


def _write_feedback(
    config: Config,
    store: Store,
    judgement: Judgement,
    today: dt.date,
    writer: SheetWriter,
    unit: Unit,
    last: SheetWrite | None,
    outcome: WriteBackOutcome,
) -> None:
    """A unit's feedback tab (``judgement`` is the unit's), only when what it would show changed (a
    unit with nothing to fix that was never written to is left alone); none for a sheet that could
    not be read today."""
    sheet_id = spreadsheet_id(unit.sheet)
    if sheet_id is None or unit.id in judgement.unreadable_since:
        return
    base = sheet_url(unit.sheet)
    digest = content_hash(feedback_table(config, judgement, unit, lambda tab, cell: None))
    if last is None and not open_findings(judgement, unit.id):
        return
    if last is not None and last.content_hash == digest and last.spreadsheet_id == sheet_id:
        outcome.unchanged += 1
        return
    lane = writer.lane_for(unit.id)
    try:
        writer.write(lane, sheet_id, lambda gids: feedback_table(config, judgement, unit, _cell_link(base, gids)))
    except WriteFailed as exc:
        log.warning("unit %s: the feedback tab could not be written to %s: %s", unit.id, sheet_id, exc.detail)
        store.record_write_failure(FEEDBACK_TAB, unit.id, sheet_id, exc.reason, exc.detail, lane.email, today)
        outcome.failed.append(f"feedback tab of unit {unit.id} ({sheet_id}): {_fix(exc, lane.email)}")
        return
    store.record_write(FEEDBACK_TAB, unit.id, sheet_id, digest, today)
    outcome.written.append(f"feedback tab of unit {unit.id}")
