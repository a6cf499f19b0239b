"""`doctor`: each problem an operator can meet shows up as a failing row with its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from delivery.registry import build_transport
from service.doctor import DoctorRow, header_gaps, render_doctor, run_doctor, transport_row
from settings.schema import Config
from tests.sheets_fake import FakeGoogle, load_workbooks, service_account_info
from tests.smtp_server import PASSWORD, SmtpServer, running_server

REPO = Path(__file__).resolve().parent.parent
BOT = "bao-cao@soc-trang-test.iam.gserviceaccount.com"


@pytest.fixture
def make_config(tmp_path: Path, google: FakeGoogle, private_key_pem: str):
    """The shipped forms and calendar, with units reading their sheets from the fake."""

    def make(sheets: dict[str, str], **overrides) -> Config:
        key_file = tmp_path / "key.json"
        key_file.write_text(json.dumps(service_account_info(BOT, private_key_pem)))
        raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
        raw["state_file"] = str(tmp_path / "state.sqlite3")
        raw["source"] = {
            "kind": "google",
            "api_base": google.url,
            "credentials": [{"key_file": str(key_file), "reads_per_minute": 300}],
            "retry": {"max_attempts": 2, "initial_wait": 0, "max_wait": 0},
        }
        raw["units"] = [
            {"id": unit_id, "name": f"Hội LHPN {unit_id}", "sheet": sheet, "emails": ["hoi@example.vn"]}
            for unit_id, sheet in sheets.items()
        ]
        for entry in raw["calendar"].get("obligations", []) + raw["calendar"].get("ad_hoc", []):
            if entry.get("units"):
                entry["units"] = [u for u in entry["units"] if u in sheets]
        raw["mail"] = {"delivery": {"transport": "outbox", "folder": str(tmp_path / "outbox")}}
        raw.pop("control", None)  # the shipped control workbook is local; these units are on Google
        raw.update(overrides)
        return Config.model_validate(raw)

    return make


def healthy_tabs(config: Config) -> dict[str, list[list[str]]]:
    """Every form's tab with the header row the form expects."""
    tabs = {}
    for form in config.forms:
        header = [form.period_label] + ([form.report_date_label] if form.report_date_label else [])
        tabs[form.tab] = [header + [f.label for f in form.fields]]
    return tabs


def failing(rows: list[DoctorRow]) -> list[DoctorRow]:
    return [r for r in rows if not r.ok]


def test_a_healthy_unit_passes_every_check(google, make_config):
    config = make_config({"941": "sheet-941-healthy"})
    google.fake.add_spreadsheet("sheet-941-healthy", healthy_tabs(config))
    rows = run_doctor(config)
    assert failing(rows) == []
    assert any(r.check == "credential 1" and BOT in r.detail for r in rows)
    assert google.fake.count("batch_get") == 1
    assert render_doctor(rows).endswith("All checks passed.")


def test_a_sheet_not_shared_says_whom_to_share_it_with(google, make_config):
    config = make_config({"941": "sheet-941-private"})
    google.fake.add_spreadsheet("sheet-941-private", healthy_tabs(config), shared_with={"other@example.vn"})
    [row] = failing(run_doctor(config))
    assert (row.unit_id, row.check) == ("941", "sheet")
    assert BOT in row.fix and "Viewer" in row.fix


def test_a_missing_tab_and_a_missing_column_are_named(google, make_config):
    config = make_config({"941": "sheet-941-broken"})
    tabs = healthy_tabs(config)
    del tabs["Gương điển hình"]
    tabs["Báo cáo chuyên đề"][0].remove("Số CBCC-NLĐ tham dự")
    google.fake.add_spreadsheet("sheet-941-broken", tabs)
    rows = {r.check: r for r in failing(run_doctor(config))}
    assert set(rows) == {"tab «Gương điển hình»", "headers «Báo cáo chuyên đề»"}
    assert "«Số CBCC-NLĐ tham dự»" in rows["headers «Báo cáo chuyên đề»"].detail
    assert "«Cam kết hằng tháng»" in rows["tab «Gương điển hình»"].fix  # the tabs that exist


def test_an_unusable_key_stops_before_the_units(google, make_config, tmp_path):
    config = make_config({"941": "sheet-941"})
    (tmp_path / "key.json").write_text("{}")
    rows = failing(run_doctor(config))
    assert [(r.unit_id, r.check) for r in rows] == [("", "source"), ("941", "sheet")]
    assert "source.credentials.0.key_file" in rows[0].detail  # what `run` says too
    assert google.fake.log == []


def test_a_refused_key_stops_before_the_units(google, make_config):
    config = make_config({"941": "sheet-941"})
    google.fake.fail_always("token", 400)
    rows = failing(run_doctor(config))
    assert [(r.unit_id, r.check, r.detail) for r in rows] == [
        ("", "credential 1", "token refused: invalid_grant: Invalid JWT Signature."),
        ("941", "sheet", "not checked"),
    ]
    assert "new key" in rows[0].fix
    assert google.fake.count("batch_get") == 0


def test_a_missing_workbook_folder_stops_before_the_units(make_config, tmp_path):
    config = make_config({"941": "941.xlsx"}, source={"kind": "local", "folder": str(tmp_path / "nowhere")})
    rows = failing(run_doctor(config))
    assert [(r.unit_id, r.check) for r in rows] == [("", "source folder"), ("941", "sheet")]
    assert "source.folder" in rows[0].fix


def test_drive_unavailable_is_reported_and_the_units_still_checked(google, make_config):
    config = make_config({"941": "sheet-941-healthy"})
    google.fake.add_spreadsheet("sheet-941-healthy", healthy_tabs(config))
    google.fake.fail_always("drive", 403)
    [row] = failing(run_doctor(config))
    assert row.check.startswith("drive listing") and "Drive API" in row.fix


def test_the_sample_workbooks_served_by_google(google, make_config):
    ids = load_workbooks(google.fake, REPO / "samples" / "workbooks")
    config = make_config({name.split("-")[0].upper(): sheet_id for name, sheet_id in ids.items()})
    rows = run_doctor(config)
    assert ("951", "tab «Cam kết hằng tháng»") in [(r.unit_id, r.check) for r in failing(rows)]
    assert any(r.unit_id == "950" and "present as" in r.detail for r in rows)


def test_header_gaps_match_like_the_core(make_config):
    form = make_config({"941": "x"}).form("commitment_monthly")
    header = ["  THÁNG ", "Ngày báo cáo", "Tổng số CBCC-NLĐ", "Số CBCC-NLĐ có bản cam kết", "Ghi chú"]
    required, optional = header_gaps(form, header)
    assert required == ["Số CBCC-NLĐ thực hiện tốt cam kết"]
    assert optional == ["Tỷ lệ thực hiện tốt (%)"]


def test_a_healthy_unit_takes_one_line_unless_verbose():
    rows = [DoctorRow("941", "sheet", True, "reachable"), DoctorRow("941", "tab «A»", True, "present")]
    assert "all checks" in render_doctor(rows) and "tab «A»" in render_doctor(rows, verbose=True)


# --- mail --------------------------------------------------------------------------------------
@pytest.fixture
def smtp_server(monkeypatch):
    yield from running_server(monkeypatch)


def mail_row(config: Config) -> DoctorRow:
    [row] = [r for r in run_doctor(config) if r.check.startswith("mail")]
    return row


@pytest.mark.parametrize(("password", "ok"), [(PASSWORD, True), ("sai-mat-khau", False)])
def test_the_smtp_login_is_tried_as_run_sends(google, make_config, smtp_server, monkeypatch, password, ok):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", password)
    config = make_config({"941": "sheet-941-healthy"}, mail={"delivery": smtp_server.delivery()})
    google.fake.add_spreadsheet("sheet-941-healthy", healthy_tabs(config))

    row = mail_row(config)

    assert (row.check, row.ok) == ("mail (smtp)", ok)
    assert password not in row.detail + row.fix
    assert (smtp_server.auth_failures == 0) is ok  # the server really was asked
    assert smtp_server.messages == []
    if ok:
        assert row.detail == f"logged in as {smtp_server.user} at 127.0.0.1:{smtp_server.port}"
    else:
        assert "535" in row.detail and "App Password" in row.fix and "2-step verification" in row.fix


def test_no_smtp_password_is_a_failing_row(make_config, smtp_server, monkeypatch):
    monkeypatch.delenv("TEST_SMTP_PASSWORD")
    config = make_config({"941": "x"}, mail={"delivery": smtp_server.delivery()})
    row = transport_row(build_transport(config, dry_run=False))
    assert not row.ok and "TEST_SMTP_PASSWORD" in row.fix
    assert smtp_server.auth_failures == 0


def test_an_smtp_server_that_does_not_answer_points_at_host_port_and_security(make_config, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    config = make_config({"941": "x"}, mail={"delivery": SmtpServer().delivery()})  # nothing listens there
    row = transport_row(build_transport(config, dry_run=False))
    assert not row.ok and "cannot log in to 127.0.0.1" in row.detail
    assert "host, port and security" in row.fix


def test_an_absent_outbox_folder_is_created(make_config, tmp_path):
    config = make_config({"941": "x"}, mail={"delivery": {"transport": "outbox", "folder": str(tmp_path / "a/b")}})
    row = transport_row(build_transport(config, dry_run=False))
    assert (row.check, row.ok, row.detail) == ("mail (outbox)", True, f"writable: {tmp_path / 'a/b'}")
    assert list((tmp_path / "a/b").iterdir()) == []  # the probe file is gone


def test_an_outbox_folder_that_cannot_be_written_is_a_failing_row(google, make_config, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    outbox = tmp_path / "a-file" / "outbox"
    delivery = {"transport": "outbox", "folder": str(outbox)}
    config = make_config({"941": "sheet-941-healthy"}, mail={"delivery": delivery})
    google.fake.add_spreadsheet("sheet-941-healthy", healthy_tabs(config))

    [row] = failing(run_doctor(config))

    assert row.check == "mail (outbox)"
    assert row.detail == f"cannot write to the outbox {outbox}: [Errno 20] Not a directory: '{outbox}'"
    assert "mail.delivery" in row.fix


def test_doctor_reads_the_control_sheet_and_checks_the_units_it_adds(tmp_path, workbooks):
    from settings import load_config
    from tests.test_control_sheet import CONTROL_WORKBOOK, NEW_UNIT, controlled_config, edit_units

    path = controlled_config(tmp_path, workbooks)
    edit_units(workbooks, lambda sheet: (sheet.append(NEW_UNIT), sheet.append(["953", "", "", "ấp", "", "", "", ""])))

    rows = run_doctor(load_config(path))
    (workbooks / CONTROL_WORKBOOK).write_bytes(b"not a workbook")
    unreadable = run_doctor(load_config(path))

    by_check = {(r.unit_id, r.check): r for r in rows}
    assert by_check[("", "control sheet")].ok and "13 units followed" in by_check[("", "control sheet")].detail
    assert not by_check[("", "control rows")].ok and by_check[("", "control rows")].detail == "1 row(s) cannot apply"
    assert any(r.unit_id == "952" for r in rows)  # the unit the control sheet adds is checked too
    assert not (tmp_path / "state.sqlite3").exists()  # nothing applied
    [control] = [r for r in unreadable if r.check == "control sheet"]
    assert not control.ok and control.detail == f"control sheet {CONTROL_WORKBOOK}: not read"


@pytest.mark.parametrize(
    ("editors", "ok", "fix"),
    [
        (None, True, ""),
        (set(), False, f"Change {BOT} from Viewer to Editor in the sheet's Share dialog."),
    ],
)
def test_with_write_back_doctor_asks_drive_whether_the_office_sheet_is_editable(google, make_config, editors, ok, fix):
    google.fake.add_spreadsheet("van-phong", {"Trang tính1": []}, title="Văn phòng", editors=editors)
    config = make_config({"941": "sheet-941"}, writeback={"enabled": True, "office_sheet": "van-phong"})

    rows = run_doctor(config)

    [row] = [r for r in rows if r.check == "write-back (office sheet)"]
    assert (row.ok, row.fix) == (ok, fix)
    assert google.fake.count("drive_file") == 1 and google.fake.count("batch_update") == 0


def test_doctor_says_to_share_an_office_sheet_the_account_cannot_see(google, make_config):
    google.fake.add_spreadsheet("van-phong", {"Trang tính1": []}, shared_with={"someone@example.vn"})
    config = make_config({"941": "sheet-941"}, writeback={"enabled": True, "office_sheet": "van-phong"})

    [row] = [r for r in run_doctor(config) if r.check == "write-back (office sheet)"]

    assert not row.ok and row.fix == f"Share van-phong with {BOT} as Editor."
