"""What must never leak or break out, whatever a sheet, a name or a key holds: the service-account
key and the SMTP password stay out of every output, log, email, board and the state file; HTML from
a cell or a name is escaped on the board and in emails; no name or address adds an email header;
nothing a sheet holds becomes a formula in a workbook written; Google is asked for read scopes only.
(tests/test_mail_safety.py covers a script in a cell in the emails and the SMTP password in logs.)
"""

from __future__ import annotations

import copy
import datetime as dt
import email
import email.policy
import io
import json
import logging
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from consolidation.figures import consolidate
from consolidation.workbook import workbook_bytes
from errors import ConfigError
from main import cli
from service.check import collect
from settings import load_config
from store import Store
from tests.conftest import REPO, SAMPLE_TODAY, write_config
from tests.sheets_fake import load_workbooks, service_account_info
from tests.smtp_server import PASSWORD

BOT = "bao-cao@soc-trang-test.iam.gserviceaccount.com"
KEY_ID = "kid-5c0f1e2d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
SCRIPT = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://x.example","bấm vào")'



def everything_written(tmp_path: Path) -> dict[str, bytes]:
    """Every file a run left under ``tmp_path`` (state file, log, board, outbox), by name."""
    return {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}


def test_no_secret_leaves_the_key_file_or_the_environment(tmp_path, google, private_key_pem, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    key_file = tmp_path / "secrets" / "key.json"
    key_file.parent.mkdir()
    key_file.write_text(json.dumps({**service_account_info(BOT, private_key_pem), "private_key_id": KEY_ID}))
    ids = load_workbooks(google.fake, REPO / "samples" / "workbooks")
    raw = yaml.safe_load(write_config(tmp_path).read_text(encoding="utf-8"))
    raw["source"] = {
        "kind": "google",
        "api_base": google.url,
        "credentials": [{"key_file": str(key_file), "reads_per_minute": 300}],
        "retry": {"max_attempts": 2, "initial_wait": 0, "max_wait": 0},
    }
    raw["mail"]["delivery"] = smtp_server.delivery()
    for unit in raw["units"]:
        unit["sheet"] = ids.get(unit["sheet"], "khong-co-that")
    path = tmp_path / "google.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    runner = CliRunner()

    sent = runner.invoke(cli, ["--config", str(path), "-v", "run", "--today", SAMPLE_TODAY])
    google.fake.script("token", 400)  # the key refused next time: the error is told, never the key
    refused = runner.invoke(cli, ["--config", str(path), "-v", "run", "--today", "2023-07-21", "--dry-run"])
    checked = runner.invoke(cli, ["--config", str(path), "check", "--json", "--today", "2023-07-21"])

    assert sent.exit_code == 0 and smtp_server.messages, sent.output
    assert refused.exit_code == 4, refused.output
    assert all(scope.endswith(".readonly") for scope in google.fake.last_scopes)
    pem_lines = [line for line in private_key_pem.splitlines() if not line.startswith("-----")]
    secrets = [PASSWORD, KEY_ID, *pem_lines[1:-1]]
    texts = {"output": sent.output + refused.output + checked.output, "log records": caplog.text}
    texts |= {name: data.decode("utf-8", "replace") for name, data in everything_written(tmp_path).items()
              if not name.startswith("secrets/") and not name.endswith(".yaml")}  # fmt: skip
    texts |= {f"email to {m.rcpt_tos}": m.content.decode("utf-8", "replace") for m in smtp_server.messages}
    assert any(name.startswith("log/") for name in texts) and any("state" in name for name in texts)
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:12]}… in {name}"


def test_html_in_a_cell_and_in_a_unit_name_is_shown_as_text_on_the_board_and_in_emails(tmp_path):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    book = openpyxl.load_workbook(workbooks / "944-my-tu.xlsx")
    sheet = book["Báo cáo chuyên đề"]
    header = [c.value for c in sheet[1]]
    [row] = [r for r in sheet.iter_rows(min_row=2) if r[0].value == "6 tháng đầu năm 2023"]
    row[header.index("Khó khăn, vướng mắc")].value = SCRIPT + " thiếu kinh phí"
    row[header.index("Số lượt HVPN tham dự")].value = SCRIPT  # not a number: quoted in a finding
    book.save(workbooks / "944-my-tu.xlsx")
    raw = yaml.safe_load(write_config(tmp_path, source={"kind": "local", "folder": str(workbooks)}).read_text())
    [my_tu] = [u for u in raw["units"] if u["id"] == "944"]
    my_tu["name"] = f"Hội LHPN huyện Mỹ Tú {SCRIPT}"
    my_tu["short_name"] = f"Mỹ Tú <b onmouseover=alert(1)>{SCRIPT}"
    raw["board_file"] = str(tmp_path / "board" / "index.html")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")

    result = CliRunner().invoke(cli, ["--config", str(path), "run", "--today", "2024-01-05"])

    assert result.exit_code == 0, result.output
    board = (tmp_path / "board" / "index.html").read_text(encoding="utf-8")

    outbox = sorted((tmp_path / "outbox").glob("*.eml"))
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox]
    pages = {"board": board} | {
        f"email {m['Subject']}": m.get_body(("html",)).get_content() for m in mails if m.get_body(("html",))
    }
    assert len(pages) >= 3
    for name, page in pages.items():
        assert "<script" not in page.lower() and "<b onmouseover" not in page, name
    assert "&lt;script&gt;" in board
    assert any("Mỹ Tú &lt;b onmouseover=alert(1)&gt;" in page for name, page in pages.items() if name != "board")


@pytest.mark.parametrize(
    "where",
    [
        ("units", 0, "emails", 0), ("units", 0, "supervisor_email"), ("organisation", "office_email"),
        ("mail", "technician_email"), ("mail", "sender_name"), ("organisation", "name"), ("units", 0, "name"),
        ("units", 0, "short_name"), ("forms", 0, "title"), ("calendar", "ad_hoc", 0, "label"),
        ("calendar", "ad_hoc", 0, "short_label"),
    ],
    ids=lambda where: ".".join(map(str, where)),
)  # fmt: skip
@pytest.mark.parametrize("line_break", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
def test_a_line_break_in_any_name_or_address_is_refused_with_its_key_path(tmp_path, where, line_break):
    raw = copy.deepcopy(yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8")))
    parent = raw
    for key in where[:-1]:
        parent = parent[key]
    address = "email" in str(where[-1]) or where[-2:] == ("emails", 0)
    parent[where[-1]] = ("hoi@example.vn" if address else "Hội LHPN") + line_break + "Bcc: evil@example.com"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert ".".join(map(str, where)) + ":" in str(refused.value)


def test_nothing_from_a_sheet_or_a_name_becomes_a_formula_in_any_sheet_of_a_workbook(tmp_path):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    book = openpyxl.load_workbook(workbooks / "944-my-tu.xlsx")
    people = book["Gương điển hình"]
    people.cell(row=2, column=2).value = FORMULA  # a name in the list form
    people.cell(row=2, column=2).data_type = "s"
    topic = book["Báo cáo chuyên đề"]
    header = [c.value for c in topic[1]]
    [row] = [r for r in topic.iter_rows(min_row=2) if r[0].value == "6 tháng đầu năm 2023"]
    row[header.index("Số lượt HVPN tham dự")].value = "=1+1"  # quoted in a finding
    row[header.index("Số lượt HVPN tham dự")].data_type = "s"
    book.save(workbooks / "944-my-tu.xlsx")
    raw = yaml.safe_load(write_config(tmp_path, source={"kind": "local", "folder": str(workbooks)}).read_text())
    [my_tu] = [u for u in raw["units"] if u["id"] == "944"]
    my_tu["name"] = "=cmd|' /C calc'!A0"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    config = load_config(path)
    with Store.open(config.state_file) as store:
        judgement = collect(config, dt.date(2024, 1, 20), store)
    wanted = [("topic_report", "2023-H1"), ("topic_report", "2023-Y"), ("exemplary_people", "2023-Y")]
    data = workbook_bytes(config, consolidate(config, judgement, wanted, "Số dòng"))

    written = openpyxl.load_workbook(io.BytesIO(data))
    texts = [c.value for s in written.worksheets for r in s.iter_rows() for c in r if isinstance(c.value, str)]
    assert FORMULA in texts and "=cmd|' /C calc'!A0" in texts
    assert any("=1+1" in t for t in texts)  # the finding quoting the cell
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
