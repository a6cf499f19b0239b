"""The office's control spreadsheet, read as grids: its «Đơn vị» tab as units that add to or
override config.yaml's, each bad row a problem naming the tab, the row and the reason.

Pure: the grids come from a source, what was applied last comes from the store; the Vietnamese
words (tabs, headers, choices, problems) are in templates/control.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from rules.grids import Grid
from rules.layout import Column, TabLayout, Validation
from settings.schema import Config, Unit, _check_email
from vntext import fold

CONTROL_TEXTS = Path(__file__).resolve().parent.parent / "templates" / "control.yaml"
HEADER_SEARCH_ROWS = 5  # the header row is one of the first rows (a title may sit above it)
_UNIT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_EMAIL_SPLIT = re.compile(r"[,;\s]+")
UNIT_FIELDS = ("id", "name", "short_name", "kind", "sheet", "emails", "supervisor_email", "active")
REQUIRED = ("name", "sheet", "emails")


@lru_cache(maxsize=1)
def control_texts() -> dict[str, Any]:
    return yaml.load(CONTROL_TEXTS.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def tab_name(key: str) -> str:
    """The title of a control tab: "units" → "Đơn vị"."""
    return control_texts()["tabs"][key]


def column_names(tab: str) -> dict[str, list[str]]:
    """Field → the headers accepted for it (the first is the one written)."""
    return control_texts()["columns"][tab]


def problem_text(code: str, **details: Any) -> str:
    return control_texts()["problems"][code].format(**details)


@dataclass(frozen=True)
class ControlProblem:
    """A row (or a whole tab, ``row`` None) of the control spreadsheet that was not applied."""

    tab: str
    row: int | None
    problem: str

    @property
    def message(self) -> str:
        row = self.row if self.row is not None else "1"
        return control_texts()["finding"].format(tab=self.tab, row=row, problem=self.problem)


@dataclass
class UnitRows:
    """What the «Đơn vị» tab says: units by id (config.yaml's fields, only those the row gives),
    ids switched off, ids whose row is bad, and the problems."""

    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    off: list[str] = field(default_factory=list)
    bad_ids: list[str] = field(default_factory=list)
    problems: list[ControlProblem] = field(default_factory=list)
    applied: bool = True  # False: the tab is missing or lacks a column; nothing of it applies

    def as_json(self) -> dict[str, Any]:
        return {"units": self.units, "off": self.off}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UnitRows:
        return cls(dict(data.get("units", {})), list(data.get("off", [])))


def _text(value: Any) -> str:
    """A cell as the clerk typed it: numbers without ".0", dates as dd/mm/yyyy, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).replace("\ufeff", "").replace("\u200b", "").strip()


def find_header(grid: Grid, tab: str) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, field → column index) for the first row naming the id column."""
    names = {fold(name): key for key, options in column_names(tab).items() for name in options}
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = names.get(fold(_text(cell)))
            if key is not None and key not in columns:
                columns[key] = col
        if "id" in columns:
            return index, columns
    return None


def _choice(value: str, table: Mapping[str, Sequence[str]]) -> str | None:
    folded = fold(value)
    for key, words in table.items():
        if folded in {fold(w) for w in words}:
            return key
    return None


def _kinds() -> dict[str, list[str]]:
    texts = control_texts()
    return {key: [word, *texts["kind_aliases"].get(key, [])] for key, word in texts["kinds"].items()}


def _yes_no(value: str) -> bool | None:
    """True for a yes word or an empty cell, False for a no word, None for anything else."""
    if not value:
        return True
    texts = control_texts()
    choice = _choice(value, {"yes": texts["yes_words"], "no": texts["no_words"]})
    return None if choice is None else choice == "yes"


def parse_units(grid: Grid | None, config: Config) -> UnitRows:
    """The «Đơn vị» tab's rows; ``grid`` None when the spreadsheet has no such tab."""
    tab = tab_name("units")
    result = UnitRows()
    header = find_header(grid or [], "units")
    labels = {key: names[0] for key, names in column_names("units").items()}
    if header is None:
        result.applied = False
        result.problems.append(ControlProblem(tab, None, problem_text("missing_column", column=labels["id"])))
        return result
    head, columns = header
    known = {u.id for u in config.units}
    first_row: dict[str, int] = {}
    for index in range(head + 1, len(grid or [])):
        row = (grid or [])[index]
        cells = {key: _text(row[col]) if col < len(row) else "" for key, col in columns.items()}
        if not any(cells.values()):
            continue
        number = index + 1
        problems, data = _unit_row(cells, labels, known)
        unit_id = cells.get("id", "")
        if unit_id and _UNIT_ID.match(unit_id):
            if unit_id in first_row:
                problems.insert(0, problem_text("duplicate_id", value=unit_id, first=first_row[unit_id]))
            else:
                first_row[unit_id] = number
        if problems:
            kept = "kept_previous" if unit_id in known or unit_id in result.units else "kept"
            for problem in problems:
                result.problems.append(ControlProblem(tab, number, f"{problem}; {problem_text(kept)}"))
            if unit_id and unit_id not in result.bad_ids:
                result.bad_ids.append(unit_id)
            continue
        active = data.pop("active")
        result.units[unit_id] = data
        if not active:
            result.off.append(unit_id)
    return result


def _unit_row(cells: dict[str, str], labels: dict[str, str], known: set[str]) -> tuple[list[str], dict[str, Any]]:
    """The problems of one row, and its fields as config.yaml names them (only those given)."""
    problems: list[str] = []
    data: dict[str, Any] = {}
    unit_id = cells.get("id", "")
    if not unit_id:
        return [problem_text("missing_id")], data
    if not _UNIT_ID.match(unit_id):
        return [problem_text("bad_id", value=unit_id)], data
    data["id"] = unit_id
    for key in ("name", "short_name", "sheet"):
        if cells.get(key):
            data[key] = cells[key]
    if cells.get("kind"):
        kind = _choice(cells["kind"], _kinds())
        if kind is None:
            problems.append(problem_text("bad_kind", value=cells["kind"]))
        data["kind"] = kind
    if cells.get("emails"):
        emails = [e for e in _EMAIL_SPLIT.split(cells["emails"]) if e]
        for address in emails:
            try:
                _check_email(address)
            except ValueError:
                problems.append(problem_text("bad_email", value=address))
        data["emails"] = emails
    if cells.get("supervisor_email"):
        try:
            data["supervisor_email"] = _check_email(cells["supervisor_email"])
        except ValueError:
            problems.append(problem_text("bad_email", value=cells["supervisor_email"]))
    active = _yes_no(cells.get("active", ""))
    if active is None:
        problems.append(problem_text("bad_yes_no", column=labels["active"], value=cells["active"]))
    data["active"] = bool(active)
    if unit_id not in known:
        problems += [problem_text("missing", column=labels[key]) for key in REQUIRED if key not in data]
    return problems, data


def merge_units(config: Config, rows: UnitRows, previous: UnitRows | None = None) -> Config:
    """``config`` with the rows' units added or overriding by id, the switched-off ones removed
    (and dropped from the calendar's unit lists). A bad row keeps what ``previous`` applied for
    its unit, else config.yaml's."""
    units: dict[str, Unit] = {u.id: u for u in config.units}

    def apply(unit_id: str, data: Mapping[str, Any]) -> None:
        base = units[unit_id].model_dump() if unit_id in units else {}
        units[unit_id] = Unit.model_validate({**base, **data})

    for unit_id, data in rows.units.items():
        apply(unit_id, data)
    off = set(rows.off)
    if previous is not None:
        for unit_id in rows.bad_ids:
            if unit_id in previous.units:
                apply(unit_id, previous.units[unit_id])
            if unit_id in previous.off:
                off.add(unit_id)
    kept = [u for u in units.values() if u.id not in off]
    if [u.id for u in kept] == [u.id for u in config.units] and all(
        a is b for a, b in zip(kept, config.units, strict=True)
    ):
        return config
    return _with_units(config, kept)


def _with_units(config: Config, units: list[Unit]) -> Config:
    """A config with these units, its calendar's unit lists keeping only them (validated again)."""
    ids = {u.id for u in units}
    raw = config.model_dump(mode="python")
    raw["units"] = [u.model_dump() for u in units]
    calendar = raw["calendar"]
    for entry in [*calendar["obligations"], *calendar["ad_hoc"]]:
        if entry.get("units") is not None:
            entry["units"] = [u for u in entry["units"] if u in ids]
    return Config.model_validate(raw)


# --- control --init ---------------------------------------------------------------------------
WIDTHS = {"id": 90, "name": 260, "short_name": 130, "kind": 90, "sheet": 260, "emails": 240,
          "supervisor_email": 200, "active": 110}  # fmt: skip
OTHER_WIDTH = 150
DATE_COLUMNS = frozenset({("requests", "start"), ("requests", "due")})


def _columns(tab: str) -> dict[str, list[str]]:
    texts = control_texts()
    return column_names(tab) if tab == "units" else texts[f"{tab[:-1]}_columns"]


def control_layouts(config: Config) -> list[TabLayout]:
    """The control spreadsheet's tabs as provisioning lays them out: Vietnamese headers with a
    note, dropdowns for the columns that take a word from a list."""
    texts = control_texts()
    forms = tuple(f.tab for f in config.forms)
    choices = {
        ("units", "kind"): tuple(texts["kinds"].values()),
        ("units", "active"): (texts["yes_words"][0], texts["no_words"][0]),
        ("requests", "form"): forms,
        ("requests", "status"): tuple(texts["request_statuses"].values()),
        ("reviews", "form"): forms,
        ("reviews", "decision"): tuple(texts["decisions"].values()),
    }
    layouts = []
    for tab in ("units", "requests", "reviews"):
        notes = texts.get("notes", {}).get(tab, {})
        columns = []
        for key, names in _columns(tab).items():
            listed = choices.get((tab, key))
            validation = Validation("list", choices=listed) if listed else None
            if (tab, key) in DATE_COLUMNS:
                validation = Validation("date")
            width = WIDTHS.get(key, OTHER_WIDTH) if tab == "units" else OTHER_WIDTH
            columns.append(Column(names[0], tuple(names[1:]), width, notes.get(key, ""), validation))
        layouts.append(TabLayout(f"control_{tab}", tab_name(tab), 1, tuple(columns)))
    return layouts


def control_help_rows() -> list[str]:
    return list(control_texts()["help"])


def unit_row(unit: Unit) -> list[str]:
    """A unit of config.yaml as the «Đơn vị» tab writes it."""
    texts = control_texts()
    values = {
        "id": unit.id,
        "name": unit.name,
        "short_name": unit.short_name or "",
        "kind": texts["kinds"][unit.kind],
        "sheet": unit.sheet,
        "emails": ", ".join(unit.emails),
        "supervisor_email": unit.supervisor_email or "",
        "active": texts["yes_words"][0],
    }
    return [values[key] for key in column_names("units")]


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
    header = _find(grid or [], names, "form")
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
        text = {key: _text(value) for key, value in cells.items()}
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
        listed = [u for u in _EMAIL_SPLIT.split(text.get("units", "")) if u]
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
            choice = _choice(status, {"open": [texts["request_statuses"]["open"], "mo", "open"],
                                      "cancelled": [texts["request_statuses"]["cancelled"], "huy", "huỷ", "cancel"]})
            if choice is None:
                wrong.append(request_problem("bad_status", column=labels["status"], value=status))
            cancelled = choice == "cancelled"
        request_id = text.get("id") or request_id_for(text.get("title", ""))
        if not _UNIT_ID.match(request_id):
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


def _find(grid: Grid, names: Mapping[str, Sequence[str]], required: str) -> tuple[int, dict[str, int]] | None:
    """(header row index, field → column) for the first of the top rows naming ``required``."""
    folded = {fold(name): key for key, options in names.items() for name in options}
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = folded.get(fold(_text(cell)))
            if key is not None and key not in columns:
                columns[key] = col
        if required in columns:
            return index, columns
    return None


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
    header = _find(grid or [], names, "decision")
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
        text = {key: _text(raw[col]) if col < len(raw) else "" for key, col in columns.items()}
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
        decision = _choice(text["decision"], decisions) if text.get("decision") else None
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
