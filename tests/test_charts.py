"""The consolidated report's charts: real PNGs at the email's width, in the status colours, with
every Vietnamese letter drawn (no missing-glyph box) and no chart for a form without numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import warnings
from pathlib import Path

import pytest
from PIL import Image

from consolidation.charts import STATUS_COLOURS, WIDTH_IN, indicator_chart, status_chart
from consolidation.figures import Indicator, Section, consolidate
from consolidation.texts import mail_text
from rules.model import MISSING, UNREADABLE
from service.check import collect

TODAY = dt.date(2023, 7, 20)
MONTHLY = ("commitment_monthly", "2023-M07")  # the report the office receives on the sample day


@pytest.fixture
def sections(config, store) -> dict[str, Section]:
    """Every form's section of the sample day, by form key (its latest period past due)."""
    judgement = collect(config, TODAY, store)
    latest: dict[str, str] = {}
    for report in sorted(judgement.reports, key=lambda r: r.deadline):
        if report.deadline < TODAY:
            latest[report.form_key] = report.period.id
    consolidation = consolidate(config, judgement, list(latest.items()), mail_text("list_rows"))
    return {s.form.key: s for s in consolidation.sections}


def image(png: bytes, name: str) -> Image.Image:
    """The PNG opened; kept under $CHART_EXAMPLES (say /tmp/charts) to be looked at."""
    if folder := os.environ.get("CHART_EXAMPLES"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, f"{name}.png").write_bytes(png)
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    return picture.convert("RGB")


def colours(picture: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in picture.getcolors(maxcolors=1 << 20)}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def drawn_without_missing_glyphs(draw) -> bytes:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw()
    assert not [w for w in caught if "missing from" in str(w.message)]
    return png


def test_the_status_chart_shows_each_unit_in_its_status_colour(sections):
    section = sections[MONTHLY[0]]
    assert section.period.id == MONTHLY[1]

    picture = image(drawn_without_missing_glyphs(lambda: status_chart(section)), "status")

    assert picture.width == WIDTH_IN * 100
    assert picture.height > 12 * 30  # a row per unit, each readable
    seen = colours(picture)
    assert len(seen) > 20  # text, antialiased, not a blank or single-colour image
    shown = {r.report.status for r in section.rows}
    assert {MISSING, UNREADABLE} <= shown
    assert {rgb(STATUS_COLOURS[s][0]) for s in shown} <= seen


def test_a_status_word_with_diacritics_is_drawn_from_the_font(sections):
    section = sections[MONTHLY[0]]
    unread = [dataclasses.replace(r, report=dataclasses.replace(r.report, status=UNREADABLE)) for r in section.rows]
    everyone_unreadable = dataclasses.replace(section, rows=unread)

    picture = image(drawn_without_missing_glyphs(lambda: status_chart(everyone_unreadable)), "unreadable")

    assert rgb(STATUS_COLOURS[UNREADABLE][0]) in colours(picture)


@pytest.mark.parametrize("form_key", ["commitment_monthly", "topic_report"])
def test_the_indicator_chart_draws_a_panel_per_numeric_indicator(sections, form_key):
    section = sections[form_key]

    picture = image(drawn_without_missing_glyphs(lambda: indicator_chart(section)), f"indicators-{form_key}")

    assert picture.width == WIDTH_IN * 100
    assert len(colours(picture)) > 20


def test_a_section_without_numbers_has_no_indicator_chart(sections):
    section = sections[MONTHLY[0]]
    text_only = dataclasses.replace(section, indicators=[Indicator(i.key, i.label, False) for i in section.indicators])

    assert indicator_chart(text_only) is None


def test_past_forty_units_the_status_chart_is_one_bar_of_counts(sections):
    section = sections[MONTHLY[0]]
    many = dataclasses.replace(section, rows=section.rows * 9)  # 108 units

    picture = image(drawn_without_missing_glyphs(lambda: status_chart(many)), "status-108-units")

    assert picture.width == WIDTH_IN * 100 and picture.height < 300
    assert {rgb(STATUS_COLOURS[r.report.status][0]) for r in section.rows} <= colours(picture)


def test_past_forty_units_there_is_no_indicator_chart(sections):
    section = sections[MONTHLY[0]]

    assert indicator_chart(dataclasses.replace(section, rows=section.rows * 4)) is None  # 48 units
