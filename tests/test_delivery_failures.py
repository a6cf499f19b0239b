"""What a server's refusals do: "later" (4xx, no connection) never counts and never gives up;
"never" (5xx) counts, for the one recipient refused or for the whole message, up to max_attempts.

Against aiosmtpd answering as told, with `run --today` day after day as cron would start it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter

import pytest

from store import Store
from store.schema import MIGRATIONS
from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import MAILBOX_UNAVAILABLE, OFFICE, mail_config, run_cli

TRY_LATER = "451 4.3.0 Try again later"
DUE_ON_SAMPLE_DAY = 7  # one consolidated report, five reminders, one sheet notice



def rows(tmp_path, where: str = "1") -> list[sqlite3.Row]:
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return db.execute(f"SELECT * FROM mail_ledger WHERE {where} ORDER BY created_at, key").fetchall()


def days(first: str, count: int) -> list[str]:
    start = dt.date.fromisoformat(first)
    return [(start + dt.timedelta(days=n)).isoformat() for n in range(count)]


def to_office(server) -> list:
    """The consolidated reports (and notices) the office received, in order."""
    return [m for m in server.messages if m.message["To"] == OFFICE]


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


def test_550_for_one_of_two_addresses_gives_up_that_one_only_and_the_office_is_told_once(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, mail={"max_attempts": 2})
    smtp_server.refuse("chutich.mytu@example.vn")  # unit 944 has two addresses

    results = {day: run_cli(path, day) for day in ("2023-07-20", "2023-07-21", "2023-07-24", "2023-07-31")}

    assert [r.exit_code for r in results.values()] == [3, 3, 3, 3]  # each day a 944 reminder gives it up
    assert "chutich.mytu@example.vn (550 5.1.1 mailbox unavailable)" in results["2023-07-21"].output
    # Twice, then given up for that email; each later email tries it once and gives it up at once.
    assert [who for who, _ in smtp_server.refused] == ["chutich.mytu@example.vn"] * 4
    my_tu = [m for m in smtp_server.messages if "Mỹ Tú" in m.subject]
    assert len(my_tu) == 4
    assert all("hlhpn.mytu@example.vn" in m.rcpt_tos for m in my_tu)
    assert set(deliveries(smtp_server).values()) == {1}  # the good address never had one twice
    given_up = [r["given_up"] for r in rows(tmp_path, "unit_id = '944' AND status = 'sent'")]
    assert given_up == [f'{{"chutich.mytu@example.vn": "{MAILBOX_UNAVAILABLE}"}}'] * 3

    [digest_24] = [m for m in to_office(smtp_server) if "24/07/2023" in m.subject]
    for part in (digest_24.html, digest_24.text):
        assert "Máy chủ thư đã từ chối địa chỉ chutich.mytu@example.vn của Hội LHPN huyện Mỹ Tú 2 lần" in part
        assert MAILBOX_UNAVAILABLE in part
    [digest_31] = [m for m in to_office(smtp_server) if "31/07/2023" in m.subject]
    assert "chutich.mytu@example.vn" not in digest_31.text


def test_an_email_waiting_more_than_3_days_is_named_in_the_next_consolidated_report(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    smtp_server.refuse("hlhpn.culaodung@example.vn", reply="452 4.2.2 Mailbox full")

    for day in days(SAMPLE_TODAY, 5):  # 20/07 → 24/07, a Monday: the weekly digest
        assert run_cli(path, day).exit_code == 3

    after_deadline, digest = to_office(smtp_server)
    assert "⚑" not in after_deadline.text  # nothing had waited yet
    expected = (
        "Thư nhắc báo cáo gửi Hội LHPN huyện Cù Lao Dung chưa gửi được từ ngày 20/07/2023 (đã 4 ngày):"
        " máy chủ thư tạm thời chưa nhận thư."
    )
    assert expected in digest.html
    assert "⚑ " + expected in digest.text  # in the summary box, first thing the office reads


def test_a_message_refused_for_good_at_data_is_given_up_after_max_attempts_and_the_office_told(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server, units=["945"], mail={"max_attempts": 2})
    smtp_server.answer("DATA", "554 5.6.0 Message refused as spam")

    first, second, third = (run_cli(path, SAMPLE_TODAY) for _ in range(3))

    assert (first.exit_code, second.exit_code, third.exit_code) == (3, 3, 0)
    assert [(r["status"], r["attempts"]) for r in rows(tmp_path)] == [("failed", 2)] * 2
    smtp_server.answer("DATA", None)
    assert run_cli(path, "2023-07-24").exit_code == 0
    [digest] = to_office(smtp_server)
    assert (
        "Báo cáo tổng hợp Tháng 7/2023 bị máy chủ thư từ chối 2 lần («554 5.6.0 Message refused as spam»)"
        in digest.text
    )


def test_a_state_file_from_before_keeps_its_ledger_and_the_office_is_told_once_what_it_gave_up(tmp_path, smtp_server):
    """Schema 2, as the ten days of 451 at MAIL FROM left it: June's report given up."""
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        for migrate in MIGRATIONS[:2]:
            migrate(db)
        db.execute("PRAGMA user_version = 2")
        db.execute(
            "INSERT INTO mail_ledger (key, kind, period_id, first_day, message_id, subject, recipients, status,"
            " queued_reason, attempts, last_error, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ("after_deadline|2023-M06", "after_deadline", "2023-M06", "2023-06-20", "<june@gmail.com>", "Tổng hợp",
             f'["{OFFICE}"]', "failed", "error", 10, TRY_LATER, "2023-06-20T00:00:00", "2023-06-30T00:00:00"),
        )  # fmt: skip
    path = mail_config(tmp_path, smtp_server)

    assert run_cli(path, SAMPLE_TODAY).exit_code == 0
    assert run_cli(path, "2023-07-24").exit_code == 0

    with Store.open(tmp_path / "state.sqlite3") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.entry("after_deadline|2023-M06").status == "failed"
    july, digest = to_office(smtp_server)
    told = f"Báo cáo tổng hợp Tháng 6/2023 bị máy chủ thư từ chối 10 lần («{TRY_LATER}»)"
    assert told in july.text
    assert told not in digest.text


def test_a_recipient_refused_for_days_but_not_yet_given_up_is_named_with_the_servers_answer(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)  # max_attempts 10: 945's mailbox is still tried
    smtp_server.refuse("hlhpn.culaodung@example.vn")

    for day in days(SAMPLE_TODAY, 5):
        assert run_cli(path, day).exit_code == 3

    digest = to_office(smtp_server)[-1]
    assert (
        "Thư nhắc báo cáo gửi Hội LHPN huyện Cù Lao Dung chưa gửi được từ ngày 20/07/2023 (đã 4 ngày):"
        " máy chủ thư từ chối: hlhpn.culaodung@example.vn (550 5.1.1 mailbox unavailable)."
    ) in digest.text
