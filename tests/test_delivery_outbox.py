"""The outbox transport (the shipped default) and --dry-run: the exact bytes SMTP would send."""

from __future__ import annotations

import csv
import email
import email.policy

from delivery.message import build_message
from delivery.render import Rendered
from delivery.transport import OutboxTransport, SmtpTransport, eml_name
from settings import load_config
from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import OFFICE, PASSWORD, mail_config, run_cli


def outbox_messages(folder) -> dict[str, email.message.EmailMessage]:
    return {
        path.name: email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    }


def test_the_shipped_config_fills_the_outbox_once_with_the_report_and_the_reminders(tmp_path):
    path = mail_config(tmp_path)

    first = run_cli(path, SAMPLE_TODAY)
    second = run_cli(path, SAMPLE_TODAY)

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "written to the outbox: 7: 1 after_deadline, 5 reminder, 1 sheet_problem" in first.output
    assert "written to the outbox: 0" in second.output
    messages = outbox_messages(tmp_path / "outbox")
    assert [name.rsplit("_", 1)[0] for name in messages] == [
        "after_deadline_office",
        "reminder_944",
        "reminder_945",
        "reminder_948",
        "reminder_949",
        "reminder_951",
        "sheet_problem_946",
    ]
    [report] = [m for m in messages.values() if m["To"] == OFFICE]
    assert [a.get_filename() for a in report.iter_attachments()] == ["tong-hop-sau-han-thang-7-2023-20230720.xlsx"]
    with (tmp_path / "outbox" / "index.csv").open(encoding="utf-8") as handle:
        index = list(csv.DictReader(handle))
    assert len(index) == 7
    assert {row["file"] for row in index} == set(messages)
    assert index[0]["to"] == OFFICE and index[0]["subject"].startswith("[Tổng hợp] Tháng 7/2023: 9/12 đơn vị đã nộp")
    assert {row["unit"] for row in index[1:]} == {"944", "945", "946", "948", "949", "951"}


def test_each_run_appends_its_rows_to_the_one_index_under_one_header(tmp_path):
    path = mail_config(tmp_path)

    assert run_cli(path, SAMPLE_TODAY).exit_code == 0
    assert run_cli(path, "2023-07-21").exit_code == 0  # three more reminders

    lines = (tmp_path / "outbox" / "index.csv").read_text(encoding="utf-8").splitlines()
    assert [n for n, line in enumerate(lines) if line.startswith("written_at,")] == [0]
    assert len(lines) == 1 + 7 + 3
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 7 + 3


def test_what_the_outbox_writes_is_byte_for_byte_what_the_smtp_server_receives(tmp_path, smtp_server):
    config = load_config(mail_config(tmp_path, smtp_server))
    rendered = Rendered("Nhắc hạn nộp báo cáo Tháng 8/2023", "<p>Kính gửi</p>", "Kính gửi")
    message = build_message(
        "reminder|941|x",
        "reminder",
        "941",
        rendered,
        smtp_server.user,
        "Ban Tuyên giáo",
        ["hlhpn.tpsoctrang@example.vn"],
        [],
    )

    with OutboxTransport(tmp_path / "outbox") as outbox:
        outbox.send(message, list(message.recipients))
    with SmtpTransport(config.mail.delivery, PASSWORD) as smtp:
        attempt = smtp.send(message, list(message.recipients))

    assert attempt.complete
    assert (tmp_path / "outbox" / eml_name(message)).read_bytes() == smtp_server.messages[0].content


def test_dry_run_writes_to_the_outbox_sends_nothing_and_records_nothing(tmp_path, smtp_server):
    path = mail_config(tmp_path, smtp_server)
    config = load_config(path)

    dry = run_cli(path, SAMPLE_TODAY, "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing recorded" in dry.output
    assert smtp_server.messages == []
    assert len(outbox_messages(config.mail.delivery.outbox_folder)) == 7
    assert not (tmp_path / "state.sqlite3").exists()

    real = run_cli(path, SAMPLE_TODAY)

    assert real.exit_code == 0, real.output
    assert len(smtp_server.messages) == 7
    before = (tmp_path / "state.sqlite3").read_bytes()
    later = run_cli(path, "2023-07-24", "--dry-run")
    assert later.exit_code == 0, later.output
    assert "due: 0" not in later.output  # a later day has its own emails, decided on a copy of the store
    assert (tmp_path / "state.sqlite3").read_bytes() == before
    assert len(smtp_server.messages) == 7
