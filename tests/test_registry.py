"""One way in for each kind: every source kind and transport config.yaml accepts has one class
in its registry, and a new kind is its settings model plus one registered class — nothing else."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

import pytest
import yaml

from delivery.registry import TRANSPORTS
from errors import ConfigError
from rules.grids import UnitGrids
from service.doctor import run_doctor
from service.run import run_command
from settings import Config, load_config
from settings.schema import DELIVERY_SETTINGS, SOURCE_SETTINGS, SheetLink, Strict, Unit
from store import Store
from sync.factory import build_source
from sync.registry import SOURCES, source_class
from sync.source import Check

SAMPLE_DAY = dt.date(2023, 7, 20)


def test_every_source_kind_the_config_accepts_has_one_registered_class_and_no_other():
    assert set(SOURCES) == set(SOURCE_SETTINGS)
    for kind in SOURCES:
        cls = source_class(kind)
        assert all(callable(getattr(cls, name, None)) for name in ("from_config", "check", "fetch")), kind
        assert callable(getattr(SOURCE_SETTINGS[kind], "sheet_link", None)), kind


def test_every_transport_the_config_accepts_has_one_registered_class_and_no_other():
    assert set(TRANSPORTS) == set(DELIVERY_SETTINGS)
    for name, cls in TRANSPORTS.items():
        assert all(callable(getattr(cls, attr, None)) for attr in ("from_config", "check", "send")), name
        assert cls.name == name and cls.verb
        assert callable(getattr(DELIVERY_SETTINGS[name], "sender", None)), name


# --- a toy source kind ------------------------------------------------------------------------
class ToySettings(Strict):
    """The settings side of the toy kind; config.yaml accepts it only once it joins the union
    ``Config.source`` in settings/schema.py."""

    kind: Literal["toy"] = "toy"

    def sheet_link(self, sheet: str) -> SheetLink:
        return f"https://toy.example/{sheet}", None


class ToySource:
    """Serves every unit its tabs with the header row only: nothing reported yet."""

    def __init__(self, config: Config) -> None:
        self.forms = {form.tab: form for form in config.forms}

    @classmethod
    def from_config(cls, config: Config, store: Store | None = None, full: bool = False) -> ToySource:
        return cls(config)

    def check(self) -> list[Check]:
        return [Check("toy shelf", True, "always there")]

    def fetch(self, units: Sequence[Unit], tabs: Mapping[str, Sequence[str]]) -> Iterator[UnitGrids]:
        for unit in units:
            grids = {tab: [self._header(tab)] for tab in tabs.get(unit.id, ())}
            yield UnitGrids(unit.id, grids=grids, available_tabs=list(grids), actual_titles={t: t for t in grids})

    def _header(self, tab: str) -> list[str]:
        form = self.forms[tab]
        dated = [form.report_date_label] if form.report_date_label else []
        return [form.period_label, *dated, *(spec.label for spec in form.fields)]


@pytest.fixture
def toy_config(config: Config, monkeypatch) -> Config:
    """The shipped config with a toy source: one registry entry, and its settings model put in
    directly, since the schema's union does not list it."""
    monkeypatch.setitem(SOURCES, "toy", f"{__name__}:ToySource")
    return config.model_copy(update={"source": ToySettings()})


def test_a_toy_source_kind_needs_one_registered_class_to_be_read_checked_and_mailed(toy_config, tmp_path):
    assert isinstance(build_source(toy_config), ToySource)

    rows = run_doctor(toy_config)
    assert ("", "toy shelf", True) in [(r.unit_id, r.check, r.ok) for r in rows]
    assert [r for r in rows if not r.ok] == []

    summary = run_command(toy_config, SAMPLE_DAY)
    assert "written to the outbox" in summary
    reminders = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in (tmp_path / "outbox").glob("reminder_*.eml")
    ]
    assert reminders
    assert all("https://toy.example/" in m.get_body(("plain",)).get_content() for m in reminders)


def test_but_config_yaml_refuses_a_kind_the_schema_does_not_list(tmp_path, config_path):
    raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    raw["source"] = {"kind": "toy"}
    config_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="source: Input tag 'toy' found using 'kind' does not match"):
        load_config(config_path)
