"""`history`: what the service saw in a unit's sheet, version by version — which periods appeared
or went, and which values changed, old → new — from the tab versions kept in the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rules.accepted import describe_changes
from rules.calendar import period_by_id
from rules.messages import text
from service.control import applied_config
from service.requests import with_requests
from settings.schema import Config, Form
from store import Store, TabVersion
from vntext import vn_date

REPORT_DATE = "__report_date__"


def _by_period(version: TabVersion, form: Form) -> dict[str, Mapping[str, Any]]:
    """A version's rows by period, shaped as accepted values are (a list form: its rows), with
    the unit's report date beside the values of a per-period row."""
    periods: dict[str, Any] = {}
    for row in version.rows:
        if form.layout == "list":
            periods.setdefault(row["period"], {"rows": []})["rows"].append(row["values"])
        else:
            periods[row["period"]] = {**row["values"], REPORT_DATE: row.get("report_date")}
    return periods


def _report_date_change(form: Form, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    if old.get(REPORT_DATE) == new.get(REPORT_DATE) or not form.report_date_label:
        return []
    shown = [
        vn_date(dt.date.fromisoformat(d)) if d else text("history", "empty")
        for d in (old.get(REPORT_DATE), new.get(REPORT_DATE))
    ]
    return [text("history", "change", label=form.report_date_label, old=shown[0], new=shown[1])]


def _label(config: Config, period_id: str) -> str:
    period = period_by_id(period_id, config.calendar)
    return period.label if period else period_id


def form_history(config: Config, form: Form, versions: list[TabVersion], period_id: str | None) -> list[str]:
    """One line per version (and per period that changed in it), oldest first."""
    lines: list[str] = []
    before: dict[str, Mapping[str, Any]] = {}
    for index, version in enumerate(versions):
        now = _by_period(version, form)
        day = vn_date(version.read_on)
        changes = []
        for pid in sorted(set(before) | set(now), key=lambda p: (p not in now, p)):
            if period_id is not None and pid != period_id:
                continue
            label = _label(config, pid)
            if pid not in before:
                changes.append(text("history", "appeared", period=label) if index else label)
            elif pid not in now:
                changes.append(text("history", "removed", period=label))
            elif before[pid] != now[pid]:
                found = "; ".join(
                    describe_changes(form, before[pid], now[pid]) + _report_date_change(form, before[pid], now[pid])
                )
                changes.append(text("history", "changed", period=label, changes=found))
        if index == 0:
            lines.append(text("history", "first_read", day=day, periods=", ".join(changes) or "–"))
        elif changes:
            lines.extend(f"  {day}: {change}" for change in changes)
        before = now
    return lines


def history_text(config: Config, store: Store, unit_id: str, form_key: str | None, period_id: str | None) -> str:
    """What `python main.py history` prints."""
    unit = config.unit(unit_id)
    versions = store.tab_versions(unit_id, form_key)
    out = [f"{unit.id} {unit.name}"]
    for form in config.forms:
        mine = [v for v in versions if v.form_key == form.key]
        if period_id is not None and not any(r["period"] == period_id for v in mine for r in v.rows):
            continue
        if not mine:
            continue
        out.append(f"{form.title} («{form.tab}»)")
        out.extend(form_history(config, form, mine, period_id))
    if len(out) == 1:
        out.append("  " + text("history", "nothing"))
    return "\n".join(out)


def history_command(config: Config, unit_id: str, form_key: str | None, period_id: str | None) -> str:
    """What `python main.py history` prints; the state file is never created by looking."""
    if not config.state_file.exists():
        return f"No state file yet ({config.state_file}): run `check` or `run` first."
    with Store.open(config.state_file) as store:
        return history_text(with_requests(applied_config(config, store), store), store, unit_id, form_key, period_id)
