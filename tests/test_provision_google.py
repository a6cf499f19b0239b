"""`provision` on Google Sheets, real gspread against the local fake: the tabs laid out from the
forms in one batchUpdate per spreadsheet, a wrong header repaired with the data rows untouched,
a second run that sends no write at all, and exactly what to do when the account is not Editor.
"""

from __future__ import annotations

import datetime as dt
import json

import yaml
from click.testing import CliRunner

from main import cli
from rules.calendar import parse_period
from settings import load_config
from tests.conftest import write_config
from tests.sheets_fake import WRITE_SCOPE, FakeGoogle, service_account_info
from tests.sheets_fake_writes import validation_at

BOT = "bao-cao@soc-trang-test.iam.gserviceaccount.com"
TODAY = "2023-07-20"
TOPIC = "Báo cáo chuyên đề"
HELP = "Hướng dẫn"


def provision_config(tmp_path, google: FakeGoogle, pem: str, sheets: dict[str, str]):
    """The shipped config on Google, with only the units of ``sheets`` (unit id → spreadsheet id)."""
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info(BOT, pem)))
    raw = yaml.safe_load(write_config(tmp_path).read_text(encoding="utf-8"))
    raw["source"] = {
        "kind": "google",
        "api_base": google.url,
        "credentials": [{"key_file": str(key_file), "reads_per_minute": 300}],
        "retry": {"max_attempts": 2, "initial_wait": 0, "max_wait": 0},
    }
    raw["units"] = [dict(u, sheet=sheets[u["id"]]) for u in raw["units"] if u["id"] in sheets]
    raw["calendar"]["ad_hoc"][0]["units"] = [u for u in raw["calendar"]["ad_hoc"][0]["units"] if u in sheets]
    path = tmp_path / "google.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def provision(path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(path), "provision", "--today", TODAY, *args])


def labels(config, form_key: str) -> list[str]:
    form = config.form(form_key)
    return [
        form.period_label,
        *([form.report_date_label] if form.report_date_label else []),
        *(f.label for f in form.fields),
    ]


def test_an_empty_spreadsheet_gets_every_tab_in_one_batch_update(tmp_path, google, private_key_pem):
    sheet = google.fake.add_spreadsheet("sheet-941", {"Trang tính1": []})
    path = provision_config(tmp_path, google, private_key_pem, {"941": "sheet-941"})
    config = load_config(path)

    result = provision(path)

    assert result.exit_code == 0, result.output
    # The one get names tabs that do not exist yet, so Google refuses it; the titles are read
    # instead, and no tab of the forms is there to read: two reads, then one write.
    assert google.fake.counts() == {"token": 1, "metadata": 2, "batch_update": 1}
    assert google.fake.token_scopes[next(iter(google.fake.token_scopes))] == [WRITE_SCOPE]
    assert list(sheet.tabs) == ["Trang tính1", TOPIC, "Cam kết hằng tháng", "Gương điển hình", HELP]
    for form in config.forms:
        assert sheet.tabs[form.tab] == [labels(config, form.key)]
        meta = sheet.meta[form.tab]
        assert meta.frozen_rows == 1
        [protected] = meta.protected
        assert protected["warningOnly"] is True
        assert protected["range"] == {"sheetId": meta.sheet_id, "startRowIndex": 0, "endRowIndex": 1}
        assert "không sửa" in protected["description"]
    topic = sheet.meta[TOPIC]
    # A: Kỳ báo cáo, B: Ngày báo cáo, C: Số buổi học tập (integer, min 0), T/U: free text.
    assert validation_at(topic, 0, 2) is None  # the header row itself is free
    assert validation_at(topic, 1, 0) is None  # periods are typed freely: the help tab says how
    assert validation_at(topic, 1, 1)["condition"] == {"type": "DATE_IS_VALID"}
    assert validation_at(topic, 4999, 2)["condition"] == {
        "type": "CUSTOM_FORMULA",
        "values": [{"userEnteredValue": "=AND(ISNUMBER(C2),C2=INT(C2),C2>=0)"}],
    }
    assert validation_at(topic, 1, 20) is None
    assert topic.notes[(0, 2)] == "Số nguyên từ 0 trở lên."
    assert topic.widths[0] == 170 and topic.widths[20] == 260
    monthly = sheet.meta["Cam kết hằng tháng"]
    assert validation_at(monthly, 1, 5)["condition"] == {
        "type": "NUMBER_BETWEEN",
        "values": [{"userEnteredValue": "0"}, {"userEnteredValue": "100"}],
    }
    people = sheet.meta["Gương điển hình"]
    recognition = validation_at(people, 1, 5)
    assert recognition["condition"]["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in recognition["condition"]["values"]] == [
        "Biểu dương", "Khen thưởng", "Đề xuất khen thưởng",
    ]  # fmt: skip
    assert recognition["showCustomUi"] is True and recognition["strict"] is True
    help_lines = [row[0] for row in sheet.tabs[HELP] if row]
    assert help_lines[0] == "Hướng dẫn nhập báo cáo — Hội LHPN thành phố Sóc Trăng"
    assert "Báo cáo hằng tháng: ghi «Tháng 3/2023» (hệ thống cũng nhận «03/2023» hoặc «T3/2023»)." in help_lines
    assert any("«Đột xuất 4/2023» (hạn nộp 21/04/2023)" in line for line in help_lines)
    assert sheet.meta[HELP].protected[0]["range"] == {"sheetId": sheet.meta[HELP].sheet_id}
    assert f"{config.units[0].id} (Hội LHPN thành phố Sóc Trăng): changed" in result.output
    assert "tab «Báo cáo chuyên đề» added" in result.output
    assert result.output.strip().endswith("1 write request(s).")


def test_the_period_examples_units_are_shown_are_read_as_those_periods(tmp_path, google, private_key_pem):
    path = provision_config(tmp_path, google, private_key_pem, {"941": "sheet-941"})
    config = load_config(path)
    google.fake.add_spreadsheet("sheet-941", {})
    provision(path)
    sheet = google.fake.spreadsheets["sheet-941"]

    examples = {e for row in sheet.tabs[HELP] if row for e in row[0].split("«")[1:]}
    typed = [e.split("»")[0] for e in examples]
    periods = {text: parse_period(text, config.calendar) for text in typed if any(ch.isdigit() for ch in text)}

    assert {text: p.id for text, p in periods.items() if p} == {
        "Tháng 3/2023": "2023-M03", "03/2023": "2023-M03", "T3/2023": "2023-M03",
        "6 tháng đầu năm 2023": "2023-H1", "6T/2023": "2023-H1", "Năm 2023": "2023-Y", "2023": "2023-Y",
        "Đột xuất 4/2023": "dot-xuat-2023-04",
        "Báo cáo nhanh kết quả học tập Chuyên đề (đột xuất tháng 4/2023)": "dot-xuat-2023-04",
    }  # fmt: skip


def test_a_wrong_header_is_repaired_in_place_and_the_data_rows_are_untouched(tmp_path, google, private_key_pem):
    path = provision_config(tmp_path, google, private_key_pem, {"941": "sheet-941"})
    config = load_config(path)
    header = labels(config, "topic_report")
    header[2] = "So buoi hoc tap, quan triet"  # typed without diacritics: the reader cannot find it
    header[3] = "  tổng số cbcc-nlđ "  # reads fine (case, spaces): left as the unit typed it
    del header[-1]  # «Đề xuất, kiến nghị» missing
    header.append("Ghi chú riêng")  # the unit's own column
    data = [
        ["6 tháng đầu năm 2023", 45093, 3, 12, 12, 2, 150, 4, 90, 2, 3, 12, 2, 1, 20, 5, 1500000, 2, 1, 1, "Không"],
        ["Đột xuất 4/2023", "19/04/2023", 1, 12, 11, 1, 60, 2, 30, 1, 1, 11, 1, 0, 5, 0, "", 0, 0, 0, "", "riêng"],
    ]
    sheet = google.fake.add_spreadsheet("sheet-941", {TOPIC: [header, *data]})

    result = provision(path, "--unit", "941")

    assert result.exit_code == 0, result.output
    grid = sheet.tabs[TOPIC]
    assert grid[1:] == data
    assert grid[0][2] == "Số buổi học tập, quán triệt"
    assert grid[0][3] == "  tổng số cbcc-nlđ "
    assert grid[0][21] == "Ghi chú riêng"
    assert grid[0][22] == "Đề xuất, kiến nghị"  # after the last titled column, never over the unit's
    assert "header C1 «So buoi hoc tap, quan triet» → «Số buổi học tập, quán triệt»" in result.output
    assert "header W1 «Đề xuất, kiến nghị» added" in result.output
    # Its validation follows the column where it now is.
    assert sheet.meta[TOPIC].validations and validation_at(sheet.meta[TOPIC], 1, 22) is None
    check = CliRunner().invoke(cli, ["--config", str(path), "check", "--today", TODAY, "--unit", "941", "--json"])
    findings = json.loads(check.output)["findings"]
    assert not [f for f in findings if f["code"] in ("missing_column", "missing_tab")], findings


def test_a_second_run_reads_once_and_writes_nothing(tmp_path, google, private_key_pem):
    path = provision_config(tmp_path, google, private_key_pem, {"941": "sheet-941", "942": "sheet-942"})
    google.fake.add_spreadsheet("sheet-941", {})
    google.fake.add_spreadsheet("sheet-942", {TOPIC: [["Kỳ báo cáo"]]})
    first = provision(path)
    before = google.fake.counts()

    second = provision(path)
    after = google.fake.counts()

    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert before["batch_update"] == 2
    # One spreadsheets.get per spreadsheet (every tab now exists as titled), and not one write.
    assert after["metadata"] - before["metadata"] == 2
    assert after["batch_update"] == before["batch_update"]
    assert second.output.splitlines() == [
        "941 (Hội LHPN thành phố Sóc Trăng): unchanged",
        "942 (Hội LHPN huyện Châu Thành): unchanged",
        "Nothing to change: every sheet already matches the forms.",
    ]


def test_check_says_what_would_change_and_writes_nothing(tmp_path, google, private_key_pem):
    path = provision_config(tmp_path, google, private_key_pem, {"941": "sheet-941"})
    sheet = google.fake.add_spreadsheet("sheet-941", {TOPIC: []})

    result = provision(path, "--check")

    assert result.exit_code == 0, result.output
    assert google.fake.count("batch_update") == 0
    assert sheet.tabs == {TOPIC: []} and not sheet.meta[TOPIC].validations
    assert "941 (Hội LHPN thành phố Sóc Trăng): would change" in result.output
    assert result.output.strip().endswith("Nothing was written (--check).")


def test_a_sheet_shared_as_viewer_gets_the_exact_fix_and_nothing_half_written(tmp_path, google, private_key_pem):
    path = provision_config(tmp_path, google, private_key_pem, {"941": "sheet-941", "942": "sheet-942"})
    viewer = google.fake.add_spreadsheet("sheet-941", {TOPIC: []}, editors=set())
    google.fake.add_spreadsheet("sheet-942", {}, shared_with={"someone@example.vn"})

    result = provision(path)

    assert result.exit_code == 0, result.output  # the units' to fix: they are told what to do
    writes = google.fake.requests("batch_update")
    assert [(w.spreadsheet_id, w.status) for w in writes] == [("sheet-941", 403)]
    assert viewer.tabs == {TOPIC: []}
    assert (
        "941 (Hội LHPN thành phố Sóc Trăng): ACTION NEEDED — The spreadsheet is shared with"
        f" {BOT} but not as Editor: the unit must open Share and change {BOT} from Viewer (or Commenter) to Editor."
    ) in result.output
    assert f"942 (Hội LHPN huyện Châu Thành): ACTION NEEDED — The spreadsheet is not shared with {BOT}" in result.output
    assert "0 sheet(s) changed, 0 unchanged, 2 need the unit or the office to act, 0 failed." in result.output


def test_no_spreadsheet_tells_the_unit_to_create_one_since_the_service_cannot(tmp_path, google, private_key_pem):
    path = provision_config(tmp_path, google, private_key_pem, {"941": "khong-co-that"})

    result = provision(path)

    assert result.exit_code == 0, result.output
    assert google.fake.count("batch_update") == 0 and google.fake.count("drive_list") == 0
    assert "A service account has no Drive storage of its own, so the service cannot create one" in result.output
    assert f"share it with {BOT} as Editor and send its URL; the office then sets that URL as unit 941's `sheet`" in (
        result.output
    )


def test_reads_keep_the_read_only_scopes(tmp_path, google, private_key_pem):
    path = provision_config(tmp_path, google, private_key_pem, {"941": "sheet-941"})
    google.fake.add_spreadsheet("sheet-941", {})

    CliRunner().invoke(cli, ["--config", str(path), "check", "--today", TODAY])

    assert WRITE_SCOPE not in google.fake.last_scopes
    assert "https://www.googleapis.com/auth/spreadsheets.readonly" in google.fake.last_scopes
    assert dt.date.fromisoformat(TODAY).year == 2023  # the help texts' examples above are of this year
