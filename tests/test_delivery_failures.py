"""What a server's refusals do: "later" (4xx, no connection) never counts and never gives up;
"never" (5xx) counts, for the one recipient refused or for the whole message, up to max_attempts.

Against aiosmtpd answering as told, with `run --today` day after day as cron would start it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter

import pytest

from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import OFFICE, mail_config, run_cli, running_server

TRY_LATER = "451 4.3.0 Try again later"
DUE_ON_SAMPLE_DAY = 7  # one consolidated report, five reminders, one sheet notice


@pytest.fixture
def smtp_server(monkeypatch):
    yield from running_server(monkeypatch)


def rows(tmp_path, where: str = "1") -> list[sqlite3.Row]:
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return db.execute(f"SELECT * FROM mail_ledger WHERE {where} ORDER BY created_at, key").fetchall()


def days(first: str, count: int) -> list[str]:
    start = dt.date.fromisoformat(first)
    return [(start + dt.timedelta(days=n)).isoformat() for n in range(count)]


def deliveries(server) -> Counter:
    """How many times each recipient received each message (by Message-ID)."""
    return Counter((m.message["Message-ID"], rcpt) for m in server.messages for rcpt in m.rcpt_tos)


def test_451_at_mail_from_for_15_days_loses_nothing_and_every_email_due_goes_once_when_it_passes(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)  # mail.max_attempts: 10, fewer than the days it lasts
    smtp_server.answer("MAIL", TRY_LATER)

    failing = [run_cli(path, day) for day in days(SAMPLE_TODAY, 15)]

    assert [r.exit_code for r in failing] == [3] * 15
    assert smtp_server.messages == []
    assert "still queued since 2023-07-20 (14 days): after_deadline|2023-M07: the server answered 451" in (
        failing[-1].output
    )
    assert {r["status"] for r in rows(tmp_path)} <= {"queued", "cancelled"}  # cancelled: a later step replaced it
    assert all(r["attempts"] == 0 for r in rows(tmp_path))

    smtp_server.answer("MAIL", None)
    back = run_cli(path, "2023-08-04")
    again = run_cli(path, "2023-08-04")

    assert back.exit_code == 0, back.output
    assert again.exit_code == 0 and "due: 0 email(s)" in again.output
    sent = rows(tmp_path, "status = 'sent'")
    assert {r["key"] for r in sent} >= {"after_deadline|2023-M07", "digest|2023-07-31"}
    assert rows(tmp_path, "status IN ('queued', 'failed')") == []
    assert [r["attempts"] for r in sent] == [1] * len(sent)
    assert sorted(m.message["Message-ID"] for m in smtp_server.messages) == sorted(r["message_id"] for r in sent)
    assert set(deliveries(smtp_server).values()) == {1}


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("MAIL", "421 4.7.0 Try again later, closing connection"),
        ("MAIL", "450 4.2.1 Sender rate limited"),
        ("MAIL", "452 4.3.1 Insufficient system storage"),
        ("DATA", "451 4.3.0 Message queued too long, try later"),
        ("DATA", "421 4.4.2 Connection dropped"),
    ],
)
def test_a_temporary_answer_to_the_whole_message_keeps_it_queued_without_an_attempt(
    tmp_path, smtp_server, command, reply
):
    path = mail_config(tmp_path, smtp_server, mail={"max_attempts": 1})
    smtp_server.answer(command, reply)

    refused = [run_cli(path, SAMPLE_TODAY) for _ in range(3)]

    assert [r.exit_code for r in refused] == [3, 3, 3]
    assert reply in refused[0].output
    assert [(r["status"], r["queued_reason"], r["attempts"]) for r in rows(tmp_path)] == [
        ("queued", "temporary", 0)
    ] * DUE_ON_SAMPLE_DAY

    smtp_server.answer(command, None)
    back = run_cli(path, SAMPLE_TODAY)

    assert back.exit_code == 0, back.output
    assert len(smtp_server.messages) == DUE_ON_SAMPLE_DAY
    assert set(deliveries(smtp_server).values()) == {1}
    assert {(r["status"], r["attempts"]) for r in rows(tmp_path)} == {("sent", 1)}


def test_a_temporary_refusal_of_one_recipient_waits_for_it_alone_and_counts_nothing(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, mail={"max_attempts": 1})
    smtp_server.refuse("hlhpn.culaodung@example.vn", reply="452 4.2.2 Mailbox full")

    first, second = run_cli(path, SAMPLE_TODAY), run_cli(path, SAMPLE_TODAY)

    assert (first.exit_code, second.exit_code) == (3, 3)
    [cu_lao_dung] = rows(tmp_path, "unit_id = '945'")
    assert (cu_lao_dung["status"], cu_lao_dung["queued_reason"], cu_lao_dung["attempts"]) == ("queued", "temporary", 0)
    assert cu_lao_dung["delivered_to"] == f'["{OFFICE}"]'  # copied, the office had it at once

    smtp_server.refuse()
    assert run_cli(path, SAMPLE_TODAY).exit_code == 0
    assert [m.rcpt_tos for m in smtp_server.messages if "Cù Lao Dung" in m.subject] == [
        [OFFICE],
        ["hlhpn.culaodung@example.vn"],
    ]
    assert set(deliveries(smtp_server).values()) == {1}
