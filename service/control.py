"""The office's control spreadsheet (config: control.sheet), read at the start of every `check`,
`run` and `report` through the same source as the units' sheets: its «Đơn vị» tab adds units to
config.yaml's or overrides them by id, or stops following one.

What it applied is kept in the store: a day the sheet cannot be read goes on with that, and says
so. A bad row is skipped and told to the office (``Controlled.notices``), the others apply.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace

from errors import ConfigError, SourceError
from rules.control import ControlProblem, UnitRows, control_texts, merge_units, parse_units, problem_text, tab_name
from rules.control_rows import RequestRow, ReviewRow, parse_requests, parse_reviews, request_problem, review_problem
from rules.grids import UnitGrids
from service.requests import InvalidRequest, open_request, with_requests
from settings.schema import Config, Unit
from store import Store
from sync.factory import build_source
from sync.source import Source
from vntext import vn_date

log = logging.getLogger(__name__)

CONTROL_ID = "control-sheet"  # how the control spreadsheet is fetched: as a unit of its own
UNITS = "units"
REQUESTS = "requests"
REVIEWS = "reviews"


@dataclass
class Controlled:
    """The config a command works with, and what the control spreadsheet did to it."""

    config: Config
    problems: list[ControlProblem] = field(default_factory=list)
    unreadable: str | None = None  # the sentence saying the sheet could not be read (Vietnamese)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # what the «Yêu cầu đột xuất» rows did

    @property
    def notices(self) -> list[str]:
        """What the office reads in its next consolidated report."""
        return ([self.unreadable] if self.unreadable else []) + [p.message for p in self.problems]

    def summary(self) -> list[str]:
        """What the command prints about the control spreadsheet (English, for the operator)."""
        lines = []
        if self.unreadable:
            lines.append("control sheet not read: going on with what it last applied")
        for label, ids in (("added", self.added), ("changed", self.changed), ("no longer followed", self.stopped)):
            if ids:
                lines.append(f"control sheet: unit(s) {label}: {', '.join(ids)}")
        lines += [f"control sheet: {line}" for line in self.requests]
        if self.problems:
            lines.append(f"control sheet: {len(self.problems)} row problem(s), those rows not applied:")
            lines += [f"  {p.message}" for p in self.problems]
        return lines


def control_unit(config: Config) -> Unit:
    """The control spreadsheet as the source reads a unit's sheet."""
    assert config.control is not None
    return Unit(id=CONTROL_ID, name="Bảng điều khiển", sheet=config.control.sheet,
                emails=[config.organisation.office_email])  # fmt: skip


def read_control(config: Config, source: Source) -> UnitGrids:
    """The control spreadsheet's tabs in one read."""
    tabs = [tab_name(UNITS), tab_name(REQUESTS), tab_name(REVIEWS)]
    [grids] = source.fetch([control_unit(config)], {CONTROL_ID: tabs})
    return grids


def _reason(grids: UnitGrids) -> str:
    problem = grids.problem
    assert problem is not None
    reasons = control_texts()["reasons"]
    try:
        return reasons.get(problem.code, reasons["default"]).format(**problem.details)
    except (KeyError, IndexError):
        return reasons["default"]


def apply_control(
    config: Config, store: Store, today: dt.date, source: Source | None = None, record: bool = True
) -> Controlled:
    """``config`` as the control spreadsheet (if config names one) makes it; ``record`` False
    (control --check, a dry run) keeps the store as it was."""
    if config.control is None:
        return Controlled(config)
    source = source or build_source(config, store)
    grids = read_control(config, source)
    saved = store.control_applied(UNITS)
    previous = UnitRows.from_json(saved[0]) if saved else None
    before = merge_units(config, previous) if previous else config
    if grids.problem is not None:
        texts = control_texts()
        reason = _reason(grids)
        if saved:
            since = texts["unreadable_since"].format(day=vn_date(saved[1]))
            sentence = texts["unreadable"].format(reason=reason, since=since)
        else:
            sentence = texts["unreadable_never"].format(reason=reason)
        log.warning("control sheet %s not read (%s): using what it last applied", config.control.sheet,
                    grids.problem.code)  # fmt: skip
        rows = previous or UnitRows()
        return _outcome(before, merge_units(config, rows), [], sentence)
    rows = parse_units(grids.grids.get(tab_name(UNITS)), config)
    applied = merge_units(config, rows, previous) if rows.applied else before  # no tab: keep what was applied
    requests, problems = parse_requests(grids.grids.get(tab_name(REQUESTS)), applied)
    done, refused = apply_requests(applied, store, today, requests)
    reviews, review_problems = parse_reviews(grids.grids.get(tab_name(REVIEWS)), with_requests(applied, store))
    decided, waiting = apply_reviews(store, today, reviews)
    outcome = _outcome(before, applied, rows.problems + problems + refused + review_problems + waiting, None)
    outcome.requests = done + decided
    if not rows.applied:
        return outcome
    if record:
        keep = UnitRows(dict(rows.units), list(rows.off))
        if previous is not None:  # a bad row keeps its unit's last good row in the store too
            for unit_id in rows.bad_ids:
                if unit_id in previous.units:
                    keep.units[unit_id] = previous.units[unit_id]
                if unit_id in previous.off:
                    keep.off.append(unit_id)
        store.save_control_applied(UNITS, keep.as_json(), today)
    return outcome


def apply_reviews(store: Store, today: dt.date, rows: list[ReviewRow]) -> tuple[list[str], list[ControlProblem]]:
    """Record each decision not applied before (the store keeps which were), as `review` does.
    A report the service has not read yet waits, told, and is applied once it has been."""
    saved = store.control_applied(REVIEWS)
    applied = set(saved[0]) if saved else set()
    done: list[str] = []
    waiting: list[ControlProblem] = []
    for row in rows:
        if row.key in applied:
            continue
        basis = store.report_rows(row.unit_id, row.form_key, row.period_id)
        if not basis:
            waiting.append(ControlProblem(tab_name(REVIEWS), row.row, review_problem("not_read")))
            continue
        store.record_review(row.unit_id, row.form_key, row.period_id, row.decision, row.comment.strip(), today,
                            basis, source="control")  # fmt: skip
        applied.add(row.key)
        done.append(f"review {row.unit_id} {row.form_key} {row.period_id}: {row.decision}")
    if done:
        store.save_control_applied(REVIEWS, sorted(applied), today)
    return done, waiting


def _refusal(row: RequestRow, exc: InvalidRequest) -> ControlProblem:
    """An InvalidRequest of ``open_request`` in the office's words."""
    message = str(exc)
    if exc.param == "--due" and ("has passed" in message or row.start is None):  # no start: it starts today
        problem = request_problem("due_passed", due=row.due.strftime("%d/%m/%Y"))
    elif exc.param in ("--title", "--alias") and "already how units type the period" in message:
        typed, period = message.split("'")[1], message.rsplit("period ", 1)[1]
        problem = request_problem("taken", value=typed, period=period)
    else:
        problem = request_problem("not_opened", reason=message)
    return ControlProblem(tab_name(REQUESTS), row.row, f"{problem}; {problem_text('kept')}")


def apply_requests(
    config: Config, store: Store, today: dt.date, rows: list[RequestRow]
) -> tuple[list[str], list[ControlProblem]]:
    """Open each new row as a request, move an open one's dates, units or aliases when its row
    changed, cancel one marked «hủy». Returns what was done (English) and the rows refused."""
    existing = {r.id: r for r in store.ad_hoc_requests()}
    done: list[str] = []
    refused: list[ControlProblem] = []
    for row in rows:
        current = existing.get(row.id)
        if row.cancelled:
            if current is not None and current.is_open:
                store.cancel_request(row.id, today)
                done.append(f"request {row.id} cancelled")
            continue
        if current is None:
            try:
                open_request(config, store, today, row.form_key, row.title, row.due, row.start, row.units or (),
                             row.aliases, request_id=row.id)  # fmt: skip
            except InvalidRequest as exc:
                refused.append(_refusal(row, exc))
                continue
            done.append(f"request {row.id} opened: {row.title}, due {row.due:%d/%m/%Y}")
            continue
        if not current.is_open:
            continue  # cancelled for good: a new request needs a new Mã or title
        wanted = replace(
            current, title=row.title, start=row.start or current.start, due=row.due, units=row.units,
            aliases=row.aliases or current.aliases,
        )  # fmt: skip
        if wanted.due < wanted.start:
            continue  # parse_requests refused this already when both were typed
        if wanted != current:
            store.update_request(wanted)
            moved = f", due {current.due:%d/%m/%Y} → {wanted.due:%d/%m/%Y}" if wanted.due != current.due else ""
            done.append(f"request {row.id} changed{moved}")
    return done, refused


def _outcome(
    before_config: Config, config: Config, problems: list[ControlProblem], unreadable: str | None
) -> Controlled:
    before = {u.id: u for u in before_config.units}
    after = {u.id: u for u in config.units}
    return Controlled(
        config,
        problems,
        unreadable,
        added=[u for u in after if u not in before],
        changed=[u for u in after if u in before and after[u] != before[u]],
        stopped=[u for u in before if u not in after],
    )


def applied_config(config: Config, store: Store) -> Config:
    """``config`` as the control spreadsheet last made it, without reading it (status, history)."""
    if config.control is None:
        return config
    saved = store.control_applied(UNITS)
    return merge_units(config, UnitRows.from_json(saved[0])) if saved else config


def control_check_command(config: Config, today: dt.date) -> str:
    """What `control --check` prints: what the control spreadsheet would change, applying nothing."""
    if config.control is None:
        raise ConfigError("control: not set in config; name the control spreadsheet as control.sheet")
    with Store.scratch(config.state_file) as store:
        controlled = apply_control(config, store, today, record=False)
    lines = controlled.summary() or ["control sheet: nothing would change"]
    units = {u.id: u for u in controlled.config.units}
    lines.append(f"units followed: {len(units)}")
    return "\n".join(lines)


def control_init_command(config: Config) -> str:
    """What `control --init` prints: the control spreadsheet laid out as `provision` lays out a
    unit's (headers with notes, dropdowns, frozen header, a help tab), then config.yaml's units
    written into its «Đơn vị» tab if that has no row yet. Run again, it repairs and adds nothing."""
    from rules.control_layout import control_help_rows, control_layouts, unit_row
    from sync.provision import build_provisioner

    if config.control is None:
        raise ConfigError("control: not set in config; name the control spreadsheet as control.sheet")
    provisioner = build_provisioner(config)
    unit = control_unit(config)
    laid_out = provisioner.provision(unit, control_layouts(config), control_help_rows(), write=True)
    if laid_out.service_problem:
        raise SourceError(f"control sheet {config.control.sheet}: {laid_out.service_problem}")
    if laid_out.action:
        raise ConfigError(f"control sheet {config.control.sheet}: {laid_out.action}")
    filled = provisioner.fill(unit, tab_name(UNITS), [unit_row(u) for u in config.units])
    if filled.service_problem or filled.action:
        raise SourceError(f"control sheet {config.control.sheet}: {filled.service_problem or filled.action}")
    changes = laid_out.changes + filled.changes
    if not changes:
        return f"control sheet {config.control.sheet}: unchanged (its tabs match and «{tab_name(UNITS)}» has rows)"
    return "\n".join([f"control sheet {config.control.sheet}:", *(f"    {c}" for c in changes)])
