"""Reporting periods, working days and deadlines.

A period runs from ``cutoff_day`` of one month to the day before ``cutoff_day`` of the next
(15th → 14th by default): monthly, six-monthly (15/12 of the year before → 14/06) and yearly
(15/12 → 14/12), plus ad-hoc periods listed in config. A deadline is the cut-off plus N
working days (Vietnamese public holidays from the ``holidays`` package, weekends, extra days off).
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from functools import cached_property, wraps
from typing import Any

import holidays

from rules.messages import period_label
from rules.model import Period
from settings.schema import AdHocPeriod, Calendar
from vntext import UnreadableValue, ascii_fold, fold, parse_date

ONE_DAY = dt.timedelta(days=1)


class WorkingDays:
    """Which days the provincial office works: Monday–Friday minus public holidays and days off."""

    def __init__(self, calendar: Calendar) -> None:
        self._country = calendar.holidays_country
        self._days_off = set(calendar.extra_days_off)
        self._working = set(calendar.extra_working_days)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self._country)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self._working:
            return True
        return day.weekday() < 5 and day not in self._days_off and day not in self._holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (``day`` rolled forward when count is 0)."""
        if count == 0:
            return self.next_working_day(day)
        while count:
            day += ONE_DAY
            if self.is_working_day(day):
                count -= 1
        return day


def _month_end(year: int, month: int, cutoff_day: int) -> dt.date:
    if cutoff_day == 1:
        return dt.date(year, month, stdlib_calendar.monthrange(year, month)[1])
    return dt.date(year, month, cutoff_day - 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def monthly_period(year: int, month: int, cutoff_day: int = 15) -> Period:
    start = _month_end(*_previous_month(year, month), cutoff_day) + ONE_DAY
    return Period(
        id=f"{year}-M{month:02d}",
        type="monthly",
        year=year,
        start=start,
        end=_month_end(year, month, cutoff_day),
        label=period_label("monthly", month=month, year=year),
    )


def six_monthly_period(year: int, cutoff_day: int = 15) -> Period:
    return Period(
        id=f"{year}-H1",
        type="six_monthly",
        year=year,
        start=_month_end(year - 1, 12, cutoff_day) + ONE_DAY,
        end=_month_end(year, 6, cutoff_day),
        label=period_label("six_monthly", year=year),
    )


def yearly_period(year: int, cutoff_day: int = 15) -> Period:
    return Period(
        id=f"{year}-Y",
        type="yearly",
        year=year,
        start=_month_end(year - 1, 12, cutoff_day) + ONE_DAY,
        end=_month_end(year, 12, cutoff_day),
        label=period_label("yearly", year=year),
    )


def ad_hoc_period(spec: AdHocPeriod) -> Period:
    return Period(id=spec.id, type="ad_hoc", year=spec.end.year, start=spec.start, end=spec.end, label=spec.label)


def due_date(period: Period, calendar: Calendar, working_days: WorkingDays) -> dt.date:
    """The last day a report for ``period`` counts as on time."""
    if period.type == "ad_hoc":
        return next(a.deadline for a in calendar.ad_hoc if a.id == period.id)
    rule = calendar.deadline_rule(period.type)
    if rule.count == "working":
        return working_days.add_working_days(period.end, rule.days)
    return working_days.next_working_day(period.end + dt.timedelta(days=rule.days))


def standard_periods(period_type: str, years: Iterable[int], cutoff_day: int) -> list[Period]:
    periods: list[Period] = []
    for year in years:
        if period_type == "monthly":
            periods.extend(monthly_period(year, m, cutoff_day) for m in range(1, 13))
        elif period_type == "six_monthly":
            periods.append(six_monthly_period(year, cutoff_day))
        elif period_type == "yearly":
            periods.append(yearly_period(year, cutoff_day))
    return periods


def periods_in_view(
    period_type: str, calendar: Calendar, today: dt.date, working_days: WorkingDays
) -> list[tuple[Period, dt.date]]:
    """Periods of ``period_type`` worth showing on ``today``, each with its deadline.

    A period is in view once it has started, if it ends on or after ``calendar.start`` and its
    deadline is no more than ``lookback_days`` before today.
    """
    oldest = today - dt.timedelta(days=calendar.lookback_days)
    if period_type == "ad_hoc":
        candidates = [ad_hoc_period(a) for a in calendar.ad_hoc]
    else:
        years = range(calendar.start.year, today.year + 2)
        candidates = standard_periods(period_type, years, calendar.cutoff_day)
    in_view = []
    for period in candidates:
        if period.end < calendar.start or period.start > today:
            continue
        deadline = due_date(period, calendar, working_days)
        if deadline >= oldest:
            in_view.append((period, deadline))
    return in_view


_PERIOD_ID = re.compile(r"^(\d{4})-(?:M(\d{2})|(H1)|(Y))$")


def period_by_id(period_id: str, calendar: Calendar) -> Period | None:
    """The period a stored id names ("2023-M07", "2023-H1", "2023-Y", an ad-hoc id), or None."""
    if match := _PERIOD_ID.match(period_id):
        year = int(match.group(1))
        if match.group(2):
            return monthly_period(year, int(match.group(2)), calendar.cutoff_day)
        if match.group(3):
            return six_monthly_period(year, calendar.cutoff_day)
        return yearly_period(year, calendar.cutoff_day)
    spec = next((a for a in calendar.ad_hoc if a.id == period_id), None)
    return ad_hoc_period(spec) if spec else None


_MONTHLY = re.compile(r"^(?:thang|t)?\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$", re.ASCII)
# Only the first half-year is a reporting period; "6 tháng cuối năm" must not be taken for it.
_SIX_MONTHLY = re.compile(r"^(?:so ket\s+)?6\s*(?:thang|t)\s*(?:dau\s*)?(?:nam\s*)?[/\-]?\s*(\d{4})$", re.ASCII)
_YEARLY = re.compile(r"^(?:(?:ca|tong ket)\s+)?(?:nam\s*)?(\d{4})$", re.ASCII)


def _per_calendar(parse: Callable[[Any, Calendar], Period | None]) -> Callable[[Any, Calendar], Period | None]:
    """Remember what ``parse`` made of each cell value, per calendar: every unit's sheet has the
    same period labels, and a Period is immutable."""
    cache: dict[tuple[int, type, Any], tuple[Calendar, Period | None]] = {}

    @wraps(parse)
    def parse_once(value: Any, calendar: Calendar) -> Period | None:
        key = (id(calendar), type(value), value)
        try:
            hit = cache.get(key)
        except TypeError:  # an unhashable value
            return parse(value, calendar)
        if hit is not None and hit[0] is calendar:
            return hit[1]
        period = parse(value, calendar)
        if len(cache) >= 4096:
            cache.clear()
        cache[key] = (calendar, period)
        return period

    return parse_once


@_per_calendar
def parse_period(value: Any, calendar: Calendar) -> Period | None:
    """The period a unit meant by what it typed in the period column, or None.

    Accepts "Tháng 3/2023", "03/2023", "T3-2023"; "6 tháng đầu năm 2023", "6T/2023";
    "Năm 2023", "2023"; a date (its month); an ad-hoc period's id, label or alias.
    """
    cutoff = calendar.cutoff_day
    if isinstance(value, (dt.date, dt.datetime)):
        return monthly_period(value.year, value.month, cutoff) if _plausible(value.year) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 2000 <= value <= 2100 and value == int(value):
            return yearly_period(int(value), cutoff)
        try:  # a date cell read from Google arrives as a serial number
            day = parse_date(value)
        except UnreadableValue:
            return None
        return monthly_period(day.year, day.month, cutoff) if _plausible(day.year) else None
    text = str(value).strip()
    folded = fold(text)
    for spec in calendar.ad_hoc:
        if folded in {fold(spec.id), fold(spec.label), *(fold(a) for a in spec.aliases)}:
            return ad_hoc_period(spec)
    plain = ascii_fold(text)
    if match := _MONTHLY.match(plain):
        month, year = int(match.group(1)), int(match.group(2))
        return monthly_period(year, month, cutoff) if 1 <= month <= 12 and _plausible(year) else None
    if (match := _SIX_MONTHLY.match(plain)) and _plausible(int(match.group(1))):
        return six_monthly_period(int(match.group(1)), cutoff)
    if (match := _YEARLY.match(plain)) and _plausible(int(match.group(1))):
        return yearly_period(int(match.group(1)), cutoff)
    return None


def _plausible(year: int) -> bool:
    """A year a report can be for; "Năm 0000" or a date in year 1 is a typing slip, not a period."""
    return 2000 <= year <= 2100
