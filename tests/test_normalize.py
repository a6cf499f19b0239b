"""Reading what Vietnamese users type: folding, vi-VN numbers, dates, percentages."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vntext import (
    UnreadableValue,
    cell_ref,
    column_letter,
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

VIETNAMESE = st.text(
    alphabet=st.sampled_from(
        list("aăâeêioôơuưyđAĂÂEÊIOÔƠUƯYĐáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ -,")
    ),
    max_size=40,
)


@given(VIETNAMESE)
def test_nfc_and_nfd_fold_alike(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))


@given(VIETNAMESE)
def test_case_and_whitespace_fold_alike(text):
    assert fold(f"  {text.upper()}  ") == fold(text.replace(" ", "   "))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hòa", "hoà"),
        ("Khỏe", "Khoẻ"),
        ("thủy", "thuỷ"),
        ("Văn hóa - xã hội", "Văn hoá - xã hội"),
        ("Hòa Bình", "HOÀ BÌNH"),
    ],
)
def test_old_and_new_tone_placement_fold_alike(old, new):
    assert fold(old) == fold(new)


@pytest.mark.parametrize(("a", "b"), [("ma", "má"), ("hòa", "hóa"), ("Mỹ Tú", "My Tu"), ("đa", "da")])
def test_words_that_differ_stay_distinct(a, b):
    assert fold(a) != fold(b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.500", Decimal(1500)),
        ("2,5", Decimal("2.5")),
        ("1.500.000", Decimal(1500000)),
        ("1.234,56", Decimal("1234.56")),
        ("1 500", Decimal(1500)),
        ("1\u00a0500", Decimal(1500)),
        ("12.500.000 đ", Decimal(12500000)),
        ("12.500.000 đồng", Decimal(12500000)),
        ("-3", Decimal(-3)),
        ("1.5", Decimal("1.5")),
        (" 42 ", Decimal(42)),
        (1500.0, Decimal(1500)),
        (7, Decimal(7)),
    ],
)
def test_vi_numbers(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("0.500", Decimal("0.5")), ("0,500", Decimal("0.5")), ("12,5", Decimal("12.5"))]
)
def test_a_leading_zero_is_never_a_thousands_group(value, expected):
    assert parse_number(value) == expected


@pytest.mark.parametrize("text", ["12,000", "150,000", "1,500"])
def test_comma_before_three_digits_is_ambiguous_and_refused(text):
    with pytest.raises(UnreadableValue) as err:
        parse_number(text)
    assert err.value.code == "ambiguous_number"


@pytest.mark.parametrize("text", ["mười hai", "1,500,000", "12a", "", "1..5", "khoảng 40", True])
def test_unreadable_numbers_raise_never_zero(text):
    with pytest.raises(UnreadableValue) as err:
        parse_number(text)
    assert err.value.code == "not_a_number"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_round_trip_through_vi_formatting(number):
    assert parse_integer(format_number(number)) == number


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_decimals_round_trip_through_vi_formatting(number):
    assert parse_number(format_number(number)) == number


def test_integer_field_rejects_fractions():
    with pytest.raises(UnreadableValue) as err:
        parse_integer("2,5")
    assert err.value.code == "not_an_integer"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("85%", 85),
        ("85,5 %", Decimal("85.5")),
        (0.855, Decimal("85.5")),
        (85, 85),
        ("91,7", Decimal("91.7")),
        (1, 100),
        (1.0, 100),
        ("1", 1),
    ],
)
def test_percent(value, expected):
    assert parse_percent(value) == Decimal(str(expected))


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 12, 31)))
def test_sheets_serial_numbers(day):
    serial = (day - dt.date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_date(float(serial) + 0.75) == day  # a time of day does not move the date


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_day_first_text_dates(day):
    assert parse_date(f"{day.day}/{day.month}/{day.year:04d}") == day
    assert parse_date(f"{day.day:02d}-{day.month:02d}-{day.year:04d}") == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(dt.datetime(day.year, day.month, day.day, 14, 30)) == day


@pytest.mark.parametrize("text", ["31/02/2023", "2023/06/15", "15/6", "hôm qua", "13/13/2023", -5])
def test_bad_dates(text):
    with pytest.raises(UnreadableValue) as err:
        parse_date(text)
    assert err.value.code == "not_a_date"


def test_day_first_is_never_read_month_first():
    assert parse_date("05/06/2023") == dt.date(2023, 6, 5)


@pytest.mark.parametrize("value", [None, "", "   ", float("nan")])
def test_missing(value):
    assert is_missing(value)


@pytest.mark.parametrize("value", [0, "0", 0.0, "-"])
def test_zero_is_not_missing(value):
    assert not is_missing(value)


def test_cell_references():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert cell_ref("Báo cáo", 6, 3) == "'Báo cáo'!D7"
    assert cell_ref("Chị Tư's", 0, 0) == "'Chị Tư''s'!A1"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.datetime(2023, 6, 16), "16/06/2023"),
        (dt.datetime(2023, 6, 16, 8, 30), "16/06/2023 08:30"),
        (dt.date(2023, 6, 16), "16/06/2023"),
        (3479.9999999999995, "3.480"),
        (0.1 + 0.2, "0,3"),
        (1500, "1.500"),
        ("  a\u200b  b ", "a b"),
        ("x" * 100, "x" * 59 + "…"),
    ],
)
def test_a_value_is_quoted_as_the_clerk_sees_it(value, shown):
    assert display_value(value) == shown


@pytest.mark.parametrize("text", ["#REF!", "#DIV/0!", "#N/A", " #value! ", "#NAME?"])
def test_a_formula_error_is_neither_a_value_nor_empty(text):
    assert error_value(text) and not is_missing(text)
    with pytest.raises(UnreadableValue) as raised:
        parse_number(text)
    assert raised.value.code == "formula_error"


@pytest.mark.parametrize("text", ["\ufeffKỳ báo cáo", "Kỳ\u200b báo cáo", "Kỳ báo\u2060 cáo", "Kỳ\u00a0báo cáo"])
def test_invisible_characters_fold_away(text):
    assert fold(text) == fold("Kỳ báo cáo")
