"""Periods (15th → 14th), working days with Vietnamese holidays, deadlines, period labels."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.calendar import (
    WorkingDays,
    due_date,
    monthly_period,
    parse_period,
    periods_in_view,
    six_monthly_period,
    yearly_period,
)
from settings.schema import Calendar

D = dt.date


def calendar(**overrides) -> Calendar:
    spec = {
        "start": "2023-01-15",
        "obligations": [{"form": "topic_report", "periods": ["monthly"]}],
        "deadlines": {"monthly": {"days": 2}, "six_monthly": {"days": 3}, "yearly": {"days": 3}},
        "ad_hoc": [
            {
                "id": "dot-xuat-2023-04",
                "label": "Báo cáo nhanh (đột xuất)",
                "aliases": ["Đột xuất 4/2023"],
                "start": "2023-02-10",
                "end": "2023-04-14",
                "deadline": "2023-04-21",
                "forms": ["topic_report"],
            }
        ],
    }
    return Calendar.model_validate(spec | overrides)


def test_periods_run_from_the_15th_to_the_14th():
    assert (monthly_period(2023, 3).start, monthly_period(2023, 3).end) == (D(2023, 2, 15), D(2023, 3, 14))
    assert (six_monthly_period(2023).start, six_monthly_period(2023).end) == (D(2022, 12, 15), D(2023, 6, 14))
    assert (yearly_period(2023).start, yearly_period(2023).end) == (D(2022, 12, 15), D(2023, 12, 14))


def test_january_period_starts_in_the_previous_year():
    january = monthly_period(2024, 1)
    assert (january.start, january.end, january.id, january.label) == (
        D(2023, 12, 15),
        D(2024, 1, 14),
        "2024-M01",
        "Tháng 1/2024",
    )


def test_cutoff_on_the_first_gives_calendar_months():
    assert (monthly_period(2024, 2, cutoff_day=1).start, monthly_period(2024, 2, cutoff_day=1).end) == (
        D(2024, 2, 1),
        D(2024, 2, 29),
    )
    assert yearly_period(2024, cutoff_day=1).start == D(2024, 1, 1)


@pytest.mark.parametrize(
    "day", [D(2024, 2, 8), D(2024, 2, 10), D(2024, 2, 14), D(2023, 1, 23), D(2024, 4, 29), D(2024, 9, 2), D(2024, 9, 3)]
)
def test_tet_and_public_holidays_are_not_working_days(day):
    assert not WorkingDays(calendar()).is_working_day(day)


def test_weekends_are_not_working_days_and_weekdays_are():
    working = WorkingDays(calendar())
    assert not working.is_working_day(D(2023, 7, 22))  # Saturday
    assert working.is_working_day(D(2023, 7, 20))


def test_tet_2024_deadline_moves_to_the_next_working_day():
    # Tháng 2/2024 closes on 14/02/2024, the fifth day of Tết; 2 working days later is 16/02.
    assert due_date(monthly_period(2024, 2), calendar(), WorkingDays(calendar())) == D(2024, 2, 16)
    # A deadline counted in calendar days that lands inside Tết moves past it:
    # Tháng 1/2024 closes 14/01; + 26 days = 09/02/2024 (Tết) → Thursday 15/02/2024.
    by_days = calendar(deadlines={"monthly": {"days": 26, "count": "calendar"}})
    assert due_date(monthly_period(2024, 1), by_days, WorkingDays(by_days)) == D(2024, 2, 15)


def test_deadline_with_zero_days_rolls_a_holiday_cutoff_forward():
    zero = calendar(deadlines={"monthly": {"days": 0}})
    assert due_date(monthly_period(2024, 2), zero, WorkingDays(zero)) == D(2024, 2, 15)
    assert due_date(monthly_period(2023, 3), zero, WorkingDays(zero)) == D(2023, 3, 14)


def test_deadline_across_the_year_end():
    # Năm 2023 closes Thursday 14/12/2023: + 3 working days = Tuesday 19/12/2023.
    assert due_date(yearly_period(2023), calendar(), WorkingDays(calendar())) == D(2023, 12, 19)
    # Tháng 12 closing on Saturday 14/12/2024 plus 2 working days = Tuesday 17/12/2024.
    assert due_date(monthly_period(2024, 12), calendar(), WorkingDays(calendar())) == D(2024, 12, 17)
    # New Year's Day 2024 is a holiday: Tháng 1/2024 (ends Sunday 14/01) is not affected,
    # but a calendar-day deadline landing on 01/01/2024 moves to Tuesday 02/01/2024.
    by_days = calendar(deadlines={"monthly": {"days": 18, "count": "calendar"}})
    assert due_date(monthly_period(2023, 12), by_days, WorkingDays(by_days)) == D(2024, 1, 2)


def test_extra_days_off_and_working_saturdays():
    custom = calendar(extra_days_off=["2023-03-16"], extra_working_days=["2023-03-18"])
    # Tháng 3/2023 closes Tuesday 14/03: 15/03 (1), 16/03 off, 17/03 (2) → 17/03.
    assert due_date(monthly_period(2023, 3), custom, WorkingDays(custom)) == D(2023, 3, 17)
    assert WorkingDays(custom).is_working_day(D(2023, 3, 18))


def test_ad_hoc_deadline_is_as_configured():
    cal = calendar()
    ((period, deadline),) = periods_in_view("ad_hoc", cal, D(2023, 7, 20), WorkingDays(cal))
    assert (period.id, deadline) == ("dot-xuat-2023-04", D(2023, 4, 21))


def test_periods_in_view_start_at_the_calendar_start_and_stop_today():
    cal = calendar()
    months = [p.id for p, _ in periods_in_view("monthly", cal, D(2023, 7, 20), WorkingDays(cal))]
    assert months == ["2023-M02", "2023-M03", "2023-M04", "2023-M05", "2023-M06", "2023-M07", "2023-M08"]


def test_old_periods_fall_out_of_view_after_the_lookback():
    cal = calendar(lookback_days=60)
    months = [p.id for p, _ in periods_in_view("monthly", cal, D(2024, 3, 1), WorkingDays(cal))]
    assert months == ["2024-M01", "2024-M02", "2024-M03"]


def test_the_calendar_recurs_every_year():
    cal = calendar(lookback_days=2000)
    in_view = [p.id for p, _ in periods_in_view("six_monthly", cal, D(2026, 11, 30), WorkingDays(cal))]
    assert in_view == ["2023-H1", "2024-H1", "2025-H1", "2026-H1"]


@pytest.mark.parametrize(
    ("typed", "period_id"),
    [
        ("Tháng 3/2023", "2023-M03"),
        ("tháng 03/2023", "2023-M03"),
        ("T3-2023", "2023-M03"),
        ("3/2023", "2023-M03"),
        ("Tha\u0301ng 12/2023", "2023-M12"),
        ("6 tháng đầu năm 2023", "2023-H1"),
        ("6T/2023", "2023-H1"),
        ("Sơ kết 6 tháng 2023", "2023-H1"),
        ("Năm 2023", "2023-Y"),
        ("Cả năm 2023", "2023-Y"),
        (2023, "2023-Y"),
        ("Đột xuất 4/2023", "dot-xuat-2023-04"),
        ("ĐỘT XUẤT 4/2023", "dot-xuat-2023-04"),
        ("dot-xuat-2023-04", "dot-xuat-2023-04"),
        (D(2023, 5, 1), "2023-M05"),
        (45047, "2023-M05"),  # the same date as Google sends it: a serial number
        ("6 tháng năm 2023", "2023-H1"),
    ],
)
def test_period_labels_units_type(typed, period_id):
    assert parse_period(typed, calendar()).id == period_id


@pytest.mark.parametrize(
    "typed", ["Tháng 13/2023", "quý 2", "abc", 12.5, "6 tháng cuối năm 2023", "6 tháng 2023 (bổ sung)"]
)
def test_unrecognised_period_labels(typed):
    assert parse_period(typed, calendar()) is None
