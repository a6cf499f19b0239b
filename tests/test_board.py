"""The status board: `run` and `check` rewrite one self-contained page from the store, which a
phone shows without scrolling sideways, and which names every unit's report by status.

Needs Debian's ``chromium`` and ``chromium-driver``, as tests/test_mail_layout.py does.
"""

from __future__ import annotations

import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By

from main import cli
from service.board import gather_board, render_board
from settings import load_config
from store import Store
from tests.browser import PHONE, open_chromium
from tests.conftest import SAMPLE_TODAY, write_config
from tests.smtp_server import mail_config, run_cli

UNITS = ["941", "942", "943", "944", "945", "946", "947", "948", "949", "950", "951", "TT01"]


def invoke(config_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_path), *args])



@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = open_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    """The config of a run on the sample day; its board is board/index.html beside it."""
    tmp = tmp_path_factory.mktemp("board")
    config_path = mail_config(tmp)
    result = run_cli(config_path, SAMPLE_TODAY)
    assert result.exit_code == 0, result.output
    return config_path


@pytest.fixture
def board(sample_run, browser) -> Path:
    path = sample_run.parent / "board" / "index.html"
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    browser.get(path.as_uri())
    return path


def cell(browser, grid: int, unit_id: str, period: str) -> str:
    """The status word the grid of the ``grid``-th form shows for ``unit_id`` and ``period``."""
    table = browser.find_elements(By.CSS_SELECTOR, "table.grid")[grid]
    found = table.find_element(By.CSS_SELECTOR, f'tr[data-unit="{unit_id}"] td[data-period="{period}"]')
    return found.get_attribute("data-status")


def png_colours(png: bytes) -> int:
    """How many distinct byte values the decompressed pixel rows hold (a blank page: one or two)."""
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(png[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return len(set(zlib.decompress(b"".join(chunks))))


def test_the_run_writes_a_board_that_names_every_unit_with_its_status(board, browser):
    topic, monthly = (
        browser.find_elements(By.CSS_SELECTOR, "table.grid")[i].find_elements(By.CSS_SELECTOR, "tbody tr")
        for i in (0, 1)
    )

    assert [row.get_attribute("data-unit") for row in monthly] == UNITS
    assert len(topic) == 12
    assert cell(browser, 1, "946", "Tháng 7/2023") == "Chưa đọc được"
    assert cell(browser, 1, "949", "Tháng 7/2023") == "Chưa nộp"
    assert cell(browser, 1, "941", "Tháng 7/2023") == "Đúng hạn"
    assert cell(browser, 1, "943", "Tháng 6/2023") == "Trễ hạn"
    assert cell(browser, 1, "944", "Tháng 7/2023") == "Chưa đủ"
    assert cell(browser, 1, "941", "Tháng 8/2023") == "Chưa đến hạn"
    assert (
        "✖ Chưa nộp"
        in browser.find_element(By.CSS_SELECTOR, 'table.grid tr[data-unit="949"] td[data-code="missing"]').text
    )


def test_at_400_px_the_page_never_scrolls_sideways_and_wide_tables_scroll_in_their_box(board, browser):
    assert browser.execute_script("return window.innerWidth") == 400
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 400
    boxes = browser.execute_script(
        "return [...document.querySelectorAll('table.grid')].map(t => t.parentElement)"
        ".filter(box => getComputedStyle(box).overflowX === 'auto')"
        ".map(box => [box.scrollWidth, box.clientWidth])"
    )
    assert len(boxes) == 3 and all(client <= 400 for _, client in boxes)
    assert any(width > client for width, client in boxes)  # the months are there, a swipe away


@pytest.mark.parametrize("width", [400, 1200])
def test_a_screenshot_of_the_board_is_not_blank(board, browser, width):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**PHONE, "width": width})
    browser.get(board.as_uri())

    assert png_colours(browser.get_screenshot_as_png()) > 16


def test_printed_the_scroll_boxes_open_and_the_page_is_a4_landscape(board, browser):
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        overflow = browser.execute_script(
            "return [...document.querySelectorAll('.scroll')].map(box => getComputedStyle(box).overflowX)"
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    assert overflow and set(overflow) == {"visible"}
    assert "size: A4 landscape" in board.read_text(encoding="utf-8")


def test_rates_per_period_and_findings_per_unit_are_shown(board, browser):
    july = browser.find_element(By.CSS_SELECTOR, '.rate[data-period="Tháng 7/2023"]')
    mỹ_tú = browser.find_element(By.CSS_SELECTOR, 'details[data-unit="944"]')

    assert "Đã nộp 9/12 · 75%" in july.text and "Đúng hạn 8/12 · 67%" in july.text
    assert "944 Hội LHPN huyện Mỹ Tú: 4 phát hiện" in mỹ_tú.text
    mỹ_tú.click()
    assert "«Số CBCC-NLĐ thực hiện tốt cam kết») còn trống" in mỹ_tú.text
    assert (
        "không đọc được bảng tính (từ 20/07/2023)"
        in browser.find_element(By.CSS_SELECTOR, 'table.units tr[data-unit="946"]').text
    )


class Resources(HTMLParser):
    """Every address the page would fetch or link to, by tag and attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.found += [(tag, name, value or "") for name, value in attrs if name in ("src", "href", "srcset")]


def resources(html: str) -> Resources:
    parser = Resources()
    parser.feed(html)
    return parser


def test_the_board_fetches_nothing(sample_run):
    page = resources((sample_run.parent / "board" / "index.html").read_text(encoding="utf-8"))

    assert not [(tag, name, value) for tag, name, value in page.found if "://" in value or value.startswith("//")]
    assert not [tag for tag, attrs in page.tags if tag == "script" or (tag == "link" and attrs.get("rel") != "icon")]


def test_a_google_sheet_is_a_link_and_the_only_address_on_the_page(sample_run, tmp_path):
    google = load_config(write_config(tmp_path, source={"kind": "google"}))
    with Store.open(load_config(sample_run).state_file) as store:
        page = resources(render_board(gather_board(google, store)))

    links = [value for tag, name, value in page.found if "://" in value]
    assert len(links) == 12
    assert all(value.startswith("https://docs.google.com/spreadsheets/d/") for value in links)
    assert {tag for tag, name, value in page.found if "://" in value} == {"a"}


def test_check_writes_the_board_too_and_without_temporary_files(tmp_path):
    result = invoke(write_config(tmp_path), "check", "--today", SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "board").iterdir()] == ["index.html"]
    assert 'data-status="Chưa nộp"' in (tmp_path / "board" / "index.html").read_text(encoding="utf-8")


def test_the_board_shows_what_stays_queued(tmp_path):
    config_path = mail_config(tmp_path, mail={"daily_cap": 2})

    assert run_cli(config_path, SAMPLE_TODAY).exit_code == 0
    html = (tmp_path / "board" / "index.html").read_text(encoding="utf-8")
    assert html.count("Vượt giới hạn thư trong ngày") == 5


def test_board_file_null_writes_no_board(tmp_path):
    result = run_cli(write_config(tmp_path, board_file=None), SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    assert not list(tmp_path.glob("**/*.html"))


def test_a_dry_run_leaves_the_board_as_it_is(tmp_path):
    result = run_cli(write_config(tmp_path), SAMPLE_TODAY, "--dry-run")

    assert result.exit_code == 0, result.output
    assert not (tmp_path / "board").exists()


def test_a_board_that_cannot_be_written_is_a_warning_and_the_run_goes_on(tmp_path):
    (tmp_path / "board").write_text("a file where the folder should be")

    result = run_cli(write_config(tmp_path), SAMPLE_TODAY)

    assert result.exit_code == 0, result.output
    assert f"the status board could not be written to {tmp_path / 'board' / 'index.html'}" in result.stderr
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 7


def test_a_run_that_exits_3_still_writes_the_board_with_the_email_waiting(tmp_path, smtp_server):
    smtp_server.refuse("hlhpn.culaodung@example.vn", reply="452 4.2.2 Mailbox full")

    assert run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY).exit_code == 3
    html = (tmp_path / "board" / "index.html").read_text(encoding="utf-8")
    queued = html[html.index('<table class="queued">') :]
    assert "Nhắc nhở: Cù Lao Dung" in queued and "Máy chủ hẹn gửi lại" in queued and "452 4.2.2 Mailbox full" in queued


def test_after_a_check_of_one_unit_the_others_keep_their_statuses_and_counts(tmp_path):
    config_path = write_config(tmp_path)
    assert invoke(config_path, "check", "--today", SAMPLE_TODAY).exit_code == 0

    assert invoke(config_path, "check", "--today", SAMPLE_TODAY, "--unit", "941").exit_code == 0
    html = (tmp_path / "board" / "index.html").read_text(encoding="utf-8")
    assert html.count('data-code="unreadable"') == 12  # Long Phú's reports, all three forms
    units = html[html.index('<table class="units">') :]
    assert '<td class="n">4 †</td>' in units  # Mỹ Tú: counted from the store, not judged now
    assert "python main.py check --unit 944" in units
