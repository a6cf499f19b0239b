"""`request`: ad-hoc requests (báo cáo đột xuất) opened from the command line and kept in the
store, and the one place that turns the open ones into periods like config's ``calendar.ad_hoc``.

Every command that judges (check, run, status, report, the board) works on
``with_requests(config, store)``: the core never reads the store, it sees one more ad-hoc period.
`request` only records; the next `run` sends each unit its request email, once, through the
ledger like every other email (its lock, sending days and daily cap).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence

from errors import ConfigError
from rules.calendar import parse_period
from rules.messages import text
from settings.schema import AdHocPeriod, Config
from store import AdHocRequest, Store
from store.requests import OPEN
from vntext import fold

log = logging.getLogger(__name__)
_DAY = "%d/%m/%Y"


class InvalidRequest(ConfigError):
    """A request the command line cannot open: which option, and why (main.py: BadParameter)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def request_period(request: AdHocRequest) -> AdHocPeriod:
    """A stored request as config would plan it: its period runs from its start to its deadline."""
    return AdHocPeriod(
        id=request.id, label=request.title, aliases=request.aliases, short_label=request.short_label,
        start=request.start, end=request.due, deadline=request.due, forms=[request.form_key], units=request.units,
    )  # fmt: skip


def with_requests(config: Config, store: Store) -> Config:
    """``config`` with the store's open requests added to ``calendar.ad_hoc`` (config's own
    periods win an id they share; a request whose form config no longer has is left out)."""
    known = {a.id for a in config.calendar.ad_hoc}
    forms = {f.key for f in config.forms}
    added = []
    for request in store.ad_hoc_requests(only_open=True):
        if request.id in known:
            continue
        if request.form_key not in forms:
            log.warning("ad-hoc request %s names form %r, no longer in config: left out", request.id, request.form_key)
            continue
        added.append(request_period(request))
    if not added:
        return config
    calendar = config.calendar.model_copy(update={"ad_hoc": [*config.calendar.ad_hoc, *added]})
    return config.model_copy(update={"calendar": calendar})


def config_with_requests(config: Config) -> Config:
    """For commands that only look (status, history): the units the control sheet last applied and
    the state file's requests, if it exists."""
    from service.control import applied_config

    if not config.state_file.exists():
        return config
    with Store.open(config.state_file) as store:
        return with_requests(applied_config(config, store), store)


def open_request_ids(store: Store) -> set[str]:
    return {r.id for r in store.ad_hoc_requests(only_open=True)}


def _new_id(config: Config, store: Store, day: dt.date) -> str:
    """adhoc-2023-12-01, or adhoc-2023-12-01-2, -3, ... when that day has one already."""
    base = f"adhoc-{day.isoformat()}"
    taken = store.request_ids_like(base) | {a.id for a in config.calendar.ad_hoc}
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def _collision(config: Config, typed: str) -> str | None:
    """The period units already reach by typing ``typed``, named, or None."""
    period = parse_period(typed, config.calendar)
    return f"{period.label} ({period.id})" if period else None


def _aliases(config: Config, given: Sequence[str], title: str, due: dt.date) -> list[str]:
    aliases = list({fold(a): a.strip() for a in given if a.strip()}.values())
    for alias in aliases:
        if "\n" in alias or "\r" in alias:
            raise InvalidRequest("--alias", f"{alias!r} must be a single line")
        if taken := _collision(config, alias):
            raise InvalidRequest("--alias", f"{alias!r} is already how units type the period {taken}")
        if fold(alias) == fold(title):
            raise InvalidRequest("--alias", f"{alias!r} repeats the title; units may type the title anyway")
    if aliases:
        return aliases
    for key in ("month", "day"):  # templates/messages.yaml: ad_hoc_aliases
        alias = text("ad_hoc_aliases", key, day=due.day, month=due.month, year=due.year)
        if _collision(config, alias) is None:
            return [alias]
    raise InvalidRequest("--alias", "every default alias of that deadline is taken; give one with --alias")


def open_request(
    config: Config,
    store: Store,
    today: dt.date,
    form_key: str,
    title: str,
    due: dt.date,
    start: dt.date | None = None,
    unit_ids: Sequence[str] = (),
    aliases: Sequence[str] = (),
    request_id: str | None = None,
) -> AdHocRequest:
    """Validate and record a new request (``request_id``: the control sheet's, else a new one);
    InvalidRequest names the option at fault."""
    config = with_requests(config, store)  # its aliases must not collide with the open requests' either
    title = " ".join(title.split())
    if not title:
        raise InvalidRequest("--title", "the title is empty")
    if taken := _collision(config, title):
        raise InvalidRequest("--title", f"{title!r} is already how units type the period {taken}")
    start = start or today
    if due < start:
        raise InvalidRequest("--due", f"the deadline {due:{_DAY}} is before the start {start:{_DAY}}")
    if due < today:
        raise InvalidRequest("--due", f"the deadline {due:{_DAY}} has passed (today is {today:{_DAY}})")
    request = AdHocRequest(
        id=request_id or _new_id(config, store, today),
        form_key=form_key,
        title=title,
        start=start,
        due=due,
        units=list(dict.fromkeys(unit_ids)) or None,
        aliases=_aliases(config, aliases, title, due),
        short_label=None,
        status=OPEN,
        requested_on=today,
    )
    store.add_request(request)
    log.info("ad-hoc request %s opened: %s, form %s, due %s", request.id, title, form_key, due.isoformat())
    return request


def _units_owing(config: Config, request: AdHocRequest) -> list[str]:
    return [u.id for u in config.units if request.units is None or u.id in request.units]


def request_command(
    config: Config,
    today: dt.date,
    form_key: str,
    title: str,
    due: dt.date,
    start: dt.date | None,
    unit_ids: Sequence[str],
    aliases: Sequence[str],
) -> str:
    """What `python main.py request --form ... --due ...` prints: what was opened, and what happens next."""
    with Store.open(config.state_file) as store:
        request = open_request(config, store, today, form_key, title, due, start, unit_ids, aliases)
    form = config.form(form_key)
    units = _units_owing(config, request)
    typed = ", ".join(f"«{a}»" for a in request.aliases)
    return "\n".join(
        [
            f"request {request.id} opened: {request.title}",
            f"  form {form.key} (tab «{form.tab}»), from {request.start:{_DAY}}, due {request.due:{_DAY}},"
            f" owed by {len(units)} unit(s){'' if request.units else ' (every unit)'}",
            f"  units type in the column «{form.period_label}»: {typed}",
            "  the next `run` (cron, on a sending day) emails the request to each unit, once; reminders and"
            " the consolidated report then follow the schedule. Cancel with: request --cancel " + request.id,
        ]
    )


def _units_cell(config: Config, request: AdHocRequest) -> str:
    if request.units is None:
        return f"all ({len(config.units)})"
    return ", ".join(request.units)


def list_command(config: Config) -> str:
    """What `request --list` prints: every request, open or cancelled, newest last."""
    if not config.state_file.exists():
        return "no ad-hoc request yet (no state file)"
    with Store.open(config.state_file) as store:
        requests = store.ad_hoc_requests()
        emailed = store.request_emails_sent(r.id for r in requests)
    if not requests:
        return "no ad-hoc request yet"
    rows = [["id", "form", "title", "start", "due", "units", "status"]]
    for r in requests:
        owing = _units_owing(config, r)
        if r.is_open:
            status = f"open, emailed {len(emailed[r.id] & set(owing))}/{len(owing)}"
        else:
            status = f"cancelled {r.cancelled_on:{_DAY}}" if r.cancelled_on else "cancelled"
        rows.append([r.id, r.form_key, r.title, f"{r.start:{_DAY}}", f"{r.due:{_DAY}}", _units_cell(config, r), status])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cancel_command(config: Config, request_id: str, today: dt.date) -> str:
    """What `request --cancel ID` prints: what the cancellation stopped."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", request_id) or not config.state_file.exists():
        raise InvalidRequest("--cancel", f"no ad-hoc request {request_id!r}")
    with Store.open(config.state_file) as store:
        request = store.ad_hoc_request(request_id)
        if request is None:
            known = ", ".join(r.id for r in store.ad_hoc_requests(only_open=True)) or "none"
            raise InvalidRequest("--cancel", f"no ad-hoc request {request_id!r} (open ones: {known})")
        if not request.is_open:
            return f"request {request_id} was already cancelled on {request.cancelled_on:{_DAY}}; nothing changed"
        emailed = store.request_emails_sent([request_id])[request_id]
        done = store.cancel_request(request_id, today)
    log.info("ad-hoc request %s cancelled", request_id)
    return "\n".join(
        [
            f"request {request_id} cancelled: {request.title}",
            "  its period is no longer owed: no reminder names it, no consolidated report or status shows it"
            f" ({done.reports_dropped} report judgement(s) dropped)",
            f"  emails queued for it and not sent, cancelled: {done.emails_cancelled};"
            f" units already sent the request: {len(emailed)} (they are not told of the cancellation)",
        ]
    )
