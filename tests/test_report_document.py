"""The draft Báo cáo as the office opens it in Word: heading by layout, page, figures, units' words."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.shared import Pt

from consolidation.document import period_slug, report_docx
from consolidation.figures import consolidate
from consolidation.texts import mail_text
from main import cli
from service.check import collect
from service.report import report_form
from settings import load_config
from store import Store
from tests.conftest import REPO, SAMPLE_TODAY, write_config
from vntext import format_number

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
STATE_LAYOUT = {
    "layout": "state",
    "superior_body": "TỈNH HỘI LHPN SÓC TRĂNG",
    "issuing_body": "BAN TUYÊN GIÁO - CSLP",
    "number_suffix": "BC-HLHPN",
    "signer_title": "TRƯỞNG BAN",
}


def document_of(config, today=TODAY, period="2023-H1"):
    with Store.open(config.state_file) as store:
        judgement = collect(config, today, store)
    [section] = consolidate(config, judgement, [(report_form(config, judgement, period), period)], "").sections
    return docx.Document(io.BytesIO(report_docx(config, section, today))), section


@pytest.fixture
def party(config):
    return document_of(config)


@pytest.fixture
def state(tmp_path):
    return document_of(load_config(write_config(tmp_path, report=STATE_LAYOUT)))


def heading_lines(document) -> list[str]:
    [heading, *_] = document.tables
    return [p.text for cell in heading._cells for p in cell.paragraphs if p.text]


def paragraph(document, text: str):
    return next(p for p in document.paragraphs if p.text == text)


def body_text(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_the_party_layout_heads_the_report_as_guidance_36_hd_vptw_does(party):
    document, _ = party
    lines = heading_lines(document)

    assert lines[:2] == ["TỈNH ỦY SÓC TRĂNG", "ĐẢNG ĐOÀN HỘI LHPN TỈNH"]
    assert "*" in lines and "ĐẢNG CỘNG SẢN VIỆT NAM" in lines
    [number] = [line for line in lines if line.startswith("Số")]
    assert number.endswith("-BC/ĐĐ") and ":" not in number
    cells = {p.text: p for cell in document.tables[0]._cells for p in cell.paragraphs}
    assert all(r.bold for r in cells["ĐẢNG ĐOÀN HỘI LHPN TỈNH"].runs)
    assert all(r.bold and r.underline for r in cells["ĐẢNG CỘNG SẢN VIỆT NAM"].runs)  # the rule under it


def test_the_state_layout_heads_the_report_as_decree_30_does(state):
    document, _ = state
    lines = heading_lines(document)

    assert lines[:2] == ["TỈNH HỘI LHPN SÓC TRĂNG", "BAN TUYÊN GIÁO - CSLP"]
    assert lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") + 1 == lines.index("Độc lập - Tự do - Hạnh phúc")
    assert "*" not in lines and "ĐẢNG CỘNG SẢN VIỆT NAM" not in lines
    [number] = [line for line in lines if line.startswith("Số")]
    assert number.startswith("Số:") and number.endswith("/BC-HLHPN")
    cells = {p.text: p for cell in document.tables[0]._cells for p in cell.paragraphs}
    assert all(r.bold and r.underline for r in cells["Độc lập - Tự do - Hạnh phúc"].runs)


@pytest.mark.parametrize("layout", ["party", "state"])
def test_both_layouts_are_a4_times_new_roman_with_the_decrees_margins(layout, request):
    document, _ = request.getfixturevalue(layout)

    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size in (Pt(13), Pt(14))
    fonts = normal.element.rPr.rFonts
    assert {fonts.get(f"{{{fonts.nsmap['w']}}}{a}") for a in ("ascii", "hAnsi", "eastAsia", "cs")} == {
        "Times New Roman"
    }
    [page] = document.sections
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)
    mm = {side: round(getattr(page, f"{side}_margin").mm, 1) for side in ("top", "bottom", "left", "right")}  # twips
    assert 20 <= mm["top"] <= 25 and 20 <= mm["bottom"] <= 25
    assert 30 <= mm["left"] <= 35 and 15 <= mm["right"] <= 20


@pytest.mark.parametrize("layout", ["party", "state"])
def test_the_date_is_written_in_words_in_italics(layout, request):
    document, _ = request.getfixturevalue(layout)

    [date] = [p for cell in document.tables[0]._cells for p in cell.paragraphs if "ngày" in p.text]
    assert date.text == "Sóc Trăng, ngày 20 tháng 7 năm 2023"
    assert all(run.italic for run in date.runs)


def test_the_title_and_its_line_name_the_topic_and_the_period(party):
    document, _ = party

    title = paragraph(document, "BÁO CÁO")
    assert title.alignment == 1 and all(r.bold for r in title.runs)  # centred
    summary = body_text(document)[body_text(document).index("BÁO CÁO") + 1]
    assert summary.startswith("Kết quả học tập và thực hiện Chuyên đề năm 2023 “Sóc Trăng phát huy ý chí tự lực")
    assert summary.endswith("” 6 tháng đầu năm 2023")


def test_a_yearly_report_names_its_period_mid_sentence(config):
    document, _ = document_of(config, today=dt.date(2023, 12, 20), period="2023-Y")
    text = body_text(document)

    assert text[text.index("BÁO CÁO") + 1].endswith("” năm 2023")


def test_section_i_counts_the_units_that_reported(party):
    document, _ = party
    text = body_text(document)

    first = text[text.index("I. TÌNH HÌNH TRIỂN KHAI THỰC HIỆN") + 1]
    assert first.startswith("Đến ngày 20/07/2023, 11/12 đơn vị đã gửi báo cáo, trong đó 8 đơn vị báo cáo đầy đủ")
    assert "Chưa đọc được bảng tính: Long Phú." in first


def test_section_ii_tells_the_totals_in_vi_vn_numbers(party):
    document, section = party
    text = body_text(document)
    totals = dict(zip((c.key for c in section.indicators), section.totals, strict=True))

    sentence = text[text.index("II. KẾT QUẢ THỰC HIỆN") + 1]
    assert sentence.startswith(
        f"Các đơn vị đã tổ chức {totals['study_sessions']} buổi học tập, quán triệt; "
        f"với {totals['officials_attended']} lượt CBCC-NLĐ tham dự; "
    )
    assert "29.750 lượt hội viên, phụ nữ tham dự" in sentence
    assert sentence.endswith("hỗ trợ an sinh xã hội trị giá 91.900.000 đồng.")


def test_the_units_table_has_a_row_per_unit_owing_the_report_and_totals_that_add_up(party):
    document, section = party
    [_, table, _] = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]

    assert rows[0][:2] == ["Đơn vị", "Tình trạng"] and rows[0][2:] == [c.label for c in section.indicators]
    units = rows[1:-1]
    assert len(units) == 12
    assert [r[0] for r in units][:4] == ["TP Sóc Trăng", "Châu Thành", "Kế Sách", "Mỹ Tú"]
    assert units[5][:3] == ["Long Phú", "Chưa đọc được bảng tính", "—"]
    totals = rows[-1]
    assert totals[0] == "Tổng cộng"
    for column in range(2, len(totals)):
        numbers = [int(r[column].replace(".", "")) for r in units if r[column] != "—"]
        assert int(totals[column].replace(".", "")) == sum(numbers)


def test_section_iii_attributes_every_difficulty_and_proposal_to_its_unit(party):
    document, _ = party
    text = body_text(document)
    difficulties = text[text.index("1. Khó khăn, vướng mắc") + 1 : text.index("2. Đề xuất, kiến nghị")]
    proposals = text[text.index("2. Đề xuất, kiến nghị") + 1 : text.index("IV. NHỮNG THAY ĐỔI SO VỚI BÁO CÁO TRƯỚC")]

    assert "- Hội LHPN huyện Mỹ Tú: Kinh phí hỗ trợ xây dựng mô hình còn hạn chế." in difficulties
    assert (
        "- Hội LHPN cơ sở Bệnh viện Đa khoa tỉnh: Cán bộ y tế trực theo ca kíp nên khó bố trí thời gian học tập"
        " tập trung." in difficulties
    )
    assert "- Hội LHPN huyện Kế Sách: Đề nghị Tỉnh Hội cung cấp thêm tài liệu song ngữ Việt - Khmer." in proposals
    assert len(difficulties) == len(proposals) == 11  # every unit read; Long Phú's sheet was not
    assert not any("Long Phú" in line for line in difficulties)


def test_sections_iv_and_v_and_the_closing_blocks(party):
    document, _ = party
    text = body_text(document)

    assert text[text.index("IV. NHỮNG THAY ĐỔI SO VỚI BÁO CÁO TRƯỚC") + 1] == "Không có."
    assert text[text.index("V. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI") + 1].startswith(
        "Phương hướng, nhiệm vụ thời gian tới:"
    )
    recipients, signature = document.tables[-1].rows[0].cells
    assert [p.text for p in recipients.paragraphs] == ["Nơi nhận:", "- Như trên;", "- Lưu VP."]
    signed = [p.text for p in signature.paragraphs]
    assert signed[:3] == ["T/M ĐẢNG ĐOÀN", "PHÓ BÍ THƯ", "(Ký tên, đóng dấu)"]
    assert signed[-1] == "[Họ và tên]" and "" in signed  # room to sign


def test_section_iv_lists_data_changed_after_it_was_submitted(tmp_path):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    config = load_config(write_config(tmp_path, source={"kind": "local", "folder": str(workbooks)}))
    document_of(config)  # the service sees the report complete
    book = openpyxl.load_workbook(workbooks / "941-tp-soc-trang.xlsx")
    book["Báo cáo chuyên đề"]["C3"] = 9
    book.save(workbooks / "941-tp-soc-trang.xlsx")

    document, _ = document_of(config, today=TODAY + dt.timedelta(days=1))
    text = body_text(document)
    [change] = text[
        text.index("IV. NHỮNG THAY ĐỔI SO VỚI BÁO CÁO TRƯỚC") + 1 : text.index(
            "V. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI"
        )
    ]
    assert change.startswith("- Hội LHPN thành phố Sóc Trăng: Kỳ 6 tháng đầu năm 2023: đơn vị đã sửa số liệu đã nộp")


def test_report_writes_the_docx_and_the_workbook_of_the_period(config_path, tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        cli, ["--config", str(config_path), "report", "--period", "2023-H1", "--out", str(out), "--today", SAMPLE_TODAY]
    )

    assert result.exit_code == 0, result.output
    docx_path, xlsx_path = out / "bao-cao-6-thang-dau-nam-2023.docx", out / "tong-hop-6-thang-dau-nam-2023.xlsx"
    charts = [out / "bieu-do-tinh-trang-6-thang-dau-nam-2023.png", out / "bieu-do-chi-tieu-6-thang-dau-nam-2023.png"]
    assert result.output.splitlines() == [str(docx_path), str(xlsx_path), *map(str, charts)]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in charts)
    assert "BÁO CÁO" in body_text(docx.Document(docx_path))
    book = openpyxl.load_workbook(xlsx_path)
    assert book.sheetnames[0] == mail_text("workbook", "summary") and book.sheetnames[-1] == mail_text(
        "workbook", "findings"
    )
    assert any("6 tháng đầu năm 2023" in name or "6T-2023" in name for name in book.sheetnames[1:-1]), book.sheetnames


def test_report_refuses_a_period_nothing_is_owed_for(config_path, tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(config_path),
            "report",
            "--period",
            "2031-H1",
            "--out",
            str(tmp_path),
            "--today",
            SAMPLE_TODAY,
        ],
    )

    assert result.exit_code == 2
    assert "no report is owed for period '2031-H1'" in result.output


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("6 tháng đầu năm 2023", "6-thang-dau-nam-2023"),
        ("Năm 2023", "nam-2023"),
        ("Đột xuất 4/2023", "dot-xuat-4-2023"),
    ],
)
def test_file_names_carry_the_period_in_ascii(name, slug):
    assert period_slug(name) == slug


def test_the_document_shows_the_status_chart_after_the_units_table(config, store):
    judgement = collect(config, dt.date(2023, 7, 20), store)
    [section] = consolidate(config, judgement, [("topic_report", "2023-H1")], "Số dòng").sections
    document = docx.Document(io.BytesIO(report_docx(config, section, dt.date(2023, 7, 20))))
    [picture] = document.inline_shapes
    assert picture.width.mm == pytest.approx(120, abs=0.5)
    images = [p for p in document.part.package.parts if p.content_type == "image/png"]
    assert len(images) == 1 and images[0].blob.startswith(b"\x89PNG")


def test_the_yearly_report_tells_the_year_end_commitment_results_summed_over_units(tmp_path):
    workbooks = tmp_path / "workbooks"
    shutil.copytree(REPO / "samples" / "workbooks", workbooks)
    written = {}
    for path in sorted(workbooks.glob("94[1-4]-*.xlsx")):  # four units give their year-end results
        book = openpyxl.load_workbook(path)
        tab = book["Cam kết hằng tháng"]
        officials, committed, met = 10 + len(written), 9, 7 + len(written) % 2
        tab.append(["Năm 2023", dt.datetime(2023, 12, 15), officials, committed, met, None, ""])
        book.save(path)
        written[path.name] = (officials, committed, met)
    config_path = write_config(tmp_path, source={"kind": "local", "folder": str(workbooks)})
    out = tmp_path / "reports"

    result = CliRunner().invoke(
        cli, ["--config", str(config_path), "report", "--period", "2023-Y", "--out", str(out), "--today", "2023-12-20"]
    )

    assert result.exit_code == 0, result.output
    document = docx.Document(out / "bao-cao-nam-2023.docx")
    text = body_text(document)
    heading = "* Kết quả thực hiện bản cam kết tu dưỡng, rèn luyện, phấn đấu (năm 2023):"
    sentence = text[text.index(heading) + 1]
    officials, committed, met = (sum(v[i] for v in written.values()) for i in range(3))
    rate = format_number(round(100 * met / committed, 1))
    assert sentence == (
        f"Tổng số {officials} CBCC-NLĐ, trong đó {committed} người có bản cam kết tu dưỡng, rèn luyện, phấn đấu"
        f" và {met} người thực hiện tốt cam kết (đạt {rate}% số người có bản cam kết)."
    )
    table = next(t for t in document.tables if t.rows[0].cells[-1].text == "Số CBCC-NLĐ thực hiện tốt cam kết")
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[-1][0] == "Tổng cộng" and rows[-1][2:] == [str(officials), str(committed), str(met)]
    given = [row for row in rows[1:-1] if row[2] != "—"]
    assert len(given) == len(written)
    assert text.index("II. KẾT QUẢ THỰC HIỆN") < text.index(heading) < text.index(
        "III. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ"
    )
