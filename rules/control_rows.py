"""The control spreadsheet's «Yêu cầu đột xuất» and «Duyệt báo cáo» tabs, read as grids: each row a
request or a decision, or the problems that keep it from applying (tab, row, reason in Vietnamese).
Pure, like rules/control.py, whose words (templates/control.yaml) and helpers it shares."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from rules.control import (
    ID_PATTERN,
    LIST_SPLIT,
    ControlProblem,
    cell_text,
    choose,
    control_texts,
    find_columns,
    problem_text,
    tab_name,
)
from rules.grids import Grid
from settings.schema import Config
from vntext import fold


# --- «Yêu cầu đột xuất» -------------------------------------------------------------------------
@dataclass(frozen=True)
class RequestRow:
    """A request as the office wrote it; ``id`` its Mã yêu cầu, or one made from its title."""

    row: int
    id: str
    form_key: str
    title: str
    start: dt.date | None
    due: dt.date
    units: list[str] | None
    aliases: list[str]
    cancelled: bool


def request_id_for(title: str) -> str:
    """The id of a request row without a Mã: "yc-" and its title in ASCII, so the same row keeps it."""
    from vntext import ascii_fold

    words, slug = re.sub(r"[^a-z0-9]+", " ", ascii_fold(title)).split(), ""
    for word in words:  # whole words, up to 40 characters
        if slug and len(slug) + 1 + len(word) > 40:
            break
        slug = f"{slug}-{word}" if slug else word[:40]
    return f"yc-{slug or 'khong-ten'}"


def _cell_date(value: Any) -> dt.date | None:
    from vntext import parse_date

    if value in (None, ""):
        return None
    try:
        return parse_date(value)
    except (ValueError, TypeError, OverflowError):
        return None


def request_problem(code: str, **details: Any) -> str:
    return control_texts()["request_problems"][code].format(**details)


def parse_requests(grid: Grid | None, config: Config) -> tuple[list[RequestRow], list[ControlProblem]]:
    """The «Yêu cầu đột xuất» tab's rows, each checked; a tab that is absent or empty has none."""
    texts = control_texts()
    tab = tab_name("requests")
    names = texts["request_columns"]
    labels = {key: options[0] for key, options in names.items()}
    header = find_columns(grid or [], names, "form")
    if header is None:
        return [], []
    head, columns = header
    forms = {fold(f.key): f.key for f in config.forms} | {fold(f.tab): f.key for f in config.forms}
    units = {u.id for u in config.units}
    every = {fold(w) for w in texts["all_units"]}
    rows: list[RequestRow] = []
    problems: list[ControlProblem] = []
    first: dict[str, int] = {}
    for index in range(head + 1, len(grid or [])):
        raw = (grid or [])[index]
        cells = {key: raw[col] if col < len(raw) else None for key, col in columns.items()}
        text = {key: cell_text(value) for key, value in cells.items()}
        if not any(text.values()):
            continue
        number, wrong = index + 1, []
        for key in ("form", "title", "due"):
            if not text.get(key):
                wrong.append(request_problem("missing", column=labels[key]))
        form_key = forms.get(fold(text.get("form", ""))) if text.get("form") else None
        if text.get("form") and form_key is None:
            wrong.append(request_problem("bad_form", value=text["form"], forms=", ".join(f.tab for f in config.forms)))
        start, due = _cell_date(cells.get("start")), _cell_date(cells.get("due"))
        for key, day in (("start", start), ("due", due)):
            if text.get(key) and day is None:
                wrong.append(request_problem("bad_date", column=labels[key], value=text[key]))
        if start and due and due < start:
            shown = {"due": due.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")}
            wrong.append(request_problem("due_before_start", **shown))
        listed = [u for u in LIST_SPLIT.split(text.get("units", "")) if u]
        chosen: list[str] | None = None
        if listed and fold(text.get("units", "")) not in every:
            chosen = []
            for unit_id in listed:
                if unit_id in units:
                    chosen.append(unit_id)
                else:
                    wrong.append(request_problem("bad_unit", value=unit_id))
        status = text.get("status", "")
        cancelled = False
        if status:
            choice = choose(status, {"open": [texts["request_statuses"]["open"], "mo", "open"],
                                      "cancelled": [texts["request_statuses"]["cancelled"], "huy", "huỷ", "cancel"]})
            if choice is None:
                wrong.append(request_problem("bad_status", column=labels["status"], value=status))
            cancelled = choice == "cancelled"
        request_id = text.get("id") or request_id_for(text.get("title", ""))
        if not ID_PATTERN.match(request_id):
            wrong.append(request_problem("bad_id", value=request_id))
        elif request_id in first:
            wrong.append(request_problem("duplicate", value=request_id, first=first[request_id]))
        else:
            first[request_id] = number
        if wrong:
            problems += [ControlProblem(tab, number, f"{p}; {problem_text('kept')}") for p in wrong]
            continue
        aliases = [a.strip() for a in re.split(r"[;\n]+", text.get("aliases", "")) if a.strip()]
        assert form_key is not None and due is not None
        rows.append(RequestRow(number, request_id, form_key, " ".join(text["title"].split()), start, due, chosen,
                               aliases, cancelled))  # fmt: skip
    return rows, problems


# --- «Duyệt báo cáo» ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewRow:
    """A decision as the office wrote it; ``key`` says whether it was applied already."""

    row: int
    unit_id: str
    form_key: str
    period_id: str
    decision: str  # REVIEW_ACCEPTED | REVIEW_RETURNED
    comment: str

    @property
    def key(self) -> str:
        return "|".join((self.unit_id, self.form_key, self.period_id, self.decision, fold(self.comment)))


def review_problem(code: str, **details: Any) -> str:
    return control_texts()["review_problems"][code].format(**details)


def parse_reviews(grid: Grid | None, config: Config) -> tuple[list[ReviewRow], list[ControlProblem]]:
    """The «Duyệt báo cáo» tab's rows, each checked; ``config`` with the open requests, so their
    periods can be named too."""
    from rules.calendar import parse_period, period_by_id
    from rules.judge import owed_forms
    from rules.model import REVIEW_ACCEPTED, REVIEW_RETURNED

    texts = control_texts()
    tab = tab_name("reviews")
    names = texts["review_columns"]
    labels = {key: options[0] for key, options in names.items()}
    header = find_columns(grid or [], names, "decision")
    if header is None:
        return [], []
    head, columns = header
    forms = {fold(f.key): f for f in config.forms} | {fold(f.tab): f for f in config.forms}
    units = {u.id: u for u in config.units}
    decisions = {REVIEW_ACCEPTED: [texts["decisions"]["accept"], "duyet", "accept"],
                 REVIEW_RETURNED: [texts["decisions"]["return"], "tra lai", "return"]}  # fmt: skip
    rows: list[ReviewRow] = []
    problems: list[ControlProblem] = []
    for index in range(head + 1, len(grid or [])):
        raw = (grid or [])[index]
        text = {key: cell_text(raw[col]) if col < len(raw) else "" for key, col in columns.items()}
        if not any(text.values()):
            continue
        number, wrong = index + 1, []
        for key in ("unit", "form", "period", "decision"):
            if not text.get(key):
                wrong.append(review_problem("missing", column=labels[key]))
        unit = units.get(text.get("unit", ""))
        if text.get("unit") and unit is None:
            wrong.append(review_problem("bad_unit", value=text["unit"]))
        form = forms.get(fold(text.get("form", ""))) if text.get("form") else None
        if text.get("form") and form is None:
            wrong.append(review_problem("bad_form", value=text["form"], forms=", ".join(f.tab for f in config.forms)))
        period = None
        if text.get("period"):
            period = period_by_id(text["period"], config.calendar) or parse_period(text["period"], config.calendar)
            if period is None:
                wrong.append(review_problem("bad_period", value=text["period"]))
        if unit and form and period and not {period.type, period.id} & set(owed_forms(config, unit).get(form.key, [])):
            wrong.append(review_problem("not_owed", unit=unit.id, form=form.tab, period=period.label))
        decision = choose(text["decision"], decisions) if text.get("decision") else None
        if text.get("decision") and decision is None:
            wrong.append(review_problem("bad_decision", column=labels["decision"], value=text["decision"]))
        if decision == REVIEW_RETURNED and not text.get("comment"):
            wrong.append(review_problem("no_comment", column=labels["comment"]))
        if wrong:
            problems += [ControlProblem(tab, number, f"{p}; {problem_text('kept')}") for p in wrong]
            continue
        assert unit is not None and form is not None and period is not None and decision is not None
        rows.append(ReviewRow(number, unit.id, form.key, period.id, decision, text.get("comment", "")))
    return rows, problems
