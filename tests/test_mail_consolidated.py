"""The consolidated report as the provincial office receives it: subject, table, totals, .xlsx."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from html.parser import HTMLParser

import openpyxl

from consolidation.texts import render
from delivery.render import consolidated_context
from delivery.schedule import AFTER_DEADLINE, plan
from service.check import collect
from store.ledger import LedgerView
from tests.conftest import REPO, SAMPLE_TODAY, sheet_table
from tests.smtp_server import OFFICE, Received, mail_config, run_cli

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
SHORT_NAMES = [
    "TP Sóc Trăng",
    "Châu Thành",
    "Kế Sách",
    "Mỹ Tú",
    "Cù Lao Dung",
    "Long Phú",
    "Mỹ Xuyên",
    "TX Ngã Năm",
    "Thạnh Trị",
    "TX Vĩnh Châu",
    "Trần Đề",
    "Bệnh viện Đa khoa tỉnh",
]


class _Rows(HTMLParser):
    """Collects the cell texts of every <tr class="..."> of an HTML body, its <h2> and <th> texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self.headings: list[str] = []
        self.headers: list[str] = []
        self._cell: list[str] | None = None
        self._header: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and dict(attrs).get("class"):
            self.rows.append((dict(attrs)["class"], []))
        elif tag == "td" and self.rows:
            self._cell = []
        elif tag == "h2":
            self._heading = []
        elif tag == "th":
            self._header = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        elif tag == "th" and self._header is not None:
            self.headers.append("".join(self._header).strip())
            self._header = None

    def handle_data(self, data):
        for target in (self._cell, self._heading, self._header):
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
    assert report.subject == (
        "[Tổng hợp] Tháng 7/2023: 9/12 đơn vị đã nộp (1 chưa đủ), 2 chưa nộp, 1 chưa đọc được (20/07/2023)"
    )
    assert report.message["From"].addresses[0].display_name == (
        "Ban Tuyên giáo - Chính sách, Luật pháp, Hội LHPN tỉnh Sóc Trăng"
    )
    assert "Hạn nộp báo cáo Tháng 7/2023 về việc học tập và thực hiện Chuyên đề năm 2023 «Sóc Trăng" in report.text
    assert "đã kết thúc ngày 18/07/2023. Tình hình đến ngày 20/07/2023:" in report.text


def test_the_report_opens_with_a_summary_naming_who_has_not_reported(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)
    [report] = office_reports(smtp_server.messages)

    summary = report.text.split("TÓM TẮT\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert summary == [
        "Đã nộp 9/12 (75%) · đầy đủ 8/12 (66,7%) · đúng hạn 8/12 (66,7%)",
        "✖ Chưa nộp (2): Thạnh Trị, Trần Đề",
        "◐ Chưa đầy đủ (1): Mỹ Tú",
        "⚠ Chưa đọc được bảng tính (1): Long Phú (không tính là chưa nộp; hệ thống sẽ đọc lại ở lần sau)",
    ]
    html = report.html
    assert html.index("Thạnh Trị, Trần Đề") < html.index('<tr class="unit">')
    assert "✖ Chưa nộp</span> (2): <strong>Thạnh Trị, Trần Đề</strong>" in html


def test_the_report_has_a_row_per_unit_with_status_date_and_key_indicators_and_totals(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)
    [report] = office_reports(smtp_server.messages)

    rows = parse(report.html).rows
    units = {cells[0]: cells for kind, cells in rows if kind == "unit"}
    assert list(units) == SHORT_NAMES
    assert units["TP Sóc Trăng"] == ["TP Sóc Trăng", "✔ Đúng hạn", "17/07/2023", "14", "14", "12"]
    assert units["Mỹ Tú"] == ["Mỹ Tú", "◐ Chưa đầy đủ", "—", "9", "9", "—"]
    assert units["Long Phú"][1:] == ["⚠ Chưa đọc được", "—", "—", "—", "—"]
    assert units["Trần Đề"][1] == "✖ Chưa nộp"
    [totals] = [cells for kind, cells in rows if kind == "totals"]
    assert totals == ["Tổng cộng", "102", "102", "88"]
    text = report.text
    assert (
        "Số liệu theo thứ tự: Tổng số CBCC-NLĐ | Số CBCC-NLĐ có bản cam kết | Số CBCC-NLĐ thực hiện tốt cam kết\n"
        in text
    )
    assert " 1. TP Sóc Trăng – ✔ Đúng hạn, nộp 17/07/2023: 14 | 14 | 12\n" in text
    assert " 4. Mỹ Tú – ◐ Chưa đầy đủ: 9 | 9 | —\n" in text
    assert " 6. Long Phú – ⚠ Chưa đọc được\n" in text
    assert " Tổng cộng: 102 | 102 | 88\n" in text
    assert " - Mỹ Tú: Cột «Số CBCC-NLĐ thực hiện tốt cam kết», dòng 7 (ô E7): còn trống" in text


def test_the_xlsx_attachment_holds_summary_units_and_findings(tmp_path, smtp_server):
    run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY)
    [report] = office_reports(smtp_server.messages)

    name, book = xlsx_of(report)
    assert name == "tong-hop-sau-han-thang-7-2023-20230720.xlsx"
    assert book.sheetnames == ["Tổng hợp", "Cam kết hằng tháng T7-2023", "Phát hiện"]
    [row] = sheet_table(book["Tổng hợp"])
    counts = ("Kỳ báo cáo", "Số đơn vị phải nộp", "Đã nộp", "Đầy đủ", "Chưa nộp", "Chưa đọc được bảng tính")
    assert tuple(row[k] for k in counts) == ("Tháng 7/2023", 12, 9, 8, 2, 1)
    by_unit = sheet_table(book["Cam kết hằng tháng T7-2023"])
    assert [r["Mã đơn vị"] for r in by_unit] == [*UNIT_NAMES, None]
    assert by_unit[-1]["Đơn vị"] == "Tổng cộng"
    assert (by_unit[-1]["Tổng số CBCC-NLĐ"], by_unit[-1]["Số CBCC-NLĐ thực hiện tốt cam kết"]) == (102, 88)
    assert by_unit[3]["Tình trạng"] == "Chưa đầy đủ" and by_unit[0]["Ngày nộp"].date().isoformat() == "2023-07-17"
    findings = sheet_table(book["Phát hiện"])
    assert [(r["Mã đơn vị"], r["Ô"]) for r in findings] == [
        ("944", "'Cam kết hằng tháng'!E7"),
        ("946", None),
        ("951", None),
    ]


def test_the_weekly_digest_is_one_table_of_units_by_outstanding_report(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server), "2023-07-24")  # a Monday, digest_weekday 0

    assert result.exit_code == 0, result.output
    [digest] = office_reports(smtp_server.messages)
    assert digest.subject == "[Tổng hợp tuần] 24/07/2023: 5 đơn vị còn nợ 12 báo cáo đã hết hạn (cũ nhất T2/2023)"
    page = parse(digest.html)
    months = [f"T{m}/2023" for m in range(7, 1, -1)]  # the newest first: in view on a phone
    assert page.headers == ["Đơn vị", "Cam kết hằng tháng", "Báo cáo chuyên đề", *months, "6T/2023", "Đột xuất 4/2023"]
    units = {cells[0]: cells[1:] for kind, cells in page.rows if kind == "unit"}
    assert units == {
        "Mỹ Tú": ["◐ Chưa đủ", *["✔"] * 5, "◐ Chưa đủ", "✔"],
        "Cù Lao Dung": [*["✔"] * 6, "◐ Chưa đủ", "✔"],
        "Long Phú": ["⚠ Chưa đọc"] * 8,
        "TX Ngã Năm": [*["✔"] * 6, "◐ Chưa đủ", "✔"],
        "Thạnh Trị": ["✖ Chưa nộp", *["✔"] * 5, "✔", "✖ Chưa nộp"],
        "Trần Đề": [*["✖ Chưa nộp"] * 6, "✔", "✔"],
    }
    [totals] = [cells for kind, cells in page.rows if kind == "totals"]
    assert totals == ["Đã nộp", "9/12", *["10/12"] * 5, "11/12", "9/11"]
    text = digest.text
    assert "✖ Còn nợ báo cáo (5 đơn vị): Mỹ Tú (2), Cù Lao Dung (1), TX Ngã Năm (1), Thạnh Trị (2), Trần Đề (6)" in text
    assert (
        "1. Cam kết hằng tháng – Tháng 7/2023 (hạn 18/07/2023): đã nộp 9/12\n"
        "   ✖ Chưa nộp: Thạnh Trị, Trần Đề\n"
        "   ◐ Chưa đầy đủ: Mỹ Tú\n"
        "   ⚠ Chưa đọc được bảng tính: Long Phú\n" in text
    )
    assert len(text.splitlines()) < 60  # not every report in full again: that is the attachment
    name, book = xlsx_of(digest)
    assert name == "tong-hop-hang-tuan-20230724.xlsx"
    assert len(sheet_table(book["Tổng hợp"])) == 8  # one row per outstanding report
    assert len(book.sheetnames) == 1 + 8 + 1
    assert "dot-xuat" not in digest.subject + digest.html + text  # periods as staff name them


def test_when_the_last_outstanding_unit_completes_the_office_is_told_once(tmp_path, smtp_server):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    path = mail_config(tmp_path, smtp_server, units=["941", "944"], workbooks=workbooks)
    run_cli(path, SAMPLE_TODAY)
    assert [m.subject for m in office_reports(smtp_server.messages)] == [
        "[Tổng hợp] Tháng 7/2023: 2/2 đơn vị đã nộp (1 chưa đủ) (20/07/2023)"
    ]

    book = openpyxl.load_workbook(workbooks / "944-my-tu.xlsx")
    book["Cam kết hằng tháng"]["E7"] = 8
    book.save(workbooks / "944-my-tu.xlsx")
    for today in ("2023-07-21", "2023-07-21", "2023-07-22"):
        assert run_cli(path, today).exit_code == 0

    reports = office_reports(smtp_server.messages)
    assert [m.subject for m in reports] == [
        "[Tổng hợp] Tháng 7/2023: 2/2 đơn vị đã nộp (1 chưa đủ) (20/07/2023)",
        "[Tổng hợp] Tháng 7/2023: cả 2 đơn vị đã hoàn thành, 1 trễ hạn (21/07/2023)",
    ]
    assert "Đến ngày 21/07/2023, tất cả các đơn vị đã hoàn thành báo cáo Tháng 7/2023" in reports[1].text
    assert [c[1] for k, c in parse(reports[1].html).rows if k == "unit"] == ["✔ Đúng hạn", "✔ Trễ hạn"]


def test_delivery_notices_and_late_reports_show_in_the_report(config, store):
    judgement = collect(config, dt.date(2023, 7, 20), store)
    [email] = [e for e in plan(config, judgement, LedgerView()) if e.kind == AFTER_DEADLINE]
    template, context, _ = consolidated_context(config, judgement, email)
    notice = "Thư nhắc gửi Mỹ Tú chưa gửi được: máy chủ thư từ chối địa chỉ hlhpn.mytu@example.vn."

    for part in ("html", "txt"):
        shown = render(f"{template}.{part}", **{**context, "notices": [notice], "late_periods": ["2023-M07"]})
        assert f"⚑ {notice}" in shown
        assert "Kết quả thực hiện bản cam kết tu dưỡng, rèn luyện, phấn đấu – Tháng 7/2023 (báo cáo bù)" in shown
        plain = render(f"{template}.{part}", **context)
        assert "⚑" not in plain and "(báo cáo bù)" not in plain
