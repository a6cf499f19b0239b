"""The consolidated report as received shows its charts inline: the HTML beside its PNGs in
multipart/related, each image referenced by cid:, the text part and the .xlsx as before; no other
email carries an image, and a run with no consolidated report never loads matplotlib."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.conftest import SAMPLE_TODAY
from tests.process_probe import run_in_a_process
from tests.smtp_server import OFFICE, mail_config, run_cli


def test_the_consolidated_report_shows_its_charts_by_cid_in_multipart_related(tmp_path, smtp_server):
    assert run_cli(mail_config(tmp_path, smtp_server), SAMPLE_TODAY).exit_code == 0
    [report] = [m for m in smtp_server.messages if m.message["To"] == OFFICE]
    message = report.message

    [related] = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    html, *images = related.iter_parts()
    assert html.get_content_type() == "text/html"
    cids = re.findall(r'<img src="cid:([^"]+)" alt="([^"]+)"', html.get_content())
    assert [alt for _, alt in cids] == [
        "Biểu đồ tình trạng báo cáo Tháng 7/2023 của các đơn vị",
        "Biểu đồ các chỉ tiêu chính Tháng 7/2023 theo đơn vị",
    ]
    assert [i["Content-ID"] for i in images] == [f"<{cid}>" for cid, _ in cids]
    for image in images:
        assert image.get_content_type() == "image/png"
        assert image.get_content_disposition() == "inline"
        assert image.get_filename().endswith(".png")
        assert Image.open(io.BytesIO(image.get_content())).width == 640
    [alternative] = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "multipart/related"]
    assert "cid:" not in report.text and report.text.startswith("Kính gửi: ")
    [xlsx] = message.iter_attachments()
    assert xlsx.get_filename() == "tong-hop-sau-han-thang-7-2023-20230720.xlsx"


def test_reminders_and_the_weekly_digest_carry_no_image(tmp_path, smtp_server):
    for day in (SAMPLE_TODAY, "2023-07-24"):  # the digest goes on the Monday
        (tmp_path / day).mkdir()
        assert run_cli(mail_config(tmp_path / day, smtp_server), day).exit_code == 0
    others = [m for m in smtp_server.messages if m.message["To"] != OFFICE or "tuần" in m.subject]

    assert any("tuần" in m.subject for m in others) and any(m.message["To"] != OFFICE for m in others)
    for received in others:
        types = {p.get_content_type() for p in received.message.walk()}
        assert "multipart/related" not in types and not any(t.startswith("image/") for t in types)


def test_a_run_with_no_consolidated_report_never_loads_matplotlib(tmp_path):
    path = mail_config(tmp_path)

    with_report = run_in_a_process(
        path, SAMPLE_TODAY, "matplotlib", "PIL"
    )  # the after-deadline report, its charts drawn
    reminders_only = run_in_a_process(path, "2023-07-21", "matplotlib", "PIL")

    assert "1 after_deadline" in with_report[1] and with_report[-2:] == ["exit 0", "imported: matplotlib PIL"]
    assert reminders_only[1] == "  due: 3 email(s): 3 reminder"
    assert reminders_only[-2:] == ["exit 0", "imported:"]
