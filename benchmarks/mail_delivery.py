"""Benchmark mail delivery: 500 reminders to a local aiosmtpd server (with AUTH) over one connection.

Two figures: the SMTP batch alone (500 prebuilt messages through SmtpTransport), then the whole
`run` for 500 units that each owe reports (read, judge, decide, render, build, send, ledger).
Prints figures; asserts nothing.

    python benchmarks/mail_delivery.py [--count 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from delivery.message import build_message  # noqa: E402
from delivery.render import render_email  # noqa: E402
from delivery.schedule import plan  # noqa: E402
from delivery.transport import SmtpTransport  # noqa: E402
from service.check import collect  # noqa: E402
from service.run import run_job  # noqa: E402
from settings import load_config  # noqa: E402
from store import Store  # noqa: E402
from tests.smtp_server import PASSWORD, SmtpServer  # noqa: E402

TODAY = dt.date(2023, 7, 20)


def many_units_config(count: int, folder: Path, server: SmtpServer):
    """The shipped config with ``count`` units that have no workbook yet: each is owed a reminder."""
    base = load_config(REPO / "config.yaml")
    template = base.units[0]
    units = [
        template.model_copy(update={"id": f"U{i:04d}", "name": f"Hội LHPN xã số {i}", "sheet": f"u{i:04d}.xlsx",
                                    "emails": [f"hoi.xa{i:04d}@example.vn"], "supervisor_email": None})
        for i in range(count)
    ]  # fmt: skip
    smtp = {"transport": "smtp", "user": server.user, "host": "127.0.0.1", "port": server.port, "security": "none",
            "password_env": "BENCH_SMTP_PASSWORD"}  # fmt: skip
    mail = base.mail.model_validate({**base.mail.model_dump(), "delivery": smtp, "daily_cap": 10 * count})
    ad_hoc = [a.model_copy(update={"units": None}) for a in base.calendar.ad_hoc]
    return base.model_copy(
        update={
            "units": units,
            "state_file": folder / "state.sqlite3",
            "source": base.source.model_copy(update={"folder": folder}),
            "calendar": base.calendar.model_copy(update={"ad_hoc": ad_hoc}),
            "mail": mail,
        }
    )


def smtp_batch(config, server: SmtpServer) -> tuple[int, float, int]:
    """Build the reminders once, then time only their delivery over one SmtpTransport."""
    with Store.open(config.state_file) as store:
        judgement = collect(config, TODAY, store, command="bench")
        emails = [e for e in plan(config, judgement, store.ledger_view(TODAY)) if e.kind == "reminder"]
    messages = [
        build_message(e.key, e.kind, e.unit.id, render_email(config, judgement, e), server.user, "Ban Tuyên giáo",
                      e.to, e.cc)
        for e in emails
    ]  # fmt: skip
    before = len(server.messages)
    started = time.perf_counter()
    with SmtpTransport(config.mail.delivery, PASSWORD) as transport:
        for message in messages:
            assert transport.send(message, list(message.recipients)).complete
    elapsed = time.perf_counter() - started
    return len(server.messages) - before, elapsed, sum(len(m.data) for m in messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    os.environ["BENCH_SMTP_PASSWORD"] = PASSWORD
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's notes on AUTH without TLS
    server = SmtpServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = many_units_config(args.count, Path(tmp), server)
            sent, elapsed, size = smtp_batch(config, server)
            connections = server.connections
            print(
                f"SMTP batch: {sent} reminders ({size / sent / 1024:.1f} KiB each) to aiosmtpd 127.0.0.1:{server.port}"
                f" over {connections} connection in {elapsed:.2f} s ({1000 * elapsed / sent:.1f} ms per message)"
            )
        with tempfile.TemporaryDirectory() as tmp:
            config = many_units_config(args.count, Path(tmp), server)
            before = len(server.messages)
            started = time.perf_counter()
            with Store.open(config.state_file) as store:
                outcome = run_job(config, TODAY, store)
            total = time.perf_counter() - started
            print(
                f"whole run: {dict(outcome.sent)} in {total:.2f} s, of which delivery (render, build, send, ledger)"
                f" {outcome.delivery_seconds:.2f} s; {len(server.messages) - before} received over"
                f" {server.connections - connections} new connection"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
