"""The consolidated report as the provincial office receives it: subject, table, totals, .xlsx."""

from __future__ import annotations

import io
import shutil
from html.parser import HTMLParser

import openpyxl
import pytest

from tests.conftest import REPO, SAMPLE_TODAY
from tests.smtp_server import OFFICE, Received, mail_config, run_cli, running_server


@pytest.fixture
def smtp_server(monkeypatch):
    yield from running_server(monkeypatch)


UNIT_NAMES = {
    "941": "Hội LHPN thành phố Sóc Trăng",
    "942": "Hội LHPN huyện Châu Thành",
    "943": "Hội LHPN huyện Kế Sách",
    "944": "Hội LHPN huyện Mỹ Tú",
    "945": "Hội LHPN huyện Cù Lao Dung",
    "946": "Hội LHPN huyện Long Phú",
    "947": "Hội LHPN huyện Mỹ Xuyên",
    "948": "Hội LHPN thị xã Ngã Năm",
    "949": "Hội LHPN huyện Thạnh Trị",
    "950": "Hội LHPN thị xã Vĩnh Châu",
    "951": "Hội LHPN huyện Trần Đề",
    "TT01": "Hội LHPN cơ sở Bệnh viện Đa khoa tỉnh",
}


class _Rows(HTMLParser):
    """Collects the cell texts of every <tr class="..."> of an HTML body."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and dict(attrs).get("class"):
            self.rows.append((dict(attrs)["class"], []))
        elif tag == "td" and self.rows:
            self._cell = []
        elif tag == "h2":
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        for target in (self._cell, self._heading):
            if target is not None:
                target.append(data)


def parse(html: str) -> _Rows:
    parser = _Rows()
    parser.feed(html)
    return parser


def office_reports(messages: list[Received]) -> list[Received]:
    return [m for m in messages if m.message["To"] == OFFICE]


def xlsx_of(received: Received) -> tuple[str, openpyxl.Workbook]:
    part = next(p for p in received.message.iter_attachments())
    return part.get_filename(), openpyxl.load_workbook(io.BytesIO(part.get_content()))


def test_the_day_after_the_deadline_the_office_receives_one_consolidated_report(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    [report] = office_reports(smtp_server.messages)
    assert report.rcpt_tos == [OFFICE]
    assert report.message["Cc"] is None
    assert report.subject.startswith("Tổng hợp báo cáo Tháng 7/2023 – Chuyên đề năm 2023 «Sóc Trăng phát huy ý chí")
    assert report.subject.endswith("» – ngày 20/07/2023")
    assert report.message["From"].addresses[0].display_name == (
        "Ban Tuyên giáo - Chính sách, Luật pháp, Hội LHPN tỉnh Sóc Trăng"
    )
    assert "đã kết thúc vào ngày 18/07/2023" in report.text


def test_the_report_has_a_row_per_unit_with_status_date_and_key_indicators_and_totals(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)
    [report] = office_reports(smtp_server.messages)

    rows = parse(report.html).rows
    units = {cells[1]: cells for kind, cells in rows if kind == "unit"}
    assert list(units) == list(UNIT_NAMES.values())
    assert units["Hội LHPN thành phố Sóc Trăng"] == [
        "1",
        "Hội LHPN thành phố Sóc Trăng",
        "Đầy đủ, đúng hạn",
        "17/07/2023",
        "14",
        "14",
        "12",
    ]
    assert units["Hội LHPN huyện Mỹ Tú"] == ["4", "Hội LHPN huyện Mỹ Tú", "Chưa đầy đủ", "", "9", "9", ""]
    assert units["Hội LHPN huyện Long Phú"][2:] == ["Chưa đọc được bảng tính", "", "", "", ""]
    [totals] = [cells for kind, cells in rows if kind == "totals"]
    assert totals == ["", "Tổng cộng", "102", "102", "88"]
    assert (
        "đã nộp: 9 (75%); đầy đủ: 8 (66,7%); đúng hạn: 8 (66,7%); trễ hạn: 0; chưa đầy đủ: 1; chưa nộp: 2;"
        " chưa đọc được bảng tính: 1." in report.text
    )
    assert "Đơn vị chưa nộp: Hội LHPN huyện Thạnh Trị; Hội LHPN huyện Trần Đề." in report.text
    assert "Đơn vị chưa đọc được bảng tính (không tính là chưa nộp; hệ thống sẽ đọc lại ở lần sau):" in report.text
    assert "sẽ đọc lại ở lần sau): Hội LHPN huyện Long Phú." in report.text
    assert "Ô 'Cam kết hằng tháng'!E7 («Số CBCC-NLĐ thực hiện tốt cam kết») còn trống" in report.text


def test_the_xlsx_attachment_holds_summary_units_and_findings(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)
    [report] = office_reports(smtp_server.messages)

    name, book = xlsx_of(report)
    assert name == "tong-hop-sau-han-2023-m07-20230720.xlsx"
    assert book.sheetnames == ["Tổng hợp", "Đơn vị", "Phát hiện"]
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    header, row = summary[0], dict(zip(summary[0], summary[1], strict=True))
    assert len(summary) == 2 and "Số đơn vị phải nộp" in header
    counts = ("Kỳ báo cáo", "Số đơn vị phải nộp", "Đã nộp", "Đầy đủ", "Chưa nộp", "Chưa đọc được bảng tính")
    assert tuple(row[k] for k in counts) == ("Tháng 7/2023", 12, 9, 8, 2, 1)
    units = list(book["Đơn vị"].iter_rows(values_only=True))
    by_unit = [dict(zip(units[0], r, strict=True)) for r in units[1:]]
    assert [r["Mã đơn vị"] for r in by_unit] == [*UNIT_NAMES, None]
    assert by_unit[-1]["Đơn vị"] == "Tổng cộng"
    assert (by_unit[-1]["Tổng số CBCC-NLĐ"], by_unit[-1]["Số CBCC-NLĐ thực hiện tốt cam kết"]) == (102, 88)
    assert by_unit[3]["Tình trạng"] == "Chưa đầy đủ" and by_unit[0]["Ngày nộp"].date().isoformat() == "2023-07-17"
    findings = list(book["Phát hiện"].iter_rows(values_only=True))
    assert [(r[2], r[4]) for r in findings[1:]] == [("944", "'Cam kết hằng tháng'!E7"), ("946", None), ("951", None)]


def test_the_weekly_digest_covers_every_period_with_a_unit_still_outstanding(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server), "2023-07-24")  # a Monday, digest_weekday 0

    assert result.exit_code == 0, result.output
    [digest] = office_reports(smtp_server.messages)
    assert digest.subject.startswith(
        "Tình hình báo cáo hằng tuần (T2/2023, T3/2023, T4/2023, dot-xuat-2023-04, T5/2023"
    )
    assert digest.subject.endswith("– ngày 24/07/2023")
    headings = parse(digest.html).headings
    assert [h.split(" – ", 1)[1] for h in headings] == [
        "Tháng 2/2023",
        "Tháng 3/2023",
        "Tháng 4/2023",
        "Báo cáo nhanh kết quả học tập Chuyên đề (đột xuất tháng 4/2023)",
        "Tháng 5/2023",
        "Tháng 6/2023",
        "6 tháng đầu năm 2023",
        "Tháng 7/2023",
    ]
    _, book = xlsx_of(digest)
    assert book["Tổng hợp"].max_row == 1 + 8


def test_when_the_last_outstanding_unit_completes_the_office_is_told_once(tmp_path, smtp_server):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    path = mail_config(tmp_path, smtp_server, units=["941", "944"], workbooks=workbooks)
    run_cli(path, SAMPLE_TODAY)
    assert [m.subject.split(" – ")[0] for m in office_reports(smtp_server.messages)] == [
        "Tổng hợp báo cáo Tháng 7/2023"
    ]

    book = openpyxl.load_workbook(workbooks / "944-my-tu.xlsx")
    book["Cam kết hằng tháng"]["E7"] = 8
    book.save(workbooks / "944-my-tu.xlsx")
    for today in ("2023-07-21", "2023-07-21", "2023-07-22"):
        assert run_cli(path, today).exit_code == 0

    reports = office_reports(smtp_server.messages)
    assert [m.subject.split(" – ")[0] for m in reports] == [
        "Tổng hợp báo cáo Tháng 7/2023",
        "Các đơn vị đã hoàn thành báo cáo Tháng 7/2023",
    ]
    assert "tất cả các đơn vị đã hoàn thành báo cáo Tháng 7/2023" in reports[1].text
    assert [c[2] for k, c in parse(reports[1].html).rows if k == "unit"] == ["Đầy đủ, đúng hạn", "Đầy đủ, trễ hạn"]
