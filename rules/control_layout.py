"""`control --init`: the control spreadsheet's tabs as provisioning lays them out (Vietnamese
headers with a note, dropdowns for the columns that take a word from a list, date columns), and a
unit of config.yaml as the «Đơn vị» tab writes it."""

from __future__ import annotations

from rules.control import column_names, control_texts, tab_name
from rules.layout import Column, TabLayout, Validation
from settings.schema import Config, Unit

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
