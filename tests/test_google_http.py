"""The HTTP shell of the Google source: what is retried, how long to wait, how fast to ask."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from gspread.exceptions import APIError
from sheets_fake import FakeClock, google_error

from sync.google_http import TokenBucket, is_transient, retry_after_seconds


def test_the_rate_limiter_spaces_requests_on_the_injected_clock():
    clock = FakeClock()
    bucket = TokenBucket(per_minute=6, clock=clock.monotonic, sleep=clock.sleep)
    for _ in range(4):
        bucket.acquire()
    assert clock.sleeps == pytest.approx([10.0, 10.0, 10.0])


def test_any_minute_stays_within_the_quota():
    clock = FakeClock()
    bucket = TokenBucket(per_minute=55, clock=clock.monotonic, sleep=clock.sleep)
    times = []
    for _ in range(200):
        bucket.acquire()
        times.append(clock.now)
    assert max(sum(1 for t in times if start <= t < start + 60) for start in times) <= 60


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
