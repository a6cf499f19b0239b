"""Any cell value a source can hand over, thrown at the parsers: each returns its documented result
(a value, ``UnreadableValue`` with a known reason, None for no period) and nothing else, ever."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.calendar import parse_period
from rules.forms import read_form
from rules.grids import UncomputedFormula
from rules.messages import catalogue
from rules.model import Period
from settings import load_config
from tests.conftest import REPO
from vntext import (
    INVISIBLE,
    UnreadableValue,
    display_value,
    error_value,
    fold,
    format_number,
    is_missing,
    parse_date,
    parse_integer,
    parse_number,
    parse_percent,
)

REASONS = {"not_a_number", "not_an_integer", "ambiguous_number", "not_a_date", "formula_error"}
TYPED = st.text(alphabet=st.sampled_from(list("0123456789.,-+ %/đồngVNĐTháng năm\u00a0\u200b\ufeff#REF!")), max_size=24)
CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    TYPED,
    st.sampled_from(["#REF!", "#DIV/0!", "#N/A", " #value! ", "=SUM(A1)", "\ufeff", "\u200b\u200d", "x" * 5000]),
    st.builds(UncomputedFormula, st.text(max_size=20).map(lambda t: "=" + t)),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


CONFIG = load_config(REPO / "config.yaml")  # loading touches no file but the config


def outcome(parser, value):
    try:
        return parser(value)
    except UnreadableValue as exc:
        assert exc.code in REASONS, exc.code
        return exc


@given(CELLS)
def test_number_parsers_return_a_number_or_say_why_not(value):
    for parser in (parse_number, parse_percent):
        result = outcome(parser, value)
        assert isinstance(result, UnreadableValue) or (isinstance(result, Decimal) and result.is_finite())
    result = outcome(parse_integer, value)
    assert isinstance(result, (int, UnreadableValue)) and not isinstance(result, bool)


@given(CELLS)
def test_the_date_parser_returns_a_date_or_says_why_not(value):
    result = outcome(parse_date, value)
    assert isinstance(result, (dt.date, UnreadableValue))


@given(CELLS)
def test_a_formula_error_is_never_a_value(value):
    if error_value(value):
        for parser in (parse_number, parse_percent, parse_integer, parse_date):
            assert outcome(parser, value).code == "formula_error"


@given(CELLS)
def test_period_recognition_returns_a_period_or_none(value):
    result = parse_period(value, CONFIG.calendar)
    assert result is None or (isinstance(result, Period) and result.start <= result.end)


@given(CELLS)
def test_a_value_is_always_shown_in_sixty_characters_at_most(value):
    shown = display_value(value)
    assert isinstance(shown, str) and isinstance(format_number(value), str)
    if not isinstance(value, (int, float, Decimal)):
        assert len(shown) <= 60


@given(st.text(max_size=40), st.lists(st.sampled_from(INVISIBLE), max_size=4), st.integers(0, 40))
def test_invisible_characters_change_no_comparison(text, invisible, at):
    at = min(at, len(text))
    spoiled = text[:at] + "".join(invisible) + text[at:]
    assert fold(spoiled) == fold(text)
    if is_missing(text):
        assert is_missing(spoiled)


@given(st.text(alphabet=st.characters(categories=["Cf", "Zs"]), max_size=6))
def test_a_cell_of_nothing_visible_is_empty(text):
    if all(ch in INVISIBLE or unicodedata.category(ch) == "Zs" for ch in text):
        assert is_missing(text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELLS, max_size=14), max_size=8), st.sampled_from(["topic_report", "exemplary_people"]))
def test_reading_any_grid_gives_findings_the_catalogue_knows(grid, form_key):
    form = CONFIG.form(form_key)
    header = [form.period_label, form.report_date_label, *(f.label for f in form.fields)]
    reading = read_form(form, [header, *grid], form.tab, "941", CONFIG.calendar)
    known = catalogue()["findings"]
    records = [r for rs in reading.records.values() for r in rs]
    for finding in [*reading.findings, *(f for r in records for f in r.findings)]:
        assert finding.code in known and finding.message and finding.unit_id == "941"
