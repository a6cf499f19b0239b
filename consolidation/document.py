"""The draft Báo cáo (.docx) of one form × period: heading, figures, units' own words, changes.

Laid out as a Party document (Hướng dẫn 36-HD/VPTW) or a state one (Nghị định 30/2020/NĐ-CP) as
config's ``report.layout`` says; its fixed texts are in templates/report.yaml. python-docx is
imported when a document is made, not with this module.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from consolidation.charts import status_chart
from consolidation.figures import Consolidation, Section
from consolidation.names import period_name, short_unit_name
from consolidation.texts import report_lines, report_text, report_value
from rules.messages import status_text
from settings.schema import Config, Form, ReportDocument
from vntext import ascii_fold, format_number, vn_date

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
BODY_PT, SMALL_PT, TABLE_PT = 14, 12, 10
# Decree 30 and Guidance 36 allow top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
PAGE_MM = (210, 297)  # A4
# The state heading's right column holds "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" on one line.
HEADER_COLUMNS_MM = {"party": (80, 85), "state": (70, 95)}
# Type sizes that differ: the title (36-HD: 15–16 pt; NĐ 30: 13–14 pt), the state heading's lines
# (NĐ 30: 12–13 pt; Guidance 36 sets the heading at the body size).
TITLE_PT = {"party": 16, "state": 14}
STATE_HEADING_PT = 13
STATE_NAME_PT = 12
CLOSING_COLUMNS_MM = (80, 85)
UNIT_COLUMNS_MM = (24, 19)  # unit, status; the indicators share the rest of the 165 mm
CHART_MM = 120  # the status chart, 640 px wide: readable, and well inside the 165 mm of text
# Findings that say a unit changed what it had already submitted.
CHANGE_CODES = frozenset({"submitted_data_changed", "submitted_data_removed", "approved_data_changed"})
# The periods the units report on in a Báo cáo of their own (seed III.2: "định kỳ 6 tháng, năm").
DOCUMENT_PERIODS = frozenset({"six_monthly", "yearly"})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def has_figures(form: Form) -> bool:
    """A form with a numeric key indicator: its Báo cáo has totals to tell."""
    return any(form.field(key).numeric for key in form.key_indicators)


def period_slug(name: str) -> str:
    """An ASCII file-name part: "6 tháng đầu năm 2023" → "6-thang-dau-nam-2023"."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(name)).strip("-")


def document_name(config: Config, section: Section) -> str:
    """bao-cao-6-thang-dau-nam-2023.docx"""
    return f"bao-cao-{period_slug(period_name(config, section.period))}.docx"


def document_sections(consolidation: Consolidation) -> list[Section]:
    """The sections a consolidated email carries a Báo cáo for: per six-monthly or yearly period,
    the first of its forms with figures."""
    chosen: dict[str, Section] = {}
    for section in consolidation.sections:
        if section.period.type in DOCUMENT_PERIODS and has_figures(section.form):
            chosen.setdefault(section.period.id, section)
    return list(chosen.values())


def companion_sections(consolidation: Consolidation, main: Section) -> list[Section]:
    """The other forms with figures reported for ``main``'s period: a yearly Báo cáo on the topic
    also tells the year-end commitment results (seed: "hằng tháng và cuối năm")."""
    return [
        s
        for s in consolidation.sections
        if s is not main and s.period.id == main.period.id and s.form.key != main.form.key and has_figures(s.form)
    ]


def date_in_words(report: ReportDocument, day: dt.date) -> str:
    """ "Sóc Trăng, ngày 20 tháng 7 năm 2023": a day under 10 and months 1–2 get a leading zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return report_text("date_line", place=report.place, day=f"{day.day:02d}", month=month, year=day.year)


def summary_line(config: Config, section: Section) -> str:
    """What the report is about: "Kết quả học tập và thực hiện Chuyên đề năm 2023 “…” 6 tháng đầu năm 2023"."""
    key = section.form.key if report_value("summary", section.form.key) else "default"
    year = section.period.year
    return report_text(
        "summary", key, form_title=section.form.title, period=period_name(config, section.period),
        year=year, topic=config.organisation.topics.get(year, ""),
    )  # fmt: skip


def carried_out_lines(section: Section, today: dt.date) -> list[str]:
    """Section I: who has reported so far, then the placeholder for how the topic was carried out."""
    summary = section.summary
    names = ", ".join
    return report_lines(
        "carried_out", date=vn_date(today), expected=summary.expected, submitted=summary.submitted,
        complete=summary.complete, on_time=summary.on_time, late=summary.late,
        missing=names(short_unit_name(u) for u in section.missing_units),
        unreadable=names(short_unit_name(u) for u in section.unreadable_units),
    )  # fmt: skip


def results_sentence(section: Section) -> str:
    """One sentence from the totals of the numeric key indicators, in vi-VN numbers."""
    parts = []
    for indicator, total in zip(section.indicators, section.totals, strict=True):
        if not indicator.numeric or total is None:
            continue
        value = format_number(total)
        if report_value("results_parts", indicator.key):
            parts.append(report_text("results_parts", indicator.key, value=value))
        else:
            parts.append(report_text("results_other", label=indicator.label, value=value))
    return report_text("results_sentence", parts=parts) if parts else report_text("results_none")


def companion_sentence(section: Section) -> str:
    """The totals of another form of the period in one sentence: its own phrase in report.yaml
    (by form key), else the generic one."""
    totals = {i.key: t for i, t in zip(section.indicators, section.totals, strict=True) if i.numeric}
    if report_value("companion_sentence", section.form.key) is None:
        return results_sentence(section)

    def percent(part: str, whole: str) -> str:
        if not totals.get(whole) or totals.get(part) is None:
            return ""
        return format_number(round(100 * totals[part] / totals[whole], 1))

    shown = {key: ("" if value is None else format_number(value)) for key, value in totals.items()}
    return report_text("companion_sentence", section.form.key, v=shown, percent=percent)


def units_table(section: Section) -> list[list[str]]:
    """Header, a row per unit (short name, status, key indicators), then the totals."""
    empty = report_text("table", "empty")
    header = [report_text("table", "unit"), report_text("table", "status")] + [c.label for c in section.indicators]
    rows = [header]
    for row in section.rows:
        values = [empty if v is None else format_number(v) for v in row.values]
        rows.append([short_unit_name(row.unit), status_text(row.report.status), *values])
    totals = [empty if t is None else format_number(t) for t in section.totals]
    rows.append([report_text("table", "total"), "", *totals])
    return rows


def units_texts(section: Section) -> list[tuple[str, list[str]]]:
    """Per text field of the form, its label and each unit's words attributed to the unit."""
    gathered = []
    for field in (f for f in section.form.fields if f.type == "text"):
        lines = [
            report_text("attributed", unit=row.unit.name, text=str(row.report.values[field.key]).strip())
            for row in section.rows
            if str(row.report.values.get(field.key) or "").strip()
        ]
        gathered.append((field.label, lines))
    return gathered


def change_lines(section: Section) -> list[str]:
    """The units that changed or removed data they had submitted for this period."""
    return [
        report_text("attributed", unit=row.unit.name, text=finding.message)
        for row in section.rows
        for finding in row.findings
        if finding.code in CHANGE_CODES and finding.period_id in (None, section.period.id)
    ]


def report_docx(config: Config, section: Section, today: dt.date, companions: Sequence[Section] = ()) -> bytes:
    """The draft Báo cáo of ``section`` dated ``today``, as .docx bytes; ``companions`` (other
    forms of the same period, see companion_sections) get their totals and table in section II."""
    import docx

    document = docx.Document()
    _page(document)
    _heading(document, config.report, today)
    _paragraph(document, report_text("title"), bold=True, centred=True, before=12, size=TITLE_PT[config.report.layout])
    _paragraph(document, summary_line(config, section), bold=True, centred=True, after=12)
    _body(document, config, section, today, companions)
    _closing(document, config.report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _body(document: Document, config: Config, section: Section, today: dt.date, companions: Sequence[Section]) -> None:
    _paragraph(document, report_text("sections", "carried_out"), bold=True)
    for line in carried_out_lines(section, today):
        _paragraph(document, line, indent=True)
    _paragraph(document, report_text("sections", "results"), bold=True)
    _paragraph(document, results_sentence(section), indent=True)
    _paragraph(document, report_text("results_table_intro"), indent=True)
    _table(document, units_table(section))
    _chart(document, status_chart(section))
    for companion in companions:
        title = report_text(
            "companion_heading", title=companion.form.title, period=period_name(config, companion.period)
        )
        _paragraph(document, title, bold=True, indent=True, before=6)
        _paragraph(document, companion_sentence(companion), indent=True)
        _table(document, units_table(companion))
    _paragraph(document, report_text("sections", "difficulties"), bold=True, before=6)
    for number, (label, lines) in enumerate(units_texts(section), start=1):
        _paragraph(document, report_text("text_heading", number=number, label=label), bold=True, indent=True)
        for line in lines or [report_text("nothing")]:
            _paragraph(document, line, indent=True)
    _paragraph(document, report_text("sections", "changes"), bold=True)
    for line in change_lines(section) or [report_text("changes_none")]:
        _paragraph(document, line, indent=True)
    # Section V goes to the next page with the signature rather than leave it alone there.
    _paragraph(document, report_text("sections", "directions"), bold=True).paragraph_format.keep_with_next = True
    _paragraph(document, report_text("directions"), indent=True).paragraph_format.keep_with_next = True


def _chart(document: Document, png: bytes) -> None:
    """A chart centred across the text width, after the table it illustrates."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    document.add_picture(io.BytesIO(png), width=Mm(CHART_MM))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _page(document: Document) -> None:
    """A4, the margins of both decrees, Times New Roman for every script Word may pick."""
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    for section in document.sections:
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        for side, mm in MARGINS_MM.items():
            setattr(section, f"{side}_margin", Mm(mm))
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.15


def _heading(document: Document, report: ReportDocument, today: dt.date) -> None:
    """Issuing bodies and number on the left, the national heading and the date on the right."""
    from docx.shared import Mm

    table = document.add_table(rows=2, cols=2)
    _no_borders(table)
    _widths(table, [Mm(mm) for mm in HEADER_COLUMNS_MM[report.layout]])
    _narrow_cell_margins(table)
    bodies, national = table.cell(0, 0), table.cell(0, 1)
    number, date = table.cell(1, 0), table.cell(1, 1)
    party = report.layout == "party"
    body_pt = None if party else STATE_HEADING_PT
    _cell_line(bodies, report.superior_body, first=True, size=body_pt)
    # A state document rules a line under the issuing body; a Party one puts a star below it.
    _cell_line(bodies, report.issuing_body, bold=True, underline=not party, size=body_pt)
    if party:
        _cell_line(bodies, report_text("star"))
    lines = report_value("national", report.layout)
    for i, line in enumerate(lines):
        # The rule under the national heading is as long as its last line (36-HD, NĐ 30).
        size = STATE_NAME_PT if not party and i == 0 else body_pt
        _cell_line(national, line, bold=True, underline=i == len(lines) - 1, first=i == 0, size=size)
    _cell_line(number, report_text("number", report.layout, suffix=report.number_suffix), first=True, size=13)
    _cell_line(date, date_in_words(report, today), italic=True, first=True)


def _closing(document: Document, report: ReportDocument) -> None:
    """Nơi nhận on the left; on the right the signer's title, room to sign, the name."""
    from docx.shared import Mm

    document.add_paragraph().paragraph_format.keep_with_next = True
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [Mm(mm) for mm in CLOSING_COLUMNS_MM])
    _keep_together(table.rows[0])
    recipients, signature = table.rows[0].cells
    party = report.layout == "party"
    _cell_line(recipients, report_text("recipients_title"), first=True, size=SMALL_PT + 2 if party else SMALL_PT,
               bold=not party, italic=not party, underline=party, centred=False)  # fmt: skip
    for i, name in enumerate(report.recipients):
        line = report_text("recipient", name=name, last=i == len(report.recipients) - 1)
        _cell_line(recipients, line, size=SMALL_PT, centred=False)
    _cell_line(signature, report.signer_title, bold=True, first=True)
    if report.signer_position:
        _cell_line(signature, report.signer_position, bold=True)
    _cell_line(signature, report_text("sign_here"), italic=True)
    for _ in range(3):
        _cell_line(signature, "")
    _cell_line(signature, report.signer_name or report_text("signer_name_placeholder"), bold=True)


def _paragraph(
    document: Document, text: str, bold: bool = False, centred: bool = False, indent: bool = False,
    before: int = 0, after: int = 6, size: int | None = None,
) -> Paragraph:  # fmt: skip
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    layout = paragraph.paragraph_format
    layout.space_before, layout.space_after = Pt(before), Pt(after)
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        layout.first_line_indent = Mm(10)
    return paragraph


def _cell_line(
    cell: _Cell, text: str, bold: bool = False, italic: bool = False, underline: bool = False,
    first: bool = False, size: int | None = None, centred: bool = True,
) -> None:  # fmt: skip
    """A line of a heading or signature cell (the cell's own first paragraph for the first)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold or None, italic or None, underline or None
    if size:
        run.font.size = Pt(size)


def _table(document: Document, rows: list[list[str]]) -> None:
    """The units table: ruled, header and totals in bold, numbers right-aligned; a column of long
    numbers (values in đồng) gets the room to keep them on one line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = document.styles["Table Grid"]
    body_mm = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"] - sum(UNIT_COLUMNS_MM)
    weights = [max(7, *(len(row[c]) for row in rows[1:])) for c in range(len(UNIT_COLUMNS_MM), len(rows[0]))]
    _widths(table, [Mm(mm) for mm in UNIT_COLUMNS_MM] + [Mm(body_mm * w / sum(weights)) for w in weights])
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            paragraph = table.cell(r, c).paragraphs[0]
            run = paragraph.add_run(value)
            run.font.size = Pt(TABLE_PT)
            run.bold = (r == 0 or r == len(rows) - 1) or None
            if r == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif c >= 2:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _widths(table: Any, widths: list[Any]) -> None:
    """Fixed column widths, on the grid (LibreOffice) and on every cell (Word)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _keep_together(row: Any) -> None:
    """A row that moves to the next page whole: the signature never parts from its title."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _narrow_cell_margins(table: Any) -> None:
    """0.5 mm left and right inside the heading's cells, so a long body's name keeps to one line."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), "28")  # twentieths of a point
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def _no_borders(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)
