"""The emails as a phone shows them: headless Chromium 400 px wide never scrolls sideways (a wide
table scrolls inside its own box), and the plain-text parts read as text, not as HTML.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them): without them the
test fails, it is never skipped.
"""

from __future__ import annotations

import csv
import email
import email.policy
import re
from email.message import EmailMessage

import pytest
from click.testing import CliRunner
from selenium.webdriver.common.by import By

from main import cli
from tests.browser import open_chromium
from tests.conftest import SAMPLE_TODAY
from tests.smtp_server import mail_config, run_cli

EMAILS = {
    "reminder to Mỹ Tú": (SAMPLE_TODAY, "reminder", "944"),
    "reminder to Trần Đề (a tab missing, six reports)": (SAMPLE_TODAY, "reminder", "951"),
    "report after the deadline": (SAMPLE_TODAY, "after_deadline", ""),
    "sheet notice to Long Phú": (SAMPLE_TODAY, "sheet_problem", "946"),
    "weekly digest": ("2023-07-24", "digest", ""),
    "returned report to TP Sóc Trăng": ("2023-07-21", "report_returned", "941"),
}
# The office sends a report back (python main.py review) on the day, before that day's run.
RETURNS = {
    "2023-07-21": ["941", "--form", "topic_report", "--period", "2023-H1", "--return",
                   "Số lượt HVPN tham dự chưa khớp với biên bản các buổi học tập, đề nghị đơn vị kiểm tra lại"],
}  # fmt: skip


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium at a phone's width; a fresh profile, nothing fetched from the network."""
    driver = open_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def emails(tmp_path_factory) -> dict[str, EmailMessage]:
    """The emails of the sample day and of the Monday after, as written to the outbox."""
    found = {}
    for day in sorted({day for day, _, _ in EMAILS.values()}):
        tmp = tmp_path_factory.mktemp(f"outbox-{day}")
        path = mail_config(tmp)
        if day in RETURNS:
            for command in (["check", "--today", day], ["review", *RETURNS[day], "--today", day]):
                assert CliRunner().invoke(cli, ["--config", str(path), *command]).exit_code == 0
        assert run_cli(path, day).exit_code == 0
        with (tmp / "outbox" / "index.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                raw = (tmp / "outbox" / row["file"]).read_bytes()
                found[(day, row["kind"], row["unit"])] = email.message_from_bytes(raw, policy=email.policy.default)
    return {name: found[key] for name, key in EMAILS.items()}


def part(message: EmailMessage, content_type: str) -> str:
    return next(p for p in message.walk() if p.get_content_type() == content_type).get_content()


@pytest.mark.parametrize("name", list(EMAILS))
def test_at_400_px_wide_the_page_never_scrolls_sideways(browser, emails, tmp_path, name):
    page = tmp_path / "email.html"
    page.write_text(part(emails[name], "text/html"), encoding="utf-8")

    browser.get(page.as_uri())

    assert browser.execute_script("return document.documentElement.scrollWidth") <= 400
    assert browser.execute_script("return window.innerWidth") == 400
    assert "Kính gửi:" in browser.find_element(By.TAG_NAME, "body").text  # the text is there, decoded


def test_a_wide_table_scrolls_inside_its_own_box(browser, emails, tmp_path):
    page = tmp_path / "email.html"
    page.write_text(part(emails["report after the deadline"], "text/html"), encoding="utf-8")

    browser.get(page.as_uri())

    boxes = browser.execute_script(
        "return [...document.querySelectorAll('table')].map(t => t.parentElement)"
        ".filter(box => getComputedStyle(box).overflowX === 'auto')"
        ".map(box => [box.scrollWidth, box.clientWidth])"
    )
    assert boxes and all(client <= 400 for _, client in boxes)
    assert any(width > client for width, client in boxes)  # the indicators are there, a swipe away


@pytest.mark.parametrize("name", list(EMAILS))
def test_the_plain_text_part_has_no_html_left_and_stays_short(emails, name):
    text = part(emails[name], "text/plain")

    assert not re.search(r"</?[a-z][a-z0-9]*[\s>/]|&[a-z]+;|&#\d+;", text)
    assert text.startswith("Kính gửi: ")
    assert len(text.splitlines()) <= 60


def test_the_charts_shrink_to_the_phone_width(browser, emails, tmp_path):
    """The report's charts, 640 px wide, loaded as a client loads them from their cid: parts."""
    message = emails["report after the deadline"]
    html = part(message, "text/html")
    for n, image in enumerate(p for p in message.walk() if p.get_content_maintype() == "image"):
        (tmp_path / f"chart-{n}.png").write_bytes(image.get_content())
        html = html.replace(f'cid:{image["Content-ID"].strip("<>")}"', f'chart-{n}.png"')
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")

    browser.get(page.as_uri())

    sizes = browser.execute_script(
        "return [...document.images].map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().right])"
    )
    assert len(sizes) == 2 and all(loaded and natural == 640 for loaded, natural, _ in sizes)
    assert all(right <= 400 for _, _, right in sizes)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 400
