"""Progress of a long read: a log line every 30 s while it lasts (with how many accounts wait on
their quota), its duration at the end, nothing for a short read; a bar only on a terminal."""

from __future__ import annotations

import logging

from service.logs import configure_logging, progress_on_terminal, reset_logging
from sync.progress import ReadProgress
from tests.sheets_fake import FakeClock


def test_a_long_read_logs_where_it_stands_every_half_minute(caplog):
    clock = FakeClock()
    waiting = iter([0, 2, 2, 1, 0, 0])
    progress = ReadProgress(6, lambda: next(waiting), clock=clock.monotonic)
    with caplog.at_level(logging.INFO, logger="sync.progress"):
        for step in (10, 25, 10, 40, 5, 30):  # seconds each unit takes
            clock.sleep(step)
            progress.advance()
        progress.close()
    assert [r.getMessage() for r in caplog.records] == [
        "read 2/6 sheets, 2 accounts waiting on quota",
        "read 4/6 sheets, 1 account waiting on quota",
        "read 6/6 sheets in 2.0 min",
    ]


def test_a_short_read_logs_nothing_and_a_local_read_names_no_accounts(caplog):
    clock = FakeClock()
    quick = ReadProgress(3, clock=clock.monotonic)
    slow = ReadProgress(3, clock=clock.monotonic)
    with caplog.at_level(logging.INFO, logger="sync.progress"):
        for _ in range(3):
            clock.sleep(1)
            quick.advance()
        quick.close()
        clock.sleep(31)
        slow.advance()
    assert [r.getMessage() for r in caplog.records] == ["read 1/3 sheets"]


def test_no_bar_when_stderr_is_no_terminal_or_with_q(config, monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    try:
        configure_logging(config)
        shown = progress_on_terminal()
        configure_logging(config, quiet=True)
        quiet = progress_on_terminal()
        monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
        configure_logging(config)
        piped = progress_on_terminal()
    finally:
        reset_logging()
    assert (shown, quiet, piped) == (True, False, False)
