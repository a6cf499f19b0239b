"""`doctor`: check that the service can work before cron relies on it — the source's credentials or
folder, every unit's sheet with its tabs and headers, and the mail transport (the SMTP login, the
outbox folder) — through the same source and transport `run` builds, with a fix for each problem.
Operator-facing, so in English.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from delivery.registry import build_transport
from delivery.transport import Transport, TransportUnavailable
from errors import ConfigError
from rules.grids import UnitGrids
from rules.judge import owed_tabs
from settings.schema import Config, Form
from store import Store
from sync.factory import build_source
from sync.source import Source
from vntext import clean_text, fold, is_missing

SERVICE = ""  # the unit_id of rows about the service as a whole


@dataclass(frozen=True)
class DoctorRow:
    unit_id: str
    check: str
    ok: bool
    detail: str
    fix: str = ""


# --- pure checks of what was fetched ---------------------------------------------------------
def header_gaps(form: Form, header: Sequence[Any]) -> tuple[list[str], list[str]]:
    """(required, optional) column labels of ``form`` absent from its header row.

    Same matching as the core: a column is found by its label or an alias, compared folded.
    """
    present = {fold(clean_text(v)) for v in header if not is_missing(v)}

    def found(*labels: str) -> bool:
        return any(fold(label) in present for label in labels)

    required = [] if found(form.period_label) else [form.period_label]
    optional = [] if not form.report_date_label or found(form.report_date_label) else [form.report_date_label]
    for spec in form.fields:
        if not found(spec.label, *spec.aliases):
            (required if spec.required else optional).append(spec.label)
    return required, optional


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(f"«{label}»" for label in labels)


def _sheet_fix(code: str, details: dict[str, Any], unit_sheet: str) -> str:
    fixes = {
        "permission_denied": "Ask the unit to share the sheet with {service_account} as Viewer.",
        "spreadsheet_not_found": "Correct the unit's `sheet` in config.yaml: paste the sheet's URL or its ID.",
        "not_a_google_sheet": "Ask the unit to open the file, choose File → Save as Google Sheets, share the new"
        " sheet with {service_account} as Viewer, and put the new sheet's URL in the unit's `sheet`.",
        "unreadable_this_run": "Try again later; if it persists, check the network and the Sheets API quota.",
        "no_workbook": "Put the workbook {file} in the source folder, or correct the unit's `sheet`.",
        "unreadable_workbook": "Open and re-save {file} as .xlsx; it could not be read.",
    }
    return fixes.get(code, "See the detail.").format(**{"file": unit_sheet, **details})


def unit_rows(config: Config, fetch: UnitGrids, tabs: Sequence[str]) -> list[DoctorRow]:
    """The sheet, tab and header rows of one unit, from what the source fetched."""
    unit = config.unit(fetch.unit_id)
    if fetch.problem is not None:
        details = dict(fetch.problem.details)
        detail = fetch.problem.code + "".join(f"; {k}: {v}" for k, v in details.items())
        return [DoctorRow(unit.id, "sheet", False, detail, _sheet_fix(fetch.problem.code, details, unit.sheet))]
    rows = [DoctorRow(unit.id, "sheet", True, f"reachable: {unit.sheet}")]
    forms = {form.tab: form for form in config.forms}
    for tab in tabs:
        if tab in fetch.missing_tabs:
            fix = f"Add a tab titled «{tab}» (or rename the one meant); tabs now: {_quoted(fetch.available_tabs)}."
            rows.append(DoctorRow(unit.id, f"tab «{tab}»", False, "missing", fix))
            continue
        actual = fetch.actual_titles.get(tab, tab)
        rows.append(DoctorRow(unit.id, f"tab «{tab}»", True, "present" if actual == tab else f"present as «{actual}»"))
        form = forms[tab]
        grid = fetch.grids.get(tab, [])
        header = grid[form.header_row - 1] if len(grid) >= form.header_row else []
        required, optional = header_gaps(form, header)
        if required:
            detail = f"row {form.header_row} lacks {_quoted(required)}"
            detail += f" (and optional {_quoted(optional)})" if optional else ""
            fix = f"Type the missing column titles in row {form.header_row} of «{actual}» as the form names them."
            rows.append(DoctorRow(unit.id, f"headers «{tab}»", False, detail, fix))
        else:
            detail = f"optional columns absent: {_quoted(optional)}" if optional else "all columns found"
            rows.append(DoctorRow(unit.id, f"headers «{tab}»", True, detail))
    return rows


# --- the I/O shell ---------------------------------------------------------------------------
def source_rows(config: Config) -> tuple[list[DoctorRow], Source | None]:
    """The configured source, built and checked as `run` builds it; None when no unit can be read."""
    try:
        source = build_source(config, store=None, full=True)
    except ConfigError as exc:
        fix = "Correct the setting it names (in config.yaml or the environment)."
        return [DoctorRow(SERVICE, "source", False, str(exc), fix)], None
    checks = source.check()
    rows = [DoctorRow(SERVICE, c.name, c.ok, c.detail, c.fix) for c in checks]
    return rows, None if any(c.blocking and not c.ok for c in checks) else source


def transport_row(transport: Transport) -> DoctorRow:
    """The transport opens its way out as a send does (an SMTP login, a write to the outbox) and closes it."""
    check = f"mail ({transport.name})"
    try:
        detail = transport.check()
    except TransportUnavailable as exc:
        return DoctorRow(SERVICE, check, False, str(exc), exc.fix)  # its message never carries the password
    return DoctorRow(SERVICE, check, True, detail)


def control_rows(config: Config, source: Source) -> tuple[list[DoctorRow], Config]:
    """The control sheet read as `run` reads it (on a scratch copy of the store, so nothing is
    applied), and the config with its units, which the unit checks then cover too."""
    from service.control import apply_control

    if config.control is None:
        return [], config
    today = dt.datetime.now(zoneinfo.ZoneInfo(config.organisation.timezone)).date()
    with Store.scratch(config.state_file) as store:
        controlled = apply_control(config, store, today, source, record=False)
    name = f"control sheet {config.control.sheet}"
    if controlled.unreadable:
        fix = "Check control.sheet; share the control sheet with the service account (Editor for control --init)."
        return [DoctorRow(SERVICE, "control sheet", False, f"{name}: not read", fix)], controlled.config
    whole_tab = [p for p in controlled.problems if p.row is None]
    if whole_tab:
        fix = "Run `python main.py control --init` to lay its tabs out again (it never touches rows)."
        return [DoctorRow(SERVICE, "control sheet", False, whole_tab[0].message, fix)], controlled.config
    detail = f"{name}: {len(controlled.config.units)} units followed"
    rows = [DoctorRow(SERVICE, "control sheet", True, detail)]
    if controlled.problems:
        fix = "The office corrects those rows; `python main.py control --check` lists them."
        bad = len({(p.tab, p.row) for p in controlled.problems})
        rows.append(DoctorRow(SERVICE, "control rows", False, f"{bad} row(s) cannot apply", fix))
    return rows, controlled.config


def writeback_rows(config: Config) -> list[DoctorRow]:
    """With write-back on, whether the first service account may edit the office's spreadsheet,
    as Drive says: one request, nothing written."""
    office = config.writeback.office_sheet
    if not config.writeback.enabled or config.source.kind != "google" or office is None:
        return []
    from settings.schema import spreadsheet_id
    from sync.google_write import NOT_FOUND, PERMISSION, SheetWriter, WriteFailed

    check = "write-back (office sheet)"
    try:
        writer = SheetWriter.from_config(config)
        lane = writer.office_lane
        editable = writer.can_edit(lane, spreadsheet_id(office) or office)
    except ConfigError as exc:
        return [DoctorRow(SERVICE, check, False, str(exc), "Correct the setting it names.")]
    except WriteFailed as exc:
        share = f"Share {office} with {lane.email} as Editor."
        fix = share if exc.reason in (PERMISSION, NOT_FOUND) else "Try again later; if it persists, check the network."
        return [DoctorRow(SERVICE, check, False, exc.detail, fix)]
    if not editable:
        return [DoctorRow(SERVICE, check, False, f"{lane.email} may read it but not edit it",
                          f"Change {lane.email} from Viewer to Editor in the sheet's Share dialog.")]  # fmt: skip
    return [DoctorRow(SERVICE, check, True, f"{lane.email} may edit it")]


def run_doctor(config: Config) -> list[DoctorRow]:
    """Every check, in the order an operator fixes things: config, source, control sheet, units, mail."""
    rows = [DoctorRow(SERVICE, "config", True, f"{len(config.units)} units, {len(config.forms)} forms")]
    checked, source = source_rows(config)
    rows += checked
    if source is not None:
        controlled, config = control_rows(config, source)
        rows += controlled
    tabs = {unit.id: owed_tabs(config, unit) for unit in config.units}
    if source is None:
        rows += [
            DoctorRow(unit.id, "sheet", False, "not checked", "Fix the source problems above first.")
            for unit in config.units
        ]
    else:
        for fetch in source.fetch(config.units, tabs):
            rows += unit_rows(config, fetch, tabs[fetch.unit_id])
    rows += writeback_rows(config)
    rows.append(transport_row(build_transport(config, dry_run=False)))
    return rows


def render_doctor(rows: Sequence[DoctorRow], verbose: bool = False) -> str:
    """One plain-text table and a summary line; a unit whose checks all pass takes one line
    unless ``verbose`` (3,321 units would otherwise bury the few problems).
    """
    shown: list[DoctorRow] = []
    by_unit: dict[str, list[DoctorRow]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    for unit_id, checks in by_unit.items():
        if verbose or unit_id == SERVICE or not all(r.ok for r in checks):
            shown += [r for r in checks if verbose or unit_id == SERVICE or not r.ok]
        else:
            shown.append(DoctorRow(unit_id, "all checks", True, f"{len(checks)} passed"))
    table = [("unit", "check", "status", "detail", "fix")]
    table += [(r.unit_id or "-", r.check, "ok" if r.ok else "FAIL", r.detail, r.fix) for r in shown]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4] for row in table]
    failures = sum(1 for r in rows if not r.ok)
    lines.append(f"{failures} problem(s) found." if failures else "All checks passed.")
    return "\n".join(line.rstrip() for line in lines)
