"""The send ledger: each email exactly once, whatever the server does between runs."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter

from delivery.message import message_id
from store import Store
from store.ledger import CANCELLED, QUEUED, Decided
from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import OFFICE, PASSWORD, SmtpServer, mail_config, run_cli

DUE_ON_SAMPLE_DAY = 7  # one consolidated report and six reminders



def ledger(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        return db.execute(
            "SELECT key, status, queued_reason, attempts, last_error, message_id, delivered_to FROM mail_ledger"
            " ORDER BY created_at, key"
        ).fetchall()


def first_to(received) -> str:
    return received.message["To"].addresses[0].addr_spec


def statuses(tmp_path) -> Counter:
    return Counter(row[1] for row in ledger(tmp_path))


def test_a_second_run_the_same_day_sends_nothing(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    assert run_cli(path, SAMPLE_TODAY).exit_code == 0
    assert len(smtp_server.messages) == DUE_ON_SAMPLE_DAY

    again = run_cli(path, SAMPLE_TODAY)

    assert again.exit_code == 0, again.output
    assert "due: 0 email(s)" in again.output
    assert len(smtp_server.messages) == DUE_ON_SAMPLE_DAY
    assert statuses(tmp_path) == {"sent": DUE_ON_SAMPLE_DAY}


def test_with_the_server_down_everything_stays_queued_and_goes_once_when_it_is_back(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    server = SmtpServer()  # not started: nothing listens on its port
    path = mail_config(tmp_path, server)

    down = run_cli(path, SAMPLE_TODAY)

    assert down.exit_code == 3
    assert f"{DUE_ON_SAMPLE_DAY} email(s) could not be delivered and stay queued" in down.output
    assert statuses(tmp_path) == {"queued": DUE_ON_SAMPLE_DAY}
    # Not the emails' fault: no attempt is counted, however long the server stays down.
    assert all(row[2:4] == ("unavailable", 0) and "cannot log in to 127.0.0.1" in row[4] for row in ledger(tmp_path))

    server.start()
    try:
        back = run_cli(path, SAMPLE_TODAY)
        once_more = run_cli(path, SAMPLE_TODAY)
    finally:
        server.stop()

    assert back.exit_code == 0, back.output
    assert once_more.exit_code == 0
    assert len(server.messages) == DUE_ON_SAMPLE_DAY
    assert len({m.message["Message-ID"] for m in server.messages}) == DUE_ON_SAMPLE_DAY
    assert server.connections == 1
    assert statuses(tmp_path) == {"sent": DUE_ON_SAMPLE_DAY}


def test_a_refused_login_keeps_everything_queued(tmp_path, smtp_server, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "not-the-app-password")

    result = run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)

    assert result.exit_code == 3
    assert "535 5.7.8 Authentication credentials invalid" in result.output
    assert "delivery stopped" in result.output and "App Password" in result.output
    assert "2-step verification" in result.output
    assert smtp_server.messages == []
    assert smtp_server.auth_failures == 2  # one login (smtplib tries PLAIN, then LOGIN), not one per email
    assert {row[1:4] for row in ledger(tmp_path)} == {("queued", "login", 0)}


def test_a_refused_recipient_gets_the_email_on_the_next_run_and_nobody_else_twice(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    smtp_server.refuse("chutich.mytu@example.vn")

    first = run_cli(path, SAMPLE_TODAY)

    assert first.exit_code == 3
    assert "chutich.mytu@example.vn (550 5.1.1 mailbox unavailable)" in first.output
    [my_tu] = [m for m in smtp_server.messages if "hlhpn.mytu@example.vn" in m.rcpt_tos]
    assert my_tu.rcpt_tos == ["hlhpn.mytu@example.vn", "huyenuy.mytu@example.vn", "bantuyengiaocslp2019@gmail.com"]
    assert statuses(tmp_path) == {"sent": DUE_ON_SAMPLE_DAY - 1, "queued": 1}

    smtp_server.refuse()
    second = run_cli(path, SAMPLE_TODAY)

    assert second.exit_code == 0, second.output
    assert len(smtp_server.messages) == DUE_ON_SAMPLE_DAY + 1
    resent = smtp_server.messages[-1]
    assert resent.rcpt_tos == ["chutich.mytu@example.vn"]
    assert resent.message["Message-ID"] == my_tu.message["Message-ID"]
    assert statuses(tmp_path) == {"sent": DUE_ON_SAMPLE_DAY}


def test_a_recipient_refused_max_attempts_times_is_given_up_and_not_tried_again(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, mail={"max_attempts": 2})
    smtp_server.refuse("hlhpn.nganam@example.vn")

    first, second, third = (run_cli(path, SAMPLE_TODAY) for _ in range(3))

    assert (first.exit_code, second.exit_code, third.exit_code) == (3, 3, 0)
    assert "given up after mail.max_attempts: reminder|948|" in second.output
    assert "hlhpn.nganam@example.vn (550 5.1.1 mailbox unavailable)" in second.output
    # The office, copied, had it on the first run; the unit's mailbox was tried twice, then given up.
    assert [r[1:4] for r in ledger(tmp_path) if r[0].startswith("reminder|948|")] == [("sent", None, 2)]
    assert "due: 0 email(s)" in third.output
    assert [m.rcpt_tos for m in smtp_server.messages if "Ngã Năm" in m.subject] == [[OFFICE]]


def test_over_the_daily_cap_emails_wait_and_go_first_the_next_day_without_an_error(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, mail={"daily_cap": 3})

    capped = run_cli(path, SAMPLE_TODAY)
    same_day = run_cli(path, SAMPLE_TODAY)

    assert capped.exit_code == 0, capped.output
    assert "over the daily cap, queued for the next run: 4" in capped.output
    assert same_day.exit_code == 0
    assert [first_to(m) for m in smtp_server.messages] == [
        OFFICE,
        "hlhpn.longphu@example.vn",  # its workbook is missing: told once, before the reminders
        "hlhpn.mytu@example.vn",
    ]
    assert [r[2] for r in ledger(tmp_path) if r[1] == "queued"] == ["daily_cap"] * 4

    next_day = run_cli(path, "2023-07-21")

    assert next_day.exit_code == 0, next_day.output
    assert [first_to(m) for m in smtp_server.messages[3:]] == [
        "hlhpn.culaodung@example.vn",
        "hlhpn.nganam@example.vn",
        "hlhpn.thanhtri@example.vn",
    ]


def test_a_crash_after_the_server_accepted_repeats_that_email_once_with_the_same_message_id(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    run_cli(path, SAMPLE_TODAY)
    key = next(row[0] for row in ledger(tmp_path) if row[0].startswith("reminder|945|"))
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:  # as if the process died before recording "sent"
        db.execute(
            "UPDATE mail_ledger SET status = 'queued', attempts = 0, delivered_to = '[]', sent_at = NULL,"
            " sent_day = NULL WHERE key = ?",
            (key,),
        )

    run_cli(path, SAMPLE_TODAY)
    run_cli(path, SAMPLE_TODAY)

    ids = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert len(smtp_server.messages) == DUE_ON_SAMPLE_DAY + 1
    assert ids.most_common(1) == [(message_id(key, "bantuyengiaocslp2019@gmail.com"), 2)]


def test_the_message_id_depends_on_the_key_only():
    first = message_id("reminder|944|commitment_monthly/2023-M07/on_day", "bot@example.com")
    assert first == message_id("reminder|944|commitment_monthly/2023-M07/on_day", "bot@example.com")
    assert first != message_id("reminder|944|commitment_monthly/2023-M07/overdue_1", "bot@example.com")
    assert first.startswith("<") and first.endswith("@example.com>")


def test_a_cancelled_email_planned_again_and_capped_stays_queued_for_the_next_run(tmp_path):
    book = Store.open(tmp_path / "state.sqlite3")
    today = dt.date(2023, 7, 20)
    email = Decided("all_complete|2023-M07", "all_complete", None, None, "2023-M07", None, "<id@example.vn>",
                    "Tổng hợp", [OFFICE])  # fmt: skip
    book.queue(email, today)
    book.mark_failed_attempt(email.key, "554 5.6.0 message refused", "smtp", 10)
    book.cancel_queued_except(set())
    assert book.entry(email.key).status == CANCELLED
    book.queue(email, today)
    book.mark_capped(email.key)
    assert book.entry(email.key).status == QUEUED
    assert [e.key for e in book.waiting()] == [email.key]
