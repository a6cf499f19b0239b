"""The HTTP shell of the Google source: one authorised gspread client per service account
(optionally pointed at a local server), a token bucket per account, and bounded retries.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import google.auth.exceptions
import gspread
import requests
import tenacity
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.exceptions import APIError

from errors import ConfigError
from settings.schema import Credential, GoogleSource, Retry

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]

SCOPES = [*gspread.auth.READONLY_SCOPES, "https://www.googleapis.com/auth/drive.metadata.readonly"]
# Only `provision` asks for these: every other command reads.
WRITE_SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
_RETRYABLE_STATUS = {408, 429}
# Google's read quotas: per minute per user (a service account is one) and per project.
USER_QUOTA = 60
PROJECT_QUOTA = 300
# Drive (not Sheets) reports its rate limits as 403 with one of these reasons.
_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


def redirect(url: str, api_base: str | None) -> str:
    """``url`` with a Google API host replaced by ``api_base`` (tests and benchmarks only)."""
    if not api_base:
        return url
    parts = urlsplit(url)
    if not (parts.hostname or "").endswith("googleapis.com"):
        return url
    return api_base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


class RedirectingSession(AuthorizedSession):
    """google-auth's authorised session, sending every Google API call to ``api_base`` when set.

    gspread hard-codes its URLs, so rewriting them at the session is what lets real gspread and
    google-auth code talk to a local fake.
    """

    def __init__(self, credentials: service_account.Credentials, api_base: str | None) -> None:
        super().__init__(credentials)
        self.api_base = api_base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        return super().request(method, redirect(url, self.api_base), *args, **kwargs)


def load_service_account(
    credential: Credential, index: int, api_base: str | None = None, scopes: list[str] = SCOPES
) -> service_account.Credentials:
    """Service-account credentials (read-only unless ``scopes`` says otherwise) from the key file
    in config or the environment."""
    where = f"source.credentials.{index}.key_file"
    path = credential.key_file or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        raise ConfigError(f"{where}: not set, and GOOGLE_APPLICATION_CREDENTIALS is empty")
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ConfigError(f"{where}: {path} is not a JSON key file") from exc
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ConfigError(f'{where}: {path} is not a service-account key ("type": "service_account")')
    info = {**info, "token_uri": redirect(info.get("token_uri") or GOOGLE_TOKEN_URI, api_base)}
    try:
        return service_account.Credentials.from_service_account_info(info, scopes=scopes)
    except (ValueError, KeyError) as exc:
        # google-auth's message names missing fields; it never echoes the private key.
        raise ConfigError(f"{where}: {path}: {exc}") from exc


class TokenBucket:
    """Keeps one service account (or one project) under its read quota.

    It refills at ``per_minute`` a minute and holds ``burst`` tokens (by default a tenth of the
    rate), so any 60-second window sees at most ``per_minute`` + ``burst`` requests. It is shared
    safely by threads: a caller reserves its token under the lock and sleeps outside it, so callers
    are served in turn and a sleeping one blocks nobody else's reservation.
    """

    def __init__(
        self, per_minute: int, clock: Clock = time.monotonic, sleep: Sleep = time.sleep, burst: float | None = None
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute / 10.0 if burst is None else burst)
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self.waited = 0.0
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def acquire(self, sleep: Sleep | None = None) -> None:
        """Take one token, sleeping (with ``sleep``, if given) until it is due."""
        with self._lock:
            self._refill()
            self.tokens -= 1.0
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
            self.waited += wait
        if wait > 0:
            (sleep or self.sleep)(wait)


def quota_burst(per_minute: int, quota: int) -> float:
    """A tenth of the rate, cut so that any 60-second window stays within Google's ``quota``
    (unless the configured rate is above it: a project granted more than the default)."""
    if per_minute >= quota:
        return per_minute / 10.0
    return max(1.0, min(per_minute / 10.0, quota - per_minute))


class Pause:
    """A lane's sleep, which marks the lane as waiting while it lasts (for progress reports)."""

    def __init__(self, sleep: Sleep) -> None:
        self._sleep = sleep
        self.active = False

    def __call__(self, seconds: float) -> None:
        self.active = True
        try:
            self._sleep(seconds)
        finally:
            self.active = False


def status_of(exc: BaseException) -> int | None:
    return exc.response.status_code if isinstance(exc, APIError) else None


def _error_reasons(exc: APIError) -> set[str]:
    errors = exc.error.get("errors") if isinstance(exc.error, dict) else None
    return {e.get("reason", "") for e in errors or () if isinstance(e, dict)}


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: 408, 429, 5xx, a rate-limit 403, a timeout or a dropped connection."""
    if isinstance(exc, APIError):
        code = exc.response.status_code
        if code in _RETRYABLE_STATUS or code >= 500:
            return True
        return code == 403 and bool(_error_reasons(exc) & _RATE_LIMIT_REASONS)
    return isinstance(
        exc,
        (
            requests.Timeout,
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            google.auth.exceptions.TransportError,
        ),
    )


def retry_after_seconds(exc: BaseException, now: dt.datetime | None = None) -> float | None:
    """The server's Retry-After (seconds or an HTTP date), if it sent one."""
    if not isinstance(exc, APIError):
        return None
    value = exc.response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def describe(exc: BaseException) -> str:
    """A short, secret-free account of a failure, for a finding or the doctor."""
    if isinstance(exc, APIError):
        status = exc.error.get("status", "") if isinstance(exc.error, dict) else ""
        # A body that is not Google's JSON leaves gspread's parse error in "status": drop it.
        status = status if re.fullmatch(r"[A-Z_]+", str(status)) else ""
        return f"HTTP {exc.response.status_code} {status}".strip()
    return type(exc).__name__


class GaveUp(Exception):
    """A call still failed transiently when its attempts or its time ran out."""

    def __init__(self, last: BaseException, attempts: int, seconds: float) -> None:
        super().__init__(f"{describe(last)} after {attempts} attempt(s) in {seconds:.0f} s")
        self.last = last
        self.attempts = attempts

    @property
    def quota(self) -> bool:
        return status_of(self.last) == 429


class RetryPolicy:
    """Exponential back-off with full jitter, honouring Retry-After, bounded in attempts and time.

    Written on tenacity rather than gspread's BackOffHTTPClient, which never gives up.
    """

    def __init__(self, retry: Retry, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.retry = retry
        self.clock = clock
        self.sleep = sleep
        self._backoff = tenacity.wait_random_exponential(multiplier=retry.initial_wait, max=retry.max_wait)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        server = retry_after_seconds(exc) if exc else None
        return max(self._backoff(state), server or 0.0)

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()``, retried while it fails transiently; raise GaveUp when the budget runs out."""
        start = self.clock()

        def out_of_budget(state: tenacity.RetryCallState) -> bool:
            # tenacity computes the next wait before asking, so a wait that would end past
            # max_seconds stops now instead of sleeping first.
            if state.attempt_number >= self.retry.max_attempts:
                return True
            return self.clock() - start + state.upcoming_sleep > self.retry.max_seconds

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_transient),
            stop=out_of_budget,
            wait=self._wait,
            sleep=self.sleep,
        )
        try:
            return retrying(fn)
        except tenacity.RetryError as err:
            last = err.last_attempt
            raise GaveUp(last.exception(), last.attempt_number, self.clock() - start) from last.exception()


def account_index(unit_id: str, accounts: int) -> int:
    """Which of ``accounts`` service accounts reads (and writes) a unit: fixed by its id, so adding a
    unit or running one unit alone never moves a sheet to an account it was not shared with."""
    return zlib.crc32(unit_id.encode("utf-8")) % accounts


@dataclass
class Lane:
    """One service account: its client, its quota buckets, and what stopped it this run.

    A lane is used by one thread at a time (its worker); only the project bucket is shared.
    """

    email: str
    credentials: service_account.Credentials
    client: gspread.Client
    retry: RetryPolicy
    buckets: list[TokenBucket]  # the account's own, then its project's; none unthrottled
    pause: Pause
    broken: str | None = None
    broken_code: str = "unreadable_this_run"  # the finding every further unit of this account gets
    quota_strikes: int = 0

    @property
    def http(self) -> gspread.HTTPClient:
        return self.client.http_client

    @property
    def waiting(self) -> bool:
        """True while the lane sleeps for its quota or before a retry."""
        return self.pause.active

    def sheets_call(self, fn: Callable[[], T]) -> T:
        """A Sheets read: every attempt takes a token, since every attempt counts against quota."""

        def attempt() -> T:
            for bucket in self.buckets:
                bucket.acquire(self.pause)
            return fn()

        return self.retry.call(attempt)

    def drive_call(self, fn: Callable[[], T]) -> T:
        """A Drive call: Drive's quota is separate and generous, so no bucket."""
        return self.retry.call(fn)


def build_lanes(
    source: GoogleSource,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    throttle: bool = True,
    scopes: list[str] = SCOPES,
) -> list[Lane]:
    """A ready client per configured credential, each with its own session, bucket and retries;
    credentials of one Google Cloud project share that project's bucket. Raise ConfigError if a
    key is unusable. ``scopes``: read-only unless a command writes (WRITE_SCOPES)."""
    projects: dict[str, TokenBucket] = {}
    lanes = []
    for index, credential in enumerate(source.credentials):
        credentials = load_service_account(credential, index, source.api_base, scopes)
        client = gspread.authorize(credentials, session=RedirectingSession(credentials, source.api_base))
        client.set_timeout(source.request_timeout)  # a timeout is retried
        buckets = []
        if throttle:
            per_minute, per_project = credential.reads_per_minute, source.reads_per_minute_per_project
            buckets.append(TokenBucket(per_minute, clock, sleep, quota_burst(per_minute, USER_QUOTA)))
            project = credentials.project_id or credentials.service_account_email.partition("@")[2]
            if project not in projects:
                projects[project] = TokenBucket(per_project, clock, sleep, quota_burst(per_project, PROJECT_QUOTA))
            buckets.append(projects[project])
        pause = Pause(sleep)
        lanes.append(
            Lane(
                email=credentials.service_account_email,
                credentials=credentials,
                client=client,
                retry=RetryPolicy(source.retry, clock, pause),
                buckets=buckets,
                pause=pause,
            )
        )
    return lanes
