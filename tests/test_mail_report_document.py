"""The consolidated email of a six-monthly or yearly period carries the draft Báo cáo (.docx)."""

from __future__ import annotations

import io

import docx

from tests.smtp_server import OFFICE, mail_config, run_cli

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"



def test_the_six_monthly_report_attaches_the_draft_bao_cao_and_the_monthly_one_does_not(tmp_path, smtp_server):
    result = run_cli(mail_config(tmp_path, smtp_server), "2023-06-20")  # the day after both deadlines

    assert result.exit_code == 0, result.output
    reports = {m.subject.split(":")[0]: m for m in smtp_server.messages if m.message["To"] == OFFICE}
    attached = {
        subject: [(p.get_filename(), p.get_content_type()) for p in m.message.iter_attachments()]
        for subject, m in reports.items()
    }
    assert attached["[Tổng hợp] 6 tháng đầu năm 2023"] == [
        (
            "tong-hop-sau-han-6-thang-dau-nam-2023-20230620.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("bao-cao-6-thang-dau-nam-2023.docx", DOCX),
    ]
    assert [name for name, _ in attached["[Tổng hợp] Tháng 6/2023"]] == ["tong-hop-sau-han-thang-6-2023-20230620.xlsx"]
    assert all(not name.endswith(".docx") for name, _ in attached["[Tổng hợp tuần] 20/06/2023"])
    part = next(
        p for p in reports["[Tổng hợp] 6 tháng đầu năm 2023"].message.iter_attachments() if p.get_content_type() == DOCX
    )
    document = docx.Document(io.BytesIO(part.get_content()))
    assert "BÁO CÁO" in [p.text for p in document.paragraphs]
    assert "Sóc Trăng, ngày 20 tháng 6 năm 2023" in [
        p.text for cell in document.tables[0]._cells for p in cell.paragraphs
    ]
