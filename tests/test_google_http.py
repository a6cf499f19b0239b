"""The Google source's plumbing: the ranges and IDs it builds, what is retried, how long it waits,
how fast it asks."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from gspread.exceptions import APIError
from hypothesis import given
from hypothesis import strategies as st

from settings.schema import Credential
from sync.google import a1_range, spreadsheet_id
from sync.google_http import PROJECT_QUOTA, USER_QUOTA, TokenBucket, is_transient, quota_burst, retry_after_seconds
from tests.sheets_fake import FakeClock, google_error
from tests.sheets_fake_values import parse_range


def test_the_rate_limiter_spaces_requests_on_the_injected_clock():
    clock = FakeClock()
    bucket = TokenBucket(per_minute=6, clock=clock.monotonic, sleep=clock.sleep)
    for _ in range(4):
        bucket.acquire()
    assert clock.sleeps == pytest.approx([10.0, 10.0, 10.0])


@pytest.mark.parametrize(
    ("per_minute", "quota"), [(55, USER_QUOTA), (Credential().reads_per_minute, USER_QUOTA), (295, PROJECT_QUOTA)]
)
def test_any_minute_stays_within_the_quota(per_minute, quota):
    clock = FakeClock()
    bucket = TokenBucket(per_minute, clock.monotonic, clock.sleep, quota_burst(per_minute, quota))
    times = []
    for _ in range(3 * quota):
        bucket.acquire()
        times.append(clock.now)
    assert max(sum(1 for t in times if start <= t < start + 60) for start in times) <= quota


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (requests.ReadTimeout(), True),
        (requests.ConnectTimeout(), True),
        (requests.ConnectionError(), True),
        (ValueError("bad JSON"), False),
    ],
)
def test_timeouts_and_dropped_connections_are_transient(error, transient):
    assert is_transient(error) is transient


def test_retry_after_may_be_an_http_date():
    response = requests.Response()
    response.status_code = 429
    response._content = json.dumps(google_error(429)).encode()
    response.headers["Retry-After"] = "Thu, 20 Jul 2023 08:00:30 GMT"
    now = dt.datetime(2023, 7, 20, 8, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(APIError(response), now) == 30.0


@given(st.text(min_size=1, max_size=40))
def test_any_tab_title_survives_quoting(title):
    assert parse_range(a1_range(title)) == (title, (5001, 702))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=60))
def test_a_spreadsheet_id_is_found_in_its_url_and_alone(sheet_id):
    assert spreadsheet_id(f"https://docs.google.com/spreadsheets/d/{sheet_id}/edit?usp=sharing") == sheet_id
    assert spreadsheet_id(sheet_id) == sheet_id


def test_an_apostrophe_in_a_tab_title_is_escaped():
    assert a1_range("Hội's tab") == "'Hội''s tab'!A1:ZZ5001"


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        ("https://docs.google.com/spreadsheets/d/1AbC-dEf_0123456789xyz/edit#gid=0", "1AbC-dEf_0123456789xyz"),
        ("https://docs.google.com/spreadsheets/u/1/d/1AbC-dEf_0123456789xyz", "1AbC-dEf_0123456789xyz"),
        (" 1AbC-dEf_0123456789xyz ", "1AbC-dEf_0123456789xyz"),
        ("941-tp-soc-trang.xlsx", None),
        ("https://example.vn/report", None),
    ],
)
def test_spreadsheet_id_from_url_or_bare_id(sheet, expected):
    assert spreadsheet_id(sheet) == expected
