"""Runs that overlap: two cron jobs on one state file never send an email twice.

With the lock, the second `run` exits 6 at once; without it (two machines that do not share the
lock file), the claim each run takes in the ledger before handing an email to the server keeps
each email to one sender. The runs are real processes; the SMTP server is aiosmtpd in this one.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from delivery.registry import build_transport
from delivery.render import render_email
from delivery.schedule import PlannedEmail, plan
from errors import StoreError
from service.check import collect
from service.run import RunOutcome, deliver
from settings import load_config
from store import Store
from store.ledger import CLAIM_EXPIRES, Decided
from tests.conftest import REPO, SAMPLE_TODAY
from tests.smtp_server import PASSWORD, SmtpServer, mail_config

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
# `run` without its lock: the job as two machines would run it on a shared state file.
UNLOCKED_RUN = """
import datetime as dt, sys
from service.run import run_job
from settings import load_config
from store import Store
config = load_config(sys.argv[1])
with Store.open(config.state_file) as store:
    print(run_job(config, dt.date.fromisoformat(sys.argv[2]), store).summary())
"""


@pytest.fixture
def start_server(monkeypatch) -> Iterator[Callable[[], SmtpServer]]:
    """Starts aiosmtpd servers on 127.0.0.1 (stopped after the test), their password in the
    environment the runs inherit."""
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    started: list[SmtpServer] = []

    def start() -> SmtpServer:
        started.append(SmtpServer().start())
        return started[-1]

    yield start
    for server in started:
        server.release()
        server.stop()


def start_run(config_path: Path, *command: str) -> subprocess.Popen:
    command = command or (sys.executable, "main.py", "--config", str(config_path), "run", "--today", SAMPLE_TODAY)
    return subprocess.Popen(
        command, cwd=REPO, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(run: subprocess.Popen) -> tuple[int, str, str]:
    out, err = run.communicate(timeout=120)
    return run.returncode, out, err


def wait_until(condition: Callable[[], bool], give_up_after: float = 60.0) -> None:
    """Poll ``condition``; past ``give_up_after`` seconds go on anyway, the assertions will tell."""
    until = time.monotonic() + give_up_after
    while not condition() and time.monotonic() < until:
        time.sleep(0.02)


def message_ids(server: SmtpServer) -> Counter[str]:
    return Counter(m.message["Message-ID"] for m in server.messages)


@pytest.fixture
def due_alone(tmp_path_factory, start_server) -> Counter[str]:
    """The Message-IDs one run alone sends on the sample day, on a state file of its own."""
    server = start_server()
    code, out, err = finish(start_run(mail_config(tmp_path_factory.mktemp("alone"), server)))
    assert code == 0, out + err
    assert len(server.messages) > 1
    return message_ids(server)


def test_two_runs_started_together_send_each_email_once_and_the_later_one_exits_6(tmp_path, start_server, due_alone):
    """The overlap is made certain, not lucky: the run holding the lock cannot finish while its
    first message waits at DATA, so the first run to exit is the one refused the lock."""
    server = start_server()
    path = mail_config(tmp_path, server)
    server.hold()
    try:
        runs = [start_run(path), start_run(path)]
        wait_until(lambda: any(r.poll() is not None for r in runs))
        first_out = [i for i, r in enumerate(runs) if r.poll() is not None]
    finally:
        server.release()
    results = [finish(r) for r in runs]

    assert len(first_out) == 1, results
    code, out, err = results[first_out[0]]
    assert code == 6, out + err
    assert "another run is already running" in err and "this one sent nothing" in err
    assert sorted(code for code, _, _ in results) == [0, 6]
    assert message_ids(server) == due_alone  # every key once, the same emails as one run alone
    assert len(server.messages) == sum(due_alone.values())


def test_two_runs_without_the_lock_share_the_emails_and_send_none_twice(tmp_path, start_server, due_alone):
    server = start_server()
    path = mail_config(tmp_path, server)
    server.hold()  # both runs must be mid-delivery at once, each holding a message at DATA
    try:
        runs = [start_run(path, sys.executable, "-c", UNLOCKED_RUN, str(path), SAMPLE_TODAY) for _ in range(2)]
        wait_until(lambda: server.held == 2 or any(r.poll() is not None for r in runs))
        held_together = server.held
    finally:
        server.release()
    results = [finish(r) for r in runs]

    assert [code for code, _, _ in results] == [0, 0], results
    assert held_together == 2
    assert message_ids(server) == due_alone
    assert server.connections == 2  # each run delivered some of them


class ClaimsAfterAnotherRun(Store):
    """A state file on which, just before this run's first claim, another run does ``meanwhile``:
    the moment between this run's first look at the ledger and its claim."""

    meanwhile: Callable[[], None] | None = None

    def claim(self, key: str, who: str | None = None) -> bool:
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return super().claim(key, who)


def test_a_run_claiming_an_email_another_run_half_delivered_sends_it_only_to_those_still_owed(tmp_path, start_server):
    """Between one run's first look at the ledger and its claim, another run delivers the email
    to all its recipients but one, whom the server refuses: the first run owes it to that one only."""
    server = start_server()
    config = load_config(mail_config(tmp_path, server, units=["944"]))
    with ClaimsAfterAnotherRun.open(config.state_file) as store, Store.open(config.state_file) as other_store:
        judgement = collect(config, TODAY, store, command="run")
        [reminder] = [e for e in plan(config, judgement, store.ledger_view(TODAY)) if e.kind == "reminder"]
        refused = reminder.to[1]

        def render(email: PlannedEmail):
            return render_email(config, judgement, email)

        def another_run_delivers():
            server.refuse(refused)
            other = RunOutcome(TODAY, "smtp", dry_run=False)
            deliver(config, TODAY, [reminder], render, other_store, build_transport(config, False), other)
            server.refuse()

        store.meanwhile = another_run_delivers
        outcome = RunOutcome(TODAY, "smtp", dry_run=False)
        deliver(config, TODAY, [reminder], render, store, build_transport(config, False), outcome)

        assert store.entry(reminder.key).status == "sent"
    assert len(reminder.to + reminder.cc) == 4
    assert Counter(a for m in server.messages for a in m.rcpt_tos) == dict.fromkeys(reminder.to + reminder.cc, 1)
    assert server.messages[-1].rcpt_tos == [refused]


# --- the claim itself, on the store ---------------------------------------------------------------

EMAIL = Decided(
    "reminder|944|commitment_monthly/2023-M07/on_day", "reminder", "944", "commitment_monthly", "2023-M07",
    "on_day", "<claim-test@gmail.com>", "Hôm nay hết hạn nộp báo cáo Tháng 7/2023", ["hlhpn.mytu@example.vn"],
)  # fmt: skip


def test_two_connections_to_one_state_file_claim_an_email_once(tmp_path):
    with Store.open(tmp_path / "state.sqlite3") as first, Store.open(tmp_path / "state.sqlite3") as second:
        first.queue(EMAIL, TODAY)
        second.queue(EMAIL, TODAY)

        # One process here: each connection names its claimant as two processes' runs would.
        taken = [first.claim(EMAIL.key, "host-a:101"), second.claim(EMAIL.key, "host-b:202")]

    assert taken == [True, False]


def open_fresh_state_files(folder: str, rounds: int, start, results) -> None:
    """In a process of its own: open, together with the others, each round's new state file."""
    for n in range(rounds):
        start.wait()
        try:
            Store.open(Path(folder) / f"state-{n}.sqlite3").close()
            results.put("opened")
        except StoreError as exc:
            results.put(str(exc))


def test_processes_opening_a_state_file_that_does_not_exist_yet_all_get_it_whole(tmp_path):
    """The first runs on a new machine may start together: none may find the file half made
    (empty, or between journal modes) and refuse it. A race, so played over many rounds."""
    context = multiprocessing.get_context("spawn")
    racers, rounds = 4, 10
    start, results = context.Barrier(racers), context.Queue()
    processes = [
        context.Process(target=open_fresh_state_files, args=(str(tmp_path), rounds, start, results))
        for _ in range(racers)
    ]
    for process in processes:
        process.start()
    outcomes = Counter(results.get(timeout=120) for _ in range(racers * rounds))
    for process in processes:
        process.join(timeout=120)

    assert outcomes == {"opened": racers * rounds}
    for n in range(rounds):
        with Store.open(tmp_path / f"state-{n}.sqlite3") as store:
            assert store.schema_version > 0
            assert store.connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_where_the_file_system_has_no_hard_links_the_state_file_is_made_all_the_same(tmp_path, monkeypatch):
    def no_hard_links(source, target):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    with Store.open(tmp_path / "state.sqlite3") as store:
        store.queue(EMAIL, TODAY)
    with Store.open(tmp_path / "state.sqlite3") as store:
        assert store.entry(EMAIL.key).status == "queued"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.sqlite3"]


def queue_and_claim(path: str, start, results) -> None:
    """In a process of its own: queue the email as a run does, then claim it when all are ready."""
    with Store.open(path) as store:
        store.queue(EMAIL, TODAY)
        start.wait()
        results.put(store.claim(EMAIL.key))


def test_of_many_processes_claiming_one_email_at_once_exactly_one_wins(tmp_path):
    context = multiprocessing.get_context("spawn")
    racers = 6
    start, results = context.Barrier(racers), context.Queue()
    path = str(tmp_path / "state.sqlite3")
    Store.open(path).close()  # the schema made once, as the first run would
    processes = [context.Process(target=queue_and_claim, args=(path, start, results)) for _ in range(racers)]
    for process in processes:
        process.start()
    taken = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=120)

    assert [p.exitcode for p in processes] == [0] * racers
    assert sorted(taken) == [False] * (racers - 1) + [True]


def claim_and_die(path: str) -> None:
    """A run that claims the email and dies before the server answers: the claim stays behind."""
    store = Store.open(path)
    store.queue(EMAIL, TODAY)
    assert store.claim(EMAIL.key)
    os._exit(1)


def claimed_ago(path: Path, age: dt.timedelta) -> None:
    """Move the claim's time back, as the clock moves on after the claimant died."""
    at = (dt.datetime.now(dt.UTC) - age).isoformat(timespec="seconds")
    with Store.open(path) as store:
        store.connection.execute("UPDATE mail_ledger SET claimed_at = ? WHERE key = ?", (at, EMAIL.key))


@pytest.mark.parametrize(
    ("age", "taken_again"),
    [
        (dt.timedelta(0), False),
        (CLAIM_EXPIRES - dt.timedelta(minutes=1), False),
        (CLAIM_EXPIRES + dt.timedelta(minutes=1), True),
    ],
)
def test_a_claim_left_by_a_dead_process_is_taken_again_only_once_it_is_older_than_claim_expires(
    tmp_path, age, taken_again
):
    path = tmp_path / "state.sqlite3"
    dead = multiprocessing.get_context("spawn").Process(target=claim_and_die, args=(str(path),))
    dead.start()
    dead.join(timeout=120)
    assert dead.exitcode == 1
    claimed_ago(path, age)

    with Store.open(path) as store:
        assert store.claim(EMAIL.key) is taken_again
        assert store.entry(EMAIL.key).status == "queued"


def claim_and_send_when_told(path: str, claimed, go) -> None:
    """A run that claims the email, then takes its time before the server accepts it."""
    with Store.open(path) as store:
        store.queue(EMAIL, TODAY)
        assert store.claim(EMAIL.key)
        claimed.set()
        go.wait(timeout=120)
        store.mark_sent(EMAIL.key, TODAY, "smtp", EMAIL.recipients)


def test_a_claim_held_by_a_live_process_is_not_taken_nor_is_the_email_once_sent(tmp_path):
    path = tmp_path / "state.sqlite3"
    context = multiprocessing.get_context("spawn")
    claimed, go = context.Event(), context.Event()
    sending = context.Process(target=claim_and_send_when_told, args=(str(path), claimed, go))
    sending.start()
    try:
        assert claimed.wait(timeout=120)
        with Store.open(path) as store:
            assert not store.claim(EMAIL.key)
    finally:
        go.set()
        sending.join(timeout=120)

    assert sending.exitcode == 0
    with Store.open(path) as store:
        assert store.entry(EMAIL.key).status == "sent"
        assert not store.claim(EMAIL.key)
