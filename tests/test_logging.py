"""The log file gets one line per email handed over and per unit whose sheet could not be read;
the console stays short (-v more, -q nothing but errors); the SMTP password never shows."""

from __future__ import annotations

import logging
import re
import shutil

from click.testing import CliRunner

from main import cli
from service.logs import configure_logging, reset_logging
from settings import load_config
from tests.conftest import REPO, SAMPLE_TODAY, write_config
from tests.smtp_server import PASSWORD, SmtpServer, mail_config, run_cli


def log_lines(tmp_path) -> list[str]:
    """The log file's lines without their timestamp."""
    text = (tmp_path / "log" / "service.log").read_text(encoding="utf-8")
    return [re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", "", line) for line in text.splitlines()]


def invoke(config_path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_path), *args])


def test_each_email_handed_over_is_one_line_with_its_recipients_and_subject(tmp_path):
    result = run_cli(write_config(tmp_path), SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    handed = [line for line in log_lines(tmp_path) if line.startswith("INFO service.run: outbox ")]
    assert len(handed) == 7
    assert (
        "INFO service.run: outbox reminder reminder|945|topic_report/2023-H1/overdue_5:"
        " to hlhpn.culaodung@example.vn, bantuyengiaocslp2019@gmail.com: accepted:"
        " [Nhắc báo cáo] Cù Lao Dung: báo cáo 6 tháng đầu năm 2023 quá hạn 31 ngày"
    ) in handed
    assert log_lines(tmp_path)[-1] == "INFO main: run: exit 0"


def test_the_console_shows_warnings_only_and_the_summary(tmp_path):
    result = run_cli(write_config(tmp_path), SAMPLE_TODAY)

    assert result.stderr == ""
    assert result.stdout.startswith("run 2023-07-20\n  due: 7 email(s)")


def test_verbose_shows_progress_on_stderr(tmp_path):
    result = invoke(write_config(tmp_path), "-v", "run", "--today", SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    assert "INFO service.run: outbox reminder reminder|945|" in result.stderr
    assert (
        "INFO service.logs: unit 946 (Hội LHPN huyện Long Phú): sheet not read (the unit is told): no_workbook"
        in result.stderr
    )


def test_quiet_prints_nothing_when_all_is_well(tmp_path):
    result = invoke(write_config(tmp_path), "-q", "run", "--today", SAMPLE_TODAY)

    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert len([line for line in log_lines(tmp_path) if " service.run: outbox " in line]) == 7


def test_quiet_prints_only_the_error_when_delivery_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    down = SmtpServer()  # never started: nothing listens on its port
    config = mail_config(tmp_path, down)

    result = invoke(config, "-q", "run", "--today", SAMPLE_TODAY)

    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"ERROR service.run: delivery stopped: cannot log in to 127.0.0.1:{down.port}" in result.stderr
    assert "Error: 7 email(s) could not be delivered and stay queued for the next run" in result.stderr
    assert (
        "ERROR main: run: exit 3: 7 email(s) could not be delivered and stay queued for the next run, 0 given up"
    ) in log_lines(tmp_path)


def test_a_sheet_the_unit_must_fix_goes_to_the_log_only(tmp_path):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    (workbooks / "944-my-tu.xlsx").write_bytes(b"not a workbook")

    result = run_cli(mail_config(tmp_path, workbooks=workbooks), SAMPLE_TODAY)

    assert result.exit_code == 0, result.output  # the unit is told what to fix; nothing for the operator
    line = "INFO service.logs: unit 944 (Hội LHPN huyện Mỹ Tú): sheet not read (the unit is told): unreadable_workbook"
    assert line in log_lines(tmp_path)
    assert "WARNING" not in result.stderr


def test_sheets_the_service_itself_could_not_read_are_warnings_in_the_log_and_on_stderr(tmp_path):
    empty = tmp_path / "workbooks"
    empty.mkdir()

    result = run_cli(mail_config(tmp_path, units=["941", "944"], workbooks=empty), SAMPLE_TODAY)

    assert result.exit_code == 4, result.output
    warning = "WARNING service.logs: unit 944 (Hội LHPN huyện Mỹ Tú): sheet not read: no_workbook"
    assert warning in log_lines(tmp_path)
    assert warning in result.stderr
    assert "ERROR main: run: exit 4: " in "\n".join(log_lines(tmp_path))


def test_the_smtp_password_never_reaches_the_log(tmp_path, smtp_server):
    result = invoke(mail_config(tmp_path, smtp_server), "-v", "run", "--today", SAMPLE_TODAY)
    assert result.exit_code == 0, result.output
    assert len(smtp_server.messages) == 7

    config = load_config(tmp_path / "config.yaml")
    configure_logging(config)
    try:
        logging.getLogger("yagmail").error("login failed for %s with %s", config.mail.delivery.user, PASSWORD)
        try:
            raise OSError(f"server said: bad password {PASSWORD}")
        except OSError:
            logging.getLogger("smtplib").exception("lost")
    finally:
        reset_logging()

    log = (tmp_path / "log" / "service.log").read_text(encoding="utf-8")
    assert "login failed for bantuyengiaocslp2019@gmail.com with ***" in log
    assert "OSError: server said: bad password ***" in log
    assert PASSWORD not in log
    assert PASSWORD not in result.output


def test_the_log_file_is_relative_to_the_config_and_can_be_turned_off(tmp_path):
    (tmp_path / "a").mkdir()
    on = invoke(write_config(tmp_path / "a", log_file="logs/job.log"), "-q", "run", "--today", SAMPLE_TODAY)
    (tmp_path / "b").mkdir()
    off = invoke(write_config(tmp_path / "b", log_file=None), "-q", "run", "--today", SAMPLE_TODAY)

    assert (on.exit_code, off.exit_code) == (0, 0)
    assert "INFO main: run: exit 0" in (tmp_path / "a" / "logs" / "job.log").read_text(encoding="utf-8")
    assert not list((tmp_path / "b").glob("**/*.log"))


def test_help_writes_no_log_file(tmp_path):
    result = invoke(write_config(tmp_path), "run", "--help")

    assert result.exit_code == 0
    assert not (tmp_path / "log").exists()


def test_a_log_file_that_cannot_be_written_is_a_config_error(tmp_path):
    (tmp_path / "log").write_text("a file where the folder should be")

    result = invoke(write_config(tmp_path), "check")

    assert result.exit_code == 2
    assert f"Error: log_file: cannot write the log file {tmp_path / 'log' / 'service.log'}" in result.stderr


def test_verbose_and_quiet_together_is_a_usage_error(tmp_path):
    result = invoke(write_config(tmp_path), "-v", "-q", "check")

    assert result.exit_code == 2
    assert "-v and -q cannot be used together" in result.stderr
