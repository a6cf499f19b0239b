"""The cron job end to end on Google Sheets: a unit whose sheet is not shared is reported apart,
the others are judged and mailed, and the exit code says something could not be read.
"""

from __future__ import annotations

import email
import email.policy
import json

import yaml
from click.testing import CliRunner

from main import cli
from tests.conftest import REPO, SAMPLE_TODAY, write_config
from tests.sheets_fake import XLSX, FakeGoogle, load_workbooks, service_account_info

BOT = "bao-cao@soc-trang-test.iam.gserviceaccount.com"


def google_config(tmp_path, google: FakeGoogle, pem: str):
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info(BOT, pem)))
    ids = load_workbooks(google.fake, REPO / "samples" / "workbooks")
    raw = yaml.safe_load(write_config(tmp_path).read_text(encoding="utf-8"))
    raw["source"] = {
        "kind": "google",
        "api_base": google.url,
        "credentials": [{"key_file": str(key_file), "reads_per_minute": 300}],
        "retry": {"max_attempts": 2, "initial_wait": 0, "max_wait": 0},
    }
    for unit in raw["units"]:
        unit["sheet"] = f"https://docs.google.com/spreadsheets/d/{ids.get(unit['sheet'], 'khong-co-that')}/edit"
    path = tmp_path / "google.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, ids


def received(folder) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def test_an_unshared_sheet_is_reported_apart_and_its_unit_told_what_to_do(tmp_path, google, private_key_pem):
    path, ids = google_config(tmp_path, google, private_key_pem)
    google.fake.spreadsheets[ids["945-cu-lao-dung.xlsx"]].shared_with = {"someone@example.vn"}
    result = CliRunner().invoke(cli, ["--config", str(path), "run", "--today", SAMPLE_TODAY])
    batch_gets = google.fake.count("batch_get")
    assert result.exit_code == 0, result.output  # the units' own problems: they are told, the run went well
    assert "945 (permission_denied)" in result.output
    # One batchGet per configured spreadsheet (the 11 workbooks and 946's, which does not
    # exist), plus a second, narrower read for 950 (tab titled in other case) and 951 (tab missing).
    assert batch_gets == len(ids) + 1 + 2

    messages = received(tmp_path / "outbox")
    office = [m for m in messages if m["To"] == "bantuyengiaocslp2019@gmail.com" and not m["Cc"]]
    assert len(office) == 1
    body = office[0].get_body(("plain",)).get_content()
    assert "bao-cao@soc-trang-test.iam.gserviceaccount.com" in body  # the share-with-this-account finding
    reminders = {m["To"]: m.get_body(("plain",)).get_content() for m in messages if m not in office}
    # The unit that has not shared its sheet is told exactly what to do, and nothing is called late.
    notice = reminders["hlhpn.culaodung@example.vn"]
    assert f"chia sẻ bảng tính cho tài khoản {BOT} với quyền Người xem (Viewer)" in notice
    assert "Cách khắc phục: Đề nghị đơn vị mở bảng tính, bấm «Chia sẻ»" in notice
    assert "quá hạn" not in notice
    assert "Cột «Số lượt HVPN tham dự», dòng 3 (ô G3)" in reminders["hlhpn.mytu@example.vn, chutich.mytu@example.vn"]


def test_rerun_sends_nothing_and_reads_no_unchanged_sheet(tmp_path, google, private_key_pem):
    path, ids = google_config(tmp_path, google, private_key_pem)
    first = CliRunner().invoke(cli, ["--config", str(path), "run", "--today", SAMPLE_TODAY])
    before = google.fake.count("batch_get")
    second = CliRunner().invoke(cli, ["--config", str(path), "run", "--today", SAMPLE_TODAY])
    after = google.fake.count("batch_get")
    # 946's spreadsheet does not exist (404): unreadable both times; the unit's to fix, so exit 0.
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    # Unchanged spreadsheets are judged from their stored grids; only 946's, never read, is asked again.
    assert after == before + 1
    assert "due: 0 email(s)" in second.output


def test_an_uploaded_excel_file_gets_its_own_notice_naming_the_fix_and_no_retry(tmp_path, google, private_key_pem):
    path, ids = google_config(tmp_path, google, private_key_pem)
    uploaded = ids["945-cu-lao-dung.xlsx"]
    google.fake.spreadsheets[uploaded].mime_type = XLSX
    google.fake.spreadsheets[uploaded].shared_with = None
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["source"]["skip_unchanged"] = False  # no Drive listing: Sheets itself refuses the file
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "run", "--today", SAMPLE_TODAY])
    assert result.exit_code == 0, result.output  # the unit's to fix, not the service's
    assert "945 (not_a_google_sheet)" in result.output
    assert google.fake.count("batch_get", spreadsheet_id=uploaded) == 1

    notices = [m for m in received(tmp_path / "outbox") if m["To"] == "hlhpn.culaodung@example.vn"]
    assert len(notices) == 1
    assert notices[0]["Subject"] == (
        "[Cần sửa bảng tính] Cù Lao Dung: hệ thống chưa đọc được bảng tính"
        " (chưa phải Google Trang tính)"
    )
    body = notices[0].get_body(("plain",)).get_content()
    assert "là tệp Excel hoặc CSV tải lên Google Drive, chưa phải Google Trang tính" in body
    assert "Cách khắc phục: Đề nghị đơn vị mở tệp trên Google Drive, chọn «Tệp → Lưu dưới dạng" in body
    assert "Google Trang tính»; Google tạo một bảng tính mới" in body
    assert f"chia sẻ bảng tính mới cho tài khoản {BOT} với quyền Người xem (Viewer)" in body
    assert "Máy chủ Google không phản hồi" not in body
