"""Makes the pictures of the Vietnamese guides (docs/img/*.png) from a real demo run.

On a copy of the sample workbooks in a temporary folder it runs the service as cron would, on
20, 21 and 24 July 2023 (Thạnh Trị types a period the service cannot read on the 21st and puts it
right on the 24th), lays out a missing unit's template with `provision`, then screenshots in
headless Chromium the emails of the outbox (their HTML part, with the sender, recipients and
attachments above it as a mail client shows them), the status board, a few tabs of the units'
workbooks and of the control workbook drawn as a spreadsheet, and the first page of a draft
Báo cáo. Nothing in the repository is written but docs/img.

Needs Debian's chromium and chromium-driver (as the layout tests do); runs on a dev machine:

    python docs/make_pictures.py            # writes docs/img/*.png
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import html
import io
import shutil
import subprocess
import sys
import tempfile
from email import policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import yaml
from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import open_chromium  # noqa: E402

OUT = REPO / "docs" / "img"
MAX_BYTES = 150_000
FONT = "Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
MARK = "outline:2px solid #d93025;outline-offset:-2px;background:#fce8e6;"  # a cell a finding names
UNIT_WIDTHS = {0: 70, 1: 200, 2: 70, 3: 60, 4: 150, 5: 200, 6: 210, 7: 70}  # the «Đơn vị» tab's columns
ACTIVE_TAB = "background:#fff;color:#1a73e8;font-weight:bold;border-bottom:3px solid #1a73e8"


# --- the demo -----------------------------------------------------------------------------------
class Demo:
    """The shipped config on copies of the samples, with its own state file, outbox and board."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.workbooks = root / "workbooks"
        shutil.copytree(REPO / "samples" / "workbooks", self.workbooks)
        raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
        raw.update(state_file=str(root / "state.sqlite3"), log_file=None, board_file=str(root / "board.html"))
        raw["source"]["folder"] = str(self.workbooks)
        raw["mail"]["delivery"] = {"transport": "outbox", "folder": str(root / "outbox")}
        self.config = root / "config.yaml"
        self.config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        self.sent: dict[str, list[Path]] = {}

    def main(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(REPO / "main.py"), "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        if done.returncode != 0:
            raise SystemExit(f"main.py {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
        return done.stdout

    def run(self, day: str) -> list[Path]:
        """`run --today day`; the emails it wrote to the outbox."""
        before = set((self.root / "outbox").glob("*.eml"))
        self.main("run", "--today", day)
        self.sent[day] = sorted(set((self.root / "outbox").glob("*.eml")) - before)
        return self.sent[day]

    def email(self, day: str, prefix: str) -> Path:
        return next(p for p in self.sent[day] if p.name.startswith(prefix))


def type_period(workbook: Path, tab: str, row: list) -> None:
    """A unit adds a row to a tab of its workbook (as typing it in Excel would)."""
    book = openpyxl.load_workbook(workbook)
    book[tab].append(row)
    book.save(workbook)


def set_cell(workbook: Path, tab: str, cell: str, value) -> None:
    book = openpyxl.load_workbook(workbook)
    book[tab][cell] = value
    book.save(workbook)


# --- pages --------------------------------------------------------------------------------------
def email_page(path: Path) -> str:
    """The email's HTML part, its inline images as data: URLs, under the headers a client shows."""
    message: EmailMessage = email.message_from_binary_file(path.open("rb"), policy=policy.default)
    body = message.get_body(("html",)).get_content()
    attached = []
    for part in message.walk():
        cid = part.get("Content-ID")
        if part.get_content_maintype() == "image" and cid:
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            body = body.replace(f"cid:{cid.strip('<>')}", f"data:{part.get_content_type()};base64,{data}")
        elif part.get_filename() and part.get_content_maintype() != "image":
            attached.append(part.get_filename())
    rows = [("Tiêu đề", message["Subject"]), ("Từ", message["From"]), ("Đến", message["To"])]
    if message["Cc"]:
        rows.append(("Đồng gửi", message["Cc"]))
    if attached:
        rows.append(("Tệp đính kèm", ", ".join(f"{name}" for name in attached)))
    head = "".join(
        f'<tr><td style="color:#666;padding:1px 8px 1px 0;white-space:nowrap;vertical-align:top">{k}:</td>'
        f'<td style="padding:1px 0;{"font-weight:bold" if k == "Tiêu đề" else ""}">{html.escape(str(v))}</td></tr>'
        for k, v in rows
    )
    header = (
        f'<div style="font-family:{FONT};font-size:13px;background:#f1f3f4;border-bottom:1px solid #ccc;'
        f'padding:8px 12px"><table style="border-collapse:collapse">{head}</table></div>'
    )
    opening = '<body style="margin: 0; padding: 0; background: #ffffff;">'
    return body.replace(opening, "<body style='margin:0'>" + header)


def _shown(value) -> str:
    """A cell as a vi-VN spreadsheet shows it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
        return text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(value)


def sheet_page(
    workbook: Path,
    tab: str,
    rows: int,
    columns: int,
    marks: frozenset[str] = frozenset(),
    widths: dict[int, int] | None = None,
    extra: list[list] | None = None,
) -> str:
    """The first ``rows`` × ``columns`` cells of a tab drawn as a spreadsheet (column letters, row
    numbers, a frozen header, the tabs below); cells named in ``marks`` ("G3") framed in red;
    ``extra`` rows drawn after the tab's own."""
    book = openpyxl.load_workbook(workbook)
    sheet = book[tab]
    grid = [list(r) for r in sheet.iter_rows(min_row=1, max_row=rows, max_col=columns, values_only=True)]
    grid += extra or []
    widths = widths or {}
    letters = [openpyxl.utils.get_column_letter(c + 1) for c in range(columns)]
    grey = "background:#f8f9fa;color:#5f6368;text-align:center;font-size:11px"
    out = [f'<tr><td style="{grey};width:34px"></td>']
    out += [f'<td style="{grey};width:{widths.get(i, 120)}px">{x}</td>' for i, x in enumerate(letters)]
    out.append("</tr>")
    for r, row in enumerate(grid, start=1):
        style = "background:#e8f0fe;font-weight:bold;vertical-align:bottom" if r == 1 else ""
        out.append(f'<tr><td style="{grey}">{r}</td>')
        for c, value in enumerate(row):
            mark = MARK if f"{letters[c]}{r}" in marks else ""
            align = "text-align:right;" if isinstance(value, int | float | dt.date) and r > 1 else ""
            out.append(f'<td style="{style};{mark}{align}">{html.escape(_shown(value))}</td>')
        out.append("</tr>")
    tabs = "".join(
        f'<span style="padding:5px 14px;{ACTIVE_TAB if name == tab else "color:#444"}">{html.escape(name)}</span>'
        for name in book.sheetnames
    )
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><style>
body {{ margin:0; font-family:{FONT}; font-size:13px; background:#fff; display:inline-block; }}
table {{ border-collapse:collapse; table-layout:fixed; }}
td {{ border:1px solid #dadce0; padding:3px 5px; overflow:hidden; white-space:normal; overflow-wrap:anywhere; }}
</style></head><body><table>{"".join(out)}</table>
<div style="background:#f1f3f4;border-top:1px solid #dadce0;padding:4px 0 0 40px;font-size:12px">{tabs}</div>
</body></html>"""


def document_page(path: Path, blocks: int = 14) -> str:
    """The first ``blocks`` paragraphs and tables of a .docx, in order, on an A4-like page."""
    document = Document(str(path))
    align = {1: "center", 2: "right", 3: "justify"}
    parts = []
    for child in list(document.element.body.iterchildren())[:blocks]:
        if child.tag.endswith("}tbl"):
            table = Table(child, document)
            small = len(table.columns) > 2
            cell = "border:1px solid #000;padding:2px 4px;font-size:12px" if small else "text-align:center;width:50%"
            rows = "".join(
                "<tr>" + "".join(f'<td style="{cell};vertical-align:top">{_runs(c.paragraphs)}</td>' for c in row.cells)
                for row in table.rows[:6]
            )
            parts.append(f'<table style="width:100%;border-collapse:collapse;margin:6px 0">{rows}</table>')
        elif child.tag.endswith("}p"):
            paragraph = Paragraph(child, document)
            a = align.get(int(paragraph.alignment or 0), "left")
            indent = "0" if a == "center" else "28px"
            parts.append(f'<p style="text-align:{a};margin:6px 0;text-indent:{indent}">{_runs([paragraph])}</p>')
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"></head>
<body style="margin:0;background:#e0e0e0;padding:12px"><div style="background:#fff;width:640px;
padding:36px 40px 24px 60px;font-family:'Liberation Serif','DejaVu Serif',serif;font-size:15px;line-height:1.35;
box-shadow:0 1px 4px #999">
{"".join(parts)}</div></body></html>"""


def _runs(paragraphs) -> str:
    out = []
    for paragraph in paragraphs:
        text = "".join(
            f"<b>{html.escape(run.text)}</b>"
            if run.bold
            else f"<i>{html.escape(run.text)}</i>"
            if run.italic
            else html.escape(run.text)
            for run in paragraph.runs
        )
        out.append(f'<span style="white-space:pre-wrap">{text}</span>' if text else "&nbsp;")
    return "<br>".join(out)


# --- screenshots --------------------------------------------------------------------------------
class Camera:
    """Headless Chromium (tests/browser.py) that saves a page as a small PNG."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.driver = open_chromium(root / "profile")

    def shoot(
        self, page: str, name: str, width: int, max_height: int = 1400, fit: bool = False, until: str | None = None
    ) -> Path:
        """``page`` at ``width`` (or its own width, if narrower and ``fit``), down to its end, to the
        bottom of the first element ``until`` selects, or to ``max_height``."""
        source = self.root / f"{name}.html"
        # No scrollbar beside a page cut to its first part.
        source.write_text(page.replace("</head>", "<style>html { overflow: hidden; }</style></head>", 1), "utf-8")
        self._viewport(width, 40)
        self.driver.get(source.as_uri())
        content_width, height = self.driver.execute_script(
            "return [Math.ceil(document.body.getBoundingClientRect().width), document.documentElement.scrollHeight]"
        )
        if fit:
            width = min(width, content_width)
        if until:
            bottom = f"return document.querySelector({until!r}).getBoundingClientRect().bottom"
            height = int(self.driver.execute_script(bottom)) + 12
        self._viewport(width, min(height, max_height))
        png = Image.open(io.BytesIO(self.driver.get_screenshot_as_png())).convert("RGB")
        target = OUT / f"{name}.png"
        png.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        size = target.stat().st_size
        if size > MAX_BYTES:
            raise SystemExit(f"{target.name} is {size} bytes, over {MAX_BYTES}: crop it smaller")
        print(f"{target.relative_to(REPO)}  {png.width}×{png.height}  {size // 1024} KB")
        return target

    def _viewport(self, width: int, height: int) -> None:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)

    def close(self) -> None:
        self.driver.quit()


# --- the pictures -------------------------------------------------------------------------------
def make(root: Path) -> None:
    demo = Demo(root)
    thanh_tri = demo.workbooks / "949-thanh-tri.xlsx"
    demo.run("2023-07-20")
    # The 21st: Thạnh Trị types its July commitment report with a period the service cannot read.
    type_period(thanh_tri, "Cam kết hằng tháng", ["Tháng 7 năm 2023", dt.datetime(2023, 7, 21), 8, 8, 7, 87.5, None])
    demo.run("2023-07-21")
    wrong_period = thanh_tri.with_name("949-ky-sai.xlsx")
    shutil.copy(thanh_tri, wrong_period)
    # The 24th (a Monday, the weekly digest): it has put the period right.
    set_cell(thanh_tri, "Cam kết hằng tháng", "A7", "Tháng 7/2023")
    demo.run("2023-07-24")
    shutil.copy(demo.root / "board.html", demo.root / "board-24.html")
    demo.main("provision", "--unit", "946", "--today", "2023-07-24")
    # The office asks 941 and 944 for an ad-hoc report and returns 944's half-year one; the 25th's
    # run sends both emails (after every other picture's day, so none of them changes).
    demo.main("request", "--today", "2023-07-24", "--form", "topic_report", "--title",
              "Báo cáo nhanh kết quả tuyên truyền tháng 7/2023", "--due", "2023-07-31", "--unit", "941",
              "--unit", "944", "--alias", "Đột xuất 7/2023")  # fmt: skip
    demo.main("review", "944", "--form", "topic_report", "--period", "2023-H1", "--today", "2023-07-24",
              "--return", "Số lượt HVPN tham dự chưa khớp với biên bản hội nghị")  # fmt: skip
    demo.run("2023-07-25")
    demo.main("report", "--period", "2023-H1", "--today", "2023-07-20", "--out", str(root / "report"))

    OUT.mkdir(parents=True, exist_ok=True)
    sent, books = demo.email, demo.workbooks
    control = books / "bang-dieu-khien.xlsx"
    request = ["YC-01", "Báo cáo chuyên đề", "Báo cáo nhanh tháng 12/2023", "01/12/2023", "08/12/2023", "941, 944",
               "Đột xuất 12/2023", "đang mở"]  # fmt: skip
    review = ["944", "Báo cáo chuyên đề", "6 tháng đầu năm 2023", "trả lại", "Số lượt HVPN tham dự chưa khớp"]
    topic_widths = {0: 150, 1: 90, **{c: 110 for c in range(2, 8)}}
    monthly_widths = {0: 140, 1: 95, 2: 95, 3: 110, 4: 120, 5: 95, 6: 160}
    # (picture, page, width, how to cut it): the office's guide first, then the units'.
    shots = [
        ("thu-tong-hop", email_page(sent("2023-07-20", "after_deadline")), 620,
         {"until": "div[style*=overflow-x]", "max_height": 1600}),
        ("thu-nhac-chuyen-cap", email_page(sent("2023-07-20", "reminder_944")), 620, {}),
        ("thu-tong-hop-tuan", email_page(sent("2023-07-24", "digest")), 620, {}),
        ("thu-loi-bang-tinh", email_page(sent("2023-07-20", "sheet_problem_946")), 620, {}),
        ("thu-yeu-cau-dot-xuat", email_page(sent("2023-07-25", "ad_hoc_request_944")), 620, {"max_height": 1100}),
        ("thu-tra-lai", email_page(sent("2023-07-25", "report_returned_944")), 620, {}),
        ("bang-theo-doi", (root / "board-24.html").read_text(encoding="utf-8"), 760, {"until": "section.card"}),
        ("dieu-khien-don-vi", sheet_page(control, "Đơn vị", 8, 8, widths=UNIT_WIDTHS), 1100, {"fit": True}),
        ("dieu-khien-yeu-cau", sheet_page(control, "Yêu cầu đột xuất", 1, 8, extra=[request], widths={2: 170}),
         1100, {"fit": True}),
        ("dieu-khien-duyet", sheet_page(control, "Duyệt báo cáo", 1, 5, extra=[review], widths={2: 150, 4: 260}),
         1100, {"fit": True}),
        ("bao-cao-du-thao", document_page(next((root / "report").glob("bao-cao-*.docx"))), 760, {"max_height": 900}),
        ("don-vi-bao-cao-chuyen-de",
         sheet_page(books / "944-my-tu.xlsx", "Báo cáo chuyên đề", 3, 8, frozenset({"G3", "H3"}), topic_widths),
         1100, {"fit": True}),
        ("don-vi-ky-sai", sheet_page(wrong_period, "Cam kết hằng tháng", 7, 7, frozenset({"A7"}), monthly_widths),
         1100, {"fit": True}),
        ("don-vi-huong-dan", sheet_page(books / "946-long-phu.xlsx", "Hướng dẫn", 18, 1, widths={0: 860}),
         1000, {"fit": True}),
        ("thu-nhac-ky-sai", email_page(sent("2023-07-21", "reminder_949")), 620, {}),
        ("thu-nhac-sai-ten-trang", email_page(sent("2023-07-20", "reminder_951")), 620, {}),
    ]  # fmt: skip
    camera = Camera(root)
    try:
        for name, page, width, cut in shots:
            camera.shoot(page, name, width, **cut)
    finally:
        camera.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="guide-pictures-") as tmp:
        make(Path(tmp))
