"""`schedule`: a crontab line and a systemd service and timer for this install, ready to paste."""

from __future__ import annotations

import getpass
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from main import cli
from tests.conftest import REPO, write_config
from tests.smtp_server import SmtpServer, mail_config

PYTHON = Path(sys.executable).absolute()


@contextmanager
def machine_clock(zone: str):
    """This process reads local time as a machine set to ``zone`` would."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def schedule(config_path: Path, *args: str, zone: str = "UTC") -> str:
    with machine_clock(zone):
        result = CliRunner().invoke(cli, ["--config", str(config_path), "schedule", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def block(output: str, label: str) -> list[str]:
    """The lines of the file labelled ``==> label <==``, up to the next block."""
    lines = output.splitlines()
    start = lines.index(f"==> {label} <==") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith(("==> ", "# Or systemd"))), len(lines))
    body = lines[start:end]
    while body and not body[-1]:
        body.pop()
    return body


def test_cron_at_seven_in_vietnam_on_a_utc_machine(config_path):
    output = schedule(config_path)

    command = f"cd {REPO} && {PYTHON} main.py --config {config_path} -q run"
    assert f"0 0 * * *  {command}" in output.splitlines()
    assert "# 07:00 in Asia/Ho_Chi_Minh is 00:00 on this machine's clock (UTC)." in output
    assert f"# 0 7 * * *  {command}" in output.splitlines()  # the CRON_TZ way, commented out: one way only


def test_cron_on_a_machine_set_to_vietnam_time(config_path):
    output = schedule(config_path, zone="Asia/Ho_Chi_Minh")

    assert f"0 7 * * *  cd {REPO} && {PYTHON} main.py --config {config_path} -q run" in output.splitlines()


def test_a_machine_with_daylight_saving_gets_cron_tz(config_path):
    output = schedule(config_path, "--at", "06:30", zone="Europe/Berlin")

    lines = output.splitlines()
    index = lines.index("CRON_TZ=Asia/Ho_Chi_Minh")
    assert lines[index + 1] == f"30 6 * * *  cd {REPO} && {PYTHON} main.py --config {config_path} -q run"


def test_systemd_service_and_timer(config_path):
    output = schedule(config_path, "--at", "06:30")

    service = block(output, "/etc/systemd/system/bao-cao.service")
    assert service[service.index("[Service]") :] == [
        "[Service]",
        "Type=oneshot",
        f"User={getpass.getuser()}",
        f"WorkingDirectory={REPO}",
        f"ExecStart={PYTHON} {REPO / 'main.py'} --config {config_path} run",
    ]
    assert block(output, "/etc/systemd/system/bao-cao.timer") == [
        "[Unit]",
        "Description=Run bao-cao.service every day at 06:30 Asia/Ho_Chi_Minh",
        "",
        "[Timer]",
        "OnCalendar=*-*-* 06:30:00 Asia/Ho_Chi_Minh",
        "# A day missed while the machine was off runs at the next boot.",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]


def test_paths_with_spaces_are_quoted(tmp_path):
    folder = tmp_path / "bao cao"
    folder.mkdir()
    config_path = write_config(folder)

    output = schedule(config_path)

    assert f"--config '{config_path}' -q run" in output
    assert f'ExecStart={PYTHON} {REPO / "main.py"} --config "{config_path}" run' in output


def test_the_secret_s_variable_is_named_not_its_value(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "app-pass-wxyz-1234")
    output = schedule(mail_config(tmp_path, SmtpServer()))

    assert "set TEST_SMTP_PASSWORD=... at the top of this crontab" in output
    assert "# EnvironmentFile=/etc/bao-cao.env" in output
    assert "app-pass-wxyz-1234" not in output


@pytest.mark.parametrize("value", ["7", "25:00", "7am"])
def test_a_time_that_is_not_hh_mm_is_refused(config_path, value):
    result = CliRunner().invoke(cli, ["--config", str(config_path), "schedule", "--at", value])

    assert result.exit_code == 2
    assert "Invalid value for '--at'" in result.stderr
