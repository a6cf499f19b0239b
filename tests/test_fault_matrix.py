"""The fault matrix: Google answering 429, 500 or 503, dropping or stalling; a sheet refused (403)
or gone (404) among healthy ones; an outbox that refuses writes; a state file another process keeps
locked. Each case runs the real `run` (real gspread against the local fake, the outbox, SQLite) and
checks that nothing is lost and nothing is sent twice: every email in the ledger written exactly
once, no unit accused of what the service could not read, and the next healthy run catching up.
"""

from __future__ import annotations

import csv
import errno
import io
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

import store.db
from store import Store
from store.ledger import QUEUED, SENT
from tests.conftest import SAMPLE_TODAY, write_config
from tests.sheets_fake import DROP, FakeGoogle
from tests.smtp_server import SmtpServer, mail_config, run_cli
from tests.test_run_google import google_config

ATTEMPTS = 3
STALL = "stall"  # a fault: the answer leaves only after the client's timeout
TIMEOUT, STALLED = 0.2, 1.0  # seconds: the client's request_timeout, and how long the fake holds an answer
AFFECTED = ("942", "945", "948")  # 945 and 948 owe a reminder on SAMPLE_TODAY, 942 does not
NEXT_DAY = "2023-07-21"


# --- arranging -----------------------------------------------------------------------------------
def fast_google_config(tmp_path: Path, google: FakeGoogle, pem: str) -> tuple[Path, dict[str, str]]:
    """The sample units on the Google fake, with no pacing wait, zero back-off and a short timeout:
    unit id → spreadsheet ID."""
    path, ids = google_config(tmp_path, google, pem)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["source"].update(
        reads_per_minute_per_project=3000,
        request_timeout=TIMEOUT,
        retry={"max_attempts": ATTEMPTS, "initial_wait": 0, "max_wait": 0},
    )
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, {name.split("-")[0]: sheet_id for name, sheet_id in ids.items()}


def break_sheet(google: FakeGoogle, sheet_id: str, fault: int | str) -> None:
    if fault == STALL:
        google.fake.stall(sheet_id, STALLED)
    else:
        google.fake.fail_always(sheet_id, fault)


def heal(google: FakeGoogle) -> None:
    google.fake.always.clear()
    google.fake.stalls.clear()


# --- what came out -------------------------------------------------------------------------------
def written(outbox: Path) -> list[dict[str, str]]:
    """One row per email the outbox wrote, in order (a second write of one email is a second row)."""
    index = outbox / "index.csv"
    if not index.exists():
        return []
    with index.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def keys(rows: list[dict[str, str]]) -> Counter[str]:
    return Counter(r["key"] for r in rows)


def ledger(config_path: Path) -> dict[str, str]:
    with Store.open(config_path.parent / "state.sqlite3") as opened:
        return {e.key: e.status for e in opened.entries()}


def statuses(config_path: Path) -> dict[tuple[str, str, str], tuple[str, bool]]:
    with Store.open(config_path.parent / "state.sqlite3") as opened:
        return {(r.unit_id, r.form_key, r.period_id): (r.status, r.sheet_read) for r in opened.report_statuses()}


def unreadable_since(config_path: Path) -> dict[str, str]:
    with Store.open(config_path.parent / "state.sqlite3") as opened:
        return {u: s.unreadable_since.isoformat() for u, s in opened.units_seen().items() if s.unreadable_since}


def assert_each_sent_once(config_path: Path, outbox: Path) -> Counter[str]:
    """Every email written exactly once, and the ledger knows each as sent, no more, no fewer."""
    counted = keys(written(outbox))
    assert set(counted.values()) <= {1}, [k for k, n in counted.items() if n > 1]
    assert ledger(config_path) == dict.fromkeys(counted, SENT)
    return counted



@pytest.fixture(scope="module")
def clean(tmp_path_factory, private_key_pem):
    """What a first run with no fault writes and judges on SAMPLE_TODAY: the reference."""
    tmp = tmp_path_factory.mktemp("clean")
    with FakeGoogle() as google:
        path, _ = fast_google_config(tmp, google, private_key_pem)
        result = run_cli(path, SAMPLE_TODAY)
        assert result.exit_code == 0, result.output
        requests = Counter(r.spreadsheet_id for r in google.fake.requests("batch_get"))
    return keys(written(tmp / "outbox")), statuses(path), requests


# --- Google misbehaving --------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [429, 500, 503, DROP, STALL], ids=["429", "500", "503", "dropped", "timeout"])
def test_sheets_google_cannot_serve_are_unreadable_this_run_never_missing_and_caught_up_once(
    tmp_path, google, private_key_pem, clean, fault
):
    clean_keys, clean_statuses, _ = clean
    path, sheet_of = fast_google_config(tmp_path, google, private_key_pem)
    for unit_id in AFFECTED:
        break_sheet(google, sheet_of[unit_id], fault)

    first = run_cli(path, SAMPLE_TODAY)

    assert first.exit_code == 4, first.output  # the service's own failure
    assert f"the service could not read the sheets of 3 unit(s) ({', '.join(AFFECTED)})" in first.output
    for unit_id in AFFECTED:  # each tried exactly max_attempts times, then left for the next run
        assert google.fake.count("batch_get", spreadsheet_id=sheet_of[unit_id]) == ATTEMPTS
    judged = statuses(path)
    assert {k: v for k, v in judged.items() if k[0] in AFFECTED} == {
        k: ("unreadable", False) for k in clean_statuses if k[0] in AFFECTED
    }
    assert {k: v for k, v in judged.items() if k[0] not in AFFECTED} == {
        k: v for k, v in clean_statuses.items() if k[0] not in AFFECTED
    }
    assert {u: d for u, d in unreadable_since(path).items() if u in AFFECTED} == dict.fromkeys(AFFECTED, SAMPLE_TODAY)
    rows = written(tmp_path / "outbox")
    assert not [r for r in rows if r["unit"] in AFFECTED]  # no reminder, no "fix your sheet" to them
    # The others got exactly what a run without the fault sends them; the office's report counts
    # the three as not read (with 946, whose sheet does not exist), not as not submitted.
    assert set(assert_each_sent_once(path, tmp_path / "outbox")) == {
        k for k in clean_keys if k.split("|")[1] not in AFFECTED
    }
    (report,) = [r["subject"] for r in rows if r["kind"] == "after_deadline"]
    assert "6/12 đơn vị đã nộp (1 chưa đủ), 2 chưa nộp, 4 chưa đọc được" in report

    heal(google)
    second = run_cli(path, SAMPLE_TODAY)

    assert second.exit_code == 0, second.output
    assert statuses(path) == clean_statuses
    assert not set(unreadable_since(path)) & set(AFFECTED)
    assert assert_each_sent_once(path, tmp_path / "outbox") == clean_keys  # their reminders now, once
    caught_up = {r["key"] for r in written(tmp_path / "outbox")[len(rows) :]}
    assert caught_up == {k for k in clean_keys if k.split("|")[1] in AFFECTED}


# One failure per sheet: 26 requests stay within the account's burst, so the run never waits on
# its pacing (which would be real time: a CLI run has no virtual clock).
@pytest.mark.parametrize("storm", [(429,), (503,), (DROP,)], ids=["429", "503", "dropped"])
def test_a_storm_that_passes_within_the_retries_changes_nothing_but_the_request_count(
    tmp_path, google, private_key_pem, clean, storm
):
    clean_keys, clean_statuses, clean_requests = clean
    path, sheet_of = fast_google_config(tmp_path, google, private_key_pem)
    for sheet_id in sheet_of.values():
        google.fake.script(sheet_id, *storm)

    result = run_cli(path, SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    assert statuses(path) == clean_statuses
    assert assert_each_sent_once(path, tmp_path / "outbox") == clean_keys
    requests = Counter(r.spreadsheet_id for r in google.fake.requests("batch_get"))
    assert requests == {s: n + (len(storm) if s in sheet_of.values() else 0) for s, n in clean_requests.items()}


def test_a_429_storm_on_every_sheet_stops_asking_tells_the_office_once_and_the_next_run_sends_all_once(
    tmp_path, google, private_key_pem, clean
):
    clean_keys, clean_statuses, _ = clean
    path, sheet_of = fast_google_config(tmp_path, google, private_key_pem)
    for sheet_id in sheet_of.values():
        google.fake.fail_always(sheet_id, 429)

    first = run_cli(path, SAMPLE_TODAY)
    second = run_cli(path, SAMPLE_TODAY)  # the storm goes on

    assert (first.exit_code, second.exit_code) == (4, 4), first.output + second.output
    # Three units in a row gave up on 429 (3 attempts each): the account's quota is spent, the
    # rest of its units are not asked at all, in either run.
    assert google.fake.count("batch_get") == 2 * 3 * ATTEMPTS
    assert {status for status, _ in statuses(path).values()} == {"unreadable"}
    rows = written(tmp_path / "outbox")
    # Not one sheet read: no consolidated report, no unit told anything; only the office, once.
    assert {r["unit"] for r in rows} == {""}
    assert all(k.startswith("service_problem|") for k in keys(rows))
    notices = set(assert_each_sent_once(path, tmp_path / "outbox"))
    assert notices

    heal(google)
    third = run_cli(path, SAMPLE_TODAY)

    assert third.exit_code == 0, third.output
    assert statuses(path) == clean_statuses
    assert set(assert_each_sent_once(path, tmp_path / "outbox")) == set(clean_keys) | notices


@pytest.mark.parametrize("fault", ["403", "404"])
def test_a_refused_or_missing_sheet_among_healthy_ones_is_told_once_per_spell_and_read_once_fixed(
    tmp_path, google, private_key_pem, clean, fault
):
    clean_keys, clean_statuses, _ = clean
    path, sheet_of = fast_google_config(tmp_path, google, private_key_pem)
    sheet = google.fake.spreadsheets[sheet_of["945"]]
    if fault == "403":
        sheet.shared_with = {"someone-else@example.vn"}
    else:
        del google.fake.spreadsheets[sheet.id]
    code = {"403": "permission_denied", "404": "spreadsheet_not_found"}[fault]

    first = run_cli(path, SAMPLE_TODAY)
    second = run_cli(path, NEXT_DAY)  # still not fixed the next day

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output  # the unit's to fix
    assert f"945 ({code})" in second.output
    assert {s for (u, _, _), (s, _) in statuses(path).items() if u == "945"} == {"unreadable"}
    to_945 = [r for r in written(tmp_path / "outbox") if r["unit"] == "945"]
    assert [r["key"] for r in to_945] == [f"sheet_problem|945|{code}|{SAMPLE_TODAY}"]  # told once, accused never
    healthy = {k for k in clean_keys if k.split("|")[1] != "945"}
    assert healthy <= set(assert_each_sent_once(path, tmp_path / "outbox"))

    if fault == "403":
        sheet.shared_with = None
    else:
        google.fake.spreadsheets[sheet.id] = sheet
    third = run_cli(path, NEXT_DAY)

    assert third.exit_code == 0, third.output
    assert {k: v for k, v in statuses(path).items() if k[0] == "945"} == {
        k: v for k, v in clean_statuses.items() if k[0] == "945"
    }
    assert assert_each_sent_once(path, tmp_path / "outbox")
    reminders = [r["key"] for r in written(tmp_path / "outbox") if r["unit"] == "945" and r["kind"] == "reminder"]
    assert reminders == [k for k in clean_keys if k.startswith("reminder|945|")]


# --- the outbox refusing writes --------------------------------------------------------------------
def _parent_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, object]:
    """A folder that cannot be made, whoever runs the test (chmod does not stop root)."""
    blocker = tmp_path / "mail"
    blocker.write_text("a file where the outbox's parent folder should be")
    return blocker / "outbox", blocker.unlink


def _disk_full_after_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, object]:
    """The disk fills after two emails: opening a third .eml for writing fails with ENOSPC."""
    outbox = tmp_path / "outbox"
    real_open = io.open
    opened: list[str] = []

    def open_until_full(file, mode="r", *args, **kwargs):
        name = str(file)
        if name.startswith(str(outbox)) and name.endswith(".eml") and "w" in mode:
            if len(opened) >= 2:
                raise OSError(errno.ENOSPC, "No space left on device", name)
            opened.append(name)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", open_until_full)
    return outbox, lambda: monkeypatch.setattr(io, "open", real_open)


@pytest.mark.parametrize("refusal", [_parent_is_a_file, _disk_full_after_two], ids=["unwritable", "disk-full"])
def test_an_outbox_refusing_writes_keeps_the_emails_queued_and_the_next_run_writes_each_once(
    tmp_path, monkeypatch, refusal
):
    outbox, repair = refusal(tmp_path, monkeypatch)
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["mail"]["delivery"]["folder"] = str(outbox)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")

    first = run_cli(path, SAMPLE_TODAY)

    assert first.exit_code == 3, first.output
    assert f"cannot write to the outbox {outbox}" in first.output
    before = written(outbox)
    entries = ledger(path)
    due = int(first.output.split("due: ")[1].split(" ")[0])
    assert len(entries) == due and due > 2
    assert [k for k, s in entries.items() if s == SENT] == [r["key"] for r in before]
    assert sorted(s for s in entries.values() if s != SENT) == [QUEUED] * (due - len(before))
    assert statuses(path)  # the sheets were judged and recorded all the same

    repair()
    second = run_cli(path, SAMPLE_TODAY)

    assert second.exit_code == 0, second.output
    sent = assert_each_sent_once(path, outbox)
    assert set(sent) == set(entries)
    assert sorted(p.name for p in outbox.glob("*.eml")) == sorted(r["file"] for r in written(outbox))


# --- a state file another process keeps locked ----------------------------------------------------
_HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    sys.stdin.readline()
    connection.execute("ROLLBACK")
    """
)


def lock_state_file(state: Path) -> subprocess.Popen:
    """Another process holding a write transaction on ``state`` until it is sent a line."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(state)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def test_a_state_file_locked_by_another_process_is_exit_7_sends_nothing_records_nothing_then_works(
    tmp_path, monkeypatch
):
    path = write_config(tmp_path)
    state = tmp_path / "state.sqlite3"
    Store.open(state).close()
    with Store.open(state) as opened:
        before = list(opened.connection.iterdump())
    monkeypatch.setattr(store.db, "BUSY_TIMEOUT_MS", 200)
    holder = lock_state_file(state)
    try:
        locked = run_cli(path, SAMPLE_TODAY)
    finally:
        holder.communicate("release\n", timeout=10)

    assert locked.exit_code == 7, locked.output
    assert f"the state file {state} is locked by another process" in locked.output
    assert written(tmp_path / "outbox") == []
    with Store.open(state) as opened:
        assert list(opened.connection.iterdump()) == before  # not a row of the run, not half a judgement

    after = run_cli(path, SAMPLE_TODAY)

    assert after.exit_code == 0, after.output
    sent = assert_each_sent_once(path, tmp_path / "outbox")
    assert len(sent) == int(after.output.split("due: ")[1].split(" ")[0]) > 0


def test_a_lock_taken_while_an_email_is_at_the_server_stops_the_run_and_repeats_only_that_email(
    tmp_path, monkeypatch, smtp_server: SmtpServer
):
    path = mail_config(tmp_path, smtp_server)
    state = tmp_path / "state.sqlite3"
    Store.open(state).close()
    monkeypatch.setattr(store.db, "BUSY_TIMEOUT_MS", 200)
    smtp_server.hold()
    outcome = {}
    running = threading.Thread(target=lambda: outcome.update(first=run_cli(path, SAMPLE_TODAY)))
    running.start()
    until = time.monotonic() + 60
    while smtp_server.held == 0 and time.monotonic() < until:
        time.sleep(0.01)
    holder = lock_state_file(state)  # while the first email waits at DATA: its answer cannot be recorded
    try:
        smtp_server.release()
        running.join(60)
    finally:
        holder.communicate("release\n", timeout=10)

    first = outcome["first"]
    assert first.exit_code == 7, first.output
    assert "is locked by another process" in first.output
    assert len(smtp_server.messages) == 1  # the run stopped there: nothing more handed over
    in_flight = smtp_server.messages[0].message["Message-ID"]

    second = run_cli(path, SAMPLE_TODAY)

    assert second.exit_code == 0, second.output
    ids = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    # The one email whose acceptance went unrecorded goes again, with its Message-ID (mail clients
    # show it once); every other email exactly once, and the ledger knows each as sent. (Here the
    # second run is this same process and retakes its own claim; another waits out claim_expires.)
    assert ids[in_flight] == 2
    assert set(ids.values()) == {1, 2} and sum(n == 2 for n in ids.values()) == 1
    with Store.open(state) as opened:
        entries = opened.entries()
    assert sorted(e.message_id for e in entries) == sorted(ids)
    assert {e.status for e in entries} == {SENT}
