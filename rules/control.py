"""The office's control spreadsheet, read as grids: its «Đơn vị» tab as units that add to or
override config.yaml's, each bad row a problem naming the tab, the row and the reason.

Pure: the grids come from a source, what was applied last comes from the store; the Vietnamese
words (tabs, headers, choices, problems) are in templates/control.yaml. The request and review tabs
are read by rules/control_rows.py, the tabs `control --init` lays out are in rules/control_layout.py.
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
from settings.schema import Config, Unit, _check_email
from vntext import fold

CONTROL_TEXTS = Path(__file__).resolve().parent.parent / "templates" / "control.yaml"
HEADER_SEARCH_ROWS = 5  # the header row is one of the first rows (a title may sit above it)
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
LIST_SPLIT = re.compile(r"[,;\s]+")
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


def cell_text(value: Any) -> str:
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


def find_columns(grid: Grid, names: Mapping[str, Sequence[str]], required: str) -> tuple[int, dict[str, int]] | None:
    """(header row index, field → column) for the first of the top rows naming ``required``."""
    folded = {fold(name): key for key, options in names.items() for name in options}
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = folded.get(fold(cell_text(cell)))
            if key is not None and key not in columns:
                columns[key] = col
        if required in columns:
            return index, columns
    return None


def find_header(grid: Grid, tab: str) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, field → column index) for the first row naming the id column."""
    return find_columns(grid, column_names(tab), "id")


def choose(value: str, table: Mapping[str, Sequence[str]]) -> str | None:
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
    choice = choose(value, {"yes": texts["yes_words"], "no": texts["no_words"]})
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
        cells = {key: cell_text(row[col]) if col < len(row) else "" for key, col in columns.items()}
        if not any(cells.values()):
            continue
        number = index + 1
        problems, data = _unit_row(cells, labels, known)
        unit_id = cells.get("id", "")
        if unit_id and ID_PATTERN.match(unit_id):
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
    if not ID_PATTERN.match(unit_id):
        return [problem_text("bad_id", value=unit_id)], data
    data["id"] = unit_id
    for key in ("name", "short_name", "sheet"):
        if cells.get(key):
            data[key] = cells[key]
    if cells.get("kind"):
        kind = choose(cells["kind"], _kinds())
        if kind is None:
            problems.append(problem_text("bad_kind", value=cells["kind"]))
        data["kind"] = kind
    if cells.get("emails"):
        emails = [e for e in LIST_SPLIT.split(cells["emails"]) if e]
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
