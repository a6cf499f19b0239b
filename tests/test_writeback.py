"""Write-back (config ``writeback``): the office's status tab rewritten in one batchUpdate on every
`run`, each unit's feedback tab only when its findings changed, real gspread against the fake; a
write Google refuses never fails the run nor holds up an email, the office is told once what to
share, and the next run tries again. The local source writes the same table as an .xlsx.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from click.testing import CliRunner

from errors import ConfigError
from main import cli
from settings import load_config
from store import Store
from store.schema import MIGRATIONS
from tests.conftest import SAMPLE_TODAY, write_config
from tests.sheets_fake import WRITE_SCOPE
from tests.sheets_fake_values import trimmed
from tests.sheets_fake_writes import ensure_meta, properties
from tests.test_run_google import BOT, google_config

OFFICE_SHEET = "van-phong-tinh-hoi"
STATUS_TAB, FEEDBACK_TAB = "Tình trạng báo cáo", "Phản hồi"
# The sample units with something to fix on the sample day whose sheets read (946's does not exist).
WITH_FINDINGS = {"944", "945", "948", "951"}
MISSING_FILL, INCOMPLETE_FILL = "FFC7CE", "F8CBAD"  # as the consolidated workbook's


def writeback_config(tmp_path, google, pem, **writeback):
    path, ids = google_config(tmp_path, google, pem)
    google.fake.add_spreadsheet(OFFICE_SHEET, {"Trang tính1": [["Ghi chú của văn phòng"]]})
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["writeback"] = {
        "enabled": True,
        "office_sheet": f"https://docs.google.com/spreadsheets/d/{OFFICE_SHEET}/edit",
        **writeback,
    }
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, {name.split("-")[0].upper(): sheet for name, sheet in ids.items()}


def run(path, today=SAMPLE_TODAY, *args):
    return CliRunner().invoke(cli, ["--config", str(path), "run", "--today", today, *args])


def writes(google, sheet_id=None, status=None) -> int:
    return len([r for r in google.fake.requests("batch_update", sheet_id) if status is None or r.status == status])


def rgb(colour) -> str:
    """An API colour (fractions of 1) as the 8-bit hex a spreadsheet shows."""
    return "".join(f"{round(colour[c] * 255):02X}" for c in ("red", "green", "blue"))


# The fake's per-tab state beyond values, read and arranged in one place only.
def tab_formats(sheet, title):
    return ensure_meta(sheet)[title].formats


def tab_grid(sheet, title):
    return properties(sheet, title)["gridProperties"]


def tab_id(sheet, title):
    return ensure_meta(sheet)[title].sheet_id


def arrange_tab(sheet, title, sheet_id, rows, columns):
    meta = ensure_meta(sheet)[title]
    meta.sheet_id, meta.row_count, meta.column_count = sheet_id, rows, columns


def shown(grid):
    """A tab's cells as Google returns them: trailing empty cells and rows dropped."""
    return trimmed(grid, len(grid), max((len(r) for r in grid), default=0))


def row_of(grid, unit_id):
    return next(row for row in grid if row and row[0] == unit_id)


def test_each_run_rewrites_the_office_status_tab_in_one_batch_update(tmp_path, google, private_key_pem):
    path, _ = writeback_config(tmp_path, google, private_key_pem)

    first = run(path)

    assert first.exit_code == 0, first.output
    assert writes(google, OFFICE_SHEET) == 1
    assert google.fake.count("metadata", spreadsheet_id=OFFICE_SHEET) == 1  # the tab list, once
    assert "written back: status tab of the office's spreadsheet (16 rows)" in first.output
    office = google.fake.spreadsheets[OFFICE_SHEET]
    assert list(office.tabs) == ["Trang tính1", STATUS_TAB]  # added; the office's own tab untouched
    assert office.tabs["Trang tính1"] == [["Ghi chú của văn phòng"]]
    grid = office.tabs[STATUS_TAB]
    assert grid[0] == ["Tình trạng báo cáo của các đơn vị, cập nhật ngày 20/07/2023"]
    header = grid[3]
    assert header[:5] == ["Mã", "Đơn vị", "Bảng tính", "Lần đọc cuối", "Số lỗi"]
    assert header[5:9] == ["Năm 2023", "Ngày nộp", "6T/2023", "Ngày nộp"]
    assert grid[2][5] == "Báo cáo chuyên đề" and grid[2][7] == ""  # the form over its first column
    my_tu = row_of(grid, "944")
    assert my_tu[1] == "Mỹ Tú"
    assert my_tu[2] == '=HYPERLINK("https://docs.google.com/spreadsheets/d/944-my-tu/edit","Mở bảng tính")'
    assert my_tu[3] == (dt.date(2023, 7, 20) - dt.date(1899, 12, 30)).days  # last read, a date
    assert my_tu[4] == 4  # its open findings
    assert my_tu[7] == "◐ Chưa đầy đủ"
    r = grid.index(my_tu)
    formats = tab_formats(office, STATUS_TAB)
    assert rgb(formats[(r, 7)]["backgroundColor"]) == INCOMPLETE_FILL
    assert formats[(3, 0)]["textFormat"] == {"bold": True}
    submitted = next(c for c in range(6, len(my_tu), 2) if isinstance(my_tu[c], int))
    assert formats[(r, submitted)]["numberFormat"] == {"type": "DATE", "pattern": "dd/mm/yyyy"}
    thanh_tri = grid.index(row_of(grid, "949"))
    missing = [c for c, v in enumerate(grid[thanh_tri]) if v == "✖ Chưa nộp"]
    assert missing and rgb(formats[(thanh_tri, missing[0])]["backgroundColor"]) == MISSING_FILL
    assert tab_grid(office, STATUS_TAB)["frozenRowCount"] == 4
    # Only the writer's token carries the write scope; the reads stay read-only.
    scopes = list(google.fake.token_scopes.values())
    assert sum(WRITE_SCOPE in s for s in scopes) == 1 and len(scopes) == 2

    google.fake.edit(OFFICE_SHEET, STATUS_TAB, 20, 2, "gõ tay")  # someone types below the table meanwhile
    second = run(path)

    assert second.exit_code == 0, second.output
    assert writes(google, OFFICE_SHEET) == 2  # rewritten on every run, one batch each
    assert list(office.tabs) == ["Trang tính1", STATUS_TAB]
    assert len(shown(office.tabs[STATUS_TAB])) == 16 and "gõ tay" not in str(office.tabs[STATUS_TAB])


def test_feedback_tabs_are_written_once_per_changed_unit_and_not_on_an_unchanged_day(tmp_path, google, private_key_pem):
    path, sheets = writeback_config(tmp_path, google, private_key_pem, unit_feedback=True)
    units = {u: sheets[u] for u in sheets if u != "946"}

    assert run(path).exit_code == 0
    written = {u for u, sheet in units.items() if writes(google, sheet)}
    assert written == WITH_FINDINGS  # a unit with nothing to fix gets no tab
    assert all(writes(google, units[u]) == 1 for u in WITH_FINDINGS)
    my_tu = google.fake.spreadsheets[units["944"]]
    tab = my_tu.tabs[FEEDBACK_TAB]
    assert tab[2] == ["Báo cáo", "Kỳ báo cáo", "Cột", "Dòng", "Ô", "Cần sửa"]
    topic_gid = tab_id(my_tu, "Báo cáo chuyên đề")
    assert [
        "Báo cáo chuyên đề",
        "6 tháng đầu năm 2023",
        "Số lượt HVPN tham dự",
        3,
        f'=HYPERLINK("https://docs.google.com/spreadsheets/d/944-my-tu/edit#gid={topic_gid}&range=G3","G3")',
        "Còn trống; đây là chỉ tiêu bắt buộc.",
    ] in tab
    assert len(tab) == 3 + 4

    assert run(path).exit_code == 0  # same day, nothing changed
    assert {u: writes(google, s) for u, s in units.items() if writes(google, s)} == dict.fromkeys(WITH_FINDINGS, 1)
    assert writes(google, OFFICE_SHEET) == 2

    # Mỹ Tú fills every report in (its sheet now holds a complete unit's data); Kế Sách is untouched.
    my_tu.tabs.update({t: g for t, g in google.fake.spreadsheets[units["941"]].tabs.items() if t != FEEDBACK_TAB})
    google.fake.edit(units["944"], "Báo cáo chuyên đề", 0, 0, my_tu.tabs["Báo cáo chuyên đề"][0][0])
    third = run(path, "2023-07-21")

    assert third.exit_code == 0, third.output
    assert writes(google, units["944"]) == 2
    assert sum(writes(google, s) for u, s in units.items() if u != "944") == len(WITH_FINDINGS) - 1
    assert shown(my_tu.tabs[FEEDBACK_TAB])[3:] == [["Không có lỗi nào. Cảm ơn đơn vị!"]]
    assert "feedback tabs unchanged, not written: 3" in third.output


def test_check_and_a_dry_run_write_nothing_back(tmp_path, google, private_key_pem):
    path, _ = writeback_config(tmp_path, google, private_key_pem, unit_feedback=True)

    checked = CliRunner().invoke(cli, ["--config", str(path), "check", "--today", SAMPLE_TODAY])
    dry = run(path, SAMPLE_TODAY, "--dry-run")

    assert (checked.exit_code, dry.exit_code) == (0, 0), checked.output + dry.output
    assert writes(google) == 0 and google.fake.count("metadata", spreadsheet_id=OFFICE_SHEET) == 0
    assert all(WRITE_SCOPE not in s for s in google.fake.token_scopes.values())



def smtp(path, server):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["mail"]["delivery"] = server.delivery()
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_sheet_shared_as_viewer_only_fails_the_write_never_the_run_and_is_told_once(
    tmp_path, google, private_key_pem, smtp_server
):
    path, sheets = writeback_config(tmp_path, google, private_key_pem, unit_feedback=True)
    smtp(path, smtp_server)
    office = google.fake.spreadsheets[OFFICE_SHEET]
    office.editors = set()  # shared with the service account as Viewer only
    google.fake.spreadsheets[sheets["944"]].editors = set()

    first = run(path)

    assert first.exit_code == 0, first.output  # as without write-back: 946's missing sheet is the unit's to fix
    assert len(smtp_server.messages) == 7  # the report, 5 reminders, 946's sheet notice: none held up
    assert writes(google, OFFICE_SHEET, status=403) == 1 and writes(google, sheets["944"], status=403) == 1
    assert f"status tab of the office's spreadsheet {OFFICE_SHEET}: HTTP 403 PERMISSION_DENIED: share" in first.output
    assert f"share the spreadsheet with {BOT} as Editor" in first.output
    assert STATUS_TAB not in office.tabs
    assert "write-back failed" not in smtp_server.messages[0].text  # that report went out before the write

    assert run(path, "2023-07-21").exit_code == 0  # still Viewer: tried again, no email about it
    assert writes(google, OFFICE_SHEET, status=403) == 2
    digest_day = run(path, "2023-07-24")  # Monday: the weekly digest, the next consolidated email
    digests = [m for m in smtp_server.messages if m.subject.startswith("[Tổng hợp tuần]")]

    assert digest_day.exit_code == 0, digest_day.output
    assert len(digests) == 1, [m.subject for m in smtp_server.messages]
    told = digests[0].text
    assert f"chia sẻ bảng tính này cho tài khoản {BOT} với quyền «Người chỉnh sửa» (Editor)" in told
    assert f"https://docs.google.com/spreadsheets/d/{OFFICE_SHEET}/edit" in told
    assert "bảng tính của Hội LHPN huyện Mỹ Tú" in told and "từ ngày 20/07/2023" in told

    office.editors = None  # the office shares its spreadsheet as Editor
    fixed = run(path, "2023-07-25")
    assert fixed.exit_code == 0 and writes(google, OFFICE_SHEET, status=200) == 1
    assert office.tabs[STATUS_TAB][0] == ["Tình trạng báo cáo của các đơn vị, cập nhật ngày 25/07/2023"]
    run(path, "2023-07-31")  # the next digest: Mỹ Tú's spell was told already, the office's is over
    later = [m for m in smtp_server.messages if m not in digests and m.subject.startswith("[Tổng hợp tuần]")]
    assert len(later) == 1 and "Người chỉnh sửa" not in later[0].text


def test_google_busy_on_write_is_retried_next_run(tmp_path, google, private_key_pem):
    path, _ = writeback_config(tmp_path, google, private_key_pem)
    google.fake.script(OFFICE_SHEET, 429, 429)  # the retry budget (2 attempts) runs out on the tab list

    busy = run(path)
    again = run(path)

    assert (busy.exit_code, again.exit_code) == (0, 0), busy.output + again.output
    assert "write-back failed (retried next run): status tab of the office's spreadsheet" in busy.output
    assert "HTTP 429 RESOURCE_EXHAUSTED after 2 attempt(s)" in busy.output
    assert writes(google, OFFICE_SHEET) == 1 and STATUS_TAB in google.fake.spreadsheets[OFFICE_SHEET].tabs
    with Store.open(tmp_path / "state.sqlite3") as store:
        (write,) = store.sheet_writes().values()
        assert write.failed_since is None and write.written_on == dt.date(2023, 7, 20)
        assert store.schema_version == len(MIGRATIONS)


def test_the_local_source_writes_the_status_table_as_a_workbook(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "board" / "tinh-trang-bao-cao.xlsx"
    path = write_config(tmp_path, writeback={"enabled": True, "office_workbook": "board/tinh-trang-bao-cao.xlsx"})

    dry = run(path, SAMPLE_TODAY, "--dry-run")
    assert dry.exit_code == 0 and not out.exists()
    result = run(path)

    assert result.exit_code == 0, result.output
    assert f"written back: status workbook {out} (16 rows)" in result.output
    sheet = load_workbook(out).active
    assert sheet.title == STATUS_TAB
    assert sheet["A1"].value == "Tình trạng báo cáo của các đơn vị, cập nhật ngày 20/07/2023"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5)}
    my_tu = rows["944"]
    assert my_tu[2].value == "Mở bảng tính"
    assert my_tu[2].hyperlink.target.endswith("/samples/workbooks/944-my-tu.xlsx")
    assert my_tu[3].value.date() == dt.date(2023, 7, 20) and my_tu[3].number_format == "dd/mm/yyyy"
    assert my_tu[7].value == "◐ Chưa đầy đủ" and my_tu[7].fill.fgColor.rgb == "00F8CBAD"
    assert sheet.freeze_panes == "C5"


@pytest.mark.parametrize(
    ("source", "writeback", "message"),
    [
        ("google", {"enabled": True}, "writeback.office_sheet: needed when writeback is enabled"),
        ("google", {"enabled": True, "office_sheet": "not a sheet!"}, "is not a spreadsheet URL or ID"),
        ("local", {"enabled": True}, "writeback.office_workbook: needed"),
        ("local", {"enabled": True, "office_workbook": "a.csv"}, "must be an .xlsx file"),
        ("local", {"enabled": True, "office_workbook": "a.xlsx", "unit_feedback": True}, "writeback.unit_feedback"),
        ("local", {"enabled": True, "office_sheets": "x"}, "writeback.office_sheets: unknown key"),
    ],
)
def test_writeback_settings_are_checked_at_load(tmp_path, source, writeback, message):
    overrides = {"writeback": writeback}
    if source == "google":
        overrides["source"] = {"kind": "google"}
    with pytest.raises(ConfigError, match="invalid configuration") as raised:
        load_config(write_config(tmp_path, **overrides))
    assert message in str(raised.value)


def test_writeback_is_off_by_default(config):
    assert config.writeback.enabled is False and config.writeback.unit_feedback is False


def test_an_existing_tab_smaller_than_the_table_is_grown_in_the_same_batch(tmp_path, google, private_key_pem):
    path, _ = writeback_config(tmp_path, google, private_key_pem)
    office = google.fake.spreadsheets[OFFICE_SHEET]
    office.tabs[STATUS_TAB] = [["bản cũ"]]
    arrange_tab(office, STATUS_TAB, 777, rows=5, columns=3)  # Google refuses cells beyond the grid

    result = run(path)

    assert result.exit_code == 0, result.output
    assert writes(google, OFFICE_SHEET, status=200) == 1
    assert list(office.tabs) == ["Trang tính1", STATUS_TAB] and tab_id(office, STATUS_TAB) == 777
    assert len(shown(office.tabs[STATUS_TAB])) == 16 and "bản cũ" not in office.tabs[STATUS_TAB][0]
    assert tab_grid(office, STATUS_TAB)["rowCount"] == 16


def test_the_office_is_told_only_of_tabs_the_config_still_asks_for(tmp_path):
    from service.notices import delivery_notices

    writeback = {"enabled": True, "office_sheet": OFFICE_SHEET, "unit_feedback": True}
    config = load_config(write_config(tmp_path, source={"kind": "google"}, writeback=writeback))
    today = dt.date(2023, 7, 24)
    with Store.open(config.state_file) as store:
        store.record_write_failure("status", "", OFFICE_SHEET, "permission", "HTTP 403", BOT, today)
        store.record_write_failure("feedback", "944", "944-my-tu", "temporary", "HTTP 503 UNAVAILABLE", BOT, today)
        store.record_write_failure("feedback", "999", "gone", "permission", "HTTP 403", BOT, today)  # unit removed
        told = delivery_notices(config, store, today, "digest|2023-07-24")
        off = delivery_notices(config.model_copy(update={"writeback": config.writeback.model_copy(
            update={"enabled": False})}), store, today, "digest|2023-07-24")  # fmt: skip

    assert told.writes == [("status", ""), ("feedback", "944")]
    assert len(told.sentences) == 2
    assert "bảng tính của Ban Tuyên giáo - Chính sách, Luật pháp" in told.sentences[0]
    assert "«Người chỉnh sửa» (Editor)" in told.sentences[0]
    assert "bảng tính của Hội LHPN huyện Mỹ Tú" in told.sentences[1] and "HTTP 503 UNAVAILABLE" in told.sentences[1]
    assert off.writes == [] and off.sentences == []


def test_a_status_table_past_the_body_budget_goes_in_several_batches_of_consecutive_rows(
    tmp_path, google, private_key_pem
):
    from service.check import collect
    from service.writeback import write_back
    from sync.google_write import SheetWriter

    path, _ = writeback_config(tmp_path, google, private_key_pem)
    config = load_config(path)
    today = dt.date.fromisoformat(SAMPLE_TODAY)
    writer = SheetWriter.from_config(config)
    writer.batch_bytes = 8_000  # a few rows a batch, as thousands of units would need
    with Store.open(config.state_file) as store:
        judgement = collect(config, today, store, command="run")
        outcome = write_back(config, store, judgement, today, writer)

    assert outcome is not None and outcome.failed == []
    batches = writes(google, OFFICE_SHEET, status=200)
    assert batches > 2
    grid = shown(google.fake.spreadsheets[OFFICE_SHEET].tabs[STATUS_TAB])
    assert len(grid) == 16 and [row[0] for row in grid[4:]] == [u.id for u in config.units]
    assert google.fake.count("metadata", spreadsheet_id=OFFICE_SHEET) == 1
