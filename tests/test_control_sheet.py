"""The office keeps its units in the control spreadsheet: a new row is read and reminded on the
next run, «không» stops the reminders, a bad row is told with its tab and row while the others
apply, and a day the sheet cannot be read goes on with what it last applied.

The local control workbook here; the same through the Google fake at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from main import cli
from rules.control import tab_name
from store import Store
from tests.conftest import REPO, SAMPLE_TODAY
from tests.sheets_fake import CONTROL_WORKBOOK, FakeGoogle, load_workbooks, service_account_info
from tests.smtp_server import mail_config, run_cli

UNITS_TAB = "Đơn vị"
NEW_UNIT = ["952", "Hội LHPN xã Mới", "", "xã", "952-xa-moi.xlsx", "hlhpn.xamoi@example.vn", "", "có"]



@pytest.fixture
def workbooks(workbooks):
    folder = workbooks
    # A new commune whose report is as far behind as Trần Đề's: nothing sent this month.
    shutil.copyfile(folder / "951-tran-de.xlsx", folder / "952-xa-moi.xlsx")
    return folder


def controlled_config(tmp_path, workbooks, server=None):
    path = mail_config(tmp_path, server, workbooks=workbooks)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["control"] = {"sheet": CONTROL_WORKBOOK}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def edit_units(workbooks, change) -> None:
    path = workbooks / CONTROL_WORKBOOK
    book = openpyxl.load_workbook(path)
    change(book[UNITS_TAB])
    book.save(path)


def row_of(sheet, unit_id: str) -> int:
    return next(cell.row for cell in sheet["A"] if str(cell.value) == unit_id)


def test_the_sample_control_workbook_lists_the_units_of_config_yaml():
    book = openpyxl.load_workbook(REPO / "samples" / "workbooks" / CONTROL_WORKBOOK)
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    assert book.sheetnames == [tab_name("units"), tab_name("requests"), tab_name("reviews"), "Hướng dẫn"]
    ids = [str(row[0]) for row in book[UNITS_TAB].iter_rows(min_row=2, values_only=True)]
    assert ids == [u["id"] for u in config["units"]]
    assert config["control"] == {"sheet": CONTROL_WORKBOOK}


def test_a_unit_added_in_the_control_sheet_is_read_and_reminded_on_the_next_run(tmp_path, workbooks, smtp_server):
    path = controlled_config(tmp_path, workbooks, smtp_server)
    edit_units(workbooks, lambda sheet: sheet.append(NEW_UNIT))

    result = run_cli(path, SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    assert "control sheet: unit(s) added: 952" in result.output
    to_new = [m for m in smtp_server.messages if "hlhpn.xamoi@example.vn" in m.rcpt_tos]
    assert len(to_new) == 1
    assert "Hội LHPN xã Mới" in to_new[0].text and "Tháng 7/2023" in to_new[0].text
    again = run_cli(path, SAMPLE_TODAY)
    assert again.exit_code == 0 and "due: 0 email(s)" in again.output
    assert len([m for m in smtp_server.messages if "hlhpn.xamoi@example.vn" in m.rcpt_tos]) == 1


def test_a_unit_switched_off_is_no_longer_reminded_and_keeps_its_history(tmp_path, workbooks, smtp_server):
    path = controlled_config(tmp_path, workbooks, smtp_server)
    assert run_cli(path, "2023-07-19").exit_code == 0  # Trần Đề (951) is reminded of July
    reminded = [m for m in smtp_server.messages if "hlhpn.trande@example.vn" in m.rcpt_tos]
    assert reminded

    edit_units(workbooks, lambda sheet: sheet.cell(row_of(sheet, "951"), 8, "không"))
    result = run_cli(path, SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    assert "control sheet: unit(s) no longer followed: 951" in result.output
    assert [m for m in smtp_server.messages if "hlhpn.trande@example.vn" in m.rcpt_tos] == reminded
    with Store.open(tmp_path / "state.sqlite3") as store:
        assert "951" in store.units_seen()  # what was seen of it stays


def test_bad_rows_are_skipped_with_their_tab_and_row_and_told_to_the_office(tmp_path, workbooks, smtp_server):
    path = controlled_config(tmp_path, workbooks, smtp_server)

    def change(sheet):
        sheet.append(NEW_UNIT)
        sheet.append(["953", "Hội LHPN xã Thử", "", "ấp", "953.xlsx", "khong-phai-email", "", "có"])
        sheet.append(["952", "Hội LHPN xã Trùng", "", "xã", "x.xlsx", "a@example.vn", "", "có"])
        sheet.cell(row_of(sheet, "945"), 8, "có lẽ")

    edit_units(workbooks, change)
    result = run_cli(path, SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    first_new = 14  # header, 12 units, then the new rows
    told = [
        "Bảng điều khiển, trang «Đơn vị», dòng 6: «Đang theo dõi» phải ghi «có» hoặc «không», không phải «có lẽ»;"
        " dòng này chưa được áp dụng; hệ thống giữ thông tin đã áp dụng trước đó của đơn vị",
        f"Bảng điều khiển, trang «Đơn vị», dòng {first_new + 1}: loại đơn vị «ấp» không hợp lệ (ghi: huyện, xã hoặc"
        " trực thuộc); dòng này chưa được áp dụng",
        f"Bảng điều khiển, trang «Đơn vị», dòng {first_new + 1}: «khong-phai-email» không phải là địa chỉ e-mail hợp"
        " lệ; dòng này chưa được áp dụng",
        f"Bảng điều khiển, trang «Đơn vị», dòng {first_new + 2}: mã đơn vị «952» trùng với dòng {first_new};"
        " dòng này chưa được áp dụng; hệ thống giữ thông tin đã áp dụng trước đó của đơn vị",
    ]
    for line in told:
        assert line in result.output
    # The good row applies: the new unit is reminded; the bad ones change nothing.
    assert [m for m in smtp_server.messages if "hlhpn.xamoi@example.vn" in m.rcpt_tos]
    assert not [m for m in smtp_server.messages if "a@example.vn" in m.rcpt_tos]
    [report] = [
        m for m in smtp_server.messages if m.message["To"] == "bantuyengiaocslp2019@gmail.com" and not m.message["Cc"]
    ]  # the consolidated report of July
    for line in told:
        assert line in report.text


def test_an_unreadable_control_sheet_leaves_what_it_last_applied_and_says_so(tmp_path, workbooks, smtp_server):
    path = controlled_config(tmp_path, workbooks, smtp_server)
    edit_units(workbooks, lambda sheet: sheet.append(NEW_UNIT))
    assert run_cli(path, "2023-07-19").exit_code == 0
    (workbooks / CONTROL_WORKBOOK).write_bytes(b"not a workbook")

    result = CliRunner().invoke(cli, ["--config", str(path), "check", "--today", SAMPLE_TODAY, "--json"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["control"] == [
        f"Không đọc được bảng điều khiển (tệp {CONTROL_WORKBOOK} bị hỏng hoặc không phải tệp Excel); hệ thống dùng"
        " danh sách đơn vị áp dụng lần trước (ngày 19/07/2023)."
    ]
    assert "952" in {r["unit_id"] for r in shown["reports"]}


def test_control_check_prints_what_would_change_and_applies_nothing(tmp_path, workbooks):
    path = controlled_config(tmp_path, workbooks)
    edit_units(workbooks, lambda sheet: (sheet.append(NEW_UNIT), sheet.cell(row_of(sheet, "946"), 8, "không")))

    result = CliRunner().invoke(cli, ["--config", str(path), "control", "--check", "--today", SAMPLE_TODAY])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "control sheet: unit(s) added: 952",
        "control sheet: unit(s) no longer followed: 946",
        "units followed: 12",
    ]
    assert not (tmp_path / "state.sqlite3").exists()


def test_control_init_lays_out_the_tabs_with_dropdowns_and_a_second_run_changes_nothing(tmp_path, workbooks):
    (workbooks / CONTROL_WORKBOOK).unlink()
    path = controlled_config(tmp_path, workbooks)

    first = CliRunner().invoke(cli, ["--config", str(path), "control", "--init"])
    second = CliRunner().invoke(cli, ["--config", str(path), "control", "--init"])

    assert first.exit_code == 0, first.output
    assert "«Đơn vị»: 12 row(s) written" in first.output
    book = openpyxl.load_workbook(workbooks / CONTROL_WORKBOOK)
    assert book.sheetnames == [UNITS_TAB, tab_name("requests"), tab_name("reviews"), "Hướng dẫn"]
    units = book[UNITS_TAB]
    assert [c.value for c in units[1]] == [
        "Mã đơn vị", "Tên đơn vị", "Tên ngắn", "Loại", "Bảng tính", "E-mail", "E-mail người phụ trách", "Đang theo dõi",
    ]  # fmt: skip
    assert units.freeze_panes == "A2" and units.max_row == 13
    assert units["F2"].value == "hlhpn.tpsoctrang@example.vn" and units["H2"].value == "có"
    lists = {v.formula1 for v in units.data_validations.dataValidation}
    assert lists == {'"huyện,xã,trực thuộc"', '"có,không"'}
    reviews = book[tab_name("reviews")]
    assert '"duyệt,trả lại"' in {v.formula1 for v in reviews.data_validations.dataValidation}
    assert second.exit_code == 0, second.output
    assert "unchanged" in second.output
    assert openpyxl.load_workbook(workbooks / CONTROL_WORKBOOK)[UNITS_TAB].max_row == 13  # no row twice


def test_control_init_on_google_lays_out_the_shared_spreadsheet_and_writes_the_units(tmp_path, private_key_pem):
    bot = "bao-cao@soc-trang-test.iam.gserviceaccount.com"
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info(bot, private_key_pem)))
    with FakeGoogle() as google:
        google.fake.add_spreadsheet("dieu-khien", {"Trang tính1": []}, title="Bảng điều khiển")
        raw = yaml.safe_load(mail_config(tmp_path).read_text(encoding="utf-8"))
        raw["source"] = {"kind": "google", "api_base": google.url, "credentials": [{"key_file": str(key_file)}],
                         "retry": {"max_attempts": 2, "initial_wait": 0, "max_wait": 0}}  # fmt: skip
        raw["control"] = {"sheet": "dieu-khien"}
        path = tmp_path / "google.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")

        first = CliRunner().invoke(cli, ["--config", str(path), "control", "--init"])
        writes = google.fake.count("batch_update")
        second = CliRunner().invoke(cli, ["--config", str(path), "control", "--init"])
        rewrites = google.fake.count("batch_update") - writes
        sheet = google.fake.spreadsheets["dieu-khien"]

    assert first.exit_code == 0, first.output
    assert writes == 2  # the layout in one batch, the units in another
    assert sheet.tabs[UNITS_TAB][0][:2] == ["Mã đơn vị", "Tên đơn vị"]
    assert [row[0] for row in sheet.tabs[UNITS_TAB][1:13]] == [u["id"] for u in raw["units"]]
    assert second.exit_code == 0 and "unchanged" in second.output and rewrites == 0


def test_the_google_control_sheet_is_read_in_one_request_per_run_and_all_its_tabs_apply(tmp_path, private_key_pem):
    bot = "bao-cao@soc-trang-test.iam.gserviceaccount.com"
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info(bot, private_key_pem)))
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    def on_google(sheet):  # the control sheet names each unit's Google Sheet by its ID (the fake's: the stem)
        for row in sheet.iter_rows(min_row=2):
            row[4].value = str(row[4].value).removesuffix(".xlsx")
        sheet.append([*NEW_UNIT[:4], "951-tran-de", *NEW_UNIT[5:]])

    edit_units(workbooks, on_google)
    request = ["yc-07", "Báo cáo chuyên đề", "Báo cáo nhanh tháng 7/2023", "", "31/07/2023", "941, 952", "", ""]
    edit_requests(workbooks, (2, request))
    outbox = tmp_path / "outbox"
    with FakeGoogle() as google:
        ids = load_workbooks(google.fake, workbooks, control=True)
        raw = yaml.safe_load(mail_config(tmp_path).read_text(encoding="utf-8"))
        raw["source"] = {
            "kind": "google", "api_base": google.url,
            "credentials": [{"key_file": str(key_file), "reads_per_minute": 300}],
            "retry": {"max_attempts": 2, "initial_wait": 0, "max_wait": 0},
        }  # fmt: skip
        for unit in raw["units"]:
            unit["sheet"] = ids.get(unit["sheet"], "khong-co-that")
        control_id = ids[CONTROL_WORKBOOK]
        raw["control"] = {"sheet": f"https://docs.google.com/spreadsheets/d/{control_id}/edit"}
        path = tmp_path / "google.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")

        first = run_cli(path, SAMPLE_TODAY)
        control_reads = google.fake.requests(spreadsheet_id=control_id)
        asked = sorted(p.name.split("_")[3] for p in outbox.glob("ad_hoc_request_*.eml"))
        second = run_cli(path, "2023-07-21")
        unchanged_reads = google.fake.requests(spreadsheet_id=control_id)
        # The office returns 941's half-year report, in its Google Sheet.
        sheet = google.fake.spreadsheets[control_id]
        sheet.tabs[REVIEWS_TAB].append(["941", "Báo cáo chuyên đề", "6 tháng đầu năm 2023", "trả lại", COMMENT])
        sheet.version += 1
        sheet.modified += dt.timedelta(hours=1)
        third = run_cli(path, "2023-07-24")
        edited_reads = google.fake.requests(spreadsheet_id=control_id)

    assert (first.exit_code, second.exit_code, third.exit_code) == (0, 0, 0), first.output + third.output
    assert "control sheet: unit(s) added: 952" in first.output
    assert [r.kind for r in control_reads] == ["batch_get"]  # its three tabs in one request
    assert asked == ["941", "952"]
    assert unchanged_reads == control_reads  # unchanged since: served from its stored read
    assert "control sheet" not in second.output and len(list(outbox.glob("ad_hoc_request_*.eml"))) == 2
    assert [r.kind for r in edited_reads[len(unchanged_reads):]] == ["batch_get"]
    assert "control sheet: review 941 topic_report 2023-H1: returned" in third.output
    assert len(list(outbox.glob("report_returned_941_*.eml"))) == 1


REQUESTS_TAB = "Yêu cầu đột xuất"
REQUEST_TITLE = "Báo cáo nhanh kết quả tuyên truyền Chuyên đề tháng 7/2023"


def edit_rows(workbooks, tab: str, *rows) -> None:
    """Write each (row number, cells) into ``tab`` of the control workbook, as a clerk types them."""
    path = workbooks / CONTROL_WORKBOOK
    book = openpyxl.load_workbook(path)
    for number, row in rows:
        for col, value in enumerate(row, start=1):
            book[tab].cell(number, col, value)
    book.save(path)


def edit_requests(workbooks, *rows) -> None:
    edit_rows(workbooks, REQUESTS_TAB, *rows)


def status_of(path, period=None):
    args = ["--config", str(path), "status", "--json"] + (["--period", period] if period else [])
    return json.loads(CliRunner().invoke(cli, args).stdout)


def test_a_request_row_emails_each_unit_once_then_reminders_follow(tmp_path, workbooks, smtp_server):
    path = controlled_config(tmp_path, workbooks, smtp_server)
    row = ["yc-07", "Báo cáo chuyên đề", REQUEST_TITLE, "20/07/2023", "31/07/2023", "941, 944", "Đột xuất 7/2023", ""]
    edit_requests(workbooks, (2, row))

    first = run_cli(path, SAMPLE_TODAY)
    asked = [m for m in smtp_server.messages if m.subject.startswith("[Báo cáo đột xuất]")]
    again = run_cli(path, "2023-07-21")
    later = run_cli(path, "2023-07-24")  # 7 days before the deadline: the first reminder step

    assert first.exit_code == 0, first.output
    assert "control sheet: request yc-07 opened: " + REQUEST_TITLE + ", due 31/07/2023" in first.output
    assert sorted(m.rcpt_tos[0] for m in asked) == ["hlhpn.mytu@example.vn", "hlhpn.tpsoctrang@example.vn"]
    assert all("Đột xuất 7/2023" in m.text for m in asked)
    assert again.exit_code == 0 and "opened" not in again.output
    assert [m for m in smtp_server.messages if m.subject.startswith("[Báo cáo đột xuất]")] == asked
    assert later.exit_code == 0, later.output
    reminders = [m for m in smtp_server.messages if "Đột xuất 7/2023" in m.text and m not in asked]
    assert {m.rcpt_tos[0] for m in reminders} == {"hlhpn.mytu@example.vn", "hlhpn.tpsoctrang@example.vn"}


def test_editing_the_due_date_moves_the_deadline_and_hủy_cancels(tmp_path, workbooks):
    path = controlled_config(tmp_path, workbooks)
    row = ["yc-07", "topic_report", REQUEST_TITLE, "20/07/2023", "31/07/2023", "tất cả", "Đột xuất 7/2023", "đang mở"]
    edit_requests(workbooks, (2, row))
    assert run_cli(path, SAMPLE_TODAY).exit_code == 0
    assert {r["deadline"] for r in status_of(path, "yc-07")["reports"]} == {"2023-07-31"}

    edit_requests(workbooks, (2, [*row[:4], "07/08/2023", *row[5:]]))
    moved = run_cli(path, "2023-07-21")
    assert "control sheet: request yc-07 changed, due 31/07/2023 → 07/08/2023" in moved.output
    assert {r["deadline"] for r in status_of(path, "yc-07")["reports"]} == {"2023-08-07"}

    edit_requests(workbooks, (2, [*row[:4], "07/08/2023", *row[5:7], "hủy"]))
    cancelled = run_cli(path, "2023-07-22")
    assert "control sheet: request yc-07 cancelled" in cancelled.output
    assert status_of(path, "yc-07")["reports"] == []


def test_bad_request_rows_are_told_with_their_row_and_the_good_one_applies(tmp_path, workbooks):
    path = controlled_config(tmp_path, workbooks)
    good = ["", "Báo cáo chuyên đề", REQUEST_TITLE, "", "31/07/2023", "", "Đột xuất 7/2023", ""]
    edit_requests(
        workbooks,
        (2, good),
        (3, ["", "Biểu mẫu lạ", "Yêu cầu thử", "", "31/07/2023", "", "", ""]),
        (4, ["", "topic_report", "Yêu cầu khác", "", "31/13/2023", "999", "", ""]),
        (5, ["", "topic_report", "Yêu cầu cũ", "", "01/07/2023", "", "", ""]),
    )

    result = CliRunner().invoke(cli, ["--config", str(path), "check", "--today", SAMPLE_TODAY, "--json"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    kept = "; dòng này chưa được áp dụng"
    assert shown["control"] == [
        "Bảng điều khiển, trang «Yêu cầu đột xuất», dòng 3: biểu mẫu «Biểu mẫu lạ» không có trong hệ thống (chọn"
        " trong danh sách: Báo cáo chuyên đề, Cam kết hằng tháng, Gương điển hình)" + kept,
        "Bảng điều khiển, trang «Yêu cầu đột xuất», dòng 4: «Hạn nộp» phải là một ngày (ngày/tháng/năm), không phải"
        " «31/13/2023»" + kept,
        "Bảng điều khiển, trang «Yêu cầu đột xuất», dòng 4: đơn vị «999» không có trong danh sách đơn vị" + kept,
        "Bảng điều khiển, trang «Yêu cầu đột xuất», dòng 5: hạn nộp 01/07/2023 đã qua" + kept,
    ]
    request_id = "yc-bao-cao-nhanh-ket-qua-tuyen-truyen"
    assert {r["period"] for r in shown["reports"]} >= {request_id}


REVIEWS_TAB = "Duyệt báo cáo"
COMMENT = "Số lượt HVPN tham dự chưa khớp với biên bản"


def edit_reviews(workbooks, *rows) -> None:
    edit_rows(workbooks, REVIEWS_TAB, *rows)


def test_a_review_row_is_applied_once_across_reruns(tmp_path, workbooks, smtp_server):
    path = controlled_config(tmp_path, workbooks, smtp_server)
    assert run_cli(path, "2023-07-19").exit_code == 0  # the service reads 941's half-year report
    edit_reviews(workbooks, (2, ["941", "Báo cáo chuyên đề", "6 tháng đầu năm 2023", "trả lại", COMMENT]))

    first = run_cli(path, SAMPLE_TODAY)
    second = run_cli(path, "2023-07-21")

    assert first.exit_code == 0, first.output
    assert "control sheet: review 941 topic_report 2023-H1: returned" in first.output
    assert "review 941" not in second.output
    returned = [m for m in smtp_server.messages if m.subject.startswith("[Trả lại báo cáo]")]
    assert len(returned) == 1 and COMMENT in returned[0].text
    assert returned[0].rcpt_tos[0] == "hlhpn.tpsoctrang@example.vn"
    report = next(r for r in status_of(path, "2023-H1")["reports"] if r["unit_id"] == "941"
                  and r["form"] == "topic_report")  # fmt: skip
    assert report["status"] == "incomplete"
    with Store.open(tmp_path / "state.sqlite3") as store:
        decided = store.latest_reviews()
    assert [(k, r.decision, r.comment) for k, r in decided.items()] == [
        (("941", "topic_report", "2023-H1"), "returned", COMMENT)
    ]


def test_bad_review_rows_are_told_and_a_report_not_yet_read_waits(tmp_path, workbooks):
    path = controlled_config(tmp_path, workbooks)
    edit_reviews(
        workbooks,
        (2, ["999", "Báo cáo chuyên đề", "6 tháng đầu năm 2023", "duyệt", ""]),
        (3, ["941", "Báo cáo chuyên đề", "Quý 2/2023", "duyệt", ""]),
        (4, ["941", "Báo cáo chuyên đề", "2023-H1", "trả lại", ""]),
        (5, ["942", "topic_report", "2023-H1", "xem lại", ""]),
        (6, ["943", "topic_report", "2023-H1", "duyệt", ""]),
    )

    result = CliRunner().invoke(cli, ["--config", str(path), "check", "--today", SAMPLE_TODAY, "--json"])

    assert result.exit_code == 0, result.output
    prefix, kept = "Bảng điều khiển, trang «Duyệt báo cáo», dòng ", "; dòng này chưa được áp dụng"
    assert json.loads(result.stdout)["control"] == [
        prefix + "2: đơn vị «999» không có trong danh sách đơn vị" + kept,
        prefix + "3: không nhận ra kỳ «Quý 2/2023» (ghi như đơn vị ghi, ví dụ «6 tháng đầu năm 2023», «Tháng 7/2023»)"
        + kept,
        prefix + "4: trả lại báo cáo thì phải ghi «Ý kiến» để đơn vị biết cần sửa gì" + kept,
        prefix + "5: «Duyệt / trả lại» phải ghi «duyệt» hoặc «trả lại», không phải «xem lại»" + kept,
        # 943's report had not been read when the control sheet was: applied on the next run.
        prefix + "6: hệ thống chưa đọc được báo cáo này của đơn vị; dòng sẽ được áp dụng khi đơn vị đã nhập báo cáo",
    ]
    again = CliRunner().invoke(cli, ["--config", str(path), "check", "--today", SAMPLE_TODAY, "--json"])
    assert len(json.loads(again.stdout)["control"]) == 4
    with Store.open(tmp_path / "state.sqlite3") as store:
        assert list(store.latest_reviews()) == [("943", "topic_report", "2023-H1")]


def test_the_status_tab_can_be_written_into_the_control_workbook_keeping_its_tabs(tmp_path, workbooks):
    path = controlled_config(tmp_path, workbooks)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["writeback"] = {"enabled": True, "office_workbook": str(workbooks / CONTROL_WORKBOOK)}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    edit_units(workbooks, lambda sheet: sheet.append(NEW_UNIT))

    first = run_cli(path, SAMPLE_TODAY)
    second = run_cli(path, "2023-07-21")

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    book = openpyxl.load_workbook(workbooks / CONTROL_WORKBOOK)
    assert book.sheetnames == [UNITS_TAB, REQUESTS_TAB, REVIEWS_TAB, "Hướng dẫn", "Tình trạng báo cáo"]
    assert book[UNITS_TAB].max_row == 14  # the clerk's rows, the new unit's included, are untouched
    codes = [str(row[0].value) for row in book["Tình trạng báo cáo"].iter_rows() if row[0].value]
    assert "952" in codes and "941" in codes


def test_provision_lays_out_a_unit_the_control_sheet_added(tmp_path, workbooks):
    path = controlled_config(tmp_path, workbooks)
    edit_units(workbooks, lambda sheet: sheet.append([*NEW_UNIT[:4], "952-xa-moi-chua-co.xlsx", *NEW_UNIT[5:]]))
    assert CliRunner().invoke(cli, ["--config", str(path), "check", "--today", SAMPLE_TODAY]).exit_code == 0

    result = CliRunner().invoke(cli, ["--config", str(path), "provision", "--unit", "952", "--today", SAMPLE_TODAY])

    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(workbooks / "952-xa-moi-chua-co.xlsx")
    # A commune owes the topic report and the commitments; the exemplary people are the districts'.
    assert book.sheetnames == ["Báo cáo chuyên đề", "Cam kết hằng tháng", "Hướng dẫn"]
