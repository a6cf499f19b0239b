"""The last judgements `check` just saved, handed to the board without reading them back: always
the same rows, in the same order, as reading the whole table (Store.report_statuses)."""

from __future__ import annotations

import datetime as dt

import pytest

from store import ReportRow, Store

DAY1, DAY2 = dt.date(2023, 7, 20), dt.date(2023, 7, 21)


def row(unit: str, form: str, period: str, deadline: dt.date, status: str, judged_on: dt.date) -> ReportRow:
    submitted = judged_on if status.startswith("complete") else None
    return ReportRow(unit, form, period, f"Kỳ {period}", deadline, status, submitted, 1, unit != "9", judged_on)


FIRST = [
    row("941", "commitment_monthly", "2023-M06", dt.date(2023, 6, 15), "complete_on_time", DAY1),
    row("941", "commitment_monthly", "2023-M07", dt.date(2023, 7, 15), "missing", DAY1),
    row("942", "topic_report", "2023-H1", dt.date(2023, 6, 19), "incomplete", DAY1),
    row("Đồng Tháp", "topic_report", "2023-H1", dt.date(2023, 6, 19), "missing", DAY1),
    row("9", "topic_report", "2023-H1", dt.date(2023, 6, 19), "unreadable", DAY1),
]
# The next day: June out of view (its row stays from DAY1), July judged again, a new unit.
SECOND = [
    row("941", "commitment_monthly", "2023-M07", dt.date(2023, 7, 15), "complete_late", DAY2),
    row("942", "topic_report", "2023-H1", dt.date(2023, 6, 19), "complete_late", DAY2),
    row("10003", "topic_report", "2023-H1", dt.date(2023, 6, 19), "missing", DAY2),
    row("Đồng Tháp", "topic_report", "2023-H1", dt.date(2023, 6, 19), "missing", DAY2),
    row("9", "topic_report", "2023-H1", dt.date(2023, 6, 19), "unreadable", DAY2),
]


@pytest.mark.parametrize(
    "batches",
    [
        pytest.param([FIRST], id="first-run"),
        pytest.param([FIRST, SECOND], id="rows-of-an-earlier-day-kept"),
        pytest.param([FIRST, SECOND, SECOND[:2]], id="same-day-holds-rows-not-saved-now"),
        pytest.param([FIRST, SECOND + SECOND[:1]], id="a-key-saved-twice"),
        pytest.param([FIRST, FIRST[:1] + SECOND], id="rows-of-two-days-saved-at-once"),
    ],
)
def test_rows_just_saved_are_what_the_store_reads(store: Store, batches: list[list[ReportRow]]):
    for batch in batches:
        store.save_report_statuses(batch)

    given = store.report_statuses_saved(batches[-1])

    assert given == store.report_statuses()
    assert len(given) == len({(r.unit_id, r.form_key, r.period_id) for batch in batches for r in batch})


def test_nothing_saved_reads_what_the_store_holds(store: Store):
    store.save_report_statuses(FIRST)

    assert store.report_statuses_saved([]) == store.report_statuses() != []
