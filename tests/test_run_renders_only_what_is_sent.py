"""A run renders and builds only the emails it hands over: not those over the daily cap, nor any
once the transport is down; and it loads openpyxl only when a consolidated workbook is made (and
pandas never)."""

from __future__ import annotations

import datetime as dt
import sqlite3

from delivery.registry import build_transport
from delivery.render import render_email
from delivery.schedule import PlannedEmail, plan
from service.check import collect
from service.run import RunOutcome, deliver
from settings import load_config
from store import Store
from tests.conftest import SAMPLE_TODAY
from tests.process_probe import run_in_a_process
from tests.smtp_server import PASSWORD, SmtpServer, mail_config, run_cli

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
DUE_ON_SAMPLE_DAY = 7


def deliver_counting_renders(config) -> tuple[list[str], RunOutcome]:
    """The run's delivery on the sample day, with a render that notes each email it renders."""
    rendered: list[str] = []
    with Store.open(config.state_file) as store:
        judgement = collect(config, TODAY, store, command="run")
        planned = plan(config, judgement, store.ledger_view(TODAY))
        assert len(planned) == DUE_ON_SAMPLE_DAY

        def render(email: PlannedEmail):
            rendered.append(email.key)
            return render_email(config, judgement, email)

        outcome = RunOutcome(TODAY, "written", dry_run=False)
        deliver(config, TODAY, planned, render, store, build_transport(config, False), outcome)
    return rendered, outcome


def subjects(config) -> list[str]:
    with sqlite3.connect(config.state_file) as db:
        return [s for (s,) in db.execute("SELECT subject FROM mail_ledger ORDER BY created_at, key")]


def test_over_the_daily_cap_only_the_emails_handed_over_are_rendered(tmp_path):
    config = load_config(mail_config(tmp_path, mail={"daily_cap": 3}))

    rendered, outcome = deliver_counting_renders(config)

    assert len(rendered) == 3
    assert outcome.capped == DUE_ON_SAMPLE_DAY - 3
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    titled = [s for s in subjects(config) if s]
    assert len(titled) == 3  # the others are recorded queued, their subject not known yet
    index = (tmp_path / "outbox" / "index.csv").read_text(encoding="utf-8").splitlines()
    assert len(index) == 1 + 3 and index[0].startswith("written_at,")


def test_once_the_transport_is_down_no_other_email_is_rendered(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    config = load_config(mail_config(tmp_path, SmtpServer()))  # never started: nothing listens

    rendered, outcome = deliver_counting_renders(config)

    assert len(rendered) == 1  # the one that found the server down
    assert outcome.stopped and "Connection refused" in outcome.stopped
    assert len([s for s in subjects(config) if s]) == 1


def test_the_workbook_library_is_loaded_only_by_a_run_that_makes_a_consolidated_workbook(tmp_path):
    path = mail_config(tmp_path)

    with_report = run_in_a_process(
        path, SAMPLE_TODAY, "openpyxl", "pandas"
    )  # the after-deadline report and its workbook
    reminders_only = run_in_a_process(path, "2023-07-21", "openpyxl", "pandas")

    assert "1 after_deadline" in with_report[1] and with_report[-2:] == ["exit 0", "imported: openpyxl"]
    assert reminders_only[1] == "  due: 3 email(s): 3 reminder"
    assert reminders_only[-2:] == ["exit 0", "imported:"]
    assert run_cli(path, "2023-07-21").exit_code == 0  # and nothing was left to send
