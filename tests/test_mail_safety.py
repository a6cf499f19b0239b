"""Nothing from a sheet or a name can break out of an email, and the SMTP password never shows."""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from delivery.message import header_text
from errors import ConfigError
from main import cli
from service.run import run_job
from settings import load_config
from settings.schema import Unit
from store import Store
from tests.conftest import REPO, SAMPLE_TODAY
from tests.smtp_server import PASSWORD, mail_config, run_cli

SCRIPT = '<script>alert("x")</script>\r\nBcc: evil@example.com'
EVIL_NAME = "Hội LHPN huyện Mỹ Tú\r\nBcc: evil@example.com"



@pytest.mark.parametrize(
    "value", ["a\r\nBcc: x@y.z", "a\nBcc: x@y.z", "a\rBcc: x@y.z", "a\u2028Bcc: x@y.z", "a\x85Bcc: x@y.z"]
)
def test_a_header_value_is_always_one_line(value):
    assert header_text(value) == "a Bcc: x@y.z"


def test_a_script_in_a_cell_arrives_as_text(tmp_path, smtp_server):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    book = openpyxl.load_workbook(workbooks / "944-my-tu.xlsx")
    book["Cam kết hằng tháng"]["E7"] = SCRIPT
    book.save(workbooks / "944-my-tu.xlsx")

    result = run_cli(mail_config(tmp_path, smtp_server, workbooks=workbooks), SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    office = smtp_server.messages[0]
    [my_tu] = [m for m in smtp_server.messages if m.rcpt_tos[0] == "hlhpn.mytu@example.vn"]
    assert my_tu.rcpt_tos[0] == "hlhpn.mytu@example.vn"
    for received in (office, my_tu):
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Bcc: evil@example.com" in received.html
        assert "<script" not in received.html
    assert '«<script>alert("x")</script> Bcc: evil@example.com», không phải là số' in my_tu.text
    for received in smtp_server.messages:
        assert "evil@example.com" not in received.rcpt_tos
        assert received.message["Bcc"] is None


def test_a_name_with_a_line_break_is_refused_at_config_load(tmp_path):
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["units"][3]["name"] = EVIL_NAME
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    with pytest.raises(ConfigError, match=r"units\.3\.name: must be a single line"):
        load_config(path)


def test_a_name_with_a_line_break_that_got_past_config_adds_no_header(tmp_path, smtp_server):
    config = load_config(mail_config(tmp_path, smtp_server))
    units = [
        Unit.model_construct(**{**u.model_dump(), "name": EVIL_NAME}) if u.id == "944" else u for u in config.units
    ]
    config = config.model_copy(update={"units": units})

    with Store.open(config.state_file) as store:
        run_job(config, dt.date(2023, 7, 20), store)

    [my_tu] = [m for m in smtp_server.messages if m.rcpt_tos[0] == "hlhpn.mytu@example.vn"]
    assert my_tu.subject.startswith("[Nhắc báo cáo] Mỹ Tú Bcc: evil@example.com: 2 báo cáo chưa hoàn thành")
    assert my_tu.message["Bcc"] is None
    assert my_tu.message.get_all("Subject") == [my_tu.subject]
    assert "Hội LHPN huyện Mỹ Tú\nBcc: evil@example.com" in my_tu.text  # the body is the place for text
    assert all("evil@example.com" not in m.rcpt_tos for m in smtp_server.messages)


def test_the_smtp_password_never_appears_in_output_logs_or_the_state_file(tmp_path, smtp_server, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    path = mail_config(tmp_path, smtp_server)
    runner = CliRunner()

    sent = runner.invoke(cli, ["--config", str(path), "-v", "run", "--today", SAMPLE_TODAY])
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-" + PASSWORD)
    refused = runner.invoke(cli, ["--config", str(path), "-v", "run", "--today", "2023-07-21"])

    assert sent.exit_code == 0, sent.output
    assert refused.exit_code == 3 and "535" in refused.output
    for text in (sent.output, refused.output, caplog.text):
        assert PASSWORD not in text
    for state_file in tmp_path.glob("state.sqlite3*"):
        assert PASSWORD.encode() not in state_file.read_bytes()
