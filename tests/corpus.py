"""A corpus of hostile unit workbooks, built at test time (never committed): every way a clerk's
sheet goes wrong, as an .xlsx file written byte for byte and as the grids Google would serve.

Each workbook is written by hand (``xlsx_bytes``) rather than by openpyxl, so that it can hold
what openpyxl cannot write: a formula's cached value, or none at all, and error cells.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from tests.sheets_fake_values import sheets_value
from vntext import column_letter

TOPIC = "Báo cáo chuyên đề"
COMMITMENT = "Cam kết hằng tháng"
PEOPLE = "Gương điển hình"
H1 = "6 tháng đầu năm 2023"
TOPIC_HEADER = [
    "Kỳ báo cáo",
    "Ngày báo cáo",
    "Số buổi học tập, quán triệt",
    "Tổng số CBCC-NLĐ",
    "Số CBCC-NLĐ tham dự",
    "Số lượt HVPN tham dự",
    "Số buổi tuyên truyền miệng",
    "Số CBCC-NLĐ viết bản cam kết",
    "Số mô hình học tập và làm theo xây dựng mới",
    "Số hội viên, hộ được hỗ trợ",
    "Giá trị hỗ trợ (đồng)",
    "Khó khăn, vướng mắc",
]
TOPIC_ROW = [H1, dt.datetime(2023, 6, 16), 4, 35, 33, 1200, 6, 35, 2, 10, 5_000_000, "Không có"]
COMMITMENT_HEADER = [
    "Tháng",
    "Ngày báo cáo",
    "Tổng số CBCC-NLĐ",
    "Số CBCC-NLĐ có bản cam kết",
    "Số CBCC-NLĐ thực hiện tốt cam kết",
    "Tỷ lệ thực hiện tốt (%)",
    "Ghi chú",
]
COMMITMENT_ROW = ["Tháng 6/2023", dt.datetime(2023, 6, 16), 35, 35, 30, 85, ""]
PEOPLE_HEADER = ["Kỳ báo cáo", "Họ và tên", "Chức vụ, đơn vị", "Lĩnh vực", "Thành tích nổi bật", "Hình thức ghi nhận"]
PERSON = ["Năm 2023", "Nguyễn Thị Lan", "Chi hội trưởng", "Kinh tế", "Nuôi heo đất", "Biểu dương"]


@dataclass(frozen=True)
class Error:
    """An error cell, as Excel stores a formula that failed (#REF!, #DIV/0!)."""

    text: str


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``cached`` is the value saved with it (None: never computed), ``computed``
    what Google, which always computes, serves."""

    text: str
    cached: Any = None
    computed: Any = None


Expect = tuple[str, str | None, str]  # finding code, cell ('Tab'!C2) or None, a fragment of its text


@dataclass
class Case:
    """One hostile workbook, and what the service must say about it (or read from it).

    ``expect``: findings there must be; ``values``: the topic report's values read right;
    ``submitted``: its submission day (the unit's report date, on the service's first reading);
    ``google``: what Google gives instead, where it cannot be the same, and ``why`` not.
    """

    name: str
    tabs: dict[str, list[list[Any]]] = field(default_factory=dict)
    expect: list[Expect] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    submitted: dt.date | None = None
    status: str | None = None
    merges: dict[str, list[str]] = field(default_factory=dict)
    raw: bytes | None = None  # a file that is not a workbook, whatever its name says
    google: list[Expect] | None = None
    why: str = ""


def topic(*rows: list[Any], header: list[Any] | None = None) -> dict[str, list[list[Any]]]:
    return {TOPIC: [list(header or TOPIC_HEADER), *[list(r) for r in rows]]}


def topic_with(**changes: Any) -> list[Any]:
    """The valid topic row with some cells changed, by column letter: ``C="x"``."""
    row = list(TOPIC_ROW)
    for letters, value in changes.items():
        row[ord(letters) - 65] = value
    return row


# --- writing ---------------------------------------------------------------------------------------
EPOCH = dt.datetime(1899, 12, 30)
_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/styles.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
{sheets}</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
</styleSheet>"""
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _serial(value: dt.date) -> float:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    return (moment - EPOCH) / dt.timedelta(days=1)


def _typed(value: Any) -> tuple[str, str, str]:
    """(type attribute, style attribute, the <v> or <is> content) of a plain value."""
    if isinstance(value, bool):
        return ' t="b"', "", f"<v>{int(value)}</v>"
    if isinstance(value, (dt.date, dt.datetime)):
        return "", ' s="1"', f"<v>{_serial(value)!r}</v>"
    if isinstance(value, (int, float)):
        return "", "", f"<v>{value!r}</v>"
    if isinstance(value, Error):
        return ' t="e"', "", f"<v>{escape(value.text)}</v>"
    return ' t="inlineStr"', "", f'<is><t xml:space="preserve">{escape(str(value))}</t></is>'


def _cell(ref: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Formula):
        formula = f"<f>{escape(value.text.removeprefix('='))}</f>"
        if value.cached is None:
            return f'<c r="{ref}">{formula}<v></v></c>'
        kind, style, content = _typed(value.cached)
        kind = ' t="str"' if kind == ' t="inlineStr"' else kind
        content = f"<v>{escape(str(value.cached))}</v>" if kind == ' t="str"' else content
        return f'<c r="{ref}"{kind}{style}>{formula}{content}</c>'
    kind, style, content = _typed(value)
    return f'<c r="{ref}"{kind}{style}>{content}</c>'


def _sheet_xml(rows: list[list[Any]], merges: list[str]) -> str:
    lines = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{column_letter(c)}{r}", v) for c, v in enumerate(row))
        if cells:
            lines.append(f'<row r="{r}">{cells}</row>')
    lines.append("</sheetData>")
    if merges:
        lines.append(f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges))
        lines.append("</mergeCells>")
    lines.append("</worksheet>")
    return "".join(lines)


def xlsx_bytes(case: Case) -> bytes:
    """The workbook of ``case``, as Excel would save it (cached values, error cells, merges)."""
    import io

    titles = list(case.tabs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\n'
            for n in range(1, len(titles) + 1)
        )
        archive.writestr("[Content_Types].xml", _TYPES.format(sheets=overrides))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        sheets = "".join(
            f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            for n, t in enumerate(titles, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(titles) + 1)
        )
        rels += f'<Relationship Id="rId{len(titles) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        archive.writestr("xl/styles.xml", _STYLES)
        for n, title in enumerate(titles, start=1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", _sheet_xml(case.tabs[title], case.merges.get(title, [])))
    return buffer.getvalue()


def google_value(value: Any) -> Any:
    """A cell as values:batchGet (UNFORMATTED_VALUE, SERIAL_NUMBER) answers it."""
    if isinstance(value, Formula):
        return google_value(value.cached if value.computed is None else value.computed)
    if isinstance(value, Error):
        return value.text  # Google sends a formula's error as its text
    return sheets_value(value)


def google_tabs(case: Case) -> dict[str, list[list[Any]]]:
    return {title: [[google_value(v) for v in row] for row in rows] for title, rows in case.tabs.items()}


def write_corpus(cases: list[Case], folder: Path) -> None:
    """Every case's file into ``folder``, named ``<case>.xlsx``."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        (folder / f"{case.name}.xlsx").write_bytes(case.raw if case.raw is not None else xlsx_bytes(case))


# --- the cases -------------------------------------------------------------------------------------
def at(a1: str, tab: str = TOPIC) -> str:
    return f"'{tab}'!{a1}"


def junk_rows(count: int) -> list[list[Any]]:
    return [[f"dòng rác {n}", "", n] for n in range(count)]


LONG = "Khó khăn " * 5556  # 50,004 characters
SCRIPT = '<script>alert("x")</script><b>đậm</b>'
UPLOADED = "an .xlsx uploaded to Drive is never read as a workbook: Google refuses it until it is converted"
COMPLETE = "complete_on_time"
CASES: list[Case] = [
    # Characters that show nothing, where headers, tab titles and periods are matched.
    Case("bom-in-a1", topic(TOPIC_ROW, header=["\ufeffKỳ báo cáo", *TOPIC_HEADER[1:]]), status=COMPLETE),
    Case(
        "zero-width-in-header",
        topic(TOPIC_ROW, header=[*TOPIC_HEADER[:3], "Tổng số\u200b CBCC-NLĐ", *TOPIC_HEADER[4:]]),
        values={"officials_total": 35},
        status=COMPLETE,
    ),
    Case(
        "zero-width-joiner-in-header",
        topic(TOPIC_ROW, header=[*TOPIC_HEADER[:5], "Số lượt\u200d HVPN tham dự", *TOPIC_HEADER[6:]]),
        values={"members_attended": 1200},
        status=COMPLETE,
    ),
    Case(
        "line-break-in-header",
        topic(TOPIC_ROW, header=[*TOPIC_HEADER[:3], "Tổng số\r\nCBCC-NLĐ", *TOPIC_HEADER[4:]]),
        values={"officials_total": 35},
        status=COMPLETE,
    ),
    Case("zero-width-in-period", topic(topic_with(A="6 tháng\u200b đầu năm\ufeff 2023")), status=COMPLETE),
    Case("no-break-space-in-period", topic(topic_with(A="6\u00a0tháng đầu năm\u202f2023")), status=COMPLETE),
    Case("zero-width-in-tab-title", {"Báo cáo\u200b chuyên đề": topic(TOPIC_ROW)[TOPIC]}, status=COMPLETE),
    Case("zero-width-in-number", topic(topic_with(F="1\u200b200")), values={"members_attended": 1200}, status=COMPLETE),
    Case("invisible-only-row", topic(TOPIC_ROW, ["\u200b", "\ufeff", " "]), status=COMPLETE),
    # Formulas: their errors, their values, and formulas never computed.
    Case(
        "error-ref",
        topic(topic_with(C=Error("#REF!"))),
        expect=[("formula_error", at("C2"), "chứa lỗi công thức #REF!")],
        status="incomplete",
    ),
    Case(
        "error-div0-formula",
        topic(topic_with(E=Formula("=D2/0", cached=Error("#DIV/0!")))),
        expect=[("formula_error", at("E2"), "«Số CBCC-NLĐ tham dự») chứa lỗi công thức #DIV/0!")],
    ),
    Case(
        "error-na-in-text",
        topic(topic_with(L=Error("#N/A"))),
        expect=[("formula_error", at("L2"), "chứa lỗi công thức #N/A")],
    ),
    Case(
        "error-in-period",
        topic(topic_with(A=Error("#VALUE!"))),
        expect=[("formula_error", at("A2"), "(«Kỳ báo cáo») chứa lỗi công thức #VALUE!")],
        status="missing",
    ),
    Case(
        "error-in-report-date",
        topic(topic_with(B=Error("#NAME?"))),
        expect=[("formula_error", at("B2"), "chứa lỗi công thức #NAME?")],
        status="complete_late",
    ),
    Case(
        "formula-computed",
        topic(topic_with(C=Formula("=2+2", cached=4))),
        values={"study_sessions": 4},
        status=COMPLETE,
    ),
    Case(
        "formula-text-result",
        topic(topic_with(L=Formula('="Không"&" có"', cached="Không có"))),
        values={"difficulties": "Không có"},
        status=COMPLETE,
    ),
    Case(
        "formula-never-computed",
        topic(topic_with(C=Formula("=SUM(X1:X3)", computed=4))),
        expect=[("formula_not_computed", at("C2"), "có công thức «=SUM(X1:X3)» nhưng tệp chưa lưu kết quả tính")],
        google=[],
        why="Google computes every formula: it serves the value",
    ),
    Case("template-row-of-errors", topic(TOPIC_ROW, ["", "", "", "", Error("#DIV/0!")]), status=COMPLETE),
    Case(
        "formula-looking-text",
        topic(topic_with(C="=1+1")),
        expect=[("not_a_number", at("C2"), "ghi «=1+1», không phải là số")],
    ),
    # Rows: without a period, blank in the middle, only headers, thousands of junk, past 5,000.
    Case(
        "row-without-period",
        topic(TOPIC_ROW, topic_with(A="")),
        expect=[
            (
                "missing_period",
                at("A3"),
                "Ô 'Báo cáo chuyên đề'!A3 («Kỳ báo cáo») còn trống: dòng 3 có số liệu nhưng chưa ghi kỳ báo cáo",
            )
        ],
    ),
    Case("blank-middle-rows", topic([], [], [""] * 5, TOPIC_ROW), status=COMPLETE),
    Case("headers-only", topic(), status="missing"),
    Case(
        "junk-rows",
        topic(*junk_rows(2000)),
        expect=[
            ("unknown_period", at("A21"), "không nhận ra kỳ báo cáo «dòng rác 19»"),
            (
                "more_findings",
                None,
                "… và 1.980 dòng khác cùng lỗi trên trang tính «Báo cáo chuyên đề» (không nhận ra kỳ báo cáo)",
            ),
        ],
    ),
    Case(
        "rows-past-10000",
        topic(TOPIC_ROW, *junk_rows(10_050)),
        expect=[
            (
                "too_many_rows",
                None,
                "có hơn 5.000 dòng; hệ thống chỉ đọc 5.000 dòng đầu, các dòng từ dòng 5.001 trở đi",
            ),
            ("more_findings", None, "… và 4.978 dòng khác cùng lỗi"),
        ],
        status=COMPLETE,
    ),
    Case(
        "duplicate-period",
        topic(topic_with(C=1), TOPIC_ROW),
        expect=[("duplicate_period", at("A2"), "có hai dòng số liệu")],
        values={"study_sessions": 4},
    ),
    # Headers: duplicated, renamed, missing, merged.
    Case(
        "duplicate-header",
        topic([*TOPIC_ROW, 99], header=[*TOPIC_HEADER, "Tổng số CBCC-NLĐ"]),
        expect=[("duplicate_column", at("M1"), "Cột «Tổng số CBCC-NLĐ» xuất hiện hai lần")],
        values={"officials_total": 35},
    ),
    Case(
        "renamed-header",
        topic(TOPIC_ROW, header=[*TOPIC_HEADER[:2], "Số buổi học tập", *TOPIC_HEADER[3:]]),
        expect=[("missing_column", None, "thiếu cột «Số buổi học tập, quán triệt» ở dòng tiêu đề (dòng 1)")],
        status="incomplete",
    ),
    Case(
        "missing-period-header",
        topic(TOPIC_ROW, header=["", *TOPIC_HEADER[1:]]),
        expect=[("missing_column", None, "thiếu cột «Kỳ báo cáo»")],
        status="missing",
    ),
    Case(
        "merged-header",
        {TOPIC: [[*TOPIC_HEADER[:3], "Tổng số CBCC-NLĐ", "", *TOPIC_HEADER[5:]], TOPIC_ROW]},
        merges={TOPIC: ["D1:E1"]},
        expect=[("missing_column", None, "thiếu cột «Số CBCC-NLĐ tham dự»")],
    ),
    Case(
        "merged-period-cells",
        {PEOPLE: [PEOPLE_HEADER, PERSON, ["", "Trần Thị Mai", "Hội viên", "Khác", "Tiết kiệm", "Biểu dương"]]},
        merges={PEOPLE: ["A2:A3"]},
        expect=[("missing_period", at("A3", PEOPLE), "nếu ô đã gộp với ô phía trên, đề nghị bỏ gộp")],
    ),
    # Values: vi-VN numbers, out of range, as Python would print them, dates every way.
    Case(
        "vi-vn-number-text",
        topic(topic_with(F="1.200", K="5.000.000,5")),
        values={"members_attended": 1200, "welfare_value": Decimal("5000000.5")},
        status=COMPLETE,
    ),
    Case("decimal-comma", topic(topic_with(K="2,5")), values={"welfare_value": Decimal("2.5")}, status=COMPLETE),
    Case(
        "ambiguous-number",
        topic(topic_with(F="12,000")),
        expect=[("ambiguous_number", at("F2"), "ghi «12,000»: không rõ")],
    ),
    Case(
        "not-an-integer",
        topic(topic_with(C=2.5)),
        expect=[("not_an_integer", at("C2"), "ghi «2,5», phải là số nguyên")],
    ),
    Case(
        "float-artifact",
        topic(topic_with(F=1199.9999999999998, K=3479.9999999999995)),
        values={"members_attended": 1200, "welfare_value": Decimal("3480")},
        status=COMPLETE,
    ),
    Case(
        "boolean-as-number",
        topic(topic_with(C=True)),
        expect=[("not_a_number", at("C2"), "ghi «TRUE», không phải là số")],
    ),
    Case(
        "date-as-number",
        topic(topic_with(C=dt.datetime(2023, 6, 16))),
        expect=[("not_a_number", at("C2"), "ghi «16/06/2023», không phải là số")],
        google=[],
        why="Google serves a date as its serial number: 45093 sessions is a number",
    ),
    Case(
        "negative-count", topic(topic_with(G=-3)), expect=[("below_min", at("G2"), "ghi -3, nhỏ hơn mức tối thiểu 0")]
    ),
    Case(
        "negative-count-text",
        topic(topic_with(G="-1.500")),
        expect=[("below_min", at("G2"), "ghi -1.500, nhỏ hơn mức tối thiểu 0")],
    ),
    Case(
        "percent-over-100",
        {COMMITMENT: [COMMITMENT_HEADER, [*COMMITMENT_ROW[:5], 120, ""]]},
        expect=[("above_max", at("F2", COMMITMENT), "ghi 120, lớn hơn mức tối đa 100")],
    ),
    Case(
        "percent-text-over-100",
        {COMMITMENT: [COMMITMENT_HEADER, [*COMMITMENT_ROW[:5], "150,5%", ""]]},
        expect=[("above_max", at("F2", COMMITMENT), "ghi 150,5%, lớn hơn mức tối đa 100")],
    ),
    *[
        Case(f"date-{label}", topic(topic_with(B=value)), submitted=dt.date(2023, 6, 16), status=COMPLETE)
        for label, value in [
            ("dd-mm-yyyy-slash", "16/06/2023"),
            ("dd-mm-yyyy-dash", "16-06-2023"),
            ("dd-mm-yyyy-dot", "16.6.2023"),
            ("iso", "2023-06-16"),
            ("serial", 45093),
            ("date-cell", dt.date(2023, 6, 16)),
            ("spaces", " 16/06/2023 "),
        ]
    ],
    Case(
        "date-month-first",
        topic(topic_with(B="06/16/2023")),
        expect=[("not_a_date", at("B2"), "ghi «06/16/2023», không phải ngày hợp lệ")],
        status="complete_late",
    ),
    Case("date-words", topic(topic_with(B="ngày 16 tháng 6")), expect=[("not_a_date", at("B2"), "«ngày 16 tháng 6»")]),
    # Text: emoji, very long cells, HTML and script, line breaks.
    Case(
        "emoji-in-text",
        topic(topic_with(L="Thiếu kinh phí 😊👩\u200d👩\u200d👧")),
        values={"difficulties": "Thiếu kinh phí 😊👩\u200d👩\u200d👧"},
        status=COMPLETE,
    ),
    Case("emoji-in-period", topic(topic_with(A="Năm 2023 🎉")), expect=[("unknown_period", at("A2"), "«Năm 2023 🎉»")]),
    Case("long-text", topic(topic_with(L=LONG)), values={"difficulties": LONG.strip()}, status=COMPLETE),
    Case(
        "long-number-cell",
        topic(topic_with(C=LONG)),
        expect=[("not_a_number", at("C2"), "ghi «" + LONG[:59] + "…», không phải là số")],
    ),
    Case("script-in-text", topic(topic_with(L=SCRIPT)), values={"difficulties": SCRIPT}, status=COMPLETE),
    Case("script-in-number", topic(topic_with(C=SCRIPT)), expect=[("not_a_number", at("C2"), "ghi «<script>alert(")]),
    Case(
        "line-breaks-in-name",
        {PEOPLE: [PEOPLE_HEADER, [PERSON[0], "Nguyễn\r\nThị\nLan", *PERSON[2:]]]},
        values={"full_name": "Nguyễn Thị Lan"},
    ),
    # Tabs: twins after folding, missing.
    Case(
        "twin-tabs",
        {"báo cáo chuyên đề": topic(TOPIC_ROW)[TOPIC], "BÁO CÁO CHUYÊN ĐỀ ": topic()[TOPIC]},
        expect=[("duplicate_tab", None, "Hệ thống đọc trang «báo cáo chuyên đề», bỏ qua «BÁO CÁO CHUYÊN ĐỀ »")],
        status=COMPLETE,
    ),
    # Every tab the unit owes is there, so Google reads them by name and lists no titles.
    Case(
        "twin-of-exact-tab",
        {
            TOPIC: topic(TOPIC_ROW)[TOPIC],
            "báo cáo chuyên đề": topic()[TOPIC],
            COMMITMENT: [COMMITMENT_HEADER, COMMITMENT_ROW],
            PEOPLE: [PEOPLE_HEADER, PERSON],
        },
        expect=[("duplicate_tab", None, "Hệ thống đọc trang «Báo cáo chuyên đề», bỏ qua «báo cáo chuyên đề»")],
        status=COMPLETE,
        google=[],
        why="Google is asked for the form's exact title and never lists the others",
    ),
    Case(
        "missing-tab",
        {"Trang tính1": [["x"]]},
        expect=[
            ("missing_tab", None, "Không có trang tính «Báo cáo chuyên đề». Các trang tính hiện có: «Trang tính1»")
        ],
    ),
    # Files that are not workbooks.
    Case(
        "empty-file",
        raw=b"",
        expect=[("unreadable_workbook", None, "không đúng định dạng .xlsx")],
        google=[("not_a_google_sheet", None, "chưa phải Google Trang tính")],
        why=UPLOADED,
    ),
    Case(
        "csv-renamed",
        raw="Kỳ báo cáo;Số buổi\n6 tháng đầu năm 2023;4\n".encode(),
        expect=[("unreadable_workbook", None, "tệp bị hỏng hoặc không đúng định dạng .xlsx")],
        google=[("not_a_google_sheet", None, "Lưu dưới dạng Google Trang tính")],
        why=UPLOADED,
    ),
    Case(
        "zip-not-workbook",
        raw=b"PK\x05\x06" + b"\x00" * 18,
        expect=[("unreadable_workbook", None, "không đúng định dạng .xlsx")],
        google=[("not_a_google_sheet", None, "chưa phải Google Trang tính")],
        why=UPLOADED,
    ),
]


if __name__ == "__main__":
    import sys

    write_corpus(CASES, Path(sys.argv[1] if len(sys.argv) > 1 else "corpus"))
    print(f"{len(CASES)} workbooks written")
